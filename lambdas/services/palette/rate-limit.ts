/**
 * Client-side token buckets, one per Palette rate-limit prefix.
 *
 * Palette limits requests per source IP and per top-level resource prefix; sub-paths share their prefix's bucket
 * (docs: /v1/apiKeys, /v1/auth, /v1/cloudaccounts, /v1/clouds, /v1/system, /v1/users ... 10 req/s, burst 5;
 * /v1/spectroclusters 50 req/s).
 * Keeping one Lambda container under that limit means it never causes a 429 on its own; 429s caused by other
 * callers sharing the IP are still handled by the retry policy.
 *
 * Buckets use reservations (like Go's rate.Limiter): `acquire` takes a token immediately, possibly going into debt,
 * and waits for the debt to be repaid. Concurrent callers therefore get evenly spaced slots without a queue.
 */

export interface Clock {
  /** Milliseconds (any epoch; only differences are used). */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface RateLimitRule {
  /** Sustained requests per second. */
  ratePerSecond: number;
  /** Bucket capacity: requests that may be sent back to back after an idle period. */
  burst: number;
}

export interface RateLimitOptions extends Partial<RateLimitRule> {
  /**
   * Rules for specific prefixes that do not follow the default (longest matching prefix wins, matched on path
   * segment boundaries), e.g. { '/v1/spectroclusters': { ratePerSecond: 50, burst: 5 } }.
   */
  prefixes?: Readonly<Record<string, RateLimitRule>>;
}

export const DEFAULT_RATE_LIMIT: RateLimitRule = { ratePerSecond: 10, burst: 5 };

/**
 * Prefixes whose documented rate differs from the default: /v1/spectroclusters is 50 req/s (Palette's "Endpoint
 * Prefix Rate" table; burst 5 like the others). Other prefixes, e.g. /v1/dashboard (the cluster search), get their own
 * bucket with the default rule. `prefixes` in the options win over these.
 */
export const DEFAULT_PREFIX_RULES: Readonly<Record<string, RateLimitRule>> = {
  '/v1/spectroclusters': { ratePerSecond: 50, burst: 5 },
};

/**
 * The rate-limit prefix of a request path: the longest configured prefix that matches on a segment boundary,
 * otherwise the top-level resource `/v1/<resource>` (e.g. /v1/users/assets/sshkeys/x -> /v1/users).
 */
export function rateLimitPrefix(path: string, configured: Iterable<string> = []): string {
  let best: string | undefined;
  for (const prefix of configured) {
    const matches = path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
    if (matches && (best === undefined || prefix.length > best.length)) best = prefix;
  }
  if (best !== undefined) return best;
  const segments = path.split('/').filter((s) => s !== '');
  return `/${segments.slice(0, 2).join('/')}`;
}

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly rule: RateLimitRule,
    private readonly clock: Clock,
  ) {
    if (!(rule.ratePerSecond > 0) || !(rule.burst >= 1)) throw new RangeError('rate limit needs ratePerSecond > 0 and burst >= 1');
    this.tokens = rule.burst;
    this.updatedAt = clock.now();
  }

  /** Takes one token and returns how long (ms) the caller must wait before sending. */
  reserve(): number {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.rule.burst, this.tokens + (elapsed * this.rule.ratePerSecond) / 1000);
    this.updatedAt = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.rule.ratePerSecond;
  }
}

/**
 * What the transport asks before every attempt: "may a request on `path` go now?". Implemented by the per-container
 * PrefixRateLimiter and by the SharedRateGovernor (rate-governor.ts), whose buckets are shared by every container.
 */
export interface RateGate {
  /**
   * Waits until a request on `path` may be sent; returns the time waited (ms). `maxWaitMs` is how long the caller can
   * afford to wait (its call budget): a gate may refuse a longer wait with PaletteThrottledError instead of sleeping.
   */
  acquire(path: string, maxWaitMs?: number): Promise<number>;
}

export class PrefixRateLimiter implements RateGate {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly defaultRule: RateLimitRule;
  private readonly prefixRules: Readonly<Record<string, RateLimitRule>>;

  constructor(
    options: RateLimitOptions = {},
    private readonly clock: Clock = systemClock,
  ) {
    this.defaultRule = {
      ratePerSecond: options.ratePerSecond ?? DEFAULT_RATE_LIMIT.ratePerSecond,
      burst: options.burst ?? DEFAULT_RATE_LIMIT.burst,
    };
    this.prefixRules = { ...DEFAULT_PREFIX_RULES, ...options.prefixes };
  }

  /** The prefix of `path` and the rule that applies to it. */
  ruleFor(path: string): { prefix: string; rule: RateLimitRule } {
    const prefix = rateLimitPrefix(path, Object.keys(this.prefixRules));
    return { prefix, rule: this.prefixRules[prefix] ?? this.defaultRule };
  }

  /** Waits until a request on `path` may be sent; returns the time waited (ms). Never refuses (it may go into debt). */
  async acquire(path: string): Promise<number> {
    const { prefix, rule } = this.ruleFor(path);
    let bucket = this.buckets.get(prefix);
    if (bucket === undefined) {
      bucket = new TokenBucket(rule, this.clock);
      this.buckets.set(prefix, bucket);
    }
    const wait = bucket.reserve();
    if (wait > 0) await this.clock.sleep(wait);
    return wait;
  }
}
