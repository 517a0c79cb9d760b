/**
 * `palette-onboard platform-setup --local` on a running sandbox that runs the app synthesized for self-hosted Palette
 * (`PALETTE_SANDBOX_MODE=self-hosted npm run sandbox`): the operator's secret is stored, then the CLI's deployed mode
 * starts the stack's PlatformSetup state machine on the sandbox's Step Functions (local/bin/platform-setup.ts).
 */
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadApp, type LoadedApp } from '../../local/app/index';
import { loadWorkflow } from '../../local/runner/runner';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { runCli, sandboxCliEnv } from './cli-process';

let sb: RunningLocalSandbox;
let app: LoadedApp;
let sfn: SFNClient;

beforeAll(async () => {
  // The app as `npm run sandbox` loads it when the emulator is in self-hosted mode.
  const workflow = await loadWorkflow({ context: { selfHosted: true } });
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 200 } }, palette: { port: 0, mode: 'self-hosted' }, env: {} });
  app = await loadApp(sb, { workflow });
  sfn = new SFNClient({ endpoint: sb.aws.endpoint, region: sb.aws.region, credentials: { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey } });
}, 300_000);

afterAll(async () => {
  sfn?.destroy();
  await app?.stop();
  await sb?.stop();
});

describe('platform-setup --local on a sandbox running the self-hosted app', () => {
  it("takes the deployed path: the stack's PlatformSetup state machine, run by the sandbox's Step Functions", async () => {
    // Act
    const r = await runCli(['platform-setup', '--local', '--json'], sandboxCliEnv(sb));

    // Assess
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('takes the deployed path');
    const result = JSON.parse(r.stdout) as { status: string; executionArn: string; output: { stsAccountId?: string } };
    expect(result.status).toBe('SUCCEEDED');
    expect(result.executionArn).toContain(`:execution:${(app.outputs.PlatformSetupStateMachineArn as string).split(':').at(-1)}:`);
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: result.executionArn }))).status).toBe('SUCCEEDED');
    // What Palette tells tenants now: this deployment's account.
    const sts = (await (await fetch(`${sb.palette.endpoint}/v1/clouds/aws/account/sts`, { headers: { ApiKey: sb.palette.apiKey } })).json()) as { accountId?: string };
    expect(sts.accountId).toBe(sb.aws.accountId);
  }, 240_000);
});
