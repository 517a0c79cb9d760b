/**
 * Ensure<Kind> (every Palette registration kind, lambdas/domain/registrations.ts): the one handler of the
 * Registrations Map's iterations (each kind has its own function, with its own role). Input (Parameters):
 * `{registration, execution, job, palette, principal}`; Palette's identity and the principal reach the kind's
 * reconciler only for the AWS kinds (`needsPrincipal`). Returns the kind's RegistrationResult (uids and secret ARNs
 * only, never a value).
 */
import { StateInputError } from '../shared/errors';
import { parseState } from '../shared/handler';
import { ensureRegistration, EnsureRegistrationInputSchema, planEntry, type RegistrationOutcome } from '../services/registrations';
import { REGISTRATIONS, type RegistrationKey } from '../domain/registrations';
import { withDeadline } from '../shared/deadline';

const NAME = 'ensure-registration';

async function handle(event: unknown): Promise<RegistrationOutcome<RegistrationKey>> {
  const { registration, job, palette, principal } = parseState(EnsureRegistrationInputSchema, event, NAME);
  if (!planEntry(job.plan, registration)) {
    throw new StateInputError(`${NAME}: the plan has no registrations.${registration} (job.plan.registrations.${registration})`);
  }
  const aws = REGISTRATIONS[registration].needsPrincipal;
  return ensureRegistration(registration, { plan: job.plan, ...(aws && palette ? { palette } : {}), ...(aws && principal ? { principal } : {}) });
}

export const handler = withDeadline(handle);
