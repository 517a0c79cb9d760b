/** Custom resource isComplete (Provider framework): poll the execution; a failed one fails the deployment. */
import { parseState } from '../shared/handler';
import { DeployEventSchema, deployRunStatus, type IsCompleteResult } from '../services/platform/deploy';

export async function handler(event: unknown): Promise<IsCompleteResult> {
  return deployRunStatus(parseState(DeployEventSchema, event, 'platform-deploy-status'));
}
