/**
 * The reverse-proxy secret (Palette system setting `/v1/system/config/reverseproxy`): parse and validate it
 * BEFORE anything is sent to Palette, with one message per offending field. Pure (node:crypto only).
 *
 * Secret JSON: {server, port, protocol, caCert, clientCert, clientKey} (+ optional vHostPort).
 *  - server: host name only (no scheme, path, port or user info), e.g. frps.palette.example.com
 *  - port: 1..65535; a numeric string is accepted (the Secrets Manager console's key/value editor stores strings)
 *  - protocol: http | https
 *  - caCert: one or more PEM CERTIFICATE blocks; clientCert: the client certificate (optionally followed by
 *    intermediates); clientKey: the unencrypted PEM private key of the client certificate. Palette's docs call
 *    these "base64 format" while their examples are PEM: base64-encoded PEM is accepted and normalised to PEM.
 * Checks: PEM blocks parse, certificates are within their validity period, the key matches the client
 * certificate, the client certificate chains up to a certificate of caCert (issuer name and signature), and it is
 * valid for `server` by its subject alternative names (RFC 6125: DNS names with a whole-label `*.` wildcard, or IP
 * addresses; the subject's common name is not used, as Go's TLS clients (frp, kubectl) do not use it either).
 *
 * The same validated settings give the Helm values of Palette's management cluster (`frpsHelmValues`, seed 001:
 * frps.frps.{enabled, frpHostURL, server.crt, server.key, ca.crt}, the PEM files base64-encoded).
 *
 * Key material never appears in an error message or in the summary.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';

export interface FieldIssue {
  field: string;
  message: string;
}

/** Invalid reverse-proxy settings; `issues` names each field. Never retried. */
export class ReverseProxyValidationError extends Error {
  override readonly name = 'ReverseProxyValidationError';
  constructor(
    readonly issues: FieldIssue[],
    source?: string,
  ) {
    super(
      `Invalid reverse proxy settings${source ? ` in ${source}` : ''}: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
    );
  }
}

/** What Palette receives (PUT /v1/system/config/reverseproxy). */
export interface ReverseProxyConfig {
  server: string;
  port: number;
  protocol: 'http' | 'https';
  caCert: string;
  clientCert: string;
  clientKey: string;
  vHostPort?: number;
}

/** Identifiers only (safe for workflow state and logs). */
export interface ReverseProxySummary {
  server: string;
  port: number;
  protocol: 'http' | 'https';
  caSubject: string;
  caFingerprint256: string;
  certSubject: string;
  certFingerprint256: string;
  certNotAfter: string;
}

export interface ValidatedReverseProxy {
  config: ReverseProxyConfig;
  summary: ReverseProxySummary;
}

export const REVERSE_PROXY_FIELDS = ['server', 'port', 'protocol', 'caCert', 'clientCert', 'clientKey', 'vHostPort'] as const;

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Reason the value is not a bare host name, or undefined. */
export function hostNameProblem(server: string): string | undefined {
  if (server.trim() !== server || /\s/.test(server)) return 'must not contain spaces';
  if (server === '') return 'must not be empty';
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(server)) return 'must be a host name without a scheme (remove "http(s)://")';
  if (server.includes('/')) return 'must be a host name without a path';
  if (server.includes('@')) return 'must be a host name without user info';
  if (server.includes(':')) return 'must be a host name without a port (use the port field)';
  if (server.length > 253) return 'must be at most 253 characters';
  const labels = server.split('.');
  if (labels.some((l) => !LABEL.test(l))) {
    return 'must be a host name: dot-separated labels of 1-63 letters, digits or hyphens, not starting or ending with a hyphen';
  }
  if (/^\d+$/.test(labels[labels.length - 1] ?? '') && !/^\d{1,3}(\.\d{1,3}){3}$/.test(server)) {
    return 'must be a host name (the last label cannot be numeric unless it is an IPv4 address)';
  }
  return undefined;
}

interface PemBlock {
  label: string;
  text: string;
  encrypted: boolean;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

function pemBlocks(text: string): PemBlock[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({
    label: m[1] ?? '',
    text: `-----BEGIN ${m[1]}-----\n${(m[2] ?? '').replace(/\r\n/g, '\n').trim()}\n-----END ${m[1]}-----\n`,
    encrypted: /Proc-Type:\s*4,ENCRYPTED/.test(m[2] ?? ''),
  }));
}

/** PEM text as given, or decoded from base64 when the value is base64-encoded PEM. */
function pemText(value: string): string {
  if (value.includes('-----BEGIN ')) return value;
  const compact = value.replace(/\s+/g, '');
  if (compact.length > 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    const decoded = Buffer.from(compact, 'base64').toString('utf8');
    if (decoded.includes('-----BEGIN ')) return decoded;
  }
  return value;
}

const asDate = (s: string) => new Date(s);

function checkValidity(field: string, cert: X509Certificate, now: Date, issues: FieldIssue[], what: string): void {
  const from = asDate(cert.validFrom);
  const to = asDate(cert.validTo);
  if (to.getTime() < now.getTime()) issues.push({ field, message: `${what} expired on ${to.toISOString()}` });
  else if (from.getTime() > now.getTime()) issues.push({ field, message: `${what} is not valid before ${from.toISOString()}` });
}

/** Parses one or more CERTIFICATE blocks; pushes an issue and returns undefined when unusable. */
function parseCertificates(field: string, value: string, issues: FieldIssue[]): X509Certificate[] | undefined {
  const blocks = pemBlocks(pemText(value));
  if (blocks.length === 0) {
    issues.push({ field, message: 'must be a PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)' });
    return undefined;
  }
  const certs: X509Certificate[] = [];
  for (const [i, block] of blocks.entries()) {
    const where = blocks.length > 1 ? ` (PEM block ${i + 1})` : '';
    if (block.label !== 'CERTIFICATE') {
      issues.push({ field, message: `must contain only CERTIFICATE blocks, found "${block.label}"${where}` });
      return undefined;
    }
    try {
      certs.push(new X509Certificate(block.text));
    } catch {
      issues.push({ field, message: `is not a parseable X.509 certificate${where}` });
      return undefined;
    }
  }
  return certs;
}

const PRIVATE_KEY_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);

function parsePrivateKey(value: string, issues: FieldIssue[]): { key: KeyObject; pem: string } | undefined {
  const field = 'clientKey';
  const blocks = pemBlocks(pemText(value));
  if (blocks.length !== 1 || !blocks[0]) {
    issues.push({
      field,
      message:
        blocks.length === 0
          ? 'must be a PEM private key (-----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY-----)'
          : `must contain exactly one PEM block, found ${blocks.length}`,
    });
    return undefined;
  }
  const block = blocks[0];
  if (block.label === 'ENCRYPTED PRIVATE KEY' || block.encrypted) {
    issues.push({ field, message: 'must not be encrypted (Palette needs the unencrypted key)' });
    return undefined;
  }
  if (!PRIVATE_KEY_LABELS.has(block.label)) {
    issues.push({ field, message: `must be a PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block, found "${block.label}"` });
    return undefined;
  }
  try {
    // The parser's own error text is not passed on: it is generic, but nothing derived from the key leaves here.
    return { key: createPrivateKey({ key: block.text, format: 'pem' }), pem: block.text };
  } catch {
    issues.push({ field, message: 'is not a parseable private key' });
    return undefined;
  }
}

/**
 * Why `cert` is not valid for host `server` (RFC 6125 via node:crypto: a DNS subject alternative name equal to it,
 * or a `*.` wildcard standing for exactly its first label; an IPv4 server must be an IP address SAN), or undefined.
 */
export function certificateHostProblem(cert: X509Certificate, server: string): string | undefined {
  const isIp = /^\d{1,3}(\.\d{1,3}){3}$/.test(server);
  const matched = isIp
    ? cert.checkIP(server)
    : cert.checkHost(server, { subject: 'never', wildcards: true, partialWildcards: false, multiLabelWildcards: false, singleLabelSubdomains: false });
  if (matched !== undefined) return undefined;
  const sans = (cert.subjectAltName ?? '')
    .split(/,\s*/)
    .map((n) => n.trim())
    .filter((n) => /^(DNS|IP Address):/.test(n));
  return sans.length === 0
    ? `is not valid for the server "${server}": it has no DNS or IP subject alternative name (TLS clients do not use the subject's common name)`
    : `is not valid for the server "${server}": its subject alternative names are ${sans.join(', ')}`;
}

/** Is `cert` issued and signed by `issuer`? */
function signedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** Walks from the leaf through the given intermediates to a certificate of the CA bundle. */
function chainsToCa(leaf: X509Certificate, intermediates: X509Certificate[], cas: X509Certificate[]): boolean {
  let current = leaf;
  const pool = [...intermediates];
  for (let depth = 0; depth < 8; depth++) {
    if (cas.some((ca) => signedBy(current, ca))) return true;
    const next = pool.findIndex((c) => signedBy(current, c));
    if (next < 0) return false;
    const [issuer] = pool.splice(next, 1);
    if (!issuer) return false;
    current = issuer;
  }
  return false;
}

const pemOf = (certs: X509Certificate[]) => certs.map((c) => c.toString()).join('');

/**
 * Validates the secret's JSON value (already parsed). Throws ReverseProxyValidationError listing every problem;
 * returns the normalised config for Palette and a summary without secrets.
 */
export function validateReverseProxy(raw: unknown, opts: { now?: Date; source?: string } = {}): ValidatedReverseProxy {
  const now = opts.now ?? new Date();
  const issues: FieldIssue[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ReverseProxyValidationError([{ field: '(root)', message: 'must be a JSON object' }], opts.source);
  }
  const input = raw as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!(REVERSE_PROXY_FIELDS as readonly string[]).includes(key)) {
      issues.push({ field: key, message: `unknown field (expected ${REVERSE_PROXY_FIELDS.join(', ')})` });
    }
  }
  const text = (field: string): string | undefined => {
    const v = input[field];
    if (v === undefined || v === null || v === '') {
      issues.push({ field, message: 'is required' });
      return undefined;
    }
    if (typeof v !== 'string') {
      issues.push({ field, message: 'must be a string' });
      return undefined;
    }
    return v;
  };
  const portNumber = (field: string, required: boolean): number | undefined => {
    const v = input[field];
    if (v === undefined || v === null || v === '') {
      if (required) issues.push({ field, message: 'is required' });
      return undefined;
    }
    const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) {
      issues.push({ field, message: 'must be an integer port number from 1 to 65535' });
      return undefined;
    }
    return n;
  };

  const server = text('server');
  if (server !== undefined) {
    const problem = hostNameProblem(server);
    if (problem) issues.push({ field: 'server', message: problem });
  }
  const port = portNumber('port', true);
  const vHostPort = portNumber('vHostPort', false);
  let protocol: 'http' | 'https' | undefined;
  const p = input.protocol;
  if (p === 'http' || p === 'https') protocol = p;
  else issues.push({ field: 'protocol', message: p === undefined || p === '' ? 'is required (http or https)' : 'must be http or https' });

  const caText = text('caCert');
  const certText = text('clientCert');
  const keyText = text('clientKey');
  const cas = caText === undefined ? undefined : parseCertificates('caCert', caText, issues);
  const chain = certText === undefined ? undefined : parseCertificates('clientCert', certText, issues);
  const key = keyText === undefined ? undefined : parsePrivateKey(keyText, issues);

  if (cas) for (const ca of cas) checkValidity('caCert', ca, now, issues, `CA certificate "${ca.subject.replace(/\n/g, ', ')}"`);
  const leaf = chain?.[0];
  if (leaf) checkValidity('clientCert', leaf, now, issues, 'the client certificate');
  if (leaf && key) {
    let matches = false;
    try {
      matches = leaf.checkPrivateKey(key.key);
    } catch {
      matches = false;
    }
    if (!matches) issues.push({ field: 'clientKey', message: 'does not match the public key of clientCert' });
  }
  if (leaf && server !== undefined && !issues.some((i) => i.field === 'server')) {
    const problem = certificateHostProblem(leaf, server);
    if (problem) issues.push({ field: 'clientCert', message: problem });
  }
  if (leaf && chain && cas && !chainsToCa(leaf, chain.slice(1), cas)) {
    issues.push({
      field: 'clientCert',
      message: `is not signed by the CA in caCert (issuer "${leaf.issuer.replace(/\n/g, ', ')}")`,
    });
  }

  if (issues.length > 0 || !server || !port || !protocol || !cas || !chain || !leaf || !key) {
    throw new ReverseProxyValidationError(issues.length > 0 ? issues : [{ field: '(root)', message: 'is invalid' }], opts.source);
  }
  const [firstCa] = cas;
  return {
    config: {
      server,
      port,
      protocol,
      caCert: pemOf(cas),
      clientCert: pemOf(chain),
      clientKey: key.pem,
      ...(vHostPort !== undefined ? { vHostPort } : {}),
    },
    summary: {
      server,
      port,
      protocol,
      caSubject: (firstCa?.subject ?? '').replace(/\n/g, ', '),
      caFingerprint256: firstCa?.fingerprint256 ?? '',
      certSubject: leaf.subject.replace(/\n/g, ', '),
      certFingerprint256: leaf.fingerprint256,
      certNotAfter: asDate(leaf.validTo).toISOString(),
    },
  };
}

/** Normalised PEM text (one trailing newline per block, LF line ends): for comparing Palette's read-back. */
export function normalisePem(value: string | undefined): string {
  if (!value) return '';
  return pemBlocks(pemText(value))
    .map((b) => b.text)
    .join('');
}

// ---- Helm values of Palette's management cluster (seed 001, "Enablement" step 2) --------------------------------

/**
 * The `frps` section of Palette's management-cluster Helm values, exactly the fields seed 001 lists: `enabled`,
 * `frps.frpHostURL`, `server.crt`, `server.key`, `ca.crt` (Palette's Helm reference: frps.enabled, frps.frpHostURL,
 * frps.server.crt, frps.server.key, frps.ca.crt under the top-level `frps` key), the certificate, key and CA as
 * base64 of their PEM text ("x509 SSL certificate file in base64 format"; the docs' example values start LS0tLS1CRU,
 * i.e. "-----BE").
 */
export interface FrpsHelmValues {
  frps: {
    frps: {
      enabled: true;
      frpHostURL: string;
      server: { crt: string; key: string };
      ca: { crt: string };
    };
  };
}

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** The Helm values from VALIDATED settings (validateReverseProxy: the certificate is valid for `server`). */
export function frpsHelmValues(config: ReverseProxyConfig): FrpsHelmValues {
  return {
    frps: {
      frps: {
        enabled: true,
        frpHostURL: config.server,
        server: { crt: base64(config.clientCert), key: base64(config.clientKey) },
        ca: { crt: base64(config.caCert) },
      },
    },
  };
}

/**
 * The values as a YAML file for `helm upgrade --values values.yaml --values <this file> ...` (a later --values file
 * wins, so the installation's values.yaml is not edited). It holds the private key (base64): keep it like the key.
 */
export function renderFrpsHelmValues(values: FrpsHelmValues, source?: string): string {
  const v = values.frps.frps;
  const q = (s: string) => JSON.stringify(s);
  return [
    "# Spectro Proxy (frps) Helm values for Palette's management cluster" + (source ? `, from ${source}` : '') + '.',
    '# Generated by palette-onboard platform-setup; contains the server private key (base64): keep it like the key.',
    '# helm upgrade --values values.yaml --values <this file> hubble spectro-mgmt-plane-0.0.0.tgz --install',
    'frps:',
    '  frps:',
    `    enabled: ${String(v.enabled)}`,
    `    frpHostURL: ${q(v.frpHostURL)}`,
    '    server:',
    `      crt: ${q(v.server.crt)}`,
    `      key: ${q(v.server.key)}`,
    '    ca:',
    `      crt: ${q(v.ca.crt)}`,
    '',
  ].join('\n');
}
