/**
 * The onboarding workflow end to end on the sandbox (the synthesized state machine, the real bundled
 * handlers, the AWS sandbox and the Palette emulator): both credential modes, re-runs, convergence,
 * compensation after a late failure, the readiness gate catching a wrong external ID and a too-narrow
 * policy, bad input, and a scan proving no secret value leaks into history, output, events or logs.
 *
 * Each scenario uses its own tenant and account, so they do not interfere; they run in order.
 */
import { CreatePolicyVersionCommand, CreateRoleCommand, IAMClient, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRequestFile } from '../../cli/request';
import { backupPolicyDocument } from '../../lambdas/domain/policies';
import { PaletteClient } from '../../lambdas/services/palette';
import { loadWorkflow, runOnboarding, type LocalRunResult, type LocalWorkflow, type RunOptions } from '../../local/runner';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { eventProblems, leakedSecrets, sandboxSecretValues, SUCCESS_EVENTS } from './lifecycle-events';
import { inventoryWithoutRegistryRecords } from './tenant-world';

let sb: RunningLocalSandbox;
let workflow: LocalWorkflow;
let palette: PaletteClient;

beforeAll(async () => {
  workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 300 } }, palette: { port: 0 }, env: {} });
  palette = new PaletteClient({ baseUrl: sb.palette.endpoint, auth: { type: 'apiKey', apiKey: sb.palette.apiKey }, rateLimit: false });
}, 300_000);
afterAll(async () => {
  await sb?.stop();
});

const run = (request: unknown, opts: Partial<RunOptions> = {}): Promise<LocalRunResult> =>
  runOnboarding(request, { sandbox: sb, workflow, ...opts });

const stsRequest = (tenantId: string, accountId: string, extra: Record<string, unknown> = {}) => ({
  tenantId,
  aws: { accountId, region: 'us-east-1', credentialMode: 'sts' },
  ...extra,
});

/** Admin clients inside a member account (through OrganizationAccountAccessRole), as an operator would act. */
async function operatorIn(accountId: string): Promise<{ iam: IAMClient; s3: S3Client }> {
  const base = { region: 'us-east-1', endpoint: sb.aws.endpoint, credentials: { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey } };
  const out = await new STSClient(base).send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/OrganizationAccountAccessRole`, RoleSessionName: 'operator' }),
  );
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('no credentials');
  const credentials = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  return { iam: new IAMClient({ ...base, credentials }), s3: new S3Client({ ...base, credentials, forcePathStyle: true }) };
}

/** Everything that exists: sandbox resources of every account, plus Palette's cloud accounts and backup locations. */
async function world(): Promise<{ aws: Record<string, Record<string, string[]>>; palette: string[] }> {
  const sorted = inventoryWithoutRegistryRecords(sb.aws.inventory());
  const accounts = (await palette.cloudAccounts.aws.list()).map((a) => `cloud-account:${a.metadata?.name}:${a.metadata?.uid}`);
  const locations = (await palette.backupLocations.list()).map((l) => `backup-location:${l.metadata?.name}:${l.metadata?.uid}`);
  return { aws: sorted, palette: [...accounts, ...locations].sort() };
}

/** The world restricted to accounts that existed in `before` (a run may add the tenant's sandbox account). */
function sameAccounts(after: Awaited<ReturnType<typeof world>>, before: Awaited<ReturnType<typeof world>>) {
  return { ...after, aws: Object.fromEntries(Object.keys(before.aws).map((a) => [a, after.aws[a] ?? {}])) };
}

const statesEntered = (r: LocalRunResult) =>
  r.history.filter((e) => e.type.endsWith('StateEntered')).map((e) => e.state);

const ensureTenantAccount = async (accountId: string) => {
  await fetch(`${sb.aws.endpoint}/_sandbox/accounts`, { method: 'POST', body: JSON.stringify({ accountId }) });
};

describe('static mode (examples/static-tenant.json)', () => {
  let result: LocalRunResult;
  let secretAccessKey: string;
  beforeAll(async () => {
    result = await run(readRequestFile('examples/static-tenant.json'));
    const arn = (result.output as { principal?: { credentialsSecretArn?: string } } | undefined)?.principal?.credentialsSecretArn ?? '';
    const sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: sb.aws.endpoint, credentials: { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey } });
    const value = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString ?? '{}') as { accessKeyId?: string; secretAccessKey?: string };
    secretAccessKey = value.secretAccessKey ?? '';
    expect(value.accessKeyId).toBe((result.output as { principal: { accessKeyId: string } }).principal.accessKeyId);
  }, 180_000);

  it('creates the user, stores its one key in Secrets Manager and registers the backup location with secret credentials', async () => {
    expect(result.errorMessage).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({
      credentialMode: 'static',
      principal: { kind: 'static', userName: 'palette-onboarding-globex', created: true, credentialsSecretArn: expect.stringMatching(/:secret:palette-onboarding\/globex\/aws-access-key-/) },
      cloudAccount: { skipped: true },
      backupLocation: { name: 'globex-velero', created: true },
    });
    expect(statesEntered(result)).toContain('EnsureStaticUser');
    expect(statesEntered(result)).not.toContain('EnsureStsRole');
    const location = await palette.backupLocations.findByName('globex-velero', 's3');
    const full = await palette.backupLocations.s3.get(location?.metadata?.uid ?? '');
    expect(full.spec?.config).toMatchObject({ bucketName: 'palette-backup-globex-222222222222-eu-west-1', region: 'eu-west-1', credentials: { credentialType: 'secret' } });
    expect(await palette.cloudAccounts.aws.findByName('globex-aws')).toBeUndefined();
    expect(sb.aws.inventory()['222222222222']?.accessKeys).toHaveLength(1);
  });

  it('no secret value (secret access key, Palette API key) appears in history, output, events or logs', () => {
    expect(secretAccessKey.length).toBeGreaterThan(20);
    expect(result.logs.length).toBeGreaterThan(0);
    const everything = JSON.stringify({ history: result.history, output: result.output, events: result.events, logs: result.logs, invocations: result.invocations });
    expect(everything).toContain((result.output as { principal: { accessKeyId: string } }).principal.accessKeyId);
    expect(everything).not.toContain(secretAccessKey);
    expect(everything).not.toContain(sb.palette.apiKey);
  });

  it('sends Started, Resources Ready, Ready, Registered, Succeeded: each valid against its schemas, none with a secret value', async () => {
    expect(result.events.map((e) => e.detailType)).toEqual(SUCCESS_EVENTS);
    expect(result.events[0]?.detail).toMatchObject({ credentialMode: 'static', registrations: ['backupLocation'] });
    expect(result.events[1]?.detail).toMatchObject({ credentialMode: 'static', principalArn: expect.stringContaining(':user/palette-onboarding/palette-onboarding-globex') });
    expect(eventProblems(result.events)).toEqual([]);
    const secrets = await sandboxSecretValues(sb);
    // The user's secret access key, read from Secrets Manager like every other secret value of the sandbox.
    expect(secrets).toContain(secretAccessKey);
    expect(leakedSecrets(result.events, secrets)).toEqual([]);
  });
});

describe('re-running and changing a request', () => {
  const base = stsRequest('rerun', '333333333333');
  let first: LocalRunResult;
  beforeAll(async () => {
    first = await run(base);
  }, 180_000);

  it('a re-run creates nothing new and changes nothing', async () => {
    expect(first.status).toBe('SUCCEEDED');
    const before = await world();
    const again = await run(base);
    expect(again.status).toBe('SUCCEEDED');
    expect(again.output).toMatchObject({
      bucket: { created: false },
      policy: { created: false, versionCreated: false },
      principal: { created: false },
      cloudAccount: { created: false, updated: false, uid: (first.output as { cloudAccount: { uid: string } }).cloudAccount.uid },
      backupLocation: { created: false, updated: false, uid: (first.output as { backupLocation: { uid: string } }).backupLocation.uid },
    });
    expect(await world()).toEqual(before);
  }, 180_000);

  it('a changed request converges in place: KMS encryption, policy version, default backup location', async () => {
    const before = await world();
    const kmsKeyArn = 'arn:aws:kms:us-east-1:333333333333:key/0f8e5c2a-1d3b-4a5c-9e7f-0123456789ab';
    const changed = {
      ...base,
      aws: { ...base.aws, bucket: { kmsKeyArn, lifecycle: { abortIncompleteMultipartUploadDays: 3 } } },
      register: { backupLocation: { isDefault: true } },
    };
    const result = await run(changed);
    expect(result.errorMessage).toBeUndefined();
    expect(result.output).toMatchObject({
      bucket: { created: false },
      policy: { created: false, versionCreated: true, defaultVersionId: 'v2' },
      principal: { created: false },
      backupLocation: { created: false, updated: true },
    });
    // Same resources as before: converged, nothing duplicated.
    expect(await world()).toEqual(before);
    const { s3 } = await operatorIn('333333333333');
    const enc = await s3.send(new GetBucketEncryptionCommand({ Bucket: 'palette-backup-rerun-333333333333-us-east-1' }));
    expect(enc.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault).toMatchObject({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: kmsKeyArn });
    const uid = (result.output as { backupLocation: { uid: string } }).backupLocation.uid;
    expect((await palette.backupLocations.s3.get(uid)).spec?.isDefault).toBe(true);
    // And once converged, another run changes nothing.
    const settled = await run(changed);
    expect(settled.output).toMatchObject({ policy: { versionCreated: false }, backupLocation: { updated: false } });
  }, 240_000);
});

describe('transient failures', () => {
  it('a connection reset during a Palette create is retried by the state machine and converges without a duplicate', async () => {
    await ensureTenantAccount('888888888888');
    // The client cannot know whether a reset create was applied, so it does not repeat it; Step Functions
    // retries the whole step, which looks the account up by name before creating it.
    sb.palette.configure({ faults: { rules: [{ pathPrefix: '/v1/cloudaccounts/aws', method: 'POST', rate: 1, kind: 'reset', times: 1 }] } });
    try {
      const result = await run(stsRequest('flaky', '888888888888'));
      expect(result.errorMessage).toBeUndefined();
      expect(result.status).toBe('SUCCEEDED');
      // The cloud account's iteration of the Registrations Map was retried (its function, after the reset).
      const retried = result.history.filter((e) => e.type === 'StateRetried').map((e) => e.state);
      expect(retried).toContain('EnsureRegistration');
      const cloudAccountAttempts = result.history.filter((e) => e.type === 'LambdaFunctionScheduled' && e.state === 'EnsureRegistration' && JSON.stringify(e.input).includes('"registration":"cloudAccount"'));
      expect(cloudAccountAttempts).toHaveLength(2);
      expect((await palette.cloudAccounts.aws.list()).filter((a) => a.metadata?.name === 'flaky-aws')).toHaveLength(1);
      expect(result.output).toMatchObject({ cloudAccount: { created: true } });
    } finally {
      sb.palette.configure({ faults: { rules: [] } });
    }
  }, 180_000);
});

describe('adopted buckets', () => {
  it("keeps the bucket's own policy statements and lifecycle rules when it adds its own", async () => {
    await ensureTenantAccount('131313131313');
    const { s3 } = await operatorIn('131313131313');
    const Bucket = 'palette-backup-adopt-131313131313-us-east-1';
    await s3.send(new CreateBucketCommand({ Bucket }));
    const audit = { Sid: 'AllowAudit', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::131313131313:root' }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${Bucket}/*` };
    await s3.send(new PutBucketPolicyCommand({ Bucket, Policy: JSON.stringify({ Version: '2012-10-17', Statement: [audit] }) }));
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket,
        LifecycleConfiguration: { Rules: [{ ID: 'expire-tmp', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 1 } }] },
      }),
    );
    const result = await run(stsRequest('adopt', '131313131313', { aws: { accountId: '131313131313', region: 'us-east-1', credentialMode: 'sts', bucket: { adopt: true, lifecycle: { noncurrentVersionExpirationDays: 30 } } } }));
    expect(result.errorMessage).toBeUndefined();
    expect(result.output).toMatchObject({ bucket: { created: false, adopted: true } });
    const policy = JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket }))).Policy ?? '{}') as { Statement: { Sid?: string }[] };
    expect(policy.Statement.map((st) => st.Sid).sort()).toEqual(['AllowAudit', 'DenyInsecureTransport']);
    const rules = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))).Rules ?? [];
    expect(rules.map((r) => r.ID).sort()).toEqual(['expire-tmp', 'palette-onboarding']);
  }, 180_000);

  it('rejects a bucket with Object Lock (Velero cannot use it) and leaves everything as it was', async () => {
    await ensureTenantAccount('121212121212');
    const { s3 } = await operatorIn('121212121212');
    await s3.send(new CreateBucketCommand({ Bucket: 'palette-backup-locked-121212121212-us-east-1', ObjectLockEnabledForBucket: true }));
    const before = await world();
    const result = await run(stsRequest('locked', '121212121212', { aws: { accountId: '121212121212', region: 'us-east-1', credentialMode: 'sts', bucket: { adopt: true } } }));
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('BucketConfigurationError');
    expect(result.errorMessage).toMatch(/Object Lock/);
    expect(sameAccounts(await world(), before)).toEqual(before);
  }, 180_000);
});

describe('a permanent failure at a late step', () => {
  it('compensates in reverse order and leaves no trace (empty inventory diff), then fails with the cause', async () => {
    await ensureTenantAccount('444444444444');
    const before = await world();
    // Someone deletes the backup location right after it was registered: verification cannot pass.
    const result = await run(stsRequest('latefail', '444444444444'), {
      afterTask: async (_state, output, fn) => {
        if (fn.name === 'ensure-backup-location') await palette.backupLocations.delete((output as { uid: string }).uid);
      },
    });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('VerificationError');
    expect(result.errorMessage).toMatch(/backup location 'latefail-s3' is not listed/);
    const entered = statesEntered(result);
    const undo = ['UndoRegistrations', 'UndoPrincipal', 'UndoBackupPolicy', 'UndoBucket', 'NotifyFailure', 'Failed'];
    expect(entered.filter((s) => s !== undefined && undo.includes(s))).toEqual(undo);
    expect(sameAccounts(await world(), before)).toEqual(before);
    // The registry knows the tenant failed and owns nothing; its lease is free.
    expect(result.history.find((e) => e.type === 'TaskStateExited' && e.state === 'ReleaseTenantOnFailure')?.output).toMatchObject({
      compensation: { tenant: { released: true, status: 'FAILED' } },
    });
    // The progress events up to the failure (no Registered: verification failed), then the failure event.
    expect(result.events.map((e) => e.detailType)).toEqual(['Tenant Onboarding Started', 'Tenant Resources Ready', 'Tenant Ready', 'Tenant Onboarding Failed']);
    expect(result.events.at(-1)).toEqual(
      expect.objectContaining({
        detailType: 'Tenant Onboarding Failed',
        detail: expect.objectContaining({ tenantId: 'latefail', step: 'VerifyRegistrations', error: 'VerificationError', compensation: expect.objectContaining({ bucket: expect.anything(), principal: expect.anything() }) }),
      }),
    );
    expect(eventProblems(result.events)).toEqual([]);
  }, 180_000);

  it('leaves pre-existing resources (role, bucket with data) alone', async () => {
    await ensureTenantAccount('555555555555');
    const { s3, iam } = await operatorIn('555555555555');
    // An operator made the role and the bucket (untagged) before: the run adopts them (explicitly), and must not
    // delete them.
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'palette-onboarding-keep',
        Path: '/palette-onboarding/',
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::555555555555:root' }, Action: 'sts:AssumeRole' }] }),
      }),
    );
    const bucket = 'palette-backup-keep-555555555555-us-east-1';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'backups/existing.tar', Body: 'data' }));
    const before = await world();
    const result = await run(stsRequest('keep', '555555555555', { aws: { accountId: '555555555555', region: 'us-east-1', credentialMode: 'sts', bucket: { adopt: true }, principal: { adopt: true } } }), {
      afterTask: async (_state, output, fn) => {
        if (fn.name === 'ensure-backup-location') await palette.backupLocations.delete((output as { uid: string }).uid);
      },
    });
    expect(result.status).toBe('FAILED');
    expect(result.output).toBeUndefined();
    // The bucket existed before: it is still there (with its data); what the run created is gone. The adopted
    // bucket is the tenant's now, so its name stays claimed for it in the registry.
    const after = sameAccounts(await world(), before);
    const home = sb.aws.accountId;
    const claim = (after.aws[home]?.dynamodbItems ?? []).filter((id) => !(before.aws[home]?.dynamodbItems ?? []).includes(id));
    expect(claim).toEqual([expect.stringContaining(`claim#s3:aws:bucket/${bucket}`)]);
    expect({ ...after, aws: { ...after.aws, [home]: { ...after.aws[home], dynamodbItems: before.aws[home]?.dynamodbItems } } }).toEqual(before);
    expect(sb.aws.inventory()['555555555555']?.buckets).toContain(bucket);
    expect(sb.aws.inventory()['555555555555']?.roles).toContain('palette-onboarding-keep');
    expect(result.events.find((e) => e.detailType === 'Tenant Onboarding Failed')?.detail).toMatchObject({ compensation: { principal: { deleted: [] }, bucket: { deleted: [] } } });
  }, 180_000);
});

describe('the readiness gate', () => {
  it('catches a wrong external ID with a clear reason, within its budget, and compensates', async () => {
    await ensureTenantAccount('666666666666');
    const before = await world();
    const started = Date.now();
    const result = await run(stsRequest('wrongext', '666666666666', { options: { readinessTimeoutSeconds: 10 } }), {
      afterTask: async (state, output) => {
        if (state !== 'EnsureStsRole') return;
        // The role's trust policy ends up with another external ID than Palette's.
        const { iam } = await operatorIn('666666666666');
        const roleName = (output as { arn: string }).arn.split('/').pop() ?? '';
        await iam.send(
          new UpdateAssumeRolePolicyCommand({
            RoleName: roleName,
            PolicyDocument: JSON.stringify({
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999999999999:root' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'not-the-tenant-external-id' } } }],
            }),
          }),
        );
      },
    });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ReadinessTimeoutError');
    expect(result.errorMessage).toMatch(/sts:AssumeRole/);
    expect(result.errorMessage).toMatch(/external ID/);
    // Probed more than once: the gate's state retried while Palette said "not yet", until the budget was spent.
    expect(result.history.filter((e) => e.type === 'StateRetried' && e.state === 'CheckReadiness').length).toBeGreaterThan(0);
    expect(result.history.filter((e) => e.type === 'LambdaFunctionFailed' && e.state === 'CheckReadiness').map((e) => e.error)).toContain('PrincipalNotReady');
    expect(statesEntered(result)).not.toContain('Registrations');
    expect(Date.now() - started).toBeLessThan(120_000);
    expect(sameAccounts(await world(), before)).toEqual(before);
  }, 180_000);

  it('catches a backup policy that lacks s3:PutObject, naming the denied action', async () => {
    await ensureTenantAccount('777777777777');
    const before = await world();
    // No cloud account, so no cluster policies: PaletteControllerPolicy (core) allows s3:PutObject on every bucket.
    const result = await run(stsRequest('narrow', '777777777777', { options: { readinessTimeoutSeconds: 10 }, register: { cloudAccount: { enabled: false } } }), {
      afterTask: async (state, output) => {
        if (state !== 'EnsureBackupPolicy') return;
        const { iam } = await operatorIn('777777777777');
        const doc = backupPolicyDocument({ partition: 'aws', bucketName: 'palette-backup-narrow-777777777777-us-east-1' });
        const narrowed = {
          ...doc,
          Statement: doc.Statement.map((s) => (Array.isArray(s.Action) ? { ...s, Action: s.Action.filter((a) => a !== 's3:PutObject') } : s)),
        };
        await iam.send(new CreatePolicyVersionCommand({ PolicyArn: (output as { policyArn: string }).policyArn, PolicyDocument: JSON.stringify(narrowed), SetAsDefault: true }));
      },
    });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ReadinessTimeoutError');
    expect(result.errorMessage).toMatch(/s3:PutObject/);
    expect(result.errorMessage).toMatch(/backup policy/);
    expect(sameAccounts(await world(), before)).toEqual(before);
  }, 180_000);
});

describe('bad input', () => {
  it('fails in ValidateRequest naming every bad field, and creates nothing', async () => {
    const before = await world();
    const result = await run(readRequestFile('examples/invalid-request.json'));
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RequestValidationError');
    for (const field of ['tenantId', 'aws.accountId', 'aws.region', 'aws.credentialMode', 'aws.bucket.name', 'register.backupLocation.isDefault']) {
      expect(result.errorMessage).toContain(field);
    }
    expect(statesEntered(result)).toEqual(['Init', 'ValidateRequest', 'RequestTenantId', 'FailureTenantId', 'NotifyFailure', 'Failed']);
    expect(sameAccounts(await world(), before)).toEqual(before);
    expect(result.events[0]).toMatchObject({ detailType: 'Tenant Onboarding Failed', detail: { error: 'RequestValidationError' } });
  }, 120_000);
});
