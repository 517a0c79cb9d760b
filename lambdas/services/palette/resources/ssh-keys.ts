/** SSH keys (/v1/users/assets/sshkeys), tenant or project scope. */
import type { SshKey, SshKeyEntity } from '../types';
import { createdUid, nameFilter, pickByName, requireData, requireUid, type ResourceContext } from './shared';

const SSH = '/v1/users/assets/sshkeys';

export class SshKeys {
  constructor(private readonly ctx: ResourceContext) {}

  /** POST -> uid. Not retried after the request may have been applied: use findByName first. */
  async create(key: SshKeyEntity): Promise<string> {
    const res = await this.ctx.api.POST(SSH, { body: key, headers: this.ctx.headers });
    return createdUid(res, { method: 'POST', path: SSH });
  }

  async get(uid: string): Promise<SshKey> {
    requireUid(uid, 'sshKeys.get');
    const res = await this.ctx.api.GET(`${SSH}/{uid}`, { params: { path: { uid } }, headers: this.ctx.headers });
    return requireData(res, { method: 'GET', path: `${SSH}/${uid}` });
  }

  /** The list is not paged by Palette. */
  async list(): Promise<SshKey[]> {
    return this.listFiltered(undefined);
  }

  /** The key named `name`: one request, Palette filtering by name (shared.ts nameFilter); the oldest of several. */
  async findByName(name: string): Promise<SshKey | undefined> {
    return pickByName(await this.listFiltered(nameFilter(name)), name, 'sshKeys', this.ctx.logger);
  }

  private async listFiltered(filters: string | undefined): Promise<SshKey[]> {
    const query = filters === undefined ? {} : { filters };
    const res = await this.ctx.api.GET(SSH, { params: { query }, headers: this.ctx.headers });
    return requireData(res, { method: 'GET', path: SSH }).items ?? [];
  }

  async update(uid: string, key: SshKey): Promise<void> {
    requireUid(uid, 'sshKeys.update');
    await this.ctx.api.PUT(`${SSH}/{uid}`, { params: { path: { uid } }, body: key, headers: this.ctx.headers });
  }

  async delete(uid: string): Promise<void> {
    requireUid(uid, 'sshKeys.delete');
    await this.ctx.api.DELETE(`${SSH}/{uid}`, { params: { path: { uid } }, headers: this.ctx.headers });
  }
}
