/**
 * The Palette API key (kinds/api-key.ts): tenant scope; the value, shown once, goes straight into the tenant's
 * secret (tagged with the key's uid) and never into a result or the log; a key of the tenant whose value is lost is
 * replaced; an adopted key whose value we do not hold is never rotated; an inactive key is reported and left alone.
 */
import { describe, expect, it, vi } from 'vitest';
import { ApiKeyConflictError, OwnershipError, RequestValidationError } from '../../../lambdas/shared/errors';
import { API_KEY_UID_TAG } from '../../../lambdas/services/registrations';
import { paletteFetch } from '../../../local/palette/http';
import {
  api,
  createSecret,
  CREATED_BY_TAG,
  deleteSecretIfAny,
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
  secretExists,
  secretJson,
  secretTags,
  secretValues,
  storedObject,
  TENANT_TAG,
  undo,
  useSandbox,
  writesSince,
} from './harness';

vi.mock('../../../lambdas/services/registry/tenant-registry', () => import('./fake-registry'));

useSandbox();

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const secretName = (tenantId: string) => `palette-onboarding/${tenantId}/palette-api-key`;
const keyView = (uid: string) => getJson<Json>(`/v1/apiKeys/${uid}`);
const keyNamed = async (name: string) => (await getJson<{ items: Json[] }>('/v1/apiKeys')).items.find((k) => k.metadata.name === name);
/** Reads the stored value (and remembers it as a secret that must never be logged). */
async function storedValue(tenantId: string): Promise<string> {
  const { apiKey } = await secretJson<{ apiKey: string }>(secretName(tenantId));
  secretValues.push(apiKey);
  return apiKey;
}

async function ownerUid(): Promise<string> {
  const key = await keyNamed('sandbox-default');
  return key?.spec.user.uid as string;
}

it('creates the key (description, owner, expiry), stores its value, returns only the secret ARN', async () => {
  // Prepare
  const t = await newTenant();
  const owner = await ownerUid();
  const plan = planFor(t.id, { apiKey: { description: 'CI automation', ownerUserUid: owner, expiry: '30d' } });
  const before = Date.now();
  const m = mark();
  // Act
  const result = await ensure('apiKey', plan);
  // Assess
  expect(result).toEqual({
    uid: expect.any(String),
    name: `${t.id}-automation`,
    created: true,
    updated: false,
    valueSecretArn: expect.stringContaining(`:secret:${secretName(t.id)}`),
    expiresAt: expect.any(String),
  });
  const expires = Date.parse(result.expiresAt);
  expect(expires - before).toBeGreaterThanOrEqual(30 * 86_400_000 - 5_000);
  expect(expires - before).toBeLessThanOrEqual(30 * 86_400_000 + 60_000);
  expect(writesSince(m)).toEqual(['POST /v1/apiKeys 201']);
  const value = await storedValue(t.id);
  expectNoSecrets(result);
  expect(await secretTags(secretName(t.id))).toMatchObject({
    [API_KEY_UID_TAG]: result.uid,
    [CREATED_BY_TAG]: plan.executionName,
    [TENANT_TAG]: t.id,
    [MANAGED_BY_TAG]: 'deploy-a',
  });
  // The stored value is a working key.
  expect((await paletteFetch(h().sb.palette.endpoint, 'GET', '/v1/apiKeys', { headers: { ApiKey: value } })).status).toBe(200);
  const key = await keyView(result.uid);
  expect(key.metadata.annotations).toMatchObject({ description: 'CI automation', [CREATED_BY_TAG]: plan.executionName, [TENANT_TAG]: t.id });
  expect(key.spec.user.uid).toBe(owner);
  expect(Date.parse(key.spec.expiry)).toBe(expires);
  expect(logText()).toContain('Palette API key value stored');
});

it('tenant scope even when the request names a project', async () => {
  // Prepare
  const t = await newTenant();
  const plan = planFor(t.id, { apiKey: {} }, { projectUid: h().sb.palette.projectUid });
  // Act
  const result = await ensure('apiKey', plan);
  // Assess
  expect((await keyNamed(`${t.id}-automation`))?.metadata.uid).toBe(result.uid);
  await storedValue(t.id);
});

it('a re-run changes nothing: same key, same stored value, no Palette write', async () => {
  // Prepare
  const t = await newTenant();
  const plan = planFor(t.id, { apiKey: { description: 'CI automation' } });
  const first = await ensure('apiKey', plan);
  const value = await storedValue(t.id);
  const m = mark();
  // Act
  const again = await ensure('apiKey', rerun(plan));
  // Assess
  expect(again).toEqual({ ...first, created: false, expiresAt: expect.any(String) });
  expect(Date.parse(again.expiresAt)).toBe(Date.parse(first.expiresAt));
  expect(await storedValue(t.id)).toBe(value);
  expect(writesSince(m)).toEqual([]);
});

it('a changed description is an annotation update, not a new key', async () => {
  // Prepare
  const t = await newTenant();
  const plan = planFor(t.id, { apiKey: { description: 'CI automation' } });
  const first = await ensure('apiKey', plan);
  await storedValue(t.id);
  const m = mark();
  // Act
  const result = await ensure('apiKey', planFor(t.id, { apiKey: { description: 'CI automation v2' } }));
  // Assess
  expect(result).toMatchObject({ uid: first.uid, created: false, updated: true, valueSecretArn: first.valueSecretArn });
  expect(writesSince(m)).toEqual(['PUT /v1/apiKeys/{uid} 204']);
  expect((await keyView(first.uid)).metadata.annotations).toMatchObject({ description: 'CI automation v2', [CREATED_BY_TAG]: plan.executionName });
});

it("the tenant's key whose value is lost is replaced (delete + create) and the new value stored", async () => {
  // Prepare
  const t = await newTenant();
  const plan = planFor(t.id, { apiKey: {} });
  const first = await ensure('apiKey', plan);
  await storedValue(t.id);
  await deleteSecretIfAny(secretName(t.id));
  const replacing = rerun(plan);
  const m = mark();
  // Act
  const result = await ensure('apiKey', replacing);
  // Assess
  expect(result).toMatchObject({ created: true, updated: true });
  expect(result.uid).not.toBe(first.uid);
  expect(writesSince(m)).toEqual(['DELETE /v1/apiKeys/{uid} 204', 'POST /v1/apiKeys 201']);
  await storedValue(t.id);
  expect(await secretTags(secretName(t.id))).toMatchObject({ [API_KEY_UID_TAG]: result.uid, [CREATED_BY_TAG]: replacing.executionName });
  expect((await api('GET', `/v1/apiKeys/${first.uid}`)).status).toBe(404);
  expect(logText()).toContain('Palette API key value is not stored; replacing the key');
});

describe("someone else's key is never rotated", () => {
  it('unmarked, not adopted: OwnershipError; nothing stored, the key unchanged', async () => {
    // Prepare
    const t = await newTenant();
    const { uid, apiKey } = await rawCreate('/v1/apiKeys', { metadata: { name: 'shared-key' }, spec: {} });
    secretValues.push(apiKey ?? 'unreachable');
    const before = await storedObject(uid);
    const plan = planFor(t.id, { apiKey: { name: 'shared-key' } });
    const m = mark();
    // Act
    const error = await failure(ensure('apiKey', plan));
    // Assess
    expect(error).toBeInstanceOf(OwnershipError);
    expect(error.message).toContain(`Palette API key 'shared-key' (${uid}) already exists and is not managed by palette-onboarding`);
    expect(writesSince(m)).toEqual([]);
    expect(await secretExists(secretName(t.id))).toBe(false);
    expect(await storedObject(uid)).toEqual(before);
    await api('DELETE', `/v1/apiKeys/${uid}`);
  });

  it('adopted, its value not held: ApiKeyConflictError; nothing stored, the key unchanged', async () => {
    // Prepare
    const t = await newTenant();
    const { uid, apiKey } = await rawCreate('/v1/apiKeys', { metadata: { name: `${t.id}-shared` }, spec: {} });
    secretValues.push(apiKey ?? 'unreachable');
    const before = await storedObject(uid);
    const plan = planFor(t.id, { apiKey: { name: `${t.id}-shared`, adopt: true } });
    const m = mark();
    // Act
    const error = await failure(ensure('apiKey', plan));
    // Assess
    expect(error).toBeInstanceOf(ApiKeyConflictError);
    expect(error.message).toBe(
      `Palette API key '${t.id}-shared' (${uid}) is adopted and its value is not in secret ${secretName(t.id)}; ` +
        'an adopted key is never rotated by this workflow: choose another apiKey.name, or delete the key first',
    );
    expect(writesSince(m)).toEqual([]);
    expect(await secretExists(secretName(t.id))).toBe(false);
    expect(await storedObject(uid)).toEqual(before);
  });
});

it('a key adopted by an earlier run whose value is lost later is still never rotated: ApiKeyConflictError', async () => {
  // Prepare: adopted with its value (held in the tenant's secret), then the secret is lost.
  const t = await newTenant();
  const { uid, apiKey } = await rawCreate('/v1/apiKeys', { metadata: { name: `${t.id}-automation` }, spec: {} });
  secretValues.push(apiKey ?? 'unreachable');
  await createSecret(secretName(t.id), { apiKey }, { [API_KEY_UID_TAG]: uid });
  const plan = planFor(t.id, { apiKey: { adopt: true } });
  const adopted = await ensure('apiKey', plan);
  await deleteSecretIfAny(secretName(t.id));
  const m = mark();
  // Act
  const error = await failure(ensure('apiKey', rerun(planFor(t.id, { apiKey: {} }))));
  // Assess
  expect(adopted).toMatchObject({ uid, adopted: true });
  expect(error).toBeInstanceOf(ApiKeyConflictError);
  expect(writesSince(m)).toEqual([]);
  expect((await keyView(uid)).metadata.uid).toBe(uid);
});

it("a value secret of another deployment: OwnershipError before a key is created (its value would be lost)", async () => {
  // Prepare
  const t = await newTenant();
  await createSecret(secretName(t.id), { apiKey: 'their-key-value' }, { [TENANT_TAG]: t.id, [MANAGED_BY_TAG]: 'deploy-b' });
  secretValues.push('their-key-value');
  const plan = planFor(t.id, { apiKey: {} });
  const m = mark();
  // Act
  const error = await failure(ensure('apiKey', plan));
  // Assess
  expect(error).toBeInstanceOf(OwnershipError);
  expect(error.message).toContain(`secret '${secretName(t.id)}' is managed by another palette-onboarding deployment`);
  expect(writesSince(m)).toEqual([]);
  expect(await keyNamed(`${t.id}-automation`)).toBeUndefined();
});

it('a custom expiry date in the past is a RequestValidationError; nothing is created', async () => {
  // Prepare
  const t = await newTenant();
  const plan = planFor(t.id, { apiKey: { expiry: '2020-01-01' } });
  const m = mark();
  // Act
  const error = await failure(ensure('apiKey', plan));
  // Assess
  expect(error).toBeInstanceOf(RequestValidationError);
  expect((error as RequestValidationError).issues[0]?.path).toBe('apiKey.expiry');
  expect(writesSince(m)).toEqual([]);
});

it('a custom expiry date is the end of that day (UTC)', async () => {
  // Prepare
  const t = await newTenant();
  const plan = planFor(t.id, { apiKey: { expiry: '2030-06-30' } });
  // Act
  const result = await ensure('apiKey', plan, { now: new Date('2030-03-01T10:00:00Z') });
  // Assess
  expect(result.expiresAt).toBe('2030-06-30T23:59:59.000Z');
  expect(Date.parse((await keyView(result.uid)).spec.expiry)).toBe(Date.parse('2030-06-30T23:59:59Z'));
  await storedValue(t.id);
});

it('an inactive key whose value we hold is reported and left alone', async () => {
  // Prepare
  const t = await newTenant();
  const plan = planFor(t.id, { apiKey: {} });
  const first = await ensure('apiKey', plan);
  await storedValue(t.id);
  expect((await api('PATCH', `/v1/apiKeys/${first.uid}`, { isActive: false })).status).toBe(204);
  const m = mark();
  // Act
  const again = await ensure('apiKey', rerun(plan));
  // Assess
  expect(again).toMatchObject({ uid: first.uid, created: false, updated: false });
  expect(writesSince(m)).toEqual([]);
  expect((await keyView(first.uid)).status.isActive).toBe(false);
  expect(logText()).toContain('Palette API key is inactive or expired; it is left as is');
});

it('undo: another execution removes nothing; the creator removes the key and the secret', async () => {
  // Prepare
  const t = await newTenant();
  const plan = planFor(t.id, { apiKey: {} });
  const first = await ensure('apiKey', plan);
  await storedValue(t.id);
  // Act
  const byOther = await undo(rerun(plan), 'apiKey');
  const byCreator = await undo(plan, 'apiKey');
  // Assess
  expect(byOther).toEqual({
    deleted: [],
    retained: [
      { id: `palette:api-key/${first.uid}`, reason: `Palette API key '${t.id}-automation' was not created by this execution` },
      { id: first.valueSecretArn, reason: 'was not created by this execution' },
    ],
  });
  expect(byCreator).toEqual({ deleted: [`palette:api-key/${first.uid}`, first.valueSecretArn], retained: [] });
  expect(await keyNamed(`${t.id}-automation`)).toBeUndefined();
  expect(await secretExists(secretName(t.id))).toBe(false);
});
