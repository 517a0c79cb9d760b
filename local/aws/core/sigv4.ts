/**
 * AWS Signature Version 4 verification (pure; no I/O).
 *
 * Parses the credential from an `Authorization: AWS4-HMAC-SHA256 ...` header or from presigned query
 * parameters (X-Amz-Algorithm/Credential/Date/Expires/SignedHeaders/Signature), rebuilds the canonical
 * request exactly as the client did and compares signatures in constant time.
 *
 * Canonical URI: S3 signs the path exactly as sent (segments encoded once by the client); every other
 * service signs the normalised path URI-encoded again ("double encoding"), as the AWS documentation
 * and every SDK do. Per-chunk signatures of aws-chunked bodies are NOT verified: the seed signature
 * (which covers the headers, including x-amz-decoded-content-length) is.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

export interface SigV4Credential {
  accessKeyId: string;
  /** YYYYMMDD */
  date: string;
  region: string;
  service: string;
}

export interface SigV4Auth {
  credential: SigV4Credential;
  signedHeaders: string[];
  signature: string;
  /** YYYYMMDDTHHMMSSZ from X-Amz-Date (header or query) or the Date header. */
  amzDate: string;
  presigned: boolean;
  /** X-Amz-Expires for presigned requests. */
  expiresSeconds?: number;
  /** X-Amz-Security-Token (header or query). */
  securityToken?: string;
}

export type ParsedAuth =
  | { kind: 'none' }
  | { kind: 'ok'; auth: SigV4Auth }
  /** Present but unusable (IncompleteSignature / AuthorizationHeaderMalformed). `credential` if it parsed. */
  | { kind: 'malformed'; message: string; credential?: SigV4Credential; unsupportedAlgorithm?: boolean };

/** Header pairs in wire order, names as received (from IncomingMessage.rawHeaders). */
export type RawHeaders = readonly string[];

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Decoded query-string pairs in wire order (keys without "=" have an empty value). */
export function parseRawQuery(rawQuery: string): Array<[string, string]> {
  if (rawQuery === '') return [];
  return rawQuery
    .split('&')
    .filter((p) => p !== '')
    .map((pair): [string, string] => {
      const eq = pair.indexOf('=');
      const k = eq < 0 ? pair : pair.slice(0, eq);
      const v = eq < 0 ? '' : pair.slice(eq + 1);
      return [safeDecode(k), safeDecode(v)];
    });
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, '%20'));
  } catch {
    return s;
  }
}

/** RFC 3986 encoding as SigV4 requires: everything but A-Z a-z 0-9 - _ . ~ is %XX (upper-case hex). */
export function uriEncode(s: string, encodeSlash = true): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (c === '/' && !encodeSlash)) out += c;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function headerValues(raw: RawHeaders, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] ?? '').toLowerCase() === name) out.push(raw[i + 1] ?? '');
  }
  return out;
}

export function firstHeader(raw: RawHeaders, name: string): string | undefined {
  return headerValues(raw, name.toLowerCase())[0];
}

const CREDENTIAL_RE = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/;
const AMZ_DATE_RE = /^\d{8}T\d{6}Z$/;

function parseCredential(value: string): SigV4Credential | undefined {
  const m = CREDENTIAL_RE.exec(value);
  if (!m) return undefined;
  const [, accessKeyId = '', date = '', region = '', service = ''] = m;
  return { accessKeyId, date, region, service };
}

/** Converts an RFC 1123 Date header to YYYYMMDDTHHMMSSZ. */
function fromHttpDate(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return undefined;
  return toAmzDate(ms);
}

export function toAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export function amzDateToMs(amzDate: string): number {
  const iso = `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`;
  return Date.parse(iso);
}

/** Extracts the SigV4 credential and signature from a request (header first, then presigned query). */
export function parseAuth(rawHeaders: RawHeaders, rawQuery: string): ParsedAuth {
  const header = firstHeader(rawHeaders, 'authorization');
  const token = firstHeader(rawHeaders, 'x-amz-security-token');
  if (header !== undefined) {
    const trimmed = header.trim();
    const space = trimmed.indexOf(' ');
    const algorithm = space < 0 ? trimmed : trimmed.slice(0, space);
    if (algorithm !== ALGORITHM) {
      return { kind: 'malformed', message: `Unsupported Authorization Type`, unsupportedAlgorithm: true };
    }
    const fields = new Map<string, string>();
    for (const part of trimmed.slice(space + 1).split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    const credRaw = fields.get('Credential');
    const signedRaw = fields.get('SignedHeaders');
    const signature = fields.get('Signature');
    const credential = credRaw === undefined ? undefined : parseCredential(credRaw);
    const missing = [
      credRaw === undefined ? 'Credential' : undefined,
      signedRaw === undefined ? 'SignedHeaders' : undefined,
      signature === undefined ? 'Signature' : undefined,
    ].filter((x): x is string => x !== undefined);
    if (missing.length > 0) {
      return {
        kind: 'malformed',
        message: `Authorization header requires ${missing.map((m) => `'${m}'`).join(', ')} parameter${missing.length > 1 ? 's' : ''}. Authorization=${trimmed.replace(/Signature=[0-9a-f]*/, 'Signature=...')}`,
        ...(credential ? { credential } : {}),
      };
    }
    if (!credential) {
      return {
        kind: 'malformed',
        message: `Credential should be scoped to a valid region, service and terminated with aws4_request. Credential=${credRaw ?? ''}`,
      };
    }
    const xAmzDate = firstHeader(rawHeaders, 'x-amz-date');
    const amzDate = xAmzDate !== undefined && AMZ_DATE_RE.test(xAmzDate.trim()) ? xAmzDate.trim() : fromHttpDate(firstHeader(rawHeaders, 'date'));
    if (amzDate === undefined) {
      return { kind: 'malformed', message: 'Authorization header requires existence of either a \'X-Amz-Date\' or a \'Date\' header.', credential };
    }
    return {
      kind: 'ok',
      auth: {
        credential,
        signedHeaders: (signedRaw ?? '').split(';').map((h) => h.trim().toLowerCase()).filter((h) => h !== ''),
        signature: (signature ?? '').toLowerCase(),
        amzDate,
        presigned: false,
        ...(token !== undefined ? { securityToken: token } : {}),
      },
    };
  }
  const query = new Map(parseRawQuery(rawQuery));
  const algorithm = query.get('X-Amz-Algorithm');
  if (algorithm === undefined) return { kind: 'none' };
  if (algorithm !== ALGORITHM) {
    return { kind: 'malformed', message: 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"', unsupportedAlgorithm: true };
  }
  const credRaw = query.get('X-Amz-Credential');
  const credential = credRaw === undefined ? undefined : parseCredential(credRaw);
  const amzDate = query.get('X-Amz-Date');
  const signedRaw = query.get('X-Amz-SignedHeaders');
  const signature = query.get('X-Amz-Signature');
  const expires = query.get('X-Amz-Expires');
  if (!credential || amzDate === undefined || !AMZ_DATE_RE.test(amzDate) || signedRaw === undefined || signature === undefined) {
    return {
      kind: 'malformed',
      message:
        'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
      ...(credential ? { credential } : {}),
    };
  }
  const queryToken = query.get('X-Amz-Security-Token') ?? token;
  const expiresSeconds = expires === undefined ? undefined : Number(expires);
  if (expiresSeconds !== undefined && (!Number.isInteger(expiresSeconds) || expiresSeconds < 0)) {
    return { kind: 'malformed', message: 'X-Amz-Expires should be a number', credential };
  }
  return {
    kind: 'ok',
    auth: {
      credential,
      signedHeaders: signedRaw.split(';').map((h) => h.trim().toLowerCase()).filter((h) => h !== ''),
      signature: signature.toLowerCase(),
      amzDate,
      presigned: true,
      ...(expiresSeconds !== undefined ? { expiresSeconds } : {}),
      ...(queryToken !== undefined ? { securityToken: queryToken } : {}),
    },
  };
}

/** Removes "." and ".." segments and repeated slashes (non-S3 canonical path normalisation). */
function normalizePath(path: string): string {
  const segments: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  const trailing = path.length > 1 && path.endsWith('/') && segments.length > 0 ? '/' : '';
  return `/${segments.join('/')}${trailing}`;
}

export function canonicalUri(rawPath: string, s3: boolean): string {
  const path = rawPath === '' ? '/' : rawPath;
  if (s3) return path;
  return uriEncode(normalizePath(path), false);
}

export function canonicalQuery(rawQuery: string, exclude?: string): string {
  return parseRawQuery(rawQuery)
    .filter(([k]) => k !== exclude)
    .map(([k, v]): [string, string] => [uriEncode(k), uriEncode(v)])
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

export function canonicalHeaders(rawHeaders: RawHeaders, signedHeaders: readonly string[]): string {
  return signedHeaders
    .map((name) => `${name}:${headerValues(rawHeaders, name).map((v) => v.trim().replace(/\s+/g, ' ')).join(',')}\n`)
    .join('');
}

export interface CanonicalRequestInput {
  method: string;
  rawPath: string;
  rawQuery: string;
  rawHeaders: RawHeaders;
  signedHeaders: readonly string[];
  payloadHash: string;
  /** S3: path signed as sent; others: normalised and encoded again. */
  s3: boolean;
  /** Presigned URLs exclude X-Amz-Signature from the canonical query. */
  presigned: boolean;
}

export function canonicalRequest(i: CanonicalRequestInput): string {
  return [
    i.method.toUpperCase(),
    canonicalUri(i.rawPath, i.s3),
    canonicalQuery(i.rawQuery, i.presigned ? 'X-Amz-Signature' : undefined),
    canonicalHeaders(i.rawHeaders, i.signedHeaders),
    i.signedHeaders.join(';'),
    i.payloadHash,
  ].join('\n');
}

export function credentialScope(c: SigV4Credential): string {
  return `${c.date}/${c.region}/${c.service}/aws4_request`;
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return [ALGORITHM, amzDate, scope, sha256Hex(canonical)].join('\n');
}

const keyCache = new Map<string, Buffer>();

/** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request"), memoised. */
export function signingKey(secret: string, c: SigV4Credential): Buffer {
  const cacheKey = `${secret}\n${c.date}\n${c.region}\n${c.service}`;
  const hit = keyCache.get(cacheKey);
  if (hit) return hit;
  const kDate = createHmac('sha256', `AWS4${secret}`).update(c.date).digest();
  const kRegion = createHmac('sha256', kDate).update(c.region).digest();
  const kService = createHmac('sha256', kRegion).update(c.service).digest();
  const key = createHmac('sha256', kService).update('aws4_request').digest();
  if (keyCache.size > 1000) keyCache.clear();
  keyCache.set(cacheKey, key);
  return key;
}

export function sign(secret: string, c: SigV4Credential, toSign: string): string {
  return createHmac('sha256', signingKey(secret, c)).update(toSign).digest('hex');
}

/** The payload hash the client signed: x-amz-content-sha256 if present, else hash of the body (S3 presigned: UNSIGNED-PAYLOAD). */
export function signedPayloadHash(rawHeaders: RawHeaders, body: Buffer, s3: boolean, presigned: boolean, rawQuery: string): string {
  const header = firstHeader(rawHeaders, 'x-amz-content-sha256');
  if (header !== undefined) return header.trim();
  if (presigned && s3) {
    const fromQuery = parseRawQuery(rawQuery).find(([k]) => k === 'X-Amz-Content-Sha256');
    return fromQuery ? fromQuery[1] : UNSIGNED_PAYLOAD;
  }
  return sha256Hex(body);
}

export type VerifyResult =
  | { ok: true }
  | { ok: false; reason: 'signature'; canonicalRequest: string; stringToSign: string }
  | { ok: false; reason: 'missing-signed-header'; header: string };

export interface VerifyInput {
  auth: SigV4Auth;
  secretAccessKey: string;
  method: string;
  rawPath: string;
  rawQuery: string;
  rawHeaders: RawHeaders;
  payloadHash: string;
  s3: boolean;
}

export function verifySignature(i: VerifyInput): VerifyResult {
  if (!i.auth.signedHeaders.includes('host')) return { ok: false, reason: 'missing-signed-header', header: 'host' };
  const canonical = canonicalRequest({
    method: i.method,
    rawPath: i.rawPath,
    rawQuery: i.rawQuery,
    rawHeaders: i.rawHeaders,
    signedHeaders: i.auth.signedHeaders,
    payloadHash: i.payloadHash,
    s3: i.s3,
    presigned: i.auth.presigned,
  });
  const toSign = stringToSign(i.auth.amzDate, credentialScope(i.auth.credential), canonical);
  const expected = Buffer.from(sign(i.secretAccessKey, i.auth.credential, toSign), 'utf8');
  const provided = Buffer.from(i.auth.signature, 'utf8');
  if (expected.length === provided.length && timingSafeEqual(expected, provided)) return { ok: true };
  return { ok: false, reason: 'signature', canonicalRequest: canonical, stringToSign: toSign };
}
