/**
 * The S3 backup location: the tenant's bucket, with the AWS principal's credentials (credentials.ts). Not
 * validated here: the readiness gate validated the bucket with these credentials before Registrations.
 */
import type { S3Location } from '../../palette';
import { paletteAwsCredentials, sameCredentials } from '../../onboarding/credentials';
import { locationReconciler, type LocationDesired } from '../location';
import { awsInputs } from './cloud-account';

type S3Config = NonNullable<S3Location['spec']>['config'];

export const backupLocation = locationReconciler<'backupLocation', S3Config, LocationDesired<S3Config>>({
  type: 's3',
  endpoints: (scope) => scope.backupLocations.s3,
  async desired(ctx) {
    const { palette, principal } = awsInputs(ctx);
    const credentials = await paletteAwsCredentials(ctx.plan, principal, palette);
    return { config: { bucketName: ctx.plan.bucketName, region: ctx.plan.target.region, credentials }, isDefault: ctx.entry.isDefault };
  },
  // Secrets come back masked: the access key id (static) or the role and external ID (sts) identify the credentials.
  sameConfig: (c, d) =>
    c?.bucketName === d.config.bucketName && c.region === d.config.region && sameCredentials(c.credentials, d.config.credentials),
  merge: (c, d) => ({ ...c, ...d.config }),
});
