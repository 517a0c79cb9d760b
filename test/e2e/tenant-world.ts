/**
 * What a tenant has, read in full from the sandbox, for the multi-tenant end-to-end suites: every AWS object of the
 * tenant (bucket configuration, IAM role / user / policy with documents, tags and keys, secrets with values and
 * versions), every Palette object named for it (spec, annotations, modification time), and its registry record.
 * Two snapshots are equal only if nothing of the tenant changed: byte for byte, as JSON.
 */
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListPolicyVersionsCommand,
  ListRoleTagsCommand,
  ListUserTagsCommand,
} from '@aws-sdk/client-iam';
import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { DescribeSecretCommand, GetSecretValueCommand, ListSecretVersionIdsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { RunningLocalSandbox } from '../../local/sandbox';

type Json = unknown;

/** Runs an SDK read; an error becomes `{error: <name>}` (a missing object is part of the picture). */
async function read<T>(fn: () => Promise<T>, pick: (out: T) => Json = (o) => o): Promise<Json> {
  try {
    const out = await fn();
    const { $metadata: _m, ...rest } = out as { $metadata?: unknown };
    return pick(rest as T);
  } catch (e) {
    return { error: e instanceof Error ? e.name : String(e) };
  }
}

/**
 * The sandbox inventory (every account, ids sorted) without the tenant registry's table and tenant records: those
 * are the system of record, which a run updates by design (asserted on their own); the registry's name claims stay
 * in, so a run that leaves a claim behind shows up like any other leftover.
 */
export function inventoryWithoutRegistryRecords(inventory: Record<string, Record<string, string[]>>): Record<string, Record<string, string[]>> {
  const noise = (type: string, id: string) => type === 'dynamodbTables' || (type === 'dynamodbItems' && id.includes('"tenant#'));
  return Object.fromEntries(
    Object.entries(inventory).map(([account, types]) => [
      account,
      Object.fromEntries(Object.entries(types).map(([t, ids]) => [t, ids.filter((id) => !noise(t, id)).sort()])),
    ]),
  );
}

export interface TenantNames {
  tenantId: string;
  accountId: string;
  bucket: string;
  /** Palette object names of the tenant (any kind). */
  paletteNames: string[];
}

export class SandboxWorld {
  private readonly home: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };

  private table: string | undefined;

  constructor(private readonly sb: RunningLocalSandbox) {
    this.home = { endpoint: sb.aws.endpoint, region: sb.aws.region, credentials: { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey } };
  }

  /** Admin clients inside a member account (through OrganizationAccountAccessRole), as an operator would act. */
  async operatorIn(accountId: string): Promise<{ iam: IAMClient; s3: S3Client }> {
    this.sb.aws.createAccount(accountId);
    const out = await new STSClient(this.home).send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/OrganizationAccountAccessRole`, RoleSessionName: 'operator' }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('no credentials');
    const credentials = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
    return { iam: new IAMClient({ ...this.home, credentials }), s3: new S3Client({ ...this.home, credentials, forcePathStyle: true }) };
  }

  get secrets(): SecretsManagerClient {
    return new SecretsManagerClient(this.home);
  }

  get registry(): DynamoDBDocumentClient {
    return DynamoDBDocumentClient.from(new DynamoDBClient(this.home));
  }

  /** The tenant registry's table in the sandbox (created by the runner from the template before a run). */
  async registryTable(): Promise<string> {
    if (!this.table) {
      const out = await new DynamoDBClient(this.home).send(new ListTablesCommand({}));
      this.table = out.TableNames?.find((n) => n.includes('TenantRegistry'));
      if (!this.table) throw new Error('no tenant registry table in the sandbox yet (run an onboarding first)');
    }
    return this.table;
  }

  /** The tenant's registry record, or undefined. */
  async tenantRecord(tenantId: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.registry.send(new GetCommand({ TableName: await this.registryTable(), Key: { pk: `tenant#${tenantId}` }, ConsistentRead: true }));
    return out.Item;
  }

  /** Every claim item of the registry, `key -> tenantId`. */
  async claims(): Promise<Record<string, string>> {
    const out = await this.registry.send(new ScanCommand({ TableName: await this.registryTable(), ConsistentRead: true }));
    return Object.fromEntries((out.Items ?? []).filter((i) => i.type === 'claim').map((i) => [String(i.key), String(i.tenantId)]));
  }

  /** Every sandbox resource id of an account, sorted (the inventory). */
  inventory(accountId: string): Record<string, string[]> {
    const types = this.sb.aws.inventory()[accountId] ?? {};
    return Object.fromEntries(Object.entries(types).map(([t, ids]) => [t, [...ids].sort()]));
  }

  /** Every Palette object (all tenants' scopes), as the emulator stores it (secrets masked), keyed by name. */
  paletteObjects(): Record<string, Json> {
    const state = this.sb.palette.inspect() as { tenants: { scopes: Record<string, Record<string, { name: string }[]>> }[] };
    const out: Record<string, Json> = {};
    for (const t of state.tenants) {
      for (const [scope, collections] of Object.entries(t.scopes)) {
        for (const [collection, items] of Object.entries(collections)) {
          for (const item of items) out[`${scope}/${collection}/${item.name}`] = item;
        }
      }
    }
    return out;
  }

  /** Palette API keys of the emulator's tenants (name -> key view). */
  paletteApiKeys(): Record<string, Json> {
    const state = this.sb.palette.inspect() as { tenants: { apiKeys: { name: string }[] }[] };
    return Object.fromEntries(state.tenants.flatMap((t) => t.apiKeys.map((k) => [k.name, k])));
  }

  /** Everything of one tenant, read in full. */
  async snapshot(t: TenantNames): Promise<Json> {
    const { iam, s3 } = await this.operatorIn(t.accountId);
    const Bucket = t.bucket;
    const bucket = {
      encryption: await read(() => s3.send(new GetBucketEncryptionCommand({ Bucket }))),
      versioning: await read(() => s3.send(new GetBucketVersioningCommand({ Bucket }))),
      policy: await read(() => s3.send(new GetBucketPolicyCommand({ Bucket }))),
      tags: await read(() => s3.send(new GetBucketTaggingCommand({ Bucket }))),
      lifecycle: await read(() => s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))),
      publicAccessBlock: await read(() => s3.send(new GetPublicAccessBlockCommand({ Bucket }))),
      versions: await read(() => s3.send(new ListObjectVersionsCommand({ Bucket }))),
    };
    const name = `palette-onboarding-${t.tenantId}`;
    const policyArn = `arn:aws:iam::${t.accountId}:policy/palette-onboarding/${name}-backup`;
    const policy = {
      policy: await read(() => iam.send(new GetPolicyCommand({ PolicyArn: policyArn }))),
      versions: await read(() => iam.send(new ListPolicyVersionsCommand({ PolicyArn: policyArn }))),
      document: await read(() => iam.send(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: 'v1' }))),
    };
    const role = {
      role: await read(() => iam.send(new GetRoleCommand({ RoleName: name }))),
      tags: await read(() => iam.send(new ListRoleTagsCommand({ RoleName: name }))),
      attached: await read(() => iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }))),
    };
    const user = {
      user: await read(() => iam.send(new GetUserCommand({ UserName: name }))),
      tags: await read(() => iam.send(new ListUserTagsCommand({ UserName: name }))),
      keys: await read(() => iam.send(new ListAccessKeysCommand({ UserName: name }))),
      attached: await read(() => iam.send(new ListAttachedUserPoliciesCommand({ UserName: name }))),
    };
    const sm = this.secrets;
    const secrets: Record<string, Json> = {};
    for (const secretName of ['aws-access-key', 'ssh-private-key', 'palette-api-key'].map((n) => `palette-onboarding/${t.tenantId}/${n}`)) {
      secrets[secretName] = {
        describe: await read(() => sm.send(new DescribeSecretCommand({ SecretId: secretName })), (o) => ({ ...(o as object), LastAccessedDate: undefined })),
        value: await read(() => sm.send(new GetSecretValueCommand({ SecretId: secretName }))),
        versions: await read(() => sm.send(new ListSecretVersionIdsCommand({ SecretId: secretName })), (o) => ({
          ...(o as object),
          Versions: ((o as { Versions?: { LastAccessedDate?: unknown }[] }).Versions ?? []).map((v) => ({ ...v, LastAccessedDate: undefined })),
        })),
      };
    }
    const objects = this.paletteObjects();
    const keys = this.paletteApiKeys();
    const palette = Object.fromEntries(
      Object.entries(objects).filter(([k]) => t.paletteNames.some((n) => k.endsWith(`/${n}`))),
    );
    const apiKeys = Object.fromEntries(Object.entries(keys).filter(([k]) => t.paletteNames.includes(k)));
    return JSON.parse(
      JSON.stringify({
        inventory: this.inventory(t.accountId),
        bucket,
        policy,
        role,
        user,
        secrets,
        palette,
        apiKeys,
        registry: await this.tenantRecord(t.tenantId),
      }),
    ) as Json;
  }
}
