/**
 * VerifyRegistrations: Palette must list every registration of the plan under its name with the uid its ensure
 * step returned. Generic over the kinds (lambdas/domain/registrations.ts); reads only, no registry.
 */
import { REGISTRATION_KEYS, REGISTRATIONS, type RegistrationKey } from '../../domain/registrations';
import type { Plan } from '../../domain/workflow-state';
import { StateInputError, VerificationError } from '../../shared/errors';
import { RECONCILERS } from './kinds';
import { lookupContext } from './reconcile';
import type { Reconciler } from './types';

/** Each kind's branch result: a registration (with its uid), `{skipped: true}`, or nothing. */
export type RegistrationResults = Partial<Record<RegistrationKey, { uid: string } | { skipped: true } | undefined>>;

export interface VerificationResult {
  ok: true;
  /** The uid Palette lists for each registration of the plan, by kind. */
  uids: Partial<Record<RegistrationKey, string>>;
}

const uidOf = (r: RegistrationResults[RegistrationKey]) => (r && 'uid' in r ? r.uid : undefined);

export async function verifyRegistrations(plan: Plan, results: RegistrationResults): Promise<VerificationResult> {
  const problems: string[] = [];
  const uids: Partial<Record<RegistrationKey, string>> = {};
  for (const key of REGISTRATION_KEYS) {
    const kind = REGISTRATIONS[key];
    const expected = uidOf(results[key]);
    const lookup = lookupContext(key, plan);
    if (!lookup) {
      if (expected !== undefined) throw new StateInputError(`registrations.${key} has a result (${expected}) but the plan has no registrations.${key}`);
      continue;
    }
    const what = `${kind.label} '${lookup.name}'`;
    if (expected === undefined) {
      problems.push(`${what} has no registration result`);
      continue;
    }
    const r: Reconciler<RegistrationKey> = RECONCILERS[key];
    const found = (await r.find(lookup))?.uid;
    if (found !== expected) problems.push(`${what} ${found ? `has uid ${found}, expected ${expected}` : 'is not listed'}`);
    else uids[key] = found;
  }
  if (problems.length > 0) throw new VerificationError(`Palette does not list the registrations: ${problems.join('; ')}`);
  return { ok: true, uids };
}
