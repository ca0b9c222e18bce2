import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { ownershipMarker } from '../../lambdas/atlas/kind-common.ts';
import { ErrorNames, type FieldIssue, InvalidRequestError } from '../../lambdas/core/errors.ts';
import { TAG_MANAGED_BY } from '../../lambdas/core/tags.ts';
import { DetailTypes, REQUEST_EVENT_SOURCE } from '../../lambdas/workflow/events.ts';
import {
  ATLAS_COMMENT_MAX_LENGTH,
  COMMENT_MAX_LENGTH,
  formatPath,
  parseRequest,
  type RequestDefaults,
} from '../../lambdas/workflow/request.ts';
import { requestJsonSchema } from '../../lambdas/workflow/request-schema.ts';

const VALID = {
  kind: 'serverless',
  groupId: '5f7cac1adf5d6c6306f4b283',
  instanceName: 'orders',
  comment: 'orders app',
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'],
  securityGroupIds: ['sg-0a1b2c3d4e5f60718'],
  region: 'us-east-1',
} as const;

const DEFAULTS: RequestDefaults = {
  vpcId: 'vpc-0a1b2c3d',
  subnetIds: ['subnet-0a1b2c3d', 'subnet-1a2b3c4d'],
  securityGroupIds: ['sg-0a1b2c3d'],
  region: 'eu-west-1',
  kind: 'dedicated',
};

/** Parses and returns the issues; fails the test when the request is accepted. */
function issuesOf(input: unknown, options: Parameters<typeof parseRequest>[1] = { executionName: 'exec-1' }) {
  try {
    parseRequest(input, options);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    const invalid = error as InvalidRequestError;
    expect(invalid.name).toBe(ErrorNames.InvalidRequest);
    return invalid.issues;
  }
  throw new Error('expected parseRequest to reject the input');
}

function only(issues: readonly FieldIssue[]): FieldIssue {
  expect(issues).toHaveLength(1);
  return issues[0]!;
}

describe('parseRequest: valid requests', () => {
  it('accepts the README example and fills the documented defaults', () => {
    const request = parseRequest(VALID, { executionName: 'exec-1' });
    expect(request).toEqual({
      ...VALID,
      kind: 'serverless',
      privateDnsEnabled: false,
      rollbackOnFailure: true,
      tags: {},
      requestId: 'exec-1',
    });
    expect(Object.hasOwn(request, 'phaseBudgetSeconds')).toBe(false);
    expect(JSON.parse(JSON.stringify(request))).toEqual(request);
  });

  it('uses deployment defaults only for the fields the event leaves out', () => {
    const request = parseRequest(
      { groupId: VALID.groupId, instanceName: 'c1', subnetIds: ['subnet-0a1b2c3d4e5f60718'] },
      { defaults: DEFAULTS, executionName: 'exec-2' },
    );
    expect(request.vpcId).toBe(DEFAULTS.vpcId);
    expect(request.securityGroupIds).toEqual(DEFAULTS.securityGroupIds);
    expect(request.region).toBe('eu-west-1');
    expect(request.kind).toBe('dedicated');
    expect(request.subnetIds).toEqual(['subnet-0a1b2c3d4e5f60718']);
    expect(request.requestId).toBe('exec-2');
  });

  it('lets the event override the default kind, and keeps explicit options', () => {
    const request = parseRequest(
      {
        ...VALID,
        kind: 'serverless',
        privateDnsEnabled: false,
        rollbackOnFailure: false,
        requestId: 'my-key',
        tags: { Team: 'payments', 'cost center': '42' },
        phaseBudgetSeconds: { link: 7200, atlasEndpoint: 600 },
      },
      { defaults: DEFAULTS, executionName: 'exec-3' },
    );
    expect(request).toMatchObject({
      kind: 'serverless',
      privateDnsEnabled: false,
      rollbackOnFailure: false,
      requestId: 'my-key',
      tags: { Team: 'payments', 'cost center': '42' },
      phaseBudgetSeconds: { link: 7200, atlasEndpoint: 600 },
      region: 'us-east-1',
    });
  });

  it('accepts a comment of exactly 63 characters and the 17-digit and 8-digit id forms', () => {
    const request = parseRequest(
      { ...VALID, comment: 'c'.repeat(63), vpcId: 'vpc-0a1b2c3d', securityGroupIds: ['sg-0a1b2c3d'] },
      { executionName: 'e' },
    );
    expect(request.comment).toHaveLength(63);
    // With the space and the ownership marker the workflow appends, it is exactly what Atlas keeps.
    expect(COMMENT_MAX_LENGTH + 1 + ownershipMarker('e').length).toBe(ATLAS_COMMENT_MAX_LENGTH);
    expect(ATLAS_COMMENT_MAX_LENGTH).toBe(80);
  });

  it('accepts a dedicated request without comment', () => {
    const { comment: _comment, ...rest } = VALID;
    const request = parseRequest({ ...rest, kind: 'dedicated' }, { executionName: 'e' });
    expect(request.kind).toBe('dedicated');
    expect(Object.hasOwn(request, 'comment')).toBe(false);
  });

  it('accepts 40 tags and 128/256-character keys and values', () => {
    const tags: Record<string, string> = {};
    for (let i = 0; i < 39; i++) tags[`k${i}`] = `v${i}`;
    tags['k'.repeat(128)] = 'v'.repeat(256);
    expect(parseRequest({ ...VALID, tags }, { executionName: 'e' }).tags).toEqual(tags);
  });
});

describe('parseRequest: one message per bad field', () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    [
      'kind',
      { kind: 'Dedicated' },
      'kind',
      /got "Dedicated"; expected "dedicated" \(the default\) or "serverless" \(retired by MongoDB on 2026-01-22\)/,
    ],
    ['groupId (uppercase)', { groupId: '5F7CAC1ADF5D6C6306F4B283' }, 'groupId', /24 lowercase hexadecimal/],
    ['groupId (short)', { groupId: 'abc' }, 'groupId', /got "abc"; expected the Atlas project id/],
    ['groupId (type)', { groupId: 42 }, 'groupId', /got the number 42; expected the Atlas project id/],
    [
      'instanceName (leading hyphen)',
      { instanceName: '-orders' },
      'instanceName',
      /got "-orders".*letters, digits/,
    ],
    ['instanceName (empty)', { instanceName: '' }, 'instanceName', /got an empty string/],
    [
      'instanceName (too long)',
      { instanceName: 'a'.repeat(65) },
      'instanceName',
      /got 65 characters.*1 to 64/,
    ],
    ['instanceName (underscore)', { instanceName: 'my_db' }, 'instanceName', /got "my_db"/],
    [
      'comment (64)',
      { comment: 'c'.repeat(64) },
      'comment',
      /^got 64 UTF-16 code units \(what Atlas counts: an emoji is 2\); expected a string of at most 63 UTF-16 code units without control characters \(Atlas keeps 80, and the workflow appends a space and a 16-character ownership marker to it\)$/,
    ],
    [
      'comment (80, what Atlas alone would take)',
      { comment: 'c'.repeat(80) },
      'comment',
      /got 80 UTF-16 code units .*; expected a string of at most 63 UTF-16 code units .*16-character ownership marker/,
    ],
    ['comment (type)', { comment: ['x'] }, 'comment', /got a list; expected a string of at most 63/],
    ['comment (emoji)', { comment: '\u{1F600}'.repeat(32) }, 'comment', /^got 64 UTF-16 code units/],
    ['comment (control)', { comment: 'a\tb' }, 'comment', /contains control characters/],
    ['comment (lone surrogate)', { comment: 'a\uDC00b' }, 'comment', /unpaired UTF-16 surrogate/],
    ['vpcId', { vpcId: 'vpc-123' }, 'vpcId', /got "vpc-123"; expected a VPC id: "vpc-" followed by 8 or 17/],
    ['vpcId (uppercase hex)', { vpcId: 'vpc-0A1B2C3D' }, 'vpcId', /got "vpc-0A1B2C3D"/],
    [
      'subnetIds (empty)',
      { subnetIds: [] },
      'subnetIds',
      /got an empty list; expected a list of 1 to 16 unique subnet ids/,
    ],
    [
      'subnetIds (string)',
      { subnetIds: 'subnet-0a1b2c3d' },
      'subnetIds',
      /got "subnet-0a1b2c3d"; expected a list/,
    ],
    [
      'subnetIds[1]',
      { subnetIds: ['subnet-0a1b2c3d', 'subnet-x'] },
      'subnetIds[1]',
      /got "subnet-x"; expected a subnet id/,
    ],
    [
      'subnetIds duplicate',
      { subnetIds: ['subnet-0a1b2c3d', 'subnet-1a2b3c4d', 'subnet-0a1b2c3d'] },
      'subnetIds[2]',
      /"subnet-0a1b2c3d" is listed more than once \(first at subnetIds\[0\]\); expected each subnet id once/,
    ],
    [
      'securityGroupIds (empty)',
      { securityGroupIds: [] },
      'securityGroupIds',
      /got an empty list; expected a list of 1 to 5/,
    ],
    [
      'securityGroupIds (6)',
      {
        securityGroupIds: [
          'sg-00000001',
          'sg-00000002',
          'sg-00000003',
          'sg-00000004',
          'sg-00000005',
          'sg-00000006',
        ],
      },
      'securityGroupIds',
      /got 6 items; expected a list of 1 to 5/,
    ],
    [
      'securityGroupIds[0]',
      { securityGroupIds: ['sg-zz'] },
      'securityGroupIds[0]',
      /got "sg-zz"; expected a security group id/,
    ],
    [
      'securityGroupIds duplicate',
      { securityGroupIds: ['sg-0a1b2c3d', 'sg-0a1b2c3d'] },
      'securityGroupIds[1]',
      /listed more than once.*each security group id once/,
    ],
    [
      'region (unknown)',
      { region: 'mars-north-1' },
      'region',
      /got "mars-north-1"; expected the AWS region name.*Atlas supports/,
    ],
    ['region (China, not served)', { region: 'cn-north-1' }, 'region', /got "cn-north-1"/],
    [
      'region (Atlas name)',
      { region: 'US_EAST_1' },
      'region',
      /got "US_EAST_1", the Atlas name of "us-east-1"/,
    ],
    ['region (case)', { region: 'US-EAST-1' }, 'region', /did you mean "us-east-1"\?/],
    [
      'privateDnsEnabled',
      { privateDnsEnabled: 'false' },
      'privateDnsEnabled',
      /got "false"; expected false \(the default\)/,
    ],
    [
      'privateDnsEnabled (true)',
      { privateDnsEnabled: true },
      'privateDnsEnabled',
      /^got true; Atlas endpoint services publish no private DNS name/,
    ],
    [
      'rollbackOnFailure',
      { rollbackOnFailure: 1 },
      'rollbackOnFailure',
      /got the number 1; expected true or false \(default true\)/,
    ],
    ['tags (list)', { tags: ['a'] }, 'tags', /got a list; expected an object of at most 40 tags/],
    ['tags value', { tags: { Team: 7 } }, 'tags.Team', /got the number 7; expected a string of at most 256/],
    ['tags value (long)', { tags: { Team: 'x'.repeat(257) } }, 'tags.Team', /got 257 characters/],
    [
      'tags aws: prefix',
      { tags: { 'AWS:cloudformation': 'x' } },
      'tags["AWS:cloudformation"]',
      /AWS reserves/,
    ],
    [
      'tags workflow prefix',
      { tags: { [TAG_MANAGED_BY]: 'me' } },
      `tags[${JSON.stringify(TAG_MANAGED_BY)}]`,
      /workflow reserves/,
    ],
    [
      'tags key too long',
      { tags: { ['k'.repeat(129)]: 'v' } },
      `tags.${'k'.repeat(129)}`,
      /129 characters; expected at most 128/,
    ],
    ['tags empty key', { tags: { '': 'v' } }, 'tags[""]', /tag key is empty/],
    [
      'requestId (empty)',
      { requestId: '' },
      'requestId',
      /got an empty string; expected 1 to 128 characters/,
    ],
    ['requestId (control)', { requestId: 'a\nb' }, 'requestId', /without control characters/],
    ['requestId (long)', { requestId: 'r'.repeat(129) }, 'requestId', /got 129 characters/],
    [
      'phaseBudgetSeconds (type)',
      { phaseBudgetSeconds: 60 },
      'phaseBudgetSeconds',
      /got the number 60; expected an object of polling phase -> seconds, phases: atlasEndpoint, vpcEndpoint, link, connection, cleanup/,
    ],
    [
      'phase budget too small',
      { phaseBudgetSeconds: { link: 59 } },
      'phaseBudgetSeconds.link',
      /got the number 59; expected a whole number of seconds from 60 to 86400/,
    ],
    [
      'phase budget fraction',
      { phaseBudgetSeconds: { vpcEndpoint: 90.5 } },
      'phaseBudgetSeconds.vpcEndpoint',
      /whole number/,
    ],
    [
      'phase budget too large',
      { phaseBudgetSeconds: { cleanup: 86401 } },
      'phaseBudgetSeconds.cleanup',
      /from 60 to 86400/,
    ],
    [
      'phase budget as text',
      { phaseBudgetSeconds: { connection: '600' } },
      'phaseBudgetSeconds.connection',
      /got "600"/,
    ],
  ];

  it.each(cases)('%s', (_name, patch, field, message) => {
    const issue = only(issuesOf({ ...VALID, ...patch }));
    expect(issue.field).toBe(field);
    expect(issue.problem).toMatch(message);
  });

  it('rejects 41 tags', () => {
    const tags: Record<string, string> = {};
    for (let i = 0; i < 41; i++) tags[`k${i}`] = 'v';
    const issue = only(issuesOf({ ...VALID, tags }));
    expect(issue).toEqual({
      field: 'tags',
      problem: expect.stringMatching(/got 41 tags; expected at most 40/),
    });
  });

  it('rejects comment on a dedicated request instead of dropping it', () => {
    const issue = only(issuesOf({ ...VALID, kind: 'dedicated' }));
    expect(issue.field).toBe('comment');
    expect(issue.problem).toMatch(/only used by serverless endpoints/);
  });

  it('rejects comment when the deployment default kind is dedicated', () => {
    const { kind: _kind, ...noKind } = VALID;
    const issue = only(issuesOf(noKind, { defaults: { kind: 'dedicated' }, executionName: 'e' }));
    expect(issue.field).toBe('comment');
  });

  it('a request that names no kind is dedicated (the team default): its comment is refused, the rest accepted', () => {
    const { kind: _kind, comment: _comment, ...noKind } = VALID;
    expect(only(issuesOf({ ...noKind, comment: 'x' })).field).toBe('comment');
    expect(parseRequest(noKind, { executionName: 'e' }).kind).toBe('dedicated');
    // A deployment default of serverless still applies where the request names none.
    expect(parseRequest(noKind, { defaults: { kind: 'serverless' }, executionName: 'e' }).kind).toBe(
      'serverless',
    );
  });

  it('names the deployment variable when a defaultable field is missing', () => {
    const { vpcId: _v, subnetIds: _s, securityGroupIds: _g, region: _r, ...rest } = VALID;
    const issues = issuesOf(rest);
    expect(issues.map((i) => i.field)).toEqual(['vpcId', 'subnetIds', 'securityGroupIds', 'region']);
    expect(issues[0]!.problem).toMatch(/is required \(no deployment default DEFAULT_VPC_ID is set\)/);
    expect(issues[1]!.problem).toMatch(/DEFAULT_SUBNET_IDS/);
    expect(issues[2]!.problem).toMatch(/DEFAULT_SECURITY_GROUP_IDS/);
    expect(issues[3]!.problem).toMatch(/DEFAULT_REGION/);
  });

  it('requires groupId and instanceName', () => {
    const { groupId: _g, instanceName: _i, ...rest } = VALID;
    const issues = issuesOf(rest);
    expect(issues).toEqual([
      { field: 'groupId', problem: expect.stringMatching(/^is required; expected the Atlas project id/) },
      {
        field: 'instanceName',
        problem: expect.stringMatching(/^is required; expected the serverless instance/),
      },
    ]);
  });

  it('requires a requestId when no execution name is known', () => {
    const issue = only(issuesOf(VALID, {}));
    expect(issue.field).toBe('requestId');
    expect(issue.problem).toMatch(/is required when the execution name is unknown/);
  });

  it('treats null as a bad value, not as "use the default"', () => {
    const issue = only(
      issuesOf({ ...VALID, vpcId: null }, { defaults: { vpcId: 'vpc-0a1b2c3d' }, executionName: 'e' }),
    );
    expect(issue).toEqual({ field: 'vpcId', problem: expect.stringMatching(/^got null; expected a VPC id/) });
  });
});

describe('parseRequest: many problems at once', () => {
  it('reports every bad field in one InvalidRequestError, in field order', () => {
    let caught: unknown;
    try {
      parseRequest(
        {
          subnetId: 'subnet-0a1b2c3d',
          groupId: 'nope',
          instanceName: 'my_db',
          kind: 'dedicated',
          comment: 'x',
          vpcId: 'vpc-1',
          subnetIds: ['subnet-0a1b2c3d', 'subnet-0a1b2c3d', 'bad', 5],
          securityGroupIds: [],
          region: 'US_EAST_1',
          tags: { 'aws:x': 'y', ok: 5 },
          rollbackOnFailure: 'yes',
          phaseBudgetSeconds: { link: 5, linkk: 1 },
        },
        { executionName: 'e' },
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidRequestError);
    const error = caught as InvalidRequestError;
    expect(error.issues.map((i) => i.field)).toEqual([
      'groupId',
      'instanceName',
      'comment',
      'vpcId',
      'subnetIds[2]',
      'subnetIds[3]',
      'subnetIds[1]',
      'securityGroupIds',
      'region',
      'tags.ok',
      'tags["aws:x"]',
      'rollbackOnFailure',
      'phaseBudgetSeconds.link',
      'phaseBudgetSeconds.linkk',
      'subnetId',
    ]);
    // The message carries every field too, so the Step Functions Cause is self-explanatory.
    for (const issue of error.issues) expect(error.message).toContain(`${issue.field}: ${issue.problem}`);
    expect(error.retryable).toBe(false);
    expect(error.toJSON().name).toBe('InvalidRequest');
  });
});

describe('parseRequest: unknown fields and input shape', () => {
  it('rejects a typo and suggests the real field', () => {
    const issue = only(issuesOf({ ...VALID, subnetId: 'subnet-0a1b2c3d' }));
    expect(issue.field).toBe('subnetId');
    expect(issue.problem).toMatch(
      /is not a known field \(did you mean "subnetIds"\?\); expected only action, repair, kind, groupId/,
    );
  });

  it.each([
    ['securityGroupId', 'securityGroupIds'],
    ['GroupId', 'groupId'],
    ['instancename', 'instanceName'],
    ['privateDns', undefined],
    ['rollbackOnFailur', 'rollbackOnFailure'],
  ])('suggestion for %s', (key, suggestion) => {
    const issue = only(issuesOf({ ...VALID, [key]: true }));
    expect(issue.field).toBe(key);
    if (suggestion === undefined) expect(issue.problem).not.toMatch(/did you mean/);
    else expect(issue.problem).toContain(`did you mean "${suggestion}"`);
  });

  it('rejects unknown phases inside phaseBudgetSeconds', () => {
    const issue = only(issuesOf({ ...VALID, phaseBudgetSeconds: { vpcEndpoints: 600 } }));
    expect(issue.field).toBe('phaseBudgetSeconds.vpcEndpoints');
    expect(issue.problem).toMatch(/did you mean "vpcEndpoint"\?\); expected only atlasEndpoint, vpcEndpoint/);
  });

  it.each([
    [null, 'got null'],
    ['{"groupId":"x"}', 'got "{\\"groupId\\":\\"x\\"}"'],
    [[VALID], 'got a list'],
    [42, 'got the number 42'],
    [undefined, 'got nothing'],
  ])('rejects a non-object input (%j)', (input, got) => {
    const issue = only(issuesOf(input));
    expect(issue.field).toBe('(input)');
    expect(issue.problem).toContain(got);
    expect(issue.problem).toMatch(/expected a JSON object/);
  });

  it('rejects a whole EventBridge event: only its detail is the request', () => {
    const event = {
      version: '0',
      id: 'e1',
      'detail-type': 'Atlas private endpoint requested',
      source: 'my.app',
      detail: VALID,
    };
    const issue = only(issuesOf(event));
    expect(issue.field).toBe('(input)');
    expect(issue.problem).toMatch(/whole EventBridge event.*\$\.detail/);
    // …and the detail itself is a valid request.
    expect(parseRequest(event.detail, { executionName: 'e' }).groupId).toBe(VALID.groupId);
  });
});

describe('formatPath', () => {
  it.each([
    [[], '(input)'],
    [['subnetIds', 1], 'subnetIds[1]'],
    [['tags', 'Name'], 'tags.Name'],
    [['tags', 'cost center'], 'tags["cost center"]'],
    [['tags', 'team:name'], 'tags["team:name"]'],
    [['phaseBudgetSeconds', 'link'], 'phaseBudgetSeconds.link'],
  ])('%j -> %s', (path, expected) => {
    expect(formatPath(path)).toBe(expected);
  });
});

describe('requestJsonSchema', () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const validate = ajv.compile(requestJsonSchema);

  it('accepts what parseRequest accepts', () => {
    expect(
      validate({ ...VALID, kind: 'serverless', tags: { a: 'b' }, phaseBudgetSeconds: { link: 600 } }),
    ).toBe(true);
    expect(validate({ ...VALID, phaseBudgetSeconds: { links: 600 } })).toBe(false);
  });

  it('rejects unknown fields, bad patterns and too many security groups', () => {
    expect(validate({ ...VALID, subnetId: 'x' })).toBe(false);
    expect(validate({ ...VALID, groupId: 'ABC' })).toBe(false);
    expect(validate({ ...VALID, subnetIds: ['subnet-0a1b2c3d', 'subnet-0a1b2c3d'] })).toBe(false);
    expect(
      validate({ ...VALID, securityGroupIds: Array.from({ length: 6 }, (_, i) => `sg-0000000${i}`) }),
    ).toBe(false);
    expect(validate({ ...VALID, comment: 'c'.repeat(81) })).toBe(false);
  });

  it('requires only groupId and instanceName (the rest may come from deployment defaults)', () => {
    expect(requestJsonSchema.required).toEqual(['groupId', 'instanceName']);
    expect(requestJsonSchema.additionalProperties).toBe(false);
    const properties = requestJsonSchema.properties as Record<
      string,
      { default?: unknown; description?: string }
    >;
    expect(properties.privateDnsEnabled?.default).toBe(false);
    expect(properties.rollbackOnFailure?.default).toBe(true);
    expect(properties.kind?.default).toBe('dedicated');
    for (const [name, property] of Object.entries(properties)) {
      expect(property.description, `${name} has a description`).toBeTruthy();
    }
  });
});

describe('executions started by another state machine', () => {
  it('accepts the AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID key (startExecution.sync) and drops it', () => {
    const parent = 'arn:aws:states:us-east-1:123456789012:execution:Parent:run-1';
    const request = parseRequest(
      { ...VALID, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: parent },
      { executionName: 'exec-1' },
    );
    expect(request.groupId).toBe(VALID.groupId);
    expect(JSON.stringify(request)).not.toContain(parent);
  });

  it('still refuses a non-string value there', () => {
    expect(issuesOf({ ...VALID, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: 7 }).map((i) => i.field)).toEqual(
      ['AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID'],
    );
  });
});

describe('the shipped examples', () => {
  it.each(['serverless-request.json', 'dedicated-request.json', 'other-account-request.json'])(
    'examples/%s is a valid request',
    async (name) => {
      const { readFileSync } = await import('node:fs');
      const input = JSON.parse(
        readFileSync(new URL(`../../examples/${name}`, import.meta.url), 'utf8'),
      ) as unknown;
      expect(parseRequest(input, { executionName: 'example' }).requestId).toBe('example');
    },
  );

  it('the EventBridge example is a put-events entry list whose Detail is a valid request for the trigger rule', async () => {
    const { readFileSync } = await import('node:fs');
    const entries = JSON.parse(
      readFileSync(new URL('../../examples/eventbridge-request-event.json', import.meta.url), 'utf8'),
    ) as { Source: string; DetailType: string; Detail: string }[];
    // `aws events put-events --entries file://…` takes a JSON list of entries.
    expect(Array.isArray(entries)).toBe(true);
    expect(entries).toHaveLength(1);
    const [entry] = entries;
    expect(entry?.Source).toBe(REQUEST_EVENT_SOURCE);
    expect(entry?.DetailType).toBe(DetailTypes.Requested);
    expect(parseRequest(JSON.parse(entry?.Detail ?? 'null'), { executionName: 'x' }).requestId).toBe(
      'orders-prod-link',
    );
  });
});
