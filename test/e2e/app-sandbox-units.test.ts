/** The app loader's pure parts (local/app/): partial batch responses, the history mapping, the template corrections. */
import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { failedMessageIds } from '../../local/app/event-sources';
import { toExecutionHistory } from '../../local/app/history';
import type { AppInvocation } from '../../local/app/runtime';
import { LOADERS } from '../../local/app/resources';
import { resolveValue, resourceArn, type CfnTemplate } from '../../local/runner/template';

const records = ['a', 'b', 'c'].map((messageId) => ({ messageId }) as SQSRecord);
const inv = (status: 'SUCCEEDED' | 'FAILED', result?: unknown): AppInvocation => ({ functionLogicalId: 'F', functionName: 'f', trigger: 'sqs:q', at: '', status, result, logs: [] });

describe('event source mapping: what is deleted after an invocation', () => {
  it('everything on success; nothing after a function error', () => {
    expect(failedMessageIds(inv('SUCCEEDED', null), records, true)).toEqual(new Set());
    expect(failedMessageIds(inv('SUCCEEDED', { batchItemFailures: [] }), records, true)).toEqual(new Set());
    expect(failedMessageIds(inv('FAILED'), records, true)).toEqual(new Set(['a', 'b', 'c']));
  });

  it('ReportBatchItemFailures keeps the named messages; an invalid response keeps the whole batch', () => {
    expect(failedMessageIds(inv('SUCCEEDED', { batchItemFailures: [{ itemIdentifier: 'b' }] }), records, true)).toEqual(new Set(['b']));
    expect(failedMessageIds(inv('SUCCEEDED', { batchItemFailures: [{ itemIdentifier: 'zzz' }] }), records, true)).toEqual(new Set(['a', 'b', 'c']));
    expect(failedMessageIds(inv('SUCCEEDED', { batchItemFailures: [{}] }), records, true)).toEqual(new Set(['a', 'b', 'c']));
    expect(failedMessageIds(inv('SUCCEEDED', 'nonsense'), records, true)).toEqual(new Set(['a', 'b', 'c']));
    // Without ReportBatchItemFailures the response is not read.
    expect(failedMessageIds(inv('SUCCEEDED', { batchItemFailures: [{ itemIdentifier: 'b' }] }), records, false)).toEqual(new Set());
  });
});

describe('history mapping', () => {
  it('state and task events in GetExecutionHistory shape; task events point at their StateEntered; execution-level events are the service\'s', () => {
    const t = '2026-01-01T00:00:00.000Z';
    const out = toExecutionHistory(
      [
        { id: 1, timestamp: t, type: 'ExecutionStarted', input: {} },
        { id: 2, timestamp: t, type: 'TaskStateEntered', state: 'Validate', stateType: 'Task', input: { a: 1 } },
        { id: 3, timestamp: t, type: 'LambdaFunctionScheduled', state: 'Validate', resource: 'arn:aws:lambda:us-east-1:000000000000:function:f', input: { a: 1 } },
        { id: 4, timestamp: t, type: 'LambdaFunctionFailed', state: 'Validate', error: 'Boom', cause: '{}' },
        { id: 5, timestamp: t, type: 'StateRetried', state: 'Validate', attempt: 1 },
        { id: 6, timestamp: t, type: 'TaskScheduled', state: 'Validate', resource: 'arn:aws:states:::events:putEvents', input: { Entries: [] } },
        { id: 7, timestamp: t, type: 'TaskStateExited', state: 'Validate', stateType: 'Task', output: { ok: true } },
        { id: 8, timestamp: t, type: 'ExecutionSucceeded', output: {} },
      ],
      'us-east-1',
    );
    expect(out.map((e) => [e.id, e.previousEventId, e.type])).toEqual([
      [1, 0, 'TaskStateEntered'],
      [2, 1, 'LambdaFunctionScheduled'],
      [3, 1, 'LambdaFunctionFailed'],
      [4, 1, 'TaskScheduled'],
      [5, 1, 'TaskStateExited'],
    ]);
    expect(out[0]?.stateEnteredEventDetails).toEqual({ name: 'Validate', input: '{"a":1}', inputDetails: { truncated: false } });
    expect(out[2]?.lambdaFunctionFailedEventDetails).toEqual({ error: 'Boom', cause: '{}' });
    expect(out[3]?.taskScheduledEventDetails).toMatchObject({ resourceType: 'events', resource: 'putEvents', region: 'us-east-1' });
    expect(out[4]?.stateExitedEventDetails).toMatchObject({ name: 'Validate', output: '{"ok":true}' });
  });
});

describe('rule ARNs and the loader table', () => {
  const target = { stackName: 'S', partition: 'aws', region: 'us-east-1', accountId: '000000000000' };
  const template: CfnTemplate = {
    Resources: {
      Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'my-bus' } },
      OnBus: { Type: 'AWS::Events::Rule', Properties: { EventBusName: { Ref: 'Bus' } } },
      OnDefault: { Type: 'AWS::Events::Rule', Properties: {} },
      Policy: { Type: 'AWS::SQS::QueuePolicy', Properties: { PolicyDocument: { Condition: { ArnEquals: { 'aws:SourceArn': [{ 'Fn::GetAtt': ['OnBus', 'Arn'] }, { 'Fn::Sub': '${OnDefault.Arn}' }] } } } } },
    },
  };

  it('a rule on a custom bus is rule/<bus>/<name>, as CloudFormation returns it; on the default bus rule/<name>', () => {
    expect(resourceArn(template, 'OnBus', target)).toBe('arn:aws:events:us-east-1:000000000000:rule/my-bus/S-OnBus');
    expect(resourceArn(template, 'OnDefault', target)).toBe('arn:aws:events:us-east-1:000000000000:rule/S-OnDefault');
    const policy = JSON.stringify(resolveValue([{ 'Fn::GetAtt': ['OnBus', 'Arn'] }, { 'Fn::Sub': '${OnDefault.Arn}' }], template, target));
    expect(policy).toContain('rule/my-bus/S-OnBus');
    expect(policy).toContain('"arn:aws:events:us-east-1:000000000000:rule/S-OnDefault"');
  });

  it('every resource type of the synthesized app has an entry (loaded, or ignored with a reason)', () => {
    for (const type of ['AWS::IAM::Role', 'AWS::SQS::Queue', 'AWS::Events::Rule', 'AWS::Lambda::EventSourceMapping', 'AWS::Scheduler::Schedule', 'AWS::StepFunctions::StateMachine', 'AWS::DynamoDB::Table']) {
      expect(LOADERS[type]).toHaveProperty('load');
    }
    expect(LOADERS['AWS::CloudWatch::Alarm']).toHaveProperty('ignore');
  });
});
