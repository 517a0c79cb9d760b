/**
 * The sandbox side of a local run: where the AWS sandbox and the Palette emulator answer, and the state a
 * run needs there (the tenant's member account; the Palette API key in the home account's Secrets Manager).
 * Works with an in-process sandbox (startLocalSandbox) and with one already running (`npm run sandbox`).
 */
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceExistsException,
  RestoreSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { checkPaletteApiKey, retryTransient } from '../../cli/preflight';
import { DEFAULT_ACCESS_KEY_ID, DEFAULT_PORT as DEFAULT_AWS_PORT, DEFAULT_SECRET_ACCESS_KEY } from '../aws';
import { DEFAULT_API_KEY, DEFAULT_PALETTE_PORT } from '../palette/index';
import type { LocalSandboxReadyLine } from '../sandbox';

export interface SandboxEndpoints {
  aws: { endpoint: string; region: string; accountId: string; accessKeyId: string; secretAccessKey: string };
  palette: { endpoint: string; apiKey: string };
}

/** A running in-process sandbox (startLocalSandbox) or plain endpoints. */
export type SandboxLike = SandboxEndpoints | { readyLine(): LocalSandboxReadyLine };

export function sandboxEndpoints(sb: SandboxLike): SandboxEndpoints {
  if ('readyLine' in sb) {
    const r = sb.readyLine();
    return {
      aws: { endpoint: r.endpoint, region: r.region, accountId: r.accountId, accessKeyId: r.accessKeyId, secretAccessKey: r.secretAccessKey },
      palette: { endpoint: r.palette.endpoint, apiKey: r.palette.apiKey },
    };
  }
  return sb;
}

export class SandboxError extends Error {
  override readonly name = 'SandboxError';
}

const ACCOUNT_ID = /^\d{12}$/;

/** Creates the member accounts (idempotent; each with OrganizationAccountAccessRole, as AWS Organizations does). */
export async function ensureSandboxAccounts(sb: SandboxEndpoints, accountIds: readonly string[]): Promise<void> {
  for (const accountId of new Set(accountIds)) {
    if (!ACCOUNT_ID.test(accountId) || accountId === sb.aws.accountId) continue;
    let res: Response;
    try {
      res = await fetch(`${sb.aws.endpoint}/_sandbox/accounts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ accountId }),
      });
    } catch (e) {
      throw new SandboxError(`cannot reach the AWS sandbox at ${sb.aws.endpoint} to create account ${accountId}: ${String(e)}`);
    }
    if (!res.ok) throw new SandboxError(`the AWS sandbox refused to create account ${accountId}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer().catch(() => undefined);
  }
}

/** The secret name a PALETTE_API_KEY_SECRET_ARN value refers to (a name, or an ARN with the 6-char suffix). */
export function secretNameOf(ref: string): string {
  const m = /^arn:[^:]+:secretsmanager:[^:]+:\d{12}:secret:(.+)$/.exec(ref);
  if (!m) return ref;
  const name = m[1] as string;
  return /-[A-Za-z0-9]{6}$/.test(name) ? name.slice(0, -7) : name;
}

function secretsClient(sb: SandboxEndpoints): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint: sb.aws.endpoint,
    region: sb.aws.region,
    credentials: { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey },
  });
}

/**
 * Stores `value` (as JSON text) in the home account's Secrets Manager under the name `secretRef` refers to, and
 * returns the secret's ARN in the sandbox. Idempotent: an existing secret (restored if scheduled for deletion)
 * gets a new version only when its current value differs.
 */
export async function ensureSandboxSecret(
  sb: SandboxEndpoints,
  secretRef: string,
  value: unknown,
  opts: { description?: string; what?: string } = {},
): Promise<string> {
  const name = secretNameOf(secretRef);
  const sm = secretsClient(sb);
  const SecretString = JSON.stringify(value);
  try {
    try {
      const out = await sm.send(
        new CreateSecretCommand({ Name: name, SecretString, ...(opts.description ? { Description: opts.description } : {}) }),
      );
      if (!out.ARN) throw new SandboxError(`CreateSecret ${name} returned no ARN`);
      return out.ARN;
    } catch (e) {
      if (!(e instanceof ResourceExistsException) && !(e instanceof InvalidRequestException)) throw e;
    }
    // Exists (possibly scheduled for deletion by an earlier run): restore, and store the value if it changed.
    const described = await sm.send(new DescribeSecretCommand({ SecretId: name }));
    if (described.DeletedDate) await sm.send(new RestoreSecretCommand({ SecretId: name }));
    const current = await sm.send(new GetSecretValueCommand({ SecretId: name })).catch(() => undefined);
    if (current?.SecretString !== SecretString) await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString }));
    if (!described.ARN) throw new SandboxError(`DescribeSecret ${name} returned no ARN`);
    return described.ARN;
  } catch (e) {
    if (e instanceof SandboxError) throw e;
    throw new SandboxError(
      `cannot store the ${opts.what ?? 'secret'} '${name}' in the AWS sandbox at ${sb.aws.endpoint}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
    );
  } finally {
    sm.destroy();
  }
}

/**
 * Stores the emulator's tenant API key as `{"apiKey": "..."}` in the home account's Secrets Manager, under the
 * name `secretRef` refers to, and returns the secret's ARN in the sandbox.
 */
export function ensurePaletteApiKeySecret(sb: SandboxEndpoints, secretRef: string): Promise<string> {
  return ensureSandboxSecret(sb, secretRef, { apiKey: sb.palette.apiKey }, {
    description: 'Palette API key (local sandbox)',
    what: 'Palette API key secret',
  });
}

// ---- finding a sandbox that is already running ----------------------------------------------------------

export interface ConfiguredEndpoints {
  awsEndpoint: string;
  paletteEndpoint: string;
}

/**
 * Where a running sandbox is expected: AWS_ENDPOINT_URL or 127.0.0.1:SANDBOX_AWS_PORT (default 4566), and
 * SANDBOX_PALETTE_ENDPOINT or 127.0.0.1:SANDBOX_PALETTE_PORT (default 4580).
 */
export function configuredEndpoints(env: NodeJS.ProcessEnv = process.env): ConfiguredEndpoints {
  const trim = (u: string) => u.replace(/\/+$/, '');
  return {
    awsEndpoint: trim(env.AWS_ENDPOINT_URL || `http://127.0.0.1:${env.SANDBOX_AWS_PORT || DEFAULT_AWS_PORT}`),
    paletteEndpoint: trim(env.SANDBOX_PALETTE_ENDPOINT || `http://127.0.0.1:${env.SANDBOX_PALETTE_PORT || DEFAULT_PALETTE_PORT}`),
  };
}

async function getJson(url: string, timeoutMs: number, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown } | undefined> {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body };
  } catch {
    return undefined;
  }
}

export type DetectResult =
  | { state: 'running'; endpoints: SandboxEndpoints }
  | { state: 'absent'; endpoints: ConfiguredEndpoints }
  /** Something answers, but not a usable sandbox (only one of the two, or wrong credentials). */
  | { state: 'unusable'; reason: string };

/**
 * Looks for a sandbox already answering at the configured endpoints and checks that this process can use it:
 * admin credentials (SANDBOX_ACCESS_KEY_ID / SANDBOX_SECRET_ACCESS_KEY, else AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY, else the sandbox defaults) and the tenant API key (PALETTE_SANDBOX_API_KEY, else the
 * emulator default).
 */
export async function detectRunningSandbox(
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 1500,
  onRetry?: (line: string) => void,
): Promise<DetectResult> {
  const configured = configuredEndpoints(env);
  const [awsHealth, paletteHealth] = await Promise.all([
    getJson(`${configured.awsEndpoint}/_sandbox/health`, timeoutMs),
    getJson(`${configured.paletteEndpoint}/_emulator/health`, timeoutMs),
  ]);
  const awsUp = awsHealth?.status === 200;
  const paletteUp = paletteHealth?.status === 200;
  if (!awsUp && !paletteUp) {
    if (awsHealth || paletteHealth) {
      const who = awsHealth ? configured.awsEndpoint : configured.paletteEndpoint;
      return { state: 'unusable', reason: `something answers at ${who}, but it is not the local sandbox (health check failed)` };
    }
    return { state: 'absent', endpoints: configured };
  }
  if (!awsUp || !paletteUp) {
    const [up, down] = awsUp
      ? [`the AWS sandbox answers at ${configured.awsEndpoint}`, `no Palette emulator at ${configured.paletteEndpoint}`]
      : [`the Palette emulator answers at ${configured.paletteEndpoint}`, `no AWS sandbox at ${configured.awsEndpoint}`];
    return {
      state: 'unusable',
      reason: `${up} but ${down}; start both with \`npm run sandbox\` (or set AWS_ENDPOINT_URL / SANDBOX_PALETTE_ENDPOINT), or stop the one running to let the runner start its own`,
    };
  }
  const health = awsHealth.body as { managementAccountId?: unknown; region?: unknown };
  const region = typeof health.region === 'string' ? health.region : 'us-east-1';
  const accessKeyId = env.SANDBOX_ACCESS_KEY_ID || env.AWS_ACCESS_KEY_ID || DEFAULT_ACCESS_KEY_ID;
  const secretAccessKey = env.SANDBOX_SECRET_ACCESS_KEY || env.AWS_SECRET_ACCESS_KEY || DEFAULT_SECRET_ACCESS_KEY;
  const sts = new STSClient({ endpoint: configured.awsEndpoint, region, credentials: { accessKeyId, secretAccessKey } });
  let accountId = '';
  try {
    // Throttling, 5xx and resets are "not now", not "wrong credentials": ridden out like the Palette check below.
    const answer = await retryTransient(async () => {
      try {
        const me = await sts.send(new GetCallerIdentityCommand({}));
        accountId = me.Account ?? '';
        return { kind: 'ok' } as const;
      } catch (e) {
        const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        const name = e instanceof Error ? e.name : String(e);
        if (status === 429 || (status !== undefined && status >= 500) || /Throttl|TooManyRequests|ServiceUnavailable|InternalError|ECONNRESET|TimeoutError/.test(name)) {
          return { kind: 'transient', what: `the AWS sandbox answered ${name}` } as const;
        }
        return { kind: 'rejected', status: status ?? 0, code: name } as const;
      }
    }, { ...(onRetry ? { onRetry } : {}) });
    if (answer.verdict.kind === 'transient') {
      return {
        state: 'unusable',
        reason: `the AWS sandbox at ${configured.awsEndpoint} is unavailable or throttling: ${answer.verdict.what} on each of ${answer.attempts} attempts (the admin credentials were not rejected); try again when it answers`,
      };
    }
    if (answer.verdict.kind !== 'ok') {
      const code = 'code' in answer.verdict ? answer.verdict.code : undefined;
      return {
        state: 'unusable',
        reason: `the AWS sandbox at ${configured.awsEndpoint} rejects the admin credentials ${accessKeyId} (${code ?? 'error'}); set SANDBOX_ACCESS_KEY_ID / SANDBOX_SECRET_ACCESS_KEY`,
      };
    }
    if (accountId !== health.managementAccountId) {
      return {
        state: 'unusable',
        reason: `the credentials (${accessKeyId}) belong to account ${accountId}, not the sandbox management account ${String(health.managementAccountId)}; set SANDBOX_ACCESS_KEY_ID / SANDBOX_SECRET_ACCESS_KEY to its admin key`,
      };
    }
  } finally {
    sts.destroy();
  }
  const apiKey = env.PALETTE_SANDBOX_API_KEY || DEFAULT_API_KEY;
  // Only 401 / 403 mean a wrong key; 429, 5xx, resets and timeouts are retried (cli/preflight.ts).
  const check = await checkPaletteApiKey(configured.paletteEndpoint, apiKey, { timeoutMs: timeoutMs * 2, ...(onRetry ? { onRetry } : {}) });
  if (!check.ok) return { state: 'unusable', reason: check.message ?? `the Palette emulator at ${configured.paletteEndpoint} did not accept the API key check` };
  return {
    state: 'running',
    endpoints: {
      aws: { endpoint: configured.awsEndpoint, region, accountId, accessKeyId, secretAccessKey },
      palette: { endpoint: configured.paletteEndpoint, apiKey },
    },
  };
}
