/**
 * Compensation: detach and delete the cluster policies this execution created. Offboarding (RemoveClusterPolicies):
 * those the tenant registry records as the tenant's.
 */
import { awsCompensationHandler } from '../shared/handler';
import { undoClusterPolicies } from '../services/aws/policy';

export const handler = awsCompensationHandler('undo-cluster-policies', undoClusterPolicies);
