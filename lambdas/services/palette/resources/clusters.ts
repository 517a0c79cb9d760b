/**
 * Clusters, read-only, tenant or project scope: the cluster search (POST /v1/dashboard/spectroclusters/search) and a
 * cluster's backup configuration (GET /v1/spectroclusters/{uid}/features/backup). Both operations are official but
 * outside the subset we were given: they come from spec/supplement.json (REFERENCE.md §2.11).
 *
 * Scope: with ProjectUid the search lists the project's clusters; without it, the clusters the tenant scope sees
 * (REFERENCE.md §2.11: unconfirmed whether that includes every project's clusters; the emulator says yes).
 */
import { PaletteApiError, PaletteNotFoundError } from '../errors';
import type { ClusterBackupConfig, ClusterSearchSpec, ClusterSummary } from '../types';
import { listAllPages, requireData, requireUid, type ResourceContext } from './shared';

const SEARCH = '/v1/dashboard/spectroclusters/search';
const BACKUP = '/v1/spectroclusters/{uid}/features/backup';

/**
 * The search body of every call: no filter group (every cluster in scope) and no sort. This is the body real
 * clients send to list everything; Palette's order is kept.
 */
export const SEARCH_EVERY_CLUSTER: ClusterSearchSpec = { filter: { conjunction: 'and', filterGroups: [] }, sort: [] };

/** The error code the Go SDK treats, like ResourceNotFound, as "no backup configured" (herr.IsBackupNotConfigured). */
export const BACKUP_NOT_CONFIGURED = 'BackupNotConfigured';

export class Clusters {
  constructor(private readonly ctx: ResourceContext) {}

  /**
   * Every cluster summary in scope (all pages: limit 50, then `continue` + `offset` from `listmeta` until the token is
   * empty; a repeated token or more than 1000 pages stops with PaginationLoop / PaginationLimit). Clusters Palette
   * reports with `status.state: "Deleted"` are included: callers decide. The search creates nothing, so it is retried
   * like a read (retry.ts).
   */
  async search(): Promise<ClusterSummary[]> {
    const op = { method: 'POST', path: SEARCH };
    return listAllPages(async (query) => {
      const res = await this.ctx.api.POST(SEARCH, { params: { query }, body: SEARCH_EVERY_CLUSTER, headers: this.ctx.headers });
      return requireData(res, op);
    }, op);
  }

  /**
   * The backup configuration of a cluster (`spec.config` of GET .../features/backup), or undefined when the cluster
   * has none: Palette's 404 (also what a cluster that no longer exists gives) or an error coded BackupNotConfigured,
   * which the Go SDK treats the same way. Other errors are thrown.
   */
  async backupConfig(clusterUid: string): Promise<ClusterBackupConfig | undefined> {
    requireUid(clusterUid, 'clusters.backupConfig');
    const path = `/v1/spectroclusters/${clusterUid}/features/backup`;
    try {
      const res = await this.ctx.api.GET(BACKUP, { params: { path: { uid: clusterUid } }, headers: this.ctx.headers });
      return requireData(res, { method: 'GET', path }).spec?.config;
    } catch (error) {
      if (error instanceof PaletteNotFoundError || (error instanceof PaletteApiError && error.code === BACKUP_NOT_CONFIGURED)) return undefined;
      throw error;
    }
  }
}
