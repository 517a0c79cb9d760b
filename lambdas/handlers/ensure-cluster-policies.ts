/** EnsureClusterPolicies: the tenant's cluster policies are exactly those of `aws.clusterPolicies`, with their documents. */
import { AwsJobStateSchema, type ClusterPoliciesResult } from '../domain/workflow-state';
import { parseState } from '../shared/handler';
import { ensureClusterPolicies } from '../services/aws/policy';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<ClusterPoliciesResult> {
  const { job } = parseState(AwsJobStateSchema, event, 'ensure-cluster-policies');
  return ensureClusterPolicies(job.plan);
}

export const handler = withDeadline(handle);
