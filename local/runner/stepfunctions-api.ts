/**
 * A local Step Functions API for state machines of the synthesized app (default: the onboarding one), so that
 * code starting executions through the real AWS SDK (the event starter's bundle, the CLI's StartExecution) can run
 * locally: an HTTP server on 127.0.0.1 speaking Step Functions' JSON 1.0 protocol (`X-Amz-Target:
 * AWSStepFunctions.<Operation>`) for StartExecution, DescribeExecution and ListExecutions. Point an SDK client at it
 * with `endpoint` or `AWS_ENDPOINT_URL_SFN`.
 *
 * - StartExecution follows Step Functions' name rules for Standard workflows: a new name starts an execution on the
 *   local runner (runStateMachine) in the background and answers `{executionArn, startDate}`; the same name with the
 *   same input while that execution is open answers the same again (idempotent); the same name with another input,
 *   or once the execution is closed, is `ExecutionAlreadyExists` (HTTP 400). Names are kept for the life of the API
 *   (Step Functions keeps them 90 days). Names and input are validated as Step Functions does (`InvalidName`,
 *   `InvalidExecutionInput`); a state machine not served is `StateMachineDoesNotExist`. Several state machines can be
 *   served at once (`stateMachines`, e.g. onboarding and offboarding for the declared tenants' custom resource); an
 *   execution runs on the state machine its StartExecution named.
 * - DescribeExecution: status, input, output, error, cause, dates. ListExecutions: newest first, statusFilter,
 *   maxResults / nextToken.
 * - Faults on demand: `throttleStartExecution(n)` answers the next n StartExecution calls (default: every call
 *   until `clearFaults()`) with `ThrottlingException`, as Step Functions does when the account is over its rate.
 * - NOT authenticated: requests are neither SigV4-verified nor IAM-evaluated (the full Step Functions API behind
 *   the sandbox's SigV4/IAM front door is later work). Not served: StopExecution, GetExecutionHistory, redrive,
 *   Express workflows.
 *
 * Executions run one at a time (the runner shares process.env between runs), queued in start order; a queued one
 * is RUNNING. A Lambda this process invokes with its own environment must not overlap a run: `invokeBundled`
 * (the app's bundled function, as the runner invokes it, with `AWS_ENDPOINT_URL_SFN` = this API) and `exclusive`
 * take the same lock, so an execution its StartExecution queued starts once the invocation is over.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OutputCapture, type CapturedLog } from './capture';
import { LocalLambdaRuntime, type InvocationRecord } from './lambda';
import {
  loadWorkflow,
  ONBOARDING_STATE_MACHINE,
  prepareStateMachine,
  runStateMachine,
  type LoadWorkflowOptions,
  type LocalRunResult,
  type LocalWorkflow,
  type PreparedStateMachine,
  type RunOptions,
} from './runner';
import { sandboxEndpoints, type SandboxEndpoints, type SandboxLike } from './sandbox';
import type { LocalFunction } from './template';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface LocalExecution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  /** The input exactly as given to StartExecution (JSON text). */
  input: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  /** JSON text, when it succeeded. */
  output?: string;
  error?: string;
  cause?: string;
  /** The local run, once finished (history, logs, events). */
  run?: LocalRunResult;
}

export interface LocalStepFunctionsApiOptions {
  sandbox: SandboxLike;
  /** The synthesized app, or how to load it (default: the cached in-process synth). */
  workflow?: LocalWorkflow | LoadWorkflowOptions;
  /** Logical-id prefix or name of the state machine served; default the onboarding one. */
  stateMachine?: string;
  /**
   * Several state machines served at once (logical-id prefixes or names, e.g. `[ONBOARDING_STATE_MACHINE,
   * OFFBOARDING_STATE_MACHINE]`); takes precedence over `stateMachine`. The first one is `stateMachineArn`.
   */
  stateMachines?: string[];
  /** Port on 127.0.0.1 (default 0: any free port). */
  port?: number;
  /** Passed to every run. */
  run?: Pick<RunOptions, 'waitOverridesMs' | 'retryIntervalOverridesMs' | 'echoLogs' | 'onProgress' | 'coldStart'>;
  /**
   * Sandbox member accounts an execution needs first (runStateMachine's `accounts`). Default: the input's
   * `aws.accountId` when it is a 12-digit id, as runOnboarding does (its request fixtures are not created).
   */
  accountsFor?: (input: unknown) => string[];
}

export interface BundledInvocation {
  /** The handler's result (through JSON), when it returned. */
  result?: unknown;
  /** The function error, when it threw (errorType = the error's name). */
  error?: { errorType: string; errorMessage: string };
  /** What the invocation wrote (handler lines, START / END / REPORT). */
  logs: CapturedLog[];
  invocation: InvocationRecord;
}

export interface LocalStepFunctionsApi {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  /** The (first) served state machine (as the runner and the template's Refs name it locally). */
  readonly stateMachineArn: string;
  /** Every served state machine's ARN, by the selector it was given as (`stateMachines`, else `stateMachine`). */
  readonly stateMachineArns: Readonly<Record<string, string>>;
  /** Every execution started, in start order. */
  executions(): LocalExecution[];
  /** Answer the next `times` StartExecution calls (default: all, until clearFaults) with ThrottlingException. */
  throttleStartExecution(times?: number): void;
  clearFaults(): void;
  /** StartExecution calls answered with ThrottlingException so far. */
  readonly throttledCalls: number;
  /** Resolves once every execution started so far has finished. */
  settled(): Promise<void>;
  /** Runs `fn` while no execution runs (executions queued meanwhile start after it). Do not await `settled()` inside. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Invokes the app's bundled function whose handler source is `lambdas/handlers/<handler>.ts`, as the runner
   * invokes a Task's function: the template's environment (resolved for the sandbox), plus `AWS_ENDPOINT_URL_SFN`
   * = this API, `AWS_REGION` and the sandbox's keys; no other endpoint variable. Runs under `exclusive`.
   */
  invokeBundled(handler: string, event: unknown): Promise<BundledInvocation>;
  close(): Promise<void>;
}

/** A Step Functions error answer. */
class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const SM_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_-]{1,80}:[^:]{1,80}$/;
/** Step Functions: no whitespace, brackets, wildcards, `"#%\^|~`$&,;:/`, control characters; 1-80 characters. */
const BAD_NAME_CHARS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;
const MAX_INPUT_BYTES = 256 * 1024;
const ACCOUNT_ID = /^\d{12}$/;

/** Variables that would point the SDK elsewhere than this API during an invocation (removed meanwhile). */
const STRAY_AWS_ENV = (k: string) =>
  k.startsWith('AWS_ENDPOINT_URL') ||
  ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_DEFAULT_REGION', 'AWS_SECURITY_TOKEN', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ROLE_ARN'].includes(k);

function defaultAccounts(input: unknown): string[] {
  if (typeof input !== 'object' || input === null || !('aws' in input)) return [];
  const aws = input.aws;
  if (typeof aws !== 'object' || aws === null || !('accountId' in aws)) return [];
  return typeof aws.accountId === 'string' && ACCOUNT_ID.test(aws.accountId) ? [aws.accountId] : [];
}

const epochSeconds = (d: Date | undefined) => (d ? d.getTime() / 1000 : undefined);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(text);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Starts the API for the app's state machine (default: onboarding) on 127.0.0.1. */
export async function startLocalStepFunctionsApi(opts: LocalStepFunctionsApiOptions): Promise<LocalStepFunctionsApi> {
  const sb: SandboxEndpoints = sandboxEndpoints(opts.sandbox);
  const workflow: LocalWorkflow = opts.workflow && 'assembly' in opts.workflow ? opts.workflow : await loadWorkflow(opts.workflow ?? {});
  const selectors = opts.stateMachines && opts.stateMachines.length > 0 ? opts.stateMachines : [opts.stateMachine ?? ONBOARDING_STATE_MACHINE];
  /** Served state machine ARN -> its selector (what runStateMachine takes). */
  const served = new Map<string, string>();
  const stateMachineArns: Record<string, string> = {};
  let prepared: PreparedStateMachine | undefined;
  for (const selector of selectors) {
    const p = prepareStateMachine(workflow, selector, { region: sb.aws.region, accountId: sb.aws.accountId });
    prepared ??= p;
    served.set(p.stateMachine.arn, selector);
    stateMachineArns[selector] = p.stateMachine.arn;
  }
  if (!prepared) throw new Error('no state machine to serve');
  const stateMachineArn = prepared.stateMachine.arn;
  const functions = prepared.functions;
  const accountsFor = opts.accountsFor ?? defaultAccounts;

  const executions: LocalExecution[] = [];
  /** By execution ARN (names are unique per state machine). */
  const byArn = new Map<string, LocalExecution>();
  const pending = new Set<Promise<void>>();
  let throttleRemaining = 0;
  let throttledCalls = 0;

  let lock: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = lock.then(fn, fn);
    lock = next.catch(() => undefined);
    return next;
  };

  const runExecution = async (exec: LocalExecution): Promise<void> => {
    try {
      const input: unknown = JSON.parse(exec.input);
      const run = await runStateMachine(input, {
        ...(opts.run ?? {}),
        sandbox: opts.sandbox,
        workflow,
        stateMachine: served.get(exec.stateMachineArn) ?? ONBOARDING_STATE_MACHINE,
        executionName: exec.name,
        accounts: accountsFor(input),
      });
      exec.run = run;
      exec.status = run.status;
      if (run.output !== undefined) exec.output = JSON.stringify(run.output);
      if (run.error !== undefined) exec.error = run.error;
      if (run.cause !== undefined) exec.cause = run.cause;
    } catch (e) {
      // The run could not even start (synthesis, sandbox preparation): what Step Functions reports as a runtime error.
      exec.status = 'FAILED';
      exec.error = 'States.Runtime';
      exec.cause = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    } finally {
      exec.stopDate = new Date();
    }
  };

  const startExecution = (body: Record<string, unknown>) => {
    if (throttleRemaining > 0) {
      throttleRemaining -= 1;
      throttledCalls += 1;
      throw new ApiError('ThrottlingException', 'Rate exceeded');
    }
    const arn = str(body.stateMachineArn);
    if (!arn) throw new ApiError('ValidationException', "1 validation error detected: Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be null");
    if (!SM_ARN.test(arn)) throw new ApiError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
    if (!served.has(arn)) throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    const name = body.name === undefined ? randomUUID() : str(body.name);
    if (name === undefined || name.length < 1 || name.length > 80 || BAD_NAME_CHARS.test(name)) {
      throw new ApiError('InvalidName', `Invalid Name: '${String(body.name)}'`);
    }
    const input = body.input === undefined ? '{}' : str(body.input);
    if (input === undefined) throw new ApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: input must be a string');
    if (Buffer.byteLength(input) > MAX_INPUT_BYTES) {
      throw new ApiError('InvalidExecutionInput', `Invalid State Machine Execution Input: input exceeds ${MAX_INPUT_BYTES} bytes`);
    }
    try {
      JSON.parse(input);
    } catch {
      throw new ApiError('InvalidExecutionInput', "Invalid State Machine Execution Input: 'not a valid JSON'");
    }
    const executionArn = `${arn.replace(':stateMachine:', ':execution:')}:${name}`;
    // Names are unique per state machine.
    const existing = byArn.get(executionArn);
    if (existing) {
      // Open with identical input: the original answer again. Otherwise (other input, or closed): the name is taken.
      if (existing.status === 'RUNNING' && existing.input === input) {
        return { executionArn: existing.executionArn, startDate: epochSeconds(existing.startDate) };
      }
      throw new ApiError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.executionArn}'`);
    }
    const exec: LocalExecution = { executionArn, stateMachineArn: arn, name, input, status: 'RUNNING', startDate: new Date() };
    executions.push(exec);
    byArn.set(executionArn, exec);
    const done = exclusive(() => runExecution(exec)).finally(() => pending.delete(done));
    pending.add(done);
    return { executionArn, startDate: epochSeconds(exec.startDate) };
  };

  const findExecution = (body: Record<string, unknown>): LocalExecution => {
    const arn = str(body.executionArn);
    if (!arn || !EXECUTION_ARN.test(arn)) throw new ApiError('InvalidArn', `Invalid Arn: '${String(body.executionArn)}'`);
    const exec = executions.find((e) => e.executionArn === arn);
    if (!exec) throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return exec;
  };

  const describeExecution = (body: Record<string, unknown>) => {
    const e = findExecution(body);
    return {
      executionArn: e.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: epochSeconds(e.startDate),
      ...(e.stopDate ? { stopDate: epochSeconds(e.stopDate) } : {}),
      input: e.input,
      inputDetails: { included: true },
      ...(e.output !== undefined ? { output: e.output, outputDetails: { included: true } } : {}),
      ...(e.error !== undefined ? { error: e.error } : {}),
      ...(e.cause !== undefined ? { cause: e.cause } : {}),
      redriveCount: 0,
      redriveStatus: 'NOT_REDRIVABLE',
    };
  };

  const listExecutions = (body: Record<string, unknown>) => {
    const arn = str(body.stateMachineArn);
    if (arn === undefined) throw new ApiError('ValidationException', 'stateMachineArn is required (map runs are not served)');
    if (!SM_ARN.test(arn)) throw new ApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    if (!served.has(arn)) throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    const filter = str(body.statusFilter);
    const max = typeof body.maxResults === 'number' && body.maxResults > 0 ? Math.min(body.maxResults, 1000) : 100;
    const from = body.nextToken === undefined ? 0 : Number(str(body.nextToken));
    if (!Number.isInteger(from) || from < 0) throw new ApiError('InvalidToken', `Invalid Token: '${String(body.nextToken)}'`);
    const all = [...executions].reverse().filter((e) => e.stateMachineArn === arn && (filter === undefined || e.status === filter));
    const page = all.slice(from, from + max);
    return {
      executions: page.map((e) => ({
        executionArn: e.executionArn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: epochSeconds(e.startDate),
        ...(e.stopDate ? { stopDate: epochSeconds(e.stopDate) } : {}),
      })),
      ...(from + max < all.length ? { nextToken: String(from + max) } : {}),
    };
  };

  const operations: Record<string, (body: Record<string, unknown>) => unknown> = {
    StartExecution: startExecution,
    DescribeExecution: describeExecution,
    ListExecutions: listExecutions,
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const target = String(req.headers['x-amz-target'] ?? '');
        const [prefix, operation = ''] = target.split('.');
        const op = prefix === 'AWSStepFunctions' ? operations[operation] : undefined;
        if (req.method !== 'POST' || !op) throw new ApiError('UnknownOperationException', `Operation not served locally: '${target}'`);
        const text = await readBody(req);
        let body: unknown;
        try {
          body = text === '' ? {} : JSON.parse(text);
        } catch {
          throw new ApiError('SerializationException', 'Request body is not JSON');
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiError('SerializationException', 'Request body is not a JSON object');
        send(res, 200, op(body as Record<string, unknown>));
      } catch (e) {
        if (e instanceof ApiError) send(res, e.status, { __type: e.code, message: e.message });
        else send(res, 500, { __type: 'InternalFailure', message: e instanceof Error ? e.message : String(e) });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const bundledFunction = (handler: string): LocalFunction => {
    const source = `lambdas/handlers/${handler}.ts`;
    const found = [...functions.values()].filter((f) => f.source === source);
    if (found.length !== 1) throw new Error(`the synthesized app has ${found.length} bundled functions with handler ${source}`);
    return found[0] as LocalFunction;
  };

  const invokeBundled = (handler: string, event: unknown): Promise<BundledInvocation> =>
    exclusive(async () => {
      const fn = bundledFunction(handler);
      const env: Record<string, string> = {
        ...fn.environment,
        AWS_ENDPOINT_URL_SFN: endpoint,
        AWS_REGION: sb.aws.region,
        AWS_ACCESS_KEY_ID: sb.aws.accessKeyId,
        AWS_SECRET_ACCESS_KEY: sb.aws.secretAccessKey,
      };
      const saved = new Map<string, string | undefined>();
      for (const k of Object.keys(process.env)) if (STRAY_AWS_ENV(k)) saved.set(k, process.env[k]);
      for (const k of saved.keys()) delete process.env[k];
      for (const [k, v] of Object.entries(env)) {
        if (!saved.has(k)) saved.set(k, process.env[k]);
        process.env[k] = v;
      }
      const capture = new OutputCapture();
      const lambda = new LocalLambdaRuntime({ capture, environment: env, region: sb.aws.region, ...(opts.run?.coldStart ? { coldStart: true } : {}) });
      capture.start();
      try {
        const result = await lambda.invoke(fn, event, handler);
        return { result, logs: capture.logs, invocation: lambda.invocations[0] as InvocationRecord };
      } catch (e) {
        const error = e as { errorType?: string; errorMessage?: string; name?: string; message?: string };
        return {
          error: { errorType: error.errorType ?? error.name ?? 'Error', errorMessage: error.errorMessage ?? error.message ?? String(e) },
          logs: capture.logs,
          invocation: lambda.invocations[0] as InvocationRecord,
        };
      } finally {
        capture.stop();
        for (const [k, v] of saved) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      }
    });

  return {
    endpoint,
    stateMachineArn,
    stateMachineArns,
    executions: () => [...executions],
    throttleStartExecution(times = Number.POSITIVE_INFINITY) {
      throttleRemaining = times;
    },
    clearFaults() {
      throttleRemaining = 0;
    },
    get throttledCalls() {
      return throttledCalls;
    },
    async settled() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    exclusive,
    invokeBundled,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
