/** PlatformSetup EnsureStsUser: the IAM user Palette assumes tenant roles with, and its one policy. */
import { PlatformJobStateSchema, type StsUserResult } from '../domain/platform';
import { parseState } from '../shared/handler';
import { ensureStsUser } from '../services/platform/principal';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<StsUserResult> {
  const { job } = parseState(PlatformJobStateSchema, event, 'platform-ensure-sts-user');
  return ensureStsUser(job.plan);
}

export const handler = withDeadline(handle);
