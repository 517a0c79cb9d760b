/**
 * The AWS registrations (lambdas/services/registrations/kinds/{cloud-account,backup-location}.ts): the principal's
 * credentials given to Palette (STS role + external ID, or the static user's stored key), project scope, the S3
 * location's isDefault, and what adopting keeps.
 */
import { describe, expect, it, vi } from 'vitest';
import type { AwsPlan, PrincipalResult } from '../../../lambdas/domain/workflow-state';
import { StateInputError } from '../../../lambdas/shared/errors';
import { ensureRegistration } from '../../../lambdas/services/registrations';
import {
  api,
  createSecret,
  CREATED_BY_TAG,
  ensure,
  expectNoSecrets,
  failure,
  getJson,
  h,
  mark,
  newTenant,
  planFor,
  putSecret,
  rawCreate,
  rerun,
  secretValues,
  stsPrincipal,
  TENANT_TAG,
  undo,
  useSandbox,
  writesSince,
} from './harness';

vi.mock('../../../lambdas/services/registry/tenant-registry', () => import('./fake-registry'));

useSandbox();

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A static principal of the plan's tenant: its access key stored in the home account (what EnsureStaticUser returns). */
async function staticPrincipal(plan: AwsPlan, key: { accessKeyId: string; secretAccessKey: string }): Promise<PrincipalResult> {
  secretValues.push(key.secretAccessKey);
  const credentialsSecretArn = await createSecret(plan.accessKeySecretName, key);
  return {
    kind: 'static',
    arn: `arn:aws:iam::${plan.target.accountId}:user/palette-onboarding/${plan.principalName}`,
    created: true,
    userName: plan.principalName,
    accessKeyId: key.accessKeyId,
    credentialsSecretArn,
  };
}

describe('AWS cloud account', () => {
  it('sts: the role and this tenant external ID; nothing is validated here (the readiness gate did)', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id);
    const m = mark();
    // Act
    const result = await ensure('cloudAccount', plan);
    // Assess
    expect(result).toEqual({ uid: expect.any(String), name: `${t.id}-aws`, created: true, updated: false });
    expect(writesSince(m)).toEqual(['POST /v1/cloudaccounts/aws 201']);
    const account = await getJson<Json>(`/v1/cloudaccounts/aws/${result.uid}`);
    expect(account.spec).toMatchObject({ credentialType: 'sts', partition: 'aws', sts: { arn: stsPrincipal(plan).roleArn, externalId: h().identity.externalId } });
  });

  it('static: the stored access key is given to Palette, never returned; a rotated key is pushed on the next run', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { register: { cloudAccount: { enabled: true } } }, { credentialMode: 'static' });
    const principal = await staticPrincipal(plan, { accessKeyId: 'AKIAEXAMPLEKEY000001', secretAccessKey: 'static-secret-access-key-value-0001' });
    // Act
    const result = await ensure('cloudAccount', plan, { principal });
    await putSecret(principal.credentialsSecretArn ?? '', { accessKeyId: 'AKIAEXAMPLEKEY000002', secretAccessKey: 'static-secret-access-key-value-0002' });
    secretValues.push('static-secret-access-key-value-0002');
    const rotated = await ensure('cloudAccount', rerun(plan), { principal });
    // Assess
    expect(result).toMatchObject({ created: true });
    expect(rotated).toEqual({ ...result, created: false, updated: true });
    expectNoSecrets(result);
    const account = await getJson<Json>(`/v1/cloudaccounts/aws/${result.uid}`);
    expect(account.spec).toMatchObject({ credentialType: 'secret', accessKey: 'AKIAEXAMPLEKEY000002', secretKey: '************' });
  });

  it('project scope: the account goes to the project, not to the tenant', async () => {
    // Prepare
    const t = await newTenant();
    const projectUid = h().sb.palette.projectUid;
    const plan = planFor(t.id, {}, { projectUid });
    // Act
    const result = await ensure('cloudAccount', plan);
    // Assess
    expect((await api('GET', `/v1/cloudaccounts/aws/${result.uid}`, undefined, projectUid)).status).toBe(200);
    expect((await api('GET', `/v1/cloudaccounts/aws/${result.uid}`)).status).toBe(404);
    expect((await undo(plan, 'cloudAccount')).deleted).toEqual([`palette:cloud-account/aws/${result.uid}`]);
  });

  it('an adopted account keeps the policy ARNs it has; only the credentials are ours', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { register: { cloudAccount: { adopt: true } } });
    const policyARNs = ['arn:aws:iam::aws:policy/ReadOnlyAccess'];
    const { uid } = await rawCreate('/v1/cloudaccounts/aws', {
      metadata: { name: `${t.id}-aws` },
      spec: { credentialType: 'sts', partition: 'aws', sts: { arn: 'arn:aws:iam::111111111111:role/old', externalId: 'old' }, policyARNs },
    });
    // Act
    const result = await ensure('cloudAccount', plan);
    // Assess
    expect(result).toEqual({ uid, name: `${t.id}-aws`, created: false, updated: true, adopted: true });
    const account = await getJson<Json>(`/v1/cloudaccounts/aws/${uid}`);
    expect(account.spec).toMatchObject({ policyARNs, sts: { arn: stsPrincipal(plan).roleArn, externalId: h().identity.externalId } });
    expect(account.metadata.annotations[CREATED_BY_TAG]).toBeUndefined();
  });

  it('without Palette identity and principal in the step input: StateInputError, nothing called', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id);
    const m = mark();
    // Act
    const error = await failure(ensureRegistration('cloudAccount', { plan }));
    // Assess
    expect(error).toBeInstanceOf(StateInputError);
    expect(error.message).toContain('needs Palette');
    expect(writesSince(m)).toEqual([]);
  });
});

describe('S3 backup location', () => {
  it('the tenant bucket, region and credentials; isDefault as planned', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { register: { backupLocation: { name: `${t.id}-s3`, isDefault: false } } });
    const m = mark();
    // Act
    const result = await ensure('backupLocation', plan);
    // Assess
    expect(result).toEqual({ uid: expect.any(String), name: `${t.id}-s3`, created: true, updated: false });
    expect(writesSince(m)).toEqual(['POST /v1/users/assets/locations/s3 201']);
    const location = await getJson<Json>(`/v1/users/assets/locations/s3/${result.uid}`);
    expect(location.spec).toEqual({
      config: { bucketName: plan.bucketName, region: 'us-east-1', credentials: expect.objectContaining({ credentialType: 'sts' }) },
      isDefault: false,
      type: 's3',
    });
    expect(location.metadata.annotations).toMatchObject({ [CREATED_BY_TAG]: plan.executionName, [TENANT_TAG]: t.id });
  });

  it('a default location made non-default by someone is made the default again (update + setDefault)', async () => {
    // Prepare: project scope, so no other test's default is involved.
    const t = await newTenant();
    const projectUid = h().sb.palette.projectUid;
    const plan = planFor(t.id, { register: { backupLocation: { isDefault: true } } }, { projectUid });
    const first = await ensure('backupLocation', plan);
    const other = await rawCreate(
      '/v1/users/assets/locations/s3',
      { metadata: { name: `${t.id}-other` }, spec: { config: { bucketName: 'other-bucket', region: 'us-east-1', credentials: { credentialType: 'secret', accessKey: 'AKIAOTHER', secretKey: 'x' } }, isDefault: true } },
      projectUid,
    );
    const m = mark();
    // Act
    const again = await ensure('backupLocation', rerun(plan));
    // Assess
    expect(again).toEqual({ ...first, created: false, updated: true });
    expect(writesSince(m)).toEqual(['PUT /v1/users/assets/locations/s3/{uid} 204', 'PATCH /v1/users/assets/locations/s3/{uid}/default 204']);
    const list = await getJson<{ items: Json[] }>('/v1/users/assets/locations', projectUid);
    expect(list.items.filter((l) => l.spec.isDefault).map((l) => l.metadata.uid)).toEqual([first.uid]);
    await api('DELETE', `/v1/users/assets/locations/${other.uid}`, undefined, projectUid);
    await undo(plan, 'backupLocation');
  });

  it("adopting never un-defaults someone's location: an adopted default stays the default although the plan says false", async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { register: { backupLocation: { adopt: true, isDefault: false } } });
    const { uid } = await rawCreate('/v1/users/assets/locations/s3', {
      metadata: { name: `${t.id}-s3`, annotations: { owner: 'ops' } },
      spec: { config: { bucketName: 'their-bucket', region: 'us-east-1', credentials: { credentialType: 'secret', accessKey: 'AKIATHEIRS', secretKey: 'x' } }, isDefault: true },
    });
    // Act
    const adopted = await ensure('backupLocation', plan);
    const rerunResult = await ensure('backupLocation', rerun(plan));
    // Assess
    expect(adopted).toMatchObject({ uid, adopted: true, updated: true });
    expect(rerunResult).toEqual({ uid, name: `${t.id}-s3`, created: false, updated: false });
    const location = await getJson<Json>(`/v1/users/assets/locations/s3/${uid}`);
    expect(location.spec.isDefault).toBe(true);
    expect(location.spec.config).toMatchObject({ bucketName: plan.bucketName });
    expect(location.metadata.annotations).toMatchObject({ owner: 'ops', [TENANT_TAG]: t.id });
    await api('DELETE', `/v1/users/assets/locations/${uid}`);
  });
});
