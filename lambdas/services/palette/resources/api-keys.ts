/** API keys (/v1/apiKeys). Tenant-scoped: never sent with ProjectUid. */
import { PaletteApiError } from '../errors';
import type { ApiKey, ApiKeyEntity, ApiKeyUpdate } from '../types';
import { pickByName, requireData, requireUid, type ResourceContext } from './shared';

const KEYS = '/v1/apiKeys';

export interface CreatedApiKey {
  uid: string;
  /** The key value; Palette returns it only in this response. */
  apiKey: string;
}

export class ApiKeys {
  constructor(private readonly ctx: ResourceContext) {}

  /** POST /v1/apiKeys -> 201 { apiKey, uid }. Not retried after the request may have been applied: use findByName first. */
  async create(entity: ApiKeyEntity): Promise<CreatedApiKey> {
    const res = await this.ctx.api.POST(KEYS, { body: entity });
    const data = requireData(res, { method: 'POST', path: KEYS });
    if (!data.uid || !data.apiKey) {
      throw new PaletteApiError({
        status: res.response.status,
        code: 'InvalidResponseBody',
        message: 'create API key response lacks uid or apiKey',
        method: 'POST',
        path: KEYS,
      });
    }
    return { uid: data.uid, apiKey: data.apiKey };
  }

  async get(uid: string): Promise<ApiKey> {
    requireUid(uid, 'apiKeys.get');
    const res = await this.ctx.api.GET(`${KEYS}/{uid}`, { params: { path: { uid } } });
    return requireData(res, { method: 'GET', path: `${KEYS}/${uid}` });
  }

  /** The list is not paged by Palette. */
  async list(): Promise<ApiKey[]> {
    const res = await this.ctx.api.GET(KEYS, {});
    return requireData(res, { method: 'GET', path: KEYS }).items ?? [];
  }

  async findByName(name: string): Promise<ApiKey | undefined> {
    return pickByName(await this.list(), name, 'apiKeys', this.ctx.logger);
  }

  async update(uid: string, update: ApiKeyUpdate): Promise<void> {
    requireUid(uid, 'apiKeys.update');
    await this.ctx.api.PUT(`${KEYS}/{uid}`, { params: { path: { uid } }, body: update });
  }

  async delete(uid: string): Promise<void> {
    requireUid(uid, 'apiKeys.delete');
    await this.ctx.api.DELETE(`${KEYS}/{uid}`, { params: { path: { uid } } });
  }

  /** PUT /v1/apiKeys/{uid}/state: revoke (false) or re-activate (true). */
  async setState(uid: string, isActive: boolean): Promise<void> {
    requireUid(uid, 'apiKeys.setState');
    await this.ctx.api.PUT(`${KEYS}/{uid}/state`, { params: { path: { uid } }, body: { isActive } });
  }

  /** PATCH /v1/apiKeys/{uid}: activate (true) or deactivate (false). */
  async setActive(uid: string, isActive: boolean): Promise<void> {
    requireUid(uid, 'apiKeys.setActive');
    await this.ctx.api.PATCH(`${KEYS}/{uid}`, { params: { path: { uid } }, body: { isActive } });
  }
}
