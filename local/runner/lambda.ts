/**
 * Invokes bundled Lambda handlers in-process, the way the Node.js Lambda runtime would: the event and the
 * result go through JSON, the handler gets a Lambda context, the function's Timeout is enforced, and a thrown
 * error becomes a function error `{errorType, errorMessage, trace}`, which Step Functions reports as
 * Error = errorType and Cause = that JSON document.
 *
 * Each bundle is imported once per "container" key (a hash of the function's effective environment), so
 * module-level state (SDK clients, the logger, memoized config) behaves like a warm Lambda container and
 * never leaks across sandboxes with different endpoints.
 */
import { createHash, randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { OutputCapture } from './capture';
import type { LocalFunction } from './template';

type Handler = (event: unknown, context: Context, callback?: (err: unknown, result?: unknown) => void) => unknown;

/** A function error as Step Functions sees it. */
export class LambdaFunctionError extends Error {
  constructor(
    readonly errorType: string,
    readonly errorMessage: string,
    readonly trace: string[],
  ) {
    // Step Functions: Error = errorType, Cause = the function's error document.
    super(JSON.stringify({ errorType, errorMessage, trace }));
    this.name = errorType;
  }
}

// Node's native dynamic import (from a CommonJS helper), out of reach of test-runner module transforms
// (vitest would otherwise transform and evaluate the minified bundles itself).
const nativeImport = createRequire(import.meta.url)('./native-import.cjs') as (specifier: string) => Promise<Record<string, unknown>>;

const loaded = new Map<string, Promise<Handler>>();

function containerKey(fn: LocalFunction, env: Record<string, string | undefined>): string {
  const h = createHash('sha256');
  h.update(fn.entryFile);
  h.update(String(statSync(fn.entryFile).mtimeMs));
  h.update(JSON.stringify(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : 1))));
  return h.digest('hex').slice(0, 16);
}

async function loadHandler(fn: LocalFunction, key: string): Promise<Handler> {
  const cacheKey = `${fn.entryFile}?${key}`;
  let p = loaded.get(cacheKey);
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
  return p;
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
  error?: { errorType: string; errorMessage: string };
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

  constructor(private readonly opts: LocalLambdaOptions) {
    this.salt = opts.coldStart ? randomUUID() : '';
  }

  async invoke(fn: LocalFunction, event: unknown, state: string): Promise<unknown> {
    const requestId = randomUUID();
    const scope = { functionLogicalId: fn.logicalId, state, requestId };
    const { capture } = this.opts;
    const startedAt = Date.now();
    capture.platform(scope, `START RequestId: ${requestId} Version: $LATEST`);
    const record: InvocationRecord = { functionLogicalId: fn.logicalId, state, requestId, startedAt, durationMs: 0 };
    this.invocations.push(record);
    const deadline = startedAt + fn.timeoutSeconds * 1000;
    let timer: NodeJS.Timeout | undefined;
    try {
      const handler = await loadHandler(fn, `${containerKey(fn, this.opts.environment)}${this.salt}`);
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
      const result = await Promise.race([run, timeout]);
      return jsonRoundTrip(result);
    } catch (err) {
      const fe = toFunctionError(err);
      record.error = { errorType: fe.errorType, errorMessage: fe.errorMessage };
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
