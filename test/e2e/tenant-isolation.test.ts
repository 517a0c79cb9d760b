/**
 * Tenant isolation by IAM, end to end on the sandbox (README "Tenant isolation"): a crafted state — the input one of
 * tenant bravo's executions would carry, with alpha's secret, role, policy or bucket named in it — is handed straight
 * to each function that could touch it (invokeFunction: the function under its synthesized role, as a Task state
 * would run it, without ValidateRequest in front). The sandbox's IAM evaluation refuses every such call
 * (AccessDenied, recorded in `run.permissions`), and alpha's objects are byte-for-byte unchanged.
 *
 * - Secrets: every secret job's session is tagged with the plan's tenant; TenantSecretsAccess names secrets with
 *   `${aws:PrincipalTag/palette-onboarding-tenant}`, so bravo's session cannot read, write or delete alpha's.
 * - Roles, users, policies: the session policy of bravo's job allows actions only on objects marked for bravo (or
 *   unmarked), so alpha's marked role / policy in the same account is out of reach.
 * - Buckets: the session policy holds `aws:ResourceAccount` = bravo's account, so alpha's bucket in another account is
 *   out of reach. (Two tenants sharing one account are kept apart, for buckets, by the ownership rule: asserted too.)
 * - Every secret job, straight from its function's role: a session tagged for bravo is refused every action of the job
 *   on alpha's secrets. A function may start secret sessions for its own job only, always with a tenant.
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_METADATA_KEY } from '../../cdk/lib/constructs/onboarding-function';
import { JOB_SESSION_TAG, SECRET_JOB_NAMES, SECRET_JOBS, TENANT_SESSION_TAG, type SecretJobName } from '../../lambdas/domain/secret-access';
import { invokeFunction, loadWorkflow, runOnboarding, templateRoles, type LocalRunResult, type LocalWorkflow } from '../../local/runner';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { SandboxWorld, type TenantNames } from './tenant-world';

let sb: RunningLocalSandbox;
let workflow: LocalWorkflow;
let world: SandboxWorld;

const ACCOUNT = '616161616161';
const OTHER_ACCOUNT = '626262626262';
const secretArn = (tenantId: string, name: string) => `arn:aws:secretsmanager:us-east-1:000000000000:secret:palette-onboarding-credentials/${tenantId}/${name}`;

/** Alpha: static user (access-key secret), SSH key and API key (generated secrets), MinIO credentials (supplied). */
const alphaRequest = {
  tenantId: 'alpha',
  aws: { accountId: ACCOUNT, region: 'us-east-1', credentialMode: 'static', bucket: { name: 'alpha-isolation-backups' } },
  sshKey: {},
  apiKey: { expiry: '30d' },
  backupLocations: { minio: { bucket: 'alpha-velero', s3Url: 'http://127.0.0.1:4566', credentialsSecretArn: secretArn('alpha', 'minio-keys') } },
};
/** Alpha's STS twin in the same account (its role and policy are marked for it). */
const alphaStsRequest = { tenantId: 'alpha-sts', aws: { accountId: ACCOUNT, region: 'us-east-1', credentialMode: 'sts', bucket: { name: 'alpha-sts-isolation-backups' } } };
const ALPHA: TenantNames = {
  tenantId: 'alpha',
  accountId: ACCOUNT,
  bucket: 'alpha-isolation-backups',
  paletteNames: ['alpha-s3', 'alpha-ssh', 'alpha-automation', 'alpha-minio'],
};
const ALPHA_STS: TenantNames = { tenantId: 'alpha-sts', accountId: ACCOUNT, bucket: 'alpha-sts-isolation-backups', paletteNames: ['alpha-sts-aws', 'alpha-sts-s3'] };

/** The event each function got in a run, by function name (template metadata). */
let payloads: Map<string, unknown>;
let stsPayloads: Map<string, unknown>;

function payloadsOf(run: LocalRunResult): Map<string, unknown> {
  const template = workflow.assembly.stacks.find((s) => s.stackName === run.stateMachine.stackName)?.template;
  const out = new Map<string, unknown>();
  for (const e of run.history) {
    if (e.type !== 'LambdaFunctionScheduled' || !e.functionLogicalId) continue;
    const name = template?.Resources[e.functionLogicalId]?.Metadata?.[FUNCTION_METADATA_KEY];
    if (typeof name === 'string' && !out.has(name)) out.set(name, e.input);
  }
  return out;
}

beforeAll(async () => {
  workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 0 } }, palette: { port: 0 }, env: {} });
  world = new SandboxWorld(sb);
  await world.operatorIn(OTHER_ACCOUNT);
  const alpha = await runOnboarding(alphaRequest, { sandbox: sb, workflow });
  expect(alpha.errorMessage).toBeUndefined();
  expect(alpha.status).toBe('SUCCEEDED');
  const alphaSts = await runOnboarding(alphaStsRequest, { sandbox: sb, workflow });
  expect(alphaSts.status).toBe('SUCCEEDED');
  payloads = payloadsOf(alpha);
  stsPayloads = payloadsOf(alphaSts);
}, 600_000);
afterAll(async () => {
  await sb?.stop();
});

/** The compensation functions take the same {execution, job} state as the ensure steps; alpha's run had no failure. */
const SAME_STATE_AS: Record<string, string> = { 'undo-registrations': 'verify-registrations', 'undo-principal': 'ensure-static-user' };

/**
 * Alpha's event for `fn`, turned into bravo's: the plan says tenant bravo and bravo's execution, every name in it stays
 * alpha's (a state no validated request produces: names derive from the tenant id or are claimed in the registry).
 */
function asBravo(source: Map<string, unknown>, fn: string, over: (plan: Record<string, unknown>) => Record<string, unknown> = (p) => p): unknown {
  const event = structuredClone(source.get(fn) ?? source.get(SAME_STATE_AS[fn] ?? '')) as
    | { execution: Record<string, unknown>; job: { plan: Record<string, unknown> } & Record<string, unknown> }
    | undefined;
  if (!event) throw new Error(`alpha's run did not invoke ${fn}`);
  expect(event.job.plan.tenantId).toMatch(/^alpha/);
  const name = 'bravo-0123456789ab';
  return { ...event, execution: { ...event.execution, name }, job: { ...event.job, plan: over({ ...event.job.plan, tenantId: 'bravo', executionName: name }) } };
}

/** The calls IAM refused to `fn` (its own role, or a role it assumed), as "action resource". */
function denials(run: LocalRunResult): string[] {
  const out: string[] = [];
  for (const f of Object.values(run.permissions ?? {})) {
    for (const d of f.denied) out.push(`${d.action} ${d.resource}`);
    for (const a of Object.values(f.assumed ?? {})) for (const d of a.denied) out.push(`${d.action} ${d.resource}`);
  }
  return out;
}

async function invokeAsBravo(fn: string, event: unknown): Promise<LocalRunResult> {
  return invokeFunction(fn, event, { sandbox: sb, workflow });
}

/** Runs `act` and checks that alpha's (and alpha-sts's) objects are byte-for-byte what they were before it. */
async function unchanged<T>(act: () => Promise<T>): Promise<T> {
  const before = { alpha: await world.snapshot(ALPHA), alphaSts: await world.snapshot(ALPHA_STS) };
  const out = await act();
  expect({ alpha: await world.snapshot(ALPHA), alphaSts: await world.snapshot(ALPHA_STS) }).toEqual(before);
  return out;
}

describe("bravo's crafted state cannot reach alpha's secrets (TenantSecretsAccess, one tenant per session)", () => {
  const ALPHA_SECRET = /secret:palette-onboarding(-credentials)?\/alpha\//;
  // ensure-static-user (access-key-write) records its intent to create bravo's user before it reaches the secret, which
  // a crafted state without bravo's lease cannot: its job is checked directly, with every other job, below.
  /** Bravo's own IAM user (it does not exist: nothing of alpha's IAM is in the way of the secret). */
  const bravoUser = (p: Record<string, unknown>) => ({ ...p, principalName: 'palette-onboarding-bravo' });
  /** Bravo's own Palette name for a registration (so the Palette ownership check is not what stops it). */
  const bravoName = (key: string) => (p: Record<string, unknown>) => {
    const registrations = p.registrations as Record<string, Record<string, unknown>>;
    return { ...p, registrations: { ...registrations, [key]: { ...registrations[key], name: `bravo-${key}` } } };
  };
  const cases: [string, string, (p: Record<string, unknown>) => Record<string, unknown>][] = [
    ['check-readiness', 'access-key-read: the key given to Palette', (p) => p],
    ['ensure-backup-location', 'access-key-read: the key given to Palette', bravoName('backupLocation')],
    ['ensure-ssh-key', 'ssh-key-write: the SSH private key', bravoName('sshKey')],
    ['ensure-api-key', 'api-key-write: the API key value', bravoName('apiKey')],
    ['ensure-minio-backup-location', 'credentials-read: the MinIO credentials alpha supplied', bravoName('minioBackupLocation')],
    ['undo-registrations', 'registrations-undo: the generated SSH / API key secrets', (p) => p],
    ['undo-principal', 'access-key-delete: the stored access key', bravoUser],
  ];

  it.each(cases)("%s (%s): AccessDenied on alpha's secret; alpha unchanged", async (fn, _job, over) => {
    const run = await unchanged(() => invokeAsBravo(fn, asBravo(payloads, fn, over)));
    expect(run.status).toBe('FAILED');
    const denied = denials(run);
    expect(denied.some((d) => ALPHA_SECRET.test(d)), `${fn}: ${run.error} ${run.errorMessage}\n${denied.join('\n')}`).toBe(true);
  });

  it("the same function with alpha's own plan is allowed (the denial is about the tenant, not the function)", async () => {
    const run = await invokeAsBravo('check-readiness', structuredClone(payloads.get('check-readiness')));
    expect(denials(run)).toEqual([]);
  });
});

describe("bravo's crafted state cannot reach alpha's role, user or policy in the same account (tenant mark in the session policy)", () => {
  it("ensure-sts-role naming alpha-sts's role: AccessDenied; the role is unchanged", async () => {
    const run = await unchanged(() => invokeAsBravo('ensure-sts-role', asBravo(stsPayloads, 'ensure-sts-role')));
    expect(run.status).toBe('FAILED');
    expect(denials(run).some((d) => d.includes(':role/') && d.includes('alpha-sts')), denials(run).join('\n')).toBe(true);
  });

  it("ensure-backup-policy naming alpha-sts's policy: AccessDenied; the policy is unchanged", async () => {
    const run = await unchanged(() => invokeAsBravo('ensure-backup-policy', asBravo(stsPayloads, 'ensure-backup-policy')));
    expect(run.status).toBe('FAILED');
    expect(denials(run).some((d) => d.includes(':policy/') && d.includes('alpha-sts')), denials(run).join('\n')).toBe(true);
  });

  it("ensure-static-user naming alpha's user: AccessDenied; the user and its keys are unchanged", async () => {
    const run = await unchanged(() => invokeAsBravo('ensure-static-user', asBravo(payloads, 'ensure-static-user')));
    expect(run.status).toBe('FAILED');
    expect(denials(run).some((d) => (d.includes(':user/') && d.includes('alpha')) || /secret:palette-onboarding\/alpha\//.test(d)), denials(run).join('\n')).toBe(true);
  });
});

describe("bravo's crafted state and alpha's bucket", () => {
  it('from another account: AccessDenied (aws:ResourceAccount); the bucket is unchanged', async () => {
    const event = asBravo(payloads, 'ensure-bucket', (p) => ({ ...p, target: { ...(p.target as object), accountId: OTHER_ACCOUNT } }));
    const run = await unchanged(() => invokeAsBravo('ensure-bucket', event));
    expect(run.status).toBe('FAILED');
    expect(denials(run).some((d) => d.includes(':s3:::alpha-isolation-backups')), denials(run).join('\n')).toBe(true);
  });

  it('in the same account: refused by the ownership rule (S3 has no tag conditions on bucket operations); unchanged', async () => {
    const run = await unchanged(() => invokeAsBravo('ensure-bucket', asBravo(payloads, 'ensure-bucket')));
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatch(/OwnershipError|TenantBusyError|TenantBindingError/);
  });
});

describe("every secret job, from its function's own role: a session for bravo cannot touch alpha's secrets", () => {
  /** Alpha's secret each job works on. */
  const ALPHA_SECRETS: Record<SecretJobName, string[]> = {
    'access-key-read': ['palette-onboarding/alpha/aws-access-key'],
    'access-key-write': ['palette-onboarding/alpha/aws-access-key'],
    'access-key-delete': ['palette-onboarding/alpha/aws-access-key'],
    'ssh-key-write': ['palette-onboarding/alpha/ssh-private-key'],
    'api-key-write': ['palette-onboarding/alpha/palette-api-key'],
    'registrations-undo': ['palette-onboarding/alpha/ssh-private-key', 'palette-onboarding/alpha/palette-api-key'],
    'credentials-read': ['palette-onboarding-credentials/alpha/minio-keys'],
  };
  /** One call per Secrets Manager action a job has. */
  const CALLS: Record<string, (sm: SecretsManagerClient, name: string) => Promise<unknown>> = {
    'secretsmanager:GetSecretValue': (sm, SecretId) => sm.send(new GetSecretValueCommand({ SecretId })),
    'secretsmanager:DescribeSecret': (sm, SecretId) => sm.send(new DescribeSecretCommand({ SecretId })),
    'secretsmanager:CreateSecret': (sm, Name) => sm.send(new CreateSecretCommand({ Name, SecretString: '{"stolen":true}' })),
    'secretsmanager:PutSecretValue': (sm, SecretId) => sm.send(new PutSecretValueCommand({ SecretId, SecretString: '{"overwritten":true}' })),
    'secretsmanager:TagResource': (sm, SecretId) => sm.send(new TagResourceCommand({ SecretId, Tags: [{ Key: 'palette-onboarding:tenant', Value: 'bravo' }] })),
    'secretsmanager:DeleteSecret': (sm, SecretId) => sm.send(new DeleteSecretCommand({ SecretId, ForceDeleteWithoutRecovery: true })),
    'secretsmanager:RestoreSecret': (sm, SecretId) => sm.send(new RestoreSecretCommand({ SecretId })),
  };

  /** The function roles of the stack by the secret job they are tagged with, and the TenantSecretsAccess role. */
  function rolesByJob(): { byJob: Map<string, string>; secretsRole: string } {
    const stack = workflow.assembly.stacks.find((s) => Object.keys(s.template.Resources).some((id) => id.startsWith('TenantSecretsAccess')));
    if (!stack) throw new Error('no stack with TenantSecretsAccess');
    const roles = templateRoles(stack.template, { stackName: stack.stackName, partition: 'aws', region: sb.aws.region, accountId: sb.aws.accountId });
    const byJob = new Map<string, string>();
    for (const r of roles) {
      const job = r.tags.find((t) => t.Key === JOB_SESSION_TAG)?.Value;
      if (job && !byJob.has(job)) byJob.set(job, r.arn);
    }
    const secretsRole = roles.find((r) => r.logicalId.startsWith('TenantSecretsAccess'))?.arn;
    if (!secretsRole) throw new Error('TenantSecretsAccess is not among the roles the runner creates');
    return { byJob, secretsRole };
  }

  /** Secrets Manager as a session of TenantSecretsAccess started by `functionRole` with `tags`. */
  async function secretsSession(functionRole: string, secretsRole: string, tags: { Key: string; Value: string }[]) {
    const fn = await sb.aws.serviceSession({ roleArn: functionRole, service: 'lambda.amazonaws.com', sessionName: 'isolation-test' });
    const sts = new STSClient({
      endpoint: sb.aws.endpoint,
      region: sb.aws.region,
      credentials: { accessKeyId: fn.accessKeyId, secretAccessKey: fn.secretAccessKey, sessionToken: fn.sessionToken },
    });
    try {
      const out = await sts.send(new AssumeRoleCommand({ RoleArn: secretsRole, RoleSessionName: 'bravo-0123456789ab', Tags: tags }));
      const c = out.Credentials;
      return new SecretsManagerClient({
        endpoint: sb.aws.endpoint,
        region: sb.aws.region,
        credentials: { accessKeyId: c?.AccessKeyId ?? '', secretAccessKey: c?.SecretAccessKey ?? '', sessionToken: c?.SessionToken ?? '' },
      });
    } finally {
      sts.destroy();
    }
  }

  it.each(SECRET_JOB_NAMES)('%s: every action of the job on alpha\'s secret is AccessDenied; alpha unchanged', async (job) => {
    const { byJob, secretsRole } = rolesByJob();
    const fnRole = byJob.get(job);
    expect(fnRole, `a function role is tagged with ${job}`).toBeDefined();
    const sm = await secretsSession(fnRole ?? '', secretsRole, [
      { Key: TENANT_SESSION_TAG, Value: 'bravo' },
      { Key: JOB_SESSION_TAG, Value: job },
    ]);
    await unchanged(async () => {
      for (const name of ALPHA_SECRETS[job]) {
        for (const action of SECRET_JOBS[job].actions) {
          const call = CALLS[action];
          expect(call, action).toBeDefined();
          await expect(call?.(sm, name), `${job} ${action} ${name}`).rejects.toMatchObject({ name: 'AccessDeniedException' });
        }
      }
    });
    // The same role, tagged for alpha, reads what the job reads (the denial is about the tenant).
    const read = SECRET_JOBS[job].actions.find((a) => a === 'secretsmanager:GetSecretValue' || a === 'secretsmanager:DescribeSecret');
    if (read) {
      const asAlpha = await secretsSession(fnRole ?? '', secretsRole, [
        { Key: TENANT_SESSION_TAG, Value: 'alpha' },
        { Key: JOB_SESSION_TAG, Value: job },
      ]);
      await expect(CALLS[read]?.(asAlpha, ALPHA_SECRETS[job][0] ?? '')).resolves.toBeDefined();
      asAlpha.destroy();
    }
    sm.destroy();
  });

  it("a function role may start a session for its own job only, and only with a tenant", async () => {
    const { byJob, secretsRole } = rolesByJob();
    const reader = byJob.get('access-key-read') ?? '';
    const tags = (job?: string, tenant?: string) => [
      ...(tenant ? [{ Key: TENANT_SESSION_TAG, Value: tenant }] : []),
      ...(job ? [{ Key: JOB_SESSION_TAG, Value: job }] : []),
    ];
    await expect(secretsSession(reader, secretsRole, tags('access-key-read', 'alpha'))).resolves.toBeDefined();
    await expect(secretsSession(reader, secretsRole, tags('access-key-write', 'alpha'))).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(secretsSession(reader, secretsRole, tags('access-key-delete', 'alpha'))).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(secretsSession(reader, secretsRole, tags('access-key-read'))).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(secretsSession(reader, secretsRole, tags())).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(
      secretsSession(reader, secretsRole, [...tags('access-key-read', 'alpha'), { Key: 'extra', Value: 'x' }]),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});
