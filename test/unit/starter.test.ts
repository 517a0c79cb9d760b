/**
 * The event starter (lambdas/handlers/start-onboarding.ts, lambdas/services/starter/*) with a mocked Step
 * Functions client: one StartExecution per queued request event, named like the CLI's executions; what is
 * delivered, what is retried (batchItemFailures), what is permanent; and the one name rule both use.
 */
import { ExecutionAlreadyExists, SFNClient, SFNServiceException, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { executionNameFor as cliExecutionNameFor } from '../../cli/request';
import { executionNameFor } from '../../lambdas/domain/names';
import { handler } from '../../lambdas/handlers/start-onboarding';
import { loadStarterEnv } from '../../lambdas/services/starter/env';
import { parseRequestMessage } from '../../lambdas/services/starter/message';
import { logger } from '../../lambdas/shared/logger';

const SM = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Onboarding';
const OFF_SM = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Offboarding';
const REQUEST = { tenantId: 'acme', aws: { accountId: '111111111111', region: 'us-east-1', credentialMode: 'sts' } };
const NAME = 'acme-87433e519121';
const EXECUTION = `arn:aws:states:eu-west-1:123456789012:execution:Onboarding:${NAME}`;

/** The whole event, as the rule's SQS target delivers it. */
const requestEvent = (detail: unknown, id = 'evt-1') => ({
  version: '0',
  id,
  'detail-type': 'Tenant Onboarding Requested',
  source: 'palette.onboarding',
  account: '123456789012',
  time: '2026-12-01T10:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail,
});
const record = (messageId: string, body: string, receiveCount = 1): SQSRecord => ({
  messageId,
  receiptHandle: `rh-${messageId}`,
  body,
  attributes: {
    ApproximateReceiveCount: String(receiveCount),
    SentTimestamp: '1764583200000',
    SenderId: 'AIDAEVENTBRIDGE',
    ApproximateFirstReceiveTimestamp: '1764583200100',
  },
  messageAttributes: {},
  md5OfBody: 'x',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:RequestQueue',
  awsRegion: 'eu-west-1',
});
const batch = (...records: SQSRecord[]): SQSEvent => ({ Records: records });
const throttled = () =>
  new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });

const sfn = mockClient(SFNClient);
const savedEnv = { ...process.env };
beforeAll(() => logger.setLogLevel('SILENT'));
afterAll(() => {
  process.env = savedEnv;
});
beforeEach(() => {
  process.env.ONBOARDING_STATE_MACHINE_ARN = SM;
  process.env.OFFBOARDING_STATE_MACHINE_ARN = OFF_SM;
});
afterEach(() => sfn.reset());

describe('execution names (one rule for the CLI and the starter)', () => {
  it('the CLI re-exports the domain function, and names are what they were before the move', () => {
    // Assess: same function, and pinned values (computed with the CLI's implementation before the move)
    expect(cliExecutionNameFor).toBe(executionNameFor);
    expect(executionNameFor(REQUEST)).toBe(NAME);
    expect(executionNameFor({ aws: { credentialMode: 'sts', region: 'us-east-1', accountId: '111111111111' }, tenantId: 'acme' })).toBe(NAME);
    expect(executionNameFor(REQUEST, 'r 2!')).toBe(`${NAME}-r2`);
    expect(executionNameFor({ tenantId: 'Acme Corp/ü' })).toBe('Acme-Corp---cd35843a288b');
    expect(executionNameFor({})).toBe('request-44136fa355b3');
    expect(executionNameFor({ tenantId: 42 })).toBe('request-14bf5bddf406');
    expect(executionNameFor([1, 2])).toBe('request-49a64717d5d4');
    expect(executionNameFor({ tenantId: 'x'.repeat(70) })).toBe(`${'x'.repeat(40)}-7c01f10ed52d`);
  });
});

describe('request messages', () => {
  it('the request is the detail of the whole EventBridge event; anything else is permanent, with a reason that never quotes the body', () => {
    // Act / Assess
    expect(parseRequestMessage(JSON.stringify(requestEvent(REQUEST)))).toEqual({
      ok: true,
      event: {
        request: REQUEST,
        event: requestEvent(REQUEST),
        eventId: 'evt-1',
        source: 'palette.onboarding',
        detailType: 'Tenant Onboarding Requested',
        time: '2026-12-01T10:00:00Z',
      },
    });
    expect(parseRequestMessage('{"detail":{}}')).toEqual({ ok: true, event: { request: {}, event: { detail: {} } } });
    const reasons = ['not json secret-ish', '[1]', '"text"', 'null', JSON.stringify({ ...REQUEST }), JSON.stringify(requestEvent([REQUEST])), JSON.stringify(requestEvent('x'))].map(
      (body) => {
        const parsed = parseRequestMessage(body);
        expect(parsed.ok, body).toBe(false);
        return parsed.ok ? '' : parsed.reason;
      },
    );
    expect(reasons).toEqual([
      'the message body is not JSON (19 characters)',
      'the message body is an array, not an EventBridge event object',
      'the message body is a string, not an EventBridge event object',
      'the message body is null, not an EventBridge event object',
      'the message is not an EventBridge event: it has no detail (the onboarding request)',
      "the event's detail is an array, not an object (the onboarding request)",
      "the event's detail is a string, not an object (the onboarding request)",
    ]);
  });
});

describe('offboarding requests', () => {
  const offboardEvent = (detail: unknown, id: string) => ({ ...requestEvent(detail, id), 'detail-type': 'Tenant Offboarding Requested' });

  it('starts the Offboarding state machine, named from the tenant, the event time and id; a redelivery is the same execution, a new event a new one', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
    const detail = { tenantId: 'acme', deleteBucket: true };
    // Act
    const out = await handler(batch(record('m1', JSON.stringify(offboardEvent(detail, 'evt-off-1'))), record('m2', JSON.stringify(offboardEvent(detail, 'evt-off-1'))), record('m3', JSON.stringify(offboardEvent(detail, 'evt-off-2')))));
    // Assess
    expect(out).toEqual({ batchItemFailures: [] });
    const calls = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.stateMachineArn)).toEqual([OFF_SM, OFF_SM, OFF_SM]);
    expect(calls.map((c) => c.input)).toEqual([JSON.stringify(detail), JSON.stringify(detail), JSON.stringify(detail)]);
    expect(calls[0]?.name).toMatch(/^offboard-acme-20261201100000-[0-9a-f]{8}$/);
    expect(calls[1]?.name).toBe(calls[0]?.name);
    expect(calls[2]?.name).not.toBe(calls[0]?.name);
  });

  it('an invalid offboarding request is still started (ValidateOffboarding reports it) under a valid name; an unknown detail-type is refused', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
    // Act
    const out = await handler(
      batch(record('m1', JSON.stringify(offboardEvent({ tenantId: 'Not A Tenant!' }, 'evt-off-3'))), record('m2', JSON.stringify({ ...requestEvent(REQUEST), 'detail-type': 'Tenant Deleted' }))),
    );
    // Assess
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }] });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.name).toMatch(/^offboard-request-20261201100000-[0-9a-f]{8}$/);
  });
});

describe('start-onboarding handler', () => {
  it('starts the execution named executionNameFor(detail) with the detail as input', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
    // Act
    const out = await handler(batch(record('m1', JSON.stringify(requestEvent(REQUEST)))));
    // Assess
    expect(out).toEqual({ batchItemFailures: [] });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: SM, name: NAME, input: JSON.stringify(REQUEST) });
  });

  it('a duplicate delivery in the same batch and in a later one is delivered: ExecutionAlreadyExists counts as started', async () => {
    // Prepare: the first start succeeds, every later one finds the execution
    sfn
      .on(StartExecutionCommand)
      .resolvesOnce({ executionArn: EXECUTION, startDate: new Date() })
      .rejects(new ExecutionAlreadyExists({ message: `Execution Already Exists: '${EXECUTION}'`, $metadata: { httpStatusCode: 400 } }));
    const body = JSON.stringify(requestEvent(REQUEST));
    // Act
    const first = await handler(batch(record('m1', body), record('m2', body)));
    const second = await handler(batch(record('m3', body)));
    // Assess
    expect(first).toEqual({ batchItemFailures: [] });
    expect(second).toEqual({ batchItemFailures: [] });
    const names = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name);
    expect(names).toEqual([NAME, NAME, NAME]);
  });

  it('a request with its keys in another order gets the same name (the CLI does too)', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
    const reordered = { aws: { credentialMode: 'sts', region: 'us-east-1', accountId: '111111111111' }, tenantId: 'acme' };
    // Act
    await handler(batch(record('m1', JSON.stringify(requestEvent(reordered)))));
    // Assess
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toMatchObject({ name: NAME, input: JSON.stringify(reordered) });
  });

  it('throttling and 5xx (after the SDK retries) fail only their own record, which SQS redelivers', async () => {
    // Prepare: tenant b is throttled, tenant c meets a 503, tenant a starts
    const a = { ...REQUEST, tenantId: 'tenant-a' };
    const b = { ...REQUEST, tenantId: 'tenant-b' };
    const c = { ...REQUEST, tenantId: 'tenant-c' };
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
    sfn.on(StartExecutionCommand, { name: executionNameFor(b) }).rejects(throttled());
    sfn
      .on(StartExecutionCommand, { name: executionNameFor(c) })
      .rejects(new SFNServiceException({ name: 'ServiceUnavailable', $fault: 'server', message: 'try later', $metadata: { httpStatusCode: 503 } }));
    // Act
    const out = await handler(
      batch(record('ma', JSON.stringify(requestEvent(a))), record('mb', JSON.stringify(requestEvent(b))), record('mc', JSON.stringify(requestEvent(c)))),
    );
    // Assess
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: 'mb' }, { itemIdentifier: 'mc' }] });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 3);
  });

  it('the redelivered record starts its execution once the throttling is over', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).rejectsOnce(throttled()).resolves({ executionArn: EXECUTION, startDate: new Date() });
    const body = JSON.stringify(requestEvent(REQUEST));
    // Act
    const first = await handler(batch(record('m1', body, 1)));
    const redelivered = await handler(batch(record('m1', body, 2)));
    // Assess
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(redelivered).toEqual({ batchItemFailures: [] });
  });

  it('any other StartExecution error (e.g. AccessDenied) also fails the record: it reaches the DLQ, never silently lost', async () => {
    // Prepare
    sfn
      .on(StartExecutionCommand)
      .rejects(new SFNServiceException({ name: 'AccessDeniedException', $fault: 'client', message: 'no', $metadata: { httpStatusCode: 400 } }));
    // Act
    const out = await handler(batch(record('m1', JSON.stringify(requestEvent(REQUEST)))));
    // Assess
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
  });

  it('a message that is not a request event is failed without any StartExecution (the DLQ after its last receive)', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
    // Act
    const out = await handler(
      batch(
        record('bad-json', '{not json'),
        record('array', '[]'),
        record('no-detail', JSON.stringify(REQUEST)),
        record('good', JSON.stringify(requestEvent(REQUEST))),
      ),
    );
    // Assess
    expect(out.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['bad-json', 'array', 'no-detail']);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it('with a dead-letter queue configured, a message that is not a request event moves there at once with the reason; if that send fails, it is failed', async () => {
    // Prepare
    const dlq = 'https://sqs.eu-west-1.amazonaws.com/123456789012/requests-dlq';
    process.env.DEAD_LETTER_QUEUE_URL = dlq;
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageCommand, { MessageBody: '{not json' }).resolves({ MessageId: 'dlq-1' });
    sqs.on(SendMessageCommand, { MessageBody: '[]' }).rejects(new Error('AccessDenied'));
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
    try {
      // Act
      const out = await handler(batch(record('bad-json', '{not json', 2), record('array', '[]'), record('good', JSON.stringify(requestEvent(REQUEST)))));
      // Assess: the moved one is handled (SQS deletes it), the one that could not be moved is failed (the redrive takes it)
      expect(out.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['array']);
      const sent = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
      expect(sent).toHaveLength(2);
      expect(sent[0]).toMatchObject({
        QueueUrl: dlq,
        MessageBody: '{not json',
        MessageAttributes: {
          REJECTED_REASON: { DataType: 'String', StringValue: expect.stringMatching(/JSON/) },
          SOURCE_MESSAGE_ID: { DataType: 'String', StringValue: 'bad-json' },
          RECEIVE_COUNT: { DataType: 'Number', StringValue: '2' },
        },
      });
      expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    } finally {
      sqs.restore();
      delete process.env.DEAD_LETTER_QUEUE_URL;
    }
  });

  it('an invalid request is still started (ValidateRequest reports it); without a tenant id its name is request-<hash>', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
    const noTenant = { aws: { accountId: 'nope' } };
    const badTenant = { tenantId: 'Bad Tenant!', extra: true };
    // Act
    const out = await handler(batch(record('m1', JSON.stringify(requestEvent(noTenant))), record('m2', JSON.stringify(requestEvent(badTenant)))));
    // Assess
    expect(out).toEqual({ batchItemFailures: [] });
    const starts = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(starts).toEqual([
      { stateMachineArn: SM, name: executionNameFor(noTenant), input: JSON.stringify(noTenant) },
      { stateMachineArn: SM, name: executionNameFor(badTenant), input: JSON.stringify(badTenant) },
    ]);
    expect(starts[0]?.name).toMatch(/^request-[0-9a-f]{12}$/);
    expect(starts[1]?.name).toMatch(/^Bad-Tenant--[0-9a-f]{12}$/);
  });

  it('an empty batch does nothing; a bad environment fails the whole batch (every record is retried)', async () => {
    // Act / Assess
    expect(await handler(batch())).toEqual({ batchItemFailures: [] });
    delete process.env.ONBOARDING_STATE_MACHINE_ARN;
    await expect(handler(batch(record('m1', JSON.stringify(requestEvent(REQUEST)))))).rejects.toThrow(
      /Invalid Lambda environment: ONBOARDING_STATE_MACHINE_ARN/,
    );
    process.env.ONBOARDING_STATE_MACHINE_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:nope';
    expect(() => loadStarterEnv()).toThrow(/must be a Step Functions state machine ARN/);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('uses a client in the state machine region', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
    // Act
    await handler(batch(record('m1', JSON.stringify(requestEvent(REQUEST)))));
    // Assess
    const client = sfn.send.thisValues[0] as SFNClient | undefined;
    expect(await client?.config.region()).toBe('eu-west-1');
  });
});
