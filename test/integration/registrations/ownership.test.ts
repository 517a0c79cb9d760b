/**
 * The ownership rule of the one registration reconciler, the same for every kind (lambdas/domain/registrations.ts):
 * create with the marks, re-run, drift, another tenant's / another deployment's / an unmarked object, adoption,
 * compensation, and crash recovery through the registry's write-ahead intent. One case table, one suite.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { REGISTRATION_KEYS, type RegistrationKey } from '../../../lambdas/domain/registrations';
import type { AwsPlan } from '../../../lambdas/domain/workflow-state';
import { OwnershipError } from '../../../lambdas/shared/errors';
import { registrationRegistryKey } from '../../../lambdas/services/registrations';
import { registry } from './fake-registry';
import {
  api,
  AZURE,
  createSecret,
  CREATED_BY_TAG,
  DEPLOYMENT,
  ensure,
  expectNoSecrets,
  failure,
  getJson,
  h,
  MANAGED_BY_TAG,
  mark,
  newExec,
  newPublicKey,
  newTenant,
  planFor,
  rawCreate,
  rerun,
  secretValues,
  storedObject,
  stsPrincipal,
  TENANT_TAG,
  undo,
  useSandbox,
  WRITABLE_BUCKET,
  writesSince,
  type TestTenant,
} from './harness';

vi.mock('../../../lambdas/services/registry/tenant-registry', () => import('./fake-registry'));

useSandbox();

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface KindCase {
  key: RegistrationKey;
  /** The request sections asking for this kind under `name`. */
  request(t: TestTenant, name: string, adopt: boolean): Record<string, unknown>;
  /** Where the object is read (GET) and written (PUT); `createPath` where someone else would POST it. */
  path(uid: string): string;
  createPath: string;
  /** The object's body as someone else would create it, with the spec our plan wants. */
  body(t: TestTenant, plan: AwsPlan, name: string, annotations: Record<string, string>): Json;
  /** Makes the stored spec drift (changes the GET view before it is PUT back); `converged` checks it is back. */
  drift(view: Json): void;
  converged(view: Json, plan: AwsPlan): void;
  /** PUT body from a GET view (default: the view itself). */
  putBody?(view: Json): Json;
  /** Makes the workflow hold the value of a key someone else created (API keys: otherwise never adopted). */
  holdValue?(t: TestTenant, created: { uid: string; apiKey?: string }, tags: Record<string, string>): Promise<void>;
}

const sts = (plan: AwsPlan) => ({ credentialType: 'sts', partition: 'aws', sts: { arn: stsPrincipal(plan).roleArn, externalId: h().identity.externalId } });
const PUBLIC_KEY = newPublicKey('ops@laptop');

const CASES: KindCase[] = [
  {
    key: 'cloudAccount',
    request: (_t, name, adopt) => ({ register: { cloudAccount: { name, adopt } } }),
    path: (uid) => `/v1/cloudaccounts/aws/${uid}`,
    createPath: '/v1/cloudaccounts/aws',
    body: (_t, plan, name, annotations) => ({ metadata: { name, annotations }, spec: sts(plan) }),
    drift: (v) => {
      v.spec.sts.externalId = 'someone-elses-external-id';
    },
    converged: (v) => expect(v.spec.sts.externalId).toBe(h().identity.externalId),
  },
  {
    key: 'backupLocation',
    request: (_t, name, adopt) => ({ register: { backupLocation: { name, adopt } } }),
    path: (uid) => `/v1/users/assets/locations/s3/${uid}`,
    createPath: '/v1/users/assets/locations/s3',
    body: (_t, plan, name, annotations) => ({
      metadata: { name, annotations },
      spec: { config: { bucketName: plan.bucketName, region: plan.target.region, credentials: sts(plan) }, isDefault: false },
    }),
    drift: (v) => {
      v.spec.config.region = 'eu-west-1';
    },
    converged: (v, plan) => expect(v.spec.config).toMatchObject({ region: plan.target.region, bucketName: plan.bucketName }),
  },
  {
    key: 'azureAccount',
    request: (t, name, adopt) => ({ azure: { cloudAccount: { name, credentialsSecretArn: t.azureSecretArn, tenantName: 'Acme Corp', adopt } } }),
    path: (uid) => `/v1/cloudaccounts/azure/${uid}`,
    createPath: '/v1/cloudaccounts/azure',
    body: (_t, _plan, name, annotations) => ({
      metadata: { name, annotations },
      spec: { tenantId: AZURE.tenantId, clientId: AZURE.clientId, clientSecret: AZURE.clientSecret, tenantName: 'Acme Corp', settings: { disablePropertiesRequest: false } },
    }),
    drift: (v) => {
      v.spec.tenantName = 'Someone Else';
      v.spec.settings = { disablePropertiesRequest: true };
    },
    converged: (v) => expect(v.spec).toMatchObject({ tenantName: 'Acme Corp', settings: { disablePropertiesRequest: false } }),
  },
  {
    key: 'sshKey',
    request: (_t, name, adopt) => ({ sshKey: { name, publicKey: PUBLIC_KEY, adopt } }),
    path: (uid) => `/v1/users/assets/sshkeys/${uid}`,
    createPath: '/v1/users/assets/sshkeys',
    body: (_t, _plan, name, annotations) => ({ metadata: { name, annotations }, spec: { publicKey: PUBLIC_KEY } }),
    drift: (v) => {
      v.spec.publicKey = newPublicKey('someone-else');
    },
    converged: (v) => expect(v.spec.publicKey).toBe(PUBLIC_KEY),
  },
  {
    key: 'apiKey',
    request: (_t, name, adopt) => ({ apiKey: { name, description: 'CI automation', adopt } }),
    path: (uid) => `/v1/apiKeys/${uid}`,
    createPath: '/v1/apiKeys',
    body: (_t, _plan, name, annotations) => ({ metadata: { name, annotations: { description: 'CI automation', ...annotations } }, spec: {} }),
    drift: (v) => {
      v.metadata.annotations.description = 'changed by hand';
    },
    putBody: (v) => ({ metadata: { annotations: v.metadata.annotations } }),
    converged: (v) => expect(v.metadata.annotations.description).toBe('CI automation'),
    // The value of a key someone else created, stored where the workflow keeps it (tagged with the key's uid).
    holdValue: async (t, created, tags) => {
      secretValues.push(created.apiKey ?? 'unreachable');
      await createSecret(`palette-onboarding/${t.id}/palette-api-key`, { apiKey: created.apiKey }, { ...tags, 'palette-onboarding/api-key-uid': created.uid });
    },
  },
  {
    key: 'gcpBackupLocation',
    request: (t, name, adopt) => ({
      backupLocations: { gcp: { name, bucket: 'acme-velero-gcs', projectId: 'acme-backups', credentialsSecretArn: t.gcpSecretArn, adopt } },
    }),
    path: (uid) => `/v1/users/assets/locations/gcp/${uid}`,
    createPath: '/v1/users/assets/locations/gcp',
    body: (_t, _plan, name, annotations) => ({
      metadata: { name, annotations },
      spec: { config: { bucketName: 'acme-velero-gcs', projectId: 'acme-backups', credentials: { jsonCredentials: '{"type":"service_account"}' } }, isDefault: false },
    }),
    drift: (v) => {
      v.spec.config.bucketName = 'someone-elses-bucket';
    },
    converged: (v) => expect(v.spec.config).toMatchObject({ bucketName: 'acme-velero-gcs', projectId: 'acme-backups' }),
  },
  {
    key: 'minioBackupLocation',
    request: (t, name, adopt) => ({
      backupLocations: { minio: { name, bucket: WRITABLE_BUCKET, s3Url: h().sb.aws.endpoint, credentialsSecretArn: t.minioSecretArn, adopt } },
    }),
    path: (uid) => `/v1/users/assets/locations/minio/${uid}`,
    createPath: '/v1/users/assets/locations/minio',
    body: (_t, _plan, name, annotations) => ({
      metadata: { name, annotations },
      spec: {
        config: {
          bucketName: WRITABLE_BUCKET,
          region: 'us-east-1',
          s3Url: h().sb.aws.endpoint,
          s3ForcePathStyle: true,
          credentials: { credentialType: 'secret', accessKey: h().minioKey.accessKeyId, secretKey: h().minioKey.secretAccessKey },
        },
        isDefault: false,
      },
    }),
    drift: (v) => {
      v.spec.config.region = 'eu-west-1';
    },
    converged: (v) => expect(v.spec.config).toMatchObject({ region: 'us-east-1', bucketName: WRITABLE_BUCKET }),
  },
  {
    key: 'azureBackupLocation',
    request: (t, name, adopt) => ({
      backupLocations: {
        azure: {
          name,
          container: 'velero',
          storageAccount: 'acmebackups',
          resourceGroup: 'acme-rg',
          subscriptionId: AZURE.subscriptionId,
          credentialsSecretArn: t.azureBlobSecretArn,
          adopt,
        },
      },
    }),
    path: (uid) => `/v1/users/assets/locations/azure/${uid}`,
    createPath: '/v1/users/assets/locations/azure',
    body: (_t, _plan, name, annotations) => ({
      metadata: { name, annotations },
      spec: {
        config: {
          containerName: 'velero',
          storageName: 'acmebackups',
          resourceGroup: 'acme-rg',
          credentials: { clientCloud: 'public', tenantId: AZURE.tenantId, clientId: AZURE.clientId, clientSecret: AZURE.clientSecret, subscriptionId: AZURE.subscriptionId },
        },
        isDefault: false,
      },
    }),
    drift: (v) => {
      v.spec.config.resourceGroup = 'moved-rg';
    },
    converged: (v) => expect(v.spec.config.resourceGroup).toBe('acme-rg'),
  },
];

afterAll(() => {
  // Every kind of lambdas/domain/registrations.ts has its case here (a new kind without one fails this file).
  expect(CASES.map((c) => c.key).sort()).toEqual([...REGISTRATION_KEYS].sort());
});

describe.each(CASES)('$key', (c) => {
  /** A tenant of its own, its plan for this kind, and what the test needs to find the object. */
  async function setup(opts: { adopt?: boolean } = {}) {
    const t = await newTenant();
    const name = `${t.id}-${c.key.toLowerCase().slice(0, 12)}`;
    const plan = planFor(t.id, c.request(t, name, opts.adopt ?? false));
    return { t, name, plan, registryKey: registrationRegistryKey(plan, c.key, name) };
  }
  const view = (uid: string) => getJson<Json>(c.path(uid));
  const annotationsOf = async (uid: string) => (await view(uid)).metadata.annotations as Record<string, string>;
  const someoneCreates = async (t: TestTenant, plan: AwsPlan, name: string, annotations: Record<string, string>) => rawCreate(c.createPath, c.body(t, plan, name, annotations));

  it('creates it with the marks: tenant, managed-by (this deployment), created-by (this execution); recorded as created', async () => {
    // Prepare
    const { t, name, plan, registryKey } = await setup();
    // Act
    const result = await ensure(c.key, plan);
    // Assess
    expect(result).toMatchObject({ uid: expect.any(String), name, created: true, updated: false });
    expect(result.adopted).toBeUndefined();
    expect(await annotationsOf(result.uid)).toMatchObject({
      [TENANT_TAG]: t.id,
      [MANAGED_BY_TAG]: DEPLOYMENT,
      [CREATED_BY_TAG]: plan.executionName,
    });
    const record = registry.record(t.id);
    expect(record?.resources[registryKey]).toMatchObject({ part: c.key, id: result.uid, name, createdBy: plan.executionName, adopted: false });
    expect(record?.intents[registryKey]).toBeUndefined();
    expectNoSecrets(result);
  });

  it('a re-run by another execution changes nothing: no Palette write, created-by stays the creator', async () => {
    // Prepare
    const { plan } = await setup();
    const first = await ensure(c.key, plan);
    const before = await storedObject(first.uid);
    const m = mark();
    // Act
    const again = await ensure(c.key, rerun(plan));
    // Assess
    expect(again).toEqual({ ...first, created: false, updated: false });
    expect(writesSince(m)).toEqual([]);
    expect(await storedObject(first.uid)).toEqual(before);
  });

  it('drift of the spec and of a mark is corrected; other annotations and created-by are kept', async () => {
    // Prepare
    const { t, plan } = await setup();
    const first = await ensure(c.key, plan);
    const drifted = await view(first.uid);
    c.drift(drifted);
    drifted.metadata.annotations = { ...drifted.metadata.annotations, owner: 'ops', [TENANT_TAG]: t.id };
    delete drifted.metadata.annotations[MANAGED_BY_TAG];
    expect((await api('PUT', c.path(first.uid), c.putBody ? c.putBody(drifted) : drifted)).status).toBe(204);
    // Act
    const result = await ensure(c.key, rerun(plan));
    // Assess
    expect(result).toEqual({ ...first, created: false, updated: true });
    const after = await view(first.uid);
    c.converged(after, plan);
    expect(after.metadata.annotations).toMatchObject({ owner: 'ops', [MANAGED_BY_TAG]: DEPLOYMENT, [CREATED_BY_TAG]: plan.executionName });
  });

  it("another tenant's object of that name: OwnershipError before anything is changed", async () => {
    // Prepare
    const { t, name, plan, registryKey } = await setup({ adopt: true });
    const theirs = await someoneCreates(t, plan, name, { [TENANT_TAG]: 'other-tenant', [MANAGED_BY_TAG]: DEPLOYMENT, [CREATED_BY_TAG]: 'other-exec' });
    const before = await storedObject(theirs.uid);
    const m = mark();
    // Act
    const error = await failure(ensure(c.key, plan));
    // Assess
    expect(error).toBeInstanceOf(OwnershipError);
    expect(error.message).toContain(`'${name}' (${theirs.uid}) belongs to tenant 'other-tenant', not to tenant '${t.id}'; nothing was changed`);
    expect(writesSince(m)).toEqual([]);
    expect(await storedObject(theirs.uid)).toEqual(before);
    expect(registry.record(t.id)?.resources[registryKey]).toBeUndefined();
    expect(registry.record(t.id)?.intents[registryKey]).toBeUndefined();
  });

  it("another deployment's object (this tenant's name): OwnershipError, the object is unchanged", async () => {
    // Prepare
    const { t, name, plan } = await setup({ adopt: true });
    const theirs = await someoneCreates(t, plan, name, { [TENANT_TAG]: t.id, [MANAGED_BY_TAG]: 'deploy-b', [CREATED_BY_TAG]: 'other-exec' });
    const before = await storedObject(theirs.uid);
    const m = mark();
    // Act
    const error = await failure(ensure(c.key, plan));
    // Assess
    expect(error).toBeInstanceOf(OwnershipError);
    expect(error.message).toContain(`is managed by another palette-onboarding deployment ('deploy-b', this one is '${DEPLOYMENT}')`);
    expect(writesSince(m)).toEqual([]);
    expect(await storedObject(theirs.uid)).toEqual(before);
  });

  it('an unmarked object without adopt: OwnershipError naming the adopt field, the object is unchanged', async () => {
    // Prepare
    const { t, name, plan } = await setup();
    const theirs = await someoneCreates(t, plan, name, { owner: 'ops' });
    const before = await storedObject(theirs.uid);
    const m = mark();
    // Act
    const error = await failure(ensure(c.key, plan));
    // Assess
    expect(error).toBeInstanceOf(OwnershipError);
    expect(error.message).toContain(`'${name}' (${theirs.uid}) already exists and is not managed by palette-onboarding for tenant '${t.id}'`);
    expect(error.message).toMatch(/set [\w.]+\.adopt: true to adopt it/);
    expect(writesSince(m)).toEqual([]);
    expect(await storedObject(theirs.uid)).toEqual(before);
  });

  it('with adopt: adopted (our marks, never created-by; its own annotations kept), and compensation leaves it', async () => {
    // Prepare
    const { t, name, plan, registryKey } = await setup({ adopt: true });
    const theirs = await someoneCreates(t, plan, name, { owner: 'ops' });
    await c.holdValue?.(t, theirs, {});
    // Act
    const result = await ensure(c.key, plan);
    const undone = await undo(plan);
    // Assess
    expect(result).toMatchObject({ uid: theirs.uid, name, created: false, updated: true, adopted: true });
    const annotations = await annotationsOf(theirs.uid);
    expect(annotations).toMatchObject({ owner: 'ops', [TENANT_TAG]: t.id, [MANAGED_BY_TAG]: DEPLOYMENT });
    expect(annotations[CREATED_BY_TAG]).toBeUndefined();
    expect(registry.record(t.id)?.resources[registryKey]).toMatchObject({ id: theirs.uid, adopted: true });
    expect(registry.record(t.id)?.resources[registryKey]?.createdBy).toBeUndefined();
    expect(undone.deleted).toEqual([]);
    expect(undone.retained).toContainEqual({ id: expect.stringContaining(theirs.uid), reason: expect.stringContaining('was not created by this execution') });
    expect((await api('GET', c.path(theirs.uid))).status).toBe(200);
  });

  it('compensation deletes only what this execution created, and forgets it in the registry', async () => {
    // Prepare
    const { t, plan, registryKey } = await setup();
    const created = await ensure(c.key, plan);
    const other = rerun(plan);
    // Act
    const byOther = await undo(other, c.key);
    const byCreator = await undo(plan, c.key);
    const again = await undo(plan, c.key);
    // Assess
    expect(byOther.deleted).toEqual([]);
    expect(byOther.retained[0]).toEqual({ id: expect.stringContaining(created.uid), reason: expect.stringContaining('was not created by this execution') });
    expect(byCreator.deleted[0]).toContain(created.uid);
    expect((await api('GET', c.path(created.uid))).status).toBe(404);
    expect(registry.record(t.id)?.resources[registryKey]).toBeUndefined();
    expect(again).toEqual({ deleted: [], retained: [] });
  });

  it("this execution's pending intent makes an unmarked object its own (it died after the create); compensation deletes it", async () => {
    // Prepare: the create went through, the Lambda died before its marks and record were written.
    const { t, name, plan, registryKey } = await setup();
    const orphan = await someoneCreates(t, plan, name, {});
    await c.holdValue?.(t, orphan, plan.tags);
    registry.seedIntent(t.id, registryKey, plan.executionName);
    // Act
    const result = await ensure(c.key, plan);
    const annotations = await annotationsOf(orphan.uid);
    const undone = await undo(plan, c.key);
    // Assess
    expect(result).toMatchObject({ uid: orphan.uid, created: false, updated: true });
    expect(result.adopted).toBeUndefined();
    expect(annotations).toMatchObject({ [TENANT_TAG]: t.id, [MANAGED_BY_TAG]: DEPLOYMENT, [CREATED_BY_TAG]: plan.executionName });
    expect(undone.deleted[0]).toContain(orphan.uid);
    expect((await api('GET', c.path(orphan.uid))).status).toBe(404);
  });

  it("another execution's pending intent does not make an unmarked object this execution's", async () => {
    // Prepare
    const { t, name, plan, registryKey } = await setup();
    const orphan = await someoneCreates(t, plan, name, {});
    registry.seedIntent(t.id, registryKey, newExec(t.id));
    // Act
    const error = await failure(ensure(c.key, plan));
    // Assess
    expect(error).toBeInstanceOf(OwnershipError);
    expect((await api('GET', c.path(orphan.uid))).status).toBe(200);
  });
});
