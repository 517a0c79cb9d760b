/** Custom resource isComplete (Provider framework): poll this deploy's executions; a failed one fails the deployment. */
import { parseState } from '../shared/handler';
import { DeclaredTenantsEventSchema, declaredTenantsStatus, type IsCompleteResult } from '../services/declared-tenants/deploy';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<IsCompleteResult> {
  return declaredTenantsStatus(parseState(DeclaredTenantsEventSchema, event, 'declared-tenants-status'));
}

export const handler = withDeadline(handle);
