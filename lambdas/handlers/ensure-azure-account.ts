/** EnsureAzureAccount: the optional Palette Azure cloud account, validated, found by name, created or updated. */
import { JobStateSchema, type RegistrationResult } from '../domain/workflow-state';
import { StateInputError } from '../shared/errors';
import { parseState } from '../shared/handler';
import { ensureAzureAccount } from '../services/onboarding/azure-account';

export async function handler(event: unknown): Promise<RegistrationResult> {
  const { job } = parseState(JobStateSchema, event, 'ensure-azure-account');
  if (!job.plan.extras.azureAccount) throw new StateInputError('ensure-azure-account: the plan has no extras.azureAccount');
  return ensureAzureAccount(job.plan);
}
