/**
 * Re-validation (README "Re-validation", docs/workflow-contract.md "Re-validation state machine"): what a tenant's
 * onboarding made, compared with what is there now. Pure: the services (lambdas/services/revalidation/) read AWS and
 * Palette into plain observations, and these functions turn them into findings `{resource, check, reason}`:
 * `resource` is the object's registry key (lambdas/domain/names.ts `resourceKey`), `check` one of DRIFT_CHECKS,
 * `reason` a sentence for a reader (identifiers only, never a secret value or an external ID).
 *
 * Also here: the re-validation request, the settings the state machine carries (stack config), the bounds of one run,
 * and the remediation (the tenant's latest onboarding request, run again).
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { executionNameFor, MANAGED_BY_TAG, TENANT_TAG } from './names';
import { normalizePolicy, paletteTrustPolicy, tlsOnlyBucketPolicy, trustPolicyProblem, type PolicyStatement } from './policies';
import { TENANT_ID } from './request';
import { RequestValidationError } from '../shared/errors';

/**
 * `schema(() => ...)`: the schema, built when the module loads; marked free of side effects so that a function that
 * uses none of these schemas has none of them in its bundle (as in lambdas/domain/registration-requests.ts).
 */
/* @__NO_SIDE_EFFECTS__ */
function schema<T>(build: () => T): T {
  return build();
}

// ---- the request and the settings ------------------------------------------------------------------------------

/**
 * The input of the re-validation state machine: `{}` (the schedule: every ACTIVE and DRIFTED tenant), `{tenantId}`
 * (`palette-onboard revalidate <tenantId>`), and `remediate` to override the deployment's default for this run.
 */
export const RevalidationRequestSchema = schema(() => z.strictObject({
  tenantId: z.string().regex(TENANT_ID, 'must be 3-32 characters: lowercase letters, digits and -, starting with a letter').optional(),
  /** Re-run the onboarding of a drifted tenant (default: the stack config `remediate`). */
  remediate: z.boolean().optional(),
}));
export type RevalidationRequest = z.output<typeof RevalidationRequestSchema>;

/** The request, or RequestValidationError naming every bad field. */
export function parseRevalidationRequest(raw: unknown): RevalidationRequest {
  const parsed = RevalidationRequestSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new RequestValidationError(parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message })), 're-validation request');
  }
  return parsed.data;
}

/** Defaults and bounds of the settings (stack config, cdk/lib/config.ts). */
export const REVALIDATION_DEFAULTS = {
  schedule: 'rate(1 day)',
  concurrency: 5,
  remediate: false,
  apiKeyExpiryWarningDays: 14,
  staticKeyRotationDays: 90,
} as const;

/** What the state machine's Init state carries for every run (the deployment's configuration, fixed at synth). */
export const RevalidationSettingsSchema = schema(() => z.object({
  /** An API key expiring within this many days is a finding. */
  apiKeyExpiryWarningDays: z.number().int().min(1).max(365),
  /** A static access key older than this many days is a finding (remediation rotates it). */
  staticKeyRotationDays: z.number().int().min(1).max(3650),
  /** Default for runs whose request does not say. */
  remediate: z.boolean(),
}));
export type RevalidationSettings = z.output<typeof RevalidationSettingsSchema>;

/**
 * At most this many tenants per run, the longest-unchecked first; the rest wait for the next run. One tenant's
 * iteration writes about 30 history events (Step Functions keeps at most 25,000 per execution) and its outcome stays in
 * the state (256 KB): 500 stays well inside both.
 */
export const MAX_TENANTS_PER_RUN = 500;
/** Longest reason kept in a finding or an outcome (Palette's messages can be long). */
export const MAX_REASON = 300;

/** Execution name of a re-validation started by hand: `revalidate-<tenantId | all>-<yyyymmddhhmmss>-<suffix>`. */
export const revalidationExecutionName = (tenantId: string | undefined, now: Date = new Date(), suffix: string = randomUUID().slice(0, 8)): string =>
  `revalidate-${tenantId ?? 'all'}-${stamp(now)}-${suffix}`;

const stamp = (now: Date) => now.toISOString().replace(/[-:T]/g, '').slice(0, 14);

// ---- findings ---------------------------------------------------------------------------------------------------

/** Every check re-validation makes, and whether running the tenant's onboarding again repairs what it finds. */
export const DRIFT_CHECKS = {
  /** The object is gone. */
  present: { remediable: true },
  /** The tenant's or the deployment's mark is missing, or another tenant's is there. */
  marks: { remediable: true },
  /** The role's trust policy is not what onboarding wrote (or, adopted, no longer lets Palette in). */
  trustPolicy: { remediable: true },
  /** The role trusts Palette with an external ID that is no longer the tenant's (rotated in Palette). */
  externalId: { remediable: true },
  /** The backup policy's default version is not the document onboarding wrote. */
  policyDocument: { remediable: true },
  /** The backup policy is not attached to the role / user. */
  policyAttached: { remediable: true },
  /** Bucket guardrails. */
  encryption: { remediable: true },
  publicAccessBlock: { remediable: true },
  tlsOnly: { remediable: true },
  versioning: { remediable: true },
  ownershipControls: { remediable: true },
  /** Static mode: the user has no active access key. */
  accessKeyActive: { remediable: true },
  /** Static mode: the access key is older than the rotation age (remediation rotates it). */
  accessKeyAge: { remediable: true },
  /** A Palette registration is gone, or another object holds its name. */
  registered: { remediable: true },
  /** Palette's own validate endpoints reject the tenant's credentials or bucket. */
  paletteValidation: { remediable: true },
  /**
   * The Palette API key expires within the warning window, or has expired: onboarding renews it when it is within the
   * request's `apiKey.renewWithinDays` (README "API key renewal").
   */
  apiKeyExpiry: { remediable: true },
  /** The Palette API key was deactivated (perhaps on purpose): onboarding never re-activates it. */
  apiKeyActive: { remediable: false },
} as const;
export type DriftCheck = keyof typeof DRIFT_CHECKS;
export const DRIFT_CHECK_NAMES = Object.keys(DRIFT_CHECKS) as DriftCheck[];

export const FindingSchema = schema(() => z.object({ resource: z.string(), check: z.enum(DRIFT_CHECK_NAMES as [DriftCheck, ...DriftCheck[]]), reason: z.string() }));
export type Finding = z.output<typeof FindingSchema>;

const bounded = (text: string) => (text.length <= MAX_REASON ? text : `${text.slice(0, MAX_REASON - 3)}...`);
const finding = (resource: string, check: DriftCheck, reason: string): Finding => ({ resource, check, reason: bounded(reason) });

/** The checks of `findings` that running the onboarding again repairs. */
export const remediableFindings = (findings: readonly Finding[]): Finding[] => findings.filter((f) => DRIFT_CHECKS[f.check].remediable);

/** An object the tenant's session could not read because it carries another tenant's mark (lambdas/services/aws/iam-util.ts). */
export interface ForeignMark {
  foreign: true;
}
const foreignFinding = (resource: string, what: string) =>
  finding(resource, 'marks', `${what} carries another tenant's mark: the tenant's session may not read it`);

/** Tenant and managed-by marks of an object the tenant owns. */
function marksFindings(resource: string, what: string, tags: Readonly<Record<string, string>>, expected: { tenantId: string; deploymentId: string }): Finding[] {
  const missing: string[] = [];
  if (tags[TENANT_TAG] !== expected.tenantId) missing.push(`${TENANT_TAG}=${expected.tenantId}${tags[TENANT_TAG] ? ` (is '${tags[TENANT_TAG]}')` : ''}`);
  if (tags[MANAGED_BY_TAG] !== expected.deploymentId) missing.push(`${MANAGED_BY_TAG}=${expected.deploymentId}${tags[MANAGED_BY_TAG] ? ` (is '${tags[MANAGED_BY_TAG]}')` : ''}`);
  return missing.length === 0 ? [] : [finding(resource, 'marks', `${what} lacks its mark ${missing.join(', ')}`)];
}

// ---- the bucket ---------------------------------------------------------------------------------------------------

export type BucketObservation =
  | { exists: false }
  | {
      exists: true;
      tags: Record<string, string>;
      /** Default encryption; undefined = none. */
      encryption?: { algorithm: string; kmsKeyId?: string };
      /** Undefined = no public access block configured. */
      publicAccessBlock?: { BlockPublicAcls?: boolean; IgnorePublicAcls?: boolean; BlockPublicPolicy?: boolean; RestrictPublicBuckets?: boolean };
      /** The bucket policy text; undefined = none. */
      policy?: string;
      /** 'Enabled' | 'Suspended' | undefined (never enabled). */
      versioning?: string;
      /** The ObjectOwnership rule; undefined = none (ACLs in effect). */
      objectOwnership?: string;
    };

export interface BucketExpectation {
  key: string;
  bucketName: string;
  partition: string;
  kmsKeyArn?: string;
  versioning: boolean;
  tenantId: string;
  deploymentId: string;
}

/** A KMS key as configured on a bucket (key ARN, alias ARN or bare id) is the planned key ARN. */
export const sameKmsKey = (configured: string | undefined, planned: string): boolean =>
  configured !== undefined && (configured === planned || planned.endsWith(`/${configured}`) || configured.endsWith(planned.split('/').pop() ?? planned));

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
function statementsOf(policyText: string | undefined): PolicyStatement[] {
  if (!policyText) return [];
  try {
    const text = policyText.trim();
    const doc = JSON.parse(text.startsWith('%7B') || text.startsWith('%7b') ? decodeURIComponent(text) : text) as { Statement?: unknown };
    return asList(doc.Statement) as PolicyStatement[];
  } catch {
    return [];
  }
}

/**
 * The bucket's guardrails, as onboarding configures them: default encryption (SSE-S3, or SSE-KMS with the planned
 * key; a stronger SSE-KMS is never a finding), every public access block setting on, the TLS-only statement,
 * versioning (when planned), BucketOwnerEnforced, and the tenant's marks.
 */
export function bucketFindings(e: BucketExpectation, o: BucketObservation): Finding[] {
  const what = `S3 bucket '${e.bucketName}'`;
  if (!o.exists) return [finding(e.key, 'present', `${what} does not exist any more`)];
  const out: Finding[] = [];
  if (!o.encryption) out.push(finding(e.key, 'encryption', `${what} has no default encryption (onboarding sets ${e.kmsKeyArn ? 'SSE-KMS' : 'SSE-S3'})`));
  else if (e.kmsKeyArn && !(o.encryption.algorithm.startsWith('aws:kms') && sameKmsKey(o.encryption.kmsKeyId, e.kmsKeyArn))) {
    out.push(finding(e.key, 'encryption', `${what} is encrypted with ${o.encryption.algorithm}${o.encryption.kmsKeyId ? ` (key ${o.encryption.kmsKeyId})` : ''}, not SSE-KMS with the key ${e.kmsKeyArn}`));
  }
  const pab = o.publicAccessBlock ?? {};
  const off = (['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const).filter((k) => pab[k] !== true);
  if (off.length > 0) out.push(finding(e.key, 'publicAccessBlock', `${what}: public access block ${o.publicAccessBlock ? `has ${off.join(', ')} off` : 'is not configured'}`));
  const ours = tlsOnlyBucketPolicy({ partition: e.partition, bucketName: e.bucketName }).Statement[0] as PolicyStatement;
  const st = statementsOf(o.policy).find((s) => s.Sid === ours.Sid);
  if (!st) out.push(finding(e.key, 'tlsOnly', `${what}: the bucket policy has no '${ours.Sid}' statement (requests without TLS are not denied)`));
  else if (normalizePolicy({ Statement: [st] }) !== normalizePolicy({ Statement: [ours] })) {
    out.push(finding(e.key, 'tlsOnly', `${what}: the bucket policy's '${ours.Sid}' statement was changed`));
  }
  if (e.versioning && o.versioning !== 'Enabled') out.push(finding(e.key, 'versioning', `${what}: versioning is ${o.versioning ? o.versioning.toLowerCase() : 'off'}`));
  if (o.objectOwnership !== 'BucketOwnerEnforced') {
    out.push(finding(e.key, 'ownershipControls', `${what}: object ownership is ${o.objectOwnership ?? 'not configured'} (ACLs in effect), not BucketOwnerEnforced`));
  }
  out.push(...marksFindings(e.key, what, o.tags, e));
  return out;
}

// ---- the backup policy ----------------------------------------------------------------------------------------------

export type PolicyObservation =
  | { exists: false }
  | ForeignMark
  | {
      exists: true;
      tags: Record<string, string>;
      defaultVersionId?: string;
      /** The default version's document (text as IAM returns it, or an object). */
      document: unknown;
      /** The policy is attached to the tenant's role / user (undefined: the principal itself is missing). */
      attached?: boolean;
    };

export interface PolicyExpectation {
  key: string;
  policyArn: string;
  /** The document onboarding writes (backupPolicyDocument). */
  document: unknown;
  /** `role 'x'` / `user 'x'`, for the reasons. */
  principal: string;
  tenantId: string;
  deploymentId: string;
}

export function policyFindings(e: PolicyExpectation, o: PolicyObservation): Finding[] {
  const what = `IAM policy '${e.policyArn}'`;
  if ('foreign' in o) return [foreignFinding(e.key, what)];
  if (!o.exists) return [finding(e.key, 'present', `${what} does not exist any more`)];
  const out: Finding[] = [];
  if (normalizePolicy(o.document) !== normalizePolicy(e.document)) {
    const version = o.defaultVersionId ? ` ${o.defaultVersionId}` : '';
    out.push(finding(e.key, 'policyDocument', `${what}: its default version${version} is not the backup policy onboarding wrote`));
  }
  if (o.attached === false) out.push(finding(e.key, 'policyAttached', `${what} is not attached to the ${e.principal} any more`));
  out.push(...marksFindings(e.key, what, o.tags, e));
  return out;
}

// ---- the principal ---------------------------------------------------------------------------------------------------

export type RoleObservation = { exists: false } | ForeignMark | { exists: true; tags: Record<string, string>; trustPolicy: unknown };

export interface RoleExpectation {
  key: string;
  roleName: string;
  partition: string;
  /** Palette's account and the tenant's external ID, as Palette reports them now. */
  paletteAccountId: string;
  externalId: string;
  /** An adopted role keeps its own statements: only whether Palette may assume it is checked (its marks are, as ours). */
  adopted: boolean;
  tenantId: string;
  deploymentId: string;
}

/** The external IDs the document's Allow statements for Palette's account require (none: no condition). */
function trustedExternalIds(document: unknown, partition: string, accountId: string): string[] {
  const statements = statementsOf(typeof document === 'string' ? document : JSON.stringify(document ?? {}));
  const ids: string[] = [];
  for (const st of statements) {
    if (st.Effect !== 'Allow') continue;
    const aws = asList((st.Principal as { AWS?: unknown } | undefined)?.AWS);
    if (!aws.some((p) => p === accountId || p === `arn:${partition}:iam::${accountId}:root`)) continue;
    ids.push(...asList(st.Condition?.StringEquals?.['sts:ExternalId']).map(String));
  }
  return ids;
}

/**
 * The role Palette assumes: our own role trusts exactly Palette's account with the tenant's CURRENT external ID (what
 * Palette reports now: a rotated external ID breaks the STS account silently); an adopted role must still let Palette
 * in with it (its other statements are its own).
 */
export function roleFindings(e: RoleExpectation, o: RoleObservation): Finding[] {
  const what = `IAM role '${e.roleName}'`;
  if ('foreign' in o) return [foreignFinding(e.key, what)];
  if (!o.exists) return [finding(e.key, 'present', `${what} does not exist any more: Palette cannot assume it`)];
  const out: Finding[] = [];
  const current = { partition: e.partition, paletteAccountId: e.paletteAccountId, externalId: e.externalId };
  const problem = trustPolicyProblem(o.trustPolicy, current);
  const wanted = paletteTrustPolicy(current);
  const drifted = e.adopted ? problem !== undefined : normalizePolicy(o.trustPolicy) !== normalizePolicy(wanted);
  if (drifted) {
    const ids = trustedExternalIds(o.trustPolicy, e.partition, e.paletteAccountId);
    if (problem !== undefined && ids.length > 0 && !ids.includes(e.externalId)) {
      out.push(
        finding(e.key, 'externalId', `${what} trusts Palette's account ${e.paletteAccountId} with an external ID that is no longer the tenant's (rotated in Palette): Palette cannot assume it`),
      );
    } else {
      out.push(finding(e.key, 'trustPolicy', `${what}: the trust policy is not what onboarding wrote${problem ? ` (${problem})` : ' (statements were added, removed or changed)'}`));
    }
  }
  out.push(...marksFindings(e.key, what, o.tags, e));
  return out;
}

export type UserObservation =
  | { exists: false }
  | ForeignMark
  | { exists: true; tags: Record<string, string>; accessKeys: { accessKeyId: string; active: boolean; createdAt?: string }[] };

export interface UserExpectation {
  key: string;
  userName: string;
  rotationDays: number;
  tenantId: string;
  deploymentId: string;
}

const DAY_MS = 86_400_000;

/** Static mode: the user exists, has an active key, and no active key is older than the rotation age. */
export function userFindings(e: UserExpectation, o: UserObservation, now: Date): Finding[] {
  const what = `IAM user '${e.userName}'`;
  if ('foreign' in o) return [foreignFinding(e.key, what)];
  if (!o.exists) return [finding(e.key, 'present', `${what} does not exist any more: Palette's access key is gone with it`)];
  const out: Finding[] = [];
  const active = o.accessKeys.filter((k) => k.active);
  if (active.length === 0) out.push(finding(e.key, 'accessKeyActive', `${what} has no active access key: Palette cannot use the stored one`));
  for (const k of active) {
    const created = k.createdAt ? Date.parse(k.createdAt) : Number.NaN;
    if (!Number.isFinite(created)) continue;
    const days = Math.floor((now.getTime() - created) / DAY_MS);
    if (days > e.rotationDays) {
      out.push(finding(e.key, 'accessKeyAge', `${what}: access key ${k.accessKeyId} is ${days} days old (rotation age ${e.rotationDays} days)`));
    }
  }
  out.push(...marksFindings(e.key, what, o.tags, e));
  return out;
}

// ---- Palette ---------------------------------------------------------------------------------------------------------

/** A registration of the plan: found by name now (its uid), and the uid the registry records. */
export function registrationFindings(key: string, label: string, name: string, recordedUid: string | undefined, foundUid: string | undefined): Finding[] {
  const what = `Palette ${label} '${name}'`;
  if (foundUid === undefined) return [finding(key, 'registered', `${what} is not in Palette any more (deleted there)`)];
  if (recordedUid !== undefined && recordedUid !== foundUid) {
    return [finding(key, 'registered', `${what} is ${foundUid} in Palette, but the registry records ${recordedUid}: it was replaced outside palette-onboarding`)];
  }
  return [];
}

/** The API key's expiry (ISO) and active state: a finding when it expired, expires within the window, or was deactivated. */
export function apiKeyFindings(key: string, name: string, o: { expiry?: string; isActive?: boolean }, warningDays: number, now: Date): Finding[] {
  const what = `Palette API key '${name}'`;
  const out: Finding[] = [];
  if (o.isActive === false) out.push(finding(key, 'apiKeyActive', `${what} is deactivated (onboarding never re-activates a key; activate it or delete it and onboard again)`));
  const expires = o.expiry ? Date.parse(o.expiry) : Number.NaN;
  if (Number.isFinite(expires)) {
    const days = Math.ceil((expires - now.getTime()) / DAY_MS);
    if (expires <= now.getTime()) out.push(finding(key, 'apiKeyExpiry', `${what} expired at ${o.expiry} (onboarding again renews it)`));
    else if (days <= warningDays) out.push(finding(key, 'apiKeyExpiry', `${what} expires at ${o.expiry}, in ${days} day${days === 1 ? '' : 's'} (warning window ${warningDays} days)`));
  }
  return out;
}

/** An object the tenant's onboarding recorded is gone or unreadable (e.g. the static key's secret). */
export const presentFinding = (key: string, reason: string): Finding => finding(key, 'present', reason);

/** Palette's validate endpoint rejected what onboarding gave it. */
export const paletteValidationFinding = (key: string, what: string, message: string): Finding =>
  finding(key, 'paletteValidation', `Palette's validation of ${what} fails: ${message}`);

// ---- remediation ------------------------------------------------------------------------------------------------------

export interface Remediation {
  /** The onboarding execution's name: the request's usual name with a `drift-<yyyymmddhhmmss>` re-run suffix. */
  executionName: string;
  /** The tenant's latest onboarding request; static keys rotated only when one aged. */
  input: Record<string, unknown>;
}

/**
 * The onboarding to run again for the findings, or undefined when none of them is remediable or the registry holds no
 * request. The input is the tenant's latest onboarding request as given, with `aws.rotateAccessKey` true when an
 * access key aged and removed otherwise (a re-run never rotates a key needlessly).
 */
export function remediationOf(request: Readonly<Record<string, unknown>> | undefined, findings: readonly Finding[], now: Date): Remediation | undefined {
  if (!request || remediableFindings(findings).length === 0) return undefined;
  const input = structuredClone(request) as Record<string, unknown>;
  const aws = input.aws;
  if (typeof aws === 'object' && aws !== null && !Array.isArray(aws)) {
    const a = aws as Record<string, unknown>;
    if (findings.some((f) => f.check === 'accessKeyAge')) a.rotateAccessKey = true;
    else delete a.rotateAccessKey;
  }
  return { executionName: executionNameFor(input, `drift-${stamp(now)}`), input };
}

// ---- what a run reports -----------------------------------------------------------------------------------------------

/**
 * One tenant's outcome in the run's output (the Map's result; bounded: counts and short reasons, the findings
 * themselves are in the registry's `drift` and the `Tenant Drift Detected` event):
 * ok (no findings, ACTIVE), drifted (findings, DRIFTED), skipped (not checked now: held by an execution, changed
 * meanwhile, not eligible), failed (a check could not be made; `error` names it).
 */
export const TenantOutcomeSchema = schema(() => z.object({
  tenantId: z.string(),
  outcome: z.enum(['ok', 'drifted', 'skipped', 'failed']),
  findings: z.number().int().nonnegative(),
  status: z.string().optional(),
  reason: z.string().optional(),
  error: z.string().optional(),
  /** The onboarding execution started to remediate the drift. */
  remediation: z.string().optional(),
  /** Why starting it failed. */
  remediationError: z.string().optional(),
}));
export type TenantOutcome = z.output<typeof TenantOutcomeSchema>;

/** The re-validation's output (BuildSummary). */
export const RevalidationSummarySchema = schema(() => z.object({
  executionName: z.string(),
  remediate: z.boolean(),
  tenants: z.array(TenantOutcomeSchema),
  notEligible: z.array(z.object({ tenantId: z.string(), reason: z.string() })),
  deferred: z.number().int().nonnegative(),
}));
export type RevalidationSummary = z.output<typeof RevalidationSummarySchema>;
