/**
 * The one reconciler of Palette registrations: every kind (lambdas/domain/registrations.ts) is ensured and undone
 * here, through its adapter (kinds/), under the ownership rule (lambdas/domain/ownership.ts) applied in this file
 * only. Palette has no idempotency key, so an object is found by name first:
 *
 * - missing: validate, write-ahead intent in the tenant registry, create with the plan's marks (tenant, managed-by
 *   = the deployment id, created-by = this execution), record it as created;
 * - existing: the ownership decision BEFORE anything is changed (OwnershipError for another tenant's or deployment's
 *   object, or an unmarked one the request does not adopt), then the kind's renewal of credentials it generates (the
 *   API key), then converge: validate + update only when the spec, the marks or the credentials drifted. created-by is
 *   never added to an adopted object and never rewritten; adopting never weakens (annotations and fields we do not
 *   manage are kept);
 * - credentials Palette masks (read from the tenant's secrets through `ctx.credentials`): the object carries the
 *   fingerprint of the secret versions it was given (lambdas/domain/credential-changes.ts); another version (a rotated
 *   secret) or no fingerprint yet is validated with Palette first (a rejection is a RequestValidationError naming the
 *   secret's field; nothing changed), then sent with the new fingerprint in the same update;
 * - undo: deletes only what this execution created (its created-by mark, or the registry's record of this
 *   execution's intent or create: a Lambda that died after the POST), and forgets it in the registry.
 */
import { CREDENTIALS_FINGERPRINT_ANNOTATION, credentialsState, type CredentialsState } from '../../domain/credential-changes';
import { paletteScopeKey, resourceKey } from '../../domain/names';
import { marksConverged, marksOf, marksToApply } from '../../domain/ownership';
import { REGISTRATION_KEYS, REGISTRATIONS, registrationScope, type RegistrationKey, type RegistrationPlan } from '../../domain/registrations';
import { COMPENSATION, type Removal } from '../../domain/removal';
import type { PaletteIdentity, Plan, PrincipalResult } from '../../domain/workflow-state';
import { CompensationError, MinioValidationError, RequestValidationError, StateInputError } from '../../shared/errors';
import { isRetryableError } from '../../shared/retryable-errors';
import { logger } from '../../shared/logger';
import type { UndoResult } from '../aws/bucket';
import { paletteClient } from '../onboarding/palette';
import { PaletteConflictError, PaletteValidationError } from '../palette';
import { TenantOwnership } from '../registry/ownership';
import { CredentialReads } from './credentials';
import { RECONCILERS } from './kinds';
import type { Existing, KindContext, LookupContext, Reconciler, RegistrationOutcome } from './types';

/** The plan's entry of a kind, or undefined when the request does not ask for it. */
export function planEntry<K extends RegistrationKey>(plan: Plan, key: K): RegistrationPlan<K> | undefined {
  return plan.registrations[key] as RegistrationPlan<K> | undefined;
}

/** The tenant registry key of a kind's object (names are unique per Palette scope and kind). */
export function registrationRegistryKey(plan: Plan, key: RegistrationKey, name: string): string {
  return resourceKey.palette(paletteScopeKey(registrationScope(key, plan.projectUid)), REGISTRATIONS[key].paletteKind, name);
}

/** How errors and undo results name a kind's object. */
const describe = (key: RegistrationKey, name: string, uid: string) => `Palette ${REGISTRATIONS[key].label} '${name}' (${uid})`;
const undoId = (key: RegistrationKey, uid: string) => `palette:${REGISTRATIONS[key].paletteKind}/${uid}`;

export function lookupContext<K extends RegistrationKey>(key: K, plan: Plan): LookupContext<K> | undefined {
  const entry = planEntry(plan, key);
  if (!entry) return undefined;
  const client = paletteClient(plan.paletteApiKeySecretArn);
  const projectUid = registrationScope(key, plan.projectUid);
  return {
    key,
    kind: REGISTRATIONS[key],
    plan,
    entry,
    name: entry.name,
    client,
    scope: projectUid ? client.project(projectUid) : client,
  };
}

function kindContext<K extends RegistrationKey>(
  lookup: LookupContext<K>,
  ownership: TenantOwnership,
  extra: { aws?: { palette: PaletteIdentity; principal: PrincipalResult }; now: Date },
): KindContext<K> {
  return {
    ...lookup,
    ownership,
    registryKey: registrationRegistryKey(lookup.plan, lookup.key, lookup.name),
    ...(extra.aws ? { aws: extra.aws } : {}),
    now: extra.now,
    credentials: new CredentialReads({ plan: lookup.plan, kind: lookup.kind, entry: lookup.entry }),
  };
}

/** Palette's (or the MinIO probe's) verdict that credentials do not work: permanent, and about the secret's content. */
const isRejection = (e: unknown) => e instanceof PaletteValidationError || e instanceof MinioValidationError;

/**
 * Validation of changed credentials (another secret version than Palette holds, or none recorded): a rejection is a
 * RequestValidationError naming the secret's request field; Palette keeps what it has. Other failures as they are.
 */
async function validateChanged<K extends RegistrationKey>(r: Reconciler<K>, ctx: KindContext<K>, desired: unknown, state: CredentialsState): Promise<void> {
  try {
    await r.validate?.(ctx, desired, 'update');
  } catch (e) {
    if (!isRejection(e)) throw e;
    const what = state === 'changed' ? 'the secret has a new version whose' : "Palette holds credentials of an unknown version; the secret's";
    throw new RequestValidationError(
      ctx.credentials.fields.map((path) => ({
        path,
        message: `${what} credentials fail validation for ${REGISTRATIONS[ctx.key].label} '${ctx.name}' (${(e as Error).message}); nothing was changed in Palette`,
      })),
    );
  }
}

export interface EnsureRegistrationArgs {
  plan: Plan;
  /** Palette's identity and the AWS principal: required by the kinds with `needsPrincipal`. */
  palette?: PaletteIdentity;
  principal?: PrincipalResult;
  /** Clock (tests). */
  now?: Date;
  /** Internal: this ensure already started over once after a create answered 409 for its own late object. */
  conflictRetried?: boolean;
}

/** Ensures one registration of the plan; returns its result (never a secret value). */
export async function ensureRegistration<K extends RegistrationKey>(key: K, input: EnsureRegistrationArgs): Promise<RegistrationOutcome<K>> {
  const { plan } = input;
  const kind = REGISTRATIONS[key];
  const lookup = lookupContext(key, plan);
  if (!lookup) throw new StateInputError(`the plan has no registrations.${key}: this step runs only when the request asks for ${kind.requestPath}`);
  if (kind.needsPrincipal && !(input.palette && input.principal)) {
    throw new StateInputError(`${kind.label} needs Palette's identity and the AWS principal (palette, principal) in the step input`);
  }
  const aws = input.palette && input.principal ? { palette: input.palette, principal: input.principal } : undefined;
  const r: Reconciler<K> = RECONCILERS[key];
  const ownership = await TenantOwnership.load(plan);
  const ctx = kindContext(lookup, ownership, { ...(aws ? { aws } : {}), now: input.now ?? new Date() });
  const name = ctx.name;
  const log = { registration: key, name };

  await r.precheck?.(ctx);
  let desired = await r.desired(ctx);
  const found = await r.find(ctx);
  // The fingerprint of the credentials desired() read (none for kinds that read no masked secret).
  const fingerprint = ctx.credentials.fingerprint();
  const extraAnnotations = (): Record<string, string> => ({
    ...(r.annotations?.(ctx, desired) ?? {}),
    ...(fingerprint ? { [CREDENTIALS_FINGERPRINT_ANNOTATION]: fingerprint } : {}),
  });

  const create = async (replaced: boolean): Promise<RegistrationOutcome<K>> => {
    const annotations = marksToApply(plan.tags, undefined, { extra: extraAnnotations() });
    await ownership.intend(ctx.registryKey);
    let created;
    try {
      created = await r.create(ctx, desired, annotations);
    } catch (e) {
      // 409: an object of this name appeared after find(). When it carries this execution's marks, it is an earlier
      // attempt's POST that Palette applied late (the attempt timed out, or its Lambda died, before the answer): the
      // ensure starts over once and converges on it like on any object this execution created. Anything else (another
      // owner, another execution) stays a conflict.
      if (!(e instanceof PaletteConflictError) || input.conflictRetried) throw e;
      const again = await r.find(ctx);
      const marks = marksOf(again?.annotations);
      if (!again || marks.createdBy !== plan.executionName || marks.tenant !== plan.tenantId || marks.deployment !== plan.deploymentId) throw e;
      logger.warn('Palette registration already created by an earlier attempt of this execution: converging on it', { ...log, uid: again.uid });
      return ensureRegistration(key, { ...input, conflictRetried: true });
    }
    await ownership.record({ key: ctx.registryKey, part: key, id: created.uid, name, ownership: 'created' });
    logger.info(replaced ? 'Palette registration replaced' : 'Palette registration created', { ...log, uid: created.uid });
    return { uid: created.uid, name, created: true, updated: replaced, ...created.resultFields } as RegistrationOutcome<K>;
  };

  if (!found) {
    if (r.resolve) desired = await r.resolve(ctx, desired, undefined);
    await r.validate?.(ctx, desired, 'create');
    return create(false);
  }

  // Nothing is changed before the ownership rule allowed the object.
  const decision = ownership.decide({
    key: ctx.registryKey,
    object: describe(key, name, found.uid),
    marks: found.annotations,
    adopt: lookup.entry.adopt,
    adoptField: `${kind.requestPath}.adopt`,
  });
  let existing: Existing<unknown> = { ...found, decision };
  if (r.resolve) desired = await r.resolve(ctx, desired, existing);
  const renewed = r.renew ? await r.renew(ctx, desired, existing) : undefined;
  if (renewed) ({ existing, desired } = renewed);

  if (r.mustReplace?.(ctx, desired, existing)) {
    await r.validate?.(ctx, desired, 'create');
    await r.delete(ctx, existing.uid);
    logger.info('Palette registration deleted to be replaced', { ...log, uid: existing.uid });
    return create(true);
  }

  const annotations = marksToApply(plan.tags, existing.annotations, {
    createdByThisExecution: decision.kind === 'own' && decision.createdByThisExecution,
    extra: extraAnnotations(),
  });
  const credentials = fingerprint ? credentialsState(existing.annotations, fingerprint) : 'same';
  const converged = r.converged(ctx, existing, desired) && marksConverged(existing.annotations, annotations);
  if (!converged) {
    if (credentials === 'same') await r.validate?.(ctx, desired, 'update');
    else await validateChanged(r, ctx, desired, credentials);
    await r.update(ctx, existing, desired, annotations);
    const what =
      decision.kind === 'adopt'
        ? 'Palette registration adopted'
        : credentials === 'changed'
          ? 'Palette registration updated (credentials changed)'
          : credentials === 'unknown'
            ? 'Palette registration updated (credentials sent, fingerprint recorded)'
            : 'Palette registration updated (drift)';
    logger.info(what, { ...log, uid: existing.uid });
  }
  await ownership.record({ key: ctx.registryKey, part: key, id: existing.uid, name, ownership: existing.decision });
  return {
    uid: existing.uid,
    name,
    created: false,
    updated: !converged || renewed !== undefined,
    ...(decision.kind === 'adopt' ? { adopted: true } : {}),
    ...r.resultFields?.(ctx, desired, existing),
  } as RegistrationOutcome<K>;
}

/**
 * Compensation of one kind: deletes its object only if this execution created it (otherwise reports it
 * retained), then what the kind wrote besides it (its secrets), under the same rule.
 */
export async function undoRegistration(key: RegistrationKey, plan: Plan, ownership?: TenantOwnership): Promise<UndoResult> {
  const result: UndoResult = { deleted: [], retained: [] };
  const lookup = lookupContext(key, plan);
  if (!lookup) return result;
  const owner = ownership ?? (await TenantOwnership.load(plan));
  const ctx = kindContext(lookup, owner, { now: new Date() });
  const r: Reconciler<RegistrationKey> = RECONCILERS[key];
  const found = await r.find(ctx);
  if (!found) {
    await owner.forget(ctx.registryKey);
  } else {
    const decision = owner.mayRemove(ctx.registryKey, found.annotations);
    if (decision.remove) {
      await r.delete(ctx, found.uid);
      await owner.forget(ctx.registryKey);
      result.deleted.push(undoId(key, found.uid));
      logger.info(`Palette registration deleted (${owner.removal.mode})`, { registration: key, name: ctx.name, uid: found.uid });
    } else {
      result.retained.push({ id: undoId(key, found.uid), reason: `${REGISTRATIONS[key].label} '${ctx.name}' ${decision.reason}` });
    }
  }
  if (r.undoWritten) {
    const written = await r.undoWritten(ctx);
    result.deleted.push(...written.deleted);
    result.retained.push(...written.retained);
  }
  return result;
}

/**
 * Compensation for the Palette side: every registration of the plan (and every secret written for one) that
 * this execution created. Each kind is undone even when another fails. A transient failure (throttling, 5xx,
 * reset: lambdas/shared/retryable-errors.ts) is rethrown with its own retryable name once every kind was tried, so
 * the UndoRegistrations state's Retry runs the (idempotent) undo again; only when every failure is permanent are
 * they reported together as "could not remove" (CompensationError, not retried).
 */
export async function undoAllRegistrations(plan: Plan, removal: Removal = COMPENSATION): Promise<UndoResult> {
  const undoing = plan;
  const result: UndoResult = { deleted: [], retained: [] };
  const keys = REGISTRATION_KEYS.filter((k) => planEntry(plan, k) !== undefined);
  if (keys.length === 0) return result;
  const ownership = await TenantOwnership.load(undoing, removal);
  const failures: string[] = [];
  let transient: Error | undefined;
  for (const key of keys) {
    try {
      const r = await undoRegistration(key, undoing, ownership);
      result.deleted.push(...r.deleted);
      result.retained.push(...r.retained);
    } catch (e) {
      if (isRetryableError(e)) transient ??= e as Error;
      failures.push(`${key}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
  }
  if (transient) {
    // What this attempt removed is gone; the retry finds nothing there and reports only what is left.
    logger.warn('Palette compensation hit a transient error; the state retries it', {
      errorName: transient.name,
      failures,
      deleted: result.deleted,
    });
    throw transient;
  }
  if (failures.length > 0) {
    throw new CompensationError(`could not undo every registration (${failures.join('; ')}); deleted so far: ${result.deleted.join(', ') || 'nothing'}`);
  }
  return result;
}
