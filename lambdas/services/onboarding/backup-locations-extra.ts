/**
 * The optional backup locations besides the S3 one (issue 6): GCP, MinIO and Azure, each with static
 * credentials read from a Secrets Manager secret. Like the S3 location (registrations.ts), each is found by
 * name, created if missing and updated if it drifted; created-by is stamped only on what this execution
 * creates, and compensation deletes only those.
 *
 * Validation before every create/update: GCP through Palette's bucket validate, Azure through Palette's Azure
 * account validate, MinIO with the workflow's own probe against the S3-compatible endpoint (Palette has no
 * MinIO validate), using the location's static keys (not the Lambda's role).
 */
import { randomBytes } from 'node:crypto';
import {
  DeleteObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { z } from 'zod';
import { CREATED_BY_TAG } from '../../domain/names';
import type { Plan, RegistrationResult } from '../../domain/workflow-state';
import { AwsThrottledError, AwsTransientError, ConfigurationError, MinioValidationError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import { readSecretJson, readSecretString } from '../../shared/secrets';
import type { UndoResult } from '../aws/bucket';
import type { AzureLocation, BackupLocationType, GcpLocation, PaletteScope, S3Location } from '../palette';
import { AccessKeySecretSchema } from './credentials';
import { paletteScope } from './palette';
import { annotationsConverged, ownedAnnotations } from './owned-annotations';

type GcpPlan = NonNullable<Plan['extras']['gcpBackupLocation']>;
type MinioPlan = NonNullable<Plan['extras']['minioBackupLocation']>;
type AzurePlan = NonNullable<Plan['extras']['azureBackupLocation']>;

// ---- shared -------------------------------------------------------------------------------------------------

interface LocationBody<C> {
  metadata?: { name?: string; annotations?: Record<string, string> };
  spec?: { config: C; isDefault?: boolean; type?: string };
}

/** One location type's endpoints, as TypedBackupLocations offers them. */
interface Endpoints<B> {
  create(body: B): Promise<string>;
  get(uid: string): Promise<B>;
  update(uid: string, body: B): Promise<void>;
}

interface EnsureSpec<C> {
  plan: Plan;
  scope: PaletteScope;
  type: BackupLocationType;
  endpoints: Endpoints<LocationBody<C>>;
  name: string;
  isDefault: boolean;
  /** The full wanted config (with secret values: sent to Palette only). */
  config: C;
  /** True when Palette's stored config (secrets masked) matches the wanted one. */
  sameConfig(current: C | undefined): boolean;
  /** The config to PUT on drift (the wanted one, keeping fields of the current one this workflow does not own). */
  merge(current: C | undefined): C;
  /** Runs before any create or update; throws a named error when the location would not work. */
  validate(): Promise<void>;
}

async function ensureLocation<C>(s: EnsureSpec<C>): Promise<RegistrationResult> {
  const { plan, name, isDefault, type } = s;
  const locations = s.scope.backupLocations;
  const found = await locations.findByName(name, type);
  if (!found?.metadata?.uid) {
    await s.validate();
    const uid = await s.endpoints.create({
      metadata: { name, annotations: ownedAnnotations(plan) },
      spec: { config: s.config, isDefault },
    });
    logger.info('Backup location created', { type, name, uid });
    return { uid, name, created: true, updated: false };
  }
  const uid = found.metadata.uid;
  const current = await s.endpoints.get(uid);
  const wantedAnnotations = ownedAnnotations(plan, current.metadata?.annotations ?? found.metadata.annotations ?? {});
  const converged =
    s.sameConfig(current.spec?.config) &&
    (current.spec?.isDefault ?? false) === isDefault &&
    annotationsConverged(current.metadata?.annotations, wantedAnnotations);
  if (converged) return { uid, name, created: false, updated: false };
  await s.validate();
  await s.endpoints.update(uid, {
    metadata: { name, annotations: wantedAnnotations },
    spec: { config: s.merge(current.spec?.config), isDefault },
  });
  if (isDefault && !current.spec?.isDefault) await locations.setDefault(type, uid);
  logger.info('Backup location updated', { type, name, uid });
  return { uid, name, created: false, updated: true };
}

/** Deletes the location named `name` of `type` if this execution created it; otherwise reports it retained. */
async function undoLocation(
  scope: PaletteScope,
  type: BackupLocationType,
  name: string,
  get: (uid: string) => Promise<{ metadata?: { annotations?: Record<string, string> } }>,
  executionName: string,
  result: UndoResult,
): Promise<void> {
  const found = await scope.backupLocations.findByName(name, type);
  const uid = found?.metadata?.uid;
  if (!uid) return;
  const full = await get(uid);
  const id = `palette:backup-location/${uid}`;
  const createdBy = (full.metadata?.annotations ?? found.metadata?.annotations)?.[CREATED_BY_TAG];
  if (createdBy === executionName) {
    await scope.backupLocations.delete(uid);
    result.deleted.push(id);
  } else {
    result.retained.push({ id, reason: `${type} backup location '${name}' was not created by this execution` });
  }
}

function requirePart<T>(part: T | undefined, what: string): T {
  if (part === undefined) throw new ConfigurationError(`the plan has no ${what} (plan.extras)`);
  return part;
}

// ---- GCP ----------------------------------------------------------------------------------------------------

const GCP_KEY_FIELDS = ['type', 'project_id', 'private_key', 'client_email'] as const;

/**
 * The whole service-account key document from the secret, checked for the fields Palette needs. Errors name
 * the secret and the missing fields, never a value.
 */
export async function readGcpServiceAccountKey(secretArn: string): Promise<string> {
  const text = (await readSecretString(secretArn)).trim();
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

type GcpConfig = NonNullable<GcpLocation['spec']>['config'];

export async function ensureGcpBackupLocation(plan: Plan): Promise<RegistrationResult> {
  const p: GcpPlan = requirePart(plan.extras.gcpBackupLocation, 'GCP backup location');
  const jsonCredentials = await readGcpServiceAccountKey(p.credentialsSecretArn);
  const scope = paletteScope(plan);
  const config: GcpConfig = { bucketName: p.bucket, projectId: p.projectId, credentials: { jsonCredentials } };
  return ensureLocation<GcpConfig>({
    plan,
    scope,
    type: 'gcp',
    endpoints: scope.backupLocations.gcp,
    name: p.name,
    isDefault: p.isDefault,
    config,
    // jsonCredentials comes back masked: only bucket and project can be compared.
    sameConfig: (c) => c?.bucketName === p.bucket && c.projectId === p.projectId,
    merge: (c) => ({ ...c, ...config }),
    validate: () =>
      scope.clouds.validateGcpBucketName({ bucketName: p.bucket, projectId: p.projectId, credentials: { jsonCredentials } }),
  });
}

// ---- MinIO --------------------------------------------------------------------------------------------------

type S3Config = NonNullable<S3Location['spec']>['config'];

export interface MinioTarget {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  caCert?: string;
}

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
  const client = new S3Client({
    endpoint: t.endpoint,
    region: t.region,
    forcePathStyle: true,
    credentials: { accessKeyId: t.accessKeyId, secretAccessKey: t.secretAccessKey },
    maxAttempts: 2,
    // S3-compatible servers do not all support the SDK's default CRC checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      connectionTimeout: 5_000,
      requestTimeout: 15_000,
      ...(t.caCert ? { httpsAgent: { ca: t.caCert } } : {}),
    },
  });
  const key = `palette-onboarding-validate-${randomBytes(6).toString('hex')}`;
  try {
    try {
      await client.send(new HeadBucketCommand({ Bucket: t.bucket }));
    } catch (e) {
      throw probeFailure('s3:ListBucket (HeadBucket)', t, e);
    }
    try {
      await client.send(new PutObjectCommand({ Bucket: t.bucket, Key: key, Body: 'palette-onboarding backup location probe' }));
    } catch (e) {
      throw probeFailure('s3:PutObject', t, e);
    }
    let listError: Error | undefined;
    try {
      await client.send(new ListObjectsV2Command({ Bucket: t.bucket, Prefix: key, MaxKeys: 1 }));
    } catch (e) {
      listError = probeFailure('s3:ListBucket (ListObjectsV2)', t, e);
    }
    try {
      await client.send(new DeleteObjectCommand({ Bucket: t.bucket, Key: key }));
    } catch (e) {
      throw listError ?? probeFailure('s3:DeleteObject', t, e);
    }
    if (listError) throw listError;
  } finally {
    client.destroy();
  }
}

export async function ensureMinioBackupLocation(plan: Plan): Promise<RegistrationResult> {
  const p: MinioPlan = requirePart(plan.extras.minioBackupLocation, 'MinIO backup location');
  const key = await readSecretJson(p.credentialsSecretArn, AccessKeySecretSchema);
  const scope = paletteScope(plan);
  const config: S3Config = {
    bucketName: p.bucket,
    region: p.region,
    s3Url: p.s3Url,
    s3ForcePathStyle: true,
    credentials: { credentialType: 'secret', accessKey: key.accessKeyId, secretKey: key.secretAccessKey },
    ...(p.caCert ? { caCert: p.caCert } : {}),
  };
  return ensureLocation<S3Config>({
    plan,
    scope,
    type: 'minio',
    endpoints: scope.backupLocations.minio,
    name: p.name,
    isDefault: p.isDefault,
    config,
    // secretKey comes back masked: the access key id identifies the credentials.
    sameConfig: (c) =>
      c?.bucketName === p.bucket &&
      c.region === p.region &&
      c.s3Url === p.s3Url &&
      (c.s3ForcePathStyle ?? true) &&
      (c.caCert ?? undefined) === p.caCert &&
      (c.credentials.credentialType ?? 'secret') === 'secret' &&
      c.credentials.accessKey === key.accessKeyId,
    merge: (c) => ({ ...(c?.useRestic !== undefined ? { useRestic: c.useRestic } : {}), ...config }),
    validate: () =>
      probeMinioBucket({
        endpoint: p.s3Url,
        bucket: p.bucket,
        region: p.region,
        accessKeyId: key.accessKeyId,
        secretAccessKey: key.secretAccessKey,
        ...(p.caCert ? { caCert: p.caCert } : {}),
      }),
  });
}

// ---- Azure --------------------------------------------------------------------------------------------------

type AzureConfig = NonNullable<AzureLocation['spec']>['config'];

export const AzureCredentialsSecretSchema = z.object({
  tenantId: z.string().min(1),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
});

/** The request's cloud as the location credentials' clientCloud. */
const CLIENT_CLOUD = { AzurePublicCloud: 'public', AzureUSGovernmentCloud: 'azure-government' } as const;

export async function ensureAzureBackupLocation(plan: Plan): Promise<RegistrationResult> {
  const p: AzurePlan = requirePart(plan.extras.azureBackupLocation, 'Azure backup location');
  const secret = await readSecretJson(p.credentialsSecretArn, AzureCredentialsSecretSchema);
  const scope = paletteScope(plan);
  const clientCloud = CLIENT_CLOUD[p.cloud];
  const config: AzureConfig = {
    containerName: p.container,
    storageName: p.storageAccount,
    resourceGroup: p.resourceGroup,
    ...(p.sku ? { sku: p.sku } : {}),
    credentials: {
      clientCloud,
      tenantId: secret.tenantId,
      clientId: secret.clientId,
      clientSecret: secret.clientSecret,
      subscriptionId: p.subscriptionId,
    },
  };
  return ensureLocation<AzureConfig>({
    plan,
    scope,
    type: 'azure',
    endpoints: scope.backupLocations.azure,
    name: p.name,
    isDefault: p.isDefault,
    config,
    // clientSecret comes back masked: compare everything else.
    sameConfig: (c) =>
      c?.containerName === p.container &&
      c.storageName === p.storageAccount &&
      c.resourceGroup === p.resourceGroup &&
      (c.sku ?? undefined) === p.sku &&
      (c.credentials.clientCloud ?? 'public') === clientCloud &&
      c.credentials.tenantId === secret.tenantId &&
      c.credentials.clientId === secret.clientId &&
      c.credentials.subscriptionId === p.subscriptionId,
    merge: () => config,
    validate: () =>
      scope.clouds.validateAzureAccount({
        tenantId: secret.tenantId,
        clientId: secret.clientId,
        clientSecret: secret.clientSecret,
        azureEnvironment: p.cloud,
      }),
  });
}

// ---- compensation -------------------------------------------------------------------------------------------

/** Deletes the GCP, MinIO and Azure locations of the plan that this execution created (by created-by). */
export async function undoExtraBackupLocations(plan: Plan, executionName: string): Promise<UndoResult> {
  const result: UndoResult = { deleted: [], retained: [] };
  const { gcpBackupLocation: gcp, minioBackupLocation: minio, azureBackupLocation: azure } = plan.extras;
  if (!gcp && !minio && !azure) return result;
  const scope = paletteScope(plan);
  const l = scope.backupLocations;
  const parts: [BackupLocationType, string | undefined, (uid: string) => Promise<LocationBody<unknown>>][] = [
    ['gcp', gcp?.name, (uid) => l.gcp.get(uid)],
    ['minio', minio?.name, (uid) => l.minio.get(uid)],
    ['azure', azure?.name, (uid) => l.azure.get(uid)],
  ];
  // Each location is undone even when another fails; the first failure is rethrown with its own name (so the
  // state machine's retry policy applies) after the others were tried. A re-run is idempotent.
  let firstError: unknown;
  for (const [type, name, get] of parts) {
    if (name === undefined) continue;
    try {
      await undoLocation(scope, type, name, get, executionName, result);
    } catch (e) {
      logger.warn('Could not undo backup location', { type, name, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
      firstError ??= e;
    }
  }
  if (firstError !== undefined) throw firstError;
  return result;
}
