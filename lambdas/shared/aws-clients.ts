/**
 * The one SDK client factory. Clients are created once per (account, role, region) and cached for the life
 * of the container. Tenant-account clients use credentials from STS AssumeRole of the execution role, cached
 * until shortly before they expire. Endpoints come only from the SDK's own conventions (AWS_ENDPOINT_URL), so
 * nothing here knows about local runs.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { roleArn } from '../domain/names';
import type { Plan } from '../domain/workflow-state';
import { loadEnv } from './env';
import { ConfigurationError } from './errors';

const REFRESH_MARGIN_MS = 5 * 60_000;
const homeRegion = () => process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';

export interface HomeClients {
  sts: STSClient;
  iam: IAMClient;
  secretsManager: SecretsManagerClient;
  /** The tenant registry's table, through the document client (plain JS values). */
  dynamodb: DynamoDBDocumentClient;
  s3ForRegion(region: string): S3Client;
}
export interface TenantClients {
  iam: IAMClient;
  sts: STSClient;
  s3ForRegion(region: string): S3Client;
}

let home: HomeClients | undefined;
const s3Cache = new Map<string, S3Client>();
const tenantCache = new Map<string, TenantClients>();

function s3For(key: string, region: string, credentials?: AwsCredentialIdentityProvider): S3Client {
  const cacheKey = `${key}|${region}`;
  let c = s3Cache.get(cacheKey);
  if (!c) {
    c = new S3Client({ region, ...(credentials ? { credentials } : {}) });
    s3Cache.set(cacheKey, c);
  }
  return c;
}

/** Clients with the Lambda's own credentials, in its own account. */
export function homeClients(): HomeClients {
  if (!home) {
    const region = homeRegion();
    home = {
      sts: new STSClient({ region }),
      iam: new IAMClient({ region }),
      secretsManager: new SecretsManagerClient({ region }),
      dynamodb: DynamoDBDocumentClient.from(new DynamoDBClient({ region }), {
        marshallOptions: { removeUndefinedValues: true },
      }),
      s3ForRegion: (r) => s3For('home', r),
    };
  }
  return home;
}

/** Credentials from AssumeRole, refreshed 5 minutes before expiry. */
function assumedRoleCredentials(arn: string): AwsCredentialIdentityProvider {
  let current: AwsCredentialIdentity | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;
  return async () => {
    if (current?.expiration && current.expiration.getTime() - Date.now() > REFRESH_MARGIN_MS) return current;
    pending ??= homeClients()
      .sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'palette-onboarding', DurationSeconds: 3600 }))
      .then((out) => {
        const c = out.Credentials;
        if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`AssumeRole of ${arn} returned no credentials`);
        current = {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
          ...(c.Expiration ? { expiration: c.Expiration } : {}),
        };
        return current;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}

/** Clients acting in the tenant account: home credentials when it is the home account, else AssumeRole. */
export function tenantClients(target: Plan['target']): TenantClients {
  if (!target.assumeRole) return homeClients();
  const allowed = loadEnv().ALLOWED_EXECUTION_ROLE_NAMES;
  if (!allowed.includes(target.roleName)) {
    throw new ConfigurationError(
      `aws.executionRoleName '${target.roleName}' is not allowed by this deployment (allowed: ${allowed.join(', ')})`,
    );
  }
  const arn = roleArn(target.partition, target.accountId, target.roleName);
  let c = tenantCache.get(arn);
  if (!c) {
    const credentials = assumedRoleCredentials(arn);
    const region = homeRegion();
    c = {
      iam: new IAMClient({ region, credentials }),
      sts: new STSClient({ region, credentials }),
      s3ForRegion: (r) => s3For(arn, r, credentials),
    };
    tenantCache.set(arn, c);
  }
  return c;
}
