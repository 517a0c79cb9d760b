/**
 * Crash injection in local runs: the sandbox holds the response of a given AWS / Palette call (the side effect
 * is applied, the handler never learns it) and the runner fails that invocation the way Step Functions reports
 * a Lambda whose runtime was killed (Lambda.Unknown), which the state's retry runs again (the step converges). Also the call recording (`recordCalls`) that lets a
 * campaign enumerate every call of a run, attributed to the right state even when branches run concurrently.
 *
 * Each test uses its own tenant and account; they do not depend on each other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PaletteClient } from '../../lambdas/services/palette';
import { loadWorkflow, runOnboarding, sandboxEndpoints, type LocalRunResult, type LocalWorkflow, type RunOptions } from '../../local/runner';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';

let sb: RunningLocalSandbox;
let workflow: LocalWorkflow;
let palette: PaletteClient;

beforeAll(async () => {
  workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 300 } }, palette: { port: 0 }, env: {} });
  palette = new PaletteClient({ baseUrl: sb.palette.endpoint, auth: { type: 'apiKey', apiKey: sb.palette.apiKey }, rateLimit: false });
}, 300_000);
afterAll(async () => {
  await sb?.stop();
});

const run = (request: unknown, opts: Partial<RunOptions> = {}): Promise<LocalRunResult> => runOnboarding(request, { sandbox: sb, workflow, ...opts });

const stsRequest = (tenantId: string, accountId: string) => ({ tenantId, aws: { accountId, region: 'us-east-1', credentialMode: 'sts' } });

const statesEntered = (r: LocalRunResult) => r.history.filter((e) => e.type.endsWith('StateEntered')).map((e) => e.state);

describe('recordCalls', () => {
  let result: LocalRunResult;
  beforeAll(async () => {
    result = await run(stsRequest('callrec', '515151515151'), { recordCalls: true });
  }, 180_000);

  it('lists the create calls of a normal STS onboarding with the functions that made them', () => {
    // Assess
    expect(result.errorMessage).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    expect(result.crashes).toBeUndefined();
    const creates = (result.calls ?? []).filter((c) => /:Create|:POST /.test(c.operation) && c.status < 300).map((c) => `${c.state} ${c.function} ${c.operation}`);
    expect(creates).toEqual(
      expect.arrayContaining([
        'EnsureBucket ensure-bucket aws:s3:CreateBucket',
        'EnsureBackupPolicy ensure-backup-policy aws:iam:CreatePolicy',
        'EnsureStsRole ensure-sts-role aws:iam:CreateRole',
        // The Registrations Map: one state, each kind's own function.
        'EnsureRegistration ensure-cloud-account palette:POST /v1/cloudaccounts/aws',
        'EnsureRegistration ensure-backup-location palette:POST /v1/users/assets/locations/s3',
      ]),
    );
    const bucket = result.calls?.find((c) => c.operation === 'aws:s3:CreateBucket');
    expect(bucket).toMatchObject({ target: 'aws', accountId: '515151515151', status: 200, functionLogicalId: expect.stringMatching(/EnsureBucket/) });
    const account = result.calls?.find((c) => c.operation === 'palette:POST /v1/cloudaccounts/aws');
    expect(account).toMatchObject({ target: 'palette', path: '/v1/cloudaccounts/aws', status: 201 });
  });

  it('attributes the calls of concurrent branches to the right invocation (EnsureBucket vs EnsureBackupPolicy)', () => {
    // Assess: the two branches overlapped in time ...
    const inv = (state: string) => result.invocations.find((i) => i.state === state);
    const bucketInv = inv('EnsureBucket');
    const policyInv = inv('EnsureBackupPolicy');
    if (!bucketInv || !policyInv) throw new Error('missing invocations');
    expect(bucketInv.startedAt).toBeLessThan(policyInv.startedAt + policyInv.durationMs);
    expect(policyInv.startedAt).toBeLessThan(bucketInv.startedAt + bucketInv.durationMs);
    // ... and each call carries its own invocation's request id and the operations of its own service.
    const calls = result.calls ?? [];
    const ofState = (state: string) => calls.filter((c) => c.state === state);
    expect(ofState('EnsureBucket').every((c) => c.requestId === bucketInv.requestId)).toBe(true);
    expect(ofState('EnsureBackupPolicy').every((c) => c.requestId === policyInv.requestId)).toBe(true);
    expect(ofState('EnsureBucket').filter((c) => c.operation.startsWith('aws:iam:'))).toEqual([]);
    expect(ofState('EnsureBackupPolicy').filter((c) => c.operation.startsWith('aws:s3:'))).toEqual([]);
    expect(ofState('EnsureBucket').filter((c) => c.operation.startsWith('aws:s3:')).length).toBeGreaterThan(5);
    // Every S3 bucket call of the run came from EnsureBucket; every call belongs to an invocation of the run.
    expect(new Set(calls.filter((c) => c.operation.includes('Bucket')).map((c) => c.state))).toEqual(new Set(['EnsureBucket']));
    const requestIds = new Set(result.invocations.map((i) => i.requestId));
    expect(calls.every((c) => requestIds.has(c.requestId))).toBe(true);
  });
});

describe('a crash right after aws:s3:CreateBucket', () => {
  let result: LocalRunResult;
  const accountId = '525252525252';
  const bucket = `palette-backup-crashbkt-${accountId}-us-east-1`;
  beforeAll(async () => {
    result = await run(stsRequest('crashbkt', accountId), { crashes: [{ after: 'aws:s3:CreateBucket' }], recordCalls: true });
  }, 180_000);

  it('fails the EnsureBucket invocation with Lambda.Unknown, as Step Functions reports a killed runtime; the retry runs it again', () => {
    // Assess: the dead invocation, as Step Functions reports it ...
    expect(result.crashes).toEqual([
      { state: 'EnsureBucket', functionLogicalId: expect.stringMatching(/EnsureBucket/), function: 'ensure-bucket', after: 'aws:s3:CreateBucket', call: 'aws:s3:CreateBucket', requestId: expect.any(String), at: expect.any(Number) },
    ]);
    const requestId = result.crashes?.[0]?.requestId;
    const failed = result.history.find((e) => e.type === 'LambdaFunctionFailed' && e.state === 'EnsureBucket');
    expect(failed).toMatchObject({ error: 'Lambda.Unknown', requestId });
    expect(JSON.parse(failed?.cause ?? '{}')).toEqual({ errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: signal: killed`, errorType: 'Runtime.ExitError' });
    expect(result.invocations.find((i) => i.requestId === requestId)).toMatchObject({ crashedAfter: 'aws:s3:CreateBucket', error: { errorType: 'Lambda.Unknown' } });
    // Lambda's platform lines for the dead invocation: START, the ERROR of the runtime exit, END, REPORT.
    const platform = result.logs.filter((l) => l.requestId === requestId && l.source === 'platform').map((l) => l.text);
    expect(platform.some((t) => /\tERROR\tRequestId: .* Error: Runtime exited with error: signal: killed\tRuntime\.ExitError/.test(t))).toBe(true);
    expect(platform.at(-1)).toMatch(/^REPORT RequestId: /);
    // ... and Lambda.Unknown is retried (lambdas/shared/retryable-errors.ts): the second invocation converged and
    // the execution succeeded without compensation.
    expect(result.invocations.filter((i) => i.state === 'EnsureBucket')).toHaveLength(2);
    expect(result.errorMessage).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    expect(statesEntered(result)).not.toContain('UndoBucket');
  });

  it('the killed handler never continued (no tagging); the retry found the untagged bucket by its intent and finished it', async () => {
    // Assess: the side effect was applied, and nothing after it happened in the dead invocation ...
    const requestId = result.crashes?.[0]?.requestId;
    const ofDead = (result.calls ?? []).filter((c) => c.requestId === requestId);
    expect(ofDead.at(-1)).toMatchObject({ operation: 'aws:s3:CreateBucket', crashed: true });
    expect(ofDead.map((c) => c.operation)).not.toContain('aws:s3:PutBucketTagging');
    const at = result.crashes?.[0]?.at ?? 0;
    expect(result.logs.filter((l) => l.requestId === requestId && l.source === 'handler' && l.at > at)).toEqual([]);
    // ... the retry knew the untagged bucket was this execution's (its write-ahead intent in the tenant registry):
    // one bucket, created once, now marked for the tenant.
    const creates = (result.calls ?? []).filter((c) => c.operation === 'aws:s3:CreateBucket' && c.status < 300);
    expect(creates).toHaveLength(1);
    const retryCalls = (result.calls ?? []).filter((c) => c.state === 'EnsureBucket' && c.requestId !== requestId).map((c) => c.operation);
    expect(retryCalls).toContain('aws:s3:PutBucketTagging');
    expect(sb.aws.inventory()[accountId]?.buckets).toEqual([bucket]);
  });

  it('keeps secret values out of the run record', () => {
    expect(JSON.stringify(result)).not.toContain(sb.palette.apiKey);
  });
});

describe('a crash right after palette:POST /v1/cloudaccounts/aws', () => {
  it('the cloud account is created once: the retried step adopts what the dead one created, without a duplicate', async () => {
    // Prepare
    const created: string[] = [];
    const postsBefore = sb.palette.requests().filter((r) => r.method === 'POST' && r.path === '/v1/cloudaccounts/aws').length;
    const off = sb.palette.onOperation((e) => {
      if (e.method === 'POST' && e.template === '/v1/cloudaccounts/aws' && e.status === 201) created.push(e.path);
    });

    // Act
    let result: LocalRunResult;
    try {
      result = await run(stsRequest('crashacct', '535353535353'), {
        crashes: [{ after: 'palette:POST /v1/cloudaccounts/aws', function: 'ensure-cloud-account' }],
        recordCalls: true,
      });
    } finally {
      off();
    }

    // Assess: the create was applied (the emulator answered 201, which the handler never received) ...
    expect(created).toEqual(['/v1/cloudaccounts/aws']);
    const posts = sb.palette.requests().filter((r) => r.method === 'POST' && r.path === '/v1/cloudaccounts/aws').slice(postsBefore);
    expect(posts.map((r) => r.status)).toEqual([201]);
    expect(result.crashes).toEqual([
      expect.objectContaining({ state: 'EnsureRegistration', function: 'ensure-cloud-account', after: 'palette:POST /v1/cloudaccounts/aws', path: '/v1/cloudaccounts/aws' }),
    ]);
    // ... the crashed invocation is retried (Lambda.Unknown), finds the account by name with this execution's
    // created-by annotation (set in the POST) and adopts it as its own: no second POST, no duplicate, no compensation.
    expect(result.history.find((e) => e.type === 'LambdaFunctionFailed' && e.state === 'EnsureRegistration')).toMatchObject({ error: 'Lambda.Unknown' });
    expect(result.errorMessage).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    expect(statesEntered(result)).not.toContain('UndoRegistrations');
    expect((await palette.cloudAccounts.aws.list()).filter((a) => a.metadata?.name === 'crashacct-aws')).toHaveLength(1);
    expect(JSON.stringify(result)).not.toContain(sb.palette.apiKey);
  }, 180_000);
});

describe('the crashed function is cold-started afterwards', () => {
  it('the next invocation of a killed function imports a fresh module instance; other functions stay warm', async () => {
    // Act: a run whose EnsureBackupPolicy invocation is killed right after it created the policy (the state's
    // retry invokes the function again in the same run).
    const first = await run(stsRequest('coldone', '545454545454'), { crashes: [{ after: 'aws:iam:CreatePolicy', state: 'EnsureBackupPolicy' }] });

    // Assess
    expect(first.crashes).toHaveLength(1);
    expect(first.crashes?.[0]).toMatchObject({ state: 'EnsureBackupPolicy', after: 'aws:iam:CreatePolicy' });
    expect(first.status).toBe('SUCCEEDED');
    const policy = first.invocations.filter((i) => i.state === 'EnsureBackupPolicy');
    expect(policy).toHaveLength(2);
    expect(policy[1]?.coldStart).toBe(true);
    // Functions that ran before the crash are still warm afterwards (the same containers).
    const second = await run(stsRequest('coldtwo', '555555555556'));
    expect(second.status).toBe('SUCCEEDED');
    const cold = (state: string) => second.invocations.find((i) => i.state === state)?.coldStart;
    expect(cold('ValidateRequest')).toBe(false);
    expect(cold('EnsureBucket')).toBe(false);
    expect(cold('EnsureBackupPolicy')).toBe(false);
  }, 240_000);
});

describe('crash rules are checked before the run', () => {
  it('refuses plain endpoints (the runner cannot hold their responses) and unknown states', async () => {
    // Act / Assess
    await expect(run(stsRequest('crashplain', '565656565656'), { sandbox: sandboxEndpoints(sb), crashes: [{ after: 'aws:s3:CreateBucket' }] })).rejects.toThrow(
      /needs the in-process sandbox \(startLocalSandbox\(\)\)/,
    );
    await expect(run(stsRequest('crashplain', '565656565656'), { sandbox: sandboxEndpoints(sb), recordCalls: true })).rejects.toThrow(/recordCalls needs the in-process sandbox/);
    await expect(run(stsRequest('crashplain', '565656565656'), { crashes: [{ after: 'aws:s3:CreateBucket', state: 'NoSuchState' }] })).rejects.toThrow(
      /'NoSuchState' is not a Lambda Task state/,
    );
    await expect(run(stsRequest('crashplain', '565656565656'), { crashes: [{ after: 's3:CreateBucket' }] })).rejects.toThrow(/does not name a call/);
    expect(sb.aws.inventory()['565656565656']?.buckets ?? []).toEqual([]);
  }, 60_000);
});
