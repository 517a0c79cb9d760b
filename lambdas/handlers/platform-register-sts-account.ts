/** PlatformSetup RegisterStsAccount: set Palette's system STS account to the stored key, read back and verify. */
import { PlatformRotationStateSchema, type StsRegistrationResult } from '../domain/platform';
import { parseState } from '../shared/handler';
import { registerStsAccount } from '../services/platform/registration';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<StsRegistrationResult> {
  const { job, accessKey, rotation, paletteBefore } = parseState(PlatformRotationStateSchema, event, 'platform-register-sts-account');
  const expected = 'accessKeyId' in rotation ? rotation.accessKeyId : accessKey.accessKeyId;
  return registerStsAccount(job.plan, expected, paletteBefore);
}

export const handler = withDeadline(handle);
