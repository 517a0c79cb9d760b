import { describe, expect, it } from 'vitest';
import { bucketName, executionName } from '../../lambdas/domain/names';
import { buildPlan, parseRequest } from '../../lambdas/domain/plan';
import { bucketNameProblem } from '../../lambdas/domain/request';
import { RequestValidationError } from '../../lambdas/shared/errors';

const ctx = {
  homeAccountId: '000000000000',
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
      cloudAccountName: 'acme-aws',
      registerCloudAccount: true,
      backupLocationName: 'acme-s3',
      backupLocationIsDefault: false,
      readinessTimeoutSeconds: 120,
      tags: { 'palette-onboarding/created-by': 'acme-0123456789ab', 'palette-onboarding/tenant': 'acme' },
    });
    expect(plan.kmsKeyArn).toBeUndefined();
  });

  it('skips the cloud account in static mode unless asked, and needs no AssumeRole in the home account', () => {
    const { plan } = buildPlan({ ...sts, aws: { ...sts.aws, accountId: '000000000000', credentialMode: 'static' } }, ctx);
    expect(plan.registerCloudAccount).toBe(false);
    expect(plan.target.assumeRole).toBe(false);
    const asked = buildPlan({ ...sts, aws: { ...sts.aws, credentialMode: 'static' }, register: { cloudAccount: { enabled: true } } }, ctx);
    expect(asked.plan.registerCloudAccount).toBe(true);
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
      cloudAccountName: 'globex-prod',
      backupLocationName: 'globex-backups',
      backupLocationIsDefault: true,
      readinessTimeoutSeconds: 30,
    });
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
