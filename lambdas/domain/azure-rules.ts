/**
 * Azure clouds and Palette's rules for them: one declarative entry per cloud the spec lists
 * (`v1AzureCloudAccount.azureEnvironment`: AzurePublicCloud, AzureUSGovernment, AzureUSGovernmentCloud,
 * AzureChinaCloud, AzureUSSecretCloud), and the private cloud gateway (PCG) rule each follows. Pure.
 *
 * Sources (spectrocloud/librarium):
 * - docs/docs-content/clusters/public-cloud/azure/azure-cloud.md ("Register and Manage Azure Cloud Accounts"): the
 *   support table (Commercial and Government on Palette and VerteX; Government Secret on VerteX only), the Government
 *   prerequisite ("(Self-hosted Palette and Palette VerteX only) A PCG ... if you plan to register both an Azure
 *   Commercial and Azure Government account on the same installation"), and the Government Secret limitations
 *   ("You must use Palette VerteX ... Multi-tenant Palette SaaS and self-hosted Palette instances do not support Azure
 *   Government Secret cloud"; "A PCG is required to deploy clusters in Azure Government Secret cloud"; its form's
 *   **User Certificate**: the TLS certificate chain, the spec's `tls.cert`);
 * - seed 002 (tutorials/getting-started/palette/azure/setup.md): "Beginning with Palette version 4.6.36, a PCG is
 *   required to add an Azure US Government cloud account" on Palette SaaS; self-hosted / VerteX need one only when
 *   the installation has both an Azure Public Cloud and an Azure US Government account.
 * - Azure China (AzureChinaCloud) is in the spec's enum and in the backup location's `clientCloud`
 *   (`azure-china`), but in no docs page: no gateway rule is documented for it, so none is applied.
 * - The spec has two spellings of US Government (`AzureUSGovernment`, `AzureUSGovernmentCloud`); both are accepted
 *   and sent as given, and count as the same cloud (rules, convergence).
 *
 * Regions: neither an Azure cloud account nor an Azure backup location has a region field in the spec (an account
 * spans its cloud; a storage account's region is Azure's), so there is no per-cloud region rule to apply here.
 */

/** How a cloud's accounts need a private cloud gateway. */
export type GatewayRule =
  /** never required (a gateway may still be used) */
  | 'optional'
  /** Palette SaaS: required; self-hosted: required when the installation also has Azure Public Cloud accounts */
  | 'us-government'
  /** always required */
  | 'always';

export interface AzureCloudRules {
  /** How Palette's console names the cloud. */
  readonly label: string;
  readonly gateway: GatewayRule;
  /** Available on multi-tenant Palette SaaS (US Government Secret is Palette VerteX only). */
  readonly onSaas: boolean;
  /** Its accounts may carry a TLS certificate chain (`tls.cert`, the console's User Certificate). */
  readonly tlsCert: boolean;
  /** The backup location credentials' `clientCloud` (`v1.AzureAccountEntitySpec`), or null: no backup locations. */
  readonly locationClientCloud: 'public' | 'azure-government' | 'azure-china' | null;
  /** The cloud other spellings of it count as (AzureUSGovernment -> AzureUSGovernmentCloud). */
  readonly same: AzureCloud;
}

/** Every Azure cloud of the spec's enum, in the request's order (the default first). */
export const AZURE_CLOUDS = ['AzurePublicCloud', 'AzureUSGovernmentCloud', 'AzureUSGovernment', 'AzureChinaCloud', 'AzureUSSecretCloud'] as const;
export type AzureCloud = (typeof AZURE_CLOUDS)[number];

export const AZURE_CLOUD_RULES: { readonly [C in AzureCloud]: AzureCloudRules } = {
  AzurePublicCloud: { label: 'Azure Public Cloud', gateway: 'optional', onSaas: true, tlsCert: false, locationClientCloud: 'public', same: 'AzurePublicCloud' },
  AzureUSGovernmentCloud: {
    label: 'Azure US Government',
    gateway: 'us-government',
    onSaas: true,
    tlsCert: false,
    locationClientCloud: 'azure-government',
    same: 'AzureUSGovernmentCloud',
  },
  AzureUSGovernment: {
    label: 'Azure US Government',
    gateway: 'us-government',
    onSaas: true,
    tlsCert: false,
    locationClientCloud: 'azure-government',
    same: 'AzureUSGovernmentCloud',
  },
  AzureChinaCloud: { label: 'Azure China', gateway: 'optional', onSaas: true, tlsCert: false, locationClientCloud: 'azure-china', same: 'AzureChinaCloud' },
  AzureUSSecretCloud: {
    label: 'Azure US Government Secret',
    gateway: 'always',
    onSaas: false,
    tlsCert: true,
    locationClientCloud: null,
    same: 'AzureUSSecretCloud',
  },
};

/** The clouds an Azure backup location may use: those with a `clientCloud` value in the spec. */
export const AZURE_LOCATION_CLOUDS = AZURE_CLOUDS.filter((c) => AZURE_CLOUD_RULES[c].locationClientCloud !== null) as [
  'AzurePublicCloud',
  'AzureUSGovernmentCloud',
  'AzureUSGovernment',
  'AzureChinaCloud',
];
export type AzureLocationCloud = (typeof AZURE_LOCATION_CLOUDS)[number];

/** The backup location credentials' `clientCloud` of a location cloud. */
export function locationClientCloud(cloud: AzureLocationCloud): 'public' | 'azure-government' | 'azure-china' {
  const c = AZURE_CLOUD_RULES[cloud].locationClientCloud;
  if (c === null) throw new TypeError(`${cloud} has no backup-location clientCloud`);
  return c;
}

const isAzureCloud = (v: string): v is AzureCloud => (AZURE_CLOUDS as readonly string[]).includes(v);

/** Whether two `azureEnvironment` values name the same cloud (absent or empty: Palette's default, AzurePublicCloud). */
export function sameAzureCloud(a: string | undefined, b: string | undefined): boolean {
  const canonical = (v: string | undefined) => {
    const env = v === undefined || v === '' ? 'AzurePublicCloud' : v;
    return isAzureCloud(env) ? AZURE_CLOUD_RULES[env].same : env;
  };
  return canonical(a) === canonical(b);
}

/** An account counts as Azure Public Cloud when its environment says so or is absent (Palette's default). */
export const isAzurePublicCloud = (azureEnvironment: string | undefined): boolean => sameAzureCloud(azureEnvironment, 'AzurePublicCloud');

/** Where the request names the account's private cloud gateway. */
export const AZURE_ACCOUNT_PATH = 'azure.cloudAccount';
/** The request field a missing gateway is reported on. */
export const AZURE_PCG_PATH = `${AZURE_ACCOUNT_PATH}.privateCloudGateway`;

/** A private cloud gateway as the request names it, with the field it was given in (errors name that field). */
export interface GatewayRef {
  by: 'name' | 'uid';
  value: string;
  /** e.g. azure.cloudAccount.privateCloudGateway.name, or azure.cloudAccount.privateCloudGatewayUid (the earlier form). */
  field: string;
}

/** The gateway an account entry names (`privateCloudGateway.name` / `.uid`, or the earlier `privateCloudGatewayUid`). */
export function gatewayRef(entry: { privateCloudGateway?: { name?: string; uid?: string }; privateCloudGatewayUid?: string }): GatewayRef | undefined {
  const g = entry.privateCloudGateway;
  if (g?.name) return { by: 'name', value: g.name, field: `${AZURE_PCG_PATH}.name` };
  if (g?.uid) return { by: 'uid', value: g.uid, field: `${AZURE_PCG_PATH}.uid` };
  if (entry.privateCloudGatewayUid) return { by: 'uid', value: entry.privateCloudGatewayUid, field: `${AZURE_ACCOUNT_PATH}.privateCloudGatewayUid` };
  return undefined;
}

/**
 * Whether a PCG is needed: `required`, `not-required`, or `if-public-accounts` (self-hosted US Government: the caller
 * must look at the installation's Azure accounts).
 */
export function azureGatewayRequirement(cloud: AzureCloud, selfHosted: boolean): 'required' | 'not-required' | 'if-public-accounts' {
  const rule = AZURE_CLOUD_RULES[cloud].gateway;
  if (rule === 'always') return 'required';
  if (rule === 'optional') return 'not-required';
  return selfHosted ? 'if-public-accounts' : 'required';
}

export interface AzureGatewayCheck {
  cloud: AzureCloud;
  selfHosted: boolean;
  /** The account names a gateway (by name or uid). */
  hasGateway: boolean;
  /** Names of the installation's other Azure Public Cloud accounts (self-hosted only; ignored otherwise). */
  publicCloudAccounts?: readonly string[];
}

/** A rule the account breaks: the field to name and why. */
export interface AzureRuleViolation {
  path: string;
  message: string;
}

/**
 * The first rule the account breaks, or undefined when it complies: its cloud must be available on this Palette
 * (US Government Secret is not on SaaS), then the cloud's gateway rule.
 */
export function azureCloudViolation(c: AzureGatewayCheck): AzureRuleViolation | undefined {
  const rules = AZURE_CLOUD_RULES[c.cloud];
  const named = `${rules.label} (${c.cloud})`;
  if (!c.selfHosted && !rules.onSaas) {
    return { path: `${AZURE_ACCOUNT_PATH}.cloud`, message: `${named} is available on Palette VerteX only, not on Palette SaaS` };
  }
  if (c.hasGateway) return undefined;
  const requirement = azureGatewayRequirement(c.cloud, c.selfHosted);
  if (requirement === 'required') {
    const where = rules.gateway === 'always' ? 'an' : 'on Palette SaaS an';
    return { path: AZURE_PCG_PATH, message: `required: ${where} ${named} account must use a private cloud gateway` };
  }
  if (requirement === 'if-public-accounts' && (c.publicCloudAccounts?.length ?? 0) > 0) {
    const names = [...(c.publicCloudAccounts ?? [])].sort();
    const shown = names.slice(0, 5).map((n) => `'${n}'`).join(', ') + (names.length > 5 ? `, and ${names.length - 5} more` : '');
    return {
      path: AZURE_PCG_PATH,
      message: `required: this self-hosted Palette also has Azure Public Cloud accounts (${shown}), so an ${named} account must use a private cloud gateway`,
    };
  }
  return undefined;
}
