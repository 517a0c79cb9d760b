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
 * - a message that is not an onboarding request event (not JSON, not an object, no object `detail`): permanent. It is
 *   moved to the dead-letter queue at once, intact, with the reason as its REJECTED_REASON attribute (env
 *   DEAD_LETTER_QUEUE_URL; the starter may only send there); if that send fails, or no queue is configured, it is
 *   failed and reaches the dead-letter queue through the redrive after its last receive. EventBridge never delivers
 *   such a message (PutEvents requires a JSON object detail): only a principal sending to the queue directly can.
 *
 * A request that parses but is invalid is started all the same; the workflow's ValidateRequest reports its
 * field-level errors (a request without a usable tenant id is named `request-<hash>`).
 *
 * Account vending (README "Account vending"): an AWS Control Tower / AWS Organizations event announcing a new
 * account (`AWS Service Event via CloudTrail`, lambdas/domain/account-vending.ts) starts an onboarding of the
 * request built from the template (env ACCOUNT_VENDING_REQUEST_TEMPLATE), the tenant id taken from the account's
 * name (looked up with DescribeAccount when the event masks it) or from its tag (ListTagsForResource). Its name is
 * executionNameFor(request, hash of the event id): a redelivered event is one execution, a later event (an
 * UpdateManagedAccount) a new run of the same tenant, which converges. A state other than SUCCEEDED is delivered
 * without an execution (`ignored`); an event whose tenant id cannot be derived is `rejected` (dead-letter queue).
 * Records are started concurrently (a batch is at most 10). Logs carry ids and names, never the request.
 */
import { DescribeAccountCommand, ListTagsForResourceCommand, OrganizationsClient, type Tag } from '@aws-sdk/client-organizations';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createHash } from 'node:crypto';
import {
  isAccountVendingEvent,
  requestFromTemplate,
  tenantIdFromName,
  tenantIdFromTag,
  vendedAccountOf,
  type TenantIdResult,
  type TenantIdSource,
  type VendedAccount,
} from '../../domain/account-vending';
import { ONBOARDING_EVENTS } from '../../domain/event-names';
import { executionNameFor } from '../../domain/names';
import { offboardingExecutionName } from '../../domain/offboarding-request';
import { TENANT_ID } from '../../domain/request';
import { AwsThrottledError, AwsTransientError, classifyAwsError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import { loadStarterEnv, STATE_MACHINE_ARN } from './env';
import { parseRequestMessage, type RequestEvent } from './message';

export type RecordOutcome =
  | { messageId: string; outcome: 'started'; executionName: string; executionArn: string }
  | { messageId: string; outcome: 'duplicate'; executionName: string; executionArn: string }
  | { messageId: string; outcome: 'failed'; executionName?: string; error: string; retryable: boolean }
  /** Not a request: moved to the dead-letter queue with the reason (`movedToDeadLetterQueue`), else failed. */
  | { messageId: string; outcome: 'rejected'; reason: string; movedToDeadLetterQueue?: true }
  /** An account vending event that announces no new account (a state other than SUCCEEDED): delivered, nothing started. */
  | { messageId: string; outcome: 'ignored'; reason: string };

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

let organizations: OrganizationsClient | undefined;
/** The AWS Organizations client (account vending's look-ups), made on first use. */
function organizationsClient(): OrganizationsClient {
  organizations ??= new OrganizationsClient({});
  return organizations;
}

/** The dead-letter queue's client, made on the first reject. */
let deadLetters: SQSClient | undefined;

/** The SQS message attribute naming why the starter moved a message to the dead-letter queue. */
export const REJECTED_REASON_ATTRIBUTE = 'REJECTED_REASON';

/**
 * Moves a rejected record to the dead-letter queue at once, with the reason as a message attribute (and the source
 * message id and receive count); true when it is there (the record then counts as handled and SQS deletes it from the
 * request queue). The SQS client is loaded only here: rejects are rare (cdk/lib/handler-bundles.ts LAZY_PACKAGES).
 * At least once, like SQS itself: a starter that dies between this send and its batch response leaves the message on
 * the request queue too; its redelivery is rejected and moved again, so the dead-letter queue may hold it twice.
 */
export async function moveToDeadLetterQueue(queueUrl: string, record: SQSRecord, reason: string): Promise<boolean> {
  try {
    const { SQSClient, SendMessageCommand } = await import('@aws-sdk/client-sqs');
    // The endpoint from the SDK's configuration (AWS_ENDPOINT_URL locally), not from the queue URL's host.
    deadLetters ??= new SQSClient({ useQueueUrlAsEndpoint: false });
    await deadLetters.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: record.body === '' ? '(empty message)' : record.body,
        MessageAttributes: {
          [REJECTED_REASON_ATTRIBUTE]: { DataType: 'String', StringValue: reason.slice(0, 2048) },
          SOURCE_MESSAGE_ID: { DataType: 'String', StringValue: record.messageId },
          RECEIVE_COUNT: { DataType: 'Number', StringValue: record.attributes?.ApproximateReceiveCount ?? '1' },
        },
      }),
    );
    logger.info('Rejected message moved to the dead-letter queue with its reason', { messageId: record.messageId, reason });
    return true;
  } catch (e) {
    logger.warn('Could not move the rejected message to the dead-letter queue: it is failed and reaches it through the redrive', {
      messageId: record.messageId,
      error: errorText(e),
    });
    return false;
  }
}

/** Execution ARN of `name` on `stateMachineArn`. */
export const executionArnOf = (stateMachineArn: string, name: string): string =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

const errorName = (e: unknown): string => (e instanceof Error ? e.name : typeof e);
const errorText = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/** The state machines the starter may start: one per request detail-type. */
export interface StartTargets {
  onboarding: string;
  offboarding: string;
  /** Account vending's settings (env ACCOUNT_VENDING_*); absent: account vending events are rejected. */
  accountVending?: AccountVendingSettings;
}

export interface AccountVendingSettings {
  template: Record<string, unknown>;
  tenantIdFrom: TenantIdSource;
}

/** What account vending makes of one event. */
export type VendingStart =
  | { kind: 'start'; request: Record<string, unknown>; executionName: string; account: VendedAccount; tenantId: string }
  | { kind: 'ignored'; reason: string }
  | { kind: 'rejected'; reason: string }
  /** An AWS Organizations look-up failed: the record is retried (then dead-lettered). */
  | { kind: 'failed'; error: unknown };

/** The account's name: the event's, or (masked in AWS Organizations' events) DescribeAccount's. */
async function accountNameOf(account: VendedAccount, orgs: OrganizationsClient): Promise<string> {
  if (account.accountName !== undefined) return account.accountName;
  const out = await orgs.send(new DescribeAccountCommand({ AccountId: account.accountId }));
  return out.Account?.Name ?? '';
}

/** Every tag of the account (ListTagsForResource pages). */
async function accountTags(accountId: string, orgs: OrganizationsClient): Promise<Tag[]> {
  const tags: Tag[] = [];
  let token: string | undefined;
  do {
    const out = await orgs.send(new ListTagsForResourceCommand({ ResourceId: accountId, ...(token ? { NextToken: token } : {}) }));
    tags.push(...(out.Tags ?? []));
    token = out.NextToken;
  } while (token);
  return tags;
}

/**
 * Account vending: the onboarding request and execution name for a vending event, or why there is none. The
 * execution name is executionNameFor(request, <8 hex of the event id's SHA-256>).
 */
export async function vendingStart(event: RequestEvent, settings: AccountVendingSettings | undefined, orgs: () => OrganizationsClient): Promise<VendingStart> {
  if (!settings) return { kind: 'rejected', reason: 'account vending is not configured in this deployment (no accountVendingRequestTemplate)' };
  const outcome = vendedAccountOf(event.event);
  if (outcome.kind !== 'account') return outcome;
  const { account } = outcome;
  let accountName: string;
  let tenant: TenantIdResult;
  try {
    accountName = await accountNameOf(account, orgs());
    tenant =
      settings.tenantIdFrom.from === 'tag'
        ? tenantIdFromTag(await accountTags(account.accountId, orgs()), settings.tenantIdFrom.tagKey, account.accountId)
        : tenantIdFromName(accountName);
  } catch (e) {
    return { kind: 'failed', error: e };
  }
  if (!tenant.ok) return { kind: 'rejected', reason: `account ${account.accountId} (${account.eventName}): ${tenant.reason}` };
  const request = requestFromTemplate(settings.template, { tenantId: tenant.tenantId, accountId: account.accountId, accountName });
  const suffix = createHash('sha256').update(account.eventId).digest('hex').slice(0, 8);
  return { kind: 'start', request, executionName: executionNameFor(request, suffix), account, tenantId: tenant.tenantId };
}

/**
 * Which workflow a request event starts, under which name: `Tenant Onboarding Requested` (or no detail-type: a
 * message sent to the queue directly) -> onboarding, named executionNameFor(request) like the CLI's;
 * `Tenant Offboarding Requested` -> offboarding, named from the tenant, the event's time and its id, so a redelivered
 * event starts no second execution while a new event is a new offboarding. Another detail-type: undefined.
 */
export function executionFor(event: RequestEvent, targets: StartTargets): { workflow: 'onboarding' | 'offboarding'; stateMachineArn: string; executionName: string } | undefined {
  if (event.detailType === undefined || event.detailType === ONBOARDING_EVENTS.requested) {
    return { workflow: 'onboarding', stateMachineArn: targets.onboarding, executionName: executionNameFor(event.request) };
  }
  if (event.detailType !== ONBOARDING_EVENTS.offboardingRequested) return undefined;
  const tenantId = typeof event.request.tenantId === 'string' && TENANT_ID.test(event.request.tenantId) ? event.request.tenantId : 'request';
  const at = event.time !== undefined && !Number.isNaN(Date.parse(event.time)) ? new Date(event.time) : new Date(0);
  const id = createHash('sha256').update(event.eventId ?? JSON.stringify(event.request)).digest('hex').slice(0, 8);
  return { workflow: 'offboarding', stateMachineArn: targets.offboarding, executionName: offboardingExecutionName(tenantId, at, id) };
}

/** Starts the execution of one record; never throws (a failure is that record's outcome). `orgs`: account vending's look-ups. */
export async function startRecord(
  record: SQSRecord,
  sfn: SFNClient,
  targets: StartTargets,
  orgs: () => OrganizationsClient = organizationsClient,
): Promise<RecordOutcome> {
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
  const { eventId } = parsed.event;
  let request = parsed.event.request;
  let target = executionFor(parsed.event, targets);
  if (isAccountVendingEvent(parsed.event)) {
    const vending = await vendingStart(parsed.event, targets.accountVending, orgs);
    const keys = { messageId, ...(eventId ? { eventId } : {}), receiveCount };
    if (vending.kind === 'ignored') {
      logger.info('Account vending event without a new account: delivered, nothing started', { ...keys, reason: vending.reason });
      return { messageId, outcome: 'ignored', reason: vending.reason };
    }
    if (vending.kind === 'rejected') {
      logger.error('Account vending event rejected: the message is failed and reaches the dead-letter queue after its last receive', { ...keys, reason: vending.reason });
      return { messageId, outcome: 'rejected', reason: vending.reason };
    }
    if (vending.kind === 'failed') {
      const retryable = isRetryableAwsError(vending.error);
      logger.warn('Account vending: the AWS Organizations look-up failed; SQS redelivers the message (dead-letter queue after the last receive)', {
        ...keys,
        error: errorText(vending.error),
        retryable,
      });
      return { messageId, outcome: 'failed', error: errorText(vending.error), retryable };
    }
    logger.info('Account vending: onboarding the new account', {
      ...keys,
      eventName: vending.account.eventName,
      accountId: vending.account.accountId,
      tenantId: vending.tenantId,
    });
    request = vending.request;
    target = { workflow: 'onboarding', stateMachineArn: targets.onboarding, executionName: vending.executionName };
  }
  if (!target) {
    const reason = `the event's detail-type '${parsed.event.detailType}' is neither '${ONBOARDING_EVENTS.requested}' nor '${ONBOARDING_EVENTS.offboardingRequested}' (nor an account vending event)`;
    logger.error('Not a request event: the message is failed and reaches the dead-letter queue after its last receive', { messageId, receiveCount, reason });
    return { messageId, outcome: 'rejected', reason };
  }
  const { executionName, stateMachineArn } = target;
  const keys = { messageId, ...(eventId ? { eventId } : {}), executionName, receiveCount };
  try {
    const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: executionName, input: JSON.stringify(request) }));
    const executionArn = out.executionArn ?? executionArnOf(stateMachineArn, executionName);
    logger.info(`Started the ${target.workflow} execution`, { ...keys, executionArn });
    return { messageId, outcome: 'started', executionName, executionArn };
  } catch (e) {
    if (errorName(e) === 'ExecutionAlreadyExists') {
      const executionArn = executionArnOf(stateMachineArn, executionName);
      logger.info('The same request was already started (duplicate event or another start of it): delivered', { ...keys, executionArn });
      return { messageId, outcome: 'duplicate', executionName, executionArn };
    }
    const retryable = isRetryableAwsError(e);
    const log = retryable ? logger.warn.bind(logger) : logger.error.bind(logger);
    log('StartExecution failed: SQS redelivers the message after its visibility timeout (dead-letter queue after the last receive)', {
      ...keys,
      error: errorText(e),
      retryable,
    });
    return { messageId, outcome: 'failed', executionName, error: errorText(e), retryable };
  }
}

/** Throttling and transient AWS errors: SQS redelivery may succeed. */
function isRetryableAwsError(e: unknown): boolean {
  const classified = classifyAwsError(e);
  return classified instanceof AwsThrottledError || classified instanceof AwsTransientError;
}

/**
 * The handler's work: start every record's execution; the records that were not delivered are the batch item
 * failures (the event source mapping has ReportBatchItemFailures). A bad environment fails the whole batch.
 */
export async function startOnboardings(event: SQSEvent): Promise<SQSBatchResponse> {
  const env = loadStarterEnv();
  const targets: StartTargets = {
    onboarding: env.ONBOARDING_STATE_MACHINE_ARN,
    offboarding: env.OFFBOARDING_STATE_MACHINE_ARN,
    ...(env.ACCOUNT_VENDING_REQUEST_TEMPLATE ? { accountVending: { template: env.ACCOUNT_VENDING_REQUEST_TEMPLATE, tenantIdFrom: env.ACCOUNT_VENDING_TENANT_ID_FROM } } : {}),
  };
  const region = STATE_MACHINE_ARN.exec(targets.onboarding)?.[1] as string;
  const sfn = sfnClient(region);
  const records = event.Records ?? [];
  const outcomes = await Promise.all(
    records.map(async (r) => {
      const outcome = await startRecord(r, sfn, targets);
      if (outcome.outcome !== 'rejected' || !env.DEAD_LETTER_QUEUE_URL) return outcome;
      return (await moveToDeadLetterQueue(env.DEAD_LETTER_QUEUE_URL, r, outcome.reason)) ? { ...outcome, movedToDeadLetterQueue: true as const } : outcome;
    }),
  );
  const count = (o: RecordOutcome['outcome']) => outcomes.filter((x) => x.outcome === o).length;
  logger.info('Request batch done', {
    records: records.length,
    started: count('started'),
    duplicates: count('duplicate'),
    failed: count('failed'),
    rejected: count('rejected'),
    ignored: count('ignored'),
  });
  return {
    batchItemFailures: outcomes
      .filter((o) => o.outcome === 'failed' || (o.outcome === 'rejected' && !o.movedToDeadLetterQueue))
      .map((o) => ({ itemIdentifier: o.messageId })),
  };
}
