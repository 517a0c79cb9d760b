/**
 * The readiness gate's schedule (lambdas/domain/readiness.ts): the first probes track a fast propagation closely
 * (1 s waits, then each wait half the time already waited), a long propagation costs few Palette calls, the default
 * budget covers the 15 minutes IAM may take, and the state machine's retriers outlast every budget.
 */
import { describe, expect, it } from 'vitest';
import { READINESS_BUDGET, READINESS_RETRIERS, nextWaitSeconds, probeSchedule, readinessErrorName } from '../../lambdas/domain/readiness';
import { PRINCIPAL_PROPAGATION_ERRORS } from '../../lambdas/shared/retryable-errors';

/** The first probe at or after `seconds` (propagation ended then), by the schedule. */
const firstProbeFrom = (at: number[], seconds: number): number => at.find((t) => t >= seconds) ?? Number.NaN;

describe('readiness schedule', () => {
  it('the first two minutes: every second for 4 s, then waits growing by half (2, 3, 4.5, ... s)', () => {
    expect(probeSchedule(120)).toEqual([0, 1, 2, 3, 4, 6, 9, 13.5, 20.25, 30.375, 45.563, 68.344, 102.516]);
  });

  it('passes at most 1 s after a propagation of up to 4 s, and at most 50 % later after a longer one (first 2 minutes)', () => {
    const at = probeSchedule(120);
    for (let tenths = 1; tenths <= 1000; tenths++) {
      const propagation = tenths / 10;
      const overshoot = firstProbeFrom(at, propagation) - propagation;
      expect(overshoot, `propagation ${propagation} s`).toBeLessThanOrEqual(propagation <= 4 ? 1 : propagation / 2 + 1e-9);
    }
  });

  it('waits at most a minute; 26 probes for 15 minutes (a flat 20 s would take 46)', () => {
    const at = probeSchedule(READINESS_BUDGET.defaultSeconds);
    for (let i = 1; i < at.length; i++) expect((at[i] ?? 0) - (at[i - 1] ?? 0)).toBeLessThanOrEqual(60);
    expect(at.at(-1)).toBeGreaterThan(READINESS_BUDGET.defaultSeconds - 60);
    expect(at).toHaveLength(26);
  });

  it('each failed probe names the retrier that retries it, and the retriers outlast the longest budget', () => {
    expect(READINESS_RETRIERS.map((r) => r.error)).toEqual([...PRINCIPAL_PROPAGATION_ERRORS]);
    expect([1, 2, 3, 4].map(readinessErrorName)).toEqual(['PrincipalNotReady', 'PrincipalNotReady', 'PrincipalNotReady', 'PrincipalNotReady']);
    expect(readinessErrorName(5)).toBe('PrincipalStillNotReady');
    // What Step Functions waits: retrier 1 every second; retrier 2 from 2 s, x1.5, at most 60 s.
    expect([1, 4, 5, 6, 7, 13, 14, 30].map(nextWaitSeconds)).toEqual([1, 1, 2, 3, 4.5, 2 * 1.5 ** 8, 60, 60]);
    const failedProbes = probeSchedule(READINESS_BUDGET.maxSeconds).length;
    expect(READINESS_RETRIERS.reduce((n, r) => n + r.maxAttempts, 0)).toBeGreaterThan(failedProbes);
  });

  it('the default budget is 15 minutes; a budget is 10 s .. 30 min', () => {
    expect(READINESS_BUDGET).toEqual({ defaultSeconds: 900, minSeconds: 10, maxSeconds: 1800 });
  });
});
