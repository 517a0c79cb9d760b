/**
 * The deployment's CloudWatch alarms (cdk/lib/constructs/onboarding-alarms.ts): each alarm's metric, statistic,
 * threshold and dimensions point at the right resource; the application metrics' namespace and `service` dimension
 * are the ones the Lambdas emit; the optional SNS topic (config `alarmTopicArn`) is every alarm's action; the alarm
 * names are a stack output; cdk-nag stays clean.
 */
import { App, Stack, aws_sqs as sqs, aws_stepfunctions as sfn } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { OnboardingAlarms } from '../../cdk/lib/constructs/onboarding-alarms';
import { SERVICE_NAME } from '../../cdk/lib/lambda-environment';
import { METRICS_NAMESPACE } from '../../lambdas/shared/metric-names';
import { functionsByName, onlyResourceOfType, resourcesOfType, stateMachineOf, synthesize, type CfnResource, type Synthesized } from './helpers';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:ops-alarms';

let base: Synthesized;
let withTopic: Synthesized;
beforeAll(() => {
  base = synthesize({ skipBundling: true });
  withTopic = synthesize({ skipBundling: true, context: { alarmTopicArn: TOPIC } });
}, 120_000);

const alarms = (s: Synthesized): [string, CfnResource][] => resourcesOfType(s.json, 'AWS::CloudWatch::Alarm');
const alarmNamed = (s: Synthesized, id: string): Record<string, unknown> => {
  const found = alarms(s).filter(([logicalId]) => logicalId.startsWith(`Alarms${id}`));
  expect(found, id).toHaveLength(1);
  return (found[0] as [string, CfnResource])[1].Properties ?? {};
};
const queueId = (s: Synthesized, prefix: string): string => {
  const found = resourcesOfType(s.json, 'AWS::SQS::Queue').filter(([id]) => id.startsWith(prefix));
  expect(found).toHaveLength(1);
  return (found[0] as [string, CfnResource])[0];
};

const ALARM_IDS = [
  'DeadLetterQueueNotEmpty',
  'CompensationIncomplete',
  'DriftFindings',
  'OnboardingExecutionsFailed',
  'OnboardingExecutionsTimedOut',
  'OnboardingExecutionsAborted',
  'OffboardingExecutionsFailed',
  'OffboardingExecutionsTimedOut',
  'OffboardingExecutionsAborted',
  'RevalidationExecutionsFailed',
  'RevalidationExecutionsTimedOut',
  'RevalidationExecutionsAborted',
];

describe('alarms', () => {
  it('one alarm per condition, each firing at >= 1 in one 5-minute period, missing data = OK, named <stack>-<id>', () => {
    // Prepare
    const found = alarms(base);
    // Assess
    expect(found).toHaveLength(ALARM_IDS.length);
    for (const id of ALARM_IDS) {
      const p = alarmNamed(base, id);
      expect(p, id).toMatchObject({
        AlarmName: `PaletteOnboardingStack-${id}`,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        TreatMissingData: 'notBreaching',
        Period: 300,
      });
      expect(String(p.AlarmDescription).length, id).toBeGreaterThan(40);
      expect(p.AlarmActions, id).toBeUndefined();
    }
  });

  it("DeadLetterQueueNotEmpty: the trigger's dead-letter queue, ApproximateNumberOfMessagesVisible, Maximum", () => {
    // Prepare
    const dlq = queueId(base, 'TriggerDeadLetterQueue');
    // Act
    const p = alarmNamed(base, 'DeadLetterQueueNotEmpty');
    // Assess
    expect(p).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }],
    });
  });

  it.each([
    ['Onboarding', 'onboarding'],
    ['Offboarding', 'offboarding'],
    ['Revalidation', 'revalidation'],
  ] as const)('%s executions: ExecutionsFailed / TimedOut / Aborted of that state machine, Sum', (name, which) => {
    // Prepare
    const [smId] = stateMachineOf(base.json, which);
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
      // Act
      const p = alarmNamed(base, `${name}${metric}`);
      // Assess
      expect(p, metric).toMatchObject({
        Namespace: 'AWS/States',
        MetricName: metric,
        Statistic: 'Sum',
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: smId } }],
      });
    }
  });

  it('CompensationIncomplete and DriftFindings: the EMF namespace, dimension service = the functions\' POWERTOOLS_SERVICE_NAME only, Sum', () => {
    // Prepare: the service name every workflow function emits its metrics with.
    const [, fn] = functionsByName(base.json).get('release-tenant') ?? [];
    const service = (fn?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables.POWERTOOLS_SERVICE_NAME;
    expect(service).toBe(SERVICE_NAME);
    for (const metric of ['CompensationIncomplete', 'DriftFindings']) {
      // Act
      const p = alarmNamed(base, metric);
      // Assess
      expect(p, metric).toMatchObject({
        Namespace: METRICS_NAMESPACE,
        MetricName: metric,
        Statistic: 'Sum',
        Dimensions: [{ Name: 'service', Value: service }],
      });
    }
  });

  it('stack output AlarmNames lists every alarm', () => {
    // Act
    const value = base.json.Outputs?.AlarmNames?.Value;
    // Assess
    expect(typeof value).toBe('string');
    expect(String(value).split(',').sort()).toEqual(ALARM_IDS.map((id) => `PaletteOnboardingStack-${id}`).sort());
  });
});

describe('alarmTopicArn', () => {
  it('without it: no action, and no topic is created', () => {
    expect(alarms(base).every(([, a]) => a.Properties?.AlarmActions === undefined)).toBe(true);
    expect(resourcesOfType(base.json, 'AWS::SNS::Topic')).toEqual([]);
  });

  it('with it: every alarm notifies the topic when it goes into ALARM (the topic is not the stack\'s)', () => {
    expect(alarms(withTopic)).toHaveLength(ALARM_IDS.length);
    for (const [id, a] of alarms(withTopic)) {
      expect(a.Properties?.AlarmActions, id).toEqual([TOPIC]);
      expect(a.Properties?.OKActions, id).toBeUndefined();
    }
    expect(resourcesOfType(withTopic.json, 'AWS::SNS::Topic')).toEqual([]);
  });

  it('is validated: a standard SNS topic ARN', () => {
    for (const bad of ['ops-alarms', 'arn:aws:sqs:us-east-1:123456789012:ops', 'arn:aws:sns:us-east-1:1234:ops', 'arn:aws:sns:us-east-1:123456789012:ops.fifo']) {
      expect(() => synthesize({ skipBundling: true, context: { alarmTopicArn: bad } }), bad).toThrow(/"alarmTopicArn": must be the ARN of a standard SNS topic/);
    }
  });

  it("must be in the stack's region when the stack has one", () => {
    // Prepare
    const stack = new Stack(new App(), 'Regional', { env: { account: '123456789012', region: 'eu-west-1' } });
    const deadLetterQueue = new sqs.Queue(stack, 'Dlq');
    // Act / Assess
    expect(() => new OnboardingAlarms(stack, 'Alarms', { deadLetterQueue, serviceName: 'svc', alarmTopicArn: TOPIC })).toThrow(
      /alarmTopicArn must be a topic in the stack's region eu-west-1/,
    );
    expect(() => new OnboardingAlarms(stack, 'Alarms2', { deadLetterQueue, serviceName: 'svc', alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops' })).not.toThrow();
  });

  it('cdk-nag AwsSolutions stays clean with the topic configured', () => {
    const report = new AwsSolutionsChecks(withTopic.stack).validateScope(withTopic.stack) as { violations: { ruleName: string }[] };
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });
});

describe('another workflow', () => {
  it('is one line: watchStateMachine(name, stateMachine) adds its three alarms (and the name output includes them)', () => {
    // Prepare
    const stack = new Stack(new App(), 'Standalone');
    const deadLetterQueue = new sqs.Queue(stack, 'Dlq');
    const machine = new sfn.StateMachine(stack, 'Revalidation', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'P')) });
    const construct = new OnboardingAlarms(stack, 'Alarms', { deadLetterQueue, serviceName: 'svc', alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:t' });
    // Act
    const added = construct.watchStateMachine('Revalidation', machine);
    // Assess
    expect(added).toHaveLength(3);
    expect(construct.alarms).toHaveLength(6);
    const json = stack.resolve(construct.alarmNames) as string;
    expect(json.split(',')).toEqual(expect.arrayContaining(['Standalone-RevalidationExecutionsFailed', 'Standalone-RevalidationExecutionsTimedOut', 'Standalone-RevalidationExecutionsAborted']));
    const template = JSON.stringify(App.of(stack)?.synth().getStackByName('Standalone').template);
    expect(template).toContain('"MetricName":"ExecutionsAborted"');
  });
});

it('the DLQ the alarm watches is the one both the rule and the request queue dead-letter into', () => {
  const dlq = queueId(base, 'TriggerDeadLetterQueue');
  const [, rule] = onlyResourceOfType(base.json, 'AWS::Events::Rule');
  expect(JSON.stringify(rule.Properties)).toContain(`"DeadLetterConfig":{"Arn":{"Fn::GetAtt":["${dlq}","Arn"]}}`);
  const [, requestQueue] = resourcesOfType(base.json, 'AWS::SQS::Queue').find(([id]) => id.startsWith('TriggerRequestQueue')) ?? [];
  expect(JSON.stringify(requestQueue?.Properties?.RedrivePolicy)).toContain(dlq);
});
