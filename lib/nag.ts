/**
 * cdk-nag (AwsSolutions) acknowledgements for findings that are inherent to the design, each scoped to
 * the construct that causes it and each with its reason. Everything else must be fixed, not acknowledged:
 * the app and the tests fail on any finding not listed here.
 *
 * IAM5 findings are granular (`AwsSolutions-IAM5[Resource::<flattened ARN>]`), so their ids are computed
 * from the same tokens the policies use, flattened the way cdk-nag flattens them (`<LogicalId.Arn>`,
 * `<AWS::Region>`); no logical id is hard-coded.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { CfnFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';

export interface NagAcknowledgement {
  readonly id: string;
  readonly reason: string;
}

/** Flattens a resolved CloudFormation value as cdk-nag names it in finding ids. */
export function flattenForNag(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const o = value as Record<string, unknown>;
  if (o['Fn::Join']) {
    const [separator, items] = o['Fn::Join'] as [string, unknown[]];
    return items.map(flattenForNag).join(separator);
  }
  if (o['Fn::Sub']) return flattenForNag(o['Fn::Sub']);
  if (o['Fn::GetAtt']) {
    const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenForNag(resource)}.${flattenForNag(attribute)}>`;
  }
  if (o['Fn::ImportValue']) return flattenForNag(o['Fn::ImportValue']);
  if (o.Ref) return `<${flattenForNag(o.Ref)}>`;
  return JSON.stringify(value);
}

/** The IAM5 finding id for a wildcard resource (a string that may hold tokens). */
export function iam5ResourceId(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenForNag(Stack.of(scope).resolve(resource))}]`;
}

function acknowledge(scope: IConstruct, ack: NagAcknowledgement): void {
  Validations.of(scope).acknowledge(ack);
}

const XRAY =
  'X-Ray tracing (xray:PutTraceSegments, xray:PutTelemetryRecords) supports no resource-level permissions.';

/** Acknowledgements of the VPC access role (another account): the Describe calls and the tag-narrowed wildcards. */
export function acknowledgeVpcAccessRole(
  role: iam.IRole,
  wildcards: readonly { readonly arn: string; readonly reason: string }[],
): NagAcknowledgement[] {
  const all: NagAcknowledgement[] = [
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The EC2 Describe* actions the workflow calls (DescribeVpcEndpoints, DescribeSubnets, DescribeSecurityGroups) support no resource-level permissions; they are read-only and limited to those three.',
    },
    ...wildcards.map((w) => ({ id: iam5ResourceId(role, w.arn), reason: w.reason })),
  ];
  for (const ack of all) acknowledge(role, ack);
  return all;
}

export interface NagParts {
  /** Function roles, with the wildcard EC2 resources their policies use (already in the policy). */
  readonly functions: readonly {
    readonly role: iam.IRole;
    readonly ec2Describe: boolean;
    readonly ec2WildcardResources: readonly { readonly arn: string; readonly reason: string }[];
    /** The function runs in a VPC (its role manages network interfaces). */
    readonly vpcNetworking?: boolean;
  }[];
  readonly stateMachineRole: iam.IRole;
  readonly invokedFunctions: readonly IFunction[];
  readonly deadLetterQueue: IConstruct;
  /** The policies that let the lease steps describe this state machine's executions (`execution:<name>:*`). */
  readonly leaseHolderPolicies?: readonly { readonly policy: IConstruct; readonly executionsArn: string }[];
}

/** Records every acknowledgement on its construct and returns them (for tests and the report). */
export function acknowledgeNagFindings(parts: NagParts): NagAcknowledgement[] {
  const all: NagAcknowledgement[] = [];
  const add = (scope: IConstruct, ack: NagAcknowledgement) => {
    acknowledge(scope, ack);
    all.push(ack);
  };

  for (const fn of parts.functions) {
    const reasons = [XRAY];
    if (fn.ec2Describe) {
      reasons.push(
        'The EC2 Describe* actions granted (DescribeVpcEndpoints and, for validation, DescribeSubnets/DescribeSecurityGroups) support no resource-level permissions either; they are read-only and limited to the actions the handler calls.',
      );
    }
    if (fn.vpcNetworking) {
      reasons.push(
        "The function runs in a VPC: Lambda manages its network interfaces with the function's role (ec2:CreateNetworkInterface, DescribeNetworkInterfaces, DescribeSubnets, DeleteNetworkInterface, Assign/UnassignPrivateIpAddresses, as in AWSLambdaVPCAccessExecutionRole), on interfaces whose ids are unknown in advance.",
      );
    }
    add(fn.role, { id: 'AwsSolutions-IAM5[Resource::*]', reason: reasons.join(' ') });
    for (const wildcard of fn.ec2WildcardResources) {
      add(fn.role, { id: iam5ResourceId(fn.role, wildcard.arn), reason: wildcard.reason });
    }
  }

  add(parts.stateMachineRole, {
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Step Functions log delivery (logs:CreateLogDelivery, logs:DescribeLogGroups, …) and X-Ray tracing need Resource "*": these actions support no resource-level permissions.',
  });
  for (const fn of parts.invokedFunctions) {
    const logicalId = Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnFunction);
    add(parts.stateMachineRole, {
      id: `AwsSolutions-IAM5[Resource::<${flattenForNag(Stack.of(fn).resolve(logicalId))}.Arn>:*]`,
      reason:
        'CDK grants lambda:InvokeFunction on the function and its qualified ARNs (versions/aliases); the wildcard spans qualifiers of this one workflow function only.',
    });
  }

  for (const { policy, executionsArn } of parts.leaseHolderPolicies ?? []) {
    add(policy, {
      id: iam5ResourceId(policy, executionsArn),
      reason:
        "states:DescribeExecution on this state machine's executions: the lease's holder is one of them, named by an ARN known only at run time.",
    });
  }

  add(parts.deadLetterQueue, {
    id: 'AwsSolutions-SQS3',
    reason:
      'This queue is itself the dead-letter queue of the EventBridge trigger rule target; a DLQ for a DLQ would only move the same undeliverable events again.',
  });
  return all;
}
