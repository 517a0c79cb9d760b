/**
 * The local runner runs every handler under its synthesized execution role: the roles of the template are created in
 * the sandbox, each handler gets a Lambda session of ITS function's role (through the SDK's container credential
 * provider, never the admin keys), the sandbox's IAM evaluation decides every call, and `run.permissions` records
 * what each function was allowed and denied.
 *
 * The product app (today's grants) and a tiny fixture app (test/e2e/fixtures/roles-app.ts) whose Reader function may
 * read one secret but not another.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAssembly } from '../../local/runner/assembly';
import type { ProgressEvent } from '../../local/runner/execute';
import { compareUsage, grantedActions, grantedActionsByFunction } from '../../local/runner/permissions-report';
import { ensureSandboxSecret, loadWorkflow, runOnboarding, runStateMachine, sandboxEndpoints, type LocalRunResult, type LocalWorkflow } from '../../local/runner';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { ALLOWED_SECRET, FORBIDDEN_SECRET, ROLES_STACK, rolesAssemblySource } from './fixtures/roles-app';

let sb: RunningLocalSandbox;

beforeAll(async () => {
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 200 } }, palette: { port: 0 }, env: {} });
  await ensureSandboxSecret(sandboxEndpoints(sb), ALLOWED_SECRET, { value: 'allowed' });
  await ensureSandboxSecret(sandboxEndpoints(sb), FORBIDDEN_SECRET, { value: 'forbidden' });
}, 120_000);
afterAll(async () => {
  await sb?.stop();
});

const byPrefix = <T>(record: Record<string, T> | undefined, prefix: string): T | undefined =>
  Object.entries(record ?? {}).find(([id]) => id.startsWith(prefix))?.[1];

interface Whoami {
  arns: string[];
  accessKeyId: string;
  awsEnv: Record<string, string>;
}

describe('the onboarding app under its synthesized roles', () => {
  let workflow: LocalWorkflow;
  let run: LocalRunResult;
  const progress: ProgressEvent[] = [];

  beforeAll(async () => {
    workflow = await loadWorkflow();
    run = await runOnboarding(
      { tenantId: 'least-priv', aws: { accountId: '717171717171', region: 'us-east-1', credentialMode: 'sts' } },
      { sandbox: sb, workflow, onProgress: (e) => progress.push(e) },
    );
  }, 300_000);

  it('onboards an STS tenant with no AccessDenied', () => {
    // Assess
    expect(run.errorMessage).toBeUndefined();
    expect(run.status).toBe('SUCCEEDED');
    expect(run.roles).toBe('synthesized');
    expect(progress.filter((e) => e.kind === 'permission-denied')).toEqual([]);
    for (const p of Object.values(run.permissions ?? {})) {
      expect(p.denied).toEqual([]);
      for (const assumed of Object.values(p.assumed ?? {})) expect(assumed.denied).toEqual([]);
    }
  });

  it('records what each function used: EnsureBucket assumes the tenant role, ValidateRequest reads the registry', () => {
    // Assess
    const ensureBucket = byPrefix(run.permissions, 'FunctionsEnsureBucket');
    const validate = byPrefix(run.permissions, 'FunctionsValidateRequest');
    expect(ensureBucket?.role).toMatch(/^arn:aws:iam::000000000000:role\/PaletteOnboardingStack-FunctionsEnsureBucketRole/);
    expect(ensureBucket?.allowed).toContain('sts:AssumeRole');
    expect(ensureBucket?.assumed?.['arn:aws:iam::717171717171:role/OrganizationAccountAccessRole']?.allowed).toContain('s3:CreateBucket');
    expect(validate?.allowed).toContain('dynamodb:GetItem');
    expect(validate?.assumed).toBeUndefined();
  });

  it("compares the roles' grants with what the run used", () => {
    // Prepare
    const template = workflow.assembly.stack('PaletteOnboardingStack').template;

    // Act
    const report = compareUsage(grantedActionsByFunction(template), run.permissions ?? {});

    // Assess
    const validate = byPrefix(report, 'FunctionsValidateRequest');
    expect(validate?.used).toEqual(expect.arrayContaining(['dynamodb:GetItem']));
    expect(validate?.granted).toEqual(expect.arrayContaining(['dynamodb:GetItem']));
    // Whatever a function was allowed, its role granted (no run used an action outside its grants).
    for (const r of Object.values(report)) {
      for (const used of r.used) expect(r.granted.some((g) => g === used || g.includes('*'))).toBe(true);
    }
  });
});

describe('the roles fixture app', () => {
  let workflow: LocalWorkflow;
  beforeAll(async () => {
    workflow = { assembly: await loadAssembly(rolesAssemblySource()) };
  }, 180_000);

  it('runs concurrent handlers each with the session of its own role, never with the admin keys in its environment', async () => {
    // Act
    const run = await runStateMachine({}, { sandbox: sb, workflow, stateMachine: 'RolesMachine', executionName: 'roles-ok' });

    // Assess
    expect(run.errorMessage).toBeUndefined();
    expect(run.status).toBe('SUCCEEDED');
    const [a, b] = (run.output as { whoami: Array<{ a?: Whoami; b?: Whoami }> }).whoami;
    const fnA = run.invocations.find((i) => i.state === 'WhoamiATask')?.functionLogicalId ?? '';
    const fnB = run.invocations.find((i) => i.state === 'WhoamiBTask')?.functionLogicalId ?? '';
    expect(a?.a?.arns).toEqual([expect.stringMatching(new RegExp(`^arn:aws:sts::000000000000:assumed-role/${ROLES_STACK}-WhoamiAServiceRole[0-9A-F]+/${ROLES_STACK}-${fnA}$`))]);
    expect(b?.b?.arns).toEqual([expect.stringMatching(new RegExp(`^arn:aws:sts::000000000000:assumed-role/${ROLES_STACK}-WhoamiBServiceRole[0-9A-F]+/${ROLES_STACK}-${fnB}$`))]);
    expect(a?.a?.accessKeyId).toMatch(/^ASIA/);
    expect(a?.a?.accessKeyId).not.toBe(b?.b?.accessKeyId);
    for (const env of [a?.a?.awsEnv, b?.b?.awsEnv]) {
      expect(env?.AWS_ACCESS_KEY_ID).toBeUndefined();
      expect(env?.AWS_SECRET_ACCESS_KEY).toBeUndefined();
      expect(env?.AWS_SESSION_TOKEN).toBeUndefined();
      expect(env?.AWS_CONTAINER_CREDENTIALS_FULL_URI).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
      expect(JSON.stringify(env)).not.toContain(sb.aws.accessKeyId);
      expect(JSON.stringify(env)).not.toContain(sb.aws.secretAccessKey);
    }
    expect(run.environment.AWS_ACCESS_KEY_ID).toBeUndefined();
    expect(byPrefix(run.permissions, 'Reader')).toEqual({
      role: expect.stringMatching(new RegExp(`^arn:aws:iam::000000000000:role/${ROLES_STACK}-ReaderServiceRole`)),
      allowed: ['secretsmanager:GetSecretValue'],
      denied: [],
    });
    expect(byPrefix(run.permissions, 'WhoamiA')).toMatchObject({ allowed: [], denied: [] });
  });

  it('fails the step with AccessDenied when the role lacks the permission, and records the denial', async () => {
    // Prepare
    const progress: ProgressEvent[] = [];

    // Act
    const run = await runStateMachine({}, { sandbox: sb, workflow, stateMachine: 'DeniedMachine', executionName: 'roles-denied', onProgress: (e) => progress.push(e) });

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('AccessDeniedException');
    expect(run.errorMessage).toMatch(/is not authorized to perform: secretsmanager:GetSecretValue/);
    const reader = byPrefix(run.permissions, 'Reader');
    expect(reader?.allowed).toEqual([]);
    expect(reader?.denied).toEqual([
      {
        action: 'secretsmanager:GetSecretValue',
        resource: expect.stringMatching(new RegExp(`^arn:aws:secretsmanager:us-east-1:000000000000:secret:${FORBIDDEN_SECRET}-[A-Za-z0-9]{6}$`)),
        reason: 'ImplicitDeny',
        state: 'ReadForbidden',
      },
    ]);
    expect(progress).toContainEqual(expect.objectContaining({ kind: 'permission-denied', state: 'ReadForbidden', action: 'secretsmanager:GetSecretValue' }));
  });

  it('reports the Reader grant it never uses (DescribeSecret) as excess, and the denial as missing', async () => {
    // Prepare
    const ok = await runStateMachine({}, { sandbox: sb, workflow, stateMachine: 'RolesMachine', executionName: 'roles-report-ok' });
    const denied = await runStateMachine({}, { sandbox: sb, workflow, stateMachine: 'DeniedMachine', executionName: 'roles-report-denied' });
    const template = workflow.assembly.stack(ROLES_STACK).template;
    const readerId = Object.keys(template.Resources).find((id) => id.startsWith('Reader') && template.Resources[id]?.Type === 'AWS::Lambda::Function') ?? '';

    // Act
    const report = compareUsage({ [readerId]: grantedActions(template, readerId) }, [ok.permissions, denied.permissions]);

    // Assess
    expect(report[readerId]).toMatchObject({
      used: ['secretsmanager:GetSecretValue'],
      unused: ['secretsmanager:DescribeSecret'],
      platform: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
      denied: [expect.objectContaining({ action: 'secretsmanager:GetSecretValue', resource: expect.stringContaining(FORBIDDEN_SECRET) })],
    });
  });

  it('keeps a warm container on its session, and gives the container after a crash a fresh one', async () => {
    // Prepare
    const keyOf = (r: LocalRunResult) => ((r.output as { whoami?: Array<{ a?: Whoami }> } | undefined)?.whoami?.[0]?.a?.accessKeyId ?? '');
    const first = await runStateMachine({}, { sandbox: sb, workflow, stateMachine: 'RolesMachine', executionName: 'roles-warm-1' });
    const warm = await runStateMachine({}, { sandbox: sb, workflow, stateMachine: 'RolesMachine', executionName: 'roles-warm-2' });

    // Act
    const crashed = await runStateMachine({}, { sandbox: sb, workflow, stateMachine: 'RolesMachine', executionName: 'roles-crash', crashes: [{ after: 'aws:sts:GetCallerIdentity', state: 'WhoamiATask' }] });
    const after = await runStateMachine({}, { sandbox: sb, workflow, stateMachine: 'RolesMachine', executionName: 'roles-after-crash' });

    // Assess
    expect(keyOf(first)).toMatch(/^ASIA/);
    expect(keyOf(warm)).toBe(keyOf(first));
    expect(crashed.error).toBe('Lambda.Unknown');
    expect(after.status).toBe('SUCCEEDED');
    expect(after.invocations.find((i) => i.state === 'WhoamiATask')?.coldStart).toBe(true);
    expect(keyOf(after)).toMatch(/^ASIA/);
    expect(keyOf(after)).not.toBe(keyOf(first));
  });

  it("with roles: 'admin', runs every handler with the sandbox's admin keys (today's behaviour, for comparison)", async () => {
    // Act
    const run = await runStateMachine({}, { sandbox: sb, workflow, stateMachine: 'DeniedMachine', executionName: 'roles-admin', roles: 'admin' });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.roles).toBe('admin');
    expect(run.permissions).toBeUndefined();
    expect(run.environment.AWS_ACCESS_KEY_ID).toBe(sb.aws.accessKeyId);
    expect(createHash('sha256').update(JSON.stringify(run.output)).digest('hex')).toHaveLength(64);
  });
});
