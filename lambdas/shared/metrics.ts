/**
 * Application metrics as CloudWatch embedded metric format (EMF) records, through ONE Powertools Metrics instance
 * per container: namespace METRICS_NAMESPACE, the single dimension `service` (lambdas/shared/metric-names.ts).
 *
 * Per invocation: every handler wrapper (withDeadline, compensationHandler: lambdas/shared/deadline.ts) runs the
 * handler inside `runWithMetrics`, which collects what the invocation records (AsyncLocalStorage, so concurrent
 * invocations in one process, as in the local runner, never mix) and, when the handler returns or throws, writes
 * them as ONE EMF JSON line on stdout. CloudWatch Logs turns that line into metrics; no PutMetricData call, no
 * permission. Nothing recorded = nothing written. Something recorded outside an invocation (a service called
 * directly by a test or a script) is dropped: only Lambda invocations emit metrics.
 *
 * Handlers need no metrics code of their own beyond the record* calls below; they never flush.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logger } from './logger';
import { METRICS_NAMESPACE, METRIC_UNITS, type MetricName } from './metric-names';

export { METRICS_NAMESPACE, METRIC_NAMES, type MetricName } from './metric-names';

/** The container's one Metrics instance (its default dimension: service = POWERTOOLS_SERVICE_NAME). */
export const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'palette-onboarding',
});

interface InvocationMetrics {
  /** Count metrics are summed; other units keep each value. */
  readonly values: Map<MetricName, number[]>;
  readonly metadata: Map<string, string>;
}

const storage = new AsyncLocalStorage<InvocationMetrics>();

/** Records `value` of `name` for the current invocation (dropped outside one). Never throws. */
export function addMetric(name: MetricName, value: number): void {
  const current = storage.getStore();
  if (!current || !Number.isFinite(value)) return;
  const values = current.values.get(name) ?? [];
  if (METRIC_UNITS[name] === 'Count' && values.length > 0) values[0] = (values[0] ?? 0) + value;
  else values.push(value);
  current.values.set(name, values);
}

/** Metadata of the current invocation's EMF record (not a dimension: tenant ids and execution names go here). */
export function addMetadata(key: string, value: string): void {
  storage.getStore()?.metadata.set(key, value);
}

/** Runs one handler invocation with its own metrics; flushes them (one EMF line) when `fn` settles. */
export async function runWithMetrics<R>(fn: () => Promise<R>, meta: { executionName?: string } = {}): Promise<R> {
  const current: InvocationMetrics = { values: new Map(), metadata: new Map() };
  if (meta.executionName) current.metadata.set('executionName', meta.executionName);
  try {
    return await storage.run(current, fn);
  } finally {
    publish(current);
  }
}

/**
 * Writes an invocation's metrics as one EMF record. Synchronous from the first addMetric to publishStoredMetrics, so
 * the shared instance never holds two invocations' metrics at once. A metrics problem never fails the handler.
 */
function publish(current: InvocationMetrics): void {
  if (current.values.size === 0) return;
  try {
    for (const [name, values] of current.values) {
      for (const value of values) metrics.addMetric(name, METRIC_UNITS[name], value);
    }
    for (const [key, value] of current.metadata) metrics.addMetadata(key, value);
    metrics.publishStoredMetrics();
  } catch (err) {
    logger.warn('Could not publish metrics', { error: err instanceof Error ? err.message : String(err) });
  }
}

/** The `execution.name` of a workflow state document, if it has one (every workflow state carries it). */
export function executionNameOf(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const execution = (event as { execution?: unknown }).execution;
  if (typeof execution !== 'object' || execution === null) return undefined;
  const name = (execution as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

/** Seconds from an ISO start time to now; undefined when there is no valid start time. */
export function secondsSince(startTime: string | undefined, now: number = Date.now()): number | undefined {
  if (startTime === undefined) return undefined;
  const start = Date.parse(startTime);
  return Number.isFinite(start) && now >= start ? Math.round((now - start) / 100) / 10 : undefined;
}

type Outcome = 'SUCCEEDED' | 'FAILED';

/** An onboarding's outcome (ReleaseTenant / ReleaseTenantOnFailure) and, when it succeeded, its duration. */
export function recordOnboardingOutcome(o: { outcome: Outcome; tenantId: string; startTime?: string | undefined }): void {
  addMetadata('tenantId', o.tenantId);
  addMetric(o.outcome === 'SUCCEEDED' ? 'OnboardingSucceeded' : 'OnboardingFailed', 1);
  const seconds = o.outcome === 'SUCCEEDED' ? secondsSince(o.startTime) : undefined;
  if (seconds !== undefined) addMetric('OnboardingDurationSeconds', seconds);
}

/** An offboarding's outcome (FinishOffboarding / FinishOffboardingOnFailure) and, when it succeeded, its duration. */
export function recordOffboardingOutcome(o: { outcome: Outcome; tenantId: string; startTime?: string | undefined }): void {
  addMetadata('tenantId', o.tenantId);
  addMetric(o.outcome === 'SUCCEEDED' ? 'OffboardingSucceeded' : 'OffboardingFailed', 1);
  const seconds = o.outcome === 'SUCCEEDED' ? secondsSince(o.startTime) : undefined;
  if (seconds !== undefined) addMetric('OffboardingDurationSeconds', seconds);
}

/**
 * The undo steps of a compensation that could not finish (their `$.compensation.<step>Error`): nothing recorded
 * when every step finished. Steps are named in the record's metadata (`incompleteSteps`).
 */
export function recordCompensationIncomplete(steps: readonly string[], tenantId: string): void {
  if (steps.length === 0) return;
  addMetadata('tenantId', tenantId);
  addMetadata('incompleteSteps', steps.join(','));
  addMetric('CompensationIncomplete', steps.length);
}

/** Drift findings of one re-validation (0 is recorded too: a checked tenant without drift). */
export function recordDriftFindings(count: number, tenantId?: string): void {
  if (tenantId !== undefined) addMetadata('tenantId', tenantId);
  addMetric('DriftFindings', count);
}

/**
 * One HTTP request to Palette (the Palette client's `onAttempt` hook, lambdas/services/palette/transport.ts): counted
 * per attempt, retries included; a 429 answer is also a throttle.
 */
export function recordPaletteCall(attempt: { status: number }): void {
  addMetric('PaletteCalls', 1);
  addMetric('PaletteThrottles', attempt.status === 429 ? 1 : 0);
}
