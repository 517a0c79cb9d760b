/** PlatformSetup CheckSystemLogin: syslogin with the system console credentials; Palette's STS account before any change. */
import { PlatformJobStateSchema, type PaletteStsBefore } from '../domain/platform';
import { parseState } from '../shared/handler';
import { checkSystemLogin } from '../services/platform/registration';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<PaletteStsBefore> {
  const { job } = parseState(PlatformJobStateSchema, event, 'platform-check-system-login');
  return checkSystemLogin(job.plan);
}

export const handler = withDeadline(handle);
