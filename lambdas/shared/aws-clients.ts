/**
 * The one SDK client factory, generic over the client: a caller names the client class it uses
 * (`homeClient(IAMClient)`, `tenantClient(S3Client, plan.target, session, region)`), so a function's bundle holds
 * the SDK clients its code reaches and no other (esbuild tree-shakes this module: it has no side effects at load,
 * and each function below reaches only the clients it names; test/cdk/handler-bundles.test.ts guards it).
 *
 * Home clients (the Lambda's own credentials, in its own account) are created once per container. Tenant-account
 * clients use credentials from STS AssumeRole of the execution role, scoped to ONE job
 * (lambdas/domain/session-policies.ts): the call passes the job's session policy (this tenant's resource ARNs only),
 * RoleSessionName = the execution name, and, when the deployment sets it (SET_SOURCE_IDENTITY), SourceIdentity = the
 * tenant id, so CloudTrail in the tenant account shows which execution did what for which tenant. Clients are cached
 * per (role ARN, session name, policy hash, client class, region); credentials are refreshed 5 minutes before they
 * expire. Endpoints come only from the SDK's own conventions (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>), so
 * nothing here knows about local runs.
 *
 * A tenant's secrets (home account) are reached only through `tenantSecretsClient(plan, job)`: a session of the
 * TenantSecretsAccess role tagged with the tenant id and the job (lambdas/domain/secret-access.ts), so IAM lets it
 * touch that tenant's secrets only, with that job's actions only. Cached per (tenant, job, session name).
 *
 * The DynamoDB document client over the home DynamoDB client: lambdas/shared/document-client.ts.
 *
 * Every client made here is captured by the X-Ray tracer when tracing is active (a deployed Lambda; never in the local
 * runner): lambdas/shared/tracer.ts.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient, type AssumeRoleCommandInput } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { roleArn } from '../domain/names';
import { JOB_SESSION_TAG, TENANT_SESSION_TAG, type SecretJobName } from '../domain/secret-access';
import { sessionName, sourceIdentity, type TenantSession } from '../domain/session-policies';
import type { AwsPlan } from '../domain/workflow-state';
import { loadEnv } from './env';
import { ConfigurationError } from './errors';
import { traced } from './tracer';

/** What the factory needs of an SDK client. */
export interface SdkClient {
  destroy(): void;
}
/** An SDK v3 client class (`IAMClient`, `S3Client`, ...): what the factory constructs. */
export type SdkClientClass<C extends SdkClient> = new (config: { region: string; credentials?: AwsCredentialIdentityProvider }) => C;

const REFRESH_MARGIN_MS = 5 * 60_000;
/** A container serves many executions: keep the most recent sessions only. */
const TENANT_CACHE_MAX = 32;
const homeRegion = () => process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';

/** Clients of one set of credentials, per (client class, region). */
class ClientSet {
  private readonly clients = new Map<SdkClientClass<SdkClient>, Map<string, SdkClient>>();
  constructor(private readonly credentials?: AwsCredentialIdentityProvider) {}

  get<C extends SdkClient>(Client: SdkClientClass<C>, region: string): C {
    let byRegion = this.clients.get(Client);
    if (!byRegion) {
      byRegion = new Map();
      this.clients.set(Client, byRegion);
    }
    let c = byRegion.get(region);
    if (!c) {
      c = traced(new Client({ region, ...(this.credentials ? { credentials: this.credentials } : {}) }));
      byRegion.set(region, c);
    }
    // Keyed by its own class: the client stored under `Client` is a `C`.
    return c as C;
  }

  destroy(): void {
    for (const byRegion of this.clients.values()) for (const c of byRegion.values()) c.destroy();
    this.clients.clear();
  }
}

let home: ClientSet | undefined;
const tenantCache = new Map<string, ClientSet>();
const secretsCache = new Map<string, SecretsManagerClient>();

/** A client with the Lambda's own credentials, in its own account (region: the function's, unless given). */
export function homeClient<C extends SdkClient>(Client: SdkClientClass<C>, region: string = homeRegion()): C {
  home ??= new ClientSet();
  return home.get(Client, region);
}

/**
 * A client acting in the tenant account for one job: the home client when it is the home account, else one with
 * credentials from AssumeRole of the execution role with the job's session (`tenantSession(plan, scope)`,
 * lambdas/domain/session-policies.ts). Region: the function's, unless given (S3 buckets live in the tenant's region).
 */
export function tenantClient<C extends SdkClient>(Client: SdkClientClass<C>, target: AwsPlan['target'], session: TenantSession, region: string = homeRegion()): C {
  if (!target.assumeRole) return homeClient(Client, region);
  const env = loadEnv();
  const allowed = env.ALLOWED_EXECUTION_ROLE_NAMES;
  if (!allowed.includes(target.roleName)) {
    throw new ConfigurationError(
      `aws.executionRoleName '${target.roleName}' is not allowed by this deployment (allowed: ${allowed.join(', ')})`,
    );
  }
  const arn = roleArn(target.partition, target.accountId, target.roleName);
  const key = `${arn}|${session.sessionName}|${session.policyHash}|${env.SET_SOURCE_IDENTITY ? session.tenantId : ''}`;
  let set = tenantCache.get(key);
  if (!set) {
    set = new ClientSet(assumedRoleCredentials(arn, session, env.SET_SOURCE_IDENTITY));
    // Bounded, oldest first (Map keeps insertion order): a warm container serving many tenants stays small.
    const oldest = tenantCache.size >= TENANT_CACHE_MAX ? tenantCache.keys().next().value : undefined;
    if (oldest !== undefined) {
      tenantCache.get(oldest)?.destroy();
      tenantCache.delete(oldest);
    }
    tenantCache.set(key, set);
  }
  return set.get(Client, region);
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
    pending ??= homeClient(STSClient)
      .send(new AssumeRoleCommand(input))
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
