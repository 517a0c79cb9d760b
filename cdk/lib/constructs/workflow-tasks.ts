/**
 * What every workflow (onboarding, offboarding, re-validation) is built from, so they retry, time out and log alike:
 * a Lambda task that gets the state document and retries the one retryable list (lambdas/shared/retryable-errors.ts)
 * with capped exponential backoff and full jitter, an EventBridge notification task, and the state machine itself.
 */
import { Duration, Stack, Validations, aws_events as events, aws_lambda as lambda, aws_logs as logs, aws_stepfunctions as sfn, aws_stepfunctions_tasks as tasks } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { EVENTBRIDGE_RETRYABLE_ERRORS, RETRYABLE_ERRORS, RETRY_POLICY } from '../../../lambdas/shared/retryable-errors';
import { ONBOARDING_EVENTS } from '../events';

/**
 * The state-level retry of a list of error names: capped exponential backoff with full jitter (RETRY_POLICY:
 * 2 s, x2, capped at 60 s, 10 retries; the caps sum to 362 s, more than a 5-minute outage).
 */
export function stateRetry(errors: readonly string[]): sfn.RetryProps {
  return {
    errors: [...errors],
    interval: Duration.seconds(RETRY_POLICY.intervalSeconds),
    backoffRate: RETRY_POLICY.backoffRate,
    maxDelay: Duration.seconds(RETRY_POLICY.maxDelaySeconds),
    maxAttempts: RETRY_POLICY.maxAttempts,
    jitterStrategy: sfn.JitterType.FULL,
  };
}

/** Each Lambda may run up to its own timeout (60 s); the task gives it room for a cold start on top. */
export const LAMBDA_TASK_TIMEOUT_SECONDS = 90;
export const LAMBDA_TASK_TIMEOUT = sfn.Timeout.duration(Duration.seconds(LAMBDA_TASK_TIMEOUT_SECONDS));
export const NOTIFY_TASK_TIMEOUT = sfn.Timeout.duration(Duration.seconds(30));

export interface LambdaTaskOptions {
  resultPath?: string;
  outputPath?: string;
  payload?: sfn.TaskInput;
  resultSelector?: Record<string, unknown>;
}

/**
 * A Lambda task: the function's response is the result (payloadResponseOnly); every Lambda task, undo and release
 * states included, retries the one retryable list: transient errors, Lambda service errors (a crashed or timed-out
 * invocation too) and the task timeout. Every step is idempotent, so running it again is safe.
 */
export function lambdaTask(scope: Construct, stateName: string, fn: lambda.IFunction, opts: LambdaTaskOptions = {}): sfn.TaskStateBase {
  return new tasks.LambdaInvoke(scope, stateName, {
    lambdaFunction: fn,
    payloadResponseOnly: true,
    // Replaced by the contract's retry policy below (the built-in one has no jitter).
    retryOnServiceExceptions: false,
    taskTimeout: LAMBDA_TASK_TIMEOUT,
    ...(opts.resultPath ? { resultPath: opts.resultPath } : {}),
    ...(opts.outputPath ? { outputPath: opts.outputPath } : {}),
    ...(opts.payload ? { payload: opts.payload } : {}),
    ...(opts.resultSelector ? { resultSelector: opts.resultSelector } : {}),
  }).addRetry(stateRetry(RETRYABLE_ERRORS));
}

/**
 * An event on `bus` (source `palette.onboarding`), retried on EventBridge's transient errors; its result is discarded
 * (`outputPath`: what the state passes on, e.g. the execution's output when it is the last state).
 */
export function notifyTask(scope: Construct, stateName: string, bus: events.IEventBus, detailType: string, detail: sfn.TaskInput, opts: { outputPath?: string } = {}): sfn.TaskStateBase {
  return new tasks.EventBridgePutEvents(scope, stateName, {
    entries: [{ eventBus: bus, source: ONBOARDING_EVENTS.source, detailType, detail }],
    resultPath: sfn.JsonPath.DISCARD,
    ...(opts.outputPath ? { outputPath: opts.outputPath } : {}),
    taskTimeout: NOTIFY_TASK_TIMEOUT,
  }).addRetry(stateRetry(EVENTBRIDGE_RETRYABLE_ERRORS));
}

export interface WorkflowStateMachineProps {
  /** Log group suffix: `/aws/vendedlogs/states/<stack>-<name>`. */
  readonly name: string;
  readonly definition: sfn.IChainable;
  readonly comment: string;
  readonly logRetention: logs.RetentionDays;
  /** Whole-execution limit. Default 1 hour. */
  readonly timeout?: Duration;
  /** The functions its Lambda tasks invoke (their `ARN:*` grants are acknowledged for cdk-nag). */
  readonly invokes: readonly lambda.IFunction[];
}

/**
 * A Standard state machine in `scope` (construct ids `LogGroup` and `Resource`): X-Ray tracing, every event logged
 * without execution data (states carry identifiers, but a log group is not the place for them), and the cdk-nag
 * acknowledgements of what Step Functions itself needs.
 */
export function workflowStateMachine(scope: Construct, props: WorkflowStateMachineProps): { stateMachine: sfn.StateMachine; logGroup: logs.LogGroup } {
  const logGroup = new logs.LogGroup(scope, 'LogGroup', {
    logGroupName: `/aws/vendedlogs/states/${Stack.of(scope).stackName}-${props.name}`,
    retention: props.logRetention,
  });
  const stateMachine = new sfn.StateMachine(scope, 'Resource', {
    definitionBody: sfn.DefinitionBody.fromChainable(props.definition),
    stateMachineType: sfn.StateMachineType.STANDARD,
    timeout: props.timeout ?? Duration.hours(1),
    tracingEnabled: true,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    comment: props.comment,
  });
  Validations.of(stateMachine.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'X-Ray tracing and CloudWatch Logs vended delivery (logs:CreateLogDelivery etc.) do not support resource-level permissions.',
  });
  for (const fn of new Set(props.invokes)) {
    Validations.of(stateMachine.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(scope).getLogicalId(fn.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
      reason: 'lambda:InvokeFunction on the workflow function and its versions/aliases (ARN + ":*"), as granted by the LambdaInvoke task.',
    });
  }
  return { stateMachine, logGroup };
}
