/**
 * The request schema's actions: `action`, `repair`, a create's output as a delete or check request, the
 * delete and check EventBridge events (whole event as input), and the fields each action needs.
 */
import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../lambdas/core/errors.ts';
import { ACTION_DETAIL_TYPES, DetailTypes, REQUEST_EVENT_SOURCE } from '../../lambdas/workflow/events.ts';
import { parseRequest } from '../../lambdas/workflow/request.ts';

const SEED = Number(process.env.FC_SEED ?? 20261203);

const BODY = {
  kind: 'dedicated',
  groupId: '5f7cac1adf5d6c6306f4b283',
  instanceName: 'orders-dedicated',
  region: 'us-east-1',
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  subnetIds: ['subnet-0a1b2c3d4e5f60718'],
  securityGroupIds: ['sg-0a1b2c3d4e5f60718'],
  tags: { team: 'orders' },
};

/** A create's output, as the README shows it. */
const OUTPUT = {
  kind: 'dedicated',
  groupId: '5f7cac1adf5d6c6306f4b283',
  instanceName: 'orders-dedicated',
  requestId: 'orders-prod-link',
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  region: 'us-east-1',
  atlasEndpointId: '6b0a981073d245e5d74474f9',
  endpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-a19c79c65a41054e4',
  vpcEndpointId: 'vpce-5d654432ded06e5ca',
  status: 'AVAILABLE',
  privateSrvConnectionString: 'mongodb+srv://orders-dedicated-pl-0.b4ao4.mongodb.net',
  pendingRegions: [],
  dnsEntries: [
    { dnsName: 'vpce-5d654432ded06e5ca-29sgwr6n.vpce-svc-a19c79c65a41054e4.us-east-1.vpce.amazonaws.com' },
  ],
};

function issues(input: unknown): { field: string; problem: string }[] {
  try {
    parseRequest(input, { executionName: 'exec-1' });
  } catch (error) {
    if (error instanceof InvalidRequestError) return [...error.issues];
    throw error;
  }
  return [];
}

describe('action', () => {
  it('create is the default and leaves the record as it always was (no action, no lookup)', () => {
    const request = parseRequest(BODY, { executionName: 'exec-1' });
    expect(request).not.toHaveProperty('action');
    expect(request).not.toHaveProperty('lookup');
    expect(parseRequest({ ...BODY, action: 'create' }, { executionName: 'exec-1' })).toEqual(request);
  });

  it('delete and check take the create body; they need no subnets or security groups; they never roll back', () => {
    for (const action of ['delete', 'check'] as const) {
      const { subnetIds: _s, securityGroupIds: _g, ...rest } = BODY;
      const request = parseRequest({ ...rest, action, rollbackOnFailure: true }, { executionName: 'exec-1' });
      expect(request).toMatchObject({
        action,
        subnetIds: [],
        securityGroupIds: [],
        rollbackOnFailure: false,
      });
      expect(request.lookup).toEqual({});
    }
  });

  it('a check with repair may create, so it needs the subnets and security groups', () => {
    const { subnetIds: _s, ...rest } = BODY;
    expect(issues({ ...rest, action: 'check', repair: true }).map((i) => i.field)).toEqual(['subnetIds']);
    expect(parseRequest({ ...BODY, action: 'check', repair: true }, { executionName: 'e' })).toMatchObject({
      action: 'check',
      repair: true,
    });
  });

  it('repair belongs to check only', () => {
    for (const action of [undefined, 'create', 'delete']) {
      const found = issues({ ...BODY, ...(action ? { action } : {}), repair: true });
      expect(found).toEqual([
        { field: 'repair', problem: expect.stringMatching(/only used with "action": "check"/) },
      ]);
    }
  });

  it('a create output with an action is a delete or check request; its ids narrow the look-up', () => {
    for (const action of ['delete', 'check'] as const) {
      const request = parseRequest({ ...OUTPUT, action }, { executionName: 'other-execution' });
      expect(request).toMatchObject({ action, requestId: 'orders-prod-link' });
      expect(request.lookup).toEqual({
        requestId: 'orders-prod-link',
        vpcEndpointId: OUTPUT.vpcEndpointId,
        atlasEndpointId: OUTPUT.atlasEndpointId,
      });
    }
  });

  it('a create refuses every field of a create output, naming each (generated subsets)', () => {
    const outputOnly = [
      'atlasEndpointId',
      'vpcEndpointId',
      'endpointServiceName',
      'status',
      'privateSrvConnectionString',
      'pendingRegions',
      'dnsEntries',
    ] as const;
    fc.assert(
      fc.property(fc.subarray([...outputOnly], { minLength: 1 }), (fields) => {
        const input: Record<string, unknown> = { ...BODY };
        for (const f of fields) input[f] = OUTPUT[f];
        const found = issues(input);
        expect(found.map((i) => i.field).sort()).toEqual([...fields].sort());
        for (const i of found) expect(i.problem).toMatch(/field of a create's output/);
      }),
      { seed: SEED, numRuns: 30 },
    );
  });

  it('names a malformed id or action', () => {
    expect(issues({ ...OUTPUT, action: 'purge' }).map((i) => i.field)).toContain('action');
    expect(issues({ ...OUTPUT, action: 'delete', vpcEndpointId: 'vpce-XYZ' }).map((i) => i.field)).toEqual([
      'vpcEndpointId',
    ]);
    expect(issues({ ...OUTPUT, action: 'delete', atlasEndpointId: 'abc' }).map((i) => i.field)).toEqual([
      'atlasEndpointId',
    ]);
  });
});

describe('the delete and check events (the rule passes the whole event)', () => {
  const event = (detailType: string, detail: unknown) => ({
    version: '0',
    id: 'e-1',
    source: REQUEST_EVENT_SOURCE,
    account: '123456789012',
    time: '2026-12-03T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    'detail-type': detailType,
    detail,
  });

  it('the detail-type names the action; the detail is the request', () => {
    expect(ACTION_DETAIL_TYPES).toEqual({
      create: DetailTypes.Requested,
      delete: 'Atlas Private Endpoint Delete Requested',
      check: 'Atlas Private Endpoint Check Requested',
    });
    expect(parseRequest(event(DetailTypes.DeleteRequested, BODY), { executionName: 'e' })).toMatchObject({
      action: 'delete',
      instanceName: BODY.instanceName,
    });
    expect(
      parseRequest(event(DetailTypes.CheckRequested, { ...BODY, repair: true }), { executionName: 'e' }),
    ).toMatchObject({ action: 'check', repair: true });
  });

  it('an action in the detail that contradicts the detail-type is refused', () => {
    expect(issues(event(DetailTypes.DeleteRequested, { ...BODY, action: 'create' }))).toEqual([
      { field: 'action', problem: expect.stringMatching(/asks for "delete"/) },
    ]);
  });

  it('any other whole event is still refused (the create rule passes only the detail)', () => {
    expect(issues(event(DetailTypes.Requested, BODY))).toEqual([
      { field: '(input)', problem: expect.stringMatching(/whole EventBridge event/) },
    ]);
  });
});

describe('the shipped lifecycle examples', () => {
  const read = (name: string) =>
    JSON.parse(readFileSync(new URL(`../../examples/${name}`, import.meta.url), 'utf8'));

  it.each([
    ['eventbridge-delete-event.json', 'delete'],
    ['eventbridge-check-event.json', 'check'],
  ])('%s: a put-events entry the %s rule turns into a valid request', (name, action) => {
    const [entry, ...rest] = read(name) as { Source: string; DetailType: string; Detail: string }[];
    expect(rest).toEqual([]);
    expect(entry!.Source).toBe(REQUEST_EVENT_SOURCE);
    expect(entry!.DetailType).toBe(ACTION_DETAIL_TYPES[action as 'delete' | 'check']);
    // The rule passes the whole event; this is the event EventBridge builds from the entry.
    const event = {
      source: entry!.Source,
      'detail-type': entry!.DetailType,
      detail: JSON.parse(entry!.Detail),
    };
    expect(parseRequest(event, { executionName: 'x' })).toMatchObject({
      action,
      requestId: 'orders-prod-link',
    });
  });

  it.each([
    ['parent-check-state-machine.asl.json', 'check'],
    ['parent-delete-state-machine.asl.json', 'delete'],
  ])('%s: valid ASL whose child input is a valid %s request', (name, action) => {
    const asl = read(name);
    const result = aslValidator(asl, { checkPaths: true, checkArn: true });
    expect(result.errorsText('\n')).toBe('');
    const task = Object.values(
      asl.States as Record<string, { Type: string; Parameters?: { Input?: object } }>,
    ).find((s) => s.Type === 'Task')!;
    const input = Object.fromEntries(
      Object.entries(task.Parameters!.Input!).filter(([k]) => !k.endsWith('.$')),
    );
    expect(parseRequest(input, { executionName: 'child' })).toMatchObject({ action });
  });
});
