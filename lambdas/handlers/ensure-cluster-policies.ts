/**
 * EnsureClusterPolicies: the tenant's cluster policies are exactly those of `aws.clusterPolicies`, with their documents. A plan without an `aws` section has
 * nothing to provision in AWS: null (TenantResources runs for every plan: no Choice before it).
 */
import { hasAwsPart, JobStateSchema, type ClusterPoliciesResult } from '../domain/workflow-state';
import { parseState } from '../shared/handler';
import { ensureClusterPolicies } from '../services/aws/policy';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<ClusterPoliciesResult | null> {
  const { job } = parseState(JobStateSchema, event, 'ensure-cluster-policies');
  if (!hasAwsPart(job.plan)) return null;
  return ensureClusterPolicies(job.plan);
}

export const handler = withDeadline(handle);
