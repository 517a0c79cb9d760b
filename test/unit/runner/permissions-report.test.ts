/**
 * Granted versus used (local/runner/permissions-report.ts): the action strings of a function's role as written, merged
 * run usage, and the comparison that finds excess grants and denials.
 */
import { describe, expect, it } from 'vitest';
import type { RunPermissions } from '../../../local/runner/permissions';
import {
  actionMatches,
  compareUsage,
  grantedActions,
  grantedActionsByFunction,
  LAMBDA_PLATFORM_ACTIONS,
  mergePermissions,
} from '../../../local/runner/permissions-report';
import type { CfnTemplate } from '../../../local/runner/template';

const ROLE_A = 'arn:aws:iam::000000000000:role/Stk-FnARole';

const template: CfnTemplate = {
  Resources: {
    FnARole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
        Policies: [{ PolicyName: 'own', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }] } }],
        ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']] }],
      },
    },
    FnARoleDefaultPolicy: {
      Type: 'AWS::IAM::Policy',
      Properties: {
        PolicyName: 'FnARoleDefaultPolicy',
        Roles: [{ Ref: 'FnARole' }],
        PolicyDocument: {
          Statement: [
            { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 's3:Get*'], Resource: { 'Fn::GetAtt': ['Table', 'Arn'] } },
            { Effect: 'Allow', Action: 'xray:PutTraceSegments', Resource: '*' },
            { Effect: 'Deny', Action: 'iam:*', Resource: '*' },
          ],
        },
      },
    },
    OtherPolicy: {
      Type: 'AWS::IAM::Policy',
      Properties: { PolicyName: 'other', Roles: [{ Ref: 'FnBRole' }], PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] } },
    },
    FnA: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['FnARole', 'Arn'] } } },
    FnBRole: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: {} } },
    FnB: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['FnBRole', 'Arn'] } } },
    External: { Type: 'AWS::Lambda::Function', Properties: { Role: 'arn:aws:iam::000000000000:role/elsewhere' } },
    Table: { Type: 'AWS::DynamoDB::Table' },
  },
};

describe('actionMatches', () => {
  it('matches IAM action wildcards case-insensitively', () => {
    // Assess
    expect(actionMatches('s3:Get*', 's3:GetBucketPolicy')).toBe(true);
    expect(actionMatches('S3:getbucket?olicy', 's3:GetBucketPolicy')).toBe(true);
    expect(actionMatches('*', 'iam:CreateRole')).toBe(true);
    expect(actionMatches('s3:Get*', 's3:PutObject')).toBe(false);
    expect(actionMatches('s3:GetObject', 's3:GetObjectTagging')).toBe(false);
    expect(actionMatches('dynamodb:Get.tem', 'dynamodb:GetItem')).toBe(false);
  });
});

describe('grantedActions', () => {
  it("lists every Allow action string of the function's role as written: attached policies, own Policies, shipped managed policies", () => {
    // Act
    const granted = grantedActions(template, 'FnA');

    // Assess
    expect(granted).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'logs:CreateLogGroup',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:Get*',
      'sqs:SendMessage',
      'xray:PutTraceSegments',
    ]);
  });

  it('covers every function that runs as a role of the stack, and refuses one that does not', () => {
    // Act
    const all = grantedActionsByFunction(template);

    // Assess
    expect(Object.keys(all).sort()).toEqual(['FnA', 'FnB']);
    expect(all.FnB).toEqual(['sts:AssumeRole']);
    expect(() => grantedActions(template, 'External')).toThrow(/no execution role of the stack/);
  });
});

describe('mergePermissions and compareUsage', () => {
  const runA: RunPermissions = {
    FnA: {
      role: ROLE_A,
      allowed: ['dynamodb:GetItem', 's3:GetBucketPolicy'],
      denied: [{ action: 'dynamodb:Query', resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/t', reason: 'ImplicitDeny', state: 'Read' }],
    },
  };
  const runB: RunPermissions = {
    FnA: {
      role: ROLE_A,
      allowed: ['dynamodb:GetItem', 's3:GetBucketTagging'],
      denied: [{ action: 'dynamodb:Query', resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/t', reason: 'ImplicitDeny' }],
      assumed: { 'arn:aws:iam::111111111111:role/Exec': { allowed: ['s3:CreateBucket'], denied: [{ action: 'iam:GetRole', resource: 'arn:aws:iam::111111111111:role/x', reason: 'ImplicitDeny' }] } },
    },
  };

  it('merges runs: union of allowed actions, denials once each, assumed roles per role', () => {
    // Act
    const merged = mergePermissions(runA, undefined, runB);

    // Assess
    expect(merged.FnA?.allowed).toEqual(['dynamodb:GetItem', 's3:GetBucketPolicy', 's3:GetBucketTagging']);
    expect(merged.FnA?.denied).toHaveLength(1);
    expect(merged.FnA?.assumed?.['arn:aws:iam::111111111111:role/Exec']?.allowed).toEqual(['s3:CreateBucket']);
  });

  it('reports used grants, excess grants, platform-only grants and denials per function', () => {
    // Prepare
    const granted = grantedActionsByFunction(template);

    // Act
    const report = compareUsage(granted, [runA, runB]);

    // Assess
    expect(report.FnA).toEqual({
      role: ROLE_A,
      granted: granted.FnA,
      used: ['dynamodb:GetItem', 's3:GetBucketPolicy', 's3:GetBucketTagging'],
      unused: ['dynamodb:PutItem', 'sqs:SendMessage'],
      platform: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTraceSegments'],
      denied: [expect.objectContaining({ action: 'dynamodb:Query' })],
      deniedVia: { 'arn:aws:iam::111111111111:role/Exec': [expect.objectContaining({ action: 'iam:GetRole' })] },
    });
    // A function no run invoked: every grant is excess.
    expect(report.FnB).toMatchObject({ role: '', used: [], unused: ['sts:AssumeRole'], denied: [] });
  });

  it('treats a wildcard grant as used when any allowed action matches it, and a broad one as excess otherwise', () => {
    // Act
    const report = compareUsage({ F: ['s3:*', 'iam:*', '*', 'logs:*'] }, { F: { role: 'r', allowed: ['s3:PutObject'], denied: [] } });

    // Assess
    expect(report.F?.unused).toEqual(['iam:*']);
    expect(report.F?.platform).toEqual(['logs:*']);
    expect(LAMBDA_PLATFORM_ACTIONS).toContain('logs:PutLogEvents');
  });
});
