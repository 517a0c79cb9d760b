/**
 * Least privilege: tenant accounts only through sts:AssumeRole on the configured role names, in the accounts the
 * account guard allows; home-account IAM / S3 / Secrets Manager only on this project's name patterns; each function
 * only what its state needs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../cdk/lib/constructs/onboarding-functions';
import {
  allStatements,
  asArray,
  busOf,
  functionsByName,
  onlyResourceOfType,
  renderResource,
  resourcesOfType,
  statementsOfRole,
  synthesize,
  type CfnTemplate,
  type IamStatement,
  type Synthesized,
} from './helpers';

let base: Synthesized;
let custom: Synthesized;
/** The account guard by OUs (of the home account's organization) and by an account list. */
let guarded: Synthesized;
const CUSTOM_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ops/palette-key';
beforeAll(() => {
  base = synthesize({ skipBundling: true });
  guarded = synthesize({
    skipBundling: true,
    context: { allowedOrganizationalUnitIds: ['ou-ab12-11111111'], allowedAccountIds: ['222222222222'] },
  });
  custom = synthesize({
    skipBundling: true,
    context: {
      allowedOrganizationId: 'o-abcdefghij',
      allowedExecutionRoleNames: ['OrganizationAccountAccessRole', 'PaletteOnboardingExecution'],
      paletteApiKeySecretArn: CUSTOM_SECRET,
      paletteEndpoint: 'https://palette.example.internal',
      readinessBudgetSeconds: 300,
      eventBusName: 'tenant-onboarding',
      logRetentionDays: 7,
      logLevel: 'DEBUG',
    },
  });
}, 120_000);

const actions = (st: IamStatement) => asArray(st.Action);
const resources = (st: IamStatement) => asArray(st.Resource as unknown).map(renderResource);

function roleOf(json: CfnTemplate, handler: string): string {
  const entry = functionsByName(json).get(handler);
  const role = entry?.[1].Properties?.Role as { 'Fn::GetAtt': [string, string] } | undefined;
  if (!role) throw new Error(`no role for ${handler}`);
  return role['Fn::GetAtt'][0];
}
const statementsOf = (json: CfnTemplate, handler: string) => statementsOfRole(json, roleOf(json, handler));
const actionsOf = (json: CfnTemplate, handler: string) => new Set(statementsOf(json, handler).flatMap(actions));

const TENANT_REACHING = [
  'ensure-bucket',
  'ensure-backup-policy',
  'ensure-sts-role',
  'ensure-static-user',
  'undo-principal',
  'undo-backup-policy',
  'undo-bucket',
];
const BASELINE = new Set(['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords']);

/** Actions that have no resource-level permissions and may therefore use "*". */
const RESOURCELESS_ACTIONS = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  // Granted by CDK with X-Ray tracing on (sampling rules / targets are read by the X-Ray SDK).
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  // The account guard's look-up of the home account's organization (OUs configured without an organization id).
  'organizations:DescribeOrganization',
]);

describe('tenant accounts (the account guard in IAM; every combination of the grant: test/cdk/account-guard.test.ts)', () => {
  it('with no guard configured, no function may assume any role: only the home account can be onboarded', () => {
    expect(allStatements(base.json).filter((st) => actions(st).some((a) => a.startsWith('sts:')))).toEqual([]);
  });

  it('the only sts:AssumeRole statements target the configured execution role names, in the allowed accounts only', () => {
    const assume = allStatements(guarded.json).filter((st) => actions(st).some((a) => a.startsWith('sts:')));
    // one statement per mechanism (OUs, accounts) per tenant-reaching function
    expect(assume.length).toBe(TENANT_REACHING.length * 2);
    for (const st of assume) {
      expect(st.Effect).toBe('Allow');
      expect(actions(st)).toEqual(['sts:AssumeRole']);
      expect(resources(st)).toEqual(['arn:${AWS::Partition}:iam::*:role/OrganizationAccountAccessRole']);
      expect(Object.keys(st.Condition ?? {})).toHaveLength(1);
    }
  });

  it('only the functions that work in tenant accounts may assume roles', () => {
    for (const handler of FUNCTION_NAMES) {
      expect(actionsOf(guarded.json, handler).has('sts:AssumeRole'), handler).toBe(TENANT_REACHING.includes(handler));
    }
  });

  it('follows allowedExecutionRoleNames', () => {
    const assume = allStatements(custom.json).filter((st) => actions(st).includes('sts:AssumeRole'));
    expect(assume.length).toBe(TENANT_REACHING.length);
    for (const st of assume) {
      expect(st.Condition).toEqual({ StringEquals: { 'aws:ResourceOrgID': 'o-abcdefghij' } });
      expect(resources(st)).toEqual([
        'arn:${AWS::Partition}:iam::*:role/OrganizationAccountAccessRole',
        'arn:${AWS::Partition}:iam::*:role/PaletteOnboardingExecution',
      ]);
    }
  });
});

describe('no broad permissions', () => {
  it('no service-wide or "*" actions anywhere', () => {
    for (const st of allStatements(base.json)) {
      for (const a of actions(st)) {
        expect(a).not.toBe('*');
        expect(a, a).not.toMatch(/:\*$/);
      }
    }
  });

  it('"*" resources only for actions without resource-level permissions (X-Ray, log delivery, DescribeOrganization)', () => {
    for (const st of [...allStatements(base.json), ...allStatements(guarded.json)]) {
      if (!resources(st).includes('*')) continue;
      for (const a of actions(st)) expect(RESOURCELESS_ACTIONS.has(a), a).toBe(true);
    }
  });

  it('IAM actions only on /palette-onboarding/ roles, users and policies of the home account (and palette-onboarding-* by name)', () => {
    for (const st of allStatements(base.json)) {
      if (!actions(st).some((a) => a.startsWith('iam:'))) continue;
      expect(actions(st).every((a) => a.startsWith('iam:'))).toBe(true);
      for (const r of resources(st)) {
        // A role / user is looked up by name before it exists: IAM checks that against the ARN without a path.
        expect(r).toMatch(/^arn:\$\{AWS::Partition\}:iam::\$\{AWS::AccountId\}:((role|user|policy)\/palette-onboarding\/\*|(role|user)\/palette-onboarding-\*)$/);
      }
    }
  });

  it('attaching / detaching is limited to our own policies (iam:PolicyARN)', () => {
    for (const st of allStatements(base.json)) {
      if (!actions(st).some((a) => /^iam:(Attach|Detach)(Role|User)Policy$/.test(a))) continue;
      expect(st.Condition).toEqual({
        ArnLike: {
          'iam:PolicyARN': {
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':policy/palette-onboarding/*']],
          },
        },
      });
    }
  });

  it('S3 actions only on palette-backup-* buckets (object deletes only in undo-bucket, on their objects)', () => {
    for (const st of allStatements(base.json)) {
      if (!actions(st).some((a) => a.startsWith('s3:'))) continue;
      const objectLevel = actions(st).every((a) => a === 's3:DeleteObject' || a === 's3:DeleteObjectVersion');
      expect(resources(st)).toEqual([objectLevel ? 'arn:${AWS::Partition}:s3:::palette-backup-*/*' : 'arn:${AWS::Partition}:s3:::palette-backup-*']);
    }
    const objectDeleters = FUNCTION_NAMES.filter((h) => actionsOf(base.json, h).has('s3:DeleteObjectVersion'));
    expect(objectDeleters).toEqual(['undo-bucket']);
  });

  it('Secrets Manager: each function exactly the secret actions and name patterns it uses (test/cdk/secrets.test.ts)', () => {
    const written = /^arn:\$\{AWS::Partition\}:secretsmanager:\$\{AWS::Region\}:\$\{AWS::AccountId\}:secret:palette-onboarding\/\*\/(aws-access-key|ssh-private-key|palette-api-key)(-\?{6})?$/;
    const credentials = 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:palette-onboarding-credentials/*/*';
    const apiKeySecret =
      'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:palette-onboarding/palette-api-key-??????';
    for (const st of allStatements(base.json)) {
      const sm = actions(st).filter((a) => a.startsWith('secretsmanager:'));
      if (sm.length === 0) continue;
      for (const r of resources(st)) {
        if (r === credentials || r === apiKeySecret) expect(sm.sort(), r).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
        else expect(r).toMatch(written);
      }
      expect(sm).not.toContain('secretsmanager:UntagResource');
      expect(sm).not.toContain('secretsmanager:UpdateSecret');
    }
  });
});

describe('per-function permissions', () => {
  it('validate-request may only read the tenant registry (and ask AWS Organizations only when the guard allows by organization or OU)', () => {
    expect(actionsOf(base.json, 'validate-request')).toEqual(new Set([...BASELINE, 'dynamodb:GetItem', 'dynamodb:BatchGetItem']));
    expect(actionsOf(custom.json, 'validate-request')).toEqual(
      new Set([...BASELINE, 'dynamodb:GetItem', 'dynamodb:BatchGetItem', 'organizations:DescribeAccount']),
    );
    expect(actionsOf(guarded.json, 'validate-request')).toEqual(
      new Set([
        ...BASELINE,
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'organizations:DescribeAccount',
        'organizations:ListParents',
        'organizations:DescribeOrganization',
      ]),
    );
    for (const handler of FUNCTION_NAMES.filter((h) => h !== 'validate-request')) {
      expect([...actionsOf(guarded.json, handler)].filter((a) => a.startsWith('organizations:')), handler).toEqual([]);
    }
  });

  it('the tenant registry: only its table, no Scan/Query/transactions; writers are exactly the steps that record or release', () => {
    // Prepare
    const [tableId] = onlyResourceOfType(base.json, 'AWS::DynamoDB::Table');
    const writers = FUNCTION_NAMES.filter((h) => actionsOf(base.json, h).has('dynamodb:UpdateItem'));
    // Assess
    for (const st of allStatements(base.json)) {
      if (!actions(st).some((a) => a.startsWith('dynamodb:'))) continue;
      expect(resources(st)).toEqual([`\${${tableId}.Arn}`]);
      expect(actions(st).every((a) => ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'].includes(a))).toBe(true);
    }
    expect(writers.sort()).toEqual(
      FUNCTION_NAMES.filter((h) => !['validate-request', 'read-palette-identity', 'check-readiness', 'verify-registrations'].includes(h)).sort(),
    );
  });

  it('the tenant registry table: on demand, point-in-time recovery, deletion protection, encrypted, retained', () => {
    // Act
    const [, table] = onlyResourceOfType(base.json, 'AWS::DynamoDB::Table');
    // Assess
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      SSESpecification: { SSEEnabled: true },
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    });
    expect((table as { DeletionPolicy?: string }).DeletionPolicy).toBe('Retain');
    expect((table as { UpdateReplacePolicy?: string }).UpdateReplacePolicy).toBe('Retain');
  });

  it('read-palette-identity can only read the Palette API key secret', () => {
    const sts = statementsOf(base.json, 'read-palette-identity').filter((st) => !actions(st).every((a) => BASELINE.has(a)));
    expect(sts).toHaveLength(1);
    expect(actions(sts[0] as IamStatement).sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    expect(resources(sts[0] as IamStatement)).toEqual([
      'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:palette-onboarding/palette-api-key-??????',
    ]);
  });

  it('the configured API key secret ARN is granted as given (complete or partial)', () => {
    const sts = statementsOf(custom.json, 'read-palette-identity').filter((st) => actions(st).includes('secretsmanager:GetSecretValue'));
    expect(sts).toHaveLength(1);
    expect(resources(sts[0] as IamStatement)).toEqual([CUSTOM_SECRET, `${CUSTOM_SECRET}-??????`]);
  });

  it('Palette-facing functions read the API key; AWS-facing functions do not', () => {
    const paletteFacing = [
      'read-palette-identity',
      'check-readiness',
      'ensure-cloud-account',
      'ensure-backup-location',
      'ensure-azure-account',
      'ensure-ssh-key',
      'ensure-api-key',
      'ensure-gcp-backup-location',
      'ensure-minio-backup-location',
      'ensure-azure-backup-location',
      'verify-registrations',
      'undo-registrations',
    ];
    for (const handler of FUNCTION_NAMES) {
      // The deployment's API key secret (not a tenant's generated palette-onboarding/<tenantId>/palette-api-key).
      const readsKey = statementsOf(base.json, handler).some((st) =>
        resources(st).some((r) => r.endsWith(':secret:palette-onboarding/palette-api-key-??????')),
      );
      expect(readsKey, handler).toBe(paletteFacing.includes(handler));
    }
  });

  it('only the undo functions delete, and each only its own kind of resource', () => {
    const deleting = (handler: string) =>
      [...actionsOf(base.json, handler)].filter((a) => /:Delete(Bucket|Policy|Role|User|Secret)$/.test(a)).sort();
    expect(deleting('ensure-bucket')).toEqual([]);
    expect(deleting('ensure-backup-policy')).toEqual([]);
    expect(deleting('ensure-sts-role')).toEqual([]);
    expect(deleting('undo-bucket')).toEqual(['s3:DeleteBucket']);
    expect(deleting('undo-backup-policy')).toEqual(['iam:DeletePolicy']);
    expect(deleting('undo-principal')).toEqual(['iam:DeleteRole', 'iam:DeleteUser', 'secretsmanager:DeleteSecret']);
    expect(deleting('undo-registrations')).toEqual(['secretsmanager:DeleteSecret']);
    expect(deleting('ensure-static-user')).toEqual([]);
    const secretDeleters = FUNCTION_NAMES.filter((h) => actionsOf(base.json, h).has('secretsmanager:DeleteSecret'));
    expect(secretDeleters.sort()).toEqual(['undo-principal', 'undo-registrations']);
  });

  it('the state machine may invoke exactly the 22 functions and publish only to the notifications bus', () => {
    const [smId, sm] = onlyResourceOfType(base.json, 'AWS::StepFunctions::StateMachine');
    expect(smId).toBeDefined();
    const roleId = (sm.Properties?.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const sts = statementsOfRole(base.json, roleId);
    const invoke = sts.filter((st) => actions(st).includes('lambda:InvokeFunction'));
    const invoked = new Set(invoke.flatMap(resources).map((r) => r.replace(/:\*$/, '')));
    const fnIds = [...functionsByName(base.json)].filter(([name]) => name !== 'start-onboarding').map(([, [id]]) => `\${${id}.Arn}`);
    expect([...invoked].sort()).toEqual(fnIds.sort());
    const put = sts.filter((st) => actions(st).includes('events:PutEvents'));
    expect(put).toHaveLength(1);
    const [busId] = busOf(base.json, 'notifications');
    expect(resources(put[0] as IamStatement)).toEqual([`\${${busId}.Arn}`]);
    // No other principal of the stack may put events anywhere.
    const putters = resourcesOfType(base.json, 'AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties?.PolicyDocument).includes('events:PutEvents'));
    expect(putters.map(([, p]) => p.Properties?.Roles)).toEqual([[{ Ref: roleId }]]);
  });
});

describe('configuration reaches the template', () => {
  it('environment, bus name, retention', () => {
    const [, fn] = functionsByName(custom.json).get('check-readiness') ?? [];
    expect((fn?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      PALETTE_ENDPOINT: 'https://palette.example.internal',
      PALETTE_API_KEY_SECRET_ARN: CUSTOM_SECRET,
      READINESS_BUDGET_SECONDS: '300',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      ALLOWED_EXECUTION_ROLE_NAMES: 'OrganizationAccountAccessRole,PaletteOnboardingExecution',
    });
    custom.template.hasResourceProperties('AWS::Events::EventBus', { Name: 'tenant-onboarding' });
    const retention = Object.values(custom.json.Resources)
      .filter((r) => r.Type === 'AWS::Logs::LogGroup')
      .map((r) => r.Properties?.RetentionInDays);
    expect(retention).toHaveLength(FUNCTION_NAMES.length + 2); // one per workflow function + the state machine's + the event starter's
    expect(new Set(retention)).toEqual(new Set([7]));
  });
});
