/**
 * Secrets Manager helpers. Values are returned to callers only; they are never logged or put in errors. Each takes
 * the client to use: by default the function's own (home) client, which may read only the deployment's own secrets
 * (the Palette API key, the platform secrets); a tenant's secrets need `tenantSecretsClient(plan, job)`
 * (lambdas/shared/aws-clients.ts).
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  TagResourceCommand,
  type DescribeSecretCommandOutput,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { z } from 'zod';
import { CREATED_BY_TAG } from '../domain/names';
import { homeClient } from './aws-clients';
import { awsCall, ConfigurationError } from './errors';

const home = () => homeClient(SecretsManagerClient);

async function currentValue(arn: string, sm: SecretsManagerClient): Promise<{ value: string; versionId: string | undefined }> {
  const out = await awsCall(() => sm.send(new GetSecretValueCommand({ SecretId: arn })));
  if (out.SecretString === undefined) throw new ConfigurationError(`Secret ${arn} has no string value`);
  return { value: out.SecretString, versionId: out.VersionId };
}

export async function readSecretString(arn: string, sm: SecretsManagerClient = home()): Promise<string> {
  return (await currentValue(arn, sm)).value;
}

/** The secret's current value and the id of that version, from one read: the version id names exactly this value. */
export async function readSecretVersion(arn: string, sm: SecretsManagerClient = home()): Promise<{ value: string; versionId: string }> {
  const { value, versionId } = await currentValue(arn, sm);
  if (!versionId) throw new ConfigurationError(`Secret ${arn}: Secrets Manager returned no VersionId`);
  return { value, versionId };
}

export async function readSecretJson<T extends z.ZodType>(arn: string, schema: T, sm: SecretsManagerClient = home()): Promise<z.output<T>> {
  return parseSecretJson(arn, await readSecretString(arn, sm), schema);
}

/** A secret's text as JSON of the schema; errors name the secret and the missing fields, never a value. */
export function parseSecretJson<T extends z.ZodType>(arn: string, text: string, schema: T): z.output<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigurationError(`Secret ${arn} is not valid JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigurationError(
      `Secret ${arn} does not have the expected fields: ${parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ')}`,
    );
  }
  return parsed.data;
}

export async function describeSecret(nameOrArn: string, sm: SecretsManagerClient = home()): Promise<DescribeSecretCommandOutput | undefined> {
  try {
    return await awsCall(() => sm.send(new DescribeSecretCommand({ SecretId: nameOrArn })));
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined;
    throw err;
  }
}

export const secretTag = (d: DescribeSecretCommandOutput | undefined, key: string): string | undefined =>
  d?.Tags?.find((t) => t.Key === key)?.Value;

/** Creates the secret, or stores a new version of it; merges tags. */
export async function ensureSecretValue(opts: {
  name: string;
  value: Record<string, unknown>;
  tags: Record<string, string>;
  description?: string;
}): Promise<{ arn: string; created: boolean }> {
  const sm = home();
  const SecretString = JSON.stringify(opts.value);
  const existing = await describeSecret(opts.name);
  const tagList = Object.entries(opts.tags).map(([Key, Value]) => ({ Key, Value }));
  if (!existing?.ARN) {
    const out = await awsCall(() =>
      sm.send(new CreateSecretCommand({ Name: opts.name, SecretString, Tags: tagList, Description: opts.description })),
    );
    if (!out.ARN) throw new Error(`CreateSecret ${opts.name} returned no ARN`);
    return { arn: out.ARN, created: true };
  }
  const arn = existing.ARN;
  await awsCall(() => sm.send(new PutSecretValueCommand({ SecretId: arn, SecretString })));
  // created-by is set only at creation: it records which execution may remove the secret.
  const add = tagList.filter((t) => t.Key !== CREATED_BY_TAG);
  if (add.length > 0) await awsCall(() => sm.send(new TagResourceCommand({ SecretId: arn, Tags: add })));
  return { arn, created: false };
}

export async function forceDeleteSecret(arn: string, sm: SecretsManagerClient = home()): Promise<void> {
  await awsCall(() => sm.send(new DeleteSecretCommand({ SecretId: arn, ForceDeleteWithoutRecovery: true })));
}

/** Deletes the secret with a recovery window: Secrets Manager keeps it restorable for `days` (7-30). */
export async function scheduleSecretDeletion(arn: string, days: number, sm: SecretsManagerClient = home()): Promise<void> {
  await awsCall(() => sm.send(new DeleteSecretCommand({ SecretId: arn, RecoveryWindowInDays: days })));
}

/**
 * Compensation for a secret this project writes: force-deletes it only if this execution created it
 * (created-by tag); otherwise reports it as retained. Returns what it did, for the undo result.
 */
export async function undoSecretCreatedBy(
  nameOrArn: string,
  executionName: string,
): Promise<{ deleted?: string; retained?: { id: string; reason: string } }> {
  const secret = await describeSecret(nameOrArn);
  if (!secret?.ARN) return {};
  if (secretTag(secret, CREATED_BY_TAG) !== executionName) return { retained: { id: secret.ARN, reason: 'not created by this execution' } };
  await forceDeleteSecret(secret.ARN);
  return { deleted: secret.ARN };
}
