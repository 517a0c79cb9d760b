/**
 * The Re-validation state machine and its schedule (cdk/lib/constructs/revalidation-state-machine.ts): valid ASL, a
 * Map with the configured concurrency over the tenants the first step lists, the settings of the stack config carried
 * by every run, the one retry list on every Lambda task, each tenant's outcome whatever happens to it, remediation as
 * an asynchronous start of the onboarding state machine; least privilege of its role, its functions and the
 * scheduler's role; the configuration's bounds. The definition runs here with stubbed tasks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { RETRYABLE_ERRORS, TASK_TIMEOUT_ERRORS } from '../../lambdas/shared/retryable-errors';
import { runWorkflow } from './local-run';
import {
  allStates,
  asArray,
  busOf,
  functionsByName,
  renderResource,
  resourcesOfType,
  state,
  stateMachineDefinition,
  stateMachineOf,
  statementsOfRole,
  synthesize,
  validateAsl,
  type CfnTemplate,
  type IamStatement,
  type Synthesized,
} from './helpers';

let base: Synthesized;
let custom: Synthesized;
let off: Synthesized;
beforeAll(() => {
  base = synthesize({ skipBundling: true });
  custom = synthesize({
    skipBundling: true,
    context: { revalidationSchedule: 'cron(0 3 * * ? *)', revalidationConcurrency: 2, remediate: 'true', apiKeyExpiryWarningDays: 30, staticKeyRotationDays: '45' },
  });
  off = synthesize({ skipBundling: true, context: { revalidationSchedule: 'off' } });
}, 120_000);

const actions = (st: IamStatement) => asArray(st.Action);
const resources = (st: IamStatement) => asArray(st.Resource as unknown).map(renderResource);
const roleOfStateMachine = (json: CfnTemplate) => (stateMachineOf(json, 'revalidation')[1].Properties?.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
function fnRole(json: CfnTemplate, name: string): string {
  const role = functionsByName(json).get(name)?.[1].Properties?.Role as { 'Fn::GetAtt': [string, string] } | undefined;
  if (!role) throw new Error(`no role for ${name}`);
  return role['Fn::GetAtt'][0];
}
/** A function's actions, besides writing its logs and traces. */
const fnActions = (json: CfnTemplate, name: string) =>
  new Set(statementsOfRole(json, fnRole(json, name)).flatMap(actions).filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:')));

describe('the definition', () => {
  it('is valid ASL: Init (settings) -> ListRevalidationTargets -> a Map over the tenants -> BuildSummary', () => {
    // Prepare
    const { definition } = stateMachineDefinition(base.json, 'revalidation');

    // Assess
    const asl = validateAsl(definition);
    expect(asl.errorsText(), asl.errorsText()).toBe('');
    expect(asl.isValid).toBe(true);
    expect(definition.StartAt).toBe('Init');
    expect(state(definition, 'Init').Parameters).toMatchObject({ settings: { apiKeyExpiryWarningDays: 14, staticKeyRotationDays: 90, remediate: false } });
    expect(state(definition, 'ListRevalidationTargets').Next).toBe('RevalidateTenants');
    const map = state(definition, 'RevalidateTenants');
    expect(map).toMatchObject({ Type: 'Map', ItemsPath: '$.targets.tenants', MaxConcurrency: 5, ResultPath: '$.results', Next: 'BuildSummary' });
    expect(map.ItemSelector).toEqual({ 'tenantId.$': '$$.Map.Item.Value', 'execution.$': '$.execution', 'settings.$': '$.settings', 'remediate.$': '$.targets.remediate' });
    expect(Object.keys(map.ItemProcessor?.States ?? {}).sort()).toEqual(
      ['RevalidateTenant', 'Checked', 'TenantNotChecked', 'RecordDrift', 'Drifted', 'TenantDone', 'NotifyDriftDetected', 'Remediate', 'StartRemediation', 'TenantRemediationStarted', 'TenantRemediationFailed', 'TenantFailed'].sort(),
    );
  });

  it('carries the stack config: concurrency and settings', () => {
    // Prepare
    const { definition } = stateMachineDefinition(custom.json, 'revalidation');

    // Assess
    expect(state(definition, 'RevalidateTenants').MaxConcurrency).toBe(2);
    expect(state(definition, 'Init').Parameters).toMatchObject({ settings: { apiKeyExpiryWarningDays: 30, staticKeyRotationDays: 45, remediate: true } });
  });

  it('every Lambda task retries the one list; a tenant whose check or record fails ends as failed; remediation retries only its timeout', () => {
    // Prepare
    const { definition } = stateMachineDefinition(base.json, 'revalidation');
    const states = allStates(definition);

    // Assess
    for (const name of ['ListRevalidationTargets', 'RevalidateTenant', 'RecordDrift']) {
      const s = states.get(name);
      expect(s?.Retry?.[0]?.ErrorEquals, name).toEqual([...RETRYABLE_ERRORS]);
      expect(s?.Retry?.[0], name).toMatchObject({ IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 10, JitterStrategy: 'FULL' });
      expect(s?.TimeoutSeconds, name).toBe(90);
    }
    expect(states.get('ListRevalidationTargets')?.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' }]);
    expect(states.get('RevalidateTenant')?.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'TenantFailed' }]);
    expect(states.get('RecordDrift')?.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'TenantFailed' }]);
    const start = states.get('StartRemediation');
    expect(start).toMatchObject({ Resource: 'arn:aws:states:::states:startExecution', Parameters: { 'Name.$': '$.record.remediation.executionName', 'Input.$': '$.record.remediation.input' } });
    expect(start?.Retry?.[0]?.ErrorEquals).toEqual([...TASK_TIMEOUT_ERRORS]);
    expect(start?.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.remediationError', Next: 'TenantRemediationFailed' }]);
    expect(states.get('NotifyDriftDetected')?.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.notificationError', Next: 'Remediate' }]);
  });
});

describe('running the definition (stubbed tasks)', () => {
  const findings = [{ resource: 'iam:111111111111:role/palette-onboarding-acme', check: 'trustPolicy', reason: 'edited' }];
  const request = { tenantId: 'acme', aws: { accountId: '111111111111', region: 'us-east-1', credentialMode: 'sts' } };
  const stubs = (startFails = false) => ({
    ListRevalidationTargets: () => ({ tenants: ['acme', 'busy', 'broken', 'fine'], notEligible: [], deferred: 0, remediate: true }),
    RevalidateTenant: (i: unknown) => {
      const { tenantId } = i as { tenantId: string };
      if (tenantId === 'broken') throw Object.assign(new Error('Palette refused the API key'), { name: 'PaletteAuthError' });
      if (tenantId === 'busy') return { tenantId, outcome: 'skipped', checkedAt: 't', findings: [], reason: 'held by execution x' };
      return { tenantId, outcome: 'checked', version: 3, checkedAt: 't', findings: tenantId === 'acme' ? findings : [] };
    },
    RecordDrift: (i: unknown) => {
      const { check } = i as { check: { tenantId: string; findings: unknown[] } };
      const drifted = check.findings.length > 0;
      return {
        recorded: true,
        summary: { tenantId: check.tenantId, outcome: drifted ? 'drifted' : 'ok', findings: check.findings.length, status: drifted ? 'DRIFTED' : 'ACTIVE' },
        ...(drifted ? { remediation: { executionName: 'acme-0123456789ab-drift-20261202080000', input: request } } : {}),
      };
    },
    NotifyDriftDetected: () => ({ Entries: [{ EventId: '1' }], FailedEntryCount: 0 }),
    StartRemediation: () => {
      if (startFails) throw Object.assign(new Error('Execution Already Exists'), { name: 'StepFunctions.ExecutionAlreadyExistsException' });
      return { ExecutionArn: 'arn:aws:states:us-east-1:123456789012:execution:onboarding:acme-0123456789ab-drift-20261202080000', StartDate: 'now' };
    },
  });

  it('checks every tenant; records, notifies and remediates the drifted one; reports each outcome', async () => {
    // Prepare
    const { definition } = stateMachineDefinition(base.json, 'revalidation');

    // Act
    const run = await runWorkflow(definition, { remediate: true }, stubs(), { executionName: 'revalidate-all-1' });

    // Assess
    expect(run.error).toBeUndefined();
    expect(run.inputOf('NotifyDriftDetected')).toMatchObject({
      Entries: [{ DetailType: 'Tenant Drift Detected', Source: 'palette.onboarding', Detail: { tenantId: 'acme', executionName: 'revalidate-all-1', findings } }],
    });
    expect(run.inputOf('StartRemediation')).toEqual({ StateMachineArn: expect.any(String), Name: 'acme-0123456789ab-drift-20261202080000', Input: request });
    expect(run.inputOf('RecordDrift')).toEqual({
      execution: { name: 'revalidate-all-1', startTime: expect.any(String) },
      check: { tenantId: 'acme', outcome: 'checked', version: 3, checkedAt: 't', findings },
      remediate: true,
    });
    expect(run.calls.filter((c) => c.state === 'RecordDrift')).toHaveLength(2);
    expect(run.output).toEqual({
      executionName: 'revalidate-all-1',
      remediate: true,
      tenants: [
        { tenantId: 'acme', outcome: 'drifted', findings: 1, status: 'DRIFTED', remediation: 'acme-0123456789ab-drift-20261202080000' },
        { tenantId: 'busy', outcome: 'skipped', findings: 0, reason: 'held by execution x' },
        { tenantId: 'broken', outcome: 'failed', findings: 0, error: 'PaletteAuthError' },
        { tenantId: 'fine', outcome: 'ok', findings: 0, status: 'ACTIVE' },
      ],
      notEligible: [],
      deferred: 0,
    });
  });

  it('a remediation that cannot be started is reported; the run still succeeds', async () => {
    // Prepare
    const { definition } = stateMachineDefinition(base.json, 'revalidation');

    // Act
    const run = await runWorkflow(definition, {}, stubs(true), { executionName: 'revalidate-all-2' });

    // Assess
    expect(run.error).toBeUndefined();
    expect((run.output as { tenants: unknown[] }).tenants[0]).toEqual({
      tenantId: 'acme',
      outcome: 'drifted',
      findings: 1,
      status: 'DRIFTED',
      remediationError: 'Execution Already Exists',
    });
  });

  it('a request the first step refuses fails the run with its error', async () => {
    // Prepare
    const { definition } = stateMachineDefinition(base.json, 'revalidation');
    const refusing = {
      ...stubs(),
      ListRevalidationTargets: () => {
        throw Object.assign(new Error("tenantId: tenant 'nobody' is not in the tenant registry"), { name: 'TenantNotFoundError' });
      },
    };

    // Act
    const run = await runWorkflow(definition, { tenantId: 'nobody' }, refusing, { executionName: 'revalidate-nobody-1' });

    // Assess
    expect(run.failure?.Error).toBe('TenantNotFoundError');
    expect(run.calls.map((c) => c.state)).toEqual(['ListRevalidationTargets']);
  });
});

describe('least privilege', () => {
  it('the state machine may invoke its three functions, publish on the notifications bus, and start the onboarding state machine only', () => {
    // Prepare
    const sts = statementsOfRole(base.json, roleOfStateMachine(base.json));
    const [busId] = busOf(base.json, 'notifications');
    const [onboardingId] = stateMachineOf(base.json, 'onboarding');

    // Assess
    const invoked = new Set(sts.filter((st) => actions(st).includes('lambda:InvokeFunction')).flatMap(resources).map((r) => r.replace(/:\*$/, '')));
    expect([...invoked].sort()).toEqual(['list-revalidation-targets', 'revalidate-tenant', 'record-drift'].map((n) => `\${${functionsByName(base.json).get(n)?.[0]}.Arn}`).sort());
    expect(sts.filter((st) => actions(st).includes('events:PutEvents')).flatMap(resources)).toEqual([`\${${busId}.Arn}`]);
    const start = sts.filter((st) => actions(st).some((a) => a.startsWith('states:')));
    expect(start.map((st) => [actions(st), resources(st)])).toEqual([[['states:StartExecution'], [`\${${onboardingId}}`]]]);
  });

  it('the functions: listing reads the registry, recording writes one item, checking reads only', () => {
    // Assess
    expect([...fnActions(base.json, 'list-revalidation-targets')].sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Scan']);
    expect([...fnActions(base.json, 'record-drift')].sort()).toEqual(['dynamodb:UpdateItem']);
    // Checking writes nothing but its Palette send slots in the shared rate table (test/cdk/palette-rate-table.test.ts).
    const checkStatements = statementsOfRole(base.json, fnRole(base.json, 'revalidate-tenant'));
    const rateTable = resourcesOfType(base.json, 'AWS::DynamoDB::Table').find(([id]) => id.startsWith('PaletteRateTable'))?.[0];
    expect(rateTable).toBeDefined();
    const check = checkStatements
      .filter((st) => !(actions(st).join() === 'dynamodb:UpdateItem' && JSON.stringify(st.Resource).includes(`"${rateTable}"`)))
      .flatMap(actions)
      .filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:'));
    const reads = /^(dynamodb:GetItem|s3:Get\w+|iam:(Get|List)\w+|secretsmanager:GetSecretValue|sts:AssumeRole|sts:TagSession)$/;
    expect(check.filter((a) => !reads.test(a))).toEqual([]);
  });

  it('the schedule starts the re-validation state machine with {} (every tenant), and its role may do only that', () => {
    // Prepare
    const schedules = resourcesOfType(base.json, 'AWS::Scheduler::Schedule').filter(([id]) => id.startsWith('Revalidation'));
    const [smId] = stateMachineOf(base.json, 'revalidation');

    // Assess
    expect(schedules).toHaveLength(1);
    const props = schedules[0]?.[1].Properties as { ScheduleExpression: string; State: string; Target: { Arn: unknown; Input: string; RoleArn: { 'Fn::GetAtt': [string, string] } } };
    expect(props).toMatchObject({ ScheduleExpression: 'rate(1 day)', State: 'ENABLED', Target: { Arn: { Ref: smId }, Input: '{}' } });
    const roleSts = statementsOfRole(base.json, props.Target.RoleArn['Fn::GetAtt'][0]);
    expect(roleSts.map((st) => [actions(st), resources(st)])).toEqual([[['states:StartExecution'], [`\${${smId}}`]]]);
  });

  it('the schedule follows the config: a cron expression, or none at all when off', () => {
    // Assess
    const custom1 = resourcesOfType(custom.json, 'AWS::Scheduler::Schedule').filter(([id]) => id.startsWith('Revalidation'));
    expect(custom1.map(([, r]) => r.Properties?.ScheduleExpression)).toEqual(['cron(0 3 * * ? *)']);
    expect(resourcesOfType(off.json, 'AWS::Scheduler::Schedule')).toEqual([]);
    expect(resourcesOfType(off.json, 'AWS::StepFunctions::StateMachine').filter(([id]) => id.startsWith('Revalidation'))).toHaveLength(1);
  });
});

describe('configuration', () => {
  it.each([
    [{ revalidationSchedule: 'daily' }, /"revalidationSchedule": must be an EventBridge Scheduler rate\(\.\.\.\) or cron\(\.\.\.\) expression, or off/],
    [{ revalidationSchedule: 'rate(0 days)' }, /revalidationSchedule/],
    [{ revalidationSchedule: 'cron(0 3 * *)' }, /revalidationSchedule/],
    [{ revalidationConcurrency: 0 }, /revalidationConcurrency/],
    [{ revalidationConcurrency: 41 }, /revalidationConcurrency/],
    [{ apiKeyExpiryWarningDays: 0 }, /apiKeyExpiryWarningDays/],
    [{ staticKeyRotationDays: 'soon' }, /staticKeyRotationDays/],
    [{ remediate: 'yes' }, /remediate/],
  ])('refuses %j', (context, message) => {
    // Act / Assess
    expect(() => synthesize({ skipBundling: true, context })).toThrow(message);
  });
});
