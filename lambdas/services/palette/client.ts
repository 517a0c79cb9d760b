/**
 * PaletteClient: the typed Palette REST client. Construct it once per Lambda container (module scope) and reuse it;
 * it holds the login token cache and the rate-limit buckets.
 *
 *   const palette = new PaletteClient({ baseUrl, auth: { type: 'apiKey', apiKey: () => readKey() }, logger });
 *   const uid = (await palette.project(projectUid).sshKeys.findByName('ops'))?.metadata?.uid
 *     ?? (await palette.project(projectUid).sshKeys.create({ metadata: { name: 'ops' }, spec: { publicKey } }));
 *
 * Calls are typed from the generated official spec (openapi-fetch over generated/palette-api.ts); the transport
 * (transport.ts) adds auth, ProjectUid, rate limiting, retries and error mapping.
 */
import createClient, { type Client } from 'openapi-fetch';
import { Authenticator, DEFAULT_TOKEN_REFRESH_MS, type PaletteAuthConfig, type SystemCredentials, type TenantCredentials } from './auth';
import { PaletteAuthError } from './errors';
import type { paths } from './generated/palette-api';
import type { InferredPaths } from './inferred-api';
import { silentLogger, type PaletteLogger } from './logger';
import { SharedRateGovernor, type RateSlotStore } from './rate-governor';
import { PrefixRateLimiter, systemClock, type Clock, type RateGate, type RateLimitOptions } from './rate-limit';
import { ApiKeys } from './resources/api-keys';
import { BackupLocations } from './resources/backup-locations';
import { AwsCloudAccounts, AzureCloudAccounts } from './resources/cloud-accounts';
import { Clouds } from './resources/clouds';
import { Clusters } from './resources/clusters';
import { PrivateCloudGateways } from './resources/private-cloud-gateways';
import { requireData, type ResourceContext } from './resources/shared';
import { SshKeys } from './resources/ssh-keys';
import { SystemConfig } from './resources/system';
import { DEFAULT_RETRY_OPTIONS, type RetryOptions } from './retry';
import { CaTrust } from './tls';
import { PaletteTransport, type FetchFunction, type PaletteAttempt } from './transport';

export interface PaletteClientOptions {
  /** Palette API root, e.g. https://api.spectrocloud.com or the self-hosted instance URL (no path). */
  baseUrl: string;
  auth: PaletteAuthConfig;
  /** Defaults to the global fetch (Node 20+), or with `caBundle` to a fetch that trusts it (tls.ts). */
  fetch?: FetchFunction;
  /**
   * PEM certificates (a private CA of a self-hosted instance) trusted IN ADDITION to the public roots; read on the
   * first call (again after a failed read), its errors propagate unchanged. Verification is never disabled: a
   * certificate that chains to neither fails with PaletteCertificateError. Not combined with `fetch`.
   */
  caBundle?: () => Promise<readonly string[]>;
  logger?: PaletteLogger;
  /** Time source for backoff, rate limiting and token refresh (tests pass a fake one). */
  clock?: Clock;
  /** Jitter source in [0, 1) (defaults to Math.random). */
  random?: () => number;
  retry?: Partial<RetryOptions>;
  /**
   * Client-side token buckets per resource prefix (default 10 req/s, burst 5; /v1/spectroclusters 50 req/s, as
   * Palette documents); `false` disables them.
   */
  rateLimit?: RateLimitOptions | false;
  /**
   * The same limits kept by every container together (rate-governor.ts): slots are reserved in `store` (the DynamoDB
   * rate table, rate-governor-dynamodb.ts), with the per-container buckets above as the rules and as the fallback
   * when the store fails. Ignored with `rateLimit: false`. `maxWaitMs` caps the wait for a slot (default 10 s).
   */
  sharedRateLimit?: { store: RateSlotStore; maxWaitMs?: number };
  /** Age after which a login token is replaced (default 12 min; Palette tokens live 15 min). */
  tokenRefreshMs?: number;
  userAgent?: string;
  /** Called after every HTTP request sent to Palette (retries included), e.g. to count calls and throttles. */
  onAttempt?: (attempt: PaletteAttempt) => void;
}

/** Operation groups that honour the ProjectUid header (tenant scope when it is absent). */
export interface PaletteScope {
  readonly clouds: Clouds;
  readonly cloudAccounts: { readonly aws: AwsCloudAccounts; readonly azure: AzureCloudAccounts };
  readonly sshKeys: SshKeys;
  readonly backupLocations: BackupLocations;
  /** Read-only: cluster search and backup configuration (official operations of spec/supplement.json). */
  readonly clusters: Clusters;
}

function scopeFor(ctx: ResourceContext): PaletteScope {
  return {
    clouds: new Clouds(ctx),
    cloudAccounts: { aws: new AwsCloudAccounts(ctx), azure: new AzureCloudAccounts(ctx) },
    sshKeys: new SshKeys(ctx),
    backupLocations: new BackupLocations(ctx),
    clusters: new Clusters(ctx),
  };
}

function normaliseBaseUrl(baseUrl: string, logger: PaletteLogger): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError('PaletteClient: baseUrl must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('PaletteClient: baseUrl must use http or https');
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw new TypeError('PaletteClient: baseUrl must not contain a path, query or fragment (API paths start with /v1)');
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol === 'http:' && !loopback) logger.warn('Palette baseUrl uses plain http; credentials are sent unencrypted', { host: url.host });
  return url.origin;
}

function rateGate(options: PaletteClientOptions, clock: Clock, logger: PaletteLogger): RateGate | undefined {
  if (options.rateLimit === false) return undefined;
  const local = new PrefixRateLimiter(options.rateLimit ?? {}, clock);
  if (!options.sharedRateLimit) return local;
  const { store, maxWaitMs } = options.sharedRateLimit;
  return new SharedRateGovernor({ store, local, clock, logger, ...(maxWaitMs === undefined ? {} : { maxWaitMs }) });
}

export class PaletteClient implements PaletteScope {
  /** System console configuration (needs `auth.type: 'system'`). */
  readonly system: SystemConfig;
  /** API keys (tenant scope only). */
  readonly apiKeys: ApiKeys;
  /** Private cloud gateways, read-only (tenant scope only; official operations of spec/supplement.json). */
  readonly privateCloudGateways: PrivateCloudGateways;
  readonly clouds: Clouds;
  readonly cloudAccounts: { readonly aws: AwsCloudAccounts; readonly azure: AzureCloudAccounts };
  readonly sshKeys: SshKeys;
  readonly backupLocations: BackupLocations;
  readonly clusters: Clusters;

  private readonly ctx: ResourceContext;
  private readonly authenticator: Authenticator;
  private readonly scopes = new Map<string, PaletteScope>();

  constructor(options: PaletteClientOptions) {
    const logger = options.logger ?? silentLogger;
    const clock = options.clock ?? systemClock;
    const baseUrl = normaliseBaseUrl(options.baseUrl, logger);
    const retry: RetryOptions = { ...DEFAULT_RETRY_OPTIONS, ...options.retry };
    if (options.caBundle && options.fetch) throw new TypeError('PaletteClient: give either caBundle or fetch, not both');
    const trust = options.caBundle ? new CaTrust(options.caBundle) : undefined;
    const transport = new PaletteTransport({
      fetch: options.fetch ?? trust?.fetch ?? ((input, init) => fetch(input, init)),
      prepare: trust ? () => trust.prepare() : undefined,
      clock,
      random: options.random ?? Math.random,
      retry,
      rateLimiter: rateGate(options, clock, logger),
      logger,
      userAgent: options.userAgent ?? 'palette-onboarding',
      authenticator: () => this.authenticator,
      onAttempt: options.onAttempt,
    });
    const api = createClient<paths>({ baseUrl, fetch: transport.fetch });
    const inferred = createClient<InferredPaths>({ baseUrl, fetch: transport.fetch });
    this.ctx = { api, inferred, headers: {}, logger };
    this.authenticator = new Authenticator(
      options.auth,
      { systemLogin: (c) => this.systemLogin(c), tenantLogin: (c) => this.tenantLogin(c) },
      clock,
      logger,
      options.tokenRefreshMs ?? DEFAULT_TOKEN_REFRESH_MS,
    );

    this.system = new SystemConfig(this.ctx);
    this.apiKeys = new ApiKeys(this.ctx);
    this.privateCloudGateways = new PrivateCloudGateways(this.ctx);
    const tenant = scopeFor(this.ctx);
    this.clouds = tenant.clouds;
    this.cloudAccounts = tenant.cloudAccounts;
    this.sshKeys = tenant.sshKeys;
    this.backupLocations = tenant.backupLocations;
    this.clusters = tenant.clusters;
  }

  /** The same operation groups in project scope (every request carries `ProjectUid: <projectUid>`). */
  project(projectUid: string): PaletteScope {
    if (typeof projectUid !== 'string' || projectUid.trim() === '') throw new TypeError('PaletteClient.project: projectUid must be a non-empty string');
    let scope = this.scopes.get(projectUid);
    if (scope === undefined) {
      scope = scopeFor({ ...this.ctx, headers: { ProjectUid: projectUid } });
      this.scopes.set(projectUid, scope);
    }
    return scope;
  }

  /** Typed low-level access to every official operation (same transport), for calls without a helper. */
  get raw(): Client<paths> {
    return this.ctx.api;
  }

  /** POST /v1/auth/syslogin (system console). Returns the raw token. */
  private async systemLogin(credentials: SystemCredentials): Promise<string> {
    const path = '/v1/auth/syslogin';
    const res = await this.ctx.inferred.POST(path, { body: { username: credentials.username, password: credentials.password } });
    const data = requireData(res, { method: 'POST', path });
    if (!data.Authorization) {
      throw new PaletteAuthError({ status: res.response.status, code: 'NoToken', message: 'login response has no Authorization token', method: 'POST', path });
    }
    if (data.IsPasswordReset !== undefined) this.ctx.logger.debug('Palette system login flags', { isPasswordReset: data.IsPasswordReset });
    return data.Authorization;
  }

  /** POST /v1/auth/authenticate (tenant user). Returns the raw token. */
  private async tenantLogin(credentials: TenantCredentials): Promise<string> {
    const path = '/v1/auth/authenticate';
    const body = credentials.org === undefined
      ? { emailId: credentials.emailId, password: credentials.password }
      : { emailId: credentials.emailId, password: credentials.password, org: credentials.org };
    const res = await this.ctx.api.POST(path, { params: { query: { setCookie: false } }, body });
    const data = requireData(res, { method: 'POST', path });
    if (!data.Authorization) {
      const message = data.isMfa ? 'the user requires MFA, which this client does not support' : 'login response has no Authorization token';
      throw new PaletteAuthError({ status: res.response.status, code: data.isMfa ? 'MfaRequired' : 'NoToken', message, method: 'POST', path });
    }
    return data.Authorization;
  }
}
