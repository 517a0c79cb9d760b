/**
 * The sandbox's read-only CloudFormation (local/aws/services/cloudformation): stacks put in-process with putStack,
 * read back through the real SDK client (DescribeStacks by name and stack id, the missing-stack ValidationError,
 * ListStacks, resources, template, exports, IAM authorization on the stack ARN) and through the AWS CLI.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  CloudFormationClient,
  DescribeStackResourceCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListExportsCommand,
  ListStackResourcesCommand,
  ListStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../local/aws/core/types';
import { cloudFormationOf, type PutStackInput } from '../../local/aws/services/cloudformation';
import { allowPolicy, expectAwsError, iamClient, keysOf, start, type Keys } from './core-fixtures';

const run = promisify(execFile);
let sb: RunningSandbox;
const cfn = (keys: Keys = keysOf(sb)) => new CloudFormationClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: keys, maxAttempts: 1 });
const stacks = () => cloudFormationOf(sb.services);

const ONBOARDING: PutStackInput = {
  stackName: 'PaletteOnboarding',
  description: 'Tenant onboarding',
  outputs: [
    { key: 'StateMachineArn', value: 'arn:aws:states:us-east-1:000000000000:stateMachine:Onboard', description: 'the workflow', exportName: 'onboarding-sm' },
    { key: 'TableName', value: 'tenants' },
  ],
  parameters: { Stage: 'dev' },
  resources: [
    { logicalId: 'Workflow', physicalId: 'arn:aws:states:us-east-1:000000000000:stateMachine:Onboard', type: 'AWS::StepFunctions::StateMachine' },
    { logicalId: 'Tenants', physicalId: 'tenants', type: 'AWS::DynamoDB::Table' },
  ],
  tags: { app: 'palette' },
};

beforeEach(async () => {
  sb = await start();
});
afterEach(async () => {
  await sb.stop();
});

describe('CloudFormation (read-only)', () => {
  it('DescribeStacks by name and by stack id: outputs, parameters, status; a missing stack is a ValidationError', async () => {
    const put = stacks().putStack(ONBOARDING);
    expect(put.stackId).toMatch(new RegExp(`^arn:aws:cloudformation:us-east-1:${sb.accountId}:stack/PaletteOnboarding/[0-9a-f-]{36}$`));
    const c = cfn();
    const byName = (await c.send(new DescribeStacksCommand({ StackName: 'PaletteOnboarding' }))).Stacks ?? [];
    expect(byName).toHaveLength(1);
    const s = byName[0];
    expect(s).toMatchObject({ StackName: 'PaletteOnboarding', StackId: put.stackId, StackStatus: 'CREATE_COMPLETE', Description: 'Tenant onboarding' });
    expect(s?.CreationTime).toBeInstanceOf(Date);
    expect(Math.abs((s?.CreationTime?.getTime() ?? 0) - Date.now())).toBeLessThan(5000);
    expect(s?.Outputs).toEqual([
      { OutputKey: 'StateMachineArn', OutputValue: 'arn:aws:states:us-east-1:000000000000:stateMachine:Onboard', Description: 'the workflow', ExportName: 'onboarding-sm' },
      { OutputKey: 'TableName', OutputValue: 'tenants' },
    ]);
    expect(s?.Parameters).toEqual([{ ParameterKey: 'Stage', ParameterValue: 'dev' }]);
    expect(s?.Tags).toEqual([{ Key: 'app', Value: 'palette' }]);
    expect((await c.send(new DescribeStacksCommand({ StackName: put.stackId }))).Stacks?.[0]?.StackName).toBe('PaletteOnboarding');
    expect((await c.send(new DescribeStacksCommand({}))).Stacks?.map((x) => x.StackName)).toEqual(['PaletteOnboarding']);

    await expectAwsError(c.send(new DescribeStacksCommand({ StackName: 'Nope' })), 'ValidationError', 400, 'Stack with id Nope does not exist');

    // An update keeps the stack id; a deleted stack is gone by name but listed and found by id as DELETE_COMPLETE.
    stacks().putStack({ ...ONBOARDING, outputs: [{ key: 'TableName', value: 'tenants-v2' }] });
    const updated = (await c.send(new DescribeStacksCommand({ StackName: 'PaletteOnboarding' }))).Stacks?.[0];
    expect(updated).toMatchObject({ StackId: put.stackId, StackStatus: 'UPDATE_COMPLETE', Outputs: [{ OutputKey: 'TableName', OutputValue: 'tenants-v2' }] });
    expect(updated?.LastUpdatedTime).toBeInstanceOf(Date);
    expect(stacks().deleteStack('PaletteOnboarding')).toBe(true);
    await expectAwsError(c.send(new DescribeStacksCommand({ StackName: 'PaletteOnboarding' })), 'ValidationError', 400, 'Stack with id PaletteOnboarding does not exist');
    expect((await c.send(new DescribeStacksCommand({ StackName: put.stackId }))).Stacks?.[0]?.StackStatus).toBe('DELETE_COMPLETE');
    const listed = (await c.send(new ListStacksCommand({ StackStatusFilter: ['DELETE_COMPLETE'] }))).StackSummaries ?? [];
    expect(listed.map((x) => [x.StackName, x.StackStatus])).toEqual([['PaletteOnboarding', 'DELETE_COMPLETE']]);
    expect((await c.send(new ListStacksCommand({ StackStatusFilter: ['CREATE_COMPLETE'] }))).StackSummaries).toEqual([]);
    expect(sb.inventory()[sb.accountId]?.stacks).toEqual([]);
    c.destroy();
  });

  it('stack resources, template and exports', async () => {
    stacks().putStack(ONBOARDING);
    stacks().putStack({ stackName: 'Other', resources: [{ logicalId: 'Bucket', physicalId: 'my-bucket', type: 'AWS::S3::Bucket' }], templateBody: 'Resources: {}' });
    const c = cfn();
    const resources = (await c.send(new DescribeStackResourcesCommand({ StackName: 'PaletteOnboarding' }))).StackResources ?? [];
    expect(resources.map((r) => [r.LogicalResourceId, r.PhysicalResourceId, r.ResourceType, r.ResourceStatus])).toEqual([
      ['Workflow', 'arn:aws:states:us-east-1:000000000000:stateMachine:Onboard', 'AWS::StepFunctions::StateMachine', 'CREATE_COMPLETE'],
      ['Tenants', 'tenants', 'AWS::DynamoDB::Table', 'CREATE_COMPLETE'],
    ]);
    const byPhysical = (await c.send(new DescribeStackResourcesCommand({ PhysicalResourceId: 'my-bucket' }))).StackResources ?? [];
    expect(byPhysical.map((r) => [r.StackName, r.LogicalResourceId])).toEqual([['Other', 'Bucket']]);
    const summaries = (await c.send(new ListStackResourcesCommand({ StackName: 'PaletteOnboarding' }))).StackResourceSummaries ?? [];
    expect(summaries.map((r) => r.LogicalResourceId)).toEqual(['Workflow', 'Tenants']);
    expect((await c.send(new DescribeStackResourceCommand({ StackName: 'PaletteOnboarding', LogicalResourceId: 'Tenants' }))).StackResourceDetail).toMatchObject({
      PhysicalResourceId: 'tenants',
      ResourceStatus: 'CREATE_COMPLETE',
    });
    await expectAwsError(c.send(new DescribeStackResourceCommand({ StackName: 'PaletteOnboarding', LogicalResourceId: 'Ghost' })), 'ValidationError', 400, /Ghost does not exist/);
    await expectAwsError(c.send(new ListStackResourcesCommand({ StackName: 'Missing' })), 'ValidationError', 400, 'Stack with id Missing does not exist');
    expect((await c.send(new GetTemplateCommand({ StackName: 'Other' }))).TemplateBody).toBe('Resources: {}');
    const generated = JSON.parse((await c.send(new GetTemplateCommand({ StackName: 'PaletteOnboarding' }))).TemplateBody ?? '{}') as { Resources: Record<string, { Type: string }> };
    expect(generated.Resources.Tenants?.Type).toBe('AWS::DynamoDB::Table');
    expect((await c.send(new ListExportsCommand({}))).Exports).toEqual([
      { ExportingStackId: stacks().getStack('PaletteOnboarding')?.stackId, Name: 'onboarding-sm', Value: 'arn:aws:states:us-east-1:000000000000:stateMachine:Onboard' },
    ]);
    expect(() => stacks().putStack({ stackName: 'Clash', outputs: [{ key: 'X', value: 'y', exportName: 'onboarding-sm' }] })).toThrow(/already exported/);
    expect(sb.inventory()[sb.accountId]?.stacks).toEqual(['us-east-1/Other', 'us-east-1/PaletteOnboarding']);
    c.destroy();
  });

  it('IAM decides on the stack ARN: a user allowed one stack reads it and not another', async () => {
    stacks().putStack(ONBOARDING);
    stacks().putStack({ stackName: 'Secret' });
    const iam = iamClient(sb);
    await iam.send(new CreateUserCommand({ UserName: 'reader' }));
    await iam.send(
      new PutUserPolicyCommand({ UserName: 'reader', PolicyName: 'p', PolicyDocument: allowPolicy('cloudformation:DescribeStacks', `arn:aws:cloudformation:us-east-1:${sb.accountId}:stack/PaletteOnboarding/*`) }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'reader' }))).AccessKey;
    const reader = cfn({ accessKeyId: key?.AccessKeyId ?? '', secretAccessKey: key?.SecretAccessKey ?? '' });
    expect((await reader.send(new DescribeStacksCommand({ StackName: 'PaletteOnboarding' }))).Stacks?.[0]?.StackStatus).toBe('CREATE_COMPLETE');
    await expectAwsError(reader.send(new DescribeStacksCommand({ StackName: 'Secret' })), 'AccessDenied', 403, /cloudformation:DescribeStacks on resource: arn:aws:cloudformation:us-east-1:\d{12}:stack\/Secret\//);
    await expectAwsError(reader.send(new ListStackResourcesCommand({ StackName: 'PaletteOnboarding' })), 'AccessDenied', 403);
    reader.destroy();
    iam.destroy();
  });

  it('the AWS CLI reads stack outputs (aws cloudformation describe-stacks)', async (ctx) => {
    const which = await run('sh', ['-c', 'command -v aws']).catch(() => undefined);
    if (!which?.stdout.trim()) {
      ctx.skip();
      return;
    }
    stacks().putStack(ONBOARDING);
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_ACCESS_KEY_ID: sb.accessKeyId, AWS_SECRET_ACCESS_KEY: sb.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_REGION: 'us-east-1', AWS_PAGER: '' };
    delete env.AWS_SESSION_TOKEN;
    delete env.AWS_PROFILE;
    const args = ['cloudformation', 'describe-stacks', '--stack-name', 'PaletteOnboarding', '--endpoint-url', sb.endpoint, '--output', 'json'];
    const out = await run('aws', args, { env, timeout: 20_000 });
    const parsed = JSON.parse(out.stdout) as { Stacks: Array<{ StackStatus: string; Outputs: Array<{ OutputKey: string; OutputValue: string }> }> };
    expect(parsed.Stacks[0]?.StackStatus).toBe('CREATE_COMPLETE');
    expect(parsed.Stacks[0]?.Outputs.find((o) => o.OutputKey === 'TableName')?.OutputValue).toBe('tenants');
  }, 30_000);
});
