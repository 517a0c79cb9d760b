/**
 * The optional Palette parts of issue 6 (lambdas/services/onboarding/{azure-account,ssh-key,api-key}.ts) against
 * the in-process AWS sandbox (Secrets Manager) and the Palette emulator (strict request checking against the
 * official spec subset): real SDK clients and the real Palette client, no mocks. Every Palette call is checked:
 * a request the spec rejects would show up as a 400.
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { paletteFetch } from '../../local/palette/http';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { buildPlan } from '../../lambdas/domain/plan';
import { opensshRsaPublicKey, sameOpenSshKey, sshFingerprint } from '../../lambdas/domain/ssh';
import type { Plan } from '../../lambdas/domain/workflow-state';
import { resetEnvCache } from '../../lambdas/shared/env';
import {
  ApiKeyConflictError,
  ConfigurationError,
  RequestValidationError,
  SshKeyConflictError,
  StateInputError,
} from '../../lambdas/shared/errors';
import { PaletteValidationError } from '../../lambdas/services/palette';
import { API_KEY_UID_TAG, ensureApiKey, undoApiKey } from '../../lambdas/services/onboarding/api-key';
import { ensureAzureAccount, undoAzureAccount } from '../../lambdas/services/onboarding/azure-account';
import { ensureSshKey, undoSshKey } from '../../lambdas/services/onboarding/ssh-key';
import { handler as azureHandler } from '../../lambdas/handlers/ensure-azure-account';
import { handler as sshHandler } from '../../lambdas/handlers/ensure-ssh-key';
import { handler as apiKeyHandler } from '../../lambdas/handlers/ensure-api-key';

const TENANT = 'acme';
const TARGET_ACCOUNT = '111111111111';
const AZURE = {
  tenantId: '0f3c6a2e-5b1d-4c8e-9a7f-2d4b6e8c1a3f',
  clientId: '7a9e1c3b-2d4f-4e6a-8b0c-1d3e5f7a9b2c',
  clientSecret: 'Az~Secret-Value.For_Tests-0001',
};
const CREATED_BY = 'palette-onboarding/created-by';

let sb: RunningLocalSandbox;
let sm: SecretsManagerClient;
let paletteKeySecretArn: string;
let azureSecretArn: string;
let counter = 0;
const logged: string[] = [];
/** Values that must never reach a result, a log line or an error. */
const secretValues: string[] = [AZURE.clientSecret];

function planFor(extra: Record<string, unknown>, opts: { exec?: string; projectUid?: string } = {}): { plan: Plan; exec: string } {
  const exec = opts.exec ?? `acme-exec-${++counter}`;
  const { plan } = buildPlan(
    {
      tenantId: TENANT,
      aws: { accountId: TARGET_ACCOUNT, region: 'us-east-1', credentialMode: 'sts' },
      palette: { apiKeySecretArn: paletteKeySecretArn, ...(opts.projectUid ? { projectUid: opts.projectUid } : {}) },
      ...extra,
    },
    { homeAccountId: sb.aws.accountId, defaultReadinessSeconds: 60, executionName: exec },
  );
  return { plan, exec };
}

const state = (plan: Plan, exec: string) => ({ execution: { name: exec }, job: { plan } });

/** Palette API calls since the last clear, with uids replaced by `:uid`. */
const calls = () =>
  sb.palette
    .requests()
    .filter((r) => r.path.startsWith('/v1/'))
    .map((r) => `${r.method} ${r.path.replace(/[0-9a-f]{24}/g, ':uid')} ${r.status}`);
const clearCalls = () => paletteFetch(sb.palette.endpoint, 'DELETE', '/_emulator/requests');
/** The emulator accepted every request (it checks each against the official spec). */
const expectAllAccepted = () => expect(calls().filter((c) => !/ (200|201|204)$/.test(c))).toEqual([]);
const writes = () => calls().filter((c) => !c.startsWith('GET '));

const api = (method: string, path: string, body?: unknown, projectUid?: string) =>
  paletteFetch(sb.palette.endpoint, method, path, {
    headers: { ApiKey: sb.palette.apiKey, ...(projectUid ? { ProjectUid: projectUid } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
const getJson = async <T>(path: string, projectUid?: string): Promise<T> => {
  const res = await api('GET', path, undefined, projectUid);
  expect(res.status).toBe(200);
  return res.json as T;
};

async function createSecret(name: string, value: unknown): Promise<string> {
  const out = await sm.send(new CreateSecretCommand({ Name: name, SecretString: typeof value === 'string' ? value : JSON.stringify(value) }));
  return out.ARN ?? '';
}
async function deleteSecretIfAny(name: string): Promise<void> {
  try {
    await sm.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
  } catch (e) {
    if (!(e instanceof ResourceNotFoundException)) throw e;
  }
}
const secretJson = async <T>(id: string): Promise<T> =>
  JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: id }))).SecretString ?? '{}') as T;
const secretTags = async (id: string) =>
  Object.fromEntries(((await sm.send(new DescribeSecretCommand({ SecretId: id }))).Tags ?? []).map((t) => [t.Key, t.Value]));
const secretExists = async (id: string) =>
  sm.send(new DescribeSecretCommand({ SecretId: id })).then(
    () => true,
    (e: unknown) => {
      if (e instanceof ResourceNotFoundException) return false;
      throw e;
    },
  );

interface Meta {
  uid: string;
  name: string;
  annotations?: Record<string, string>;
}
interface Listed<S> {
  metadata: Meta;
  spec: S;
}
async function byName<S>(path: string, name: string, projectUid?: string): Promise<Listed<S> | undefined> {
  return (await getJson<{ items: Listed<S>[] }>(path, projectUid)).items.find((i) => i.metadata.name === name);
}

beforeAll(async () => {
  sb = await startLocalSandbox({
    aws: { port: 0, realism: { iamPropagationMs: 0 } },
    palette: { port: 0, rateLimit: false, rejectUnknownFields: true },
    env: {},
  });
  const credentials = { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: sb.aws.endpoint,
    AWS_REGION: sb.aws.region,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    PALETTE_ENDPOINT: sb.palette.endpoint,
    HOME_ACCOUNT_ID: sb.aws.accountId,
    PALETTE_SELF_HOSTED: 'false',
  });
  sm = new SecretsManagerClient({ endpoint: sb.aws.endpoint, region: sb.aws.region, credentials });
  paletteKeySecretArn = await createSecret('palette-onboarding/palette-api-key', { apiKey: sb.palette.apiKey });
  process.env.PALETTE_API_KEY_SECRET_ARN = paletteKeySecretArn;
  azureSecretArn = await createSecret(`palette-onboarding/${TENANT}/azure-credentials`, AZURE);
  secretValues.push(sb.palette.apiKey);
  resetEnvCache();
  // Capture the Lambda logger's output (Powertools writes JSON lines to stdout) to check it for secrets.
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    logged.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
}, 60_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await sb?.stop();
});

beforeEach(async () => {
  await clearCalls();
});

afterEach(() => {
  const text = logged.join('');
  for (const v of secretValues) expect(text.includes(v), 'a secret value reached the log').toBe(false);
  expect(text).not.toContain('PRIVATE KEY');
});

// --------------------------------------------------------------------------------------------- Azure account

describe('Azure cloud account', () => {
  const request = (over: Record<string, unknown> = {}) => ({
    azure: { cloudAccount: { credentialsSecretArn: azureSecretArn, tenantName: 'Acme Corp', disablePropertiesRequest: true, ...over } },
  });
  let first: { plan: Plan; exec: string; uid: string };

  it('validates first, then creates it with the plan tags as annotations (through the thin handler)', async () => {
    const { plan, exec } = planFor(request());
    const result = await azureHandler(state(plan, exec));
    expect(result).toEqual({ uid: expect.any(String), name: 'acme-azure', created: true, updated: false });
    first = { plan, exec, uid: result.uid };
    expect(writes()).toEqual(['POST /v1/clouds/azure/account/validate 204', 'POST /v1/cloudaccounts/azure 201']);
    expectAllAccepted();
    const account = await getJson<{ metadata: Meta; spec: Record<string, unknown> }>(`/v1/cloudaccounts/azure/${result.uid}`);
    expect(account.metadata.annotations).toEqual({
      [CREATED_BY]: exec,
      'palette-onboarding/tenant': TENANT,
      'palette-onboarding/managed-by': 'palette-onboarding',
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
    expect(JSON.stringify(result)).not.toContain(AZURE.clientSecret);
  });

  it('a re-run (another execution) changes nothing and does not validate again', async () => {
    const { plan } = planFor(request());
    expect(await ensureAzureAccount(plan)).toEqual({ uid: first.uid, name: 'acme-azure', created: false, updated: false });
    expect(writes()).toEqual([]);
    expectAllAccepted();
  });

  it('drift (tenant name, settings, an annotation) is corrected after validating; created-by is kept', async () => {
    const drifted = await api('PUT', `/v1/cloudaccounts/azure/${first.uid}`, {
      metadata: { name: 'acme-azure', annotations: { [CREATED_BY]: first.exec, keep: 'me' } },
      spec: { ...AZURE, tenantName: 'Someone Else', settings: { disablePropertiesRequest: false } },
    });
    expect(drifted.status).toBe(204);
    await clearCalls();
    const { plan } = planFor(request());
    expect(await ensureAzureAccount(plan)).toEqual({ uid: first.uid, name: 'acme-azure', created: false, updated: true });
    expect(writes()).toEqual(['POST /v1/clouds/azure/account/validate 204', 'PUT /v1/cloudaccounts/azure/:uid 204']);
    expectAllAccepted();
    const account = await getJson<{ metadata: Meta; spec: Record<string, unknown> }>(`/v1/cloudaccounts/azure/${first.uid}`);
    expect(account.spec).toMatchObject({ tenantName: 'Acme Corp', settings: { disablePropertiesRequest: true } });
    expect(account.metadata.annotations).toMatchObject({ [CREATED_BY]: first.exec, keep: 'me', 'palette-onboarding/tenant': TENANT });
  });

  it('credentials missing fields: ConfigurationError naming the secret and the fields, never a value; nothing called', async () => {
    const arn = await createSecret(`palette-onboarding/${TENANT}/azure-partial`, { tenantId: AZURE.tenantId, clientSecret: 'partial-secret-value' });
    secretValues.push('partial-secret-value');
    const { plan } = planFor({ azure: { cloudAccount: { name: 'acme-azure-partial', credentialsSecretArn: arn } } });
    const error = await ensureAzureAccount(plan).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(`Secret ${arn} does not have the expected fields: clientId`);
    expect(calls()).toEqual([]);
  });

  it('credentials Palette rejects: PaletteValidationError from validate, nothing created', async () => {
    const arn = await createSecret(`palette-onboarding/${TENANT}/azure-bad`, { ...AZURE, clientId: 'not-a-guid' });
    const { plan } = planFor({ azure: { cloudAccount: { name: 'acme-azure-bad', credentialsSecretArn: arn } } });
    const error = await ensureAzureAccount(plan).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaletteValidationError);
    expect(writes()).toEqual(['POST /v1/clouds/azure/account/validate 400']);
    expect(await byName('/v1/cloudaccounts/azure', 'acme-azure-bad')).toBeUndefined();
  });

  describe('US Government and private cloud gateways', () => {
    afterEach(() => {
      process.env.PALETTE_SELF_HOSTED = 'false';
      resetEnvCache();
    });

    it('SaaS: without a gateway it is rejected before any call; with one it is created with overlordUid', async () => {
      const gov = planFor(request({ name: 'acme-gov', cloud: 'AzureUSGovernmentCloud' }));
      const error = await ensureAzureAccount(gov.plan).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RequestValidationError);
      expect((error as Error).message).toBe(
        'Invalid onboarding request: azure.cloudAccount.privateCloudGatewayUid: required: on Palette SaaS an Azure US Government (AzureUSGovernmentCloud) account must use a private cloud gateway',
      );
      expect(calls()).toEqual([]);

      const withPcg = planFor(request({ name: 'acme-gov', cloud: 'AzureUSGovernmentCloud', privateCloudGatewayUid: 'pcg-0123' }));
      const result = await ensureAzureAccount(withPcg.plan);
      expect(result).toMatchObject({ created: true });
      const account = await getJson<{ metadata: Meta; spec: Record<string, unknown> }>(`/v1/cloudaccounts/azure/${result.uid}`);
      expect(account.metadata.annotations).toMatchObject({ overlordUid: 'pcg-0123', [CREATED_BY]: withPcg.exec });
      expect(account.spec.azureEnvironment).toBe('AzureUSGovernmentCloud');
      expectAllAccepted();
      // Re-run: converged (the overlordUid annotation included).
      expect(await ensureAzureAccount(planFor(request({ name: 'acme-gov', cloud: 'AzureUSGovernmentCloud', privateCloudGatewayUid: 'pcg-0123' })).plan)).toMatchObject({
        created: false,
        updated: false,
      });
      await undoAzureAccount(withPcg.plan, withPcg.exec);
    });

    it('self-hosted: rejected when the installation has Azure Public Cloud accounts (named), nothing created', async () => {
      process.env.PALETTE_SELF_HOSTED = 'true';
      resetEnvCache();
      const { plan } = planFor(request({ name: 'acme-gov', cloud: 'AzureUSGovernmentCloud' }));
      const error = await ensureAzureAccount(plan).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RequestValidationError);
      expect((error as RequestValidationError).issues).toEqual([
        {
          path: 'azure.cloudAccount.privateCloudGatewayUid',
          message:
            "required: this self-hosted Palette also has Azure Public Cloud accounts ('acme-azure'), so an Azure US Government (AzureUSGovernmentCloud) account must use a private cloud gateway",
        },
      ]);
      expect(calls()).toEqual(['GET /v1/cloudaccounts/azure 200']);
    });

    it('self-hosted: allowed without a gateway when there is no Azure Public Cloud account (project scope)', async () => {
      process.env.PALETTE_SELF_HOSTED = 'true';
      resetEnvCache();
      const projectUid = sb.palette.projectUid;
      const { plan, exec } = planFor(request({ name: 'acme-gov', cloud: 'AzureUSGovernmentCloud' }), { projectUid });
      const result = await ensureAzureAccount(plan);
      expect(result).toMatchObject({ name: 'acme-gov', created: true });
      expectAllAccepted();
      const account = await byName<Record<string, unknown>>('/v1/cloudaccounts/azure', 'acme-gov', projectUid);
      expect(account?.metadata.annotations?.overlordUid).toBeUndefined();
      expect(account?.metadata.annotations?.scope).toBe('project');
      expect(await undoAzureAccount(plan, exec)).toEqual({ deleted: [`palette:azure-cloud-account/${result.uid}`], retained: [] });
    });
  });

  it('an adopted account gets our tags but never created-by, and undo retains it', async () => {
    const created = await api('POST', '/v1/cloudaccounts/azure', { metadata: { name: 'acme-adopted' }, spec: { ...AZURE, tenantName: 'Acme Corp' } });
    expect(created.status).toBe(201);
    const uid = (created.json as { uid: string }).uid;
    await clearCalls();
    const { plan, exec } = planFor(request({ name: 'acme-adopted' }));
    expect(await ensureAzureAccount(plan)).toEqual({ uid, name: 'acme-adopted', created: false, updated: true });
    expectAllAccepted();
    const account = await getJson<{ metadata: Meta }>(`/v1/cloudaccounts/azure/${uid}`);
    expect(account.metadata.annotations?.[CREATED_BY]).toBeUndefined();
    expect(account.metadata.annotations?.['palette-onboarding/tenant']).toBe(TENANT);
    expect(await undoAzureAccount(plan, exec)).toEqual({
      deleted: [],
      retained: [{ id: `palette:azure-cloud-account/${uid}`, reason: "Azure cloud account 'acme-adopted' was not created by this execution" }],
    });
    expect(await byName('/v1/cloudaccounts/azure', 'acme-adopted')).toBeDefined();
  });

  it('undo deletes only what this execution created', async () => {
    const other = planFor(request());
    expect((await undoAzureAccount(other.plan, other.exec)).deleted).toEqual([]);
    expect(await undoAzureAccount(first.plan, first.exec)).toEqual({ deleted: [`palette:azure-cloud-account/${first.uid}`], retained: [] });
    expect(await byName('/v1/cloudaccounts/azure', 'acme-azure')).toBeUndefined();
    expect(await undoAzureAccount(first.plan, first.exec)).toEqual({ deleted: [], retained: [] });
    expectAllAccepted();
  });

  it('the handler refuses a plan without extras.azureAccount (StateInputError)', async () => {
    const { plan, exec } = planFor({});
    await expect(azureHandler(state(plan, exec))).rejects.toBeInstanceOf(StateInputError);
  });
});

// --------------------------------------------------------------------------------------------------- SSH key

describe('SSH key', () => {
  const secretName = `palette-onboarding/${TENANT}/ssh-private-key`;
  let first: { plan: Plan; exec: string; uid: string; arn: string; publicKey: string };

  const storedPair = () => secretJson<{ privateKey: string; publicKey: string }>(secretName);
  const versionOf = async () => (await sm.send(new GetSecretValueCommand({ SecretId: secretName }))).VersionId;

  it('generates an RSA 4096 pair by default, stores the private key first, uploads the public key (handler)', async () => {
    const { plan, exec } = planFor({ sshKey: {} });
    expect(plan.extras.sshKey?.generateBits).toBe(4096);
    const result = await sshHandler(state(plan, exec));
    expect(result).toEqual({
      uid: expect.any(String),
      name: 'acme-ssh',
      created: true,
      updated: false,
      fingerprint: expect.stringMatching(/^SHA256:[A-Za-z0-9+/]{43}$/),
      privateKeySecretArn: expect.stringContaining(`:secret:${secretName}`),
    });
    expect(JSON.stringify(result)).not.toContain('PRIVATE KEY');
    expect(writes()).toEqual(['POST /v1/users/assets/sshkeys 201']);
    expectAllAccepted();

    const pair = await storedPair();
    expect(pair.privateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    const jwk = createPublicKey(createPrivateKey(pair.privateKey)).export({ format: 'jwk' });
    expect(Buffer.from(jwk.n ?? '', 'base64url').length * 8).toBe(4096);
    const derived = opensshRsaPublicKey({ n: jwk.n ?? '', e: jwk.e ?? '' });
    const key = await byName<{ publicKey: string }>('/v1/users/assets/sshkeys', 'acme-ssh');
    expect(key?.metadata.uid).toBe(result.uid);
    expect(key?.spec.publicKey).toBe(pair.publicKey);
    expect(pair.publicKey).toBe(`${derived} acme-ssh`);
    expect(sshFingerprint(pair.publicKey)).toBe(result.fingerprint);
    expect(key?.metadata.annotations).toMatchObject({ [CREATED_BY]: exec, 'palette-onboarding/tenant': TENANT });
    expect(await secretTags(secretName)).toMatchObject({ [CREATED_BY]: exec, 'palette-onboarding/tenant': TENANT });
    secretValues.push(pair.privateKey.split('\n')[1] ?? 'unreachable');
    first = { plan, exec, uid: result.uid, arn: result.privateKeySecretArn ?? '', publicKey: pair.publicKey };
  });

  it('a re-run reuses the stored pair: no new key, no new secret version, no Palette write', async () => {
    const before = await versionOf();
    const { plan } = planFor({ sshKey: {} });
    const result = await ensureSshKey(plan);
    expect(result).toMatchObject({ uid: first.uid, created: false, updated: false, privateKeySecretArn: first.arn });
    expect(await versionOf()).toBe(before);
    expect(writes()).toEqual([]);
    expectAllAccepted();
  });

  it('a deleted Palette key is uploaded again from the stored pair (same fingerprint)', async () => {
    expect((await api('DELETE', `/v1/users/assets/sshkeys/${first.uid}`)).status).toBe(204);
    await clearCalls();
    const before = await versionOf();
    const result = await ensureSshKey(planFor({ sshKey: {} }).plan);
    expect(result).toMatchObject({ created: true, fingerprint: sshFingerprint(first.publicKey) });
    expect(await versionOf()).toBe(before);
    expect(writes()).toEqual(['POST /v1/users/assets/sshkeys 201']);
    first.uid = result.uid;
  });

  it('a managed Palette key that drifted from the stored pair is put back', async () => {
    const other = opensshRsaPublicKey(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }) as { n: string; e: string });
    const key = await byName<{ publicKey: string }>('/v1/users/assets/sshkeys', 'acme-ssh');
    expect((await api('PUT', `/v1/users/assets/sshkeys/${first.uid}`, { metadata: key?.metadata, spec: { publicKey: other } })).status).toBe(204);
    await clearCalls();
    expect(await ensureSshKey(planFor({ sshKey: {} }).plan)).toMatchObject({ uid: first.uid, created: false, updated: true });
    expect(writes()).toEqual(['PUT /v1/users/assets/sshkeys/:uid 204']);
    expect(sameOpenSshKey((await byName<{ publicKey: string }>('/v1/users/assets/sshkeys', 'acme-ssh'))?.spec.publicKey, first.publicKey)).toBe(true);
  });

  it("generate: someone else's key of that name without our private key is a conflict; nothing is created", async () => {
    const foreign = opensshRsaPublicKey(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }) as { n: string; e: string });
    expect((await api('POST', '/v1/users/assets/sshkeys', { metadata: { name: 'ops-key' }, spec: { publicKey: foreign } })).status).toBe(201);
    await clearCalls();
    const { plan } = planFor({ sshKey: { name: 'ops-key', generate: { bits: 2048 } } });
    const otherSecret = 'palette-onboarding/other/ssh-private-key';
    plan.extras.sshKey = { ...plan.extras.sshKey!, privateKeySecretName: otherSecret };
    const error = await ensureSshKey(plan).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SshKeyConflictError);
    expect((error as Error).message).toMatch(/^Palette SSH key 'ops-key' \(\w+\) was not created by palette-onboarding for this tenant and secret palette-onboarding\/other\/ssh-private-key holds no private key for it/);
    expect(await secretExists(otherSecret)).toBe(false);
    expect(writes()).toEqual([]);
  });

  describe('supplied public key', () => {
    const keyA = opensshRsaPublicKey(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }) as { n: string; e: string }, 'alice@laptop');
    const keyB = opensshRsaPublicKey(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }) as { n: string; e: string }, 'bob@laptop');
    let supplied: { plan: Plan; exec: string; uid: string };

    it('is uploaded as is; no private-key secret', async () => {
      const { plan, exec } = planFor({ sshKey: { name: 'acme-supplied', publicKey: keyA } });
      const result = await ensureSshKey(plan);
      expect(result).toEqual({ uid: expect.any(String), name: 'acme-supplied', created: true, updated: false, fingerprint: sshFingerprint(keyA) });
      expect((await byName<{ publicKey: string }>('/v1/users/assets/sshkeys', 'acme-supplied'))?.spec.publicKey).toBe(keyA);
      expectAllAccepted();
      supplied = { plan, exec, uid: result.uid };
    });

    it('a re-run with only a different comment changes nothing', async () => {
      const sameKeyOtherComment = `${keyA.split(' ').slice(0, 2).join(' ')} renamed`;
      expect(await ensureSshKey(planFor({ sshKey: { name: 'acme-supplied', publicKey: sameKeyOtherComment } }).plan)).toMatchObject({
        uid: supplied.uid,
        created: false,
        updated: false,
      });
      expect(writes()).toEqual([]);
    });

    it('a changed key is updated in place', async () => {
      expect(await ensureSshKey(planFor({ sshKey: { name: 'acme-supplied', publicKey: keyB } }).plan)).toEqual({
        uid: supplied.uid,
        name: 'acme-supplied',
        created: false,
        updated: true,
        fingerprint: sshFingerprint(keyB),
      });
      expect(writes()).toEqual(['PUT /v1/users/assets/sshkeys/:uid 204']);
      expectAllAccepted();
      const key = await byName<{ publicKey: string }>('/v1/users/assets/sshkeys', 'acme-supplied');
      expect(key?.spec.publicKey).toBe(keyB);
      expect(key?.metadata.annotations?.[CREATED_BY]).toBe(supplied.exec);
    });

    it('a key whose data does not match its type is a RequestValidationError; nothing is called', async () => {
      const blob = keyA.split(' ')[1];
      const { plan } = planFor({ sshKey: { name: 'acme-bad', publicKey: `ssh-ed25519 ${blob}` } });
      await expect(ensureSshKey(plan)).rejects.toBeInstanceOf(RequestValidationError);
      expect(calls()).toEqual([]);
    });

    it('project scope: the key goes to the project', async () => {
      const projectUid = sb.palette.projectUid;
      const { plan, exec } = planFor({ sshKey: { name: 'acme-supplied', publicKey: keyA } }, { projectUid });
      const result = await ensureSshKey(plan);
      expect(result).toMatchObject({ created: true });
      expect(result.uid).not.toBe(supplied.uid);
      expect((await byName<{ publicKey: string }>('/v1/users/assets/sshkeys', 'acme-supplied', projectUid))?.metadata.uid).toBe(result.uid);
      expect((await undoSshKey(plan, exec)).deleted).toEqual([`palette:ssh-key/${result.uid}`]);
      expectAllAccepted();
    });

    it('undo deletes only what this execution created', async () => {
      const other = planFor({ sshKey: { name: 'acme-supplied', publicKey: keyB } });
      expect((await undoSshKey(other.plan, other.exec)).deleted).toEqual([]);
      expect((await undoSshKey(supplied.plan, supplied.exec)).deleted).toEqual([`palette:ssh-key/${supplied.uid}`]);
    });
  });

  it('undo: another execution removes nothing; the creator removes the key it uploaded and the secret it created', async () => {
    const other = planFor({ sshKey: {} });
    const kept = await undoSshKey(other.plan, other.exec);
    expect(kept.deleted).toEqual([]);
    expect(kept.retained.map((r) => r.id)).toEqual([`palette:ssh-key/${first.uid}`, first.arn]);
    // The key now on Palette was re-uploaded by a later execution: only the secret is first's.
    const undone = await undoSshKey(first.plan, first.exec);
    expect(undone.deleted).toEqual([first.arn]);
    expect(await secretExists(secretName)).toBe(false);
    expectAllAccepted();
  });
});

// --------------------------------------------------------------------------------------------------- API key

describe('API key', () => {
  const secretName = `palette-onboarding/${TENANT}/palette-api-key`;
  let first: { plan: Plan; exec: string; uid: string; arn: string };
  let ownerUid: string;

  const listKeys = async () => (await getJson<{ items: { metadata: Meta; spec: { expiry: string; user: { uid: string } } }[] }>('/v1/apiKeys')).items;
  const keyNamed = async (name: string) => (await listKeys()).find((k) => k.metadata.name === name);

  beforeAll(async () => {
    ownerUid = (await listKeys()).find((k) => k.metadata.name === 'sandbox-default')?.spec.user.uid ?? '';
    expect(ownerUid).not.toBe('');
  });

  it('creates the key (description, owner, expiry), stores its value, returns only the secret ARN (handler)', async () => {
    const { plan, exec } = planFor({ apiKey: { description: 'CI automation', ownerUserUid: ownerUid, expiry: '30d' } });
    const before = Date.now();
    const result = await apiKeyHandler(state(plan, exec));
    expect(result).toEqual({
      uid: expect.any(String),
      name: 'acme-automation',
      created: true,
      updated: false,
      valueSecretArn: expect.stringContaining(`:secret:${secretName}`),
      expiresAt: expect.any(String),
    });
    const expires = Date.parse(result.expiresAt);
    expect(expires - before).toBeGreaterThanOrEqual(30 * 86_400_000 - 5_000);
    expect(expires - before).toBeLessThanOrEqual(30 * 86_400_000 + 60_000);
    expect(writes()).toEqual(['POST /v1/apiKeys 201']);
    expectAllAccepted();

    const { apiKey } = await secretJson<{ apiKey: string }>(secretName);
    secretValues.push(apiKey);
    expect(JSON.stringify(result)).not.toContain(apiKey);
    expect(await secretTags(secretName)).toMatchObject({ [API_KEY_UID_TAG]: result.uid, [CREATED_BY]: exec });
    // The stored value is a working key.
    const probe = await paletteFetch(sb.palette.endpoint, 'GET', '/v1/apiKeys', { headers: { ApiKey: apiKey } });
    expect(probe.status).toBe(200);
    const key = await keyNamed('acme-automation');
    expect(key?.metadata.annotations).toMatchObject({ description: 'CI automation', [CREATED_BY]: exec, 'palette-onboarding/tenant': TENANT });
    expect(key?.spec.user.uid).toBe(ownerUid);
    expect(Date.parse(key?.spec.expiry ?? '')).toBe(expires);
    first = { plan, exec, uid: result.uid, arn: result.valueSecretArn };
  });

  it('a re-run changes nothing: same key, same stored value, no Palette write', async () => {
    const before = await secretJson<{ apiKey: string }>(secretName);
    const { plan } = planFor({ apiKey: { description: 'CI automation', ownerUserUid: ownerUid, expiry: '30d' } });
    const result = await ensureApiKey(plan);
    expect(result).toMatchObject({ uid: first.uid, created: false, updated: false, valueSecretArn: first.arn });
    expect(await secretJson(secretName)).toEqual(before);
    expect(writes()).toEqual([]);
  });

  it('a changed description is an annotation update, not a new key', async () => {
    const { plan } = planFor({ apiKey: { description: 'CI automation v2', ownerUserUid: ownerUid, expiry: '30d' } });
    expect(await ensureApiKey(plan)).toMatchObject({ uid: first.uid, created: false, updated: true });
    expect(writes()).toEqual(['PUT /v1/apiKeys/:uid 204']);
    expectAllAccepted();
    const key = await keyNamed('acme-automation');
    expect(key?.metadata.annotations).toMatchObject({ description: 'CI automation v2', [CREATED_BY]: first.exec });
  });

  it('value lost and the key is ours: it is replaced (delete + create) and the new value stored', async () => {
    await deleteSecretIfAny(secretName);
    await clearCalls();
    const { plan, exec } = planFor({ apiKey: { ownerUserUid: ownerUid } });
    const result = await ensureApiKey(plan);
    expect(result).toMatchObject({ created: true, updated: true });
    expect(result.uid).not.toBe(first.uid);
    expect(writes()).toEqual(['DELETE /v1/apiKeys/:uid 204', 'POST /v1/apiKeys 201']);
    expectAllAccepted();
    const { apiKey } = await secretJson<{ apiKey: string }>(secretName);
    secretValues.push(apiKey);
    expect(await secretTags(secretName)).toMatchObject({ [API_KEY_UID_TAG]: result.uid, [CREATED_BY]: exec });
    expect((await listKeys()).map((k) => k.metadata.uid)).not.toContain(first.uid);
    first = { plan, exec, uid: result.uid, arn: result.valueSecretArn };
  });

  it("someone else's key of that name is never rotated: ApiKeyConflictError, nothing stored", async () => {
    const created = await api('POST', '/v1/apiKeys', { metadata: { name: 'shared-key' }, spec: {} });
    expect(created.status).toBe(201);
    const foreignUid = (created.json as { uid: string }).uid;
    await clearCalls();
    const { plan } = planFor({ apiKey: { name: 'shared-key' } });
    plan.extras.apiKey = { ...plan.extras.apiKey!, valueSecretName: 'palette-onboarding/other/palette-api-key' };
    const error = await ensureApiKey(plan).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiKeyConflictError);
    expect((error as Error).message).toContain(`Palette API key 'shared-key' (${foreignUid}) exists, was not created by palette-onboarding`);
    expect(writes()).toEqual([]);
    expect(await secretExists('palette-onboarding/other/palette-api-key')).toBe(false);
    expect((await keyNamed('shared-key'))?.metadata.uid).toBe(foreignUid);
  });

  it('a custom expiry date in the past is a RequestValidationError; nothing is created', async () => {
    const { plan } = planFor({ apiKey: { name: 'acme-expired', expiry: '2020-01-01' } });
    const error = await ensureApiKey(plan).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestValidationError);
    expect((error as RequestValidationError).issues[0]?.path).toBe('apiKey.expiry');
    expect(writes()).toEqual([]);
  });

  it('a custom expiry date is the end of that day (UTC)', async () => {
    const now = new Date('2030-03-01T10:00:00Z');
    const { plan, exec } = planFor({ apiKey: { name: 'acme-dated', expiry: '2030-06-30' } });
    plan.extras.apiKey = { ...plan.extras.apiKey!, valueSecretName: `palette-onboarding/${TENANT}/dated-api-key` };
    const result = await ensureApiKey(plan, now);
    expect(result.expiresAt).toBe('2030-06-30T23:59:59.000Z');
    expect(Date.parse((await keyNamed('acme-dated'))?.spec.expiry ?? '')).toBe(Date.parse('2030-06-30T23:59:59Z'));
    const { apiKey } = await secretJson<{ apiKey: string }>(`palette-onboarding/${TENANT}/dated-api-key`);
    secretValues.push(apiKey);
    expect((await undoApiKey(plan, exec)).deleted).toHaveLength(2);
  });

  it('undo: another execution removes nothing; the creator revokes the key and removes the secret', async () => {
    const other = planFor({ apiKey: {} });
    const kept = await undoApiKey(other.plan, other.exec);
    expect(kept).toEqual({
      deleted: [],
      retained: [
        { id: `palette:api-key/${first.uid}`, reason: "API key 'acme-automation' was not created by this execution" },
        { id: first.arn, reason: 'not created by this execution' },
      ],
    });
    expect(await undoApiKey(first.plan, first.exec)).toEqual({ deleted: [`palette:api-key/${first.uid}`, first.arn], retained: [] });
    expect(await keyNamed('acme-automation')).toBeUndefined();
    expect(await secretExists(secretName)).toBe(false);
    expectAllAccepted();
  });
});

it('the services logged their work (so the secret checks after each test looked at real output)', () => {
  const text = logged.join('');
  for (const msg of ['Azure cloud account created', 'SSH key pair generated and stored', 'Palette API key created and its value stored']) {
    expect(text).toContain(msg);
  }
});
