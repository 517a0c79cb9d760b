/**
 * The readiness gate's schedule (lambdas/domain/readiness.ts): the first probes track a fast propagation closely
 * (1 s waits, then each wait at most half the time already waited), a long propagation costs few Palette calls, and
 * the default budget covers the 15 minutes IAM may take.
 */
import { describe, expect, it } from 'vitest';
import { READINESS_BUDGET, nextWaitSeconds, probeSchedule } from '../../lambdas/domain/readiness';

/** The first probe at or after `seconds` (propagation ended then), by the schedule. */
const firstProbeFrom = (at: number[], seconds: number): number => at.find((t) => t >= seconds) ?? Number.NaN;

describe('readiness schedule', () => {
  it('the first two minutes: every second for 4 s, then 2, 2, 3, 4, 6, 8, 12, 16, then every 20 s', () => {
    expect(probeSchedule(120)).toEqual([0, 1, 2, 3, 4, 6, 8, 11, 15, 21, 29, 41, 57, 77, 97, 117]);
  });

  it('passes at most 1 s after a propagation of up to 4 s, and at most 50 % later after a longer one (first 2 minutes)', () => {
    const at = probeSchedule(120);
    for (let tenths = 1; tenths <= 1000; tenths++) {
      const propagation = tenths / 10;
      const overshoot = firstProbeFrom(at, propagation) - propagation;
      expect(overshoot, `propagation ${propagation} s`).toBeLessThanOrEqual(propagation <= 4 ? 1 : propagation / 2);
    }
  });

  it('then every 30 s until 5 minutes, then every minute; 32 probes for 15 minutes', () => {
    const at = probeSchedule(READINESS_BUDGET.defaultSeconds);
    const gaps = at.slice(1).map((t, i) => ({ from: at[i] ?? 0, gap: t - (at[i] ?? 0) }));
    for (const { from, gap } of gaps.filter((g) => g.from >= 120)) {
      expect(gap, `after ${from} s`).toBe(from >= 300 ? 60 : 30);
    }
    expect(at.at(-1)).toBeGreaterThan(READINESS_BUDGET.defaultSeconds - 60);
    // A flat 20 s would take 46 Palette validations for 15 minutes.
    expect(at).toHaveLength(32);
  });

  it('the default budget is 15 minutes; a budget is 10 s .. 30 min', () => {
    expect(READINESS_BUDGET).toEqual({ defaultSeconds: 900, minSeconds: 10, maxSeconds: 1800 });
    expect(nextWaitSeconds(1)).toBe(1);
    expect(nextWaitSeconds(5)).toBe(2);
    expect(nextWaitSeconds(13, 100)).toBe(20);
    expect(nextWaitSeconds(3, 130)).toBe(30);
    expect(nextWaitSeconds(30, 1000)).toBe(60);
  });
});
