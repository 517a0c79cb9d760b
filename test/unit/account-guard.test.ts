/**
 * The account guard (lambdas/services/guard/account-guard.ts) with a mocked AWS Organizations: the home account,
 * the account list, organization membership (DescribeAccount; AccountNotFoundException = not a member), OU ancestry
 * (ListParents up to the root), nothing configured (secure by default), and Organizations refusing to answer.
 */
import {
  AccessDeniedException,
  AccountNotFoundException,
  DescribeAccountCommand,
  DescribeOrganizationCommand,
  ListParentsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkTenantAccount, guardConfigFromEnv, NOTHING_CONFIGURED, type AccountGuardConfig } from '../../lambdas/services/guard/account-guard';
import { LambdaEnvSchema } from '../../lambdas/shared/env';
import { ConfigurationError, RequestValidationError } from '../../lambdas/shared/errors';

const orgs = mockClient(OrganizationsClient);
const client = () => new OrganizationsClient({ region: 'us-east-1' });

const HOME = '000000000000';
const ORG = 'o-sandbox0001';
const OTHER_ORG = 'o-otherorg001';
const MEMBER = '111111111111';
const OUTSIDER = '999999999999';
const ROOT = 'r-ab12';
const OU_TEAMS = 'ou-ab12-teams001';
const OU_TEAM_A = 'ou-ab12-teama001';
const OU_SANDBOX = 'ou-ab12-sandbox1';

const config = (over: Partial<AccountGuardConfig> = {}): AccountGuardConfig => ({ homeAccountId: HOME, organizationalUnitIds: [], accountIds: [], ...over });
const accountArn = (org: string, id: string) => `arn:aws:organizations::${HOME}:account/${org}/${id}`;

/** The sandbox organization: MEMBER in ROOT > OU_TEAMS > OU_TEAM_A; everything else unknown. */
function organization(): void {
  orgs.on(DescribeOrganizationCommand).resolves({ Organization: { Id: ORG, MasterAccountId: HOME } });
  orgs.on(DescribeAccountCommand).rejects(new AccountNotFoundException({ message: 'not found', $metadata: {} }));
  orgs.on(DescribeAccountCommand, { AccountId: MEMBER }).resolves({ Account: { Id: MEMBER, Arn: accountArn(ORG, MEMBER), State: 'ACTIVE' } });
  orgs.on(ListParentsCommand, { ChildId: MEMBER }).resolves({ Parents: [{ Id: OU_TEAM_A, Type: 'ORGANIZATIONAL_UNIT' }] });
  orgs.on(ListParentsCommand, { ChildId: OU_TEAM_A }).resolves({ Parents: [{ Id: OU_TEAMS, Type: 'ORGANIZATIONAL_UNIT' }] });
  orgs.on(ListParentsCommand, { ChildId: OU_TEAMS }).resolves({ Parents: [{ Id: ROOT, Type: 'ROOT' }] });
}

const rejection = async (p: Promise<unknown>): Promise<RequestValidationError> => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RequestValidationError);
  const err = e as RequestValidationError;
  expect(err.issues).toHaveLength(1);
  expect(err.issues[0]?.path).toBe('aws.accountId');
  return err;
};

beforeEach(() => {
  orgs.reset();
  organization();
});

describe('no Organizations call needed', () => {
  it('the home account is always allowed (no AssumeRole involved)', async () => {
    await expect(checkTenantAccount(HOME, config(), client)).resolves.toEqual({ allowed: true, reason: 'home-account' });
    expect(orgs.calls()).toHaveLength(0);
  });

  it('nothing configured: every other account is rejected, naming what to set', async () => {
    const e = await rejection(checkTenantAccount(MEMBER, config(), client));
    expect(e.message).toContain(`account ${MEMBER} may not be onboarded by this deployment: ${NOTHING_CONFIGURED}`);
    expect(orgs.calls()).toHaveLength(0);
  });

  it('an account list: a listed account is allowed, another rejected', async () => {
    await expect(checkTenantAccount(OUTSIDER, config({ accountIds: [OUTSIDER] }), client)).resolves.toEqual({ allowed: true, reason: 'listed' });
    const e = await rejection(checkTenantAccount(MEMBER, config({ accountIds: [OUTSIDER] }), client));
    expect(e.message).toMatch(/not in allowedAccountIds/);
    expect(orgs.calls()).toHaveLength(0);
  });
});

describe('by organization', () => {
  it('a member account of the allowed organization is allowed', async () => {
    await expect(checkTenantAccount(MEMBER, config({ organizationId: ORG }), client)).resolves.toEqual({
      allowed: true,
      reason: 'organization',
      organizationId: ORG,
    });
    expect(orgs.commandCalls(DescribeAccountCommand)).toHaveLength(1);
    expect(orgs.commandCalls(ListParentsCommand)).toHaveLength(0);
    expect(orgs.commandCalls(DescribeOrganizationCommand)).toHaveLength(0);
  });

  it('an account outside the organization (AccountNotFoundException) is rejected', async () => {
    const e = await rejection(checkTenantAccount(OUTSIDER, config({ organizationId: ORG }), client));
    expect(e.message).toContain(`it is not a member of organization ${ORG}`);
  });

  it('an account of another organization than the allowed one is rejected', async () => {
    const e = await rejection(checkTenantAccount(MEMBER, config({ organizationId: OTHER_ORG }), client));
    expect(e.message).toContain(`not a member of organization ${OTHER_ORG}`);
  });

  it('a suspended account is rejected', async () => {
    orgs.on(DescribeAccountCommand, { AccountId: MEMBER }).resolves({ Account: { Id: MEMBER, Arn: accountArn(ORG, MEMBER), State: 'SUSPENDED' } });
    const e = await rejection(checkTenantAccount(MEMBER, config({ organizationId: ORG }), client));
    expect(e.message).toContain(`it is SUSPENDED in organization ${ORG}`);
  });

  it('the account list still allows an account outside the organization', async () => {
    await expect(checkTenantAccount(OUTSIDER, config({ organizationId: ORG, accountIds: [OUTSIDER] }), client)).resolves.toMatchObject({ reason: 'listed' });
  });
});

describe('by organizational unit', () => {
  it('an account under an allowed OU at any depth is allowed (ListParents up the tree)', async () => {
    await expect(checkTenantAccount(MEMBER, config({ organizationId: ORG, organizationalUnitIds: [OU_TEAMS] }), client)).resolves.toEqual({
      allowed: true,
      reason: 'organizational-unit',
      organizationId: ORG,
      organizationalUnitId: OU_TEAMS,
    });
    expect(orgs.commandCalls(ListParentsCommand).map((c) => c.args[0].input.ChildId)).toEqual([MEMBER, OU_TEAM_A]);
  });

  it('an account of the organization outside the allowed OUs is rejected, naming its parents', async () => {
    const e = await rejection(checkTenantAccount(MEMBER, config({ organizationId: ORG, organizationalUnitIds: [OU_SANDBOX] }), client));
    expect(e.message).toContain(`it is not under an allowed organizational unit (${OU_SANDBOX}); its parents: ${OU_TEAM_A} < ${OU_TEAMS} < ${ROOT}`);
  });

  it('OUs without an organization id: the home account\'s organization (DescribeOrganization)', async () => {
    await expect(checkTenantAccount(MEMBER, config({ organizationalUnitIds: [OU_TEAM_A] }), client)).resolves.toMatchObject({
      reason: 'organizational-unit',
      organizationId: ORG,
    });
    expect(orgs.commandCalls(DescribeOrganizationCommand)).toHaveLength(1);
  });

  it('an account outside the organization is rejected before any ListParents', async () => {
    await rejection(checkTenantAccount(OUTSIDER, config({ organizationalUnitIds: [OU_TEAMS] }), client));
    expect(orgs.commandCalls(ListParentsCommand)).toHaveLength(0);
  });
});

describe('Organizations cannot answer', () => {
  it('AccessDenied (the home account is not the management account or a delegated admin) is a ConfigurationError', async () => {
    orgs.on(DescribeAccountCommand).rejects(new AccessDeniedException({ message: 'You don\'t have permissions', $metadata: {} }));
    const e = await checkTenantAccount(MEMBER, config({ organizationId: ORG }), client).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ConfigurationError);
    expect((e as Error).message).toMatch(/management account or a delegated administrator/);
  });

  it('throttling becomes the retryable AwsThrottledError', async () => {
    orgs.on(DescribeAccountCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }));
    const e = await checkTenantAccount(MEMBER, config({ organizationId: ORG }), client).catch((err: unknown) => err);
    expect((e as Error).name).toBe('AwsThrottledError');
  });
});

describe('configuration from the environment', () => {
  it('reads the comma lists and the organization id', () => {
    const env = LambdaEnvSchema.parse({
      PALETTE_ENDPOINT: 'https://api.spectrocloud.com',
      HOME_ACCOUNT_ID: HOME,
      TENANT_REGISTRY_TABLE: 'registry',
      ALLOWED_ORGANIZATION_ID: ORG,
      ALLOWED_OU_IDS: `${OU_TEAMS}, ${OU_SANDBOX}`,
      ALLOWED_ACCOUNT_IDS: OUTSIDER,
    });
    expect(guardConfigFromEnv(env)).toEqual({ homeAccountId: HOME, organizationId: ORG, organizationalUnitIds: [OU_TEAMS, OU_SANDBOX], accountIds: [OUTSIDER] });
  });

  it('nothing set: nothing allowed but the home account', () => {
    const env = LambdaEnvSchema.parse({ PALETTE_ENDPOINT: 'https://api.spectrocloud.com', HOME_ACCOUNT_ID: HOME, TENANT_REGISTRY_TABLE: 'registry' });
    expect(guardConfigFromEnv(env)).toEqual({ homeAccountId: HOME, organizationalUnitIds: [], accountIds: [] });
  });

  it('bad ids are refused', () => {
    const base = { PALETTE_ENDPOINT: 'https://api.spectrocloud.com', HOME_ACCOUNT_ID: HOME, TENANT_REGISTRY_TABLE: 'registry' };
    expect(LambdaEnvSchema.safeParse({ ...base, ALLOWED_OU_IDS: 'ou-x' }).success).toBe(false);
    expect(LambdaEnvSchema.safeParse({ ...base, ALLOWED_ACCOUNT_IDS: '12345' }).success).toBe(false);
    expect(LambdaEnvSchema.safeParse({ ...base, ALLOWED_ORGANIZATION_ID: 'org-1' }).success).toBe(false);
  });
});
