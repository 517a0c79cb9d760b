/**
 * RevalidateTenant (one Map iteration of the Re-validation state machine): checks one tenant, read-only, against the
 * plan of its latest onboarding (lambdas/services/revalidation/); skipped while an execution holds it.
 */
import * as z from 'zod';
import { RevalidationSettingsSchema } from '../domain/drift';
import { ExecutionSchema } from '../domain/workflow-state';
import { withDeadline } from '../shared/deadline';
import { parseState } from '../shared/handler';
import { logger } from '../shared/logger';
import { revalidateTenant, type TenantCheck } from '../services/revalidation/revalidate';

const Input = z.looseObject({ tenantId: z.string(), execution: ExecutionSchema, settings: RevalidationSettingsSchema });

async function handle(event: unknown): Promise<TenantCheck> {
  const { tenantId, execution, settings } = parseState(Input, event, 'revalidate-tenant');
  const check = await revalidateTenant(tenantId, execution.name, settings);
  logger.info('Tenant re-validated', {
    executionName: execution.name,
    tenantId,
    outcome: check.outcome,
    findings: check.findings.map((f) => `${f.check} ${f.resource}`),
    ...(check.reason ? { reason: check.reason } : {}),
  });
  return check;
}

export const handler = withDeadline(handle);
