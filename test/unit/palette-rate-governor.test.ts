/**
 * The shared Palette rate governor's arithmetic (lambdas/services/palette/rate-governor.ts) with a fake clock and an
 * in-memory store that applies the same conditions as the DynamoDB one (rate-governor-dynamodb.ts; that one is run
 * against the sandbox's DynamoDB in test/integration/palette-rate-governor.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { PaletteClient, PaletteThrottledError, type Clock } from '../../lambdas/services/palette';
import {
  PaletteRateLimitRefusal,
  SharedRateGovernor,
  latestTat,
  sendAt,
  slotPlan,
  type RateSlotStore,
} from '../../lambdas/services/palette/rate-governor';
import { PrefixRateLimiter } from '../../lambdas/services/palette/rate-limit';
import { fakeFetch, json, memoryLogger } from './palette-client-helpers';

/** A clock the test moves; sleeping records the wait without moving it (each caller's send time = now + wait). */
class StillClock implements Clock {
  time = 1_000_000;
  readonly sleeps: number[] = [];
  now = (): number => this.time;
  sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
  };
}

/** The DynamoDB store's conditions on a Map (one item per prefix), counting the calls. */
class MemoryStore implements RateSlotStore {
  readonly tat = new Map<string, number>();
  calls = 0;
  async advance(prefix: string, intervalMs: number, minTat: number, maxTat: number): Promise<number | undefined> {
    this.calls += 1;
    const tat = this.tat.get(prefix);
    if (tat === undefined || tat < minTat || tat > maxTat) return undefined;
    this.tat.set(prefix, tat + intervalMs);
    return tat + intervalMs;
  }
  async restart(prefix: string, before: number, next: number): Promise<number | undefined> {
    this.calls += 1;
    const tat = this.tat.get(prefix);
    if (tat !== undefined && tat >= before) return undefined;
    this.tat.set(prefix, next);
    return next;
  }
  async delay(prefix: string, ms: number): Promise<void> {
    this.calls += 1;
    const tat = this.tat.get(prefix);
    if (tat !== undefined) this.tat.set(prefix, tat + ms);
  }
}

function governor(store: RateSlotStore, clock: Clock, maxWaitMs?: number) {
  const logger = memoryLogger();
  const gate = new SharedRateGovernor({ store, local: new PrefixRateLimiter({}, clock), clock, logger, ...(maxWaitMs === undefined ? {} : { maxWaitMs }) });
  return { gate, logger };
}

async function waits(gate: SharedRateGovernor, path: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i += 1) out.push(await gate.acquire(path));
  return out;
}

describe('GCRA arithmetic', () => {
  it('10 req/s with a burst of 5: a slot every 100 ms, the fifth slot ahead still goes at once', () => {
    // Prepare
    const plan = slotPlan({ ratePerSecond: 10, burst: 5 });
    // Act / Assess
    expect(plan).toEqual({ intervalMs: 100, burstWindowMs: 500 });
    expect(sendAt(plan, 1_500, 1_000)).toBe(1_000);
    expect(sendAt(plan, 1_600, 1_000)).toBe(1_100);
    expect(latestTat(plan, 1_000, 250)).toBe(1_750);
  });
});

describe('SharedRateGovernor', () => {
  it('lets the burst of an idle prefix go at once, then spaces requests 1/rate apart', async () => {
    // Prepare
    const clock = new StillClock();
    const { gate } = governor(new MemoryStore(), clock);
    // Act
    const got = await waits(gate, '/v1/cloudaccounts/aws', 8);
    // Assess
    expect(got).toEqual([0, 0, 0, 0, 0, 100, 200, 300]);
  });

  it('gives containers sharing the store distinct slots of one schedule per prefix', async () => {
    // Prepare: two containers, each with its own per-container limiter, one store
    const clock = new StillClock();
    const store = new MemoryStore();
    const a = governor(store, clock).gate;
    const b = governor(store, clock).gate;
    // Act: interleaved, as concurrent containers would be
    const got: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      got.push(await a.acquire('/v1/users/assets/sshkeys'), await b.acquire('/v1/users/assets/locations'));
    }
    const otherPrefix = await a.acquire('/v1/cloudaccounts/aws');
    // Assess: 10 requests of /v1/users: 5 at once, then 100 ms apart across both containers; another prefix is idle
    expect(got).toEqual([0, 0, 0, 0, 0, 100, 200, 300, 400, 500]);
    expect(otherPrefix).toBe(0);
  });

  it('never lets any window of time hold more than burst + rate x window, with callers arriving at random', async () => {
    // Prepare
    const clock = new StillClock();
    const store = new MemoryStore();
    const gates = [governor(store, clock).gate, governor(store, clock).gate, governor(store, clock).gate, governor(store, clock).gate];
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    // Act: 200 calls from 4 containers, arriving 0-60 ms apart (~33 req/s offered against 10 req/s)
    const sends: number[] = [];
    let refused = 0;
    for (let i = 0; i < 200; i += 1) {
      clock.time += Math.floor(random() * 60);
      const gate = gates[i % gates.length] as SharedRateGovernor;
      const waited = await gate.acquire('/v1/cloudaccounts/aws').catch((e: unknown) => {
        if (!(e instanceof PaletteRateLimitRefusal)) throw e;
        return undefined;
      });
      if (waited === undefined) refused += 1;
      else sends.push(clock.time + waited);
    }
    // Assess: a bucket of 5 refilled at 10/s admits at most 5 + w / 100 ms requests in any window of w ms
    sends.sort((x, y) => x - y);
    let worst = -Infinity;
    for (let i = 0; i < sends.length; i += 1) {
      for (let j = i; j < sends.length; j += 1) {
        const allowed = 5 + Math.floor(((sends[j] as number) - (sends[i] as number)) / 100);
        worst = Math.max(worst, j - i + 1 - allowed);
      }
    }
    expect(worst).toBeLessThanOrEqual(0);
    const span = (sends.at(-1) as number) - (sends[0] as number);
    expect((sends.length - 5) / (span / 1000)).toBeCloseTo(10, 1);
    // The backlog grew past the 10 s a caller waits at most: the excess was refused, not queued for ever.
    expect(refused).toBeGreaterThan(0);
    expect(sends.length + refused).toBe(200);
  });

  it('refills after idling: the full burst again once the schedule is in the past', async () => {
    // Prepare
    const clock = new StillClock();
    const { gate } = governor(new MemoryStore(), clock);
    await waits(gate, '/v1/clouds/aws/account/validate', 5);
    // Act
    clock.time += 1_000;
    const got = await waits(gate, '/v1/clouds/aws/s3/validate', 6);
    // Assess
    expect(got).toEqual([0, 0, 0, 0, 0, 100]);
  });

  it('uses the documented 50 req/s of /v1/spectroclusters', async () => {
    // Prepare
    const clock = new StillClock();
    const { gate } = governor(new MemoryStore(), clock);
    // Act
    const got = await waits(gate, '/v1/spectroclusters/abc/features/backup', 7);
    // Assess
    expect(got).toEqual([0, 0, 0, 0, 0, 20, 40]);
  });

  it('refuses a slot further away than the caller may wait, and reserves nothing then', async () => {
    // Prepare
    const clock = new StillClock();
    const store = new MemoryStore();
    const { gate } = governor(store, clock, 250);
    await waits(gate, '/v1/users/assets/sshkeys', 7);
    const before = store.tat.get('/v1/users');
    // Act
    const refusal = await gate.acquire('/v1/users/assets/sshkeys').catch((e: unknown) => e);
    const tighter = await gate.acquire('/v1/users/assets/sshkeys', 50).catch((e: unknown) => e);
    // Assess: the 8th slot is 300 ms away (> 250); the schedule did not move
    expect(refusal).toBeInstanceOf(PaletteRateLimitRefusal);
    expect((refusal as PaletteRateLimitRefusal).prefix).toBe('/v1/users');
    expect(tighter).toBeInstanceOf(PaletteRateLimitRefusal);
    expect(store.tat.get('/v1/users')).toBe(before);
    clock.time += 100;
    expect(await gate.acquire('/v1/users/assets/sshkeys')).toBe(200);
  });

  it('moves the shared schedule back by the time a request left after its slot (a slow store round trip)', async () => {
    // Prepare: the first store call takes 300 ms (a cold container)
    const clock = new StillClock();
    const store = new MemoryStore();
    const start = clock.time;
    const slow: RateSlotStore = {
      advance: (...a) => store.advance(...a),
      restart: async (...a) => {
        const tat = await store.restart(...a);
        clock.time += 300;
        return tat;
      },
      delay: (...a) => store.delay(...a),
    };
    const { gate } = governor(slow, clock);
    // Act
    const first = await gate.acquire('/v1/cloudaccounts/aws');
    // Assess: reserved for `start` (tat start + 100), left at start + 300: the schedule now ends at start + 400
    expect(first).toBe(0);
    expect(store.tat.get('/v1/cloudaccounts')).toBe(start + 400);
  });

  it('makes one store call per request in the steady state', async () => {
    // Prepare
    const clock = new StillClock();
    const store = new MemoryStore();
    const { gate } = governor(store, clock);
    // Act
    await waits(gate, '/v1/cloudaccounts/aws', 20);
    // Assess
    expect(store.calls).toBe(20);
  });

  it('falls back to the per-container limiter when the store fails, and logs it', async () => {
    // Prepare
    const clock = new StillClock();
    const broken: RateSlotStore = {
      advance: () => Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' })),
      restart: () => Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' })),
      delay: () => Promise.reject(new Error('not called')),
    };
    const { gate, logger } = governor(broken, clock);
    // Act
    const got = await waits(gate, '/v1/cloudaccounts/aws', 7);
    // Assess: the local bucket's own schedule (5 at once, then debt repaid at 10/s)
    expect(got).toEqual([0, 0, 0, 0, 0, 100, 200]);
    expect(logger.entries.filter((e) => e.level === 'warn')).toHaveLength(7);
    expect(logger.text()).toContain('ProvisionedThroughputExceededException');
  });
});

describe('PaletteClient with a shared rate limit', () => {
  it('reserves a slot per request in the store under the request prefix', async () => {
    // Prepare
    const clock = new StillClock();
    const store = new MemoryStore();
    const { fetch, requests } = fakeFetch(() => json(200, { items: [] }));
    const palette = new PaletteClient({ baseUrl: 'https://palette.example', auth: { type: 'apiKey', apiKey: () => Promise.resolve('k') }, fetch, clock, sharedRateLimit: { store } });
    // Act
    await palette.sshKeys.list();
    await palette.cloudAccounts.aws.list();
    // Assess
    expect(requests).toHaveLength(2);
    expect([...store.tat.keys()].sort()).toEqual(['/v1/cloudaccounts', '/v1/users']);
  });

  it('fails with PaletteThrottledError ClientRateLimited, sending nothing, when no slot is free within the budget', async () => {
    // Prepare: the schedule is a minute ahead (other containers reserved it)
    const clock = new StillClock();
    const store = new MemoryStore();
    store.tat.set('/v1/users', clock.time + 60_000);
    const { fetch, requests } = fakeFetch(() => json(200, { items: [] }));
    const palette = new PaletteClient({
      baseUrl: 'https://palette.example',
      auth: { type: 'apiKey', apiKey: () => Promise.resolve('k') },
      fetch,
      clock,
      retry: { budgetMs: 20_000 },
      sharedRateLimit: { store },
    });
    // Act
    const error = await palette.sshKeys.list().catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(PaletteThrottledError);
    expect(error).toMatchObject({ name: 'PaletteThrottledError', status: 429, code: 'ClientRateLimited', path: '/v1/users/assets/sshkeys' });
    expect(requests).toHaveLength(0);
    expect(store.tat.get('/v1/users')).toBe(clock.time + 60_000);
  });
});
