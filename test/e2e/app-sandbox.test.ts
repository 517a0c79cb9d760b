/**
 * The deployed app, locally (README "Try it like production"): the synthesized app loaded into the sandbox
 * (local/app/) and driven only through AWS APIs, as production is: a `Tenant Onboarding Requested` event on the
 * onboarding bus -> the rule -> the request queue -> the starter (event source mapping, under its role) ->
 * StartExecution -> the onboarding on the local runner. The same event again starts nothing; a message that is no
 * request event ends in the dead-letter queue; the AWS CLI and the palette-onboard CLI's deployed mode (no --local)
 * work against the sandbox's endpoint.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient, type ExecutionListItem } from '@aws-sdk/client-sfn';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionNameFor } from '../../cli/request';
import { loadApp, type LoadedApp } from '../../local/app/index';
import { loadWorkflow } from '../../local/runner/runner';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { runCli, sandboxCliEnv } from './cli-process';
import { until } from './fixtures/sandbox-app';

const run = promisify(execFile);

const REQUEST = {
  tenantId: 'prodlike',
  aws: { accountId: '515151515151', region: 'us-east-1', credentialMode: 'sts' },
  register: { cloudAccount: { enabled: true }, backupLocation: { isDefault: true } },
};

let sb: RunningLocalSandbox;
let app: LoadedApp;
let events: EventBridgeClient;
let sfn: SFNClient;
let sqs: SQSClient;
let cfn: CloudFormationClient;
/** The environment a shell gets after `export AWS_ENDPOINT_URL=... AWS_ACCESS_KEY_ID=...` (what the banner prints). */
let shellEnv: NodeJS.ProcessEnv;
/** Request files for the CLI. */
let dir: string;



const onboardingArn = () => app.outputs.StateMachineArn as string;
const executions = async (): Promise<ExecutionListItem[]> => (await sfn.send(new ListExecutionsCommand({ stateMachineArn: onboardingArn() }))).executions ?? [];

const requestEntry = (detail: unknown) => ({
  EventBusName: app.outputs.EventBusName,
  Source: 'palette.onboarding',
  DetailType: 'Tenant Onboarding Requested',
  Detail: JSON.stringify(detail),
});

/** Messages in the queue, visible or in flight. */
async function queueDepth(url: string): Promise<number> {
  const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes ?? {};
  return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'app-sandbox-'));
  const workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 200 } }, palette: { port: 0 }, env: {} });
  // Local time compression: a message the starter fails is received again at once (the queue's timeout is 4 minutes).
  app = await loadApp(sb, { workflow, redeliveryDelaySeconds: 0 });
  const config = { endpoint: sb.aws.endpoint, region: sb.aws.region, credentials: { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey } };
  events = new EventBridgeClient(config);
  sfn = new SFNClient(config);
  sqs = new SQSClient(config);
  cfn = new CloudFormationClient(config);
  shellEnv = {
    ...process.env,
    AWS_ENDPOINT_URL: sb.aws.endpoint,
    AWS_REGION: sb.aws.region,
    AWS_DEFAULT_REGION: sb.aws.region,
    AWS_ACCESS_KEY_ID: sb.aws.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sb.aws.secretAccessKey,
    // No profile of this machine's may redirect the AWS CLI.
    AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
    NO_COLOR: '1',
  };
  for (const k of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'PALETTE_ONBOARDING_STATE_MACHINE_ARN', 'PALETTE_ONBOARDING_REGISTRY_TABLE', 'PALETTE_ONBOARDING_STACK_NAME']) delete shellEnv[k];
}, 300_000);

afterAll(async () => {
  for (const c of [events, sfn, sqs, cfn]) c?.destroy();
  await app?.stop();
  await sb?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the app, loaded', () => {
  it('is in the sandbox as CloudFormation would leave it: the stack and its outputs answer DescribeStacks', async () => {
    expect(app.report.failed).toEqual([]);
    // What a local deployment does not reproduce is listed, not dropped: the declared tenants' custom resource.
    expect(app.report.unsupported.map((u) => u.type)).toEqual(['Custom::PaletteDeclaredTenants']);
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'PaletteOnboardingStack' }))).Stacks?.[0];
    const outputs = Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    expect(outputs).toMatchObject({
      StateMachineArn: expect.stringMatching(new RegExp(`^arn:aws:states:us-east-1:${sb.aws.accountId}:stateMachine:PaletteOnboardingStack-Workflow`)),
      EventBusName: 'palette-onboarding',
      NotificationBusName: 'palette-onboarding-notifications',
    });
    expect(outputs.StateMachineArn).toBe(onboardingArn());
    expect(outputs.RequestQueueUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(app.eventSources).toEqual([expect.objectContaining({ functionName: expect.stringContaining('Starter'), batchSize: 10, reportBatchItemFailures: true })]);
  });
});

describe('events start executions, as in production', () => {
  const name = executionNameFor(REQUEST);

  it('a Tenant Onboarding Requested event on the bus starts the onboarding, which succeeds', async () => {
    const put = await events.send(new PutEventsCommand({ Entries: [requestEntry(REQUEST)] }));
    expect(put.FailedEntryCount).toBe(0);
    const listed = await until('the execution', async () => (await executions()).find((e) => e.name === name));
    expect(listed.stateMachineArn).toBe(onboardingArn());
    const done = await until('the execution to end', async () => {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn: listed.executionArn }));
      return d.status === 'RUNNING' ? undefined : d;
    }, 45_000);
    expect(done.status, done.cause).toBe('SUCCEEDED');
    expect(JSON.parse(done.input ?? '{}')).toEqual(REQUEST);
    const history = (await sfn.send(new GetExecutionHistoryCommand({ executionArn: listed.executionArn, maxResults: 1000 }))).events ?? [];
    expect(history[0]?.type).toBe('ExecutionStarted');
    expect(history.at(-1)?.type).toBe('ExecutionSucceeded');
    expect(history.some((e) => e.type === 'TaskStateEntered' && e.stateEnteredEventDetails?.name === 'ValidateRequest')).toBe(true);
    expect(history.some((e) => e.type === 'LambdaFunctionSucceeded')).toBe(true);
    // The starter ran under its role through the event source mapping and started it.
    const starter = app.runtime.invocations.find((i) => i.trigger.startsWith('sqs:'));
    expect(starter).toMatchObject({ status: 'SUCCEEDED', result: { batchItemFailures: [] } });
  });

  it('the same event again (here through `aws events put-events`) starts no second execution', async () => {
    const before = app.runtime.invocations.length;
    const { stdout } = await run('aws', ['events', 'put-events', '--entries', JSON.stringify([requestEntry(REQUEST)]), '--output', 'json'], { env: shellEnv });
    expect(JSON.parse(stdout)).toMatchObject({ FailedEntryCount: 0 });
    const inv = await until('the starter', async () => app.runtime.invocations.slice(before).find((i) => i.trigger.startsWith('sqs:')));
    expect(inv).toMatchObject({ status: 'SUCCEEDED', result: { batchItemFailures: [] } });
    expect(inv.logs.join('\n')).toContain('already started');
    await until('the request queue to drain', async () => ((await queueDepth(app.outputs.RequestQueueUrl as string)) === 0 ? true : undefined));
    await app.settled();
    expect((await executions()).filter((e) => e.name === name)).toHaveLength(1);
  });

  it('aws stepfunctions list-executions / describe-execution show it', async () => {
    const { stdout } = await run('aws', ['stepfunctions', 'list-executions', '--state-machine-arn', onboardingArn(), '--output', 'json'], { env: shellEnv });
    const listed = JSON.parse(stdout) as { executions: Array<{ name: string; status: string; executionArn: string }> };
    const mine = listed.executions.find((e) => e.name === name);
    expect(mine?.status).toBe('SUCCEEDED');
    const described = JSON.parse((await run('aws', ['stepfunctions', 'describe-execution', '--execution-arn', mine?.executionArn ?? '', '--output', 'json'], { env: shellEnv })).stdout) as { status: string; output: string };
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output)).toMatchObject({ tenantId: REQUEST.tenantId });
  });
});

describe('malformed events', () => {
  it('EventBridge refuses an event whose detail is not a JSON object at PutEvents', async () => {
    const put = await events.send(new PutEventsCommand({ Entries: [{ ...requestEntry({}), Detail: 'not json' }] }));
    expect(put.FailedEntryCount).toBe(1);
    expect(put.Entries?.[0]?.ErrorCode).toBe('MalformedDetail');
  });

  it('a message on the request queue that is no request event is moved to the dead-letter queue at once, with the reason', async () => {
    const before = app.runtime.invocations.length;
    const body = 'this is not an EventBridge event';
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: app.outputs.RequestQueueUrl, MessageBody: body }));
    const dead = await until('the dead letter', async () => {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: app.outputs.DeadLetterQueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], VisibilityTimeout: 0 }));
      return out.Messages?.find((m) => m.Body === body);
    });
    // The starter sent it there (the starter's role may send to the dead-letter queue and nowhere else) and handled it.
    expect(dead.MessageAttributes?.REJECTED_REASON?.StringValue).toContain('the message body is not JSON');
    expect(dead.MessageAttributes?.SOURCE_MESSAGE_ID?.StringValue).toBe(sent.MessageId);
    const rejected = app.runtime.invocations.slice(before).filter((i) => i.trigger.startsWith('sqs:'));
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.result).toEqual({ batchItemFailures: [] });
    const left = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: app.outputs.RequestQueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    expect(Number(left.Attributes?.ApproximateNumberOfMessages) + Number(left.Attributes?.ApproximateNumberOfMessagesNotVisible)).toBe(0);
  });
});

describe('events EventBridge cannot deliver', () => {
  it('land in the dead-letter queue with EventBridge\'s reason (here: a request queue policy that no longer admits the rule)', async () => {
    const queueUrl = app.outputs.RequestQueueUrl as string;
    const policy = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['Policy'] }))).Attributes?.Policy ?? '';
    const doc = JSON.parse(policy) as { Statement: Array<{ Effect: string }> };
    // An operator's mistake: only the TLS-only Deny is left.
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { Policy: JSON.stringify({ ...doc, Statement: doc.Statement.filter((st) => st.Effect === 'Deny') }) } }));
    try {
      const request = { ...REQUEST, tenantId: 'prodlike-undelivered' };
      const put = await events.send(new PutEventsCommand({ Entries: [requestEntry(request)] }));
      expect(put.FailedEntryCount).toBe(0);
      const dead = await until('the dead letter', async () => {
        const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: app.outputs.DeadLetterQueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], VisibilityTimeout: 0 }));
        return out.Messages?.find((m) => m.Body?.includes('"prodlike-undelivered"'));
      });
      const attrs = Object.fromEntries(Object.entries(dead.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue]));
      expect(attrs).toMatchObject({
        ERROR_CODE: expect.any(String),
        ERROR_MESSAGE: expect.any(String),
        RULE_ARN: expect.stringContaining(':rule/palette-onboarding/PaletteOnboardingStack-TriggerRequestedRule'),
        TARGET_ARN: expect.stringContaining(':PaletteOnboardingStack-TriggerRequestQueue'),
      });
      // The whole event, as the queue would have received it: a redrive (DLQ -> request queue) serves it as is.
      expect(JSON.parse(dead.Body ?? '{}')).toMatchObject({ source: 'palette.onboarding', 'detail-type': 'Tenant Onboarding Requested', detail: request });
      expect((await executions()).some((e) => e.name === executionNameFor(request))).toBe(false);
    } finally {
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { Policy: policy } }));
    }
  });

  it('the lambda receiver is registered: a delivery to a function no resource policy opens to EventBridge is refused', async () => {
    const starter = app.functions.find((f) => f.name.includes('Starter'));
    const out = await sb.aws.kernel.targets.deliver({
      arn: starter?.arn ?? '',
      input: '{}',
      via: 'events.amazonaws.com',
      sourceArn: `arn:aws:events:us-east-1:${sb.aws.accountId}:rule/palette-onboarding/not-a-rule-of-the-app`,
      sourceAccount: sb.aws.accountId,
    });
    expect(out).toMatchObject({ ok: false, code: 'AccessDeniedException', retryable: false });
  });
});

describe('the CLI, deployed mode (no --local), against the sandbox', () => {
  const other = { ...REQUEST, tenantId: 'prodlike-cli', aws: { ...REQUEST.aws, accountId: '525252525252' } };

  it('palette-onboard start finds the state machine through DescribeStacks, starts and follows the execution', async () => {
    const file = join(dir, 'other.json');
    writeFileSync(file, JSON.stringify(other));
    const r = await runCli(['start', file, '--poll-seconds', '1', '--json'], shellEnv);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { status: string; executionArn: string };
    expect(result).toMatchObject({ status: 'SUCCEEDED', executionArn: expect.stringContaining(executionNameFor(other)) });
    expect(r.stderr).toContain('ValidateRequest');
  });

  it('palette-onboard start --local is a shortcut for the same: on a sandbox running the app it takes the deployed path (here: the execution the event started)', async () => {
    const file = join(dir, 'event-request.json');
    writeFileSync(file, JSON.stringify(REQUEST));
    const r = await runCli(['start', file, '--local', '--json'], sandboxCliEnv(sb));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('already exists');
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'SUCCEEDED', executionName: executionNameFor(REQUEST), executionArn: expect.stringContaining(':execution:PaletteOnboardingStack-Workflow') });
    expect((await executions()).filter((e) => e.name === executionNameFor(REQUEST))).toHaveLength(1);
  });

  it('palette-onboard list and status read the registry named by the stack outputs', async () => {
    const list = await runCli(['list', '--json'], shellEnv);
    expect(list.code, list.stderr).toBe(0);
    const tenants = (JSON.parse(list.stdout) as Array<{ tenantId: string; status: string }>).map((t) => [t.tenantId, t.status]);
    expect(tenants).toEqual(expect.arrayContaining([['prodlike', 'ACTIVE'], ['prodlike-cli', 'ACTIVE']]));
    const status = await runCli(['status', 'prodlike', '--json'], shellEnv);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ tenantId: 'prodlike', status: 'ACTIVE' });
    // Not a tenant: an execution name, on the state machine of the stack's outputs.
    const byName = await runCli(['status', executionNameFor(REQUEST), '--json'], shellEnv);
    expect(byName.code, byName.stderr).toBe(0);
    expect(JSON.parse(byName.stdout)).toMatchObject({ status: 'SUCCEEDED', executionName: executionNameFor(REQUEST) });
  });
});

describe('--local is a shortcut for the deployed mode on a sandbox running the app', () => {
  it('list / status / revalidate / offboard --local go through the stack outputs and StartExecution, as without --local', async () => {
    const tenant = { ...REQUEST, tenantId: 'prodlike-local', aws: { ...REQUEST.aws, accountId: '535353535353' } };
    const file = join(dir, 'local-shortcut.json');
    writeFileSync(file, JSON.stringify(tenant));
    const env = sandboxCliEnv(sb);
    const started = await runCli(['start', file, '--local', '--json'], env);
    expect(started.code, started.stderr).toBe(0);

    const list = await runCli(['list', '--local', '--json'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stderr).toContain('takes the deployed path');
    expect((JSON.parse(list.stdout) as Array<{ tenantId: string; status: string }>).find((t) => t.tenantId === tenant.tenantId)).toMatchObject({ status: 'ACTIVE' });

    const revalidated = await runCli(['revalidate', tenant.tenantId, '--local', '--json'], env);
    expect(revalidated.code, revalidated.stderr).toBe(0);
    // The deployed mode's report: the execution on the stack's Re-validation state machine, in the sandbox's Step Functions.
    const rv = JSON.parse(revalidated.stdout) as { status: string; executionArn: string };
    expect(rv).toMatchObject({ status: 'SUCCEEDED', executionArn: expect.stringContaining(':execution:') });
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: rv.executionArn }))).status).toBe('SUCCEEDED');

    const offboarded = await runCli(['offboard', tenant.tenantId, '--local', '--json'], env);
    expect(offboarded.code, offboarded.stderr).toBe(0);
    const ob = JSON.parse(offboarded.stdout) as { status: string; executionArn: string };
    expect(ob.executionArn).toContain(':execution:');
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: ob.executionArn }))).status).toBe('SUCCEEDED');
    const after = await runCli(['status', tenant.tenantId, '--local', '--json'], env);
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ tenantId: tenant.tenantId, status: 'OFFBOARDED' });
  }, 180_000);
});
