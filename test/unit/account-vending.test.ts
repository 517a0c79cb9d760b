/**
 * Account vending, pure (lambdas/domain/account-vending.ts): AWS's documented events (test/e2e/fixtures/events/)
 * read into the announced account, every reason an event starts nothing, the tenant id from an account name or tag,
 * and the request template (placeholders, the fields it must not set, the product's request schema).
 */
import { describe, expect, it } from 'vitest';
import {
  isAccountVendingEvent,
  parseTenantIdSource,
  requestFromTemplate,
  templateIssues,
  tenantIdFromName,
  tenantIdFromTag,
  vendedAccountOf,
} from '../../lambdas/domain/account-vending';
import { OnboardingRequestSchema } from '../../lambdas/domain/request';
import {
  controlTowerEvent,
  controlTowerSampleAsPublished,
  organizationsCreateAccountResultEvent,
  organizationsSampleAsPublished,
  stripLineComments,
} from '../e2e/fixtures/vending-events';

const REPLAY = { managementAccount: '000000000000', accountId: '222222222222' };
const TEMPLATE = {
  aws: { region: 'us-east-1', credentialMode: 'sts' },
  register: { cloudAccount: { enabled: true }, backupLocation: { isDefault: true } },
};
type Json = Record<string, unknown>;
const at = (v: unknown, ...path: string[]): Json => path.reduce((o, k) => (o as Json)[k], v) as Json;

describe('the samples from AWS documentation', () => {
  it('the loader only strips comments: the published Control Tower sample keeps its obscured ids, which are not account ids', () => {
    // Prepare
    const published = controlTowerSampleAsPublished('create');
    // Act
    const outcome = vendedAccountOf(published);
    // Assess
    expect(published.account).toBe('XXXXXXXXXXXX');
    expect(outcome).toEqual({
      kind: 'rejected',
      reason: 'detail.serviceEventDetails.createManagedAccountStatus.account.accountId: must be a 12-digit AWS account id',
    });
    expect(stripLineComments('{"a": "x // y", // note\n"b": 1}')).toBe('{"a": "x // y", \n"b": 1}');
  });

  it('CreateManagedAccount: the account, its name and OU, keyed by the EventBridge event id', () => {
    expect(vendedAccountOf(controlTowerEvent('create', REPLAY))).toEqual({
      kind: 'account',
      account: {
        eventName: 'CreateManagedAccount',
        source: 'aws.controltower',
        eventId: '999cccaa-eaaa-0000-1111-123456789012',
        accountId: '222222222222',
        accountName: 'LifeCycle1',
        organizationalUnitId: 'ou-XXXX-l3zc8b3h',
      },
    });
  });

  it('UpdateManagedAccount: the same shape under updateManagedAccountStatus (its sample has a real-looking account id)', () => {
    const published = controlTowerSampleAsPublished('update');
    expect(at(published, 'detail', 'serviceEventDetails', 'updateManagedAccountStatus', 'account').accountId).toBe('624281831893');
    expect(vendedAccountOf(controlTowerEvent('update', REPLAY))).toMatchObject({
      kind: 'account',
      account: { eventName: 'UpdateManagedAccount', accountId: '222222222222', accountName: 'LifeCycle1' },
    });
  });

  it("CreateAccountResult: the account; AWS masks the name ('****'), so none is given (the starter looks it up)", () => {
    expect(at(organizationsSampleAsPublished(), 'serviceEventDetails', 'createAccountStatus').accountName).toBe('****');
    expect(vendedAccountOf(organizationsCreateAccountResultEvent(REPLAY, 'evt-org'))).toEqual({
      kind: 'account',
      account: { eventName: 'CreateAccountResult', source: 'aws.organizations', eventId: 'evt-org', accountId: '222222222222' },
    });
  });

  it('is recognised by source and detail-type only', () => {
    expect(isAccountVendingEvent({ source: 'aws.controltower', detailType: 'AWS Service Event via CloudTrail' })).toBe(true);
    expect(isAccountVendingEvent({ source: 'aws.organizations', detailType: 'AWS Service Event via CloudTrail' })).toBe(true);
    expect(isAccountVendingEvent({ source: 'palette.onboarding', detailType: 'AWS Service Event via CloudTrail' })).toBe(false);
    expect(isAccountVendingEvent({ source: 'aws.controltower', detailType: 'Tenant Onboarding Requested' })).toBe(false);
    expect(isAccountVendingEvent({})).toBe(false);
  });
});

describe('events that start nothing', () => {
  it('a state other than SUCCEEDED is ignored, naming the state', () => {
    // Prepare
    const failed = controlTowerEvent('create', REPLAY);
    at(failed, 'detail', 'serviceEventDetails', 'createManagedAccountStatus').state = 'FAILED';
    const orgFailed = organizationsCreateAccountResultEvent(REPLAY);
    const status = at(orgFailed, 'detail', 'serviceEventDetails', 'createAccountStatus');
    status.state = 'FAILED';
    status.failureReason = 'EMAIL_ALREADY_EXISTS';
    delete status.accountId;
    // Act + Assess
    expect(vendedAccountOf(failed)).toEqual({
      kind: 'ignored',
      eventName: 'CreateManagedAccount',
      accountId: '222222222222',
      reason: "detail.serviceEventDetails.createManagedAccountStatus.state is 'FAILED', not SUCCEEDED",
    });
    expect(vendedAccountOf(orgFailed)).toEqual({
      kind: 'ignored',
      eventName: 'CreateAccountResult',
      reason: "detail.serviceEventDetails.createAccountStatus.state is 'FAILED' (EMAIL_ALREADY_EXISTS), not SUCCEEDED",
    });
  });

  it.each([
    ['another source', (e: Json) => void (e.source = 'aws.s3'), /^not an account vending event: source: /],
    ['another detail-type', (e: Json) => void (e['detail-type'] = 'Tenant Onboarding Requested'), /^not an account vending event: detail-type: /],
    ['another event name', (e: Json) => void (at(e, 'detail').eventName = 'EnableGuardrail'), /^detail\.eventName 'EnableGuardrail' is none of CreateManagedAccount, UpdateManagedAccount, CreateAccountResult$/],
    ['an Organizations event name under the Control Tower source', (e: Json) => void (at(e, 'detail').eventName = 'CreateAccountResult'), /does not come from source 'aws.controltower'/],
    ['no status object', (e: Json) => void delete at(e, 'detail', 'serviceEventDetails').createManagedAccountStatus, /^detail\.serviceEventDetails\.createManagedAccountStatus: /],
    ['no account name', (e: Json) => void delete at(e, 'detail', 'serviceEventDetails', 'createManagedAccountStatus', 'account').accountName, /account\.accountName: /],
    ['no event id', (e: Json) => void delete e.id, /^not an account vending event: id: /],
  ])('%s: rejected, naming the field', (_name, change, reason) => {
    const event = controlTowerEvent('create', REPLAY);
    change(event);
    const outcome = vendedAccountOf(event);
    expect(outcome.kind).toBe('rejected');
    expect(outcome.kind === 'rejected' ? outcome.reason : '').toMatch(reason);
  });

  it('a SUCCEEDED CreateAccountResult without an account id is rejected', () => {
    const event = organizationsCreateAccountResultEvent(REPLAY);
    delete at(event, 'detail', 'serviceEventDetails', 'createAccountStatus').accountId;
    expect(vendedAccountOf(event)).toEqual({ kind: 'rejected', reason: 'detail.serviceEventDetails.createAccountStatus.accountId: must be a 12-digit AWS account id' });
  });

  it('not an object at all is rejected', () => {
    expect(vendedAccountOf('nope')).toMatchObject({ kind: 'rejected' });
  });
});

describe('the tenant id', () => {
  it.each([
    ['LifeCycle1', 'lifecycle1'],
    ['Acme Prod', 'acme-prod'],
    ['acme-prod', 'acme-prod'],
    ['  ACME -- Prod!! ', 'acme-prod'],
    ['Ünïcode Team', 'n-code-team'],
    ['sandbox-222222222222', 'sandbox-222222222222'],
    ['a'.repeat(32), 'a'.repeat(32)],
  ])('from the account name %j: %j', (name, tenantId) => {
    expect(tenantIdFromName(name)).toEqual({ ok: true, tenantId });
  });

  it('two names that normalize alike give the same tenant id (the registry binding then refuses the second account)', () => {
    expect(tenantIdFromName('Acme Prod')).toEqual(tenantIdFromName('acme_prod'));
  });

  it.each([
    ['****', 'has no letters or digits'],
    ['', 'has no letters or digits'],
    ['123 Prod', "gives the tenant id '123-prod', which does not start with a letter"],
    ['ab', "gives the tenant id 'ab'; a tenant id has 3-32 characters"],
    ['a'.repeat(33), 'gives a tenant id of 33 characters'],
  ])('no tenant id from %j: the reason says why, nothing is truncated', (name, reason) => {
    const result = tenantIdFromName(name);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toContain(reason);
    expect(result.ok ? '' : result.reason).toContain(`the account name ${JSON.stringify(name)}`);
  });

  it('from a tag: its value, which must already be a tenant id', () => {
    const tags = [{ Key: 'team', Value: 'x' }, { Key: 'palette-tenant', Value: 'globex' }];
    expect(tenantIdFromTag(tags, 'palette-tenant', '222222222222')).toEqual({ ok: true, tenantId: 'globex' });
    expect(tenantIdFromTag(tags, 'tenant', '222222222222')).toEqual({ ok: false, reason: "account 222222222222 has no tag 'tenant' (accountVendingTenantIdFrom tag:tenant)" });
    expect(tenantIdFromTag([{ Key: 'palette-tenant', Value: 'Globex Inc' }], 'palette-tenant', '222222222222')).toMatchObject({
      ok: false,
      reason: expect.stringContaining(`tag 'palette-tenant' is "Globex Inc", not a tenant id`),
    });
  });

  it('the source setting: accountName or tag:<key>', () => {
    expect(parseTenantIdSource('accountName')).toEqual({ from: 'accountName' });
    expect(parseTenantIdSource('tag:palette/tenant')).toEqual({ from: 'tag', tagKey: 'palette/tenant' });
    expect(parseTenantIdSource('tag:')).toBeUndefined();
    expect(parseTenantIdSource('name')).toBeUndefined();
    expect(parseTenantIdSource(`tag:${'k'.repeat(129)}`)).toBeUndefined();
  });
});

describe('the request template', () => {
  it('gives a valid request: tenantId and aws.accountId added, placeholders replaced in string values only', () => {
    // Prepare
    const template = {
      ...TEMPLATE,
      register: { cloudAccount: { enabled: true, name: '${tenantId}-aws' }, backupLocation: { isDefault: true } },
      backupLocations: {
        gcp: { bucket: 'backups-${accountId}', projectId: 'tenants-project', credentialsSecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:palette-onboarding-credentials/${tenantId}/gcp' },
      },
    };
    // Act
    const request = requestFromTemplate(template, { tenantId: 'lifecycle1', accountId: '222222222222', accountName: 'LifeCycle1' });
    // Assess
    expect(request).toEqual({
      tenantId: 'lifecycle1',
      aws: { region: 'us-east-1', credentialMode: 'sts', accountId: '222222222222' },
      register: { cloudAccount: { enabled: true, name: 'lifecycle1-aws' }, backupLocation: { isDefault: true } },
      backupLocations: {
        gcp: { bucket: 'backups-222222222222', projectId: 'tenants-project', credentialsSecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:palette-onboarding-credentials/lifecycle1/gcp' },
      },
    });
    expect(template.register.cloudAccount.name).toBe('${tenantId}-aws');
    expect(templateIssues(template)).toEqual([]);
  });

  it('the example template (examples/account-vending) is valid', async () => {
    const { readFile } = await import('node:fs/promises');
    const example: unknown = JSON.parse(await readFile(new URL('../../examples/account-vending/request-template.json', import.meta.url), 'utf8'));
    expect(templateIssues(example)).toEqual([]);
    const request = requestFromTemplate(example as Json, { tenantId: 'acme', accountId: '111111111111', accountName: 'Acme' });
    expect(OnboardingRequestSchema.safeParse(request).success).toBe(true);
  });

  it('must not set tenantId or aws.accountId', () => {
    expect(templateIssues({ ...TEMPLATE, tenantId: 'acme', aws: { ...TEMPLATE.aws, accountId: '111111111111' } })).toEqual([
      { path: 'tenantId', message: 'must not be set: the tenant id comes from each account (accountVendingTenantIdFrom)' },
      { path: 'aws.accountId', message: 'must not be set: the account id comes from each event' },
    ]);
  });

  it('unknown placeholders are named with their field', () => {
    expect(templateIssues({ ...TEMPLATE, register: { cloudAccount: { enabled: true, name: '${tenant}-aws' } } })).toEqual([
      { path: 'register.cloudAccount.name', message: 'unknown placeholder ${tenant} (known: ${tenantId}, ${accountId}, ${accountName})' },
    ]);
  });

  it("the product's request schema checks the rest: issues name the template's field", () => {
    expect(templateIssues({ aws: { region: 'mars-1', credentialMode: 'sts' } })).toEqual([
      expect.objectContaining({ path: 'aws.region', message: expect.stringContaining('(checked with tenantId=sample-tenant, accountId=123456789012, accountName=Sample Account)') }),
    ]);
    expect(templateIssues({ ...TEMPLATE, extra: true })).toEqual([expect.objectContaining({ path: '' })]);
    expect(templateIssues([TEMPLATE])).toEqual([{ path: '', message: expect.stringContaining('must be a JSON object') }]);
  });
});
