import { Duration, aws_lambda as lambda } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { REGISTRATION_KEYS, REGISTRATIONS, type RegistrationKey, type RegistrationSecrets } from '../../../lambdas/domain/registrations';
import { UNDO_REGISTRATIONS_SECRET_JOB, type SecretJobName } from '../../../lambdas/domain/secret-access';
import type { OnboardingConfig } from '../config';
import { applyAccess, type Access, type AccessRefs } from '../permissions';
import { OnboardingFunction } from './onboarding-function';
import type { TenantSecretsAccess } from './tenant-secrets-access';

interface HandlerSpec {
  /** Construct id (PascalCase). */
  readonly id: string;
  readonly description: string;
  /** Exactly what the handler's state needs. */
  readonly access: readonly Access[];
  readonly timeout?: Duration;
}

/**
 * The tenant-secrets grant of a registration kind's ensure function, from its table entry: a session of
 * TenantSecretsAccess for the kind's secret job (lambdas/domain/secret-access.ts), or none.
 */
export function registrationSecretAccess(secrets: RegistrationSecrets): Access[] {
  return secrets.job ? [`tenantSecrets:${secrets.job}`] : [];
}

/**
 * The workflow's Lambdas: one thin handler per Task state (docs/workflow-contract.md), keyed by the
 * handler's file name `lambdas/handlers/<key>.ts`.
 */
export const HANDLERS = {
  'validate-request': {
    id: 'ValidateRequest',
    description: 'Validate and normalize the onboarding request; derive the plan; account guard; check the tenant registry',
    // accountGuard: the Organizations reads, only when the guard allows by organization or OU.
    access: ['registryRead', 'accountGuard'],
  },
  'acquire-tenant': {
    id: 'AcquireTenant',
    description: "Tenant registry: bind the tenant, take its lease, claim its names",
    access: ['registryAcquire'],
  },
  'release-tenant': {
    id: 'ReleaseTenant',
    description: "Tenant registry: record the execution's outcome and release the tenant's lease",
    access: ['registryRelease'],
  },
  'read-palette-identity': {
    id: 'ReadPaletteIdentity',
    description: "Read Palette's AWS account and the tenant's external ID",
    access: ['paletteApiKey'],
  },
  'ensure-bucket': {
    id: 'EnsureBucket',
    description: 'Create or correct the backup bucket in the tenant account',
    access: ['assumeTenantRole', 'homeBucketEnsure', 'registryStep'],
  },
  'ensure-backup-policy': {
    id: 'EnsureBackupPolicy',
    description: 'Create or correct the backup IAM policy in the tenant account',
    access: ['assumeTenantRole', 'homePolicyEnsure', 'registryStep'],
  },
  'ensure-cluster-policies': {
    id: 'EnsureClusterPolicies',
    description: "Create or correct Palette's cluster policies (aws.clusterPolicies) in the tenant account; remove those of another mode",
    access: ['assumeTenantRole', 'homeClusterPoliciesEnsure', 'registryStep'],
  },
  'ensure-sts-role': {
    id: 'EnsureStsRole',
    description: 'Create or correct the role Palette assumes (STS mode)',
    access: ['assumeTenantRole', 'homeRoleEnsure', 'registryStep'],
  },
  'ensure-static-user': {
    id: 'EnsureStaticUser',
    description: 'Create or correct the IAM user and store its access key in Secrets Manager (static mode)',
    access: ['assumeTenantRole', 'homeUserEnsure', 'tenantSecrets:access-key-write', 'registryStep'],
  },
  'check-readiness': {
    id: 'CheckReadiness',
    description: 'One round of Palette credential validation (IAM propagation gate)',
    access: ['paletteApiKey', 'tenantSecrets:access-key-read'],
  },
  'verify-registrations': {
    id: 'VerifyRegistrations',
    description: 'Check that Palette lists every registration under its name and uid',
    access: ['paletteApiKey'],
  },
  'undo-registrations': {
    id: 'UndoRegistrations',
    description: 'Compensation: delete the Palette registrations (and their stored keys) this execution created',
    // Deletes what the registration kinds wrote (their `secrets.writes`, lambdas/domain/registrations.ts).
    access: ['paletteApiKey', `tenantSecrets:${UNDO_REGISTRATIONS_SECRET_JOB}`, 'registryStep'],
  },
  'undo-principal': {
    id: 'UndoPrincipal',
    description: 'Compensation: delete the role or user (and key secret) this execution created',
    access: ['assumeTenantRole', 'homePrincipalUndo', 'tenantSecrets:access-key-delete', 'registryStep'],
  },
  'undo-cluster-policies': {
    id: 'UndoClusterPolicies',
    description: 'Compensation: detach and delete the cluster policies this execution created',
    access: ['assumeTenantRole', 'homeClusterPoliciesUndo', 'registryStep'],
  },
  'undo-backup-policy': {
    id: 'UndoBackupPolicy',
    description: 'Compensation: detach and delete the backup policy this execution created',
    access: ['assumeTenantRole', 'homePolicyUndo', 'registryStep'],
  },
  'undo-bucket': {
    id: 'UndoBucket',
    description: 'Compensation: delete the backup bucket this execution created, if empty',
    access: ['assumeTenantRole', 'homeBucketUndo', 'registryStep'],
  },
  // ---- offboarding (cdk/lib/constructs/offboarding-state-machine.ts; its removal steps are the undo functions) ----
  'validate-offboarding': {
    id: 'ValidateOffboarding',
    description: "Validate the offboarding request; read the tenant and its latest onboarding plan from the registry",
    access: ['registryReadTenant'],
  },
  'check-tenant-in-use': {
    id: 'CheckTenantInUse',
    description: "Refuse the offboarding while Palette clusters use the tenant's cloud account or backup location",
    access: ['paletteApiKey'],
  },
  'begin-offboarding': {
    id: 'BeginOffboarding',
    description: "Tenant registry: take the tenant's lease for the offboarding, status OFFBOARDING",
    access: ['registryLease'],
  },
  'finish-offboarding': {
    id: 'FinishOffboarding',
    description: 'Tenant registry: record what the offboarding removed and retained, release the lease and the freed names',
    access: ['registryStep', 'registryRelease'],
  },
  // ---- re-validation (cdk/lib/constructs/revalidation-state-machine.ts; read-only checks, then one registry write) ----
  'list-revalidation-targets': {
    id: 'ListRevalidationTargets',
    description: 'Re-validation: the tenants to check (the named one, or every ACTIVE and DRIFTED tenant)',
    access: ['registryReadTenant', 'registryScan'],
  },
  'revalidate-tenant': {
    id: 'RevalidateTenant',
    description: "Re-validation, read-only: the tenant's AWS objects, Palette registrations and Palette's own validation against its onboarding plan",
    // access-key-read: Palette validates a static tenant's stored key (as CheckReadiness does).
    access: ['registryReadTenant', 'assumeTenantRole', 'homeRevalidate', 'paletteApiKey', 'tenantSecrets:access-key-read'],
  },
  'record-drift': {
    id: 'RecordDrift',
    description: "Re-validation: record the findings (drift, status DRIFTED or ACTIVE) unless an execution holds the tenant",
    access: ['registryDrift'],
  },
} as const satisfies Record<string, HandlerSpec>;

export type HandlerName = keyof typeof HANDLERS;
export const HANDLER_NAMES = Object.keys(HANDLERS) as HandlerName[];

/** The one handler source every registration kind's function runs (the kind comes in the state's Parameters). */
export const REGISTRATION_HANDLER = 'ensure-registration';

/**
 * One function per registration kind (lambdas/domain/registrations.ts), all from REGISTRATION_HANDLER, each with
 * only the access its kind needs: the Palette API key, the tenant registry, and what its table entry's `secrets`
 * says: reading the user's credentials (read-only prefix) or a secret the workflow wrote, or writing a generated
 * value (SSH private key, API key value). No kind name appears here.
 */
export const REGISTRATION_FUNCTIONS: Readonly<Record<RegistrationKey, HandlerSpec>> = (() => {
  const specs = {} as Record<RegistrationKey, HandlerSpec>;
  for (const key of REGISTRATION_KEYS) {
    const kind = REGISTRATIONS[key];
    specs[key] = {
      id: kind.state,
      description: `Register, adopt or correct the Palette ${kind.label}`,
      access: ['paletteApiKey', 'registryStep', ...registrationSecretAccess(kind.secrets)],
    };
  }
  return specs;
})();

/** A workflow function calls Palette exactly when it reads the Palette API key (test/cdk/palette-connection.test.ts). */
export function callsPalette(spec: { readonly access: readonly Access[] }): boolean {
  return spec.access.includes('paletteApiKey');
}

/** The function name of a registration kind, e.g. `ensure-cloud-account` (template metadata, tests). */
export const registrationFunctionName = (key: RegistrationKey): string =>
  REGISTRATIONS[key].state.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

/** Every workflow function's name: the handlers', then one per registration kind. */
export const FUNCTION_NAMES: readonly string[] = [...HANDLER_NAMES, ...REGISTRATION_KEYS.map(registrationFunctionName)];

export interface OnboardingFunctionsProps {
  readonly config: OnboardingConfig;
  /** The one Lambda environment, built from lambdas/shared/env.ts (LambdaEnvSchema). */
  readonly environment: Record<string, string>;
  readonly refs: AccessRefs;
  /** The role of tenant secrets sessions: each function with a `tenantSecrets:<job>` grant is trusted for that job. */
  readonly tenantSecrets: TenantSecretsAccess;
}

export class OnboardingFunctions extends Construct {
  /** Every workflow function, by handler name. */
  readonly functions: Readonly<Record<HandlerName, lambda.IFunction>>;
  /** The ensure function of every registration kind. */
  readonly registrations: Readonly<Record<RegistrationKey, lambda.IFunction>>;
  /** Every function's construct, by function name (handler name, or `registrationFunctionName(kind)`). */
  readonly constructsByName: Readonly<Record<string, OnboardingFunction>>;

  constructor(scope: Construct, id: string, props: OnboardingFunctionsProps) {
    super(scope, id);
    const built: Record<string, OnboardingFunction> = {};
    const build = (name: string, source: string, spec: HandlerSpec): OnboardingFunction => {
      const fn = new OnboardingFunction(this, spec.id, {
        handler: source,
        name,
        description: `palette-onboarding: ${spec.description}`,
        environment: props.environment,
        logRetention: props.config.logRetentionDays,
        ...(spec.timeout ? { timeout: spec.timeout } : {}),
        // The functions with the Palette API key are the ones that call Palette (VPC placement, CA bundle).
        ...(callsPalette(spec) ? { palette: props.config } : {}),
      });
      applyAccess(fn.role, fn.role, spec.access, props.config, props.refs);
      for (const access of spec.access) {
        const job = /^tenantSecrets:(.+)$/.exec(access)?.[1];
        if (job) props.tenantSecrets.allow(fn.role, job as SecretJobName);
      }
      built[name] = fn;
      return fn;
    };
    const functions = {} as Record<HandlerName, lambda.IFunction>;
    for (const name of HANDLER_NAMES) functions[name] = build(name, name, HANDLERS[name]).function;
    const registrations = {} as Record<RegistrationKey, lambda.IFunction>;
    for (const key of REGISTRATION_KEYS) {
      registrations[key] = build(registrationFunctionName(key), REGISTRATION_HANDLER, REGISTRATION_FUNCTIONS[key]).function;
    }
    this.functions = functions;
    this.registrations = registrations;
    this.constructsByName = built;
  }
}
