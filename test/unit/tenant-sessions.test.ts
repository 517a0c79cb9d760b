/**
 * Scoped tenant sessions (lambdas/shared/aws-clients.ts): every AssumeRole into a tenant account passes the job's
 * session policy, RoleSessionName = the execution name and, only when the deployment sets it, SourceIdentity = the
 * tenant id; clients are cached per (role, session name, policy); the home account needs no AssumeRole.
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IAM_PATH } from '../../lambdas/domain/names';
import { tenantSession, type SessionPlan } from '../../lambdas/domain/session-policies';
import { homeClient, tenantClient } from '../../lambdas/shared/aws-clients';
import { resetEnvCache } from '../../lambdas/shared/env';
import { ConfigurationError } from '../../lambdas/shared/errors';

const sts = mockClient(STSClient);

function plan(tenantId: string, accountId = '111111111111', executionName = `${tenantId}-0123456789ab`): SessionPlan {
  return {
    tenantId,
    executionName,
    target: { accountId, region: 'us-east-1', partition: 'aws', roleName: 'OrganizationAccountAccessRole', assumeRole: accountId !== '000000000000' },
    credentialMode: 'sts',
    bucketArn: `arn:aws:s3:::palette-backup-${tenantId}-${accountId}-us-east-1`,
    policyArn: `arn:aws:iam::${accountId}:policy/palette-onboarding/palette-onboarding-${tenantId}-backup`,
    principalName: `palette-onboarding-${tenantId}`,
    iamPath: IAM_PATH,
  };
}

let expiry = 0;
beforeEach(() => {
  sts.reset();
  expiry = Date.now() + 3600_000;
  sts.on(AssumeRoleCommand).callsFake(async () => ({
    Credentials: { AccessKeyId: 'ASIATESTKEY', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date(expiry) },
  }));
  vi.stubEnv('PALETTE_ENDPOINT', 'https://api.spectrocloud.com');
  vi.stubEnv('HOME_ACCOUNT_ID', '000000000000');
  vi.stubEnv('TENANT_REGISTRY_TABLE', 'registry');
  vi.stubEnv('ALLOWED_EXECUTION_ROLE_NAMES', 'OrganizationAccountAccessRole');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('SET_SOURCE_IDENTITY', 'false');
  resetEnvCache();
});
afterEach(() => {
  vi.unstubAllEnvs();
  resetEnvCache();
});

/** Resolves a client's credentials (what the SDK does before its first call). */
const credentialsOf = async (c: { config: { credentials: unknown } }) => (c.config.credentials as () => Promise<{ accessKeyId: string }>)();

describe('AssumeRole of a tenant session', () => {
  it('passes the job\'s session policy and the execution name; no SourceIdentity unless configured', async () => {
    const p = plan('acme');
    const session = tenantSession(p, 'bucket-ensure');
    const iam = tenantClient(IAMClient, p.target, session);
    await expect(credentialsOf(iam)).resolves.toMatchObject({ accessKeyId: 'ASIATESTKEY' });
    const calls = sts.commandCalls(AssumeRoleCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      RoleArn: 'arn:aws:iam::111111111111:role/OrganizationAccountAccessRole',
      RoleSessionName: 'acme-0123456789ab',
      DurationSeconds: 3600,
      Policy: session.policy,
    });
  });

  it('SET_SOURCE_IDENTITY=true: SourceIdentity = the tenant id', async () => {
    vi.stubEnv('SET_SOURCE_IDENTITY', 'true');
    resetEnvCache();
    const p = plan('sourced');
    await credentialsOf(tenantClient(IAMClient, p.target, tenantSession(p, 'policy-ensure')));
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input).toMatchObject({ RoleSessionName: 'sourced-0123456789ab', SourceIdentity: 'sourced' });
  });

  it('clients are cached per session: the same job reuses its credentials, another job gets its own session', async () => {
    const p = plan('cached');
    const a = tenantClient(IAMClient, p.target, tenantSession(p, 'role-ensure'));
    const b = tenantClient(IAMClient, p.target, tenantSession(p, 'role-ensure'));
    const c = tenantClient(IAMClient, p.target, tenantSession(p, 'principal-undo'));
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    await credentialsOf(a);
    await credentialsOf(b);
    await credentialsOf(c);
    const policies = sts.commandCalls(AssumeRoleCommand).map((call) => JSON.parse(String(call.args[0].input.Policy)).Statement[0].Sid);
    expect(policies).toEqual(['EnsureRole', 'UndoRole']);
  });

  it('one session serves every client class and region of the job: one client each, one AssumeRole for all', async () => {
    const p = plan('shared');
    const session = tenantSession(p, 'revalidate');
    const iam = tenantClient(IAMClient, p.target, session);
    const s3East = tenantClient(S3Client, p.target, session, 'us-east-1');
    const s3West = tenantClient(S3Client, p.target, session, 'eu-west-1');
    expect(tenantClient(S3Client, p.target, session, 'eu-west-1')).toBe(s3West);
    expect(s3West).not.toBe(s3East);
    expect(await s3West.config.region()).toBe('eu-west-1');
    await credentialsOf(iam);
    await credentialsOf(s3East);
    await credentialsOf(s3West);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
  });

  it('another execution of the tenant is another session (its own name)', () => {
    const first = plan('twice', '111111111111', 'twice-aaaaaaaaaaaa');
    const second = plan('twice', '111111111111', 'twice-bbbbbbbbbbbb');
    expect(tenantClient(IAMClient, second.target, tenantSession(second, 'bucket-ensure'))).not.toBe(tenantClient(IAMClient, first.target, tenantSession(first, 'bucket-ensure')));
  });

  it('credentials are refreshed shortly before they expire', async () => {
    const p = plan('refresh');
    const iam = tenantClient(IAMClient, p.target, tenantSession(p, 'user-ensure'));
    expiry = Date.now() + 60_000; // within the 5-minute margin
    await credentialsOf(iam);
    const first = sts.commandCalls(AssumeRoleCommand).length;
    await credentialsOf(iam);
    expect(sts.commandCalls(AssumeRoleCommand).length).toBeGreaterThan(first);
  });

  it('the home account needs no AssumeRole', () => {
    const p = plan('home', '000000000000');
    expect(tenantClient(IAMClient, p.target, tenantSession(p, 'bucket-ensure'))).toBe(homeClient(IAMClient));
    expect(tenantClient(S3Client, p.target, tenantSession(p, 'bucket-ensure'), 'eu-west-1')).toBe(homeClient(S3Client, 'eu-west-1'));
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  it('a role name the deployment does not allow is a ConfigurationError', () => {
    const p = plan('acme');
    expect(() => tenantClient(IAMClient, { ...p.target, roleName: 'Admin' }, tenantSession(p, 'bucket-ensure'))).toThrow(ConfigurationError);
  });
});
