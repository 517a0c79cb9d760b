/**
 * What a bench target is and what it reports (bench/run.ts runs them). Every target is a ratio measured in one
 * run: `met` is `ratio <= target`. A target that could not be measured says why, never a figure.
 */

/** The issue's targets that bench modules of this directory measure (bench/run.ts titles them). */
export const GOALS = {
  /** P1: wall time / critical-path lower bound of one onboarding, at most. */
  P1_LATENCY_RATIO: 1.15,
  /** P4: state transitions of the STS tenant's happy path, at most. */
  P4_STS_TRANSITIONS: 25,
  /** S1: median per-call overhead of the AWS sandbox, ms, at most. */
  S1_OVERHEAD_MS: 2,
} as const;

/** Sizes and switches from the command line (bench/run.ts), handed to every target. */
export interface BenchOptions {
  /** P2: tenants in the fleet. */
  fleet?: number;
  /** P1: warm onboardings measured per kind after the first (cold) one. */
  latencyRuns: number;
  /** Sandbox overhead: timed calls per operation and principal. */
  iterations?: number;
  /** Progress lines (stderr). */
  log: (line: string) => void;
}

/** One table cell. */
export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

/** What a measured target returns (the shape P2 / P3 modules return too). */
export interface TargetOutcome {
  rows: Row[];
  ratio: number;
  target: number;
  met: boolean;
  /** How the ratio is computed and what it means, one or two sentences (Markdown). */
  summary?: string;
  /** Further figures for latest.json. */
  details?: Record<string, unknown>;
}

export interface BenchTarget {
  /** "P1", "P4", ...: what --only selects. */
  id: string;
  title: string;
  /** The ratio must be at least the target (P2's share of the rate limit); default: at most. */
  atLeast?: boolean;
  run(opts: BenchOptions): Promise<TargetOutcome>;
}

/** Thrown by a target (or its loader) that cannot be measured: the table says so, with the reason. */
export class NotMeasured extends Error {
  override name = 'NotMeasured';
}

export const fixed = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
export const seconds = (ms: number): string => fixed(ms / 1000, 2);

/** A Markdown table of rows (columns: every key, in first-seen order). */
export function markdownTable(rows: readonly Row[]): string {
  if (rows.length === 0) return '(no rows)';
  const columns: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
  const text = (c: Cell | undefined): string => (c === null || c === undefined ? '' : String(c)).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const numeric = columns.map((c) => rows.every((r) => r[c] === undefined || r[c] === null || typeof r[c] === 'number' || /^-?\$?[\d.,]+( ?[%a-zA-Z]+)?$/.test(String(r[c]))));
  const cells = rows.map((r) => columns.map((c) => text(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, 3, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (vals: string[]) => `| ${vals.map((v, i) => (numeric[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`;
  return [line(columns), rule, ...cells.map(line)].join('\n');
}
