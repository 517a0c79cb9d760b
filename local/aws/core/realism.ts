/**
 * Realism: IAM propagation delay, latency model and seeded fault injection.
 *
 * Resolution order (later wins): DEFAULT_REALISM < config file (SANDBOX_CONFIG) < options.realism
 * (sandboxOptionsFromEnv puts SANDBOX_IAM_PROPAGATION_MS there) < live patches (PUT /_sandbox/config,
 * RunningSandbox.setRealism). Patches are JSON merge patches: objects merge, arrays (fault rules) replace.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AwsError } from './errors';
import type { FaultOutage, FaultRule, RealismConfig, ServiceName } from './types';

export const DEFAULT_REALISM: RealismConfig = {
  iamPropagationMs: 3000,
  latency: { defaultMs: 0, jitterMs: 0, perOperation: {} },
  faults: { seed: 1, rules: [], outages: [] },
};

const serviceName = z.enum(['iam', 'sts', 's3', 'secretsmanager', 'dynamodb', 'organizations', 'ssm', 'sqs', 'events', 'scheduler', 'states', 'cloudformation']);
const nonNegative = z.number().finite().min(0);
const faultRule = z
  .strictObject({
    service: serviceName.optional(),
    operation: z.string().min(1).optional(),
    rate: z.number().min(0).max(1),
    kind: z.enum(['throttle', '500', '503', 'reset', 'latency']),
    latencyMs: nonNegative.optional(),
  })
  .refine((r) => r.kind !== 'latency' || r.latencyMs !== undefined, { message: 'a latency rule needs latencyMs', path: ['latencyMs'] });
/**
 * An outage window as patches give it: `from` (epoch ms, default now) and either `until` (epoch ms) or
 * `durationMs`; stored as absolute `{from, until}`.
 */
const faultOutage = z
  .strictObject({
    service: serviceName.optional(),
    operation: z.string().min(1).optional(),
    from: nonNegative.optional(),
    until: nonNegative.optional(),
    durationMs: nonNegative.optional(),
    kind: z.enum(['throttle', '500', '503', 'reset']).optional(),
  })
  .refine((o) => (o.until === undefined) !== (o.durationMs === undefined), { message: 'an outage needs exactly one of until or durationMs' });
export type FaultOutageInput = z.infer<typeof faultOutage>;

/** A (deep) partial realism config as accepted by patches and config files. */
export const realismPatchSchema = z.strictObject({
  iamPropagationMs: nonNegative.optional(),
  latency: z
    .strictObject({
      defaultMs: nonNegative.optional(),
      jitterMs: nonNegative.optional(),
      perOperation: z.record(z.string(), nonNegative).optional(),
    })
    .optional(),
  faults: z
    .strictObject({
      seed: z.number().int().optional(),
      rules: z.array(faultRule).optional(),
      outages: z.array(faultOutage).optional(),
    })
    .optional(),
});
export type RealismPatch = z.infer<typeof realismPatchSchema>;

/** Validates an untrusted patch; throws AwsError(ValidationError, 400) listing the problems. */
export function parseRealismPatch(input: unknown): RealismPatch {
  const parsed = realismPatchSchema.safeParse(input);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new AwsError('ValidationError', `Invalid realism config: ${detail}`, 400);
  }
  return parsed.data;
}

/** An outage window with absolute times (`durationMs` counts from `from`, which defaults to `now`). */
export function resolveOutage(o: FaultOutageInput | FaultOutage, now = Date.now()): FaultOutage {
  const from = o.from ?? now;
  const until = o.until ?? from + ('durationMs' in o && o.durationMs !== undefined ? o.durationMs : 0);
  return {
    ...(o.service !== undefined ? { service: o.service } : {}),
    ...(o.operation !== undefined ? { operation: o.operation } : {}),
    from,
    until,
    ...(o.kind !== undefined ? { kind: o.kind } : {}),
  };
}

export function mergeRealism(base: RealismConfig, patch: RealismPatch | Partial<RealismConfig>): RealismConfig {
  const rules: FaultRule[] = (patch.faults?.rules ?? base.faults.rules).map((r) => ({ ...r }));
  const outages: FaultOutage[] = (patch.faults?.outages ?? base.faults.outages ?? []).map((o) => resolveOutage(o));
  return {
    iamPropagationMs: patch.iamPropagationMs ?? base.iamPropagationMs,
    latency: {
      defaultMs: patch.latency?.defaultMs ?? base.latency.defaultMs,
      jitterMs: patch.latency?.jitterMs ?? base.latency.jitterMs,
      perOperation: { ...base.latency.perOperation, ...(patch.latency?.perOperation ?? {}) },
    },
    faults: { seed: patch.faults?.seed ?? base.faults.seed, rules, outages },
  };
}

export function loadRealismFile(path: string): RealismPatch {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`Cannot read sandbox config file ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`Sandbox config file ${path} is not valid JSON`);
  }
  try {
    return parseRealismPatch(json);
  } catch (e) {
    throw new Error(`Sandbox config file ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** mulberry32: tiny, fast, seedable PRNG with a single 32-bit state (serialisable). */
export class Prng {
  constructor(public state: number) {
    this.state = state >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

export type FaultKind = FaultRule['kind'];

/**
 * Holds the live config plus the generators for jitter and faults. The fault generator is re-seeded
 * whenever the fault settings change, so a given seed and request sequence always yields the same faults.
 */
export class Realism {
  private current: RealismConfig;
  private faultRng: Prng;
  private jitterRng: Prng;

  constructor(initial: RealismConfig) {
    this.current = mergeRealism(initial, {});
    this.faultRng = new Prng(initial.faults.seed);
    this.jitterRng = new Prng(initial.faults.seed ^ 0x5bd1e995);
  }

  get config(): RealismConfig {
    return this.current;
  }

  apply(patch: RealismPatch | Partial<RealismConfig>): RealismConfig {
    this.current = mergeRealism(this.current, patch);
    // Re-seeded when the seed or the rules change (not when only outage windows do), so a given seed and request
    // sequence always yields the same faults.
    if (patch.faults?.seed !== undefined || patch.faults?.rules !== undefined) {
      this.faultRng = new Prng(this.current.faults.seed);
      this.jitterRng = new Prng(this.current.faults.seed ^ 0x5bd1e995);
    }
    return this.current;
  }

  /** Milliseconds to wait before handling `service:operation`. */
  latencyMs(service: ServiceName, operation: string): number {
    const l = this.current.latency;
    const base = l.perOperation[`${service}:${operation}`] ?? l.perOperation[`${service}:*`] ?? l.defaultMs;
    const jitter = l.jitterMs > 0 ? Math.floor(this.jitterRng.next() * l.jitterMs) : 0;
    return base + jitter;
  }

  /** The failing kind injected for this call, if any (see decide; added latency is dropped). */
  fault(service: ServiceName, operation: string, now = Date.now()): FailingFaultKind | undefined {
    return this.decide(service, operation, now).fault;
  }

  /**
   * What to inject into one call, decided before the operation runs. An outage window covering `now` fails the
   * call without a draw. Otherwise each matching rule draws once, in order: a `latency` rule that fires adds its
   * delay and evaluation goes on; the first failing rule that fires decides.
   */
  decide(service: ServiceName, operation: string, now = Date.now()): FaultDecision {
    const matches = (x: { service?: ServiceName; operation?: string }) =>
      (x.service === undefined || x.service === service) && (x.operation === undefined || x.operation === operation);
    for (const o of this.current.faults.outages ?? []) {
      if (now >= o.from && now < o.until && matches(o)) return { delayMs: 0, latency: 0, fault: o.kind ?? '503', outage: true };
    }
    let delayMs = 0;
    let latency = 0;
    for (const rule of this.current.faults.rules) {
      if (!matches(rule)) continue;
      if (this.faultRng.next() >= rule.rate) continue;
      if (rule.kind === 'latency') {
        delayMs += rule.latencyMs ?? 0;
        latency++;
        continue;
      }
      return { delayMs, latency, fault: rule.kind, outage: false };
    }
    return { delayMs, latency, outage: false };
  }
}

export type FailingFaultKind = Exclude<FaultKind, 'latency'>;

export interface FaultDecision {
  /** Extra delay from latency rules that fired. */
  delayMs: number;
  /** How many latency rules fired. */
  latency: number;
  fault?: FailingFaultKind;
  /** The fault comes from an outage window. */
  outage: boolean;
}

/** The service's real error for an injected fault ('reset' has no response). */
export function faultError(service: ServiceName, kind: Exclude<FaultKind, 'reset' | 'latency'>): AwsError {
  if (kind === 'throttle') {
    switch (service) {
      case 's3':
        return new AwsError('SlowDown', 'Please reduce your request rate.', 503);
      case 'secretsmanager':
      case 'ssm':
      case 'states':
        // Step Functions answers throttled calls (StartExecution over the account's rate, ...) as ThrottlingException.
        return new AwsError('ThrottlingException', 'Rate exceeded', 400);
      case 'dynamodb':
        return new AwsError('ThrottlingException', 'Rate of requests exceeds the allowed throughput.', 400);
      case 'organizations':
        return new AwsError(
          'TooManyRequestsException',
          'You have sent too many requests in too short a period of time. The quota helps protect against denial-of-service attacks. Try again later.',
          400,
        );
      default:
        return new AwsError('Throttling', 'Rate exceeded', 400);
    }
  }
  if (kind === '503') {
    return new AwsError('ServiceUnavailable', service === 's3' ? 'Service is unable to handle request.' : 'Service is unavailable.', 503);
  }
  switch (service) {
    case 's3':
      return new AwsError('InternalError', 'We encountered an internal error. Please try again.', 500);
    case 'secretsmanager':
      return new AwsError('InternalServiceError', 'An error occurred on the server side.', 500);
    case 'dynamodb':
      return new AwsError('InternalServerError', 'Internal server error', 500);
    case 'ssm':
      return new AwsError('InternalServerError', 'An internal server error occurred.', 500);
    case 'organizations':
      return new AwsError('ServiceException', "AWS Organizations can't complete your request because of an internal service error. Try again later.", 500);
    default:
      return new AwsError(
        'InternalFailure',
        'The request processing has failed because of an unknown error, exception or failure.',
        500,
      );
  }
}
