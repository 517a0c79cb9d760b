/** ReadPaletteIdentity: Palette's AWS account and this tenant's external ID. */
import { JobStateSchema, type PaletteIdentity } from '../domain/workflow-state';
import { parseState } from '../shared/handler';
import { readPaletteIdentity } from '../services/onboarding/identity';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<PaletteIdentity> {
  const { job } = parseState(JobStateSchema, event, 'read-palette-identity');
  return readPaletteIdentity(job.plan);
}

export const handler = withDeadline(handle);
