import { Aws, Duration, Stack, Validations, aws_iam as iam, aws_lambda as lambda, aws_logs as logs, aws_stepfunctions as sfn, custom_resources as cr } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/**
 * What runs workflows at deploy time (the self-hosted platform setup, the declared tenants): a custom resource on the
 * CDK Provider framework with asynchronous completion (onEvent starts executions, isComplete polls them), its waiter
 * state machine logging to a vended log group, and the cdk-nag acknowledgements of the framework's own parts.
 */
export interface DeployTimeProviderProps {
  readonly onEvent: lambda.IFunction;
  readonly isComplete: lambda.IFunction;
  readonly logRetention: logs.RetentionDays;
  /** Suffix of the waiter's log group `/aws/vendedlogs/states/<stack>-<suffix>`. */
  readonly waiterLogName: string;
  readonly queryInterval: Duration;
  readonly totalTimeout: Duration;
}

/** The Provider (construct ids `<prefix>ProviderLogGroup`, `<prefix>WaiterLogGroup`, `<prefix>Provider` in `scope`). */
export function deployTimeProvider(scope: Construct, prefix: string, props: DeployTimeProviderProps): cr.Provider {
  const frameworkLogGroup = new logs.LogGroup(scope, `${prefix}ProviderLogGroup`, { retention: props.logRetention });
  const waiterLogGroup = new logs.LogGroup(scope, `${prefix}WaiterLogGroup`, {
    logGroupName: `/aws/vendedlogs/states/${Stack.of(scope).stackName}-${props.waiterLogName}`,
    retention: props.logRetention,
  });
  const provider = new cr.Provider(scope, `${prefix}Provider`, {
    onEventHandler: props.onEvent,
    isCompleteHandler: props.isComplete,
    queryInterval: props.queryInterval,
    totalTimeout: props.totalTimeout,
    logGroup: frameworkLogGroup,
    disableWaiterStateMachineLogging: false,
    waiterStateMachineLogOptions: { destination: waiterLogGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
  });
  acknowledgeProvider(provider, [props.onEvent, props.isComplete]);
  return provider;
}

/** Values substituted into ARNs: CloudFormation pseudo parameters, or cdk-nag's flattened names. */
export interface ArnEnv {
  partition: string;
  account: string;
  region: string;
}
export const DEPLOY_ENV: ArnEnv = { partition: Aws.PARTITION, account: Aws.ACCOUNT_ID, region: Aws.REGION };
export const NAG_ENV: ArnEnv = { partition: '<AWS::Partition>', account: '<AWS::AccountId>', region: '<AWS::Region>' };
const executionArns = (e: ArnEnv, stateMachineName: string) => `arn:${e.partition}:states:${e.region}:${e.account}:execution:${stateMachineName}:*`;

/**
 * states:DescribeExecution on the executions of `stateMachines` (names chosen per CloudFormation request at run time,
 * hence `:*`), acknowledged for cdk-nag with `why`.
 */
export function grantDescribeExecutions(role: iam.Role, sid: string, stateMachines: readonly sfn.StateMachine[], why: string): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid,
      actions: ['states:DescribeExecution'],
      resources: stateMachines.map((sm) => executionArns(DEPLOY_ENV, sm.stateMachineName)),
    }),
  );
  for (const sm of stateMachines) {
    const logicalId = Stack.of(role).getLogicalId(sm.node.defaultChild as sfn.CfnStateMachine);
    Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${executionArns(NAG_ENV, `<${logicalId}.Name>`)}]`, reason: why });
  }
}

/** The Provider framework's own functions and waiter state machine are CDK-managed; acknowledged with reasons. */
export function acknowledgeProvider(provider: cr.Provider, userFunctions: lambda.IFunction[]): void {
  const stack = Stack.of(provider);
  const reasons: Record<string, string> = {
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]':
      'CDK Provider framework functions (not configurable): the AWS-managed basic execution role for their own logs.',
    'AwsSolutions-L1': 'CDK Provider framework functions: the runtime is chosen by aws-cdk-lib and upgraded with it.',
    'AwsSolutions-SF2': 'CDK Provider framework waiter state machine: X-Ray tracing is not configurable on it.',
    'AwsSolutions-IAM5[Resource::*]':
      'CDK Provider framework waiter state machine: CloudWatch Logs vended delivery (logs:CreateLogDelivery etc.) has no resource-level permissions.',
  };
  const invoked = [
    ...userFunctions.map((f) => f.node.defaultChild),
    ...provider.node.findAll().filter((c) => c instanceof lambda.CfnFunction),
  ].filter((c): c is lambda.CfnFunction => c instanceof lambda.CfnFunction);
  for (const fn of invoked) {
    reasons[`AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn)}.Arn>:*]`] =
      'CDK Provider framework: lambda:InvokeFunction on the custom resource handlers and its own functions (ARN + ":*" for versions).';
  }
  for (const [ackId, why] of Object.entries(reasons)) Validations.of(provider).acknowledge({ id: ackId, reason: why });
}
