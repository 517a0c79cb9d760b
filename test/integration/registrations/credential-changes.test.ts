/**
 * Credential changes (reconcile.ts, credentials.ts, kinds/api-key.ts; README "Credential changes", "API key
 * renewal"), against the sandbox's Secrets Manager and the Palette emulator:
 * - the fingerprint of the secret versions Palette was given: a new version is validated, then sent; a rejected one
 *   names the secret's field and changes nothing; an object without a fingerprint gets its credentials sent once;
 * - API key renewal inside the window, each state a crash can leave converging, the cases never renewed, and
 *   offboarding removing the keys under both names.
 */
import { describe, expect, it, vi } from 'vitest';
import { CREDENTIALS_FINGERPRINT_ANNOTATION } from '../../../lambdas/domain/credential-changes';
import { OwnershipError, RequestValidationError } from '../../../lambdas/shared/errors';
import { API_KEY_UID_TAG, RECONCILERS, undoAllRegistrations } from '../../../lambdas/services/registrations';
import { lookupContext } from '../../../lambdas/services/registrations/reconcile';
import {
  api,
  AZURE,
  createSecret,
  CREATED_BY_TAG,
  ensure,
  expectNoSecrets,
  failure,
  gcpKeyDocument,
  getJson,
  h,
  logText,
  MANAGED_BY_TAG,
  mark,
  newTenant,
  planFor,
  putSecret,
  rawCreate,
  rerun,
  secretJson,
  secretTags,
  secretValues,
  storedObject,
  TENANT_TAG,
  useSandbox,
  writesSince,
  WRITABLE_BUCKET,
} from './harness';
import { registry } from './fake-registry';

vi.mock('../../../lambdas/services/registry/tenant-registry', () => import('./fake-registry'));

useSandbox();

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const fingerprintOf = async (path: string, projectUid?: string) => (await getJson<Json>(path, projectUid)).metadata.annotations[CREDENTIALS_FINGERPRINT_ANNOTATION] as string;
const DAY = 86_400_000;
const daysFromNow = (d: number) => new Date(Date.now() + d * DAY);

describe('credentials Palette masks: the fingerprint of the secret versions', () => {
  it('a new version of the Azure secret is validated, then sent with the new fingerprint; the same version changes nothing', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { azure: { cloudAccount: { credentialsSecretArn: t.azureSecretArn } } });
    const first = await ensure('azureAccount', plan);
    const fp = await fingerprintOf(`/v1/cloudaccounts/azure/${first.uid}`);
    const m = mark();
    const same = await ensure('azureAccount', rerun(plan));
    const sameWrites = writesSince(m);
    const rotated = `${AZURE.clientSecret}-rotated`;
    secretValues.push(rotated);
    await putSecret(t.azureSecretArn, { tenantId: AZURE.tenantId, clientId: AZURE.clientId, clientSecret: rotated });
    const m2 = mark();
    // Act
    const changed = await ensure('azureAccount', rerun(plan));
    // Assess
    expect(fp).toMatch(/^v1:[A-Za-z0-9_-]{43}$/);
    expect(same).toMatchObject({ uid: first.uid, updated: false });
    expect(sameWrites).toEqual([]);
    expect(changed).toMatchObject({ uid: first.uid, created: false, updated: true });
    expect(writesSince(m2)).toEqual(['POST /v1/clouds/azure/account/validate 204', 'PUT /v1/cloudaccounts/azure/{uid} 204']);
    expect(h().sb.palette.storedSecret(first.uid, 'clientSecret')).toBe(rotated);
    const fp2 = await fingerprintOf(`/v1/cloudaccounts/azure/${first.uid}`);
    expect(fp2).toMatch(/^v1:/);
    expect(fp2).not.toBe(fp);
    expect(logText()).toContain('Palette registration updated (credentials changed)');
    expectNoSecrets(changed);
  });

  it('the re-run after an unchanged secret writes nothing', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { backupLocations: { gcp: { bucket: 'acme-gcs', projectId: 'acme-backups', credentialsSecretArn: t.gcpSecretArn } } });
    await ensure('gcpBackupLocation', plan);
    const m = mark();
    // Act
    const again = await ensure('gcpBackupLocation', rerun(plan));
    // Assess
    expect(again.updated).toBe(false);
    expect(writesSince(m)).toEqual([]);
  });

  it('a new GCP key and a new Azure location secret reach Palette, each validated first', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, {
      backupLocations: {
        gcp: { bucket: 'acme-gcs', projectId: 'acme-backups', credentialsSecretArn: t.gcpSecretArn },
        azure: {
          container: 'velero',
          storageAccount: 'acmebackups',
          resourceGroup: 'rg-backup',
          subscriptionId: AZURE.subscriptionId,
          credentialsSecretArn: t.azureBlobSecretArn,
        },
      },
    });
    const gcs = await ensure('gcpBackupLocation', plan);
    const blob = await ensure('azureBackupLocation', plan);
    const newKey = gcpKeyDocument({ private_key_id: 'b0b0b0b0b0b0', client_email: 'velero-2@acme-backups.iam.gserviceaccount.com' });
    await putSecret(t.gcpSecretArn, newKey);
    const rotated = `${AZURE.clientSecret}-blob-rotated`;
    secretValues.push(rotated);
    await putSecret(t.azureBlobSecretArn, { tenantId: AZURE.tenantId, clientId: AZURE.clientId, clientSecret: rotated });
    const m = mark();
    // Act
    const gcs2 = await ensure('gcpBackupLocation', rerun(plan));
    const blob2 = await ensure('azureBackupLocation', rerun(plan));
    // Assess
    expect([gcs2.updated, blob2.updated]).toEqual([true, true]);
    expect(writesSince(m)).toEqual([
      'POST /v1/clouds/gcp/bucketname/validate 204',
      'PUT /v1/users/assets/locations/gcp/{uid} 204',
      'POST /v1/clouds/azure/account/validate 204',
      'PUT /v1/users/assets/locations/azure/{uid} 204',
    ]);
    expect(h().sb.palette.storedSecret(gcs.uid, 'config.credentials.jsonCredentials')).toBe(newKey);
    expect(h().sb.palette.storedSecret(blob.uid, 'config.credentials.clientSecret')).toBe(rotated);
  });

  it('a new MinIO secret key for the same access key id is seen, probed first, and rejected naming the field: Palette unchanged', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, {
      backupLocations: { minio: { bucket: WRITABLE_BUCKET, s3Url: h().sb.aws.endpoint, credentialsSecretArn: t.minioSecretArn } },
    });
    const first = await ensure('minioBackupLocation', plan);
    const before = await storedObject(first.uid);
    const wrong = 'wRoNgSeCrEtKeYfOrThEsAmEaCcEsSkEyId0000';
    secretValues.push(wrong);
    await putSecret(t.minioSecretArn, { accessKeyId: h().minioKey.accessKeyId, secretAccessKey: wrong });
    const m = mark();
    // Act
    const error = await failure(ensure('minioBackupLocation', rerun(plan)));
    // Assess
    expect(error).toBeInstanceOf(RequestValidationError);
    const issues = (error as RequestValidationError).issues;
    expect(issues.map((i) => i.path)).toEqual(['backupLocations.minio.credentialsSecretArn']);
    expect(issues[0]?.message).toMatch(
      /^the secret has a new version whose credentials fail validation for MinIO backup location '.+' \(MinIO backup location check failed: s3:ListBucket \(HeadBucket\) .*\); nothing was changed in Palette$/,
    );
    expect(writesSince(m)).toEqual([]);
    expect(await storedObject(first.uid)).toEqual(before);
    expectNoSecrets(error);
    // The right secret again (another version): sent, the fingerprint follows.
    await putSecret(t.minioSecretArn, h().minioKey);
    expect((await ensure('minioBackupLocation', rerun(plan))).updated).toBe(true);
  });

  it('an object registered before fingerprints: its credentials are validated and sent once, then the fingerprint recorded', async () => {
    // Prepare: an Azure account without the annotation, as an earlier version of the workflow left it.
    const t = await newTenant();
    const plan = planFor(t.id, { azure: { cloudAccount: { credentialsSecretArn: t.azureSecretArn } } });
    const first = await ensure('azureAccount', plan);
    const view = await getJson<Json>(`/v1/cloudaccounts/azure/${first.uid}`);
    const { [CREDENTIALS_FINGERPRINT_ANNOTATION]: _fp, ...older } = view.metadata.annotations as Record<string, string>;
    expect((await api('PUT', `/v1/cloudaccounts/azure/${first.uid}`, { metadata: { ...view.metadata, annotations: older }, spec: view.spec })).status).toBe(204);
    const m = mark();
    // Act
    const sent = await ensure('azureAccount', rerun(plan));
    const m2 = mark();
    const again = await ensure('azureAccount', rerun(plan));
    // Assess
    expect(sent.updated).toBe(true);
    expect(writesSince(m)).toEqual(['POST /v1/clouds/azure/account/validate 204', 'PUT /v1/cloudaccounts/azure/{uid} 204']);
    expect(logText()).toContain('Palette registration updated (credentials sent, fingerprint recorded)');
    expect(await fingerprintOf(`/v1/cloudaccounts/azure/${first.uid}`)).toMatch(/^v1:/);
    expect(again.updated).toBe(false);
    expect(writesSince(m2)).toEqual([]);
  });
});

describe('API key renewal', () => {
  const secretName = (tenantId: string) => `palette-onboarding/${tenantId}/palette-api-key`;
  const keys = async (tenantId: string) =>
    (await getJson<{ items: Json[] }>('/v1/apiKeys')).items
      .filter((k) => String(k.metadata.name).startsWith(`${tenantId}-automation`))
      .map((k) => ({ name: k.metadata.name as string, uid: k.metadata.uid as string }));
  /** The stored value and uid (the value remembered as a secret that must never be logged). */
  async function stored(tenantId: string): Promise<{ apiKey: string; uid: string }> {
    const s = await secretJson<{ apiKey: string; uid: string }>(secretName(tenantId));
    secretValues.push(s.apiKey);
    return s;
  }
  /** A key of the tenant made the way an interrupted renewal leaves one: its marks, under `<name>-2`. */
  async function renewalLeftover(tenantId: string, creator: string, expiry: Date) {
    const created = await rawCreate('/v1/apiKeys', {
      metadata: { name: `${tenantId}-automation-2`, annotations: { [TENANT_TAG]: tenantId, [MANAGED_BY_TAG]: 'deploy-a', [CREATED_BY_TAG]: creator } },
      spec: { expiry: expiry.toISOString() },
    });
    secretValues.push(created.apiKey ?? 'unreachable');
    return { uid: created.uid, apiKey: created.apiKey ?? '' };
  }

  it('inside the window: a new key under <name>-2, stored, then the old one deleted; the next renewal goes back to <name>', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { apiKey: { expiry: '30d', description: 'CI' } });
    const first = await ensure('apiKey', plan);
    const firstValue = await stored(t.id);
    const m0 = mark();
    const notDue = await ensure('apiKey', rerun(plan), { now: daysFromNow(15) });
    const notDueWrites = writesSince(m0);
    const renewing = rerun(plan);
    const m = mark();
    // Act: 13 days before the expiry (the default window of a 30d key is 14 days).
    const renewed = await ensure('apiKey', renewing, { now: daysFromNow(17) });
    // Assess
    expect(notDue).toMatchObject({ uid: first.uid, updated: false });
    expect(notDueWrites).toEqual([]);
    expect(renewed).toEqual({
      uid: expect.any(String),
      name: `${t.id}-automation`,
      created: false,
      updated: true,
      valueSecretArn: first.valueSecretArn,
      expiresAt: expect.any(String),
    });
    expect(renewed.uid).not.toBe(first.uid);
    expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(Date.parse(first.expiresAt) + 16 * DAY);
    expect(writesSince(m)).toEqual(['POST /v1/apiKeys 201', 'DELETE /v1/apiKeys/{uid} 204']);
    expect(await keys(t.id)).toEqual([{ name: `${t.id}-automation-2`, uid: renewed.uid }]);
    const value = await stored(t.id);
    expect(value.uid).toBe(renewed.uid);
    expect(value.apiKey).not.toBe(firstValue.apiKey);
    expect(h().sb.palette.apiKeyAuthenticates(value.apiKey)).toBe(true);
    expect(h().sb.palette.apiKeyAuthenticates(firstValue.apiKey)).toBe(false);
    expect(await secretTags(secretName(t.id))).toMatchObject({ [API_KEY_UID_TAG]: renewed.uid, [CREATED_BY_TAG]: plan.executionName });
    const view = await getJson<Json>(`/v1/apiKeys/${renewed.uid}`);
    // The registration's marks (its creator stays the creator: compensation of the renewing run never deletes it).
    expect(view.metadata.annotations).toMatchObject({ description: 'CI', [TENANT_TAG]: t.id, [CREATED_BY_TAG]: plan.executionName });
    expect(registry.record(t.id)?.resources[`palette:tenant:api-key/${t.id}-automation`]).toMatchObject({ id: renewed.uid, createdBy: plan.executionName });
    expect(logText()).toContain('Palette API key renewed');
    expectNoSecrets(renewed);

    // The next run within the new key's life does nothing; one inside its window renews back to the first name.
    const m2 = mark();
    expect(await ensure('apiKey', rerun(plan), { now: daysFromNow(18) })).toMatchObject({ uid: renewed.uid, updated: false });
    expect(writesSince(m2)).toEqual([]);
    const back = await ensure('apiKey', rerun(plan), { now: daysFromNow(35) });
    expect(await keys(t.id)).toEqual([{ name: `${t.id}-automation`, uid: back.uid }]);
    expect((await stored(t.id)).uid).toBe(back.uid);
    // Compensation of a later failed run leaves the renewed key and its secret (not created by that execution).
    const undone = await undoAllRegistrations(rerun(plan));
    expect(undone.deleted).toEqual([]);
  });

  it('a crash after the new key was created, before it was stored: the leftover is deleted and the renewal done again', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { apiKey: { expiry: '30d' } });
    const first = await ensure('apiKey', plan);
    const leftover = await renewalLeftover(t.id, plan.executionName, daysFromNow(50));
    // While both exist, find (re-validation, verification, undo) reports the key that expires first: the stored one.
    const lookup = lookupContext('apiKey', plan);
    if (!lookup) throw new Error('no lookup');
    expect((await RECONCILERS.apiKey.find(lookup))?.uid).toBe(first.uid);
    const m = mark();
    // Act
    const renewed = await ensure('apiKey', rerun(plan), { now: daysFromNow(20) });
    // Assess
    expect(writesSince(m)).toEqual(['DELETE /v1/apiKeys/{uid} 204', 'POST /v1/apiKeys 201', 'DELETE /v1/apiKeys/{uid} 204']);
    expect((await api('GET', `/v1/apiKeys/${leftover.uid}`)).status).toBe(404);
    expect(await keys(t.id)).toEqual([{ name: `${t.id}-automation-2`, uid: renewed.uid }]);
    expect((await stored(t.id)).uid).toBe(renewed.uid);
    expect(logText()).toContain('Palette API key left by an interrupted renewal deleted (its value was never stored)');
  });

  it('a crash after the store (even before the tag), before the old key was deleted: the run finishes the renewal, creating nothing', async () => {
    // Prepare: the secret's current version holds the new key (its uid in the value); the tag still names the old one.
    const t = await newTenant();
    const plan = planFor(t.id, { apiKey: { expiry: '30d' } });
    const first = await ensure('apiKey', plan);
    const next = await renewalLeftover(t.id, plan.executionName, daysFromNow(50));
    await putSecret(secretName(t.id), { apiKey: next.apiKey, uid: next.uid });
    expect((await secretTags(secretName(t.id)))[API_KEY_UID_TAG]).toBe(first.uid);
    const m = mark();
    // Act: not due any more (the new key has 50 days).
    const result = await ensure('apiKey', rerun(plan));
    // Assess
    expect(result).toMatchObject({ uid: next.uid, created: false, updated: true });
    expect(writesSince(m)).toEqual(['DELETE /v1/apiKeys/{uid} 204']);
    expect(await keys(t.id)).toEqual([{ name: `${t.id}-automation-2`, uid: next.uid }]);
    expect(h().sb.palette.apiKeyAuthenticates(next.apiKey)).toBe(true);
    expect(logText()).toContain('Palette API key renewal finished: the old key is deleted');
  });

  it("a key that is not the tenant's under <name>-2 is never deleted or reused: the renewal fails with OwnershipError, nothing changed", async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { apiKey: { expiry: '30d' } });
    const first = await ensure('apiKey', plan);
    const value = await stored(t.id);
    const foreign = await rawCreate('/v1/apiKeys', { metadata: { name: `${t.id}-automation-2` }, spec: {} });
    secretValues.push(foreign.apiKey ?? 'unreachable');
    const m = mark();
    // Act
    const error = await failure(ensure('apiKey', rerun(plan), { now: daysFromNow(20) }));
    // Assess
    expect(error).toBeInstanceOf(OwnershipError);
    expect(error.message).toBe(
      `Palette API key '${t.id}-automation-2' (${foreign.uid}) is not tenant '${t.id}''s, and the API key '${t.id}-automation' needs that name ` +
        `for its new key (renewed keys alternate between '${t.id}-automation' and '${t.id}-automation-2'); delete or rename it; nothing was changed`,
    );
    expect(writesSince(m)).toEqual([]);
    expect((await keys(t.id)).map((k) => k.uid).sort()).toEqual([first.uid, foreign.uid].sort());
    expect(await stored(t.id)).toEqual(value);
    // find never takes it for the tenant's key.
    const lookup = lookupContext('apiKey', plan);
    if (!lookup) throw new Error('no lookup');
    expect((await RECONCILERS.apiKey.find(lookup))?.uid).toBe(first.uid);
  });

  it('never renewed: a deactivated key, window 0, an adopted key, a fixed expiry date that has not moved', async () => {
    // Prepare
    const inactive = await newTenant();
    const inactivePlan = planFor(inactive.id, { apiKey: { expiry: '30d' } });
    const k1 = await ensure('apiKey', inactivePlan);
    expect((await api('PATCH', `/v1/apiKeys/${k1.uid}`, { isActive: false })).status).toBe(204);
    const off = await newTenant();
    const offPlan = planFor(off.id, { apiKey: { expiry: '30d', renewWithinDays: 0 } });
    await ensure('apiKey', offPlan);
    const adopted = await newTenant();
    const raw = await rawCreate('/v1/apiKeys', { metadata: { name: `${adopted.id}-automation` }, spec: { expiry: daysFromNow(5).toISOString() } });
    secretValues.push(raw.apiKey ?? 'unreachable');
    await createSecret(secretName(adopted.id), { apiKey: raw.apiKey }, { [API_KEY_UID_TAG]: raw.uid });
    const adoptedPlan = planFor(adopted.id, { apiKey: { adopt: true } });
    await ensure('apiKey', adoptedPlan);
    const fixed = await newTenant();
    const fixedPlan = planFor(fixed.id, { apiKey: { expiry: '2030-06-30' } });
    await ensure('apiKey', fixedPlan, { now: new Date('2030-03-01T00:00:00Z') });
    const m = mark();
    // Act
    await ensure('apiKey', rerun(inactivePlan), { now: daysFromNow(20) });
    await ensure('apiKey', rerun(offPlan), { now: daysFromNow(29) });
    await ensure('apiKey', rerun(adoptedPlan));
    await ensure('apiKey', rerun(fixedPlan), { now: new Date('2030-06-25T00:00:00Z') });
    // Assess
    expect(writesSince(m)).toEqual([]);
    expect(logText()).toContain('Palette API key is inactive or expired; it is left as is');
    expect(logText()).toContain('Palette API key is due for renewal but adopted: an adopted key is never rotated');
    expect(logText()).toContain('Palette API key is due for renewal, but a key created now would not outlive it: set a later apiKey.expiry');
  });

  it('offboarding removes the keys under both names and the secret', async () => {
    // Prepare: an interrupted renewal left a second key.
    const t = await newTenant();
    const plan = planFor(t.id, { apiKey: { expiry: '30d' } });
    const first = await ensure('apiKey', plan);
    const leftover = await renewalLeftover(t.id, plan.executionName, daysFromNow(50));
    const offboarding = rerun(plan);
    registry.acquire(t.id, offboarding.executionName);
    // Act
    const result = await undoAllRegistrations(offboarding, { mode: 'offboarding', deleteBucket: false, purgeBucket: false, secretRecoveryDays: 7 });
    // Assess
    expect(result.deleted).toEqual([`palette:api-key/${first.uid}`, `palette:api-key/${leftover.uid}`, first.valueSecretArn]);
    expect(await keys(t.id)).toEqual([]);
  });
});
