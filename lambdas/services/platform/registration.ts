/**
 * Palette's system STS account: check the system login (CheckSystemLogin), then point the account at the STS
 * principal's stored key and read it back (RegisterStsAccount). PUT is the spec's method; the client falls back
 * to the docs' POST when PUT is not accepted.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  stsAccountOwnership,
  StsKeySecretSchema,
  type PaletteStsBefore,
  type PlatformPlan,
  type StsKeySecret,
  type StsRegistrationResult,
} from '../../domain/platform';
import { awsCall, ConfigurationError, VerificationError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import { readSecretJson } from '../../shared/secrets';
import { PaletteNotFoundError } from '../palette';
import { AccessKeyNotReadyError, StsAccountNotOursError } from './errors';
import { getStsAccount, setStsAccount, withSystemPalette } from './palette';
import { principalKeyIds } from './principal';

/**
 * CheckSystemLogin: syslogin works, what Palette's STS account is before anything changes, and whose it is (the
 * home account with a key of this deployment's STS principal is ours). A foreign account is left alone unless the
 * input says takeOver: the state machine then skips the principal and the registration and reports it.
 */
export async function checkSystemLogin(plan: PlatformPlan): Promise<PaletteStsBefore> {
  const current = await withSystemPalette(plan, (client) => getStsAccount(client, plan.partition));
  const seen = {
    ...(current.accountId ? { accountId: current.accountId } : {}),
    ...(current.accessKey ? { accessKeyId: current.accessKey } : {}),
  };
  const ownership = stsAccountOwnership(seen, {
    homeAccountId: plan.homeAccountId,
    principalKeyIds: seen.accessKeyId ? await principalKeyIds(plan) : [],
    userArn: plan.userArn,
  });
  const before: PaletteStsBefore = {
    configured: Boolean(current.accountId || current.accessKey),
    ...seen,
    ...ownership,
    leaveAlone: ownership.owner === 'foreign' && !plan.takeOver,
  };
  logger.info('Palette system console login succeeded', { partition: plan.partition, ...before });
  if (ownership.owner === 'foreign') {
    if (plan.takeOver) logger.warn("Palette's system STS account is not this deployment's: taking it over (takeOver)", { ...before });
    else logger.warn("Palette's system STS account is not this deployment's: left alone (run with takeOver to replace it)", { ...before });
  }
  return before;
}

const INVALID_KEY_CODES = new Set(['InvalidClientTokenId', 'SignatureDoesNotMatch', 'UnrecognizedClientException', 'AuthFailure']);

/**
 * The stored key works (sts:GetCallerIdentity needs no permission) and belongs to the principal. A key IAM has
 * not propagated yet answers InvalidClientTokenId: AccessKeyNotReadyError, retried by the state machine, so
 * Palette is never pointed at a key that does not work yet.
 */
async function probeKey(plan: PlatformPlan, key: StsKeySecret): Promise<void> {
  const sts = new STSClient({
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    maxAttempts: 1,
  });
  try {
    const who = await awsCall(() => sts.send(new GetCallerIdentityCommand({})));
    if (who.Arn !== plan.userArn) {
      throw new ConfigurationError(`Access key ${key.accessKeyId} in ${plan.accessKeySecretName} belongs to ${who.Arn ?? 'unknown'}, not ${plan.userArn}`);
    }
  } catch (e) {
    if (e instanceof Error && INVALID_KEY_CODES.has(e.name)) {
      throw new AccessKeyNotReadyError(`Access key ${key.accessKeyId} is not usable yet (${e.name}); IAM may still be propagating it`);
    }
    throw e;
  } finally {
    sts.destroy();
  }
}

/**
 * RegisterStsAccount: Palette's system STS account = {home account id, stored key}. Skipped when Palette already
 * has exactly that account and key id (a re-run changes nothing). Always read back and verified.
 */
export async function registerStsAccount(plan: PlatformPlan, expectedAccessKeyId: string, before: PaletteStsBefore): Promise<StsRegistrationResult> {
  const key = await readSecretJson(plan.accessKeySecretName, StsKeySecretSchema);
  if (key.accessKeyId !== expectedAccessKeyId) {
    throw new ConfigurationError(
      `Secret ${plan.accessKeySecretName} holds access key ${key.accessKeyId}, but this execution stored ${expectedAccessKeyId} (another platform setup running?)`,
    );
  }
  if (before.leaveAlone) {
    // The state machine does not get here (IsStsAccountOurs); never replace an account that is not ours.
    throw new StsAccountNotOursError(`Palette's system STS account is not this deployment's (${before.reason ?? 'foreign'}): left alone; use takeOver to replace it`);
  }
  return withSystemPalette(plan, async (client) => {
    const current = await getStsAccount(client, plan.partition);
    // Someone else changed the account since CheckSystemLogin decided whose it is: decide again on the next run.
    const changedMeanwhile = (current.accountId || undefined) !== before.accountId || (current.accessKey || undefined) !== before.accessKeyId;
    if (changedMeanwhile && !plan.takeOver && (current.accountId !== plan.homeAccountId || current.accessKey !== key.accessKeyId)) {
      throw new StsAccountNotOursError(
        `Palette's system STS account changed during this execution (now account ${current.accountId ?? '(none)'}, key ${current.accessKey ?? '(none)'}; ` +
          `it was ${before.accountId ?? '(none)'}, ${before.accessKeyId ?? '(none)'}): it is left alone; run the platform setup again (with takeOver to replace it)`,
      );
    }
    const tookOver = before.owner === 'foreign' ? { ...(before.accountId ? { accountId: before.accountId } : {}), ...(before.accessKeyId ? { accessKeyId: before.accessKeyId } : {}) } : undefined;
    let changed = false;
    let method: 'PUT' | 'POST' | undefined;
    if (current.accountId !== plan.homeAccountId || current.accessKey !== key.accessKeyId) {
      await probeKey(plan, key);
      method = await setStsAccount(client, plan.partition, {
        accountId: plan.homeAccountId,
        accessKey: key.accessKeyId,
        secretKey: key.secretAccessKey,
      });
      changed = true;
      logger.info('Palette system STS account set', {
        method,
        accountId: plan.homeAccountId,
        accessKeyId: key.accessKeyId,
        previousAccountId: current.accountId,
        previousAccessKeyId: current.accessKey,
        ...(tookOver ? { tookOver: true } : {}),
      });
    }
    const readBack = await getStsAccount(client, plan.partition);
    const wrong = [
      readBack.accountId !== plan.homeAccountId ? `accountId is ${JSON.stringify(readBack.accountId ?? null)}` : '',
      readBack.accessKey !== key.accessKeyId ? `accessKey is ${JSON.stringify(readBack.accessKey ?? null)}` : '',
    ].filter(Boolean);
    if (wrong.length > 0) {
      throw new VerificationError(
        `Palette's system STS account does not read back as set (expected accountId ${plan.homeAccountId}, accessKey ${key.accessKeyId}): ${wrong.join(', ')}`,
      );
    }
    // The docs' own check after setting the STS account. By the spec this is the separate "devops" account, so a
    // different key there is reported, not an error.
    let awsAccountMatches = false;
    if (plan.partition === 'aws') {
      try {
        awsAccountMatches = (await client.system.getAwsAccount()).spec?.accessKey === key.accessKeyId;
      } catch (e) {
        if (!(e instanceof PaletteNotFoundError)) throw e;
      }
      if (!awsAccountMatches) logger.warn('GET /v1/system/config/aws/account reports a different access key (a separate devops account?)');
    }
    return {
      accountId: plan.homeAccountId,
      accessKeyId: key.accessKeyId,
      changed,
      ...(method ? { method } : {}),
      verified: true as const,
      awsAccountMatches,
      ...(tookOver && changed ? { tookOver } : {}),
    };
  });
}
