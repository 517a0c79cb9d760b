/**
 * Queue attributes as CreateQueue / SetQueueAttributes take them and GetQueueAttributes returns them: names, ranges,
 * defaults, the JSON documents (Policy, RedrivePolicy, RedriveAllowPolicy) and the FIFO-only ones. Checks that need
 * other queues (the dead-letter target exists, its RedriveAllowPolicy admits the source) are the service's.
 */
import { invalidAttributeName, invalidAttributeValue } from './errors';

/** Integer attributes: [min, max, default]. */
const INTEGER_ATTRIBUTES: Record<string, [number, number, number]> = {
  DelaySeconds: [0, 900, 0],
  MaximumMessageSize: [1024, 1_048_576, 1_048_576],
  MessageRetentionPeriod: [60, 1_209_600, 345_600],
  ReceiveMessageWaitTimeSeconds: [0, 20, 0],
  VisibilityTimeout: [0, 43_200, 30],
  KmsDataKeyReusePeriodSeconds: [60, 86_400, 300],
};

const FIFO_ONLY = ['ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit'];
/** Attributes that `''` removes (GetQueueAttributes then omits them). */
const REMOVABLE = ['Policy', 'RedrivePolicy', 'RedriveAllowPolicy', 'KmsMasterKeyId'];
const SETTABLE = [...Object.keys(INTEGER_ATTRIBUTES), ...FIFO_ONLY, ...REMOVABLE, 'SqsManagedSseEnabled', 'FifoQueue'];

/** The attributes CreateQueue / SetQueueAttributes take (the app loader maps a template's queue properties onto them). */
export const SETTABLE_ATTRIBUTES: readonly string[] = SETTABLE;

export const READ_ONLY_ATTRIBUTES = [
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
] as const;

/** GetQueueAttributes' `All`, in the order SQS lists them. */
export const ALL_ATTRIBUTES = [
  ...READ_ONLY_ATTRIBUTES,
  'VisibilityTimeout',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'DelaySeconds',
  'ReceiveMessageWaitTimeSeconds',
  'Policy',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'SqsManagedSseEnabled',
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
] as const;

export function isKnownAttribute(name: string): boolean {
  return (ALL_ATTRIBUTES as readonly string[]).includes(name);
}

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

export interface RedriveAllowPolicy {
  redrivePermission: 'allowAll' | 'denyAll' | 'byQueue';
  sourceQueueArns?: string[];
}

export const QUEUE_ARN = /^arn:aws:sqs:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,80}(?:\.fifo)?)$/;

function parseJson(name: string, text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidAttributeValue(name);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidAttributeValue(name);
  return parsed as Record<string, unknown>;
}

export function parseRedrivePolicy(text: string): RedrivePolicy {
  const p = parseJson('RedrivePolicy', text);
  const arn = p.deadLetterTargetArn;
  const raw = p.maxReceiveCount;
  const count = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof arn !== 'string' || !QUEUE_ARN.test(arn)) throw invalidAttributeValue('RedrivePolicy', 'Invalid value for deadLetterTargetArn.');
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 1000) {
    throw invalidAttributeValue('RedrivePolicy', 'Invalid value for maxReceiveCount: must be an integer from 1 to 1000.');
  }
  return { deadLetterTargetArn: arn, maxReceiveCount: count };
}

export function parseRedriveAllowPolicy(text: string): RedriveAllowPolicy {
  const p = parseJson('RedriveAllowPolicy', text);
  const permission = p.redrivePermission;
  if (permission !== 'allowAll' && permission !== 'denyAll' && permission !== 'byQueue') {
    throw invalidAttributeValue('RedriveAllowPolicy', 'Invalid value for redrivePermission: allowAll, denyAll or byQueue.');
  }
  const arns = p.sourceQueueArns;
  if (permission !== 'byQueue') {
    if (arns !== undefined) throw invalidAttributeValue('RedriveAllowPolicy', 'sourceQueueArns is only valid with redrivePermission byQueue.');
    return { redrivePermission: permission };
  }
  if (!Array.isArray(arns) || arns.length < 1 || arns.length > 10 || arns.some((a) => typeof a !== 'string' || !QUEUE_ARN.test(a))) {
    throw invalidAttributeValue('RedriveAllowPolicy', 'byQueue needs 1 to 10 queue ARNs in sourceQueueArns.');
  }
  return { redrivePermission: permission, sourceQueueArns: arns as string[] };
}

/**
 * Validates attributes given to CreateQueue (`creating`) or SetQueueAttributes and returns them normalised
 * (integers without leading zeros, RedrivePolicy as SQS renders it; `''` for a removed document).
 */
export function normalizeAttributes(given: Readonly<Record<string, string>>, opts: { creating: boolean; fifo: boolean }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    if (!SETTABLE.includes(name)) throw invalidAttributeName(name);
    const range = INTEGER_ATTRIBUTES[name];
    if (range) {
      const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
      if (!Number.isInteger(n) || n < range[0] || n > range[1]) throw invalidAttributeValue(name);
      out[name] = String(n);
      continue;
    }
    switch (name) {
      case 'FifoQueue':
        if (!opts.creating) throw invalidAttributeName(name);
        if (value !== 'true' && value !== 'false') throw invalidAttributeValue(name);
        out[name] = value;
        break;
      case 'ContentBasedDeduplication':
      case 'SqsManagedSseEnabled':
        if (value !== 'true' && value !== 'false') throw invalidAttributeValue(name);
        out[name] = value;
        break;
      case 'DeduplicationScope':
        if (value !== 'messageGroup' && value !== 'queue') throw invalidAttributeValue(name);
        out[name] = value;
        break;
      case 'FifoThroughputLimit':
        if (value !== 'perQueue' && value !== 'perMessageGroupId') throw invalidAttributeValue(name);
        out[name] = value;
        break;
      case 'Policy': {
        if (value !== '') {
          const doc = parseJson(name, value);
          if (doc.Statement === undefined) throw invalidAttributeValue(name);
        }
        out[name] = value;
        break;
      }
      case 'RedrivePolicy':
        out[name] = value === '' ? '' : JSON.stringify(parseRedrivePolicy(value));
        break;
      case 'RedriveAllowPolicy':
        out[name] = value === '' ? '' : JSON.stringify(parseRedriveAllowPolicy(value));
        break;
      case 'KmsMasterKeyId':
        out[name] = value;
        break;
    }
  }
  for (const name of FIFO_ONLY) {
    if (out[name] !== undefined && !opts.fifo) throw invalidAttributeName(name);
  }
  if (out.KmsMasterKeyId && out.SqsManagedSseEnabled === 'true') {
    throw invalidAttributeValue('SqsManagedSseEnabled', 'You can use one type of server-side encryption (SSE) at one time: SQS-owned (SSE-SQS) or KMS (SSE-KMS).');
  }
  return out;
}

/** The attributes of a new queue: defaults, then what CreateQueue gave (already normalised). */
export function initialAttributes(given: Readonly<Record<string, string>>, fifo: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, [, , dflt]] of Object.entries(INTEGER_ATTRIBUTES)) out[name] = String(dflt);
  out.SqsManagedSseEnabled = given.KmsMasterKeyId ? 'false' : 'true';
  if (fifo) {
    out.FifoQueue = 'true';
    out.ContentBasedDeduplication = 'false';
    out.DeduplicationScope = 'queue';
    out.FifoThroughputLimit = 'perQueue';
  }
  return applyAttributes(out, given);
}

/** `current` with `changes` applied: `''` removes a document; a KMS key turns SSE-SQS off and SSE-SQS a KMS key. */
export function applyAttributes(current: Readonly<Record<string, string>>, changes: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = { ...current };
  for (const [name, value] of Object.entries(changes)) {
    if (name === 'FifoQueue' && value === 'false') continue;
    if (REMOVABLE.includes(name) && value === '') delete out[name];
    else out[name] = value;
  }
  if (changes.KmsMasterKeyId) out.SqsManagedSseEnabled = 'false';
  if (changes.SqsManagedSseEnabled === 'true') delete out.KmsMasterKeyId;
  if (!out.KmsMasterKeyId) delete out.KmsDataKeyReusePeriodSeconds;
  else out.KmsDataKeyReusePeriodSeconds ??= String(INTEGER_ATTRIBUTES.KmsDataKeyReusePeriodSeconds?.[2] ?? 300);
  return out;
}

/** The name of the first given attribute whose value differs from the queue's (CreateQueue on an existing name). */
export function firstDifference(current: Readonly<Record<string, string>>, given: Readonly<Record<string, string>>, fifo: boolean): string | undefined {
  for (const [name, value] of Object.entries(given)) {
    if (name === 'FifoQueue') {
      if ((value === 'true') !== fifo) return name;
      continue;
    }
    const have = current[name] ?? '';
    if (name === 'Policy' && value !== '' && have !== '') {
      if (JSON.stringify(JSON.parse(value)) !== JSON.stringify(JSON.parse(have))) return name;
      continue;
    }
    if (have !== value) return name;
  }
  return undefined;
}
