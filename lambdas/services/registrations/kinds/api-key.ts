/**
 * The Palette API key, in tenant scope (API keys never take ProjectUid). Palette shows the key value once, in the
 * create response, so it goes straight to the tenant's secret (home account) tagged with the key's uid; results
 * carry only the secret ARN. A key whose value the secret holds is left as it is (its annotations converge); a key
 * of the tenant's whose value was lost is replaced; an adopted key whose value we do not hold is never rotated
 * (ApiKeyConflictError); an inactive or expired key is reported and left alone.
 */
import { z } from 'zod';
import { resourceKey } from '../../../domain/names';
import { apiKeyExpiry } from '../../../domain/registration-requests';
import { ApiKeyConflictError, RequestValidationError } from '../../../shared/errors';
import { logger } from '../../../shared/logger';
import { describeSecret, readSecretString, secretTag } from '../../../shared/secrets';
import { UNDO_REGISTRATIONS_SECRET_JOB } from '../../../domain/secret-access';
import { ensureTenantSecret, undoTenantSecret } from '../../aws/tenant-secret';
import type { ApiKey } from '../../palette';
import { isAdopted } from '../adopted';
import { kindSecretJob, kindSecrets } from '../secrets';
import type { KindContext, Reconciler } from '../types';

/** Tag on the value secret: the uid of the Palette API key whose value it holds. */
export const API_KEY_UID_TAG = 'palette-onboarding/api-key-uid';
/** Palette's usual place for a description (the API key schema has no field for it). */
export const DESCRIPTION_ANNOTATION = 'description';
/** Registry part of the value secret. */
export const API_KEY_VALUE_SECRET_PART = 'apiKeyValueSecret';

interface ApiKeyDesired {
  /** Expiry of a key created now. */
  expiry: Date;
  /** The secret holding the existing key's value, when it does. */
  stored?: { arn: string };
}

type Ctx = KindContext<'apiKey'>;

const StoredValueSchema = z.object({ apiKey: z.string().min(1) });

/** True when the secret holds a key value (read, checked, and dropped here). */
async function holdsValue(ctx: Ctx, secretArn: string): Promise<boolean> {
  try {
    return StoredValueSchema.safeParse(JSON.parse(await readSecretString(secretArn, kindSecrets(ctx)))).success;
  } catch (e) {
    if (e instanceof SyntaxError) return false;
    throw e;
  }
}

const tagsOf = (tags: { Key?: string; Value?: string }[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).filter((t) => t.Key !== undefined).map((t) => [t.Key as string, t.Value ?? '']));

/** The value secret, if it exists, after the ownership rule allowed it (decided before anything is written). */
async function valueSecret(ctx: Ctx) {
  const name = ctx.entry.valueSecretName;
  const secret = await describeSecret(name, kindSecrets(ctx));
  if (!secret?.ARN) return undefined;
  const key = resourceKey.secret(ctx.plan.homeAccountId, name);
  const decision = ctx.ownership.decide({
    key,
    object: `secret '${name}'`,
    marks: tagsOf(secret.Tags),
    adopt: ctx.entry.adopt,
    adoptField: `${ctx.kind.requestPath}.adopt`,
  });
  return { arn: secret.ARN, key, name, decision, keyUid: secretTag(secret, API_KEY_UID_TAG) };
}

export const apiKey: Reconciler<'apiKey', ApiKey, ApiKeyDesired> = {
  async desired(ctx) {
    return { expiry: apiKeyExpiry(ctx.entry.expiry, ctx.now) };
  },

  async find(ctx) {
    // Tenant scope; the list carries the whole key (annotations, expiry, active state).
    const found = await ctx.client.apiKeys.findByName(ctx.name);
    const uid = found?.metadata?.uid;
    if (!found || !uid) return undefined;
    return { uid, object: found, annotations: found.metadata?.annotations ?? {} };
  },

  async resolve(ctx, desired, existing) {
    const secret = await valueSecret(ctx);
    if (!existing) return desired;
    if (secret && secret.keyUid === existing.uid && (await holdsValue(ctx, secret.arn))) {
      const expiresAt = existing.object.spec?.expiry ?? '';
      if (existing.object.status?.isActive === false || (expiresAt !== '' && Date.parse(expiresAt) <= ctx.now.getTime())) {
        // An inactive key may have been revoked on purpose: report it, never re-create it behind an admin's back.
        logger.warn('Palette API key is inactive or expired; it is left as is', {
          name: ctx.name,
          uid: existing.uid,
          expiresAt,
          isActive: existing.object.status?.isActive,
        });
      }
      await ctx.ownership.record({ key: secret.key, part: API_KEY_VALUE_SECRET_PART, id: secret.arn, name: secret.name, ownership: secret.decision });
      return { ...desired, stored: { arn: secret.arn } };
    }
    if (isAdopted(existing)) {
      throw new ApiKeyConflictError(
        `Palette API key '${ctx.name}' (${existing.uid}) is adopted and its value is not in secret ${ctx.entry.valueSecretName}; ` +
          `an adopted key is never rotated by this workflow: choose another ${ctx.kind.requestPath}.name, or delete the key first`,
      );
    }
    // The tenant's own key whose value is lost (Palette shows it only once): replaced (mustReplace).
    logger.warn('Palette API key value is not stored; replacing the key', { name: ctx.name, uid: existing.uid });
    return desired;
  },

  mustReplace: (_ctx, desired) => desired.stored === undefined,

  // Expiry and owner are set at creation; only the annotations (description, marks) converge.
  converged: () => true,

  async validate(ctx, desired, phase) {
    if (phase === 'create' && !(desired.expiry.getTime() > ctx.now.getTime())) {
      throw new RequestValidationError([
        { path: `${ctx.kind.requestPath}.expiry`, message: `must be in the future (${desired.expiry.toISOString()} has passed)` },
      ]);
    }
  },

  annotations: (ctx): Record<string, string> => (ctx.entry.description ? { [DESCRIPTION_ANNOTATION]: ctx.entry.description } : {}),

  async create(ctx, desired, annotations) {
    const created = await ctx.client.apiKeys.create({
      metadata: { name: ctx.name, annotations },
      spec: { expiry: desired.expiry.toISOString(), ...(ctx.entry.ownerUserUid ? { userUid: ctx.entry.ownerUserUid } : {}) },
    });
    // Shown once: straight into the secret, never into a result, a log line or an error.
    const stored = await ensureTenantSecret(ctx.ownership, {
      job: kindSecretJob(ctx.kind),
      part: API_KEY_VALUE_SECRET_PART,
      name: ctx.entry.valueSecretName,
      value: { apiKey: created.apiKey },
      extraTags: { [API_KEY_UID_TAG]: created.uid },
      description: `Value of the Palette API key '${ctx.name}' (palette-onboarding)`,
      adopt: ctx.entry.adopt,
      adoptField: `${ctx.kind.requestPath}.adopt`,
    });
    logger.info('Palette API key value stored', { name: ctx.name, uid: created.uid, valueSecretArn: stored.arn });
    return { uid: created.uid, resultFields: { valueSecretArn: stored.arn, expiresAt: desired.expiry.toISOString() } };
  },

  async update(ctx, existing, _desired, annotations) {
    await ctx.client.apiKeys.update(existing.uid, { metadata: { name: ctx.name, annotations } });
  },

  async delete(ctx, uid) {
    await ctx.client.apiKeys.delete(uid);
  },

  resultFields: (_ctx, desired, existing) => ({ valueSecretArn: desired.stored?.arn ?? '', expiresAt: existing.object.spec?.expiry ?? '' }),

  undoWritten: (ctx) => undoTenantSecret(ctx.ownership, ctx.entry.valueSecretName, UNDO_REGISTRATIONS_SECRET_JOB),
};
