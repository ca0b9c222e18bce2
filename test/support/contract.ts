/**
 * Contract validation of simulated Atlas responses against the official OpenAPI subset.
 *
 * The spec is read from `../shared/reference/atlas-private-endpoints.openapi.yaml` relative to the repo root
 * (its licence forbids copying it into the repo; override the location with ATLAS_OPENAPI_SPEC). When it is
 * absent, `loadContract()` prints one line saying validation is skipped and returns undefined.
 *
 * OpenAPI 3.0 -> JSON Schema (ajv draft-07) conversion, including workarounds for flaws of the spec
 * (facts §0.5 and what validation surfaced):
 * 1. `nullable: true` becomes a `null` type/enum member. Fields whose description says the service returns
 *    `null` (endpointServiceName "returns null while it creates the endpoint service", errorMessage "returns
 *    null if the request succeeded") are treated as nullable although the schema does not say so.
 * 2. `discriminator.mapping` selects the mapped schema: a discriminated schema S becomes `S__base` (its own
 *    properties) plus one `if {prop: const V} then {$ref: mapping[V]}` per mapping entry; mapped schemas that
 *    `allOf` S refer to `S__base` instead, which breaks the S -> child -> S cycle.
 * 3. `oneOf` becomes `anyOf`: the region enums overlap (US_EAST_2, US_WEST_2, … appear in several provider
 *    lists), the hardware-spec variants overlap, and the ServerlessTenantEndpoint variants do not require
 *    `providerName`, so a strict oneOf rejects real responses.
 * 4. `CloudRegionConfig*.regionName` declares `type: object` next to a oneOf of string enums; the outer
 *    `type: object` is dropped when every branch is a string.
 * 5. `AWSPrivateLinkConnection.interfaceEndpoints[]` is patterned as 24-hex ids, but Atlas lists the `vpce-…`
 *    ids there (as with `AWSInterfaceEndpoint.interfaceEndpointId`, facts §0.5); `vpce-` ids are accepted too.
 * 6. `ApiError.parameters[]` items are declared `type: object`, but Atlas sends the substituted values as
 *    strings and numbers (facts §3d, the 429 sample); any item type is accepted.
 * 7. `AWSInterfaceEndpoint.connectionStatus` also takes `NONE` ("not configured"), which the spec's enum lacks
 *    (facts §10, "connectionStatus": Terraform's docs and pending states).
 * Two operations outside the subset are validated against what the facts and MongoDB's docs give:
 * `listPrivateEndpointService` (an array of EndpointService, facts §3b) and
 * `getRegionalizedPrivateEndpointSetting` (`{ enabled: boolean }`, the v2 docs of
 * getGroupPrivateEndpointRegionalMode, facts §5 and §10).
 * Statuses the spec subset does not declare for an operation (406, 410, 415, 503, …) are validated against
 * ApiError and counted as "undeclared"; 401 bodies without errorCode are a documented known deviation.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SPEC_PATH =
  process.env.ATLAS_OPENAPI_SPEC ??
  join(REPO_ROOT, '..', 'shared', 'reference', 'atlas-private-endpoints.openapi.yaml');

/** Responses that real Atlas sends although they contradict the spec (kept visible, not counted as violations). */
export const KNOWN_DEVIATIONS = [
  {
    status: 401,
    what: 'authentication failures carry {error, reason, detail} without the required errorCode',
    source: 'observed Atlas answer quoted in mongodb/atlas-github-action#36',
  },
] as const;

export interface ResponseInfo {
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly contentType: string | null;
  readonly body: unknown;
}

export type Verdict = 'valid' | 'invalid' | 'undeclared-status' | 'known-deviation' | 'not-in-spec';

export interface ValidationResult {
  readonly verdict: Verdict;
  readonly errors: readonly string[];
  /** What the body was validated against, e.g. `#/components/schemas/EndpointService`. */
  readonly schema?: string;
}

type Json = Record<string, unknown>;
const SPEC_ID = 'atlas-spec';

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mediaType(contentType: string | null): string | undefined {
  return contentType?.split(';', 1)[0]?.trim().toLowerCase() || undefined;
}

const SKIP_KEYS = new Set(['discriminator', 'example', 'examples', 'externalDocs', 'nullable', 'xml']);
const SAYS_NULL = /returns? `?null`?/i;

/** Converts one OpenAPI 3.0 schema object (recursively) to ajv-compatible JSON Schema. */
function convertSchema(node: unknown, name?: string): unknown {
  if (Array.isArray(node)) return node.map((n) => convertSchema(n));
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (SKIP_KEYS.has(key) || key.startsWith('x-')) continue;
    if (key === 'properties' && isObject(value)) {
      const props: Json = {};
      for (const [prop, schema] of Object.entries(value)) props[prop] = convertSchema(schema);
      out.properties = props;
    } else if (key === 'oneOf') {
      out.anyOf = convertSchema(value); // flaw 3
    } else if (key === '$ref' && typeof value === 'string') {
      out.$ref = value.startsWith('#') ? `${SPEC_ID}${value}` : value;
    } else if (key === 'enum' || key === 'required' || key === 'default') {
      out[key] = value;
    } else {
      out[key] = convertSchema(value);
    }
  }
  // flaw 4: `type: object` beside string-only alternatives.
  const alternatives = out.anyOf;
  if (
    out.type === 'object' &&
    Array.isArray(alternatives) &&
    alternatives.every((a) => isObject(a) && a.type === 'string')
  ) {
    delete out.type;
  }
  const description = typeof node.description === 'string' ? node.description : '';
  const nullable = node.nullable === true || SAYS_NULL.test(description); // flaw 1
  if (!nullable) return out;
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [out, { type: 'null' }], ...(name ? { title: name } : {}) };
}

/** Builds the converted components.schemas, applying the discriminator rewrite (flaw 2) and flaw 5. */
function convertComponents(schemas: Json): Json {
  const out: Json = {};
  const discriminated = new Map<string, { property: string; mapping: Record<string, string> }>();
  for (const [name, schema] of Object.entries(schemas)) {
    if (!isObject(schema)) continue;
    const d = schema.discriminator;
    if (isObject(d) && typeof d.propertyName === 'string' && isObject(d.mapping)) {
      discriminated.set(name, { property: d.propertyName, mapping: d.mapping as Record<string, string> });
    }
  }
  const childOf = new Map<string, string>();
  for (const [parent, d] of discriminated) {
    for (const ref of Object.values(d.mapping)) childOf.set(ref.replace('#/components/schemas/', ''), parent);
  }
  for (const [name, schema] of Object.entries(schemas)) {
    if (!isObject(schema)) continue;
    let source: Json = schema;
    const parent = childOf.get(name);
    if (parent && Array.isArray(schema.allOf)) {
      source = {
        ...schema,
        allOf: schema.allOf.map((part) =>
          isObject(part) && part.$ref === `#/components/schemas/${parent}`
            ? { $ref: `#/components/schemas/${parent}__base` }
            : part,
        ),
      };
    }
    const d = discriminated.get(name);
    if (d) {
      const { oneOf: _oneOf, discriminator: _d, ...base } = source;
      out[`${name}__base`] = convertSchema(base, name);
      out[name] = {
        allOf: [
          { $ref: `${SPEC_ID}#/components/schemas/${name}__base` },
          // JSON Schema if/then (built with fromEntries: a literal `then` key reads like a thenable to linters).
          ...Object.entries(d.mapping).map(([value, ref]) =>
            Object.fromEntries([
              ['if', { properties: { [d.property]: { const: value } }, required: [d.property] }],
              ['then', { $ref: `${SPEC_ID}${ref}` }],
            ]),
          ),
        ],
      };
    } else {
      out[name] = convertSchema(source, name);
    }
  }
  // flaw 6: ApiError.parameters items are `type: object`, but Atlas sends strings and numbers (facts §3d).
  const apiError = out.ApiError;
  if (isObject(apiError) && isObject(apiError.properties) && isObject(apiError.properties.parameters)) {
    apiError.properties.parameters.items = {};
  }
  // flaw 7: connectionStatus NONE (facts §10).
  const iface = out.AWSInterfaceEndpoint;
  const ifaceParts = isObject(iface) ? [iface, ...(Array.isArray(iface.allOf) ? iface.allOf : [])] : [];
  for (const part of ifaceParts) {
    const status = isObject(part) && isObject(part.properties) ? part.properties.connectionStatus : undefined;
    if (isObject(status) && Array.isArray(status.enum) && !status.enum.includes('NONE')) {
      status.enum = [...status.enum, 'NONE'];
    }
  }
  // flaw 5
  const conn = out.AWSPrivateLinkConnection;
  if (isObject(conn) && isObject(conn.properties) && isObject(conn.properties.interfaceEndpoints)) {
    const items = conn.properties.interfaceEndpoints.items;
    if (isObject(items)) items.pattern = '^(([a-f0-9]{24})|(vpce-[0-9a-f]{17}))$';
  }
  return out;
}

interface OperationSpec {
  readonly method: string;
  readonly path: string;
  readonly responses: Json;
}

export class AtlasContract {
  private readonly ajv: Ajv;
  private readonly operations = new Map<string, OperationSpec>();
  private readonly spec: Json;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(specText: string) {
    this.spec = parse(specText) as Json;
    const components = (this.spec.components ?? {}) as Json;
    const schemas = convertComponents((components.schemas ?? {}) as Json);
    this.ajv = new Ajv({ strict: false, allErrors: true, logger: false });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: SPEC_ID, components: { schemas } });
    for (const [path, item] of Object.entries((this.spec.paths ?? {}) as Json)) {
      if (!isObject(item)) continue;
      for (const [method, op] of Object.entries(item)) {
        if (!isObject(op) || !isObject(op.responses)) continue;
        const names = [op['x-xgen-operation-id-override'], op.operationId].filter(
          (n): n is string => typeof n === 'string',
        );
        for (const n of names)
          this.operations.set(n, { method: method.toUpperCase(), path, responses: op.responses });
      }
    }
  }

  /** Operation names (overrides and operationIds) the spec subset declares. */
  operationNames(): string[] {
    return [...this.operations.keys()];
  }

  private resolveResponse(response: unknown): Json | undefined {
    if (isObject(response) && typeof response.$ref === 'string') {
      const name = response.$ref.replace('#/components/responses/', '');
      const responses = ((this.spec.components as Json).responses ?? {}) as Json;
      const target = responses[name];
      return isObject(target) ? target : undefined;
    }
    return isObject(response) ? response : undefined;
  }

  private validator(key: string, schema: unknown): ValidateFunction {
    let fn = this.compiled.get(key);
    if (!fn) {
      fn = this.ajv.compile(convertSchema(schema) as Json);
      this.compiled.set(key, fn);
    }
    return fn;
  }

  private check(key: string, schema: unknown, body: unknown, label: string): string[] {
    const fn = this.validator(key, schema);
    if (fn(body)) return [];
    return (fn.errors ?? []).map((e) => `${label}${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
  }

  private apiError(body: unknown, status: number): ValidationResult {
    const schema = { $ref: '#/components/schemas/ApiError' };
    const errors = this.check('ApiError', schema, body, 'body');
    if (errors.length === 0) return { verdict: 'undeclared-status', errors, schema: schema.$ref };
    if (status === 401 && isObject(body) && body.errorCode === undefined) {
      const apiErrorSchema = ((this.spec.components as Json).schemas as Json).ApiError;
      const relaxed = this.check(
        'ApiError-401',
        { ...(isObject(apiErrorSchema) ? apiErrorSchema : {}), required: ['error'] },
        body,
        'body',
      );
      if (relaxed.length === 0) return { verdict: 'known-deviation', errors: [], schema: schema.$ref };
    }
    return { verdict: 'invalid', errors, schema: schema.$ref };
  }

  validate(info: ResponseInfo): ValidationResult {
    const type = mediaType(info.contentType);
    let op = this.operations.get(info.operation);
    if (!op && info.operation === 'listPrivateEndpointService') {
      // Not in the subset (facts §3b): validate what it returns, an array of EndpointService.
      op = {
        method: 'GET',
        path: '/api/atlas/v2/groups/{groupId}/privateEndpoint/{cloudProvider}/endpointService',
        responses: {
          '200': {
            content: {
              'application/vnd.atlas.2023-01-01+json': {
                schema: { type: 'array', items: { $ref: '#/components/schemas/EndpointService' } },
              },
            },
          },
          '400': { $ref: '#/components/responses/badRequest' },
          '401': { $ref: '#/components/responses/unauthorized' },
          '404': { $ref: '#/components/responses/notFound' },
          '429': { $ref: '#/components/responses/tooManyRequests' },
          '500': { $ref: '#/components/responses/internalServerError' },
        },
      };
    }
    if (!op && info.operation === 'getRegionalizedPrivateEndpointSetting') {
      // Not in the subset: the v2 docs of getGroupPrivateEndpointRegionalMode give 200 `{ enabled: boolean }`
      // (required) under the 2023-01-01 media type.
      op = {
        method: 'GET',
        path: '/api/atlas/v2/groups/{groupId}/privateEndpoint/regionalMode',
        responses: {
          '200': {
            content: {
              'application/vnd.atlas.2023-01-01+json': {
                schema: {
                  type: 'object',
                  required: ['enabled'],
                  properties: { enabled: { type: 'boolean' } },
                },
              },
            },
          },
          '401': { $ref: '#/components/responses/unauthorized' },
          '404': { $ref: '#/components/responses/notFound' },
          '429': { $ref: '#/components/responses/tooManyRequests' },
          '500': { $ref: '#/components/responses/internalServerError' },
        },
      };
    }
    if (!op) return { verdict: 'not-in-spec', errors: [] };
    if (op.method !== info.method) {
      return { verdict: 'invalid', errors: [`method ${info.method} does not match the spec's ${op.method}`] };
    }
    const declared = this.resolveResponse(op.responses[String(info.status)]);
    if (!declared) {
      if (info.status >= 400 && type === 'application/json') return this.apiError(info.body, info.status);
      return { verdict: 'invalid', errors: [`status ${info.status} is not declared for ${info.operation}`] };
    }
    const content = isObject(declared.content) ? declared.content : {};
    const entry = type ? content[type] : undefined;
    if (!isObject(entry) || entry.schema === undefined) {
      if (Object.keys(content).length === 0 || (info.status === 204 && isObject(entry))) {
        return info.body === undefined
          ? { verdict: 'valid', errors: [] }
          : { verdict: 'invalid', errors: [`status ${info.status} must not have a body`] };
      }
      return {
        verdict: 'invalid',
        errors: [
          `media type ${type ?? '(none)'} is not declared for ${info.operation} ${info.status} (declared: ${Object.keys(content).join(', ')})`,
        ],
      };
    }
    const key = `${info.operation}|${info.status}|${type}`;
    const errors = this.check(key, entry.schema, info.body, 'body');
    const schemaRef =
      isObject(entry.schema) && typeof entry.schema.$ref === 'string' ? entry.schema.$ref : key;
    if (errors.length === 0) return { verdict: 'valid', errors, schema: schemaRef };
    if (info.status === 401) {
      const deviation = this.apiError(info.body, 401);
      if (deviation.verdict === 'known-deviation') return deviation;
    }
    return { verdict: 'invalid', errors, schema: schemaRef };
  }
}

let warned = false;

/** The line printed when the spec is absent. */
export function contractSkippedMessage(path: string): string {
  return `[contract] Atlas contract validation skipped: OpenAPI subset not found at ${path} (it lives beside the repo, not in it; set ATLAS_OPENAPI_SPEC to point elsewhere).`;
}

/** Forgets that the "skipped" line was printed, so the next absent spec prints it again (tests). */
export function resetContractWarning(): void {
  warned = false;
}

/** Loads the contract, or prints one line (once per process) and returns undefined when the spec file is absent. */
export function loadContract(path: string = SPEC_PATH): AtlasContract | undefined {
  if (!existsSync(path)) {
    if (!warned) {
      console.warn(contractSkippedMessage(path));
      warned = true;
    }
    return undefined;
  }
  return new AtlasContract(readFileSync(path, 'utf8'));
}
