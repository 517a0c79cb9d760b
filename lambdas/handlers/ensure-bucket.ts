/** EnsureBucket: the tenant's backup bucket exists with the required configuration. */
import { AwsJobStateSchema, type BucketResult } from '../domain/workflow-state';
import { parseState } from '../shared/handler';
import { ensureBucket } from '../services/aws/bucket';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<BucketResult> {
  const { job } = parseState(AwsJobStateSchema, event, 'ensure-bucket');
  return ensureBucket(job.plan);
}

export const handler = withDeadline(handle);
