/**
 * What runs the executions the sandbox's Step Functions service starts. The service (./index.ts) keeps the API's
 * state: state machines, executions, names, history, status; an engine runs an execution's definition. The sandbox
 * itself has no engine (local/aws never imports the local runner): whoever loads the app into the sandbox (the app
 * loader, `npm run sandbox`, the app loaded by default) sets one that runs executions on the local runner (local/runner/), with the
 * app's bundled Lambda handlers. Without an engine, StartExecution still answers (an executionArn, as AWS does) and
 * the execution ends at once as FAILED with the error `Sandbox.NoEngine` and a cause saying how to start the sandbox
 * with the app (`npm run sandbox`, the app loaded by default).
 *
 * Events: the service numbers every event the engine emits (ids 1, 2, ... after its own ExecutionStarted /
 * ExecutionRedriven event; an `id` / `previousEventId` the engine gives is translated into that numbering, and a
 * `previousEventId` of 0 means the run's start event). The service writes the execution-level events itself
 * (ExecutionStarted, ExecutionSucceeded, ExecutionFailed, ExecutionAborted, ExecutionTimedOut, ExecutionRedriven):
 * the engine's events of those types are dropped. Events after the execution ended (StopExecution) are dropped too.
 */

/** A state machine as CreateStateMachine (or the app loader) made it. */
export interface StateMachineRecord {
  arn: string;
  name: string;
  accountId: string;
  region: string;
  /** The Amazon States Language definition (JSON text). */
  definition: string;
  roleArn: string;
  type: 'STANDARD' | 'EXPRESS';
  creationDate: number;
}

/** One history event in GetExecutionHistory's shape (`type`, `id`, `previousEventId`, `timestamp` and the one `...EventDetails` member of its type). */
export interface ExecutionHistoryEvent {
  type: string;
  /** Filled in by the service (1, 2, ...) when the engine leaves them out. */
  id?: number;
  previousEventId?: number;
  /** epoch ms */
  timestamp: number;
  [details: `${string}EventDetails`]: Record<string, unknown> | undefined;
}

export interface ExecutionStart {
  stateMachine: StateMachineRecord;
  executionArn: string;
  name: string;
  /** The execution's input (JSON text). */
  input: string;
  /** epoch ms */
  startDate: number;
  /** Set when the execution is a redrive of a failed one (RedriveExecution), if the engine supports it. */
  redriveCount?: number;
}

export interface ExecutionOutcome {
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  /** JSON text (SUCCEEDED). */
  output?: string;
  error?: string;
  cause?: string;
}

export interface ExecutionCallbacks {
  /**
   * History events as they happen (the service numbers them in arrival order and serves them from GetExecutionHistory
   * while RUNNING): append-only, an event is final once emitted. The app loader's engine emits them live (local/app/).
   */
  onEvent(event: ExecutionHistoryEvent): void;
  /** Aborted by StopExecution: the engine stops at the next state and resolves with ABORTED. */
  signal: AbortSignal;
  /**
   * A map run of the execution (a Distributed Map state's run) started or changed: the service keeps the latest
   * report of each (by `mapRunArn`) and serves them from ListMapRuns / DescribeMapRun. Optional for engines.
   */
  onMapRun?(update: MapRunUpdate): void;
}

/** Item (and child execution) counts of a map run, as DescribeMapRun answers them. */
export interface MapRunCounts {
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  aborted: number;
  total: number;
  resultsWritten: number;
}

/**
 * What an engine reports about a map run. `mapRunArn`: `arn:aws:states:<region>:<account>:mapRun:<machine>/<label>:<id>`
 * of the execution's machine (an ARN of another shape is given that shape, keeping its label and id). Settings left
 * out keep their last reported value (0 at first); `startDate` defaults to the first report's time, `stopDate` to the
 * time the status left RUNNING.
 */
export interface MapRunUpdate {
  mapRunArn: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  itemCounts: MapRunCounts;
  /** Child execution counts; the item counts when absent (one child execution per item). */
  executionCounts?: MapRunCounts;
  /** epoch ms */
  startDate?: number;
  /** epoch ms */
  stopDate?: number;
  maxConcurrency?: number;
  toleratedFailurePercentage?: number;
  toleratedFailureCount?: number;
}

export interface ExecutionEngine {
  /** Runs the execution to its end. A thrown error makes it FAILED with error `States.Runtime` and the message as cause. */
  run(start: ExecutionStart, callbacks: ExecutionCallbacks): Promise<ExecutionOutcome>;
}
