/**
 * The invocation's deadline, so time budgets add up: a Palette call's retries stop in time for the function to fail
 * with its transient error (which the state retries, lambdas/shared/retryable-errors.ts) instead of being killed by
 * its own timeout halfway through a retry loop. Per invocation (AsyncLocalStorage): concurrent invocations in one
 * process each see their own.
 *
 * This is also every handler's per-invocation wrapper for metrics (lambdas/shared/metrics.ts): `runWithDeadline` runs
 * the handler inside `runWithMetrics`, which writes what the invocation recorded when it returns or throws.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { executionNameOf, runWithMetrics } from './metrics';
import { loadTracer } from './tracer';

/** Kept free before the Lambda timeout: enough to raise the error and log it. */
export const DEADLINE_MARGIN_MS = 5_000;

export interface DeadlineContext {
  getRemainingTimeInMillis?: () => number;
}

const storage = new AsyncLocalStorage<number>();

/** The epoch ms by which the current invocation's work must end, if running under a Lambda context. */
export function invocationDeadline(): number | undefined {
  return storage.getStore();
}

/**
 * Runs `fn` with the deadline of `context` (its remaining time minus DEADLINE_MARGIN_MS) and its own metrics, flushed
 * when it settles; `event` (the state document) names the execution in the metrics' metadata.
 */
export function runWithDeadline<R>(context: DeadlineContext | undefined, fn: () => Promise<R>, event?: unknown): Promise<R> {
  const executionName = executionNameOf(event);
  const remaining = context?.getRemainingTimeInMillis?.();
  const run = remaining === undefined || !Number.isFinite(remaining) ? fn : () => storage.run(Date.now() + remaining - DEADLINE_MARGIN_MS, fn);
  return loadTracer().then(() => runWithMetrics(run, executionName ? { executionName } : {}));
}

/** A handler that knows its invocation's deadline and flushes its metrics (every workflow handler is wrapped in it). */
export function withDeadline<E, R>(fn: (event: E) => Promise<R>): (event: E, context?: DeadlineContext) => Promise<R> {
  return (event, context) => runWithDeadline(context, () => fn(event), event);
}
