/**
 * Least privilege: tenant accounts only through sts:AssumeRole on the configured role names, in the accounts the
 * account guard allows; a tenant's secrets only through a tagged session of the stack's own TenantSecretsAccess role
 * (each function for its own secret job); home-account IAM / S3 only on this project's name patterns; each function
 * only what its state needs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../cdk/lib/constructs/onboarding-functions';
import { SECRET_JOB_NAMES } from '../../lambdas/domain/secret-access';
import {
  allStatements,
  asArray,
  busOf,
  functionsByName,
  stateMachineOf,
  renderResource,
  resourcesOfType,
  statementsOfRole,
  synthesize,
  type CfnTemplate,
  type IamStatement,
  type Synthesized,
} from './helpers';

/** The Palette-calling functions' grant on the shared rate table (test/cdk/palette-rate-table.test.ts). */
const PALETTE_RATE_SID = 'ReservePaletteRateSlots';

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
  'ensure-cluster-policies',
  'ensure-sts-role',
  'ensure-static-user',
  'undo-principal',
  'undo-backup-policy',
  'undo-cluster-policies',
  'undo-bucket',
  // re-validation reads the tenant's objects (session scope `revalidate`: read actions only)
  'revalidate-tenant',
];
/**
 * The secret job (lambdas/domain/secret-access.ts) each function may tag a TenantSecretsAccess session with; the
 * functions not listed have none (the whole table, with the role's policy: test/cdk/secrets.test.ts).
 */
const SECRET_JOB_OF: Record<string, string> = {
  'ensure-static-user': 'access-key-write',
  'check-readiness': 'access-key-read',
  'undo-registrations': 'registrations-undo',
  'undo-principal': 'access-key-delete',
  'ensure-cloud-account': 'access-key-read',
  'ensure-backup-location': 'access-key-read',
  'ensure-azure-account': 'credentials-read',
  'ensure-ssh-key': 'ssh-key-write',
  'ensure-api-key': 'api-key-write',
  'ensure-gcp-backup-location': 'credentials-read',
  'ensure-minio-backup-location': 'credentials-read',
  'ensure-azure-backup-location': 'credentials-read',
  // Palette validates a static tenant's stored key during re-validation
  'revalidate-tenant': 'access-key-read',
};
const SECRET_SESSION_FUNCTIONS = Object.keys(SECRET_JOB_OF);

/** The stack's TenantSecretsAccess role: [logical id, resource]. */
function secretsRole(json: CfnTemplate) {
  const found = resourcesOfType(json, 'AWS::IAM::Role').filter(([id]) => id.startsWith('TenantSecretsAccess'));
  expect(found).toHaveLength(1);
  return found[0] as [string, NonNullable<CfnTemplate['Resources'][string]>];
}
/** The statements of the TenantSecretsAccess role's own (inline) policy. */
function secretsRoleStatements(json: CfnTemplate): IamStatement[] {
  const [, role] = secretsRole(json);
  return asArray(role.Properties?.Policies as { PolicyDocument: { Statement: IamStatement[] } }[] | undefined).flatMap((p) => p.PolicyDocument.Statement);
}
/** Whether a statement is on the TenantSecretsAccess role (and on nothing else). */
const onSecretsRole = (json: CfnTemplate, st: IamStatement) => {
  const [roleId] = secretsRole(json);
  return resources(st).length > 0 && resources(st).every((r) => r === `\${${roleId}.Arn}`);
};
/**
 * Whom the TenantSecretsAccess role's trust policy lets start a session, and for which jobs: "${principal}" -> jobs.
 * A statement's job is its `aws:RequestTag/palette-onboarding-job` condition: a job name, or the caller's own job tag
 * (`${aws:PrincipalTag/palette-onboarding-job}`, resolved from each trusted role's tags). Each statement must require
 * exactly the two session tags.
 */
function trustedJobs(json: CfnTemplate): Map<string, string[]> {
  const [, role] = secretsRole(json);
  const trust = role.Properties?.AssumeRolePolicyDocument as { Statement: IamStatement[] };
  const out = new Map<string, string[]>();
  for (const st of trust.Statement) {
    expect(st.Effect).toBe('Allow');
    expect([...actions(st)].sort()).toEqual(['sts:AssumeRole', 'sts:TagSession']);
    const job = String(st.Condition?.StringEquals?.['aws:RequestTag/palette-onboarding-job']);
    expect(st.Condition).toEqual({
      StringEquals: { 'aws:RequestTag/palette-onboarding-job': job },
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['palette-onboarding-tenant', 'palette-onboarding-job'] },
      Null: { 'aws:RequestTag/palette-onboarding-tenant': 'false' },
    });
    for (const principal of asArray((st as unknown as { Principal: { AWS: unknown } }).Principal.AWS)) {
      const rendered = renderResource(principal);
      let jobOf = job;
      if (job === '${aws:PrincipalTag/palette-onboarding-job}') {
        const roleId = /^\$\{(.+)\.Arn\}$/.exec(rendered)?.[1] ?? '';
        const tags = asArray(json.Resources[roleId]?.Properties?.Tags as { Key: string; Value: string }[] | undefined);
        jobOf = tags.find((t) => t.Key === 'palette-onboarding-job')?.Value ?? '';
      }
      expect(SECRET_JOB_NAMES, rendered).toContain(jobOf);
      out.set(rendered, [...(out.get(rendered) ?? []), jobOf].sort());
    }
  }
  return out;
}
const stsStatements = (sts: IamStatement[]) => sts.filter((st) => actions(st).some((a) => a.startsWith('sts:')));
/** AssumeRole statements into tenant accounts: every sts: statement that is not a TenantSecretsAccess session. */
const tenantAssumeStatements = (json: CfnTemplate, sts: IamStatement[]) => stsStatements(sts).filter((st) => !onSecretsRole(json, st));
/**
 * A TenantSecretsAccess session grant, checked whole: AssumeRole + TagSession on that role only, for one job, with
 * exactly the two session tags and a tenant. Returns its job.
 */
function secretSessionJob(json: CfnTemplate, st: IamStatement): string {
  expect(st.Effect).toBe('Allow');
  expect(onSecretsRole(json, st), JSON.stringify(st.Resource)).toBe(true);
  expect(resources(st)).toHaveLength(1);
  expect([...actions(st)].sort()).toEqual(['sts:AssumeRole', 'sts:TagSession']);
  const job = st.Condition?.StringEquals?.['aws:RequestTag/palette-onboarding-job'];
  expect(SECRET_JOB_NAMES).toContain(job);
  expect(st.Condition).toEqual({
    StringEquals: { 'aws:RequestTag/palette-onboarding-job': job },
    'ForAllValues:StringEquals': { 'aws:TagKeys': ['palette-onboarding-tenant', 'palette-onboarding-job'] },
    Null: { 'aws:RequestTag/palette-onboarding-tenant': 'false' },
  });
  return String(job);
}
/** The jobs a function's own role may tag a TenantSecretsAccess session with (each statement checked whole). */
const sessionJobsOf = (json: CfnTemplate, handler: string) =>
  stsStatements(statementsOf(json, handler))
    .filter((st) => onSecretsRole(json, st))
    .map((st) => secretSessionJob(json, st))
    .sort();

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
  it('with no guard configured, no function may assume a tenant execution role: only the home account can be onboarded', () => {
    const sts = stsStatements(allStatements(base.json));
    // Nothing into another account: the only sts: statements are the TenantSecretsAccess sessions (the stack's own role).
    expect(tenantAssumeStatements(base.json, sts)).toEqual([]);
    expect(sts.flatMap(resources).filter((r) => r.includes(':role/'))).toEqual([]);
    expect(sts.map((st) => secretSessionJob(base.json, st)).sort()).toEqual(Object.values(SECRET_JOB_OF).sort());
  });

  it('the only sts:AssumeRole statements target the configured execution role names, in the allowed accounts only', () => {
    const sts = stsStatements(allStatements(guarded.json));
    const assume = tenantAssumeStatements(guarded.json, sts);
    // one statement per mechanism (OUs, accounts) per tenant-reaching function
    expect(assume.length).toBe(TENANT_REACHING.length * 2);
    for (const st of assume) {
      expect(st.Effect).toBe('Allow');
      expect(actions(st)).toEqual(['sts:AssumeRole']);
      expect(resources(st)).toEqual(['arn:${AWS::Partition}:iam::*:role/OrganizationAccountAccessRole']);
      expect(Object.keys(st.Condition ?? {})).toHaveLength(1);
    }
    // Every other sts: statement is a tagged TenantSecretsAccess session, one per function with a secret job.
    const sessions = sts.filter((st) => !assume.includes(st));
    expect(sessions.map((st) => secretSessionJob(guarded.json, st)).sort()).toEqual(Object.values(SECRET_JOB_OF).sort());
  });

  it('only the functions that work in tenant accounts may assume roles', () => {
    for (const handler of FUNCTION_NAMES) {
      const intoTenant = tenantAssumeStatements(guarded.json, statementsOf(guarded.json, handler)).filter((st) => actions(st).includes('sts:AssumeRole'));
      expect(intoTenant.length > 0, handler).toBe(TENANT_REACHING.includes(handler));
      // The stack's TenantSecretsAccess role: only the functions with a secret job, only for that job, only tagged.
      expect(sessionJobsOf(guarded.json, handler), handler).toEqual(SECRET_JOB_OF[handler] ? [SECRET_JOB_OF[handler]] : []);
      // Whoever may assume anything, may assume only these two kinds of role.
      const assumable = stsStatements(statementsOf(guarded.json, handler)).length;
      expect(assumable, handler).toBe(intoTenant.length + (SECRET_JOB_OF[handler] ? 1 : 0));
    }
    // The role's trust policy says the same: exactly these function roles, each for its own job.
    const expected = new Map(SECRET_SESSION_FUNCTIONS.map((h) => [`\${${roleOf(guarded.json, h)}.Arn}`, [SECRET_JOB_OF[h]]]));
    expect(trustedJobs(guarded.json)).toEqual(expected);
  });

  it('follows allowedExecutionRoleNames', () => {
    const sts = stsStatements(allStatements(custom.json));
    const assume = tenantAssumeStatements(custom.json, sts);
    expect(assume.length).toBe(TENANT_REACHING.length);
    for (const st of assume) {
      expect(actions(st)).toEqual(['sts:AssumeRole']);
      expect(st.Condition).toEqual({ StringEquals: { 'aws:ResourceOrgID': 'o-abcdefghij' } });
      expect(resources(st)).toEqual([
        'arn:${AWS::Partition}:iam::*:role/OrganizationAccountAccessRole',
        'arn:${AWS::Partition}:iam::*:role/PaletteOnboardingExecution',
      ]);
    }
    // The TenantSecretsAccess sessions do not depend on the execution role names.
    expect(sts.filter((st) => !assume.includes(st)).map((st) => secretSessionJob(custom.json, st)).sort()).toEqual(Object.values(SECRET_JOB_OF).sort());
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
      // The Bulk state machine's manifest bucket (manifests/ read, results/ written): test/cdk/bulk.test.ts.
      if (resources(st).every((r) => r.startsWith('${BulkManifestBucket'))) continue;
      const objectLevel = actions(st).every((a) => a === 's3:DeleteObject' || a === 's3:DeleteObjectVersion');
      expect(resources(st)).toEqual([objectLevel ? 'arn:${AWS::Partition}:s3:::palette-backup-*/*' : 'arn:${AWS::Partition}:s3:::palette-backup-*']);
    }
    const objectDeleters = FUNCTION_NAMES.filter((h) => actionsOf(base.json, h).has('s3:DeleteObjectVersion'));
    expect(objectDeleters).toEqual(['undo-bucket']);
  });

  it('Secrets Manager: each function exactly the secret actions and name patterns it uses (test/cdk/secrets.test.ts)', () => {
    const PREFIX = 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:';
    const apiKeySecret = `${PREFIX}palette-onboarding/palette-api-key-??????`;
    // A tenant's secrets are named by the session's tenant tag only: never a wildcard tenant.
    const written = /^palette-onboarding\/\$\{aws:PrincipalTag\/palette-onboarding-tenant\}\/(aws-access-key|ssh-private-key|palette-api-key)(-\?{6})?$/;
    const credentials = 'palette-onboarding-credentials/${aws:PrincipalTag/palette-onboarding-tenant}/*';
    const inSecretsRole = new Set(secretsRoleStatements(base.json));
    let tenantStatements = 0;
    for (const st of allStatements(base.json)) {
      const sm = actions(st).filter((a) => a.startsWith('secretsmanager:'));
      if (sm.length === 0) continue;
      expect(sm).not.toContain('secretsmanager:UntagResource');
      expect(sm).not.toContain('secretsmanager:UpdateSecret');
      if (!inSecretsRole.has(st)) {
        // Any other role (the functions' own): the deployment's Palette API key, read-only, and nothing else.
        expect(resources(st)).toEqual([apiKeySecret]);
        expect(actions(st)).toEqual(['secretsmanager:GetSecretValue']);
        continue;
      }
      tenantStatements++;
      expect(actions(st).every((a) => a.startsWith('secretsmanager:'))).toBe(true);
      expect(Object.keys(st.Condition ?? {})).toEqual(['StringEquals']);
      expect(SECRET_JOB_NAMES).toContain(st.Condition?.StringEquals?.['aws:PrincipalTag/palette-onboarding-job']);
      for (const r of resources(st)) {
        expect(r.startsWith(PREFIX), r).toBe(true);
        const name = r.slice(PREFIX.length);
        if (name === credentials) expect(sm, r).toEqual(['secretsmanager:GetSecretValue']);
        else expect(name).toMatch(written);
      }
    }
    // One statement per secret job in TenantSecretsAccess.
    expect(tenantStatements).toBe(SECRET_JOB_NAMES.length);
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

  /** The tenant registry's table (the other one is the shared Palette rate table). */
  const registryTable = () => {
    const tables = resourcesOfType(base.json, 'AWS::DynamoDB::Table').filter(([id]) => id.startsWith('TenantRegistry'));
    expect(tables).toHaveLength(1);
    return tables[0] as (typeof tables)[number];
  };

  it('the tenant registry: only its table, no Query/transactions, Scan only to list the re-validation targets; writers are exactly the steps that record or release', () => {
    // Prepare
    const [tableId] = registryTable();
    // The shared Palette rate table's grant (UpdateItem on that table): test/cdk/palette-rate-table.test.ts.
    const registryStatements = (sts: IamStatement[]) => sts.filter((st) => st.Sid !== PALETTE_RATE_SID);
    const writers = FUNCTION_NAMES.filter((h) => registryStatements(statementsOf(base.json, h)).some((st) => actions(st).includes('dynamodb:UpdateItem')));
    // Assess
    for (const st of registryStatements(allStatements(base.json))) {
      if (!actions(st).some((a) => a.startsWith('dynamodb:'))) continue;
      expect(resources(st)).toEqual([`\${${tableId}.Arn}`]);
      expect(actions(st).every((a) => ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Scan'].includes(a))).toBe(true);
    }
    expect(FUNCTION_NAMES.filter((h) => actionsOf(base.json, h).has('dynamodb:Scan'))).toEqual(['list-revalidation-targets']);
    expect(writers.sort()).toEqual(
      FUNCTION_NAMES.filter(
        (h) =>
          ![
            'validate-request',
            'read-palette-identity',
            'check-readiness',
            'verify-registrations',
            'validate-offboarding',
            'check-tenant-in-use',
            'list-revalidation-targets',
            'revalidate-tenant',
          ].includes(h),
      ).sort(),
    );
  });

  it('the tenant registry table: on demand, point-in-time recovery, deletion protection, encrypted, retained', () => {
    // Act
    const [, table] = registryTable();
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

  it('read-palette-identity can only read the Palette API key secret (GetSecretValue only; no tenant secrets session)', () => {
    const sts = statementsOf(base.json, 'read-palette-identity').filter((st) => !actions(st).every((a) => BASELINE.has(a)) && st.Sid !== PALETTE_RATE_SID);
    expect(sts).toHaveLength(1);
    expect(actions(sts[0] as IamStatement)).toEqual(['secretsmanager:GetSecretValue']);
    expect(resources(sts[0] as IamStatement)).toEqual([
      'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:palette-onboarding/palette-api-key-??????',
    ]);
    expect(sessionJobsOf(base.json, 'read-palette-identity')).toEqual([]);
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
      'check-tenant-in-use',
      'revalidate-tenant',
    ];
    for (const handler of FUNCTION_NAMES) {
      // The deployment's API key secret (not a tenant's generated palette-onboarding/<tenantId>/palette-api-key).
      const readsKey = statementsOf(base.json, handler).some((st) =>
        resources(st).some((r) => r.endsWith(':secret:palette-onboarding/palette-api-key-??????')),
      );
      expect(readsKey, handler).toBe(paletteFacing.includes(handler));
    }
  });

  it('only the undo functions delete (and EnsureClusterPolicies: the cluster policies of another mode), each only its own kind of resource', () => {
    const deleting = (handler: string) =>
      [...actionsOf(base.json, handler)].filter((a) => /:Delete(Bucket|Policy|Role|User|Secret)$/.test(a)).sort();
    expect(deleting('ensure-bucket')).toEqual([]);
    expect(deleting('ensure-backup-policy')).toEqual([]);
    expect(deleting('ensure-sts-role')).toEqual([]);
    expect(deleting('undo-bucket')).toEqual(['s3:DeleteBucket']);
    expect(deleting('undo-backup-policy')).toEqual(['iam:DeletePolicy']);
    expect(deleting('undo-cluster-policies')).toEqual(['iam:DeletePolicy']);
    // A mode change removes the tenant's cluster policies the new mode does not include (lambdas/services/aws/policy.ts).
    expect(deleting('ensure-cluster-policies')).toEqual(['iam:DeletePolicy']);
    expect(deleting('undo-principal')).toEqual(['iam:DeleteRole', 'iam:DeleteUser']);
    expect(deleting('undo-registrations')).toEqual([]);
    expect(deleting('ensure-static-user')).toEqual([]);
    // No function deletes a secret with its own role ...
    expect(FUNCTION_NAMES.filter((h) => actionsOf(base.json, h).has('secretsmanager:DeleteSecret'))).toEqual([]);
    // ... only TenantSecretsAccess does, in the undo jobs, each on its own kind of secret ...
    const deletes = secretsRoleStatements(base.json).filter((st) => actions(st).includes('secretsmanager:DeleteSecret'));
    const deleteJobs = Object.fromEntries(
      deletes.map((st) => [
        String(st.Condition?.StringEquals?.['aws:PrincipalTag/palette-onboarding-job']),
        [...new Set(resources(st).map((r) => r.replace(/^.*:secret:palette-onboarding\/\$\{aws:PrincipalTag\/palette-onboarding-tenant\}\//, '').replace(/-\?{6}$/, '')))].sort(),
      ]),
    );
    expect(deleteJobs).toEqual({ 'access-key-delete': ['aws-access-key'], 'registrations-undo': ['palette-api-key', 'ssh-private-key'] });
    // ... and only the undo functions may start a session for those jobs (their own grant and the role's trust).
    const mayDelete = FUNCTION_NAMES.filter((h) => sessionJobsOf(base.json, h).some((job) => job in deleteJobs));
    expect(mayDelete.sort()).toEqual(['undo-principal', 'undo-registrations']);
    expect(sessionJobsOf(base.json, 'undo-principal')).toEqual(['access-key-delete']);
    expect(sessionJobsOf(base.json, 'undo-registrations')).toEqual(['registrations-undo']);
    const trusted = trustedJobs(base.json);
    const trustedForDelete = [...trusted].filter(([, jobs]) => jobs.some((job) => job in deleteJobs)).map(([principal]) => principal);
    expect(trustedForDelete.sort()).toEqual(['undo-principal', 'undo-registrations'].map((h) => `\${${roleOf(base.json, h)}.Arn}`).sort());
  });

  const OFFBOARDING_ONLY = ['validate-offboarding', 'check-tenant-in-use', 'begin-offboarding', 'finish-offboarding'];
  const UNDO = ['undo-registrations', 'undo-cluster-policies', 'undo-principal', 'undo-backup-policy', 'undo-bucket'];
  const REVALIDATION_ONLY = ['list-revalidation-targets', 'revalidate-tenant', 'record-drift'];
  it.each([
    ['onboarding', (name: string) => name !== 'start-onboarding' && !OFFBOARDING_ONLY.includes(name) && !REVALIDATION_ONLY.includes(name), 24],
    ['offboarding', (name: string) => OFFBOARDING_ONLY.includes(name) || UNDO.includes(name), 9],
    ['revalidation', (name: string) => REVALIDATION_ONLY.includes(name), 3],
  ] as const)('the %s state machine may invoke exactly its functions and publish only to the notifications bus', (which, mine, count) => {
    const [smId, sm] = stateMachineOf(base.json, which);
    expect(smId).toBeDefined();
    const roleId = (sm.Properties?.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const sts = statementsOfRole(base.json, roleId);
    const invoke = sts.filter((st) => actions(st).includes('lambda:InvokeFunction'));
    const invoked = new Set(invoke.flatMap(resources).map((r) => r.replace(/:\*$/, '')));
    const fnIds = [...functionsByName(base.json)].filter(([name]) => mine(name)).map(([, [id]]) => `\${${id}.Arn}`);
    expect(fnIds).toHaveLength(count);
    expect([...invoked].sort()).toEqual(fnIds.sort());
    const put = sts.filter((st) => actions(st).includes('events:PutEvents'));
    expect(put).toHaveLength(1);
    const [busId] = busOf(base.json, 'notifications');
    expect(resources(put[0] as IamStatement)).toEqual([`\${${busId}.Arn}`]);
  });

  it('no other principal of the stack may put events anywhere', () => {
    const roles = (['onboarding', 'offboarding', 'revalidation'] as const).map((w) => ({ Ref: (stateMachineOf(base.json, w)[1].Properties?.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0] }));
    const putters = resourcesOfType(base.json, 'AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties?.PolicyDocument).includes('events:PutEvents'));
    expect(putters.map(([, p]) => p.Properties?.Roles)).toEqual(expect.arrayContaining(roles.map((r) => [r])));
    expect(putters).toHaveLength(3);
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
    expect(retention).toHaveLength(FUNCTION_NAMES.length + 5); // one per workflow function + the four state machines' + the event starter's
    expect(new Set(retention)).toEqual(new Set([7]));
  });
});
