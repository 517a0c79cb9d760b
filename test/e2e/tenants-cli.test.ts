/**
 * `palette-onboard list` / `status <tenantId>` against a sandbox's tenant registry after one real onboarding:
 * in-process with the functions local/bin/tenants.ts calls (the table name from the synthesized template), and
 * once through the CLI (`status --local`), which must find the running sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readRequestFile } from '../../cli/request';
import { listTenants, showTenant } from '../../cli/tenants';
import type { TenantRecord } from '../../lambdas/domain/tenant-record';
import { sandboxRegistry } from '../../local/runner/registry';
import { loadWorkflow, runOnboarding, type LocalRunResult, type LocalWorkflow } from '../../local/runner/runner';
import { sandboxEndpoints } from '../../local/runner/sandbox';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { ROOT, runCli, sandboxCliEnv } from './cli-process';

let sb: RunningLocalSandbox;
let workflow: LocalWorkflow;
let run: LocalRunResult;
let registry: ReturnType<typeof sandboxRegistry>;

beforeAll(async () => {
  workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 300 } }, palette: { port: 0 }, env: {} });
  registry = sandboxRegistry(workflow, sandboxEndpoints(sb));
  run = await runOnboarding(readRequestFile(join(ROOT, 'examples', 'sts-tenant.json')), { sandbox: sb, workflow });
}, 300_000);
afterAll(async () => {
  registry?.destroy();
  await sb?.stop();
});

function buffers() {
  const out: string[] = [];
  const err: string[] = [];
  return { streams: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } }, out: () => out.join(''), err: () => err.join('') };
}

describe('the tenant registry of a sandbox', () => {
  it('list: the onboarded tenant, ACTIVE, with its last execution', async () => {
    expect(run.status).toBe('SUCCEEDED');
    expect(registry.table).toMatch(/^PaletteOnboardingStack-TenantRegistryTable[0-9A-F]{8}$/);
    const b = buffers();
    expect(await listTenants(registry, { json: false }, b.streams)).toBe(0);
    const [head, row, ...rest] = b.out().trimEnd().split('\n');
    expect(head).toMatch(/^TENANT\s+STATUS\s+ACCOUNT\s+LAST EXECUTION\s+KIND\s+RESULT\s+AGE\s+LAST CHANGE$/);
    expect(row?.split(/\s+/).slice(0, 6)).toEqual(['acme', 'ACTIVE', '111111111111', run.executionName, 'onboarding', 'SUCCEEDED']);
    expect(rest).toEqual([]);
    expect(b.err()).toBe('');

    const none = buffers();
    expect(await listTenants(registry, { json: false, statuses: ['FAILED'] }, none.streams)).toBe(0);
    expect(none.out()).toContain('No tenants with status FAILED');
  });

  it('status: binding, last execution and every resource the onboarding created (health not checked yet)', async () => {
    const b = buffers();
    expect(await showTenant(registry, 'acme', { json: false }, b.streams)).toBe(0);
    const text = b.out();
    expect(text).toContain('Tenant acme: ACTIVE\n');
    expect(text).toContain('AWS account 111111111111 (aws), Palette tenant scope');
    expect(text).toContain('lease            free');
    expect(text).toContain(`last execution   ${run.executionName} (onboarding) SUCCEEDED`);
    // The bucket, the backup policy, the role, the four core cluster policies (the default with a cloud account), two registrations.
    expect(text).toContain('Resources (9)');
    const output = run.output as { cloudAccount: { uid: string }; backupLocation: { uid: string } };
    for (const [part, name, id] of [
      ['bucket', 'palette-backup-acme-111111111111-us-east-1', 'arn:aws:s3:::palette-backup-acme-111111111111-us-east-1'],
      ['backupPolicy', 'palette-onboarding-acme-backup', 'arn:aws:iam::111111111111:policy/palette-onboarding/palette-onboarding-acme-backup'],
      ['principal', 'palette-onboarding-acme', 'arn:aws:iam::111111111111:role/palette-onboarding/palette-onboarding-acme'],
      ['clusterPolicy', 'palette-onboarding-acme-PaletteControllerPolicy', 'arn:aws:iam::111111111111:policy/palette-onboarding/palette-onboarding-acme-PaletteControllerPolicy'],
      ['cloudAccount', 'acme-aws', output.cloudAccount.uid],
      ['backupLocation', 'acme-s3', output.backupLocation.uid],
    ]) {
      expect(text).toMatch(new RegExp(`\\n    ${part}\\s+${name}\\s+created by ${run.executionName}\\s+not checked\\n\\s+${id}\\n`));
    }
    expect(text).toContain('Re-validation never run');

    const missing = buffers();
    expect(await showTenant(registry, 'nobody', { json: false }, missing.streams)).toBe(1);
    expect(missing.err()).toBe(`palette-onboard: no tenant 'nobody' in the tenant registry (table ${registry.table})\n`);
  });

  it('palette-onboard status --local <tenantId> --json reads the running sandbox', async () => {
    const res = await runCli(['status', 'acme', '--local', '--json'], sandboxCliEnv(sb));
    expect(res.stderr).not.toContain('palette-onboard:');
    expect(res.code).toBe(0);
    const record = JSON.parse(res.stdout) as TenantRecord;
    expect(record).toMatchObject({ tenantId: 'acme', status: 'ACTIVE', accountId: '111111111111', lastExecution: { name: run.executionName, result: 'SUCCEEDED' } });
    expect(Object.values(record.resources).map((r) => r.part).sort()).toEqual([
      'backupLocation',
      'backupPolicy',
      'bucket',
      'cloudAccount',
      ...Array<string>(4).fill('clusterPolicy'),
      'principal',
    ]);
  }, 120_000);
});
