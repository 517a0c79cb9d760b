/**
 * Realism controls: Palette's documented rate limits, added latency and fault injection.
 * All of it is live-configurable through PUT /_emulator/config.
 */
import { seededRandom } from './ids';

/**
 * Rate limits from Palette's API introduction ("Endpoint Prefix Rate"): per source IP and per top-level
 * resource prefix; sub-paths share the bucket of their longest listed prefix. Each row gives requests per
 * second, a burst size and "Max with Burst" (= rps x burst; the docs: "You could make 50 (10 * 5) requests in
 * seconds before the API returns a 429"). Modelled as a token bucket per (IP, prefix) holding `max` tokens,
 * refilled at `rps` tokens per second.
 */
export const RATE_LIMIT_PREFIXES: { prefix: string; rps: number; burst: number }[] = [
  { prefix: '/v1/apiKeys', rps: 10, burst: 5 },
  { prefix: '/v1/auth', rps: 10, burst: 5 },
  { prefix: '/v1/auth/authenticate', rps: 10, burst: 5 },
  { prefix: '/v1/auth/user/password/reset', rps: 2, burst: 5 },
  { prefix: '/v1/cloudaccounts', rps: 10, burst: 5 },
  { prefix: '/v1/clouds', rps: 10, burst: 5 },
  { prefix: '/v1/system', rps: 10, burst: 5 },
  { prefix: '/v1/users', rps: 10, burst: 5 },
];
const DEFAULT_LIMIT = { rps: 10, burst: 5 };

function limitFor(path: string): { key: string; rps: number; max: number } {
  let best: { prefix: string; rps: number; burst: number } | undefined;
  for (const l of RATE_LIMIT_PREFIXES) {
    if ((path === l.prefix || path.startsWith(`${l.prefix}/`)) && (!best || l.prefix.length > best.prefix.length)) best = l;
  }
  const { rps, burst } = best ?? DEFAULT_LIMIT;
  return { key: best?.prefix ?? path.split('/').slice(0, 3).join('/'), rps, max: rps * burst };
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number) {}

  /** True when the request may proceed. */
  take(ip: string, path: string): boolean {
    const limit = limitFor(path);
    const key = `${ip} ${limit.key}`;
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: limit.max, at: t };
    b.tokens = Math.min(limit.max, b.tokens + ((t - b.at) / 1000) * limit.rps);
    b.at = t;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.set(key, b);
    return ok;
  }

  reset(): void {
    this.buckets.clear();
  }
}

export interface FaultRule {
  /** Path prefix, e.g. "/v1/cloudaccounts"; omit to match every API path. */
  pathPrefix?: string;
  /** HTTP method; omit to match all. */
  method?: string;
  /** Probability in [0, 1]. */
  rate: number;
  /** 500/503 = V1Error with that status; 429 = TooManyRequests; reset = destroy the socket. */
  kind: '500' | '503' | '429' | 'reset';
  /** Stop after this many injections (omit for unlimited). */
  times?: number;
}

export interface PaletteRealismConfig {
  latency: {
    /** Added to every API call. */
    defaultMs: number;
    /** Uniform jitter in [0, jitterMs). */
    jitterMs: number;
    /** Overrides keyed by path prefix (longest match wins). */
    perPrefix: Record<string, number>;
  };
  faults: { seed: number; rules: FaultRule[] };
  rateLimit: boolean;
  /** Shifts the emulator's clock (token and API key expiry) forward. */
  clockOffsetMs: number;
}

export function defaultRealism(seed: number): PaletteRealismConfig {
  return { latency: { defaultMs: 0, jitterMs: 0, perPrefix: {} }, faults: { seed, rules: [] }, rateLimit: true, clockOffsetMs: 0 };
}

export type RealismPatch = {
  latency?: Partial<PaletteRealismConfig['latency']>;
  faults?: Partial<PaletteRealismConfig['faults']>;
  rateLimit?: boolean;
  clockOffsetMs?: number;
};

export class Realism {
  private random: () => number;

  constructor(readonly config: PaletteRealismConfig) {
    this.random = seededRandom(config.faults.seed);
  }

  apply(patch: RealismPatch): void {
    if (patch.latency) this.config.latency = { ...this.config.latency, ...patch.latency };
    if (patch.faults) {
      if (patch.faults.seed !== undefined && patch.faults.seed !== this.config.faults.seed) {
        this.random = seededRandom(patch.faults.seed);
      }
      this.config.faults = { ...this.config.faults, ...patch.faults };
      if (patch.faults.rules) this.config.faults.rules = patch.faults.rules.map((r) => ({ ...r }));
    }
    if (patch.rateLimit !== undefined) this.config.rateLimit = patch.rateLimit;
    if (patch.clockOffsetMs !== undefined) this.config.clockOffsetMs = patch.clockOffsetMs;
  }

  latencyFor(path: string): number {
    const l = this.config.latency;
    let ms = l.defaultMs;
    let best = -1;
    for (const [prefix, v] of Object.entries(l.perPrefix)) {
      if (path.startsWith(prefix) && prefix.length > best) {
        best = prefix.length;
        ms = v;
      }
    }
    return ms + (l.jitterMs > 0 ? Math.floor(this.random() * l.jitterMs) : 0);
  }

  /** The fault to inject for this request, if any (consumes a `times` budget). */
  faultFor(method: string, path: string): FaultRule['kind'] | undefined {
    for (const rule of this.config.faults.rules) {
      if (rule.pathPrefix && !path.startsWith(rule.pathPrefix)) continue;
      if (rule.method && rule.method.toUpperCase() !== method) continue;
      if (rule.times !== undefined && rule.times <= 0) continue;
      if (this.random() < rule.rate) {
        if (rule.times !== undefined) rule.times -= 1;
        return rule.kind;
      }
    }
    return undefined;
  }
}
