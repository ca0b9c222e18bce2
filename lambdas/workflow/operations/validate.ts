/**
 * validate-request: turn the raw execution input into the state record, and find what already exists.
 *
 * 1. Parse the request with the deployment defaults (`parseRequest`) and resolve the phase budgets
 *    (`resolvePhaseBudgets`): `checkRequest`, pure, before anything else. A request refused here ends in
 *    InvalidRequest with no EC2 or Atlas call at all. Then check the network (the VPC exists; subnets and
 *    security groups exist, belong to it, one subnet per Availability Zone) and the Atlas target (project and
 *    instance or cluster exist, of the requested kind). Every problem these find goes into ONE InvalidRequest,
 *    which wins over a named error of a check that could not run; nothing is created.
 * 2. Take the target's lease (./lease.ts): another execution working on the same target ends this one with
 *    TargetBusy, before anything is looked at. Every later failure of this step gives the lease back.
 * 3. Look up what exists for (project, instance, VPC): VPC endpoints this deployment tagged for the same
 *    Atlas target (this request's own first), the Atlas side they point at (or, without one, the Atlas side
 *    `findExisting` would adopt), and the link between them. Each entry gets `created` by the ownership
 *    rule: true only when it carries this request's id (VPC endpoint tags; a serverless endpoint's comment
 *    marker); anything else is adopted but never deleted. An unlinked serverless endpoint is adopted only
 *    when it carries this request's marker: an unmarked one may be another execution's, in the middle of
 *    its own run, so this request makes its own instead.
 *
 * Other actions (./inspect.ts finds their connection): a `delete` is parsed (1, without the network and Atlas
 * checks: what it removes may outlive them) and takes the lease (2); a `check` with `repair` runs 1 and 2; a
 * plain `check` is only parsed: it changes nothing, so it takes no lease (inspect.ts reports a target another
 * execution holds as in progress). None of them runs 3.
 */
import type { AtlasEndpointView, DeploymentTier, DeploymentView } from '#atlas/endpoint-kind';
import { apiErrorOf } from '#atlas/errors';
import type { VpcEndpointOperations, VpcEndpointView } from '#aws/vpc-endpoints';
import {
  ConfigurationError,
  ErrorNames,
  type FieldIssue,
  InvalidRequestError,
  THROWN_ERROR_NAMES,
} from '#core/errors';
import { toAtlasRegion, toAwsRegion } from '#core/regions';
import type { AtlasSide, ExecutionInfo, WorkflowRequest } from '#core/state';
import {
  TAG_ATLAS_CREATED,
  TAG_ATLAS_ENDPOINT_ID,
  TAG_ATLAS_GROUP_ID,
  TAG_ATLAS_INSTANCE_NAME,
  TAG_ATLAS_KIND,
  TAG_MANAGED_BY,
  TAG_REQUEST_ID,
} from '#core/tags';
import type { Environment } from '#workflow/config';
import { type ParsedRequest, parseRequest, type RequestDefaults } from '#workflow/request';
import {
  type ExistingResources,
  HandlerEnv,
  REQUEST_BUDGET_FIELD,
  resolvePhaseBudgets,
  runDeadline,
  type ValidatedState,
  type ValidateRequestInput,
} from '#workflow/steps';
import { loadDeploymentTargets, targetIssues } from '#workflow/targets';
import {
  atlasCall,
  instanceLabel,
  requestKeys,
  type StepDeps,
  targetOf,
  toAtlasSide,
  toVpcEndpointSide,
} from './common.ts';
import { acquireTargetLease, DEFAULT_LEASE_SECONDS, releaseAfterFailure } from './lease.ts';

export interface ValidateDeps extends StepDeps {
  /** The deployment's request defaults (`loadRequestDefaults(env)`). */
  readonly defaults: RequestDefaults;
  /** The environment the phase budgets and the execution timeout are read from. */
  readonly env: Environment;
}

/** VPC endpoint states worth adopting from another request (a dead one would only fail again). */
const LIVE_STATES = new Set(['pending', 'pendingAcceptance', 'available']);
/** At most this many tagged endpoints are looked at (there is normally one). */
const MAX_CANDIDATES = 5;

/** The request on its own: what the schema and the phase budgets say, before anything is asked of AWS or Atlas. */
export interface CheckedRequest {
  /** Undefined when the schema rejected the request. */
  readonly parsed: ParsedRequest | undefined;
  /** The raw input when it is a JSON object. */
  readonly raw: Record<string, unknown> | undefined;
  readonly settings: ValidatedState['settings'];
  /** Schema, budget and deployment-target problems. */
  readonly issues: readonly FieldIssue[];
  /** The request names a region or account this deployment does not allow: nothing may be asked of EC2. */
  readonly outsideTargets: boolean;
}

/**
 * Parses the request with the deployment defaults and resolves the phase budgets. Pure: no AWS, no Atlas,
 * no credentials. A malformed budget environment is a deployment problem (ConfigurationError); everything
 * else wrong is returned as issues.
 */
export function checkRequest(
  input: ValidateRequestInput,
  deps: Pick<ValidateDeps, 'defaults' | 'env'>,
): CheckedRequest {
  const issues: FieldIssue[] = [];
  let parsed: ParsedRequest | undefined;
  try {
    parsed = parseRequest(input.input, { defaults: deps.defaults, executionName: input.executionName });
  } catch (error) {
    if (!(error instanceof Error && error.name === ErrorNames.InvalidRequest && 'issues' in error))
      throw error;
    issues.push(...(error as InvalidRequestError).issues);
  }

  const raw = isRecord(input.input) ? input.input : undefined;
  const budgets = resolvePhaseBudgets(deps.env, raw?.[REQUEST_BUDGET_FIELD]);
  if (budgets.configurationProblems.length > 0) {
    throw new ConfigurationError(
      `Invalid phase budget settings: ${budgets.configurationProblems.join('; ')}`,
      {
        details: { problems: budgets.configurationProblems },
      },
    );
  }
  // The schema already reports malformed budgets; the resolution adds the check against the execution timeout.
  if (!issues.some((i) => i.field.startsWith(REQUEST_BUDGET_FIELD))) issues.push(...budgets.issues);

  // Regions and accounts the deployment's IAM covers (ALLOWED_REGIONS, VPC_ACCOUNT_ROLE_ARNS).
  const targets = loadDeploymentTargets(deps.env);
  if (targets.problems.length > 0) {
    throw new ConfigurationError(
      `Invalid deployment targets: ${targets.problems.map((p) => p.problem).join('; ')}`,
      { details: { variables: [...new Set(targets.problems.map((p) => p.variable))] } },
    );
  }
  const outside = targetIssues(
    parsed ?? { region: raw?.region ?? deps.defaults.region, vpcAccountId: raw?.vpcAccountId },
    targets.targets,
  );
  issues.push(...outside);
  return { parsed, raw, settings: budgets.settings, issues, outsideTargets: outside.length > 0 };
}

export async function validateRequest(
  input: ValidateRequestInput,
  deps: ValidateDeps,
): Promise<ValidatedState> {
  // 1. The request itself, before touching anything (so no AWS or Atlas problem can hide a request problem).
  const { parsed, raw, settings, outsideTargets, ...checked } = checkRequest(input, deps);
  const issues: FieldIssue[] = [...checked.issues];

  // A request the schema refuses is answered from the request alone: no EC2 or Atlas call, whatever it holds
  // (a hostile or broken input costs nothing and reaches nobody).
  if (issues.length > 0 || parsed === undefined) throw new InvalidRequestError(issues);

  const action = parsed.action ?? 'create';
  const execution = executionOf(input, deps.now);
  // delete and check find their connection in inspect-connection, after this, and check neither the network
  // nor the Atlas target (what a delete removes may outlive them; a check reports what it finds). A plain
  // check changes nothing and takes no lease (inspect-connection reports a target another execution holds as
  // in progress); a delete takes it like a create, so a delete and a create of one target never interleave.
  if (action !== 'create' && parsed.repair !== true) {
    const { phaseBudgetSeconds: _overrides, ...request } = parsed;
    const lease =
      action === 'delete'
        ? await acquireTargetLease(request, execution, leaseSecondsOf(deps.env), deps)
        : undefined;
    deps.logger.info('Request validated', { ...requestKeys(request), action, lookup: request.lookup ?? {} });
    return {
      request,
      settings: withRunDeadline(settings, execution, deps.env),
      existing: {},
      execution,
      ...(lease === undefined ? {} : { lease }),
    };
  }

  // 2. The network (EC2) and the Atlas target, together, so one InvalidRequest lists every problem they find
  // (a create, and a check with repair: both may create).
  const [networkCheck, atlasCheck] = await Promise.allSettled([
    deps.vpcEndpoints(parsed).checkNetwork(parsed),
    checkAtlasTarget(parsed, deps.atlas),
  ]);
  const failures: unknown[] = [];
  for (const check of [atlasCheck, networkCheck]) {
    if (check.status === 'fulfilled') issues.push(...check.value);
    else failures.push(check.reason);
  }
  // A bug is never hidden; a named error (credentials, throttling, …) is, by a request known to be wrong:
  // that problem, if it is still there, shows up once the request is fixed.
  const bug = failures.find((f) => !isNamedWorkflowError(f));
  if (bug !== undefined || (failures.length > 0 && issues.length === 0)) throw bug ?? failures[0];
  if (issues.length > 0) {
    for (const failure of failures as Error[]) {
      deps.logger.warn('A validation check failed; reporting the request problems found instead', {
        error: { name: failure.name, message: failure.message },
      });
    }
    throw new InvalidRequestError(issues);
  }

  const { phaseBudgetSeconds: _overrides, ...request } = parsed;
  // The target's lease before anything is looked at: what the look-up finds can then no longer change under
  // this execution's feet (another execution for the target is refused, or has ended).
  const lease = await acquireTargetLease(request, execution, leaseSecondsOf(deps.env), deps);
  let existing: ExistingResources;
  try {
    // A repair finds its connection in inspect-connection, after this.
    existing = action === 'create' ? await lookUpExisting(request, deps) : {};
  } catch (error) {
    // Nothing was created: the lease goes back now, so a retry of this step or another execution may take it.
    await releaseAfterFailure(lease, request, deps);
    throw error;
  }
  deps.logger.info('Request validated', {
    ...requestKeys(request),
    existing: {
      atlas: existing.atlas ? { id: existing.atlas.id, created: existing.atlas.created } : null,
      vpcEndpoint: existing.vpcEndpoint
        ? { id: existing.vpcEndpoint.vpcEndpointId, created: existing.vpcEndpoint.created }
        : null,
      link: existing.link ? { status: existing.link.atlasStatus, created: existing.link.created } : null,
    },
  });
  return {
    request,
    settings: withRunDeadline(settings, execution, deps.env),
    existing,
    execution,
    ...(lease === undefined ? {} : { lease }),
  };
}

/** The lease lasts as long as the execution may (its timeout), else a day. */
function leaseSecondsOf(env: Environment): number {
  const timeout = Number(env[HandlerEnv.ExecutionTimeoutSeconds]);
  return Number.isInteger(timeout) && timeout > 0 ? timeout : DEFAULT_LEASE_SECONDS;
}

/** The settings with the whole-run deadline, when the deployment gives its execution timeout. */
function withRunDeadline(
  settings: ValidatedState['settings'],
  execution: ExecutionInfo,
  env: Environment,
): ValidatedState['settings'] {
  const timeout = Number(env[HandlerEnv.ExecutionTimeoutSeconds]);
  if (!Number.isInteger(timeout) || timeout <= 0) return settings;
  const deadline = runDeadline(execution.startTime, timeout, settings.phaseBudgetSeconds);
  return deadline === undefined ? settings : { ...settings, runDeadline: deadline };
}

/** The execution from the Task's parameters; outside Step Functions, its name and the time of the call. */
export function executionOf(input: ValidateRequestInput, now: () => number): ExecutionInfo {
  return {
    id: input.executionId ?? input.executionName,
    name: input.executionName,
    startTime: input.startTime ?? new Date(now()).toISOString(),
  };
}

/** One of the workflow's named errors (matched by name, as Step Functions does), not a bug. */
function isNamedWorkflowError(error: unknown): error is Error {
  return error instanceof Error && (THROWN_ERROR_NAMES as readonly string[]).includes(error.name);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks the Atlas target before anything is created, by reading the instance (serverless) or cluster
 * (dedicated) the way the connection phase will: the project and the deployment exist, and the deployment
 * can have an AWS private endpoint in the request's region. Each problem is a request problem (an issue on
 * `instanceName` or `region`), reported with the others, saying what to do (facts §10):
 * - a Flex, free (M0) or shared-tier (M2/M5) cluster: private endpoints need a dedicated cluster;
 * - a cluster with no node on AWS, or none in the request's region;
 * - a serverless name that no longer exists, or that now names a cluster (MongoDB migrated serverless
 *   instances to Free, Flex or Dedicated clusters): the dedicated flow, or an upgrade, is the way.
 */
async function checkAtlasTarget(request: ParsedRequest, atlasOf: StepDeps['atlas']): Promise<FieldIssue[]> {
  const target = targetOf(request);
  try {
    const deployment = await atlasCall(request.kind, () => atlasOf(request.kind).describeDeployment(target));
    if (request.kind === 'serverless' && deployment.tier === 'cluster') {
      // The name is a cluster now: which kind decides what to say.
      const cluster = await atlasCall('dedicated', () => atlasOf('dedicated').describeDeployment(target));
      return deploymentIssues(request, cluster, true);
    }
    return deploymentIssues(
      request,
      deployment,
      request.kind === 'serverless' && deployment.tier !== 'serverless',
    );
  } catch (error) {
    const api = apiErrorOf(error);
    if (api === undefined) throw error;
    const code = api.errorCode ?? '';
    if (api.status === 404 && (code === 'GROUP_NOT_FOUND' || code === 'NOT_IN_GROUP')) {
      return [
        {
          field: 'groupId',
          problem: `Atlas has no project ${request.groupId} that these credentials can see (${code}); expected the id of the project that holds the ${instanceLabel(request)}`,
        },
      ];
    }
    if (api.status === 404 && request.kind === 'serverless') {
      return [
        {
          field: 'instanceName',
          problem:
            `project ${request.groupId} has no serverless instance named "${request.instanceName}" (Atlas ${code || '404'}); ` +
            'MongoDB migrated every serverless instance to a Free, Flex or Dedicated cluster by 2026-01-22. ' +
            'Private endpoints need a dedicated cluster: name it with "kind": "dedicated"',
        },
      ];
    }
    if (api.status === 404) {
      return [
        {
          field: 'instanceName',
          problem: `project ${request.groupId} has no dedicated cluster named "${request.instanceName}" (Atlas ${code || '404'})`,
        },
      ];
    }
    throw error;
  }
}

/** `US_EAST_1` -> `us-east-1`; an Atlas region this client does not know stays as Atlas names it. */
function awsRegionName(atlasRegion: string): string {
  try {
    return toAwsRegion(atlasRegion);
  } catch {
    return atlasRegion;
  }
}

const TIER_WORDS: Readonly<Record<DeploymentTier, string>> = {
  dedicated: 'a dedicated cluster',
  serverless: 'a serverless instance',
  free: 'a free (M0) cluster',
  shared: 'a shared-tier (M2/M5) cluster',
  flex: 'a Flex cluster',
  cluster: 'a cluster',
};

/** What is wrong with `deployment` as the target of the request (`migrated`: a serverless name that is a cluster now). */
function deploymentIssues(
  request: ParsedRequest,
  deployment: DeploymentView,
  migrated: boolean,
): FieldIssue[] {
  const name = `"${request.instanceName}"`;
  const what = TIER_WORDS[deployment.tier];
  const onlyDedicated = 'Atlas offers private endpoints only on dedicated clusters (M10 and up)';
  if (migrated) {
    const now = `${name} is no longer a serverless instance: MongoDB migrated serverless instances to Free, Flex or Dedicated clusters, and it is now ${what}`;
    return [
      {
        field: 'instanceName',
        problem:
          deployment.tier === 'dedicated'
            ? `${now}; run the request with "kind": "dedicated"`
            : `${now}. ${onlyDedicated}: upgrade it to a dedicated cluster, then run the request with "kind": "dedicated"`,
      },
    ];
  }
  switch (deployment.tier) {
    case 'flex':
    case 'free':
    case 'shared':
      return [
        {
          field: 'instanceName',
          problem:
            `${name} is ${what}. ${onlyDedicated}` +
            (deployment.tier === 'flex' ? ' (the cluster API refuses Flex clusters)' : '') +
            `: upgrade it to a dedicated cluster, or name a dedicated cluster with "kind": "dedicated"`,
        },
      ];
    case 'serverless':
      if (request.kind === 'dedicated') {
        return [
          {
            field: 'instanceName',
            problem: `${name} is a serverless instance, not a dedicated cluster; name a dedicated cluster (or use "kind": "serverless" on an Atlas that still serves serverless private endpoints)`,
          },
        ];
      }
      break;
    default:
      break;
  }
  const region = toAtlasRegion(request.region);
  if (deployment.awsRegions.length === 0) {
    const providers = deployment.providers.length > 0 ? deployment.providers.join(', ') : 'another cloud';
    return [
      {
        field: 'instanceName',
        problem: `${request.kind === 'serverless' ? 'serverless instance' : 'cluster'} ${name} has no node on AWS (its nodes are on ${providers}); an AWS PrivateLink endpoint cannot reach it: name a ${request.kind === 'serverless' ? 'serverless instance' : 'dedicated cluster'} on AWS`,
      },
    ];
  }
  if (!deployment.awsRegions.includes(region)) {
    const regions = deployment.awsRegions.map(awsRegionName).join(', ');
    return [
      {
        field: 'region',
        problem: `${instanceLabel(request)} has no node in ${request.region} (its AWS regions: ${regions}); the endpoint service and the VPC endpoint must be in one of those regions: run the request for a VPC there`,
      },
    ];
  }
  return [];
}

/** Finds what already exists for (project, instance, VPC) and applies the ownership rule. */
async function lookUpExisting(request: WorkflowRequest, deps: StepDeps): Promise<ExistingResources> {
  const ops: VpcEndpointOperations = deps.vpcEndpoints(request);
  const atlas = deps.atlas(request.kind);
  const target = targetOf(request);

  const tagged = await ops.findVpcEndpoints({
    vpcId: request.vpcId,
    tags: {
      [TAG_MANAGED_BY]: deps.managedBy,
      [TAG_ATLAS_KIND]: request.kind,
      [TAG_ATLAS_GROUP_ID]: request.groupId,
      [TAG_ATLAS_INSTANCE_NAME]: request.instanceName,
    },
  });
  const own = tagged.filter((v) => v.tags[TAG_REQUEST_ID] === request.requestId);
  const others = tagged.filter(
    (v) => v.tags[TAG_REQUEST_ID] !== request.requestId && LIVE_STATES.has(v.state),
  );

  return atlasCall(request.kind, async () => {
    let pair: { atlas: AtlasEndpointView; vpce: VpcEndpointView } | undefined;
    for (const vpce of [...own, ...others].slice(0, MAX_CANDIDATES)) {
      const atlasId = vpce.tags[TAG_ATLAS_ENDPOINT_ID];
      if (atlasId === undefined || atlasId === '') continue;
      const view = await atlas.describe(target, atlasId);
      const isOwn = vpce.tags[TAG_REQUEST_ID] === request.requestId;
      const usable =
        view.status !== 'gone' &&
        view.status !== 'deleting' &&
        (isOwn || view.status !== 'failed') &&
        (view.endpointServiceName === null || view.endpointServiceName === vpce.serviceName);
      if (usable) {
        pair = { atlas: view, vpce };
        break;
      }
      if (isOwn) {
        deps.logger.warn(
          'A VPC endpoint of this request points at an Atlas side that is gone; not adopting it',
          {
            vpcEndpointId: vpce.vpcEndpointId,
            atlasEndpointId: atlasId,
            atlasStatus: view.atlasStatus,
          },
        );
      }
    }

    if (pair === undefined) {
      // Serverless: only this request's own (marked) endpoint; dedicated: the region's service, not owned.
      const found = await atlas.findExisting(target);
      if (found === undefined || found.status === 'gone' || found.status === 'deleting') return {};
      return { atlas: toAtlasSide(request.kind, found, found.carriesMarker) };
    }

    const vpceOwned = pair.vpce.tags[TAG_REQUEST_ID] === request.requestId;
    const atlasOwned =
      pair.atlas.carriesMarker || (vpceOwned && pair.vpce.tags[TAG_ATLAS_CREATED] === 'true');
    const existing: {
      atlas: AtlasSide;
      vpcEndpoint: ExistingResources['vpcEndpoint'];
      link?: ExistingResources['link'];
    } = {
      atlas: toAtlasSide(request.kind, pair.atlas, atlasOwned),
      vpcEndpoint: toVpcEndpointSide(pair.vpce, vpceOwned),
    };
    if (pair.atlas.linkedVpcEndpointIds.includes(pair.vpce.vpcEndpointId)) {
      const link = await atlas.describeLink(target, pair.atlas.id, pair.vpce.vpcEndpointId);
      if (link.status !== 'gone') {
        existing.link = { ...link, vpcEndpointId: pair.vpce.vpcEndpointId, created: vpceOwned };
      }
    }
    return existing;
  });
}
