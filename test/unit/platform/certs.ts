/**
 * Test certificates generated on the fly with @peculiar/x509 over Node's WebCrypto: a CA, a client
 * certificate it signs, and the client's private key, all as PEM (what the reverse-proxy secret holds).
 */
import './reflect-polyfill';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;
type EcdsaParams = webcrypto.EcdsaParams;
type EcKeyGenParams = webcrypto.EcKeyGenParams;
type RsaHashedKeyGenParams = webcrypto.RsaHashedKeyGenParams;

const subtle = webcrypto.subtle;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export type KeyKind = 'ec' | 'rsa';

const ALGORITHMS: Record<KeyKind, { gen: EcKeyGenParams | RsaHashedKeyGenParams; sign: Algorithm | EcdsaParams }> = {
  ec: { gen: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams },
  rsa: {
    gen: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    sign: { name: 'RSASSA-PKCS1-v1_5' },
  },
};

export interface Issued {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  certPem: string;
  keyPem: string;
}

const DAY = 86_400_000;

async function keyPair(kind: KeyKind): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(ALGORITHMS[kind].gen, true, ['sign', 'verify'])) as CryptoKeyPair;
}

export async function privateKeyPem(keys: CryptoKeyPair): Promise<string> {
  const der = await subtle.exportKey('pkcs8', keys.privateKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** A self-signed CA (basicConstraints CA:TRUE, keyCertSign). */
export async function createCa(opts: { name?: string; kind?: KeyKind; notBefore?: Date; notAfter?: Date } = {}): Promise<Issued> {
  const kind = opts.kind ?? 'ec';
  const keys = await keyPair(kind);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${opts.name ?? 'Test Reverse Proxy CA'}`,
    keys,
    signingAlgorithm: ALGORITHMS[kind].sign,
    notBefore: opts.notBefore ?? new Date(Date.now() - DAY),
    notAfter: opts.notAfter ?? new Date(Date.now() + 365 * DAY),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return { cert, keys, certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys) };
}

/** The host name of validReverseProxySecret's default `server`, and the default SAN of issueCert. */
export const DEFAULT_PROXY_HOST = 'frps.palette.example.com';

/**
 * A certificate signed by `issuer` (a CA or an intermediate). Leaf certificates carry the subject alternative
 * names `dnsNames` (default: DEFAULT_PROXY_HOST) and `ipAddresses` (default none); `[]` for none at all.
 */
export async function issueCert(
  issuer: Issued,
  opts: {
    name?: string;
    kind?: KeyKind;
    issuerKind?: KeyKind;
    notBefore?: Date;
    notAfter?: Date;
    ca?: boolean;
    dnsNames?: string[];
    ipAddresses?: string[];
  } = {},
): Promise<Issued> {
  const sans = [
    ...(opts.dnsNames ?? [DEFAULT_PROXY_HOST]).map((value) => ({ type: 'dns' as const, value })),
    ...(opts.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const keys = await keyPair(opts.kind ?? 'ec');
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${opts.name ?? 'palette-reverse-proxy-client'}`,
    issuer: issuer.cert.subject,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: ALGORITHMS[opts.issuerKind ?? 'ec'].sign,
    notBefore: opts.notBefore ?? new Date(Date.now() - DAY),
    notAfter: opts.notAfter ?? new Date(Date.now() + 90 * DAY),
    extensions: opts.ca
      ? [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)]
      : [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
          ...(sans.length > 0 ? [new x509.SubjectAlternativeNameExtension(sans)] : []),
        ],
  });
  return { cert, keys, certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys) };
}

export interface ReverseProxySecretValue {
  server: string;
  port: number;
  protocol: 'http' | 'https';
  caCert: string;
  clientCert: string;
  clientKey: string;
}

/**
 * A complete, valid reverse-proxy secret value with a fresh CA and a certificate for its `server` (SAN; a server
 * that is not a plain host name, for the tests of bad hosts, gets DEFAULT_PROXY_HOST).
 */
export async function validReverseProxySecret(overrides: Partial<ReverseProxySecretValue> = {}): Promise<ReverseProxySecretValue> {
  const ca = await createCa();
  const server = overrides.server ?? DEFAULT_PROXY_HOST;
  const client = await issueCert(ca, /^[A-Za-z0-9.-]+$/.test(server) ? { dnsNames: [server] } : {});
  return {
    server: DEFAULT_PROXY_HOST,
    port: 443,
    protocol: 'https',
    caCert: ca.certPem,
    clientCert: client.certPem,
    clientKey: client.keyPem,
    ...overrides,
  };
}
