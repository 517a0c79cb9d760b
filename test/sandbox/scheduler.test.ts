/**
 * The sandbox's EventBridge Scheduler (local/aws/services/scheduler) through @aws-sdk/client-scheduler and the AWS CLI:
 * CRUD and validation, IAM (scheduler:* and iam:PassRole), firing on the compressible scheduler clock (rate, at with
 * ActionAfterCompletion DELETE, disabled schedules), context attributes, retries and the dead-letter queue, the state
 * file, and the cron / rate / at arithmetic with time zones and DST. Deliveries are observed through a fake `sqs`
 * receiver registered on each sandbox's TargetRouter.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  DeleteScheduleGroupCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  ListScheduleGroupsCommand,
  ListSchedulesCommand,
  ListTagsForResourceCommand,
  SchedulerClient,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
  type ListSchedulesCommandInput,
} from '@aws-sdk/client-scheduler';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../local/aws/core/types';
import type { DeliveryResult, TargetDelivery } from '../../local/aws/core/targets';
import { nextCron, nextOccurrence, parseExpression, SchedulerService } from '../../local/aws/services/scheduler';
import { allowPolicy, eventually, expectAwsError, iamClient, keysOf, start, type Keys } from './core-fixtures';

const ACCOUNT = '000000000000';
const QUEUE = `arn:aws:sqs:us-east-1:${ACCOUNT}:work`;
const DLQ = `arn:aws:sqs:us-east-1:${ACCOUNT}:work-dlq`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/scheduler-role`;
const MINUTE = 60_000;

/** A fake SQS receiver: records every delivery, answers with `respond` (default: delivered). */
class FakeQueue {
  readonly deliveries: TargetDelivery[] = [];
  respond: (d: TargetDelivery) => DeliveryResult = () => ({ ok: true, id: 'm-1' });
  async deliver(d: TargetDelivery): Promise<DeliveryResult> {
    this.deliveries.push(d);
    return this.respond(d);
  }
  to(arn: string): TargetDelivery[] {
    return this.deliveries.filter((d) => d.arn === arn);
  }
}

let sb: RunningSandbox;
let svc: SchedulerService;
let queue: FakeQueue;

function schedulerOf(s: RunningSandbox): SchedulerService {
  const service = s.services.get('scheduler');
  if (!(service instanceof SchedulerService)) throw new Error('the sandbox has no SchedulerService');
  return service;
}

const client = (keys: Keys = keysOf(sb)) => new SchedulerClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: keys, maxAttempts: 1 });

function schedule(name: string, extra: Partial<CreateScheduleCommandInput> = {}): CreateScheduleCommandInput {
  return {
    Name: name,
    ScheduleExpression: 'rate(1 minute)',
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: { Arn: QUEUE, RoleArn: ROLE, Input: '{"job":"sync"}' },
    ...extra,
  };
}

/** at(...) for `ms` on the scheduler clock, in UTC. */
const atExpression = (ms: number): string => `at(${new Date(ms).toISOString().slice(0, 19)})`;

beforeEach(async () => {
  sb = await start();
  svc = schedulerOf(sb);
  queue = new FakeQueue();
  sb.kernel.targets.register('sqs', queue);
});
afterEach(async () => {
  await sb?.stop();
});

describe('Scheduler API', () => {
  it('creates, reads, lists, updates and deletes schedules and groups', async () => {
    const c = client();
    const groupArn = (await c.send(new CreateScheduleGroupCommand({ Name: 'nightly', Tags: [{ Key: 'team', Value: 'platform' }] }))).ScheduleGroupArn;
    expect(groupArn).toBe(`arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule-group/nightly`);
    await expectAwsError(c.send(new CreateScheduleGroupCommand({ Name: 'nightly' })), 'ConflictException', 409);
    expect(await c.send(new GetScheduleGroupCommand({ Name: 'nightly' }))).toMatchObject({ Name: 'nightly', State: 'ACTIVE', Arn: groupArn });

    const start = new Date(svc.now() + 10 * MINUTE);
    const created = await c.send(
      new CreateScheduleCommand(
        schedule('sync', {
          GroupName: 'nightly',
          ScheduleExpression: 'cron(0 2 * * ? *)',
          ScheduleExpressionTimezone: 'Europe/Paris',
          StartDate: start,
          Description: 'nightly sync',
          KmsKeyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
          Target: { Arn: QUEUE, RoleArn: ROLE, Input: '{}', DeadLetterConfig: { Arn: DLQ }, SqsParameters: {} },
        }),
      ),
    );
    expect(created.ScheduleArn).toBe(`arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule/nightly/sync`);
    await c.send(new CreateScheduleCommand(schedule('other')));
    await c.send(new CreateScheduleCommand(schedule('sync-off', { State: 'DISABLED' })));

    const got = await c.send(new GetScheduleCommand({ Name: 'sync', GroupName: 'nightly' }));
    expect(got).toMatchObject({
      Name: 'sync',
      GroupName: 'nightly',
      ScheduleExpression: 'cron(0 2 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
      Description: 'nightly sync',
      State: 'ENABLED',
      ActionAfterCompletion: 'NONE',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: QUEUE, RoleArn: ROLE, RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 }, DeadLetterConfig: { Arn: DLQ } },
    });
    expect(got.StartDate?.getTime()).toBe(start.getTime());
    expect(got.CreationDate).toBeInstanceOf(Date);
    // The schedule lives in its group: the default group has no "sync".
    await expectAwsError(c.send(new GetScheduleCommand({ Name: 'sync' })), 'ResourceNotFoundException', 404, 'Schedule sync does not exist.');

    const names = async (input: ListSchedulesCommandInput) =>
      ((await c.send(new ListSchedulesCommand(input))).Schedules ?? []).map((s) => `${s.GroupName}/${s.Name}`);
    expect(await names({})).toEqual(['default/other', 'default/sync-off', 'nightly/sync']);
    expect(await names({ GroupName: 'nightly' })).toEqual(['nightly/sync']);
    expect(await names({ NamePrefix: 'sync' })).toEqual(['default/sync-off', 'nightly/sync']);
    expect(await names({ State: 'DISABLED' })).toEqual(['default/sync-off']);
    const page1 = await c.send(new ListSchedulesCommand({ MaxResults: 2 }));
    expect(page1.Schedules).toHaveLength(2);
    const page2 = await c.send(new ListSchedulesCommand({ MaxResults: 2, NextToken: page1.NextToken }));
    expect(page2.Schedules?.map((s) => s.Name)).toEqual(['sync']);
    expect(page2.NextToken).toBeUndefined();

    // UpdateSchedule replaces the definition.
    await c.send(new UpdateScheduleCommand({ ...schedule('other'), State: 'DISABLED', ScheduleExpression: 'rate(2 hours)' }));
    expect(await c.send(new GetScheduleCommand({ Name: 'other' }))).toMatchObject({ State: 'DISABLED', ScheduleExpression: 'rate(2 hours)' });
    await expectAwsError(c.send(new UpdateScheduleCommand(schedule('missing'))), 'ResourceNotFoundException', 404);

    const groups = (await c.send(new ListScheduleGroupsCommand({}))).ScheduleGroups?.map((g) => g.Name);
    expect(groups).toEqual(['default', 'nightly']);
    await c.send(new TagResourceCommand({ ResourceArn: groupArn, Tags: [{ Key: 'env', Value: 'dev' }] }));
    await c.send(new UntagResourceCommand({ ResourceArn: groupArn, TagKeys: ['team'] }));
    expect((await c.send(new ListTagsForResourceCommand({ ResourceArn: groupArn }))).Tags).toEqual([{ Key: 'env', Value: 'dev' }]);

    expect(sb.inventory()[ACCOUNT]).toMatchObject({ schedules: ['us-east-1/default/other', 'us-east-1/default/sync-off', 'us-east-1/nightly/sync'], scheduleGroups: ['us-east-1/nightly'] });
    await c.send(new DeleteScheduleCommand({ Name: 'other' }));
    await expectAwsError(c.send(new DeleteScheduleCommand({ Name: 'other' })), 'ResourceNotFoundException', 404);
    // Deleting a group deletes its schedules; the default group stays.
    await c.send(new DeleteScheduleGroupCommand({ Name: 'nightly' }));
    await expectAwsError(c.send(new GetScheduleGroupCommand({ Name: 'nightly' })), 'ResourceNotFoundException', 404, 'Schedule group nightly does not exist.');
    await expectAwsError(c.send(new DeleteScheduleGroupCommand({ Name: 'default' })), 'ValidationException', 400);
    await expectAwsError(c.send(new CreateScheduleCommand(schedule('x', { GroupName: 'nightly' }))), 'ResourceNotFoundException', 404);
    expect(sb.inventory()[ACCOUNT]).toMatchObject({ schedules: ['us-east-1/default/sync-off'], scheduleGroups: [] });
    c.destroy();
  });

  it('a retried CreateSchedule with the same ClientToken succeeds again; another request for the name conflicts', async () => {
    const c = client();
    const first = await c.send(new CreateScheduleCommand(schedule('once', { ClientToken: 'token-1' })));
    expect((await c.send(new CreateScheduleCommand(schedule('once', { ClientToken: 'token-1' })))).ScheduleArn).toBe(first.ScheduleArn);
    await expectAwsError(c.send(new CreateScheduleCommand(schedule('once', { ClientToken: 'token-2' }))), 'ConflictException', 409, 'Schedule once already exists.');
    c.destroy();
  });

  it('answers ValidationException naming the field for bad expressions, a missing role and other bad input', async () => {
    const c = client();
    for (const expression of ['rate(0 minutes)', 'rate(5 weeks)', 'cron(0 12 * * * *)', 'cron(0 12 ? * 9 *)', 'cron(0 12 * *)', 'at(2030-02-30T00:00:00)', 'every day']) {
      await expectAwsError(c.send(new CreateScheduleCommand(schedule('bad', { ScheduleExpression: expression }))), 'ValidationException', 400, `Invalid Schedule Expression ${expression}.`);
    }
    await expectAwsError(
      c.send(new CreateScheduleCommand(schedule('bad', { Target: { Arn: QUEUE, RoleArn: undefined as unknown as string } }))),
      'ValidationException',
      400,
      "1 validation error detected: Value null at 'target.roleArn' failed to satisfy constraint: Member must not be null",
    );
    await expectAwsError(c.send(new CreateScheduleCommand(schedule('bad', { Target: { Arn: QUEUE, RoleArn: 'not-a-role' } }))), 'ValidationException', 400, /'target.roleArn'/);
    await expectAwsError(c.send(new CreateScheduleCommand(schedule('bad', { ScheduleExpressionTimezone: 'Mars/Olympus' }))), 'ValidationException', 400, /ScheduleExpressionTimezone/);
    await expectAwsError(c.send(new CreateScheduleCommand(schedule('bad', { FlexibleTimeWindow: { Mode: 'FLEXIBLE' } }))), 'ValidationException', 400, /MaximumWindowInMinutes/);
    await expectAwsError(c.send(new CreateScheduleCommand(schedule('bad name'))), 'ValidationException', 400, /at 'name'/);
    await expectAwsError(
      c.send(new CreateScheduleCommand(schedule('bad', { Target: { Arn: QUEUE, RoleArn: ROLE, RetryPolicy: { MaximumRetryAttempts: 186 } } }))),
      'ValidationException',
      400,
      /'target.retryPolicy.maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 185/,
    );
    await expectAwsError(c.send(new CreateScheduleCommand(schedule('bad', { StartDate: new Date(svc.now() - 60 * MINUTE) }))), 'ValidationException', 400, /StartDate/);
    expect((await c.send(new ListSchedulesCommand({}))).Schedules).toEqual([]);
    c.destroy();
  });

  it('IAM decides on the schedule ARN, and CreateSchedule needs iam:PassRole on the target role', async () => {
    const iam = iamClient(sb);
    const userKeys = async (name: string, policy: string): Promise<Keys> => {
      await iam.send(new CreateUserCommand({ UserName: name }));
      await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'p', PolicyDocument: policy }));
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey;
      return { accessKeyId: key?.AccessKeyId ?? '', secretAccessKey: key?.SecretAccessKey ?? '' };
    };
    const noPass = client(await userKeys('no-pass', allowPolicy('scheduler:*')));
    await expectAwsError(noPass.send(new CreateScheduleCommand(schedule('s'))), 'AccessDeniedException', 403, new RegExp(`not authorized to perform: iam:PassRole on resource: ${ROLE}`));
    await expectAwsError(noPass.send(new GetScheduleCommand({ Name: 's' })), 'ResourceNotFoundException', 404);

    const withPass = client(await userKeys('with-pass', JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'scheduler:CreateSchedule', Resource: `arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule/default/team-*` },
        { Effect: 'Allow', Action: 'iam:PassRole', Resource: ROLE, Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } } },
      ],
    })));
    expect((await withPass.send(new CreateScheduleCommand(schedule('team-a')))).ScheduleArn).toMatch(/schedule\/default\/team-a$/);
    await expectAwsError(withPass.send(new CreateScheduleCommand(schedule('other'))), 'AccessDeniedException', 403, /scheduler:CreateSchedule on resource: arn:aws:scheduler:us-east-1:\d{12}:schedule\/default\/other/);
    await expectAwsError(
      withPass.send(new CreateScheduleCommand(schedule('team-b', { Target: { Arn: QUEUE, RoleArn: `arn:aws:iam::${ACCOUNT}:role/admin` } }))),
      'AccessDeniedException',
      403,
      /iam:PassRole/,
    );
    await expectAwsError(withPass.send(new ListSchedulesCommand({})), 'AccessDeniedException', 403, /scheduler:ListSchedules/);
    noPass.destroy();
    withPass.destroy();
    iam.destroy();
  });
});

describe('firing on the scheduler clock', () => {
  it('a rate() schedule fires at creation and then every interval: 6 times over 5 compressed minutes', async () => {
    const c = client();
    const t0 = svc.now();
    const arn = (await c.send(new CreateScheduleCommand(schedule('tick', {
      Target: { Arn: QUEUE, RoleArn: ROLE, Input: '{"at":"<aws.scheduler.scheduled-time>","arn":"<aws.scheduler.schedule-arn>","n":<aws.scheduler.attempt-number>}', SqsParameters: { MessageGroupId: 'g1' } },
    })))).ScheduleArn;
    await svc.advance(5 * MINUTE);
    const got = queue.to(QUEUE);
    expect(got).toHaveLength(6);
    const times = got.map((d) => Date.parse((JSON.parse(d.input) as { at: string }).at));
    for (let i = 1; i < times.length; i++) expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBe(MINUTE);
    expect(Math.abs((times[0] ?? 0) - t0)).toBeLessThan(5000);
    expect(got[0]).toMatchObject({ arn: QUEUE, roleArn: ROLE, via: 'scheduler.amazonaws.com', sourceArn: arn, sourceAccount: ACCOUNT, parameters: { MessageGroupId: 'g1' } });
    expect(JSON.parse(got[0]?.input ?? '')).toMatchObject({ arn, n: 1 });
    c.destroy();
  });

  it('a compressed time scale fires on its own timer (20 minutes of schedule time per real second)', async () => {
    const c = client();
    await c.send(new CreateScheduleCommand(schedule('fast')));
    svc.setTimeScale(1200);
    await eventually(async () => expect(queue.to(QUEUE).length).toBeGreaterThanOrEqual(4), 5000, 20);
    svc.setTimeScale(1);
    c.destroy();
  });

  it('an at() schedule fires once at its time and, with ActionAfterCompletion DELETE, deletes itself', async () => {
    const c = client();
    const due = svc.now() + 3 * MINUTE;
    await c.send(new CreateScheduleCommand(schedule('one-shot', { ScheduleExpression: atExpression(due), ActionAfterCompletion: 'DELETE', Target: { Arn: QUEUE, RoleArn: ROLE, Input: 'run <aws.scheduler.execution-id>' } })));
    await c.send(new CreateScheduleCommand(schedule('kept', { ScheduleExpression: atExpression(due) })));
    await svc.advance(2 * MINUTE);
    expect(queue.deliveries).toHaveLength(0);
    await svc.advance(2 * MINUTE);
    expect(queue.deliveries).toHaveLength(2);
    expect(queue.deliveries.find((d) => d.input.startsWith('run '))?.input).toMatch(/^run [0-9a-f-]{36}$/);
    await expectAwsError(c.send(new GetScheduleCommand({ Name: 'one-shot' })), 'ResourceNotFoundException', 404);
    expect((await c.send(new GetScheduleCommand({ Name: 'kept' }))).State).toBe('ENABLED');
    await svc.advance(60 * MINUTE);
    expect(queue.deliveries).toHaveLength(2);
    c.destroy();
  });

  it('a cron() schedule fires at its wall-clock time in its time zone; a FLEXIBLE window delays within the window', async () => {
    const c = client();
    await c.send(new CreateScheduleCommand(schedule('tokyo-noon', {
      ScheduleExpression: 'cron(0 12 * * ? *)',
      ScheduleExpressionTimezone: 'Asia/Tokyo',
      Target: { Arn: QUEUE, RoleArn: ROLE, Input: '<aws.scheduler.scheduled-time>' },
    })));
    const due = svc.now() + 2 * MINUTE;
    await c.send(new CreateScheduleCommand(schedule('flexible', {
      ScheduleExpression: atExpression(due),
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 10 },
      Target: { Arn: QUEUE, RoleArn: ROLE, Input: 'flex <aws.scheduler.scheduled-time>' },
    })));
    await svc.advance(2 * 24 * 60 * MINUTE);
    const noon = queue.deliveries.filter((d) => !d.input.startsWith('flex')).map((d) => d.input);
    expect(noon).toHaveLength(2);
    for (const t of noon) expect(t).toMatch(/^\d{4}-\d{2}-\d{2}T03:00:00Z$/);
    const flex = queue.deliveries.filter((d) => d.input.startsWith('flex'));
    expect(flex.map((d) => d.input)).toEqual([`flex ${new Date(due).toISOString().slice(0, 19)}Z`]);
    c.destroy();
  });

  it('a DISABLED schedule does not fire until it is enabled', async () => {
    const c = client();
    await c.send(new CreateScheduleCommand(schedule('paused', { State: 'DISABLED' })));
    await svc.advance(10 * MINUTE);
    expect(queue.deliveries).toHaveLength(0);
    await c.send(new UpdateScheduleCommand({ ...schedule('paused'), State: 'ENABLED' }));
    await svc.advance(2 * MINUTE);
    expect(queue.deliveries).toHaveLength(3);
    c.destroy();
  });

  it('retries a retryable failure with backoff up to MaximumRetryAttempts, then sends the payload to the DLQ with attributes', async () => {
    const c = client();
    queue.respond = (d) => (d.arn === QUEUE ? { ok: false, code: 'ThrottlingException', message: 'Rate exceeded', retryable: true } : { ok: true });
    const arn = (await c.send(new CreateScheduleCommand(schedule('flaky', {
      ScheduleExpression: atExpression(svc.now() + MINUTE),
      Target: { Arn: QUEUE, RoleArn: ROLE, Input: '{"id":"<aws.scheduler.execution-id>"}', RetryPolicy: { MaximumRetryAttempts: 2 }, DeadLetterConfig: { Arn: DLQ } },
    })))).ScheduleArn;
    await svc.advance(MINUTE);
    expect(queue.to(QUEUE)).toHaveLength(1);
    await svc.advance(10_000);
    expect(queue.to(QUEUE)).toHaveLength(3);
    const [dead] = queue.to(DLQ);
    const executionId = (JSON.parse(queue.to(QUEUE)[0]?.input ?? '{}') as { id: string }).id;
    expect(dead).toMatchObject({ roleArn: ROLE, via: 'scheduler.amazonaws.com', sourceArn: arn, input: `{"id":"${executionId}"}` });
    expect(dead?.parameters).toEqual({
      MessageAttributes: {
        ERROR_CODE: { DataType: 'String', StringValue: 'ThrottlingException' },
        ERROR_MESSAGE: { DataType: 'String', StringValue: 'Rate exceeded' },
        EXECUTION_ID: { DataType: 'String', StringValue: executionId },
        RETRY_ATTEMPTS: { DataType: 'String', StringValue: '2' },
        SCHEDULE_ARN: { DataType: 'String', StringValue: arn },
        TARGET_ARN: { DataType: 'String', StringValue: QUEUE },
      },
    });
    await svc.advance(60 * MINUTE);
    expect(queue.to(QUEUE)).toHaveLength(3);
    expect(queue.to(DLQ)).toHaveLength(1);
    c.destroy();
  });

  it('stops retrying at MaximumEventAgeInSeconds, and a non-retryable failure goes to the DLQ at once', async () => {
    const c = client();
    const failing = `arn:aws:sqs:us-east-1:${ACCOUNT}:failing`;
    const denied = `arn:aws:sqs:us-east-1:${ACCOUNT}:denied`;
    queue.respond = (d) =>
      d.arn === failing
        ? { ok: false, code: 'InternalFailure', message: 'boom', retryable: true }
        : d.arn === denied
          ? { ok: false, code: 'AccessDenied', message: 'not allowed', retryable: false }
          : { ok: true };
    const at = atExpression(svc.now() + MINUTE);
    await c.send(new CreateScheduleCommand(schedule('aging', { ScheduleExpression: at, Target: { Arn: failing, RoleArn: ROLE, RetryPolicy: { MaximumEventAgeInSeconds: 60 }, DeadLetterConfig: { Arn: DLQ } } })));
    await c.send(new CreateScheduleCommand(schedule('denied', { ScheduleExpression: at, Target: { Arn: denied, RoleArn: ROLE, DeadLetterConfig: { Arn: DLQ } } })));
    await svc.advance(5 * MINUTE);
    // Backoff 1, 2, 4, 8, 16 s: attempts at +0, +1, +3, +7, +15, +31 s; the next (+63 s) is past the 60 s age.
    expect(queue.to(failing)).toHaveLength(6);
    expect(queue.to(denied)).toHaveLength(1);
    const codes = queue.to(DLQ).map((d) => (d.parameters?.MessageAttributes as Record<string, { StringValue: string }>).ERROR_CODE?.StringValue);
    expect(codes.sort()).toEqual(['AccessDenied', 'InternalFailure']);
    c.destroy();
  });

  it('schedules survive a restart through the state file and fire again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scheduler-state-'));
    const stateFile = join(dir, 'state.json');
    let second: RunningSandbox | undefined;
    try {
      const first = await start({ stateFile });
      const c1 = new SchedulerClient({ endpoint: first.endpoint, region: 'us-east-1', credentials: keysOf(first), maxAttempts: 1 });
      await c1.send(new CreateScheduleGroupCommand({ Name: 'kept' }));
      await c1.send(new CreateScheduleCommand(schedule('hourly', { GroupName: 'kept', ScheduleExpression: 'rate(1 hour)', StartDate: new Date(Date.now() + 30 * MINUTE) })));
      c1.destroy();
      await first.stop();

      second = await start({ stateFile });
      const fake = new FakeQueue();
      second.kernel.targets.register('sqs', fake);
      const c2 = new SchedulerClient({ endpoint: second.endpoint, region: 'us-east-1', credentials: keysOf(second), maxAttempts: 1 });
      expect((await c2.send(new GetScheduleCommand({ Name: 'hourly', GroupName: 'kept' }))).ScheduleExpression).toBe('rate(1 hour)');
      expect(second.inventory()[ACCOUNT]).toMatchObject({ schedules: ['us-east-1/kept/hourly'] });
      await schedulerOf(second).advance(31 * MINUTE);
      expect(fake.deliveries).toHaveLength(1);
      await schedulerOf(second).advance(2 * 60 * MINUTE);
      expect(fake.deliveries).toHaveLength(3);
      c2.destroy();
    } finally {
      await second?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('nothing fires after the sandbox stops', async () => {
    const c = client();
    await c.send(new CreateScheduleCommand(schedule('late', { StartDate: new Date(svc.now() + MINUTE) })));
    c.destroy();
    await sb.stop();
    svc.setTimeScale(100_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(await svc.fireDue()).toBe(0);
    expect(queue.deliveries).toHaveLength(0);
  });
});

describe('schedule expressions (unit)', () => {
  const utc = (s: string) => Date.parse(s);
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  const cronNext = (expr: string, tz: string, from: string): string | undefined => {
    const parsed = parseExpression(expr);
    if (parsed.kind !== 'cron') throw new Error(`${expr} is not a cron expression`);
    return iso(nextCron(parsed.cron, tz, utc(from)));
  };

  it.each([
    ['cron(0 12 * * ? *)', 'UTC', '2024-03-01T13:00:00Z', '2024-03-02T12:00:00.000Z'],
    ['cron(0 12 * * ? *)', 'UTC', '2024-03-01T12:00:00Z', '2024-03-01T12:00:00.000Z'],
    ['cron(0/15 * * * ? *)', 'UTC', '2024-01-01T00:07:30Z', '2024-01-01T00:15:00.000Z'],
    ['cron(5-20/5 8 * * ? *)', 'UTC', '2024-01-01T08:06:00Z', '2024-01-01T08:10:00.000Z'],
    ['cron(15 10 ? * 6L 2024)', 'UTC', '2024-01-01T00:00:00Z', '2024-01-26T10:15:00.000Z'],
    ['cron(0 9 ? * MON#1 *)', 'UTC', '2024-01-02T00:00:00Z', '2024-02-05T09:00:00.000Z'],
    ['cron(0 0 L * ? *)', 'UTC', '2024-02-10T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['cron(0 8 15W * ? *)', 'UTC', '2024-06-01T00:00:00Z', '2024-06-14T08:00:00.000Z'],
    ['cron(0 8 LW * ? *)', 'UTC', '2024-08-01T00:00:00Z', '2024-08-30T08:00:00.000Z'],
    ['cron(0 0 1 JAN,JUL ? *)', 'UTC', '2024-02-01T00:00:00Z', '2024-07-01T00:00:00.000Z'],
    ['cron(0 0 31 * ? *)', 'UTC', '2024-04-01T00:00:00Z', '2024-05-31T00:00:00.000Z'],
    ['cron(0 0 1 1 ? 2020)', 'UTC', '2024-01-01T00:00:00Z', undefined],
    // Time zones: CEST (+2) in July, CET (+1) in January, India (+5:30) without DST.
    ['cron(0 12 ? * MON-FRI *)', 'Europe/Paris', '2024-07-06T00:00:00Z', '2024-07-08T10:00:00.000Z'],
    ['cron(0 12 * * ? *)', 'Europe/Paris', '2024-01-10T12:00:00Z', '2024-01-11T11:00:00.000Z'],
    ['cron(0 9 * * ? *)', 'Asia/Kolkata', '2024-01-01T00:00:00Z', '2024-01-01T03:30:00.000Z'],
    // DST: 02:30 does not exist in New York on 2024-03-10 (skipped); 01:30 happens twice on 2024-11-03 (fires once).
    ['cron(30 2 * * ? *)', 'America/New_York', '2024-03-09T12:00:00Z', '2024-03-11T06:30:00.000Z'],
    ['cron(30 1 * * ? *)', 'America/New_York', '2024-11-03T04:00:00Z', '2024-11-03T05:30:00.000Z'],
    ['cron(30 1 * * ? *)', 'America/New_York', '2024-11-03T05:31:00Z', '2024-11-04T06:30:00.000Z'],
  ])('%s in %s after %s -> %s', (expr, tz, from, expected) => {
    expect(cronNext(expr, tz, from)).toBe(expected);
  });

  it('rate() counts from its anchor, at() is a wall-clock time in the time zone, EndDate ends a schedule', () => {
    const anchor = utc('2024-05-01T10:00:00Z');
    const rate = parseExpression('rate(90 minutes)');
    expect(iso(nextOccurrence({ expression: rate, timezone: 'UTC', anchor }, anchor - 1000))).toBe('2024-05-01T10:00:00.000Z');
    expect(iso(nextOccurrence({ expression: rate, timezone: 'UTC', anchor }, anchor + 1))).toBe('2024-05-01T11:30:00.000Z');
    expect(nextOccurrence({ expression: rate, timezone: 'UTC', anchor, endDate: anchor + 60 * MINUTE }, anchor + 1)).toBeUndefined();
    const at = parseExpression('at(2024-07-01T09:00:00)');
    expect(iso(nextOccurrence({ expression: at, timezone: 'America/Los_Angeles', anchor }, 0))).toBe('2024-07-01T16:00:00.000Z');
    expect(nextOccurrence({ expression: at, timezone: 'UTC', anchor }, utc('2024-07-01T09:00:01Z'))).toBeUndefined();
    const days = parseExpression('rate(1 day)');
    // A day is 24 hours, across DST too.
    const beforeDst = utc('2024-03-09T17:00:00Z');
    expect(iso(nextOccurrence({ expression: days, timezone: 'America/New_York', anchor: beforeDst }, beforeDst + 1))).toBe('2024-03-10T17:00:00.000Z');
  });

  it.each(['cron(0 12 * * * *)', 'cron(0 12 ? * ? *)', 'cron(60 * * * ? *)', 'cron(0 24 * * ? *)', 'cron(0 0 ? * MON#6 *)', 'cron(0 0 ? 13 MON *)', 'cron(0 0 1 * ? 1969)', 'rate(1 fortnight)', 'rate(-1 minutes)', 'at(2024-13-01T00:00:00)'])(
    'rejects %s',
    (expr) => {
      expect(() => parseExpression(expr)).toThrow();
    },
  );
});

const hasAws = (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, 'aws')));

describe('AWS CLI', () => {
  it.skipIf(!hasAws)('aws scheduler list-schedules / get-schedule against the sandbox', async () => {
    const c = client();
    await c.send(new CreateScheduleCommand(schedule('from-sdk', { ScheduleExpression: 'cron(0 12 ? * MON-FRI *)', ScheduleExpressionTimezone: 'Europe/Paris' })));
    c.destroy();
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: sb.accessKeyId,
      AWS_SECRET_ACCESS_KEY: sb.secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    };
    const aws = async (...args: string[]) => (await promisify(execFile)('aws', ['scheduler', ...args, '--endpoint-url', sb.endpoint, '--output', 'json'], { env })).stdout;
    const listed = JSON.parse(await aws('list-schedules')) as { Schedules: Array<{ Name: string; GroupName: string; State: string }> };
    expect(listed.Schedules).toEqual([expect.objectContaining({ Name: 'from-sdk', GroupName: 'default', State: 'ENABLED' })]);
    const got = JSON.parse(await aws('get-schedule', '--name', 'from-sdk')) as { ScheduleExpressionTimezone: string };
    expect(got.ScheduleExpressionTimezone).toBe('Europe/Paris');
    await expect(aws('get-schedule', '--name', 'nope')).rejects.toThrow(/ResourceNotFoundException/);
  }, 20_000);
});
