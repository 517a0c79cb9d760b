/**
 * The local runner end to end on a fixture CDK app (test/e2e/fixtures/app.ts) and the sandbox: the
 * definition comes from the synthesized template, bundled handlers run in-process with the template's
 * environment, and the run is recorded (history, logs, events, progress).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAssembly } from '../../local/runner/assembly';
import type { ProgressEvent } from '../../local/runner/execute';
import { runStateMachine, type LocalRunResult, type LocalWorkflow } from '../../local/runner/runner';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { FIXTURE_SECRET_NAME, fixtureAssemblySource } from './fixtures/app';

let sb: RunningLocalSandbox;
let workflow: LocalWorkflow;

beforeAll(async () => {
  workflow = { assembly: await loadAssembly(fixtureAssemblySource()) };
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 0 } }, palette: { port: 0 }, env: {} });
}, 180_000);
afterAll(async () => {
  await sb?.stop();
});

const FIXTURE = 'FixtureMachine';
const fast = { waitOverridesMs: { WaitABit: 0 }, retryIntervalOverridesMs: { FlakyTask: 0 } };

function durationOf(run: LocalRunResult, state: string): number {
  const start = run.history.find((e) => e.state === state && e.type.endsWith('StateEntered'));
  const end = run.history.find((e) => e.state === state && e.type.endsWith('StateExited'));
  if (!start || !end) throw new Error(`no enter/exit for ${state}`);
  return Date.parse(end.timestamp) - Date.parse(start.timestamp);
}

describe('a successful fixture execution', () => {
  let run: LocalRunResult;
  const progress: ProgressEvent[] = [];
  const sentinel = 'value-before-the-run';
  let compression: string | undefined;

  beforeAll(async () => {
    process.env.FIXTURE_LITERAL = sentinel;
    process.env.AWS_PROFILE = 'some-developer-profile';
    // This run checks real Wait times: no time compression (vitest.config.mts sets LOCAL_RUNNER_WAIT_MS).
    compression = process.env.LOCAL_RUNNER_WAIT_MS;
    delete process.env.LOCAL_RUNNER_WAIT_MS;
    run = await runStateMachine(
      { mode: 'ok', waitSeconds: 1 },
      {
        sandbox: sb,
        workflow,
        stateMachine: FIXTURE,
        executionName: 'fixture-ok-1',
        coldStart: true,
        retryIntervalOverridesMs: { FlakyTask: 0 },
        onProgress: (e) => progress.push(e),
      },
    );
  }, 120_000);
  afterAll(() => {
    delete process.env.FIXTURE_LITERAL;
    delete process.env.AWS_PROFILE;
    if (compression !== undefined) process.env.LOCAL_RUNNER_WAIT_MS = compression;
  });

  it('succeeds, with $$.Execution.Name set to the execution name', () => {
    expect(run.status).toBe('SUCCEEDED');
    expect(run.executionName).toBe('fixture-ok-1');
    expect(run.executionArn).toBe(`arn:aws:states:us-east-1:000000000000:execution:${run.stateMachine.name}:fixture-ok-1`);
    expect(run.output).toMatchObject({ raw: { mode: 'ok', waitSeconds: 1 }, execution: { name: 'fixture-ok-1' } });
  });

  it('gives handlers the template environment, with only the endpoints, the API-key secret and SDK settings overridden', () => {
    const inspect = (run.output as { inspect: { env: Record<string, string>; apiKeySha256: string; context: Record<string, unknown> } }).inspect;
    expect(inspect.env).toEqual({
      PALETTE_ENDPOINT: sb.palette.endpoint,
      PALETTE_API_KEY_SECRET_ARN: expect.stringMatching(new RegExp(`^arn:aws:secretsmanager:us-east-1:000000000000:secret:${FIXTURE_SECRET_NAME}-[A-Za-z0-9]{6}$`)),
      HOME_ACCOUNT_ID: '000000000000',
      FIXTURE_BUS_ARN: 'arn:aws:events:us-east-1:000000000000:event-bus/fixture-bus',
      FIXTURE_LITERAL: 'from-the-template',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: sb.aws.endpoint,
    });
    // The handler read the emulator's API key from the sandbox's Secrets Manager.
    expect(inspect.apiKeySha256).toBe(createHash('sha256').update(sb.palette.apiKey).digest('hex'));
    expect(inspect.context).toMatchObject({
      functionName: 'RunnerFixtureStack-InspectEnv4D106B53',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:RunnerFixtureStack-InspectEnv4D106B53',
    });
    expect((inspect.context.remainingMs as number) > 5_000).toBe(true);
  });

  it('restores the process environment afterwards', () => {
    expect(process.env.FIXTURE_LITERAL).toBe(sentinel);
    expect(process.env.AWS_PROFILE).toBe('some-developer-profile');
  });

  it('retries a named error per the Retry policy, inside a Parallel branch', () => {
    const flaky = run.history.filter((e) => e.state === 'FlakyTask').map((e) => e.type);
    expect(flaky).toEqual([
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'StateFailed',
      'StateRetried',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
    ]);
    expect(run.history.find((e) => e.type === 'LambdaFunctionFailed')).toMatchObject({ error: 'FlakyError' });
    // JSON semantics of a real invocation: a Date result arrives as its ISO string.
    expect((run.output as { parallel: unknown }).parallel).toEqual([{ calls: 2, branch: 'a', at: '1970-01-01T00:00:00.000Z' }, { other: true }]);
  });

  it('waits for real in Wait states', () => {
    expect(durationOf(run, 'WaitABit')).toBeGreaterThanOrEqual(990);
  });

  it('serves lambda:invoke (Payload wrapper) and events:putEvents (recorded events)', () => {
    expect((run.output as { outcome: unknown }).outcome).toEqual({ result: { mode: 'ok' }, status: 200 });
    expect(run.events).toHaveLength(1);
    expect(run.events[0]).toMatchObject({
      eventBusName: 'fixture-bus',
      source: 'fixture',
      detailType: 'Fixture Succeeded',
      detail: { result: { mode: 'ok' }, status: 200 },
      account: '000000000000',
      state: 'NotifySuccess',
    });
    expect((run.output as { notify: { FailedEntryCount: number; Entries: { EventId: string }[] } }).notify).toEqual({
      FailedEntryCount: 0,
      Entries: [{ EventId: run.events[0]?.id }],
    });
  });

  it('captures handler output per invocation, with Lambda platform lines', () => {
    const inspectLogs = run.logs.filter((l) => l.functionLogicalId?.startsWith('InspectEnv'));
    const texts = inspectLogs.map((l) => l.text);
    expect(texts.some((t) => t.startsWith('START RequestId: '))).toBe(true);
    expect(texts.some((t) => t.includes('"message":"inspect-env ran"') && t.includes('fixture-ok-1'))).toBe(true);
    expect(texts).toContain('raw stdout line from inspect-env\n');
    expect(texts.some((t) => t.startsWith('REPORT RequestId: '))).toBe(true);
    expect(inspectLogs.filter((l) => l.source === 'handler').every((l) => l.state === 'InspectEnvTask')).toBe(true);
    expect(run.invocations.map((i) => i.state)).toEqual(['InspectEnvTask', 'FlakyTask', 'FlakyTask', 'OutcomeTask']);
  });

  it('reports progress per state with nesting depth and retries', () => {
    const succeeded = progress.filter((e) => e.kind === 'state-succeeded').map((e) => (e.kind === 'state-succeeded' ? `${e.state}@${e.depth}` : ''));
    expect(succeeded).toEqual(
      expect.arrayContaining(['Init@0', 'InspectEnvTask@0', 'FlakyTask@1', 'OtherBranch@1', 'Both@0', 'WaitABit@0', 'OutcomeTask@0', 'NotifySuccess@0']),
    );
    expect(progress.some((e) => e.kind === 'state-retried' && e.state === 'FlakyTask' && e.attempt === 1)).toBe(true);
    expect(progress.at(-1)).toMatchObject({ kind: 'execution-finished', status: 'SUCCEEDED' });
  });
});

describe('failing fixture executions', () => {
  it('reports a named handler error as Step Functions does: caught, notified, then the Fail state', async () => {
    const progress: ProgressEvent[] = [];
    const run = await runStateMachine({ mode: 'fail' }, { sandbox: sb, workflow, stateMachine: FIXTURE, executionName: 'fixture-fail', ...fast, onProgress: (e) => progress.push(e) });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('FixtureFailure');
    const cause = JSON.parse(run.cause ?? '') as { errorType: string; errorMessage: string; trace: string[] };
    expect(cause.errorType).toBe('FixtureFailure');
    expect(cause.errorMessage).toBe('the fixture failed on purpose: "quoted" detail');
    expect(run.errorMessage).toBe(cause.errorMessage);
    expect(run.history.find((e) => e.type === 'StateCaught')).toMatchObject({ state: 'OutcomeTask', next: 'NotifyFailure' });
    expect(run.events.map((e) => [e.detailType, e.detail])).toEqual([['Fixture Failed', { error: 'FixtureFailure', name: 'fixture-fail' }]]);
    expect(run.logs.some((l) => l.stream === 'stderr' && l.source === 'handler' && l.text === 'about to fail\n')).toBe(true);
    // A caught failure is not reported as a success of that state.
    expect(progress.some((e) => e.kind === 'state-succeeded' && e.state === 'OutcomeTask')).toBe(false);
    expect(progress.some((e) => e.kind === 'state-failed' && e.state === 'OutcomeTask' && e.error === 'FixtureFailure')).toBe(true);
  }, 60_000);

  it("enforces the function's Timeout from the template", async () => {
    const run = await runStateMachine({ mode: 'timeout' }, { sandbox: sb, workflow, stateMachine: FIXTURE, executionName: 'fixture-timeout', ...fast });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('Sandbox.Timedout');
    expect(run.errorMessage).toMatch(/Task timed out after 1\.00 seconds$/);
    expect(run.history.some((e) => e.type === 'LambdaFunctionTimedOut' && e.state === 'OutcomeTask')).toBe(true);
    const took = run.history.filter((e) => e.state === 'OutcomeTask');
    const span = Date.parse(took.at(-1)?.timestamp ?? '') - Date.parse(took[0]?.timestamp ?? '');
    expect(span).toBeGreaterThanOrEqual(950);
    expect(span).toBeLessThan(4_000);
  }, 60_000);
});

describe('state machine selection', () => {
  it('runs any state machine of the template by logical-id prefix', async () => {
    const run = await runStateMachine({ a: 1 }, { sandbox: sb, workflow, stateMachine: 'OtherMachine', executionName: 'other' });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toEqual({ a: 1 });
    expect(run.stateMachine.logicalId).toMatch(/^OtherMachine/);
  });

  it('names the available state machines when the selector matches none', async () => {
    await expect(runStateMachine({}, { sandbox: sb, workflow, stateMachine: 'Nope', executionName: 'x' })).rejects.toThrow(
      /no state machine matches logical-id prefix 'Nope'; state machines: FixtureMachine\w+, OtherMachine\w+/,
    );
  });
});

describe('lambda:invoke with a FunctionName chosen at run time', () => {
  it('a Map picks the function from a static array of ARNs (States.ArrayGetItem): the function runs with its template environment', async () => {
    const arn = 'arn:aws:lambda:us-east-1:000000000000:function:RunnerFixtureStack-InspectEnv4D106B53';
    // The only lambda:invoke names its function through `FunctionName.$`: the runner cannot know it before the run.
    const definition = {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemSelector: { 'item.$': '$$.Map.Item.Value', functions: [arn] },
          ItemProcessor: {
            ProcessorConfig: { Mode: 'INLINE' },
            StartAt: 'Invoke',
            States: {
              Invoke: {
                Type: 'Task',
                Resource: 'arn:aws:states:::lambda:invoke',
                Parameters: { 'FunctionName.$': 'States.ArrayGetItem($.functions, $.item.index)', Payload: { execution: { name: 'dynamic' } } },
                OutputPath: '$.Payload',
                End: true,
              },
            },
          },
          End: true,
        },
      },
    };
    const run = await runStateMachine({ items: [{ index: 0 }] }, { sandbox: sb, workflow, stateMachine: FIXTURE, executionName: 'fixture-dynamic-invoke', definition });
    expect(run.status, run.cause).toBe('SUCCEEDED');
    const [inspected] = run.output as Array<{ env: Record<string, string> }>;
    expect(inspected?.env).toMatchObject({ FIXTURE_LITERAL: 'from-the-template', FIXTURE_BUS_ARN: 'arn:aws:events:us-east-1:000000000000:event-bus/fixture-bus' });
  }, 120_000);
});
