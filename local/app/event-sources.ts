/**
 * The app's Lambda event source mappings from SQS (`AWS::Lambda::EventSourceMapping` with an SQS EventSourceArn), run
 * as the Lambda service runs them, through the sandbox's own SQS API:
 *
 * - a poller per mapping receives from the queue (ReceiveMessage, up to BatchSize, long polling) AS THE FUNCTION'S
 *   ROLE (a session of it assumed by lambda.amazonaws.com: the role's sqs:ReceiveMessage / DeleteMessage /
 *   ChangeMessageVisibility grants are evaluated);
 * - the batch is invoked as one SQS event (`Records` with messageId, receiptHandle, body, attributes,
 *   messageAttributes, md5OfBody, eventSource `aws:sqs`, eventSourceARN, awsRegion);
 * - success: the batch is deleted, except, with `ReportBatchItemFailures`, the messages the function names in
 *   `batchItemFailures` (an invalid response fails the whole batch, as Lambda does); a function error: nothing is
 *   deleted;
 * - a message not deleted becomes visible again after the queue's visibility timeout and is received again; once
 *   the queue's RedrivePolicy maxReceiveCount is exceeded, SQS moves it to the dead-letter queue.
 *
 * Time compression (local only): `redeliveryDelaySeconds` makes a failed message visible again after that many seconds
 * (ChangeMessageVisibility) instead of the queue's visibility timeout (the request queue's is 4 minutes: five receives
 * before the dead-letter queue would take 20 minutes).
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { RunningSandbox } from '../aws';
import type { LocalFunction } from '../runner/template';
import type { AppInvocation, AppRuntime } from './runtime';

export interface SqsEventSource {
  logicalId: string;
  queueArn: string;
  queueUrl: string;
  fn: LocalFunction;
  batchSize: number;
  reportBatchItemFailures: boolean;
  enabled: boolean;
}

export interface EventSourceOptions {
  /** Local time compression: a failed message is visible again after this many seconds (default: the queue's visibility timeout). */
  redeliveryDelaySeconds?: number;
  onError?: (message: string) => void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

/** Lambda's shape of a message attribute (camel case keys). */
function lambdaAttribute(a: MessageAttributeValue): SQSRecord['messageAttributes'][string] {
  return {
    dataType: a.DataType ?? 'String',
    ...(a.StringValue !== undefined ? { stringValue: a.StringValue } : {}),
    ...(a.BinaryValue !== undefined ? { binaryValue: Buffer.from(a.BinaryValue).toString('base64') } : {}),
    stringListValues: a.StringListValues ?? [],
    binaryListValues: (a.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
  };
}

export function sqsRecord(m: Message, source: { queueArn: string; region: string }): SQSRecord {
  const attrs = m.Attributes ?? {};
  return {
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attrs.ApproximateReceiveCount ?? '1',
      SentTimestamp: attrs.SentTimestamp ?? String(Date.now()),
      SenderId: attrs.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: attrs.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(attrs.AWSTraceHeader !== undefined ? { AWSTraceHeader: attrs.AWSTraceHeader } : {}),
      ...(attrs.MessageGroupId !== undefined ? { MessageGroupId: attrs.MessageGroupId } : {}),
      ...(attrs.MessageDeduplicationId !== undefined ? { MessageDeduplicationId: attrs.MessageDeduplicationId } : {}),
      ...(attrs.SequenceNumber !== undefined ? { SequenceNumber: attrs.SequenceNumber } : {}),
    },
    messageAttributes: Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, lambdaAttribute(v)])),
    md5OfBody: m.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: source.queueArn,
    awsRegion: source.region,
  };
}

/**
 * The message ids to keep (not delete) after an invocation: all of them for a function error or an invalid partial
 * batch response; the named ones with ReportBatchItemFailures; none otherwise.
 */
export function failedMessageIds(inv: AppInvocation, records: readonly SQSRecord[], reportBatchItemFailures: boolean): Set<string> {
  const all = new Set(records.map((r) => r.messageId));
  if (inv.status !== 'SUCCEEDED') return all;
  if (!reportBatchItemFailures) return new Set();
  const result = inv.result;
  if (result === null || result === undefined) return new Set();
  if (typeof result !== 'object' || Array.isArray(result)) return all;
  const failures = (result as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return all;
  const out = new Set<string>();
  for (const f of failures) {
    const id = typeof f === 'object' && f !== null ? (f as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    // An empty, missing or unknown identifier: Lambda treats the whole response as a failure.
    if (typeof id !== 'string' || id === '' || !all.has(id)) return all;
    out.add(id);
  }
  return out;
}

/** Runs the pollers until `stop()`. */
export class EventSourcePollers {
  private readonly controller = new AbortController();
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly sandbox: RunningSandbox,
    private readonly runtime: AppRuntime,
    private readonly opts: EventSourceOptions = {},
  ) {}

  start(source: SqsEventSource): void {
    if (!source.enabled) return;
    this.loops.push(this.poll(source));
  }

  private async client(source: SqsEventSource): Promise<{ sqs: SQSClient; expires: number }> {
    const roleArn = source.fn.roleArn;
    if (!roleArn) throw new Error(`function ${source.fn.logicalId} has no execution role`);
    const session = await this.sandbox.serviceSession({
      roleArn,
      service: 'lambda.amazonaws.com',
      sessionName: `esm-${source.fn.functionName}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64),
      sourceArn: source.fn.arn,
    });
    const sqs = new SQSClient({
      endpoint: this.sandbox.endpoint,
      region: this.sandbox.region,
      credentials: { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey, sessionToken: session.sessionToken },
      maxAttempts: 1,
    });
    const expires = Date.parse(String(session.expiration)) || Date.now() + 15 * 60_000;
    return { sqs, expires };
  }

  private async poll(source: SqsEventSource): Promise<void> {
    const signal = this.controller.signal;
    let current: { sqs: SQSClient; expires: number } | undefined;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (!current || current.expires - Date.now() < 60_000) {
          current?.sqs.destroy();
          current = await this.client(source);
        }
        const { sqs } = current;
        const started = Date.now();
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: source.queueUrl,
            MaxNumberOfMessages: Math.min(10, Math.max(1, source.batchSize)),
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: signal },
        );
        failures = 0;
        const messages = out.Messages ?? [];
        if (messages.length === 0) {
          // A service that answers at once (no long polling) is not hammered.
          if (Date.now() - started < 200) await sleep(200, signal);
          continue;
        }
        if (signal.aborted) break;
        const records = messages.map((m) => sqsRecord(m, { queueArn: source.queueArn, region: this.sandbox.region }));
        const inv = await this.runtime.invoke(source.fn, { Records: records }, `sqs:${source.queueArn}`);
        const keep = failedMessageIds(inv, records, source.reportBatchItemFailures);
        const done = records.filter((r) => !keep.has(r.messageId));
        for (let i = 0; i < done.length; i += 10) {
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: source.queueUrl,
              Entries: done.slice(i, i + 10).map((r, n) => ({ Id: String(n), ReceiptHandle: r.receiptHandle })),
            }),
          );
        }
        const again = records.filter((r) => keep.has(r.messageId));
        if (again.length > 0 && this.opts.redeliveryDelaySeconds !== undefined) {
          await sqs.send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: source.queueUrl,
              Entries: again.map((r, n) => ({ Id: String(n), ReceiptHandle: r.receiptHandle, VisibilityTimeout: this.opts.redeliveryDelaySeconds })),
            }),
          );
        }
      } catch (e) {
        if (signal.aborted) break;
        failures += 1;
        // A session the sandbox no longer accepts (restarted, propagation) is made again.
        current?.sqs.destroy();
        current = undefined;
        if (failures === 1 || failures % 30 === 0) {
          this.opts.onError?.(`event source mapping ${source.logicalId} (${source.queueArn}): ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
        }
        await sleep(Math.min(5000, 250 * failures), signal);
      }
    }
    current?.sqs.destroy();
  }

  async stop(): Promise<void> {
    this.controller.abort();
    await Promise.all(this.loops);
  }
}
