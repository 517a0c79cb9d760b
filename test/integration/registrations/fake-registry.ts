/**
 * An in-memory tenant registry with the semantics of lambdas/services/registry/tenant-registry.ts that the
 * ownership rule uses (getTenant, recordIntent, recordResource, forgetResource, registryFacts): every write is
 * conditioned on the writing execution holding the tenant's lease (TenantBusyError otherwise). Test files mock
 * the real module with this one (vi.mock) while the sandbox's DynamoDB is being built; `registry` seeds and
 * inspects it.
 */
import type { RegistryFacts } from '../../../lambdas/domain/ownership';
import type { ResourceRecord, TenantRecord } from '../../../lambdas/domain/tenant-record';
import { TenantBusyError } from '../../../lambdas/shared/errors';

const tenants = new Map<string, TenantRecord>();
const isoNow = (now: Date) => now.toISOString();

export async function getTenant(tenantId: string): Promise<TenantRecord | undefined> {
  const record = tenants.get(tenantId);
  return record ? structuredClone(record) : undefined;
}

function leaseWrite(tenantId: string, executionName: string, what: string, now: Date, change: (r: TenantRecord) => void): void {
  const record = tenants.get(tenantId);
  if (!record || record.lease?.executionName !== executionName) {
    throw new TenantBusyError(`tenant '${tenantId}': execution ${executionName} no longer holds the tenant's lease; it cannot record ${what}`);
  }
  change(record);
  record.updatedAt = isoNow(now);
  record.version += 1;
}

export async function recordIntent(tenantId: string, executionName: string, key: string, now: Date = new Date()): Promise<void> {
  leaseWrite(tenantId, executionName, `the intent to create ${key}`, now, (r) => {
    r.intents[key] = { executionName, at: isoNow(now) };
  });
}

export async function recordResource(
  tenantId: string,
  executionName: string,
  key: string,
  resource: Omit<ResourceRecord, 'recordedBy' | 'recordedAt'>,
  now: Date = new Date(),
): Promise<void> {
  leaseWrite(tenantId, executionName, key, now, (r) => {
    r.resources[key] = { ...resource, recordedBy: executionName, recordedAt: isoNow(now) };
    delete r.intents[key];
  });
}

/** Several intents in one write (the real module's batch form). */
export async function recordIntents(tenantId: string, executionName: string, keys: readonly string[], now: Date = new Date()): Promise<void> {
  if (keys.length === 0) return;
  leaseWrite(tenantId, executionName, `the intents to create ${keys.join(', ')}`, now, (r) => {
    for (const key of keys) r.intents[key] = { executionName, at: isoNow(now) };
  });
}

/** Several owned objects in one write, each one's intent cleared (the real module's batch form). */
export async function recordResources(
  tenantId: string,
  executionName: string,
  resources: readonly { key: string; resource: Omit<ResourceRecord, 'recordedBy' | 'recordedAt'> }[],
  now: Date = new Date(),
): Promise<void> {
  if (resources.length === 0) return;
  leaseWrite(tenantId, executionName, resources.map((x) => x.key).join(', '), now, (r) => {
    for (const { key, resource } of resources) {
      r.resources[key] = { ...resource, recordedBy: executionName, recordedAt: isoNow(now) };
      delete r.intents[key];
    }
  });
}

/** Several removed objects in one write (the real module's batch form). */
export async function forgetResources(tenantId: string, executionName: string, keys: readonly string[], now: Date = new Date()): Promise<void> {
  if (keys.length === 0) return;
  leaseWrite(tenantId, executionName, `the removal of ${keys.join(', ')}`, now, (r) => {
    for (const key of keys) {
      delete r.resources[key];
      delete r.intents[key];
    }
  });
}

export async function forgetResource(tenantId: string, executionName: string, key: string, now: Date = new Date()): Promise<void> {
  leaseWrite(tenantId, executionName, `the removal of ${key}`, now, (r) => {
    delete r.resources[key];
    delete r.intents[key];
  });
}

export function registryFacts(record: TenantRecord | undefined, key: string): RegistryFacts {
  const intent = record?.intents[key];
  return { recorded: record?.resources[key] !== undefined, ...(intent ? { intentBy: intent.executionName } : {}) };
}

/** Test controls: what AcquireTenant would have done, seeded intents, and the records. */
export const registry = {
  /** The tenant's lease for this execution (the tenant is bound on first use). */
  acquire(tenantId: string, executionName: string): void {
    const now = new Date();
    let record = tenants.get(tenantId);
    if (!record) {
      record = {
        pk: `tenant#${tenantId}`,
        type: 'tenant',
        tenantId,
        accountId: '111111111111',
        partition: 'aws',
        status: 'ONBOARDING',
        version: 1,
        createdAt: isoNow(now),
        updatedAt: isoNow(now),
        resources: {},
        intents: {},
      };
      tenants.set(tenantId, record);
    }
    record.lease = { executionName, acquiredAt: isoNow(now), expiresAt: Math.floor(now.getTime() / 1000) + 3600 };
    record.lastExecution = { name: executionName, startedAt: isoNow(now) };
  },
  /** A pending write-ahead intent, as left by an execution that died after its create call. */
  seedIntent(tenantId: string, key: string, executionName: string): void {
    registry.acquire(tenantId, executionName);
    const record = tenants.get(tenantId);
    if (record) record.intents[key] = { executionName, at: isoNow(new Date()) };
  },
  record(tenantId: string): TenantRecord | undefined {
    const record = tenants.get(tenantId);
    return record ? structuredClone(record) : undefined;
  },
};
