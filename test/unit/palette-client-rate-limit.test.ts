/** Client-side token buckets per Palette resource prefix (virtual time). */
import { describe, expect, it } from 'vitest';
import { PaletteClient } from '../../lambdas/services/palette';
import { PrefixRateLimiter, rateLimitPrefix, TokenBucket } from '../../lambdas/services/palette/rate-limit';
import { FakeClock, fakeFetch, json } from './palette-client-helpers';

describe('rateLimitPrefix', () => {
  it('maps every path to its top-level resource prefix', () => {
    // Prepare
    const cases: Array<[string, string]> = [
      ['/v1/users/assets/sshkeys/abc', '/v1/users'],
      ['/v1/users/assets/locations/s3', '/v1/users'],
      ['/v1/cloudaccounts/aws', '/v1/cloudaccounts'],
      ['/v1/clouds/aws/account/sts', '/v1/clouds'],
      ['/v1/apiKeys/k1/state', '/v1/apiKeys'],
      ['/v1/auth/syslogin', '/v1/auth'],
      ['/v1/system/config/reverseproxy', '/v1/system'],
    ];
    // Act
    const actual = cases.map(([path]) => rateLimitPrefix(path));
    // Assess
    expect(actual).toEqual(cases.map(([, prefix]) => prefix));
  });

  it('prefers the longest configured prefix on a segment boundary', () => {
    // Prepare
    const configured = ['/v1/auth/authenticate', '/v1/auth/user/password/reset'];
    // Act / Assess
    expect(rateLimitPrefix('/v1/auth/authenticate', configured)).toBe('/v1/auth/authenticate');
    expect(rateLimitPrefix('/v1/auth/authenticatex', configured)).toBe('/v1/auth');
    expect(rateLimitPrefix('/v1/auth/user/password/reset', configured)).toBe('/v1/auth/user/password/reset');
  });
});

describe('TokenBucket', () => {
  it('allows the burst at once, then one request per 1/rate seconds', () => {
    // Prepare
    const clock = new FakeClock();
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 5 }, clock);
    // Act
    const waits = Array.from({ length: 8 }, () => Math.round(bucket.reserve()));
    // Assess: reservations queue up behind each other
    expect(waits).toEqual([0, 0, 0, 0, 0, 100, 200, 300]);
  });

  it('refills while idle, but never above the burst', () => {
    // Prepare
    const clock = new FakeClock();
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 5 }, clock);
    for (let i = 0; i < 5; i += 1) bucket.reserve();
    // Act
    clock.advance(10_000);
    const waits = Array.from({ length: 6 }, () => Math.round(bucket.reserve()));
    // Assess
    expect(waits).toEqual([0, 0, 0, 0, 0, 100]);
  });
});

describe('PrefixRateLimiter', () => {
  it('spaces 12 requests on one prefix over at least 0.7 s of virtual time', async () => {
    // Prepare
    const clock = new FakeClock();
    const limiter = new PrefixRateLimiter({}, clock);
    // Act
    for (let i = 0; i < 12; i += 1) await limiter.acquire('/v1/users/assets/sshkeys');
    // Assess
    expect(clock.time).toBeGreaterThanOrEqual(700);
    expect(clock.time).toBeLessThan(800);
  });

  it('keeps prefixes independent', async () => {
    // Prepare
    const clock = new FakeClock();
    const limiter = new PrefixRateLimiter({}, clock);
    // Act
    for (let i = 0; i < 5; i += 1) {
      await limiter.acquire('/v1/users/assets/sshkeys');
      await limiter.acquire('/v1/cloudaccounts/aws');
      await limiter.acquire('/v1/apiKeys');
    }
    // Assess
    expect(clock.time).toBe(0);
  });

  it("applies Palette's documented 50 req/s to /v1/spectroclusters by default; the cluster search has its own default bucket", async () => {
    // Prepare
    const clock = new FakeClock();
    const limiter = new PrefixRateLimiter({}, clock);
    // Act
    for (let i = 0; i < 10; i += 1) await limiter.acquire('/v1/spectroclusters/c1/features/backup');
    const afterClusters = clock.time;
    for (let i = 0; i < 5; i += 1) await limiter.acquire('/v1/dashboard/spectroclusters/search');
    const afterSearchBurst = clock.time;
    await limiter.acquire('/v1/dashboard/spectroclusters/search');
    // Assess: 5 extra requests at 20 ms each; the search burst is free, then 10 req/s
    expect(afterClusters).toBeCloseTo(100, 5);
    expect(afterSearchBurst).toBe(afterClusters);
    expect(rateLimitPrefix('/v1/dashboard/spectroclusters/search')).toBe('/v1/dashboard');
    expect(clock.time - afterSearchBurst).toBeCloseTo(100, 5);
  });

  it('applies per-prefix overrides', async () => {
    // Prepare
    const clock = new FakeClock();
    const limiter = new PrefixRateLimiter({ prefixes: { '/v1/spectroclusters': { ratePerSecond: 50, burst: 5 } } }, clock);
    // Act
    for (let i = 0; i < 10; i += 1) await limiter.acquire('/v1/spectroclusters/x');
    // Assess: 5 extra requests at 20 ms each
    expect(clock.time).toBeCloseTo(100, 5);
  });
});

describe('PaletteClient rate limiting', () => {
  it('spaces requests on one prefix and leaves other prefixes alone', async () => {
    // Prepare
    const clock = new FakeClock();
    const fake = fakeFetch(() => json(200, { items: [] }));
    const palette = new PaletteClient({ baseUrl: 'https://palette.test', auth: { type: 'apiKey', apiKey: 'key-1234' }, fetch: fake.fetch, clock });
    // Act
    for (let i = 0; i < 12; i += 1) await palette.sshKeys.list();
    const afterUsers = clock.time;
    for (let i = 0; i < 5; i += 1) await palette.apiKeys.list();
    // Assess
    expect(afterUsers).toBeGreaterThanOrEqual(700);
    expect(clock.time).toBe(afterUsers);
    expect(fake.requests).toHaveLength(17);
  });

  it('can be disabled', async () => {
    // Prepare
    const clock = new FakeClock();
    const fake = fakeFetch(() => json(200, { items: [] }));
    const palette = new PaletteClient({
      baseUrl: 'https://palette.test',
      auth: { type: 'apiKey', apiKey: 'key-1234' },
      fetch: fake.fetch,
      clock,
      rateLimit: false,
    });
    // Act
    for (let i = 0; i < 12; i += 1) await palette.sshKeys.list();
    // Assess
    expect(clock.time).toBe(0);
  });
});
