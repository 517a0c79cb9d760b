/** What every thin handler does first: parse the parts of the state document it needs. */
import type { z } from 'zod';
import { JobStateSchema, type Plan } from '../domain/workflow-state';
import { StateInputError, classifyAwsError } from './errors';
import { hasClassifiedName, isRetryableError } from './retryable-errors';
import { logger } from './logger';
import { runWithDeadline, type DeadlineContext } from './deadline';

export function parseState<T extends z.ZodType>(schema: T, event: unknown, handler: string): z.output<T> {
  const parsed = schema.safeParse(event);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new StateInputError(`${handler}: state input does not match the workflow contract: ${fields}`);
  }
  return parsed.data;
}

/**
 * A compensation handler: parses the job, runs `undo(plan, executionName)` (which removes only what this
 * execution created) and logs what it removed or retained.
 *
 * Failures keep their classification (lambdas/shared/retryable-errors.ts): a transient one (an AWS SDK throttle /
 * 5xx / reset not yet mapped is mapped here) is thrown with its retryable name, so the undo state's Retry runs the
 * idempotent undo again; a permanent one is thrown as is and the state's Catch records it ("could not remove").
 */
export function compensationHandler<R extends object>(
  name: string,
  undo: (plan: Plan, executionName: string) => Promise<R>,
): (event: unknown, context?: DeadlineContext) => Promise<R> {
  return (event, context) => runWithDeadline(context, async () => {
    const { job, execution } = parseState(JobStateSchema, event, name);
    let result: R;
    try {
      result = await undo(job.plan, execution.name);
    } catch (err) {
      const classified = hasClassifiedName(err) ? err : classifyAwsError(err);
      logger.warn(isRetryableError(classified) ? 'Compensation step failed transiently; retried' : 'Compensation step could not remove', {
        executionName: execution.name,
        step: name,
        errorName: classified instanceof Error ? classified.name : typeof classified,
      });
      throw classified;
    }
    logger.info('Compensation step done', { executionName: execution.name, step: name, ...result });
    return result;
  });
}
