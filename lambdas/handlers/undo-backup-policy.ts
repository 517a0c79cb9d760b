/** Compensation: delete the backup policy, only if this execution created it. */
import { compensationHandler } from '../shared/handler';
import { undoBackupPolicy } from '../services/aws/policy';

export const handler = compensationHandler('undo-backup-policy', undoBackupPolicy);
