/**
 * What runs the loaded app's code in the sandbox: executions of its state machines (the Step Functions service's
 * ExecutionEngine, on the local runner) and invocations of its Lambda functions (by the 'lambda' delivery receiver
 * and the event source mappings), both as the local runner runs them: the real bundled handlers, each under its
 * synthesized execution role, with the template's environment (local/runner/README.md).
 *
 * One thing at a time: the runner's runs share process.env, so executions and invocations queue (the runner
 * serializes them process-wide as well). An execution a function starts (the starter's StartExecution) therefore
 * begins once that invocation is over, as it would on AWS a moment later.
 *
 * While an execution runs, its history reaches the service as the runner records it (GetExecutionHistory of a RUNNING
 * execution shows the states so far), StopExecution aborts it (at the next state; a Wait at once), and its own
 * `events:putEvents` states put their events on the sandbox's EventBridge as the state machine's role would (a session
 * of the role assumed by states.amazonaws.com, so the role's policy and the notification bus's policy are evaluated):
 * the app's rules fire at once, and a denied or failed entry fails the task as in Step Functions. The map runs of its
 * Distributed Map states reach the service as the runner reports them (ListMapRuns / DescribeMapRun).
 */
import { randomUUID } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { PutEventsResult, PutEventsSender } from '../runner/events';
import type { RunningLocalSandbox } from '../sandbox';
import type { ExecutionCallbacks, ExecutionEngine, ExecutionOutcome, ExecutionStart } from '../aws/services/states/engine';
import type { DeliveryReceiver, DeliveryResult, TargetDelivery } from '../aws/core/targets';
import type { CapturedLog } from '../runner/capture';
import { runStateMachine, type LocalRunResult, type LocalWorkflow, type RunOptions } from '../runner/runner';
import type { AslDefinitionLike, ProgressEvent } from '../runner/execute';
import type { LocalFunction } from '../runner/template';
import { ExecutionHistoryTranslator } from './history';

const ACCOUNT_ID = /^\d{12}$/;

/** The tenant account an input names (`aws.accountId`): created as a sandbox member account first, as the runner does. */
function inputAccounts(input: unknown): string[] {
  if (typeof input !== 'object' || input === null || !('aws' in input)) return [];
  const aws = input.aws;
  if (typeof aws !== 'object' || aws === null || !('accountId' in aws)) return [];
  return typeof aws.accountId === 'string' && ACCOUNT_ID.test(aws.accountId) ? [aws.accountId] : [];
}

/** A state machine of the app as the loader created it. */
export interface AppStateMachine {
  logicalId: string;
  name: string;
  arn: string;
  roleArn?: string;
}

/** One invocation of a function of the app (by the lambda receiver or an event source mapping). */
export interface AppInvocation {
  functionLogicalId: string;
  functionName: string;
  /** What invoked it: `sqs:<queue ARN>` (event source mapping), `events:<rule ARN>`, ... */
  trigger: string;
  at: string;
  status: 'SUCCEEDED' | 'FAILED';
  result?: unknown;
  error?: string;
  /** The function error's message (from the Cause document). */
  errorMessage?: string;
  /** What the handler logged (its own lines). */
  logs: string[];
}

/** Something the runtime tells the user about (the sandbox's console). */
export type AppActivity =
  | { kind: 'execution-started'; executionArn: string; stateMachine: string }
  | { kind: 'execution-finished'; executionArn: string; stateMachine: string; status: string; error?: string; cause?: string }
  | { kind: 'invocation'; invocation: AppInvocation }
  | { kind: 'events-published'; executionArn: string; count: number; failed: number }
  | { kind: 'error'; message: string };

export interface AppRuntimeOptions {
  sandbox: RunningLocalSandbox;
  workflow: LocalWorkflow;
  /** Passed to every run (time compression in tests). */
  run?: Pick<RunOptions, 'waitOverridesMs' | 'retryIntervalOverridesMs' | 'echoLogs' | 'roles'>;
  onActivity?: (a: AppActivity) => void;
}

const MAX_INVOCATIONS_KEPT = 500;

/** An error a task fails with (its name is the Error the state's Retry / Catch match). */
function taskError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A putEvents task's input (`{Entries}`) as PutEvents entries: an object Detail serialized, `resources` appended. */
function putEventsEntries(input: unknown, resources: string[]): PutEventsRequestEntry[] {
  const entries = isRecord(input) && Array.isArray(input.Entries) ? input.Entries : [];
  return entries.map((e: unknown): PutEventsRequestEntry => {
    if (!isRecord(e)) return {};
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const detail = e.Detail === undefined || typeof e.Detail === 'string' ? e.Detail : JSON.stringify(e.Detail);
    const time = str(e.Time);
    const entry: PutEventsRequestEntry = {
      ...(str(e.EventBusName) !== undefined ? { EventBusName: str(e.EventBusName) } : {}),
      ...(str(e.Source) !== undefined ? { Source: str(e.Source) } : {}),
      ...(str(e.DetailType) !== undefined ? { DetailType: str(e.DetailType) } : {}),
      ...(detail !== undefined ? { Detail: detail } : {}),
      ...(time !== undefined && !Number.isNaN(Date.parse(time)) ? { Time: new Date(time) } : {}),
      ...(str(e.TraceHeader) !== undefined ? { TraceHeader: str(e.TraceHeader) } : {}),
      Resources: [...(Array.isArray(e.Resources) ? e.Resources.map(String) : []), ...resources],
    };
    return entry;
  });
}

const epochMs = (iso: string | undefined): number | undefined => {
  const t = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
};

/**
 * A map run the runner reported, to the Step Functions service (ListMapRuns / DescribeMapRun): only the execution's
 * own (not a child execution's, whose name differs), with the runner's map run ARN (the service keeps it when it has
 * the shape `arn:aws:states:<region>:<account>:mapRun:<machine>/<label>:<id>` of this execution's machine).
 */
function forwardMapRun(e: Extract<ProgressEvent, { kind: 'map-run' }>, start: ExecutionStart, callbacks: ExecutionCallbacks): void {
  if (!callbacks.onMapRun) return;
  if (e.executionArn !== undefined && e.executionArn.split(':').at(-1) !== start.name) return;
  const startDate = epochMs(e.startDate);
  const stopDate = epochMs(e.stopDate);
  try {
    callbacks.onMapRun({
      mapRunArn: e.mapRunArn,
      status: e.status,
      itemCounts: e.itemCounts,
      ...(startDate !== undefined ? { startDate } : {}),
      ...(stopDate !== undefined ? { stopDate } : {}),
      ...(e.maxConcurrency !== undefined ? { maxConcurrency: e.maxConcurrency } : {}),
      ...(e.toleratedFailurePercentage !== undefined ? { toleratedFailurePercentage: e.toleratedFailurePercentage } : {}),
      ...(e.toleratedFailureCount !== undefined ? { toleratedFailureCount: e.toleratedFailureCount } : {}),
    });
  } catch {
    // a reporting failure changes nothing
  }
}

export class AppRuntime implements ExecutionEngine, DeliveryReceiver {
  /** By ARN. */
  readonly stateMachines = new Map<string, AppStateMachine>();
  /** By ARN (unqualified). */
  readonly functions = new Map<string, LocalFunction>();
  /** `AWS::Lambda::Permission`s: function ARN -> the service principals (and source ARNs) allowed to invoke it. */
  readonly permissions = new Map<string, Array<{ principal: string; sourceArn?: string; sourceAccount?: string }>>();
  readonly invocations: AppInvocation[] = [];
  /** Finished runs by execution ARN (history, logs, events), for tests and inspection. */
  readonly runs = new Map<string, LocalRunResult>();
  /** Told about the progress of every execution as the runner reports it (states entered / exited / failed, ...). */
  onExecutionProgress: ((executionArn: string, e: ProgressEvent) => void) | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly opts: AppRuntimeOptions) {}

  private tell(a: AppActivity): void {
    try {
      this.opts.onActivity?.(a);
    } catch {
      // a reporting failure changes nothing
    }
  }

  /** One at a time (the runner shares process.env between runs). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    const tracked = next.catch(() => undefined);
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
    return next;
  }

  /** Resolves once nothing is queued or running. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** No new executions or invocations start (queued ones end as failed). */
  close(): void {
    this.closed = true;
  }

  /** The selector runStateMachine takes for a state machine of the app (its logical id). */
  private selectorFor(arn: string): string | undefined {
    return this.stateMachines.get(arn)?.logicalId;
  }

  // ---- ExecutionEngine ----------------------------------------------------------------------------------

  async run(start: ExecutionStart, callbacks: ExecutionCallbacks): Promise<ExecutionOutcome> {
    const selector = this.selectorFor(start.stateMachine.arn);
    if (!selector) {
      return {
        status: 'FAILED',
        error: 'States.Runtime',
        cause: `state machine ${start.stateMachine.arn} is not one of the loaded app's (the sandbox runs only the synthesized app's state machines)`,
      };
    }
    return this.exclusive(async () => {
      if (callbacks.signal.aborted) return { status: 'ABORTED' as const };
      if (this.closed) return { status: 'FAILED' as const, error: 'States.Runtime', cause: 'the sandbox is stopping' };
      const input: unknown = JSON.parse(start.input);
      this.tell({ kind: 'execution-started', executionArn: start.executionArn, stateMachine: start.stateMachine.name });
      const history = new ExecutionHistoryTranslator(this.opts.sandbox.aws.region);
      const events = this.eventSender(start);
      let run: LocalRunResult;
      try {
        run = await runStateMachine(input, {
          ...(this.opts.run ?? {}),
          sandbox: this.opts.sandbox,
          workflow: this.opts.workflow,
          stateMachine: selector,
          executionName: start.name,
          accounts: inputAccounts(input),
          onProgress: (e) => {
            if (e.kind === 'map-run') forwardMapRun(e, start, callbacks);
            this.onExecutionProgress?.(start.executionArn, e);
          },
          onHistoryEvents: (batch) => {
            for (const e of history.translate(batch)) callbacks.onEvent(e);
          },
          signal: callbacks.signal,
          putEvents: events.send,
        });
      } finally {
        events.destroy();
      }
      this.runs.set(start.executionArn, run);
      this.tell({
        kind: 'execution-finished',
        executionArn: start.executionArn,
        stateMachine: start.stateMachine.name,
        status: run.status,
        ...(run.error !== undefined ? { error: run.error } : {}),
        ...(run.errorMessage !== undefined ? { cause: run.errorMessage } : {}),
      });
      return {
        status: run.status,
        ...(run.output !== undefined ? { output: JSON.stringify(run.output) } : {}),
        ...(run.error !== undefined ? { error: run.error } : {}),
        ...(run.cause !== undefined ? { cause: run.cause } : {}),
      };
    });
  }

  /**
   * The `events:putEvents` tasks of one execution and of the child executions the runner runs in it (e.g. the Bulk
   * state machine's onboardings): PutEvents on the sandbox's EventBridge as the role of the state machine the task
   * runs in (one session and client per role, made at its first task, destroyed by `destroy`). As the optimized
   * integration does, the execution's and the state machine's ARNs are appended to each entry's Resources and an object
   * Detail is serialized. An API error fails the task with the exception's name (e.g. AccessDeniedException); a failed
   * entry with EventBridge.FailedEntry (the runner, local/runner/events.ts).
   */
  private eventSender(start: ExecutionStart): { send: PutEventsSender; destroy: () => void } {
    const sb = this.opts.sandbox.aws;
    const clients = new Map<string, Promise<EventBridgeClient>>();
    let destroyed = false;
    /** The role and ARN of the state machine a task runs in: a child execution's own machine when it is one of the app's. */
    const machineOf = (stateMachineArn: string): { roleArn: string; arn: string } => {
      const child = stateMachineArn === start.stateMachine.arn ? undefined : this.stateMachines.get(stateMachineArn);
      return child?.roleArn !== undefined ? { roleArn: child.roleArn, arn: child.arn } : { roleArn: start.stateMachine.roleArn, arn: start.stateMachine.arn };
    };
    const connect = async (machine: { roleArn: string; arn: string }): Promise<EventBridgeClient> => {
      const session = await sb.serviceSession({
        roleArn: machine.roleArn,
        service: 'states.amazonaws.com',
        sessionName: `sfn-${randomUUID().slice(0, 18)}`,
        sourceArn: machine.arn,
      });
      return new EventBridgeClient({
        endpoint: sb.endpoint,
        region: sb.region,
        credentials: { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey, sessionToken: session.sessionToken },
      });
    };
    const send: PutEventsSender = async (input, state, execution) => {
      if (destroyed) throw taskError('States.Runtime', `the execution ${start.executionArn} has ended`);
      const failed = (e: unknown): Error => {
        const err = e instanceof Error ? e : new Error(String(e));
        this.tell({ kind: 'error', message: `${state} (${start.executionArn}): PutEvents failed: ${err.name}: ${err.message}` });
        return taskError(err.name, err.message);
      };
      const machine = machineOf(execution.stateMachineArn);
      const pending = clients.get(machine.roleArn) ?? connect(machine);
      clients.set(machine.roleArn, pending);
      let c: EventBridgeClient;
      try {
        c = await pending;
      } catch (e) {
        // A session that could not be made is tried again by the next task.
        if (clients.get(machine.roleArn) === pending) clients.delete(machine.roleArn);
        throw failed(e);
      }
      let out;
      try {
        out = await c.send(new PutEventsCommand({ Entries: putEventsEntries(input, [execution.executionArn, execution.stateMachineArn]) }));
      } catch (e) {
        throw failed(e);
      }
      const result: PutEventsResult = {
        Entries: (out.Entries ?? []).map((e) => ({
          ...(e.EventId !== undefined ? { EventId: e.EventId } : {}),
          ...(e.ErrorCode !== undefined ? { ErrorCode: e.ErrorCode } : {}),
          ...(e.ErrorMessage !== undefined ? { ErrorMessage: e.ErrorMessage } : {}),
        })),
        FailedEntryCount: out.FailedEntryCount ?? 0,
      };
      this.tell({ kind: 'events-published', executionArn: start.executionArn, count: result.Entries.length, failed: result.FailedEntryCount });
      return result;
    };
    const destroy = () => {
      destroyed = true;
      for (const client of clients.values()) void client.then((c) => c.destroy(), () => undefined);
      clients.clear();
    };
    return { send, destroy };
  }

  // ---- Lambda ---------------------------------------------------------------------------------------------

  /** The function an ARN (qualified or not) or name names. */
  functionFor(arnOrName: string): LocalFunction | undefined {
    const unqualified = /^(arn:[^:]+:lambda:[^:]+:\d{12}:function:[^:]+)(?::[^:]+)?$/.exec(arnOrName)?.[1] ?? arnOrName;
    return this.functions.get(unqualified) ?? [...this.functions.values()].find((f) => f.functionName === arnOrName);
  }

  /**
   * Invokes a function of the app synchronously (RequestResponse), as the runner invokes a Task's function: under
   * its synthesized role, with the stack's environment. Never throws: a function error is the result.
   */
  invoke(fn: LocalFunction, payload: unknown, trigger: string): Promise<AppInvocation> {
    return this.exclusive(async () => {
      const at = new Date().toISOString();
      const base = { functionLogicalId: fn.logicalId, functionName: fn.functionName, trigger, at };
      if (this.closed) return { ...base, status: 'FAILED' as const, error: 'Sandbox.Stopping', logs: [] };
      const state = `Invoke ${fn.functionName}`.slice(0, 80);
      const definition = { StartAt: state, States: { [state]: { Type: 'Task', Resource: fn.arn, End: true } } } as unknown as AslDefinitionLike;
      const anyMachine = [...this.stateMachines.values()][0]?.logicalId;
      let invocation: AppInvocation;
      try {
        const run = await runStateMachine(payload, {
          ...(this.opts.run ?? {}),
          sandbox: this.opts.sandbox,
          workflow: this.opts.workflow,
          ...(anyMachine ? { stateMachine: anyMachine } : {}),
          definition,
          executionName: `invoke-${randomUUID()}`,
        });
        const logs = run.logs.filter((l: CapturedLog) => l.source === 'handler').map((l) => l.text.trimEnd());
        invocation =
          run.status === 'SUCCEEDED'
            ? { ...base, status: 'SUCCEEDED', result: run.output, logs }
            : {
                ...base,
                status: 'FAILED',
                ...(run.error !== undefined ? { error: run.error } : {}),
                ...(run.errorMessage !== undefined ? { errorMessage: run.errorMessage } : {}),
                logs,
              };
      } catch (e) {
        invocation = { ...base, status: 'FAILED', error: 'Sandbox.InvokeError', errorMessage: e instanceof Error ? e.message : String(e), logs: [] };
      }
      this.invocations.push(invocation);
      if (this.invocations.length > MAX_INVOCATIONS_KEPT) this.invocations.splice(0, this.invocations.length - MAX_INVOCATIONS_KEPT);
      this.tell({ kind: 'invocation', invocation });
      return invocation;
    });
  }

  /**
   * The 'lambda' receiver of the sandbox's deliveries (EventBridge rule targets, Scheduler targets): an asynchronous
   * invocation (accepted at once, run in the background), authorized by the function's resource policy
   * (`AWS::Lambda::Permission` of the template for the delivering service principal and source) or, with a
   * `roleArn`, by that role (its session's lambda:InvokeFunction is not evaluated locally: see README).
   */
  async deliver(d: TargetDelivery): Promise<DeliveryResult> {
    const fn = this.functionFor(d.arn);
    if (!fn) return { ok: false, code: 'ResourceNotFoundException', message: `Function not found: ${d.arn}`, retryable: false };
    if (d.roleArn === undefined) {
      const allowed = (this.permissions.get(fn.arn) ?? []).some(
        (p) => (p.principal === d.via || p.principal === '*') && (p.sourceArn === undefined || p.sourceArn === d.sourceArn) && (p.sourceAccount === undefined || p.sourceAccount === d.sourceAccount),
      );
      if (!allowed) {
        return {
          ok: false,
          code: 'AccessDeniedException',
          message: `${d.via} is not authorized to perform: lambda:InvokeFunction on resource: ${fn.arn} (no resource-based policy allows it for ${d.sourceArn})`,
          retryable: false,
        };
      }
    }
    let payload: unknown;
    try {
      payload = JSON.parse(d.input);
    } catch {
      payload = d.input;
    }
    const requestId = randomUUID();
    void this.invoke(fn, payload, `${d.via.split('.')[0] ?? d.via}:${d.sourceArn}`);
    return { ok: true, id: requestId };
  }
}

