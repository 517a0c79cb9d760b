/**
 * The readiness gate's budget and probe schedule (pure), one definition for the CDK config, the Lambda environment,
 * the request option, the CheckReadiness step and the state machine's Retry on it.
 *
 * IAM propagation is usually seconds, but can take up to 15 minutes: the default budget is 15 minutes. The first
 * probe runs right after the principal is created. A probe that finds the principal not accepted yet fails the
 * CheckReadiness task with a named error, and Step Functions retries it (one state entered, a transition per retry,
 * no Choice / Wait loop): the first four waits are 1 s (Step Functions waits whole seconds before its backoff), so
 * when propagation takes less than 4 s (the usual case) the gate passes at most about a second after it ends; then
 * the waits grow by half (2, 3, 4.5, 6.75 s, ...: each is half the time already waited, so a probe comes at most 50 %
 * later than propagation ended), capped at 60 s: a 15-minute wait costs 26 Palette validations, which matters for a
 * fleet at Palette's rate limit.
 */

import type { PRINCIPAL_PROPAGATION_ERRORS } from '../shared/retryable-errors';

/** Seconds: default 15 minutes; a request or the stack may set 10 s .. 30 min. */
export const READINESS_BUDGET = { defaultSeconds: 900, minSeconds: 10, maxSeconds: 1800 } as const;

/**
 * The state machine's retriers of CheckReadiness, in the order the probes use them: the error a failed probe throws
 * names the retrier (readinessErrorName), and Step Functions waits `intervalSeconds * backoffRate^(n-1)` (at most
 * `maxDelaySeconds`) before that retrier's n-th retry. `maxAttempts` outlasts the longest budget: the handler ends
 * the gate itself with ReadinessTimeoutError when the budget is spent.
 */
export const READINESS_RETRIERS: readonly {
  error: ReadinessErrorName;
  intervalSeconds: number;
  backoffRate: number;
  /** Absent: no cap (a backoff rate of 1 waits the interval every time). */
  maxDelaySeconds?: number;
  maxAttempts: number;
}[] = [
  { error: 'PrincipalNotReady', intervalSeconds: 1, backoffRate: 1, maxAttempts: 4 },
  { error: 'PrincipalStillNotReady', intervalSeconds: 2, backoffRate: 1.5, maxDelaySeconds: 60, maxAttempts: 60 },
];
export type ReadinessErrorName = (typeof PRINCIPAL_PROPAGATION_ERRORS)[number];

/** The retrier (and so the error name) for the retry after failed probe number `attempt` (1-based). */
function retrierOf(attempt: number): { retrier: (typeof READINESS_RETRIERS)[number]; n: number } {
  let n = attempt;
  for (const retrier of READINESS_RETRIERS) {
    if (n <= retrier.maxAttempts) return { retrier, n };
    n -= retrier.maxAttempts;
  }
  const last = READINESS_RETRIERS[READINESS_RETRIERS.length - 1] as (typeof READINESS_RETRIERS)[number];
  return { retrier: last, n: last.maxAttempts + 1 };
}

/** The error a failed probe number `attempt` (1-based) throws: the retrier that retries it. */
export function readinessErrorName(attempt: number): ReadinessErrorName {
  return retrierOf(attempt).retrier.error;
}

/** The wait before the next probe, after `attempt` failed probes (what Step Functions' Retry waits). */
export function nextWaitSeconds(attempt: number): number {
  const { retrier, n } = retrierOf(attempt);
  return Math.min(retrier.intervalSeconds * retrier.backoffRate ** (n - 1), retrier.maxDelaySeconds ?? Number.POSITIVE_INFINITY);
}

/** The probe times (seconds after the first probe) of a budget, for docs and tests. */
export function probeSchedule(budgetSeconds: number): number[] {
  const at = [0];
  for (let attempt = 1; ; attempt++) {
    const last = at[at.length - 1] ?? 0;
    const next = Math.round((last + nextWaitSeconds(attempt)) * 1000) / 1000;
    if (next > budgetSeconds) return at;
    at.push(next);
  }
}
