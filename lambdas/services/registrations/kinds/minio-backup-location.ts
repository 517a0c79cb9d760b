/**
 * The MinIO (S3-compatible) backup location, with static keys read from the tenant's secret. Palette has no MinIO
 * validate, so before every create or update the workflow probes the endpoint itself with the location's own
 * keys (not the Lambda's role), the way a backup agent uses it.
 */
import { backupEndpointProblem } from '../../../domain/endpoints';
import { loadEnv } from '../../../shared/env';
import { AwsThrottledError, AwsTransientError, MinioValidationError, RequestValidationError } from '../../../shared/errors';
import { AccessKeySecretSchema } from '../../onboarding/credentials';
import type { S3Location } from '../../palette';
import { locationReconciler, type LocationDesired } from '../location';
import type { MinioTarget } from './minio-probe';

export type { MinioTarget } from './minio-probe';

type S3Config = NonNullable<S3Location['spec']>['config'];

/** The probe object's key of a tenant's MinIO location (MinioTarget.probeKey). */
export const minioProbeKey = (tenantId: string, locationName: string) => `palette-onboarding-validate-${tenantId}-${locationName}`;

const THROTTLE_CODES = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequests', 'RequestLimitExceeded']);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'TimeoutError', 'RequestTimeout', 'InternalError', 'ServiceUnavailable']);

interface SdkErrorShape {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** A probe failure as a named error naming the action, bucket and endpoint; the keys are scrubbed from the text. */
function probeFailure(action: string, t: MinioTarget, e: unknown): Error {
  const s = (typeof e === 'object' && e !== null ? e : {}) as SdkErrorShape;
  const status = s.$metadata?.httpStatusCode;
  const rawCode = s.Code ?? s.code ?? s.name ?? 'UnknownError';
  // HEAD responses have no body: the SDK reports the bare status ("403", "NotFound").
  const code =
    rawCode === '403' || (status === 403 && rawCode === 'Forbidden')
      ? 'AccessDenied'
      : rawCode === '404' || rawCode === 'NotFound'
        ? 'NoSuchBucket'
        : rawCode;
  let detail = s.message && s.message !== rawCode && !/^UnknownError$/.test(s.message) ? `: ${s.message}` : '';
  for (const secret of [t.secretAccessKey, t.accessKeyId]) if (secret) detail = detail.split(secret).join('****');
  const verb = code === 'AccessDenied' || code === 'AccessDeniedException' ? 'denied' : 'failed';
  const where = `${action} ${verb} on bucket '${t.bucket}' at ${t.endpoint}: ${code}${detail}`;
  const options = { cause: e };
  if (THROTTLE_CODES.has(code) || status === 429 || status === 503) return new AwsThrottledError(where, options);
  if (TRANSIENT_CODES.has(code) || (status !== undefined && status >= 500)) return new AwsTransientError(where, options);
  return new MinioValidationError(`MinIO backup location check failed: ${where}`, options);
}

/**
 * Checks an S3-compatible endpoint the way a backup agent uses it, with the location's own static keys:
 * HeadBucket (s3:ListBucket), then PutObject, ListObjectsV2 and DeleteObject of a small probe object (the
 * probe is removed even when listing fails). Throws MinioValidationError naming the failed action.
 */
export async function probeMinioBucket(t: MinioTarget): Promise<void> {
  // Loaded only here: the S3 client stays out of the bundles of the functions that never probe (cdk/lib/handler-bundles.ts LAZY_MODULES).
  const { runMinioProbe } = await import('./minio-probe');
  await runMinioProbe(t, (action, e) => probeFailure(action, t, e));
}

interface MinioDesired extends LocationDesired<S3Config> {
  /** The probe's target (with the keys: used for the probe only). */
  probe: MinioTarget;
}

export const minioBackupLocation = locationReconciler<'minioBackupLocation', S3Config, MinioDesired>({
  type: 'minio',
  endpoints: (scope) => scope.backupLocations.minio,
  async desired(ctx) {
    const p = ctx.entry;
    const key = await ctx.credentials.json('credentialsSecretArn', AccessKeySecretSchema);
    return {
      config: {
        bucketName: p.bucket,
        region: p.region,
        s3Url: p.s3Url,
        s3ForcePathStyle: true,
        credentials: { credentialType: 'secret', accessKey: key.accessKeyId, secretKey: key.secretAccessKey },
        ...(p.caCert ? { caCert: p.caCert } : {}),
      },
      isDefault: p.isDefault,
      probe: {
        endpoint: p.s3Url,
        bucket: p.bucket,
        region: p.region,
        accessKeyId: key.accessKeyId,
        secretAccessKey: key.secretAccessKey,
        ...(p.caCert ? { caCert: p.caCert } : {}),
        probeKey: minioProbeKey(ctx.plan.tenantId, ctx.name),
      },
    };
  },
  // secretKey comes back masked: the access key id identifies the credentials; a new secret key for the same id is
  // seen by the reconciler's fingerprint of the secret version.
  sameConfig: (c, d) =>
    c?.bucketName === d.config.bucketName &&
    c.region === d.config.region &&
    c.s3Url === d.config.s3Url &&
    (c.s3ForcePathStyle ?? true) &&
    (c.caCert ?? undefined) === d.config.caCert &&
    (c.credentials.credentialType ?? 'secret') === 'secret' &&
    c.credentials.accessKey === d.config.credentials.accessKey,
  // useRestic is not this workflow's: kept as it is.
  merge: (c, d) => ({ ...(c?.useRestic !== undefined ? { useRestic: c.useRestic } : {}), ...d.config }),
  validate: async (ctx, d) => {
    // Defence in depth (ValidateRequest checked it first): the keys go to this endpoint in the probe, and through
    // Palette to every backup agent.
    const problem = backupEndpointProblem(d.probe.endpoint, loadEnv().ALLOW_INSECURE_ENDPOINTS);
    if (problem) throw new RequestValidationError([{ path: `${ctx.kind.requestPath}.s3Url`, message: problem }]);
    await probeMinioBucket(d.probe);
  },
});
