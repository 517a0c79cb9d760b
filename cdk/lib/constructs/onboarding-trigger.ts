import {
  Duration,
  Validations,
  aws_events as events,
  aws_events_targets as targets,
  aws_sqs as sqs,
  aws_stepfunctions as sfn,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ONBOARDING_EVENTS } from '../events';

export interface OnboardingTriggerProps {
  /** Name of the custom bus (config `eventBusName`). */
  readonly eventBusName: string;
}

/**
 * The event entry point: a custom EventBridge bus on which `palette.onboarding` /
 * `Tenant Onboarding Requested` events start the workflow with the event's detail as input. Deliveries
 * that still fail after the retry policy land in an encrypted, TLS-only SQS dead-letter queue. The
 * workflow's own success / failure events are published to the same bus.
 */
export class OnboardingTrigger extends Construct {
  readonly eventBus: events.EventBus;
  readonly deadLetterQueue: sqs.Queue;
  private rule?: events.Rule;

  constructor(scope: Construct, id: string, props: OnboardingTriggerProps) {
    super(scope, id);
    this.eventBus = new events.EventBus(this, 'Bus', { eventBusName: props.eventBusName });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue IS the dead-letter queue (of the EventBridge rule target); a DLQ needs no DLQ of its own.',
    });
  }

  /** Routes onboarding requests on the bus to `stateMachine` (once). */
  startExecutionsOf(stateMachine: sfn.IStateMachine): events.Rule {
    if (this.rule) throw new Error('OnboardingTrigger already has a target state machine');
    this.rule = new events.Rule(this, 'RequestedRule', {
      eventBus: this.eventBus,
      description: `Start a palette-onboarding execution for each "${ONBOARDING_EVENTS.requested}" event`,
      eventPattern: { source: [ONBOARDING_EVENTS.source], detailType: [ONBOARDING_EVENTS.requested] },
    });
    this.rule.addTarget(
      new targets.SfnStateMachine(stateMachine, {
        input: events.RuleTargetInput.fromEventPath('$.detail'),
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 8,
        maxEventAge: Duration.hours(2),
      }),
    );
    return this.rule;
  }
}
