/**
 * The palette-onboard CLI: argument handling, request validation before anything is started, the deployed
 * mode against a mocked Step Functions (start / dedupe / follow / report), and delegation to child processes.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, issueCert, validReverseProxySecret } from './platform/certs';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../cli/args';
import { HistoryProgress } from '../../cli/deployed';
import { describeCause, formatStateLine, formatSummary, style } from '../../cli/format';
import { platformExecutionName } from '../../cli/request';
import { PLATFORM_SETUP_LOCAL_SCRIPT, runCli, RUN_LOCAL_SCRIPT, type CliDeps } from '../../cli/main';
import { executionNameFor, readRequestFile } from '../../cli/request';

const ROOT = join(import.meta.dirname, '..', '..');
const STS_EXAMPLE = join(ROOT, 'examples', 'sts-tenant.json');
const SM_ARN = 'arn:aws:states:eu-central-1:123456789012:stateMachine:Onboarding';

const sfn = mockClient(SFNClient);
const cfn = mockClient(CloudFormationClient);
afterEach(() => {
  sfn.reset();
  cfn.reset();
});

function io(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, env, cwd: ROOT },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

describe('parseArgs', () => {
  it('parses start with its options', () => {
    expect(parseArgs(['start', 'r.json'])).toEqual({ command: 'start', file: 'r.json', local: false, follow: true, pollSeconds: 2, json: false });
    expect(parseArgs(['start', '--json', 'r.json', '--state-machine-arn', SM_ARN, '--region=eu-west-1', '--rerun', 'try2', '--poll-seconds', '0.5'])).toEqual({
      command: 'start',
      file: 'r.json',
      local: false,
      follow: true,
      pollSeconds: 0.5,
      json: true,
      stateMachineArn: SM_ARN,
      region: 'eu-west-1',
      rerun: 'try2',
    });
    expect(parseArgs(['start', 'r.json', '--local'])).toMatchObject({ local: true });
    expect(parseArgs(['status', 'acme-1234', '--json'])).toEqual({ command: 'status', target: 'acme-1234', local: false, json: true });
    expect(parseArgs(['demo'])).toEqual({ command: 'demo', passthrough: [] });
    expect(parseArgs(['sandbox', '--json'])).toEqual({ command: 'sandbox', passthrough: ['--json'] });
    expect(parseArgs([])).toEqual({ command: 'help' });
    expect(parseArgs(['start', '--help'])).toEqual({ command: 'help' });
  });

  it.each([
    [['launch'], /unknown command 'launch'/],
    [['start'], /exactly one request file/],
    [['start', 'a.json', 'b.json'], /exactly one request file/],
    [['start', 'a.json', '--bogus'], /unknown option '--bogus'/],
    [['start', 'a.json', '--region'], /--region needs a value/],
    [['start', 'a.json', '--rerun', 'has space'], /--rerun must be/],
    [['start', 'a.json', '--poll-seconds', '0'], /--poll-seconds must be/],
    [['start', 'a.json', '--local', '--state-machine-arn', SM_ARN], /--local runs on the sandbox/],
    [['start', 'a.json', '--local', '--no-follow'], /--local always follows/],
    [['status'], /exactly one tenant id, execution ARN or execution name/],
    [['status', 'x', '--no-follow'], /unknown option '--no-follow'/],
    [['status', 'x', '--rerun', 'a'], /unknown option '--rerun'/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });
});

describe('request validation before anything starts', () => {

  it('fails with field-level messages and exit code 2, calling nothing', async () => {
    const t = io({ PALETTE_ONBOARDING_STATE_MACHINE_ARN: SM_ARN });
    const run: CliDeps['run'] = async () => {
      throw new Error('must not spawn');
    };
    const code = await runCli(['start', 'examples/invalid-request.json', '--local'], t.io, { run });
    expect(code).toBe(2);
    expect(t.err()).toContain('examples/invalid-request.json is not a valid onboarding request');
    expect(t.err()).toContain('  - aws.accountId: must be a 12-digit AWS account id');
    expect(t.err()).toContain('  - aws.bucket: Unrecognized key: "versoning"');
    expect(await runCli(['start', 'examples/invalid-request.json'], t.io, { sfn: () => new SFNClient({ region: 'eu-central-1' }) })).toBe(2);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('reports a missing or malformed file', async () => {
    const t = io();
    expect(await runCli(['start', 'nope.json'], t.io)).toBe(2);
    expect(t.err()).toContain('request file not found');
    expect(await runCli(['start', 'package.json', '--local'], t.io, { run: async () => 0 })).toBe(2);
  });
});

describe('start --local and the npm delegations', () => {
  it('runs local/bin/run-local.ts with tsx on the absolute request path', async () => {
    const calls: { command: string; args: string[] }[] = [];
    const t = io();
    const code = await runCli(['start', 'examples/sts-tenant.json', '--local', '--json', '--rerun', 'again'], t.io, {
      run: async (command, args) => {
        calls.push({ command, args });
        return 1;
      },
    });
    expect(code).toBe(1);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.command).toBe(process.execPath);
    expect(calls[0]?.args[0]).toMatch(/tsx[/\\]dist[/\\]cli\.mjs$/);
    expect(calls[0]?.args.slice(1)).toEqual([RUN_LOCAL_SCRIPT, STS_EXAMPLE, '--json', '--rerun', 'again']);
  });

  it('delegates demo and sandbox to the npm scripts', async () => {
    const calls: string[][] = [];
    const run: CliDeps['run'] = async (command, args) => {
      calls.push([command, ...args]);
      return 0;
    };
    expect(await runCli(['demo'], io().io, { run })).toBe(0);
    expect(await runCli(['sandbox', '--json'], io().io, { run })).toBe(0);
    expect(calls).toEqual([
      ['npm', 'run', '--silent', 'demo'],
      ['npm', 'run', '--silent', 'sandbox', '--', '--json'],
    ]);
  });
});

// ---- deployed mode ------------------------------------------------------------------------------------

const t0 = Date.parse('2025-01-01T00:00:00Z');
function ev(id: number, type: string, extra: Partial<HistoryEvent> = {}, ms = id * 100): HistoryEvent {
  return { id, type: type as HistoryEvent['type'], timestamp: new Date(t0 + ms), ...extra } as HistoryEvent;
}
const entered = (id: number, name: string, type = 'Task', prev = id - 1) =>
  ev(id, `${type}StateEntered`, { previousEventId: prev, stateEnteredEventDetails: { name } });
const exited = (id: number, name: string, type = 'Task', prev = id - 1) =>
  ev(id, `${type}StateExited`, { previousEventId: prev, stateExitedEventDetails: { name } });

const SUMMARY = {
  tenantId: 'acme',
  executionName: 'acme-x',
  accountId: '111111111111',
  region: 'us-east-1',
  partition: 'aws',
  credentialMode: 'sts',
  bucket: { bucketName: 'b', bucketArn: 'arn:aws:s3:::b', region: 'us-east-1', created: true },
  policy: { policyArn: 'arn:aws:iam::111111111111:policy/p', defaultVersionId: 'v2', created: false, versionCreated: true },
  principal: { kind: 'sts', arn: 'arn:aws:iam::111111111111:role/r', created: true, roleArn: 'arn:aws:iam::111111111111:role/r' },
  cloudAccount: { uid: 'u1', name: 'acme-aws', created: false, updated: false },
  backupLocation: { uid: 'u2', name: 'acme-s3', created: true, updated: false },
  verification: { ok: true },
};

describe('start (deployed)', () => {
  const raw = readRequestFile(STS_EXAMPLE);
  const name = executionNameFor(raw);
  const execArn = `arn:aws:states:eu-central-1:123456789012:execution:Onboarding:${name}`;
  const deps: CliDeps = { sfn: () => new SFNClient({ region: 'eu-central-1' }), sleep: async () => undefined };

  it('starts with the deterministic name, follows the history and prints the summary', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: execArn, startDate: new Date() });
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'RUNNING', executionArn: execArn, stateMachineArn: SM_ARN, startDate: new Date() })
      .resolves({ status: 'SUCCEEDED', executionArn: execArn, stateMachineArn: SM_ARN, startDate: new Date(), output: JSON.stringify(SUMMARY) });
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({ events: [ev(1, 'ExecutionStarted'), entered(2, 'ValidateRequest'), ev(3, 'LambdaFunctionScheduled', { previousEventId: 2 })] })
      .resolves({
        events: [
          ev(1, 'ExecutionStarted'),
          entered(2, 'ValidateRequest'),
          ev(3, 'LambdaFunctionScheduled', { previousEventId: 2 }),
          ev(4, 'LambdaFunctionStarted', { previousEventId: 3 }),
          ev(5, 'LambdaFunctionSucceeded', { previousEventId: 4 }, 900),
          exited(6, 'ValidateRequest', 'Task', 5),
          ev(7, 'ExecutionSucceeded', { previousEventId: 6 }),
        ],
      });
    const t = io({ PALETTE_ONBOARDING_STATE_MACHINE_ARN: SM_ARN });
    const code = await runCli(['start', STS_EXAMPLE], t.io, deps);
    expect(code).toBe(0);
    const start = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(start).toEqual({ stateMachineArn: SM_ARN, name, input: JSON.stringify(raw) });
    const out = t.out();
    expect(out).toContain(`Started ${name}`);
    // One line when the task starts, one when it ends (with its duration), never twice.
    expect(out.match(/… ValidateRequest/g)).toHaveLength(1);
    expect(out).toMatch(/✓ ValidateRequest\s+Task\s+400 ms/);
    expect(out).toContain('Onboarding succeeded');
    expect(out).toMatch(/bucket\s+arn:aws:s3:::b \(created\)/);
    expect(out).toMatch(/backup policy\s+arn:aws:iam::111111111111:policy\/p \[v2\] \(new policy version\)/);
    expect(out).toMatch(/Palette AWS cloud account\s+acme-aws {2}uid u1 \(unchanged\)/);
  });

  it('follows the existing execution when the same request was already started (ExecutionAlreadyExists)', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', executionArn: execArn, stateMachineArn: SM_ARN, startDate: new Date(), output: '{}' });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    const t = io();
    const code = await runCli(['start', STS_EXAMPLE, '--state-machine-arn', SM_ARN, '--json'], t.io, deps);
    expect(code).toBe(0);
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({ executionArn: execArn });
    expect(t.err()).toContain('already exists');
    expect(JSON.parse(t.out())).toEqual({ status: 'SUCCEEDED', executionArn: execArn, executionName: name, output: {} });
  });

  it('a re-run id gives a new execution name', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${execArn}-r`, startDate: new Date() });
    const t = io({ PALETTE_ONBOARDING_STATE_MACHINE_ARN: SM_ARN });
    expect(await runCli(['start', STS_EXAMPLE, '--rerun', 'r2', '--no-follow'], t.io, deps)).toBe(0);
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.name).toBe(executionNameFor(raw, 'r2'));
    expect(executionNameFor(raw, 'r2')).not.toBe(name);
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
  });

  it('exits 1 with the readable cause when the execution fails', async () => {
    const cause = JSON.stringify({ errorType: 'ReadinessTimeoutError', errorMessage: 'sts:AssumeRole denied on arn:aws:iam::111111111111:role/x', trace: [] });
    sfn.on(StartExecutionCommand).resolves({ executionArn: execArn, startDate: new Date() });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', executionArn: execArn, stateMachineArn: SM_ARN, startDate: new Date(), error: 'ReadinessTimeoutError', cause });
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        entered(1, 'CheckReadiness'),
        ev(2, 'LambdaFunctionScheduled', { previousEventId: 1 }),
        ev(3, 'LambdaFunctionStarted', { previousEventId: 2 }),
        ev(4, 'LambdaFunctionFailed', { previousEventId: 3, lambdaFunctionFailedEventDetails: { error: 'ReadinessTimeoutError', cause } }),
      ],
    });
    const t = io({ PALETTE_ONBOARDING_STATE_MACHINE_ARN: SM_ARN });
    expect(await runCli(['start', STS_EXAMPLE], t.io, deps)).toBe(1);
    expect(t.out()).toMatch(/✗ CheckReadiness\s+Task\s+300 ms\s+ReadinessTimeoutError: sts:AssumeRole denied/);
    expect(t.out()).toContain('FAILED: ReadinessTimeoutError\n  sts:AssumeRole denied on arn:aws:iam::111111111111:role/x');
  });

  it('exits 3 with guidance when no state machine is configured', async () => {
    const t = io();
    expect(await runCli(['start', STS_EXAMPLE], t.io, deps)).toBe(3);
    expect(t.err()).toContain('pass --state-machine-arn or set PALETTE_ONBOARDING_STATE_MACHINE_ARN');
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe('status', () => {
  const deps: CliDeps = { sfn: () => new SFNClient({ region: 'eu-central-1' }) };

  it('accepts a name (with the state machine ARN) or an execution ARN', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING', name: 'acme-1', startDate: new Date(), stateMachineArn: SM_ARN, executionArn: 'x' });
    const t = io({ PALETTE_ONBOARDING_STATE_MACHINE_ARN: SM_ARN });
    expect(await runCli(['status', 'acme-1'], t.io, deps)).toBe(0);
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({
      executionArn: 'arn:aws:states:eu-central-1:123456789012:execution:Onboarding:acme-1',
    });
    expect(t.out()).toContain('acme-1: RUNNING');
    const u = io();
    expect(await runCli(['status', 'acme-1'], u.io, deps)).toBe(3);
    expect(await runCli(['status', 'not a name!'], u.io, deps)).toBe(2);
  });
});

describe('HistoryProgress', () => {
  it('reports retries and does not report a failed state as succeeded', () => {
    const p = new HistoryProgress();
    const first = p.consume([entered(1, 'EnsureBucket'), ev(2, 'LambdaFunctionScheduled', { previousEventId: 1 })]);
    expect(first.map((x) => x.status)).toEqual(['started']);
    const more = p.consume([
      entered(1, 'EnsureBucket'),
      ev(2, 'LambdaFunctionScheduled', { previousEventId: 1 }),
      ev(3, 'LambdaFunctionFailed', { previousEventId: 2, lambdaFunctionFailedEventDetails: { error: 'AwsThrottledError', cause: 'x' } }),
      ev(4, 'LambdaFunctionScheduled', { previousEventId: 3 }),
      ev(5, 'LambdaFunctionFailed', { previousEventId: 4, lambdaFunctionFailedEventDetails: { error: 'BucketConflictError', cause: 'y' } }),
      exited(6, 'EnsureBucket'),
    ]);
    expect(more.map((x) => `${x.status}:${x.state}:${x.error ?? x.attempt ?? ''}`)).toEqual([
      'failed:EnsureBucket:AwsThrottledError',
      'retried:EnsureBucket:1',
      'failed:EnsureBucket:BucketConflictError',
    ]);
  });
});

describe('readiness waits are visible', () => {
  const cause = JSON.stringify({ errorType: 'PrincipalNotReady', errorMessage: 'readiness check 3 not yet (4 s): sts:AssumeRole denied on arn:aws:iam::111111111111:role/x: AccessDenied' });

  it('a deployed run: a probe that finds "not yet" is a waiting line with Palette\'s verdict, not a failure', () => {
    const p = new HistoryProgress();
    const out = p.consume([
      ev(1, 'TaskStateEntered', { stateEnteredEventDetails: { name: 'CheckReadiness' } }),
      ev(2, 'LambdaFunctionScheduled', { previousEventId: 1 }),
      ev(3, 'LambdaFunctionFailed', { previousEventId: 1, lambdaFunctionFailedEventDetails: { error: 'PrincipalNotReady', cause } }),
    ]);
    const failed = out.find((x) => x.status === 'failed');
    expect(failed).toMatchObject({ state: 'CheckReadiness', error: 'PrincipalNotReady' });
    const line = formatStateLine(failed ?? { status: 'failed', state: '' }, style({}));
    expect(line).toMatch(/… CheckReadiness +Task +waiting for IAM propagation: readiness check 3 not yet \(4 s\): sts:AssumeRole denied/);
    expect(line).not.toContain('✗');
  });

  it('any other failure of the probe is a failure', () => {
    const line = formatStateLine({ status: 'failed', state: 'CheckReadiness', stateType: 'Task', error: 'ReadinessTimeoutError', cause: 'budget spent' }, style({}));
    expect(line).toMatch(/✗ CheckReadiness +Task .*ReadinessTimeoutError: budget spent/);
  });
});

describe('formatting', () => {
  it('never prints values under secret-looking keys, but prints secret ARNs', () => {
    const text = formatSummary({ note: 'x', secretAccessKey: 'SHOULD-NOT-APPEAR', nested: { apiKey: 'NOPE', credentialsSecretArn: 'arn:aws:secretsmanager:x' } });
    expect(text).not.toContain('SHOULD-NOT-APPEAR');
    expect(text).not.toContain('NOPE');
    expect(text).toContain('credentialsSecretArn: arn:aws:secretsmanager:x');
    const summary = formatSummary({
      ...SUMMARY,
      principal: { kind: 'static', arn: 'arn:aws:iam::1:user/u', created: true, accessKeyId: 'AKIAEXAMPLE', credentialsSecretArn: 'arn:aws:secretsmanager:us-east-1:0:secret:k' },
      cloudAccount: { skipped: true },
    });
    expect(summary).toMatch(/IAM user\s+arn:aws:iam::1:user\/u \(created\)/);
    expect(summary).toMatch(/access key secret ARN\s+arn:aws:secretsmanager:us-east-1:0:secret:k/);
    expect(summary).toMatch(/Palette AWS cloud account\s+not registered \(skipped\)/);
    expect(formatSummary({ ...SUMMARY, verification: { ok: true, uids: { backupLocation: 'u2' } } })).toMatch(/verified\s+yes, Palette lists the registration\n/);
    expect(formatSummary({ ...SUMMARY, verification: { ok: true, uids: { cloudAccount: 'u1', backupLocation: 'u2' } } })).toMatch(
      /verified\s+yes, Palette lists all 2 registrations/,
    );
    // An adopted object says so; the secrets a registration wrote are listed by ARN.
    const adopted = formatSummary({
      ...SUMMARY,
      bucket: { ...SUMMARY.bucket, created: false, adopted: true },
      sshKey: { uid: 'k1', name: 'acme-ssh', created: true, updated: false, fingerprint: 'SHA256:x', privateKeySecretArn: 'arn:aws:secretsmanager:us-east-1:0:secret:palette-onboarding/acme/ssh-private-key-AbCdEf' },
      apiKey: { skipped: true },
    });
    expect(adopted).toMatch(/bucket\s+arn:aws:s3:::b \(adopted\)/);
    expect(adopted).toMatch(/Palette SSH key\s+acme-ssh {2}uid k1 \(created\)\n\s+private key secret\s+arn:aws:secretsmanager:.*ssh-private-key-AbCdEf/);
    expect(adopted).not.toMatch(/API key/);
  });

  it('a summary without an AWS part says the tenant has no AWS account and lists its registrations', () => {
    const text = formatSummary({
      tenantId: 'sky', executionName: 'e', accountId: null, region: null, partition: null, credentialMode: null,
      bucket: null, policy: null, clusterPolicies: null, principal: null,
      cloudAccount: { skipped: true }, backupLocation: { skipped: true },
      azureAccount: { uid: 'az1', name: 'sky-azure', created: true, updated: false },
    });
    expect(text).toMatch(/tenant\s+sky\n/);
    expect(text).toMatch(/AWS account\s+none \(the request has no aws section\)/);
    expect(text).toMatch(/Palette Azure cloud account\s+sky-azure {2}uid az1 \(created\)/);
    expect(text).not.toMatch(/null|bucket|IAM|AWS cloud account/);
  });

  it('reads errorMessage from a Lambda error document', () => {
    expect(describeCause(JSON.stringify({ errorType: 'E', errorMessage: 'm "q"', trace: [] }))).toBe('m "q"');
    expect(describeCause('plain text')).toBe('plain text');
  });
});

// ---- platform-setup ------------------------------------------------------------------------------------

describe('platform-setup', () => {
  const PLATFORM_ARN = 'arn:aws:states:eu-central-1:123456789012:stateMachine:PlatformSetupWorkflow169E19CB-abc';
  const deps: CliDeps = { sfn: () => new SFNClient({ region: 'eu-central-1' }), sleep: async () => undefined };
  const PLATFORM_SUMMARY = {
    executionName: 'cli-rotate-x',
    accountId: '123456789012',
    partition: 'aws',
    userArn: 'arn:aws:iam::123456789012:user/palette-onboarding/palette-platform.sts-principal',
    accessKeyId: 'AKIANEWKEY0000000002',
    accessKeySecretArn: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:palette-onboarding-platform/sts-access-key-AbCdEf',
    principal: { userName: 'palette-platform.sts-principal', created: false, policyUpdated: false },
    accessKey: { accessKeyId: 'AKIAOLDKEY0000000001', created: false, secretArn: 'arn:x', secretCreated: false },
    rotation: { rotated: true, resumed: false, previousAccessKeyId: 'AKIAOLDKEY0000000001', accessKeyId: 'AKIANEWKEY0000000002', deletedStaleKeys: [] },
    registration: { accountId: '123456789012', accessKeyId: 'AKIANEWKEY0000000002', changed: true, method: 'PUT', verified: true, awsAccountMatches: true },
    keyCleanup: { activeAccessKeyId: 'AKIANEWKEY0000000002', deleted: ['AKIAOLDKEY0000000001'] },
    reverseProxy: { skipped: true },
  };

  it('parses its options; --reverse-proxy needs --local or --helm-values; start-only options are rejected', () => {
    expect(parseArgs(['platform-setup'])).toEqual({ command: 'platform-setup', local: false, rotate: false, takeOver: false, follow: true, pollSeconds: 2, json: false });
    expect(parseArgs(['platform-setup', '--local', '--rotate', '--reverse-proxy', 'rp.json', '--json'])).toEqual({
      command: 'platform-setup',
      local: true,
      rotate: true,
      takeOver: false,
      follow: true,
      pollSeconds: 2,
      reverseProxyFile: 'rp.json',
      json: true,
    });
    expect(parseArgs(['platform-setup', '--take-over', '--reverse-proxy', 'rp.json', '--helm-values', 'frps.yaml'])).toMatchObject({
      local: false,
      takeOver: true,
      reverseProxyFile: 'rp.json',
      helmValuesFile: 'frps.yaml',
    });
    expect(parseArgs(['platform-setup', '--state-machine-arn', PLATFORM_ARN, '--no-follow'])).toMatchObject({ stateMachineArn: PLATFORM_ARN, follow: false });
    for (const [argv, message] of [
      [['platform-setup', '--reverse-proxy', 'rp.json'], /--reverse-proxy without --local only gives the Helm values \(--helm-values OUT\)/],
      [['platform-setup', '--local', '--helm-values', 'frps.yaml'], /--helm-values needs --reverse-proxy FILE/],
      [['start', 'a.json', '--take-over'], /unknown option '--take-over' for start/],
      [['platform-setup', 'extra'], /takes no arguments/],
      [['platform-setup', '--rerun', 'x'], /unknown option '--rerun' for platform-setup/],
      [['platform-setup', '--local', '--region', 'eu-west-1'], /--local runs on the sandbox/],
      [['start', 'a.json', '--rotate'], /unknown option '--rotate' for start/],
      [['start', 'a.json', '--reverse-proxy', 'f'], /unknown option '--reverse-proxy' for start/],
    ] as const) {
      expect(() => parseArgs([...argv])).toThrow(message);
    }
  });

  it('--local runs local/bin/platform-setup.ts with tsx (absolute reverse-proxy path), never Step Functions', async () => {
    const calls: string[][] = [];
    const run: CliDeps['run'] = async (_command, args) => {
      calls.push(args.slice(1));
      return 0;
    };
    expect(await runCli(['platform-setup', '--local'], io().io, { run })).toBe(0);
    expect(await runCli(['platform-setup', '--local', '--rotate', '--reverse-proxy', 'examples/rp.json', '--json'], io().io, { run })).toBe(0);
    expect(await runCli(['platform-setup', '--local', '--take-over'], io().io, { run })).toBe(0);
    expect(calls).toEqual([
      [PLATFORM_SETUP_LOCAL_SCRIPT],
      [PLATFORM_SETUP_LOCAL_SCRIPT, '--rotate', '--reverse-proxy', join(ROOT, 'examples', 'rp.json'), '--json'],
      [PLATFORM_SETUP_LOCAL_SCRIPT, '--take-over'],
    ]);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('--helm-values writes the management cluster\'s frps values (0600) from the checked reverse-proxy file before anything runs; a certificate for another host is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-helm-'));
    try {
      const rp = join(dir, 'rp.json');
      const good = await validReverseProxySecret({ server: 'frps.palette.example.com' });
      writeFileSync(rp, JSON.stringify(good));
      const out = join(dir, 'frps.yaml');
      const calls: string[][] = [];
      const run: CliDeps['run'] = async (_command, args) => {
        calls.push(args.slice(1));
        return 0;
      };
      const t = io();
      expect(await runCli(['platform-setup', '--local', '--reverse-proxy', rp, '--helm-values', out], t.io, { run, localPreflight: async () => undefined })).toBe(0);
      expect(t.out()).toContain(`Wrote the Helm values of Palette's management cluster to ${out} (frps enabled, frpHostURL frps.palette.example.com, server certificate CN=palette-reverse-proxy-client`);
      expect(t.out()).toContain(`  helm upgrade --values values.yaml --values ${out} hubble spectro-mgmt-plane-0.0.0.tgz --install\n`);
      expect(t.out()).not.toContain(Buffer.from(good.clientKey).toString('base64').slice(0, 40));
      expect(statSync(out).mode & 0o777).toBe(0o600);
      const yaml = readFileSync(out, 'utf8');
      expect(yaml).toContain('frps:\n  frps:\n    enabled: true\n    frpHostURL: "frps.palette.example.com"\n    server:\n');
      expect(calls).toEqual([[PLATFORM_SETUP_LOCAL_SCRIPT, '--reverse-proxy', rp]]);

      // Deployed: only the values (the deployment reads its own secret); the run starts with its usual input.
      sfn.on(StartExecutionCommand).resolves({ executionArn: `${PLATFORM_ARN.replace(':stateMachine:', ':execution:')}:n` });
      const d = io({ PALETTE_PLATFORM_SETUP_STATE_MACHINE_ARN: PLATFORM_ARN });
      expect(await runCli(['platform-setup', '--no-follow', '--take-over', '--reverse-proxy', rp, '--helm-values', out], d.io, deps)).toBe(0);
      expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input).toBe('{"takeOver":true}');

      // A certificate for another host name: refused before any call, the values file is not written.
      sfn.reset();
      const ca = await createCa();
      const other = await issueCert(ca, { dnsNames: ['proxy.elsewhere.example.org'] });
      writeFileSync(rp, JSON.stringify({ ...good, caCert: ca.certPem, clientCert: other.certPem, clientKey: other.keyPem }));
      const bad = join(dir, 'bad.yaml');
      const b = io();
      expect(await runCli(['platform-setup', '--local', '--reverse-proxy', rp, '--helm-values', bad], b.io, { run, localPreflight: async () => undefined })).toBe(2);
      expect(b.err()).toContain(
        `palette-onboard: Invalid reverse proxy settings in ${rp}: clientCert: is not valid for the server "frps.palette.example.com": its subject alternative names are DNS:proxy.elsewhere.example.org`,
      );
      expect(existsSync(bad)).toBe(false);
      expect(calls).toHaveLength(1);
      expect(sfn.calls()).toHaveLength(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints a system STS account that is not ours as left alone, and a take-over as such', () => {
    const s = style({});
    const leftAlone = formatSummary(
      {
        stsAccountStatus: 'left-alone',
        executionName: 'cli-setup-x',
        partition: 'aws',
        userArn: PLATFORM_SUMMARY.userArn,
        registration: {
          leftAlone: true,
          changed: false,
          paletteStsAccount: { configured: true, owner: 'foreign', accountId: '222222222222', accessKeyId: 'AKIAHANDMADE00000001', reason: 'it is AWS account 222222222222', leaveAlone: true },
        },
        reverseProxy: { skipped: true },
      },
      s,
    );
    expect(leftAlone).toContain("Palette STS account      LEFT ALONE: account 222222222222, key AKIAHANDMADE00000001 is not this deployment's\n");
    expect(leftAlone).toContain('(it is AWS account 222222222222)');
    expect(leftAlone).toContain('the STS principal was not created or changed; to replace that account: --take-over (deploy: platformStsTakeOver)');
    expect(leftAlone).not.toContain('access key id');
    const taken = formatSummary(
      { ...PLATFORM_SUMMARY, registration: { ...PLATFORM_SUMMARY.registration, tookOver: { accountId: '222222222222', accessKeyId: 'AKIAHANDMADE00000001' } } },
      s,
    );
    expect(taken).toContain("took over from account 222222222222, key AKIAHANDMADE00000001 (not this deployment's)");
  });

  it('deployed: starts the PlatformSetup state machine from the environment with {"rotateAccessKey": true}, follows it and prints the platform summary', async () => {
    sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
      executionArn: `${PLATFORM_ARN.replace(':stateMachine:', ':execution:')}:${input.name}`,
      startDate: new Date(),
    }));
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', stateMachineArn: PLATFORM_ARN, startDate: new Date(), output: JSON.stringify(PLATFORM_SUMMARY) });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [entered(1, 'RotateAccessKey'), exited(2, 'RotateAccessKey')] });
    const t = io({ PALETTE_PLATFORM_SETUP_STATE_MACHINE_ARN: PLATFORM_ARN, PALETTE_ONBOARDING_STATE_MACHINE_ARN: SM_ARN });
    expect(await runCli(['platform-setup', '--rotate'], t.io, deps)).toBe(0);
    const input = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(input?.stateMachineArn).toBe(PLATFORM_ARN);
    expect(input?.input).toBe('{"rotateAccessKey":true}');
    expect(input?.name).toMatch(/^cli-rotate-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    const out = t.out();
    expect(out).toMatch(/✓ RotateAccessKey\s+Task/);
    expect(out).toContain('Platform setup succeeded');
    expect(out).toMatch(/STS principal \(IAM user\) arn:aws:iam::123456789012:user\/palette-onboarding\/palette-platform.sts-principal \(exists, policy unchanged\)/);
    expect(out).toMatch(/access key id\s+AKIANEWKEY0000000002 \(rotated from AKIAOLDKEY0000000001\)/);
    expect(out).toMatch(/Palette STS account\s+123456789012, key AKIANEWKEY0000000002 \(set with PUT, read back and verified\)/);
    expect(out).toMatch(/old keys deleted\s+AKIAOLDKEY0000000001/);
    expect(out).toMatch(/reverse proxy\s+not managed/);

    sfn.reset();
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:eu-central-1:123456789012:execution:PlatformSetupWorkflow169E19CB-abc:x' });
    expect(await runCli(['platform-setup', '--no-follow', '--json'], io({ PALETTE_PLATFORM_SETUP_STATE_MACHINE_ARN: PLATFORM_ARN }).io, deps)).toBe(0);
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input).toBe('{}');
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.name).toMatch(/^cli-setup-/);
  });

  it('deployed: a failure exits 1 with the cause; no state machine configured exits 3 naming the variable and output', async () => {
    const cause = JSON.stringify({ errorType: 'PaletteSystemLoginError', errorMessage: 'Palette system console login failed (401 InvalidCredentials)', trace: [] });
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${PLATFORM_ARN.replace(':stateMachine:', ':execution:')}:n` });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', stateMachineArn: PLATFORM_ARN, startDate: new Date(), error: 'PaletteSystemLoginError', cause });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    const t = io();
    expect(await runCli(['platform-setup', '--state-machine-arn', PLATFORM_ARN], t.io, deps)).toBe(1);
    expect(t.out()).toContain('Platform setup did not succeed\n  FAILED: PaletteSystemLoginError\n  Palette system console login failed (401 InvalidCredentials)');

    const u = io({ PALETTE_ONBOARDING_STATE_MACHINE_ARN: SM_ARN, AWS_REGION: 'eu-central-1' });
    cfn.on(DescribeStacksCommand).rejects(Object.assign(new Error('Stack with id PaletteOnboardingStack does not exist'), { name: 'ValidationError' }));
    expect(await runCli(['platform-setup'], u.io, deps)).toBe(3);
    expect(u.err()).toContain('set PALETTE_PLATFORM_SETUP_STATE_MACHINE_ARN (cannot read stack PaletteOnboardingStack: ValidationError: Stack with id');
    expect(u.err()).toContain('the ARN is the PlatformSetupStateMachineArn output of the deployed stack');
  });

  it('deployed: without an ARN, finds the state machine in the deployed stack\'s outputs', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'tenant-onboarding' }).resolves({
      Stacks: [{ StackName: 'tenant-onboarding', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [{ OutputKey: 'PlatformSetupStateMachineArn', OutputValue: PLATFORM_ARN }] }],
    });
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${PLATFORM_ARN.replace(':stateMachine:', ':execution:')}:n` });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', stateMachineArn: PLATFORM_ARN, startDate: new Date(), output: JSON.stringify(PLATFORM_SUMMARY) });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    const t = io({ PALETTE_ONBOARDING_STACK_NAME: 'tenant-onboarding', AWS_REGION: 'eu-central-1' });
    expect(await runCli(['platform-setup'], t.io, deps)).toBe(0);
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.stateMachineArn).toBe(PLATFORM_ARN);
    // A stack without the output is a clear configuration error.
    cfn.reset();
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'PaletteOnboardingStack', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [] }] });
    const u = io({ AWS_REGION: 'eu-central-1' });
    expect(await runCli(['platform-setup'], u.io, deps)).toBe(3);
    expect(u.err()).toContain('stack PaletteOnboardingStack has no PlatformSetupStateMachineArn output');
  });

  it('status names a platform execution as such; execution names are unique per start', async () => {
    const arn = 'arn:aws:states:eu-central-1:123456789012:execution:PlatformSetupWorkflow169E19CB-abc:deploy-create-1';
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', stateMachineArn: PLATFORM_ARN, startDate: new Date(), output: JSON.stringify(PLATFORM_SUMMARY) });
    const t = io();
    expect(await runCli(['status', arn], t.io, deps)).toBe(0);
    expect(t.out()).toContain('Platform setup succeeded');
    expect(t.out()).not.toContain('Onboarding');
    const now = new Date('2025-03-04T05:06:07.890Z');
    expect(platformExecutionName(false, now, 'abcdef')).toBe('cli-setup-20250304T050607Z-abcdef');
    expect(platformExecutionName(true, now)).not.toBe(platformExecutionName(true, now));
  });
});
