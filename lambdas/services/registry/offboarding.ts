/**
 * The tenant registry's side of offboarding (README "Offboarding"): which plan an offboarding removes (the plan of
 * the tenant's latest onboarding, recorded by AcquireTenant), its lease (one execution per tenant, shared with
 * onboarding), and its end: status OFFBOARDED (or FAILED) with what was removed and what was retained, the lease
 * released, and the names the tenant no longer holds released for other tenants.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { leaseState, tenantPk, type TenantRecord } from '../../domain/tenant-record';
import { PlanSchema, type Plan } from '../../domain/workflow-state';
import { loadEnv } from '../../shared/env';
import { awsCall, StateInputError, TenantBusyError, TenantNotFoundError } from '../../shared/errors';
import { db, epochSeconds, executionFinish, getTenant, isConditionFailure, isoNow, parseRecord, releaseUnheldClaims, table } from './tenant-registry';

export interface OffboardingTarget {
  /** The plan the removal steps work from (the latest onboarding's, for this execution); absent: nothing recorded. */
  plan?: Plan;
  status: TenantRecord['status'];
  /** The AWS account the tenant is bound to; null: it has none (no onboarding of it had an aws section). */
  accountId: string | null;
  /** Registry keys the tenant owns. */
  resources: number;
}

/**
 * Read-only (ValidateOffboarding): the tenant exists, no other execution holds it, and the plan its removal steps
 * use. TenantNotFoundError / TenantBusyError / StateInputError name the problem; nothing is changed.
 */
export async function offboardingTarget(tenantId: string, executionName: string, now: Date = new Date()): Promise<OffboardingTarget> {
  const record = await getTenant(tenantId);
  if (!record) throw new TenantNotFoundError(`tenantId: tenant '${tenantId}' is not in the tenant registry; there is nothing to offboard`);
  if (leaseState(record.lease, executionName, epochSeconds(now)) === 'busy' && record.lease) {
    throw new TenantBusyError(
      `tenant '${tenantId}' is held by execution ${record.lease.executionName} (lease until ${new Date(record.lease.expiresAt * 1000).toISOString()}); ` +
        'this offboarding changed nothing: wait for it to finish',
    );
  }
  const owned = Object.keys(record.resources).length + Object.keys(record.intents).length;
  const base = { status: record.status, accountId: record.accountId ?? null, resources: Object.keys(record.resources).length };
  if (record.plan === undefined) {
    if (owned === 0) return base;
    throw new StateInputError(
      `tenant '${tenantId}' owns ${owned} object(s) but the registry holds no onboarding plan for it (onboarded by an older version): ` +
        'run its onboarding once more, then offboard it',
    );
  }
  const parsed = PlanSchema.safeParse(record.plan);
  if (!parsed.success) {
    throw new StateInputError(
      `tenant '${tenantId}': the recorded onboarding plan does not match this version (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}); ` +
        'run its onboarding once more, then offboard it',
    );
  }
  const plan: Plan = { ...parsed.data, executionName };
  return { ...base, plan };
}

/**
 * BeginOffboarding: takes the tenant's lease for this execution (TenantBusyError while another live execution holds
 * it) and sets it OFFBOARDING. Idempotent for the same execution.
 */
export async function beginOffboarding(tenantId: string, executionName: string, now: Date = new Date()): Promise<{ status: TenantRecord['status'] }> {
  const lease = { executionName, acquiredAt: isoNow(now), expiresAt: epochSeconds(now) + loadEnv().TENANT_LEASE_SECONDS };
  try {
    await awsCall(() =>
      db().send(
        new UpdateCommand({
          TableName: table(),
          Key: { pk: tenantPk(tenantId) },
          UpdateExpression: 'SET #lease = :lease, #status = :status, lastExecution = :last, updatedAt = :now ADD version :one',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#lease) OR #lease.executionName = :exec OR #lease.expiresAt <= :nowSeconds)',
          ExpressionAttributeNames: { '#lease': 'lease', '#status': 'status' },
          ExpressionAttributeValues: {
            ':lease': lease,
            ':status': 'OFFBOARDING',
            ':last': { name: executionName, kind: 'offboarding', startedAt: isoNow(now) },
            ':now': isoNow(now),
            ':exec': executionName,
            ':nowSeconds': epochSeconds(now),
            ':one': 1,
          },
        }),
      ),
    );
  } catch (e) {
    if (!isConditionFailure(e)) throw e;
    // ValidateOffboarding found the tenant free a moment ago: another execution took it since (or it was deleted).
    throw new TenantBusyError(`tenant '${tenantId}' was taken by another execution (or removed from the registry) since this offboarding was validated; it changed nothing`);
  }
  return { status: 'OFFBOARDING' };
}

export interface OffboardingOutcome {
  result: 'SUCCEEDED' | 'FAILED';
  removed: string[];
  retained: { id: string; reason: string }[];
  error?: string;
  cause?: string;
}

export interface FinishResult {
  /** False when this execution did not hold the tenant (nothing was written). */
  finished: boolean;
  status?: TenantRecord['status'];
  removed: string[];
  retained: { id: string; reason: string }[];
  claimsReleased: number;
}

/**
 * FinishOffboarding (success, and failure after BeginOffboarding): status OFFBOARDED (FAILED when a removal step
 * failed), the outcome recorded (`offboarding`: removed, retained: every object still recorded as the tenant's is
 * listed, with the removal step's reason or as "not in the latest plan"), the lease released, and every name the
 * tenant claimed for an object it no longer owns released.
 */
export async function finishOffboarding(plan: Plan | undefined, tenantId: string, executionName: string, outcome: OffboardingOutcome, now: Date = new Date()): Promise<FinishResult> {
  const before = await getTenant(tenantId);
  // This execution already finished (its update applied, the Lambda died before returning): the recorded outcome.
  if (before && !before.lease && before.lastExecution?.name === executionName && before.offboarding?.executionName === executionName) {
    const claimsReleased = plan ? await releaseUnheldClaims(before, plan) : 0;
    return { finished: true, status: before.status, removed: before.offboarding.removed, retained: before.offboarding.retained, claimsReleased };
  }
  if (!before || before.lease?.executionName !== executionName) return { finished: false, removed: outcome.removed, retained: outcome.retained, claimsReleased: 0 };
  const reasons = new Map(outcome.retained.map((r) => [r.id, r.reason]));
  const retained = [...outcome.retained];
  for (const [key, r] of Object.entries(before.resources)) {
    if (!reasons.has(r.id)) retained.push({ id: r.id, reason: `${key}: still recorded as the tenant's (not in its latest onboarding plan, or not reached); not removed` });
  }
  const status = outcome.result === 'SUCCEEDED' ? 'OFFBOARDED' : 'FAILED';
  const offboarding = { executionName, finishedAt: isoNow(now), removed: outcome.removed, retained };
  const finish = executionFinish(status, outcome, now);
  let record: TenantRecord | undefined;
  try {
    const out = await awsCall(() =>
      db().send(
        new UpdateCommand({
          TableName: table(),
          Key: { pk: tenantPk(tenantId) },
          UpdateExpression: `SET ${finish.set}, offboarding = :offboarding REMOVE #lease ADD version :one`,
          ConditionExpression: '#lease.executionName = :exec',
          ExpressionAttributeNames: { ...finish.names, '#lease': 'lease' },
          ExpressionAttributeValues: { ...finish.values, ':offboarding': offboarding, ':exec': executionName, ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    record = parseRecord(out.Attributes);
  } catch (e) {
    if (!isConditionFailure(e)) throw e;
    return { finished: false, removed: outcome.removed, retained, claimsReleased: 0 };
  }
  // Names of objects the tenant no longer owns go back to the shared namespace; a retained bucket keeps its name.
  const claimsReleased = record && plan ? await releaseUnheldClaims(record, plan) : 0;
  return { finished: true, status, removed: outcome.removed, retained, claimsReleased };
}
