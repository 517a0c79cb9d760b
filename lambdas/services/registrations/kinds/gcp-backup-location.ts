/**
 * The GCP backup location: a GCS bucket with a service-account key read from the tenant's secret (the whole key
 * file). Validated with Palette's bucket validate before every create or update; Palette masks the key, so a new
 * key in the secret is seen by the reconciler's fingerprint of the secret version.
 */
import { ConfigurationError } from '../../../shared/errors';
import type { GcpLocation } from '../../palette';
import { locationReconciler, type LocationDesired } from '../location';

type GcpConfig = NonNullable<GcpLocation['spec']>['config'];

const GCP_KEY_FIELDS = ['type', 'project_id', 'private_key', 'client_email'] as const;

/**
 * The whole service-account key document (the secret's text), checked for the fields Palette needs. Errors name
 * the secret and the missing fields, never a value.
 */
export function gcpServiceAccountKey(secretArn: string, secretText: string): string {
  const text = secretText.trim();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigurationError(`GCP credentials secret ${secretArn} is not valid JSON (expected a service account key file)`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigurationError(`GCP credentials secret ${secretArn} is not a JSON object (expected a service account key file)`);
  }
  const doc = json as Record<string, unknown>;
  const missing = GCP_KEY_FIELDS.filter((k) => typeof doc[k] !== 'string' || doc[k] === '');
  if (missing.length > 0) {
    throw new ConfigurationError(
      `GCP credentials secret ${secretArn} is not a service account key: missing ${missing.map((k) => `"${k}"`).join(', ')}`,
    );
  }
  if (doc.type !== 'service_account') {
    throw new ConfigurationError(`GCP credentials secret ${secretArn} is not a service account key: "type" must be "service_account"`);
  }
  return text;
}

export const gcpBackupLocation = locationReconciler<'gcpBackupLocation', GcpConfig, LocationDesired<GcpConfig>>({
  type: 'gcp',
  endpoints: (scope) => scope.backupLocations.gcp,
  async desired(ctx) {
    const { bucket, projectId, credentialsSecretArn, isDefault } = ctx.entry;
    const jsonCredentials = gcpServiceAccountKey(credentialsSecretArn, await ctx.credentials.text('credentialsSecretArn'));
    return { config: { bucketName: bucket, projectId, credentials: { jsonCredentials } }, isDefault };
  },
  // jsonCredentials comes back masked: only bucket and project can be compared (and the fingerprint, by the reconciler).
  sameConfig: (c, d) => c?.bucketName === d.config.bucketName && c.projectId === d.config.projectId,
  merge: (c, d) => ({ ...c, ...d.config }),
  validate: (ctx, d) =>
    ctx.scope.clouds.validateGcpBucketName({
      bucketName: d.config.bucketName,
      ...(d.config.projectId ? { projectId: d.config.projectId } : {}),
      credentials: { jsonCredentials: d.config.credentials.jsonCredentials },
    }),
});
