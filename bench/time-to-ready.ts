/**
 * Time to ready: one execution per kind and preset, each in a fresh world on the virtual clock (`timeScale: 0`,
 * so handler run time costs no virtual time and the figures are exact and repeatable).
 *
 * - `virtualMs`: the execution's virtual duration.
 * - The provider's own time, from the world's transition log (`local/cloud/transitions.ts`), never from the
 *   workflow's waits. Each provider process is measured from the action that started it to the transition the
 *   workflow waits for: endpoint service name available, VPC endpoint `pendingAcceptance`, link `AVAILABLE`
 *   and then the private connection string listed. `providerReadyMs` is their sum along the workflow's path:
 *   the virtual time at which the last thing the workflow waits for (the connection string naming its VPC
 *   endpoint) would have become true had every earlier step been taken the moment its predecessor became
 *   true. It differs from the moment it did become true in this run (`lastReadyAtMs`) by the lags of the
 *   earlier phases, which belong to the overhead too: `overheadMs = virtualMs - providerReadyMs`.
 * - Per phase (for tuning): provider time, how late the workflow noticed, checks and Atlas calls.
 * - Atlas and EC2 calls are everything the world served during the run (including the token request and any
 *   retried answers); calls are attributed to the step whose invocation made them.
 */

import { PHASES, type PollPhase } from '../lambdas/workflow/steps.ts';
import { DEMO_AWS } from '../local/cloud/aws-model.ts';
import { type RunningWorld, startWorld } from '../local/cloud/index.ts';
import type { PresetName } from '../local/cloud/timeline.ts';
import { deploymentProbe, recordTransitions, type TransitionLog } from '../local/cloud/transitions.ts';
import { type LocalRunResult, runLocalWorkflow } from '../local/engine.ts';
import { type Kind, type OurCallProfile, ourSteps, type ProviderTimeline, replay } from './anchors.ts';

export interface PhaseFigures {
  readonly phase: PollPhase;
  /** Provider time of the process this phase waits for (action → transition), ms. */
  readonly providerMs: number;
  /** When the workflow saw it (the phase's "Record …" state) minus when it became true, ms. */
  readonly lateByMs: number;
  /**
   * The overhead this phase adds to the run. The same as `lateByMs`, except for the link and the connection
   * string, which run on one provider clock: a link noticed late costs nothing while the string is not there
   * yet (link: noticed − string listed, at least 0; connection: noticed − max(link noticed, string listed)).
   */
  readonly addedMs: number;
  readonly checks: number;
  readonly atlasCalls: number;
}

export interface TimeToReady {
  readonly kind: Kind;
  readonly preset: PresetName;
  readonly virtualMs: number;
  readonly providerReadyMs: number;
  readonly overheadMs: number;
  readonly lastReadyAtMs: number;
  readonly atlasCalls: number;
  readonly ec2Calls: number;
  readonly lambdaInvocations: number;
  readonly stateTransitions: number;
  readonly realMs: number;
  readonly atlasCallsByOperation: Readonly<Record<string, number>>;
  /** Atlas calls made by each step (all its invocations). */
  readonly atlasCallsByStep: Readonly<Record<string, number>>;
  readonly phases: readonly PhaseFigures[];
  readonly timeline: ProviderTimeline;
  /** Our own schedule replayed on this timeline (the anchors' simulator) next to the measurement. */
  readonly replay: { readonly endMs: number; readonly atlasCalls: number };
  readonly callProfile: OurCallProfile;
}

const SERVICE_READY: Readonly<Record<Kind, readonly string[]>> = {
  serverless: ['RESERVED'],
  dedicated: ['WAITING_FOR_USER', 'AVAILABLE'],
};

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`time to ready: the transition log has no ${what}`);
  return value;
}

/** The provider processes of one run, read from the transition log. */
export function providerTimeline(
  kind: Kind,
  log: TransitionLog,
  deployment: { groupId: string; name: string },
  /** Only resources that first appear at or after this log entry count (those the run created). */
  sinceIndex = 0,
): { timeline: ProviderTimeline; startedAt: Record<string, number>; readyAt: Record<string, number> } {
  const first = (key: string) => need(log.of(key)[0]?.at, `entry for ${key}`);
  const at = (key: string, statuses: readonly string[]) =>
    need(
      log.firstAt(key, (s) => statuses.includes(s)),
      `${statuses.join('/')} for ${key}`,
    );
  const atlasKey = need(
    log.keysOf(kind === 'serverless' ? 'serverlessEndpoint' : 'endpointService', sinceIndex)[0],
    'Atlas endpoint',
  );
  const vpceKey = need(log.keysOf('vpcEndpoint', sinceIndex)[0], 'VPC endpoint');
  const vpceId = vpceKey.slice('vpcEndpoint:'.length);
  const serviceStart = first(atlasKey);
  const serviceReady = at(atlasKey, SERVICE_READY[kind]);
  const vpceStart = first(vpceKey);
  const vpceReady = at(vpceKey, ['pendingAcceptance', 'available']);
  let linkStart: number;
  let linkReady: number;
  if (kind === 'serverless') {
    linkStart = at(atlasKey, ['INITIATING']);
    linkReady = at(atlasKey, ['AVAILABLE']);
  } else {
    const ieKey = `interfaceEndpoint:${vpceId}`;
    linkStart = first(ieKey);
    linkReady = at(ieKey, ['AVAILABLE']);
  }
  const { groupId, name } = deployment;
  const stringAt = at(`privateEndpoint:${groupId}/${name}/${vpceId}`, ['listed']);
  const deploymentKey = `${kind === 'dedicated' ? 'cluster' : 'serverlessInstance'}:${groupId}/${name}`;
  const busy: { fromMs: number; toMs: number }[] = [];
  let busySince: number | undefined;
  for (const e of log.of(deploymentKey)) {
    if (e.to !== 'IDLE' && busySince === undefined) busySince = e.at;
    if (e.to === 'IDLE' && busySince !== undefined) {
      busy.push({ fromMs: busySince - linkStart, toMs: e.at - linkStart });
      busySince = undefined;
    }
  }
  if (busySince !== undefined) busy.push({ fromMs: busySince - linkStart, toMs: Number.POSITIVE_INFINITY });
  return {
    timeline: {
      kind,
      serviceReadyMs: serviceReady - serviceStart,
      vpcEndpointReadyMs: vpceReady - vpceStart,
      linkAvailableMs: linkReady - linkStart,
      connectionStringMs: stringAt - linkStart,
      deploymentBusy: busy.filter((b) => b.toMs > 0),
    },
    startedAt: {
      atlasEndpoint: serviceStart,
      vpcEndpoint: vpceStart,
      link: linkStart,
      connection: linkStart,
    },
    readyAt: { atlasEndpoint: serviceReady, vpcEndpoint: vpceReady, link: linkReady, connection: stringAt },
  };
}

export function requestFor(world: RunningWorld, kind: Kind) {
  const d = world.world.demo;
  return {
    kind,
    groupId: d.groupId,
    instanceName: kind === 'serverless' ? d.serverlessInstanceName : d.clusterName,
    region: d.awsRegion,
    vpcId: d.vpcId,
    subnetIds: [...d.subnetIds],
    securityGroupIds: [...d.securityGroupIds],
  };
}

const sum = (counts: Readonly<Record<string, number>>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** Runs one execution of `kind` on `preset` and measures it. */
export async function measureTimeToReady(kind: Kind, preset: PresetName): Promise<TimeToReady> {
  const w = await startWorld({ preset, timeScale: 0 });
  try {
    const { log: transitions, stop } = recordTransitions(w.world);
    const request = requestFor(w, kind);
    const deployment = { kind, groupId: request.groupId, name: request.instanceName };
    transitions.addProbe(deploymentProbe(w.world.atlas, [deployment]), w.world.clock.now());
    const atlasByStep: Record<string, number> = {};
    const invocationsByStep: Record<string, number> = {};
    const log = w.world.log;
    const d = w.world.demo;
    const startedAt = w.world.clock.now();
    const firstEntry = transitions.entries.length;
    const result: LocalRunResult = await runLocalWorkflow({
      input: request,
      executionName: `bench-${kind}-${preset}`,
      target: {
        atlasUrl: w.atlasUrl,
        ec2Url: w.ec2Url,
        dynamodbUrl: w.dynamodbUrl,
        atlasCredentials: d.serviceAccount,
        awsCredentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: DEMO_AWS.secretAccessKey },
        awsRegion: d.awsRegion,
      },
      clock: w.world.clock,
      requestLog: log,
      invoke: async (invocation, proceed) => {
        const before = log.entries.length;
        try {
          return await proceed();
        } finally {
          const made = log.entries.slice(before).filter((e) => e.service === 'atlas').length;
          atlasByStep[invocation.stepId] = (atlasByStep[invocation.stepId] ?? 0) + made;
          invocationsByStep[invocation.stepId] = (invocationsByStep[invocation.stepId] ?? 0) + 1;
        }
      },
    });
    stop();
    if (result.status !== 'SUCCEEDED') {
      throw new Error(`${kind} on ${preset} did not succeed: ${JSON.stringify(result.error)}`);
    }
    const m = result.metrics;
    const { timeline, readyAt } = providerTimeline(kind, transitions, deployment, firstEntry);
    const providerReadyMs =
      timeline.serviceReadyMs + timeline.vpcEndpointReadyMs + timeline.connectionStringMs;
    const noticedAt = (phase: PollPhase) =>
      need(
        result.history.find((h) => h.kind === 'entered' && h.state === PHASES[phase].recordState)
          ?.virtualTime,
        `history entry for ${PHASES[phase].recordState}`,
      );
    const order = ['atlasEndpoint', 'vpcEndpoint', 'link', 'connection'] as const;
    const noticed = Object.fromEntries(order.map((p) => [p, noticedAt(p)])) as Record<PollPhase, number>;
    const ready = (p: PollPhase) => readyAt[p] ?? 0;
    const added: Record<(typeof order)[number], number> = {
      atlasEndpoint: noticed.atlasEndpoint - ready('atlasEndpoint'),
      vpcEndpoint: noticed.vpcEndpoint - ready('vpcEndpoint'),
      link: Math.max(0, noticed.link - ready('connection')),
      connection: noticed.connection - Math.max(noticed.link, ready('connection')),
    };
    const phases: PhaseFigures[] = order.map((phase) => {
      const step = PHASES[phase].checkStep;
      return {
        phase,
        providerMs:
          phase === 'atlasEndpoint'
            ? timeline.serviceReadyMs
            : phase === 'vpcEndpoint'
              ? timeline.vpcEndpointReadyMs
              : phase === 'link'
                ? timeline.linkAvailableMs
                : timeline.connectionStringMs - timeline.linkAvailableMs,
        lateByMs: noticed[phase] - ready(phase),
        addedMs: added[phase],
        checks: invocationsByStep[step] ?? 0,
        atlasCalls: atlasByStep[step] ?? 0,
      };
    });
    const atlasCalls = sum(m.atlasCalls);
    const checkCalls = phases.reduce((a, p) => a + p.atlasCalls, 0);
    const callProfile: OurCallProfile = {
      fixedCalls: atlasCalls - checkCalls,
      callsPerCheck: Object.fromEntries(
        phases.filter((p) => p.checks > 0).map((p) => [p.phase, p.atlasCalls / p.checks]),
      ),
    };
    const ours = replay(ourSteps(kind, callProfile), timeline);
    return {
      kind,
      preset,
      virtualMs: m.virtualDurationMs,
      providerReadyMs,
      overheadMs: m.virtualDurationMs - providerReadyMs,
      lastReadyAtMs: (readyAt.connection ?? 0) - startedAt,
      atlasCalls,
      ec2Calls: sum(m.ec2Calls),
      lambdaInvocations: m.lambdaInvocations,
      stateTransitions: m.stateTransitions,
      realMs: m.realDurationMs,
      atlasCallsByOperation: m.atlasCalls,
      atlasCallsByStep: atlasByStep,
      phases,
      timeline,
      replay: { endMs: ours.endMs, atlasCalls: ours.atlasCalls },
      callProfile,
    };
  } finally {
    await w.close();
  }
}
