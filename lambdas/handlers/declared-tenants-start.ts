/** Custom resource onEvent (Provider framework): start the declared tenants' onboardings and offboardings of this deploy. */
import { parseState } from '../shared/handler';
import { DeclaredTenantsEventSchema, startDeclaredTenants, type OnEventResult } from '../services/declared-tenants/deploy';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<OnEventResult> {
  return startDeclaredTenants(parseState(DeclaredTenantsEventSchema, event, 'declared-tenants-start'));
}

export const handler = withDeadline(handle);
