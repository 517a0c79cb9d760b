/**
 * AWS and Azure cloud accounts (/v1/cloudaccounts/{aws,azure}) plus their validate calls.
 * findByName asks Palette for the name (`filters=metadata.name=<name>`, shared.ts nameFilter): one request whatever
 * the number of accounts, paging only if the filtered list itself has more than one page; the exact match is checked
 * on the client.
 */
import type { AwsAccount, AwsCloudAccount, AzureAccount, AzureCloudAccount } from '../types';
import { createdUid, listAllPages, nameFilter, pickByName, requireData, requireUid, type ResourceContext } from './shared';

const AWS = '/v1/cloudaccounts/aws';
const AZURE = '/v1/cloudaccounts/azure';

export class AwsCloudAccounts {
  constructor(private readonly ctx: ResourceContext) {}

  /** POST /v1/cloudaccounts/aws -> uid. Not retried after the request may have been applied: use findByName first. */
  async create(account: AwsAccount): Promise<string> {
    const res = await this.ctx.api.POST(AWS, { body: account, headers: this.ctx.headers });
    return createdUid(res, { method: 'POST', path: AWS });
  }

  async get(uid: string, options: { assumeCredentials?: boolean } = {}): Promise<AwsAccount> {
    requireUid(uid, 'cloudAccounts.aws.get');
    const query = options.assumeCredentials === undefined ? {} : { assumeCredentials: options.assumeCredentials };
    const res = await this.ctx.api.GET(`${AWS}/{uid}`, { params: { path: { uid }, query }, headers: this.ctx.headers });
    return requireData(res, { method: 'GET', path: `${AWS}/${uid}` });
  }

  /** Every AWS account in scope (all pages). */
  async list(): Promise<AwsAccount[]> {
    return this.listPages(undefined);
  }

  /** The account named `name` (Palette filters by name; see nameFilter), the oldest of several. */
  async findByName(name: string): Promise<AwsAccount | undefined> {
    return pickByName(await this.listPages(nameFilter(name)), name, 'cloudAccounts.aws', this.ctx.logger);
  }

  private async listPages(filters: string | undefined): Promise<AwsAccount[]> {
    return listAllPages(async (page) => {
      const query = filters === undefined ? page : { ...page, filters };
      const res = await this.ctx.api.GET(AWS, { params: { query }, headers: this.ctx.headers });
      return requireData(res, { method: 'GET', path: AWS });
    }, { method: 'GET', path: AWS });
  }

  async update(uid: string, account: AwsAccount): Promise<void> {
    requireUid(uid, 'cloudAccounts.aws.update');
    await this.ctx.api.PUT(`${AWS}/{uid}`, { params: { path: { uid } }, body: account, headers: this.ctx.headers });
  }

  async delete(uid: string): Promise<void> {
    requireUid(uid, 'cloudAccounts.aws.delete');
    await this.ctx.api.DELETE(`${AWS}/{uid}`, { params: { path: { uid } }, headers: this.ctx.headers });
  }

  /** POST /v1/clouds/aws/account/validate with the bare spec (204 when valid). */
  async validate(spec: AwsCloudAccount): Promise<void> {
    await this.ctx.api.POST('/v1/clouds/aws/account/validate', { body: spec, headers: this.ctx.headers });
  }
}

export class AzureCloudAccounts {
  constructor(private readonly ctx: ResourceContext) {}

  /** POST /v1/cloudaccounts/azure -> uid. Not retried after the request may have been applied: use findByName first. */
  async create(account: AzureAccount): Promise<string> {
    const res = await this.ctx.api.POST(AZURE, { body: account, headers: this.ctx.headers });
    return createdUid(res, { method: 'POST', path: AZURE });
  }

  async get(uid: string): Promise<AzureAccount> {
    requireUid(uid, 'cloudAccounts.azure.get');
    const res = await this.ctx.api.GET(`${AZURE}/{uid}`, { params: { path: { uid } }, headers: this.ctx.headers });
    return requireData(res, { method: 'GET', path: `${AZURE}/${uid}` });
  }

  /** Every Azure account in scope (all pages). */
  async list(): Promise<AzureAccount[]> {
    return this.listPages(undefined);
  }

  /** The account named `name` (Palette filters by name; see nameFilter), the oldest of several. */
  async findByName(name: string): Promise<AzureAccount | undefined> {
    return pickByName(await this.listPages(nameFilter(name)), name, 'cloudAccounts.azure', this.ctx.logger);
  }

  private async listPages(filters: string | undefined): Promise<AzureAccount[]> {
    return listAllPages(async (page) => {
      const query = filters === undefined ? page : { ...page, filters };
      const res = await this.ctx.api.GET(AZURE, { params: { query }, headers: this.ctx.headers });
      return requireData(res, { method: 'GET', path: AZURE });
    }, { method: 'GET', path: AZURE });
  }

  async update(uid: string, account: AzureAccount): Promise<void> {
    requireUid(uid, 'cloudAccounts.azure.update');
    await this.ctx.api.PUT(`${AZURE}/{uid}`, { params: { path: { uid } }, body: account, headers: this.ctx.headers });
  }

  async delete(uid: string): Promise<void> {
    requireUid(uid, 'cloudAccounts.azure.delete');
    await this.ctx.api.DELETE(`${AZURE}/{uid}`, { params: { path: { uid } }, headers: this.ctx.headers });
  }

  /** POST /v1/clouds/azure/account/validate with the bare spec (204 when valid). */
  async validate(spec: AzureCloudAccount): Promise<void> {
    await this.ctx.api.POST('/v1/clouds/azure/account/validate', { body: spec, headers: this.ctx.headers });
  }
}
