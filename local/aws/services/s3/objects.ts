/**
 * Object operations: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject and
 * object tagging, plus the versioning and encryption rules they share with multipart uploads.
 */
import { AwsError } from '../../core/errors';
import type { SandboxRequest, SandboxResponse } from '../../core/types';
import {
  checksumHeaderName,
  computeChecksum,
  md5Hex,
  parseChecksumAlgorithm,
  type StoredChecksum,
} from './checksums';
import { checkObjectTagCount, checkTag, parseSseAlgorithm, parseTagSet } from './config';
import {
  accessDenied,
  emptyResponse,
  header,
  httpDate,
  invalidArgument,
  isoTime,
  noSuchBucket,
  noSuchKey,
  notImplemented,
  xmlResponse,
  type BucketContext,
  type ObjectContext,
} from './context';
import { currentObject, type Bucket, type ObjectVersion, type Tag } from './model';
import { assertValidKey } from './names';
import { bucketArn, objectArn } from './routes';
import { child, children, childText, el, malformedXml, parseXmlBody, parseXmlBool, s3Root } from './xml';

const STORAGE_CLASSES = [
  'STANDARD',
  'REDUCED_REDUNDANCY',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER',
  'DEEP_ARCHIVE',
  'GLACIER_IR',
  'OUTPOSTS',
  'SNOW',
];
const STORED_HEADERS = ['content-type', 'cache-control', 'content-disposition', 'content-language', 'expires', 'x-amz-website-redirect-location'];
const MAX_METADATA_BYTES = 2048;
const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';

export type Sse = NonNullable<ObjectVersion['sse']>;

/** Representation headers and x-amz-meta-* to store with an object. */
export function storedHeaders(req: SandboxRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const v = header(req, name);
    if (v !== undefined) out[name] = v;
  }
  const encoding = header(req, 'content-encoding')
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && s !== 'aws-chunked')
    .join(',');
  if (encoding) out['content-encoding'] = encoding;
  let metaBytes = 0;
  for (const [name, value] of Object.entries(req.headers)) {
    if (!name.startsWith('x-amz-meta-') || value === undefined) continue;
    const v = Array.isArray(value) ? value.join(',') : value;
    out[name] = v;
    metaBytes += name.length - 'x-amz-meta-'.length + Buffer.byteLength(v, 'utf8');
  }
  if (metaBytes > MAX_METADATA_BYTES) {
    throw new AwsError('MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size', 400, 'Sender', {
      Size: String(metaBytes),
      MaxSizeAllowed: String(MAX_METADATA_BYTES),
    });
  }
  if (out['content-type'] === undefined) out['content-type'] = DEFAULT_CONTENT_TYPE;
  return out;
}

export function storageClassOf(req: SandboxRequest): string {
  const v = header(req, 'x-amz-storage-class');
  if (v === undefined) return 'STANDARD';
  if (!STORAGE_CLASSES.includes(v)) {
    throw new AwsError('InvalidStorageClass', 'The storage class you specified is not valid', 400, 'Sender', {
      StorageClassRequested: v,
    });
  }
  return v;
}

const GRANT_HEADERS = ['x-amz-grant-read', 'x-amz-grant-write', 'x-amz-grant-read-acp', 'x-amz-grant-write-acp', 'x-amz-grant-full-control'];
const PUBLIC_ACLS = ['public-read', 'public-read-write', 'authenticated-read'];

/**
 * Object ACLs on write: buckets with BucketOwnerEnforced (the default) reject any ACL other than
 * private/bucket-owner-full-control; BlockPublicAcls rejects public canned ACLs.
 */
export function checkObjectAcl(ctx: BucketContext): void {
  const acl = header(ctx.req, 'x-amz-acl');
  const grants = GRANT_HEADERS.some((h) => header(ctx.req, h) !== undefined);
  if (acl === undefined && !grants) return;
  if (ctx.bucket.ownership === 'BucketOwnerEnforced' && (grants || (acl !== 'private' && acl !== 'bucket-owner-full-control'))) {
    throw new AwsError('AccessControlListNotSupported', 'The bucket does not allow ACLs', 400);
  }
  if (acl !== undefined && PUBLIC_ACLS.includes(acl) && ctx.bucket.publicAccessBlock?.BlockPublicAcls) throw accessDenied();
}

/** x-amz-tagging: URL query encoded "k1=v1&k2=v2". */
export function tagsFromHeader(req: SandboxRequest): Tag[] {
  const raw = header(req, 'x-amz-tagging');
  if (raw === undefined || raw === '') return [];
  const seen = new Set<string>();
  const tags: Tag[] = [];
  for (const [Key, Value] of new URLSearchParams(raw)) {
    checkTag(Key, Value, seen);
    tags.push({ Key, Value });
  }
  checkObjectTagCount(tags);
  return tags;
}

function kmsKeyArn(keyId: string, region: string, account: string): string {
  if (keyId.startsWith('arn:')) return keyId;
  if (keyId.startsWith('alias/')) return `arn:aws:kms:${region}:${account}:${keyId}`;
  return `arn:aws:kms:${region}:${account}:key/${keyId}`;
}

/** Encryption for a new object: request headers override the bucket default. */
export function resolveSse(ctx: BucketContext): Sse {
  const { req, bucket } = ctx;
  if (header(req, 'x-amz-server-side-encryption-customer-algorithm') !== undefined) {
    if (bucket.encryption.blockedEncryptionTypes.includes('SSE-C')) throw accessDenied();
    throw notImplemented();
  }
  const requested = header(req, 'x-amz-server-side-encryption');
  const keyHeader = header(req, 'x-amz-server-side-encryption-aws-kms-key-id');
  const bucketKeyHeader = header(req, 'x-amz-server-side-encryption-bucket-key-enabled');
  if (requested === undefined) {
    if (keyHeader !== undefined) {
      throw invalidArgument(
        'Server Side Encryption with AWS KMS Key ID specified but the encryption method is not aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id',
        keyHeader,
      );
    }
    const e = bucket.encryption;
    const sse: Sse = { algorithm: e.algorithm, bucketKeyEnabled: e.algorithm !== 'AES256' && e.bucketKeyEnabled };
    if (e.algorithm !== 'AES256') {
      sse.kmsKeyId = kmsKeyArn(e.kmsMasterKeyId ?? 'alias/aws/s3', bucket.region, bucket.owner);
    }
    return sse;
  }
  const algorithm = parseSseAlgorithm(requested);
  if (!algorithm) {
    throw invalidArgument('The encryption method specified is not supported', 'x-amz-server-side-encryption', requested);
  }
  if (algorithm === 'AES256') {
    if (keyHeader !== undefined) {
      throw invalidArgument(
        'Server Side Encryption with AWS KMS Key ID specified but the encryption method is not aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id',
        keyHeader,
      );
    }
    return { algorithm, bucketKeyEnabled: false };
  }
  const defaultKey = bucket.encryption.algorithm === algorithm ? bucket.encryption.kmsMasterKeyId : undefined;
  return {
    algorithm,
    kmsKeyId: kmsKeyArn(keyHeader ?? defaultKey ?? 'alias/aws/s3', bucket.region, bucket.owner),
    bucketKeyEnabled: bucketKeyHeader !== undefined ? bucketKeyHeader.toLowerCase() === 'true' : bucket.encryption.bucketKeyEnabled,
  };
}

export function sseHeaders(sse: ObjectVersion['sse']): Record<string, string> {
  if (!sse) return {};
  const out: Record<string, string> = { 'x-amz-server-side-encryption': sse.algorithm };
  if (sse.kmsKeyId) out['x-amz-server-side-encryption-aws-kms-key-id'] = sse.kmsKeyId;
  if (sse.bucketKeyEnabled) out['x-amz-server-side-encryption-bucket-key-enabled'] = 'true';
  return out;
}

/** x-amz-version-id is reported once a bucket has ever had versioning configured. */
export function versionHeader(bucket: Bucket, versionId: string): Record<string, string> {
  return bucket.versioning ? { 'x-amz-version-id': versionId } : {};
}

/** Store a new version under S3's versioning rules; returns the version id assigned. */
export function putVersion(ctx: BucketContext, key: string, version: Omit<ObjectVersion, 'versionId'>): ObjectVersion {
  const { bucket } = ctx;
  const versionId = bucket.versioning === 'Enabled' ? ctx.kernel.randomId('', 32) : 'null';
  const stored: ObjectVersion = { ...version, versionId };
  const existing = bucket.objects.get(key) ?? [];
  const kept = bucket.versioning === 'Enabled' ? existing : existing.filter((v) => v.versionId !== 'null');
  bucket.objects.set(key, [stored, ...kept]);
  return stored;
}

function normaliseEtag(e: string): string {
  return e.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
}

function etagMatches(list: string, etag: string): boolean {
  const want = normaliseEtag(etag);
  return list.split(',').some((e) => e.trim() === '*' || normaliseEtag(e) === want);
}

function preconditionFailed(condition: string): AwsError {
  return new AwsError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, 'Sender', {
    Condition: condition,
  });
}

/** Conditional writes (If-None-Match: * and If-Match) on PutObject / CompleteMultipartUpload. */
export function checkWritePreconditions(ctx: ObjectContext): void {
  const current = currentObject(ctx.bucket, ctx.key);
  const ifNoneMatch = header(ctx.req, 'if-none-match');
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*') throw notImplemented();
    if (current) throw preconditionFailed('If-None-Match');
  }
  const ifMatch = header(ctx.req, 'if-match');
  if (ifMatch !== undefined) {
    if (!current) throw noSuchKey(ctx.key);
    if (!etagMatches(ifMatch, current.etag)) throw preconditionFailed('If-Match');
  }
}

/**
 * The flexible checksum to store: the verified one the client sent, or (as S3 does by default
 * since 2025) a full-object CRC64NVME.
 */
export function objectChecksum(req: SandboxRequest, verified: StoredChecksum | undefined, body: Buffer): StoredChecksum {
  const declared = parseChecksumAlgorithm(header(req, 'x-amz-sdk-checksum-algorithm'));
  if (declared && (!verified || verified.algorithm !== declared)) {
    throw new AwsError(
      'InvalidRequest',
      `x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.`,
      400,
    );
  }
  if (verified) return { ...verified, type: 'FULL_OBJECT' };
  return { algorithm: 'CRC64NVME', value: computeChecksum('CRC64NVME', body), type: 'FULL_OBJECT' };
}

export function checksumResponseHeaders(c: StoredChecksum | undefined): Record<string, string> {
  if (!c) return {};
  const out: Record<string, string> = { [checksumHeaderName(c.algorithm)]: c.value };
  if (c.type) out['x-amz-checksum-type'] = c.type;
  return out;
}

export async function putObject(ctx: ObjectContext, verified: StoredChecksum | undefined): Promise<SandboxResponse> {
  const { req, key } = ctx;
  assertValidKey(key);
  checkObjectAcl(ctx);
  checkWritePreconditions(ctx);
  const headers = storedHeaders(req);
  const storageClass = storageClassOf(req);
  const tags = tagsFromHeader(req);
  if (tags.length > 0 && !(await ctx.allowed('s3:PutObjectTagging', objectArn(ctx.bucket.name, key), ctx.bucket))) {
    throw accessDenied();
  }
  const sse = resolveSse(ctx);
  const checksum = objectChecksum(req, verified, req.body);
  const version = putVersion(ctx, key, {
    deleteMarker: false,
    body: req.body,
    etag: `"${md5Hex(req.body)}"`,
    lastModified: ctx.now,
    headers,
    sse,
    checksum,
    storageClass,
    tags,
    writer: req.principal.accountId,
  });
  return emptyResponse(200, {
    etag: version.etag,
    ...sseHeaders(sse),
    ...versionHeader(ctx.bucket, version.versionId),
    ...checksumResponseHeaders(checksum),
  });
}

/** The version a GET/HEAD/DELETE addresses, honouring ?versionId. */
function addressedVersion(ctx: ObjectContext): { version: ObjectVersion | undefined; versionId: string | undefined } {
  const versionId = ctx.req.query.get('versionId') ?? undefined;
  const versions = ctx.bucket.objects.get(ctx.key) ?? [];
  if (versionId === undefined) return { version: versions[0], versionId };
  if (versionId === '') throw invalidArgument('Version id cannot be the empty string', 'versionId', '');
  return { version: versions.find((v) => v.versionId === versionId), versionId };
}

function parseRange(spec: string, size: number): { start: number; end: number } | 'invalid' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(spec.trim());
  if (!m) return undefined; // unsupported syntax (e.g. several ranges): S3 serves the whole object
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return undefined;
  if (a === '') {
    const n = Number(b);
    if (n === 0 || size === 0) return 'invalid';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (b !== '' && Number(b) < start) return undefined;
  if (start >= size) return 'invalid';
  return { start, end };
}

const RESPONSE_OVERRIDES: [string, string][] = [
  ['response-content-type', 'content-type'],
  ['response-content-language', 'content-language'],
  ['response-expires', 'expires'],
  ['response-cache-control', 'cache-control'],
  ['response-content-disposition', 'content-disposition'],
  ['response-content-encoding', 'content-encoding'],
];

/** Evaluate If-Match / If-None-Match / If-(Un)Modified-Since; returns a 304 response when due. */
function readPreconditions(req: SandboxRequest, v: ObjectVersion, headers: Record<string, string>): SandboxResponse | undefined {
  const ifMatch = header(req, 'if-match');
  const ifNoneMatch = header(req, 'if-none-match');
  const ifModifiedSince = header(req, 'if-modified-since');
  const ifUnmodifiedSince = header(req, 'if-unmodified-since');
  const modifiedSec = Math.floor(v.lastModified / 1000) * 1000;
  if (ifMatch !== undefined && !etagMatches(ifMatch, v.etag)) throw preconditionFailed('If-Match');
  if (ifMatch === undefined && ifUnmodifiedSince !== undefined) {
    const t = Date.parse(ifUnmodifiedSince);
    if (!Number.isNaN(t) && modifiedSec > t) throw preconditionFailed('If-Unmodified-Since');
  }
  const notModified = { status: 304, headers: { etag: headers.etag ?? v.etag, 'last-modified': httpDate(v.lastModified) } };
  if (ifNoneMatch !== undefined) {
    if (etagMatches(ifNoneMatch, v.etag)) return notModified;
  } else if (ifModifiedSince !== undefined) {
    const t = Date.parse(ifModifiedSince);
    if (!Number.isNaN(t) && modifiedSec <= t) return notModified;
  }
  return undefined;
}

async function readObject(ctx: ObjectContext, withBody: boolean): Promise<SandboxResponse> {
  const { req, bucket, key } = ctx;
  const { version, versionId } = addressedVersion(ctx);
  if (!version) {
    if (versionId !== undefined) {
      throw new AwsError('NoSuchVersion', 'The specified version does not exist.', 404, 'Sender', {
        Key: key,
        VersionId: versionId,
      });
    }
    // Without s3:ListBucket, S3 does not reveal whether the key exists.
    if (!(await ctx.allowed('s3:ListBucket', bucketArn(bucket.name), bucket))) throw accessDenied();
    throw noSuchKey(key);
  }
  if (version.deleteMarker) {
    if (versionId !== undefined) {
      throw new AwsError('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405, 'Sender', {
        Method: req.method.toUpperCase(),
        ResourceType: 'DeleteMarker',
      });
    }
    if (!(await ctx.allowed('s3:ListBucket', bucketArn(bucket.name), bucket))) throw accessDenied();
    throw noSuchKey(key);
  }
  const size = version.body.length;
  const headers: Record<string, string> = {
    ...version.headers,
    etag: version.etag,
    'last-modified': httpDate(version.lastModified),
    'accept-ranges': 'bytes',
    ...sseHeaders(version.sse),
    ...versionHeader(bucket, version.versionId),
  };
  if (version.storageClass !== 'STANDARD') headers['x-amz-storage-class'] = version.storageClass;
  if (version.tags.length > 0) headers['x-amz-tagging-count'] = String(version.tags.length);
  const notModified = readPreconditions(req, version, headers);
  if (notModified) return notModified;
  if (req.method.toUpperCase() === 'GET') {
    for (const [param, name] of RESPONSE_OVERRIDES) {
      const v = req.query.get(param);
      if (v !== null) headers[name] = v;
    }
  }
  const rangeSpec = header(req, 'range');
  const range = rangeSpec !== undefined ? parseRange(rangeSpec, size) : undefined;
  if (range === 'invalid') {
    throw new AwsError('InvalidRange', 'The requested range is not satisfiable', 416, 'Sender', {
      RangeRequested: rangeSpec ?? '',
      ActualObjectSize: String(size),
    });
  }
  const checksumMode = header(req, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED';
  if (range) {
    const slice = version.body.subarray(range.start, range.end + 1);
    headers['content-range'] = `bytes ${range.start}-${range.end}/${size}`;
    headers['content-length'] = String(slice.length);
    return { status: 206, headers, body: withBody ? slice : undefined };
  }
  if (checksumMode) Object.assign(headers, checksumResponseHeaders(version.checksum));
  headers['content-length'] = String(size);
  return { status: 200, headers, body: withBody ? version.body : undefined };
}

export function getObject(ctx: ObjectContext): Promise<SandboxResponse> {
  return readObject(ctx, true);
}

export function headObject(ctx: ObjectContext): Promise<SandboxResponse> {
  return readObject(ctx, false);
}

interface DeleteOutcome {
  versionId?: string;
  deleteMarker: boolean;
  deleteMarkerVersionId?: string;
}

/** DeleteObject semantics for one key (shared with DeleteObjects). */
export function deleteKey(ctx: BucketContext, key: string, versionId: string | undefined): DeleteOutcome {
  const { bucket } = ctx;
  const versions = bucket.objects.get(key) ?? [];
  if (versionId !== undefined) {
    const target = versions.find((v) => v.versionId === versionId);
    const rest = versions.filter((v) => v.versionId !== versionId);
    if (rest.length > 0) bucket.objects.set(key, rest);
    else bucket.objects.delete(key);
    return target?.deleteMarker
      ? { versionId, deleteMarker: true, deleteMarkerVersionId: versionId }
      : { versionId, deleteMarker: false };
  }
  if (!bucket.versioning) {
    bucket.objects.delete(key);
    return { deleteMarker: false };
  }
  const marker = putVersion(ctx, key, {
    deleteMarker: true,
    body: Buffer.alloc(0),
    etag: '',
    lastModified: ctx.now,
    headers: {},
    storageClass: 'STANDARD',
    tags: [],
    writer: ctx.req.principal.accountId,
  });
  return { deleteMarker: true, deleteMarkerVersionId: marker.versionId };
}

export function deleteObject(ctx: ObjectContext): SandboxResponse {
  const versionId = ctx.req.query.get('versionId') ?? undefined;
  const outcome = deleteKey(ctx, ctx.key, versionId);
  const headers: Record<string, string> = {};
  if (outcome.deleteMarker) headers['x-amz-delete-marker'] = 'true';
  const reported = versionId ?? outcome.deleteMarkerVersionId;
  if (reported !== undefined) headers['x-amz-version-id'] = reported;
  return emptyResponse(204, headers);
}

export async function deleteObjects(ctx: BucketContext): Promise<SandboxResponse> {
  const { req, bucket } = ctx;
  const root = parseXmlBody(req.body, 'Delete');
  const objects = children(root, 'Object');
  if (objects.length === 0 || objects.length > 1000) throw malformedXml();
  const quiet = parseXmlBool(childText(root, 'Quiet'), false);
  const results = [];
  for (const o of objects) {
    const key = childText(o, 'Key');
    if (key === undefined) throw malformedXml();
    const versionId = childText(o, 'VersionId');
    const action = versionId !== undefined ? 's3:DeleteObjectVersion' : 's3:DeleteObject';
    if (!(await ctx.allowed(action, objectArn(bucket.name, key), bucket))) {
      results.push(
        el('Error', [el('Key', key), versionId !== undefined && el('VersionId', versionId), el('Code', 'AccessDenied'), el('Message', 'Access Denied')]),
      );
      continue;
    }
    const outcome = deleteKey(ctx, key, versionId);
    if (quiet) continue;
    results.push(
      el('Deleted', [
        el('Key', key),
        outcome.versionId !== undefined && el('VersionId', outcome.versionId),
        outcome.deleteMarker && el('DeleteMarker', true),
        outcome.deleteMarkerVersionId !== undefined && el('DeleteMarkerVersionId', outcome.deleteMarkerVersionId),
      ]),
    );
  }
  return xmlResponse(s3Root('DeleteResult', results));
}

/** "/bucket/key?versionId=v" (URL-encoded, leading slash optional). */
function parseCopySource(raw: string): { bucket: string; key: string; versionId?: string } {
  const [pathPart = '', query = ''] = raw.split('?', 2);
  let path: string;
  try {
    path = decodeURIComponent(pathPart.startsWith('/') ? pathPart.slice(1) : pathPart);
  } catch {
    throw invalidArgument('Invalid copy source encoding', 'x-amz-copy-source', raw);
  }
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) {
    throw invalidArgument('Copy Source must mention the source bucket and key: sourcebucket/sourcekey', 'x-amz-copy-source', raw);
  }
  const versionId = new URLSearchParams(query).get('versionId') ?? undefined;
  const out = { bucket: path.slice(0, slash), key: path.slice(slash + 1) };
  return versionId === undefined ? out : { ...out, versionId };
}

export async function copyObject(ctx: ObjectContext): Promise<SandboxResponse> {
  const { req, key, bucket, state } = ctx;
  assertValidKey(key);
  checkObjectAcl(ctx);
  const source = parseCopySource(header(req, 'x-amz-copy-source') ?? '');
  const srcBucket = state.buckets.get(source.bucket);
  if (!srcBucket) throw noSuchBucket(source.bucket);
  const readAction = source.versionId !== undefined ? 's3:GetObjectVersion' : 's3:GetObject';
  if (!(await ctx.allowed(readAction, objectArn(srcBucket.name, source.key), srcBucket))) throw accessDenied();
  const versions = srcBucket.objects.get(source.key) ?? [];
  const src = source.versionId !== undefined ? versions.find((v) => v.versionId === source.versionId) : versions[0];
  if (!src || src.deleteMarker) {
    if (source.versionId !== undefined && !src) {
      throw new AwsError('NoSuchVersion', 'The specified version does not exist.', 404, 'Sender', {
        Key: source.key,
        VersionId: source.versionId,
      });
    }
    throw noSuchKey(source.key);
  }
  const ifMatch = header(req, 'x-amz-copy-source-if-match');
  if (ifMatch !== undefined && !etagMatches(ifMatch, src.etag)) throw preconditionFailed('x-amz-copy-source-If-Match');
  const ifNoneMatch = header(req, 'x-amz-copy-source-if-none-match');
  if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, src.etag)) throw preconditionFailed('x-amz-copy-source-If-None-Match');

  const metadataDirective = header(req, 'x-amz-metadata-directive') ?? 'COPY';
  const taggingDirective = header(req, 'x-amz-tagging-directive') ?? 'COPY';
  if (!['COPY', 'REPLACE'].includes(metadataDirective)) {
    throw invalidArgument('Unknown metadata directive.', 'x-amz-metadata-directive', metadataDirective);
  }
  if (!['COPY', 'REPLACE'].includes(taggingDirective)) {
    throw invalidArgument('Unknown tagging directive.', 'x-amz-tagging-directive', taggingDirective);
  }
  const changesSomething =
    metadataDirective === 'REPLACE' ||
    header(req, 'x-amz-server-side-encryption') !== undefined ||
    header(req, 'x-amz-storage-class') !== undefined ||
    header(req, 'x-amz-website-redirect-location') !== undefined;
  if (srcBucket === bucket && source.key === key && source.versionId === undefined && !changesSomething) {
    throw new AwsError(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      400,
    );
  }
  const headers = metadataDirective === 'REPLACE' ? storedHeaders(req) : { ...src.headers };
  const tags = taggingDirective === 'REPLACE' ? tagsFromHeader(req) : [...src.tags];
  const algorithm = parseChecksumAlgorithm(header(req, 'x-amz-checksum-algorithm')) ?? src.checksum?.algorithm ?? 'CRC64NVME';
  const checksum: StoredChecksum = { algorithm, value: computeChecksum(algorithm, src.body), type: 'FULL_OBJECT' };
  const sse = resolveSse(ctx);
  const version = putVersion(ctx, key, {
    deleteMarker: false,
    body: src.body,
    etag: `"${md5Hex(src.body)}"`,
    lastModified: ctx.now,
    headers,
    sse,
    checksum,
    storageClass: storageClassOf(req),
    tags,
    writer: req.principal.accountId,
  });
  const out: Record<string, string> = { ...sseHeaders(sse), ...versionHeader(bucket, version.versionId) };
  if (srcBucket.versioning) out['x-amz-copy-source-version-id'] = src.versionId;
  return xmlResponse(
    s3Root('CopyObjectResult', [
      el('ETag', version.etag),
      el('LastModified', isoTime(version.lastModified)),
      el(`Checksum${checksum.algorithm}`, checksum.value),
      el('ChecksumType', 'FULL_OBJECT'),
    ]),
    200,
    out,
  );
}

// ---- object tagging ------------------------------------------------------------------------

function taggedVersion(ctx: ObjectContext): ObjectVersion {
  const { version, versionId } = addressedVersion(ctx);
  if (!version || (version.deleteMarker && versionId === undefined)) {
    if (versionId !== undefined) {
      throw new AwsError('NoSuchVersion', 'The specified version does not exist.', 404, 'Sender', {
        Key: ctx.key,
        VersionId: versionId,
      });
    }
    throw noSuchKey(ctx.key);
  }
  if (version.deleteMarker) {
    throw new AwsError('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405, 'Sender', {
      Method: ctx.req.method.toUpperCase(),
      ResourceType: 'DeleteMarker',
    });
  }
  return version;
}

export function putObjectTagging(ctx: ObjectContext): SandboxResponse {
  const root = parseXmlBody(ctx.req.body, 'Tagging');
  const tagSet = child(root, 'TagSet');
  if (!tagSet) throw malformedXml();
  const tags = parseTagSet(tagSet, Number.MAX_SAFE_INTEGER);
  checkObjectTagCount(tags);
  const version = taggedVersion(ctx);
  version.tags = tags;
  return emptyResponse(200, versionHeader(ctx.bucket, version.versionId));
}

export function getObjectTagging(ctx: ObjectContext): SandboxResponse {
  const version = taggedVersion(ctx);
  return xmlResponse(
    s3Root('Tagging', [el('TagSet', version.tags.map((t) => el('Tag', [el('Key', t.Key), el('Value', t.Value)])))]),
    200,
    versionHeader(ctx.bucket, version.versionId),
  );
}

export function deleteObjectTagging(ctx: ObjectContext): SandboxResponse {
  const version = taggedVersion(ctx);
  version.tags = [];
  return emptyResponse(204, versionHeader(ctx.bucket, version.versionId));
}
