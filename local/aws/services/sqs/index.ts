/**
 * Amazon SQS for the local sandbox (AWS JSON 1.0: POST /, X-Amz-Target: AmazonSQS.<Op>, signed for `sqs`), as the AWS
 * SDK v3 and the AWS CLI speak it; errors carry SQS's `__type` and its query-compatible code (`x-amzn-query-error`,
 * core/protocol.ts) so the SDKs name them as they always did (QueueDoesNotExist / AWS.SimpleQueueService.NonExistentQueue).
 *
 * Served: CreateQueue (attributes, tags; idempotent for the same attributes, QueueNameExists otherwise), GetQueueUrl
 * (also another account's queue), GetQueueAttributes, SetQueueAttributes, ListQueues (prefix, paging), DeleteQueue,
 * Tag/Untag/ListQueueTags, AddPermission/RemovePermission, SendMessage(Batch) with message and system attributes and
 * their digests as SQS computes them (md5.ts), ReceiveMessage (visibility timeout, long polling that answers as soon as
 * a message arrives, system and message attributes), DeleteMessage(Batch), ChangeMessageVisibility(Batch), PurgeQueue
 * (once per 60 s), ListDeadLetterSourceQueues, dead-letter redrive (a message received maxReceiveCount times moves to
 * the dead-letter queue on the next receive instead of being delivered), Start/List/CancelMessageMoveTask (a move
 * completes at once). FIFO queues: group and deduplication ids (content-based too, five-minute window, queue or group
 * scope), one group's messages in order and not while an earlier one is in flight, sequence numbers.
 *
 * Queues live per account and region; their URL is `http://<Host header>/<account>/<name>` (any host is accepted in a
 * QueueUrl: only the path names the queue), their ARN `arn:aws:sqs:<region>:<account>:<name>`. Every call is authorized
 * through the kernel with `sqs:<Action>` on the queue ARN (`*` for ListQueues; batches use the single action) and the
 * queue's `Policy` as resource policy, before the existence check; the owning account's root is always allowed unless
 * the policy denies it; another account needs both sides.
 *
 * Deliveries from other services (EventBridge rules, Scheduler): the service is the kernel's receiver of `sqs` ARNs
 * (core/targets.ts). With a roleArn, the role must trust the delivering service principal (kernel.serviceSession) and
 * allow sqs:SendMessage on the queue; without one, the queue policy must allow the service principal, with
 * aws:SourceArn / aws:SourceAccount set from the delivery. Consumers such as a Lambda event source mapping use the
 * ordinary API (ReceiveMessage / DeleteMessage through the SDK, with the function role's service-session credentials).
 *
 * Not modelled: short polls sampling a subset of servers (every available message is a candidate), the 12-hour
 * in-flight limit and the in-flight message quotas, QueueDeletedRecently (a deleted name can be reused at once),
 * propagation delays of attribute changes, KMS (keys are recorded, nothing is encrypted), high-throughput FIFO
 * partitions, fair queues' scheduling, the move tasks' rate (MaxNumberOfMessagesPerSecond is recorded). A long poll
 * whose client went away still takes the message it finds (as on AWS, the message then waits out its visibility
 * timeout).
 */
import { randomUUID, createHash } from 'node:crypto';
import { AwsError } from '../../core/errors';
import { jsonOperationHandler, targetOperation } from '../../core/protocol';
import type { Kernel } from '../../core/kernel';
import type { DeliveryResult, TargetDelivery } from '../../core/targets';
import type { Principal, SandboxRequest, SandboxResponse, SandboxService } from '../../core/types';
import {
  ALL_ATTRIBUTES,
  QUEUE_ARN,
  READ_ONLY_ATTRIBUTES,
  applyAttributes,
  firstDifference,
  initialAttributes,
  isKnownAttribute,
  normalizeAttributes,
  parseRedriveAllowPolicy,
  parseRedrivePolicy,
} from './attributes';
import {
  accessDenied,
  invalidAttributeName,
  invalidParameterValue,
  invalidValue,
  missingParameter,
  queueDoesNotExist,
  receiptHandleIsInvalid,
} from './errors';
import { SqsInput, isObject, parseBody, type JsonObject } from './input';
import { md5Hex, md5OfAttributes } from './md5';
import { SYSTEM_ATTRIBUTE_NAMES, checkMessage, renderMessage, type CheckedMessage } from './messages';
import {
  DEDUP_WINDOW_MS,
  counts,
  expire,
  isAvailable,
  isInFlight,
  nextAvailableAt,
  nextSequenceNumber,
  parseReceiptHandle,
  queueArn,
  queueKey,
  redrivePolicyOf,
  type MessageRecord,
  type MoveTaskRecord,
  type QueueRecord,
} from './queues';

const TARGET_PREFIX = 'AmazonSQS.';
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const FIFO_NAME = /^[A-Za-z0-9_-]{1,75}\.fifo$/;
const BATCH_ID = /^[A-Za-z0-9_-]{1,80}$/;
const ACCOUNT_ID = /^\d{12}$/;
const PURGE_INTERVAL_MS = 60_000;
const MAX_TAGS = 50;
/** Actions AddPermission grants (`*` for all of them). */
const PERMISSION_ACTIONS = ['*', 'SendMessage', 'ReceiveMessage', 'DeleteMessage', 'ChangeMessageVisibility', 'GetQueueAttributes', 'GetQueueUrl', 'ListDeadLetterSourceQueues', 'PurgeQueue', 'ListQueueTags'];

interface Ctx {
  principal: Principal;
  region: string;
  now: number;
  /** `http://<Host>`: where queue URLs point. */
  endpoint: string;
}

/** A queue as a request names it (it may not exist). */
interface Target {
  accountId: string;
  region: string;
  name: string;
  arn: string;
  key: string;
  queue: QueueRecord | undefined;
}

type Context = Record<string, string | string[]>;
type Handler = (ctx: Ctx, input: SqsInput) => Promise<JsonObject>;

interface Snapshot {
  queues: QueueRecord[];
  tasks: MoveTaskRecord[];
}

function endpointOf(req: SandboxRequest): string {
  const host = req.headers.host;
  return `http://${typeof host === 'string' && /^[A-Za-z0-9.:[\]-]+$/.test(host) ? host : 'localhost'}`;
}

function tagContext(q: QueueRecord | undefined): Context {
  const out: Context = {};
  for (const [k, v] of Object.entries(q?.tags ?? {})) out[`aws:ResourceTag/${k}`] = v;
  return out;
}

function requestTagContext(tags: Readonly<Record<string, string>>): Context {
  const keys = Object.keys(tags);
  if (keys.length === 0) return {};
  const out: Context = { 'aws:TagKeys': keys };
  for (const [k, v] of Object.entries(tags)) out[`aws:RequestTag/${k}`] = v;
  return out;
}

/** Who SQS reports as SenderId: the account for root, the user id, or `<role id>:<session>` for a role session. */
function senderIdOf(p: Principal): string {
  switch (p.kind) {
    case 'root':
      return p.accountId;
    case 'user':
      return p.userId;
    case 'assumed-role':
      return `${p.roleId}:${p.sessionName}`;
  }
}

/** A stable AIDA-style sender id for a service principal delivering without a role. */
function serviceSenderId(service: string): string {
  const digest = createHash('sha256').update(service).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let id = 'AIDA';
  for (let i = 0; id.length < 21; i++) id += alphabet[(digest[i] ?? 0) % alphabet.length];
  return id;
}

/** A queue policy's document and its statements (a new document, with SQS's default Id, when there is none). */
function policyStatements(text: string | undefined, arn: string): { doc: JsonObject; statements: JsonObject[] } {
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  const doc: JsonObject = isObject(parsed) ? parsed : { Version: '2012-10-17', Id: `${arn}/SQSDefaultPolicy` };
  const raw = doc.Statement;
  const list: unknown[] = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return { doc, statements: list.filter(isObject) };
}

function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64');
}

function decodeToken(token: string | undefined): number {
  if (token === undefined) return 0;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'o' in parsed && typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0) {
      return parsed.o;
    }
  } catch {
    // fall through
  }
  throw invalidParameterValue('Invalid NextToken value.');
}

function encodeTaskHandle(taskId: string, sourceArn: string): string {
  return Buffer.from(JSON.stringify({ taskId, sourceArn })).toString('base64');
}

function decodeTaskHandle(handle: string): { sourceArn: string } | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(handle, 'base64').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'sourceArn' in parsed && typeof parsed.sourceArn === 'string') return { sourceArn: parsed.sourceArn };
  } catch {
    // fall through
  }
  return undefined;
}

export class SqsService implements SandboxService {
  readonly name = 'sqs' as const;
  readonly protocol = 'json-1.0' as const;
  private readonly queues = new Map<string, QueueRecord>();
  private tasks: MoveTaskRecord[] = [];
  /** Long polls waiting on a queue (by queue key): called when something there may have become receivable. */
  private readonly waiters = new Map<string, Set<() => void>>();
  private closed = false;
  private readonly operations: Record<string, Handler> = {
    CreateQueue: (c, i) => this.createQueue(c, i),
    GetQueueUrl: (c, i) => this.getQueueUrl(c, i),
    GetQueueAttributes: (c, i) => this.getQueueAttributes(c, i),
    SetQueueAttributes: (c, i) => this.setQueueAttributes(c, i),
    ListQueues: (c, i) => this.listQueues(c, i),
    DeleteQueue: (c, i) => this.deleteQueue(c, i),
    TagQueue: (c, i) => this.tagQueue(c, i),
    UntagQueue: (c, i) => this.untagQueue(c, i),
    ListQueueTags: (c, i) => this.listQueueTags(c, i),
    AddPermission: (c, i) => this.addPermission(c, i),
    RemovePermission: (c, i) => this.removePermission(c, i),
    SendMessage: (c, i) => this.sendMessage(c, i),
    SendMessageBatch: (c, i) => this.sendMessageBatch(c, i),
    ReceiveMessage: (c, i) => this.receiveMessage(c, i),
    DeleteMessage: (c, i) => this.deleteMessage(c, i),
    DeleteMessageBatch: (c, i) => this.deleteMessageBatch(c, i),
    ChangeMessageVisibility: (c, i) => this.changeMessageVisibility(c, i),
    ChangeMessageVisibilityBatch: (c, i) => this.changeMessageVisibilityBatch(c, i),
    PurgeQueue: (c, i) => this.purgeQueue(c, i),
    ListDeadLetterSourceQueues: (c, i) => this.listDeadLetterSourceQueues(c, i),
    StartMessageMoveTask: (c, i) => this.startMessageMoveTask(c, i),
    ListMessageMoveTasks: (c, i) => this.listMessageMoveTasks(c, i),
    CancelMessageMoveTask: (c, i) => this.cancelMessageMoveTask(c, i),
  };

  constructor(private readonly kernel: Kernel) {
    kernel.targets.register('sqs', { deliver: (d) => this.deliver(d) });
  }

  operationName(req: SandboxRequest): string {
    return targetOperation(req.headers, TARGET_PREFIX);
  }

  async handle(req: SandboxRequest): Promise<SandboxResponse> {
    const op = this.operationName(req);
    const handler = jsonOperationHandler(this.operations, op, req.method, `The action ${op} is not valid for this web service.`);
    const ctx: Ctx = { principal: req.principal, region: req.region, now: this.kernel.now(), endpoint: endpointOf(req) };
    const out = await handler(ctx, new SqsInput(parseBody(req.body)));
    return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: JSON.stringify(out) };
  }

  snapshot(): unknown {
    const now = this.kernel.now();
    for (const q of this.queues.values()) expire(q, now);
    const snap: Snapshot = { queues: [...this.queues.values()], tasks: this.tasks };
    return structuredClone(snap);
  }

  restore(data: unknown): void {
    this.queues.clear();
    this.tasks = [];
    if (typeof data !== 'object' || data === null) return;
    const snap = data as Partial<Snapshot>;
    for (const q of Array.isArray(snap.queues) ? snap.queues : []) {
      this.queues.set(queueKey(q.accountId, q.region, q.name), { ...structuredClone(q), dedup: q.dedup ?? {}, sequence: q.sequence ?? 0 });
    }
    if (Array.isArray(snap.tasks)) this.tasks = structuredClone(snap.tasks);
  }

  inventory(accountId: string): Record<string, string[]> {
    const queues = [...this.queues.values()].filter((q) => q.accountId === accountId).map((q) => `${q.region}/${q.name}`).sort();
    return { queues };
  }

  /** Ends every long poll (they answer with no messages) and refuses to start new waits. */
  async close(): Promise<void> {
    this.closed = true;
    for (const set of this.waiters.values()) for (const wake of [...set]) wake();
    this.waiters.clear();
  }

  // ---------------------------------------------------------------- deliveries from other services

  /** A TargetDelivery to a queue ARN (EventBridge rule or Scheduler target), authorized as AWS does (see the top). */
  async deliver(d: TargetDelivery): Promise<DeliveryResult> {
    const target = this.fromArn(d.arn);
    const q = target?.queue;
    if (!target || !q) return { ok: false, code: 'QueueDoesNotExist', message: `The queue ${d.arn} does not exist.`, retryable: false };
    const denied = (message: string): DeliveryResult => ({ ok: false, code: 'AccessDenied', message, retryable: false });
    const policy = q.attributes.Policy;
    let senderId: string;
    if (d.roleArn !== undefined) {
      let accessKeyId: string;
      try {
        const prefix = d.via.split('.')[0] ?? 'service';
        const session = await this.kernel.serviceSession({
          roleArn: d.roleArn,
          service: d.via,
          sessionName: `${prefix}-sqs-delivery`.slice(0, 64),
          sourceArn: d.sourceArn,
          sourceAccount: d.sourceAccount,
        });
        accessKeyId = session.accessKeyId;
      } catch (e) {
        if (e instanceof AwsError) return denied(e.message);
        throw e;
      }
      try {
        const principal = this.kernel.credentials.lookup(accessKeyId)?.principal;
        if (!principal) return denied(`${d.via} could not assume ${d.roleArn}`);
        const decision = await this.kernel.authorize({
          principal,
          action: 'sqs:SendMessage',
          resource: q.arn,
          resourceAccount: q.accountId,
          ...(policy === undefined ? {} : { resourcePolicy: policy }),
          // The role session makes the call: the confused-deputy keys belong to the trust decision above.
          context: tagContext(q),
        });
        if (!decision.allowed) return denied(`User: ${principal.arn} is not authorized to perform: sqs:sendmessage on resource: ${q.arn}`);
        senderId = senderIdOf(principal);
      } finally {
        // The session served this one delivery; it leaves no credentials behind.
        this.kernel.credentials.remove(accessKeyId);
      }
    } else {
      if (policy === undefined) return denied(`The queue ${q.arn} has no policy allowing ${d.via} to send to it.`);
      const now = this.kernel.now();
      const decision = await this.kernel.authorizer.evaluateService({
        service: d.via,
        action: 'sqs:SendMessage',
        resource: q.arn,
        resourceAccount: q.accountId,
        resourcePolicy: policy,
        context: {
          'aws:SecureTransport': this.kernel.assumeSecureTransport ? 'true' : 'false',
          'aws:CurrentTime': new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          'aws:EpochTime': String(Math.floor(now / 1000)),
          'aws:PrincipalIsAWSService': 'true',
          'aws:PrincipalServiceName': d.via,
          'aws:SourceArn': d.sourceArn,
          'aws:SourceAccount': d.sourceAccount,
          ...this.kernel.resourceContext(q.accountId),
          ...tagContext(q),
        },
      });
      if (!decision.allowed) return denied(`The queue policy of ${q.arn} does not allow ${d.via} sqs:SendMessage from ${d.sourceArn}.`);
      senderId = serviceSenderId(d.via);
    }
    // The queue may have gone while the decision was made.
    if (this.queues.get(target.key) !== q) return { ok: false, code: 'QueueDoesNotExist', message: `The queue ${d.arn} does not exist.`, retryable: false };
    const param = (k: string): string | undefined => (typeof d.parameters?.[k] === 'string' ? (d.parameters[k] as string) : undefined);
    let checked: CheckedMessage;
    try {
      // EventBridge and Scheduler put their dead-letter reasons (ERROR_CODE, ERROR_MESSAGE, ...) in message attributes.
      const attributes = d.parameters?.MessageAttributes;
      checked = checkMessage(q, {
        body: d.input,
        groupId: param('MessageGroupId'),
        dedupId: param('MessageDeduplicationId'),
        ...(typeof attributes === 'object' && attributes !== null && !Array.isArray(attributes) ? { attributes: attributes as Record<string, JsonObject> } : {}),
      });
    } catch (e) {
      if (e instanceof AwsError) return { ok: false, code: e.code, message: e.message, retryable: false };
      throw e;
    }
    return { ok: true, id: this.enqueue(q, checked, senderId, this.kernel.now()).MessageId as string };
  }

  // ---------------------------------------------------------------- lookup and authorization

  private target(accountId: string, region: string, name: string): Target {
    const key = queueKey(accountId, region, name);
    return { accountId, region, name, arn: queueArn(region, accountId, name), key, queue: this.queues.get(key) };
  }

  private fromArn(arn: string): Target | undefined {
    const m = QUEUE_ARN.exec(arn);
    if (!m) return undefined;
    const [, region = '', accountId = '', name = ''] = m;
    return this.target(accountId, region, name);
  }

  /** The queue a QueueUrl names: `<scheme>://<any host>/<account>/<name>` in the caller's region. */
  private fromUrl(ctx: Ctx, input: SqsInput): Target {
    const url = input.requiredString('QueueUrl');
    let path: string;
    try {
      path = new URL(url).pathname;
    } catch {
      path = url;
    }
    const m = /^\/(\d{12})\/([^/]+)\/?$/.exec(path);
    const invalid = () => new AwsError('InvalidAddress', `The address ${url} is not valid for this endpoint.`, 404);
    if (!m) throw invalid();
    let name: string;
    try {
      name = decodeURIComponent(m[2] ?? '');
    } catch {
      throw invalid();
    }
    return this.target(m[1] ?? '', ctx.region, name);
  }

  private urlOf(ctx: Ctx, q: { accountId: string; name: string }): string {
    return `${ctx.endpoint}/${q.accountId}/${q.name}`;
  }

  private async authorize(ctx: Ctx, action: string, t: { arn: string; accountId: string; queue?: QueueRecord | undefined }, context: Context = {}): Promise<void> {
    const { principal } = ctx;
    const policy = t.queue?.attributes.Policy;
    if (principal.kind === 'root' && principal.accountId === t.accountId && policy === undefined) return;
    const iam = `sqs:${action}`;
    const decision = await this.kernel.authorize({
      principal,
      action: iam,
      resource: t.arn,
      resourceAccount: t.accountId,
      ...(policy === undefined ? {} : { resourcePolicy: policy }),
      context: { ...tagContext(t.queue), ...context },
    });
    if (!decision.allowed) throw accessDenied(principal, iam, t.arn, decision, principal.accountId !== t.accountId);
  }

  /** Resolves QueueUrl, authorizes `action` on the queue, then requires it to exist (messages past retention dropped). */
  private async existing(ctx: Ctx, input: SqsInput, action: string): Promise<QueueRecord> {
    const t = this.fromUrl(ctx, input);
    await this.authorize(ctx, action, t);
    const q = this.queues.get(t.key);
    if (!q) throw queueDoesNotExist();
    expire(q, this.kernel.now());
    return q;
  }

  private notify(q: QueueRecord): void {
    const key = queueKey(q.accountId, q.region, q.name);
    for (const wake of [...(this.waiters.get(key) ?? [])]) wake();
  }

  /** Resolves when `notify` is called for the queue, at `until`, or when the service closes. */
  private waitForChange(key: string, until: number): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(key);
      if (!set) {
        set = new Set();
        this.waiters.set(key, set);
      }
      const waiting = set;
      const wake = (): void => {
        clearTimeout(timer);
        waiting.delete(wake);
        if (waiting.size === 0 && this.waiters.get(key) === waiting) this.waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, until - this.kernel.now()));
      waiting.add(wake);
    });
  }

  /** RedrivePolicy checks that need other queues: the target exists, same account, region and type, and admits the source. */
  private checkRedrive(source: { arn: string; accountId: string; region: string; fifo: boolean }, text: string): void {
    const policy = parseRedrivePolicy(text);
    const reject = (reason: string) => invalidValue('RedrivePolicy', text, reason);
    const dlq = this.fromArn(policy.deadLetterTargetArn);
    if (!dlq || dlq.accountId !== source.accountId || dlq.region !== source.region) throw reject('Dead-letter target owner should be same as the source.');
    if (!dlq.queue) throw reject('Dead letter target does not exist.');
    if (dlq.queue.fifo !== source.fifo) throw reject('Dead-letter queue must be same type of queue as the source.');
    const allowText = dlq.queue.attributes.RedriveAllowPolicy;
    if (allowText) {
      const allow = parseRedriveAllowPolicy(allowText);
      if (allow.redrivePermission === 'denyAll' || (allow.redrivePermission === 'byQueue' && !(allow.sourceQueueArns ?? []).includes(source.arn))) {
        throw reject(`Queue ${dlq.arn} does not allow this queue to use it as a dead-letter queue.`);
      }
    }
  }

  // ---------------------------------------------------------------- queues

  private async createQueue(ctx: Ctx, input: SqsInput): Promise<JsonObject> {
    const name = input.requiredString('QueueName');
    const given = input.stringMap('Attributes') ?? {};
    const tags = input.stringMap('tags') ?? {};
    const fifo = given.FifoQueue === 'true';
    if (fifo ? !FIFO_NAME.test(name) : !QUEUE_NAME.test(name)) {
      throw invalidParameterValue(
        fifo
          ? 'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.'
          : 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    }
    if (Object.keys(tags).length > MAX_TAGS) throw invalidParameterValue(`Too many tags added for queue ${name}.`);
    const attributes = normalizeAttributes(given, { creating: true, fifo });
    const t = this.target(ctx.principal.accountId, ctx.region, name);
    await this.authorize(ctx, 'CreateQueue', t, requestTagContext(tags));
    if (Object.keys(tags).length > 0) await this.authorize(ctx, 'TagQueue', t, requestTagContext(tags));
    const existing = this.queues.get(t.key);
    if (existing) {
      const differs = firstDifference(existing.attributes, attributes, existing.fifo);
      if (differs !== undefined) {
        throw new AwsError('QueueNameExists', `A queue already exists with the same name and a different value for attribute ${differs}`, 400);
      }
      return { QueueUrl: this.urlOf(ctx, existing) };
    }
    if (attributes.RedrivePolicy) this.checkRedrive({ arn: t.arn, accountId: t.accountId, region: t.region, fifo }, attributes.RedrivePolicy);
    const q: QueueRecord = {
      accountId: t.accountId,
      region: t.region,
      name,
      arn: t.arn,
      fifo,
      createdAt: ctx.now,
      lastModifiedAt: ctx.now,
      attributes: initialAttributes(attributes, fifo),
      tags: { ...tags },
      messages: [],
      sequence: 0,
      dedup: {},
    };
    this.queues.set(t.key, q);
    return { QueueUrl: this.urlOf(ctx, q) };
  }

  private async getQueueUrl(ctx: Ctx, input: SqsInput): Promise<JsonObject> {
    const name = input.requiredString('QueueName');
    const owner = input.string('QueueOwnerAWSAccountId') ?? ctx.principal.accountId;
    if (!ACCOUNT_ID.test(owner)) throw invalidValue('QueueOwnerAWSAccountId', owner, 'Invalid account id.');
    const t = this.target(owner, ctx.region, name);
    await this.authorize(ctx, 'GetQueueUrl', t);
    const q = this.queues.get(t.key);
    if (!q) throw queueDoesNotExist();
    return { QueueUrl: this.urlOf(ctx, q) };
  }

  private async getQueueAttributes(ctx: Ctx, input: SqsInput): Promise<JsonObject> {
    const names = input.stringList('AttributeNames') ?? [];
    for (const n of names) if (n !== 'All' && !isKnownAttribute(n)) throw invalidAttributeName(n);
    const q = await this.existing(ctx, input, 'GetQueueAttributes');
    const wanted = new Set<string>(names.includes('All') ? ALL_ATTRIBUTES : names);
    if (wanted.size === 0) return {};
    const c = counts(q, this.kernel.now());
    const readOnly: Record<(typeof READ_ONLY_ATTRIBUTES)[number], string> = {
      QueueArn: q.arn,
      ApproximateNumberOfMessages: String(c.available),
      ApproximateNumberOfMessagesNotVisible: String(c.inFlight),
      ApproximateNumberOfMessagesDelayed: String(c.delayed),
      CreatedTimestamp: String(Math.floor(q.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(q.lastModifiedAt / 1000)),
    };
    const all: Record<string, string | undefined> = { ...readOnly, ...q.attributes };
    const out: Record<string, string> = {};
    for (const name of ALL_ATTRIBUTES) {
      const v = all[name];
      if (wanted.has(name) && v !== undefined) out[name] = v;
    }
    return { Attributes: out };
  }

  private async setQueueAttributes(ctx: Ctx, input: SqsInput): Promise<JsonObject> {
    const given = input.stringMap('Attributes');
    if (given === undefined) throw missingParameter('Attributes');
    const q = await this.existing(ctx, input, 'SetQueueAttributes');
    const changes = normalizeAttributes(given, { creating: false, fifo: q.fifo });
    if (changes.RedrivePolicy) this.checkRedrive(q, changes.RedrivePolicy);
    q.attributes = applyAttributes(q.attributes, changes);
    q.lastModifiedAt = ctx.now;
    // A shorter visibility or delay never changes messages already in flight, but waiters re-check.
    this.notify(q);
    return {};
  }

  private async listQueues(ctx: Ctx, input: SqsInput): Promise<JsonObject> {
    const prefix = input.string('QueueNamePrefix') ?? '';
    const maxResults = input.integer('MaxResults');
    const nextToken = input.string('NextToken');
    if (maxResults !== undefined && (maxResults < 1 || maxResults > 1000)) throw invalidValue('MaxResults', maxResults, 'MaxResults must be an integer between 1 and 1000.');
    if (nextToken !== undefined && maxResults === undefined) throw invalidParameterValue('MaxResults is a mandatory parameter when you provide a value for NextToken.');
    const accountId = ctx.principal.accountId;
    await this.authorize(ctx, 'ListQueues', { arn: '*', accountId });
    const names = [...this.queues.values()]
      .filter((q) => q.accountId === accountId && q.region === ctx.region && q.name.startsWith(prefix))
      .map((q) => q.name)
      .sort();
    const start = decodeToken(nextToken);
    const end = start + (maxResults ?? 1000);
    const urls = names.slice(start, end).map((name) => this.urlOf(ctx, { accountId, name }));
    return {
      ...(urls.length > 0 ? { QueueUrls: urls } : {}),
      ...(maxResults !== undefined && end < names.length ? { NextToken: encodeToken(end) } : {}),
    };
  }

  private async deleteQueue(ctx: Ctx, input: SqsInput): Promise<JsonObject> {
    const q = await this.existing(ctx, input, 'DeleteQueue');
    const key = queueKey(q.accountId, q.region, q.name);
    this.queues.delete(key);
    this.tasks = this.tasks.filter((t) => t.sourceArn !== q.arn);
    this.notify(q);
    return {};
  }

  private async tagQueue(ctx: Ctx, input: SqsInput): Promise<JsonObject> {
    const tags = input.stringMap('Tags');
    if (tags === undefined) throw missingParameter('Tags');
    const t = this.fromUrl(ctx, input);
    await this.authorize(ctx, 'TagQueue', t, requestTagContext(tags));
    const q = this.queues.get(t.key);
    if (!q) throw queueDoesNotExist();
    const next = { ...q.tags, ...tags };
    if (Object.keys(next).length > MAX_TAGS) throw invalidParameterValue(`Too many tags added for queue ${q.name}.`);
    q.tags = next;
    return {};
  }

  private async untagQueue(ctx: Ctx, input: SqsInput): Promise<JsonObject> {
    const keys = input.stringList('TagKeys');
    if (keys === undefined) throw missingParameter('TagKeys');
    const t = this.fromUrl(ctx, input);
    await this.authorize(ctx, 'UntagQueue', t, keys.length > 0 ? { 'aws:TagKeys': keys } : {});
    const q = this.queues.get(t.key);
    if (!q) throw queueDoesNotExist();
    for (const k of keys) delete q.tags[k];
    return {};
  }

  private async listQueueTags(ctx: Ctx, input: SqsInput): Promise<JsonObject> {
    const q = await this.existing(ctx, input, 'ListQueueTags');
    return Object.keys(q.tags).length > 0 ? { Tags: { ...q.tags } } : {};
  }

  private async addPermission(ctx: Ctx, input: SqsInput): Promise<JsonObject> {
    const label = input.requiredString('Label');
    const accounts = input.stringList('AWSAccountIds');
    const actions = input.stringList('Actions');
    if (accounts === undefined) throw missingParameter('AWSAccountIds');
    if (actions === undefined) throw missingParameter('Actions');
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(label)) throw invalidValue('Label', label, 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length');
    for (const a of accounts) if (!ACCOUNT_ID.test(a)) throw invalidValue('AWSAccountIds', a, 'Invalid account id.');
    for (const a of actions) if (!PERMISSION_ACTIONS.includes(a)) throw invalidValue('Actions', a, 'Invalid action name.');
    const q = await this.existing(ctx, input, 'AddPermission');
    const { doc, statements } = policyStatements(q.attributes.Policy, q.arn);
    if (statements.some((s) => s.Sid === label)) throw invalidValue('Label', label, 'Already exists.');
    const principals = accounts.map((a) => `arn:aws:iam::${a}:root`);
    statements.push({
      Sid: label,
      Effect: 'Allow',
      Principal: { AWS: principals.length === 1 ? principals[0] : principals },
      Action: actions.map((a) => `SQS:${a}`),
      Resource: q.arn,
    });
    q.attributes.Policy = JSON.stringify({ ...doc, Statement: statements });
    q.lastModifiedAt = ctx.now;
    return {};
  }

  private async removePermission(ctx: Ctx, input: SqsInput): Promise<JsonObject> {
    const label = input.requiredString('Label');
    const q = await this.existing(ctx, input, 'RemovePermission');
    const { doc, statements } = policyStatements(q.attributes.Policy, q.arn);
    if (!statements.some((s) => s.Sid === label)) throw invalidValue('Label', label, "can't find label on existing policy.");
    const rest = statements.filter((s) => s.Sid !== label);
    if (rest.length === 0) delete q.attributes.Policy;
    else q.attributes.Policy = JSON.stringify({ ...doc, Statement: rest });
    q.lastModifiedAt = ctx.now;
    return {};
  }

  // ---------------------------------------------------------------- sending

  /** Adds a checked message to `q` (or answers the earlier send of a FIFO duplicate); wakes the queue's long polls. */
  private enqueue(q: QueueRecord, m: CheckedMessage, senderId: string, now: number): JsonObject {
    const md5Attributes = md5OfAttributes(m.attributes);
    const md5System = md5OfAttributes(m.systemAttributes);
    const answer = (messageId: string, sequenceNumber?: string): JsonObject => ({
      MessageId: messageId,
      MD5OfMessageBody: md5Hex(m.body),
      ...(md5Attributes === undefined ? {} : { MD5OfMessageAttributes: md5Attributes }),
      ...(md5System === undefined ? {} : { MD5OfMessageSystemAttributes: md5System }),
      ...(sequenceNumber === undefined ? {} : { SequenceNumber: sequenceNumber }),
    });
    if (q.fifo && m.dedupKey !== undefined) {
      const seen = q.dedup[m.dedupKey];
      if (seen && seen.at + DEDUP_WINDOW_MS > now) return answer(seen.messageId, seen.sequenceNumber);
    }
    const record: MessageRecord = {
      messageId: randomUUID(),
      body: m.body,
      md5OfBody: md5Hex(m.body),
      attributes: m.attributes,
      systemAttributes: m.systemAttributes,
      sentAt: now,
      senderId,
      delayUntil: now + m.delaySeconds * 1000,
      receiveCount: 0,
      receiveSeq: 0,
      ...(m.groupId === undefined ? {} : { groupId: m.groupId }),
      ...(m.dedupId === undefined ? {} : { dedupId: m.dedupId }),
    };
    if (q.fifo) {
      record.sequenceNumber = nextSequenceNumber(q, now);
      if (m.dedupKey !== undefined) q.dedup[m.dedupKey] = { messageId: record.messageId, sequenceNumber: record.sequenceNumber, at: now };
    }
    q.messages.push(record);
    this.notify(q);
    return answer(record.messageId, record.sequenceNumber);
  }

  private sendInput(entry: SqsInput) {
    return {
      body: entry.string('MessageBody'),
      delaySeconds: entry.integer('DelaySeconds'),
      attributes: entry.objectMap('MessageAttributes'),
      systemAttributes: entry.objectMap('MessageSystemAttributes'),
      groupId: entry.string('MessageGroupId'),
      dedupId: entry.string('MessageDeduplicationId'),
    };
  }

  private async sendMessage(ctx: Ctx, input: SqsInput): Promise<JsonObject> {
    const request = this.sendInput(input);
    const q = await this.existing(ctx, input, 'SendMessage');
    return this.enqueue(q, checkMessage(q, request), senderIdOf(ctx.principal), ctx.now);
  }

  /** Entries' ids: 1 to 10 of them, well-formed and distinct (the whole batch fails otherwise). */
  private batchEntries(input: SqsInput, entryName: string): SqsInput[] {
    const entries = input.objectList('Entries');
    if (entries === undefined) throw missingParameter('Entries');
    if (entries.length === 0) throw new AwsError('EmptyBatchRequest', `There should be at least one ${entryName} in the request.`, 400);
    if (entries.length > 10) throw new AwsError('TooManyEntriesInBatchRequest', `Maximum number of entries per request are 10. You have sent ${entries.length}.`, 400);
    const seen = new Set<string>();
    for (const e of entries) {
      const id = e.requiredString('Id');
      if (!BATCH_ID.test(id)) {
        throw new AwsError('InvalidBatchEntryId', 'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.', 400);
      }
      if (seen.has(id)) throw new AwsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`, 400);
      seen.add(id);
    }
    return entries;
  }

  private async sendMessageBatch(ctx: Ctx, input: SqsInput): Promise<JsonObject> {
    const entries = this.batchEntries(input, 'SendMessageBatchRequestEntry');
    const requests = entries.map((e) => ({ id: e.requiredString('Id'), request: this.sendInput(e) }));
    const q = await this.existing(ctx, input, 'SendMessage');
    const max = Number(q.attributes.MaximumMessageSize ?? 1_048_576);
    const total = requests.reduce((n, r) => n + Buffer.byteLength(r.request.body ?? '', 'utf8'), 0);
    if (total > max) throw new AwsError('BatchRequestTooLong', `Batch requests cannot be longer than ${max} bytes. You have sent ${total} bytes.`, 400);
    const successful: JsonObject[] = [];
    const failed: JsonObject[] = [];
    const senderId = senderIdOf(ctx.principal);
    for (const { id, request } of requests) {
      let checked: CheckedMessage;
      try {
        checked = checkMessage(q, request);
      } catch (e) {
        if (!(e instanceof AwsError)) throw e;
        failed.push({ Id: id, SenderFault: true, Code: e.code, Message: e.message });
        continue;
      }
      successful.push({ Id: id, ...this.enqueue(q, checked, senderId, ctx.now) });
    }
    return { Successful: successful, Failed: failed };
  }

  // ---------------------------------------------------------------- receiving

  /** Moves `m` from `q` into its dead-letter queue `dlq` (redrive on receive). */
  private moveToDeadLetter(q: QueueRecord, m: MessageRecord, dlq: QueueRecord, now: number): void {
    q.messages = q.messages.filter((x) => x !== m);
    const { invisibleUntil: _inFlight, ...rest } = m;
    const moved: MessageRecord = { ...rest, delayUntil: now, receiveSeq: m.receiveSeq + 1, deadLetterSourceArn: q.arn };
    if (dlq.fifo) moved.sequenceNumber = nextSequenceNumber(dlq, now);
    dlq.messages.push(moved);
    this.notify(dlq);
  }

  /** Up to `max` receivable messages of `q`, now in flight for `visibility` seconds (redriving those past maxReceiveCount). */
  private take(q: QueueRecord, max: number, visibility: number, now: number): MessageRecord[] {
    expire(q, now);
    const redrive = redrivePolicyOf(q);
    const dlq = redrive ? this.fromArn(redrive.deadLetterTargetArn)?.queue : undefined;
    // FIFO: a group whose earlier message is in flight (or still delayed) delivers nothing after it.
    const blockedGroups = new Set<string>();
    const out: MessageRecord[] = [];
    for (const m of [...q.messages]) {
      if (out.length >= max) break;
      const group = q.fifo ? m.groupId : undefined;
      if (!isAvailable(m, now)) {
        if (group !== undefined) blockedGroups.add(group);
        continue;
      }
      if (group !== undefined && blockedGroups.has(group)) continue;
      if (redrive && dlq && dlq !== q && m.receiveCount >= redrive.maxReceiveCount) {
        this.moveToDeadLetter(q, m, dlq, now);
        continue;
      }
      m.receiveCount++;
      m.receiveSeq++;
      m.firstReceiveAt ??= now;
      m.invisibleUntil = now + visibility * 1000;
      out.push(m);
    }
    return out;
  }

  private async receiveMessage(ctx: Ctx, input: SqsInput): Promise<JsonObject> {
    const max = input.integer('MaxNumberOfMessages') ?? 1;
    const visibilityIn = input.integer('VisibilityTimeout');
    const waitIn = input.integer('WaitTimeSeconds');
    const systemNames = [...(input.stringList('AttributeNames') ?? []), ...(input.stringList('MessageSystemAttributeNames') ?? [])];
    const attributeNames = input.stringList('MessageAttributeNames') ?? [];
    input.string('ReceiveRequestAttemptId');
    if (max < 1 || max > 10) throw invalidValue('MaxNumberOfMessages', max, 'Must be between 1 and 10, if provided.');
    if (visibilityIn !== undefined && (visibilityIn < 0 || visibilityIn > 43_200)) throw invalidValue('VisibilityTimeout', visibilityIn, 'Must be between 0 and 43200, if provided.');
    if (waitIn !== undefined && (waitIn < 0 || waitIn > 20)) throw invalidValue('WaitTimeSeconds', waitIn, 'Must be >= 0 and <= 20, if provided.');
    for (const n of systemNames) if (n !== 'All' && !(SYSTEM_ATTRIBUTE_NAMES as readonly string[]).includes(n)) throw invalidAttributeName(n);
    const q = await this.existing(ctx, input, 'ReceiveMessage');
    const key = queueKey(q.accountId, q.region, q.name);
    const wait = waitIn ?? Number(q.attributes.ReceiveMessageWaitTimeSeconds ?? 0);
    const deadline = this.kernel.now() + wait * 1000;
    const wanted = new Set(systemNames);
    for (;;) {
      const now = this.kernel.now();
      // A queue deleted (or replaced) during the wait answers what it had: nothing.
      if (this.queues.get(key) !== q) return {};
      const visibility = visibilityIn ?? Number(q.attributes.VisibilityTimeout ?? 30);
      const got = this.take(q, max, visibility, now);
      if (got.length > 0) return { Messages: got.map((m) => renderMessage(q.arn, m, wanted, attributeNames)) };
      if (now >= deadline || this.closed) return {};
      await this.waitForChange(key, Math.min(deadline, nextAvailableAt(q, now) ?? deadline));
    }
  }

  /** The message a receipt handle controls in `q`, if the handle is still its latest; throws for a malformed handle. */
  private byHandle(q: QueueRecord, handle: string): { message: MessageRecord | undefined; current: boolean } {
    const parsed = parseReceiptHandle(handle);
    if (!parsed || parsed.arn !== q.arn) throw receiptHandleIsInvalid(handle);
    const message = q.messages.find((m) => m.messageId === parsed.messageId);
    return { message, current: message !== undefined && message.receiveSeq === parsed.receiveSeq };
  }

  /** Deletes the message if `handle` is its latest receipt; an older handle (or a deleted message) succeeds doing nothing. */
  private deleteByHandle(q: QueueRecord, handle: string): void {
    const { message, current } = this.byHandle(q, handle);
    if (message && current) q.messages = q.messages.filter((m) => m !== message);
  }

  private changeVisibility(q: QueueRecord, handle: string, timeout: number, now: number): void {
    if (timeout < 0 || timeout > 43_200) throw invalidValue('VisibilityTimeout', timeout, 'Must be between 0 and 43200, if provided.');
    const { message, current } = this.byHandle(q, handle);
    if (!message || !current) throw invalidValue('ReceiptHandle', handle, 'Message does not exist or is not available for visibility timeout change.');
    if (!isInFlight(message, now)) throw new AwsError('MessageNotInflight', 'Message not inflight.', 400);
    message.invisibleUntil = now + timeout * 1000;
    this.notify(q);
  }

  private async deleteMessage(ctx: Ctx, input: SqsInput): Promise<JsonObject> {
    const handle = input.requiredString('ReceiptHandle');
    const q = await this.existing(ctx, input, 'DeleteMessage');
    this.deleteByHandle(q, handle);
    return {};
  }

  private async deleteMessageBatch(ctx: Ctx, input: SqsInput): Promise<JsonObject> {
    const entries = this.batchEntries(input, 'DeleteMessageBatchRequestEntry');
    const q = await this.existing(ctx, input, 'DeleteMessage');
    const successful: JsonObject[] = [];
    const failed: JsonObject[] = [];
    for (const e of entries) {
      const id = e.requiredString('Id');
      try {
        this.deleteByHandle(q, e.requiredString('ReceiptHandle'));
        successful.push({ Id: id });
      } catch (err) {
        if (!(err instanceof AwsError)) throw err;
        failed.push({ Id: id, SenderFault: true, Code: err.code, Message: err.message });
      }
    }
    return { Successful: successful, Failed: failed };
  }

  private async changeMessageVisibility(ctx: Ctx, input: SqsInput): Promise<JsonObject> {
    const handle = input.requiredString('ReceiptHandle');
    const timeout = input.integer('VisibilityTimeout');
    if (timeout === undefined) throw missingParameter('VisibilityTimeout');
    const q = await this.existing(ctx, input, 'ChangeMessageVisibility');
    this.changeVisibility(q, handle, timeout, this.kernel.now());
    return {};
  }

  private async changeMessageVisibilityBatch(ctx: Ctx, input: SqsInput): Promise<JsonObject> {
    const entries = this.batchEntries(input, 'ChangeMessageVisibilityBatchRequestEntry');
    const q = await this.existing(ctx, input, 'ChangeMessageVisibility');
    const successful: JsonObject[] = [];
    const failed: JsonObject[] = [];
    for (const e of entries) {
      const id = e.requiredString('Id');
      try {
        this.changeVisibility(q, e.requiredString('ReceiptHandle'), e.integer('VisibilityTimeout') ?? 0, this.kernel.now());
        successful.push({ Id: id });
      } catch (err) {
        if (!(err instanceof AwsError)) throw err;
        failed.push({ Id: id, SenderFault: true, Code: err.code, Message: err.message });
      }
    }
    return { Successful: successful, Failed: failed };
  }

  private async purgeQueue(ctx: Ctx, input: SqsInput): Promise<JsonObject> {
    const q = await this.existing(ctx, input, 'PurgeQueue');
    if (q.lastPurgeAt !== undefined && ctx.now - q.lastPurgeAt < PURGE_INTERVAL_MS) {
      throw new AwsError('PurgeQueueInProgress', `Only one PurgeQueue operation on ${q.name} is allowed every 60 seconds.`, 403);
    }
    q.messages = [];
    q.lastPurgeAt = ctx.now;
    return {};
  }

  // ---------------------------------------------------------------- dead-letter queues

  /** Queues of the DLQ's account and region whose RedrivePolicy targets it. */
  private sourcesOf(dlq: QueueRecord): QueueRecord[] {
    return [...this.queues.values()]
      .filter((q) => q.accountId === dlq.accountId && q.region === dlq.region && redrivePolicyOf(q)?.deadLetterTargetArn === dlq.arn)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private async listDeadLetterSourceQueues(ctx: Ctx, input: SqsInput): Promise<JsonObject> {
    const maxResults = input.integer('MaxResults');
    const nextToken = input.string('NextToken');
    if (maxResults !== undefined && (maxResults < 1 || maxResults > 1000)) throw invalidValue('MaxResults', maxResults, 'MaxResults must be an integer between 1 and 1000.');
    const dlq = await this.existing(ctx, input, 'ListDeadLetterSourceQueues');
    const sources = this.sourcesOf(dlq);
    const start = decodeToken(nextToken);
    const end = start + (maxResults ?? 1000);
    return {
      queueUrls: sources.slice(start, end).map((q) => this.urlOf(ctx, q)),
      ...(maxResults !== undefined && end < sources.length ? { NextToken: encodeToken(end) } : {}),
    };
  }

  private moveSource(arn: string): Target {
    const t = this.fromArn(arn);
    if (!t) throw invalidValue('SourceArn', arn, 'Invalid queue ARN.');
    return t;
  }

  private async startMessageMoveTask(ctx: Ctx, input: SqsInput): Promise<JsonObject> {
    const sourceArn = input.requiredString('SourceArn');
    const destinationArn = input.string('DestinationArn');
    const rate = input.integer('MaxNumberOfMessagesPerSecond');
    if (rate !== undefined && (rate < 1 || rate > 500)) throw invalidValue('MaxNumberOfMessagesPerSecond', rate, 'Must be between 1 and 500, if provided.');
    const source = this.moveSource(sourceArn);
    for (const action of ['StartMessageMoveTask', 'ReceiveMessage', 'DeleteMessage']) await this.authorize(ctx, action, source);
    const dlq = this.queues.get(source.key);
    if (!dlq) throw new AwsError('ResourceNotFoundException', 'The resource that you specified for the SourceArn parameter doesn\'t exist.', 404);
    if (this.sourcesOf(dlq).length === 0) throw invalidParameterValue('Source queue must be configured as a Dead Letter Queue.');
    const now = this.kernel.now();
    expire(dlq, now);
    let fixed: QueueRecord | undefined;
    if (destinationArn !== undefined) {
      const dest = this.fromArn(destinationArn);
      if (!dest) throw invalidValue('DestinationArn', destinationArn, 'Invalid queue ARN.');
      await this.authorize(ctx, 'SendMessage', dest);
      fixed = this.queues.get(dest.key);
      if (!fixed) throw new AwsError('ResourceNotFoundException', 'The resource that you specified for the DestinationArn parameter doesn\'t exist.', 404);
      if (fixed === dlq) throw invalidParameterValue('Source queue and destination queue must be different.');
      if (fixed.fifo !== dlq.fifo) throw invalidParameterValue('Destination queue must be same type of queue as the source.');
    }
    const movable = dlq.messages.filter((m) => isAvailable(m, now));
    // Without a DestinationArn every message goes back to the queue it came from, which must accept it from the caller.
    const destinations = new Map<string, QueueRecord | undefined>();
    for (const m of movable) {
      const arn = fixed ? fixed.arn : m.deadLetterSourceArn;
      if (arn === undefined || destinations.has(arn)) continue;
      const t = this.fromArn(arn);
      if (t && !fixed) await this.authorize(ctx, 'SendMessage', t);
      destinations.set(arn, fixed ?? t?.queue);
    }
    let moved = 0;
    for (const m of movable) {
      const dest = fixed ?? (m.deadLetterSourceArn === undefined ? undefined : destinations.get(m.deadLetterSourceArn));
      if (!dest || !this.queues.has(queueKey(dest.accountId, dest.region, dest.name))) continue;
      dlq.messages = dlq.messages.filter((x) => x !== m);
      const { deadLetterSourceArn: _from, invisibleUntil: _inFlight, firstReceiveAt: _first, ...rest } = m;
      const copy: MessageRecord = { ...rest, sentAt: now, delayUntil: now, receiveCount: 0, receiveSeq: m.receiveSeq + 1 };
      if (dest.fifo) copy.sequenceNumber = nextSequenceNumber(dest, now);
      dest.messages.push(copy);
      this.notify(dest);
      moved++;
    }
    const taskHandle = encodeTaskHandle(randomUUID(), dlq.arn);
    const task: MoveTaskRecord = {
      taskHandle,
      sourceArn: dlq.arn,
      ...(destinationArn === undefined ? {} : { destinationArn }),
      ...(rate === undefined ? {} : { maxNumberOfMessagesPerSecond: rate }),
      status: 'COMPLETED',
      moved,
      toMove: movable.length,
      startedAt: now,
      ...(moved < movable.length ? { failureReason: 'Some messages have no source queue to return to (sent to the dead-letter queue directly, or their source queue was deleted).' } : {}),
    };
    this.tasks.push(task);
    return { TaskHandle: taskHandle };
  }

  private async listMessageMoveTasks(ctx: Ctx, input: SqsInput): Promise<JsonObject> {
    const sourceArn = input.requiredString('SourceArn');
    const maxResults = input.integer('MaxResults') ?? 1;
    if (maxResults < 1 || maxResults > 10) throw invalidValue('MaxResults', maxResults, 'Must be between 1 and 10, if provided.');
    const source = this.moveSource(sourceArn);
    await this.authorize(ctx, 'ListMessageMoveTasks', source);
    if (!this.queues.get(source.key)) throw new AwsError('ResourceNotFoundException', 'The resource that you specified for the SourceArn parameter doesn\'t exist.', 404);
    const results = this.tasks
      .filter((t) => t.sourceArn === source.arn)
      .slice()
      .reverse()
      .slice(0, maxResults)
      .map((t) => ({
        ...(t.status === 'RUNNING' ? { TaskHandle: t.taskHandle } : {}),
        Status: t.status,
        SourceArn: t.sourceArn,
        DestinationArn: t.destinationArn,
        MaxNumberOfMessagesPerSecond: t.maxNumberOfMessagesPerSecond,
        ApproximateNumberOfMessagesMoved: t.moved,
        ApproximateNumberOfMessagesToMove: t.toMove,
        FailureReason: t.failureReason,
        StartedTimestamp: t.startedAt,
      }));
    return { Results: results };
  }

  private async cancelMessageMoveTask(ctx: Ctx, input: SqsInput): Promise<JsonObject> {
    const handle = input.requiredString('TaskHandle');
    const decoded = decodeTaskHandle(handle);
    if (!decoded) throw invalidValue('TaskHandle', handle, 'Invalid task handle.');
    const source = this.moveSource(decoded.sourceArn);
    await this.authorize(ctx, 'CancelMessageMoveTask', source);
    const task = this.tasks.find((t) => t.taskHandle === handle);
    if (!task || task.status !== 'RUNNING') throw new AwsError('ResourceNotFoundException', 'The task does not exist or is not running.', 404);
    task.status = 'CANCELLED';
    return { ApproximateNumberOfMessagesMoved: task.moved };
  }
}

