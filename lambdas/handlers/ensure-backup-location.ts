/** EnsureBackupLocation: the Palette S3 backup location, found by name, created or updated. */
import { PrincipalStateSchema, type RegistrationResult } from '../domain/workflow-state';
import { parseState } from '../shared/handler';
import { ensureBackupLocation } from '../services/onboarding/registrations';

export async function handler(event: unknown): Promise<RegistrationResult> {
  const { job, palette, principal } = parseState(PrincipalStateSchema, event, 'ensure-backup-location');
  return ensureBackupLocation({ plan: job.plan, palette, principal });
}
