/**
 * `palette-onboard list` and `palette-onboard status <tenantId>`: the tenants of the tenant registry (DynamoDB,
 * lambdas/domain/tenant-record.ts) as a table, and one tenant's record in detail. Read only.
 *
 * The same functions serve the deployed mode (cli/main.ts: the table from --table, PALETTE_ONBOARDING_REGISTRY_TABLE
 * or the stack output TenantRegistryTableName) and `--local` (local/bin/tenants.ts: the running sandbox's table).
 * Product code: no import from local/.
 */
import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { GetCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { TenantRecordSchema, tenantPk, type TenantRecord, type TenantStatus } from '../lambdas/domain/tenant-record';
import { ConfigError, DEFAULT_STACK_NAME, STACK_NAME_ENV, stackOutput } from './deployed';
import { describeCause, formatDuration, style, type Stream, type Style } from './format';

export const REGISTRY_TABLE_ENV = 'PALETTE_ONBOARDING_REGISTRY_TABLE';
export const REGISTRY_TABLE_OUTPUT = 'TenantRegistryTableName';

/** Where the registry is read: a document client and the table's name (or ARN). */
export interface Registry {
  doc: DynamoDBDocumentClient;
  table: string;
  /**
   * A table that does not exist reads as an empty registry (the sandbox creates it on its first run) instead of
   * failing with RegistryError.
   */
  missingIsEmpty?: boolean;
}

export interface Output {
  stdout: Stream;
  stderr: Stream;
}

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
}

const TABLE_ARN = /^arn:(aws[a-z-]*):dynamodb:([a-z0-9-]+):(\d{12}):table\/([A-Za-z0-9_.-]{3,255})$/;

/** The region of a table ARN (undefined for a plain name). */
export const tableRegion = (table: string): string | undefined => TABLE_ARN.exec(table)?.[2];

/**
 * The registry table: --table, else PALETTE_ONBOARDING_REGISTRY_TABLE, else the deployed stack's output
 * TenantRegistryTableName (stack $PALETTE_ONBOARDING_STACK_NAME, default PaletteOnboardingStack; cli/deployed.ts
 * stackOutput, as for the state machine). A clear error when none works.
 */
export async function resolveRegistryTable(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  lookup?: { cfn: CloudFormationClient },
): Promise<string> {
  let table = flag ?? env[REGISTRY_TABLE_ENV];
  let reason: string | undefined;
  const stackName = env[STACK_NAME_ENV] ?? DEFAULT_STACK_NAME;
  if (!table && lookup) ({ value: table, reason } = await stackOutput(lookup.cfn, stackName, REGISTRY_TABLE_OUTPUT));
  if (!table) {
    throw new ConfigError(
      `no tenant registry table: pass --table or set ${REGISTRY_TABLE_ENV}${reason ? ` (${reason})` : ''}; the name is the ${REGISTRY_TABLE_OUTPUT} ` +
        `output of the deployed stack (aws cloudformation describe-stacks --stack-name ${stackName}); use --local for the sandbox's registry`,
    );
  }
  return table;
}

// ---- reading ----------------------------------------------------------------------------------------------

/** An item of type 'tenant' that is not a valid tenant record (shown as a warning, never dropped silently). */
export interface InvalidItem {
  pk: string;
  problem: string;
}

function parseProblem(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || '(item)'}: ${i.message}`)
    .join('; ');
}

function tableProblem(e: unknown, reg: Registry): never {
  if (e instanceof ResourceNotFoundException) throw new RegistryError(`the tenant registry table '${reg.table}' does not exist (${e.message})`);
  throw e;
}

/** Every tenant of the registry (claims skipped), sorted by tenant id; items that do not parse are returned apart. */
export async function scanTenants(reg: Registry): Promise<{ tenants: TenantRecord[]; invalid: InvalidItem[] }> {
  const tenants: TenantRecord[] = [];
  const invalid: InvalidItem[] = [];
  let start: Record<string, unknown> | undefined;
  try {
    do {
      const page = await reg.doc.send(
        new ScanCommand({
          TableName: reg.table,
          ConsistentRead: true,
          FilterExpression: '#type = :tenant',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':tenant': 'tenant' },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const pk = typeof item.pk === 'string' ? item.pk : '';
        if (item.type !== 'tenant' || !pk.startsWith('tenant#')) continue;
        const parsed = TenantRecordSchema.safeParse(item);
        if (parsed.success) tenants.push(parsed.data);
        else invalid.push({ pk, problem: parseProblem(parsed.error) });
      }
      start = page.LastEvaluatedKey;
    } while (start);
  } catch (e) {
    if (reg.missingIsEmpty && e instanceof ResourceNotFoundException) return { tenants: [], invalid: [] };
    tableProblem(e, reg);
  }
  tenants.sort((a, b) => (a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : 0));
  return { tenants, invalid };
}

export type TenantLookup = { found: true; record: TenantRecord } | { found: false } | { found: 'invalid'; item: InvalidItem };

/** One tenant's record (`tenant#<id>`). */
export async function readTenant(reg: Registry, tenantId: string): Promise<TenantLookup> {
  let item: Record<string, unknown> | undefined;
  try {
    item = (await reg.doc.send(new GetCommand({ TableName: reg.table, Key: { pk: tenantPk(tenantId) }, ConsistentRead: true }))).Item;
  } catch (e) {
    if (reg.missingIsEmpty && e instanceof ResourceNotFoundException) return { found: false };
    tableProblem(e, reg);
  }
  if (item === undefined) return { found: false };
  const parsed = TenantRecordSchema.safeParse(item);
  return parsed.success ? { found: true, record: parsed.data } : { found: 'invalid', item: { pk: tenantPk(tenantId), problem: parseProblem(parsed.error) } };
}

// ---- formatting -------------------------------------------------------------------------------------------

/** A duration in its two largest units: 45s, 12m, 3h 5m, 4d 2h. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h}h` : `${h}h ${m % 60}m`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d}d` : `${d}d ${h % 24}h`;
}

const since = (iso: string | undefined, now: Date): number | undefined => {
  const t = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(t) ? undefined : now.getTime() - t;
};
const ago = (iso: string | undefined, now: Date): string => {
  const ms = since(iso, now);
  return ms === undefined ? '-' : `${formatAge(ms)} ago`;
};

const shorten = (t: string, max: number) => {
  const one = t.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
};

function statusText(status: TenantStatus, s: Style): string {
  if (status === 'ACTIVE' || status === 'OFFBOARDED') return s.ok(status);
  if (status === 'FAILED' || status === 'DRIFTED') return s.bad(status);
  return status;
}

type LastExecution = NonNullable<TenantRecord['lastExecution']>;

/** The result of the last execution: SUCCEEDED / FAILED, or running (not finished yet). */
function resultOf(last: LastExecution): string {
  return last.result ?? (last.finishedAt ? 'finished' : 'running');
}

/** Columns padded to their widest cell (the last column is not padded); `cells` may hold colour codes. */
function table(rows: { text: string; shown?: string }[][], indent = ''): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.text.length)));
  return rows
    .map((row) => `${indent}${row.map((c, i) => (i === row.length - 1 ? (c.shown ?? c.text) : `${c.shown ?? c.text}${' '.repeat((widths[i] ?? 0) - c.text.length)}`)).join('  ')}`.trimEnd())
    .join('\n');
}

/** `list`: one row per tenant. */
export function formatTenantTable(tenants: readonly TenantRecord[], now: Date = new Date(), s: Style = style({})): string {
  const head = ['TENANT', 'STATUS', 'ACCOUNT', 'LAST EXECUTION', 'KIND', 'RESULT', 'AGE', 'LAST CHANGE'].map((text) => ({ text, shown: s.dim(text) }));
  const rows = tenants.map((t) => {
    const last = t.lastExecution;
    const result = last ? resultOf(last) : '-';
    const age = since(t.createdAt, now);
    return [
      { text: t.tenantId },
      { text: t.status, shown: statusText(t.status, s) },
      { text: t.accountId ?? '-' },
      { text: last?.name ?? '-' },
      { text: last ? (last.kind ?? 'onboarding') : '-' },
      { text: result, shown: result === 'FAILED' ? s.bad(result) : result },
      { text: age === undefined ? '-' : formatAge(age) },
      { text: ago(t.updatedAt, now) },
    ];
  });
  return `${table([head, ...rows])}\n`;
}

/** The order of the parts in `status` (what the workflow creates first comes first); registrations after. */
const PART_ORDER = ['bucket', 'backupPolicy', 'principal', 'accessKeySecret'];
const partRank = (part: string) => {
  const i = PART_ORDER.indexOf(part);
  return i < 0 ? PART_ORDER.length : i;
};

/** A resource's health from the latest re-validation: ok, the findings' reasons, or not checked. */
export function resourceHealth(key: string, id: string, drift: TenantRecord['drift']): { ok: boolean | undefined; text: string } {
  if (!drift) return { ok: undefined, text: 'not checked' };
  const findings = drift.findings.filter((f) => f.resource === key || f.resource === id);
  if (findings.length === 0) return { ok: true, text: 'ok' };
  return { ok: false, text: findings.map((f) => `${f.check}: ${f.reason}`).join('; ') };
}

const when = (iso: string | undefined, now: Date) => (iso ? `${iso} (${ago(iso, now)})` : '-');

/** `status <tenantId>`: the whole record, for a reader. */
export function formatTenantStatus(t: TenantRecord, now: Date = new Date(), s: Style = style({})): string {
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(16)} ${value}`);
  const more = (value: string) => lines.push(`  ${''.padEnd(16)} ${value}`);

  lines.push(`${s.bold(`Tenant ${t.tenantId}`)}: ${statusText(t.status, s)}`);
  const account = t.accountId !== undefined ? `AWS account ${t.accountId} (${t.partition ?? 'aws'})` : 'no AWS account';
  row('bound to', `${account}, Palette ${t.projectUid ? `project ${t.projectUid}` : 'tenant scope'}`);
  if (t.lease) {
    const left = t.lease.expiresAt * 1000 - now.getTime();
    const expires = new Date(t.lease.expiresAt * 1000).toISOString();
    row(
      'lease',
      `held by ${t.lease.executionName} since ${t.lease.acquiredAt} (${left > 0 ? `expires in ${formatAge(left)}, ${expires}` : s.bad(`expired ${formatAge(-left)} ago, ${expires}: a crashed or stopped execution; the next one takes it`)})`,
    );
  } else row('lease', s.dim('free (no execution works on the tenant)'));

  const last = t.lastExecution;
  if (last) {
    const result = resultOf(last);
    row('last execution', `${last.name} (${last.kind ?? 'onboarding'}) ${result === 'SUCCEEDED' ? s.ok(result) : result === 'FAILED' ? s.bad(result) : result}`);
    const took = last.finishedAt ? since(last.startedAt, new Date(last.finishedAt)) : undefined;
    more(`started ${last.startedAt}${last.finishedAt ? `, finished ${last.finishedAt}${took !== undefined ? ` (${formatDuration(took)})` : ''}` : ''}`);
    if (last.error || last.cause) {
      const why = describeCause(last.cause);
      more(`${last.error ? s.bad(last.error) : ''}${last.error && why ? ': ' : ''}${why ? shorten(why, 240) : ''}`);
    }
  } else row('last execution', '-');
  row('created', `${when(t.createdAt, now)}, last change ${when(t.updatedAt, now)}, version ${t.version}`);

  const resources = Object.entries(t.resources).sort(([ka, a], [kb, b]) => partRank(a.part) - partRank(b.part) || (ka < kb ? -1 : ka > kb ? 1 : 0));
  lines.push('', `  ${s.bold(`Resources (${resources.length})`)}`);
  if (resources.length === 0) lines.push(`    ${s.dim('none: the tenant owns nothing')}`);
  else {
    // One row per resource, its id (ARN or Palette uid) on the line below its name: ARNs are long.
    const head = ['PART', 'NAME / ID', 'OWNERSHIP', 'HEALTH'].map((text) => ({ text, shown: s.dim(text) }));
    const rows = resources.map(([key, r]) => {
      const health = resourceHealth(key, r.id, t.drift);
      const shortHealth = shorten(health.text, 100);
      return [
        { text: r.part },
        { text: r.name },
        { text: r.adopted ? 'adopted' : r.createdBy ? `created by ${r.createdBy}` : 'recorded (creator unknown)' },
        { text: shortHealth, shown: health.ok === false ? s.bad(shortHealth) : health.ok ? s.ok(shortHealth) : s.dim(shortHealth) },
      ];
    });
    const partWidth = Math.max(...[head, ...rows].map((r) => r[0]?.text.length ?? 0));
    const [header = '', ...body] = table([head, ...rows], '    ').split('\n');
    lines.push(header);
    body.forEach((line, i) => lines.push(line, `    ${' '.repeat(partWidth + 2)}${s.dim(resources[i]?.[1].id ?? '')}`));
  }

  const intents = Object.entries(t.intents);
  if (intents.length > 0) {
    lines.push('', `  ${s.bold(`Pending intents (${intents.length})`)} ${s.dim('(a create in flight, or one a crashed execution left)')}`);
    for (const [key, i] of intents) lines.push(`    ${key}  by ${i.executionName} at ${i.at}`);
  }

  if (t.offboarding) {
    const o = t.offboarding;
    lines.push('', `  ${s.bold('Offboarding')} ${o.executionName}, finished ${when(o.finishedAt, now)}: removed ${o.removed.length}, retained ${o.retained.length}`);
    for (const id of o.removed) lines.push(`    removed   ${id}`);
    for (const r of o.retained) lines.push(`    retained  ${r.id}: ${r.reason}`);
  }

  if (t.drift) {
    const d = t.drift;
    const n = d.findings.length;
    lines.push(
      '',
      `  ${s.bold('Re-validation')} ${d.executionName}, checked ${when(d.checkedAt, now)}: ${n === 0 ? s.ok('no drift') : s.bad(`${n} finding${n === 1 ? '' : 's'}`)}`,
    );
    // An onboarding that finished after the check (e.g. its remediation) may have repaired what it found.
    if (n > 0 && last && (last.kind ?? 'onboarding') === 'onboarding' && last.finishedAt !== undefined && last.finishedAt > d.checkedAt) {
      lines.push(`    ${s.dim(`before the latest onboarding ${last.name} (${resultOf(last)}), which may have repaired them: re-validate to check`)}`);
    }
    for (const f of d.findings) lines.push(`    ${f.resource}  ${f.check}: ${f.reason}`);
  } else lines.push('', `  ${s.bold('Re-validation')} ${s.dim('never run (resource health not checked)')}`);
  return `${lines.join('\n')}\n`;
}

// ---- the commands -----------------------------------------------------------------------------------------

function warnInvalid(invalid: readonly InvalidItem[], out: Output): void {
  for (const i of invalid) out.stderr.write(`palette-onboard: skipped registry item ${i.pk}: not a valid tenant record (${i.problem})\n`);
}

/** `list`: prints the table (or a JSON array of records); returns the exit code (0). */
export async function listTenants(
  reg: Registry,
  opts: { statuses?: readonly TenantStatus[]; json: boolean; now?: Date },
  out: Output,
): Promise<number> {
  const { tenants, invalid } = await scanTenants(reg);
  warnInvalid(invalid, out);
  const shown = opts.statuses ? tenants.filter((t) => opts.statuses?.includes(t.status)) : tenants;
  if (opts.json) {
    out.stdout.write(`${JSON.stringify(shown)}\n`);
    return 0;
  }
  if (shown.length === 0) {
    const filter = opts.statuses ? ` with status ${opts.statuses.join(' or ')}` : '';
    out.stdout.write(`No tenants${filter} in the tenant registry (${reg.table}${tenants.length > 0 ? `; ${tenants.length} with another status` : ''}).\n`);
    return 0;
  }
  out.stdout.write(formatTenantTable(shown, opts.now, style(out.stdout)));
  return 0;
}

/** Prints a found tenant (human or JSON); the exit code: 0. */
export function printTenant(record: TenantRecord, opts: { json: boolean; now?: Date }, out: Output): number {
  if (opts.json) out.stdout.write(`${JSON.stringify(record)}\n`);
  else out.stdout.write(formatTenantStatus(record, opts.now, style(out.stdout)));
  return 0;
}

export const notFoundMessage = (tenantId: string, reg: Registry) => `no tenant '${tenantId}' in the tenant registry (table ${reg.table})`;

/**
 * `status <tenantId>`: the record, or a message and exit code 1 when the registry has no such tenant, 3 when its
 * item is not a valid tenant record.
 */
export async function showTenant(reg: Registry, tenantId: string, opts: { json: boolean; now?: Date }, out: Output): Promise<number> {
  const found = await readTenant(reg, tenantId);
  if (found.found === true) return printTenant(found.record, opts, out);
  if (found.found === 'invalid') {
    out.stderr.write(`palette-onboard: registry item ${found.item.pk} is not a valid tenant record (${found.item.problem})\n`);
    return 3;
  }
  out.stderr.write(`palette-onboard: ${notFoundMessage(tenantId, reg)}\n`);
  return 1;
}
