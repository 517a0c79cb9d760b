/**
 * The functions' execution roles (local/runner/roles.ts): read from a template with every intrinsic resolved for the
 * local deployment, then created in (and kept equal to the template in) an in-process AWS sandbox.
 */
import { GetRoleCommand, GetRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../../local/aws';
import type { RunningSandbox } from '../../../local/aws/core/types';
import { canonicalJson, ensureSandboxRoles, sandboxPropagationMs, templateRoles, type TemplateRole } from '../../../local/runner/roles';
import type { SandboxEndpoints } from '../../../local/runner/sandbox';
import { TemplateError, type CfnTemplate, type DeploymentTarget } from '../../../local/runner/template';

const target: DeploymentTarget = { stackName: 'Stk', partition: 'aws', region: 'eu-west-1', accountId: '000000000000' };

const LAMBDA_TRUST = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };

function template(extra: CfnTemplate['Resources'] = {}): CfnTemplate {
  return {
    Resources: {
      Table: { Type: 'AWS::DynamoDB::Table' },
      Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'my-bus' } },
      ReaderRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: LAMBDA_TRUST,
          Path: '/fn/',
          Description: 'reader',
          ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']] }],
          Policies: [{ PolicyName: 'inline', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': ['Bus', 'Arn'] } }] } }],
        },
      },
      ReaderRoleDefaultPolicy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          PolicyName: 'ReaderRoleDefaultPolicy',
          Roles: [{ Ref: 'ReaderRole' }, { Ref: 'WriterRole' }],
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: { 'Fn::GetAtt': ['Table', 'Arn'] } },
              { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::*:role/Exec' } },
              { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': ['Writer', 'Arn'] } },
            ],
          },
        },
      },
      WriterRole: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: LAMBDA_TRUST } },
      Reader: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['ReaderRole', 'Arn'] } } },
      Writer: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['WriterRole', 'Arn'] } } },
      SharedUser: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['WriterRole', 'Arn'] } } },
      Unused: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: LAMBDA_TRUST } },
      ...extra,
    },
  };
}

describe('templateRoles', () => {
  it('reads the roles the functions run as, with their trust, path, inline and attached policies resolved for the local deployment', () => {
    // Act
    const roles = templateRoles(template(), target);

    // Assess
    expect(roles.map((r) => r.logicalId)).toEqual(['ReaderRole', 'WriterRole']);
    const reader = roles[0] as TemplateRole;
    expect(reader).toMatchObject({
      roleName: 'Stk-ReaderRole',
      path: '/fn/',
      arn: 'arn:aws:iam::000000000000:role/fn/Stk-ReaderRole',
      description: 'reader',
      managedPolicyArns: ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      functions: ['Reader'],
      trustPolicy: canonicalJson(LAMBDA_TRUST),
    });
    expect(reader.inlinePolicies.map((p) => [p.name, p.source])).toEqual([
      ['ReaderRoleDefaultPolicy', 'ReaderRoleDefaultPolicy'],
      ['inline', 'ReaderRole.Policies'],
    ]);
    const doc = JSON.parse(reader.inlinePolicies[0]?.document ?? '{}') as { Statement: Array<{ Resource: string }> };
    expect(doc.Statement.map((s) => s.Resource)).toEqual([
      'arn:aws:dynamodb:eu-west-1:000000000000:table/Stk-Table',
      'arn:aws:iam::*:role/Exec',
      'arn:aws:lambda:eu-west-1:000000000000:function:Stk-Writer',
    ]);
    expect(JSON.parse(reader.inlinePolicies[1]?.document ?? '{}')).toMatchObject({ Statement: [{ Resource: 'arn:aws:events:eu-west-1:000000000000:event-bus/my-bus' }] });
    expect(roles[1]).toMatchObject({ roleName: 'Stk-WriterRole', path: '/', functions: ['SharedUser', 'Writer'], inlinePolicies: [{ name: 'ReaderRoleDefaultPolicy' }] });
  });

  it('limits itself to the given functions', () => {
    // Act
    const roles = templateRoles(template(), target, new Set(['Writer']));

    // Assess
    expect(roles.map((r) => [r.logicalId, r.functions])).toEqual([['WriterRole', ['Writer']]]);
  });

  it('fails loudly on what it cannot reproduce, naming it', () => {
    // Prepare
    const unresolvable = template({
      Bad: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          PolicyName: 'bad',
          Roles: [{ Ref: 'WriterRole' }],
          PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::ImportValue': 'elsewhere' } }] },
        },
      },
    });
    const external = template({ Ext: { Type: 'AWS::Lambda::Function', Properties: { Role: 'arn:aws:iam::000000000000:role/outside' } } });
    const managed = template({ Mp: { Type: 'AWS::IAM::ManagedPolicy', Properties: { Roles: [{ Ref: 'ReaderRole' }], PolicyDocument: {} } } });

    // Act / Assess
    expect(() => templateRoles(unresolvable, target)).toThrow(TemplateError);
    expect(() => templateRoles(unresolvable, target)).toThrow(/policy Bad PolicyDocument: intrinsic Fn::ImportValue is not supported/);
    expect(() => templateRoles(external, target)).toThrow(/function Ext runs as .*not a role of the stack/);
    expect(() => templateRoles(managed, target)).toThrow(/managed policy Mp/);
  });
});

describe('ensureSandboxRoles', () => {
  let sb: RunningSandbox;
  let endpoints: SandboxEndpoints;
  let iam: IAMClient;
  beforeAll(async () => {
    sb = await startSandbox({ port: 0, region: 'eu-west-1', realism: { iamPropagationMs: 0 } });
    endpoints = {
      aws: { endpoint: sb.endpoint, region: sb.region, accountId: sb.accountId, accessKeyId: sb.accessKeyId, secretAccessKey: sb.secretAccessKey },
      palette: { endpoint: 'http://127.0.0.1:1', apiKey: 'x' },
    };
    iam = new IAMClient({ endpoint: sb.endpoint, region: sb.region, credentials: { accessKeyId: sb.accessKeyId, secretAccessKey: sb.secretAccessKey } });
  });
  afterAll(async () => {
    iam?.destroy();
    await sb?.stop();
  });

  const inlineOf = async (role: string) => {
    const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames ?? [];
    const out: Record<string, unknown> = {};
    for (const n of names) out[n] = JSON.parse(decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: n }))).PolicyDocument ?? '{}'));
    return out;
  };

  it('creates the roles, then finds nothing to do, and a Lambda session of a role is allowed what its policies grant', async () => {
    // Prepare
    const roles = templateRoles(template(), target);

    // Act
    const first = await ensureSandboxRoles(endpoints, roles);
    const second = await ensureSandboxRoles(endpoints, roles);
    const session = await sb.serviceSession({ roleArn: 'arn:aws:iam::000000000000:role/fn/Stk-ReaderRole', service: 'lambda.amazonaws.com', sessionName: 'Stk-Reader' });

    // Assess
    expect(first.map((r) => [r.roleName, r.outcome])).toEqual([
      ['Stk-ReaderRole', 'created'],
      ['Stk-WriterRole', 'created'],
    ]);
    expect(second.map((r) => r.outcome)).toEqual(['unchanged', 'unchanged']);
    expect(second[0]?.roleId).toBe(first[0]?.roleId);
    const role = (await iam.send(new GetRoleCommand({ RoleName: 'Stk-ReaderRole' }))).Role;
    expect(role).toMatchObject({ Path: '/fn/', Arn: 'arn:aws:iam::000000000000:role/fn/Stk-ReaderRole', Description: 'reader' });
    expect(Object.keys(await inlineOf('Stk-ReaderRole')).sort()).toEqual(['ReaderRoleDefaultPolicy', 'inline']);
    const attached = (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'Stk-ReaderRole' }))).AttachedPolicies ?? [];
    expect(attached.map((a) => a.PolicyArn)).toEqual(['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']);
    expect(session.assumedRoleArn).toBe('arn:aws:sts::000000000000:assumed-role/Stk-ReaderRole/Stk-Reader');
    expect(await sandboxPropagationMs(endpoints)).toBe(0);
  });

  it("brings an existing role back to the template's trust and policies (a re-synth takes effect)", async () => {
    // Prepare
    await ensureSandboxRoles(endpoints, templateRoles(template(), target));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'Stk-WriterRole', PolicyName: 'stray', PolicyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }) }));
    const changed = template();
    const writer = changed.Resources.WriterRole as { Properties: Record<string, unknown> };
    writer.Properties.AssumeRolePolicyDocument = {
      ...LAMBDA_TRUST,
      Statement: [{ ...LAMBDA_TRUST.Statement[0], Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } }],
    };
    writer.Properties.Policies = [{ PolicyName: 'added', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }] } }];

    // Act
    const out = await ensureSandboxRoles(endpoints, templateRoles(changed, target));

    // Assess
    expect(out.map((r) => [r.roleName, r.outcome])).toEqual([
      ['Stk-ReaderRole', 'unchanged'],
      ['Stk-WriterRole', 'updated'],
    ]);
    expect(Object.keys(await inlineOf('Stk-WriterRole')).sort()).toEqual(['ReaderRoleDefaultPolicy', 'added']);
    const trust = decodeURIComponent((await iam.send(new GetRoleCommand({ RoleName: 'Stk-WriterRole' }))).Role?.AssumeRolePolicyDocument ?? '');
    expect(JSON.parse(trust)).toMatchObject({ Statement: [{ Condition: { StringEquals: { 'aws:SourceAccount': '000000000000' } } }] });
  });

  it('re-creates a role whose path changed, and refuses a managed policy the sandbox does not ship', async () => {
    // Prepare
    const first = await ensureSandboxRoles(endpoints, templateRoles(template(), target));
    const moved = template();
    (moved.Resources.ReaderRole as { Properties: Record<string, unknown> }).Properties.Path = '/moved/';
    const unknown = template();
    (unknown.Resources.WriterRole as { Properties: Record<string, unknown> }).Properties.ManagedPolicyArns = ['arn:aws:iam::aws:policy/NotShippedPolicy'];

    // Act
    const out = await ensureSandboxRoles(endpoints, templateRoles(moved, target));

    // Assess
    expect(out[0]).toMatchObject({ outcome: 'created', arn: 'arn:aws:iam::000000000000:role/moved/Stk-ReaderRole' });
    expect(out[0]?.roleId).not.toBe(first[0]?.roleId);
    await expect(ensureSandboxRoles(endpoints, templateRoles(unknown, target))).rejects.toThrow(/NotShippedPolicy, a managed policy the AWS sandbox does not know/);
  });
});
