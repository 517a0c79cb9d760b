/**
 * The Azure cloud account (kinds/azure-account.ts): validated before every create or update, credentials from the
 * tenant's secret (never in results, logs or errors), Palette's US Government / private cloud gateway rule before
 * any call, the `overlordUid` annotation.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CREDENTIALS_FINGERPRINT_ANNOTATION } from '../../../lambdas/domain/credential-changes';
import { resetEnvCache } from '../../../lambdas/shared/env';
import { ConfigurationError, RequestValidationError } from '../../../lambdas/shared/errors';
import { PaletteValidationError } from '../../../lambdas/services/palette';
import {
  api,
  AZURE,
  callsSince,
  createSecret,
  CREATED_BY_TAG,
  DEPLOYMENT,
  ensure,
  expectNoSecrets,
  failure,
  getJson,
  h,
  logText,
  MANAGED_BY_TAG,
  mark,
  newTenant,
  planFor,
  rawCreate,
  rerun,
  secretValues,
  TENANT_TAG,
  undo,
  useSandbox,
  writesSince,
  type TestTenant,
} from './harness';

vi.mock('../../../lambdas/services/registry/tenant-registry', () => import('./fake-registry'));

useSandbox();

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const request = (t: TestTenant, over: Record<string, unknown> = {}) => ({
  azure: { cloudAccount: { credentialsSecretArn: t.azureSecretArn, tenantName: 'Acme Corp', disablePropertiesRequest: true, ...over } },
});

afterEach(() => {
  process.env.PALETTE_SELF_HOSTED = 'false';
  resetEnvCache();
});

it('validates first, then creates it: marks as annotations, the client secret stored but never shown', async () => {
  // Prepare
  const t = await newTenant();
  const plan = planFor(t.id, request(t));
  const m = mark();
  // Act
  const result = await ensure('azureAccount', plan);
  // Assess
  expect(result).toEqual({ uid: expect.any(String), name: `${t.id}-azure`, created: true, updated: false });
  expect(writesSince(m)).toEqual(['POST /v1/clouds/azure/account/validate 204', 'POST /v1/cloudaccounts/azure 201']);
  const account = await getJson<Json>(`/v1/cloudaccounts/azure/${result.uid}`);
  expect(account.metadata.annotations).toEqual({
    [CREATED_BY_TAG]: plan.executionName,
    [TENANT_TAG]: t.id,
    [MANAGED_BY_TAG]: DEPLOYMENT,
    // The fingerprint of the secret version it was given (README "Credential changes"), never the secret.
    [CREDENTIALS_FINGERPRINT_ANNOTATION]: expect.stringMatching(/^v1:[A-Za-z0-9_-]{43}$/),
    scope: 'tenant',
  });
  expect(account.spec).toEqual({
    tenantId: AZURE.tenantId,
    clientId: AZURE.clientId,
    clientSecret: '************',
    azureEnvironment: 'AzurePublicCloud',
    tenantName: 'Acme Corp',
    settings: { disablePropertiesRequest: true },
  });
  expectNoSecrets(result);
  expect(logText()).toContain('Palette registration created');
});

it('a re-run does not validate again; drift is corrected after validating', async () => {
  // Prepare
  const t = await newTenant();
  const plan = planFor(t.id, request(t));
  const first = await ensure('azureAccount', plan);
  const m1 = mark();
  const again = await ensure('azureAccount', rerun(plan));
  const unchanged = writesSince(m1);
  const view = await getJson<Json>(`/v1/cloudaccounts/azure/${first.uid}`);
  await api('PUT', `/v1/cloudaccounts/azure/${first.uid}`, { metadata: view.metadata, spec: { ...view.spec, tenantName: 'Someone Else' } });
  const m2 = mark();
  // Act
  const corrected = await ensure('azureAccount', rerun(plan));
  // Assess
  expect(again).toEqual({ ...first, created: false });
  expect(unchanged).toEqual([]);
  expect(corrected).toEqual({ ...first, created: false, updated: true });
  expect(writesSince(m2)).toEqual(['POST /v1/clouds/azure/account/validate 204', 'PUT /v1/cloudaccounts/azure/{uid} 204']);
  expect((await getJson<Json>(`/v1/cloudaccounts/azure/${first.uid}`)).spec.tenantName).toBe('Acme Corp');
});

it('a tenant name the request leaves out is not managed: the one the account has is kept', async () => {
  // Prepare
  const t = await newTenant();
  const plan = planFor(t.id, request(t, { tenantName: undefined }));
  const first = await ensure('azureAccount', planFor(t.id, request(t)));
  const m = mark();
  // Act
  const result = await ensure('azureAccount', plan);
  // Assess
  expect(result).toEqual({ ...first, created: false, updated: false });
  expect(writesSince(m)).toEqual([]);
  expect((await getJson<Json>(`/v1/cloudaccounts/azure/${first.uid}`)).spec.tenantName).toBe('Acme Corp');
});

it('credentials missing fields: ConfigurationError naming the secret and the fields, never a value; no Palette call', async () => {
  // Prepare
  const t = await newTenant();
  const arn = await createSecret(`palette-onboarding-credentials/${t.id}/azure-partial`, { tenantId: AZURE.tenantId, clientSecret: 'partial-secret-value' });
  secretValues.push('partial-secret-value');
  const plan = planFor(t.id, { azure: { cloudAccount: { credentialsSecretArn: arn } } });
  const m = mark();
  // Act
  const error = await failure(ensure('azureAccount', plan));
  // Assess
  expect(error).toBeInstanceOf(ConfigurationError);
  expect(error.message).toBe(`Secret ${arn} does not have the expected fields: clientId`);
  expect(callsSince(m)).toEqual([]);
});

it('credentials Palette rejects: PaletteValidationError from validate, nothing created', async () => {
  // Prepare
  const t = await newTenant();
  const arn = await createSecret(`palette-onboarding-credentials/${t.id}/azure-bad`, { ...AZURE, clientId: 'not-a-guid' });
  const plan = planFor(t.id, { azure: { cloudAccount: { credentialsSecretArn: arn } } });
  const m = mark();
  // Act
  const error = await failure(ensure('azureAccount', plan));
  // Assess
  expect(error).toBeInstanceOf(PaletteValidationError);
  expectNoSecrets(error);
  expect(writesSince(m)).toEqual(['POST /v1/clouds/azure/account/validate 400']);
  expect((await h().palette.cloudAccounts.azure.findByName(`${t.id}-azure`))).toBeUndefined();
});

describe('US Government and private cloud gateways', () => {
  it('SaaS: without a gateway it is rejected before any call', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, request(t, { cloud: 'AzureUSGovernmentCloud' }));
    const m = mark();
    // Act
    const error = await failure(ensure('azureAccount', plan));
    // Assess
    expect(error).toBeInstanceOf(RequestValidationError);
    expect(error.message).toBe(
      'Invalid onboarding request: azure.cloudAccount.privateCloudGateway: required: on Palette SaaS an Azure US Government (AzureUSGovernmentCloud) account must use a private cloud gateway',
    );
    expect(callsSince(m)).toEqual([]);
  });

  it('SaaS: with a gateway it is created with the overlordUid annotation, and a re-run has converged', async () => {
    // Prepare
    const t = await newTenant();
    const gateway = h().sb.palette.addGateway({ name: `${t.id}-pcg` });
    const plan = planFor(t.id, request(t, { cloud: 'AzureUSGovernmentCloud', privateCloudGatewayUid: gateway }));
    // Act
    const result = await ensure('azureAccount', plan);
    const again = await ensure('azureAccount', rerun(plan));
    // Assess
    expect(result).toMatchObject({ created: true });
    expect(again).toEqual({ ...result, created: false, updated: false });
    const account = await getJson<Json>(`/v1/cloudaccounts/azure/${result.uid}`);
    expect(account.metadata.annotations).toMatchObject({ overlordUid: gateway, [CREATED_BY_TAG]: plan.executionName });
    expect(account.spec.azureEnvironment).toBe('AzureUSGovernmentCloud');
  });

  it('self-hosted: rejected when the installation has Azure Public Cloud accounts (named); only the list is read', async () => {
    // Prepare
    process.env.PALETTE_SELF_HOSTED = 'true';
    resetEnvCache();
    const t = await newTenant();
    await rawCreate('/v1/cloudaccounts/azure', {
      metadata: { name: `${t.id}-public` },
      spec: { tenantId: AZURE.tenantId, clientId: AZURE.clientId, clientSecret: AZURE.clientSecret },
    });
    const plan = planFor(t.id, request(t, { name: `${t.id}-gov`, cloud: 'AzureUSGovernmentCloud' }));
    const m = mark();
    // Act
    const error = await failure(ensure('azureAccount', plan));
    // Assess
    expect(error).toBeInstanceOf(RequestValidationError);
    const issues = (error as RequestValidationError).issues;
    expect(issues.map((i) => i.path)).toEqual(['azure.cloudAccount.privateCloudGateway']);
    expect(issues[0]?.message).toMatch(/^required: this self-hosted Palette also has Azure Public Cloud accounts \(.*'acme-\d+-public'/);
    expect(callsSince(m)).toEqual(['GET /v1/cloudaccounts/azure 200']);
  });

  it('self-hosted: allowed without a gateway when the scope has no Azure Public Cloud account (project scope)', async () => {
    // Prepare
    process.env.PALETTE_SELF_HOSTED = 'true';
    resetEnvCache();
    const t = await newTenant();
    const projectUid = h().sb.palette.projectUid;
    const plan = planFor(t.id, request(t, { name: `${t.id}-gov`, cloud: 'AzureUSGovernmentCloud' }), { projectUid });
    // Act
    const result = await ensure('azureAccount', plan);
    const undone = await undo(plan, 'azureAccount');
    // Assess
    expect(result).toMatchObject({ name: `${t.id}-gov`, created: true });
    expect(undone).toEqual({ deleted: [`palette:cloud-account/azure/${result.uid}`], retained: [] });
  });
});
