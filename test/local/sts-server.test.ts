/**
 * The simulated STS front with the SDK's own AssumeRole credential provider (`fromTemporaryCredentials`), and the
 * EC2 front of the second account accepting only what STS issued: trust (account, external id, principal path)
 * is checked as STS does, signatures and session tokens as AWS does.
 */
import { DescribeVpcsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEc2Client } from '../../lambdas/aws/client.ts';
import { DEMO_AWS } from '../../local/cloud/aws-model.ts';
import { startTestWorld, type TestWorld } from '../support/world.ts';

let w: TestWorld;
const clients: EC2Client[] = [];
beforeAll(async () => {
  w = await startTestWorld({ preset: 'instant', timeScale: 0 });
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await w.close();
});

interface Keys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

const HUB: Keys = { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: DEMO_AWS.secretAccessKey };

function assumed(params: { RoleArn: string; ExternalId?: string }, master: Keys = HUB) {
  return fromTemporaryCredentials({
    params: { RoleSessionName: 'sts-test', DurationSeconds: 900, ...params },
    masterCredentials: master,
    clientConfig: { region: 'us-east-1', endpoint: w.stsUrl },
  });
}

function ec2(credentials: Keys): EC2Client {
  const client = createEc2Client({ region: 'us-east-1', endpoint: w.ec2Url, credentials, maxAttempts: 1 });
  clients.push(client);
  return client;
}

async function error(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

describe('AssumeRole', () => {
  it('issues credentials the second account accepts: its VPC is visible, the first account is not', async () => {
    const spoke = w.world.demo.spoke;
    const provider = assumed({ RoleArn: spoke.roleArn, ExternalId: spoke.externalId });
    const identity = await provider();
    expect(identity.accessKeyId).toMatch(/^ASIA/);
    expect(identity.sessionToken).toBeDefined();
    expect(identity.expiration!.getTime()).toBeGreaterThan(Date.now() + 800_000);

    const vpcs = await ec2(identity).send(new DescribeVpcsCommand({}));
    expect(vpcs.Vpcs?.map((v) => [v.VpcId, v.OwnerId])).toEqual([[spoke.vpcId, spoke.accountId]]);
    const own = await ec2(HUB).send(new DescribeVpcsCommand({}));
    expect(own.Vpcs?.map((v) => v.VpcId)).toEqual([DEMO_AWS.vpcId]);
  });

  it('the temporary key without its session token is refused (AuthFailure)', async () => {
    const spoke = w.world.demo.spoke;
    const identity = await assumed({ RoleArn: spoke.roleArn, ExternalId: spoke.externalId })();
    const withoutToken = { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey };
    const e = await error(ec2(withoutToken).send(new DescribeVpcsCommand({})));
    expect(e.name).toBe('AuthFailure');
  });

  it.each([
    ['a wrong external id', { ExternalId: 'guess' }],
    ['no external id', { ExternalId: undefined }],
    ['a role that does not exist', { RoleArn: `arn:aws:iam::${DEMO_AWS.accountId}:role/Nope` }],
  ])('is denied with %s (AccessDenied, 403)', async (_label, change) => {
    const spoke = w.world.demo.spoke;
    const params = { RoleArn: spoke.roleArn, ExternalId: spoke.externalId, ...change } as {
      RoleArn: string;
      ExternalId?: string;
    };
    if (params.ExternalId === undefined) delete params.ExternalId;
    const e = await error(assumed(params)());
    expect(e.name).toBe('AccessDenied');
    expect(e.$metadata?.httpStatusCode).toBe(403);
    expect(e.message).toContain('is not authorized to perform: sts:AssumeRole');
  });

  it('is denied to a principal of the trusted account outside the workflow role path', async () => {
    const admin = {
      accessKeyId: 'AKIASIMULATEDADMIN01',
      secretAccessKey: 'admin/secret/0000000000000000000000000',
    };
    w.world.aws.addCredential(admin);
    w.world.iam.addPrincipal(admin.accessKeyId, `arn:aws:iam::${DEMO_AWS.accountId}:role/Admin`);
    const spoke = w.world.demo.spoke;
    const e = await error(assumed({ RoleArn: spoke.roleArn, ExternalId: spoke.externalId }, admin)());
    expect(e.name).toBe('AccessDenied');
  });

  it('checks the caller signature: unknown key InvalidClientTokenId, wrong secret SignatureDoesNotMatch', async () => {
    const spoke = w.world.demo.spoke;
    const unknown = await error(
      assumed(
        { RoleArn: spoke.roleArn, ExternalId: spoke.externalId },
        { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' },
      )(),
    );
    expect(unknown.name).toBe('InvalidClientTokenId');
    const wrong = await error(
      assumed(
        { RoleArn: spoke.roleArn, ExternalId: spoke.externalId },
        { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: 'not-the-secret' },
      )(),
    );
    expect(wrong.name).toBe('SignatureDoesNotMatch');
    const log = w.world.log.entries.filter((e) => e.service === 'sts');
    expect(log.some((e) => e.errorCode === 'InvalidClientTokenId')).toBe(true);
    expect(JSON.stringify(log)).not.toContain(DEMO_AWS.secretAccessKey);
  });

  it('answers an unsigned request with MissingAuthenticationToken in the STS error document', async () => {
    const response = await fetch(w.stsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=AssumeRole&Version=2011-06-15',
    });
    expect(response.status).toBe(403);
    const text = await response.text();
    expect(text).toContain('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">');
    expect(text).toContain('<Code>MissingAuthenticationToken</Code>');
  });
});
