/**
 * Offboarding (issue 12 item 1), through the synthesized Offboarding state machine on the sandbox: onboard, then
 * offboard, for each credential mode and the full tenant; afterwards the tenant account, the workflow's secrets and
 * Palette are as before the onboarding (the bucket retained unless asked; secrets deleted with a recovery window);
 * the registry says OFFBOARDED with what was removed and retained; a re-run is a no-op; re-onboarding works. An
 * offboarding refused because Palette clusters use the tenant's cloud account changes nothing.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkflow, runOffboarding, runOnboarding, type LocalRunResult, type LocalWorkflow } from '../../local/runner';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { REQUEST_SHAPES, type RequestShapeName } from './fixtures/request-shapes';
import { eventProblems, leakedSecrets, sandboxSecretValues } from './lifecycle-events';
import { SandboxWorld } from './tenant-world';

let sb: RunningLocalSandbox;
let workflow: LocalWorkflow;
let world: SandboxWorld;

beforeAll(async () => {
  workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 100 } }, palette: { port: 0 }, env: {} });
  world = new SandboxWorld(sb);
}, 300_000);
afterAll(async () => {
  await sb?.stop();
});

let seq = 0;
const nextAccount = () => `7${String(process.pid % 1000).padStart(3, '0')}${String(seq++).padStart(8, '0')}`;

/** What the tenant has in the world: its account, the workflow's secrets of the tenant, Palette objects and API keys. */
function tenantWorld(tenantId: string, accountId: string) {
  const home = sb.aws.inventory()[sb.aws.accountId]?.secrets ?? [];
  return {
    account: world.inventory(accountId),
    secrets: home.filter((id) => id.includes(`palette-onboarding/${tenantId}/`)).sort(),
    palette: Object.keys(world.paletteObjects()).filter((k) => k.includes(tenantId)).sort(),
    apiKeys: Object.keys(world.paletteApiKeys()).filter((k) => k.includes(tenantId)).sort(),
  };
}

const ok = (r: LocalRunResult) => {
  expect(r.errorMessage, JSON.stringify(r.error ?? r.cause)).toBeUndefined();
  expect(r.status).toBe('SUCCEEDED');
};

async function onboarded(shape: RequestShapeName, tenantId: string) {
  const accountId = nextAccount();
  sb.aws.createAccount(accountId);
  const request = REQUEST_SHAPES[shape](tenantId, accountId);
  const before = tenantWorld(tenantId, accountId);
  const run = await runOnboarding(request, { sandbox: sb, workflow });
  ok(run);
  return { accountId, request, before, onboarding: run, afterOnboarding: tenantWorld(tenantId, accountId) };
}


describe.each(['sts', 'static', 'full'] as const)('onboard, then offboard a %s tenant', (shape) => {
  const tenantId = `off-${shape}`;
  let t: Awaited<ReturnType<typeof onboarded>>;
  let off: LocalRunResult;
  beforeAll(async () => {
    t = await onboarded(shape, tenantId);
    off = await runOffboarding({ tenantId, deleteBucket: shape !== 'sts' }, { sandbox: sb, workflow });
  }, 240_000);

  it('removes everything the onboarding created; the bucket stays unless asked; secrets wait out their recovery window', () => {
    ok(off);
    const after = tenantWorld(tenantId, t.accountId);
    if (shape === 'sts') {
      // Retained by default: the bucket (and what Palette's validation probe left in it), nothing else.
      const bucket = (t.onboarding.output as { bucket: { bucketName: string } }).bucket.bucketName;
      const withoutBucket = (inv: Record<string, string[]>) =>
        Object.fromEntries(Object.entries(inv).map(([type, ids]) => [type, ids.filter((id) => !id.startsWith(bucket))]));
      expect(withoutBucket(after.account)).toEqual(withoutBucket(t.before.account));
      expect(after.account.buckets).toContain(bucket);
    } else {
      expect(after.account).toEqual(t.before.account);
    }
    expect(after.palette).toEqual(t.before.palette);
    expect(after.apiKeys).toEqual(t.before.apiKeys);
    expect(after.secrets.every((id) => id.endsWith('(scheduled for deletion)'))).toBe(true);
    expect(after.secrets.length).toBe(shape === 'sts' ? 0 : shape === 'static' ? 1 : 3);
  });

  it('records the tenant OFFBOARDED with what was removed and retained, and says so in an event', async () => {
    const record = (await world.tenantRecord(tenantId)) as Record<string, any>;
    expect(record.status).toBe('OFFBOARDED');
    expect(record.lease).toBeUndefined();
    expect(record.lastExecution).toMatchObject({ name: off.executionName, kind: 'offboarding', result: 'SUCCEEDED' });
    const summary = off.output as { removed: string[]; retained: { id: string; reason: string }[] };
    expect(record.offboarding).toMatchObject({ executionName: off.executionName, removed: summary.removed, retained: summary.retained });
    const principal = `:${shape === 'sts' ? 'role' : 'user'}/palette-onboarding/palette-onboarding-${tenantId}`;
    expect(summary.removed.some((id) => id.includes(principal)), JSON.stringify(summary.removed)).toBe(true);
    expect(summary.removed.some((id) => id.includes(':policy/'))).toBe(true);
    expect(summary.removed.filter((id) => id.startsWith('palette:'))).toHaveLength({ sts: 2, static: 1, full: 7 }[shape]);
    if (shape !== 'sts') expect(summary.removed).toContain(`arn:aws:s3:::${(t.onboarding.output as { bucket: { bucketName: string } }).bucket.bucketName}`);
    if (shape === 'sts') {
      expect(summary.retained).toEqual([{ id: expect.stringMatching(/^arn:aws:s3:::/), reason: expect.stringContaining('retained with its backups') }]);
      expect(Object.keys(record.resources)).toEqual([expect.stringMatching(/^s3:aws:bucket\//)]);
    } else {
      expect(summary.retained).toEqual([]);
      expect(record.resources).toEqual({});
    }
    // The names go back to the shared namespace, except a retained bucket's.
    const claims = Object.entries(await world.claims()).filter(([, owner]) => owner === tenantId).map(([key]) => key);
    expect(claims).toEqual(shape === 'sts' ? [expect.stringMatching(/^s3:aws:bucket\//)] : []);
    const events = off.events.map((e) => e.detailType);
    expect(events).toEqual(['Tenant Offboarded']);
    // Valid against its zod schema and its committed JSON Schema; no secret value of the sandbox in it.
    expect(eventProblems(off.events)).toEqual([]);
    expect(leakedSecrets(off.events, await sandboxSecretValues(sb))).toEqual([]);
    expect(off.events[0]?.detail).toMatchObject({ tenantId, accountId: t.accountId, removed: summary.removed, retained: summary.retained });
  });

  it('a second offboarding is a no-op', async () => {
    const before = tenantWorld(tenantId, t.accountId);
    const again = await runOffboarding({ tenantId, deleteBucket: shape !== 'sts' }, { sandbox: sb, workflow });
    ok(again);
    expect((again.output as { removed: string[] }).removed).toEqual([]);
    expect(tenantWorld(tenantId, t.accountId)).toEqual(before);
    expect(((await world.tenantRecord(tenantId)) as { status: string }).status).toBe('OFFBOARDED');
  }, 120_000);

  it('the tenant can be onboarded again (restoring its secrets), and ends as it was after the first onboarding', async () => {
    const again = await runOnboarding(t.request, { sandbox: sb, workflow, executionName: `${tenantId}-again` });
    ok(again);
    expect(((await world.tenantRecord(tenantId)) as { status: string }).status).toBe('ACTIVE');
    const now = tenantWorld(tenantId, t.accountId);
    // The same objects under the same names as after the first onboarding (new access key ids and Palette's
    // validation probes aside), the secrets live again.
    const stable = (inv: Record<string, string[]>) => Object.fromEntries(Object.entries(inv).filter(([type]) => type !== 'objects' && !/key/i.test(type)));
    expect(stable(now.account)).toEqual(stable(t.afterOnboarding.account));
    expect(now.palette).toEqual(t.afterOnboarding.palette);
    expect(now.apiKeys).toEqual(t.afterOnboarding.apiKeys);
    expect(now.secrets).toEqual(t.afterOnboarding.secrets);
    expect(now.secrets).toHaveLength({ sts: 0, static: 1, full: 3 }[shape]);
  }, 240_000);
});

describe('an offboarding refused while Palette clusters use the tenant', () => {
  const tenantId = 'off-in-use';
  let t: Awaited<ReturnType<typeof onboarded>>;
  let clusterUid: string;
  beforeAll(async () => {
    t = await onboarded('sts', tenantId);
    const cloudAccount = (t.onboarding.output as { cloudAccount: { uid: string } }).cloudAccount.uid;
    clusterUid = sb.palette.addCluster({ name: 'prod-eks', cloudAccountUid: cloudAccount });
  }, 240_000);

  it('fails naming the cluster, changes nothing, and says so in an event; with force it goes ahead', async () => {
    const before = { world: tenantWorld(tenantId, t.accountId), record: await world.tenantRecord(tenantId), claims: await world.claims() };
    const refused = await runOffboarding({ tenantId }, { sandbox: sb, workflow });
    expect(refused.status).toBe('FAILED');
    expect(refused.error).toBe('TenantInUseError');
    expect(refused.errorMessage).toContain(`cluster 'prod-eks' (${clusterUid})`);
    expect(refused.events.map((e) => [e.detailType, (e.detail as { step?: string }).step])).toEqual([['Tenant Offboarding Failed', 'CheckTenantInUse']]);
    expect(eventProblems(refused.events)).toEqual([]);
    expect({ world: tenantWorld(tenantId, t.accountId), record: await world.tenantRecord(tenantId), claims: await world.claims() }).toEqual(before);

    const forced = await runOffboarding({ tenantId, force: true }, { sandbox: sb, workflow });
    ok(forced);
    expect(((await world.tenantRecord(tenantId)) as { status: string }).status).toBe('OFFBOARDED');
  }, 240_000);
});

describe('a crash right after a registry write', () => {
  it('FinishOffboarding killed after its update: the retried step reports the recorded outcome and the offboarding succeeds', async () => {
    const tenantId = 'off-crash';
    await onboarded('sts', tenantId);
    const off = await runOffboarding({ tenantId }, { sandbox: sb, workflow, crashes: [{ after: 'aws:dynamodb:UpdateItem', state: 'FinishOffboarding' }], retryIntervalOverridesMs: { FinishOffboarding: 100 } });
    ok(off);
    expect(off.crashes?.map((c) => c.state)).toEqual(['FinishOffboarding']);
    const record = (await world.tenantRecord(tenantId)) as Record<string, any>;
    expect(off.output).toMatchObject({ status: 'OFFBOARDED', removed: record.offboarding.removed, retained: record.offboarding.retained });
    expect(record.offboarding.removed.length).toBeGreaterThan(0);
    expect(off.events.map((e) => e.detailType)).toEqual(['Tenant Offboarded']);
  }, 240_000);
});

describe('an offboarding that fails in a removal step', () => {
  it('ends FAILED naming the step; running it again continues where it stopped and ends OFFBOARDED', async () => {
    // Prepare: an onboarded tenant.
    const tenantId = 'off-resume';
    const t = await onboarded('sts', tenantId);

    // Act: a permanent failure right after RemovePrincipal did its work (its result is lost with it).
    const failed = await runOffboarding({ tenantId }, {
      sandbox: sb,
      workflow,
      afterTask: (state) => {
        if (state === 'RemovePrincipal') throw Object.assign(new Error('injected permanent failure after RemovePrincipal'), { name: 'InjectedFailure' });
      },
    });

    // Assess: FAILED, the step named, the tenant FAILED by an offboarding, the steps after it not run.
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toBe('InjectedFailure');
    expect(failed.events.map((e) => [e.detailType, (e.detail as { step?: string }).step])).toEqual([['Tenant Offboarding Failed', 'RemovePrincipal']]);
    expect(eventProblems(failed.events)).toEqual([]);
    const record = (await world.tenantRecord(tenantId)) as { status: string; lastExecution: { kind: string }; lease?: unknown };
    expect({ status: record.status, kind: record.lastExecution.kind, lease: record.lease }).toEqual({ status: 'FAILED', kind: 'offboarding', lease: undefined });
    const bucket = (t.onboarding.output as { bucket: { bucketName: string } }).bucket.bucketName;
    const withoutBucket = (inv: Record<string, string[]>) => Object.fromEntries(Object.entries(inv).map(([type, ids]) => [type, ids.filter((id) => !id.startsWith(bucket))]));
    expect(withoutBucket(world.inventory(t.accountId)), 'the backup policy is still there').not.toEqual(withoutBucket(t.before.account));

    // Act: the same offboarding again.
    const resumed = await runOffboarding({ tenantId }, { sandbox: sb, workflow });

    // Assess: it finished the rest; the world is as before the onboarding except the retained bucket.
    ok(resumed);
    expect(((await world.tenantRecord(tenantId)) as { status: string }).status).toBe('OFFBOARDED');
    const after = tenantWorld(tenantId, t.accountId);
    expect(withoutBucket(after.account)).toEqual(withoutBucket(t.before.account));
    expect(after.account.buckets).toContain(bucket);
    expect({ palette: after.palette, apiKeys: after.apiKeys }).toEqual({ palette: t.before.palette, apiKeys: t.before.apiKeys });
  }, 300_000);
});

describe('the bucket on request', () => {
  it('keeps a bucket holding backups unless purgeBucket, then deletes them with it', async () => {
    const tenantId = 'off-purge';
    const t = await onboarded('sts', tenantId);
    const { s3 } = await world.operatorIn(t.accountId);
    const bucket = (t.onboarding.output as { bucket: { bucketName: string } }).bucket.bucketName;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'backups/velero.tar.gz', Body: 'backup' }));

    const kept = await runOffboarding({ tenantId, deleteBucket: true }, { sandbox: sb, workflow });
    ok(kept);
    expect((kept.output as { retained: { reason: string }[] }).retained).toEqual([{ id: `arn:aws:s3:::${bucket}`, reason: expect.stringContaining('purgeBucket') }]);
    expect(world.inventory(t.accountId).buckets).toContain(bucket);

    const purged = await runOffboarding({ tenantId, deleteBucket: true, purgeBucket: true }, { sandbox: sb, workflow });
    ok(purged);
    expect((purged.output as { removed: string[] }).removed).toEqual([`arn:aws:s3:::${bucket}`]);
    expect(world.inventory(t.accountId)).toEqual(t.before.account);
    expect(Object.values(await world.claims())).not.toContain(tenantId);
  }, 300_000);
});

describe('bad offboarding requests change nothing', () => {
  it.each([
    [{ tenantId: 'never-onboarded' }, 'TenantNotFoundError', "tenant 'never-onboarded' is not in the tenant registry"],
    [{ tenantId: 'x', deleteBucket: false }, 'RequestValidationError', 'tenantId: must be 3-32 characters'],
    [{ tenantId: 'some-tenant', purgeBucket: true }, 'RequestValidationError', 'purgeBucket: purgeBucket needs deleteBucket: true'],
    [{ tenantId: 'some-tenant', deleteBuckets: true }, 'RequestValidationError', 'deleteBuckets'],
  ])('%j fails with %s', async (request, error, message) => {
    const before = inventoryOfEverything();
    const r = await runOffboarding(request, { sandbox: sb, workflow });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe(error);
    expect(r.errorMessage).toContain(message);
    expect(r.events.map((e) => [e.detailType, (e.detail as { step?: string }).step])).toEqual([['Tenant Offboarding Failed', 'ValidateOffboarding']]);
    expect(inventoryOfEverything()).toEqual(before);
  }, 60_000);
});

function inventoryOfEverything() {
  return { aws: sb.aws.inventory(), palette: world.paletteObjects() };
}
