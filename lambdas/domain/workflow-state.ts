/**
 * The parts of the workflow state document that handlers read (docs/workflow-contract.md). Every handler
 * receives the whole document and parses only what it needs; unknown keys pass through.
 */
import { z } from 'zod';
import { ExtrasPlanSchema } from './extras';

export const PartitionSchema = z.enum(['aws', 'aws-us-gov']);

export const PlanSchema = z.object({
  tenantId: z.string(),
  homeAccountId: z.string(),
  target: z.object({
    accountId: z.string(),
    region: z.string(),
    partition: PartitionSchema,
    roleName: z.string(),
    /** false when the tenant account is the home account: no AssumeRole. */
    assumeRole: z.boolean(),
  }),
  credentialMode: z.enum(['sts', 'static']),
  bucketName: z.string(),
  bucketArn: z.string(),
  kmsKeyArn: z.string().optional(),
  versioning: z.boolean(),
  lifecycle: z
    .object({
      noncurrentVersionExpirationDays: z.number().int().positive().optional(),
      abortIncompleteMultipartUploadDays: z.number().int().positive().optional(),
    })
    .optional(),
  policyName: z.string(),
  policyArn: z.string(),
  principalName: z.string(),
  iamPath: z.string(),
  accessKeySecretName: z.string(),
  rotateAccessKey: z.boolean(),
  paletteApiKeySecretArn: z.string(),
  projectUid: z.string().optional(),
  cloudAccountName: z.string(),
  registerCloudAccount: z.boolean(),
  backupLocationName: z.string(),
  backupLocationIsDefault: z.boolean(),
  readinessTimeoutSeconds: z.number().int().positive(),
  tags: z.record(z.string(), z.string()),
  /** Optional parts: Azure account, SSH key, API key, GCP / MinIO / Azure backup locations. */
  extras: ExtrasPlanSchema.default({}),
});
export type Plan = z.infer<typeof PlanSchema>;

export const ExecutionSchema = z.object({ name: z.string(), startTime: z.string().optional() });

export const PaletteIdentitySchema = z.object({
  accountId: z.string(),
  externalId: z.string(),
  partition: PartitionSchema,
});
export type PaletteIdentity = z.infer<typeof PaletteIdentitySchema>;

export const BucketResultSchema = z.object({
  bucketName: z.string(),
  bucketArn: z.string(),
  region: z.string(),
  created: z.boolean(),
});
export type BucketResult = z.infer<typeof BucketResultSchema>;

export const PolicyResultSchema = z.object({
  policyArn: z.string(),
  defaultVersionId: z.string(),
  created: z.boolean(),
  versionCreated: z.boolean(),
});
export type PolicyResult = z.infer<typeof PolicyResultSchema>;

export const PrincipalResultSchema = z.object({
  kind: z.enum(['sts', 'static']),
  arn: z.string(),
  created: z.boolean(),
  roleArn: z.string().optional(),
  userName: z.string().optional(),
  accessKeyId: z.string().optional(),
  credentialsSecretArn: z.string().optional(),
});
export type PrincipalResult = z.infer<typeof PrincipalResultSchema>;

export const ReadinessResultSchema = z.object({
  ready: z.boolean(),
  attempt: z.number().int().nonnegative(),
  firstCheckAt: z.string(),
  waitSeconds: z.number().int().nonnegative(),
  reason: z.string().optional(),
});
export type ReadinessResult = z.infer<typeof ReadinessResultSchema>;

export const RegistrationResultSchema = z.object({
  uid: z.string(),
  name: z.string(),
  created: z.boolean(),
  updated: z.boolean(),
});
export type RegistrationResult = z.infer<typeof RegistrationResultSchema>;
export const SkippedSchema = z.object({ skipped: z.literal(true) });

/** Base of every handler input: the execution and the validated job. */
export const JobStateSchema = z.looseObject({
  execution: ExecutionSchema,
  job: z.looseObject({ plan: PlanSchema }),
});
export type JobState = z.infer<typeof JobStateSchema>;

/** After ReadPaletteIdentity. */
export const PaletteStateSchema = JobStateSchema.extend({ palette: PaletteIdentitySchema });
/** After the principal step. */
export const PrincipalStateSchema = PaletteStateSchema.extend({ principal: PrincipalResultSchema });
/** After Registrations. */
const OptionalRegistration = z.union([RegistrationResultSchema, SkippedSchema]).optional();
export const RegistrationsStateSchema = JobStateSchema.extend({
  registrations: z.looseObject({
    cloudAccount: z.union([RegistrationResultSchema, SkippedSchema]),
    backupLocation: RegistrationResultSchema,
    azureAccount: OptionalRegistration,
    sshKey: OptionalRegistration,
    apiKey: OptionalRegistration,
    gcpBackupLocation: OptionalRegistration,
    minioBackupLocation: OptionalRegistration,
    azureBackupLocation: OptionalRegistration,
  }),
});
