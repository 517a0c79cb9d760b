/** VerifyRegistrations: Palette lists the cloud account (when registered) and the backup location. */
import { RegistrationsStateSchema } from '../domain/workflow-state';
import { parseState } from '../shared/handler';
import { verifyRegistrations, type VerificationResult } from '../services/onboarding/registrations';

export async function handler(event: unknown): Promise<VerificationResult> {
  const { job, registrations } = parseState(RegistrationsStateSchema, event, 'verify-registrations');
  const cloudAccountUid = 'uid' in registrations.cloudAccount ? registrations.cloudAccount.uid : undefined;
  return verifyRegistrations(job.plan, {
    backupLocationUid: registrations.backupLocation.uid,
    ...(cloudAccountUid ? { cloudAccountUid } : {}),
  });
}
