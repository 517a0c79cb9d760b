/**
 * Ensure<Kind> (every Palette registration kind, lambdas/domain/registrations.ts): the one handler of the
 * Registrations branches. Input (Parameters): `{registration, execution, job, palette?, principal?}`; returns the
 * kind's RegistrationResult (uids and secret ARNs only, never a value).
 */
import { StateInputError } from '../shared/errors';
import { parseState } from '../shared/handler';
import { ensureRegistration, EnsureRegistrationInputSchema, planEntry, type RegistrationOutcome } from '../services/registrations';
import type { RegistrationKey } from '../domain/registrations';
import { withDeadline } from '../shared/deadline';

const NAME = 'ensure-registration';

async function handle(event: unknown): Promise<RegistrationOutcome<RegistrationKey>> {
  const { registration, job, palette, principal } = parseState(EnsureRegistrationInputSchema, event, NAME);
  if (!planEntry(job.plan, registration)) {
    throw new StateInputError(`${NAME}: the plan has no registrations.${registration} (job.plan.registrations.${registration})`);
  }
  return ensureRegistration(registration, { plan: job.plan, ...(palette ? { palette } : {}), ...(principal ? { principal } : {}) });
}

export const handler = withDeadline(handle);
