/**
 * Semantic checks the emulator adds on top of the JSON schema (the spec marks almost nothing required).
 * Each failure is a 400 V1Error naming the field. GCP and Azure validations are structure-only (see README).
 */
import { badRequest } from './errors';
import type { Json } from './state';

const PARTITIONS = ['aws', 'aws-us-gov', 'aws-iso', 'aws-iso-b'];
const ROLE_ARN = /^arn:(aws|aws-us-gov|aws-iso|aws-iso-b):iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;
const POLICY_ARN = /^arn:(aws|aws-us-gov|aws-iso|aws-iso-b):iam::(aws|\d{12}):policy\/[\w+=,.@/-]{1,512}$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

export type AwsCreds =
  | { type: 'secret'; accessKey: string; secretKey: string; partition: string }
  | { type: 'sts'; arn: string; externalId?: string; partition: string }
  | { type: 'pod-identity'; roleArn: string; partition: string };

/** Checks a v1AwsCloudAccount's credentials for its credentialType; `at` prefixes field names. */
export function awsCredentials(account: unknown, at = ''): AwsCreds {
  const a = obj(account);
  const type = typeof a.credentialType === 'string' ? a.credentialType : 'secret';
  const partition = typeof a.partition === 'string' ? a.partition : 'aws';
  if (!PARTITIONS.includes(partition)) throw badRequest(`${at}partition`, `must be one of ${PARTITIONS.join(', ')}`);
  if (type === 'sts') {
    const sts = obj(a.sts);
    const arn = str(sts.arn);
    if (!arn) throw badRequest(`${at}sts.arn`, 'is required for credentialType sts');
    const m = ROLE_ARN.exec(arn);
    if (!m) throw badRequest(`${at}sts.arn`, `'${arn}' is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`);
    if (m[1] !== partition) throw badRequest(`${at}sts.arn`, `partition '${m[1]}' does not match partition '${partition}'`);
    const externalId = str(sts.externalId);
    return { type: 'sts', arn, ...(externalId ? { externalId } : {}), partition };
  }
  if (type === 'pod-identity') {
    const roleArn = str(obj(a.podIdentity).roleArn);
    if (!roleArn) throw badRequest(`${at}podIdentity.roleArn`, 'is required for credentialType pod-identity');
    if (!ROLE_ARN.test(roleArn)) throw badRequest(`${at}podIdentity.roleArn`, `'${roleArn}' is not an IAM role ARN`);
    return { type: 'pod-identity', roleArn, partition };
  }
  const accessKey = str(a.accessKey);
  const secretKey = str(a.secretKey);
  if (!accessKey) throw badRequest(`${at}accessKey`, 'is required for credentialType secret');
  if (!secretKey) throw badRequest(`${at}secretKey`, 'is required for credentialType secret');
  return { type: 'secret', accessKey, secretKey, partition };
}

export function policyArns(arns: unknown, at: string): string[] {
  const list = Array.isArray(arns) ? arns : [];
  list.forEach((arn, i) => {
    if (typeof arn !== 'string' || !POLICY_ARN.test(arn)) {
      throw badRequest(`${at}[${i}]`, `'${String(arn)}' is not an IAM policy ARN (arn:aws:iam::<account|aws>:policy/<name>)`);
    }
  });
  return list as string[];
}

/** S3 bucket naming rules (general purpose buckets). */
export function s3BucketName(name: string, field: string): void {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) || name.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(name)) {
    throw badRequest(field, `'${name}' is not a valid S3 bucket name`);
  }
}

/** Cloud Storage naming rules (without dots: 3-63 chars of lowercase letters, digits, '-' and '_'). */
export function gcsBucketName(name: string, field: string): void {
  if (!/^[a-z0-9][a-z0-9_.-]{1,220}[a-z0-9]$/.test(name) || (!name.includes('.') && name.length > 63) || name.startsWith('goog')) {
    throw badRequest(field, `'${name}' is not a valid Cloud Storage bucket name`, 'GcpValidationFailed');
  }
}

/** A GCP service-account key file: JSON with the fields a client library needs. */
export function gcpJsonCredentials(value: unknown, field: string): void {
  const raw = str(value);
  if (!raw) throw badRequest(field, 'is required', 'GcpValidationFailed');
  let parsed: Json;
  try {
    parsed = obj(JSON.parse(raw));
  } catch {
    throw badRequest(field, 'is not valid JSON (expected a service account key file)', 'GcpValidationFailed');
  }
  if (parsed.type !== 'service_account') throw badRequest(field, "must be a service account key (type 'service_account')", 'GcpValidationFailed');
  for (const k of ['project_id', 'private_key', 'client_email']) {
    if (!str(parsed[k])) throw badRequest(field, `is missing '${k}'`, 'GcpValidationFailed');
  }
  if (!String(parsed.private_key).includes('PRIVATE KEY-----')) {
    throw badRequest(field, "'private_key' is not a PEM private key", 'GcpValidationFailed');
  }
}

export function azureCredentials(c: unknown, at: string, opts: { tenant: string; client: string; secret: string }): void {
  const a = obj(c);
  for (const [key, label] of [
    [opts.tenant, 'tenant'],
    [opts.client, 'client'],
  ] as const) {
    const v = str(a[key]);
    if (!v) throw badRequest(`${at}${key}`, 'is required', 'AzureValidationFailed');
    if (!GUID.test(v)) throw badRequest(`${at}${key}`, `'${v}' is not an Azure ${label} id (a GUID)`, 'AzureValidationFailed');
  }
  if (!str(a[opts.secret])) throw badRequest(`${at}${opts.secret}`, 'is required', 'AzureValidationFailed');
}

const SSH_TYPES = [
  'ssh-rsa',
  'ssh-ed25519',
  'ssh-dss',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
];

/** "<type> <base64 blob> [comment]" where the blob starts with the same type string (RFC 4253 wire format). */
export function sshPublicKey(value: unknown, field: string): void {
  const key = str(value);
  if (!key) throw badRequest(field, 'is required');
  const [type = '', blob = ''] = key.trim().split(/\s+/);
  if (!SSH_TYPES.includes(type) || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) {
    throw badRequest(field, 'is not an OpenSSH public key (expected "<type> <base64> [comment]")');
  }
  const buf = Buffer.from(blob, 'base64');
  const len = buf.length >= 4 ? buf.readUInt32BE(0) : -1;
  if (len <= 0 || buf.length < 4 + len || buf.subarray(4, 4 + len).toString('latin1') !== type) {
    throw badRequest(field, `is not a valid ${type} public key (the key data does not match its type)`);
  }
}

/**
 * An S3 location's optional `s3Url` (custom S3 endpoint, MinIO console URL): when given, an absolute http(s) URL with a
 * host (what Velero's `s3Url` needs). Which addresses the workflow may send keys to is its own rule (endpoints.ts).
 */
export function optionalEndpointUrl(value: unknown, field: string): void {
  if (value === undefined || value === '') return;
  let url: URL | undefined;
  try {
    url = new URL(String(value));
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw badRequest(field, `'${String(value)}' is not an http(s) URL`);
  }
}

/**
 * An optional CA certificate (`caCert`): PEM CERTIFICATE blocks of base64 lines and nothing else. The content is not
 * parsed as X.509: Palette hands it to the backup agent as given (whether it parses it is unconfirmed).
 */
export function optionalPemCertificates(value: unknown, field: string): void {
  if (value === undefined || value === '') return;
  const text = String(value).trim();
  const block = /-----BEGIN CERTIFICATE-----\r?\n(?:[A-Za-z0-9+/]+={0,2}\r?\n)+-----END CERTIFICATE-----/g;
  const rest = text.replace(block, '').trim();
  if (!text.includes('-----BEGIN CERTIFICATE-----') || rest !== '') {
    throw badRequest(field, 'must be one or more PEM certificates (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)');
  }
}
