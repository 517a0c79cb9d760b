/** VerifyRegistrations: Palette lists the cloud account (when registered) and the backup location. */
import { RegistrationsStateSchema } from '../domain/workflow-state';
import { parseState } from '../shared/handler';
import { OPTIONAL_PARTS, verifyRegistrations, type OptionalPart, type VerificationResult } from '../services/onboarding/registrations';

export async function handler(event: unknown): Promise<VerificationResult> {
  const { job, registrations } = parseState(RegistrationsStateSchema, event, 'verify-registrations');
  const uidOf = (r: { uid: string } | { skipped: true } | undefined) => (r && 'uid' in r ? r.uid : undefined);
  const cloudAccountUid = uidOf(registrations.cloudAccount);
  const extras = Object.fromEntries(
    OPTIONAL_PARTS.map((part) => [part, uidOf(registrations[part])]).filter(([, uid]) => uid !== undefined),
  ) as Partial<Record<OptionalPart, string>>;
  return verifyRegistrations(job.plan, {
    backupLocationUid: registrations.backupLocation.uid,
    ...(cloudAccountUid ? { cloudAccountUid } : {}),
    extras,
  });
}
