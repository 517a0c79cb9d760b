/** EnsureAzureBackupLocation: the Palette Azure backup location (optional part), found by name, created or updated. */
import { JobStateSchema, type RegistrationResult } from '../domain/workflow-state';
import { StateInputError } from '../shared/errors';
import { parseState } from '../shared/handler';
import { ensureAzureBackupLocation } from '../services/onboarding/backup-locations-extra';

const NAME = 'ensure-azure-backup-location';

export async function handler(event: unknown): Promise<RegistrationResult> {
  const { job } = parseState(JobStateSchema, event, NAME);
  if (!job.plan.extras.azureBackupLocation) {
    throw new StateInputError(`${NAME}: the plan has no Azure backup location (job.plan.extras.azureBackupLocation)`);
  }
  return ensureAzureBackupLocation(job.plan);
}
