/**
 * Local AWS sandbox: IAM, STS, S3, Secrets Manager, DynamoDB and Organizations over the real wire protocols on
 * 127.0.0.1.
 *
 *   const sb = await startSandbox({ port: 0, realism: { iamPropagationMs: 0 } });
 *   new STSClient({ endpoint: sb.endpoint, region: sb.region, credentials: sb });
 */
import type { AddressInfo } from 'node:net';
import { Kernel, DEFAULT_ACCESS_KEY_ID, DEFAULT_MANAGEMENT_ACCOUNT, DEFAULT_SECRET_ACCESS_KEY } from './core/kernel';
import { DEFAULT_REALISM, loadRealismFile, mergeRealism } from './core/realism';
import { createSandboxServer, emptyStats } from './core/server';
import { loadStateFile, StatePersister, type SandboxStateFile } from './core/state';
import type { CreateAccountOptions, RealismConfig, RunningSandbox, SandboxOptions } from './core/types';
import { createServices } from './services';
import { SandboxHooks, type AwsOperationEvent } from '../hooks';

export * from './core/types';
export type { AwsOperationEvent, SandboxRequestEvent, HookAnswer } from '../hooks';
export { AwsError } from './core/errors';
export { DEFAULT_REALISM } from './core/realism';
export { DEFAULT_ACCESS_KEY_ID, DEFAULT_MANAGEMENT_ACCOUNT, DEFAULT_SECRET_ACCESS_KEY, ORGANIZATION_ROLE_NAME } from './core/kernel';
export { SANDBOX_ORGANIZATION_ID, SANDBOX_ROOT_ID, type OrganizationTree, type OrganizationalUnitInfo } from './core/organization';
export { awsManagedPolicyDocument } from './core/policy';

export const DEFAULT_PORT = 4566;
export const DEFAULT_REGION = 'us-east-1';

function intFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

/**
 * Options from the environment: SANDBOX_AWS_PORT (4566), SANDBOX_REGION (us-east-1),
 * SANDBOX_ACCESS_KEY_ID / SANDBOX_SECRET_ACCESS_KEY (management admin keys), SANDBOX_ACCOUNT_ID,
 * SANDBOX_ACCOUNTS (comma-separated member account ids), SANDBOX_IAM_PROPAGATION_MS (3000),
 * SANDBOX_STATE_FILE, SANDBOX_CONFIG (realism JSON file), SANDBOX_SEED.
 */
export function sandboxOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): SandboxOptions {
  const opts: SandboxOptions = { port: intFromEnv(env, 'SANDBOX_AWS_PORT') ?? DEFAULT_PORT, region: env.SANDBOX_REGION || DEFAULT_REGION };
  if (env.SANDBOX_ACCESS_KEY_ID) opts.accessKeyId = env.SANDBOX_ACCESS_KEY_ID;
  if (env.SANDBOX_SECRET_ACCESS_KEY) opts.secretAccessKey = env.SANDBOX_SECRET_ACCESS_KEY;
  if (env.SANDBOX_ACCOUNT_ID) opts.managementAccountId = env.SANDBOX_ACCOUNT_ID;
  const accounts = (env.SANDBOX_ACCOUNTS ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  if (accounts.length > 0) opts.accounts = accounts;
  const propagation = intFromEnv(env, 'SANDBOX_IAM_PROPAGATION_MS');
  if (propagation !== undefined) opts.realism = { iamPropagationMs: propagation };
  if (env.SANDBOX_STATE_FILE) opts.stateFile = env.SANDBOX_STATE_FILE;
  if (env.SANDBOX_CONFIG) opts.configFile = env.SANDBOX_CONFIG;
  const seed = intFromEnv(env, 'SANDBOX_SEED');
  if (seed !== undefined) opts.seed = seed;
  return opts;
}

/** Starts the sandbox (resolves once listening). */
export async function startSandbox(opts: SandboxOptions = {}): Promise<RunningSandbox> {
  let realism: RealismConfig = DEFAULT_REALISM;
  if (opts.configFile) realism = mergeRealism(realism, loadRealismFile(opts.configFile));
  if (opts.realism) realism = mergeRealism(realism, opts.realism);
  const region = opts.region ?? DEFAULT_REGION;
  const accessKeyId = opts.accessKeyId ?? DEFAULT_ACCESS_KEY_ID;
  const secretAccessKey = opts.secretAccessKey ?? DEFAULT_SECRET_ACCESS_KEY;
  const kernel = new Kernel({
    managementAccountId: opts.managementAccountId ?? DEFAULT_MANAGEMENT_ACCOUNT,
    accessKeyId,
    secretAccessKey,
    region,
    seed: opts.seed ?? 1,
    realism,
    assumeSecureTransport: opts.assumeSecureTransport ?? true,
    ...(opts.organizationId !== undefined ? { organizationId: opts.organizationId } : {}),
  });
  const services = createServices(kernel);

  const saved = opts.stateFile ? loadStateFile(opts.stateFile) : undefined;
  if (saved) {
    kernel.restore(saved.kernel);
    for (const [name, service] of services) {
      if (Object.hasOwn(saved.services, name)) service.restore(saved.services[name]);
    }
  }
  for (const a of opts.accounts ?? []) kernel.accounts.create(a);

  const collect = (): SandboxStateFile => ({
    format: 'palette-onboarding-aws-sandbox',
    version: 1,
    savedAt: new Date().toISOString(),
    kernel: kernel.snapshot(),
    services: Object.fromEntries([...services].map(([name, s]) => [name, s.snapshot()])),
  });
  const persister = opts.stateFile ? new StatePersister(opts.stateFile, collect) : undefined;

  const inventory = (): Record<string, Record<string, string[]>> => {
    const out: Record<string, Record<string, string[]>> = {};
    for (const { accountId } of kernel.accounts.list()) {
      const merged: Record<string, string[]> = { ...kernel.inventory(accountId) };
      for (const [name, s] of services) {
        if (name === 'iam' || name === 'sts') continue;
        for (const [type, ids] of Object.entries(s.inventory(accountId))) merged[type] = [...(merged[type] ?? []), ...ids];
      }
      out[accountId] = merged;
    }
    return out;
  };
  const stats = emptyStats();
  const createAccount = (accountId: string, accountOpts?: CreateAccountOptions) => {
    const info = kernel.accounts.create(accountId, accountOpts);
    persister?.schedule();
    return info;
  };

  const hooks = new SandboxHooks<AwsOperationEvent>('aws');
  const server = createSandboxServer({
    kernel,
    services,
    stats,
    inventory,
    createAccount,
    changed: () => persister?.schedule(),
    hooks,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? DEFAULT_PORT, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  persister?.flush();
  const port = (server.address() as AddressInfo).port;
  const management = kernel.accounts.get(kernel.accounts.managementAccountId);
  let stopped: Promise<void> | undefined;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    region,
    accountId: kernel.accounts.managementAccountId,
    accessKeyId: management?.accessKeyId ?? accessKeyId,
    secretAccessKey: management?.secretAccessKey ?? secretAccessKey,
    kernel,
    services,
    createAccount,
    organizationId: kernel.organization.id,
    serviceSession: async (req) => {
      const session = await kernel.serviceSession(req);
      persister?.schedule();
      return session;
    },
    onAuthorize: (fn) => kernel.onAuthorize(fn),
    setRealism: (patch) => {
      kernel.setRealism(patch);
    },
    inventory,
    stats: () => structuredClone(stats),
    persist: () => persister?.flush(),
    onOperation: (fn) => hooks.onOperation(fn),
    onRequest: (fn) => hooks.onRequest(fn),
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        hooks.releaseHeld();
        persister?.flush();
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(async () => {
        // Embedded engines (DynamoDB's dynalite servers) stop once no request can reach them any more.
        await Promise.all([...services.values()].map((s) => s.close?.()));
      });
      return stopped;
    },
  };
}
