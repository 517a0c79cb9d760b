/**
 * Deterministic names for event-started executions, end to end on the local sandbox with the synthesized app loaded
 * (local/app/): the starter's REAL bundle (lambdas/handlers/start-onboarding.ts, under its synthesized role, with the
 * template's environment) gets SQS batches holding `Tenant Onboarding Requested` events and calls StartExecution
 * through the real SDK on the sandbox's Step Functions service (SigV4, IAM), which runs each new execution on the
 * local runner. The same event delivered twice, once more later, and a CLI start of the same request are ONE
 * execution; a throttled StartExecution (the sandbox's fault injection) fails only that record.
 */
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExecution } from '../../cli/deployed';
import { executionNameFor } from '../../cli/request';
import { loadApp, type LoadedApp } from '../../local/app/index';
import { loadWorkflow, ONBOARDING_STATE_MACHINE } from '../../local/runner/runner';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { adminSfn, executionsOf, settled, stateMachineArn } from './fixtures/sandbox-app';
import { deliverToStarter, sqsBatch, sqsRecord, takeDeadLetters } from './fixtures/sqs';

const REQUEST = {
  tenantId: 'dedupe',
  aws: { accountId: '222222222222', region: 'us-east-1', credentialMode: 'sts' },
  register: { cloudAccount: { enabled: true }, backupLocation: { isDefault: true } },
};
/** Parses but is invalid: no tenant id (the execution is still started, and ValidateRequest fails it). */
const NO_TENANT = { aws: { accountId: '222222222222', region: 'us-east-1', credentialMode: 'sts' } };

let sb: RunningLocalSandbox;
let app: LoadedApp;
let sfn: SFNClient;
/** The onboarding state machine, as the app was loaded. */
let onboardingArn: string;

beforeAll(async () => {
  // First synthesis of the app bundles every function (a minute or two); later runs hit the cache.
  const workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 0 } }, palette: { port: 0 }, env: {} });
  app = await loadApp(sb, { workflow });
  expect(app.report.failed).toEqual([]);
  onboardingArn = stateMachineArn(app, ONBOARDING_STATE_MACHINE);
  sfn = adminSfn(sb);
}, 300_000);
afterAll(async () => {
  if (app) await settled(sb, app);
  sfn?.destroy();
  await app?.stop();
  await sb?.stop();
});

/** Every execution of the onboarding state machine, oldest first. */
const executions = () => executionsOf(sb, sfn, [onboardingArn]);

/** The whole event, as the rule's SQS target delivers it. */
const requestEvent = (detail: unknown, id: string) => ({
  version: '0',
  id,
  'detail-type': 'Tenant Onboarding Requested',
  source: 'palette.onboarding',
  account: '000000000000',
  time: new Date().toISOString(),
  region: 'us-east-1',
  resources: [],
  detail,
});
const record = (body: string, receiveCount = 1, messageId?: string) => sqsRecord(body, { receiveCount, ...(messageId ? { messageId } : {}) });
const batch = sqsBatch;
const deliver = (event: SQSEvent) => deliverToStarter(app, event);

describe('one request, many starts: one execution', () => {
  const body = JSON.stringify(requestEvent(REQUEST, 'evt-dup'));
  const name = executionNameFor(REQUEST);

  it('the same event twice in one batch: both records delivered, one execution, named executionNameFor(detail)', async () => {
    const { response } = await deliver(batch(record(body), record(body)));
    expect(response).toEqual({ batchItemFailures: [] });
    const started = await executions();
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ name, input: JSON.stringify(REQUEST), stateMachineArn: onboardingArn });
    expect(name).toMatch(/^dedupe-[0-9a-f]{12}$/);
  });

  it('a CLI start of the same request while it runs gets the same execution (StartExecution is idempotent)', async () => {
    const [running] = await executions();
    expect(running?.status).toBe('RUNNING');
    const started = await startExecution(sfn, onboardingArn, name, REQUEST);
    expect(started).toEqual({ executionArn: running?.executionArn, deduplicated: false });
    expect(await executions()).toHaveLength(1);
  });

  it('the execution runs the onboarding on the local runner and succeeds', async () => {
    await settled(sb, app);
    const [exec] = await executions();
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: exec?.executionArn }));
    expect(described.cause ?? described.error).toBeUndefined();
    expect(described).toMatchObject({ status: 'SUCCEEDED', name, input: JSON.stringify(REQUEST) });
    expect(JSON.parse(described.output ?? '{}')).toMatchObject({ tenantId: 'dedupe', executionName: name, accountId: '222222222222' });
    expect(described.stopDate).toBeInstanceOf(Date);
    // It ran once: one ValidateRequest invocation.
    expect(app.runtime.runs.get(exec?.executionArn ?? '')?.invocations.filter((i) => i.state === 'ValidateRequest')).toHaveLength(1);
  });

  it('the same event once more in a later batch: ExecutionAlreadyExists counts as delivered (logged), still one execution', async () => {
    const { response, logs } = await deliver(batch(record(body)));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(logs).toContain('The same request was already started');
    expect(await executions()).toHaveLength(1);
  });

  it('a CLI start after it finished is deduplicated too (ExecutionAlreadyExists), and other input under the name is refused', async () => {
    const [exec] = await executions();
    const again = await startExecution(sfn, onboardingArn, name, REQUEST);
    expect(again).toEqual({ executionArn: exec?.executionArn, deduplicated: true });
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: onboardingArn, name, input: '{"other":true}' }))).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
      message: `Execution Already Exists: '${exec?.executionArn}'`,
      $metadata: { httpStatusCode: 400 },
    });
    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: onboardingArn }));
    expect(listed.executions?.map((e) => e.name)).toEqual([name]);
  });
});

describe('what is retried', () => {
  it('a record whose body is not JSON goes to the dead-letter queue at once, with the reason; the good record next to it is delivered', async () => {
    const bad = record('{not json');
    const { response, logs } = await deliver(batch(bad, record(JSON.stringify(requestEvent(REQUEST, 'evt-dup-2')))));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(logs).toContain('Rejected message moved to the dead-letter queue');
    const dead = await takeDeadLetters(sb, app);
    expect(dead).toHaveLength(1);
    expect(dead[0]?.Body).toBe('{not json');
    expect(dead[0]?.MessageAttributes).toMatchObject({
      REJECTED_REASON: { StringValue: expect.stringMatching(/JSON/) },
      SOURCE_MESSAGE_ID: { StringValue: bad.messageId },
    });
    expect(await executions()).toHaveLength(1);
  });

  it('a record whose body is not JSON, when the dead-letter queue cannot take it: reported in batchItemFailures (the redrive moves it)', async () => {
    // The sandbox's fault injection: every SendMessage fails (500 InternalFailure, after the SDK's retries).
    sb.faults.resetCounts();
    sb.faults.set({ aws: [{ service: 'sqs', operation: 'SendMessage', rate: 1, kind: '500' }] });
    const bad = record('{not json');
    try {
      const { response, logs } = await deliver(batch(bad, record(JSON.stringify(requestEvent(REQUEST, 'evt-dup-3')))));
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: bad.messageId }] });
      expect(logs).toContain('Could not move the rejected message to the dead-letter queue');
      expect(sb.faults.counts().aws.faults['500']).toBeGreaterThanOrEqual(1);
    } finally {
      sb.faults.clear();
    }
    expect(await takeDeadLetters(sb, app)).toEqual([]);
    expect(await executions()).toHaveLength(1);
  });

  it('a throttled StartExecution fails that record (after the SDK retries); the redelivery starts it', async () => {
    const body = JSON.stringify(requestEvent(NO_TENANT, 'evt-throttled'));
    const first = record(body, 1, 'msg-throttled');
    // The sandbox's fault injection: every StartExecution answers ThrottlingException (HTTP 400), as Step Functions
    // does when the account is over its rate; nothing else is faulted.
    sb.faults.resetCounts();
    sb.faults.set({ aws: [{ service: 'states', operation: 'StartExecution', rate: 1, kind: 'throttle' }] });
    try {
      const { response, logs } = await deliver(batch(first));
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-throttled' }] });
      expect(logs).toContain('ThrottlingException');
      expect(sb.faults.counts().aws.faults.throttle).toBeGreaterThanOrEqual(2); // the SDK retried before giving up
    } finally {
      sb.faults.clear();
    }
    expect(await executions()).toHaveLength(1);

    const { response } = await deliver(batch(record(body, 2, 'msg-throttled')));
    expect(response).toEqual({ batchItemFailures: [] });
    const started = await executions();
    expect(started).toHaveLength(2);
    // Without a tenant id the name is still deterministic; the workflow reports the invalid request.
    expect(started[1]?.name).toBe(executionNameFor(NO_TENANT));
    expect(started[1]?.name).toMatch(/^request-[0-9a-f]{12}$/);
    await settled(sb, app);
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started[1]?.executionArn }));
    expect(described).toMatchObject({ status: 'FAILED', error: 'RequestValidationError' });
    expect(described.cause).toContain('tenantId');
  });
});

describe("the sandbox's Step Functions service", () => {
  it('refuses bad names, bad input and other state machines as Step Functions does', async () => {
    const start = (input: { stateMachineArn: string; name?: string; input?: string }) => sfn.send(new StartExecutionCommand(input));
    await expect(start({ stateMachineArn: onboardingArn, name: 'has space', input: '{}' })).rejects.toMatchObject({ name: 'InvalidName' });
    // Over 80 characters breaks the member's length constraint first, as on AWS.
    await expect(start({ stateMachineArn: onboardingArn, name: 'x'.repeat(81), input: '{}' })).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(start({ stateMachineArn: onboardingArn, name: 'ok-name', input: '{' })).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    await expect(start({ stateMachineArn: `${onboardingArn}-other`, name: 'ok-name', input: '{}' })).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
    });
    await expect(sfn.send(new DescribeExecutionCommand({ executionArn: `${onboardingArn.replace(':stateMachine:', ':execution:')}:nope` }))).rejects.toMatchObject({
      name: 'ExecutionDoesNotExist',
    });
    expect(await executions()).toHaveLength(2);
  });
});
