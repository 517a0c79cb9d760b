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
} from '../../../lambdas/domain/platform';
import { principalName, roleArn, IAM_PATH } from '../../../lambdas/domain/names';
import { RequestValidationError } from '../../../lambdas/shared/errors';
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
    expect(request).toEqual({ rotateAccessKey: false });
    expect(plan).toEqual({
      homeAccountId: '123456789012',
      partition: 'aws',
      userName: 'palette-platform.sts-principal',
      userPath: '/palette-onboarding/',
      userArn: 'arn:aws:iam::123456789012:user/palette-onboarding/palette-platform.sts-principal',
      policyName: 'assume-palette-onboarding-tenant-roles',
      assumeRolePattern: 'arn:aws:iam::*:role/palette-onboarding/palette-onboarding-*',
      accessKeySecretName: 'palette-onboarding-platform/sts-access-key',
      systemSecretId: CTX.systemSecretId,
      configureReverseProxy: false,
      rotateAccessKey: false,
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
    expect(plan.assumeRolePattern).toBe('arn:aws-us-gov:iam::*:role/palette-onboarding/palette-onboarding-*');
    expect(plan.rotateAccessKey).toBe(true);
  });

  it('the STS principal may assume exactly the tenant roles the onboarding creates (not *), and never collides with a tenant user', () => {
    const pattern = new RegExp(`^${tenantRoleArnPattern('aws').replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`);
    expect(pattern.test(roleArn('aws', '111111111111', principalName('acme'), IAM_PATH))).toBe(true);
    expect(pattern.test(roleArn('aws', '111111111111', principalName('x'.repeat(32)), IAM_PATH))).toBe(true);
    expect(pattern.test(roleArn('aws', '111111111111', 'OrganizationAccountAccessRole'))).toBe(false);
    expect(pattern.test(roleArn('aws', '111111111111', 'palette-onboarding-acme'))).toBe(false); // wrong path
    const statements = stsPrincipalPolicyDocument('aws').Statement;
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({ Effect: 'Allow', Action: 'sts:AssumeRole' });
    // A tenant id is a slug without dots: no tenant's static user can be named like the STS principal.
    expect(PlatformSetupRequestSchema.safeParse({}).success).toBe(true);
    expect(buildPlatformPlan({}, CTX).plan.userName).toContain('.');
  });
});

describe('platform environment', () => {
  const base = { PALETTE_ENDPOINT: 'https://palette.example.com', HOME_ACCOUNT_ID: '123456789012', TENANT_REGISTRY_TABLE: 'registry' };
  it('defaults the system secret to its name; the reverse-proxy secret is optional', () => {
    const env = loadPlatformEnv(base);
    expect(env.PALETTE_SYSTEM_SECRET_ARN).toBe('palette-onboarding-platform/system-credentials');
    expect(env.PALETTE_REVERSE_PROXY_SECRET_ARN).toBeUndefined();
    expect(loadPlatformEnv({ ...base, PALETTE_REVERSE_PROXY_SECRET_ARN: 'rp' }).PALETTE_REVERSE_PROXY_SECRET_ARN).toBe('rp');
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
});
