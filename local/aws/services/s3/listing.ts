/** ListObjectsV2, ListObjects (v1) and ListObjectVersions over one shared pagination engine. */
import type { SandboxResponse } from '../../core/types';
import { intParam, invalidArgument, isoTime, xmlResponse, type BucketContext } from './context';
import { canonicalUserId, type Bucket, type ObjectVersion } from './model';
import { compareKeys } from './names';
import { el, opt, s3Root, type XmlElement } from './xml';

export interface ListEntry<T> {
  key: string;
  item: T;
}

export interface ListPage<T> {
  contents: ListEntry<T>[];
  prefixes: string[];
  truncated: boolean;
  /** Key (or common prefix) of the last entry returned. */
  last?: { key: string; item?: T };
}

/**
 * One page of a sorted listing. `skip` drops entries at or before the caller's marker; common
 * prefixes sorting at or before `marker` are dropped so a prefix never repeats across pages.
 */
export function paginate<T>(
  entries: ListEntry<T>[],
  opts: { prefix: string; delimiter?: string; maxKeys: number; marker?: string; skip?: (e: ListEntry<T>) => boolean },
): ListPage<T> {
  const page: ListPage<T> = { contents: [], prefixes: [], truncated: false };
  let count = 0;
  for (const entry of entries) {
    if (!entry.key.startsWith(opts.prefix)) continue;
    if (opts.skip?.(entry)) continue;
    let commonPrefix: string | undefined;
    if (opts.delimiter) {
      const idx = entry.key.indexOf(opts.delimiter, opts.prefix.length);
      if (idx !== -1) commonPrefix = entry.key.slice(0, idx + opts.delimiter.length);
    }
    if (commonPrefix !== undefined) {
      if (opts.marker !== undefined && compareKeys(commonPrefix, opts.marker) <= 0) continue;
      if (page.prefixes[page.prefixes.length - 1] === commonPrefix) continue;
    }
    if (count >= opts.maxKeys) {
      page.truncated = true;
      break;
    }
    count++;
    if (commonPrefix !== undefined) {
      page.prefixes.push(commonPrefix);
      page.last = { key: commonPrefix };
    } else {
      page.contents.push(entry);
      page.last = { key: entry.key, item: entry.item };
    }
  }
  return page;
}

/** encoding-type=url: form-style percent-encoding that keeps "/" (clients unquote_plus it). */
function urlEncodeKey(s: string): string {
  return encodeURIComponent(s).replace(/%2F/g, '/').replace(/%20/g, '+');
}

function encoderFor(ctx: BucketContext): { encode: (s: string) => string; encodingType?: string } {
  const type = ctx.req.query.get('encoding-type');
  if (type === null) return { encode: (s) => s };
  if (type !== 'url') throw invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', type);
  return { encode: urlEncodeKey, encodingType: 'url' };
}

/** Latest non-delete-marker version per key, in S3 key order. */
function currentEntries(bucket: Bucket): ListEntry<ObjectVersion>[] {
  const out: ListEntry<ObjectVersion>[] = [];
  for (const [key, versions] of bucket.objects) {
    const v = versions[0];
    if (v && !v.deleteMarker) out.push({ key, item: v });
  }
  return out.sort((a, b) => compareKeys(a.key, b.key));
}

function owner(accountId: string): XmlElement {
  return el('Owner', [el('ID', canonicalUserId(accountId))]);
}

function contentsElement(key: string, v: ObjectVersion, withOwner: boolean, bucketOwner: string): XmlElement {
  return el('Contents', [
    el('Key', key),
    el('LastModified', isoTime(v.lastModified)),
    el('ETag', v.etag),
    v.checksum && el('ChecksumAlgorithm', v.checksum.algorithm),
    v.checksum?.type && el('ChecksumType', v.checksum.type),
    el('Size', v.body.length),
    withOwner && owner(bucketOwner),
    el('StorageClass', v.storageClass),
  ]);
}

function listParams(ctx: BucketContext): { prefix: string; delimiter?: string; maxKeys: number } {
  const prefix = ctx.req.query.get('prefix') ?? '';
  const delimiter = ctx.req.query.get('delimiter') || undefined;
  const maxKeys = intParam(ctx.req, 'max-keys', 1000, 1000);
  return delimiter === undefined ? { prefix, maxKeys } : { prefix, delimiter, maxKeys };
}

function encodeToken(marker: string): string {
  return Buffer.from(`v2\u0000${marker}`, 'utf8').toString('base64');
}

function decodeToken(token: string): string {
  const raw = Buffer.from(token, 'base64').toString('utf8');
  if (!raw.startsWith('v2\u0000')) {
    throw invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
  }
  return raw.slice(3);
}

export function listObjectsV2(ctx: BucketContext): SandboxResponse {
  const { req, bucket } = ctx;
  const { prefix, delimiter, maxKeys } = listParams(ctx);
  const { encode, encodingType } = encoderFor(ctx);
  const token = req.query.get('continuation-token');
  const startAfter = req.query.get('start-after') ?? undefined;
  const marker = token !== null ? decodeToken(token) : startAfter;
  const fetchOwner = req.query.get('fetch-owner') === 'true';
  const page = paginate(currentEntries(bucket), {
    prefix,
    maxKeys,
    ...(delimiter !== undefined ? { delimiter } : {}),
    ...(marker !== undefined ? { marker, skip: (e: ListEntry<ObjectVersion>) => compareKeys(e.key, marker) <= 0 } : {}),
  });
  return xmlResponse(
    s3Root('ListBucketResult', [
      el('Name', bucket.name),
      el('Prefix', encode(prefix)),
      opt('Delimiter', delimiter !== undefined ? encode(delimiter) : undefined),
      el('MaxKeys', maxKeys),
      opt('EncodingType', encodingType),
      el('KeyCount', page.contents.length + page.prefixes.length),
      el('IsTruncated', page.truncated),
      opt('ContinuationToken', token ?? undefined),
      page.truncated && page.last && el('NextContinuationToken', encodeToken(page.last.key)),
      opt('StartAfter', startAfter !== undefined ? encode(startAfter) : undefined),
      ...page.contents.map((c) => contentsElement(encode(c.key), c.item, fetchOwner, bucket.owner)),
      ...page.prefixes.map((p) => el('CommonPrefixes', [el('Prefix', encode(p))])),
    ]),
  );
}

export function listObjects(ctx: BucketContext): SandboxResponse {
  const { req, bucket } = ctx;
  const { prefix, delimiter, maxKeys } = listParams(ctx);
  const { encode, encodingType } = encoderFor(ctx);
  const marker = req.query.get('marker') ?? '';
  const page = paginate(currentEntries(bucket), {
    prefix,
    maxKeys,
    ...(delimiter !== undefined ? { delimiter } : {}),
    ...(marker !== '' ? { marker, skip: (e: ListEntry<ObjectVersion>) => compareKeys(e.key, marker) <= 0 } : {}),
  });
  return xmlResponse(
    s3Root('ListBucketResult', [
      el('Name', bucket.name),
      el('Prefix', encode(prefix)),
      el('Marker', encode(marker)),
      // S3 returns NextMarker only when a delimiter was given.
      page.truncated && delimiter !== undefined && page.last && el('NextMarker', encode(page.last.key)),
      el('MaxKeys', maxKeys),
      opt('Delimiter', delimiter !== undefined ? encode(delimiter) : undefined),
      el('IsTruncated', page.truncated),
      opt('EncodingType', encodingType),
      ...page.contents.map((c) => contentsElement(encode(c.key), c.item, true, bucket.owner)),
      ...page.prefixes.map((p) => el('CommonPrefixes', [el('Prefix', encode(p))])),
    ]),
  );
}

interface VersionItem {
  version: ObjectVersion;
  isLatest: boolean;
}

export function listObjectVersions(ctx: BucketContext): SandboxResponse {
  const { req, bucket } = ctx;
  const { prefix, delimiter, maxKeys } = listParams(ctx);
  const { encode, encodingType } = encoderFor(ctx);
  const keyMarker = req.query.get('key-marker') ?? '';
  const versionIdMarker = req.query.get('version-id-marker') ?? '';
  if (versionIdMarker !== '' && keyMarker === '') {
    throw invalidArgument('A version-id marker cannot be specified without a key marker.', 'version-id-marker', versionIdMarker);
  }
  const entries: ListEntry<VersionItem>[] = [];
  const keys = [...bucket.objects.keys()].sort(compareKeys);
  for (const key of keys) {
    (bucket.objects.get(key) ?? []).forEach((version, i) => entries.push({ key, item: { version, isLatest: i === 0 } }));
  }
  const skip = (e: ListEntry<VersionItem>): boolean => {
    if (keyMarker === '') return false;
    const cmp = compareKeys(e.key, keyMarker);
    if (cmp !== 0) return cmp < 0;
    if (versionIdMarker === '') return true;
    // Same key: skip versions up to and including the marker version (newest first).
    const versions = bucket.objects.get(e.key) ?? [];
    const markerIdx = versions.findIndex((v) => v.versionId === versionIdMarker);
    return versions.indexOf(e.item.version) <= markerIdx;
  };
  const page = paginate(entries, {
    prefix,
    maxKeys,
    ...(delimiter !== undefined ? { delimiter } : {}),
    ...(keyMarker !== '' ? { marker: keyMarker } : {}),
    skip,
  });
  const ownerEl = owner(bucket.owner);
  return xmlResponse(
    s3Root('ListVersionsResult', [
      el('Name', bucket.name),
      el('Prefix', encode(prefix)),
      el('KeyMarker', encode(keyMarker)),
      el('VersionIdMarker', versionIdMarker),
      page.truncated && page.last && el('NextKeyMarker', encode(page.last.key)),
      page.truncated && page.last?.item && el('NextVersionIdMarker', page.last.item.version.versionId),
      el('MaxKeys', maxKeys),
      opt('Delimiter', delimiter !== undefined ? encode(delimiter) : undefined),
      opt('EncodingType', encodingType),
      el('IsTruncated', page.truncated),
      ...page.contents.map(({ key, item: { version: v, isLatest } }) =>
        v.deleteMarker
          ? el('DeleteMarker', [
              ownerEl,
              el('Key', encode(key)),
              el('VersionId', v.versionId),
              el('IsLatest', isLatest),
              el('LastModified', isoTime(v.lastModified)),
            ])
          : el('Version', [
              el('ETag', v.etag),
              v.checksum && el('ChecksumAlgorithm', v.checksum.algorithm),
              v.checksum?.type && el('ChecksumType', v.checksum.type),
              el('Size', v.body.length),
              el('StorageClass', v.storageClass),
              el('Key', encode(key)),
              el('VersionId', v.versionId),
              el('IsLatest', isLatest),
              el('LastModified', isoTime(v.lastModified)),
              ownerEl,
            ]),
      ),
      ...page.prefixes.map((p) => el('CommonPrefixes', [el('Prefix', encode(p))])),
    ]),
  );
}
