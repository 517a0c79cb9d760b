/** What every thin handler does first: parse the parts of the state document it needs. */
import type { z } from 'zod';
import { COMPENSATION, RemovalSchema, type Removal } from '../domain/removal';
import { hasAwsPart, JobStateSchema, type AwsPlan, type Plan } from '../domain/workflow-state';

import { StateInputError, classifyAwsError } from './errors';
import { hasClassifiedName, isRetryableError } from './retryable-errors';
import { logger } from './logger';
import { runWithDeadline, type DeadlineContext } from './deadline';

/**
 * `schema(() => ...)`: the schema, built when the module loads; marked free of side effects so that a function that
 * uses no undo handler has no UndoStateSchema in its bundle (as in lambdas/domain/registration-requests.ts).
 */
/* @__NO_SIDE_EFFECTS__ */
function schema<T>(build: () => T): T {
  return build();
}

/** An undo step's input: the job, and `removal` when an offboarding (not a compensation) runs it. */
const UndoStateSchema = schema(() => JobStateSchema.extend({ removal: RemovalSchema.optional() }));

export function parseState<T extends z.ZodType>(schema: T, event: unknown, handler: string): z.output<T> {
  const parsed = schema.safeParse(event);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new StateInputError(`${handler}: state input does not match the workflow contract: ${fields}`);
  }
  return parsed.data;
}

/**
 * An undo handler (compensation, or offboarding's removal steps): parses the job and the optional `removal`
 * (lambdas/domain/removal.ts; absent = compensation, which removes only what this execution created), runs
 * `undo(plan, removal)` and logs what it removed or retained.
 *
 * Failures keep their classification (lambdas/shared/retryable-errors.ts): a transient one (an AWS SDK throttle /
 * 5xx / reset not yet mapped is mapped here) is thrown with its retryable name, so the undo state's Retry runs the
 * idempotent undo again; a permanent one is thrown as is and the state's Catch records it ("could not remove").
 *
 * No metric here: whether an undo step finished is decided by its state, not by one invocation (the invocation
 * that throws a transient error does not know whether its retries will run out, and a timed-out or crashed one
 * writes nothing). The state's Catch records every way it did not (`$.compensation.<step>Error`), and
 * ReleaseTenantOnFailure counts those as CompensationIncomplete (lambdas/handlers/release-tenant.ts).
 */
export function compensationHandler<R extends object>(
  name: string,
  undo: (plan: Plan, removal: Removal) => Promise<R>,
): (event: unknown, context?: DeadlineContext) => Promise<R> {
  return (event, context) => runWithDeadline(context, async () => {
    const { job, execution, removal } = parseState(UndoStateSchema, event, name);
    let result: R;
    try {
      result = await undo(job.plan, removal ?? COMPENSATION);
    } catch (err) {
      const classified = hasClassifiedName(err) ? err : classifyAwsError(err);
      logger.warn(isRetryableError(classified) ? 'Undo step failed transiently; retried' : 'Undo step could not remove', {
        executionName: execution.name,
        step: name,
        mode: removal?.mode ?? 'compensation',
        errorName: classified instanceof Error ? classified.name : typeof classified,
      });
      throw classified;
    }
    logger.info('Undo step done', { executionName: execution.name, step: name, mode: removal?.mode ?? 'compensation', ...result });
    return result;
  }, event);
}

/** What an undo step of the tenant's AWS account returns: ids deleted, and what it kept and why. */
export interface AwsUndoResult {
  deleted: string[];
  retained: { id: string; reason: string }[];
}

/**
 * An undo step of the tenant's AWS account (bucket, backup policy, principal, cluster policies): a plan with no AWS
 * part (a request without an `aws` section) has nothing there, so the step removes nothing and says so.
 */
export function awsCompensationHandler<R extends AwsUndoResult>(
  name: string,
  undo: (plan: AwsPlan, removal: Removal) => Promise<R>,
): (event: unknown, context?: DeadlineContext) => Promise<R | AwsUndoResult> {
  return compensationHandler(name, async (plan, removal) => (hasAwsPart(plan) ? undo(plan, removal) : { deleted: [], retained: [] }));
}
