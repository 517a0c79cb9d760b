import {
  Duration,
  Validations,
  aws_events as events,
  aws_events_targets as targets,
  aws_iam as iam,
  aws_lambda_event_sources as sources,
  aws_logs as logs,
  aws_sqs as sqs,
  aws_stepfunctions as sfn,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { StarterEnvInput } from '../../../lambdas/services/starter/env';
import { ONBOARDING_EVENTS } from '../events';
import { SERVICE_NAME } from '../lambda-environment';
import { restrictOnboardingBus, type PublisherPolicy } from './bus-policies';
import { OnboardingFunction } from './onboarding-function';

/** Handler of the event starter: `lambdas/handlers/start-onboarding.ts`. */
export const STARTER_HANDLER = 'start-onboarding';

/**
 * The request path's settings (docs/workflow-contract.md "Starting executions"):
 * - the starter does at most 10 StartExecution calls (concurrently, each with the SDK's own retries): 30 s is
 *   plenty;
 * - the queue's visibility timeout is more than 6 x the starter's timeout (AWS's advice for Lambda event source
 *   mappings, so a message is not redelivered while a slow batch still holds it);
 * - a message the starter fails is received at most 5 times, then moves to the dead-letter queue;
 * - EventBridge retries a delivery to the queue 8 times within 2 hours, then puts the event into the same
 *   dead-letter queue.
 */
export const REQUEST_PATH = {
  starterTimeout: Duration.seconds(30),
  visibilityTimeout: Duration.minutes(4),
  maxReceiveCount: 5,
  batchSize: 10,
  queueRetention: Duration.days(4),
  deadLetterRetention: Duration.days(14),
  ruleRetryAttempts: 8,
  ruleMaxEventAge: Duration.hours(2),
} as const;

export interface OnboardingTriggerProps {
  /** Name of the custom bus (config `eventBusName`). */
  readonly eventBusName: string;
  /** Retention of the starter's log group (config `logRetentionDays`). */
  readonly logRetention: logs.RetentionDays;
  /** The starter's POWERTOOLS_LOG_LEVEL (config `logLevel`). */
  readonly logLevel: StarterEnvInput['POWERTOOLS_LOG_LEVEL'];
  /** Who besides the home account may put events on the bus (config `allowedPublishers`, `allowedPublisherOrganizationId`). */
  readonly publishers: PublisherPolicy;
}

/** The workflows request events start: onboarding (`Tenant Onboarding Requested`), offboarding (`Tenant Offboarding Requested`). */
export interface StartTargets {
  readonly onboarding: sfn.IStateMachine;
  readonly offboarding: sfn.IStateMachine;
}

/** What `startExecutionsOf` built. */
export interface ExecutionStarts {
  readonly rule: events.Rule;
  /** Receives the whole `Tenant Onboarding Requested` event (the request is its `detail`). */
  readonly requestQueue: sqs.Queue;
  /** The starter Lambda consuming `requestQueue`. */
  readonly starter: OnboardingFunction;
}

/** The starter's account vending settings (README "Account vending"; cdk/lib/constructs/account-vending.ts). */
export interface StarterAccountVending {
  /** The request template as JSON text (checked at synth: config.ts loadAccountVendingTemplate). */
  readonly templateJson: string;
  /** `accountName` or `tag:<TagKey>`. */
  readonly tenantIdFrom: string;
}

/** The environment keys only account vending sets. */
type AccountVendingKeys = Extract<keyof StarterEnvInput, 'ACCOUNT_VENDING_REQUEST_TEMPLATE' | 'ACCOUNT_VENDING_TENANT_ID_FROM'>;

/** The starter's environment, typed against its schema (lambdas/services/starter/env.ts): a missing or extra key does not compile. */
export function starterEnvironment(
  workflows: StartTargets,
  logLevel: StarterEnvInput['POWERTOOLS_LOG_LEVEL'],
  deadLetterQueueUrl: string,
  accountVending?: StarterAccountVending,
): Record<string, string> {
  const base = {
    ONBOARDING_STATE_MACHINE_ARN: workflows.onboarding.stateMachineArn,
    OFFBOARDING_STATE_MACHINE_ARN: workflows.offboarding.stateMachineArn,
    DEAD_LETTER_QUEUE_URL: deadLetterQueueUrl,
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_LOG_LEVEL: logLevel ?? 'INFO',
  } satisfies Record<Exclude<keyof StarterEnvInput, AccountVendingKeys>, string>;
  if (!accountVending) return base;
  return {
    ...base,
    ACCOUNT_VENDING_REQUEST_TEMPLATE: accountVending.templateJson,
    ACCOUNT_VENDING_TENANT_ID_FROM: accountVending.tenantIdFrom,
  } satisfies Record<keyof StarterEnvInput, string>;
}

/**
 * The event entry point: a custom EventBridge bus on which `palette.onboarding` / `Tenant Onboarding Requested`
 * events start the workflow. The rule sends each event (whole) to an encrypted, TLS-only request queue; a small
 * starter Lambda consumes it and starts the execution under the same deterministic name as the CLI
 * (`<tenantId>-<hash of the request>`), so duplicate deliveries and CLI starts of the same request are one
 * execution. Events EventBridge cannot deliver to the queue, and messages the starter keeps failing, land in
 * one encrypted, TLS-only dead-letter queue. The bus's resource policy lets only the home account and the
 * configured publishers put events on it (bus-policies.ts); the workflow's own result events go to the separate
 * notifications bus (onboarding-notifications.ts).
 */
export class OnboardingTrigger extends Construct {
  readonly eventBus: events.EventBus;
  readonly deadLetterQueue: sqs.Queue;
  private readonly props: OnboardingTriggerProps;
  private starts?: ExecutionStarts;

  constructor(scope: Construct, id: string, props: OnboardingTriggerProps) {
    super(scope, id);
    this.props = props;
    this.eventBus = new events.EventBus(this, 'Bus', {
      eventBusName: props.eventBusName,
      description: 'palette-onboarding requests (Tenant Onboarding Requested); only the home account and the configured publishers may publish',
    });
    restrictOnboardingBus(this.eventBus, props.eventBusName, props.publishers);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: REQUEST_PATH.deadLetterRetention,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue IS the dead-letter queue (of the EventBridge rule target and of the request queue); a DLQ needs no DLQ of its own.',
    });
  }

  /**
   * Routes onboarding and offboarding requests on the bus to their state machines (once): the rule -> the request
   * queue -> the starter Lambda (event source mapping with partial batch responses) -> StartExecution of the workflow
   * the detail-type names, which is all the starter may do. With `accountVending`, the starter also turns account
   * vending events (which constructs/account-vending.ts routes to the same queue) into onboarding requests.
   */
  startExecutionsOf(workflows: StartTargets, accountVending?: StarterAccountVending): ExecutionStarts {
    if (this.starts) throw new Error('OnboardingTrigger already has a target state machine');

    const requestQueue = new sqs.Queue(this, 'RequestQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: REQUEST_PATH.visibilityTimeout,
      retentionPeriod: REQUEST_PATH.queueRetention,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: REQUEST_PATH.maxReceiveCount },
    });

    const rule = new events.Rule(this, 'RequestedRule', {
      eventBus: this.eventBus,
      description: `Queue each "${ONBOARDING_EVENTS.requested}" / "${ONBOARDING_EVENTS.offboardingRequested}" event for the starter, which starts the execution`,
      eventPattern: { source: [ONBOARDING_EVENTS.source], detailType: [ONBOARDING_EVENTS.requested, ONBOARDING_EVENTS.offboardingRequested] },
    });
    // No `message`: the queue receives the whole event, the same shape EventBridge puts into the DLQ.
    rule.addTarget(
      new targets.SqsQueue(requestQueue, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: REQUEST_PATH.ruleRetryAttempts,
        maxEventAge: REQUEST_PATH.ruleMaxEventAge,
      }),
    );

    const starter = new OnboardingFunction(this, 'Starter', {
      handler: STARTER_HANDLER,
      description: 'palette-onboarding: start an onboarding (named <tenantId>-<hash>) or offboarding execution for each queued request event',
      environment: starterEnvironment(workflows, this.props.logLevel, this.deadLetterQueue.queueUrl, accountVending),
      logRetention: this.props.logRetention,
      timeout: REQUEST_PATH.starterTimeout,
    });
    starter.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'StartOnboardingExecutions',
        actions: ['states:StartExecution'],
        resources: [workflows.onboarding.stateMachineArn, workflows.offboarding.stateMachineArn],
      }),
    );
    // A message that is no request goes to the dead-letter queue at once, with the reason (lambdas/services/starter).
    starter.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'MoveRejectedToDeadLetterQueue', actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
    );
    // Grants the starter's role what the mapping needs on this queue (receive, delete, change visibility, attributes).
    starter.function.addEventSource(
      new sources.SqsEventSource(requestQueue, {
        batchSize: REQUEST_PATH.batchSize,
        reportBatchItemFailures: true,
      }),
    );

    this.starts = { rule, requestQueue, starter };
    return this.starts;
  }
}
