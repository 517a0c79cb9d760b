/**
 * The two buses (cdk/lib/constructs/bus-policies.ts, cdk/lib/events.ts): requests arrive on the onboarding bus,
 * which only the home account and the configured publishers may put events on; results go to the separate
 * notifications bus, on which only the state machine's role may put events (an explicit Deny for everyone else).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { EVENT_BUS_OF, ONBOARDING_EVENTS } from '../../cdk/lib/events';
import {
  asArray,
  busOf,
  onlyResourceOfType,
  stateMachineOf,
  renderResource,
  resourcesOfType,
  state,
  stateMachineDefinition,
  synthesize,
  type CfnResource,
  type IamStatement,
  type Synthesized,
} from './helpers';

let base: Synthesized;
let custom: Synthesized;
const PUBLISHER_ROLE = 'arn:aws:iam::444444444444:role/ops/order-service';
beforeAll(() => {
  base = synthesize({ skipBundling: true });
  custom = synthesize({
    skipBundling: true,
    context: {
      eventBusName: 'tenant-onboarding',
      allowedPublishers: `333333333333,${PUBLISHER_ROLE}`,
      allowedPublisherOrganizationId: 'o-abcdefghij',
    },
  });
}, 120_000);

interface BusStatement extends IamStatement {
  Principal: unknown;
}
const policyOf = (bus: CfnResource): BusStatement[] =>
  asArray((bus.Properties?.Policy as { Statement?: BusStatement[] } | undefined)?.Statement);
const render = (v: unknown) => JSON.stringify(v).replace(/\{"Ref":"AWS::(\w+)"\}/g, '${$1}');
const busArnOf = (name: string) => `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/${name}`;

describe('the onboarding bus (requests)', () => {
  it('without publishers: PutEvents for the home account only; every notifications-bus detail-type denied to everyone', () => {
    const [, bus] = busOf(base.json, 'onboarding');
    expect(bus.Properties?.Name).toBe('palette-onboarding');
    const statements = policyOf(bus);
    expect(statements.map((s) => [s.Sid, s.Effect])).toEqual([
      ['HomeAccountPublishes', 'Allow'],
      ['NoResultEventsOnTheRequestBus', 'Deny'],
    ]);
    const [home, deny] = statements as [BusStatement, BusStatement];
    expect(home.Action).toBe('events:PutEvents');
    expect(render(home.Principal)).toBe(render({ AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] } }));
    expect(asArray(home.Resource as unknown).map(renderResource)).toEqual([busArnOf('palette-onboarding')]);
    // Results and progress (everything EVENT_BUS_OF sends to the notifications bus); the requests are not denied.
    const results = [
      ONBOARDING_EVENTS.succeeded,
      ONBOARDING_EVENTS.failed,
      ONBOARDING_EVENTS.started,
      ONBOARDING_EVENTS.resourcesReady,
      ONBOARDING_EVENTS.ready,
      ONBOARDING_EVENTS.registered,
      ONBOARDING_EVENTS.offboarded,
      ONBOARDING_EVENTS.offboardingFailed,
      ONBOARDING_EVENTS.driftDetected,
    ];
    expect(deny).toMatchObject({ Effect: 'Deny', Action: 'events:PutEvents', Principal: { AWS: '*' } });
    const denied = (deny.Condition as { 'ForAnyValue:StringEquals': { 'events:detail-type': string[] } })['ForAnyValue:StringEquals']['events:detail-type'];
    expect([...denied].sort()).toEqual([...results].sort());
    expect([...denied].sort()).toEqual(Object.entries(EVENT_BUS_OF).filter(([, bus]) => bus === 'notifications').map(([t]) => t).sort());
    expect(denied).not.toContain(ONBOARDING_EVENTS.requested);
    expect(denied).not.toContain(ONBOARDING_EVENTS.offboardingRequested);
  });

  it('with publishers: their accounts, roles and organization, and no unconditional "*" Allow', () => {
    const [, bus] = busOf(custom.json, 'onboarding');
    const statements = policyOf(bus);
    expect(statements.map((s) => s.Sid)).toEqual([
      'HomeAccountPublishes',
      'AllowedPublisherAccounts',
      'AllowedPublisherRoles',
      'AllowedPublisherOrganization',
      'NoResultEventsOnTheRequestBus',
    ]);
    const bySid = new Map(statements.map((s) => [s.Sid, s]));
    expect(render(bySid.get('AllowedPublisherAccounts')?.Principal)).toContain(':iam::333333333333:root');
    expect(bySid.get('AllowedPublisherRoles')?.Principal).toEqual({ AWS: PUBLISHER_ROLE });
    expect(bySid.get('AllowedPublisherOrganization')).toMatchObject({
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abcdefghij' } },
    });
    for (const st of statements) {
      expect(asArray(st.Action)).toEqual(['events:PutEvents']);
      expect(asArray(st.Resource as unknown).map(renderResource)).toEqual([busArnOf('tenant-onboarding')]);
      if (st.Effect === 'Allow' && JSON.stringify(st.Principal) === '{"AWS":"*"}') expect(st.Condition).toBeDefined();
    }
  });

  it('keeps the starter rule; no rule listens on the notifications bus', () => {
    const [busId] = busOf(base.json, 'onboarding');
    const [, rule] = onlyResourceOfType(base.json, 'AWS::Events::Rule');
    expect(rule.Properties?.EventBusName).toEqual({ Ref: busId });
    expect(rule.Properties?.EventPattern).toEqual({ source: [ONBOARDING_EVENTS.source], 'detail-type': [ONBOARDING_EVENTS.requested, ONBOARDING_EVENTS.offboardingRequested] });
  });
});

describe('the notifications bus (results)', () => {
  it('is <eventBusName>-notifications', () => {
    expect(busOf(base.json, 'notifications')[1].Properties?.Name).toBe('palette-onboarding-notifications');
    expect(busOf(custom.json, 'notifications')[1].Properties?.Name).toBe('tenant-onboarding-notifications');
  });

  it('denies PutEvents to every principal but the three workflows\' state machine roles, which it allows', () => {
    const smRole = (['onboarding', 'offboarding', 'revalidation'] as const).map((w) => stateMachineOf(base.json, w)[1].Properties?.RoleArn);
    const statements = policyOf(busOf(base.json, 'notifications')[1]);
    expect(statements).toHaveLength(2);
    const [deny, allow] = statements as [BusStatement, BusStatement];
    expect(deny).toMatchObject({
      Sid: 'OnlyTheWorkflowPublishes',
      Effect: 'Deny',
      Action: 'events:PutEvents',
      Principal: { AWS: '*' },
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': smRole } },
    });
    expect(allow).toMatchObject({ Sid: 'WorkflowPublishes', Effect: 'Allow', Action: 'events:PutEvents', Principal: { AWS: smRole } });
    for (const st of statements) expect(asArray(st.Resource as unknown).map(renderResource)).toEqual([busArnOf('palette-onboarding-notifications')]);
  });

  it('the state machine publishes its results and progress events there, never on the onboarding bus', () => {
    const [notificationsId] = busOf(base.json, 'notifications');
    const { definition } = stateMachineDefinition(base.json);
    const arn = `arn:aws:events:us-east-1:123456789012:event-bus/${notificationsId}`;
    const putEvents = Object.entries(definition.States).filter(([, st]) => st.Resource === 'arn:aws:states:::events:putEvents').map(([name]) => name);
    expect(putEvents.sort()).toEqual(['NotifyFailure', 'NotifyReady', 'NotifyRegistered', 'NotifyResourcesReady', 'NotifyStarted', 'NotifySuccess']);
    for (const name of putEvents) {
      const entries = (state(definition, name).Parameters as { Entries: Record<string, unknown>[] }).Entries;
      expect(entries.map((e) => e.EventBusName), name).toEqual([arn]);
      const detailType = entries[0]?.DetailType as keyof typeof EVENT_BUS_OF;
      expect(EVENT_BUS_OF[detailType]).toBe('notifications');
    }
    expect(EVENT_BUS_OF[ONBOARDING_EVENTS.requested]).toBe('onboarding');
  });

  it('is exported as NotificationBusName and NotificationBusArn', () => {
    const [busId] = busOf(base.json, 'notifications');
    expect(base.json.Outputs?.NotificationBusName?.Value).toEqual({ Ref: busId });
    expect(base.json.Outputs?.NotificationBusArn?.Value).toEqual({ 'Fn::GetAtt': [busId, 'Arn'] });
  });

  it('two buses, no separate EventBusPolicy resources (each bus carries its whole policy)', () => {
    expect(resourcesOfType(base.json, 'AWS::Events::EventBus')).toHaveLength(2);
    expect(resourcesOfType(base.json, 'AWS::Events::EventBusPolicy')).toHaveLength(0);
  });
});
