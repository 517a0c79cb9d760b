/**
 * Runs the self-hosted Palette platform setup on the local sandbox (what `palette-onboard platform-setup --local`
 * runs):
 *
 *   tsx local/bin/platform-setup.ts [--rotate] [--take-over] [--reverse-proxy <file.json>] [--json] [--verbose]
 *
 * 1. synthesizes the CDK app with context selfHosted=true (plus reverseProxySecretArn = the secret NAME
 *    palette-onboarding-platform/reverse-proxy when --reverse-proxy is given), cached like every local run;
 * 2. uses a sandbox already answering at the configured endpoints (AWS_ENDPOINT_URL or 127.0.0.1:SANDBOX_AWS_PORT,
 *    SANDBOX_PALETTE_ENDPOINT or 127.0.0.1:SANDBOX_PALETTE_PORT; e.g. `npm run sandbox`), else starts its own
 *    in-process sandbox with the emulator in self-hosted mode (gone when this process exits);
 * 3. stores what an operator stores before deploying: the system console credentials secret
 *    ({username, password}: PALETTE_SANDBOX_SYSTEM_USER / PALETTE_SANDBOX_SYSTEM_PASSWORD, else the emulator's
 *    defaults) and, with --reverse-proxy, the file's {server, port, protocol, caCert, clientCert, clientKey}
 *    as the reverse-proxy secret, under the names the template gives the functions;
 * 4. runs the PlatformSetup state machine with the real bundled handlers (input {}, {"rotateAccessKey": true},
 *    plus {"takeOver": true} with --take-over),
 *    a line per state, then a summary: user ARN, key id, secret ARN, Palette's STS account, and what Palette now
 *    tells tenants (GET /v1/clouds/aws/account/sts). Never a secret value.
 * On a running sandbox that runs the app synthesized for self-hosted Palette (`PALETTE_SANDBOX_MODE=self-hosted
 * npm run sandbox`), step 4 is the CLI's deployed mode (local/app/start.ts viaSandboxApp: StartExecution of the stack's
 * PlatformSetup state machine), except with --reverse-proxy (the loaded app has no reverse-proxy secret configured).
 * --json: stdout gets exactly one JSON object (the result); progress goes to stderr.
 * Exit codes: 0 succeeded, 1 execution failed, 2 bad arguments or reverse-proxy file, 3 environment error.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { formatFailure, formatPlatformSummary, formatSummary, style, type Stream, type Style } from '../../cli/format';
import { platformExecutionName } from '../../cli/request';
import { sandboxOptionsFromEnv } from '../aws';
import { DEFAULT_SYSTEM_PASSWORD, DEFAULT_SYSTEM_USER } from '../palette/index';
import { consoleReporter } from '../runner/present';
import { loadWorkflow, PLATFORM_SETUP_STATE_MACHINE, prepareStateMachine, runStateMachine, type LocalRunResult } from '../runner/runner';
import { detectRunningSandbox, ensureSandboxSecret, sandboxEndpoints, type SandboxEndpoints } from '../runner/sandbox';
import { startLocalSandbox, type RunningLocalSandbox } from '../sandbox';
import { PLATFORM_SETUP_TARGET } from '../../cli/deployed';
import { viaSandboxApp } from '../app/start';
import { runMain } from './exit';

const USAGE = 'usage: tsx local/bin/platform-setup.ts [--rotate] [--take-over] [--reverse-proxy <file.json>] [--json] [--verbose]';
/** The reverse-proxy secret's name (CDK context reverseProxySecretArn of the local synth). */
const LOCAL_REVERSE_PROXY_SECRET_NAME = 'palette-onboarding-platform/reverse-proxy';

class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface Args {
  rotate: boolean;
  takeOver: boolean;
  json: boolean;
  verbose: boolean;
  reverseProxyFile?: string;
}

function parse(argv: string[]): Args {
  const args: Args = { rotate: false, takeOver: false, json: false, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--rotate') args.rotate = true;
    else if (a === '--take-over') args.takeOver = true;
    else if (a === '--json') args.json = true;
    else if (a === '--verbose') args.verbose = true;
    else if (a === '--reverse-proxy') {
      const v = argv[++i];
      if (!v || v.startsWith('--')) throw new UsageError(`--reverse-proxy needs a file\n${USAGE}`);
      args.reverseProxyFile = isAbsolute(v) ? v : resolve(process.cwd(), v);
    } else throw new UsageError(`unexpected argument ${a}\n${USAGE}`);
  }
  return args;
}

/** The reverse-proxy file: a JSON object (its fields are validated by the state machine, before any Palette call). */
function readReverseProxyFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new UsageError(code === 'ENOENT' ? `reverse-proxy file not found: ${file}` : `cannot read ${file}: ${String(e)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`${file} must hold a JSON object {server, port, protocol, caCert, clientCert, clientKey}`);
  }
  return value as Record<string, unknown>;
}

type TenantSts = { accountId: string; partition?: string } | { error: string };

/** What Palette tells tenants: GET /v1/clouds/aws/account/sts with the tenant API key (account id only). */
async function tenantStsAccount(sb: SandboxEndpoints): Promise<TenantSts> {
  try {
    const res = await fetch(`${sb.palette.endpoint}/v1/clouds/aws/account/sts`, { headers: { ApiKey: sb.palette.apiKey } });
    const body = (await res.json()) as { accountId?: unknown; partition?: unknown; code?: unknown; message?: unknown };
    if (res.ok && typeof body.accountId === 'string') {
      return { accountId: body.accountId, ...(typeof body.partition === 'string' ? { partition: body.partition } : {}) };
    }
    return { error: `HTTP ${res.status} ${String(body.code ?? '')}: ${String(body.message ?? '')}`.trim() };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

async function emulatorMode(sb: SandboxEndpoints): Promise<string> {
  try {
    const res = await fetch(`${sb.palette.endpoint}/_emulator/health`);
    const body = (await res.json()) as { mode?: unknown };
    return typeof body.mode === 'string' ? body.mode : 'unknown';
  } catch {
    return 'unknown';
  }
}

async function switchToSelfHosted(sb: SandboxEndpoints): Promise<string> {
  const res = await fetch(`${sb.palette.endpoint}/_emulator/mode`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mode: 'self-hosted' }),
  });
  if (!res.ok) throw new Error(`cannot switch the Palette emulator to self-hosted mode: HTTP ${res.status}`);
  return emulatorMode(sb);
}

/** The compensation the run did (UndoStsPrincipal's result), if it ran. */
function compensationOf(run: LocalRunResult): unknown {
  return run.history.find((e) => e.state === 'UndoStsPrincipal' && (e.type === 'TaskSucceeded' || e.type === 'LambdaFunctionSucceeded'))?.output;
}

function humanResult(run: LocalRunResult, sts: TenantSts, s: Style): string {
  if (run.status !== 'SUCCEEDED') {
    let text = `\n${s.bad('Platform setup failed')}\n${formatFailure(run.status, run.error, run.cause, s)}`;
    const undo = compensationOf(run);
    if (typeof undo === 'object' && undo !== null) {
      text += `  ${s.bold('compensation')} (what this execution undid):\n${formatSummary(undo, s)
        .split('\n')
        .map((l) => (l ? `  ${l}` : l))
        .join('\n')}`;
    }
    return text;
  }
  const extra: [string, string][] = [];
  if ('accountId' in sts) {
    extra.push([
      'Palette tells tenants',
      `STS account ${sts.accountId}${sts.partition && sts.partition !== 'aws' ? ` (${sts.partition})` : ''} (GET /v1/clouds/aws/account/sts): tenant roles trust arn:aws:iam::${sts.accountId}:root`,
    ]);
  } else extra.push(['Palette tells tenants', s.bad(`GET /v1/clouds/aws/account/sts failed: ${sts.error}`)]);
  const output = run.output as Record<string, unknown>;
  const headline =
    output.stsAccountStatus === 'left-alone'
      ? `${s.ok('Platform setup succeeded')}: ${s.bad("Palette's system STS account is not this deployment's and was left alone")}`
      : s.ok('Platform setup succeeded');
  return `\n${headline}\n${formatPlatformSummary(output, s, extra)}`;
}

async function main(argv: string[]): Promise<number> {
  // The SDK's Node 20 notice is noise here (the project supports Node 20).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let args: Args;
  let proxyValue: Record<string, unknown> | undefined;
  try {
    args = parse(argv);
    if (args.reverseProxyFile) proxyValue = readReverseProxyFile(args.reverseProxyFile);
  } catch (e) {
    process.stderr.write(`platform-setup: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  const out: Stream = args.json ? process.stderr : process.stdout;
  const s = style(out);
  const report = consoleReporter(out, s);

  let own: RunningLocalSandbox | undefined;
  try {
    const context: Record<string, unknown> = { selfHosted: true, ...(proxyValue ? { reverseProxySecretArn: LOCAL_REVERSE_PROXY_SECRET_NAME } : {}) };
    const workflow = await loadWorkflow({ context, onProgress: report });

    const detected = await detectRunningSandbox(process.env, undefined, (line) => process.stderr.write(`${line}\n`));
    let sb: SandboxEndpoints;
    let system: { username: string; password: string };
    if (detected.state === 'running') {
      sb = detected.endpoints;
      system = {
        username: process.env.PALETTE_SANDBOX_SYSTEM_USER || DEFAULT_SYSTEM_USER,
        password: process.env.PALETTE_SANDBOX_SYSTEM_PASSWORD || DEFAULT_SYSTEM_PASSWORD,
      };
    } else if (detected.state === 'absent') {
      report({ kind: 'prepare', message: `no sandbox at ${detected.endpoints.awsEndpoint} / ${detected.endpoints.paletteEndpoint}: starting one in-process (self-hosted mode; it stops when this run ends)` });
      own = await startLocalSandbox({ aws: { ...sandboxOptionsFromEnv(), port: 0 }, palette: { port: 0, mode: 'self-hosted' } });
      sb = sandboxEndpoints(own);
      system = { username: own.palette.systemUser, password: own.palette.systemPassword };
    } else {
      process.stderr.write(`platform-setup: cannot use the configured sandbox: ${detected.reason}\n`);
      return 3;
    }
    let mode = await emulatorMode(sb);
    report({ kind: 'prepare', message: `${own ? 'sandbox' : 'using the sandbox running at'} ${sb.aws.endpoint} (Palette ${sb.palette.endpoint}, ${mode} mode)` });
    if (mode === 'saas') {
      // Platform setup configures a self-hosted instance: the emulator becomes one, so that tenants are told
      // the configured STS account (GET /v1/clouds/aws/account/sts), as they would be on a real instance.
      mode = await switchToSelfHosted(sb);
      report({ kind: 'prepare', message: `switched the Palette emulator to ${mode} mode (platform setup configures a self-hosted instance)` });
    }

    // What the operator stores before deploying, under the names the template gives the functions.
    const prepared = prepareStateMachine(workflow, PLATFORM_SETUP_STATE_MACHINE, { region: sb.aws.region, accountId: sb.aws.accountId });
    const systemRef = prepared.environment.PALETTE_SYSTEM_SECRET_ARN;
    if (!systemRef) throw new Error('the synthesized PlatformSetup functions have no PALETTE_SYSTEM_SECRET_ARN');
    report({ kind: 'prepare', message: `storing the system console credentials (user ${system.username}) in Secrets Manager as ${systemRef}` });
    await ensureSandboxSecret(sb, systemRef, system, { description: 'Palette system console credentials (local sandbox)', what: 'system console credentials secret' });
    if (proxyValue) {
      const proxyRef = prepared.environment.PALETTE_REVERSE_PROXY_SECRET_ARN ?? LOCAL_REVERSE_PROXY_SECRET_NAME;
      report({ kind: 'prepare', message: `storing the reverse-proxy settings of ${args.reverseProxyFile} in Secrets Manager as ${proxyRef}` });
      await ensureSandboxSecret(sb, proxyRef, proxyValue, { description: 'Palette reverse proxy (local sandbox)', what: 'reverse-proxy secret' });
    }

    // A running sandbox whose app is the self-hosted one (`PALETTE_SANDBOX_MODE=self-hosted npm run sandbox`): the
    // CLI's deployed mode, as against AWS (StartExecution of the stack's PlatformSetup state machine). Not with
    // --reverse-proxy: a deployed PlatformSetup configures the reverse proxy whose secret was given at deploy time
    // (cdk context reverseProxySecretArn), which the loaded app was not synthesized with.
    if (!own && !proxyValue) {
      const flags = [...(args.rotate ? ['--rotate'] : []), ...(args.takeOver ? ['--take-over'] : []), ...(args.json ? ['--json'] : [])];
      const deployed = await viaSandboxApp('platform-setup', flags, sb, (message) => report({ kind: 'prepare', message }), PLATFORM_SETUP_TARGET.output);
      if (deployed !== undefined) return deployed;
    }
    const input = { ...(args.rotate ? { rotateAccessKey: true } : {}), ...(args.takeOver ? { takeOver: true } : {}) };
    const run = await runStateMachine(input, {
      sandbox: sb,
      workflow,
      stateMachine: PLATFORM_SETUP_STATE_MACHINE,
      executionName: platformExecutionName(args.rotate),
      onProgress: report,
      echoLogs: args.verbose,
    });
    const sts = await tenantStsAccount(sb);
    if (args.json) {
      process.stdout.write(
        `${JSON.stringify({
          status: run.status,
          executionName: run.executionName,
          executionArn: run.executionArn,
          ...(run.output !== undefined ? { output: run.output } : {}),
          ...(run.error !== undefined ? { error: run.error, cause: run.cause, errorMessage: run.errorMessage } : {}),
          ...(compensationOf(run) !== undefined ? { compensation: compensationOf(run) } : {}),
          durationMs: run.durationMs,
          sandbox: { aws: sb.aws.endpoint, palette: sb.palette.endpoint, mode },
          tenantStsAccount: sts,
        })}\n`,
      );
    } else process.stdout.write(humanResult(run, sts, style(process.stdout)));
    return run.status === 'SUCCEEDED' ? 0 : 1;
  } catch (e) {
    process.stderr.write(`platform-setup: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
    return 3;
  } finally {
    await own?.stop();
  }
}

runMain('platform-setup', () => main(process.argv.slice(2)));
