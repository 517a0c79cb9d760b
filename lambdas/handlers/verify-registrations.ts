/** VerifyRegistrations: Palette lists every registration of the plan under its name, with the uid its step returned. */
import { RegistrationsStateSchema } from '../domain/workflow-state';
import { parseState } from '../shared/handler';
import { verifyRegistrations, type VerificationResult } from '../services/registrations';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<VerificationResult> {
  const { job, registrations } = parseState(RegistrationsStateSchema, event, 'verify-registrations');
  return verifyRegistrations(job.plan, registrations);
}

export const handler = withDeadline(handle);
