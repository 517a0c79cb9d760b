/** Deterministic names for everything the onboarding creates (see docs/workflow-contract.md). Pure. */
import { createHash } from 'node:crypto';

export const IAM_PATH = '/palette-onboarding/';
export const NAME_PREFIX = 'palette-onboarding';
/** Tag / annotation keys. created-by holds the execution name that created the resource. */
export const CREATED_BY_TAG = 'palette-onboarding/created-by';
export const TENANT_TAG = 'palette-onboarding/tenant';
export const ACCESS_KEY_ID_TAG = 'palette-onboarding/access-key-id';
export const MANAGED_BY_TAG = 'palette-onboarding/managed-by';

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
export const cloudAccountName = (tenantId: string) => `${tenantId}-aws`;
export const backupLocationName = (tenantId: string) => `${tenantId}-s3`;

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
