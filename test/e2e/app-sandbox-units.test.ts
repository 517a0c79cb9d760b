/**
 * The app loader's pure parts (local/app/): partial batch responses, the history mapping (whole and live), the template
 * corrections; and what its engine relies on in the runner: the live history, aborting, a putEvents sender.
 */
import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { failedMessageIds } from '../../local/app/event-sources';
import { ExecutionHistoryTranslator, toExecutionHistory } from '../../local/app/history';
import { EventBridgeEntryError, LocalEventBridge } from '../../local/runner/events';
import { executeDefinition, HistoryRecorder, type AslDefinitionLike, type HistoryEvent, type ProgressEvent } from '../../local/runner/execute';
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

describe('live history', () => {
  const t = '2026-01-01T00:00:00.000Z';
  const sample: HistoryEvent[] = [
    { id: 1, timestamp: t, type: 'ExecutionStarted', input: {} },
    { id: 2, timestamp: t, type: 'TaskStateEntered', state: 'Validate', stateType: 'Task', input: { a: 1 } },
    { id: 3, timestamp: t, type: 'LambdaFunctionScheduled', state: 'Validate', resource: 'arn:aws:lambda:us-east-1:000000000000:function:f', input: { a: 1 } },
    { id: 4, timestamp: t, type: 'LambdaFunctionSucceeded', state: 'Validate', output: {} },
    { id: 5, timestamp: t, type: 'TaskStateExited', state: 'Validate', stateType: 'Task', output: { ok: true } },
    { id: 6, timestamp: t, type: 'PassStateEntered', state: 'Next', stateType: 'Pass', input: {} },
    { id: 7, timestamp: t, type: 'TaskScheduled', state: 'Validate', resource: 'arn:aws:states:::events:putEvents', input: {} },
    { id: 8, timestamp: t, type: 'PassStateExited', state: 'Next', stateType: 'Pass', output: {} },
  ];

  it('the translator maps batch after batch exactly as the whole history at once (ids go on; a late task event points at its StateEntered)', () => {
    const live = new ExecutionHistoryTranslator('us-east-1');
    const batches = [sample.slice(0, 2), sample.slice(2, 3), [], sample.slice(3, 7), sample.slice(7)];
    const out = batches.flatMap((b) => live.translate(b));
    expect(out).toEqual(toExecutionHistory(sample, 'us-east-1'));
    expect(out.map((e) => [e.id, e.previousEventId])).toEqual([[1, 0], [2, 1], [3, 1], [4, 1], [5, 4], [6, 1], [7, 5]]);
  });

  it('the recorder gives each event once, append-only; a task attempt waits for its StateEntered, its outcome for the exit; close() gives the rest', () => {
    const got: HistoryEvent[] = [];
    const h = new HistoryRecorder({ onEvents: (events) => got.push(...events) });
    const types = () => got.map((e) => `${e.type}${e.state ? ` ${e.state}` : ''}`);
    h.addStateEvent({ type: 'ExecutionStarted' });
    // The handler runs before the interpreter's StateEntered is read.
    const a = h.beginTask('A', [{ type: 'LambdaFunctionScheduled' }, { type: 'LambdaFunctionStarted' }]);
    expect(types()).toEqual(['ExecutionStarted']);
    h.addStateEvent({ type: 'ParallelStateEntered', state: 'P', stateType: 'Parallel' });
    h.addStateEvent({ type: 'TaskStateEntered', state: 'A', stateType: 'Task' });
    expect(types()).toEqual(['ExecutionStarted', 'ParallelStateEntered P', 'TaskStateEntered A', 'LambdaFunctionScheduled A', 'LambdaFunctionStarted A']);
    // A concurrent branch: B entered before its attempt began; the attempt is given later, once.
    h.addStateEvent({ type: 'TaskStateEntered', state: 'B', stateType: 'Task' });
    a.succeeded({ type: 'LambdaFunctionSucceeded' });
    expect(types().at(-1)).toBe('TaskStateEntered B');
    h.addStateEvent({ type: 'TaskStateExited', state: 'A', stateType: 'Task' });
    expect(types().slice(-2)).toEqual(['LambdaFunctionSucceeded A', 'TaskStateExited A']);
    const b = h.beginTask('B', [{ type: 'TaskScheduled' }]);
    expect(types().slice(-1)).toEqual(['TaskScheduled B']);
    // An attempt of a state never entered (still running when its state timed out, say) is held until the end.
    h.beginTask('C', [{ type: 'TaskScheduled' }]);
    b.failed({ type: 'TaskFailed', error: 'Boom' });
    h.addStateEvent({ type: 'StateFailed', state: 'B', stateType: 'Task', error: 'Boom' });
    expect(types().slice(-2)).toEqual(['TaskFailed B', 'StateFailed B']);
    expect(types()).not.toContain('TaskScheduled C');
    h.close();
    expect(types().at(-1)).toBe('TaskScheduled C');
    // Every event once, numbered in the order given; the same events as the merged history (B's attempt: later).
    expect(got.map((e) => e.id)).toEqual(got.map((_, i) => i + 1));
    const key = (e: HistoryEvent) => `${e.type} ${e.state ?? ''}`;
    expect(got.map(key).sort()).toEqual(h.events.map(key).sort());
    expect(h.events.map(key).indexOf('TaskScheduled B')).toBe(h.events.map(key).indexOf('TaskStateEntered B') + 1);
  });
});

describe('aborting a run (the engine\'s StopExecution)', () => {
  const fn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
  const states = {
    Slow: { Type: 'Task', Resource: fn('slow'), Next: 'Pause' },
    Pause: { Type: 'Wait', Seconds: 30, Next: 'After' },
    After: { Type: 'Task', Resource: fn('after'), End: true },
  };
  const definition: AslDefinitionLike = { StartAt: 'Slow', States: states };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function run(slowMs: number, abortWhen: (e: ProgressEvent) => boolean) {
    const controller = new AbortController();
    const calls: string[] = [];
    let slowDoneAt = 0;
    const live: HistoryEvent[] = [];
    const started = Date.now();
    const outcome = await executeDefinition({
      definition,
      input: {},
      executionName: 'x',
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:m:x',
      stateMachine: { arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:m', name: 'm' },
      tasks: {
        Slow: async () => {
          calls.push('Slow');
          await sleep(slowMs);
          slowDoneAt = Date.now();
          return { ok: true };
        },
        After: async () => {
          calls.push('After');
          return {};
        },
      },
      history: new HistoryRecorder({ onEvents: (events) => live.push(...events) }),
      onProgress: (e) => {
        if (abortWhen(e)) setTimeout(() => controller.abort(), 50);
      },
      signal: controller.signal,
    });
    return { outcome, calls, slowDoneAt, live, elapsedMs: Date.now() - started };
  }

  it('in a Wait state: ABORTED at once; no later state runs', async () => {
    const r = await run(0, (e) => e.kind === 'state-started' && e.state === 'Pause');
    expect(r.outcome.status).toBe('ABORTED');
    expect(r.elapsedMs).toBeLessThan(5_000);
    expect(r.calls).toEqual(['Slow']);
    expect(r.live.map((e) => e.type)).toContain('WaitStateEntered');
    expect(r.live.at(-1)?.type).toBe('ExecutionAborted');
  });

  it('during a task: ABORTED once the running handler returned (never before), and the Wait and the next task never run', async () => {
    const r = await run(400, (e) => e.kind === 'state-started' && e.state === 'Slow');
    expect(r.outcome.status).toBe('ABORTED');
    expect(r.slowDoneAt).toBeGreaterThan(0);
    expect(r.outcome.stoppedAt).toBeGreaterThanOrEqual(r.slowDoneAt);
    expect(r.elapsedMs).toBeLessThan(5_000);
    expect(r.calls).toEqual(['Slow']);
    expect(r.live.map((e) => e.type)).not.toContain('WaitStateEntered');
  });
});

describe('putEvents through a sender (the sandbox\'s EventBridge)', () => {
  const input = { Entries: [{ Source: 's', DetailType: 'd', Detail: { a: 1 }, EventBusName: 'arn:aws:events:us-east-1:000000000000:event-bus/bus' }, { Source: 's', DetailType: 'd2', Detail: '{"b":2}' }] };

  it('records the events the sender accepted and answers its answer', async () => {
    const bridge = new LocalEventBridge({ account: '000000000000', region: 'us-east-1' });
    const out = await bridge.forward(input, 'Notify', async () => ({ Entries: [{ EventId: 'e1' }, { EventId: 'e2' }], FailedEntryCount: 0 }));
    expect(out).toEqual({ Entries: [{ EventId: 'e1' }, { EventId: 'e2' }], FailedEntryCount: 0 });
    expect(bridge.events.map((e) => [e.id, e.eventBusName, e.detailType, e.detail, e.state])).toEqual([
      ['e1', 'bus', 'd', { a: 1 }, 'Notify'],
      ['e2', 'default', 'd2', { b: 2 }, 'Notify'],
    ]);
  });

  it('a failed entry fails the task with EventBridge.FailedEntry (the accepted one is recorded); a sender error is the task\'s error', async () => {
    const bridge = new LocalEventBridge({ account: '000000000000', region: 'us-east-1' });
    const failed = bridge.forward(input, 'Notify', async () => ({ Entries: [{ EventId: 'e1' }, { ErrorCode: 'AccessDeniedException', ErrorMessage: 'no' }], FailedEntryCount: 1 }));
    await expect(failed).rejects.toBeInstanceOf(EventBridgeEntryError);
    await expect(failed).rejects.toMatchObject({ name: 'EventBridge.FailedEntry' });
    expect(bridge.events.map((e) => e.id)).toEqual(['e1']);
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
    await expect(bridge.forward(input, 'Notify', () => Promise.reject(denied))).rejects.toMatchObject({ name: 'AccessDeniedException' });
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
