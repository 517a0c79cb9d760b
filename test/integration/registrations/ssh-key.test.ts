/**
 * The SSH key (kinds/ssh-key.ts): a supplied public key uploaded as is, or a generated RSA pair whose private key
 * is stored in the tenant's secret BEFORE the upload and reused by every later run; an existing key is never given
 * a new pair (SshKeyConflictError); private key material never leaves the secret.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { resourceKey } from '../../../lambdas/domain/names';
import { opensshRsaPublicKey, sameOpenSshKey, sshFingerprint } from '../../../lambdas/domain/ssh';
import { OwnershipError, RequestValidationError, SshKeyConflictError } from '../../../lambdas/shared/errors';
import { registry } from './fake-registry';
import {
  api,
  callsSince,
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
  newPublicKey,
  newTenant,
  planFor,
  rawCreate,
  rerun,
  secretExists,
  secretJson,
  secretTags,
  secretValues,
  secretVersion,
  TENANT_TAG,
  undo,
  useSandbox,
  writesSince,
} from './harness';

vi.mock('../../../lambdas/services/registry/tenant-registry', () => import('./fake-registry'));

useSandbox();

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const secretName = (tenantId: string) => `palette-onboarding/${tenantId}/ssh-private-key`;
const keyView = (uid: string, projectUid?: string) => getJson<Json>(`/v1/users/assets/sshkeys/${uid}`, projectUid);

/** A key pair as the workflow stores it (PEM PKCS#1 private key + OpenSSH public line). */
function keyPair(comment: string) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const line = opensshRsaPublicKey(publicKey.export({ format: 'jwk' }) as { n: string; e: string }, comment);
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  secretValues.push(pem.split('\n')[1] ?? 'unreachable');
  return { privateKey: pem, publicKey: line };
}

describe('generated key pair', () => {
  it('RSA 4096 by default: the private key is stored first, the public key uploaded; only the secret ARN is returned', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { sshKey: {} });
    const m = mark();
    // Act
    const result = await ensure('sshKey', plan);
    // Assess
    expect(plan.registrations.sshKey?.generateBits).toBe(4096);
    expect(result).toEqual({
      uid: expect.any(String),
      name: `${t.id}-ssh`,
      created: true,
      updated: false,
      fingerprint: expect.stringMatching(/^SHA256:[A-Za-z0-9+/]{43}$/),
      privateKeySecretArn: expect.stringContaining(`:secret:${secretName(t.id)}`),
    });
    expectNoSecrets(result);
    expect(writesSince(m)).toEqual(['POST /v1/users/assets/sshkeys 201']);
    const pair = await secretJson<{ privateKey: string; publicKey: string }>(secretName(t.id));
    secretValues.push(pair.privateKey.split('\n')[1] ?? 'unreachable');
    expect(pair.privateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    const jwk = createPublicKey(createPrivateKey(pair.privateKey)).export({ format: 'jwk' });
    expect(Buffer.from(jwk.n ?? '', 'base64url').length * 8).toBe(4096);
    expect(pair.publicKey).toBe(`${opensshRsaPublicKey({ n: jwk.n ?? '', e: jwk.e ?? '' })} ${t.id}-ssh`);
    const key = await keyView(result.uid);
    expect(key.spec.publicKey).toBe(pair.publicKey);
    expect(sshFingerprint(pair.publicKey)).toBe(result.fingerprint);
    expect(key.metadata.annotations).toMatchObject({ [CREATED_BY_TAG]: plan.executionName, [TENANT_TAG]: t.id });
    expect(await secretTags(secretName(t.id))).toMatchObject({ [CREATED_BY_TAG]: plan.executionName, [TENANT_TAG]: t.id, [MANAGED_BY_TAG]: 'deploy-a' });
    const secretKey = resourceKey.secret(h().sb.aws.accountId, secretName(t.id));
    expect(registry.record(t.id)?.resources[secretKey]).toMatchObject({ part: 'sshPrivateKeySecret', createdBy: plan.executionName });
    expect(logText()).toContain('SSH key pair generated and stored');
  });

  it('a re-run reuses the stored pair: no new key, no new secret version, no Palette write', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { sshKey: { generate: { bits: 2048 } } });
    const first = await ensure('sshKey', plan);
    const version = await secretVersion(secretName(t.id));
    const m = mark();
    // Act
    const again = await ensure('sshKey', rerun(plan));
    // Assess
    expect(again).toEqual({ ...first, created: false });
    expect(await secretVersion(secretName(t.id))).toBe(version);
    expect(writesSince(m)).toEqual([]);
  });

  it('a deleted Palette key is uploaded again from the stored pair (same fingerprint, same secret version)', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { sshKey: { generate: { bits: 2048 } } });
    const first = await ensure('sshKey', plan);
    expect((await api('DELETE', `/v1/users/assets/sshkeys/${first.uid}`)).status).toBe(204);
    const version = await secretVersion(secretName(t.id));
    const m = mark();
    // Act
    const result = await ensure('sshKey', rerun(plan));
    // Assess
    expect(result).toMatchObject({ created: true, fingerprint: first.fingerprint, privateKeySecretArn: first.privateKeySecretArn });
    expect(await secretVersion(secretName(t.id))).toBe(version);
    expect(writesSince(m)).toEqual(['POST /v1/users/assets/sshkeys 201']);
  });

  it('a key of the tenant that drifted from the stored pair is put back', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { sshKey: { generate: { bits: 2048 } } });
    const first = await ensure('sshKey', plan);
    const view = await keyView(first.uid);
    await api('PUT', `/v1/users/assets/sshkeys/${first.uid}`, { metadata: view.metadata, spec: { publicKey: newPublicKey() } });
    const m = mark();
    // Act
    const result = await ensure('sshKey', rerun(plan));
    // Assess
    expect(result).toEqual({ ...first, created: false, updated: true });
    expect(writesSince(m)).toEqual(['PUT /v1/users/assets/sshkeys/{uid} 204']);
    const stored = await secretJson<{ publicKey: string }>(secretName(t.id));
    expect(sameOpenSshKey((await keyView(first.uid)).spec.publicKey, stored.publicKey)).toBe(true);
  });

  it("the tenant's key whose private key is lost: SshKeyConflictError, no new pair, nothing written", async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { sshKey: { generate: { bits: 2048 } } });
    const first = await ensure('sshKey', plan);
    await deleteSecretIfAny(secretName(t.id));
    const before = await keyView(first.uid);
    const m = mark();
    // Act
    const error = await failure(ensure('sshKey', rerun(plan)));
    // Assess
    expect(error).toBeInstanceOf(SshKeyConflictError);
    expect(error.message).toBe(
      `Palette SSH key '${t.id}-ssh' (${first.uid}) cannot be matched with a key pair this deployment holds: secret ${secretName(t.id)} ` +
        'holds no private key for it; no new key pair is generated for an existing key: give its public key as sshKey.publicKey, or choose another sshKey.name',
    );
    expect(writesSince(m)).toEqual([]);
    expect(await secretExists(secretName(t.id))).toBe(false);
    expect(await keyView(first.uid)).toEqual(before);
  });

  it('an adopted key without a stored pair: SshKeyConflictError, no secret created, the key unchanged', async () => {
    // Prepare
    const t = await newTenant();
    const foreign = newPublicKey('someone');
    const { uid } = await rawCreate('/v1/users/assets/sshkeys', { metadata: { name: 'ops-key' }, spec: { publicKey: foreign } });
    const plan = planFor(t.id, { sshKey: { name: 'ops-key', generate: { bits: 2048 }, adopt: true } });
    const m = mark();
    // Act
    const error = await failure(ensure('sshKey', plan));
    // Assess
    expect(error).toBeInstanceOf(SshKeyConflictError);
    expect(error.message).toMatch(/^Palette SSH key 'ops-key' \(\w+\) cannot be matched with a key pair this deployment holds/);
    expect(await secretExists(secretName(t.id))).toBe(false);
    expect(writesSince(m)).toEqual([]);
    expect((await keyView(uid)).spec.publicKey).toBe(foreign);
    await api('DELETE', `/v1/users/assets/sshkeys/${uid}`);
  });

  it('an adopted key that is the stored pair: adopted with the secret (neither gets created-by; undo keeps both)', async () => {
    // Prepare
    const t = await newTenant();
    const pair = keyPair(`${t.id}-ssh`);
    await createSecret(secretName(t.id), pair);
    const { uid } = await rawCreate('/v1/users/assets/sshkeys', { metadata: { name: `${t.id}-ssh` }, spec: { publicKey: pair.publicKey } });
    const plan = planFor(t.id, { sshKey: { adopt: true } });
    // Act
    const result = await ensure('sshKey', plan);
    const undone = await undo(plan, 'sshKey');
    // Assess
    expect(result).toMatchObject({ uid, created: false, updated: true, adopted: true, fingerprint: sshFingerprint(pair.publicKey) });
    expect((await keyView(uid)).metadata.annotations[CREATED_BY_TAG]).toBeUndefined();
    const secretKey = resourceKey.secret(h().sb.aws.accountId, secretName(t.id));
    expect(registry.record(t.id)?.resources[secretKey]).toMatchObject({ adopted: true });
    expect(undone.deleted).toEqual([]);
    expect(undone.retained.map((r) => r.reason)).toEqual([`SSH key '${t.id}-ssh' was not created by this execution`, 'was not created by this execution']);
    expect(await secretExists(secretName(t.id))).toBe(true);
  });

  it("a stored pair in another deployment's secret is never used: OwnershipError, nothing uploaded", async () => {
    // Prepare
    const t = await newTenant();
    await createSecret(secretName(t.id), keyPair(`${t.id}-ssh`), { [TENANT_TAG]: t.id, [MANAGED_BY_TAG]: 'deploy-b' });
    const plan = planFor(t.id, { sshKey: {} });
    const m = mark();
    // Act
    const error = await failure(ensure('sshKey', plan));
    // Assess
    expect(error).toBeInstanceOf(OwnershipError);
    expect(error.message).toContain(`secret '${secretName(t.id)}' is managed by another palette-onboarding deployment ('deploy-b'`);
    expect(writesSince(m)).toEqual([]);
  });

  it('undo: another execution removes nothing; the creator removes the key it uploaded and the secret it created', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { sshKey: { generate: { bits: 2048 } } });
    const first = await ensure('sshKey', plan);
    // Act
    const byOther = await undo(rerun(plan), 'sshKey');
    const byCreator = await undo(plan, 'sshKey');
    // Assess
    expect(byOther.deleted).toEqual([]);
    expect(byOther.retained.map((r) => r.id)).toEqual([`palette:ssh-key/${first.uid}`, first.privateKeySecretArn]);
    expect(byCreator).toEqual({ deleted: [`palette:ssh-key/${first.uid}`, first.privateKeySecretArn], retained: [] });
    expect(await secretExists(secretName(t.id))).toBe(false);
  });
});

describe('supplied public key', () => {
  it('is uploaded as is; no private-key secret', async () => {
    // Prepare
    const t = await newTenant();
    const keyA = newPublicKey('alice@laptop');
    const plan = planFor(t.id, { sshKey: { publicKey: keyA } });
    // Act
    const result = await ensure('sshKey', plan);
    // Assess
    expect(result).toEqual({ uid: expect.any(String), name: `${t.id}-ssh`, created: true, updated: false, fingerprint: sshFingerprint(keyA) });
    expect((await keyView(result.uid)).spec.publicKey).toBe(keyA);
    expect(await secretExists(secretName(t.id))).toBe(false);
  });

  it('a re-run with only a different comment changes nothing', async () => {
    // Prepare
    const t = await newTenant();
    const keyA = newPublicKey('alice@laptop');
    const first = await ensure('sshKey', planFor(t.id, { sshKey: { publicKey: keyA } }));
    const m = mark();
    // Act
    const again = await ensure('sshKey', planFor(t.id, { sshKey: { publicKey: `${keyA.split(' ').slice(0, 2).join(' ')} renamed` } }));
    // Assess
    expect(again).toMatchObject({ uid: first.uid, created: false, updated: false });
    expect(writesSince(m)).toEqual([]);
  });

  it('a changed key is updated in place; created-by stays the creator', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { sshKey: { publicKey: newPublicKey('alice@laptop') } });
    const first = await ensure('sshKey', plan);
    const keyB = newPublicKey('bob@laptop');
    const m = mark();
    // Act
    const result = await ensure('sshKey', planFor(t.id, { sshKey: { publicKey: keyB } }));
    // Assess
    expect(result).toEqual({ uid: first.uid, name: `${t.id}-ssh`, created: false, updated: true, fingerprint: sshFingerprint(keyB) });
    expect(writesSince(m)).toEqual(['PUT /v1/users/assets/sshkeys/{uid} 204']);
    const key = await keyView(first.uid);
    expect(key.spec.publicKey).toBe(keyB);
    expect(key.metadata.annotations[CREATED_BY_TAG]).toBe(plan.executionName);
  });

  it('a key whose data does not match its type is a RequestValidationError; nothing is called', async () => {
    // Prepare
    const t = await newTenant();
    const blob = newPublicKey().split(' ')[1];
    const plan = planFor(t.id, { sshKey: { publicKey: `ssh-ed25519 ${blob}` } });
    const m = mark();
    // Act
    const error = await failure(ensure('sshKey', plan));
    // Assess
    expect(error).toBeInstanceOf(RequestValidationError);
    expect((error as RequestValidationError).issues[0]?.path).toBe('sshKey.publicKey');
    expect(callsSince(m)).toEqual([]);
  });

  it('project scope: the key goes to the project; undo removes it there', async () => {
    // Prepare
    const t = await newTenant();
    const projectUid = h().sb.palette.projectUid;
    const plan = planFor(t.id, { sshKey: { publicKey: newPublicKey() } }, { projectUid });
    // Act
    const result = await ensure('sshKey', plan);
    const listed = await h().palette.project(projectUid).sshKeys.findByName(`${t.id}-ssh`);
    const undone = await undo(plan, 'sshKey');
    // Assess
    expect(listed?.metadata?.uid).toBe(result.uid);
    expect(await h().palette.sshKeys.findByName(`${t.id}-ssh`)).toBeUndefined();
    expect(undone.deleted).toEqual([`palette:ssh-key/${result.uid}`]);
  });
});
