/**
 * The ownership rule, in one place (README "Ownership"). Every ensure step that finds an existing object under a
 * name it would use (AWS or Palette) asks `decideOwnership` before changing anything. Pure.
 *
 * An object is this tenant's when it carries this tenant's mark (tenant tag / annotation AND this deployment's
 * managed-by mark), when the registry records it as this tenant's, or when the registry holds this execution's
 * write-ahead intent for it (the execution created it and died before marking it). An object that carries another
 * tenant's or another deployment's mark is never used, not even with `adopt`. An unmarked object is used only when
 * the request adopts it explicitly; adopting marks it as the tenant's (never with created-by, so no compensation
 * ever deletes it) and never weakens it (see the services).
 */
import { OwnershipError } from '../shared/errors';
import { CREATED_BY_TAG, MANAGED_BY_TAG, TENANT_TAG } from './names';

/** The marks an object carries (AWS tags or Palette annotations). */
export interface Marks {
  tenant?: string;
  deployment?: string;
  createdBy?: string;
}

export function marksOf(tags: Readonly<Record<string, string>> | undefined): Marks {
  const marks: Marks = {};
  const tenant = tags?.[TENANT_TAG];
  const deployment = tags?.[MANAGED_BY_TAG];
  const createdBy = tags?.[CREATED_BY_TAG];
  if (tenant) marks.tenant = tenant;
  if (deployment) marks.deployment = deployment;
  if (createdBy) marks.createdBy = createdBy;
  return marks;
}

/** What the registry knows about one object, for this tenant. */
export interface RegistryFacts {
  /** The registry lists the object among the tenant's resources. */
  recorded: boolean;
  /** ... as adopted: it existed before the tenant took it over, so the never-weaken rules keep applying. */
  adopted?: boolean;
  /** Execution that recorded the intent to create it, if an intent is pending. */
  intentBy?: string;
}

export interface OwnershipQuestion {
  /** How the object is named in errors, e.g. "S3 bucket 'x'" or "Palette SSH key 'k' (uid)". */
  object: string;
  marks: Marks;
  registry: RegistryFacts;
  /** The request adopts this part explicitly (`adopt: true`). */
  adopt: boolean;
  /** The request field that adopts it, for the hint (e.g. "aws.bucket.adopt"). */
  adoptField: string;
  tenantId: string;
  deploymentId: string;
  executionName: string;
}

export type Ownership =
  /** The tenant's own object; `createdByThisExecution` decides whether this execution's compensation may delete it. */
  | { kind: 'own'; createdByThisExecution: boolean; reason: 'marked' | 'registry' | 'intent' }
  /**
   * An unmarked object the request adopts, or one the tenant adopted before: mark it as the tenant's (without
   * created-by), never weaken it.
   */
  | { kind: 'adopt' };

/** The ownership decision for an existing object; throws OwnershipError (naming the object and its owner). */
export function decideOwnership(q: OwnershipQuestion): Ownership {
  const { marks } = q;
  if (marks.tenant !== undefined && marks.tenant !== q.tenantId) {
    throw new OwnershipError(`${q.object} belongs to tenant '${marks.tenant}', not to tenant '${q.tenantId}'; nothing was changed`);
  }
  if (marks.deployment !== undefined && marks.deployment !== q.deploymentId) {
    throw new OwnershipError(
      `${q.object} is managed by another palette-onboarding deployment ('${marks.deployment}', this one is '${q.deploymentId}'); nothing was changed`,
    );
  }
  const createdByThisExecution = marks.createdBy === q.executionName;
  // Once adopted, always adopted: the object is the tenant's, but it keeps its stronger settings on every run.
  if (q.registry.recorded && q.registry.adopted) return { kind: 'adopt' };
  if (marks.tenant === q.tenantId && marks.deployment === q.deploymentId) {
    return { kind: 'own', createdByThisExecution, reason: 'marked' };
  }
  if (q.registry.intentBy === q.executionName) {
    // This execution wrote the intent, created the object and died before marking it.
    return { kind: 'own', createdByThisExecution: true, reason: 'intent' };
  }
  if (q.registry.recorded) return { kind: 'own', createdByThisExecution, reason: 'registry' };
  if (q.adopt) return { kind: 'adopt' };
  throw new OwnershipError(
    `${q.object} already exists and is not managed by palette-onboarding for tenant '${q.tenantId}'; ` +
      `set ${q.adoptField}: true to adopt it (adopting keeps its stronger settings and compensation never deletes it), or choose another name`,
  );
}

/**
 * The marks to put on an object: on one this execution creates, all of the plan's tags (with created-by); on an
 * existing one, its own tags merged with ours, where created-by is never added or rewritten — except for an object
 * this execution created and could not mark before it died (`createdByThisExecution`). `extra` wins over both.
 */
export function marksToApply(
  planTags: Readonly<Record<string, string>>,
  existing: Readonly<Record<string, string>> | undefined,
  opts: { createdByThisExecution?: boolean; extra?: Readonly<Record<string, string>> } = {},
): Record<string, string> {
  const extra = opts.extra ?? {};
  if (existing === undefined) return { ...planTags, ...extra };
  const merged: Record<string, string> = { ...existing, ...planTags, ...extra };
  const createdBy = existing[CREATED_BY_TAG];
  if (createdBy !== undefined) merged[CREATED_BY_TAG] = createdBy;
  else if (opts.createdByThisExecution && planTags[CREATED_BY_TAG] !== undefined) merged[CREATED_BY_TAG] = planTags[CREATED_BY_TAG];
  else delete merged[CREATED_BY_TAG];
  return merged;
}

/** Every wanted mark is present with its value (the object may carry more). */
export const marksConverged = (current: Readonly<Record<string, string>> | undefined, wanted: Readonly<Record<string, string>>): boolean =>
  Object.entries(wanted).every(([k, v]) => current?.[k] === v);
