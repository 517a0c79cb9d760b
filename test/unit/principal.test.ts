/**
 * The static-mode access-key logic (Prepare / Act / Assess with aws-sdk-client-mock): exactly one active
 * key, stored in Secrets Manager before any old key is removed, rotated only on request.
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
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildPlan } from '../../lambdas/domain/plan';
import { ensureStaticUser } from '../../lambdas/services/aws/principal';

const iam = mockClient(IAMClient);
const sm = mockClient(SecretsManagerClient);

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:palette-onboarding/acme/aws-access-key-AbCdEf';
const POLICY_ARN = 'arn:aws:iam::000000000000:policy/palette-onboarding/palette-onboarding-acme-backup';

function plan(rotateAccessKey = false) {
  // Home account: no AssumeRole, so the mocked clients are used directly.
  return buildPlan(
    { tenantId: 'acme', aws: { accountId: '000000000000', region: 'us-east-1', credentialMode: 'static', rotateAccessKey } },
    { homeAccountId: '000000000000', defaultApiKeySecretArn: SECRET_ARN, defaultReadinessSeconds: 60, executionName: 'acme-exec' },
  ).plan;
}

const existingUser = () =>
  iam.on(GetUserCommand).resolves({
    User: { UserName: 'palette-onboarding-acme', UserId: 'AIDA', Path: '/palette-onboarding/', CreateDate: new Date(), Arn: 'arn:aws:iam::000000000000:user/palette-onboarding/palette-onboarding-acme', Tags: [{ Key: 'palette-onboarding/created-by', Value: 'older' }, { Key: 'palette-onboarding/tenant', Value: 'acme' }, { Key: 'palette-onboarding/managed-by', Value: 'palette-onboarding' }] },
  });
const storedSecret = (keyId: string) =>
  sm.on(DescribeSecretCommand).resolves({ ARN: SECRET_ARN, Tags: [{ Key: 'palette-onboarding/access-key-id', Value: keyId }, { Key: 'palette-onboarding/created-by', Value: 'older' }] });
const keys = (...list: [string, 'Active' | 'Inactive'][]) => ({ AccessKeyMetadata: list.map(([AccessKeyId, Status]) => ({ AccessKeyId, Status })) });

beforeEach(() => {
  iam.reset();
  sm.reset();
  process.env.AWS_REGION = 'us-east-1';
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
});
