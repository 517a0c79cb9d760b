/**
 * The onboarding request (state machine input), defined once with zod. Objects are strict, so a typo'd key
 * fails loudly. It grows by new OPTIONAL sections (azure, sshKeys, apiKeys, more backup locations), which is
 * not a breaking change. Exported as JSON Schema to schema/onboarding-request.schema.json.
 *
 * Input limits (README "Input limits"): the whole request is at most MAX_REQUEST_BYTES of JSON (checked first, in
 * lambdas/domain/plan.ts); every string has a maximum length and, where it is an identifier, a charset; numbers are
 * bounded; there are no arrays.
 */
import * as z from 'zod';
import { CLUSTER_POLICY_MODES } from './cluster-policies';
import { READINESS_BUDGET } from './readiness';
import {
  adopt,
  ApiKeySchema,
  backupEndpointUrl,
  AzureAccountSchema,
  BackupLocationsSchema,
  CREDENTIALS_SECRET_PREFIX,
  identifier,
  paletteUid,
  pemCertificates,
  SECRET_ARN,
  SECRET_ARN_MAX,
  SshKeySchema,
} from './registration-requests';

/**
 * `schema(() => ...)`: the schema, built when the module loads; marked free of side effects so that the many functions
 * that use none of the request's schemas have none of them in their bundle (as in lambdas/domain/registration-requests.ts).
 */
/* @__NO_SIDE_EFFECTS__ */
function schema<T>(build: () => T): T {
  return build();
}

/** The whole request: at most 32 KiB of JSON (UTF-8 bytes of the request as JSON text, JSON.stringify). */
export const MAX_REQUEST_BYTES = 32 * 1024;

const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^(us|eu|ap|sa|ca|me|af|il|mx|us-gov)-[a-z]{1,16}-\d$/;
export const TENANT_ID = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;
const IAM_ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const KMS_ARN = /^arn:aws(-us-gov)?:kms:[a-z0-9-]{1,32}:\d{12}:(key\/[0-9a-f-]{36}|alias\/[\w/-]{1,256})$/;
/** A Palette object name the request may give for the AWS cloud account / S3 backup location. */
const REGISTRATION_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/;
const registrationName = schema(() => identifier(64, REGISTRATION_NAME, 'must be 1-64 letters, digits, ".", "_" and "-", beginning and ending with a letter or digit'));
/** Lifecycle rules count days: at most 100 years. */
const days = schema(() => z.number().int().positive().max(36_500, 'must be at most 36500 days'));

/** AWS general-purpose bucket naming rules. Returns a reason, or undefined when valid. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'must be 3-63 characters';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) {
    return 'must use lowercase letters, digits, dots and hyphens, and begin and end with a letter or digit';
  }
  if (name.includes('..')) return 'must not contain two adjacent dots';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'must not be formatted as an IP address';
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name)) return 'must not start with xn--, sthree- or amzn-s3-demo-';
  if (/(-s3alias|--ol-s3|\.mrap|--x-s3)$/.test(name)) return 'must not end with -s3alias, --ol-s3, .mrap or --x-s3';
  return undefined;
}

export const BucketSchema = schema(() => z.strictObject({
  name: z
    .string()
    .max(63, 'must be at most 63 characters')
    .superRefine((n, ctx) => {
      const p = n.length > 63 ? undefined : bucketNameProblem(n);
      if (p) ctx.addIssue({ code: 'custom', message: p });
    })
    .optional()
    .describe('Bucket name; default palette-backup-<tenantId>-<accountId>-<region>'),
  kmsKeyArn: identifier(320, KMS_ARN, 'must be a KMS key or alias ARN')
    .optional()
    .describe('Customer-managed KMS key: SSE-KMS instead of SSE-S3, and KMS permissions in the backup policy'),
  versioning: z.boolean().default(true),
  lifecycle: z
    .strictObject({
      noncurrentVersionExpirationDays: days.optional(),
      abortIncompleteMultipartUploadDays: days.optional(),
    })
    .optional(),
  adopt: adopt.describe(
    'adopt an existing bucket of this name that no palette-onboarding tenant owns: its stronger settings (SSE-KMS, versioning, ' +
      'policy statements, lifecycle rules) are kept and compensation never deletes it',
  ),
}));

export const AwsSectionSchema = schema(() => z
  .strictObject({
    accountId: identifier(12, ACCOUNT_ID, 'must be a 12-digit AWS account id'),
    region: identifier(32, REGION, 'must be an AWS region such as us-east-1'),
    partition: z.enum(['aws', 'aws-us-gov']).default('aws'),
    credentialMode: z.enum(['sts', 'static']).describe('sts: IAM role trusted by Palette; static: IAM user + access key'),
    executionRoleName: identifier(64, IAM_ROLE_NAME, 'must be a valid IAM role name')
      .default('OrganizationAccountAccessRole')
      .describe('Role assumed in the tenant account to provision it'),
    bucket: BucketSchema.default({ versioning: true, adopt: false }),
    backupPolicy: z
      .strictObject({ adopt: adopt.describe('adopt an existing, unmarked backup policy of the derived name') })
      .default({ adopt: false }),
    principal: z
      .strictObject({
        adopt: adopt.describe(
          'adopt an existing, unmarked role (sts) or user (static) of the derived name: a trust policy is merged, never replaced; keys it already has are never deleted',
        ),
      })
      .default({ adopt: false }),
    rotateAccessKey: z.boolean().default(false).describe('static mode: replace the access key on this run'),
    clusterPolicies: z
      .enum(CLUSTER_POLICY_MODES)
      .optional()
      .describe(
        "Palette's IAM policies for deploying clusters, created under the project's IAM path and attached to the principal: " +
          'core (PaletteControllerPolicy, PaletteControlPlanePolicy, PaletteNodesPolicy, PaletteDeploymentPolicy), core+eks ' +
          '(and PaletteControllersEKSPolicy), minimal-dynamic, minimal-static or none; default core when the AWS cloud account is registered, else none',
      ),
  })
  .superRefine((aws, ctx) => {
    // Cross-field rules (they also run when a field already has a format issue: then they stay quiet).
    const gov = aws.region.startsWith('us-gov-');
    if (REGION.test(aws.region) && gov !== (aws.partition === 'aws-us-gov')) {
      ctx.addIssue({ code: 'custom', path: ['region'], message: `region ${aws.region} is not in partition ${aws.partition}` });
    }
    if (aws.rotateAccessKey && aws.credentialMode !== 'static') {
      ctx.addIssue({ code: 'custom', path: ['rotateAccessKey'], message: 'only applies to credentialMode "static"' });
    }
    const kms = aws.bucket.kmsKeyArn;
    if (kms && KMS_ARN.test(kms) && REGION.test(aws.region) && !kms.startsWith(`arn:${aws.partition}:kms:${aws.region}:`)) {
      ctx.addIssue({ code: 'custom', path: ['bucket', 'kmsKeyArn'], message: `must be a key in ${aws.partition} ${aws.region}` });
    }
  }));

export const RegisterSchema = schema(() => z.strictObject({
  cloudAccount: z
    .strictObject({
      enabled: z.boolean().optional().describe('default: true in sts mode, false in static mode'),
      name: registrationName.optional(),
      adopt,
    })
    .default({ adopt: false }),
  // Seed 003's S3 form: Certificate, S3 URL ("If you provided an S3 URL, enable the Force S3 path style checkbox"),
  // Force S3 path style; the same text checks as MinIO's (registration-requests.ts), the endpoint rule in ValidateRequest.
  backupLocation: z
    .strictObject({
      name: registrationName.optional(),
      isDefault: z.boolean().default(false),
      s3Url: backupEndpointUrl.optional().describe('a custom S3 endpoint the backup agents use for the bucket (e.g. a proxy or a VPC endpoint)'),
      forcePathStyle: z.boolean().optional().describe('path-style bucket requests; default true when s3Url is given, else Palette\'s default'),
      caCert: pemCertificates.optional().describe('PEM CA certificate(s) the S3 endpoint chains to'),
      adopt,
    })
    .superRefine((b, ctx) => {
      if (b.s3Url !== undefined && b.forcePathStyle === false) {
        ctx.addIssue({ code: 'custom', path: ['forcePathStyle'], message: 'must be true when s3Url is given (Palette: "If you provided an S3 URL, enable the Force S3 path style checkbox")' });
      }
    })
    .default({ isDefault: false, adopt: false }),
}));

/** The parts a request without an `aws` section may register (at least one of them). */
export const NON_AWS_PARTS = ['azure', 'sshKey', 'apiKey', 'backupLocations'] as const;

export const OnboardingRequestSchema = schema(() => z
  .strictObject({
    tenantId: identifier(32, TENANT_ID, 'must be a slug: 3-32 lowercase letters, digits and hyphens, starting with a letter'),
    palette: z
      .strictObject({
        apiKeySecretArn: identifier(SECRET_ARN_MAX, SECRET_ARN, 'must be a Secrets Manager secret ARN').optional(),
        projectUid: paletteUid.optional().describe('Project scope; absent = tenant scope'),
      })
      .default({}),
    aws: AwsSectionSchema.optional().describe(
      "the tenant's AWS account: the bucket, policies and principal provisioned in it; absent for a tenant with only Azure, GCP, " +
        'MinIO, SSH key or API key registrations',
    ),
    register: RegisterSchema.optional().describe(
      'the AWS cloud account and the S3 backup location (default: both as the credential mode implies); needs the aws section',
    ),
    options: z
      .strictObject({
        readinessTimeoutSeconds: z.number().int().min(READINESS_BUDGET.minSeconds).max(READINESS_BUDGET.maxSeconds).optional(),
      })
      .default({}),
    azure: z.strictObject({ cloudAccount: AzureAccountSchema }).optional().describe('register an Azure cloud account'),
    sshKey: SshKeySchema.optional().describe('upload (or generate and upload) an SSH key'),
    apiKey: ApiKeySchema.optional().describe('create a Palette API key; its value goes to Secrets Manager'),
    backupLocations: BackupLocationsSchema.optional().describe('GCP, MinIO and Azure backup locations besides the S3 one'),
  })
  .superRefine((r, ctx) => {
    // Which sections go together (README "The request"): `register` and `options.readinessTimeoutSeconds` are about
    // the AWS part; a request without one registers at least one other part.
    if (!r.aws) {
      if (r.register) {
        ctx.addIssue({
          code: 'custom',
          path: ['register'],
          message: "needs the aws section: the AWS cloud account and the S3 backup location use the tenant's AWS principal and bucket",
        });
      }
      if (r.options.readinessTimeoutSeconds !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['options', 'readinessTimeoutSeconds'], message: 'needs the aws section: it bounds the wait for the AWS principal' });
      }
      if (!NON_AWS_PARTS.some((part) => r[part] !== undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [],
          message: `nothing to onboard: give the aws section, or at least one of ${NON_AWS_PARTS.join(', ')}`,
        });
      }
    }
    // `none` with a registered cloud account: Palette validates the account's permissions, so only an adopted
    // principal (its own policies) can pass; a principal this workflow creates would hold the backup policy only.
    const register = registerSection(r);
    const cloudAccount = r.aws !== undefined && (register.cloudAccount.enabled ?? r.aws.credentialMode === 'sts');
    if (r.aws?.clusterPolicies === 'none' && cloudAccount && !r.aws.principal.adopt) {
      ctx.addIssue({
        code: 'custom',
        path: ['aws', 'clusterPolicies'],
        message:
          'is "none" but the AWS cloud account is registered: Palette needs the principal to hold its cluster policies; choose core, core+eks, ' +
          'minimal-dynamic or minimal-static, or adopt a principal that has them (aws.principal.adopt), or register no cloud account',
      });
    }
    const defaults = [
      ...(r.aws && register.backupLocation.isDefault ? ['register.backupLocation'] : []),
      ...(['gcp', 'minio', 'azure'] as const).filter((k) => r.backupLocations?.[k]?.isDefault).map((k) => `backupLocations.${k}`),
    ];
    if (defaults.length > 1) {
      ctx.addIssue({ code: 'custom', path: ['backupLocations'], message: `only one backup location may be the default (${defaults.join(', ')})` });
    }
    // Credentials the user supplies are read from this tenant's own prefix only:
    // palette-onboarding-credentials/<tenantId>/<name> (the workflow may read, never write, that prefix). Checked only
    // once the tenant id and the ARN are themselves valid (their own issues say what is wrong otherwise).
    if (!TENANT_ID.test(r.tenantId)) return;
    const prefix = `${CREDENTIALS_SECRET_PREFIX}/${r.tenantId}/`;
    const secrets: [PropertyKey[], string | undefined][] = [
      [['azure', 'cloudAccount', 'credentialsSecretArn'], r.azure?.cloudAccount.credentialsSecretArn],
      [['backupLocations', 'gcp', 'credentialsSecretArn'], r.backupLocations?.gcp?.credentialsSecretArn],
      [['backupLocations', 'minio', 'credentialsSecretArn'], r.backupLocations?.minio?.credentialsSecretArn],
      [['backupLocations', 'azure', 'credentialsSecretArn'], r.backupLocations?.azure?.credentialsSecretArn],
    ];
    for (const [path, arn] of secrets) {
      if (arn === undefined || !SECRET_ARN.test(arn)) continue;
      const name = arn.slice(arn.indexOf(':secret:') + ':secret:'.length);
      const rest = name.startsWith(prefix) ? name.slice(prefix.length) : '';
      if (rest === '' || rest.includes('/')) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `must be a secret named ${prefix}<name> (credentials you supply live under ${CREDENTIALS_SECRET_PREFIX}/<tenantId>/, which the workflow only reads)`,
        });
      }
    }
  })
  .describe(
    'A palette-onboarding request: onboard one tenant into Palette: its AWS account (aws), and / or its Azure account, SSH key, ' +
      'API key and GCP / MinIO / Azure backup locations',
  ));

export type OnboardingRequest = z.output<typeof OnboardingRequestSchema>;

/** `register` as the request gives it, or its default (both registrations as the credential mode implies). */
export function registerSection(r: Pick<OnboardingRequest, 'register'>): z.output<typeof RegisterSchema> {
  return r.register ?? { cloudAccount: { adopt: false }, backupLocation: { isDefault: false, adopt: false } };
}
export type OnboardingRequestInput = z.input<typeof OnboardingRequestSchema>;
