/**
 * Credential changes that reach Palette (README "Credential changes", "API key renewal"), on the sandbox through the
 * synthesized state machine: a rotated Azure client secret and a new GCP key reach Palette on the next run although
 * Palette masks both (the credentials' fingerprint), and an API key inside its renewal window is renewed (new key,
 * stored as the secret's current version, then the old key deleted) with no moment where the stored key is invalid:
 * checked after every AWS and Palette call of the renewing run, and again across a crash between the store and the
 * delete.
 */
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionNameFor } from '../../cli/request';
import { CREDENTIALS_FINGERPRINT_ANNOTATION } from '../../lambdas/domain/credential-changes';
import { CREATED_BY_TAG } from '../../lambdas/domain/names';
import { loadWorkflow, runOnboarding, type LocalRunResult, type LocalWorkflow, type RunOptions } from '../../local/runner';
import { paletteFetch } from '../../local/palette/http';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';

const TENANT = 'rotor';
const secretArn = (name: string) => `arn:aws:secretsmanager:us-east-1:000000000000:secret:palette-onboarding-credentials/${TENANT}/${name}`;
const request = {
  tenantId: TENANT,
  aws: { accountId: '616161616161', region: 'us-east-1', credentialMode: 'sts' },
  azure: { cloudAccount: { credentialsSecretArn: secretArn('azure-app') } },
  apiKey: { description: 'rotor automation', expiry: '30d' },
  backupLocations: { gcp: { bucket: 'rotor-velero-gcs', projectId: 'rotor-prod', credentialsSecretArn: secretArn('gcp-sa-key') } },
};
const VALUE_SECRET = `palette-onboarding/${TENANT}/palette-api-key`;

let sb: RunningLocalSandbox;
let workflow: LocalWorkflow;
let sm: SecretsManagerClient;

beforeAll(async () => {
  workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 100 } }, palette: { port: 0 }, env: {} });
  sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: sb.aws.endpoint, credentials: { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey } });
}, 300_000);
afterAll(async () => {
  await sb?.stop();
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const run = (n: number, opts: Partial<RunOptions> = {}): Promise<LocalRunResult> =>
  runOnboarding(request, { sandbox: sb, workflow, executionName: `${executionNameFor(request)}-run-${n}`, ...opts });
const secretJson = async (id: string): Promise<Json> => JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: id }))).SecretString ?? '{}') as Json;
const putSecret = (id: string, value: unknown) => sm.send(new PutSecretValueCommand({ SecretId: id, SecretString: JSON.stringify(value) }));
const api = (method: string, path: string, body?: unknown) =>
  paletteFetch(sb.palette.endpoint, method, path, { headers: { ApiKey: sb.palette.apiKey }, ...(body !== undefined ? { body } : {}) });

/** The tenant's Palette objects as the emulator stores them (secrets masked). */
function tenantState() {
  const t = (sb.palette.inspect() as { tenants: Json[] }).tenants[0] as Json;
  const items = Object.values(t.scopes as Record<string, Record<string, Json[]>>).flatMap((c) => Object.values(c).flat());
  const named = (name: string) => items.find((i) => i.name === name) as Json;
  const keys = (t.apiKeys as Json[]).filter((k) => String(k.name).startsWith(`${TENANT}-automation`));
  return { azure: named(`${TENANT}-azure`), gcs: named(`${TENANT}-gcs`), keys };
}
const liveKeyUids = () => tenantState().keys.filter((k) => k.isActive && Date.parse(k.expiry) > Date.now()).map((k) => String(k.uid));

/** Moves the tenant's current API key into its renewal window (2 days left; the default window of a 30d key is 14). */
async function nearExpiry(): Promise<{ value: string; uid: string }> {
  const stored = await secretJson(VALUE_SECRET);
  const expiry = new Date(Date.now() + 2 * 86_400_000).toISOString();
  expect((await api('PUT', `/v1/apiKeys/${stored.uid}`, { spec: { expiry } })).status).toBe(204);
  return { value: String(stored.apiKey), uid: String(stored.uid) };
}

/**
 * Watches every AWS and Palette call while `fn` runs: after each one (its side effect applied), which key the value
 * secret's current version holds (the old one until the store of the renewal, `PutSecretValue`; then the new one)
 * and whether that key is live in the emulator. The old value is checked literally (it authenticates).
 */
async function watchStoredKey(old: { value: string; uid: string }, fn: () => Promise<LocalRunResult>) {
  const seen: { call: string; puts: number; oldAuthenticates: boolean; live: string[] }[] = [];
  let puts = 0;
  const note = (call: string): void => {
    seen.push({ call, puts, oldAuthenticates: sb.palette.apiKeyAuthenticates(old.value), live: liveKeyUids() });
  };
  const offAws = sb.aws.onOperation((e) => {
    if (e.service === 'secretsmanager' && e.operation === 'PutSecretValue' && e.status < 300) puts++;
    note(`aws:${e.service}:${e.operation} ${e.status}`);
  });
  const offPalette = sb.palette.onOperation((e) => note(`palette:${e.method} ${e.template ?? e.path} ${e.status}`));
  try {
    const result = await fn();
    const now = await secretJson(VALUE_SECRET);
    return { result, seen, puts, stored: { value: String(now.apiKey), uid: String(now.uid) } };
  } finally {
    offAws();
    offPalette();
  }
}

/** Calls at which the value secret's current key was not a live key. */
const invalidMoments = (w: Awaited<ReturnType<typeof watchStoredKey>>, old: { uid: string }) =>
  w.seen.filter((s) => (s.puts === 0 ? !s.oldAuthenticates || !s.live.includes(old.uid) : !s.live.includes(w.stored.uid))).map((s) => s.call);

const everything = (r: LocalRunResult) => JSON.stringify({ history: r.history, output: r.output, events: r.events, logs: r.logs, invocations: r.invocations });

describe('credential changes reach Palette; an API key is renewed', () => {
  let first: LocalRunResult;
  beforeAll(async () => {
    first = await run(1);
  }, 120_000);

  it('the first run records the fingerprint of the credentials it gave Palette, never the secret', async () => {
    expect(first.errorMessage).toBeUndefined();
    expect(first.status).toBe('SUCCEEDED');
    const { azure, gcs, keys } = tenantState();
    const azureSecret = await secretJson(secretArn('azure-app'));
    expect(azure.annotations[CREDENTIALS_FINGERPRINT_ANNOTATION]).toMatch(/^v1:[A-Za-z0-9_-]{43}$/);
    expect(gcs.annotations[CREDENTIALS_FINGERPRINT_ANNOTATION]).toMatch(/^v1:[A-Za-z0-9_-]{43}$/);
    expect(sb.palette.storedSecret(azure.uid, 'clientSecret')).toBe(azureSecret.clientSecret);
    expect(JSON.stringify(azure)).not.toContain(azureSecret.clientSecret);
    expect(keys.map((k) => k.name)).toEqual([`${TENANT}-automation`]);
  });

  it('a rotated Azure client secret and a new GCP key reach Palette; the API key in its window is renewed, the stored key valid throughout', async () => {
    // Prepare: the user rotates both secrets; the API key comes within its renewal window.
    const before = tenantState();
    const azure = await secretJson(secretArn('azure-app'));
    const rotatedAzure = { ...azure, clientSecret: `rotated-${Date.now()}-azure-client-secret` };
    await putSecret(secretArn('azure-app'), rotatedAzure);
    const gcp = await secretJson(secretArn('gcp-sa-key'));
    const rotatedGcp = { ...gcp, private_key_id: 'f00dfeedfacecafe0123456789abcdef' };
    await putSecret(secretArn('gcp-sa-key'), rotatedGcp);
    const old = await nearExpiry();

    // Act
    const w = await watchStoredKey(old, () => run(2));

    // Assess: the run updated both registrations with the new credentials (validated first) ...
    expect(w.result.errorMessage).toBeUndefined();
    expect(w.result.status).toBe('SUCCEEDED');
    expect(w.result.output).toMatchObject({ azureAccount: { created: false, updated: true }, gcpBackupLocation: { created: false, updated: true } });
    const after = tenantState();
    expect(sb.palette.storedSecret(after.azure.uid, 'clientSecret')).toBe(rotatedAzure.clientSecret);
    expect(JSON.parse(sb.palette.storedSecret(after.gcs.uid, 'config.credentials.jsonCredentials') ?? '{}')).toEqual(rotatedGcp);
    expect(after.azure.annotations[CREDENTIALS_FINGERPRINT_ANNOTATION]).not.toBe(before.azure.annotations[CREDENTIALS_FINGERPRINT_ANNOTATION]);
    expect(after.gcs.annotations[CREDENTIALS_FINGERPRINT_ANNOTATION]).not.toBe(before.gcs.annotations[CREDENTIALS_FINGERPRINT_ANNOTATION]);
    const calls = w.seen.map((s) => s.call);
    const at = (call: string) => calls.indexOf(call);
    expect(at('palette:POST /v1/clouds/azure/account/validate 204')).toBeGreaterThanOrEqual(0);
    expect(at('palette:POST /v1/clouds/azure/account/validate 204')).toBeLessThan(at('palette:PUT /v1/cloudaccounts/azure/{uid} 204'));
    expect(at('palette:POST /v1/clouds/gcp/bucketname/validate 204')).toBeLessThan(at('palette:PUT /v1/users/assets/locations/gcp/{uid} 204'));

    // ... and renewed the API key: a new key under the other name, stored, then the old one deleted.
    expect(w.result.output).toMatchObject({ apiKey: { name: `${TENANT}-automation`, created: false, updated: true, uid: w.stored.uid } });
    expect(w.stored.uid).not.toBe(old.uid);
    expect(after.keys.map((k) => [k.name, k.uid])).toEqual([[`${TENANT}-automation-2`, w.stored.uid]]);
    expect(Date.parse(String(after.keys[0]?.expiry)) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect(w.puts).toBe(1);
    expect(at('palette:POST /v1/apiKeys 201')).toBeLessThan(calls.findIndex((c) => c.startsWith('aws:secretsmanager:PutSecretValue')));
    expect(calls.findIndex((c) => c.startsWith('aws:secretsmanager:PutSecretValue'))).toBeLessThan(at('palette:DELETE /v1/apiKeys/{uid} 204'));
    expect(sb.palette.apiKeyAuthenticates(w.stored.value)).toBe(true);
    expect(sb.palette.apiKeyAuthenticates(old.value)).toBe(false);
    const renewed = (await api('GET', `/v1/apiKeys/${w.stored.uid}`)).json as Json;
    expect(renewed.metadata.annotations).toMatchObject({ description: 'rotor automation', [CREATED_BY_TAG]: first.executionName });
    // The stored key was a live key after every call of the run (old before the store, new after it).
    expect(w.seen.length).toBeGreaterThan(50);
    expect(invalidMoments(w, old)).toEqual([]);
    // No secret value anywhere in the run's record.
    for (const secret of [rotatedAzure.clientSecret, old.value, w.stored.value, sb.palette.apiKey]) expect(everything(w.result)).not.toContain(secret);
  }, 120_000);

  it('a crash between storing the renewed key and deleting the old one: the retry finishes the renewal, the stored key valid throughout', async () => {
    // Prepare
    const old = await nearExpiry();

    // Act: the EnsureApiKey invocation dies right after PutSecretValue (the tag naming the new key not written yet).
    const w = await watchStoredKey(old, () => run(3, { crashes: [{ after: 'aws:secretsmanager:PutSecretValue', function: 'ensure-api-key' }], recordCalls: true }));

    // Assess
    expect(w.result.errorMessage).toBeUndefined();
    expect(w.result.status).toBe('SUCCEEDED');
    expect(w.result.crashes).toEqual([expect.objectContaining({ function: 'ensure-api-key', after: 'aws:secretsmanager:PutSecretValue' })]);
    const apiKeyCalls = (w.result.calls ?? []).filter((c) => c.function === 'ensure-api-key' && c.status < 300).map((c) => c.operation);
    // One key created, stored once; the retry deleted the old key and created nothing.
    expect(apiKeyCalls.filter((c) => c === 'palette:POST /v1/apiKeys')).toHaveLength(1);
    expect(apiKeyCalls.filter((c) => c === 'aws:secretsmanager:PutSecretValue')).toHaveLength(1);
    expect(apiKeyCalls.filter((c) => c === 'palette:DELETE /v1/apiKeys/{uid}')).toHaveLength(1);
    expect(tenantState().keys.map((k) => [k.name, k.uid])).toEqual([[`${TENANT}-automation`, w.stored.uid]]);
    expect(w.result.output).toMatchObject({ apiKey: { uid: w.stored.uid, updated: true }, azureAccount: { updated: false }, gcpBackupLocation: { updated: false } });
    expect(sb.palette.apiKeyAuthenticates(w.stored.value)).toBe(true);
    expect(invalidMoments(w, old)).toEqual([]);
  }, 120_000);
});
