/**
 * Re-validation (issue 12 item 4), through the synthesized Re-validation state machine on the sandbox: three tenants
 * are onboarded (sts, static, and a clean sts one); out of band, an operator edits the sts tenant's trust policy,
 * detaches its backup policy and deletes its S3 backup location in Palette, and the static tenant's access key ages.
 * A run finds each with the right check and reason, records the tenants DRIFTED with their findings and says so in
 * `Tenant Drift Detected`, and skips a tenant an execution holds, changing nothing of it. A run with remediation
 * starts each drifted tenant's onboarding again (its latest request; the aged key rotated), which repairs everything:
 * the next run finds nothing and every tenant is ACTIVE. Re-validation itself changes nothing in AWS or Palette.
 */
import { DetachRolePolicyCommand, ListAccessKeysCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevalidationSummarySchema, type Finding, type RevalidationSummary } from '../../lambdas/domain/drift';
import { PaletteClient } from '../../lambdas/services/palette';
import { awaitStartedExecutions, loadWorkflow, runOnboarding, runRevalidation, type LocalRunResult, type LocalWorkflow } from '../../local/runner';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { REQUEST_SHAPES } from './fixtures/request-shapes';
import { eventProblems, leakedSecrets, sandboxSecretValues } from './lifecycle-events';
import { SandboxWorld } from './tenant-world';

let sb: RunningLocalSandbox;
let workflow: LocalWorkflow;
let world: SandboxWorld;
let palette: PaletteClient;

const STS = 'rv-sts';
const STATIC = 'rv-static';
const CLEAN = 'rv-clean';
const account = (n: number) => `7${String(process.pid % 1000).padStart(3, '0')}9${String(n).padStart(7, '0')}`;
const ACCOUNTS = { [STS]: account(1), [STATIC]: account(2), [CLEAN]: account(3) };
const principal = (tenantId: string) => `palette-onboarding-${tenantId}`;
const policyArn = (tenantId: string) => `arn:aws:iam::${ACCOUNTS[tenantId as keyof typeof ACCOUNTS]}:policy/palette-onboarding/${principal(tenantId)}-backup`;
const runOptions = () => ({ sandbox: sb, workflow, retryIntervalOverridesMs: { CheckReadiness: 100 } });

const ok = (r: LocalRunResult) => {
  expect(r.errorMessage, JSON.stringify(r.error ?? r.cause)).toBeUndefined();
  expect(r.status).toBe('SUCCEEDED');
};
const summaryOf = (r: LocalRunResult): RevalidationSummary => RevalidationSummarySchema.parse(r.output);
const outcomeOf = (r: LocalRunResult, tenantId: string) => summaryOf(r).tenants.find((t) => t.tenantId === tenantId);
const record = async (tenantId: string) => (await world.tenantRecord(tenantId)) as Record<string, any>;
const checksOf = (findings: readonly Finding[]) => findings.map((f) => `${f.check} ${f.resource}`).sort();

/** What re-validation must never change: the tenant account's objects (Palette's validation probes aside) and Palette. */
function untouched(tenantId: string) {
  const inv = world.inventory(ACCOUNTS[tenantId as keyof typeof ACCOUNTS]);
  const objects = world.paletteObjects();
  return {
    account: Object.fromEntries(Object.entries(inv).filter(([type]) => type !== 'objects')),
    palette: Object.fromEntries(Object.entries(objects).filter(([k]) => k.includes(tenantId))),
    apiKeys: world.paletteApiKeys(),
  };
}

let first: LocalRunResult;
let held: Record<string, any>;
const before: Record<string, ReturnType<typeof untouched>> = {};

beforeAll(async () => {
  workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 100 } }, palette: { port: 0 }, env: {} });
  world = new SandboxWorld(sb);
  palette = new PaletteClient({ baseUrl: sb.palette.endpoint, auth: { type: 'apiKey', apiKey: sb.palette.apiKey }, rateLimit: false });
  for (const [tenantId, shape] of [[STS, 'sts'], [STATIC, 'static'], [CLEAN, 'sts']] as const) {
    sb.aws.createAccount(ACCOUNTS[tenantId]);
    ok(await runOnboarding(REQUEST_SHAPES[shape](tenantId, ACCOUNTS[tenantId]), runOptions()));
  }

  // Out of band: the sts tenant's trust policy edited and its backup policy detached, its S3 backup location deleted
  // in Palette; the static tenant's key aged (created 120 days ago: the sandbox's record of it, as if time passed).
  const { iam } = await world.operatorIn(ACCOUNTS[STS]);
  await iam.send(
    new UpdateAssumeRolePolicyCommand({
      RoleName: principal(STS),
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Sid: 'Operators', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNTS[STS]}:root` }, Action: 'sts:AssumeRole' }],
      }),
    }),
  );
  await iam.send(new DetachRolePolicyCommand({ RoleName: principal(STS), PolicyArn: policyArn(STS) }));
  const location = await palette.backupLocations.findByName(`${STS}-s3`, 's3');
  await palette.backupLocations.delete(location?.metadata?.uid ?? 'missing');
  const { iam: staticIam } = await world.operatorIn(ACCOUNTS[STATIC]);
  const [key] = (await staticIam.send(new ListAccessKeysCommand({ UserName: principal(STATIC) }))).AccessKeyMetadata ?? [];
  const credential = sb.aws.kernel.credentials.lookup(key?.AccessKeyId ?? 'missing');
  if (!credential) throw new Error('the static tenant has no access key');
  sb.aws.kernel.credentials.register({ ...credential, createdAt: Date.now() - 120 * 86_400_000 });

  // The clean tenant is held by an execution (a live lease) during the first run.
  await world.registry.send(
    new UpdateCommand({
      TableName: await world.registryTable(),
      Key: { pk: `tenant#${CLEAN}` },
      UpdateExpression: 'SET #lease = :lease',
      ExpressionAttributeNames: { '#lease': 'lease' },
      ExpressionAttributeValues: { ':lease': { executionName: 'someone-else', acquiredAt: new Date().toISOString(), expiresAt: Math.floor(Date.now() / 1000) + 600 } },
    }),
  );
  held = await record(CLEAN);
  for (const t of [STS, STATIC, CLEAN]) before[t] = untouched(t);
  first = await runRevalidation({}, runOptions());
}, 300_000);
afterAll(async () => {
  await sb?.stop();
});

describe('a re-validation run over every ACTIVE tenant', () => {
  it('finds each out-of-band change with the right check and reason, and records the tenants DRIFTED', async () => {
    ok(first);
    const sts = await record(STS);
    expect(sts.status).toBe('DRIFTED');
    expect(sts.drift).toMatchObject({ executionName: first.executionName, checkedAt: expect.any(String) });
    const role = `iam:${ACCOUNTS[STS]}:role/${principal(STS)}`;
    const policy = `iam:${ACCOUNTS[STS]}:policy/${principal(STS)}-backup`;
    expect(checksOf(sts.drift.findings)).toEqual(
      [`trustPolicy ${role}`, `policyAttached ${policy}`, `registered palette:tenant:backup-location/${STS}-s3`, `paletteValidation ${role}`].sort(),
    );
    const reason = (check: string) => (sts.drift.findings as Finding[]).find((f) => f.check === check)?.reason;
    expect(reason('trustPolicy')).toMatch(/no statement allows Palette's account \d{12} sts:AssumeRole/);
    expect(reason('policyAttached')).toContain(`is not attached to the role '${principal(STS)}'`);
    expect(reason('registered')).toContain(`S3 backup location '${STS}-s3' is not in Palette any more`);

    const stat = await record(STATIC);
    expect(stat.status).toBe('DRIFTED');
    expect(checksOf(stat.drift.findings)).toEqual([`accessKeyAge iam:${ACCOUNTS[STATIC]}:user/${principal(STATIC)}`]);
    expect(stat.drift.findings[0].reason).toMatch(/access key AKIA\w+ is 120 days old \(rotation age 90 days\)/);

    expect(outcomeOf(first, STS)).toMatchObject({ outcome: 'drifted', findings: 4, status: 'DRIFTED' });
    expect(outcomeOf(first, STATIC)).toMatchObject({ outcome: 'drifted', findings: 1, status: 'DRIFTED' });
    expect(summaryOf(first)).toMatchObject({ remediate: false, notEligible: [], deferred: 0 });
    expect(first.startedExecutions).toBeUndefined();
  });

  it('says so in one Tenant Drift Detected event per drifted tenant (schema-valid, identifiers only)', async () => {
    expect(first.events.map((e) => e.detailType)).toEqual(['Tenant Drift Detected', 'Tenant Drift Detected']);
    expect(eventProblems(first.events)).toEqual([]);
    for (const tenantId of [STS, STATIC]) {
      const event = first.events.find((e) => (e.detail as { tenantId: string }).tenantId === tenantId);
      expect(event?.detail).toEqual({ tenantId, executionName: first.executionName, findings: (await record(tenantId)).drift.findings });
    }
    expect(leakedSecrets({ events: first.events, output: first.output, logs: first.logs }, await sandboxSecretValues(sb))).toEqual([]);
  });

  it('skips a tenant an execution holds and changes nothing of it', async () => {
    expect(outcomeOf(first, CLEAN)).toEqual({ tenantId: CLEAN, outcome: 'skipped', findings: 0, reason: expect.stringContaining('held by execution someone-else') });
    expect(await record(CLEAN)).toEqual(held);
  });

  it('changes nothing in AWS or Palette (read-only)', () => {
    for (const t of [STS, STATIC, CLEAN]) expect(untouched(t), t).toEqual(before[t]);
  });

  it('refuses a request naming an unknown tenant or an unknown field', async () => {
    const unknown = await runRevalidation({ tenantId: 'rv-nobody' }, runOptions());
    expect(unknown).toMatchObject({ status: 'FAILED', error: 'TenantNotFoundError' });
    const bad = await runRevalidation({ tenantId: STS, typo: true }, runOptions());
    expect(bad).toMatchObject({ status: 'FAILED', error: 'RequestValidationError' });
    expect(bad.errorMessage).toContain("Unrecognized key: \"typo\"");
  }, 60_000);
});

describe('remediation', () => {
  let second: LocalRunResult;
  let remediations: LocalRunResult[];
  let third: LocalRunResult;
  let cleanAfterSecond: Record<string, any>;
  let cleanWorldAfterSecond: ReturnType<typeof untouched>;
  beforeAll(async () => {
    // The clean tenant's holder is gone.
    await world.registry.send(new UpdateCommand({ TableName: await world.registryTable(), Key: { pk: `tenant#${CLEAN}` }, UpdateExpression: 'REMOVE #lease', ExpressionAttributeNames: { '#lease': 'lease' } }));
    before[CLEAN] = untouched(CLEAN);
    second = await runRevalidation({ remediate: true }, runOptions());
    cleanAfterSecond = await record(CLEAN);
    cleanWorldAfterSecond = untouched(CLEAN);
    remediations = await awaitStartedExecutions(second);
    third = await runRevalidation({}, runOptions());
  }, 300_000);

  it('starts the onboarding of each drifted tenant again with its latest request (the aged key rotated)', async () => {
    ok(second);
    expect(second.events.map((e) => e.detailType)).toEqual(['Tenant Drift Detected', 'Tenant Drift Detected']);
    const started = second.startedExecutions ?? [];
    expect(started.map((s) => (s.input as { tenantId: string }).tenantId).sort()).toEqual([STATIC, STS]);
    for (const s of started) {
      expect(s.executionName).toMatch(new RegExp(`^${(s.input as { tenantId: string }).tenantId}-[0-9a-f]{12}-drift-\\d{14}$`));
      expect(outcomeOf(second, (s.input as { tenantId: string }).tenantId)).toMatchObject({ outcome: 'drifted', remediation: s.executionName });
    }
    expect(started.find((s) => (s.input as { tenantId: string }).tenantId === STATIC)?.input).toEqual({
      ...REQUEST_SHAPES.static(STATIC, ACCOUNTS[STATIC]),
      aws: { ...REQUEST_SHAPES.static(STATIC, ACCOUNTS[STATIC]).aws as object, rotateAccessKey: true },
    });
    expect(started.find((s) => (s.input as { tenantId: string }).tenantId === STS)?.input).toEqual(REQUEST_SHAPES.sts(STS, ACCOUNTS[STS]));
    for (const r of remediations) ok(r);
  });

  it('a clean tenant is re-validated ACTIVE with no findings, and nothing of it changes', async () => {
    expect(outcomeOf(second, CLEAN)).toEqual({ tenantId: CLEAN, outcome: 'ok', findings: 0, status: 'ACTIVE' });
    expect(cleanAfterSecond.status).toBe('ACTIVE');
    expect(cleanAfterSecond.drift).toEqual({ checkedAt: expect.any(String), executionName: second.executionName, findings: [] });
    expect(cleanWorldAfterSecond).toEqual(before[CLEAN]);
  });

  it('repairs everything: the next run finds nothing and every tenant is ACTIVE again', async () => {
    ok(third);
    for (const tenantId of [STS, STATIC, CLEAN]) {
      expect(outcomeOf(third, tenantId), tenantId).toEqual({ tenantId, outcome: 'ok', findings: 0, status: 'ACTIVE' });
      const r = await record(tenantId);
      expect(r.status).toBe('ACTIVE');
      expect(r.drift).toMatchObject({ executionName: third.executionName, findings: [] });
    }
    expect(third.events).toEqual([]);
    // The static tenant has a new key; the old one is gone.
    const { iam } = await world.operatorIn(ACCOUNTS[STATIC]);
    const keys = (await iam.send(new ListAccessKeysCommand({ UserName: principal(STATIC) }))).AccessKeyMetadata ?? [];
    expect(keys).toHaveLength(1);
    expect(Date.now() - (keys[0]?.CreateDate?.getTime() ?? 0)).toBeLessThan(600_000);
  });
});
