/**
 * Tenant secrets in the home account, one tenant per session, enforced by IAM (README "Tenant isolation").
 *
 * The secrets of a tenant are `palette-onboarding/<tenantId>/<name>` (written by the workflow: the static user's
 * access key, a generated SSH private key, a generated Palette API key value) and
 * `palette-onboarding-credentials/<tenantId>/<name>` (supplied by the user, read-only). No workflow function may
 * touch them with its own role. A function that needs one assumes the stack's TenantSecretsAccess role
 * (cdk/lib/constructs/tenant-secrets-access.ts) with two session tags:
 *
 * - `palette-onboarding-tenant` = the plan's tenant id: the role's policy names the secrets with the policy variable
 *   `${aws:PrincipalTag/palette-onboarding-tenant}`, so the session reaches THAT tenant's secrets only, whatever
 *   secret ARN or name its input carries;
 * - `palette-onboarding-job` = one of SECRET_JOBS below: the role's policy has one statement per job (its actions on
 *   its secret names, conditioned on `aws:PrincipalTag/palette-onboarding-job`), and each function's own role may tag
 *   a session only with its own job (`aws:RequestTag/palette-onboarding-job` on sts:TagSession), so what a function
 *   may do is fixed by IAM, not by the code's choice (which for the shared ensure-registration handler follows the
 *   input's `registration`).
 *
 * Tag keys are letters, digits and `-` only, so they are safe in a policy variable. Pure.
 */
import type { WrittenSecretName } from './registrations';
import { CREDENTIALS_SECRET_PREFIX } from './registration-requests';

/** Session tag: the tenant the session works for (`${aws:PrincipalTag/palette-onboarding-tenant}`). */
export const TENANT_SESSION_TAG = 'palette-onboarding-tenant';
/** Session tag: the job of the session (SECRET_JOBS). */
export const JOB_SESSION_TAG = 'palette-onboarding-job';

/** The secrets of a tenant a job touches: one the workflow writes, or the user's credentials (any name). */
export type TenantSecretKind = WrittenSecretName | 'credentials';

export interface SecretJob {
  /** Statement id in the TenantSecretsAccess role's policy. */
  readonly sid: string;
  readonly secrets: readonly TenantSecretKind[];
  /** Exactly what the job's code calls (lambdas/shared/secrets.ts, lambdas/services/aws/tenant-secret.ts). */
  readonly actions: readonly string[];
}

const GET = 'secretsmanager:GetSecretValue';
const DESCRIBE = 'secretsmanager:DescribeSecret';
const CREATE = 'secretsmanager:CreateSecret';
const PUT = 'secretsmanager:PutSecretValue';
/** CreateSecret with Tags also needs TagResource; created-by is never removed, so never UntagResource. */
const TAG = 'secretsmanager:TagResource';
const DELETE = 'secretsmanager:DeleteSecret';
/** A tenant's secret deleted with a recovery window (offboarding) is restored when the tenant is onboarded again. */
const RESTORE = 'secretsmanager:RestoreSecret';

/**
 * Every job, by its session tag value. Functions (cdk/lib/constructs/onboarding-functions.ts):
 *
 * | job                | functions                                                         |
 * | ------------------ | ----------------------------------------------------------------- |
 * | access-key-read    | check-readiness, ensure-cloud-account, ensure-backup-location     |
 * | access-key-write   | ensure-static-user                                                |
 * | access-key-delete  | undo-principal                                                    |
 * | ssh-key-write      | ensure-ssh-key                                                    |
 * | api-key-write      | ensure-api-key                                                    |
 * | registrations-undo | undo-registrations                                                |
 * | credentials-read   | ensure-azure-account, ensure-{gcp,minio,azure}-backup-location    |
 */
export const SECRET_JOBS = {
  /** The static user's key, given to Palette (readiness, cloud account, S3 backup location). */
  'access-key-read': { sid: 'ReadAccessKey', secrets: ['aws-access-key'], actions: [GET] },
  /** Stores a new key (created, or a new version on rotation), tagged with its key id. */
  'access-key-write': { sid: 'WriteAccessKey', secrets: ['aws-access-key'], actions: [DESCRIBE, CREATE, PUT, TAG, RESTORE] },
  'access-key-delete': { sid: 'DeleteAccessKey', secrets: ['aws-access-key'], actions: [DESCRIBE, DELETE] },
  /**
   * Reuses the stored key pair, or stores a generated one (PUT when CreateSecret races, ResourceExistsException, or
   * into a secret an offboarding deleted, after RestoreSecret).
   */
  'ssh-key-write': { sid: 'WriteSshPrivateKey', secrets: ['ssh-private-key'], actions: [DESCRIBE, GET, CREATE, PUT, TAG, RESTORE] },
  /** Checks the stored value, or stores the value of a new key. */
  'api-key-write': { sid: 'WritePaletteApiKeyValue', secrets: ['palette-api-key'], actions: [DESCRIBE, GET, CREATE, PUT, TAG, RESTORE] },
  /** Compensation of what the registration kinds wrote. */
  'registrations-undo': { sid: 'DeleteRegistrationSecrets', secrets: ['ssh-private-key', 'palette-api-key'], actions: [DESCRIBE, DELETE] },
  /** The user's Azure / GCP / MinIO credentials (read-only). */
  'credentials-read': { sid: 'ReadCredentials', secrets: ['credentials'], actions: [GET] },
} as const satisfies Record<string, SecretJob>;

export type SecretJobName = keyof typeof SECRET_JOBS;
export const SECRET_JOB_NAMES = Object.keys(SECRET_JOBS) as SecretJobName[];

/**
 * The secret names (without the ARN prefix) a job may touch, `tenant` being the tenant id or a policy variable. A
 * written secret is named with and without Secrets Manager's random suffix when the job looks it up by name
 * (DescribeSecret of a secret that does not exist yet is authorized against the name without the suffix).
 */
export function jobSecretNames(job: SecretJobName, tenant: string): string[] {
  const spec: SecretJob = SECRET_JOBS[job];
  const byName = spec.actions.includes(DESCRIBE);
  return spec.secrets.flatMap((kind) =>
    kind === 'credentials'
      ? [`${CREDENTIALS_SECRET_PREFIX}/${tenant}/*`]
      : [...(byName ? [`palette-onboarding/${tenant}/${kind}`] : []), `palette-onboarding/${tenant}/${kind}-??????`],
  );
}

/** `${aws:PrincipalTag/palette-onboarding-tenant}`: the session's tenant, in a policy. */
export const TENANT_POLICY_VARIABLE = `\${aws:PrincipalTag/${TENANT_SESSION_TAG}}`;

/** The job of undo-registrations: what the registration kinds wrote (their `secrets.writes`), deleted. */
export const UNDO_REGISTRATIONS_SECRET_JOB: SecretJobName = 'registrations-undo';
