import { describe, expect, it } from 'vitest';
import { apiKeyExpiry } from '../../lambdas/domain/registration-requests';
import { bucketName, executionName } from '../../lambdas/domain/names';
import { buildPlan as buildAnyPlan, parseRequest } from '../../lambdas/domain/plan';
import { awsPlan } from '../aws-plan';
import { bucketNameProblem } from '../../lambdas/domain/request';
import { RequestValidationError } from '../../lambdas/shared/errors';
import { awsAccountFacts, hasAwsPart, PlanSchema } from '../../lambdas/domain/workflow-state';

const ctx = {
  homeAccountId: '000000000000',
  deploymentId: 'palette-onboarding',
  defaultApiKeySecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:palette-api-key-AbCdEf',
  defaultReadinessSeconds: 120,
  executionName: 'acme-0123456789ab',
};
const sts = { tenantId: 'acme', aws: { accountId: '111111111111', region: 'us-east-1', credentialMode: 'sts' } };

function issuesOf(raw: unknown): { path: string; message: string }[] {
  try {
    parseRequest(raw);
  } catch (e) {
    if (e instanceof RequestValidationError) return e.issues;
    throw e;
  }
  throw new Error('request was accepted');
}

/** buildPlan of a request with an aws section (the plan narrowed to its AWS type). */
const buildPlan = (raw: unknown, c: Parameters<typeof buildAnyPlan>[1]) => {
  const built = buildAnyPlan(raw, c);
  return { ...built, plan: awsPlan(built.plan) };
};

describe('buildPlan', () => {
  it('derives every name and default from a minimal STS request', () => {
    const { plan } = buildPlan(sts, ctx);
    expect(plan).toMatchObject({
      tenantId: 'acme',
      target: { accountId: '111111111111', region: 'us-east-1', partition: 'aws', roleName: 'OrganizationAccountAccessRole', assumeRole: true },
      credentialMode: 'sts',
      bucketName: 'palette-backup-acme-111111111111-us-east-1',
      bucketArn: 'arn:aws:s3:::palette-backup-acme-111111111111-us-east-1',
      versioning: true,
      policyName: 'palette-onboarding-acme-backup',
      policyArn: 'arn:aws:iam::111111111111:policy/palette-onboarding/palette-onboarding-acme-backup',
      principalName: 'palette-onboarding-acme',
      accessKeySecretName: 'palette-onboarding/acme/aws-access-key',
      paletteApiKeySecretArn: ctx.defaultApiKeySecretArn,
      executionName: 'acme-0123456789ab',
      deploymentId: 'palette-onboarding',
      adopt: { bucket: false, backupPolicy: false, principal: false },
      registrations: {
        cloudAccount: { name: 'acme-aws', adopt: false },
        backupLocation: { name: 'acme-s3', isDefault: false, adopt: false },
      },
      readinessTimeoutSeconds: 120,
      tags: {
        'palette-onboarding/created-by': 'acme-0123456789ab',
        'palette-onboarding/tenant': 'acme',
        'palette-onboarding/managed-by': 'palette-onboarding',
      },
    });
    expect(plan.kmsKeyArn).toBeUndefined();
  });

  it('skips the cloud account in static mode unless asked, and needs no AssumeRole in the home account', () => {
    const { plan } = buildPlan({ ...sts, aws: { ...sts.aws, accountId: '000000000000', credentialMode: 'static' } }, ctx);
    expect(plan.registrations.cloudAccount).toBeUndefined();
    expect(plan.target.assumeRole).toBe(false);
    const asked = buildPlan({ ...sts, aws: { ...sts.aws, credentialMode: 'static' }, register: { cloudAccount: { enabled: true } } }, ctx);
    expect(asked.plan.registrations.cloudAccount).toEqual({ name: 'acme-aws', adopt: false });
  });

  it('honours explicit names, KMS, lifecycle, project and readiness budget', () => {
    const kms = 'arn:aws:kms:eu-west-1:222222222222:key/0f8e5c2a-1d3b-4a5c-9e7f-0123456789ab';
    const { plan } = buildPlan(
      {
        tenantId: 'globex',
        palette: { projectUid: 'p-1' },
        aws: {
          accountId: '222222222222',
          region: 'eu-west-1',
          credentialMode: 'sts',
          bucket: { name: 'globex-velero', kmsKeyArn: kms, versioning: false, lifecycle: { noncurrentVersionExpirationDays: 30 } },
        },
        register: { cloudAccount: { name: 'globex-prod' }, backupLocation: { name: 'globex-backups', isDefault: true } },
        options: { readinessTimeoutSeconds: 30 },
      },
      ctx,
    );
    expect(plan).toMatchObject({
      bucketName: 'globex-velero',
      kmsKeyArn: kms,
      versioning: false,
      lifecycle: { noncurrentVersionExpirationDays: 30 },
      projectUid: 'p-1',
      registrations: {
        cloudAccount: { name: 'globex-prod' },
        backupLocation: { name: 'globex-backups', isDefault: true },
      },
      readinessTimeoutSeconds: 30,
    });
  });

  it('carries every adopt flag and the deployment id into the plan and its marks', () => {
    // Prepare
    const request = {
      ...sts,
      aws: { ...sts.aws, bucket: { adopt: true }, backupPolicy: { adopt: true }, principal: { adopt: true } },
      register: { cloudAccount: { adopt: true }, backupLocation: { adopt: true } },
      sshKey: { adopt: true },
    };
    // Act
    const { plan } = buildPlan(request, { ...ctx, deploymentId: 'prod-eu' });
    // Assess
    expect(plan.adopt).toEqual({ bucket: true, backupPolicy: true, principal: true });
    expect(plan.registrations).toMatchObject({ cloudAccount: { adopt: true }, backupLocation: { adopt: true }, sshKey: { adopt: true } });
    expect(plan.tags['palette-onboarding/managed-by']).toBe('prod-eu');
  });

  it('requires an API-key secret when the deployment has no default', () => {
    const { defaultApiKeySecretArn: _unused, ...noDefault } = ctx;
    expect(() => buildPlan(sts, noDefault)).toThrow(/palette\.apiKeySecretArn: required/);
  });
});

describe('request validation names every bad field', () => {
  it('reports each problem with its path', () => {
    const issues = issuesOf({
      tenantId: 'Acme!',
      aws: { accountId: '123', region: 'mars-1', credentialMode: 'magic', bucket: { name: 'Bad_Bucket' }, extra: 1 },
    });
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining(['tenantId', 'aws.accountId', 'aws.region', 'aws.credentialMode', 'aws.bucket.name']),
    );
    expect(issues.some((i) => i.message.includes('extra'))).toBe(true);
  });

  it('rejects cross-field mistakes', () => {
    expect(issuesOf({ tenantId: 'acme', aws: { accountId: '111111111111', region: 'us-gov-west-1', credentialMode: 'sts' } })).toEqual([
      expect.objectContaining({ path: 'aws.region' }),
    ]);
    expect(issuesOf({ ...sts, aws: { ...sts.aws, rotateAccessKey: true } })).toEqual([
      expect.objectContaining({ path: 'aws.rotateAccessKey' }),
    ]);
  });

  it('rejects a missing request with a root-level message', () => {
    expect(issuesOf(undefined)[0]?.path).toBe('');
  });
});

describe('names', () => {
  it('keeps derived bucket names valid even for long tenant ids', () => {
    const long = bucketName('a-very-long-tenant-identifier-xyz', '123456789012', 'ap-southeast-2');
    expect(long.length).toBeLessThanOrEqual(63);
    expect(bucketNameProblem(long)).toBeUndefined();
    expect(bucketName('a-very-long-tenant-identifier-xyz', '123456789012', 'ap-southeast-1')).not.toBe(long);
  });

  it('derives the same execution name for the same request whatever the key order, and another for a change', () => {
    const a = executionName('acme', { tenantId: 'acme', aws: { region: 'us-east-1', accountId: '1' } });
    const b = executionName('acme', { aws: { accountId: '1', region: 'us-east-1' }, tenantId: 'acme' });
    const c = executionName('acme', { tenantId: 'acme', aws: { region: 'us-east-2', accountId: '1' } });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a).toMatch(/^acme-[0-9a-f]{12}$/);
  });
});

describe('registrations beyond the AWS cloud account and S3 location (Azure, SSH key, API key, more backup locations)', () => {
  const secret = (name: string) => `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}-AbCdEf`;
  const full = {
    ...sts,
    azure: { cloudAccount: { credentialsSecretArn: secret('palette-onboarding-credentials/acme/azure') } },
    sshKey: {},
    apiKey: { description: 'CI' },
    backupLocations: {
      gcp: { bucket: 'acme-gcs', projectId: 'acme-prod-1', credentialsSecretArn: secret('palette-onboarding-credentials/acme/gcp') },
      minio: { bucket: 'velero', s3Url: 'https://minio.example.com:9000', credentialsSecretArn: secret('palette-onboarding-credentials/acme/minio') },
      azure: {
        container: 'velero',
        storageAccount: 'acmebackups',
        resourceGroup: 'rg-backup',
        subscriptionId: '0f8e5c2a-1d3b-4a5c-9e7f-0123456789ab',
        credentialsSecretArn: secret('palette-onboarding-credentials/acme/azure'),
      },
    },
  };

  it('derives names and secret names for every registration', () => {
    const { plan } = buildPlan(full, ctx);
    expect(plan.registrations).toMatchObject({
      azureAccount: { name: 'acme-azure', cloud: 'AzurePublicCloud', disablePropertiesRequest: false },
      sshKey: { name: 'acme-ssh', generateBits: 4096, privateKeySecretName: 'palette-onboarding/acme/ssh-private-key' },
      apiKey: { name: 'acme-automation', expiry: '90d', valueSecretName: 'palette-onboarding/acme/palette-api-key', description: 'CI' },
      gcpBackupLocation: { name: 'acme-gcs', bucket: 'acme-gcs', isDefault: false },
      minioBackupLocation: { name: 'acme-minio', forcePathStyle: true, region: 'us-east-1' },
      azureBackupLocation: { name: 'acme-azure-blob', cloud: 'AzurePublicCloud' },
    });
    expect(Object.keys(buildPlan(sts, ctx).plan.registrations).sort()).toEqual(['backupLocation', 'cloudAccount']);
  });

  it("reads only the tenant's own secrets", () => {
    const other = { ...full, azure: { cloudAccount: { credentialsSecretArn: secret('palette-onboarding-credentials/globex/azure') } } };
    expect(issuesOf(other)).toEqual([expect.objectContaining({ path: 'azure.cloudAccount.credentialsSecretArn' })]);
  });

  it('allows at most one default backup location, and names the rest of the bad fields', () => {
    const twoDefaults = { ...full, register: { backupLocation: { isDefault: true } }, backupLocations: { ...full.backupLocations, gcp: { ...full.backupLocations.gcp, isDefault: true } } };
    expect(issuesOf(twoDefaults)[0]?.message).toMatch(/only one backup location may be the default \(register.backupLocation, backupLocations.gcp\)/);
    const bad = {
      ...full,
      sshKey: { publicKey: 'not a key', generate: {} },
      apiKey: { expiry: '5y' },
      backupLocations: { minio: { ...full.backupLocations.minio, forcePathStyle: false, s3Url: 'minio:9000' } },
    };
    expect(issuesOf(bad).map((i) => i.path).sort()).toEqual(
      ['apiKey.expiry', 'backupLocations.minio.forcePathStyle', 'backupLocations.minio.s3Url', 'sshKey.generate', 'sshKey.publicKey'].sort(),
    );
  });
});

describe('a request without an aws section (Azure-only, GCP-only, keys only)', () => {
  const secret = (name: string) => `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}-AbCdEf`;
  const azureOnly = { tenantId: 'acme', azure: { cloudAccount: { credentialsSecretArn: secret('palette-onboarding-credentials/acme/azure') } } };

  it('plans the Palette registrations only: no target, no AWS names, no AWS registration', () => {
    const { plan } = buildAnyPlan(azureOnly, ctx);
    expect(hasAwsPart(plan)).toBe(false);
    expect(plan.target).toBeUndefined();
    expect(Object.keys(plan.registrations)).toEqual(['azureAccount']);
    expect(Object.keys(plan).sort()).toEqual(['deploymentId', 'executionName', 'homeAccountId', 'paletteApiKeySecretArn', 'registrations', 'tags', 'tenantId']);
    expect(awsAccountFacts(plan)).toEqual({ accountId: null, region: null, partition: null, credentialMode: null });
    // A recorded plan parses back as the same kind of plan (the registry keeps it; offboarding and re-validation read it).
    expect(PlanSchema.parse(JSON.parse(JSON.stringify(plan)))).toEqual(plan);
    const gcpOnly = buildAnyPlan(
      { tenantId: 'acme', backupLocations: { gcp: { bucket: 'acme-gcs', projectId: 'acme-prod-1', credentialsSecretArn: secret('palette-onboarding-credentials/acme/gcp') } } },
      ctx,
    );
    expect(Object.keys(gcpOnly.plan.registrations)).toEqual(['gcpBackupLocation']);
  });

  it('an AWS plan missing a field is refused, not read as a plan without an AWS part', () => {
    const { plan } = buildPlan(sts, ctx);
    const { bucketName: _gone, ...broken } = plan;
    expect(PlanSchema.safeParse(broken).success).toBe(false);
  });

  it('names the field when the sections do not go together: nothing to onboard, register or the readiness budget without aws', () => {
    expect(issuesOf({ tenantId: 'acme' })).toEqual([
      { path: '', message: 'nothing to onboard: give the aws section, or at least one of azure, sshKey, apiKey, backupLocations' },
    ]);
    expect(issuesOf({ ...azureOnly, register: { backupLocation: { isDefault: true } } }).map((i) => i.path)).toEqual(['register']);
    expect(issuesOf({ ...azureOnly, options: { readinessTimeoutSeconds: 120 } }).map((i) => i.path)).toEqual(['options.readinessTimeoutSeconds']);
  });
});

describe('apiKeyExpiry', () => {
  const now = new Date('2026-11-28T10:00:00Z');
  it('adds preset durations and ends a custom date at midnight UTC', () => {
    expect(apiKeyExpiry('30d', now).toISOString()).toBe('2026-12-28T10:00:00.000Z');
    expect(apiKeyExpiry('1y', now).toISOString()).toBe('2027-11-28T10:00:00.000Z');
    expect(apiKeyExpiry('2027-01-31', now).toISOString()).toBe('2027-01-31T23:59:59.000Z');
  });
});
