/**
 * Platform-setup input/plan (lambdas/domain/platform.ts), the platform environment, and the deploy-time
 * custom resource logic (lambdas/services/platform/deploy.ts) with a mocked Step Functions client.
 */
import { DescribeExecutionCommand, ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  buildPlatformPlan,
  partitionOfRegion,
  PlatformSetupRequestSchema,
  stsPrincipalPolicyDocument,
  tenantRoleArnPattern,
  assumableRolePatterns,
  assumableRolePatternProblem,
  assumableRolePatternsConfigIssues,
  stsAccountOwnership,
} from '../../../lambdas/domain/platform';
import { principalName, roleArn, IAM_PATH } from '../../../lambdas/domain/names';
import { RequestValidationError } from '../../../lambdas/shared/errors';
import { ConfigError, parseConfig } from '../../../cdk/lib/config';
import { loadPlatformEnv } from '../../../lambdas/services/platform/env';
import { deployExecutionName, deployRunStatus, startDeployRun, type DeployEvent } from '../../../lambdas/services/platform/deploy';
import { logger } from '../../../lambdas/shared/logger';

const CTX = {
  homeAccountId: '123456789012',
  homePartition: 'aws' as const,
  executionName: 'exec-1',
  systemSecretId: 'palette-onboarding-platform/system-credentials',
};

describe('plan', () => {
  it('{} sets up the STS principal; the reverse proxy only when the deployment has a secret', () => {
    const { request, plan } = buildPlatformPlan({}, CTX);
    expect(request).toEqual({ rotateAccessKey: false, takeOver: false });
    expect(plan).toEqual({
      homeAccountId: '123456789012',
      partition: 'aws',
      userName: 'palette-platform.sts-principal',
      userPath: '/palette-onboarding/',
      userArn: 'arn:aws:iam::123456789012:user/palette-onboarding/palette-platform.sts-principal',
      policyName: 'assume-palette-onboarding-tenant-roles',
      assumeRolePatterns: ['arn:aws:iam::*:role/palette-onboarding/palette-onboarding-*'],
      accessKeySecretName: 'palette-onboarding-platform/sts-access-key',
      systemSecretId: CTX.systemSecretId,
      configureReverseProxy: false,
      rotateAccessKey: false,
      takeOver: false,
      tags: {
        'palette-onboarding/created-by': 'exec-1',
        'palette-onboarding/managed-by': 'palette-onboarding',
        'palette-onboarding/component': 'platform-setup',
      },
    });
    const withProxy = buildPlatformPlan(undefined, { ...CTX, reverseProxySecretId: 'rp' }).plan;
    expect(withProxy).toMatchObject({ configureReverseProxy: true, reverseProxySecretId: 'rp' });
    const optedOut = buildPlatformPlan({ reverseProxy: false }, { ...CTX, reverseProxySecretId: 'rp' }).plan;
    expect(optedOut.configureReverseProxy).toBe(false);
    expect(optedOut.reverseProxySecretId).toBeUndefined();
  });

  it('rejects unknown keys, wrong types, and a reverse proxy the deployment cannot configure, naming each field', () => {
    const issues = (raw: unknown, ctx = CTX) => {
      try {
        buildPlatformPlan(raw, ctx);
      } catch (e) {
        expect(e).toBeInstanceOf(RequestValidationError);
        return (e as RequestValidationError).issues.map((i) => i.path).sort();
      }
      throw new Error('expected RequestValidationError');
    };
    expect(issues({ rotate: true })).toEqual(['']);
    expect(issues({ rotateAccessKey: 'yes', partition: 'aws-cn' })).toEqual(['partition', 'rotateAccessKey']);
    expect(issues({ reverseProxy: true })).toEqual(['reverseProxy']);
    expect(() => buildPlatformPlan({ partition: 'aws-us-gov' }, CTX)).toThrow(
      'partition: must be aws, the partition this deployment (and the STS principal) is in',
    );
    expect(() => buildPlatformPlan({ rotate: true }, CTX)).toThrow(/Unrecognized key: "rotate"/);
  });

  it('GovCloud deployment: the user ARN and the assumable role pattern use the aws-us-gov partition', () => {
    expect(partitionOfRegion('us-gov-west-1')).toBe('aws-us-gov');
    expect(partitionOfRegion('eu-central-1')).toBe('aws');
    const { plan } = buildPlatformPlan({ partition: 'aws-us-gov', rotateAccessKey: true }, { ...CTX, homePartition: 'aws-us-gov' });
    expect(plan.partition).toBe('aws-us-gov');
    expect(buildPlatformPlan({}, { ...CTX, homePartition: 'aws-us-gov' }).plan.partition).toBe('aws-us-gov');
    expect(plan.userArn).toBe('arn:aws-us-gov:iam::123456789012:user/palette-onboarding/palette-platform.sts-principal');
    expect(plan.assumeRolePatterns).toEqual(['arn:aws-us-gov:iam::*:role/palette-onboarding/palette-onboarding-*']);
    expect(plan.rotateAccessKey).toBe(true);
  });

  it('the STS principal may assume exactly the tenant roles the onboarding creates (not *), and never collides with a tenant user', () => {
    const pattern = new RegExp(`^${tenantRoleArnPattern('aws').replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`);
    expect(pattern.test(roleArn('aws', '111111111111', principalName('acme'), IAM_PATH))).toBe(true);
    expect(pattern.test(roleArn('aws', '111111111111', principalName('x'.repeat(32)), IAM_PATH))).toBe(true);
    expect(pattern.test(roleArn('aws', '111111111111', 'OrganizationAccountAccessRole'))).toBe(false);
    expect(pattern.test(roleArn('aws', '111111111111', 'palette-onboarding-acme'))).toBe(false); // wrong path
    const statements = stsPrincipalPolicyDocument(assumableRolePatterns('aws')).Statement;
    expect(statements).toHaveLength(1);
    expect(statements[0]).toEqual({
      Sid: 'AssumePaletteOnboardingTenantRoles',
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: 'arn:aws:iam::*:role/palette-onboarding/palette-onboarding-*',
    });
    // A tenant id is a slug without dots: no tenant's static user can be named like the STS principal.
    expect(PlatformSetupRequestSchema.safeParse({}).success).toBe(true);
    expect(buildPlatformPlan({}, CTX).plan.userName).toContain('.');
  });
});

describe('the STS principal may assume roles by a configurable pattern list', () => {
  it("the project's tenant roles always, then the configured patterns (deduplicated, in order)", () => {
    const extra = ['arn:aws:iam::*:role/palette-sts/*', 'arn:aws:iam::222222222222:role/HandMadePaletteRole'];
    const { plan } = buildPlatformPlan({}, { ...CTX, assumableRolePatterns: [...extra, extra[0] as string] });
    expect(plan.assumeRolePatterns).toEqual(['arn:aws:iam::*:role/palette-onboarding/palette-onboarding-*', ...extra]);
    expect(stsPrincipalPolicyDocument(plan.assumeRolePatterns).Statement[0]?.Resource).toEqual(plan.assumeRolePatterns);
  });

  it.each([
    ['*', 'must not be "*"'],
    ['arn:*', 'must not be "*"'],
    ['arn:aws:iam::*:role/*', 'matches every role of every account'],
    ['arn:aws:iam::*:role/*/*', 'matches every role of every account'],
    ['arn:aws:iam::*:role/?*', 'matches every role of every account'],
    ['arn:aws:s3:::bucket/*', 'must be an IAM role ARN pattern'],
    ['arn:aws:iam::*:user/palette', 'must be an IAM role ARN pattern'],
    ['arn:aws:iam::12345:role/x', 'must be an IAM role ARN pattern'],
    [' arn:aws:iam::*:role/x', 'without spaces'],
  ])('%s is refused: %s', (pattern, message) => {
    expect(assumableRolePatternProblem(pattern)).toContain(message);
    expect(assumableRolePatternsConfigIssues([pattern])[0]).toContain(message);
  });

  it('accepts a restricted name in any account, or every role of one named account', () => {
    for (const p of ['arn:aws:iam::*:role/palette-*', 'arn:aws:iam::123456789012:role/*', 'arn:aws-us-gov:iam::*:role/ops/Palette?Role']) {
      expect(assumableRolePatternProblem(p)).toBeUndefined();
    }
  });

  it("one partition for all patterns (checked at synth), the deployment's partition (checked in ValidateInput), and IAM's policy size", () => {
    expect(assumableRolePatternsConfigIssues(['arn:aws:iam::*:role/a-*', 'arn:aws-us-gov:iam::*:role/b-*'])).toEqual([
      'the patterns name 2 partitions (aws, aws-us-gov); a deployment is in one',
    ]);
    expect(() => buildPlatformPlan({}, { ...CTX, assumableRolePatterns: ['arn:aws-us-gov:iam::*:role/palette-*'] })).toThrow(
      'Configured assumable role patterns (platformAssumableRolePatterns): "arn:aws-us-gov:iam::*:role/palette-*": is not in the deployment\'s partition aws',
    );
    const many = Array.from({ length: 40 }, (_, i) => `arn:aws:iam::*:role/palette-operator-role-number-${i}-*`);
    expect(assumableRolePatternsConfigIssues(many)[0]).toMatch(/^the STS principal's policy would be \d+ characters; IAM allows 2048/);
    expect(assumableRolePatternsConfigIssues(many.slice(0, 10))).toEqual([]);
  });

  it('the stack config checks the patterns at synth (ConfigError naming the key and the pattern); takeOver for deploy-time runs', () => {
    expect(parseConfig({}).platformAssumableRolePatterns).toEqual([]);
    expect(parseConfig({ platformAssumableRolePatterns: 'arn:aws:iam::*:role/palette-*,arn:aws:iam::123456789012:role/*' }).platformAssumableRolePatterns).toEqual([
      'arn:aws:iam::*:role/palette-*',
      'arn:aws:iam::123456789012:role/*',
    ]);
    expect(() => parseConfig({ platformAssumableRolePatterns: ['*'] })).toThrow(ConfigError);
    expect(() => parseConfig({ platformAssumableRolePatterns: ['arn:aws:iam::*:role/*'] })).toThrow(
      /"platformAssumableRolePatterns": "arn:aws:iam::\*:role\/\*": matches every role of every account/,
    );
    expect(parseConfig({}).platformStsTakeOver).toBe(false);
    expect(parseConfig({ platformStsTakeOver: 'true' }).platformStsTakeOver).toBe(true);
  });

  it('takeOver is an input flag (default false)', () => {
    expect(buildPlatformPlan({ takeOver: true }, CTX).plan.takeOver).toBe(true);
    expect(() => buildPlatformPlan({ takeOver: 'yes' }, CTX)).toThrow(RequestValidationError);
  });
});

describe('whose the system STS account is', () => {
  const ctx = { homeAccountId: '123456789012', principalKeyIds: ['AKIAOURS000000000001'], userArn: 'arn:aws:iam::123456789012:user/palette-onboarding/palette-platform.sts-principal' };
  it('none / ours / foreign (another account, or a key that is not the principal\'s)', () => {
    expect(stsAccountOwnership({}, ctx)).toEqual({ owner: 'none' });
    expect(stsAccountOwnership({ accountId: '123456789012', accessKeyId: 'AKIAOURS000000000001' }, ctx)).toEqual({ owner: 'ours' });
    expect(stsAccountOwnership({ accountId: '222222222222', accessKeyId: 'AKIAOURS000000000001' }, ctx)).toEqual({
      owner: 'foreign',
      reason: "it is AWS account 222222222222, not this deployment's home account 123456789012",
    });
    expect(stsAccountOwnership({ accountId: '123456789012', accessKeyId: 'AKIAHANDMADE00000001' }, ctx)).toEqual({
      owner: 'foreign',
      reason: `its access key AKIAHANDMADE00000001 is not a key of this deployment's STS principal ${ctx.userArn}`,
    });
    expect(stsAccountOwnership({ accountId: '123456789012' }, ctx).owner).toBe('foreign');
    expect(stsAccountOwnership({ accountId: '123456789012', accessKeyId: 'AKIAOURS000000000001' }, { ...ctx, principalKeyIds: [] }).owner).toBe('foreign');
  });
});

describe('platform environment', () => {
  const base = { PALETTE_ENDPOINT: 'https://palette.example.com', HOME_ACCOUNT_ID: '123456789012', TENANT_REGISTRY_TABLE: 'registry' };
  it('defaults the system secret to its name; the reverse-proxy secret is optional', () => {
    const env = loadPlatformEnv(base);
    expect(env.PALETTE_SYSTEM_SECRET_ARN).toBe('palette-onboarding-platform/system-credentials');
    expect(env.PALETTE_REVERSE_PROXY_SECRET_ARN).toBeUndefined();
    expect(loadPlatformEnv({ ...base, PALETTE_REVERSE_PROXY_SECRET_ARN: 'rp' }).PALETTE_REVERSE_PROXY_SECRET_ARN).toBe('rp');
    expect(env.PALETTE_STS_ASSUMABLE_ROLE_PATTERNS).toEqual([]);
    expect(loadPlatformEnv({ ...base, PALETTE_STS_ASSUMABLE_ROLE_PATTERNS: '["arn:aws:iam::*:role/x-*"]' }).PALETTE_STS_ASSUMABLE_ROLE_PATTERNS).toEqual([
      'arn:aws:iam::*:role/x-*',
    ]);
    expect(() => loadPlatformEnv({ ...base, PALETTE_STS_ASSUMABLE_ROLE_PATTERNS: 'arn:aws:iam::*:role/x-*' })).toThrow(/PALETTE_STS_ASSUMABLE_ROLE_PATTERNS/);
  });
  it('a missing shared key is a ConfigurationError naming it', () => {
    expect(() => loadPlatformEnv({ PALETTE_ENDPOINT: 'https://palette.example.com' })).toThrow(/HOME_ACCOUNT_ID/);
  });
});

describe('deploy-time custom resource (onEvent / isComplete)', () => {
  const sfn = mockClient(SFNClient);
  const SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:PlatformSetup1234';
  const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:PlatformSetup1234:deploy-create-6f1f';
  const event = (over: Partial<DeployEvent> = {}): DeployEvent => ({
    RequestType: 'Create',
    RequestId: '6f1f0c2e-8d7a-4a53-9a4b-1f7f2c9d0e11',
    LogicalResourceId: 'PlatformSetupRun',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:...', StateMachineArn: SM, Input: '{"rotateAccessKey":false}' },
    ...over,
  });
  beforeEach(() => {
    sfn.reset();
    logger.setLogLevel('SILENT');
  });
  afterEach(() => sfn.reset());

  it('execution names are stable per request and valid', () => {
    expect(deployExecutionName('Create', '6f1f0c2e-8d7a-4a53-9a4b-1f7f2c9d0e11')).toBe('deploy-create-6f1f0c2e-8d7a-4a53-9a4b-1f7f2c9d0e11');
    const long = deployExecutionName('Update', `x/y ${'z'.repeat(100)}`);
    expect(long).toMatch(/^deploy-update-x-y-z+$/);
    expect(long.length).toBe(80);
  });

  it('Create starts the execution with the request-derived name and input; returns it for isComplete', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
    const out = await startDeployRun(event());
    expect(out).toEqual({ PhysicalResourceId: 'palette-platform-setup', Data: { ExecutionArn: EXECUTION } });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: SM,
      name: 'deploy-create-6f1f0c2e-8d7a-4a53-9a4b-1f7f2c9d0e11',
      input: '{"rotateAccessKey":false}',
    });
    const update = await startDeployRun(event({ RequestType: 'Update', PhysicalResourceId: 'palette-platform-setup' }));
    expect(update.PhysicalResourceId).toBe('palette-platform-setup');
  });

  it('Delete starts nothing and completes at once', async () => {
    expect(await startDeployRun(event({ RequestType: 'Delete', PhysicalResourceId: 'palette-platform-setup' }))).toEqual({
      PhysicalResourceId: 'palette-platform-setup',
    });
    expect(await deployRunStatus(event({ RequestType: 'Delete' }))).toEqual({ IsComplete: true });
    expect(sfn.calls()).toHaveLength(0);
  });

  it('bad properties fail before any call; an existing execution with other input surfaces as is', async () => {
    await expect(startDeployRun(event({ ResourceProperties: { StateMachineArn: 'nope' } }))).rejects.toThrow(
      /StateMachineArn: must be a state machine ARN/,
    );
    await expect(startDeployRun(event({ ResourceProperties: { StateMachineArn: SM, Input: '{' } }))).rejects.toThrow('Input is not JSON');
    expect(sfn.calls()).toHaveLength(0);
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    await expect(startDeployRun(event())).rejects.toThrow('Execution Already Exists');
  });

  it('isComplete: RUNNING waits; SUCCEEDED returns identifiers from the summary; FAILED fails the deployment with error and cause', async () => {
    const withData = event({ Data: { ExecutionArn: EXECUTION } });
    const summary = {
      accountId: '123456789012',
      userArn: 'arn:aws:iam::123456789012:user/palette-onboarding/palette-platform.sts-principal',
      accessKeyId: 'AKIAEXAMPLE000000000',
      accessKeySecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:palette-onboarding-platform/sts-access-key-AbCdEf',
      reverseProxy: { skipped: true },
    };
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'RUNNING', executionArn: EXECUTION, stateMachineArn: SM, startDate: new Date() })
      .resolvesOnce({
        status: 'SUCCEEDED',
        executionArn: EXECUTION,
        stateMachineArn: SM,
        startDate: new Date(),
        output: JSON.stringify(summary),
      })
      .resolvesOnce({
        status: 'FAILED',
        name: 'deploy-create-6f1f',
        executionArn: EXECUTION,
        stateMachineArn: SM,
        startDate: new Date(),
        error: 'PaletteSystemLoginError',
        cause: 'Palette system console login failed (401 InvalidCredentials): check the username and password in secret s',
      });
    expect(await deployRunStatus(withData)).toEqual({ IsComplete: false });
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: EXECUTION });
    expect(await deployRunStatus(withData)).toEqual({
      IsComplete: true,
      Data: {
        ExecutionArn: EXECUTION,
        StsAccountId: summary.accountId,
        StsPrincipalArn: summary.userArn,
        StsAccessKeyId: summary.accessKeyId,
        StsAccessKeySecretArn: summary.accessKeySecretArn,
      },
    });

    await expect(deployRunStatus(withData)).rejects.toThrow(
      'Platform setup execution deploy-create-6f1f ended FAILED: PaletteSystemLoginError: Palette system console login failed (401 InvalidCredentials)',
    );
    await expect(deployRunStatus(event())).rejects.toThrow('isComplete event has no Data.ExecutionArn');
  });

  it("isComplete: a run that left a foreign STS account alone succeeds, with StsAccountStatus left-alone (and a warning)", async () => {
    const summary = {
      stsAccountStatus: 'left-alone',
      executionName: 'deploy-create-6f1f',
      userArn: 'arn:aws:iam::123456789012:user/palette-onboarding/palette-platform.sts-principal',
      registration: { leftAlone: true, changed: false, paletteStsAccount: { owner: 'foreign', accountId: '222222222222' } },
      reverseProxy: { skipped: true },
    };
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', executionArn: EXECUTION, stateMachineArn: SM, startDate: new Date(), output: JSON.stringify(summary) });
    expect(await deployRunStatus(event({ Data: { ExecutionArn: EXECUTION } }))).toEqual({
      IsComplete: true,
      Data: { ExecutionArn: EXECUTION, StsAccountStatus: 'left-alone', StsPrincipalArn: summary.userArn },
    });
  });
});
