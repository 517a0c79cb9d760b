/**
 * The sandbox's SQS (local/aws/services/sqs) through the real SDK v3 client (AWS JSON 1.0, query-compatible errors) and
 * the AWS CLI: queues and their attributes, messages with the digests the SDK checks, visibility and redelivery, long
 * polling, redrive to a dead-letter queue and a move task back, deliveries from other services through kernel.targets
 * (queue policy for a service principal, or a role it assumes), IAM and cross-account authorization, purge, FIFO,
 * the state file and stopping with a long poll open. Every test uses its own queues.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, PutRolePolicyCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import {
  AddPermissionCommand,
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListMessageMoveTasksCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../local/aws/core/types';
import { allowPolicy, expectAwsError, iamClient, keysOf, rawRequest, start, trustPolicy, type Keys } from './core-fixtures';

const run = promisify(execFile);
let sb: RunningSandbox;
const sqs = (keys: Keys = keysOf(sb), s: RunningSandbox = sb) => new SQSClient({ endpoint: s.endpoint, region: 'us-east-1', credentials: keys, maxAttempts: 1 });

async function queue(c: SQSClient, name: string, attributes?: Record<string, string>): Promise<{ url: string; arn: string }> {
  const url = (await c.send(new CreateQueueCommand({ QueueName: name, ...(attributes ? { Attributes: attributes } : {}) }))).QueueUrl ?? '';
  return { url, arn: `arn:aws:sqs:us-east-1:${sb.accountId}:${name}` };
}

async function attrs(c: SQSClient, url: string): Promise<Record<string, string>> {
  return (await c.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
}

/** An independent implementation of SQS's message attribute digest (sorted names; length-prefixed name, type, transport byte, value). */
function attributeDigest(attributes: Record<string, MessageAttributeValue>): string {
  const h = createHash('md5');
  const field = (b: Buffer) => {
    const n = Buffer.alloc(4);
    n.writeUInt32BE(b.length);
    h.update(n);
    h.update(b);
  };
  for (const name of Object.keys(attributes).sort()) {
    const a = attributes[name] as MessageAttributeValue;
    field(Buffer.from(name));
    field(Buffer.from(a.DataType ?? ''));
    if (a.BinaryValue !== undefined) {
      h.update(Buffer.from([2]));
      field(Buffer.from(a.BinaryValue));
    } else {
      h.update(Buffer.from([1]));
      field(Buffer.from(a.StringValue ?? ''));
    }
  }
  return h.digest('hex');
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  sb = await start();
});
afterAll(async () => {
  await sb?.stop();
});

describe('SQS queues', () => {
  it('create, idempotent create, URL, attributes, list by prefix, delete', async () => {
    const c = sqs();
    const { url, arn } = await queue(c, 'orders', { VisibilityTimeout: '45', DelaySeconds: '0' });
    expect(url).toBe(`${sb.endpoint}/${sb.accountId}/orders`);
    // The same attributes again: the same queue; a different value: QueueNameExists (query code QueueAlreadyExists).
    expect((await c.send(new CreateQueueCommand({ QueueName: 'orders', Attributes: { VisibilityTimeout: '45' } }))).QueueUrl).toBe(url);
    const exists = await expectAwsError(c.send(new CreateQueueCommand({ QueueName: 'orders', Attributes: { VisibilityTimeout: '30' } })), 'QueueNameExists', 400, /VisibilityTimeout/);
    expect((exists as unknown as { Code?: string }).Code).toBe('QueueAlreadyExists');
    expect((await c.send(new GetQueueUrlCommand({ QueueName: 'orders' }))).QueueUrl).toBe(url);

    const a = await attrs(c, url);
    expect(a).toMatchObject({
      QueueArn: arn,
      VisibilityTimeout: '45',
      MessageRetentionPeriod: '345600',
      DelaySeconds: '0',
      ReceiveMessageWaitTimeSeconds: '0',
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      SqsManagedSseEnabled: 'true',
    });
    expect(a.Policy).toBeUndefined();
    expect(Math.abs(Number(a.CreatedTimestamp) - Date.now() / 1000)).toBeLessThan(5);
    const only = await c.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
    expect(only.Attributes).toEqual({ QueueArn: arn });

    await c.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { MessageRetentionPeriod: '600', KmsMasterKeyId: 'alias/aws/sqs' } }));
    expect(await attrs(c, url)).toMatchObject({ MessageRetentionPeriod: '600', KmsMasterKeyId: 'alias/aws/sqs', SqsManagedSseEnabled: 'false', KmsDataKeyReusePeriodSeconds: '300' });
    await expectAwsError(c.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '43201' } })), 'InvalidAttributeValue', 400);
    const unknownAttribute: Record<string, string> = { Colour: 'blue' };
    await expectAwsError(c.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: unknownAttribute })), 'InvalidAttributeName', 400);
    await expectAwsError(c.send(new CreateQueueCommand({ QueueName: 'bad name' })), 'InvalidParameterValue', 400);

    await queue(c, 'orders-two');
    await queue(c, 'invoices');
    const listed = await c.send(new ListQueuesCommand({ QueueNamePrefix: 'orders' }));
    expect(listed.QueueUrls).toEqual([url, `${sb.endpoint}/${sb.accountId}/orders-two`]);
    expect((await c.send(new ListQueuesCommand({ QueueNamePrefix: 'nothing-' }))).QueueUrls).toBeUndefined();
    expect(sb.inventory()[sb.accountId]?.queues).toEqual(expect.arrayContaining(['us-east-1/orders', 'us-east-1/invoices']));

    await c.send(new DeleteQueueCommand({ QueueUrl: url }));
    const gone = await expectAwsError(c.send(new GetQueueUrlCommand({ QueueName: 'orders' })), 'QueueDoesNotExist', 400, 'The specified queue does not exist.');
    expect(gone).toBeInstanceOf(QueueDoesNotExist);
    expect((gone as unknown as { Code?: string }).Code).toBe('AWS.SimpleQueueService.NonExistentQueue');
    await expectAwsError(c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' })), 'QueueDoesNotExist', 400);
    expect(sb.inventory()[sb.accountId]?.queues).not.toContain('us-east-1/orders');
    c.destroy();
  });
});

describe('SQS messages', () => {
  it('send (single and batch), receive with attributes and the digests the SDK checks, delete', async () => {
    const c = sqs();
    const { url } = await queue(c, 'messages');
    const body = 'héllo wörld ✓ 𝄞';
    const attributes: Record<string, MessageAttributeValue> = {
      Kind: { DataType: 'String', StringValue: 'order' },
      Count: { DataType: 'Number', StringValue: '42' },
      Blob: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 2, 250]) },
      'trace.id': { DataType: 'String.custom', StringValue: 'abc' },
    };
    // The SDK itself rejects a response whose MD5OfMessageBody does not match the body it sent.
    const sent = await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageAttributes: attributes, MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: 'Root=1-5759e988-bd862e3fe1be46a994272793' } } }));
    expect(sent.MD5OfMessageBody).toBe(md5(body));
    expect(sent.MD5OfMessageAttributes).toBe(attributeDigest(attributes));
    expect(sent.MD5OfMessageSystemAttributes).toBe(attributeDigest({ AWSTraceHeader: { DataType: 'String', StringValue: 'Root=1-5759e988-bd862e3fe1be46a994272793' } }));
    expect(sent.MessageId).toMatch(/^[0-9a-f-]{36}$/);

    const batch = await c.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'a', MessageBody: 'first' },
          { Id: 'b', MessageBody: 'bad \u0000 character' },
          { Id: 'c', MessageBody: 'second', DelaySeconds: 0 },
        ],
      }),
    );
    expect(batch.Successful?.map((s) => [s.Id, s.MD5OfMessageBody])).toEqual([['a', md5('first')], ['c', md5('second')]]);
    expect(batch.Failed).toEqual([expect.objectContaining({ Id: 'b', SenderFault: true, Code: 'InvalidMessageContents' })]);
    expect((await attrs(c, url)).ApproximateNumberOfMessages).toBe('3');

    // The SDK checks MD5OfBody of every received message as well.
    const got = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }));
    expect(got.Messages?.map((m) => m.Body)).toEqual([body, 'first', 'second']);
    const first = got.Messages?.[0];
    expect(first?.MessageId).toBe(sent.MessageId);
    expect(first?.MD5OfBody).toBe(md5(body));
    expect(first?.MessageAttributes?.Blob?.BinaryValue).toEqual(new Uint8Array([0, 1, 2, 250]));
    expect(first?.MessageAttributes?.Count).toEqual({ DataType: 'Number', StringValue: '42' });
    expect(first?.MD5OfMessageAttributes).toBe(attributeDigest(first?.MessageAttributes ?? {}));
    expect(first?.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(first?.Attributes).toMatchObject({ ApproximateReceiveCount: '1', SenderId: sb.accountId, AWSTraceHeader: 'Root=1-5759e988-bd862e3fe1be46a994272793' });
    expect(Math.abs(Number(first?.Attributes?.SentTimestamp) - Date.now())).toBeLessThan(5000);
    expect(Number(first?.Attributes?.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(Number(first?.Attributes?.SentTimestamp));
    // A message without attributes has neither attributes nor their digest.
    expect(got.Messages?.[1]?.MessageAttributes).toBeUndefined();
    expect(got.Messages?.[1]?.MD5OfMessageAttributes).toBeUndefined();

    expect(await attrs(c, url)).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '3' });
    await c.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first?.ReceiptHandle ?? '' }));
    const rest = await c.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: (got.Messages ?? []).slice(1).map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle ?? '' })) }));
    expect(rest.Successful).toHaveLength(2);
    expect(await attrs(c, url)).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });

    await expectAwsError(c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 })), 'InvalidParameterValue', 400, /MaxNumberOfMessages/);
    await expectAwsError(c.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'not-a-handle' })), 'ReceiptHandleIsInvalid', 404);
    await expectAwsError(c.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [] })), 'EmptyBatchRequest', 400);
    await expectAwsError(c.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'x', MessageBody: '1' }, { Id: 'x', MessageBody: '2' }] })), 'BatchEntryIdsNotDistinct', 400);
    c.destroy();
  });

  it('visibility timeout: an unacknowledged message comes back; ChangeMessageVisibility; an older receipt handle no longer controls it', async () => {
    const c = sqs();
    const { url } = await queue(c, 'visibility');
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'again' }));
    const r1 = await c.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 1, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    expect(r1.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect((await c.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();
    await sleep(1100);
    const r2 = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    const m = r2.Messages?.[0];
    expect(m?.MessageId).toBe(r1.Messages?.[0]?.MessageId);
    expect(m?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(m?.ReceiptHandle).not.toBe(r1.Messages?.[0]?.ReceiptHandle);

    // The first receipt handle: the delete succeeds but the message (received again since) stays.
    await c.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: r1.Messages?.[0]?.ReceiptHandle ?? '' }));
    expect((await attrs(c, url)).ApproximateNumberOfMessagesNotVisible).toBe('1');
    await expectAwsError(c.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: r1.Messages?.[0]?.ReceiptHandle ?? '', VisibilityTimeout: 0 })), 'InvalidParameterValue', 400, /Message does not exist or is not available/);

    // Visible again at once; a message that is not in flight cannot have its visibility changed.
    await c.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m?.ReceiptHandle ?? '', VisibilityTimeout: 0 }));
    await expectAwsError(c.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m?.ReceiptHandle ?? '', VisibilityTimeout: 10 })), 'MessageNotInflight', 400);
    const r3 = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    expect(r3.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('3');
    const batch = await c.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: [{ Id: 'ok', ReceiptHandle: r3.Messages?.[0]?.ReceiptHandle ?? '', VisibilityTimeout: 60 }, { Id: 'bad', ReceiptHandle: 'garbage', VisibilityTimeout: 5 }] }));
    expect(batch.Successful).toEqual([{ Id: 'ok' }]);
    expect(batch.Failed).toEqual([expect.objectContaining({ Id: 'bad', Code: 'ReceiptHandleIsInvalid', SenderFault: true })]);
    await c.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: r3.Messages?.[0]?.ReceiptHandle ?? '' }));
    expect(await attrs(c, url)).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    c.destroy();
  });

  it('long polling answers as soon as a message arrives, and waits out WaitTimeSeconds otherwise', async () => {
    const c = sqs();
    const { url } = await queue(c, 'long-poll');
    const started = Date.now();
    const polling = c.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10 }));
    await sleep(300);
    await sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'wake up' }));
    const got = await polling;
    expect(got.Messages?.[0]?.Body).toBe('wake up');
    expect(Date.now() - started).toBeLessThan(3000);

    const emptyStart = Date.now();
    expect((await c.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }))).Messages).toBeUndefined();
    expect(Date.now() - emptyStart).toBeGreaterThanOrEqual(900);

    // A delayed message ends the poll when its delay is over.
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later', DelaySeconds: 1 }));
    expect((await attrs(c, url)).ApproximateNumberOfMessagesDelayed).toBe('1');
    const delayed = await c.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5 }));
    expect(delayed.Messages?.[0]?.Body).toBe('later');
    c.destroy();
  });

  it('purge empties the queue once per 60 seconds', async () => {
    const c = sqs();
    const { url } = await queue(c, 'purged');
    await c.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [1, 2, 3].map((i) => ({ Id: `e${i}`, MessageBody: `m${i}` })) }));
    await c.send(new ReceiveMessageCommand({ QueueUrl: url }));
    await c.send(new PurgeQueueCommand({ QueueUrl: url }));
    expect(await attrs(c, url)).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    await expectAwsError(c.send(new PurgeQueueCommand({ QueueUrl: url })), 'PurgeQueueInProgress', 403);
    c.destroy();
  });

  it('FIFO: group id required, content-based deduplication, order within a group, sequence numbers', async () => {
    const c = sqs();
    const { url } = await queue(c, 'jobs.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    await expectAwsError(c.send(new CreateQueueCommand({ QueueName: 'jobs', Attributes: { FifoQueue: 'true' } })), 'InvalidParameterValue', 400);
    await expectAwsError(c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' })), 'MissingParameter', 400);
    const a = await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'one', MessageGroupId: 'g' }));
    const dup = await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'one', MessageGroupId: 'g' }));
    expect(dup.MessageId).toBe(a.MessageId);
    const b = await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'two', MessageGroupId: 'g' }));
    expect(BigInt(b.SequenceNumber ?? '0')).toBeGreaterThan(BigInt(a.SequenceNumber ?? '0'));
    const first = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['MessageGroupId', 'SequenceNumber'] }));
    expect(first.Messages?.[0]?.Body).toBe('one');
    expect(first.Messages?.[0]?.Attributes).toMatchObject({ MessageGroupId: 'g', SequenceNumber: a.SequenceNumber });
    // "two" waits while "one" of the same group is in flight.
    expect((await c.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();
    await c.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.Messages?.[0]?.ReceiptHandle ?? '' }));
    expect((await c.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages?.[0]?.Body).toBe('two');
    c.destroy();
  });
});

describe('SQS dead-letter queues', () => {
  it('a message received maxReceiveCount times moves to the DLQ on the next receive; a move task returns it', async () => {
    const c = sqs();
    const dlq = await queue(c, 'work-dlq');
    await expectAwsError(
      c.send(new CreateQueueCommand({ QueueName: 'orphan', Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:us-east-1:${sb.accountId}:missing-dlq`, maxReceiveCount: 2 }) } })),
      'InvalidParameterValue',
      400,
      /does not exist/,
    );
    const src = await queue(c, 'work', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: '2' }) });
    expect(JSON.parse((await attrs(c, src.url)).RedrivePolicy ?? '{}')).toEqual({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 });
    expect((await c.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq.url }))).queueUrls).toEqual([src.url]);

    const sent = await c.send(new SendMessageCommand({ QueueUrl: src.url, MessageBody: 'poison', MessageAttributes: { Kind: { DataType: 'String', StringValue: 'bad' } } }));
    for (const count of ['1', '2']) {
      const r = await c.send(new ReceiveMessageCommand({ QueueUrl: src.url, VisibilityTimeout: 0, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
      expect(r.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe(count);
    }
    // The third receive finds it past maxReceiveCount: it goes to the DLQ instead of being delivered.
    expect((await c.send(new ReceiveMessageCommand({ QueueUrl: src.url }))).Messages).toBeUndefined();
    expect((await attrs(c, src.url)).ApproximateNumberOfMessages).toBe('0');
    expect((await attrs(c, dlq.url)).ApproximateNumberOfMessages).toBe('1');
    const dead = await c.send(new ReceiveMessageCommand({ QueueUrl: dlq.url, VisibilityTimeout: 0, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }));
    expect(dead.Messages?.[0]).toMatchObject({ MessageId: sent.MessageId, Body: 'poison', MessageAttributes: { Kind: { DataType: 'String', StringValue: 'bad' } } });
    expect(dead.Messages?.[0]?.Attributes?.DeadLetterQueueSourceArn).toBe(src.arn);

    await expectAwsError(c.send(new StartMessageMoveTaskCommand({ SourceArn: src.arn })), 'InvalidParameterValue', 400, /Dead Letter Queue/);
    const task = await c.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn }));
    expect(task.TaskHandle).toBeTruthy();
    const tasks = await c.send(new ListMessageMoveTasksCommand({ SourceArn: dlq.arn }));
    expect(tasks.Results?.[0]).toMatchObject({ Status: 'COMPLETED', SourceArn: dlq.arn, ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 1 });
    expect((await attrs(c, dlq.url)).ApproximateNumberOfMessages).toBe('0');
    const back = await c.send(new ReceiveMessageCommand({ QueueUrl: src.url, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    expect(back.Messages?.[0]).toMatchObject({ Body: 'poison', Attributes: { ApproximateReceiveCount: '1' } });

    // Or to a destination of one's choice.
    const other = await queue(c, 'work-replay');
    await c.send(new ChangeMessageVisibilityCommand({ QueueUrl: src.url, ReceiptHandle: back.Messages?.[0]?.ReceiptHandle ?? '', VisibilityTimeout: 0 }));
    for (let i = 0; i < 2; i++) await c.send(new ReceiveMessageCommand({ QueueUrl: src.url, VisibilityTimeout: 0 }));
    expect((await attrs(c, dlq.url)).ApproximateNumberOfMessages).toBe('1');
    await c.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: other.arn, MaxNumberOfMessagesPerSecond: 5 }));
    expect((await c.send(new ReceiveMessageCommand({ QueueUrl: other.url }))).Messages?.[0]?.Body).toBe('poison');
    expect((await c.send(new ListMessageMoveTasksCommand({ SourceArn: dlq.arn, MaxResults: 10 }))).Results).toHaveLength(2);
    c.destroy();
  });
});

describe('SQS deliveries from other services (kernel.targets)', () => {
  const ruleArn = () => `arn:aws:events:us-east-1:${sb.accountId}:rule/onboarding`;

  it('a queue policy allowing events.amazonaws.com for one rule (aws:SourceArn) admits that rule only', async () => {
    const c = sqs();
    const { url, arn } = await queue(c, 'event-target');
    const delivery = { arn, input: '{"detail-type":"Tenant"}', via: 'events.amazonaws.com', sourceArn: ruleArn(), sourceAccount: sb.accountId };
    expect(await sb.kernel.targets.deliver(delivery)).toMatchObject({ ok: false, code: 'AccessDenied', retryable: false });
    const policy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: arn, Condition: { ArnEquals: { 'aws:SourceArn': ruleArn() } } }],
    };
    await c.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: JSON.stringify(policy) } }));
    const ok = await sb.kernel.targets.deliver(delivery);
    expect(ok).toMatchObject({ ok: true, id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const other = await sb.kernel.targets.deliver({ ...delivery, sourceArn: `arn:aws:events:us-east-1:${sb.accountId}:rule/someone-else` });
    expect(other).toMatchObject({ ok: false, code: 'AccessDenied', retryable: false });
    const missing = await sb.kernel.targets.deliver({ ...delivery, arn: `arn:aws:sqs:us-east-1:${sb.accountId}:no-such-queue` });
    expect(missing).toMatchObject({ ok: false, code: 'QueueDoesNotExist', retryable: false });

    const got = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['SenderId'] }));
    expect(got.Messages?.map((m) => m.Body)).toEqual(['{"detail-type":"Tenant"}']);
    expect(got.Messages?.[0]?.MessageId).toBe(ok.ok ? ok.id : undefined);
    expect(got.Messages?.[0]?.Attributes?.SenderId).toMatch(/^AIDA[A-Z2-7]{17}$/);
    c.destroy();
  });

  it('a delivery\'s message attributes (a dead-letter reason from EventBridge or Scheduler) arrive with the message', async () => {
    const c = sqs();
    const { url, arn } = await queue(c, 'dead-letters');
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: arn }] };
    await c.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: JSON.stringify(policy) } }));
    const parameters = {
      MessageAttributes: {
        ERROR_CODE: { DataType: 'String', StringValue: 'SQS.AccessDenied' },
        RETRY_ATTEMPTS: { DataType: 'Number', StringValue: '0' },
      },
    };
    const ok = await sb.kernel.targets.deliver({ arn, input: '{"id":"e-1"}', via: 'events.amazonaws.com', sourceArn: ruleArn(), sourceAccount: sb.accountId, parameters });
    expect(ok).toMatchObject({ ok: true });
    const got = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ['All'] }));
    expect(got.Messages?.[0]?.MessageAttributes).toEqual(parameters.MessageAttributes);
    c.destroy();
  });

  it('with a roleArn: the role must trust the service and allow sqs:SendMessage; no credentials are left behind', async () => {
    const c = sqs();
    const { url, arn } = await queue(c, 'schedule-target');
    const iam = iamClient(sb);
    await iam.send(new CreateRoleCommand({ RoleName: 'scheduler-to-sqs', AssumeRolePolicyDocument: trustPolicy({ Service: 'scheduler.amazonaws.com' }) }));
    await iam.send(new CreateRoleCommand({ RoleName: 'scheduler-no-perm', AssumeRolePolicyDocument: trustPolicy({ Service: 'scheduler.amazonaws.com' }) }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'scheduler-to-sqs', PolicyName: 'send', PolicyDocument: allowPolicy('sqs:SendMessage', arn) }));
    const delivery = {
      arn,
      input: 'tick',
      via: 'scheduler.amazonaws.com',
      roleArn: `arn:aws:iam::${sb.accountId}:role/scheduler-to-sqs`,
      sourceArn: `arn:aws:scheduler:us-east-1:${sb.accountId}:schedule/default/tick`,
      sourceAccount: sb.accountId,
    };
    const sessions: Array<{ accessKeyId?: string; issuer?: string; allowed: boolean }> = [];
    const unsubscribe = sb.onAuthorize((e) => {
      if (e.action === 'sqs:SendMessage' && e.resource === arn) sessions.push({ accessKeyId: e.principal.accessKeyId, issuer: e.principal.issuer?.arn, allowed: e.allowed });
    });
    expect(await sb.kernel.targets.deliver(delivery)).toMatchObject({ ok: true });
    expect(await sb.kernel.targets.deliver({ ...delivery, roleArn: `arn:aws:iam::${sb.accountId}:role/scheduler-no-perm` })).toMatchObject({ ok: false, code: 'AccessDenied' });
    // events.amazonaws.com is not trusted by the role.
    expect(await sb.kernel.targets.deliver({ ...delivery, via: 'events.amazonaws.com' })).toMatchObject({ ok: false, code: 'AccessDenied', retryable: false });
    unsubscribe();
    // Decided as sessions the scheduler created; the sessions' credentials are gone after their delivery.
    expect(sessions.map((x) => [x.issuer, x.allowed])).toEqual([['scheduler.amazonaws.com', true], ['scheduler.amazonaws.com', false]]);
    for (const x of sessions) expect(sb.kernel.credentials.lookup(x.accessKeyId ?? '')).toBeUndefined();
    const got = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['SenderId'] }));
    expect(got.Messages?.map((m) => m.Body)).toEqual(['tick']);
    expect(got.Messages?.[0]?.Attributes?.SenderId).toMatch(/^AROA[A-Z2-7]+:scheduler-sqs-delivery$/);
    iam.destroy();
    c.destroy();
  });
});

describe('SQS authorization', () => {
  it('an IAM user acts only where its policy allows; another account needs the queue policy', async () => {
    const c = sqs();
    const allowed = await queue(c, 'auth-allowed');
    const other = await queue(c, 'auth-other');
    const iam = iamClient(sb);
    await iam.send(new CreateUserCommand({ UserName: 'sqs-sender' }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'sqs-sender', PolicyName: 'p', PolicyDocument: allowPolicy('sqs:SendMessage', allowed.arn) }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'sqs-sender' }))).AccessKey;
    const user = sqs({ accessKeyId: key?.AccessKeyId ?? '', secretAccessKey: key?.SecretAccessKey ?? '' });
    await user.send(new SendMessageCommand({ QueueUrl: allowed.url, MessageBody: 'from the user' }));
    const denied = await expectAwsError(
      user.send(new ReceiveMessageCommand({ QueueUrl: allowed.url })),
      'AccessDenied',
      403,
      new RegExp(`User: arn:aws:iam::${sb.accountId}:user/sqs-sender is not authorized to perform: sqs:receivemessage on resource: ${allowed.arn}`),
    );
    expect((denied as unknown as { Code?: string }).Code).toBe('AccessDenied');
    await expectAwsError(user.send(new SendMessageCommand({ QueueUrl: other.url, MessageBody: 'x' })), 'AccessDenied', 403);
    // Denied before the existence check: a missing queue is not revealed.
    await expectAwsError(user.send(new SendMessageCommand({ QueueUrl: `${sb.endpoint}/${sb.accountId}/auth-missing`, MessageBody: 'x' })), 'AccessDenied', 403);
    const got = await c.send(new ReceiveMessageCommand({ QueueUrl: allowed.url, MessageSystemAttributeNames: ['SenderId'] }));
    expect(got.Messages?.[0]?.Attributes?.SenderId).toMatch(/^AIDA/);

    // Another account's root: denied until the queue policy lets that account in (AddPermission).
    const member = sb.createAccount('222233334444');
    const outsider = sqs({ accessKeyId: member.accessKeyId, secretAccessKey: member.secretAccessKey });
    await expectAwsError(outsider.send(new SendMessageCommand({ QueueUrl: other.url, MessageBody: 'x' })), 'AccessDenied', 403, /resource-based policy/);
    await expectAwsError(outsider.send(new GetQueueUrlCommand({ QueueName: 'auth-other', QueueOwnerAWSAccountId: sb.accountId })), 'AccessDenied', 403);
    await c.send(new AddPermissionCommand({ QueueUrl: other.url, Label: 'member-send', AWSAccountIds: ['222233334444'], Actions: ['SendMessage', 'GetQueueUrl'] }));
    expect((await outsider.send(new GetQueueUrlCommand({ QueueName: 'auth-other', QueueOwnerAWSAccountId: sb.accountId }))).QueueUrl).toBe(other.url);
    await outsider.send(new SendMessageCommand({ QueueUrl: other.url, MessageBody: 'cross-account' }));
    await expectAwsError(outsider.send(new ReceiveMessageCommand({ QueueUrl: other.url })), 'AccessDenied', 403);
    expect((await c.send(new ReceiveMessageCommand({ QueueUrl: other.url }))).Messages?.[0]?.Body).toBe('cross-account');
    expect(await c.send(new ListQueueTagsCommand({ QueueUrl: other.url }))).not.toHaveProperty('Tags');
    user.destroy();
    outsider.destroy();
    iam.destroy();
    c.destroy();
  });
});

describe('SQS wire protocol, state and shutdown', () => {
  const awsCli = (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, 'aws')));

  it.runIf(awsCli)('the AWS CLI sends and receives over the JSON protocol and reads SQS errors', async () => {
    const c = sqs();
    const { url } = await queue(c, 'cli-queue');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_ACCESS_KEY_ID: sb.accessKeyId,
      AWS_SECRET_ACCESS_KEY: sb.secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    delete env.AWS_ENDPOINT_URL;
    delete env.AWS_PROFILE;
    delete env.AWS_SESSION_TOKEN;
    const cli = (...args: string[]) => run('aws', ['sqs', ...args, '--endpoint-url', sb.endpoint, '--output', 'json'], { env, timeout: 20_000 });
    const sent = JSON.parse(
      (await cli('send-message', '--queue-url', url, '--message-body', 'from the cli', '--message-attributes', '{"Source":{"DataType":"String","StringValue":"cli"}}')).stdout,
    ) as { MessageId: string; MD5OfMessageBody: string; MD5OfMessageAttributes: string };
    expect(sent.MD5OfMessageBody).toBe(md5('from the cli'));
    expect(sent.MD5OfMessageAttributes).toBe(attributeDigest({ Source: { DataType: 'String', StringValue: 'cli' } }));
    const got = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ['All'] }));
    expect(got.Messages?.[0]).toMatchObject({ MessageId: sent.MessageId, Body: 'from the cli', MessageAttributes: { Source: { StringValue: 'cli' } } });
    const missing = await cli('get-queue-url', '--queue-name', 'cli-missing').then(
      () => undefined,
      (e: unknown) => e as { code?: number; stderr?: string },
    );
    expect(missing?.code).toBe(255);
    expect(missing?.stderr).toContain('AWS.SimpleQueueService.NonExistentQueue');
    c.destroy();
  });

  it('answers JSON 1.0 with the query-compatible error header', async () => {
    const headers = { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.GetQueueUrl', 'x-amzn-query-mode': 'true' };
    const missing = await rawRequest(sb, { service: 'sqs', headers, body: JSON.stringify({ QueueName: 'raw-missing' }) });
    expect(missing.status).toBe(400);
    expect(missing.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(missing.headers.get('x-amzn-query-error')).toBe('AWS.SimpleQueueService.NonExistentQueue;Sender');
    expect(JSON.parse(missing.text)).toEqual({ __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' });
    const created = await rawRequest(sb, { service: 'sqs', headers: { ...headers, 'x-amz-target': 'AmazonSQS.CreateQueue' }, body: JSON.stringify({ QueueName: 'raw-queue' }) });
    expect(created.status).toBe(200);
    expect(JSON.parse(created.text)).toEqual({ QueueUrl: `${sb.endpoint}/${sb.accountId}/raw-queue` });
    const unknown = await rawRequest(sb, { service: 'sqs', headers: { ...headers, 'x-amz-target': 'AmazonSQS.Frobnicate' }, body: '{}' });
    expect(unknown.status).toBe(400);
  });

  it('queues and messages survive a restart through the state file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqs-state-'));
    const stateFile = join(dir, 'state.json');
    try {
      const first = await start({ stateFile });
      const c1 = sqs(keysOf(first), first);
      const url = (await c1.send(new CreateQueueCommand({ QueueName: 'kept', Attributes: { VisibilityTimeout: '12' } }))).QueueUrl ?? '';
      await c1.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'still here', MessageAttributes: { A: { DataType: 'String', StringValue: 'b' } } }));
      c1.destroy();
      await first.stop();
      const second = await start({ stateFile });
      const c2 = sqs(keysOf(second), second);
      const url2 = (await c2.send(new GetQueueUrlCommand({ QueueName: 'kept' }))).QueueUrl ?? '';
      expect((await c2.send(new GetQueueAttributesCommand({ QueueUrl: url2, AttributeNames: ['VisibilityTimeout'] }))).Attributes).toEqual({ VisibilityTimeout: '12' });
      const got = await c2.send(new ReceiveMessageCommand({ QueueUrl: url2, MessageAttributeNames: ['All'] }));
      expect(got.Messages?.[0]).toMatchObject({ Body: 'still here', MessageAttributes: { A: { StringValue: 'b' } } });
      c2.destroy();
      await second.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('closing the service (as stop does) answers an open long poll at once; stop does not wait for it', async () => {
    const own = await start();
    const c = sqs(keysOf(own), own);
    const url = (await c.send(new CreateQueueCommand({ QueueName: 'waiting' }))).QueueUrl ?? '';
    const started = Date.now();
    const polling = c.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
    await sleep(200);
    await own.services.get('sqs')?.close?.();
    expect((await polling).Messages).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2000);

    const again = c.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 })).then(
      () => 'answered',
      () => 'failed',
    );
    const t0 = Date.now();
    await own.stop();
    expect(['answered', 'failed']).toContain(await again);
    expect(Date.now() - t0).toBeLessThan(2000);
    c.destroy();
  });
});
