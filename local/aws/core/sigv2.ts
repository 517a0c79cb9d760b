/**
 * Legacy S3 signature version 2 (HMAC-SHA1), header (`Authorization: AWS AKID:sig`) and query
 * (`?AWSAccessKeyId=&Expires=&Signature=`) forms. S3 only: botocore/boto3 and AWS CLI v1 still
 * presign S3 URLs with it by default for us-east-1. Path-style resources only.
 *
 * StringToSign = VERB \n Content-MD5 \n Content-Type \n Date|Expires \n CanonicalizedAmzHeaders CanonicalizedResource
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { firstHeader, parseRawQuery, type RawHeaders } from './sigv4';

const SUB_RESOURCES = new Set([
  'accelerate', 'acl', 'analytics', 'cors', 'delete', 'encryption', 'intelligent-tiering', 'inventory', 'legal-hold',
  'lifecycle', 'location', 'logging', 'metrics', 'notification', 'object-lock', 'ownershipControls', 'partNumber',
  'policy', 'policyStatus', 'publicAccessBlock', 'replication', 'requestPayment', 'response-cache-control',
  'response-content-disposition', 'response-content-encoding', 'response-content-language', 'response-content-type',
  'response-expires', 'restore', 'retention', 'select', 'select-type', 'tagging', 'torrent', 'uploadId', 'uploads',
  'versionId', 'versioning', 'versions', 'website',
]);

export interface SigV2Auth {
  accessKeyId: string;
  signature: string;
  presigned: boolean;
  /** Epoch seconds (query form). */
  expires?: number;
  /** Date header (header form), used for the clock-skew check. */
  date?: string;
  securityToken?: string;
}

export function parseSigV2(rawHeaders: RawHeaders, rawQuery: string): SigV2Auth | undefined {
  const header = firstHeader(rawHeaders, 'authorization');
  if (header !== undefined) {
    const m = /^AWS ([^:\s]+):(\S+)$/.exec(header.trim());
    if (!m) return undefined;
    const date = firstHeader(rawHeaders, 'x-amz-date') ?? firstHeader(rawHeaders, 'date');
    const token = firstHeader(rawHeaders, 'x-amz-security-token');
    return {
      accessKeyId: m[1] ?? '',
      signature: m[2] ?? '',
      presigned: false,
      ...(date !== undefined ? { date } : {}),
      ...(token !== undefined ? { securityToken: token } : {}),
    };
  }
  const q = new Map(parseRawQuery(rawQuery));
  const id = q.get('AWSAccessKeyId');
  const signature = q.get('Signature');
  const expires = q.get('Expires');
  if (id === undefined || signature === undefined || expires === undefined || !/^\d+$/.test(expires)) return undefined;
  const token = q.get('x-amz-security-token') ?? firstHeader(rawHeaders, 'x-amz-security-token');
  return { accessKeyId: id, signature, presigned: true, expires: Number(expires), ...(token !== undefined ? { securityToken: token } : {}) };
}

export function sigV2StringToSign(method: string, rawPath: string, rawQuery: string, rawHeaders: RawHeaders, presigned: boolean): string {
  const query = parseRawQuery(rawQuery);
  const fields = new Map<string, string[]>();
  const add = (name: string, value: string) => fields.set(name, [...(fields.get(name) ?? []), value.trim()]);
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) add((rawHeaders[i] ?? '').toLowerCase(), rawHeaders[i + 1] ?? '');
  if (presigned) {
    for (const [k, v] of query) {
      const lk = k.toLowerCase();
      if (lk.startsWith('x-amz-') || lk === 'content-md5' || lk === 'content-type') add(lk, v);
    }
  }
  const one = (name: string) => (fields.get(name) ?? []).join(',');
  const amz = [...fields.keys()]
    .filter((k) => k.startsWith('x-amz-'))
    .sort()
    .map((k) => `${k}:${one(k)}\n`)
    .join('');
  const date = presigned ? (query.find(([k]) => k === 'Expires')?.[1] ?? '') : fields.has('x-amz-date') ? '' : one('date');
  const sub = query
    .filter(([k]) => SUB_RESOURCES.has(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => (v === '' ? k : `${k}=${v}`));
  const resource = `${rawPath === '' ? '/' : rawPath}${sub.length > 0 ? `?${sub.join('&')}` : ''}`;
  return [method.toUpperCase(), one('content-md5'), one('content-type'), date, `${amz}${resource}`].join('\n');
}

export function sigV2Sign(secret: string, stringToSign: string): string {
  return createHmac('sha1', secret).update(stringToSign, 'utf8').digest('base64');
}

export function verifySigV2(auth: SigV2Auth, secret: string, method: string, rawPath: string, rawQuery: string, rawHeaders: RawHeaders): { ok: boolean; stringToSign: string } {
  const stringToSign = sigV2StringToSign(method, rawPath, rawQuery, rawHeaders, auth.presigned);
  const expected = Buffer.from(sigV2Sign(secret, stringToSign));
  const provided = Buffer.from(auth.signature);
  return { ok: expected.length === provided.length && timingSafeEqual(expected, provided), stringToSign };
}
