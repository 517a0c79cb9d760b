/**
 * FinishOffboarding (every exit after BeginOffboarding): the tenant OFFBOARDED (or FAILED) with what the removal steps
 * removed and retained, its lease released, the names it no longer holds released. A no-op for an execution that does
 * not hold the tenant.
 *
 * Metrics (lambdas/shared/metrics.ts): the offboarding's outcome and, on success, its duration since the execution
 * started, recorded once the registry write is done.
 */
import * as z from 'zod';
import { ExecutionSchema, PlanSchema } from '../domain/workflow-state';
import { withDeadline } from '../shared/deadline';
import { parseState } from '../shared/handler';
import { logger } from '../shared/logger';
import { recordOffboardingOutcome } from '../shared/metrics';
import { finishOffboarding, type FinishResult } from '../services/registry/offboarding';

const StepResult = z.looseObject({ deleted: z.array(z.string()), retained: z.array(z.object({ id: z.string(), reason: z.string() })) });
const Input = z.looseObject({
  execution: ExecutionSchema,
  offboarding: z.looseObject({ tenantId: z.string(), plan: PlanSchema.optional() }),
  removed: z.record(z.string(), StepResult).optional(),
  outcome: z.enum(['SUCCEEDED', 'FAILED']),
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).loose().optional(),
});

async function handle(event: unknown): Promise<FinishResult> {
  const { execution, offboarding, removed, outcome, error } = parseState(Input, event, 'finish-offboarding');
  const steps = Object.values(removed ?? {});
  const result = await finishOffboarding(offboarding.plan, offboarding.tenantId, execution.name, {
    result: outcome,
    removed: steps.flatMap((s) => s.deleted),
    retained: steps.flatMap((s) => s.retained),
    ...(error?.Error ? { error: error.Error } : {}),
    ...(error?.Cause ? { cause: error.Cause } : {}),
  });
  recordOffboardingOutcome({ outcome, tenantId: offboarding.tenantId, startTime: execution.startTime });
  logger.info('Offboarding finished', { executionName: execution.name, tenantId: offboarding.tenantId, outcome, status: result.status, finished: result.finished });
  return result;
}

export const handler = withDeadline(handle);
