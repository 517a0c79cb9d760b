/**
 * A tenant without an aws section (issue 13 item 6; README "The request"), through the synthesized state machines on
 * the sandbox: an Azure account and a GCP backup location are registered with no call in any AWS account but the home
 * account's (no role assumed, no bucket, no IAM); the events and the summary say so with null AWS fields; the registry
 * binds the tenant to no account; a second run changes nothing; re-validation checks its registrations only; offboarding
 * removes the Palette objects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkflow, runOffboarding, runOnboarding, runRevalidation, type LocalRunResult, type LocalWorkflow } from '../../local/runner';
import { paletteFetch } from '../../local/palette/http';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { credentialsSecretArn } from './fixtures/request-shapes';
import { eventProblems } from './lifecycle-events';
import { SandboxWorld } from './tenant-world';

const TENANT = 'skyonly';
const request = {
  tenantId: TENANT,
  azure: { cloudAccount: { credentialsSecretArn: credentialsSecretArn(TENANT, 'azure-app') } },
  backupLocations: { gcp: { bucket: `${TENANT}-gcs`, projectId: `${TENANT}-proj`, credentialsSecretArn: credentialsSecretArn(TENANT, 'gcp-sa-key') } },
};

let sb: RunningLocalSandbox;
let workflow: LocalWorkflow;
let world: SandboxWorld;
let first: LocalRunResult;

beforeAll(async () => {
  workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 100 } }, palette: { port: 0 }, env: {} });
  world = new SandboxWorld(sb);
  first = await runOnboarding(request, { sandbox: sb, workflow, recordCalls: true });
}, 300_000);
afterAll(async () => {
  await sb?.stop();
});

const ok = (r: LocalRunResult) => {
  expect(r.errorMessage, JSON.stringify(r.error ?? r.cause)).toBeUndefined();
  expect(r.status).toBe('SUCCEEDED');
};
const tenantObjects = () => Object.keys(world.paletteObjects()).filter((k) => k.includes(TENANT)).sort();

describe('a tenant with no aws section', () => {
  it('registers its Azure account and GCP location without touching AWS beyond the home account', () => {
    ok(first);
    expect(first.output).toMatchObject({
      tenantId: TENANT,
      accountId: null,
      region: null,
      partition: null,
      credentialMode: null,
      bucket: null,
      policy: null,
      clusterPolicies: null,
      principal: null,
      cloudAccount: { skipped: true },
      backupLocation: { skipped: true },
      azureAccount: { created: true },
      gcpBackupLocation: { created: true },
    });
    // Nothing of the AWS part: TenantResources' steps return null without a call, no principal, no readiness gate.
    const entered = first.history.filter((h) => h.type.endsWith('StateEntered')).map((h) => h.state);
    expect(entered).toEqual(expect.arrayContaining(['TenantResources', 'NoAwsPrincipal', 'Registrations', 'EnsureRegistration']));
    for (const st of ['EnsureStsRole', 'EnsureStaticUser', 'CheckReadiness']) {
      expect(entered, st).not.toContain(st);
    }
    expect((first.calls ?? []).filter((c) => ['EnsureBucket', 'EnsureBackupPolicy', 'EnsureClusterPolicies'].includes(c.state))).toEqual([]);
    // The Map ran the two requested kinds' functions only.
    expect(new Set((first.calls ?? []).filter((c) => c.state === 'EnsureRegistration').map((c) => c.function))).toEqual(new Set(['ensure-azure-account', 'ensure-gcp-backup-location']));
    // The functions called the registry and read the credentials' secrets (through the home account's tenant-secrets
    // session role): no IAM, S3 or Organizations call, nothing in another account.
    const awsCalls = (first.calls ?? []).filter((c) => c.target === 'aws');
    expect(new Set(awsCalls.map((c) => c.operation.split(':')[1]))).toEqual(new Set(['dynamodb', 'secretsmanager', 'sts']));
    expect(new Set(awsCalls.filter((c) => c.operation.startsWith('aws:sts:')).map((c) => `${c.function} ${c.operation}`))).toEqual(
      new Set(['ensure-azure-account aws:sts:AssumeRole', 'ensure-gcp-backup-location aws:sts:AssumeRole']),
    );
    expect(new Set(awsCalls.map((c) => c.accountId))).toEqual(new Set([sb.aws.accountId]));
    expect(tenantObjects()).toHaveLength(2);
  });

  it('sends events whose AWS fields are null, each valid for its committed schema', () => {
    expect(eventProblems(first.events)).toEqual([]);
    const started = first.events.find((e) => e.detailType === 'Tenant Onboarding Started');
    expect(started?.detail).toMatchObject({ accountId: null, region: null, credentialMode: null, registrations: ['azureAccount', 'gcpBackupLocation'] });
  });

  it('is bound to no AWS account in the registry; a second run changes nothing', async () => {
    const record = (await world.tenantRecord(TENANT)) as Record<string, unknown>;
    expect(record).toMatchObject({ status: 'ACTIVE' });
    expect(record.accountId).toBeUndefined();
    expect(Object.values(record.resources as Record<string, { part: string }>).map((r) => r.part).sort()).toEqual(['azureAccount', 'gcpBackupLocation']);
    const before = world.paletteObjects();
    const second = await runOnboarding(request, { sandbox: sb, workflow, executionName: `${TENANT}-second` });
    ok(second);
    expect(second.output).toMatchObject({ azureAccount: { created: false, updated: false }, gcpBackupLocation: { created: false, updated: false } });
    expect(world.paletteObjects()).toEqual(before);
  }, 120_000);

  it('is re-validated without an AWS check; an Azure account deleted out of band is found', async () => {
    const healthy = await runRevalidation({ tenantId: TENANT }, { sandbox: sb, workflow });
    ok(healthy);
    expect(await world.tenantRecord(TENANT)).toMatchObject({ status: 'ACTIVE', drift: { findings: [] } });
    const azure = Object.entries(world.paletteObjects()).find(([k]) => k.endsWith(`/${TENANT}-azure`))?.[1] as { uid: string };
    const deleted = await paletteFetch(sb.palette.endpoint, 'DELETE', `/v1/cloudaccounts/azure/${azure.uid}`, { headers: { ApiKey: sb.palette.apiKey } });
    expect(deleted.status).toBeLessThan(300);
    const drifted = await runRevalidation({ tenantId: TENANT }, { sandbox: sb, workflow, executionName: `${TENANT}-revalidate-2` });
    ok(drifted);
    const record = (await world.tenantRecord(TENANT)) as { status: string; drift: { findings: { check: string; resource: string }[] } };
    expect(record.status).toBe('DRIFTED');
    expect(record.drift.findings.map((f) => `${f.check} ${f.resource}`)).toEqual([`registered palette:tenant:cloud-account/azure/${TENANT}-azure`]);
  }, 120_000);

  it('is offboarded: its Palette objects removed, the registry OFFBOARDED, the event with a null account', async () => {
    const off = await runOffboarding({ tenantId: TENANT }, { sandbox: sb, workflow });
    ok(off);
    expect(tenantObjects()).toEqual([]);
    expect(await world.tenantRecord(TENANT)).toMatchObject({ status: 'OFFBOARDED' });
    expect(off.events.find((e) => e.detailType === 'Tenant Offboarded')?.detail).toMatchObject({ tenantId: TENANT, accountId: null });
    expect(eventProblems(off.events)).toEqual([]);
  }, 120_000);
});
