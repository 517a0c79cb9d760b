/**
 * Secrets Manager state: secrets per account and region, their versions and staging labels,
 * scheduled deletion, and the JSON form used by the sandbox state file.
 */
import { z } from 'zod';
import { AwsError } from '../../core/errors';

const DAY_MS = 86_400_000;
/** AWS keeps about 100 versions without staging labels before removing the oldest. */
const MAX_DEPRECATED_VERSIONS = 100;

const tagSchema = z.object({ Key: z.string(), Value: z.string() });

const versionSchema = z.object({
  versionId: z.string(),
  secretString: z.string().optional(),
  /** Base64. */
  secretBinary: z.string().optional(),
  stages: z.array(z.string()),
  createdDate: z.number(),
});

const secretSchema = z.object({
  accountId: z.string(),
  region: z.string(),
  name: z.string(),
  arn: z.string(),
  description: z.string().optional(),
  kmsKeyId: z.string().optional(),
  tags: z.array(tagSchema),
  resourcePolicy: z.string().optional(),
  /** ClientRequestToken of the CreateSecret call, for idempotent retries. */
  creationToken: z.string().optional(),
  createdDate: z.number(),
  lastChangedDate: z.number(),
  /** Midnight UTC of the last GetSecretValue day. */
  lastAccessedDate: z.number().optional(),
  /** Epoch ms after which the secret is gone (present while scheduled for deletion). */
  deletionDate: z.number().optional(),
  /** Creation order, oldest first. */
  versions: z.array(versionSchema),
});

const snapshotSchema = z.object({ version: z.literal(1), secrets: z.array(secretSchema) });

export type SecretVersion = z.infer<typeof versionSchema>;
export type SecretRecord = z.infer<typeof secretSchema>;

/** A secret value as given in a request: exactly one of the two. */
export type SecretValue = { kind: 'string'; value: string } | { kind: 'binary'; base64: string };

export function valueOf(v: SecretVersion): SecretValue | undefined {
  if (v.secretString !== undefined) return { kind: 'string', value: v.secretString };
  if (v.secretBinary !== undefined) return { kind: 'binary', base64: v.secretBinary };
  return undefined;
}

export function sameValue(a: SecretValue | undefined, b: SecretValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.kind === 'string' && b.kind === 'string') return a.value === b.value;
  if (a.kind === 'binary' && b.kind === 'binary') return a.base64 === b.base64;
  return false;
}

export function lastAccessDay(now: number): number {
  return Math.floor(now / DAY_MS) * DAY_MS;
}

export function isScheduledForDeletion(s: SecretRecord): boolean {
  return s.deletionDate !== undefined;
}

/** Staging labels per version, leaving out deprecated (label-less) versions, as AWS does. */
export function versionsToStages(s: SecretRecord): Record<string, string[]> | undefined {
  const out: Record<string, string[]> = {};
  for (const v of s.versions) if (v.stages.length > 0) out[v.versionId] = [...v.stages];
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Adds a version (PutSecretValue/UpdateSecret/CreateSecret) or, when a version with this token
 * already holds the same value, returns it unchanged (idempotent retry).
 */
export function addVersion(
  s: SecretRecord,
  versionId: string,
  value: SecretValue,
  stages: readonly string[],
  now: number,
): { version: SecretVersion; created: boolean } {
  const existing = s.versions.find((v) => v.versionId === versionId);
  if (existing) {
    if (sameValue(valueOf(existing), value)) return { version: existing, created: false };
    throw new AwsError(
      'ResourceExistsException',
      "You can't modify an existing version, you can only create new versions.",
      400,
    );
  }
  const labels = [...new Set(stages)];
  if (labels.includes('AWSCURRENT')) {
    const previous = s.versions.find((v) => v.stages.includes('AWSCURRENT'));
    for (const v of s.versions) v.stages = v.stages.filter((l) => l !== 'AWSPREVIOUS');
    if (previous) previous.stages = [...previous.stages.filter((l) => l !== 'AWSCURRENT'), 'AWSPREVIOUS'];
  }
  const moved = labels.filter((l) => l !== 'AWSCURRENT');
  for (const v of s.versions) v.stages = v.stages.filter((l) => !moved.includes(l));
  const version: SecretVersion = {
    versionId,
    ...(value.kind === 'string' ? { secretString: value.value } : { secretBinary: value.base64 }),
    stages: labels,
    createdDate: now,
  };
  s.versions.push(version);
  const deprecated = s.versions.filter((v) => v.stages.length === 0);
  const excess = deprecated.length - MAX_DEPRECATED_VERSIONS;
  if (excess > 0) {
    const drop = new Set(deprecated.slice(0, excess));
    s.versions = s.versions.filter((v) => !drop.has(v));
  }
  s.lastChangedDate = now;
  return { version, created: true };
}

export class SecretStore {
  /** key: account \0 region \0 name */
  private secrets = new Map<string, SecretRecord>();

  private static key(accountId: string, region: string, name: string): string {
    return `${accountId}\u0000${region}\u0000${name}`;
  }

  /** Removes the secrets whose recovery window has passed. */
  purgeExpired(now: number): void {
    for (const [k, s] of this.secrets) {
      if (s.deletionDate !== undefined && s.deletionDate <= now) this.secrets.delete(k);
    }
  }

  get(accountId: string, region: string, name: string): SecretRecord | undefined {
    return this.secrets.get(SecretStore.key(accountId, region, name));
  }

  byArn(accountId: string, region: string, arn: string): SecretRecord | undefined {
    for (const s of this.secrets.values()) {
      if (s.accountId === accountId && s.region === region && s.arn === arn) return s;
    }
    return undefined;
  }

  list(accountId: string, region?: string): SecretRecord[] {
    return [...this.secrets.values()].filter(
      (s) => s.accountId === accountId && (region === undefined || s.region === region),
    );
  }

  put(s: SecretRecord): void {
    this.secrets.set(SecretStore.key(s.accountId, s.region, s.name), s);
  }

  remove(s: SecretRecord): void {
    this.secrets.delete(SecretStore.key(s.accountId, s.region, s.name));
  }

  snapshot(): z.infer<typeof snapshotSchema> {
    return { version: 1, secrets: structuredClone([...this.secrets.values()]) };
  }

  restore(data: unknown): void {
    if (data === undefined || data === null) {
      this.secrets = new Map();
      return;
    }
    const parsed = snapshotSchema.parse(data);
    this.secrets = new Map(parsed.secrets.map((s) => [SecretStore.key(s.accountId, s.region, s.name), s]));
  }
}
