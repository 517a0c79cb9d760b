/**
 * ReleaseTenant (every exit path after AcquireTenant): records the execution's outcome in the tenant registry
 * (ACTIVE or FAILED), releases the tenant's lease and the names this execution claimed for nothing. A no-op for an
 * execution that never held the lease (e.g. one that failed with TenantBusyError).
 */
import { z } from 'zod';
import { JobStateSchema } from '../domain/workflow-state';
import { parseState } from '../shared/handler';
import { logger } from '../shared/logger';
import { releaseTenant, type ReleaseResult } from '../services/registry/tenant-registry';
import { withDeadline } from '../shared/deadline';

const Input = JobStateSchema.extend({
  outcome: z.enum(['SUCCEEDED', 'FAILED']),
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).loose().optional(),
});

async function handle(event: unknown): Promise<ReleaseResult> {
  const { job, execution, outcome, error } = parseState(Input, event, 'release-tenant');
  const result = await releaseTenant(job.plan, execution.name, {
    result: outcome,
    ...(error?.Error ? { error: error.Error } : {}),
    ...(error?.Cause ? { cause: error.Cause } : {}),
  });
  logger.info('Tenant released', { executionName: execution.name, tenantId: job.plan.tenantId, outcome, ...result });
  return result;
}

export const handler = withDeadline(handle);
