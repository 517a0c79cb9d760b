/**
 * Path-style request -> (operation, bucket, key), and each operation's IAM action.
 */
import type { SandboxRequest } from '../../core/types';

export interface Route {
  operation: string;
  bucket?: string;
  key?: string;
}

/** Bucket sub-resources and the operation per HTTP method. */
const BUCKET_SUBRESOURCES: [string, Partial<Record<string, string>>][] = [
  ['encryption', { PUT: 'PutBucketEncryption', GET: 'GetBucketEncryption', DELETE: 'DeleteBucketEncryption' }],
  ['publicAccessBlock', { PUT: 'PutPublicAccessBlock', GET: 'GetPublicAccessBlock', DELETE: 'DeletePublicAccessBlock' }],
  ['versioning', { PUT: 'PutBucketVersioning', GET: 'GetBucketVersioning' }],
  [
    'ownershipControls',
    { PUT: 'PutBucketOwnershipControls', GET: 'GetBucketOwnershipControls', DELETE: 'DeleteBucketOwnershipControls' },
  ],
  [
    'lifecycle',
    { PUT: 'PutBucketLifecycleConfiguration', GET: 'GetBucketLifecycleConfiguration', DELETE: 'DeleteBucketLifecycle' },
  ],
  ['policy', { PUT: 'PutBucketPolicy', GET: 'GetBucketPolicy', DELETE: 'DeleteBucketPolicy' }],
  ['tagging', { PUT: 'PutBucketTagging', GET: 'GetBucketTagging', DELETE: 'DeleteBucketTagging' }],
  ['object-lock', { PUT: 'PutObjectLockConfiguration', GET: 'GetObjectLockConfiguration' }],
  ['location', { GET: 'GetBucketLocation' }],
  ['uploads', { GET: 'ListMultipartUploads' }],
  ['versions', { GET: 'ListObjectVersions' }],
  ['delete', { POST: 'DeleteObjects' }],
  ['acl', { PUT: 'PutBucketAcl', GET: 'GetBucketAcl' }],
  ['cors', { PUT: 'PutBucketCors', GET: 'GetBucketCors', DELETE: 'DeleteBucketCors' }],
  ['website', { PUT: 'PutBucketWebsite', GET: 'GetBucketWebsite', DELETE: 'DeleteBucketWebsite' }],
  ['logging', { PUT: 'PutBucketLogging', GET: 'GetBucketLogging' }],
  ['notification', { PUT: 'PutBucketNotificationConfiguration', GET: 'GetBucketNotificationConfiguration' }],
  ['replication', { PUT: 'PutBucketReplication', GET: 'GetBucketReplication', DELETE: 'DeleteBucketReplication' }],
  ['policyStatus', { GET: 'GetBucketPolicyStatus' }],
];

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** Split a path-style path into bucket and key (keys keep every character, including "//"). */
export function splitPath(req: Pick<SandboxRequest, 'path' | 'rawPath'>): { bucket?: string; key?: string } {
  const raw = (req.rawPath || req.path).split('?')[0] ?? '';
  const body = raw.startsWith('/') ? raw.slice(1) : raw;
  if (body === '') return {};
  const slash = body.indexOf('/');
  const rawBucket = slash === -1 ? body : body.slice(0, slash);
  const rawKey = slash === -1 ? '' : body.slice(slash + 1);
  const bucket = decode(rawBucket) ?? rawBucket;
  const key = rawKey === '' ? undefined : (decode(rawKey) ?? rawKey);
  return key === undefined ? { bucket } : { bucket, key };
}

function header(req: Pick<SandboxRequest, 'headers'>, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function route(req: Pick<SandboxRequest, 'method' | 'path' | 'rawPath' | 'query' | 'headers'>): Route {
  const { bucket, key } = splitPath(req);
  const method = req.method.toUpperCase();
  const q = req.query;
  const base = key === undefined ? { bucket } : { bucket, key };
  if (bucket === undefined) {
    return { operation: method === 'GET' ? 'ListBuckets' : 'Unknown' };
  }
  if (key === undefined) {
    for (const [sub, ops] of BUCKET_SUBRESOURCES) {
      if (q.has(sub)) return { ...base, operation: ops[method] ?? 'Unknown' };
    }
    switch (method) {
      case 'PUT':
        return { ...base, operation: 'CreateBucket' };
      case 'HEAD':
        return { ...base, operation: 'HeadBucket' };
      case 'DELETE':
        return { ...base, operation: 'DeleteBucket' };
      case 'GET':
        return { ...base, operation: q.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects' };
      default:
        return { ...base, operation: 'Unknown' };
    }
  }
  const copy = header(req, 'x-amz-copy-source') !== undefined;
  switch (method) {
    case 'PUT':
      if (q.has('uploadId') || q.has('partNumber')) return { ...base, operation: copy ? 'UploadPartCopy' : 'UploadPart' };
      if (q.has('tagging')) return { ...base, operation: 'PutObjectTagging' };
      if (q.has('acl')) return { ...base, operation: 'PutObjectAcl' };
      return { ...base, operation: copy ? 'CopyObject' : 'PutObject' };
    case 'GET':
      if (q.has('uploadId')) return { ...base, operation: 'ListParts' };
      if (q.has('tagging')) return { ...base, operation: 'GetObjectTagging' };
      if (q.has('acl')) return { ...base, operation: 'GetObjectAcl' };
      if (q.has('attributes')) return { ...base, operation: 'GetObjectAttributes' };
      return { ...base, operation: 'GetObject' };
    case 'HEAD':
      return { ...base, operation: 'HeadObject' };
    case 'DELETE':
      if (q.has('uploadId')) return { ...base, operation: 'AbortMultipartUpload' };
      if (q.has('tagging')) return { ...base, operation: 'DeleteObjectTagging' };
      return { ...base, operation: 'DeleteObject' };
    case 'POST':
      if (q.has('uploads')) return { ...base, operation: 'CreateMultipartUpload' };
      if (q.has('uploadId')) return { ...base, operation: 'CompleteMultipartUpload' };
      return { ...base, operation: 'Unknown' };
    default:
      return { ...base, operation: 'Unknown' };
  }
}

/**
 * IAM action per implemented operation, and whether it targets the bucket ARN or the object ARN.
 * Operations missing here are not implemented.
 */
export const OPERATION_ACTIONS: Record<string, { action: string; target: 'bucket' | 'object' | 'account' }> = {
  ListBuckets: { action: 's3:ListAllMyBuckets', target: 'account' },
  CreateBucket: { action: 's3:CreateBucket', target: 'bucket' },
  HeadBucket: { action: 's3:ListBucket', target: 'bucket' },
  DeleteBucket: { action: 's3:DeleteBucket', target: 'bucket' },
  GetBucketLocation: { action: 's3:GetBucketLocation', target: 'bucket' },
  PutBucketEncryption: { action: 's3:PutEncryptionConfiguration', target: 'bucket' },
  GetBucketEncryption: { action: 's3:GetEncryptionConfiguration', target: 'bucket' },
  DeleteBucketEncryption: { action: 's3:PutEncryptionConfiguration', target: 'bucket' },
  PutPublicAccessBlock: { action: 's3:PutBucketPublicAccessBlock', target: 'bucket' },
  GetPublicAccessBlock: { action: 's3:GetBucketPublicAccessBlock', target: 'bucket' },
  DeletePublicAccessBlock: { action: 's3:PutBucketPublicAccessBlock', target: 'bucket' },
  PutBucketVersioning: { action: 's3:PutBucketVersioning', target: 'bucket' },
  GetBucketVersioning: { action: 's3:GetBucketVersioning', target: 'bucket' },
  PutBucketOwnershipControls: { action: 's3:PutBucketOwnershipControls', target: 'bucket' },
  GetBucketOwnershipControls: { action: 's3:GetBucketOwnershipControls', target: 'bucket' },
  DeleteBucketOwnershipControls: { action: 's3:PutBucketOwnershipControls', target: 'bucket' },
  PutBucketLifecycleConfiguration: { action: 's3:PutLifecycleConfiguration', target: 'bucket' },
  GetBucketLifecycleConfiguration: { action: 's3:GetLifecycleConfiguration', target: 'bucket' },
  DeleteBucketLifecycle: { action: 's3:PutLifecycleConfiguration', target: 'bucket' },
  PutBucketPolicy: { action: 's3:PutBucketPolicy', target: 'bucket' },
  GetBucketPolicy: { action: 's3:GetBucketPolicy', target: 'bucket' },
  DeleteBucketPolicy: { action: 's3:DeleteBucketPolicy', target: 'bucket' },
  PutBucketTagging: { action: 's3:PutBucketTagging', target: 'bucket' },
  GetBucketTagging: { action: 's3:GetBucketTagging', target: 'bucket' },
  DeleteBucketTagging: { action: 's3:PutBucketTagging', target: 'bucket' },
  PutObjectLockConfiguration: { action: 's3:PutBucketObjectLockConfiguration', target: 'bucket' },
  GetObjectLockConfiguration: { action: 's3:GetBucketObjectLockConfiguration', target: 'bucket' },
  ListObjects: { action: 's3:ListBucket', target: 'bucket' },
  ListObjectsV2: { action: 's3:ListBucket', target: 'bucket' },
  ListObjectVersions: { action: 's3:ListBucketVersions', target: 'bucket' },
  ListMultipartUploads: { action: 's3:ListBucketMultipartUploads', target: 'bucket' },
  PutObject: { action: 's3:PutObject', target: 'object' },
  CopyObject: { action: 's3:PutObject', target: 'object' },
  GetObject: { action: 's3:GetObject', target: 'object' },
  HeadObject: { action: 's3:GetObject', target: 'object' },
  DeleteObject: { action: 's3:DeleteObject', target: 'object' },
  /** Authorized per key inside the handler. */
  DeleteObjects: { action: 's3:DeleteObject', target: 'bucket' },
  CreateMultipartUpload: { action: 's3:PutObject', target: 'object' },
  UploadPart: { action: 's3:PutObject', target: 'object' },
  CompleteMultipartUpload: { action: 's3:PutObject', target: 'object' },
  AbortMultipartUpload: { action: 's3:AbortMultipartUpload', target: 'object' },
  ListParts: { action: 's3:ListMultipartUploadParts', target: 'object' },
  PutObjectTagging: { action: 's3:PutObjectTagging', target: 'object' },
  GetObjectTagging: { action: 's3:GetObjectTagging', target: 'object' },
  DeleteObjectTagging: { action: 's3:DeleteObjectTagging', target: 'object' },
};

/** Version-specific actions when ?versionId= is present. */
export const VERSIONED_ACTIONS: Record<string, string> = {
  's3:GetObject': 's3:GetObjectVersion',
  's3:DeleteObject': 's3:DeleteObjectVersion',
  's3:PutObjectTagging': 's3:PutObjectVersionTagging',
  's3:GetObjectTagging': 's3:GetObjectVersionTagging',
  's3:DeleteObjectTagging': 's3:DeleteObjectVersionTagging',
};

export function bucketArn(bucket: string): string {
  return `arn:aws:s3:::${bucket}`;
}

export function objectArn(bucket: string, key: string): string {
  return `arn:aws:s3:::${bucket}/${key}`;
}
