/**
 * The tenant registry's side of re-validation (README "Re-validation"): which tenants a run checks (ACTIVE and
 * DRIFTED ones, the longest-unchecked first, at most MAX_TENANTS_PER_RUN), whether one may be checked now (no execution
 * holds it), and the result: `drift {checkedAt, executionName, findings}` and status DRIFTED (findings) or ACTIVE
 * (none), written with ONE conditional update that never touches a tenant an execution holds and only moves
 * ACTIVE <-> DRIFTED. Re-validation never takes the lease: it only reads, and records what it read.
 */
import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { MAX_TENANTS_PER_RUN, type Finding } from '../../domain/drift';
import { leaseState, tenantPk, type TenantRecord, type TenantStatus } from '../../domain/tenant-record';
import { PlanSchema, type Plan } from '../../domain/workflow-state';
import { awsCall, TenantNotFoundError } from '../../shared/errors';
import { db, epochSeconds, getTenant, isConditionFailure, isoNow, parseRecord, table } from './tenant-registry';

/** The statuses a run checks; the only ones it moves between. */
export const REVALIDATED_STATUSES: readonly TenantStatus[] = ['ACTIVE', 'DRIFTED'];

export interface RevalidationTargets {
  /** Tenant ids to check, in order. */
  tenants: string[];
  /** A named tenant that is not checked, and why (its status). */
  notEligible: { tenantId: string; reason: string }[];
  /** Eligible tenants left for the next run (over MAX_TENANTS_PER_RUN). */
  deferred: number;
}

const notEligibleReason = (status: TenantStatus) => `status ${status}: only ${REVALIDATED_STATUSES.join(' and ')} tenants are re-validated`;

/**
 * The tenants a run checks: the named one (TenantNotFoundError when the registry has no such tenant), or every ACTIVE
 * and DRIFTED tenant, never-checked and longest-unchecked first, at most MAX_TENANTS_PER_RUN. Read-only.
 */
export async function revalidationTargets(tenantId?: string): Promise<RevalidationTargets> {
  if (tenantId !== undefined) {
    const record = await getTenant(tenantId);
    if (!record) throw new TenantNotFoundError(`tenantId: tenant '${tenantId}' is not in the tenant registry; there is nothing to re-validate`);
    if (!REVALIDATED_STATUSES.includes(record.status)) return { tenants: [], notEligible: [{ tenantId, reason: notEligibleReason(record.status) }], deferred: 0 };
    return { tenants: [tenantId], notEligible: [], deferred: 0 };
  }
  const found: { tenantId: string; checkedAt: string }[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const start = ExclusiveStartKey;
    const page = await awsCall(() =>
      db().send(
        new ScanCommand({
          TableName: table(),
          FilterExpression: '#type = :tenant AND #status IN (:active, :drifted)',
          ProjectionExpression: 'tenantId, drift.checkedAt',
          ExpressionAttributeNames: { '#type': 'type', '#status': 'status' },
          ExpressionAttributeValues: { ':tenant': 'tenant', ':active': 'ACTIVE', ':drifted': 'DRIFTED' },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      ),
    );
    for (const item of page.Items ?? []) {
      if (typeof item.tenantId !== 'string') continue;
      const checkedAt = (item.drift as { checkedAt?: unknown } | undefined)?.checkedAt;
      found.push({ tenantId: item.tenantId, checkedAt: typeof checkedAt === 'string' ? checkedAt : '' });
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  found.sort((a, b) => (a.checkedAt < b.checkedAt ? -1 : a.checkedAt > b.checkedAt ? 1 : a.tenantId < b.tenantId ? -1 : 1));
  return { tenants: found.slice(0, MAX_TENANTS_PER_RUN).map((t) => t.tenantId), notEligible: [], deferred: Math.max(0, found.length - MAX_TENANTS_PER_RUN) };
}

export type RevalidationSubject =
  | { eligible: true; record: TenantRecord; plan: Plan }
  | { eligible: false; reason: string };

/**
 * Whether the tenant may be checked now, read once (strongly consistent): in the registry, ACTIVE or DRIFTED, not held
 * by an execution (a live lease: it may be changing things right now), with an onboarding plan of this version.
 */
export async function revalidationSubject(tenantId: string, now: Date = new Date()): Promise<RevalidationSubject> {
  const record = await getTenant(tenantId);
  if (!record) return { eligible: false, reason: 'not in the tenant registry any more' };
  if (!REVALIDATED_STATUSES.includes(record.status)) return { eligible: false, reason: notEligibleReason(record.status) };
  if (record.lease && leaseState(record.lease, '', epochSeconds(now)) === 'busy') {
    return {
      eligible: false,
      reason: `held by execution ${record.lease.executionName} (lease until ${new Date(record.lease.expiresAt * 1000).toISOString()}); checked again by the next run`,
    };
  }
  const plan = PlanSchema.safeParse(record.plan);
  if (!plan.success) {
    return {
      eligible: false,
      reason: `the registry holds no onboarding plan of this version for it (${record.plan === undefined ? 'none' : plan.error.issues.map((i) => i.path.join('.')).join(', ')}): run its onboarding once more`,
    };
  }
  return { eligible: true, record, plan: plan.data };
}

export interface DriftWrite {
  tenantId: string;
  executionName: string;
  /** The record's version the findings were made against. */
  version: number;
  checkedAt: string;
  findings: Finding[];
}

export interface DriftRecorded {
  /** False: the tenant changed since it was checked (nothing written). */
  recorded: boolean;
  /** The status now (recorded), DRIFTED with findings, ACTIVE without. */
  status?: TenantStatus;
  /** The tenant's latest onboarding request (for remediation), when recorded. */
  request?: Record<string, unknown>;
  /** Why nothing was written. */
  reason?: string;
}

/**
 * Writes the result of a check: `drift` and status DRIFTED (findings) or ACTIVE (none), only when the record is still
 * the one checked (same version), ACTIVE or DRIFTED, and no execution holds it (no lease, or an expired one). Otherwise
 * nothing is written: the next run checks it again.
 */
export async function recordDrift(w: DriftWrite, now: Date = new Date()): Promise<DriftRecorded> {
  const status: TenantStatus = w.findings.length > 0 ? 'DRIFTED' : 'ACTIVE';
  try {
    const out = await awsCall(() =>
      db().send(
        new UpdateCommand({
          TableName: table(),
          Key: { pk: tenantPk(w.tenantId) },
          UpdateExpression: 'SET drift = :drift, #status = :status, updatedAt = :now ADD version :one',
          ConditionExpression:
            'version = :version AND #status IN (:active, :drifted) AND (attribute_not_exists(#lease) OR #lease.expiresAt <= :nowSeconds)',
          ExpressionAttributeNames: { '#status': 'status', '#lease': 'lease' },
          ExpressionAttributeValues: {
            ':drift': { checkedAt: w.checkedAt, executionName: w.executionName, findings: w.findings },
            ':status': status,
            ':now': isoNow(now),
            ':one': 1,
            ':version': w.version,
            ':active': 'ACTIVE',
            ':drifted': 'DRIFTED',
            ':nowSeconds': epochSeconds(now),
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    const record = parseRecord(out.Attributes);
    return { recorded: true, status, ...(record?.request ? { request: record.request } : {}) };
  } catch (e) {
    if (!isConditionFailure(e)) throw e;
    return {
      recorded: false,
      reason: `not recorded: the tenant changed while it was checked (an execution took it, or its record or status changed since version ${w.version}); the next run checks it again`,
    };
  }
}
