/**
 * The emulator's data model: tenants (with users, projects, API keys and scoped resources) and the
 * system console configuration. Resources live in a scope: the tenant itself (no ProjectUid) or one of its
 * projects. Views returned to clients mask secrets; the raw records keep them for the AWS checks.
 */
import { IdSource, stableUid, uuidFrom } from './ids';

export type Json = Record<string, unknown>;

export const MASK = '************';

export type Collection = 'awsAccount' | 'azureAccount' | 'sshKey' | 'location';
export type LocationType = 's3' | 'minio' | 'gcp' | 'azure';

/** "tenant" or "project:<uid>". */
export type ScopeKey = 'tenant' | `project:${string}`;

export interface Resource {
  collection: Collection;
  uid: string;
  name: string;
  scope: ScopeKey;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  createdAt: number;
  modifiedAt: number;
  /** The spec as last written by the client (secrets in clear). */
  spec: Json;
  /** Backup locations only. */
  locationType?: LocationType;
}

export interface User {
  uid: string;
  emailId: string;
  password: string;
  firstName: string;
  lastName: string;
}

export interface ApiKeyRecord {
  uid: string;
  name: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  value: string;
  userUid: string;
  expiry: number;
  isActive: boolean;
  createdAt: number;
  modifiedAt: number;
}

/**
 * A cluster as tests put it in (addCluster): Palette's clusters are not created through the emulated API, only
 * listed (cluster search) and their backup configuration read. It uses one cloud account and optionally a backup
 * location (uids in its tenant; the names are looked up when it is added).
 */
export interface ClusterRecord {
  uid: string;
  name: string;
  scope: ScopeKey;
  cloudAccountUid: string;
  cloudAccountName: string;
  backupLocationUid?: string;
  backupLocationName?: string;
  /** The location's kind (s3, minio, gcp, azure), reported as the backup config's locationType. */
  backupLocationType?: LocationType;
  /** status.state, e.g. Running (default), Deleting, Deleted. */
  state: string;
  createdAt: number;
  modifiedAt: number;
}

/**
 * A private cloud gateway (PCG; "overlord" in Palette's API) as tests put it in (addGateway): Palette's gateways are
 * installed and registered outside the API this emulator serves, which only lists them and reads one by uid.
 */
export interface GatewayRecord {
  uid: string;
  name: string;
  /** status.state: Running (default, the only state a cloud account may be linked in), Pending, Failed, ... */
  state: string;
  /** spec.isSelfHosted: a PCG the customer installed (true) or a Palette-managed one. */
  isSelfHosted: boolean;
  /** spec.ipAddress. */
  ipAddress: string;
  createdAt: number;
  modifiedAt: number;
}

export interface Project {
  uid: string;
  name: string;
}

export interface Tenant {
  uid: string;
  name: string;
  users: User[];
  projects: Project[];
  apiKeys: ApiKeyRecord[];
  resources: Resource[];
  clusters: ClusterRecord[];
  gateways: GatewayRecord[];
}

export interface SystemStsAccount {
  accessKey?: string;
  secretKey?: string;
  accountId?: string;
}

export interface SystemConfig {
  stsAccount?: SystemStsAccount;
  govStsAccount?: SystemStsAccount;
  /** Set by PUT /v1/system/config/aws/account; GET falls back to the STS account (see README). */
  awsAccount?: { accessKey?: string; secretKey?: string };
  reverseProxy?: Json;
}

/** Paths (dotted) of the secret fields of each collection's spec. */
export const SECRET_FIELDS: Record<Collection | 'system', string[]> = {
  awsAccount: ['secretKey', 'secretToken'],
  azureAccount: ['clientSecret'],
  sshKey: [],
  location: ['config.credentials.secretKey', 'config.credentials.secretToken', 'config.credentials.jsonCredentials', 'config.credentials.clientSecret'],
  system: ['secretKey'],
};

function getPath(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Json)[p];
  }
  return cur;
}

export function getDotted(obj: unknown, dotted: string): unknown {
  return getPath(obj, dotted.split('.'));
}

/** Deep copy with non-empty secrets replaced by MASK. */
export function maskSecrets<T>(value: T, fields: string[]): T {
  const copy = structuredClone(value);
  for (const f of fields) {
    const parts = f.split('.');
    const last = parts.pop();
    const parent = getPath(copy, parts);
    if (last && typeof parent === 'object' && parent !== null) {
      const p = parent as Json;
      if (typeof p[last] === 'string' && p[last] !== '') p[last] = MASK;
    }
  }
  return copy;
}

/** Which secret fields are set (for inspection, which never shows values). */
export function secretsSet(value: unknown, fields: string[]): string[] {
  return fields.filter((f) => {
    const v = getDotted(value, f);
    return typeof v === 'string' && v !== '';
  });
}

/** On update, a masked value sent back (GET-then-PUT) means "unchanged". */
export function keepMaskedSecrets(next: Json, previous: Json, fields: string[]): Json {
  const out = structuredClone(next);
  for (const f of fields) {
    const parts = f.split('.');
    const last = parts.pop();
    const parent = getPath(out, parts);
    if (!last || typeof parent !== 'object' || parent === null) continue;
    const p = parent as Json;
    if (p[last] === MASK) p[last] = getDotted(previous, f);
  }
  return out;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export interface TenantSeed {
  name: string;
  userEmail: string;
  userPassword: string;
  apiKey: string;
}

export class PaletteState {
  readonly tenants: Tenant[] = [];
  system: SystemConfig = {};
  readonly ids: IdSource;

  constructor(
    readonly seed: number,
    private readonly now: () => number,
  ) {
    this.ids = new IdSource(seed);
  }

  /** Tenant, its "Default" project, admin user and first API key; uids depend only on seed and name. */
  addTenant(t: TenantSeed): Tenant {
    if (this.tenants.some((x) => x.name === t.name)) throw new Error(`tenant ${t.name} already exists`);
    const uid = stableUid(this.seed, `tenant:${t.name}`);
    const user: User = {
      uid: stableUid(this.seed, `user:${t.name}:${t.userEmail}`),
      emailId: t.userEmail,
      password: t.userPassword,
      firstName: 'Sandbox',
      lastName: 'Admin',
    };
    const created = this.now();
    const tenant: Tenant = {
      uid,
      name: t.name,
      users: [user],
      projects: [{ uid: stableUid(this.seed, `project:${t.name}:Default`), name: 'Default' }],
      apiKeys: [
        {
          uid: stableUid(this.seed, `apikey:${t.name}:default`),
          name: 'sandbox-default',
          annotations: { description: 'API key created by the Palette emulator at start' },
          labels: {},
          value: t.apiKey,
          userUid: user.uid,
          expiry: created + 365 * 24 * 3600 * 1000,
          isActive: true,
          createdAt: created,
          modifiedAt: created,
        },
      ],
      resources: [],
      clusters: [],
      gateways: [],
    };
    this.tenants.push(tenant);
    return tenant;
  }

  tenantByUid(uid: string): Tenant | undefined {
    return this.tenants.find((t) => t.uid === uid);
  }

  findApiKey(value: string): { tenant: Tenant; key: ApiKeyRecord } | undefined {
    for (const tenant of this.tenants) {
      const key = tenant.apiKeys.find((k) => k.value === value);
      if (key) return { tenant, key };
    }
    return undefined;
  }

  /** Stable per tenant and partition; never changes for a given seed. */
  externalId(tenant: Tenant, partition: string): string {
    return uuidFrom(`palette-emulator-external-id-${this.seed}`, `${tenant.uid}:${partition}`);
  }
}
