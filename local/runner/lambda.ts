/**
 * Invokes bundled Lambda handlers in-process, the way the Node.js Lambda runtime would: the event and the
 * result go through JSON, the handler gets a Lambda context, the function's Timeout is enforced, and a thrown
 * error becomes a function error `{errorType, errorMessage, trace}`, which Step Functions reports as
 * Error = errorType and Cause = that JSON document.
 *
 * Each bundle is imported once per "container" key (a hash of the function's logical id and its effective
 * environment), so module-level state (SDK clients, the logger, memoized config, cached credentials) behaves like a
 * warm Lambda container of THAT function (two functions built from the same bundle never share one) and never leaks
 * across sandboxes with different endpoints.
 *
 * A container dies when its invocation is killed (`crash()`, crash injection): the function's next invocation
 * imports a fresh module instance (a cold start), as Lambda starts a new execution environment after a runtime
 * exit. Containers are counted per key ("generation"), process-wide.
 */
import { createHash, randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { silenceKilledInvocations, type OutputCapture } from './capture';
import type { LocalFunction } from './template';

type Handler = (event: unknown, context: Context, callback?: (err: unknown, result?: unknown) => void) => unknown;

/** A function error as Step Functions sees it. */
export class LambdaFunctionError extends Error {
  constructor(
    readonly errorType: string,
    readonly errorMessage: string,
    readonly trace: string[],
    /** The Cause Step Functions reports; default: the function's error document. */
    cause?: string,
  ) {
    // Step Functions: Error = errorType, Cause = the function's error document.
    super(cause ?? JSON.stringify({ errorType, errorMessage, trace }));
    this.name = errorType;
  }
}

/**
 * The invocation's runtime process was killed (crash injection): what Step Functions reports for a Lambda whose
 * runtime exited without a result (out of memory, SIGKILL, ...): Error `Lambda.Unknown`, Cause the payload
 * Lambda returns for a runtime exit.
 */
export class LambdaCrashError extends LambdaFunctionError {
  constructor(
    readonly requestId: string,
    /** The call after which it was killed (`aws:s3:CreateBucket`). */
    readonly after: string,
  ) {
    const errorMessage = `RequestId: ${requestId} Error: Runtime exited with error: signal: killed`;
    super('Lambda.Unknown', errorMessage, [], JSON.stringify({ errorMessage, errorType: 'Runtime.ExitError' }));
  }
}

// Node's native dynamic import (from a CommonJS helper), out of reach of test-runner module transforms
// (vitest would otherwise transform and evaluate the minified bundles itself).
const nativeImport = createRequire(import.meta.url)('./native-import.cjs') as (specifier: string) => Promise<Record<string, unknown>>;

const loaded = new Map<string, Promise<Handler>>();
/** Container generation per function container key: bumped when a container's invocation is killed. */
const generations = new Map<string, number>();

function containerKey(fn: LocalFunction, env: Record<string, string | undefined>): string {
  const h = createHash('sha256');
  h.update(fn.logicalId);
  h.update('\0');
  h.update(fn.entryFile);
  h.update(String(statSync(fn.entryFile).mtimeMs));
  h.update(JSON.stringify(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : 1))));
  return h.digest('hex').slice(0, 16);
}

/** The handler of the container `key`; `cold` when this call imported the module (a new container). */
async function loadHandler(fn: LocalFunction, key: string): Promise<{ handler: Handler; cold: boolean }> {
  const cacheKey = `${fn.entryFile}?${key}`;
  let p = loaded.get(cacheKey);
  const cold = p === undefined;
  if (!p) {
    p = nativeImport(`${pathToFileURL(fn.entryFile).href}?container=${key}`).then((mod) => {
      const h = mod[fn.exportName];
      if (typeof h !== 'function') {
        throw new LambdaFunctionError(
          'Runtime.HandlerNotFound',
          `${fn.entryFile.split('/').pop() ?? 'index'}.${fn.exportName} is undefined or not exported`,
          [],
        );
      }
      return h as Handler;
    });
    p.catch(() => loaded.delete(cacheKey));
    loaded.set(cacheKey, p);
  }
  return { handler: await p, cold };
}

/** Container key of the current generation of a function's container (generation 0 = the plain key). */
function currentContainer(fn: LocalFunction, base: string): { key: string; generationKey: string; generation: number } {
  const generationKey = `${fn.entryFile}?${base}`;
  const generation = generations.get(generationKey) ?? 0;
  return { key: generation === 0 ? base : `${base}~${generation}`, generationKey, generation };
}

/** The container dies: the next invocation with this key imports a fresh module instance. */
function retireContainer(fn: LocalFunction, c: { key: string; generationKey: string; generation: number }): void {
  if ((generations.get(c.generationKey) ?? 0) <= c.generation) generations.set(c.generationKey, c.generation + 1);
  loaded.delete(`${fn.entryFile}?${c.key}`);
}

function toFunctionError(err: unknown): LambdaFunctionError {
  if (err instanceof LambdaFunctionError) return err;
  if (err instanceof Error) {
    const type = err.name && err.name !== 'Error' ? err.name : (err.constructor?.name ?? 'Error');
    return new LambdaFunctionError(type, err.message, (err.stack ?? '').split('\n'));
  }
  return new LambdaFunctionError('Error', typeof err === 'string' ? err : JSON.stringify(err) ?? String(err), []);
}

const jsonRoundTrip = (value: unknown): unknown => (value === undefined ? null : JSON.parse(JSON.stringify(value)));

export interface InvocationRecord {
  functionLogicalId: string;
  state: string;
  requestId: string;
  startedAt: number;
  durationMs: number;
  /** This invocation imported the module (a new container): the first one, after `coldStart`, or after a crash. */
  coldStart: boolean;
  error?: { errorType: string; errorMessage: string };
  /** Killed by crash injection right after this call. */
  crashedAfter?: string;
}

interface ActiveInvocation {
  fn: LocalFunction;
  state: string;
  container?: { key: string; generationKey: string; generation: number };
  kill(e: LambdaCrashError): void;
}

export interface LocalLambdaOptions {
  capture: OutputCapture;
  /** The environment the functions see (for the container key). */
  environment: Record<string, string | undefined>;
  region: string;
  /** Fresh module instances for this runtime (a cold start for every function). */
  coldStart?: boolean;
}

export class LocalLambdaRuntime {
  readonly invocations: InvocationRecord[] = [];
  private readonly salt: string;
  private readonly active = new Map<string, ActiveInvocation>();

  constructor(private readonly opts: LocalLambdaOptions) {
    this.salt = opts.coldStart ? randomUUID() : '';
  }

  /**
   * The container a running invocation runs in (`<entry file>?<container key>`, unique per function, environment
   * and generation), or undefined when it is not running (any more).
   */
  containerOf(requestId: string): string | undefined {
    const a = this.active.get(requestId);
    return a?.container ? `${a.fn.entryFile}?${a.container.key}` : undefined;
  }

  /** Task states of the running invocations of a function. */
  activeStates(functionLogicalId: string): string[] {
    return [...this.active.values()].filter((a) => a.fn.logicalId === functionLogicalId).map((a) => a.state);
  }

  /**
   * Kills a running invocation of this runtime, as if its process died now: the invocation fails at once with
   * `Lambda.Unknown` (LambdaCrashError), whatever the handler still does is dropped (capture), and its container
   * is dead (the function's next invocation is a cold start). False when no such invocation is running.
   */
  crash(requestId: string, after: string): boolean {
    const a = this.active.get(requestId);
    if (!a) return false;
    this.active.delete(requestId);
    if (a.container) retireContainer(a.fn, a.container);
    this.opts.capture.kill(requestId);
    silenceKilledInvocations();
    a.kill(new LambdaCrashError(requestId, after));
    return true;
  }

  /** `meta.requestId` is set as soon as the invocation starts. */
  async invoke(fn: LocalFunction, event: unknown, state: string, meta: { requestId?: string } = {}): Promise<unknown> {
    const requestId = randomUUID();
    meta.requestId = requestId;
    const scope = { functionLogicalId: fn.logicalId, state, requestId };
    const { capture } = this.opts;
    const startedAt = Date.now();
    capture.platform(scope, `START RequestId: ${requestId} Version: $LATEST`);
    const record: InvocationRecord = { functionLogicalId: fn.logicalId, state, requestId, startedAt, durationMs: 0, coldStart: false };
    this.invocations.push(record);
    const deadline = startedAt + fn.timeoutSeconds * 1000;
    let timer: NodeJS.Timeout | undefined;
    const active: ActiveInvocation = { fn, state, kill: () => undefined };
    const killed = new Promise<never>((_, reject) => {
      active.kill = reject;
    });
    this.active.set(requestId, active);
    try {
      const container = currentContainer(fn, `${containerKey(fn, this.opts.environment)}${this.salt}`);
      active.container = container;
      const { handler, cold } = await Promise.race([loadHandler(fn, container.key), killed]);
      record.coldStart = cold;
      const context: Context = {
        callbackWaitsForEmptyEventLoop: true,
        functionName: fn.functionName,
        functionVersion: '$LATEST',
        invokedFunctionArn: fn.arn,
        memoryLimitInMB: String(fn.memorySize),
        awsRequestId: requestId,
        logGroupName: `/aws/lambda/${fn.functionName}`,
        logStreamName: `${new Date(startedAt).toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${requestId.replace(/-/g, '')}`,
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
        done: () => undefined,
        fail: () => undefined,
        succeed: () => undefined,
      };
      const payload = jsonRoundTrip(event);
      const run = capture.runInScope(
        scope,
        () =>
          new Promise<unknown>((resolve, reject) => {
            const callback = (err: unknown, result?: unknown) => (err ? reject(err) : resolve(result));
            try {
              const out = handler(payload, context, callback);
              if (out !== undefined || handler.length < 3) Promise.resolve(out).then(resolve, reject);
            } catch (e) {
              reject(e);
            }
          }),
      );
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new LambdaFunctionError(
                'Sandbox.Timedout',
                `${new Date().toISOString()} ${requestId} Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`,
                [],
              ),
            ),
          fn.timeoutSeconds * 1000,
        );
      });
      const result = await Promise.race([run, timeout, killed]);
      return jsonRoundTrip(result);
    } catch (err) {
      const fe = toFunctionError(err);
      record.error = { errorType: fe.errorType, errorMessage: fe.errorMessage };
      if (fe instanceof LambdaCrashError) {
        record.crashedAfter = fe.after;
        // What Lambda logs when the runtime process dies (plus why, locally).
        capture.logs.push({
          at: Date.now(),
          stream: 'stderr',
          source: 'platform',
          ...scope,
          text: `${new Date().toISOString()}\t${requestId}\tERROR\t${fe.errorMessage}\tRuntime.ExitError (killed by the local runner's crash injection right after ${fe.after})\n`,
        });
        throw fe;
      }
      capture.runInScope(scope, () => {
        // What the Node.js runtime logs for an uncaught handler error.
        capture.logs.push({
          at: Date.now(),
          stream: 'stderr',
          source: 'platform',
          ...scope,
          text: `${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error \t${fe.message}\n`,
        });
      });
      throw fe;
    } finally {
      this.active.delete(requestId);
      if (timer) clearTimeout(timer);
      record.durationMs = Date.now() - startedAt;
      capture.platform(scope, `END RequestId: ${requestId}`);
      capture.platform(
        scope,
        `REPORT RequestId: ${requestId}\tDuration: ${record.durationMs.toFixed(2)} ms\tMemory Size: ${fn.memorySize} MB`,
      );
    }
  }
}
