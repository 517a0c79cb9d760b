/** S3 state: buckets, object versions and multipart uploads, plus their JSON snapshot form. */
import { createHash } from 'node:crypto';
import type { StoredChecksum } from './checksums';
import type { XmlElement } from './xml';

export type SseAlgorithm = 'AES256' | 'aws:kms' | 'aws:kms:dsse';
export type ObjectOwnership = 'BucketOwnerEnforced' | 'BucketOwnerPreferred' | 'ObjectWriter';
export type VersioningStatus = 'Enabled' | 'Suspended';

export interface EncryptionRule {
  algorithm: SseAlgorithm;
  kmsMasterKeyId?: string;
  bucketKeyEnabled: boolean;
  /** e.g. ["SSE-C"] (new buckets block SSE-C since April 2026) or ["NONE"]. */
  blockedEncryptionTypes: string[];
}

export interface PublicAccessBlock {
  BlockPublicAcls: boolean;
  IgnorePublicAcls: boolean;
  BlockPublicPolicy: boolean;
  RestrictPublicBuckets: boolean;
}

export interface Tag {
  Key: string;
  Value: string;
}

/** What an object version carries besides its bytes. */
export interface ObjectVersion {
  versionId: string;
  deleteMarker: boolean;
  body: Buffer;
  /** Quoted, e.g. "\"d41d8cd98f00b204e9800998ecf8427e\"" or "\"...-3\"". */
  etag: string;
  lastModified: number;
  /** Stored representation headers: content-type, cache-control, ..., x-amz-meta-*. */
  headers: Record<string, string>;
  sse?: { algorithm: SseAlgorithm; kmsKeyId?: string; bucketKeyEnabled: boolean };
  checksum?: StoredChecksum;
  storageClass: string;
  /** Number of parts for objects created by multipart upload. */
  partsCount?: number;
  tags: Tag[];
  /** Account that wrote the version. */
  writer: string;
}

export interface UploadPart {
  partNumber: number;
  body: Buffer;
  etag: string;
  lastModified: number;
  checksum?: StoredChecksum;
}

export interface MultipartUpload {
  uploadId: string;
  key: string;
  initiated: number;
  initiatorArn: string;
  initiatorAccount: string;
  headers: Record<string, string>;
  sse?: ObjectVersion['sse'];
  storageClass: string;
  checksumAlgorithm?: StoredChecksum['algorithm'];
  checksumType?: 'COMPOSITE' | 'FULL_OBJECT';
  tags: Tag[];
  parts: Map<number, UploadPart>;
}

export interface Bucket {
  name: string;
  owner: string;
  region: string;
  created: number;
  objectLockEnabled: boolean;
  /** <Rule> of ObjectLockConfiguration, kept as sent. */
  objectLockRule?: XmlElement;
  versioning?: VersioningStatus;
  mfaDelete?: 'Enabled' | 'Disabled';
  encryption: EncryptionRule;
  publicAccessBlock?: PublicAccessBlock;
  ownership?: ObjectOwnership;
  /** Validated <Rule> elements. */
  lifecycle?: XmlElement[];
  policy?: string;
  tags?: Tag[];
  /** key -> versions, newest first. */
  objects: Map<string, ObjectVersion[]>;
  uploads: Map<string, MultipartUpload>;
}

export function defaultEncryption(): EncryptionRule {
  return { algorithm: 'AES256', bucketKeyEnabled: false, blockedEncryptionTypes: ['SSE-C'] };
}

/** Stable 64-hex canonical user id per account (S3's Owner/ID). */
export function canonicalUserId(accountId: string): string {
  return createHash('sha256').update(`s3-canonical-user:${accountId}`).digest('hex');
}

export function latestVersion(bucket: Bucket, key: string): ObjectVersion | undefined {
  return bucket.objects.get(key)?.[0];
}

/** Latest version when it is a real object (not a delete marker). */
export function currentObject(bucket: Bucket, key: string): ObjectVersion | undefined {
  const v = latestVersion(bucket, key);
  return v && !v.deleteMarker ? v : undefined;
}

// ---- snapshot form -------------------------------------------------------------------------

type Serialised<T> = Omit<T, 'body'> & { body: string };

interface UploadSnapshot extends Omit<MultipartUpload, 'parts'> {
  parts: Serialised<UploadPart>[];
}

interface BucketSnapshot extends Omit<Bucket, 'objects' | 'uploads'> {
  objects: [string, Serialised<ObjectVersion>[]][];
  uploads: UploadSnapshot[];
}

export interface S3Snapshot {
  version: 1;
  buckets: BucketSnapshot[];
}

export function snapshotBuckets(buckets: Map<string, Bucket>): S3Snapshot {
  return {
    version: 1,
    buckets: [...buckets.values()].map((b) => ({
      ...b,
      objects: [...b.objects.entries()].map(([k, vs]) => [k, vs.map((v) => ({ ...v, body: v.body.toString('base64') }))]),
      uploads: [...b.uploads.values()].map((u) => ({
        ...u,
        parts: [...u.parts.values()].map((p) => ({ ...p, body: p.body.toString('base64') })),
      })),
    })),
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Inverse of snapshotBuckets. The snapshot is our own output, so only its envelope is checked. */
export function restoreBuckets(data: unknown): Map<string, Bucket> {
  const out = new Map<string, Bucket>();
  if (!isRecord(data) || data.version !== 1 || !Array.isArray(data.buckets)) return out;
  for (const raw of data.buckets as BucketSnapshot[]) {
    const objects = new Map<string, ObjectVersion[]>(
      raw.objects.map(([k, vs]) => [k, vs.map((v) => ({ ...v, body: Buffer.from(v.body, 'base64') }))]),
    );
    const uploads = new Map<string, MultipartUpload>(
      raw.uploads.map((u) => [
        u.uploadId,
        { ...u, parts: new Map(u.parts.map((p) => [p.partNumber, { ...p, body: Buffer.from(p.body, 'base64') }])) },
      ]),
    );
    out.set(raw.name, { ...raw, objects, uploads });
  }
  return out;
}
