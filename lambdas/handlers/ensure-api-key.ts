/** EnsureApiKey: the optional Palette API key; its value goes straight to Secrets Manager, only the ARN is returned. */
import { JobStateSchema } from '../domain/workflow-state';
import { StateInputError } from '../shared/errors';
import { parseState } from '../shared/handler';
import { ensureApiKey, type ApiKeyResult } from '../services/onboarding/api-key';

export async function handler(event: unknown): Promise<ApiKeyResult> {
  const { job } = parseState(JobStateSchema, event, 'ensure-api-key');
  if (!job.plan.extras.apiKey) throw new StateInputError('ensure-api-key: the plan has no extras.apiKey');
  return ensureApiKey(job.plan);
}
