/**
 * Scale: many executions started at once in one world, with Atlas's limits on (the API token buckets and the
 * token endpoint's 10 requests a minute and 100 live tokens per service account, as `local/atlas-server.ts`
 * enforces them), run through the local engine with a model of the Lambda fleet.
 *
 * Three pieces make one process behave like a fleet of executions and containers:
 *
 * - Time ({@link CooperativeTime}). The world's clock runs at real speed (`timeScale: 1`) while any execution
 *   is working (a handler running, a request in flight, a client sleeping out a `Retry-After`), so rate-limit
 *   windows and retry pauses keep their real proportions; when every execution is in a Wait state (or a retry
 *   pause), the clock jumps to the earliest wake-up. Each execution sees the world's clock through an
 *   {@link ExecutionClock}, so no execution's Wait moves time for the others. Consequence, reported with the
 *   figures: virtual time includes this process's own handler CPU time (every handler of every execution
 *   shares the bench's cores, where AWS would run them apart).
 * - Containers ({@link LambdaFleet}). Each invocation takes a free container of its function or starts one.
 *   The functions that call Atlas have the deployment's reserved concurrency (`atlasReservedConcurrency`;
 *   the construct's default is none, the README recommends 5 where the account has room): past it the
 *   invocation is throttled (`Lambda.TooManyRequestsException`), which the state
 *   machine retries (its `lambdaService` retrier, with full jitter applied here as the deployed retrier has
 *   it). Each container of an Atlas-calling function loads its own instance of the project's modules
 *   (`bench/container-loader.mjs`), so it has its own Atlas client and token cache, as a Lambda container
 *   does: the token endpoint sees one token request per container start. The other functions share one module
 *   instance per function (they hold no state that is measured); their containers are counted.
 * - Targets: `local/cloud/fixtures.ts` adds one VPC per execution, serverless instances ten to a project and
 *   one dedicated cluster per project (one endpoint service per project and region: dedicated targets in one
 *   project would race for one service, which is issue 9's concurrency question, not this one's).
 */
import { register } from 'node:module';
import { STEPS, type StepId } from '../lambdas/workflow/steps.ts';
import { DEFAULT_ATLAS_RESERVED_CONCURRENCY } from '../lib/private-endpoint-workflow.ts';
import { DEMO_AWS } from '../local/cloud/aws-model.ts';
import { addTargets, type FixtureTarget } from '../local/cloud/fixtures.ts';
import { startWorld } from '../local/cloud/index.ts';
import type { PresetName } from '../local/cloud/timeline.ts';
import { type LocalInvocation, type LocalRunResult, runLocalWorkflow } from '../local/engine.ts';
import { withEnvironment } from '../local/env-scope.ts';
import { maxInWindow } from './results.ts';
import { CooperativeTime, ExecutionClock } from './virtual-time.ts';

// ---------------------------------------------------------------------------------------------------------
// Containers

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

/** What a handler module exports besides `handler` (lambdas/handlers/<step>.ts). */
interface HandlerModule {
  readonly makeHandler: (deps: unknown) => Handler;
  readonly capabilities: Record<string, unknown>;
}

interface Container {
  readonly id: string;
  busy: boolean;
  handler?: Promise<Handler>;
}

export interface FleetStats {
  /** Containers started per function (its cold starts). */
  readonly containers: Record<string, number>;
  /** Invocations refused for reserved concurrency, per function. */
  readonly throttles: Record<string, number>;
  /** Most invocations of one function running at once. */
  readonly peakConcurrency: Record<string, number>;
}

class ThrottledError extends Error {
  override readonly name = 'Lambda.TooManyRequestsException';
}

const repoRoot = new URL('..', import.meta.url);
let loaderRegistered = false;

export class LambdaFleet {
  private readonly pools = new Map<string, Container[]>();
  private readonly shared = new Map<string, Promise<Handler>>();
  private readonly running = new Map<string, number>();
  readonly stats: FleetStats = { containers: {}, throttles: {}, peakConcurrency: {} };

  constructor(
    private readonly reservedConcurrency: number | undefined,
    private readonly clock: { now(): number },
  ) {
    if (!loaderRegistered) {
      register(new URL('./container-loader.mjs', import.meta.url));
      loaderRegistered = true;
    }
  }

  private limit(stepId: string): number | undefined {
    return STEPS[stepId as StepId]?.atlas ? this.reservedConcurrency : undefined;
  }

  /**
   * A container's handler, built the way the engine builds its containers (lib-free `makeHandler` with
   * `defaultHandlerDeps`), from this container's own instance of the handler and runtime modules, with the
   * world's clock as the handlers' clock (the whole-run deadline, token expiry and the shared token's claims
   * compare it with the execution's start time); pauses inside a handler (Retry-After, the shared token's
   * polls) pass in real time, which the world's clock follows while an execution works.
   */
  private load(invocation: LocalInvocation, containerId: string | undefined): Promise<Handler> {
    const container = containerId ?? `${invocation.stepId}-shared`;
    const url = new URL(invocation.entry, repoRoot);
    url.searchParams.set('container', container);
    const runtimeUrl = new URL('lambdas/handlers/support/runtime.ts', repoRoot);
    runtimeUrl.searchParams.set('container', container);
    return withEnvironment(invocation.environment, async () => {
      const mod = (await import(url.href)) as Partial<HandlerModule> & { default?: Partial<HandlerModule> };
      const found = typeof mod.makeHandler === 'function' ? mod : mod.default;
      if (typeof found?.makeHandler !== 'function' || found.capabilities === undefined) {
        throw new Error(`${invocation.entry} exports no makeHandler and capabilities`);
      }
      const runtime = (await import(
        runtimeUrl.href
      )) as typeof import('../lambdas/handlers/support/runtime.ts');
      const deps = runtime.defaultHandlerDeps(
        invocation.stepId as StepId,
        found.capabilities,
        invocation.environment,
        { now: () => this.clock.now() },
      );
      return found.makeHandler(deps) as Handler;
    });
  }

  async invoke(invocation: LocalInvocation): Promise<unknown> {
    const { stepId } = invocation;
    const pool = this.pools.get(stepId) ?? [];
    this.pools.set(stepId, pool);
    let container = pool.find((c) => !c.busy);
    if (container === undefined) {
      const limit = this.limit(stepId);
      if (limit !== undefined && pool.length >= limit) {
        this.stats.throttles[stepId] = (this.stats.throttles[stepId] ?? 0) + 1;
        throw new ThrottledError(`Rate Exceeded: ${stepId} is at its reserved concurrency of ${limit}`);
      }
      container = { id: `${stepId}-${pool.length + 1}`, busy: false };
      pool.push(container);
      this.stats.containers[stepId] = pool.length;
    }
    container.busy = true;
    const running = (this.running.get(stepId) ?? 0) + 1;
    this.running.set(stepId, running);
    this.stats.peakConcurrency[stepId] = Math.max(this.stats.peakConcurrency[stepId] ?? 0, running);
    try {
      let handler: Promise<Handler>;
      if (STEPS[stepId as StepId]?.atlas) {
        container.handler ??= this.load(invocation, container.id);
        handler = container.handler;
      } else {
        handler = this.shared.get(stepId) ?? this.load(invocation, undefined);
        this.shared.set(stepId, handler);
      }
      const run = await handler;
      const context = invocation.countInvocation();
      return await withEnvironment(invocation.environment, () => run(invocation.event, context));
    } finally {
      container.busy = false;
      this.running.set(stepId, (this.running.get(stepId) ?? 1) - 1);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// The run

export interface ScaleOptions {
  readonly executions: number;
  /** @default 'realistic' */
  readonly preset?: PresetName;
  /** Reserved concurrency of the Atlas functions; undefined: none. @default the construct's default */
  readonly reservedConcurrency?: number | false;
  /** Called every few seconds of real time with progress. */
  readonly onProgress?: (text: string) => void;
}

export interface ScaleExecution {
  readonly kind: FixtureTarget['kind'];
  readonly status: LocalRunResult['status'];
  readonly virtualMs: number;
  readonly error?: string;
  readonly cause?: string;
  /** The state whose error the definition caught (its retries ran out there), and the cleanup's outcome. */
  readonly failedState?: string;
  readonly cleanup?: string;
}

export interface ScaleResult {
  /** Reserved concurrency of the Atlas functions in this run (null: none). */
  readonly reservedConcurrency: number | null;
  readonly executions: number;
  readonly succeeded: number;
  readonly failures: Readonly<Record<string, number>>;
  /** Failed executions grouped by where the error was caught, the cleanup's outcome and the cause's gist. */
  readonly failureGroups: Readonly<Record<string, number>>;
  /** Time to ready (virtual) of the executions that succeeded. */
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
  readonly byKind: Readonly<
    Record<string, { readonly succeeded: number; readonly p50Ms: number; readonly p95Ms: number }>
  >;
  /** 429 answers by operation, and how many were followed by a success of the same request. */
  readonly http429: {
    readonly total: number;
    readonly recovered: number;
    readonly byOperation: Record<string, number>;
  };
  readonly tokenRequests: number;
  readonly tokensMinted: number;
  /** Most token requests (any answer) in one 60 s window of virtual time. */
  readonly tokenRequestsPerMinuteMax: number;
  /** Most tokens minted in one 60 s window of virtual time. */
  readonly tokensPerMinuteMax: number;
  /** Most tokens alive at once (a token lives an hour unless revoked). */
  readonly liveTokensMax: number;
  readonly atlasCalls: number;
  readonly atlasCallsPerMinuteMax: number;
  readonly fleet: FleetStats;
  readonly virtualSpanMs: number;
  readonly jumpedMs: number;
  readonly realMs: number;
  readonly sample: readonly ScaleExecution[];
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

export async function runScale(options: ScaleOptions): Promise<ScaleResult> {
  const realStart = performance.now();
  const w = await startWorld({ preset: options.preset ?? 'realistic', timeScale: 1 });
  try {
    const half = Math.floor(options.executions / 2);
    const targets = addTargets(w.world, {
      serverless: options.executions - half,
      dedicated: half,
      prefix: 'scale',
    });
    const time = new CooperativeTime(w.world.clock);
    const reserved = options.reservedConcurrency ?? DEFAULT_ATLAS_RESERVED_CONCURRENCY;
    const fleet = new LambdaFleet(reserved === false ? undefined : reserved, w.world.clock);
    const d = w.world.demo;
    const virtualStart = w.world.clock.now();
    let done = 0;
    const progress = setInterval(() => {
      options.onProgress?.(
        `scale: ${done}/${targets.length} done, virtual ${((w.world.clock.now() - virtualStart) / 1000).toFixed(0)} s, ` +
          `real ${((performance.now() - realStart) / 1000).toFixed(0)} s`,
      );
    }, 10_000);

    const runOne = async (target: FixtureTarget, index: number): Promise<ScaleExecution> => {
      time.enter();
      const clock = new ExecutionClock(w.world.clock);
      try {
        const result = await runLocalWorkflow({
          input: {
            ...target,
            subnetIds: [...target.subnetIds],
            securityGroupIds: [...target.securityGroupIds],
          },
          executionName: `scale-${index}`,
          target: {
            atlasUrl: w.atlasUrl,
            ec2Url: w.ec2Url,
            dynamodbUrl: w.dynamodbUrl,
            atlasCredentials: d.serviceAccount,
            awsCredentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: DEMO_AWS.secretAccessKey },
            awsRegion: d.awsRegion,
          },
          clock,
          onWait: async (_state, seconds) => {
            await time.sleep(seconds * 1000);
            clock.prepaidMs += seconds * 1000;
          },
          invoke: async (invocation) => {
            if (clock.pauseDebtMs > 0) {
              // The deployed retriers use full jitter: the pause is uniform in [0, computed pause].
              const pause = Math.random() * clock.pauseDebtMs;
              clock.pauseDebtMs = 0;
              await time.sleep(pause);
            }
            return fleet.invoke(invocation);
          },
        });
        const error = result.error;
        const failedState = error
          ? (result.history.find((h) => h.kind === 'caught')?.state ??
            result.history.findLast((h) => h.kind === 'failed' && h.type === 'Task')?.state)
          : undefined;
        const failure = result.events.find((e) => e.detailType.endsWith('Failed'))?.detail as
          | { failure?: { cleanup?: string } }
          | undefined;
        return {
          kind: target.kind,
          status: result.status,
          virtualMs: result.metrics.virtualDurationMs,
          ...(error ? { error: error.error, cause: error.cause.slice(0, 400) } : {}),
          ...(failedState ? { failedState } : {}),
          ...(failure?.failure?.cleanup ? { cleanup: failure.failure.cleanup } : {}),
        };
      } finally {
        done += 1;
        time.exit();
      }
    };
    const results = await Promise.all(targets.map((t, i) => runOne(t, i)));
    clearInterval(progress);
    const virtualSpanMs = w.world.clock.now() - virtualStart;

    const ok = results.filter((r) => r.status === 'SUCCEEDED');
    const sorted = ok.map((r) => r.virtualMs).sort((a, b) => a - b);
    const failures: Record<string, number> = {};
    const failureGroups: Record<string, number> = {};
    for (const r of results) {
      if (r.status === 'SUCCEEDED') continue;
      const gist = (r.cause ?? r.error ?? 'unknown').split('. Request ')[0];
      const key = `caught in "${r.failedState ?? '?'}", cleanup ${r.cleanup ?? 'n/a'}: ${gist}`;
      failureGroups[key] = (failureGroups[key] ?? 0) + 1;
    }
    for (const r of results)
      if (r.status !== 'SUCCEEDED')
        failures[r.error ?? 'unknown'] = (failures[r.error ?? 'unknown'] ?? 0) + 1;
    const byKind: ScaleResult['byKind'] = Object.fromEntries(
      (['serverless', 'dedicated'] as const).map((kind) => {
        const times = ok
          .filter((r) => r.kind === kind)
          .map((r) => r.virtualMs)
          .sort((a, b) => a - b);
        return [
          kind,
          { succeeded: times.length, p50Ms: percentile(times, 0.5), p95Ms: percentile(times, 0.95) },
        ];
      }),
    );

    const atlas = w.world.log.entries.filter((e) => e.service === 'atlas' && e.at >= virtualStart);
    const tokenEntries = atlas.filter((e) => e.operation === 'oauthToken');
    const minted = tokenEntries.filter((e) => e.status === 200).map((e) => e.at);
    const byOperation: Record<string, number> = {};
    let recovered = 0;
    atlas.forEach((e, i) => {
      if (e.status !== 429) return;
      byOperation[e.operation] = (byOperation[e.operation] ?? 0) + 1;
      if (
        atlas
          .slice(i + 1)
          .some((l) => l.method === e.method && l.path === e.path && l.status > 0 && l.status < 400)
      ) {
        recovered += 1;
      }
    });
    const lifetime = 3600_000;
    return {
      reservedConcurrency: reserved === false ? null : reserved,
      executions: results.length,
      succeeded: ok.length,
      failures,
      failureGroups,
      p50Ms: percentile(sorted, 0.5),
      p95Ms: percentile(sorted, 0.95),
      maxMs: sorted[sorted.length - 1] ?? Number.NaN,
      byKind,
      http429: { total: Object.values(byOperation).reduce((a, b) => a + b, 0), recovered, byOperation },
      tokenRequests: tokenEntries.length,
      tokensMinted: minted.length,
      tokenRequestsPerMinuteMax: maxInWindow(
        tokenEntries.map((e) => e.at),
        60_000,
      ),
      tokensPerMinuteMax: maxInWindow(minted, 60_000),
      liveTokensMax: maxInWindow(minted, lifetime),
      atlasCalls: atlas.length,
      atlasCallsPerMinuteMax: maxInWindow(
        atlas.map((e) => e.at),
        60_000,
      ),
      fleet: fleet.stats,
      virtualSpanMs,
      jumpedMs: time.jumpedMs,
      realMs: performance.now() - realStart,
      sample: results.filter((r) => r.status !== 'SUCCEEDED').slice(0, 5),
    };
  } finally {
    await w.close();
  }
}
