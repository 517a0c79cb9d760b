/** PlatformSetup CleanupAccessKeys: delete keys neither the secret nor Palette use (the old key after a rotation). */
import { PlatformJobStateSchema, type KeyCleanupResult } from '../domain/platform';
import { parseState } from '../shared/handler';
import { cleanupAccessKeys } from '../services/platform/principal';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<KeyCleanupResult> {
  const { job } = parseState(PlatformJobStateSchema, event, 'platform-cleanup-access-keys');
  return cleanupAccessKeys(job.plan);
}

export const handler = withDeadline(handle);
