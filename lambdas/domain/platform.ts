/**
 * Self-hosted Palette platform setup (docs/platform-setup.md): the request (state machine input), the plan,
 * deterministic names, the STS principal's policy, and the state document parts the handlers read. Pure.
 */
import { z } from 'zod';
import { RequestValidationError } from '../shared/errors';
import { CREATED_BY_TAG, IAM_PATH, MANAGED_BY_TAG, NAME_PREFIX, userArn } from './names';
import { toIssues } from './plan';
import type { PolicyDocument } from './policies';
import { ExecutionSchema, PartitionSchema } from './workflow-state';

/**
 * IAM user Palette uses to assume tenant roles. Its name contains a dot, which a tenant id cannot, so it never
 * collides with a tenant's static user `palette-onboarding-<tenantId>` under the same path.
 */
export const STS_PRINCIPAL_USER_NAME = 'palette-platform.sts-principal';
/** Its only permission (inline policy). */
export const STS_PRINCIPAL_POLICY_NAME = 'assume-palette-onboarding-tenant-roles';
/**
 * Secrets of the platform setup live under their own prefix, outside the onboarding's per-tenant pattern
 * `palette-onboarding/<tenant>/<name>`, so onboarding functions cannot read them.
 */
export const PLATFORM_SECRET_PREFIX = 'palette-onboarding-platform/';
export const STS_KEY_SECRET_NAME = `${PLATFORM_SECRET_PREFIX}sts-access-key`;
export const DEFAULT_SYSTEM_CREDENTIALS_SECRET_NAME = `${PLATFORM_SECRET_PREFIX}system-credentials`;
/** Tag marking everything the platform setup creates (besides created-by / managed-by). */
export const COMPONENT_TAG = 'palette-onboarding/component';
export const PLATFORM_COMPONENT = 'platform-setup';

/** Role ARNs the STS principal may assume: the tenant roles this project creates, in any account. */
export const tenantRoleArnPattern = (partition: string) => `arn:${partition}:iam::*:role${IAM_PATH}${NAME_PREFIX}-*`;

export function stsPrincipalPolicyDocument(partition: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AssumePaletteOnboardingTenantRoles',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: tenantRoleArnPattern(partition),
      },
    ],
  };
}

/** Secret formats (docs/platform-setup.md "Secrets"). */
export const SystemCredentialsSchema = z.object({ username: z.string().min(1), password: z.string().min(1) });
export const StsKeySecretSchema = z.object({ accessKeyId: z.string().min(16), secretAccessKey: z.string().min(1) });
export type StsKeySecret = z.infer<typeof StsKeySecretSchema>;

/** State machine input. Every key is optional: `{}` sets up (or re-checks) everything. */
export const PlatformSetupRequestSchema = z.strictObject({
  rotateAccessKey: z
    .boolean()
    .default(false)
    .describe('Rotate the STS principal access key: new key, update Palette, verify, delete the old key'),
  reverseProxy: z
    .boolean()
    .optional()
    .describe('Configure the reverse proxy; default: when the deployment has a reverse-proxy secret'),
  partition: PartitionSchema.optional().describe(
    "Default and only allowed value: the deployment's partition. aws: /v1/system/config/aws/sts/account; " +
      'aws-us-gov: /v1/system/config/awsgov/sts/account',
  ),
});
export type PlatformSetupRequest = z.output<typeof PlatformSetupRequestSchema>;

export const PlatformPlanSchema = z.object({
  homeAccountId: z.string(),
  partition: PartitionSchema,
  userName: z.string(),
  userPath: z.string(),
  userArn: z.string(),
  policyName: z.string(),
  assumeRolePattern: z.string(),
  accessKeySecretName: z.string(),
  systemSecretId: z.string(),
  reverseProxySecretId: z.string().optional(),
  configureReverseProxy: z.boolean(),
  rotateAccessKey: z.boolean(),
  tags: z.record(z.string(), z.string()),
});
export type PlatformPlan = z.infer<typeof PlatformPlanSchema>;

export interface PlatformPlanContext {
  homeAccountId: string;
  /** Partition of the account the Lambdas run in (the STS principal lives there). */
  homePartition: z.infer<typeof PartitionSchema>;
  executionName: string;
  systemSecretId: string;
  reverseProxySecretId?: string | undefined;
}

/** The partition of an AWS region name. */
export const partitionOfRegion = (region: string): z.infer<typeof PartitionSchema> => (region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws');

export function buildPlatformPlan(raw: unknown, ctx: PlatformPlanContext): { request: PlatformSetupRequest; plan: PlatformPlan } {
  const parsed = PlatformSetupRequestSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new RequestValidationError(toIssues(parsed.error));
  const request = parsed.data;
  if (request.reverseProxy === true && !ctx.reverseProxySecretId) {
    throw new RequestValidationError([
      { path: 'reverseProxy', message: 'this deployment has no reverse-proxy secret (config reverseProxySecretArn)' },
    ]);
  }
  if (request.partition !== undefined && request.partition !== ctx.homePartition) {
    throw new RequestValidationError([
      { path: 'partition', message: `must be ${ctx.homePartition}, the partition this deployment (and the STS principal) is in` },
    ]);
  }
  const partition = ctx.homePartition;
  const configureReverseProxy = request.reverseProxy ?? ctx.reverseProxySecretId !== undefined;
  const plan: PlatformPlan = {
    homeAccountId: ctx.homeAccountId,
    partition,
    userName: STS_PRINCIPAL_USER_NAME,
    userPath: IAM_PATH,
    userArn: userArn(partition, ctx.homeAccountId, STS_PRINCIPAL_USER_NAME, IAM_PATH),
    policyName: STS_PRINCIPAL_POLICY_NAME,
    assumeRolePattern: tenantRoleArnPattern(partition),
    accessKeySecretName: STS_KEY_SECRET_NAME,
    systemSecretId: ctx.systemSecretId,
    ...(configureReverseProxy && ctx.reverseProxySecretId ? { reverseProxySecretId: ctx.reverseProxySecretId } : {}),
    configureReverseProxy,
    rotateAccessKey: request.rotateAccessKey,
    tags: {
      [CREATED_BY_TAG]: ctx.executionName,
      [MANAGED_BY_TAG]: 'palette-onboarding',
      [COMPONENT_TAG]: PLATFORM_COMPONENT,
    },
  };
  return { request, plan: PlatformPlanSchema.parse(plan) };
}

// ---- results stored in the state document (identifiers only, never secret values) -------------------------

/** $.paletteBefore (CheckSystemLogin): Palette's STS account before this execution changes anything. */
export const PaletteStsBeforeSchema = z.object({
  configured: z.boolean(),
  accountId: z.string().optional(),
  accessKeyId: z.string().optional(),
});
export type PaletteStsBefore = z.infer<typeof PaletteStsBeforeSchema>;

/** $.principal (EnsureStsUser): the user and its one policy. */
export const StsUserResultSchema = z.object({
  userName: z.string(),
  userArn: z.string(),
  created: z.boolean(),
  policyUpdated: z.boolean(),
});
export type StsUserResult = z.infer<typeof StsUserResultSchema>;

/** $.accessKey (EnsureAccessKey): the stored active key (its id only). */
export const AccessKeyResultSchema = z.object({
  accessKeyId: z.string(),
  created: z.boolean(),
  secretArn: z.string(),
  secretCreated: z.boolean(),
});
export type AccessKeyResult = z.infer<typeof AccessKeyResultSchema>;

/** $.rotation (RotateAccessKey), or {skipped: true}. */
export const RotationResultSchema = z.object({
  rotated: z.boolean(),
  /** The rotation found a stored key Palette does not use yet (an interrupted rotation) and resumed it. */
  resumed: z.boolean(),
  previousAccessKeyId: z.string().optional(),
  accessKeyId: z.string(),
  deletedStaleKeys: z.array(z.string()),
});
export type RotationResult = z.infer<typeof RotationResultSchema>;

/** $.registration (RegisterStsAccount). */
export const StsRegistrationResultSchema = z.object({
  accountId: z.string(),
  accessKeyId: z.string(),
  changed: z.boolean(),
  method: z.enum(['PUT', 'POST']).optional(),
  verified: z.literal(true),
  /** GET /v1/system/config/aws/account reports the same access key (it may legitimately be a separate devops account). */
  awsAccountMatches: z.boolean(),
});
export type StsRegistrationResult = z.infer<typeof StsRegistrationResultSchema>;

/** $.keyCleanup (CleanupAccessKeys). */
export const KeyCleanupResultSchema = z.object({ activeAccessKeyId: z.string(), deleted: z.array(z.string()) });
export type KeyCleanupResult = z.infer<typeof KeyCleanupResultSchema>;

/** $.reverseProxyCheck (CheckReverseProxySecret) and part of $.reverseProxy. */
export const ReverseProxySummarySchema = z.object({
  server: z.string(),
  port: z.number().int(),
  protocol: z.enum(['http', 'https']),
  caSubject: z.string(),
  caFingerprint256: z.string(),
  certSubject: z.string(),
  certFingerprint256: z.string(),
  certNotAfter: z.string(),
});

/** $.reverseProxy (ConfigureReverseProxy). */
export const ReverseProxyResultSchema = ReverseProxySummarySchema.extend({ changed: z.boolean(), verified: z.literal(true) });
export type ReverseProxyResult = z.infer<typeof ReverseProxyResultSchema>;

/** $.compensation.principal (UndoStsPrincipal). */
export interface PlatformUndoResult {
  deleted: string[];
  retained: { id: string; reason: string }[];
  /** The key secret was put back to the key Palette still uses. */
  secretRestored: boolean;
}

// ---- state document parts per handler -------------------------------------------------------------------

export const PlatformJobStateSchema = z.looseObject({
  execution: ExecutionSchema,
  job: z.looseObject({ plan: PlatformPlanSchema }),
});
export type PlatformJobState = z.infer<typeof PlatformJobStateSchema>;

/** After CheckSystemLogin. */
export const PlatformLoginStateSchema = PlatformJobStateSchema.extend({ paletteBefore: PaletteStsBeforeSchema });
/** After EnsureAccessKey. */
export const PlatformAccessKeyStateSchema = PlatformLoginStateSchema.extend({ accessKey: AccessKeyResultSchema });
/** After ShouldRotate (RotateAccessKey or SkipRotation). */
export const PlatformRotationStateSchema = PlatformAccessKeyStateSchema.extend({
  rotation: z.union([RotationResultSchema, z.object({ skipped: z.literal(true) })]),
});
