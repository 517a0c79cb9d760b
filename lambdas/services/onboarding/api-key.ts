/**
 * The optional Palette API key (issue 6), tenant-scoped (API keys never take ProjectUid). Palette shows the key
 * value once, in the create response, so it goes straight to a Secrets Manager secret (home account) tagged with
 * the key's uid; results carry only the secret ARN. Idempotent by name: a key whose value the secret holds is
 * left alone; a key of ours whose value was lost is replaced; someone else's key is never rotated.
 */
import { z } from 'zod';
import { apiKeyExpiry, type ExtrasPlan } from '../../domain/extras';
import type { Plan, RegistrationResult } from '../../domain/workflow-state';
import { ApiKeyConflictError, RequestValidationError, StateInputError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import { describeSecret, ensureSecretValue, readSecretString, secretTag, undoSecretCreatedBy } from '../../shared/secrets';
import type { UndoResult } from '../aws/bucket';
import type { ApiKey } from '../palette';
import { annotationsConverged, createdByExecution, managedForTenant, ownedAnnotations } from './owned-annotations';
import { paletteClient } from './palette';

/** Tag on the value secret: the uid of the Palette API key whose value it holds. */
export const API_KEY_UID_TAG = 'palette-onboarding/api-key-uid';
/** Palette's usual place for a description (the API key schema has no field for it). */
export const DESCRIPTION_ANNOTATION = 'description';

export interface ApiKeyResult extends RegistrationResult {
  /** The secret holding `{"apiKey": "..."}`; the value itself is never returned. */
  valueSecretArn: string;
  /** ISO 8601 expiry of the key. */
  expiresAt: string;
}

type ApiKeyPlan = NonNullable<ExtrasPlan['apiKey']>;

function apiKeyPlan(plan: Plan): ApiKeyPlan {
  const want = plan.extras.apiKey;
  if (!want) throw new StateInputError('the plan has no extras.apiKey: this step runs only when the request has apiKey');
  return want;
}

const StoredValueSchema = z.object({ apiKey: z.string().min(1) });

/** True when the secret holds a key value (read, checked, and dropped here). */
async function holdsValue(secretArn: string): Promise<boolean> {
  try {
    return StoredValueSchema.safeParse(JSON.parse(await readSecretString(secretArn))).success;
  } catch (e) {
    if (e instanceof SyntaxError) return false;
    throw e;
  }
}

const descriptionOf = (want: ApiKeyPlan): Record<string, string> =>
  want.description ? { [DESCRIPTION_ANNOTATION]: want.description } : {};

function requireFutureExpiry(expiry: Date, now: Date): void {
  if (!(expiry.getTime() > now.getTime())) {
    throw new RequestValidationError([{ path: 'apiKey.expiry', message: `must be in the future (${expiry.toISOString()} has passed)` }]);
  }
}

export async function ensureApiKey(plan: Plan, now: Date = new Date()): Promise<ApiKeyResult> {
  const want = apiKeyPlan(plan);
  const keys = paletteClient(plan.paletteApiKeySecretArn).apiKeys;
  const name = want.name;
  const found: ApiKey | undefined = await keys.findByName(name);
  const secret = await describeSecret(want.valueSecretName);
  const expiry = apiKeyExpiry(want.expiry, now);
  let replaced = false;

  const uid = found?.metadata?.uid;
  if (uid) {
    const annotations = found.metadata?.annotations ?? {};
    if (secret?.ARN && secretTag(secret, API_KEY_UID_TAG) === uid && (await holdsValue(secret.ARN))) {
      const wanted = ownedAnnotations(plan, annotations, descriptionOf(want));
      const expiresAt = found.spec?.expiry ?? '';
      if (found.status?.isActive === false || (expiresAt !== '' && Date.parse(expiresAt) <= now.getTime())) {
        // An inactive key may have been revoked on purpose: report it, never re-create it behind an admin's back.
        logger.warn('Palette API key is inactive or expired; it is left as is', { name, uid, expiresAt, isActive: found.status?.isActive });
      }
      if (annotationsConverged(annotations, wanted)) {
        return { uid, name, created: false, updated: false, valueSecretArn: secret.ARN, expiresAt };
      }
      await keys.update(uid, { metadata: { name, annotations: wanted } });
      logger.info('Palette API key annotations updated', { name, uid });
      return { uid, name, created: false, updated: true, valueSecretArn: secret.ARN, expiresAt };
    }
    if (!managedForTenant(annotations, plan)) {
      throw new ApiKeyConflictError(
        `Palette API key '${name}' (${uid}) exists, was not created by palette-onboarding for this tenant, and its value is not in ` +
          `secret ${want.valueSecretName}; it is never rotated by this workflow: choose another apiKey.name, or delete the key first`,
      );
    }
    // Ours, but its value is lost (shown only once): replace it.
    requireFutureExpiry(expiry, now);
    logger.warn('Palette API key value is not stored; replacing the key', { name, uid });
    await keys.delete(uid);
    replaced = true;
  }

  requireFutureExpiry(expiry, now);
  const created = await keys.create({
    metadata: { name, annotations: ownedAnnotations(plan, undefined, descriptionOf(want)) },
    spec: { expiry: expiry.toISOString(), ...(want.ownerUserUid ? { userUid: want.ownerUserUid } : {}) },
  });
  const stored = await ensureSecretValue({
    name: want.valueSecretName,
    value: { apiKey: created.apiKey },
    tags: { ...plan.tags, [API_KEY_UID_TAG]: created.uid },
    description: `Value of the Palette API key '${name}' (palette-onboarding)`,
  });
  logger.info('Palette API key created and its value stored', { name, uid: created.uid, replaced, valueSecretArn: stored.arn });
  return { uid: created.uid, name, created: true, updated: replaced, valueSecretArn: stored.arn, expiresAt: expiry.toISOString() };
}

/** Deletes the API key and its value secret, each only if this execution created it. */
export async function undoApiKey(plan: Plan, executionName: string): Promise<UndoResult> {
  const result: UndoResult = { deleted: [], retained: [] };
  const want = plan.extras.apiKey;
  if (!want) return result;
  const keys = paletteClient(plan.paletteApiKeySecretArn).apiKeys;
  const found = await keys.findByName(want.name);
  const uid = found?.metadata?.uid;
  if (uid) {
    const id = `palette:api-key/${uid}`;
    if (createdByExecution(found.metadata?.annotations, executionName)) {
      await keys.delete(uid);
      result.deleted.push(id);
    } else {
      result.retained.push({ id, reason: `API key '${want.name}' was not created by this execution` });
    }
  }
  const secret = await undoSecretCreatedBy(want.valueSecretName, executionName);
  if (secret.deleted) result.deleted.push(secret.deleted);
  if (secret.retained) result.retained.push(secret.retained);
  return result;
}
