/** PlatformSetup ConfigureReverseProxy: validate the secret again, PUT when different, read back and compare. */
import { PlatformJobStateSchema, type ReverseProxyResult } from '../domain/platform';
import { parseState } from '../shared/handler';
import { configureReverseProxy } from '../services/platform/reverse-proxy';

export async function handler(event: unknown): Promise<ReverseProxyResult> {
  const { job } = parseState(PlatformJobStateSchema, event, 'platform-configure-reverse-proxy');
  return configureReverseProxy(job.plan);
}
