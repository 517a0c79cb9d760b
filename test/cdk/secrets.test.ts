/**
 * Secrets by function: no workflow function touches a tenant's secret with its own role. Each function that needs
 * one may start a session of the TenantSecretsAccess role for exactly its own secret job (session tag
 * `palette-onboarding-job`), tagged with a tenant; the role's policy gives each job exactly the actions it uses on
 * that tenant's names only (`${aws:PrincipalTag/palette-onboarding-tenant}`): writers Create/Put/Describe/Tag, never
 * Delete or Untag; Delete only in the jobs that undo; the credentials the user supplies are read-only under their own
 * prefix. The registration functions' jobs derive from the registrations table.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES, REGISTRATION_FUNCTIONS, registrationFunctionName, registrationSecretAccess } from '../../cdk/lib/constructs/onboarding-functions';
import { REGISTRATION_KEYS, REGISTRATIONS } from '../../lambdas/domain/registrations';
import { SECRET_JOB_NAMES } from '../../lambdas/domain/secret-access';
import { asArray, functionsByName, renderResource, resourcesOfType, statementsOfRole, synthesize, type CfnTemplate, type Synthesized } from './helpers';

let base: Synthesized;
beforeAll(() => {
  base = synthesize({ skipBundling: true });
}, 120_000);

const PREFIX = 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:';
const TENANT = '${aws:PrincipalTag/palette-onboarding-tenant}';
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const roleOf = (json: CfnTemplate, fn: string): string =>
  (functionsByName(json).get(fn)?.[1].Properties?.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];

/** The TenantSecretsAccess role: [logical id, resource]. */
function secretsRole(json: CfnTemplate) {
  const found = resourcesOfType(json, 'AWS::IAM::Role').filter(([id]) => id.startsWith('TenantSecretsAccess'));
  expect(found).toHaveLength(1);
  return found[0] as [string, NonNullable<CfnTemplate['Resources'][string]>];
}

/** "<name pattern> <Action>" of every Secrets Manager permission of a function's own role, sorted. */
function ownSecretGrants(json: CfnTemplate, fn: string): string[] {
  const out = new Set<string>();
  for (const st of statementsOfRole(json, roleOf(json, fn))) {
    for (const action of asArray(st.Action).filter((a) => a.startsWith('secretsmanager:'))) {
      for (const r of asArray(st.Resource as unknown).map(renderResource)) {
        expect(r.startsWith(PREFIX), r).toBe(true);
        out.add(`${r.slice(PREFIX.length)} ${action.replace('secretsmanager:', '')}`);
      }
    }
  }
  return [...out].sort();
}

/** The secret jobs a function's own role may tag a TenantSecretsAccess session with. */
function jobsGranted(json: CfnTemplate, fn: string): string[] {
  const [roleId] = secretsRole(json);
  const jobs: string[] = [];
  for (const st of statementsOfRole(json, roleOf(json, fn))) {
    const onRole = asArray(st.Resource as unknown).some((r) => renderResource(r) === `\${${roleId}.Arn}`);
    if (!onRole) continue;
    expect(asArray(st.Action).sort()).toEqual(['sts:AssumeRole', 'sts:TagSession']);
    const cond = st.Condition as Record<string, Record<string, unknown>>;
    expect(cond['ForAllValues:StringEquals']).toEqual({ 'aws:TagKeys': ['palette-onboarding-tenant', 'palette-onboarding-job'] });
    expect(cond.Null).toEqual({ 'aws:RequestTag/palette-onboarding-tenant': 'false' });
    jobs.push(String(cond.StringEquals?.['aws:RequestTag/palette-onboarding-job']));
  }
  return jobs.sort();
}

const API_KEY = ['palette-onboarding/palette-api-key-?????? GetSecretValue'];

/** The whole table: every workflow function, its own secret grants (the Palette API key at most) and its secret job. */
const EXPECTED: Record<string, { own: string[]; jobs: string[] }> = {
  'validate-request': { own: [], jobs: [] },
  'acquire-tenant': { own: [], jobs: [] },
  'release-tenant': { own: [], jobs: [] },
  'read-palette-identity': { own: API_KEY, jobs: [] },
  'ensure-bucket': { own: [], jobs: [] },
  'ensure-backup-policy': { own: [], jobs: [] },
  'ensure-cluster-policies': { own: [], jobs: [] },
  'ensure-sts-role': { own: [], jobs: [] },
  'ensure-static-user': { own: [], jobs: ['access-key-write'] },
  'check-readiness': { own: API_KEY, jobs: ['access-key-read'] },
  'verify-registrations': { own: API_KEY, jobs: [] },
  'undo-registrations': { own: API_KEY, jobs: ['registrations-undo'] },
  'undo-principal': { own: [], jobs: ['access-key-delete'] },
  'undo-backup-policy': { own: [], jobs: [] },
  'undo-cluster-policies': { own: [], jobs: [] },
  'undo-bucket': { own: [], jobs: [] },
  'ensure-cloud-account': { own: API_KEY, jobs: ['access-key-read'] },
  'ensure-backup-location': { own: API_KEY, jobs: ['access-key-read'] },
  'ensure-azure-account': { own: API_KEY, jobs: ['credentials-read'] },
  'ensure-ssh-key': { own: API_KEY, jobs: ['ssh-key-write'] },
  'ensure-api-key': { own: API_KEY, jobs: ['api-key-write'] },
  'ensure-gcp-backup-location': { own: API_KEY, jobs: ['credentials-read'] },
  'ensure-minio-backup-location': { own: API_KEY, jobs: ['credentials-read'] },
  'ensure-azure-backup-location': { own: API_KEY, jobs: ['credentials-read'] },
  'validate-offboarding': { own: [], jobs: [] },
  'check-tenant-in-use': { own: API_KEY, jobs: [] },
  'begin-offboarding': { own: [], jobs: [] },
  'finish-offboarding': { own: [], jobs: [] },
  'list-revalidation-targets': { own: [], jobs: [] },
  // Palette validates a static tenant's stored key (as CheckReadiness does).
  'revalidate-tenant': { own: API_KEY, jobs: ['access-key-read'] },
  'record-drift': { own: [], jobs: [] },
};

/** The TenantSecretsAccess policy, as "<job> <name pattern> <Action>", sorted. */
const written = (job: string, name: string, actions: string[], byName: boolean) =>
  actions.flatMap((a) => [
    `${job} palette-onboarding/${TENANT}/${name}-?????? ${a}`,
    ...(byName ? [`${job} palette-onboarding/${TENANT}/${name} ${a}`] : []),
  ]);
const EXPECTED_JOBS = [
  ...written('access-key-read', 'aws-access-key', ['GetSecretValue'], false),
  // RestoreSecret: a secret an offboarding deleted with its recovery window, restored when the tenant is onboarded again.
  ...written('access-key-write', 'aws-access-key', ['CreateSecret', 'DescribeSecret', 'PutSecretValue', 'RestoreSecret', 'TagResource'], true),
  ...written('access-key-delete', 'aws-access-key', ['DeleteSecret', 'DescribeSecret'], true),
  ...written('ssh-key-write', 'ssh-private-key', ['CreateSecret', 'DescribeSecret', 'GetSecretValue', 'PutSecretValue', 'RestoreSecret', 'TagResource'], true),
  ...written('api-key-write', 'palette-api-key', ['CreateSecret', 'DescribeSecret', 'GetSecretValue', 'PutSecretValue', 'RestoreSecret', 'TagResource'], true),
  ...written('registrations-undo', 'ssh-private-key', ['DeleteSecret', 'DescribeSecret'], true),
  ...written('registrations-undo', 'palette-api-key', ['DeleteSecret', 'DescribeSecret'], true),
  `credentials-read palette-onboarding-credentials/${TENANT}/* GetSecretValue`,
].sort();

describe('secrets by function', () => {
  it('the table covers every workflow function', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...FUNCTION_NAMES].sort());
  });

  it.each(Object.entries(EXPECTED))('%s: its own role reaches no tenant secret; its secret job', (fn, expected) => {
    expect(ownSecretGrants(base.json, fn)).toEqual(expected.own);
    expect(jobsGranted(base.json, fn)).toEqual(expected.jobs);
  });

  it("TenantSecretsAccess: each job's actions on the session's tenant's names only", () => {
    const [, role] = secretsRole(base.json);
    const policies = asArray(role.Properties?.Policies as unknown[] | undefined);
    expect(policies).toHaveLength(1);
    const out: string[] = [];
    const doc = (policies[0] as { PolicyDocument: { Statement: unknown[] } }).PolicyDocument;
    for (const st of doc.Statement) {
      if (!isRecord(st)) continue;
      expect(st.Effect).toBe('Allow');
      const cond = st.Condition as { StringEquals: Record<string, string> };
      expect(Object.keys(cond)).toEqual(['StringEquals']);
      const job = cond.StringEquals['aws:PrincipalTag/palette-onboarding-job'];
      expect(SECRET_JOB_NAMES).toContain(job);
      for (const a of asArray(st.Action as string | string[])) {
        for (const r of asArray(st.Resource as unknown).map(renderResource)) {
          expect(r.startsWith(PREFIX), r).toBe(true);
          out.push(`${job} ${r.slice(PREFIX.length)} ${a.replace('secretsmanager:', '')}`);
        }
      }
    }
    expect(out.sort()).toEqual(EXPECTED_JOBS);
    // Delete only in the undo jobs; Restore only in the write jobs (re-onboarding); nobody untags, updates or sets a resource policy.
    expect(out.filter((g) => g.endsWith(' DeleteSecret')).map((g) => g.split(' ')[0])).toEqual(expect.arrayContaining(['access-key-delete', 'registrations-undo']));
    expect(new Set(out.filter((g) => g.endsWith(' DeleteSecret')).map((g) => g.split(' ')[0]))).toEqual(new Set(['access-key-delete', 'registrations-undo']));
    expect(new Set(out.filter((g) => g.endsWith(' RestoreSecret')).map((g) => g.split(' ')[0]))).toEqual(new Set(['access-key-write', 'ssh-key-write', 'api-key-write']));
    expect(out.filter((g) => / (UntagResource|UpdateSecret|PutResourcePolicy)$/.test(g))).toEqual([]);
  });

  it('TenantSecretsAccess trusts each function role for its own job only, with exactly the two session tags', () => {
    const [, role] = secretsRole(base.json);
    const trust = role.Properties?.AssumeRolePolicyDocument as { Statement: Array<Record<string, unknown>> };
    const CALLER_JOB = '${aws:PrincipalTag/palette-onboarding-job}';
    /** A function role's own job tag (what `${aws:PrincipalTag/palette-onboarding-job}` is for its sessions). */
    const jobTagOf = (roleId: string) =>
      asArray(base.json.Resources[roleId]?.Properties?.Tags as { Key: string; Value: string }[] | undefined)
        .filter((t) => t.Key === 'palette-onboarding-job')
        .map((t) => t.Value);
    const trusted = new Map<string, string[]>();
    for (const st of trust.Statement) {
      expect(st.Effect).toBe('Allow');
      expect(asArray(st.Action as string[]).sort()).toEqual(['sts:AssumeRole', 'sts:TagSession']);
      const job = (st.Condition as { StringEquals: Record<string, string> }).StringEquals['aws:RequestTag/palette-onboarding-job'] ?? '';
      expect(st.Condition).toEqual({
        StringEquals: { 'aws:RequestTag/palette-onboarding-job': job },
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['palette-onboarding-tenant', 'palette-onboarding-job'] },
        Null: { 'aws:RequestTag/palette-onboarding-tenant': 'false' },
      });
      for (const p of asArray((st.Principal as { AWS: unknown }).AWS)) {
        const principal = renderResource(p);
        // The session's job must be a job name, or the caller's own job tag (one per role).
        let jobs = [job];
        if (job === CALLER_JOB) {
          jobs = jobTagOf(/^\$\{(.+)\.Arn\}$/.exec(principal)?.[1] ?? '');
          expect(jobs, principal).toHaveLength(1);
        }
        trusted.set(principal, [...(trusted.get(principal) ?? []), ...jobs]);
      }
    }
    const expected = new Map<string, string[]>();
    for (const [fn, { jobs }] of Object.entries(EXPECTED)) if (jobs.length > 0) expected.set(`\${${roleOf(base.json, fn)}.Arn}`, jobs);
    expect(new Map([...trusted].map(([k, v]) => [k, v.sort()]))).toEqual(expected);
    // A function without a secret job carries no job tag either.
    for (const [fn, { jobs }] of Object.entries(EXPECTED)) if (jobs.length === 0) expect(jobTagOf(roleOf(base.json, fn)), fn).toEqual([]);
  });

  it('the user-supplied credentials are read by the registration kinds that take them, and by no other function', () => {
    const readers = REGISTRATION_KEYS.filter((k) => REGISTRATIONS[k].secrets.job === 'credentials-read').map(registrationFunctionName);
    expect(readers.sort()).toEqual(['ensure-azure-account', 'ensure-azure-backup-location', 'ensure-gcp-backup-location', 'ensure-minio-backup-location']);
    for (const fn of FUNCTION_NAMES) expect(jobsGranted(base.json, fn).includes('credentials-read'), fn).toBe(readers.includes(fn));
  });

  it('the Lambda environment names the TenantSecretsAccess role', () => {
    const [roleId] = secretsRole(base.json);
    for (const fn of FUNCTION_NAMES) {
      const env = (functionsByName(base.json).get(fn)?.[1].Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(renderResource(env.TENANT_SECRETS_ROLE_ARN), fn).toBe(`\${${roleId}.Arn}`);
    }
  });
});

describe('registration functions derive their secret job from the registrations table', () => {
  it('a job, or none', () => {
    expect(registrationSecretAccess({})).toEqual([]);
    expect(registrationSecretAccess({ job: 'credentials-read' })).toEqual(['tenantSecrets:credentials-read']);
    expect(registrationSecretAccess({ job: 'ssh-key-write', writes: 'ssh-private-key' })).toEqual(['tenantSecrets:ssh-key-write']);
  });

  it("every kind's function has exactly its table entry's grants", () => {
    for (const key of REGISTRATION_KEYS) {
      expect(REGISTRATION_FUNCTIONS[key].access).toEqual(['paletteApiKey', 'registryStep', ...registrationSecretAccess(REGISTRATIONS[key].secrets)]);
    }
  });
});
