/**
 * Re-validates tenants on the RUNNING local sandbox (what `palette-onboard revalidate --local` runs):
 *
 *   tsx local/bin/revalidate.ts [tenantId] [--remediate] [--json] [--verbose]
 *
 * Runs the Re-validation state machine (every ACTIVE and DRIFTED tenant, or the one named), waits for the remediations
 * it started (the tenants' onboardings, run after it), and prints the findings per tenant (from the sandbox's registry,
 * with the CLI's own code, cli/revalidate.ts). --json: stdout gets exactly one JSON object; progress goes to stderr.
 * A sandbox that runs the app (`npm run sandbox`'s default) gets the CLI's deployed mode (local/app/start.ts
 * viaSandboxApp): the remediations it starts run on the sandbox's Step Functions on their own, as in AWS (not awaited).
 * Exit codes (as the CLI's): 0 no drift, 1 drift found / a tenant could not be checked / the run failed, 2 bad
 * arguments, 3 no sandbox running.
 */
import { formatFailure, style } from '../../cli/format';
import { RequestFileError } from '../../cli/request';
import { formatRevalidation, recordedFindings, revalidationExitCode, revalidationRequest, revalidationSummary, type RemediationOutcome } from '../../cli/revalidate';
import { consoleReporter, runResultJson } from '../runner/present';
import { sandboxRegistry } from '../runner/registry';
import { awaitStartedExecutions, loadWorkflow, runRevalidation } from '../runner/runner';
import { detectRunningSandbox } from '../runner/sandbox';
import { viaSandboxApp } from '../app/start';
import { runMain } from './exit';

const USAGE = 'usage: tsx local/bin/revalidate.ts [tenantId] [--remediate] [--json] [--verbose]';

function parse(argv: string[]) {
  let json = false;
  let verbose = false;
  let remediate = false;
  const positional: string[] = [];
  for (const a of argv) {
    if (a === '--remediate') remediate = true;
    else if (a === '--json') json = true;
    else if (a === '--verbose') verbose = true;
    else if (a.startsWith('--')) throw new RequestFileError(`unknown option ${a}\n${USAGE}`);
    else positional.push(a);
  }
  if (positional.length > 1) throw new RequestFileError(USAGE);
  return { request: revalidationRequest(positional[0], remediate), json, verbose };
}

async function main(argv: string[]): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (e) {
    process.stderr.write(`revalidate: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  const out = args.json ? process.stderr : process.stdout;
  const s = style(out);
  const report = consoleReporter(out, s);
  const detected = await detectRunningSandbox(process.env, undefined, (line) => process.stderr.write(`${line}\n`));
  if (detected.state !== 'running') {
    const why = detected.state === 'absent' ? `no sandbox answers at ${detected.endpoints.awsEndpoint}` : detected.reason;
    process.stderr.write(`revalidate: ${why}; re-validation works on the sandbox the tenants were onboarded on: start it with \`npm run sandbox\`\n`);
    return 3;
  }
  const deployed = await viaSandboxApp('revalidate', argv.filter((a) => a !== '--verbose'), detected.endpoints, (message) => report({ kind: 'prepare', message }));
  if (deployed !== undefined) return deployed;
  const workflow = await loadWorkflow({ onProgress: report });
  report({ kind: 'prepare', message: `using the sandbox running at ${detected.endpoints.aws.endpoint} (Palette ${detected.endpoints.palette.endpoint})` });
  const run = await runRevalidation(args.request, { sandbox: detected.endpoints, workflow, onProgress: report, echoLogs: args.verbose });
  // Remediations (onboardings) run after the re-validation, as Step Functions would run them on their own.
  const remediations: RemediationOutcome[] = (await awaitStartedExecutions(run)).map((r) => ({
    executionName: r.executionName,
    status: r.status,
    ...(r.error ? { error: `${r.error}: ${r.errorMessage ?? ''}` } : {}),
  }));
  const summary = run.status === 'SUCCEEDED' ? revalidationSummary(run.output) : undefined;
  if (!summary) {
    if (args.json) process.stdout.write(`${JSON.stringify(runResultJson(run))}\n`);
    else process.stdout.write(`\n${s.bad('Re-validation did not succeed')}\n${formatFailure(run.status, run.error, run.cause, s)}`);
    return 1;
  }
  const registry = sandboxRegistry(workflow, detected.endpoints);
  try {
    const findings = await recordedFindings(registry, summary);
    if (args.json) process.stdout.write(`${JSON.stringify({ ...runResultJson(run), findings, remediations })}\n`);
    else process.stdout.write(`\n${s.ok('Re-validation succeeded')}\n${formatRevalidation(summary, findings, s, remediations)}`);
  } finally {
    registry.destroy();
  }
  return revalidationExitCode(summary, args.request.tenantId, remediations);
}

runMain('revalidate', () => main(process.argv.slice(2)));
