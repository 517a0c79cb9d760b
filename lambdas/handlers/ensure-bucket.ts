/** EnsureBucket: the tenant's backup bucket exists with the required configuration. */
import { JobStateSchema, type BucketResult } from '../domain/workflow-state';
import { parseState } from '../shared/handler';
import { ensureBucket } from '../services/aws/bucket';

export async function handler(event: unknown): Promise<BucketResult> {
  const { job } = parseState(JobStateSchema, event, 'ensure-bucket');
  return ensureBucket(job.plan);
}
