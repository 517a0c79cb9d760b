/**
 * Realism controls: Palette's documented rate limits, added latency and fault injection.
 * All of it is live-configurable through PUT /_emulator/config.
 */
import { seededRandom } from './ids';

/**
 * Rate limits from Palette's API introduction ("Endpoint Prefix Rate", librarium docs/api-content/api-docs/
 * 1-introduction.md): per source IP and per resource prefix; a request counts against the LONGEST listed prefix it
 * falls under (segments; `:uid` / `{name}` stand for one segment), other paths against `/v1/<first segment>` with the
 * default 10 req/s, burst 5. Each row gives requests per second and a burst size; "Max with Burst" is rps x burst
 * (the docs: "You could make 50 (10 * 5) requests in seconds before the API returns a 429"). Modelled as a token
 * bucket per (source IP, prefix) holding `rps * burst` tokens, refilled at `rps` tokens per second. The whole table is
 * here, including prefixes this project never calls, so a bench sees Palette's limits and nothing else.
 */
export const RATE_LIMIT_PREFIXES: readonly { prefix: string; rps: number; burst: number }[] = [
  ...[
    '/v1/apiKeys',
    '/v1/async',
    '/v1/audits',
    '/v1/auth',
    '/v1/auth/authenticate',
    '/v1/auth/services/edge/login',
    '/v1/auth/services/login',
    '/v1/cache',
    '/v1/cloudaccounts',
    '/v1/clouds',
    '/v1/cluster',
    '/v1/crypto',
    '/v1/dashboard',
    '/v1/datasinks',
    '/v1/edgehosts',
    '/v1/edgehosts/:uid/health',
    '/v1/edgehosts/:uid/spc/download',
    '/v1/edgehosts/registers',
    '/v1/errlogs',
    '/v1/events',
    '/v1/files',
    '/v1/git/webhook',
    '/v1/health',
    '/v1/installers',
    '/v1/jobs',
    '/v1/metrics',
    '/v1/mgmt',
    '/v1/notifications',
    '/v1/oidc',
    '/v1/overlords',
    '/v1/packs',
    '/v1/payments',
    '/v1/permissions',
    '/v1/plans',
    '/v1/projects',
    '/v1/registries',
    '/v1/roles',
    '/v1/services',
    '/v1/spectroclusters/:uid/assets',
    '/v1/spectroclusters/:uid/download',
    '/v1/spectroclusters/acquire',
    '/v1/spectroclusters/cost',
    '/v1/spectroclusters/features/logFetcher',
    '/v1/spectroclusters/usage',
    '/v1/system',
    '/v1/teams',
    '/v1/tenants',
    '/v1/userprofiles',
    '/v1/users',
    '/v1/workspaces',
  ].map((prefix) => ({ prefix, rps: 10, burst: 5 })),
  { prefix: '/v1/auth/user/password/reset', rps: 2, burst: 5 },
  ...[
    '/v1/cloudconfigs',
    '/v1/cloudconfigs/{cloudType}/:uid/machinePools/{machinePoolName}/machines',
    '/v1/cloudconfigs/{cloudType}/:uid/machinePools/{machinePoolName}/machines/:machineUid',
    '/v1/cloudconfigs/{cloudType}/{uid}/machinePools',
    '/v1/clusterprofiles',
    '/v1/clusterprofiles/:uid/packs',
    '/v1/clusterprofiles/:uid/packs/{packName}/manifests',
    '/v1/clusterprofiles/:uid/packs/manifests',
    '/v1/clusterprofiles/:uid/validate/packs',
    '/v1/clusterprofiles/validate/packs',
    '/v1/events/components',
    '/v1/spectroclusters',
    '/v1/spectroclusters/:uid/profiles',
  ].map((prefix) => ({ prefix, rps: 50, burst: 5 })),
];
const DEFAULT_LIMIT = { rps: 10, burst: 5 };

const isWildcard = (segment: string) => segment.startsWith(':') || (segment.startsWith('{') && segment.endsWith('}'));
const ROWS = RATE_LIMIT_PREFIXES.map((row) => ({ ...row, segments: row.prefix.split('/').filter((s) => s !== '') }));

/** The limit a request path counts against: its longest listed prefix (more segments, then fewer wildcards). */
export function rateLimitFor(path: string): { prefix: string; rps: number; max: number } {
  const segments = path.split('/').filter((s) => s !== '');
  let best: (typeof ROWS)[number] | undefined;
  let bestWildcards = 0;
  for (const row of ROWS) {
    if (row.segments.length > segments.length) continue;
    if (!row.segments.every((s, i) => isWildcard(s) || s === segments[i])) continue;
    const wildcards = row.segments.filter(isWildcard).length;
    if (!best || row.segments.length > best.segments.length || (row.segments.length === best.segments.length && wildcards < bestWildcards)) {
      best = row;
      bestWildcards = wildcards;
    }
  }
  const { rps, burst } = best ?? DEFAULT_LIMIT;
  return { prefix: best?.prefix ?? `/${segments.slice(0, 2).join('/')}`, rps, max: rps * burst };
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number) {}

  /** Takes a token of the request's (source, prefix) bucket: `ok` false = answer 429. */
  take(source: string, path: string): { ok: boolean; prefix: string } {
    const limit = rateLimitFor(path);
    const key = `${source} ${limit.prefix}`;
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: limit.max, at: t };
    b.tokens = Math.min(limit.max, b.tokens + (Math.max(0, t - b.at) / 1000) * limit.rps);
    b.at = t;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.set(key, b);
    return { ok, prefix: limit.prefix };
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
  /**
   * 500/503 = V1Error with that status; 429 = TooManyRequests; reset = destroy the socket; latency = wait
   * `latencyMs` more, then go on (later rules may still fault the call). All are injected before the operation runs:
   * a faulted call changes nothing.
   */
  kind: '500' | '503' | '429' | 'reset' | 'latency';
  /** Added delay for kind 'latency'. */
  latencyMs?: number;
  /** Sends `Retry-After: <seconds>` with an injected 429 or 503 (omit: no header, like Palette's own rate limiter). */
  retryAfterSeconds?: number;
  /** Stop after this many injections (omit for unlimited). */
  times?: number;
}

export type FailingFaultKind = Exclude<FaultRule['kind'], 'latency'>;

/** Every matching API call in [from, until) (epoch ms) fails, with no draw: a Palette outage. */
export interface FaultOutage {
  pathPrefix?: string;
  method?: string;
  from: number;
  until: number;
  /** Default '503' (ServiceUnavailable). */
  kind?: FailingFaultKind;
  retryAfterSeconds?: number;
}

/** An outage as callers give it: `from` defaults to now; `until` or `durationMs` (from `from`). */
export type FaultOutageInput = Omit<FaultOutage, 'from' | 'until'> & { from?: number; until?: number; durationMs?: number };

export function resolveOutage(o: FaultOutageInput, now = Date.now()): FaultOutage {
  const from = o.from ?? now;
  const until = o.until ?? from + (o.durationMs ?? 0);
  const { durationMs: _ignored, ...rest } = o;
  return { ...rest, from, until };
}

/** Injected-fault counters (GET /_emulator/stats). */
export interface PaletteFaultStats {
  /** API calls that reached fault injection. */
  requests: number;
  /** Injected faults per kind, from rules and outage windows alike. */
  faults: Record<FaultRule['kind'], number>;
  /** Calls failed by an outage window (also counted in `faults`). */
  outages: number;
  /**
   * 429 TooManyRequests answered by the rate limit (Palette's own, not an injected fault), in total and per rate-limit
   * prefix (e.g. `/v1/cloudaccounts`): what a bench reads to prove the fleet stayed within Palette's limits.
   */
  rateLimited: { total: number; byPrefix: Record<string, number> };
}

export function emptyFaultStats(): PaletteFaultStats {
  return { requests: 0, faults: { '500': 0, '503': 0, '429': 0, reset: 0, latency: 0 }, outages: 0, rateLimited: { total: 0, byPrefix: {} } };
}

export interface FaultDecision {
  delayMs: number;
  fault?: FailingFaultKind;
  retryAfterSeconds?: number;
  outage: boolean;
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
  faults: { seed: number; rules: FaultRule[]; outages: FaultOutage[] };
  rateLimit: boolean;
  /** Shifts the emulator's clock (token and API key expiry) forward. */
  clockOffsetMs: number;
}

export function defaultRealism(seed: number): PaletteRealismConfig {
  return { latency: { defaultMs: 0, jitterMs: 0, perPrefix: {} }, faults: { seed, rules: [], outages: [] }, rateLimit: true, clockOffsetMs: 0 };
}

export type RealismPatch = {
  latency?: Partial<PaletteRealismConfig['latency']>;
  faults?: { seed?: number; rules?: FaultRule[]; outages?: FaultOutageInput[] };
  rateLimit?: boolean;
  clockOffsetMs?: number;
};

export class Realism {
  private random: () => number;
  private faultRandom: () => number;
  readonly stats: PaletteFaultStats = emptyFaultStats();

  constructor(readonly config: PaletteRealismConfig) {
    this.random = seededRandom(config.faults.seed);
    this.faultRandom = seededRandom(config.faults.seed ^ 0x2545f491);
  }

  apply(patch: RealismPatch): void {
    if (patch.latency) this.config.latency = { ...this.config.latency, ...patch.latency };
    if (patch.faults) {
      if (patch.faults.seed !== undefined && patch.faults.seed !== this.config.faults.seed) {
        this.random = seededRandom(patch.faults.seed);
      }
      const { seed, rules, outages } = patch.faults;
      if (seed !== undefined) this.config.faults.seed = seed;
      if (rules) this.config.faults.rules = rules.map((r) => ({ ...r }));
      if (outages) this.config.faults.outages = outages.map((o) => resolveOutage(o));
      // The fault generator restarts whenever the seed or the rules change (not for outage windows alone), so a
      // given seed and request sequence always yields the same faults.
      if (seed !== undefined || rules) this.faultRandom = seededRandom(this.config.faults.seed ^ 0x2545f491);
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

  /** Appends an outage window; returns it with absolute times. */
  addOutage(o: FaultOutageInput): FaultOutage {
    const added = resolveOutage(o);
    this.config.faults.outages = [...this.config.faults.outages, added];
    return added;
  }

  /** The failing fault to inject for this request, if any (see decide; added latency is dropped). */
  faultFor(method: string, path: string, now = Date.now()): FailingFaultKind | undefined {
    return this.decide(method, path, now).fault;
  }

  /**
   * What to inject into one API call, decided before it is handled, and counted. An outage window covering `now`
   * fails the call without a draw. Otherwise each matching rule draws once, in order (consuming a `times` budget
   * when it fires): a latency rule adds its delay and evaluation goes on; the first failing rule decides.
   */
  decide(method: string, path: string, now = Date.now()): FaultDecision {
    this.stats.requests++;
    const matches = (x: { pathPrefix?: string; method?: string }) =>
      (!x.pathPrefix || path.startsWith(x.pathPrefix)) && (!x.method || x.method.toUpperCase() === method);
    for (const o of this.config.faults.outages) {
      if (now >= o.from && now < o.until && matches(o)) {
        const fault = o.kind ?? '503';
        this.stats.faults[fault]++;
        this.stats.outages++;
        return { delayMs: 0, fault, outage: true, ...(o.retryAfterSeconds !== undefined ? { retryAfterSeconds: o.retryAfterSeconds } : {}) };
      }
    }
    let delayMs = 0;
    for (const rule of this.config.faults.rules) {
      if (!matches(rule)) continue;
      if (rule.times !== undefined && rule.times <= 0) continue;
      if (this.faultRandom() >= rule.rate) continue;
      if (rule.times !== undefined) rule.times -= 1;
      this.stats.faults[rule.kind]++;
      if (rule.kind === 'latency') {
        delayMs += rule.latencyMs ?? 0;
        continue;
      }
      return { delayMs, fault: rule.kind, outage: false, ...(rule.retryAfterSeconds !== undefined ? { retryAfterSeconds: rule.retryAfterSeconds } : {}) };
    }
    return { delayMs, outage: false };
  }

  /** Counts a 429 of the rate limit on `prefix`. */
  countRateLimited(prefix: string): void {
    this.stats.rateLimited.total++;
    this.stats.rateLimited.byPrefix[prefix] = (this.stats.rateLimited.byPrefix[prefix] ?? 0) + 1;
  }

  resetStats(): void {
    Object.assign(this.stats, emptyFaultStats());
  }
}
