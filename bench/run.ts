/**
 * `npm run bench [-- --only P1,P4] [--fleet 1000] [--latency-runs 1] [--iterations 300]`: runs the bench targets in one
 * process, prints one table per target and writes bench/results/latest.md (for readers) and
 * bench/results/latest.json (one entry per target: id, ratio, target, met, ...). Every target is a ratio measured in
 * this run (the machine is noisy; absolute times vary): `met` as the target states it (P2: ratio >= target and no failure
 * or 429; the others: ratio <= target).
 *
 *   P1  onboarding latency: wall time / critical-path lower bound (bench/onboarding-latency.ts), target ≤ 1.15
 *   P2  fleet (bench/fleet.ts, `fleetBench(opts)`; --fleet N tenants)
 *   P3  cold start (bench/cold-start.ts, `coldStartBench(opts)`)
 *   P4  cost: state transitions per happy path (bench/state-transitions.ts), ≤ 25 for the STS tenant
 *   S1  AWS sandbox per-call overhead (bench/sandbox-overhead.ts), median ≤ 2 ms
 *
 * P2 and P3 are modules of their own, loaded when they run: a module that does not exist, does not export its
 * function, throws, or returns something without a finite ratio and target is reported as "not measured: <reason>",
 * never with a figure. Such a module's function gets the BenchOptions (bench/target.ts) and returns a TargetOutcome:
 * `{rows, ratio, target, met, summary?, details?}`.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fixed, GOALS, markdownTable, NotMeasured, type BenchOptions, type BenchTarget, type Row, type TargetOutcome } from './target';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const RESULTS_DIR = join(BENCH_DIR, 'results');

/** A target implemented by a module of its own (bench/<file>), loaded only when it runs. */
export function pluginTarget(id: string, title: string, file: string, exportName: string, dir = BENCH_DIR): BenchTarget {
  return {
    id,
    title,
    async run(opts) {
      const path = join(dir, file);
      if (!existsSync(path)) throw new NotMeasured(`bench/${file} does not exist yet`);
      let mod: Record<string, unknown>;
      try {
        mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
      } catch (e) {
        throw new NotMeasured(`bench/${file} failed to load: ${messageOf(e)}`);
      }
      const fn = mod[exportName];
      if (typeof fn !== 'function') throw new NotMeasured(`bench/${file} does not export a function ${exportName}`);
      let out: unknown;
      try {
        out = await (fn as (o: BenchOptions) => Promise<unknown>)(opts);
      } catch (e) {
        throw new NotMeasured(`${exportName}() threw: ${messageOf(e)}`);
      }
      return checkOutcome(out, `${exportName}()`);
    },
  };
}

/** A module's result, checked: a finite ratio and target, a boolean met, rows of cells. */
export function checkOutcome(out: unknown, what: string): TargetOutcome {
  if (typeof out !== 'object' || out === null) throw new NotMeasured(`${what} returned ${String(out)}, not {rows, ratio, target, met}`);
  const o = out as Record<string, unknown>;
  for (const k of ['ratio', 'target'] as const) {
    if (typeof o[k] !== 'number' || !Number.isFinite(o[k])) throw new NotMeasured(`${what} returned no finite ${k} (${JSON.stringify(o[k]) ?? 'undefined'})`);
  }
  if (typeof o.met !== 'boolean') throw new NotMeasured(`${what} returned no boolean met`);
  if (!Array.isArray(o.rows) || o.rows.some((r) => typeof r !== 'object' || r === null || Array.isArray(r))) {
    throw new NotMeasured(`${what} returned no rows (an array of objects)`);
  }
  const rows: Row[] = (o.rows as Record<string, unknown>[]).map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [k, v === null || ['string', 'number', 'boolean'].includes(typeof v) ? (v as Row[string]) : JSON.stringify(v)]),
    ),
  );
  return {
    rows,
    ratio: o.ratio as number,
    target: o.target as number,
    met: o.met,
    ...(typeof o.summary === 'string' ? { summary: o.summary } : {}),
    ...(typeof o.details === 'object' && o.details !== null ? { details: o.details as Record<string, unknown> } : {}),
  };
}

/** S1: the sandbox overhead bench (bench/sandbox-overhead.ts, also runnable on its own) as a target. */
async function sandboxOverheadOutcome(opts: BenchOptions): Promise<TargetOutcome> {
  const sandboxOverhead = await import('./sandbox-overhead');
  const r = await sandboxOverhead.run(opts.iterations !== undefined ? { iterations: opts.iterations } : {});
  return {
    rows: r.rows.map((row) => ({
      operation: row.operation,
      principal: row.principal,
      'sandbox ms': fixed(row.sandboxMedianMs, 3),
      'baseline ms': fixed(row.baselineMedianMs, 3),
      'overhead ms': fixed(row.overheadMs, 3),
    })),
    ratio: r.ratio,
    target: 1,
    met: r.ratio <= 1,
    summary:
      `ratio = median overhead ${fixed(r.medianOverheadMs, 3)} ms / ${r.targetMs} ms (max ${fixed(r.maxOverheadMs, 3)} ms); ` +
      `overhead = median SDK call against the sandbox - the same call against a local server replaying its response; medians of ${r.iterations} calls each.`,
    details: { medianOverheadMs: r.medianOverheadMs, maxOverheadMs: r.maxOverheadMs, targetMs: r.targetMs, iterations: r.iterations },
  };
}

/** Targets load their modules (the runner, the sandbox) only when they run. */
export const TARGETS: BenchTarget[] = [
  {
    id: 'P1',
    title: `P1 onboarding latency: wall time / critical-path lower bound (target ≤ ${GOALS.P1_LATENCY_RATIO})`,
    run: async (o) => (await import('./onboarding-latency')).onboardingLatency(o),
  },
  { ...pluginTarget('P2', 'P2 fleet: Palette calls per second on the binding prefix / its limit (target ≥ 0.9)', 'fleet.ts', 'fleetBench'), atLeast: true },
  pluginTarget('P3', 'P3 cold start', 'cold-start.ts', 'coldStartBench'),
  {
    id: 'P4',
    title: `P4 cost: state transitions per happy path (target ≤ ${GOALS.P4_STS_TRANSITIONS} for the STS tenant)`,
    run: async (o) => (await import('./state-transitions')).stateTransitions(o),
  },
  { id: 'S1', title: `S1 AWS sandbox: median per-call overhead (target ≤ ${GOALS.S1_OVERHEAD_MS} ms)`, run: sandboxOverheadOutcome },
];

export interface BenchArgs {
  only?: string[];
  fleet?: number;
  latencyRuns: number;
  iterations?: number;
  help: boolean;
}

const USAGE = `usage: npm run bench -- [--only ${TARGETS.map((t) => t.id).join(',')}] [--fleet N] [--latency-runs N] [--iterations N]
  --only IDS        run these targets only (comma-separated; default all)
  --fleet N         P2: tenants in the fleet (default: the fleet module's own)
  --latency-runs N  P1: warm onboardings per kind after the first, cold one (default 1)
  --iterations N    S1: timed calls per operation and principal (default 300)`;

function positiveInt(flag: string, raw: string | undefined): number {
  const n = Number(raw);
  if (raw === undefined || !Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a positive integer, got ${raw ?? 'nothing'}\n${USAGE}`);
  return n;
}

export function parseBenchArgs(argv: readonly string[], known: readonly string[] = TARGETS.map((t) => t.id)): BenchArgs {
  const args: BenchArgs = { latencyRuns: 1, help: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] ?? '').split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--only': {
        const ids = (value() ?? '').split(',').map((s) => s.trim().toUpperCase()).filter((s) => s !== '');
        const unknown = ids.filter((id) => !known.includes(id));
        if (ids.length === 0 || unknown.length > 0) throw new Error(`--only: unknown target(s) ${unknown.join(', ') || '(none given)'}; targets: ${known.join(', ')}\n${USAGE}`);
        args.only = ids;
        break;
      }
      case '--fleet':
        args.fleet = positiveInt('--fleet', value());
        break;
      case '--latency-runs':
        args.latencyRuns = positiveInt('--latency-runs', value());
        break;
      case '--iterations':
        args.iterations = positiveInt('--iterations', value());
        break;
      case '--help':
      case '-h':
        args.help = true;
        break;
      default:
        throw new Error(`unknown argument ${argv[i] ?? ''}\n${USAGE}`);
    }
  }
  return args;
}

export type TargetReport =
  | ({ id: string; title: string; status: 'measured'; seconds: number; atLeast?: boolean } & TargetOutcome)
  | { id: string; title: string; status: 'not measured' | 'not run'; reason: string; seconds: number; ratio: null; target: null; met: null };

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Runs one target; any failure is "not measured" with its reason (a bug shows its stack on stderr too). */
export async function runTarget(t: BenchTarget, opts: BenchOptions): Promise<TargetReport> {
  const started = performance.now();
  const secs = () => Math.round((performance.now() - started) / 100) / 10;
  try {
    const out = await t.run(opts);
    return { id: t.id, title: t.title, status: 'measured', seconds: secs(), ...(t.atLeast ? { atLeast: true } : {}), ...out };
  } catch (e) {
    if (!(e instanceof NotMeasured)) opts.log(`${t.id} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return { id: t.id, title: t.title, status: 'not measured', reason: messageOf(e), seconds: secs(), ratio: null, target: null, met: null };
  }
}

export function formatReport(r: TargetReport): string {
  const head = `## ${r.title}`;
  if (r.status !== 'measured') return `${head}\n\n${r.status}: ${r.reason}\n`;
  const verdict = `**ratio ${fixed(r.ratio, 3)}, target ${r.atLeast ? '≥' : '≤'} ${r.target}: ${r.met ? 'met' : 'NOT met'}** (${r.seconds} s)`;
  return `${head}\n\n${markdownTable(r.rows)}\n\n${verdict}${r.summary ? `\n\n${r.summary}` : ''}\n`;
}

async function main(argv: string[]): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(argv);
  } catch (e) {
    process.stderr.write(`${messageOf(e)}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const opts: BenchOptions = {
    latencyRuns: args.latencyRuns,
    ...(args.fleet !== undefined ? { fleet: args.fleet } : {}),
    ...(args.iterations !== undefined ? { iterations: args.iterations } : {}),
    log: (line) => process.stderr.write(`[bench] ${line}\n`),
  };
  const startedAt = new Date();
  const load = loadavg()[0] ?? 0;
  const reports: TargetReport[] = [];
  for (const t of TARGETS) {
    if (args.only && !args.only.includes(t.id)) {
      reports.push({ id: t.id, title: t.title, status: 'not run', reason: `not selected (--only ${args.only.join(',')})`, seconds: 0, ratio: null, target: null, met: null });
      continue;
    }
    opts.log(`${t.title}`);
    const r = await runTarget(t, opts);
    reports.push(r);
    process.stdout.write(`\n${formatReport(r)}`);
  }
  const seconds = Math.round((Date.now() - startedAt.getTime()) / 100) / 10;
  const command = `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
  const machine = `Node ${process.version}, ${cpus().length} CPU(s), load average ${fixed(load, 2)} at start`;
  const md = [
    '# Bench results (latest run)',
    '',
    `\`${command}\`, ${startedAt.toISOString()}, ${seconds} s; ${machine}. Every figure is a ratio measured in this run; ` +
      '`met` = ratio ≤ target (P2: ≥ target, with no failure and no 429). Written by bench/run.ts.',
    '',
    '| target | ratio | target | met |',
    '| --- | ---: | ---: | --- |',
    ...reports.map((r) => (r.status === 'measured' ? `| ${r.id} | ${fixed(r.ratio, 3)} | ${r.atLeast ? '≥' : '≤'} ${r.target} | ${r.met ? 'yes' : 'NO'} |` : `| ${r.id} | ${r.status}: ${r.reason.replace(/\|/g, '\\|')} | | |`)),
    '',
    ...reports.map(formatReport),
  ].join('\n');
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, 'latest.md'), md);
  writeFileSync(
    join(RESULTS_DIR, 'latest.json'),
    `${JSON.stringify({ command, startedAt: startedAt.toISOString(), seconds, machine: { node: process.version, cpus: cpus().length, loadAverage: load }, targets: reports }, null, 2)}\n`,
  );
  process.stdout.write(`\n${reports.filter((r) => r.status === 'measured').length} target(s) measured in ${seconds} s; bench/results/latest.md and latest.json written\n`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
