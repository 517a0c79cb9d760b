/**
 * The bench's own logic (bench/): the state transitions and the critical-path lower bound it reads from an execution
 * history, the command line, and how a target module that is missing, throws or returns no figure is reported
 * ("not measured: <reason>", never a figure).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { countTransitions, criticalPath, type DefinitionLike } from '../../bench/execution-analysis';
import { formatReport, parseBenchArgs, pluginTarget, runTarget } from '../../bench/run';
import type { BenchOptions } from '../../bench/target';
import type { HistoryEvent } from '../../local/runner/execute';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** A history from [ms, type, state?, stateType?] steps. */
function history(steps: Array<[number, string, string?, string?]>): HistoryEvent[] {
  return steps.map(([ms, type, state, stateType], i) => ({
    id: i + 1,
    timestamp: new Date(T0 + ms).toISOString(),
    type,
    ...(state !== undefined ? { state } : {}),
    ...(stateType !== undefined ? { stateType } : {}),
  }));
}
const task = (state: string, from: number, to: number): Array<[number, string, string, string]> => [
  [from, 'TaskStateEntered', state, 'Task'],
  [to, 'TaskStateExited', state, 'Task'],
];
const other = (state: string, type: string, from: number, to = from): Array<[number, string, string, string]> => [
  [from, `${type}StateEntered`, state, type],
  [to, `${type}StateExited`, state, type],
];

const definition: DefinitionLike = {
  StartAt: 'Init',
  States: {
    Init: { Type: 'Pass' },
    Validate: { Type: 'Task' },
    Resources: {
      Type: 'Parallel',
      Branches: [
        { StartAt: 'Bucket', States: { Bucket: { Type: 'Task' } } },
        { StartAt: 'Policy', States: { Policy: { Type: 'Task' }, Tag: { Type: 'Task' } } },
      ],
    },
    EnsureStsRole: { Type: 'Task' },
    NotifyResourcesReady: { Type: 'Task' },
    CheckReadiness: { Type: 'Task' },
    IsReady: { Type: 'Choice' },
    WaitForPropagation: { Type: 'Wait' },
    Release: { Type: 'Task' },
    Done: { Type: 'Succeed' },
  },
};

/**
 * Validate 100 ms; Resources: Bucket 300 ms in one branch, Policy 120 + Tag 100 ms in the other; EnsureStsRole 50 ms
 * (a retry: its last attempt 50 ms); a failed probe (20 ms), a 1 s wait, the probe that passes (30 ms), Release 40 ms.
 */
const onboarding = history([
  [0, 'ExecutionStarted'],
  ...other('Init', 'Pass', 0),
  ...task('Validate', 0, 100),
  [100, 'ParallelStateEntered', 'Resources', 'Parallel'],
  [100, 'TaskStateEntered', 'Bucket', 'Task'],
  [100, 'TaskStateEntered', 'Policy', 'Task'],
  [220, 'TaskStateExited', 'Policy', 'Task'],
  ...task('Tag', 220, 320),
  [400, 'TaskStateExited', 'Bucket', 'Task'],
  [405, 'ParallelStateExited', 'Resources', 'Parallel'],
  [405, 'TaskStateEntered', 'EnsureStsRole', 'Task'],
  [500, 'StateRetried', 'EnsureStsRole', 'Task'],
  [550, 'TaskStateExited', 'EnsureStsRole', 'Task'],
  ...task('NotifyResourcesReady', 550, 551),
  ...task('CheckReadiness', 551, 571),
  ...other('IsReady', 'Choice', 571),
  ...other('WaitForPropagation', 'Wait', 571, 1571),
  ...task('CheckReadiness', 1571, 1601),
  ...other('IsReady', 'Choice', 1601),
  ...task('Release', 1601, 1641),
  ...other('Done', 'Succeed', 1641),
  [1641, 'ExecutionSucceeded'],
]);

describe('state transitions (P4)', () => {
  it('counts every state entered, Parallel branches included, plus retries', () => {
    const c = countTransitions(onboarding);
    // Init, Validate, Resources, Bucket, Policy, Tag, EnsureStsRole, Notify, 2 × (CheckReadiness, IsReady), Wait,
    // Release, Done = 15 states entered, + 1 retry.
    expect(c).toMatchObject({ total: 16, retries: 1, byType: { Pass: 1, Task: 9, Parallel: 1, Choice: 2, Wait: 1, Succeed: 1 } });
    expect(c.byState.CheckReadiness).toBe(2);
  });
});

describe('critical-path lower bound (P1)', () => {
  it('longest branch, last attempt, failed probes and waits excluded, propagation overlapping the tasks run meanwhile', () => {
    const cp = criticalPath(onboarding, definition, 500);
    // 100 + max(300, 120 + 100) + 50, then max(500, notify 1), then the passing probe 30 + Release 40.
    expect(cp).toMatchObject({ wallMs: 1641, taskMs: 521, boundMs: 1020, probes: 2, principalState: 'EnsureStsRole', retries: 1 });
    // The probe that passed started 1571 ms in; the gate could have passed at 550 + 500.
    expect(cp.readinessOvershootMs).toBe(521);
  });

  it('the readiness gate as one state retried while IAM propagates, and a Map counted as its longest iteration', () => {
    // Prepare: the workflow's shape now: CheckReadiness retried once (a probe that found Palette "not yet"), then the
    // registrations Map with two iterations of 100 and 300 ms.
    const def: DefinitionLike = {
      StartAt: 'Validate',
      States: {
        Validate: { Type: 'Task' },
        EnsureStsRole: { Type: 'Task' },
        CheckReadiness: { Type: 'Task' },
        Registrations: { Type: 'Map', ItemProcessor: { StartAt: 'EnsureRegistration', States: { EnsureRegistration: { Type: 'Task' } } } },
        Release: { Type: 'Task' },
      },
    };
    const h = history([
      [0, 'ExecutionStarted'],
      ...task('Validate', 0, 100),
      ...task('EnsureStsRole', 100, 150),
      [150, 'TaskStateEntered', 'CheckReadiness', 'Task'],
      [170, 'StateFailed', 'CheckReadiness', 'Task'],
      [1170, 'StateRetried', 'CheckReadiness', 'Task'],
      [1200, 'TaskStateExited', 'CheckReadiness', 'Task'],
      [1200, 'MapStateEntered', 'Registrations', 'Map'],
      ...task('EnsureRegistration', 1200, 1300),
      ...task('EnsureRegistration', 1200, 1500),
      [1500, 'MapStateExited', 'Registrations', 'Map'],
      ...task('Release', 1500, 1540),
      [1540, 'ExecutionSucceeded'],
    ]);

    // Act
    const cp = criticalPath(h, def, 500);
    const c = countTransitions(h);

    // Assess: 100 + 50, then max(500, nothing between), then the passing probe 30 + the longest iteration 300 + 40.
    expect(cp).toMatchObject({ boundMs: 150 + 500 + 30 + 300 + 40, probes: 2, retries: 0 });
    expect(cp.readinessOvershootMs).toBe(1170 - (150 + 500));
    expect(c).toMatchObject({ total: 8, retries: 1, retriesByState: { CheckReadiness: 1 }, byState: { CheckReadiness: 1, EnsureRegistration: 2 } });
  });

  it('without propagation the bound is the task time', () => {
    expect(criticalPath(onboarding, definition, 0).boundMs).toBe(521);
  });

  it('fails loudly when the execution has no principal task or did not finish', () => {
    expect(() => criticalPath(history([...task('Validate', 0, 10)]), definition, 0)).toThrow(/no principal task \(EnsureStsRole/);
    expect(() => criticalPath(onboarding.slice(0, -4), definition, 0)).toThrow(/never exited/);
  });
});

describe('bench/run.ts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-plugin-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const opts: BenchOptions = { latencyRuns: 1, fleet: 7, log: () => undefined };
  const plugin = (file: string, body: string | undefined) => {
    if (body !== undefined) writeFileSync(join(dir, file), body);
    return pluginTarget('P9', 'P9 test', file, 'someBench', dir);
  };

  it('parses --only, sizes and rejects unknown targets and flags', () => {
    expect(parseBenchArgs(['--only', 'p1,P4', '--fleet=1000', '--latency-runs', '3'], ['P1', 'P4'])).toEqual({ only: ['P1', 'P4'], fleet: 1000, latencyRuns: 3, help: false });
    expect(() => parseBenchArgs(['--only', 'P7'], ['P1'])).toThrow(/unknown target\(s\) P7/);
    expect(() => parseBenchArgs(['--fleet', 'many'], ['P1'])).toThrow(/--fleet needs a positive integer/);
    expect(() => parseBenchArgs(['--fast'], ['P1'])).toThrow(/unknown argument --fast/);
  });

  it('a module that does not exist, throws or returns no ratio is "not measured" with the reason, without a figure', async () => {
    const cases: Array<[string, string | undefined, RegExp]> = [
      ['missing.mjs', undefined, /bench\/missing\.mjs does not exist yet/],
      ['no-export.mjs', 'export const other = 1;', /does not export a function someBench/],
      ['throws.mjs', 'export async function someBench() { throw new Error("no fleet today"); }', /someBench\(\) threw: no fleet today/],
      ['no-ratio.mjs', 'export async function someBench() { return { rows: [], ratio: NaN, target: 1, met: true }; }', /no finite ratio/],
    ];
    for (const [file, body, reason] of cases) {
      const r = await runTarget(plugin(file, body), opts);
      expect(r).toMatchObject({ id: 'P9', status: 'not measured', ratio: null, target: null, met: null });
      expect(r.status === 'not measured' && r.reason).toMatch(reason);
      expect(formatReport(r)).toMatch(/not measured: /);
    }
  });

  it("a module's outcome is reported with its rows, ratio and verdict; it gets the sizes", async () => {
    const r = await runTarget(
      plugin('ok.mjs', 'export async function someBench(o) { return { rows: [{ tenants: o.fleet, "s/tenant": "0.40" }], ratio: 0.8, target: 1, met: true }; }'),
      opts,
    );
    expect(r).toMatchObject({ status: 'measured', ratio: 0.8, target: 1, met: true, rows: [{ tenants: 7, 's/tenant': '0.40' }] });
    expect(formatReport(r)).toMatch(/\| tenants \| s\/tenant \|[\s\S]*\*\*ratio 0\.800, target ≤ 1: met\*\*/);
  });
});
