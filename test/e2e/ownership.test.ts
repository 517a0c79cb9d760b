/**
 * Adversarial tenants, end to end through the synthesized state machine on the sandbox (README "Tenant registry
 * and ownership"):
 * - for every object kind (bucket, policy, role, user, secrets, every Palette registration kind), a second tenant
 *   that names the first tenant's object is rejected with OwnershipError or TenantBindingError, and the first
 *   tenant's AWS objects, Palette objects and registry record are byte-for-byte unchanged;
 * - objects marked for another tenant or another deployment but unknown to the registry are refused by the ensure
 *   step itself, untouched;
 * - an unmarked object is used only with `adopt: true`, keeps its stronger settings, and survives a later
 *   compensation.
 */
import { CreatePolicyCommand, CreateRoleCommand, CreateUserCommand, GetRoleCommand, TagRoleCommand } from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
} from '@aws-sdk/client-s3';
import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PaletteClient } from '../../lambdas/services/palette';
import { loadWorkflow, runOnboarding, type LocalRunResult, type LocalWorkflow, type RunOptions } from '../../local/runner';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { SandboxWorld, type TenantNames } from './tenant-world';

let sb: RunningLocalSandbox;
let workflow: LocalWorkflow;
let palette: PaletteClient;
let world: SandboxWorld;

beforeAll(async () => {
  workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 200 } }, palette: { port: 0 }, env: {} });
  palette = new PaletteClient({ baseUrl: sb.palette.endpoint, auth: { type: 'apiKey', apiKey: sb.palette.apiKey }, rateLimit: false });
  world = new SandboxWorld(sb);
}, 300_000);
afterAll(async () => {
  await sb?.stop();
});

async function run(request: unknown, opts: Partial<RunOptions> = {}): Promise<LocalRunResult> {
  return runOnboarding(request, { sandbox: sb, workflow, ...opts });
}

const secretArn = (tenantId: string, name: string) => `arn:aws:secretsmanager:us-east-1:000000000000:secret:palette-onboarding-credentials/${tenantId}/${name}`;

/** A tenant with every kind of object: STS role, bucket, policy, and every Palette registration. */
function fullTenant(tenantId: string, accountId: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    tenantId,
    aws: { accountId, region: 'us-east-1', credentialMode: 'sts', bucket: { name: `${tenantId}-e2e-backups` } },
    azure: { cloudAccount: { credentialsSecretArn: secretArn(tenantId, 'azure-app') } },
    sshKey: {},
    apiKey: { expiry: '30d' },
    backupLocations: {
      gcp: { bucket: `${tenantId}-velero-gcs`, projectId: `${tenantId}-prod`, credentialsSecretArn: secretArn(tenantId, 'gcp-sa-key') },
      minio: { bucket: `${tenantId}-velero-minio`, s3Url: 'http://127.0.0.1:4566', credentialsSecretArn: secretArn(tenantId, 'minio-keys') },
      azure: {
        container: 'velero',
        storageAccount: `${tenantId.replace(/-/g, '')}blob`,
        resourceGroup: 'rg-backup',
        subscriptionId: '0f8e5c2a-1d3b-4a5c-9e7f-0123456789ab',
        credentialsSecretArn: secretArn(tenantId, 'azure-app'),
      },
    },
    ...over,
  };
}

const namesOf = (tenantId: string, accountId: string): TenantNames => ({
  tenantId,
  accountId,
  bucket: `${tenantId}-e2e-backups`,
  paletteNames: ['aws', 's3', 'azure', 'ssh', 'automation', 'gcs', 'minio', 'azure-blob'].map((s) => `${tenantId}-${s}`),
});

const failedWith = (r: LocalRunResult) => ({ status: r.status, error: r.error, message: r.errorMessage ?? '' });
const statesEntered = (r: LocalRunResult) => r.history.filter((e) => e.type.endsWith('StateEntered')).map((e) => e.state ?? '');

describe('a second tenant naming the first tenant\'s objects', () => {
  const ALPHA = namesOf('alpha', '444444444444');
  const ALPHA_STATIC = { tenantId: 'alpha-static', accountId: '444444444445', bucket: 'palette-backup-alpha-static-444444444445-us-east-1', paletteNames: ['alpha-static-s3'] };
  const BETA_ACCOUNT = '555555555555';
  let before: { alpha: unknown; alphaStatic: unknown };

  beforeAll(async () => {
    await world.operatorIn(BETA_ACCOUNT);
    const alpha = await run(fullTenant('alpha', ALPHA.accountId));
    expect(alpha.errorMessage).toBeUndefined();
    expect(alpha.status).toBe('SUCCEEDED');
    const alphaStatic = await run({ tenantId: 'alpha-static', aws: { accountId: ALPHA_STATIC.accountId, region: 'us-east-1', credentialMode: 'static' } });
    expect(alphaStatic.status).toBe('SUCCEEDED');
    before = { alpha: await world.snapshot(ALPHA), alphaStatic: await world.snapshot(ALPHA_STATIC) };
    // The snapshot really covers alpha's objects (a vacuous snapshot would make every comparison pass).
    const snap = before.alpha as { palette: Record<string, unknown>; role: { role: { Role?: unknown } }; registry: { resources: Record<string, unknown> } };
    expect(Object.keys(snap.palette)).toHaveLength(7);
    expect(snap.role.role.Role).toBeDefined();
    expect(Object.keys(snap.registry.resources).length).toBeGreaterThanOrEqual(12);
  }, 600_000);

  /** Beta (its own account, its own secrets) with one field pointing at alpha's object. */
  const beta = (over: Record<string, unknown>) => fullTenant('beta', BETA_ACCOUNT, over);
  const base = fullTenant('beta', BETA_ACCOUNT);

  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['S3 bucket (aws.bucket.name)', { aws: { ...(base.aws as object), bucket: { name: 'alpha-e2e-backups' } } }, 'OwnershipError', /aws\.bucket\.name: S3 bucket 'alpha-e2e-backups' belongs to tenant 'alpha'/],
    ['AWS cloud account', { register: { cloudAccount: { name: 'alpha-aws' } } }, 'OwnershipError', /register\.cloudAccount\.name: Palette AWS cloud account 'alpha-aws' belongs to tenant 'alpha'/],
    ['S3 backup location', { register: { backupLocation: { name: 'alpha-s3' } } }, 'OwnershipError', /register\.backupLocation\.name: .* 'alpha-s3' belongs to tenant 'alpha'/],
    ['Azure cloud account', { azure: { cloudAccount: { name: 'alpha-azure', credentialsSecretArn: secretArn('beta', 'azure-app') } } }, 'OwnershipError', /azure\.cloudAccount\.name: .* belongs to tenant 'alpha'/],
    ['SSH key', { sshKey: { name: 'alpha-ssh' } }, 'OwnershipError', /sshKey\.name: .* belongs to tenant 'alpha'/],
    ['API key', { apiKey: { name: 'alpha-automation' } }, 'OwnershipError', /apiKey\.name: .* belongs to tenant 'alpha'/],
    ['GCP backup location', { backupLocations: { ...(base.backupLocations as object), gcp: { ...((base.backupLocations as Record<string, object>).gcp), name: 'alpha-gcs' } } }, 'OwnershipError', /backupLocations\.gcp\.name: .* belongs to tenant 'alpha'/],
    ['MinIO backup location', { backupLocations: { ...(base.backupLocations as object), minio: { ...((base.backupLocations as Record<string, object>).minio), name: 'alpha-minio' } } }, 'OwnershipError', /backupLocations\.minio\.name: .* belongs to tenant 'alpha'/],
    ['Azure backup location', { backupLocations: { ...(base.backupLocations as object), azure: { ...((base.backupLocations as Record<string, object>).azure), name: 'alpha-azure-blob' } } }, 'OwnershipError', /backupLocations\.azure\.name: .* belongs to tenant 'alpha'/],
    // Backup location names are one namespace: a GCP location may not take alpha's S3 location name either.
    ['S3 location name for another location type', { backupLocations: { ...(base.backupLocations as object), gcp: { ...((base.backupLocations as Record<string, object>).gcp), name: 'alpha-s3' } } }, 'OwnershipError', /belongs to tenant 'alpha'/],
  ];

  it.each(cases)('%s: rejected with %s before anything is created; alpha unchanged', async (_kind, over, error, message) => {
    // Prepare
    const betaBefore = world.inventory(BETA_ACCOUNT);
    const paletteBefore = Object.keys(world.paletteObjects()).sort();
    // Act
    const result = await run(beta(over));
    // Assess
    expect(failedWith(result)).toMatchObject({ status: 'FAILED', error, message: expect.stringMatching(message) });
    expect(statesEntered(result)).not.toContain('AcquireTenant');
    expect(await world.snapshot(ALPHA)).toEqual(before.alpha);
    expect(world.inventory(BETA_ACCOUNT)).toEqual(betaBefore);
    expect(Object.keys(world.paletteObjects()).sort()).toEqual(paletteBefore);
    expect(await world.tenantRecord('beta')).toBeUndefined();
  });

  it("policy, role and secrets (names derived from the tenant id): alpha's id from another account is TenantBindingError", async () => {
    // Prepare
    const intruder = fullTenant('alpha', BETA_ACCOUNT, { aws: { accountId: BETA_ACCOUNT, region: 'us-east-1', credentialMode: 'sts', bucket: { name: 'intruder-bucket-e2e' } } });
    // Act
    const result = await run(intruder);
    // Assess
    expect(failedWith(result)).toMatchObject({ status: 'FAILED', error: 'TenantBindingError', message: expect.stringMatching(/AWS account 444444444444, but the request names 555555555555/) });
    expect(await world.snapshot(ALPHA)).toEqual(before.alpha);
  });

  it("user and access-key secret: alpha-static's id from another account is TenantBindingError, even with every adopt flag", async () => {
    // Prepare
    const intruder = {
      tenantId: 'alpha-static',
      aws: { accountId: BETA_ACCOUNT, region: 'us-east-1', credentialMode: 'static', bucket: { adopt: true }, backupPolicy: { adopt: true }, principal: { adopt: true } },
    };
    // Act
    const result = await run(intruder);
    // Assess
    expect(failedWith(result)).toMatchObject({ status: 'FAILED', error: 'TenantBindingError', message: expect.stringMatching(/AWS account 444444444445, but the request names 555555555555/) });
    expect(await world.snapshot(ALPHA_STATIC)).toEqual(before.alphaStatic);
  });

  it('alpha itself, re-run, still converges (the registry did not lock its owner out) and changes nothing', async () => {
    // Act
    const again = await run(fullTenant('alpha', ALPHA.accountId), { executionName: 'alpha-rerun-after-attacks' });
    // Assess
    expect(again.status).toBe('SUCCEEDED');
    expect(again.output).toMatchObject({ bucket: { created: false }, cloudAccount: { created: false, updated: false }, sshKey: { created: false } });
    // Only the execution bookkeeping differs (the latest execution and its plan, which names it), and the bucket's
    // versions: Palette's readiness check writes and deletes a probe object on every run.
    type Snap = { registry: Record<string, unknown>; bucket: Record<string, unknown> };
    const comparable = (snap: Snap) => ({
      ...snap,
      bucket: { ...snap.bucket, versions: 0 },
      registry: { ...snap.registry, lastExecution: 0, version: 0, updatedAt: 0, plan: { ...(snap.registry.plan as object), executionName: 0, tags: 0 } },
    });
    const after = (await world.snapshot(ALPHA)) as Snap;
    expect(comparable(after)).toEqual(comparable(before.alpha as Snap));
    expect(after.registry.lease).toBeUndefined();
  });
});

describe('objects marked for someone else but unknown to the registry are refused by the ensure step, untouched', () => {
  it('a Palette cloud account annotated for another tenant', async () => {
    // Prepare: gamma's cloud account name is taken in Palette by an object annotated for delta (made elsewhere).
    const foreign = await palette.cloudAccounts.aws.create({
      metadata: { name: 'gamma-aws', annotations: { 'palette-onboarding/tenant': 'delta', 'palette-onboarding/managed-by': 'palette-onboarding' } },
      spec: { credentialType: 'sts', sts: { arn: 'arn:aws:iam::999999999999:role/x', externalId: 'x' } },
    });
    const objectBefore = world.paletteObjects()['tenant/awsAccounts/gamma-aws'];
    await world.operatorIn('666666666666');
    const gammaBefore = world.inventory('666666666666');
    // Act
    const result = await run({ tenantId: 'gamma', aws: { accountId: '666666666666', region: 'us-east-1', credentialMode: 'sts' } });
    // Assess
    expect(failedWith(result)).toMatchObject({ status: 'FAILED', error: 'OwnershipError', message: expect.stringMatching(/gamma-aws.*belongs to tenant 'delta'/) });
    expect(world.paletteObjects()['tenant/awsAccounts/gamma-aws']).toEqual(objectBefore);
    expect(objectBefore).toMatchObject({ uid: foreign });
    // Compensation removed everything gamma's execution had created; the registry item is FAILED and free.
    expect(world.inventory('666666666666')).toEqual(gammaBefore);
    expect(await world.tenantRecord('gamma')).toMatchObject({ status: 'FAILED', resources: {}, intents: {} });
    expect((await world.tenantRecord('gamma'))?.lease).toBeUndefined();
  });

  it.each([
    ['another tenant', '777777777701', [{ Key: 'palette-onboarding/tenant', Value: 'eta' }, { Key: 'palette-onboarding/managed-by', Value: 'palette-onboarding' }], /IAM role 'palette-onboarding-theta' carries another tenant's mark: IAM refused tenant 'theta''s session/],
    ['another deployment', '777777777702', [{ Key: 'palette-onboarding/tenant', Value: 'theta' }, { Key: 'palette-onboarding/managed-by', Value: 'staging-eu' }], /another palette-onboarding deployment \('staging-eu'/],
    ['nobody (unmarked, no adopt)', '777777777703', [], /set aws\.principal\.adopt: true/],
  ])('an IAM role of the derived name marked for %s', async (_who, accountId, Tags, message) => {
    // Prepare
    const { iam } = await world.operatorIn(accountId);
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'sts:AssumeRole' }] });
    await iam.send(new CreateRoleCommand({ RoleName: 'palette-onboarding-theta', Path: '/palette-onboarding/', AssumeRolePolicyDocument: trust, Tags }));
    const roleBefore = await iam.send(new GetRoleCommand({ RoleName: 'palette-onboarding-theta' }));
    const inventoryBefore = world.inventory(accountId);
    // Act
    const result = await run({ tenantId: 'theta', aws: { accountId, region: 'us-east-1', credentialMode: 'sts' } });
    // Assess
    expect(failedWith(result)).toMatchObject({ status: 'FAILED', error: 'OwnershipError', message: expect.stringMatching(message) });
    const roleAfter = await iam.send(new GetRoleCommand({ RoleName: 'palette-onboarding-theta' }));
    expect(roleAfter.Role).toEqual(roleBefore.Role);
    // Compensation removed the bucket and policy this execution created: nothing else is left, and theta owns
    // nothing (so the next case may bind theta to its own account).
    expect(world.inventory(accountId)).toEqual(inventoryBefore);
    expect(await world.tenantRecord('theta')).toMatchObject({ status: 'FAILED', resources: {}, intents: {} });
  });

  it('a policy and a user of the derived names marked for another tenant; a secret of the derived name in the home account', async () => {
    // Prepare
    const accountId = '777777777790';
    const { iam } = await world.operatorIn(accountId);
    const Tags = [{ Key: 'palette-onboarding/tenant', Value: 'kappa' }, { Key: 'palette-onboarding/managed-by', Value: 'palette-onboarding' }];
    await iam.send(new CreateUserCommand({ UserName: 'palette-onboarding-iota', Path: '/palette-onboarding/', Tags }));
    const inventoryBefore = world.inventory(accountId);
    // Act
    const userRun = await run({ tenantId: 'iota', aws: { accountId, region: 'us-east-1', credentialMode: 'static' } });
    // Assess
    expect(failedWith(userRun)).toMatchObject({ status: 'FAILED', error: 'OwnershipError', message: expect.stringMatching(/IAM user 'palette-onboarding-iota' carries another tenant's mark: IAM refused tenant 'iota''s session/) });
    expect(world.inventory(accountId)).toEqual(inventoryBefore);

    // Prepare: a backup policy of lambda's derived name, marked for kappa.
    const policyAccount = '777777777791';
    const op = await world.operatorIn(policyAccount);
    await op.iam.send(
      new CreatePolicyCommand({
        PolicyName: 'palette-onboarding-lambda-backup',
        Path: '/palette-onboarding/',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*' }] }),
        Tags,
      }),
    );
    const policyInventory = world.inventory(policyAccount);
    // Act
    const policyRun = await run({ tenantId: 'lambda', aws: { accountId: policyAccount, region: 'us-east-1', credentialMode: 'sts' } });
    // Assess
    expect(failedWith(policyRun)).toMatchObject({ status: 'FAILED', error: 'OwnershipError', message: expect.stringMatching(/IAM policy .*palette-onboarding-lambda-backup' carries another tenant's mark: IAM refused tenant 'lambda''s session/) });
    expect(world.inventory(policyAccount)).toEqual(policyInventory);

    // Prepare: the access-key secret name of tenant muon exists, marked for kappa.
    await world.secrets.send(new CreateSecretCommand({ Name: 'palette-onboarding/muon/aws-access-key', SecretString: '{"x":1}', Tags }));
    const secretAccount = '777777777792';
    await world.operatorIn(secretAccount);
    const secretInventory = world.inventory(secretAccount);
    // Act
    const secretRun = await run({ tenantId: 'muon', aws: { accountId: secretAccount, region: 'us-east-1', credentialMode: 'static' } });
    // Assess
    expect(failedWith(secretRun)).toMatchObject({ status: 'FAILED', error: 'OwnershipError', message: expect.stringMatching(/secret 'palette-onboarding\/muon\/aws-access-key' belongs to tenant 'kappa'/) });
    // The user and key this execution created were compensated; the foreign secret still holds its value.
    expect(world.inventory(secretAccount)).toEqual(secretInventory);
    const value = await world.secrets.send(new GetSecretValueCommand({ SecretId: 'palette-onboarding/muon/aws-access-key' }));
    expect(value.SecretString).toBe('{"x":1}');
  });
});

describe('adopting an unmarked object', () => {
  const ACCOUNT = '888888888888';
  const BUCKET = 'zeta-existing-backups';
  const KMS = 'arn:aws:kms:us-east-1:888888888888:key/0f8e5c2a-1d3b-4a5c-9e7f-0123456789ab';
  const theirStatement = { Sid: 'TheirAuditRead', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::888888888888:root' }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` };
  const zeta = (over: Record<string, unknown> = {}) => ({
    tenantId: 'zeta',
    aws: { accountId: ACCOUNT, region: 'us-east-1', credentialMode: 'sts', bucket: { name: BUCKET, kmsKeyArn: KMS, versioning: false, ...over } },
  });

  beforeAll(async () => {
    const { s3 } = await world.operatorIn(ACCOUNT);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: BUCKET,
        ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KMS }, BucketKeyEnabled: true }] },
      }),
    );
    await s3.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: JSON.stringify({ Version: '2012-10-17', Statement: [theirStatement] }) }));
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: BUCKET,
        LifecycleConfiguration: { Rules: [{ ID: 'their-archive', Status: 'Enabled', Filter: { Prefix: 'archive/' }, Expiration: { Days: 365 } }] },
      }),
    );
  }, 60_000);

  it('without adopt: OwnershipError naming the field to set; the bucket is untouched', async () => {
    // Prepare
    const { s3 } = await world.operatorIn(ACCOUNT);
    const tagsBefore = await s3.send(new GetBucketTaggingCommand({ Bucket: BUCKET })).catch((e: Error) => e.name);
    // Act
    const result = await run(zeta());
    // Assess
    expect(failedWith(result)).toMatchObject({ status: 'FAILED', error: 'OwnershipError', message: expect.stringMatching(/S3 bucket 'zeta-existing-backups'.*set aws\.bucket\.adopt: true/) });
    expect(await s3.send(new GetBucketTaggingCommand({ Bucket: BUCKET })).catch((e: Error) => e.name)).toEqual(tagsBefore);
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: BUCKET }))).Status).toBe('Enabled');
  });

  it('with adopt: used, never weakened (KMS, versioning, their policy statement and lifecycle rule kept), marked without created-by', async () => {
    // Act
    const result = await run(zeta({ adopt: true }));
    // Assess
    expect(result.errorMessage).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ bucket: { bucketName: BUCKET, created: false, adopted: true } });
    const { s3 } = await world.operatorIn(ACCOUNT);
    const encryption = await s3.send(new GetBucketEncryptionCommand({ Bucket: BUCKET }));
    expect(encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault).toMatchObject({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KMS });
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: BUCKET }))).Status).toBe('Enabled');
    const policy = JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).Policy ?? '{}') as { Statement: { Sid?: string }[] };
    expect(policy.Statement.map((s) => s.Sid).sort()).toEqual(['DenyInsecureTransport', 'TheirAuditRead']);
    const rules = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: BUCKET }))).Rules ?? [];
    expect(rules.map((r) => r.ID)).toContain('their-archive');
    const tags = Object.fromEntries(((await s3.send(new GetBucketTaggingCommand({ Bucket: BUCKET }))).TagSet ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toMatchObject({ 'palette-onboarding/tenant': 'zeta', 'palette-onboarding/managed-by': 'palette-onboarding' });
    expect(tags['palette-onboarding/created-by']).toBeUndefined();
    const record = await world.tenantRecord('zeta');
    expect((record?.resources as Record<string, unknown>)[`s3:aws:bucket/${BUCKET}`]).toMatchObject({ adopted: true, part: 'bucket' });
  });

  it("adopting never replaces the bucket's KMS key: a request without it is refused", async () => {
    // Act
    const result = await run({ tenantId: 'zeta', aws: { accountId: ACCOUNT, region: 'us-east-1', credentialMode: 'sts', bucket: { name: BUCKET, adopt: true } } });
    // Assess: the bucket is zeta's now, but adopted: its own KMS key stays, so a request that would drop it fails.
    expect(failedWith(result)).toMatchObject({ status: 'FAILED', error: 'BucketConfigurationError', message: expect.stringMatching(/set aws\.bucket\.kmsKeyArn to that key/) });
    const { s3 } = await world.operatorIn(ACCOUNT);
    const encryption = await s3.send(new GetBucketEncryptionCommand({ Bucket: BUCKET }));
    expect(encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('aws:kms');
  });

  it('adopted objects survive the compensation of the very run that adopted them; what it created is removed', async () => {
    // Prepare: an unmarked bucket and an unmarked role of the derived name of tenant omega, with statements of their own.
    const accountId = '888888888889';
    const { iam, s3 } = await world.operatorIn(accountId);
    const theirTrust = { Sid: 'TheirBreakGlass', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: 'sts:AssumeRole' };
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'palette-onboarding-omega',
        Path: '/palette-onboarding/',
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [theirTrust] }),
      }),
    );
    await s3.send(new CreateBucketCommand({ Bucket: 'omega-existing-backups' }));
    const omega = {
      tenantId: 'omega',
      aws: { accountId, region: 'us-east-1', credentialMode: 'sts', bucket: { name: 'omega-existing-backups', adopt: true }, principal: { adopt: true } },
      register: { backupLocation: { name: 'omega-s3' } },
    };
    const inventoryBefore = world.inventory(accountId);
    // Act: the run adopts both, then fails late (an SSH key that is not a key: a permanent error in Registrations).
    const failed = await run({ ...omega, sshKey: { publicKey: 'ssh-rsa AAAA not-a-key' } });
    // Assess
    expect(failedWith(failed)).toMatchObject({ status: 'FAILED', error: 'RequestValidationError' });
    expect(statesEntered(failed)).toEqual(expect.arrayContaining(['EnsureStsRole', 'UndoRegistrations', 'UndoPrincipal', 'UndoBucket']));
    // The adopted bucket and role are still there (now marked for omega); the policy this run created is gone.
    const adoptedRole = await iam.send(new GetRoleCommand({ RoleName: 'palette-onboarding-omega' }));
    const trust = JSON.parse(decodeURIComponent(adoptedRole.Role?.AssumeRolePolicyDocument ?? '')) as { Statement: { Sid?: string }[] };
    expect(trust.Statement.map((st) => st.Sid).sort()).toEqual(['PaletteAssumeRole', 'TheirBreakGlass']);
    expect(Object.fromEntries((adoptedRole.Role?.Tags ?? []).map((t) => [t.Key, t.Value]))).toEqual({
      'palette-onboarding/tenant': 'omega',
      'palette-onboarding/managed-by': 'palette-onboarding',
    });
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: 'omega-existing-backups' }))).TagSet).not.toContainEqual(
      expect.objectContaining({ Key: 'palette-onboarding/created-by' }),
    );
    expect(world.inventory(accountId)).toEqual(inventoryBefore);
    expect(await palette.backupLocations.findByName('omega-s3', 's3')).toBeUndefined();
    const record = await world.tenantRecord('omega');
    expect(record).toMatchObject({ status: 'FAILED' });
    expect(Object.values(record?.resources as Record<string, { part: string; adopted: boolean }>).map((r) => [r.part, r.adopted]).sort()).toEqual([
      ['bucket', true],
      ['principal', true],
    ]);

    // Act: the same tenant without the bad key succeeds on what it adopted.
    const ok = await run(omega);
    // Assess
    expect(ok.status).toBe('SUCCEEDED');
    // Still adopted (the registry remembers): its settings stay its own on every later run.
    expect(ok.output).toMatchObject({ bucket: { adopted: true, created: false }, principal: { adopted: true, created: false } });
  });
});
