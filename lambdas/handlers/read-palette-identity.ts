/**
 * ReadPaletteIdentity: Palette's AWS account and this tenant's external ID (null for a plan with no AWS part: nothing
 * trusts Palette's account then). Also the first Palette read of a run, so it checks what only Palette can tell before
 * the tenant's first resource exists: the private cloud gateway the Azure account names must resolve and be running
 * (lambdas/services/registrations/gateway.ts).
 */
import { hasAwsPart, JobStateSchema, type PaletteIdentity } from '../domain/workflow-state';
import { parseState } from '../shared/handler';
import { readPaletteIdentity } from '../services/onboarding/identity';
import { checkPlannedGateway } from '../services/registrations/gateway';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<PaletteIdentity | null> {
  const { job } = parseState(JobStateSchema, event, 'read-palette-identity');
  const plan = job.plan;
  const [identity] = await Promise.all([hasAwsPart(plan) ? readPaletteIdentity(plan) : null, checkPlannedGateway(plan)]);
  return identity;
}

export const handler = withDeadline(handle);
