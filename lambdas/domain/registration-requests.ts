/**
 * The request sections of the Palette registrations beyond the AWS cloud account and the S3 backup location: an
 * Azure cloud account, an SSH key, a Palette API key, and GCP / MinIO / Azure backup locations. Each is an optional
 * top-level section, so a request without them is unchanged. Secrets are given (and stored) as Secrets Manager
 * references only. Every section may `adopt` an existing, unmarked Palette object of its name (README "Ownership").
 */
import { z } from 'zod';

const SECRET_ARN = /^arn:aws(-us-gov)?:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
const secretArn = (what: string) =>
  z.string().regex(SECRET_ARN, 'must be a Secrets Manager secret ARN').describe(what);
const paletteName = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be 1-63 lowercase letters, digits and hyphens');
/** `adopt: true` lets the run take over an existing, unmarked object of the part's name (never another tenant's). */
export const adopt = z
  .boolean()
  .default(false)
  .describe('adopt an existing object of this name that no palette-onboarding tenant owns; it is then never deleted by compensation');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const AZURE_CLOUDS = ['AzurePublicCloud', 'AzureUSGovernmentCloud'] as const;

export const AzureAccountSchema = z.strictObject({
  name: paletteName.optional().describe('default <tenantId>-azure'),
  credentialsSecretArn: secretArn('JSON {"tenantId", "clientId", "clientSecret"} of the Azure app registration'),
  cloud: z.enum(AZURE_CLOUDS).default('AzurePublicCloud'),
  tenantName: z.string().min(1).max(128).optional(),
  disablePropertiesRequest: z.boolean().default(false).describe('Palette uses the given values instead of querying Azure'),
  privateCloudGatewayUid: z.string().min(1).optional().describe('private cloud gateway (PCG) the account uses'),
  adopt,
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
    adopt,
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
  adopt,
});

const isDefault = z.boolean().default(false);


export const GcpBackupLocationSchema = z.strictObject({
  name: paletteName.optional().describe('default <tenantId>-gcs'),
  bucket: z.string().min(3).max(222),
  projectId: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a GCP project id'),
  credentialsSecretArn: secretArn('the service account JSON key (the whole JSON document)'),
  isDefault,
  adopt,
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
  adopt,
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
  adopt,
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
