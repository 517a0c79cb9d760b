/**
 * The optional Palette SSH key (issue 6), in the request's scope (project or tenant), idempotent by name and
 * content. Either the request's public key is uploaded as is, or an RSA key pair is generated (only RSA works
 * for AKS); its private key goes straight to Secrets Manager (home account) before the public key is uploaded,
 * and a re-run reuses the stored pair instead of generating a new one. Private key material never appears in
 * results, logs or errors.
 */
import { createPrivateKey, createPublicKey, generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { ExtrasPlan } from '../../domain/extras';
import { opensshRsaPublicKey, parseOpenSshPublicKey, sameOpenSshKey, sshFingerprint } from '../../domain/ssh';
import type { Plan, RegistrationResult } from '../../domain/workflow-state';
import { ConfigurationError, RequestValidationError, SshKeyConflictError, StateInputError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import { describeSecret, ensureSecretValue, readSecretJson, undoSecretCreatedBy } from '../../shared/secrets';
import type { UndoResult } from '../aws/bucket';
import type { SshKey } from '../palette';
import { annotationsConverged, createdByExecution, managedForTenant, ownedAnnotations } from './owned-annotations';
import { paletteScope } from './palette';

const generateKeyPairAsync = promisify(generateKeyPair);

export const DEFAULT_SSH_KEY_BITS = 4096;

export interface SshKeyResult extends RegistrationResult {
  /** The secret holding the generated private key (absent for a supplied public key). */
  privateKeySecretArn?: string;
  /** OpenSSH SHA-256 fingerprint of the uploaded key (`SHA256:...`). */
  fingerprint: string;
}

/** What the private-key secret holds: the PEM private key (PKCS#1) and its OpenSSH public key line. */
const StoredKeyPairSchema = z.object({ privateKey: z.string().min(1), publicKey: z.string().optional() });

type SshKeyPlan = NonNullable<ExtrasPlan['sshKey']>;

function sshPlan(plan: Plan): SshKeyPlan {
  const want = plan.extras.sshKey;
  if (!want) throw new StateInputError('the plan has no extras.sshKey: this step runs only when the request has sshKey');
  return want;
}

/** The OpenSSH public key line of an RSA private key (PEM), or a ConfigurationError naming the secret. */
function publicKeyOf(privateKeyPem: string, secret: string, comment: string): string {
  let jwk: { n?: string; e?: string; kty?: string };
  try {
    jwk = createPublicKey(createPrivateKey(privateKeyPem)).export({ format: 'jwk' });
  } catch {
    throw new ConfigurationError(`Secret ${secret} does not hold a readable PEM private key`);
  }
  if (jwk.kty !== 'RSA' || !jwk.n || !jwk.e) throw new ConfigurationError(`Secret ${secret} does not hold an RSA private key`);
  return opensshRsaPublicKey({ n: jwk.n, e: jwk.e }, comment);
}

/** The key pair already stored for this SSH key, if any (its public part is derived from the private key). */
async function storedKeyPair(want: SshKeyPlan): Promise<{ arn: string; publicKey: string } | undefined> {
  const secret = await describeSecret(want.privateKeySecretName);
  if (!secret?.ARN) return undefined;
  const stored = await readSecretJson(secret.ARN, StoredKeyPairSchema);
  return { arn: secret.ARN, publicKey: publicKeyOf(stored.privateKey, secret.ARN, want.name) };
}

/** Generates an RSA key pair and stores it in Secrets Manager; returns the public key line and the secret ARN. */
async function generateAndStore(plan: Plan, want: SshKeyPlan): Promise<{ arn: string; publicKey: string }> {
  const bits = want.generateBits ?? DEFAULT_SSH_KEY_BITS;
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', { modulusLength: bits });
  const jwk = publicKey.export({ format: 'jwk' });
  if (!jwk.n || !jwk.e) throw new Error('generated RSA key has no modulus or exponent');
  const line = opensshRsaPublicKey({ n: jwk.n, e: jwk.e }, want.name);
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const { arn, created } = await ensureSecretValue({
    name: want.privateKeySecretName,
    value: { privateKey: pem, publicKey: line },
    tags: plan.tags,
    description: `Private key (PEM, PKCS#1) of the Palette SSH key '${want.name}' (palette-onboarding)`,
  });
  logger.info('SSH key pair generated and stored', { name: want.name, bits, secretArn: arn, secretCreated: created, fingerprint: sshFingerprint(line) });
  return { arn, publicKey: line };
}

const conflict = (want: SshKeyPlan, uid: string, why: string) =>
  new SshKeyConflictError(
    `Palette SSH key '${want.name}' (${uid}) was not created by palette-onboarding for this tenant and ${why}; ` +
      'give its public key as sshKey.publicKey, or choose another sshKey.name',
  );

export async function ensureSshKey(plan: Plan): Promise<SshKeyResult> {
  const want = sshPlan(plan);
  if (want.publicKey !== undefined && !parseOpenSshPublicKey(want.publicKey)) {
    throw new RequestValidationError([{ path: 'sshKey.publicKey', message: 'is not a valid OpenSSH public key (the key data does not match its type)' }]);
  }
  const keys = paletteScope(plan).sshKeys;
  const name = want.name;
  const found = await keys.findByName(name);
  const current: SshKey | undefined = found?.metadata?.uid ? await keys.get(found.metadata.uid) : undefined;
  const uid = found?.metadata?.uid;
  const currentKey = current?.spec?.publicKey;
  const currentAnnotations = current?.metadata?.annotations ?? found?.metadata?.annotations;
  const ours = managedForTenant(currentAnnotations, plan);

  let publicKey: string;
  let privateKeySecretArn: string | undefined;
  if (want.publicKey !== undefined) {
    publicKey = want.publicKey.trim();
  } else {
    const stored = await storedKeyPair(want);
    if (stored) {
      // Never generate a new pair on a re-run: the stored pair is the one Palette must hold.
      if (uid && !ours && !sameOpenSshKey(currentKey, stored.publicKey)) {
        throw conflict(want, uid, `differs from the key pair in secret ${stored.arn}`);
      }
    } else if (uid && !ours) {
      throw conflict(want, uid, `secret ${want.privateKeySecretName} holds no private key for it`);
    }
    const pair = stored ?? (await generateAndStore(plan, want));
    publicKey = pair.publicKey;
    privateKeySecretArn = pair.arn;
  }

  const fingerprint = sshFingerprint(publicKey);
  const extra = privateKeySecretArn ? { privateKeySecretArn } : {};
  if (!uid) {
    const created = await keys.create({ metadata: { name, annotations: ownedAnnotations(plan) }, spec: { publicKey } });
    logger.info('SSH key uploaded', { name, uid: created, fingerprint });
    return { uid: created, name, created: true, updated: false, fingerprint, ...extra };
  }
  const annotations = ownedAnnotations(plan, currentAnnotations ?? {});
  if (sameOpenSshKey(currentKey, publicKey) && annotationsConverged(currentAnnotations, annotations)) {
    return { uid, name, created: false, updated: false, fingerprint, ...extra };
  }
  await keys.update(uid, { metadata: { name, uid, annotations }, spec: { publicKey } });
  logger.info('SSH key updated', { name, uid, fingerprint, keyChanged: !sameOpenSshKey(currentKey, publicKey) });
  return { uid, name, created: false, updated: true, fingerprint, ...extra };
}

/** Deletes the Palette SSH key and the private-key secret, each only if this execution created it. */
export async function undoSshKey(plan: Plan, executionName: string): Promise<UndoResult> {
  const result: UndoResult = { deleted: [], retained: [] };
  const want = plan.extras.sshKey;
  if (!want) return result;
  const keys = paletteScope(plan).sshKeys;
  const found = await keys.findByName(want.name);
  const uid = found?.metadata?.uid;
  if (uid) {
    const id = `palette:ssh-key/${uid}`;
    const annotations = (await keys.get(uid)).metadata?.annotations ?? found.metadata?.annotations;
    if (createdByExecution(annotations, executionName)) {
      await keys.delete(uid);
      result.deleted.push(id);
    } else {
      result.retained.push({ id, reason: `SSH key '${want.name}' was not created by this execution` });
    }
  }
  const secret = await undoSecretCreatedBy(want.privateKeySecretName, executionName);
  if (secret.deleted) result.deleted.push(secret.deleted);
  if (secret.retained) result.retained.push(secret.retained);
  return result;
}
