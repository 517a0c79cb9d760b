/** /v1/clouds/...: Palette's STS identity and the credential/bucket validate endpoints (204 = valid). */
import type {
  AwsAccountSts,
  AwsCloudAccount,
  AwsPartition,
  AwsPolicyArnsSpec,
  AwsS3BucketCredentials,
  AzureCloudAccount,
  GcpAccountValidateEntity,
  GcpBucketNameValidateSpec,
} from '../types';
import { requireData, type ResourceContext } from './shared';

const STS = '/v1/clouds/aws/account/sts';

export class Clouds {
  constructor(private readonly ctx: ResourceContext) {}

  /** GET /v1/clouds/aws/account/sts: the AWS account id Palette assumes roles from and this tenant's external id. */
  async getAwsAccountSts(partition?: AwsPartition): Promise<AwsAccountSts> {
    const query = partition === undefined ? {} : { partition };
    const res = await this.ctx.api.GET(STS, { params: { query }, headers: this.ctx.headers });
    return requireData(res, { method: 'GET', path: STS });
  }

  async validateAwsAccount(spec: AwsCloudAccount): Promise<void> {
    await this.ctx.api.POST('/v1/clouds/aws/account/validate', { body: spec, headers: this.ctx.headers });
  }

  async validateAwsPolicyArns(spec: AwsPolicyArnsSpec, options: { cloudAccountUid?: string } = {}): Promise<void> {
    const query = options.cloudAccountUid === undefined ? {} : { cloudAccountUid: options.cloudAccountUid };
    await this.ctx.api.POST('/v1/clouds/aws/policyArns/validate', { params: { query }, body: spec, headers: this.ctx.headers });
  }

  async validateAzureAccount(spec: AzureCloudAccount): Promise<void> {
    await this.ctx.api.POST('/v1/clouds/azure/account/validate', { body: spec, headers: this.ctx.headers });
  }

  /** POST /v1/clouds/aws/s3/validate: bucket, region and credentials of an S3 backup location. */
  async validateS3Bucket(spec: AwsS3BucketCredentials): Promise<void> {
    await this.ctx.api.POST('/v1/clouds/aws/s3/validate', { body: spec, headers: this.ctx.headers });
  }

  /** POST /v1/clouds/gcp/bucketname/validate: bucket and JSON credentials of a GCP backup location. */
  async validateGcpBucketName(spec: GcpBucketNameValidateSpec): Promise<void> {
    await this.ctx.api.POST('/v1/clouds/gcp/bucketname/validate', { body: spec, headers: this.ctx.headers });
  }

  /** POST /v1/clouds/gcp/account/validate: GCP JSON credentials only. */
  async validateGcpAccount(entity: GcpAccountValidateEntity): Promise<void> {
    await this.ctx.api.POST('/v1/clouds/gcp/account/validate', { body: entity, headers: this.ctx.headers });
  }
}
