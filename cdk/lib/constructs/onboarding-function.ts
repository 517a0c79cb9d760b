import {
  CfnResource,
  Duration,
  Validations,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_lambda_nodejs as nodejs,
  aws_logs as logs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { absoluteFromRoot, handlerSourcePath, PROJECT_ROOT } from '../paths';

/** Template metadata key holding the handler's repository-relative source file (read by the local runner). */
export const HANDLER_METADATA_KEY = 'palette-onboarding:handler';
/** Template metadata key holding the function's name in the workflow (several functions may share one handler). */
export const FUNCTION_METADATA_KEY = 'palette-onboarding:function';

/**
 * esbuild banner for ESM bundles: CommonJS dependencies bundled into an ESM file still call `require`
 * (e.g. for Node built-ins); give them one.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __paletteCreateRequire } from 'node:module'; const require = __paletteCreateRequire(import.meta.url);";

export const FUNCTION_DEFAULTS = {
  runtime: lambda.Runtime.NODEJS_22_X,
  architecture: lambda.Architecture.ARM_64,
  memorySize: 256,
  timeout: Duration.seconds(60),
  esbuildTarget: 'node22',
} as const;

export interface OnboardingFunctionProps {
  /** Handler file name without extension: `lambdas/handlers/<handler>.ts`, export `handler`. */
  readonly handler: string;
  /** The function's name in the workflow (default: the handler's). */
  readonly name?: string;
  readonly description: string;
  /** The complete Lambda environment (the same for every function; see lambdas/shared/env.ts). */
  readonly environment: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
  readonly timeout?: Duration;
}

/**
 * One workflow Lambda, built the same way for every handler: Node.js 22 on arm64, ESM bundle made by the
 * locally installed esbuild (AWS SDK bundled, minified, source map), active tracing, its own log group
 * with retention, and its own role that starts with permission to write to that log group only.
 * Callers add the permissions the handler's state needs with `addToRolePolicy`.
 */
export class OnboardingFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: OnboardingFunctionProps) {
    super(scope, id);
    const source = handlerSourcePath(props.handler);

    this.logGroup = new logs.LogGroup(this, 'LogGroup', { retention: props.logRetention });

    // Own role instead of the default one: the default attaches the AWS-managed
    // AWSLambdaBasicExecutionRole (logs:* on every log group of the account).
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `palette-onboarding ${props.name ?? props.handler} Lambda`,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: absoluteFromRoot(source),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: absoluteFromRoot('package-lock.json'),
      description: props.description,
      runtime: FUNCTION_DEFAULTS.runtime,
      architecture: FUNCTION_DEFAULTS.architecture,
      memorySize: FUNCTION_DEFAULTS.memorySize,
      timeout: props.timeout ?? FUNCTION_DEFAULTS.timeout,
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      role: this.role,
      environment: props.environment,
      // The SDK v3 keeps connections alive by itself; the CDK default would add
      // AWS_NODEJS_CONNECTION_REUSE_ENABLED, which is not part of the environment schema.
      awsSdkConnectionReuse: false,
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: FUNCTION_DEFAULTS.esbuildTarget,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // Bundle the AWS SDK: a pinned, tree-shaken client per service instead of the runtime's copy.
        bundleAwsSDK: true,
        externalModules: [],
        tsconfig: absoluteFromRoot('tsconfig.json'),
        forceDockerBundling: false,
      },
    });

    const cfn = this.function.node.defaultChild as CfnResource;
    cfn.addMetadata(HANDLER_METADATA_KEY, source);
    cfn.addMetadata(FUNCTION_METADATA_KEY, props.name ?? props.handler);

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active X-Ray tracing: xray:PutTraceSegments / xray:PutTelemetryRecords do not support resource-level permissions.',
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Runtime pinned to nodejs22.x on purpose (explicit runtime, matched by the esbuild target node22); upgrading is a deliberate change, not automatic.',
    });
  }
}
