/**
 * GCP, MinIO and Azure backup locations (lambdas/services/onboarding/backup-locations-extra.ts) against the
 * in-process AWS sandbox and the Palette emulator (strict: undeclared request fields are rejected). The MinIO
 * endpoint is the AWS sandbox itself: a bucket in a member account, reached with an IAM user's static keys.
 */
import './platform/reflect-polyfill';
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import * as x509 from '@peculiar/x509';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { CREATED_BY_TAG } from '../../lambdas/domain/names';
import { buildPlan } from '../../lambdas/domain/plan';
import type { Plan } from '../../lambdas/domain/workflow-state';
import { handler as gcpHandler } from '../../lambdas/handlers/ensure-gcp-backup-location';
import { handler as minioHandler } from '../../lambdas/handlers/ensure-minio-backup-location';
import { handler as azureHandler } from '../../lambdas/handlers/ensure-azure-backup-location';
import {
  ensureAzureBackupLocation,
  ensureGcpBackupLocation,
  ensureMinioBackupLocation,
  undoExtraBackupLocations,
} from '../../lambdas/services/onboarding/backup-locations-extra';
import { PaletteClient } from '../../lambdas/services/palette';
import { ConfigurationError, MinioValidationError, StateInputError } from '../../lambdas/shared/errors';
import { logger } from '../../lambdas/shared/logger';
import { createCa, privateKeyPem } from './platform/certs';

const MINIO_ACCOUNT = '141414141414';
const TENANT = 'acme';
const WRITABLE_BUCKET = 'acme-minio-backups';
const READONLY_BUCKET = 'acme-minio-readonly';
const AZURE = {
  tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  clientId: '1b730954-1685-4b74-9bfd-dac224a7b894',
  clientSecret: 'Az~cl1ent.S3cret-value-never-shown',
  subscriptionId: '3f2c6a1e-8d4b-4c1f-9a7e-5b6d0c2e1f30',
};

let sb: RunningLocalSandbox;
let sm: SecretsManagerClient;
let palette: PaletteClient;
let minioIam: IAMClient;
const secrets: Record<string, string> = {};
let minioKey: { accessKeyId: string; secretAccessKey: string };
let gcpPrivateKey: string;

async function putSecret(name: string, value: unknown): Promise<string> {
  const SecretString = typeof value === 'string' ? value : JSON.stringify(value);
  if (secrets[name]) {
    await sm.send(new PutSecretValueCommand({ SecretId: secrets[name], SecretString }));
    return secrets[name];
  }
  // The request accepts only the tenant's own secrets: palette-onboarding/<tenantId>/<name>.
  const arn = (await sm.send(new CreateSecretCommand({ Name: `palette-onboarding/${TENANT}/${name}`, SecretString }))).ARN ?? '';
  secrets[name] = arn;
  return arn;
}

function gcpKey(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: 'service_account',
    project_id: 'acme-backups',
    private_key_id: 'a1b2c3d4e5',
    private_key: gcpPrivateKey,
    client_email: 'velero@acme-backups.iam.gserviceaccount.com',
    client_id: '109876543210987654321',
    ...overrides,
  });
}

interface Parts {
  gcp?: Record<string, unknown> | false;
  minio?: Record<string, unknown> | false;
  azure?: Record<string, unknown> | false;
  projectUid?: string;
}

/** A plan for execution `exec` with the three locations (each overridable or left out with `false`). */
function plan(exec: string, parts: Parts = {}): Plan {
  const backupLocations: Record<string, unknown> = {};
  if (parts.gcp !== false) {
    backupLocations.gcp = { bucket: 'acme-velero-gcs', projectId: 'acme-backups', credentialsSecretArn: secrets.gcp, ...parts.gcp };
  }
  if (parts.minio !== false) {
    backupLocations.minio = {
      bucket: WRITABLE_BUCKET,
      s3Url: sb.aws.endpoint,
      credentialsSecretArn: secrets.minio,
      ...parts.minio,
    };
  }
  if (parts.azure !== false) {
    backupLocations.azure = {
      container: 'velero',
      storageAccount: 'acmebackups',
      resourceGroup: 'acme-rg',
      sku: 'Standard_LRS',
      subscriptionId: AZURE.subscriptionId,
      credentialsSecretArn: secrets.azure,
      ...parts.azure,
    };
  }
  const request = {
    tenantId: TENANT,
    aws: { accountId: sb.aws.accountId, region: 'us-east-1', credentialMode: 'sts' },
    backupLocations,
    ...(parts.projectUid ? { palette: { projectUid: parts.projectUid } } : {}),
  };
  return buildPlan(request, {
    homeAccountId: sb.aws.accountId,
    defaultApiKeySecretArn: secrets.paletteApiKey,
    defaultReadinessSeconds: 120,
    executionName: exec,
  }).plan;
}

const ensureAll = async (p: Plan) => ({
  gcp: await ensureGcpBackupLocation(p),
  minio: await ensureMinioBackupLocation(p),
  azure: await ensureAzureBackupLocation(p),
});

const scopeOf = (p: Plan) => (p.projectUid ? palette.project(p.projectUid) : palette);

/** Palette API calls (login excluded) since `mark`. */
const callsSince = (mark: number) =>
  sb.palette
    .requests()
    .slice(mark)
    .filter((r) => r.path.startsWith('/v1/'))
    .map((r) => `${r.method} ${r.path.replace(/\/[0-9a-f]{24}(?=\/|$)/g, '/{uid}')} ${r.status}`);
const mark = () => sb.palette.requests().length;

/** Everything each test shows to the caller must be free of secret values. */
function expectNoSecrets(value: unknown): void {
  const text = JSON.stringify(value) + (value instanceof Error ? `${value.message} ${String(value.stack)}` : '');
  for (const s of [minioKey.secretAccessKey, minioKey.accessKeyId, AZURE.clientSecret, gcpPrivateKey]) {
    expect(text).not.toContain(s);
  }
}

beforeAll(async () => {
  sb = await startLocalSandbox({
    aws: { port: 0, realism: { iamPropagationMs: 0 } },
    palette: { port: 0, rateLimit: false, rejectUnknownFields: true },
    env: {},
  });
  const root = { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey };
  const base = { endpoint: sb.aws.endpoint, region: sb.aws.region };
  sm = new SecretsManagerClient({ ...base, credentials: root });
  palette = new PaletteClient({ baseUrl: sb.palette.endpoint, auth: { type: 'apiKey', apiKey: sb.palette.apiKey }, rateLimit: false });
  gcpPrivateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  await putSecret('paletteApiKey', { apiKey: sb.palette.apiKey });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: sb.aws.endpoint,
    AWS_REGION: sb.aws.region,
    AWS_ACCESS_KEY_ID: root.accessKeyId,
    AWS_SECRET_ACCESS_KEY: root.secretAccessKey,
    PALETTE_ENDPOINT: sb.palette.endpoint,
    PALETTE_API_KEY_SECRET_ARN: secrets.paletteApiKey,
    HOME_ACCOUNT_ID: sb.aws.accountId,
  });
  logger.setLogLevel('SILENT');

  // The "MinIO" side: a member account with two buckets and an IAM user that may write only the first.
  await fetch(`${sb.aws.endpoint}/_sandbox/accounts`, { method: 'POST', body: JSON.stringify({ accountId: MINIO_ACCOUNT }) });
  const assumed = await new STSClient({ ...base, credentials: root }).send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${MINIO_ACCOUNT}:role/OrganizationAccountAccessRole`, RoleSessionName: 'operator' }),
  );
  const c = assumed.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('no operator credentials');
  const admin = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  const s3 = new S3Client({ ...base, credentials: admin, forcePathStyle: true });
  minioIam = new IAMClient({ ...base, credentials: admin });
  for (const Bucket of [WRITABLE_BUCKET, READONLY_BUCKET]) await s3.send(new CreateBucketCommand({ Bucket }));
  await minioIam.send(new CreateUserCommand({ UserName: 'velero' }));
  await minioIam.send(
    new PutUserPolicyCommand({
      UserName: 'velero',
      PolicyName: 'backups',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 's3:ListBucket', Resource: [`arn:aws:s3:::${WRITABLE_BUCKET}`, `arn:aws:s3:::${READONLY_BUCKET}`] },
          { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: `arn:aws:s3:::${WRITABLE_BUCKET}/*` },
          { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${READONLY_BUCKET}/*` },
        ],
      }),
    }),
  );
  const key = (await minioIam.send(new CreateAccessKeyCommand({ UserName: 'velero' }))).AccessKey;
  if (!key?.AccessKeyId || !key.SecretAccessKey) throw new Error('no access key');
  minioKey = { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
  s3.destroy();

  await putSecret('gcp', gcpKey());
  await putSecret('minio', minioKey);
  await putSecret('azure', { tenantId: AZURE.tenantId, clientId: AZURE.clientId, clientSecret: AZURE.clientSecret });
}, 60_000);

afterAll(async () => {
  await sb?.stop();
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
    const fwd = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caPem: ca.certPem,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('create, re-run, drift', () => {
  let first: Awaited<ReturnType<typeof ensureAll>>;

  it('creates the three locations with the plan annotations and validates each before creating', async () => {
    const m = mark();
    first = await ensureAll(plan('exec-1'));
    expect(first).toEqual({
      gcp: { uid: expect.any(String), name: 'acme-gcs', created: true, updated: false },
      minio: { uid: expect.any(String), name: 'acme-minio', created: true, updated: false },
      azure: { uid: expect.any(String), name: 'acme-azure-blob', created: true, updated: false },
    });
    expectNoSecrets(first);
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

    const gcp = await palette.backupLocations.gcp.get(first.gcp.uid);
    expect(gcp.metadata?.annotations).toMatchObject({ [CREATED_BY_TAG]: 'exec-1', 'palette-onboarding/tenant': TENANT });
    expect(gcp.spec).toEqual({
      config: { bucketName: 'acme-velero-gcs', projectId: 'acme-backups', credentials: { jsonCredentials: '************' } },
      isDefault: false,
      type: 'gcp',
    });
    const minio = await palette.backupLocations.minio.get(first.minio.uid);
    expect(minio.metadata?.annotations?.[CREATED_BY_TAG]).toBe('exec-1');
    expect(minio.spec).toEqual({
      config: {
        bucketName: WRITABLE_BUCKET,
        region: 'us-east-1',
        s3Url: sb.aws.endpoint,
        s3ForcePathStyle: true,
        credentials: { credentialType: 'secret', accessKey: minioKey.accessKeyId, secretKey: '************' },
      },
      isDefault: false,
      type: 'minio',
    });
    const azure = await palette.backupLocations.azure.get(first.azure.uid);
    expect(azure.metadata?.annotations?.[CREATED_BY_TAG]).toBe('exec-1');
    expect(azure.spec).toEqual({
      config: {
        containerName: 'velero',
        storageName: 'acmebackups',
        resourceGroup: 'acme-rg',
        sku: 'Standard_LRS',
        credentials: {
          clientCloud: 'public',
          tenantId: AZURE.tenantId,
          clientId: AZURE.clientId,
          clientSecret: '************',
          subscriptionId: AZURE.subscriptionId,
        },
      },
      isDefault: false,
      type: 'azure',
    });

    // The stored secrets are the real ones (the emulator's state lists which secret fields are set).
    const state = JSON.stringify(sb.palette.inspect());
    expect(state).toContain('jsonCredentials');
    expect(state).not.toContain(AZURE.clientSecret);
  });

  it('the MinIO probe leaves nothing behind in the bucket', async () => {
    const s3 = new S3Client({
      endpoint: sb.aws.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: minioKey,
    });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: WRITABLE_BUCKET }));
    s3.destroy();
    expect(listed.KeyCount ?? 0).toBe(0);
  });

  it('a re-run by another execution creates nothing, changes nothing and validates nothing', async () => {
    const m = mark();
    const again = await ensureAll(plan('exec-2'));
    expect(again).toEqual({
      gcp: { ...first.gcp, created: false },
      minio: { ...first.minio, created: false },
      azure: { ...first.azure, created: false },
    });
    expect(callsSince(m).filter((c) => !c.startsWith('GET '))).toEqual([]);
    const gcp = await palette.backupLocations.gcp.get(first.gcp.uid);
    expect(gcp.metadata?.annotations?.[CREATED_BY_TAG]).toBe('exec-1');
  });

  it('drift is corrected (validated first), secrets kept, created-by never rewritten', async () => {
    const gcp = await palette.backupLocations.gcp.get(first.gcp.uid);
    await palette.backupLocations.gcp.update(first.gcp.uid, {
      metadata: { name: 'acme-gcs', annotations: { ...gcp.metadata?.annotations, owner: 'ops' } },
      spec: { config: { bucketName: 'someone-elses-bucket', projectId: 'other-project', credentials: { jsonCredentials: '************' } } },
    });
    const minio = await palette.backupLocations.minio.get(first.minio.uid);
    const minioConfig = minio.spec?.config;
    if (!minioConfig) throw new Error('no config');
    await palette.backupLocations.minio.update(first.minio.uid, {
      metadata: { name: 'acme-minio', annotations: minio.metadata?.annotations ?? {} },
      spec: { config: { ...minioConfig, region: 'eu-west-1', useRestic: false }, isDefault: false },
    });
    const azure = await palette.backupLocations.azure.get(first.azure.uid);
    const azureConfig = azure.spec?.config;
    if (!azureConfig) throw new Error('no config');
    await palette.backupLocations.azure.update(first.azure.uid, {
      metadata: { name: 'acme-azure-blob', annotations: {} },
      spec: { config: { ...azureConfig, resourceGroup: 'moved-rg', sku: undefined }, isDefault: false },
    });

    const m = mark();
    const result = await ensureAll(plan('exec-3'));
    expect(result).toEqual({
      gcp: { ...first.gcp, created: false, updated: true },
      minio: { ...first.minio, created: false, updated: true },
      azure: { ...first.azure, created: false, updated: true },
    });
    expect(callsSince(m).filter((c) => !c.startsWith('GET '))).toEqual([
      'POST /v1/clouds/gcp/bucketname/validate 204',
      'PUT /v1/users/assets/locations/gcp/{uid} 204',
      'PUT /v1/users/assets/locations/minio/{uid} 204',
      'POST /v1/clouds/azure/account/validate 204',
      'PUT /v1/users/assets/locations/azure/{uid} 204',
    ]);

    const g = await palette.backupLocations.gcp.get(first.gcp.uid);
    expect(g.spec?.config).toEqual({ bucketName: 'acme-velero-gcs', projectId: 'acme-backups', credentials: { jsonCredentials: '************' } });
    // Other annotations are kept; created-by stays the creating execution's.
    expect(g.metadata?.annotations).toMatchObject({ owner: 'ops', [CREATED_BY_TAG]: 'exec-1' });
    const mi = await palette.backupLocations.minio.get(first.minio.uid);
    expect(mi.spec?.config).toMatchObject({ region: 'us-east-1', useRestic: false });
    const a = await palette.backupLocations.azure.get(first.azure.uid);
    expect(a.spec?.config).toMatchObject({ resourceGroup: 'acme-rg', sku: 'Standard_LRS' });
    // Its created-by annotation was removed by hand: the location is now treated as adopted, never re-stamped.
    expect(a.metadata?.annotations?.[CREATED_BY_TAG]).toBeUndefined();
    expect(a.metadata?.annotations?.['palette-onboarding/tenant']).toBe(TENANT);
    expectNoSecrets(result);
  });

  it('a rotated MinIO access key (new key id in the secret) is pushed to Palette', async () => {
    const key = (await minioIam.send(new CreateAccessKeyCommand({ UserName: 'velero' }))).AccessKey;
    if (!key?.AccessKeyId || !key.SecretAccessKey) throw new Error('no access key');
    const old = minioKey;
    minioKey = { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
    await putSecret('minio', minioKey);
    await minioIam.send(new DeleteAccessKeyCommand({ UserName: 'velero', AccessKeyId: old.accessKeyId }));
    const result = await ensureMinioBackupLocation(plan('exec-4'));
    expect(result).toEqual({ ...first.minio, created: false, updated: true });
    const mi = await palette.backupLocations.minio.get(first.minio.uid);
    expect(mi.spec?.config.credentials.accessKey).toBe(minioKey.accessKeyId);
  });
});

describe('bad input creates nothing', () => {
  it('a MinIO bucket the keys cannot write fails naming s3:PutObject and the endpoint, never the keys', async () => {
    const m = mark();
    const p = plan('exec-ro', { gcp: false, azure: false, minio: { name: 'acme-minio-ro', bucket: READONLY_BUCKET } });
    const error = await ensureMinioBackupLocation(p).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MinioValidationError);
    expect((error as Error).name).toBe('MinioValidationError');
    expect((error as Error).message).toContain(`s3:PutObject denied on bucket '${READONLY_BUCKET}' at ${sb.aws.endpoint}: AccessDenied`);
    expectNoSecrets(error);
    expect(callsSince(m)).toEqual(['GET /v1/users/assets/locations 200']);
    expect(await palette.backupLocations.findByName('acme-minio-ro')).toBeUndefined();
  });

  it('a MinIO bucket that does not exist fails naming the bucket check', async () => {
    const p = plan('exec-nb', { gcp: false, azure: false, minio: { name: 'acme-minio-nb', bucket: 'acme-no-such-bucket' } });
    const error = await ensureMinioBackupLocation(p).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MinioValidationError);
    expect((error as Error).message).toMatch(/s3:ListBucket \(HeadBucket\) (failed|denied) on bucket 'acme-no-such-bucket' at /);
    expect(await palette.backupLocations.findByName('acme-minio-nb')).toBeUndefined();
  });

  it('an unreachable MinIO endpoint fails naming the endpoint', async () => {
    const p = plan('exec-nc', { gcp: false, azure: false, minio: { name: 'acme-minio-nc', s3Url: 'http://127.0.0.1:1' } });
    const error = await ensureMinioBackupLocation(p).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MinioValidationError);
    expect((error as Error).message).toContain("s3:ListBucket (HeadBucket) failed on bucket 'acme-minio-backups' at http://127.0.0.1:1: ECONNREFUSED");
    expect(await palette.backupLocations.findByName('acme-minio-nc')).toBeUndefined();
  });

  it('a MinIO secret without the key fields is a ConfigurationError naming the fields', async () => {
    const arn = await putSecret('minio-bad', { accessKey: minioKey.accessKeyId });
    const p = plan('exec-mb', { gcp: false, azure: false, minio: { name: 'acme-minio-bad', credentialsSecretArn: arn } });
    const error = await ensureMinioBackupLocation(p).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain('accessKeyId, secretAccessKey');
    expectNoSecrets(error);
  });

  it('a GCP secret missing fields fails clearly, naming the fields and no value, before any Palette call', async () => {
    const doc = JSON.parse(gcpKey()) as Record<string, unknown>;
    delete doc.private_key;
    delete doc.client_email;
    const arn = await putSecret('gcp-bad', doc);
    const m = mark();
    const error = await ensureGcpBackupLocation(plan('exec-gb', { minio: false, azure: false, gcp: { name: 'acme-gcs-bad', credentialsSecretArn: arn } })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(`GCP credentials secret ${arn} is not a service account key: missing "private_key", "client_email"`);
    expect((error as Error).message).not.toContain('acme-backups.iam');
    expect(callsSince(m)).toEqual([]);

    await putSecret('gcp-bad', '{not json');
    const notJson = await ensureGcpBackupLocation(plan('exec-gb', { minio: false, azure: false, gcp: { name: 'acme-gcs-bad', credentialsSecretArn: arn } })).catch(
      (e: unknown) => e,
    );
    expect(notJson).toBeInstanceOf(ConfigurationError);
    expect((notJson as Error).message).toContain('is not valid JSON');

    await putSecret('gcp-bad', gcpKey({ type: 'authorized_user' }));
    const wrongType = await ensureGcpBackupLocation(plan('exec-gb', { minio: false, azure: false, gcp: { name: 'acme-gcs-bad', credentialsSecretArn: arn } })).catch(
      (e: unknown) => e,
    );
    expect((wrongType as Error).message).toContain('"type" must be "service_account"');
  });

  it("a GCP bucket name Palette rejects fails at Palette's validate, before creating", async () => {
    const m = mark();
    const error = await ensureGcpBackupLocation(plan('exec-gn', { minio: false, azure: false, gcp: { name: 'acme-gcs-bad-name', bucket: 'goog-reserved' } })).catch(
      (e: unknown) => e,
    );
    expect((error as Error).name).toBe('PaletteValidationError');
    expectNoSecrets(error);
    expect(callsSince(m)).toEqual(['GET /v1/users/assets/locations 200', 'POST /v1/clouds/gcp/bucketname/validate 400']);
  });

  it("Azure credentials Palette rejects fail at Palette's account validate, before creating", async () => {
    const arn = await putSecret('azure-bad', { tenantId: 'not-a-guid', clientId: AZURE.clientId, clientSecret: AZURE.clientSecret });
    const m = mark();
    const error = await ensureAzureBackupLocation(plan('exec-ab', { gcp: false, minio: false, azure: { name: 'acme-azure-bad', credentialsSecretArn: arn } })).catch(
      (e: unknown) => e,
    );
    expect((error as Error).name).toBe('PaletteValidationError');
    expect((error as Error).message).toContain('tenantId');
    expectNoSecrets(error);
    expect(callsSince(m)).toEqual(['GET /v1/users/assets/locations 200', 'POST /v1/clouds/azure/account/validate 400']);
  });
});

describe('MinIO over HTTPS with a private CA', () => {
  it('without caCert the TLS check fails; with the CA certificate it is probed and stored', async () => {
    const front = await startTlsFront(sb.aws.endpoint);
    try {
      const untrusted = plan('exec-tls', { gcp: false, azure: false, minio: { name: 'acme-minio-tls', s3Url: front.url } });
      const error = await ensureMinioBackupLocation(untrusted).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MinioValidationError);
      expect((error as Error).message).toMatch(/s3:ListBucket \(HeadBucket\) failed on bucket 'acme-minio-backups' at https:\/\/127\.0\.0\.1:\d+: UNABLE_TO_VERIFY_LEAF_SIGNATURE/);

      const trusted = plan('exec-tls', { gcp: false, azure: false, minio: { name: 'acme-minio-tls', s3Url: front.url, caCert: front.caPem } });
      const created = await ensureMinioBackupLocation(trusted);
      expect(created).toMatchObject({ name: 'acme-minio-tls', created: true });
      const stored = await palette.backupLocations.minio.get(created.uid);
      expect(stored.spec?.config).toMatchObject({ s3Url: front.url, caCert: front.caPem });
      expect(await ensureMinioBackupLocation(trusted)).toEqual({ ...created, created: false });
      expect((await undoExtraBackupLocations(trusted, 'exec-tls')).deleted).toEqual([`palette:backup-location/${created.uid}`]);
    } finally {
      await front.close();
    }
  });
});

describe('isDefault, project scope, US Government', () => {
  it('a default GCP location is created as the scope default; moving the default back is corrected with setDefault', async () => {
    const project = sb.palette.projectUid;
    const p = plan('exec-d1', {
      projectUid: project,
      gcp: { isDefault: true },
      azure: { cloud: 'AzureUSGovernmentCloud' },
    });
    const r = await ensureAll(p);
    const scope = scopeOf(p);
    const list = await scope.backupLocations.list();
    expect(list.filter((l) => l.spec?.isDefault).map((l) => l.metadata?.name)).toEqual(['acme-gcs']);
    expect((await scope.backupLocations.azure.get(r.azure.uid)).spec?.config.credentials.clientCloud).toBe('azure-government');
    // Tenant-scope locations of the same names are separate objects.
    expect(r.gcp.uid).not.toBe((await palette.backupLocations.findByName('acme-gcs', 'gcp'))?.metadata?.uid);

    // Someone makes the MinIO location the default; the next run makes GCP the default again.
    await scope.backupLocations.setDefault('minio', r.minio.uid);
    const m = mark();
    const again = await ensureAll(plan('exec-d2', { projectUid: project, gcp: { isDefault: true }, azure: { cloud: 'AzureUSGovernmentCloud' } }));
    expect(again.gcp).toEqual({ ...r.gcp, created: false, updated: true });
    // Making GCP the default cleared MinIO's flag (one default per scope), so MinIO needs no update.
    expect(again.minio).toEqual({ ...r.minio, created: false, updated: false });
    expect(again.azure).toEqual({ ...r.azure, created: false, updated: false });
    expect(callsSince(m).filter((c) => !c.startsWith('GET '))).toEqual([
      'POST /v1/clouds/gcp/bucketname/validate 204',
      'PUT /v1/users/assets/locations/gcp/{uid} 204',
      'PATCH /v1/users/assets/locations/gcp/{uid}/default 204',
    ]);
    const after = await scope.backupLocations.list();
    expect(after.filter((l) => l.spec?.isDefault).map((l) => l.metadata?.name)).toEqual(['acme-gcs']);

    const undo = await undoExtraBackupLocations(p, 'exec-d1');
    expect(undo.deleted).toHaveLength(3);
    expect(await scope.backupLocations.list()).toEqual([]);
  });
});

describe('compensation', () => {
  it('undo removes only what this execution created', async () => {
    // Tenant scope now holds: GCP and MinIO created by exec-1, Azure adopted (created-by removed above).
    const p = plan('exec-undo');
    const nothing = await undoExtraBackupLocations(p, 'exec-undo');
    expect(nothing.deleted).toEqual([]);
    expect(nothing.retained.map((r) => r.reason)).toEqual([
      "gcp backup location 'acme-gcs' was not created by this execution",
      "minio backup location 'acme-minio' was not created by this execution",
      "azure backup location 'acme-azure-blob' was not created by this execution",
    ]);
    const gcpUid = (await palette.backupLocations.findByName('acme-gcs', 'gcp'))?.metadata?.uid;
    const minioUid = (await palette.backupLocations.findByName('acme-minio', 'minio'))?.metadata?.uid;
    const azureUid = (await palette.backupLocations.findByName('acme-azure-blob', 'azure'))?.metadata?.uid;

    const undone = await undoExtraBackupLocations(p, 'exec-1');
    expect(undone).toEqual({
      deleted: [`palette:backup-location/${gcpUid}`, `palette:backup-location/${minioUid}`],
      retained: [{ id: `palette:backup-location/${azureUid}`, reason: "azure backup location 'acme-azure-blob' was not created by this execution" }],
    });
    expect((await palette.backupLocations.list()).map((l) => l.metadata?.name)).toEqual(['acme-azure-blob']);

    // Idempotent; a plan without the optional parts makes no Palette call at all.
    expect((await undoExtraBackupLocations(p, 'exec-1')).deleted).toEqual([]);
    const m = mark();
    expect(await undoExtraBackupLocations(plan('exec-x', { gcp: false, minio: false, azure: false }), 'exec-x')).toEqual({ deleted: [], retained: [] });
    expect(callsSince(m)).toEqual([]);
  });
});

describe('handlers', () => {
  const state = (p: Plan) => ({ execution: { name: 'exec-h' }, job: { plan: p, request: {} }, other: { kept: true } });

  it('return the RegistrationResult of their service', async () => {
    const p = plan('exec-h');
    const results = [await gcpHandler(state(p)), await minioHandler(state(p)), await azureHandler(state(p))];
    expect(results.map((r) => [r.name, r.created])).toEqual([
      ['acme-gcs', true],
      ['acme-minio', true],
      ['acme-azure-blob', false],
    ]);
    expectNoSecrets(results);
    await undoExtraBackupLocations(p, 'exec-h');
  });

  it('throw StateInputError when the plan has no such part or the state breaks the contract', async () => {
    const p = plan('exec-h', { gcp: false, minio: false, azure: false });
    for (const h of [gcpHandler, minioHandler, azureHandler]) {
      const e = await h(state(p)).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(StateInputError);
      expect((e as Error).message).toMatch(/the plan has no (GCP|MinIO|Azure) backup location/);
    }
    expect(await gcpHandler({ job: {} }).catch((x: unknown) => (x as Error).name)).toBe('StateInputError');
  });
});

describe('the emulator (official spec, undeclared fields rejected)', () => {
  it('accepted every request except the validate calls the bad-input tests expected to fail', () => {
    const rejected = sb.palette
      .requests()
      .filter((r) => r.status >= 400)
      .map((r) => `${r.method} ${r.path} ${r.status} ${r.code ?? ''}`.trim());
    expect(rejected).toEqual([
      'POST /v1/clouds/gcp/bucketname/validate 400 GcpValidationFailed',
      'POST /v1/clouds/azure/account/validate 400 AzureValidationFailed',
    ]);
  });
});
