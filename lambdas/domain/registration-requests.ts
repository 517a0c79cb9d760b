/**
 * The request sections of the Palette registrations beyond the AWS cloud account and the S3 backup location: an
 * Azure cloud account, an SSH key, a Palette API key, and GCP / MinIO / Azure backup locations. Each is an optional
 * top-level section, so a request without them is unchanged. Secrets are given (and stored) as Secrets Manager
 * references only. Every section may `adopt` an existing, unmarked Palette object of its name (README "Ownership").
 *
 * Also the string kinds every part of the request is built from (README "Input limits"): each has a maximum length
 * and, for identifiers, a charset, so no field can carry control characters, invisible (format) characters or an
 * unbounded amount of data into the state, the logs, Palette or AWS.
 */
import * as z from 'zod';
import { AZURE_ACCOUNT_PATH, AZURE_CLOUD_RULES, AZURE_CLOUDS, AZURE_LOCATION_CLOUDS } from './azure-rules';
import { API_KEY_NAME_MAX, API_KEY_RENEWAL_SUFFIX, renewalWindowProblem } from './credential-changes';

/**
 * `schema(() => ...)` is the schema, built when the module loads as a plain `const X = z...` would be. Marked free of
 * side effects so that esbuild drops the schemas a function never uses from its bundle: it cannot tell that zod's
 * constructors have none, so it keeps (and every cold start builds) each top-level schema of every module a function
 * imports (bench P3). esbuild honours the mark only in the file that declares it, hence one per module.
 */
/* @__NO_SIDE_EFFECTS__ */
function schema<T>(build: () => T): T {
  return build();
}

/** "must be at most N characters" (a length counts UTF-16 code units, as JavaScript strings do). */
const atMost = (max: number) => `must be at most ${max} characters`;

/** A string of at most `max` characters that matches `pattern` (`message` says what it must be). */
export const identifier = (max: number, pattern: RegExp, message: string) => z.string().max(max, atMost(max)).regex(pattern, message);

/**
 * Printable text: letters, marks, digits, punctuation, symbols (emoji included) and spaces. No control characters
 * (NUL, newlines, escapes), no format characters (bidi overrides, zero-width characters, BOM), no line or paragraph
 * separators, no private-use, unassigned or lone surrogate code points.
 */
export const PRINTABLE_TEXT = /^[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]*$/u;
export const printableText = (max: number) =>
  z.string().max(max, atMost(max)).regex(PRINTABLE_TEXT, 'must be printable text (no control, format, zero-width or line-break characters)');

/** Secrets Manager secret ARN: a name of at most 512 characters plus the 7-character suffix Secrets Manager appends. */
export const SECRET_ARN = /^arn:aws(-us-gov)?:secretsmanager:[a-z0-9-]{1,32}:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,519}$/;
export const SECRET_ARN_MAX = 600;
export const secretArn = (what: string) => identifier(SECRET_ARN_MAX, SECRET_ARN, 'must be a Secrets Manager secret ARN').describe(what);

/**
 * Credentials the user supplies (Azure app registration, GCP service account key, MinIO keys) live under their own
 * prefix, `palette-onboarding-credentials/<tenantId>/<name>`, which the workflow may only read; the secrets the
 * workflow writes stay under `palette-onboarding/<tenantId>/`.
 */
export const CREDENTIALS_SECRET_PREFIX = 'palette-onboarding-credentials';
/** The ARN of a credentials secret the user supplies (its name is checked against the tenant id in request.ts). */
const credentialsSecretArn = (what: string) => secretArn(`${what}; a secret named ${CREDENTIALS_SECRET_PREFIX}/<tenantId>/<name>`);

/** A Palette object name: 1-63 lowercase letters, digits and hyphens. */
export const paletteName = schema(() => identifier(63, /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be 1-63 lowercase letters, digits and hyphens'));
/** A Palette uid (project, user, private cloud gateway): Palette's are 24 hex digits. */
export const paletteUid = schema(() => identifier(64, /^[A-Za-z0-9_-]{1,64}$/, 'must be a Palette uid (1-64 letters, digits, "-" or "_")'));

/** A PEM CA certificate (bundle): at most 16 KiB. */
export const CA_CERT_MAX = 16 * 1024;
/** An OpenSSH public key line: at most 8 KiB (an RSA 16384-bit key is about 2.8 KiB). */
export const SSH_PUBLIC_KEY_MAX = 8 * 1024;
/** A URL (the S3 and MinIO locations' s3Url): at most 2048 characters of printable ASCII. */
export const URL_MAX = 2048;

/**
 * Why `text` is not one or more PEM `CERTIFICATE` blocks (base64 lines between BEGIN / END lines, blank lines
 * between blocks), or undefined when it is. Line by line: linear in the length, whatever the input.
 */
export function pemCertificatesProblem(text: string): string | undefined {
  const lines = text.split(/\r?\n/);
  let blocks = 0;
  let inBlock = false;
  let bodyLines = 0;
  for (const line of lines) {
    if (!inBlock) {
      if (line.trim() === '') continue;
      if (line !== '-----BEGIN CERTIFICATE-----') return 'must be PEM CERTIFICATE blocks (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----) and nothing else';
      inBlock = true;
      bodyLines = 0;
    } else if (line === '-----END CERTIFICATE-----') {
      if (bodyLines === 0) return 'has an empty PEM CERTIFICATE block';
      inBlock = false;
      blocks += 1;
    } else if (/^[A-Za-z0-9+/]+={0,2}$/.test(line)) {
      bodyLines += 1;
    } else {
      return 'must hold only base64 lines inside a PEM CERTIFICATE block';
    }
  }
  if (inBlock) return 'has a PEM CERTIFICATE block without its -----END CERTIFICATE----- line';
  if (blocks === 0) return 'must be a PEM certificate (-----BEGIN CERTIFICATE----- ...)';
  return undefined;
}

/**
 * A backup endpoint URL (the S3 location's and the MinIO location's `s3Url`): an http(s) URL of at most URL_MAX
 * printable ASCII characters. Which addresses may receive keys (https, no loopback / link-local / metadata) is decided
 * with the deployment's settings in ValidateRequest (lambdas/domain/endpoints.ts); the schema bounds the text only.
 */
export const backupEndpointUrl = schema(() => z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .max(URL_MAX, atMost(URL_MAX))
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'));

/** PEM CA certificate(s) (a location's `caCert`, an Azure US Secret account's `tlsCert`): at most CA_CERT_MAX, PEM CERTIFICATE blocks only. */
export const pemCertificates = schema(() => z
  .string()
  .max(CA_CERT_MAX, atMost(CA_CERT_MAX))
  .superRefine((pem, ctx) => {
    const problem = pem.length <= CA_CERT_MAX ? pemCertificatesProblem(pem) : undefined;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }));

/** `adopt: true` lets the run take over an existing, unmarked object of the part's name (never another tenant's). */
export const adopt = schema(() => z
  .boolean()
  .default(false)
  .describe('adopt an existing object of this name that no palette-onboarding tenant owns; it is then never deleted by compensation'));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every Azure cloud of the spec (rules per cloud: lambdas/domain/azure-rules.ts). */
export { AZURE_CLOUDS, AZURE_LOCATION_CLOUDS };

/** A private cloud gateway (PCG), by its name or its uid (exactly one): resolved through Palette, it must be Running. */
export const PrivateCloudGatewaySchema = schema(() => z
  .strictObject({
    name: paletteName.optional().describe("the gateway's name in Palette (Tenant Settings > Private Cloud Gateways)"),
    uid: paletteUid.optional().describe("the gateway's uid"),
  })
  .superRefine((g, ctx) => {
    if ((g.name === undefined) === (g.uid === undefined)) ctx.addIssue({ code: 'custom', message: 'give exactly one of name or uid' });
  }));

export const AzureAccountSchema = schema(() => z
  .strictObject({
    name: paletteName.optional().describe('default <tenantId>-azure'),
    credentialsSecretArn: credentialsSecretArn('JSON {"tenantId", "clientId", "clientSecret"} of the Azure app registration'),
    cloud: z.enum(AZURE_CLOUDS).default('AzurePublicCloud'),
    tenantName: printableText(128).min(1, 'must not be empty').optional(),
    disablePropertiesRequest: z.boolean().default(false).describe('Palette uses the given values instead of querying Azure'),
    privateCloudGateway: PrivateCloudGatewaySchema.optional().describe(
      'the private cloud gateway (PCG) the account uses, {"name": ...} or {"uid": ...}: looked up in Palette, it must be Running',
    ),
    privateCloudGatewayUid: paletteUid.optional().describe('the earlier form of privateCloudGateway.uid (same behaviour)'),
    tlsCert: pemCertificates.optional().describe('AzureUSSecretCloud only: the TLS certificate chain (the console\'s User Certificate)'),
    adopt,
  })
  .superRefine((a, ctx) => {
    if (a.privateCloudGateway !== undefined && a.privateCloudGatewayUid !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['privateCloudGatewayUid'], message: 'give either privateCloudGateway or privateCloudGatewayUid, not both' });
    }
    if (a.tlsCert !== undefined && !AZURE_CLOUD_RULES[a.cloud].tlsCert) {
      const clouds = AZURE_CLOUDS.filter((c) => AZURE_CLOUD_RULES[c].tlsCert).join(', ');
      ctx.addIssue({ code: 'custom', path: ['tlsCert'], message: `only for cloud ${clouds} (${AZURE_ACCOUNT_PATH}.cloud is ${a.cloud})` });
    }
  }));

export const SshKeySchema = schema(() => z
  .strictObject({
    name: paletteName.optional().describe('default <tenantId>-ssh'),
    publicKey: identifier(
      SSH_PUBLIC_KEY_MAX,
      /^(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}( [\x20-\x7e]*)?$/,
      'must be an OpenSSH public key line: <type> <base64> [comment of printable ASCII]',
    )
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
  }));

export const API_KEY_EXPIRY_PRESETS = ['7d', '30d', '60d', '90d', '180d', '1y'] as const;

export const ApiKeySchema = schema(() => z
  .strictObject({
    name: paletteName
      .max(API_KEY_NAME_MAX, `must be at most ${API_KEY_NAME_MAX} characters (a renewed key is named <name>${API_KEY_RENEWAL_SUFFIX})`)
      .optional()
      .describe('default <tenantId>-automation'),
    description: printableText(256).optional(),
    ownerUserUid: paletteUid.optional().describe("default: the user owning the request's Palette API key"),
    expiry: z
      .union([z.enum(API_KEY_EXPIRY_PRESETS), z.iso.date().describe('custom expiry date (YYYY-MM-DD)')])
      .default('90d'),
    renewWithinDays: z
      .number()
      .int()
      .min(0)
      .max(365)
      .optional()
      .describe('renew the key (new key stored, then the old one deleted) on a run within this many days of its expiry; 0: never. Default 14, at most half a preset lifetime'),
    adopt,
  })
  .superRefine((k, ctx) => {
    const problem = k.renewWithinDays === undefined ? undefined : renewalWindowProblem(k.expiry, k.renewWithinDays);
    if (problem) ctx.addIssue({ code: 'custom', path: ['renewWithinDays'], message: problem });
  }));

const isDefault = schema(() => z.boolean().default(false));

export const GcpBackupLocationSchema = schema(() => z.strictObject({
  name: paletteName.optional().describe('default <tenantId>-gcs'),
  bucket: identifier(
    222,
    /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/,
    'must be a GCS bucket name: 3-222 lowercase letters, digits, ".", "_" and "-", beginning and ending with a letter or digit',
  ),
  projectId: identifier(30, /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a GCP project id'),
  credentialsSecretArn: credentialsSecretArn('the service account JSON key (the whole JSON document)'),
  isDefault,
  adopt,
}));

export const MinioBackupLocationSchema = schema(() => z.strictObject({
  name: paletteName.optional().describe('default <tenantId>-minio'),
  bucket: identifier(
    63,
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    'must be a bucket name: 3-63 lowercase letters, digits, "." and "-", beginning and ending with a letter or digit',
  ),
  region: identifier(64, /^[A-Za-z0-9_-]{1,64}$/, 'must be a region name (letters, digits, "-" and "_")').default('us-east-1'),
  s3Url: backupEndpointUrl,
  forcePathStyle: z.literal(true, { error: 'must be true: MinIO needs path-style requests' }).default(true),
  credentialsSecretArn: credentialsSecretArn('JSON {"accessKeyId", "secretAccessKey"}'),
  caCert: pemCertificates.optional().describe('PEM CA certificate(s) the MinIO endpoint chains to'),
  isDefault,
  adopt,
}));

export const AzureBackupLocationSchema = schema(() => z.strictObject({
  name: paletteName.optional().describe('default <tenantId>-azure-blob'),
  container: identifier(63, /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'must be an Azure container name'),
  storageAccount: identifier(24, /^[a-z0-9]{3,24}$/, 'must be an Azure storage account name'),
  sku: identifier(32, /^[A-Za-z0-9_]{1,32}$/, 'must be a storage SKU such as Standard_LRS').optional(),
  resourceGroup: identifier(
    90,
    /^[\p{L}\p{N}_().-]{0,89}[\p{L}\p{N}_()-]$/u,
    'must be an Azure resource group name: letters, digits, "_", "(", ")", "." and "-", not ending with "."',
  ),
  subscriptionId: identifier(36, UUID, 'must be a subscription id (UUID)'),
  credentialsSecretArn: credentialsSecretArn('JSON {"tenantId", "clientId", "clientSecret"}'),
  // AzureUSSecretCloud has no backup-location clientCloud in the spec.
  cloud: z.enum(AZURE_LOCATION_CLOUDS).default('AzurePublicCloud'),
  isDefault,
  adopt,
}));

export const BackupLocationsSchema = schema(() => z.strictObject({
  gcp: GcpBackupLocationSchema.optional(),
  minio: MinioBackupLocationSchema.optional(),
  azure: AzureBackupLocationSchema.optional(),
}));

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
