/** VerifyRegistrations: Palette lists every registration of the plan under its name, with the uid its step returned. */
import { RegistrationsStateSchema } from '../domain/workflow-state';
import { parseState } from '../shared/handler';
import { verifyRegistrations, type VerificationResult } from '../services/registrations';

export async function handler(event: unknown): Promise<VerificationResult> {
  const { job, registrations } = parseState(RegistrationsStateSchema, event, 'verify-registrations');
  return verifyRegistrations(job.plan, registrations);
}
