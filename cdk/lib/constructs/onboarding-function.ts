import { CfnResource, Duration, Stack, Validations, aws_iam as iam, aws_lambda as lambda, aws_logs as logs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { BUNDLE_HANDLER, handlerBundleDir } from '../handler-bundles';
import { handlerSourcePath } from '../paths';
import { applyGrants } from '../permissions';
import { paletteConnectionGrants, paletteVpcProps, type PaletteConnection } from './palette-connection';

/** Template metadata key holding the handler's repository-relative source file (read by the local runner). */
export const HANDLER_METADATA_KEY = 'palette-onboarding:handler';
/** Template metadata key holding the function's name in the workflow (several functions may share one handler). */
export const FUNCTION_METADATA_KEY = 'palette-onboarding:function';

export const FUNCTION_DEFAULTS = {
  runtime: lambda.Runtime.NODEJS_22_X,
  architecture: lambda.Architecture.ARM_64,
  memorySize: 256,
  timeout: Duration.seconds(60),
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
  /**
   * Set for a function that calls Palette (and only for one): it runs in `paletteVpc` when configured and may read
   * the `paletteCaBundle` (constructs/palette-connection.ts).
   */
  readonly palette?: PaletteConnection;
}

/**
 * One workflow Lambda, built the same way for every handler: Node.js 22 on arm64, ESM bundle made by the
 * locally installed esbuild (AWS SDK bundled and tree-shaken to the clients the handler uses, minified, source map;
 * one build for every handler: handler-bundles.ts; cold start measured by bench/cold-start.ts),
 * active tracing, its own log group with retention, and its own role that starts with permission to write to that
 * log group only.
 * Callers add the permissions the handler's state needs with `addToRolePolicy`.
 */
export class OnboardingFunction extends Construct {
  readonly function: lambda.Function;
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

    this.function = new lambda.Function(this, 'Function', {
      code: lambda.Code.fromAsset(handlerBundleDir(props.handler, Stack.of(this).bundlingRequired)),
      handler: BUNDLE_HANDLER,
      description: props.description,
      runtime: FUNCTION_DEFAULTS.runtime,
      architecture: FUNCTION_DEFAULTS.architecture,
      memorySize: FUNCTION_DEFAULTS.memorySize,
      timeout: props.timeout ?? FUNCTION_DEFAULTS.timeout,
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      role: this.role,
      environment: props.environment,
      ...(props.palette ? paletteVpcProps(this, props.palette) : {}),
    });
    if (props.palette) applyGrants(this.role, this.role, paletteConnectionGrants(props.palette));

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
