/**
 * The sandbox's EventBridge (local/aws/services/events) through the real SDK client (and once through the AWS CLI):
 * buses, bus policies, rules, targets, PutEvents validation and authorization, and asynchronous delivery to targets
 * (matching, input transformation, retries, dead-letter queues, cross-account bus-to-bus), observed through fake
 * receivers registered on each test's own sandbox.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  EventBridgeClient,
  ListEventBusesCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutPermissionCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemovePermissionCommand,
  RemoveTargetsCommand,
  TestEventPatternCommand,
  type PutEventsRequestEntry,
  type Target,
} from '@aws-sdk/client-eventbridge';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, PutRolePolicyCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeliveryResult, TargetDelivery } from '../../local/aws/core/targets';
import type { RunningSandbox } from '../../local/aws/core/types';
import { eventsOf, type EventsService } from '../../local/aws/services/events';
import { expectAwsError, iamClient, keysOf, start, type Keys } from './core-fixtures';

const REGION = 'us-east-1';
const MEMBER = '111111111111';
const running: RunningSandbox[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

async function sandbox(): Promise<RunningSandbox> {
  const sb = await start({ realism: { iamPropagationMs: 0 } });
  running.push(sb);
  return sb;
}

const service = (sb: RunningSandbox): EventsService => eventsOf(sb.services);

function client(sb: RunningSandbox, keys: Keys = keysOf(sb)): EventBridgeClient {
  return new EventBridgeClient({ endpoint: sb.endpoint, region: REGION, credentials: keys, maxAttempts: 1 });
}

type Behaviour = (d: TargetDelivery, attempt: number) => DeliveryResult;

/** A fake SQS on this sandbox only: records every delivery; `behave` decides the answer (default: accepted). */
function fakeSqs(sb: RunningSandbox, behave: Behaviour = () => ({ ok: true, id: 'msg' })): TargetDelivery[] {
  const calls: TargetDelivery[] = [];
  sb.kernel.targets.register('sqs', {
    deliver: async (d) => {
      calls.push(d);
      return behave(d, calls.filter((c) => c.arn === d.arn).length);
    },
  });
  return calls;
}

const queue = (account: string, name: string) => `arn:aws:sqs:${REGION}:${account}:${name}`;
const to = (calls: TargetDelivery[], arn: string) => calls.filter((c) => c.arn === arn);
const entry = (over: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  Source: 'my.app',
  DetailType: 'OrderPlaced',
  Detail: JSON.stringify({ orderId: 'o-1', amount: 250 }),
  ...over,
});

async function ruleWithTargets(eb: EventBridgeClient, name: string, pattern: unknown, targets: Target[], bus?: string): Promise<string> {
  const { RuleArn } = await eb.send(new PutRuleCommand({ Name: name, EventPattern: JSON.stringify(pattern), ...(bus ? { EventBusName: bus } : {}) }));
  await eb.send(new PutTargetsCommand({ Rule: name, Targets: targets, ...(bus ? { EventBusName: bus } : {}) }));
  return RuleArn ?? '';
}

describe('event buses and bus policies', () => {
  it('default exists; create, describe, list, delete; the errors AWS answers', async () => {
    const sb = await sandbox();
    const eb = client(sb);
    expect(await eb.send(new DescribeEventBusCommand({}))).toMatchObject({ Name: 'default', Arn: `arn:aws:events:${REGION}:${sb.accountId}:event-bus/default` });
    const { EventBusArn } = await eb.send(new CreateEventBusCommand({ Name: 'orders', Description: 'order events' }));
    expect(EventBusArn).toBe(`arn:aws:events:${REGION}:${sb.accountId}:event-bus/orders`);
    await expectAwsError(eb.send(new CreateEventBusCommand({ Name: 'orders' })), 'ResourceAlreadyExistsException', 400);
    await expectAwsError(eb.send(new CreateEventBusCommand({ Name: 'default' })), 'ResourceAlreadyExistsException', 400);
    await expectAwsError(eb.send(new CreateEventBusCommand({ Name: 'bad name!' })), 'ValidationException', 400);
    expect((await eb.send(new ListEventBusesCommand({}))).EventBuses?.map((b) => b.Name)).toEqual(['default', 'orders']);
    expect(await eb.send(new DescribeEventBusCommand({ Name: EventBusArn }))).toMatchObject({ Name: 'orders', Description: 'order events' });
    expect(sb.inventory()[sb.accountId]).toMatchObject({ eventBuses: [`${REGION}/orders`] });
    await expectAwsError(eb.send(new DeleteEventBusCommand({ Name: 'default' })), 'ValidationException', 400);
    await eb.send(new DeleteEventBusCommand({ Name: 'orders' }));
    await expectAwsError(eb.send(new DescribeEventBusCommand({ Name: 'orders' })), 'ResourceNotFoundException', 400, 'Event bus orders does not exist.');
    expect(sb.inventory()[sb.accountId]).toMatchObject({ eventBuses: [], rules: [] });
    eb.destroy();
  });

  it('PutPermission builds the bus policy statement by statement; RemovePermission takes them away', async () => {
    const sb = await sandbox();
    const eb = client(sb);
    await eb.send(new PutPermissionCommand({ Action: 'events:PutEvents', Principal: MEMBER, StatementId: 'member' }));
    await eb.send(
      new PutPermissionCommand({ Action: 'events:PutEvents', Principal: '*', StatementId: 'org', Condition: { Type: 'StringEquals', Key: 'aws:PrincipalOrgID', Value: sb.organizationId } }),
    );
    await expectAwsError(eb.send(new PutPermissionCommand({ Action: 'events:PutEvents', Principal: MEMBER, StatementId: 'member' })), 'ResourceAlreadyExistsException', 400);
    const policy = JSON.parse((await eb.send(new DescribeEventBusCommand({}))).Policy ?? '{}');
    expect(policy.Statement).toEqual([
      { Sid: 'member', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MEMBER}:root` }, Action: 'events:PutEvents', Resource: `arn:aws:events:${REGION}:${sb.accountId}:event-bus/default` },
      {
        Sid: 'org',
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: `arn:aws:events:${REGION}:${sb.accountId}:event-bus/default`,
        Condition: { StringEquals: { 'aws:PrincipalOrgID': sb.organizationId } },
      },
    ]);
    await eb.send(new RemovePermissionCommand({ StatementId: 'member' }));
    await expectAwsError(eb.send(new RemovePermissionCommand({ StatementId: 'member' })), 'ResourceNotFoundException', 400);
    await eb.send(new RemovePermissionCommand({ RemoveAllPermissions: true }));
    expect((await eb.send(new DescribeEventBusCommand({}))).Policy).toBeUndefined();
    await expectAwsError(eb.send(new RemovePermissionCommand({ StatementId: 'org' })), 'ResourceNotFoundException', 400, 'EventBus does not have a policy.');
    eb.destroy();
  });
});

describe('rules and targets', () => {
  it('PutRule validates patterns and schedules; describe, list, disable, enable, delete', async () => {
    const sb = await sandbox();
    const eb = client(sb);
    await expectAwsError(eb.send(new PutRuleCommand({ Name: 'r' })), 'ValidationException', 400, /EventPattern or ScheduleExpression/);
    await expectAwsError(eb.send(new PutRuleCommand({ Name: 'r', EventPattern: '{"source": "my.app"}' })), 'InvalidEventPatternException', 400, /^Event pattern is not valid\. Reason: /);
    await expectAwsError(eb.send(new PutRuleCommand({ Name: 'r', ScheduleExpression: 'every hour' })), 'ValidationException', 400, /ScheduleExpression is not valid/);
    await expectAwsError(eb.send(new PutRuleCommand({ Name: 'r', EventPattern: '{"source": ["a"]}', EventBusName: 'nope' })), 'ResourceNotFoundException', 400, 'Event bus nope does not exist.');
    await eb.send(new CreateEventBusCommand({ Name: 'app' }));
    await expectAwsError(eb.send(new PutRuleCommand({ Name: 'tick', ScheduleExpression: 'rate(5 minutes)', EventBusName: 'app' })), 'ValidationException', 400, /only on the default event bus/);
    expect((await eb.send(new PutRuleCommand({ Name: 'tick', ScheduleExpression: 'rate(5 minutes)' }))).RuleArn).toBe(`arn:aws:events:${REGION}:${sb.accountId}:rule/tick`);
    const { RuleArn } = await eb.send(new PutRuleCommand({ Name: 'orders', EventPattern: '{"source":["my.app"]}', EventBusName: 'app', Description: 'd' }));
    expect(RuleArn).toBe(`arn:aws:events:${REGION}:${sb.accountId}:rule/app/orders`);
    expect(await eb.send(new DescribeRuleCommand({ Name: 'orders', EventBusName: 'app' }))).toMatchObject({
      Name: 'orders',
      Arn: RuleArn,
      EventPattern: '{"source":["my.app"]}',
      State: 'ENABLED',
      Description: 'd',
      EventBusName: 'app',
      CreatedBy: sb.accountId,
    });
    await eb.send(new DisableRuleCommand({ Name: 'orders', EventBusName: 'app' }));
    expect((await eb.send(new ListRulesCommand({ EventBusName: 'app' }))).Rules).toEqual([expect.objectContaining({ Name: 'orders', State: 'DISABLED' })]);
    await eb.send(new EnableRuleCommand({ Name: 'orders', EventBusName: 'app' }));
    expect((await eb.send(new ListRulesCommand({}))).Rules?.map((r) => r.Name)).toEqual(['tick']);
    await expectAwsError(eb.send(new DescribeRuleCommand({ Name: 'orders' })), 'ResourceNotFoundException', 400, 'Rule orders does not exist on EventBus default.');
    await expectAwsError(eb.send(new EnableRuleCommand({ Name: 'ghost' })), 'ResourceNotFoundException', 400);
    expect(sb.inventory()[sb.accountId]).toMatchObject({ rules: [`${REGION}/app/orders`, `${REGION}/default/tick`] });
    await eb.send(new DeleteRuleCommand({ Name: 'ghost' }));
    await eb.send(new DeleteRuleCommand({ Name: 'tick' }));
    await expectAwsError(eb.send(new DescribeRuleCommand({ Name: 'tick' })), 'ResourceNotFoundException', 400);
    eb.destroy();
  });

  it('PutTargets validates targets, replaces by Id, keeps at most 5; a rule with targets cannot be deleted', async () => {
    const sb = await sandbox();
    const eb = client(sb);
    await eb.send(new PutRuleCommand({ Name: 'r', EventPattern: '{"source":["my.app"]}' }));
    const q = queue(sb.accountId, 'q');
    await expectAwsError(eb.send(new PutTargetsCommand({ Rule: 'r', Targets: [{ Id: 't', Arn: 'not-an-arn' }] })), 'ValidationException', 400, 'Provided Arn is not in correct format.');
    await expectAwsError(eb.send(new PutTargetsCommand({ Rule: 'r', Targets: [{ Id: 't', Arn: q, Input: '{}', InputPath: '$.detail' }] })), 'ValidationException', 400, /Only one of Input/);
    await expectAwsError(eb.send(new PutTargetsCommand({ Rule: 'r', Targets: [{ Id: 't', Arn: q, Input: '{oops' }] })), 'ValidationException', 400, /not valid JSON/);
    await expectAwsError(
      eb.send(new PutTargetsCommand({ Rule: 'r', Targets: [{ Id: 't', Arn: q, RetryPolicy: { MaximumRetryAttempts: 200, MaximumEventAgeInSeconds: 10 } }] })),
      'ValidationException',
      400,
      /2 validation errors detected/,
    );
    await expectAwsError(eb.send(new PutTargetsCommand({ Rule: 'ghost', Targets: [{ Id: 't', Arn: q }] })), 'ResourceNotFoundException', 400, 'Rule ghost does not exist on EventBus default.');
    const five = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ Id: id, Arn: queue(sb.accountId, id) }));
    expect(await eb.send(new PutTargetsCommand({ Rule: 'r', Targets: five }))).toMatchObject({ FailedEntryCount: 0, FailedEntries: [] });
    await eb.send(new PutTargetsCommand({ Rule: 'r', Targets: [{ Id: 'a', Arn: q, InputPath: '$.detail', DeadLetterConfig: { Arn: queue(sb.accountId, 'dlq') } }] }));
    await expectAwsError(eb.send(new PutTargetsCommand({ Rule: 'r', Targets: [{ Id: 'f', Arn: q }] })), 'LimitExceededException', 400);
    const listed = (await eb.send(new ListTargetsByRuleCommand({ Rule: 'r' }))).Targets ?? [];
    expect(listed.map((t) => t.Id)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(listed[0]).toEqual({ Id: 'a', Arn: q, InputPath: '$.detail', DeadLetterConfig: { Arn: queue(sb.accountId, 'dlq') } });
    await expectAwsError(eb.send(new DeleteRuleCommand({ Name: 'r' })), 'ValidationException', 400, "Rule can't be deleted since it has targets.");
    await eb.send(new RemoveTargetsCommand({ Rule: 'r', Ids: ['a', 'b', 'c', 'd', 'e'] }));
    await eb.send(new DeleteRuleCommand({ Name: 'r' }));
    eb.destroy();
  });

  it('TestEventPattern answers as the matcher does and rejects invalid patterns and events', async () => {
    const sb = await sandbox();
    const eb = client(sb);
    const event = JSON.stringify({ id: '1', account: sb.accountId, source: 'my.app', time: '2024-01-01T00:00:00Z', region: REGION, resources: [], 'detail-type': 'X', detail: { amount: 250 } });
    expect((await eb.send(new TestEventPatternCommand({ EventPattern: '{"detail":{"amount":[{"numeric":[">",100]}]}}', Event: event }))).Result).toBe(true);
    expect((await eb.send(new TestEventPatternCommand({ EventPattern: '{"detail":{"amount":[{"numeric":["<",100]}]}}', Event: event }))).Result).toBe(false);
    await expectAwsError(eb.send(new TestEventPatternCommand({ EventPattern: '{"detail":{"amount":[{"numeric":["<"]}]}}', Event: event })), 'InvalidEventPatternException', 400);
    await expectAwsError(eb.send(new TestEventPatternCommand({ EventPattern: '{"source":["a"]}', Event: '{"source":"a"}' })), 'ValidationException', 400, 'Parameter Event is not valid.');
    eb.destroy();
  });
});

describe('PutEvents', () => {
  it('fails malformed entries one by one, exactly as EventBridge reports them', async () => {
    const sb = await sandbox();
    const eb = client(sb);
    const out = await eb.send(
      new PutEventsCommand({
        Entries: [
          entry(),
          { DetailType: 'X', Detail: '{}' },
          entry({ Detail: '{not json' }),
          entry({ Detail: '[1, 2]' }),
          entry({ Source: 'aws.ec2' }),
          entry({ EventBusName: 'nope' }),
          { Source: 'my.app', Detail: '{}' },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(6);
    expect(out.Entries?.[0]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.Entries?.slice(1)).toEqual([
      { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' },
      { ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Event bus nope does not exist.' },
      { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.' },
    ]);
    await expectAwsError(eb.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry()) })), 'ValidationException', 400, /less than or equal to 10/);
    await expectAwsError(eb.send(new PutEventsCommand({ Entries: [] })), 'ValidationException', 400);
    const big = JSON.stringify({ blob: 'x'.repeat(130 * 1024) });
    await expectAwsError(eb.send(new PutEventsCommand({ Entries: [entry({ Detail: big }), entry({ Detail: big })] })), 'ValidationException', 400, /over the limit/);
    eb.destroy();
  });

  it('an IAM user is held to events:source; an entry denied fails alone, a call with every entry denied fails whole', async () => {
    const sb = await sandbox();
    const iam = iamClient(sb);
    await iam.send(new CreateUserCommand({ UserName: 'publisher' }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'publisher',
        PolicyName: 'p',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: `arn:aws:events:${REGION}:${sb.accountId}:event-bus/default`, Condition: { 'ForAllValues:StringEquals': { 'events:source': ['my.app'] } } }],
        }),
      }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'publisher' }))).AccessKey;
    const user = client(sb, { accessKeyId: key?.AccessKeyId ?? '', secretAccessKey: key?.SecretAccessKey ?? '' });
    const mixed = await user.send(new PutEventsCommand({ Entries: [entry(), entry({ Source: 'other.app' })] }));
    expect(mixed.FailedEntryCount).toBe(1);
    expect(mixed.Entries?.[1]).toMatchObject({ ErrorCode: 'AccessDeniedException' });
    expect(mixed.Entries?.[1]?.ErrorMessage).toMatch(/is not authorized to perform: events:PutEvents on resource: arn:aws:events:us-east-1:\d{12}:event-bus\/default/);
    await expectAwsError(user.send(new PutEventsCommand({ Entries: [entry({ Source: 'other.app' })] })), 'AccessDeniedException', 400, /user\/publisher is not authorized to perform: events:PutEvents/);
    // A same-account bus policy that denies wins over the identity policy.
    await client(sb).send(
      new PutPermissionCommand({
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Sid: 'no-publisher', Effect: 'Deny', Principal: { AWS: `arn:aws:iam::${sb.accountId}:user/publisher` }, Action: 'events:PutEvents', Resource: '*' }],
        }),
      }),
    );
    await expectAwsError(user.send(new PutEventsCommand({ Entries: [entry()] })), 'AccessDeniedException', 400, /explicit deny/);
    user.destroy();
    iam.destroy();
  });

  it('another account needs the bus policy: denied without it, delivered with it, denied again when removed', async () => {
    const sb = await sandbox();
    const calls = fakeSqs(sb);
    const member = sb.createAccount(MEMBER);
    const mine = client(sb);
    const theirs = client(sb, { accessKeyId: member.accessKeyId, secretAccessKey: member.secretAccessKey });
    const q = queue(sb.accountId, 'inbox');
    await ruleWithTargets(mine, 'from-member', { account: [MEMBER] }, [{ Id: 'q', Arn: q }]);
    const bus = `arn:aws:events:${REGION}:${sb.accountId}:event-bus/default`;
    await expectAwsError(theirs.send(new PutEventsCommand({ Entries: [entry({ EventBusName: bus })] })), 'AccessDeniedException', 400, /because no resource-based policy allows/);
    await mine.send(new PutPermissionCommand({ Action: 'events:PutEvents', Principal: MEMBER, StatementId: 'member' }));
    expect((await theirs.send(new PutEventsCommand({ Entries: [entry({ EventBusName: bus })] }))).FailedEntryCount).toBe(0);
    await service(sb).idle();
    expect(to(calls, q)).toHaveLength(1);
    expect(JSON.parse(to(calls, q)[0]?.input ?? '{}')).toMatchObject({ account: MEMBER, source: 'my.app' });
    await mine.send(new RemovePermissionCommand({ StatementId: 'member' }));
    await expectAwsError(theirs.send(new PutEventsCommand({ Entries: [entry({ EventBusName: bus })] })), 'AccessDeniedException', 400);
    mine.destroy();
    theirs.destroy();
  });
});

describe('delivery to targets', () => {
  it('only matching events of enabled rules reach the target, as the full envelope, after PutEvents answers', async () => {
    const sb = await sandbox();
    const calls = fakeSqs(sb);
    const eb = client(sb);
    const q = queue(sb.accountId, 'big-orders');
    const ruleArn = await ruleWithTargets(eb, 'big', { source: ['my.app'], detail: { amount: [{ numeric: ['>', 100] }] } }, [{ Id: 'q', Arn: q }]);
    await ruleWithTargets(eb, 'off', { source: ['my.app'] }, [{ Id: 'q', Arn: queue(sb.accountId, 'disabled') }]);
    await eb.send(new DisableRuleCommand({ Name: 'off' }));
    const out = await eb.send(
      new PutEventsCommand({
        Entries: [
          entry({ Resources: ['arn:aws:s3:::b'], Time: new Date('2024-05-01T10:00:00Z') }),
          entry({ Source: 'other.app' }),
          entry({ Detail: JSON.stringify({ amount: 50 }) }),
        ],
      }),
    );
    await service(sb).idle();
    expect(calls.map((c) => c.arn)).toEqual([q]);
    const [d] = calls;
    expect(d).toMatchObject({ via: 'events.amazonaws.com', sourceArn: ruleArn, sourceAccount: sb.accountId });
    expect(JSON.parse(d?.input ?? '{}')).toEqual({
      version: '0',
      id: out.Entries?.[0]?.EventId,
      'detail-type': 'OrderPlaced',
      source: 'my.app',
      account: sb.accountId,
      time: '2024-05-01T10:00:00Z',
      region: REGION,
      resources: ['arn:aws:s3:::b'],
      detail: { orderId: 'o-1', amount: 250 },
    });
    expect(service(sb).deliveryStats()).toMatchObject({ matched: 1, delivered: 1, failed: 0 });
    eb.destroy();
  });

  it('PutEvents answers before any target is called', async () => {
    const sb = await sandbox();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const calls: TargetDelivery[] = [];
    sb.kernel.targets.register('sqs', {
      deliver: async (d) => {
        calls.push(d);
        await gate;
        return { ok: true };
      },
    });
    const eb = client(sb);
    await ruleWithTargets(eb, 'slow', { source: ['my.app'] }, [{ Id: 'q', Arn: queue(sb.accountId, 'slow') }]);
    expect((await eb.send(new PutEventsCommand({ Entries: [entry()] }))).FailedEntryCount).toBe(0);
    expect(service(sb).deliveryStats().delivered).toBe(0);
    release();
    await service(sb).idle();
    expect(calls).toHaveLength(1);
    expect(service(sb).deliveryStats().delivered).toBe(1);
    eb.destroy();
  });

  it('Input, InputPath, InputTransformer and SqsParameters shape what each target receives', async () => {
    const sb = await sandbox();
    const calls = fakeSqs(sb);
    const eb = client(sb);
    const q = (n: string) => queue(sb.accountId, n);
    const ruleArn = await ruleWithTargets(eb, 'shape', { source: ['my.app'] }, [
      { Id: 'const', Arn: q('const'), Input: '{"fixed": true}' },
      { Id: 'path', Arn: q('path'), InputPath: '$.detail.orderId' },
      {
        Id: 'tpl',
        Arn: q('tpl'),
        InputTransformer: {
          InputPathsMap: { id: '$.detail.orderId', amount: '$.detail.amount' },
          InputTemplate: '{"order": <id>, "amount": <amount>, "text": "order <id> of <amount>", "rule": <aws.events.rule-name>, "arn": "<aws.events.rule-arn>"}',
        },
      },
      { Id: 'str', Arn: q('str'), InputTransformer: { InputPathsMap: { id: '$.detail.orderId' }, InputTemplate: '"Order <id> placed"' } },
      { Id: 'fifo', Arn: q('orders.fifo'), SqsParameters: { MessageGroupId: 'orders' } },
    ]);
    await eb.send(new PutEventsCommand({ Entries: [entry()] }));
    await service(sb).idle();
    expect(to(calls, q('const'))[0]?.input).toBe('{"fixed": true}');
    expect(to(calls, q('path'))[0]?.input).toBe('"o-1"');
    expect(JSON.parse(to(calls, q('tpl'))[0]?.input ?? '{}')).toEqual({ order: 'o-1', amount: 250, text: 'order o-1 of 250', rule: 'shape', arn: ruleArn });
    expect(to(calls, q('str'))[0]?.input).toBe('"Order o-1 placed"');
    expect(to(calls, q('orders.fifo'))[0]?.parameters).toEqual({ MessageGroupId: 'orders' });
    eb.destroy();
  });

  it('a retryable failure is retried with backoff until it succeeds', async () => {
    const sb = await sandbox();
    const q = (n: string) => queue(sb.accountId, n);
    const calls = fakeSqs(sb, (_d, attempt) => (attempt < 3 ? { ok: false, code: 'ThrottlingException', message: 'slow down', retryable: true } : { ok: true }));
    const eb = client(sb);
    await ruleWithTargets(eb, 'flaky', { source: ['my.app'] }, [{ Id: 'q', Arn: q('flaky'), DeadLetterConfig: { Arn: q('dlq') } }]);
    await eb.send(new PutEventsCommand({ Entries: [entry()] }));
    await service(sb).idle();
    expect(to(calls, q('flaky'))).toHaveLength(3);
    expect(to(calls, q('dlq'))).toHaveLength(0);
    expect(service(sb).deliveryStats()).toMatchObject({ attempts: 3, failedAttempts: 2, retries: 2, delivered: 1, failed: 0 });
    eb.destroy();
  });

  it('retries exhausted: the original event goes to the DLQ with the error attributes', async () => {
    const sb = await sandbox();
    const q = (n: string) => queue(sb.accountId, n);
    const calls = fakeSqs(sb, (d) => (d.arn === q('down') ? { ok: false, code: 'InternalFailure', message: 'target is down', retryable: true } : { ok: true }));
    const eb = client(sb);
    const ruleArn = await ruleWithTargets(eb, 'doomed', { source: ['my.app'] }, [
      { Id: 'q', Arn: q('down'), InputPath: '$.detail', RetryPolicy: { MaximumRetryAttempts: 2 }, DeadLetterConfig: { Arn: q('dlq') } },
    ]);
    const out = await eb.send(new PutEventsCommand({ Entries: [entry()] }));
    await service(sb).idle();
    expect(to(calls, q('down'))).toHaveLength(3);
    const [dead] = to(calls, q('dlq'));
    expect(dead).toMatchObject({ via: 'events.amazonaws.com', sourceArn: ruleArn, sourceAccount: sb.accountId });
    expect(JSON.parse(dead?.input ?? '{}')).toMatchObject({ id: out.Entries?.[0]?.EventId, source: 'my.app', detail: { orderId: 'o-1' } });
    const str = (v: string) => ({ DataType: 'String', StringValue: v });
    expect(dead?.parameters).toEqual({
      MessageAttributes: {
        ERROR_CODE: str('InternalFailure'),
        ERROR_MESSAGE: str('target is down'),
        RULE_ARN: str(ruleArn),
        TARGET_ARN: str(q('down')),
        RETRY_ATTEMPTS: str('2'),
        EXHAUSTED_RETRY_CONDITION: str('MaximumRetryAttemptsExhausted'),
      },
    });
    expect(service(sb).deliveryStats()).toMatchObject({ attempts: 3, retries: 2, failed: 1, deadLettered: 1 });
    eb.destroy();
  });

  it('MaximumEventAgeInSeconds bounds retries in simulated time (compressed backoff)', async () => {
    const sb = await sandbox();
    const q = (n: string) => queue(sb.accountId, n);
    const calls = fakeSqs(sb, (d) => (d.arn === q('down') ? { ok: false, code: 'InternalFailure', message: 'down', retryable: true } : { ok: true }));
    const eb = client(sb);
    await ruleWithTargets(eb, 'aged', { source: ['my.app'] }, [{ Id: 'q', Arn: q('down'), RetryPolicy: { MaximumEventAgeInSeconds: 60 }, DeadLetterConfig: { Arn: q('dlq') } }]);
    const started = Date.now();
    await eb.send(new PutEventsCommand({ Entries: [entry()] }));
    await service(sb).idle();
    // 1 s doubling backoff (with jitter): the event is older than 60 s of simulated time after a handful of tries.
    expect(to(calls, q('down')).length).toBeGreaterThanOrEqual(5);
    expect(to(calls, q('down')).length).toBeLessThanOrEqual(8);
    expect(Date.now() - started).toBeLessThan(2000);
    const attrs = to(calls, q('dlq'))[0]?.parameters?.MessageAttributes;
    expect(attrs).toMatchObject({ EXHAUSTED_RETRY_CONDITION: { DataType: 'String', StringValue: 'MaximumEventAgeExhausted' } });
    eb.destroy();
  });

  it('a non-retryable failure (AccessDenied) goes to the DLQ at once; without a DLQ the event is dropped', async () => {
    const sb = await sandbox();
    const q = (n: string) => queue(sb.accountId, n);
    const calls = fakeSqs(sb, (d) =>
      d.arn === q('dlq') ? { ok: true } : { ok: false, code: 'AccessDenied', message: 'events.amazonaws.com is not allowed to send to the queue', retryable: false },
    );
    const eb = client(sb);
    await ruleWithTargets(eb, 'denied', { source: ['my.app'] }, [
      { Id: 'withdlq', Arn: q('locked'), DeadLetterConfig: { Arn: q('dlq') } },
      { Id: 'nodlq', Arn: q('locked-too') },
    ]);
    await eb.send(new PutEventsCommand({ Entries: [entry()] }));
    await service(sb).idle();
    expect(to(calls, q('locked'))).toHaveLength(1);
    expect(to(calls, q('locked-too'))).toHaveLength(1);
    const attrs = to(calls, q('dlq'))[0]?.parameters?.MessageAttributes;
    expect(attrs).toMatchObject({ ERROR_CODE: { StringValue: 'AccessDenied' }, RETRY_ATTEMPTS: { StringValue: '0' } });
    expect(attrs).not.toHaveProperty('EXHAUSTED_RETRY_CONDITION');
    expect(service(sb).deliveryStats()).toMatchObject({ attempts: 2, retries: 0, failed: 2, deadLettered: 1, dropped: 1 });
    expect(service(sb).deliveryFailures().map((f) => [f.targetArn, f.code, f.deadLettered])).toEqual(
      expect.arrayContaining([
        [q('locked'), 'AccessDenied', true],
        [q('locked-too'), 'AccessDenied', false],
      ]),
    );
    eb.destroy();
  });

  it('a rule targeting a bus in another account delivers there when that bus policy allows it (one hop only)', async () => {
    const sb = await sandbox();
    const calls = fakeSqs(sb);
    const member = sb.createAccount(MEMBER);
    const mine = client(sb);
    const theirs = client(sb, { accessKeyId: member.accessKeyId, secretAccessKey: member.secretAccessKey });
    const memberBus = `arn:aws:events:${REGION}:${MEMBER}:event-bus/default`;
    const forward = await ruleWithTargets(mine, 'forward', { source: ['my.app'] }, [{ Id: 'bus', Arn: memberBus }]);
    const inbox = queue(MEMBER, 'inbox');
    await ruleWithTargets(theirs, 'receive', { source: ['my.app'] }, [
      { Id: 'q', Arn: inbox },
      { Id: 'again', Arn: `arn:aws:events:${REGION}:${sb.accountId}:event-bus/default` },
    ]);
    // Without a policy on the member's bus the delivery is refused (not retryable: no DLQ here, dropped).
    await mine.send(new PutEventsCommand({ Entries: [entry()] }));
    await service(sb).idle();
    expect(to(calls, inbox)).toHaveLength(0);
    expect(service(sb).deliveryFailures()).toEqual([expect.objectContaining({ ruleArn: forward, targetArn: memberBus, code: 'AccessDeniedException' })]);

    await theirs.send(new PutPermissionCommand({ Action: 'events:PutEvents', Principal: sb.accountId, StatementId: 'management' }));
    const out = await mine.send(new PutEventsCommand({ Entries: [entry()] }));
    await service(sb).idle();
    expect(to(calls, inbox)).toHaveLength(1);
    expect(to(calls, inbox)[0]?.sourceAccount).toBe(MEMBER);
    expect(JSON.parse(to(calls, inbox)[0]?.input ?? '{}')).toMatchObject({ id: out.Entries?.[0]?.EventId, account: sb.accountId, source: 'my.app' });
    // The receiving bus does not route the event to a third bus.
    expect(service(sb).deliveryStats().skippedBusHops).toBe(1);
    mine.destroy();
    theirs.destroy();
  });

  it('a bus target with a RoleArn: EventBridge assumes the role to put the event; a role without permission is refused', async () => {
    const sb = await sandbox();
    const calls = fakeSqs(sb);
    const eb = client(sb);
    const iam = iamClient(sb);
    const inner = (await eb.send(new CreateEventBusCommand({ Name: 'inner' }))).EventBusArn ?? '';
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    const forwarder = (await iam.send(new CreateRoleCommand({ RoleName: 'forwarder', AssumeRolePolicyDocument: trust }))).Role?.Arn ?? '';
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'forwarder',
        PolicyName: 'put',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: inner }] }),
      }),
    );
    const powerless = (await iam.send(new CreateRoleCommand({ RoleName: 'powerless', AssumeRolePolicyDocument: trust }))).Role?.Arn ?? '';
    await ruleWithTargets(eb, 'with-role', { source: ['my.app'] }, [{ Id: 'bus', Arn: inner, RoleArn: forwarder }]);
    const refused = await ruleWithTargets(eb, 'without-permission', { source: ['my.app'] }, [{ Id: 'bus', Arn: inner, RoleArn: powerless }]);
    const q = queue(sb.accountId, 'inner-q');
    await ruleWithTargets(eb, 'inner-rule', { source: ['my.app'] }, [{ Id: 'q', Arn: q }], 'inner');
    await eb.send(new PutEventsCommand({ Entries: [entry()] }));
    await service(sb).idle();
    expect(to(calls, q)).toHaveLength(1);
    expect(service(sb).deliveryFailures()).toEqual([
      expect.objectContaining({ ruleArn: refused, code: 'AccessDeniedException', message: expect.stringMatching(/assumed-role\/powerless\/.* is not authorized to perform: events:PutEvents/) }),
    ]);
    eb.destroy();
    iam.destroy();
  });

  it('rules and buses survive snapshot/restore', async () => {
    const sb = await sandbox();
    const eb = client(sb);
    await eb.send(new CreateEventBusCommand({ Name: 'app' }));
    await ruleWithTargets(eb, 'kept', { source: [{ prefix: 'my.' }] }, [{ Id: 'q', Arn: queue(sb.accountId, 'q') }], 'app');
    const events = service(sb);
    const saved = JSON.parse(JSON.stringify(events.snapshot()));
    events.restore({});
    await expectAwsError(eb.send(new DescribeEventBusCommand({ Name: 'app' })), 'ResourceNotFoundException', 400);
    events.restore(saved);
    expect((await eb.send(new DescribeRuleCommand({ Name: 'kept', EventBusName: 'app' }))).EventPattern).toBe('{"source":[{"prefix":"my."}]}');
    const calls = fakeSqs(sb);
    await eb.send(new PutEventsCommand({ Entries: [entry({ EventBusName: 'app' })] }));
    await events.idle();
    expect(calls).toHaveLength(1);
    eb.destroy();
  });
});

const execFileAsync = promisify(execFile);
const hasAwsCli = await execFileAsync('aws', ['--version']).then(
  () => true,
  () => false,
);

describe('AWS CLI', () => {
  it.skipIf(!hasAwsCli)('aws events put-events reaches a rule target', async () => {
    const sb = await sandbox();
    const calls = fakeSqs(sb);
    const eb = client(sb);
    const q = queue(sb.accountId, 'cli');
    await ruleWithTargets(eb, 'cli', { source: ['cli.app'], 'detail-type': [{ prefix: 'Thing' }] }, [{ Id: 'q', Arn: q }]);
    const entries = JSON.stringify([{ Source: 'cli.app', DetailType: 'ThingHappened', Detail: '{"n": 1}' }, { Source: 'cli.app', DetailType: 'ThingHappened', Detail: 'oops' }]);
    const { stdout } = await execFileAsync('aws', ['events', 'put-events', '--endpoint-url', sb.endpoint, '--region', REGION, '--output', 'json', '--entries', entries], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        AWS_ACCESS_KEY_ID: sb.accessKeyId,
        AWS_SECRET_ACCESS_KEY: sb.secretAccessKey,
        AWS_DEFAULT_REGION: REGION,
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      },
    });
    const out = JSON.parse(stdout);
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries[0].EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.Entries[1]).toEqual({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
    await service(sb).idle();
    expect(JSON.parse(to(calls, q)[0]?.input ?? '{}')).toMatchObject({ source: 'cli.app', 'detail-type': 'ThingHappened', detail: { n: 1 } });
    eb.destroy();
  }, 20_000);
});
