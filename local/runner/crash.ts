/**
 * Crash injection and call recording for local runs (RunOptions.crashes / RunOptions.recordCalls).
 *
 * The in-process sandbox tells the runner about every API call it answered (local/hooks.ts), attributed to the
 * Lambda invocation that made it (attribution.ts). A crash rule names a call (`aws:s3:CreateBucket`,
 * `palette:POST /v1/cloudaccounts/aws`); on its Nth successful (2xx) match the sandbox keeps the response
 * (the side effect is applied, the handler never learns it), and the runner fails the invocation the way Step
 * Functions reports a Lambda whose runtime was killed (`Lambda.Unknown`), as if the process died right after
 * the call. The killed handler's code is still in this process (a "zombie"): its output is dropped, and any
 * request it still makes is held unprocessed by the sandbox until the sandbox stops.
 */
import type { HookAnswer, OperationObserver, PaletteOperationEvent, RequestObserver, SandboxOperationEvent, AwsOperationEvent } from '../hooks';
import { invocationForPort } from './attribution';
import type { InvocationContext, OutputCapture } from './capture';

/** Crash the Lambda invocation right after a call (it reached the sandbox and was applied). */
export interface CrashRule {
  /**
   * The call: `aws:<service>:<Operation>` as the sandbox's stats count it (`aws:s3:CreateBucket`,
   * `aws:iam:CreateRole`, `aws:secretsmanager:CreateSecret`), or `palette:<METHOD> <path>` with the spec's path
   * template (`palette:POST /v1/users/assets/sshkeys`, `palette:PUT /v1/cloudaccounts/aws/{uid}`) or a concrete path.
   */
  after: string;
  /** Only calls made by invocations of this Task state. */
  state?: string;
  /**
   * Only calls made by invocations of this function: its name in the app (`palette-onboarding:function` metadata, e.g.
   * `ensure-ssh-key`). What tells a Map's iterations apart when one state invokes a different function per item (the
   * Registrations Map: every kind's ensure runs in the state EnsureRegistration, each with its kind's function).
   */
  function?: string;
  /** The Nth matching successful (2xx) call of the run (default 1). */
  occurrence?: number;
}

export interface CrashRecord {
  /** Task state of the killed invocation. */
  state: string;
  functionLogicalId: string;
  /** The function's name in the app (CrashRule.function). */
  function: string;
  /** The rule's `after`. */
  after: string;
  /** The call that triggered it (same syntax, template resolved), e.g. `palette:POST /v1/cloudaccounts/aws`. */
  call: string;
  /** Concrete path of a Palette call. */
  path?: string;
  /** Lambda request id of the killed invocation. */
  requestId: string;
  /** epoch ms */
  at: number;
}

export interface RecordedCall {
  state: string;
  functionLogicalId: string;
  /** The function's name in the app (`palette-onboarding:function` metadata; its logical id when it has none). */
  function: string;
  /** Lambda request id of the invocation that made the call. */
  requestId: string;
  target: 'aws' | 'palette';
  /** Same syntax as CrashRule.after: `aws:s3:CreateBucket`, `palette:POST /v1/cloudaccounts/aws/{uid}`. */
  operation: string;
  /** Concrete path (Palette). */
  path?: string;
  /** The caller's account (AWS). */
  accountId?: string;
  status: number;
  /** epoch ms */
  at: number;
  /** The response was held because a crash rule fired on this call. */
  crashed?: true;
}

export class CrashRuleError extends Error {
  override readonly name = 'CrashRuleError';
}

type ParsedCall = { target: 'aws'; service: string; operation: string } | { target: 'palette'; method: string; path: string };

const AWS_CALL = /^aws:([a-z0-9-]+):([A-Za-z0-9]+)$/;
const PALETTE_CALL = /^palette:([A-Za-z]+) (\/\S*)$/;

/** Parses `aws:service:Operation` / `palette:METHOD /path`. */
export function parseCallName(name: string): ParsedCall {
  const aws = AWS_CALL.exec(name);
  if (aws) return { target: 'aws', service: (aws[1] as string).toLowerCase(), operation: aws[2] as string };
  const pal = PALETTE_CALL.exec(name);
  if (pal) return { target: 'palette', method: (pal[1] as string).toUpperCase(), path: (pal[2] as string).replace(/(.)\/+$/, '$1') };
  throw new CrashRuleError(
    `'${name}' does not name a call: use 'aws:<service>:<Operation>' (e.g. 'aws:s3:CreateBucket') or 'palette:<METHOD> <path>' (e.g. 'palette:POST /v1/cloudaccounts/aws')`,
  );
}

/** The call's name in CrashRule.after syntax (Palette: the path template when the emulator matched one). */
export function callNameOf(e: SandboxOperationEvent): string {
  return e.target === 'aws' ? `aws:${e.service}:${e.operation}` : `palette:${e.method} ${e.template ?? e.path}`;
}

export function callMatches(call: ParsedCall, e: SandboxOperationEvent): boolean {
  if (call.target === 'aws') return e.target === 'aws' && e.service.toLowerCase() === call.service && e.operation === call.operation;
  if (e.target !== 'palette' || e.method.toUpperCase() !== call.method) return false;
  return call.path === e.template || call.path === e.path;
}

interface ActiveRule {
  rule: CrashRule;
  call: ParsedCall;
  occurrence: number;
  seen: number;
  fired: boolean;
}

/**
 * Validates rules before a run (`taskStates`: the Task states served by Lambda functions; `functions`: the names of
 * the functions they may invoke).
 */
export function validateCrashRules(rules: readonly CrashRule[], taskStates: ReadonlySet<string>, functions: ReadonlySet<string> = new Set()): void {
  for (const r of rules) {
    if (typeof r?.after !== 'string') throw new CrashRuleError(`crash rule ${JSON.stringify(r)}: 'after' must name a call`);
    parseCallName(r.after);
    if (r.occurrence !== undefined && (!Number.isInteger(r.occurrence) || r.occurrence < 1)) {
      throw new CrashRuleError(`crash rule after '${r.after}': occurrence must be a positive integer, got ${String(r.occurrence)}`);
    }
    if (r.function !== undefined && !functions.has(r.function)) {
      throw new CrashRuleError(`crash rule after '${r.after}': function '${r.function}' is not a function of the app (${[...functions].sort().join(', ')})`);
    }
    if (r.state !== undefined && !taskStates.has(r.state)) {
      throw new CrashRuleError(
        `crash rule after '${r.after}': state '${r.state}' is not a Lambda Task state of the state machine (${[...taskStates].sort().join(', ')})`,
      );
    }
  }
}

export interface SandboxHookTargets {
  aws: { onOperation(fn: OperationObserver<AwsOperationEvent>): () => void; onRequest(fn: RequestObserver): () => void };
  palette: { onOperation(fn: OperationObserver<PaletteOperationEvent>): () => void; onRequest(fn: RequestObserver): () => void };
}

/** The hooks of an in-process sandbox (startLocalSandbox), or undefined for plain endpoints. */
export function sandboxHooksOf(sb: unknown): SandboxHookTargets | undefined {
  if (typeof sb !== 'object' || sb === null || !('aws' in sb) || !('palette' in sb)) return undefined;
  const { aws, palette } = sb as { aws: unknown; palette: unknown };
  const ok = (t: unknown) =>
    typeof t === 'object' && t !== null && typeof (t as { onOperation?: unknown }).onOperation === 'function' && typeof (t as { onRequest?: unknown }).onRequest === 'function';
  return ok(aws) && ok(palette) ? (sb as SandboxHookTargets) : undefined;
}

const gated = new WeakSet<object>();

/**
 * Holds, unprocessed, every request a killed invocation still makes (a killed process makes none), on this
 * sandbox for as long as it runs. Installed once per sandbox.
 */
export function installZombieGate(hooks: SandboxHookTargets): void {
  const gate: RequestObserver = (e): HookAnswer => (invocationForPort(e.remotePort)?.dead ? 'hold' : undefined);
  for (const target of [hooks.aws, hooks.palette]) {
    if (gated.has(target)) continue;
    gated.add(target);
    target.onRequest(gate);
  }
}

export interface CallMonitorOptions {
  /** The run: only its invocations' calls count. */
  capture: OutputCapture;
  rules: readonly CrashRule[];
  recordCalls: boolean;
  /** Kills the invocation (returns false when it is not running any more). */
  kill(ctx: InvocationContext, detail: { after: string; call: string }): boolean;
  /** The function's name in the app, from its logical id. */
  functionName(logicalId: string): string;
}

/** One run's view of the sandbox calls: records them and fires crash rules. */
export class CallMonitor {
  readonly calls: RecordedCall[] = [];
  readonly crashes: CrashRecord[] = [];
  private readonly rules: ActiveRule[];

  constructor(private readonly opts: CallMonitorOptions) {
    this.rules = opts.rules.map((rule) => ({ rule, call: parseCallName(rule.after), occurrence: rule.occurrence ?? 1, seen: 0, fired: false }));
  }

  /** Subscribes to the sandbox; returns the unsubscribe function. */
  attach(hooks: SandboxHookTargets): () => void {
    const offs = [hooks.aws.onOperation((e) => this.observe(e)), hooks.palette.onOperation((e) => this.observe(e))];
    return () => offs.forEach((off) => off());
  }

  observe(e: SandboxOperationEvent): HookAnswer {
    const ctx = invocationForPort(e.remotePort);
    if (!ctx || ctx.owner !== this.opts.capture || ctx.dead) return undefined;
    const { scope } = ctx;
    const operation = callNameOf(e);
    const fnName = this.opts.functionName(scope.functionLogicalId);
    const at = Date.now();
    const record: RecordedCall | undefined = this.opts.recordCalls
      ? {
          state: scope.state,
          functionLogicalId: scope.functionLogicalId,
          function: fnName,
          requestId: scope.requestId,
          target: e.target,
          operation,
          ...(e.target === 'palette' ? { path: e.path } : { accountId: e.accountId }),
          status: e.status,
          at,
        }
      : undefined;
    if (record) this.calls.push(record);
    if (e.status < 200 || e.status >= 300) return undefined;
    let fire: ActiveRule | undefined;
    for (const r of this.rules) {
      if (r.fired || !callMatches(r.call, e) || (r.rule.state !== undefined && r.rule.state !== scope.state) || (r.rule.function !== undefined && r.rule.function !== fnName)) continue;
      r.seen += 1;
      if (r.seen === r.occurrence && !fire) fire = r;
    }
    if (!fire) return undefined;
    if (!this.opts.kill(ctx, { after: fire.rule.after, call: operation })) return undefined;
    fire.fired = true;
    if (record) record.crashed = true;
    this.crashes.push({
      state: scope.state,
      functionLogicalId: scope.functionLogicalId,
      function: fnName,
      after: fire.rule.after,
      call: operation,
      ...(e.target === 'palette' ? { path: e.path } : {}),
      requestId: scope.requestId,
      at,
    });
    return 'hold';
  }
}
