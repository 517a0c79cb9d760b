/**
 * ValidateRequest's security checks (lambdas/handlers/validate-request.ts), before anything is read or created: a
 * MinIO endpoint that is http or points at a loopback / link-local / metadata address is a field error; the account
 * guard rejects an account the deployment does not allow (nothing configured: only the home account) without a
 * registry read; an allowed account goes on to the registry. AWS Organizations and DynamoDB are mocked.
 */
import { DescribeAccountCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../lambdas/handlers/validate-request';
import { resetEnvCache } from '../../lambdas/shared/env';
import { RequestValidationError } from '../../lambdas/shared/errors';

const orgs = mockClient(OrganizationsClient);
const ddb = mockClient(DynamoDBDocumentClient);

const HOME = '000000000000';
const TENANT_ACCOUNT = '111111111111';

function env(extra: Record<string, string> = {}): void {
  vi.stubEnv('PALETTE_ENDPOINT', 'https://api.spectrocloud.com');
  vi.stubEnv('PALETTE_API_KEY_SECRET_ARN', `arn:aws:secretsmanager:us-east-1:${HOME}:secret:palette-onboarding/palette-api-key-AbCdEf`);
  vi.stubEnv('HOME_ACCOUNT_ID', HOME);
  vi.stubEnv('TENANT_REGISTRY_TABLE', 'registry');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  for (const key of ['ALLOWED_ORGANIZATION_ID', 'ALLOWED_OU_IDS', 'ALLOWED_ACCOUNT_IDS', 'ALLOW_INSECURE_ENDPOINTS']) vi.stubEnv(key, '');
  for (const [k, v] of Object.entries(extra)) vi.stubEnv(k, v);
  resetEnvCache();
}

const request = (accountId: string, minioUrl?: string) => ({
  tenantId: 'acme',
  aws: { accountId, region: 'us-east-1', credentialMode: 'sts' },
  ...(minioUrl
    ? {
        backupLocations: {
          minio: {
            bucket: 'acme-velero',
            s3Url: minioUrl,
            credentialsSecretArn: `arn:aws:secretsmanager:us-east-1:${HOME}:secret:palette-onboarding-credentials/acme/minio-keys`,
          },
        },
      }
    : {}),
});
const event = (raw: unknown) => ({ raw, execution: { name: 'acme-0123456789ab', startTime: '2026-12-01T00:00:00Z' } });

async function issues(raw: unknown): Promise<{ path: string; message: string }[]> {
  const e = await handler(event(raw)).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RequestValidationError);
  return (e as RequestValidationError).issues;
}

beforeEach(() => {
  orgs.reset();
  ddb.reset();
  ddb.onAnyCommand().resolves({});
});
afterEach(() => {
  vi.unstubAllEnvs();
  resetEnvCache();
});

describe('MinIO endpoint', () => {
  it.each(['https://169.254.169.254', 'https://[::1]:9000', 'https://0x7f.1', 'http://minio.example.com'])(
    '%s is a field error on backupLocations.minio.s3Url, before any AWS call',
    async (url) => {
      env();
      const found = await issues(request(HOME, url));
      expect(found).toEqual([{ path: 'backupLocations.minio.s3Url', message: expect.stringMatching(/must (be an https URL|not point at)/) }]);
      expect(orgs.calls()).toHaveLength(0);
      expect(ddb.calls()).toHaveLength(0);
    },
  );

  it('allowed by the local / testing flag', async () => {
    env({ ALLOW_INSECURE_ENDPOINTS: 'true' });
    // The plan, and the registration kinds it asks for, in branch order (the Started event reports them).
    await expect(handler(event(request(HOME, 'http://127.0.0.1:4566')))).resolves.toMatchObject({
      plan: { tenantId: 'acme' },
      registrationKinds: ['cloudAccount', 'backupLocation', 'minioBackupLocation'],
    });
  });
});

describe('account guard', () => {
  it('nothing configured: another account is a field error on aws.accountId, and the registry is not read', async () => {
    env();
    const found = await issues(request(TENANT_ACCOUNT));
    expect(found).toEqual([
      { path: 'aws.accountId', message: expect.stringContaining('this deployment allows no tenant accounts yet: set allowedOrganizationId') },
    ]);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('nothing configured: the home account is onboarded as before', async () => {
    env();
    await expect(handler(event(request(HOME)))).resolves.toMatchObject({ plan: { target: { accountId: HOME, assumeRole: false } } });
    expect(orgs.calls()).toHaveLength(0);
  });

  it('an allowed account (organization member) goes on to the registry', async () => {
    env({ ALLOWED_ORGANIZATION_ID: 'o-abcdefghij' });
    orgs.on(DescribeAccountCommand).resolves({ Account: { Id: TENANT_ACCOUNT, Arn: `arn:aws:organizations::${HOME}:account/o-abcdefghij/${TENANT_ACCOUNT}`, State: 'ACTIVE' } });
    await expect(handler(event(request(TENANT_ACCOUNT)))).resolves.toMatchObject({ plan: { target: { accountId: TENANT_ACCOUNT, assumeRole: true } } });
    expect(orgs.commandCalls(DescribeAccountCommand)).toHaveLength(1);
    expect(ddb.calls().length).toBeGreaterThan(0);
  });
});
