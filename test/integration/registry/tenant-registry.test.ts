/**
 * The tenant registry service against the sandbox's DynamoDB (the real SDK, conditional writes, no transactions):
 * binding, one lease per tenant (also under concurrency), expiry, names claimed per tenant, resource records under
 * the lease, and release on every outcome. Each test uses its own tenant ids.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlan } from '../../../lambdas/domain/plan';
import type { Plan } from '../../../lambdas/domain/workflow-state';
import {
  acquireTenant,
  checkAdmission,
  getTenant,
  recordIntent,
  recordResource,
  releaseTenant,
} from '../../../lambdas/services/registry/tenant-registry';
import { resetEnvCache } from '../../../lambdas/shared/env';
import { OwnershipError, TenantBindingError, TenantBusyError } from '../../../lambdas/shared/errors';
import { startSandbox, type RunningSandbox } from '../../../local/aws';

let sb: RunningSandbox;
const TABLE = 'registry-test';
const LEASE_SECONDS = 600;

beforeAll(async () => {
  sb = await startSandbox({ port: 0, realism: { iamPropagationMs: 0 } });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: sb.endpoint,
    AWS_REGION: sb.region,
    AWS_ACCESS_KEY_ID: sb.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sb.secretAccessKey,
    PALETTE_ENDPOINT: 'https://palette.example',
    HOME_ACCOUNT_ID: sb.accountId,
    TENANT_REGISTRY_TABLE: TABLE,
    TENANT_LEASE_SECONDS: String(LEASE_SECONDS),
  });
  resetEnvCache();
  const ddb = new DynamoDBClient({ endpoint: sb.endpoint, region: sb.region, credentials: sb });
  await ddb.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}, 60_000);
afterAll(async () => {
  await sb?.stop();
});

function plan(
  tenantId: string,
  executionName: string,
  over: { accountId?: string; bucket?: string; projectUid?: string; cloudAccountName?: string; noAws?: boolean } = {},
): Plan {
  return buildPlan(
    {
      tenantId,
      ...(over.projectUid ? { palette: { projectUid: over.projectUid } } : {}),
      ...(over.noAws
        ? { sshKey: { generate: {} } }
        : { aws: { accountId: over.accountId ?? '111111111111', region: 'us-east-1', credentialMode: 'sts', ...(over.bucket ? { bucket: { name: over.bucket } } : {}) } }),
      ...(over.cloudAccountName ? { register: { cloudAccount: { name: over.cloudAccountName } } } : {}),
    },
    {
      homeAccountId: '000000000000',
      deploymentId: 'palette-onboarding',
      defaultApiKeySecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:palette-onboarding/palette-api-key-AbCdEf',
      defaultReadinessSeconds: 60,
      executionName,
    },
  ).plan;
}

describe('binding and lease', () => {
  it('the first onboarding binds the tenant and takes its lease; the same execution may take it again', async () => {
    // Prepare
    const p = plan('bind-a', 'bind-a-1', { projectUid: 'proj-1' });
    // Act
    const first = await acquireTenant(p, 'bind-a-1');
    const again = await acquireTenant(p, 'bind-a-1');
    // Assess
    expect(first).toMatchObject({ bound: true });
    expect(again).toMatchObject({ bound: false });
    const record = await getTenant('bind-a');
    expect(record).toMatchObject({
      tenantId: 'bind-a',
      accountId: '111111111111',
      partition: 'aws',
      projectUid: 'proj-1',
      status: 'ONBOARDING',
      lease: { executionName: 'bind-a-1' },
      lastExecution: { name: 'bind-a-1' },
      resources: {},
      intents: {},
    });
    expect(record?.version).toBe(2);
  });

  it('a second execution for a busy tenant fails fast with TenantBusyError and changes nothing', async () => {
    // Prepare
    await acquireTenant(plan('busy-a', 'busy-a-1'), 'busy-a-1');
    const before = await getTenant('busy-a');
    // Act
    const error = await acquireTenant(plan('busy-a', 'busy-a-2'), 'busy-a-2').catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(TenantBusyError);
    expect((error as Error).message).toMatch(/being onboarded by execution busy-a-1/);
    expect(await getTenant('busy-a')).toEqual(before);
  });

  it('of several concurrent first onboardings of one tenant exactly one gets the lease', async () => {
    // Act
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => acquireTenant(plan('race-a', `race-a-${i}`), `race-a-${i}`)));
    // Assess
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.every((r) => r.reason instanceof TenantBusyError)).toBe(true);
    const holder = (await getTenant('race-a'))?.lease?.executionName;
    expect(results.findIndex((r) => r.status === 'fulfilled')).toBe(Number(holder?.slice(-1)));
  });

  it('a lease left by a crashed or stopped execution expires and is taken over', async () => {
    // Prepare
    const start = new Date();
    await acquireTenant(plan('expired-a', 'expired-a-1'), 'expired-a-1', undefined, start);
    const later = new Date(start.getTime() + (LEASE_SECONDS + 1) * 1000);
    // Act
    const result = await acquireTenant(plan('expired-a', 'expired-a-2'), 'expired-a-2', undefined, later);
    // Assess
    expect(result).toMatchObject({ tookOverExpiredLease: 'expired-a-1' });
    expect((await getTenant('expired-a'))?.lease?.executionName).toBe('expired-a-2');
  });

  it('another account or project for a bound tenant is TenantBindingError naming both values, before anything is written', async () => {
    // Prepare
    await acquireTenant(plan('bound-a', 'bound-a-1'), 'bound-a-1');
    await recordResource('bound-a', 'bound-a-1', 's3:aws:bucket/x', { part: 'bucket', id: 'arn:aws:s3:::x', name: 'x', adopted: false });
    await releaseTenant(plan('bound-a', 'bound-a-1'), 'bound-a-1', { result: 'SUCCEEDED' });
    const before = await getTenant('bound-a');
    const other = plan('bound-a', 'bound-a-2', { accountId: '222222222222', projectUid: 'proj-9' });
    // Act
    const checked = await checkAdmission(other).catch((e: unknown) => e);
    const acquired = await acquireTenant(other, 'bound-a-2').catch((e: unknown) => e);
    // Assess
    for (const error of [checked, acquired]) {
      expect(error).toBeInstanceOf(TenantBindingError);
      expect((error as Error).message).toMatch(/AWS account 111111111111, but the request names 222222222222/);
      expect((error as Error).message).toMatch(/Palette project \(tenant scope\), but the request names proj-9/);
    }
    expect(await getTenant('bound-a')).toEqual(before);
  });

  it('a tenant whose only onboarding failed and that owns nothing may be bound anew', async () => {
    // Prepare
    await acquireTenant(plan('rebind-a', 'rebind-a-1'), 'rebind-a-1');
    await releaseTenant(plan('rebind-a', 'rebind-a-1'), 'rebind-a-1', { result: 'FAILED', error: 'X' });
    // Act
    await acquireTenant(plan('rebind-a', 'rebind-a-2', { accountId: '333333333333' }), 'rebind-a-2');
    // Assess
    expect(await getTenant('rebind-a')).toMatchObject({ accountId: '333333333333', lease: { executionName: 'rebind-a-2' } });
  });

  it('a tenant with no aws section is bound to no account; its first request with one binds it; after that the aws section stays', async () => {
    // Prepare: an SSH-key-only tenant.
    await acquireTenant(plan('noaws-a', 'noaws-a-1', { noAws: true }), 'noaws-a-1');
    await recordResource('noaws-a', 'noaws-a-1', 'palette:tenant:ssh-key/noaws-a-ssh', { part: 'sshKey', id: 'uid-1', name: 'noaws-a-ssh', adopted: false });
    await releaseTenant(plan('noaws-a', 'noaws-a-1', { noAws: true }), 'noaws-a-1', { result: 'SUCCEEDED' });
    const unbound = await getTenant('noaws-a');
    expect(unbound?.accountId).toBeUndefined();
    expect(unbound?.partition).toBeUndefined();
    // Act: the tenant gets an AWS part.
    await acquireTenant(plan('noaws-a', 'noaws-a-2'), 'noaws-a-2');
    await recordResource('noaws-a', 'noaws-a-2', 's3:aws:bucket/y', { part: 'bucket', id: 'arn:aws:s3:::y', name: 'y', adopted: false });
    await releaseTenant(plan('noaws-a', 'noaws-a-2'), 'noaws-a-2', { result: 'SUCCEEDED' });
    // Assess: bound now; a request without the aws section would leave the AWS resources unmanaged: refused, nothing written.
    expect(await getTenant('noaws-a')).toMatchObject({ accountId: '111111111111', partition: 'aws' });
    const before = await getTenant('noaws-a');
    const withoutAws = plan('noaws-a', 'noaws-a-3', { noAws: true });
    for (const error of [await checkAdmission(withoutAws).catch((e: unknown) => e), await acquireTenant(withoutAws, 'noaws-a-3').catch((e: unknown) => e)]) {
      expect(error).toBeInstanceOf(TenantBindingError);
      expect((error as Error).message).toMatch(/AWS account 111111111111, but the request has no aws section \(aws\)/);
    }
    expect(await getTenant('noaws-a')).toEqual(before);
  });
});

describe('names', () => {
  it("another tenant's bucket or Palette name is rejected at admission and at acquire, naming the field and the owner", async () => {
    // Prepare
    await acquireTenant(plan('names-a', 'names-a-1', { bucket: 'shared-bucket-xyz', cloudAccountName: 'names-a-aws' }), 'names-a-1');
    const intruder = plan('names-b', 'names-b-1', { bucket: 'shared-bucket-xyz' });
    const intruderPalette = plan('names-c', 'names-c-1', { cloudAccountName: 'names-a-aws' });
    // Act
    const bucket = await checkAdmission(intruder).catch((e: unknown) => e);
    const palette = await acquireTenant(intruderPalette, 'names-c-1').catch((e: unknown) => e);
    // Assess
    expect(bucket).toBeInstanceOf(OwnershipError);
    expect((bucket as Error).message).toBe("aws.bucket.name: S3 bucket 'shared-bucket-xyz' belongs to tenant 'names-a' in the tenant registry; choose another name");
    expect(palette).toBeInstanceOf(OwnershipError);
    expect((palette as Error).message).toMatch(/register\.cloudAccount\.name: Palette AWS cloud account 'names-a-aws' belongs to tenant 'names-a'/);
  });

  it("release frees the names an execution claimed for nothing, keeps those of objects the tenant owns, and never touches another tenant's", async () => {
    // Prepare
    const p = plan('free-a', 'free-a-1', { bucket: 'free-a-bucket-1' });
    await acquireTenant(p, 'free-a-1');
    // The bucket exists (recorded); the Palette names were claimed for nothing.
    await recordResource('free-a', 'free-a-1', 's3:aws:bucket/free-a-bucket-1', { part: 'bucket', id: 'arn:aws:s3:::free-a-bucket-1', name: 'free-a-bucket-1', createdBy: 'free-a-1', adopted: false });
    // Act
    const released = await releaseTenant(p, 'free-a-1', { result: 'FAILED', error: 'VerificationError', cause: 'boom' });
    // Assess
    expect(released).toEqual({ released: true, status: 'FAILED', claimsReleased: 2 });
    await expect(checkAdmission(plan('free-b', 'free-b-1', { cloudAccountName: 'free-a-aws' }))).resolves.toBeUndefined();
    await expect(checkAdmission(plan('free-b', 'free-b-1', { bucket: 'free-a-bucket-1' }))).rejects.toBeInstanceOf(OwnershipError);
    expect(await getTenant('free-a')).toMatchObject({ status: 'FAILED', lastExecution: { name: 'free-a-1', result: 'FAILED', error: 'VerificationError', cause: 'boom' } });
    expect((await getTenant('free-a'))?.lease).toBeUndefined();
  });
});

describe('records under the lease, and release', () => {
  it('intents and resources are written only by the lease holder', async () => {
    // Prepare
    await acquireTenant(plan('rec-a', 'rec-a-1'), 'rec-a-1');
    // Act
    await recordIntent('rec-a', 'rec-a-1', 'iam:111111111111:role/x');
    const intruder = await recordIntent('rec-a', 'rec-a-2', 'iam:111111111111:role/y').catch((e: unknown) => e);
    await recordResource('rec-a', 'rec-a-1', 'iam:111111111111:role/x', { part: 'principal', id: 'arn:aws:iam::111111111111:role/x', name: 'x', createdBy: 'rec-a-1', adopted: false });
    // Assess
    expect(intruder).toBeInstanceOf(TenantBusyError);
    const record = await getTenant('rec-a');
    expect(record?.intents).toEqual({});
    expect(record?.resources['iam:111111111111:role/x']).toMatchObject({ part: 'principal', createdBy: 'rec-a-1', recordedBy: 'rec-a-1' });
  });

  it('success makes the tenant ACTIVE and frees the lease; a non-holder release is a no-op', async () => {
    // Prepare
    const p = plan('rel-a', 'rel-a-1');
    await acquireTenant(p, 'rel-a-1');
    // Act
    const other = await releaseTenant(p, 'rel-a-9', { result: 'FAILED' });
    const mine = await releaseTenant(p, 'rel-a-1', { result: 'SUCCEEDED' });
    // Assess
    expect(other).toEqual({ released: false, claimsReleased: 0 });
    expect(mine).toMatchObject({ released: true, status: 'ACTIVE' });
    const record = await getTenant('rel-a');
    expect(record?.lease).toBeUndefined();
    expect(record?.lastExecution).toMatchObject({ name: 'rel-a-1', result: 'SUCCEEDED', finishedAt: expect.any(String) });
    // The lease is free: the next execution takes it.
    await expect(acquireTenant(plan('rel-a', 'rel-a-2'), 'rel-a-2')).resolves.toMatchObject({ bound: false });
  });
});
