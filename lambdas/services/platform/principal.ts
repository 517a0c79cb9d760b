/**
 * The Palette STS principal in the home account: an IAM user (path /palette-onboarding/) whose ONLY permission is
 * sts:AssumeRole on the tenant roles this project creates, with one active access key stored straight in Secrets
 * Manager (the secret's `palette-onboarding/access-key-id` tag names the key, so the value is read only where it
 * is sent to Palette). The user's policy (EnsureStsUser) and its keys (EnsureAccessKey) are set by different
 * states with different roles: no single Lambda can both widen the user's permissions and obtain a key.
 *
 * Keys are never deleted while Palette's system STS account may use them: rotation creates the second key and
 * stores it; RegisterStsAccount points Palette at it and verifies; only then CleanupAccessKeys deletes keys that
 * neither the secret nor Palette reference. Every ensure is idempotent: a re-run changes nothing.
 */
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand,
  NoSuchEntityException,
  PutUserPolicyCommand,
  TagUserCommand,
  UpdateAccessKeyCommand,
  type AccessKeyMetadata,
  IAMClient,
  type Tag,
  type User,
} from '@aws-sdk/client-iam';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ACCESS_KEY_ID_TAG, CREATED_BY_TAG } from '../../domain/names';
import {
  StsKeySecretSchema,
  stsPrincipalPolicyDocument,
  type PaletteStsBefore,
  type PlatformPlan,
  type PlatformUndoResult,
  type AccessKeyResult,
  type KeyCleanupResult,
  type RotationResult,
  type StsUserResult,
} from '../../domain/platform';
import { policyDocumentsEqual } from '../../domain/policies';
import { homeClient } from '../../shared/aws-clients';
import { awsCall, ConfigurationError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import { describeSecret, ensureSecretValue, forceDeleteSecret, secretTag } from '../../shared/secrets';
import { iamTags, orNoSuchEntity, tagsToAdd, tagValue } from '../aws/iam-util';
import { getStsAccount, withSystemPalette } from './palette';

const iam = (): IAMClient => homeClient(IAMClient);

async function getUser(UserName: string): Promise<User | undefined> {
  return (await orNoSuchEntity(() => iam().send(new GetUserCommand({ UserName }))))?.User;
}

async function listKeys(UserName: string): Promise<AccessKeyMetadata[]> {
  return (await awsCall(() => iam().send(new ListAccessKeysCommand({ UserName })))).AccessKeyMetadata ?? [];
}

/** The access key ids of the STS principal; none when the user does not exist (yet). */
export async function principalKeyIds(plan: Pick<PlatformPlan, 'userName'>): Promise<string[]> {
  const out = await orNoSuchEntity(() => iam().send(new ListAccessKeysCommand({ UserName: plan.userName })));
  return (out?.AccessKeyMetadata ?? []).map((k) => k.AccessKeyId ?? '').filter((id) => id !== '');
}

async function deleteKey(UserName: string, AccessKeyId: string): Promise<void> {
  await awsCall(() => iam().send(new DeleteAccessKeyCommand({ UserName, AccessKeyId })));
}

/** The user's only permission: the one inline policy, no other inline or attached policy. Returns whether anything changed. */
async function ensureOnlyPolicy(plan: PlatformPlan): Promise<boolean> {
  const UserName = plan.userName;
  const wanted = stsPrincipalPolicyDocument(plan.assumeRolePatterns);
  let changed = false;
  const current = await orNoSuchEntity(() => iam().send(new GetUserPolicyCommand({ UserName, PolicyName: plan.policyName })));
  const currentDoc = current?.PolicyDocument ? decodeURIComponent(current.PolicyDocument) : undefined;
  if (!currentDoc || !policyDocumentsEqual(currentDoc, wanted)) {
    await awsCall(() =>
      iam().send(new PutUserPolicyCommand({ UserName, PolicyName: plan.policyName, PolicyDocument: JSON.stringify(wanted) })),
    );
    changed = true;
  }
  const inline = (await awsCall(() => iam().send(new ListUserPoliciesCommand({ UserName })))).PolicyNames ?? [];
  for (const PolicyName of inline.filter((n) => n !== plan.policyName)) {
    await awsCall(() => iam().send(new DeleteUserPolicyCommand({ UserName, PolicyName })));
    logger.warn('Removed an unexpected inline policy from the STS principal', { userName: UserName, policyName: PolicyName });
    changed = true;
  }
  const attached = (await awsCall(() => iam().send(new ListAttachedUserPoliciesCommand({ UserName })))).AttachedPolicies ?? [];
  for (const p of attached) {
    const PolicyArn = p.PolicyArn;
    if (!PolicyArn) continue;
    await awsCall(() => iam().send(new DetachUserPolicyCommand({ UserName, PolicyArn })));
    logger.warn('Detached an unexpected managed policy from the STS principal', { userName: UserName, policyArn: PolicyArn });
    changed = true;
  }
  return changed;
}

/** Creates an access key and stores it (value only in the secret; the key id also as a tag). */
async function createAndStoreKey(plan: PlatformPlan): Promise<{ accessKeyId: string; secretArn: string; secretCreated: boolean }> {
  const UserName = plan.userName;
  const out = await awsCall(() => iam().send(new CreateAccessKeyCommand({ UserName })));
  const key = out.AccessKey;
  if (!key?.AccessKeyId || !key.SecretAccessKey) throw new Error(`CreateAccessKey for ${UserName} returned no key`);
  const stored = await ensureSecretValue({
    name: plan.accessKeySecretName,
    value: { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey },
    tags: { ...plan.tags, [ACCESS_KEY_ID_TAG]: key.AccessKeyId },
    description: `Access key of ${plan.userArn}, Palette's system STS account (palette-onboarding platform setup)`,
  });
  logger.info('Created and stored a new STS principal access key', { userName: UserName, accessKeyId: key.AccessKeyId });
  return { accessKeyId: key.AccessKeyId, secretArn: stored.arn, secretCreated: stored.created };
}

/**
 * Picks a key to delete to make room under IAM's two-key limit: never the stored key or the one Palette uses;
 * inactive keys first, then the oldest.
 */
function spareKey(keys: AccessKeyMetadata[], keep: ReadonlySet<string | undefined>): string | undefined {
  const candidates = keys
    .filter((k) => k.AccessKeyId && !keep.has(k.AccessKeyId))
    .sort((a, b) => Number(a.Status === 'Active') - Number(b.Status === 'Active') || (a.CreateDate?.getTime() ?? 0) - (b.CreateDate?.getTime() ?? 0));
  return candidates[0]?.AccessKeyId;
}

/** EnsureStsUser: the user and its one policy (no keys: EnsureAccessKey, a separate role, handles those). */
export async function ensureStsUser(plan: PlatformPlan): Promise<StsUserResult> {
  const UserName = plan.userName;
  let user = await getUser(UserName);
  let created = false;
  if (!user) {
    const out = await awsCall(() => iam().send(new CreateUserCommand({ UserName, Path: plan.userPath, Tags: iamTags(plan.tags) })));
    user = out.User;
    created = true;
    logger.info('Created the STS principal', { userArn: user?.Arn ?? plan.userArn });
  } else {
    if (user.Path !== plan.userPath) {
      throw new ConfigurationError(
        `IAM user ${UserName} exists with path ${user.Path ?? '/'}, not ${plan.userPath}: it is not the STS principal this project manages`,
      );
    }
    const add = tagsToAdd(user.Tags, plan.tags);
    if (add.length > 0) await awsCall(() => iam().send(new TagUserCommand({ UserName, Tags: add })));
  }
  const policyUpdated = await ensureOnlyPolicy(plan);
  return { userName: UserName, userArn: user?.Arn ?? plan.userArn, created, policyUpdated };
}

/** EnsureAccessKey: the secret holds an active key of the user; a new key only when it holds none. */
export async function ensureAccessKey(plan: PlatformPlan, before: PaletteStsBefore): Promise<AccessKeyResult> {
  const UserName = plan.userName;
  const keys = await listKeys(UserName);
  const secret = await describeSecret(plan.accessKeySecretName);
  const storedId = secretTag(secret, ACCESS_KEY_ID_TAG);
  const stored = keys.find((k) => k.AccessKeyId === storedId);
  if (stored?.AccessKeyId && secret?.ARN) {
    if (stored.Status !== 'Active') {
      const AccessKeyId = stored.AccessKeyId;
      await awsCall(() => iam().send(new UpdateAccessKeyCommand({ UserName, AccessKeyId, Status: 'Active' })));
      logger.warn('Re-activated the stored STS principal access key', { accessKeyId: AccessKeyId });
    }
    return { accessKeyId: stored.AccessKeyId, created: false, secretArn: secret.ARN, secretCreated: false };
  }
  // The secret holds no usable key (first run, or the secret was lost): a new key is needed.
  if (keys.length >= 2) {
    const spare = spareKey(keys, new Set([before.accessKeyId]));
    if (spare) await deleteKey(UserName, spare);
  }
  const key = await createAndStoreKey(plan);
  return { accessKeyId: key.accessKeyId, created: true, secretArn: key.secretArn, secretCreated: key.secretCreated };
}

/**
 * RotateAccessKey: the second key, stored in the secret (Palette is updated by the next state). Stale keys
 * (referenced by neither the secret nor Palette) are removed first to stay within two keys. When the secret
 * already holds a newer key than Palette uses (an interrupted rotation), that rotation is resumed instead.
 */
export async function rotateAccessKey(plan: PlatformPlan, before: PaletteStsBefore, accessKey: AccessKeyResult): Promise<RotationResult> {
  const UserName = plan.userName;
  if (accessKey.created) {
    return { rotated: false, resumed: false, accessKeyId: accessKey.accessKeyId, deletedStaleKeys: [] };
  }
  const current = accessKey.accessKeyId;
  const keys = await listKeys(UserName);
  const paletteKey = keys.some((k) => k.AccessKeyId === before.accessKeyId) ? before.accessKeyId : undefined;
  const deletedStaleKeys: string[] = [];
  for (const k of keys) {
    const id = k.AccessKeyId;
    if (id && id !== current && id !== paletteKey) {
      await deleteKey(UserName, id);
      deletedStaleKeys.push(id);
    }
  }
  if (paletteKey && paletteKey !== current) {
    logger.info('Resuming an interrupted rotation', { previousAccessKeyId: paletteKey, accessKeyId: current });
    return { rotated: false, resumed: true, previousAccessKeyId: paletteKey, accessKeyId: current, deletedStaleKeys };
  }
  const next = await createAndStoreKey(plan);
  return { rotated: true, resumed: false, previousAccessKeyId: current, accessKeyId: next.accessKeyId, deletedStaleKeys };
}

/** Palette's current STS access key id ('' when not configured). */
async function paletteAccessKeyId(plan: PlatformPlan): Promise<string> {
  return withSystemPalette(plan, async (client) => (await getStsAccount(client, plan.partition)).accessKey ?? '');
}

/**
 * CleanupAccessKeys: deletes the user's keys that neither the secret nor Palette's system STS account
 * reference (after a rotation: the old key, now that Palette uses the new one).
 */
export async function cleanupAccessKeys(plan: PlatformPlan): Promise<KeyCleanupResult> {
  const UserName = plan.userName;
  const storedId = secretTag(await describeSecret(plan.accessKeySecretName), ACCESS_KEY_ID_TAG);
  if (!storedId) throw new ConfigurationError(`Secret ${plan.accessKeySecretName} names no access key (tag ${ACCESS_KEY_ID_TAG})`);
  const paletteKey = await paletteAccessKeyId(plan);
  const deleted: string[] = [];
  for (const k of await listKeys(UserName)) {
    const id = k.AccessKeyId;
    if (id && id !== storedId && id !== paletteKey) {
      await deleteKey(UserName, id);
      deleted.push(id);
    }
  }
  if (deleted.length > 0) logger.info('Deleted access keys no longer in use', { userName: UserName, deleted });
  return { activeAccessKeyId: storedId, deleted };
}

/** The secret's previous version, when it holds the key `accessKeyId`. */
async function previousSecretValue(secretId: string, accessKeyId: string): Promise<{ accessKeyId: string; secretAccessKey: string } | undefined> {
  try {
    const out = await awsCall(() =>
      homeClient(SecretsManagerClient).send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSPREVIOUS' })),
    );
    const parsed = StsKeySecretSchema.safeParse(JSON.parse(out.SecretString ?? 'null'));
    return parsed.success && parsed.data.accessKeyId === accessKeyId ? parsed.data : undefined;
  } catch (e) {
    if (e instanceof ResourceNotFoundException || e instanceof SyntaxError) return undefined;
    throw e;
  }
}

/**
 * UndoStsPrincipal (compensation). Removes only what this execution created, and never a key Palette uses:
 *  - the user, if this execution created it and Palette does not use any of its keys (with its keys and policy),
 *    and the key secret if this execution created it;
 *  - otherwise the keys created during this execution that Palette does not use; if the secret was moved to such
 *    a key while Palette still uses the previous one, the secret is put back to the previous key first.
 * When Palette's STS account cannot be read, nothing is deleted (it might use the keys).
 */
export async function undoStsPrincipal(plan: PlatformPlan, executionName: string, startTime?: string): Promise<PlatformUndoResult> {
  const result: PlatformUndoResult = { deleted: [], retained: [], secretRestored: false };
  const UserName = plan.userName;
  const user = await getUser(UserName);
  const secret = await describeSecret(plan.accessKeySecretName);
  const secretOurs = secret?.ARN !== undefined && secretTag(secret, CREATED_BY_TAG) === executionName;
  if (!user) {
    if (secret?.ARN && secretOurs) {
      await forceDeleteSecret(secret.ARN);
      result.deleted.push(secret.ARN);
    }
    return result;
  }
  const userArn = user.Arn ?? plan.userArn;
  let paletteKey: string;
  try {
    paletteKey = await paletteAccessKeyId(plan);
  } catch (e) {
    const reason = `Palette's system STS account could not be read (${e instanceof Error ? e.name : 'error'}), so it may use this principal`;
    result.retained.push({ id: userArn, reason });
    return result;
  }
  const keys = await listKeys(UserName);
  const paletteUsesOurKey = keys.some((k) => k.AccessKeyId === paletteKey);

  if (tagValue(user.Tags, CREATED_BY_TAG) === executionName) {
    if (paletteUsesOurKey) {
      result.retained.push({ id: userArn, reason: `Palette's system STS account uses its access key ${paletteKey}` });
      return result;
    }
    for (const k of keys) if (k.AccessKeyId) await deleteKey(UserName, k.AccessKeyId);
    for (const PolicyName of (await awsCall(() => iam().send(new ListUserPoliciesCommand({ UserName })))).PolicyNames ?? []) {
      await awsCall(() => iam().send(new DeleteUserPolicyCommand({ UserName, PolicyName })));
    }
    for (const p of (await awsCall(() => iam().send(new ListAttachedUserPoliciesCommand({ UserName })))).AttachedPolicies ?? []) {
      const PolicyArn = p.PolicyArn;
      if (PolicyArn) await awsCall(() => iam().send(new DetachUserPolicyCommand({ UserName, PolicyArn })));
    }
    await awsCall(() => iam().send(new DeleteUserCommand({ UserName })));
    result.deleted.push(userArn);
    if (secret?.ARN && secretOurs) {
      await forceDeleteSecret(secret.ARN);
      result.deleted.push(secret.ARN);
    } else if (secret?.ARN) {
      result.retained.push({ id: secret.ARN, reason: 'not created by this execution' });
    }
    return result;
  }

  // The user pre-existed: undo this execution's keys only.
  let storedId = secretTag(secret, ACCESS_KEY_ID_TAG);
  if (secret?.ARN && paletteUsesOurKey && storedId !== paletteKey) {
    const previous = await previousSecretValue(secret.ARN, paletteKey);
    if (previous) {
      await ensureSecretValue({
        name: plan.accessKeySecretName,
        value: previous,
        tags: { ...plan.tags, [ACCESS_KEY_ID_TAG]: previous.accessKeyId },
      });
      storedId = previous.accessKeyId;
      result.secretRestored = true;
    }
  }
  // IAM reports CreateDate in whole seconds: allow one second of truncation.
  const since = startTime ? new Date(startTime).getTime() - 1000 : Number.POSITIVE_INFINITY;
  for (const k of keys) {
    const id = k.AccessKeyId;
    if (!id || id === paletteKey || id === storedId) continue;
    if ((k.CreateDate?.getTime() ?? 0) >= since) {
      await deleteKey(UserName, id);
      result.deleted.push(id);
    } else {
      result.retained.push({ id, reason: 'created before this execution' });
    }
  }
  return result;
}
