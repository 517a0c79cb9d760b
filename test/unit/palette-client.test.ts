/** Palette client transport: headers, authentication, fallback, error mapping, retries, redaction. */
import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it } from 'vitest';
import { runWithDeadline } from '../../lambdas/shared/deadline';
import {
  PaletteApiError,
  PaletteAuthError,
  PaletteClient,
  PaletteConflictError,
  PaletteForbiddenError,
  PaletteNotFoundError,
  PaletteServerError,
  PaletteThrottledError,
  PaletteValidationError,
  type PaletteClientOptions,
} from '../../lambdas/services/palette';
import {
  FakeClock,
  fakeFetch,
  json,
  memoryLogger,
  noContent,
  rejectionOf,
  sendJson,
  startServer,
  type Handler,
  type TestServer,
} from './palette-client-helpers';

const BASE = 'https://palette.test';
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function client(handler: Handler, options: Partial<PaletteClientOptions> = {}) {
  const fake = fakeFetch(handler);
  const clock = new FakeClock();
  const logger = memoryLogger();
  const palette = new PaletteClient({
    baseUrl: BASE,
    auth: { type: 'apiKey', apiKey: 'key-0123456789' },
    fetch: fake.fetch,
    clock,
    logger,
    random: () => 0.5,
    rateLimit: false,
    ...options,
  });
  return { palette, requests: fake.requests, clock, logger };
}

const awsAccount = {
  metadata: { name: 'acct' },
  spec: { credentialType: 'secret' as const, accessKey: 'AKIAEXAMPLEKEY', secretKey: 'wJalrXUtnFEMI/SECRET/bPxRfiCYEXAMPLEKEY' },
};

describe('headers on the wire', () => {
  it('sends ApiKey, never Authorization, and ProjectUid only in project scope', async () => {
    // Prepare
    const server = await startServer((req, _r, res) => sendJson(res, 200, { items: [] }));
    servers.push(server);
    const palette = new PaletteClient({ baseUrl: server.baseUrl, auth: { type: 'apiKey', apiKey: 'my-api-key-value' } });
    // Act
    await palette.sshKeys.list();
    await palette.project('proj-123').sshKeys.list();
    await palette.apiKeys.list();
    // Assess
    const [tenant, project, apiKeys] = server.requests;
    expect(tenant?.headers.apikey).toBe('my-api-key-value');
    expect(tenant?.headers.authorization).toBeUndefined();
    expect(tenant?.headers.projectuid).toBeUndefined();
    expect(project?.headers.projectuid).toBe('proj-123');
    expect(project?.path).toBe('/v1/users/assets/sshkeys');
    expect(apiKeys?.headers.projectuid).toBeUndefined();
    expect(tenant?.headers.accept).toBe('application/json');
  });

  it('sends JSON bodies with Content-Type and the raw token without a Bearer prefix', async () => {
    // Prepare
    const server = await startServer((req, _r, res) => {
      if (req.path === '/v1/auth/syslogin') sendJson(res, 200, { Authorization: 'raw.jwt.token', IsPasswordReset: false });
      else sendJson(res, 204);
    });
    servers.push(server);
    const palette = new PaletteClient({
      baseUrl: server.baseUrl,
      auth: { type: 'system', credentials: async () => ({ username: 'admin', password: 'pw-secret-1' }) },
    });
    // Act
    await palette.system.updateReverseProxy({ server: 'frps.example.com', port: 443, protocol: 'https' });
    // Assess
    const [login, put] = server.requests;
    expect(login?.headers.authorization).toBeUndefined();
    expect(login?.headers['content-type']).toBe('application/json');
    expect(login?.body).toEqual({ username: 'admin', password: 'pw-secret-1' });
    expect(put?.method).toBe('PUT');
    expect(put?.headers.authorization).toBe('raw.jwt.token');
    expect(put?.headers['content-type']).toBe('application/json');
    expect(put?.body).toEqual({ server: 'frps.example.com', port: 443, protocol: 'https' });
  });
});

describe('construction', () => {
  it('accepts a Powertools Logger and rejects base URLs with a path', async () => {
    // Prepare
    const fake = fakeFetch(() => json(200, { items: [] }));
    const logger = new Logger({ serviceName: 'palette-test', logLevel: 'SILENT' });
    // Act
    const palette = new PaletteClient({ baseUrl: `${BASE}/`, auth: { type: 'apiKey', apiKey: 'key-1234' }, fetch: fake.fetch, logger });
    const keys = await palette.sshKeys.list();
    // Assess
    expect(keys).toEqual([]);
    expect(fake.requests[0]?.path).toBe('/v1/users/assets/sshkeys');
    expect(() => new PaletteClient({ baseUrl: `${BASE}/api`, auth: { type: 'apiKey', apiKey: 'k' } })).toThrow(TypeError);
    expect(() => new PaletteClient({ baseUrl: 'palette.test', auth: { type: 'apiKey', apiKey: 'k' } })).toThrow(TypeError);
  });
});

describe('login and token cache', () => {
  function systemClient() {
    let logins = 0;
    let credentialReads = 0;
    const ctx = client(
      (req) => {
        if (req.path === '/v1/auth/syslogin') {
          logins += 1;
          return json(200, { Authorization: `token-${logins}`, IsPasswordReset: true });
        }
        return json(200, { server: 'frps' });
      },
      {
        auth: {
          type: 'system',
          credentials: async () => {
            credentialReads += 1;
            return { username: 'admin', password: 'sys-password' };
          },
        },
      },
    );
    return { ...ctx, logins: () => logins, credentialReads: () => credentialReads };
  }

  it('reads credentials lazily, logs in once and reuses the token until 12 minutes have passed', async () => {
    // Prepare
    const ctx = systemClient();
    expect(ctx.credentialReads()).toBe(0);
    // Act
    await ctx.palette.system.getReverseProxy();
    await ctx.palette.system.getReverseProxy();
    ctx.clock.advance(11 * 60_000);
    await ctx.palette.system.getReverseProxy();
    ctx.clock.advance(61_000);
    await ctx.palette.system.getReverseProxy();
    // Assess
    expect(ctx.logins()).toBe(2);
    expect(ctx.credentialReads()).toBe(2);
    const tokens = ctx.requests.filter((r) => r.path !== '/v1/auth/syslogin').map((r) => r.headers.authorization);
    expect(tokens).toEqual(['token-1', 'token-1', 'token-1', 'token-2']);
  });

  it('shares one login between concurrent requests', async () => {
    // Prepare
    const ctx = systemClient();
    // Act
    await Promise.all([ctx.palette.system.getReverseProxy(), ctx.palette.system.getAwsStsAccount(), ctx.palette.system.getAwsAccount()]);
    // Assess
    expect(ctx.logins()).toBe(1);
  });

  it('refreshes early when the JWT exp claim is closer than the refresh age', async () => {
    // Prepare: a token that expires 5 minutes after login (clock at 1_000_000 s)
    const clock = new FakeClock();
    clock.time = 1_000_000_000;
    const payload = Buffer.from(JSON.stringify({ exp: 1_000_000 + 300 })).toString('base64url');
    let logins = 0;
    const ctx = client(
      (req) => {
        if (req.path === '/v1/auth/authenticate') {
          logins += 1;
          return json(200, { Authorization: `h.${payload}.s${logins}`, isMfa: false });
        }
        return json(200, { items: [] });
      },
      { clock, auth: { type: 'tenant', credentials: async () => ({ emailId: 'a@b.c', password: 'pw-tenant', org: 'acme' }) } },
    );
    // Act
    await ctx.palette.sshKeys.list();
    clock.advance(2 * 60_000);
    await ctx.palette.sshKeys.list();
    clock.advance(61_000);
    await ctx.palette.sshKeys.list();
    // Assess: refreshed at exp - 2 min = 3 min after login
    expect(logins).toBe(2);
    const login = ctx.requests[0];
    expect(login?.path).toBe('/v1/auth/authenticate');
    expect(login?.query.get('setCookie')).toBe('false');
    expect(login?.body).toEqual({ emailId: 'a@b.c', password: 'pw-tenant', org: 'acme' });
  });

  it('logs in again once after a 401 and then succeeds', async () => {
    // Prepare
    let logins = 0;
    const ctx = client(
      (req) => {
        if (req.path === '/v1/auth/syslogin') {
          logins += 1;
          return json(200, { Authorization: `token-${logins}` });
        }
        return req.headers.authorization === 'token-1' ? json(401, { code: 'InvalidToken', message: 'expired' }) : json(200, {});
      },
      { auth: { type: 'system', credentials: async () => ({ username: 'admin', password: 'sys-password' }) } },
    );
    // Act
    await ctx.palette.system.getAwsAccount();
    // Assess
    expect(logins).toBe(2);
    expect(ctx.requests.map((r) => `${r.path} ${r.headers.authorization ?? '-'}`)).toEqual([
      '/v1/auth/syslogin -',
      '/v1/system/config/aws/account token-1',
      '/v1/auth/syslogin -',
      '/v1/system/config/aws/account token-2',
    ]);
  });

  it('raises PaletteAuthError when the renewed token is rejected too (one re-login only)', async () => {
    // Prepare
    let logins = 0;
    const ctx = client(
      (req) => {
        if (req.path === '/v1/auth/syslogin') {
          logins += 1;
          return json(200, { Authorization: `token-${logins}` });
        }
        return json(401, { code: 'Unauthorized', message: 'nope', ref: 'r-1' });
      },
      { auth: { type: 'system', credentials: async () => ({ username: 'admin', password: 'sys-password' }) } },
    );
    // Act
    const error = await rejectionOf(ctx.palette.system.getAwsAccount());
    // Assess
    expect(error).toBeInstanceOf(PaletteAuthError);
    expect(logins).toBe(2);
  });

  it('maps a failed login to PaletteAuthError without leaking the password', async () => {
    // Prepare
    const ctx = client((req) => json(401, { code: 'InvalidCredentials', message: `bad password ${JSON.stringify(req.body)}` }), {
      auth: { type: 'system', credentials: async () => ({ username: 'admin', password: 'hunter2-very-secret' }) },
    });
    // Act
    const error = await rejectionOf(ctx.palette.system.getReverseProxy());
    // Assess
    expect(error).toBeInstanceOf(PaletteAuthError);
    expect((error as PaletteAuthError).path).toBe('/v1/auth/syslogin');
    expect(JSON.stringify(error)).not.toContain('hunter2-very-secret');
    expect(String(error)).not.toContain('hunter2-very-secret');
    expect(ctx.logger.text()).not.toContain('hunter2-very-secret');
  });

  it('rejects an MFA-only tenant login', async () => {
    // Prepare
    const ctx = client(() => json(200, { isMfa: true }), {
      auth: { type: 'tenant', credentials: async () => ({ emailId: 'a@b.c', password: 'pw-tenant' }) },
    });
    // Act
    const error = await rejectionOf(ctx.palette.sshKeys.list());
    // Assess
    expect(error).toBeInstanceOf(PaletteAuthError);
    expect((error as PaletteAuthError).code).toBe('MfaRequired');
  });

  it('re-reads an API key from its provider after a 401 and retries once with the new key', async () => {
    // Prepare
    const keys = ['old-key-1234', 'new-key-5678'];
    let reads = 0;
    const ctx = client((req) => (req.headers.apikey === 'new-key-5678' ? json(200, { items: [] }) : json(401, { code: 'Unauthorized' })), {
      auth: { type: 'apiKey', apiKey: async () => keys[Math.min(reads++, 1)] ?? '' },
    });
    // Act
    await ctx.palette.sshKeys.list();
    // Assess
    expect(ctx.requests.map((r) => r.headers.apikey)).toEqual(['old-key-1234', 'new-key-5678']);
  });
});

describe('system STS account PUT -> POST fallback', () => {
  for (const status of [404, 405]) {
    it(`falls back to POST when PUT answers ${status}`, async () => {
      // Prepare
      const ctx = client((req) => (req.method === 'PUT' ? json(status, { code: 'NotFound', message: 'no route' }) : noContent()));
      const body = { accountId: '123456789012', accessKey: 'AKIAEXAMPLE', secretKey: 'sts-secret-key' };
      // Act
      const used = await ctx.palette.system.setAwsStsAccount(body);
      // Assess
      expect(used).toBe('POST');
      expect(ctx.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        'PUT /v1/system/config/aws/sts/account',
        'POST /v1/system/config/aws/sts/account',
      ]);
      expect(ctx.requests[1]?.body).toEqual(body);
    });
  }

  it('uses PUT alone when it succeeds, and does not fall back on other errors', async () => {
    // Prepare
    const ok = client(() => noContent());
    const failing = client(() => json(400, { code: 'InvalidInput', message: 'bad account id' }));
    // Act
    const used = await ok.palette.system.setAwsStsAccount({ accountId: '123456789012' });
    const error = await rejectionOf(failing.palette.system.setAwsStsAccount({ accountId: 'x' }));
    // Assess
    expect(used).toBe('PUT');
    expect(ok.requests).toHaveLength(1);
    expect(error).toBeInstanceOf(PaletteValidationError);
    expect(failing.requests.map((r) => r.method)).toEqual(['PUT']);
  });

  it('applies the same fallback to the awsgov variant (official POST)', async () => {
    // Prepare
    const ctx = client((req) => (req.method === 'PUT' ? json(405, { code: 'MethodNotAllowed' }) : noContent()));
    // Act
    const used = await ctx.palette.system.setAwsGovStsAccount({ accountId: '123456789012' });
    // Assess
    expect(used).toBe('POST');
    expect(ctx.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'PUT /v1/system/config/awsgov/sts/account',
      'POST /v1/system/config/awsgov/sts/account',
    ]);
  });
});

describe('error mapping', () => {
  const cases = [
    { status: 400, cls: PaletteValidationError, name: 'PaletteValidationError' },
    { status: 422, cls: PaletteValidationError, name: 'PaletteValidationError' },
    { status: 401, cls: PaletteAuthError, name: 'PaletteAuthError' },
    { status: 403, cls: PaletteForbiddenError, name: 'PaletteForbiddenError' },
    { status: 404, cls: PaletteNotFoundError, name: 'PaletteNotFoundError' },
    { status: 409, cls: PaletteConflictError, name: 'PaletteConflictError' },
    { status: 429, cls: PaletteThrottledError, name: 'PaletteThrottledError' },
    { status: 500, cls: PaletteServerError, name: 'PaletteServerError' },
    { status: 503, cls: PaletteServerError, name: 'PaletteServerError' },
    { status: 418, cls: PaletteApiError, name: 'PaletteApiError' },
  ] as const;

  for (const { status, cls, name } of cases) {
    it(`maps ${status} V1Error bodies to ${name}`, async () => {
      // Prepare
      const ctx = client(() => json(status, { code: `Code${status}`, message: `message ${status}`, ref: `ref-${status}`, details: { hint: 'x' } }), {
        retry: { budgetMs: 3_000 },
      });
      // Act
      const error = await rejectionOf(ctx.palette.sshKeys.get('uid-1'));
      // Assess
      expect(error).toBeInstanceOf(cls);
      expect(error).toBeInstanceOf(PaletteApiError);
      const e = error as PaletteApiError;
      expect(e.name).toBe(name);
      expect(e).toMatchObject({ status, code: `Code${status}`, ref: `ref-${status}`, method: 'GET', path: '/v1/users/assets/sshkeys/uid-1' });
      expect(e.serverMessage).toBe(`message ${status}`);
      expect(e.details).toEqual({ hint: 'x' });
      expect(e.message).toContain(`GET /v1/users/assets/sshkeys/uid-1`);
      expect(e.message).toContain(`ref-${status}`);
    });
  }

  it('keeps the error names stable when class names change (minified bundles rename classes)', () => {
    // Prepare
    class Renamed extends PaletteNotFoundError {}
    // Act
    const error = new Renamed({ status: 404, code: 'ResourceNotFound', message: 'gone', method: 'GET', path: '/v1/x' });
    // Assess
    expect(Renamed.name).toBe('Renamed');
    expect(error.name).toBe('PaletteNotFoundError');
    expect(String(error.stack).startsWith('PaletteNotFoundError: Palette GET /v1/x failed: 404 ResourceNotFound: gone')).toBe(true);
  });

  it('uses the HTTP status text as code for non-JSON error bodies (like the Go SDK)', async () => {
    // Prepare
    const ctx = client(() => new Response('<html>upstream broke</html>', { status: 404, headers: { 'Content-Type': 'text/html' } }));
    // Act
    const error = await rejectionOf(ctx.palette.apiKeys.get('k1'));
    // Assess
    expect(error).toBeInstanceOf(PaletteNotFoundError);
    expect((error as PaletteApiError).code).toBe('Not Found');
    expect((error as PaletteApiError).details).toBe('<html>upstream broke</html>');
  });

  it('does not follow redirects (credentials stay on the Palette host)', async () => {
    // Prepare
    const ctx = client(() => new Response(null, { status: 302, headers: { Location: 'https://elsewhere.example/x' } }));
    // Act
    const error = await rejectionOf(ctx.palette.sshKeys.list());
    // Assess
    expect((error as PaletteApiError).code).toBe('UnexpectedRedirect');
    expect(ctx.requests).toHaveLength(1);
  });
});

describe('response bodies', () => {
  it('returns void for 204 and for an empty 200 without parsing', async () => {
    // Prepare
    const ctx = client((req, i) => (i === 0 ? noContent() : new Response('', { status: 200 })));
    // Act
    const first = await ctx.palette.sshKeys.delete('a');
    const second = await ctx.palette.sshKeys.delete('b');
    // Assess
    expect(first).toBeUndefined();
    expect(second).toBeUndefined();
  });

  it('rejects a non-JSON 2xx body and an empty body where data is expected', async () => {
    // Prepare
    const garbage = client(() => new Response('not json', { status: 200 }));
    const empty = client(() => new Response(null, { status: 200 }));
    // Act
    const e1 = await rejectionOf(garbage.palette.sshKeys.get('a'));
    const e2 = await rejectionOf(empty.palette.sshKeys.get('a'));
    // Assess
    expect((e1 as PaletteApiError).code).toBe('InvalidResponseBody');
    expect((e2 as PaletteApiError).code).toBe('EmptyResponse');
  });

  it('returns the uid of a 201 create', async () => {
    // Prepare
    const ctx = client(() => json(201, { uid: 'new-uid' }, { AuditUid: 'audit-1' }));
    // Act
    const uid = await ctx.palette.cloudAccounts.aws.create(awsAccount);
    // Assess
    expect(uid).toBe('new-uid');
    expect(ctx.requests[0]?.body).toEqual(awsAccount);
  });
});

describe('retries', () => {
  it('retries 429 and returns the later success, honouring Retry-After', async () => {
    // Prepare
    const ctx = client((req, i) => (i < 2 ? json(429, { code: 'TooManyRequests' }, { 'Retry-After': '2' }) : json(200, { items: [] })));
    // Act
    const keys = await ctx.palette.sshKeys.list();
    // Assess
    expect(keys).toEqual([]);
    expect(ctx.requests).toHaveLength(3);
    expect(ctx.clock.sleeps).toEqual([2_000, 2_000]);
  });

  for (const status of [429, 503]) {
    it(`retries a POST create answered ${status} (the request was not processed)`, async () => {
      // Prepare
      const ctx = client((req, i) => (i === 0 ? json(status, { code: 'Busy' }) : json(201, { uid: 'u1' })));
      // Act
      const uid = await ctx.palette.sshKeys.create({ metadata: { name: 'k' }, spec: { publicKey: 'ssh-ed25519 AAAA' } });
      // Assess
      expect(uid).toBe('u1');
      expect(ctx.requests).toHaveLength(2);
    });
  }

  it('gives up on persistent 503 with PaletteServerError inside the budget, with jittered capped delays', async () => {
    // Prepare
    const ctx = client(() => json(503, { code: 'ServiceUnavailable', message: 'down' }), {
      random: () => 0.999,
      retry: { budgetMs: 20_000, baseDelayMs: 500, maxDelayMs: 4_000 },
    });
    // Act
    const error = await rejectionOf(ctx.palette.cloudAccounts.aws.get('u1'));
    // Assess
    expect(error).toBeInstanceOf(PaletteServerError);
    expect((error as PaletteServerError).status).toBe(503);
    expect(ctx.clock.time).toBeLessThanOrEqual(20_000);
    expect(ctx.requests.length).toBeGreaterThan(3);
    expect((error as PaletteServerError).attempts).toBe(ctx.requests.length);
    expect(ctx.clock.sleeps.slice(0, 4)).toEqual([499, 999, 1_998, 3_996]);
    expect(Math.max(...ctx.clock.sleeps)).toBeLessThan(4_000);
  });

  it("stops retrying before the invocation's deadline (lambdas/shared/deadline.ts), whatever the call's budget", async () => {
    // Prepare: 60 s of budget, but the Lambda has 9 s left (5 s of them kept as margin): 4 s for this call.
    const ctx = client(() => json(503, { code: 'ServiceUnavailable', message: 'down' }), {
      random: () => 0.999,
      retry: { budgetMs: 60_000, baseDelayMs: 500, maxDelayMs: 4_000 },
    });
    // Act
    const error = await runWithDeadline({ getRemainingTimeInMillis: () => 9_000 }, () => rejectionOf(ctx.palette.cloudAccounts.aws.get('u1')));
    // Assess: the transient error comes out in time (the state retries it), after at most 4 s of the fake clock.
    expect(error).toBeInstanceOf(PaletteServerError);
    expect(ctx.clock.time).toBeLessThanOrEqual(4_000);
    expect(ctx.requests.length).toBeGreaterThan(1);
    // Without a Lambda context, the call's own budget applies.
    const free = client(() => json(503, { code: 'ServiceUnavailable', message: 'down' }), { random: () => 0.999, retry: { budgetMs: 60_000, baseDelayMs: 500, maxDelayMs: 4_000 } });
    await rejectionOf(free.palette.cloudAccounts.aws.get('u1'));
    expect(free.clock.time).toBeGreaterThan(50_000);
  });

  it('does not retry a 500 (application error) nor a 502 on a create, but retries 502 on a GET', async () => {
    // Prepare
    const five00 = client(() => json(500, { code: 'InternalError', message: 'boom' }));
    const createBadGateway = client(() => json(502, { code: 'BadGateway' }));
    const getBadGateway = client((req, i) => (i === 0 ? json(502, { code: 'BadGateway' }) : json(200, { items: [] })));
    // Act
    const e1 = await rejectionOf(five00.palette.sshKeys.list());
    const e2 = await rejectionOf(createBadGateway.palette.sshKeys.create({ metadata: { name: 'k' }, spec: { publicKey: 'p' } }));
    await getBadGateway.palette.sshKeys.list();
    // Assess
    expect(e1).toBeInstanceOf(PaletteServerError);
    expect(five00.requests).toHaveLength(1);
    expect(e2).toBeInstanceOf(PaletteServerError);
    expect(createBadGateway.requests).toHaveLength(1);
    expect(getBadGateway.requests).toHaveLength(2);
  });

  it('retries the cluster search like a read (a POST that creates nothing): 502 and a connection reset', async () => {
    // Prepare
    const badGateway = client((req, i) => (i === 0 ? json(502, { code: 'BadGateway' }) : json(200, { items: [], listmeta: { continue: '' } })));
    const server = await startServer((req, raw, res, i) => {
      if (i === 0) raw.socket.destroy();
      else sendJson(res, 200, { items: [{ metadata: { name: 'prod', uid: 'c1' } }], listmeta: { continue: '' } });
    });
    servers.push(server);
    const reset = new PaletteClient({ baseUrl: server.baseUrl, auth: { type: 'apiKey', apiKey: 'key-1234' }, clock: new FakeClock(), rateLimit: false });
    // Act
    await badGateway.palette.clusters.search();
    const clusters = await reset.clusters.search();
    // Assess
    expect(badGateway.requests.map((r) => r.method)).toEqual(['POST', 'POST']);
    expect(clusters.map((c) => c.metadata?.uid)).toEqual(['c1']);
    expect(server.requests).toHaveLength(2);
  });

  it('retries a GET after the server resets the connection', async () => {
    // Prepare
    const server = await startServer((req, raw, res, i) => {
      if (i === 0) raw.socket.destroy();
      else sendJson(res, 200, { items: [{ metadata: { name: 'k', uid: 'u' }, spec: { publicKey: 'p' } }] });
    });
    servers.push(server);
    const clock = new FakeClock();
    const palette = new PaletteClient({ baseUrl: server.baseUrl, auth: { type: 'apiKey', apiKey: 'key-1234' }, clock, rateLimit: false });
    // Act
    const keys = await palette.sshKeys.list();
    // Assess
    expect(keys).toHaveLength(1);
    expect(server.requests).toHaveLength(2);
    expect(clock.sleeps).toHaveLength(1);
  });

  it('does not retry a create after a connection reset (it may have been applied)', async () => {
    // Prepare
    const server = await startServer((req, raw) => raw.socket.destroy());
    servers.push(server);
    const logger = memoryLogger();
    const palette = new PaletteClient({ baseUrl: server.baseUrl, auth: { type: 'apiKey', apiKey: 'key-1234' }, clock: new FakeClock(), rateLimit: false, logger });
    // Act
    const error = await rejectionOf(palette.cloudAccounts.aws.create(awsAccount));
    // Assess
    expect(error).toBeInstanceOf(PaletteServerError);
    expect((error as PaletteServerError).status).toBe(0);
    expect((error as PaletteServerError).message).toContain('find the resource by name');
    expect(server.requests).toHaveLength(1);
    expect(String(error)).not.toContain(awsAccount.spec.secretKey);
    expect(logger.text()).not.toContain(awsAccount.spec.secretKey);
    expect(logger.text()).toContain('[REDACTED]');
  });

  it('retries a create when the connection is refused (nothing was sent) until the budget ends', async () => {
    // Prepare: a port that was just closed
    const server = await startServer(() => undefined);
    const baseUrl = server.baseUrl;
    await server.close();
    const clock = new FakeClock();
    const palette = new PaletteClient({
      baseUrl,
      auth: { type: 'apiKey', apiKey: 'key-1234' },
      clock,
      rateLimit: false,
      retry: { budgetMs: 10_000 },
    });
    // Act
    const error = await rejectionOf(palette.sshKeys.create({ metadata: { name: 'k' }, spec: { publicKey: 'p' } }));
    // Assess
    expect(error).toBeInstanceOf(PaletteServerError);
    expect((error as PaletteServerError).code).toBe('ECONNREFUSED');
    expect((error as PaletteServerError).attempts).toBeGreaterThan(2);
    expect(clock.time).toBeLessThanOrEqual(10_000);
  });

  it('times out a hanging request and retries it when idempotent', async () => {
    // Prepare
    const server = await startServer((req, _raw, res, i) => {
      if (i > 0) sendJson(res, 200, { items: [] });
      // first request: never answered
    });
    servers.push(server);
    const palette = new PaletteClient({
      baseUrl: server.baseUrl,
      auth: { type: 'apiKey', apiKey: 'key-1234' },
      clock: new FakeClock(),
      rateLimit: false,
      retry: { requestTimeoutMs: 200 },
    });
    // Act
    const keys = await palette.sshKeys.list();
    // Assess
    expect(keys).toEqual([]);
    expect(server.requests).toHaveLength(2);
  });
});

describe('redaction', () => {
  it('keeps request secrets out of error messages, details and log fields', async () => {
    // Prepare: the server echoes the whole request body back in its error
    const ctx = client((req) =>
      json(400, { code: 'InvalidCloudAccount', message: `invalid account ${req.rawBody}`, details: { received: req.body, note: req.rawBody } }),
    );
    const body = {
      metadata: { name: 'az' },
      spec: { tenantId: 't', clientId: 'c', clientSecret: 'azure-client-secret-value' },
    };
    // Act
    const error = await rejectionOf(ctx.palette.cloudAccounts.azure.create(body));
    // Assess
    expect(error).toBeInstanceOf(PaletteValidationError);
    const everything = `${String(error)} ${JSON.stringify(error)} ${JSON.stringify((error as PaletteApiError).details)} ${ctx.logger.text()}`;
    expect(everything).not.toContain('azure-client-secret-value');
    expect(everything).not.toContain('key-0123456789');
    expect((error as PaletteApiError).serverMessage).toContain('[REDACTED]');
    const failureLog = ctx.logger.entries.find((e) => e.message === 'Palette request failed');
    expect(failureLog?.fields?.requestBody).toEqual({ metadata: { name: 'az' }, spec: { tenantId: 't', clientId: 'c', clientSecret: '[REDACTED]' } });
  });

  it('scrubs secrets nested in GCP jsonCredentials from echoed messages', async () => {
    // Prepare
    const privateKey = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n';
    const jsonCredentials = JSON.stringify({ type: 'service_account', private_key: privateKey, client_email: 'x@y' });
    const ctx = client(() => json(400, { code: 'Invalid', message: `cannot parse key MIIEvQIBADANBgkqhkiG9w0BAQEFAASC` }));
    // Act
    const error = await rejectionOf(ctx.palette.clouds.validateGcpAccount({ spec: { jsonCredentials } }));
    // Assess
    expect(String(error)).not.toContain('MIIEvQIBADANBgkqhkiG9w0BAQEFAASC');
  });
});
