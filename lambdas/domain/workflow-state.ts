/**
 * The parts of the workflow state document that handlers read (docs/workflow-contract.md). Every handler
 * receives the whole document and parses only what it needs; unknown keys pass through.
 */
import * as z from 'zod';
import { CLUSTER_POLICY_KEYS, CLUSTER_POLICY_MODES } from './cluster-policies';
import { REGISTRATION_KEYS, RegistrationsPlanSchema, type RegistrationKey } from './registrations';

export const PartitionSchema = z.enum(['aws', 'aws-us-gov']);

/** What every plan has: the tenant, the execution, the deployment, Palette's scope and the registrations. */
const PlanCoreSchema = z.object({
  tenantId: z.string(),
  /** The execution this plan was made for: created-by mark, registry intents and the tenant's lease name it. */
  executionName: z.string(),
  /** This deployment's id: the managed-by mark of everything it manages (stack config `deploymentId`). */
  deploymentId: z.string(),
  homeAccountId: z.string(),
  paletteApiKeySecretArn: z.string(),
  projectUid: z.string().optional(),
  tags: z.record(z.string(), z.string()),
  /** The Palette registrations the request asks for (lambdas/domain/registrations.ts). */
  registrations: RegistrationsPlanSchema,
});

/**
 * The plan of a request with an `aws` section: the tenant's AWS account (`target`) and what the workflow provisions in
 * it (bucket, backup policy, principal, cluster policies), besides the registrations.
 */
export const AwsPlanSchema = PlanCoreSchema.extend({
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
  /** The AWS objects the request adopts explicitly when they exist unmarked (README "Ownership"). */
  adopt: z.object({ bucket: z.boolean(), backupPolicy: z.boolean(), principal: z.boolean() }),
  readinessTimeoutSeconds: z.number().int().positive(),
  /**
   * `aws.clusterPolicies` resolved: the mode and its policies (lambdas/domain/cluster-policies.ts). A plan recorded
   * before cluster policies existed has none.
   */
  clusterPolicies: z
    .object({ mode: z.enum(CLUSTER_POLICY_MODES), policies: z.array(z.enum(CLUSTER_POLICY_KEYS)) })
    .default({ mode: 'none', policies: [] }),
});
export type AwsPlan = z.infer<typeof AwsPlanSchema>;

/**
 * The plan of a request without an `aws` section (README "The request": an Azure-only or GCP-only tenant): Palette
 * registrations only. It has no `target`, which is how every step tells the two apart (`hasAwsPart`).
 */
export const PaletteOnlyPlanSchema = PlanCoreSchema.extend({ target: z.undefined().optional() });
export type PaletteOnlyPlan = z.infer<typeof PaletteOnlyPlanSchema>;

/** The plan every state after ValidateRequest works from: with an AWS part or without one. */
export const PlanSchema = z.union([AwsPlanSchema, PaletteOnlyPlanSchema]);
export type Plan = AwsPlan | PaletteOnlyPlan;

/** The plan provisions an AWS account (the request has an `aws` section). */
export const hasAwsPart = (plan: Plan): plan is AwsPlan => plan.target !== undefined;

/**
 * The tenant's AWS account as the events and the summary report it (ValidateRequest puts it in `$.job.awsAccount`):
 * every field null when the plan has no AWS part.
 */
export const AwsAccountFactsSchema = z.object({
  accountId: z.string().nullable(),
  region: z.string().nullable(),
  partition: PartitionSchema.nullable(),
  credentialMode: z.enum(['sts', 'static']).nullable(),
});
export type AwsAccountFacts = z.infer<typeof AwsAccountFactsSchema>;

export function awsAccountFacts(plan: Plan): AwsAccountFacts {
  if (!hasAwsPart(plan)) return { accountId: null, region: null, partition: null, credentialMode: null };
  return { accountId: plan.target.accountId, region: plan.target.region, partition: plan.target.partition, credentialMode: plan.credentialMode };
}

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
  /** An existing, unmarked bucket this run adopted (aws.bucket.adopt). */
  adopted: z.boolean().optional(),
});
export type BucketResult = z.infer<typeof BucketResultSchema>;

export const PolicyResultSchema = z.object({
  policyArn: z.string(),
  defaultVersionId: z.string(),
  created: z.boolean(),
  versionCreated: z.boolean(),
  adopted: z.boolean().optional(),
});
export type PolicyResult = z.infer<typeof PolicyResultSchema>;

/** EnsureClusterPolicies: the mode's policies, each as ensured, and the tenant's policies of another mode removed. */
export const ClusterPoliciesResultSchema = z.object({
  mode: z.enum(CLUSTER_POLICY_MODES),
  policies: z.array(
    z.object({
      name: z.string(),
      policyArn: z.string(),
      defaultVersionId: z.string(),
      created: z.boolean(),
      versionCreated: z.boolean(),
    }),
  ),
  /** ARNs of the tenant's cluster policies the mode no longer includes (detached and deleted). */
  removed: z.array(z.string()),
});
export type ClusterPoliciesResult = z.infer<typeof ClusterPoliciesResultSchema>;

export const PrincipalResultSchema = z.object({
  kind: z.enum(['sts', 'static']),
  arn: z.string(),
  created: z.boolean(),
  adopted: z.boolean().optional(),
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
  /**
   * Seconds from the first check to this one (the `Tenant Ready` event reports it). Always returned; optional only
   * so a result of a CheckReadiness from before it existed still parses.
   */
  elapsedSeconds: z.number().int().nonnegative().optional(),
  reason: z.string().optional(),
});
export type ReadinessResult = z.infer<typeof ReadinessResultSchema>;

export const RegistrationResultSchema = z.object({
  uid: z.string(),
  name: z.string(),
  created: z.boolean(),
  updated: z.boolean(),
  /** An existing, unmarked object this run adopted (`adopt: true`). */
  adopted: z.literal(true).optional(),
});
export type RegistrationResult = z.infer<typeof RegistrationResultSchema>;
export const SkippedSchema = z.object({ skipped: z.literal(true) });

/** Base of every handler input: the execution and the validated job. */
export const JobStateSchema = z.looseObject({
  execution: ExecutionSchema,
  job: z.looseObject({ plan: PlanSchema }),
});
export type JobState = z.infer<typeof JobStateSchema>;

/** The input of a step that provisions the tenant's AWS account: the state machine runs it only for a plan with `target`. */
export const AwsJobStateSchema = z.looseObject({
  execution: ExecutionSchema,
  job: z.looseObject({ plan: AwsPlanSchema }),
});
export type AwsJobState = z.infer<typeof AwsJobStateSchema>;

/** After ReadPaletteIdentity (AWS steps: Palette's identity is read for a plan with an AWS part). */
export const PaletteStateSchema = AwsJobStateSchema.extend({ palette: PaletteIdentitySchema });
/** After the principal step. */
export const PrincipalStateSchema = PaletteStateSchema.extend({ principal: PrincipalResultSchema });
/**
 * After Registrations (a Map over the requested kinds): one result per kind the plan asks for, in the order of
 * `job.registrationKinds` (a failed one never gets here: CheckRegistrations sends it to compensation).
 */
export const RegistrationsStateSchema = JobStateSchema.extend({
  job: z.looseObject({ plan: PlanSchema, registrationKinds: z.array(z.enum(REGISTRATION_KEYS as [RegistrationKey, ...RegistrationKey[]])) }),
  registrations: z.array(RegistrationResultSchema.loose()),
});
