/** EnsureGcpBackupLocation: the Palette GCP backup location (optional part), found by name, created or updated. */
import { JobStateSchema, type RegistrationResult } from '../domain/workflow-state';
import { StateInputError } from '../shared/errors';
import { parseState } from '../shared/handler';
import { ensureGcpBackupLocation } from '../services/onboarding/backup-locations-extra';

const NAME = 'ensure-gcp-backup-location';

export async function handler(event: unknown): Promise<RegistrationResult> {
  const { job } = parseState(JobStateSchema, event, NAME);
  if (!job.plan.extras.gcpBackupLocation) {
    throw new StateInputError(`${NAME}: the plan has no GCP backup location (job.plan.extras.gcpBackupLocation)`);
  }
  return ensureGcpBackupLocation(job.plan);
}
