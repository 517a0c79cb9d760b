/**
 * Runs an ASL definition in-process with aws-local-stepfunctions: Task states are served by local handlers
 * (by state name), Wait states and retry back-off take their real time unless overridden, and every event is
 * recorded as an execution history (Step Functions-like event types) and reported as progress.
 */
import './polyfill';
import type { MapRunCounts } from '../aws/services/states/engine';
import { rewriteStateContext, StateContextTracker } from './state-context';
import {
  ExecutionAbortedError,
  ExecutionTimeoutError,
  StateMachine,
  type RunOptions as LibRunOptions,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';

type LibTaskHandlers = NonNullable<NonNullable<LibRunOptions['overrides']>['taskResourceLocalHandlers']>;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One history event. `type` follows Step Functions' GetExecutionHistory names where one exists. */
export interface HistoryEvent {
  id: number;
  /** ISO time */
  timestamp: string;
  type: string;
  state?: string;
  stateType?: string;
  input?: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
  /** Task resource (function ARN or service integration). */
  resource?: string;
  functionLogicalId?: string;
  requestId?: string;
  /** Retry attempt number (1-based) for StateRetried. */
  attempt?: number;
  /** Catch target for StateCaught. */
  next?: string;
  /** Parallel state / Map state of a nested event. */
  parent?: string;
}

export type ProgressEvent =
  | { kind: 'synth'; phase: 'cache-hit' | 'synthesizing' | 'waiting' | 'synthesized'; message: string; durationMs?: number }
  | { kind: 'prepare'; message: string }
  /** A handler's AWS call was denied by the sandbox's IAM evaluation (synthesized roles): a product bug, reported as it happens. */
  | {
      kind: 'permission-denied';
      functionLogicalId: string;
      state?: string;
      action: string;
      resource: string;
      reason: string;
      /** Made with a role the function assumed (e.g. the tenant account's), not its own. */
      via?: string;
      at: number;
    }
  | { kind: 'execution-started'; executionName: string; stateMachine: string; at: number }
  | { kind: 'state-started'; state: string; stateType: string; depth: number; at: number; input?: unknown }
  | { kind: 'state-succeeded'; state: string; stateType: string; depth: number; at: number; durationMs: number }
  | {
      kind: 'state-failed';
      state: string;
      stateType: string;
      depth: number;
      at: number;
      durationMs: number;
      error: string;
      cause: string;
    }
  | { kind: 'state-retried'; state: string; stateType: string; depth: number; at: number; attempt: number }
  | { kind: 'state-caught'; state: string; stateType: string; depth: number; at: number; next: string }
  /** A Distributed Map's map run changed (items started or finished): its counts (distributed-map.ts). */
  | {
      kind: 'map-run';
      state: string;
      mapRunArn: string;
      status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
      itemCounts: MapRunItemCounts;
      at: number;
      /** The execution the Distributed Map state runs in (the run's own, or a child execution's). */
      executionArn?: string;
      /** ISO 8601 */
      startDate?: string;
      /** ISO 8601 */
      stopDate?: string;
      maxConcurrency?: number;
      toleratedFailurePercentage?: number;
      toleratedFailureCount?: number;
    }
  /** A child execution (`states:startExecution.sync`) started, or closed with its status. */
  | { kind: 'child-execution'; executionName: string; stateMachine: string; status: 'RUNNING' | ExecutionStatus; at: number; error?: string; cause?: string; existing?: boolean }
  | {
      kind: 'execution-finished';
      status: ExecutionStatus;
      at: number;
      durationMs: number;
      error?: string;
      cause?: string;
    };

/** A map run's item counts, as DescribeMapRun answers them (the sandbox's Step Functions serves the runner's). */
export type MapRunItemCounts = MapRunCounts;

type NewEvent = Omit<HistoryEvent, 'id' | 'timestamp'> & { at?: number };

/** One task invocation's own events (Lambda / service integration), placed inside its state's events. */
export interface TaskEvents {
  succeeded(event: Omit<NewEvent, 'state'>): void;
  failed(event: Omit<NewEvent, 'state'>): void;
}

interface TaskRecord {
  state: string;
  opening: NewEvent[];
  closing: NewEvent[];
}

/** What HistoryRecorder tells its listener (live history). */
export interface HistoryRecorderOptions {
  /**
   * Told about events as soon as their place in the history is known: each event once, in an order that never changes
   * (ids 1, 2, ... in that order). A task attempt's events wait for its state's StateEntered / StateRetried (the
   * interpreter's events are read asynchronously, so a handler's Scheduled often comes first), its outcome for the
   * state's exit; `close()` gives whatever is left.
   */
  onEvents?: (events: HistoryEvent[]) => void;
}

/**
 * The execution history. State events come from the interpreter's event stream (which is read
 * asynchronously); task events are written synchronously by the task handlers. `events` merges them the way
 * Step Functions orders them: an attempt's Scheduled/Started right after the state was entered (or retried),
 * its Succeeded/Failed right before the state exits or fails.
 *
 * Live: `drain()` (or the `onEvents` listener, after every recorded event) gives the events not given before, in
 * merged order, holding back the task events not yet placed (see HistoryRecorderOptions). Drained events are tracked
 * by identity, so an event placed later is given once, later; the drained sequence may therefore differ slightly from
 * `events` (concurrent Parallel / Map branches), never in content.
 */
export class HistoryRecorder {
  private readonly stateEvents: NewEvent[] = [];
  private readonly tasks: TaskRecord[] = [];
  private merged: HistoryEvent[] | undefined;
  private readonly drained = new Set<NewEvent>();
  private closed = false;

  constructor(private readonly options: HistoryRecorderOptions = {}) {}

  private static stamp(e: NewEvent): NewEvent {
    return { ...e, at: e.at ?? Date.now() };
  }

  private static toHistoryEvent(e: NewEvent, id: number): HistoryEvent {
    const { at, ...rest } = e;
    return { id, timestamp: new Date(at ?? 0).toISOString(), ...rest };
  }

  private changed(): void {
    this.merged = undefined;
    if (this.options.onEvents) this.publish(this.drain({ all: this.closed }));
  }

  private publish(events: HistoryEvent[]): void {
    if (events.length === 0) return;
    try {
      this.options.onEvents?.(events);
    } catch {
      // A failing listener must not break the execution.
    }
  }

  addStateEvent(event: NewEvent): void {
    this.stateEvents.push(HistoryRecorder.stamp(event));
    this.changed();
  }

  /** Records a task attempt of `state`: its scheduled / started events now, its outcome later. */
  beginTask(state: string, scheduled: Omit<NewEvent, 'state'>[]): TaskEvents {
    const rec: TaskRecord = { state, opening: scheduled.map((e) => HistoryRecorder.stamp({ ...e, state })), closing: [] };
    this.tasks.push(rec);
    this.changed();
    const close = (e: Omit<NewEvent, 'state'>) => {
      rec.closing.push(HistoryRecorder.stamp({ ...e, state }));
      this.changed();
    };
    return { succeeded: close, failed: close };
  }

  /**
   * Every event in merged order; `placed` of them (a prefix) have their place: the rest are task events not matched to
   * their state's events (yet), e.g. an attempt whose state was not entered yet, or still running when its state timed out.
   */
  private order(): { list: NewEvent[]; placed: number } {
    const out: NewEvent[] = [];
    const pending = new Map<string, TaskRecord[]>();
    for (const t of this.tasks) {
      const list = pending.get(t.state) ?? [];
      list.push(t);
      pending.set(t.state, list);
    }
    const open = new Map<string, TaskRecord>();
    const opened = new Set<TaskRecord>();
    const closed = new Set<TaskRecord>();
    const closeOpen = (state: string) => {
      const t = open.get(state);
      if (t && t.closing.length > 0) {
        out.push(...t.closing);
        closed.add(t);
        open.delete(state);
      }
    };
    for (const e of this.stateEvents) {
      const state = e.state;
      const isTask = e.stateType === 'Task';
      if (state && isTask && (e.type === 'StateFailed' || e.type === 'TaskStateExited')) closeOpen(state);
      out.push(e);
      if (state && isTask && (e.type === 'TaskStateEntered' || e.type === 'StateRetried')) {
        const next = pending.get(state)?.shift();
        if (next) {
          out.push(...next.opening);
          opened.add(next);
          open.set(state, next);
        }
      }
    }
    const placed = out.length;
    // Attempts not matched to state events (e.g. still running when their state timed out) go last.
    for (const t of this.tasks) {
      if (!opened.has(t)) out.push(...t.opening);
      if (!closed.has(t)) out.push(...t.closing);
    }
    return { list: out, placed };
  }

  get events(): HistoryEvent[] {
    if (this.merged) return this.merged;
    this.merged = this.order().list.map((e, i) => HistoryRecorder.toHistoryEvent(e, i + 1));
    return this.merged;
  }

  /**
   * The events not drained before, in merged order, numbered on from the previous drain. Without `all`, the task events
   * not placed yet are held back (they come with a later drain).
   */
  drain(opts: { all?: boolean } = {}): HistoryEvent[] {
    const { list, placed } = this.order();
    const end = opts.all ? list.length : placed;
    const out: HistoryEvent[] = [];
    for (let i = 0; i < end; i++) {
      const e = list[i] as NewEvent;
      if (this.drained.has(e)) continue;
      this.drained.add(e);
      out.push(HistoryRecorder.toHistoryEvent(e, this.drained.size));
    }
    return out;
  }

  /** The execution ended: the listener gets every event left (and, from now on, every event as it is recorded). */
  close(): void {
    this.closed = true;
    if (this.options.onEvents) this.publish(this.drain({ all: true }));
  }
}

/** Serves a Task state: gets the effective input (after Parameters), returns the task result (JSON). */
export type LocalTaskHandler = (input: unknown, state: string) => Promise<unknown>;

export interface AslStateLike {
  Type?: string;
  Branches?: AslDefinitionLike[];
  Iterator?: AslDefinitionLike;
  ItemProcessor?: AslDefinitionLike;
  Resource?: string;
  Parameters?: unknown;
  Retry?: { ErrorEquals?: string[] }[];
}
export interface AslDefinitionLike {
  StartAt: string;
  States: Record<string, AslStateLike>;
  TimeoutSeconds?: number;
}

/** Every state of a definition, including nested ones, with its nesting depth. */
export function walkStates(definition: AslDefinitionLike, visit: (name: string, state: AslStateLike, depth: number) => void, depth = 0): void {
  for (const [name, st] of Object.entries(definition.States)) {
    visit(name, st, depth);
    for (const b of st.Branches ?? []) walkStates(b, visit, depth + 1);
    const inner = st.ItemProcessor ?? st.Iterator;
    if (inner) walkStates(inner, visit, depth + 1);
  }
}

export interface ExecuteParams {
  definition: AslDefinitionLike;
  input: unknown;
  executionName: string;
  executionArn: string;
  stateMachine: { arn: string; name: string };
  /** Local handler of every Task state, by state name. */
  tasks: Record<string, LocalTaskHandler>;
  history: HistoryRecorder;
  onProgress?: (e: ProgressEvent) => void;
  /** Wait state name -> milliseconds (instead of the state's own time). */
  waitOverridesMs?: Record<string, number>;
  /** State name -> milliseconds before each retry (instead of the Retry back-off). */
  retryIntervalOverridesMs?: Record<string, number | number[]>;
  /**
   * Aborts the execution (StopExecution): no new state or task attempt starts, a Wait state or retry back-off ends at
   * once, the task handlers already running are awaited (they run in this process, under the run's environment), and
   * the outcome is ABORTED.
   */
  signal?: AbortSignal;
}

export interface ExecuteOutcome {
  status: ExecutionStatus;
  output?: unknown;
  error?: string;
  cause?: string;
  startedAt: number;
  stoppedAt: number;
}

const toJson = (v: unknown): Json => JSON.parse(JSON.stringify(v ?? null)) as Json;

/**
 * Definitions aws-local-stepfunctions has validated already (by their JSON text). Its validation (asl-validator, an
 * ajv schema compiled on every call) costs far more than the execution of a short workflow: a fleet of children of
 * one definition validates it once (bench P2: it was a fifth of the runner's CPU).
 */
const validated = new Set<string>();

/** A library StateMachine of `definition`, validated the first time this process sees that definition. */
export function libStateMachine(definition: unknown, validationOptions: { checkArn?: boolean; checkPaths?: boolean; noValidate?: boolean } = {}): StateMachine {
  const json = toJson(definition);
  if (validationOptions.noValidate) return new StateMachine(json as unknown as StateMachineDefinition, { validationOptions });
  const key = `${JSON.stringify(validationOptions)}${JSON.stringify(json)}`;
  const noValidate = validated.has(key);
  const machine = new StateMachine(json as unknown as StateMachineDefinition, { validationOptions: { ...validationOptions, ...(noValidate ? { noValidate: true } : {}) } });
  validated.add(key);
  return machine;
}

/** A task attempt the interpreter asks for after the execution was aborted (a retry, a Catch target): refused. */
class ExecutionStoppedError extends Error {
  constructor(state: string) {
    super(`Task state ${state} was not started: the execution was aborted`);
    this.name = 'States.Runtime';
  }
}

const causeText = (cause: unknown): string => (typeof cause === 'string' ? cause : cause instanceof Error ? cause.message : JSON.stringify(cause) ?? '');

export async function executeDefinition(p: ExecuteParams): Promise<ExecuteOutcome> {
  const depthOf = new Map<string, number>();
  const typeOf = new Map<string, string>();
  walkStates(p.definition, (name, st, depth) => {
    depthOf.set(name, depth);
    typeOf.set(name, st.Type ?? 'Unknown');
  });
  for (const [name, type] of typeOf) {
    if (type === 'Task' && !p.tasks[name]) throw new Error(`no local handler for Task state ${name}`);
  }

  // `$$.State` in Task Parameters, which the library does not provide (state-context.ts).
  const stateContext = rewriteStateContext(p.definition);
  const contexts = new StateContextTracker(stateContext.states);
  const machine = libStateMachine(stateContext.definition, { checkArn: false });
  const startedAt = Date.now();
  const emit = (e: ProgressEvent) => {
    try {
      p.onProgress?.(e);
    } catch {
      // A failing progress callback must not break the execution.
    }
  };
  const taskHandlers: LibTaskHandlers = {};
  /** Task handlers running now (awaited after an abort). */
  const running = new Set<Promise<unknown>>();
  for (const [name, handler] of Object.entries(p.tasks)) {
    // JSON in, JSON out, as a real task result (drops undefined, turns Dates into strings).
    taskHandlers[name] = async (i) => {
      // The interpreter may still try a state (a retry) after the abort: no new attempt starts.
      if (p.signal?.aborted) throw new ExecutionStoppedError(name);
      const attempt = contexts.attempt(name, i, async (input) => handler(input, name));
      running.add(attempt);
      try {
        return JSON.parse(JSON.stringify((await attempt) ?? null));
      } finally {
        running.delete(attempt);
      }
    };
  }
  const execution = machine.run(toJson(p.input), {
    overrides: {
      taskResourceLocalHandlers: taskHandlers,
      ...(p.waitOverridesMs ? { waitTimeOverrides: p.waitOverridesMs } : {}),
      ...(p.retryIntervalOverridesMs ? { retryIntervalOverrides: p.retryIntervalOverridesMs } : {}),
    },
    context: {
      Execution: { Id: p.executionArn, Name: p.executionName, RoleArn: `${p.stateMachine.arn}:role`, RedriveCount: 0 },
      StateMachine: { Id: p.stateMachine.arn, Name: p.stateMachine.name },
    },
  });
  const abort = () => execution.abort();
  if (p.signal?.aborted) abort();
  else p.signal?.addEventListener('abort', abort, { once: true });
  emit({ kind: 'execution-started', executionName: p.executionName, stateMachine: p.stateMachine.name, at: startedAt });

  const entered = new Map<string, number>();
  /** States whose error was caught: their StateExited is not a success. */
  const caught = new Set<string>();
  const outcome: Partial<ExecuteOutcome> = {};
  const collect = (async () => {
    for await (const ev of execution.eventLogs) {
      const at = ev.timestamp;
      switch (ev.type) {
        case 'ExecutionStarted':
          p.history.addStateEvent({ at, type: 'ExecutionStarted', input: ev.input });
          break;
        case 'ExecutionSucceeded':
          p.history.addStateEvent({ at, type: 'ExecutionSucceeded', output: ev.output });
          break;
        case 'ExecutionFailed':
          outcome.error = ev.Error;
          outcome.cause = causeText(ev.Cause);
          p.history.addStateEvent({ at, type: 'ExecutionFailed', error: ev.Error, cause: outcome.cause });
          break;
        case 'ExecutionAborted':
          p.history.addStateEvent({ at, type: 'ExecutionAborted' });
          break;
        case 'ExecutionTimeout':
          p.history.addStateEvent({ at, type: 'ExecutionTimedOut' });
          break;
        case 'ParallelBranchStarted':
        case 'ParallelBranchSucceeded':
          p.history.addStateEvent({ at, type: ev.type, parent: ev.parentState.name });
          break;
        case 'ParallelBranchFailed':
          p.history.addStateEvent({ at, type: ev.type, parent: ev.parentState.name, error: ev.Error, cause: causeText(ev.Cause) });
          break;
        case 'MapIterationStarted':
        case 'MapIterationSucceeded':
          p.history.addStateEvent({ at, type: ev.type, parent: ev.parentState.name });
          break;
        case 'MapIterationFailed':
          p.history.addStateEvent({ at, type: ev.type, parent: ev.parentState.name, error: ev.Error, cause: causeText(ev.Cause) });
          break;
        case 'StateEntered': {
          const { name, type, input } = ev.state;
          entered.set(name, at);
          p.history.addStateEvent({ at, type: `${type}StateEntered`, state: name, stateType: type, input });
          emit({ kind: 'state-started', state: name, stateType: type, depth: depthOf.get(name) ?? 0, at, ...(type === 'Wait' ? { input } : {}) });
          break;
        }
        case 'StateExited': {
          const { name, type, output } = ev.state;
          p.history.addStateEvent({ at, type: `${type}StateExited`, state: name, stateType: type, output });
          if (caught.delete(name)) break;
          emit({ kind: 'state-succeeded', state: name, stateType: type, depth: depthOf.get(name) ?? 0, at, durationMs: at - (entered.get(name) ?? at) });
          break;
        }
        case 'StateFailed': {
          const { name, type } = ev.state;
          const cause = causeText(ev.Cause);
          p.history.addStateEvent({ at, type: 'StateFailed', state: name, stateType: type, error: ev.Error, cause });
          emit({
            kind: 'state-failed',
            state: name,
            stateType: type,
            depth: depthOf.get(name) ?? 0,
            at,
            durationMs: at - (entered.get(name) ?? at),
            error: ev.Error,
            cause,
          });
          break;
        }
        case 'StateRetried': {
          const { name, type } = ev.state;
          entered.set(name, at);
          p.history.addStateEvent({ at, type: 'StateRetried', state: name, stateType: type, attempt: ev.retry.attempt });
          emit({ kind: 'state-retried', state: name, stateType: type, depth: depthOf.get(name) ?? 0, at, attempt: ev.retry.attempt });
          break;
        }
        case 'StateCaught': {
          const { name, type } = ev.state;
          caught.add(name);
          p.history.addStateEvent({ at, type: 'StateCaught', state: name, stateType: type, next: ev.catch.catcher.Next });
          emit({ kind: 'state-caught', state: name, stateType: type, depth: depthOf.get(name) ?? 0, at, next: ev.catch.catcher.Next });
          break;
        }
      }
    }
  })();

  try {
    outcome.output = await execution.result;
    outcome.status = 'SUCCEEDED';
  } catch (err) {
    if (err instanceof ExecutionTimeoutError) {
      outcome.status = 'TIMED_OUT';
      outcome.error = 'States.Timeout';
      outcome.cause = 'The execution exceeded the state machine TimeoutSeconds';
    } else if (err instanceof ExecutionAbortedError) {
      outcome.status = 'ABORTED';
    } else {
      outcome.status = 'FAILED';
      // The ExecutionFailed event carries Error / Cause; fall back to the thrown error.
      const inner = err instanceof Error && err.cause instanceof Error ? err.cause : err;
      if (outcome.error === undefined && inner instanceof Error) {
        outcome.error = inner.name;
        outcome.cause = inner.message;
      }
    }
  }
  p.signal?.removeEventListener('abort', abort);
  // An aborted execution ends once the task handlers it started have returned (the library does not wait for them).
  while (outcome.status === 'ABORTED' && running.size > 0) await Promise.allSettled([...running]);
  await collect.catch(() => undefined);
  p.history.close();
  const stoppedAt = Date.now();
  const status = outcome.status ?? 'FAILED';
  emit({
    kind: 'execution-finished',
    status,
    at: stoppedAt,
    durationMs: stoppedAt - startedAt,
    ...(outcome.error !== undefined ? { error: outcome.error } : {}),
    ...(outcome.cause !== undefined ? { cause: outcome.cause } : {}),
  });
  return {
    status,
    ...(outcome.output !== undefined ? { output: outcome.output } : {}),
    ...(outcome.error !== undefined ? { error: outcome.error } : {}),
    ...(outcome.cause !== undefined ? { cause: outcome.cause } : {}),
    startedAt,
    stoppedAt,
  };
}
