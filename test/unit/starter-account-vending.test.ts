/**
 * The event starter's account vending (lambdas/services/starter/starter.ts) with mocked Organizations and Step
 * Functions clients: the tenant id from a tag (ListTagsForResource, every page), a masked name read with
 * DescribeAccount, an Organizations error retried, no template configured rejected, and the environment's checks.
 */
import { DescribeAccountCommand, ListTagsForResourceCommand, OrganizationsClient, OrganizationsServiceException } from '@aws-sdk/client-organizations';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadStarterEnv } from '../../lambdas/services/starter/env';
import { startRecord, type StartTargets } from '../../lambdas/services/starter/starter';
import { logger } from '../../lambdas/shared/logger';
import { controlTowerEvent, organizationsCreateAccountResultEvent } from '../e2e/fixtures/vending-events';

const SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:Onboarding';
const TEMPLATE = { aws: { region: 'us-east-1', credentialMode: 'sts' } };
const REPLAY = { managementAccount: '123456789012', accountId: '222222222222' };
const record = (event: unknown): SQSRecord => ({
  messageId: 'm1',
  receiptHandle: 'rh',
  body: JSON.stringify(event),
  attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1', SenderId: 'x', ApproximateFirstReceiveTimestamp: '1' },
  messageAttributes: {},
  md5OfBody: 'x',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q',
  awsRegion: 'us-east-1',
});
const targets = (tenantIdFrom: StartTargets['accountVending'] extends infer V ? (V extends { tenantIdFrom: infer T } ? T : never) : never): StartTargets => ({
  onboarding: SM,
  offboarding: `${SM}-off`,
  accountVending: { template: TEMPLATE, tenantIdFrom },
});

const sfnMock = mockClient(SFNClient);
const orgsMock = mockClient(OrganizationsClient);
const sfn = new SFNClient({ region: 'us-east-1' });
const orgs = new OrganizationsClient({ region: 'us-east-1' });
beforeAll(() => logger.setLogLevel('SILENT'));
afterAll(() => {
  sfnMock.restore();
  orgsMock.restore();
});
beforeEach(() => {
  sfnMock.reset();
  orgsMock.reset();
  sfnMock.on(StartExecutionCommand).callsFake((input: { name: string }) => ({ executionArn: `arn:exec:${input.name}`, startDate: new Date() }));
});

describe('tenant id from a tag', () => {
  it('reads every page of the account tags and starts the onboarding of that tenant', async () => {
    // Prepare
    orgsMock
      .on(ListTagsForResourceCommand, { ResourceId: '222222222222' })
      .resolvesOnce({ Tags: [{ Key: 'team', Value: 'x' }], NextToken: 't1' })
      .resolvesOnce({ Tags: [{ Key: 'palette-tenant', Value: 'globex' }] });
    // Act
    const outcome = await startRecord(record(controlTowerEvent('create', REPLAY)), sfn, targets({ from: 'tag', tagKey: 'palette-tenant' }), () => orgs);
    // Assess
    expect(outcome).toMatchObject({ outcome: 'started', executionName: expect.stringMatching(/^globex-[0-9a-f]{12}-[0-9a-f]{8}$/) });
    expect(orgsMock).toHaveReceivedCommandTimes(ListTagsForResourceCommand, 2);
    expect(orgsMock).toHaveReceivedNthCommandWith(ListTagsForResourceCommand, 2, { ResourceId: '222222222222', NextToken: 't1' });
    expect(JSON.parse(String(sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input.input))).toEqual({
      tenantId: 'globex',
      aws: { region: 'us-east-1', credentialMode: 'sts', accountId: '222222222222' },
    });
  });

  it('an account without the tag is rejected, nothing started', async () => {
    orgsMock.on(ListTagsForResourceCommand).resolves({ Tags: [] });
    const outcome = await startRecord(record(controlTowerEvent('create', REPLAY)), sfn, targets({ from: 'tag', tagKey: 'palette-tenant' }), () => orgs);
    expect(outcome).toEqual({ messageId: 'm1', outcome: 'rejected', reason: "account 222222222222 (CreateManagedAccount): account 222222222222 has no tag 'palette-tenant' (accountVendingTenantIdFrom tag:palette-tenant)" });
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});

describe('tenant id from the account name', () => {
  it("the event's name is used as is: no Organizations call", async () => {
    const outcome = await startRecord(record(controlTowerEvent('create', REPLAY)), sfn, targets({ from: 'accountName' }), () => orgs);
    expect(outcome).toMatchObject({ outcome: 'started', executionName: expect.stringMatching(/^lifecycle1-/) });
    expect(orgsMock.calls()).toHaveLength(0);
  });

  it('a masked name is read with DescribeAccount; an Organizations error fails the record for a retry', async () => {
    // Prepare
    orgsMock.on(DescribeAccountCommand, { AccountId: '222222222222' }).resolvesOnce({ Account: { Id: '222222222222', Name: 'Acme Prod' } });
    const event = organizationsCreateAccountResultEvent(REPLAY);
    // Act
    const started = await startRecord(record(event), sfn, targets({ from: 'accountName' }), () => orgs);
    orgsMock.on(DescribeAccountCommand).rejects(new OrganizationsServiceException({ name: 'TooManyRequestsException', $fault: 'client', message: 'slow down', $metadata: {} }));
    const failed = await startRecord(record(event), sfn, targets({ from: 'accountName' }), () => orgs);
    // Assess
    expect(started).toMatchObject({ outcome: 'started', executionName: expect.stringMatching(/^acme-prod-/) });
    expect(failed).toMatchObject({ outcome: 'failed', error: 'TooManyRequestsException: slow down' });
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it('one event id, one name; another event id for the same account, another name', async () => {
    const first = await startRecord(record(controlTowerEvent('create', REPLAY)), sfn, targets({ from: 'accountName' }), () => orgs);
    const again = await startRecord(record(controlTowerEvent('create', REPLAY)), sfn, targets({ from: 'accountName' }), () => orgs);
    const update = { ...controlTowerEvent('update', REPLAY), id: 'another-event' };
    const later = await startRecord(record(update), sfn, targets({ from: 'accountName' }), () => orgs);
    const name = (o: unknown) => (o as { executionName: string }).executionName;
    expect(name(again)).toBe(name(first));
    expect(name(later)).not.toBe(name(first));
    expect(name(later).slice(0, -9)).toBe(name(first).slice(0, -9)); // same request hash, another event suffix
  });
});

describe('configuration', () => {
  it('a vending event in a deployment without a template is rejected', async () => {
    const outcome = await startRecord(record(controlTowerEvent('create', REPLAY)), sfn, { onboarding: SM, offboarding: SM }, () => orgs);
    expect(outcome).toMatchObject({ outcome: 'rejected', reason: expect.stringContaining('account vending is not configured') });
  });

  it('the environment: template JSON checked again, tenant id source parsed, both optional', () => {
    const base = { ONBOARDING_STATE_MACHINE_ARN: SM, OFFBOARDING_STATE_MACHINE_ARN: SM };
    expect(loadStarterEnv(base)).toMatchObject({ ACCOUNT_VENDING_TENANT_ID_FROM: { from: 'accountName' } });
    expect(loadStarterEnv(base).ACCOUNT_VENDING_REQUEST_TEMPLATE).toBeUndefined();
    expect(loadStarterEnv({ ...base, ACCOUNT_VENDING_REQUEST_TEMPLATE: JSON.stringify(TEMPLATE), ACCOUNT_VENDING_TENANT_ID_FROM: 'tag:t' })).toMatchObject({
      ACCOUNT_VENDING_REQUEST_TEMPLATE: TEMPLATE,
      ACCOUNT_VENDING_TENANT_ID_FROM: { from: 'tag', tagKey: 't' },
    });
    expect(() => loadStarterEnv({ ...base, ACCOUNT_VENDING_REQUEST_TEMPLATE: '{"tenantId":"x"}' })).toThrow(/ACCOUNT_VENDING_REQUEST_TEMPLATE: is not a valid request template: tenantId: must not be set/);
    expect(() => loadStarterEnv({ ...base, ACCOUNT_VENDING_REQUEST_TEMPLATE: '{' })).toThrow(/must be JSON/);
    expect(() => loadStarterEnv({ ...base, ACCOUNT_VENDING_TENANT_ID_FROM: 'name' })).toThrow(/ACCOUNT_VENDING_TENANT_ID_FROM: must be 'accountName' or 'tag:<TagKey>'/);
  });
});
