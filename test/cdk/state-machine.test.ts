/**
 * The synthesized state machine against docs/workflow-contract.md: structure (states, paths, Retry/Catch,
 * compensation chain), asl-validator, logging/tracing, and the control flow when the definition is run
 * in-process (aws-local-stepfunctions) with stub task handlers.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  EVENTBRIDGE_RETRYABLE_ERRORS,
  LAMBDA_SERVICE_ERRORS,
  RETRYABLE_ERRORS,
  RETRYABLE_HANDLER_ERRORS,
} from '../../cdk/lib/constructs/onboarding-state-machine';
import {
  allStates,
  asArray,
  functionsByName,
  renderResource,
  statementsOfRole,
  onlyResourceOfType,
  stateMachineOf,
  PLACEHOLDER,
  state,
  stateMachineDefinition,
  synthesize,
  validateAsl,
  type AslDefinition,
  type Synthesized,
} from './helpers';
import { runWorkflow, type StubHandlers } from './local-run';
import { REGISTRATION_KEYS, REGISTRATIONS, registrationItems, registrationsByKind, type RegistrationKey } from '../../lambdas/domain/registrations';
import { registrationFunctionName } from '../../cdk/lib/constructs/onboarding-functions';
import { ONBOARDING_EVENTS } from '../../cdk/lib/events';
import { EVENT_DETAIL_SCHEMAS } from '../../lambdas/domain/events';

let s: Synthesized;
let text: string;
let def: AslDefinition;
beforeAll(() => {
  s = synthesize({ skipBundling: true });
  ({ text, definition: def } = stateMachineDefinition(s.json));
}, 120_000);

/** The bus ARN the notifications target, with placeholders: the notifications bus, never the onboarding bus (test/cdk/buses.test.ts). */
const BUS_ARN = expect.stringMatching(/^arn:aws:events:us-east-1:123456789012:event-bus\/NotificationsBus[0-9A-F]{8}$/);

const TOP_LEVEL_STATES = [
  'Init',
  'ValidateRequest',
  'RequestTenantId',
  'FailureTenantId',
  'FailureWithoutTenantId',
  'AcquireTenant',
  'AcquireTenantFailedAt',
  'NotifyStarted',
  'ReadPaletteIdentity',
  'NoAwsPrincipal',
  'TenantResources',
  'CheckTenantResources',
  'CheckTenantResourcesBucketError',
  'CheckTenantResourcesPolicyError',
  'CheckTenantResourcesClusterPoliciesError',
  'EnsureStsRole',
  'EnsureStaticUser',
  'NotifyResourcesReady',
  'CheckReadiness',
  'NotifyReady',
  'Registrations',
  'CheckRegistrations',
  // One Pass per possible item (at most one per kind): the failed item, then its error and state.
  ...REGISTRATION_KEYS.map((_, i) => `RegistrationItem${i}Failed`),
  'RegistrationError',
  'RegistrationFailedAt',
  'VerifyRegistrations',
  'NotifyRegistered',
  'ReleaseTenant',
  'NotifySuccess',
  'UndoRegistrations',
  'UndoClusterPolicies',
  'UndoPrincipal',
  'UndoBackupPolicy',
  'UndoBucket',
  'ReleaseTenantOnFailure',
  'NotifyFailure',
  'Failed',
  // One Pass per state that can fail into compensation: records the failed state for the failure event.
  ...[
    'ReadPaletteIdentity',
    'TenantResources',
    'EnsureBucket',
    'EnsureBackupPolicy',
    'EnsureClusterPolicies',
    'EnsureStsRole',
    'EnsureStaticUser',
    'CheckReadiness',
    'Registrations',
    'VerifyRegistrations',
    'ReleaseTenant',
    'NotifySuccess',
  ].map((st) => `${st}FailedAt`),
];

/** Every registration kind: its plan key and the name of its ensure step (failure events, the stubs below). */
const REGISTRATION_STATES = REGISTRATION_KEYS.map((key) => ({ key, state: REGISTRATIONS[key].state }));

/** The best-effort progress events: state, event key (cdk/lib/events.ts), the state after it. */
const PROGRESS_EVENTS = [
  { state: 'NotifyStarted', event: 'started', next: 'ReadPaletteIdentity' },
  { state: 'NotifyResourcesReady', event: 'resourcesReady', next: 'CheckReadiness' },
  { state: 'NotifyReady', event: 'ready', next: 'Registrations' },
  { state: 'NotifyRegistered', event: 'registered', next: 'ReleaseTenant' },
] as const;
/** Every event the onboarding sends, in the order of a successful run. */
const SUCCESS_EVENT_STATES = [...PROGRESS_EVENTS.map((p) => p.state), 'NotifySuccess'];

/** Task states (Lambda) that get the whole state document, and the function each invokes. */
const TASK_HANDLERS: Record<string, string> = {
  ValidateRequest: 'validate-request',
  AcquireTenant: 'acquire-tenant',
  ReadPaletteIdentity: 'read-palette-identity',
  EnsureBucket: 'ensure-bucket',
  EnsureBackupPolicy: 'ensure-backup-policy',
  EnsureClusterPolicies: 'ensure-cluster-policies',
  EnsureStsRole: 'ensure-sts-role',
  EnsureStaticUser: 'ensure-static-user',
  VerifyRegistrations: 'verify-registrations',
  UndoRegistrations: 'undo-registrations',
  UndoClusterPolicies: 'undo-cluster-policies',
  UndoPrincipal: 'undo-principal',
  UndoBackupPolicy: 'undo-backup-policy',
  UndoBucket: 'undo-bucket',
};

describe('state machine resource', () => {
  it('is a Standard state machine with tracing, ALL-level logging without execution data, and a timeout', () => {
    const [, sm] = stateMachineOf(s.json);
    expect(sm.Properties?.StateMachineType).toBe('STANDARD');
    expect(sm.Properties?.TracingConfiguration).toEqual({ Enabled: true });
    const logging = sm.Properties?.LoggingConfiguration as {
      Level: string;
      IncludeExecutionData: boolean;
      Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [string, string] } } }[];
    };
    expect(logging.Level).toBe('ALL');
    expect(logging.IncludeExecutionData).toBe(false);
    const logGroupId = logging.Destinations[0]?.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
    const logGroup = s.json.Resources[String(logGroupId)];
    expect(logGroup?.Properties?.RetentionInDays).toBe(30);
    expect(String(logGroup?.Properties?.LogGroupName)).toMatch(/^\/aws\/vendedlogs\/states\//);
    expect(def.TimeoutSeconds).toBe(3600);
  });

  it('passes asl-validator 4', () => {
    const result = validateAsl(def);
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });
});

describe('definition (contract)', () => {
  it('has the contract states at the top level, starting at Init', () => {
    expect(def.StartAt).toBe('Init');
    expect(Object.keys(def.States).sort()).toEqual([...TOP_LEVEL_STATES].sort());
  });

  it('has the contract states inside the Parallel branches and the Registrations Map', () => {
    const tenant = def.States.TenantResources;
    expect(tenant?.Branches?.map((b) => b.StartAt)).toEqual(['EnsureBucket', 'EnsureBackupPolicy', 'EnsureClusterPolicies']);
    const regs = def.States.Registrations;
    // One task for every kind: each iteration invokes its kind's function, and settles.
    expect(regs?.ItemProcessor?.StartAt).toBe('EnsureRegistration');
    expect(Object.keys(regs?.ItemProcessor?.States ?? {}).sort()).toEqual(['EnsureRegistration', 'EnsureRegistrationFailed']);
    expect(REGISTRATION_STATES.slice(0, 2).map((r) => r.state)).toEqual(['EnsureCloudAccount', 'EnsureBackupLocation']);
  });

  it('never uses "ResultPath": "$"', () => {
    expect(text).not.toMatch(/"ResultPath"\s*:\s*"\$"/);
    for (const [name, st] of allStates(def)) expect(st.ResultPath, name).not.toBe('$');
  });

  it('Init shapes $ as {raw, doc} (doc: the execution, seeded compensation and failure context): the input is held once', () => {
    expect(def.States.Init).toEqual({
      Type: 'Pass',
      Next: 'ValidateRequest',
      Parameters: {
        'raw.$': '$',
        doc: {
          execution: { 'name.$': '$$.Execution.Name', 'startTime.$': '$$.Execution.StartTime' },
          compensation: {},
          // null, parsed at run time (a literal null would be dropped from Parameters); never a copy of the input
          failureContext: { 'tenantId.$': "States.StringToJson('null')", step: 'ValidateRequest' },
        },
      },
    });
    expect(def.States.Init?.ResultPath).toBeUndefined();
  });

  it('ValidateRequest adds the plan (and its registration kinds) to doc; AcquireTenant records the request as given and its OutputPath drops the raw input', () => {
    expect(def.States.ValidateRequest).toMatchObject({
      Parameters: { 'raw.$': '$.raw', 'execution.$': '$.doc.execution' },
      ResultPath: '$.doc.job',
      ResultSelector: { 'plan.$': '$.plan', 'registrationKinds.$': '$.registrationKinds', 'registrationItems.$': '$.registrationItems', 'awsAccount.$': '$.awsAccount' },
      Next: 'AcquireTenant',
    });
    expect(def.States.AcquireTenant).toMatchObject({
      Parameters: { 'execution.$': '$.doc.execution', 'job.$': '$.doc.job', 'request.$': '$.raw' },
      ResultPath: '$.doc.admission',
      OutputPath: '$.doc',
      Next: 'NotifyStarted',
    });
    // Nothing after AcquireTenant reads the request or the raw input.
    const after = JSON.stringify(
      Object.entries(def.States).filter(([name]) => !['Init', 'ValidateRequest', 'RequestTenantId', 'FailureTenantId', 'FailureWithoutTenantId', 'AcquireTenant', 'AcquireTenantFailedAt'].includes(name)),
    );
    expect(after).not.toMatch(/\$\.raw\b|\$\.job\.request\b|\$\.doc\b/);
  });

  it('each Lambda task invokes its handler directly (payloadResponseOnly) with the contract ResultPath', () => {
    const fns = functionsByName(s.json);
    const expectedPaths: Record<string, string | undefined> = {
      ValidateRequest: '$.doc.job',
      AcquireTenant: '$.doc.admission',
      ReadPaletteIdentity: '$.palette',
      EnsureBucket: undefined,
      EnsureBackupPolicy: undefined,
      EnsureClusterPolicies: undefined,
      EnsureStsRole: '$.principal',
      EnsureStaticUser: '$.principal',
      VerifyRegistrations: '$.registered',
      UndoRegistrations: '$.compensation.registrations',
      UndoClusterPolicies: '$.compensation.clusterPolicies',
      UndoPrincipal: '$.compensation.principal',
      UndoBackupPolicy: '$.compensation.policy',
      UndoBucket: '$.compensation.bucket',
    };
    for (const [name, handler] of Object.entries(TASK_HANDLERS)) {
      const st = state(def, name);
      const [logicalId] = fns.get(handler) ?? [];
      expect(st.Type, name).toBe('Task');
      // payloadResponseOnly: Resource is the function ARN itself, no Payload wrapper / Parameters.
      expect(st.Resource, name).toBe(`arn:aws:lambda:${PLACEHOLDER.region}:${PLACEHOLDER.account}:function:${logicalId}`);
      // ValidateRequest gets the raw input and the execution, AcquireTenant the job and the request as given (kept in the
      // tenant registry); the others the whole state document.
      if (name !== 'AcquireTenant' && name !== 'ValidateRequest') expect(st.Parameters, name).toBeUndefined();
      expect(st.ResultPath, name).toBe(expectedPaths[name]);
      expect(st.TimeoutSeconds, name).toBe(90);
    }
  });

  it("each registration kind's iteration invokes its own function (picked at run time from a static list) with a small input naming the kind", () => {
    const fns = functionsByName(s.json);
    const arnOf = (key: RegistrationKey) => `arn:aws:lambda:${PLACEHOLDER.region}:${PLACEHOLDER.account}:function:${(fns.get(registrationFunctionName(key)) ?? [])[0]}`;
    // The list the task picks from: every kind's function, in REGISTRATION_KEYS order (an item's index is its kind's).
    expect(def.States.Registrations?.ItemSelector).toEqual({
      'item.$': '$$.Map.Item.Value',
      functions: REGISTRATION_KEYS.map(arnOf),
      'execution.$': '$.execution',
      'job.$': '$.job',
      'palette.$': '$.palette',
      'principal.$': '$.principal',
    });
    expect(new Set(REGISTRATION_KEYS.map(arnOf)).size).toBe(REGISTRATION_KEYS.length);
    expect(state(def, 'EnsureRegistration')).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        'FunctionName.$': 'States.ArrayGetItem($.functions, $.item.index)',
        // The handler passes Palette's identity and the principal on only for the AWS kinds (needsPrincipal).
        Payload: { 'registration.$': '$.item.kind', 'execution.$': '$.execution', 'job.$': '$.job', 'palette.$': '$.palette', 'principal.$': '$.principal' },
      },
      OutputPath: '$.Payload',
      TimeoutSeconds: 90,
      End: true,
    });
  });

  it('the state machine may invoke every registration function (the grants a LambdaInvoke task would add)', () => {
    const fns = functionsByName(s.json);
    const [, machine] = stateMachineOf(s.json);
    const roleId = ((machine.Properties?.RoleArn as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'] ?? [''])[0];
    const invocable = statementsOfRole(s.json, roleId)
      .filter((st) => st.Effect === 'Allow' && asArray(st.Action).includes('lambda:InvokeFunction'))
      .flatMap((st) => asArray(st.Resource).map(renderResource));
    for (const key of REGISTRATION_KEYS) {
      const [logicalId] = fns.get(registrationFunctionName(key)) ?? [];
      expect(invocable, key).toEqual(expect.arrayContaining([`\${${logicalId}.Arn}`, `\${${logicalId}.Arn}:*`]));
    }
  });

  it('ReleaseTenant records the outcome with a small input, on success and after compensation', () => {
    const [logicalId] = functionsByName(s.json).get('release-tenant') ?? [];
    const resource = `arn:aws:lambda:${PLACEHOLDER.region}:${PLACEHOLDER.account}:function:${logicalId}`;
    expect(def.States.ReleaseTenant).toMatchObject({
      Resource: resource,
      Parameters: { 'execution.$': '$.execution', 'job.$': '$.job', outcome: 'SUCCEEDED' },
      ResultPath: '$.release',
      Next: 'NotifySuccess',
    });
    expect(def.States.ReleaseTenantOnFailure).toMatchObject({
      Resource: resource,
      // `compensation`: its <step>Error entries are the CompensationIncomplete metric (lambdas/handlers/release-tenant.ts).
      Parameters: { 'execution.$': '$.execution', 'job.$': '$.job', outcome: 'FAILED', 'error.$': '$.error', 'compensation.$': '$.compensation' },
      ResultPath: '$.compensation.tenant',
      Next: 'NotifyFailure',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.compensation.tenantError', Next: 'NotifyFailure' }],
    });
  });

  it('Parallel states select their branch results into the contract shape', () => {
    expect(def.States.TenantResources).toMatchObject({
      ResultPath: '$.tenant',
      ResultSelector: { 'bucket.$': '$[0]', 'policy.$': '$[1]', 'clusterPolicies.$': '$[2]' },
      Next: 'CheckTenantResources',
    });
    // The Map runs over the requested kinds only; its results, in item order, go to $.registrations.
    expect(def.States.Registrations).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.job.registrationItems',
      ResultPath: '$.registrations',
      Next: 'CheckRegistrations',
    });
    expect(def.States.Registrations?.ResultSelector).toBeUndefined();
  });

  it('chooses the principal on credentialMode (in CheckTenantResources, after its failure rules); readiness is one state, retried while IAM propagates', () => {
    expect(def.States.CheckTenantResources?.Choices?.at(-1)).toEqual({ Variable: '$.job.plan.credentialMode', StringEquals: 'static', Next: 'EnsureStaticUser' });
    expect(def.States.CheckTenantResources?.Default).toBe('EnsureStsRole');
    expect(def.States.EnsureStsRole?.Next).toBe('NotifyResourcesReady');
    expect(def.States.EnsureStaticUser?.Next).toBe('NotifyResourcesReady');
    expect(def.States.NotifyResourcesReady?.Next).toBe('CheckReadiness');
    const [logicalId] = functionsByName(s.json).get('check-readiness') ?? [];
    expect(def.States.CheckReadiness).toMatchObject({
      Type: 'Task',
      Resource: `arn:aws:lambda:${PLACEHOLDER.region}:${PLACEHOLDER.account}:function:${logicalId}`,
      // The probe's number and the first probe's time from the context object.
      Parameters: {
        'execution.$': '$.execution',
        'job.$': '$.job',
        'palette.$': '$.palette',
        'principal.$': '$.principal',
        probe: { 'retryCount.$': '$$.State.RetryCount', 'enteredTime.$': '$$.State.EnteredTime' },
      },
      ResultPath: '$.readiness',
      TimeoutSeconds: 90,
      Next: 'NotifyReady',
    });
    // The transient errors as every task, then the gate's schedule (lambdas/domain/readiness.ts): no jitter.
    expect(def.States.CheckReadiness?.Retry?.slice(1)).toEqual([
      { ErrorEquals: ['PrincipalNotReady'], IntervalSeconds: 1, BackoffRate: 1, MaxAttempts: 4 },
      { ErrorEquals: ['PrincipalStillNotReady'], IntervalSeconds: 2, BackoffRate: 1.5, MaxDelaySeconds: 60, MaxAttempts: 60 },
    ]);
    expect(def.States.CheckReadiness?.Retry?.[0]?.ErrorEquals).toEqual([...RETRYABLE_ERRORS]);
  });

  it('ends the happy path with ReleaseTenant (given the summary, it returns it) and the success event, whose OutputPath is the summary', () => {
    expect(def.States.VerifyRegistrations?.Next).toBe('NotifyRegistered');
    expect(def.States.NotifyRegistered?.Next).toBe('ReleaseTenant');
    const summary = (def.States.ReleaseTenant?.Parameters as { summary?: Record<string, string> }).summary ?? {};
    expect(Object.keys(summary).sort()).toEqual(
      [
        'tenantId.$', 'executionName.$', 'accountId.$', 'region.$', 'partition.$', 'credentialMode.$', 'bucket.$', 'policy.$', 'clusterPolicies.$', 'principal.$',
        ...REGISTRATION_KEYS.map((k) => `${k}.$`), 'verification.$',
      ].sort(),
    );
    expect(summary['cloudAccount.$']).toBe('$.registered.registrations.cloudAccount');
    expect(JSON.stringify(summary)).not.toMatch(/secretValue|SecretString|secretAccessKey/i);
    expect(def.States.NotifySuccess).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::events:putEvents',
      ResultPath: null,
      OutputPath: '$.release.summary',
      End: true,
      Parameters: {
        Entries: [
          {
            Source: 'palette.onboarding',
            DetailType: 'Tenant Onboarding Succeeded',
            'Detail.$': '$.release.summary',
            EventBusName: BUS_ARN,
          },
        ],
      },
    });
  });

  it('every state from ReadPaletteIdentity to NotifySuccess that can catch, catches States.ALL into $.error -> UndoRegistrations', () => {
    const between = [
      'ReadPaletteIdentity',
      'TenantResources',
      'EnsureStsRole',
      'EnsureStaticUser',
      'CheckReadiness',
      'Registrations',
      'VerifyRegistrations',
      'ReleaseTenant',
      'NotifySuccess',
    ];
    for (const name of between) {
      expect(def.States[name]?.Catch, name).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: `${name}FailedAt` }]);
      // The failed state is recorded for the failure event, then compensation runs.
      expect(def.States[`${name}FailedAt`], name).toEqual(failedAt(name));
    }
    // The rest of that section are Choice / Wait / Pass states, which cannot catch.
    for (const name of ['CheckTenantResources', 'CheckRegistrations']) {
      expect(['Choice', 'Wait', 'Pass']).toContain(def.States[name]?.Type);
    }
  });

  it('a failing branch settles its own Parallel (no branch still running during compensation), then the first failure compensates', () => {
    const branchTasks = ['EnsureBucket', 'EnsureBackupPolicy', 'EnsureClusterPolicies', 'EnsureRegistration'];
    for (const name of branchTasks) {
      expect(state(def, name).Catch, name).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.caught', Next: `${name}Failed` }]);
      expect(state(def, `${name}Failed`), name).toMatchObject({
        Type: 'Pass',
        Parameters: { failed: true, 'Error.$': '$.caught.Error', 'Cause.$': '$.caught.Cause', ...(name === 'EnsureRegistration' ? { 'state.$': '$.item.state' } : {}) },
        End: true,
      });
    }
    const check = (id: string, path: string, parts: string[], next: string, stepOf: (p: string) => string) => {
      expect(def.States[id]).toMatchObject({ Type: 'Choice', Default: next });
      // The failure rules first (then, for CheckTenantResources, the principal's credential mode).
      expect(def.States[id]?.Choices?.slice(0, parts.length)).toEqual(
        parts.map((p) => ({ Variable: `${path}.${p}.failed`, IsPresent: true, Next: `${id}${p.charAt(0).toUpperCase()}${p.slice(1)}Error` })),
      );
      for (const p of parts) {
        expect(def.States[`${id}${p.charAt(0).toUpperCase()}${p.slice(1)}Error`]).toMatchObject({
          Type: 'Pass',
          Parameters: { 'Error.$': `${path}.${p}.Error`, 'Cause.$': `${path}.${p}.Cause` },
          ResultPath: '$.error',
          Next: `${stepOf(p)}FailedAt`,
        });
        expect(def.States[`${stepOf(p)}FailedAt`]).toEqual(failedAt(stepOf(p)));
      }
    };
    const tenantStep: Record<string, string> = { bucket: 'EnsureBucket', policy: 'EnsureBackupPolicy', clusterPolicies: 'EnsureClusterPolicies' };
    check('CheckTenantResources', '$.tenant', ['bucket', 'policy', 'clusterPolicies'], 'EnsureStsRole', (p) => tenantStep[p] ?? p);
    // The Map's items: the first failed one (in item order) compensates, its kind's ensure state named as the step.
    expect(def.States.CheckRegistrations).toMatchObject({
      Type: 'Choice',
      Choices: REGISTRATION_KEYS.map((_, i) => ({ Variable: `$.registrations[${i}].failed`, IsPresent: true, Next: `RegistrationItem${i}Failed` })),
      Default: 'VerifyRegistrations',
    });
    REGISTRATION_KEYS.forEach((_, i) => {
      expect(def.States[`RegistrationItem${i}Failed`]).toEqual({ Type: 'Pass', InputPath: `$.registrations[${i}]`, ResultPath: '$.failedRegistration', Next: 'RegistrationError' });
    });
    expect(def.States.RegistrationError).toEqual({
      Type: 'Pass',
      Parameters: { 'Error.$': '$.failedRegistration.Error', 'Cause.$': '$.failedRegistration.Cause' },
      ResultPath: '$.error',
      Next: 'RegistrationFailedAt',
    });
    expect(def.States.RegistrationFailedAt).toEqual({
      Type: 'Pass',
      Parameters: { 'tenantId.$': '$.job.plan.tenantId', 'step.$': '$.failedRegistration.state' },
      ResultPath: '$.failureContext',
      Next: 'UndoRegistrations',
    });
  });

  it('ValidateRequest failures go to NotifyFailure (through the tenant id of the request, if a string); AcquireTenant failures only release the tenant', () => {
    expect(def.States.ValidateRequest?.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.doc.error', Next: 'RequestTenantId' },
    ]);
    // IsPresent first: a missing path in a type test or in Parameters would be an uncatchable runtime error.
    expect(def.States.RequestTenantId).toEqual({
      Type: 'Choice',
      Choices: [
        { Not: { Variable: '$.raw.tenantId', IsPresent: true }, Next: 'FailureWithoutTenantId' },
        { Variable: '$.raw.tenantId', IsString: true, Next: 'FailureTenantId' },
      ],
      Default: 'FailureWithoutTenantId',
    });
    // The copied tenant id replaces the input (never both in the state).
    expect(def.States.FailureTenantId).toEqual({
      Type: 'Pass',
      Parameters: {
        'execution.$': '$.doc.execution',
        'compensation.$': '$.doc.compensation',
        'error.$': '$.doc.error',
        failureContext: { 'tenantId.$': '$.raw.tenantId', step: 'ValidateRequest' },
      },
      Next: 'NotifyFailure',
    });
    expect(def.States.FailureWithoutTenantId).toEqual({ Type: 'Pass', OutputPath: '$.doc', Next: 'NotifyFailure' });
    expect(def.States.AcquireTenant?.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.doc.error', Next: 'AcquireTenantFailedAt' },
    ]);
    expect(def.States.AcquireTenantFailedAt).toEqual({
      Type: 'Pass',
      Parameters: { 'tenantId.$': '$.doc.job.plan.tenantId', step: 'AcquireTenant' },
      ResultPath: '$.doc.failureContext',
      OutputPath: '$.doc',
      Next: 'ReleaseTenantOnFailure',
    });
  });

  it('compensation runs in reverse order and an undo failure never stops the chain', () => {
    const chain = [
      ['UndoRegistrations', 'registrations', 'UndoClusterPolicies'],
      ['UndoClusterPolicies', 'clusterPolicies', 'UndoPrincipal'],
      ['UndoPrincipal', 'principal', 'UndoBackupPolicy'],
      ['UndoBackupPolicy', 'policy', 'UndoBucket'],
      ['UndoBucket', 'bucket', 'ReleaseTenantOnFailure'],
    ] as const;
    for (const [name, step, next] of chain) {
      expect(def.States[name]?.Next, name).toBe(next);
      expect(def.States[name]?.Catch, name).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: `$.compensation.${step}Error`, Next: next },
      ]);
    }
  });

  it('NotifyFailure publishes the failure event and ends in Failed with ErrorPath/CausePath', () => {
    expect(def.States.NotifyFailure).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::events:putEvents',
      ResultPath: null,
      Next: 'Failed',
      Parameters: {
        Entries: [
          {
            Source: 'palette.onboarding',
            DetailType: 'Tenant Onboarding Failed',
            EventBusName: BUS_ARN,
            Detail: {
              'tenantId.$': '$.failureContext.tenantId',
              'executionName.$': '$.execution.name',
              'error.$': '$.error.Error',
              'cause.$': '$.error.Cause',
              'compensation.$': '$.compensation',
            },
          },
        ],
      },
    });
    expect(def.States.Failed).toEqual({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
  });

  it('progress events are best effort: on the notifications bus, retried, and any failure to send one goes on to the next state', () => {
    for (const { state: name, event, next } of PROGRESS_EVENTS) {
      const st = state(def, name);
      expect(st, name).toMatchObject({
        Type: 'Task',
        Resource: 'arn:aws:states:::events:putEvents',
        ResultPath: null,
        Next: next,
        Parameters: { Entries: [{ Source: 'palette.onboarding', DetailType: ONBOARDING_EVENTS[event], EventBusName: BUS_ARN }] },
      });
      // Never into compensation: the error is kept aside and the onboarding goes on.
      expect(st.Catch, name).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: `$.notificationErrors.${event}`, Next: next }]);
      // The detail has exactly the fields of its schema (lambdas/domain/events.ts), each from a path of the state.
      const detail = (st.Parameters as { Entries: { Detail: Record<string, string> }[] }).Entries[0]?.Detail ?? {};
      expect(Object.keys(detail).map((k) => k.replace(/\.\$$/, '')).sort(), name).toEqual(Object.keys(EVENT_DETAIL_SCHEMAS[event].shape).sort());
      for (const [k, v] of Object.entries(detail)) expect([k.endsWith('.$'), v.startsWith('$.')], `${name}.${k}`).toEqual([true, true]);
      expect(JSON.stringify(detail), name).not.toMatch(/secretValue|SecretString|secretAccessKey|apiKey\b/i);
    }
  });

  it('retries the named transient errors, Lambda service errors and the task timeout on every Lambda task: 2 s, x2, capped at 60 s, 10 attempts, full jitter', () => {
    for (const name of [...Object.keys(TASK_HANDLERS), 'EnsureRegistration', 'ReleaseTenant', 'ReleaseTenantOnFailure']) {
      expect(state(def, name).Retry, name).toEqual([
        {
          ErrorEquals: [...RETRYABLE_ERRORS],
          IntervalSeconds: 2,
          BackoffRate: 2,
          MaxDelaySeconds: 60,
          MaxAttempts: 10,
          JitterStrategy: 'FULL',
        },
      ]);
    }
    expect([...RETRYABLE_HANDLER_ERRORS]).toEqual([
      'PaletteThrottledError',
      'PaletteServerError',
      'AwsThrottledError',
      'AwsTransientError',
    ]);
    expect([...RETRYABLE_ERRORS]).toEqual([...RETRYABLE_HANDLER_ERRORS, ...LAMBDA_SERVICE_ERRORS, 'States.Timeout']);
    expect(LAMBDA_SERVICE_ERRORS).toContain('Lambda.Unknown');
    // The non-retryable contract errors are never retried.
    const retried = new Set([...allStates(def).values()].flatMap((st) => (st.Retry ?? []).flatMap((r) => r.ErrorEquals)));
    for (const name of [
      'RequestValidationError',
      'PaletteAuthError',
      'PaletteForbiddenError',
      'PaletteValidationError',
      'PaletteConflictError',
      'PaletteNotFoundError',
      'ConfigurationError',
      'ReadinessTimeoutError',
      'BucketConflictError',
      'VerificationError',
      'OwnershipError',
      'TenantBindingError',
      'TenantBusyError',
      'States.ALL',
      'States.TaskFailed',
    ]) {
      expect(retried.has(name), name).toBe(false);
    }
  });

  it('retries transient EventBridge failures of the notifications with jitter', () => {
    for (const name of [...SUCCESS_EVENT_STATES, 'NotifyFailure']) {
      expect(def.States[name]?.Retry, name).toEqual([
        { ErrorEquals: [...EVENTBRIDGE_RETRYABLE_ERRORS], IntervalSeconds: 2, BackoffRate: 2, MaxDelaySeconds: 60, MaxAttempts: 10, JitterStrategy: 'FULL' },
      ]);
      expect(def.States[name]?.Retry?.[0]?.ErrorEquals, name).toEqual(['EventBridge.FailedEntry', 'EventBridge.InternalException', 'States.Timeout']);
      expect(def.States[name]?.TimeoutSeconds, name).toBe(30);
    }
  });
});

// ---- control flow, run in-process with stub handlers ------------------------------------------------------

const REQUEST = {
  tenantId: 'acme',
  aws: { accountId: '210987654321', region: 'us-east-1', credentialMode: 'sts' },
};

function stubs(overrides: StubHandlers = {}, opts: { credentialMode?: string; registerCloudAccount?: boolean } = {}): StubHandlers {
  let readinessCalls = 0;
  const base: StubHandlers = {
    ValidateRequest: (input) => ({
      request: { ...REQUEST, aws: { ...REQUEST.aws, credentialMode: opts.credentialMode ?? 'sts' }, seen: input },
      registrationKinds: [...((opts.registerCloudAccount ?? true) ? ['cloudAccount'] : []), 'backupLocation'],
      registrationItems: registrationItems({ ...((opts.registerCloudAccount ?? true) ? { cloudAccount: {} } : {}), backupLocation: {} }),
      awsAccount: { accountId: '210987654321', region: 'us-east-1', partition: 'aws', credentialMode: opts.credentialMode ?? 'sts' },
      plan: {
        tenantId: 'acme',
        credentialMode: opts.credentialMode ?? 'sts',
        registrations: {
          ...((opts.registerCloudAccount ?? true) ? { cloudAccount: { name: 'acme-aws' } } : {}),
          backupLocation: { name: 'acme-s3', isDefault: false },
        },
        target: { accountId: '210987654321', region: 'us-east-1', partition: 'aws' },
      },
    }),
    AcquireTenant: () => ({ bound: true, claims: 3 }),
    // The summary it is given comes back (lambdas/handlers/release-tenant.ts).
    ReleaseTenant: (input) => ({ released: true, status: 'ACTIVE', claimsReleased: 0, summary: (input as { summary: unknown }).summary }),
    ReleaseTenantOnFailure: () => ({ released: true, status: 'FAILED', claimsReleased: 0 }),
    ReadPaletteIdentity: () => ({ accountId: '111122223333', externalId: 'ext-1', partition: 'aws' }),
    EnsureBucket: () => ({ bucketName: 'palette-backup-acme', bucketArn: 'arn:aws:s3:::palette-backup-acme', region: 'us-east-1', created: true }),
    EnsureBackupPolicy: () => ({ policyArn: 'arn:aws:iam::210987654321:policy/palette-onboarding/p', defaultVersionId: 'v1', created: true, versionCreated: false }),
    EnsureClusterPolicies: () => ({
      mode: 'core',
      policies: [{ name: 'c', policyArn: 'arn:aws:iam::210987654321:policy/palette-onboarding/c', defaultVersionId: 'v1', created: true, versionCreated: false }],
      removed: [],
    }),
    EnsureStsRole: () => ({ kind: 'sts', arn: 'arn:aws:iam::210987654321:role/palette-onboarding/r', roleArn: 'arn:aws:iam::210987654321:role/palette-onboarding/r', created: true }),
    EnsureStaticUser: () => ({ kind: 'static', arn: 'arn:aws:iam::210987654321:user/palette-onboarding/u', userName: 'u', accessKeyId: 'AKIAEXAMPLE', credentialsSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:palette-onboarding/acme/aws-access-key-AbCdEf', created: true }),
    // Not accepted at the first probe (retried by the state machine), then ready.
    CheckReadiness: (input) => {
      readinessCalls += 1;
      const { probe } = input as { probe: { retryCount: number; enteredTime: string } };
      if (readinessCalls < 2) throw namedError('PrincipalNotReady', 'readiness check 1 not yet: sts:AssumeRole denied');
      return { ready: true, attempt: probe.retryCount + 1, firstCheckAt: probe.enteredTime, waitSeconds: 0, elapsedSeconds: 7 };
    },
    EnsureCloudAccount: () => ({ uid: 'ca-1', name: 'acme-aws', created: true, updated: false }),
    EnsureBackupLocation: () => ({ uid: 'bl-1', name: 'acme-s3', created: true, updated: false }),
    VerifyRegistrations: verified({ ok: true, uids: { cloudAccount: 'ca-1', backupLocation: 'bl-1' } }),
    UndoRegistrations: () => ({ deleted: ['bl-1'] }),
    UndoClusterPolicies: () => ({ deleted: ['c'] }),
    UndoPrincipal: () => ({ deleted: true }),
    UndoBackupPolicy: () => ({ deleted: true }),
    UndoBucket: () => ({ deleted: true }),
    NotifySuccess: () => ({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] }),
    NotifyStarted: () => ({ FailedEntryCount: 0, Entries: [{ EventId: 'p1' }] }),
    NotifyResourcesReady: () => ({ FailedEntryCount: 0, Entries: [{ EventId: 'p2' }] }),
    NotifyReady: () => ({ FailedEntryCount: 0, Entries: [{ EventId: 'p3' }] }),
    NotifyRegistered: () => ({ FailedEntryCount: 0, Entries: [{ EventId: 'p4' }] }),
    NotifyFailure: () => ({ FailedEntryCount: 0, Entries: [{ EventId: 'e2' }] }),
  };
  return { ...base, ...overrides };
}

/** The Pass recording the tenant and the failed state for the failure event, before compensation. */
const failedAt = (step: string) => ({ Type: 'Pass', Parameters: { 'tenantId.$': '$.job.plan.tenantId', step }, ResultPath: '$.failureContext', Next: 'UndoRegistrations' });

/** A VerifyRegistrations stub: the results keyed by kind, as the handler does, and `verification`. */
function verified(verification: unknown): (input: unknown) => unknown {
  return (input) => {
    const { job, registrations } = input as { job: { registrationKinds: RegistrationKey[] }; registrations: unknown[] };
    return { registrations: registrationsByKind(job.registrationKinds, registrations), verification };
  };
}

const namedError = (name: string, message: string): Error => {
  const e = new Error(message);
  e.name = name;
  return e;
};

describe('control flow (definition run in-process)', () => {
  it('STS happy path: whole document to each task, readiness loop via Wait, summary out, success event', async () => {
    const run = await runWorkflow(def, REQUEST, stubs(), { executionName: 'exec-happy' });
    expect(run.error).toBeUndefined();
    const calls = run.calls.map((c) => c.state);
    expect(calls).toEqual(
      expect.arrayContaining(['ValidateRequest', 'AcquireTenant', 'ReadPaletteIdentity', 'EnsureBucket', 'EnsureBackupPolicy', 'EnsureClusterPolicies', 'EnsureStsRole', 'EnsureCloudAccount', 'EnsureBackupLocation', 'VerifyRegistrations', 'ReleaseTenant', 'NotifySuccess']),
    );
    expect(calls.indexOf('ReleaseTenant')).toBeLessThan(calls.indexOf('NotifySuccess'));
    expect(calls).not.toContain('ReleaseTenantOnFailure');
    // A registration task gets only what it needs, and the name of its kind.
    expect(run.inputOf('EnsureSshKey')).toBeUndefined();
    expect(Object.keys(run.inputOf('EnsureCloudAccount') as object).sort()).toEqual(['execution', 'job', 'palette', 'principal', 'registration']);
    expect(run.inputOf('EnsureCloudAccount')).toMatchObject({ registration: 'cloudAccount', execution: { name: 'exec-happy' }, principal: { kind: 'sts' } });
    expect(run.inputOf('ReleaseTenant')).toMatchObject({ outcome: 'SUCCEEDED', execution: { name: 'exec-happy' }, job: { plan: { tenantId: 'acme' } } });
    expect(calls).not.toContain('EnsureStaticUser');
    expect(calls.filter((c) => c === 'CheckReadiness')).toHaveLength(2);
    expect(calls.some((c) => c.startsWith('Undo'))).toBe(false);
    // One state entered for both probes: the second is a retry.
    expect(run.entered.filter((st) => st === 'CheckReadiness')).toHaveLength(1);

    // Each Lambda got the whole state document.
    const validateInput = run.inputOf('ValidateRequest');
    expect(validateInput).toEqual({ raw: REQUEST, execution: { name: 'exec-happy', startTime: expect.any(String) } });
    const [firstProbe, secondProbe] = run.calls.filter((c) => c.state === 'CheckReadiness').map((c) => c.input as Record<string, unknown>);
    const doc = run.inputOf('VerifyRegistrations') as Record<string, unknown>;
    // AcquireTenant gets the job and the request as given (to record it); after it the state carries the plan, not the input.
    expect(run.inputOf('AcquireTenant')).toEqual({ execution: expect.any(Object), job: expect.any(Object), request: REQUEST });
    expect(Object.keys(run.inputOf('ReadPaletteIdentity') as object).sort()).toEqual(['admission', 'compensation', 'execution', 'failureContext', 'job']);
    // The probe: what it needs, its number (the context object's RetryCount) and the first probe's time.
    expect(Object.keys(secondProbe ?? {}).sort()).toEqual(['execution', 'job', 'palette', 'principal', 'probe']);
    expect(firstProbe?.probe).toEqual({ retryCount: 0, enteredTime: expect.any(String) });
    expect(secondProbe?.probe).toEqual({ retryCount: 1, enteredTime: (firstProbe?.probe as { enteredTime: string }).enteredTime });
    expect(Object.keys(doc.job as object)).toEqual(['plan', 'registrationKinds', 'registrationItems', 'awsAccount']);
    expect(doc.raw).toBeUndefined();
    expect(doc).toMatchObject({
      // As Init seeded it: a failure from here records the tenant and the step (<step>FailedAt).
      failureContext: { tenantId: null, step: 'ValidateRequest' },
      palette: { externalId: 'ext-1' },
      tenant: { bucket: { bucketName: 'palette-backup-acme' }, policy: { defaultVersionId: 'v1' } },
      principal: { kind: 'sts' },
      readiness: { ready: true, attempt: 2 },
    });
    // The Map's results, in item order (cloud account, backup location).
    expect(run.inputOf('VerifyRegistrations')).toMatchObject({
      registrations: [{ uid: 'ca-1' }, { uid: 'bl-1' }],
    });

    expect(run.output).toMatchObject({
      tenantId: 'acme',
      executionName: 'exec-happy',
      credentialMode: 'sts',
      cloudAccount: { uid: 'ca-1' },
      backupLocation: { uid: 'bl-1' },
      verification: { ok: true },
    });
    expect(run.inputOf('NotifySuccess')).toEqual({
      Entries: [{ Source: 'palette.onboarding', DetailType: 'Tenant Onboarding Succeeded', Detail: run.output, EventBusName: BUS_ARN }],
    });

    // The events, in order, each with the detail its schema describes.
    expect(calls.filter((c) => c.startsWith('Notify'))).toEqual(SUCCESS_EVENT_STATES);
    const sent = (name: string) => (run.inputOf(name) as { Entries: { DetailType: string; Detail: unknown }[] }).Entries[0];
    const keyOf = (detailType: string) => (Object.keys(EVENT_DETAIL_SCHEMAS) as (keyof typeof EVENT_DETAIL_SCHEMAS)[]).find((k) => ONBOARDING_EVENTS[k] === detailType);
    for (const name of SUCCESS_EVENT_STATES) {
      const entry = sent(name);
      const key = keyOf(entry?.DetailType ?? '');
      expect(key, name).toBeDefined();
      expect(EVENT_DETAIL_SCHEMAS[key as keyof typeof EVENT_DETAIL_SCHEMAS].safeParse(entry?.Detail).error, name).toBeUndefined();
    }
    expect(sent('NotifyStarted')?.Detail).toEqual({
      tenantId: 'acme',
      executionName: 'exec-happy',
      accountId: '210987654321',
      region: 'us-east-1',
      credentialMode: 'sts',
      registrations: ['cloudAccount', 'backupLocation'],
    });
    expect(sent('NotifyResourcesReady')?.Detail).toEqual({
      tenantId: 'acme',
      executionName: 'exec-happy',
      accountId: '210987654321',
      credentialMode: 'sts',
      bucketName: 'palette-backup-acme',
      bucketArn: 'arn:aws:s3:::palette-backup-acme',
      policyArn: 'arn:aws:iam::210987654321:policy/palette-onboarding/p',
      principalArn: 'arn:aws:iam::210987654321:role/palette-onboarding/r',
    });
    expect(sent('NotifyReady')?.Detail).toEqual({ tenantId: 'acme', executionName: 'exec-happy', attempts: 2, firstCheckAt: (firstProbe?.probe as { enteredTime: string }).enteredTime, elapsedSeconds: 7 });
    expect(sent('NotifyRegistered')?.Detail).toMatchObject({
      tenantId: 'acme',
      executionName: 'exec-happy',
      registrations: { cloudAccount: { uid: 'ca-1', name: 'acme-aws' }, backupLocation: { uid: 'bl-1', name: 'acme-s3' }, sshKey: { skipped: true } },
    });
    // Nothing went wrong with them: no notification errors in the state.
    expect(JSON.stringify(run.calls.map((c) => c.input))).not.toContain('notificationErrors');
  });

  it('a request without an aws section: TenantResources provisions nothing, no principal and no readiness gate, the AWS parts of the events and the summary null', async () => {
    // Prepare: ValidateRequest returns a plan with no target (lambdas/domain/workflow-state.ts PaletteOnlyPlanSchema).
    const AZURE_ONLY = { tenantId: 'acme', azure: { cloudAccount: { credentialsSecretArn: 'arn:x' } } };
    const handlers = stubs({
      ValidateRequest: () => ({
        registrationKinds: ['azureAccount'],
        registrationItems: registrationItems({ azureAccount: {} }),
        awsAccount: { accountId: null, region: null, partition: null, credentialMode: null },
        plan: { tenantId: 'acme', registrations: { azureAccount: { name: 'acme-azure' } } },
      }),
      ReadPaletteIdentity: () => null,
      // What the steps return for a plan without aws (lambdas/handlers/ensure-bucket.ts ...): nothing provisioned.
      EnsureBucket: () => null,
      EnsureBackupPolicy: () => null,
      EnsureClusterPolicies: () => null,
      EnsureAzureAccount: () => ({ uid: 'az-1', name: 'acme-azure', created: true, updated: false }),
      VerifyRegistrations: verified({ ok: true, uids: { azureAccount: 'az-1' } }),
    });

    // Act
    const run = await runWorkflow(def, AZURE_ONLY, handlers, { executionName: 'exec-azure-only' });

    // Assess
    expect(run.error).toBeUndefined();
    const calls = run.calls.map((c) => c.state);
    expect(calls.slice(0, 4)).toEqual(['ValidateRequest', 'AcquireTenant', 'NotifyStarted', 'ReadPaletteIdentity']);
    expect(calls.slice(4, 7).sort()).toEqual(['EnsureBackupPolicy', 'EnsureBucket', 'EnsureClusterPolicies']);
    expect(calls.slice(7)).toEqual(['EnsureAzureAccount', 'VerifyRegistrations', 'NotifyRegistered', 'ReleaseTenant', 'NotifySuccess']);
    expect(run.entered).toContain('NoAwsPrincipal');
    for (const st of ['EnsureStsRole', 'EnsureStaticUser', 'NotifyResourcesReady', 'CheckReadiness', 'NotifyReady']) expect(run.entered, st).not.toContain(st);
    // No principal and no Palette identity: null (the handler uses them only for the AWS kinds).
    expect(run.inputOf('EnsureAzureAccount')).toMatchObject({ registration: 'azureAccount', palette: null, principal: null });
    const nulls = { accountId: null, region: null, partition: null, credentialMode: null, bucket: null, policy: null, clusterPolicies: null, principal: null };
    expect(run.output).toMatchObject({ tenantId: 'acme', ...nulls, azureAccount: { uid: 'az-1' }, cloudAccount: { skipped: true }, backupLocation: { skipped: true } });
    const sent = (name: string) => (run.inputOf(name) as { Entries: { Detail: unknown }[] }).Entries[0]?.Detail;
    expect(sent('NotifyStarted')).toEqual({
      tenantId: 'acme', executionName: 'exec-azure-only', accountId: null, region: null, credentialMode: null, registrations: ['azureAccount'],
    });
    expect(EVENT_DETAIL_SCHEMAS.started.safeParse(sent('NotifyStarted')).error).toBeUndefined();
    expect(EVENT_DETAIL_SCHEMAS.succeeded.safeParse(sent('NotifySuccess')).error).toBeUndefined();
  });

  it('a progress event that cannot be sent neither fails nor compensates the onboarding: the error is kept aside, the rest goes on', async () => {
    // Prepare: Started fails transiently every time (retried, then caught); Ready fails with a non-retryable error.
    let startedAttempts = 0;
    const handlers = stubs({
      NotifyStarted: () => {
        startedAttempts += 1;
        throw namedError('EventBridge.FailedEntry', '{"FailedEntryCount":1}');
      },
      NotifyReady: () => {
        throw namedError('EventBridge.AccessDeniedException', 'not authorized');
      },
    });

    // Act
    const run = await runWorkflow(def, REQUEST, handlers, { executionName: 'exec-lost-events' });

    // Assess
    expect(run.error).toBeUndefined();
    expect(startedAttempts).toBe(11);
    const calls = run.calls.map((c) => c.state);
    expect(calls.some((c) => c.startsWith('Undo') || c === 'ReleaseTenantOnFailure' || c === 'NotifyFailure')).toBe(false);
    expect(calls).toEqual(expect.arrayContaining(['ReadPaletteIdentity', 'EnsureCloudAccount', 'NotifyRegistered', 'ReleaseTenant', 'NotifySuccess']));
    expect(run.inputOf('ReadPaletteIdentity')).toMatchObject({ notificationErrors: { started: { Error: 'EventBridge.FailedEntry' } } });
    expect(run.inputOf('VerifyRegistrations')).toMatchObject({
      notificationErrors: { started: { Error: 'EventBridge.FailedEntry' }, ready: { Error: 'EventBridge.AccessDeniedException' } },
    });
    // The success event and the output are the summary as always (no notification errors in them).
    expect(run.output).toMatchObject({ tenantId: 'acme', executionName: 'exec-lost-events', verification: { ok: true } });
    expect(JSON.stringify(run.output)).not.toContain('notificationErrors');
    expect((run.inputOf('NotifySuccess') as { Entries: { Detail: unknown }[] }).Entries[0]?.Detail).toEqual(run.output);
  });

  it('static mode without cloud account registration: EnsureStaticUser, no cloud account (skipped)', async () => {
    const run = await runWorkflow(def, REQUEST, stubs({}, { credentialMode: 'static', registerCloudAccount: false }), { executionName: 'exec-static' });
    expect(run.error).toBeUndefined();
    const calls = run.calls.map((c) => c.state);
    expect(calls).toContain('EnsureStaticUser');
    expect(calls).not.toContain('EnsureStsRole');
    expect(calls).not.toContain('EnsureCloudAccount');
    expect(run.output).toMatchObject({ credentialMode: 'static', cloudAccount: { skipped: true }, principal: { credentialsSecretArn: expect.stringContaining('palette-onboarding/acme/') } });
  });

  it('invalid request (no tenantId): no compensation, failure event with tenantId null, Failed with the error', async () => {
    const raw = { aws: { accountId: 'x' } };
    const run = await runWorkflow(
      def,
      raw,
      stubs({ ValidateRequest: () => { throw namedError('RequestValidationError', 'tenantId: Required'); } }),
      { executionName: 'exec-invalid' },
    );
    expect(run.calls.map((c) => c.state)).toEqual(['ValidateRequest', 'NotifyFailure']);
    // Nothing was acquired: not even ReleaseTenantOnFailure runs.
    expect(run.inputOf('NotifyFailure')).toEqual({
      Entries: [
        {
          Source: 'palette.onboarding',
          DetailType: 'Tenant Onboarding Failed',
          EventBusName: BUS_ARN,
          Detail: { tenantId: null, executionName: 'exec-invalid', step: 'ValidateRequest', error: 'RequestValidationError', cause: expect.stringContaining('tenantId: Required'), compensation: {} },
        },
      ],
    });
    expect(run.error).toBeDefined();
    expect(run.failure).toEqual({ Error: 'RequestValidationError', Cause: expect.stringContaining('tenantId: Required') });
  });

  it('invalid request: the failure event reports a string tenant id as given, null for any other value or input', async () => {
    const invalid = stubs({ ValidateRequest: () => { throw namedError('RequestValidationError', 'aws.region: bad'); } });
    const cases: [unknown, unknown, string[]][] = [
      [{ tenantId: 'acme', aws: { region: 'mars' } }, 'acme', ['Init', 'ValidateRequest', 'RequestTenantId', 'FailureTenantId', 'NotifyFailure', 'Failed']],
      [{ tenantId: { nested: true } }, null, ['Init', 'ValidateRequest', 'RequestTenantId', 'FailureWithoutTenantId', 'NotifyFailure', 'Failed']],
      [{ tenantId: 42 }, null, ['Init', 'ValidateRequest', 'RequestTenantId', 'FailureWithoutTenantId', 'NotifyFailure', 'Failed']],
      [['not', 'an', 'object'], null, ['Init', 'ValidateRequest', 'RequestTenantId', 'FailureWithoutTenantId', 'NotifyFailure', 'Failed']],
      ['a string', null, ['Init', 'ValidateRequest', 'RequestTenantId', 'FailureWithoutTenantId', 'NotifyFailure', 'Failed']],
    ];
    for (const [raw, tenantId, entered] of cases) {
      const run = await runWorkflow(def, raw, invalid, { executionName: 'exec-invalid' });
      expect(run.entered, JSON.stringify(raw)).toEqual(entered);
      const detail = (run.inputOf('NotifyFailure') as { Entries: { Detail: Record<string, unknown> }[] }).Entries[0]?.Detail;
      expect(detail, JSON.stringify(raw)).toMatchObject({ tenantId, error: 'RequestValidationError' });
      expect(run.failure?.Error).toBe('RequestValidationError');
    }
    // The copied tenant id replaces the input: NotifyFailure gets no second copy.
    const reported = await runWorkflow(def, { tenantId: 'acme', pad: 'x'.repeat(1000) }, invalid, { executionName: 'exec-invalid' });
    expect(JSON.stringify(reported.calls.find((c) => c.state === 'NotifyFailure')?.input)).not.toContain('x'.repeat(1000));
  });

  it('failure after resources exist: full compensation chain in reverse order; one failed undo does not stop it', async () => {
    const run = await runWorkflow(
      def,
      REQUEST,
      stubs({
        EnsureBackupLocation: () => { throw namedError('PaletteConflictError', 'backup location name taken'); },
        UndoPrincipal: () => { throw namedError('AwsTransientError', 'still failing'); },
      }),
      { executionName: 'exec-comp' },
    );
    const undos = run.calls.map((c) => c.state).filter((c) => c.startsWith('Undo') || c.startsWith('Release') || c === 'NotifyFailure');
    // UndoPrincipal is retried (AwsTransientError) before its Catch moves on.
    expect(undos.filter((c) => c !== 'UndoPrincipal')).toEqual(['UndoRegistrations', 'UndoClusterPolicies', 'UndoBackupPolicy', 'UndoBucket', 'ReleaseTenantOnFailure', 'NotifyFailure']);
    // The release sees every undo step that did not finish, retries run out included (CompensationIncomplete).
    expect(run.inputOf('ReleaseTenantOnFailure')).toMatchObject({
      outcome: 'FAILED',
      error: { Error: 'PaletteConflictError' },
      compensation: { registrations: { deleted: ['bl-1'] }, clusterPolicies: { deleted: ['c'] }, principalError: { Error: 'AwsTransientError' }, policy: { deleted: true }, bucket: { deleted: true } },
    });
    // 1 attempt + MaxAttempts (10) retries.
    expect(undos.filter((c) => c === 'UndoPrincipal')).toHaveLength(11);
    expect(run.inputOf('UndoRegistrations')).toMatchObject({ error: { Error: 'PaletteConflictError' }, principal: { kind: 'sts' } });
    const detail = (run.inputOf('NotifyFailure') as { Entries: { Detail: Record<string, unknown> }[] }).Entries[0]?.Detail;
    // The other kind's iteration ran to its end (every iteration settles before compensation).
    expect(run.calls.map((c) => c.state)).toContain('EnsureCloudAccount');
    expect(detail).toMatchObject({
      tenantId: 'acme',
      executionName: 'exec-comp',
      // The failed kind's ensure step, from its Map item.
      step: 'EnsureBackupLocation',
      error: 'PaletteConflictError',
      compensation: {
        registrations: { deleted: ['bl-1'] },
        principalError: { Error: 'AwsTransientError' },
        policy: { deleted: true },
        bucket: { deleted: true },
        tenant: { released: true, status: 'FAILED' },
      },
    });
    expect(run.failure?.Error).toBe('PaletteConflictError');
  });

  it('a busy tenant: AcquireTenant fails with TenantBusyError, nothing is compensated, the release is attempted (a no-op for a non-holder)', async () => {
    const run = await runWorkflow(
      def,
      REQUEST,
      stubs({
        AcquireTenant: () => { throw namedError('TenantBusyError', 'tenant acme is being onboarded by execution other'); },
        ReleaseTenantOnFailure: () => ({ released: false, claimsReleased: 0 }),
      }),
      { executionName: 'exec-busy' },
    );
    expect(run.calls.map((c) => c.state)).toEqual(['ValidateRequest', 'AcquireTenant', 'ReleaseTenantOnFailure', 'NotifyFailure']);
    expect(run.failure).toEqual({ Error: 'TenantBusyError', Cause: expect.stringContaining('being onboarded by execution other') });
  });

  it('retries a transient error, but not a non-retryable one', async () => {
    let bucketCalls = 0;
    const ok = await runWorkflow(
      def,
      REQUEST,
      stubs({
        EnsureBucket: () => {
          bucketCalls += 1;
          if (bucketCalls === 1) throw namedError('AwsThrottledError', 'SlowDown');
          return { bucketName: 'b', bucketArn: 'arn:aws:s3:::b', region: 'us-east-1', created: true };
        },
      }),
      { executionName: 'exec-retry' },
    );
    expect(ok.error).toBeUndefined();
    expect(bucketCalls).toBe(2);

    let conflictCalls = 0;
    const failed = await runWorkflow(
      def,
      REQUEST,
      stubs({ EnsureBucket: () => { conflictCalls += 1; throw namedError('BucketConflictError', 'owned elsewhere'); } }),
      { executionName: 'exec-conflict' },
    );
    expect(conflictCalls).toBe(1);
    expect(failed.calls.map((c) => c.state)).toContain('UndoBucket');
    expect(failed.failure?.Error).toBe('BucketConflictError');
  });
});
