/**
 * Bulk onboarding on the local sandbox (what `palette-onboard start --many <file|dir> --local` runs):
 *
 *   tsx local/bin/run-bulk.ts <manifest.jsonl | folder> [--concurrency N] [--tolerate P] [--json] [--verbose]
 *
 * Reads and validates the manifest (cli/bulk.ts). A sandbox that runs the app (`npm run sandbox`'s default, or the
 * in-process one this script starts when none answers at the configured endpoints, with the app loaded) gets the CLI's
 * deployed mode (local/app/start.ts): PutObject of the manifest to the stack's manifest bucket (BulkManifestBucketName),
 * StartExecution of its Bulk state machine, a progress bar from ListMapRuns / DescribeMapRun, the table read from what
 * ResultWriter wrote. A running sandbox without the app (`npm run sandbox -- --no-app`, or a test's) gets the Bulk
 * state machine run straight on the local runner in this process (local/runner/bulk.ts), with the same output.
 * --json: stdout gets exactly one JSON object ({status, executionName, summary, rows}; the deployed mode adds
 * executionArn); progress goes to stderr.
 * Exit codes: 0 every tenant onboarded or already started, 1 a tenant failed or the run failed, 2 bad arguments or
 * manifest, 3 environment error.
 */
import { isAbsolute, resolve } from 'node:path';
import { BULK_TARGET, BulkProgressBar, bulkExitCode, formatBulkTable, readManifest } from '../../cli/bulk';
import { formatFailure, style } from '../../cli/format';
import { RequestFileError } from '../../cli/request';
import { consoleReporter } from '../runner/present';
import { runBulk } from '../runner/bulk';
import { loadWorkflow } from '../runner/runner';
import { sandboxEndpoints } from '../runner/sandbox';
import { runCliOnSandboxApp, viaSandboxApp } from '../app/start';
import { runMain } from './exit';
import { sandboxForRun, type SandboxForRun } from './sandbox-for-run';

const USAGE = 'usage: tsx local/bin/run-bulk.ts <manifest.jsonl | folder> [--concurrency N] [--tolerate P] [--json] [--verbose]';

interface Args {
  path: string;
  json: boolean;
  verbose: boolean;
  maxConcurrency?: number;
  toleratedFailurePercentage?: number;
}

function parse(argv: string[]): Args {
  const args: Args = { path: '', json: false, verbose: false };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--json') args.json = true;
    else if (a === '--verbose') args.verbose = true;
    else if (a === '--concurrency' || a === '--tolerate') {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0 || (a === '--concurrency' && (!Number.isInteger(v) || v < 1 || v > 1000)) || v > 100 && a === '--tolerate') {
        throw new RequestFileError(`${a} needs a valid number\n${USAGE}`);
      }
      if (a === '--concurrency') args.maxConcurrency = v;
      else args.toleratedFailurePercentage = v;
    } else if (a.startsWith('--')) throw new RequestFileError(`unknown option ${a}\n${USAGE}`);
    else positional.push(a);
  }
  if (positional.length !== 1) throw new RequestFileError(USAGE);
  args.path = positional[0] as string;
  return args;
}

async function main(argv: string[]): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let args: Args;
  let entries: ReturnType<typeof readManifest>;
  try {
    args = parse(argv);
    entries = readManifest(isAbsolute(args.path) ? args.path : resolve(process.cwd(), args.path));
  } catch (e) {
    process.stderr.write(`run-bulk: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  const out = args.json ? process.stderr : process.stdout;
  const s = style(out);
  const report = consoleReporter(out, s);
  let used: SandboxForRun | undefined;
  try {
    const workflow = await loadWorkflow({ onProgress: report });
    used = await sandboxForRun('run-bulk', report, { app: { workflow, echoLogs: args.verbose } });
    if (!used) return 3;
    const sandbox = used.sandbox;
    // The sandbox runs the app: the CLI's deployed mode (`start --many` without --local).
    const cliArgs = [
      '--many',
      isAbsolute(args.path) ? args.path : resolve(process.cwd(), args.path),
      ...(args.maxConcurrency !== undefined ? ['--concurrency', String(args.maxConcurrency)] : []),
      ...(args.toleratedFailurePercentage !== undefined ? ['--tolerate', String(args.toleratedFailurePercentage)] : []),
      '--poll-seconds',
      '0.5',
      ...(args.json ? ['--json'] : []),
    ];
    const endpoints = sandboxEndpoints(sandbox);
    if (used.app) {
      report({ kind: 'prepare', message: '`start --many` takes the deployed path on the app loaded into this sandbox' });
      return await runCliOnSandboxApp(['start', ...cliArgs], endpoints);
    }
    const deployed = await viaSandboxApp('start', cliArgs, endpoints, (message) => report({ kind: 'prepare', message }), BULK_TARGET.output);
    if (deployed !== undefined) return deployed;
    out.write(`${s.bold(`Bulk onboarding of ${entries.length} tenant(s)`)} ${s.dim(`from ${args.path}`)}\n`);
    const bar = new BulkProgressBar(out);
    const started = Date.now();
    const result = await runBulk(
      { kind: 'lines', requests: entries.map((e) => e.request) },
      {
        sandbox,
        workflow,
        ...(args.maxConcurrency !== undefined ? { maxConcurrency: args.maxConcurrency } : {}),
        ...(args.toleratedFailurePercentage !== undefined ? { toleratedFailurePercentage: args.toleratedFailurePercentage } : {}),
        onProgress: (e) => {
          if (e.kind === 'map-run') bar.update(e.itemCounts);
          else if (e.kind === 'prepare' || e.kind === 'permission-denied' || (args.verbose && e.kind === 'child-execution')) {
            bar.finish();
            report(e);
            if (e.kind === 'child-execution') out.write(`  ${e.executionName}: ${e.status}${e.error ? ` (${e.error})` : ''}\n`);
          }
        },
      },
    );
    bar.finish();
    const elapsed = Date.now() - started;
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ status: result.run.status, executionName: result.run.executionName, summary: result.summary, error: result.run.error, cause: result.run.cause, rows: result.rows })}\n`);
    } else {
      if (result.run.status !== 'SUCCEEDED') process.stdout.write(`\n${s.bad('Bulk run did not succeed')}\n${formatFailure(result.run.status, result.run.error, result.run.cause, s)}`);
      if (result.rows.length > 0) process.stdout.write(`\n${formatBulkTable(result.rows, s, elapsed)}`);
      if (result.summary) process.stdout.write(`${s.dim(`results: s3://${result.summary.results.Bucket}/${result.summary.results.Key}`)}\n`);
    }
    return result.run.status === 'SUCCEEDED' ? bulkExitCode(result.rows) : 1;
  } catch (e) {
    process.stderr.write(`run-bulk: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
    return 3;
  } finally {
    await used?.stop();
  }
}

runMain('run-bulk', () => main(process.argv.slice(2)));
