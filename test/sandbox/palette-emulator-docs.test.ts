/**
 * The curl sequences from Palette's documentation, replayed against the emulator:
 * - self-hosted STS account (librarium _partials/self-hosted/_aws-sts-config.mdx): syslogin, POST the STS
 *   account (no Content-Type header: curl sends its form default), then "validate" with GET /v1/system/config/aws/account;
 * - reverse proxy (librarium .../system-management/reverse-proxy.md): syslogin, PUT, then GET.
 * Run once with the real curl binary (as the docs do) and once with fetch sending the same headers.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paletteFetch } from '../../local/palette/http';
import { type RunningPaletteEmulator, startPaletteEmulator } from '../../local/palette/index';

const run = promisify(execFile);

interface Reply {
  status: number;
  body: string;
}

type Transport = (method: string, url: string, headers: Record<string, string>, data?: string) => Promise<Reply>;

/** curl as in the docs: --data without a Content-Type header sends application/x-www-form-urlencoded. */
const curl: Transport = async (method, url, headers, data) => {
  const args = ['--silent', '--insecure', '--location', '--request', method, '--url', url, '--write-out', '\n%{http_code}'];
  for (const [k, v] of Object.entries(headers)) args.push('--header', `${k}: ${v}`);
  if (data !== undefined) args.push('--data', data);
  const { stdout } = await run('curl', args);
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
};

const viaFetch: Transport = async (method, url, headers, data) => {
  const h = { ...headers };
  if (data !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) {
    h['Content-Type'] = 'application/x-www-form-urlencoded';
  }
  const u = new URL(url);
  const r = await paletteFetch(u.origin, method, u.pathname + u.search, { headers: h, ...(data !== undefined ? { rawBody: data } : {}) });
  return { status: r.status, body: r.text };
};

async function curlAvailable(): Promise<boolean> {
  try {
    await run('curl', ['--version']);
    return true;
  } catch {
    return false;
  }
}

const hasCurl = await curlAvailable();

describe.each([
  { name: 'curl', transport: curl, skip: !hasCurl },
  { name: 'fetch', transport: viaFetch, skip: false },
])('documented curl sequences via $name', ({ transport, skip }) => {
  let emu: RunningPaletteEmulator;
  beforeAll(async () => {
    emu = await startPaletteEmulator({ port: 0 });
  });
  afterAll(async () => {
    await emu.stop();
  });

  const syslogin = async (): Promise<string> => {
    const r = await transport(
      'POST',
      `${emu.endpoint}/v1/auth/syslogin`,
      { 'Content-Type': 'application/json' },
      `{\n "username": "${emu.systemUser}",\n "password": "${emu.systemPassword}"\n }`,
    );
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body) as { Authorization?: string; IsPasswordReset?: boolean };
    expect(typeof body.IsPasswordReset).toBe('boolean');
    expect(body.Authorization).toBeTruthy();
    return String(body.Authorization);
  };

  it.skipIf(skip)('configures the system STS account with POST and validates it with GET /v1/system/config/aws/account', async () => {
    const token = await syslogin();
    const config = '{\n    "accessKey": "AKIASTSACCOUNT000001",\n    "secretKey": "sts-account-secret-key",\n    "accountId": "123456789012"\n}';
    const post = await transport('POST', `${emu.endpoint}/v1/system/config/aws/sts/account`, { Authorization: token }, config);
    expect(post.status).toBe(204);
    expect(post.body).toBe('');

    const gov = await transport('POST', `${emu.endpoint}/v1/system/config/awsgov/sts/account`, { Authorization: token }, config);
    expect(gov.status).toBe(204);

    const again = await syslogin();
    const get = await transport('GET', `${emu.endpoint}/v1/system/config/aws/account`, { Authorization: again });
    expect(get.status).toBe(200);
    const body = JSON.parse(get.body) as { spec?: { accessKey?: string; secretKey?: string } };
    expect(body.spec?.accessKey).toBe('AKIASTSACCOUNT000001');
    expect(body.spec?.secretKey).toBeTruthy();
    expect(get.body).not.toContain('sts-account-secret-key');

    const sts = await transport('GET', `${emu.endpoint}/v1/system/config/aws/sts/account`, { Authorization: again });
    expect(JSON.parse(sts.body)).toMatchObject({ accessKey: 'AKIASTSACCOUNT000001', accountId: '123456789012' });

    const noToken = await transport('POST', `${emu.endpoint}/v1/system/config/aws/sts/account`, {}, config);
    expect(noToken.status).toBe(401);
  });

  it.skipIf(skip)('sets the reverse proxy with PUT (204) and reads the same settings back with GET', async () => {
    const token = await syslogin();
    const payload = {
      caCert: '-----BEGIN CERTIFICATE-----\n................\n-----END CERTIFICATE-----\n',
      clientCert: '-----BEGIN CERTIFICATE-----\n.............\n-----END CERTIFICATE-----',
      clientKey: '-----BEGIN RSA PRIVATE KEY-----\n............\n-----END RSA PRIVATE KEY-----\n',
      port: 443,
      protocol: 'https',
      server: 'frps.palette.example.com',
    };
    const put = await transport(
      'PUT',
      `${emu.endpoint}/v1/system/config/reverseproxy`,
      { Authorization: token, 'Content-Type': 'application/json' },
      `    ${JSON.stringify(payload, null, 2)}`,
    );
    expect(put.status).toBe(204);
    const get = await transport('GET', `${emu.endpoint}/v1/system/config/reverseproxy`, { Authorization: await syslogin() });
    expect(get.status).toBe(200);
    expect(JSON.parse(get.body)).toEqual(payload);

    const badPort = await transport(
      'PUT',
      `${emu.endpoint}/v1/system/config/reverseproxy`,
      { Authorization: token, 'Content-Type': 'application/json' },
      JSON.stringify({ ...payload, port: '443' }),
    );
    expect(badPort.status).toBe(400);
    expect(JSON.parse(badPort.body)).toMatchObject({ message: 'port: must be integer' });
  });
});
