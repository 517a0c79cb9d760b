/**
 * One execution per tenant, end to end: two executions for one tenant started at the same time (two processes,
 * as two `palette-onboard start --local` would, against one running sandbox) — exactly one runs, the other ends
 * with TenantBusyError and creates nothing; the lease is free afterwards. A lease left by a crashed or stopped
 * execution expires and the next execution takes the tenant over.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkflow, runOnboarding, type LocalRunResult, type LocalWorkflow } from '../../local/runner';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { runCli, sandboxCliEnv } from './cli-process';
import { SandboxWorld } from './tenant-world';

let sb: RunningLocalSandbox;
let workflow: LocalWorkflow;
let world: SandboxWorld;

beforeAll(async () => {
  workflow = await loadWorkflow();
  // Some IAM propagation, so an execution lasts a few seconds: long enough for the other to find the tenant busy.
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 1500 } }, palette: { port: 0 }, env: {} });
  world = new SandboxWorld(sb);
}, 300_000);
afterAll(async () => {
  await sb?.stop();
});

const cliEnv = () => sandboxCliEnv(sb);

interface CliResult {
  status: string;
  executionName: string;
  error?: string;
  errorMessage?: string;
}

describe('one execution per tenant', () => {
  it('two concurrent executions for one tenant: exactly one runs, the other ends with TenantBusyError; the lease is free afterwards', async () => {
    // Prepare: one request file; two distinct executions of it (as a CLI start and a re-run, or two events).
    const dir = mkdtempSync(join(tmpdir(), 'lease-'));
    const file = join(dir, 'request.json');
    writeFileSync(file, JSON.stringify({ tenantId: 'lease-a', aws: { accountId: '121212121212', region: 'us-east-1', credentialMode: 'sts' } }));
    // Act
    const [a, b] = await Promise.all(
      ['first', 'second'].map((id) => runCli(['start', file, '--local', '--json', '--rerun', id], cliEnv())),
    );
    // Assess
    const results = [a, b].map((r) => JSON.parse(r?.stdout ?? '{}') as CliResult);
    const winners = results.filter((r) => r.status === 'SUCCEEDED');
    const losers = results.filter((r) => r.status === 'FAILED');
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    expect(losers[0]).toMatchObject({ error: 'TenantBusyError', errorMessage: expect.stringContaining(`being onboarded by execution ${winners[0]?.executionName}`) });
    expect([a?.code, b?.code].sort()).toEqual([0, 1]);
    // The tenant's objects were created once, by the winner; the loser created nothing and released nothing.
    const record = await world.tenantRecord('lease-a');
    expect(record).toMatchObject({ status: 'ACTIVE', lastExecution: { name: winners[0]?.executionName, result: 'SUCCEEDED' } });
    expect(record?.lease).toBeUndefined();
    const creators = new Set(Object.values(record?.resources as Record<string, { createdBy?: string }>).map((r) => r.createdBy));
    expect([...creators]).toEqual([winners[0]?.executionName]);
    expect(world.inventory('121212121212').buckets).toEqual(['palette-backup-lease-a-121212121212-us-east-1']);
  }, 240_000);

  it('the lease is free after a failure too, and a lease left by a crashed or stopped execution expires', async () => {
    // Prepare: lease-b onboarded once; then a stale lease of a "crashed" execution that expired a minute ago.
    const request = { tenantId: 'lease-b', aws: { accountId: '131313131313', region: 'us-east-1', credentialMode: 'sts' } };
    const first: LocalRunResult = await runOnboarding(request, { sandbox: sb, workflow });
    expect(first.status).toBe('SUCCEEDED');
    const stale = { executionName: 'lease-b-crashed', acquiredAt: '2026-01-01T00:00:00.000Z', expiresAt: Math.floor(Date.now() / 1000) - 60 };
    await world.registry.send(
      new UpdateCommand({ TableName: await world.registryTable(), Key: { pk: 'tenant#lease-b' }, UpdateExpression: 'SET #l = :l', ExpressionAttributeNames: { '#l': 'lease' }, ExpressionAttributeValues: { ':l': stale } }),
    );
    // Act
    const next = await runOnboarding(request, { sandbox: sb, workflow, executionName: 'lease-b-next' });
    // Assess
    expect(next.status).toBe('SUCCEEDED');
    const acquired = next.history.find((e) => e.type === 'TaskStateExited' && e.state === 'AcquireTenant');
    expect(acquired?.output).toMatchObject({ admission: { tookOverExpiredLease: 'lease-b-crashed' } });
    expect(await world.tenantRecord('lease-b')).toMatchObject({ status: 'ACTIVE', lastExecution: { name: 'lease-b-next' } });

    // Prepare: a live lease of another execution.
    const live = { ...stale, executionName: 'lease-b-running', expiresAt: Math.floor(Date.now() / 1000) + 3600 };
    await world.registry.send(
      new UpdateCommand({ TableName: await world.registryTable(), Key: { pk: 'tenant#lease-b' }, UpdateExpression: 'SET #l = :l', ExpressionAttributeNames: { '#l': 'lease' }, ExpressionAttributeValues: { ':l': live } }),
    );
    const before = await world.tenantRecord('lease-b');
    // Act
    const busy = await runOnboarding(request, { sandbox: sb, workflow, executionName: 'lease-b-busy' });
    // Assess: fails fast, nothing compensated, the holder's lease and the record untouched.
    expect(busy).toMatchObject({ status: 'FAILED', error: 'TenantBusyError' });
    expect(busy.history.map((e) => e.state).filter((s) => s?.startsWith('Undo'))).toEqual([]);
    expect(await world.tenantRecord('lease-b')).toEqual(before);
  }, 240_000);
});
