/**
 * Named fault plans for `npm start -- --fault <name>` and for tests.
 *
 * Each plan lists the endpoint kinds it affects; rules for operations a kind never calls are harmless, so a
 * plan may carry rules for both kinds. HTTP faults name Atlas operationId overrides (or EC2 actions);
 * lifecycle faults name `lifecycle:<resource>.<phase>` transitions (see ATLAS_LIFECYCLE / AWS_LIFECYCLE_FAULTS).
 */
import { DEFAULT_TIMEOUT_MS } from '../../lambdas/atlas/client.ts';
import type { ErrorName } from '../../lambdas/core/errors.ts';
import type { AtlasHttpErrorEffect } from '../atlas-server.ts';
import { ATLAS_LIFECYCLE } from './atlas-model.ts';
import { AWS_LIFECYCLE_FAULTS } from './aws-model.ts';
import type { FaultEffect, FaultRule } from './faults.ts';

export type EndpointKind = 'serverless' | 'dedicated';

/** How an execution under a plan ends: SUCCEEDED, or the named error it fails with (per kind where they differ). */
export type PlanOutcome = 'SUCCEEDED' | ErrorName | Readonly<Record<EndpointKind, 'SUCCEEDED' | ErrorName>>;

export interface FaultCatalogEntry {
  /** The documented outcome (the README's fault plan table; test/workflow/fault-catalog.ts checks it). */
  readonly outcome: PlanOutcome;
  readonly description: string;
  readonly kinds: readonly EndpointKind[];
  readonly rules: readonly FaultRule[];
}

/** An Atlas `http-error` effect, optionally with Retry-After (seconds) — the Atlas front honours it on 503. */
export function atlasHttpError(status: 500 | 502 | 503 | 504, retryAfterSeconds?: number): FaultEffect {
  const effect: AtlasHttpErrorEffect =
    retryAfterSeconds === undefined
      ? { kind: 'http-error', status }
      : { kind: 'http-error', status, retryAfterSeconds };
  return effect;
}

/** Delay used by the catalog's slow-response plan (real ms): longer than a 10 s client timeout. */
export const SLOW_RESPONSE_MS = 15_000;

/**
 * Delay of the atlas-create-slow plan (real ms): the smallest that exceeds the Atlas client's per-attempt
 * timeout (`DEFAULT_TIMEOUT_MS`, which the handlers use). The client starts its timer before it sends and the
 * world starts its delay after it received the request, so the client always gives up first; a run costs the
 * client timeout in real time, not more.
 */
export const ATLAS_CREATE_SLOW_MS = DEFAULT_TIMEOUT_MS + 1;

const SERVERLESS_CREATE = 'createServerlessPrivateEndpoint';
const SERVERLESS_GET = 'getServerlessPrivateEndpoint';
const SERVICE_CREATE = 'createPrivateEndpointService';
const SERVICE_GET = 'getPrivateEndpointService';
const INTERFACE_GET = 'getPrivateEndpoint';

/** The atlas-slow plan with a chosen delay (real ms), e.g. just above a test client's timeout. */
export function atlasSlowRules(delayMs: number = SLOW_RESPONSE_MS): FaultRule[] {
  return on([SERVERLESS_GET, SERVICE_GET], { effect: { kind: 'slow-response', delayMs } });
}

/** The same rule for several operations. */
function on(operations: readonly string[], rule: Omit<FaultRule, 'operation'>): FaultRule[] {
  return operations.map((operation) => ({ operation, ...rule }));
}

/** Consecutive occurrences of `operation` get the given effects, one each. */
function sequence(operation: string, effects: readonly FaultEffect[]): FaultRule[] {
  return effects.map((effect, i) => ({ operation, occurrence: i + 1, effect }));
}

export const FAULT_CATALOG: Readonly<Record<string, FaultCatalogEntry>> = {
  'atlas-500': {
    outcome: 'SUCCEEDED',
    description: 'The first status poll of the Atlas endpoint answers 500 UNEXPECTED_ERROR once.',
    kinds: ['serverless', 'dedicated'],
    rules: on([SERVERLESS_GET, SERVICE_GET], { effect: atlasHttpError(500) }),
  },
  'atlas-503': {
    outcome: 'SUCCEEDED',
    description: 'The Atlas create call answers 503 SERVICE_UNAVAILABLE with Retry-After: 1, once.',
    kinds: ['serverless', 'dedicated'],
    rules: on([SERVERLESS_CREATE, SERVICE_CREATE], { effect: atlasHttpError(503, 1) }),
  },
  'atlas-429': {
    outcome: 'SUCCEEDED',
    description: 'The Atlas create call answers 429 RATE_LIMITED_TOKEN_BUCKET with Retry-After: 2, once.',
    kinds: ['serverless', 'dedicated'],
    rules: on([SERVERLESS_CREATE, SERVICE_CREATE], { effect: { kind: 'rate-limit', retryAfterSeconds: 2 } }),
  },
  'atlas-429-no-retry-after': {
    outcome: 'SUCCEEDED',
    description:
      'The Atlas create call answers 429 without a Retry-After header, once (the client must back off).',
    kinds: ['serverless', 'dedicated'],
    rules: on([SERVERLESS_CREATE, SERVICE_CREATE], { effect: { kind: 'rate-limit' } }),
  },
  'atlas-drop': {
    outcome: 'SUCCEEDED',
    description: 'The first status poll of the Atlas endpoint has its connection dropped without an answer.',
    kinds: ['serverless', 'dedicated'],
    rules: on([SERVERLESS_GET, SERVICE_GET], { effect: { kind: 'drop-connection' } }),
  },
  'atlas-slow': {
    outcome: 'SUCCEEDED',
    description: `The first status poll of the Atlas endpoint answers only after ${SLOW_RESPONSE_MS / 1000} s (real time), past a client timeout.`,
    kinds: ['serverless', 'dedicated'],
    rules: atlasSlowRules(),
  },
  'atlas-create-slow': {
    outcome: 'SUCCEEDED',
    description:
      `The Atlas create call (serverless endpoint / endpoint service) takes effect at once but is answered ` +
      `only after ${ATLAS_CREATE_SLOW_MS} ms (real time), past the client's ${DEFAULT_TIMEOUT_MS / 1000} s ` +
      'per-attempt timeout: the workflow must find what it created instead of creating it again.',
    kinds: ['serverless', 'dedicated'],
    rules: on([SERVERLESS_CREATE, SERVICE_CREATE], {
      effect: { kind: 'slow-response', delayMs: ATLAS_CREATE_SLOW_MS },
    }),
  },
  'atlas-create-drop': {
    outcome: 'SUCCEEDED',
    description:
      'The Atlas create call takes effect, then its connection is dropped without an answer: the workflow must ' +
      'find what it created instead of creating it again.',
    kinds: ['serverless', 'dedicated'],
    rules: on([SERVERLESS_CREATE, SERVICE_CREATE], { effect: { kind: 'drop-after-commit' } }),
  },
  'atlas-token-503': {
    outcome: 'SUCCEEDED',
    description: 'The first service-account token request answers 503 with Retry-After: 1.',
    kinds: ['serverless', 'dedicated'],
    rules: [{ operation: 'oauthToken', effect: atlasHttpError(503, 1) }],
  },
  'atlas-delete-500': {
    outcome: { serverless: 'EndpointFailed', dedicated: 'EndpointRejected' },
    description:
      'The link fails (serverless FAILED / dedicated REJECTED), then the first Atlas delete of the cleanup answers 500 once (compensation must retry).',
    kinds: ['serverless', 'dedicated'],
    rules: [
      {
        operation: 'lifecycle:serverlessEndpoint.accept',
        effect: { kind: 'fail-transition', errorMessage: 'Atlas could not connect to the VPC endpoint.' },
      },
      {
        operation: 'lifecycle:interfaceEndpoint.accept',
        effect: { kind: 'fail-transition', errorMessage: 'Atlas rejected the interface endpoint.' },
      },
      ...on(['deleteServerlessPrivateEndpoint', 'deletePrivateEndpointService', 'deletePrivateEndpoint'], {
        effect: atlasHttpError(500),
      }),
    ],
  },
  'atlas-burst-429': {
    outcome: 'SUCCEEDED',
    description:
      'Three consecutive 429s (Retry-After 1, 2, then none) on the Atlas create call and on the first polls.',
    kinds: ['serverless', 'dedicated'],
    rules: [SERVERLESS_CREATE, SERVICE_CREATE, SERVERLESS_GET, SERVICE_GET, INTERFACE_GET].flatMap((op) =>
      sequence(op, [
        { kind: 'rate-limit', retryAfterSeconds: 1 },
        { kind: 'rate-limit', retryAfterSeconds: 2 },
        { kind: 'rate-limit' },
      ]),
    ),
  },
  'atlas-burst-5xx': {
    outcome: 'SUCCEEDED',
    description: 'The first three status polls answer 500, 503 (Retry-After 1) and 502 in a row.',
    kinds: ['serverless', 'dedicated'],
    rules: [SERVERLESS_GET, SERVICE_GET, INTERFACE_GET].flatMap((op) =>
      sequence(op, [atlasHttpError(500), atlasHttpError(503, 1), atlasHttpError(502)]),
    ),
  },
  'atlas-burst-mixed': {
    outcome: 'SUCCEEDED',
    description: 'Create answers 503 then 429; the first polls answer 500, a dropped connection, then 429.',
    kinds: ['serverless', 'dedicated'],
    rules: [
      ...[SERVERLESS_CREATE, SERVICE_CREATE].flatMap((op) =>
        sequence(op, [atlasHttpError(503), { kind: 'rate-limit', retryAfterSeconds: 1 }]),
      ),
      ...[SERVERLESS_GET, SERVICE_GET].flatMap((op) =>
        sequence(op, [
          atlasHttpError(500),
          { kind: 'drop-connection' },
          { kind: 'rate-limit', retryAfterSeconds: 1 },
        ]),
      ),
    ],
  },
  'serverless-reservation-failed': {
    outcome: 'EndpointFailed',
    description: 'The serverless endpoint goes FAILED instead of RESERVED.',
    kinds: ['serverless'],
    rules: [
      {
        operation: 'lifecycle:serverlessEndpoint.reserve',
        effect: { kind: 'fail-transition', errorMessage: 'Atlas could not reserve an endpoint service.' },
      },
    ],
  },
  'serverless-link-failed': {
    outcome: 'EndpointFailed',
    description: 'After the PATCH, the serverless endpoint goes FAILED instead of AVAILABLE.',
    kinds: ['serverless'],
    rules: [
      {
        operation: 'lifecycle:serverlessEndpoint.accept',
        effect: { kind: 'fail-transition', errorMessage: 'Atlas could not connect to the VPC endpoint.' },
      },
    ],
  },
  'serverless-stuck': {
    outcome: 'DeadlineExceeded',
    description: 'The serverless endpoint stays RESERVATION_REQUESTED forever (a phase deadline must fire).',
    kinds: ['serverless'],
    rules: [{ operation: 'lifecycle:serverlessEndpoint.reserve', effect: { kind: 'stuck' } }],
  },
  'serverless-link-stuck': {
    outcome: 'DeadlineExceeded',
    description: 'After the PATCH, the serverless endpoint stays INITIATING forever.',
    kinds: ['serverless'],
    rules: [{ operation: 'lifecycle:serverlessEndpoint.accept', effect: { kind: 'stuck' } }],
  },
  'dedicated-service-failed': {
    outcome: 'EndpointFailed',
    description: 'The dedicated endpoint service goes FAILED instead of becoming ready (AVAILABLE).',
    kinds: ['dedicated'],
    rules: [
      {
        operation: 'lifecycle:endpointService.create',
        effect: { kind: 'fail-transition', errorMessage: 'Atlas failed to create the endpoint service.' },
      },
    ],
  },
  'dedicated-interface-rejected': {
    outcome: 'EndpointRejected',
    description: 'The dedicated interface endpoint goes REJECTED instead of PENDING.',
    kinds: ['dedicated'],
    rules: [
      {
        operation: 'lifecycle:interfaceEndpoint.accept',
        effect: { kind: 'fail-transition', errorMessage: 'Atlas rejected the interface endpoint.' },
      },
    ],
  },
  'dedicated-stuck': {
    outcome: 'DeadlineExceeded',
    description: 'The dedicated endpoint service stays INITIATING forever (a phase deadline must fire).',
    kinds: ['dedicated'],
    rules: [{ operation: 'lifecycle:endpointService.create', effect: { kind: 'stuck' } }],
  },
  'dedicated-link-stuck': {
    outcome: 'DeadlineExceeded',
    description: 'The dedicated interface endpoint stays PENDING forever.',
    kinds: ['dedicated'],
    rules: [{ operation: 'lifecycle:interfaceEndpoint.available', effect: { kind: 'stuck' } }],
  },
  'cluster-stuck-updating': {
    outcome: 'DeadlineExceeded',
    description:
      'After the link is AVAILABLE, the cluster (or serverless instance) stays UPDATING and never names the ' +
      'VPC endpoint in privateEndpoint[] (facts §10): the connection phase deadline must fire.',
    kinds: ['serverless', 'dedicated'],
    rules: [
      {
        operation: 'lifecycle:deployment.applyPrivateEndpoint',
        times: Number.POSITIVE_INFINITY,
        effect: { kind: 'stuck' },
      },
    ],
  },
  'ec2-throttle': {
    outcome: 'SUCCEEDED',
    description: 'CreateVpcEndpoint answers RequestLimitExceeded (HTTP 503) twice.',
    kinds: ['serverless', 'dedicated'],
    rules: [
      {
        operation: 'CreateVpcEndpoint',
        times: 2,
        effect: {
          kind: 'ec2-error',
          code: 'RequestLimitExceeded',
          status: 503,
          message: 'Request limit exceeded.',
        },
      },
    ],
  },
  'ec2-limit': {
    outcome: 'AwsRequestRejected',
    description: 'CreateVpcEndpoint answers VpcEndpointLimitExceeded (a business error, not retryable).',
    kinds: ['serverless', 'dedicated'],
    rules: [
      {
        operation: 'CreateVpcEndpoint',
        times: Number.POSITIVE_INFINITY,
        effect: {
          kind: 'ec2-error',
          code: 'VpcEndpointLimitExceeded',
          status: 400,
          message: 'The maximum number of VPC endpoints has been reached.',
        },
      },
    ],
  },
  'vpc-endpoint-failed': {
    outcome: 'EndpointRejected',
    description: 'The AWS VPC endpoint goes failed instead of pendingAcceptance.',
    kinds: ['serverless', 'dedicated'],
    rules: [
      {
        operation: 'lifecycle:vpcEndpoint.provision',
        effect: { kind: 'fail-transition', errorMessage: 'Insufficient free IP addresses in subnet.' },
      },
    ],
  },
  'atlas-create-drop-failed': {
    outcome: 'EndpointFailed',
    description:
      'The Atlas create takes effect, its answer is lost, and the new endpoint (service) then goes FAILED: the ' +
      'workflow finds the FAILED one as its own, reports it and deletes it; never a second one (issue 9, finding 1).',
    kinds: ['serverless', 'dedicated'],
    rules: [
      ...on([SERVERLESS_CREATE, SERVICE_CREATE], { effect: { kind: 'drop-after-commit' } }),
      {
        operation: ATLAS_LIFECYCLE.serverlessReserve,
        effect: { kind: 'fail-transition', errorMessage: 'Atlas could not reserve an endpoint service.' },
      },
      {
        operation: ATLAS_LIFECYCLE.endpointServiceCreate,
        effect: { kind: 'fail-transition', errorMessage: 'Atlas failed to create the endpoint service.' },
      },
    ],
  },
  'atlas-link-drop': {
    outcome: 'SUCCEEDED',
    description:
      'The link (serverless PATCH / dedicated interface endpoint create) takes effect and its answer is lost: ' +
      'the workflow sees the link made and does not make it twice.',
    kinds: ['serverless', 'dedicated'],
    rules: on(['updateServerlessPrivateEndpoint', 'createPrivateEndpoint'], {
      effect: { kind: 'drop-after-commit' },
    }),
  },
  'atlas-cleanup-drop': {
    outcome: { serverless: 'EndpointFailed', dedicated: 'EndpointRejected' },
    description:
      'The link fails, then the first Atlas delete of the cleanup takes effect with its answer lost: the ' +
      'cleanup still sees everything gone and reports it complete.',
    kinds: ['serverless', 'dedicated'],
    rules: [
      {
        operation: ATLAS_LIFECYCLE.serverlessAccept,
        effect: { kind: 'fail-transition', errorMessage: 'Atlas could not connect to the VPC endpoint.' },
      },
      {
        operation: ATLAS_LIFECYCLE.interfaceEndpointAccept,
        effect: { kind: 'fail-transition', errorMessage: 'Atlas rejected the interface endpoint.' },
      },
      ...on(['deleteServerlessPrivateEndpoint', 'deletePrivateEndpoint'], {
        effect: { kind: 'drop-after-commit' },
      }),
    ],
  },
  'atlas-delete-refused': {
    outcome: 'CleanupIncomplete',
    description:
      'The link fails, and every Atlas delete of the cleanup answers 500: the execution ends in ' +
      'CleanupIncomplete, and the cause and the failed event name what is left over.',
    kinds: ['serverless', 'dedicated'],
    rules: [
      {
        operation: ATLAS_LIFECYCLE.serverlessAccept,
        effect: { kind: 'fail-transition', errorMessage: 'Atlas could not connect to the VPC endpoint.' },
      },
      {
        operation: ATLAS_LIFECYCLE.interfaceEndpointAccept,
        effect: { kind: 'fail-transition', errorMessage: 'Atlas rejected the interface endpoint.' },
      },
      ...on(['deleteServerlessPrivateEndpoint', 'deletePrivateEndpoint', 'deletePrivateEndpointService'], {
        times: Number.POSITIVE_INFINITY,
        effect: atlasHttpError(500),
      }),
    ],
  },
  'ec2-create-drop': {
    outcome: 'SUCCEEDED',
    description:
      'CreateVpcEndpoint takes effect and its answer is lost, twice: the retries send the same ClientToken ' +
      "(the execution's) and get the same VPC endpoint back, not a second one.",
    kinds: ['serverless', 'dedicated'],
    rules: [{ operation: 'CreateVpcEndpoint', times: 2, effect: { kind: 'drop-after-commit' } }],
  },
  'ec2-create-lost': {
    outcome: 'AwsTransientError',
    description:
      'Every answer to CreateVpcEndpoint is lost after EC2 made the endpoint: the step gives up, and the cleanup ' +
      "finds the VPC endpoint by the request's tags and deletes it (issue 9, finding 6).",
    kinds: ['serverless', 'dedicated'],
    rules: [
      {
        operation: 'CreateVpcEndpoint',
        times: Number.POSITIVE_INFINITY,
        effect: { kind: 'drop-after-commit' },
      },
    ],
  },
  'ec2-describe-5xx': {
    outcome: 'SUCCEEDED',
    description: 'DescribeVpcEndpoints answers 500 twice (the look-up and the first check retry).',
    kinds: ['serverless', 'dedicated'],
    rules: [{ operation: 'DescribeVpcEndpoints', times: 2, effect: { kind: 'http-error', status: 500 } }],
  },
  'vpc-endpoint-delete-stuck': {
    outcome: 'CleanupIncomplete',
    description:
      'The link fails, and the VPC endpoint never finishes deleting: the cleanup budget runs out, and the ' +
      'failure names the VPC endpoint still deleting.',
    kinds: ['serverless', 'dedicated'],
    rules: [
      {
        operation: ATLAS_LIFECYCLE.serverlessAccept,
        effect: { kind: 'fail-transition', errorMessage: 'Atlas could not connect to the VPC endpoint.' },
      },
      {
        operation: ATLAS_LIFECYCLE.interfaceEndpointAccept,
        effect: { kind: 'fail-transition', errorMessage: 'Atlas rejected the interface endpoint.' },
      },
      { operation: AWS_LIFECYCLE_FAULTS.delete, effect: { kind: 'stuck' } },
    ],
  },
  'lease-write-drop': {
    outcome: 'SUCCEEDED',
    description:
      "The target lease's conditional write takes effect and its answer is lost: the retry takes it again as " +
      'the same holder (the execution), and the execution goes on.',
    kinds: ['serverless', 'dedicated'],
    rules: [{ operation: 'PutItem', effect: { kind: 'drop-after-commit' } }],
  },
  'lease-throttle': {
    outcome: 'SUCCEEDED',
    description: 'The lease table throttles the lease write twice (ThrottlingException); the SDK retries.',
    kinds: ['serverless', 'dedicated'],
    rules: [{ operation: 'PutItem', times: 2, effect: { kind: 'rate-limit' } }],
  },
  'lease-release-throttled': {
    outcome: 'SUCCEEDED',
    description:
      'The lease table throttles giving the lease back four times, more than the SDK attempts: "Release ' +
      'target" retries and the lease is given back.',
    kinds: ['serverless', 'dedicated'],
    rules: [{ operation: 'DeleteItem', times: 4, effect: { kind: 'rate-limit' } }],
  },
  'lease-release-fails': {
    outcome: 'SUCCEEDED',
    description:
      'Giving the target lease back always fails (500), through every retry: the outcome stands, and the next ' +
      'execution for the target asks Step Functions about this one, finds it ended and takes the lease over.',
    kinds: ['serverless', 'dedicated'],
    rules: [
      {
        operation: 'DeleteItem',
        times: Number.POSITIVE_INFINITY,
        effect: { kind: 'http-error', status: 500 },
      },
    ],
  },
};

/** An outcome as the README writes it. */
function outcomeText(outcome: PlanOutcome): string {
  if (typeof outcome === 'string') return outcome === 'SUCCEEDED' ? 'succeeds' : `\`${outcome}\``;
  const { serverless, dedicated } = outcome;
  return `serverless \`${serverless}\`, dedicated \`${dedicated}\``;
}

/**
 * The README's table of every named plan and its documented outcome (test/lib/readme.test.ts keeps the README
 * equal to it): `| plan | kinds | what happens | outcome |`.
 */
export function faultPlanTable(): string {
  const rows = Object.entries(FAULT_CATALOG).map(
    ([name, plan]) =>
      `| \`${name}\` | ${plan.kinds.join(', ')} | ${plan.description.replace(/\|/g, '\\|')} | ${outcomeText(plan.outcome)} |`,
  );
  return ['| plan | kinds | what happens | outcome |', '|---|---|---|---|', ...rows].join('\n');
}
