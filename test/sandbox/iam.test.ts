/** IAM through the real @aws-sdk/client-iam against an in-process sandbox. */
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRoleCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetAccountSummaryCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListPolicyTagsCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListPolicyVersionsCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  SimulatePrincipalPolicyCommand,
  TagPolicyCommand,
  TagRoleCommand,
  TagUserCommand,
  UntagPolicyCommand,
  UntagRoleCommand,
  UpdateAccessKeyCommand,
  UpdateAssumeRolePolicyCommand,
  paginateListRoles,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../local/aws/core/types';
import {
  allowPolicy,
  expectAwsError,
  FORM,
  form,
  iamClient,
  rawRequest,
  start,
  stsClient,
  trustPolicy,
  type Keys,
} from './core-fixtures';

const ADMIN_ARN = 'arn:aws:iam::aws:policy/AdministratorAccess';
let sb: RunningSandbox;
let iam: IAMClient;
let acct: string;
const TRUST = () => trustPolicy({ AWS: `arn:aws:iam::${acct}:root` });

beforeAll(async () => {
  sb = await start({ accounts: ['111111111111'] });
  acct = sb.accountId;
  iam = iamClient(sb);
});
afterAll(async () => {
  iam?.destroy();
  await sb?.stop();
});

async function userWithKey(name: string, policies: string[] = []): Promise<Keys> {
  await iam.send(new CreateUserCommand({ UserName: name }));
  for (const p of policies) await iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: p }));
  const k = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
  return { accessKeyId: k.AccessKey?.AccessKeyId ?? '', secretAccessKey: k.AccessKey?.SecretAccessKey ?? '' };
}

describe('roles', () => {
  it('creates, reads, tags and updates a role with AWS-shaped ids and URL-encoded trust policy', async () => {
    const doc = TRUST();
    const created = await iam.send(
      new CreateRoleCommand({
        RoleName: 'app-role',
        Path: '/service/',
        AssumeRolePolicyDocument: doc,
        Description: 'test role',
        MaxSessionDuration: 7200,
        Tags: [{ Key: 'team', Value: 'platform' }],
      }),
    );
    const role = created.Role;
    expect(role?.RoleId).toMatch(/^AROA[A-Z0-9]{17}$/);
    expect(role?.Arn).toBe(`arn:aws:iam::${acct}:role/service/app-role`);
    expect(role).toMatchObject({ Path: '/service/', RoleName: 'app-role', Description: 'test role', MaxSessionDuration: 7200 });
    expect(role?.Tags).toEqual([{ Key: 'team', Value: 'platform' }]);
    expect(role?.CreateDate).toBeInstanceOf(Date);
    expect(role?.AssumeRolePolicyDocument).not.toContain('{');
    expect(JSON.parse(decodeURIComponent(role?.AssumeRolePolicyDocument ?? ''))).toEqual(JSON.parse(doc));

    const got = await iam.send(new GetRoleCommand({ RoleName: 'APP-ROLE' }));
    expect(got.Role?.RoleId).toBe(role?.RoleId);

    await iam.send(new TagRoleCommand({ RoleName: 'app-role', Tags: [{ Key: 'env', Value: 'dev' }, { Key: 'team', Value: 'core' }] }));
    await iam.send(new UntagRoleCommand({ RoleName: 'app-role', TagKeys: ['env'] }));
    const tags = await iam.send(new ListRoleTagsCommand({ RoleName: 'app-role' }));
    expect(tags.Tags).toEqual([{ Key: 'team', Value: 'core' }]);
    expect(tags.IsTruncated).toBe(false);

    const newDoc = trustPolicy({ Service: 'lambda.amazonaws.com' });
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'app-role', PolicyDocument: newDoc }));
    const after = await iam.send(new GetRoleCommand({ RoleName: 'app-role' }));
    expect(decodeURIComponent(after.Role?.AssumeRolePolicyDocument ?? '')).toBe(newDoc);

    await iam.send(new DeleteRoleCommand({ RoleName: 'app-role' }));
    await expectAwsError(iam.send(new GetRoleCommand({ RoleName: 'app-role' })), 'NoSuchEntityException', 404, 'The role with name app-role cannot be found.');
  });

  it('returns the real errors for duplicates, bad names, missing roles and malformed trust policies', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'dup', AssumeRolePolicyDocument: TRUST() }));
    await expectAwsError(iam.send(new CreateRoleCommand({ RoleName: 'DUP', AssumeRolePolicyDocument: TRUST() })), 'EntityAlreadyExistsException', 409, 'Role with name DUP already exists.');
    await expectAwsError(
      iam.send(new CreateRoleCommand({ RoleName: 'bad name', AssumeRolePolicyDocument: TRUST() })),
      'ValidationError',
      400,
      /Value 'bad name' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern/,
    );
    await expectAwsError(iam.send(new CreateRoleCommand({ RoleName: 'x'.repeat(65), AssumeRolePolicyDocument: TRUST() })), 'ValidationError', 400, /length less than or equal to 64/);
    await expectAwsError(iam.send(new DeleteRoleCommand({ RoleName: 'missing' })), 'NoSuchEntityException', 404);
    await expectAwsError(iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'missing', PolicyDocument: TRUST() })), 'NoSuchEntityException', 404);

    const malformed: Array<[string, string | RegExp]> = [
      ['{not json', 'This policy contains invalid Json'],
      [JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }] }), 'Missing required field Principal'],
      [JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Maybe', Principal: { AWS: acct }, Action: 'sts:AssumeRole' }] }), 'Syntax errors in policy.'],
      [JSON.stringify({ Version: '2013-01-01', Statement: [{ Effect: 'Allow', Principal: { AWS: acct }, Action: 'sts:AssumeRole' }] }), /legacy parsing/],
      [JSON.stringify({ Version: '2012-10-17' }), 'Syntax errors in policy.'],
      [JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: acct }, Action: 's3:GetObject' }] }), /only specify STS/],
      [JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: acct }, Action: 'sts:AssumeRole', Resource: '*' }] }), 'Has prohibited field Resource'],
      [trustPolicy({ AWS: 'arn:aws:iam::12345:root' }), 'Invalid principal in policy: "AWS":"arn:aws:iam::12345:root"'],
      [trustPolicy({ AWS: `arn:aws:iam::${acct}:role/does-not-exist` }), `Invalid principal in policy: "AWS":"arn:aws:iam::${acct}:role/does-not-exist"`],
      [trustPolicy({ Service: 'not a service' }), /Invalid principal in policy/],
      [JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: acct }, Action: 'AssumeRole' }] }), /prefaced by a vendor/],
    ];
    for (const [doc, message] of malformed) {
      await expectAwsError(iam.send(new CreateRoleCommand({ RoleName: 'malformed', AssumeRolePolicyDocument: doc })), 'MalformedPolicyDocumentException', 400, message);
    }
    // External accounts the sandbox does not know are accepted (their entities cannot be checked).
    await iam.send(new CreateRoleCommand({ RoleName: 'external-trust', AssumeRolePolicyDocument: trustPolicy({ AWS: 'arn:aws:iam::999988887777:role/Palette' }) }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'external-trust' }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'dup' }));
  });

  it('lists roles by path prefix with Marker/MaxItems paging', async () => {
    for (const n of ['p-a', 'p-b', 'p-c', 'p-d', 'p-e']) {
      await iam.send(new CreateRoleCommand({ RoleName: n, Path: '/paged/', AssumeRolePolicyDocument: TRUST() }));
    }
    const first = await iam.send(new ListRolesCommand({ PathPrefix: '/paged/', MaxItems: 2 }));
    expect(first.Roles?.map((r) => r.RoleName)).toEqual(['p-a', 'p-b']);
    expect(first.IsTruncated).toBe(true);
    expect(first.Marker).toBeTruthy();
    const second = await iam.send(new ListRolesCommand({ PathPrefix: '/paged/', MaxItems: 2, Marker: first.Marker }));
    expect(second.Roles?.map((r) => r.RoleName)).toEqual(['p-c', 'p-d']);
    const all: string[] = [];
    for await (const page of paginateListRoles({ client: iam, pageSize: 2 }, { PathPrefix: '/paged/' })) {
      all.push(...(page.Roles ?? []).map((r) => r.RoleName ?? ''));
    }
    expect(all).toEqual(['p-a', 'p-b', 'p-c', 'p-d', 'p-e']);
    const everything = await iam.send(new ListRolesCommand({}));
    expect(everything.Roles?.some((r) => r.RoleName === 'p-a')).toBe(true);
    expect(everything.Roles?.[0]?.Tags).toBeUndefined();
    for (const n of all) await iam.send(new DeleteRoleCommand({ RoleName: n }));
  });
});

describe('managed policies', () => {
  it('creates a policy, manages versions up to the 5-version limit and deletes it', async () => {
    const doc = allowPolicy('s3:GetObject', 'arn:aws:s3:::bucket/*');
    const created = await iam.send(new CreatePolicyCommand({ PolicyName: 'reader', Path: '/app/', PolicyDocument: doc, Description: 'reads' }));
    const arn = `arn:aws:iam::${acct}:policy/app/reader`;
    expect(created.Policy).toMatchObject({ PolicyName: 'reader', Arn: arn, Path: '/app/', DefaultVersionId: 'v1', AttachmentCount: 0, IsAttachable: true });
    expect(created.Policy?.PolicyId).toMatch(/^ANPA[A-Z0-9]{17}$/);
    await expectAwsError(iam.send(new CreatePolicyCommand({ PolicyName: 'reader', PolicyDocument: doc })), 'EntityAlreadyExistsException', 409, /A policy called reader already exists/);

    const got = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    expect(got.Policy).toMatchObject({ Description: 'reads', DefaultVersionId: 'v1' });
    const v1 = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }));
    expect(v1.PolicyVersion?.IsDefaultVersion).toBe(true);
    expect(decodeURIComponent(v1.PolicyVersion?.Document ?? '')).toBe(doc);

    for (let i = 2; i <= 5; i++) {
      const v = await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: allowPolicy(`s3:GetObjectVersion`), SetAsDefault: i === 3 }));
      expect(v.PolicyVersion).toMatchObject({ VersionId: `v${i}`, IsDefaultVersion: i === 3 });
      expect(v.PolicyVersion?.Document).toBeUndefined();
    }
    await expectAwsError(
      iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc })),
      'LimitExceededException',
      409,
      'A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.',
    );
    const versions = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }));
    expect(versions.Versions?.map((v) => [v.VersionId, v.IsDefaultVersion])).toEqual([
      ['v5', false],
      ['v4', false],
      ['v3', true],
      ['v2', false],
      ['v1', false],
    ]);
    await expectAwsError(iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v3' })), 'DeleteConflictException', 409, 'Cannot delete the default version of a policy.');
    await expectAwsError(iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v9' })), 'NoSuchEntityException', 404);
    await expectAwsError(iam.send(new DeletePolicyCommand({ PolicyArn: arn })), 'DeleteConflictException', 409, /more than one version/);
    for (const v of ['v1', 'v2', 'v4', 'v5']) await iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: v }));
    await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
    await expectAwsError(iam.send(new GetPolicyCommand({ PolicyArn: arn })), 'NoSuchEntityException', 404, `Policy ${arn} was not found.`);
  });

  it('validates identity policy documents', async () => {
    const cases: Array<[string, string | RegExp]> = [
      [JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*', Principal: '*' }] }), 'Policy document should not specify a principal.'],
      [JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*' }] }), 'Policy statement must contain resources.'],
      [JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Resource: '*' }] }), 'Policy statement must contain actions.'],
      [JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: 'bucket' }] }), /must be in ARN format/],
      ['[]', 'This policy contains invalid Json'],
    ];
    for (const [doc, message] of cases) {
      await expectAwsError(iam.send(new CreatePolicyCommand({ PolicyName: 'bad', PolicyDocument: doc })), 'MalformedPolicyDocumentException', 400, message);
    }
    await expectAwsError(iam.send(new CreatePolicyCommand({ PolicyName: 'huge', PolicyDocument: allowPolicy(Array.from({ length: 600 }, (_, i) => `s3:Action${i}`)) })), 'LimitExceededException', 409, /PolicySize/);
  });

  it('serves AWS managed AdministratorAccess', async () => {
    const p = await iam.send(new GetPolicyCommand({ PolicyArn: ADMIN_ARN }));
    expect(p.Policy).toMatchObject({ PolicyName: 'AdministratorAccess', PolicyId: 'ANPAIWMBCKSKIEE64ZLYK', DefaultVersionId: 'v1', Path: '/' });
    const v = await iam.send(new GetPolicyVersionCommand({ PolicyArn: ADMIN_ARN, VersionId: 'v1' }));
    expect(JSON.parse(decodeURIComponent(v.PolicyVersion?.Document ?? ''))).toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
    await expectAwsError(iam.send(new DeletePolicyCommand({ PolicyArn: ADMIN_ARN })), 'NoSuchEntityException', 404);
  });
});

describe('attachments', () => {
  it('attaches, lists and detaches role and user policies with conflict rules', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'att-role', AssumeRolePolicyDocument: TRUST() }));
    await iam.send(new CreateUserCommand({ UserName: 'att-user' }));
    const custom = await iam.send(new CreatePolicyCommand({ PolicyName: 'att-policy', PolicyDocument: allowPolicy('sqs:*') }));
    const customArn = custom.Policy?.Arn ?? '';

    await expectAwsError(
      iam.send(new AttachRolePolicyCommand({ RoleName: 'att-role', PolicyArn: `arn:aws:iam::${acct}:policy/nope` })),
      'NoSuchEntityException',
      404,
      `Policy arn:aws:iam::${acct}:policy/nope does not exist or is not attachable.`,
    );
    await expectAwsError(iam.send(new AttachRolePolicyCommand({ RoleName: 'no-role', PolicyArn: ADMIN_ARN })), 'NoSuchEntityException', 404);
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'att-role', PolicyArn: ADMIN_ARN }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'att-role', PolicyArn: customArn }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'att-role', PolicyArn: customArn }));
    await iam.send(new AttachUserPolicyCommand({ UserName: 'att-user', PolicyArn: customArn }));

    const listed = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'att-role' }));
    expect(listed.AttachedPolicies).toEqual([
      { PolicyName: 'AdministratorAccess', PolicyArn: ADMIN_ARN },
      { PolicyName: 'att-policy', PolicyArn: customArn },
    ]);
    const userListed = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'att-user' }));
    expect(userListed.AttachedPolicies).toEqual([{ PolicyName: 'att-policy', PolicyArn: customArn }]);
    expect((await iam.send(new GetPolicyCommand({ PolicyArn: customArn }))).Policy?.AttachmentCount).toBe(2);

    await expectAwsError(iam.send(new DeleteRoleCommand({ RoleName: 'att-role' })), 'DeleteConflictException', 409, 'Cannot delete entity, must detach all policies first.');
    await expectAwsError(iam.send(new DeletePolicyCommand({ PolicyArn: customArn })), 'DeleteConflictException', 409, 'Cannot delete a policy attached to entities.');
    await expectAwsError(iam.send(new DeleteUserCommand({ UserName: 'att-user' })), 'DeleteConflictException', 409, 'Cannot delete entity, must detach all policies first.');

    await iam.send(new DetachRolePolicyCommand({ RoleName: 'att-role', PolicyArn: ADMIN_ARN }));
    await iam.send(new DetachRolePolicyCommand({ RoleName: 'att-role', PolicyArn: customArn }));
    await expectAwsError(iam.send(new DetachRolePolicyCommand({ RoleName: 'att-role', PolicyArn: customArn })), 'NoSuchEntityException', 404);
    await iam.send(new DetachUserPolicyCommand({ UserName: 'att-user', PolicyArn: customArn }));
    await iam.send(new DeletePolicyCommand({ PolicyArn: customArn }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'att-role' }));
    await iam.send(new DeleteUserCommand({ UserName: 'att-user' }));
  });

  it('enforces the 10 managed policies per role quota', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'quota-role', AssumeRolePolicyDocument: TRUST() }));
    const arns: string[] = [];
    for (let i = 0; i < 11; i++) {
      const p = await iam.send(new CreatePolicyCommand({ PolicyName: `q${i}`, PolicyDocument: allowPolicy(`sqs:Send${i}`) }));
      arns.push(p.Policy?.Arn ?? '');
    }
    for (const arn of arns.slice(0, 10)) await iam.send(new AttachRolePolicyCommand({ RoleName: 'quota-role', PolicyArn: arn }));
    await expectAwsError(iam.send(new AttachRolePolicyCommand({ RoleName: 'quota-role', PolicyArn: arns[10] })), 'LimitExceededException', 409, 'Cannot exceed quota for PoliciesPerRole: 10');
    for (const arn of arns.slice(0, 10)) await iam.send(new DetachRolePolicyCommand({ RoleName: 'quota-role', PolicyArn: arn }));
    for (const arn of arns) await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'quota-role' }));
  });
});

describe('users and access keys', () => {
  it('creates users, answers GetUser for the caller, and manages access keys with the 2-key limit', async () => {
    const created = await iam.send(new CreateUserCommand({ UserName: 'alice', Tags: [{ Key: 'k', Value: 'v' }] }));
    expect(created.User?.UserId).toMatch(/^AIDA[A-Z0-9]{17}$/);
    expect(created.User?.Arn).toBe(`arn:aws:iam::${acct}:user/alice`);
    await expectAwsError(iam.send(new CreateUserCommand({ UserName: 'alice' })), 'EntityAlreadyExistsException', 409, 'User with name alice already exists.');
    await iam.send(new TagUserCommand({ UserName: 'alice', Tags: [{ Key: 'k2', Value: 'v2' }] }));
    expect((await iam.send(new GetUserCommand({ UserName: 'alice' }))).User?.Tags).toEqual([
      { Key: 'k', Value: 'v' },
      { Key: 'k2', Value: 'v2' },
    ]);
    expect((await iam.send(new GetUserCommand({}))).User).toMatchObject({ UserId: acct, Arn: `arn:aws:iam::${acct}:root` });
    expect((await iam.send(new ListUsersCommand({}))).Users?.map((u) => u.UserName)).toContain('alice');

    const k1 = await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
    expect(k1.AccessKey?.AccessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(k1.AccessKey?.SecretAccessKey).toHaveLength(40);
    expect(k1.AccessKey?.Status).toBe('Active');
    const k2 = await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
    await expectAwsError(iam.send(new CreateAccessKeyCommand({ UserName: 'alice' })), 'LimitExceededException', 409, 'Cannot exceed quota for AccessKeysPerUser: 2');
    const listed = await iam.send(new ListAccessKeysCommand({ UserName: 'alice' }));
    expect(listed.AccessKeyMetadata?.map((m) => [m.UserName, m.AccessKeyId, m.Status])).toEqual([
      ['alice', k1.AccessKey?.AccessKeyId, 'Active'],
      ['alice', k2.AccessKey?.AccessKeyId, 'Active'],
    ]);

    const aliceKeys = { accessKeyId: k1.AccessKey?.AccessKeyId ?? '', secretAccessKey: k1.AccessKey?.SecretAccessKey ?? '' };
    const aliceSts = stsClient(sb, aliceKeys);
    expect((await aliceSts.send(new GetCallerIdentityCommand({}))).UserId).toBe(created.User?.UserId);
    await iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: aliceKeys.accessKeyId, Status: 'Inactive' }));
    await expectAwsError(aliceSts.send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403, 'The security token included in the request is invalid.');
    await iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: aliceKeys.accessKeyId, Status: 'Active' }));
    await aliceSts.send(new GetCallerIdentityCommand({}));
    await expectAwsError(iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: 'AKIANOTAREALKEY12345', Status: 'Inactive' })), 'NoSuchEntityException', 404, 'The Access Key with id AKIANOTAREALKEY12345 cannot be found.');

    await expectAwsError(iam.send(new DeleteUserCommand({ UserName: 'alice' })), 'DeleteConflictException', 409, 'Cannot delete entity, must delete access keys first.');
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: aliceKeys.accessKeyId }));
    await expectAwsError(aliceSts.send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403);
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: k2.AccessKey?.AccessKeyId }));
    await iam.send(new DeleteUserCommand({ UserName: 'alice' }));
    await expectAwsError(iam.send(new GetUserCommand({ UserName: 'alice' })), 'NoSuchEntityException', 404, 'The user with name alice cannot be found.');
    aliceSts.destroy();
  });

  it('supports inline user policies (Put/Get/List/Delete) and counts them for DeleteUser', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'inline-user' }));
    const doc = allowPolicy('sqs:SendMessage');
    await iam.send(new PutUserPolicyCommand({ UserName: 'inline-user', PolicyName: 'send', PolicyDocument: doc }));
    const got = await iam.send(new GetUserPolicyCommand({ UserName: 'inline-user', PolicyName: 'send' }));
    expect(got).toMatchObject({ UserName: 'inline-user', PolicyName: 'send' });
    expect(decodeURIComponent(got.PolicyDocument ?? '')).toBe(doc);
    expect((await iam.send(new ListUserPoliciesCommand({ UserName: 'inline-user' }))).PolicyNames).toEqual(['send']);
    await expectAwsError(iam.send(new DeleteUserCommand({ UserName: 'inline-user' })), 'DeleteConflictException', 409, 'Cannot delete entity, must delete policies first.');
    await iam.send(new DeleteUserPolicyCommand({ UserName: 'inline-user', PolicyName: 'send' }));
    await iam.send(new DeleteUserCommand({ UserName: 'inline-user' }));
  });

  it('reports counts and quotas in GetAccountSummary', async () => {
    const before = (await iam.send(new GetAccountSummaryCommand({}))).SummaryMap ?? {};
    await iam.send(new CreateUserCommand({ UserName: 'summary-user' }));
    await iam.send(new CreateRoleCommand({ RoleName: 'summary-role', AssumeRolePolicyDocument: TRUST() }));
    const after = (await iam.send(new GetAccountSummaryCommand({}))).SummaryMap ?? {};
    expect(after.Users).toBe((before.Users ?? 0) + 1);
    expect(after.Roles).toBe((before.Roles ?? 0) + 1);
    expect(after).toMatchObject({ AccessKeysPerUserQuota: 2, VersionsPerPolicyQuota: 5, AttachedPoliciesPerRoleQuota: 10, RolesQuota: 1000 });
    await iam.send(new DeleteUserCommand({ UserName: 'summary-user' }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'summary-role' }));
  });
});

describe('authorization of IAM callers', () => {
  it('denies IAM users without permissions with an AWS-style message that never leaks secrets', async () => {
    const keys = await userWithKey('nobody');
    const client = iamClient(sb, keys);
    const err = await expectAwsError(
      client.send(new CreateRoleCommand({ RoleName: 'x', AssumeRolePolicyDocument: TRUST() })),
      'AccessDenied',
      403,
      `User: arn:aws:iam::${acct}:user/nobody is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::${acct}:role/x because no identity-based policy allows the iam:CreateRole action`,
    );
    expect(JSON.stringify(err)).not.toContain(keys.secretAccessKey);
    expect(err.message).not.toContain(sb.secretAccessKey);
    await expectAwsError(client.send(new GetUserCommand({})), 'AccessDenied', 403, /iam:GetUser on resource: arn:aws:iam::\d+:user\/nobody/);
    client.destroy();
  });

  it('honours resource-scoped allows and explicit denies from attached and inline policies', async () => {
    const scoped = await iam.send(
      new CreatePolicyCommand({
        PolicyName: 'app-roles-only',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: ['iam:CreateRole', 'iam:GetRole', 'iam:DeleteRole'], Resource: `arn:aws:iam::${acct}:role/app-*` },
            { Effect: 'Deny', Action: 'iam:DeleteRole', Resource: `arn:aws:iam::${acct}:role/app-protected` },
          ],
        }),
      }),
    );
    const keys = await userWithKey('deployer', [scoped.Policy?.Arn ?? '']);
    const client = iamClient(sb, keys);
    await client.send(new CreateRoleCommand({ RoleName: 'app-one', AssumeRolePolicyDocument: TRUST() }));
    await client.send(new CreateRoleCommand({ RoleName: 'app-protected', AssumeRolePolicyDocument: TRUST() }));
    await expectAwsError(client.send(new CreateRoleCommand({ RoleName: 'other', AssumeRolePolicyDocument: TRUST() })), 'AccessDenied', 403, /iam:CreateRole on resource: arn:aws:iam::\d+:role\/other/);
    await expectAwsError(
      client.send(new DeleteRoleCommand({ RoleName: 'app-protected' })),
      'AccessDenied',
      403,
      /iam:DeleteRole on resource: arn:aws:iam::\d+:role\/app-protected with an explicit deny in an identity-based policy/,
    );
    await client.send(new DeleteRoleCommand({ RoleName: 'app-one' }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'deployer', PolicyName: 'list', PolicyDocument: allowPolicy('iam:ListRoles') }));
    expect((await client.send(new ListRolesCommand({}))).Roles?.some((r) => r.RoleName === 'app-protected')).toBe(true);
    await iam.send(new DeleteRoleCommand({ RoleName: 'app-protected' }));
    client.destroy();
  });
});

describe('SimulatePrincipalPolicy', () => {
  it("evaluates a role's attached and inline policies (explicit deny included) for actions x resources, as the caller may", async () => {
    const role = await iam.send(new CreateRoleCommand({ RoleName: 'sim-role', Path: '/sim/', AssumeRolePolicyDocument: TRUST() }));
    const arn = role.Role?.Arn ?? '';
    const managed = await iam.send(new CreatePolicyCommand({ PolicyName: 'sim-ec2', PolicyDocument: allowPolicy(['ec2:Describe*', 'ec2:RunInstances', 'ec2:TerminateInstances']) }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'sim-role', PolicyArn: managed.Policy?.Arn }));
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'sim-role',
        PolicyName: 'deny',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'ec2:RunInstances', Resource: '*' }] }),
      }),
    );
    const out = await iam.send(
      new SimulatePrincipalPolicyCommand({ PolicySourceArn: arn, ActionNames: ['ec2:DescribeVpcs', 'ec2:RunInstances', 'elasticloadbalancing:CreateLoadBalancer'] }),
    );
    expect(out.EvaluationResults?.map((r) => [r.EvalActionName, r.EvalResourceName, r.EvalDecision])).toEqual([
      ['ec2:DescribeVpcs', '*', 'allowed'],
      ['ec2:RunInstances', '*', 'explicitDeny'],
      ['elasticloadbalancing:CreateLoadBalancer', '*', 'implicitDeny'],
    ]);
    expect(out.IsTruncated).toBe(false);
    const scoped = await iam.send(
      new SimulatePrincipalPolicyCommand({ PolicySourceArn: arn, ActionNames: ['ec2:TerminateInstances'], ResourceArns: [`arn:aws:ec2:us-east-1:${acct}:instance/i-1`, '*'] }),
    );
    expect(scoped.EvaluationResults?.map((r) => [r.EvalResourceName, r.EvalDecision])).toEqual([
      [`arn:aws:ec2:us-east-1:${acct}:instance/i-1`, 'allowed'],
      ['*', 'allowed'],
    ]);
  });

  it('needs iam:SimulatePrincipalPolicy on the source; a missing entity, another path or an unsupported input is refused', async () => {
    const keys = await userWithKey('sim-caller');
    const client = iamClient(sb, keys);
    await expectAwsError(
      client.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${acct}:user/sim-caller`, ActionNames: ['s3:ListBucket'] })),
      'AccessDenied',
      403,
      /iam:SimulatePrincipalPolicy on resource: arn:aws:iam::\d+:user\/sim-caller/,
    );
    await iam.send(new PutUserPolicyCommand({ UserName: 'sim-caller', PolicyName: 'sim', PolicyDocument: allowPolicy(['iam:SimulatePrincipalPolicy', 's3:ListBucket']) }));
    const self = await client.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${acct}:user/sim-caller`, ActionNames: ['s3:ListBucket', 's3:PutObject'] }));
    expect(self.EvaluationResults?.map((r) => r.EvalDecision)).toEqual(['allowed', 'implicitDeny']);
    await expectAwsError(iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${acct}:role/nope`, ActionNames: ['s3:ListBucket'] })), 'NoSuchEntityException', 404);
    await expectAwsError(iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${acct}:role/sim-role`, ActionNames: ['s3:ListBucket'] })), 'NoSuchEntityException', 404);
    await expectAwsError(
      iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${acct}:user/sim-caller`, ActionNames: ['s3:ListBucket'], CallerArn: `arn:aws:iam::${acct}:user/x` })),
      'InvalidInputException',
      400,
      /does not support CallerArn/,
    );
    client.destroy();
  });
});

describe('tags in authorization', () => {
  const TEAM = 'example/team';
  const policyOf = (statements: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

  it('creating a role, user or policy WITH tags also needs iam:TagRole / TagUser / TagPolicy (aws:RequestTag in the context)', async () => {
    const keys = await userWithKey('creator');
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'creator',
        PolicyName: 'create-only',
        PolicyDocument: allowPolicy(['iam:CreateRole', 'iam:CreateUser', 'iam:CreatePolicy'], [`arn:aws:iam::${acct}:role/made-*`, `arn:aws:iam::${acct}:user/made-*`, `arn:aws:iam::${acct}:policy/made-*`]),
      }),
    );
    const client = iamClient(sb, keys);
    const Tags = [{ Key: TEAM, Value: 'red' }];
    await client.send(new CreateRoleCommand({ RoleName: 'made-untagged', AssumeRolePolicyDocument: TRUST() }));
    await expectAwsError(client.send(new CreateRoleCommand({ RoleName: 'made-tagged', AssumeRolePolicyDocument: TRUST(), Tags })), 'AccessDenied', 403, /iam:TagRole on resource: arn:aws:iam::\d+:role\/made-tagged/);
    await expectAwsError(client.send(new CreateUserCommand({ UserName: 'made-user', Tags })), 'AccessDenied', 403, /iam:TagUser/);
    await expectAwsError(client.send(new CreatePolicyCommand({ PolicyName: 'made-policy', PolicyDocument: allowPolicy('s3:ListBucket'), Tags })), 'AccessDenied', 403, /iam:TagPolicy/);
    // Tagging allowed only with team=red.
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'creator',
        PolicyName: 'tag-red',
        PolicyDocument: policyOf([
          { Effect: 'Allow', Action: ['iam:TagRole', 'iam:TagUser', 'iam:TagPolicy'], Resource: '*', Condition: { StringEquals: { [`aws:RequestTag/${TEAM}`]: 'red' } } },
        ]),
      }),
    );
    await client.send(new CreateRoleCommand({ RoleName: 'made-tagged', AssumeRolePolicyDocument: TRUST(), Tags }));
    await client.send(new CreateUserCommand({ UserName: 'made-user', Tags }));
    await client.send(new CreatePolicyCommand({ PolicyName: 'made-policy', PolicyDocument: allowPolicy('s3:ListBucket'), Tags }));
    await expectAwsError(
      client.send(new CreateRoleCommand({ RoleName: 'made-blue', AssumeRolePolicyDocument: TRUST(), Tags: [{ Key: TEAM, Value: 'blue' }] })),
      'AccessDenied',
      403,
      /iam:TagRole/,
    );
    expect(await iam.send(new GetRoleCommand({ RoleName: 'made-blue' })).catch((e: Error) => e.name)).toBe('NoSuchEntityException');
    client.destroy();
  });

  it("an existing entity's tags are aws:ResourceTag/<key> (iam:ResourceTag/<key> for roles and users) of every other action on it", async () => {
    const keys = await userWithKey('red-admin');
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'red-admin',
        PolicyName: 'red-only',
        PolicyDocument: policyOf([
          {
            Effect: 'Allow',
            Action: ['iam:GetRole', 'iam:TagRole', 'iam:GetUser', 'iam:GetPolicy', 'iam:TagPolicy', 'iam:ListPolicyTags'],
            Resource: '*',
            Condition: { StringEqualsIfExists: { [`aws:ResourceTag/${TEAM}`]: 'red' } },
          },
          { Effect: 'Allow', Action: 'iam:DeleteRole', Resource: '*', Condition: { StringEquals: { [`iam:ResourceTag/${TEAM}`]: 'red' } } },
        ]),
      }),
    );
    const Red = [{ Key: TEAM, Value: 'red' }];
    const Blue = [{ Key: TEAM, Value: 'blue' }];
    await iam.send(new CreateRoleCommand({ RoleName: 'red-role', AssumeRolePolicyDocument: TRUST(), Tags: Red }));
    await iam.send(new CreateRoleCommand({ RoleName: 'blue-role', AssumeRolePolicyDocument: TRUST(), Tags: Blue }));
    await iam.send(new CreateRoleCommand({ RoleName: 'plain-role', AssumeRolePolicyDocument: TRUST() }));
    await iam.send(new CreateUserCommand({ UserName: 'blue-user', Tags: Blue }));
    const blue = await iam.send(new CreatePolicyCommand({ PolicyName: 'blue-policy', PolicyDocument: allowPolicy('s3:ListBucket'), Tags: Blue }));
    const client = iamClient(sb, keys);
    await client.send(new GetRoleCommand({ RoleName: 'red-role' }));
    await client.send(new GetRoleCommand({ RoleName: 'plain-role' }));
    await client.send(new GetRoleCommand({ RoleName: 'no-such-role' })).catch((e: Error) => expect(e.name).toBe('NoSuchEntityException'));
    await expectAwsError(client.send(new GetRoleCommand({ RoleName: 'blue-role' })), 'AccessDenied', 403, /iam:GetRole on resource: arn:aws:iam::\d+:role\/blue-role/);
    await expectAwsError(client.send(new TagRoleCommand({ RoleName: 'blue-role', Tags: Red })), 'AccessDenied', 403, /iam:TagRole/);
    await expectAwsError(client.send(new GetUserCommand({ UserName: 'blue-user' })), 'AccessDenied', 403, /iam:GetUser/);
    await expectAwsError(client.send(new GetPolicyCommand({ PolicyArn: blue.Policy?.Arn })), 'AccessDenied', 403, /iam:GetPolicy/);
    await expectAwsError(client.send(new DeleteRoleCommand({ RoleName: 'plain-role' })), 'AccessDenied', 403, /iam:DeleteRole/);
    await client.send(new DeleteRoleCommand({ RoleName: 'red-role' }));
    client.destroy();
  });

  it('tags customer managed policies (TagPolicy, ListPolicyTags, UntagPolicy)', async () => {
    const p = await iam.send(new CreatePolicyCommand({ PolicyName: 'tag-me', PolicyDocument: allowPolicy('s3:ListBucket'), Tags: [{ Key: 'a', Value: '1' }] }));
    const PolicyArn = p.Policy?.Arn ?? '';
    await iam.send(new TagPolicyCommand({ PolicyArn, Tags: [{ Key: 'b', Value: '2' }, { Key: 'A', Value: '3' }] }));
    expect((await iam.send(new ListPolicyTagsCommand({ PolicyArn }))).Tags).toEqual([{ Key: 'A', Value: '3' }, { Key: 'b', Value: '2' }]);
    expect((await iam.send(new GetPolicyCommand({ PolicyArn }))).Policy?.Tags).toEqual(expect.arrayContaining([{ Key: 'b', Value: '2' }]));
    await iam.send(new UntagPolicyCommand({ PolicyArn, TagKeys: ['b'] }));
    expect((await iam.send(new ListPolicyTagsCommand({ PolicyArn }))).Tags).toEqual([{ Key: 'A', Value: '3' }]);
    await expectAwsError(iam.send(new TagPolicyCommand({ PolicyArn: `arn:aws:iam::${acct}:policy/none`, Tags: [{ Key: 'a', Value: '1' }] })), 'NoSuchEntityException', 404);
    await expectAwsError(iam.send(new TagPolicyCommand({ PolicyArn: ADMIN_ARN, Tags: [{ Key: 'a', Value: '1' }] })), 'NoSuchEntityException', 404);
  });
});

describe('wire format', () => {
  const parser = new XMLParser({ ignoreAttributes: false });

  it('renders query-protocol errors as ErrorResponse with the IAM namespace and request id headers', async () => {
    const res = await rawRequest(sb, { service: 'iam', headers: FORM, body: form({ Action: 'GetRole', Version: '2010-05-08', RoleName: 'nope' }) });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/xml');
    const xml = parser.parse(res.text);
    expect(xml.ErrorResponse['@_xmlns']).toBe('https://iam.amazonaws.com/doc/2010-05-08/');
    expect(xml.ErrorResponse.Error).toEqual({ Type: 'Sender', Code: 'NoSuchEntity', Message: 'The role with name nope cannot be found.' });
    expect(xml.ErrorResponse.RequestId).toBe(res.headers.get('x-amzn-requestid'));
    expect(res.headers.get('x-amz-request-id')).toBe(res.headers.get('x-amzn-requestid'));
  });

  it('accepts GET query requests and shapes results as <Action>Response/<Action>Result/ResponseMetadata', async () => {
    const res = await rawRequest(sb, { service: 'iam', method: 'GET', query: { Action: 'GetPolicy', Version: '2010-05-08', PolicyArn: ADMIN_ARN } });
    expect(res.status).toBe(200);
    const xml = parser.parse(res.text);
    expect(Object.keys(xml.GetPolicyResponse)).toEqual(['GetPolicyResult', 'ResponseMetadata', '@_xmlns']);
    expect(xml.GetPolicyResponse.GetPolicyResult.Policy.PolicyName).toBe('AdministratorAccess');
    expect(xml.GetPolicyResponse.ResponseMetadata.RequestId).toMatch(/^[0-9a-f-]{36}$/);
    const unknown = await rawRequest(sb, { service: 'iam', headers: FORM, body: form({ Action: 'DescribeNothing', Version: '2010-05-08' }) });
    expect(unknown.status).toBe(400);
    expect(parser.parse(unknown.text).ErrorResponse.Error.Code).toBe('InvalidAction');
  });

  it('accepts any signing region for the global IAM endpoint', async () => {
    const eu = new IAMClient({ endpoint: sb.endpoint, region: 'eu-central-1', credentials: { accessKeyId: sb.accessKeyId, secretAccessKey: sb.secretAccessKey } });
    expect((await eu.send(new GetPolicyCommand({ PolicyArn: ADMIN_ARN }))).Policy?.PolicyName).toBe('AdministratorAccess');
    eu.destroy();
  });
});
