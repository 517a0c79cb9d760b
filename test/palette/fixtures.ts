/**
 * Shared fixtures of the test/palette/*.test.ts files (not a test file itself): the local sandbox (AWS + Palette
 * emulator) with a tenant AWS account, production PaletteClients wired to the emulator, a traffic recorder for the
 * client's `fetch` option, and request bodies.
 */
import { generateKeyPairSync } from 'node:crypto';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutRolePolicyCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { PaletteClient, type FetchFunction, type PaletteClientOptions } from '../../lambdas/services/palette';
import type { RunningPaletteEmulator } from '../../local/palette/index';
import { PALETTE_SAAS_ACCOUNT_ID } from '../../local/palette/index';
import { type RunningLocalSandbox, startLocalSandbox } from '../../local/sandbox';

export const TENANT_ACCOUNT = '111111111111';

/** A fresh, well-formed OpenSSH ed25519 public key. */
export function sshPublicKey(comment = 'ops@sandbox'): string {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  const raw = Buffer.from(String(jwk.x), 'base64url');
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]).toString('base64')} ${comment}`;
}

/** A structurally valid GCP service-account key file (the emulator checks GCP credentials for structure only). */
export function gcpServiceAccountJson(privateKeyMarker = 'c2FuZGJveC1vbmx5'): string {
  return JSON.stringify({
    type: 'service_account',
    project_id: 'sandbox-project',
    private_key_id: 'k1',
    private_key: `-----BEGIN PRIVATE KEY-----\n${privateKeyMarker}\n-----END PRIVATE KEY-----\n`,
    client_email: 'velero@sandbox-project.iam.gserviceaccount.com',
  });
}

export const AZURE_TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const AZURE_CLIENT_ID = '0b9f3d3e-5c4e-4a8a-9d65-1c2b3d4e5f60';

/** Trust policy letting Palette's AWS account assume a role with the tenant's external id. */
export function paletteTrustPolicy(externalId: string, account = PALETTE_SAAS_ACCOUNT_ID): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': externalId } } },
    ],
  });
}

/** What Velero (and Palette's S3 validate probe) needs on a bucket; `withPut: false` leaves out s3:PutObject. */
export function backupBucketPolicy(bucket: string, withPut = true): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      ...(withPut ? [{ Effect: 'Allow', Action: 's3:PutObject', Resource: `arn:aws:s3:::${bucket}/*` }] : []),
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:DeleteObject'], Resource: `arn:aws:s3:::${bucket}/*` },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${bucket}` },
    ],
  });
}

/**
 * What the emulator's cloud account validate samples (local/palette/aws-checks.ts CLUSTER_PERMISSION_SAMPLE): an
 * onboarded principal holds it through its cluster policies (aws.clusterPolicies).
 */
export const CLUSTER_ACCESS = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['ec2:*', 'elasticloadbalancing:*', 'autoscaling:*'], Resource: '*' }],
});

/** The combined sandbox plus an admin session in a tenant AWS account (for roles, users and buckets). */
export interface PaletteTestWorld {
  sb: RunningLocalSandbox;
  palette: RunningPaletteEmulator;
  iam: IAMClient;
  s3: S3Client;
  /** Creates a role in the tenant account; returns its ARN. */
  /**
   * Creates an IAM role (and its inline policy); like an onboarded principal it may deploy clusters (CLUSTER_ACCESS),
   * which the emulator's cloud account validate checks.
   */
  role(name: string, trustPolicy: string, inlinePolicy?: string): Promise<string>;
  /** Creates an IAM user with an inline policy (and CLUSTER_ACCESS) and returns its access key. */
  user(name: string, inlinePolicy: string): Promise<{ accessKey: string; secretKey: string }>;
  bucket(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startPaletteTestWorld(palette: { rateLimit?: boolean; validateResponses?: boolean } = {}): Promise<PaletteTestWorld> {
  const sb = await startLocalSandbox({
    aws: { port: 0, realism: { iamPropagationMs: 0 } },
    palette: { port: 0, rateLimit: palette.rateLimit ?? false, validateResponses: palette.validateResponses ?? true },
    env: {},
  });
  const admin = sb.aws.createAccount(TENANT_ACCOUNT);
  const credentials = { accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey };
  const iam = new IAMClient({ endpoint: sb.aws.endpoint, region: sb.aws.region, credentials });
  const s3 = new S3Client({ endpoint: sb.aws.endpoint, region: sb.aws.region, credentials, forcePathStyle: true });
  return {
    sb,
    palette: sb.palette,
    iam,
    s3,
    async role(name, trustPolicy, inlinePolicy) {
      const out = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trustPolicy }));
      if (inlinePolicy !== undefined) await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'access', PolicyDocument: inlinePolicy }));
      await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'clusters', PolicyDocument: CLUSTER_ACCESS }));
      return String(out.Role?.Arn);
    },
    async user(name, inlinePolicy) {
      await iam.send(new CreateUserCommand({ UserName: name }));
      await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'access', PolicyDocument: inlinePolicy }));
      await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'clusters', PolicyDocument: CLUSTER_ACCESS }));
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey;
      return { accessKey: String(key?.AccessKeyId), secretKey: String(key?.SecretAccessKey) };
    },
    async bucket(name) {
      await s3.send(new CreateBucketCommand({ Bucket: name }));
      return name;
    },
    async stop() {
      iam.destroy();
      s3.destroy();
      await sb.stop();
    },
  };
}

type ClientExtras = Omit<PaletteClientOptions, 'baseUrl' | 'auth'>;

/** Production clients for the emulator's three kinds of identity. */
export function paletteClients(palette: RunningPaletteEmulator, extras: ClientExtras = {}) {
  const base = { baseUrl: palette.endpoint, ...extras };
  return {
    /** syslogin (system console admin). */
    system: new PaletteClient({ ...base, auth: { type: 'system', credentials: async () => ({ username: palette.systemUser, password: palette.systemPassword }) } }),
    /** ApiKey header (the default tenant's key). */
    tenant: new PaletteClient({ ...base, auth: { type: 'apiKey', apiKey: palette.apiKey } }),
    /** /v1/auth/authenticate (tenant user). */
    user: new PaletteClient({
      ...base,
      auth: { type: 'tenant', credentials: async () => ({ emailId: palette.tenantUser, password: palette.tenantPassword, org: palette.tenantName }) },
    }),
  };
}

/** One HTTP exchange seen by the client's fetch. `status` is undefined when no response arrived. */
export interface Exchange {
  method: string;
  url: string;
  /** Lower-cased names. */
  requestHeaders: Record<string, string>;
  requestBody: string | undefined;
  status: number | undefined;
  responseHeaders: Record<string, string>;
  responseBody: string;
}

function headerRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name.toLowerCase()] = value;
  });
  return out;
}

/** A `fetch` for PaletteClientOptions that records every request and response on the wire. */
export function recordingFetch(inner: FetchFunction = (input, init) => fetch(input, init)): { fetch: FetchFunction; exchanges: Exchange[] } {
  const exchanges: Exchange[] = [];
  const recorded: FetchFunction = async (input, init) => {
    const request = input instanceof Request ? input : undefined;
    const exchange: Exchange = {
      method: (init?.method ?? request?.method ?? 'GET').toUpperCase(),
      url: request?.url ?? input.toString(),
      requestHeaders: headerRecord(new Headers(init?.headers ?? request?.headers)),
      requestBody: typeof init?.body === 'string' ? init.body : undefined,
      status: undefined,
      responseHeaders: {},
      responseBody: '',
    };
    exchanges.push(exchange);
    const response = await inner(input, init);
    exchange.status = response.status;
    exchange.responseHeaders = headerRecord(response.headers);
    exchange.responseBody = await response.clone().text();
    return response;
  };
  return { fetch: recorded, exchanges };
}
