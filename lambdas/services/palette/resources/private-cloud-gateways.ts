/**
 * Private cloud gateways (PCGs; Palette's API calls them "overlords"), read-only, tenant scope: the list
 * (GET /v1/overlords, optional `name` query) and one gateway by uid (GET /v1/overlords/{uid}). Both operations are
 * official but outside the subset we were given: they come from spec/supplement.json (REFERENCE.md §2.12).
 *
 * A gateway's `status.state` is `Running` when it can be used (the Go SDK's CheckPCG, client/private_cloud_gateway.go,
 * accepts nothing else before it links a cloud account to it with the `overlordUid` annotation).
 */
import type { PrivateCloudGateway } from '../types';
import { requireData, requireUid, type ResourceContext } from './shared';

const OVERLORDS = '/v1/overlords';

/** The state a gateway must be in to be linked to a cloud account (Go SDK CheckPCG). */
export const PCG_RUNNING_STATE = 'Running';

export class PrivateCloudGateways {
  constructor(private readonly ctx: ResourceContext) {}

  /**
   * The tenant's gateways (not paged by Palette). With `name`, the server is asked to filter by it (its matching rule
   * is not documented): callers compare `metadata.name` themselves, as `findByName` does.
   */
  async list(name?: string): Promise<PrivateCloudGateway[]> {
    const res = await this.ctx.api.GET(OVERLORDS, { params: { query: name === undefined ? {} : { name } }, headers: this.ctx.headers });
    return requireData(res, { method: 'GET', path: OVERLORDS }).items ?? [];
  }

  /** Every gateway whose `metadata.name` is exactly `name` (several are possible: the caller decides). */
  async findAllByName(name: string): Promise<PrivateCloudGateway[]> {
    return (await this.list(name)).filter((g) => g.metadata?.name === name);
  }

  /** One gateway; a uid Palette does not know is a PaletteNotFoundError. */
  async get(uid: string): Promise<PrivateCloudGateway> {
    requireUid(uid, 'privateCloudGateways.get');
    const res = await this.ctx.api.GET(`${OVERLORDS}/{uid}`, { params: { path: { uid } }, headers: this.ctx.headers });
    return requireData(res, { method: 'GET', path: `${OVERLORDS}/${uid}` });
  }
}
