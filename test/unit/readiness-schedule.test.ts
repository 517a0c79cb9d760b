/**
 * The readiness gate's schedule (lambdas/domain/readiness.ts): the fast case is probed as closely as before, a long
 * propagation costs few Palette calls, and the default budget covers the 15 minutes IAM may take.
 */
import { describe, expect, it } from 'vitest';
import { READINESS_BUDGET, nextWaitSeconds, probeSchedule } from '../../lambdas/domain/readiness';

describe('readiness schedule', () => {
  it('the first two minutes: 2, 4, 8, 16, then every 20 s (the fast case is not slower)', () => {
    expect(probeSchedule(120)).toEqual([0, 2, 6, 14, 30, 50, 70, 90, 110]);
  });

  it('then every 30 s until 5 minutes, then every minute', () => {
    const at = probeSchedule(READINESS_BUDGET.defaultSeconds);
    const gaps = at.slice(1).map((t, i) => t - (at[i] ?? 0));
    for (const [i, gap] of gaps.entries()) {
      const from = at[i] ?? 0;
      expect(gap, `after ${from} s`).toBe(from >= 300 ? 60 : from >= 120 ? 30 : Math.min(20, 2 * 2 ** i));
    }
    expect(at.at(-1)).toBeGreaterThan(READINESS_BUDGET.defaultSeconds - 60);
    // About 25 probes for 15 minutes, instead of the 48 a flat 20 s would take.
    expect(at.length).toBeLessThanOrEqual(26);
  });

  it('the default budget is 15 minutes; a budget is 10 s .. 30 min', () => {
    expect(READINESS_BUDGET).toEqual({ defaultSeconds: 900, minSeconds: 10, maxSeconds: 1800 });
    expect(nextWaitSeconds(1)).toBe(2);
    expect(nextWaitSeconds(30, 1000)).toBe(60);
  });
});
