/** EnsureSshKey: the optional Palette SSH key, supplied or generated (private key to Secrets Manager). */
import { JobStateSchema } from '../domain/workflow-state';
import { StateInputError } from '../shared/errors';
import { parseState } from '../shared/handler';
import { ensureSshKey, type SshKeyResult } from '../services/onboarding/ssh-key';

export async function handler(event: unknown): Promise<SshKeyResult> {
  const { job } = parseState(JobStateSchema, event, 'ensure-ssh-key');
  if (!job.plan.extras.sshKey) throw new StateInputError('ensure-ssh-key: the plan has no extras.sshKey');
  return ensureSshKey(job.plan);
}
