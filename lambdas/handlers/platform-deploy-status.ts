/** Custom resource isComplete (Provider framework): poll the execution; a failed one fails the deployment. */
import { parseState } from '../shared/handler';
import { DeployEventSchema, deployRunStatus, type IsCompleteResult } from '../services/platform/deploy';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<IsCompleteResult> {
  return deployRunStatus(parseState(DeployEventSchema, event, 'platform-deploy-status'));
}

export const handler = withDeadline(handle);
