/**
 * The one SDK client factory. Home clients are created once per container. Tenant-account clients use
 * credentials from STS AssumeRole of the execution role, scoped to ONE job (lambdas/domain/session-policies.ts):
 * the call passes the job's session policy (this tenant's resource ARNs only), RoleSessionName = the execution
 * name, and, when the deployment sets it (SET_SOURCE_IDENTITY), SourceIdentity = the tenant id, so CloudTrail in
 * the tenant account shows which execution did what for which tenant. Clients are cached per (role ARN, session
 * name, policy hash); credentials are refreshed 5 minutes before they expire. Endpoints come only from the SDK's
 * own conventions (AWS_ENDPOINT_URL), so nothing here knows about local runs.
 *
 * A tenant's secrets (home account) are reached only through `tenantSecretsClient(plan, job)`: a session of the
 * TenantSecretsAccess role tagged with the tenant id and the job (lambdas/domain/secret-access.ts), so IAM lets it
 * touch that tenant's secrets only, with that job's actions only. Cached per (tenant, job, session name).
 *
 * Every client made here is captured by the X-Ray tracer when tracing is active (a deployed Lambda; never in the local
 * runner): lambdas/shared/tracer.ts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient, type AssumeRoleCommandInput } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { roleArn } from '../domain/names';
import { JOB_SESSION_TAG, TENANT_SESSION_TAG, type SecretJobName } from '../domain/secret-access';
import { sessionName, sourceIdentity, type TenantSession } from '../domain/session-policies';
import type { Plan } from '../domain/workflow-state';
import { loadEnv } from './env';
import { ConfigurationError } from './errors';
import { traced } from './tracer';

const REFRESH_MARGIN_MS = 5 * 60_000;
const homeRegion = () => process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';

export interface HomeClients {
  sts: STSClient;
  iam: IAMClient;
  secretsManager: SecretsManagerClient;
  /** The tenant registry's table, through the document client (plain JS values). */
  dynamodb: DynamoDBDocumentClient;
  /** AWS Organizations (the account guard; the home account must be the management or a delegated admin account). */
  organizations: OrganizationsClient;
  /** SSM Parameter Store (the Palette CA bundle when it is a parameter: lambdas/shared/palette-ca.ts). */
  ssm: SSMClient;
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
/** A container serves many executions: keep the most recent sessions only. */
const TENANT_CACHE_MAX = 32;

function s3For(key: string, region: string, credentials?: AwsCredentialIdentityProvider): S3Client {
  const cacheKey = `${key}|${region}`;
  let c = s3Cache.get(cacheKey);
  if (!c) {
    c = traced(new S3Client({ region, ...(credentials ? { credentials } : {}) }));
    s3Cache.set(cacheKey, c);
  }
  return c;
}

/** Clients with the Lambda's own credentials, in its own account. */
export function homeClients(): HomeClients {
  if (!home) {
    const region = homeRegion();
    home = {
      sts: traced(new STSClient({ region })),
      iam: traced(new IAMClient({ region })),
      secretsManager: traced(new SecretsManagerClient({ region })),
      // The document client sends through the captured client's middleware stack.
      dynamodb: DynamoDBDocumentClient.from(traced(new DynamoDBClient({ region })), {
        marshallOptions: { removeUndefinedValues: true },
      }),
      organizations: traced(new OrganizationsClient({ region })),
      ssm: traced(new SSMClient({ region })),
      s3ForRegion: (r) => s3For('home', r),
    };
  }
  return home;
}

/** Credentials from AssumeRole of `arn` for one job's session, refreshed 5 minutes before expiry. */
function assumedRoleCredentials(arn: string, session: TenantSession, setSourceIdentity: boolean): AwsCredentialIdentityProvider {
  return refreshingCredentials({
    RoleArn: arn,
    RoleSessionName: session.sessionName,
    DurationSeconds: 3600,
    Policy: session.policy,
    ...(setSourceIdentity ? { SourceIdentity: sourceIdentity(session.tenantId) } : {}),
  });
}

/** Credentials from AssumeRole with `input` (home credentials), refreshed 5 minutes before expiry (one call at a time). */
function refreshingCredentials(input: AssumeRoleCommandInput): AwsCredentialIdentityProvider {
  let current: AwsCredentialIdentity | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;
  return async () => {
    if (current?.expiration && current.expiration.getTime() - Date.now() > REFRESH_MARGIN_MS) return current;
    pending ??= homeClients()
      .sts.send(new AssumeRoleCommand(input))
      .then((out) => {
        const c = out.Credentials;
        if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`AssumeRole of ${input.RoleArn} returned no credentials`);
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

/**
 * Clients acting in the tenant account for one job: home credentials when it is the home account, else AssumeRole
 * of the execution role with the job's session (`tenantSession(plan, scope)`, lambdas/domain/session-policies.ts).
 */
export function tenantClients(target: Plan['target'], session: TenantSession): TenantClients {
  if (!target.assumeRole) return homeClients();
  const env = loadEnv();
  const allowed = env.ALLOWED_EXECUTION_ROLE_NAMES;
  if (!allowed.includes(target.roleName)) {
    throw new ConfigurationError(
      `aws.executionRoleName '${target.roleName}' is not allowed by this deployment (allowed: ${allowed.join(', ')})`,
    );
  }
  const arn = roleArn(target.partition, target.accountId, target.roleName);
  const key = `${arn}|${session.sessionName}|${session.policyHash}|${env.SET_SOURCE_IDENTITY ? session.tenantId : ''}`;
  let c = tenantCache.get(key);
  if (!c) {
    const credentials = assumedRoleCredentials(arn, session, env.SET_SOURCE_IDENTITY);
    const region = homeRegion();
    c = {
      iam: traced(new IAMClient({ region, credentials })),
      sts: traced(new STSClient({ region, credentials })),
      s3ForRegion: (r) => s3For(key, r, credentials),
    };
    if (tenantCache.size >= TENANT_CACHE_MAX) forgetOldestTenantClients();
    tenantCache.set(key, c);
  }
  return c;
}

/** Drops the oldest cached session (Map keeps insertion order) and its S3 clients. */
function forgetOldestTenantClients(): void {
  const oldest = tenantCache.keys().next().value;
  if (oldest === undefined) return;
  tenantCache.delete(oldest);
  for (const k of [...s3Cache.keys()]) {
    if (k.startsWith(`${oldest}|`)) {
      s3Cache.get(k)?.destroy();
      s3Cache.delete(k);
    }
  }
}

const secretsCache = new Map<string, SecretsManagerClient>();

/**
 * Secrets Manager in the home account for ONE tenant and ONE job (lambdas/domain/secret-access.ts): a session of the
 * stack's TenantSecretsAccess role (TENANT_SECRETS_ROLE_ARN) tagged `palette-onboarding-tenant` = the plan's tenant
 * id and `palette-onboarding-job` = `job`, named after the execution. IAM then allows that job's actions on that
 * tenant's secrets only; a secret of another tenant named in the input is AccessDenied. Cached per (tenant, job,
 * session name); credentials are refreshed 5 minutes before they expire.
 */
export function tenantSecretsClient(plan: { tenantId: string; executionName: string }, job: SecretJobName): SecretsManagerClient {
  const roleArnValue = loadEnv().TENANT_SECRETS_ROLE_ARN;
  if (!roleArnValue) {
    throw new ConfigurationError('TENANT_SECRETS_ROLE_ARN is not set: tenant secrets are reached only through the TenantSecretsAccess role');
  }
  const RoleSessionName = sessionName(plan.executionName);
  const key = `${roleArnValue}|${plan.tenantId}|${job}|${RoleSessionName}`;
  let c = secretsCache.get(key);
  if (!c) {
    const credentials = refreshingCredentials({
      RoleArn: roleArnValue,
      RoleSessionName,
      DurationSeconds: 3600,
      Tags: [
        { Key: TENANT_SESSION_TAG, Value: plan.tenantId },
        { Key: JOB_SESSION_TAG, Value: job },
      ],
    });
    c = traced(new SecretsManagerClient({ region: homeRegion(), credentials }));
    // Bounded like the tenant-account clients (oldest first): a warm container serving many tenants stays small.
    const oldest = secretsCache.size >= TENANT_CACHE_MAX ? secretsCache.keys().next().value : undefined;
    if (oldest !== undefined) {
      secretsCache.get(oldest)?.destroy();
      secretsCache.delete(oldest);
    }
    secretsCache.set(key, c);
  }
  return c;
}
