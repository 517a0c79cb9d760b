/** PlatformSetup RotateAccessKey: create and store the second key (Palette is switched by RegisterStsAccount). */
import { PlatformAccessKeyStateSchema, type RotationResult } from '../domain/platform';
import { parseState } from '../shared/handler';
import { rotateAccessKey } from '../services/platform/principal';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<RotationResult> {
  const { job, paletteBefore, accessKey } = parseState(PlatformAccessKeyStateSchema, event, 'platform-rotate-access-key');
  return rotateAccessKey(job.plan, paletteBefore, accessKey);
}

export const handler = withDeadline(handle);
