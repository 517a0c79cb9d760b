/**
 * Palette's SaaS STS identity inside the AWS sandbox: a fixed AWS account (999999999999) with an IAM user that
 * may assume cross-account roles. Tenants' roles trust `arn:aws:iam::999999999999:root` with the tenant's
 * external id; the emulator calls sts:AssumeRole as this user, exactly as Palette SaaS would. (Root
 * credentials cannot call AssumeRole in AWS, hence a dedicated IAM user.)
 */
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  IAMClient,
  ListAccessKeysCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AccountInfo } from '../aws/core/types';
import type { StsPrincipal } from './aws-checks';

/** Palette's AWS account in SaaS mode (the account tenants' roles trust). */
export const PALETTE_SAAS_ACCOUNT_ID = '999999999999';
export const PALETTE_STS_USER = 'palette-sts';

/** The slice of RunningSandbox this needs (kept structural so it works with any conforming sandbox). */
export interface SandboxForPalette {
  endpoint: string;
  region: string;
  createAccount(accountId: string): AccountInfo;
  kernel: { config: { iamPropagationMs: number } };
  setRealism(patch: { iamPropagationMs?: number }): void;
}

function errorName(e: unknown): string {
  return typeof e === 'object' && e !== null && 'name' in e ? String((e as { name: unknown }).name) : '';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Creates (idempotently) the Palette account and its STS user with a fresh access key, and returns the principal
 * to pass as `aws.saasPrincipal`. Palette's identity exists long before any tenant, so it is created with IAM
 * propagation switched off for the moment (the sandbox's setting is restored right after) and then checked.
 */
export async function provisionSaasPrincipal(
  aws: SandboxForPalette,
  opts: { accountId?: string; timeoutMs?: number } = {},
): Promise<StsPrincipal> {
  const propagation = aws.kernel.config.iamPropagationMs;
  aws.setRealism({ iamPropagationMs: 0 });
  try {
    return await provision(aws, opts.accountId ?? PALETTE_SAAS_ACCOUNT_ID, opts.timeoutMs ?? 60_000);
  } finally {
    aws.setRealism({ iamPropagationMs: propagation });
  }
}

async function provision(aws: SandboxForPalette, accountId: string, timeoutMs: number): Promise<StsPrincipal> {
  const admin = aws.createAccount(accountId);
  const iam = new IAMClient({
    endpoint: aws.endpoint,
    region: aws.region,
    credentials: { accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey },
  });
  try {
    try {
      await iam.send(new CreateUserCommand({ UserName: PALETTE_STS_USER, Path: '/palette/' }));
    } catch (e) {
      if (errorName(e) !== 'EntityAlreadyExistsException' && errorName(e) !== 'EntityAlreadyExists') throw e;
    }
    await iam.send(
      new PutUserPolicyCommand({
        UserName: PALETTE_STS_USER,
        PolicyName: 'palette-assume-tenant-roles',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::*:role/*' }],
        }),
      }),
    );
    // A persisted sandbox keeps old keys; IAM allows two per user, so start from none.
    const existing = await iam.send(new ListAccessKeysCommand({ UserName: PALETTE_STS_USER }));
    for (const k of existing.AccessKeyMetadata ?? []) {
      if (k.AccessKeyId) await iam.send(new DeleteAccessKeyCommand({ UserName: PALETTE_STS_USER, AccessKeyId: k.AccessKeyId }));
    }
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: PALETTE_STS_USER }))).AccessKey;
    if (!key?.AccessKeyId || !key.SecretAccessKey) throw new Error('CreateAccessKey returned no key');
    const principal: StsPrincipal = { accountId, accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
    await waitUntilUsable(aws, principal, timeoutMs);
    return principal;
  } finally {
    iam.destroy();
  }
}

async function waitUntilUsable(aws: SandboxForPalette, p: StsPrincipal, timeoutMs: number): Promise<void> {
  const sts = new STSClient({ endpoint: aws.endpoint, region: aws.region, credentials: p, maxAttempts: 1 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        await sts.send(new GetCallerIdentityCommand({}));
        return;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await sleep(250);
      }
    }
  } finally {
    sts.destroy();
  }
}
