/**
 * Anchors: the same world timelines replayed with the polling loops of the tools users would otherwise pick.
 *
 * A replay takes a {@link ProviderTimeline} (how long each provider process took in one of our runs, read
 * from the world's transition log, each relative to the action that started it) and a tool's loop written as
 * a list of {@link Step}s, and computes when the tool would notice each transition and how many Atlas calls it
 * would make on the way. It does not call the world: each tool starts the same processes in its own order,
 * and each process takes what it took in the world. The VPC endpoint is created and awaited by the AWS side
 * of each tool (the AWS provider, an `AWS::EC2::VPCEndpoint`, the user of the operator): the replay gives it
 * to every tool at the moment it is ready, at no Atlas call (this favours the tools).
 *
 * Schedules. Source: `../shared/reference/atlas-api-facts.md` §10, row "polling used by the tools":
 * "TF: service 5 s delay then 5–10 s polls (1 h); interface endpoint 10 s delay then 10 s polls (2 h), then
 * cluster IDLE. TF's old serverless link: a fixed 5-minute delay. CFN: 20 s callbacks (service), 10 s then
 * 20 s (interface), 120 min default. AKO: requeue every 10 s, resync every 15 min". Details read from the
 * tools' own source (stored versions, read 2026-12):
 * - Terraform provider (mongodb/terraform-provider-mongodbatlas): every wait is a plugin SDK
 *   `retry.StateChangeConf`, whose loop is modelled exactly in {@link stateChangeConfChecks}: first refresh
 *   right after `Delay`, then waits that start at `MinTimeout` and double up to 10 s.
 *   `privatelinkendpoint/resource.go`: service `Delay`/`MinTimeout` 5 s, then one read.
 *   `privatelinkendpointservice/resource.go`: interface endpoint POST, wait for `AVAILABLE` (10 s / 10 s), then
 *   the project's cluster list until every cluster is `IDLE` (10 s / 10 s, one list call per refresh), then
 *   one read. The old serverless resources (`privatelinkendpointserverless/…`,
 *   `privatelinkendpointserviceserverless/resource_privatelink_endpoint_service_serverless.go`): endpoint POST,
 *   wait for `RESERVED` (5 s / 5 s), one read; link: one GET, the PATCH, wait for `AVAILABLE` with
 *   `Delay: 5 * time.Minute` and `MinTimeout` 5 s, then the project's serverless instances until `IDLE`, also
 *   with a 5-minute `Delay` (the facts row names the first delay; the source has both), then one read.
 * - CloudFormation resources (mongodb/mongodbatlas-cloudformation-resources): each callback is one handler
 *   run making one GET. `private-endpoint-aws`: POST, first callback after 10 s, then every 20 s until
 *   `AVAILABLE`; the service resource calls back every 20 s. `serverless-private-endpoint`: callbacks every
 *   5 s (`callbackDelayInSeconds = 5`); once `RESERVED` the same handler creates the AWS endpoint and PATCHes
 *   at once (it does not wait for the VPC endpoint), then 5 s callbacks until `AVAILABLE`. No resource waits
 *   for the cluster.
 * - Kubernetes operator (mongodb/mongodb-atlas-kubernetes): a resource that is not ready is requeued every
 *   10 s (`workflow.DefaultRetry`).
 *
 * ASSUMPTIONS (no source gives these; each is chosen in the tools' favour where it matters):
 * - ASSUMPTION: a tool that ends with the link makes one more GET of the cluster (instance) to hand the user
 *   the connection string (a data source, a `GetAtt`, the operator's connection secret); if the private
 *   string is not there yet, the tool "does not deliver" (reported, no overhead figure).
 * - ASSUMPTION: one Atlas call per operator reconcile, and the operator keeps requeueing every 10 s until the
 *   private connection string appears (its 15-minute resync of ready resources is not applied).
 * - ASSUMPTION: a CloudFormation callback runs exactly `CallbackDelaySeconds` after the previous one (the
 *   service adds its own latency in reality).
 * - Token requests and HTTP Digest challenges are not counted for the tools (ours counts everything the world
 *   served, including its token request).
 */
import { PHASES, type PollPhase } from '../lambdas/workflow/steps.ts';

export type Kind = 'serverless' | 'dedicated';

/** The provider's own durations in one run, in ms, each relative to the action that started the process. */
export interface ProviderTimeline {
  readonly kind: Kind;
  /** Atlas endpoint (serverless) or endpoint service (dedicated) create → endpoint service name available. */
  readonly serviceReadyMs: number;
  /** VPC endpoint create → `pendingAcceptance` (or `available`). */
  readonly vpcEndpointReadyMs: number;
  /** Link (serverless PATCH, dedicated interface endpoint POST) → `AVAILABLE`. */
  readonly linkAvailableMs: number;
  /** Link → the deployment's `connectionStrings.privateEndpoint[]` names the VPC endpoint. */
  readonly connectionStringMs: number;
  /** Link-relative intervals in which the deployment's `stateName` is not `IDLE` ([from, to), ms). */
  readonly deploymentBusy: readonly { readonly fromMs: number; readonly toMs: number }[];
}

/** When a tool checks, relative to the start of its wait (ms). Generators are infinite; callers bound them. */
export type Schedule =
  | { readonly type: 'ladder'; readonly firstMs: number; readonly intervalsMs: readonly number[] }
  | { readonly type: 'stateChangeConf'; readonly delayMs: number; readonly minTimeoutMs: number };

/** The provider processes a replay tracks; a step may start one. */
export type Process = 'service' | 'vpcEndpoint' | 'link';

/** What a wait waits for. */
export type Condition =
  | 'serviceReady'
  | 'vpcEndpointReady'
  | 'linkAvailable'
  | 'connectionString'
  | 'deploymentIdle';

export type Step =
  /** Atlas calls made at once (a create, a read); `starts` marks the process the call starts. */
  | { readonly type: 'call'; readonly label: string; readonly calls: number; readonly starts?: Process }
  /** A polling loop: `callsPerCheck` Atlas calls at each check until `until` holds. */
  | {
      readonly type: 'poll';
      readonly label: string;
      readonly schedule: Schedule;
      readonly until: Condition;
      readonly callsPerCheck: number;
    }
  /** Waiting outside Atlas (the AWS side): noticed the moment `until` holds, no Atlas call. */
  | { readonly type: 'await'; readonly label: string; readonly until: Condition }
  /** The final read that hands the user the connection string (it may not be there yet). */
  | { readonly type: 'deliver'; readonly label: string; readonly calls: number };

export interface ToolModel {
  readonly id: string;
  readonly name: string;
  readonly steps: Readonly<Record<Kind, readonly Step[]>>;
}

export interface ReplayResult {
  /** When the tool's loop ends (ms from its first call). */
  readonly endMs: number;
  readonly atlasCalls: number;
  /** Whether the last read found the private connection string. */
  readonly delivers: boolean;
  /** The same steps with every check instant: what the provider alone takes along this tool's path. */
  readonly providerMs: number;
  /** `endMs - providerMs` when the tool delivers the string; null otherwise. */
  readonly overheadMs: number | null;
  /** Per step: when it ended and the Atlas calls it made. */
  readonly steps: readonly { readonly label: string; readonly endMs: number; readonly calls: number }[];
}

/** A bound on any wait: no tool waits longer than a day (the replay stops and reports what it had). */
export const REPLAY_LIMIT_MS = 24 * 3600 * 1000;

/** Check times (ms from the wait's start) of a schedule, in order. */
export function* checkTimes(schedule: Schedule): Generator<number> {
  if (schedule.type === 'ladder') {
    let t = schedule.firstMs;
    yield t;
    for (let k = 0; ; k++) {
      const list = schedule.intervalsMs;
      t += list[Math.min(k, list.length - 1)] ?? 10_000;
      yield t;
    }
  }
  yield* stateChangeConfChecks(schedule.delayMs, schedule.minTimeoutMs);
}

/**
 * terraform-plugin-sdk `retry.StateChangeConf.WaitForStateContext`: sleep `Delay`; refresh at once (the first
 * round waits 0, then sets the wait to 100 ms); after each refresh the wait doubles and is bounded to
 * [MinTimeout, 10 s] (MinTimeout wins when it is larger than 10 s).
 */
export function* stateChangeConfChecks(delayMs: number, minTimeoutMs: number): Generator<number> {
  let t = delayMs;
  yield t;
  let wait = 100;
  for (;;) {
    wait *= 2;
    if (wait < minTimeoutMs) wait = minTimeoutMs;
    else if (wait > 10_000) wait = 10_000;
    t += wait;
    yield t;
  }
}

interface Clocks {
  service?: number;
  vpcEndpoint?: number;
  link?: number;
}

/** Whether `condition` holds at absolute time `t` of the replay, given when each process started. */
function holds(condition: Condition, t: number, tl: ProviderTimeline, started: Clocks): boolean {
  const since = (p: Process) => (started[p] === undefined ? Number.NEGATIVE_INFINITY : t - started[p]);
  switch (condition) {
    case 'serviceReady':
      return since('service') >= tl.serviceReadyMs;
    case 'vpcEndpointReady':
      return since('vpcEndpoint') >= tl.vpcEndpointReadyMs;
    case 'linkAvailable':
      return since('link') >= tl.linkAvailableMs;
    case 'connectionString':
      return since('link') >= tl.connectionStringMs;
    case 'deploymentIdle': {
      const s = since('link');
      return !tl.deploymentBusy.some((b) => s >= b.fromMs && s < b.toMs);
    }
  }
}

/** The first time >= `from` at which `condition` holds (conditions only change at the timeline's edges). */
function firstHolding(condition: Condition, from: number, tl: ProviderTimeline, started: Clocks): number {
  const candidates = [from];
  const add = (p: Process, offset: number) => {
    const s = started[p];
    if (s !== undefined && s + offset > from) candidates.push(s + offset);
  };
  add('service', tl.serviceReadyMs);
  add('vpcEndpoint', tl.vpcEndpointReadyMs);
  add('link', tl.linkAvailableMs);
  add('link', tl.connectionStringMs);
  for (const b of tl.deploymentBusy) {
    add('link', b.fromMs);
    add('link', b.toMs);
  }
  for (const t of candidates.sort((a, b) => a - b)) if (holds(condition, t, tl, started)) return t;
  return from + REPLAY_LIMIT_MS;
}

/**
 * Replays one tool's steps on a timeline. `instant` makes every poll notice its condition the moment it
 * holds (with no calls): the provider's own time along the same path.
 */
export function replay(steps: readonly Step[], tl: ProviderTimeline, instant = false): ReplayResult {
  let t = 0;
  let calls = 0;
  let delivers = true;
  const started: Clocks = {};
  const trace: { label: string; endMs: number; calls: number }[] = [];
  for (const step of steps) {
    let made = 0;
    if (step.type === 'call') {
      made = instant ? 0 : step.calls;
      if (step.starts) started[step.starts] = t;
    } else if (step.type === 'await' || (step.type === 'poll' && instant)) {
      t = firstHolding(step.until, t, tl, started);
    } else if (step.type === 'poll') {
      const start = t;
      let noticed: number | undefined;
      for (const at of checkTimes(step.schedule)) {
        made += step.callsPerCheck;
        if (holds(step.until, start + at, tl, started)) {
          noticed = start + at;
          break;
        }
        if (at > REPLAY_LIMIT_MS) break;
      }
      t = noticed ?? start + REPLAY_LIMIT_MS;
    } else {
      made = instant ? 0 : step.calls;
      delivers = holds('connectionString', t, tl, started);
    }
    calls += made;
    trace.push({ label: step.label, endMs: t, calls: made });
  }
  const providerMs = instant ? t : replay(steps, tl, true).endMs;
  return {
    endMs: t,
    atlasCalls: calls,
    delivers,
    providerMs,
    overheadMs: delivers ? t - providerMs : null,
    steps: trace,
  };
}

const S = 1000;
const scc = (delayS: number, minTimeoutS: number): Schedule => ({
  type: 'stateChangeConf',
  delayMs: delayS * S,
  minTimeoutMs: minTimeoutS * S,
});
const every = (firstS: number, ...intervalsS: number[]): Schedule => ({
  type: 'ladder',
  firstMs: firstS * S,
  intervalsMs: intervalsS.map((s) => s * S),
});

/** The tools users would otherwise pick (see the file comment for the sources of each number). */
export const TOOLS: readonly ToolModel[] = [
  {
    id: 'terraform',
    name: 'Terraform provider',
    steps: {
      dedicated: [
        { type: 'call', label: 'POST endpoint service', calls: 1, starts: 'service' },
        {
          type: 'poll',
          label: 'service ready',
          schedule: scc(5, 5),
          until: 'serviceReady',
          callsPerCheck: 1,
        },
        { type: 'call', label: 'read service', calls: 1, starts: 'vpcEndpoint' },
        { type: 'await', label: 'aws_vpc_endpoint', until: 'vpcEndpointReady' },
        { type: 'call', label: 'POST interface endpoint', calls: 1, starts: 'link' },
        {
          type: 'poll',
          label: 'link AVAILABLE',
          schedule: scc(10, 10),
          until: 'linkAvailable',
          callsPerCheck: 1,
        },
        {
          type: 'poll',
          label: 'clusters IDLE',
          schedule: scc(10, 10),
          until: 'deploymentIdle',
          callsPerCheck: 1,
        },
        { type: 'call', label: 'read interface endpoint', calls: 1 },
        { type: 'deliver', label: 'cluster data source', calls: 1 },
      ],
      serverless: [
        { type: 'call', label: 'POST serverless endpoint', calls: 1, starts: 'service' },
        { type: 'poll', label: 'RESERVED', schedule: scc(5, 5), until: 'serviceReady', callsPerCheck: 1 },
        { type: 'call', label: 'read endpoint', calls: 1, starts: 'vpcEndpoint' },
        { type: 'await', label: 'aws_vpc_endpoint', until: 'vpcEndpointReady' },
        { type: 'call', label: 'GET + PATCH endpoint', calls: 2, starts: 'link' },
        {
          type: 'poll',
          label: 'AVAILABLE (5 min delay)',
          schedule: scc(300, 5),
          until: 'linkAvailable',
          callsPerCheck: 1,
        },
        {
          type: 'poll',
          label: 'instances IDLE (5 min delay)',
          schedule: scc(300, 5),
          until: 'deploymentIdle',
          callsPerCheck: 1,
        },
        { type: 'call', label: 'read endpoint', calls: 1 },
        { type: 'deliver', label: 'instance data source', calls: 1 },
      ],
    },
  },
  {
    id: 'cloudformation',
    name: 'CloudFormation resources',
    steps: {
      dedicated: [
        { type: 'call', label: 'POST endpoint service', calls: 1, starts: 'service' },
        {
          type: 'poll',
          label: 'service callbacks',
          schedule: every(20, 20),
          until: 'serviceReady',
          callsPerCheck: 1,
        },
        { type: 'call', label: 'AWS::EC2::VPCEndpoint', calls: 0, starts: 'vpcEndpoint' },
        { type: 'await', label: 'VPC endpoint', until: 'vpcEndpointReady' },
        { type: 'call', label: 'POST interface endpoint', calls: 1, starts: 'link' },
        {
          type: 'poll',
          label: 'interface callbacks',
          schedule: every(10, 20),
          until: 'linkAvailable',
          callsPerCheck: 1,
        },
        { type: 'deliver', label: 'cluster read', calls: 1 },
      ],
      serverless: [
        { type: 'call', label: 'POST serverless endpoint', calls: 1, starts: 'service' },
        {
          type: 'poll',
          label: 'RESERVED callbacks',
          schedule: every(5, 5),
          until: 'serviceReady',
          callsPerCheck: 1,
        },
        { type: 'call', label: 'AWS endpoint + PATCH at once', calls: 1, starts: 'vpcEndpoint' },
        { type: 'call', label: '(link starts with it)', calls: 0, starts: 'link' },
        {
          type: 'poll',
          label: 'AVAILABLE callbacks',
          schedule: every(5, 5),
          until: 'linkAvailable',
          callsPerCheck: 1,
        },
        { type: 'deliver', label: 'instance read', calls: 1 },
      ],
    },
  },
  {
    id: 'kubernetes',
    name: 'Kubernetes operator',
    steps: {
      dedicated: [
        { type: 'call', label: 'POST endpoint service', calls: 1, starts: 'service' },
        {
          type: 'poll',
          label: 'requeue 10 s',
          schedule: every(10, 10),
          until: 'serviceReady',
          callsPerCheck: 1,
        },
        { type: 'call', label: 'user creates the VPC endpoint', calls: 0, starts: 'vpcEndpoint' },
        { type: 'await', label: 'VPC endpoint', until: 'vpcEndpointReady' },
        { type: 'call', label: 'POST interface endpoint', calls: 1, starts: 'link' },
        {
          type: 'poll',
          label: 'requeue 10 s',
          schedule: every(10, 10),
          until: 'linkAvailable',
          callsPerCheck: 1,
        },
        {
          type: 'poll',
          label: 'requeue 10 s (string)',
          schedule: every(0, 10),
          until: 'connectionString',
          callsPerCheck: 1,
        },
        { type: 'deliver', label: 'connection secret', calls: 0 },
      ],
      serverless: [
        { type: 'call', label: 'POST serverless endpoint', calls: 1, starts: 'service' },
        {
          type: 'poll',
          label: 'requeue 10 s',
          schedule: every(10, 10),
          until: 'serviceReady',
          callsPerCheck: 1,
        },
        { type: 'call', label: 'user creates the VPC endpoint', calls: 0, starts: 'vpcEndpoint' },
        { type: 'await', label: 'VPC endpoint', until: 'vpcEndpointReady' },
        { type: 'call', label: 'PATCH endpoint', calls: 1, starts: 'link' },
        {
          type: 'poll',
          label: 'requeue 10 s',
          schedule: every(10, 10),
          until: 'linkAvailable',
          callsPerCheck: 1,
        },
        {
          type: 'poll',
          label: 'requeue 10 s (string)',
          schedule: every(0, 10),
          until: 'connectionString',
          callsPerCheck: 1,
        },
        { type: 'deliver', label: 'connection secret', calls: 0 },
      ],
    },
  },
];

/** Atlas calls our workflow made per check of each phase, and outside the checks (from a measured run). */
export interface OurCallProfile {
  readonly fixedCalls: number;
  readonly callsPerCheck: Readonly<Partial<Record<PollPhase, number>>>;
}

/** Our own workflow as replay steps, from the PHASES table in lambdas/workflow/steps.ts (first wait, ladder). */
export function ourSteps(kind: Kind, profile: OurCallProfile): Step[] {
  const phase = (p: PollPhase, until: Condition): Extract<Step, { type: 'poll' }> => ({
    type: 'poll',
    label: PHASES[p].label,
    schedule: every(PHASES[p].initialDelaySeconds, ...PHASES[p].intervalsSeconds),
    until,
    callsPerCheck: profile.callsPerCheck[p] ?? 1,
  });
  return [
    {
      type: 'call',
      label: `create (${kind}) and every other call`,
      calls: profile.fixedCalls,
      starts: 'service',
    },
    phase('atlasEndpoint', 'serviceReady'),
    { type: 'call', label: 'create VPC endpoint', calls: 0, starts: 'vpcEndpoint' },
    { ...phase('vpcEndpoint', 'vpcEndpointReady'), callsPerCheck: 0 },
    { type: 'call', label: 'link', calls: 0, starts: 'link' },
    phase('link', 'linkAvailable'),
    phase('connection', 'connectionString'),
    { type: 'deliver', label: 'output', calls: 0 },
  ];
}

/** The timeline with every provider duration (and the deployment's busy windows) multiplied by `factor`. */
export function scaleTimeline(tl: ProviderTimeline, factor: number): ProviderTimeline {
  const f = (v: number) => Math.round(v * factor);
  return {
    kind: tl.kind,
    serviceReadyMs: f(tl.serviceReadyMs),
    vpcEndpointReadyMs: f(tl.vpcEndpointReadyMs),
    linkAvailableMs: f(tl.linkAvailableMs),
    connectionStringMs: f(tl.connectionStringMs),
    deploymentBusy: tl.deploymentBusy.map((b) => ({ fromMs: f(b.fromMs), toMs: f(b.toMs) })),
  };
}

/**
 * Factors 0.80, 0.81, …, 1.25. The presets' durations are round numbers (60 s, 90 s, 120 s) that fall on the
 * 5 s and 10 s grids many loops check on; real transitions do not. The spread replays each loop on the
 * timeline scaled by each factor, so a schedule is not judged (or tuned) on a lucky alignment.
 */
export const SPREAD_FACTORS: readonly number[] = Array.from({ length: 46 }, (_, i) => 0.8 + i * 0.01);

export interface OverheadSpread {
  /** Mean and worst overhead over {@link SPREAD_FACTORS}; null when some replay does not deliver. */
  readonly meanMs: number | null;
  readonly maxMs: number | null;
  readonly meanAtlasCalls: number;
}

export function overheadSpread(steps: readonly Step[], tl: ProviderTimeline): OverheadSpread {
  const runs = SPREAD_FACTORS.map((f) => replay(steps, scaleTimeline(tl, f)));
  const overheads = runs.map((r) => r.overheadMs);
  const all = overheads.every((o): o is number => o !== null);
  return {
    meanMs: all ? overheads.reduce((a, b) => a + b, 0) / overheads.length : null,
    maxMs: all ? Math.max(...overheads) : null,
    meanAtlasCalls: runs.reduce((a, r) => a + r.atlasCalls, 0) / runs.length,
  };
}
