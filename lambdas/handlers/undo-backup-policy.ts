/** Compensation: delete the backup policy, only if this execution created it. */
import { awsCompensationHandler } from '../shared/handler';
import { undoBackupPolicy } from '../services/aws/policy';

export const handler = awsCompensationHandler('undo-backup-policy', undoBackupPolicy);
