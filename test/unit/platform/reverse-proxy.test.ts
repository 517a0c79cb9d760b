/**
 * Reverse-proxy secret validation (lambdas/domain/reverse-proxy.ts) with certificates generated in the test.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  hostNameProblem,
  normalisePem,
  ReverseProxyValidationError,
  validateReverseProxy,
  type FieldIssue,
} from '../../../lambdas/domain/reverse-proxy';
import { createCa, issueCert, validReverseProxySecret, type Issued, type ReverseProxySecretValue } from './certs';

const DAY = 86_400_000;
let ca: Issued;
let client: Issued;
let good: ReverseProxySecretValue;

beforeAll(async () => {
  ca = await createCa();
  client = await issueCert(ca);
  good = {
    server: 'frps.palette.example.com',
    port: 443,
    protocol: 'https',
    caCert: ca.certPem,
    clientCert: client.certPem,
    clientKey: client.keyPem,
  };
});

function issuesOf(raw: unknown): FieldIssue[] {
  try {
    validateReverseProxy(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ReverseProxyValidationError);
    if (e instanceof ReverseProxyValidationError) {
      expect(e.name).toBe('ReverseProxyValidationError');
      return e.issues;
    }
  }
  throw new Error('expected a ReverseProxyValidationError');
}

const fields = (issues: FieldIssue[]) => issues.map((i) => i.field).sort();

describe('valid settings', () => {
  it('accepts a client certificate signed by the CA, with its key; returns normalised config and a secret-free summary', () => {
    const { config, summary } = validateReverseProxy(good);
    expect(config).toEqual({
      server: 'frps.palette.example.com',
      port: 443,
      protocol: 'https',
      caCert: normalisePem(ca.certPem),
      clientCert: normalisePem(client.certPem),
      clientKey: normalisePem(client.keyPem),
    });
    expect(summary).toMatchObject({
      server: 'frps.palette.example.com',
      port: 443,
      protocol: 'https',
      caSubject: 'CN=Test Reverse Proxy CA',
      certSubject: 'CN=palette-reverse-proxy-client',
    });
    expect(summary.certFingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(new Date(summary.certNotAfter).getTime()).toBeGreaterThan(Date.now() + 80 * DAY);
    expect(JSON.stringify(summary)).not.toContain('PRIVATE KEY');
  });

  it('accepts RSA keys, a numeric-string port, http, base64-encoded PEM, CRLF line ends and vHostPort', async () => {
    const rsaCa = await createCa({ kind: 'rsa' });
    const rsaClient = await issueCert(rsaCa, { kind: 'rsa', issuerKind: 'rsa', dnsNames: [], ipAddresses: ['10.0.0.12'] });
    const { config } = validateReverseProxy({
      server: '10.0.0.12',
      port: ' 8443 ',
      protocol: 'http',
      caCert: Buffer.from(rsaCa.certPem).toString('base64'),
      clientCert: rsaClient.certPem.replace(/\n/g, '\r\n'),
      clientKey: rsaClient.keyPem,
      vHostPort: '8080',
    });
    expect(config.port).toBe(8443);
    expect(config.vHostPort).toBe(8080);
    expect(config.protocol).toBe('http');
    expect(config.caCert).toBe(normalisePem(rsaCa.certPem));
    expect(config.caCert.startsWith('-----BEGIN CERTIFICATE-----\n')).toBe(true);
    expect(config.clientCert).not.toContain('\r');
  });

  it('accepts a chain: client certificate followed by its intermediate, CA bundle with two roots', async () => {
    const otherRoot = await createCa({ name: 'Other Root' });
    const intermediate = await issueCert(ca, { name: 'Intermediate', ca: true });
    const leaf = await issueCert(intermediate);
    const { config } = validateReverseProxy({
      ...good,
      caCert: otherRoot.certPem + ca.certPem,
      clientCert: leaf.certPem + intermediate.certPem,
      clientKey: leaf.keyPem,
    });
    expect(config.clientCert.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(config.caCert.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    // Without the intermediate the chain is broken.
    expect(issuesOf({ ...good, clientCert: leaf.certPem, clientKey: leaf.keyPem })).toEqual([
      { field: 'clientCert', message: 'is not signed by the CA in caCert (issuer "CN=Intermediate")' },
    ]);
  });
});

describe('certificate and key problems', () => {
  it('rejects a client certificate signed by another CA, naming clientCert', async () => {
    const wrongCa = await createCa({ name: 'Wrong CA' });
    expect(issuesOf({ ...good, caCert: wrongCa.certPem })).toEqual([
      { field: 'clientCert', message: 'is not signed by the CA in caCert (issuer "CN=Test Reverse Proxy CA")' },
    ]);
  });

  it('rejects a CA with the same name but a different key (signature check, not just the issuer name)', async () => {
    const impostor = await createCa(); // same subject CN=Test Reverse Proxy CA
    expect(fields(issuesOf({ ...good, caCert: impostor.certPem }))).toEqual(['clientCert']);
  });

  it('rejects a key that does not belong to the certificate, and never echoes key material', async () => {
    const other = await issueCert(ca);
    let error: unknown;
    try {
      validateReverseProxy({ ...good, clientKey: other.keyPem });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ReverseProxyValidationError);
    const e = error as ReverseProxyValidationError;
    expect(e.issues).toEqual([{ field: 'clientKey', message: 'does not match the public key of clientCert' }]);
    const keyBody = other.keyPem.split('\n')[1] ?? 'unreachable';
    expect(e.message).not.toContain(keyBody);
    expect(e.message).not.toContain('PRIVATE KEY-----');
    expect(JSON.stringify(e.issues)).not.toContain(keyBody);
  });

  it('rejects garbage PEM in each field with a field-level message', () => {
    const garbageBody = '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n';
    expect(issuesOf({ ...good, caCert: garbageBody })).toEqual([{ field: 'caCert', message: 'is not a parseable X.509 certificate' }]);
    expect(issuesOf({ ...good, clientCert: 'hello' })).toEqual([
      { field: 'clientCert', message: 'must be a PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)' },
    ]);
    const secretLooking = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWdhcmJhZ2UtdmFsdWU=\n-----END PRIVATE KEY-----\n';
    const keyIssues = issuesOf({ ...good, clientKey: secretLooking });
    expect(keyIssues).toEqual([{ field: 'clientKey', message: 'is not a parseable private key' }]);
    expect(JSON.stringify(keyIssues)).not.toContain('c2VjcmV0');
  });

  it('rejects a key where a certificate is expected, a certificate as key, two keys, and an encrypted key', () => {
    expect(issuesOf({ ...good, caCert: client.keyPem })).toEqual([
      { field: 'caCert', message: 'must contain only CERTIFICATE blocks, found "PRIVATE KEY"' },
    ]);
    expect(issuesOf({ ...good, clientKey: client.certPem })).toEqual([
      { field: 'clientKey', message: 'must be a PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block, found "CERTIFICATE"' },
    ]);
    expect(issuesOf({ ...good, clientKey: client.keyPem + client.keyPem })).toEqual([
      { field: 'clientKey', message: 'must contain exactly one PEM block, found 2' },
    ]);
    const encrypted = '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n';
    expect(issuesOf({ ...good, clientKey: encrypted })).toEqual([
      { field: 'clientKey', message: 'must not be encrypted (Palette needs the unencrypted key)' },
    ]);
  });

  it('rejects expired and not-yet-valid certificates', async () => {
    const expiredClient = await issueCert(ca, { notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) });
    const [expired] = issuesOf({ ...good, clientCert: expiredClient.certPem, clientKey: expiredClient.keyPem });
    expect(expired?.field).toBe('clientCert');
    expect(expired?.message).toMatch(/^the client certificate expired on \d{4}-\d{2}-\d{2}T/);
    const futureCa = await createCa({ name: 'Future CA', notBefore: new Date(Date.now() + 10 * DAY) });
    const issues = issuesOf({ ...good, caCert: futureCa.certPem });
    expect(issues[0]).toEqual({ field: 'caCert', message: expect.stringMatching(/^CA certificate "CN=Future CA" is not valid before /) });
    expect(fields(issues)).toEqual(['caCert', 'clientCert']); // and the client cert is not signed by it
  });
});

describe('server, port, protocol', () => {
  it.each([
    ['https://frps.example.com', 'must be a host name without a scheme (remove "http(s)://")'],
    ['frps.example.com/proxy', 'must be a host name without a path'],
    ['frps.example.com:443', 'must be a host name without a port (use the port field)'],
    ['user@frps.example.com', 'must be a host name without user info'],
    [' frps.example.com', 'must not contain spaces'],
    ['frps..example.com', expect.stringMatching(/^must be a host name: dot-separated labels/)],
    ['-frps.example.com', expect.stringMatching(/^must be a host name: dot-separated labels/)],
    ['frps_1.example.com', expect.stringMatching(/^must be a host name: dot-separated labels/)],
    ['a'.repeat(64) + '.example.com', expect.stringMatching(/^must be a host name: dot-separated labels/)],
    ['10.0.0', 'must be a host name (the last label cannot be numeric unless it is an IPv4 address)'],
  ])('server %j is rejected', (server, message) => {
    expect(issuesOf({ ...good, server })).toEqual([{ field: 'server', message }]);
  });

  it('accepts plain host names and IPv4 addresses', () => {
    for (const h of ['frps', 'frps.palette.example.com', 'a-b.c-d.example', '192.168.1.10']) expect(hostNameProblem(h)).toBeUndefined();
  });

  it.each([0, 65536, -1, 443.5, '44x3', true, '']) ('port %j is rejected', (port) => {
    expect(issuesOf({ ...good, port })).toEqual([
      { field: 'port', message: port === '' ? 'is required' : 'must be an integer port number from 1 to 65535' },
    ]);
  });

  it.each(['HTTPS', 'tcp', 'ftp', 42])('protocol %j is rejected', (protocol) => {
    expect(issuesOf({ ...good, protocol })).toEqual([{ field: 'protocol', message: 'must be http or https' }]);
  });

  it('reports every problem at once, missing and unknown fields included', () => {
    const issues = issuesOf({ server: 'http://x', port: 70000, caCert: 'x', clientKey: 7, extra: 1 });
    expect(issues).toEqual(
      expect.arrayContaining([
        { field: 'extra', message: expect.stringMatching(/^unknown field/) },
        { field: 'server', message: expect.stringMatching(/without a scheme/) },
        { field: 'port', message: 'must be an integer port number from 1 to 65535' },
        { field: 'protocol', message: 'is required (http or https)' },
        { field: 'caCert', message: expect.stringMatching(/^must be a PEM certificate/) },
        { field: 'clientCert', message: 'is required' },
        { field: 'clientKey', message: 'must be a string' },
      ]),
    );
    expect(issues).toHaveLength(7);
    expect(() => validateReverseProxy('not an object')).toThrow('Invalid reverse proxy settings: (root): must be a JSON object');
  });

  it('the error message names the source and each field', async () => {
    const value = await validReverseProxySecret({ port: 0 });
    expect(() => validateReverseProxy(value, { source: 'secret palette-onboarding-platform/reverse-proxy' })).toThrow(
      'Invalid reverse proxy settings in secret palette-onboarding-platform/reverse-proxy: port: must be an integer port number from 1 to 65535',
    );
  });
});
