/**
 * EnsureBackupPolicy: the backup IAM policy exists with exactly the wanted document. A plan without an `aws` section has
 * nothing to provision in AWS: null (TenantResources runs for every plan: no Choice before it).
 */
import { hasAwsPart, JobStateSchema, type PolicyResult } from '../domain/workflow-state';
import { parseState } from '../shared/handler';
import { ensureBackupPolicy } from '../services/aws/policy';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<PolicyResult | null> {
  const { job } = parseState(JobStateSchema, event, 'ensure-backup-policy');
  if (!hasAwsPart(job.plan)) return null;
  return ensureBackupPolicy(job.plan);
}

export const handler = withDeadline(handle);
