/**
 * The tenant registry (DynamoDB, lambdas/domain/tenant-record.ts): the system of record for tenants. No
 * transactions: every write is one conditional write, so it works on any DynamoDB-compatible store.
 *
 * - admission (ValidateRequest, read-only): the tenant's binding and the names it asks for are checked before
 *   anything is created;
 * - acquire (AcquireTenant): binds a new tenant, takes the tenant's lease (one execution per tenant), records the
 *   execution, then claims the names (bucket, Palette registrations) one conditional write each;
 * - record / forget (ensure and undo steps): write-ahead intents before a create, the owned object after it, its
 *   removal after an undo; every such write is conditioned on holding the lease;
 * - release (ReleaseTenant, every exit path): status and result of the execution, lease removed, names this
 *   execution claimed for objects that do not exist released.
 */
import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  bindingProblem,
  claimPk,
  ClaimRecordSchema,
  leaseState,
  plannedClaims,
  tenantPk,
  TenantRecordSchema,
  type ClaimRecord,
  type PlannedClaim,
  type ResourceRecord,
  type TenantRecord,
} from '../../domain/tenant-record';
import type { RegistryFacts } from '../../domain/ownership';
import type { Plan } from '../../domain/workflow-state';
import { homeDocumentClient } from '../../shared/document-client';
import { loadEnv } from '../../shared/env';
import { awsCall, OwnershipError, StateInputError, TenantBindingError, TenantBusyError } from '../../shared/errors';
import { logger } from '../../shared/logger';

/** Optimistic-locking retries of a read-modify-write before giving up (each retry re-reads). */
const MAX_ATTEMPTS = 5;
/** Longest `cause` kept in lastExecution (the registry is not a log). */
export const MAX_CAUSE = 2000;

export const table = () => loadEnv().TENANT_REGISTRY_TABLE;
export const db = () => homeDocumentClient();
export const isoNow = (now: Date) => now.toISOString();
export const epochSeconds = (now: Date) => Math.floor(now.getTime() / 1000);
export const isConditionFailure = (e: unknown) => e instanceof Error && e.name === 'ConditionalCheckFailedException';

export function parseRecord(item: Record<string, unknown> | undefined): TenantRecord | undefined {
  if (!item) return undefined;
  const parsed = TenantRecordSchema.safeParse(item);
  if (!parsed.success) {
    throw new StateInputError(`tenant registry item ${String(item.pk)} is malformed: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  }
  return parsed.data;
}

/** The tenant's record (strongly consistent), or undefined for a tenant never onboarded. */
export async function getTenant(tenantId: string): Promise<TenantRecord | undefined> {
  const out = await awsCall(() => db().send(new GetCommand({ TableName: table(), Key: { pk: tenantPk(tenantId) }, ConsistentRead: true })));
  return parseRecord(out.Item);
}

export async function getClaims(keys: readonly string[]): Promise<Map<string, ClaimRecord>> {
  const found = new Map<string, ClaimRecord>();
  for (let i = 0; i < keys.length; i += 100) {
    let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead?: boolean }> | undefined = {
      [table()]: { Keys: keys.slice(i, i + 100).map((k) => ({ pk: claimPk(k) })), ConsistentRead: true },
    };
    for (let round = 0; request && Object.keys(request).length > 0 && round < 10; round++) {
      const req = request;
      const out = await awsCall(() => db().send(new BatchGetCommand({ RequestItems: req })));
      for (const item of out.Responses?.[table()] ?? []) {
        const claim = ClaimRecordSchema.safeParse(item);
        if (claim.success) found.set(claim.data.key, claim.data);
      }
      request = out.UnprocessedKeys as typeof request;
    }
  }
  return found;
}

function claimConflict(claim: PlannedClaim, owner: string): OwnershipError {
  return new OwnershipError(`${claim.field}: ${claim.object} belongs to tenant '${owner}' in the tenant registry; choose another name`);
}

/**
 * Admission, read-only (ValidateRequest): the tenant's binding holds and no name of the plan belongs to another
 * tenant. Throws TenantBindingError / OwnershipError naming the field and the owner; creates nothing.
 */
export async function checkAdmission(plan: Plan): Promise<void> {
  const record = await getTenant(plan.tenantId);
  const problem = record ? bindingProblem(record, plan) : undefined;
  if (problem) throw new TenantBindingError(problem);
  const claims = plannedClaims(plan);
  const owners = await getClaims(claims.map((c) => c.key));
  for (const claim of claims) {
    const owner = owners.get(claim.key)?.tenantId;
    if (owner !== undefined && owner !== plan.tenantId) throw claimConflict(claim, owner);
  }
}

export interface AcquireResult {
  /** The tenant was new: this execution bound it. */
  bound: boolean;
  /** The previous holder's lease had expired and was taken over. */
  tookOverExpiredLease?: string;
  claims: number;
}

/**
 * Takes the tenant for this execution: binds a new tenant, takes its lease (TenantBusyError while another live
 * execution holds it), records the execution, then claims the plan's names. Idempotent for the same execution.
 */
export async function acquireTenant(plan: Plan, executionName: string, request?: Record<string, unknown>, now: Date = new Date()): Promise<AcquireResult> {
  const leaseSeconds = loadEnv().TENANT_LEASE_SECONDS;
  const lease = { executionName, acquiredAt: isoNow(now), expiresAt: epochSeconds(now) + leaseSeconds };
  const lastExecution = { name: executionName, kind: 'onboarding', startedAt: isoNow(now) };
  let result: AcquireResult | undefined;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS && !result; attempt++) {
    const record = await getTenant(plan.tenantId);
    try {
      if (!record) {
        await awsCall(() =>
          db().send(
            new PutCommand({
              TableName: table(),
              Item: {
                pk: tenantPk(plan.tenantId),
                type: 'tenant',
                tenantId: plan.tenantId,
                ...(plan.target ? { accountId: plan.target.accountId, partition: plan.target.partition } : {}),
                ...(plan.projectUid ? { projectUid: plan.projectUid } : {}),
                status: 'ONBOARDING',
                version: 1,
                createdAt: isoNow(now),
                updatedAt: isoNow(now),
                lease,
                lastExecution,
                plan,
                ...(request ? { request } : {}),
                resources: {},
                intents: {},
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          ),
        );
        result = { bound: true, claims: 0 };
        break;
      }
      const problem = bindingProblem(record, plan);
      if (problem) throw new TenantBindingError(problem);
      const state = leaseState(record.lease, executionName, epochSeconds(now));
      if (state === 'busy' && record.lease) {
        throw new TenantBusyError(
          `tenant '${plan.tenantId}' is being onboarded by execution ${record.lease.executionName} (lease until ` +
            `${new Date(record.lease.expiresAt * 1000).toISOString()}); this execution changed nothing — wait for it to finish`,
        );
      }
      // A tenant that owns nothing may be bound anew (bindingProblem allowed it): rebind it to this request. What the
      // request does not name (no aws section, tenant scope) is no longer bound.
      const unbound = [...(plan.target ? [] : ['accountId', '#partition']), ...(plan.projectUid ? [] : ['projectUid'])];
      await awsCall(() =>
        db().send(
          new UpdateCommand({
            TableName: table(),
            Key: { pk: tenantPk(plan.tenantId) },
            UpdateExpression:
              'SET #lease = :lease, #status = :status, lastExecution = :last, #plan = :plan, updatedAt = :now' +
              // The AWS binding is set by the first request with an aws section; bindingProblem refused a request
              // without one for a tenant bound to an account (unless rebindable: then the binding goes).
              (plan.target ? ', accountId = :account, #partition = :partition' : '') +
              (request ? ', #request = :request' : '') +
              (plan.projectUid ? ', projectUid = :project' : '') +
              (unbound.length > 0 ? ` REMOVE ${unbound.join(', ')}` : '') +
              ' ADD version :one',
            ConditionExpression: 'version = :version',
            ExpressionAttributeNames: { '#lease': 'lease', '#status': 'status', '#partition': 'partition', '#plan': 'plan', ...(request ? { '#request': 'request' } : {}) },
            ExpressionAttributeValues: {
              ':lease': lease,
              ':status': 'ONBOARDING',
              ':last': lastExecution,
              ':plan': plan,
              ...(request ? { ':request': request } : {}),
              ':now': isoNow(now),
              ...(plan.target ? { ':account': plan.target.accountId, ':partition': plan.target.partition } : {}),
              ':version': record.version,
              ':one': 1,
              ...(plan.projectUid ? { ':project': plan.projectUid } : {}),
            },
          }),
        ),
      );
      result = {
        bound: false,
        claims: 0,
        ...(state === 'free' && record.lease ? { tookOverExpiredLease: record.lease.executionName } : {}),
      };
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      logger.info('Tenant registry item changed concurrently; reading it again', { tenantId: plan.tenantId, attempt });
    }
  }
  if (!result) {
    throw new TenantBusyError(`tenant '${plan.tenantId}' changed concurrently ${MAX_ATTEMPTS} times while this execution tried to take it`);
  }
  result.claims = await claimNames(plan, executionName, now);
  return result;
}

/** Claims every shared-namespace name of the plan for the tenant; OwnershipError naming the first taken one. */
async function claimNames(plan: Plan, executionName: string, now: Date): Promise<number> {
  const claims = plannedClaims(plan);
  for (const claim of claims) {
    try {
      await awsCall(() =>
        db().send(
          new UpdateCommand({
            TableName: table(),
            Key: { pk: claimPk(claim.key) },
            UpdateExpression:
              'SET #type = if_not_exists(#type, :type), #key = if_not_exists(#key, :key), tenantId = if_not_exists(tenantId, :tenant), ' +
              'claimedBy = if_not_exists(claimedBy, :exec), claimedAt = if_not_exists(claimedAt, :now)',
            ConditionExpression: 'attribute_not_exists(pk) OR tenantId = :tenant',
            ExpressionAttributeNames: { '#type': 'type', '#key': 'key' },
            ExpressionAttributeValues: { ':type': 'claim', ':key': claim.key, ':tenant': plan.tenantId, ':exec': executionName, ':now': isoNow(now) },
          }),
        ),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      const owner = (await getClaims([claim.key])).get(claim.key)?.tenantId ?? '(unknown)';
      throw claimConflict(claim, owner);
    }
  }
  return claims.length;
}

/** What the registry knows about one object for the ownership rule. */
export function registryFacts(record: TenantRecord | undefined, key: string): RegistryFacts {
  const intent = record?.intents[key];
  const resource = record?.resources[key];
  return {
    recorded: resource !== undefined,
    ...(resource?.adopted ? { adopted: true } : {}),
    ...(intent ? { intentBy: intent.executionName } : {}),
  };
}

/** The held lease is this execution's (every registry write of a step is conditioned on it). */
const LEASE_HELD = '#lease.executionName = :exec';
/**
 * Compensation after this execution released the tenant itself (a failure after ReleaseTenant, e.g. in
 * NotifySuccess): no lease is held by anyone and this execution was the last one, so its undo steps may still record
 * their removals (and the failure release may still mark the tenant FAILED). Another execution holding the lease
 * meanwhile blocks it, as always.
 */
const RELEASED_BY_ME = '(attribute_not_exists(#lease) AND lastExecution.#lastName = :exec)';

async function leaseWrite(
  tenantId: string,
  executionName: string,
  what: string,
  update: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>,
  opts: { orReleasedByMe?: boolean } = {},
): Promise<void> {
  try {
    await awsCall(() =>
      db().send(
        new UpdateCommand({
          ...update,
          TableName: table(),
          Key: { pk: tenantPk(tenantId) },
          ConditionExpression: opts.orReleasedByMe ? `${LEASE_HELD} OR ${RELEASED_BY_ME}` : LEASE_HELD,
          ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#lease': 'lease', ...(opts.orReleasedByMe ? { '#lastName': 'name' } : {}) },
          ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':exec': executionName, ':one': 1 },
        }),
      ),
    );
  } catch (e) {
    if (!isConditionFailure(e)) throw e;
    throw new TenantBusyError(`tenant '${tenantId}': execution ${executionName} no longer holds the tenant's lease; it cannot record ${what}`);
  }
}

/** Write-ahead intent: "this execution is creating `key`", recorded before the create call. */
export async function recordIntent(tenantId: string, executionName: string, key: string, now: Date = new Date()): Promise<void> {
  await leaseWrite(tenantId, executionName, `the intent to create ${key}`, {
    UpdateExpression: 'SET intents.#key = :intent, updatedAt = :now ADD version :one',
    ExpressionAttributeNames: { '#key': key },
    ExpressionAttributeValues: { ':intent': { executionName, at: isoNow(now) }, ':now': isoNow(now) },
  });
}

/** Records an object the tenant owns (created or adopted) and clears its intent. */
export async function recordResource(
  tenantId: string,
  executionName: string,
  key: string,
  resource: Omit<ResourceRecord, 'recordedBy' | 'recordedAt'>,
  now: Date = new Date(),
): Promise<void> {
  const value: ResourceRecord = { ...resource, recordedBy: executionName, recordedAt: isoNow(now) };
  await leaseWrite(tenantId, executionName, key, {
    UpdateExpression: 'SET resources.#key = :resource, updatedAt = :now REMOVE intents.#key ADD version :one',
    ExpressionAttributeNames: { '#key': key },
    ExpressionAttributeValues: { ':resource': value, ':now': isoNow(now) },
  });
}

/**
 * Several write-ahead intents in one write (a step that creates several objects, e.g. the cluster policies): the same
 * as one recordIntent per key.
 */
export async function recordIntents(tenantId: string, executionName: string, keys: readonly string[], now: Date = new Date()): Promise<void> {
  if (keys.length === 0) return;
  const names = Object.fromEntries(keys.map((k, i) => [`#k${i}`, k]));
  await leaseWrite(tenantId, executionName, `the intents to create ${keys.join(', ')}`, {
    UpdateExpression: `SET ${keys.map((_, i) => `intents.#k${i} = :intent`).join(', ')}, updatedAt = :now ADD version :one`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: { ':intent': { executionName, at: isoNow(now) }, ':now': isoNow(now) },
  });
}

/** Several owned objects in one write (each one's intent cleared): the same as one recordResource per object. */
export async function recordResources(
  tenantId: string,
  executionName: string,
  resources: readonly { key: string; resource: Omit<ResourceRecord, 'recordedBy' | 'recordedAt'> }[],
  now: Date = new Date(),
): Promise<void> {
  if (resources.length === 0) return;
  const names = Object.fromEntries(resources.map((r, i) => [`#k${i}`, r.key]));
  const values = Object.fromEntries(resources.map((r, i) => [`:r${i}`, { ...r.resource, recordedBy: executionName, recordedAt: isoNow(now) }]));
  await leaseWrite(tenantId, executionName, resources.map((r) => r.key).join(', '), {
    UpdateExpression:
      `SET ${resources.map((_, i) => `resources.#k${i} = :r${i}`).join(', ')}, updatedAt = :now ` +
      `REMOVE ${resources.map((_, i) => `intents.#k${i}`).join(', ')} ADD version :one`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: { ...values, ':now': isoNow(now) },
  });
}

/** Several deleted objects (and their intents) removed from the record in one write, as forgetResource does. */
export async function forgetResources(tenantId: string, executionName: string, keys: readonly string[], now: Date = new Date()): Promise<void> {
  if (keys.length === 0) return;
  await leaseWrite(
    tenantId,
    executionName,
    `the removal of ${keys.join(', ')}`,
    {
      UpdateExpression: `SET updatedAt = :now REMOVE ${keys.map((_, i) => `resources.#k${i}, intents.#k${i}`).join(', ')} ADD version :one`,
      ExpressionAttributeNames: Object.fromEntries(keys.map((k, i) => [`#k${i}`, k])),
      ExpressionAttributeValues: { ':now': isoNow(now) },
    },
    { orReleasedByMe: true },
  );
}

/** Removes an object (deleted by an undo) and its intent from the tenant's record. */
export async function forgetResource(tenantId: string, executionName: string, key: string, now: Date = new Date()): Promise<void> {
  await leaseWrite(
    tenantId,
    executionName,
    `the removal of ${key}`,
    {
      UpdateExpression: 'SET updatedAt = :now REMOVE resources.#key, intents.#key ADD version :one',
      ExpressionAttributeNames: { '#key': key },
      ExpressionAttributeValues: { ':now': isoNow(now) },
    },
    { orReleasedByMe: true },
  );
}

export interface ReleaseOutcome {
  result: 'SUCCEEDED' | 'FAILED';
  error?: string;
  cause?: string;
}

export interface ReleaseResult {
  /** False when this execution did not hold the lease (e.g. TenantBusyError): nothing was written. */
  released: boolean;
  status?: TenantRecord['status'];
  claimsReleased: number;
}

/**
 * Ends this execution's hold on the tenant: status ACTIVE (success) or FAILED, the execution's result, the lease
 * removed. Names this execution claimed for objects the tenant does not own are released. A no-op for an execution
 * that does not hold the lease.
 */
export async function releaseTenant(plan: Plan, executionName: string, outcome: ReleaseOutcome, now: Date = new Date()): Promise<ReleaseResult> {
  const { tenantId } = plan;
  const status = outcome.result === 'SUCCEEDED' ? 'ACTIVE' : 'FAILED';
  const finish = executionFinish(status, outcome, now);
  let record: TenantRecord | undefined;
  try {
    const out = await awsCall(() =>
      db().send(
        new UpdateCommand({
          TableName: table(),
          Key: { pk: tenantPk(tenantId) },
          UpdateExpression: `SET ${finish.set} REMOVE #lease ADD version :one`,
          // A failure after this execution's own successful release still marks the tenant FAILED (RELEASED_BY_ME).
          ConditionExpression:
            outcome.result === 'FAILED'
              ? `(${LEASE_HELD} OR attribute_not_exists(#lease)) AND lastExecution.#name = :exec`
              : `${LEASE_HELD} AND lastExecution.#name = :exec`,
          ExpressionAttributeNames: { ...finish.names, '#lease': 'lease', '#name': 'name' },
          ExpressionAttributeValues: { ...finish.values, ':exec': executionName, ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    record = parseRecord(out.Attributes);
  } catch (e) {
    if (!isConditionFailure(e)) throw e;
    return { released: false, claimsReleased: 0 };
  }
  // Names held for objects the tenant owns stay its own; names this execution claimed for nothing are freed.
  const claimsReleased = record ? await releaseUnheldClaims(record, plan, { claimedBy: executionName }) : 0;
  return { released: true, ...(record ? { status: record.status } : {}), claimsReleased };
}

/**
 * Releases the tenant's claims on the plan's names for which it holds no object (no resource, no intent): only those
 * `claimedBy` one execution when given (a failed onboarding frees what it claimed for nothing), else all of them (an
 * offboarding frees the names of what it removed). Each delete is conditioned on the claim still being the tenant's
 * (and that execution's). Returns how many were released.
 */
export async function releaseUnheldClaims(record: TenantRecord, plan: Plan, opts: { claimedBy?: string } = {}): Promise<number> {
  const { tenantId } = record;
  const held = new Set([...Object.keys(record.resources), ...Object.keys(record.intents)]);
  const free = plannedClaims(plan).map((c) => c.key).filter((k) => !held.has(k));
  const mine = [...(await getClaims(free)).values()].filter((c) => c.tenantId === tenantId && (opts.claimedBy === undefined || c.claimedBy === opts.claimedBy));
  let released = 0;
  for (const { key } of mine) {
    try {
      await awsCall(() =>
        db().send(
          new DeleteCommand({
            TableName: table(),
            Key: { pk: claimPk(key) },
            ConditionExpression: opts.claimedBy === undefined ? 'tenantId = :tenant' : 'tenantId = :tenant AND claimedBy = :exec',
            ExpressionAttributeValues: { ':tenant': tenantId, ...(opts.claimedBy === undefined ? {} : { ':exec': opts.claimedBy }) },
          }),
        ),
      );
      released++;
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
  }
  return released;
}

/**
 * The SET clause (names, values) that ends an execution in the tenant's record: the tenant's new status, and the
 * execution's finish time, result and, on failure, its error and (shortened) cause. Shared by every release.
 */
export function executionFinish(
  status: TenantRecord['status'],
  outcome: { result: 'SUCCEEDED' | 'FAILED'; error?: string; cause?: string },
  now: Date,
): { set: string; names: Record<string, string>; values: Record<string, unknown> } {
  return {
    set:
      '#status = :status, lastExecution.finishedAt = :now, lastExecution.#result = :result, updatedAt = :now' +
      (outcome.error ? ', lastExecution.#error = :error' : '') +
      (outcome.cause ? ', lastExecution.#cause = :cause' : ''),
    names: { '#status': 'status', '#result': 'result', ...(outcome.error ? { '#error': 'error' } : {}), ...(outcome.cause ? { '#cause': 'cause' } : {}) },
    values: {
      ':status': status,
      ':now': isoNow(now),
      ':result': outcome.result,
      ...(outcome.error ? { ':error': outcome.error } : {}),
      ...(outcome.cause ? { ':cause': outcome.cause.slice(0, MAX_CAUSE) } : {}),
    },
  };
}
