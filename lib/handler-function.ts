/**
 * The house `NodejsFunction`: one place that pins runtime, architecture, bundling, logs and tracing.
 *
 * Decisions (measured in the toolchain notes, §1.4 and §7):
 * - `Runtime.NODEJS_LATEST` (nodejs24.x with aws-cdk-lib 2.276) on arm64.
 * - Bundled locally by the esbuild devDependency (no Docker), ESM output (`index.mjs`) so handlers may use
 *   top-level await; ESM bundles of CJS dependencies need the `createRequire` banner below, without it the
 *   SDK crashes at load with "Dynamic require of node:https".
 * - The AWS SDK is bundled (`externalModules: []`) with `mainFields: ['module', 'main']`: the tree-shaken
 *   EC2 client loads in about half the time of the runtime-provided SDK, and the deployed code runs the
 *   exact SDK version the tests ran.
 * - Minified, with source maps (`NODE_OPTIONS=--enable-source-maps`, source contents left out).
 * - An explicit log group (retention) and an explicit role that may write only to it: no
 *   AWSLambdaBasicExecutionRole (which may create and write to any log group).
 * - X-Ray active tracing; Powertools Logger configured by env.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

/** Value of POWERTOOLS_SERVICE_NAME on every function. */
export const SERVICE_NAME = 'atlas-private-endpoint-workflow';

/** Makes `require` exist inside the ESM bundle (for bundled CommonJS dependencies). */
export const ESM_REQUIRE_BANNER =
  "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);";

export type HandlerLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface HandlerFunctionProps {
  /** Absolute path of the handler's TypeScript entry. */
  readonly entry: string;
  /** Absolute path of the project root (holds package.json, package-lock.json, tsconfig.json). */
  readonly projectRoot: string;
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
}

/** The house Lambda function. */
export class HandlerFunction extends NodejsFunction {
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
    });
    logGroup.grantWrite(role);

    super(scope, id, {
      entry: props.entry,
      projectRoot: props.projectRoot,
      depsLockFilePath: `${props.projectRoot}/package-lock.json`,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_LATEST,
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
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        externalModules: [],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        banner: ESM_REQUIRE_BANNER,
        tsconfig: `${props.projectRoot}/tsconfig.json`,
        logLevel: LogLevel.WARNING,
      },
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
