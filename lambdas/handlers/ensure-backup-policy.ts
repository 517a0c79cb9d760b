/** EnsureBackupPolicy: the backup IAM policy exists with exactly the wanted document. */
import { AwsJobStateSchema, type PolicyResult } from '../domain/workflow-state';
import { parseState } from '../shared/handler';
import { ensureBackupPolicy } from '../services/aws/policy';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<PolicyResult> {
  const { job } = parseState(AwsJobStateSchema, event, 'ensure-backup-policy');
  return ensureBackupPolicy(job.plan);
}

export const handler = withDeadline(handle);
