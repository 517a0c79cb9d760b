/**
 * Bulk onboarding (issue 14 item 1), through the synthesized Bulk state machine on the sandbox: a JSON Lines manifest
 * of three requests, one of which fails in the workflow (its region is not an AWS region: ValidateRequest refuses it),
 * run with a tolerated failure of 40 %: the two others are onboarded as child executions of the onboarding state
 * machine (named <tenant>-<MD5 of the request>), the run succeeds with its summary (the map run's counts), and
 * ResultWriter's files in the manifest bucket hold every tenant's outcome. A second run of the same manifest starts no
 * child (every name exists: already-started) and changes nothing; the same failure with no tolerance fails the run with
 * States.ExceedToleratedFailureThreshold, its results still written.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALREADY_STARTED, ONBOARDED } from '../../lambdas/domain/bulk-manifest';
import { loadWorkflow, runBulk, type BulkRun, type LocalWorkflow } from '../../local/runner';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';

let sb: RunningLocalSandbox;
let workflow: LocalWorkflow;

const account = (n: number) => `6${String(process.pid % 1000).padStart(3, '0')}8${String(n).padStart(7, '0')}`;
const request = (tenantId: string, n: number, region = 'us-east-1') => ({
  tenantId,
  aws: { accountId: account(n), region, credentialMode: 'sts' },
});
const GOOD = [request('bulk-alpha', 1), request('bulk-beta', 2)];
const BAD = request('bulk-gamma', 3, 'mars-north-1');
const nameOf = (r: { tenantId: string }) => `${r.tenantId}-${createHash('md5').update(JSON.stringify(r)).digest('hex')}`;

let first: BulkRun;
let second: BulkRun;

beforeAll(async () => {
  workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 100 } }, palette: { port: 0 }, env: {} });
  const opts = { sandbox: sb, workflow, maxConcurrency: 3, toleratedFailurePercentage: 40, retryIntervalOverridesMs: { CheckReadiness: 100 } };
  first = await runBulk({ kind: 'lines', requests: [...GOOD, BAD] }, { ...opts, executionName: 'bulk-e2e-first' });
  second = await runBulk({ kind: 'lines', requests: [...GOOD, BAD] }, { ...opts, executionName: 'bulk-e2e-second' });
}, 300_000);

afterAll(async () => {
  await sb?.stop();
});

describe('bulk onboarding through the Bulk state machine', () => {
  it('onboards every valid tenant as a child execution named after its request and tolerates the failure', () => {
    expect(first.run.error, first.run.cause).toBeUndefined();
    expect(first.run.status).toBe('SUCCEEDED');
    const children = first.run.childExecutions ?? [];
    expect(children.map((c) => c.executionName).sort()).toEqual([...GOOD, BAD].map(nameOf).sort());
    for (const r of GOOD) expect(children.find((c) => c.executionName === nameOf(r))?.status).toBe('SUCCEEDED');
    const bad = children.find((c) => c.executionName === nameOf(BAD));
    expect(bad?.status).toBe('FAILED');
    expect(bad?.error).toBe('RequestValidationError');
  });

  it('ends with a summary of the map run and the results written to S3', () => {
    expect(first.summary).toMatchObject({
      executionName: 'bulk-e2e-first',
      manifest: first.manifest,
      maxConcurrency: 3,
      toleratedFailurePercentage: 40,
      itemCounts: { Total: 3, Succeeded: 2, Failed: 1, Pending: 0, Running: 0, ResultsWritten: 3 },
      results: { Bucket: first.bucket },
    });
    expect(first.summary?.results.Key).toMatch(/^results\/[0-9a-f-]{36}\/manifest\.json$/);
    expect(first.rows).toEqual([
      { tenantId: 'bulk-alpha', outcome: ONBOARDED, executionName: nameOf(GOOD[0] as { tenantId: string }), status: 'SUCCEEDED' },
      { tenantId: 'bulk-beta', outcome: ONBOARDED, executionName: nameOf(GOOD[1] as { tenantId: string }), status: 'SUCCEEDED' },
      expect.objectContaining({ tenantId: 'bulk-gamma', outcome: 'failed', executionName: nameOf(BAD), status: 'FAILED', error: expect.stringMatching(/^RequestValidationError: .*aws\.region/) }),
    ]);
  });

  it('a second run of the same manifest starts no child: every request is already started', () => {
    expect(second.run.status).toBe('SUCCEEDED');
    expect(second.run.childExecutions ?? []).toEqual([]);
    expect(second.rows.map((r) => [r.tenantId, r.outcome])).toEqual([
      ['bulk-alpha', ALREADY_STARTED],
      ['bulk-beta', ALREADY_STARTED],
      ['bulk-gamma', ALREADY_STARTED],
    ]);
    expect(second.summary?.itemCounts).toMatchObject({ Total: 3, Succeeded: 3, Failed: 0 });
  });

  it('fails the run when the failures exceed the tolerated percentage, with the results still written', async () => {
    const worse = request('bulk-delta', 4, 'venus-1');
    const run = await runBulk({ kind: 'lines', requests: [GOOD[0], worse] }, { sandbox: sb, workflow, toleratedFailurePercentage: 0, executionName: 'bulk-e2e-strict' });
    expect(run.run.status).toBe('FAILED');
    expect(run.run.error).toBe('States.ExceedToleratedFailureThreshold');
    expect(run.run.mapRuns?.[0]?.itemCounts).toMatchObject({ total: 2, succeeded: 1, failed: 1 });
    expect(run.rows.map((r) => [r.tenantId, r.outcome])).toEqual([
      ['bulk-alpha', ALREADY_STARTED],
      ['bulk-delta', 'failed'],
    ]);
  });
});
