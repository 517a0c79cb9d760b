/**
 * The tenant registry of the RUNNING sandbox (what `palette-onboard list --local` and `status --local <tenantId>`
 * run):
 *
 *   tsx local/bin/tenants.ts list [--status S[,S...]] [--json]
 *   tsx local/bin/tenants.ts status <tenantId> [--json]
 *
 * Finds the sandbox at the configured endpoints (AWS_ENDPOINT_URL or 127.0.0.1:SANDBOX_AWS_PORT,
 * SANDBOX_PALETTE_ENDPOINT or 127.0.0.1:SANDBOX_PALETTE_PORT; started by `npm run sandbox`), the registry table's
 * name from the synthesized template (cached, as every local run), and prints with the CLI's own code
 * (cli/tenants.ts). Never starts a sandbox: an in-process one would have an empty registry.
 * A sandbox that runs the app (`npm run sandbox`'s default) gets the CLI's deployed mode (local/app/start.ts
 * viaSandboxApp: the table from the stack's outputs through DescribeStacks).
 * Exit codes (as the CLI's): 0 shown, 1 no such tenant, 2 bad arguments, 3 no usable sandbox or another error.
 */
import { parseArgs, UsageError } from '../../cli/args';
import { style } from '../../cli/format';
import { listTenants, showTenant } from '../../cli/tenants';
import { consoleReporter } from '../runner/present';
import { sandboxRegistry } from '../runner/registry';
import { loadWorkflow } from '../runner/runner';
import { detectRunningSandbox } from '../runner/sandbox';
import { viaSandboxApp } from '../app/start';
import { runMain } from './exit';

const USAGE = 'usage: tsx local/bin/tenants.ts list [--status S[,S...]] [--json] | status <tenantId> [--json]';

async function main(argv: string[]): Promise<number> {
  // The SDK's Node 20 notice is noise here (the project supports Node 20).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let cmd: ReturnType<typeof parseArgs>;
  try {
    // The CLI's own parser: this script takes what `palette-onboard list|status --local` passes on.
    cmd = parseArgs([...argv, '--local']);
    if (cmd.command !== 'list' && cmd.command !== 'status') throw new UsageError(USAGE);
  } catch (e) {
    process.stderr.write(`tenants: ${e instanceof Error ? e.message : String(e)}\n${e instanceof UsageError && e.message !== USAGE ? `${USAGE}\n` : ''}`);
    return 2;
  }
  const out = { stdout: process.stdout, stderr: process.stderr };

  const detected = await detectRunningSandbox(process.env, undefined, (line) => process.stderr.write(`${line}\n`));
  if (detected.state === 'absent') {
    process.stderr.write(
      `palette-onboard: no sandbox is running at ${detected.endpoints.awsEndpoint} / ${detected.endpoints.paletteEndpoint}: ` +
        'the tenant registry lives in a running sandbox; start one with `npm run sandbox` (and onboard with `palette-onboard start --local`)\n',
    );
    return 3;
  }
  if (detected.state === 'unusable') {
    process.stderr.write(`palette-onboard: cannot use the configured sandbox: ${detected.reason}\n`);
    return 3;
  }

  const deployed = await viaSandboxApp(argv[0] ?? '', argv.slice(1), detected.endpoints, (line) => process.stderr.write(`• ${line}\n`));
  if (deployed !== undefined) return deployed;
  // The table's name comes from the synthesized template (a cache hit is quick; progress only for a real synth).
  const report = consoleReporter(process.stderr, style(process.stderr));
  const workflow = await loadWorkflow({ onProgress: (e) => (e.kind === 'synth' && e.phase === 'cache-hit' ? undefined : report(e)) });
  const registry = sandboxRegistry(workflow, detected.endpoints);
  try {
    if (cmd.command === 'list') return await listTenants(registry, { json: cmd.json, ...(cmd.statuses ? { statuses: cmd.statuses } : {}) }, out);
    return await showTenant(registry, cmd.target, { json: cmd.json }, out);
  } finally {
    registry.destroy();
  }
}

runMain('palette-onboard', () => main(process.argv.slice(2)));
