/**
 * Retry policy of the Palette transport.
 *
 * Backoff: exponential with full jitter, delay = random(0, min(maxDelayMs, baseDelayMs * 2^n)), honouring a
 * `Retry-After` header when present, all inside one wall-clock budget per call (default 60 s, which includes rate-limit
 * waits, request time and sleeps). The Go SDK instead starts at 2 s, doubles without a cap and can keep going for
 * about 68 minutes, longer than any Lambda may run.
 *
 * What is retried:
 *  - 429 TooManyRequests, for every method: the request was rejected before being processed.
 *  - 503 Service Unavailable, for every method: the server (or its proxy) did not process the request.
 *  - other statuses > 500 (502, 504, 507, ...) except 501 Not Implemented and 505 HTTP Version Not Supported, which are
 *    permanent: idempotent requests only. This follows the Go SDK (status > 500). A 500 is NOT retried: Palette
 *    documents 500 as carrying an explicit error code and message, i.e. an application failure, and the Go SDK does
 *    not retry it either; callers (Step Functions) may retry PaletteServerError at workflow level.
 *  - connection failures raised before the request was sent (ECONNREFUSED, DNS, connect timeout, unreachable): every
 *    method.
 *  - connection failures after the request may have reached the server (ECONNRESET, socket closed, request timeout):
 *    idempotent requests only.
 * "Idempotent" = GET/HEAD/OPTIONS/PUT/DELETE/PATCH (Palette's PATCHes set a state), plus POSTs that create nothing:
 * login under /v1/auth/, the validate endpoints (.../validate), the search endpoints (.../search: a POST only because
 * the filter is a body, e.g. /v1/dashboard/spectroclusters/search) and the system config singletons under
 * /v1/system/config/. Creating POSTs are not idempotent in Palette (there is no idempotency key): retrying one after
 * the request may have been applied could create a duplicate, so the error is raised instead
 * (PaletteServerError, status 0) and callers look the resource up by name before creating again.
 * A refused TLS certificate is never retried (PaletteCertificateError, errors.ts).
 */
import { TLS_CERTIFICATE_CODES } from './errors';

export interface RetryOptions {
  /** Total time budget of one call including all attempts, waits and sleeps. */
  budgetMs: number;
  /** Base of the exponential backoff. */
  baseDelayMs: number;
  /** Cap of a single backoff delay. */
  maxDelayMs: number;
  /** Upper bound on HTTP attempts per call (the budget usually ends retrying first). */
  maxAttempts: number;
  /** Timeout of one HTTP attempt (response headers and body); also capped by the remaining budget. */
  requestTimeoutMs: number;
}

export const DEFAULT_RETRY_OPTIONS: RetryOptions = {
  budgetMs: 60_000,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxAttempts: 20,
  requestTimeoutMs: 15_000,
};

/** Full-jitter delay before retry number `retryIndex` (0 = first retry). */
export function backoffDelay(retryIndex: number, options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs'>, random: () => number): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.min(retryIndex, 30));
  return Math.floor(random() * ceiling);
}

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH']);

/** Whether repeating the request cannot create a second resource (see the module comment). */
export function isIdempotentRequest(method: string, path: string): boolean {
  const m = method.toUpperCase();
  if (SAFE_METHODS.has(m)) return true;
  if (m !== 'POST') return false;
  return path.startsWith('/v1/auth/') || path.endsWith('/validate') || path.endsWith('/search') || path.startsWith('/v1/system/config/');
}

export function isRetryableStatus(status: number, idempotent: boolean): boolean {
  if (status === 429 || status === 503) return true;
  if (status > 500 && status !== 501 && status !== 505 && status < 600) return idempotent;
  return false;
}

export interface NetworkFailure {
  /** errno / undici code (ECONNRESET, UND_ERR_SOCKET, ...) or RequestTimeout. */
  code: string;
  /** False when the failure happened before any byte of the request could reach the server. */
  maybeSent: boolean;
  /** Human-readable description (not yet scrubbed). */
  detail: string;
}

/** Failures that happen while connecting, i.e. before the request is written. */
const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
  // certificate verification happens during the TLS handshake, before any byte of the request is written
  ...TLS_CERTIFICATE_CODES,
]);

/** Failures that can never succeed on retry (TLS trust problems: errors.ts TLS_CERTIFICATE_CODES; invalid URL...). */
const PERMANENT_CODES: ReadonlySet<string> = new Set([...TLS_CERTIFICATE_CODES, 'ERR_INVALID_URL']);

function codeOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if ('code' in value && typeof value.code === 'string') return value.code;
  if ('errors' in value && Array.isArray(value.errors)) {
    for (const inner of value.errors) {
      const code = codeOf(inner);
      if (code !== undefined) return code;
    }
  }
  return undefined;
}

function messageOf(value: unknown): string {
  return value instanceof Error ? value.message : String(value);
}

/** Classifies an exception thrown by fetch (undici wraps the socket error in `cause`). */
export function classifyNetworkError(error: unknown, timedOut: boolean): NetworkFailure {
  if (timedOut) return { code: 'RequestTimeout', maybeSent: true, detail: 'request timed out' };
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : undefined;
  const code = codeOf(cause) ?? codeOf(error) ?? 'NetworkError';
  let detail = cause !== undefined ? `${messageOf(error)}: ${messageOf(cause)}` : messageOf(error);
  if (TLS_CERTIFICATE_CODES.has(code)) {
    detail = `Palette's TLS certificate was refused (${detail}); a self-hosted Palette whose certificate comes from a private CA needs that CA in the stack config paletteCaBundle`;
  }
  return { code, maybeSent: !NOT_SENT_CODES.has(code), detail };
}

export function isRetryableNetworkFailure(failure: NetworkFailure, idempotent: boolean): boolean {
  if (PERMANENT_CODES.has(failure.code)) return false;
  return idempotent || !failure.maybeSent;
}

/** Parses a Retry-After header (delta-seconds or HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
