/**
 * The readiness gate's budget and probe schedule (pure), one definition for the CDK config, the Lambda environment,
 * the request option and the CheckReadiness step.
 *
 * IAM propagation is usually seconds, but can take up to 15 minutes: the default budget is 15 minutes. The schedule
 * tracks fast propagation closely (2, 4, 8, 16, 20 s, as before, for the first two minutes), then probes less often
 * (30 s until 5 minutes, then 60 s), so a long wait costs about 25 Palette validations instead of 45, which matters
 * for a fleet at Palette's rate limit.
 */

/** Seconds: default 15 minutes; a request or the stack may set 10 s .. 30 min. */
export const READINESS_BUDGET = { defaultSeconds: 900, minSeconds: 10, maxSeconds: 1800 } as const;

/** The wait before the next probe, after `attempt` failed probes, `elapsedSeconds` after the first one. */
export function nextWaitSeconds(attempt: number, elapsedSeconds = 0): number {
  if (elapsedSeconds >= 300) return 60;
  if (elapsedSeconds >= 120) return 30;
  return Math.min(20, 2 * 2 ** Math.max(0, attempt - 1));
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
