/**
 * Reliability campaign (issue 11 item 5), as a library: the scenario runners R1..R4, parameterized by size, each
 * returning its figure and every failure it saw (never throwing for a product failure: a failure is a finding).
 * Used by test/reliability/campaign.test.ts (CI size) and scripts/reliability.ts (full size).
 *
 * - R1: N executions of mixed shapes (sts, static, full) with a seeded transient fault rate on every AWS service and
 *   every Palette path (throttle / 5xx / reset): every execution succeeds and leaves exactly the fault-free
 *   reference run's inventory for its shape (tenant account, home-account secrets, Palette objects and API keys;
 *   ids normalized for the tenant id, account id and access key id; duplicates counted, not collapsed).
 * - R2: per shape, a crash (the handler killed right after the call's side effect) after every side-effecting call
 *   the fault-free reference run made (status < 300, not a read), in turn: the retried step converges to the
 *   reference end state; and, for every crash point or a deterministic sample, compensation after the crash (a
 *   permanent failure injected after the last task before the release) leaves an empty diff.
 * - R3: a permanent failure injected after every Lambda task of the reference run, in turn: compensation leaves an
 *   empty inventory and Palette diff, the registry records the tenant FAILED owning nothing, and the
 *   `Tenant Onboarding Failed` event names the step and carries the reason.
 * - R4: a Palette outage ('/v1') of D ms started in the middle of M executions: all succeed, none compensates.
 *
 * Runs are serialized in-process by the local runner (local/runner/runner.ts `serialized`: runs share process.env),
 * so the executions of a scenario run one after the other; faults are switched on when an execution starts and off
 * when it ends, so the runner's own preparation (tables, roles, the API key secret) is never faulted.
 */
import { REGISTRATION_KEYS, REGISTRATIONS } from '../../lambdas/domain/registrations';
import { loadWorkflow, ONBOARDING_STATE_MACHINE, prepareStateMachine, runOnboarding, sandboxEndpoints, type LocalRunResult, type LocalWorkflow, type RecordedCall, type RunOptions } from '../../local/runner';
import { prepareRequestFixtures } from '../../local/runner/fixtures';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { SandboxWorld } from '../e2e/tenant-world';
import { REQUEST_SHAPES, type RequestShapeName } from '../e2e/fixtures/request-shapes';

export type ShapeName = RequestShapeName;
export const SHAPE_NAMES: ShapeName[] = ['sts', 'static', 'full'];

/** Request shapes (test/e2e/fixtures/request-shapes.ts): together they make every call of the workflow. */
export const SHAPES: Record<ShapeName, (tenantId: string, accountId: string) => Record<string, unknown>> = REQUEST_SHAPES;

export interface Failure {
  scenario: 'R1' | 'R2' | 'R3' | 'R4';
  /** What was being tried: the execution, crash point or step. */
  subject: string;
  /** Which check failed. */
  check: string;
  detail: string;
}

export interface ScenarioResult {
  scenario: 'R1' | 'R2' | 'R3' | 'R4';
  passed: number;
  total: number;
  /** e.g. "R1 6/6" */
  figure: string;
  durationMs: number;
  size: Record<string, unknown>;
  failures: Failure[];
  notes: string[];
}

export interface Campaign {
  sb: RunningLocalSandbox;
  workflow: LocalWorkflow;
  world: SandboxWorld;
  seed: number;
  /** Every Task state with a Retry -> the interval used when `fastRetries` (ms). */
  retryStates: string[];
  waitStates: string[];
  lambdaTasks: Set<string>;
  log: (line: string) => void;
  stop(): Promise<void>;
}

export interface CampaignOptions {
  seed?: number;
  workflow?: LocalWorkflow;
  log?: (line: string) => void;
}

/**
 * The campaign's deployment has no shared Palette rate table (`sharedPaletteRateLimit: false`: each container limits
 * itself). A slot reservation is no tenant side effect (a crash after one loses a slot, nothing else), and the number
 * of the table's writes depends on timing (a late send pushes the shared schedule back), so crash points counted by
 * occurrence (`UpdateItem #3` of a state) would shift between the reference run and the crashed one. The governor is
 * tested on its own (test/integration/palette-rate-governor.test.ts).
 */
export const CAMPAIGN_CONTEXT = { sharedPaletteRateLimit: false } as const;

export async function startCampaign(opts: CampaignOptions = {}): Promise<Campaign> {
  const workflow =
    opts.workflow ??
    (await loadWorkflow(process.env.RELIABILITY_ASSEMBLY_DIR ? { assemblyDir: process.env.RELIABILITY_ASSEMBLY_DIR } : { context: CAMPAIGN_CONTEXT }));
  const sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 100 } }, palette: { port: 0 }, env: {} });
  const prepared = prepareStateMachine(workflow, ONBOARDING_STATE_MACHINE, { region: sb.aws.region, accountId: sb.aws.accountId });
  const retryStates: string[] = [];
  const waitStates: string[] = [];
  const walk = (d: { States?: Record<string, Record<string, unknown>> }) => {
    for (const [name, st] of Object.entries(d.States ?? {})) {
      if (Array.isArray(st.Retry) && st.Retry.length > 0) retryStates.push(name);
      if (st.Type === 'Wait') waitStates.push(name);
      for (const b of (st.Branches as (typeof d)[] | undefined) ?? []) walk(b);
      if (st.Iterator) walk(st.Iterator as typeof d);
      if (st.ItemProcessor) walk(st.ItemProcessor as typeof d);
    }
  };
  walk(prepared.definition as unknown as { States?: Record<string, Record<string, unknown>> });
  const lambdaTasks = new Set([...prepared.tasks].filter(([, b]) => b.kind !== 'put-events').map(([s]) => s));
  return {
    sb,
    workflow,
    world: new SandboxWorld(sb),
    seed: opts.seed ?? 20261202,
    retryStates,
    waitStates,
    lambdaTasks,
    log: opts.log ?? (() => undefined),
    stop: () => sb.stop(),
  };
}

/** Step Functions timing: state retries every `retryMs` and Wait states of `waitMs` (undefined: real timing). */
function timing(c: Campaign, retryMs: number | undefined, waitMs: number | undefined): Pick<RunOptions, 'retryIntervalOverridesMs' | 'waitOverridesMs'> {
  return {
    ...(retryMs !== undefined ? { retryIntervalOverridesMs: Object.fromEntries(c.retryStates.map((s) => [s, retryMs])) } : {}),
    ...(waitMs !== undefined ? { waitOverridesMs: Object.fromEntries(c.waitStates.map((s) => [s, waitMs])) } : {}),
  };
}

let accountSeq = 0;
/** A fresh member account id (unique per process). */
export const nextAccount = () => `8${String(process.pid % 1000).padStart(3, '0')}${String(accountSeq++).padStart(8, '0')}`;

/**
 * The tenant's objects, ids normalized (tenant id, account id, access key id), duplicates kept: tenant account
 * inventory, its home-account secrets, Palette objects (every scope, by name, as a list) and Palette API keys.
 */
export function tenantInventory(c: Campaign, tenantId: string, accountId: string): Record<string, string[]> {
  const norm = (s: string) => s.split(tenantId).join('<tenant>').split(tenantId.replace(/-/g, '')).join('<tenant>').split(accountId).join('<account>').replace(/AKIA[A-Z0-9]{12,}/g, '<key>');
  const out: Record<string, string[]> = {};
  // Palette's own S3 validation probes (`palette-validate-*`) are Palette's: when a fault hits the delete of its probe,
  // Palette (and the emulator) leave it in the bucket. Not the workflow's object, so not part of the comparison.
  const palettesProbe = (type: string, id: string) => type === 'objects' && /\/palette-validate-[0-9a-f]+$/.test(id);
  for (const [type, ids] of Object.entries(c.sb.aws.inventory()[accountId] ?? {})) {
    out[`account.${type}`] = [...ids].filter((id) => !palettesProbe(type, id)).map(norm).sort();
  }
  out['home.secrets'] = (c.sb.aws.inventory()[c.sb.aws.accountId]?.secrets ?? []).filter((id) => id.includes(`/${tenantId}/`)).map(norm).sort();
  const state = c.sb.palette.inspect() as { tenants: { scopes: Record<string, Record<string, { name: string }[]>>; apiKeys: { name: string }[] }[] };
  const palette: string[] = [];
  const apiKeys: string[] = [];
  for (const t of state.tenants) {
    for (const [scope, collections] of Object.entries(t.scopes)) {
      for (const [collection, items] of Object.entries(collections)) {
        for (const item of items) if (item.name.startsWith(`${tenantId}-`)) palette.push(norm(`${scope}/${collection}/${item.name}`));
      }
    }
    for (const k of t.apiKeys) if (k.name.startsWith(`${tenantId}-`)) apiKeys.push(norm(k.name));
  }
  out['palette.objects'] = palette.sort();
  out['palette.apiKeys'] = apiKeys.sort();
  return out;
}

/** Everything that must be as before after a compensated run (all but the tenant's own registry record). */
export function everything(c: Campaign, tenantId: string, accountId: string) {
  const home = Object.fromEntries(
    Object.entries(c.world.inventory(c.sb.aws.accountId)).map(([type, ids]) => [type, ids.filter((id) => !id.includes(`"tenant#${tenantId}"`))]),
  );
  return { account: c.world.inventory(accountId), home, palette: c.world.paletteObjects(), apiKeys: c.world.paletteApiKeys() };
}

/** What differs between two JSON-able records, as short lines (empty: equal). */
export function diff(before: unknown, after: unknown, path = ''): string[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (Array.isArray(before) && Array.isArray(after)) {
    const b = before.map((x) => JSON.stringify(x));
    const a = after.map((x) => JSON.stringify(x));
    return [...a.filter((x) => !b.includes(x)).map((x) => `${path} +${x}`), ...b.filter((x) => !a.includes(x)).map((x) => `${path} -${x}`), ...(a.length !== b.length ? [`${path} count ${b.length} -> ${a.length}`] : [])];
  }
  if (before && after && typeof before === 'object' && typeof after === 'object') {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    return [...keys].flatMap((k) => diff((before as Record<string, unknown>)[k] ?? [], (after as Record<string, unknown>)[k] ?? [], path ? `${path}.${k}` : k));
  }
  return [`${path}: ${JSON.stringify(before)?.slice(0, 200)} -> ${JSON.stringify(after)?.slice(0, 200)}`];
}

/** A permanent (never retried) failure after `state` succeeded; the message does not name the state. */
export class InjectedFailure extends Error {
  override name = 'InjectedFailure';
}
const failAfter = (state: string, reason: string) => (s: string) => {
  if (s === state) throw new InjectedFailure(reason);
};

const compensated = (run: LocalRunResult) => [...new Set(run.history.filter((e) => e.state?.startsWith('Undo') || e.state === 'ReleaseTenantOnFailure').map((e) => e.state))];
const lambdaTaskOrder = (run: LocalRunResult) => [...new Set(run.history.filter((e) => e.type === 'LambdaFunctionScheduled').map((e) => e.state as string))];
const runError = (run: LocalRunResult) => `${run.status} ${run.error ?? ''}: ${(run.errorMessage ?? run.cause ?? '').slice(0, 400)}`;

/** Prepares a fresh tenant of a shape: its member account, the credential stand-ins it references. */
async function freshTenant(c: Campaign, shape: ShapeName, tenantId: string) {
  const accountId = nextAccount();
  const request = SHAPES[shape](tenantId, accountId);
  await c.world.operatorIn(accountId);
  await prepareRequestFixtures(request, sandboxEndpoints(c.sb));
  return { tenantId, accountId, request };
}

interface Reference {
  shape: ShapeName;
  run: LocalRunResult;
  inventory: Record<string, string[]>;
  tasks: string[];
}
const references = new WeakMap<Campaign, Map<ShapeName, Reference>>();

/** The fault-free reference run of a shape (recorded calls), once per campaign. */
export async function reference(c: Campaign, shape: ShapeName): Promise<Reference> {
  let m = references.get(c);
  if (!m) references.set(c, (m = new Map()));
  const have = m.get(shape);
  if (have) return have;
  const t = await freshTenant(c, shape, `ref-${shape}`);
  const run = await runOnboarding(t.request, { sandbox: c.sb, workflow: c.workflow, recordCalls: true, ...timing(c, 100, 100) });
  if (run.status !== 'SUCCEEDED') throw new Error(`the fault-free reference run of the ${shape} shape failed: ${runError(run)}`);
  const ref = { shape, run, inventory: tenantInventory(c, t.tenantId, t.accountId), tasks: lambdaTaskOrder(run) };
  m.set(shape, ref);
  return ref;
}

function result(scenario: ScenarioResult['scenario'], passed: number, total: number, unit: string, started: number, size: Record<string, unknown>, failures: Failure[], notes: string[] = []): ScenarioResult {
  return { scenario, passed, total, figure: `${scenario} ${passed}/${total}${unit}`, durationMs: Date.now() - started, size, failures, notes };
}

// ---------------------------------------------------------------------------------------------------------------
// R1: transient faults

export interface R1Options {
  n: number;
  /** Total probability that a call is faulted (default 0.2), split evenly over the kinds. */
  rate?: number;
  shapes?: ShapeName[];
  /** State retry interval (ms); undefined = the real back-off (2 s doubling, jitter). */
  retryMs?: number;
}

export async function runR1(c: Campaign, o: R1Options): Promise<ScenarioResult> {
  const started = Date.now();
  const rate = o.rate ?? 0.2;
  const shapes = o.shapes ?? SHAPE_NAMES;
  const awsKinds = ['throttle', '500', '503', 'reset'] as const;
  const paletteKinds = ['429', '500', '503', 'reset'] as const;
  // Independent draws per rule: 1 - (1 - r)^k = rate.
  const per = 1 - (1 - rate) ** (1 / awsKinds.length);
  const failures: Failure[] = [];
  const faultTotals = { aws: 0, palette: 0 };
  let passed = 0;
  for (const s of shapes) await reference(c, s);
  for (let i = 0; i < o.n; i++) {
    const shape = shapes[i % shapes.length] as ShapeName;
    const t = await freshTenant(c, shape, `r1-${shape.slice(0, 3)}-${i}`);
    const seed = c.seed + i;
    c.sb.faults.resetCounts();
    let run: LocalRunResult;
    try {
      run = await runOnboarding(t.request, {
        sandbox: c.sb,
        workflow: c.workflow,
        ...timing(c, o.retryMs, 100),
        onProgress: (e) => {
          if (e.kind === 'execution-started') {
            c.sb.faults.set({
              seed,
              aws: awsKinds.map((kind) => ({ rate: per, kind })),
              palette: paletteKinds.map((kind) => ({ pathPrefix: '/v1', rate: per, kind })),
            });
          }
        },
      });
    } finally {
      c.sb.faults.clear();
    }
    const counts = c.sb.faults.counts();
    faultTotals.aws += counts.aws.total;
    faultTotals.palette += counts.palette.total;
    const subject = `${t.tenantId} (${shape}, seed ${seed}, ${counts.aws.total} AWS + ${counts.palette.total} Palette faults)`;
    const before = failures.length;
    if (run.status !== 'SUCCEEDED') failures.push({ scenario: 'R1', subject, check: 'succeeds', detail: runError(run) });
    const d = diff((await reference(c, shape)).inventory, tenantInventory(c, t.tenantId, t.accountId));
    if (d.length > 0) failures.push({ scenario: 'R1', subject, check: 'inventory equals the fault-free run (no duplicate, nothing missing)', detail: d.join('; ') });
    if (failures.length === before) passed++;
    c.log(`R1 ${i + 1}/${o.n} ${subject}: ${failures.length === before ? 'ok' : 'FAILED'} (${run.durationMs} ms)`);
  }
  return result('R1', passed, o.n, '', started, { n: o.n, rate, shapes, retryMs: o.retryMs ?? 'real', seed: c.seed }, failures, [
    `${faultTotals.aws} AWS and ${faultTotals.palette} Palette faults injected`,
  ]);
}

// ---------------------------------------------------------------------------------------------------------------
// R2: a crash after every side-effecting call

export interface CrashPoint {
  state: string;
  /** The function that made the call (one state may run several: the Registrations Map runs each kind's). */
  function: string;
  after: string;
  occurrence: number;
}

const AWS_WRITE = /^aws:[a-z0-9-]+:(Put|Create|Update|Attach|Detach|Tag|Untag|Delete|Remove|Add|Set|Upload|Enable|Disable|Rotate|Restore|Replace|Copy|Change|TransactWrite|BatchWrite|Complete|Abort)/;

/** The side-effecting calls of a run: status < 300, not a read (AWS writes; Palette non-GET that is not a validation). */
export function sideEffectCalls(calls: readonly RecordedCall[]): CrashPoint[] {
  const seen = new Map<string, number>();
  const out: CrashPoint[] = [];
  for (const call of calls) {
    if (call.status >= 300) continue;
    const palette = /^palette:(POST|PUT|PATCH|DELETE) /.test(call.operation) && !/validate/.test(call.operation);
    if (!AWS_WRITE.test(call.operation) && !palette) continue;
    const key = `${call.state} ${call.function} ${call.operation}`;
    const occurrence = (seen.get(key) ?? 0) + 1;
    seen.set(key, occurrence);
    out.push({ state: call.state, function: call.function, after: call.operation, occurrence });
  }
  return out;
}

export interface R2Options {
  shapes?: ShapeName[];
  /** Compensation after the crash for every crash point (1), every k-th (k), or none (0). */
  compensateEvery?: number;
  /** Keep only the first `limit` crash points per shape (smoke). */
  limit?: number;
  /** Keep every `stride`-th crash point per shape (1st, (1+stride)th, ...): the CI size; default 1 (every point). */
  stride?: number;
  retryMs?: number;
}

/** The task a permanent failure is injected after for R2's compensation: the last before the tenant is released. */
const R2_FAIL_AT = 'VerifyRegistrations';

export async function runR2(c: Campaign, o: R2Options = {}): Promise<ScenarioResult> {
  const started = Date.now();
  const shapes = o.shapes ?? SHAPE_NAMES;
  const every = o.compensateEvery ?? 1;
  const failures: Failure[] = [];
  const notes: string[] = [];
  let passed = 0;
  let total = 0;
  let compensations = 0;
  for (const shape of shapes) {
    const ref = await reference(c, shape);
    let points = sideEffectCalls(ref.run.calls ?? []);
    if (o.limit !== undefined) points = points.slice(0, o.limit);
    const all = points.length;
    const stride = Math.max(1, o.stride ?? 1);
    points = points.filter((_, i) => i % stride === 0);
    notes.push(`${shape}: ${all} side-effecting calls (${[...new Set(points.map((p) => p.after))].length} distinct operations)${stride > 1 ? `; every ${stride}th crashed (${points.length})` : ''}`);
    const failIndex = ref.tasks.indexOf(R2_FAIL_AT);
    for (const [i, point] of points.entries()) {
      total++;
      const subject = `${shape}: ${point.state}${point.state === 'EnsureRegistration' ? ` (${point.function})` : ''} ${point.after}${point.occurrence > 1 ? ` #${point.occurrence}` : ''}`;
      const before = failures.length;
      const crash = { after: point.after, state: point.state, function: point.function, occurrence: point.occurrence };
      // Compensation after the crash (for the crash points before the failure point: a crash in a later task, the
      // release, cannot be followed by a failure that compensates; R3 covers a failure there).
      const compensable = ref.tasks.indexOf(point.state) <= failIndex && failIndex >= 0;
      if (every > 0 && i % every === 0 && compensable) {
        compensations++;
        const t = await freshTenant(c, shape, `r2-${shape.slice(0, 3)}-${i}-c`);
        const snapshot = everything(c, t.tenantId, t.accountId);
        const run = await runOnboarding(t.request, { sandbox: c.sb, workflow: c.workflow, crashes: [crash], afterTask: failAfter(R2_FAIL_AT, 'campaign R2'), ...timing(c, o.retryMs ?? 100, 100) });
        if ((run.crashes ?? []).length !== 1) failures.push({ scenario: 'R2', subject, check: 'crash fired (compensation run)', detail: `crashes: ${JSON.stringify(run.crashes)}` });
        if (run.status !== 'FAILED' || run.error !== 'InjectedFailure') failures.push({ scenario: 'R2', subject, check: 'fails with the injected failure', detail: runError(run) });
        const d = diff(snapshot, everything(c, t.tenantId, t.accountId));
        if (d.length > 0) failures.push({ scenario: 'R2', subject, check: 'compensation after the crash leaves an empty diff', detail: d.join('; ').slice(0, 1500) });
        const record = await c.world.tenantRecord(t.tenantId);
        const got = { status: record?.status, resources: record?.resources, intents: record?.intents, lease: record?.lease };
        if (JSON.stringify(got) !== JSON.stringify({ status: 'FAILED', resources: {}, intents: {} }))
          failures.push({ scenario: 'R2', subject, check: 'registry: FAILED, owning nothing, lease released', detail: JSON.stringify(got).slice(0, 600) });
      }
      // The crash alone, on a fresh tenant: the retried step converges to the reference end state.
      const t = await freshTenant(c, shape, `r2-${shape.slice(0, 3)}-${i}`);
      const run = await runOnboarding(t.request, { sandbox: c.sb, workflow: c.workflow, crashes: [crash], ...timing(c, o.retryMs ?? 100, 100) });
      if ((run.crashes ?? []).length !== 1) failures.push({ scenario: 'R2', subject, check: 'crash fired', detail: `crashes: ${JSON.stringify(run.crashes)}` });
      if (run.status !== 'SUCCEEDED') failures.push({ scenario: 'R2', subject, check: 'converges (succeeds after the crash)', detail: runError(run) });
      const d = diff(ref.inventory, tenantInventory(c, t.tenantId, t.accountId));
      if (d.length > 0) failures.push({ scenario: 'R2', subject, check: 'end state equals the fault-free run', detail: d.join('; ') });
      if (failures.length === before) passed++;
      c.log(`R2 ${subject}: ${failures.length === before ? 'ok' : 'FAILED'}`);
    }
  }
  notes.push(`compensation checked after ${compensations} of ${total} crash points (every ${every === 0 ? 'none' : every === 1 ? 'point' : `${every}th point`} before ${R2_FAIL_AT})`);
  return result('R2', passed, total, ' crash points', started, { shapes, compensateEvery: every, limit: o.limit ?? 'all', stride: o.stride ?? 1 }, failures, notes);
}

// ---------------------------------------------------------------------------------------------------------------
// R3: a permanent failure at every task

/** Documented as retained after compensation (README): a bucket that holds objects. None of these runs writes one. */
export const DOCUMENTED_RETAINED: string[] = [];

export interface R3Options {
  shapes?: ShapeName[];
  retryMs?: number;
}

export async function runR3(c: Campaign, o: R3Options = {}): Promise<ScenarioResult> {
  const started = Date.now();
  const shapes = o.shapes ?? SHAPE_NAMES;
  const failures: Failure[] = [];
  const notes: string[] = [];
  let passed = 0;
  let total = 0;
  for (const shape of shapes) {
    const ref = await reference(c, shape);
    notes.push(`${shape}: ${ref.tasks.length} tasks (${ref.tasks.join(', ')})`);
    for (const [i, step] of ref.tasks.entries()) {
      total++;
      const subject = `${shape}: failure after ${step}`;
      const t = await freshTenant(c, shape, `r3-${shape.slice(0, 3)}-${i}`);
      const reason = `campaign-reason-${shape}-${i}`;
      const snapshot = everything(c, t.tenantId, t.accountId);
      const before = failures.length;
      const run = await runOnboarding(t.request, { sandbox: c.sb, workflow: c.workflow, afterTask: failAfter(step, reason), ...timing(c, o.retryMs ?? 100, 100) });
      if (run.status !== 'FAILED' || run.error !== 'InjectedFailure') failures.push({ scenario: 'R3', subject, check: 'fails with the injected failure', detail: runError(run) });
      const d = diff(snapshot, everything(c, t.tenantId, t.accountId));
      if (d.length > 0) failures.push({ scenario: 'R3', subject, check: 'compensation leaves an empty inventory and Palette diff', detail: d.join('; ').slice(0, 1500) });
      const record = await c.world.tenantRecord(t.tenantId);
      if (record) {
        const got = { status: record.status, resources: record.resources, intents: record.intents, lease: record.lease };
        if (JSON.stringify(got) !== JSON.stringify({ status: 'FAILED', resources: {}, intents: {} }))
          failures.push({ scenario: 'R3', subject, check: 'registry: FAILED, owning nothing, lease released', detail: JSON.stringify(got).slice(0, 600) });
      }
      const events = run.events.filter((e) => e.detailType === 'Tenant Onboarding Failed');
      const detail = events[0]?.detail as Record<string, unknown> | undefined;
      if (events.length !== 1 || !detail) {
        failures.push({ scenario: 'R3', subject, check: 'one Tenant Onboarding Failed event', detail: `${events.length} events` });
      } else {
        const { cause, ...rest } = detail;
        if (!(detail.error === 'InjectedFailure' && String(cause ?? '').includes(reason)))
          failures.push({ scenario: 'R3', subject, check: 'the failure event carries the reason', detail: JSON.stringify({ error: detail.error, cause }).slice(0, 400) });
        // The step: named by a field of the event other than the injected message (which does not name it). An
        // iteration of the Registrations Map (EnsureRegistration) is named by its kind's ensure step (EnsureCloudAccount, ...).
        const names = step === 'EnsureRegistration' ? REGISTRATION_KEYS.map((k) => REGISTRATIONS[k].state) : [step];
        if (!names.some((n) => JSON.stringify(rest).includes(`"${n}"`) || String(cause ?? '').replace(reason, '').includes(n)))
          failures.push({ scenario: 'R3', subject, check: 'the failure event names the step', detail: `detail keys: ${Object.keys(detail).join(', ')}; no field names ${names.join(' / ')}` });
      }
      if (failures.length === before) passed++;
      c.log(`R3 ${subject}: ${failures.length === before ? 'ok' : 'FAILED'}`);
    }
  }
  return result('R3', passed, total, ' steps', started, { shapes }, failures, notes);
}

// ---------------------------------------------------------------------------------------------------------------
// R4: a Palette outage in the middle of M executions

export interface R4Options {
  m: number;
  outageMs: number;
  /** State retry interval (ms); undefined = the real back-off (2 s doubling to 60 s, jitter, 10 retries). */
  retryMs?: number;
  shapes?: ShapeName[];
}

export async function runR4(c: Campaign, o: R4Options): Promise<ScenarioResult> {
  const started = Date.now();
  const shapes = o.shapes ?? SHAPE_NAMES;
  const failures: Failure[] = [];
  const notes: string[] = [];
  let passed = 0;
  const middle = Math.floor(o.m / 2);
  c.sb.faults.resetCounts();
  let outage: { from: number; until: number } | undefined;
  const hit: string[] = [];
  for (let i = 0; i < o.m; i++) {
    const shape = shapes[i % shapes.length] as ShapeName;
    const t = await freshTenant(c, shape, `r4-${shape.slice(0, 3)}-${i}`);
    const runStarted = Date.now();
    const run = await runOnboarding(t.request, {
      sandbox: c.sb,
      workflow: c.workflow,
      ...timing(c, o.retryMs, 100),
      onProgress: (e) => {
        // The outage starts when the middle execution first talks to Palette.
        if (i === middle && !outage && e.kind === 'state-started' && e.state === 'ReadPaletteIdentity') {
          outage = c.sb.faults.paletteOutage({ pathPrefix: '/v1', durationMs: o.outageMs });
          c.log(`R4 Palette outage of ${o.outageMs} ms starts during ${t.tenantId}`);
        }
      },
    });
    if (outage && runStarted < outage.until && Date.now() > outage.from) hit.push(t.tenantId);
    const subject = `${t.tenantId} (${shape})`;
    const before = failures.length;
    if (run.status !== 'SUCCEEDED') failures.push({ scenario: 'R4', subject, check: 'succeeds', detail: runError(run) });
    const undo = compensated(run);
    if (undo.length > 0) failures.push({ scenario: 'R4', subject, check: 'does not compensate', detail: undo.join(', ') });
    if (failures.length === before) passed++;
    c.log(`R4 ${i + 1}/${o.m} ${subject}: ${failures.length === before ? 'ok' : 'FAILED'} (${run.durationMs} ms)`);
  }
  notes.push(`outage of ${o.outageMs} ms on Palette /v1 started during execution ${middle + 1} of ${o.m}; executions running during it: ${hit.join(', ') || 'none'} (runs are serialized in-process)`);
  notes.push(`Palette calls failed by the outage: ${c.sb.faults.counts().palette.outages}`);
  return result('R4', passed, o.m, '', started, { m: o.m, outageMs: o.outageMs, retryMs: o.retryMs ?? 'real' }, failures, notes);
}

export function figuresLine(results: ScenarioResult[]): string {
  return results.map((r) => r.figure).join(', ');
}
