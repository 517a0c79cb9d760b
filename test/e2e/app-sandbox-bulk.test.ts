/**
 * Bulk onboarding through the deployed code path on the sandbox that runs the app (README "Try it like production"):
 * `palette-onboard start --many <dir> --local --json` finds the running sandbox's app and runs the CLI's deployed
 * `start --many` against it: PutObject of the manifest to the stack's manifest bucket, StartExecution of the Bulk state
 * machine (its Distributed Map on the local runner, through the app runtime), ListMapRuns / DescribeMapRun for the
 * progress, and the rows read from what ResultWriter wrote. Two tenants of examples/fleet keep it small.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, DescribeMapRunCommand, ListExecutionsCommand, ListMapRunsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadApp, type LoadedApp } from '../../local/app/index';
import { loadWorkflow } from '../../local/runner/runner';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { ROOT, runCli, sandboxCliEnv } from './cli-process';

const TENANTS = ['globex', 'initrode'];

let sb: RunningLocalSandbox;
let app: LoadedApp;
let sfn: SFNClient;
let dir: string;
let result: { code: number | null; stdout: string; stderr: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'app-sandbox-bulk-'));
  for (const t of TENANTS) copyFileSync(join(ROOT, 'examples', 'fleet', `${t}.json`), join(dir, `${t}.json`));
  const workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 100 } }, palette: { port: 0 }, env: {} });
  app = await loadApp(sb, { workflow, run: { retryIntervalOverridesMs: { CheckReadiness: 100 } } });
  sfn = new SFNClient({ endpoint: sb.aws.endpoint, region: sb.aws.region, credentials: { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey } });
  result = await runCli(['start', '--many', dir, '--local', '--json'], sandboxCliEnv(sb));
}, 300_000);

afterAll(async () => {
  sfn?.destroy();
  await app?.stop();
  await sb?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface BulkJson {
  status: string;
  executionArn: string;
  executionName: string;
  summary?: { mapRunArn: string; itemCounts: Record<string, number>; results: { Bucket: string; Key: string } };
  rows: Array<{ tenantId: string; outcome: string; status?: string }>;
}

describe('start --many --local on a sandbox that runs the app', () => {
  it('takes the deployed path and prints every tenant onboarded (SUCCEEDED rows)', () => {
    expect(result.stderr).toContain('takes the deployed path');
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as BulkJson;
    expect(out.status).toBe('SUCCEEDED');
    expect(out.executionArn).toBe(`${app.outputs.BulkStateMachineArn?.replace(':stateMachine:', ':execution:')}:${out.executionName}`);
    expect(out.rows.map((r) => [r.tenantId, r.outcome, r.status]).sort()).toEqual(TENANTS.map((t) => [t, 'onboarded', 'SUCCEEDED']));
    expect(out.summary?.itemCounts).toMatchObject({ Total: 2, Succeeded: 2, Failed: 0 });
  });

  it('the Bulk execution is the sandbox Step Functions\' (ListExecutions), and its map run answers ListMapRuns / DescribeMapRun', async () => {
    const out = JSON.parse(result.stdout) as BulkJson;
    const executions = (await sfn.send(new ListExecutionsCommand({ stateMachineArn: app.outputs.BulkStateMachineArn }))).executions ?? [];
    expect(executions.map((e) => [e.executionArn, e.status])).toEqual([[out.executionArn, 'SUCCEEDED']]);
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: out.executionArn }))).status).toBe('SUCCEEDED');
    const mapRuns = (await sfn.send(new ListMapRunsCommand({ executionArn: out.executionArn }))).mapRuns ?? [];
    expect(mapRuns).toHaveLength(1);
    const mapRunArn = mapRuns[0]?.mapRunArn ?? '';
    const machine = app.outputs.BulkStateMachineArn?.split(':').at(-1) ?? '';
    expect(mapRunArn).toMatch(new RegExp(`^arn:aws:states:${sb.aws.region}:${sb.aws.accountId}:mapRun:${machine}/[^:]+:[0-9a-f-]{36}$`));
    // The map run the Bulk state machine's output names, and ResultWriter wrote under its id, as on AWS.
    expect(out.summary?.mapRunArn).toBe(mapRunArn);
    expect(out.summary?.results.Key).toBe(`results/${mapRunArn.split(':').at(-1)}/manifest.json`);
    const d = await sfn.send(new DescribeMapRunCommand({ mapRunArn }));
    expect(d).toMatchObject({ executionArn: out.executionArn, status: 'SUCCEEDED', itemCounts: { total: 2, succeeded: 2, failed: 0, pending: 0, running: 0, resultsWritten: 2 } });
    expect(d.stopDate).toBeInstanceOf(Date);
    expect(d.maxConcurrency).toBeGreaterThan(0);
  });
});
