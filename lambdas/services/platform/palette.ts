/**
 * The system-console side of the platform setup: one PaletteClient per (endpoint, credentials secret), cached
 * for the container, logging in with POST /v1/auth/syslogin. A rejected login becomes SystemLoginError, which
 * names the secret to check (never its value).
 */
import { SystemCredentialsSchema, type PlatformPlan } from '../../domain/platform';
import { logger } from '../../shared/logger';
import { recordPaletteCall } from '../../shared/metrics';
import { paletteCaBundle } from '../../shared/palette-ca';
import { readSecretJson } from '../../shared/secrets';
import { PaletteAuthError, PaletteClient, PaletteNotFoundError, type SystemAwsStsAccount } from '../palette';
import { loadPlatformEnv } from './env';
import { SystemLoginError } from './errors';

const SYSLOGIN_PATH = '/v1/auth/syslogin';
const clients = new Map<string, PaletteClient>();

/** A Lambda has 90 s: keep each Palette call (with its retries) well inside it. */
const CALL_BUDGET_MS = 20_000;

export function systemPalette(plan: Pick<PlatformPlan, 'systemSecretId'>): PaletteClient {
  const baseUrl = loadPlatformEnv().PALETTE_ENDPOINT;
  const key = `${baseUrl}|${plan.systemSecretId}`;
  let client = clients.get(key);
  if (!client) {
    client = new PaletteClient({
      baseUrl,
      auth: { type: 'system', credentials: () => readSecretJson(plan.systemSecretId, SystemCredentialsSchema) },
      logger,
      // PaletteCalls / PaletteThrottles of the invocation (lambdas/shared/metrics.ts).
      onAttempt: recordPaletteCall,
      retry: { budgetMs: CALL_BUDGET_MS },
      // A private CA trusted in addition to the public roots (PALETTE_CA_BUNDLE), when configured.
      caBundle: paletteCaBundle(),
    });
    clients.set(key, client);
  }
  return client;
}

/** Test hook: forget cached clients (and their tokens). */
export function resetPaletteClients(): void {
  clients.clear();
}

/** Runs `fn` with the system client; a rejected syslogin is reported as SystemLoginError. */
export async function withSystemPalette<T>(plan: Pick<PlatformPlan, 'systemSecretId'>, fn: (client: PaletteClient) => Promise<T>): Promise<T> {
  try {
    return await fn(systemPalette(plan));
  } catch (e) {
    if (e instanceof PaletteAuthError && e.path === SYSLOGIN_PATH) {
      throw new SystemLoginError(
        `Palette system console login failed (${e.status} ${e.code}): check the username and password in secret ${plan.systemSecretId}`,
        { cause: e },
      );
    }
    throw e;
  }
}

/** The system STS account for the plan's partition; `{}` when Palette has none (404 counts as none). */
export async function getStsAccount(client: PaletteClient, partition: PlatformPlan['partition']): Promise<SystemAwsStsAccount> {
  try {
    return partition === 'aws-us-gov' ? await client.system.getAwsGovStsAccount() : await client.system.getAwsStsAccount();
  } catch (e) {
    if (e instanceof PaletteNotFoundError) return {};
    throw e;
  }
}

export async function setStsAccount(
  client: PaletteClient,
  partition: PlatformPlan['partition'],
  account: Required<Pick<SystemAwsStsAccount, 'accountId' | 'accessKey' | 'secretKey'>>,
): Promise<'PUT' | 'POST'> {
  return partition === 'aws-us-gov' ? client.system.setAwsGovStsAccount(account) : client.system.setAwsStsAccount(account);
}
