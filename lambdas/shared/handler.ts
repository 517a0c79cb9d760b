/** What every thin handler does first: parse the parts of the state document it needs. */
import type { z } from 'zod';
import { JobStateSchema, type Plan } from '../domain/workflow-state';
import { StateInputError } from './errors';
import { logger } from './logger';

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
 */
export function compensationHandler<R extends object>(
  name: string,
  undo: (plan: Plan, executionName: string) => Promise<R>,
): (event: unknown) => Promise<R> {
  return async (event) => {
    const { job, execution } = parseState(JobStateSchema, event, name);
    const result = await undo(job.plan, execution.name);
    logger.info('Compensation step done', { executionName: execution.name, step: name, ...result });
    return result;
  };
}
