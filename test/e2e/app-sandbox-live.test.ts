/**
 * The app sandbox while an execution runs (local/app/runtime.ts): GetExecutionHistory shows the states as they happen
 * (append-only, what `palette-onboard start` follows), StopExecution aborts a running execution in the runner too, and
 * the workflow's own `events:putEvents` states go through the sandbox's EventBridge as the state machine's role, at
 * once: a rule's queue gets the event while the execution still runs, and a role that may not put events fails the task
 * with AccessDeniedException (the Retry / Catch of the definition apply).
 *
 * A run is made to last a few seconds by Palette latency on the readiness check's bucket validation (only the
 * CheckReadiness function calls it).
 */
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand, StopExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toExecutionHistory } from '../../local/app/history';
import { loadApp, type LoadedApp } from '../../local/app/index';
import { loadWorkflow } from '../../local/runner/runner';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { until } from './fixtures/sandbox-app';

const PROPAGATION_MS = 200;
/** How long the readiness check's bucket validation takes when a test slows it down. */
const SLOW_MS = 3_000;

const request = (tenantId: string, accountId: string) => ({
  tenantId,
  aws: { accountId, region: 'us-east-1', credentialMode: 'sts' },
  register: { cloudAccount: { enabled: true }, backupLocation: { isDefault: true } },
});

let sb: RunningLocalSandbox;
let app: LoadedApp;
let sfn: SFNClient;
let sqs: SQSClient;
let events: EventBridgeClient;
let iam: IAMClient;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


const history = async (executionArn: string): Promise<HistoryEvent[]> => (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];
const status = async (executionArn: string): Promise<string | undefined> => (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status;
const entered = (events: HistoryEvent[]): string[] => events.filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails?.name ?? '');

async function start(name: string, input: unknown): Promise<string> {
  const out = await sfn.send(new StartExecutionCommand({ stateMachineArn: app.outputs.StateMachineArn, name, input: JSON.stringify(input) }));
  return out.executionArn ?? '';
}

/** The readiness check's next bucket validation takes SLOW_MS more. */
function slowReadiness(): void {
  sb.palette.configure({ faults: { rules: [{ pathPrefix: '/v1/clouds/aws/s3/validate', method: 'POST', rate: 1, kind: 'latency', latencyMs: SLOW_MS, times: 1 }] } });
}

beforeAll(async () => {
  const workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: PROPAGATION_MS } }, palette: { port: 0 }, env: {} });
  app = await loadApp(sb, { workflow, redeliveryDelaySeconds: 0 });
  const config = { endpoint: sb.aws.endpoint, region: sb.aws.region, credentials: { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey } };
  sfn = new SFNClient(config);
  sqs = new SQSClient(config);
  events = new EventBridgeClient(config);
  iam = new IAMClient(config);
}, 300_000);

afterAll(async () => {
  for (const c of [sfn, sqs, events, iam]) c?.destroy();
  await app?.stop();
  await sb?.stop();
});

describe('while an execution runs', () => {
  it('GetExecutionHistory shows its states as they happen, append-only; a putEvents state\'s event reaches a rule\'s queue at once', async () => {
    // Someone listening on the notification bus: a rule -> a queue EventBridge may send to.
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'live-notifications' }));
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn ?? '';
    const bus = app.outputs.NotificationBusName;
    const { RuleArn } = await events.send(
      new PutRuleCommand({ Name: 'live-started', EventBusName: bus, EventPattern: JSON.stringify({ source: ['palette.onboarding'], 'detail-type': ['Tenant Onboarding Started'] }) }),
    );
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: queueArn, Condition: { ArnEquals: { 'aws:SourceArn': RuleArn } } }] };
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: JSON.stringify(policy) } }));
    await events.send(new PutTargetsCommand({ Rule: 'live-started', EventBusName: bus, Targets: [{ Id: 'q', Arn: queueArn }] }));
    slowReadiness();

    const arn = await start('live-history', request('live-history', '717171717171'));
    const snapshots: HistoryEvent[][] = [];
    let notification: { body: string; executionStatus: string | undefined } | undefined;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(100)) {
      const h = await history(arn);
      if ((await status(arn)) !== 'RUNNING') break;
      snapshots.push(h);
      if (!notification) {
        const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 0 }));
        const body = got.Messages?.[0]?.Body;
        if (body) notification = { body, executionStatus: await status(arn) };
      }
    }
    expect(await status(arn)).toBe('SUCCEEDED');

    // Live: before the end, the history had the states entered so far (not just ExecutionStarted).
    const last = snapshots.at(-1) ?? [];
    expect(entered(last)).toEqual(expect.arrayContaining(['Init', 'ValidateRequest', 'NotifyStarted', 'CheckReadiness']));
    expect(last.some((e) => e.type === 'LambdaFunctionSucceeded')).toBe(true);
    expect(last.some((e) => e.type === 'TaskSucceeded' && e.taskSucceededEventDetails?.resource === 'putEvents')).toBe(true);
    // Append-only: every snapshot is the beginning of the next, ids 1, 2, ...
    for (let i = 1; i < snapshots.length; i++) {
      const before = snapshots[i - 1] ?? [];
      expect((snapshots[i] ?? []).slice(0, before.length)).toEqual(before);
    }
    const final = await history(arn);
    expect(final.slice(0, last.length)).toEqual(last);
    expect(final.map((e) => e.id)).toEqual(final.map((_, i) => i + 1));
    expect(final[0]?.type).toBe('ExecutionStarted');
    expect(final.at(-1)?.type).toBe('ExecutionSucceeded');
    // The same events as the whole history mapped at the end (what the service got before).
    const run = app.runtime.runs.get(arn);
    const whole = toExecutionHistory(run?.history ?? [], sb.aws.region);
    const key = (e: { type?: string; stateEnteredEventDetails?: { name?: string }; stateExitedEventDetails?: { name?: string } }) =>
      `${e.type} ${e.stateEnteredEventDetails?.name ?? e.stateExitedEventDetails?.name ?? ''}`;
    expect(final.slice(1, -1).map(key).sort()).toEqual(whole.map(key).sort());
    // A state's events point at its StateEntered.
    const byId = new Map(final.map((e) => [e.id, e]));
    for (const e of final.filter((x) => x.type?.endsWith('StateExited'))) {
      const from = byId.get(e.previousEventId);
      expect(from?.type?.endsWith('StateEntered'), `${e.type} ${e.stateExitedEventDetails?.name}`).toBe(true);
      expect(from?.stateEnteredEventDetails?.name).toBe(e.stateExitedEventDetails?.name);
    }

    // The putEvents state's event was on the queue while the execution still ran, as Step Functions sends it.
    expect(notification?.executionStatus).toBe('RUNNING');
    const event = JSON.parse(notification?.body ?? '{}') as { 'detail-type'?: string; detail?: { tenantId?: string }; resources?: string[] };
    expect(event).toMatchObject({ 'detail-type': 'Tenant Onboarding Started', detail: { tenantId: 'live-history' } });
    expect(event.resources).toEqual(expect.arrayContaining([arn, app.outputs.StateMachineArn]));
    // The runner still records what its putEvents states sent.
    expect(run?.events.map((e) => e.detailType)).toEqual(expect.arrayContaining(['Tenant Onboarding Started', 'Tenant Onboarding Succeeded']));
  });

  it('StopExecution aborts a running execution: ABORTED at once, the runner stops there, nothing is written after ExecutionAborted', async () => {
    slowReadiness();
    const slowed = sb.palette.faultStats().faults.latency;
    const arn = await start('live-stop', request('live-stop', '727272727272'));
    // In the (slow) readiness check.
    await until('the readiness check', () => (sb.palette.faultStats().faults.latency > slowed ? true : undefined));
    expect(entered(await history(arn))).toContain('CheckReadiness');
    const stoppedAt = Date.now();
    await sfn.send(new StopExecutionCommand({ executionArn: arn, error: 'Operator.Stop', cause: 'testing' }));
    expect(await status(arn)).toBe('ABORTED');
    const atStop = await history(arn);
    expect(atStop.at(-1)).toMatchObject({ type: 'ExecutionAborted', executionAbortedEventDetails: { error: 'Operator.Stop', cause: 'testing' } });

    // The runner's run ends too, once the running readiness check returned: aborted, no state after it.
    await app.settled();
    expect(Date.now() - stoppedAt).toBeLessThan(SLOW_MS + 5_000);
    const run = app.runtime.runs.get(arn);
    expect(run?.status).toBe('ABORTED');
    const states = (run?.history ?? []).filter((e) => e.type.endsWith('StateEntered')).map((e) => e.state);
    expect(states.at(-1)).toBe('CheckReadiness');
    expect(states).not.toContain('NotifyReady');
    expect(await history(arn)).toEqual(atStop);
  });

  it('a putEvents state goes through EventBridge as the state machine\'s role: a role that may not put events fails it with AccessDeniedException', async () => {
    const roleArn = app.stateMachines.find((m) => m.arn === app.outputs.StateMachineArn)?.roleArn ?? '';
    const RoleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
    const deny = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'events:PutEvents', Resource: '*' }] };
    await iam.send(new PutRolePolicyCommand({ RoleName, PolicyName: 'no-events', PolicyDocument: JSON.stringify(deny) }));
    try {
      await sleep(PROPAGATION_MS + 200);
      const arn = await start('live-denied', request('live-denied', '737373737373'));
      await until('the execution to end', async () => ((await status(arn)) === 'RUNNING' ? undefined : true), 60_000);
      const h = await history(arn);
      const byId = new Map(h.map((e) => [e.id, e]));
      const failed = h.filter((e) => e.type === 'TaskFailed').map((e) => ({ state: byId.get(e.previousEventId)?.stateEnteredEventDetails?.name, ...e.taskFailedEventDetails }));
      // Each notification failed as Step Functions fails it; the started one is best effort (caught: the run went on),
      // the success notification is not (the onboarding is undone and fails).
      expect(failed.map((f) => f.state)).toEqual(expect.arrayContaining(['NotifyStarted', 'NotifySuccess']));
      for (const f of failed) expect(f).toMatchObject({ resourceType: 'events', resource: 'putEvents', error: 'AccessDeniedException' });
      expect(entered(h)).toEqual(expect.arrayContaining(['ReadPaletteIdentity', 'UndoRegistrations']));
      expect(await status(arn)).toBe('FAILED');
      expect(app.runtime.runs.get(arn)?.events).toEqual([]);
    } finally {
      await iam.send(new DeleteRolePolicyCommand({ RoleName, PolicyName: 'no-events' }));
    }
  });
});
