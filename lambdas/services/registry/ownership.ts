/**
 * The ownership rule applied by the ensure and undo steps (AWS and Palette): one place that reads the tenant's
 * registry record once per step, decides whether an existing object may be used (lambdas/domain/ownership.ts),
 * writes the write-ahead intent before a create, and records or forgets what the tenant owns.
 */
import { decideOwnership, marksOf, type Ownership } from '../../domain/ownership';
import { COMPENSATION, decideRemoval, type Removal, type RemovalDecision } from '../../domain/removal';
import type { ResourceRecord, TenantRecord } from '../../domain/tenant-record';
import type { Plan } from '../../domain/workflow-state';
import { forgetResource, forgetResources, getTenant, recordIntent, recordIntents, recordResource, recordResources, registryFacts } from './tenant-registry';

export interface ExistingObject {
  /** Registry key (lambdas/domain/names.ts resourceKey). */
  key: string;
  /** How errors name it, e.g. "S3 bucket 'x'". */
  object: string;
  /** Its tags or annotations. */
  marks: Readonly<Record<string, string>> | undefined;
  /** The request adopts it explicitly, and the field that says so (for the hint). */
  adopt: boolean;
  adoptField: string;
}

/** What a step records about an object the tenant owns. */
export interface OwnedObject {
  key: string;
  part: string;
  id: string;
  name: string;
  /** `created`: this execution created it now; otherwise the ownership decision taken for the existing object. */
  ownership: Ownership | 'created';
}

export class TenantOwnership {
  private constructor(
    readonly plan: Plan,
    private readonly tenant: TenantRecord | undefined,
    /** What an undo step may remove (lambdas/domain/removal.ts): compensation, or offboarding. */
    readonly removal: Removal,
  ) {}

  /** Reads the tenant's record (once per step). */
  static async load(plan: Plan, removal: Removal = COMPENSATION): Promise<TenantOwnership> {
    return new TenantOwnership(plan, await getTenant(plan.tenantId), removal);
  }

  get offboarding(): boolean {
    return this.removal.mode === 'offboarding';
  }

  get executionName(): string {
    return this.plan.executionName;
  }

  /** May this run use the existing object? Throws OwnershipError naming it and its owner. */
  decide(o: ExistingObject): Ownership {
    return decideOwnership({
      object: o.object,
      marks: marksOf(o.marks),
      registry: registryFacts(this.tenant, o.key),
      adopt: o.adopt,
      adoptField: o.adoptField,
      tenantId: this.plan.tenantId,
      deploymentId: this.plan.deploymentId,
      executionName: this.executionName,
    });
  }

  /**
   * Whether this execution created the object, so its compensation may delete it: its created-by mark, or the
   * registry (the recorded creator, or this execution's pending intent: it died between the create and the mark).
   */
  createdByThisExecution(key: string, marks: Readonly<Record<string, string>> | undefined): boolean {
    if (marksOf(marks).createdBy === this.executionName) return true;
    const facts = registryFacts(this.tenant, key);
    return facts.intentBy === this.executionName || this.tenant?.resources[key]?.createdBy === this.executionName;
  }

  /** May this undo step delete the existing object (compensation: created by this execution; offboarding: the tenant's)? */
  mayRemove(key: string, marks: Readonly<Record<string, string>> | undefined): RemovalDecision {
    const resource = this.tenant?.resources[key];
    const intent = this.tenant?.intents[key];
    return decideRemoval(this.removal, {
      marks: marksOf(marks),
      ...(resource ? { recorded: { adopted: resource.adopted, ...(resource.createdBy ? { createdBy: resource.createdBy } : {}) } } : {}),
      ...(intent ? { intentBy: intent.executionName } : {}),
      tenantId: this.plan.tenantId,
      deploymentId: this.plan.deploymentId,
      executionName: this.executionName,
    });
  }

  /**
   * A kept object for an undo step's result: offboarding reports every one with its reason; compensation only when
   * `always` (the steps that always reported what they kept).
   */
  kept(id: string, reason: string, always = false): { id: string; reason: string }[] {
    return this.offboarding || always ? [{ id, reason }] : [];
  }

  /** The same record under another removal (e.g. an ensure step removing what the tenant no longer asks for). */
  withRemoval(removal: Removal): TenantOwnership {
    return new TenantOwnership(this.plan, this.tenant, removal);
  }

  /** The registry records the object as the tenant's, or holds an intent to create it (any execution's). */
  knows(key: string): boolean {
    return this.tenant?.resources[key] !== undefined || this.tenant?.intents[key] !== undefined;
  }

  /** The registry records the object as the tenant's. */
  records(key: string): boolean {
    return this.tenant?.resources[key] !== undefined;
  }

  /** Write-ahead intent, before the create call. */
  async intend(key: string): Promise<void> {
    await recordIntent(this.plan.tenantId, this.executionName, key);
  }

  /** Write-ahead intents of several objects in one registry write. */
  async intendAll(keys: readonly string[]): Promise<void> {
    await recordIntents(this.plan.tenantId, this.executionName, keys);
  }

  /** Records (or refreshes) an object the tenant owns; skips the write when the registry already says the same. */
  async record(o: OwnedObject): Promise<void> {
    await this.recordAll([o]);
  }

  /** Records several objects in one registry write (none when the registry already says the same of each). */
  async recordAll(objects: readonly OwnedObject[]): Promise<void> {
    const changed = objects.flatMap((o) => {
      const resource = this.resourceOf(o);
      return resource ? [{ key: o.key, resource }] : [];
    });
    if (changed.length === 1) {
      const [only] = changed;
      if (only) await recordResource(this.plan.tenantId, this.executionName, only.key, only.resource);
    } else await recordResources(this.plan.tenantId, this.executionName, changed);
  }

  /** What the registry should hold for `o`, or undefined when it already does. */
  private resourceOf(o: OwnedObject): Omit<ResourceRecord, 'recordedBy' | 'recordedAt'> | undefined {
    const created = o.ownership === 'created' || (o.ownership.kind === 'own' && o.ownership.createdByThisExecution);
    const previous = this.tenant?.resources[o.key];
    const createdBy = created ? this.executionName : previous?.createdBy;
    const resource: Omit<ResourceRecord, 'recordedBy' | 'recordedAt'> = {
      part: o.part,
      id: o.id,
      name: o.name,
      ...(createdBy ? { createdBy } : {}),
      adopted: o.ownership !== 'created' && (o.ownership.kind === 'adopt' || (previous?.adopted ?? false)),
    };
    const same =
      previous !== undefined &&
      this.tenant?.intents[o.key] === undefined &&
      previous.part === resource.part &&
      previous.id === resource.id &&
      previous.name === resource.name &&
      previous.createdBy === resource.createdBy &&
      previous.adopted === resource.adopted;
    return same ? undefined : resource;
  }

  /** Removes a deleted object from the tenant's record. */
  async forget(key: string): Promise<void> {
    if (!this.tenant || (this.tenant.resources[key] === undefined && this.tenant.intents[key] === undefined)) return;
    await forgetResource(this.plan.tenantId, this.executionName, key);
  }

  /** Removes several deleted objects from the tenant's record in one write (only those it knows). */
  async forgetAll(keys: readonly string[]): Promise<void> {
    const known = keys.filter((k) => this.knows(k));
    if (known.length === 1 && known[0] !== undefined) await forgetResource(this.plan.tenantId, this.executionName, known[0]);
    else await forgetResources(this.plan.tenantId, this.executionName, known);
  }
}
