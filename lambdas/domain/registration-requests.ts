/**
 * The optional parts of an onboarding request beyond AWS (issue 6): an Azure cloud account, an SSH key, a
 * Palette API key, and GCP / MinIO / Azure backup locations. Each is a new optional top-level section, so a
 * request without them is unchanged. Secrets are given (and stored) as Secrets Manager references only.
 */
import { z } from 'zod';

const SECRET_ARN = /^arn:aws(-us-gov)?:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
const secretArn = (what: string) =>
  z.string().regex(SECRET_ARN, 'must be a Secrets Manager secret ARN').describe(what);
const paletteName = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be 1-63 lowercase letters, digits and hyphens');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const AZURE_CLOUDS = ['AzurePublicCloud', 'AzureUSGovernmentCloud'] as const;

export const AzureAccountSchema = z.strictObject({
  name: paletteName.optional().describe('default <tenantId>-azure'),
  credentialsSecretArn: secretArn('JSON {"tenantId", "clientId", "clientSecret"} of the Azure app registration'),
  cloud: z.enum(AZURE_CLOUDS).default('AzurePublicCloud'),
  tenantName: z.string().min(1).max(128).optional(),
  disablePropertiesRequest: z.boolean().default(false).describe('Palette uses the given values instead of querying Azure'),
  privateCloudGatewayUid: z.string().min(1).optional().describe('private cloud gateway (PCG) the account uses'),
});

export const SshKeySchema = z
  .strictObject({
    name: paletteName.optional().describe('default <tenantId>-ssh'),
    publicKey: z
      .string()
      .regex(/^(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}( .*)?$/, 'must be an OpenSSH public key line')
      .optional()
      .describe('a key to upload; when absent a key pair is generated'),
    generate: z
      .strictObject({ bits: z.union([z.literal(2048), z.literal(3072), z.literal(4096)]).default(4096) })
      .optional()
      .describe('generate an RSA key pair (only RSA works for AKS); the private key goes to Secrets Manager'),
  })
  .superRefine((k, ctx) => {
    if (k.publicKey && k.generate) ctx.addIssue({ code: 'custom', path: ['generate'], message: 'give either publicKey or generate, not both' });
  });

export const API_KEY_EXPIRY_PRESETS = ['7d', '30d', '60d', '90d', '180d', '1y'] as const;

export const ApiKeySchema = z.strictObject({
  name: paletteName.optional().describe('default <tenantId>-automation'),
  description: z.string().max(256).optional(),
  ownerUserUid: z.string().min(1).optional().describe("default: the user owning the request's Palette API key"),
  expiry: z
    .union([z.enum(API_KEY_EXPIRY_PRESETS), z.iso.date().describe('custom expiry date (YYYY-MM-DD)')])
    .default('90d'),
});

const isDefault = z.boolean().default(false);

export const GcpBackupLocationSchema = z.strictObject({
  name: paletteName.optional().describe('default <tenantId>-gcs'),
  bucket: z.string().min(3).max(222),
  projectId: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a GCP project id'),
  credentialsSecretArn: secretArn('the service account JSON key (the whole JSON document)'),
  isDefault,
});

export const MinioBackupLocationSchema = z.strictObject({
  name: paletteName.optional().describe('default <tenantId>-minio'),
  bucket: z.string().min(3).max(63),
  region: z.string().min(1).default('us-east-1'),
  s3Url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  forcePathStyle: z.literal(true, { error: 'must be true: MinIO needs path-style requests' }).default(true),
  credentialsSecretArn: secretArn('JSON {"accessKeyId", "secretAccessKey"}'),
  caCert: z.string().includes('-----BEGIN CERTIFICATE-----', { error: 'must be a PEM certificate' }).optional(),
  isDefault,
});

export const AzureBackupLocationSchema = z.strictObject({
  name: paletteName.optional().describe('default <tenantId>-azure-blob'),
  container: z.string().regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'must be an Azure container name'),
  storageAccount: z.string().regex(/^[a-z0-9]{3,24}$/, 'must be an Azure storage account name'),
  sku: z.string().min(1).optional(),
  resourceGroup: z.string().min(1).max(90),
  subscriptionId: z.string().regex(UUID, 'must be a subscription id (UUID)'),
  credentialsSecretArn: secretArn('JSON {"tenantId", "clientId", "clientSecret"}'),
  cloud: z.enum(AZURE_CLOUDS).default('AzurePublicCloud'),
  isDefault,
});

export const BackupLocationsSchema = z.strictObject({
  gcp: GcpBackupLocationSchema.optional(),
  minio: MinioBackupLocationSchema.optional(),
  azure: AzureBackupLocationSchema.optional(),
});

export type AzureAccountRequest = z.output<typeof AzureAccountSchema>;
export type SshKeyRequest = z.output<typeof SshKeySchema>;
export type ApiKeyRequest = z.output<typeof ApiKeySchema>;
export type BackupLocationsRequest = z.output<typeof BackupLocationsSchema>;

// ---- plan (normalized, names resolved) ---------------------------------------------------------------------

export const ExtrasPlanSchema = z.object({
  azureAccount: z
    .object({
      name: z.string(),
      credentialsSecretArn: z.string(),
      cloud: z.enum(AZURE_CLOUDS),
      tenantName: z.string().optional(),
      disablePropertiesRequest: z.boolean(),
      privateCloudGatewayUid: z.string().optional(),
    })
    .optional(),
  sshKey: z
    .object({
      name: z.string(),
      publicKey: z.string().optional(),
      generateBits: z.number().int().optional(),
      /** Where a generated private key is stored (home account). */
      privateKeySecretName: z.string(),
    })
    .optional(),
  apiKey: z
    .object({
      name: z.string(),
      description: z.string().optional(),
      ownerUserUid: z.string().optional(),
      expiry: z.string(),
      /** Where the key value is stored (home account). */
      valueSecretName: z.string(),
    })
    .optional(),
  gcpBackupLocation: GcpBackupLocationSchema.extend({ name: z.string() }).optional(),
  minioBackupLocation: MinioBackupLocationSchema.extend({ name: z.string() }).optional(),
  azureBackupLocation: AzureBackupLocationSchema.extend({ name: z.string() }).optional(),
});
export type ExtrasPlan = z.infer<typeof ExtrasPlanSchema>;

/** Names and secret names for the optional parts (defaults derived from the tenant id). */
export function extrasPlan(
  tenantId: string,
  r: { azure?: { cloudAccount: AzureAccountRequest }; sshKey?: SshKeyRequest; apiKey?: ApiKeyRequest; backupLocations?: BackupLocationsRequest },
): ExtrasPlan {
  const plan: ExtrasPlan = {};
  const az = r.azure?.cloudAccount;
  if (az) {
    plan.azureAccount = {
      name: az.name ?? `${tenantId}-azure`,
      credentialsSecretArn: az.credentialsSecretArn,
      cloud: az.cloud,
      disablePropertiesRequest: az.disablePropertiesRequest,
      ...(az.tenantName ? { tenantName: az.tenantName } : {}),
      ...(az.privateCloudGatewayUid ? { privateCloudGatewayUid: az.privateCloudGatewayUid } : {}),
    };
  }
  if (r.sshKey) {
    plan.sshKey = {
      name: r.sshKey.name ?? `${tenantId}-ssh`,
      privateKeySecretName: `palette-onboarding/${tenantId}/ssh-private-key`,
      ...(r.sshKey.publicKey ? { publicKey: r.sshKey.publicKey } : { generateBits: r.sshKey.generate?.bits ?? 4096 }),
    };
  }
  if (r.apiKey) {
    plan.apiKey = {
      name: r.apiKey.name ?? `${tenantId}-automation`,
      expiry: r.apiKey.expiry,
      valueSecretName: `palette-onboarding/${tenantId}/palette-api-key`,
      ...(r.apiKey.description ? { description: r.apiKey.description } : {}),
      ...(r.apiKey.ownerUserUid ? { ownerUserUid: r.apiKey.ownerUserUid } : {}),
    };
  }
  const bl = r.backupLocations;
  if (bl?.gcp) plan.gcpBackupLocation = { ...bl.gcp, name: bl.gcp.name ?? `${tenantId}-gcs` };
  if (bl?.minio) plan.minioBackupLocation = { ...bl.minio, name: bl.minio.name ?? `${tenantId}-minio` };
  if (bl?.azure) plan.azureBackupLocation = { ...bl.azure, name: bl.azure.name ?? `${tenantId}-azure-blob` };
  return plan;
}

/** Expiry instant of an API key created `now`: a preset duration or the end of a custom date (UTC). */
export function apiKeyExpiry(expiry: string, now: Date): Date {
  const preset = /^(\d+)([dy])$/.exec(expiry);
  if (preset) {
    const n = Number(preset[1]);
    const out = new Date(now);
    if (preset[2] === 'y') out.setUTCFullYear(out.getUTCFullYear() + n);
    else out.setUTCDate(out.getUTCDate() + n);
    return out;
  }
  return new Date(`${expiry}T23:59:59Z`);
}
