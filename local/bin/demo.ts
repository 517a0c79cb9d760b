/**
 * `npm run demo [-- request.json] [--verbose]`: the whole workflow on the local sandbox, end to end.
 *   1. synthesizes the CDK app in-process (cached under node_modules/.cache/palette-onboarding),
 *   2. starts the AWS sandbox and the Palette emulator in-process,
 *   3. runs the onboarding state machine taken from the synthesized template, with the real bundled handlers
 *      and their environment from the template, on examples/sts-tenant.json (or the given request file),
 *   4. prints each state as it runs and a summary (uids, ARNs, secret ARNs; never secret values).
 * Exits non-zero when the onboarding fails.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { style } from '../../cli/format';
import { executionNameFor, readRequestFile, validateRequest } from '../../cli/request';
import { sandboxOptionsFromEnv } from '../aws';
import { PROJECT_ROOT } from '../runner/assembly';
import { consoleReporter, formatRunResult, runWithProgress } from '../runner/present';
import { loadWorkflow } from '../runner/runner';
import { startLocalSandbox, type RunningLocalSandbox } from '../sandbox';
import { runMain } from './exit';

const DEFAULT_REQUEST = join(PROJECT_ROOT, 'examples', 'sts-tenant.json');

async function inventoryOf(sb: RunningLocalSandbox, accountId: string): Promise<string> {
  const res = await fetch(`${sb.aws.endpoint}/_sandbox/inventory`);
  const inv = (await res.json()) as Record<string, Record<string, unknown[]>>;
  const mine = inv[accountId] ?? {};
  const lines = Object.entries(mine)
    .filter(([, ids]) => Array.isArray(ids) && ids.length > 0)
    .map(([type, ids]) => `  ${type.padEnd(22)} ${ids.map((i) => (typeof i === 'string' ? i : JSON.stringify(i))).join(', ')}`);
  return lines.length > 0 ? `${lines.join('\n')}\n` : '  (nothing)\n';
}

/** The tenant's record in the tenant registry (the sandbox's DynamoDB table), in a few lines. */
async function registryRecordOf(sb: RunningLocalSandbox, tenantId: string): Promise<string> {
  const client = new DynamoDBClient({ endpoint: sb.aws.endpoint, region: sb.aws.region, credentials: sb.aws });
  try {
    const table = (await client.send(new ListTablesCommand({}))).TableNames?.find((n) => n.includes('TenantRegistry'));
    if (!table) return '  (no registry table)\n';
    const item = (await DynamoDBDocumentClient.from(client).send(new GetCommand({ TableName: table, Key: { pk: `tenant#${tenantId}` } }))).Item;
    if (!item) return '  (no record)\n';
    const last = item.lastExecution as { name?: string; result?: string } | undefined;
    const resources = Object.entries((item.resources ?? {}) as Record<string, { id: string; createdBy?: string; adopted?: boolean }>);
    return [
      `  ${'status'.padEnd(22)} ${String(item.status)} (version ${String(item.version)}, lease ${item.lease ? 'held' : 'free'})`,
      `  ${'bound to'.padEnd(22)} ${item.accountId === undefined ? 'no AWS account' : `account ${String(item.accountId)} (${String(item.partition)})`}, Palette ${item.projectUid ? `project ${String(item.projectUid)}` : 'tenant scope'}`,
      `  ${'last execution'.padEnd(22)} ${last?.name ?? '-'} ${last?.result ?? ''}`,
      ...resources.map(([key, r]) => `  ${'owns'.padEnd(22)} ${key} ${r.adopted ? '(adopted)' : r.createdBy ? `(created by ${r.createdBy})` : ''}`),
    ].join('\n') + '\n';
  } finally {
    client.destroy();
  }
}

async function main(argv: string[]): Promise<number> {
  // The SDK's Node 20 notice is noise here (the project supports Node 20).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const verbose = argv.includes('--verbose');
  const fileArg = argv.find((a) => !a.startsWith('--'));
  const file = fileArg ? (isAbsolute(fileArg) ? fileArg : resolve(process.cwd(), fileArg)) : DEFAULT_REQUEST;
  const out = process.stdout;
  const s = style(out);
  const report = consoleReporter(out, s);

  out.write(`${s.bold('palette-onboarding demo')}: onboard a tenant on the local sandbox\n`);
  const raw = readRequestFile(file);
  validateRequest(raw, file);
  out.write(`${s.dim('•')} request ${file}\n`);

  const workflow = await loadWorkflow({ onProgress: report });
  report({ kind: 'prepare', message: 'starting the AWS sandbox and the Palette emulator in-process' });
  const sb = await startLocalSandbox({ aws: { ...sandboxOptionsFromEnv(), port: 0 }, palette: { port: 0 } });
  try {
    report({
      kind: 'prepare',
      message: `AWS sandbox ${sb.aws.endpoint} (IAM propagation ${sb.aws.kernel.config.iamPropagationMs} ms), Palette emulator ${sb.palette.endpoint}`,
    });
    const run = await runWithProgress(raw, { sandbox: sb, workflow, executionName: executionNameFor(raw), out, verbose });
    out.write(formatRunResult(run, s));
    const accountId = (raw as { aws?: { accountId?: unknown } }).aws?.accountId;
    if (typeof accountId === 'string') {
      out.write(`\n${s.bold(`Sandbox inventory of account ${accountId}`)}\n${await inventoryOf(sb, accountId)}`);
    }
    const tenantId = (raw as { tenantId?: unknown }).tenantId;
    if (typeof tenantId === 'string') out.write(`\n${s.bold(`Tenant registry: ${tenantId}`)}\n${await registryRecordOf(sb, tenantId)}`);
    return run.status === 'SUCCEEDED' ? 0 : 1;
  } finally {
    await sb.stop();
  }
}

runMain('demo', () => main(process.argv.slice(2)));
