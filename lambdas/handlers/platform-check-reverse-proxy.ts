/** PlatformSetup CheckReverseProxySecret: validate the reverse-proxy secret before any Palette call. */
import { PlatformJobStateSchema } from '../domain/platform';
import type { ReverseProxySummary } from '../domain/reverse-proxy';
import { parseState } from '../shared/handler';
import { checkReverseProxySecret } from '../services/platform/reverse-proxy';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<ReverseProxySummary> {
  const { job } = parseState(PlatformJobStateSchema, event, 'platform-check-reverse-proxy');
  return checkReverseProxySecret(job.plan);
}

export const handler = withDeadline(handle);
