/**
 * ReadPaletteIdentity: Palette's AWS account and this tenant's external ID. Also the first Palette read of a run, so it
 * checks what only Palette can tell before the tenant's first resource exists: the private cloud gateway the Azure
 * account names must resolve and be running (lambdas/services/registrations/gateway.ts).
 */
import { JobStateSchema, type PaletteIdentity } from '../domain/workflow-state';
import { parseState } from '../shared/handler';
import { readPaletteIdentity } from '../services/onboarding/identity';
import { checkPlannedGateway } from '../services/registrations/gateway';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<PaletteIdentity> {
  const { job } = parseState(JobStateSchema, event, 'read-palette-identity');
  const [identity] = await Promise.all([readPaletteIdentity(job.plan), checkPlannedGateway(job.plan)]);
  return identity;
}

export const handler = withDeadline(handle);
