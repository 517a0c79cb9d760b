/**
 * Issue 13, items 2 and 7, end to end through the synthesized state machine on the sandbox (one sandbox, two runs):
 *
 * 1. examples/sovereign-tenant.json: the S3 location with s3Url / forcePathStyle / caCert, read back from the Palette
 *    emulator; an Azure China account linked to a private cloud gateway named in the request (resolved to its uid);
 *    an Azure China backup location.
 * 2. a gateway that is not Running: the run fails at ReadPaletteIdentity with the field and the state, before any
 *    resource exists (no bucket, policy, role or Palette object; the registry keeps the tenant's request only).
 *
 * Combinatorics (every cloud, every field form, every resolution outcome) are unit- and integration-tested:
 * test/unit/location-fields.test.ts, test/unit/azure-rules.test.ts, test/integration/registrations/location-fields.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRequestFile } from '../../cli/request';
import { PaletteClient } from '../../lambdas/services/palette';
import { loadWorkflow, runOnboarding, type LocalRunResult, type LocalWorkflow } from '../../local/runner';
import { prepareRequestFixtures } from '../../local/runner/fixtures';
import { sandboxEndpoints } from '../../local/runner/sandbox';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { inventoryWithoutRegistryRecords } from './tenant-world';

let sb: RunningLocalSandbox;
let workflow: LocalWorkflow;
let palette: PaletteClient;

const sovereign = readRequestFile('examples/sovereign-tenant.json') as {
  register: { backupLocation: { s3Url: string; caCert: string } };
  azure: { cloudAccount: { privateCloudGateway: { name: string } } };
};

beforeAll(async () => {
  workflow = await loadWorkflow();
  // IAM propagation is not what this file is about: keys and roles work at once (fewer readiness rounds).
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 0 } }, palette: { port: 0 }, env: {} });
  palette = new PaletteClient({ baseUrl: sb.palette.endpoint, auth: { type: 'apiKey', apiKey: sb.palette.apiKey }, rateLimit: false });
}, 300_000);
afterAll(async () => {
  await sb?.stop();
});

const statesEntered = (r: LocalRunResult) => r.history.filter((e) => e.type.endsWith('StateEntered')).map((e) => e.state);

/** Every Palette object of the tenant scope, and every AWS resource of every account. */
async function world() {
  const names = (kind: string, items: { metadata?: { name?: string; uid?: string } }[]) => items.map((i) => `${kind}:${i.metadata?.name}`);
  return {
    aws: inventoryWithoutRegistryRecords(sb.aws.inventory()),
    palette: [
      ...names('aws', await palette.cloudAccounts.aws.list()),
      ...names('azure', await palette.cloudAccounts.azure.list()),
      ...names('location', await palette.backupLocations.list()),
    ].sort(),
  };
}

describe('examples/sovereign-tenant.json', () => {
  let run: LocalRunResult;
  beforeAll(async () => {
    // The runner's fixtures put in a Running gateway of the name the request gives (local/runner/fixtures.ts).
    run = await runOnboarding(sovereign, { sandbox: sb, workflow });
  }, 120_000);

  it('registers the S3 location with its custom endpoint, path style and CA certificate, as Palette reads them back', async () => {
    expect(run.errorMessage).toBeUndefined();
    expect(run.status).toBe('SUCCEEDED');
    const out = run.output as { backupLocation: { uid: string; created: boolean } };
    expect(out.backupLocation.created).toBe(true);
    const location = await palette.backupLocations.s3.get(out.backupLocation.uid);
    expect(location.spec?.config).toMatchObject({
      s3Url: sovereign.register.backupLocation.s3Url,
      s3ForcePathStyle: true,
      caCert: sovereign.register.backupLocation.caCert,
      credentials: { credentialType: 'sts' },
    });
    expect(location.spec?.isDefault).toBe(true);
  });

  it('registers an Azure China account linked to the gateway the request names (resolved to its uid), and an Azure China backup location', async () => {
    const out = run.output as { azureAccount: { uid: string }; azureBackupLocation: { uid: string } };
    const [gateway, ...others] = await palette.privateCloudGateways.findAllByName(sovereign.azure.cloudAccount.privateCloudGateway.name);
    expect(others).toEqual([]);
    expect(gateway?.status?.state).toBe('Running');
    const account = await palette.cloudAccounts.azure.get(out.azureAccount.uid);
    expect(account.spec?.azureEnvironment).toBe('AzureChinaCloud');
    expect(account.metadata?.annotations?.overlordUid).toBe(gateway?.metadata?.uid);
    const blob = await palette.backupLocations.azure.get(out.azureBackupLocation.uid);
    expect(blob.spec?.config.credentials.clientCloud).toBe('azure-china');
    // The gateway was looked up before the first resource was created (ReadPaletteIdentity), then again to link it.
    const overlordCalls = sb.palette.requests().filter((r) => r.path.startsWith('/v1/overlords')).length;
    expect(overlordCalls).toBeGreaterThanOrEqual(2);
  });
});

describe('a private cloud gateway that is not Running', () => {
  it('fails the run at ReadPaletteIdentity, naming the field and the state; nothing is created', async () => {
    const uid = sb.palette.addGateway({ name: 'initrode-pcg', state: 'Pending' });
    const request = {
      tenantId: 'initrode',
      aws: { accountId: '454545454545', region: 'us-east-1', credentialMode: 'sts' },
      azure: {
        cloudAccount: {
          credentialsSecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:palette-onboarding-credentials/initrode/azure-app',
          cloud: 'AzureUSGovernmentCloud',
          privateCloudGateway: { name: 'initrode-pcg' },
        },
      },
    };
    await fetch(`${sb.aws.endpoint}/_sandbox/accounts`, { method: 'POST', body: JSON.stringify({ accountId: '454545454545' }) });
    // The tenant's own Azure credentials secret exists before the run (it is not the run's).
    const prepared = await prepareRequestFixtures(request, sandboxEndpoints(sb));
    const before = await world();
    // Act
    const result = await runOnboarding(prepared, { sandbox: sb, workflow, fixtures: false });
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RequestValidationError');
    expect(result.errorMessage).toBe(
      `Invalid onboarding request: azure.cloudAccount.privateCloudGateway.name: private cloud gateway 'initrode-pcg' (uid ${uid}) is in state Pending, not Running: an account can use only a running gateway`,
    );
    const entered = statesEntered(result);
    expect(entered).toContain('ReadPaletteIdentity');
    for (const state of ['EnsureBucket', 'EnsureBackupPolicy', 'EnsureStsRole', 'EnsureAzureAccount']) expect(entered).not.toContain(state);
    const after = await world();
    expect({ ...after, aws: Object.fromEntries(Object.keys(before.aws).map((a) => [a, after.aws[a] ?? {}])) }).toEqual(before);
  }, 120_000);
});
