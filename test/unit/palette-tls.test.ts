/**
 * The Palette client's trust (lambdas/services/palette/tls.ts): a private CA bundle is trusted IN ADDITION to the
 * public roots; a certificate from any other CA, or for another host, is refused at once with PaletteCertificateError
 * (never retried); the https fetch carries what the transport sends; a CA that cannot be loaded fails the call with
 * its own error; and no product code can turn verification off.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { rootCertificates } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PaletteCertificateError, PaletteClient, PaletteServerError } from '../../lambdas/services/palette';
import { CaTrust, trustedCertificates } from '../../lambdas/services/palette/tls';
import { ConfigurationError } from '../../lambdas/shared/errors';
import { isRetryableError, NAMED_PERMANENT_ERRORS } from '../../lambdas/shared/retryable-errors';
import { createPrivateCa, issueServerCertificate, type PrivateCa } from '../e2e/fixtures/tls';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let ca: PrivateCa;
let otherCa: PrivateCa;
const servers: Server[] = [];
const seen: Seen[] = [];

async function serve(cert: { cert: string; key: string }): Promise<string> {
  const server = createServer(cert, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (req.url?.startsWith('/v1/empty')) {
        res.writeHead(204).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json', 'Set-Cookie': ['a=1', 'b=2'] });
      res.end(JSON.stringify({ accountId: '123456789012', externalId: 'ext-1' }));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let trusted: string;
let wrongHost: string;
let otherCaServer: string;

beforeAll(async () => {
  ca = await createPrivateCa('Palette Test Private CA');
  otherCa = await createPrivateCa('Some Other CA');
  trusted = await serve(await issueServerCertificate(ca));
  wrongHost = await serve(await issueServerCertificate(ca, ['palette.internal.example']));
  otherCaServer = await serve(await issueServerCertificate(otherCa));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
});

function client(baseUrl: string, caBundle?: () => Promise<readonly string[]>): PaletteClient {
  return new PaletteClient({
    baseUrl,
    auth: { type: 'apiKey', apiKey: 'key-0123456789' },
    rateLimit: false,
    // A retry would show as more than one attempt; the budget is short so a retried failure would still end.
    retry: { budgetMs: 5_000, baseDelayMs: 10, maxDelayMs: 20 },
    ...(caBundle ? { caBundle } : {}),
  });
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail');
}

describe('a private CA bundle', () => {
  it('is trusted in addition to the public roots (which stay trusted)', () => {
    const list = trustedCertificates([ca.certPem]);
    expect(list).toContain(ca.certPem);
    expect(list.length).toBe(rootCertificates.length + 1);
    for (const root of rootCertificates.slice(0, 5)) expect(list).toContain(root);
  });

  it('lets the client call an instance whose certificate it issued', async () => {
    const sts = await client(trusted, async () => [ca.certPem]).clouds.getAwsAccountSts();
    expect(sts.accountId).toBe('123456789012');
  });

  it('refuses a certificate from another CA at once: PaletteCertificateError, one attempt, permanent', async () => {
    const started = Date.now();
    const e = await failure(client(otherCaServer, async () => [ca.certPem]).clouds.getAwsAccountSts());
    expect(e).toBeInstanceOf(PaletteCertificateError);
    const err = e as PaletteCertificateError;
    expect(err.name).toBe('PaletteCertificateError');
    expect(err.attempts).toBe(1);
    expect(err.status).toBe(0);
    expect(err.code).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/);
    expect(err.message).toContain('paletteCaBundle');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(isRetryableError(err)).toBe(false);
    expect(NAMED_PERMANENT_ERRORS).toContain('PaletteCertificateError');
  });

  it('refuses a certificate of the trusted CA that names another host', async () => {
    const e = await failure(client(wrongHost, async () => [ca.certPem]).clouds.getAwsAccountSts());
    expect(e).toBeInstanceOf(PaletteCertificateError);
    expect((e as PaletteCertificateError).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect((e as PaletteCertificateError).attempts).toBe(1);
  });
});

describe('without a CA bundle (public roots only)', () => {
  it('a private-CA instance is refused with PaletteCertificateError, not retried, even for a creating POST', async () => {
    const get = await failure(client(trusted).clouds.getAwsAccountSts());
    expect(get).toBeInstanceOf(PaletteCertificateError);
    expect((get as PaletteCertificateError).attempts).toBe(1);
    // A creating POST is not idempotent: a refused handshake sent nothing, so it is not "may have been applied".
    const post = await failure(client(trusted).sshKeys.create({ metadata: { name: 'k' }, spec: { publicKey: 'ssh-ed25519 AAAA' } }));
    expect(post).toBeInstanceOf(PaletteCertificateError);
    expect((post as PaletteCertificateError).message).not.toContain('may have been applied');
    expect(post).not.toBeInstanceOf(PaletteServerError);
  });
});

describe('the https fetch', () => {
  it('sends the method, headers and body, returns status, headers and body; 204 has no body', async () => {
    const trust = new CaTrust(async () => [ca.certPem]);
    await trust.prepare();
    seen.length = 0;
    const res = await trust.fetch(`${trusted}/v1/things?x=1`, { method: 'POST', headers: { ApiKey: 'k1', 'Content-Type': 'application/json' }, body: '{"a":"é"}' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('set-cookie')).toContain('a=1');
    expect(await res.json()).toEqual({ accountId: '123456789012', externalId: 'ext-1' });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v1/things?x=1', body: '{"a":"é"}' });
    expect(seen[0]?.headers.apikey).toBe('k1');
    expect(seen[0]?.headers['content-length']).toBe(String(Buffer.byteLength('{"a":"é"}')));
    const empty = await trust.fetch(`${trusted}/v1/empty`, { method: 'DELETE' });
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
    trust.destroy();
  });

  it('an aborted request rejects with the abort', async () => {
    const trust = new CaTrust(async () => [ca.certPem]);
    const controller = new AbortController();
    controller.abort();
    await expect(trust.fetch(`${trusted}/v1/x`, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    trust.destroy();
  });
});

describe('loading the bundle', () => {
  it('a bundle that cannot be read fails the call with its own error (not a network failure), and is read again next time', async () => {
    let reads = 0;
    const palette = client(trusted, async () => {
      reads += 1;
      if (reads === 1) throw new ConfigurationError('The Palette CA bundle (PALETTE_CA_BUNDLE, stack config paletteCaBundle) in secret x cannot be used: gone');
      return [ca.certPem];
    });
    const e = await failure(palette.clouds.getAwsAccountSts());
    expect(e).toBeInstanceOf(ConfigurationError);
    expect((await palette.clouds.getAwsAccountSts()).accountId).toBe('123456789012');
    await palette.clouds.getAwsAccountSts();
    expect(reads).toBe(2);
  });

  it('caBundle and fetch do not go together', () => {
    expect(() => new PaletteClient({ baseUrl: trusted, auth: { type: 'apiKey', apiKey: 'k' }, caBundle: async () => [], fetch: async () => new Response(null) })).toThrow(
      /caBundle or fetch/,
    );
  });
});

describe('verification cannot be turned off', () => {
  const ROOT = join(__dirname, '..', '..');
  function files(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = join(dir, e.name);
      if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'generated' ? [] : files(p);
      return /\.(ts|mts|mjs|js)$/.test(e.name) ? [p] : [];
    });
  }

  it('no product code (lambdas/, cli/, cdk/) mentions rejectUnauthorized, NODE_TLS_REJECT_UNAUTHORIZED or checkServerIdentity', () => {
    const offenders = ['lambdas', 'cli', 'cdk']
      .flatMap((d) => files(join(ROOT, d)))
      .filter((f) => /rejectUnauthorized|NODE_TLS_REJECT_UNAUTHORIZED|checkServerIdentity/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(ROOT, f));
    expect(offenders).toEqual([]);
  });

  it('the guard finds what it looks for (it is not vacuous)', () => {
    expect(/rejectUnauthorized/.test('new Agent({ rejectUnauthorized: false })')).toBe(true);
    expect(files(join(ROOT, 'lambdas')).some((f) => f.endsWith(join('services', 'palette', 'tls.ts')))).toBe(true);
  });
});
