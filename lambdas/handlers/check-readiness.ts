/** CheckReadiness: one round of Palette validation; the state machine waits and repeats until ready or out of budget. */
import * as z from 'zod';
import { PrincipalStateSchema, ReadinessResultSchema, type ReadinessResult } from '../domain/workflow-state';
import { parseState } from '../shared/handler';
import { logger } from '../shared/logger';
import { checkReadiness } from '../services/onboarding/readiness';
import { withDeadline } from '../shared/deadline';

const Input = PrincipalStateSchema.extend({ readiness: ReadinessResultSchema.optional() });

async function handle(event: unknown): Promise<ReadinessResult> {
  const state: z.output<typeof Input> = parseState(Input, event, 'check-readiness');
  const result = await checkReadiness({
    plan: state.job.plan,
    palette: state.palette,
    principal: state.principal,
    ...(state.readiness ? { previous: state.readiness } : {}),
  });
  logger.info(result.ready ? 'Palette accepts the credentials' : 'Palette does not accept the credentials yet', {
    executionName: state.execution.name,
    attempt: result.attempt,
    waitSeconds: result.waitSeconds,
    ...(result.reason ? { reason: result.reason } : {}),
  });
  return result;
}

export const handler = withDeadline(handle);
