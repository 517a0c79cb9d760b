/**
 * Ensure / undo the tenant's Velero backup bucket. Idempotent: creates if missing (write-ahead intent first, so a
 * crash between CreateBucket and tagging still leaves a bucket this execution knows is its own), then converges the
 * configuration. An existing bucket is used only under the ownership rule (lambdas/domain/ownership.ts); an adopted
 * one is never weakened: its SSE-KMS, versioning, policy statements and lifecycle rules are kept.
 */
import {
  BucketAlreadyExists,
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  DeleteBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetObjectLockConfigurationCommand,
  GetBucketVersioningCommand,
  HeadBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type BucketLocationConstraint,
  S3Client,
} from '@aws-sdk/client-s3';
import { resourceKey } from '../../domain/names';
import { marksToApply, type Ownership } from '../../domain/ownership';
import { mergePolicyStatements, policyDocumentsEqual, tlsOnlyBucketPolicy } from '../../domain/policies';
import { tenantSession } from '../../domain/session-policies';
import { COMPENSATION, type Removal } from '../../domain/removal';
import type { BucketResult, AwsPlan } from '../../domain/workflow-state';
import { tenantClient } from '../../shared/aws-clients';
import { awsCall, BucketConfigurationError, BucketConflictError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import { TenantOwnership } from '../registry/ownership';

const errName = (e: unknown) => (e instanceof Error ? e.name : '');
const LIFECYCLE_RULE_ID = 'palette-onboarding';

/** Runs an S3 read; the "not configured" error `missing` becomes undefined. */
async function orMissing<T>(fn: () => Promise<T>, missing: string): Promise<T | undefined> {
  try {
    return await awsCall(fn);
  } catch (e) {
    if (errName(e) === missing || (e as { Code?: string }).Code === missing) return undefined;
    throw e;
  }
}

async function currentTags(s3: S3Client, bucket: string): Promise<Record<string, string>> {
  try {
    const out = await awsCall(() => s3.send(new GetBucketTaggingCommand({ Bucket: bucket })));
    return Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  } catch (e) {
    if (errName(e) === 'NoSuchTagSet') return {};
    throw e;
  }
}

export async function ensureBucket(plan: AwsPlan): Promise<BucketResult> {
  const { region, partition } = plan.target;
  const s3 = tenantClient(S3Client, plan.target, tenantSession(plan, 'bucket-ensure'), region);
  const Bucket = plan.bucketName;
  const ownership = await TenantOwnership.load(plan);
  const key = resourceKey.bucket(partition, Bucket);
  let decision: Ownership | 'created' | undefined;
  if (!(await bucketExists(s3, Bucket))) {
    await ownership.intend(key);
    try {
      await awsCall(() =>
        s3.send(
          new CreateBucketCommand({
            Bucket,
            ...(region === 'us-east-1'
              ? {}
              : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
            ObjectOwnership: 'BucketOwnerEnforced',
          }),
        ),
      );
      decision = 'created';
    } catch (e) {
      if (e instanceof BucketAlreadyExists) throw conflict(Bucket);
      // Ours already (a lost response of this execution's own create, or made meanwhile): decided below.
      if (!(e instanceof BucketAlreadyOwnedByYou)) throw e;
    }
  }
  const existingTags = await currentTags(s3, Bucket);
  decision ??= ownership.decide({
    key,
    object: `S3 bucket '${Bucket}' in account ${plan.target.accountId}`,
    marks: existingTags,
    adopt: plan.adopt.bucket,
    adoptField: 'aws.bucket.adopt',
  });
  const result = await converge(s3, plan, decision, existingTags);
  await ownership.record({ key, part: 'bucket', id: plan.bucketArn, name: Bucket, ownership: decision });
  return result;
}

const conflict = (bucket: string) =>
  new BucketConflictError(`Bucket ${bucket} already exists and is owned by another AWS account`);

/** HeadBucket: 200 = ours (or readable), 404 = free, 403 = someone else's. */
async function bucketExists(s3: S3Client, Bucket: string): Promise<boolean> {
  try {
    await awsCall(() => s3.send(new HeadBucketCommand({ Bucket })));
    return true;
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (errName(e) === 'NotFound' || errName(e) === 'NoSuchBucket' || status === 404) return false;
    if (status === 403) throw conflict(Bucket);
    throw e;
  }
}

/** The bucket's default encryption now: algorithm and key, or undefined when none is configured. */
async function currentEncryption(s3: S3Client, Bucket: string): Promise<{ algorithm: string; kmsKeyId?: string } | undefined> {
  const out = await orMissing(
    () => s3.send(new GetBucketEncryptionCommand({ Bucket })),
    'ServerSideEncryptionConfigurationNotFoundError',
  );
  const rule = out?.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
  if (!rule?.SSEAlgorithm) return undefined;
  return { algorithm: rule.SSEAlgorithm, ...(rule.KMSMasterKeyID ? { kmsKeyId: rule.KMSMasterKeyID } : {}) };
}

/** A KMS key id as configured (key ARN, alias ARN or bare id) matches the plan's key ARN. */
const sameKmsKey = (configured: string | undefined, planned: string): boolean =>
  configured !== undefined && (configured === planned || planned.endsWith(`/${configured}`) || configured.endsWith(planned.split('/').pop() ?? planned));

async function converge(
  s3: S3Client,
  plan: AwsPlan,
  decision: Ownership | 'created',
  existingTags: Record<string, string>,
): Promise<BucketResult> {
  const { region, partition } = plan.target;
  const Bucket = plan.bucketName;
  const created = decision === 'created';
  const adopted = decision !== 'created' && decision.kind === 'adopt';
  if (!created) {
    // Velero cannot write to a bucket with Object Lock: an existing bucket with it is rejected, never changed.
    const lock = await orMissing(() => s3.send(new GetObjectLockConfigurationCommand({ Bucket })), 'ObjectLockConfigurationNotFoundError');
    if (lock?.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled') {
      throw new BucketConfigurationError(
        `Bucket ${Bucket} has Object Lock enabled, which Velero cannot use: choose another bucket (aws.bucket.name)`,
      );
    }
  }
  // Adopting never weakens: an adopted bucket's SSE-KMS is never replaced (by SSE-S3 or by another key).
  const encryption = adopted ? await currentEncryption(s3, Bucket) : undefined;
  if (encryption?.algorithm.startsWith('aws:kms') && !(plan.kmsKeyArn && sameKmsKey(encryption.kmsKeyId, plan.kmsKeyArn))) {
    throw new BucketConfigurationError(
      `Bucket ${Bucket} is encrypted with SSE-KMS (key ${encryption.kmsKeyId ?? 'aws/s3'}); adopting it never weakens or replaces that: ` +
        `set aws.bucket.kmsKeyArn to that key so the backup policy may use it`,
    );
  }

  await awsCall(() =>
    s3.send(
      new PutPublicAccessBlockCommand({
        Bucket,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        },
      }),
    ),
  );
  if (!(encryption?.algorithm.startsWith('aws:kms'))) {
    await awsCall(() =>
      s3.send(
        new PutBucketEncryptionCommand({
          Bucket,
          ServerSideEncryptionConfiguration: {
            Rules: [
              plan.kmsKeyArn
                ? {
                    ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: plan.kmsKeyArn },
                    BucketKeyEnabled: true,
                  }
                : { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
            ],
          },
        }),
      ),
    );
  }
  const versioning = await awsCall(() => s3.send(new GetBucketVersioningCommand({ Bucket })));
  let wanted: 'Enabled' | 'Suspended' | undefined = plan.versioning ? 'Enabled' : versioning.Status === 'Enabled' ? 'Suspended' : undefined;
  if (adopted && wanted === 'Suspended') {
    // Adopting never weakens: an adopted bucket's versioning stays on.
    logger.warn('Adopted bucket keeps versioning enabled (aws.bucket.versioning is false)', { bucket: Bucket });
    wanted = undefined;
  }
  if (wanted && versioning.Status !== wanted) {
    await awsCall(() => s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: wanted } })));
  }
  await awsCall(() =>
    s3.send(
      new PutBucketOwnershipControlsCommand({
        Bucket,
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      }),
    ),
  );
  // The bucket's own policy statements are kept; ours is added or replaced (by Sid).
  const currentPolicy = await orMissing(() => s3.send(new GetBucketPolicyCommand({ Bucket })), 'NoSuchBucketPolicy');
  const policy = mergePolicyStatements(currentPolicy?.Policy, tlsOnlyBucketPolicy({ partition, bucketName: Bucket }));
  if (!currentPolicy?.Policy || !policyDocumentsEqual(currentPolicy.Policy, policy)) {
    await awsCall(() => s3.send(new PutBucketPolicyCommand({ Bucket, Policy: JSON.stringify(policy) })));
  }
  // Marks: created-by only on a bucket this execution created (it decides who may delete the bucket).
  const tags = marksToApply(plan.tags, created ? undefined : existingTags, {
    createdByThisExecution: created || (decision.kind === 'own' && decision.createdByThisExecution),
  });
  if (Object.entries(tags).some(([k, v]) => existingTags[k] !== v)) {
    await awsCall(() =>
      s3.send(
        new PutBucketTaggingCommand({
          Bucket,
          Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
        }),
      ),
    );
  }
  if (plan.lifecycle) {
    const lc = plan.lifecycle;
    // Other lifecycle rules of the bucket are kept; ours (ID palette-onboarding) is added or replaced.
    const currentRules =
      (await orMissing(() => s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket })), 'NoSuchLifecycleConfiguration'))?.Rules ?? [];
    await awsCall(() =>
      s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket,
          LifecycleConfiguration: {
            Rules: [
              ...currentRules.filter((r) => r.ID !== LIFECYCLE_RULE_ID),
              {
                ID: LIFECYCLE_RULE_ID,
                Status: 'Enabled',
                Filter: { Prefix: '' },
                ...(lc.noncurrentVersionExpirationDays
                  ? { NoncurrentVersionExpiration: { NoncurrentDays: lc.noncurrentVersionExpirationDays } }
                  : {}),
                ...(lc.abortIncompleteMultipartUploadDays
                  ? { AbortIncompleteMultipartUpload: { DaysAfterInitiation: lc.abortIncompleteMultipartUploadDays } }
                  : {}),
              },
            ],
          },
        }),
      ),
    );
  }
  return { bucketName: Bucket, bucketArn: plan.bucketArn, region, created, ...(adopted ? { adopted: true } : {}) };
}

export interface UndoResult {
  deleted: string[];
  retained: { id: string; reason: string }[];
}

/**
 * Compensation: deletes the bucket only if this execution created it (its created-by tag, or the registry: this
 * execution's intent when it died before tagging) and it is empty; otherwise retains it.
 * Offboarding (`removal.mode === 'offboarding'`): the tenant's bucket is retained with its backups unless the request
 * asks `deleteBucket`; one holding objects is deleted only with `purgeBucket` (every object version first).
 */
export async function undoBucket(plan: AwsPlan, removal: Removal = COMPENSATION): Promise<UndoResult> {
  const s3 = tenantClient(S3Client, plan.target, tenantSession(plan, 'bucket-undo'), plan.target.region);
  const Bucket = plan.bucketName;
  const ownership = await TenantOwnership.load(plan, removal);
  const key = resourceKey.bucket(plan.target.partition, Bucket);
  let tags: Record<string, string>;
  try {
    tags = await currentTags(s3, Bucket);
  } catch (e) {
    if (errName(e) === 'NoSuchBucket') {
      await ownership.forget(key);
      return { deleted: [], retained: [] };
    }
    throw e;
  }
  const decision = ownership.mayRemove(key, tags);
  if (!decision.remove) return { deleted: [], retained: ownership.kept(plan.bucketArn, decision.reason) };
  if (removal.mode === 'offboarding' && !removal.deleteBucket) {
    return { deleted: [], retained: [{ id: plan.bucketArn, reason: 'retained with its backups (offboard with deleteBucket to remove it)' }] };
  }
  // Current objects mean someone stored data: keep the bucket (unless offboarding purges it). Without them, what
  // remains are noncurrent versions and delete markers (e.g. Palette's validation probe), which go with the bucket.
  const current = await awsCall(() => s3.send(new ListObjectsV2Command({ Bucket, MaxKeys: 1 })));
  const purge = removal.mode === 'offboarding' && removal.purgeBucket;
  if ((current.KeyCount ?? current.Contents?.length ?? 0) > 0 && !purge) {
    return {
      deleted: [],
      retained: [{ id: plan.bucketArn, reason: removal.mode === 'offboarding' ? 'bucket holds objects (backups); retained (offboard with purgeBucket to delete them)' : 'bucket is not empty; retained' }],
    };
  }
  await purgeVersions(s3, Bucket);
  await awsCall(() => s3.send(new DeleteBucketCommand({ Bucket })));
  await ownership.forget(key);
  return { deleted: [plan.bucketArn], retained: [] };
}

/** Deletes every object version and delete marker (the bucket has no current objects). */
async function purgeVersions(s3: S3Client, Bucket: string): Promise<void> {
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  for (;;) {
    const page = await awsCall(() => s3.send(new ListObjectVersionsCommand({ Bucket, KeyMarker, VersionIdMarker })));
    const Objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]
      .filter((v) => v.Key !== undefined)
      .map((v) => ({ Key: v.Key, VersionId: v.VersionId }));
    if (Objects.length > 0) {
      await awsCall(() => s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects, Quiet: true } })));
    }
    if (!page.IsTruncated) return;
    KeyMarker = page.NextKeyMarker;
    VersionIdMarker = page.NextVersionIdMarker;
  }
}
