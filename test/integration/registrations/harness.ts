/**
 * What the registration tests share: the in-process AWS sandbox (Secrets Manager; a member account whose S3 is
 * the "MinIO" endpoint) and the Palette emulator (strict: undeclared request fields are rejected, every response
 * spec-checked), real SDK clients and the real Palette client. Each test makes its own tenant (its own names,
 * secrets and registry record), so tests do not depend on each other.
 *
 * The tenant registry is the in-memory fake (fake-registry.ts): every test file mocks the real module with it.
 */
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { JOB_SESSION_TAG, SECRET_JOB_NAMES, SECRET_JOBS, TENANT_POLICY_VARIABLE, jobSecretNames } from '../../../lambdas/domain/secret-access';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, expect, vi } from 'vitest';
import { paletteFetch } from '../../../local/palette/http';
import { startLocalSandbox, type RunningLocalSandbox } from '../../../local/sandbox';
import { CREATED_BY_TAG, MANAGED_BY_TAG, TENANT_TAG } from '../../../lambdas/domain/names';
import { buildPlan } from '../../../lambdas/domain/plan';
import { awsPlan } from '../../aws-plan';
import type { RegistrationKey } from '../../../lambdas/domain/registrations';
import { opensshRsaPublicKey } from '../../../lambdas/domain/ssh';
import { hasAwsPart, type AwsPlan, type PaletteIdentity, type Plan, type PrincipalResult } from '../../../lambdas/domain/workflow-state';
import { resetEnvCache } from '../../../lambdas/shared/env';
import { PaletteClient } from '../../../lambdas/services/palette';
import {
  ensureRegistration,
  undoAllRegistrations,
  undoRegistration,
  type RegistrationOutcome,
} from '../../../lambdas/services/registrations';
import { registry } from './fake-registry';

export { CREATED_BY_TAG, MANAGED_BY_TAG, TENANT_TAG };
/** This deployment's id (the managed-by mark). */
export const DEPLOYMENT = 'deploy-a';
export const TARGET_ACCOUNT = '111111111111';
export const MINIO_ACCOUNT = '141414141414';
export const WRITABLE_BUCKET = 'acme-minio-backups';
export const READONLY_BUCKET = 'acme-minio-readonly';
export const AZURE = {
  tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  clientId: '1b730954-1685-4b74-9bfd-dac224a7b894',
  clientSecret: 'Az~cl1ent.S3cret-value-never-shown',
  subscriptionId: '3f2c6a1e-8d4b-4c1f-9a7e-5b6d0c2e1f30',
};

/** An OpenSSH RSA public key line (small keys: fast, and the emulator only checks the format). */
export const newPublicKey = (comment?: string) =>
  opensshRsaPublicKey(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }) as { n: string; e: string }, comment);

/** The TenantSecretsAccess role in the sandbox's home account (trusting the home account, whose root key runs the services). */
async function createTenantSecretsRole(iam: IAMClient, region: string, account: string): Promise<string> {
  const statements = SECRET_JOB_NAMES.map((job) => ({
    Sid: SECRET_JOBS[job].sid,
    Effect: 'Allow',
    Action: [...SECRET_JOBS[job].actions],
    Resource: jobSecretNames(job, TENANT_POLICY_VARIABLE).map((name) => `arn:aws:secretsmanager:${region}:${account}:secret:${name}`),
    Condition: { StringEquals: { [`aws:PrincipalTag/${JOB_SESSION_TAG}`]: job } },
  }));
  const trust = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: ['sts:AssumeRole', 'sts:TagSession'] }],
  };
  const out = await iam.send(new CreateRoleCommand({ RoleName: 'palette-onboarding-tenant-secrets', AssumeRolePolicyDocument: JSON.stringify(trust) }));
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: 'palette-onboarding-tenant-secrets',
      PolicyName: 'TenantSecrets',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
    }),
  );
  iam.destroy();
  return out.Role?.Arn ?? '';
}

interface Env {
  sb: RunningLocalSandbox;
  sm: SecretsManagerClient;
  palette: PaletteClient;
  paletteKeySecretArn: string;
  identity: PaletteIdentity;
  minioIam: IAMClient;
  minioKey: { accessKeyId: string; secretAccessKey: string };
  gcpPrivateKey: string;
}
let env: Env | undefined;
export const h = (): Env => {
  if (!env) throw new Error('useSandbox() was not called');
  return env;
};

/** Values that must never reach a result, a log line or an error. */
export const secretValues: string[] = [AZURE.clientSecret];
const logged: string[] = [];
export const logText = () => logged.join('');

/** Starts the sandbox for this file, sets the Lambda environment, and checks the log for secrets after each test. */
export function useSandbox(): void {
  beforeAll(async () => {
    const sb = await startLocalSandbox({
      aws: { port: 0, realism: { iamPropagationMs: 0 } },
      palette: { port: 0, rateLimit: false, rejectUnknownFields: true },
      env: {},
    });
    const root = { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey };
    const base = { endpoint: sb.aws.endpoint, region: sb.aws.region };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: sb.aws.endpoint,
      AWS_REGION: sb.aws.region,
      AWS_ACCESS_KEY_ID: root.accessKeyId,
      AWS_SECRET_ACCESS_KEY: root.secretAccessKey,
      PALETTE_ENDPOINT: sb.palette.endpoint,
      // The sandbox speaks http on 127.0.0.1 (Palette, and the MinIO stand-in): the local / testing flag.
      ALLOW_INSECURE_ENDPOINTS: 'true',
      HOME_ACCOUNT_ID: sb.aws.accountId,
      PALETTE_SELF_HOSTED: 'false',
      DEPLOYMENT_ID: DEPLOYMENT,
      TENANT_REGISTRY_TABLE: 'palette-onboarding-tenants',
    });
    // The stack's TenantSecretsAccess role, as cdk/lib/constructs/tenant-secrets-access.ts defines its policy: every
    // access to a tenant's secret goes through a session of it tagged with the tenant and the job.
    process.env.TENANT_SECRETS_ROLE_ARN = await createTenantSecretsRole(new IAMClient({ ...base, credentials: root }), sb.aws.region, sb.aws.accountId);
    const sm = new SecretsManagerClient({ ...base, credentials: root });
    const paletteKeySecretArn =
      (await sm.send(new CreateSecretCommand({ Name: 'palette-onboarding/palette-api-key', SecretString: JSON.stringify({ apiKey: sb.palette.apiKey }) })))
        .ARN ?? '';
    process.env.PALETTE_API_KEY_SECRET_ARN = paletteKeySecretArn;
    resetEnvCache();
    secretValues.push(sb.palette.apiKey);
    const palette = new PaletteClient({ baseUrl: sb.palette.endpoint, auth: { type: 'apiKey', apiKey: sb.palette.apiKey }, rateLimit: false });
    const sts = await palette.clouds.getAwsAccountSts();
    const identity: PaletteIdentity = { accountId: sts.accountId ?? '', externalId: sts.externalId ?? '', partition: 'aws' };

    // The "MinIO" side: a member account with two buckets and an IAM user that may write only the first.
    await fetch(`${sb.aws.endpoint}/_sandbox/accounts`, { method: 'POST', body: JSON.stringify({ accountId: MINIO_ACCOUNT }) });
    const assumed = await new STSClient({ ...base, credentials: root }).send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${MINIO_ACCOUNT}:role/OrganizationAccountAccessRole`, RoleSessionName: 'operator' }),
    );
    const c = assumed.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('no operator credentials');
    const admin = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
    const s3 = new S3Client({ ...base, credentials: admin, forcePathStyle: true });
    const minioIam = new IAMClient({ ...base, credentials: admin });
    for (const Bucket of [WRITABLE_BUCKET, READONLY_BUCKET]) await s3.send(new CreateBucketCommand({ Bucket }));
    s3.destroy();
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
    const minioKey = { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
    secretValues.push(minioKey.secretAccessKey);
    const gcpPrivateKey = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    secretValues.push(gcpPrivateKey.split('\n')[1] ?? 'unreachable');
    env = { sb, sm, palette, paletteKeySecretArn, identity, minioIam, minioKey, gcpPrivateKey };

    // Capture the Lambda logger's output (Powertools writes JSON lines: info to stdout, warn and error to stderr)
    // to check it for secrets.
    const capture = (chunk: string | Uint8Array) => {
      logged.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  }, 60_000);

  afterAll(async () => {
    vi.restoreAllMocks();
    await env?.sb.stop();
  });

  let testStart = 0;
  beforeEach(() => {
    testStart = mark();
  });

  afterEach(() => {
    // The emulator checks every request against the official spec (undeclared fields rejected): none was refused.
    const refused = h()
      .sb.palette.requests()
      .slice(testStart)
      .filter((r) => r.code === 'InvalidRequest' || r.status >= 500)
      .map((r) => `${r.method} ${r.path} ${r.status} ${r.code ?? ''}`);
    expect(refused, 'Palette requests the emulator refused').toEqual([]);
    const text = logText();
    for (const v of secretValues) expect(text.includes(v), 'a secret value reached the log').toBe(false);
    expect(text).not.toContain('PRIVATE KEY');
  });
}

// ------------------------------------------------------------------------------------------------ secrets

export async function createSecret(name: string, value: unknown, tags: Record<string, string> = {}): Promise<string> {
  const SecretString = typeof value === 'string' ? value : JSON.stringify(value);
  const Tags = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  return (await h().sm.send(new CreateSecretCommand({ Name: name, SecretString, ...(Tags.length ? { Tags } : {}) }))).ARN ?? '';
}
export async function putSecret(id: string, value: unknown): Promise<void> {
  await h().sm.send(new PutSecretValueCommand({ SecretId: id, SecretString: typeof value === 'string' ? value : JSON.stringify(value) }));
}
export async function tagSecret(id: string, tags: Record<string, string>): Promise<void> {
  await h().sm.send(new TagResourceCommand({ SecretId: id, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
}
export async function deleteSecretIfAny(id: string): Promise<void> {
  try {
    await h().sm.send(new DeleteSecretCommand({ SecretId: id, ForceDeleteWithoutRecovery: true }));
  } catch (e) {
    if (!(e instanceof ResourceNotFoundException)) throw e;
  }
}
export const secretJson = async <T>(id: string): Promise<T> =>
  JSON.parse((await h().sm.send(new GetSecretValueCommand({ SecretId: id }))).SecretString ?? '{}') as T;
export const secretVersion = async (id: string) => (await h().sm.send(new GetSecretValueCommand({ SecretId: id }))).VersionId;
export const secretTags = async (id: string): Promise<Record<string, string | undefined>> =>
  Object.fromEntries(((await h().sm.send(new DescribeSecretCommand({ SecretId: id }))).Tags ?? []).map((t) => [t.Key, t.Value]));
export const secretExists = async (id: string) =>
  h()
    .sm.send(new DescribeSecretCommand({ SecretId: id }))
    .then(
      () => true,
      (e: unknown) => {
        if (e instanceof ResourceNotFoundException) return false;
        throw e;
      },
    );

// ------------------------------------------------------------------------------------------------ tenants and plans

let tenantCounter = 0;

/** A tenant of its own for one test, with its credential secrets (ARNs). */
export interface TestTenant {
  id: string;
  azureSecretArn: string;
  gcpSecretArn: string;
  minioSecretArn: string;
  azureBlobSecretArn: string;
}

export function gcpKeyDocument(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: 'service_account',
    project_id: 'acme-backups',
    private_key_id: 'a1b2c3d4e5',
    private_key: h().gcpPrivateKey,
    client_email: 'velero@acme-backups.iam.gserviceaccount.com',
    client_id: '109876543210987654321',
    ...overrides,
  });
}

export async function newTenant(prefix = 'acme'): Promise<TestTenant> {
  const id = `${prefix}-${++tenantCounter}`;
  const secret = (name: string, value: unknown) => createSecret(`palette-onboarding-credentials/${id}/${name}`, value);
  return {
    id,
    azureSecretArn: await secret('azure-credentials', { tenantId: AZURE.tenantId, clientId: AZURE.clientId, clientSecret: AZURE.clientSecret }),
    gcpSecretArn: await secret('gcp-credentials', gcpKeyDocument()),
    minioSecretArn: await secret('minio-credentials', h().minioKey),
    azureBlobSecretArn: await secret('azure-blob-credentials', { tenantId: AZURE.tenantId, clientId: AZURE.clientId, clientSecret: AZURE.clientSecret }),
  };
}

let execCounter = 0;
export const newExec = (tenantId: string) => `${tenantId}-exec-${++execCounter}`;

export interface PlanOptions {
  exec?: string;
  projectUid?: string;
  credentialMode?: 'sts' | 'static';
}

/** The plan of a request for `tenantId` with these extra sections, made for execution `exec`. */
export function planFor(tenantId: string, sections: Record<string, unknown> = {}, opts: PlanOptions = {}): AwsPlan {
  const exec = opts.exec ?? newExec(tenantId);
  return awsPlan(buildPlan(
    {
      tenantId,
      aws: { accountId: TARGET_ACCOUNT, region: 'us-east-1', credentialMode: opts.credentialMode ?? 'sts' },
      palette: { apiKeySecretArn: h().paletteKeySecretArn, ...(opts.projectUid ? { projectUid: opts.projectUid } : {}) },
      ...sections,
    },
    { homeAccountId: h().sb.aws.accountId, deploymentId: DEPLOYMENT, defaultReadinessSeconds: 60, executionName: exec },
  ).plan);
}

/** The same request as `plan`, for another execution. */
export const rerun = <P extends Plan>(plan: P, exec = newExec(plan.tenantId)): P => ({
  ...structuredClone(plan),
  executionName: exec,
  tags: { ...plan.tags, [CREATED_BY_TAG]: exec },
});

/** The STS principal of the plan's tenant (what EnsureStsRole returns). */
export const stsPrincipal = (plan: AwsPlan): PrincipalResult => {
  const arn = `arn:aws:iam::${plan.target.accountId}:role/palette-onboarding/${plan.principalName}`;
  return { kind: 'sts', arn, roleArn: arn, created: true };
};

/** Runs the ensure step of `key` as execution `plan.executionName` (which holds the tenant's lease). */
export async function ensure<K extends RegistrationKey>(
  key: K,
  plan: Plan,
  extra: { principal?: PrincipalResult; now?: Date } = {},
): Promise<RegistrationOutcome<K>> {
  registry.acquire(plan.tenantId, plan.executionName);
  return ensureRegistration(key, {
    plan,
    palette: h().identity,
    ...(hasAwsPart(plan) ? { principal: extra.principal ?? stsPrincipal(plan) } : {}),
    ...(extra.now ? { now: extra.now } : {}),
  });
}

/** Runs the compensation of one kind (or of all, without `key`) as execution `plan.executionName`. */
export async function undo(plan: Plan, key?: RegistrationKey) {
  registry.acquire(plan.tenantId, plan.executionName);
  return key ? undoRegistration(key, plan) : undoAllRegistrations(plan);
}

// ------------------------------------------------------------------------------------------------ Palette

export const api = (method: string, path: string, body?: unknown, projectUid?: string) =>
  paletteFetch(h().sb.palette.endpoint, method, path, {
    headers: { ApiKey: h().sb.palette.apiKey, ...(projectUid ? { ProjectUid: projectUid } : {}) },
    ...(body !== undefined ? { body } : {}),
  });

export async function getJson<T>(path: string, projectUid?: string): Promise<T> {
  const res = await api('GET', path, undefined, projectUid);
  expect(res.status, `GET ${path}`).toBe(200);
  return res.json as T;
}

/** POSTs an object as someone else would (no palette-onboarding code involved); returns its uid. */
export async function rawCreate(path: string, body: unknown, projectUid?: string): Promise<{ uid: string; apiKey?: string }> {
  const res = await api('POST', path, body, projectUid);
  expect(res.status, `POST ${path}: ${JSON.stringify(res.json)}`).toBe(201);
  return res.json as { uid: string; apiKey?: string };
}

/** Position in the emulator's request log. */
export const mark = () => h().sb.palette.requests().length;
/** Palette API calls since `m`, uids replaced by `{uid}`. */
export const callsSince = (m: number) =>
  h()
    .sb.palette.requests()
    .slice(m)
    .filter((r) => r.path.startsWith('/v1/'))
    .map((r) => `${r.method} ${r.path.replace(/\/[0-9a-f]{24}(?=\/|$)/g, '/{uid}')} ${r.status}`);
export const writesSince = (m: number) => callsSince(m).filter((c) => !c.startsWith('GET '));

/**
 * Everything the emulator stores about one object (annotations, labels, spec with secrets masked and which
 * secrets are set, timestamps; for API keys also its GET view): equal snapshots mean the object was not touched.
 */
export async function storedObject(uid: string): Promise<unknown> {
  const state = h().sb.palette.inspect() as {
    tenants: { apiKeys: { uid: string }[]; scopes: Record<string, Record<string, { uid: string }[]>> }[];
  };
  for (const t of state.tenants) {
    for (const scope of Object.values(t.scopes)) {
      for (const items of Object.values(scope)) {
        const item = items.find((i) => i.uid === uid);
        if (item) return item;
      }
    }
    const key = t.apiKeys.find((k) => k.uid === uid);
    if (key) return { key, view: await getJson(`/v1/apiKeys/${uid}`) };
  }
  return undefined;
}

/** Everything shown to the caller must be free of secret values. */
export function expectNoSecrets(value: unknown): void {
  const text = JSON.stringify(value) + (value instanceof Error ? `${value.message} ${String(value.stack)}` : '');
  for (const s of [...secretValues, h().minioKey.accessKeyId]) expect(text).not.toContain(s);
  expect(text).not.toContain('PRIVATE KEY');
}

export async function failure(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof Error)) throw new Error(`expected a failure, got ${JSON.stringify(e)}`);
  return e;
}
