/**
 * The static-mode access-key logic (Prepare / Act / Assess with aws-sdk-client-mock): exactly one active
 * key, stored in Secrets Manager before any old key is removed, rotated only on request; an adopted user's own
 * keys are never deleted; another tenant's user is never touched. The key's secret is reached only through a
 * TenantSecretsAccess session tagged with the plan's tenant and the job (access-key-write; access-key-delete in the
 * undo), never with the function's own credentials. The tenant registry is mocked too (the real one is exercised
 * end to end in test/e2e/ownership.test.ts).
 */
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  NoSuchEntityException,
  TagUserCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildPlan } from '../../lambdas/domain/plan';
import { awsPlan } from '../aws-plan';
import type { SecretJobName } from '../../lambdas/domain/secret-access';
import { ensureStaticUser, undoPrincipal } from '../../lambdas/services/aws/principal';
import { homeClient, tenantSecretsClient } from '../../lambdas/shared/aws-clients';
import { resetEnvCache } from '../../lambdas/shared/env';
import { OwnershipError } from '../../lambdas/shared/errors';

const iam = mockClient(IAMClient);
const sm = mockClient(SecretsManagerClient);
const ddb = mockClient(DynamoDBDocumentClient);
const sts = mockClient(STSClient);

/** The stack's TenantSecretsAccess role (TENANT_SECRETS_ROLE_ARN). */
const SECRETS_ROLE_ARN = 'arn:aws:iam::000000000000:role/PaletteOnboardingStack-TenantSecretsAccessRole-ABC123';

/** The tenant's registry item while this execution holds its lease. */
const tenantRecord = () => ({
  pk: 'tenant#acme',
  type: 'tenant',
  tenantId: 'acme',
  accountId: '000000000000',
  partition: 'aws',
  status: 'ONBOARDING',
  version: 3,
  createdAt: '2026-12-01T00:00:00Z',
  updatedAt: '2026-12-01T00:00:00Z',
  lease: { executionName: 'acme-exec', acquiredAt: '2026-12-01T00:00:00Z', expiresAt: 4_000_000_000 },
  resources: {},
  intents: {},
});

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:palette-onboarding/acme/aws-access-key-AbCdEf';
const POLICY_ARN = 'arn:aws:iam::000000000000:policy/palette-onboarding/palette-onboarding-acme-backup';

function plan(rotateAccessKey = false, adopt = false) {
  // Home account: no AssumeRole, so the mocked clients are used directly.
  return awsPlan(buildPlan(
    { tenantId: 'acme', aws: { accountId: '000000000000', region: 'us-east-1', credentialMode: 'static', rotateAccessKey, principal: { adopt } } },
    { homeAccountId: '000000000000', deploymentId: 'palette-onboarding', defaultApiKeySecretArn: SECRET_ARN, defaultReadinessSeconds: 60, executionName: 'acme-exec' },
  ).plan);
}

const OURS = [{ Key: 'palette-onboarding/created-by', Value: 'older' }, { Key: 'palette-onboarding/tenant', Value: 'acme' }, { Key: 'palette-onboarding/managed-by', Value: 'palette-onboarding' }];
const existingUser = (Tags = OURS) =>
  iam.on(GetUserCommand).resolves({
    User: { UserName: 'palette-onboarding-acme', UserId: 'AIDA', Path: '/palette-onboarding/', CreateDate: new Date(), Arn: 'arn:aws:iam::000000000000:user/palette-onboarding/palette-onboarding-acme', Tags },
  });
const storedSecret = (keyId: string) =>
  sm.on(DescribeSecretCommand).resolves({ ARN: SECRET_ARN, Tags: [{ Key: 'palette-onboarding/access-key-id', Value: keyId }, ...OURS] });
const keys = (...list: [string, 'Active' | 'Inactive'][]) => ({ AccessKeyMetadata: list.map(([AccessKeyId, Status]) => ({ AccessKeyId, Status })) });

/**
 * Every Secrets Manager call went through the tenant's secrets session for `job` (not the function's own client),
 * and that session is an AssumeRole of TenantSecretsAccess tagged tenant = the plan's tenant and job = `job`.
 */
async function expectTenantSecretsSession(job: SecretJobName): Promise<void> {
  const client = tenantSecretsClient(plan(), job);
  expect(client).not.toBe(homeClient(SecretsManagerClient));
  const calls = sm.calls();
  expect(calls.length).toBeGreaterThan(0);
  for (const call of calls) expect(call.thisValue, String(call.args[0]?.constructor.name)).toBe(client);
  // The credentials the SDK resolves before a call (the mocked session expires within the refresh margin, so this
  // assumes the role again whatever an earlier test cached).
  sts.resetHistory();
  await (client.config.credentials as () => Promise<{ accessKeyId: string }>)();
  const assumed = sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input);
  expect(assumed.length).toBeGreaterThan(0);
  for (const input of assumed) {
    expect(input).toMatchObject({ RoleArn: SECRETS_ROLE_ARN, RoleSessionName: 'acme-exec' });
    expect(input.Tags).toEqual([
      { Key: 'palette-onboarding-tenant', Value: 'acme' },
      { Key: 'palette-onboarding-job', Value: job },
    ]);
    expect(input.Policy).toBeUndefined();
  }
}

beforeEach(() => {
  iam.reset();
  sm.reset();
  ddb.reset();
  sts.reset();
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('PALETTE_ENDPOINT', 'https://palette.example');
  vi.stubEnv('HOME_ACCOUNT_ID', '000000000000');
  vi.stubEnv('TENANT_REGISTRY_TABLE', 'registry');
  vi.stubEnv('TENANT_SECRETS_ROLE_ARN', SECRETS_ROLE_ARN);
  resetEnvCache();
  // A session that expires within the refresh margin: every credentials resolution assumes the role again.
  sts.on(AssumeRoleCommand).callsFake(async () => ({
    Credentials: { AccessKeyId: 'ASIASECRETS', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date(Date.now() + 60_000) },
  }));
  ddb.on(GetCommand).resolves({ Item: tenantRecord() });
  ddb.on(UpdateCommand).resolves({});
  iam.on(ListAttachedUserPoliciesCommand).resolves({ AttachedPolicies: [{ PolicyArn: POLICY_ARN }] });
});
afterEach(() => {
  vi.unstubAllEnvs();
  resetEnvCache();
});

describe('ensureStaticUser', () => {
  it('creates the user, attaches the policy and stores a new key straight in Secrets Manager', async () => {
    // Prepare
    iam.on(GetUserCommand).rejects(new NoSuchEntityException({ message: 'no user', $metadata: {} }));
    iam.on(CreateUserCommand).resolves({ User: { UserName: 'palette-onboarding-acme', UserId: 'AIDA', Path: '/palette-onboarding/', CreateDate: new Date(), Arn: 'arn:aws:iam::000000000000:user/palette-onboarding/palette-onboarding-acme' } });
    iam.on(ListAttachedUserPoliciesCommand).resolves({ AttachedPolicies: [] });
    iam.on(ListAccessKeysCommand).resolvesOnce(keys()).resolves(keys(['AKIANEW', 'Active']));
    iam.on(CreateAccessKeyCommand).resolves({ AccessKey: { UserName: 'palette-onboarding-acme', AccessKeyId: 'AKIANEW', SecretAccessKey: 'very-secret', Status: 'Active' } });
    sm.on(DescribeSecretCommand).rejects(new ResourceNotFoundException({ message: 'none', $metadata: {} }));
    sm.on(CreateSecretCommand).resolves({ ARN: SECRET_ARN });
    // Act
    const result = await ensureStaticUser(plan());
    // Assess
    expect(result).toEqual({
      kind: 'static',
      arn: 'arn:aws:iam::000000000000:user/palette-onboarding/palette-onboarding-acme',
      created: true,
      userName: 'palette-onboarding-acme',
      accessKeyId: 'AKIANEW',
      credentialsSecretArn: SECRET_ARN,
    });
    expect(JSON.stringify(result)).not.toContain('very-secret');
    expect(iam.commandCalls(CreateUserCommand)[0]?.args[0].input).toMatchObject({ Path: '/palette-onboarding/', Tags: expect.arrayContaining([{ Key: 'palette-onboarding/created-by', Value: 'acme-exec' }]) });
    expect(iam.commandCalls(AttachUserPolicyCommand)[0]?.args[0].input).toEqual({ UserName: 'palette-onboarding-acme', PolicyArn: POLICY_ARN });
    const created = sm.commandCalls(CreateSecretCommand)[0]?.args[0].input;
    expect(JSON.parse(created?.SecretString ?? '{}')).toEqual({ accessKeyId: 'AKIANEW', secretAccessKey: 'very-secret' });
    expect(created?.Tags).toEqual(expect.arrayContaining([{ Key: 'palette-onboarding/access-key-id', Value: 'AKIANEW' }]));
    expect(iam.commandCalls(DeleteAccessKeyCommand)).toHaveLength(0);
    // The registry: the intent before the create, then the user and its secret recorded, all under the lease.
    const writes = ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    const userKey = 'iam:000000000000:user/palette-onboarding-acme';
    const intent = ddb.commandCalls(UpdateCommand).find((c) => c.args[0].input.UpdateExpression?.startsWith('SET intents.') && c.args[0].input.ExpressionAttributeNames?.['#key'] === userKey);
    const createUser = iam.commandCalls(CreateUserCommand)[0];
    expect(intent !== undefined && createUser !== undefined && intent.calledBefore(createUser)).toBe(true);
    const recorded = writes.filter((w) => w.UpdateExpression?.startsWith('SET resources.')).map((w) => w.ExpressionAttributeValues?.[':resource']);
    expect(recorded).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ part: 'principal', createdBy: 'acme-exec', adopted: false }),
        expect.objectContaining({ part: 'accessKeySecret', id: SECRET_ARN, createdBy: 'acme-exec' }),
      ]),
    );
    expect(writes.every((w) => w.ConditionExpression === '#lease.executionName = :exec' && w.ExpressionAttributeValues?.[':exec'] === 'acme-exec')).toBe(true);
    // The secret: only through the tenant's access-key-write session.
    await expectTenantSecretsSession('access-key-write');
  });

  it('re-run: keeps the stored key, creates nothing and writes no secret', async () => {
    existingUser();
    storedSecret('AKIAOLD');
    iam.on(ListAccessKeysCommand).resolves(keys(['AKIAOLD', 'Active']));
    const result = await ensureStaticUser(plan());
    expect(result).toMatchObject({ created: false, accessKeyId: 'AKIAOLD', credentialsSecretArn: SECRET_ARN });
    expect(iam.commandCalls(CreateAccessKeyCommand)).toHaveLength(0);
    expect(iam.commandCalls(AttachUserPolicyCommand)).toHaveLength(0);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    expect(sm.commandCalls(CreateSecretCommand)).toHaveLength(0);
    // Even the look-up of the stored key goes through the tenant's session.
    await expectTenantSecretsSession('access-key-write');
  });

  it('corrects drift: reactivates the stored key and deletes any other key', async () => {
    existingUser();
    storedSecret('AKIAOLD');
    iam.on(ListAccessKeysCommand).resolves(keys(['AKIAOLD', 'Inactive'], ['AKIASTRAY', 'Active']));
    await ensureStaticUser(plan());
    expect(iam.commandCalls(UpdateAccessKeyCommand)[0]?.args[0].input).toMatchObject({ AccessKeyId: 'AKIAOLD', Status: 'Active' });
    expect(iam.commandCalls(DeleteAccessKeyCommand).map((c) => c.args[0].input.AccessKeyId)).toEqual(['AKIASTRAY']);
  });

  it('rotates on request: stores the new key first, then deletes the old one', async () => {
    existingUser();
    storedSecret('AKIAOLD');
    iam.on(ListAccessKeysCommand).resolvesOnce(keys(['AKIAOLD', 'Active'])).resolves(keys(['AKIAOLD', 'Active'], ['AKIANEW', 'Active']));
    iam.on(CreateAccessKeyCommand).resolves({ AccessKey: { UserName: 'u', AccessKeyId: 'AKIANEW', SecretAccessKey: 's2', Status: 'Active' } });
    sm.on(PutSecretValueCommand).resolves({ ARN: SECRET_ARN });
    sm.on(TagResourceCommand).resolves({});
    const result = await ensureStaticUser(plan(true));
    expect(result.accessKeyId).toBe('AKIANEW');
    const tagged = sm.commandCalls(TagResourceCommand)[0]?.args[0].input.Tags ?? [];
    expect(tagged).toEqual(expect.arrayContaining([{ Key: 'palette-onboarding/access-key-id', Value: 'AKIANEW' }]));
    // created-by of the existing secret is never rewritten
    expect(tagged.some((t) => t.Key === 'palette-onboarding/created-by')).toBe(false);
    const deleted = iam.commandCalls(DeleteAccessKeyCommand).map((c) => c.args[0].input.AccessKeyId);
    expect(deleted).toEqual(['AKIAOLD']);
    // order: the secret holds the new key before the old key is deleted
    const put = sm.commandCalls(PutSecretValueCommand)[0];
    const del = iam.commandCalls(DeleteAccessKeyCommand)[0];
    expect(put !== undefined && del !== undefined && put.calledBefore(del)).toBe(true);
    await expectTenantSecretsSession('access-key-write');
  });

  it('replaces a key whose secret was lost, making room when the user already has two keys', async () => {
    existingUser();
    sm.on(DescribeSecretCommand).rejects(new ResourceNotFoundException({ message: 'none', $metadata: {} }));
    iam.on(ListAccessKeysCommand).resolvesOnce(keys(['AKIA1', 'Active'], ['AKIA2', 'Active'])).resolves(keys(['AKIA2', 'Active'], ['AKIA3', 'Active']));
    iam.on(CreateAccessKeyCommand).resolves({ AccessKey: { UserName: 'u', AccessKeyId: 'AKIA3', SecretAccessKey: 's3', Status: 'Active' } });
    sm.on(CreateSecretCommand).resolves({ ARN: SECRET_ARN });
    const result = await ensureStaticUser(plan());
    expect(result.accessKeyId).toBe('AKIA3');
    expect(iam.commandCalls(DeleteAccessKeyCommand).map((c) => c.args[0].input.AccessKeyId)).toEqual(['AKIA1', 'AKIA2']);
  });

  it('an adopted user keeps the keys it already had: ours is added beside them and only ours is ever replaced', async () => {
    // Prepare: an unmarked user with one key of its own; our secret does not exist yet.
    existingUser([]);
    sm.on(DescribeSecretCommand).rejects(new ResourceNotFoundException({ message: 'none', $metadata: {} }));
    iam.on(ListAccessKeysCommand).resolvesOnce(keys(['AKIATHEIRS', 'Active'])).resolves(keys(['AKIATHEIRS', 'Active'], ['AKIAOURS', 'Active']));
    iam.on(CreateAccessKeyCommand).resolves({ AccessKey: { UserName: 'u', AccessKeyId: 'AKIAOURS', SecretAccessKey: 's4', Status: 'Active' } });
    sm.on(CreateSecretCommand).resolves({ ARN: SECRET_ARN });
    // Act
    const result = await ensureStaticUser(plan(false, true));
    // Assess
    expect(result).toMatchObject({ created: false, adopted: true, accessKeyId: 'AKIAOURS' });
    expect(iam.commandCalls(DeleteAccessKeyCommand)).toHaveLength(0);
    const marks = iam.commandCalls(TagUserCommand)[0]?.args[0].input.Tags ?? [];
    expect(marks).toEqual(expect.arrayContaining([{ Key: 'palette-onboarding/tenant', Value: 'acme' }]));
    expect(marks.some((t) => t.Key === 'palette-onboarding/created-by')).toBe(false);
  });

  it('an adopted user with two keys of its own is refused, never emptied', async () => {
    // Prepare
    existingUser([]);
    sm.on(DescribeSecretCommand).rejects(new ResourceNotFoundException({ message: 'none', $metadata: {} }));
    iam.on(ListAccessKeysCommand).resolves(keys(['AKIAA', 'Active'], ['AKIAB', 'Active']));
    // Act
    const error = await ensureStaticUser(plan(false, true)).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(OwnershipError);
    expect(iam.commandCalls(DeleteAccessKeyCommand)).toHaveLength(0);
    expect(iam.commandCalls(CreateAccessKeyCommand)).toHaveLength(0);
  });

  it("another tenant's user (or an unmarked one without adopt) is refused before anything changes", async () => {
    for (const tags of [[{ Key: 'palette-onboarding/tenant', Value: 'globex' }, { Key: 'palette-onboarding/managed-by', Value: 'palette-onboarding' }], []]) {
      // Prepare
      iam.reset();
      existingUser(tags);
      // Act
      const error = await ensureStaticUser(plan()).catch((e: unknown) => e);
      // Assess
      expect(error).toBeInstanceOf(OwnershipError);
      expect((error as Error).message).toMatch(tags.length > 0 ? /belongs to tenant 'globex'/ : /aws\.principal\.adopt: true/);
      expect(iam.commandCalls(TagUserCommand)).toHaveLength(0);
      expect(iam.commandCalls(AttachUserPolicyCommand)).toHaveLength(0);
      expect(iam.commandCalls(ListAccessKeysCommand)).toHaveLength(0);
    }
  });
});

describe('undoPrincipal', () => {
  it("deletes the key secret this execution created through the tenant's access-key-delete session", async () => {
    // Prepare: the user is already gone; the secret is marked as created by this execution.
    iam.on(GetUserCommand).rejects(new NoSuchEntityException({ message: 'no user', $metadata: {} }));
    sm.on(DescribeSecretCommand).resolves({
      ARN: SECRET_ARN,
      Tags: [{ Key: 'palette-onboarding/created-by', Value: 'acme-exec' }, { Key: 'palette-onboarding/tenant', Value: 'acme' }, { Key: 'palette-onboarding/managed-by', Value: 'palette-onboarding' }],
    });
    sm.on(DeleteSecretCommand).resolves({ ARN: SECRET_ARN });
    // Act
    const result = await undoPrincipal(plan());
    // Assess
    expect(result.deleted).toEqual([SECRET_ARN]);
    expect(sm.commandCalls(DeleteSecretCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: SECRET_ARN, ForceDeleteWithoutRecovery: true }]);
    await expectTenantSecretsSession('access-key-delete');
  });

  it('keeps a key secret this execution did not create', async () => {
    iam.on(GetUserCommand).rejects(new NoSuchEntityException({ message: 'no user', $metadata: {} }));
    storedSecret('AKIAOLD');
    const result = await undoPrincipal(plan());
    expect(result.deleted).toEqual([]);
    expect(result.retained).toEqual([{ id: expect.stringContaining('palette-onboarding/'), reason: 'was not created by this execution' }]);
    expect(sm.commandCalls(DeleteSecretCommand)).toHaveLength(0);
    await expectTenantSecretsSession('access-key-delete');
  });
});
