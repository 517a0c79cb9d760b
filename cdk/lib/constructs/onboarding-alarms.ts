import {
  Duration,
  Lazy,
  Stack,
  Token,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as actions,
  aws_sns as sns,
  aws_sqs as sqs,
  aws_stepfunctions as sfn,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_DIMENSION, type MetricName } from '../../../lambdas/shared/metric-names';

/** Every alarm looks at 5-minute periods and fires on the first one that breaches. */
export const ALARM_PERIOD = Duration.minutes(5);

export interface OnboardingAlarmsProps {
  /** The request path's dead-letter queue (events EventBridge could not queue, messages the starter kept failing). */
  readonly deadLetterQueue: sqs.IQueue;
  /** Workflows whose failed, timed-out and aborted executions alarm, by a short name (`Onboarding`). */
  readonly workflows?: Readonly<Record<string, sfn.IStateMachine>>;
  /** POWERTOOLS_SERVICE_NAME of the Lambdas: the `service` dimension of the application metrics. */
  readonly serviceName: string;
  /** Config `alarmTopicArn`: every alarm notifies this SNS topic when it goes into ALARM; absent = no action. */
  readonly alarmTopicArn?: string | undefined;
}

/**
 * The deployment's CloudWatch alarms (README "Alarms and metrics"), each on one metric, 5-minute periods, firing at
 * the first breaching period, and missing data = OK (no executions, no messages, nothing recorded is fine):
 * - `DeadLetterQueueNotEmpty`: ApproximateNumberOfMessagesVisible of the dead-letter queue >= 1 (Maximum);
 * - per workflow (`watchStateMachine`): AWS/States ExecutionsFailed, ExecutionsTimedOut and ExecutionsAborted >= 1 (Sum);
 * - `CompensationIncomplete` and `DriftFindings` >= 1 (Sum) of the application metrics (namespace METRICS_NAMESPACE,
 *   dimension service only: lambdas/shared/metric-names.ts), which the Lambdas write as EMF log records.
 * Alarm names are `<stack name>-<alarm id>`. With `alarmTopicArn`, every alarm's ALARM action notifies that topic.
 */
export class OnboardingAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  /** The topic of `alarmTopicArn` (imported: the stack does not own it). */
  readonly topic?: sns.ITopic;
  /** The alarm names, comma-separated (resolved at synthesis, so alarms added later are included): stack output `AlarmNames`. */
  readonly alarmNames: string;

  private readonly serviceName: string;
  private readonly names: string[] = [];

  constructor(scope: Construct, id: string, props: OnboardingAlarmsProps) {
    super(scope, id);
    this.serviceName = props.serviceName;
    if (props.alarmTopicArn !== undefined) {
      const region = props.alarmTopicArn.split(':')[3];
      const stackRegion = Stack.of(this).region;
      if (!Token.isUnresolved(stackRegion) && region !== stackRegion) {
        throw new Error(`alarmTopicArn must be a topic in the stack's region ${stackRegion} (CloudWatch alarms notify topics of their own region); got ${props.alarmTopicArn}`);
      }
      this.topic = sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn);
    }
    this.alarmNames = Lazy.string({ produce: () => this.names.join(',') });

    this.add(
      'DeadLetterQueueNotEmpty',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, period: ALARM_PERIOD }),
      'Onboarding / offboarding requests are in the dead-letter queue (EventBridge could not queue them, or the starter ' +
        'failed them 5 times): they were NOT started. Read the messages, fix the cause, then redrive them to the request ' +
        'queue (aws sqs start-message-move-task) or delete them.',
    );
    this.add(
      'CompensationIncomplete',
      this.applicationMetric('CompensationIncomplete'),
      'A failed onboarding could not undo everything it created ($.compensation.<step>Error): resources may be left in ' +
        'the tenant account or Palette. The Tenant Onboarding Failed event (compensation) and the EMF record ' +
        '(incompleteSteps, tenantId) say which; remove them by hand or re-run the onboarding.',
    );
    this.add(
      'DriftFindings',
      this.applicationMetric('DriftFindings'),
      'A re-validation found drift on an onboarded tenant (Tenant Drift Detected event: resource, check, reason). ' +
        'Re-onboard the tenant to converge, or fix the change that caused it.',
    );
    for (const [name, stateMachine] of Object.entries(props.workflows ?? {})) this.watchStateMachine(name, stateMachine);
  }

  /**
   * Alarms on a workflow's executions that did not succeed: ExecutionsFailed, ExecutionsTimedOut and
   * ExecutionsAborted (AWS/States, dimension StateMachineArn) >= 1 in 5 minutes. One line per workflow.
   */
  watchStateMachine(name: string, stateMachine: sfn.IStateMachine): cloudwatch.Alarm[] {
    const period = { period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM };
    const what = `${name} executions`;
    return [
      this.add(
        `${name}ExecutionsFailed`,
        stateMachine.metricFailed(period),
        `${what} failed. The failure event (step, error, cause) and the execution history say why; a request error ` +
          'needs a corrected request, anything else an operator.',
      ),
      this.add(
        `${name}ExecutionsTimedOut`,
        stateMachine.metricTimedOut(period),
        `${what} hit the state machine's timeout: no compensation or release ran. Inspect the execution; the tenant's ` +
          'lease expires by itself, then re-run.',
      ),
      this.add(
        `${name}ExecutionsAborted`,
        stateMachine.metricAborted(period),
        `${what} were stopped (StopExecution): no compensation or release ran. Check who stopped them; re-run to converge.`,
      ),
    ];
  }

  /** An application metric (EMF, lambdas/shared/metrics.ts): Sum over 5 minutes, dimension service only. */
  applicationMetric(name: MetricName): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: { [SERVICE_DIMENSION]: this.serviceName },
      statistic: cloudwatch.Stats.SUM,
      period: ALARM_PERIOD,
    });
  }

  private add(id: string, metric: cloudwatch.IMetric, description: string): cloudwatch.Alarm {
    const alarmName = `${Stack.of(this).stackName}-${id}`;
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName,
      alarmDescription: description,
      metric,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (this.topic) alarm.addAlarmAction(new actions.SnsAction(this.topic));
    this.alarms.push(alarm);
    this.names.push(alarmName);
    return alarm;
  }
}
