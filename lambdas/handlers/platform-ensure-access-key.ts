/** PlatformSetup EnsureAccessKey: one active key of the STS principal, stored straight in Secrets Manager. */
import { PlatformLoginStateSchema, type AccessKeyResult } from '../domain/platform';
import { parseState } from '../shared/handler';
import { ensureAccessKey } from '../services/platform/principal';

export async function handler(event: unknown): Promise<AccessKeyResult> {
  const { job, paletteBefore } = parseState(PlatformLoginStateSchema, event, 'platform-ensure-access-key');
  return ensureAccessKey(job.plan, paletteBefore);
}
