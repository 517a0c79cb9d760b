/** PlatformSetup EnsureAccessKey: one active key of the STS principal, stored straight in Secrets Manager. */
import { PlatformLoginStateSchema, type AccessKeyResult } from '../domain/platform';
import { parseState } from '../shared/handler';
import { ensureAccessKey } from '../services/platform/principal';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<AccessKeyResult> {
  const { job, paletteBefore } = parseState(PlatformLoginStateSchema, event, 'platform-ensure-access-key');
  return ensureAccessKey(job.plan, paletteBefore);
}

export const handler = withDeadline(handle);
