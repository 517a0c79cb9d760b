/**
 * Re-validation's reads in the tenant account (session scope `revalidate`, lambdas/domain/session-policies.ts: read
 * actions only): the bucket's configuration, the backup policy and where it is attached, the role's trust policy or
 * the user's access keys, each turned into a plain observation for lambdas/domain/drift.ts. Nothing is changed.
 */
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetUserCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  type AttachedPolicy,
  type IAMClient,
} from '@aws-sdk/client-iam';
import {
  GetBucketEncryptionCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { BucketObservation, PolicyObservation, RoleObservation, UserObservation } from '../../domain/drift';
import type { AwsPlan } from '../../domain/workflow-state';
import { awsCall, OwnershipError } from '../../shared/errors';
import { lookUpTenantObject, tagMap } from '../aws/iam-util';

const errName = (e: unknown) => (e instanceof Error ? e.name : '');

/** An S3 read whose "not configured" answer (`missing`) is undefined. */
async function orMissing<T>(fn: () => Promise<T>, missing: string): Promise<T | undefined> {
  try {
    return await awsCall(fn);
  } catch (e) {
    if (errName(e) === missing || (e as { Code?: string }).Code === missing) return undefined;
    throw e;
  }
}

/** The bucket's guardrails and marks; `{exists: false}` when there is no such bucket. */
export async function observeBucket(s3: S3Client, Bucket: string): Promise<BucketObservation> {
  let tags: Record<string, string>;
  try {
    const out = await orMissing(() => s3.send(new GetBucketTaggingCommand({ Bucket })), 'NoSuchTagSet');
    tags = Object.fromEntries((out?.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  } catch (e) {
    if (errName(e) === 'NoSuchBucket') return { exists: false };
    throw e;
  }
  const [encryption, pab, policy, versioning, ownership] = await Promise.all([
    orMissing(() => s3.send(new GetBucketEncryptionCommand({ Bucket })), 'ServerSideEncryptionConfigurationNotFoundError'),
    orMissing(() => s3.send(new GetPublicAccessBlockCommand({ Bucket })), 'NoSuchPublicAccessBlockConfiguration'),
    orMissing(() => s3.send(new GetBucketPolicyCommand({ Bucket })), 'NoSuchBucketPolicy'),
    awsCall(() => s3.send(new GetBucketVersioningCommand({ Bucket }))),
    orMissing(() => s3.send(new GetBucketOwnershipControlsCommand({ Bucket })), 'OwnershipControlsNotFoundError'),
  ]);
  const rule = encryption?.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
  const block = pab?.PublicAccessBlockConfiguration;
  return {
    exists: true,
    tags,
    ...(rule?.SSEAlgorithm ? { encryption: { algorithm: rule.SSEAlgorithm, ...(rule.KMSMasterKeyID ? { kmsKeyId: rule.KMSMasterKeyID } : {}) } } : {}),
    ...(block
      ? {
          publicAccessBlock: {
            ...(block.BlockPublicAcls !== undefined ? { BlockPublicAcls: block.BlockPublicAcls } : {}),
            ...(block.IgnorePublicAcls !== undefined ? { IgnorePublicAcls: block.IgnorePublicAcls } : {}),
            ...(block.BlockPublicPolicy !== undefined ? { BlockPublicPolicy: block.BlockPublicPolicy } : {}),
            ...(block.RestrictPublicBuckets !== undefined ? { RestrictPublicBuckets: block.RestrictPublicBuckets } : {}),
          },
        }
      : {}),
    ...(policy?.Policy ? { policy: policy.Policy } : {}),
    ...(versioning.Status ? { versioning: versioning.Status } : {}),
    ...(ownership?.OwnershipControls?.Rules?.[0]?.ObjectOwnership ? { objectOwnership: ownership.OwnershipControls.Rules[0].ObjectOwnership } : {}),
  };
}

/**
 * A look-up through the tenant's session: NoSuchEntity is undefined, another tenant's mark (the session may not read
 * it: OwnershipError) is 'foreign'.
 */
async function lookUp<T>(what: string, plan: AwsPlan, fn: () => Promise<T>): Promise<T | undefined | 'foreign'> {
  try {
    return await lookUpTenantObject(what, plan.tenantId, fn);
  } catch (e) {
    if (e instanceof OwnershipError) return 'foreign';
    throw e;
  }
}

/** IAM returns policy documents URL-encoded. */
const decoded = (doc: string | undefined): string => (doc ? decodeURIComponent(doc) : '{}');

/** The role's trust policy and marks (sts). */
export async function observeRole(iam: IAMClient, plan: AwsPlan): Promise<RoleObservation> {
  const RoleName = plan.principalName;
  const found = await lookUp(`IAM role '${RoleName}'`, plan, () => iam.send(new GetRoleCommand({ RoleName })));
  if (found === 'foreign') return { foreign: true };
  if (!found?.Role) return { exists: false };
  return { exists: true, tags: tagMap(found.Role.Tags), trustPolicy: decoded(found.Role.AssumeRolePolicyDocument) };
}

/** The user's marks and access keys (static). */
export async function observeUser(iam: IAMClient, plan: AwsPlan): Promise<UserObservation> {
  const UserName = plan.principalName;
  const found = await lookUp(`IAM user '${UserName}'`, plan, () => iam.send(new GetUserCommand({ UserName })));
  if (found === 'foreign') return { foreign: true };
  if (!found?.User) return { exists: false };
  const keys = (await awsCall(() => iam.send(new ListAccessKeysCommand({ UserName })))).AccessKeyMetadata ?? [];
  return {
    exists: true,
    tags: tagMap(found.User.Tags),
    accessKeys: keys
      .filter((k) => k.AccessKeyId !== undefined)
      .map((k) => ({ accessKeyId: k.AccessKeyId as string, active: k.Status === 'Active', ...(k.CreateDate ? { createdAt: k.CreateDate.toISOString() } : {}) })),
  };
}

/**
 * The backup policy: its marks, its default version's document, and whether it is attached to the tenant's role / user
 * (`principalExists` false: not asked, the principal is gone).
 */
export async function observePolicy(iam: IAMClient, plan: AwsPlan, principalExists: boolean): Promise<PolicyObservation> {
  const PolicyArn = plan.policyArn;
  const found = await lookUp(`IAM policy '${PolicyArn}'`, plan, () => iam.send(new GetPolicyCommand({ PolicyArn })));
  if (found === 'foreign') return { foreign: true };
  const policy = found?.Policy;
  if (!policy) return { exists: false };
  const VersionId = policy.DefaultVersionId;
  const version = await awsCall(() => iam.send(new GetPolicyVersionCommand({ PolicyArn, VersionId })));
  let attached: boolean | undefined;
  if (principalExists) {
    const name = plan.principalName;
    const list: AttachedPolicy[] =
      plan.credentialMode === 'sts'
        ? ((await awsCall(() => iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name })))).AttachedPolicies ?? [])
        : ((await awsCall(() => iam.send(new ListAttachedUserPoliciesCommand({ UserName: name })))).AttachedPolicies ?? []);
    attached = list.some((p) => p.PolicyArn === PolicyArn);
  }
  return {
    exists: true,
    tags: tagMap(policy.Tags),
    ...(VersionId ? { defaultVersionId: VersionId } : {}),
    document: decoded(version.PolicyVersion?.Document),
    ...(attached !== undefined ? { attached } : {}),
  };
}
