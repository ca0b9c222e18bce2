import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DigestSession,
  digestAuthorization,
  digestResponse,
  formatNonceCount,
  parseAuthenticate,
  selectDigestChallenge,
} from '../../lambdas/atlas/digest.ts';

// RFC 7616 §3.9.1: the server sends two challenges (SHA-256 first, then MD5) with the same nonce.
const RFC_PARAMS =
  'realm="http-auth@example.org", qop="auth, auth-int", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", ' +
  'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';
const RFC_MD5_HEADER = `Digest ${RFC_PARAMS}, algorithm=MD5`;
const RFC_HEADER = `Digest ${RFC_PARAMS}, algorithm=SHA-256, ${RFC_MD5_HEADER}`;
const RFC = {
  username: 'Mufasa',
  password: 'Circle of Life',
  method: 'GET',
  uri: '/dir/index.html',
  nc: 1,
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
};

function md5Challenge() {
  const challenge = selectDigestChallenge(RFC_MD5_HEADER);
  if (!challenge) throw new Error('no MD5 challenge');
  return challenge;
}

describe('RFC 7616 §3.9.1 worked example', () => {
  it('computes the MD5 response 8ca523f5e9506fed4657c9700eebdbec', () => {
    const challenge = md5Challenge();
    expect(challenge.algorithm).toBe('MD5');
    expect(digestResponse({ ...RFC, challenge })).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });

  it('computes the SHA-256 response of the same example', () => {
    const challenge = selectDigestChallenge(RFC_HEADER);
    expect(challenge?.algorithm).toBe('SHA-256');
    if (!challenge) throw new Error('no challenge');
    expect(digestResponse({ ...RFC, challenge })).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });

  it('builds the Authorization header the RFC shows (MD5)', () => {
    const header = digestAuthorization({ ...RFC, challenge: md5Challenge() });
    const [parsed] = parseAuthenticate(header);
    expect(parsed?.scheme).toBe('Digest');
    expect(parsed?.params).toEqual({
      username: 'Mufasa',
      realm: 'http-auth@example.org',
      uri: '/dir/index.html',
      algorithm: 'MD5',
      nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
      nc: '00000001',
      cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
      qop: 'auth',
      response: '8ca523f5e9506fed4657c9700eebdbec',
      opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
    });
    expect(header).not.toContain('Circle of Life');
  });
});

describe('WWW-Authenticate parsing', () => {
  it('splits several challenges, lower-cases names and undoes quoted-string escapes', () => {
    const parsed = parseAuthenticate('Basic realm="x", Digest Realm="a \\"b\\" c", nonce=abc, stale=TRUE');
    expect(parsed).toEqual([
      { scheme: 'Basic', params: { realm: 'x' } },
      { scheme: 'Digest', params: { realm: 'a "b" c', nonce: 'abc', stale: 'TRUE' } },
    ]);
    expect(selectDigestChallenge('Digest realm="r", nonce="n", stale=TRUE')?.stale).toBe(true);
  });

  it('ignores challenges it cannot answer', () => {
    expect(selectDigestChallenge(null)).toBeUndefined();
    expect(selectDigestChallenge('Bearer realm="x"')).toBeUndefined();
    expect(selectDigestChallenge('Digest realm="r", nonce="n", qop="auth-int"')).toBeUndefined();
    expect(selectDigestChallenge('Digest realm="r", nonce="n", algorithm=SHA-512-256')).toBeUndefined();
    expect(selectDigestChallenge('Digest nonce="n"')).toBeUndefined();
  });

  it('round-trips any realm and nonce through quoting', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), (realm, nonce) => {
        const header = digestAuthorization({
          ...RFC,
          challenge: { realm, nonce, algorithm: 'MD5', qop: ['auth'], stale: false },
        });
        const [parsed] = parseAuthenticate(header);
        return parsed?.params.realm === realm && parsed.params.nonce === nonce;
      }),
    );
  });
});

describe('DigestSession', () => {
  it('sends nothing before a challenge, then counts nc up on the cached nonce', () => {
    const session = new DigestSession('user', 'pass', () => 'cn');
    expect(session.authorize('GET', '/a')).toBeUndefined();
    session.accept('Digest realm="r", nonce="n1", qop="auth"');
    const first = parseAuthenticate(session.authorize('GET', '/a') ?? '')[0]?.params;
    const second = parseAuthenticate(session.authorize('POST', '/b') ?? '')[0]?.params;
    expect([first?.nc, second?.nc]).toEqual(['00000001', '00000002']);
    expect(second?.uri).toBe('/b');
    // Same nonce again keeps counting; a new nonce starts over.
    session.accept('Digest realm="r", nonce="n1", qop="auth"');
    expect(parseAuthenticate(session.authorize('GET', '/a') ?? '')[0]?.params.nc).toBe('00000003');
    session.accept('Digest realm="r", nonce="n2", qop="auth", stale=true');
    const fresh = parseAuthenticate(session.authorize('GET', '/a') ?? '')[0]?.params;
    expect([fresh?.nonce, fresh?.nc]).toEqual(['n2', '00000001']);
  });

  it('formats nc as 8 hex digits', () => {
    expect(formatNonceCount(1)).toBe('00000001');
    expect(formatNonceCount(255)).toBe('000000ff');
  });

  it('answers an RFC 2069 challenge (no qop) without nc and cnonce', () => {
    const session = new DigestSession('u', 'p');
    session.accept('Digest realm="r", nonce="n"');
    const params = parseAuthenticate(session.authorize('GET', '/') ?? '')[0]?.params;
    expect(params?.nc).toBeUndefined();
    expect(params?.cnonce).toBeUndefined();
    expect(params?.response).toMatch(/^[0-9a-f]{32}$/);
  });
});
