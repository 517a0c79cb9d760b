/**
 * Declared tenants (README "Declared tenants"): the folder read at synth (cdk/lib/declared-tenants.ts), the diff and
 * the execution names (lambdas/domain/declared-tenants.ts), and the custom resource's onEvent / isComplete
 * (lambdas/services/declared-tenants/deploy.ts) with a mocked Step Functions client.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../cdk/lib/config';
import { loadDeclaredTenants } from '../../cdk/lib/declared-tenants';
import {
  declaredOffboardingExecutionName,
  declaredOnboardingExecutionName,
  declaredTenantExecutions,
  declaredTenantsFailureMessage,
  diffDeclaredTenants,
  MAX_FAILURE_MESSAGE,
  type DeclaredTenantOutcome,
  type DeclaredTenantsProperties,
} from '../../lambdas/domain/declared-tenants';
import { canonicalJson, executionNameFor } from '../../lambdas/domain/names';
import { declaredTenantsStatus, startDeclaredTenants, type DeclaredTenantsEvent } from '../../lambdas/services/declared-tenants/deploy';
import { logger } from '../../lambdas/shared/logger';

const request = (tenantId: string, accountId = '111111111111', extra: Record<string, unknown> = {}) => ({
  tenantId,
  aws: { accountId, region: 'us-east-1', credentialMode: 'sts', ...extra },
});
const text = (r: unknown) => canonicalJson(r);

describe('the folder (read at synth)', () => {
  const dirs: string[] = [];
  const folder = (files: Record<string, string>): string => {
    const dir = mkdtempSync(join(tmpdir(), 'declared-tenants-'));
    dirs.push(dir);
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    return dir;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const issuesOf = (dir: string): string[] => {
    try {
      loadDeclaredTenants(dir);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as ConfigError).issues.map((i) => `${i.key} | ${i.message.replace(dir, '<dir>')}`);
    }
    throw new Error('expected a ConfigError');
  };

  it('reads every <tenantId>.json as the request as given (canonical JSON); other files and sub-folders are not requests', () => {
    // Prepare
    const acme = request('acme');
    const dir = folder({ 'acme.json': JSON.stringify(acme, null, 2), 'globex.json': JSON.stringify(request('globex', '222222222222')), 'README.md': '# notes' });
    mkdirSync(join(dir, 'old'));
    writeFileSync(join(dir, 'old', 'initech.json'), JSON.stringify(request('initech')));
    // Act
    const tenants = loadDeclaredTenants(dir);
    // Assess
    expect(Object.keys(tenants)).toEqual(['acme', 'globex']);
    expect(tenants.acme).toBe(canonicalJson(acme));
    expect(JSON.parse(tenants.acme ?? '')).toEqual(acme); // no defaults filled in
  });

  it('an empty folder declares no tenant; a missing folder fails; a relative path is relative to the project root', () => {
    expect(loadDeclaredTenants(folder({}))).toEqual({});
    expect(issuesOf(join(tmpdir(), 'no-such-declared-tenants-folder'))).toEqual([
      'tenantsDirectory | <dir> is not a folder (give a folder of <tenantId>.json onboarding requests)',
    ]);
    expect(Object.keys(loadDeclaredTenants('examples/tenants'))).toEqual(['hooli', 'initech']);
  });

  it('a file that is not JSON, not a valid request, or not named for its tenant fails the synth naming the file and the field', () => {
    // Prepare
    const dir = folder({
      'broken.json': '{"tenantId": "broken",',
      'bad.json': JSON.stringify({ tenantId: 'bad', aws: { accountId: '12345', region: 'us-east-1', credentialMode: 'sts' } }),
      'acme.json': JSON.stringify(request('globex')),
      'okay.json': JSON.stringify(request('okay')),
    });
    // Act
    const issues = issuesOf(dir);
    // Assess
    expect(issues).toEqual([
      'tenantsDirectory | <dir>/acme.json: tenantId: is "globex": the file must be named globex.json (one file per tenant, named for it)',
      'tenantsDirectory | <dir>/bad.json: aws.accountId: must be a 12-digit AWS account id',
      expect.stringMatching(/^tenantsDirectory \| <dir>\/broken\.json: \(root\): not JSON \(/),
    ]);
  });

  it('the requests together are bounded (the Update event carries old and new)', () => {
    // Prepare: requests of about 350 bytes each
    const big = (i: number) => {
      const tenantId = `tenant-${String(i).padStart(3, '0')}`;
      return [`${tenantId}.json`, JSON.stringify(request(tenantId, '111111111111', { bucket: { kmsKeyArn: `arn:aws:kms:us-east-1:111111111111:alias/${'k'.repeat(250)}` } }))];
    };
    const few = Object.fromEntries(Array.from({ length: 8 }, (_, i) => big(i)));
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => big(i)));
    // Act + Assess
    expect(Object.keys(loadDeclaredTenants(folder(few)))).toHaveLength(8);
    expect(issuesOf(folder(many))).toEqual([expect.stringMatching(/^tenantsDirectory \| <dir>: the declared requests are \d+ bytes of JSON together; at most 102400 bytes/)]);
  });
});

describe('diff', () => {
  it('onboards new and changed tenants, offboards removed ones; key order and whitespace are no change', () => {
    // Prepare
    const before = { acme: text(request('acme')), globex: text(request('globex')), initech: text(request('initech')) };
    const reordered = JSON.stringify({ aws: { credentialMode: 'sts', region: 'us-east-1', accountId: '111111111111' }, tenantId: 'acme' }, null, 4);
    const after = { acme: reordered, globex: text(request('globex', '222222222222')), hooli: text(request('hooli')) };
    // Act
    const diff = diffDeclaredTenants(before, after);
    // Assess
    expect(diff).toEqual({ onboard: ['globex', 'hooli'], offboard: ['initech'], unchanged: ['acme'] });
    expect(diffDeclaredTenants({}, before)).toEqual({ onboard: ['acme', 'globex', 'initech'], offboard: [], unchanged: [] });
    expect(diffDeclaredTenants(before, {})).toEqual({ onboard: [], offboard: ['acme', 'globex', 'initech'], unchanged: [] });
  });
});

const ONBOARDING = 'arn:aws:states:us-east-1:123456789012:stateMachine:WorkflowStateMachineABC';
const OFFBOARDING = 'arn:aws:states:us-east-1:123456789012:stateMachine:OffboardingStateMachineDEF';
const props = (tenants: Record<string, unknown>): DeclaredTenantsProperties & { ServiceToken: string } => ({
  ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:framework-onEvent',
  OnboardingStateMachineArn: ONBOARDING,
  OffboardingStateMachineArn: OFFBOARDING,
  Tenants: Object.fromEntries(Object.entries(tenants).map(([k, v]) => [k, text(v)])),
});
const REQUEST_ID = '6f1f0c2e-8d7a-4a53-9a4b-1f7f2c9d0e11';

describe('execution names', () => {
  it('are deterministic per CloudFormation request, differ between requests, and are valid Step Functions names', () => {
    // Prepare
    const acme = request('acme');
    const req = { RequestType: 'Update' as const, RequestId: REQUEST_ID, properties: props({ acme }), oldProperties: props({ globex: request('globex') }) };
    // Act
    const first = declaredTenantExecutions(req);
    const again = declaredTenantExecutions(structuredClone(req));
    const other = declaredTenantExecutions({ ...req, RequestId: 'another-request' });
    // Assess
    expect(again).toEqual(first);
    expect(first.map((x) => [x.tenantId, x.workflow])).toEqual([
      ['acme', 'onboarding'],
      ['globex', 'offboarding'],
    ]);
    expect(first[0]?.name).toBe(declaredOnboardingExecutionName(acme, REQUEST_ID));
    expect(first[0]?.name).toMatch(new RegExp(`^${executionNameFor(acme).replace(/-/g, '\\-')}-deploy-[0-9a-f]{10}$`));
    expect(first[0]?.executionArn).toBe(`arn:aws:states:us-east-1:123456789012:execution:WorkflowStateMachineABC:${first[0]?.name}`);
    expect(first[0]?.input).toBe(text(acme));
    expect(first[1]?.name).toBe(declaredOffboardingExecutionName('globex', REQUEST_ID));
    expect(first[1]?.name).toMatch(/^offboard-globex-deploy-[0-9a-f]{10}$/);
    expect(first[1]?.input).toBe('{"tenantId":"globex"}');
    for (const [a, b] of first.map((x, i) => [x.name, other[i]?.name])) expect(a).not.toBe(b);
    const longest = declaredOnboardingExecutionName(request('t'.repeat(32)), REQUEST_ID);
    expect(longest.length).toBeLessThanOrEqual(80);
    expect(longest).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('Delete starts nothing; Create onboards every declared tenant', () => {
    const p = props({ acme: request('acme'), globex: request('globex') });
    expect(declaredTenantExecutions({ RequestType: 'Delete', RequestId: REQUEST_ID, properties: p })).toEqual([]);
    expect(declaredTenantExecutions({ RequestType: 'Create', RequestId: REQUEST_ID, properties: p }).map((x) => x.workflow)).toEqual(['onboarding', 'onboarding']);
  });
});

describe('the custom resource (onEvent / isComplete)', () => {
  const sfn = mockClient(SFNClient);
  const event = (over: Partial<DeclaredTenantsEvent> = {}): DeclaredTenantsEvent => ({
    RequestType: 'Update',
    RequestId: REQUEST_ID,
    PhysicalResourceId: 'palette-declared-tenants',
    ResourceProperties: props({ acme: request('acme'), hooli: request('hooli') }),
    OldResourceProperties: props({ acme: request('acme'), initech: request('initech') }),
    ...over,
  });
  const names = declaredTenantExecutions({
    RequestType: 'Update',
    RequestId: REQUEST_ID,
    properties: props({ acme: request('acme'), hooli: request('hooli') }),
    oldProperties: props({ acme: request('acme'), initech: request('initech') }),
  });
  const hooli = names.find((x) => x.tenantId === 'hooli');
  const initech = names.find((x) => x.tenantId === 'initech');
  const describing = (arn: string | undefined, out: { status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT'; error?: string; cause?: string }) =>
    sfn.on(DescribeExecutionCommand, { executionArn: arn }).resolves({ executionArn: arn, stateMachineArn: ONBOARDING, startDate: new Date(), ...out });
  beforeEach(() => {
    sfn.reset();
    logger.setLogLevel('SILENT');
  });
  afterEach(() => sfn.reset());

  it('Update: starts the new tenant\'s onboarding and the removed one\'s offboarding, nothing for the unchanged one', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'x', startDate: new Date() });
    // Act
    const out = await startDeclaredTenants(event());
    // Assess
    expect(out).toEqual({ PhysicalResourceId: 'palette-declared-tenants', Data: { Onboarding: '1', Offboarding: '1' } });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 2);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: ONBOARDING, name: hooli?.name, input: text(request('hooli')) });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: OFFBOARDING, name: initech?.name, input: '{"tenantId":"initech"}' });
  });

  it('a retried onEvent (same RequestId) starts the same names: ExecutionAlreadyExists counts as started', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    // Act
    const out = await startDeclaredTenants(event());
    // Assess
    expect(out.Data).toEqual({ Onboarding: '1', Offboarding: '1' });
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name).sort()).toEqual([hooli?.name, initech?.name].sort());
  });

  it('any other StartExecution error fails onEvent; bad properties fail before any call', async () => {
    sfn.on(StartExecutionCommand).rejects(new Error('AccessDeniedException'));
    await expect(startDeclaredTenants(event())).rejects.toThrow('AccessDeniedException');
    sfn.reset();
    await expect(startDeclaredTenants(event({ ResourceProperties: { OnboardingStateMachineArn: 'nope', OffboardingStateMachineArn: OFFBOARDING } }))).rejects.toThrow(
      'Custom resource ResourceProperties: OnboardingStateMachineArn: must be a state machine ARN',
    );
    await expect(startDeclaredTenants(event({ OldResourceProperties: undefined }))).rejects.toThrow('Custom resource OldResourceProperties');
    expect(sfn.calls()).toHaveLength(0);
  });

  it('Delete starts nothing and completes at once (tenants outlive the stack)', async () => {
    expect(await startDeclaredTenants(event({ RequestType: 'Delete' }))).toEqual({ PhysicalResourceId: 'palette-declared-tenants', Data: { Onboarding: '0', Offboarding: '0' } });
    expect(await declaredTenantsStatus(event({ RequestType: 'Delete' }))).toEqual({ IsComplete: true, Data: { Onboarded: '0', Offboarded: '0' } });
    expect(sfn.calls()).toHaveLength(0);
  });

  it('isComplete: waits while any runs (recomputing the executions from the event), completes when all succeeded', async () => {
    // Prepare
    describing(hooli?.executionArn, { status: 'SUCCEEDED' });
    describing(initech?.executionArn, { status: 'RUNNING' });
    // Act
    const first = await declaredTenantsStatus(event());
    describing(initech?.executionArn, { status: 'SUCCEEDED' });
    const second = await declaredTenantsStatus(event());
    // Assess
    expect(first).toEqual({ IsComplete: false });
    expect(second).toEqual({ IsComplete: true, Data: { Onboarded: '1', Offboarded: '1' } });
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: hooli?.executionArn });
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: initech?.executionArn });
    expect(sfn).toHaveReceivedCommandTimes(DescribeExecutionCommand, 4);
  });

  it("isComplete: a failed execution fails the deployment with the tenant, its error and the cause's message", async () => {
    // Prepare
    const cause = JSON.stringify({ errorType: 'TenantInUseError', errorMessage: 'Palette clusters use the cloud account initech-aws: prod-1', trace: ['at x', 'at y'] });
    describing(hooli?.executionArn, { status: 'FAILED', error: 'RequestValidationError', cause: '{"errorType":"RequestValidationError","errorMessage":"Invalid onboarding request: aws.accountId: not allowed"}' });
    describing(initech?.executionArn, { status: 'FAILED', error: 'TenantInUseError', cause });
    // Act
    const failing = declaredTenantsStatus(event());
    // Assess
    await expect(failing).rejects.toThrow(
      `Declared tenants: 2 of 2 executions did not succeed. Tenant hooli: onboarding ${hooli?.name} FAILED: RequestValidationError: Invalid onboarding request: aws.accountId: not allowed. ` +
        `Tenant initech: offboarding ${initech?.name} FAILED: TenantInUseError: Palette clusters use the cloud account initech-aws: prod-1.`,
    );
    await expect(declaredTenantsStatus(event())).rejects.not.toThrow(/at x/);
  });

  it('isComplete: an offboarding of a tenant the registry does not know is nothing to offboard (a rollback of a failed add)', async () => {
    describing(hooli?.executionArn, { status: 'SUCCEEDED' });
    describing(initech?.executionArn, { status: 'FAILED', error: 'TenantNotFoundError', cause: 'no tenant initech' });
    expect(await declaredTenantsStatus(event())).toEqual({ IsComplete: true, Data: { Onboarded: '1', Offboarded: '1' } });
    // An onboarding failing with that name is a failure all the same.
    describing(hooli?.executionArn, { status: 'TIMED_OUT', error: 'TenantNotFoundError' });
    await expect(declaredTenantsStatus(event())).rejects.toThrow(`Tenant hooli: onboarding ${hooli?.name} TIMED_OUT: TenantNotFoundError.`);
  });

  it('isComplete: a throttled DescribeExecution is asked again at the next poll, not a failed deployment', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    sfn.on(DescribeExecutionCommand).rejects(throttled);
    expect(await declaredTenantsStatus(event())).toEqual({ IsComplete: false });
  });
});

describe('the failure message', () => {
  it('is bounded, puts failures with a cause first, and still names every failed tenant', () => {
    // Prepare
    const outcome = (tenantId: string, cause?: string): DeclaredTenantOutcome => ({
      execution: { tenantId, workflow: 'onboarding', stateMachineArn: ONBOARDING, name: `${tenantId}-abc`, executionArn: `x:${tenantId}`, input: '{}' },
      status: 'FAILED',
      error: 'States.TaskFailed',
      ...(cause ? { cause } : {}),
    });
    const failed = [outcome('aaa'), ...Array.from({ length: 30 }, (_, i) => outcome(`t${String(i).padStart(2, '0')}`, `reason ${i} ${'x'.repeat(800)}`))];
    // Act
    const message = declaredTenantsFailureMessage(failed, 40);
    // Assess
    expect(message.length).toBeLessThanOrEqual(MAX_FAILURE_MESSAGE);
    expect(message.startsWith('Declared tenants: 31 of 40 executions did not succeed. Tenant t00: onboarding t00-abc FAILED: States.TaskFailed: reason 0 x')).toBe(true);
    expect(message).toMatch(/Also failed: t0[0-9], .*t29, aaa\.$/);
  });
});
