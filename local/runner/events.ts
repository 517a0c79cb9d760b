/**
 * The optimized `events:putEvents` integration, served locally (EventBridge is not emulated): entries are
 * validated as EventBridge does, recorded, and answered with `{Entries: [{EventId}], FailedEntryCount}`.
 * As in Step Functions, any failed entry fails the task with `EventBridge.FailedEntry`.
 */
import { randomUUID } from 'node:crypto';

export interface RecordedEvent {
  id: string;
  /** ISO time */
  time: string;
  /** Bus name (an ARN in the entry is reduced to its name). */
  eventBusName: string;
  source: string;
  detailType: string;
  detail: unknown;
  resources: string[];
  account: string;
  region: string;
  /** The state that sent it. */
  state: string;
}

export class EventBridgeEntryError extends Error {
  constructor(readonly failed: { ErrorCode: string; ErrorMessage: string }[]) {
    super(JSON.stringify({ FailedEntryCount: failed.length, Entries: failed }));
    this.name = 'EventBridge.FailedEntry';
  }
}

export class EventBridgeValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventBridge.ValidationException';
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;

export class LocalEventBridge {
  readonly events: RecordedEvent[] = [];

  constructor(private readonly where: { account: string; region: string }) {}

  /** Serves one putEvents task: `input` is the task's effective input (`{Entries: [...]}`). */
  putEvents(input: unknown, state: string): { Entries: { EventId: string }[]; FailedEntryCount: number } {
    const entries = isRecord(input) ? input.Entries : undefined;
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_ENTRIES) {
      throw new EventBridgeValidationError(`Entries must be an array of 1 to ${MAX_ENTRIES} entries`);
    }
    if (Buffer.byteLength(JSON.stringify(input)) > MAX_REQUEST_BYTES) {
      throw new EventBridgeValidationError('Total size of the entries in the request is over the limit (256 KB)');
    }
    const failed: { ErrorCode: string; ErrorMessage: string }[] = [];
    const accepted: RecordedEvent[] = [];
    for (const entry of entries) {
      if (!isRecord(entry)) {
        failed.push({ ErrorCode: 'InvalidArgument', ErrorMessage: 'Entry is not an object.' });
        continue;
      }
      const { Source, DetailType, Detail, EventBusName, Resources } = entry;
      if (typeof Source !== 'string' || Source === '') {
        failed.push({ ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.' });
        continue;
      }
      if (typeof DetailType !== 'string' || DetailType === '') {
        failed.push({ ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.' });
        continue;
      }
      // The optimized integration serializes an object Detail; a string must be a JSON object.
      let detail: unknown = Detail;
      if (typeof Detail === 'string') {
        try {
          detail = JSON.parse(Detail);
        } catch {
          detail = undefined;
        }
      }
      if (!isRecord(detail)) {
        failed.push({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
        continue;
      }
      const bus = typeof EventBusName === 'string' && EventBusName !== '' ? EventBusName : 'default';
      accepted.push({
        id: randomUUID(),
        time: new Date().toISOString(),
        eventBusName: bus.startsWith('arn:') ? bus.slice(bus.indexOf('event-bus/') + 'event-bus/'.length) : bus,
        source: Source,
        detailType: DetailType,
        detail,
        resources: Array.isArray(Resources) ? Resources.map(String) : [],
        account: this.where.account,
        region: this.where.region,
        state,
      });
    }
    // EventBridge puts the valid entries even when others fail; Step Functions then fails the task.
    this.events.push(...accepted);
    if (failed.length > 0) throw new EventBridgeEntryError(failed);
    return { Entries: accepted.map((e) => ({ EventId: e.id })), FailedEntryCount: 0 };
  }
}
