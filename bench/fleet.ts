/**
 * P2 fleet: N tenants (default 200; `--tenants 1000`) onboarded through the Bulk state machine (a Distributed Map over
 * a JSON Lines manifest, every tenant a child execution of the onboarding) on a local sandbox whose Palette emulator
 * enforces Palette's documented rate limits (10 requests/s per source and prefix, burst 5: a bucket of 50). The sandbox
 * runs in a worker thread of this process (bench/sandbox-thread.ts), as AWS and Palette run elsewhere than the workflow.
 *
 * Measured, never estimated:
 * - **calls per second on the binding prefix**: per prefix, its accepted calls (not 429) divided by the time between
 *   its first and last call; the binding prefix is the one whose limit binds the fleet, i.e. of the prefixes every
 *   onboarding calls (at least one accepted call per tenant: a handful of calls in one burst is no rate), the one used
 *   closest to its limit (highest calls per second / limit; ties: the most calls). A prefix the fleet calls about as often but
 *   that waits on the binding one has idle seconds by construction (the fleet's onboardings queue behind the binding
 *   prefix), so "the most calls" would pick a prefix with slack whenever the readiness probes add a few calls to it.
 *   `ratio` = that / the prefix's limit (10 rps). Target
 *   `ratio >= 0.9`: the fleet keeps Palette's pipe at least 90 % full without going over it;
 * - **executions failed** (children that did not succeed; target 0);
 * - **429s the emulator returned** (its own rate limiter's counter, `faultStats().rateLimited`, read from the thread; target 0);
 * - wall time, tenants per minute.
 * `met` = ratio >= 0.9 and no failed execution and no 429.
 *
 *   tsx bench/fleet.ts [--tenants N] [--concurrency N] [--json]
 *
 * bench/run.ts calls `fleetBench({ fleet })` (BenchOptions) as P2; `fleetBench({ tenants })` works alone.
 */
import { pathToFileURL } from 'node:url';
import { RATE_LIMIT_PREFIXES } from '../local/palette/realism';
import { loadWorkflow, runBulk } from '../local/runner';
import { startSandboxThread } from './sandbox-thread';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const FLEET_TARGET = 0.9;
export const DEFAULT_TENANTS = 200;
/** Children run at once: enough to keep a 10 rps prefix full while each child waits out IAM propagation (measured: 25 left it at 0.55, 50 at 0.87 for 100 tenants). */
export const DEFAULT_CONCURRENCY = 50;

type Cell = string | number | boolean | null;

export interface FleetOptions {
  tenants?: number;
  /** bench/run.ts's name for tenants. */
  fleet?: number;
  maxConcurrency?: number;
  log?: (line: string) => void;
}

export interface PrefixFigures {
  prefix: string;
  /** Accepted calls (any status but 429). */
  calls: number;
  /** 429s the emulator's rate limiter returned on it. */
  rateLimited: number;
  /** calls / (last call - first call). */
  callsPerSecond: number;
  limitRps: number;
}

export interface FleetOutcome {
  rows: Record<string, Cell>[];
  /** Achieved calls per second on the binding prefix / its limit. */
  ratio: number;
  target: number;
  met: boolean;
  tenants: number;
  maxConcurrency: number;
  /** Child executions that did not succeed (plus items that never ran one). */
  failed: number;
  /** 429s returned by the emulator's own rate limiter (every prefix). */
  emulator429s: number;
  wallSeconds: number;
  /** Accepted Palette calls per second on the binding prefix. */
  callsPerSecond: number;
  bindingPrefix: string;
  prefixes: PrefixFigures[];
  bulkStatus: string;
  summary: string;
  details: Record<string, unknown>;
}

const account = (i: number) => `77${String(i).padStart(10, '0')}`;

/** The fleet's requests: sts tenants, each in its own account, registering the AWS cloud account and S3 location. */
export function fleetRequests(n: number): unknown[] {
  return Array.from({ length: n }, (_, i) => ({
    tenantId: `fleet-${String(i + 1).padStart(4, '0')}`,
    aws: { accountId: account(i + 1), region: 'us-east-1', credentialMode: 'sts' },
    register: { cloudAccount: { enabled: true }, backupLocation: { isDefault: false } },
  }));
}

/** Prefixes closest to their limit first (calls per second / limit; ties: the most calls). */
export const byUtilization = (a: PrefixFigures, b: PrefixFigures): number =>
  b.callsPerSecond / b.limitRps - a.callsPerSecond / a.limitRps || b.calls - a.calls;

/**
 * The prefix whose limit binds a fleet of `tenants`: of the prefixes every onboarding calls (at least one accepted
 * call per tenant: a handful of calls in one burst is no rate), the one used closest to its limit; without such a
 * prefix, the one used closest to its limit.
 */
export function bindingPrefix(prefixes: readonly PrefixFigures[], tenants: number): PrefixFigures | undefined {
  const sorted = [...prefixes].sort(byUtilization);
  return sorted.find((p) => p.calls >= tenants) ?? sorted[0];
}

export async function fleetBench(opts: FleetOptions = {}): Promise<FleetOutcome> {
  const tenants = opts.tenants ?? opts.fleet ?? DEFAULT_TENANTS;
  const maxConcurrency = opts.maxConcurrency ?? DEFAULT_CONCURRENCY;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const workflow = await loadWorkflow();
  // AWS and Palette in a thread of their own (bench/sandbox-thread.ts): the runner's event loop is the runner's.
  const thread = await startSandboxThread();
  const sb = thread.endpoints;
  const before = (await thread.paletteCalls()).rateLimited;
  const started = Date.now();
  let lastLine = 0;
  try {
    log(`P2 fleet: ${tenants} tenants through the Bulk state machine, at most ${maxConcurrency} at once`);
    const result = await runBulk(
      { kind: 'lines', requests: fleetRequests(tenants) },
      {
        sandbox: sb,
        workflow,
        maxConcurrency,
        toleratedFailurePercentage: 100,
        onProgress: (e) => {
          if (e.kind !== 'map-run' || Date.now() - lastLine < 10_000) return;
          lastLine = Date.now();
          const c = e.itemCounts;
          log(`  ${Math.round((Date.now() - started) / 1000)} s: ${c.succeeded} succeeded, ${c.failed} failed, ${c.running} running, ${c.pending} pending`);
        },
      },
    );
    const wallMs = Date.now() - started;
    const calls = await thread.paletteCalls();
    const after = calls.rateLimited;
    const byPrefix = new Map(Object.entries(calls.byPrefix));
    const emulator429s = after.total - before.total;
    const prefixes: PrefixFigures[] = [...byPrefix.entries()]
      .map(([prefix, p]) => {
        const windowS = Math.max(1, p.last - p.first) / 1000;
        return {
          prefix,
          calls: p.calls,
          rateLimited: (after.byPrefix[prefix] ?? 0) - (before.byPrefix[prefix] ?? 0),
          callsPerSecond: p.calls / windowS,
          limitRps: RATE_LIMIT_PREFIXES.find((r) => r.prefix === prefix)?.rps ?? 10,
        };
      })
      .sort(byUtilization);
    const binding = bindingPrefix(prefixes, tenants);
    const callsPerSecond = binding?.callsPerSecond ?? 0;
    const ratio = binding ? callsPerSecond / binding.limitRps : 0;
    const succeeded = result.rows.filter((r) => r.outcome === 'onboarded').length;
    const failed = tenants - succeeded;
    const met = ratio >= FLEET_TARGET && failed === 0 && emulator429s === 0;
    const rows: Record<string, Cell>[] = [
      { figure: 'tenants', value: tenants, target: null },
      { figure: 'max concurrency (children at once)', value: maxConcurrency, target: null },
      { figure: `calls/s on the binding prefix ${binding?.prefix ?? '-'}`, value: Number(callsPerSecond.toFixed(2)), target: `>= ${(FLEET_TARGET * (binding?.limitRps ?? 10)).toFixed(1)}` },
      { figure: 'ratio (calls/s / limit)', value: Number(ratio.toFixed(3)), target: `>= ${FLEET_TARGET}` },
      { figure: 'executions failed', value: failed, target: 0 },
      { figure: '429s returned by the emulator', value: emulator429s, target: 0 },
      { figure: 'wall time (s)', value: Number((wallMs / 1000).toFixed(1)), target: null },
      { figure: 'tenants per minute', value: Number((succeeded / (wallMs / 60_000)).toFixed(1)), target: null },
      ...prefixes.map((p) => ({ figure: `  ${p.prefix}: calls / 429s / calls per s`, value: `${p.calls} / ${p.rateLimited} / ${p.callsPerSecond.toFixed(2)}`, target: `<= ${p.limitRps} rps` })),
    ];
    const summary =
      `${tenants} tenants through the Bulk state machine (Distributed Map, ${maxConcurrency} at once) against the emulator's real rate limits: ` +
      `ratio = accepted Palette calls per second on the binding prefix (${binding?.prefix ?? '-'}: the one used closest to its limit; every prefix is listed) / its limit (${binding?.limitRps ?? 10} rps); ` +
      `met = ratio >= ${FLEET_TARGET}, 0 failed executions and 0 emulator 429s.`;
    return {
      rows,
      ratio,
      target: FLEET_TARGET,
      met,
      tenants,
      maxConcurrency,
      failed,
      emulator429s,
      wallSeconds: wallMs / 1000,
      callsPerSecond,
      bindingPrefix: binding?.prefix ?? '',
      prefixes,
      bulkStatus: result.run.status,
      summary,
      details: {
        bulkStatus: result.run.status,
        bulkError: result.run.error,
        itemCounts: result.summary?.itemCounts ?? result.run.mapRuns?.at(-1)?.itemCounts,
        failures: result.rows.filter((r) => r.outcome !== 'onboarded').slice(0, 20),
        prefixes,
      },
    };
  } finally {
    await thread.stop();
  }
}

async function main(argv: string[]): Promise<void> {
  let tenants: number | undefined;
  let maxConcurrency: number | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--tenants' || a === '--concurrency') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${a} needs a positive integer`);
      if (a === '--tenants') tenants = n;
      else maxConcurrency = n;
    } else if (a === '--json') json = true;
    else throw new Error(`usage: tsx bench/fleet.ts [--tenants N] [--concurrency N] [--json] (unknown ${a})`);
  }
  const out = await fleetBench({ ...(tenants ? { tenants } : {}), ...(maxConcurrency ? { maxConcurrency } : {}) });
  if (json) {
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    process.stdout.write(`\nP2 fleet: ${out.met ? 'met' : 'NOT met'} (ratio ${out.ratio.toFixed(3)}, target >= ${out.target})\n`);
    for (const r of out.rows) process.stdout.write(`  ${String(r.figure).padEnd(58)} ${String(r.value).padStart(22)}  ${r.target === null ? '' : `(target ${r.target})`}\n`);
    process.stdout.write(`${out.summary}\n`);
  }
  setTimeout(() => process.exit(0), 200).unref();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`bench/fleet: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  });
}
