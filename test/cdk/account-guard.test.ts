/**
 * The account guard in IAM (cdk/lib/permissions.ts): the AssumeRole grant of the tenant-reaching functions gets one
 * statement per configured mechanism (IAM ANDs the conditions inside one statement, so a union needs separate
 * statements), none at all when nothing is configured; validate-request may ask AWS Organizations only what the
 * guard needs, only when it allows by organization or OU. Grants are checked for every combination without a synth
 * (grantsOf), and once synthesized with the environment the guard reads at run time.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../cdk/lib/config';
import { grantsOf } from '../../cdk/lib/permissions';
import { LambdaEnvSchema } from '../../lambdas/shared/env';
import { functionsByName, PLACEHOLDER, resourcesOfType, synthesize, type Synthesized } from './helpers';

const ORG = 'o-abcdefghij';
const OU_A = 'ou-ab12-11111111';
const OU_B = 'ou-ab12-22222222';
const REFS = { registryTableArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/registry', tenantSecretsRoleArn: 'arn:aws:iam::123456789012:role/tenant-secrets' };
const ENV = { partition: 'aws', account: '123456789012', region: 'us-east-1' };

/** The grants of `access` under `context`, rendered as IAM statements with placeholder ARNs. */
function statements(access: 'assumeTenantRole' | 'accountGuard', context: Record<string, unknown>) {
  return grantsOf([access], parseConfig(context), REFS).map((g) => ({
    Sid: g.sid,
    Action: g.actions,
    Resource: g.resources.map((r) => r(ENV)),
    ...(g.conditions ? { Condition: g.conditions(ENV) } : {}),
  }));
}

const ROLE = 'arn:aws:iam::*:role/OrganizationAccountAccessRole';

describe('AssumeRole into tenant accounts', () => {
  it('nothing configured: no AssumeRole statement at all (only the home account can be onboarded)', () => {
    expect(statements('assumeTenantRole', {})).toEqual([]);
  });

  it('an organization: aws:ResourceOrgID', () => {
    expect(statements('assumeTenantRole', { allowedOrganizationId: ORG })).toEqual([
      { Sid: 'AssumeTenantRoleInAllowedOrganization', Action: ['sts:AssumeRole'], Resource: [ROLE], Condition: { StringEquals: { 'aws:ResourceOrgID': ORG } } },
    ]);
  });

  it('OUs of an organization: aws:ResourceOrgPaths under each OU at any depth, and no organization-wide statement', () => {
    expect(statements('assumeTenantRole', { allowedOrganizationId: ORG, allowedOrganizationalUnitIds: [OU_A, OU_B] })).toEqual([
      {
        Sid: 'AssumeTenantRoleInAllowedOUs',
        Action: ['sts:AssumeRole'],
        Resource: [ROLE],
        Condition: { 'ForAnyValue:StringLike': { 'aws:ResourceOrgPaths': [`${ORG}/r-*/${OU_A}/*`, `${ORG}/r-*/${OU_B}/*`] } },
      },
    ]);
  });

  it('OUs without an organization id: the home account\'s organization (${aws:PrincipalOrgID})', () => {
    const [st] = statements('assumeTenantRole', { allowedOrganizationalUnitIds: OU_A });
    expect(st?.Condition).toEqual({ 'ForAnyValue:StringLike': { 'aws:ResourceOrgPaths': [`\${aws:PrincipalOrgID}/r-*/${OU_A}/*`] } });
  });

  it('an account list: aws:ResourceAccount', () => {
    expect(statements('assumeTenantRole', { allowedAccountIds: '111111111111,222222222222' })).toEqual([
      {
        Sid: 'AssumeTenantRoleInAllowedAccounts',
        Action: ['sts:AssumeRole'],
        Resource: [ROLE],
        Condition: { StringEquals: { 'aws:ResourceAccount': ['111111111111', '222222222222'] } },
      },
    ]);
  });

  it('several mechanisms: one statement each (a union), every one on the configured role names only', () => {
    const sts = statements('assumeTenantRole', {
      allowedOrganizationId: ORG,
      allowedAccountIds: ['111111111111'],
      allowedExecutionRoleNames: ['OrganizationAccountAccessRole', 'PaletteOnboardingExecution'],
    });
    expect(sts.map((s) => s.Sid)).toEqual(['AssumeTenantRoleInAllowedOrganization', 'AssumeTenantRoleInAllowedAccounts']);
    for (const st of sts) {
      expect(st.Resource).toEqual([ROLE, 'arn:aws:iam::*:role/PaletteOnboardingExecution']);
      expect(Object.keys(st.Condition ?? {})).toHaveLength(1);
    }
  });

  it('setSourceIdentity adds sts:SetSourceIdentity to the same statements (AWS requires it of the caller too)', () => {
    const sts = statements('assumeTenantRole', { allowedOrganizationId: ORG, allowedAccountIds: ['111111111111'], setSourceIdentity: true });
    for (const st of sts) expect(st.Action).toEqual(['sts:AssumeRole', 'sts:SetSourceIdentity']);
  });
});

describe('validate-request asks AWS Organizations (the guard at run time)', () => {
  it('nothing configured, or an account list only: no Organizations permission', () => {
    expect(statements('accountGuard', {})).toEqual([]);
    expect(statements('accountGuard', { allowedAccountIds: ['111111111111'] })).toEqual([]);
  });

  it('an organization: DescribeAccount on that organization\'s accounts only', () => {
    expect(statements('accountGuard', { allowedOrganizationId: ORG })).toEqual([
      { Sid: 'AccountGuardDescribeAccount', Action: ['organizations:DescribeAccount'], Resource: [`arn:aws:organizations::*:account/${ORG}/*`] },
    ]);
  });

  it('OUs of an organization: also ListParents on its accounts and OUs', () => {
    expect(statements('accountGuard', { allowedOrganizationId: ORG, allowedOrganizationalUnitIds: [OU_A] })).toEqual([
      { Sid: 'AccountGuardDescribeAccount', Action: ['organizations:DescribeAccount'], Resource: [`arn:aws:organizations::*:account/${ORG}/*`] },
      {
        Sid: 'AccountGuardListParents',
        Action: ['organizations:ListParents'],
        Resource: [`arn:aws:organizations::*:account/${ORG}/*`, `arn:aws:organizations::*:ou/${ORG}/*`],
      },
    ]);
  });

  it('OUs without an organization id: DescribeOrganization too (it has no resource-level permissions)', () => {
    const sts = statements('accountGuard', { allowedOrganizationalUnitIds: [OU_A] });
    expect(sts.map((s) => s.Sid)).toEqual(['AccountGuardDescribeAccount', 'AccountGuardListParents', 'AccountGuardDescribeOrganization']);
    expect(sts[2]).toEqual({ Sid: 'AccountGuardDescribeOrganization', Action: ['organizations:DescribeOrganization'], Resource: ['*'] });
    expect(sts[0]?.Resource).toEqual(['arn:aws:organizations::*:account/o-*/*']);
  });
});

describe('synthesized', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthesize({
      skipBundling: true,
      context: { allowedOrganizationId: ORG, allowedOrganizationalUnitIds: [OU_A, OU_B], allowedAccountIds: ['111111111111'], setSourceIdentity: true },
    });
  }, 120_000);

  it('every function gets the guard configuration in its environment, valid for the handlers\' schema', () => {
    const secretsRoles = resourcesOfType(s.json, 'AWS::IAM::Role').filter(([id]) => id.startsWith('TenantSecretsAccess'));
    expect(secretsRoles).toHaveLength(1);
    const [secretsRoleId] = secretsRoles[0] as [string, unknown];
    // What the role's GetAtt resolves to at deploy time.
    const secretsRoleArn = `arn:aws:iam::${PLACEHOLDER.account}:role/PaletteOnboardingStack-TenantSecretsAccessRole-ABC123`;
    for (const [name, [, fn]] of functionsByName(s.json)) {
      if (name === 'start-onboarding') continue;
      const env = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env, name).toMatchObject({
        ALLOWED_ORGANIZATION_ID: ORG,
        ALLOWED_OU_IDS: `${OU_A},${OU_B}`,
        ALLOWED_ACCOUNT_IDS: '111111111111',
        ALLOW_INSECURE_ENDPOINTS: 'false',
        SET_SOURCE_IDENTITY: 'true',
        TENANT_SECRETS_ROLE_ARN: { 'Fn::GetAtt': [secretsRoleId, 'Arn'] },
      });
      // At run time the account id, the tables' names and the TenantSecretsAccess role's ARN are resolved.
      const parsed = LambdaEnvSchema.parse({
        ...env,
        HOME_ACCOUNT_ID: PLACEHOLDER.account,
        TENANT_REGISTRY_TABLE: 'registry',
        ...(env.PALETTE_RATE_TABLE !== undefined ? { PALETTE_RATE_TABLE: 'palette-rate' } : {}),
        TENANT_SECRETS_ROLE_ARN: secretsRoleArn,
      });
      expect(parsed).toMatchObject({ ALLOWED_OU_IDS: [OU_A, OU_B], ALLOWED_ACCOUNT_IDS: ['111111111111'], SET_SOURCE_IDENTITY: true, TENANT_SECRETS_ROLE_ARN: secretsRoleArn });
    }
  });
});
