/**
 * What the reliability suites share: fresh targets in one world (so many executions can share it, each with
 * a target nobody else touches), the invariants every execution must keep, and generated fault plans.
 *
 * The invariants (issue 9), checked against the world's inventory for the execution's own target:
 * - it ends: SUCCEEDED, or FAILED with one of the workflow's named errors;
 * - on success exactly one Atlas side (serverless endpoint, or endpoint service plus one interface endpoint)
 *   and one VPC endpoint exist for the target, and the output names them;
 * - on failure with rollback on, nothing is left unless the cause and the failed event name it; with rollback
 *   off, exactly what they name is left (everything they name as kept exists);
 * - never two live Atlas sides or VPC endpoints for one target;
 * - the target's lease is given back (unless giving it back failed, when the next execution of the target takes it over);
 * - nothing in the result carries a secret of the world (scanned by the harness's `run`).
 * The target is fresh, so everything there was made by the execution: a resource reported `not-owned` is a
 * misattribution, counted as a leak.
 *
 * And for a `delete` of the target's connection after whatever a create left (issue 10, `checkDelete`):
 * - it ends: SUCCEEDED, or FAILED with a named error and a failed event;
 * - on success nothing of the target is left but what the output names as refused (not provably the
 *   connection's: a dedicated endpoint service no VPC endpoint says the request created), and nothing the
 *   output names as deleted exists;
 * - the target's lease is given back, as above.
 */
import fc from 'fast-check';
import { ErrorNames } from '../../lambdas/core/errors.ts';
import type { EndpointKind } from '../../lambdas/core/state.ts';
import type { FailedEventDetail, ResourceReport } from '../../lambdas/workflow/events.ts';
import type { DeleteOutput } from '../../lambdas/workflow/lifecycle.ts';
import { targetLeaseKey } from '../../lambdas/workflow/operations/lease.ts';
import { StateNames } from '../../lambdas/workflow/steps.ts';
import { ATLAS_LIFECYCLE } from '../../local/cloud/atlas-model.ts';
import { AWS_LIFECYCLE_FAULTS } from '../../local/cloud/aws-model.ts';
import type { FaultEffect, FaultRule } from '../../local/cloud/faults.ts';
import type { World } from '../../local/cloud/world.ts';
import type { LocalRunResult } from '../../local/engine.ts';

/** A target of its own in a shared world, and a valid request for it. */
export interface Target {
  readonly kind: EndpointKind;
  readonly groupId: string;
  readonly instanceName: string;
  readonly vpcId: string;
  readonly region: string;
  readonly request: Readonly<Record<string, unknown>>;
  /** Dedicated: the cluster of the first target of this project and VPC, when this one shares its connection. */
  readonly sharesWith?: string;
}

let targets = 0;
const hexOf = (n: number, width: number) => n.toString(16).padStart(width, '0');

/**
 * Adds a target nobody else uses: a VPC with two subnets (two zones) and a security group; a serverless
 * instance in the demo project, or (dedicated, whose endpoint service is per project and region) a project of
 * its own with a cluster. With `shareWith` (dedicated only): a new cluster in that target's project, reached
 * from that target's VPC: one project, region and VPC, so both requests make (and race for) one connection.
 */
export function addTarget(
  world: World,
  kind: EndpointKind,
  extra: Record<string, unknown> = {},
  shareWith?: Target,
): Target {
  const n = ++targets;
  if (shareWith !== undefined) {
    if (kind !== 'dedicated' || shareWith.kind !== 'dedicated')
      throw new Error('only dedicated targets share');
    const instanceName = `cl-${n}`;
    world.atlas.addCluster({ groupId: shareWith.groupId, name: instanceName, regionName: 'US_EAST_1' });
    const { requestId: _, rollbackOnFailure: __, phaseBudgetSeconds: ___, ...base } = shareWith.request;
    return {
      ...shareWith,
      instanceName,
      sharesWith: shareWith.sharesWith ?? shareWith.instanceName,
      request: { ...base, instanceName, ...extra },
    };
  }
  const salt = 0xe9;
  const id = (prefix: string) => `${prefix}-${hexOf(salt, 4)}${hexOf(n, 13)}`;
  const vpcId = id('vpc');
  world.aws.addVpc({ id: vpcId, cidrBlock: '10.20.0.0/16' });
  const subnetIds = ['a', 'b'].map((zone, i) => {
    const subnetId = `subnet-${hexOf(salt, 4)}${hexOf(n * 2 + i, 13)}`;
    world.aws.addSubnet({
      id: subnetId,
      vpcId,
      cidrBlock: `10.20.${i}.0/24`,
      availabilityZone: `us-east-1${zone}`,
    });
    return subnetId;
  });
  const sg = id('sg');
  world.aws.addSecurityGroup({ id: sg, vpcId, name: `sg-${n}` });
  let groupId = world.demo.groupId as string;
  const instanceName = `${kind === 'serverless' ? 'svl' : 'cl'}-${n}`;
  if (kind === 'serverless') {
    world.atlas.addServerlessInstance({ groupId, name: instanceName, regionName: 'US_EAST_1' });
  } else {
    groupId = `${hexOf(salt, 4)}${hexOf(n, 20)}`;
    world.atlas.addProject({ id: groupId, name: `project-${n}`, orgId: world.demo.orgId });
    world.atlas.addCluster({ groupId, name: instanceName, regionName: 'US_EAST_1' });
  }
  return {
    kind,
    groupId,
    instanceName,
    vpcId,
    region: 'us-east-1',
    request: {
      kind,
      groupId,
      instanceName,
      region: 'us-east-1',
      vpcId,
      subnetIds,
      securityGroupIds: [sg],
      ...extra,
    },
  };
}

/** What lives in the world for a target, as (type, id, status). */
export interface LiveResource {
  readonly type: ResourceReport['type'];
  readonly id: string;
  readonly status: string;
}

export function liveFor(world: World, target: Target): LiveResource[] {
  const inv = world.inventory();
  const out: LiveResource[] = [];
  if (target.kind === 'serverless') {
    for (const e of inv.atlas.serverlessEndpoints) {
      if (e.groupId === target.groupId && e.instanceName === target.instanceName) {
        out.push({ type: 'atlas-serverless-endpoint', id: e.id, status: e.status });
      }
    }
  } else {
    for (const s of inv.atlas.endpointServices) {
      if (s.groupId === target.groupId)
        out.push({ type: 'atlas-endpoint-service', id: s.id, status: s.status });
    }
    for (const i of inv.atlas.interfaceEndpoints) {
      if (i.groupId === target.groupId) {
        out.push({ type: 'atlas-interface-endpoint', id: i.interfaceEndpointId, status: i.connectionStatus });
      }
    }
  }
  for (const v of inv.aws.vpcEndpoints) {
    if (v.vpcId === target.vpcId) out.push({ type: 'vpc-endpoint', id: v.id, status: v.state });
  }
  return out;
}

/** What is wrong with a run, by class. Empty lists: the run kept every invariant. */
export interface Verdict {
  /** Live resources the outcome does not account for. */
  readonly leaks: string[];
  /** A second live Atlas side or VPC endpoint for the target. */
  readonly duplicates: string[];
  /** Every other broken invariant (ending, naming, lease). */
  readonly problems: string[];
}

const NAMED_ERRORS = new Set<string>(Object.values(ErrorNames));
const GOING = new Set(['DELETING', 'deleting']);

export function failedEvent(result: LocalRunResult): FailedEventDetail | undefined {
  return result.events.find((e) => e.detailType === 'Atlas Private Endpoint Failed')?.detail as
    | FailedEventDetail
    | undefined;
}

export function checkRun(
  world: World,
  target: Target,
  result: LocalRunResult,
  rollbackOnFailure: boolean,
  /** A fault hit the lease's DeleteItem: a lease left behind is then taken over by the next execution of the target. */
  releaseFaulted = false,
  /** What lived for the target before the run, made by another request (a shared connection). */
  baseline: readonly LiveResource[] = [],
): Verdict {
  const leaks: string[] = [];
  const duplicates: string[] = [];
  const problems: string[] = [];
  const all = liveFor(world, target);
  const describe = (r: LiveResource) => `${r.type} ${r.id} (${r.status})`;
  const isBaseline = (r: { type: string; id: string }) =>
    baseline.some((b) => b.type === r.type && b.id === r.id);
  problems.push(...baselineProblems(all, baseline));
  // What the execution is accountable for: everything but the other request's connection.
  const live = all.filter((r) => !isBaseline(r));

  // Never two of a kind (ignoring what is on its way out), the other request's connection included.
  for (const type of [
    'atlas-serverless-endpoint',
    'atlas-endpoint-service',
    'atlas-interface-endpoint',
    'vpc-endpoint',
  ] as const) {
    // A REJECTED interface endpoint serves nothing (a kept or not yet cleaned-up failure): not a second one.
    const standing = all.filter(
      (r) =>
        r.type === type &&
        !GOING.has(r.status) &&
        !(type === 'atlas-interface-endpoint' && r.status === 'REJECTED'),
    );
    if (standing.length > 1)
      duplicates.push(`${standing.length} × ${type}: ${standing.map(describe).join(', ')}`);
  }

  if (result.status === 'SUCCEEDED') {
    const out = result.output as {
      atlasEndpointId?: string;
      vpcEndpointId?: string;
      vpcEndpointOwned?: boolean;
    };
    const adopted = isBaseline({ type: 'vpc-endpoint', id: out.vpcEndpointId ?? '' });
    if (out.vpcEndpointOwned !== !adopted)
      problems.push(
        `vpcEndpointOwned is ${out.vpcEndpointOwned}, but the VPC endpoint was ${adopted ? 'adopted' : 'made'}`,
      );
    const expected = new Set<string>([
      `vpc-endpoint ${out.vpcEndpointId}`,
      target.kind === 'serverless'
        ? `atlas-serverless-endpoint ${out.atlasEndpointId}`
        : `atlas-endpoint-service ${out.atlasEndpointId}`,
      ...(target.kind === 'dedicated' ? [`atlas-interface-endpoint ${out.vpcEndpointId}`] : []),
    ]);
    for (const r of live) if (!expected.has(`${r.type} ${r.id}`)) leaks.push(describe(r));
    for (const e of expected) {
      if (!all.some((r) => `${r.type} ${r.id}` === e))
        problems.push(`the output names ${e}, which does not exist`);
    }
  } else {
    const error = result.error?.error ?? '(none)';
    if (!NAMED_ERRORS.has(error)) problems.push(`ended with an unnamed error ${error}`);
    const failure = failedEvent(result)?.failure;
    if (failure === undefined) problems.push('no failed event');
    const named = failure?.resources ?? [];
    for (const n of named) {
      if (isBaseline(n) && n.disposition !== 'not-owned')
        problems.push(`${n.type} ${n.id} of the shared connection is reported ${n.disposition}`);
    }
    const cause = result.error?.cause ?? '';
    for (const r of live) {
      const report = named.find((n) => n.type === r.type && n.id === r.id);
      if (report === undefined || report.disposition === 'deleted' || !cause.includes(r.id)) {
        leaks.push(`${describe(r)}: ${report === undefined ? 'not named' : `named ${report.disposition}`}`);
      } else if (report.disposition === 'not-owned') {
        leaks.push(`${describe(r)}: made by this execution but reported not-owned`);
      } else if (!rollbackOnFailure && report.disposition !== 'kept') {
        problems.push(`${describe(r)}: rollback off, but reported ${report.disposition}`);
      }
    }
    if (!rollbackOnFailure) {
      for (const n of named) {
        if (n.disposition === 'kept' && !live.some((r) => r.type === n.type && r.id === n.id)) {
          problems.push(`${n.type} ${n.id} is reported kept but does not exist`);
        }
      }
    }
  }

  // The lease is given back before every ending, unless giving it back failed (it then expires).
  const held = leaseOf(world, target) !== undefined;
  const releaseFailed = result.history.some(
    (h) => h.state === StateNames.ReleaseTarget && h.kind === 'failed',
  );
  if (held && !releaseFailed && !releaseFaulted) problems.push('the target lease was not given back');
  return { leaks, duplicates, problems };
}

/** The shared connection must outlive the run: each of its resources still stands, as it did before. */
function baselineProblems(all: readonly LiveResource[], baseline: readonly LiveResource[]): string[] {
  return baseline
    .filter((b) => !all.some((r) => r.type === b.type && r.id === b.id && !GOING.has(r.status)))
    .map((b) => `${b.type} ${b.id} of the shared connection no longer stands`);
}

/** The target's lease as the table holds it (given back: undefined). */
export function leaseOf(world: World, target: Target): { holder: string; expiresAt: number } | undefined {
  const key = targetLeaseKey(target);
  const item = Object.values(world.inventory().dynamodb)
    .flat()
    .find((i) => (i.pk as { S?: string } | undefined)?.S === key);
  if (item === undefined) return undefined;
  return {
    holder: (item.holder as { S: string }).S,
    expiresAt: Number((item.expiresAt as { N: string }).N),
  };
}

/** The invariants of a delete of the target's connection (see the module comment). */
export function checkDelete(
  world: World,
  target: Target,
  result: LocalRunResult,
  /** A fault hit the lease's DeleteItem: a lease left behind is then taken over by the next execution of the target. */
  releaseFaulted = false,
  /** The connection another request made that this target shares (its delete must leave it). */
  baseline: readonly LiveResource[] = [],
): Verdict {
  const leaks: string[] = [];
  const problems: string[] = [];
  const all = liveFor(world, target);
  const isBaseline = (r: { type: string; id: string }) =>
    baseline.some((b) => b.type === r.type && b.id === r.id);
  problems.push(...baselineProblems(all, baseline));
  const live = all.filter((r) => !isBaseline(r));
  const describe = (r: LiveResource) => `${r.type} ${r.id} (${r.status})`;
  if (result.status === 'SUCCEEDED') {
    const out = result.output as DeleteOutput;
    for (const d of out.deleted) {
      if (isBaseline(d)) problems.push(`${d.type} ${d.id} of the shared connection is reported deleted`);
    }
    for (const r of live) {
      if (GOING.has(r.status)) continue;
      if (!out.refused.some((x) => x.type === r.type && x.id === r.id))
        leaks.push(`${describe(r)}: not named refused`);
    }
    for (const d of out.deleted) {
      if (live.some((r) => r.type === d.type && r.id === d.id && !GOING.has(r.status)))
        problems.push(`${d.type} ${d.id} is reported deleted but exists`);
    }
  } else {
    const error = result.error?.error ?? '(none)';
    if (!NAMED_ERRORS.has(error)) problems.push(`ended with an unnamed error ${error}`);
    if (failedEvent(result) === undefined) problems.push('no failed event');
  }
  const releaseFailed = result.history.some(
    (h) => h.state === StateNames.ReleaseTarget && h.kind === 'failed',
  );
  if (leaseOf(world, target) !== undefined && !releaseFailed && !releaseFaulted)
    problems.push('the target lease was not given back');
  return { leaks, duplicates: [], problems };
}

// ---------------------------------------------------------------------------------------------------------
// Generated fault plans

const ATLAS_OPERATIONS: Readonly<Record<EndpointKind, readonly string[]>> = {
  serverless: [
    'createServerlessPrivateEndpoint',
    'listServerlessPrivateEndpoint',
    'getServerlessPrivateEndpoint',
    'updateServerlessPrivateEndpoint',
    'deleteServerlessPrivateEndpoint',
    'getServerlessInstance',
  ],
  dedicated: [
    'createPrivateEndpointService',
    'listPrivateEndpointService',
    'getPrivateEndpointService',
    'deletePrivateEndpointService',
    'createPrivateEndpoint',
    'getPrivateEndpoint',
    'deletePrivateEndpoint',
    'getCluster',
  ],
};
const EC2_OPERATIONS = ['CreateVpcEndpoint', 'DescribeVpcEndpoints', 'DeleteVpcEndpoints', 'DescribeSubnets'];
const DYNAMODB_OPERATIONS = ['PutItem', 'DeleteItem'];
const LIFECYCLE: Readonly<Record<EndpointKind, readonly string[]>> = {
  serverless: [
    ATLAS_LIFECYCLE.serverlessReserve,
    ATLAS_LIFECYCLE.serverlessAccept,
    ATLAS_LIFECYCLE.serverlessDelete,
  ],
  dedicated: [
    ATLAS_LIFECYCLE.endpointServiceCreate,
    ATLAS_LIFECYCLE.interfaceEndpointAccept,
    ATLAS_LIFECYCLE.interfaceEndpointAvailable,
    ATLAS_LIFECYCLE.interfaceEndpointDelete,
    ATLAS_LIFECYCLE.endpointServiceDelete,
  ],
};

/** Effects a service answer can have (no real-time delays: a plan costs virtual time only). */
const httpEffect: fc.Arbitrary<FaultEffect> = fc.oneof(
  fc.constantFrom(500, 502, 503, 504).map((status) => ({ kind: 'http-error', status }) as FaultEffect),
  fc.constant<FaultEffect>({ kind: 'rate-limit' }),
  fc.constant<FaultEffect>({ kind: 'rate-limit', retryAfterSeconds: 2 }),
  fc.constant<FaultEffect>({ kind: 'drop-connection' }),
  fc.constant<FaultEffect>({ kind: 'drop-after-commit' }),
);
const ec2Effect: fc.Arbitrary<FaultEffect> = fc.oneof(
  httpEffect,
  fc.constantFrom(
    { kind: 'ec2-error', code: 'RequestLimitExceeded', status: 503 } as FaultEffect,
    { kind: 'ec2-error', code: 'VpcEndpointLimitExceeded', status: 400 } as FaultEffect,
    { kind: 'ec2-error', code: 'UnauthorizedOperation', status: 403 } as FaultEffect,
  ),
);
const lifecycleEffect: fc.Arbitrary<FaultEffect> = fc.constantFrom<FaultEffect>(
  { kind: 'fail-transition', errorMessage: 'generated failure' },
  { kind: 'stuck' },
);

/** How often a rule fires: once, a few times, or for good. */
const times = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }) },
  { weight: 1, arbitrary: fc.constant(1000) },
);

function rule(operations: readonly string[], effect: fc.Arbitrary<FaultEffect>): fc.Arbitrary<FaultRule> {
  return fc.record({
    operation: fc.constantFrom(...operations),
    occurrence: fc.integer({ min: 1, max: 4 }),
    times,
    effect,
  });
}

/** The calls that change something, per kind: where a lost answer hides a side effect. */
export const MUTATING_OPERATIONS: Readonly<Record<EndpointKind, readonly string[]>> = {
  serverless: [
    'createServerlessPrivateEndpoint',
    'updateServerlessPrivateEndpoint',
    'deleteServerlessPrivateEndpoint',
    'CreateVpcEndpoint',
    'DeleteVpcEndpoints',
    'PutItem',
    'DeleteItem',
  ],
  dedicated: [
    'createPrivateEndpointService',
    'createPrivateEndpoint',
    'deletePrivateEndpoint',
    'deletePrivateEndpointService',
    'CreateVpcEndpoint',
    'DeleteVpcEndpoints',
    'PutItem',
    'DeleteItem',
  ],
};

/**
 * One to three faults anywhere an execution of `kind` goes, the cleanup included; in two plans of five, one of
 * them is an answer lost after a mutating call took effect (the class behind most duplicates and leaks),
 * with the clouds' own transitions failing or sticking as well.
 */
export function faultPlan(kind: EndpointKind): fc.Arbitrary<FaultRule[]> {
  const lostAnswer = fc.record({
    operation: fc.constantFrom(...MUTATING_OPERATIONS[kind]),
    occurrence: fc.integer({ min: 1, max: 2 }),
    times: fc.oneof(fc.constant(1), fc.constant(1000)),
    effect: fc.constant<FaultEffect>({ kind: 'drop-after-commit' }),
  });
  const lifecycle = fc.record({
    operation: fc.constantFrom(
      ...LIFECYCLE[kind],
      AWS_LIFECYCLE_FAULTS.provision,
      AWS_LIFECYCLE_FAULTS.delete,
    ),
    occurrence: fc.integer({ min: 1, max: 2 }),
    times: fc.constant(1),
    effect: lifecycleEffect,
  });
  return fc.oneof(
    { weight: 3, arbitrary: anyFaults(kind) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(lostAnswer, fc.array(fc.oneof(lifecycle, lostAnswer), { maxLength: 2 }))
        .map(([first, rest]) => [first, ...rest]),
    },
  );
}

/**
 * Faults for a delete: one to three answers of Atlas, EC2 or the lease table going wrong (errors, throttling,
 * dropped connections, answers lost after the call took effect), the delete's own calls included. The clouds'
 * transitions are left alone: a transition stuck for good outlives any re-run, which is a cloud's problem.
 */
export function deleteFaultPlan(kind: EndpointKind): fc.Arbitrary<FaultRule[]> {
  const lostAnswer = fc.record({
    operation: fc.constantFrom(...MUTATING_OPERATIONS[kind]),
    occurrence: fc.integer({ min: 1, max: 2 }),
    times: fc.oneof(fc.constant(1), fc.constant(1000)),
    effect: fc.constant<FaultEffect>({ kind: 'drop-after-commit' }),
  });
  return fc.array(
    fc.oneof(
      { weight: 3, arbitrary: rule(ATLAS_OPERATIONS[kind], httpEffect) },
      { weight: 2, arbitrary: rule(EC2_OPERATIONS, ec2Effect) },
      { weight: 1, arbitrary: rule(DYNAMODB_OPERATIONS, httpEffect) },
      { weight: 2, arbitrary: lostAnswer },
    ),
    { minLength: 1, maxLength: 3 },
  );
}

function anyFaults(kind: EndpointKind): fc.Arbitrary<FaultRule[]> {
  return fc.array(
    fc.oneof(
      { weight: 4, arbitrary: rule(ATLAS_OPERATIONS[kind], httpEffect) },
      { weight: 2, arbitrary: rule(EC2_OPERATIONS, ec2Effect) },
      { weight: 1, arbitrary: rule(DYNAMODB_OPERATIONS, httpEffect) },
      {
        weight: 3,
        arbitrary: fc.record({
          operation: fc.constantFrom(
            ...LIFECYCLE[kind],
            AWS_LIFECYCLE_FAULTS.provision,
            AWS_LIFECYCLE_FAULTS.delete,
          ),
          occurrence: fc.integer({ min: 1, max: 2 }),
          times: fc.constant(1),
          effect: lifecycleEffect,
        }),
      },
    ),
    { minLength: 1, maxLength: 3 },
  );
}

/** Small budgets: a stuck phase ends after a handful of checks. */
export const SHORT_BUDGETS = { atlasEndpoint: 60, vpcEndpoint: 60, link: 60, connection: 60, cleanup: 120 };

/**
 * The seed of the generated plans: `RELIABILITY_SEED` (a number, or `random`), else a fixed one, so every
 * `npm test` (CI included) runs the same plans. fast-check prints the seed and the failing plan on failure.
 */
export function reliabilitySeed(): number {
  const given = process.env.RELIABILITY_SEED;
  if (given === 'random') return Math.floor(Math.random() * 2 ** 31);
  if (given !== undefined && given !== '' && Number.isInteger(Number(given))) return Number(given);
  return 20261203;
}
