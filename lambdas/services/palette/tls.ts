/**
 * Trusting a private CA (a self-hosted Palette whose certificate chains to the customer's own CA): a fetch function
 * over node:https whose agent trusts Node's public root certificates PLUS the configured CA bundle. Node 20's global
 * fetch cannot take a CA of its own (and NODE_EXTRA_CA_CERTS is read only at process start, from a file), so the
 * Palette client uses this fetch when it is given a CA bundle and the global fetch otherwise.
 *
 * Certificate verification is never turned off: there is no option for it here or anywhere in the product
 * (test/unit/palette-tls.test.ts fails on Node's switches for it, or a custom host check, in product code). A
 * certificate that does not chain to a trusted root, or does not name the host, fails the request with Node's
 * verification code (UNABLE_TO_VERIFY_LEAF_SIGNATURE, SELF_SIGNED_CERT_IN_CHAIN, ERR_TLS_CERT_ALTNAME_INVALID, ...),
 * which the transport reports as PaletteCertificateError, never retried (errors.ts).
 *
 * The fetch supports what the transport sends (transport.ts): a string or URL, method, headers, a string body, an
 * AbortSignal, `redirect: 'manual'` (node:https never follows redirects). The whole body is read before the Response
 * is returned, so an abort while the body streams fails the call like a timeout.
 */
import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { FetchFunction } from './transport';

/** How long an idle keep-alive connection is kept (undici's default for the global fetch is 4 s as well). */
const IDLE_SOCKET_MS = 4_000;
const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 204, 205, 304]);

/** The CA list of an agent that trusts `extra` (PEM certificates) in addition to the public roots. */
export function trustedCertificates(extra: readonly string[]): string[] {
  return [...rootCertificates, ...extra];
}

/** An https agent trusting the public roots and `extra`; verification on (Node's default, never overridden). */
export function caTrustingAgent(extra: readonly string[]): Agent {
  return new Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS, ca: trustedCertificates(extra) });
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const e = new Error('This operation was aborted');
  e.name = 'AbortError';
  return e;
}

function responseHeaders(res: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}

/** A fetch over `agent` (https URLs only). */
export function httpsFetch(agent: Agent): FetchFunction {
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      if (input instanceof Request) {
        reject(new TypeError('httpsFetch takes a URL and RequestInit, not a Request'));
        return;
      }
      const url = new URL(input.toString());
      if (url.protocol !== 'https:') {
        reject(new TypeError(`httpsFetch serves https URLs only, got ${url.protocol}`));
        return;
      }
      const body = init.body;
      if (body !== undefined && body !== null && typeof body !== 'string') {
        reject(new TypeError('httpsFetch sends string bodies only'));
        return;
      }
      const signal = init.signal ?? undefined;
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const method = (init.method ?? 'GET').toUpperCase();
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((value, name) => {
        headers[name] = value;
      });
      if (typeof body === 'string') headers['content-length'] = String(Buffer.byteLength(body));

      let settled = false;
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      };
      const req = request(url, { method, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', fail);
        res.on('close', () => {
          if (!res.complete) fail(Object.assign(new Error('the connection closed before the response body ended'), { code: 'ECONNRESET' }));
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          const status = res.statusCode ?? 0;
          const empty = NULL_BODY_STATUSES.has(status) || method === 'HEAD';
          try {
            resolve(new Response(empty ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage ?? '', headers: responseHeaders(res) }));
          } catch (e) {
            reject(e);
          }
        });
      });
      const onAbort = (): void => {
        if (signal) fail(abortError(signal));
        req.destroy();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', fail);
      req.end(body ?? undefined);
    });
}

/**
 * The Palette client's fetch with a CA bundle: `load` gives the PEM certificates (read once per container by the
 * caller, lambdas/shared/palette-ca.ts); the agent is built on the first call and kept. `prepare()` loads it (the
 * transport calls it before a call's first attempt, so a CA that cannot be read fails the call with its own error,
 * not as a network failure); `fetch` serves https URLs through the agent and anything else (an http endpoint of a
 * local run) through the global fetch, where a CA means nothing.
 */
export class CaTrust {
  private agent: Agent | undefined;
  private agentFetch: FetchFunction | undefined;
  private pending: Promise<Agent> | undefined;

  constructor(private readonly load: () => Promise<readonly string[]>) {}

  /** Loads the bundle and builds the agent once; a failed load is tried again on the next call. */
  async prepare(): Promise<void> {
    if (this.agent) return;
    this.pending ??= this.load()
      .then((certs) => {
        if (certs.length === 0) throw new TypeError('CaTrust: the CA bundle holds no certificate');
        this.agent = caTrustingAgent(certs);
        this.agentFetch = httpsFetch(this.agent);
        return this.agent;
      })
      .finally(() => {
        this.pending = undefined;
      });
    await this.pending;
  }

  readonly fetch: FetchFunction = async (input, init) => {
    const url = input instanceof Request ? input.url : input.toString();
    if (!url.startsWith('https:')) return fetch(input, init);
    await this.prepare();
    if (!this.agentFetch) throw new Error('CaTrust: no agent after prepare');
    return this.agentFetch(input, init);
  };

  /** Closes the kept connections (tests). */
  destroy(): void {
    this.agent?.destroy();
    this.agent = undefined;
    this.agentFetch = undefined;
  }
}
