/**
 * Session policies (lambdas/domain/session-policies.ts): each job's AssumeRole session may do only that job's
 * actions on this tenant's resource ARNs, whatever the execution role allows (the sandbox's IAM evaluator,
 * @cloud-copilot/iam-simulate, plays an AdministratorAccess execution role); every document stays under AWS's
 * 2048-character limit for the longest tenant id; the session name is the execution name, sanitized.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { bucketArn, bucketName, policyArn, backupPolicyName, principalName, IAM_PATH } from '../../lambdas/domain/names';
import {
  SESSION_POLICY_MAX_CHARS,
  SESSION_SCOPES,
  sessionName,
  sessionPolicy,
  sourceIdentity,
  tenantSession,
  type SessionPlan,
  type SessionScope,
} from '../../lambdas/domain/session-policies';

const ACCOUNT = '111111111111';

function planFor(tenantId: string, opts: { credentialMode?: 'sts' | 'static'; partition?: 'aws' | 'aws-us-gov'; region?: string } = {}): SessionPlan {
  const partition = opts.partition ?? 'aws';
  const region = opts.region ?? 'us-east-1';
  const bucket = bucketName(tenantId, ACCOUNT, region);
  return {
    tenantId,
    executionName: `${tenantId}-0123456789ab`,
    target: { accountId: ACCOUNT, region, partition, roleName: 'OrganizationAccountAccessRole', assumeRole: true },
    credentialMode: opts.credentialMode ?? 'sts',
    bucketArn: bucketArn(partition, bucket),
    policyArn: policyArn(partition, ACCOUNT, backupPolicyName(tenantId)),
    principalName: principalName(tenantId),
    iamPath: IAM_PATH,
  };
}

const acme = planFor('acme');
const ROLE = `arn:aws:iam::${ACCOUNT}:role/palette-onboarding/palette-onboarding-acme`;
const USER = `arn:aws:iam::${ACCOUNT}:user/palette-onboarding/palette-onboarding-acme`;
/** The same names without a path: what IAM checks a look-up by name against before the role / user exists. */
const ROLE_BY_NAME = `arn:aws:iam::${ACCOUNT}:role/palette-onboarding-acme`;
const USER_BY_NAME = `arn:aws:iam::${ACCOUNT}:user/palette-onboarding-acme`;
const POLICY = `arn:aws:iam::${ACCOUNT}:policy/palette-onboarding/palette-onboarding-acme-backup`;
const BUCKET = 'arn:aws:s3:::palette-backup-acme-111111111111-us-east-1';
/** The tenant's cluster policies, as one pattern (lambdas/domain/cluster-policies.ts): its only wildcard resource. */
const CLUSTER = `arn:aws:iam::${ACCOUNT}:policy/palette-onboarding/palette-onboarding-acme-Palette*`;
const CONTROLLER = `arn:aws:iam::${ACCOUNT}:policy/palette-onboarding/palette-onboarding-acme-PaletteControllerPolicy`;

const ADMIN = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

/** Would an admin execution role's session with `scope`'s policy be allowed `action` on `resource`? */
async function allowed(
  scope: SessionScope,
  action: string,
  resource: string,
  context: Record<string, string> = {},
  plan = acme,
  resourceAccount = ACCOUNT,
): Promise<boolean> {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/OrganizationAccountAccessRole/${plan.executionName}`,
        action,
        resource: { resource, accountId: resourceAccount },
        // As AWS sets it for every request: the account that owns the resource.
        contextVariables: { 'aws:ResourceAccount': resourceAccount, ...context },
      },
      identityPolicies: [{ name: 'AdministratorAccess', policy: ADMIN }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      sessionPolicy: sessionPolicy(plan, scope),
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  return result.overallResult === 'Allowed';
}

describe('session policy per job', () => {
  it("names only this tenant's resources, no wildcard resource but the tenant's cluster policy pattern, and no iam:PassRole", () => {
    for (const scope of SESSION_SCOPES) {
      for (const mode of ['sts', 'static'] as const) {
        const doc = sessionPolicy(planFor('acme', { credentialMode: mode }), scope);
        expect(doc.Version).toBe('2012-10-17');
        for (const st of doc.Statement) {
          expect(st.Effect).toBe('Allow');
          expect(st.Action).not.toContain('iam:PassRole');
          for (const a of st.Action) expect(a, a).not.toContain('*');
          for (const r of st.Resource) expect([BUCKET, `${BUCKET}/*`, ROLE, USER, ROLE_BY_NAME, USER_BY_NAME, POLICY, CLUSTER], `${scope} ${r}`).toContain(r);
          if (!scope.startsWith('cluster-policies')) expect(st.Resource, scope).not.toContain(CLUSTER);
        }
      }
    }
  });

  it('the resources of each job', () => {
    const resourcesOf = (scope: SessionScope, mode: 'sts' | 'static' = 'sts') =>
      [...new Set(sessionPolicy(planFor('acme', { credentialMode: mode }), scope).Statement.flatMap((s) => s.Resource))].sort();
    expect(resourcesOf('bucket-ensure')).toEqual([BUCKET]);
    expect(resourcesOf('bucket-undo')).toEqual([BUCKET, `${BUCKET}/*`]);
    expect(resourcesOf('policy-ensure')).toEqual([POLICY]);
    expect(resourcesOf('policy-undo')).toEqual([POLICY, ROLE, ROLE_BY_NAME, USER, USER_BY_NAME].sort());
    expect(resourcesOf('cluster-policies-ensure')).toEqual([CLUSTER, ROLE, ROLE_BY_NAME].sort());
    expect(resourcesOf('cluster-policies-undo', 'static')).toEqual([CLUSTER, USER, USER_BY_NAME].sort());
    expect(resourcesOf('role-ensure')).toEqual([ROLE, ROLE_BY_NAME].sort());
    expect(resourcesOf('user-ensure')).toEqual([USER, USER_BY_NAME].sort());
    expect(resourcesOf('principal-undo', 'sts')).toEqual([ROLE, ROLE_BY_NAME].sort());
    expect(resourcesOf('principal-undo', 'static')).toEqual([USER, USER_BY_NAME].sort());
  });

  it('ensure-bucket: configures its bucket, may not delete it, nor touch another bucket or IAM', async () => {
    expect(await allowed('bucket-ensure', 's3:CreateBucket', BUCKET)).toBe(true);
    expect(await allowed('bucket-ensure', 's3:PutBucketPolicy', BUCKET)).toBe(true);
    expect(await allowed('bucket-ensure', 's3:DeleteBucket', BUCKET)).toBe(false);
    expect(await allowed('bucket-ensure', 's3:PutBucketPolicy', 'arn:aws:s3:::palette-backup-beta-111111111111-us-east-1')).toBe(false);
    expect(await allowed('bucket-ensure', 's3:GetObject', `${BUCKET}/backups/x`)).toBe(false);
    expect(await allowed('bucket-ensure', 'iam:CreateRole', ROLE)).toBe(false);
    // S3 ARNs carry no account: a bucket of the same name owned by another account is out of reach.
    expect(await allowed('bucket-ensure', 's3:PutBucketPolicy', BUCKET, {}, acme, '222222222222')).toBe(false);
  });

  it('undo-bucket: deletes its bucket and its object versions, nothing else', async () => {
    expect(await allowed('bucket-undo', 's3:DeleteBucket', BUCKET)).toBe(true);
    expect(await allowed('bucket-undo', 's3:DeleteObjectVersion', `${BUCKET}/probe`)).toBe(true);
    expect(await allowed('bucket-undo', 's3:PutObject', `${BUCKET}/probe`)).toBe(false);
    expect(await allowed('bucket-undo', 's3:DeleteBucket', 'arn:aws:s3:::someone-elses-bucket')).toBe(false);
    expect(await allowed('bucket-undo', 's3:DeleteBucket', BUCKET, {}, acme, '222222222222')).toBe(false);
    expect(await allowed('bucket-undo', 's3:DeleteObjectVersion', `${BUCKET}/probe`, {}, acme, '222222222222')).toBe(false);
  });

  it('the policy jobs: only the tenant\'s policy; detach only it, only from the tenant\'s principal', async () => {
    expect(await allowed('policy-ensure', 'iam:CreatePolicyVersion', POLICY)).toBe(true);
    expect(await allowed('policy-ensure', 'iam:DeletePolicy', POLICY)).toBe(false);
    expect(await allowed('policy-undo', 'iam:DeletePolicy', POLICY)).toBe(true);
    expect(await allowed('policy-undo', 'iam:DeletePolicy', `arn:aws:iam::${ACCOUNT}:policy/palette-onboarding/palette-onboarding-beta-backup`)).toBe(false);
    expect(await allowed('policy-undo', 'iam:DetachRolePolicy', ROLE, { 'iam:PolicyARN': POLICY })).toBe(true);
    expect(await allowed('policy-undo', 'iam:DetachRolePolicy', ROLE, { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' })).toBe(false);
    expect(await allowed('policy-undo', 'iam:DetachRolePolicy', `arn:aws:iam::${ACCOUNT}:role/OrganizationAccountAccessRole`, { 'iam:PolicyARN': POLICY })).toBe(false);
  });

  it("the cluster policy jobs: only the tenant's cluster policies, marked at creation; detach only them, only from its principal", async () => {
    const mark = { 'aws:RequestTag/palette-onboarding/tenant': 'acme' };
    expect(await allowed('cluster-policies-ensure', 'iam:CreatePolicy', CONTROLLER, mark)).toBe(true);
    expect(await allowed('cluster-policies-ensure', 'iam:CreatePolicy', CONTROLLER)).toBe(false);
    expect(await allowed('cluster-policies-ensure', 'iam:CreatePolicy', CONTROLLER.replace('-acme-', '-beta-'), mark)).toBe(false);
    expect(await allowed('cluster-policies-ensure', 'iam:CreatePolicyVersion', POLICY)).toBe(false);
    expect(await allowed('cluster-policies-ensure', 'iam:DeletePolicy', CONTROLLER)).toBe(true);
    expect(await allowed('cluster-policies-ensure', 'iam:DeletePolicy', CONTROLLER, { 'aws:ResourceTag/palette-onboarding/tenant': 'beta' })).toBe(false);
    expect(await allowed('cluster-policies-undo', 'iam:CreatePolicy', CONTROLLER, mark)).toBe(false);
    expect(await allowed('cluster-policies-undo', 'iam:DeletePolicy', CONTROLLER)).toBe(true);
    expect(await allowed('cluster-policies-undo', 'iam:DetachRolePolicy', ROLE, { 'iam:PolicyARN': CONTROLLER })).toBe(true);
    expect(await allowed('cluster-policies-undo', 'iam:DetachRolePolicy', ROLE, { 'iam:PolicyARN': POLICY })).toBe(false);
    expect(await allowed('cluster-policies-undo', 'iam:DetachRolePolicy', `arn:aws:iam::${ACCOUNT}:role/OrganizationAccountAccessRole`, { 'iam:PolicyARN': CONTROLLER })).toBe(false);
    expect(await allowed('cluster-policies-undo', 'iam:DetachUserPolicy', USER, { 'iam:PolicyARN': CONTROLLER })).toBe(false);
    expect(await allowed('cluster-policies-undo', 'iam:DetachUserPolicy', USER, { 'iam:PolicyARN': CONTROLLER }, planFor('acme', { credentialMode: 'static' }))).toBe(true);
  });

  it('the principal jobs: the role or user, attach only the backup and cluster policies (no privilege escalation), no PassRole', async () => {
    expect(await allowed('role-ensure', 'iam:UpdateAssumeRolePolicy', ROLE)).toBe(true);
    expect(await allowed('role-ensure', 'iam:GetRole', ROLE_BY_NAME)).toBe(true);
    expect(await allowed('role-ensure', 'iam:GetRole', `arn:aws:iam::${ACCOUNT}:role/palette-onboarding-beta`)).toBe(false);
    expect(await allowed('role-ensure', 'iam:AttachRolePolicy', ROLE, { 'iam:PolicyARN': POLICY })).toBe(true);
    expect(await allowed('role-ensure', 'iam:AttachRolePolicy', ROLE, { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' })).toBe(false);
    expect(await allowed('role-ensure', 'iam:AttachRolePolicy', ROLE, { 'iam:PolicyARN': CONTROLLER })).toBe(true);
    expect(await allowed('role-ensure', 'iam:AttachRolePolicy', ROLE, { 'iam:PolicyARN': CONTROLLER.replace('-acme-', '-beta-') })).toBe(false);
    expect(await allowed('principal-undo', 'iam:DetachRolePolicy', ROLE, { 'iam:PolicyARN': CONTROLLER })).toBe(true);
    expect(await allowed('role-ensure', 'iam:UpdateAssumeRolePolicy', `arn:aws:iam::${ACCOUNT}:role/OrganizationAccountAccessRole`)).toBe(false);
    expect(await allowed('role-ensure', 'iam:PassRole', ROLE)).toBe(false);
    expect(await allowed('role-ensure', 'iam:DeleteRole', ROLE)).toBe(false);
    expect(await allowed('user-ensure', 'iam:CreateAccessKey', USER)).toBe(true);
    expect(await allowed('user-ensure', 'iam:CreateAccessKey', `arn:aws:iam::${ACCOUNT}:user/admin`)).toBe(false);
    expect(await allowed('principal-undo', 'iam:DeleteRole', ROLE)).toBe(true);
    expect(await allowed('principal-undo', 'iam:DeleteUser', USER)).toBe(false);
    expect(await allowed('principal-undo', 'iam:DeleteUser', USER, {}, planFor('acme', { credentialMode: 'static' }))).toBe(true);
  });
});

describe('limits', () => {
  const longest = 'a'.repeat(31) + '9'; // 32 characters, the request schema's maximum
  it.each(SESSION_SCOPES)('%s: under 2048 characters for the longest tenant id (both modes, GovCloud)', (scope) => {
    for (const mode of ['sts', 'static'] as const) {
      const plan = planFor(longest, { credentialMode: mode, partition: 'aws-us-gov', region: 'us-gov-west-1' });
      const session = tenantSession(plan, scope);
      expect(session.policy.length).toBeLessThan(SESSION_POLICY_MAX_CHARS);
      expect(JSON.parse(session.policy)).toEqual(sessionPolicy(plan, scope));
    }
  });

  it('a document over the limit is refused before AssumeRole', () => {
    const huge = { ...acme, policyArn: `arn:aws:iam::${ACCOUNT}:policy/${'x'.repeat(2100)}` };
    expect(() => tenantSession(huge, 'policy-ensure')).toThrow(/limit 2048/);
  });
});

describe('session identity', () => {
  it('the session name is the execution name: [\\w+=,.@-] only, at most 64 characters', () => {
    expect(sessionName('acme-0123456789ab')).toBe('acme-0123456789ab');
    expect(sessionName('acme-0123456789ab-rerun 1')).toBe('acme-0123456789ab-rerun-1');
    expect(sessionName('x'.repeat(80))).toHaveLength(64);
    expect(sessionName('a')).toMatch(/^[\w+=,.@-]{2}$/);
    expect(tenantSession(acme, 'bucket-ensure').sessionName).toBe(acme.executionName);
  });

  it('the source identity is the tenant id', () => {
    expect(sourceIdentity('acme')).toBe('acme');
    expect(tenantSession(acme, 'bucket-ensure').tenantId).toBe('acme');
  });

  it('the policy hash tells jobs and tenants apart (client cache key)', () => {
    const hashes = new Set(SESSION_SCOPES.map((scope) => tenantSession(acme, scope).policyHash));
    expect(hashes.size).toBe(SESSION_SCOPES.length);
    expect(tenantSession(planFor('beta'), 'bucket-ensure').policyHash).not.toBe(tenantSession(acme, 'bucket-ensure').policyHash);
  });
});
