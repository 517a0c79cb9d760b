/**
 * Self-hosted Palette platform setup (docs/platform-setup.md): the request (state machine input), the plan,
 * deterministic names, the STS principal's policy, and the state document parts the handlers read. Pure.
 */
import * as z from 'zod';
import { ConfigurationError, RequestValidationError } from '../shared/errors';
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

/** IAM's limit on a user's inline policies (all of them together, without whitespace). */
export const USER_INLINE_POLICY_MAX_CHARS = 2048;

const ROLE_ARN_PATTERN = /^arn:(aws|aws-us-gov):iam::(\d{12}|\*):role\/([\w+=,.@*?/-]+)$/;

/**
 * Why `pattern` cannot be an extra role ARN pattern of the STS principal (config `platformAssumableRolePatterns`),
 * or undefined. Secure by default: an IAM role ARN (wildcards `*` / `?` allowed in the account and the path/name);
 * never `*` alone, another service's ARN, or a pattern that matches every role of every account.
 */
export function assumableRolePatternProblem(pattern: string): string | undefined {
  if (pattern.trim() !== pattern || pattern === '') return 'must be a non-empty role ARN pattern without spaces';
  if (pattern === '*' || pattern === 'arn:*') return 'must not be "*": name the roles Palette may assume (arn:<partition>:iam::<account|*>:role/<path/name>)';
  const m = ROLE_ARN_PATTERN.exec(pattern);
  if (!m) return 'must be an IAM role ARN pattern arn:<aws|aws-us-gov>:iam::<12-digit account or *>:role/<path/name> (wildcards * and ? in the name)';
  const [, , account, name = ''] = m;
  if (account === '*' && /^[*?/]*$/.test(name)) {
    return 'matches every role of every account: restrict the account id or the role name (e.g. arn:aws:iam::*:role/palette-*)';
  }
  if (name.length > 512) return 'the role path and name must be at most 512 characters';
  return undefined;
}

/**
 * The STS principal's role ARN patterns: this project's tenant roles (always), then the configured extra patterns
 * of the deployment's partition (deduplicated, order kept).
 */
export function assumableRolePatterns(partition: string, extra: readonly string[] = []): string[] {
  return [...new Set([tenantRoleArnPattern(partition), ...extra])];
}

export function stsPrincipalPolicyDocument(patterns: readonly string[]): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AssumePaletteOnboardingTenantRoles',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: patterns.length === 1 ? (patterns[0] as string) : [...patterns],
      },
    ],
  };
}

/**
 * Synth-time check of the configured extra patterns (the partition is known only at run time): each pattern, one
 * partition for all, and the policy size in that partition.
 */
export function assumableRolePatternsConfigIssues(extra: readonly string[]): string[] {
  const partitions = [...new Set(extra.map((p) => /^arn:([^:]+):/.exec(p)?.[1]).filter((p): p is string => p !== undefined))];
  if (partitions.length > 1) {
    return [`the patterns name ${partitions.length} partitions (${partitions.join(', ')}); a deployment is in one`];
  }
  return assumableRolePatternsIssues(partitions[0] ?? 'aws', extra);
}

/** Problems of a configured extra pattern list for a partition (empty when usable): each pattern, the policy size. */
export function assumableRolePatternsIssues(partition: string, extra: readonly string[]): string[] {
  const issues: string[] = [];
  for (const p of extra) {
    const problem = assumableRolePatternProblem(p);
    if (problem) issues.push(`${JSON.stringify(p)}: ${problem}`);
    else if (!p.startsWith(`arn:${partition}:`)) issues.push(`${JSON.stringify(p)}: is not in the deployment's partition ${partition}`);
  }
  if (issues.length === 0) {
    const size = JSON.stringify(stsPrincipalPolicyDocument(assumableRolePatterns(partition, extra))).length;
    if (size > USER_INLINE_POLICY_MAX_CHARS) {
      issues.push(`the STS principal's policy would be ${size} characters; IAM allows ${USER_INLINE_POLICY_MAX_CHARS} for a user's inline policies`);
    }
  }
  return issues;
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
  takeOver: z
    .boolean()
    .default(false)
    .describe(
      "Replace Palette's system STS account even when it is not this deployment's (another account, or a key that is " +
        "not the STS principal's); without it such an account is reported and left alone",
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
  /** Role ARN patterns the STS principal may assume: this project's tenant roles, then the configured extra ones. */
  assumeRolePatterns: z.array(z.string()).min(1),
  accessKeySecretName: z.string(),
  systemSecretId: z.string(),
  reverseProxySecretId: z.string().optional(),
  configureReverseProxy: z.boolean(),
  rotateAccessKey: z.boolean(),
  /** Replace a system STS account that is not this deployment's. */
  takeOver: z.boolean(),
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
  /** Extra role ARN patterns the STS principal may assume (config platformAssumableRolePatterns). */
  assumableRolePatterns?: readonly string[] | undefined;
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
  const patternIssues = assumableRolePatternsIssues(partition, ctx.assumableRolePatterns ?? []);
  if (patternIssues.length > 0) {
    throw new ConfigurationError(`Configured assumable role patterns (platformAssumableRolePatterns): ${patternIssues.join('; ')}`);
  }
  const configureReverseProxy = request.reverseProxy ?? ctx.reverseProxySecretId !== undefined;
  const plan: PlatformPlan = {
    homeAccountId: ctx.homeAccountId,
    partition,
    userName: STS_PRINCIPAL_USER_NAME,
    userPath: IAM_PATH,
    userArn: userArn(partition, ctx.homeAccountId, STS_PRINCIPAL_USER_NAME, IAM_PATH),
    policyName: STS_PRINCIPAL_POLICY_NAME,
    assumeRolePatterns: assumableRolePatterns(partition, ctx.assumableRolePatterns),
    accessKeySecretName: STS_KEY_SECRET_NAME,
    systemSecretId: ctx.systemSecretId,
    ...(configureReverseProxy && ctx.reverseProxySecretId ? { reverseProxySecretId: ctx.reverseProxySecretId } : {}),
    configureReverseProxy,
    rotateAccessKey: request.rotateAccessKey,
    takeOver: request.takeOver,
    tags: {
      [CREATED_BY_TAG]: ctx.executionName,
      [MANAGED_BY_TAG]: 'palette-onboarding',
      [COMPONENT_TAG]: PLATFORM_COMPONENT,
    },
  };
  return { request, plan: PlatformPlanSchema.parse(plan) };
}

/**
 * Whose Palette's STS account is (pure): `principalKeyIds` are the access keys of this deployment's STS principal
 * (none when the user does not exist).
 */
export function stsAccountOwnership(
  current: { accountId?: string | undefined; accessKeyId?: string | undefined },
  ctx: { homeAccountId: string; principalKeyIds: readonly string[]; userArn: string },
): { owner: StsAccountOwner; reason?: string } {
  if (!current.accountId && !current.accessKeyId) return { owner: 'none' };
  if (current.accountId !== ctx.homeAccountId) {
    return { owner: 'foreign', reason: `it is AWS account ${current.accountId ?? '(none)'}, not this deployment's home account ${ctx.homeAccountId}` };
  }
  if (!current.accessKeyId || !ctx.principalKeyIds.includes(current.accessKeyId)) {
    return {
      owner: 'foreign',
      reason: `its access key ${current.accessKeyId ?? '(none)'} is not a key of this deployment's STS principal ${ctx.userArn}`,
    };
  }
  return { owner: 'ours' };
}

// ---- results stored in the state document (identifiers only, never secret values) -------------------------

/**
 * Whose Palette's system STS account is: `none` (not configured), `ours` (the home account with an access key of
 * this deployment's STS principal), or `foreign` (another account, or a key that is not the principal's: set by
 * hand or by another tool). A foreign account is reported and left alone unless the input says `takeOver`.
 */
export const StsAccountOwnerSchema = z.enum(['none', 'ours', 'foreign']);
export type StsAccountOwner = z.infer<typeof StsAccountOwnerSchema>;

/** $.paletteBefore (CheckSystemLogin): Palette's STS account before this execution changes anything, and whose it is. */
export const PaletteStsBeforeSchema = z.object({
  configured: z.boolean(),
  accountId: z.string().optional(),
  accessKeyId: z.string().optional(),
  owner: StsAccountOwnerSchema,
  /** Why it is foreign (identifiers only). */
  reason: z.string().optional(),
  /** Left alone: foreign and no takeOver. The state machine skips the principal and the registration. */
  leaveAlone: z.boolean(),
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
  /** takeOver replaced an STS account that was not this deployment's: what it was (identifiers only). */
  tookOver: z.object({ accountId: z.string().optional(), accessKeyId: z.string().optional() }).optional(),
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
