/**
 * Pre-flight for `--local`: before a local run starts, check that the Palette emulator of a running sandbox accepts the
 * tenant API key. Only 401 / 403 mean the key is wrong. Throttling (429), server errors (5xx), resets and timeouts are
 * transient: retried with capped exponential backoff, honouring Retry-After, within a bounded time (60 s by default),
 * with a progress line before each wait; if Palette still does not answer, the message says it is unavailable or
 * throttling, not that the key is wrong. Product code: fetch only, no import from local/.
 */

/** The sandbox emulator's default tenant API key (local/palette DEFAULT_API_KEY; a unit test keeps them equal). */
export const SANDBOX_DEFAULT_API_KEY = 'SbxPltApiKey7Qm2VwX9rT4nLc8ZpD3k';
export const SANDBOX_DEFAULT_PALETTE_PORT = 4580;

/** One answer from Palette: an HTTP status (with body code and Retry-After), or no answer at all. */
export type ProbeAnswer = { status: number; code?: string; retryAfter?: string | null } | { error: unknown };

export type ProbeVerdict =
  | { kind: 'ok' }
  /** 401 / 403: the credentials are wrong. */
  | { kind: 'rejected'; status: number; code?: string }
  /** Worth retrying: 429, 5xx, reset, timeout, refused. `what` reads "Palette answered 503" / "Palette did not answer (...)". */
  | { kind: 'transient'; what: string; retryAfterMs?: number }
  /** Any other answer: not retried, not a credentials problem. */
  | { kind: 'unexpected'; status: number; code?: string };

/** Parses Retry-After (delta-seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function errorWhat(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timed out';
  const code = e?.cause?.code;
  if (code) return code;
  return e?.message ?? String(error);
}

/**
 * What an answer to the API-key probe (GET /v1/clouds/aws/account/sts) means. 200 is an accepted key, and so is
 * 400 StsNotConfigured (a self-hosted instance whose STS account is not configured yet: authentication came first).
 */
export function classifyPaletteAnswer(answer: ProbeAnswer, now = Date.now()): ProbeVerdict {
  if ('error' in answer) return { kind: 'transient', what: `Palette did not answer (${errorWhat(answer.error)})` };
  const { status, code } = answer;
  if (status === 200 || (status === 400 && code === 'StsNotConfigured')) return { kind: 'ok' };
  if (status === 401 || status === 403) return { kind: 'rejected', status, ...(code ? { code } : {}) };
  if (status === 429 || status === 408 || status >= 500) {
    const retryAfterMs = parseRetryAfter(answer.retryAfter, now);
    return { kind: 'transient', what: `Palette answered ${status}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  return { kind: 'unexpected', status, ...(code ? { code } : {}) };
}

export interface RetryOptions {
  /** Total time allowed for waiting and attempts (default 60 s). */
  budgetMs?: number;
  /** First backoff (default 1 s), doubled per attempt up to maxDelayMs (default 8 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A Retry-After longer than this is capped (default 30 s). */
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Progress before each wait, e.g. "Palette answered 503, retrying in 4 s (attempt 2)". */
  onRetry?: (line: string) => void;
}

export interface RetryResult {
  verdict: ProbeVerdict;
  attempts: number;
  elapsedMs: number;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function seconds(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) ? `${s} s` : `${s.toFixed(1)} s`;
}

/** The backoff before attempt `next` (2, 3, ...): capped exponential, or Retry-After when Palette gives one. */
export function retryDelayMs(next: number, verdict: Extract<ProbeVerdict, { kind: 'transient' }>, opts: RetryOptions = {}): number {
  const base = opts.baseDelayMs ?? 1000;
  const max = opts.maxDelayMs ?? 8000;
  const backoff = Math.min(max, base * 2 ** Math.max(0, next - 2));
  if (verdict.retryAfterMs === undefined) return backoff;
  return Math.max(backoff, Math.min(opts.maxRetryAfterMs ?? 30_000, verdict.retryAfterMs));
}

/** Runs `probe` until it is not transient or the budget is spent. */
export async function retryTransient(probe: () => Promise<ProbeVerdict>, opts: RetryOptions = {}): Promise<RetryResult> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? defaultSleep;
  const budget = opts.budgetMs ?? 60_000;
  const started = now();
  let attempts = 0;
  for (;;) {
    attempts++;
    const verdict = await probe();
    const elapsed = now() - started;
    if (verdict.kind !== 'transient') return { verdict, attempts, elapsedMs: elapsed };
    const left = budget - elapsed;
    if (left <= 0) return { verdict, attempts, elapsedMs: elapsed };
    const delay = Math.min(retryDelayMs(attempts + 1, verdict, opts), left);
    opts.onRetry?.(`${verdict.what}, retrying in ${seconds(Math.ceil(delay / 100) * 100)} (attempt ${attempts + 1})`);
    await sleep(delay);
  }
}

export interface PaletteKeyCheck {
  ok: boolean;
  /** Why it failed, for the user: bad credentials, unavailable / throttling, or an unexpected answer. */
  message?: string;
  verdict: ProbeVerdict;
  attempts: number;
}

/** GET /v1/clouds/aws/account/sts with the API key: one answer, never throws. */
export async function probePaletteApiKey(
  endpoint: string,
  apiKey: string,
  opts: { fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<ProbeAnswer> {
  try {
    const res = await (opts.fetch ?? fetch)(`${endpoint}/v1/clouds/aws/account/sts`, {
      headers: { ApiKey: apiKey },
      signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
    });
    const text = await res.text().catch(() => '');
    let code: string | undefined;
    try {
      const body = JSON.parse(text) as { code?: unknown };
      if (typeof body?.code === 'string') code = body.code;
    } catch {
      // not JSON
    }
    return { status: res.status, ...(code ? { code } : {}), retryAfter: res.headers.get('retry-after') };
  } catch (error) {
    return { error };
  }
}

/** Checks the tenant API key against Palette, riding out transient answers (see the module comment). */
export async function checkPaletteApiKey(
  endpoint: string,
  apiKey: string,
  opts: RetryOptions & { fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<PaletteKeyCheck> {
  const now = opts.now ?? Date.now;
  const { verdict, attempts, elapsedMs } = await retryTransient(
    async () => classifyPaletteAnswer(await probePaletteApiKey(endpoint, apiKey, opts), now()),
    opts,
  );
  const where = `the Palette emulator at ${endpoint}`;
  const status = (v: { status: number; code?: string }) => `HTTP ${v.status}${v.code ? ` ${v.code}` : ''}`;
  switch (verdict.kind) {
    case 'ok':
      return { ok: true, verdict, attempts };
    case 'rejected':
      return {
        ok: false,
        verdict,
        attempts,
        message: `${where} does not accept the tenant API key (${status(verdict)}); set PALETTE_SANDBOX_API_KEY to the key the sandbox prints`,
      };
    case 'transient':
      return {
        ok: false,
        verdict,
        attempts,
        message: `${where} is unavailable or throttling: ${verdict.what} on each of ${attempts} attempts over ${seconds(Math.round(elapsedMs / 1000) * 1000)} (the API key was not rejected); try again when it answers`,
      };
    default:
      return { ok: false, verdict, attempts, message: `${where} gave an unexpected answer to the API key check (${status(verdict)})` };
  }
}

/** Where a running sandbox's Palette emulator is expected (as local/runner's configuredEndpoints). */
export function sandboxPaletteEndpoint(env: NodeJS.ProcessEnv): string {
  return (env.SANDBOX_PALETTE_ENDPOINT || `http://127.0.0.1:${env.SANDBOX_PALETTE_PORT || SANDBOX_DEFAULT_PALETTE_PORT}`).replace(/\/+$/, '');
}

/**
 * The `--local` pre-flight: when a sandbox's Palette emulator answers its health check (control endpoints are never
 * faulted), check the API key with retries. Returns undefined when there is nothing to check (no running sandbox:
 * the local run starts its own) or the key is accepted, else the message to print.
 */
export async function localPaletteGate(
  env: NodeJS.ProcessEnv,
  opts: RetryOptions & { fetch?: typeof fetch } = {},
): Promise<string | undefined> {
  const endpoint = sandboxPaletteEndpoint(env);
  const doFetch = opts.fetch ?? fetch;
  try {
    const health = await doFetch(`${endpoint}/_emulator/health`, { signal: AbortSignal.timeout(1500) });
    await health.arrayBuffer().catch(() => undefined);
    if (health.status !== 200) return undefined;
  } catch {
    return undefined;
  }
  const check = await checkPaletteApiKey(endpoint, env.PALETTE_SANDBOX_API_KEY || SANDBOX_DEFAULT_API_KEY, opts);
  return check.ok ? undefined : check.message;
}
