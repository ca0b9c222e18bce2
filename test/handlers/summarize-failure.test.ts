/**
 * summarize-failure on its own (pure): rejected inputs, both Cause formats, dispositions, the CleanupIncomplete
 * rule, the length limit, and secret-looking text never reaching the cause.
 */
import './quiet.ts';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ErrorNames, type InvalidRequestError } from '../../lambdas/core/errors.ts';
import { makeHandler } from '../../lambdas/handlers/summarize-failure.ts';
import type { HandlerDeps } from '../../lambdas/handlers/support/runtime.ts';
import { parseRequest } from '../../lambdas/workflow/request.ts';
import type { FailureSummary, WorkflowState } from '../../lambdas/workflow/steps.ts';
import { MAX_CAUSE_LENGTH, resolvePhaseBudgets, startPoll } from '../../lambdas/workflow/steps.ts';

import { lambdaContext, silentLogger, thrown } from './harness.ts';

/** The deployment defaults (no env, no request overrides). */
const DEFAULT_SETTINGS = resolvePhaseBudgets({}, undefined).settings;

const summarize = (event: unknown) =>
  makeHandler({ logger: silentLogger() } satisfies HandlerDeps)(
    event,
    lambdaContext(),
  ) as Promise<FailureSummary>;

const lambdaCause = (errorType: string, errorMessage: string) =>
  JSON.stringify({ errorType, errorMessage, trace: ['Error: x', '    at secret/path.js:1:1'] });

const REQUEST: WorkflowState['request'] = {
  kind: 'dedicated',
  groupId: '5f7cac1adf5d6c6306f4b283',
  instanceName: 'orders-dedicated',
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  subnetIds: ['subnet-0a1b2c3d4e5f60718'],
  securityGroupIds: ['sg-0a1b2c3d4e5f60718'],
  region: 'us-east-1',
  privateDnsEnabled: false,
  tags: {},
  requestId: 'req-7',
  rollbackOnFailure: true,
};
const BASE: WorkflowState = {
  request: REQUEST,
  settings: DEFAULT_SETTINGS,
  existing: {},
};
const ATLAS = {
  kind: 'dedicated' as const,
  id: '6a1b2c3d4e5f60718293a4b5',
  status: 'ready-for-vpc-endpoint' as const,
  atlasStatus: 'WAITING_FOR_USER',
  endpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f60718',
  created: true,
};
const VPCE = {
  vpcEndpointId: 'vpce-0a1b2c3d4e5f60718',
  state: 'pendingAcceptance',
  serviceName: ATLAS.endpointServiceName,
  dnsEntries: [],
  created: true,
};
const LINK = {
  status: 'linking' as const,
  atlasStatus: 'PENDING_ACCEPTANCE',
  vpcEndpointId: VPCE.vpcEndpointId,
  created: true,
};

describe('summarize-failure', () => {
  it('a rejected request: the error and message, safe ids from the raw input, nothing created', async () => {
    const out = await summarize({
      input: {
        groupId: REQUEST.groupId,
        instanceName: 'orders',
        vpcId: 'not-a-vpc',
        requestId: 'r-1',
        kind: 'odd',
      },
      error: {
        Error: 'InvalidRequest',
        Cause: lambdaCause('InvalidRequest', 'Invalid request: vpcId: got "not-a-vpc"'),
      },
    });
    expect(out.error).toBe('InvalidRequest');
    expect(out.cause).toBe(
      'InvalidRequest: Invalid request: vpcId: got "not-a-vpc". Nothing was created; fix the request and start ' +
        'a new execution.',
    );
    expect(out.report).toEqual({
      action: 'create',
      requestId: 'r-1',
      kind: null,
      groupId: REQUEST.groupId,
      instanceName: 'orders',
      vpcId: null,
      error: 'InvalidRequest',
      cause: out.cause,
      originalError: { error: 'InvalidRequest', message: 'Invalid request: vpcId: got "not-a-vpc"' },
      cleanupError: null,
      rollbackOnFailure: null,
      cleanup: 'not-needed',
      resources: [],
    });
  });

  it('a delete or repair refused because another execution holds the target: nothing changed, run it again later', async () => {
    const out = await summarize({
      input: { ...REQUEST, action: 'delete' },
      error: {
        Error: ErrorNames.TargetBusy,
        Cause: lambdaCause(ErrorNames.TargetBusy, 'Another execution is already working on this target'),
      },
    });
    expect(out.cause).toBe(
      'TargetBusy: Another execution is already working on this target. Nothing was changed; once the execution ' +
        'named above has ended, start the delete again (it then sees what that one made or removed).',
    );
    expect(out.report).toMatchObject({
      action: 'delete',
      error: ErrorNames.TargetBusy,
      cleanup: 'not-needed',
    });
  });

  it.each([
    [
      ErrorNames.ConfigurationError,
      "Nothing was created; fix the deployment's configuration or the Atlas credential secret as the message says, then start a new execution.",
    ],
    [
      ErrorNames.AtlasAuthFailed,
      "Nothing was created; check the Atlas credentials in the secret (valid, of the project's organization, with the Project Owner role) and the organization's API access list, then start a new execution.",
    ],
    [
      ErrorNames.AtlasTransientError,
      'Nothing was created; Atlas kept failing or did not answer in time, even after retries: start a new execution later.',
    ],
    [
      'States.Timeout',
      'Nothing was created; start a new execution once the problem the message describes is fixed.',
    ],
  ])(
    'a request that failed validation with %s: what to do next depends on the error',
    async (error, next) => {
      const out = await summarize({
        input: { groupId: REQUEST.groupId, instanceName: 'orders' },
        error: { Error: error, Cause: lambdaCause(error, 'it went wrong') },
      });
      expect(out.cause).toBe(`${error}: it went wrong. ${next}`);
      expect(out.cause).not.toContain('fix the request');
      expect(out.report.cleanup).toBe('not-needed');
    },
  );

  it.each([
    ['groupId', REQUEST.groupId, true],
    ['groupId', REQUEST.groupId.toUpperCase(), false],
    ['instanceName', 'x'.repeat(64), true],
    ['instanceName', 'x'.repeat(65), false],
    ['instanceName', '-orders', false],
    ['vpcId', 'vpc-0a1b2c3d', true],
    ['vpcId', 'vpc-0a1b2c3d4e5f6071', false],
    ['requestId', 'r'.repeat(128), true],
    ['requestId', 'r'.repeat(129), false],
  ] as const)(
    'echoes a rejected %s (%s) exactly when the request schema accepts it: %s',
    async (field, value, ok) => {
      const raw = { ...REQUEST, subnetIds: [...REQUEST.subnetIds], [field]: value };
      let schemaIssues: string[] = [];
      try {
        parseRequest(raw, { defaults: {}, executionName: 'exec' });
      } catch (error) {
        schemaIssues = (error as InvalidRequestError).issues.map((i) => i.field);
      }
      expect(schemaIssues.includes(field)).toBe(!ok);
      const out = await summarize({
        input: raw,
        error: { Error: 'InvalidRequest', Cause: 'Invalid request' },
      });
      expect(out.report[field]).toBe(ok ? value : null);
    },
  );

  it('reads a Lambda JSON Cause and a plain Cause (offline engine) alike, never the trace', async () => {
    const json = await summarize({
      ...BASE,
      error: { Error: 'EndpointFailed', Cause: lambdaCause('EndpointFailed', 'it failed') },
    });
    const plain = await summarize({ ...BASE, error: { Error: 'EndpointFailed', Cause: 'it failed' } });
    expect(json).toEqual(plain);
    expect(json.cause).not.toContain('secret/path');
    expect(json.cause).toMatch(
      /^EndpointFailed: it failed\. Request req-7: dedicated cluster orders-dedicated in project 5f7cac1adf5d6c6306f4b283, VPC vpc-0a1b2c3d4e5f60718 \(us-east-1\)\. Nothing had been created\.$/,
    );
    expect(json.report.cleanup).toBe('not-needed');
  });

  it('deleted, left-over and not-owned from the last cleanup observation', async () => {
    const out = await summarize({
      ...BASE,
      atlas: { ...ATLAS, created: false },
      vpcEndpoint: VPCE,
      link: LINK,
      error: { Error: 'EndpointRejected', Cause: 'Atlas rejected the interface endpoint' },
      cleanup: {
        remaining: [{ type: 'atlas-interface-endpoint', id: VPCE.vpcEndpointId, status: 'DELETING' }],
        gone: [{ type: 'vpc-endpoint', id: VPCE.vpcEndpointId }],
      },
    });
    expect(out.error).toBe('EndpointRejected');
    expect(out.report.cleanup).toBe('incomplete');
    expect(out.report.resources).toEqual([
      {
        type: 'atlas-endpoint-service',
        id: ATLAS.id,
        disposition: 'not-owned',
        lastStatus: 'WAITING_FOR_USER',
      },
      { type: 'vpc-endpoint', id: VPCE.vpcEndpointId, disposition: 'deleted', lastStatus: 'DELETED' },
      {
        type: 'atlas-interface-endpoint',
        id: VPCE.vpcEndpointId,
        disposition: 'left-over',
        lastStatus: 'DELETING',
      },
    ]);
    expect(out.cause).toContain(`Deleted: VPC endpoint ${VPCE.vpcEndpointId}.`);
    expect(out.cause).toContain(
      `Left over (the cleanup could not confirm them gone): Atlas interface endpoint ${VPCE.vpcEndpointId} (last seen DELETING)`,
    );
    expect(out.cause).toContain(
      `Not owned by this request, left as they were: Atlas endpoint service ${ATLAS.id}.`,
    );
  });

  it('a service not owned that the cleanup saw Atlas remove (or still removing) is reported as such', async () => {
    const base = {
      ...BASE,
      atlas: { ...ATLAS, created: false },
      vpcEndpoint: VPCE,
      link: LINK,
      error: { Error: 'EndpointRejected', Cause: 'rejected' },
    };
    const removed = await summarize({
      ...base,
      cleanup: {
        remaining: [],
        gone: [
          { type: 'vpc-endpoint', id: VPCE.vpcEndpointId },
          { type: 'atlas-interface-endpoint', id: VPCE.vpcEndpointId },
          { type: 'atlas-endpoint-service', id: ATLAS.id },
        ],
      },
    });
    expect(removed.report.cleanup).toBe('complete');
    expect(removed.report.resources[0]).toEqual({
      type: 'atlas-endpoint-service',
      id: ATLAS.id,
      disposition: 'not-owned',
      lastStatus: 'DELETED',
    });
    expect(removed.cause).toContain(
      `Not owned by this request and not deleted by it, but removed by Atlas together with its last interface endpoint (this request's, deleted by the cleanup): Atlas endpoint service ${ATLAS.id}.`,
    );
    expect(removed.cause).not.toContain('left as they were');

    const removing = await summarize({
      ...base,
      cleanup: {
        remaining: [{ type: 'atlas-endpoint-service', id: ATLAS.id, status: 'DELETING' }],
        gone: [
          { type: 'vpc-endpoint', id: VPCE.vpcEndpointId },
          { type: 'atlas-interface-endpoint', id: VPCE.vpcEndpointId },
        ],
      },
    });
    expect(removing.report.cleanup).toBe('complete');
    expect(removing.report.resources[0]).toMatchObject({ disposition: 'not-owned', lastStatus: 'DELETING' });
    expect(removing.cause).toContain('still DELETING at the last check: Atlas endpoint service');
    expect(removing.cause).not.toContain('left as they were');
  });

  it.each(['serverless', 'dedicated'] as const)(
    '%s: the create step failed in a way that may hide a create that took effect: says what to look for',
    async (kind) => {
      const request = {
        ...REQUEST,
        kind,
        instanceName: kind === 'serverless' ? 'orders' : REQUEST.instanceName,
      };
      for (const error of [ErrorNames.AtlasTransientError, 'States.Timeout']) {
        const out = await summarize({
          ...BASE,
          request,
          error: { Error: error, Cause: 'Atlas listServerlessPrivateEndpoint failed after 5 attempt(s)' },
        });
        expect(out.report.cleanup).toBe('not-needed');
        expect(out.cause).not.toContain('Nothing had been created');
        expect(out.cause).toContain(
          'Nothing was recorded as created, but an Atlas create may have taken effect with its answer lost.',
        );
        if (kind === 'serverless') {
          // sha256("req-7") begins with the marker's 10 hex digits.
          const marker = `[ape:${createHash('sha256').update('req-7').digest('hex').slice(0, 10)}]`;
          expect(out.cause).toContain(
            `A serverless private endpoint of serverless instance orders whose comment ends with ${marker} is this request's: run the request again with requestId "req-7" to resume with it, or delete it.`,
          );
        } else {
          expect(out.cause).toContain(
            'If project 5f7cac1adf5d6c6306f4b283 has an AWS endpoint service for us-east-1 that no interface endpoint uses',
          );
        }
      }
    },
  );

  it('nothing created before an auth or configuration failure: says what to check, not to fix the request', async () => {
    const auth = await summarize({
      ...BASE,
      error: { Error: ErrorNames.AtlasAuthFailed, Cause: 'Atlas answered 401' },
    });
    expect(auth.cause).toMatch(/Nothing had been created; check the Atlas credentials in the secret/);
    const config = await summarize({
      ...BASE,
      error: { Error: ErrorNames.ConfigurationError, Cause: 'ATLAS_SECRET_ARN is not set' },
    });
    expect(config.cause).toMatch(/Nothing had been created; fix the deployment's configuration/);
    for (const out of [auth, config]) expect(out.cause).not.toContain('fix the request');
  });

  it('a failed cleanup step -> CleanupIncomplete, using the observation its last check left in $.poll', async () => {
    const out = await summarize({
      ...BASE,
      atlas: ATLAS,
      vpcEndpoint: VPCE,
      link: LINK,
      error: { Error: 'DeadlineExceeded', Cause: 'The link was not ready within its budget of 3600 s' },
      poll: {
        ...startPoll('cleanup', 2700),
        attempt: 3,
        observed: {
          remaining: [{ type: 'atlas-endpoint-service', id: ATLAS.id, status: 'DELETING' }],
          gone: [
            { type: 'vpc-endpoint', id: VPCE.vpcEndpointId },
            { type: 'atlas-interface-endpoint', id: VPCE.vpcEndpointId },
          ],
        },
      },
      cleanupError: {
        Error: 'AtlasTransientError',
        Cause: lambdaCause('AtlasTransientError', 'Atlas answered 503'),
      },
    });
    expect(out.error).toBe('CleanupIncomplete');
    expect(out.report.error).toBe('CleanupIncomplete');
    expect(out.report.originalError).toEqual({
      error: 'DeadlineExceeded',
      message: 'The link was not ready within its budget of 3600 s',
    });
    expect(out.report.cleanupError).toEqual({ error: 'AtlasTransientError', message: 'Atlas answered 503' });
    expect(out.report.resources.map((r) => r.disposition)).toEqual(['left-over', 'deleted', 'deleted']);
    expect(out.cause).toMatch(
      /^DeadlineExceeded: The link was not ready within its budget of 3600 s\. Request req-7/,
    );
    expect(out.cause).toContain('The cleanup failed too (AtlasTransientError: Atlas answered 503).');
  });

  it('a delete step that failed outright leaves everything it owned as left-over', async () => {
    const out = await summarize({
      ...BASE,
      atlas: ATLAS,
      vpcEndpoint: VPCE,
      error: { Error: 'EndpointRejected', Cause: 'rejected' },
      cleanupError: { Error: 'ResourceConflict', Cause: 'Not deleting VPC endpoint' },
    });
    expect(out.error).toBe('CleanupIncomplete');
    expect(out.report.resources.map((r) => r.disposition)).toEqual(['left-over', 'left-over']);
  });

  it('rollbackOnFailure false: everything created is kept', async () => {
    const out = await summarize({
      ...BASE,
      request: { ...REQUEST, rollbackOnFailure: false },
      atlas: ATLAS,
      vpcEndpoint: VPCE,
      link: LINK,
      error: { Error: 'EndpointRejected', Cause: 'rejected' },
    });
    expect(out.report.cleanup).toBe('disabled');
    expect(out.report.rollbackOnFailure).toBe(false);
    expect(out.report.resources.map((r) => r.disposition)).toEqual(['kept', 'kept', 'kept']);
    expect(out.cause).toContain('Kept because rollbackOnFailure is false:');
  });

  it('adds the way forward to a retired-API failure whose message lacks it', async () => {
    const out = await summarize({
      ...BASE,
      request: { ...REQUEST, kind: 'serverless', instanceName: 'orders' },
      error: {
        Error: 'AtlasApiGone',
        Cause: 'Atlas createServerlessPrivateEndpoint answered 410 VERSION_GONE',
      },
    });
    expect(out.error).toBe(ErrorNames.AtlasApiGone);
    expect(out.cause).toContain('Re-run with "kind": "dedicated"');
  });

  it('keeps the cause under MAX_CAUSE_LENGTH and strips secret-looking text', async () => {
    const secret = 'mdb_sa_sk_aBcDeFgHiJkLmNoPqRsTuVwXyZ012345';
    const out = await summarize({
      ...BASE,
      error: {
        Error: 'AtlasRequestRejected',
        Cause: `${'x'.repeat(20_000)} ${secret} Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig client_secret=hunter22`,
      },
    });
    expect(out.cause.length).toBeLessThanOrEqual(MAX_CAUSE_LENGTH);
    const short = await summarize({
      ...BASE,
      error: {
        Error: 'AtlasRequestRejected',
        Cause: `rejected ${secret} Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig client_secret=hunter22`,
      },
    });
    const text = JSON.stringify(short);
    for (const leaked of [secret, 'eyJhbGciOiJIUzI1NiJ9', 'hunter22']) expect(text).not.toContain(leaked);
    expect(short.cause).toContain('Bearer [redacted]');
  });

  it('rejects an event that is neither a record nor a rejected input', async () => {
    const error = await thrown(() => summarize({ something: 1 }));
    expect(error.name).toBe(ErrorNames.ConfigurationError);
  });
});
