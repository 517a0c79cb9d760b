/**
 * VerifyRegistrations: the Registrations Map's results (one per requested kind, in `job.registrationKinds` order)
 * keyed by kind, `{skipped: true}` for the kinds not asked for (what the summary and the `Tenant Registered` event
 * report); then Palette lists every registration of the plan under its name, with the uid its step returned.
 */
import { registrationsByKind, type RegistrationKey } from '../domain/registrations';
import { RegistrationsStateSchema, type RegistrationResult } from '../domain/workflow-state';
import { StateInputError } from '../shared/errors';
import { parseState } from '../shared/handler';
import { verifyRegistrations, type VerificationResult } from '../services/registrations';
import { withDeadline } from '../shared/deadline';

const NAME = 'verify-registrations';

export interface VerifiedRegistrations {
  registrations: Record<RegistrationKey, RegistrationResult | { skipped: true }>;
  verification: VerificationResult;
}

async function handle(event: unknown): Promise<VerifiedRegistrations> {
  const { job, registrations } = parseState(RegistrationsStateSchema, event, NAME);
  if (registrations.length !== job.registrationKinds.length) {
    throw new StateInputError(`${NAME}: ${registrations.length} registration results for the ${job.registrationKinds.length} kinds of job.registrationKinds (${job.registrationKinds.join(', ')})`);
  }
  const byKind = registrationsByKind(job.registrationKinds, registrations);
  return { registrations: byKind, verification: await verifyRegistrations(job.plan, byKind) };
}

export const handler = withDeadline(handle);
