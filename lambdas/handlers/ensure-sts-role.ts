/** EnsureStsRole: the role Palette assumes, trusting Palette's account with the tenant's external ID. */
import { PaletteStateSchema, type PrincipalResult } from '../domain/workflow-state';
import { parseState } from '../shared/handler';
import { ensureStsRole } from '../services/aws/principal';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<PrincipalResult> {
  const { job, palette } = parseState(PaletteStateSchema, event, 'ensure-sts-role');
  return ensureStsRole(job.plan, palette);
}

export const handler = withDeadline(handle);
