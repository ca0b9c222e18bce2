/**
 * The house Lambda function: one place that pins runtime, architecture, code, logs, tracing and networking.
 *
 * Decisions:
 * - `nodejs24.x` on arm64, pinned (not `NODEJS_LATEST`, whose meaning moves with the aws-cdk-lib version of the
 *   app that installs this package): the bundles target node24 and the tests run on Node 24.
 * - Code: the pre-built bundle of the installed package when there is one, else bundled at synth time from the
 *   TypeScript sources (see ./handler-bundle.ts, which holds the one esbuild configuration).
 * - An explicit log group (retention) and an explicit role that may write only to it: no
 *   AWSLambdaBasicExecutionRole (which may create and write to any log group).
 * - In a VPC: the network-interface permissions Lambda needs, as an inline statement of that role (no
 *   AWSLambdaVPCAccessExecutionRole managed policy).
 * - X-Ray active tracing; Powertools Logger configured by env.
 * - No `--enable-source-maps` (a cold-start cost; the bundle's source map is in the asset, see ./handler-bundle.ts).
 */
import { join } from 'node:path';
import { AssetHashType, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import {
  bundleHandler,
  ESM_REQUIRE_BANNER,
  HANDLER_FILE,
  PACKAGE_ROOT,
  prebuiltHandlerDir,
} from './handler-bundle.ts';

export { ESM_REQUIRE_BANNER };

/** Value of POWERTOOLS_SERVICE_NAME on every function. */
export const SERVICE_NAME = 'atlas-private-endpoint-workflow';

/** The functions' runtime (the bundles target it: `HANDLER_TARGET`). */
export const HANDLER_RUNTIME = lambda.Runtime.NODEJS_24_X;

export type HandlerLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface HandlerFunctionProps {
  /** The handler's TypeScript entry, relative to the project root (`lambdas/handlers/<step>.ts`). */
  readonly entry: string;
  /**
   * The project root holding the sources, package.json and tsconfig.json (for bundling from source).
   * @default - the directory above lib/
   */
  readonly projectRoot?: string;
  readonly description?: string;
  /** Extra environment variables. */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default Duration.seconds(60) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Powertools log level. @default 'INFO' */
  readonly logLevel?: HandlerLogLevel;
  /** @default - unreserved */
  readonly reservedConcurrentExecutions?: number;
  /** IAM path of the function's role. @default '/' */
  readonly rolePath?: string;
  /** Runs the function in this VPC. @default - no VPC */
  readonly vpc?: ec2.IVpc;
  /** @default - the VPC's private subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** @default - a new security group allowing all outbound traffic */
  readonly securityGroups?: readonly ec2.ISecurityGroup[];
}

/**
 * The Lambda code of a handler entry: the installed package's pre-built bundle, or a synth-time bundle of the
 * source (skipped, like every asset bundling, for stacks outside `aws:cdk:bundling-stacks`).
 */
export function handlerCode(entry: string, projectRoot: string = PACKAGE_ROOT): lambda.Code {
  const prebuilt = prebuiltHandlerDir(entry);
  if (prebuilt !== undefined) return lambda.Code.fromAsset(prebuilt);
  // CDK keys its asset cache (one staging per key and process) on the source folder and the bundling options
  // as JSON, where the `tryBundle` function does not show: the entry must be data of `local`, or every handler
  // of the project gets the bundle of the first one staged.
  const local = {
    entry,
    tryBundle(outputDir: string): boolean {
      bundleHandler(join(projectRoot, entry), outputDir, projectRoot);
      return true;
    },
  };
  return lambda.Code.fromAsset(projectRoot, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never pulled: local bundling either succeeds or throws with what to install.
      image: HANDLER_RUNTIME.bundlingImage,
      local,
    },
  });
}

/** The house Lambda function. */
export class HandlerFunction extends lambda.Function {
  /** The log group the function writes to (retention set). */
  readonly handlerLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${id}`,
      ...(props.rolePath === undefined ? {} : { path: props.rolePath }),
    });
    logGroup.grantWrite(role);
    if (props.vpc !== undefined) {
      // What AWSLambdaVPCAccessExecutionRole grants for the function's network interfaces (these actions
      // support no resource-level permissions for Lambda's use).
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'LambdaVpcNetworkInterfaces',
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      );
    }

    super(scope, id, {
      code: handlerCode(props.entry, props.projectRoot),
      handler: `${HANDLER_FILE.replace(/\.mjs$/, '')}.handler`,
      description: props.description,
      runtime: HANDLER_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(60),
      role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
        // No NODE_OPTIONS=--enable-source-maps: it costs every cold start (see ./handler-bundle.ts); the source
        // map ships next to the bundle for reading stack traces offline.
        ...props.environment,
      },
      ...(props.vpc === undefined
        ? {}
        : {
            vpc: props.vpc,
            ...(props.vpcSubnets === undefined ? {} : { vpcSubnets: props.vpcSubnets }),
            ...(props.securityGroups === undefined ? {} : { securityGroups: [...props.securityGroups] }),
          }),
    });
    this.handlerLogGroup = logGroup;
  }

  /**
   * Lets the function read the Atlas credentials: `secretsmanager:GetSecretValue`/`DescribeSecret` on that
   * one secret (plus `kms:Decrypt` through Secrets Manager only, if the secret has a customer managed key),
   * and sets the env naming it.
   */
  useAtlasSecret(secret: secretsmanager.ISecret, envName: string): void {
    secret.grantRead(this);
    if (secret.encryptionKey) {
      // grantRead's key grant goes to a ViaServicePrincipal, which an imported key silently drops; state it here.
      this.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [secret.encryptionKey.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
          },
        }),
      );
    }
    this.addEnvironment(envName, secret.secretArn);
  }
}
