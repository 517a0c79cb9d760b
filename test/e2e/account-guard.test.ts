/**
 * The account guard and scoped tenant sessions, end to end on the sandbox (the local deployment allows the sandbox's
 * organization, `allowedOrganizationId: o-sandbox0001`, as a real deployment names its own):
 *
 * - an account outside the organization (a standalone sandbox account) is rejected in ValidateRequest, naming
 *   `aws.accountId`, and nothing is created anywhere;
 * - IAM enforces the same rule: a session holding the synthesized AssumeRole grant of a tenant-reaching function
 *   may assume the execution role in a member account, and not in the standalone account (`aws:ResourceOrgID`);
 * - the workflow's sessions in the tenant account are named after the execution and carry their job's session
 *   policy (this tenant's ARNs only);
 * - a session with a job's policy (the same builder the handlers use) is denied what the job does not do
 *   (DeleteBucket under bucket-ensure), and STS accepts the tenant id as its SourceIdentity.
 */
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { DeleteBucketCommand, GetBucketTaggingCommand, HeadBucketCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketArn, bucketName, backupPolicyName, IAM_PATH, policyArn, principalName } from '../../lambdas/domain/names';
import { SESSION_SCOPES, sessionPolicy, tenantSession, type SessionPlan } from '../../lambdas/domain/session-policies';
import type { CredentialRecord } from '../../local/aws/core/types';
import { SANDBOX_ORGANIZATION_ID } from '../../local/aws';
import { loadWorkflow, runOnboarding, type LocalRunResult, type LocalWorkflow } from '../../local/runner';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';

let sb: RunningLocalSandbox;
let workflow: LocalWorkflow;

const STANDALONE = '343434343434';
const MEMBER = '353535353535';
const REGION = 'us-east-1';
const ROLE = 'OrganizationAccountAccessRole';

beforeAll(async () => {
  workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 0 } }, palette: { port: 0 }, env: {} });
  sb.aws.createAccount(STANDALONE, { standalone: true });
  sb.aws.createAccount(MEMBER);
}, 300_000);
afterAll(async () => {
  await sb?.stop();
});

const home = () => ({
  endpoint: sb.aws.endpoint,
  region: REGION,
  credentials: { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey },
});

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken: string };
const asCredentials = (c: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string } | undefined): Credentials => ({
  accessKeyId: c?.AccessKeyId ?? '',
  secretAccessKey: c?.SecretAccessKey ?? '',
  sessionToken: c?.SessionToken ?? '',
});

/** Resolves `{Ref: AWS::Partition}` / `Fn::Join` in a synthesized policy statement (the rest is literal). */
function resolve(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(resolve);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (o.Ref === 'AWS::Partition') return 'aws';
    if (o.Ref === 'AWS::AccountId') return sb.aws.accountId;
    if (o.Ref === 'AWS::Region') return REGION;
    const join = o['Fn::Join'];
    if (Array.isArray(join)) return (resolve(join[1]) as string[]).join(String(join[0]));
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
  }
  return v;
}

/** The sts:* statements of the EnsureBucket function's role, from the synthesized template. */
function assumeGrantOfEnsureBucket(): unknown[] {
  const template = workflow.assembly.stack().template;
  const fn = Object.values(template.Resources).find((r) => r.Metadata?.['palette-onboarding:function'] === 'ensure-bucket');
  const roleId = (fn?.Properties?.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const statements = Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles).includes(`"${roleId}"`))
    .flatMap((r) => (r.Properties?.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement)
    .filter((st) => [st.Action].flat().some((a) => a.startsWith('sts:')));
  return statements.map(resolve);
}

function sessionPlan(tenantId: string, accountId: string, executionName: string): SessionPlan {
  const bucket = bucketName(tenantId, accountId, REGION);
  return {
    tenantId,
    executionName,
    target: { accountId, region: REGION, partition: 'aws', roleName: ROLE, assumeRole: true },
    credentialMode: 'sts',
    bucketArn: bucketArn('aws', bucket),
    policyArn: policyArn('aws', accountId, backupPolicyName(tenantId)),
    principalName: principalName(tenantId),
    iamPath: IAM_PATH,
  };
}

/** Every STS session the sandbox issued for the execution role of `accountId` (its credential store). */
function sessionsIn(accountId: string): CredentialRecord[] {
  const store = sb.aws.kernel.credentials as unknown as { list?: () => CredentialRecord[] };
  if (typeof store.list !== 'function') throw new Error('the sandbox credential store cannot list sessions');
  return store
    .list()
    .filter((r) => r.principal.kind === 'assumed-role' && r.principal.accountId === accountId && r.principal.roleName === ROLE);
}

describe('an account outside the allowed organization', () => {
  let run: LocalRunResult;
  let before: ReturnType<RunningLocalSandbox['aws']['inventory']>;
  beforeAll(async () => {
    before = sb.aws.inventory();
    run = await runOnboarding({ tenantId: 'guard-out', aws: { accountId: STANDALONE, region: REGION, credentialMode: 'sts' } }, { sandbox: sb, workflow });
  }, 240_000);

  it('is rejected in ValidateRequest with a field error on aws.accountId', () => {
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('RequestValidationError');
    expect(run.errorMessage).toContain(`aws.accountId: account ${STANDALONE} may not be onboarded by this deployment`);
    expect(run.errorMessage).toContain(`not a member of organization ${SANDBOX_ORGANIZATION_ID}`);
    const entered = run.history.filter((e) => e.type === 'TaskStateEntered').map((e) => e.state);
    expect(entered).toContain('ValidateRequest');
    expect(entered).not.toContain('AcquireTenant');
    expect(entered).not.toContain('EnsureBucket');
  });

  it('creates nothing: no session in the account, nothing in it, the tenant nowhere in the sandbox (registry included)', () => {
    expect(sessionsIn(STANDALONE)).toEqual([]);
    expect(sb.aws.inventory()[STANDALONE]).toEqual(before[STANDALONE]);
    expect(JSON.stringify(sb.aws.inventory())).not.toContain('guard-out');
  });
});

describe('IAM enforces the guard too', () => {
  it('the synthesized AssumeRole grant admits member accounts and refuses the standalone one (aws:ResourceOrgID)', async () => {
    // Prepare: a home-account role holding exactly the EnsureBucket function's sts statements.
    const statements = assumeGrantOfEnsureBucket();
    expect(statements).toEqual([
      expect.objectContaining({ Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:ResourceOrgID': SANDBOX_ORGANIZATION_ID } } }),
    ]);
    const iam = new IAMClient(home());
    const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${sb.aws.accountId}:root` }, Action: 'sts:AssumeRole' }] };
    const created = await iam.send(new CreateRoleCommand({ RoleName: 'guard-probe', AssumeRolePolicyDocument: JSON.stringify(trust) }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'guard-probe', PolicyName: 'assume-tenant-role', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }));
    const probe = await new STSClient(home()).send(new AssumeRoleCommand({ RoleArn: created.Role?.Arn, RoleSessionName: 'guard-probe' }));
    const sts = new STSClient({ endpoint: sb.aws.endpoint, region: REGION, credentials: asCredentials(probe.Credentials) });
    // Act
    const into = (accountId: string) =>
      sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/${ROLE}`, RoleSessionName: 'guard-probe-tenant' })).then(
        () => 'allowed',
        (e: Error) => e.name,
      );
    // Assess
    expect(await into(MEMBER)).toBe('allowed');
    expect(await into(STANDALONE)).toBe('AccessDenied');
  });
});

describe('scoped tenant sessions', () => {
  let run: LocalRunResult;
  beforeAll(async () => {
    run = await runOnboarding({ tenantId: 'guard-in', aws: { accountId: MEMBER, region: REGION, credentialMode: 'sts' } }, { sandbox: sb, workflow });
  }, 240_000);

  it('the workflow\'s sessions in the tenant account are named after the execution and carry their job\'s policy', () => {
    expect(run.status).toBe('SUCCEEDED');
    const plan = sessionPlan('guard-in', MEMBER, run.executionName);
    const sessions = sessionsIn(MEMBER).filter((r) => r.principal.kind === 'assumed-role' && r.principal.sessionName === run.executionName);
    for (const r of sessions) expect(r.issuer?.arn ?? '', 'issued to a home-account principal').toContain(`:${sb.aws.accountId}:`);
    expect(sessions.length).toBeGreaterThanOrEqual(3);
    const expected = new Map(SESSION_SCOPES.map((scope) => [JSON.stringify(sessionPolicy(plan, scope)), scope]));
    const scopes = new Set(sessions.map((r) => expected.get(r.sessionPolicy ?? '') ?? `unexpected policy: ${r.sessionPolicy ?? 'none'}`));
    // An STS onboarding that succeeds: the bucket, the backup policy, the cluster policies and the role, each under its own session.
    expect([...scopes].sort()).toEqual(['bucket-ensure', 'cluster-policies-ensure', 'policy-ensure', 'role-ensure']);
    // Every workflow session in the account is this execution's (the standalone run made none; the probe above is named guard-probe-tenant).
    const names = sessionsIn(MEMBER).map((r) => (r.principal.kind === 'assumed-role' ? r.principal.sessionName : ''));
    expect(names.filter((n) => n !== 'guard-probe-tenant').every((n) => n === run.executionName)).toBe(true);
  });

  it('a session with the bucket-ensure policy may read its bucket but not delete it, nor touch another; SourceIdentity is the tenant id', async () => {
    // Prepare: the same builder the handlers use, for this execution.
    const plan = sessionPlan('guard-in', MEMBER, run.executionName);
    const session = tenantSession(plan, 'bucket-ensure');
    const out = await new STSClient(home()).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${MEMBER}:role/${ROLE}`,
        RoleSessionName: session.sessionName,
        Policy: session.policy,
        SourceIdentity: 'guard-in',
      }),
    );
    expect(out.SourceIdentity).toBe('guard-in');
    expect(out.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${MEMBER}:assumed-role/${ROLE}/${run.executionName}`);
    const s3 = new S3Client({ endpoint: sb.aws.endpoint, region: REGION, forcePathStyle: true, credentials: asCredentials(out.Credentials) });
    const Bucket = bucketName('guard-in', MEMBER, REGION);
    const outcome = (p: Promise<unknown>) => p.then(() => 'allowed', (e: Error) => e.name);
    // Act + Assess
    expect(await outcome(s3.send(new HeadBucketCommand({ Bucket })))).toBe('allowed');
    expect(await outcome(s3.send(new GetBucketTaggingCommand({ Bucket })))).toBe('allowed');
    expect(await outcome(s3.send(new DeleteBucketCommand({ Bucket })))).toBe('AccessDenied');
    expect(await outcome(s3.send(new PutBucketPolicyCommand({ Bucket: 'some-other-bucket', Policy: '{}' })))).toMatch(/AccessDenied|NoSuchBucket/);
    expect(await outcome(s3.send(new HeadBucketCommand({ Bucket })))).toBe('allowed');
  });
});
