/** EnsureCloudAccount: the Palette AWS cloud account, found by name, created or updated. */
import { PrincipalStateSchema, type RegistrationResult } from '../domain/workflow-state';
import { parseState } from '../shared/handler';
import { ensureCloudAccount } from '../services/onboarding/registrations';

export async function handler(event: unknown): Promise<RegistrationResult> {
  const { job, palette, principal } = parseState(PrincipalStateSchema, event, 'ensure-cloud-account');
  return ensureCloudAccount({ plan: job.plan, palette, principal });
}
