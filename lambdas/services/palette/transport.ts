/**
 * HTTP transport of the Palette client: every request goes through `PaletteTransport.fetch`, which openapi-fetch uses
 * as its fetch function. Per attempt it applies the client-side rate limit, adds the auth header, enforces the
 * per-request timeout and reads the whole body; across attempts it applies the retry policy (retry.ts) inside one
 * time budget, re-authenticates once on 401, and maps failures to the named errors (errors.ts) with secrets scrubbed
 * (redact.ts).
 *
 * Successful responses are handed back as a fresh Response whose body is null when it was empty (so an empty 200/204
 * is never JSON-parsed); a non-empty 2xx body that is not JSON raises PaletteApiError code InvalidResponseBody.
 */
import type { Authenticator } from './auth';
import { createPaletteError, PaletteApiError, statusText } from './errors';
import type { PaletteLogger } from './logger';
import { PaletteRateLimitRefusal } from './rate-governor';
import type { Clock, RateGate } from './rate-limit';
import { addSecret, redactBodyText, scrub, scrubDeep, secretsFromBodyText } from './redact';
import {
  backoffDelay,
  classifyNetworkError,
  isIdempotentRequest,
  isRetryableNetworkFailure,
  isRetryableStatus,
  parseRetryAfter,
  type NetworkFailure,
  type RetryOptions,
} from './retry';
import { invocationDeadline } from '../../shared/deadline';

export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface TransportOptions {
  fetch: FetchFunction;
  clock: Clock;
  random: () => number;
  retry: RetryOptions;
  /** undefined = no client-side rate limiting. */
  rateLimiter: RateGate | undefined;
  logger: PaletteLogger;
  userAgent: string;
  /** Authenticates every request except those under /v1/auth/. */
  authenticator: () => Authenticator;
  /** Called after every attempt (each HTTP request sent, retries included); its errors are ignored. */
  onAttempt?: ((attempt: PaletteAttempt) => void) | undefined;
  /**
   * Called before a call's first attempt, outside the attempts' error mapping (tls.ts CaTrust: loads the CA bundle
   * once): its errors propagate unchanged (a CA that cannot be read is not a network failure).
   */
  prepare?: (() => Promise<void>) | undefined;
}

/** One HTTP request to Palette, as the `onAttempt` hook sees it (for metrics: calls, throttles). */
export interface PaletteAttempt {
  method: string;
  path: string;
  /** The response's status; 0 when there was no response (network failure, timeout). */
  status: number;
  durationMs: number;
}

/** Paths that must be called without credentials (login endpoints). */
function isUnauthenticatedPath(path: string): boolean {
  return path.startsWith('/v1/auth/');
}

type AttemptResult =
  | { kind: 'response'; response: Response; text: string }
  | { kind: 'network'; failure: NetworkFailure; error: unknown };

const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 204, 205, 304]);
const MAX_MESSAGE_CHARS = 1_000;
const MIN_ATTEMPT_MS = 1_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' ? value : undefined;
}

function truncate(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}...` : text;
}

export class PaletteTransport {
  constructor(private readonly options: TransportOptions) {}

  /** The function handed to openapi-fetch (`createClient({ fetch })`). */
  readonly fetch = (request: Request): Promise<Response> => this.execute(request);

  private async execute(request: Request): Promise<Response> {
    const { clock, retry, logger } = this.options;
    const url = new URL(request.url);
    const method = request.method.toUpperCase();
    const path = url.pathname;
    const bodyText = request.body === null ? undefined : await request.text();
    const idempotent = isIdempotentRequest(method, path);
    const needsAuth = !isUnauthenticatedPath(path);
    const secrets = secretsFromBodyText(bodyText, new Set<string>());

    const baseHeaders = new Headers(request.headers);
    baseHeaders.set('Accept', 'application/json');
    if (!baseHeaders.has('User-Agent')) baseHeaders.set('User-Agent', this.options.userAgent);
    const scope = baseHeaders.get('ProjectUid') === null ? 'tenant' : 'project';
    await this.options.prepare?.();

    const startedAt = clock.now();
    // The call's budget, and never past the invocation's deadline (lambdas/shared/deadline.ts): retries stop in time
    // for the function to fail with its transient error, which the state retries.
    const invocationEnd = invocationDeadline();
    const deadline = Math.min(startedAt + retry.budgetMs, invocationEnd === undefined ? Infinity : startedAt + Math.max(0, invocationEnd - Date.now()));
    let attempts = 0;
    let retries = 0;
    let reauthenticated = false;

    for (;;) {
      await this.waitForSlot(path, method, attempts, deadline - clock.now() - Math.min(MIN_ATTEMPT_MS, retry.requestTimeoutMs));
      const authHeaders = needsAuth ? await this.options.authenticator().headers() : {};
      for (const value of Object.values(authHeaders)) addSecret(value, secrets);
      const headers = new Headers(baseHeaders);
      for (const [name, value] of Object.entries(authHeaders)) headers.set(name, value);

      const timeoutMs = Math.max(1, Math.min(retry.requestTimeoutMs, deadline - clock.now()));
      attempts += 1;
      const attemptStart = clock.now();
      const result = await this.attempt(url, method, headers, bodyText, timeoutMs);
      const durationMs = clock.now() - attemptStart;
      this.observe({ method, path, status: result.kind === 'response' ? result.response.status : 0, durationMs });

      let error: PaletteApiError;
      let retryable: boolean;
      let retryAfterMs: number | undefined;
      if (result.kind === 'response') {
        const { response, text } = result;
        logger.debug('Palette request', { method, path, scope, status: response.status, attempt: attempts, durationMs });
        if (response.status >= 200 && response.status < 300) {
          return this.successResponse(response, text, { method, path, attempts, secrets });
        }
        if (response.status === 401 && needsAuth && !reauthenticated) {
          reauthenticated = true;
          if (await this.options.authenticator().renew(authHeaders)) {
            logger.info('Palette answered 401; retrying once with a new credential', { method, path });
            continue;
          }
        }
        error = this.responseError(response, text, { method, path, attempts, secrets });
        retryable = isRetryableStatus(response.status, idempotent);
        retryAfterMs = parseRetryAfter(response.headers.get('Retry-After'), Date.now());
      } else {
        const { failure } = result;
        logger.debug('Palette request failed without a response', { method, path, scope, code: failure.code, attempt: attempts, durationMs });
        retryable = isRetryableNetworkFailure(failure, idempotent);
        const unsafe = !retryable && failure.maybeSent && !idempotent;
        error = createPaletteError({
          status: 0,
          code: failure.code,
          message: scrub(
            unsafe
              ? `${failure.detail}; not retried because the request may have been applied (find the resource by name before creating it again)`
              : failure.detail,
            secrets,
          ),
          method,
          path,
          attempts,
          cause: result.error instanceof Error ? new Error(scrub(result.error.message, secrets)) : undefined,
        });
      }

      if (retryable && attempts < retry.maxAttempts) {
        const delay = Math.max(backoffDelay(retries, retry, this.options.random), retryAfterMs ?? 0);
        // Only retry when the next attempt still gets a useful slice of the budget.
        if (clock.now() + delay + Math.min(MIN_ATTEMPT_MS, retry.requestTimeoutMs) <= deadline) {
          logger.warn('Palette request will be retried', {
            method,
            path,
            status: error.status,
            code: error.code,
            attempt: attempts,
            delayMs: delay,
          });
          retries += 1;
          await clock.sleep(delay);
          continue;
        }
      }
      logger.debug('Palette request failed', {
        method,
        path,
        scope,
        status: error.status,
        code: error.code,
        attempts,
        elapsedMs: clock.now() - startedAt,
        requestBody: scrubDeep(redactBodyText(bodyText), secrets),
      });
      throw error;
    }
  }

  /**
   * The rate limit's slot for the next attempt. A shared governor that has no slot within what is left of the budget
   * refuses: reported like Palette's own 429 (PaletteThrottledError, code ClientRateLimited), so Step Functions retries
   * it with backoff; no request was sent.
   */
  private async waitForSlot(path: string, method: string, attempts: number, maxWaitMs: number): Promise<void> {
    try {
      await this.options.rateLimiter?.acquire(path, Math.max(0, maxWaitMs));
    } catch (error) {
      if (!(error instanceof PaletteRateLimitRefusal)) throw error;
      throw createPaletteError({ status: 429, code: 'ClientRateLimited', message: error.message, method, path, attempts });
    }
  }

  /** The `onAttempt` hook; an observer never changes the call's outcome. */
  private observe(attempt: PaletteAttempt): void {
    try {
      this.options.onAttempt?.(attempt);
    } catch {
      // ignored: observing is best effort
    }
  }

  private async attempt(url: URL, method: string, headers: Headers, body: string | undefined, timeoutMs: number): Promise<AttemptResult> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    try {
      const init: RequestInit = { method, headers, signal: controller.signal, redirect: 'manual' };
      if (body !== undefined) init.body = body;
      const response = await this.options.fetch(url.toString(), init);
      // The body is read inside the timeout so a stalled body counts as a timeout, not a hang.
      const text = NULL_BODY_STATUSES.has(response.status) ? '' : await response.text();
      return { kind: 'response', response, text };
    } catch (error) {
      return { kind: 'network', failure: classifyNetworkError(error, timedOut), error };
    } finally {
      clearTimeout(timer);
    }
  }

  private successResponse(
    response: Response,
    text: string,
    ctx: { method: string; path: string; attempts: number; secrets: ReadonlySet<string> },
  ): Response {
    const headers = new Headers(response.headers);
    headers.delete('Content-Length');
    headers.delete('Content-Encoding');
    const empty = text.trim() === '' || NULL_BODY_STATUSES.has(response.status);
    if (!empty) {
      try {
        JSON.parse(text);
      } catch {
        throw new PaletteApiError({
          status: response.status,
          code: 'InvalidResponseBody',
          message: `expected a JSON body, got ${text.length} bytes of ${response.headers.get('Content-Type') ?? 'unknown type'}`,
          method: ctx.method,
          path: ctx.path,
          attempts: ctx.attempts,
        });
      }
    }
    return new Response(empty ? null : text, { status: response.status, statusText: response.statusText, headers });
  }

  /** Maps a non-2xx response like the Go SDK: V1Error JSON when possible, else code = HTTP status text. */
  private responseError(
    response: Response,
    text: string,
    ctx: { method: string; path: string; attempts: number; secrets: ReadonlySet<string> },
  ): PaletteApiError {
    const { status } = response;
    if (status >= 300 && status < 400) {
      return createPaletteError({
        status,
        code: 'UnexpectedRedirect',
        message: `redirect to ${response.headers.get('Location') ?? '(no Location)'} not followed (credentials are never sent to another URL)`,
        method: ctx.method,
        path: ctx.path,
        attempts: ctx.attempts,
      });
    }
    let parsed: unknown;
    try {
      parsed = text.trim() === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (isRecord(parsed) && (typeof parsed.code === 'string' || typeof parsed.message === 'string')) {
      const code = stringField(parsed, 'code') ?? statusText(status, response.statusText);
      return createPaletteError({
        status,
        code: scrub(code, ctx.secrets),
        message: truncate(scrub(stringField(parsed, 'message') ?? '', ctx.secrets)),
        ref: stringField(parsed, 'ref'),
        details: scrubDeep(parsed.details ?? undefined, ctx.secrets),
        method: ctx.method,
        path: ctx.path,
        attempts: ctx.attempts,
      });
    }
    const code = statusText(status, response.statusText);
    return createPaletteError({
      status,
      code,
      message: truncate(scrub(text.trim(), ctx.secrets)),
      details: text === '' ? undefined : truncate(scrub(text, ctx.secrets)),
      method: ctx.method,
      path: ctx.path,
      attempts: ctx.attempts,
    });
  }
}
