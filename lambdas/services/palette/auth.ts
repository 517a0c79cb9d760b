/**
 * Authentication state of one Palette client: which header to send, and when to log in again.
 *
 *  - apiKey: `ApiKey: <key>`; the key may come from a provider that is called once and again after a 401.
 *  - system: POST /v1/auth/syslogin {username, password} -> `Authorization: <raw token>` (system console admin).
 *  - tenant: POST /v1/auth/authenticate {emailId, password, org} -> `Authorization: <raw token>`.
 *
 * The token is sent as-is (no "Bearer " prefix). Palette tokens live 15 minutes; the cached token is replaced after
 * `refreshAfterMs` (default 12 min) or earlier if the JWT `exp` claim says so, and once after a 401. Credentials are
 * read lazily from the caller's provider on every login, so a rotated secret is picked up.
 */
import type { Clock } from './rate-limit';
import type { PaletteLogger } from './logger';

export interface SystemCredentials {
  username: string;
  password: string;
}

export interface TenantCredentials {
  emailId: string;
  password: string;
  /** Tenant (organisation) name; needed when the user belongs to several. */
  org?: string;
}

export type PaletteAuthConfig =
  | { type: 'apiKey'; apiKey: string | (() => Promise<string>) }
  | { type: 'system'; credentials: () => Promise<SystemCredentials> }
  | { type: 'tenant'; credentials: () => Promise<TenantCredentials> };

export interface LoginFunctions {
  systemLogin(credentials: SystemCredentials): Promise<string>;
  tenantLogin(credentials: TenantCredentials): Promise<string>;
}

export const DEFAULT_TOKEN_REFRESH_MS = 12 * 60_000;
/** When a token carries a JWT `exp`, it is replaced this long before it expires. */
const EXPIRY_MARGIN_MS = 2 * 60_000;

interface Credential {
  header: 'ApiKey' | 'Authorization';
  value: string;
  /** Clock time after which a new credential is obtained (Infinity for API keys). */
  refreshAt: number;
}

/** Reads `exp` (seconds since epoch) from a JWT payload, if the token is a JWT. */
export function jwtExpiryMs(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (typeof payload === 'object' && payload !== null && 'exp' in payload && typeof payload.exp === 'number') {
      return payload.exp * 1000;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

export class Authenticator {
  private current: Credential | undefined;
  private pending: Promise<Credential> | undefined;

  constructor(
    private readonly config: PaletteAuthConfig,
    private readonly login: LoginFunctions,
    private readonly clock: Clock,
    private readonly logger: PaletteLogger,
    private readonly refreshAfterMs: number = DEFAULT_TOKEN_REFRESH_MS,
  ) {}

  get type(): PaletteAuthConfig['type'] {
    return this.config.type;
  }

  /** Headers authenticating the next request (logs in when there is no valid token). */
  async headers(): Promise<Record<string, string>> {
    const credential = await this.credential();
    return { [credential.header]: credential.value };
  }

  /**
   * Called after a 401 answered a request sent with `rejected`. Drops that credential and obtains a new one;
   * returns true when the new credential differs (worth one more attempt).
   */
  async renew(rejected: Readonly<Record<string, string>>): Promise<boolean> {
    const rejectedValue = rejected.Authorization ?? rejected.ApiKey;
    if (rejectedValue === undefined) return false;
    if (this.current?.value === rejectedValue) this.current = undefined;
    const next = await this.credential();
    return next.value !== rejectedValue;
  }

  /** Secret values currently held (scrubbed from every log line and error). */
  secrets(): string[] {
    const out: string[] = [];
    if (this.current) out.push(this.current.value);
    if (this.config.type === 'apiKey' && typeof this.config.apiKey === 'string') out.push(this.config.apiKey);
    return out;
  }

  private async credential(): Promise<Credential> {
    const current = this.current;
    if (current !== undefined && this.clock.now() < current.refreshAt) return current;
    if (this.pending === undefined) {
      this.pending = this.obtain().finally(() => {
        this.pending = undefined;
      });
    }
    const obtained = await this.pending;
    this.current = obtained;
    return obtained;
  }

  private async obtain(): Promise<Credential> {
    const config = this.config;
    if (config.type === 'apiKey') {
      const value = typeof config.apiKey === 'string' ? config.apiKey : await config.apiKey();
      return { header: 'ApiKey', value, refreshAt: Number.POSITIVE_INFINITY };
    }
    const obtainedAt = this.clock.now();
    const token =
      config.type === 'system'
        ? await this.login.systemLogin(await config.credentials())
        : await this.login.tenantLogin(await config.credentials());
    let refreshAt = obtainedAt + this.refreshAfterMs;
    const expiry = jwtExpiryMs(token);
    if (expiry !== undefined && expiry - EXPIRY_MARGIN_MS > obtainedAt && expiry - EXPIRY_MARGIN_MS < refreshAt) {
      refreshAt = expiry - EXPIRY_MARGIN_MS;
    }
    this.logger.info('Palette login succeeded', { authType: config.type, refreshInMs: refreshAt - obtainedAt });
    return { header: 'Authorization', value: token, refreshAt };
  }
}
