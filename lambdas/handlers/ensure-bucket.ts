/**
 * EnsureBucket: the tenant's backup bucket exists with the required configuration. A plan without an `aws` section has
 * nothing to provision in AWS: null (TenantResources runs for every plan: no Choice before it).
 */
import { hasAwsPart, JobStateSchema, type BucketResult } from '../domain/workflow-state';
import { parseState } from '../shared/handler';
import { ensureBucket } from '../services/aws/bucket';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<BucketResult | null> {
  const { job } = parseState(JobStateSchema, event, 'ensure-bucket');
  if (!hasAwsPart(job.plan)) return null;
  return ensureBucket(job.plan);
}

export const handler = withDeadline(handle);
