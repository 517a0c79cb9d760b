/** Small IAM helpers shared by the ensure / undo services. */
import { NoSuchEntityException, type Tag } from '@aws-sdk/client-iam';
import { CREATED_BY_TAG, TENANT_TAG } from '../../domain/names';
import { marksToApply, type Ownership } from '../../domain/ownership';
import { awsCall, OwnershipError } from '../../shared/errors';

export const iamTags = (tags: Record<string, string>): Tag[] => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
export const tagValue = (tags: Tag[] | undefined, key: string) => tags?.find((t) => t.Key === key)?.Value;

/** Runs an IAM call; NoSuchEntity becomes `undefined` (the thing is not there). */
export async function orNoSuchEntity<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await awsCall(fn);
  } catch (e) {
    if (e instanceof NoSuchEntityException) return undefined;
    throw e;
  }
}

/**
 * Looks up one of the tenant's IAM objects by its derived name through the tenant's session: NoSuchEntity becomes
 * `undefined`; AccessDenied becomes OwnershipError. The session policy lets a tenant's session touch only objects
 * marked for that tenant or unmarked (lambdas/domain/session-policies.ts), so a denied look-up of an object the
 * execution role may read means the object carries ANOTHER tenant's mark (which tenant, this session may not see).
 */
export async function lookUpTenantObject<T>(what: string, tenantId: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await orNoSuchEntity(fn);
  } catch (e) {
    if (e instanceof Error && (e.name === 'AccessDenied' || e.name === 'AccessDeniedException')) {
      throw new OwnershipError(
        `${what} carries another tenant's mark: IAM refused tenant '${tenantId}''s session to read it (a tenant's session may touch only objects marked for that tenant, or unmarked ones); nothing was changed. IAM said: ${e.message}`,
      );
    }
    throw e;
  }
}

/**
 * Tags of `wanted` that are missing or different on an existing resource. created-by is never added or
 * rewritten here: it is set only when a resource is created, and it decides which execution may delete it.
 */
export function tagsToAdd(current: Tag[] | undefined, wanted: Record<string, string>): Tag[] {
  return iamTags(wanted).filter((t) => t.Key !== CREATED_BY_TAG && tagValue(current, t.Key ?? '') !== t.Value);
}

/** Tags as a map. */
export const tagMap = (tags: Tag[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).filter((t) => t.Key !== undefined).map((t) => [t.Key as string, t.Value ?? '']));

/**
 * The marks to add to an existing IAM resource under an ownership decision: the plan's marks, created-by only for an
 * object this execution created and could not mark before it died (IAM creates are atomic with their tags, so this
 * is rare), never another created-by. Whenever anything is tagged, the request carries the tenant mark too (even when
 * the object has it already): the session policy allows tagging only with this tenant's mark in the request
 * (lambdas/domain/session-policies.ts).
 */
export function marksTagsToAdd(planTags: Record<string, string>, current: Tag[] | undefined, decision: Ownership): Tag[] {
  const existing = tagMap(current);
  const wanted = marksToApply(planTags, existing, { createdByThisExecution: decision.kind === 'own' && decision.createdByThisExecution });
  const add = Object.entries(wanted).filter(([k, v]) => existing[k] !== v);
  const tenant = wanted[TENANT_TAG];
  if (add.length > 0 && tenant !== undefined && !add.some(([k]) => k === TENANT_TAG)) add.unshift([TENANT_TAG, tenant]);
  return add.map(([Key, Value]) => ({ Key, Value }));
}
