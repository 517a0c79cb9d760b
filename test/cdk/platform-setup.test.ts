/**
 * The PlatformSetup construct (cdk/lib/constructs/platform-setup.ts): present only in self-hosted mode; the
 * state machine's structure and control flow; least-privilege roles; the deploy-time custom resource (Provider
 * framework with isComplete); the rotation schedule; cdk-nag. Runs of the bundled state machine with the real
 * handlers on the sandbox (self-hosted mode) are in test/e2e/platform-setup.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { PLATFORM_HANDLER_NAMES, PLATFORM_SETUP_STATE_MACHINE } from '../../cdk/lib/constructs/platform-setup';
import { createOnboardingApp } from '../../cdk/lib/app';
import { PlatformEnvSchema } from '../../lambdas/services/platform/env';
import {
  allStatements,
  asArray,
  functionsByName,
  renderResource,
  resolveIntrinsics,
  resourcesOfType,
  statementsOfRole,
  synthesize,
  validateAsl,
  type AslDefinition,
  type CfnTemplate,
  type IamStatement,
  type Synthesized,
} from './helpers';
import { runWorkflow, type StubHandlers } from './local-run';

const PROXY_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ops/palette-reverse-proxy';
let off: Synthesized;
let on: Synthesized;
let full: Synthesized;
beforeAll(() => {
  off = synthesize({ skipBundling: true });
  on = synthesize({ skipBundling: true, context: { selfHosted: true } });
  full = synthesize({
    skipBundling: true,
    context: {
      selfHosted: 'true',
      reverseProxySecretArn: PROXY_ARN,
      paletteSystemSecretArn: 'ops/palette-system',
      stsKeyRotationDays: '30',
      platformAssumableRolePatterns: 'arn:aws:iam::*:role/palette-sts/*,arn:aws:iam::222222222222:role/HandMadePaletteRole',
      platformStsTakeOver: 'true',
    },
  });
}, 180_000);

function platformStateMachine(json: CfnTemplate): { id: string; definition: AslDefinition } {
  const found = resourcesOfType(json, 'AWS::StepFunctions::StateMachine').filter(([id]) => id.startsWith(PLATFORM_SETUP_STATE_MACHINE));
  expect(found).toHaveLength(1);
  const [id, sm] = found[0] ?? ['', { Type: '' }];
  return { id, definition: JSON.parse(resolveIntrinsics(sm.Properties?.DefinitionString, json)) as AslDefinition };
}

const actions = (st: IamStatement) => asArray(st.Action);
const resources = (st: IamStatement) => asArray(st.Resource as unknown).map(renderResource);
const runStates = (run: { calls: { state: string }[] }): string[] => run.calls.map((c) => c.state);

function roleOfFunction(json: CfnTemplate, handler: string): string {
  const role = functionsByName(json).get(handler)?.[1].Properties?.Role as { 'Fn::GetAtt': [string, string] } | undefined;
  if (!role) throw new Error(`no role for ${handler}`);
  return role['Fn::GetAtt'][0];
}
const statementsOf = (json: CfnTemplate, handler: string) => statementsOfRole(json, roleOfFunction(json, handler));
/** Non-baseline actions of a handler's role, with their resources. */
function permissions(json: CfnTemplate, handler: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const st of statementsOf(json, handler)) {
    for (const a of actions(st)) {
      if (/^(logs:CreateLogStream|logs:PutLogEvents|xray:)/.test(a)) continue;
      out[a] = [...(out[a] ?? []), ...resources(st)].sort();
    }
  }
  return out;
}

/** IAM ARN matching: `*` any run of characters, `?` exactly one. */
function arnMatches(pattern: string, arn: string): boolean {
  const body = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^$(){}|[\]\\]/, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`).test(arn);
}

const ENV = 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}';
const USER = 'arn:${AWS::Partition}:iam::${AWS::AccountId}:user/palette-onboarding/palette-platform.sts-principal';
/** The user while it does not exist yet: a look-up by name is authorized against the ARN without a path. */
const USER_BY_NAME = 'arn:${AWS::Partition}:iam::${AWS::AccountId}:user/palette-platform.sts-principal';
const secret = (name: string) => `${ENV}:secret:${name}-??????`;
/** A secret known by name: the existing one (random suffix), and the name a DescribeSecret of a missing one is checked against. */
const named = (name: string) => [secret(name), `${ENV}:secret:${name}`].sort();
const STS_KEY = secret('palette-onboarding-platform/sts-access-key');
const SYSTEM_DEFAULT = secret('palette-onboarding-platform/system-credentials');

describe('presence', () => {
  it('nothing of the platform setup without selfHosted; with it: one more state machine, its functions, the custom resource', () => {
    const platformHandlers = (j: CfnTemplate) => [...functionsByName(j).keys()].filter((h) => h.startsWith('platform-')).sort();
    expect(platformHandlers(off.json)).toEqual([]);
    // Onboarding, offboarding and re-validation.
    // Onboarding, offboarding, re-validation and bulk.
    expect(resourcesOfType(off.json, 'AWS::StepFunctions::StateMachine')).toHaveLength(4);
    expect(resourcesOfType(off.json, 'Custom::PalettePlatformSetup')).toHaveLength(0);
    expect(Object.keys(off.json.Outputs ?? {})).not.toContain('PlatformSetupStateMachineArn');

    expect(platformHandlers(on.json)).toEqual([...PLATFORM_HANDLER_NAMES, 'platform-deploy-start', 'platform-deploy-status'].sort());
    // Onboarding, offboarding, re-validation, PlatformSetup, and the Provider framework's waiter.
    expect(resourcesOfType(on.json, 'AWS::StepFunctions::StateMachine')).toHaveLength(6);
    expect(resourcesOfType(on.json, 'Custom::PalettePlatformSetup')).toHaveLength(1);
    expect(Object.keys(on.json.Outputs ?? {})).toContain('PlatformSetupStateMachineArn');
    // Only the re-validation's schedule (test/cdk/revalidation.test.ts): no key rotation without stsKeyRotationDays.
    expect(resourcesOfType(on.json, 'AWS::Scheduler::Schedule').map(([id]) => id)).toEqual([expect.stringMatching(/^RevalidationSchedule/)]);
  });

  it('cdk-nag AwsSolutions is clean for the fullest configuration (synth runs the validation plugin)', () => {
    const { app } = createOnboardingApp({
      skipBundling: true,
      context: { selfHosted: true, reverseProxySecretArn: 'palette-onboarding-platform/reverse-proxy', stsKeyRotationDays: 7 },
    });
    expect(() => app.synth()).not.toThrow();
  });
});

describe('state machine', () => {
  const STATES = [
    'Init',
    'ValidateInput',
    'ShouldCheckReverseProxy',
    'CheckReverseProxySecret',
    'CheckSystemLogin',
    'IsStsAccountOurs',
    'LeaveStsAccountAlone',
    'EnsureStsUser',
    'EnsureAccessKey',
    'ShouldRotate',
    'RotateAccessKey',
    'SkipRotation',
    'RegisterStsAccount',
    'CleanupAccessKeys',
    'ShouldConfigureReverseProxy',
    'ConfigureReverseProxy',
    'SkipReverseProxy',
    'WasStsAccountLeftAlone',
    'BuildSummary',
    'BuildLeftAloneSummary',
    'Done',
    'UndoStsPrincipal',
    'Failed',
  ];
  const TASKS: Record<string, [handler: string, resultPath: string]> = {
    ValidateInput: ['platform-validate-input', '$.job'],
    CheckReverseProxySecret: ['platform-check-reverse-proxy', '$.reverseProxyCheck'],
    CheckSystemLogin: ['platform-check-system-login', '$.paletteBefore'],
    EnsureStsUser: ['platform-ensure-sts-user', '$.principal'],
    EnsureAccessKey: ['platform-ensure-access-key', '$.accessKey'],
    RotateAccessKey: ['platform-rotate-access-key', '$.rotation'],
    RegisterStsAccount: ['platform-register-sts-account', '$.registration'],
    CleanupAccessKeys: ['platform-cleanup-access-keys', '$.keyCleanup'],
    ConfigureReverseProxy: ['platform-configure-reverse-proxy', '$.reverseProxy'],
    UndoStsPrincipal: ['platform-undo-sts-principal', '$.compensation.principal'],
  };

  it('has exactly the documented states, validates as ASL, is Standard with tracing, logs without data and a timeout', () => {
    const { id, definition } = platformStateMachine(on.json);
    expect(Object.keys(definition.States).sort()).toEqual([...STATES].sort());
    expect(definition.StartAt).toBe('Init');
    expect(definition.TimeoutSeconds).toBe(1800);
    const result = validateAsl(definition);
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
    const props = on.json.Resources[id]?.Properties ?? {};
    expect(props.StateMachineType).toBe('STANDARD');
    expect(props.TracingConfiguration).toEqual({ Enabled: true });
    expect(props.LoggingConfiguration).toMatchObject({ IncludeExecutionData: false, Level: 'ALL' });
  });

  it('each Task invokes its own handler (payload only) and stores its result under its path', () => {
    const { definition } = platformStateMachine(on.json);
    const byHandler = functionsByName(on.json);
    for (const [name, [handler, resultPath]] of Object.entries(TASKS)) {
      const st = definition.States[name];
      const [fnId] = byHandler.get(handler) ?? [''];
      expect(st?.Type, name).toBe('Task');
      expect(st?.Resource, name).toBe(`arn:aws:lambda:us-east-1:123456789012:function:${fnId}`);
      expect(st?.ResultPath, name).toBe(resultPath);
      expect(st?.TimeoutSeconds, name).toBe(150);
    }
  });

  it('retries named transient errors; RegisterStsAccount also waits for a new key to propagate; nothing else is retried', () => {
    const { definition } = platformStateMachine(on.json);
    for (const name of Object.keys(TASKS)) {
      const retry = definition.States[name]?.Retry ?? [];
      expect(retry[0]?.ErrorEquals, name).toEqual([
        'PaletteThrottledError',
        'PaletteServerError',
        'AwsThrottledError',
        'AwsTransientError',
        'Lambda.ServiceException',
        'Lambda.AWSLambdaException',
        'Lambda.SdkClientException',
        'Lambda.TooManyRequestsException',
        'Lambda.ClientExecutionTimeoutException',
        'Lambda.Unknown',
        'Sandbox.Timedout',
        'States.Timeout',
      ]);
      expect(retry[0], name).toEqual({ ErrorEquals: expect.any(Array), IntervalSeconds: 2, BackoffRate: 2, MaxDelaySeconds: 60, MaxAttempts: 10, JitterStrategy: 'FULL' });
      const all = retry.flatMap((r) => r.ErrorEquals);
      expect(all, name).not.toContain('States.ALL');
      expect(all.includes('AccessKeyNotReadyError'), name).toBe(name === 'RegisterStsAccount');
    }
    expect(definition.States.RegisterStsAccount?.Retry?.[1]).toEqual({
      ErrorEquals: ['AccessKeyNotReadyError'],
      IntervalSeconds: 5,
      BackoffRate: 1.5,
      MaxAttempts: 8,
    });
  });

  it('catches: preflight states fail directly (nothing created yet); later states compensate; the undo always ends in Failed', () => {
    const { definition } = platformStateMachine(on.json);
    const catchOf = (n: string) => definition.States[n]?.Catch;
    for (const n of ['ValidateInput', 'CheckReverseProxySecret', 'CheckSystemLogin']) {
      expect(catchOf(n), n).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' }]);
    }
    for (const n of ['EnsureStsUser', 'EnsureAccessKey', 'RotateAccessKey', 'RegisterStsAccount', 'CleanupAccessKeys', 'ConfigureReverseProxy']) {
      expect(catchOf(n), n).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'UndoStsPrincipal' }]);
    }
    expect(catchOf('UndoStsPrincipal')).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.compensation.principalError', Next: 'Failed' }]);
    expect(definition.States.UndoStsPrincipal?.Next).toBe('Failed');
    expect(definition.States.Failed).toEqual({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
    expect(definition.States.Done).toEqual({ Type: 'Succeed', OutputPath: '$.summary' });
  });
});

describe('control flow with stub handlers', () => {
  const PLAN: { configureReverseProxy: boolean; rotateAccessKey: boolean; partition: string; userArn?: string } = {
    configureReverseProxy: false,
    rotateAccessKey: false,
    partition: 'aws',
  };
  const error = (name: string, message: string) => Object.assign(new Error(message), { name });
  function stubs(plan: Partial<typeof PLAN> = {}, overrides: StubHandlers = {}): StubHandlers {
    return {
      ValidateInput: () => ({ request: {}, plan: { ...PLAN, ...plan } }),
      CheckReverseProxySecret: () => ({ server: 'frps', port: 443 }),
      CheckSystemLogin: () => ({ configured: false, owner: 'none', leaveAlone: false }),
      EnsureStsUser: () => ({ userName: 'u', userArn: 'arn:aws:iam::123456789012:user/palette-onboarding/u', created: true, policyUpdated: true }),
      EnsureAccessKey: () => ({ accessKeyId: 'AKIA1', created: true, secretArn: 'arn:secret', secretCreated: true }),
      RotateAccessKey: () => ({ rotated: true, resumed: false, previousAccessKeyId: 'AKIA1', accessKeyId: 'AKIA2', deletedStaleKeys: [] }),
      RegisterStsAccount: () => ({ accountId: '123456789012', accessKeyId: 'AKIA1', changed: true, method: 'PUT', verified: true, awsAccountMatches: true }),
      CleanupAccessKeys: () => ({ activeAccessKeyId: 'AKIA1', deleted: [] }),
      ConfigureReverseProxy: () => ({ server: 'frps', port: 443, changed: true, verified: true }),
      UndoStsPrincipal: () => ({ deleted: ['arn:user'], retained: [], secretRestored: false }),
      ...overrides,
    };
  }

  it('default path: no proxy, no rotation; the summary holds identifiers', async () => {
    const { definition } = platformStateMachine(on.json);
    const run = await runWorkflow(definition, {}, stubs(), { executionName: 'exec-1' });
    expect(run.error).toBeUndefined();
    expect(runStates(run)).toEqual(['ValidateInput', 'CheckSystemLogin', 'EnsureStsUser', 'EnsureAccessKey', 'RegisterStsAccount', 'CleanupAccessKeys']);
    expect(run.inputOf('ValidateInput')).toEqual({ raw: {}, execution: { name: 'exec-1', startTime: expect.any(String) }, compensation: {} });
    expect(run.inputOf('RegisterStsAccount')).toMatchObject({ rotation: { skipped: true }, accessKey: { accessKeyId: 'AKIA1' } });
    expect(run.output).toEqual({
      stsAccountStatus: 'registered',
      executionName: 'exec-1',
      accountId: '123456789012',
      partition: 'aws',
      userArn: 'arn:aws:iam::123456789012:user/palette-onboarding/u',
      accessKeyId: 'AKIA1',
      accessKeySecretArn: 'arn:secret',
      principal: expect.objectContaining({ created: true }),
      accessKey: expect.objectContaining({ accessKeyId: 'AKIA1' }),
      rotation: { skipped: true },
      registration: expect.objectContaining({ verified: true }),
      keyCleanup: { activeAccessKeyId: 'AKIA1', deleted: [] },
      reverseProxy: { skipped: true },
    });
  });

  it('proxy + rotation: the proxy secret is checked first, rotation before registration, proxy configured last', async () => {
    const { definition } = platformStateMachine(on.json);
    const run = await runWorkflow(definition, { rotateAccessKey: true }, stubs({ configureReverseProxy: true, rotateAccessKey: true }), {
      executionName: 'exec-2',
    });
    expect(run.error).toBeUndefined();
    expect(runStates(run)).toEqual([
      'ValidateInput',
      'CheckReverseProxySecret',
      'CheckSystemLogin',
      'EnsureStsUser',
      'EnsureAccessKey',
      'RotateAccessKey',
      'RegisterStsAccount',
      'CleanupAccessKeys',
      'ConfigureReverseProxy',
    ]);
  });

  it("an STS account that is not ours is left alone: no principal, no registration; the reverse proxy still; a summary that says so", async () => {
    const { definition } = platformStateMachine(on.json);
    const foreign = { configured: true, accountId: '222222222222', accessKeyId: 'AKIAHAND', owner: 'foreign', reason: 'another account', leaveAlone: true };
    const userArn = 'arn:aws:iam::123456789012:user/palette-onboarding/palette-platform.sts-principal';
    const run = await runWorkflow(definition, {}, stubs({ configureReverseProxy: true, userArn }, { CheckSystemLogin: () => foreign }), { executionName: 'exec-8' });
    expect(run.error).toBeUndefined();
    expect(runStates(run)).toEqual(['ValidateInput', 'CheckReverseProxySecret', 'CheckSystemLogin', 'ConfigureReverseProxy']);
    expect(run.output).toEqual({
      stsAccountStatus: 'left-alone',
      executionName: 'exec-8',
      partition: 'aws',
      userArn,
      registration: { leftAlone: true, changed: false, paletteStsAccount: foreign },
      reverseProxy: { server: 'frps', port: 443, changed: true, verified: true },
    });
    // takeOver: CheckSystemLogin says foreign but not leaveAlone; the normal path replaces it.
    const taken = await runWorkflow(definition, { takeOver: true }, stubs({}, { CheckSystemLogin: () => ({ ...foreign, leaveAlone: false }) }), {
      executionName: 'exec-9',
    });
    expect(runStates(taken)).toEqual(['ValidateInput', 'CheckSystemLogin', 'EnsureStsUser', 'EnsureAccessKey', 'RegisterStsAccount', 'CleanupAccessKeys']);
    expect(taken.output).toMatchObject({ stsAccountStatus: 'registered' });
  });

  it('a bad reverse-proxy secret or a rejected login fails without compensation (nothing was created)', async () => {
    const { definition } = platformStateMachine(on.json);
    const bad = await runWorkflow(
      definition,
      {},
      stubs(
        { configureReverseProxy: true },
        {
          CheckReverseProxySecret: () => {
            throw error('ReverseProxyValidationError', 'Invalid reverse proxy settings: port: must be an integer port number from 1 to 65535');
          },
        },
      ),
      { executionName: 'exec-3' },
    );
    expect(runStates(bad)).toEqual(['ValidateInput', 'CheckReverseProxySecret']);
    expect(bad.failure?.Error).toBe('ReverseProxyValidationError');
    const login = await runWorkflow(
      definition,
      {},
      stubs(
        {},
        {
          CheckSystemLogin: () => {
            throw error('PaletteSystemLoginError', 'Palette system console login failed (401 InvalidCredentials)');
          },
        },
      ),
      { executionName: 'exec-4' },
    );
    expect(runStates(login)).toEqual(['ValidateInput', 'CheckSystemLogin']);
    expect(login.failure).toEqual({ Error: 'PaletteSystemLoginError', Cause: expect.stringContaining('401 InvalidCredentials') });
  });

  it('a failure after the principal exists runs UndoStsPrincipal with the whole document, then fails with the original error', async () => {
    const { definition } = platformStateMachine(on.json);
    const run = await runWorkflow(
      definition,
      {},
      stubs(
        {},
        {
          RegisterStsAccount: () => {
            throw error('VerificationError', 'does not read back');
          },
        },
      ),
      { executionName: 'exec-5' },
    );
    expect(runStates(run)).toEqual(['ValidateInput', 'CheckSystemLogin', 'EnsureStsUser', 'EnsureAccessKey', 'RegisterStsAccount', 'UndoStsPrincipal']);
    expect(run.inputOf('UndoStsPrincipal')).toMatchObject({
      execution: { name: 'exec-5' },
      job: { plan: PLAN },
      accessKey: { accessKeyId: 'AKIA1' },
      error: { Error: 'VerificationError' },
    });
    expect(run.failure?.Error).toBe('VerificationError');
    // A failing undo is recorded and the execution still fails with the original error.
    const undoFails = await runWorkflow(
      definition,
      {},
      stubs(
        {},
        {
          CleanupAccessKeys: () => {
            throw error('ConfigurationError', 'x');
          },
          UndoStsPrincipal: () => {
            throw error('AccessDenied', 'y');
          },
        },
      ),
      { executionName: 'exec-6' },
    );
    expect(runStates(undoFails)).toContain('UndoStsPrincipal');
    expect(undoFails.failure?.Error).toBe('ConfigurationError');
  });

  it('AccessKeyNotReadyError is retried until the key works', async () => {
    const { definition } = platformStateMachine(on.json);
    let attempts = 0;
    const run = await runWorkflow(
      definition,
      {},
      stubs(
        {},
        {
          RegisterStsAccount: () => {
            attempts += 1;
            if (attempts < 3) throw error('AccessKeyNotReadyError', 'not yet');
            return { accountId: '123456789012', accessKeyId: 'AKIA1', changed: true, verified: true, awsAccountMatches: true };
          },
        },
      ),
      { executionName: 'exec-7' },
    );
    expect(run.error).toBeUndefined();
    expect(attempts).toBe(3);
  });
});

describe('least privilege', () => {
  it('each platform function gets exactly what its state needs', () => {
    const j = full.json;
    const SYSTEM = named('ops/palette-system');
    const STS = named('palette-onboarding-platform/sts-access-key');
    const PROXY = [PROXY_ARN, `${PROXY_ARN}-??????`];
    const READ = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];
    const read = (...rs: string[][]) => Object.fromEntries(READ.map((a) => [a, rs.flat().sort()]));
    const onUser = (...as: string[]) => Object.fromEntries(as.map((a) => [a, [USER, USER_BY_NAME].sort()]));
    const onKey = (...as: string[]) => Object.fromEntries(as.map((a) => [a, STS]));
    expect(permissions(j, 'platform-validate-input')).toEqual({});
    expect(permissions(j, 'platform-check-reverse-proxy')).toEqual(read(PROXY));
    expect(permissions(j, 'platform-check-system-login')).toEqual({ ...read(SYSTEM), ...onUser('iam:ListAccessKeys') });
    expect(permissions(j, 'platform-ensure-sts-user')).toEqual(
      onUser(
        'iam:GetUser',
        'iam:CreateUser',
        'iam:TagUser',
        'iam:GetUserPolicy',
        'iam:PutUserPolicy',
        'iam:ListUserPolicies',
        'iam:DeleteUserPolicy',
        'iam:ListAttachedUserPolicies',
        'iam:DetachUserPolicy',
      ),
    );
    expect(permissions(j, 'platform-ensure-access-key')).toEqual({
      ...onUser('iam:ListAccessKeys', 'iam:CreateAccessKey', 'iam:UpdateAccessKey', 'iam:DeleteAccessKey'),
      ...onKey('secretsmanager:DescribeSecret', 'secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource'),
    });
    expect(permissions(j, 'platform-rotate-access-key')).toEqual({
      ...onUser('iam:ListAccessKeys', 'iam:CreateAccessKey', 'iam:DeleteAccessKey'),
      ...onKey('secretsmanager:DescribeSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource'),
    });
    expect(permissions(j, 'platform-register-sts-account')).toEqual(read(SYSTEM, STS));
    expect(permissions(j, 'platform-cleanup-access-keys')).toEqual({
      ...read(SYSTEM),
      'secretsmanager:DescribeSecret': [...SYSTEM, ...STS].sort(),
      ...onUser('iam:ListAccessKeys', 'iam:DeleteAccessKey'),
    });
    expect(permissions(j, 'platform-configure-reverse-proxy')).toEqual(read(SYSTEM, PROXY));
    expect(permissions(j, 'platform-undo-sts-principal')).toEqual({
      ...read(SYSTEM, STS),
      ...onKey('secretsmanager:PutSecretValue', 'secretsmanager:TagResource', 'secretsmanager:DeleteSecret'),
      ...onUser(
        'iam:GetUser',
        'iam:ListAccessKeys',
        'iam:DeleteAccessKey',
        'iam:ListUserPolicies',
        'iam:DeleteUserPolicy',
        'iam:ListAttachedUserPolicies',
        'iam:DetachUserPolicy',
        'iam:DeleteUser',
      ),
    });
  });

  it('no role can both set the user policy and create or read its key', () => {
    for (const h of PLATFORM_HANDLER_NAMES) {
      const p = permissions(full.json, h);
      const widens = 'iam:PutUserPolicy' in p;
      const getsKey = 'iam:CreateAccessKey' in p || (p['secretsmanager:GetSecretValue'] ?? []).includes(STS_KEY);
      expect(widens && getsKey, h).toBe(false);
    }
  });

  it('platform secrets are out of reach of the onboarding functions, and vice versa', () => {
    const j = on.json;
    const at = (name: string) => `${ENV}:secret:${name}-AbCdEf`;
    const platformSecrets = ['palette-onboarding-platform/sts-access-key', 'palette-onboarding-platform/system-credentials'].map(at);
    const onboardingSecrets = ['palette-onboarding/acme/aws-access-key', 'palette-onboarding/palette-api-key'].map(at);
    // The matcher itself works on both kinds of pattern.
    expect(arnMatches(STS_KEY, platformSecrets[0] ?? '')).toBe(true);
    expect(arnMatches(`${ENV}:secret:palette-onboarding/*/*`, onboardingSecrets[0] ?? '')).toBe(true);
    let checked = 0;
    for (const [handler] of functionsByName(j)) {
      const rs = statementsOf(j, handler)
        .filter((st) => actions(st).some((a) => a.startsWith('secretsmanager:')))
        .flatMap(resources);
      const foreign = handler.startsWith('platform-') ? onboardingSecrets : platformSecrets;
      for (const r of rs) for (const arn of foreign) expect(arnMatches(r, arn), `${handler}: ${r} vs ${arn}`).toBe(false);
      checked += rs.length;
    }
    expect(checked).toBeGreaterThan(10);
    // The onboarding's tenant secrets are reached through the TenantSecretsAccess role: whatever tenant a session
    // is tagged with (the policy variable read as "*"), it reaches no platform secret.
    const [[, secretsRole] = ['', { Type: '' }]] = resourcesOfType(j, 'AWS::IAM::Role').filter(([id]) => id.startsWith('TenantSecretsAccess'));
    const tenantPatterns = asArray(secretsRole.Properties?.Policies as { PolicyDocument: { Statement: IamStatement[] } }[] | undefined)
      .flatMap((p) => p.PolicyDocument.Statement)
      .flatMap(resources)
      .map((r) => r.replaceAll('${aws:PrincipalTag/palette-onboarding-tenant}', '*'));
    expect(tenantPatterns.some((r) => arnMatches(r, onboardingSecrets[0] ?? ''))).toBe(true);
    for (const r of tenantPatterns) for (const arn of platformSecrets) expect(arnMatches(r, arn), `TenantSecretsAccess: ${r} vs ${arn}`).toBe(false);
    expect(permissions(j, 'platform-check-system-login')).toEqual({
      ...Object.fromEntries(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'].map((a) => [a, [SYSTEM_DEFAULT, `${ENV}:secret:palette-onboarding-platform/system-credentials`].sort()])),
      // Whose Palette's STS account is (read-only, the principal only).
      'iam:ListAccessKeys': [USER, USER_BY_NAME].sort(),
    });
    // Without a reverse-proxy secret the reverse-proxy functions get no secret access at all.
    expect(permissions(j, 'platform-check-reverse-proxy')).toEqual({});
  });

  it('no statement allows a wildcard action, or IAM actions on a wildcard resource', () => {
    for (const st of allStatements(full.json)) {
      for (const a of actions(st)) expect(a).not.toMatch(/\*$/);
      if (actions(st).some((a) => a.startsWith('iam:'))) {
        for (const r of resources(st)) expect(r).not.toMatch(/^\*$|:user\/\*$/);
      }
    }
  });
});

describe('environment', () => {
  it('platform functions get the shared environment plus the platform secrets; it parses with PlatformEnvSchema', () => {
    const env = (j: CfnTemplate, h: string) =>
      (functionsByName(j).get(h)?.[1].Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
    const base = env(on.json, 'validate-request');
    const platform = env(on.json, 'platform-register-sts-account');
    expect(platform).toEqual({ ...base, PALETTE_SYSTEM_SECRET_ARN: 'palette-onboarding-platform/system-credentials' });
    expect(env(full.json, 'platform-register-sts-account')).toMatchObject({
      PALETTE_SYSTEM_SECRET_ARN: 'ops/palette-system',
      PALETTE_REVERSE_PROXY_SECRET_ARN: PROXY_ARN,
    });
    expect(platform.PALETTE_STS_ASSUMABLE_ROLE_PATTERNS).toBeUndefined();
    expect(JSON.parse(String(env(full.json, 'platform-validate-input').PALETTE_STS_ASSUMABLE_ROLE_PATTERNS))).toEqual([
      'arn:aws:iam::*:role/palette-sts/*',
      'arn:aws:iam::222222222222:role/HandMadePaletteRole',
    ]);
    for (const h of PLATFORM_HANDLER_NAMES) expect(env(full.json, h), h).toEqual(env(full.json, 'platform-validate-input'));
    // The shared environment names the TenantSecretsAccess role (the platform functions may not assume it: their
    // permissions above are exact).
    expect(platform.TENANT_SECRETS_ROLE_ARN).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^TenantSecretsAccessRole[0-9A-F]{8}$/), 'Arn'] });
    // At run time the account id, the tables' names and the role's ARN are resolved.
    const deployed = {
      ...platform,
      HOME_ACCOUNT_ID: '123456789012',
      TENANT_REGISTRY_TABLE: 'registry',
      PALETTE_RATE_TABLE: 'palette-rate',
      TENANT_SECRETS_ROLE_ARN: 'arn:aws:iam::123456789012:role/PaletteOnboardingStack-TenantSecretsAccessRole-ABC123',
    };
    expect(PlatformEnvSchema.safeParse(deployed).success).toBe(true);
  });
});

describe('deploy-time run and schedule', () => {
  it('custom resource: Provider framework with isComplete, started with {} and a config version', () => {
    const [[, res] = ['', { Type: '' }]] = resourcesOfType(on.json, 'Custom::PalettePlatformSetup');
    const { id: smId } = platformStateMachine(on.json);
    expect(res.Properties).toMatchObject({ StateMachineArn: { Ref: smId }, Input: '{}', ConfigVersion: expect.stringMatching(/^[0-9a-f]{16}$/) });
    const [[, fullRes] = ['', { Type: '' }]] = resourcesOfType(full.json, 'Custom::PalettePlatformSetup');
    expect(fullRes.Properties?.ConfigVersion).not.toBe(res.Properties?.ConfigVersion);
    // platformStsTakeOver: the deploy-time run replaces an STS account that is not this deployment's.
    expect(fullRes.Properties?.Input).toBe('{"takeOver":true}');
    // The Provider's waiter state machine polls isComplete every 15 s.
    const waiter = resourcesOfType(on.json, 'AWS::StepFunctions::StateMachine').find(([id]) => id.startsWith('PlatformSetupDeployProviderwaiter'));
    expect(waiter).toBeDefined();
    expect(JSON.stringify(waiter?.[1].Properties?.DefinitionString)).toContain('\\"IntervalSeconds\\":15');
    // onEvent may only start the platform state machine; isComplete only describe its executions.
    expect(permissions(on.json, 'platform-deploy-start')).toEqual({ 'states:StartExecution': [`\${${smId}}`] });
    expect(permissions(on.json, 'platform-deploy-status')).toEqual({
      'states:DescribeExecution': [`arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:\${${smId}.Name}:*`],
    });
  });

  it('rotation schedule only when stsKeyRotationDays is set: rate(N days) starting the platform state machine with rotateAccessKey', () => {
    const schedules = resourcesOfType(full.json, 'AWS::Scheduler::Schedule').filter(([id]) => id.startsWith('PlatformSetup'));
    expect(schedules).toHaveLength(1);
    const props = schedules[0]?.[1].Properties ?? {};
    const { id: smId } = platformStateMachine(full.json);
    expect(props.ScheduleExpression).toBe('rate(30 days)');
    expect(props.State).toBe('ENABLED');
    expect(props.Target).toMatchObject({ Arn: { Ref: smId }, Input: '{"rotateAccessKey":true}', RetryPolicy: { MaximumRetryAttempts: 10 } });
    const roleId = (props.Target as { RoleArn: { 'Fn::GetAtt': [string, string] } }).RoleArn['Fn::GetAtt'][0];
    const sts = statementsOfRole(full.json, roleId);
    expect(sts.flatMap(actions)).toEqual(['states:StartExecution']);
    expect(sts.flatMap(resources)).toEqual([`\${${smId}}`]);
  });
});
