/**
 * Deterministic names for event-started executions, end to end on the local sandbox: the starter's REAL bundle
 * from the synthesized template (lambdas/handlers/start-onboarding.ts, with the template's environment) gets SQS
 * batches holding `Tenant Onboarding Requested` events and calls StartExecution through the real SDK
 * (AWS_ENDPOINT_URL_SFN) on the local Step Functions API (local/runner/stepfunctions-api.ts), which runs each new
 * execution on the local runner. The same event delivered twice, once more later, and a CLI start of the same
 * request are ONE execution.
 */
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExecution } from '../../cli/deployed';
import { executionNameFor } from '../../cli/request';
import { loadWorkflow, type LocalWorkflow } from '../../local/runner/runner';
import { startLocalStepFunctionsApi, type LocalStepFunctionsApi } from '../../local/runner/stepfunctions-api';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { deliverToStarter, sqsBatch, sqsRecord } from './fixtures/sqs';

const REQUEST = {
  tenantId: 'dedupe',
  aws: { accountId: '222222222222', region: 'us-east-1', credentialMode: 'sts' },
  register: { cloudAccount: { enabled: true }, backupLocation: { isDefault: true } },
};
/** Parses but is invalid: no tenant id (the execution is still started, and ValidateRequest fails it). */
const NO_TENANT = { aws: { accountId: '222222222222', region: 'us-east-1', credentialMode: 'sts' } };

let sb: RunningLocalSandbox;
let workflow: LocalWorkflow;
let api: LocalStepFunctionsApi;
let sfn: SFNClient;

beforeAll(async () => {
  // First synthesis of the app bundles every function (a minute or two); later runs hit the cache.
  workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 0 } }, palette: { port: 0 }, env: {} });
  api = await startLocalStepFunctionsApi({ sandbox: sb, workflow });
  sfn = new SFNClient({ endpoint: api.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}, 300_000);
afterAll(async () => {
  await api?.settled();
  await api?.close();
  await sb?.stop();
});

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
const deliver = (event: SQSEvent) => deliverToStarter(api, event);

describe('one request, many starts: one execution', () => {
  const body = JSON.stringify(requestEvent(REQUEST, 'evt-dup'));
  const name = executionNameFor(REQUEST);

  it('the same event twice in one batch: both records delivered, one execution, named executionNameFor(detail)', async () => {
    const { response } = await deliver(batch(record(body), record(body)));
    expect(response).toEqual({ batchItemFailures: [] });
    const executions = api.executions();
    expect(executions).toHaveLength(1);
    expect(executions[0]).toMatchObject({ name, input: JSON.stringify(REQUEST), stateMachineArn: api.stateMachineArn });
    expect(name).toMatch(/^dedupe-[0-9a-f]{12}$/);
  });

  it('a CLI start of the same request while it runs gets the same execution (StartExecution is idempotent)', async () => {
    const started = await startExecution(sfn, api.stateMachineArn, name, REQUEST);
    expect(started).toEqual({ executionArn: api.executions()[0]?.executionArn, deduplicated: false });
    expect(api.executions()).toHaveLength(1);
  });

  it('the execution runs the onboarding on the local runner and succeeds', async () => {
    await api.settled();
    const [exec] = api.executions();
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: exec?.executionArn }));
    expect(described.cause ?? described.error).toBeUndefined();
    expect(described).toMatchObject({ status: 'SUCCEEDED', name, input: JSON.stringify(REQUEST) });
    expect(JSON.parse(described.output ?? '{}')).toMatchObject({ tenantId: 'dedupe', executionName: name, accountId: '222222222222' });
    expect(described.stopDate).toBeInstanceOf(Date);
    // It ran once: one ValidateRequest invocation.
    expect(exec?.run?.invocations.filter((i) => i.state === 'ValidateRequest')).toHaveLength(1);
  });

  it('the same event once more in a later batch: ExecutionAlreadyExists counts as delivered (logged), still one execution', async () => {
    const { response, logs } = await deliver(batch(record(body)));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(logs).toContain('The same request was already started');
    expect(api.executions()).toHaveLength(1);
  });

  it('a CLI start after it finished is deduplicated too (ExecutionAlreadyExists), and other input under the name is refused', async () => {
    const again = await startExecution(sfn, api.stateMachineArn, name, REQUEST);
    expect(again).toEqual({ executionArn: api.executions()[0]?.executionArn, deduplicated: true });
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: api.stateMachineArn, name, input: '{"other":true}' }))).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
      message: `Execution Already Exists: '${api.executions()[0]?.executionArn}'`,
      $metadata: { httpStatusCode: 400 },
    });
    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: api.stateMachineArn }));
    expect(listed.executions?.map((e) => e.name)).toEqual([name]);
  });
});

describe('what is retried', () => {
  it('a record whose body is not JSON is reported in batchItemFailures; the good record next to it is delivered', async () => {
    const bad = record('{not json');
    const { response } = await deliver(batch(bad, record(JSON.stringify(requestEvent(REQUEST, 'evt-dup-2')))));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: bad.messageId }] });
    expect(api.executions()).toHaveLength(1);
  });

  it('a throttled StartExecution fails that record (after the SDK retries); the redelivery starts it', async () => {
    const body = JSON.stringify(requestEvent(NO_TENANT, 'evt-throttled'));
    const first = record(body, 1, 'msg-throttled');
    api.throttleStartExecution();
    try {
      const { response, logs } = await deliver(batch(first));
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-throttled' }] });
      expect(logs).toContain('ThrottlingException');
      expect(api.throttledCalls).toBeGreaterThanOrEqual(2); // the SDK retried before giving up
    } finally {
      api.clearFaults();
    }
    expect(api.executions()).toHaveLength(1);

    const { response } = await deliver(batch(record(body, 2, 'msg-throttled')));
    expect(response).toEqual({ batchItemFailures: [] });
    const executions = api.executions();
    expect(executions).toHaveLength(2);
    // Without a tenant id the name is still deterministic; the workflow reports the invalid request.
    expect(executions[1]?.name).toBe(executionNameFor(NO_TENANT));
    expect(executions[1]?.name).toMatch(/^request-[0-9a-f]{12}$/);
    await api.settled();
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: executions[1]?.executionArn }));
    expect(described).toMatchObject({ status: 'FAILED', error: 'RequestValidationError' });
    expect(described.cause).toContain('tenantId');
  });
});

describe('the local Step Functions API', () => {
  it('refuses bad names, bad input and other state machines as Step Functions does', async () => {
    const start = (input: { stateMachineArn: string; name?: string; input?: string }) => sfn.send(new StartExecutionCommand(input));
    await expect(start({ stateMachineArn: api.stateMachineArn, name: 'has space', input: '{}' })).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(start({ stateMachineArn: api.stateMachineArn, name: 'x'.repeat(81), input: '{}' })).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(start({ stateMachineArn: api.stateMachineArn, name: 'ok-name', input: '{' })).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    await expect(start({ stateMachineArn: `${api.stateMachineArn}-other`, name: 'ok-name', input: '{}' })).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
    });
    await expect(sfn.send(new DescribeExecutionCommand({ executionArn: `${api.stateMachineArn.replace(':stateMachine:', ':execution:')}:nope` }))).rejects.toMatchObject({
      name: 'ExecutionDoesNotExist',
    });
    expect(api.executions()).toHaveLength(2);
  });
});
