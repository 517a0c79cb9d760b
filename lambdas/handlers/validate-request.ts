/**
 * ValidateRequest: the request is checked field by field and turned into the plan; the account guard allows its
 * account (lambdas/services/guard/); a backup endpoint is an https address the workflow may send keys to
 * (lambdas/domain/endpoints.ts); then the tenant registry admits it (read-only): the tenant's binding holds and no
 * name it asks for belongs to another tenant. Nothing is created.
 */
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import * as z from 'zod';
import { planRequest } from '../domain/plan';
import { registrationItems, type RegistrationItem, type RegistrationKey } from '../domain/registrations';
import { awsAccountFacts, ExecutionSchema, hasAwsPart, type AwsAccountFacts, type Plan } from '../domain/workflow-state';
import { loadEnv } from '../shared/env';
import { withDeadline } from '../shared/deadline';
import { parseState } from '../shared/handler';
import { homeClient } from '../shared/aws-clients';
import { logger } from '../shared/logger';
import { checkTenantAccount, guardConfigFromEnv } from '../services/guard/account-guard';
import { checkAdmission } from '../services/registry/tenant-registry';

const Input = z.looseObject({ raw: z.unknown(), execution: ExecutionSchema });

/**
 * The plan; the registration kinds it asks for (REGISTRATION_KEYS order): the `Tenant Onboarding Started` event reports
 * them (a state's JSONPath cannot list an object's keys), and the Registrations Map runs over them as items (kind, the
 * index of its function, its state name); and the tenant's AWS account as the events and the summary report it (null
 * fields: the request has no `aws` section; a state's JSONPath cannot read a path that is absent).
 */
async function handle(event: unknown): Promise<{ plan: Plan; registrationKinds: RegistrationKey[]; registrationItems: RegistrationItem[]; awsAccount: AwsAccountFacts }> {
  const { raw, execution } = parseState(Input, event, 'validate-request');
  const env = loadEnv();
  const plan = planRequest(raw, {
    homeAccountId: env.HOME_ACCOUNT_ID,
    deploymentId: env.DEPLOYMENT_ID,
    defaultReadinessSeconds: env.READINESS_BUDGET_SECONDS,
    executionName: execution.name,
    ...(env.PALETTE_API_KEY_SECRET_ARN ? { defaultApiKeySecretArn: env.PALETTE_API_KEY_SECRET_ARN } : {}),
    selfHosted: env.PALETTE_SELF_HOSTED,
    allowInsecureEndpoints: env.ALLOW_INSECURE_ENDPOINTS,
  });
  // The account guard, before anything exists (IAM enforces the same rule on the AssumeRole grant). A request without
  // an `aws` section names no account: nothing in AWS is provisioned for it.
  const guard = hasAwsPart(plan)
    ? await checkTenantAccount(plan.target.accountId, guardConfigFromEnv(env), () => homeClient(OrganizationsClient))
    : undefined;
  await checkAdmission(plan);
  const awsAccount = awsAccountFacts(plan);
  logger.info('Request is valid', {
    executionName: execution.name,
    tenantId: plan.tenantId,
    accountId: awsAccount.accountId,
    ...(guard ? { accountAllowedBy: guard.reason } : {}),
    credentialMode: awsAccount.credentialMode,
  });
  const items = registrationItems(plan.registrations);
  return { plan, registrationKinds: items.map((i) => i.kind), registrationItems: items, awsAccount };
}

export const handler = withDeadline(handle);
