/**
 * ListRevalidationTargets (Re-validation state machine): the request is checked field by field, and the tenants this
 * run checks are read from the registry: the named one (TenantNotFoundError when there is none), or every ACTIVE and
 * DRIFTED tenant, longest-unchecked first (at most MAX_TENANTS_PER_RUN). Whether drift is remediated: the request's
 * `remediate`, else the deployment's. Read-only.
 */
import * as z from 'zod';
import { parseRevalidationRequest, RevalidationSettingsSchema } from '../domain/drift';
import { ExecutionSchema } from '../domain/workflow-state';
import { withDeadline } from '../shared/deadline';
import { parseState } from '../shared/handler';
import { logger } from '../shared/logger';
import { revalidationTargets, type RevalidationTargets } from '../services/registry/revalidation';

const Input = z.looseObject({ raw: z.unknown(), execution: ExecutionSchema, settings: RevalidationSettingsSchema });

async function handle(event: unknown): Promise<RevalidationTargets & { remediate: boolean }> {
  const { raw, execution, settings } = parseState(Input, event, 'list-revalidation-targets');
  const request = parseRevalidationRequest(raw);
  const targets = await revalidationTargets(request.tenantId);
  const remediate = request.remediate ?? settings.remediate;
  logger.info('Re-validation targets', {
    executionName: execution.name,
    tenants: targets.tenants.length,
    notEligible: targets.notEligible.length,
    deferred: targets.deferred,
    remediate,
  });
  return { ...targets, remediate };
}

export const handler = withDeadline(handle);
