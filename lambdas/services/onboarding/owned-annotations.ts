/**
 * Palette annotations on the optional parts (Azure account, SSH key, API key): the plan's tags on what this
 * deployment creates; on an existing (adopted) object its own annotations merged with ours, where created-by is
 * never added or rewritten, because it decides which execution may delete the object.
 */
import { CREATED_BY_TAG, MANAGED_BY_TAG, NAME_PREFIX, TENANT_TAG } from '../../domain/names';
import type { Plan } from '../../domain/workflow-state';

/** Annotations for a new object (`existing` undefined) or for an existing one. `extra` wins over both. */
export function ownedAnnotations(
  plan: Plan,
  existing?: Record<string, string>,
  extra: Record<string, string> = {},
): Record<string, string> {
  if (existing === undefined) return { ...plan.tags, ...extra };
  const merged = { ...existing, ...plan.tags, ...extra };
  const createdBy = existing[CREATED_BY_TAG];
  if (createdBy === undefined) delete merged[CREATED_BY_TAG];
  else merged[CREATED_BY_TAG] = createdBy;
  return merged;
}

/** Every wanted annotation is present with its value (Palette may add its own, e.g. `scope`). */
export const annotationsConverged = (current: Record<string, string> | undefined, wanted: Record<string, string>): boolean =>
  Object.entries(wanted).every(([k, v]) => current?.[k] === v);

/** Created by this execution: the only objects compensation deletes. */
export const createdByExecution = (annotations: Record<string, string> | undefined, executionName: string): boolean =>
  annotations?.[CREATED_BY_TAG] === executionName;

/**
 * Created or managed by this deployment for this tenant: a created-by annotation or our managed-by annotation,
 * and no other tenant's annotation.
 */
export function managedForTenant(annotations: Record<string, string> | undefined, plan: Plan): boolean {
  if (!annotations) return false;
  const ours = annotations[CREATED_BY_TAG] !== undefined || annotations[MANAGED_BY_TAG] === (plan.tags[MANAGED_BY_TAG] ?? NAME_PREFIX);
  const tenant = annotations[TENANT_TAG];
  return ours && (tenant === undefined || tenant === plan.tenantId);
}
