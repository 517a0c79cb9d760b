/**
 * Offboards one tenant on the RUNNING local sandbox (what `palette-onboard offboard --local` runs):
 *
 *   tsx local/bin/offboard.ts <tenantId> [--delete-bucket] [--purge-bucket] [--force] [--json] [--verbose]
 *
 * The tenant must have been onboarded on that sandbox (e.g. `npm run sandbox`, then `palette-onboard start --local`).
 * A sandbox that runs the app (`npm run sandbox`'s default) gets the CLI's deployed mode (local/app/start.ts
 * viaSandboxApp: StartExecution on its Offboarding state machine); one without it (`--no-app`, or a test's), a run
 * on the local runner in this process.
 * --json: stdout gets exactly one JSON object (the result); progress goes to stderr.
 * Exit codes: 0 succeeded, 1 execution failed, 2 bad arguments, 3 environment error (no sandbox running).
 */
import { formatFailure, style } from '../../cli/format';
import { formatOffboardingSummary, offboardingRequest } from '../../cli/offboard';
import { RequestFileError } from '../../cli/request';
import { consoleReporter, runResultJson } from '../runner/present';
import { loadWorkflow, runOffboarding } from '../runner/runner';
import { detectRunningSandbox } from '../runner/sandbox';
import { viaSandboxApp } from '../app/start';
import { runMain } from './exit';

const USAGE = 'usage: tsx local/bin/offboard.ts <tenantId> [--delete-bucket] [--purge-bucket] [--force] [--json] [--verbose]';

function parse(argv: string[]) {
  const flags = { deleteBucket: false, purgeBucket: false, force: false };
  let json = false;
  let verbose = false;
  const positional: string[] = [];
  for (const a of argv) {
    if (a === '--delete-bucket') flags.deleteBucket = true;
    else if (a === '--purge-bucket') flags.purgeBucket = true;
    else if (a === '--force') flags.force = true;
    else if (a === '--json') json = true;
    else if (a === '--verbose') verbose = true;
    else if (a.startsWith('--')) throw new RequestFileError(`unknown option ${a}\n${USAGE}`);
    else positional.push(a);
  }
  if (positional.length !== 1) throw new RequestFileError(USAGE);
  return { request: offboardingRequest(positional[0] as string, flags), json, verbose };
}

async function main(argv: string[]): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (e) {
    process.stderr.write(`offboard: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  const out = args.json ? process.stderr : process.stdout;
  const s = style(out);
  const report = consoleReporter(out, s);
  const detected = await detectRunningSandbox(process.env, undefined, (line) => process.stderr.write(`${line}\n`));
  if (detected.state !== 'running') {
    const why = detected.state === 'absent' ? `no sandbox answers at ${detected.endpoints.awsEndpoint}` : detected.reason;
    process.stderr.write(`offboard: ${why}; offboarding works on the sandbox the tenant was onboarded on: start it with \`npm run sandbox\`\n`);
    return 3;
  }
  const deployed = await viaSandboxApp('offboard', argv.filter((a) => a !== '--verbose'), detected.endpoints, (message) => report({ kind: 'prepare', message }));
  if (deployed !== undefined) return deployed;
  const workflow = await loadWorkflow({ onProgress: report });
  report({ kind: 'prepare', message: `using the sandbox running at ${detected.endpoints.aws.endpoint} (Palette ${detected.endpoints.palette.endpoint})` });
  const run = await runOffboarding(args.request, { sandbox: detected.endpoints, workflow, onProgress: report, echoLogs: args.verbose });
  if (args.json) process.stdout.write(`${JSON.stringify(runResultJson(run))}\n`);
  else if (run.status === 'SUCCEEDED') process.stdout.write(`\n${s.ok('Offboarding succeeded')}\n${formatOffboardingSummary(run.output, s)}`);
  else process.stdout.write(`\n${s.bad('Offboarding did not succeed')}\n${formatFailure(run.status, run.error, run.cause, s)}`);
  return run.status === 'SUCCEEDED' ? 0 : 1;
}

runMain('offboard', () => main(process.argv.slice(2)));
