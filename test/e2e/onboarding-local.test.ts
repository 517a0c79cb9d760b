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
import { runCli, sandboxCliEnv } from './cli-process';
import { eventProblems, leakedSecrets, sandboxSecretValues, SUCCESS_EVENTS } from './lifecycle-events';

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

  it('emits Started, Resources Ready, Ready, Registered, then Succeeded, on the notifications bus (never on the onboarding bus)', () => {
    expect(run.events.map((e) => e.detailType)).toEqual(SUCCESS_EVENTS);
    expect(run.events.map((e) => e.state)).toEqual(['NotifyStarted', 'NotifyResourcesReady', 'NotifyReady', 'NotifyRegistered', 'NotifySuccess']);
    for (const e of run.events) {
      expect(e).toMatchObject({
        eventBusName: 'palette-onboarding-notifications',
        source: 'palette.onboarding',
        detail: { tenantId: 'acme', executionName: run.executionName },
      });
    }
    expect(run.events[0]?.detail).toMatchObject({ accountId: '111111111111', credentialMode: 'sts', registrations: ['cloudAccount', 'backupLocation'] });
    expect(run.events[1]?.detail).toMatchObject({
      bucketName: 'palette-backup-acme-111111111111-us-east-1',
      principalArn: 'arn:aws:iam::111111111111:role/palette-onboarding/palette-onboarding-acme',
    });
    expect(run.events[2]?.detail).toMatchObject({ attempts: expect.any(Number), elapsedSeconds: expect.any(Number) });
    expect(run.events[3]?.detail).toMatchObject({ registrations: { cloudAccount: { name: 'acme-aws' }, backupLocation: { name: 'acme-s3' } } });
    // The success event's detail is the summary, unchanged.
    expect(run.events[4]?.detail).toEqual(run.output);
    // No event was lost on the way.
    expect(run.history.some((e) => JSON.stringify(e.output ?? '').includes('notificationErrors'))).toBe(false);
  });

  it("every event's detail parses with its zod schema and validates against its committed JSON Schema (schema/events/)", () => {
    expect(eventProblems(run.events)).toEqual([]);
  });

  it('no event carries a secret value the sandbox holds (Secrets Manager, the Palette API key)', async () => {
    const secrets = await sandboxSecretValues(sb);
    expect(secrets).toContain(sb.palette.apiKey);
    expect(leakedSecrets(run.events, secrets)).toEqual([]);
  });

  it('created the tenant resources in the sandbox', async () => {
    const inv = await inventory('111111111111');
    expect(inv.buckets).toContain('palette-backup-acme-111111111111-us-east-1');
    expect(inv.roles).toContain('palette-onboarding-acme');
  });

  it('writes its metrics as CloudWatch EMF records: ReleaseTenant the outcome and the duration, the Palette steps their calls; no X-Ray locally', () => {
    // The EMF lines the handlers wrote (lambdas/shared/metrics.ts), by the state that wrote them.
    const emf = run.logs
      .filter((l) => l.source === 'handler' && l.text.includes('"_aws"'))
      .flatMap((l) => l.text.split('\n').filter((t) => t.includes('"_aws"')).map((t) => ({ state: l.state, record: JSON.parse(t) as Record<string, unknown> })));
    const released = emf.filter((e) => e.state === 'ReleaseTenant');
    expect(released).toHaveLength(1);
    expect(released[0]?.record).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'PaletteOnboarding', Dimensions: [['service']] }] },
      service: 'palette-onboarding',
      OnboardingSucceeded: 1,
      OnboardingDurationSeconds: expect.any(Number),
      tenantId: 'acme',
      executionName: run.executionName,
    });
    const seconds = released[0]?.record.OnboardingDurationSeconds as number;
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(run.durationMs / 1000 + 1);
    // Palette calls are counted per invocation, in the state that made them.
    const paletteCalls = emf.filter((e) => typeof e.record.PaletteCalls === 'number');
    expect(paletteCalls.map((e) => e.state)).toEqual(expect.arrayContaining(['ReadPaletteIdentity', 'CheckReadiness', 'VerifyRegistrations']));
    expect(emf.some((e) => 'OnboardingFailed' in e.record || 'CompensationIncomplete' in e.record)).toBe(false);
    // Tracing stays off in the local runner (no X-Ray daemon).
    expect(run.environment.POWERTOOLS_TRACE_ENABLED).toBe('false');
  });

  it('never exposes the Palette API key in history, output, events or logs', () => {
    expect(run.logs.filter((l) => l.source === 'handler').length).toBeGreaterThan(0);
    const everything = JSON.stringify({ history: run.history, output: run.output, events: run.events, logs: run.logs, cause: run.cause });
    expect(everything).not.toContain(sb.palette.apiKey);
  });
});


describe('palette-onboard start --local', () => {
  it('uses the sandbox already running at the configured endpoints (static mode), and prints no secret', async () => {
    const env = sandboxCliEnv(sb);
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
