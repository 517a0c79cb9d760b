/**
 * The GCP, MinIO and Azure backup locations (kinds/{gcp,minio,azure}-backup-location.ts): validated before every
 * create or update (Palette's GCP bucket and Azure account validates; the workflow's own MinIO probe with the
 * location's keys), secrets stored in Palette but never shown, fields we do not manage kept, isDefault. The MinIO
 * endpoint is the AWS sandbox itself: a bucket in a member account, reached with an IAM user's static keys.
 */
import '../../unit/platform/reflect-polyfill';
import { webcrypto } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import * as x509 from '@peculiar/x509';
import { CreateAccessKeyCommand, DeleteAccessKeyCommand } from '@aws-sdk/client-iam';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { minioProbeKey } from '../../../lambdas/services/registrations/kinds/minio-backup-location';
import { describe, expect, it, vi } from 'vitest';
import { ConfigurationError, MinioValidationError } from '../../../lambdas/shared/errors';
import { createCa, privateKeyPem } from '../../unit/platform/certs';
import {
  AZURE,
  callsSince,
  createSecret,
  CREATED_BY_TAG,
  ensure,
  expectNoSecrets,
  failure,
  gcpKeyDocument,
  h,
  mark,
  newTenant,
  planFor,
  putSecret,
  READONLY_BUCKET,
  rerun,
  secretValues,
  TENANT_TAG,
  undo,
  useSandbox,
  WRITABLE_BUCKET,
  writesSince,
  type TestTenant,
} from './harness';

vi.mock('../../../lambdas/services/registry/tenant-registry', () => import('./fake-registry'));

useSandbox();

const gcp = (t: TestTenant, over: Record<string, unknown> = {}) => ({
  bucket: 'acme-velero-gcs',
  projectId: 'acme-backups',
  credentialsSecretArn: t.gcpSecretArn,
  ...over,
});
const minio = (t: TestTenant, over: Record<string, unknown> = {}) => ({
  bucket: WRITABLE_BUCKET,
  s3Url: h().sb.aws.endpoint,
  credentialsSecretArn: t.minioSecretArn,
  ...over,
});
const azure = (t: TestTenant, over: Record<string, unknown> = {}) => ({
  container: 'velero',
  storageAccount: 'acmebackups',
  resourceGroup: 'acme-rg',
  sku: 'Standard_LRS',
  subscriptionId: AZURE.subscriptionId,
  credentialsSecretArn: t.azureBlobSecretArn,
  ...over,
});
const scopeOf = (projectUid?: string) => (projectUid ? h().palette.project(projectUid) : h().palette);

describe('create, re-run, drift', () => {
  it('creates the three locations, each validated first; secrets stored in Palette, never shown', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { backupLocations: { gcp: gcp(t), minio: minio(t), azure: azure(t) } });
    const m = mark();
    // Act
    const result = {
      gcp: await ensure('gcpBackupLocation', plan),
      minio: await ensure('minioBackupLocation', plan),
      azure: await ensure('azureBackupLocation', plan),
    };
    // Assess
    expect(result).toEqual({
      gcp: { uid: expect.any(String), name: `${t.id}-gcs`, created: true, updated: false },
      minio: { uid: expect.any(String), name: `${t.id}-minio`, created: true, updated: false },
      azure: { uid: expect.any(String), name: `${t.id}-azure-blob`, created: true, updated: false },
    });
    expectNoSecrets(result);
    expect(callsSince(m)).toEqual([
      'GET /v1/users/assets/locations 200',
      'POST /v1/clouds/gcp/bucketname/validate 204',
      'POST /v1/users/assets/locations/gcp 201',
      'GET /v1/users/assets/locations 200',
      'POST /v1/users/assets/locations/minio 201',
      'GET /v1/users/assets/locations 200',
      'POST /v1/clouds/azure/account/validate 204',
      'POST /v1/users/assets/locations/azure 201',
    ]);
    const locations = h().palette.backupLocations;
    const g = await locations.gcp.get(result.gcp.uid);
    expect(g.metadata?.annotations).toMatchObject({ [CREATED_BY_TAG]: plan.executionName, [TENANT_TAG]: t.id });
    expect(g.spec).toEqual({
      config: { bucketName: 'acme-velero-gcs', projectId: 'acme-backups', credentials: { jsonCredentials: '************' } },
      isDefault: false,
      type: 'gcp',
    });
    expect((await locations.minio.get(result.minio.uid)).spec).toEqual({
      config: {
        bucketName: WRITABLE_BUCKET,
        region: 'us-east-1',
        s3Url: h().sb.aws.endpoint,
        s3ForcePathStyle: true,
        credentials: { credentialType: 'secret', accessKey: h().minioKey.accessKeyId, secretKey: '************' },
      },
      isDefault: false,
      type: 'minio',
    });
    expect((await locations.azure.get(result.azure.uid)).spec).toEqual({
      config: {
        containerName: 'velero',
        storageName: 'acmebackups',
        resourceGroup: 'acme-rg',
        sku: 'Standard_LRS',
        credentials: { clientCloud: 'public', tenantId: AZURE.tenantId, clientId: AZURE.clientId, clientSecret: '************', subscriptionId: AZURE.subscriptionId },
      },
      isDefault: false,
      type: 'azure',
    });
    // The stored secrets are the real ones (the emulator's state lists which secret fields are set).
    const state = JSON.stringify(h().sb.palette.inspect());
    expect(state).toContain('jsonCredentials');
    expect(state).not.toContain(AZURE.clientSecret);
  });

  it('the MinIO probe leaves nothing behind in the bucket', async () => {
    // Prepare
    const t = await newTenant();
    // Act
    await ensure('minioBackupLocation', planFor(t.id, { backupLocations: { minio: minio(t) } }));
    // Assess
    const s3 = new S3Client({ endpoint: h().sb.aws.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: h().minioKey });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: WRITABLE_BUCKET }));
    s3.destroy();
    expect(listed.KeyCount ?? 0).toBe(0);
  });

  it("a probe left behind by a Lambda that died after its PutObject is removed by the retry's probe (same key)", async () => {
    // Prepare: the bucket holds the probe object of this tenant's location, as a crash right after PutObject leaves it.
    const t = await newTenant();
    const s3 = new S3Client({ endpoint: h().sb.aws.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: h().minioKey });
    await s3.send(new PutObjectCommand({ Bucket: WRITABLE_BUCKET, Key: minioProbeKey(t.id, `${t.id}-minio`), Body: 'palette-onboarding backup location probe' }));
    // Act
    await ensure('minioBackupLocation', planFor(t.id, { backupLocations: { minio: minio(t) } }));
    // Assess
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: WRITABLE_BUCKET }));
    s3.destroy();
    expect(listed.KeyCount ?? 0).toBe(0);
  });

  it('a re-run validates nothing and writes nothing', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { backupLocations: { gcp: gcp(t), minio: minio(t), azure: azure(t) } });
    for (const k of ['gcpBackupLocation', 'minioBackupLocation', 'azureBackupLocation'] as const) await ensure(k, plan);
    const again = rerun(plan);
    const m = mark();
    // Act
    const results = [
      await ensure('gcpBackupLocation', again),
      await ensure('minioBackupLocation', again),
      await ensure('azureBackupLocation', again),
    ];
    // Assess
    expect(results.map((r) => [r.created, r.updated])).toEqual([
      [false, false],
      [false, false],
      [false, false],
    ]);
    expect(writesSince(m)).toEqual([]);
  });

  it('MinIO drift is corrected after the probe; useRestic (not ours) is kept', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { backupLocations: { minio: minio(t) } });
    const first = await ensure('minioBackupLocation', plan);
    const l = h().palette.backupLocations.minio;
    const current = await l.get(first.uid);
    const config = current.spec?.config;
    if (!config) throw new Error('no config');
    await l.update(first.uid, { metadata: { name: first.name, annotations: current.metadata?.annotations ?? {} }, spec: { config: { ...config, region: 'eu-west-1', useRestic: false }, isDefault: false } });
    const m = mark();
    // Act
    const result = await ensure('minioBackupLocation', rerun(plan));
    // Assess
    expect(result).toEqual({ ...first, created: false, updated: true });
    expect(writesSince(m)).toEqual(['PUT /v1/users/assets/locations/minio/{uid} 204']);
    expect((await l.get(first.uid)).spec?.config).toMatchObject({ region: 'us-east-1', useRestic: false });
  });

  it('Azure: a sku the request gives is restored; a sku the request leaves out is not managed (kept)', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { backupLocations: { azure: azure(t) } });
    const first = await ensure('azureBackupLocation', plan);
    const l = h().palette.backupLocations.azure;
    const current = await l.get(first.uid);
    const config = current.spec?.config;
    if (!config) throw new Error('no config');
    await l.update(first.uid, { metadata: { name: first.name, annotations: current.metadata?.annotations ?? {} }, spec: { config: { ...config, sku: 'Premium_LRS' }, isDefault: false } });
    const withoutSku = planFor(t.id, { backupLocations: { azure: azure(t, { sku: undefined }) } });
    const m = mark();
    // Act
    const untouched = await ensure('azureBackupLocation', withoutSku);
    const restored = await ensure('azureBackupLocation', rerun(plan));
    // Assess
    expect(untouched).toEqual({ ...first, created: false, updated: false });
    expect(restored).toEqual({ ...first, created: false, updated: true });
    expect(writesSince(m)).toEqual(['POST /v1/clouds/azure/account/validate 204', 'PUT /v1/users/assets/locations/azure/{uid} 204']);
    expect((await l.get(first.uid)).spec?.config.sku).toBe('Standard_LRS');
  });

  it('a rotated MinIO access key (new key id in the secret) is pushed to Palette', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { backupLocations: { minio: minio(t) } });
    const first = await ensure('minioBackupLocation', plan);
    const key = (await h().minioIam.send(new CreateAccessKeyCommand({ UserName: 'velero' }))).AccessKey;
    if (!key?.AccessKeyId || !key.SecretAccessKey) throw new Error('no access key');
    secretValues.push(key.SecretAccessKey);
    await putSecret(t.minioSecretArn, { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey });
    // Act
    const result = await ensure('minioBackupLocation', rerun(plan));
    // Assess
    expect(result).toEqual({ ...first, created: false, updated: true });
    expect((await h().palette.backupLocations.minio.get(first.uid)).spec?.config.credentials.accessKey).toBe(key.AccessKeyId);
    await h().minioIam.send(new DeleteAccessKeyCommand({ UserName: 'velero', AccessKeyId: key.AccessKeyId }));
  });
});

describe('bad input creates nothing', () => {
  it('a MinIO bucket the keys cannot write fails naming s3:PutObject and the endpoint, never the keys', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { backupLocations: { minio: minio(t, { bucket: READONLY_BUCKET }) } });
    const m = mark();
    // Act
    const error = await failure(ensure('minioBackupLocation', plan));
    // Assess
    expect(error).toBeInstanceOf(MinioValidationError);
    expect(error.name).toBe('MinioValidationError');
    expect(error.message).toContain(`s3:PutObject denied on bucket '${READONLY_BUCKET}' at ${h().sb.aws.endpoint}: AccessDenied`);
    expectNoSecrets(error);
    expect(callsSince(m)).toEqual(['GET /v1/users/assets/locations 200']);
    expect(await h().palette.backupLocations.findByName(`${t.id}-minio`)).toBeUndefined();
  });

  it('a MinIO bucket that does not exist fails naming the bucket check', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { backupLocations: { minio: minio(t, { bucket: 'acme-no-such-bucket' }) } });
    // Act
    const error = await failure(ensure('minioBackupLocation', plan));
    // Assess
    expect(error).toBeInstanceOf(MinioValidationError);
    expect(error.message).toMatch(/s3:ListBucket \(HeadBucket\) (failed|denied) on bucket 'acme-no-such-bucket' at /);
    expect(await h().palette.backupLocations.findByName(`${t.id}-minio`)).toBeUndefined();
  });

  it('an unreachable MinIO endpoint fails naming the endpoint', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { backupLocations: { minio: minio(t, { s3Url: 'http://127.0.0.1:1' }) } });
    // Act
    const error = await failure(ensure('minioBackupLocation', plan));
    // Assess
    expect(error).toBeInstanceOf(MinioValidationError);
    expect(error.message).toContain(`s3:ListBucket (HeadBucket) failed on bucket '${WRITABLE_BUCKET}' at http://127.0.0.1:1: ECONNREFUSED`);
    expect(await h().palette.backupLocations.findByName(`${t.id}-minio`)).toBeUndefined();
  });

  it('a MinIO secret without the key fields is a ConfigurationError naming the fields', async () => {
    // Prepare
    const t = await newTenant();
    const arn = await createSecret(`palette-onboarding-credentials/${t.id}/minio-bad`, { accessKey: h().minioKey.accessKeyId });
    const plan = planFor(t.id, { backupLocations: { minio: minio(t, { credentialsSecretArn: arn }) } });
    // Act
    const error = await failure(ensure('minioBackupLocation', plan));
    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain('accessKeyId, secretAccessKey');
    expectNoSecrets(error);
  });

  it('a GCP secret missing fields, not JSON, or not a service account fails clearly before any Palette call', async () => {
    // Prepare
    const t = await newTenant();
    const doc = JSON.parse(gcpKeyDocument()) as Record<string, unknown>;
    delete doc.private_key;
    delete doc.client_email;
    const missing = await createSecret(`palette-onboarding-credentials/${t.id}/gcp-missing`, doc);
    const notJson = await createSecret(`palette-onboarding-credentials/${t.id}/gcp-not-json`, '{not json');
    const wrongType = await createSecret(`palette-onboarding-credentials/${t.id}/gcp-wrong-type`, gcpKeyDocument({ type: 'authorized_user' }));
    const planWith = (arn: string) => planFor(t.id, { backupLocations: { gcp: gcp(t, { credentialsSecretArn: arn }) } });
    const m = mark();
    // Act
    const errors = [
      await failure(ensure('gcpBackupLocation', planWith(missing))),
      await failure(ensure('gcpBackupLocation', planWith(notJson))),
      await failure(ensure('gcpBackupLocation', planWith(wrongType))),
    ];
    // Assess
    for (const e of errors) expect(e).toBeInstanceOf(ConfigurationError);
    expect(errors.map((e) => e.message)).toEqual([
      `GCP credentials secret ${missing} is not a service account key: missing "private_key", "client_email"`,
      `GCP credentials secret ${notJson} is not valid JSON (expected a service account key file)`,
      `GCP credentials secret ${wrongType} is not a service account key: "type" must be "service_account"`,
    ]);
    for (const e of errors) expectNoSecrets(e);
    expect(errors[0]?.message).not.toContain('acme-backups.iam');
    expect(callsSince(m)).toEqual([]);
  });

  it("a GCP bucket name Palette rejects fails at Palette's validate, before creating", async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { backupLocations: { gcp: gcp(t, { bucket: 'goog-reserved' }) } });
    const m = mark();
    // Act
    const error = await failure(ensure('gcpBackupLocation', plan));
    // Assess
    expect(error.name).toBe('PaletteValidationError');
    expectNoSecrets(error);
    expect(callsSince(m)).toEqual(['GET /v1/users/assets/locations 200', 'POST /v1/clouds/gcp/bucketname/validate 400']);
  });

  it("Azure credentials Palette rejects fail at Palette's account validate, before creating", async () => {
    // Prepare
    const t = await newTenant();
    const arn = await createSecret(`palette-onboarding-credentials/${t.id}/azure-bad`, { tenantId: 'not-a-guid', clientId: AZURE.clientId, clientSecret: AZURE.clientSecret });
    const plan = planFor(t.id, { backupLocations: { azure: azure(t, { credentialsSecretArn: arn }) } });
    const m = mark();
    // Act
    const error = await failure(ensure('azureBackupLocation', plan));
    // Assess
    expect(error.name).toBe('PaletteValidationError');
    expect(error.message).toContain('tenantId');
    expectNoSecrets(error);
    expect(callsSince(m)).toEqual(['GET /v1/users/assets/locations 200', 'POST /v1/clouds/azure/account/validate 400']);
  });
});

/**
 * An HTTPS front to the sandbox (like a MinIO server with a private CA): TLS with a server certificate for
 * 127.0.0.1 signed by a fresh test CA, requests forwarded unchanged (the SigV4 Host header included).
 */
async function startTlsFront(target: string): Promise<{ url: string; caPem: string; close(): Promise<void> }> {
  const ca = await createCa({ name: 'Test MinIO CA' });
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    subject: 'CN=127.0.0.1',
    issuer: ca.cert.subject,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: alg,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 86_400_000),
    extensions: [
      new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }]),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    ],
  });
  const upstream = new URL(target);
  const server: HttpsServer = createHttpsServer({ key: await privateKeyPem(keys), cert: cert.toString('pem') }, (req, res) => {
    const fwd = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `https://127.0.0.1:${port}`, caPem: ca.certPem, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('MinIO over HTTPS with a private CA', () => {
  it('without caCert the TLS check fails; with the CA certificate it is probed and stored', async () => {
    // Prepare
    const front = await startTlsFront(h().sb.aws.endpoint);
    const t = await newTenant();
    try {
      const untrusted = planFor(t.id, { backupLocations: { minio: minio(t, { s3Url: front.url }) } });
      const trusted = planFor(t.id, { backupLocations: { minio: minio(t, { s3Url: front.url, caCert: front.caPem }) } });
      // Act
      const error = await failure(ensure('minioBackupLocation', untrusted));
      const created = await ensure('minioBackupLocation', trusted);
      const again = await ensure('minioBackupLocation', rerun(trusted));
      const undone = await undo(trusted, 'minioBackupLocation');
      // Assess
      expect(error).toBeInstanceOf(MinioValidationError);
      expect(error.message).toMatch(/s3:ListBucket \(HeadBucket\) failed on bucket 'acme-minio-backups' at https:\/\/127\.0\.0\.1:\d+: UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
      expect(created).toMatchObject({ name: `${t.id}-minio`, created: true });
      expect(again).toEqual({ ...created, created: false });
      expect(undone.deleted).toEqual([`palette:backup-location/${created.uid}`]);
    } finally {
      await front.close();
    }
  });
});

describe('isDefault, project scope, US Government', () => {
  it('a default GCP location is the scope default; moving the default away is corrected with setDefault', async () => {
    // Prepare: project scope, so no other test's default is involved.
    const t = await newTenant();
    const projectUid = h().sb.palette.projectUid;
    const sections = { backupLocations: { gcp: gcp(t, { isDefault: true }), minio: minio(t), azure: azure(t, { cloud: 'AzureUSGovernmentCloud' }) } };
    const plan = planFor(t.id, sections, { projectUid });
    const r = {
      gcp: await ensure('gcpBackupLocation', plan),
      minio: await ensure('minioBackupLocation', plan),
      azure: await ensure('azureBackupLocation', plan),
    };
    const scope = scopeOf(projectUid);
    const defaultsAfterCreate = (await scope.backupLocations.list()).filter((l) => l.spec?.isDefault).map((l) => l.metadata?.name);
    await scope.backupLocations.setDefault('minio', r.minio.uid);
    const again = rerun(plan);
    const m = mark();
    // Act
    const results = {
      gcp: await ensure('gcpBackupLocation', again),
      minio: await ensure('minioBackupLocation', again),
      azure: await ensure('azureBackupLocation', again),
    };
    // Assess
    expect(defaultsAfterCreate).toEqual([`${t.id}-gcs`]);
    expect((await scope.backupLocations.azure.get(r.azure.uid)).spec?.config.credentials.clientCloud).toBe('azure-government');
    expect(results.gcp).toEqual({ ...r.gcp, created: false, updated: true });
    // Making GCP the default cleared MinIO's flag (one default per scope), so MinIO needs no update.
    expect(results.minio).toEqual({ ...r.minio, created: false, updated: false });
    expect(results.azure).toEqual({ ...r.azure, created: false, updated: false });
    expect(writesSince(m)).toEqual([
      'POST /v1/clouds/gcp/bucketname/validate 204',
      'PUT /v1/users/assets/locations/gcp/{uid} 204',
      'PATCH /v1/users/assets/locations/gcp/{uid}/default 204',
    ]);
    expect((await scope.backupLocations.list()).filter((l) => l.spec?.isDefault).map((l) => l.metadata?.name)).toEqual([`${t.id}-gcs`]);
    expect((await undo(plan)).deleted).toHaveLength(3);
    expect(await scope.backupLocations.list()).toEqual([]);
  });
});
