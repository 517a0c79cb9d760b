/**
 * The reverse proxy's cluster half (seed 001): the server certificate is checked against the proxy's host name
 * (subject alternative names, RFC 6125 wildcard rules) before anything else happens, and the Helm values of
 * Palette's management cluster carry exactly the fields seed 001 lists (lambdas/domain/reverse-proxy.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  certificateHostProblem,
  frpsHelmValues,
  renderFrpsHelmValues,
  ReverseProxyValidationError,
  validateReverseProxy,
} from '../../../lambdas/domain/reverse-proxy';
import { createCa, issueCert, validReverseProxySecret, type Issued } from './certs';

const ROOT = join(import.meta.dirname, '..', '..', '..');
/** Seed 001 (Palette's "Configure Reverse Proxy" page), beside the project as CI lays it out. */
const SEED_001 = join(ROOT, '..', 'shared', 'seeds', '001_0a57fea0a93e0d2b.txt');

/**
 * The parameters seed 001's Enablement table lists for the `frps` section of values.yaml, as written there
 * (`frps.frpHostURL` relative to the top-level `frps` key, the others relative to `frps.frps`).
 */
const SEED_001_HELM_PARAMETERS = ['enabled', 'frps.frpHostURL', 'server.crt', 'server.key', 'ca.crt'];
/** The seed's example `frps` section, key by key (the snapshot flattens the indentation). */
const SEED_001_EXAMPLE_KEYS = ['frps', 'frps', 'enabled', 'frpHostURL', 'server', 'crt', 'key', 'ca', 'crt'];

let ca: Issued;
beforeAll(async () => {
  ca = await createCa();
});

const leafFor = async (opts: { dnsNames?: string[]; ipAddresses?: string[] }) => new X509Certificate((await issueCert(ca, opts)).certPem);

describe('the server certificate is checked against the proxy host name (SAN)', () => {
  it('the exact host name matches, case-insensitively', async () => {
    const cert = await leafFor({ dnsNames: ['frps.palette.example.com'] });
    expect(certificateHostProblem(cert, 'frps.palette.example.com')).toBeUndefined();
    expect(certificateHostProblem(cert, 'FRPS.Palette.Example.com')).toBeUndefined();
  });

  it('a *. wildcard stands for exactly one whole first label', async () => {
    const cert = await leafFor({ dnsNames: ['*.palette.example.com'] });
    expect(certificateHostProblem(cert, 'frps.palette.example.com')).toBeUndefined();
    expect(certificateHostProblem(cert, 'a.frps.palette.example.com')).toMatch(/is not valid for the server "a\.frps\.palette\.example\.com"/);
    expect(certificateHostProblem(cert, 'palette.example.com')).toMatch(/is not valid for the server "palette\.example\.com"/);
    const partial = await leafFor({ dnsNames: ['f*.palette.example.com'] });
    expect(certificateHostProblem(partial, 'frps.palette.example.com')).toMatch(/is not valid/);
  });

  it('a certificate for another host is rejected, naming its SANs', async () => {
    const cert = await leafFor({ dnsNames: ['other.example.com', 'www.other.example.com'] });
    expect(certificateHostProblem(cert, 'frps.palette.example.com')).toBe(
      'is not valid for the server "frps.palette.example.com": its subject alternative names are DNS:other.example.com, DNS:www.other.example.com',
    );
  });

  it("the subject's common name is not used; an IPv4 server needs an IP address SAN", async () => {
    const cnOnly = new X509Certificate((await issueCert(ca, { name: 'frps.palette.example.com', dnsNames: [] })).certPem);
    expect(cnOnly.subject).toBe('CN=frps.palette.example.com');
    expect(certificateHostProblem(cnOnly, 'frps.palette.example.com')).toBe(
      'is not valid for the server "frps.palette.example.com": it has no DNS or IP subject alternative name (TLS clients do not use the subject\'s common name)',
    );
    const ip = await leafFor({ dnsNames: [], ipAddresses: ['10.0.0.12'] });
    expect(certificateHostProblem(ip, '10.0.0.12')).toBeUndefined();
    expect(certificateHostProblem(ip, '10.0.0.13')).toBe('is not valid for the server "10.0.0.13": its subject alternative names are IP Address:10.0.0.12');
    const dnsWithIpText = await leafFor({ dnsNames: ['10.0.0.12'] });
    expect(certificateHostProblem(dnsWithIpText, '10.0.0.12')).toMatch(/is not valid/);
  });

  it('validation rejects a certificate for another host name in clientCert, with the other problems, before anything else', async () => {
    const value = await validReverseProxySecret({ server: 'frps.palette.example.com' });
    const other = await issueCert(ca, { dnsNames: ['proxy.elsewhere.example.org'] });
    let error: unknown;
    try {
      validateReverseProxy({ ...value, caCert: ca.certPem, clientCert: other.certPem, clientKey: other.keyPem, port: 0 }, { source: 'file rp.json' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ReverseProxyValidationError);
    expect((error as ReverseProxyValidationError).issues).toEqual([
      { field: 'port', message: 'must be an integer port number from 1 to 65535' },
      { field: 'clientCert', message: 'is not valid for the server "frps.palette.example.com": its subject alternative names are DNS:proxy.elsewhere.example.org' },
    ]);
    expect((error as Error).message).toContain('Invalid reverse proxy settings in file rp.json: ');
    // The same certificate is fine for its own host.
    expect(() => validateReverseProxy({ ...value, server: 'proxy.elsewhere.example.org', caCert: ca.certPem, clientCert: other.certPem, clientKey: other.keyPem })).not.toThrow();
  });
});

/** Leaf paths of a nested object ("a.b.c"). */
function leafPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

describe("Helm values of Palette's management cluster (seed 001)", () => {
  it('seed 001 lists these parameters (read from the seed when it is beside the project)', () => {
    if (!existsSync(SEED_001)) return;
    const text = readFileSync(SEED_001, 'utf8');
    const table = text.slice(text.indexOf('Spectro Proxy Helm Configuration'), text.indexOf('The following is an example of the'));
    const rows = [...table.matchAll(/- row "(\S+) /g)].map((m) => m[1]).filter((r) => r !== 'Parameter');
    expect(rows).toEqual(SEED_001_HELM_PARAMETERS);
    const example = text.slice(text.indexOf('The following is an example of the'), text.indexOf('helm upgrade --values'));
    const keys = [...example.matchAll(/- generic \[ref=e\d+\]: "?([A-Za-z]+):/g)].map((m) => m[1]);
    expect(keys).toEqual(SEED_001_EXAMPLE_KEYS);
  });

  it('carry exactly the fields seed 001 lists, the certificate, key and CA as base64 of their PEM', async () => {
    const value = await validReverseProxySecret({ server: 'frps.palette.example.com' });
    const { config } = validateReverseProxy(value);
    const values = frpsHelmValues(config);
    const leaves = leafPaths(values.frps);
    expect(leaves).toEqual(['frps.enabled', 'frps.frpHostURL', 'frps.server.crt', 'frps.server.key', 'frps.ca.crt']);
    // Every parameter of the seed names exactly one leaf, and every leaf is one of the seed's parameters.
    for (const p of SEED_001_HELM_PARAMETERS) expect(leaves.filter((l) => l === p || l.endsWith(`.${p}`)), p).toHaveLength(1);
    for (const l of leaves) expect(SEED_001_HELM_PARAMETERS.filter((p) => l === p || l.endsWith(`.${p}`)), l).toHaveLength(1);

    const v = values.frps.frps;
    expect(v.enabled).toBe(true);
    expect(v.frpHostURL).toBe('frps.palette.example.com');
    const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
    expect(decode(v.server.crt)).toBe(config.clientCert);
    expect(decode(v.server.key)).toBe(config.clientKey);
    expect(decode(v.ca.crt)).toBe(config.caCert);
    // As the docs' example: base64 of "-----BEGIN ..." starts with LS0tLS1CRU.
    for (const b64 of [v.server.crt, v.server.key, v.ca.crt]) expect(b64).toMatch(/^LS0tLS1CRU[A-Za-z0-9+/]+={0,2}$/);
    expect(decode(v.server.key)).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('render as the seed\'s YAML: the same keys in the same nesting, quoted values', async () => {
    const value = await validReverseProxySecret({ server: 'frps.palette.example.com' });
    const values = frpsHelmValues(validateReverseProxy(value).config);
    const yaml = renderFrpsHelmValues(values, 'rp.json');
    const body = yaml.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    const v = values.frps.frps;
    expect(body).toEqual([
      'frps:',
      '  frps:',
      '    enabled: true',
      '    frpHostURL: "frps.palette.example.com"',
      '    server:',
      `      crt: "${v.server.crt}"`,
      `      key: "${v.server.key}"`,
      '    ca:',
      `      crt: "${v.ca.crt}"`,
    ]);
    expect(body.map((l) => /^\s*([A-Za-z]+):/.exec(l)?.[1])).toEqual(SEED_001_EXAMPLE_KEYS);
    expect(yaml).toMatch(/^# Spectro Proxy \(frps\) Helm values for Palette's management cluster, from rp\.json\.\n/);
    expect(yaml).not.toContain('PRIVATE KEY');
  });
});
