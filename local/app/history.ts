/**
 * The local runner's execution history (local/runner/execute.ts HistoryEvent) in GetExecutionHistory's shape
 * (local/aws/services/states/engine.ts ExecutionHistoryEvent): `<Type>StateEntered` / `<Type>StateExited` with
 * `stateEnteredEventDetails` / `stateExitedEventDetails`, the Lambda and service-integration task events with their
 * `...EventDetails`, Parallel / Map failures. The runner's own bookkeeping events (StateRetried, StateCaught, the
 * StateFailed of a Task, whose Lambda / Task failure event already says it) have no Step Functions counterpart and are
 * left out; the execution-level events are the service's (it writes them itself).
 *
 * `previousEventId`: a state's events point at its StateEntered event (what the CLI's HistoryProgress walks to find
 * the state of a task event); a StateEntered event points at the event before it.
 *
 * Live: ExecutionHistoryTranslator maps the runner's events as they come (RunOptions.onHistoryEvents), numbering on
 * from the events it mapped before; `toExecutionHistory` maps a whole history at once.
 */
import type { HistoryEvent } from '../runner/execute';
import type { ExecutionHistoryEvent } from '../aws/services/states/engine';

const EXECUTION_LEVEL = new Set(['ExecutionStarted', 'ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut']);

const json = (v: unknown): string => JSON.stringify(v ?? null);

/** `arn:aws:lambda:...` / `arn:aws:states:::events:putEvents` -> the resourceType / resource pair of Task events. */
function taskResource(resource: string | undefined): { resourceType: string; resource: string } {
  const r = resource ?? '';
  const m = /^arn:[^:]+:states:::([^:]+):(.+)$/.exec(r);
  if (m) return { resourceType: m[1] as string, resource: m[2] as string };
  if (/^arn:[^:]+:states:::aws-sdk:/.test(r)) {
    const [, , service = '', action = ''] = r.split(':::')[1]?.split(':') ?? [];
    return { resourceType: `aws-sdk:${service}`, resource: action };
  }
  return { resourceType: 'lambda', resource: r };
}

/** Maps the runner's history events in GetExecutionHistory's shape, batch after batch (ids go on from one batch to the next). */
export class ExecutionHistoryTranslator {
  /** The id (1-based, over every batch) of the latest StateEntered of each state name. */
  private readonly entered = new Map<string, number>();
  private lastId = 0;

  /** `region` goes into TaskScheduled as Step Functions writes it. */
  constructor(private readonly region: string) {}

  /** The events of `events` that have a Step Functions counterpart, numbered on from the previous batch. */
  translate(events: readonly HistoryEvent[]): ExecutionHistoryEvent[] {
    const out: ExecutionHistoryEvent[] = [];
    const region = this.region;
    const push = (e: Omit<ExecutionHistoryEvent, 'id' | 'previousEventId'>, state: string | undefined, isEntered = false) => {
      const id = ++this.lastId;
      const previousEventId = isEntered || state === undefined ? id - 1 : (this.entered.get(state) ?? id - 1);
      out.push({ ...e, id, previousEventId });
      if (isEntered && state !== undefined) this.entered.set(state, id);
    };
    for (const e of events) {
      if (EXECUTION_LEVEL.has(e.type)) continue;
      const timestamp = Date.parse(e.timestamp) || Date.now();
      const state = e.state;
      if (e.type.endsWith('StateEntered')) {
        push({ type: e.type, timestamp, stateEnteredEventDetails: { name: state, input: json(e.input), inputDetails: { truncated: false } } }, state, true);
      } else if (e.type.endsWith('StateExited')) {
        push({ type: e.type, timestamp, stateExitedEventDetails: { name: state, output: json(e.output), outputDetails: { truncated: false } } }, state);
      } else if (e.type === 'StateFailed') {
        // Only a Parallel / Map failure has an event of its own in Step Functions.
        if (e.stateType === 'Parallel' || e.stateType === 'Map') push({ type: `${e.stateType}StateFailed`, timestamp }, state);
      } else if (e.type === 'LambdaFunctionScheduled') {
        push({ type: e.type, timestamp, lambdaFunctionScheduledEventDetails: { resource: e.resource, input: json(e.input), inputDetails: { truncated: false } } }, state);
      } else if (e.type === 'LambdaFunctionStarted') {
        push({ type: e.type, timestamp }, state);
      } else if (e.type === 'LambdaFunctionSucceeded') {
        push({ type: e.type, timestamp, lambdaFunctionSucceededEventDetails: { output: json(e.output), outputDetails: { truncated: false } } }, state);
      } else if (e.type === 'LambdaFunctionFailed') {
        push({ type: e.type, timestamp, lambdaFunctionFailedEventDetails: { error: e.error, cause: e.cause } }, state);
      } else if (e.type === 'LambdaFunctionTimedOut') {
        push({ type: e.type, timestamp, lambdaFunctionTimedOutEventDetails: { error: e.error, cause: e.cause } }, state);
      } else if (e.type === 'TaskScheduled') {
        const r = taskResource(e.resource);
        push({ type: e.type, timestamp, taskScheduledEventDetails: { ...r, region, parameters: json(e.input) } }, state);
      } else if (e.type === 'TaskStarted') {
        push({ type: e.type, timestamp, taskStartedEventDetails: taskResource(e.resource) }, state);
      } else if (e.type === 'TaskSucceeded') {
        push({ type: e.type, timestamp, taskSucceededEventDetails: { ...taskResource(e.resource), output: json(e.output), outputDetails: { truncated: false } } }, state);
      } else if (e.type === 'TaskFailed') {
        push({ type: e.type, timestamp, taskFailedEventDetails: { ...taskResource(e.resource), error: e.error, cause: e.cause } }, state);
      }
      // StateRetried / StateCaught: the runner's own; Step Functions shows a retry as a new Scheduled event.
    }
    return out;
  }
}

/** Maps a whole (finished) run's history; `region` goes into TaskScheduled as Step Functions writes it. */
export function toExecutionHistory(events: readonly HistoryEvent[], region: string): ExecutionHistoryEvent[] {
  return new ExecutionHistoryTranslator(region).translate(events);
}
