/**
 * System console configuration (/v1/system/config/...). Needs a client authenticated with `type: 'system'` (syslogin).
 */
import { PaletteApiError, PaletteNotFoundError } from '../errors';
import type { SystemAwsAccount, SystemAwsStsAccount, SystemReverseProxy } from '../types';
import { requireData, type ResourceContext } from './shared';

const STS = '/v1/system/config/aws/sts/account';
const GOV_STS = '/v1/system/config/awsgov/sts/account';
const AWS_ACCOUNT = '/v1/system/config/aws/account';
const REVERSE_PROXY = '/v1/system/config/reverseproxy';

/** PUT answered "no such route/method": the documented POST is tried instead. */
function putUnsupported(error: unknown): boolean {
  return error instanceof PaletteNotFoundError || (error instanceof PaletteApiError && error.status === 405);
}

export class SystemConfig {
  constructor(private readonly ctx: ResourceContext) {}

  async getAwsStsAccount(): Promise<SystemAwsStsAccount> {
    const res = await this.ctx.api.GET(STS, {});
    return requireData(res, { method: 'GET', path: STS });
  }

  /**
   * Sets the AWS account Palette uses for STS: PUT (the spec), falling back to POST (what the docs show, not in the
   * spec) when PUT answers 404 or 405. Returns the method that succeeded.
   */
  async setAwsStsAccount(account: SystemAwsStsAccount): Promise<'PUT' | 'POST'> {
    try {
      await this.ctx.api.PUT(STS, { body: account });
      return 'PUT';
    } catch (error) {
      if (!putUnsupported(error)) throw error;
      this.ctx.logger.info('PUT on the system STS account was not accepted; using POST as documented', { path: STS });
    }
    await this.ctx.inferred.POST(STS, { body: account });
    return 'POST';
  }

  async getAwsGovStsAccount(): Promise<SystemAwsStsAccount> {
    const res = await this.ctx.api.GET(GOV_STS, {});
    return requireData(res, { method: 'GET', path: GOV_STS });
  }

  /** Sets the GovCloud STS account: PUT, falling back to the (official) POST on 404/405. */
  async setAwsGovStsAccount(account: SystemAwsStsAccount): Promise<'PUT' | 'POST'> {
    try {
      await this.ctx.api.PUT(GOV_STS, { body: account });
      return 'PUT';
    } catch (error) {
      if (!putUnsupported(error)) throw error;
      this.ctx.logger.info('PUT on the system GovCloud STS account was not accepted; using POST', { path: GOV_STS });
    }
    await this.createAwsGovStsAccount(account);
    return 'POST';
  }

  /** POST /v1/system/config/awsgov/sts/account (official). */
  async createAwsGovStsAccount(account: SystemAwsStsAccount): Promise<void> {
    await this.ctx.api.POST(GOV_STS, { body: account });
  }

  /** GET /v1/system/config/aws/account (the system "devops" AWS account: { spec: { accessKey, secretKey } }). */
  async getAwsAccount(): Promise<SystemAwsAccount> {
    const res = await this.ctx.api.GET(AWS_ACCOUNT, {});
    return requireData(res, { method: 'GET', path: AWS_ACCOUNT });
  }

  async updateAwsAccount(account: SystemAwsAccount): Promise<void> {
    await this.ctx.api.PUT(AWS_ACCOUNT, { body: account });
  }

  async getReverseProxy(): Promise<SystemReverseProxy> {
    const res = await this.ctx.api.GET(REVERSE_PROXY, {});
    return requireData(res, { method: 'GET', path: REVERSE_PROXY });
  }

  async updateReverseProxy(config: SystemReverseProxy): Promise<void> {
    await this.ctx.api.PUT(REVERSE_PROXY, { body: config });
  }
}
