/**
 * Runs one onboarding request on the local sandbox (what `palette-onboard start --local <file>` runs):
 *
 *   tsx local/bin/run-local.ts <request.json> [--json] [--rerun ID] [--no-validate] [--verbose]
 *
 * Uses a sandbox already answering at the configured endpoints (AWS_ENDPOINT_URL or 127.0.0.1:SANDBOX_AWS_PORT,
 * SANDBOX_PALETTE_ENDPOINT or 127.0.0.1:SANDBOX_PALETTE_PORT; e.g. one started by `npm run sandbox`) and
 * starts its own in-process sandbox otherwise. The CDK app is synthesized in-process (cached).
 *
 * A shortcut for the deployed mode where the sandbox runs the app: in its own in-process sandbox it loads the app
 * (local/app/), and on a running sandbox that runs the app (`npm run sandbox`, the app loaded by default: its stack answers
 * DescribeStacks) it starts the request there: StartExecution on the sandbox's Step Functions, followed as the
 * CLI's deployed mode follows it (local/app/start.ts). Only a running sandbox WITHOUT the app
 * (`npm run sandbox -- --no-app`, or a test's) still gets the run straight on the local runner in this process.
 * --json: stdout gets exactly one JSON object (the result); progress goes to stderr.
 * Exit codes: 0 succeeded, 1 execution failed, 2 bad arguments or invalid request, 3 environment error.
 */
import { isAbsolute, resolve } from 'node:path';
import { formatRunResult, runResultJson, runWithProgress } from '../runner/present';
import { loadWorkflow } from '../runner/runner';
import { consoleReporter } from '../runner/present';
import { executionNameFor, readRequestFile, RequestFileError, validateRequest } from '../../cli/request';
import { style } from '../../cli/format';
import { runMain } from './exit';
import { sandboxForRun, type SandboxForRun } from './sandbox-for-run';
import { sandboxAppStateMachine, startOnSandboxApp } from '../app/start';
import { sandboxEndpoints } from '../runner/sandbox';

const USAGE = 'usage: tsx local/bin/run-local.ts <request.json> [--json] [--rerun ID] [--no-validate] [--verbose]';

interface Args {
  file: string;
  json: boolean;
  validate: boolean;
  verbose: boolean;
  rerun?: string;
}

function parse(argv: string[]): Args {
  const args: Args = { file: '', json: false, validate: true, verbose: false };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--json') args.json = true;
    else if (a === '--no-validate') args.validate = false;
    else if (a === '--verbose') args.verbose = true;
    else if (a === '--rerun') {
      const v = argv[++i];
      if (!v || !/^[A-Za-z0-9_-]{1,20}$/.test(v)) throw new RequestFileError('--rerun needs an id of 1-20 [A-Za-z0-9_-]');
      args.rerun = v;
    } else if (a.startsWith('--')) throw new RequestFileError(`unknown option ${a}\n${USAGE}`);
    else positional.push(a);
  }
  if (positional.length !== 1) throw new RequestFileError(USAGE);
  args.file = positional[0] as string;
  return args;
}

async function main(argv: string[]): Promise<number> {
  // The SDK's Node 20 notice is noise here (the project supports Node 20).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let args: Args;
  let raw: unknown;
  try {
    args = parse(argv);
    const file = isAbsolute(args.file) ? args.file : resolve(process.cwd(), args.file);
    raw = readRequestFile(file);
    if (args.validate) validateRequest(raw, args.file);
  } catch (e) {
    process.stderr.write(`run-local: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  const out = args.json ? process.stderr : process.stdout;
  const s = style(out);
  const report = consoleReporter(out, s);

  let used: SandboxForRun | undefined;
  try {
    const workflow = await loadWorkflow({ onProgress: report });
    used = await sandboxForRun('run-local', report, { app: { workflow, echoLogs: args.verbose } });
    if (!used) return 3;
    const sandbox = used.sandbox;
    const endpoints = sandboxEndpoints(sandbox);
    if (used.app || (await sandboxAppStateMachine(endpoints)) !== undefined) {
      // The sandbox runs the app: the deployed code path.
      const result = await startOnSandboxApp(raw, { sandbox: endpoints, executionName: executionNameFor(raw, args.rerun), out, ...(used.app ? { app: used.app } : {}) });
      if (args.json) process.stdout.write(`${JSON.stringify(result.json)}\n`);
      else process.stdout.write(result.text);
      return result.status === 'SUCCEEDED' ? 0 : 1;
    }
    const run = await runWithProgress(raw, {
      sandbox,
      workflow,
      executionName: executionNameFor(raw, args.rerun),
      out,
      verbose: args.verbose,
    });
    if (args.json) process.stdout.write(`${JSON.stringify(runResultJson(run))}\n`);
    else process.stdout.write(formatRunResult(run, s));
    return run.status === 'SUCCEEDED' ? 0 : 1;
  } catch (e) {
    process.stderr.write(`run-local: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
    return 3;
  } finally {
    await used?.stop();
  }
}

runMain('run-local', () => main(process.argv.slice(2)));
