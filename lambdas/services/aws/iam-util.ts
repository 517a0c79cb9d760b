/** Small IAM helpers shared by the ensure / undo services. */
import { NoSuchEntityException, type Tag } from '@aws-sdk/client-iam';
import { CREATED_BY_TAG } from '../../domain/names';
import { marksToApply, type Ownership } from '../../domain/ownership';
import { awsCall } from '../../shared/errors';

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
 * is rare), never another created-by.
 */
export function marksTagsToAdd(planTags: Record<string, string>, current: Tag[] | undefined, decision: Ownership): Tag[] {
  const existing = tagMap(current);
  const wanted = marksToApply(planTags, existing, { createdByThisExecution: decision.kind === 'own' && decision.createdByThisExecution });
  return Object.entries(wanted)
    .filter(([k, v]) => existing[k] !== v)
    .map(([Key, Value]) => ({ Key, Value }));
}
