/**
 * The optimized `events:putEvents` integration, served locally: by default (EventBridge is not reached) entries are
 * validated as EventBridge does, recorded, and answered with `{Entries: [{EventId}], FailedEntryCount}`. With a
 * sender (`forward`, RunOptions.putEvents: e.g. the sandbox's EventBridge as the state machine's role) the entries go
 * there and the events it accepted are recorded. As in Step Functions, any failed entry fails the task with
 * `EventBridge.FailedEntry`.
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

/** PutEvents' answer. */
export interface PutEventsResult {
  Entries: Array<{ EventId?: string; ErrorCode?: string; ErrorMessage?: string }>;
  FailedEntryCount: number;
}

/**
 * Sends one putEvents task's entries (`input`: the task's effective input, `{Entries: [...]}`) to an EventBridge;
 * `execution` is the execution whose state sends them. Throws what the task fails with (an error named like the
 * service's exception).
 */
export type PutEventsSender = (input: unknown, state: string, execution: { executionArn: string; stateMachineArn: string }) => Promise<PutEventsResult>;

/** An entry's Detail as JSON: an object as given, a string parsed (undefined when it is no JSON). */
function parsedDetail(detail: unknown): unknown {
  if (typeof detail !== 'string') return detail;
  try {
    return JSON.parse(detail) as unknown;
  } catch {
    return undefined;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An entry's EventBusName as a name (an ARN is reduced to its name; none: `default`). */
function busName(v: unknown): string {
  const bus = typeof v === 'string' && v !== '' ? v : 'default';
  return bus.startsWith('arn:') ? bus.slice(bus.indexOf('event-bus/') + 'event-bus/'.length) : bus;
}

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
      const { Source, DetailType, Detail } = entry;
      if (typeof Source !== 'string' || Source === '') {
        failed.push({ ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.' });
        continue;
      }
      if (typeof DetailType !== 'string' || DetailType === '') {
        failed.push({ ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.' });
        continue;
      }
      // The optimized integration serializes an object Detail; a string must be a JSON object.
      if (!isRecord(parsedDetail(Detail))) {
        failed.push({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
        continue;
      }
      accepted.push(this.record(entry, randomUUID(), new Date().toISOString(), state));
    }
    // EventBridge puts the valid entries even when others fail; Step Functions then fails the task.
    this.events.push(...accepted);
    if (failed.length > 0) throw new EventBridgeEntryError(failed);
    return { Entries: accepted.map((e) => ({ EventId: e.id })), FailedEntryCount: 0 };
  }

  /** An accepted entry as recorded (a Detail string that is no JSON is kept as given). */
  private record(entry: Record<string, unknown>, id: string, time: string, state: string): RecordedEvent {
    const { Source, DetailType, Detail, EventBusName, Resources } = entry;
    return {
      id,
      time,
      eventBusName: busName(EventBusName),
      source: String(Source),
      detailType: String(DetailType),
      detail: parsedDetail(Detail) ?? Detail,
      resources: Array.isArray(Resources) ? Resources.map(String) : [],
      account: this.where.account,
      region: this.where.region,
      state,
    };
  }

  /**
   * Serves one putEvents task through `send` (a real EventBridge): records the entries it accepted (an `EventId` in
   * the answer), fails the task with `EventBridge.FailedEntry` if any entry failed, else answers what it answered.
   */
  async forward(input: unknown, state: string, send: (input: unknown) => Promise<PutEventsResult>): Promise<PutEventsResult> {
    const out = await send(input);
    const entries = isRecord(input) && Array.isArray(input.Entries) ? input.Entries : [];
    const time = new Date().toISOString();
    out.Entries.forEach((answer, i) => {
      const entry: unknown = entries[i];
      if (answer.EventId !== undefined && isRecord(entry)) this.events.push(this.record(entry, answer.EventId, time, state));
    });
    const failed = out.Entries.filter((e) => e.ErrorCode !== undefined).map((e) => ({ ErrorCode: e.ErrorCode ?? '', ErrorMessage: e.ErrorMessage ?? '' }));
    if (out.FailedEntryCount > 0 || failed.length > 0) throw new EventBridgeEntryError(failed);
    return out;
  }
}
