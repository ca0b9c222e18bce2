/**
 * The engine against an external target (what `npm start -- --atlas-url` runs: no world clock is passed):
 * - its clock starts at the real now, so the lease it writes into a real table expires after the run, not days
 *   before it (the simulated world's own runs keep the world's fixed epoch);
 * - its Step Functions front answers DescribeExecution for its executions (RUNNING while they run, then their
 *   ending, ABORTED once the caller aborts them) and ExecutionDoesNotExist for an ARN it never ran.
 */
import { DescribeExecutionCommand, ExecutionDoesNotExist } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { createSfnClient } from '../../lambdas/aws/executions.ts';
import { isTargetLeaseKey } from '../../lambdas/core/leases.ts';
import { DEMO_AWS } from '../../local/cloud/aws-model.ts';
import { type RunningWorld, startWorld } from '../../local/cloud/index.ts';
import { type LocalTarget, localExecutionArn, runLocalWorkflow } from '../../local/engine.ts';
import { localExecutions, localSfnUrl } from '../../local/sfn-server.ts';

let running: RunningWorld | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

function targetOf(w: RunningWorld): LocalTarget {
  const d = w.world.demo;
  return {
    atlasUrl: w.atlasUrl,
    ec2Url: w.ec2Url,
    stsUrl: w.stsUrl,
    dynamodbUrl: w.dynamodbUrl,
    atlasCredentials: d.serviceAccount,
    awsCredentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: DEMO_AWS.secretAccessKey },
    awsRegion: d.awsRegion,
  };
}

function requestOf(w: RunningWorld) {
  const d = w.world.demo;
  return {
    kind: 'dedicated',
    groupId: d.groupId,
    instanceName: d.clusterName,
    region: d.awsRegion,
    vpcId: d.vpcId,
    subnetIds: [...d.subnetIds],
    securityGroupIds: [...d.securityGroupIds],
  };
}

async function describeExecution(arn: string) {
  const sfn = createSfnClient({
    region: 'us-east-1',
    endpoint: await localSfnUrl(),
    credentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: DEMO_AWS.secretAccessKey },
  });
  try {
    return await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
  } finally {
    sfn.destroy();
  }
}

describe('an external run', () => {
  it('writes a lease that expires after the real now (its clock starts at the real now)', async () => {
    running = await startWorld({
      preset: 'instant',
      timeScale: 0,
      // The release fails: the lease stays in the table for the test to read.
      faults: [
        {
          operation: 'DeleteItem',
          times: Number.POSITIVE_INFINITY,
          effect: { kind: 'http-error', status: 500 },
        },
      ],
    });
    const before = Date.now();
    const result = await runLocalWorkflow({ input: requestOf(running), target: targetOf(running) });
    expect(result.status).toBe('SUCCEEDED');
    const items = Object.values(running.world.inventory().dynamodb)
      .flat()
      .filter((item) => isTargetLeaseKey((item.pk as { S?: string } | undefined)?.S));
    expect(items, 'the lease is left (its release failed)').toHaveLength(1);
    const item = items[0] as Record<string, { S?: string; N?: string }>;
    const acquiredAt = Date.parse(item.acquiredAt?.S ?? '');
    const expiresAt = Number(item.expiresAt?.N) * 1000;
    expect(acquiredAt).toBeGreaterThanOrEqual(before - 1000);
    expect(acquiredAt).toBeLessThanOrEqual(Date.now() + 1000);
    expect(expiresAt, 'the lease expires hours after the real now').toBeGreaterThan(Date.now() + 3600_000);
    // The world's own clock keeps its fixed epoch.
    expect(new Date(running.world.clock.now()).toISOString().slice(0, 10)).toBe('2026-11-28');

    // Step Functions (the engine's front) knows the execution and its ending.
    const described = await describeExecution(localExecutionArn(result.executionName));
    expect(described.status).toBe('SUCCEEDED');
  });

  it('is RUNNING while it runs and ABORTED once aborted; an ARN it never ran does not exist', async () => {
    running = await startWorld({ preset: 'instant', timeScale: 0 });
    const controller = new AbortController();
    const name = `aborted-${Date.now()}`;
    const arn = localExecutionArn(name);
    let seen: string | undefined;
    const result = await runLocalWorkflow({
      input: requestOf(running),
      target: targetOf(running),
      executionName: name,
      signal: controller.signal,
      onHistory: (entry) => {
        if (entry.kind === 'entered' && entry.state === 'Create Atlas endpoint' && seen === undefined) {
          seen = localExecutions.statusOf(arn);
          controller.abort();
        }
      },
    });
    expect(seen).toBe('RUNNING');
    // The engine went on (nothing stops a local run midway), but the execution stays ABORTED, as after
    // StopExecution: its ending is not news.
    expect(result.status).toBe('SUCCEEDED');
    expect((await describeExecution(arn)).status).toBe('ABORTED');
    await expect(describeExecution(localExecutionArn('never-ran-here'))).rejects.toBeInstanceOf(
      ExecutionDoesNotExist,
    );
  });
});
