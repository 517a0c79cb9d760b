import { Duration, aws_lambda as lambda } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { OnboardingConfig } from '../config';
import { applyAccess, type Access } from '../permissions';
import { OnboardingFunction } from './onboarding-function';

interface HandlerSpec {
  /** Construct id (PascalCase). */
  readonly id: string;
  readonly description: string;
  /** Exactly what the handler's state needs. */
  readonly access: readonly Access[];
  readonly timeout?: Duration;
}

/**
 * The workflow's Lambdas: one thin handler per Task state (docs/workflow-contract.md), keyed by the
 * handler's file name `lambdas/handlers/<key>.ts`.
 */
export const HANDLERS = {
  'validate-request': {
    id: 'ValidateRequest',
    description: 'Validate and normalize the onboarding request; derive the plan',
    access: [],
  },
  'read-palette-identity': {
    id: 'ReadPaletteIdentity',
    description: "Read Palette's AWS account and the tenant's external ID",
    access: ['paletteApiKey'],
  },
  'ensure-bucket': {
    id: 'EnsureBucket',
    description: 'Create or correct the backup bucket in the tenant account',
    access: ['assumeTenantRole', 'homeBucketEnsure'],
  },
  'ensure-backup-policy': {
    id: 'EnsureBackupPolicy',
    description: 'Create or correct the backup IAM policy in the tenant account',
    access: ['assumeTenantRole', 'homePolicyEnsure'],
  },
  'ensure-sts-role': {
    id: 'EnsureStsRole',
    description: 'Create or correct the role Palette assumes (STS mode)',
    access: ['assumeTenantRole', 'homeRoleEnsure'],
  },
  'ensure-static-user': {
    id: 'EnsureStaticUser',
    description: 'Create or correct the IAM user and store its access key in Secrets Manager (static mode)',
    access: ['assumeTenantRole', 'homeUserEnsure', 'accessKeySecretWrite'],
  },
  'check-readiness': {
    id: 'CheckReadiness',
    description: 'One round of Palette credential validation (IAM propagation gate)',
    access: ['paletteApiKey', 'accessKeySecretRead'],
  },
  'ensure-cloud-account': {
    id: 'EnsureCloudAccount',
    description: 'Register or update the Palette AWS cloud account',
    access: ['paletteApiKey', 'accessKeySecretRead'],
  },
  'ensure-backup-location': {
    id: 'EnsureBackupLocation',
    description: 'Register or update the Palette S3 backup location',
    access: ['paletteApiKey', 'accessKeySecretRead'],
  },
  'ensure-azure-account': {
    id: 'EnsureAzureAccount',
    description: 'Validate and register or update the Palette Azure cloud account',
    access: ['paletteApiKey', 'accessKeySecretRead'],
  },
  'ensure-ssh-key': {
    id: 'EnsureSshKey',
    description: 'Upload (or generate, store and upload) the SSH key',
    access: ['paletteApiKey', 'accessKeySecretWrite'],
  },
  'ensure-api-key': {
    id: 'EnsureApiKey',
    description: 'Create the Palette API key and store its value in Secrets Manager',
    access: ['paletteApiKey', 'accessKeySecretWrite'],
  },
  'ensure-gcp-backup-location': {
    id: 'EnsureGcpBackupLocation',
    description: 'Validate and register or update the GCP backup location',
    access: ['paletteApiKey', 'accessKeySecretRead'],
  },
  'ensure-minio-backup-location': {
    id: 'EnsureMinioBackupLocation',
    description: 'Check the MinIO bucket with its keys, then register or update the MinIO backup location',
    access: ['paletteApiKey', 'accessKeySecretRead'],
  },
  'ensure-azure-backup-location': {
    id: 'EnsureAzureBackupLocation',
    description: 'Validate and register or update the Azure Blob backup location',
    access: ['paletteApiKey', 'accessKeySecretRead'],
  },
  'verify-registrations': {
    id: 'VerifyRegistrations',
    description: 'Check that Palette lists the cloud account and backup location',
    access: ['paletteApiKey'],
  },
  'undo-registrations': {
    id: 'UndoRegistrations',
    description: 'Compensation: delete the Palette registrations (and their stored keys) this execution created',
    access: ['paletteApiKey', 'accessKeySecretWrite'],
  },
  'undo-principal': {
    id: 'UndoPrincipal',
    description: 'Compensation: delete the role or user (and key secret) this execution created',
    access: ['assumeTenantRole', 'homePrincipalUndo', 'accessKeySecretWrite'],
  },
  'undo-backup-policy': {
    id: 'UndoBackupPolicy',
    description: 'Compensation: detach and delete the backup policy this execution created',
    access: ['assumeTenantRole', 'homePolicyUndo'],
  },
  'undo-bucket': {
    id: 'UndoBucket',
    description: 'Compensation: delete the backup bucket this execution created, if empty',
    access: ['assumeTenantRole', 'homeBucketUndo'],
  },
} as const satisfies Record<string, HandlerSpec>;

export type HandlerName = keyof typeof HANDLERS;
export const HANDLER_NAMES = Object.keys(HANDLERS) as HandlerName[];

export interface OnboardingFunctionsProps {
  readonly config: OnboardingConfig;
  /** The one Lambda environment, built from lambdas/shared/env.ts (LambdaEnvSchema). */
  readonly environment: Record<string, string>;
}

export class OnboardingFunctions extends Construct {
  /** Every workflow function, by handler name. */
  readonly functions: Readonly<Record<HandlerName, lambda.IFunction>>;
  readonly constructsByHandler: Readonly<Record<HandlerName, OnboardingFunction>>;

  constructor(scope: Construct, id: string, props: OnboardingFunctionsProps) {
    super(scope, id);
    const built = {} as Record<HandlerName, OnboardingFunction>;
    for (const name of HANDLER_NAMES) {
      const spec: HandlerSpec = HANDLERS[name];
      const fn = new OnboardingFunction(this, spec.id, {
        handler: name,
        description: `palette-onboarding: ${spec.description}`,
        environment: props.environment,
        logRetention: props.config.logRetentionDays,
        ...(spec.timeout ? { timeout: spec.timeout } : {}),
      });
      applyAccess(fn.role, fn.role, spec.access, props.config);
      built[name] = fn;
    }
    this.constructsByHandler = built;
    const functions = {} as Record<HandlerName, lambda.IFunction>;
    for (const name of HANDLER_NAMES) functions[name] = built[name].function;
    this.functions = functions;
  }
}
