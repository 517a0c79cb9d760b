/**
 * The S3 backup location: the tenant's bucket, with the AWS principal's credentials (credentials.ts). Not
 * validated here: the readiness gate validated the bucket with these credentials before Registrations.
 *
 * Seed 003's optional fields (request `register.backupLocation`): `s3Url` (a custom endpoint the backup agents use,
 * sent as `config.s3Url`), `forcePathStyle` (`config.s3ForcePathStyle`, true whenever s3Url is given) and `caCert`
 * (`config.caCert`, the PEM CA the endpoint chains to). s3Url and caCert are the request's: one it leaves out is
 * removed from the location; forcePathStyle is managed only when the request gives it (or s3Url), else Palette's value
 * is kept. The workflow does not probe the custom endpoint (it may be reachable from the clusters only, e.g. a VPC
 * endpoint); ValidateRequest applies the backup endpoint rule to it (lambdas/domain/endpoints.ts).
 */
import type { S3Location } from '../../palette';
import { paletteAwsCredentials, sameCredentials } from '../../onboarding/credentials';
import { locationReconciler, type LocationDesired } from '../location';
import { awsInputs } from './cloud-account';

type S3Config = NonNullable<S3Location['spec']>['config'];

/** The config without the fields the request owns (s3Url, caCert): what a merge keeps of the current one. */
function withoutRequestFields(c: S3Config | undefined): Partial<S3Config> {
  if (!c) return {};
  const { s3Url: _url, caCert: _ca, ...rest } = c;
  return rest;
}

export const backupLocation = locationReconciler<'backupLocation', S3Config, LocationDesired<S3Config>>({
  type: 's3',
  endpoints: (scope) => scope.backupLocations.s3,
  async desired(ctx) {
    const { palette, principal, plan } = awsInputs(ctx);
    const credentials = await paletteAwsCredentials(plan, principal, palette);
    const e = ctx.entry;
    return {
      config: {
        bucketName: plan.bucketName,
        region: plan.target.region,
        credentials,
        ...(e.s3Url ? { s3Url: e.s3Url } : {}),
        ...(e.forcePathStyle !== undefined ? { s3ForcePathStyle: e.forcePathStyle } : {}),
        ...(e.caCert ? { caCert: e.caCert } : {}),
      },
      isDefault: e.isDefault,
    };
  },
  // Secrets come back masked: the access key id (static) or the role and external ID (sts) identify the credentials.
  sameConfig: (c, d) =>
    c?.bucketName === d.config.bucketName &&
    c.region === d.config.region &&
    sameCredentials(c.credentials, d.config.credentials) &&
    (c.s3Url || undefined) === d.config.s3Url &&
    (c.caCert || undefined) === d.config.caCert &&
    (d.config.s3ForcePathStyle === undefined || (c.s3ForcePathStyle ?? true) === d.config.s3ForcePathStyle),
  // Fields this workflow does not manage (useRestic, a forcePathStyle the request leaves out) are kept.
  merge: (c, d) => ({ ...withoutRequestFields(c), ...d.config }),
});
