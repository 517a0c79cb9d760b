/**
 * SharedRateGovernor: Palette's rate limits kept by every Lambda container TOGETHER.
 *
 * Palette counts requests per source IP and endpoint prefix (10 req/s, burst 5; /v1/spectroclusters 50 req/s). A
 * per-container token bucket (rate-limit.ts PrefixRateLimiter) keeps one container under that, but fifty containers
 * onboarding a fleet at once send fifty times as much. The governor keeps one schedule per prefix in a store shared by
 * every container (a DynamoDB item per prefix: rate-governor-dynamodb.ts) and hands out evenly spaced send slots.
 *
 * The arithmetic is GCRA (the generic cell rate algorithm, "virtual scheduling"), the token bucket written as one
 * number: the prefix's theoretical arrival time `tat` (epoch ms). With the interval T = 1000 / rate and the burst B:
 *
 *   reserve at `now`:  tat' = max(tat, now) + T        (one atomic conditional update of the shared item)
 *   send at:           max(now, tat' - B * T)          (the caller sleeps until then)
 *
 * An idle prefix lets B requests go at once, then one every T, exactly like a bucket of B tokens refilled at `rate`;
 * concurrent callers get distinct slots T apart without a queue or a lock (like the per-container limiter's
 * reservations). The store does one conditional write per request in the steady state (two when its guess of busy /
 * idle was wrong), and never reads. A slot is reserved for when the request can actually leave: `now` plus the store's
 * round trip as this container has seen it (a moving average), so a slow store does not make requests leave after the
 * slots they were counted in (which would bunch them up). A request that still leaves later than a quarter interval
 * after its slot (a cold container's first, slow round trip) moves the shared schedule back by that much: one more
 * write, and the counting stays on the safe side.
 *
 * A caller that cannot afford the wait (the slot is further than its `maxWaitMs`, i.e. its call budget) reserves
 * nothing and gets PaletteRateLimitRefusal, which the transport reports as PaletteThrottledError (code
 * ClientRateLimited): Step Functions retries it with backoff like Palette's own 429. If the store fails (throttled,
 * unreachable, misconfigured), the call falls back to the per-container limiter and the failure is logged: a rate
 * table must never fail an onboarding.
 */
import type { PaletteLogger } from './logger';
import { PrefixRateLimiter, systemClock, type Clock, type RateGate, type RateLimitRule } from './rate-limit';

/** The partition key of the shared rate table (one item per prefix: `{pk: "/v1/cloudaccounts", tat: <epoch ms>}`). */
export const RATE_TABLE_KEY = 'pk';

/** The shared schedule of every prefix (a DynamoDB table in the stack; an in-memory map in unit tests). */
export interface RateSlotStore {
  /**
   * Busy branch, atomically: when `minTat <= tat <= maxTat`, sets tat = tat + intervalMs and returns the new tat;
   * otherwise changes nothing and returns undefined.
   */
  advance(prefix: string, intervalMs: number, minTat: number, maxTat: number): Promise<number | undefined>;
  /**
   * Idle branch, atomically: when the prefix has no tat or `tat < before`, sets tat = `next` and returns it; otherwise
   * changes nothing and returns undefined.
   */
  restart(prefix: string, before: number, next: number): Promise<number | undefined>;
  /** Late send, atomically: tat = tat + `ms` (the schedule moves back by the time a request left after its slot). */
  delay(prefix: string, ms: number): Promise<void>;
}

/**
 * Thrown by SharedRateGovernor.acquire when the next free slot is further away than the caller may wait. The transport
 * turns it into PaletteThrottledError (code ClientRateLimited); it carries that name itself, so a refusal that escaped
 * would still be retried as a throttle (lambdas/shared/retryable-errors.ts).
 */
export class PaletteRateLimitRefusal extends Error {
  override readonly name = 'PaletteThrottledError';
  constructor(
    readonly prefix: string,
    readonly maxWaitMs: number,
  ) {
    super(`no ${prefix} slot within ${Math.round(maxWaitMs)} ms: the shared Palette rate limit is saturated`);
  }
}

export interface SharedRateGovernorOptions {
  store: RateSlotStore;
  /** The per-container limiter: the rules (prefixes, rates, bursts) and the fallback when the store fails. */
  local: PrefixRateLimiter;
  clock?: Clock;
  logger?: PaletteLogger;
  /** The longest a caller waits for a slot, whatever its budget (default 10 s). */
  maxWaitMs?: number;
}

export const DEFAULT_MAX_RATE_WAIT_MS = 10_000;
/** Store round trips (busy / idle guesses) before a saturated prefix is assumed: tat only grows, so races end fast. */
const MAX_STORE_CALLS = 4;

/** The GCRA schedule of one prefix: the pure arithmetic, separate from the store (unit-tested with a fake clock). */
export interface SlotPlan {
  intervalMs: number;
  /** B * T: how far ahead of `now` a tat may be while its request still goes at once. */
  burstWindowMs: number;
}

export function slotPlan(rule: RateLimitRule): SlotPlan {
  const intervalMs = 1000 / rule.ratePerSecond;
  return { intervalMs, burstWindowMs: rule.burst * intervalMs };
}

/** When the request holding the slot that ends at `tat` may be sent (epoch ms). */
export function sendAt(plan: SlotPlan, tat: number, now: number): number {
  return Math.max(now, tat - plan.burstWindowMs);
}

/** The largest tat' a caller that can wait `maxWaitMs` may take (sendAt(tat') - now <= maxWaitMs). */
export function latestTat(plan: SlotPlan, now: number, maxWaitMs: number): number {
  return now + maxWaitMs + plan.burstWindowMs;
}

export class SharedRateGovernor implements RateGate {
  private readonly clock: Clock;
  private readonly maxWaitMs: number;
  /** The last tat this container saw per prefix: guesses busy (advance) or idle (restart) first. */
  private readonly seen = new Map<string, number>();
  /** The store's round trip (ms) as seen from here: a moving average. */
  private storeLatencyMs = 0;

  constructor(private readonly options: SharedRateGovernorOptions) {
    this.clock = options.clock ?? systemClock;
    this.maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_RATE_WAIT_MS;
  }

  async acquire(path: string, maxWaitMs?: number): Promise<number> {
    const { prefix, rule } = this.options.local.ruleFor(path);
    const plan = slotPlan(rule);
    const allowedWait = Math.max(0, Math.min(this.maxWaitMs, maxWaitMs ?? Infinity));
    let tat: number | undefined;
    const startedAt = this.clock.now();
    // The request leaves after the store answers: reserve the slot for then.
    const now = startedAt + this.storeLatencyMs;
    try {
      tat = await this.reserve(prefix, plan, now, allowedWait);
      this.storeLatencyMs = 0.8 * this.storeLatencyMs + 0.2 * Math.max(0, this.clock.now() - startedAt);
    } catch (error) {
      this.options.logger?.warn('Shared Palette rate table unavailable; using the per-container limit for this call', {
        prefix,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      return this.options.local.acquire(path);
    }
    if (tat === undefined) throw new PaletteRateLimitRefusal(prefix, allowedWait);
    const wait = sendAt(plan, tat, now) - this.clock.now();
    if (wait > 0) {
      await this.clock.sleep(wait);
      return wait;
    }
    if (-wait > plan.intervalMs / 4) await this.recordLateSend(prefix, -wait);
    return 0;
  }

  private async recordLateSend(prefix: string, lateMs: number): Promise<void> {
    try {
      await this.options.store.delay(prefix, Math.ceil(lateMs));
    } catch (error) {
      this.options.logger?.warn('Shared Palette rate table unavailable; a late request was not recorded', {
        prefix,
        lateMs: Math.ceil(lateMs),
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
  }

  /** The reserved tat, or undefined when none within `allowedWait` is free. */
  private async reserve(prefix: string, plan: SlotPlan, now: number, allowedWait: number): Promise<number | undefined> {
    const { store } = this.options;
    // tat' = tat + T must not exceed the latest slot this caller may take.
    const maxTat = latestTat(plan, now, allowedWait) - plan.intervalMs;
    let busy = (this.seen.get(prefix) ?? -Infinity) >= now;
    for (let call = 0; call < MAX_STORE_CALLS; call += 1) {
      const tat = busy ? await store.advance(prefix, plan.intervalMs, now, maxTat) : await store.restart(prefix, now, now + plan.intervalMs);
      if (tat !== undefined) {
        this.seen.set(prefix, tat);
        return tat;
      }
      busy = !busy;
    }
    // Both branches refused twice: the tat is beyond maxTat (it only grows), i.e. the prefix is saturated.
    return undefined;
  }
}
