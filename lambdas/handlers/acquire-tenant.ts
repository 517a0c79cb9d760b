/**
 * AcquireTenant: the tenant registry binds a new tenant to the request's account and project, gives this execution
 * the tenant's lease (one execution per tenant: TenantBusyError otherwise) and claims the names the plan uses.
 * Nothing outside the registry is created.
 */
import * as z from 'zod';
import { JobStateSchema } from '../domain/workflow-state';
import { parseState } from '../shared/handler';
import { logger } from '../shared/logger';
import { acquireTenant, type AcquireResult } from '../services/registry/tenant-registry';
import { withDeadline } from '../shared/deadline';

/** The request as given (validated by ValidateRequest): recorded as the tenant's latest request. */
const Input = JobStateSchema.extend({ request: z.record(z.string(), z.unknown()).optional() });

async function handle(event: unknown): Promise<AcquireResult> {
  const { job, execution, request } = parseState(Input, event, 'acquire-tenant');
  const result = await acquireTenant(job.plan, execution.name, request);
  logger.info('Tenant acquired', { executionName: execution.name, tenantId: job.plan.tenantId, ...result });
  return result;
}

export const handler = withDeadline(handle);
