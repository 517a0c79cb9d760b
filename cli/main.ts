/**
 * `palette-onboard`: start an onboarding execution (deployed, or `--local` on the sandbox), run the self-hosted
 * platform setup, list the tenants of the registry and show one tenant or an execution's status, or run the local
 * demo / sandbox. Product code: it never imports local/; `--local` runs `local/bin/run-local.ts` /
 * `local/bin/platform-setup.ts` / `local/bin/tenants.ts` as a child process.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ExecutionDoesNotExist, type DescribeExecutionCommandOutput, type SFNClient } from '@aws-sdk/client-sfn';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeMapRunCommand, ListMapRunsCommand } from '@aws-sdk/client-sfn';
import { parseArgs, USAGE, UsageError, type BulkOptions, type Command } from './args';
import {
  BULK_BUCKET_ENV,
  BULK_BUCKET_OUTPUT,
  BULK_TARGET,
  BulkProgressBar,
  bulkExecutionName,
  bulkExitCode,
  formatBulkTable,
  manifestKeyFor,
  manifestText,
  readBulkResults,
  readManifest,
} from './bulk';
import { BulkSummarySchema, resultsManifestKey, type BulkResultRow } from '../lambdas/domain/bulk-manifest';
import {
  cloudFormationClient,
  ConfigError,
  DEFAULT_STACK_NAME,
  STACK_NAME_ENV,
  stackOutput,
  describeExecution,
  executionArnOf,
  followExecution,
  isExecutionArn,
  OFFBOARDING_TARGET,
  ONBOARDING_TARGET,
  PLATFORM_SETUP_TARGET,
  REVALIDATION_TARGET,
  regionOf,
  resolveStateMachineArn,
  sfnClient,
  startExecution,
} from './deployed';
import {
  describeCause,
  formatFailure,
  formatStateLine,
  formatSummary,
  isPlatformSummary,
  style,
  type StateProgress,
  type Stream,
} from './format';
import { helmValuesMessage, writeHelmValues } from './helm-values';
import { formatOffboardingSummary, offboardingRequest } from './offboard';
import { formatRevalidation, recordedFindings, revalidationExitCode, revalidationRequest, revalidationSummary } from './revalidate';
import { revalidationExecutionName } from '../lambdas/domain/drift';
import { localPaletteGate, type RetryOptions } from './preflight';
import { offboardingExecutionName } from '../lambdas/domain/offboarding-request';
import { executionNameFor, platformExecutionName, readRequestFile, RequestFileError, validateRequest } from './request';
import { listTenants, notFoundMessage, printTenant, readTenant, RegistryError, resolveRegistryTable, tableRegion, type Registry } from './tenants';

export const EXIT = { ok: 0, failed: 1, usage: 2, config: 3 } as const;

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const RUN_LOCAL_SCRIPT = join(PROJECT_ROOT, 'local', 'bin', 'run-local.ts');
export const PLATFORM_SETUP_LOCAL_SCRIPT = join(PROJECT_ROOT, 'local', 'bin', 'platform-setup.ts');
export const TENANTS_LOCAL_SCRIPT = join(PROJECT_ROOT, 'local', 'bin', 'tenants.ts');
export const OFFBOARD_LOCAL_SCRIPT = join(PROJECT_ROOT, 'local', 'bin', 'offboard.ts');
export const REVALIDATE_LOCAL_SCRIPT = join(PROJECT_ROOT, 'local', 'bin', 'revalidate.ts');
export const BULK_LOCAL_SCRIPT = join(PROJECT_ROOT, 'local', 'bin', 'run-bulk.ts');

export interface CliIO {
  stdout: Stream;
  stderr: Stream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}
export interface CliDeps {
  sfn?: (region: string | undefined) => SFNClient;
  cloudFormation?: (region: string | undefined) => CloudFormationClient;
  /** The manifest bucket's S3 client (start --many). */
  s3?: (region: string | undefined) => S3Client;
  /** The tenant registry's DynamoDB client (list, status). */
  dynamodb?: (region: string | undefined) => DynamoDBClient;
  /** Runs a child process with inherited stdio; resolves to its exit code. */
  run?: (command: string, args: string[], opts: { cwd: string }) => Promise<number>;
  sleep?: (ms: number) => Promise<void>;
  /**
   * The `--local` pre-flight (cli/preflight.ts): resolves to a message when a running sandbox's Palette does not
   * accept the API key or stays unavailable, else undefined. Default: localPaletteGate with a 60 s budget.
   */
  localPreflight?: (env: NodeJS.ProcessEnv, opts: RetryOptions) => Promise<string | undefined>;
}

/** Before a `--local` run: Palette transient answers are waited out; only 401/403 mean a wrong API key. */
async function localPreflight(io: CliIO, deps: CliDeps): Promise<number | undefined> {
  const gate = deps.localPreflight ?? localPaletteGate;
  const problem = await gate(io.env, {
    onRetry: (line) => io.stderr.write(`${line}\n`),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });
  if (problem === undefined) return undefined;
  io.stderr.write(`palette-onboard: cannot use the configured sandbox: ${problem}\n`);
  return EXIT.config;
}

/** Where to look for the deployed stack's outputs when no ARN is given. */
function stackLookup(region: string | undefined, env: NodeJS.ProcessEnv, deps: CliDeps): { cfn: CloudFormationClient } {
  const r = region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  return { cfn: (deps.cloudFormation ?? cloudFormationClient)(r) };
}

function runChild(command: string, args: string[], opts: { cwd: string }): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolvePromise(code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 1));
    });
  });
}

/** [node, tsx cli] to run a TypeScript file in a child process. */
export function tsxCommand(): [string, string] {
  return [process.execPath, createRequire(import.meta.url).resolve('tsx/cli')];
}

/**
 * `--local`: the sandbox must be running (localPreflight), then `script` runs with `args` in a child process (tsx), and
 * its exit code is the command's.
 */
async function runLocalScript(script: string, args: readonly string[], io: CliIO, deps: CliDeps): Promise<number> {
  const blocked = await localPreflight(io, deps);
  if (blocked !== undefined) return blocked;
  const [node, tsx] = tsxCommand();
  return (deps.run ?? runChild)(node, [tsx, script, ...args], { cwd: io.cwd });
}

const errorText = (e: unknown) => (e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e));

async function start(cmd: Extract<Command, { command: 'start' }>, io: CliIO, deps: CliDeps): Promise<number> {
  if (cmd.many) return startMany(cmd, cmd.many, io, deps);
  const file = isAbsolute(cmd.file) ? cmd.file : resolve(io.cwd, cmd.file);
  const raw = readRequestFile(file);
  validateRequest(raw, cmd.file);
  const name = executionNameFor(raw, cmd.rerun);

  if (cmd.local) return runLocalScript(RUN_LOCAL_SCRIPT, [file, ...(cmd.json ? ['--json'] : []), ...(cmd.rerun ? ['--rerun', cmd.rerun] : [])], io, deps);

  const smArn = await resolveStateMachineArn(cmd.stateMachineArn, io.env, ONBOARDING_TARGET, stackLookup(cmd.region, io.env, deps));
  return startAndFollow(smArn, name, raw, cmd, io, deps, {
    what: 'Onboarding',
    duplicate: `An execution for this exact request already exists (${name}); following it. Use --rerun <id> to start a new one.`,
  });
}

/**
 * `start --many <file|dir>`: the manifest validated, written to the manifest bucket (manifests/<run>.jsonl), the Bulk
 * state machine started on it; a live progress bar from its map run (DescribeMapRun), then the table of every tenant's
 * outcome from what ResultWriter wrote. `--local` runs local/bin/run-bulk.ts on the sandbox.
 */
async function startMany(cmd: Extract<Command, { command: 'start' }>, many: BulkOptions, io: CliIO, deps: CliDeps): Promise<number> {
  const path = isAbsolute(cmd.file) ? cmd.file : resolve(io.cwd, cmd.file);
  const entries = readManifest(path);
  if (cmd.local) {
    const args = [
      path,
      ...(many.maxConcurrency !== undefined ? ['--concurrency', String(many.maxConcurrency)] : []),
      ...(many.toleratedFailurePercentage !== undefined ? ['--tolerate', String(many.toleratedFailurePercentage)] : []),
      ...(cmd.json ? ['--json'] : []),
    ];
    return runLocalScript(BULK_LOCAL_SCRIPT, args, io, deps);
  }
  const lookup = stackLookup(cmd.region, io.env, deps);
  const smArn = await resolveStateMachineArn(cmd.stateMachineArn, io.env, BULK_TARGET, lookup);
  const region = cmd.region ?? regionOf(smArn);
  let bucket = io.env[BULK_BUCKET_ENV];
  if (!bucket) {
    const found = await stackOutput(lookup.cfn, io.env[STACK_NAME_ENV] ?? DEFAULT_STACK_NAME, BULK_BUCKET_OUTPUT);
    if (!found.value) throw new ConfigError(`no manifest bucket: set ${BULK_BUCKET_ENV} (${found.reason ?? 'no output'}); it is the ${BULK_BUCKET_OUTPUT} output of the stack`);
    bucket = found.value;
  }
  const text = manifestText(entries);
  const name = bulkExecutionName(text);
  const key = manifestKeyFor(name);
  const s3 = (deps.s3 ?? ((r: string | undefined) => new S3Client(r ? { region: r } : {})))(region);
  const sfn = (deps.sfn ?? sfnClient)(region);
  const progressOut = cmd.json ? io.stderr : io.stdout;
  const s = style(progressOut);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text, ContentType: 'application/jsonl' }));
  const input = { manifest: { key }, ...many };
  const started = await startExecution(sfn, smArn, name, input);
  progressOut.write(`Started ${name}: ${entries.length} tenant(s) from ${cmd.file} (manifest s3://${bucket}/${key})\n  ${s.dim(started.executionArn)}\n`);
  if (!cmd.follow) {
    if (cmd.json) io.stdout.write(`${JSON.stringify({ executionArn: started.executionArn, executionName: name, manifest: { bucket, key } })}\n`);
    return EXIT.ok;
  }
  const bar = new BulkProgressBar(progressOut);
  const t0 = Date.now();
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let final: DescribeExecutionCommandOutput;
  let mapRunArn: string | undefined;
  for (;;) {
    final = await describeExecution(sfn, started.executionArn);
    mapRunArn ??= (await sfn.send(new ListMapRunsCommand({ executionArn: started.executionArn }))).mapRuns?.[0]?.mapRunArn;
    if (mapRunArn) {
      const c = (await sfn.send(new DescribeMapRunCommand({ mapRunArn }))).itemCounts;
      if (c) bar.update({ total: c.total ?? 0, succeeded: c.succeeded ?? 0, failed: c.failed ?? 0, running: c.running ?? 0, pending: c.pending ?? 0, timedOut: c.timedOut ?? 0, aborted: c.aborted ?? 0 });
    }
    if (final.status !== 'RUNNING') break;
    await sleep(cmd.pollSeconds * 1000);
  }
  bar.finish();
  const summary = final.status === 'SUCCEEDED' ? BulkSummarySchema.safeParse(parseOutput(final.output)) : undefined;
  const at = summary?.success ? summary.data.results : mapRunArn ? { Bucket: bucket, Key: resultsManifestKey(mapRunArn) } : undefined;
  let rows: BulkResultRow[] = [];
  if (at) {
    try {
      rows = await readBulkResults(s3, at);
    } catch (e) {
      io.stderr.write(`palette-onboard: cannot read the results at s3://${at.Bucket}/${at.Key}: ${errorText(e)}\n`);
    }
  }
  if (cmd.json) {
    io.stdout.write(`${JSON.stringify({ status: final.status, executionArn: started.executionArn, executionName: name, ...(summary?.success ? { summary: summary.data } : {}), ...(final.error ? { error: final.error, cause: final.cause } : {}), rows })}\n`);
  } else {
    const so = style(io.stdout);
    if (final.status !== 'SUCCEEDED') io.stdout.write(`\n${so.bad('Bulk run did not succeed')}\n${formatFailure(final.status ?? 'UNKNOWN', final.error, final.cause, so)}`);
    if (rows.length > 0) io.stdout.write(`\n${formatBulkTable(rows, so, Date.now() - t0)}`);
  }
  return final.status === 'SUCCEEDED' ? bulkExitCode(rows) : EXIT.failed;
}

/** StartExecution, then (unless --no-follow) progress per state until it ends, and the report. */
async function startAndFollow(
  smArn: string,
  name: string,
  input: unknown,
  cmd: { json: boolean; follow: boolean; pollSeconds: number; region?: string },
  io: CliIO,
  deps: CliDeps,
  text: { what: Subject; duplicate: string },
  /** How the final state is reported (default: report()). */
  finish?: (final: DescribeExecutionCommandOutput) => Promise<number>,
): Promise<number> {
  const s = style(io.stdout);
  const progressOut = cmd.json ? io.stderr : io.stdout;
  const sfn = (deps.sfn ?? sfnClient)(cmd.region ?? regionOf(smArn));
  const started = await startExecution(sfn, smArn, name, input);
  progressOut.write(started.deduplicated ? `${text.duplicate}\n` : `Started ${name}\n`);
  progressOut.write(`  ${s.dim(started.executionArn)}\n`);
  if (!cmd.follow) {
    if (cmd.json) io.stdout.write(`${JSON.stringify({ executionArn: started.executionArn, executionName: name, deduplicated: started.deduplicated })}\n`);
    return EXIT.ok;
  }
  const final = await followExecution(sfn, started.executionArn, {
    pollMs: cmd.pollSeconds * 1000,
    onProgress: (p: StateProgress) => {
      const line = formatStateLine(p, s);
      if (line) progressOut.write(`${line}\n`);
    },
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });
  return finish ? finish(final) : report(final, io, cmd.json, name, text.what);
}

async function offboard(cmd: Extract<Command, { command: 'offboard' }>, io: CliIO, deps: CliDeps): Promise<number> {
  const request = offboardingRequest(cmd.tenantId, { deleteBucket: cmd.deleteBucket, purgeBucket: cmd.purgeBucket, force: cmd.force });
  if (cmd.local) {
    const flags = [
      ...(cmd.deleteBucket ? ['--delete-bucket'] : []),
      ...(cmd.purgeBucket ? ['--purge-bucket'] : []),
      ...(cmd.force ? ['--force'] : []),
      ...(cmd.json ? ['--json'] : []),
    ];
    return runLocalScript(OFFBOARD_LOCAL_SCRIPT, [request.tenantId, ...flags], io, deps);
  }
  const smArn = await resolveStateMachineArn(cmd.stateMachineArn, io.env, OFFBOARDING_TARGET, stackLookup(cmd.region, io.env, deps));
  return startAndFollow(smArn, offboardingExecutionName(request.tenantId), request, cmd, io, deps, {
    what: 'Offboarding',
    duplicate: 'An execution of this name already exists; following it.',
  });
}

/**
 * `revalidate [tenantId]`: the Re-validation state machine (deployed, or `--local` on the running sandbox), then the
 * findings per tenant, read from the registry the run wrote them to. Exit 1 when drift was found (revalidate.ts).
 */
async function revalidate(cmd: Extract<Command, { command: 'revalidate' }>, io: CliIO, deps: CliDeps): Promise<number> {
  const request = revalidationRequest(cmd.tenantId, cmd.remediate);
  if (cmd.local) {
    const args = [...(request.tenantId ? [request.tenantId] : []), ...(cmd.remediate ? ['--remediate'] : []), ...(cmd.json ? ['--json'] : [])];
    return runLocalScript(REVALIDATE_LOCAL_SCRIPT, args, io, deps);
  }
  const smArn = await resolveStateMachineArn(cmd.stateMachineArn, io.env, REVALIDATION_TARGET, stackLookup(cmd.region, io.env, deps));
  const name = revalidationExecutionName(request.tenantId);
  return startAndFollow(smArn, name, request, cmd, io, deps, { what: 'Re-validation', duplicate: 'An execution of this name already exists; following it.' }, async (final) => {
    const summary = final.status === 'SUCCEEDED' ? revalidationSummary(parseOutput(final.output)) : undefined;
    if (!summary) return report(final, io, cmd.json, name, 'Re-validation');
    let registry: Registry | undefined;
    let problem: string | undefined;
    try {
      registry = await deployedRegistry({ ...(cmd.table ? { table: cmd.table } : {}), ...(cmd.region ? { region: cmd.region } : {}) }, io, deps);
    } catch (e) {
      problem = e instanceof ConfigError ? e.message : errorText(e);
    }
    const findings = await recordedFindings(registry, summary, problem);
    if (cmd.json) {
      io.stdout.write(`${JSON.stringify({ status: final.status, executionArn: final.executionArn, executionName: name, output: summary, findings })}\n`);
    } else {
      const s = style(io.stdout);
      io.stdout.write(`\n${s.ok('Re-validation succeeded')}\n${formatRevalidation(summary, findings, s)}`);
    }
    return revalidationExitCode(summary, request.tenantId);
  });
}

async function platformSetup(cmd: Extract<Command, { command: 'platform-setup' }>, io: CliIO, deps: CliDeps): Promise<number> {
  const abs = (f: string) => (isAbsolute(f) ? f : resolve(io.cwd, f));
  const proxy = cmd.reverseProxyFile === undefined ? undefined : abs(cmd.reverseProxyFile);
  if (cmd.helmValuesFile !== undefined && proxy !== undefined) {
    // Checked (certificate valid for the server name, CA, key) and written before any call.
    const written = writeHelmValues(proxy, abs(cmd.helmValuesFile));
    (cmd.json ? io.stderr : io.stdout).write(helmValuesMessage(written));
  }
  if (cmd.local) {
    const args = [
      ...(cmd.rotate ? ['--rotate'] : []),
      ...(cmd.takeOver ? ['--take-over'] : []),
      ...(proxy ? ['--reverse-proxy', proxy] : []),
      ...(cmd.json ? ['--json'] : []),
    ];
    return runLocalScript(PLATFORM_SETUP_LOCAL_SCRIPT, args, io, deps);
  }
  const smArn = await resolveStateMachineArn(cmd.stateMachineArn, io.env, PLATFORM_SETUP_TARGET, stackLookup(cmd.region, io.env, deps));
  const input = { ...(cmd.rotate ? { rotateAccessKey: true } : {}), ...(cmd.takeOver ? { takeOver: true } : {}) };
  return startAndFollow(smArn, platformExecutionName(cmd.rotate), input, cmd, io, deps, {
    what: 'Platform setup',
    duplicate: 'An execution of this name already exists; following it.',
  });
}

type Subject = 'Onboarding' | 'Offboarding' | 'Platform setup' | 'Re-validation';

function parseOutput(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** What an execution is, from its state machine's name (logical id PlatformSetupWorkflow...) or its output. */
function subjectOf(executionArn: string | undefined, output: string | undefined): Subject {
  if (executionArn !== undefined && /:execution:[^:]*PlatformSetup/.test(executionArn)) return 'Platform setup';
  if (executionArn !== undefined && /:execution:[^:]*Offboarding/.test(executionArn)) return 'Offboarding';
  if (executionArn !== undefined && /:execution:[^:]*Revalidation/.test(executionArn)) return 'Re-validation';
  return isPlatformSummary(parseOutput(output)) ? 'Platform setup' : 'Onboarding';
}

function report(
  d: { status?: string; executionArn?: string; output?: string; error?: string; cause?: string; name?: string },
  io: CliIO,
  json: boolean,
  name = d.name,
  what: Subject = subjectOf(d.executionArn, d.output),
): number {
  const status = d.status ?? 'UNKNOWN';
  const code = status === 'SUCCEEDED' ? EXIT.ok : status === 'RUNNING' || status === 'PENDING_REDRIVE' ? EXIT.ok : EXIT.failed;
  if (json) {
    io.stdout.write(
      `${JSON.stringify({
        status,
        executionArn: d.executionArn,
        executionName: name,
        ...(d.output !== undefined ? { output: parseOutput(d.output) } : {}),
        ...(d.error !== undefined ? { error: d.error } : {}),
        ...(d.cause !== undefined ? { cause: d.cause, errorMessage: describeCause(d.cause) } : {}),
      })}\n`,
    );
    return code;
  }
  const s = style(io.stdout);
  if (status === 'SUCCEEDED') {
    const out = parseOutput(d.output);
    const revalidated = what === 'Re-validation' ? revalidationSummary(out) : undefined;
    const text = revalidated
      ? formatRevalidation(revalidated, {}, s)
      : what === 'Offboarding'
        ? formatOffboardingSummary(out, s)
        : formatSummary(out, s);
    io.stdout.write(`\n${s.ok(`${what} succeeded`)}\n${text}`);
  } else if (status === 'RUNNING' || status === 'PENDING_REDRIVE') {
    io.stdout.write(`\n${name ?? d.executionArn}: ${status}\n`);
  } else {
    io.stdout.write(`\n${s.bad(`${what} did not succeed`)}\n${formatFailure(status, d.error, d.cause, s)}`);
  }
  return code;
}

async function executionStatus(arn: string, cmd: { json: boolean; region?: string }, io: CliIO, deps: CliDeps): Promise<number> {
  const sfn = (deps.sfn ?? sfnClient)(cmd.region ?? regionOf(arn));
  const d = await describeExecution(sfn, arn);
  return report({ ...d, executionArn: arn }, io, cmd.json, d.name);
}

// ---- the tenant registry: list, status <tenantId> ----------------------------------------------------------

const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** The deployed registry: the table (--table, env, stack output) and a DynamoDB client in its region. */
async function deployedRegistry(cmd: { table?: string; region?: string }, io: CliIO, deps: CliDeps): Promise<Registry> {
  const table = await resolveRegistryTable(cmd.table, io.env, stackLookup(cmd.region, io.env, deps));
  const region = cmd.region ?? tableRegion(table) ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  const client = (deps.dynamodb ?? ((r: string | undefined) => new DynamoDBClient(r ? { region: r } : {})))(region);
  return { doc: DynamoDBDocumentClient.from(client), table };
}

/** `list --local` / `status --local <tenantId>`: local/bin/tenants.ts reads the running sandbox's registry. */
function localTenants(args: string[], io: CliIO, deps: CliDeps): Promise<number> {
  const [node, tsx] = tsxCommand();
  return (deps.run ?? runChild)(node, [tsx, TENANTS_LOCAL_SCRIPT, ...args], { cwd: io.cwd });
}

async function list(cmd: Extract<Command, { command: 'list' }>, io: CliIO, deps: CliDeps): Promise<number> {
  if (cmd.local) {
    return localTenants(['list', ...(cmd.statuses ? ['--status', cmd.statuses.join(',')] : []), ...(cmd.json ? ['--json'] : [])], io, deps);
  }
  return listTenants(await deployedRegistry(cmd, io, deps), { json: cmd.json, ...(cmd.statuses ? { statuses: cmd.statuses } : {}) }, io);
}

/**
 * `status <arg>`: an execution ARN is an execution. Anything else is looked up as a tenant in the registry first;
 * when there is no such tenant (or the registry cannot be read), as an execution name on the state machine.
 * Neither: exit 1 (no such tenant or execution), or 3 when neither could be looked up.
 */
async function status(cmd: Extract<Command, { command: 'status' }>, io: CliIO, deps: CliDeps): Promise<number> {
  if (cmd.local) return localTenants(['status', cmd.target, ...(cmd.json ? ['--json'] : [])], io, deps);
  if (isExecutionArn(cmd.target)) return executionStatus(cmd.target, cmd, io, deps);
  if (!EXECUTION_NAME.test(cmd.target)) {
    throw new UsageError(`'${cmd.target}' is neither a tenant id, an execution ARN nor an execution name`);
  }

  let notATenant: string;
  let registryReadable = false;
  try {
    const reg = await deployedRegistry(cmd, io, deps);
    const found = await readTenant(reg, cmd.target);
    if (found.found === true) return printTenant(found.record, cmd, io);
    if (found.found === 'invalid') {
      io.stderr.write(`palette-onboard: registry item ${found.item.pk} is not a valid tenant record (${found.item.problem})\n`);
      return EXIT.config;
    }
    notATenant = notFoundMessage(cmd.target, reg);
    registryReadable = true;
  } catch (e) {
    notATenant = `cannot read the tenant registry: ${e instanceof ConfigError ? e.message : errorText(e)}`;
  }

  // Not a tenant: an execution name, as before tenants existed.
  let smArn: string;
  try {
    smArn = await resolveStateMachineArn(cmd.stateMachineArn, io.env, ONBOARDING_TARGET, stackLookup(cmd.region, io.env, deps));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    if (!registryReadable) throw new ConfigError(`cannot look up '${cmd.target}': ${notATenant}; and as an execution name: ${e.message}`);
    io.stderr.write(`palette-onboard: ${notATenant}\n`);
    return EXIT.failed;
  }
  try {
    return await executionStatus(executionArnOf(smArn, cmd.target), cmd, io, deps);
  } catch (e) {
    if (!(e instanceof ExecutionDoesNotExist)) throw e;
    io.stderr.write(`palette-onboard: ${notATenant}, and no execution '${cmd.target}' on ${smArn}\n`);
    return registryReadable ? EXIT.failed : EXIT.config;
  }
}

/** Runs the CLI; returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIO, deps: CliDeps = {}): Promise<number> {
  try {
    const cmd = parseArgs(argv);
    switch (cmd.command) {
      case 'help':
        io.stdout.write(USAGE);
        return EXIT.ok;
      case 'demo':
      case 'sandbox':
        return await (deps.run ?? runChild)('npm', ['run', '--silent', cmd.command, ...(cmd.passthrough.length ? ['--', ...cmd.passthrough] : [])], {
          cwd: PROJECT_ROOT,
        });
      case 'start':
        return await start(cmd, io, deps);
      case 'status':
        return await status(cmd, io, deps);
      case 'list':
        return await list(cmd, io, deps);
      case 'platform-setup':
        return await platformSetup(cmd, io, deps);
      case 'offboard':
        return await offboard(cmd, io, deps);
      case 'revalidate':
        return await revalidate(cmd, io, deps);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`palette-onboard: ${e.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    if (e instanceof RequestFileError) {
      io.stderr.write(`palette-onboard: ${e.message}\n`);
      return EXIT.usage;
    }
    if (e instanceof ConfigError || e instanceof RegistryError) {
      io.stderr.write(`palette-onboard: ${e.message}\n`);
      return EXIT.config;
    }
    io.stderr.write(`palette-onboard: ${errorText(e)}\n`);
    return EXIT.config;
  }
}
