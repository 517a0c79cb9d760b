/**
 * The detail of every lifecycle event (cdk/lib/events.ts names each detail-type and its bus), defined once, with zod:
 * the state machines build these details, `npm run gen:schema` exports them as JSON Schema to
 * schema/events/<detail-type in kebab case>.schema.json (lambdas/domain/events-schema.ts), and the tests parse every
 * event a run sends with them. The onboarding request (`Tenant Onboarding Requested`) has its own schema
 * (lambdas/domain/request.ts, schema/onboarding-request.schema.json).
 *
 * Outgoing details are described exactly as sent (no unknown field). They carry identifiers only (names, ARNs, uids,
 * secret ARNs): never a secret value. Pure.
 */
import * as z from 'zod';
import { OffboardingRequestSchema } from './offboarding-request';
import { REGISTRATION_KEYS, type RegistrationKey } from './registrations';
import {
  BucketResultSchema,
  ClusterPoliciesResultSchema,
  PartitionSchema,
  PolicyResultSchema,
  PrincipalResultSchema,
  RegistrationResultSchema,
  SkippedSchema,
} from './workflow-state';

const tenantId = z.string().describe('The tenant id');
const executionName = z.string().describe('The Step Functions execution that sent the event');
const accountId = z.string().describe("The tenant's AWS account");
const credentialMode = z.enum(['sts', 'static']);
/** A field of the tenant's AWS part: null when the request has no aws section (Palette registrations only). */
const ofAwsPart = <T extends z.ZodType>(schema: T, what: string) => schema.nullable().describe(`${what}; null when the request has no aws section`);
const RegistrationKindSchema = z.enum(REGISTRATION_KEYS as [RegistrationKey, ...RegistrationKey[]]);

/** `{Error, Cause}` as a Catch records it. */
const CaughtErrorSchema = z.strictObject({ Error: z.string(), Cause: z.string().optional() });
/** What an undo (or removal) step deleted, and what it kept and why. */
const RemovalResultSchema = z.strictObject({
  deleted: z.array(z.string()),
  retained: z.array(z.strictObject({ id: z.string(), reason: z.string() })),
});

/** Each registration kind's result: RegistrationResult plus the kind's own fields (secret ARNs, never values). */
const RegistrationResultDetailSchema = z.strictObject(RegistrationResultSchema.shape);
const SshKeyResultDetailSchema = RegistrationResultDetailSchema.extend({ privateKeySecretArn: z.string().optional(), fingerprint: z.string() });
const ApiKeyResultDetailSchema = RegistrationResultDetailSchema.extend({ valueSecretArn: z.string(), expiresAt: z.string() });
type ResultSchemaOf<K extends RegistrationKey> = K extends 'sshKey'
  ? typeof SshKeyResultDetailSchema
  : K extends 'apiKey'
    ? typeof ApiKeyResultDetailSchema
    : typeof RegistrationResultDetailSchema;
const SkippedDetailSchema = z.strictObject(SkippedSchema.shape);

export const REGISTRATION_RESULT_SCHEMAS = Object.fromEntries(
  REGISTRATION_KEYS.map((key) => [key, key === 'sshKey' ? SshKeyResultDetailSchema : key === 'apiKey' ? ApiKeyResultDetailSchema : RegistrationResultDetailSchema]),
) as unknown as { [K in RegistrationKey]: ResultSchemaOf<K> };

/** One entry per registration kind: its result, or `{skipped: true}` when the plan does not register it. */
const RegistrationOutcomesShape = Object.fromEntries(
  REGISTRATION_KEYS.map((key) => [key, z.union([REGISTRATION_RESULT_SCHEMAS[key], SkippedDetailSchema])]),
) as unknown as { [K in RegistrationKey]: z.ZodUnion<[ResultSchemaOf<K>, typeof SkippedDetailSchema]> };

// ---- onboarding: progress (best effort) -------------------------------------------------------------------------

/** `Tenant Onboarding Started`: AcquireTenant took the tenant's lease; the onboarding begins. */
export const OnboardingStartedDetailSchema = z.strictObject({
  tenantId,
  executionName,
  accountId: ofAwsPart(z.string(), "The tenant's AWS account"),
  region: ofAwsPart(z.string(), "The tenant account's region"),
  credentialMode: ofAwsPart(credentialMode, 'How Palette reaches the account'),
  registrations: z.array(RegistrationKindSchema).describe('The registration kinds the plan asks for, in branch order'),
});

/** `Tenant Resources Ready`: the bucket, the backup policy and the role (sts) or user (static) exist. */
export const ResourcesReadyDetailSchema = z.strictObject({
  tenantId,
  executionName,
  accountId,
  credentialMode,
  bucketName: z.string(),
  bucketArn: z.string(),
  policyArn: z.string(),
  principalArn: z.string().describe('The role (sts) or user (static) Palette uses'),
});

/** `Tenant Ready`: the readiness gate passed (Palette accepts the credentials). */
export const ReadyDetailSchema = z.strictObject({
  tenantId,
  executionName,
  attempts: z.number().int().positive().describe('Readiness checks made, the passing one included'),
  firstCheckAt: z.string().describe('ISO time of the first readiness check'),
  elapsedSeconds: z.number().int().nonnegative().describe('Seconds from the first readiness check to the one that passed'),
});

/** `Tenant Registered`: every Palette registration exists and was verified. */
export const RegisteredDetailSchema = z.strictObject({
  tenantId,
  executionName,
  registrations: z.strictObject(RegistrationOutcomesShape).describe('Per registration kind: its result (uid, name), or {skipped: true}'),
});

// ---- onboarding: results --------------------------------------------------------------------------------------------

/** `Tenant Onboarding Succeeded`: the summary (the BuildSummary Pass state; also the execution's output). */
export const OnboardingSucceededDetailSchema = z.strictObject({
  tenantId,
  executionName,
  accountId: ofAwsPart(z.string(), "The tenant's AWS account"),
  region: ofAwsPart(z.string(), "The tenant account's region"),
  partition: ofAwsPart(PartitionSchema, "The tenant account's partition"),
  credentialMode: ofAwsPart(credentialMode, 'How Palette reaches the account'),
  bucket: ofAwsPart(z.strictObject(BucketResultSchema.shape), 'The backup bucket'),
  policy: ofAwsPart(z.strictObject(PolicyResultSchema.shape), 'The backup policy'),
  clusterPolicies: ofAwsPart(
    z.strictObject({ ...ClusterPoliciesResultSchema.shape, policies: z.array(z.strictObject(ClusterPoliciesResultSchema.shape.policies.element.shape)) }),
    "Palette's cluster policies (aws.clusterPolicies): the mode, each policy, and those of another mode removed",
  ),
  principal: ofAwsPart(z.strictObject(PrincipalResultSchema.shape), 'The role (sts) or user (static) Palette uses'),
  ...RegistrationOutcomesShape,
  verification: z.strictObject({ ok: z.literal(true), uids: z.partialRecord(RegistrationKindSchema, z.string()) }),
});

/** `Tenant Onboarding Failed`. */
export const OnboardingFailedDetailSchema = z.strictObject({
  tenantId: z.string().nullable().describe("The request's tenant id; null when the request has no string tenant id"),
  executionName,
  step: z.string().describe('The state that failed'),
  error: z.string(),
  cause: z.string(),
  compensation: z
    .strictObject({
      registrations: RemovalResultSchema.optional(),
      clusterPolicies: RemovalResultSchema.optional(),
      principal: RemovalResultSchema.optional(),
      policy: RemovalResultSchema.optional(),
      bucket: RemovalResultSchema.optional(),
      /** ReleaseTenantOnFailure's result. */
      tenant: z.strictObject({ released: z.boolean(), status: z.string().optional(), claimsReleased: z.number().int().nonnegative() }).optional(),
      registrationsError: CaughtErrorSchema.optional(),
      clusterPoliciesError: CaughtErrorSchema.optional(),
      principalError: CaughtErrorSchema.optional(),
      policyError: CaughtErrorSchema.optional(),
      bucketError: CaughtErrorSchema.optional(),
      tenantError: CaughtErrorSchema.optional(),
    })
    .describe('What the compensation removed and retained (empty when nothing had been created)'),
});

// ---- offboarding and drift --------------------------------------------------------------------------------------------

/** `Tenant Offboarding Requested` (incoming, on the onboarding bus): the offboarding request. */
export const OffboardingRequestedDetailSchema = OffboardingRequestSchema;

/** `Tenant Offboarded`: what the offboarding removed, and what it retained and why. */
export const OffboardedDetailSchema = z.strictObject({
  tenantId,
  executionName,
  accountId: ofAwsPart(z.string(), "The tenant's AWS account"),
  removed: z.array(z.string()).describe('Registry keys of the objects removed'),
  retained: RemovalResultSchema.shape.retained.describe('Objects kept, with the reason'),
});

/** `Tenant Offboarding Failed`. */
export const OffboardingFailedDetailSchema = z.strictObject({
  tenantId: z.string().nullable().describe("The request's tenant id; null when the request has no string tenant id"),
  executionName,
  step: z.string().describe('The state that failed'),
  error: z.string(),
  cause: z.string(),
});

/** `Tenant Drift Detected`: what differs from what the tenant's onboarding made. */
export const DriftDetectedDetailSchema = z.strictObject({
  tenantId,
  executionName,
  findings: z.array(z.strictObject({ resource: z.string(), check: z.string(), reason: z.string() })),
});

/**
 * Every detail schema, by the event's key in ONBOARDING_EVENTS (cdk/lib/events.ts), except `requested` (the
 * onboarding request). test/unit/event-schemas.test.ts checks that the two lists match.
 */
export const EVENT_DETAIL_SCHEMAS = {
  started: OnboardingStartedDetailSchema,
  resourcesReady: ResourcesReadyDetailSchema,
  ready: ReadyDetailSchema,
  registered: RegisteredDetailSchema,
  succeeded: OnboardingSucceededDetailSchema,
  failed: OnboardingFailedDetailSchema,
  offboardingRequested: OffboardingRequestedDetailSchema,
  offboarded: OffboardedDetailSchema,
  offboardingFailed: OffboardingFailedDetailSchema,
  driftDetected: DriftDetectedDetailSchema,
} as const;
export type EventKey = keyof typeof EVENT_DETAIL_SCHEMAS;

/** Events this project receives: their schema describes what a sender may send (defaults are optional). */
export const INCOMING_EVENT_KEYS: readonly EventKey[] = ['offboardingRequested'];

export type OnboardingStartedDetail = z.output<typeof OnboardingStartedDetailSchema>;
export type ResourcesReadyDetail = z.output<typeof ResourcesReadyDetailSchema>;
export type ReadyDetail = z.output<typeof ReadyDetailSchema>;
export type RegisteredDetail = z.output<typeof RegisteredDetailSchema>;
export type OnboardingSucceededDetail = z.output<typeof OnboardingSucceededDetailSchema>;
export type OnboardingFailedDetail = z.output<typeof OnboardingFailedDetailSchema>;
export type OffboardedDetail = z.output<typeof OffboardedDetailSchema>;
export type OffboardingFailedDetail = z.output<typeof OffboardingFailedDetailSchema>;
export type DriftDetectedDetail = z.output<typeof DriftDetectedDetailSchema>;
