/** Shared helpers for the core/IAM/STS sandbox tests. */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { expect } from 'vitest';
import { startSandbox } from '../../local/aws';
import type { RealismConfig, RunningSandbox, SandboxOptions } from '../../local/aws/core/types';

export const QUIET: RealismConfig = {
  iamPropagationMs: 0,
  latency: { defaultMs: 0, jitterMs: 0, perOperation: {} },
  faults: { seed: 1, rules: [] },
};

export interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export function start(opts: SandboxOptions = {}): Promise<RunningSandbox> {
  return startSandbox({ port: 0, ...opts, realism: { ...QUIET, ...(opts.realism ?? {}) } });
}

export function keysOf(sb: { accessKeyId: string; secretAccessKey: string }): Keys {
  return { accessKeyId: sb.accessKeyId, secretAccessKey: sb.secretAccessKey };
}

export function iamClient(sb: RunningSandbox, keys: Keys = keysOf(sb), maxAttempts = 1): IAMClient {
  return new IAMClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: keys, maxAttempts });
}

export function stsClient(sb: RunningSandbox, keys: Keys = keysOf(sb), maxAttempts = 1): STSClient {
  return new STSClient({ endpoint: sb.endpoint, region: sb.region, credentials: keys, maxAttempts });
}

interface SdkError {
  name: string;
  message: string;
  $metadata?: { httpStatusCode?: number };
  $fault?: string;
}

function isSdkError(e: unknown): e is SdkError {
  return e instanceof Error && '$metadata' in e;
}

/** Awaits a rejection and checks the SDK-parsed error name, HTTP status and (optionally) message. */
export async function expectAwsError(p: Promise<unknown>, name: string, status: number, message?: string | RegExp): Promise<SdkError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  if (!isSdkError(caught)) throw new Error(`expected ${name}, got ${caught === undefined ? 'success' : String(caught)}`);
  expect(caught.name).toBe(name);
  expect(caught.$metadata?.httpStatusCode).toBe(status);
  if (typeof message === 'string') expect(caught.message).toBe(message);
  else if (message) expect(caught.message).toMatch(message);
  return caught;
}

/** node:crypto-backed Checksum for @smithy/signature-v4 (HMAC when given a secret). */
type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData): string | Uint8Array =>
  typeof d === 'string' ? d : d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

export class NodeSha256 {
  private readonly h: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.h.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {}
}

export interface RawRequest {
  service: string;
  method?: string;
  path?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
  region?: string;
  /** Defaults to the management admin keys; null sends the request unsigned. */
  keys?: Keys | null;
  /** Sign at this time (ms). */
  signingDate?: number;
  /** Applied to the signed request before sending (tampering). */
  mutate?: (r: { headers: Record<string, string>; body: string; path: string }) => void;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** Sends a request signed by the reference signer (@smithy/signature-v4), bypassing the SDK clients. */
export async function rawRequest(sb: RunningSandbox, r: RawRequest): Promise<RawResponse> {
  const url = new URL(sb.endpoint);
  const method = r.method ?? 'POST';
  const path = r.path ?? '/';
  const headers: Record<string, string> = { host: url.host, ...(r.headers ?? {}) };
  let body = r.body ?? '';
  let finalPath = path;
  if (r.keys !== null) {
    const signer = new SignatureV4({
      service: r.service,
      region: r.region ?? 'us-east-1',
      credentials: r.keys ?? keysOf(sb),
      sha256: NodeSha256,
      uriEscapePath: r.service !== 's3',
      applyChecksum: r.service === 's3',
    });
    const signed = await signer.sign(
      { method, protocol: 'http:', hostname: url.hostname, port: Number(url.port), path, query: r.query ?? {}, headers, body },
      r.signingDate === undefined ? {} : { signingDate: new Date(r.signingDate) },
    );
    Object.assign(headers, signed.headers);
  }
  const mutable = { headers, body, path: finalPath };
  r.mutate?.(mutable);
  ({ body, path: finalPath } = mutable);
  const qs = new URLSearchParams(r.query ?? {}).toString().replace(/\+/g, '%20');
  delete headers.host;
  const res = await fetch(`${sb.endpoint}${finalPath}${qs ? `?${qs}` : ''}`, {
    method,
    headers,
    ...(method === 'GET' || method === 'HEAD' ? {} : { body }),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Form-encoded query-protocol body. */
export function form(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

export const FORM = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };

export function trustPolicy(principal: Record<string, string | string[]>, condition?: Record<string, unknown>): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole', ...(condition ? { Condition: condition } : {}) }],
  });
}

export function allowPolicy(action: string | string[], resource: string | string[] = '*'): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: resource }] });
}

/** Polls `fn` until it resolves (or the deadline passes, then rethrows the last error). */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 5000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}
