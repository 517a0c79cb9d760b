/**
 * ValidateOffboarding (Offboarding state machine): the request is checked field by field; the tenant registry has the
 * tenant, no other execution holds it, and the plan of its latest onboarding (what the removal steps remove). Nothing
 * is changed.
 */
import * as z from 'zod';
import { parseOffboardingRequest } from '../domain/offboarding-request';
import type { OffboardingRemoval } from '../domain/removal';
import { ExecutionSchema, type Plan } from '../domain/workflow-state';
import { withDeadline } from '../shared/deadline';
import { loadEnv } from '../shared/env';
import { parseState } from '../shared/handler';
import { logger } from '../shared/logger';
import { offboardingTarget } from '../services/registry/offboarding';

const Input = z.looseObject({ raw: z.unknown(), execution: ExecutionSchema });

export interface ValidateOffboardingResult {
  tenantId: string;
  /** null: the tenant has no AWS account (the offboarding events report it so). */
  accountId: string | null;
  force: boolean;
  /** What the removal steps may remove (the undo handlers' `removal`). */
  removal: OffboardingRemoval;
  /** Absent when the tenant owns nothing (nothing to remove). */
  plan?: Plan;
}

async function handle(event: unknown): Promise<ValidateOffboardingResult> {
  const { raw, execution } = parseState(Input, event, 'validate-offboarding');
  const request = parseOffboardingRequest(raw);
  const target = await offboardingTarget(request.tenantId, execution.name);
  const removal: OffboardingRemoval = {
    mode: 'offboarding',
    deleteBucket: request.deleteBucket,
    purgeBucket: request.purgeBucket,
    secretRecoveryDays: loadEnv().SECRET_RECOVERY_DAYS,
  };
  logger.info('Offboarding request is valid', {
    executionName: execution.name,
    tenantId: request.tenantId,
    status: target.status,
    resources: target.resources,
    deleteBucket: request.deleteBucket,
    purgeBucket: request.purgeBucket,
    force: request.force,
  });
  return {
    tenantId: request.tenantId,
    accountId: target.accountId,
    force: request.force,
    removal,
    ...(target.plan ? { plan: target.plan } : {}),
  };
}

export const handler = withDeadline(handle);
