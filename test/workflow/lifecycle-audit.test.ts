/**
 * The scheduled audit (`{"action": "audit"}`, what the schedule sends), through the local engine: it finds
 * every connection this deployment manages by the VPC endpoints' tags, checks each in the Map, and publishes
 * one drift event per drifted connection; a connection deleted on purpose is not drift.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorNames } from '../../lambdas/core/errors.ts';
import { DetailTypes } from '../../lambdas/workflow/events.ts';
import type { AuditOutput, CheckOutput } from '../../lambdas/workflow/lifecycle.ts';
import { StateNames as S } from '../../lambdas/workflow/steps.ts';
import { makeDrift } from '../../local/cloud/drift.ts';
import { causeText, newWorld, type TestWorld } from './harness.ts';
import { createConnection, deleteOutput, driftEvents, runAction } from './lifecycle-harness.ts';

let world: TestWorld | undefined;
afterEach(async () => {
  if (world) {
    expect(world.contractViolations()).toEqual([]);
    await world.close();
    world = undefined;
  }
});

const VPC_B = 'vpc-0b1c2d3e4f5a60719';

describe('the scheduled audit', () => {
  it('checks every managed connection and reports drift among several, once each', async () => {
    const w = await newWorld({ preset: 'instant' });
    world = w;
    const aws = w.world.aws;
    aws.addVpc({ id: VPC_B, cidrBlock: '10.1.0.0/16' });
    aws.addSubnet({
      id: 'subnet-0b1c2d3e4f5a60719',
      vpcId: VPC_B,
      cidrBlock: '10.1.1.0/24',
      availabilityZone: 'us-east-1a',
    });
    aws.addSecurityGroup({ id: 'sg-0b1c2d3e4f5a60719', vpcId: VPC_B, name: 'b' });
    const inB = {
      vpcId: VPC_B,
      subnetIds: ['subnet-0b1c2d3e4f5a60719'],
      securityGroupIds: ['sg-0b1c2d3e4f5a60719'],
    };

    const serverless = await createConnection(w, 'serverless');
    const dedicatedA = await createConnection(w, 'dedicated');
    const dedicatedB = await createConnection(w, 'dedicated', inB);
    const serverlessB = await createConnection(w, 'serverless', inB);
    // Drift in two of them; a third is deleted on purpose (its VPC endpoint is still listed as deleted).
    makeDrift(w.world, 'vpc-endpoint-rejected', serverless);
    makeDrift(w.world, 'vpc-endpoint-deleted', dedicatedB);
    deleteOutput(await runAction(w, { ...serverlessB, action: 'delete' }));

    const result = await runAction(w, { action: 'audit' }, 'audit');
    expect(result.status, causeText(result)).toBe('SUCCEEDED');
    expect(result.path).toEqual(
      expect.arrayContaining([S.ListConnections, S.CheckEachConnection, S.AuditInspectConnection, S.Audited]),
    );
    const output = result.output as AuditOutput;
    expect(output).toMatchObject({ action: 'audit', region: 'us-east-1', unidentified: [] });
    const reports = output.reports as CheckOutput[];
    const byVpce = new Map(reports.map((r) => [r.vpcEndpoint?.id, r]));
    expect(reports).toHaveLength(4);
    expect(byVpce.get(serverless.vpcEndpointId)?.status).toBe('DRIFTED');
    expect(byVpce.get(dedicatedB.vpcEndpointId)?.status).toBe('DRIFTED');
    expect(byVpce.get(dedicatedA.vpcEndpointId)?.status).toBe('HEALTHY');
    expect(byVpce.get(serverlessB.vpcEndpointId)?.status).toBe('ABSENT');

    // One drift event per drifted connection, and nothing for the healthy or the deleted one.
    const events = driftEvents(result);
    expect(events.map((e) => e.vpcEndpoint?.id).sort()).toEqual(
      [serverless.vpcEndpointId, dedicatedB.vpcEndpointId].sort(),
    );
    expect(result.events.every((e) => e.detailType === DetailTypes.DriftDetected)).toBe(true);
    expect(
      events.find((e) => e.vpcEndpoint?.id === serverless.vpcEndpointId)?.drift.map((d) => d.kind),
    ).toContain('vpc-endpoint-rejected');
    expect(
      events.find((e) => e.vpcEndpoint?.id === dedicatedB.vpcEndpointId)?.drift.map((d) => d.kind),
    ).toContain('vpc-endpoint-deleted');
  });

  it('refuses an audit input with other fields, naming them, before reading anything', async () => {
    const w = await newWorld({ preset: 'instant' });
    world = w;
    const result = await runAction(w, { action: 'audit', groupId: '5f7cac1adf5d6c6306f4b283' }, 'audit');
    expect(result.status).toBe('FAILED');
    expect(result.error?.error).toBe(ErrorNames.InvalidRequest);
    expect(causeText(result)).toMatch(/groupId: is not a field of the audit input/);
    expect(w.world.log.counts().DescribeVpcEndpoints ?? 0).toBe(0);
  });
});
