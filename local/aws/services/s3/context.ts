/** Per-request context handed to the S3 operation handlers, and small shared helpers. */
import { AwsError } from '../../core/errors';
import type { SandboxKernel, SandboxRequest, SandboxResponse } from '../../core/types';
import type { Bucket } from './model';
import { renderXml, type XmlElement } from './xml';

export interface S3State {
  buckets: Map<string, Bucket>;
}

export interface BaseContext {
  req: SandboxRequest;
  kernel: SandboxKernel;
  state: S3State;
  now: number;
  /** Authorize an action on a resource of `bucket` (kernel.authorize with the bucket policy). */
  allowed(action: string, resource: string, bucket: Bucket, context?: Record<string, string | string[]>): Promise<boolean>;
}

export interface BucketContext extends BaseContext {
  bucket: Bucket;
}

export interface ObjectContext extends BucketContext {
  key: string;
}

export type BucketHandler = (ctx: BucketContext) => Promise<SandboxResponse> | SandboxResponse;
export type ObjectHandler = (ctx: ObjectContext) => Promise<SandboxResponse> | SandboxResponse;

export function header(req: Pick<SandboxRequest, 'headers'>, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

export function xmlResponse(root: XmlElement, status = 200, headers: Record<string, string> = {}): SandboxResponse {
  return { status, headers: { 'content-type': 'application/xml', ...headers }, body: renderXml(root) };
}

export function emptyResponse(status: number, headers: Record<string, string> = {}): SandboxResponse {
  return { status, headers };
}

export function accessDenied(): AwsError {
  return new AwsError('AccessDenied', 'Access Denied', 403);
}

export function noSuchBucket(name: string): AwsError {
  return new AwsError('NoSuchBucket', 'The specified bucket does not exist', 404, 'Sender', { BucketName: name });
}

export function noSuchKey(key: string): AwsError {
  return new AwsError('NoSuchKey', 'The specified key does not exist.', 404, 'Sender', { Key: key });
}

export function invalidArgument(message: string, name?: string, value?: string): AwsError {
  const extra: Record<string, string> = {};
  if (name !== undefined) extra.ArgumentName = name;
  if (value !== undefined) extra.ArgumentValue = value;
  return new AwsError('InvalidArgument', message, 400, 'Sender', extra);
}

export function notImplemented(): AwsError {
  return new AwsError('NotImplemented', 'A header you provided implies functionality that is not implemented', 501);
}

/** ISO-8601 with milliseconds, as S3 writes timestamps in XML. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** RFC 7231 date for Last-Modified and friends. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** Parse a non-negative integer query parameter (max-keys, max-parts, ...); InvalidArgument otherwise. */
export function intParam(req: SandboxRequest, name: string, fallback: number, max?: number): number {
  const raw = req.query.get(name);
  if (raw === null) return fallback;
  const camel = name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
  if (!/^-?\d+$/.test(raw) || Number(raw) > 2147483647) {
    throw invalidArgument(`Provided ${name} not an integer or within integer range`, name, raw);
  }
  const n = Number(raw);
  if (n < 0) throw invalidArgument(`Argument ${camel} must be an integer between 0 and 2147483647`, name, raw);
  return max === undefined ? n : Math.min(n, max);
}
