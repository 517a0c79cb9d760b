/**
 * ReleaseTenant (every exit path after AcquireTenant): records the execution's outcome in the tenant registry
 * (ACTIVE or FAILED), releases the tenant's lease and the names this execution claimed for nothing. A no-op for an
 * execution that never held the lease (e.g. one that failed with TenantBusyError). On success it also gets the
 * onboarding's summary (identifiers only) and returns it as `summary`: the success event's detail and the execution's
 * output (the state machine needs no state of its own to build it).
 *
 * Metrics (lambdas/shared/metrics.ts): the onboarding's outcome (and, on success, its duration since the execution
 * started) and, after a compensation, CompensationIncomplete = the undo steps whose state ended in
 * `$.compensation.<step>Error` (ReleaseTenantOnFailure passes `compensation`). Counted once per execution: by the
 * attempt that ends this state (it succeeded, or failed permanently); an attempt that fails transiently is retried.
 */
import * as z from 'zod';
import { JobStateSchema } from '../domain/workflow-state';
import { parseState } from '../shared/handler';
import { logger } from '../shared/logger';
import { classifyAwsError } from '../shared/errors';
import { recordCompensationIncomplete, recordOnboardingOutcome } from '../shared/metrics';
import { hasClassifiedName, isRetryableError } from '../shared/retryable-errors';
import { releaseTenant, type ReleaseResult } from '../services/registry/tenant-registry';
import { withDeadline } from '../shared/deadline';

const Input = JobStateSchema.extend({
  outcome: z.enum(['SUCCEEDED', 'FAILED']),
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).loose().optional(),
  /** ReleaseTenantOnFailure: `$.compensation`, the undo steps' results and errors so far. */
  compensation: z.record(z.string(), z.unknown()).optional(),
  /** ReleaseTenant (success): the onboarding's summary, returned as given. */
  summary: z.record(z.string(), z.unknown()).optional(),
});

/** The undo steps that could not finish: `<step>Error` entries of `$.compensation` (the release's own excluded). */
export function incompleteUndoSteps(compensation: Record<string, unknown> | undefined): string[] {
  return Object.keys(compensation ?? {})
    .filter((k) => k.endsWith('Error') && k !== 'tenantError' && k.length > 'Error'.length)
    .map((k) => k.slice(0, -'Error'.length))
    .sort();
}

async function handle(event: unknown): Promise<ReleaseResult & { summary?: Record<string, unknown> }> {
  const { job, execution, outcome, error, compensation, summary } = parseState(Input, event, 'release-tenant');
  const tenantId = job.plan.tenantId;
  const record = () => {
    recordOnboardingOutcome({ outcome, tenantId, startTime: execution.startTime });
    recordCompensationIncomplete(incompleteUndoSteps(compensation), tenantId);
  };
  let result: ReleaseResult;
  try {
    result = await releaseTenant(job.plan, execution.name, {
      result: outcome,
      ...(error?.Error ? { error: error.Error } : {}),
      ...(error?.Cause ? { cause: error.Cause } : {}),
    });
  } catch (err) {
    if (!isRetryableError(hasClassifiedName(err) ? err : classifyAwsError(err))) record();
    throw err;
  }
  record();
  logger.info('Tenant released', { executionName: execution.name, tenantId, outcome, ...result });
  return summary ? { ...result, summary } : result;
}

export const handler = withDeadline(handle);
