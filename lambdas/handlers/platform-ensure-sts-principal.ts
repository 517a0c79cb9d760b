/** PlatformSetup EnsureStsPrincipal: the IAM user Palette assumes tenant roles with, its one policy and stored key. */
import { PlatformLoginStateSchema, type StsPrincipalResult } from '../domain/platform';
import { parseState } from '../shared/handler';
import { ensureStsPrincipal } from '../services/platform';

export async function handler(event: unknown): Promise<StsPrincipalResult> {
  const { job, paletteBefore } = parseState(PlatformLoginStateSchema, event, 'platform-ensure-sts-principal');
  return ensureStsPrincipal(job.plan, paletteBefore);
}
