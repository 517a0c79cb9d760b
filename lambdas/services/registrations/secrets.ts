/**
 * The tenant's secrets session of a registration kind: its table entry's secret job (lambdas/domain/registrations.ts,
 * lambdas/domain/secret-access.ts), for the plan's tenant. The kind's function may tag a session with that job only
 * (its IAM grant), so a kind asking for another job's session fails with AccessDenied.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { RegistrationKey, RegistrationKind } from '../../domain/registrations';
import type { SecretJobName } from '../../domain/secret-access';
import type { Plan } from '../../domain/workflow-state';
import { tenantSecretsClient } from '../../shared/aws-clients';

export function kindSecretJob(kind: RegistrationKind<RegistrationKey>): SecretJobName {
  const job = kind.secrets.job;
  if (!job) throw new Error(`the ${kind.label} registration uses no tenant secrets (lambdas/domain/registrations.ts)`);
  return job;
}

/** Secrets Manager for the kind's secret job and the plan's tenant. */
export function kindSecrets(ctx: { plan: Plan; kind: RegistrationKind<RegistrationKey> }): SecretsManagerClient {
  return tenantSecretsClient(ctx.plan, kindSecretJob(ctx.kind));
}
