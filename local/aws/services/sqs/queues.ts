/**
 * The SQS data model: queues (per account and region) holding their messages, with the visibility bookkeeping SQS
 * does: a message is delayed until `delayUntil`, in flight until `invisibleUntil` after a receive, otherwise
 * available; it expires `MessageRetentionPeriod` seconds after it was first sent. Receipt handles name the receive they
 * came from (`receiveSeq`), so a handle from an earlier receive no longer controls the message. Everything here is
 * plain JSON for the state file.
 */
import { randomBytes } from 'node:crypto';
import { parseRedrivePolicy, type RedrivePolicy } from './attributes';
import type { MessageAttributeValue } from './md5';

export interface MessageRecord {
  messageId: string;
  body: string;
  md5OfBody: string;
  attributes: Record<string, MessageAttributeValue>;
  /** Message system attributes (AWSTraceHeader). */
  systemAttributes: Record<string, MessageAttributeValue>;
  /** First enqueue (ms): SentTimestamp, and what the retention period counts from. */
  sentAt: number;
  senderId: string;
  delayUntil: number;
  /** Set by a receive (and ChangeMessageVisibility): invisible until then. */
  invisibleUntil?: number;
  receiveCount: number;
  firstReceiveAt?: number;
  /** Receives so far, including those that moved it; a receipt handle carries the one it came from. */
  receiveSeq: number;
  /** FIFO queues. */
  groupId?: string;
  dedupId?: string;
  sequenceNumber?: string;
  /** Set when a redrive moved the message into this dead-letter queue: where it came from. */
  deadLetterSourceArn?: string;
}

export interface QueueRecord {
  accountId: string;
  region: string;
  name: string;
  arn: string;
  fifo: boolean;
  createdAt: number;
  lastModifiedAt: number;
  /** Settable attributes with their current values (defaults included; absent documents omitted). */
  attributes: Record<string, string>;
  tags: Record<string, string>;
  /** Oldest first. */
  messages: MessageRecord[];
  lastPurgeAt?: number;
  /** FIFO: the last sequence number handed out. */
  sequence: number;
  /** FIFO: deduplication ids seen in the last five minutes -> what the first send answered. */
  dedup: Record<string, { messageId: string; sequenceNumber: string; at: number }>;
}

export interface MoveTaskRecord {
  taskHandle: string;
  sourceArn: string;
  destinationArn?: string;
  maxNumberOfMessagesPerSecond?: number;
  status: 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';
  moved: number;
  toMove: number;
  startedAt: number;
  failureReason?: string;
}

export const DEDUP_WINDOW_MS = 5 * 60_000;

export const queueKey = (accountId: string, region: string, name: string): string => `${accountId}|${region}|${name}`;
export const queueArn = (region: string, accountId: string, name: string): string => `arn:aws:sqs:${region}:${accountId}:${name}`;

export function redrivePolicyOf(q: QueueRecord): RedrivePolicy | undefined {
  const text = q.attributes.RedrivePolicy;
  return text ? parseRedrivePolicy(text) : undefined;
}

export const isAvailable = (m: MessageRecord, now: number): boolean => m.delayUntil <= now && (m.invisibleUntil ?? 0) <= now;
export const isInFlight = (m: MessageRecord, now: number): boolean => m.invisibleUntil !== undefined && m.invisibleUntil > now;
export const isDelayed = (m: MessageRecord, now: number): boolean => m.delayUntil > now && !isInFlight(m, now);

/** Drops messages past the retention period and FIFO deduplication ids past their window. */
export function expire(q: QueueRecord, now: number): void {
  const retentionMs = Number(q.attributes.MessageRetentionPeriod ?? 345_600) * 1000;
  if (q.messages.some((m) => m.sentAt + retentionMs <= now)) q.messages = q.messages.filter((m) => m.sentAt + retentionMs > now);
  for (const [id, d] of Object.entries(q.dedup)) if (d.at + DEDUP_WINDOW_MS <= now) delete q.dedup[id];
}

export function counts(q: QueueRecord, now: number): { available: number; inFlight: number; delayed: number } {
  let available = 0;
  let inFlight = 0;
  let delayed = 0;
  for (const m of q.messages) {
    if (isInFlight(m, now)) inFlight++;
    else if (m.delayUntil > now) delayed++;
    else available++;
  }
  return { available, inFlight, delayed };
}

/** When the next delayed or in-flight message becomes available (undefined: none will by itself). */
export function nextAvailableAt(q: QueueRecord, now: number): number | undefined {
  let next: number | undefined;
  for (const m of q.messages) {
    const at = Math.max(m.delayUntil, m.invisibleUntil ?? 0);
    if (at > now && (next === undefined || at < next)) next = at;
  }
  return next;
}

/** A receipt handle for the receive `m.receiveSeq` of `m` from queue `arn` (opaque base64, as SQS's are). */
export function receiptHandle(arn: string, m: MessageRecord): string {
  return Buffer.from(`${arn}|${m.messageId}|${m.receiveSeq}|${randomBytes(24).toString('base64')}`, 'utf8').toString('base64');
}

export function parseReceiptHandle(handle: string): { arn: string; messageId: string; receiveSeq: number } | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(handle)) return undefined;
  const parts = Buffer.from(handle, 'base64').toString('utf8').split('|');
  if (parts.length !== 4) return undefined;
  const [arn = '', messageId = '', seq = ''] = parts;
  if (!arn.startsWith('arn:aws:sqs:') || messageId === '' || !/^\d+$/.test(seq)) return undefined;
  return { arn, messageId, receiveSeq: Number(seq) };
}

/** A FIFO sequence number: 20 digits, increasing per queue. */
export function nextSequenceNumber(q: QueueRecord, now: number): string {
  q.sequence = Math.max(q.sequence + 1, now * 1000);
  return String(q.sequence).padStart(20, '1');
}
