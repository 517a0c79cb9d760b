/**
 * "Is the tenant's Palette registration in use?" (offboarding, issue 12): the Palette clusters that use one of the
 * tenant's cloud accounts (the cluster summary's `specSummary.cloudAccountMeta.uid`) or back up to one of its backup
 * locations (the cluster's backup configuration, `backupLocationUid`). Offboarding refuses while there are any.
 *
 * The registrations are the plan's cloud-account and backup-location kinds (lambdas/domain/registrations.ts), found
 * by name in their scope by their reconciler's `find` (the same lookup as onboarding and verification); one that does
 * not exist (already removed) is skipped. Clusters are listed in the same scope: a project's clusters for a project
 * plan; for a tenant-scope plan, what Palette's tenant scope lists (REFERENCE.md §2.11). Clusters Palette reports as
 * Deleted are ignored; one that is still Deleting counts. Read-only.
 */
import { paletteScopeKey } from '../../domain/names';
import { REGISTRATION_KEYS, REGISTRATIONS, registrationScope, type PaletteObjectKind, type RegistrationKey } from '../../domain/registrations';
import type { Plan } from '../../domain/workflow-state';
import type { PaletteScope } from '../palette';
import { RECONCILERS } from '../registrations/kinds';
import { lookupContext } from '../registrations/reconcile';
import type { Reconciler } from '../registrations/types';

export interface ClusterUse {
  clusterUid: string;
  clusterName: string;
  /** What of the tenant it uses, e.g. "AWS cloud account 'acme-aws' (uid)" or "S3 backup location 'acme-s3' (uid)". */
  uses: string;
}

/** The registration kinds a cluster can use, by what refers to them. */
const USED_AS: Partial<Record<PaletteObjectKind, 'cloudAccount' | 'backupLocation'>> = {
  'cloud-account/aws': 'cloudAccount',
  'cloud-account/azure': 'cloudAccount',
  'backup-location': 'backupLocation',
};

/** Palette's state for a cluster that is gone (still listed by the search). */
const DELETED_STATE = 'Deleted';

/** Backup-configuration reads in flight at once (the client's rate limiter spaces them: /v1/spectroclusters is 50/s). */
const BACKUP_READS_IN_FLIGHT = 5;

/** `fn` over `items`, at most `limit` at a time; results in input order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The tenant's registrations of one Palette scope: uid -> how to name it. */
interface ScopeTargets {
  scope: PaletteScope;
  cloudAccounts: Map<string, string>;
  backupLocations: Map<string, string>;
}

/** The existing cloud accounts and backup locations of the plan, grouped by the scope they live in. */
async function tenantTargets(plan: Plan): Promise<Map<string, ScopeTargets>> {
  const byScope = new Map<string, ScopeTargets>();
  for (const key of REGISTRATION_KEYS) {
    const kind = REGISTRATIONS[key];
    const usedAs = USED_AS[kind.paletteKind];
    if (!usedAs) continue;
    const lookup = lookupContext(key, plan);
    if (!lookup) continue;
    const reconciler: Reconciler<RegistrationKey> = RECONCILERS[key];
    const found = await reconciler.find(lookup);
    if (!found) continue;
    const scopeKey = paletteScopeKey(registrationScope(key, plan.projectUid));
    let targets = byScope.get(scopeKey);
    if (!targets) {
      targets = { scope: lookup.scope, cloudAccounts: new Map(), backupLocations: new Map() };
      byScope.set(scopeKey, targets);
    }
    targets[usedAs === 'cloudAccount' ? 'cloudAccounts' : 'backupLocations'].set(found.uid, `${kind.label} '${lookup.name}' (${found.uid})`);
  }
  return byScope;
}

export async function clustersUsingTenant(plan: Plan): Promise<ClusterUse[]> {
  const uses: ClusterUse[] = [];
  for (const { scope, cloudAccounts, backupLocations } of (await tenantTargets(plan)).values()) {
    const clusters = (await scope.clusters.search()).flatMap((c) => {
      const clusterUid = c.metadata?.uid;
      return clusterUid && c.status?.state !== DELETED_STATE ? [{ clusterUid, clusterName: c.metadata?.name ?? '', summary: c }] : [];
    });
    for (const { clusterUid, clusterName, summary } of clusters) {
      const account = cloudAccounts.get(summary.specSummary?.cloudAccountMeta?.uid ?? '');
      if (account) uses.push({ clusterUid, clusterName, uses: account });
    }
    if (backupLocations.size === 0) continue;
    // Only the backup configuration says where a cluster backs up to (the summary does not).
    const configs = await mapLimited(clusters, BACKUP_READS_IN_FLIGHT, (c) => scope.clusters.backupConfig(c.clusterUid));
    clusters.forEach(({ clusterUid, clusterName }, i) => {
      const location = backupLocations.get(configs[i]?.backupLocationUid ?? '');
      if (location) uses.push({ clusterUid, clusterName, uses: location });
    });
  }
  return uses.sort((a, b) => a.clusterName.localeCompare(b.clusterName) || a.clusterUid.localeCompare(b.clusterUid) || a.uses.localeCompare(b.uses));
}
