/**
 * The request's input limits (README "Input limits"): the whole request at most 32 KiB of JSON (checked first, in
 * ValidateRequest's domain code and in the CLI), every string bounded in length and, for identifiers, in charset,
 * numbers bounded, no arrays, unknown keys rejected, credentials under their own prefix; and the issues themselves
 * bounded and printable. One test (at least) per kind of limit.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main';
import { checkRequestSize, MAX_ISSUES, parseRequest, requestSizeBytes } from '../../lambdas/domain/plan';
import { CA_CERT_MAX, pemCertificatesProblem, SSH_PUBLIC_KEY_MAX, URL_MAX } from '../../lambdas/domain/registration-requests';
import { MAX_REQUEST_BYTES } from '../../lambdas/domain/request';
import { requestJsonSchema } from '../../lambdas/domain/request-schema';
import { RequestValidationError } from '../../lambdas/shared/errors';

const sts = { tenantId: 'acme', aws: { accountId: '111111111111', region: 'us-east-1', credentialMode: 'sts' } };
const secret = (name: string) => `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}`;
const PEM_BODY = Buffer.alloc(96, 1).toString('base64');
const PEM = `-----BEGIN CERTIFICATE-----\n${PEM_BODY}\n-----END CERTIFICATE-----\n`;
const ED25519 = `ssh-ed25519 ${Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.alloc(36, 7)]).toString('base64')}`;
const minio = (over: Record<string, unknown> = {}) => ({
  ...sts,
  backupLocations: { minio: { bucket: 'velero', s3Url: 'https://minio.example.com', credentialsSecretArn: secret('palette-onboarding-credentials/acme/minio'), ...over } },
});

function issuesOf(raw: unknown): { path: string; message: string }[] {
  try {
    parseRequest(raw);
  } catch (e) {
    if (e instanceof RequestValidationError) return e.issues;
    throw e;
  }
  return [];
}
const messageAt = (raw: unknown, path: string) => issuesOf(raw).find((i) => i.path === path)?.message;

describe('the whole request: at most 32 KiB of JSON, checked first', () => {
  /** `base` padded with an unknown key to exactly `bytes` bytes of JSON. */
  const padded = (bytes: number, unit = 'x') => {
    const r: Record<string, unknown> = { ...sts, pad: '' };
    r.pad = unit.repeat(Math.floor((bytes - requestSizeBytes(r)) / Buffer.byteLength(unit)));
    return r;
  };

  it('measures UTF-8 bytes of the JSON text, not characters', () => {
    expect(requestSizeBytes({ a: 'é' })).toBe(Buffer.byteLength('{"a":"é"}'));
    expect(requestSizeBytes({ a: '🚀' })).toBe(12); // {"a":""} is 8 bytes, the emoji 4
    expect(requestSizeBytes('\u0000')).toBe(8); // "\u0000": JSON escapes count
    expect(requestSizeBytes(undefined)).toBe(0);
  });

  it('accepts 32768 bytes (other problems are then reported) and refuses 32769 with one root issue naming both numbers', () => {
    const atLimit = padded(MAX_REQUEST_BYTES);
    expect(requestSizeBytes(atLimit)).toBe(MAX_REQUEST_BYTES);
    expect(() => checkRequestSize(atLimit)).not.toThrow();
    expect(issuesOf(atLimit)).toEqual([{ path: '', message: 'Unrecognized key: "pad"' }]);
    const over = padded(MAX_REQUEST_BYTES + 1);
    expect(issuesOf(over)).toEqual([{ path: '', message: 'the request is 32769 bytes of JSON; at most 32768 bytes (32 KiB) are allowed' }]);
  });

  it('counts multi-byte characters as the bytes they are', () => {
    const emoji = padded(MAX_REQUEST_BYTES + 400, '🚀');
    expect(JSON.stringify(emoji).length).toBeLessThan(MAX_REQUEST_BYTES);
    expect(issuesOf(emoji)[0]?.message).toMatch(/^the request is 3\d{4} bytes of JSON/);
  });

  it('is checked before the schema: an oversized request gets only the size issue, however wrong it is', () => {
    const wrong = { tenantId: 'NOT A SLUG', aws: 7, extra: 'x'.repeat(40_000) };
    expect(issuesOf(wrong)).toEqual([{ path: '', message: expect.stringMatching(/^the request is \d+ bytes/) }]);
  });

  it('the CLI refuses an oversized request file before starting anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'limits-'));
    const file = join(dir, 'big.json');
    writeFileSync(file, JSON.stringify(padded(MAX_REQUEST_BYTES + 100)));
    const err: string[] = [];
    const io = { stdout: { write: () => true }, stderr: { write: (t: string) => err.push(t) }, env: {}, cwd: dir };
    const code = await runCli(['start', file, '--local'], io as never, {
      run: async () => {
        throw new Error('must not start');
      },
    });
    expect(code).toBe(2);
    expect(err.join('')).toContain('  - (root): the request is 32868 bytes of JSON; at most 32768 bytes (32 KiB) are allowed');
  });
});

describe('strings: a maximum length, and a charset for identifiers', () => {
  it('identifiers: too long and wrong characters are both reported, on the field', () => {
    expect(messageAt({ ...sts, tenantId: 'a'.repeat(33) }, 'tenantId')).toMatch(/^must be at most 32 characters; must be a slug/);
    expect(messageAt({ ...sts, aws: { ...sts.aws, region: `us-${'e'.repeat(40)}-1` } }, 'aws.region')).toMatch(/^must be at most 32 characters/);
    expect(messageAt({ ...sts, register: { cloudAccount: { name: 'a'.repeat(65) } } }, 'register.cloudAccount.name')).toMatch(/at most 64/);
    expect(messageAt({ ...sts, palette: { projectUid: 'p'.repeat(65) } }, 'palette.projectUid')).toMatch(/at most 64/);
    // charset
    expect(messageAt({ ...sts, tenantId: 'acm\u0435' }, 'tenantId')).toMatch(/must be a slug/); // Cyrillic e
    expect(messageAt({ ...sts, register: { backupLocation: { name: 'acme s3' } } }, 'register.backupLocation.name')).toMatch(/letters, digits/);
    expect(messageAt({ ...sts, palette: { projectUid: '../p' } }, 'palette.projectUid')).toMatch(/Palette uid/);
    expect(messageAt({ ...sts, aws: { ...sts.aws, accountId: '1111111111111' } }, 'aws.accountId')).toMatch(/at most 12 characters; must be a 12-digit/);
  });

  it('ARNs: bounded, and only the characters AWS allows', () => {
    const long = secret(`palette-onboarding/${'k'.repeat(600)}`);
    expect(messageAt({ ...sts, palette: { apiKeySecretArn: long } }, 'palette.apiKeySecretArn')).toMatch(/at most 600 characters/);
    expect(messageAt({ ...sts, palette: { apiKeySecretArn: secret('palette-onboarding/api key') } }, 'palette.apiKeySecretArn')).toBe('must be a Secrets Manager secret ARN');
    const kms = `arn:aws:kms:us-east-1:111111111111:alias/${'a'.repeat(257)}`;
    expect(messageAt({ ...sts, aws: { ...sts.aws, bucket: { kmsKeyArn: kms } } }, 'aws.bucket.kmsKeyArn')).toBeDefined();
  });

  it('descriptions and names as text: printable, no control, format, zero-width or line-break characters; unicode and emoji allowed', () => {
    const described = (description: string) => ({ ...sts, apiKey: { description } });
    expect(issuesOf(described('Équipe CI — déploiements 🚀 (prod)'))).toEqual([]);
    for (const bad of ['a\u0000b', 'line\nbreak', 'a\rb', 'tab\t', 'esc\u001b[2J', 'rtl\u202Eoverride', 'zero\u200Bwidth', '\uFEFFbom', 'sep\u2028x', 'family 👨‍👩‍👧']) {
      expect(messageAt(described(bad), 'apiKey.description'), JSON.stringify(bad)).toMatch(/must be printable text/);
    }
    expect(messageAt(described('d'.repeat(257)), 'apiKey.description')).toMatch(/at most 256 characters/);
    const azure = (tenantName: string) => ({ ...sts, azure: { cloudAccount: { credentialsSecretArn: secret('palette-onboarding-credentials/acme/azure'), tenantName } } });
    expect(issuesOf(azure('Acme Ünïcødé Corp'))).toEqual([]);
    expect(messageAt(azure('t'.repeat(129)), 'azure.cloudAccount.tenantName')).toMatch(/at most 128/);
    expect(messageAt(azure(''), 'azure.cloudAccount.tenantName')).toMatch(/must not be empty/);
  });

  it('PEM CA certificates: PEM CERTIFICATE blocks only, at most 16 KiB', () => {
    expect(issuesOf(minio({ caCert: `${PEM}\n${PEM.replace(/\n/g, '\r\n')}` }))).toEqual([]);
    expect(pemCertificatesProblem(`junk\n${PEM}`)).toMatch(/PEM CERTIFICATE blocks/);
    expect(pemCertificatesProblem(`-----BEGIN CERTIFICATE-----\n${PEM_BODY}`)).toMatch(/without its -----END/);
    expect(pemCertificatesProblem(`-----BEGIN CERTIFICATE-----\n${PEM_BODY}\n<script>\n-----END CERTIFICATE-----`)).toMatch(/only base64 lines/);
    expect(pemCertificatesProblem('-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----')).toMatch(/empty/);
    expect(pemCertificatesProblem('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----')).toBeDefined();
    const big = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(CA_CERT_MAX)}\n-----END CERTIFICATE-----\n`;
    expect(messageAt(minio({ caCert: big }), 'backupLocations.minio.caCert')).toBe(`must be at most ${CA_CERT_MAX} characters`);
    // Linear: a long adversarial input is judged at once.
    const started = performance.now();
    pemCertificatesProblem(`-----BEGIN CERTIFICATE-----\n${'A'.repeat(16_000)}!`);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('public keys: an OpenSSH line of at most 8 KiB with a printable ASCII comment', () => {
    const key = (publicKey: string) => ({ ...sts, sshKey: { publicKey } });
    expect(issuesOf(key(`${ED25519} ops@acme`))).toEqual([]);
    expect(messageAt(key(`${ED25519} ${'c'.repeat(SSH_PUBLIC_KEY_MAX)}`), 'sshKey.publicKey')).toMatch(`at most ${SSH_PUBLIC_KEY_MAX} characters`);
    for (const comment of ['ops\u0000', 'öps', 'a\nb', 'x\u202E']) {
      expect(messageAt(key(`${ED25519} ${comment}`), 'sshKey.publicKey'), JSON.stringify(comment)).toMatch(/OpenSSH public key line/);
    }
  });

  it('URLs: at most 2048 characters of printable ASCII; which addresses may be used is decided by ValidateRequest', () => {
    expect(issuesOf(minio({ s3Url: 'http://127.0.0.1:9000' }))).toEqual([]);
    expect(messageAt(minio({ s3Url: `https://minio.example.com/${'p'.repeat(URL_MAX)}` }), 'backupLocations.minio.s3Url')).toMatch(/at most 2048/);
    expect(messageAt(minio({ s3Url: 'https://mínio.example.com' }), 'backupLocations.minio.s3Url')).toMatch(/printable ASCII/);
    expect(messageAt(minio({ s3Url: 'ftp://minio' }), 'backupLocations.minio.s3Url')).toMatch(/http\(s\) URL/);
  });

  it('every string of the exported JSON Schema is bounded: a maxLength, an enum or a date format; there are no arrays', () => {
    const unbounded: string[] = [];
    const visit = (node: unknown, where: string) => {
      if (Array.isArray(node)) return node.forEach((n, i) => visit(n, `${where}[${i}]`));
      if (typeof node !== 'object' || node === null) return;
      const n = node as Record<string, unknown>;
      expect(n.type, where).not.toBe('array');
      if (n.type === 'string' && n.maxLength === undefined && n.enum === undefined && n.const === undefined && n.format !== 'date') unbounded.push(where);
      for (const [k, v] of Object.entries(n)) visit(v, `${where}.${k}`);
    };
    visit(requestJsonSchema(), '$');
    expect(unbounded).toEqual([]);
  });
});

describe('numbers are bounded', () => {
  it('lifecycle days at most 36500, the readiness budget 10-1800 s', () => {
    const lifecycle = (days: number) => ({ ...sts, aws: { ...sts.aws, bucket: { lifecycle: { noncurrentVersionExpirationDays: days } } } });
    expect(issuesOf(lifecycle(36_500))).toEqual([]);
    expect(messageAt(lifecycle(36_501), 'aws.bucket.lifecycle.noncurrentVersionExpirationDays')).toMatch(/at most 36500 days/);
    expect(messageAt(lifecycle(1.5), 'aws.bucket.lifecycle.noncurrentVersionExpirationDays')).toBeDefined();
    expect(issuesOf({ ...sts, options: { readinessTimeoutSeconds: 1800 } })).toEqual([]);
    expect(messageAt({ ...sts, options: { readinessTimeoutSeconds: 1801 } }, 'options.readinessTimeoutSeconds')).toBeDefined();
  });
});

describe('unknown keys are rejected, and issue text is bounded and printable', () => {
  it('names unknown keys on their object, escaped and truncated, at most five listed', () => {
    expect(issuesOf({ ...sts, aws: { ...sts.aws, 'ev\u202Eil': 1 } })).toEqual([{ path: 'aws', message: 'Unrecognized key: "ev\\u202eil"' }]);
    const many = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, i]));
    expect(issuesOf({ ...sts, ...many })).toEqual([{ path: '', message: 'Unrecognized keys: "k0", "k1", "k2", "k3", "k4" and 4 more' }]);
    const [issue] = issuesOf({ ...sts, ['x'.repeat(5000)]: 1 });
    expect(issue?.message.length).toBeLessThan(100);
    // An own "__proto__" key (as JSON.parse makes it) is unknown like any other.
    expect(issuesOf(JSON.parse(`{"tenantId":"acme","aws":${JSON.stringify(sts.aws)},"__proto__":{"x":1}}`))).toEqual([{ path: '', message: 'Unrecognized key: "__proto__"' }]);
  });

  it('one issue per field (its problems joined), at most MAX_ISSUES issues, the last saying how many more', () => {
    const bad = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i]));
    const request = { tenantId: 7, aws: { accountId: 1, region: 2, credentialMode: 3 }, palette: { projectUid: 4, apiKeySecretArn: 5 }, backupLocations: { gcp: bad, minio: bad, azure: bad } };
    const many = issuesOf({
      ...request,
      register: { cloudAccount: { name: 1, enabled: 'x', adopt: 'y' }, backupLocation: { name: 2, isDefault: 'z', adopt: 'w' } },
      options: { readinessTimeoutSeconds: 'slow' },
      sshKey: { name: 1, publicKey: 2, adopt: 3 },
      apiKey: { name: 1, description: 2, ownerUserUid: 3, expiry: 4 },
    });
    expect(many).toHaveLength(MAX_ISSUES);
    expect(many[MAX_ISSUES - 1]?.message).toMatch(/\(and \d+ more problems not listed\)$/);
    expect(new Set(many.map((i) => i.path)).size).toBe(many.length);
  });

  it('a hostile tenant id is just invalid: no pattern is ever built from it', () => {
    const withSecret = (tenantId: string) => ({ ...sts, tenantId, azure: { cloudAccount: { credentialsSecretArn: secret('palette-onboarding-credentials/acme/azure') } } });
    // (the credentials rule needs a valid tenant id: it is skipped, the tenant id's own issue says what is wrong)
    for (const tenantId of ['(a+)+$', '[', 'acme/..', '.*', 'a'.repeat(10_000)]) {
      expect(issuesOf(withSecret(tenantId)).map((i) => i.path), tenantId).toEqual(['tenantId']);
    }
  });
});

describe('credentials the user supplies live under palette-onboarding-credentials/<tenantId>/', () => {
  const azure = (name: string) => ({ ...sts, azure: { cloudAccount: { credentialsSecretArn: secret(name) } } });

  it('accepts the tenant’s own credentials (with or without the Secrets Manager suffix)', () => {
    expect(issuesOf(azure('palette-onboarding-credentials/acme/azure-app'))).toEqual([]);
    expect(issuesOf(azure('palette-onboarding-credentials/acme/azure-app-AbCdEf'))).toEqual([]);
  });

  it('refuses the old and the written prefix, another tenant’s, a nested or an empty name, naming the expected prefix', () => {
    for (const name of [
      'palette-onboarding/acme/azure-app',
      'palette-onboarding/acme/aws-access-key',
      'palette-onboarding/acme/palette-api-key',
      'palette-onboarding-credentials/globex/azure-app',
      'palette-onboarding-credentials/acme/nested/azure-app',
      'palette-onboarding-credentials/acme/',
      'palette-onboarding-credentials/acmex/azure-app',
    ]) {
      expect(issuesOf(azure(name)), name).toEqual([
        {
          path: 'azure.cloudAccount.credentialsSecretArn',
          message: 'must be a secret named palette-onboarding-credentials/acme/<name> (credentials you supply live under palette-onboarding-credentials/<tenantId>/, which the workflow only reads)',
        },
      ]);
    }
  });
});
