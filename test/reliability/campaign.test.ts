/**
 * The reliability campaign at CI size (issue 11 item 5; the full size is `npm run reliability`, which writes
 * bench/results/reliability.md). See campaign.ts for what each scenario does and checks:
 * - R1: 3 executions (sts, static, full) with 20 % seeded transient faults on every AWS service and Palette
 *   path, state retries shortened to 200 ms: all succeed with the fault-free inventory (nothing duplicated).
 * - R2: the sts tenant kind, a crash after every side-effecting call of its reference run: every run converges;
 *   compensation after the crash is checked for every 8th crash point (deterministic sample).
 * - R3: a permanent failure after every task of the sts shape: empty diff, registry FAILED, the event names step and reason.
 * - R4: a 4 s Palette outage in the middle of 3 executions, state retries every 500 ms: all succeed, none compensates.
 *
 * Runs are serialized in-process by the local runner, so executions run one after the other.
 *
 * KNOWN_FINDINGS lists product failures the campaign found and that are not fixed yet (each one is printed, and
 * the test fails when one no longer occurs, so the list stays true). Every other failure fails the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { figuresLine, runR1, runR2, runR3, runR4, startCampaign, type Campaign, type Failure, type ScenarioResult } from './campaign';

interface KnownFinding {
  scenario: Failure['scenario'];
  check: string;
  /** Which subjects it affects. */
  subject: RegExp;
  why: string;
}

// Empty: the campaign's findings (the failure event did not name the step; a failure after ReleaseTenant could not
// compensate because the lease was already released) are fixed. Add an entry only for a finding not fixed yet.
export const KNOWN_FINDINGS: KnownFinding[] = [];

const isKnown = (f: Failure) => KNOWN_FINDINGS.some((k) => k.scenario === f.scenario && k.check === f.check && k.subject.test(f.subject));

let c: Campaign;
const results: ScenarioResult[] = [];

beforeAll(async () => {
  c = await startCampaign({ seed: 20261202 });
}, 300_000);
afterAll(async () => {
  if (results.length > 0) {
    console.log(`reliability campaign (CI size): ${figuresLine(results)}`);
    for (const r of results) console.log(`  ${r.figure} in ${(r.durationMs / 1000).toFixed(1)} s; ${r.notes.join('; ')}`);
    for (const f of results.flatMap((r) => r.failures)) console.log(`  ${isKnown(f) ? 'known finding' : 'FAILURE'}: ${f.scenario} ${f.subject}: ${f.check}: ${f.detail.slice(0, 300)}`);
  }
  await c?.stop();
});

/** Every failure is a known finding, and every known finding still occurs. */
function assess(r: ScenarioResult) {
  results.push(r);
  expect(r.failures.filter((f) => !isKnown(f)).map((f) => `${f.subject}: ${f.check}: ${f.detail}`)).toEqual([]);
  for (const k of KNOWN_FINDINGS.filter((k) => k.scenario === r.scenario)) {
    expect(r.failures.some((f) => f.check === k.check && k.subject.test(f.subject)), `known finding no longer occurs, remove it from KNOWN_FINDINGS: ${k.check}`).toBe(true);
  }
  const unexplained = r.total - r.passed - new Set(r.failures.filter(isKnown).map((f) => f.subject)).size;
  expect(unexplained, r.figure).toBe(0);
}

describe('reliability campaign (CI size)', () => {
  it('R1: 3 executions (one per shape) with 20 % transient faults all succeed with the fault-free inventory', async () => {
    const r = await runR1(c, { n: 3, rate: 0.2, retryMs: 200 });
    assess(r);
    expect(r.figure).toBe('R1 3/3');
  }, 300_000);

  it('R2: a crash after every 2nd side-effecting call of the sts kind converges; compensation after it leaves nothing', async () => {
    // CI size: every 2nd crash point (the full-size script crashes after every one, for every kind).
    const r = await runR2(c, { shapes: ['sts'], compensateEvery: 4, stride: 2 });
    assess(r);
    expect(r.total).toBeGreaterThan(10);
    expect(r.figure).toBe(`R2 ${r.total}/${r.total} crash points`);
  }, 600_000);

  it('R3: a permanent failure after every task of the sts shape compensates completely and is reported', async () => {
    const r = await runR3(c, { shapes: ['sts'] });
    assess(r);
    expect(r.total).toBeGreaterThan(8);
  }, 600_000);

  it('R4: a Palette outage in the middle of 3 executions: all complete, none compensates', async () => {
    const r = await runR4(c, { m: 3, outageMs: 4_000, retryMs: 500 });
    assess(r);
    expect(r.figure).toBe('R4 3/3');
  }, 300_000);
});
