/**
 * `palette-onboard start --many <file|dir>` (README "Bulk onboarding"): the manifest read from a JSON Lines file or a
 * folder of request files (every request validated locally first, as `start` does), written as one JSON Lines object
 * under manifests/ of the manifest bucket, the live progress bar of the map run, and the result table read from what
 * ResultWriter wrote. Shared by the deployed mode (cli/main.ts) and the local one (local/bin/run-bulk.ts).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  ALREADY_STARTED,
  BULK_MANIFEST_PREFIX,
  ONBOARDED,
  ResultFileSchema,
  ResultsManifestSchema,
  resultRows,
  type BulkResultRow,
} from '../lambdas/domain/bulk-manifest';
import { formatDuration, type Stream, type Style } from './format';
import { RequestFileError, validateRequest } from './request';

export const BULK_STATE_MACHINE_ARN_ENV = 'PALETTE_BULK_STATE_MACHINE_ARN';
export const BULK_BUCKET_ENV = 'PALETTE_BULK_MANIFEST_BUCKET';
export const BULK_TARGET = { env: BULK_STATE_MACHINE_ARN_ENV, output: 'BulkStateMachineArn' } as const;
export const BULK_BUCKET_OUTPUT = 'BulkManifestBucketName';

/** One request of a manifest and where it came from (`file.jsonl:3`, `dir/acme.json`). */
export interface ManifestEntry {
  source: string;
  request: unknown;
}

/** At most this many requests per run (the CLI's own bound; a Distributed Map takes far more). */
export const MAX_MANIFEST_REQUESTS = 10_000;

/**
 * The requests of `path`: a folder (its `*.json` files, not sub-folders, in name order, one request each) or a JSON
 * Lines file (one request per non-empty line). Every request is validated as ValidateRequest would; any problem
 * (not JSON, invalid request, a tenant twice) fails with every problem listed, before anything is started.
 */
export function readManifest(path: string): ManifestEntry[] {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new RequestFileError(`manifest not found: ${path}`);
  }
  const entries: ManifestEntry[] = [];
  const problems: string[] = [];
  if (isDir) {
    const files = readdirSync(path)
      .filter((f) => f.endsWith('.json'))
      .sort();
    for (const f of files) {
      const file = join(path, f);
      if (!statSync(file).isFile()) continue;
      try {
        entries.push({ source: join(basename(path), f), request: JSON.parse(readFileSync(file, 'utf8')) as unknown });
      } catch (e) {
        problems.push(`${f}: not JSON (${e instanceof Error ? e.message : String(e)})`);
      }
    }
  } else {
    const lines = readFileSync(path, 'utf8').split(/\r?\n/);
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      const source = `${basename(path)}:${i + 1}`;
      try {
        entries.push({ source, request: JSON.parse(line) as unknown });
      } catch (e) {
        problems.push(`${source}: not JSON (${e instanceof Error ? e.message : String(e)})`);
      }
    });
  }
  const seen = new Map<string, string>();
  for (const e of entries) {
    try {
      const r = validateRequest(e.request, e.source);
      const first = seen.get(r.tenantId);
      if (first) problems.push(`${e.source}: tenant '${r.tenantId}' is already requested by ${first} (one request per tenant and run)`);
      else seen.set(r.tenantId, e.source);
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
  }
  if (entries.length === 0 && problems.length === 0) throw new RequestFileError(`${path} holds no request (${isDir ? 'no *.json file' : 'no line'})`);
  if (entries.length > MAX_MANIFEST_REQUESTS) problems.push(`${path}: ${entries.length} requests, at most ${MAX_MANIFEST_REQUESTS} per run`);
  if (problems.length > 0) throw new RequestFileError(`the manifest ${path} has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return entries;
}

/** The manifest object's body: one request per line, as given. */
export function manifestText(entries: readonly ManifestEntry[]): string {
  return `${entries.map((e) => JSON.stringify(e.request)).join('\n')}\n`;
}

/** `bulk-20261202T180014Z-1a2b3c4d`: the run's execution name (a new run each time; children dedupe by their names). */
export function bulkExecutionName(text: string, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `bulk-${stamp}-${createHash('sha256').update(text).digest('hex').slice(0, 8)}`;
}

/** Where the CLI writes a run's manifest. */
export const manifestKeyFor = (executionName: string): string => `${BULK_MANIFEST_PREFIX}${executionName}.jsonl`;

// ---- results -----------------------------------------------------------------------------------------------

async function readJson(s3: S3Client, Bucket: string, Key: string): Promise<unknown> {
  const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
  return JSON.parse((await got.Body?.transformToString('utf8')) ?? 'null') as unknown;
}

/** Every tenant's row, from the results ResultWriter wrote (its manifest.json at `Bucket` / `Key`). */
export async function readBulkResults(s3: S3Client, at: { Bucket: string; Key: string }): Promise<BulkResultRow[]> {
  const manifest = ResultsManifestSchema.parse(await readJson(s3, at.Bucket, at.Key));
  const rows: BulkResultRow[] = [];
  for (const kind of ['SUCCEEDED', 'FAILED', 'PENDING'] as const) {
    for (const f of manifest.ResultFiles[kind] ?? []) rows.push(...resultRows(kind, ResultFileSchema.parse(await readJson(s3, manifest.DestinationBucket, f.Key))));
  }
  return rows.sort((a, b) => (a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : 0));
}

// ---- progress ----------------------------------------------------------------------------------------------

/** A map run's item counts (DescribeMapRun's ItemCounts, lower-cased). */
export interface BulkCounts {
  total: number;
  succeeded: number;
  failed: number;
  running: number;
  pending: number;
  timedOut?: number;
  aborted?: number;
}

/** `[██████████░░░░░░░░░░] 10/20  ✓ 9  ✗ 1  ▶ 4  12.0/min  0:50`: done, failed, running, the rate, the time. */
export function formatBulkProgress(c: BulkCounts, elapsedMs: number, width = 24): string {
  const failed = c.failed + (c.timedOut ?? 0) + (c.aborted ?? 0);
  const done = c.succeeded + failed;
  const filled = c.total === 0 ? width : Math.round((done / c.total) * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(Math.max(0, width - filled))}`;
  const minutes = elapsedMs / 60_000;
  const rate = minutes > 0 ? done / minutes : 0;
  const secs = Math.floor(elapsedMs / 1000);
  const clock = `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, '0')}`;
  return `[${bar}] ${done}/${c.total}  done ${c.succeeded}  failed ${failed}  running ${c.running}  ${rate.toFixed(1)}/min  ${clock}`;
}

/**
 * The live progress bar: redrawn in place on a terminal; elsewhere (a pipe, CI logs) one line per change of the done /
 * failed counts, so logs stay short.
 */
export class BulkProgressBar {
  private readonly started = Date.now();
  private last = '';
  private lastKey = '';
  private drawn = false;
  constructor(private readonly out: Stream) {}

  update(c: BulkCounts): void {
    const line = formatBulkProgress(c, Date.now() - this.started);
    if (this.out.isTTY) {
      if (line === this.last) return;
      this.out.write(`\r\u001b[K${line}`);
      this.drawn = true;
    } else {
      const key = `${c.succeeded}/${c.failed}/${c.total}`;
      if (key === this.lastKey) return;
      this.lastKey = key;
      this.out.write(`${line}\n`);
    }
    this.last = line;
  }

  finish(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}

// ---- the table -----------------------------------------------------------------------------------------------

const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - s.length));

/** The final table: one row per tenant, then the totals. */
export function formatBulkTable(rows: readonly BulkResultRow[], s: Style, elapsedMs?: number): string {
  const header = ['TENANT', 'OUTCOME', 'STATUS', 'EXECUTION', 'ERROR'];
  const cells = rows.map((r) => [r.tenantId, r.outcome, r.status ?? '-', r.executionName ?? '-', r.error ? (r.error.length > 160 ? `${r.error.slice(0, 157)}...` : r.error) : '']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: string[]) => c.map((v, i) => (i === c.length - 1 ? v : pad(v, widths[i] as number))).join('  ').trimEnd();
  const paint = (r: BulkResultRow, text: string) => (r.outcome === 'failed' || r.outcome === 'not-started' ? s.bad(text) : r.outcome === ALREADY_STARTED ? s.dim(text) : s.ok(text));
  const count = (o: BulkResultRow['outcome']) => rows.filter((r) => r.outcome === o).length;
  const totals = `${rows.length} tenant(s): ${count(ONBOARDED)} onboarded, ${count(ALREADY_STARTED)} already started (not started again), ${count('failed')} failed${count('not-started') > 0 ? `, ${count('not-started')} not started` : ''}${elapsedMs !== undefined ? ` in ${formatDuration(elapsedMs)}` : ''}`;
  return `${s.bold(line(header))}\n${rows.map((r, i) => paint(r, line(cells[i] as string[]))).join('\n')}\n${totals}\n`;
}

/** Exit code of a bulk run: 0 when every tenant was onboarded or already started, else 1. */
export const bulkExitCode = (rows: readonly BulkResultRow[]): number => (rows.length > 0 && rows.every((r) => r.outcome === ONBOARDED || r.outcome === ALREADY_STARTED) ? 0 : 1);
