/** STS (GetCallerIdentity, AssumeRole trust decisions, sessions, IAM propagation) through the real SDK. */
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient, type AssumeRoleCommandInput } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../local/aws/core/types';
import { allowPolicy, eventually, expectAwsError, iamClient, keysOf, start, stsClient, trustPolicy, type Keys } from './core-fixtures';

const MEMBER = '111111111111';
const OTHER = '222222222222';
const ADMIN_ARN = 'arn:aws:iam::aws:policy/AdministratorAccess';

function sessionKeys(out: { Credentials?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string } }): Keys {
  return {
    accessKeyId: out.Credentials?.AccessKeyId ?? '',
    secretAccessKey: out.Credentials?.SecretAccessKey ?? '',
    sessionToken: out.Credentials?.SessionToken ?? '',
  };
}

describe('STS with immediate IAM propagation', () => {
  let sb: RunningSandbox;
  let sts: STSClient;
  let iam: IAMClient;
  let memberIam: IAMClient;
  let mgmt: string;

  beforeAll(async () => {
    sb = await start({ accounts: [MEMBER, OTHER] });
    mgmt = sb.accountId;
    sts = stsClient(sb);
    iam = iamClient(sb);
    const member = sb.createAccount(MEMBER);
    memberIam = iamClient(sb, member);
  });
  afterAll(async () => {
    for (const c of [sts, iam, memberIam]) c?.destroy();
    await sb?.stop();
  });

  const assume = (client: STSClient, input: Partial<AssumeRoleCommandInput> & { RoleArn: string }) =>
    client.send(new AssumeRoleCommand({ RoleSessionName: 'test-session', ...input }));

  it('identifies root, IAM users and assumed roles like AWS', async () => {
    expect(await sts.send(new GetCallerIdentityCommand({}))).toMatchObject({ Account: mgmt, Arn: `arn:aws:iam::${mgmt}:root`, UserId: mgmt });
    const user = await iam.send(new CreateUserCommand({ UserName: 'who' }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'who' }));
    const userSts = stsClient(sb, { accessKeyId: key.AccessKey?.AccessKeyId ?? '', secretAccessKey: key.AccessKey?.SecretAccessKey ?? '' });
    expect(await userSts.send(new GetCallerIdentityCommand({}))).toMatchObject({ Account: mgmt, Arn: `arn:aws:iam::${mgmt}:user/who`, UserId: user.User?.UserId });
    userSts.destroy();

    const roleArn = `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`;
    const out = await assume(sts, { RoleArn: roleArn, RoleSessionName: 'onboarding' });
    const role = await memberIam.send(new GetRoleCommand({ RoleName: 'OrganizationAccountAccessRole' }));
    expect(out.AssumedRoleUser).toEqual({
      AssumedRoleId: `${role.Role?.RoleId}:onboarding`,
      Arn: `arn:aws:sts::${MEMBER}:assumed-role/OrganizationAccountAccessRole/onboarding`,
    });
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(out.Credentials?.SessionToken?.length).toBeGreaterThan(100);
    const expires = out.Credentials?.Expiration?.getTime() ?? 0;
    expect(Math.abs(expires - (Date.now() + 3600_000))).toBeLessThan(5000);
    const roleSts = stsClient(sb, sessionKeys(out));
    expect(await roleSts.send(new GetCallerIdentityCommand({}))).toMatchObject({
      Account: MEMBER,
      Arn: `arn:aws:sts::${MEMBER}:assumed-role/OrganizationAccountAccessRole/onboarding`,
      UserId: `${role.Role?.RoleId}:onboarding`,
    });
    roleSts.destroy();
  });

  it('issues session credentials that work on other services and reject a wrong or expired token', async () => {
    const out = await assume(sts, { RoleArn: `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole` });
    const keys = sessionKeys(out);
    const sessionIam = iamClient(sb, keys);
    const role = await sessionIam.send(new GetRoleCommand({ RoleName: 'OrganizationAccountAccessRole' }));
    expect(role.Role?.Arn).toBe(`arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`);
    await expectAwsError(stsClient(sb, { ...keys, sessionToken: `${keys.sessionToken}x` }).send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403);
    await expectAwsError(stsClient(sb, { accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey }).send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403);

    const record = sb.kernel.credentials.lookup(keys.accessKeyId);
    if (!record) throw new Error('session not registered');
    sb.kernel.credentials.register({ ...record, expiresAt: Date.now() - 1000 });
    await expectAwsError(sessionIam.send(new GetRoleCommand({ RoleName: 'OrganizationAccountAccessRole' })), 'ExpiredToken', 403, 'The security token included in the request is expired');
    sessionIam.destroy();
  });

  it('grants with the right external id and denies a wrong or missing one', async () => {
    const roleArn = `arn:aws:iam::${MEMBER}:role/external-id-role`;
    await memberIam.send(
      new CreateRoleCommand({
        RoleName: 'external-id-role',
        AssumeRolePolicyDocument: trustPolicy({ AWS: `arn:aws:iam::${mgmt}:root` }, { StringEquals: { 'sts:ExternalId': 'tenant-42' } }),
      }),
    );
    const ok = await assume(sts, { RoleArn: roleArn, ExternalId: 'tenant-42' });
    expect(ok.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${MEMBER}:assumed-role/external-id-role/test-session`);
    const denied = `User: arn:aws:iam::${mgmt}:root is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`;
    await expectAwsError(assume(sts, { RoleArn: roleArn, ExternalId: 'tenant-43' }), 'AccessDenied', 403, denied);
    await expectAwsError(assume(sts, { RoleArn: roleArn }), 'AccessDenied', 403, denied);
  });

  it('denies callers from an account the trust policy does not name, and unknown roles', async () => {
    await memberIam.send(new CreateRoleCommand({ RoleName: 'trusts-other', AssumeRolePolicyDocument: trustPolicy({ AWS: `arn:aws:iam::${OTHER}:root` }) }));
    await expectAwsError(
      assume(sts, { RoleArn: `arn:aws:iam::${MEMBER}:role/trusts-other` }),
      'AccessDenied',
      403,
      `User: arn:aws:iam::${mgmt}:root is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${MEMBER}:role/trusts-other`,
    );
    const other = stsClient(sb, sb.createAccount(OTHER));
    expect((await assume(other, { RoleArn: `arn:aws:iam::${MEMBER}:role/trusts-other` })).AssumedRoleUser?.Arn).toContain('trusts-other');
    other.destroy();
    await expectAwsError(assume(sts, { RoleArn: `arn:aws:iam::${MEMBER}:role/no-such-role` }), 'AccessDenied', 403, /sts:AssumeRole on resource: arn:aws:iam::111111111111:role\/no-such-role$/);
  });

  it('requires the caller identity policy for cross-account AssumeRole by an IAM user', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'cross' }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'cross' }));
    const userSts = stsClient(sb, { accessKeyId: key.AccessKey?.AccessKeyId ?? '', secretAccessKey: key.AccessKey?.SecretAccessKey ?? '' });
    const roleArn = `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`;
    await expectAwsError(assume(userSts, { RoleArn: roleArn }), 'AccessDenied', 403, `User: arn:aws:iam::${mgmt}:user/cross is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    await iam.send(new PutUserPolicyCommand({ UserName: 'cross', PolicyName: 'assume', PolicyDocument: allowPolicy('sts:AssumeRole', roleArn) }));
    expect((await assume(userSts, { RoleArn: roleArn })).AssumedRoleUser?.Arn).toContain('OrganizationAccountAccessRole');
    userSts.destroy();
  });

  it('lets a same-account principal named in the trust policy assume without an identity policy', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'named' }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'named' }));
    await iam.send(new CreateRoleCommand({ RoleName: 'names-user', AssumeRolePolicyDocument: trustPolicy({ AWS: `arn:aws:iam::${mgmt}:user/named` }) }));
    await iam.send(new CreateRoleCommand({ RoleName: 'names-account', AssumeRolePolicyDocument: trustPolicy({ AWS: `arn:aws:iam::${mgmt}:root` }) }));
    const userSts = stsClient(sb, { accessKeyId: key.AccessKey?.AccessKeyId ?? '', secretAccessKey: key.AccessKey?.SecretAccessKey ?? '' });
    await assume(userSts, { RoleArn: `arn:aws:iam::${mgmt}:role/names-user` });
    // Trusting only the account delegates to IAM policies, which this user does not have.
    await expectAwsError(assume(userSts, { RoleArn: `arn:aws:iam::${mgmt}:role/names-account` }), 'AccessDenied', 403);
    userSts.destroy();
  });

  it('validates DurationSeconds, session names and role chaining limits', async () => {
    const roleArn = `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`;
    await expectAwsError(assume(sts, { RoleArn: roleArn, DurationSeconds: 899 }), 'ValidationError', 400, /'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900/);
    await expectAwsError(assume(sts, { RoleArn: roleArn, DurationSeconds: 43201 }), 'ValidationError', 400, /less than or equal to 43200/);
    await expectAwsError(assume(sts, { RoleArn: roleArn, DurationSeconds: 7200 }), 'ValidationError', 400, 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
    await expectAwsError(assume(sts, { RoleArn: roleArn, RoleSessionName: 'bad name' }), 'ValidationError', 400, /roleSessionName/);
    const short = await assume(sts, { RoleArn: roleArn, DurationSeconds: 900 });
    expect(Math.abs((short.Credentials?.Expiration?.getTime() ?? 0) - (Date.now() + 900_000))).toBeLessThan(5000);

    await memberIam.send(
      new CreateRoleCommand({ RoleName: 'chained', MaxSessionDuration: 43200, AssumeRolePolicyDocument: trustPolicy({ AWS: `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole` }) }),
    );
    const chainSts = stsClient(sb, sessionKeys(short));
    await expectAwsError(
      assume(chainSts, { RoleArn: `arn:aws:iam::${MEMBER}:role/chained`, DurationSeconds: 7200 }),
      'ValidationError',
      400,
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
    const chained = await assume(chainSts, { RoleArn: `arn:aws:iam::${MEMBER}:role/chained` });
    expect(chained.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${MEMBER}:assumed-role/chained/test-session`);
    chainSts.destroy();
  });

  it('applies an inline session policy on top of the role permissions', async () => {
    const out = await assume(sts, {
      RoleArn: `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`,
      Policy: allowPolicy('iam:GetRole', `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`),
    });
    expect(out.PackedPolicySize).toBeGreaterThan(0);
    const scoped = iamClient(sb, sessionKeys(out));
    await scoped.send(new GetRoleCommand({ RoleName: 'OrganizationAccountAccessRole' }));
    await expectAwsError(scoped.send(new GetRoleCommand({ RoleName: 'chained' })), 'AccessDenied', 403, /iam:GetRole on resource: arn:aws:iam::111111111111:role\/chained/);
    scoped.destroy();
  });
});

describe('IAM propagation delay', () => {
  let sb: RunningSandbox;
  let iam: IAMClient;
  let sts: STSClient;

  beforeAll(async () => {
    sb = await start({ realism: { iamPropagationMs: 400 } });
    iam = iamClient(sb);
    sts = stsClient(sb);
  });
  afterAll(async () => {
    iam?.destroy();
    sts?.destroy();
    await sb?.stop();
  });

  it('denies AssumeRole on a new role until the role has propagated', async () => {
    const roleArn = `arn:aws:iam::${sb.accountId}:role/fresh`;
    await iam.send(new CreateRoleCommand({ RoleName: 'fresh', AssumeRolePolicyDocument: trustPolicy({ AWS: `arn:aws:iam::${sb.accountId}:root` }) }));
    const created = Date.now();
    await expectAwsError(sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'first' })), 'AccessDenied', 403);
    const out = await eventually(() => sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'first' })));
    expect(Date.now() - created).toBeGreaterThanOrEqual(350);
    expect(out.AssumedRoleUser?.Arn).toContain('assumed-role/fresh/first');
  });

  it('rejects a new access key as invalid until it has propagated', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'late' }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'late' }));
    const created = Date.now();
    const userSts = stsClient(sb, { accessKeyId: key.AccessKey?.AccessKeyId ?? '', secretAccessKey: key.AccessKey?.SecretAccessKey ?? '' });
    await expectAwsError(userSts.send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403);
    const id = await eventually(() => userSts.send(new GetCallerIdentityCommand({})));
    expect(Date.now() - created).toBeGreaterThanOrEqual(350);
    expect(id.Arn).toBe(`arn:aws:iam::${sb.accountId}:user/late`);
    userSts.destroy();
  });

  it('applies new attachments and trust-policy updates only after propagation', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'grower' }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'grower' }));
    const keys = { accessKeyId: key.AccessKey?.AccessKeyId ?? '', secretAccessKey: key.AccessKey?.SecretAccessKey ?? '' };
    const userIam = iamClient(sb, keys);
    await eventually(() => stsClient(sb, keys).send(new GetCallerIdentityCommand({})));
    await iam.send(new AttachUserPolicyCommand({ UserName: 'grower', PolicyArn: ADMIN_ARN }));
    await expectAwsError(userIam.send(new GetRoleCommand({ RoleName: 'fresh' })), 'AccessDenied', 403);
    await eventually(() => userIam.send(new GetRoleCommand({ RoleName: 'fresh' })));

    // The old trust policy stays in force until the update propagates.
    const roleArn = `arn:aws:iam::${sb.accountId}:role/fresh`;
    await eventually(() => sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'before' })));
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'fresh', PolicyDocument: trustPolicy({ AWS: `arn:aws:iam::${sb.accountId}:user/grower` }) }));
    await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'still-old' }));
    await eventually(async () => {
      await expectAwsError(sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'after' })), 'AccessDenied', 403);
    });
    await stsClient(sb, keys).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'grower' }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'fresh', PolicyArn: ADMIN_ARN }));
    userIam.destroy();
  });
});

describe('session tags (AssumeRole Tags / TransitiveTagKeys, sts:TagSession, aws:PrincipalTag)', () => {
  let sb: RunningSandbox;
  let iam: IAMClient;
  let sm: SecretsManagerClient;
  let mgmt: string;
  /** A caller whose identity policy may tag sessions of `scoped` only with job=read (and any tenant). */
  let caller: STSClient;

  const TENANT = 'palette-onboarding-tenant';
  const JOB = 'palette-onboarding-job';
  const tags = (tenant: string, job = 'read') => [
    { Key: TENANT, Value: tenant },
    { Key: JOB, Value: job },
  ];

  beforeAll(async () => {
    sb = await start();
    mgmt = sb.accountId;
    iam = iamClient(sb);
    sm = new SecretsManagerClient({ endpoint: sb.endpoint, region: sb.region, credentials: keysOf(sb), maxAttempts: 1 });
    const scopedArn = `arn:aws:iam::${mgmt}:role/scoped`;
    // The trust delegates to the account (so the caller's identity policy decides the tag values), for one caller only.
    await iam.send(new CreateUserCommand({ UserName: 'caller' }));
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'scoped',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${mgmt}:root` },
              Action: ['sts:AssumeRole', 'sts:TagSession'],
              Condition: { ArnEquals: { 'aws:PrincipalArn': `arn:aws:iam::${mgmt}:user/caller` } },
            },
          ],
        }),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'scoped',
        PolicyName: 'per-tenant',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 'secretsmanager:GetSecretValue',
              Resource: `arn:aws:secretsmanager:${sb.region}:${mgmt}:secret:tenants/\${aws:PrincipalTag/${TENANT}}/*`,
              Condition: { StringEquals: { [`aws:PrincipalTag/${JOB}`]: 'read' } },
            },
          ],
        }),
      }),
    );
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'caller',
        PolicyName: 'assume-scoped',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: scopedArn },
            {
              Effect: 'Allow',
              Action: 'sts:TagSession',
              Resource: scopedArn,
              Condition: {
                StringEquals: { [`aws:RequestTag/${JOB}`]: 'read' },
                'ForAllValues:StringEquals': { 'aws:TagKeys': [TENANT, JOB] },
              },
            },
          ],
        }),
      }),
    );
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'caller' }));
    caller = stsClient(sb, { accessKeyId: key.AccessKey?.AccessKeyId ?? '', secretAccessKey: key.AccessKey?.SecretAccessKey ?? '' });
    for (const tenant of ['alpha', 'beta']) {
      await sm.send(new CreateSecretCommand({ Name: `tenants/${tenant}/key`, SecretString: `${tenant}-value` }));
    }
  });
  afterAll(async () => {
    for (const c of [iam, sm, caller]) c?.destroy();
    await sb?.stop();
  });

  const scopedArn = () => `arn:aws:iam::${mgmt}:role/scoped`;
  const secretsAs = (out: { Credentials?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string } }) =>
    new SecretsManagerClient({ endpoint: sb.endpoint, region: sb.region, credentials: sessionKeys(out), maxAttempts: 1 });

  it('resolves ${aws:PrincipalTag/<key>} in a resource ARN from the session tags: one tenant per session', async () => {
    const out = await caller.send(new AssumeRoleCommand({ RoleArn: scopedArn(), RoleSessionName: 'alpha-run', Tags: tags('alpha') }));
    expect(out.PackedPolicySize).toBeGreaterThan(0);
    const alpha = secretsAs(out);
    expect((await alpha.send(new GetSecretValueCommand({ SecretId: 'tenants/alpha/key' }))).SecretString).toBe('alpha-value');
    await expectAwsError(alpha.send(new GetSecretValueCommand({ SecretId: 'tenants/beta/key' })), 'AccessDeniedException', 400, /secretsmanager:GetSecretValue/);
    alpha.destroy();
  });

  it('authorizes sts:TagSession on the caller\'s identity policy too: a tag value it may not set is AccessDenied', async () => {
    await expectAwsError(
      caller.send(new AssumeRoleCommand({ RoleArn: scopedArn(), RoleSessionName: 'writer', Tags: tags('alpha', 'write') })),
      'AccessDenied',
      403,
      `User: arn:aws:iam::${mgmt}:user/caller is not authorized to perform: sts:TagSession on resource: ${scopedArn()}`,
    );
    // A tag key the policy does not list (ForAllValues on aws:TagKeys).
    await expectAwsError(
      caller.send(new AssumeRoleCommand({ RoleArn: scopedArn(), RoleSessionName: 'extra', Tags: [...tags('alpha'), { Key: 'other', Value: 'x' }] })),
      'AccessDenied',
      403,
      /sts:TagSession/,
    );
  });

  it('a session without tags has no principal tag: the variable resolves to nothing and matches no secret', async () => {
    const out = await caller.send(new AssumeRoleCommand({ RoleArn: scopedArn(), RoleSessionName: 'untagged' }));
    const untagged = secretsAs(out);
    for (const tenant of ['alpha', 'beta']) {
      await expectAwsError(untagged.send(new GetSecretValueCommand({ SecretId: `tenants/${tenant}/key` })), 'AccessDeniedException', 400);
    }
    untagged.destroy();
  });

  it('a caller the trust policy does not name cannot tag (nor assume), whatever its own policy says', async () => {
    await expectAwsError(
      stsClient(sb).send(new AssumeRoleCommand({ RoleArn: scopedArn(), RoleSessionName: 'root', Tags: tags('alpha') })),
      'AccessDenied',
      403,
      /sts:AssumeRole on resource/,
    );
  });

  it('validates tags as AWS does', async () => {
    const assumeWith = (Tags: { Key: string; Value: string }[], TransitiveTagKeys?: string[]) =>
      caller.send(new AssumeRoleCommand({ RoleArn: scopedArn(), RoleSessionName: 'validate', Tags, ...(TransitiveTagKeys ? { TransitiveTagKeys } : {}) }));
    await expectAwsError(assumeWith(Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }))), 'ValidationError', 400, /less than or equal to 50/);
    await expectAwsError(assumeWith([{ Key: 'aws:tenant', Value: 'x' }]), 'InvalidParameterValue', 400, /reserved prefix aws:/);
    await expectAwsError(assumeWith([{ Key: 'bad#key', Value: 'x' }]), 'ValidationError', 400, /regular expression pattern/);
    await expectAwsError(assumeWith([{ Key: 'Team', Value: 'a' }, { Key: 'team', Value: 'b' }]), 'InvalidParameterValue', 400, /Duplicate tag keys/);
    await expectAwsError(assumeWith(tags('alpha'), ['missing']), 'InvalidParameterValue', 400, /transitive tag key missing/);
  });

  it("the role's own tags are principal tags too; a session tag of the same key (any case) wins", async () => {
    const tagSessions = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${mgmt}:root` }, Action: ['sts:AssumeRole', 'sts:TagSession'] }],
    });
    await iam.send(new CreateRoleCommand({ RoleName: 'tagged', AssumeRolePolicyDocument: tagSessions, Tags: [{ Key: TENANT, Value: 'beta' }] }));
    await iam.send(new TagRoleCommand({ RoleName: 'tagged', Tags: [{ Key: JOB, Value: 'read' }] }));
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'tagged',
        PolicyName: 'per-tenant',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: `arn:aws:secretsmanager:${sb.region}:${mgmt}:secret:tenants/\${aws:PrincipalTag/${TENANT}}/*` }],
        }),
      }),
    );
    const roleTags = secretsAs(await stsClient(sb).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${mgmt}:role/tagged`, RoleSessionName: 'role-tags' })));
    await roleTags.send(new GetSecretValueCommand({ SecretId: 'tenants/beta/key' }));
    await expectAwsError(roleTags.send(new GetSecretValueCommand({ SecretId: 'tenants/alpha/key' })), 'AccessDeniedException', 400);
    const overridden = secretsAs(
      await stsClient(sb).send(
        new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${mgmt}:role/tagged`, RoleSessionName: 'session-tags', Tags: [{ Key: TENANT.toUpperCase(), Value: 'alpha' }] }),
      ),
    );
    await overridden.send(new GetSecretValueCommand({ SecretId: 'tenants/alpha/key' }));
    await expectAwsError(overridden.send(new GetSecretValueCommand({ SecretId: 'tenants/beta/key' })), 'AccessDeniedException', 400);
    for (const c of [roleTags, overridden]) c.destroy();
  });

  it('passes transitive tags on in a role chain; they cannot be set again there', async () => {
    const tagSessions = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${mgmt}:root` }, Action: ['sts:AssumeRole', 'sts:TagSession'] }],
    });
    await iam.send(new CreateRoleCommand({ RoleName: 'first-hop', AssumeRolePolicyDocument: tagSessions }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'first-hop', PolicyName: 'chain', PolicyDocument: allowPolicy(['sts:AssumeRole', 'sts:TagSession'], '*') }));
    const hop = await stsClient(sb).send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${mgmt}:role/first-hop`, RoleSessionName: 'hop', Tags: [{ Key: TENANT, Value: 'alpha' }], TransitiveTagKeys: [TENANT] }),
    );
    const hopSts = stsClient(sb, sessionKeys(hop));
    const chained = await hopSts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${mgmt}:role/tagged`, RoleSessionName: 'chained' }));
    const chainedSm = secretsAs(chained);
    // The transitive session tag overrides the role's own tenant tag (beta).
    await chainedSm.send(new GetSecretValueCommand({ SecretId: 'tenants/alpha/key' }));
    await expectAwsError(chainedSm.send(new GetSecretValueCommand({ SecretId: 'tenants/beta/key' })), 'AccessDeniedException', 400);
    await expectAwsError(
      hopSts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${mgmt}:role/tagged`, RoleSessionName: 'again', Tags: [{ Key: TENANT, Value: 'beta' }] })),
      'InvalidParameterValue',
      400,
      /transitive tags/,
    );
    for (const c of [hopSts, chainedSm]) c.destroy();
  });
});
