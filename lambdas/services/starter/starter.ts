/**
 * The event starter: one SQS batch of request events (message.ts) -> one StartExecution per record, named
 * `executionNameFor(request)` exactly as the CLI names its executions, with the request as input. What Step
 * Functions makes of a repeated name is the deduplication:
 *
 * - started, or the same name + input is still running (StartExecution is idempotent then): delivered;
 * - `ExecutionAlreadyExists` (the same request was started before: a duplicate delivery, a client retrying
 *   PutEvents, or a CLI start of the same request): delivered, logged;
 * - any other error (throttling and 5xx after the SDK's own retries, or a misconfiguration): ONLY that record
 *   fails (`batchItemFailures`); SQS redelivers it after the visibility timeout, and after the queue's
 *   maxReceiveCount receives it moves to the dead-letter queue;
 * - a message that is not an onboarding request event (not JSON, not an object, no object `detail`): permanent,
 *   and handled the same way (failed, so it reaches the dead-letter queue intact after its last receive) instead
 *   of being dropped or needing permissions on the dead-letter queue. EventBridge never delivers such a message
 *   (PutEvents requires a JSON object detail): only a principal sending to the queue directly can.
 *
 * A request that parses but is invalid is started all the same; the workflow's ValidateRequest reports its
 * field-level errors (a request without a usable tenant id is named `request-<hash>`).
 * Records are started concurrently (a batch is at most 10). Logs carry ids and names, never the request.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { executionNameFor } from '../../domain/names';
import { AwsThrottledError, AwsTransientError, classifyAwsError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import { loadStarterEnv, STATE_MACHINE_ARN } from './env';
import { parseRequestMessage } from './message';

export type RecordOutcome =
  | { messageId: string; outcome: 'started'; executionName: string; executionArn: string }
  | { messageId: string; outcome: 'duplicate'; executionName: string; executionArn: string }
  | { messageId: string; outcome: 'failed'; executionName: string; error: string; retryable: boolean }
  | { messageId: string; outcome: 'rejected'; reason: string };

const clients = new Map<string, SFNClient>();
/** One client per region for the container's life; the region is the state machine's. */
function sfnClient(region: string): SFNClient {
  let c = clients.get(region);
  if (!c) {
    c = new SFNClient({ region });
    clients.set(region, c);
  }
  return c;
}

/** Execution ARN of `name` on `stateMachineArn`. */
export const executionArnOf = (stateMachineArn: string, name: string): string =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

const errorName = (e: unknown): string => (e instanceof Error ? e.name : typeof e);
const errorText = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/** Starts the execution of one record; never throws (a failure is that record's outcome). */
export async function startRecord(record: SQSRecord, sfn: SFNClient, stateMachineArn: string): Promise<RecordOutcome> {
  const { messageId } = record;
  const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? '1');
  const parsed = parseRequestMessage(record.body);
  if (!parsed.ok) {
    logger.error('Not an onboarding request event: the message is failed and reaches the dead-letter queue after its last receive', {
      messageId,
      receiveCount,
      reason: parsed.reason,
    });
    return { messageId, outcome: 'rejected', reason: parsed.reason };
  }
  const { request, eventId } = parsed.event;
  const executionName = executionNameFor(request);
  const keys = { messageId, ...(eventId ? { eventId } : {}), executionName, receiveCount };
  try {
    const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: executionName, input: JSON.stringify(request) }));
    const executionArn = out.executionArn ?? executionArnOf(stateMachineArn, executionName);
    logger.info('Started the onboarding execution', { ...keys, executionArn });
    return { messageId, outcome: 'started', executionName, executionArn };
  } catch (e) {
    if (errorName(e) === 'ExecutionAlreadyExists') {
      const executionArn = executionArnOf(stateMachineArn, executionName);
      logger.info('The same request was already started (duplicate event or another start of it): delivered', { ...keys, executionArn });
      return { messageId, outcome: 'duplicate', executionName, executionArn };
    }
    const classified = classifyAwsError(e);
    const retryable = classified instanceof AwsThrottledError || classified instanceof AwsTransientError;
    const log = retryable ? logger.warn.bind(logger) : logger.error.bind(logger);
    log('StartExecution failed: SQS redelivers the message after its visibility timeout (dead-letter queue after the last receive)', {
      ...keys,
      error: errorText(e),
      retryable,
    });
    return { messageId, outcome: 'failed', executionName, error: errorText(e), retryable };
  }
}

/**
 * The handler's work: start every record's execution; the records that were not delivered are the batch item
 * failures (the event source mapping has ReportBatchItemFailures). A bad environment fails the whole batch.
 */
export async function startOnboardings(event: SQSEvent): Promise<SQSBatchResponse> {
  const { ONBOARDING_STATE_MACHINE_ARN: stateMachineArn } = loadStarterEnv();
  const region = STATE_MACHINE_ARN.exec(stateMachineArn)?.[1] as string;
  const sfn = sfnClient(region);
  const records = event.Records ?? [];
  const outcomes = await Promise.all(records.map((r) => startRecord(r, sfn, stateMachineArn)));
  const count = (o: RecordOutcome['outcome']) => outcomes.filter((x) => x.outcome === o).length;
  logger.info('Request batch done', {
    records: records.length,
    started: count('started'),
    duplicates: count('duplicate'),
    failed: count('failed'),
    rejected: count('rejected'),
  });
  return {
    batchItemFailures: outcomes
      .filter((o) => o.outcome === 'failed' || o.outcome === 'rejected')
      .map((o) => ({ itemIdentifier: o.messageId })),
  };
}
