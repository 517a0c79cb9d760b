/**
 * Account vending, end to end on the local sandbox with the synthesized app loaded (local/app/; README "Account
 * vending"): AWS's documented Control Tower `CreateManagedAccount` event (test/e2e/fixtures/events/), its obscured
 * account ids filled in, is matched against the synthesized rule's event pattern, then delivered as the rule's SQS
 * target delivers it to the starter's REAL bundle (under its synthesized role; the local default synthesis configures
 * examples/account-vending/request-template.json): the onboarding execution it starts on the sandbox's Step Functions
 * service runs on the local runner and SUCCEEDS for the sample's account. A duplicate delivery is one execution; a
 * FAILED event starts nothing; an account name that gives no tenant id is rejected (dead-letter queue). AWS
 * Organizations' `CreateAccountResult` sample (account name masked as '****') starts an onboarding too: the starter
 * looks the name up with DescribeAccount in the sandbox's organization.
 */
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionNameFor } from '../../lambdas/domain/names';
import { StarterEnvSchema } from '../../lambdas/services/starter/env';
import { startRecord } from '../../lambdas/services/starter/starter';
import { logger } from '../../lambdas/shared/logger';
import { matchesEventPattern } from '../../local/aws/services/events/pattern';
import { loadApp, type LoadedApp } from '../../local/app/index';
import { loadWorkflow, ONBOARDING_STATE_MACHINE } from '../../local/runner/runner';
import { ensureSandboxAccounts } from '../../local/runner/sandbox';
import { resolveValue, type CfnResource, type CfnTemplate, type DeploymentTarget } from '../../local/runner/template';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { adminSfn, executionsOf, settled, stateMachineArn } from './fixtures/sandbox-app';
import { deliverToStarter, sqsBatch, sqsRecord, takeDeadLetters } from './fixtures/sqs';
import { controlTowerEvent, organizationsCreateAccountResultEvent } from './fixtures/vending-events';

const NEW_ACCOUNT = '222222222222';
const ORG_ACCOUNT = '333333333333';

let sb: RunningLocalSandbox;
let app: LoadedApp;
let sfn: SFNClient;
let template: CfnTemplate;
let target: DeploymentTarget;
/** The onboarding state machine, as the app was loaded. */
let onboardingArn: string;

beforeAll(async () => {
  const workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 0 } }, palette: { port: 0 }, env: {} });
  app = await loadApp(sb, { workflow });
  expect(app.report.failed).toEqual([]);
  onboardingArn = stateMachineArn(app, ONBOARDING_STATE_MACHINE);
  sfn = adminSfn(sb);
  const stack = workflow.assembly.stack();
  template = stack.template;
  target = { stackName: stack.stackName, partition: 'aws', region: sb.aws.region, accountId: sb.aws.accountId };
}, 300_000);
afterAll(async () => {
  if (app) await settled(sb, app);
  sfn?.destroy();
  await app?.stop();
  await sb?.stop();
});

/** Every execution of the onboarding state machine, oldest first. */
const executions = () => executionsOf(sb, sfn, [onboardingArn]);

type Json = Record<string, unknown>;
const at = (v: unknown, ...path: string[]): Json => path.reduce((o, k) => (o as Json)[k], v) as Json;
const replay = () => ({ managementAccount: sb.aws.accountId, accountId: NEW_ACCOUNT });

/** The one resource whose logical id starts with `prefix` and has `type`. */
function resource(type: string, prefix: string): CfnResource {
  const found = Object.entries(template.Resources).filter(([id, r]) => r.Type === type && id.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one ${type} ${prefix}*, found ${found.length}`);
  return (found[0] as [string, CfnResource])[1];
}
/** The account vending rule's pattern, resolved for the sandbox deployment (its `account` = the home account). */
const vendingPattern = () => resolveValue(resource('AWS::Events::Rule', 'AccountVendingRule').Properties?.EventPattern, template, target);

const record = (body: string, receiveCount = 1, messageId?: string) => sqsRecord(body, { receiveCount, ...(messageId ? { messageId } : {}) });
const batch = sqsBatch;
const deliver = (event: SQSEvent) => deliverToStarter(app, event);

describe("AWS Control Tower's CreateManagedAccount sample", () => {
  it("matches the synthesized rule's pattern; the same event from another account does not", () => {
    // Prepare
    const event = controlTowerEvent('create', replay());
    const forwarded = { ...event, account: '999999999999' };
    const pattern = vendingPattern();
    // Assess
    expect(pattern).toMatchObject({ account: [sb.aws.accountId] });
    expect(matchesEventPattern(pattern, event)).toBe(true);
    expect(matchesEventPattern(pattern, forwarded)).toBe(false);
    expect(matchesEventPattern(pattern, { ...event, source: 'palette.onboarding' })).toBe(false);
  });

  it('delivered twice: one onboarding execution of the template for tenant lifecycle1, which SUCCEEDS', async () => {
    // Prepare
    const body = JSON.stringify(controlTowerEvent('create', replay()));
    // Act
    const { response, logs } = await deliver(batch(record(body), record(body)));
    await settled(sb, app);
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(logs).toContain('Account vending: onboarding the new account');
    const started = await executions();
    expect(started).toHaveLength(1);
    const [exec] = started;
    const input = JSON.parse(exec?.input ?? '{}') as Json;
    expect(input).toEqual({
      tenantId: 'lifecycle1',
      aws: {
        region: 'us-east-1',
        credentialMode: 'sts',
        bucket: { versioning: true, lifecycle: { noncurrentVersionExpirationDays: 30, abortIncompleteMultipartUploadDays: 7 } },
        accountId: NEW_ACCOUNT,
      },
      register: { cloudAccount: { enabled: true }, backupLocation: { isDefault: true } },
    });
    expect(exec?.name).toMatch(/^lifecycle1-[0-9a-f]{12}-[0-9a-f]{8}$/);
    expect(exec?.name.startsWith(executionNameFor(input).slice(0, 'lifecycle1-'.length + 12))).toBe(true);
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: exec?.executionArn }));
    expect(described.cause ?? described.error).toBeUndefined();
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output ?? '{}')).toMatchObject({ tenantId: 'lifecycle1', accountId: NEW_ACCOUNT });
  }, 120_000);

  it('delivered again later: ExecutionAlreadyExists counts as delivered, still one execution', async () => {
    const { response, logs } = await deliver(batch(record(JSON.stringify(controlTowerEvent('create', replay())))));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(logs).toContain('The same request was already started');
    expect(await executions()).toHaveLength(1);
  });

  it('in state FAILED: delivered, logged, nothing started', async () => {
    const event = controlTowerEvent('create', replay());
    at(event, 'detail', 'serviceEventDetails', 'createManagedAccountStatus').state = 'FAILED';
    event.id = 'failed-event';
    const { response, logs } = await deliver(batch(record(JSON.stringify(event))));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(logs).toContain("createManagedAccountStatus.state is 'FAILED', not SUCCEEDED");
    expect(await executions()).toHaveLength(1);
  });

  it('an account name that gives no tenant id: rejected, moved to the dead-letter queue at once with the reason, nothing started', async () => {
    const event = controlTowerEvent('create', replay());
    at(event, 'detail', 'serviceEventDetails', 'createManagedAccountStatus', 'account').accountName = '2024 Prod';
    event.id = 'digit-name';
    const bad = record(JSON.stringify(event));
    const { response, logs } = await deliver(batch(bad));
    // Delivered: the starter (under its role, which may send to the dead-letter queue) moved it there itself.
    expect(response).toEqual({ batchItemFailures: [] });
    expect(logs).toContain(`account ${NEW_ACCOUNT} (CreateManagedAccount): the account name \\"2024 Prod\\" gives the tenant id '2024-prod', which does not start with a letter`);
    const dead = await takeDeadLetters(sb, app);
    expect(dead).toHaveLength(1);
    expect(dead[0]?.Body).toBe(bad.body);
    expect(dead[0]?.MessageAttributes).toMatchObject({
      REJECTED_REASON: { StringValue: expect.stringContaining("gives the tenant id '2024-prod', which does not start with a letter") },
      SOURCE_MESSAGE_ID: { StringValue: bad.messageId },
    });
    expect(await executions()).toHaveLength(1);
  });
});

describe('two accounts whose names give one tenant id', () => {
  it("the second account's onboarding fails with TenantBindingError (the tenant is bound to the first) and creates nothing", async () => {
    // Prepare: another account named like the sample's 'LifeCycle1' (lifecycle1 is bound to 222222222222 by now).
    const event = controlTowerEvent('create', { managementAccount: sb.aws.accountId, accountId: '444444444444' });
    at(event, 'detail', 'serviceEventDetails', 'createManagedAccountStatus', 'account').accountName = 'LIFECYCLE1';
    event.id = 'second-account';
    // Act
    const { response } = await deliver(batch(record(JSON.stringify(event))));
    await settled(sb, app);
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const second = (await executions())[1];
    expect(JSON.parse(second?.input ?? '{}')).toMatchObject({ tenantId: 'lifecycle1', aws: { accountId: '444444444444' } });
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: second?.executionArn }));
    expect(described).toMatchObject({ status: 'FAILED', error: 'TenantBindingError' });
    expect(described.cause).toContain('222222222222');
    const run = app.runtime.runs.get(second?.executionArn ?? '');
    expect(run?.invocations.length).toBeGreaterThan(0);
    expect(run?.invocations.map((i) => i.state).filter((st) => st.startsWith('Ensure'))).toEqual([]);
  }, 60_000);
});

describe("AWS Organizations' CreateAccountResult sample (account name masked)", () => {
  it('starts an onboarding named after the account, whose name the starter reads with DescribeAccount', async () => {
    // Prepare: the new account in the sandbox's organization; the starter's synthesized environment.
    await ensureSandboxAccounts(sb, [ORG_ACCOUNT]);
    const event = organizationsCreateAccountResultEvent({ managementAccount: sb.aws.accountId, accountId: ORG_ACCOUNT });
    expect(matchesEventPattern(vendingPattern(), event)).toBe(true);
    const starterFn = Object.values(template.Resources).find((r) => r.Metadata?.['palette-onboarding:handler'] === 'lambdas/handlers/start-onboarding.ts');
    const variables = resolveValue((starterFn?.Properties?.Environment as { Variables: unknown }).Variables, template, target);
    const env = StarterEnvSchema.parse(variables);
    expect(env.ONBOARDING_STATE_MACHINE_ARN).toBe(onboardingArn);
    const orgs = new OrganizationsClient({ endpoint: sb.aws.endpoint, region: 'us-east-1', credentials: { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey } });
    const targets = {
      onboarding: env.ONBOARDING_STATE_MACHINE_ARN,
      offboarding: env.OFFBOARDING_STATE_MACHINE_ARN,
      accountVending: { template: env.ACCOUNT_VENDING_REQUEST_TEMPLATE ?? {}, tenantIdFrom: env.ACCOUNT_VENDING_TENANT_ID_FROM },
    };
    // Act (in this process, nothing else running: quiet)
    await settled(sb, app);
    logger.setLogLevel('SILENT');
    const outcome = await startRecord(record(JSON.stringify(event), 1, 'org-msg'), sfn, targets, () => orgs);
    // Assess
    expect(outcome).toMatchObject({ outcome: 'started', executionName: expect.stringMatching(/^sandbox-333333333333-[0-9a-f]{12}-[0-9a-f]{8}$/) });
    const started = (await executions()).find((e) => outcome.outcome === 'started' && e.name === outcome.executionName);
    expect(JSON.parse(started?.input ?? '{}')).toMatchObject({ tenantId: 'sandbox-333333333333', aws: { accountId: ORG_ACCOUNT, region: 'us-east-1', credentialMode: 'sts' } });
  });
});
