/**
 * Issue 13, items 2 and 7, against the Palette emulator: the private cloud gateway an Azure account names (by name, by
 * uid, or the earlier privateCloudGatewayUid) resolved through Palette and required to be Running before anything is
 * written; Azure China and US Government Secret accounts; the S3 location's s3Url / forcePathStyle / caCert stored,
 * read back, converged and removed.
 */
import { describe, expect, it, vi } from 'vitest';
import { RequestValidationError } from '../../../lambdas/shared/errors';
import { checkPlannedGateway } from '../../../lambdas/services/registrations/gateway';
import { callsSince, ensure, failure, getJson, h, mark, newTenant, planFor, rerun, undo, useSandbox, writesSince, type TestTenant } from './harness';

vi.mock('../../../lambdas/services/registry/tenant-registry', () => import('./fake-registry'));

useSandbox();

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PEM = `-----BEGIN CERTIFICATE-----\n${Buffer.alloc(96, 9).toString('base64')}\n-----END CERTIFICATE-----\n`;
const account = (t: TestTenant, over: Record<string, unknown> = {}) => ({ azure: { cloudAccount: { credentialsSecretArn: t.azureSecretArn, ...over } } });
const gateway = (name: string, state?: string) => h().sb.palette.addGateway({ name, ...(state ? { state } : {}) });

describe('private cloud gateway of an Azure account', () => {
  it('by name: resolved to its uid, linked with overlordUid; the re-run has converged', async () => {
    // Prepare
    const t = await newTenant();
    const uid = gateway(`${t.id}-pcg`);
    const plan = planFor(t.id, account(t, { cloud: 'AzureUSGovernmentCloud', privateCloudGateway: { name: `${t.id}-pcg` } }));
    const m = mark();
    // Act
    const created = await ensure('azureAccount', plan);
    const again = await ensure('azureAccount', rerun(plan));
    // Assess
    // The gateway is resolved first, before any other Palette call.
    expect(callsSince(m)[0]).toBe('GET /v1/overlords 200');
    expect(again).toEqual({ ...created, created: false, updated: false });
    const stored = await getJson<Json>(`/v1/cloudaccounts/azure/${created.uid}`);
    expect(stored.metadata.annotations.overlordUid).toBe(uid);
    expect(stored.spec.azureEnvironment).toBe('AzureUSGovernmentCloud');
  });

  it('by uid and by the earlier privateCloudGatewayUid: read (it must exist) and linked', async () => {
    // Prepare
    const t = await newTenant();
    const uid = gateway(`${t.id}-pcg`);
    const byUid = planFor(t.id, account(t, { name: `${t.id}-a`, privateCloudGateway: { uid } }));
    const legacy = planFor(t.id, account(t, { name: `${t.id}-b`, privateCloudGatewayUid: uid }));
    // Act
    const a = await ensure('azureAccount', byUid);
    const b = await ensure('azureAccount', legacy);
    // Assess
    for (const r of [a, b]) expect((await getJson<Json>(`/v1/cloudaccounts/azure/${r.uid}`)).metadata.annotations.overlordUid).toBe(uid);
  });

  it('missing or not Running: refused before any write, naming the field given and the state', async () => {
    // Prepare
    const t = await newTenant();
    const stopped = gateway(`${t.id}-stopped`, 'Pending');
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ privateCloudGateway: { name: `${t.id}-nope` } }, 'azure.cloudAccount.privateCloudGateway.name', /^no private cloud gateway named 'acme-\d+-nope' in this Palette tenant$/],
      [{ privateCloudGateway: { uid: 'ffffffffffffffffffffffff' } }, 'azure.cloudAccount.privateCloudGateway.uid', /^no private cloud gateway with uid 'f{24}'/],
      [{ privateCloudGatewayUid: stopped }, 'azure.cloudAccount.privateCloudGatewayUid', new RegExp(`^private cloud gateway 'acme-\\d+-stopped' \\(uid ${stopped}\\) is in state Pending, not Running`)],
      [{ privateCloudGateway: { name: `${t.id}-stopped` } }, 'azure.cloudAccount.privateCloudGateway.name', /is in state Pending, not Running: an account can use only a running gateway$/],
    ];
    for (const [over, path, message] of cases) {
      const plan = planFor(t.id, account(t, over));
      const m = mark();
      // Act
      const error = await failure(ensure('azureAccount', plan));
      const early = await failure(checkPlannedGateway(plan));
      // Assess
      expect(error, path).toBeInstanceOf(RequestValidationError);
      const issues = (error as RequestValidationError).issues;
      expect(issues.map((i) => i.path)).toEqual([path]);
      expect(issues[0]?.message).toMatch(message);
      expect(early.message).toBe(error.message);
      expect(writesSince(m), path).toEqual([]);
    }
  });
});

describe('every Azure cloud', () => {
  it('Azure China: created with its environment, validated as such', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, account(t, { cloud: 'AzureChinaCloud' }));
    // Act
    const created = await ensure('azureAccount', plan);
    // Assess
    expect((await getJson<Json>(`/v1/cloudaccounts/azure/${created.uid}`)).spec.azureEnvironment).toBe('AzureChinaCloud');
    await undo(plan, 'azureAccount');
  });

  it('AzureUSGovernment (the spec\'s other spelling) counts as the same cloud as an account stored as AzureUSGovernmentCloud', async () => {
    // Prepare
    const t = await newTenant();
    const uid = gateway(`${t.id}-pcg`);
    const cloudPlan = planFor(t.id, account(t, { cloud: 'AzureUSGovernmentCloud', privateCloudGateway: { uid } }));
    const created = await ensure('azureAccount', cloudPlan);
    const otherSpelling = planFor(t.id, account(t, { cloud: 'AzureUSGovernment', privateCloudGateway: { uid } }), { exec: rerun(cloudPlan).executionName });
    // Act
    const again = await ensure('azureAccount', otherSpelling);
    // Assess
    expect(again).toEqual({ ...created, created: false, updated: false });
  });

  it('US Government Secret (self-hosted): with a Running gateway and its TLS certificate chain', async () => {
    // Prepare
    process.env.PALETTE_SELF_HOSTED = 'true';
    const { resetEnvCache } = await import('../../../lambdas/shared/env');
    resetEnvCache();
    try {
      const t = await newTenant();
      gateway(`${t.id}-secret-pcg`);
      const plan = planFor(t.id, account(t, { cloud: 'AzureUSSecretCloud', tlsCert: PEM, privateCloudGateway: { name: `${t.id}-secret-pcg` } }));
      // Act
      const created = await ensure('azureAccount', plan);
      const again = await ensure('azureAccount', rerun(plan));
      // Assess
      const stored = await getJson<Json>(`/v1/cloudaccounts/azure/${created.uid}`);
      expect(stored.spec).toMatchObject({ azureEnvironment: 'AzureUSSecretCloud', tls: { cert: PEM } });
      expect(again).toMatchObject({ created: false, updated: false });
    } finally {
      process.env.PALETTE_SELF_HOSTED = 'false';
      resetEnvCache();
    }
  });
});

describe('S3 location: s3Url, forcePathStyle, caCert', () => {
  it('stored and read back; a re-run has converged; removing them from the request removes them; path style is kept', async () => {
    // Prepare
    const t = await newTenant();
    const fields = { s3Url: 'https://s3-proxy.acme.example.com', caCert: PEM };
    const plan = planFor(t.id, { register: { backupLocation: fields } });
    // Act
    const created = await ensure('backupLocation', plan);
    const stored = await getJson<Json>(`/v1/users/assets/locations/s3/${created.uid}`);
    const again = await ensure('backupLocation', rerun(plan));
    const m = mark();
    const without = await ensure('backupLocation', planFor(t.id, {}, { exec: rerun(plan).executionName }));
    const after = await getJson<Json>(`/v1/users/assets/locations/s3/${created.uid}`);
    // Assess
    expect(stored.spec.config).toMatchObject({ bucketName: plan.bucketName, region: 'us-east-1', s3Url: fields.s3Url, s3ForcePathStyle: true, caCert: PEM });
    expect(again).toEqual({ ...created, created: false, updated: false });
    expect(without).toMatchObject({ created: false, updated: true });
    expect(writesSince(m)).toEqual(['PUT /v1/users/assets/locations/s3/{uid} 204']);
    expect(after.spec.config).not.toHaveProperty('s3Url');
    expect(after.spec.config).not.toHaveProperty('caCert');
    expect(after.spec.config.s3ForcePathStyle).toBe(true);
    await undo(plan, 'backupLocation');
  });

  it('forcePathStyle without an s3Url is sent as given, and a changed value is drift', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { register: { backupLocation: { forcePathStyle: false } } });
    const created = await ensure('backupLocation', plan);
    const flipped = planFor(t.id, { register: { backupLocation: { forcePathStyle: true } } }, { exec: rerun(plan).executionName });
    // Act
    const result = await ensure('backupLocation', flipped);
    // Assess
    expect(created).toMatchObject({ created: true });
    expect(result).toMatchObject({ created: false, updated: true });
    expect((await getJson<Json>(`/v1/users/assets/locations/s3/${created.uid}`)).spec.config.s3ForcePathStyle).toBe(true);
    await undo(plan, 'backupLocation');
  });
});
