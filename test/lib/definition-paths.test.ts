/**
 * Runs the synthesized definition in aws-local-stepfunctions with scripted stand-ins for the step handlers.
 * The stand-ins are typed against the contracts in lambdas/workflow/steps.ts and use its real `nextPoll`,
 * so these tests prove that the definition's Parameters, ResultPaths, Choices, Catches and Fail paths
 * carry exactly what the contracts promise, on every path: the happy path, every catch, retry then
 * success, rollback disabled, cleanup failure, deadline. (The real handlers against the simulated world
 * are tested through local/engine.ts.)
 */
import { type ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AtlasApiGoneError,
  AwsRequestRejectedError,
  AwsTransientError,
  EndpointRejectedError,
  ErrorNames,
  InvalidRequestError,
} from '../../lambdas/core/errors.ts';
import type { AtlasSide, WorkflowOutput, WorkflowRequest } from '../../lambdas/core/state.ts';
import {
  type AvailableEventDetail,
  DetailTypes,
  EVENT_SOURCE,
  type FailedEventDetail,
} from '../../lambdas/workflow/events.ts';
import {
  type FailureSummary,
  isRejectedInput,
  nextPoll,
  PHASES,
  resolvePhaseBudgets,
  STEP_IDS,
  STEPS,
  StateNames,
  type StepId,
  type StepInput,
  type StepOutput,
  type ValidateRequestInput,
} from '../../lambdas/workflow/steps.ts';
import { type AslDefinition, extractDefinition } from '../../lib/asl.ts';
import { synthWorkflow } from './support.ts';

let asl: AslDefinition;
/** Constructed once: the constructor validates the definition, which costs more than a run. */
let machine: StateMachine;
beforeAll(() => {
  asl = extractDefinition(synthWorkflow().template);
  machine = new StateMachine(asl as unknown as StateMachineDefinition);
});

const EXECUTION_ARN = 'arn:aws:states:us-east-1:123456789012:execution:Workflow:exec-1';

const RAW_REQUEST = {
  kind: 'dedicated',
  groupId: '5f7cac1adf5d6c6306f4b283',
  instanceName: 'orders',
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  subnetIds: ['subnet-0a1b2c3d4e5f60718'],
  securityGroupIds: ['sg-0a1b2c3d4e5f60718'],
};
const SERVICE_NAME = 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0';
const VPCE_ID = 'vpce-0123456789abcdef0';
const SRV = 'mongodb+srv://orders-pl-0.abcde.mongodb.net';
const DNS = [
  { dnsName: 'vpce-0123456789abcdef0-abc.vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com' },
];

type Handlers = {
  [Id in StepId]?: (input: StepInput<Id>, call: number) => Promise<StepOutput<Id>> | StepOutput<Id>;
};

interface RunResult {
  readonly output?: unknown;
  readonly error?: { readonly name: string; readonly message: string };
  /** State names in the order entered. */
  readonly path: string[];
  /** Inputs each step's handler received, in order. */
  readonly inputs: { [Id in StepId]?: unknown[] };
  readonly published: { source: string; detailType: string; detail: unknown }[];
  readonly waits: number[];
  readonly retried: string[];
}

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Runs the definition with the given handlers (every other step throws "unexpected"). */
async function run(
  handlers: Handlers,
  options: { input?: unknown; publish?: (detailType: string) => void } = {},
): Promise<RunResult> {
  const inputs: RunResult['inputs'] = {};
  const published: RunResult['published'] = [];
  const overrides: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const id of STEP_IDS) {
    overrides[STEPS[id].stateName] = async (input: unknown) => {
      const seen = inputs[id] ?? [];
      inputs[id] = seen;
      seen.push(structuredClone(input));
      const handler = handlers[id] as ((i: unknown, call: number) => unknown) | undefined;
      if (!handler) throw new Error(`unexpected call: ${id}`);
      return handler(input, seen.length);
    };
  }
  for (const name of [StateNames.PublishAvailableEvent, StateNames.PublishFailedEvent]) {
    overrides[name] = async (input: unknown) => {
      const entries = (input as { Entries: { Source: string; DetailType: string; Detail: unknown }[] })
        .Entries;
      for (const e of entries) {
        options.publish?.(e.DetailType);
        published.push({ source: e.Source, detailType: e.DetailType, detail: e.Detail });
      }
      return { Entries: entries.map((_, i) => ({ EventId: `event-${i}` })), FailedEntryCount: 0 };
    };
  }
  const waitStates = Object.entries(asl.States).filter(([, s]) => s.Type === 'Wait');
  const retryable = Object.entries(asl.States).filter(([, s]) => Array.isArray(s.Retry));
  const execution = machine.run((options.input ?? RAW_REQUEST) as Parameters<StateMachine['run']>[0], {
    overrides: {
      taskResourceLocalHandlers: overrides as never,
      waitTimeOverrides: Object.fromEntries(waitStates.map(([name]) => [name, 0])),
      retryIntervalOverrides: Object.fromEntries(retryable.map(([name]) => [name, 0])),
    },
    context: { Execution: { Id: EXECUTION_ARN, Name: 'exec-1' } } as never,
  });
  const path: string[] = [];
  const waits: number[] = [];
  const retried: string[] = [];
  const logs = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') {
        path.push(event.state.name);
        if (event.state.type === 'Wait') {
          waits.push((event.state.input as { poll: { waitSeconds: number } }).poll.waitSeconds);
        }
      }
      if (event.type === 'StateRetried') retried.push(event.state.name);
    }
  })();
  try {
    const output = await execution.result;
    await logs;
    return { output, path, inputs, published, waits, retried };
  } catch (e) {
    await logs;
    const cause = (e as ExecutionError).cause as Error;
    return { error: { name: cause.name, message: cause.message }, path, inputs, published, waits, retried };
  }
}

// ---- scripted step stand-ins ---------------------------------------------------------------------------

const settings = resolvePhaseBudgets({}, undefined).settings;

/** The record's `execution` from the validate Task's parameters (this file's interpreter runs no clock). */
function executionOf(input: ValidateRequestInput) {
  return {
    id: input.executionId ?? input.executionName,
    name: input.executionName,
    startTime: input.startTime ?? '2026-11-28T09:00:00.000Z',
  };
}

function request(overrides: Partial<WorkflowRequest> = {}): WorkflowRequest {
  return {
    kind: 'dedicated',
    groupId: RAW_REQUEST.groupId,
    instanceName: RAW_REQUEST.instanceName,
    vpcId: RAW_REQUEST.vpcId,
    subnetIds: RAW_REQUEST.subnetIds,
    securityGroupIds: RAW_REQUEST.securityGroupIds,
    region: 'us-east-1',
    privateDnsEnabled: true,
    tags: {},
    requestId: 'exec-1',
    rollbackOnFailure: true,
    ...overrides,
  };
}

const atlasSide = (status: AtlasSide['status'], created = true): AtlasSide => ({
  kind: 'dedicated',
  id: '64ab0123456789abcdef0123',
  status,
  atlasStatus: status === 'pending' ? 'INITIATING' : 'WAITING_FOR_USER',
  endpointServiceName: status === 'pending' ? null : SERVICE_NAME,
  created,
});

/** The happy path, step by step; tests override single steps. */
function happy(overrides: Handlers = {}, req: Partial<WorkflowRequest> = {}): Handlers {
  const base: Handlers = {
    'validate-request': (input) => ({
      request: request({ requestId: input.executionName, ...req }),
      settings,
      existing: {},
      execution: executionOf(input),
    }),
    'create-atlas-endpoint': () => atlasSide('pending'),
    'describe-atlas-endpoint': (s, call) =>
      call < 2
        ? nextPoll(s.poll, 'atlasEndpoint', { ...s.atlas!, atlasStatus: 'INITIATING' }, false, 'INITIATING')
        : nextPoll(
            s.poll,
            'atlasEndpoint',
            { ...atlasSide('ready-for-vpc-endpoint'), created: s.atlas!.created },
            true,
          ),
    'create-vpc-endpoint': (s) => ({
      vpcEndpointId: VPCE_ID,
      state: 'pending',
      serviceName: s.atlas!.endpointServiceName!,
      dnsEntries: DNS,
      created: true,
    }),
    'describe-vpc-endpoint': (s) =>
      nextPoll(s.poll, 'vpcEndpoint', { ...s.vpcEndpoint!, state: 'pendingAcceptance' }, true),
    'link-endpoint': (s) => ({
      status: 'linking',
      atlasStatus: 'PENDING_ACCEPTANCE',
      vpcEndpointId: s.vpcEndpoint!.vpcEndpointId,
      created: true,
    }),
    'describe-link': (s, call) =>
      nextPoll(
        s.poll,
        'link',
        { ...s.link!, status: call < 3 ? 'linking' : 'available', atlasStatus: 'X' },
        call >= 3,
      ),
    'read-connection-string': (s, call) =>
      call < 2
        ? nextPoll(
            s.poll,
            'connection',
            { atlasStatus: 'UPDATING', srvConnectionString: null, pendingRegions: [] },
            false,
          )
        : nextPoll(
            s.poll,
            'connection',
            { atlasStatus: 'IDLE', srvConnectionString: SRV, pendingRegions: [] },
            true,
          ),
    'delete-vpc-endpoint': () => [],
    'delete-atlas-side': () => [],
    'check-cleanup': (s, call) =>
      nextPoll(
        s.poll,
        'cleanup',
        call < 2
          ? { remaining: [{ type: 'vpc-endpoint', id: VPCE_ID, status: 'deleting' }], gone: [] }
          : { remaining: [], gone: [{ type: 'vpc-endpoint', id: VPCE_ID }] },
        call >= 2,
      ),
    'summarize-failure': (input): FailureSummary => {
      const rejected = isRejectedInput(input);
      const original = input.error?.Error ?? 'Unknown';
      const error = !rejected && input.cleanupError ? 'CleanupIncomplete' : original;
      const cause = `summary of ${original}`;
      return {
        error,
        cause,
        report: {
          action: rejected ? null : (input.request.action ?? 'create'),
          requestId: rejected ? null : input.request.requestId,
          kind: rejected ? null : input.request.kind,
          groupId: null,
          instanceName: null,
          vpcId: null,
          error,
          cause,
          originalError: { error: original, message: input.error?.Cause ?? '' },
          cleanupError: null,
          rollbackOnFailure: rejected ? null : input.request.rollbackOnFailure,
          cleanup: 'complete',
          resources: [],
        },
      };
    },
  };
  return { ...base, ...overrides };
}

const count = (path: string[], name: string) => path.filter((p) => p === name).length;

// ---- scenarios ------------------------------------------------------------------------------------------

describe('happy path', () => {
  it('walks every phase, polls until done and returns the plain WorkflowOutput', async () => {
    const r = await run(happy());
    expect(r.error).toBeUndefined();
    const expected: WorkflowOutput = {
      kind: 'dedicated',
      groupId: RAW_REQUEST.groupId,
      instanceName: 'orders',
      requestId: 'exec-1',
      vpcId: RAW_REQUEST.vpcId,
      region: 'us-east-1',
      atlasEndpointId: '64ab0123456789abcdef0123',
      endpointServiceName: SERVICE_NAME,
      vpcEndpointId: VPCE_ID,
      status: 'AVAILABLE',
      privateSrvConnectionString: SRV,
      pendingRegions: [],
      dnsEntries: DNS,
    };
    expect(r.output).toEqual(expected);
    expect(r.inputs['validate-request']).toEqual([
      {
        input: RAW_REQUEST,
        executionName: 'exec-1',
        executionId: 'arn:aws:states:us-east-1:123456789012:execution:Workflow:exec-1',
        startTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    ]);
    expect(count(r.path, StateNames.CheckEndpointService)).toBe(2);
    expect(count(r.path, StateNames.CheckLink)).toBe(3);
    expect(count(r.path, StateNames.ReadConnectionString)).toBe(2);
    expect(r.path.filter((p) => p.startsWith('Delete') || p === StateNames.SummarizeFailure)).toEqual([]);
    expect(r.path.at(-1)).toBe(StateNames.Succeeded);
    // Waits follow the schedule: initial delay, then the first interval.
    expect(r.waits.slice(0, 2)).toEqual([
      PHASES.atlasEndpoint.initialDelaySeconds,
      PHASES.atlasEndpoint.intervalsSeconds[0],
    ]);
    expect(r.waits.slice(0, 2)).toEqual([60, 15]);
    for (const w of r.waits) expect(Number.isInteger(w) && w >= 0).toBe(true);
    const detail: AvailableEventDetail = {
      version: '1',
      executionArn: EXECUTION_ARN,
      requestId: 'exec-1',
      output: expected,
    };
    expect(r.published).toEqual([{ source: EVENT_SOURCE, detailType: DetailTypes.Available, detail }]);
  });

  it('hands each step the record its contract promises', async () => {
    const r = await run(happy());
    const createVpc = r.inputs['create-vpc-endpoint']![0] as StepInput<'create-vpc-endpoint'>;
    expect(createVpc.atlas).toEqual(atlasSide('ready-for-vpc-endpoint'));
    expect(createVpc.request.requestId).toBe('exec-1');
    expect(createVpc.settings).toEqual(settings);
    const firstCheck = r.inputs['describe-link']![0] as StepInput<'describe-link'>;
    expect(firstCheck.poll).toEqual({
      phase: 'link',
      attempt: 0,
      elapsedSeconds: 0,
      budgetSeconds: settings.phaseBudgetSeconds.link,
      waitSeconds: PHASES.link.initialDelaySeconds,
      done: false,
    });
    expect(firstCheck.vpcEndpoint).toMatchObject({ state: 'pendingAcceptance', created: true });
  });

  it('retries a transient error and Lambda throttling, then succeeds', async () => {
    const r = await run(
      happy({
        'create-vpc-endpoint': (s, call) => {
          if (call === 1) throw new AwsTransientError('RequestLimitExceeded');
          if (call === 2) throw named('Lambda.TooManyRequestsException', 'Rate exceeded');
          return happy()['create-vpc-endpoint']!(s, call);
        },
      }),
    );
    expect(r.error).toBeUndefined();
    expect(r.inputs['create-vpc-endpoint']).toHaveLength(3);
    expect(count(r.retried, StateNames.CreateVpcEndpoint)).toBe(2);
  });

  it('succeeds even when the available event cannot be published', async () => {
    const r = await run(happy(), {
      publish: (type) => {
        if (type === DetailTypes.Available) throw new Error('EventBridge down');
      },
    });
    expect(r.error).toBeUndefined();
    expect(r.output).toMatchObject({ status: 'AVAILABLE' });
    expect(count(r.retried, StateNames.PublishAvailableEvent)).toBe(4);
  });
});

describe('already ready: no first wait (adopted resources)', () => {
  it('an adopted endpoint service that is already AVAILABLE and a VPC endpoint already available skip both loops', async () => {
    const r = await run(
      happy({
        'create-atlas-endpoint': () => ({
          ...atlasSide('ready-for-vpc-endpoint', false),
          atlasStatus: 'AVAILABLE',
        }),
        'create-vpc-endpoint': (s) => ({
          vpcEndpointId: VPCE_ID,
          state: 'available',
          serviceName: s.atlas!.endpointServiceName!,
          dnsEntries: DNS,
          created: false,
        }),
      }),
    );
    expect(r.error).toBeUndefined();
    expect(r.path).toContain(StateNames.EndpointServiceAlreadyReady);
    expect(r.path).toContain(StateNames.VpcEndpointAlreadyReady);
    for (const skipped of [
      StateNames.StartEndpointServicePolling,
      StateNames.WaitForEndpointService,
      StateNames.CheckEndpointService,
      StateNames.StartVpcEndpointPolling,
      StateNames.WaitForVpcEndpoint,
      StateNames.CheckVpcEndpoint,
    ]) {
      expect(r.path, skipped).not.toContain(skipped);
    }
    const at = (state: string) => r.path.indexOf(state);
    expect(at(StateNames.CreateVpcEndpoint)).toBe(at(StateNames.EndpointServiceAlreadyReady) + 1);
    expect(at(StateNames.LinkAtlasEndpoint)).toBe(at(StateNames.VpcEndpointAlreadyReady) + 1);
    // The first wait of the run is the link's.
    expect(r.waits[0]).toBe(PHASES.link.initialDelaySeconds);
    expect(r.output).toMatchObject({ status: 'AVAILABLE', privateSrvConnectionString: SRV });
  });

  it('a service that is ready but has no name yet, or a pending VPC endpoint, is waited for', async () => {
    const r = await run(
      happy({
        'create-atlas-endpoint': () => ({
          ...atlasSide('ready-for-vpc-endpoint'),
          endpointServiceName: null,
        }),
      }),
    );
    expect(r.error).toBeUndefined();
    expect(count(r.path, StateNames.WaitForEndpointService)).toBeGreaterThan(0);
    expect(count(r.path, StateNames.WaitForVpcEndpoint)).toBe(1);
  });
});

describe('connection phase', () => {
  it('a multi-region cluster still missing endpoints: success with a null string and pendingRegions', async () => {
    const r = await run(
      happy({
        'read-connection-string': (s) =>
          nextPoll(
            s.poll,
            'connection',
            { atlasStatus: 'IDLE', srvConnectionString: null, pendingRegions: ['US_WEST_2'] },
            true,
          ),
      }),
    );
    expect(r.error).toBeUndefined();
    expect(r.output).toMatchObject({
      status: 'AVAILABLE',
      privateSrvConnectionString: null,
      pendingRegions: ['US_WEST_2'],
    });
    expect(r.published.map((p) => p.detailType)).toEqual([DetailTypes.Available]);
  });

  it('waits its first 3 minutes, then on the schedule of the PHASES table', async () => {
    const r = await run(happy());
    const start = r.path.indexOf(StateNames.StartConnectionStringPolling);
    expect(start).toBeGreaterThan(0);
    // Facts §10: the string appears about 3-5 minutes after the link is AVAILABLE; no look before 3 minutes.
    expect(PHASES.connection.initialDelaySeconds).toBe(180);
    const linkWaits =
      count(r.path, StateNames.WaitForEndpointService) +
      count(r.path, StateNames.WaitForVpcEndpoint) +
      count(r.path, StateNames.WaitForLink);
    expect(r.waits.slice(linkWaits, linkWaits + 2)).toEqual([180, PHASES.connection.intervalsSeconds[0]]);
  });
});

describe('failure paths', () => {
  it('validation failure: straight to the summary with the raw input, no cleanup', async () => {
    const r = await run(
      happy({
        'validate-request': () => {
          throw new InvalidRequestError([{ field: 'groupId', problem: 'must be 24 hex characters' }]);
        },
      }),
      { input: { groupId: 'nope' } },
    );
    expect(r.error?.name).toBe(ErrorNames.InvalidRequest);
    expect(r.error?.message).toBe('summary of InvalidRequest');
    expect(r.inputs['summarize-failure']).toEqual([
      {
        input: { groupId: 'nope' },
        error: { Error: 'InvalidRequest', Cause: 'Invalid request: groupId: must be 24 hex characters' },
      },
    ]);
    expect(r.path).toEqual([
      StateNames.ReceiveRequest,
      StateNames.AuditOrConnection,
      StateNames.ValidateRequest,
      StateNames.SummarizeFailure,
      StateNames.PublishFailedEvent,
      StateNames.Failed,
    ]);
    const detail = r.published[0]?.detail as FailedEventDetail;
    expect(r.published[0]?.detailType).toBe(DetailTypes.Failed);
    expect(detail).toMatchObject({ version: '1', executionArn: EXECUTION_ARN, requestId: null });
    expect(detail.failure.error).toBe('InvalidRequest');
  });

  it('first Atlas call fails (retired API): the cleanup looks for what the request made, finds nothing', async () => {
    const r = await run(
      happy({
        'create-atlas-endpoint': () => {
          throw new AtlasApiGoneError('410 VERSION_GONE');
        },
      }),
    );
    expect(r.error?.name).toBe(ErrorNames.AtlasApiGone);
    expect(r.path.slice(r.path.indexOf(StateNames.CreateAtlasEndpoint))).toEqual([
      StateNames.CreateAtlasEndpoint,
      StateNames.DeleteVpcEndpoint,
      StateNames.DeleteAtlasSide,
      StateNames.RollBack,
      StateNames.StartCleanupPolling,
      StateNames.WaitForCleanup,
      StateNames.CheckCleanup,
      StateNames.CleanupDone,
      StateNames.WaitForCleanup,
      StateNames.CheckCleanup,
      StateNames.CleanupDone,
      StateNames.RecordCleanup,
      StateNames.AfterCleanup,
      StateNames.ReleaseTarget,
      StateNames.WhichEnding,
      StateNames.SummarizeFailure,
      StateNames.PublishFailedEvent,
      StateNames.Failed,
    ]);
  });

  it('link rejected: deletes the VPC endpoint and the Atlas side, waits until gone, then fails with the original error', async () => {
    const r = await run(
      happy({
        'describe-link': () => {
          throw new EndpointRejectedError('interface endpoint REJECTED');
        },
      }),
    );
    expect(r.error).toEqual({ name: 'EndpointRejected', message: 'summary of EndpointRejected' });
    expect(r.path.slice(r.path.indexOf(StateNames.DeleteVpcEndpoint))).toEqual([
      StateNames.DeleteVpcEndpoint,
      StateNames.DeleteAtlasSide,
      StateNames.RollBack,
      StateNames.StartCleanupPolling,
      StateNames.WaitForCleanup,
      StateNames.CheckCleanup,
      StateNames.CleanupDone,
      StateNames.WaitForCleanup,
      StateNames.CheckCleanup,
      StateNames.CleanupDone,
      StateNames.RecordCleanup,
      StateNames.AfterCleanup,
      StateNames.ReleaseTarget,
      StateNames.WhichEnding,
      StateNames.SummarizeFailure,
      StateNames.PublishFailedEvent,
      StateNames.Failed,
    ]);
    const toDelete = r.inputs['delete-vpc-endpoint']![0] as StepInput<'delete-vpc-endpoint'>;
    expect(toDelete.vpcEndpoint).toMatchObject({ vpcEndpointId: VPCE_ID, created: true });
    expect(toDelete.error).toEqual({ Error: 'EndpointRejected', Cause: 'interface endpoint REJECTED' });
    const summary = r.inputs['summarize-failure']![0] as StepInput<'summarize-failure'> & {
      cleanup: unknown;
    };
    expect(summary.cleanup).toEqual({ remaining: [], gone: [{ type: 'vpc-endpoint', id: VPCE_ID }] });
    expect(r.published.map((p) => p.detailType)).toEqual([DetailTypes.Failed]);
  });

  it('adopted Atlas side (created: false): both delete steps run (they decide what is this request own)', async () => {
    const r = await run(
      happy({
        'create-atlas-endpoint': () => atlasSide('pending', false),
        'link-endpoint': () => {
          throw new AwsRequestRejectedError('bad subnet');
        },
      }),
    );
    expect(r.error?.name).toBe('AwsRequestRejected');
    expect(r.inputs['delete-vpc-endpoint']).toHaveLength(1);
    expect(r.inputs['delete-atlas-side']).toHaveLength(1);
    expect(r.path).toContain(StateNames.CheckCleanup);
  });

  it('rollbackOnFailure false: the delete steps only look (they keep everything), no cleanup loop, then the summary', async () => {
    const r = await run(
      happy(
        {
          'describe-link': () => {
            throw new EndpointRejectedError('REJECTED');
          },
        },
        { rollbackOnFailure: false },
      ),
    );
    expect(r.error?.name).toBe('EndpointRejected');
    expect(r.path.filter((p) => p.startsWith('Delete') || p.includes('cleanup'))).toEqual([
      StateNames.DeleteVpcEndpoint,
      StateNames.DeleteAtlasSide,
    ]);
    expect(r.path.slice(r.path.indexOf(StateNames.RollBack))).toEqual([
      StateNames.RollBack,
      StateNames.ReleaseTarget,
      StateNames.WhichEnding,
      StateNames.SummarizeFailure,
      StateNames.PublishFailedEvent,
      StateNames.Failed,
    ]);
    const summary = r.inputs['summarize-failure']![0] as StepInput<'summarize-failure'>;
    expect(summary).toMatchObject({
      atlas: { created: true },
      vpcEndpoint: { created: true },
      link: { created: true },
    });
  });

  it('phase deadline: an endpoint that never gets ready is checked on schedule, then cleaned up', async () => {
    const r = await run(
      happy({
        'validate-request': (input) => ({
          request: request({ requestId: input.executionName }),
          settings: { ...settings, phaseBudgetSeconds: { ...settings.phaseBudgetSeconds, vpcEndpoint: 60 } },
          existing: {},
          execution: executionOf(input),
        }),
        'describe-vpc-endpoint': (s) =>
          nextPoll(s.poll, 'vpcEndpoint', s.vpcEndpoint!, false, 'state pending'),
      }),
    );
    expect(r.error?.name).toBe(ErrorNames.DeadlineExceeded);
    // The first wait (20 s, within half the 60 s budget), then 5, 5, 10 and 20 (the built-in 36 clipped to
    // what is left of the budget); the fifth check, at 60 s, throws.
    expect(count(r.path, StateNames.CheckVpcEndpoint)).toBe(5);
    expect(r.waits.slice(2, 7)).toEqual([20, 5, 5, 10, 20]);
    const firstDelete = r.inputs['delete-vpc-endpoint']![0] as StepInput<'delete-vpc-endpoint'>;
    expect(firstDelete.error?.Error).toBe('DeadlineExceeded');
    expect(firstDelete.error?.Cause).toContain('state pending');
  });

  it('an unexpected crash after a create still cleans up', async () => {
    const r = await run(
      happy({
        'describe-vpc-endpoint': () => {
          throw new TypeError("Cannot read properties of undefined (reading 'state')");
        },
      }),
    );
    expect(r.error?.name).toBe('TypeError');
    expect(r.inputs['delete-vpc-endpoint']).toHaveLength(1);
    expect(r.inputs['delete-atlas-side']).toHaveLength(1);
  });

  it('cleanup failure: stops cleaning, the summary gets both errors and the Fail says CleanupIncomplete', async () => {
    const r = await run(
      happy({
        'describe-link': () => {
          throw new EndpointRejectedError('REJECTED');
        },
        'delete-vpc-endpoint': () => {
          throw new AwsRequestRejectedError('UnauthorizedOperation');
        },
      }),
    );
    expect(r.error?.name).toBe('CleanupIncomplete');
    expect(r.inputs['delete-atlas-side']).toBeUndefined();
    const summary = r.inputs['summarize-failure']![0] as StepInput<'summarize-failure'>;
    expect(summary).toMatchObject({
      error: { Error: 'EndpointRejected' },
      cleanupError: { Error: 'AwsRequestRejected', Cause: 'UnauthorizedOperation' },
    });
  });

  it('cleanup that never finishes ends at its budget instead of looping', async () => {
    const r = await run(
      happy({
        'describe-link': () => {
          throw new EndpointRejectedError('REJECTED');
        },
        'check-cleanup': (s) =>
          nextPoll(
            s.poll,
            'cleanup',
            { remaining: [{ type: 'vpc-endpoint', id: VPCE_ID, status: 'deleting' }], gone: [] },
            false,
          ),
      }),
    );
    expect(r.error?.name).toBe('CleanupIncomplete');
    const summary = r.inputs['summarize-failure']![0] as StepInput<'summarize-failure'>;
    expect(summary).toMatchObject({ cleanupError: { Error: 'DeadlineExceeded' } });
    const checks = count(r.path, StateNames.CheckCleanup);
    expect(checks).toBeGreaterThan(80);
    expect(checks).toBeLessThan(100);
  });

  it('a failing summary still fails the execution, with WorkflowFailed', async () => {
    const r = await run(
      happy({
        'create-atlas-endpoint': () => {
          throw new AtlasApiGoneError('gone');
        },
        'summarize-failure': () => {
          throw new Error('bug');
        },
      }),
    );
    expect(r.error?.name).toBe('WorkflowFailed');
    expect(r.path.at(-1)).toBe(StateNames.FailedWithoutSummary);
    expect(r.published).toEqual([]);
  });

  it('an undeliverable failed event does not hide the failure', async () => {
    const r = await run(
      happy({
        'create-atlas-endpoint': () => {
          throw new AtlasApiGoneError('gone');
        },
      }),
      {
        publish: () => {
          throw new Error('EventBridge down');
        },
      },
    );
    expect(r.error?.name).toBe('AtlasApiGone');
  });
});
