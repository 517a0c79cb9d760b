/**
 * S3 (rest-xml, path-style) for the local AWS sandbox. Buckets live in one global namespace across
 * accounts; every request is authorized through the kernel with the bucket policy attached.
 */
import { AwsError } from '../../core/errors';
import type { SandboxKernel, SandboxRequest, SandboxResponse, SandboxService } from '../../core/types';
import { createBucket, deleteBucket, getBucketLocation, headBucket, listBuckets } from './buckets';
import { verifyBodyDigests, type StoredChecksum } from './checksums';
import * as config from './config';
import {
  accessDenied,
  header,
  noSuchBucket,
  notImplemented,
  type BaseContext,
  type BucketContext,
  type BucketHandler,
  type ObjectContext,
  type S3State,
} from './context';
import { listObjects, listObjectsV2, listObjectVersions } from './listing';
import { restoreBuckets, snapshotBuckets, type Bucket } from './model';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
} from './multipart';
import {
  copyObject,
  deleteObject,
  deleteObjects,
  deleteObjectTagging,
  getObject,
  getObjectTagging,
  headObject,
  putObject,
  putObjectTagging,
} from './objects';
import { bucketArn, objectArn, OPERATION_ACTIONS, route, VERSIONED_ACTIONS, type Route } from './routes';

const BUCKET_HANDLERS: Record<string, BucketHandler> = {
  HeadBucket: headBucket,
  DeleteBucket: deleteBucket,
  GetBucketLocation: getBucketLocation,
  PutBucketEncryption: config.putBucketEncryption,
  GetBucketEncryption: config.getBucketEncryption,
  DeleteBucketEncryption: config.deleteBucketEncryption,
  PutPublicAccessBlock: config.putPublicAccessBlock,
  GetPublicAccessBlock: config.getPublicAccessBlock,
  DeletePublicAccessBlock: config.deletePublicAccessBlock,
  PutBucketVersioning: config.putBucketVersioning,
  GetBucketVersioning: config.getBucketVersioning,
  PutBucketOwnershipControls: config.putBucketOwnershipControls,
  GetBucketOwnershipControls: config.getBucketOwnershipControls,
  DeleteBucketOwnershipControls: config.deleteBucketOwnershipControls,
  PutBucketLifecycleConfiguration: config.putBucketLifecycleConfiguration,
  GetBucketLifecycleConfiguration: config.getBucketLifecycleConfiguration,
  DeleteBucketLifecycle: config.deleteBucketLifecycle,
  PutBucketPolicy: config.putBucketPolicy,
  GetBucketPolicy: config.getBucketPolicy,
  DeleteBucketPolicy: config.deleteBucketPolicy,
  PutBucketTagging: config.putBucketTagging,
  GetBucketTagging: config.getBucketTagging,
  DeleteBucketTagging: config.deleteBucketTagging,
  PutObjectLockConfiguration: config.putObjectLockConfiguration,
  GetObjectLockConfiguration: config.getObjectLockConfiguration,
  ListObjects: listObjects,
  ListObjectsV2: listObjectsV2,
  ListObjectVersions: listObjectVersions,
  ListMultipartUploads: listMultipartUploads,
  DeleteObjects: deleteObjects,
};

/** Object handlers; those that store a body also receive its verified x-amz-checksum-*. */
type ChecksummedObjectHandler = (ctx: ObjectContext, verified: StoredChecksum | undefined) => Promise<SandboxResponse> | SandboxResponse;

const OBJECT_HANDLERS: Record<string, ChecksummedObjectHandler> = {
  PutObject: putObject,
  CopyObject: copyObject,
  GetObject: getObject,
  HeadObject: headObject,
  DeleteObject: deleteObject,
  PutObjectTagging: putObjectTagging,
  GetObjectTagging: getObjectTagging,
  DeleteObjectTagging: deleteObjectTagging,
  CreateMultipartUpload: createMultipartUpload,
  UploadPart: uploadPart,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listParts,
};

/** The bucket owner's root may always manage the bucket policy, even when the policy denies it. */
const POLICY_OPERATIONS = new Set(['PutBucketPolicy', 'GetBucketPolicy', 'DeleteBucketPolicy']);
/** Operations whose x-amz-checksum-* headers describe something other than the request body. */
const BODY_CHECKSUM_EXEMPT = new Set(['CompleteMultipartUpload', 'CopyObject']);
/** Operations S3 rejects without Content-MD5 or a flexible checksum (the SDK always sends one). */
const REQUIRES_DIGEST = new Set(['DeleteObjects', 'PutBucketLifecycleConfiguration']);
/** S3 answers GetBucketLocation for a bucket in any region, whatever endpoint it was sent to. */
const REGION_AGNOSTIC = new Set(['GetBucketLocation']);

function requireDigest(req: SandboxRequest): void {
  const has = header(req, 'content-md5') !== undefined || Object.keys(req.headers).some((h) => h.startsWith('x-amz-checksum-'));
  if (!has) throw new AwsError('InvalidRequest', 'Missing required header for this request: Content-MD5', 400);
}

function queryContext(req: SandboxRequest, route: Route): Record<string, string> {
  const ctx: Record<string, string> = {};
  const q = req.query;
  if (route.operation.startsWith('ListObject')) {
    const prefix = q.get('prefix');
    if (prefix !== null) ctx['s3:prefix'] = prefix;
    const delimiter = q.get('delimiter');
    if (delimiter !== null) ctx['s3:delimiter'] = delimiter;
    const maxKeys = q.get('max-keys');
    if (maxKeys !== null) ctx['s3:max-keys'] = maxKeys;
  }
  if (['PutObject', 'CopyObject', 'CreateMultipartUpload'].includes(route.operation)) {
    for (const name of [
      'x-amz-server-side-encryption',
      'x-amz-server-side-encryption-aws-kms-key-id',
      'x-amz-acl',
      'x-amz-storage-class',
      'x-amz-copy-source',
      'x-amz-metadata-directive',
    ]) {
      const v = header(req, name);
      if (v !== undefined) ctx[`s3:${name}`] = v;
    }
  }
  const versionId = q.get('versionId');
  if (versionId !== null && route.key !== undefined) ctx['s3:versionid'] = versionId;
  return ctx;
}

export class S3Service implements SandboxService {
  readonly name = 's3' as const;
  readonly protocol = 'rest-xml' as const;
  private state: S3State = { buckets: new Map() };

  constructor(private readonly kernel: SandboxKernel) {}

  operationName(req: SandboxRequest): string {
    return route(req).operation;
  }

  async handle(req: SandboxRequest): Promise<SandboxResponse> {
    const r = route(req);
    const spec = OPERATION_ACTIONS[r.operation];
    if (!spec) throw notImplemented();
    const base = this.baseContext(req);
    if (r.operation === 'ListBuckets') {
      await this.require(base, spec.action, 'arn:aws:s3:::*', req.principal.accountId);
      return listBuckets(base);
    }
    if (r.bucket === undefined) throw notImplemented();
    if (r.operation === 'CreateBucket') return createBucket(base, r.bucket);

    const bucket = this.state.buckets.get(r.bucket);
    if (!bucket) throw noSuchBucket(r.bucket);
    const wrongRegion = bucket.region !== req.region && !REGION_AGNOSTIC.has(r.operation);
    if (wrongRegion) {
      if (r.operation === 'HeadBucket') return { status: 301, headers: { 'x-amz-bucket-region': bucket.region } };
      throw new AwsError(
        'PermanentRedirect',
        'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.',
        301,
        'Sender',
        { Bucket: bucket.name, Endpoint: `s3.${bucket.region}.amazonaws.com` },
      );
    }

    // ExpectedBucketOwner: S3 answers 403 when the bucket belongs to another account.
    const expectedOwner = header(req, 'x-amz-expected-bucket-owner');
    if (expectedOwner !== undefined && expectedOwner !== bucket.owner) throw accessDenied();

    const bucketCtx: BucketContext = { ...base, bucket };
    const policyOpByOwnerRoot =
      POLICY_OPERATIONS.has(r.operation) && req.principal.kind === 'root' && req.principal.accountId === bucket.owner;
    if (r.operation !== 'DeleteObjects' && !policyOpByOwnerRoot) {
      const versioned = req.query.get('versionId') !== null && r.key !== undefined;
      const action = (versioned ? VERSIONED_ACTIONS[spec.action] : undefined) ?? spec.action;
      const resource = spec.target === 'object' && r.key !== undefined ? objectArn(bucket.name, r.key) : bucketArn(bucket.name);
      if (!(await base.allowed(action, resource, bucket, queryContext(req, r)))) throw accessDenied();
    }

    if (REQUIRES_DIGEST.has(r.operation)) requireDigest(req);
    const verified = BODY_CHECKSUM_EXEMPT.has(r.operation) ? undefined : verifyBodyDigests(req.headers, req.body);
    if (spec.target === 'object') {
      const handler = OBJECT_HANDLERS[r.operation];
      if (!handler || r.key === undefined) throw notImplemented();
      return handler({ ...bucketCtx, key: r.key }, verified);
    }
    const handler = BUCKET_HANDLERS[r.operation];
    if (!handler) throw notImplemented();
    return handler(bucketCtx);
  }

  snapshot(): unknown {
    return snapshotBuckets(this.state.buckets);
  }

  restore(data: unknown): void {
    this.state = { buckets: restoreBuckets(data) };
  }

  inventory(accountId: string): Record<string, string[]> {
    const owned = [...this.state.buckets.values()]
      .filter((b) => b.owner === accountId)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const objects: string[] = [];
    const uploads: string[] = [];
    for (const b of owned) {
      for (const [key, versions] of b.objects) if (versions[0] && !versions[0].deleteMarker) objects.push(`${b.name}/${key}`);
      for (const u of b.uploads.values()) uploads.push(`${b.name}/${u.key}#${u.uploadId}`);
    }
    return { buckets: owned.map((b) => b.name), objects: objects.sort(), multipartUploads: uploads.sort() };
  }

  private baseContext(req: SandboxRequest): BaseContext {
    const kernel = this.kernel;
    return {
      req,
      kernel,
      state: this.state,
      now: kernel.now(),
      allowed: async (action: string, resource: string, bucket: Bucket, context?: Record<string, string | string[]>) => {
        const decision = await kernel.authorize({
          principal: req.principal,
          action,
          resource,
          resourceAccount: bucket.owner,
          ...(bucket.policy !== undefined ? { resourcePolicy: bucket.policy } : {}),
          ...(context && Object.keys(context).length > 0 ? { context } : {}),
        });
        return decision.allowed;
      },
    };
  }

  private async require(ctx: BaseContext, action: string, resource: string, account: string): Promise<void> {
    const decision = await ctx.kernel.authorize({ principal: ctx.req.principal, action, resource, resourceAccount: account });
    if (!decision.allowed) throw accessDenied();
  }
}
