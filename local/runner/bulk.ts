/**
 * Bulk onboarding on the sandbox (README "Bulk onboarding"): the manifest written to the app's manifest bucket in the
 * sandbox (the bucket the stack output BulkManifestBucketName names), then the Bulk state machine run on it (its
 * Distributed Map and the child onboardings served by the runner: distributed-map.ts, runner.ts), then every tenant's
 * row read back from what its ResultWriter wrote, as the CLI reads it on AWS.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { BULK_MANIFEST_PREFIX, BulkSummarySchema, resultsManifestKey, type BulkInput, type BulkResultRow, type BulkSummary } from '../../lambdas/domain/bulk-manifest';
import { bulkExecutionName, manifestKeyFor, readBulkResults } from '../../cli/bulk';
import { ensureSandboxBuckets, sandboxS3 } from './buckets';
import { loadWorkflow, runStateMachine, type LocalRunResult, type LocalWorkflow, type RunOptions } from './runner';
import { sandboxEndpoints } from './sandbox';
import { resolveValue, TemplateError, type DeploymentTarget } from './template';

/** Logical-id prefix of the Bulk state machine (construct `Bulk` of the stack). */
export const BULK_STATE_MACHINE = 'Bulk';
const BUCKET_OUTPUT = 'BulkManifestBucketName';

/** The manifest bucket's name in the sandbox (the stack output, resolved as CloudFormation would). */
export function sandboxManifestBucket(workflow: LocalWorkflow, sb: RunOptions['sandbox']): string {
  const ep = sandboxEndpoints(sb);
  const stack = workflow.assembly.stacks.find((st) => st.template.Outputs?.[BUCKET_OUTPUT] !== undefined);
  if (!stack) throw new TemplateError(`no stack has the output ${BUCKET_OUTPUT}`);
  const target: DeploymentTarget = { stackName: stack.stackName, partition: 'aws', region: ep.aws.region, accountId: ep.aws.accountId };
  const name = resolveValue(stack.template.Outputs?.[BUCKET_OUTPUT]?.Value, stack.template, target);
  if (typeof name !== 'string') throw new TemplateError(`the output ${BUCKET_OUTPUT} is not a name`);
  return name;
}

export type BulkManifest =
  /** One JSON Lines object, a request per line. */
  | { kind: 'lines'; requests: readonly unknown[] }
  /** A folder of request files, one object per request (`<name>.json`). */
  | { kind: 'files'; files: readonly { name: string; request: unknown }[] };

export interface BulkRunOptions extends Omit<RunOptions, 'stateMachine' | 'definition'> {
  maxConcurrency?: number;
  toleratedFailurePercentage?: number;
}

export interface BulkRun {
  run: LocalRunResult;
  bucket: string;
  /** What the manifest was written as. */
  manifest: BulkInput['manifest'];
  summary?: BulkSummary;
  /** Every tenant's row, from the results ResultWriter wrote (empty when the map never ran). */
  rows: BulkResultRow[];
}

/** Writes the manifest to the sandbox's manifest bucket and runs the Bulk state machine over it. */
export async function runBulk(manifest: BulkManifest, opts: BulkRunOptions): Promise<BulkRun> {
  const workflow = opts.workflow && 'assembly' in opts.workflow ? opts.workflow : await loadWorkflow(opts.workflow ?? {});
  const sb = sandboxEndpoints(opts.sandbox);
  const bucket = sandboxManifestBucket(workflow, sb);
  const stack = workflow.assembly.stacks.find((st) => st.template.Outputs?.[BUCKET_OUTPUT] !== undefined);
  if (stack) await ensureSandboxBuckets(sb, stack.template, { stackName: stack.stackName, partition: 'aws', region: sb.aws.region, accountId: sb.aws.accountId });
  const text = manifest.kind === 'lines' ? `${manifest.requests.map((r) => JSON.stringify(r)).join('\n')}\n` : JSON.stringify(manifest.files.map((f) => f.request));
  const executionName = opts.executionName ?? bulkExecutionName(text);
  const s3 = sandboxS3(sb);
  let where: BulkInput['manifest'];
  try {
    if (manifest.kind === 'lines') {
      const key = manifestKeyFor(executionName);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text, ContentType: 'application/jsonl' }));
      where = { key };
    } else {
      const prefix = `${BULK_MANIFEST_PREFIX}${executionName}/`;
      for (const f of manifest.files) {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${f.name}`, Body: JSON.stringify(f.request), ContentType: 'application/json' }));
      }
      where = { prefix };
    }
    const input: BulkInput = {
      manifest: where,
      ...(opts.maxConcurrency !== undefined ? { maxConcurrency: opts.maxConcurrency } : {}),
      ...(opts.toleratedFailurePercentage !== undefined ? { toleratedFailurePercentage: opts.toleratedFailurePercentage } : {}),
    };
    const { maxConcurrency: _c, toleratedFailurePercentage: _t, ...runOpts } = opts;
    const run = await runStateMachine(input, { ...runOpts, workflow, stateMachine: BULK_STATE_MACHINE, executionName });
    const parsed = BulkSummarySchema.safeParse(run.output);
    const summary = parsed.success ? parsed.data : undefined;
    const mapRun = run.mapRuns?.at(-1);
    const at = summary?.results ?? mapRun?.resultWriterDetails ?? (mapRun ? { Bucket: bucket, Key: resultsManifestKey(mapRun.mapRunArn) } : undefined);
    // Results exist once the map ran to its end (a run that failed before, e.g. a bad manifest, wrote none).
    const rows = at && (summary || mapRun?.resultWriterDetails) ? await readBulkResults(s3, at) : [];
    return { run, bucket, manifest: where, ...(summary ? { summary } : {}), rows };
  } finally {
    s3.destroy();
  }
}
