/**
 * Whole-stack properties: cdk-nag AwsSolutions has no unacknowledged finding (and every acknowledgement has
 * a reason), the EventBridge trigger queues requests for the starter with a DLQ, outputs exist, config is validated.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { App, Stack, aws_iam as iam, aws_sqs as sqs } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { busOf, onlyResourceOfType, resourcesOfType, synthesize, type CfnResource, type Synthesized } from './helpers';

let base: Synthesized;
beforeAll(() => {
  base = synthesize({ skipBundling: true });
});

interface NagReport {
  success: boolean;
  violations: { ruleName: string; violatingResources: { constructPath: string }[] }[];
}
const nag = (scope: Stack): NagReport => new AwsSolutionsChecks(scope).validateScope(scope) as NagReport;

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged violation on the whole stack', () => {
    const report = nag(base.stack);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('reports no unacknowledged violation with every guard, publisher and session option configured', () => {
    const full = synthesize({
      skipBundling: true,
      context: {
        allowedOrganizationalUnitIds: ['ou-ab12-11111111'],
        allowedAccountIds: ['222222222222'],
        allowedPublishers: ['333333333333', 'arn:aws:iam::444444444444:role/publisher'],
        allowedPublisherOrganizationId: 'o-abcdefghij',
        setSourceIdentity: true,
        selfHosted: true,
      },
    });
    const report = nag(full.stack);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
  }, 120_000);

  it('does report unacknowledged findings (control: a wildcard role and a plain queue)', () => {
    const s = new Stack(new App(), 'Control');
    new sqs.Queue(s, 'Queue');
    new iam.Role(s, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }).addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }),
    );
    const rules = nag(s).violations.map((v) => v.ruleName);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-SQS4', 'AwsSolutions-IAM5[Action::s3:*]', 'AwsSolutions-IAM5[Resource::*]']));
  });

  it('every acknowledgement in cdk/ states a reason', () => {
    const sources = readdirSync(new URL('../../cdk/lib', import.meta.url), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(new URL(`../../cdk/lib/${f}`, import.meta.url), 'utf8'));
    const acks = sources.flatMap((text) => text.split('.acknowledge(').slice(1).map((rest) => rest.slice(0, 600)));
    expect(acks.length).toBeGreaterThan(3);
    for (const ack of acks) expect(ack).toMatch(/^\{\s*id:[^]*?reason:\s*\S/);
  });
});

describe('event trigger', () => {
  const queue = (prefix: string) => {
    const found = resourcesOfType(base.json, 'AWS::SQS::Queue').filter(([id]) => id.startsWith(prefix));
    expect(found).toHaveLength(1);
    return found[0] as [string, CfnResource];
  };

  it('a rule on the custom bus queues palette.onboarding / Tenant Onboarding Requested events for the starter, with a DLQ', () => {
    const [, rule] = onlyResourceOfType(base.json, 'AWS::Events::Rule');
    const [busId, bus] = busOf(base.json, 'onboarding');
    const [queueId] = queue('TriggerRequestQueue');
    const [dlqId] = queue('TriggerDeadLetterQueue');
    expect(bus.Properties?.Name).toBe('palette-onboarding');
    expect(rule.Properties).toMatchObject({
      EventBusName: { Ref: busId },
      EventPattern: { source: ['palette.onboarding'], 'detail-type': ['Tenant Onboarding Requested', 'Tenant Offboarding Requested'] },
      State: 'ENABLED',
    });
    const targets = rule.Properties?.Targets as Record<string, unknown>[];
    expect(targets).toHaveLength(1);
    // The rule no longer starts the state machine itself: the starter does, under the deterministic name
    // (test/cdk/trigger.test.ts has the rest of the request path).
    expect(targets[0]).toMatchObject({
      Arn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
      RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
    });
  });

  it('the request queue and the DLQ are encrypted and TLS-only', () => {
    for (const [queueId, q] of [queue('TriggerRequestQueue'), queue('TriggerDeadLetterQueue')]) {
      expect(q.Properties?.SqsManagedSseEnabled).toBe(true);
      const policy = resourcesOfType(base.json, 'AWS::SQS::QueuePolicy').find(([, p]) => JSON.stringify(p.Properties?.Queues).includes(queueId));
      expect(JSON.stringify(policy?.[1].Properties)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('exports the state machine ARN, both buses, request queue and DLQ as stack outputs', () => {
    expect(Object.keys(base.json.Outputs ?? {}).sort()).toEqual(
      expect.arrayContaining([
        'DeadLetterQueueUrl',
        'EventBusArn',
        'EventBusName',
        'NotificationBusArn',
        'NotificationBusName',
        'RequestQueueUrl',
        'StateMachineArn',
      ]),
    );
  });
});

describe('configuration', () => {
  it('rejects invalid context with the key named, before anything is synthesized', () => {
    expect(() => synthesize({ skipBundling: true, context: { readinessBudgetSeconds: 5 } })).toThrow(/readinessBudgetSeconds/);
    expect(() => synthesize({ skipBundling: true, context: { allowedExecutionRoleNames: 'Org*' } })).toThrow(/allowedExecutionRoleNames/);
    expect(() => synthesize({ skipBundling: true, context: { eventBusName: 'default' } })).toThrow(/eventBusName/);
    expect(() => synthesize({ skipBundling: true, context: { paletteEndpoint: 'http://palette.example.internal' } })).toThrow(
      /"paletteEndpoint": must be an https URL/,
    );
    expect(() => synthesize({ skipBundling: true, context: { allowedOrganizationalUnitIds: 'ou-x' } })).toThrow(/allowedOrganizationalUnitIds/);
  });

  it('synthesizes with no configuration at all (secure by default: only the home account, https Palette)', () => {
    const s = synthesize({ skipBundling: true, context: {} });
    expect(s.json.Resources).toBeDefined();
  });
});
