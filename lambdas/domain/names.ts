/** Deterministic names for everything the onboarding creates (see docs/workflow-contract.md). Pure. */
import { createHash } from 'node:crypto';

export const IAM_PATH = '/palette-onboarding/';
export const NAME_PREFIX = 'palette-onboarding';
/** Tag / annotation keys. created-by holds the execution name that created the resource. */
export const CREATED_BY_TAG = 'palette-onboarding/created-by';
export const TENANT_TAG = 'palette-onboarding/tenant';
export const ACCESS_KEY_ID_TAG = 'palette-onboarding/access-key-id';
/** managed-by holds the deployment id (stack config `deploymentId`): objects of another deployment are never touched. */
export const MANAGED_BY_TAG = 'palette-onboarding/managed-by';
/** The default deployment id, also the managed-by value of objects made before deployment ids existed. */
export const DEFAULT_DEPLOYMENT_ID = 'palette-onboarding';

const shortHash = (s: string, len = 8) => createHash('sha256').update(s).digest('hex').slice(0, len);

/** S3 bucket name: palette-backup-<tenant>-<account>-<region>, hash-shortened to stay within 63 chars. */
export function bucketName(tenantId: string, accountId: string, region: string): string {
  const full = `palette-backup-${tenantId}-${accountId}-${region}`;
  if (full.length <= 63) return full;
  const hash = shortHash(full);
  const head = `palette-backup-${tenantId}`.slice(0, 63 - hash.length - 1).replace(/[-.]+$/, '');
  return `${head}-${hash}`;
}

/** IAM names are limited to 64 (roles, users) / 128 (policies) characters. */
function iamName(base: string, max: number): string {
  if (base.length <= max) return base;
  const hash = shortHash(base);
  return `${base.slice(0, max - hash.length - 1)}-${hash}`;
}

export const backupPolicyName = (tenantId: string) => iamName(`${NAME_PREFIX}-${tenantId}-backup`, 128);
export const principalName = (tenantId: string) => iamName(`${NAME_PREFIX}-${tenantId}`, 64);
export const accessKeySecretName = (tenantId: string) => `${NAME_PREFIX}/${tenantId}/aws-access-key`;

export const bucketArn = (partition: string, bucket: string) => `arn:${partition}:s3:::${bucket}`;
export const policyArn = (partition: string, accountId: string, name: string) =>
  `arn:${partition}:iam::${accountId}:policy${IAM_PATH}${name}`;
export const roleArn = (partition: string, accountId: string, name: string, path = '/') =>
  `arn:${partition}:iam::${accountId}:role${path}${name}`;
export const userArn = (partition: string, accountId: string, name: string, path = '/') =>
  `arn:${partition}:iam::${accountId}:user${path}${name}`;

/**
 * Step Functions execution name: tenant id plus a hash of the request, so a duplicate start is
 * deduplicated. Valid SFN name (≤ 80 chars of [A-Za-z0-9-_]).
 */
export function executionName(tenantId: string, request: unknown, suffix?: string): string {
  const hash = shortHash(canonicalJson(request), 12);
  const tail = suffix ? `-${suffix.replace(/[^A-Za-z0-9-_]/g, '')}` : '';
  return `${tenantId.slice(0, 80 - hash.length - 1 - tail.length)}-${hash}${tail}`;
}

/**
 * The execution name for a request AS GIVEN (the CLI's request file, an event's detail; before validation):
 * its tenant id (characters Step Functions does not allow replaced by '-', at most 40; `request` when there is
 * no usable tenant id) plus a hash of the request (key order does not matter). Every start of an onboarding
 * uses it (CLI, the event starter), so the same request started twice, or by both, is one execution. `suffix`
 * forces a new execution of an identical request (a deliberate re-run).
 */
export function executionNameFor(raw: unknown, suffix?: string): string {
  const tenant =
    typeof raw === 'object' && raw !== null && 'tenantId' in raw && typeof raw.tenantId === 'string' ? raw.tenantId : '';
  const safe = tenant.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40) || 'request';
  return executionName(safe, raw, suffix);
}

/** JSON with object keys sorted recursively: equal requests hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Registry keys of the objects a tenant may own: one string per object, known before the object exists (derived
 * from its name), so a write-ahead intent can name it. The registry records the object's real ARN or uid beside it.
 */
export const resourceKey = {
  /** S3 bucket names are global per partition. */
  bucket: (partition: string, name: string) => `s3:${partition}:bucket/${name}`,
  policy: (accountId: string, name: string) => `iam:${accountId}:policy/${name}`,
  role: (accountId: string, name: string) => `iam:${accountId}:role/${name}`,
  user: (accountId: string, name: string) => `iam:${accountId}:user/${name}`,
  /** A secret in the home account (the deployment's own Secrets Manager). */
  secret: (homeAccountId: string, name: string) => `secretsmanager:${homeAccountId}:secret/${name}`,
  /** A Palette object: `scope` is `tenant` or `project/<uid>`, `kind` e.g. `cloud-account/aws`, `backup-location`. */
  palette: (scope: string, kind: string, name: string) => `palette:${scope}:${kind}/${name}`,
} as const;

/** The Palette scope part of a registry key. */
export const paletteScopeKey = (projectUid: string | undefined): string => (projectUid ? `project/${projectUid}` : 'tenant');
