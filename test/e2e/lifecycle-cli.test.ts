/**
 * `palette-onboard revalidate --local` and `palette-onboard offboard --local` as a platform engineer runs them: CLI
 * processes that find the running sandbox (README "Re-validation", "Offboarding"), against a tenant onboarded there.
 * (list / status --local: test/e2e/tenants-cli.test.ts; the workflows themselves: revalidation.test.ts,
 * offboarding.test.ts.)
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRequestFile } from '../../cli/request';
import { loadWorkflow, runOnboarding, type LocalWorkflow } from '../../local/runner/runner';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { ROOT, runCli, sandboxCliEnv } from './cli-process';
import { SandboxWorld } from './tenant-world';

const TENANT = 'cli-lifecycle';
const ACCOUNT = '222222222222';

let sb: RunningLocalSandbox;
let workflow: LocalWorkflow;
let world: SandboxWorld;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 300 } }, palette: { port: 0 }, env: {} });
  world = new SandboxWorld(sb);
  const example = readRequestFile(join(ROOT, 'examples', 'sts-tenant.json')) as { aws: Record<string, unknown> };
  const request = { ...example, tenantId: TENANT, aws: { ...example.aws, accountId: ACCOUNT } };
  const run = await runOnboarding(request, { sandbox: sb, workflow });
  expect(run.status).toBe('SUCCEEDED');
  env = sandboxCliEnv(sb);
}, 300_000);
afterAll(async () => {
  await sb?.stop();
});

describe('the lifecycle commands with --local, on the running sandbox', () => {
  it('revalidate <tenantId> --local: the tenant checked, no findings; then offboard <tenantId> --local: OFFBOARDED, bucket retained', async () => {
    // Act: re-validate the tenant.
    const revalidated = await runCli(['revalidate', TENANT, '--local', '--json'], env);

    // Assess: it used this sandbox and found the tenant as onboarded.
    expect(revalidated.stderr).not.toContain('palette-onboard:');
    expect(revalidated.code).toBe(0);
    const check = JSON.parse(revalidated.stdout) as { status: string; output: { tenants: { tenantId: string; outcome: string; findings: number }[] }; findings: unknown };
    expect(check.status).toBe('SUCCEEDED');
    expect(check.output.tenants).toEqual([expect.objectContaining({ tenantId: TENANT, outcome: 'ok', findings: 0 })]);

    // Act: offboard it.
    const offboarded = await runCli(['offboard', TENANT, '--local', '--json'], env);

    // Assess: the offboarding ran on this sandbox's registry and world; the bucket is retained by default.
    expect(offboarded.stderr).not.toContain('palette-onboard:');
    expect(offboarded.code).toBe(0);
    const result = JSON.parse(offboarded.stdout) as { status: string; output: { status: string; removed: string[]; retained: { id: string; reason: string }[] } };
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output.status).toBe('OFFBOARDED');
    expect(result.output.removed.length).toBeGreaterThan(0);
    expect(result.output.retained.map((r) => r.id)).toEqual([expect.stringMatching(/^arn:aws:s3:::/)]);
    expect(((await world.tenantRecord(TENANT)) as { status: string }).status).toBe('OFFBOARDED');
    expect(world.inventory(ACCOUNT).roles).not.toContain(`palette-onboarding-${TENANT}`);
    expect(world.inventory(ACCOUNT).policies).not.toContain(`palette-onboarding-${TENANT}-backup`);
  }, 240_000);
});
