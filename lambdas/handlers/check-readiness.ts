/**
 * CheckReadiness: one round of Palette validation. Ready: the result ($.readiness). Not yet: PrincipalNotReady /
 * PrincipalStillNotReady, which the state machine retries on the gate's schedule (lambdas/domain/readiness.ts) until
 * the budget is spent (ReadinessTimeoutError). The probe's number and the first probe's time come from the context
 * object (`$$.State.RetryCount`, `$$.State.EnteredTime`) in the task's Parameters.
 */
import * as z from 'zod';
import { PrincipalStateSchema, type ReadinessResult } from '../domain/workflow-state';
import { parseState } from '../shared/handler';
import { logger } from '../shared/logger';
import { checkReadiness } from '../services/onboarding/readiness';
import { withDeadline } from '../shared/deadline';
import { PrincipalNotReadyError, PrincipalStillNotReadyError } from '../shared/errors';

const Input = PrincipalStateSchema.extend({
  probe: z.object({ retryCount: z.number().int().nonnegative(), enteredTime: z.string().min(1) }),
});

async function handle(event: unknown): Promise<ReadinessResult> {
  const state: z.output<typeof Input> = parseState(Input, event, 'check-readiness');
  const attempt = state.probe.retryCount + 1;
  try {
    const result = await checkReadiness({ plan: state.job.plan, palette: state.palette, principal: state.principal, attempt, firstCheckAt: state.probe.enteredTime });
    logger.info('Palette accepts the credentials', { executionName: state.execution.name, attempt, elapsedSeconds: result.elapsedSeconds });
    return result;
  } catch (e) {
    if (e instanceof PrincipalNotReadyError || e instanceof PrincipalStillNotReadyError) {
      logger.info('Palette does not accept the credentials yet', { executionName: state.execution.name, attempt, retriedAs: e.name, reason: e.message });
    }
    throw e;
  }
}

export const handler = withDeadline(handle);
