/** EnsureMinioBackupLocation: the Palette MinIO backup location (optional part), found by name, created or updated. */
import { JobStateSchema, type RegistrationResult } from '../domain/workflow-state';
import { StateInputError } from '../shared/errors';
import { parseState } from '../shared/handler';
import { ensureMinioBackupLocation } from '../services/onboarding/backup-locations-extra';

const NAME = 'ensure-minio-backup-location';

export async function handler(event: unknown): Promise<RegistrationResult> {
  const { job } = parseState(JobStateSchema, event, NAME);
  if (!job.plan.extras.minioBackupLocation) {
    throw new StateInputError(`${NAME}: the plan has no MinIO backup location (job.plan.extras.minioBackupLocation)`);
  }
  return ensureMinioBackupLocation(job.plan);
}
