/**
 * The sandbox's AWS Organizations: the organization model and its admin API, the Organizations API through the
 * real SDK client (@aws-sdk/client-organizations), the organization condition keys in real AssumeRole decisions,
 * Lambda-style service sessions, and the in-process authorization observer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateRoleCommand, GetRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  DescribeAccountCommand,
  DescribeOrganizationalUnitCommand,
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListChildrenCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
  ListRootsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_ORGANIZATION_ID, SANDBOX_ROOT_ID } from '../../local/aws';
import type { AuthorizeEvent, RunningSandbox } from '../../local/aws/core/types';
import { allowPolicy, expectAwsError, iamClient, keysOf, start, stsClient, trustPolicy, type Keys } from './core-fixtures';

const ORG = SANDBOX_ORGANIZATION_ID;
const ROOT = SANDBOX_ROOT_ID;

interface OuInfo {
  id: string;
  arn: string;
  name: string;
  parentId: string;
  path: string;
}

function orgs(sb: RunningSandbox, keys: Keys = keysOf(sb)): OrganizationsClient {
  return new OrganizationsClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: keys, maxAttempts: 1 });
}

async function admin<T>(sb: RunningSandbox, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${sb.endpoint}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function createOu(sb: RunningSandbox, name: string, parentId: string = ROOT): Promise<OuInfo> {
  const r = await admin<OuInfo>(sb, 'POST', '/_sandbox/organization/ous', { name, parentId });
  expect(r.status).toBe(200);
  return r.body;
}

/** Temporary credentials of a role in `accountId` (assumed with that account's root keys). */
async function assume(sb: RunningSandbox, caller: Keys, roleArn: string, sessionName = 'test'): Promise<Keys> {
  const out = await stsClient(sb, caller).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName }));
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('no credentials');
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

async function createRole(sb: RunningSandbox, keys: Keys, name: string, trust: string, policy?: string): Promise<string> {
  const iam = iamClient(sb, keys);
  const out = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust }));
  if (policy) await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'p', PolicyDocument: policy }));
  return out.Role?.Arn ?? '';
}

function rootKeys(sb: RunningSandbox, accountId: string): Keys {
  return keysOf(sb.createAccount(accountId));
}

describe('the organization model and its admin API', () => {
  let sb: RunningSandbox;
  beforeAll(async () => {
    sb = await start({ accounts: ['111111111111'] });
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('makes the management account the management account of the organization, with member accounts under the root', async () => {
    // Act
    const tree = await admin<{ id: string; managementAccountId: string; root: { id: string; arn: string; accounts: string[]; path: string } }>(
      sb,
      'GET',
      '/_sandbox/organization',
    );
    const accounts = await admin<Array<{ accountId: string; organizationId?: string; parentId?: string }>>(sb, 'GET', '/_sandbox/accounts');

    // Assess
    expect(sb.organizationId).toBe(ORG);
    expect(ORG).toMatch(/^o-[a-z0-9]{10,32}$/);
    expect(tree.body).toMatchObject({
      id: ORG,
      managementAccountId: '000000000000',
      root: { id: ROOT, arn: `arn:aws:organizations::000000000000:root/${ORG}/${ROOT}`, path: `${ORG}/${ROOT}/` },
    });
    expect(tree.body.root.accounts).toEqual(['000000000000', '111111111111']);
    expect(accounts.body.find((a) => a.accountId === '111111111111')).toMatchObject({ organizationId: ORG, parentId: ROOT });
  });

  it('creates OUs with AWS-shaped ids, places accounts under them, moves them, and keeps standalone accounts outside', async () => {
    // Prepare
    const engineering = await createOu(sb, 'Engineering');
    const tenants = await createOu(sb, 'Tenants', engineering.id);

    // Act
    const placed = await admin<{ parentId: string }>(sb, 'POST', '/_sandbox/accounts', { accountId: '222222222222', parentId: tenants.id });
    const standalone = await admin<{ standalone?: boolean; organizationId?: string }>(sb, 'POST', '/_sandbox/accounts', { accountId: '333333333333', standalone: true });
    const moved = await admin<{ parentId: string }>(sb, 'PUT', '/_sandbox/accounts/111111111111/parent', { parentId: engineering.id });
    const tree = await admin<{ root: { organizationalUnits: Array<{ id: string; accounts: string[]; organizationalUnits: Array<{ id: string; accounts: string[] }> }> }; standaloneAccounts: string[] }>(
      sb,
      'GET',
      '/_sandbox/organization',
    );

    // Assess
    expect(engineering.id).toMatch(/^ou-sbox-[a-z0-9]{8}$/);
    expect(engineering).toMatchObject({ name: 'Engineering', parentId: ROOT, arn: `arn:aws:organizations::000000000000:ou/${ORG}/${engineering.id}`, path: `${ORG}/${ROOT}/${engineering.id}/` });
    expect(tenants.path).toBe(`${ORG}/${ROOT}/${engineering.id}/${tenants.id}/`);
    expect(placed.body.parentId).toBe(tenants.id);
    expect(standalone.body).toMatchObject({ standalone: true });
    expect(standalone.body.organizationId).toBeUndefined();
    expect(moved.body.parentId).toBe(engineering.id);
    const eng = tree.body.root.organizationalUnits.find((o) => o.id === engineering.id);
    expect(eng?.accounts).toEqual(['111111111111']);
    expect(eng?.organizationalUnits.find((o) => o.id === tenants.id)?.accounts).toEqual(['222222222222']);
    expect(tree.body.standaloneAccounts).toEqual(['333333333333']);
  });

  it('refuses unknown parents, duplicate OU names and a conflicting placement of an existing account', async () => {
    // Prepare
    await createOu(sb, 'Dup');

    // Act
    const badParent = await admin<{ code: string }>(sb, 'POST', '/_sandbox/accounts', { accountId: '444444444444', parentId: 'ou-sbox-zzzzzzzz' });
    const dup = await admin<{ code: string }>(sb, 'POST', '/_sandbox/organization/ous', { name: 'Dup', parentId: ROOT });
    const conflict = await admin<{ error: string }>(sb, 'POST', '/_sandbox/accounts', { accountId: '111111111111', standalone: true });
    const same = await admin<{ accountId: string }>(sb, 'POST', '/_sandbox/accounts', { accountId: '111111111111' });

    // Assess
    expect(badParent).toMatchObject({ status: 400, body: { code: 'ParentNotFoundException' } });
    expect(sb.kernel.accounts.get('444444444444')).toBeUndefined();
    expect(dup).toMatchObject({ status: 400, body: { code: 'DuplicateOrganizationalUnitException' } });
    expect(conflict.status).toBe(409);
    expect(same).toMatchObject({ status: 200, body: { accountId: '111111111111' } });
  });

  it('keeps a standalone account an OrganizationAccountAccessRole that trusts the management account', async () => {
    // Prepare
    sb.createAccount('555555555555', { standalone: true });

    // Act
    const keys = await assume(sb, keysOf(sb), 'arn:aws:iam::555555555555:role/OrganizationAccountAccessRole');
    const me = await stsClient(sb, keys).send(new GetCallerIdentityCommand({}));

    // Assess
    expect(me.Account).toBe('555555555555');
  });

  it('round-trips OUs, placements and standalone accounts through the state file', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-org-'));
    const stateFile = join(dir, 'state.json');
    try {
      const first = await start({ stateFile });
      const ou = await createOu(first, 'Persisted');
      first.createAccount('666666666666', { parentId: ou.id });
      first.createAccount('777777777777', { standalone: true });
      await first.stop();

      // Act
      const second = await start({ stateFile });
      const tree = await admin<{ root: { organizationalUnits: Array<{ id: string; name: string; accounts: string[] }> }; standaloneAccounts: string[] }>(
        second,
        'GET',
        '/_sandbox/organization',
      );
      const next = await createOu(second, 'Another');
      await second.stop();

      // Assess
      expect(tree.body.root.organizationalUnits).toEqual([expect.objectContaining({ id: ou.id, name: 'Persisted', accounts: ['666666666666'] })]);
      expect(tree.body.standaloneAccounts).toEqual(['777777777777']);
      expect(next.id).not.toBe(ou.id);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the Organizations API (SDK OrganizationsClient)', () => {
  let sb: RunningSandbox;
  let ou: OuInfo;
  beforeAll(async () => {
    sb = await start({ accounts: ['111111111111'] });
    ou = await createOu(sb, 'Tenants');
    sb.createAccount('222222222222', { parentId: ou.id });
    sb.createAccount('333333333333', { standalone: true });
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('describes the organization, its root, accounts and OUs to the management account', async () => {
    // Prepare
    const client = orgs(sb);

    // Act
    const org = await client.send(new DescribeOrganizationCommand({}));
    const roots = await client.send(new ListRootsCommand({}));
    const account = await client.send(new DescribeAccountCommand({ AccountId: '222222222222' }));
    const parents = await client.send(new ListParentsCommand({ ChildId: '222222222222' }));
    const ouParents = await client.send(new ListParentsCommand({ ChildId: ou.id }));
    const ous = await client.send(new ListOrganizationalUnitsForParentCommand({ ParentId: roots.Roots?.[0]?.Id }));
    const described = await client.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: ou.id }));
    const all = await client.send(new ListAccountsCommand({}));
    const underRoot = await client.send(new ListAccountsForParentCommand({ ParentId: ROOT }));
    const underOu = await client.send(new ListAccountsForParentCommand({ ParentId: ou.id }));
    const children = await client.send(new ListChildrenCommand({ ParentId: ROOT, ChildType: 'ORGANIZATIONAL_UNIT' }));

    // Assess
    expect(org.Organization).toMatchObject({
      Id: ORG,
      Arn: `arn:aws:organizations::000000000000:organization/${ORG}`,
      FeatureSet: 'ALL',
      MasterAccountId: '000000000000',
    });
    expect(roots.Roots).toEqual([expect.objectContaining({ Id: ROOT, Arn: `arn:aws:organizations::000000000000:root/${ORG}/${ROOT}`, Name: 'Root' })]);
    expect(account.Account).toMatchObject({ Id: '222222222222', Arn: `arn:aws:organizations::000000000000:account/${ORG}/222222222222`, Status: 'ACTIVE' });
    expect(account.Account?.JoinedTimestamp).toBeInstanceOf(Date);
    expect(parents.Parents).toEqual([{ Id: ou.id, Type: 'ORGANIZATIONAL_UNIT' }]);
    expect(ouParents.Parents).toEqual([{ Id: ROOT, Type: 'ROOT' }]);
    expect(ous.OrganizationalUnits).toEqual([{ Id: ou.id, Arn: ou.arn, Name: 'Tenants' }]);
    expect(described.OrganizationalUnit).toEqual({ Id: ou.id, Arn: ou.arn, Name: 'Tenants' });
    expect(all.Accounts?.map((a) => a.Id)).toEqual(['000000000000', '111111111111', '222222222222']);
    expect(underRoot.Accounts?.map((a) => a.Id)).toEqual(['000000000000', '111111111111']);
    expect(underOu.Accounts?.map((a) => a.Id)).toEqual(['222222222222']);
    expect(children.Children).toEqual([{ Id: ou.id, Type: 'ORGANIZATIONAL_UNIT' }]);
  });

  it('answers a client configured for another region (Organizations is a global service in us-east-1)', async () => {
    // Prepare
    const client = new OrganizationsClient({ endpoint: sb.endpoint, region: 'eu-west-1', credentials: keysOf(sb), maxAttempts: 1 });

    // Act
    const org = await client.send(new DescribeOrganizationCommand({}));

    // Assess
    expect(org.Organization?.Id).toBe(ORG);
  });

  it('pages ListAccounts with MaxResults and NextToken', async () => {
    // Act
    const first = await orgs(sb).send(new ListAccountsCommand({ MaxResults: 2 }));
    const second = await orgs(sb).send(new ListAccountsCommand({ MaxResults: 2, NextToken: first.NextToken }));

    // Assess
    expect(first.Accounts?.map((a) => a.Id)).toEqual(['000000000000', '111111111111']);
    expect(first.NextToken).toBeDefined();
    expect(second.Accounts?.map((a) => a.Id)).toEqual(['222222222222']);
    expect(second.NextToken).toBeUndefined();
  });

  it('answers AccountNotFoundException for a standalone or unknown account and ChildNotFoundException for an unknown child', async () => {
    // Prepare
    const client = orgs(sb);

    // Act / Assess
    await expectAwsError(client.send(new DescribeAccountCommand({ AccountId: '333333333333' })), 'AccountNotFoundException', 400);
    await expectAwsError(client.send(new DescribeAccountCommand({ AccountId: '999999999999' })), 'AccountNotFoundException', 400);
    await expectAwsError(client.send(new ListParentsCommand({ ChildId: '333333333333' })), 'ChildNotFoundException', 400);
    await expectAwsError(client.send(new ListAccountsForParentCommand({ ParentId: 'ou-sbox-00000000' })), 'ParentNotFoundException', 400);
    await expectAwsError(client.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: 'ou-sbox-00000000' })), 'OrganizationalUnitNotFoundException', 400);
    await expectAwsError(client.send(new DescribeAccountCommand({ AccountId: 'nope' })), 'InvalidInputException', 400);
  });

  it('lets member accounts only describe the organization, and tells a standalone account it is not in one', async () => {
    // Prepare
    const member = orgs(sb, rootKeys(sb, '111111111111'));
    const outsider = orgs(sb, rootKeys(sb, '333333333333'));

    // Act
    const org = await member.send(new DescribeOrganizationCommand({}));

    // Assess
    expect(org.Organization?.Id).toBe(ORG);
    await expectAwsError(member.send(new DescribeAccountCommand({ AccountId: '111111111111' })), 'AccessDeniedException', 400, "You don't have permissions to access this resource.");
    await expectAwsError(member.send(new ListParentsCommand({ ChildId: '111111111111' })), 'AccessDeniedException', 400);
    await expectAwsError(outsider.send(new DescribeOrganizationCommand({})), 'AWSOrganizationsNotInUseException', 400);
    await expectAwsError(outsider.send(new ListRootsCommand({})), 'AWSOrganizationsNotInUseException', 400);
  });

  it('authorizes management-account principals with IAM on the real action names and resource ARNs', async () => {
    // Prepare
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'organizations:DescribeAccount', Resource: `arn:aws:organizations::000000000000:account/${ORG}/222222222222` },
        { Effect: 'Allow', Action: 'organizations:ListParents', Resource: `arn:aws:organizations::000000000000:account/${ORG}/*` },
      ],
    });
    const roleArn = await createRole(sb, keysOf(sb), 'OrgReader', trustPolicy({ AWS: 'arn:aws:iam::000000000000:root' }), policy);
    const client = orgs(sb, await assume(sb, keysOf(sb), roleArn));

    // Act
    const allowed = await client.send(new DescribeAccountCommand({ AccountId: '222222222222' }));
    const parents = await client.send(new ListParentsCommand({ ChildId: '111111111111' }));

    // Assess
    expect(allowed.Account?.Id).toBe('222222222222');
    expect(parents.Parents?.[0]?.Id).toBe(ROOT);
    await expectAwsError(client.send(new DescribeAccountCommand({ AccountId: '111111111111' })), 'AccessDeniedException', 400, /organizations:DescribeAccount/);
    await expectAwsError(client.send(new ListParentsCommand({ ChildId: ou.id })), 'AccessDeniedException', 400);
    await expectAwsError(client.send(new DescribeOrganizationCommand({})), 'AccessDeniedException', 400);
  });

  it('rejects an unknown access key with the JSON services code', async () => {
    // Act / Assess
    await expectAwsError(
      orgs(sb, { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x'.repeat(40) }).send(new DescribeOrganizationCommand({})),
      'UnrecognizedClientException',
      400,
    );
  });
});

describe('organization condition keys in real AssumeRole decisions', () => {
  let sb: RunningSandbox;
  let tenantsOu: OuInfo;
  const MEMBER = '111111111111';
  const IN_OU = '222222222222';
  const STANDALONE = '333333333333';
  const MOVER = '444444444444';

  /** A deployer role in the management account whose only permission is `statement`; returns its session's keys. */
  async function deployer(name: string, condition: Record<string, unknown>): Promise<Keys> {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::*:role/Target', Condition: condition }],
    });
    const arn = await createRole(sb, keysOf(sb), name, trustPolicy({ AWS: 'arn:aws:iam::000000000000:root' }), policy);
    return assume(sb, keysOf(sb), arn, name);
  }

  const assumeTarget = (keys: Keys, account: string) =>
    stsClient(sb, keys).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/Target`, RoleSessionName: 'guarded' }));

  beforeAll(async () => {
    sb = await start();
    tenantsOu = await createOu(sb, 'Tenants');
    sb.createAccount(MEMBER);
    sb.createAccount(IN_OU, { parentId: tenantsOu.id });
    sb.createAccount(STANDALONE, { standalone: true });
    sb.createAccount(MOVER);
    // The same role in every account, trusting the management account (as a tenant's execution role would).
    for (const account of [MEMBER, IN_OU, STANDALONE, MOVER]) {
      await createRole(sb, rootKeys(sb, account), 'Target', trustPolicy({ AWS: 'arn:aws:iam::000000000000:root' }));
    }
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('aws:ResourceOrgID: a management-account role may assume Target in an org member, not in a standalone account', async () => {
    // Prepare
    const keys = await deployer('GuardOrg', { StringEquals: { 'aws:ResourceOrgID': ORG } });

    // Act
    const inOrg = await assumeTarget(keys, MEMBER);

    // Assess
    expect(inOrg.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${MEMBER}:assumed-role/Target/guarded`);
    await expectAwsError(assumeTarget(keys, STANDALONE), 'AccessDenied', 403, /sts:AssumeRole/);
  });

  it('aws:ResourceAccount: only the listed accounts', async () => {
    // Prepare
    const keys = await deployer('GuardAccounts', { StringEquals: { 'aws:ResourceAccount': [MEMBER, STANDALONE] } });

    // Act
    const member = await assumeTarget(keys, MEMBER);
    const listedStandalone = await assumeTarget(keys, STANDALONE);

    // Assess
    expect(member.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    expect(listedStandalone.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    await expectAwsError(assumeTarget(keys, IN_OU), 'AccessDenied', 403);
  });

  it('ForAnyValue:StringLike aws:ResourceOrgPaths: only accounts under the OU, and moving an account changes the decision', async () => {
    // Prepare
    const keys = await deployer('GuardOu', { 'ForAnyValue:StringLike': { 'aws:ResourceOrgPaths': [`${ORG}/${ROOT}/${tenantsOu.id}/*`] } });
    await expectAwsError(assumeTarget(keys, MOVER), 'AccessDenied', 403);

    // Act
    const inOu = await assumeTarget(keys, IN_OU);
    await admin(sb, 'PUT', `/_sandbox/accounts/${MOVER}/parent`, { parentId: tenantsOu.id });
    const moved = await assumeTarget(keys, MOVER);

    // Assess
    expect(inOu.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    expect(moved.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    await expectAwsError(assumeTarget(keys, MEMBER), 'AccessDenied', 403);
    await expectAwsError(assumeTarget(keys, STANDALONE), 'AccessDenied', 403);
    await admin(sb, 'PUT', `/_sandbox/accounts/${MOVER}/parent`, { parentId: ROOT });
    await expectAwsError(assumeTarget(keys, MOVER), 'AccessDenied', 403);
  });

  it('aws:PrincipalOrgID in a trust policy admits principals of the organization only', async () => {
    // Prepare
    const trust = trustPolicy({ AWS: '*' }, { StringEquals: { 'aws:PrincipalOrgID': ORG } });
    const roleArn = await createRole(sb, rootKeys(sb, MEMBER), 'OrgWide', trust);

    // Act
    const fromMember = await stsClient(sb, rootKeys(sb, IN_OU)).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'member' }));

    // Assess
    expect(fromMember.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    await expectAwsError(
      stsClient(sb, rootKeys(sb, STANDALONE)).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'outsider' })),
      'AccessDenied',
      403,
    );
  });

  it('sts:RoleSessionName is in the context of AssumeRole', async () => {
    // Prepare
    const keys = await deployer('GuardSession', { StringEquals: { 'sts:RoleSessionName': 'expected' } });

    // Act
    const ok = await stsClient(sb, keys).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${MEMBER}:role/Target`, RoleSessionName: 'expected' }));

    // Assess
    expect(ok.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    await expectAwsError(assumeTarget(keys, MEMBER), 'AccessDenied', 403);
  });
});

describe('service sessions (a role assumed by lambda.amazonaws.com)', () => {
  let sb: RunningSandbox;
  let fnRole: string;
  beforeAll(async () => {
    sb = await start();
    fnRole = await createRole(sb, keysOf(sb), 'fn-role', trustPolicy({ Service: 'lambda.amazonaws.com' }), allowPolicy('iam:GetRole', 'arn:aws:iam::000000000000:role/fn-role'));
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('issues temporary credentials of the role over the admin API when the trust policy allows the service', async () => {
    // Act
    const res = await admin<{ accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: string; assumedRoleArn: string }>(
      sb,
      'POST',
      '/_sandbox/service-sessions',
      { roleArn: fnRole, service: 'lambda.amazonaws.com', sessionName: 'my-function', durationSeconds: 900 },
    );
    const keys = { accessKeyId: res.body.accessKeyId, secretAccessKey: res.body.secretAccessKey, sessionToken: res.body.sessionToken };
    const me = await stsClient(sb, keys).send(new GetCallerIdentityCommand({}));
    const role = await iamClient(sb, keys).send(new GetRoleCommand({ RoleName: 'fn-role' }));

    // Assess
    expect(res.status).toBe(200);
    expect(res.body.accessKeyId).toMatch(/^ASIA/);
    expect(Date.parse(res.body.expiration) - Date.now()).toBeGreaterThan(800_000);
    expect(Date.parse(res.body.expiration) - Date.now()).toBeLessThanOrEqual(900_000);
    expect(me.Arn).toBe('arn:aws:sts::000000000000:assumed-role/fn-role/my-function');
    expect(res.body.assumedRoleArn).toBe(me.Arn);
    expect(role.Role?.Arn).toBe(fnRole);
    await expectAwsError(iamClient(sb, keys).send(new GetRoleCommand({ RoleName: 'OrganizationAccountAccessRole' })), 'AccessDenied', 403);
  });

  it('refuses a service the trust policy does not name, a role that only trusts accounts, and an unknown role', async () => {
    // Prepare
    const accountRole = await createRole(sb, keysOf(sb), 'account-role', trustPolicy({ AWS: 'arn:aws:iam::000000000000:root' }));

    // Act
    const otherService = await admin<{ code: string }>(sb, 'POST', '/_sandbox/service-sessions', { roleArn: fnRole, service: 'states.amazonaws.com', sessionName: 'x1' });
    const notTrusted = await admin<{ code: string }>(sb, 'POST', '/_sandbox/service-sessions', { roleArn: accountRole, service: 'lambda.amazonaws.com', sessionName: 'x2' });
    const missing = await admin<{ code: string }>(sb, 'POST', '/_sandbox/service-sessions', {
      roleArn: 'arn:aws:iam::000000000000:role/nope',
      service: 'lambda.amazonaws.com',
      sessionName: 'x3',
    });
    const invalid = await admin<{ code: string }>(sb, 'POST', '/_sandbox/service-sessions', { roleArn: fnRole, service: 'lambda', sessionName: 'x4' });

    // Assess
    expect(otherService).toMatchObject({ status: 403, body: { code: 'AccessDenied' } });
    expect(notTrusted).toMatchObject({ status: 403, body: { code: 'AccessDenied' } });
    expect(missing).toMatchObject({ status: 403, body: { code: 'AccessDenied' } });
    expect(invalid.status).toBe(400);
  });

  it('evaluates confused-deputy conditions (aws:SourceArn) in-process with serviceSession()', async () => {
    // Prepare
    const fnArn = 'arn:aws:lambda:us-east-1:000000000000:function:guarded';
    const trust = trustPolicy({ Service: 'lambda.amazonaws.com' }, { ArnLike: { 'aws:SourceArn': fnArn } });
    const roleArn = await createRole(sb, keysOf(sb), 'guarded-role', trust);

    // Act
    const session = await sb.serviceSession({ roleArn, service: 'lambda.amazonaws.com', sessionName: 'guarded', sourceArn: fnArn });

    // Assess
    expect(session.assumedRoleArn).toBe('arn:aws:sts::000000000000:assumed-role/guarded-role/guarded');
    await expect(sb.serviceSession({ roleArn, service: 'lambda.amazonaws.com', sessionName: 'guarded', sourceArn: `${fnArn}-other` })).rejects.toMatchObject({
      code: 'AccessDenied',
    });
  });

  it('waits for IAM propagation like AssumeRole does', async () => {
    // Prepare
    sb.setRealism({ iamPropagationMs: 60_000 });
    try {
      const roleArn = await createRole(sb, keysOf(sb), 'fresh-role', trustPolicy({ Service: 'lambda.amazonaws.com' }));

      // Act / Assess
      await expect(sb.serviceSession({ roleArn, service: 'lambda.amazonaws.com', sessionName: 'fresh' })).rejects.toMatchObject({
        code: 'AccessDenied',
        message: expect.stringContaining('not effective yet'),
      });
    } finally {
      sb.setRealism({ iamPropagationMs: 0 });
    }
  });
});

describe('the authorization observer (onAuthorize)', () => {
  let sb: RunningSandbox;
  beforeAll(async () => {
    sb = await start({ accounts: ['111111111111'] });
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('reports every decision with the principal, action, resource and outcome, memo and fast path included', async () => {
    // Prepare
    const roleArn = await createRole(sb, keysOf(sb), 'observed', trustPolicy({ AWS: 'arn:aws:iam::000000000000:root' }), allowPolicy('iam:GetRole', 'arn:aws:iam::000000000000:role/observed'));
    const admin = await createRole(sb, keysOf(sb), 'observed-admin', trustPolicy({ AWS: 'arn:aws:iam::000000000000:root' }), allowPolicy('*', '*'));
    const session = await assume(sb, keysOf(sb), roleArn, 'watcher');
    const adminSession = await assume(sb, keysOf(sb), admin, 'boss');
    const events: AuthorizeEvent[] = [];
    const off = sb.onAuthorize((e) => events.push(e));

    // Act
    const iam = iamClient(sb, session);
    await iam.send(new GetRoleCommand({ RoleName: 'observed' }));
    await iam.send(new GetRoleCommand({ RoleName: 'observed' })); // memo hit
    await expectAwsError(iam.send(new GetRoleCommand({ RoleName: 'observed-admin' })), 'AccessDenied', 403);
    await iamClient(sb, adminSession).send(new GetRoleCommand({ RoleName: 'observed' })); // fast path
    off();
    await iam.send(new GetRoleCommand({ RoleName: 'observed' }));

    // Assess
    const mine = events.filter((e) => e.principal.roleArn === roleArn);
    expect(mine).toEqual([
      expect.objectContaining({ action: 'iam:GetRole', resource: roleArn, resourceAccount: '000000000000', allowed: true, reason: 'Allowed' }),
      expect.objectContaining({ action: 'iam:GetRole', resource: roleArn, allowed: true }),
      expect.objectContaining({ action: 'iam:GetRole', resource: admin, allowed: false, reason: 'ImplicitDeny' }),
    ]);
    expect(mine[0]?.principal).toMatchObject({
      kind: 'assumed-role',
      arn: 'arn:aws:sts::000000000000:assumed-role/observed/watcher',
      sessionName: 'watcher',
      accountId: '000000000000',
      accessKeyId: session.accessKeyId,
      issuer: { arn: 'arn:aws:iam::000000000000:root' },
    });
    expect(events.filter((e) => e.principal.roleArn === admin)).toEqual([expect.objectContaining({ action: 'iam:GetRole', allowed: true })]);
    expect(events).toHaveLength(4);
  });

  it('reports AssumeRole by a session with the issuer chain, and service sessions as a service principal', async () => {
    // Prepare
    const fnRole = await createRole(sb, keysOf(sb), 'chain-fn', trustPolicy({ Service: 'lambda.amazonaws.com' }), allowPolicy('sts:AssumeRole', 'arn:aws:iam::*:role/OrganizationAccountAccessRole'));
    const events: AuthorizeEvent[] = [];
    const off = sb.onAuthorize((e) => events.push(e));

    // Act
    const fn = await sb.serviceSession({ roleArn: fnRole, service: 'lambda.amazonaws.com', sessionName: 'chain-fn' });
    const fnKeys = { accessKeyId: fn.accessKeyId, secretAccessKey: fn.secretAccessKey, sessionToken: fn.sessionToken };
    const tenant = await assume(sb, fnKeys, 'arn:aws:iam::111111111111:role/OrganizationAccountAccessRole', 'tenant-work');
    await iamClient(sb, tenant).send(new GetRoleCommand({ RoleName: 'OrganizationAccountAccessRole' }));
    off();

    // Assess
    expect(events[0]).toMatchObject({ principal: { kind: 'service', arn: 'lambda.amazonaws.com' }, action: 'sts:AssumeRole', resource: fnRole, allowed: true });
    expect(events[1]).toMatchObject({
      principal: { accessKeyId: fn.accessKeyId, issuer: { arn: 'lambda.amazonaws.com' } },
      action: 'sts:AssumeRole',
      resource: 'arn:aws:iam::111111111111:role/OrganizationAccountAccessRole',
      resourceAccount: '111111111111',
      allowed: true,
    });
    expect(events[2]).toMatchObject({
      principal: { accessKeyId: tenant.accessKeyId, accountId: '111111111111', issuer: { accessKeyId: fn.accessKeyId } },
      action: 'iam:GetRole',
      allowed: true,
    });
  });
});

describe('context keys iam-simulate cannot type', () => {
  let sb: RunningSandbox;
  beforeAll(async () => {
    sb = await start();
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('a scoped role reads a tagged secret (secretsmanager:ResourceTag/<key> is left out, aws:ResourceTag/<key> decides)', async () => {
    // Prepare
    const { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
    const admin = new SecretsManagerClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: keysOf(sb), maxAttempts: 1 });
    await admin.send(new CreateSecretCommand({ Name: 'tagged/one', SecretString: 'v', Tags: [{ Key: 'palette-onboarding/created-by', Value: 'me' }] }));
    await admin.send(new CreateSecretCommand({ Name: 'tagged/two', SecretString: 'v', Tags: [{ Key: 'palette-onboarding/created-by', Value: 'someone-else' }] }));
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'secretsmanager:GetSecretValue',
          Resource: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:tagged/*',
          Condition: { StringEquals: { 'aws:ResourceTag/palette-onboarding/created-by': 'me' } },
        },
      ],
    });
    const roleArn = await createRole(sb, keysOf(sb), 'TagReader', trustPolicy({ AWS: 'arn:aws:iam::000000000000:root' }), policy);
    const reader = new SecretsManagerClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: await assume(sb, keysOf(sb), roleArn), maxAttempts: 1 });

    // Act
    const mine = await reader.send(new GetSecretValueCommand({ SecretId: 'tagged/one' }));

    // Assess
    expect(mine.SecretString).toBe('v');
    await expectAwsError(reader.send(new GetSecretValueCommand({ SecretId: 'tagged/two' })), 'AccessDeniedException', 400);
  });
});
