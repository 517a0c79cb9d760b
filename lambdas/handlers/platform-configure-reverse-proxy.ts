/** PlatformSetup ConfigureReverseProxy: validate the secret again, PUT when different, read back and compare. */
import { PlatformJobStateSchema, type ReverseProxyResult } from '../domain/platform';
import { parseState } from '../shared/handler';
import { configureReverseProxy } from '../services/platform/reverse-proxy';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<ReverseProxyResult> {
  const { job } = parseState(PlatformJobStateSchema, event, 'platform-configure-reverse-proxy');
  return configureReverseProxy(job.plan);
}

export const handler = withDeadline(handle);
