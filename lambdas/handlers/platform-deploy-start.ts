/** Custom resource onEvent (Provider framework): start the PlatformSetup execution for this deployment. */
import { parseState } from '../shared/handler';
import { DeployEventSchema, startDeployRun, type OnEventResult } from '../services/platform/deploy';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<OnEventResult> {
  return startDeployRun(parseState(DeployEventSchema, event, 'platform-deploy-start'));
}

export const handler = withDeadline(handle);
