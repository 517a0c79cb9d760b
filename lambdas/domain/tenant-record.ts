/**
 * The tenant registry's records (README "Tenant registry"), shared by the Lambdas and the CLI. Pure.
 *
 * One DynamoDB table, key `pk`:
 * - `tenant#<tenantId>`: the tenant: its binding (account, partition, Palette project), status, lease, last
 *   execution, every object it owns (by registry key, lambdas/domain/names.ts `resourceKey`) and the write-ahead
 *   intents of creates in flight. `version` counts every write (optimistic locking for read-modify-write updates).
 * - `claim#<registry key>`: a name held by one tenant in a namespace tenants share (an S3 bucket name, a Palette
 *   object name in one scope). Conditional writes make a name one tenant's; another tenant naming it is rejected.
 */
import * as z from 'zod';
import { paletteScopeKey, resourceKey } from './names';
import { REGISTRATION_KEYS, REGISTRATIONS, registrationScope, type RegistrationKey, type RegistrationKind } from './registrations';
import { hasAwsPart, type Plan } from './workflow-state';

export const TENANT_STATUSES = ['ONBOARDING', 'ACTIVE', 'FAILED', 'OFFBOARDING', 'OFFBOARDED', 'DRIFTED'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

export const tenantPk = (tenantId: string) => `tenant#${tenantId}`;
export const claimPk = (key: string) => `claim#${key}`;

export const ResourceRecordSchema = z.object({
  /** What it is for the onboarding: bucket, backupPolicy, principal, accessKeySecret, or a registration key. */
  part: z.string(),
  /** AWS ARN or Palette uid. */
  id: z.string(),
  name: z.string(),
  /** Execution that created it (absent: adopted, or created before the registry existed). */
  createdBy: z.string().optional(),
  adopted: z.boolean(),
  recordedBy: z.string(),
  recordedAt: z.string(),
});
export type ResourceRecord = z.infer<typeof ResourceRecordSchema>;

export const IntentSchema = z.object({ executionName: z.string(), at: z.string() });
export const LeaseSchema = z.object({
  executionName: z.string(),
  acquiredAt: z.string(),
  /** Epoch seconds. */
  expiresAt: z.number(),
});
export type Lease = z.infer<typeof LeaseSchema>;

export const LastExecutionSchema = z.object({
  name: z.string(),
  /** What the execution did to the tenant (absent: an onboarding, written before offboarding existed). */
  kind: z.enum(['onboarding', 'offboarding']).optional(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  result: z.enum(['SUCCEEDED', 'FAILED']).optional(),
  error: z.string().optional(),
  cause: z.string().optional(),
});

export const TenantRecordSchema = z.looseObject({
  pk: z.string(),
  type: z.literal('tenant'),
  tenantId: z.string(),
  /** The AWS account and partition the tenant is bound to; absent: no onboarding of it had an `aws` section (yet). */
  accountId: z.string().optional(),
  partition: z.string().optional(),
  /** The Palette project the tenant's registrations live in; absent = tenant scope. */
  projectUid: z.string().optional(),
  status: z.enum(TENANT_STATUSES),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lease: LeaseSchema.optional(),
  lastExecution: LastExecutionSchema.optional(),
  resources: z.record(z.string(), ResourceRecordSchema),
  intents: z.record(z.string(), IntentSchema),
  /**
   * The plan of the tenant's latest onboarding (AcquireTenant writes it): names, target, registrations, secret ARNs,
   * never a secret value. Offboarding and re-validation work from it.
   */
  plan: z.record(z.string(), z.unknown()).optional(),
  /** The request of the tenant's latest onboarding, as given (secrets by ARN only): remediation re-runs it. */
  request: z.record(z.string(), z.unknown()).optional(),
  /** The latest offboarding's outcome (OFFBOARDED tenants, and a failed offboarding). */
  offboarding: z
    .object({
      executionName: z.string(),
      finishedAt: z.string(),
      /** Ids (ARNs, Palette uids) removed. */
      removed: z.array(z.string()),
      /** What was kept, and why (a bucket holding backups, an adopted object, ...). */
      retained: z.array(z.object({ id: z.string(), reason: z.string() })),
    })
    .optional(),
  /** The latest re-validation's findings (empty: healthy). */
  drift: z
    .object({
      checkedAt: z.string(),
      executionName: z.string(),
      findings: z.array(z.object({ resource: z.string(), check: z.string(), reason: z.string() })),
    })
    .optional(),
});
export type TenantRecord = z.infer<typeof TenantRecordSchema>;

export const ClaimRecordSchema = z.looseObject({
  pk: z.string(),
  type: z.literal('claim'),
  key: z.string(),
  tenantId: z.string(),
  claimedBy: z.string(),
  claimedAt: z.string(),
});
export type ClaimRecord = z.infer<typeof ClaimRecordSchema>;

/** A name the plan uses in a namespace tenants share. */
export interface PlannedClaim {
  key: string;
  /** The request field that names it (errors point at it). */
  field: string;
  /** How the object is named in errors. */
  object: string;
}

/** The shared-namespace names a plan uses: its bucket (when it has an AWS part) and every Palette registration. */
export function plannedClaims(plan: Plan): PlannedClaim[] {
  const claims: PlannedClaim[] = hasAwsPart(plan)
    ? [{ key: resourceKey.bucket(plan.target.partition, plan.bucketName), field: 'aws.bucket.name', object: `S3 bucket '${plan.bucketName}'` }]
    : [];
  for (const key of REGISTRATION_KEYS) {
    const entry = plan.registrations[key];
    if (!entry) continue;
    const kind = REGISTRATIONS[key];
    const scope = paletteScopeKey(registrationScope(key, plan.projectUid));
    // The kind's other names (the API key's renewal name) are claimed with the entry's: the request field names both.
    const names = [entry.name, ...((kind as RegistrationKind<RegistrationKey>).otherNames?.(entry) ?? [])];
    for (const name of names) {
      claims.push({
        key: resourceKey.palette(scope, kind.paletteKind, name),
        field: `${kind.requestPath}.name`,
        object: `Palette ${kind.label} '${name}'`,
      });
    }
  }
  return claims;
}

/**
 * Why the plan cannot use this tenant record's binding, or undefined. A tenant is bound by its first onboarding to
 * a Palette project and, by its first onboarding with an `aws` section, to an AWS account and partition; a tenant whose
 * only onboarding failed and that owns nothing may be bound anew. A tenant bound to an AWS account keeps its `aws`
 * section: a request without one would leave its bucket, policies and principal unmanaged (offboard it first).
 */
export function bindingProblem(record: TenantRecord, plan: Plan): string | undefined {
  const rebindable =
    (record.status === 'FAILED' || record.status === 'OFFBOARDED') &&
    Object.keys(record.resources).length === 0 &&
    Object.keys(record.intents).length === 0;
  if (rebindable) return undefined;
  const problems: string[] = [];
  if (record.accountId !== undefined && !hasAwsPart(plan)) {
    problems.push(`AWS account ${record.accountId}, but the request has no aws section (aws): its AWS resources would be left unmanaged`);
  } else if (record.accountId !== undefined && hasAwsPart(plan)) {
    if (record.accountId !== plan.target.accountId) {
      problems.push(`AWS account ${record.accountId}, but the request names ${plan.target.accountId} (aws.accountId)`);
    }
    if (record.partition !== plan.target.partition) {
      problems.push(`partition ${record.partition}, but the request names ${plan.target.partition} (aws.partition)`);
    }
  }
  const bound = record.projectUid ?? '(tenant scope)';
  const wanted = plan.projectUid ?? '(tenant scope)';
  if (bound !== wanted) problems.push(`Palette project ${bound}, but the request names ${wanted} (palette.projectUid)`);
  if (problems.length === 0) return undefined;
  return `tenant '${plan.tenantId}' is bound to ${problems.join('; ')}; a tenant stays in the account and project of its first onboarding`;
}

/** Whether `executionName` may take the tenant's lease at `nowSeconds`. */
export function leaseState(lease: Lease | undefined, executionName: string, nowSeconds: number): 'free' | 'mine' | 'busy' {
  if (!lease) return 'free';
  if (lease.executionName === executionName) return 'mine';
  return lease.expiresAt <= nowSeconds ? 'free' : 'busy';
}
