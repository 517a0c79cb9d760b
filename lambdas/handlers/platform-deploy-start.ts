/** Custom resource onEvent (Provider framework): start the PlatformSetup execution for this deployment. */
import { parseState } from '../shared/handler';
import { DeployEventSchema, startDeployRun, type OnEventResult } from '../services/platform/deploy';

export async function handler(event: unknown): Promise<OnEventResult> {
  return startDeployRun(parseState(DeployEventSchema, event, 'platform-deploy-start'));
}
