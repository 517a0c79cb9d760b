/**
 * The real onboarding app run locally, end to end: the state machine from the synthesized template, the real
 * bundled handlers with the template's environment, on the AWS sandbox and the Palette emulator. Also the
 * CLI's `start --local`, which must find and use a sandbox that is already running.
 */
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionNameFor, readRequestFile } from '../../cli/request';
import { loadWorkflow, runOnboarding, type LocalRunResult, type LocalWorkflow } from '../../local/runner/runner';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { runCli } from './cli-process';

const ROOT = join(import.meta.dirname, '..', '..');
const example = (name: string) => readRequestFile(join(ROOT, 'examples', name));

let sb: RunningLocalSandbox;
let workflow: LocalWorkflow;

beforeAll(async () => {
  // First synthesis of the app bundles every function (tens of seconds); later runs hit the cache.
  workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 300 } }, palette: { port: 0 }, env: {} });
}, 300_000);
afterAll(async () => {
  await sb?.stop();
});

async function inventory(accountId: string): Promise<Record<string, unknown[]>> {
  const res = await fetch(`${sb.aws.endpoint}/_sandbox/inventory`);
  const all = (await res.json()) as Record<string, Record<string, unknown[]>>;
  return all[accountId] ?? {};
}

describe('onboarding examples/sts-tenant.json on the sandbox', () => {
  const request = example('sts-tenant.json');
  let run: LocalRunResult;
  beforeAll(async () => {
    run = await runOnboarding(request, { sandbox: sb, workflow });
  }, 180_000);

  it('succeeds with the summary as output, under the deterministic execution name', () => {
    expect(run.errorMessage).toBeUndefined();
    expect(run.status).toBe('SUCCEEDED');
    expect(run.executionName).toBe(executionNameFor(request));
    expect(run.output).toMatchObject({
      tenantId: 'acme',
      executionName: run.executionName,
      accountId: '111111111111',
      credentialMode: 'sts',
      bucket: { bucketName: 'palette-backup-acme-111111111111-us-east-1', created: true },
      principal: { kind: 'sts', arn: 'arn:aws:iam::111111111111:role/palette-onboarding/palette-onboarding-acme' },
      cloudAccount: { name: 'acme-aws', created: true },
      backupLocation: { name: 'acme-s3', created: true },
    });
  });

  it('ran the functions of the synthesized template with their environment', () => {
    const template = workflow.assembly.stack().template;
    const scheduled = run.history.find((e) => e.type === 'LambdaFunctionScheduled' && e.state === 'ValidateRequest');
    const fn = template.Resources[scheduled?.functionLogicalId ?? ''];
    expect(fn?.Metadata?.['palette-onboarding:handler']).toBe('lambdas/handlers/validate-request.ts');
    expect(scheduled?.resource).toBe(`arn:aws:lambda:us-east-1:000000000000:function:PaletteOnboardingStack-${scheduled?.functionLogicalId}`);
    const templateEnv = (fn?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(run.environment).toMatchObject({
      PALETTE_ENDPOINT: sb.palette.endpoint,
      HOME_ACCOUNT_ID: '000000000000',
      READINESS_BUDGET_SECONDS: templateEnv.READINESS_BUDGET_SECONDS,
      ALLOWED_EXECUTION_ROLE_NAMES: templateEnv.ALLOWED_EXECUTION_ROLE_NAMES,
      POWERTOOLS_SERVICE_NAME: templateEnv.POWERTOOLS_SERVICE_NAME,
      AWS_ENDPOINT_URL: sb.aws.endpoint,
      AWS_REGION: 'us-east-1',
    });
    expect(run.environment.PALETTE_API_KEY_SECRET_ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:000000000000:secret:palette-onboarding\/palette-api-key-\w{6}$/);
  });

  it('emits the success event on the notifications bus (results never travel on the onboarding bus)', () => {
    expect(run.events).toHaveLength(1);
    expect(run.events[0]).toMatchObject({
      eventBusName: 'palette-onboarding-notifications',
      source: 'palette.onboarding',
      detailType: 'Tenant Onboarding Succeeded',
      detail: { tenantId: 'acme', executionName: run.executionName },
    });
  });

  it('created the tenant resources in the sandbox', async () => {
    const inv = await inventory('111111111111');
    expect(inv.buckets).toContain('palette-backup-acme-111111111111-us-east-1');
    expect(inv.roles).toContain('palette-onboarding-acme');
  });

  it('never exposes the Palette API key in history, output, events or logs', () => {
    expect(run.logs.filter((l) => l.source === 'handler').length).toBeGreaterThan(0);
    const everything = JSON.stringify({ history: run.history, output: run.output, events: run.events, logs: run.logs, cause: run.cause });
    expect(everything).not.toContain(sb.palette.apiKey);
  });
});


describe('palette-onboard start --local', () => {
  it('uses the sandbox already running at the configured endpoints (static mode), and prints no secret', async () => {
    const env = {
      ...process.env,
      AWS_ENDPOINT_URL: sb.aws.endpoint,
      SANDBOX_PALETTE_ENDPOINT: sb.palette.endpoint,
      SANDBOX_ACCESS_KEY_ID: sb.aws.accessKeyId,
      SANDBOX_SECRET_ACCESS_KEY: sb.aws.secretAccessKey,
      PALETTE_SANDBOX_API_KEY: sb.palette.apiKey,
      NO_COLOR: '1',
    };
    const res = await runCli(['start', 'examples/static-tenant.json', '--local', '--json'], env);
    expect(res.stderr).toContain(`using the sandbox running at ${sb.aws.endpoint}`);
    expect(res.code).toBe(0);
    const result = JSON.parse(res.stdout) as { status: string; executionName: string; output: { principal: { kind: string; credentialsSecretArn: string } } };
    expect(result.status).toBe('SUCCEEDED');
    expect(result.executionName).toBe(executionNameFor(example('static-tenant.json')));
    expect(result.output.principal.kind).toBe('static');

    // The run happened in this test's sandbox.
    const inv = await inventory('222222222222');
    expect(inv.users).toContain('palette-onboarding-globex');

    // The access key is in Secrets Manager, and nowhere in the CLI's output.
    const sm = new SecretsManagerClient({
      endpoint: sb.aws.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey },
    });
    const secret = await sm.send(new GetSecretValueCommand({ SecretId: result.output.principal.credentialsSecretArn }));
    sm.destroy();
    const { secretAccessKey } = JSON.parse(secret.SecretString ?? '{}') as { secretAccessKey?: string };
    expect(secretAccessKey?.length).toBeGreaterThanOrEqual(20);
    expect(res.stdout + res.stderr).not.toContain(secretAccessKey);
    expect(res.stdout + res.stderr).not.toContain(sb.palette.apiKey);
  }, 180_000);
});
