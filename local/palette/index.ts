/**
 * Local Palette emulator: an HTTP server implementing the Palette API subset in
 * lambdas/services/palette/spec/openapi-subset.json and its supplement (spec/supplement.json: cluster search and
 * backup configuration, private cloud gateways), with real AWS validation against the AWS sandbox.
 * See local/palette/README.md for behaviour and the emulator's documented choices.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { AwsTarget, StsPrincipal } from './aws-checks';
import { TOKEN_TTL_MS, TokenService } from './auth';
import type { PaletteMode } from './operations';
import {
  RateLimiter,
  Realism,
  type FaultOutage,
  type FaultOutageInput,
  type PaletteFaultStats,
  type PaletteRealismConfig,
  type RealismPatch,
  defaultRealism,
} from './realism';
import { PALETTE_SAAS_ACCOUNT_ID } from './saas-identity';
import { PaletteServer, type RequestLogEntry } from './server';
import { loadSpec } from './spec';
import type { ClusterInput } from './clusters';
import type { GatewayInput } from './gateways';
import { getDotted, type Json, PaletteState } from './state';
import { SandboxHooks, type OperationObserver, type PaletteOperationEvent, type RequestObserver } from '../hooks';

export type { PaletteMode } from './operations';
export type { StsPrincipal, AwsTarget } from './aws-checks';
export type { PaletteRealismConfig, RealismPatch, FaultRule, FaultOutage, FaultOutageInput, PaletteFaultStats } from './realism';
export type { RequestLogEntry } from './server';
export type { ClusterInput } from './clusters';
export type { GatewayInput } from './gateways';
export type { PaletteOperationEvent, SandboxRequestEvent, HookAnswer } from '../hooks';
export { PALETTE_SAAS_ACCOUNT_ID, PALETTE_STS_USER, provisionSaasPrincipal, type SandboxForPalette } from './saas-identity';

export const DEFAULT_PALETTE_PORT = 4580;
export const DEFAULT_SYSTEM_USER = 'admin';
export const DEFAULT_SYSTEM_PASSWORD = 'sandbox-system-password';
export const DEFAULT_TENANT_NAME = 'sandbox';
export const DEFAULT_TENANT_USER = 'admin@sandbox.local';
export const DEFAULT_TENANT_PASSWORD = 'sandbox-tenant-password';
export const DEFAULT_API_KEY = 'SbxPltApiKey7Qm2VwX9rT4nLc8ZpD3k';

export interface PaletteEmulatorOptions {
  /** 0 picks a free port. Default 4580 (env SANDBOX_PALETTE_PORT). */
  port?: number;
  host?: '127.0.0.1';
  /** saas (default): Palette's STS identity is the fixed SaaS account; self-hosted: the system STS account. */
  mode?: PaletteMode;
  /** The AWS sandbox used by the validate endpoints. saasPrincipal = Palette's STS principal in SaaS mode. */
  aws?: AwsTarget & { saasPrincipal?: StsPrincipal };
  systemUser?: string;
  systemPassword?: string;
  tenantName?: string;
  tenantUser?: string;
  tenantPassword?: string;
  /** The default tenant's API key. */
  apiKey?: string;
  /** Palette's rate limits (default on). */
  rateLimit?: boolean;
  /** Spec-check every response; a violation becomes a 500 (default on). */
  validateResponses?: boolean;
  /** Reject request fields the schema does not declare (default off: the spec allows them, Palette ignores them). */
  rejectUnknownFields?: boolean;
  latency?: Partial<PaletteRealismConfig['latency']>;
  faults?: RealismPatch['faults'];
  seed?: number;
  /** Session token lifetime (default 15 minutes, as documented). */
  tokenTtlMs?: number;
  /**
   * Serve https with this certificate (PEM: the server certificate, then its intermediates) and private key (PEM),
   * e.g. one issued by a private CA the test generates at run time (a self-hosted Palette behind a private CA; env
   * PALETTE_SANDBOX_TLS_CERT_FILE / PALETTE_SANDBOX_TLS_KEY_FILE). The certificate must name 127.0.0.1 (IP SAN). The
   * endpoint is then `https://127.0.0.1:<port>`. Default: plain http.
   */
  tls?: { cert: string; key: string };
}

export interface TenantCredentials {
  tenantUid: string;
  tenantName: string;
  projectUid: string;
  apiKey: string;
  tenantUser: string;
  tenantPassword: string;
}

export interface RunningPaletteEmulator extends TenantCredentials {
  endpoint: string;
  port: number;
  mode: PaletteMode;
  systemUser: string;
  systemPassword: string;
  /** Account id Palette reports from GET /v1/clouds/aws/account/sts (SaaS mode); undefined in self-hosted mode. */
  stsAccountId?: string;
  /** Same document as GET /_emulator/state. */
  inspect(): Json;
  configure(patch: RealismPatch): PaletteRealismConfig;
  /** Adds an outage window (every matching API call fails, 503 by default) from `from` (default now) for `durationMs` or until `until`. */
  outage(o: FaultOutageInput): FaultOutage;
  /** Injected-fault counters since start or the last resetFaultStats() (also GET /_emulator/stats). */
  faultStats(): PaletteFaultStats;
  resetFaultStats(): void;
  requests(): RequestLogEntry[];
  /** Back to the seeded state (tenants, keys, no resources, no system config). */
  reset(): void;
  /** Adds another tenant (with a Default project, admin user and API key). */
  addTenant(name: string, opts?: { apiKey?: string; user?: string; password?: string }): TenantCredentials;
  /**
   * Adds a cluster (also POST /_emulator/clusters): in the first tenant unless `tenantUid`, in its tenant scope unless
   * `projectUid`, using an existing cloud account and optionally a backup location visible from that scope. Returns
   * its uid. Listed by the cluster search, its backup configuration read by GET .../features/backup. Reset removes it.
   */
  addCluster(input: ClusterInput): string;
  /** Removes a cluster (also DELETE /_emulator/clusters/{uid}); false when there is none. */
  removeCluster(uid: string): boolean;
  /**
   * Adds a private cloud gateway (also POST /_emulator/gateways): in the first tenant unless `tenantUid`, `Running`
   * unless `state`. Returns its uid. Listed by GET /v1/overlords, read by GET /v1/overlords/{uid}. Reset removes it.
   */
  addGateway(input: GatewayInput): string;
  /** Sets a gateway's status.state (also PATCH /_emulator/gateways/{uid} `{"state": ...}`); false when there is none. */
  setGatewayState(uid: string, state: string): boolean;
  /** Removes a gateway (also DELETE /_emulator/gateways/{uid}); false when there is none. */
  removeGateway(uid: string): boolean;
  /**
   * In-process only (never served over HTTP), for tests: whether this API key value authenticates now, as the ApiKey
   * header would (a key of some tenant, active, not expired by the emulator's clock).
   */
  apiKeyAuthenticates(value: string): boolean;
  /**
   * In-process only, for tests that check what reached Palette although every read masks it: the stored value of a
   * secret field of a resource (`clientSecret`, `config.credentials.jsonCredentials`, ...); undefined when unset.
   */
  storedSecret(uid: string, field: string): string | undefined;
  /**
   * In-process observer of every answered API call (local/hooks.ts); answering 'hold' keeps the response unsent
   * (the socket stays open until stop). Returns the unsubscribe function.
   */
  onOperation(fn: OperationObserver<PaletteOperationEvent>): () => void;
  /** In-process observer of every API request before it is processed; 'hold' leaves it unprocessed and unanswered. */
  onRequest(fn: RequestObserver): () => void;
  stop(): Promise<void>;
}

function offValue(v: string | undefined): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  return !['off', 'false', '0', 'no', 'disabled'].includes(v.toLowerCase());
}

/** Options from SANDBOX_PALETTE_PORT and PALETTE_SANDBOX_* variables (unset ones are left out). */
export function paletteOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): PaletteEmulatorOptions {
  const o: PaletteEmulatorOptions = {};
  if (env.SANDBOX_PALETTE_PORT) o.port = Number(env.SANDBOX_PALETTE_PORT);
  if (env.PALETTE_SANDBOX_SYSTEM_USER) o.systemUser = env.PALETTE_SANDBOX_SYSTEM_USER;
  if (env.PALETTE_SANDBOX_SYSTEM_PASSWORD) o.systemPassword = env.PALETTE_SANDBOX_SYSTEM_PASSWORD;
  if (env.PALETTE_SANDBOX_API_KEY) o.apiKey = env.PALETTE_SANDBOX_API_KEY;
  if (env.PALETTE_SANDBOX_TENANT_NAME) o.tenantName = env.PALETTE_SANDBOX_TENANT_NAME;
  if (env.PALETTE_SANDBOX_TENANT_USER) o.tenantUser = env.PALETTE_SANDBOX_TENANT_USER;
  if (env.PALETTE_SANDBOX_TENANT_PASSWORD) o.tenantPassword = env.PALETTE_SANDBOX_TENANT_PASSWORD;
  const mode = env.PALETTE_SANDBOX_MODE;
  if (mode === 'saas' || mode === 'self-hosted') o.mode = mode;
  else if (mode) throw new Error(`PALETTE_SANDBOX_MODE must be saas or self-hosted, got '${mode}'`);
  const rl = offValue(env.PALETTE_SANDBOX_RATE_LIMIT);
  if (rl !== undefined) o.rateLimit = rl;
  const vr = offValue(env.PALETTE_SANDBOX_VALIDATE_RESPONSES);
  if (vr !== undefined) o.validateResponses = vr;
  const strict = offValue(env.PALETTE_SANDBOX_STRICT_FIELDS);
  if (strict !== undefined) o.rejectUnknownFields = strict;
  if (env.PALETTE_SANDBOX_LATENCY_MS) o.latency = { defaultMs: Number(env.PALETTE_SANDBOX_LATENCY_MS) };
  if (env.PALETTE_SANDBOX_SEED) o.seed = Number(env.PALETTE_SANDBOX_SEED);
  const certFile = env.PALETTE_SANDBOX_TLS_CERT_FILE;
  const keyFile = env.PALETTE_SANDBOX_TLS_KEY_FILE;
  if (Boolean(certFile) !== Boolean(keyFile)) throw new Error('PALETTE_SANDBOX_TLS_CERT_FILE and PALETTE_SANDBOX_TLS_KEY_FILE go together');
  if (certFile && keyFile) o.tls = { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  for (const [k, v] of Object.entries({ port: o.port, seed: o.seed, latency: o.latency?.defaultMs })) {
    if (v !== undefined && !Number.isFinite(v)) throw new Error(`invalid number for Palette emulator option ${k}`);
  }
  return o;
}

export async function startPaletteEmulator(opts: PaletteEmulatorOptions = {}): Promise<RunningPaletteEmulator> {
  const seed = opts.seed ?? 1;
  const mode = opts.mode ?? 'saas';
  const systemUser = opts.systemUser ?? DEFAULT_SYSTEM_USER;
  const systemPassword = opts.systemPassword ?? DEFAULT_SYSTEM_PASSWORD;
  const main = {
    name: opts.tenantName ?? DEFAULT_TENANT_NAME,
    userEmail: opts.tenantUser ?? DEFAULT_TENANT_USER,
    userPassword: opts.tenantPassword ?? DEFAULT_TENANT_PASSWORD,
    apiKey: opts.apiKey ?? DEFAULT_API_KEY,
  };
  const config = defaultRealism(seed);
  const realism = new Realism(config);
  realism.apply({ latency: opts.latency, faults: opts.faults, rateLimit: opts.rateLimit ?? true });
  const now = () => Date.now() + realism.config.clockOffsetMs;
  const tokens = new TokenService(now, opts.tokenTtlMs ?? TOKEN_TTL_MS);
  const extraTenants: Parameters<PaletteState['addTenant']>[0][] = [];

  const hooks = new SandboxHooks<PaletteOperationEvent>('palette');
  const server = new PaletteServer({
    hooks,
    spec: loadSpec({ rejectUnknownFields: opts.rejectUnknownFields === true }),
    tokens,
    realism,
    limiter: new RateLimiter(now),
    validateResponses: opts.validateResponses ?? true,
    seedState: () => {
      const state = new PaletteState(seed, now);
      state.addTenant(main);
      for (const t of extraTenants) state.addTenant(t);
      return state;
    },
    core: {
      tokens,
      now,
      mode,
      ...(opts.aws ? { aws: { endpoint: opts.aws.endpoint, region: opts.aws.region } } : {}),
      ...(opts.aws?.saasPrincipal ? { saasPrincipal: opts.aws.saasPrincipal } : {}),
      saasAccountId: PALETTE_SAAS_ACCOUNT_ID,
      systemUser,
      systemPassword,
    },
  });

  const listener: Parameters<typeof createServer>[1] = (req, res) => {
    server.handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ code: 'InternalError', message: e instanceof Error ? e.message : String(e) }));
      }
    });
  };
  const http = opts.tls ? createTlsServer({ cert: opts.tls.cert, key: opts.tls.key }, listener) : createServer(listener);
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? DEFAULT_PALETTE_PORT, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;

  const credentialsOf = (name: string): TenantCredentials => {
    const t = server.core.state.tenants.find((x) => x.name === name);
    const project = t?.projects[0];
    const user = t?.users[0];
    const key = t?.apiKeys[0];
    if (!t || !project || !user || !key) throw new Error(`tenant ${name} not found`);
    return { tenantUid: t.uid, tenantName: t.name, projectUid: project.uid, apiKey: key.value, tenantUser: user.emailId, tenantPassword: user.password };
  };

  return {
    endpoint: `${opts.tls ? 'https' : 'http'}://${host}:${port}`,
    port,
    // Live: PUT /_emulator/mode may switch it (platform setup on a SaaS-mode sandbox).
    get mode() {
      return server.core.mode;
    },
    systemUser,
    systemPassword,
    ...credentialsOf(main.name),
    get stsAccountId() {
      return server.core.mode === 'saas' ? (opts.aws?.saasPrincipal?.accountId ?? PALETTE_SAAS_ACCOUNT_ID) : undefined;
    },
    inspect: () => server.inspect(),
    configure: (patch) => {
      realism.apply(patch);
      return realism.config;
    },
    outage: (o) => realism.addOutage(o),
    faultStats: () => structuredClone(realism.stats),
    resetFaultStats: () => realism.resetStats(),
    requests: () => [...server.log],
    reset: () => server.reset(),
    addTenant: (name, o = {}) => {
      const seedT = {
        name,
        userEmail: o.user ?? `admin@${name}.local`,
        userPassword: o.password ?? DEFAULT_TENANT_PASSWORD,
        apiKey: o.apiKey ?? `${DEFAULT_API_KEY.slice(0, 12)}${Buffer.from(name).toString('hex').slice(0, 20).padEnd(20, '0')}`,
      };
      server.core.state.addTenant(seedT);
      extraTenants.push(seedT);
      return credentialsOf(name);
    },
    addCluster: (input) => server.addCluster(input),
    removeCluster: (uid) => server.removeCluster(uid),
    addGateway: (input) => server.addGateway(input),
    setGatewayState: (uid, state) => server.setGatewayState(uid, state),
    removeGateway: (uid) => server.removeGateway(uid),
    apiKeyAuthenticates: (value) => {
      const found = server.core.state.findApiKey(value);
      return found !== undefined && found.key.isActive && found.key.expiry > now();
    },
    storedSecret: (uid, field) => {
      for (const t of server.core.state.tenants) {
        const r = t.resources.find((x) => x.uid === uid);
        if (r) {
          const v = getDotted(r.spec, field);
          return typeof v === 'string' && v !== '' ? v : undefined;
        }
      }
      return undefined;
    },
    onOperation: (fn) => hooks.onOperation(fn),
    onRequest: (fn) => hooks.onRequest(fn),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        hooks.releaseHeld();
        http.close((err) => (err ? reject(err) : resolve()));
        http.closeAllConnections();
      }),
  };
}
