/**
 * The request queue's message (pure): the EventBridge event the rule delivered, unchanged. The rule's SQS
 * target sends the WHOLE event (no input path), so the body is
 * `{"version":"0","id":…,"detail-type":"Tenant Onboarding Requested","source":"palette.onboarding",…,"detail":{…}}`
 * and the onboarding request is its `detail`. Messages EventBridge could not deliver land in the dead-letter
 * queue in the same shape, so one redrive (DLQ -> request queue) serves both kinds of dead letters.
 *
 * A body that is not JSON, not an object, or has no object `detail` cannot be an onboarding request event:
 * that is permanent for the message (see starter.ts for what happens to it). The request itself is NOT
 * validated here: an invalid request is still started, and the workflow's ValidateRequest state reports
 * field-level errors in its `Tenant Onboarding Failed` event.
 */

export interface RequestEvent {
  /** The request as given (onboarding or offboarding): the execution input, and what the execution name derives from. */
  request: Record<string, unknown>;
  /** The event's id, source and detail-type, when present (the detail-type picks the workflow; the id names an offboarding). */
  eventId?: string;
  source?: string;
  detailType?: string;
  /** The event's time (ISO 8601), when present. */
  time?: string;
  /** The whole event as delivered (account vending reads the envelope as well as the detail). */
  event: Record<string, unknown>;
}

export type ParsedMessage = { ok: true; event: RequestEvent } | { ok: false; reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Reads one SQS message body. The reason never quotes the body (it could hold anything). */
export function parseRequestMessage(body: string): ParsedMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { ok: false, reason: `the message body is not JSON (${body.length} characters)` };
  }
  if (!isObject(value)) return { ok: false, reason: `the message body is ${kindOf(value)}, not an EventBridge event object` };
  const detail = value.detail;
  if (!isObject(detail)) {
    return {
      ok: false,
      reason:
        detail === undefined
          ? 'the message is not an EventBridge event: it has no detail (the onboarding request)'
          : `the event's detail is ${kindOf(detail)}, not an object (the onboarding request)`,
    };
  }
  const eventId = text(value.id);
  const source = text(value.source);
  const detailType = text(value['detail-type']);
  const time = text(value.time);
  return {
    ok: true,
    event: { request: detail, event: value, ...(eventId ? { eventId } : {}), ...(source ? { source } : {}), ...(detailType ? { detailType } : {}), ...(time ? { time } : {}) },
  };
}
