/**
 * The onboarding request (state machine input), defined once with zod. Objects are strict, so a typo'd key
 * fails loudly. It grows by new OPTIONAL sections (azure, sshKeys, apiKeys, more backup locations), which is
 * not a breaking change. Exported as JSON Schema to schema/onboarding-request.schema.json.
 */
import { z } from 'zod';
import { adopt, ApiKeySchema, AzureAccountSchema, BackupLocationsSchema, SshKeySchema } from './registration-requests';

const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^(us|eu|ap|sa|ca|me|af|il|mx|us-gov)-[a-z]+-\d$/;
const SLUG = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;
const IAM_ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const SECRET_ARN = /^arn:aws(-us-gov)?:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
const KMS_ARN = /^arn:aws(-us-gov)?:kms:[a-z0-9-]+:\d{12}:(key\/[0-9a-f-]{36}|alias\/[\w/_-]+)$/;

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

export const BucketSchema = z.strictObject({
  name: z
    .string()
    .superRefine((n, ctx) => {
      const p = bucketNameProblem(n);
      if (p) ctx.addIssue({ code: 'custom', message: p });
    })
    .optional()
    .describe('Bucket name; default palette-backup-<tenantId>-<accountId>-<region>'),
  kmsKeyArn: z
    .string()
    .regex(KMS_ARN, 'must be a KMS key or alias ARN')
    .optional()
    .describe('Customer-managed KMS key: SSE-KMS instead of SSE-S3, and KMS permissions in the backup policy'),
  versioning: z.boolean().default(true),
  lifecycle: z
    .strictObject({
      noncurrentVersionExpirationDays: z.number().int().positive().optional(),
      abortIncompleteMultipartUploadDays: z.number().int().positive().optional(),
    })
    .optional(),
  adopt: adopt.describe(
    'adopt an existing bucket of this name that no palette-onboarding tenant owns: its stronger settings (SSE-KMS, versioning, ' +
      'policy statements, lifecycle rules) are kept and compensation never deletes it',
  ),
});

export const AwsSectionSchema = z
  .strictObject({
    accountId: z.string().regex(ACCOUNT_ID, 'must be a 12-digit AWS account id'),
    region: z.string().regex(REGION, 'must be an AWS region such as us-east-1'),
    partition: z.enum(['aws', 'aws-us-gov']).default('aws'),
    credentialMode: z.enum(['sts', 'static']).describe('sts: IAM role trusted by Palette; static: IAM user + access key'),
    executionRoleName: z
      .string()
      .regex(IAM_ROLE_NAME, 'must be a valid IAM role name')
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
  })
  .superRefine((aws, ctx) => {
    const gov = aws.region.startsWith('us-gov-');
    if (gov !== (aws.partition === 'aws-us-gov')) {
      ctx.addIssue({ code: 'custom', path: ['region'], message: `region ${aws.region} is not in partition ${aws.partition}` });
    }
    if (aws.rotateAccessKey && aws.credentialMode !== 'static') {
      ctx.addIssue({ code: 'custom', path: ['rotateAccessKey'], message: 'only applies to credentialMode "static"' });
    }
    const kms = aws.bucket.kmsKeyArn;
    if (kms && !kms.startsWith(`arn:${aws.partition}:kms:${aws.region}:`)) {
      ctx.addIssue({ code: 'custom', path: ['bucket', 'kmsKeyArn'], message: `must be a key in ${aws.partition} ${aws.region}` });
    }
  });

export const RegisterSchema = z.strictObject({
  cloudAccount: z
    .strictObject({
      enabled: z.boolean().optional().describe('default: true in sts mode, false in static mode'),
      name: z.string().min(1).max(64).optional(),
      adopt,
    })
    .default({ adopt: false }),
  backupLocation: z
    .strictObject({
      name: z.string().min(1).max(64).optional(),
      isDefault: z.boolean().default(false),
      adopt,
    })
    .default({ isDefault: false, adopt: false }),
});

export const OnboardingRequestSchema = z
  .strictObject({
    tenantId: z.string().regex(SLUG, 'must be a slug: 3-32 lowercase letters, digits and hyphens, starting with a letter'),
    palette: z
      .strictObject({
        apiKeySecretArn: z.string().regex(SECRET_ARN, 'must be a Secrets Manager secret ARN').optional(),
        projectUid: z.string().min(1).optional().describe('Project scope; absent = tenant scope'),
      })
      .default({}),
    aws: AwsSectionSchema,
    register: RegisterSchema.default({ cloudAccount: { adopt: false }, backupLocation: { isDefault: false, adopt: false } }),
    options: z
      .strictObject({
        readinessTimeoutSeconds: z.number().int().min(10).max(900).optional(),
      })
      .default({}),
    azure: z.strictObject({ cloudAccount: AzureAccountSchema }).optional().describe('register an Azure cloud account'),
    sshKey: SshKeySchema.optional().describe('upload (or generate and upload) an SSH key'),
    apiKey: ApiKeySchema.optional().describe('create a Palette API key; its value goes to Secrets Manager'),
    backupLocations: BackupLocationsSchema.optional().describe('GCP, MinIO and Azure backup locations besides the S3 one'),
  })
  .superRefine((r, ctx) => {
    const defaults = [
      ...(r.register.backupLocation.isDefault ? ['register.backupLocation'] : []),
      ...(['gcp', 'minio', 'azure'] as const).filter((k) => r.backupLocations?.[k]?.isDefault).map((k) => `backupLocations.${k}`),
    ];
    if (defaults.length > 1) {
      ctx.addIssue({ code: 'custom', path: ['backupLocations'], message: `only one backup location may be the default (${defaults.join(', ')})` });
    }
    // The Lambdas may read only this tenant's secrets: palette-onboarding/<tenantId>/<name>.
    const tenantSecret = new RegExp(`:secret:palette-onboarding/${r.tenantId}/[^/]+$`);
    const secrets: [PropertyKey[], string | undefined][] = [
      [['azure', 'cloudAccount', 'credentialsSecretArn'], r.azure?.cloudAccount.credentialsSecretArn],
      [['backupLocations', 'gcp', 'credentialsSecretArn'], r.backupLocations?.gcp?.credentialsSecretArn],
      [['backupLocations', 'minio', 'credentialsSecretArn'], r.backupLocations?.minio?.credentialsSecretArn],
      [['backupLocations', 'azure', 'credentialsSecretArn'], r.backupLocations?.azure?.credentialsSecretArn],
    ];
    for (const [path, arn] of secrets) {
      if (arn !== undefined && !tenantSecret.test(arn)) {
        ctx.addIssue({ code: 'custom', path, message: `must be a secret named palette-onboarding/${r.tenantId}/<name> (the workflow reads only this tenant's secrets)` });
      }
    }
  })
  .describe('A palette-onboarding request: onboard one tenant AWS account into Palette');

export type OnboardingRequest = z.output<typeof OnboardingRequestSchema>;
export type OnboardingRequestInput = z.input<typeof OnboardingRequestSchema>;
