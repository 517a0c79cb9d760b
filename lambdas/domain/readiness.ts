/**
 * The readiness gate's budget and probe schedule (pure), one definition for the CDK config, the Lambda environment,
 * the request option and the CheckReadiness step.
 *
 * IAM propagation is usually seconds, but can take up to 15 minutes: the default budget is 15 minutes. The first
 * probe runs right after the principal is created. The schedule then tracks fast propagation closely: 1 s waits for
 * the first four (Step Functions waits whole seconds), so when propagation takes less than 4 s (the usual case) the
 * gate passes at most about a second after it ends; then waits of 2, 2, 3, 4, 6, 8, 12, 16 s (each at most half the time already waited, so a
 * probe comes at most 50 % later than propagation ended), capped at 20 s for the first two minutes; then it probes
 * less often (30 s until 5 minutes, then 60 s), so a 15-minute wait costs 32 Palette validations instead of the 46 a
 * flat 20 s would take, which matters for a fleet at Palette's rate limit.
 */

/** Seconds: default 15 minutes; a request or the stack may set 10 s .. 30 min. */
export const READINESS_BUDGET = { defaultSeconds: 900, minSeconds: 10, maxSeconds: 1800 } as const;

/** The waits after the first failed probes, in order (seconds); then 20 s until two minutes. */
export const FIRST_WAITS_SECONDS = [1, 1, 1, 1, 2, 2, 3, 4, 6, 8, 12, 16] as const;

/** The wait before the next probe, after `attempt` failed probes, `elapsedSeconds` after the first one. */
export function nextWaitSeconds(attempt: number, elapsedSeconds = 0): number {
  if (elapsedSeconds >= 300) return 60;
  if (elapsedSeconds >= 120) return 30;
  return FIRST_WAITS_SECONDS[Math.max(0, attempt - 1)] ?? 20;
}

/** The probe times (seconds after the first probe) of a budget, for docs and tests. */
export function probeSchedule(budgetSeconds: number): number[] {
  const at = [0];
  for (let attempt = 1; ; attempt++) {
    const last = at[at.length - 1] ?? 0;
    const next = last + nextWaitSeconds(attempt, last);
    if (next > budgetSeconds) return at;
    at.push(next);
  }
}
