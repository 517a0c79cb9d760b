/**
 * The static-mode access-key logic (Prepare / Act / Assess with aws-sdk-client-mock): exactly one active
 * key, stored in Secrets Manager before any old key is removed, rotated only on request; an adopted user's own
 * keys are never deleted; another tenant's user is never touched. The tenant registry is mocked too (the real
 * one is exercised end to end in test/e2e/ownership.test.ts).
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
  DescribeSecretCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildPlan } from '../../lambdas/domain/plan';
import { ensureStaticUser } from '../../lambdas/services/aws/principal';
import { resetEnvCache } from '../../lambdas/shared/env';
import { OwnershipError } from '../../lambdas/shared/errors';

const iam = mockClient(IAMClient);
const sm = mockClient(SecretsManagerClient);
const ddb = mockClient(DynamoDBDocumentClient);

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
  return buildPlan(
    { tenantId: 'acme', aws: { accountId: '000000000000', region: 'us-east-1', credentialMode: 'static', rotateAccessKey, principal: { adopt } } },
    { homeAccountId: '000000000000', deploymentId: 'palette-onboarding', defaultApiKeySecretArn: SECRET_ARN, defaultReadinessSeconds: 60, executionName: 'acme-exec' },
  ).plan;
}

const OURS = [{ Key: 'palette-onboarding/created-by', Value: 'older' }, { Key: 'palette-onboarding/tenant', Value: 'acme' }, { Key: 'palette-onboarding/managed-by', Value: 'palette-onboarding' }];
const existingUser = (Tags = OURS) =>
  iam.on(GetUserCommand).resolves({
    User: { UserName: 'palette-onboarding-acme', UserId: 'AIDA', Path: '/palette-onboarding/', CreateDate: new Date(), Arn: 'arn:aws:iam::000000000000:user/palette-onboarding/palette-onboarding-acme', Tags },
  });
const storedSecret = (keyId: string) =>
  sm.on(DescribeSecretCommand).resolves({ ARN: SECRET_ARN, Tags: [{ Key: 'palette-onboarding/access-key-id', Value: keyId }, ...OURS] });
const keys = (...list: [string, 'Active' | 'Inactive'][]) => ({ AccessKeyMetadata: list.map(([AccessKeyId, Status]) => ({ AccessKeyId, Status })) });

beforeEach(() => {
  iam.reset();
  sm.reset();
  ddb.reset();
  process.env.AWS_REGION = 'us-east-1';
  Object.assign(process.env, { PALETTE_ENDPOINT: 'https://palette.example', HOME_ACCOUNT_ID: '000000000000', TENANT_REGISTRY_TABLE: 'registry' });
  resetEnvCache();
  ddb.on(GetCommand).resolves({ Item: tenantRecord() });
  ddb.on(UpdateCommand).resolves({});
  iam.on(ListAttachedUserPoliciesCommand).resolves({ AttachedPolicies: [{ PolicyArn: POLICY_ARN }] });
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
