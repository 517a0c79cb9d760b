/**
 * What each workflow job may do in a tenant account, as ONE table: the session policy every AssumeRole into a
 * tenant account passes (so the admin execution role is narrowed to this job's actions on this tenant's resource
 * names), and the action lists the CDK grants to the same job in the home account (cdk/lib/permissions.ts), where
 * the names are patterns because tenants are not known at deploy time.
 *
 * | scope          | function(s)                         | resources (this tenant's only)                              |
 * | -------------- | ----------------------------------- | ----------------------------------------------------------- |
 * | bucket-ensure  | ensure-bucket                       | the bucket                                                  |
 * | bucket-undo    | undo-bucket                         | the bucket, `<bucket>/*` (version purge)                    |
 * | policy-ensure  | ensure-backup-policy                | the backup policy                                           |
 * | policy-undo    | undo-backup-policy                  | the policy; detach it from the role / user (its ARN only)   |
 * | cluster-       | ensure-cluster-policies             | the tenant's cluster policies (`palette-onboarding-<tenant>-|
 * | policies-ensure|                                     | Palette*`); detach one the mode dropped from the principal  |
 * | cluster-       | undo-cluster-policies               | the same policies; detach them from the role (sts) or the   |
 * | policies-undo  |                                     | user (static)                                               |
 * | role-ensure    | ensure-sts-role                     | the role; attach only the backup and cluster policies       |
 * | user-ensure    | ensure-static-user                  | the user (and its keys); attach only the backup and cluster |
 * |                |                                     | policies                                                    |
 * | principal-undo | undo-principal                      | the role (sts) or the user (static); detach only our        |
 * |                |                                     | policies                                                    |
 * | revalidate     | revalidate-tenant                   | read only: the bucket's configuration, the policy, the role |
 * |                |                                     | (sts) or the user and its keys (static)                     |
 *
 * A role / user is named twice: under /palette-onboarding/ (where it is created) and without a path (the ARN IAM
 * checks a look-up by name against while it does not exist yet).
 *
 * Tenant marks, enforced by IAM: the document embeds the plan's tenant id, so every action on an existing role, user
 * or policy needs `aws:ResourceTag/palette-onboarding/tenant` = this tenant OR no such tag (an unmarked object, which
 * the ownership rule still uses only with `adopt: true`), and creating or tagging one needs
 * `aws:RequestTag/palette-onboarding/tenant` = this tenant. A session for tenant B therefore cannot read, change,
 * attach to or delete a role / user / policy marked for tenant A, even when its plan names it (same account). Bucket
 * statements hold `aws:ResourceAccount` = the tenant's account (S3 ARNs carry none), so another account's bucket of
 * the same name is out of reach; S3 has no tag conditions on bucket operations (only with ABAC enabled per bucket), so
 * two tenants SHARING one account are kept apart, for buckets, by validation, the registry's name claims and the
 * ownership rule only.
 *
 * No iam:PassRole anywhere. Session policies may be at most 2048 characters (AssumeRole `Policy`): the longest
 * tenant id's documents stay well below (test/unit/session-policies.test.ts). Pure.
 */
import { createHash } from 'node:crypto';
import { clusterPolicyArnPattern } from './cluster-policies';
import { roleArn, TENANT_TAG, userArn } from './names';
import type { AwsPlan } from './workflow-state';

/** The jobs a function does in a tenant account. */
export const SESSION_SCOPES = [
  'bucket-ensure',
  'bucket-undo',
  'policy-ensure',
  'policy-undo',
  'cluster-policies-ensure',
  'cluster-policies-undo',
  'role-ensure',
  'user-ensure',
  'principal-undo',
  'revalidate',
] as const;
export type SessionScope = (typeof SESSION_SCOPES)[number];

/** AWS's limit on a session policy passed to AssumeRole (plain text). */
export const SESSION_POLICY_MAX_CHARS = 2048;
/** AWS's limit on RoleSessionName. */
export const SESSION_NAME_MAX = 64;

// ---- action lists (shared with the home-account grants, cdk/lib/permissions.ts) -------------------------------
// Exactly what lambdas/services/aws/{bucket,policy,principal}.ts call (test/e2e/least-privilege.test.ts proves each
// action is used). Creating a role / user / policy WITH tags also needs iam:Tag<Entity> (as CreateSecret with tags
// needs secretsmanager:TagResource).

/** A customer managed policy created and kept as written (the backup policy; the cluster policies add their delete). */
const POLICY_ENSURE = [
  'iam:CreatePolicy',
  'iam:TagPolicy',
  'iam:GetPolicy',
  'iam:GetPolicyVersion',
  'iam:ListPolicyVersions',
  // CreatePolicyVersion with SetAsDefault makes it the default: no iam:SetDefaultPolicyVersion.
  'iam:CreatePolicyVersion',
  'iam:DeletePolicyVersion',
] as const;

export const TENANT_JOB_ACTIONS = {
  bucketEnsure: [
    's3:ListBucket', // HeadBucket
    's3:CreateBucket',
    's3:GetBucketTagging',
    's3:PutBucketTagging',
    's3:GetBucketObjectLockConfiguration', // an existing bucket with Object Lock is refused
    's3:GetEncryptionConfiguration', // an adopted bucket keeps its SSE-KMS
    's3:PutEncryptionConfiguration',
    's3:PutBucketPublicAccessBlock',
    's3:GetBucketVersioning',
    's3:PutBucketVersioning',
    's3:PutBucketOwnershipControls',
    's3:GetBucketPolicy',
    's3:PutBucketPolicy',
    's3:GetLifecycleConfiguration',
    's3:PutLifecycleConfiguration',
  ],
  bucketUndo: ['s3:GetBucketTagging', 's3:ListBucket', 's3:ListBucketVersions', 's3:DeleteBucket'],
  /** On `<bucket>/*`: validation-probe versions and delete markers go with the bucket (DeleteObjects by version). */
  bucketPurge: [
    's3:DeleteObject', // AWS documents it as required by every DeleteObjects (the sandbox does not check it: NOT_EXERCISED)
    's3:DeleteObjectVersion',
  ],
  policyEnsure: POLICY_ENSURE,
  policyUndo: ['iam:GetPolicy', 'iam:ListPolicyVersions', 'iam:DeletePolicyVersion', 'iam:DeletePolicy'],
  /**
   * The tenant's cluster policies (lambdas/domain/cluster-policies.ts): created and corrected like the backup policy;
   * one the mode no longer includes is deleted (after its detach, `detach`).
   */
  clusterPoliciesEnsure: [...POLICY_ENSURE, 'iam:DeletePolicy'],
  /** Deleted like the backup policy (DeletePolicy first; its other versions only when IAM says there are some). */
  clusterPoliciesUndo: ['iam:GetPolicy', 'iam:ListPolicyVersions', 'iam:DeletePolicyVersion', 'iam:DeletePolicy'],
  /** On the role / user, only for our policy (iam:PolicyARN). */
  detach: ['iam:DetachRolePolicy', 'iam:DetachUserPolicy'],
  roleEnsure: ['iam:CreateRole', 'iam:TagRole', 'iam:GetRole', 'iam:UpdateAssumeRolePolicy', 'iam:ListAttachedRolePolicies'],
  roleAttach: ['iam:AttachRolePolicy'],
  userEnsure: [
    'iam:CreateUser',
    'iam:TagUser',
    'iam:GetUser',
    'iam:ListAttachedUserPolicies',
    'iam:CreateAccessKey',
    'iam:ListAccessKeys',
    'iam:UpdateAccessKey',
    'iam:DeleteAccessKey',
  ],
  userAttach: ['iam:AttachUserPolicy'],
  roleUndo: ['iam:GetRole', 'iam:ListAttachedRolePolicies', 'iam:DeleteRole'],
  userUndo: ['iam:GetUser', 'iam:ListAccessKeys', 'iam:DeleteAccessKey', 'iam:ListAttachedUserPolicies', 'iam:DeleteUser'],
  // Re-validation reads only (lambdas/services/revalidation/aws.ts): the bucket's guardrails and marks, ...
  revalidateBucket: [
    's3:GetBucketTagging',
    's3:GetEncryptionConfiguration',
    's3:GetBucketPublicAccessBlock',
    's3:GetBucketPolicy',
    's3:GetBucketVersioning',
    's3:GetBucketOwnershipControls',
  ],
  /** ... the backup policy and its default version, ... */
  revalidatePolicy: ['iam:GetPolicy', 'iam:GetPolicyVersion'],
  /** ... the role's trust policy, marks and attached policies (sts), ... */
  revalidateRole: ['iam:GetRole', 'iam:ListAttachedRolePolicies'],
  /** ... or the user's marks, attached policies and access keys (static). */
  revalidateUser: ['iam:GetUser', 'iam:ListAttachedUserPolicies', 'iam:ListAccessKeys'],
} as const satisfies Record<string, readonly string[]>;

/** The actions of a job that create or tag (their requests carry the tenant mark). */
const MARKING = new Set(['iam:CreateRole', 'iam:TagRole', 'iam:CreateUser', 'iam:TagUser', 'iam:CreatePolicy', 'iam:TagPolicy']);

// ---- session policies --------------------------------------------------------------------------------------

export interface SessionStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const RESOURCE_TENANT = `aws:ResourceTag/${TENANT_TAG}`;
const REQUEST_TENANT = `aws:RequestTag/${TENANT_TAG}`;
export interface SessionPolicyDocument {
  Version: '2012-10-17';
  Statement: SessionStatement[];
}

/** The plan's parts the session policies name. */
export type SessionPlan = Pick<AwsPlan, 'tenantId' | 'executionName' | 'target' | 'credentialMode' | 'bucketArn' | 'policyArn' | 'principalName' | 'iamPath'>;

const allow = (Sid: string, actions: readonly string[], Resource: string[], Condition?: SessionStatement['Condition']): SessionStatement => ({
  Sid,
  Effect: 'Allow',
  Action: [...actions],
  Resource,
  ...(Condition ? { Condition } : {}),
});

/**
 * S3 ARNs carry no account: a bucket of the same name in another account (another tenant's) is kept out by
 * `aws:ResourceAccount` = the tenant's account.
 */
const inTenantAccount = (plan: SessionPlan) => ({ StringEquals: { 'aws:ResourceAccount': plan.target.accountId } });

/** An existing role / user / policy: this tenant's (its tenant mark) or unmarked. */
const tenantsOrUnmarked = (plan: SessionPlan) => ({ StringEqualsIfExists: { [RESOURCE_TENANT]: plan.tenantId } });

/** The only policy the backup policy's undo may detach: the tenant's backup policy (on the tenant's principal). */
const onlyOurPolicy = (plan: SessionPlan) => ({ ArnEquals: { 'iam:PolicyARN': plan.policyArn }, ...tenantsOrUnmarked(plan) });

/** The tenant's cluster policies, all of them (lambdas/domain/cluster-policies.ts: one ARN pattern). */
const clusterPolicies = (plan: SessionPlan) => clusterPolicyArnPattern(plan.target.partition, plan.target.accountId, plan.tenantId);

/** The policies the principal's steps may attach or detach: the tenant's backup policy and its cluster policies. */
const onlyOurPolicies = (plan: SessionPlan) => ({ ArnLike: { 'iam:PolicyARN': [plan.policyArn, clusterPolicies(plan)] }, ...tenantsOrUnmarked(plan) });

/** What the cluster policies' steps may detach from the tenant's principal: its cluster policies. */
const onlyClusterPolicies = (plan: SessionPlan) => ({ ArnLike: { 'iam:PolicyARN': clusterPolicies(plan) }, ...tenantsOrUnmarked(plan) });

/**
 * The IAM statements of a job on `resources`: the marking actions (create, tag) with the tenant's mark in the request,
 * every other action on this tenant's or unmarked objects.
 */
function iamJob(plan: SessionPlan, sid: string, actions: readonly string[], resources: string[]): SessionStatement[] {
  const marking = actions.filter((a) => MARKING.has(a));
  const other = actions.filter((a) => !MARKING.has(a));
  return [
    ...(other.length > 0 ? [allow(sid, other, resources, tenantsOrUnmarked(plan))] : []),
    ...(marking.length > 0
      ? [allow(`Mark${sid.replace(/^(Ensure|Undo)/, '')}`, marking, resources, { StringEquals: { [REQUEST_TENANT]: plan.tenantId }, ...tenantsOrUnmarked(plan) })]
      : []),
  ];
}

/**
 * The tenant's role and user ARNs: under the plan's IAM path, and without a path, the ARN IAM authorizes a look-up
 * by name of a role / user that does not exist yet against (GetRole / GetUser before CreateRole / CreateUser).
 */
const principalArns = (plan: SessionPlan) => {
  const { partition, accountId } = plan.target;
  const both = (arn: (p: string, a: string, n: string, path?: string) => string) => [
    ...new Set([arn(partition, accountId, plan.principalName, plan.iamPath), arn(partition, accountId, plan.principalName)]),
  ];
  return { role: both(roleArn), user: both(userArn) };
};

/** Detach (only what `condition` allows) from the plan's principal: the role (sts) or the user (static). */
function detachFromPrincipal(p: SessionPlan, sid: string, condition: SessionStatement['Condition']): SessionStatement {
  const { role, user } = principalArns(p);
  return p.credentialMode === 'sts' ? allow(sid, ['iam:DetachRolePolicy'], role, condition) : allow(sid, ['iam:DetachUserPolicy'], user, condition);
}

/** The statements of each job, on this tenant's resource ARNs only. */
export const SESSION_POLICIES: Readonly<Record<SessionScope, (plan: SessionPlan) => SessionStatement[]>> = {
  'bucket-ensure': (p) => [allow('EnsureBucket', TENANT_JOB_ACTIONS.bucketEnsure, [p.bucketArn], inTenantAccount(p))],
  'bucket-undo': (p) => [
    allow('UndoBucket', TENANT_JOB_ACTIONS.bucketUndo, [p.bucketArn], inTenantAccount(p)),
    allow('PurgeVersions', TENANT_JOB_ACTIONS.bucketPurge, [`${p.bucketArn}/*`], inTenantAccount(p)),
  ],
  'policy-ensure': (p) => iamJob(p, 'EnsurePolicy', TENANT_JOB_ACTIONS.policyEnsure, [p.policyArn]),
  'policy-undo': (p) => {
    const { role, user } = principalArns(p);
    return [
      ...iamJob(p, 'UndoPolicy', TENANT_JOB_ACTIONS.policyUndo, [p.policyArn]),
      allow('DetachPolicy', TENANT_JOB_ACTIONS.detach, [...role, ...user], onlyOurPolicy(p)),
    ];
  },
  'cluster-policies-ensure': (p) => [
    ...iamJob(p, 'EnsureClusterPolicies', TENANT_JOB_ACTIONS.clusterPoliciesEnsure, [clusterPolicies(p)]),
    detachFromPrincipal(p, 'DetachClusterPolicy', onlyClusterPolicies(p)),
  ],
  'cluster-policies-undo': (p) => [
    ...iamJob(p, 'UndoClusterPolicies', TENANT_JOB_ACTIONS.clusterPoliciesUndo, [clusterPolicies(p)]),
    detachFromPrincipal(p, 'DetachClusterPolicy', onlyClusterPolicies(p)),
  ],
  'role-ensure': (p) => {
    const { role } = principalArns(p);
    return [...iamJob(p, 'EnsureRole', TENANT_JOB_ACTIONS.roleEnsure, role), allow('AttachPolicy', TENANT_JOB_ACTIONS.roleAttach, role, onlyOurPolicies(p))];
  },
  'user-ensure': (p) => {
    const { user } = principalArns(p);
    return [...iamJob(p, 'EnsureUser', TENANT_JOB_ACTIONS.userEnsure, user), allow('AttachPolicy', TENANT_JOB_ACTIONS.userAttach, user, onlyOurPolicies(p))];
  },
  'principal-undo': (p) => {
    const { role, user } = principalArns(p);
    return p.credentialMode === 'sts'
      ? [...iamJob(p, 'UndoRole', TENANT_JOB_ACTIONS.roleUndo, role), allow('DetachPolicy', ['iam:DetachRolePolicy'], role, onlyOurPolicies(p))]
      : [...iamJob(p, 'UndoUser', TENANT_JOB_ACTIONS.userUndo, user), allow('DetachPolicy', ['iam:DetachUserPolicy'], user, onlyOurPolicies(p))];
  },
  revalidate: (p) => {
    const { role, user } = principalArns(p);
    return [
      allow('ReadBucket', TENANT_JOB_ACTIONS.revalidateBucket, [p.bucketArn], inTenantAccount(p)),
      ...iamJob(p, 'ReadPolicy', TENANT_JOB_ACTIONS.revalidatePolicy, [p.policyArn]),
      ...(p.credentialMode === 'sts'
        ? iamJob(p, 'ReadRole', TENANT_JOB_ACTIONS.revalidateRole, role)
        : iamJob(p, 'ReadUser', TENANT_JOB_ACTIONS.revalidateUser, user)),
    ];
  },
};

/** The session policy of `scope` for this plan. */
export function sessionPolicy(plan: SessionPlan, scope: SessionScope): SessionPolicyDocument {
  return { Version: '2012-10-17', Statement: SESSION_POLICIES[scope](plan) };
}

/** RoleSessionName: the execution name with characters outside `[\w+=,.@-]` replaced, at most 64, at least 2. */
export function sessionName(executionName: string): string {
  const safe = executionName.replace(/[^\w+=,.@-]/g, '-').slice(0, SESSION_NAME_MAX);
  return safe.length >= 2 ? safe : `${safe}--`.slice(0, 2);
}

/** SourceIdentity: the tenant id (a slug, so already within `[\w+=,.@-]{2,64}`). */
export function sourceIdentity(tenantId: string): string {
  return sessionName(tenantId);
}

/** Everything an AssumeRole into the tenant account passes for one job (see lambdas/shared/aws-clients.ts). */
export interface TenantSession {
  readonly scope: SessionScope;
  readonly tenantId: string;
  readonly executionName: string;
  /** RoleSessionName (the execution name, sanitized). */
  readonly sessionName: string;
  /** The session policy, minified JSON. */
  readonly policy: string;
  /** Short hash of `policy` (client cache key). */
  readonly policyHash: string;
}

/** The session of `scope` for this plan; throws when the policy would exceed AWS's size limit (a bug, not input). */
export function tenantSession(plan: SessionPlan, scope: SessionScope): TenantSession {
  const policy = JSON.stringify(sessionPolicy(plan, scope));
  if (policy.length > SESSION_POLICY_MAX_CHARS) {
    throw new Error(`session policy of ${scope} for tenant ${plan.tenantId} is ${policy.length} characters (limit ${SESSION_POLICY_MAX_CHARS})`);
  }
  return {
    scope,
    tenantId: plan.tenantId,
    executionName: plan.executionName,
    sessionName: sessionName(plan.executionName),
    policy,
    policyHash: createHash('sha256').update(policy).digest('hex').slice(0, 16),
  };
}
