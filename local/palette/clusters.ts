/**
 * Clusters in the emulator: tests put them in (addCluster / POST /_emulator/clusters) and take them out
 * (removeCluster / DELETE /_emulator/clusters/{uid}); the API only lists them (POST /v1/dashboard/spectroclusters/search)
 * and reads their backup configuration (GET /v1/spectroclusters/{uid}/features/backup). Both operations come from
 * spec/supplement.json. A cluster lives in its tenant's scope or in one of its projects, uses one cloud account
 * (AWS or Azure) and optionally a backup location, each visible from its scope (same scope, or the tenant scope).
 */
import { z } from 'zod';
import { PaletteError, notFound } from './errors';
import { metaView, scopeLabel, type ScopeRef } from './resources';
import type { ClusterRecord, Json, PaletteState, Resource, ScopeKey, Tenant } from './state';

/** What a test gives to add a cluster (in-process addCluster and POST /_emulator/clusters). */
export const clusterInput = z
  .object({
    name: z.string().min(1),
    /** A project of the tenant; omitted: the tenant scope. */
    projectUid: z.string().min(1).optional(),
    /** An AWS or Azure cloud account visible from the cluster's scope. */
    cloudAccountUid: z.string().min(1),
    /** A backup location visible from the cluster's scope; omitted: no backup configured. */
    backupLocationUid: z.string().min(1).optional(),
    /** The tenant (default: the emulator's first tenant). */
    tenantUid: z.string().min(1).optional(),
    /** status.state (default Running); Palette keeps listing clusters it reports as Deleting or Deleted. */
    state: z.string().min(1).optional(),
  })
  .strict();
export type ClusterInput = z.input<typeof clusterInput>;

/** The resource of `collections` with that uid, visible from `scope` (its own scope or the tenant scope). */
function visibleResource(tenant: Tenant, scope: ScopeKey, uid: string, collections: Resource['collection'][], what: string, field: string): Resource {
  const r = tenant.resources.find((x) => x.uid === uid && collections.includes(x.collection));
  if (!r) throw new PaletteError(404, 'ResourceNotFound', `${field}: ${what} '${uid}' not found in tenant ${tenant.uid}`, { field, uid });
  if (r.scope !== scope && r.scope !== 'tenant') {
    throw new PaletteError(400, 'InvalidRequest', `${field}: ${what} '${uid}' is in ${scopeLabel(r.scope)}, not visible from ${scopeLabel(scope)}`, { field, uid });
  }
  return r;
}

export function addCluster(state: PaletteState, now: number, raw: unknown): ClusterRecord {
  const parsed = clusterInput.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PaletteError(400, 'InvalidRequest', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  const input = parsed.data;
  const tenant = input.tenantUid === undefined ? state.tenants[0] : state.tenantByUid(input.tenantUid);
  if (!tenant) throw new PaletteError(404, 'ResourceNotFound', `tenantUid: tenant '${input.tenantUid ?? ''}' not found`, { field: 'tenantUid' });
  let scope: ScopeKey = 'tenant';
  if (input.projectUid !== undefined) {
    if (!tenant.projects.some((p) => p.uid === input.projectUid)) {
      throw new PaletteError(404, 'ResourceNotFound', `projectUid: project '${input.projectUid}' not found in tenant ${tenant.uid}`, { field: 'projectUid' });
    }
    scope = `project:${input.projectUid}`;
  }
  if (tenant.clusters.some((c) => c.scope === scope && c.name === input.name)) {
    throw new PaletteError(409, 'DuplicateName', `a cluster named '${input.name}' already exists in ${scopeLabel(scope)}`, { name: input.name });
  }
  const account = visibleResource(tenant, scope, input.cloudAccountUid, ['awsAccount', 'azureAccount'], 'cloud account', 'cloudAccountUid');
  const location =
    input.backupLocationUid === undefined ? undefined : visibleResource(tenant, scope, input.backupLocationUid, ['location'], 'backup location', 'backupLocationUid');
  const cluster: ClusterRecord = {
    uid: state.ids.uid(),
    name: input.name,
    scope,
    cloudAccountUid: account.uid,
    cloudAccountName: account.name,
    ...(location ? { backupLocationUid: location.uid, backupLocationName: location.name } : {}),
    ...(location?.locationType ? { backupLocationType: location.locationType } : {}),
    state: input.state ?? 'Running',
    createdAt: now,
    modifiedAt: now,
  };
  tenant.clusters.push(cluster);
  return cluster;
}

/** Removes the cluster with that uid from whichever tenant holds it; false when there is none. */
export function removeCluster(state: PaletteState, uid: string): boolean {
  for (const tenant of state.tenants) {
    const i = tenant.clusters.findIndex((c) => c.uid === uid);
    if (i >= 0) {
      tenant.clusters.splice(i, 1);
      return true;
    }
  }
  return false;
}

/**
 * The clusters a request scope sees: a project its own; the tenant scope every cluster of the tenant, in every
 * project (like Palette's tenant-admin cluster list; unconfirmed for the API, REFERENCE.md §2.11). In creation order.
 */
export function visibleClusters(scope: ScopeRef): ClusterRecord[] {
  return scope.tenant.clusters.filter((c) => scope.key === 'tenant' || c.scope === scope.key);
}

function projectOf(tenant: Tenant, scope: ScopeKey): { uid: string; name: string } | undefined {
  if (scope === 'tenant') return undefined;
  const uid = scope.slice('project:'.length);
  const project = tenant.projects.find((p) => p.uid === uid);
  return { uid, name: project?.name ?? '' };
}

/** v1SpectroClusterSummary (the parts the supplement declares). */
export function clusterSummaryView(tenant: Tenant, c: ClusterRecord): Json {
  const project = projectOf(tenant, c.scope);
  return {
    metadata: metaView({ ...c, annotations: {}, labels: {} }, c.scope),
    specSummary: {
      cloudAccountMeta: { uid: c.cloudAccountUid, name: c.cloudAccountName },
      ...(project ? { projectMeta: project } : {}),
    },
    status: { state: c.state },
  };
}

/** The cluster of that uid the scope sees, else 404 ResourceNotFound. */
export function visibleCluster(scope: ScopeRef, uid: string): ClusterRecord {
  const c = visibleClusters(scope).find((x) => x.uid === uid);
  if (!c) throw notFound('cluster', uid);
  return c;
}

/**
 * v1ClusterBackup of a cluster with a backup location; 404 BackupNotConfigured without one (the status is our choice,
 * the code is the one the Go SDK checks: REFERENCE.md §2.11). The schedule and options are fixed emulator values.
 */
export function clusterBackupView(c: ClusterRecord): Json {
  if (c.backupLocationUid === undefined) {
    throw new PaletteError(404, 'BackupNotConfigured', `cluster '${c.uid}' has no backup configured`, { uid: c.uid });
  }
  return {
    metadata: { name: c.name, uid: c.uid },
    spec: {
      clusterUid: c.uid,
      config: {
        backupLocationUid: c.backupLocationUid,
        backupLocationName: c.backupLocationName ?? '',
        ...(c.backupLocationType ? { locationType: c.backupLocationType } : {}),
        backupName: `${c.name}-backup`,
        backupPrefix: c.name,
        durationInHours: 720,
        includeAllDisks: false,
        includeClusterResourceMode: 'Auto',
        namespaces: [],
        schedule: { scheduledRunTime: '0 0 * * *' },
      },
    },
  };
}

/** What inspect() lists per tenant. */
export function clusterInspectView(c: ClusterRecord): Json {
  return {
    uid: c.uid,
    name: c.name,
    scope: c.scope,
    cloudAccountUid: c.cloudAccountUid,
    cloudAccountName: c.cloudAccountName,
    ...(c.backupLocationUid !== undefined ? { backupLocationUid: c.backupLocationUid, backupLocationName: c.backupLocationName } : {}),
    state: c.state,
    createdAt: new Date(c.createdAt).toISOString(),
    modifiedAt: new Date(c.modifiedAt).toISOString(),
  };
}
