/**
 * The Palette API key, in tenant scope (API keys never take ProjectUid). Palette shows the key value once, in the
 * create response, so it goes straight to the tenant's secret (home account) as `{"apiKey", "uid"}` (the uid of the
 * key the value belongs to, written in the same version as the value, and as a tag); results carry only the secret
 * ARN. A key whose value the secret holds is kept (its annotations converge); a key of the tenant's whose value was
 * lost is replaced; an adopted key whose value we do not hold is never rotated (ApiKeyConflictError); an inactive key
 * is reported and left alone.
 *
 * Renewal (README "API key renewal"; decisions in lambdas/domain/credential-changes.ts): within
 * `apiKey.renewWithinDays` of its expiry (or after it) a run creates a new key under the other name of the pair
 * `<name>` / `<name>-2` (Palette keeps names unique and the old key must keep working meanwhile), stores its value as
 * the secret's new current version (PutSecretValue moves AWSCURRENT to it in the same call), then deletes the old key.
 * The stored key is valid at every moment. A crash between two steps converges on the next attempt:
 * - after the create, before the store: the new key's value is lost; it is deleted and the renewal starts again;
 * - after the store, before the delete: the secret names the new key; the old one is deleted;
 * - after the delete: nothing is left to do.
 * `find` needs no secret (re-validation, verification and undo use it): while two keys of the tenant exist it returns
 * the one that expires first, which is the old key until the renewal is finished.
 */
import * as z from 'zod';
import { apiKeyNames, apiKeyRenewal, defaultRenewWithinDays, renewalName, type RenewalDecision } from '../../../domain/credential-changes';
import { resourceKey } from '../../../domain/names';
import { marksOf, marksToApply } from '../../../domain/ownership';
import { apiKeyExpiry } from '../../../domain/registration-requests';
import { UNDO_REGISTRATIONS_SECRET_JOB } from '../../../domain/secret-access';
import { ApiKeyConflictError, OwnershipError, RequestValidationError } from '../../../shared/errors';
import { logger } from '../../../shared/logger';
import { describeSecret, readSecretString, secretTag } from '../../../shared/secrets';
import type { UndoResult } from '../../aws/bucket';
import { ensureTenantSecret, undoTenantSecret } from '../../aws/tenant-secret';
import type { ApiKey } from '../../palette';
import { isAdopted } from '../adopted';
import { kindSecretJob, kindSecrets } from '../secrets';
import type { Existing, Found, KindContext, LookupContext, Reconciler } from '../types';

/** Tag on the value secret: the uid of the Palette API key whose value it holds. */
export const API_KEY_UID_TAG = 'palette-onboarding/api-key-uid';
/** Palette's usual place for a description (the API key schema has no field for it). */
export const DESCRIPTION_ANNOTATION = 'description';
/** Registry part of the value secret. */
export const API_KEY_VALUE_SECRET_PART = 'apiKeyValueSecret';

interface ApiKeyDesired {
  /** Expiry of a key created now. */
  expiry: Date;
  /** The secret holding a value of one of the tenant's keys, and the uid of that key. */
  stored?: { arn: string; uid: string };
  /** The tenant's key under the other name of the pair (a renewal's new or old key), when there is one. */
  other?: ApiKey;
  /** Keys under the pair's names that are not the tenant's (a new key may not take their name). */
  taken?: ApiKey[];
}

type Ctx = KindContext<'apiKey'>;

/** The value secret: the key value, and (since renewal) the uid of its key, written together in one version. */
const StoredValueSchema = z.object({ apiKey: z.string().min(1), uid: z.string().min(1).optional() });

/** The uid of the key whose value the secret holds (the value's `uid`, else the tag), or undefined when it holds none. */
async function storedKeyUid(ctx: Ctx, secretArn: string, taggedUid: string | undefined): Promise<string | undefined> {
  let parsed;
  try {
    parsed = StoredValueSchema.safeParse(JSON.parse(await readSecretString(secretArn, kindSecrets(ctx))));
  } catch (e) {
    if (e instanceof SyntaxError) return undefined;
    throw e;
  }
  return parsed.success ? (parsed.data.uid ?? taggedUid) : undefined;
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
  return { arn: secret.ARN, key, name, decision, deleted: secret.DeletedDate !== undefined, tag: secretTag(secret, API_KEY_UID_TAG) };
}

const annotationsOf = (k: ApiKey): Record<string, string> => k.metadata?.annotations ?? {};
const expiryOf = (k: ApiKey): number => {
  const t = Date.parse(k.spec?.expiry ?? '');
  return Number.isFinite(t) ? t : Number.POSITIVE_INFINITY;
};
/** Carries this tenant's and this deployment's marks: the other name of the pair is considered only then. */
const isTenants = (ctx: LookupContext<'apiKey'>, k: ApiKey) => {
  const marks = marksOf(annotationsOf(k));
  return marks.tenant === ctx.plan.tenantId && marks.deployment === ctx.plan.deploymentId;
};

/** The keys under the pair's names: the tenant's (its marks), and anyone else's. */
async function pairKeys(ctx: LookupContext<'apiKey'>): Promise<{ mine: ApiKey[]; others: ApiKey[] }> {
  const names: readonly string[] = apiKeyNames(ctx.name);
  const keys = (await ctx.client.apiKeys.list()).filter((k) => k.metadata?.uid && names.includes(k.metadata.name ?? ''));
  return { mine: keys.filter((k) => isTenants(ctx, k)), others: keys.filter((k) => !isTenants(ctx, k)) };
}

/** A key that is not the tenant's holds the name a new key needs: OwnershipError (it is never deleted or reused). */
function assertNameFree(ctx: Ctx, name: string, taken: readonly ApiKey[]): void {
  const holder = taken.find((k) => k.metadata?.name === name);
  if (holder) {
    throw new OwnershipError(
      `Palette API key '${name}' (${holder.metadata?.uid ?? ''}) is not tenant '${ctx.plan.tenantId}''s, and the API key '${ctx.name}' needs ` +
        `that name for its new key (renewed keys alternate between '${apiKeyNames(ctx.name).join("' and '")}'); delete or rename it; nothing was changed`,
    );
  }
}

const foundOf = (k: ApiKey): Found<ApiKey> => ({ uid: k.metadata?.uid ?? '', object: k, annotations: annotationsOf(k) });

const keyAnnotations = (ctx: Ctx): Record<string, string> => (ctx.entry.description ? { [DESCRIPTION_ANNOTATION]: ctx.entry.description } : {});

/** `apiKey.renewWithinDays`, or its default for the request's expiry. */
const renewWithinDays = (ctx: Ctx) => ctx.entry.renewWithinDays ?? defaultRenewWithinDays(ctx.entry.expiry);

/** Stores a key's value as the secret's new current version, tagged with its uid. Returns the secret's ARN. */
async function storeValue(ctx: Ctx, key: { uid: string; apiKey: string }): Promise<string> {
  const stored = await ensureTenantSecret(ctx.ownership, {
    job: kindSecretJob(ctx.kind),
    part: API_KEY_VALUE_SECRET_PART,
    name: ctx.entry.valueSecretName,
    value: { apiKey: key.apiKey, uid: key.uid },
    extraTags: { [API_KEY_UID_TAG]: key.uid },
    description: `Value of the Palette API key '${ctx.name}' (palette-onboarding)`,
    adopt: ctx.entry.adopt,
    adoptField: `${ctx.kind.requestPath}.adopt`,
  });
  logger.info('Palette API key value stored', { name: ctx.name, uid: key.uid, valueSecretArn: stored.arn });
  return stored.arn;
}

/** Logs why a key that is due (or expired) is not renewed. */
function reportNotRenewed(ctx: Ctx, existing: Existing<ApiKey>, d: Extract<RenewalDecision, { renew: false }>): void {
  const facts = { name: ctx.name, uid: existing.uid, expiresAt: existing.object.spec?.expiry, daysLeft: d.daysLeft };
  if (d.reason === 'inactive' || (d.daysLeft ?? 1) <= 0) {
    // An inactive key may have been revoked on purpose: report it, never re-create it behind an admin's back.
    logger.warn('Palette API key is inactive or expired; it is left as is', { ...facts, isActive: existing.object.status?.isActive, reason: d.reason });
  } else if (d.reason === 'adopted') {
    logger.warn('Palette API key is due for renewal but adopted: an adopted key is never rotated', facts);
  } else if (d.reason === 'no-later-expiry') {
    logger.warn(`Palette API key is due for renewal, but a key created now would not outlive it: set a later ${ctx.kind.requestPath}.expiry`, facts);
  }
}

export const apiKey: Reconciler<'apiKey', ApiKey, ApiKeyDesired> = {
  async desired(ctx) {
    return { expiry: apiKeyExpiry(ctx.entry.expiry, ctx.now) };
  },

  async find(ctx) {
    // Tenant scope; the list carries the whole key (annotations, expiry, active state). Of two keys of the tenant (a
    // renewal in flight or interrupted), the one that expires first: the old key, until the new one replaced it.
    // Without one, a key of the entry's name that is not the tenant's (the ownership rule decides about it).
    const { mine, others } = await pairKeys(ctx);
    const key =
      mine.reduce<ApiKey | undefined>((best, k) => (best === undefined || expiryOf(k) < expiryOf(best) ? k : best), undefined) ??
      others.find((k) => k.metadata?.name === ctx.name);
    return key ? foundOf(key) : undefined;
  },

  async resolve(ctx, desired, existing) {
    const secret = await valueSecret(ctx);
    if (!existing) return desired;
    const { mine, others } = await pairKeys(ctx);
    const other = mine.find((k) => k.metadata?.uid !== existing.uid);
    const taken = others.filter((k) => k.metadata?.uid !== existing.uid);
    const withOther = { ...desired, ...(other ? { other } : {}), ...(taken.length > 0 ? { taken } : {}) };
    // A secret an offboarding scheduled for deletion holds no value to use (it is restored when a new key is stored).
    const keyUid = secret && !secret.deleted ? await storedKeyUid(ctx, secret.arn, secret.tag) : undefined;
    if (secret && keyUid !== undefined && (keyUid === existing.uid || keyUid === other?.metadata?.uid)) {
      await ctx.ownership.record({ key: secret.key, part: API_KEY_VALUE_SECRET_PART, id: secret.arn, name: secret.name, ownership: secret.decision });
      return { ...withOther, stored: { arn: secret.arn, uid: keyUid } };
    }
    if (isAdopted(existing)) {
      throw new ApiKeyConflictError(
        `Palette API key '${ctx.name}' (${existing.uid}) is adopted and its value is not in secret ${ctx.entry.valueSecretName}; ` +
          `an adopted key is never rotated by this workflow: choose another ${ctx.kind.requestPath}.name, or delete the key first`,
      );
    }
    // The tenant's own key whose value is lost (Palette shows it only once): replaced (mustReplace).
    logger.warn('Palette API key value is not stored; replacing the key', { name: ctx.name, uid: existing.uid });
    return withOther;
  },

  async renew(ctx, desired, existing) {
    const { stored, other } = desired;
    const otherUid = other?.metadata?.uid;
    if (other && otherUid && stored?.uid === otherUid) {
      // A renewal stored its new key and died before deleting the old one: finish it.
      ctx.ownership.decide({
        key: ctx.registryKey,
        object: `Palette API key '${other.metadata?.name ?? ''}' (${otherUid})`,
        marks: annotationsOf(other),
        adopt: false,
        adoptField: `${ctx.kind.requestPath}.adopt`,
      });
      await ctx.client.apiKeys.delete(existing.uid);
      logger.info('Palette API key renewal finished: the old key is deleted', { name: ctx.name, oldUid: existing.uid, uid: otherUid });
      return { existing: { ...foundOf(other), decision: existing.decision }, desired: { expiry: desired.expiry, stored } };
    }
    if (other && otherUid) {
      // A renewal that died before storing its new key: nobody holds that value, the key is deleted.
      await ctx.client.apiKeys.delete(otherUid);
      logger.warn('Palette API key left by an interrupted renewal deleted (its value was never stored)', { name: ctx.name, uid: otherUid });
    }
    const current = { expiry: desired.expiry, ...(stored ? { stored } : {}) };
    if (!stored) {
      // The value is lost: the key is replaced under the entry's name (mustReplace), which must be free.
      if (existing.object.metadata?.name !== ctx.name) assertNameFree(ctx, ctx.name, desired.taken ?? []);
      return other ? { existing, desired: current } : undefined;
    }

    const decision = apiKeyRenewal({
      expiresAt: existing.object.spec?.expiry,
      isActive: existing.object.status?.isActive,
      adopted: isAdopted(existing),
      windowDays: renewWithinDays(ctx),
      newExpiry: desired.expiry,
      now: ctx.now,
    });
    if (!decision.renew) {
      reportNotRenewed(ctx, existing, decision);
      return other ? { existing, desired: current } : undefined;
    }

    // Create, store (the secret's current version), then revoke the old key: the stored key is valid throughout.
    const name = renewalName(ctx.name, existing.object.metadata?.name);
    assertNameFree(ctx, name, desired.taken ?? []);
    const annotations = marksToApply(ctx.plan.tags, existing.annotations, { extra: keyAnnotations(ctx) });
    const owner = ctx.entry.ownerUserUid ?? existing.object.spec?.user?.uid;
    const expiry = desired.expiry.toISOString();
    const created = await ctx.client.apiKeys.create({ metadata: { name, annotations }, spec: { expiry, ...(owner ? { userUid: owner } : {}) } });
    const arn = await storeValue(ctx, created);
    await ctx.client.apiKeys.delete(existing.uid);
    logger.info('Palette API key renewed', {
      name: ctx.name,
      oldUid: existing.uid,
      oldExpiresAt: existing.object.spec?.expiry,
      uid: created.uid,
      keyName: name,
      expiresAt: expiry,
      reason: decision.reason,
    });
    const object: ApiKey = { metadata: { name, uid: created.uid, annotations }, spec: { expiry }, status: { isActive: true } };
    return { existing: { ...foundOf(object), decision: existing.decision }, desired: { expiry: desired.expiry, stored: { arn, uid: created.uid } } };
  },

  mustReplace: (_ctx, desired) => desired.stored === undefined,

  // Expiry and owner are set at creation (a renewal makes a new key); only the annotations (description, marks) converge.
  converged: () => true,

  async validate(ctx, desired, phase) {
    if (phase === 'create' && !(desired.expiry.getTime() > ctx.now.getTime())) {
      throw new RequestValidationError([
        { path: `${ctx.kind.requestPath}.expiry`, message: `must be in the future (${desired.expiry.toISOString()} has passed)` },
      ]);
    }
  },

  annotations: keyAnnotations,

  async create(ctx, desired, annotations) {
    const created = await ctx.client.apiKeys.create({
      metadata: { name: ctx.name, annotations },
      spec: { expiry: desired.expiry.toISOString(), ...(ctx.entry.ownerUserUid ? { userUid: ctx.entry.ownerUserUid } : {}) },
    });
    // Shown once: straight into the secret, never into a result, a log line or an error.
    const valueSecretArn = await storeValue(ctx, created);
    return { uid: created.uid, resultFields: { valueSecretArn, expiresAt: desired.expiry.toISOString() } };
  },

  async update(ctx, existing, _desired, annotations) {
    await ctx.client.apiKeys.update(existing.uid, { metadata: { name: existing.object.metadata?.name ?? ctx.name, annotations } });
  },

  async delete(ctx, uid) {
    await ctx.client.apiKeys.delete(uid);
  },

  resultFields: (_ctx, desired, existing) => ({ valueSecretArn: desired.stored?.arn ?? '', expiresAt: existing.object.spec?.expiry ?? '' }),

  async undoWritten(ctx) {
    const result: UndoResult = { deleted: [], retained: [] };
    if (ctx.ownership.offboarding) {
      // The tenant's key left under the other name by an interrupted renewal (find returned the first one).
      for (const key of (await pairKeys(ctx)).mine) {
        const uid = key.metadata?.uid ?? '';
        if (!ctx.ownership.mayRemove(ctx.registryKey, annotationsOf(key)).remove) continue;
        await ctx.client.apiKeys.delete(uid);
        result.deleted.push(`palette:${ctx.kind.paletteKind}/${uid}`);
      }
    }
    const secret = await undoTenantSecret(ctx.ownership, ctx.entry.valueSecretName, UNDO_REGISTRATIONS_SECRET_JOB);
    return { deleted: [...result.deleted, ...secret.deleted], retained: [...result.retained, ...secret.retained] };
  },
};
