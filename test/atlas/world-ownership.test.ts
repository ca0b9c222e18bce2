/**
 * The kind clients' ownership facts against the simulated Atlas over HTTP: the marker a serverless endpoint
 * carries in its comment (written by create and link, the only thing findExisting and the converge look-up
 * accept), and whether Atlas answered a create itself (`confirmed`) or a look-up found the resource after the
 * answer was lost. Also the world's `drop-after-commit` fault those cases need.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  carriesMarker,
  markedComment,
  OWNERSHIP_MARKER_LENGTH,
  ownershipMarker,
} from '../../lambdas/atlas/kind-common.ts';
import type { FaultEffect } from '../../local/cloud/faults.ts';
import { type AtlasHarness, KINDS, startAtlasHarness } from './harness.ts';

let h: AtlasHarness;
beforeEach(async () => {
  h = await startAtlasHarness();
});
afterEach(async () => {
  await h.close();
});

const CREATE = { serverless: 'createServerlessPrivateEndpoint', dedicated: 'createPrivateEndpointService' };
const MINE = ownershipMarker('request-1');
const THEIRS = ownershipMarker('request-2');

/** Applies `effect` to the next call of `operation` (fault occurrences count from the world's start). */
const onNext = (operation: string, effect: FaultEffect) =>
  h.world.faults.add({ operation, occurrence: h.world.faults.count(operation) + 1, effect });

/** The comment Atlas stores on a serverless endpoint. */
const commentOf = (id: string) =>
  h.world.atlas.getServerlessEndpoint(h.demo.groupId, h.demo.serverlessInstanceName, id).comment;

describe('the marker', () => {
  it('is 16 characters, one per request id, and recognised only at the end of a comment', () => {
    expect(MINE).toMatch(/^\[ape:[0-9a-f]{10}\]$/);
    expect(MINE).toHaveLength(OWNERSHIP_MARKER_LENGTH);
    expect(ownershipMarker('request-1')).toBe(MINE);
    expect(THEIRS).not.toBe(MINE);
    expect(markedComment('orders app', MINE)).toBe(`orders app ${MINE}`);
    expect(markedComment(undefined, MINE)).toBe(MINE);
    expect(markedComment('', MINE)).toBe(MINE);
    expect(carriesMarker(`orders app ${MINE}`, MINE)).toBe(true);
    expect(carriesMarker(MINE, MINE)).toBe(true);
    expect(carriesMarker(`orders app ${THEIRS}`, MINE)).toBe(false);
    expect(carriesMarker(`${MINE} orders app`, MINE)).toBe(false);
    expect(carriesMarker(`x${MINE}`, MINE)).toBe(false);
    expect(carriesMarker(undefined, MINE)).toBe(false);
  });
});

describe('serverless endpoints with a marker', () => {
  it('create writes it after the comment, link keeps it, and the views say the endpoint carries it', async () => {
    const k = h.kind('serverless', 'service-account');
    const t = { ...h.target('serverless', 'orders app'), ownershipMarker: MINE };
    const { view, created, confirmed } = await k.create(t);
    expect([created, confirmed, view.carriesMarker]).toEqual([true, true, true]);
    expect(commentOf(view.id)).toBe(`orders app ${MINE}`);
    h.tick();
    const ready = await k.describe(t, view.id);
    const vpce = await h.createVpcEndpoint(ready.endpointServiceName ?? '');
    await k.link(t, view.id, vpce);
    expect(commentOf(view.id)).toBe(`orders app ${MINE}`);
    expect((await k.describe(t, view.id)).carriesMarker).toBe(true);
    // Another request's target sees the same endpoint as not its own.
    expect((await k.describe({ ...t, ownershipMarker: THEIRS }, view.id)).carriesMarker).toBe(false);
  });

  it('findExisting returns only an unlinked endpoint carrying the marker, never an unmarked one', async () => {
    const k = h.kind('serverless', 'api-key');
    const plain = h.target('serverless', 'app');
    await k.create(plain); // same comment, no marker
    await k.create(h.target('serverless')); // no comment at all
    const theirs = await k.create({ ...plain, ownershipMarker: THEIRS });
    h.tick();
    const mine = { ...plain, ownershipMarker: MINE };
    expect(await k.findExisting(mine)).toBeUndefined();
    const own = await k.create(mine);
    h.tick();
    expect(await k.findExisting(mine)).toMatchObject({ id: own.view.id, carriesMarker: true });
    expect((await k.findExisting({ ...plain, ownershipMarker: THEIRS }))?.id).toBe(theirs.view.id);
  });

  it('a link to an endpoint that is not the target’s own keeps that endpoint’s comment', async () => {
    const k = h.kind('serverless', 'service-account');
    const theirs = await k.create({ ...h.target('serverless', 'theirs'), ownershipMarker: THEIRS });
    h.tick();
    const name = (await k.describe(h.target('serverless'), theirs.view.id)).endpointServiceName ?? '';
    const vpce = await h.createVpcEndpoint(name);
    await k.link({ ...h.target('serverless', 'mine'), ownershipMarker: MINE }, theirs.view.id, vpce);
    expect(commentOf(theirs.view.id)).toBe(`theirs ${THEIRS}`);
  });

  it('after an answer lost past the commit, the converge look-up finds the marked endpoint', async () => {
    // A foreign unlinked endpoint with the same comment is there too: the marker tells them apart.
    const other = await h.kind('serverless', 'api-key').create(h.target('serverless', 'app'));
    onNext(CREATE.serverless, { kind: 'drop-after-commit' });
    const k = h.kind('serverless', 'service-account');
    const { view, created, confirmed } = await k.create({
      ...h.target('serverless', 'app'),
      ownershipMarker: MINE,
    });
    expect([created, confirmed, view.carriesMarker]).toEqual([true, false, true]);
    expect(view.id).not.toBe(other.view.id);
    // The world made it, recorded the answer it would have sent, and dropped the connection instead.
    const answered = h.world.log.of(CREATE.serverless).filter((e) => e.status !== 401);
    expect(answered.map((e) => [e.status, e.fault])).toEqual([
      [201, undefined],
      [201, 'drop-after-commit'],
    ]);
    expect(h.world.inventory().atlas.serverlessEndpoints).toHaveLength(2);
  });
});

describe('the converge look-up without a marker (tools and tests)', () => {
  it('never claims an unlinked endpoint when the target has no comment either: the POST is sent again', async () => {
    const foreign = await h.kind('serverless', 'api-key').create(h.target('serverless'));
    onNext(CREATE.serverless, { kind: 'drop-connection' });
    const k = h.kind('serverless', 'service-account');
    const { view, confirmed } = await k.create(h.target('serverless'));
    expect(view.id).not.toBe(foreign.view.id);
    expect(confirmed).toBe(true);
    // (The API key's Digest challenge, a 401 Atlas did not act on, is left out.)
    expect(h.calls().filter((c) => c.startsWith(CREATE.serverless) && !c.endsWith(' 401'))).toEqual([
      `${CREATE.serverless} 201`,
      `${CREATE.serverless} 0`,
      `${CREATE.serverless} 201`,
    ]);
  });
});

describe.each(KINDS)('%s: create says whether Atlas answered it', (kind) => {
  it('answered: confirmed; found by the converge look-up after a lost answer: not confirmed', async () => {
    const k = h.kind(kind, 'service-account');
    const t = { ...h.target(kind), ownershipMarker: MINE };
    const answered = await k.create(t);
    expect([answered.created, answered.confirmed]).toEqual([true, true]);
    if (kind === 'dedicated') {
      // One service per region: the second create is a 409, adopted: neither created nor confirmed.
      expect(await k.create(t)).toMatchObject({ created: false, confirmed: false });
      await k.remove(t, answered.view.id);
      h.tick();
      expect(h.world.inventory().atlas.endpointServices).toEqual([]);
    }
    onNext(CREATE[kind], { kind: 'drop-after-commit' });
    const lost = await k.create(t);
    expect([lost.created, lost.confirmed, lost.view.carriesMarker]).toEqual([
      true,
      false,
      kind === 'serverless',
    ]);
  });
});
