/**
 * Registrations: the Palette objects an onboarding registers for a tenant (the AWS cloud account, the S3 backup
 * location, and the optional Azure account, SSH key, API key and GCP / MinIO / Azure backup locations). This table is
 * the one declarative list of registration kinds: the plan, the state machine's Registrations branches, the handlers'
 * state schemas, verification, the summary and compensation all derive from it. Adding a kind means one entry here
 * (plus its request section) and its Palette reconciler (lambdas/services/registrations/kinds/). Pure.
 */
import * as z from 'zod';
import { apiKeyNames } from './credential-changes';
import {
  AZURE_CLOUDS,
  AzureBackupLocationSchema,
  GcpBackupLocationSchema,
  MinioBackupLocationSchema,
} from './registration-requests';
import { registerSection, type OnboardingRequest } from './request';
import type { SecretJobName } from './secret-access';

/** How the registry names a kind of Palette object in its keys (and in claims: names are unique per scope and kind). */
export type PaletteObjectKind = 'cloud-account/aws' | 'cloud-account/azure' | 'backup-location' | 'ssh-key' | 'api-key';

const name = z.string().min(1);
const adopt = z.boolean().default(false);

/** The normalized plan of each kind (names resolved, credentials only as secret ARNs). */
export const RegistrationPlanSchemas = {
  cloudAccount: z.object({ name, adopt }),
  backupLocation: z.object({
    name,
    isDefault: z.boolean(),
    /** `register.backupLocation.s3Url`, `.forcePathStyle` (true whenever s3Url is given), `.caCert`: absent = not set. */
    s3Url: z.string().optional(),
    forcePathStyle: z.boolean().optional(),
    caCert: z.string().optional(),
    adopt,
  }),
  azureAccount: z.object({
    name,
    credentialsSecretArn: z.string(),
    cloud: z.enum(AZURE_CLOUDS),
    tenantName: z.string().optional(),
    disablePropertiesRequest: z.boolean(),
    /** As the request names it (resolved and checked through Palette by the ensure step: lambdas/services/registrations/gateway.ts). */
    privateCloudGateway: z.object({ name: z.string().optional(), uid: z.string().optional() }).optional(),
    privateCloudGatewayUid: z.string().optional(),
    tlsCert: z.string().optional(),
    adopt,
  }),
  sshKey: z.object({
    name,
    publicKey: z.string().optional(),
    generateBits: z.number().int().optional(),
    /** Where a generated private key is stored (home account). */
    privateKeySecretName: z.string(),
    adopt,
  }),
  apiKey: z.object({
    name,
    description: z.string().optional(),
    ownerUserUid: z.string().optional(),
    expiry: z.string(),
    /** `apiKey.renewWithinDays`; absent: the default for the expiry (lambdas/domain/credential-changes.ts). */
    renewWithinDays: z.number().int().min(0).optional(),
    /** Where the key value is stored (home account). */
    valueSecretName: z.string(),
    adopt,
  }),
  gcpBackupLocation: GcpBackupLocationSchema.extend({ name }),
  minioBackupLocation: MinioBackupLocationSchema.extend({ name }),
  azureBackupLocation: AzureBackupLocationSchema.extend({ name }),
} as const;

export type RegistrationKey = keyof typeof RegistrationPlanSchemas;

/** The secrets the workflow WRITES in the home account, by name: `palette-onboarding/<tenantId>/<name>`. */
export type WrittenSecretName = 'aws-access-key' | 'ssh-private-key' | 'palette-api-key';

/**
 * What a kind's ensure function does with the tenant's secrets (the CDK grants derive from it,
 * cdk/lib/constructs/onboarding-functions.ts): its `job` (lambdas/domain/secret-access.ts: which of the tenant's
 * secrets, which actions; e.g. reading the user's credentials under `palette-onboarding-credentials/<tenantId>/`,
 * read-only to the workflow), and the secret it `writes` (a generated value, deleted only by compensation, in
 * undo-registrations).
 */
export interface RegistrationSecrets {
  readonly job?: SecretJobName;
  readonly writes?: WrittenSecretName;
}
export type RegistrationPlan<K extends RegistrationKey> = z.output<(typeof RegistrationPlanSchemas)[K]>;

export interface RegistrationKind<K extends RegistrationKey> {
  /** The Task state of its ensure step (and the construct id of its function). */
  readonly state: string;
  /** Human label (summary, errors). */
  readonly label: string;
  /** Where it is configured in the request (errors name fields under it). */
  readonly requestPath: string;
  /** Registry key kind; names are claimed per Palette scope and this kind. */
  readonly paletteKind: PaletteObjectKind;
  /** Palette keeps it in tenant scope even when the request names a project (API keys). */
  readonly tenantScopeOnly: boolean;
  /** Its ensure step needs Palette's identity and the AWS principal (the AWS registrations). */
  readonly needsPrincipal: boolean;
  /** What it does with the tenant's secrets: its secret job, and the secret it writes. */
  readonly secrets: RegistrationSecrets;
  /** Names its objects take besides the entry's (the API key's renewal name), claimed with it in the registry. */
  readonly otherNames?: (entry: RegistrationPlan<K>) => readonly string[];
  /** The plan entry of a request, or undefined when the request does not ask for it. */
  plan(request: OnboardingRequest): z.input<(typeof RegistrationPlanSchemas)[K]> | undefined;
}

type Kinds = { readonly [K in RegistrationKey]: RegistrationKind<K> };

export const REGISTRATIONS: Kinds = {
  cloudAccount: {
    state: 'EnsureCloudAccount',
    label: 'AWS cloud account',
    requestPath: 'register.cloudAccount',
    paletteKind: 'cloud-account/aws',
    tenantScopeOnly: false,
    needsPrincipal: true,
    secrets: { job: 'access-key-read' },
    plan: (r) => {
      if (!r.aws) return undefined;
      const c = registerSection(r).cloudAccount;
      if (!(c.enabled ?? r.aws.credentialMode === 'sts')) return undefined;
      return { name: c.name ?? `${r.tenantId}-aws`, adopt: c.adopt };
    },
  },
  backupLocation: {
    state: 'EnsureBackupLocation',
    label: 'S3 backup location',
    requestPath: 'register.backupLocation',
    paletteKind: 'backup-location',
    tenantScopeOnly: false,
    needsPrincipal: true,
    secrets: { job: 'access-key-read' },
    plan: (r) => {
      if (!r.aws) return undefined;
      const b = registerSection(r).backupLocation;
      const forcePathStyle = b.forcePathStyle ?? (b.s3Url ? true : undefined);
      return {
        name: b.name ?? `${r.tenantId}-s3`,
        isDefault: b.isDefault,
        ...(b.s3Url ? { s3Url: b.s3Url } : {}),
        ...(forcePathStyle !== undefined ? { forcePathStyle } : {}),
        ...(b.caCert ? { caCert: b.caCert } : {}),
        adopt: b.adopt,
      };
    },
  },
  azureAccount: {
    state: 'EnsureAzureAccount',
    label: 'Azure cloud account',
    requestPath: 'azure.cloudAccount',
    paletteKind: 'cloud-account/azure',
    tenantScopeOnly: false,
    needsPrincipal: false,
    secrets: { job: 'credentials-read' },
    plan: (r) => {
      const az = r.azure?.cloudAccount;
      if (!az) return undefined;
      return {
        name: az.name ?? `${r.tenantId}-azure`,
        credentialsSecretArn: az.credentialsSecretArn,
        cloud: az.cloud,
        disablePropertiesRequest: az.disablePropertiesRequest,
        ...(az.tenantName ? { tenantName: az.tenantName } : {}),
        ...(az.privateCloudGateway ? { privateCloudGateway: az.privateCloudGateway } : {}),
        ...(az.privateCloudGatewayUid ? { privateCloudGatewayUid: az.privateCloudGatewayUid } : {}),
        ...(az.tlsCert ? { tlsCert: az.tlsCert } : {}),
        adopt: az.adopt,
      };
    },
  },
  sshKey: {
    state: 'EnsureSshKey',
    label: 'SSH key',
    requestPath: 'sshKey',
    paletteKind: 'ssh-key',
    tenantScopeOnly: false,
    needsPrincipal: false,
    secrets: { job: 'ssh-key-write', writes: 'ssh-private-key' },
    plan: (r) => {
      const k = r.sshKey;
      if (!k) return undefined;
      return {
        name: k.name ?? `${r.tenantId}-ssh`,
        privateKeySecretName: `palette-onboarding/${r.tenantId}/ssh-private-key`,
        ...(k.publicKey ? { publicKey: k.publicKey } : { generateBits: k.generate?.bits ?? 4096 }),
        adopt: k.adopt,
      };
    },
  },
  apiKey: {
    state: 'EnsureApiKey',
    label: 'Palette API key',
    requestPath: 'apiKey',
    paletteKind: 'api-key',
    tenantScopeOnly: true,
    needsPrincipal: false,
    secrets: { job: 'api-key-write', writes: 'palette-api-key' },
    otherNames: (entry) => [apiKeyNames(entry.name)[1]],
    plan: (r) => {
      const k = r.apiKey;
      if (!k) return undefined;
      return {
        name: k.name ?? `${r.tenantId}-automation`,
        expiry: k.expiry,
        ...(k.renewWithinDays !== undefined ? { renewWithinDays: k.renewWithinDays } : {}),
        valueSecretName: `palette-onboarding/${r.tenantId}/palette-api-key`,
        ...(k.description ? { description: k.description } : {}),
        ...(k.ownerUserUid ? { ownerUserUid: k.ownerUserUid } : {}),
        adopt: k.adopt,
      };
    },
  },
  gcpBackupLocation: {
    state: 'EnsureGcpBackupLocation',
    label: 'GCP backup location',
    requestPath: 'backupLocations.gcp',
    paletteKind: 'backup-location',
    tenantScopeOnly: false,
    needsPrincipal: false,
    secrets: { job: 'credentials-read' },
    plan: (r) => {
      const g = r.backupLocations?.gcp;
      return g ? { ...g, name: g.name ?? `${r.tenantId}-gcs` } : undefined;
    },
  },
  minioBackupLocation: {
    state: 'EnsureMinioBackupLocation',
    label: 'MinIO backup location',
    requestPath: 'backupLocations.minio',
    paletteKind: 'backup-location',
    tenantScopeOnly: false,
    needsPrincipal: false,
    secrets: { job: 'credentials-read' },
    plan: (r) => {
      const m = r.backupLocations?.minio;
      return m ? { ...m, name: m.name ?? `${r.tenantId}-minio` } : undefined;
    },
  },
  azureBackupLocation: {
    state: 'EnsureAzureBackupLocation',
    label: 'Azure backup location',
    requestPath: 'backupLocations.azure',
    paletteKind: 'backup-location',
    tenantScopeOnly: false,
    needsPrincipal: false,
    secrets: { job: 'credentials-read' },
    plan: (r) => {
      const a = r.backupLocations?.azure;
      return a ? { ...a, name: a.name ?? `${r.tenantId}-azure-blob` } : undefined;
    },
  },
};

/** Every registration kind, in branch order (the AWS cloud account and the S3 backup location first). */
export const REGISTRATION_KEYS = Object.keys(REGISTRATIONS) as RegistrationKey[];

/** `plan.registrations`: one entry per registration the request asks for. */
export const RegistrationsPlanSchema = z.object(
  Object.fromEntries(REGISTRATION_KEYS.map((k) => [k, RegistrationPlanSchemas[k].optional()])) as {
    [K in RegistrationKey]: z.ZodOptional<(typeof RegistrationPlanSchemas)[K]>;
  },
);
export type RegistrationsPlan = z.output<typeof RegistrationsPlanSchema>;

/** The registrations a request asks for, normalized. */
export function registrationsPlan(request: OnboardingRequest): RegistrationsPlan {
  const out: Record<string, unknown> = {};
  for (const key of REGISTRATION_KEYS) {
    const entry = REGISTRATIONS[key].plan(request);
    if (entry !== undefined) out[key] = RegistrationPlanSchemas[key].parse(entry);
  }
  return out as RegistrationsPlan;
}

/**
 * One item of the state machine's Registrations Map: the kind, and its position in REGISTRATION_KEYS, which is where
 * its ensure function's ARN is in the Map's static list (the iteration's Task picks its function with
 * `States.ArrayGetItem($.functions, $.item.index)`), and its ensure state's name (failure events name it).
 */
export interface RegistrationItem {
  kind: RegistrationKey;
  index: number;
  state: string;
}

/** The Map's items for the kinds a plan asks for, in REGISTRATION_KEYS order. */
export function registrationItems(registrations: Partial<Record<RegistrationKey, unknown>>): RegistrationItem[] {
  return REGISTRATION_KEYS.flatMap((kind, index) => (registrations[kind] !== undefined ? [{ kind, index, state: REGISTRATIONS[kind].state }] : []));
}

/**
 * The Map's results (one per item, in item order) keyed by kind, `{skipped: true}` for every kind the plan does not
 * ask for: the shape the summary, the `Tenant Registered` event and verification read.
 */
export function registrationsByKind<R>(kinds: readonly RegistrationKey[], results: readonly R[]): Record<RegistrationKey, R | { skipped: true }> {
  if (kinds.length !== results.length) throw new Error(`${results.length} registration results for ${kinds.length} kinds (${kinds.join(', ')})`);
  const byKind = Object.fromEntries(REGISTRATION_KEYS.map((k) => [k, { skipped: true as const }])) as Record<RegistrationKey, R | { skipped: true }>;
  kinds.forEach((kind, i) => {
    byKind[kind] = results[i] as R;
  });
  return byKind;
}

/** The Palette scope a kind lives in for this plan: `tenant`, or the request's project. */
export function registrationScope(key: RegistrationKey, projectUid: string | undefined): string | undefined {
  return REGISTRATIONS[key].tenantScopeOnly ? undefined : projectUid;
}
