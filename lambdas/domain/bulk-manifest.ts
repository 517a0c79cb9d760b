/**
 * Bulk onboarding (README "Bulk onboarding"), what the Bulk state machine (cdk/lib/constructs/bulk-state-machine.ts),
 * the CLI (`start --many`) and the local runner agree on: where manifests and results live in the manifest bucket,
 * the run's defaults, the item outcomes, and how the results Step Functions' ResultWriter writes are read back. Pure.
 */
import * as z from 'zod';

/** Manifests (JSON Lines objects or folders of request files) are read under this prefix only. */
export const BULK_MANIFEST_PREFIX = 'manifests/';
/** ResultWriter writes `results/<map run id>/manifest.json`, `SUCCEEDED_0.json`, `FAILED_0.json`, `PENDING_0.json`. */
export const BULK_RESULTS_PREFIX = 'results';
/** Defaults of a run; the input may override both. */
export const BULK_DEFAULTS = { maxConcurrency: 10, toleratedFailurePercentage: 0 } as const;
/** The item outcome of a request whose execution already exists (a re-run of the manifest): nothing was started. */
export const ALREADY_STARTED = 'already-started';
export const ONBOARDED = 'onboarded';

/** The Bulk state machine's input. */
export interface BulkInput {
  manifest: { key: string } | { prefix: string };
  maxConcurrency?: number;
  toleratedFailurePercentage?: number;
}

/** Its output (BuildSummary). */
export const BulkSummarySchema = z.object({
  executionName: z.string(),
  manifest: z.record(z.string(), z.unknown()),
  maxConcurrency: z.number(),
  toleratedFailurePercentage: z.number(),
  mapRunArn: z.string(),
  itemCounts: z.record(z.string(), z.number()),
  results: z.object({ Bucket: z.string(), Key: z.string() }),
});
export type BulkSummary = z.infer<typeof BulkSummarySchema>;

/** Where ResultWriter put a map run's manifest.json (`results/<map run id>/manifest.json`). */
export function resultsManifestKey(mapRunArn: string): string {
  const id = mapRunArn.slice(mapRunArn.lastIndexOf(':') + 1);
  return `${BULK_RESULTS_PREFIX}/${id}/manifest.json`;
}

/** One tenant of a bulk run, as the result table shows it. */
export interface BulkResultRow {
  tenantId: string;
  outcome: typeof ONBOARDED | typeof ALREADY_STARTED | 'failed' | 'not-started';
  executionName?: string;
  /** The onboarding execution's status when known (SUCCEEDED, FAILED, ...). */
  status?: string;
  /** Error name and message (failed items). */
  error?: string;
}

const ResultFileRef = z.object({ Key: z.string() });
export const ResultsManifestSchema = z.object({
  DestinationBucket: z.string(),
  MapRunArn: z.string(),
  ResultFiles: z.object({ SUCCEEDED: z.array(ResultFileRef).default([]), FAILED: z.array(ResultFileRef).default([]), PENDING: z.array(ResultFileRef).default([]) }).partial(),
});
const ResultEntry = z.object({
  Input: z.string().optional(),
  Output: z.string().optional(),
  Status: z.string().optional(),
  Error: z.string().optional(),
  Cause: z.string().optional(),
});
export const ResultFileSchema = z.array(ResultEntry);

const parse = (text: string | undefined): unknown => {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};
const field = (v: unknown, k: string): unknown => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** errorMessage of a Lambda error document, else the text. */
function message(cause: string | undefined): string {
  const doc = parse(cause);
  return str(field(doc, 'errorMessage')) ?? cause ?? '';
}

/** The tenant an item was about: the request's tenantId, else the request file's key. */
function itemTenant(input: unknown): string {
  return str(field(field(input, 'request'), 'tenantId')) ?? str(field(input, 'tenantId')) ?? str(field(input, 'key')) ?? '(unknown)';
}

/** The rows of one result file (its entries' status: SUCCEEDED, FAILED or PENDING). */
export function resultRows(kind: 'SUCCEEDED' | 'FAILED' | 'PENDING', entries: z.infer<typeof ResultFileSchema>): BulkResultRow[] {
  return entries.map((e) => {
    const input = parse(e.Input);
    if (kind === 'SUCCEEDED') {
      const out = parse(e.Output);
      const outcome = str(field(out, 'outcome')) === ALREADY_STARTED ? ALREADY_STARTED : ONBOARDED;
      const name = str(field(out, 'executionName'));
      return {
        tenantId: str(field(out, 'tenantId')) ?? itemTenant(input),
        outcome,
        ...(name ? { executionName: name } : {}),
        ...(outcome === ONBOARDED ? { status: 'SUCCEEDED' } : {}),
      };
    }
    if (kind === 'PENDING') return { tenantId: itemTenant(input), outcome: 'not-started' };
    // A child that did not succeed fails the item with States.TaskFailed, its DescribeExecution as the Cause.
    const child = e.Error === 'States.TaskFailed' ? parse(e.Cause) : undefined;
    const childName = str(field(child, 'Name'));
    const childError = str(field(child, 'Error'));
    const error = childError !== undefined ? `${childError}: ${message(str(field(child, 'Cause')))}` : `${e.Error ?? 'Error'}: ${message(e.Cause)}`;
    return {
      tenantId: itemTenant(input),
      outcome: 'failed',
      ...(childName ? { executionName: childName } : {}),
      ...(str(field(child, 'Status')) ? { status: str(field(child, 'Status')) as string } : {}),
      error,
    };
  });
}
