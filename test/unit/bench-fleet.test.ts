/**
 * The fleet benchmark (bench/fleet.ts, P2): which prefix binds a fleet, and a fleet run at CI size (the full size,
 * 200 or 1,000 tenants, runs in `npm run bench`).
 */
import { describe, expect, it } from 'vitest';
import { bindingPrefix, fleetBench, type PrefixFigures } from '../../bench/fleet';

const prefix = (name: string, calls: number, callsPerSecond: number, limitRps = 10): PrefixFigures => ({
  prefix: name,
  calls,
  rateLimited: 0,
  callsPerSecond,
  limitRps,
});

describe('the binding prefix of a fleet', () => {
  it('is the prefix used closest to its limit, not the one called most', () => {
    // Prepare: /v1/clouds has a few more calls (readiness probes) but waited on /v1/users, which ran at its limit
    const prefixes = [prefix('/v1/clouds', 804, 8.13), prefix('/v1/users', 800, 10.03), prefix('/v1/cloudaccounts', 600, 7.0)];
    // Act
    const binding = bindingPrefix(prefixes, 200);
    // Assess
    expect(binding?.prefix).toBe('/v1/users');
  });

  it('compares each prefix with its own limit', () => {
    // Prepare: 20 requests/s on a 50 rps prefix is further from its limit than 9 on a 10 rps one
    const prefixes = [prefix('/v1/spectroclusters', 2000, 20, 50), prefix('/v1/users', 800, 9)];
    // Act / Assess
    expect(bindingPrefix(prefixes, 200)?.prefix).toBe('/v1/users');
  });

  it('ignores a prefix the fleet called fewer times than it has tenants (a burst is no rate)', () => {
    // Prepare: five calls within 0.2 s look like 25 requests/s
    const prefixes = [prefix('/v1/auth', 5, 25), prefix('/v1/users', 800, 9.5)];
    // Act / Assess
    expect(bindingPrefix(prefixes, 200)?.prefix).toBe('/v1/users');
    // ... unless no prefix has a call per tenant
    expect(bindingPrefix([prefix('/v1/auth', 5, 25)], 200)?.prefix).toBe('/v1/auth');
    expect(bindingPrefix([], 200)).toBeUndefined();
  });
});

describe('a fleet run at CI size', () => {
  it('onboards every tenant through the Bulk state machine under the emulator\'s rate limits, and reports every prefix', async () => {
    // Act
    const lines: string[] = [];
    const out = await fleetBench({ tenants: 4, maxConcurrency: 2, log: (l) => lines.push(l) });
    // Assess
    expect(out.bulkStatus).toBe('SUCCEEDED');
    expect(out.failed).toBe(0);
    expect(out.emulator429s).toBe(0);
    expect(out.tenants).toBe(4);
    expect(out.prefixes.map((p) => p.prefix)).toEqual(expect.arrayContaining(['/v1/users', '/v1/clouds', '/v1/cloudaccounts']));
    for (const p of out.prefixes) expect(p.calls).toBeGreaterThan(0);
    expect(out.bindingPrefix).toBe(bindingPrefix(out.prefixes, 4)?.prefix);
    expect(out.ratio).toBeCloseTo(out.callsPerSecond / 10, 6);
    expect(out.rows.find((r) => r.figure === 'executions failed')?.value).toBe(0);
    expect(lines[0]).toMatch(/4 tenants through the Bulk state machine, at most 2 at once/);
  }, 180_000);
});
