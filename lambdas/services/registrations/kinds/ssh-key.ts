/**
 * The SSH key, in the request's scope. Either the request's public key is uploaded as is, or an RSA key pair is
 * generated (only RSA works for AKS): its private key goes to the tenant's secret (home account) BEFORE the public
 * key is uploaded, and every later run reuses the stored pair. An existing key is never given a new pair: when it
 * cannot be matched with a key pair this deployment holds, the run stops with SshKeyConflictError. Private key
 * material never appears in results, logs or errors.
 */
import { createPrivateKey, createPublicKey, generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import * as z from 'zod';
import { resourceKey } from '../../../domain/names';
import { opensshRsaPublicKey, parseOpenSshPublicKey, sameOpenSshKey, sshFingerprint } from '../../../domain/ssh';
import { ConfigurationError, RequestValidationError, SshKeyConflictError } from '../../../shared/errors';
import { logger } from '../../../shared/logger';
import { describeSecret, readSecretJson } from '../../../shared/secrets';
import { UNDO_REGISTRATIONS_SECRET_JOB } from '../../../domain/secret-access';
import { ensureTenantSecret, undoTenantSecret } from '../../aws/tenant-secret';
import type { SshKey } from '../../palette';
import { isAdopted } from '../adopted';
import { kindSecretJob, kindSecrets } from '../secrets';
import type { KindContext, Reconciler } from '../types';

const generateKeyPairAsync = promisify(generateKeyPair);

export const DEFAULT_SSH_KEY_BITS = 4096;
/** Registry part of the private-key secret. */
export const SSH_PRIVATE_KEY_SECRET_PART = 'sshPrivateKeySecret';

/** What the private-key secret holds: the PEM private key (PKCS#1) and its OpenSSH public key line. */
const StoredKeyPairSchema = z.object({ privateKey: z.string().min(1), publicKey: z.string().optional() });

interface SshDesired {
  /** The public key line Palette should hold (undefined until resolved, for a generated pair). */
  publicKey?: string;
  /** The secret of the generated pair. */
  privateKeySecretArn?: string;
}

type Ctx = KindContext<'sshKey'>;

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

/**
 * The key pair already stored for this SSH key, if any. The secret is used under the ownership rule (another
 * tenant's or deployment's secret of that name is never read) and recorded as the tenant's.
 */
async function storedKeyPair(ctx: Ctx): Promise<{ arn: string; publicKey: string } | undefined> {
  const name = ctx.entry.privateKeySecretName;
  const sm = kindSecrets(ctx);
  const secret = await describeSecret(name, sm);
  // A secret deleted with a recovery window (offboarding) holds no usable pair: a new one is generated and stored in it.
  if (!secret?.ARN || secret.DeletedDate !== undefined) return undefined;
  const key = resourceKey.secret(ctx.plan.homeAccountId, name);
  const tags = Object.fromEntries((secret.Tags ?? []).filter((t) => t.Key !== undefined).map((t) => [t.Key as string, t.Value ?? '']));
  const decision = ctx.ownership.decide({
    key,
    object: `secret '${name}'`,
    marks: tags,
    adopt: ctx.entry.adopt,
    adoptField: `${ctx.kind.requestPath}.adopt`,
  });
  const stored = await readSecretJson(secret.ARN, StoredKeyPairSchema, sm);
  const publicKey = publicKeyOf(stored.privateKey, secret.ARN, ctx.name);
  await ctx.ownership.record({ key, part: SSH_PRIVATE_KEY_SECRET_PART, id: secret.ARN, name, ownership: decision });
  return { arn: secret.ARN, publicKey };
}

/** Generates an RSA key pair and stores it in the tenant's secret; returns the public key line and the secret ARN. */
async function generateAndStore(ctx: Ctx): Promise<{ arn: string; publicKey: string }> {
  const bits = ctx.entry.generateBits ?? DEFAULT_SSH_KEY_BITS;
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', { modulusLength: bits });
  const jwk = publicKey.export({ format: 'jwk' });
  if (!jwk.n || !jwk.e) throw new Error('generated RSA key has no modulus or exponent');
  const line = opensshRsaPublicKey({ n: jwk.n, e: jwk.e }, ctx.name);
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const { arn, created } = await ensureTenantSecret(ctx.ownership, {
    job: kindSecretJob(ctx.kind),
    part: SSH_PRIVATE_KEY_SECRET_PART,
    name: ctx.entry.privateKeySecretName,
    value: { privateKey: pem, publicKey: line },
    description: `Private key (PEM, PKCS#1) of the Palette SSH key '${ctx.name}' (palette-onboarding)`,
    adopt: ctx.entry.adopt,
    adoptField: `${ctx.kind.requestPath}.adopt`,
  });
  logger.info('SSH key pair generated and stored', { name: ctx.name, bits, secretArn: arn, secretCreated: created, fingerprint: sshFingerprint(line) });
  return { arn, publicKey: line };
}

const conflict = (ctx: Ctx, uid: string, why: string) =>
  new SshKeyConflictError(
    `Palette SSH key '${ctx.name}' (${uid}) cannot be matched with a key pair this deployment holds: ${why}; ` +
      `no new key pair is generated for an existing key: give its public key as ${ctx.kind.requestPath}.publicKey, ` +
      `or choose another ${ctx.kind.requestPath}.name`,
  );

export const sshKey: Reconciler<'sshKey', SshKey, SshDesired> = {
  async precheck(ctx) {
    const supplied = ctx.entry.publicKey;
    if (supplied !== undefined && !parseOpenSshPublicKey(supplied)) {
      throw new RequestValidationError([
        { path: `${ctx.kind.requestPath}.publicKey`, message: 'is not a valid OpenSSH public key (the key data does not match its type)' },
      ]);
    }
  },

  async desired(ctx) {
    return ctx.entry.publicKey !== undefined ? { publicKey: ctx.entry.publicKey.trim() } : {};
  },

  async find(ctx) {
    const found = await ctx.scope.sshKeys.findByName(ctx.name);
    const uid = found?.metadata?.uid;
    if (!uid) return undefined;
    const object = await ctx.scope.sshKeys.get(uid);
    return { uid, object, annotations: object.metadata?.annotations ?? found.metadata?.annotations ?? {} };
  },

  async resolve(ctx, desired, existing) {
    if (desired.publicKey !== undefined) return desired;
    // A generated pair: the stored one whenever there is one, a new one only for a key that does not exist yet.
    const stored = await storedKeyPair(ctx);
    if (existing) {
      if (!stored) throw conflict(ctx, existing.uid, `secret ${ctx.entry.privateKeySecretName} holds no private key for it`);
      if (isAdopted(existing) && !sameOpenSshKey(existing.object.spec?.publicKey, stored.publicKey)) {
        // An adopted key is never replaced by ours.
        throw conflict(ctx, existing.uid, `it was adopted and differs from the key pair in secret ${stored.arn}`);
      }
    }
    const pair = stored ?? (await generateAndStore(ctx));
    return { publicKey: pair.publicKey, privateKeySecretArn: pair.arn };
  },

  converged: (_ctx, existing, desired) => sameOpenSshKey(existing.object.spec?.publicKey, desired.publicKey),

  async create(ctx, desired, annotations) {
    const publicKey = requireKey(desired);
    const uid = await ctx.scope.sshKeys.create({ metadata: { name: ctx.name, annotations }, spec: { publicKey } });
    return { uid, resultFields: resultFieldsOf(desired) };
  },

  async update(ctx, existing, desired, annotations) {
    await ctx.scope.sshKeys.update(existing.uid, {
      metadata: { name: ctx.name, uid: existing.uid, annotations },
      spec: { publicKey: requireKey(desired) },
    });
  },

  async delete(ctx, uid) {
    await ctx.scope.sshKeys.delete(uid);
  },

  resultFields: (_ctx, desired) => resultFieldsOf(desired),

  undoWritten: (ctx) => undoTenantSecret(ctx.ownership, ctx.entry.privateKeySecretName, UNDO_REGISTRATIONS_SECRET_JOB),
};

function requireKey(desired: SshDesired): string {
  if (desired.publicKey === undefined) throw new Error('SSH key: the public key was not resolved');
  return desired.publicKey;
}

function resultFieldsOf(desired: SshDesired) {
  return {
    fingerprint: sshFingerprint(requireKey(desired)),
    ...(desired.privateKeySecretArn ? { privateKeySecretArn: desired.privateKeySecretArn } : {}),
  };
}
