/**
 * A crash after every create (the sandbox kills the handler right after the AWS or Palette call that created
 * something: the side effect is applied, the handler never learns it and never marks it), swept over every create
 * call the workflow makes, end to end through the state machine. Step Functions reports the dead invocation as
 * Lambda.Unknown, which the state retries (lambdas/shared/retryable-errors.ts):
 * - with a permanent failure injected at the end of the run (VerifyRegistrations), compensation after such a crash
 *   leaves an empty diff: the tenant's account, the home account's secrets and registry claims, and Palette are as
 *   before, and the registry records the tenant FAILED owning nothing;
 * - the crash alone: the retried step converges and the execution succeeds, with exactly as many objects as the
 *   crash-free reference run of the shape made (nothing duplicated).
 * The create calls are not listed by hand: a reference run of each request shape records them (`recordCalls`),
 * so a new create call in the workflow is swept without touching this file.
 *
 * The STS tenant's creates (bucket, backup policy, role, cloud account, backup location) are swept by the reliability
 * campaign instead (test/reliability/campaign.test.ts R2 in CI: a crash after every side-effecting call of the sts
 * kind, compensation sampled; `npm run reliability`: every kind, compensation after each): this file sweeps what the
 * static-credentials and the full tenant add (user, access key, secrets, the other Palette registrations).
 *
 * `CRASH_SWEEP=quick` runs only the first create of each shape (a smoke test); the default is the whole sweep.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkflow, runOnboarding, sandboxEndpoints, type LocalRunResult, type LocalWorkflow, type RecordedCall } from '../../local/runner';
import { prepareRequestFixtures } from '../../local/runner/fixtures';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { SandboxWorld } from './tenant-world';
import { REQUEST_SHAPES } from './fixtures/request-shapes';

let sb: RunningLocalSandbox;
let workflow: LocalWorkflow;
let world: SandboxWorld;

beforeAll(async () => {
  workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 100 } }, palette: { port: 0 }, env: {} });
  world = new SandboxWorld(sb);
}, 300_000);
afterAll(async () => {
  await sb?.stop();
});

/** Request shapes whose creates, with the STS tenant's (swept by the campaign), are every create call of the workflow (the full one as `registrations`). */
const SHAPES: Record<string, (tenantId: string, accountId: string) => Record<string, unknown>> = {
  static: REQUEST_SHAPES.static,
  registrations: REQUEST_SHAPES.full,
};

/**
 * The calls of a run that create something: AWS Create* calls and Palette POSTs that are not validations; each as the
 * crash rule that kills its invocation (its state and function: the Registrations Map runs every kind's function in
 * one state, EnsureRegistration).
 */
function createCalls(calls: readonly RecordedCall[]): { state: string; function: string; after: string }[] {
  return calls
    .filter((c) => c.status >= 200 && c.status < 300 && c.state.startsWith('Ensure'))
    .filter((c) => /^aws:[a-z0-9]+:Create/.test(c.operation) || (/^palette:POST /.test(c.operation) && !/validate/.test(c.operation)))
    .map((c) => ({ state: c.state, function: c.function, after: c.operation }));
}

let accountSeq = 0;
const nextAccount = () => `9${String(1000 + accountSeq++).padStart(11, '0')}`;

/** What must be exactly as before after a compensated run: everything except the tenant's own registry record. */
async function everything(tenantId: string, accountId: string) {
  const home = Object.fromEntries(
    Object.entries(world.inventory(sb.aws.accountId)).map(([type, ids]) => [type, ids.filter((id) => !id.includes(`"tenant#${tenantId}"`))]),
  );
  return { account: world.inventory(accountId), home, palette: world.paletteObjects(), apiKeys: world.paletteApiKeys() };
}

const quick = process.env.CRASH_SWEEP === 'quick';

/** The crashed state's retry after 100 ms instead of its 2 s (jittered) back-off: the sweep is about convergence. */
const quickRetry = (state: string) => ({ retryIntervalOverridesMs: { [state]: 100 } });

/** The last task of every run: a permanent failure injected after it makes the execution compensate. */
const LAST_TASK = 'VerifyRegistrations';
/** afterTask hook: fail `state` with a permanent (not retried) error once it succeeded. */
const failAt = (state: string) => (s: string) => {
  if (s !== state) return;
  const e = new Error(`injected permanent failure after ${state}`);
  e.name = 'InjectedFailure';
  throw e;
};

/** How many objects of each kind a tenant has: in its account, its home-account secrets, its Palette objects. */
function counts(tenantId: string, accountId: string) {
  const account = Object.fromEntries(Object.entries(world.inventory(accountId)).map(([type, ids]) => [type, ids.length]));
  const secrets = (world.inventory(sb.aws.accountId).secrets ?? []).filter((id) => id.includes(`/${tenantId}/`)).length;
  const palette = Object.keys(world.paletteObjects()).filter((k) => k.split('/').at(-1)?.startsWith(`${tenantId}-`)).length;
  const apiKeys = Object.keys(world.paletteApiKeys()).filter((k) => k.startsWith(`${tenantId}-`)).length;
  return { account, secrets, palette, apiKeys };
}

/** Creates each shape must at least make (so a recording that missed calls cannot make the sweep vacuous). */
const EXPECTED: Record<string, string[]> = {
  static: ['ensure-static-user aws:iam:CreateUser', 'ensure-static-user aws:iam:CreateAccessKey', 'ensure-static-user aws:secretsmanager:CreateSecret'],
  registrations: [
    'ensure-azure-account palette:POST /v1/cloudaccounts/azure',
    'ensure-ssh-key aws:secretsmanager:CreateSecret',
    'ensure-ssh-key palette:POST /v1/users/assets/sshkeys',
    'ensure-api-key palette:POST /v1/apiKeys',
    'ensure-api-key aws:secretsmanager:CreateSecret',
    'ensure-gcp-backup-location palette:POST /v1/users/assets/locations/gcp',
    'ensure-minio-backup-location palette:POST /v1/users/assets/locations/minio',
    'ensure-azure-backup-location palette:POST /v1/users/assets/locations/azure',
  ],
};

/** The STS tenant's creates: every shape makes them too; the reliability campaign's R2 sweeps them (see the header). */
const SWEPT_BY_CAMPAIGN = new Set([
  'ensure-bucket aws:s3:CreateBucket',
  'ensure-backup-policy aws:iam:CreatePolicy',
  'ensure-sts-role aws:iam:CreateRole',
  'ensure-cloud-account palette:POST /v1/cloudaccounts/aws',
  'ensure-backup-location palette:POST /v1/users/assets/locations/s3',
]);

/** Creates already swept by the campaign or an earlier shape (the shapes overlap: every one makes a bucket and a policy). */
const sweptBefore = new Set<string>(SWEPT_BY_CAMPAIGN);

describe.each(Object.keys(SHAPES))('a crash after every create of the %s request', (shape) => {
  let creates: { state: string; function: string; after: string }[] = [];
  let referenceCounts: ReturnType<typeof counts>;

  beforeAll(async () => {
    const refAccount = nextAccount();
    const reference = await runOnboarding(SHAPES[shape]?.(`ref-${shape}`, refAccount), { sandbox: sb, workflow, recordCalls: true });
    referenceCounts = counts(`ref-${shape}`, refAccount);
    expect(reference.errorMessage).toBeUndefined();
    expect(reference.status).toBe('SUCCEEDED');
    creates = createCalls(reference.calls ?? []);
    expect(creates.map((c) => `${c.function} ${c.after}`)).toEqual(expect.arrayContaining(EXPECTED[shape] ?? []));
    creates = creates.filter((c) => !sweptBefore.has(`${c.function} ${c.after}`));
    if (quick) creates = creates.slice(0, 1);
  }, 300_000);

  it('sweeps every create: the retried step converges without duplicates, and compensation after it leaves an empty diff', async () => {
    // Prepare / Act / Assess once per create call the reference run made.
    expect(creates.length).toBeGreaterThan(0);
    const swept: string[] = [];
    for (const [i, create] of creates.entries()) {
      // Prepare: a fresh tenant of the same shape; the stand-ins it references exist before "before".
      const tenantId = `cr-${shape.slice(0, 3)}-${i}`;
      const accountId = nextAccount();
      const request = SHAPES[shape]?.(tenantId, accountId);
      await world.operatorIn(accountId);
      await prepareRequestFixtures(request, sandboxEndpoints(sb));
      const before = await everything(tenantId, accountId);

      // Act: the handler dies right after the create; the step is retried; a permanent failure at the end of the run.
      const crashed: LocalRunResult = await runOnboarding(request, { sandbox: sb, workflow, crashes: [{ ...create }], afterTask: failAt(LAST_TASK), ...quickRetry(create.state) });

      // Assess: the crash happened where asked, the execution failed and compensated, and nothing is left.
      const label = `${create.function} ${create.after}`;
      expect(crashed.crashes, label).toEqual([expect.objectContaining({ state: create.state, function: create.function, after: create.after })]);
      expect(crashed.history.find((e) => e.type === 'LambdaFunctionFailed' && e.state === create.state)?.error, label).toBe('Lambda.Unknown');
      expect({ label, status: crashed.status, error: crashed.error }).toEqual({ label, status: 'FAILED', error: 'InjectedFailure' });
      expect({ label, ...(await everything(tenantId, accountId)) }).toEqual({ label, ...before });
      const record = await world.tenantRecord(tenantId);
      expect({ label, status: record?.status, resources: record?.resources, intents: record?.intents, lease: record?.lease }).toEqual({
        label,
        status: 'FAILED',
        resources: {},
        intents: {},
        lease: undefined,
      });

      // Act: the same request again, with the crash alone.
      const rerun = await runOnboarding(request, { sandbox: sb, workflow, executionName: `${tenantId}-rerun`, crashes: [{ ...create }], ...quickRetry(create.state) });
      // Assess: the retried step converged; nothing is duplicated (as many objects as the reference run made).
      expect(rerun.crashes, label).toHaveLength(1);
      expect({ label, status: rerun.status, error: rerun.errorMessage }).toEqual({ label, status: 'SUCCEEDED', error: undefined });
      expect({ label, ...counts(tenantId, accountId) }).toEqual({ label, ...referenceCounts });
      swept.push(label);
      sweptBefore.add(label);
    }
    expect(swept).toEqual(creates.map((c) => `${c.function} ${c.after}`));
  }, 900_000);
});
