/**
 * A tenant with everything at once (examples/full-tenant.json): AWS STS account and S3 backup, an Azure cloud
 * account, a generated SSH key, a Palette API key, and GCP, MinIO and Azure backup locations — on the sandbox,
 * through the synthesized state machine. Also: a re-run creates nothing, a failure in one branch compensates
 * every branch, bad input for each part creates nothing, and no secret value leaks.
 */
import { createPublicKey } from 'node:crypto';
import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRequestFile } from '../../cli/request';
import { PaletteClient } from '../../lambdas/services/palette';
import { loadWorkflow, runOnboarding, type LocalRunResult, type LocalWorkflow } from '../../local/runner';
import { prepareRequestFixtures } from '../../local/runner/fixtures';
import { sandboxEndpoints } from '../../local/runner/sandbox';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { eventProblems, leakedSecrets, sandboxSecretValues, SUCCESS_EVENTS } from './lifecycle-events';
import { inventoryWithoutRegistryRecords } from './tenant-world';

let sb: RunningLocalSandbox;
let workflow: LocalWorkflow;
let palette: PaletteClient;
let sm: SecretsManagerClient;

const full = readRequestFile('examples/full-tenant.json') as Record<string, unknown>;

beforeAll(async () => {
  workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 300 } }, palette: { port: 0 }, env: {} });
  palette = new PaletteClient({ baseUrl: sb.palette.endpoint, auth: { type: 'apiKey', apiKey: sb.palette.apiKey }, rateLimit: false });
  sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: sb.aws.endpoint, credentials: { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey } });
}, 300_000);
afterAll(async () => {
  await sb?.stop();
});

/** Everything that exists: sandbox resources of every account, plus every Palette object. */
async function world() {
  const aws = inventoryWithoutRegistryRecords(sb.aws.inventory());
  const names = (kind: string, items: { metadata?: { name?: string; uid?: string } }[]) => items.map((i) => `${kind}:${i.metadata?.name}:${i.metadata?.uid}`);
  const paletteObjects = [
    ...names('aws', await palette.cloudAccounts.aws.list()),
    ...names('azure', await palette.cloudAccounts.azure.list()),
    ...names('ssh', await palette.sshKeys.list()),
    ...names('apikey', await palette.apiKeys.list()),
    ...names('location', await palette.backupLocations.list()),
  ].sort();
  return { aws, palette: paletteObjects };
}

async function secretValue(arn: string): Promise<string> {
  return (await sm.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString ?? '';
}

const statesEntered = (r: LocalRunResult) => r.history.filter((e) => e.type.endsWith('StateEntered')).map((e) => e.state);

describe('a full tenant (examples/full-tenant.json)', () => {
  let first: LocalRunResult;
  beforeAll(async () => {
    first = await runOnboarding(full, { sandbox: sb, workflow });
  }, 240_000);

  it('registers every part and lists each in the summary (identifiers and secret ARNs only)', async () => {
    expect(first.errorMessage).toBeUndefined();
    expect(first.status).toBe('SUCCEEDED');
    const created = { created: true, uid: expect.any(String) };
    expect(first.output).toMatchObject({
      credentialMode: 'sts',
      cloudAccount: { name: 'umbrella-aws', ...created },
      backupLocation: { name: 'umbrella-s3', ...created },
      azureAccount: { name: 'umbrella-azure', ...created },
      sshKey: { name: 'umbrella-ssh', ...created, privateKeySecretArn: expect.stringMatching(/:secret:palette-onboarding\/umbrella\/ssh-private-key-/) },
      apiKey: { name: 'umbrella-automation', ...created, valueSecretArn: expect.stringMatching(/:secret:palette-onboarding\/umbrella\/palette-api-key-/) },
      gcpBackupLocation: { name: 'umbrella-gcs', ...created },
      minioBackupLocation: { name: 'umbrella-minio', ...created },
      azureBackupLocation: { name: 'umbrella-azure-blob', ...created },
      verification: { ok: true },
    });
    // Palette lists them all; exactly one default backup location (the S3 one, as requested).
    expect(await palette.cloudAccounts.azure.findByName('umbrella-azure')).toBeDefined();
    expect(await palette.sshKeys.findByName('umbrella-ssh')).toBeDefined();
    expect(await palette.apiKeys.findByName('umbrella-automation')).toBeDefined();
    const locations = await palette.backupLocations.list();
    expect(locations.map((l) => l.metadata?.name).sort()).toEqual(['umbrella-azure-blob', 'umbrella-gcs', 'umbrella-minio', 'umbrella-s3']);
    expect(locations.filter((l) => l.spec?.isDefault).map((l) => l.metadata?.name)).toEqual(['umbrella-s3']);
  });

  it('stores the generated SSH private key and the API key value, matching what Palette has', async () => {
    const out = first.output as { sshKey: { privateKeySecretArn: string; uid: string }; apiKey: { valueSecretArn: string } };
    const pair = JSON.parse(await secretValue(out.sshKey.privateKeySecretArn)) as { privateKey: string; publicKey: string };
    expect(pair.privateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    const uploaded = await palette.sshKeys.get(out.sshKey.uid);
    expect(uploaded.spec?.publicKey).toMatch(/^ssh-rsa AAAA/);
    // The uploaded public key is the public half of the stored private key.
    const derived = createPublicKey(pair.privateKey).export({ format: 'jwk' });
    expect(uploaded.spec?.publicKey?.split(' ')[1]).toBe(pair.publicKey.split(' ')[1]);
    expect(derived.kty).toBe('RSA');
    const apiKey = JSON.parse(await secretValue(out.apiKey.valueSecretArn)) as { apiKey?: string };
    expect(apiKey.apiKey?.length).toBeGreaterThan(10);
    // The stored API key works against Palette.
    const asTenant = new PaletteClient({ baseUrl: sb.palette.endpoint, auth: { type: 'apiKey', apiKey: apiKey.apiKey ?? '' }, rateLimit: false });
    expect(await asTenant.sshKeys.findByName('umbrella-ssh')).toBeDefined();
  });

  it('no secret value appears in history, output, events or logs', async () => {
    const out = first.output as { sshKey: { privateKeySecretArn: string }; apiKey: { valueSecretArn: string } };
    const apiKey = (JSON.parse(await secretValue(out.apiKey.valueSecretArn)) as { apiKey: string }).apiKey;
    const stored = JSON.parse(await secretValue(out.sshKey.privateKeySecretArn)) as { privateKey: string };
    const privateKeyBody = stored.privateKey.split('\n').find((l) => l.length > 40 && !l.startsWith('-----')) ?? '';
    const azure = JSON.parse(await secretValue('palette-onboarding-credentials/umbrella/azure-app')) as { clientSecret: string };
    const minio = JSON.parse(await secretValue('palette-onboarding-credentials/umbrella/minio-keys')) as { secretAccessKey: string };
    const everything = JSON.stringify({ history: first.history, output: first.output, events: first.events, logs: first.logs, invocations: first.invocations });
    for (const secret of [apiKey, privateKeyBody, azure.clientSecret, minio.secretAccessKey, sb.palette.apiKey]) {
      expect(secret.length).toBeGreaterThan(10);
      expect(everything).not.toContain(secret);
    }
  });

  it("sends the lifecycle events in order, each valid against its schemas (every registration kind's result), none with a secret value", async () => {
    expect(first.events.map((e) => e.detailType)).toEqual(SUCCESS_EVENTS);
    expect(first.events[0]?.detail).toMatchObject({
      registrations: ['cloudAccount', 'backupLocation', 'azureAccount', 'sshKey', 'apiKey', 'gcpBackupLocation', 'minioBackupLocation', 'azureBackupLocation'],
    });
    expect(first.events[3]?.detail).toMatchObject({ registrations: { sshKey: { fingerprint: expect.any(String) }, apiKey: { valueSecretArn: expect.any(String) } } });
    expect(eventProblems(first.events)).toEqual([]);
    const secrets = await sandboxSecretValues(sb);
    // The generated SSH private key, the API key value, the Azure client secret, the MinIO secret key, the Palette API key, ...
    expect(secrets.length).toBeGreaterThanOrEqual(6);
    expect(leakedSecrets(first.events, secrets)).toEqual([]);
  });

  it('a re-run creates nothing new and changes nothing', async () => {
    const before = await world();
    const again = await runOnboarding(full, { sandbox: sb, workflow });
    expect(again.errorMessage).toBeUndefined();
    const unchanged = { created: false, updated: false };
    expect(again.output).toMatchObject({
      cloudAccount: unchanged,
      backupLocation: unchanged,
      azureAccount: unchanged,
      sshKey: unchanged,
      apiKey: unchanged,
      gcpBackupLocation: unchanged,
      minioBackupLocation: unchanged,
      azureBackupLocation: unchanged,
    });
    expect(await world()).toEqual(before);
  }, 240_000);
});

describe('a failure in one branch', () => {
  it('compensates every branch: nothing of the run remains', async () => {
    const request = {
      ...structuredClone(full),
      tenantId: 'brokenmin',
      aws: { accountId: '343434343434', region: 'us-east-1', credentialMode: 'sts' },
      register: { backupLocation: { isDefault: false } },
    } as Record<string, unknown>;
    const json = JSON.stringify(request).replaceAll('palette-onboarding-credentials/umbrella/', 'palette-onboarding-credentials/brokenmin/').replaceAll('umbrella-velero', 'brokenmin-velero');
    const req = JSON.parse(json) as Record<string, unknown>;
    const endpoints = sandboxEndpoints(sb);
    // The MinIO keys are wrong: the MinIO branch fails for good, after the other branches created theirs.
    await sm.send(
      new CreateSecretCommand({
        Name: 'palette-onboarding-credentials/brokenmin/minio-keys',
        SecretString: JSON.stringify({ accessKeyId: 'AKIAWRONGWRONGWRONG1', secretAccessKey: 'wrong-secret-key-value-0123456789' }),
      }),
    );
    const prepared = await prepareRequestFixtures(req, endpoints);
    await fetch(`${sb.aws.endpoint}/_sandbox/accounts`, { method: 'POST', body: JSON.stringify({ accountId: '343434343434' }) });
    const before = await world();
    const result = await runOnboarding(prepared, { sandbox: sb, workflow, fixtures: false });
    expect(result.status).toBe('FAILED');
    expect(result.errorMessage).toMatch(/MinIO|minio|s3:/);
    expect(statesEntered(result)).toEqual(expect.arrayContaining(['UndoRegistrations', 'UndoPrincipal', 'UndoBackupPolicy', 'UndoBucket', 'Failed']));
    const after = await world();
    expect({ ...after, aws: Object.fromEntries(Object.keys(before.aws).map((a) => [a, after.aws[a] ?? {}])) }).toEqual(before);
  }, 240_000);
});

describe('bad input', () => {
  it('names the bad field of every part, and creates nothing', async () => {
    const before = await world();
    const bad = {
      ...structuredClone(full),
      tenantId: 'badparts',
      aws: { accountId: '353535353535', region: 'us-east-1', credentialMode: 'sts' },
      azure: { cloudAccount: { credentialsSecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:palette-onboarding-credentials/umbrella/azure-app', cloud: 'AzureChina' } },
      sshKey: { publicKey: 'ssh-rsa not-base64!' },
      apiKey: { expiry: 'forever' },
      backupLocations: {
        gcp: { bucket: 'b', projectId: 'Bad_Project', credentialsSecretArn: 'nope' },
        minio: { bucket: 'velero', s3Url: 'ftp://minio', forcePathStyle: false, credentialsSecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:palette-onboarding-credentials/badparts/minio' },
        azure: { container: 'Velero', storageAccount: 'UPPER', resourceGroup: 'rg', subscriptionId: 'not-a-uuid', credentialsSecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:palette-onboarding-credentials/badparts/azure' },
      },
    };
    const result = await runOnboarding(bad, { sandbox: sb, workflow, fixtures: false });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RequestValidationError');
    // (Cross-field rules such as "the tenant's own secrets" run once the fields themselves are valid: unit-tested.)
    for (const field of [
      'azure.cloudAccount.cloud',
      'sshKey.publicKey',
      'apiKey.expiry',
      'backupLocations.gcp.bucket',
      'backupLocations.gcp.projectId',
      'backupLocations.gcp.credentialsSecretArn',
      'backupLocations.minio.s3Url',
      'backupLocations.minio.forcePathStyle',
      'backupLocations.azure.container',
      'backupLocations.azure.storageAccount',
      'backupLocations.azure.subscriptionId',
    ]) {
      expect(result.errorMessage).toContain(field);
    }
    expect(statesEntered(result)).toEqual(['Init', 'ValidateRequest', 'RequestTenantId', 'FailureTenantId', 'NotifyFailure', 'Failed']);
    const after = await world();
    expect({ ...after, aws: Object.fromEntries(Object.keys(before.aws).map((a) => [a, after.aws[a] ?? {}])) }).toEqual(before);
  }, 120_000);

  it('rejects an Azure US Government account without a private cloud gateway on Palette SaaS, before creating anything', async () => {
    const request = {
      tenantId: 'govcloud',
      aws: { accountId: '363636363636', region: 'us-east-1', credentialMode: 'sts' },
      azure: { cloudAccount: { credentialsSecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:palette-onboarding-credentials/govcloud/azure-app', cloud: 'AzureUSGovernmentCloud' } },
    };
    const prepared = await prepareRequestFixtures(request, sandboxEndpoints(sb));
    const before = await world();
    const result = await runOnboarding(prepared, { sandbox: sb, workflow, fixtures: false });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RequestValidationError');
    expect(result.errorMessage).toMatch(/azure\.cloudAccount\.privateCloudGateway: required: on Palette SaaS/);
    expect(statesEntered(result)).toEqual(['Init', 'ValidateRequest', 'RequestTenantId', 'FailureTenantId', 'NotifyFailure', 'Failed']);
    const after = await world();
    expect({ ...after, aws: Object.fromEntries(Object.keys(before.aws).map((a) => [a, after.aws[a] ?? {}])) }).toEqual(before);
  }, 180_000);
});
