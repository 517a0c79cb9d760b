/**
 * The event trigger (cdk/lib/constructs/onboarding-trigger.ts): rule -> encrypted, TLS-only request queue (with
 * the rule target's DLQ) -> starter Lambda (event source mapping with partial batch responses) -> StartExecution
 * on the onboarding state machine only. Synthesized without bundling (structure only).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_PATH } from '../../cdk/lib/constructs/onboarding-trigger';
import { StarterEnvSchema } from '../../lambdas/services/starter/env';
import {
  asArray,
  busOf,
  onlyResourceOfType,
  stateMachineOf,
  PLACEHOLDER,
  renderResource,
  resourcesOfType,
  statementsOfRole,
  synthesize,
  type CfnResource,
  type CfnTemplate,
  type IamStatement,
  type Synthesized,
} from './helpers';

let base: Synthesized;
let custom: Synthesized;
beforeAll(() => {
  base = synthesize({ skipBundling: true });
  custom = synthesize({ skipBundling: true, context: { logLevel: 'DEBUG', logRetentionDays: 7, eventBusName: 'tenant-onboarding' } });
}, 120_000);

/** The one resource of `type` whose logical id starts with `prefix`. */
function resource(json: CfnTemplate, type: string, prefix: string): [string, CfnResource] {
  const found = resourcesOfType(json, type).filter(([id]) => id.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one ${type} ${prefix}*, found ${found.map(([id]) => id).join(', ') || 'none'}`);
  return found[0] as [string, CfnResource];
}
const requestQueue = (json: CfnTemplate) => resource(json, 'AWS::SQS::Queue', 'TriggerRequestQueue');
const deadLetterQueue = (json: CfnTemplate) => resource(json, 'AWS::SQS::Queue', 'TriggerDeadLetterQueue');
/** The starter function, by its handler source metadata. */
function starter(json: CfnTemplate): [string, CfnResource] {
  const found = resourcesOfType(json, 'AWS::Lambda::Function').filter(
    ([, r]) => r.Metadata?.['palette-onboarding:handler'] === 'lambdas/handlers/start-onboarding.ts',
  );
  if (found.length !== 1) throw new Error(`expected one start-onboarding function, found ${found.length}`);
  return found[0] as [string, CfnResource];
}
const starterRoleId = (json: CfnTemplate) => (starter(json)[1].Properties?.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
const actions = (st: IamStatement) => asArray(st.Action);
const resources = (st: IamStatement) => asArray(st.Resource as unknown).map(renderResource);

describe('rule -> request queue', () => {
  it('the rule on the bus sends each whole Tenant Onboarding Requested event to the request queue, with its own DLQ', () => {
    const [, rule] = onlyResourceOfType(base.json, 'AWS::Events::Rule');
    const [busId] = busOf(base.json, 'onboarding');
    const [queueId] = requestQueue(base.json);
    const [dlqId] = deadLetterQueue(base.json);
    expect(rule.Properties).toMatchObject({
      EventBusName: { Ref: busId },
      EventPattern: { source: ['palette.onboarding'], 'detail-type': ['Tenant Onboarding Requested', 'Tenant Offboarding Requested'] },
      State: 'ENABLED',
    });
    const targets = rule.Properties?.Targets as Record<string, unknown>[];
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({
      Arn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
      RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
    });
    // The whole event: no input path / transformer (the starter reads `detail`; the DLQ holds the same shape).
    expect(targets[0]).not.toHaveProperty('Input');
    expect(targets[0]).not.toHaveProperty('InputPath');
    expect(targets[0]).not.toHaveProperty('InputTransformer');
    expect(targets[0]).not.toHaveProperty('RoleArn');
  });

  it('only that rule may send to the request queue, and only over TLS', () => {
    const [queueId] = requestQueue(base.json);
    const [ruleId] = onlyResourceOfType(base.json, 'AWS::Events::Rule');
    const [, policy] = resourcesOfType(base.json, 'AWS::SQS::QueuePolicy').find(([, p]) =>
      asArray(p.Properties?.Queues as unknown[]).some((q) => JSON.stringify(q) === JSON.stringify({ Ref: queueId })),
    ) ?? ['', { Type: '' }];
    const statements = asArray((policy.Properties?.PolicyDocument as { Statement?: IamStatement[] } | undefined)?.Statement);
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        expect.objectContaining({
          Effect: 'Allow',
          Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
          Principal: { Service: 'events.amazonaws.com' },
          Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
        }),
      ]),
    );
    expect(statements.filter((s) => s.Effect === 'Allow')).toHaveLength(1);
  });
});

describe('queues', () => {
  it('the request queue is SQS-encrypted, redrives to the DLQ after 5 receives, and hides a message longer than 6 x the starter timeout', () => {
    const [, queue] = requestQueue(base.json);
    const [dlqId] = deadLetterQueue(base.json);
    const timeout = starter(base.json)[1].Properties?.Timeout as number;
    expect(timeout).toBe(30);
    expect(queue.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 },
      MessageRetentionPeriod: 4 * 24 * 3600,
    });
    expect(queue.Properties?.VisibilityTimeout).toBe(REQUEST_PATH.visibilityTimeout.toSeconds());
    expect(queue.Properties?.VisibilityTimeout as number).toBeGreaterThan(6 * timeout);
  });

  it('both queues are encrypted and TLS-only; the DLQ keeps messages 14 days, longer than the request queue', () => {
    const [reqId, req] = requestQueue(base.json);
    const [dlqId, dlq] = deadLetterQueue(base.json);
    expect(resourcesOfType(base.json, 'AWS::SQS::Queue')).toHaveLength(2);
    for (const [id, q] of [
      [reqId, req],
      [dlqId, dlq],
    ] as const) {
      expect(q.Properties?.SqsManagedSseEnabled, id).toBe(true);
      const policy = resourcesOfType(base.json, 'AWS::SQS::QueuePolicy').find(([, p]) =>
        asArray(p.Properties?.Queues as unknown[]).some((ref) => JSON.stringify(ref) === JSON.stringify({ Ref: id })),
      );
      expect(JSON.stringify(policy?.[1].Properties), id).toContain('"aws:SecureTransport":"false"');
    }
    expect(dlq.Properties?.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    expect(dlq.Properties?.RedrivePolicy).toBeUndefined();
  });
});

describe('starter', () => {
  it('consumes the request queue through an event source mapping with ReportBatchItemFailures, 10 records a batch', () => {
    const [fnId, fn] = starter(base.json);
    const [queueId] = requestQueue(base.json);
    const [, mapping] = onlyResourceOfType(base.json, 'AWS::Lambda::EventSourceMapping');
    expect(mapping.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: fnId },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(fn.Metadata?.['palette-onboarding:handler']).toBe('lambdas/handlers/start-onboarding.ts');
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
  });

  it('has its own small environment: the state machine ARNs, the dead-letter queue and the log settings, valid for its schema', () => {
    const [smId] = stateMachineOf(base.json);
    const [offId] = stateMachineOf(base.json, 'offboarding');
    const [dlqId] = deadLetterQueue(base.json);
    const env = (starter(base.json)[1].Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env).toEqual({
      ONBOARDING_STATE_MACHINE_ARN: { Ref: smId },
      OFFBOARDING_STATE_MACHINE_ARN: { Ref: offId },
      DEAD_LETTER_QUEUE_URL: { Ref: dlqId },
      POWERTOOLS_SERVICE_NAME: 'palette-onboarding',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    const arn = (id: string) => `arn:aws:states:${PLACEHOLDER.region}:${PLACEHOLDER.account}:stateMachine:${id}`;
    const deployed = {
      ...env,
      ONBOARDING_STATE_MACHINE_ARN: arn(smId),
      OFFBOARDING_STATE_MACHINE_ARN: arn(offId),
      DEAD_LETTER_QUEUE_URL: `https://sqs.${PLACEHOLDER.region}.amazonaws.com/${PLACEHOLDER.account}/requests-dlq`,
    };
    expect(StarterEnvSchema.safeParse(deployed).success).toBe(true);
  });

  it('its role may start executions of the onboarding and offboarding state machines only, consume its queue, send to the dead-letter queue, and write its own log group', () => {
    const [smId] = stateMachineOf(base.json);
    const [offId] = stateMachineOf(base.json, 'offboarding');
    const [queueId] = requestQueue(base.json);
    const [dlqId] = deadLetterQueue(base.json);
    const [, fn] = starter(base.json);
    const logGroupId = (fn.Properties?.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    const statements = statementsOfRole(base.json, starterRoleId(base.json));
    const byAction = new Map<string, string[]>();
    for (const st of statements) {
      expect(st.Effect).toBe('Allow');
      expect(st.Condition).toBeUndefined();
      for (const a of actions(st)) byAction.set(a, [...(byAction.get(a) ?? []), ...resources(st)].sort());
    }
    expect(Object.fromEntries([...byAction].sort(([a], [b]) => a.localeCompare(b)))).toEqual({
      'logs:CreateLogStream': [`\${${logGroupId}.Arn}`],
      'logs:PutLogEvents': [`\${${logGroupId}.Arn}`],
      'sqs:ChangeMessageVisibility': [`\${${queueId}.Arn}`],
      'sqs:DeleteMessage': [`\${${queueId}.Arn}`],
      'sqs:GetQueueAttributes': [`\${${queueId}.Arn}`],
      'sqs:GetQueueUrl': [`\${${queueId}.Arn}`],
      'sqs:ReceiveMessage': [`\${${queueId}.Arn}`],
      'sqs:SendMessage': [`\${${dlqId}.Arn}`],
      'states:StartExecution': [`\${${smId}}`, `\${${offId}}`].sort(),
      'xray:PutTelemetryRecords': ['*'],
      'xray:PutTraceSegments': ['*'],
    });
  });

  it('no other principal of the stack may start onboarding executions (the rule no longer does), but the re-validation remediating and the bulk onboarding', () => {
    const starterRole = starterRoleId(base.json);
    const [onboardingId] = stateMachineOf(base.json, 'onboarding');
    const [revalidationId, revalidation] = stateMachineOf(base.json, 'revalidation');
    const startsOf = (p: { Properties?: Record<string, unknown> }) =>
      asArray((p.Properties?.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement)
        .filter((st) => asArray(st.Action as string | string[]).includes('states:StartExecution'))
        .flatMap((st) => asArray(st.Resource as unknown))
        .map((r) => JSON.stringify(r));
    const starters = resourcesOfType(base.json, 'AWS::IAM::Policy')
      .filter(([, p]) => startsOf(p).includes(JSON.stringify({ Ref: onboardingId })))
      .map(([, p]) => asArray(p.Properties?.Roles as unknown[]));
    const revalidationRole = (revalidation.Properties?.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const [, bulk] = stateMachineOf(base.json, 'bulk');
    const bulkRole = (bulk.Properties?.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    expect(starters).toEqual(expect.arrayContaining([[{ Ref: starterRole }], [{ Ref: revalidationRole }], [{ Ref: bulkRole }]]));
    expect(starters).toHaveLength(3);
    // Every other StartExecution grant is the re-validation schedule's, on the re-validation state machine only, and the
    // bulk onboarding's on itself (its Distributed Map runs its item workflows as child executions of the same machine).
    const [bulkId] = stateMachineOf(base.json, 'bulk');
    const others = resourcesOfType(base.json, 'AWS::IAM::Policy').filter(([, p]) => startsOf(p).length > 0 && !startsOf(p).includes(JSON.stringify({ Ref: onboardingId })));
    expect(others.map(([, p]) => [asArray(p.Properties?.Roles as unknown[]), startsOf(p)])).toEqual(
      expect.arrayContaining([[[{ Ref: bulkRole }], [JSON.stringify({ Ref: bulkId })]]]),
    );
    expect(others.map(([, p]) => startsOf(p)).sort()).toEqual([[JSON.stringify({ Ref: bulkId })], [JSON.stringify({ Ref: revalidationId })]].sort());
  });

  it('follows logLevel and logRetentionDays', () => {
    const [, fn] = starter(custom.json);
    expect((fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({ POWERTOOLS_LOG_LEVEL: 'DEBUG' });
    const logGroupId = (fn.Properties?.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(custom.json.Resources[logGroupId]?.Properties?.RetentionInDays).toBe(7);
  });
});

describe('outputs', () => {
  it('RequestQueueUrl and DeadLetterQueueUrl name the two queues', () => {
    const [reqId] = requestQueue(base.json);
    const [dlqId] = deadLetterQueue(base.json);
    expect(base.json.Outputs?.RequestQueueUrl?.Value).toEqual({ Ref: reqId });
    expect(base.json.Outputs?.DeadLetterQueueUrl?.Value).toEqual({ Ref: dlqId });
  });
});
