/** PlatformSetup EnsureStsUser: the IAM user Palette assumes tenant roles with, and its one policy. */
import { PlatformJobStateSchema, type StsUserResult } from '../domain/platform';
import { parseState } from '../shared/handler';
import { ensureStsUser } from '../services/platform/principal';

export async function handler(event: unknown): Promise<StsUserResult> {
  const { job } = parseState(PlatformJobStateSchema, event, 'platform-ensure-sts-user');
  return ensureStsUser(job.plan);
}
