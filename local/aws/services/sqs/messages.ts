/**
 * Messages going in and out: SendMessage's checks (body characters, message attributes, size, per-message delay, FIFO
 * group and deduplication ids), and the Message structure ReceiveMessage returns (system attributes, the message
 * attributes asked for and their digest).
 */
import { createHash } from 'node:crypto';
import { AwsError } from '../../core/errors';
import { invalidParameterValue, invalidValue, missingParameter } from './errors';
import { isObject, type JsonObject } from './input';
import { isBinaryType, md5OfAttributes, type MessageAttributeValue } from './md5';
import { receiptHandle, type MessageRecord, type QueueRecord } from './queues';

/** What one SendMessage (or batch entry, or delivery) asks for. */
export interface SendRequest {
  body: string | undefined;
  delaySeconds?: number | undefined;
  attributes?: Record<string, JsonObject> | undefined;
  systemAttributes?: Record<string, JsonObject> | undefined;
  groupId?: string | undefined;
  dedupId?: string | undefined;
}

/** A validated message, ready to be enqueued. */
export interface CheckedMessage {
  body: string;
  delaySeconds: number;
  attributes: Record<string, MessageAttributeValue>;
  systemAttributes: Record<string, MessageAttributeValue>;
  groupId?: string;
  dedupId?: string;
  /** The key the FIFO deduplication window uses (scope included). */
  dedupKey?: string;
}

/** XML 1.0 characters are allowed; anything else is refused (as SQS refuses it). */
const INVALID_CHARACTER = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const GROUP_ID = /^[\x21-\x7E]{1,128}$/;

function checkCharacters(text: string, where: string): void {
  const bad = INVALID_CHARACTER.exec(text);
  if (bad) {
    const code = bad[0].codePointAt(0) ?? 0;
    throw new AwsError(
      'InvalidMessageContents',
      `Invalid binary character '#x${code.toString(16).toUpperCase()}' was found in the ${where}, the set of allowed characters is available at https://www.w3.org/TR/REC-xml/#charsets`,
      400,
    );
  }
}

function readAttribute(name: string, raw: JsonObject, kind: 'message' | 'system'): MessageAttributeValue {
  const label = kind === 'message' ? 'message attribute' : 'message system attribute';
  const dataType = raw.DataType;
  if (typeof dataType !== 'string' || dataType === '') throw invalidParameterValue(`The ${label} '${name}' must contain non-empty ${label} type.`);
  if (!/^(String|Number|Binary)(\.[A-Za-z0-9_.-]{1,256})?$/.test(dataType) || dataType.length > 256) {
    throw invalidParameterValue(`The type of ${label} '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`);
  }
  if (raw.StringListValues !== undefined || raw.BinaryListValues !== undefined) {
    throw invalidParameterValue(`Message attribute list values in SendMessage operation are not supported.`);
  }
  if (isBinaryType(dataType)) {
    const b = raw.BinaryValue;
    if (typeof b !== 'string' || b === '') throw invalidParameterValue(`The ${label} '${name}' with type 'Binary' must use field 'Binary'.`);
    return { DataType: dataType, BinaryValue: Buffer.from(b, 'base64').toString('base64') };
  }
  const s = raw.StringValue;
  const field = dataType.startsWith('Number') ? 'Number' : 'String';
  if (typeof s !== 'string' || s === '') throw invalidParameterValue(`The ${label} '${name}' with type '${field}' must use field 'String'.`);
  if (field === 'Number' && !NUMBER.test(s)) throw invalidParameterValue(`Can't cast the value of ${label} '${name}' to a number.`);
  checkCharacters(s, `${label} '${name}'`);
  return { DataType: dataType, StringValue: s };
}

function readAttributes(raw: Record<string, JsonObject> | undefined): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  const entries = Object.entries(raw ?? {});
  if (entries.length > 10) throw invalidParameterValue(`Number of message attributes [${entries.length}] exceeds the allowed maximum [10].`);
  for (const [name, value] of entries) {
    if (!ATTRIBUTE_NAME.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..') || /^(aws\.|amazon\.)/i.test(name)) {
      throw invalidParameterValue(`Message (user) attribute '${name}' is invalid. The attribute name can contain A-Z, a-z, 0-9, underscore (_), hyphen (-), and period (.) characters, must not start or end with a period, must not contain consecutive periods and must not start with 'AWS.' or 'Amazon.'.`);
    }
    if (!isObject(value)) throw invalidParameterValue(`The message attribute '${name}' is invalid.`);
    out[name] = readAttribute(name, value, 'message');
  }
  return out;
}

function readSystemAttributes(raw: Record<string, JsonObject> | undefined): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (name !== 'AWSTraceHeader') throw invalidParameterValue(`Message system attribute name '${name}' is invalid.`);
    const attr = readAttribute(name, value, 'system');
    if (attr.DataType !== 'String') throw invalidParameterValue(`Message system attribute '${name}' must have the type String.`);
    out[name] = attr;
  }
  return out;
}

/** The bytes a message counts against MaximumMessageSize: body, and every attribute's name, type and value. */
export function messageSize(body: string, attributes: Readonly<Record<string, MessageAttributeValue>>): number {
  let size = Buffer.byteLength(body, 'utf8');
  for (const [name, a] of Object.entries(attributes)) {
    size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(a.DataType, 'utf8');
    size += a.BinaryValue !== undefined ? Buffer.from(a.BinaryValue, 'base64').length : Buffer.byteLength(a.StringValue ?? '', 'utf8');
  }
  return size;
}

/** SendMessage's checks for `q`; throws the AwsError SQS answers. */
export function checkMessage(q: QueueRecord, r: SendRequest): CheckedMessage {
  if (r.body === undefined) throw missingParameter('MessageBody');
  if (r.body === '') throw invalidParameterValue('The request must contain a MessageBody of at least one character.');
  checkCharacters(r.body, 'message body');
  const attributes = readAttributes(r.attributes);
  const systemAttributes = readSystemAttributes(r.systemAttributes);
  const max = Number(q.attributes.MaximumMessageSize ?? 1_048_576);
  if (messageSize(r.body, attributes) > max) {
    throw invalidParameterValue(`One or more parameters are invalid. Reason: Message must be shorter than ${max} bytes.`);
  }
  if (r.delaySeconds !== undefined) {
    if (q.fifo) throw invalidValue('DelaySeconds', r.delaySeconds, 'The request include parameter that is not valid for this queue type.');
    if (r.delaySeconds < 0 || r.delaySeconds > 900) throw invalidValue('DelaySeconds', r.delaySeconds, 'DelaySeconds must be >= 0 and <= 900.');
  }
  const out: CheckedMessage = { body: r.body, delaySeconds: r.delaySeconds ?? Number(q.attributes.DelaySeconds ?? 0), attributes, systemAttributes };
  if (r.groupId !== undefined) {
    if (!GROUP_ID.test(r.groupId)) throw invalidValue('MessageGroupId', r.groupId, 'MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.');
    out.groupId = r.groupId;
  }
  if (!q.fifo) {
    if (r.dedupId !== undefined) throw invalidValue('MessageDeduplicationId', r.dedupId, 'The request include parameter that is not valid for this queue type.');
    return out;
  }
  if (r.groupId === undefined) throw missingParameter('MessageGroupId');
  let dedupId = r.dedupId;
  if (dedupId === undefined) {
    if (q.attributes.ContentBasedDeduplication !== 'true') {
      throw invalidParameterValue('The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
    }
    dedupId = createHash('sha256').update(r.body, 'utf8').digest('hex');
  } else if (!GROUP_ID.test(dedupId)) {
    throw invalidValue('MessageDeduplicationId', dedupId, 'MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.');
  }
  out.dedupId = dedupId;
  out.dedupKey = q.attributes.DeduplicationScope === 'messageGroup' ? `${r.groupId}|${dedupId}` : dedupId;
  return out;
}

/** System attribute names ReceiveMessage can return. */
export const SYSTEM_ATTRIBUTE_NAMES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageDeduplicationId',
  'MessageGroupId',
  'AWSTraceHeader',
  'DeadLetterQueueSourceArn',
] as const;

function systemAttributes(m: MessageRecord, wanted: ReadonlySet<string>): Record<string, string> | undefined {
  const all = wanted.has('All');
  const values: Record<string, string | undefined> = {
    SenderId: m.senderId,
    SentTimestamp: String(m.sentAt),
    ApproximateReceiveCount: String(m.receiveCount),
    ApproximateFirstReceiveTimestamp: m.firstReceiveAt === undefined ? undefined : String(m.firstReceiveAt),
    SequenceNumber: m.sequenceNumber,
    MessageDeduplicationId: m.dedupId,
    MessageGroupId: m.groupId,
    AWSTraceHeader: m.systemAttributes.AWSTraceHeader?.StringValue,
    DeadLetterQueueSourceArn: m.deadLetterSourceArn,
  };
  const out: Record<string, string> = {};
  for (const name of SYSTEM_ATTRIBUTE_NAMES) {
    const v = values[name];
    if (v !== undefined && (all || wanted.has(name))) out[name] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The message attributes MessageAttributeNames asks for: `All`, `.*`, exact names or `prefix.*`. */
export function selectAttributes(attrs: Readonly<Record<string, MessageAttributeValue>>, names: readonly string[]): Record<string, MessageAttributeValue> {
  if (names.length === 0) return {};
  const all = names.includes('All') || names.includes('.*');
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attrs)) {
    const hit = all || names.some((n) => (n.endsWith('.*') ? name.startsWith(n.slice(0, -1)) : n === name));
    if (hit) out[name] = value;
  }
  return out;
}

/**
 * One received message as ReceiveMessage returns it. MD5OfMessageAttributes covers the attributes returned (so a
 * client checking it against what it got agrees), and is absent when none are.
 */
export function renderMessage(queueArn: string, m: MessageRecord, systemNames: ReadonlySet<string>, attributeNames: readonly string[]): JsonObject {
  const attrs = selectAttributes(m.attributes, attributeNames);
  const md5 = md5OfAttributes(attrs);
  return {
    MessageId: m.messageId,
    ReceiptHandle: receiptHandle(queueArn, m),
    MD5OfBody: m.md5OfBody,
    Body: m.body,
    Attributes: systemAttributes(m, systemNames),
    ...(md5 === undefined ? {} : { MD5OfMessageAttributes: md5, MessageAttributes: attrs }),
  };
}
