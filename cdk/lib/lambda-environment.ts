import { Aws } from 'aws-cdk-lib';
import type { LambdaEnvInput } from '../../lambdas/shared/env';
import { DEFAULT_PALETTE_API_KEY_SECRET_NAME, type OnboardingConfig } from './config';

/** POWERTOOLS_SERVICE_NAME of every workflow Lambda. */
export const SERVICE_NAME = 'palette-onboarding';

/** What the stack builds that the functions must know: the tenant registry table and how long a lease lasts. */
export interface EnvironmentRefs {
  registryTableName: string;
  /** Longer than the longest execution (the state machine's timeout). */
  tenantLeaseSeconds: number;
  /** The TenantSecretsAccess role (constructs/tenant-secrets-access.ts). */
  tenantSecretsRoleArn: string;
  /** The shared Palette rate table (constructs/palette-rate-table.ts); absent = each container keeps the rate alone. */
  paletteRateTableName?: string;
}

/**
 * The one Lambda environment (docs/workflow-contract.md "Lambda environment"), identical for every
 * function. Pure wiring of configuration values; HOME_ACCOUNT_ID is the deploy-time account.
 * When no API key secret ARN is configured, PALETTE_API_KEY_SECRET_ARN holds the secret's NAME
 * (Secrets Manager accepts a name or an ARN as SecretId). Typed against the handlers' schema: a missing or an
 * extra key does not compile.
 */
export function lambdaEnvironment(config: OnboardingConfig, refs: EnvironmentRefs) {
  return {
    PALETTE_ENDPOINT: config.paletteEndpoint,
    PALETTE_API_KEY_SECRET_ARN: config.paletteApiKeySecretArn ?? DEFAULT_PALETTE_API_KEY_SECRET_NAME,
    HOME_ACCOUNT_ID: Aws.ACCOUNT_ID,
    READINESS_BUDGET_SECONDS: String(config.readinessBudgetSeconds),
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_LOG_LEVEL: config.logLevel,
    // Every function runs with active X-Ray tracing (constructs/onboarding-function.ts); config traceSdkCalls also
    // captures the SDK clients (lambdas/shared/tracer.ts). The local runner overrides it with "false".
    POWERTOOLS_TRACE_ENABLED: String(config.traceSdkCalls),
    ALLOWED_EXECUTION_ROLE_NAMES: config.allowedExecutionRoleNames.join(','),
    PALETTE_SELF_HOSTED: String(config.selfHosted),
    // The private CA the Palette client trusts besides the public roots (lambdas/shared/palette-ca.ts); '' = none.
    PALETTE_CA_BUNDLE: config.paletteCaBundle ?? '',
    DEPLOYMENT_ID: config.deploymentId,
    TENANT_REGISTRY_TABLE: refs.registryTableName,
    // Palette's rate limit kept by all containers together (lambdas/services/palette/rate-governor.ts); '' = per container.
    PALETTE_RATE_TABLE: refs.paletteRateTableName ?? '',
    TENANT_LEASE_SECONDS: String(refs.tenantLeaseSeconds),
    TENANT_SECRETS_ROLE_ARN: refs.tenantSecretsRoleArn,
    // The account guard (lambdas/services/guard/): the same rule IAM enforces on the AssumeRole grant.
    ALLOWED_ORGANIZATION_ID: config.allowedOrganizationId ?? '',
    ALLOWED_OU_IDS: config.allowedOrganizationalUnitIds.join(','),
    ALLOWED_ACCOUNT_IDS: config.allowedAccountIds.join(','),
    ALLOW_INSECURE_ENDPOINTS: String(config.allowInsecureEndpoints),
    SET_SOURCE_IDENTITY: String(config.setSourceIdentity),
    SECRET_RECOVERY_DAYS: String(config.secretRecoveryDays),
  } satisfies Record<keyof LambdaEnvInput, string>;
}
