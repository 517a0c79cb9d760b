/**
 * ValidateRequest: the request is checked field by field and turned into the plan; the account guard allows its
 * account (lambdas/services/guard/); a backup endpoint is an https address the workflow may send keys to
 * (lambdas/domain/endpoints.ts); then the tenant registry admits it (read-only): the tenant's binding holds and no
 * name it asks for belongs to another tenant. Nothing is created.
 */
import { z } from 'zod';
import { azureGatewayViolation } from '../domain/azure-rules';
import { backupEndpointProblem } from '../domain/endpoints';
import { buildPlan } from '../domain/plan';
import type { OnboardingRequest } from '../domain/request';
import { ExecutionSchema, type Plan } from '../domain/workflow-state';
import { loadEnv } from '../shared/env';
import { RequestValidationError } from '../shared/errors';
import { parseState } from '../shared/handler';
import { homeClients } from '../shared/aws-clients';
import { logger } from '../shared/logger';
import { checkTenantAccount, guardConfigFromEnv } from '../services/guard/account-guard';
import { checkAdmission } from '../services/registry/tenant-registry';

const Input = z.looseObject({ raw: z.unknown(), execution: ExecutionSchema });

export async function handler(event: unknown): Promise<{ request: OnboardingRequest; plan: Plan }> {
  const { raw, execution } = parseState(Input, event, 'validate-request');
  const env = loadEnv();
  const job = buildPlan(raw, {
    homeAccountId: env.HOME_ACCOUNT_ID,
    deploymentId: env.DEPLOYMENT_ID,
    defaultReadinessSeconds: env.READINESS_BUDGET_SECONDS,
    executionName: execution.name,
    ...(env.PALETTE_API_KEY_SECRET_ARN ? { defaultApiKeySecretArn: env.PALETTE_API_KEY_SECRET_ARN } : {}),
  });
  // Rules that need no Palette call are checked here, before anything is created (on a self-hosted
  // instance the Azure gateway rule depends on Palette's accounts and is checked by EnsureAzureAccount).
  const azure = job.plan.registrations.azureAccount;
  const gatewayProblem =
    azure && !env.PALETTE_SELF_HOSTED
      ? azureGatewayViolation({
          cloud: azure.cloud,
          selfHosted: false,
          ...(azure.privateCloudGatewayUid ? { privateCloudGatewayUid: azure.privateCloudGatewayUid } : {}),
        })
      : undefined;
  if (gatewayProblem) throw new RequestValidationError([{ path: 'azure.cloudAccount.privateCloudGatewayUid', message: gatewayProblem }]);
  const minio = job.plan.registrations.minioBackupLocation;
  const endpointProblem = minio ? backupEndpointProblem(minio.s3Url, env.ALLOW_INSECURE_ENDPOINTS) : undefined;
  if (endpointProblem) throw new RequestValidationError([{ path: 'backupLocations.minio.s3Url', message: endpointProblem }]);
  // The account guard, before anything exists (IAM enforces the same rule on the AssumeRole grant).
  const guard = await checkTenantAccount(job.plan.target.accountId, guardConfigFromEnv(env), () => homeClients().organizations);
  await checkAdmission(job.plan);
  logger.info('Request is valid', {
    executionName: execution.name,
    tenantId: job.plan.tenantId,
    accountId: job.plan.target.accountId,
    accountAllowedBy: guard.reason,
    credentialMode: job.plan.credentialMode,
  });
  return job;
}
