/**
 * The sandbox's Step Functions service (local/aws/services/states) through the real SDK client (and once through the
 * AWS CLI), with fake execution engines written here: state machines, StartExecution's name dedupe, describe / list /
 * history with paging, StopExecution, RedriveExecution, map runs (ListMapRuns, DescribeMapRun), the no-engine answer, IAM authorization, deliveries from
 * EventBridge through the kernel's TargetRouter, and a restart with a state file.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, PutRolePolicyCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  ListStateMachinesCommand,
  ListTagsForResourceCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  TagResourceCommand,
  UpdateStateMachineCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../local/aws/core/types';
import { NO_ENGINE_CAUSE, RESTARTED_CAUSE, stepFunctionsOf, type ExecutionEngine, type MapRunCounts } from '../../local/aws/services/states';
import { allowPolicy, expectAwsError, iamClient, keysOf, start, trustPolicy, type Keys } from './core-fixtures';

const run = promisify(execFile);
const DEFINITION = JSON.stringify({ StartAt: 'Hello', States: { Hello: { Type: 'Pass', End: true } } });
const OTHER_DEFINITION = JSON.stringify({ StartAt: 'Bye', States: { Bye: { Type: 'Succeed' } } });

let sb: RunningSandbox;
const sfn = (keys: Keys = keysOf(sb)) => new SFNClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: keys, maxAttempts: 1 });
const states = () => stepFunctionsOf(sb.services);

beforeEach(async () => {
  sb = await start();
});
afterEach(async () => {
  await states().idle();
  await sb.stop();
});

/** Succeeds with {echo: input} after two Pass events. */
const echoEngine: ExecutionEngine = {
  async run(startInfo, { onEvent }) {
    const now = Date.now();
    onEvent({ type: 'PassStateEntered', timestamp: now, stateEnteredEventDetails: { name: 'Hello', input: startInfo.input } });
    onEvent({ type: 'PassStateExited', timestamp: now, stateExitedEventDetails: { name: 'Hello', output: startInfo.input } });
    return { status: 'SUCCEEDED', output: JSON.stringify({ echo: JSON.parse(startInfo.input) as unknown }) };
  },
};

/** Runs until released (SUCCEEDED) or aborted (ABORTED); records what it saw. */
function gatedEngine() {
  const releases: Array<() => void> = [];
  const aborted: string[] = [];
  const engine: ExecutionEngine = {
    run(startInfo, { onEvent, signal }) {
      onEvent({ type: 'PassStateEntered', timestamp: Date.now(), stateEnteredEventDetails: { name: 'Hello', input: startInfo.input } });
      return new Promise((resolve) => {
        releases.push(() => resolve({ status: 'SUCCEEDED', output: startInfo.input }));
        signal.addEventListener('abort', () => {
          aborted.push(startInfo.executionArn);
          resolve({ status: 'ABORTED' });
        });
      });
    },
  };
  return { engine, releaseAll: () => releases.splice(0).forEach((r) => r()), aborted };
}

const counts = (c: Partial<MapRunCounts>): MapRunCounts => ({ pending: 0, running: 0, succeeded: 0, failed: 0, timedOut: 0, aborted: 0, total: 0, resultsWritten: 0, ...c });

/**
 * Reports a map run of 3 items as a Distributed Map would (its ARN `mapRunArn(start)`), then waits until released
 * (the items succeed, the map run SUCCEEDED, the execution SUCCEEDED) or aborted; `second`: also reports a map run
 * whose ARN names another machine.
 */
function mapRunEngine(mapRunArn: (executionArn: string) => string, second?: string) {
  const releases: Array<() => void> = [];
  const engine: ExecutionEngine = {
    run(startInfo, { onMapRun, signal }) {
      const arn = mapRunArn(startInfo.executionArn);
      const settings = { maxConcurrency: 2, toleratedFailurePercentage: 10, toleratedFailureCount: 0 };
      onMapRun?.({ mapRunArn: arn, status: 'RUNNING', itemCounts: counts({ pending: 3, total: 3 }), ...settings });
      onMapRun?.({ mapRunArn: arn, status: 'RUNNING', itemCounts: counts({ pending: 1, running: 2, total: 3 }) });
      if (second !== undefined) onMapRun?.({ mapRunArn: second, status: 'FAILED', itemCounts: counts({ failed: 1, total: 1 }) });
      return new Promise((resolve) => {
        releases.push(() => {
          onMapRun?.({ mapRunArn: arn, status: 'SUCCEEDED', itemCounts: counts({ succeeded: 3, total: 3, resultsWritten: 3 }) });
          resolve({ status: 'SUCCEEDED', output: '{}' });
        });
        signal.addEventListener('abort', () => resolve({ status: 'ABORTED' }));
      });
    },
  };
  return { engine, releaseAll: () => releases.splice(0).forEach((r) => r()) };
}

const failingEngine: ExecutionEngine = {
  run() {
    throw new Error('boom: the task exploded');
  },
};

async function role(name: string, service: string, policy?: string): Promise<string> {
  const iam = iamClient(sb);
  const out = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trustPolicy({ Service: service }) }));
  if (policy !== undefined) await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'p', PolicyDocument: policy }));
  iam.destroy();
  return out.Role?.Arn ?? '';
}

async function machine(name: string, opts: { definition?: string; type?: 'STANDARD' | 'EXPRESS' } = {}): Promise<string> {
  const roleArn = await role(`${name}-role`, 'states.amazonaws.com');
  const out = await sfn().send(new CreateStateMachineCommand({ name, definition: opts.definition ?? DEFINITION, roleArn, ...(opts.type ? { type: opts.type } : {}) }));
  return out.stateMachineArn ?? '';
}

describe('Step Functions: state machines', () => {
  it('create (idempotent on the same definition), describe, list with paging, update, tag, delete', async () => {
    const c = sfn();
    const roleArn = await role('sm-role', 'states.amazonaws.com');
    const created = await c.send(new CreateStateMachineCommand({ name: 'alpha', definition: DEFINITION, roleArn, tags: [{ key: 'team', value: 'a' }] }));
    expect(created.stateMachineArn).toBe(`arn:aws:states:us-east-1:${sb.accountId}:stateMachine:alpha`);
    expect(created.creationDate).toBeInstanceOf(Date);
    expect(Math.abs((created.creationDate?.getTime() ?? 0) - Date.now())).toBeLessThan(5000);
    const again = await c.send(new CreateStateMachineCommand({ name: 'alpha', definition: DEFINITION, roleArn }));
    expect(again.creationDate?.getTime()).toBe(created.creationDate?.getTime());
    await expectAwsError(c.send(new CreateStateMachineCommand({ name: 'alpha', definition: OTHER_DEFINITION, roleArn })), 'StateMachineAlreadyExists', 400);
    for (const n of ['bravo', 'charlie']) await c.send(new CreateStateMachineCommand({ name: n, definition: DEFINITION, roleArn, type: 'EXPRESS' }));

    const d = await c.send(new DescribeStateMachineCommand({ stateMachineArn: created.stateMachineArn }));
    expect(d).toMatchObject({ name: 'alpha', definition: DEFINITION, roleArn, type: 'STANDARD', status: 'ACTIVE', loggingConfiguration: { level: 'OFF' } });

    const page1 = await c.send(new ListStateMachinesCommand({ maxResults: 2 }));
    expect(page1.stateMachines?.map((m) => m.name)).toEqual(['alpha', 'bravo']);
    const page2 = await c.send(new ListStateMachinesCommand({ maxResults: 2, nextToken: page1.nextToken }));
    expect(page2.stateMachines?.map((m) => [m.name, m.type])).toEqual([['charlie', 'EXPRESS']]);
    expect(page2.nextToken).toBeUndefined();
    await expectAwsError(c.send(new ListStateMachinesCommand({ nextToken: 'garbage' })), 'InvalidToken', 400);
    // As on AWS, the executions of an EXPRESS machine are not listed.
    const bravo = page1.stateMachines?.[1]?.stateMachineArn;
    await expectAwsError(c.send(new ListExecutionsCommand({ stateMachineArn: bravo })), 'StateMachineTypeNotSupported', 400);
    const express = await c.send(new StartExecutionCommand({ stateMachineArn: bravo }));
    expect(express.executionArn).toMatch(/:express:bravo:[0-9a-f-]{36}:[0-9a-f-]{36}$/);
    await expectAwsError(c.send(new DescribeExecutionCommand({ executionArn: express.executionArn })), 'StateMachineTypeNotSupported', 400);

    const updated = await c.send(new UpdateStateMachineCommand({ stateMachineArn: created.stateMachineArn, definition: OTHER_DEFINITION }));
    expect(updated.updateDate).toBeInstanceOf(Date);
    expect((await c.send(new DescribeStateMachineCommand({ stateMachineArn: created.stateMachineArn }))).definition).toBe(OTHER_DEFINITION);

    await c.send(new TagResourceCommand({ resourceArn: created.stateMachineArn, tags: [{ key: 'env', value: 'dev' }] }));
    expect((await c.send(new ListTagsForResourceCommand({ resourceArn: created.stateMachineArn }))).tags).toEqual([
      { key: 'team', value: 'a' },
      { key: 'env', value: 'dev' },
    ]);

    await c.send(new DeleteStateMachineCommand({ stateMachineArn: created.stateMachineArn }));
    await c.send(new DeleteStateMachineCommand({ stateMachineArn: created.stateMachineArn }));
    await expectAwsError(
      c.send(new DescribeStateMachineCommand({ stateMachineArn: created.stateMachineArn })),
      'StateMachineDoesNotExist',
      400,
      `State Machine Does Not Exist: '${created.stateMachineArn}'`,
    );
    expect(sb.inventory()[sb.accountId]?.stateMachines).toEqual(['us-east-1/bravo', 'us-east-1/charlie']);
    c.destroy();
  });

  it('refuses bad names, definitions and ARNs, and a role that does not trust states.amazonaws.com', async () => {
    const c = sfn();
    const roleArn = await role('good-role', 'states.amazonaws.com');
    const lambdaRole = await role('lambda-role', 'lambda.amazonaws.com');
    await expectAwsError(c.send(new CreateStateMachineCommand({ name: 'has space', definition: DEFINITION, roleArn })), 'InvalidName', 400, "Invalid Name: 'has space'");
    await expectAwsError(c.send(new CreateStateMachineCommand({ name: 'x', definition: '{not json', roleArn })), 'InvalidDefinition', 400, /INVALID_JSON_DESCRIPTION/);
    await expectAwsError(c.send(new CreateStateMachineCommand({ name: 'x', definition: '{"StartAt":"A","States":{"B":{"Type":"Pass","End":true}}}', roleArn })), 'InvalidDefinition', 400);
    await expectAwsError(c.send(new CreateStateMachineCommand({ name: 'x', definition: DEFINITION, roleArn: 'not-an-arn' })), 'InvalidArn', 400);
    await expectAwsError(c.send(new CreateStateMachineCommand({ name: 'x', definition: DEFINITION, roleArn: lambdaRole })), 'AccessDeniedException', 400, /states\.amazonaws\.com/);
    await expectAwsError(c.send(new DescribeStateMachineCommand({ stateMachineArn: 'arn:aws:states:us-east-1:000000000000:execution:a:b' })), 'InvalidArn', 400);
    c.destroy();
  });
});

describe('Step Functions: executions', () => {
  it('StartExecution dedupes by name: same name and input while RUNNING -> the same execution; otherwise ExecutionAlreadyExists', async () => {
    const gate = gatedEngine();
    states().setEngine(gate.engine);
    const smArn = await machine('dedupe');
    const c = sfn();
    const first = await c.send(new StartExecutionCommand({ stateMachineArn: smArn, name: 'run-1', input: '{"a":1}' }));
    expect(first.executionArn).toBe(`arn:aws:states:us-east-1:${sb.accountId}:execution:dedupe:run-1`);
    const same = await c.send(new StartExecutionCommand({ stateMachineArn: smArn, name: 'run-1', input: '{"a":1}' }));
    expect(same.executionArn).toBe(first.executionArn);
    expect(same.startDate?.getTime()).toBe(first.startDate?.getTime());
    await expectAwsError(
      c.send(new StartExecutionCommand({ stateMachineArn: smArn, name: 'run-1', input: '{"a":2}' })),
      'ExecutionAlreadyExists',
      400,
      `Execution Already Exists: '${first.executionArn}'`,
    );
    gate.releaseAll();
    expect((await states().waitFor(first.executionArn ?? '')).status).toBe('SUCCEEDED');
    await expectAwsError(c.send(new StartExecutionCommand({ stateMachineArn: smArn, name: 'run-1', input: '{"a":1}' })), 'ExecutionAlreadyExists', 400);

    const unnamed = await c.send(new StartExecutionCommand({ stateMachineArn: smArn }));
    expect(unnamed.executionArn).toMatch(/:execution:dedupe:[0-9a-f-]{36}$/);
    await expectAwsError(c.send(new StartExecutionCommand({ stateMachineArn: smArn, input: '{oops' })), 'InvalidExecutionInput', 400);
    await expectAwsError(c.send(new StartExecutionCommand({ stateMachineArn: smArn, name: 'a*b' })), 'InvalidName', 400);
    await expectAwsError(c.send(new StartExecutionCommand({ stateMachineArn: smArn, name: 'x'.repeat(81) })), 'ValidationException', 400);
    await expectAwsError(c.send(new StartExecutionCommand({ stateMachineArn: `${smArn}-missing` })), 'StateMachineDoesNotExist', 400);
    gate.releaseAll();
    c.destroy();
  });

  it('describe, list (newest first, statusFilter, paging) and history (ids, paging, reverseOrder) of finished executions', async () => {
    states().setEngine(echoEngine);
    const smArn = await machine('echo');
    const c = sfn();
    const arns: string[] = [];
    for (let i = 0; i < 5; i++) {
      const out = await c.send(new StartExecutionCommand({ stateMachineArn: smArn, name: `e${i}`, input: JSON.stringify({ i }) }));
      arns.push(out.executionArn ?? '');
      await states().waitFor(out.executionArn ?? '');
    }
    const d = await c.send(new DescribeExecutionCommand({ executionArn: arns[2] }));
    expect(d).toMatchObject({ name: 'e2', status: 'SUCCEEDED', input: '{"i":2}', output: '{"echo":{"i":2}}', stateMachineArn: smArn, redriveCount: 0, redriveStatus: 'NOT_REDRIVABLE' });
    expect(d.stopDate?.getTime()).toBeGreaterThanOrEqual(d.startDate?.getTime() ?? Infinity);
    expect(d.error).toBeUndefined();

    const seen: string[] = [];
    let token: string | undefined;
    do {
      const p = await c.send(new ListExecutionsCommand({ stateMachineArn: smArn, maxResults: 2, ...(token ? { nextToken: token } : {}) }));
      expect(p.executions?.length).toBeLessThanOrEqual(2);
      seen.push(...(p.executions ?? []).map((e) => e.name ?? ''));
      token = p.nextToken;
    } while (token);
    expect(seen).toEqual(['e4', 'e3', 'e2', 'e1', 'e0']);
    expect((await c.send(new ListExecutionsCommand({ stateMachineArn: smArn, statusFilter: 'FAILED' }))).executions).toEqual([]);
    expect((await c.send(new ListExecutionsCommand({ stateMachineArn: smArn, statusFilter: 'SUCCEEDED' }))).executions).toHaveLength(5);

    const history = await c.send(new GetExecutionHistoryCommand({ executionArn: arns[0] }));
    const events = history.events ?? [];
    expect(events.map((e) => [e.id, e.previousEventId, e.type])).toEqual([
      [1, 0, 'ExecutionStarted'],
      [2, 1, 'PassStateEntered'],
      [3, 2, 'PassStateExited'],
      [4, 3, 'ExecutionSucceeded'],
    ]);
    expect(events[0]?.executionStartedEventDetails).toMatchObject({ input: '{"i":0}' });
    expect(events[1]?.stateEnteredEventDetails).toMatchObject({ name: 'Hello' });
    expect(events[3]?.executionSucceededEventDetails?.output).toBe('{"echo":{"i":0}}');
    expect(events[0]?.timestamp).toBeInstanceOf(Date);

    const firstPage = await c.send(new GetExecutionHistoryCommand({ executionArn: arns[0], maxResults: 3 }));
    expect(firstPage.events?.map((e) => e.id)).toEqual([1, 2, 3]);
    const secondPage = await c.send(new GetExecutionHistoryCommand({ executionArn: arns[0], maxResults: 3, nextToken: firstPage.nextToken }));
    expect(secondPage.events?.map((e) => e.id)).toEqual([4]);
    expect(secondPage.nextToken).toBeUndefined();
    const reversed = await c.send(new GetExecutionHistoryCommand({ executionArn: arns[0], reverseOrder: true, maxResults: 2 }));
    expect(reversed.events?.map((e: HistoryEvent) => e.id)).toEqual([4, 3]);
    const reversedRest = await c.send(new GetExecutionHistoryCommand({ executionArn: arns[0], reverseOrder: true, nextToken: reversed.nextToken }));
    expect(reversedRest.events?.map((e) => e.id)).toEqual([2, 1]);

    const forExecution = await c.send(new DescribeStateMachineForExecutionCommand({ executionArn: arns[0] }));
    expect(forExecution).toMatchObject({ stateMachineArn: smArn, name: 'echo', definition: DEFINITION });
    await expectAwsError(c.send(new DescribeExecutionCommand({ executionArn: `${smArn.replace(':stateMachine:', ':execution:')}:nope` })), 'ExecutionDoesNotExist', 400);
    expect(sb.inventory()[sb.accountId]?.executions).toEqual(['us-east-1/echo/e0', 'us-east-1/echo/e1', 'us-east-1/echo/e2', 'us-east-1/echo/e3', 'us-east-1/echo/e4']);
    c.destroy();
  });

  it('StopExecution aborts a running execution through the engine signal; a failed execution redrives', async () => {
    const gate = gatedEngine();
    states().setEngine(gate.engine);
    const smArn = await machine('stoppable');
    const c = sfn();
    const { executionArn } = await c.send(new StartExecutionCommand({ stateMachineArn: smArn, name: 'long' }));
    const running = await c.send(new DescribeExecutionCommand({ executionArn }));
    expect(running).toMatchObject({ status: 'RUNNING', redriveStatus: 'NOT_REDRIVABLE' });
    expect(running.stopDate).toBeUndefined();
    const stopped = await c.send(new StopExecutionCommand({ executionArn, error: 'Manual', cause: 'operator said so' }));
    expect(stopped.stopDate).toBeInstanceOf(Date);
    expect(await c.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ status: 'ABORTED', error: 'Manual', cause: 'operator said so', redriveStatus: 'REDRIVABLE' });
    await states().idle();
    expect(gate.aborted).toEqual([executionArn]);
    const history = (await c.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? [];
    expect(history.map((e) => e.type)).toEqual(['ExecutionStarted', 'PassStateEntered', 'ExecutionAborted']);
    expect(history[2]?.executionAbortedEventDetails).toEqual({ error: 'Manual', cause: 'operator said so' });

    states().setEngine(failingEngine);
    const failed = await c.send(new StartExecutionCommand({ stateMachineArn: smArn, name: 'fails', input: '{"x":1}' }));
    expect(await states().waitFor(failed.executionArn ?? '')).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: 'boom: the task exploded' });
    states().setEngine(echoEngine);
    const redriven = await c.send(new RedriveExecutionCommand({ executionArn: failed.executionArn }));
    expect(redriven.redriveDate).toBeInstanceOf(Date);
    expect(await states().waitFor(failed.executionArn ?? '')).toMatchObject({ status: 'SUCCEEDED', output: '{"echo":{"x":1}}', redriveCount: 1 });
    const after = await c.send(new DescribeExecutionCommand({ executionArn: failed.executionArn }));
    expect(after).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
    expect(after.error).toBeUndefined();
    const types = ((await c.send(new GetExecutionHistoryCommand({ executionArn: failed.executionArn }))).events ?? []).map((e) => e.type);
    expect(types).toEqual(['ExecutionStarted', 'ExecutionFailed', 'ExecutionRedriven', 'PassStateEntered', 'PassStateExited', 'ExecutionSucceeded']);
    expect((await c.send(new ListExecutionsCommand({ stateMachineArn: smArn, redriveFilter: 'REDRIVEN' }))).executions?.map((e) => e.name)).toEqual(['fails']);
    await expectAwsError(c.send(new RedriveExecutionCommand({ executionArn: failed.executionArn })), 'ExecutionNotRedrivable', 400);
    c.destroy();
  });

  it('without an engine an execution is recorded FAILED with a cause saying how to run the app', async () => {
    const smArn = await machine('no-engine');
    const c = sfn();
    const { executionArn } = await c.send(new StartExecutionCommand({ stateMachineArn: smArn, name: 'lonely' }));
    const d = await c.send(new DescribeExecutionCommand({ executionArn }));
    expect(d).toMatchObject({ status: 'FAILED', error: 'Sandbox.NoEngine', cause: NO_ENGINE_CAUSE });
    expect(NO_ENGINE_CAUSE).toContain('without --no-app');
    c.destroy();
  });

  it('a running execution survives a restart as ABORTED with a cause saying so; finished ones keep their result', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sfn-state-'));
    const stateFile = join(dir, 'state.json');
    await sb.stop();
    sb = await start({ stateFile });
    const gate = gatedEngine();
    states().setEngine(gate.engine);
    const smArn = await machine('durable');
    const c = sfn();
    const done = await c.send(new StartExecutionCommand({ stateMachineArn: smArn, name: 'done', input: '{"k":"v"}' }));
    gate.releaseAll();
    await states().waitFor(done.executionArn ?? '');
    const pending = await c.send(new StartExecutionCommand({ stateMachineArn: smArn, name: 'pending' }));
    c.destroy();
    await sb.stop();
    sb = await start({ stateFile });
    try {
      const c2 = sfn();
      expect(await c2.send(new DescribeExecutionCommand({ executionArn: done.executionArn }))).toMatchObject({ status: 'SUCCEEDED', output: '{"k":"v"}' });
      expect(await c2.send(new DescribeExecutionCommand({ executionArn: pending.executionArn }))).toMatchObject({ status: 'ABORTED', error: 'Sandbox.Restarted', cause: RESTARTED_CAUSE });
      expect((await c2.send(new DescribeStateMachineCommand({ stateMachineArn: smArn }))).name).toBe('durable');
      c2.destroy();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Step Functions: map runs', () => {
  it('ListMapRuns / DescribeMapRun serve the map runs the engine reports: counts while RUNNING, then SUCCEEDED; paging; a foreign ARN reshaped', async () => {
    const smArn = await machine('mapper');
    const mapRunOf = (executionArn: string) => `${executionArn.replace(':execution:', ':mapRun:').replace(/:([^:]+)$/, '/Items:')}${executionArn.split(':').at(-1)}-1`;
    const gate = mapRunEngine(mapRunOf, 'arn:aws:states:eu-west-1:111111111111:mapRun:other/Inner:abc');
    states().setEngine(gate.engine);
    const c = sfn();
    const { executionArn = '' } = await c.send(new StartExecutionCommand({ stateMachineArn: smArn, name: 'bulk-1' }));
    const mapRunArn = `arn:aws:states:us-east-1:${sb.accountId}:mapRun:mapper/Items:bulk-1-1`;
    expect(mapRunOf(executionArn)).toBe(mapRunArn);
    const listed = (await c.send(new ListMapRunsCommand({ executionArn }))).mapRuns ?? [];
    const reshaped = `arn:aws:states:us-east-1:${sb.accountId}:mapRun:mapper/Inner:abc`;
    // Newest first.
    expect(listed.map((m) => m.mapRunArn)).toEqual([reshaped, mapRunArn]);
    expect(listed[1]).toMatchObject({ executionArn, stateMachineArn: `arn:aws:states:us-east-1:${sb.accountId}:stateMachine:mapper/Items` });
    expect(listed[1]?.startDate).toBeInstanceOf(Date);
    expect(listed[1]?.stopDate).toBeUndefined();
    expect(listed[0]?.stopDate).toBeInstanceOf(Date);
    const page1 = await c.send(new ListMapRunsCommand({ executionArn, maxResults: 1 }));
    expect(page1.mapRuns?.map((m) => m.mapRunArn)).toEqual([reshaped]);
    const page2 = await c.send(new ListMapRunsCommand({ executionArn, maxResults: 1, nextToken: page1.nextToken }));
    expect(page2.mapRuns?.map((m) => m.mapRunArn)).toEqual([mapRunArn]);
    expect(page2.nextToken).toBeUndefined();

    const running = await c.send(new DescribeMapRunCommand({ mapRunArn }));
    expect(running).toMatchObject({
      mapRunArn,
      executionArn,
      status: 'RUNNING',
      maxConcurrency: 2,
      toleratedFailurePercentage: 10,
      toleratedFailureCount: 0,
      itemCounts: counts({ pending: 1, running: 2, total: 3 }),
      executionCounts: counts({ pending: 1, running: 2, total: 3 }),
    });
    expect(running.stopDate).toBeUndefined();
    expect((await c.send(new DescribeMapRunCommand({ mapRunArn: reshaped }))).status).toBe('FAILED');

    gate.releaseAll();
    await states().waitFor(executionArn);
    const done = await c.send(new DescribeMapRunCommand({ mapRunArn }));
    expect(done).toMatchObject({ status: 'SUCCEEDED', maxConcurrency: 2, itemCounts: counts({ succeeded: 3, total: 3, resultsWritten: 3 }) });
    expect(done.stopDate).toBeInstanceOf(Date);

    await expectAwsError(c.send(new DescribeMapRunCommand({ mapRunArn: `${mapRunArn}x` })), 'ResourceNotFound', 400, /Map Run Does Not Exist/);
    await expectAwsError(c.send(new DescribeMapRunCommand({ mapRunArn: executionArn })), 'InvalidArn', 400);
    await expectAwsError(c.send(new ListMapRunsCommand({ executionArn: `${executionArn}-none` })), 'ExecutionDoesNotExist', 400);
    c.destroy();
  });

  it('a map run still RUNNING when its execution is stopped ends ABORTED; one without a map run lists none', async () => {
    const smArn = await machine('mapper');
    const gate = mapRunEngine((executionArn) => `${executionArn.replace(':execution:', ':mapRun:').replace(/:([^:]+)$/, '/Items:')}x`);
    states().setEngine(gate.engine);
    const c = sfn();
    const { executionArn = '' } = await c.send(new StartExecutionCommand({ stateMachineArn: smArn, name: 'stopped' }));
    await c.send(new StopExecutionCommand({ executionArn }));
    await states().idle();
    const [listed] = (await c.send(new ListMapRunsCommand({ executionArn }))).mapRuns ?? [];
    const d = await c.send(new DescribeMapRunCommand({ mapRunArn: listed?.mapRunArn }));
    expect(d).toMatchObject({ status: 'ABORTED', itemCounts: counts({ pending: 1, running: 2, total: 3 }) });
    expect(d.stopDate).toBeInstanceOf(Date);
    states().setEngine(echoEngine);
    const plain = await c.send(new StartExecutionCommand({ stateMachineArn: smArn, name: 'plain' }));
    await states().waitFor(plain.executionArn ?? '');
    expect((await c.send(new ListMapRunsCommand({ executionArn: plain.executionArn }))).mapRuns).toEqual([]);
    c.destroy();
  });

  it('an IAM user allowed ListMapRuns on the execution but not DescribeMapRun gets AccessDeniedException on the map run ARN', async () => {
    const smArn = await machine('mapper');
    const gate = mapRunEngine((executionArn) => `${executionArn.replace(':execution:', ':mapRun:').replace(/:([^:]+)$/, '/Items:')}id`);
    states().setEngine(gate.engine);
    const admin = sfn();
    const { executionArn = '' } = await admin.send(new StartExecutionCommand({ stateMachineArn: smArn, name: 'guarded' }));
    gate.releaseAll();
    await states().waitFor(executionArn);
    const iam = iamClient(sb);
    await iam.send(new CreateUserCommand({ UserName: 'lister' }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'lister', PolicyName: 'p', PolicyDocument: allowPolicy(['states:ListMapRuns'], `arn:aws:states:us-east-1:${sb.accountId}:execution:mapper:*`) }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'lister' }))).AccessKey;
    const lister = sfn({ accessKeyId: key?.AccessKeyId ?? '', secretAccessKey: key?.SecretAccessKey ?? '' });
    const [listed] = (await lister.send(new ListMapRunsCommand({ executionArn }))).mapRuns ?? [];
    const mapRunArn = listed?.mapRunArn ?? '';
    expect(mapRunArn).toBe(`arn:aws:states:us-east-1:${sb.accountId}:mapRun:mapper/Items:id`);
    await expectAwsError(
      lister.send(new DescribeMapRunCommand({ mapRunArn })),
      'AccessDeniedException',
      400,
      new RegExp(`user/lister is not authorized to perform: states:DescribeMapRun on resource: ${mapRunArn}`),
    );
    // Denied before the existence check.
    await expectAwsError(lister.send(new DescribeMapRunCommand({ mapRunArn: `${mapRunArn}-none` })), 'AccessDeniedException', 400);
    await expectAwsError(lister.send(new ListMapRunsCommand({ executionArn: executionArn.replace(':mapper:', ':other:') })), 'AccessDeniedException', 400);
    lister.destroy();
    admin.destroy();
    iam.destroy();
  });
});

describe('Step Functions: authorization and deliveries', () => {
  it('an IAM user allowed to describe but not to start executions gets AccessDeniedException from StartExecution', async () => {
    const smArn = await machine('guarded');
    const iam = iamClient(sb);
    await iam.send(new CreateUserCommand({ UserName: 'viewer' }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'viewer', PolicyName: 'p', PolicyDocument: allowPolicy(['states:DescribeStateMachine', 'states:ListExecutions'], smArn) }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'viewer' }))).AccessKey;
    const viewer = sfn({ accessKeyId: key?.AccessKeyId ?? '', secretAccessKey: key?.SecretAccessKey ?? '' });
    expect((await viewer.send(new DescribeStateMachineCommand({ stateMachineArn: smArn }))).name).toBe('guarded');
    expect((await viewer.send(new ListExecutionsCommand({ stateMachineArn: smArn }))).executions).toEqual([]);
    await expectAwsError(
      viewer.send(new StartExecutionCommand({ stateMachineArn: smArn })),
      'AccessDeniedException',
      400,
      new RegExp(`user/viewer is not authorized to perform: states:StartExecution on resource: ${smArn}`),
    );
    // Denied before the existence check: another machine's absence is not revealed.
    await expectAwsError(viewer.send(new DescribeStateMachineCommand({ stateMachineArn: `${smArn}-other` })), 'AccessDeniedException', 400);
    await expectAwsError(viewer.send(new ListStateMachinesCommand({})), 'AccessDeniedException', 400);
    expect(sb.inventory()[sb.accountId]?.executions).toEqual([]);
    viewer.destroy();
    iam.destroy();
  });

  it('a delivery starts an execution only with a role that trusts the delivering service and allows states:StartExecution', async () => {
    states().setEngine(echoEngine);
    const smArn = await machine('target');
    const allowStart = allowPolicy('states:StartExecution', `arn:aws:states:us-east-1:${sb.accountId}:stateMachine:*`);
    const eventsRole = await role('events-invoke', 'events.amazonaws.com', allowStart);
    const lambdaRole = await role('lambda-only', 'lambda.amazonaws.com', allowStart);
    const noPolicyRole = await role('events-no-policy', 'events.amazonaws.com');
    const delivery = { arn: smArn, input: '{"detail":{"tenant":"acme"}}', via: 'events.amazonaws.com', sourceArn: `arn:aws:events:us-east-1:${sb.accountId}:rule/r`, sourceAccount: sb.accountId };

    const ok = await sb.kernel.targets.deliver({ ...delivery, roleArn: eventsRole });
    expect(ok.ok).toBe(true);
    const executionArn = ok.ok ? (ok.id ?? '') : '';
    expect(executionArn).toMatch(/:execution:target:[0-9a-f-]{36}$/);
    expect(await states().waitFor(executionArn)).toMatchObject({ status: 'SUCCEEDED', input: delivery.input, output: '{"echo":{"detail":{"tenant":"acme"}}}' });

    expect(await sb.kernel.targets.deliver({ ...delivery, roleArn: lambdaRole })).toMatchObject({ ok: false, code: 'AccessDeniedException', retryable: false });
    expect(await sb.kernel.targets.deliver({ ...delivery, roleArn: noPolicyRole })).toMatchObject({ ok: false, code: 'AccessDeniedException', retryable: false });
    expect(await sb.kernel.targets.deliver(delivery)).toMatchObject({ ok: false, code: 'AccessDeniedException', retryable: false });
    expect(await sb.kernel.targets.deliver({ ...delivery, roleArn: eventsRole, arn: `${smArn}-gone` })).toMatchObject({ ok: false, code: 'StateMachineDoesNotExist', retryable: false });

    sb.setRealism({ faults: { seed: 1, rules: [{ service: 'states', operation: 'StartExecution', rate: 1, kind: 'throttle' }] } });
    expect(await sb.kernel.targets.deliver({ ...delivery, roleArn: eventsRole })).toMatchObject({ ok: false, retryable: true });
    sb.setRealism({ faults: { seed: 1, rules: [] } });
    // Only the allowed delivery started an execution.
    const c = sfn();
    expect((await c.send(new ListExecutionsCommand({ stateMachineArn: smArn }))).executions?.map((e) => e.executionArn)).toEqual([executionArn]);
    c.destroy();
  });

  it('the AWS CLI lists executions (aws stepfunctions list-executions)', async (ctx) => {
    const which = await run('sh', ['-c', 'command -v aws']).catch(() => undefined);
    if (!which?.stdout.trim()) {
      ctx.skip();
      return;
    }
    states().setEngine(echoEngine);
    const smArn = await machine('cli');
    const c = sfn();
    const { executionArn } = await c.send(new StartExecutionCommand({ stateMachineArn: smArn, name: 'by-sdk' }));
    await states().waitFor(executionArn ?? '');
    c.destroy();
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_ACCESS_KEY_ID: sb.accessKeyId, AWS_SECRET_ACCESS_KEY: sb.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_REGION: 'us-east-1', AWS_PAGER: '' };
    delete env.AWS_SESSION_TOKEN;
    delete env.AWS_PROFILE;
    const out = await run('aws', ['stepfunctions', 'list-executions', '--state-machine-arn', smArn, '--endpoint-url', sb.endpoint, '--output', 'json'], { env, timeout: 20_000 });
    const parsed = JSON.parse(out.stdout) as { executions: Array<{ executionArn: string; status: string; startDate: number | string }> };
    expect(parsed.executions).toHaveLength(1);
    expect(parsed.executions[0]).toMatchObject({ executionArn, status: 'SUCCEEDED' });
    // CLI v1 prints timestamps as received (epoch seconds); v2 as ISO 8601.
    const startDate = parsed.executions[0]?.startDate;
    const ms = typeof startDate === 'number' ? startDate * 1000 : Date.parse(startDate ?? '');
    expect(Math.abs(ms - Date.now())).toBeLessThan(60_000);
  }, 30_000);
});
