/**
 * Turns the synthesized state machine back into concrete ASL.
 *
 * CloudFormation renders `DefinitionString` as `Fn::Join` over JSON text and references (function ARNs,
 * the partition, the region). Tests, the diagram script and the local engine need plain ASL, so this
 * resolves the few intrinsics CDK emits there: `Fn::Join`, `Fn::GetAtt [X, Arn]` (a Lambda function —
 * rendered as `arn:<partition>:lambda:<region>:<account>:function:<LogicalId>`, so the logical id can be
 * recovered from the ARN) and `Ref` to pseudo parameters. Anything else is an error, not a guess.
 */
import type { Template } from 'aws-cdk-lib/assertions';

export interface ResolveOptions {
  readonly partition?: string;
  readonly region?: string;
  readonly account?: string;
  readonly urlSuffix?: string;
}

/** A minimal ASL document type (the parts this project reads). */
export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
  readonly TimeoutSeconds?: number;
  readonly Comment?: string;
  readonly [key: string]: unknown;
}

export type AslState = { readonly Type: string } & Record<string, unknown>;

export const DEFAULT_RESOLVE: Required<ResolveOptions> = {
  partition: 'aws',
  region: 'us-east-1',
  account: '123456789012',
  urlSuffix: 'amazonaws.com',
};

/** Resolves `Fn::Join`, `Fn::GetAtt [X, Arn]` and pseudo-parameter `Ref`s in a CloudFormation value. */
export function resolveIntrinsics(value: unknown, options: ResolveOptions = {}): unknown {
  const o = { ...DEFAULT_RESOLVE, ...options };
  const pseudo: Record<string, string> = {
    'AWS::Partition': o.partition,
    'AWS::Region': o.region,
    'AWS::AccountId': o.account,
    'AWS::URLSuffix': o.urlSuffix,
  };
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const obj = v as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1 && keys[0] === 'Fn::Join') {
      const [separator, parts] = obj['Fn::Join'] as [string, unknown[]];
      return parts.map((p) => String(walk(p))).join(separator);
    }
    if (keys.length === 1 && keys[0] === 'Fn::GetAtt') {
      const [logicalId, attribute] = obj['Fn::GetAtt'] as [string, string];
      if (attribute !== 'Arn')
        throw new Error(`resolveIntrinsics: unsupported Fn::GetAtt ${logicalId}.${attribute}`);
      return `arn:${o.partition}:lambda:${o.region}:${o.account}:function:${logicalId}`;
    }
    if (keys.length === 1 && keys[0] === 'Ref') {
      const name = obj.Ref as string;
      const resolved = pseudo[name];
      if (resolved === undefined) throw new Error(`resolveIntrinsics: unsupported Ref ${name}`);
      return resolved;
    }
    const intrinsic = keys.find((k) => k.startsWith('Fn::'));
    if (intrinsic) throw new Error(`resolveIntrinsics: unsupported ${intrinsic}`);
    return Object.fromEntries(keys.map((k) => [k, walk(obj[k])]));
  };
  return walk(value);
}

type TemplateJson = {
  readonly Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown> }>;
};

function isAssertionsTemplate(t: Template | TemplateJson): t is Template {
  return typeof (t as Template).toJSON === 'function';
}

/**
 * The concrete ASL of the template's only state machine.
 *
 * @param template an `assertions.Template` or the template JSON
 * @throws when the template holds no state machine or more than one
 */
export function extractDefinition(
  template: Template | TemplateJson,
  options: ResolveOptions = {},
): AslDefinition {
  const json = (isAssertionsTemplate(template) ? template.toJSON() : template) as TemplateJson;
  const machines = Object.entries(json.Resources ?? {}).filter(
    ([, r]) => r.Type === 'AWS::StepFunctions::StateMachine',
  );
  if (machines.length !== 1)
    throw new Error(`expected one state machine in the template, found ${machines.length}`);
  const definition = machines[0]![1].Properties?.DefinitionString;
  const text = typeof definition === 'string' ? definition : resolveIntrinsics(definition, options);
  if (typeof text !== 'string') throw new Error('DefinitionString did not resolve to a string');
  return JSON.parse(text) as AslDefinition;
}

/** The logical id inside a Lambda ARN produced by {@link resolveIntrinsics}, if the ARN is one. */
export function functionLogicalIdOf(resource: string): string | undefined {
  return /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)$/.exec(resource)?.[1];
}

/** Every state of a definition (top level; this definition has no Map/Parallel). */
export function statesOf(definition: AslDefinition): [string, AslState][] {
  return Object.entries(definition.States);
}
