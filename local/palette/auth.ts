/**
 * Authentication: JWT-shaped session tokens (HS256 over a per-process secret, 15-minute lifetime like Palette's)
 * and API keys. Tokens are opaque to clients; the emulator only needs to recognise its own.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { PaletteError } from './errors';
import type { Scope } from './spec';
import type { ApiKeyRecord, PaletteState, Tenant, User } from './state';

export const TOKEN_TTL_MS = 15 * 60 * 1000;

export interface TokenClaims {
  /** system = system console (syslogin); user = tenant user (authenticate). */
  typ: 'system' | 'user';
  sub: string;
  tenantUid?: string;
  /** Session id, kept across refreshes. */
  sid: string;
  iat: number;
  exp: number;
}

const b64url = (s: string | Buffer): string => Buffer.from(s).toString('base64url');

export class TokenService {
  private readonly secret = randomBytes(32);

  constructor(
    private readonly now: () => number,
    private readonly ttlMs: number = TOKEN_TTL_MS,
  ) {}

  issue(claims: Omit<TokenClaims, 'iat' | 'exp' | 'sid'> & { sid?: string }): string {
    const iat = Math.floor(this.now() / 1000);
    const full: TokenClaims = {
      ...claims,
      sid: claims.sid ?? randomBytes(12).toString('hex'),
      iat,
      exp: Math.floor((this.now() + this.ttlMs) / 1000),
    };
    const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const body = b64url(JSON.stringify(full));
    return `${head}.${body}.${this.sign(`${head}.${body}`)}`;
  }

  /** Throws 401 PaletteErrors for malformed, forged or expired tokens. */
  verify(token: string): TokenClaims {
    const parts = token.split('.');
    if (parts.length !== 3) throw unauthorized('the Authorization token is malformed');
    const [head, body, sig] = parts as [string, string, string];
    const expected = Buffer.from(this.sign(`${head}.${body}`));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw unauthorized('the Authorization token is invalid');
    }
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenClaims;
    if (claims.exp * 1000 <= this.now()) {
      throw new PaletteError(401, 'TokenExpired', 'the Authorization token has expired; log in again or refresh it');
    }
    return claims;
  }

  private sign(data: string): string {
    return createHmac('sha256', this.secret).update(data).digest('base64url');
  }
}

export function unauthorized(message: string): PaletteError {
  return new PaletteError(401, 'Unauthorized', message);
}

export type Principal =
  | { kind: 'system'; user: string }
  | { kind: 'tenant'; tenant: Tenant; user: User; via: 'token' | 'apiKey'; apiKey?: ApiKeyRecord };

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  // node lower-cases incoming header names, so ApiKey, apiKey and APIKEY all arrive as "apikey".
  const v = headers[name.toLowerCase()];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s.trim() === '' ? undefined : s.trim();
}

export interface AuthDeps {
  state: PaletteState;
  tokens: TokenService;
  now: () => number;
  systemUser: string;
}

function fromApiKey(deps: AuthDeps, value: string): Principal {
  const found = deps.state.findApiKey(value);
  if (!found) throw unauthorized('the ApiKey is invalid');
  const { tenant, key } = found;
  if (!key.isActive) throw unauthorized('the ApiKey is deactivated');
  if (key.expiry <= deps.now()) throw new PaletteError(401, 'TokenExpired', 'the ApiKey has expired');
  const user = tenant.users.find((u) => u.uid === key.userUid) ?? tenant.users[0];
  if (!user) throw unauthorized('the ApiKey has no owner');
  return { kind: 'tenant', tenant, user, via: 'apiKey', apiKey: key };
}

function fromToken(deps: AuthDeps, raw: string): Principal {
  if (/^bearer\s/i.test(raw)) {
    throw unauthorized("the Authorization header must carry the raw token, without a 'Bearer' prefix");
  }
  const claims = deps.tokens.verify(raw);
  if (claims.typ === 'system') return { kind: 'system', user: claims.sub };
  const tenant = claims.tenantUid ? deps.state.tenantByUid(claims.tenantUid) : undefined;
  const user = tenant?.users.find((u) => u.uid === claims.sub);
  if (!tenant || !user) throw unauthorized('the Authorization token refers to an unknown user');
  return { kind: 'tenant', tenant, user, via: 'token' };
}

/**
 * Resolves the caller for an operation of the given scope. The spec lists ApiKey and Authorization as
 * alternatives: any one that is present and valid is enough; if none is valid, the first failure is reported.
 */
export function authenticate(deps: AuthDeps, headers: IncomingHttpHeaders, scope: Scope): Principal | undefined {
  if (scope === 'none') return undefined;
  const apiKey = header(headers, 'ApiKey');
  const token = header(headers, 'Authorization');
  if (apiKey === undefined && token === undefined) {
    throw unauthorized(
      scope === 'system'
        ? 'system endpoints need the Authorization header with a token from /v1/auth/syslogin'
        : 'missing credentials: send the ApiKey header or the Authorization header (a token from /v1/auth/authenticate)',
    );
  }
  const attempts: (() => Principal)[] = [];
  if (apiKey !== undefined) attempts.push(() => fromApiKey(deps, apiKey));
  if (token !== undefined) attempts.push(() => fromToken(deps, token));
  let firstError: unknown;
  let principal: Principal | undefined;
  for (const attempt of attempts) {
    try {
      principal = attempt();
      break;
    } catch (e) {
      firstError ??= e;
    }
  }
  if (!principal) throw firstError;
  if (scope === 'system' && principal.kind !== 'system') {
    throw new PaletteError(
      403,
      'Forbidden',
      'system endpoints can only be called with a system console token from /v1/auth/syslogin (API keys and tenant tokens are not accepted)',
    );
  }
  if (scope !== 'system' && principal.kind === 'system') {
    throw new PaletteError(403, 'Forbidden', 'a system console token cannot call tenant or project APIs');
  }
  return principal;
}
