/**
 * AWS Step Functions for the local sandbox (AWS JSON 1.0: POST /, X-Amz-Target: AWSStepFunctions.<Op>, signed for
 * `states`): the API's state (state machines, executions, names, history, status) with executions run by an
 * optional ExecutionEngine (./engine.ts) that whoever loads the app sets with `setEngine`.
 *
 * Served: CreateStateMachine (idempotent on name + definition + type, as AWS: a different roleArn is ignored;
 * StateMachineAlreadyExists otherwise; the role must trust states.amazonaws.com and the caller needs iam:PassRole on it),
 * UpdateStateMachine, DeleteStateMachine (DELETING while executions run, gone with its executions when they ended),
 * DescribeStateMachine, ListStateMachines, StartExecution (name dedupe for STANDARD machines: same name and input while
 * RUNNING -> the same executionArn and startDate; otherwise ExecutionAlreadyExists), DescribeExecution,
 * GetExecutionHistory, ListExecutions, StopExecution, RedriveExecution (a FAILED / TIMED_OUT / ABORTED STANDARD
 * execution runs again through the engine with redriveCount + 1), DescribeStateMachineForExecution, TagResource,
 * UntagResource, ListTagsForResource (state machines), ListMapRuns and DescribeMapRun (the map runs of an execution's
 * Distributed Map states, as the engine reports them through `onMapRun`: status, settings, item and child execution
 * counts; a map run still RUNNING when its execution ends becomes ABORTED; an unknown map run ARN answers
 * ResourceNotFound). Every call is authorized through the kernel with `states:<Op>` on the state machine ARN (machine
 * operations, StartExecution, ListExecutions), the execution ARN (DescribeExecution, GetExecutionHistory,
 * StopExecution, RedriveExecution, DescribeStateMachineForExecution, ListMapRuns) or the map run ARN
 * (`arn:aws:states:<region>:<account>:mapRun:<machine>/<label>:<id>`, DescribeMapRun); ListStateMachines on `*`.
 * The child executions of a map run are not kept: ListExecutions by mapRunArn answers a ValidationException.
 *
 * Deliveries (core/targets.ts): an EventBridge rule or Scheduler schedule targeting a state machine starts an execution
 * with the delivery's input, as a session of the delivery's role assumed by the delivering service principal: the
 * role must trust `via` and allow states:StartExecution on the machine.
 *
 * EXPRESS machines run their executions (ARN `...:express:<machine>:<name>:<id>`), but as on AWS their executions are
 * not served by DescribeExecution, GetExecutionHistory, ListExecutions, StopExecution or RedriveExecution
 * (StateMachineTypeNotSupported); they are not persisted.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { AwsError } from '../../core/errors';
import { jsonOperationHandler, targetOperation } from '../../core/protocol';
import type { Kernel } from '../../core/kernel';
import { faultError } from '../../core/realism';
import type { DeliveryResult, TargetDelivery } from '../../core/targets';
import type { Principal, SandboxRequest, SandboxResponse, SandboxService, ServiceName } from '../../core/types';
import { Input, parseJsonBody, type JsonObject } from '../secretsmanager/input';
import type { ExecutionEngine, ExecutionHistoryEvent, ExecutionOutcome, ExecutionStart, MapRunCounts, MapRunUpdate, StateMachineRecord } from './engine';
import {
  accessDenied,
  checkDefinition,
  checkExecutionInput,
  checkName,
  CONTENT_TYPE,
  decodeToken,
  DEFAULT_PAGE,
  encodeToken,
  EXECUTION_STATUSES,
  executionAlreadyExists,
  executionArnOf,
  executionDoesNotExist,
  expressExecutionArnOf,
  isObject,
  isRoleArn,
  mapRunArnOf,
  mapRunDoesNotExist,
  MAX_TAGS,
  parseExecutionArn,
  parseMapRunArn,
  parseStateMachineArn,
  renderEvent,
  seconds,
  stateMachineArnOf,
  stateMachineDeleting,
  stateMachineDoesNotExist,
  TARGET_PREFIX,
  TERMINAL_EVENT_TYPES,
  typeNotSupported,
  type ExecutionStatus,
} from './model';

export type { ExecutionEngine, ExecutionHistoryEvent, ExecutionOutcome, ExecutionStart, ExecutionCallbacks, MapRunCounts, MapRunUpdate, StateMachineRecord } from './engine';

/** The cause of the FAILED execution StartExecution records when no engine is set. */
export const NO_ENGINE_CAUSE = 'the sandbox runs no app: start it with npm run sandbox (without --no-app)';
/** The cause of the executions a restart found RUNNING (restored ABORTED). */
export const RESTARTED_CAUSE = 'the sandbox restarted while the execution was running; its run is lost (redrive it to run it again)';
const STATES_PRINCIPAL = 'states.amazonaws.com';
const TRUST_DENIED = 'Neither the global service principal states.amazonaws.com, nor the regional one is authorized to assume the provided role.';
const REDRIVE_WINDOW_MS = 14 * 24 * 3600_000;
/** Finished EXPRESS executions kept (in memory only) for waitFor. */
const EXPRESS_KEPT = 200;

interface Tag {
  key: string;
  value: string;
}

interface Machine extends StateMachineRecord {
  status: 'ACTIVE' | 'DELETING';
  tags: Tag[];
  loggingConfiguration: Record<string, unknown>;
  tracingConfiguration?: Record<string, unknown>;
  updateDate?: number;
  revisionId?: string;
}

/** What DescribeStateMachineForExecution shows: the machine as the execution started it. */
interface MachineAtStart extends StateMachineRecord {
  updateDate: number;
  loggingConfiguration: Record<string, unknown>;
  tracingConfiguration?: Record<string, unknown>;
  revisionId?: string;
}

interface Execution {
  seq: number;
  arn: string;
  stateMachineArn: string;
  accountId: string;
  region: string;
  name: string;
  express: boolean;
  input: string;
  traceHeader?: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  redriveCount: number;
  redriveDate?: number;
  lastRedriveToken?: string;
  machine: MachineAtStart;
  events: ExecutionHistoryEvent[];
  /** Its map runs (Distributed Map states) as the engine reported them, in start order. */
  mapRuns?: MapRun[];
}

/** A map run of an execution (ListMapRuns, DescribeMapRun). */
interface MapRun {
  arn: string;
  /** 1, 2, ... within the execution (paging). */
  seq: number;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  startDate: number;
  stopDate?: number;
  maxConcurrency: number;
  toleratedFailurePercentage: number;
  toleratedFailureCount: number;
  itemCounts: MapRunCounts;
  executionCounts: MapRunCounts;
}

interface Run {
  controller: AbortController;
  /** Engine event ids -> service event ids. */
  ids: Map<number, number>;
  /** The id of the run's ExecutionStarted / ExecutionRedriven event. */
  startEventId: number;
  /** Map run ARNs as the engine reported them -> the service's. */
  mapRunArns: Map<string, string>;
}

/** An execution as tests and the app loader see it in-process (DescribeExecution's content, dates in epoch ms). */
export interface ExecutionView {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  startDate: number;
  stopDate?: number;
  redriveCount: number;
}

/** A state machine put in-process (the app loader), as CreateStateMachine would make it; replaces an existing one. */
export interface PutStateMachineInput {
  name: string;
  definition: string;
  roleArn: string;
  type?: 'STANDARD' | 'EXPRESS';
  /** Default: the management account. */
  accountId?: string;
  /** Default: the sandbox's region. */
  region?: string;
  tags?: Record<string, string>;
}

interface StatesSnapshot {
  version: 1;
  seq: number;
  machines: Machine[];
  executions: Execution[];
}

interface Ctx {
  principal: Principal;
  region: string;
  now: number;
  raw: JsonObject;
}

type Handler = (ctx: Ctx, input: Input) => Promise<JsonObject>;

const TAG_RULES = { key: { required: true, min: 1, max: 128 }, value: { max: 256 } } as const;

function readTags(input: Input, member: string): Tag[] | undefined {
  return input.structList(member, {}, (el) => ({ key: el.string('key', TAG_RULES.key) ?? '', value: el.string('value', TAG_RULES.value) ?? '' }));
}

function resourceTagContext(tags: readonly Tag[]): Record<string, string> {
  return Object.fromEntries(tags.map((t) => [`aws:ResourceTag/${t.key}`, t.value]));
}

function requestTagContext(tags: readonly Tag[]): Record<string, string | string[]> {
  if (tags.length === 0) return {};
  return { 'aws:TagKeys': tags.map((t) => t.key), ...Object.fromEntries(tags.map((t) => [`aws:RequestTag/${t.key}`, t.value])) };
}

function objectMember(raw: JsonObject, member: string): Record<string, unknown> | undefined {
  const v = raw[member];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new AwsError('SerializationException', `Member ${member} must be a structure`, 400);
  return v;
}

const DEFAULT_LOGGING = { level: 'OFF', includeExecutionData: false };
const page = (maxResults: number | undefined): number => (maxResults === undefined || maxResults === 0 ? DEFAULT_PAGE : maxResults);

export class StepFunctionsService implements SandboxService {
  readonly name = 'states' as const;
  readonly protocol = 'json-1.0' as const;
  private engine: ExecutionEngine | undefined;
  private readonly machines = new Map<string, Machine>();
  private readonly executions = new Map<string, Execution>();
  private readonly runs = new Map<string, Run>();
  /** Engine runs not settled yet (idle()). */
  private readonly pending = new Set<Promise<void>>();
  private readonly waiters = new Map<string, Array<() => void>>();
  private readonly finishedExpress: string[] = [];
  private seq = 0;
  private closed = false;
  private readonly operations: Record<string, Handler> = {
    CreateStateMachine: (c, i) => this.createStateMachine(c, i),
    UpdateStateMachine: (c, i) => this.updateStateMachine(c, i),
    DeleteStateMachine: (c, i) => this.deleteStateMachine(c, i),
    DescribeStateMachine: (c, i) => this.describeStateMachine(c, i),
    ListStateMachines: (c, i) => this.listStateMachines(c, i),
    StartExecution: (c, i) => this.startExecutionOp(c, i),
    DescribeExecution: (c, i) => this.describeExecution(c, i),
    GetExecutionHistory: (c, i) => this.getExecutionHistory(c, i),
    ListExecutions: (c, i) => this.listExecutions(c, i),
    StopExecution: (c, i) => this.stopExecution(c, i),
    RedriveExecution: (c, i) => this.redriveExecution(c, i),
    DescribeStateMachineForExecution: (c, i) => this.describeStateMachineForExecution(c, i),
    TagResource: (c, i) => this.tagResource(c, i),
    UntagResource: (c, i) => this.untagResource(c, i),
    ListTagsForResource: (c, i) => this.listTagsForResource(c, i),
    ListMapRuns: (c, i) => this.listMapRuns(c, i),
    DescribeMapRun: (c, i) => this.describeMapRun(c, i),
  };

  constructor(readonly kernel: Kernel) {
    kernel.targets.register('states', { deliver: (d) => this.deliver(d) });
  }

  // ---------------------------------------------------------------- in-process API

  /** Sets (or, with undefined, removes) what runs executions. Running executions keep the engine they started with. */
  setEngine(engine: ExecutionEngine | undefined): void {
    this.engine = engine;
  }

  /** Creates or replaces a state machine without the API (no authorization, no trust check): the app loader's way. */
  putStateMachine(p: PutStateMachineInput): StateMachineRecord {
    checkName(p.name);
    checkDefinition(p.definition);
    if (!isRoleArn(p.roleArn)) throw new AwsError('InvalidArn', `Invalid Arn: '${p.roleArn}'`, 400);
    const accountId = p.accountId ?? this.kernel.accounts.managementAccountId;
    const region = p.region ?? this.kernel.region;
    const arn = stateMachineArnOf(region, accountId, p.name);
    const now = this.kernel.now();
    const existing = this.machines.get(arn);
    const tags = Object.entries(p.tags ?? {}).map(([key, value]) => ({ key, value }));
    const machine: Machine = existing
      ? { ...existing, definition: p.definition, roleArn: p.roleArn, type: p.type ?? existing.type, status: 'ACTIVE', updateDate: now, revisionId: randomUUID(), tags: p.tags ? tags : existing.tags }
      : { arn, name: p.name, accountId, region, definition: p.definition, roleArn: p.roleArn, type: p.type ?? 'STANDARD', creationDate: now, status: 'ACTIVE', tags, loggingConfiguration: { ...DEFAULT_LOGGING } };
    this.machines.set(arn, machine);
    return this.record(machine);
  }

  /** Removes a state machine and its executions at once (running ones are stopped first). */
  removeStateMachine(arn: string): boolean {
    const m = this.machines.get(arn);
    if (!m) return false;
    for (const e of this.executionsOf(arn)) if (e.status === 'RUNNING') this.abort(e, this.kernel.now(), undefined, undefined);
    this.purge(m);
    return true;
  }

  stateMachine(arn: string): StateMachineRecord | undefined {
    const m = this.machines.get(arn);
    return m ? this.record(m) : undefined;
  }

  execution(executionArn: string): ExecutionView | undefined {
    const e = this.executions.get(executionArn);
    return e ? this.view(e) : undefined;
  }

  /** The execution's history as GetExecutionHistory serves it (ids filled in, timestamps in epoch ms). */
  history(executionArn: string): ExecutionHistoryEvent[] {
    return (this.executions.get(executionArn)?.events ?? []).map((e) => ({ ...e }));
  }

  /** Resolves with the execution once it is no longer RUNNING (as DescribeExecution would show it). */
  waitFor(executionArn: string, timeoutMs = 10_000): Promise<ExecutionView> {
    const e = this.executions.get(executionArn);
    if (!e) return Promise.reject(new Error(`no execution ${executionArn} in the sandbox`));
    if (e.status !== 'RUNNING') return Promise.resolve(this.view(e));
    return new Promise<ExecutionView>((resolve, reject) => {
      const timer = setTimeout(() => {
        const list = this.waiters.get(executionArn) ?? [];
        this.waiters.set(executionArn, list.filter((w) => w !== done));
        reject(new Error(`execution ${executionArn} still RUNNING after ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(this.view(e));
      };
      this.waiters.set(executionArn, [...(this.waiters.get(executionArn) ?? []), done]);
    });
  }

  /** Resolves when no engine run is in flight (including runs stopped by StopExecution that have not returned yet). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  // ---------------------------------------------------------------- SandboxService

  operationName(req: SandboxRequest): string {
    return targetOperation(req.headers, TARGET_PREFIX);
  }

  async handle(req: SandboxRequest): Promise<SandboxResponse> {
    const op = this.operationName(req);
    const handler = jsonOperationHandler(this.operations, op, req.method);
    const raw = parseJsonBody(req.body);
    const out = await handler({ principal: req.principal, region: req.region, now: this.kernel.now(), raw }, new Input(raw));
    return { status: 200, headers: { 'content-type': CONTENT_TYPE }, body: JSON.stringify(out) };
  }

  snapshot(): StatesSnapshot {
    return {
      version: 1,
      seq: this.seq,
      machines: [...this.machines.values()].map((m) => structuredClone(m)),
      executions: [...this.executions.values()].filter((e) => !e.express).map((e) => structuredClone(e)),
    };
  }

  restore(data: unknown): void {
    for (const run of this.runs.values()) run.controller.abort();
    this.runs.clear();
    this.machines.clear();
    this.executions.clear();
    if (!isObject(data) || data.version !== 1) return;
    const s = data as unknown as StatesSnapshot;
    this.seq = s.seq;
    for (const m of s.machines) this.machines.set(m.arn, m);
    const now = this.kernel.now();
    for (const e of s.executions) {
      this.executions.set(e.arn, e);
      this.seq = Math.max(this.seq, e.seq);
      if (e.status === 'RUNNING') this.abort(e, now, 'Sandbox.Restarted', RESTARTED_CAUSE);
    }
    for (const m of [...this.machines.values()]) if (m.status === 'DELETING') this.purgeIfIdle(m);
  }

  inventory(accountId: string): Record<string, string[]> {
    const stateMachines = [...this.machines.values()].filter((m) => m.accountId === accountId).map((m) => `${m.region}/${m.name}`).sort();
    const executions = [...this.executions.values()]
      .filter((e) => e.accountId === accountId && (!e.express || e.status === 'RUNNING'))
      .map((e) => `${e.region}/${e.machine.name}/${e.name}`)
      .sort();
    return { stateMachines, executions };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const run of this.runs.values()) run.controller.abort();
  }

  // ---------------------------------------------------------------- helpers

  private record(m: Machine): StateMachineRecord {
    return { arn: m.arn, name: m.name, accountId: m.accountId, region: m.region, definition: m.definition, roleArn: m.roleArn, type: m.type, creationDate: m.creationDate };
  }

  private view(e: Execution): ExecutionView {
    return {
      executionArn: e.arn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      input: e.input,
      ...(e.output !== undefined ? { output: e.output } : {}),
      ...(e.error !== undefined ? { error: e.error } : {}),
      ...(e.cause !== undefined ? { cause: e.cause } : {}),
      startDate: e.startDate,
      ...(e.stopDate !== undefined ? { stopDate: e.stopDate } : {}),
      redriveCount: e.redriveCount,
    };
  }

  private executionsOf(machineArn: string): Execution[] {
    return [...this.executions.values()].filter((e) => e.stateMachineArn === machineArn);
  }

  private async authorize(ctx: Ctx, action: string, resource: string, resourceAccount: string, context?: Record<string, string | string[]>): Promise<void> {
    const iam = `states:${action}`;
    const decision = await this.kernel.authorize({ principal: ctx.principal, action: iam, resource, resourceAccount, ...(context ? { context } : {}) });
    if (!decision.allowed) throw accessDenied(ctx.principal, iam, resource, decision);
  }

  /** The machine an ARN names in the caller's region (undefined when there is none). */
  private machineAt(ctx: Ctx, arn: string): Machine | undefined {
    const parsed = parseStateMachineArn(arn);
    return parsed.region === ctx.region ? this.machines.get(arn) : undefined;
  }

  /** Parses, authorizes and finds an execution (STANDARD only). */
  private async locateExecution(ctx: Ctx, action: string, arn: string): Promise<Execution> {
    const parsed = parseExecutionArn(arn);
    await this.authorize(ctx, action, arn, parsed.accountId);
    if (parsed.express) throw typeNotSupported();
    const e = parsed.region === ctx.region ? this.executions.get(arn) : undefined;
    if (!e) throw executionDoesNotExist(arn);
    return e;
  }

  /** The role's trust policy allows states.amazonaws.com (checked as AWS does when a machine gets a role). */
  private async rolePassable(ctx: Ctx, roleArn: string, machineArn: string, accountId: string): Promise<void> {
    if (!isRoleArn(roleArn)) throw new AwsError('InvalidArn', `Invalid Arn: 'Invalid ARN prefix: ${roleArn}'`, 400);
    const roleAccount = roleArn.split(':')[4] ?? '';
    const pass = await this.kernel.authorize({
      principal: ctx.principal,
      action: 'iam:PassRole',
      resource: roleArn,
      resourceAccount: roleAccount,
      context: { 'iam:PassedToService': STATES_PRINCIPAL, 'iam:AssociatedResourceArn': machineArn },
    });
    if (!pass.allowed) throw accessDenied(ctx.principal, 'iam:PassRole', roleArn, pass);
    try {
      const session = await this.kernel.serviceSession({ roleArn, service: STATES_PRINCIPAL, sessionName: `sandbox-trust-${randomBytes(6).toString('hex')}`, sourceArn: machineArn, sourceAccount: accountId });
      this.kernel.credentials.remove(session.accessKeyId);
    } catch (e) {
      if (e instanceof AwsError) throw new AwsError('AccessDeniedException', TRUST_DENIED, 400);
      throw e;
    }
  }

  private describeMachineJson(m: Machine | MachineAtStart): JsonObject {
    return {
      stateMachineArn: m.arn,
      name: m.name,
      definition: m.definition,
      roleArn: m.roleArn,
      loggingConfiguration: m.loggingConfiguration,
      ...(m.tracingConfiguration ? { tracingConfiguration: m.tracingConfiguration } : {}),
      ...(m.revisionId !== undefined ? { revisionId: m.revisionId } : {}),
    };
  }

  // ---------------------------------------------------------------- state machines

  private async createStateMachine(ctx: Ctx, input: Input): Promise<JsonObject> {
    const name = input.string('name', { required: true, min: 1, max: 80 }) ?? '';
    const definition = input.string('definition', { required: true, min: 1, max: 1_048_576 }) ?? '';
    const roleArn = input.string('roleArn', { required: true, min: 1, max: 256 }) ?? '';
    const type = (input.string('type', { enumValues: ['STANDARD', 'EXPRESS'] }) ?? 'STANDARD') as Machine['type'];
    const tags = readTags(input, 'tags') ?? [];
    input.boolean('publish');
    input.string('versionDescription', { max: 256 });
    const logging = objectMember(ctx.raw, 'loggingConfiguration');
    const tracing = objectMember(ctx.raw, 'tracingConfiguration');
    input.done();
    checkName(name);
    const accountId = ctx.principal.accountId;
    const arn = stateMachineArnOf(ctx.region, accountId, name);
    await this.authorize(ctx, 'CreateStateMachine', arn, accountId, requestTagContext(tags));
    checkDefinition(definition);
    if (tags.length > MAX_TAGS) throw new AwsError('TooManyTags', `Too many tags: at most ${MAX_TAGS}`, 400, 'Sender', { resourceName: arn });
    const existing = this.machines.get(arn);
    if (existing) {
      if (existing.status === 'DELETING') throw stateMachineDeleting(arn);
      // AWS: idempotent on name, definition, type and configurations; a different roleArn or tags are ignored.
      if (existing.definition === definition && existing.type === type) return { stateMachineArn: arn, creationDate: seconds(existing.creationDate) };
      throw new AwsError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`, 400);
    }
    await this.rolePassable(ctx, roleArn, arn, accountId);
    this.machines.set(arn, {
      arn,
      name,
      accountId,
      region: ctx.region,
      definition,
      roleArn,
      type,
      creationDate: ctx.now,
      status: 'ACTIVE',
      tags,
      loggingConfiguration: logging ?? { ...DEFAULT_LOGGING },
      ...(tracing ? { tracingConfiguration: tracing } : {}),
    });
    return { stateMachineArn: arn, creationDate: seconds(ctx.now) };
  }

  private async updateStateMachine(ctx: Ctx, input: Input): Promise<JsonObject> {
    const arn = input.string('stateMachineArn', { required: true, min: 1, max: 256 }) ?? '';
    const definition = input.string('definition', { min: 1, max: 1_048_576 });
    const roleArn = input.string('roleArn', { min: 1, max: 256 });
    input.boolean('publish');
    input.string('versionDescription', { max: 256 });
    const logging = objectMember(ctx.raw, 'loggingConfiguration');
    const tracing = objectMember(ctx.raw, 'tracingConfiguration');
    input.done();
    const m = await this.authorizedMachine(ctx, 'UpdateStateMachine', arn);
    if (definition === undefined && roleArn === undefined && logging === undefined && tracing === undefined) {
      throw new AwsError('MissingRequiredParameter', 'Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified', 400);
    }
    if (!m) throw stateMachineDoesNotExist(arn);
    if (m.status === 'DELETING') throw stateMachineDeleting(arn);
    if (definition !== undefined) checkDefinition(definition);
    if (roleArn !== undefined) await this.rolePassable(ctx, roleArn, arn, m.accountId);
    if (definition !== undefined) m.definition = definition;
    if (roleArn !== undefined) m.roleArn = roleArn;
    if (logging !== undefined) m.loggingConfiguration = logging;
    if (tracing !== undefined) m.tracingConfiguration = tracing;
    m.updateDate = ctx.now;
    m.revisionId = randomUUID();
    return { updateDate: seconds(ctx.now), revisionId: m.revisionId };
  }

  private async deleteStateMachine(ctx: Ctx, input: Input): Promise<JsonObject> {
    const arn = input.string('stateMachineArn', { required: true, min: 1, max: 256 }) ?? '';
    input.done();
    const m = await this.authorizedMachine(ctx, 'DeleteStateMachine', arn);
    // Idempotent, as on AWS: deleting a machine that is not there succeeds.
    if (m) {
      m.status = 'DELETING';
      this.purgeIfIdle(m);
    }
    return {};
  }

  /** A DELETING machine goes away (with its executions) once none of them runs. */
  private purgeIfIdle(m: Machine): void {
    if (m.status !== 'DELETING' || this.machines.get(m.arn) !== m) return;
    if (this.executionsOf(m.arn).some((e) => e.status === 'RUNNING')) return;
    this.purge(m);
  }

  private purge(m: Machine): void {
    this.machines.delete(m.arn);
    for (const e of this.executionsOf(m.arn)) this.executions.delete(e.arn);
  }

  private async describeStateMachine(ctx: Ctx, input: Input): Promise<JsonObject> {
    const arn = input.string('stateMachineArn', { required: true, min: 1, max: 256 }) ?? '';
    input.done();
    const m = await this.authorizedMachine(ctx, 'DescribeStateMachine', arn);
    if (!m) throw stateMachineDoesNotExist(arn);
    return { ...this.describeMachineJson(m), type: m.type, status: m.status, creationDate: seconds(m.creationDate) };
  }

  private async listStateMachines(ctx: Ctx, input: Input): Promise<JsonObject> {
    const maxResults = input.integer('maxResults', { min: 0, max: 1000 });
    const nextToken = input.string('nextToken', { min: 1, max: 1024 });
    input.done();
    const accountId = ctx.principal.accountId;
    await this.authorize(ctx, 'ListStateMachines', '*', accountId);
    const scope = `machines|${accountId}|${ctx.region}`;
    const after = nextToken === undefined ? undefined : String(decodeToken(nextToken, scope));
    const all = [...this.machines.values()]
      .filter((m) => m.accountId === accountId && m.region === ctx.region && (after === undefined || m.name > after))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const items = all.slice(0, page(maxResults));
    const last = items[items.length - 1];
    return {
      stateMachines: items.map((m) => ({ stateMachineArn: m.arn, name: m.name, type: m.type, creationDate: seconds(m.creationDate) })),
      ...(all.length > items.length && last ? { nextToken: encodeToken(scope, last.name) } : {}),
    };
  }

  // ---------------------------------------------------------------- executions

  private async startExecutionOp(ctx: Ctx, input: Input): Promise<JsonObject> {
    const arn = input.string('stateMachineArn', { required: true, min: 1, max: 256 }) ?? '';
    const name = input.string('name', { min: 1, max: 80 });
    const executionInput = input.string('input', { max: 262_144, sensitive: true });
    const traceHeader = input.string('traceHeader', { max: 256 });
    input.done();
    const m = await this.authorizedMachine(ctx, 'StartExecution', arn);
    if (name !== undefined) checkName(name);
    if (!m) throw stateMachineDoesNotExist(arn);
    const e = this.start(m, name, executionInput ?? '{}', traceHeader);
    return { executionArn: e.arn, startDate: seconds(e.startDate) };
  }

  /** Starts (or, for the same name and input while RUNNING, finds) an execution of `m`. */
  private start(m: Machine, name: string | undefined, input: string, traceHeader?: string): Execution {
    if (m.status === 'DELETING') throw stateMachineDeleting(m.arn);
    checkExecutionInput(input);
    const now = this.kernel.now();
    const executionName = name ?? randomUUID();
    const express = m.type === 'EXPRESS';
    const arn = express
      ? expressExecutionArnOf(m.region, m.accountId, m.name, executionName, randomUUID())
      : executionArnOf(m.region, m.accountId, m.name, executionName);
    const existing = express ? undefined : this.executions.get(arn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input) return existing;
      throw executionAlreadyExists(arn);
    }
    const e: Execution = {
      seq: ++this.seq,
      arn,
      stateMachineArn: m.arn,
      accountId: m.accountId,
      region: m.region,
      name: executionName,
      express,
      input,
      ...(traceHeader !== undefined ? { traceHeader } : {}),
      status: 'RUNNING',
      startDate: now,
      redriveCount: 0,
      machine: {
        ...this.record(m),
        updateDate: m.updateDate ?? m.creationDate,
        loggingConfiguration: m.loggingConfiguration,
        ...(m.tracingConfiguration ? { tracingConfiguration: m.tracingConfiguration } : {}),
        ...(m.revisionId !== undefined ? { revisionId: m.revisionId } : {}),
      },
      events: [
        {
          type: 'ExecutionStarted',
          id: 1,
          previousEventId: 0,
          timestamp: now,
          executionStartedEventDetails: { input, inputDetails: { truncated: false }, roleArn: m.roleArn },
        },
      ],
    };
    this.executions.set(arn, e);
    this.launch(e);
    return e;
  }

  private launch(e: Execution): void {
    const engine = this.engine;
    if (!engine) {
      this.finish(e, { status: 'FAILED', error: 'Sandbox.NoEngine', cause: NO_ENGINE_CAUSE });
      return;
    }
    const run: Run = { controller: new AbortController(), ids: new Map(), startEventId: e.events.length, mapRunArns: new Map() };
    this.runs.set(e.arn, run);
    const start: ExecutionStart = {
      stateMachine: { arn: e.machine.arn, name: e.machine.name, accountId: e.machine.accountId, region: e.machine.region, definition: e.machine.definition, roleArn: e.machine.roleArn, type: e.machine.type, creationDate: e.machine.creationDate },
      executionArn: e.arn,
      name: e.name,
      input: e.input,
      startDate: e.startDate,
      ...(e.redriveCount > 0 ? { redriveCount: e.redriveCount } : {}),
    };
    const settled = (async () => {
      let outcome: ExecutionOutcome;
      try {
        outcome = await engine.run(start, {
          onEvent: (ev) => this.onEngineEvent(e, run, ev),
          signal: run.controller.signal,
          onMapRun: (u) => this.onEngineMapRun(e, run, u),
        });
      } catch (err) {
        outcome = { status: 'FAILED', error: 'States.Runtime', cause: err instanceof Error ? err.message : String(err) };
      }
      if (this.runs.get(e.arn) !== run) return;
      this.runs.delete(e.arn);
      this.finish(e, outcome);
    })();
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
  }

  private append(e: Execution, ev: ExecutionHistoryEvent, previousEventId?: number): number {
    const id = e.events.length + 1;
    e.events.push({ ...ev, id, previousEventId: previousEventId ?? id - 1 });
    return id;
  }

  /**
   * A map run the engine reported: recorded (or updated) while the run is the execution's current one. Its ARN is the
   * engine's when it names this execution's machine, region and account; otherwise one of that shape with its label
   * and id.
   */
  private onEngineMapRun(e: Execution, run: Run, u: MapRunUpdate): void {
    if (this.runs.get(e.arn) !== run || e.status !== 'RUNNING') return;
    let arn = run.mapRunArns.get(u.mapRunArn);
    if (arn === undefined) {
      let label = 'Map';
      let id: string = randomUUID();
      try {
        const parsed = parseMapRunArn(u.mapRunArn);
        if (parsed.region === e.region && parsed.accountId === e.accountId && parsed.machine === e.machine.name) arn = parsed.arn;
        label = parsed.label;
        id = parsed.id;
      } catch {
        // not a map run ARN: a new one of the right shape
      }
      arn ??= mapRunArnOf(e.region, e.accountId, e.machine.name, label, id);
      run.mapRunArns.set(u.mapRunArn, arn);
    }
    const now = this.kernel.now();
    const runs = (e.mapRuns ??= []);
    const counts = (c: MapRunCounts): MapRunCounts => ({
      pending: c.pending,
      running: c.running,
      succeeded: c.succeeded,
      failed: c.failed,
      timedOut: c.timedOut,
      aborted: c.aborted,
      total: c.total,
      resultsWritten: c.resultsWritten,
    });
    let m = runs.find((r) => r.arn === arn);
    if (!m) {
      m = {
        arn,
        seq: runs.length + 1,
        status: 'RUNNING',
        startDate: u.startDate ?? now,
        maxConcurrency: 0,
        toleratedFailurePercentage: 0,
        toleratedFailureCount: 0,
        itemCounts: counts(u.itemCounts),
        executionCounts: counts(u.executionCounts ?? u.itemCounts),
      };
      runs.push(m);
    }
    m.status = u.status;
    m.itemCounts = counts(u.itemCounts);
    m.executionCounts = counts(u.executionCounts ?? u.itemCounts);
    if (u.maxConcurrency !== undefined) m.maxConcurrency = u.maxConcurrency;
    if (u.toleratedFailurePercentage !== undefined) m.toleratedFailurePercentage = u.toleratedFailurePercentage;
    if (u.toleratedFailureCount !== undefined) m.toleratedFailureCount = u.toleratedFailureCount;
    if (u.status === 'RUNNING') delete m.stopDate;
    else m.stopDate = u.stopDate ?? m.stopDate ?? now;
  }

  private onEngineEvent(e: Execution, run: Run, ev: ExecutionHistoryEvent): void {
    if (this.closed || this.runs.get(e.arn) !== run || e.status !== 'RUNNING') return;
    if (typeof ev.type !== 'string' || TERMINAL_EVENT_TYPES.has(ev.type)) return;
    const { id: engineId, previousEventId: enginePrevious, ...rest } = ev;
    let previous: number | undefined;
    if (enginePrevious === 0) previous = run.startEventId;
    else if (enginePrevious !== undefined) previous = run.ids.get(enginePrevious);
    const timestamp = typeof ev.timestamp === 'number' && Number.isFinite(ev.timestamp) ? ev.timestamp : this.kernel.now();
    const id = this.append(e, { ...rest, timestamp }, previous);
    if (engineId !== undefined) run.ids.set(engineId, id);
  }

  /** Records the outcome of a RUNNING execution with its closing event. */
  private finish(e: Execution, outcome: ExecutionOutcome): void {
    if (this.closed || e.status !== 'RUNNING') return;
    const now = this.kernel.now();
    const details = (error?: string, cause?: string) => ({ ...(error !== undefined ? { error } : {}), ...(cause !== undefined ? { cause } : {}) });
    delete e.output;
    delete e.error;
    delete e.cause;
    switch (outcome.status) {
      case 'SUCCEEDED': {
        const output = outcome.output ?? 'null';
        e.output = output;
        this.append(e, { type: 'ExecutionSucceeded', timestamp: now, executionSucceededEventDetails: { output, outputDetails: { truncated: false } } });
        break;
      }
      case 'TIMED_OUT':
        // AWS shows the timeout's error only in the history event, not in DescribeExecution.
        this.append(e, { type: 'ExecutionTimedOut', timestamp: now, executionTimedOutEventDetails: details(outcome.error ?? 'States.Timeout', outcome.cause) });
        break;
      case 'ABORTED':
        this.abort(e, now, outcome.error, outcome.cause);
        return;
      case 'FAILED':
        Object.assign(e, details(outcome.error, outcome.cause));
        this.append(e, { type: 'ExecutionFailed', timestamp: now, executionFailedEventDetails: details(outcome.error, outcome.cause) });
        break;
      default:
        Object.assign(e, { error: 'States.Runtime', cause: `the engine answered an unknown status: ${String(outcome.status)}` });
        this.append(e, { type: 'ExecutionFailed', timestamp: now, executionFailedEventDetails: { error: e.error, cause: e.cause } });
        e.status = 'FAILED';
        e.stopDate = now;
        this.settle(e);
        return;
    }
    e.status = outcome.status;
    e.stopDate = now;
    this.settle(e);
  }

  /** ABORTED (StopExecution, an engine's ABORTED outcome, a restart): status, closing event, the engine signalled. */
  private abort(e: Execution, now: number, error: string | undefined, cause: string | undefined): void {
    e.status = 'ABORTED';
    e.stopDate = now;
    delete e.output;
    delete e.error;
    delete e.cause;
    if (error !== undefined) e.error = error;
    if (cause !== undefined) e.cause = cause;
    this.append(e, { type: 'ExecutionAborted', timestamp: now, executionAbortedEventDetails: { ...(error !== undefined ? { error } : {}), ...(cause !== undefined ? { cause } : {}) } });
    const run = this.runs.get(e.arn);
    if (run) {
      this.runs.delete(e.arn);
      run.controller.abort();
    }
    this.settle(e);
  }

  /** After an execution left RUNNING: its running map runs ABORTED, waiters, a DELETING machine, finished EXPRESS executions. */
  private settle(e: Execution): void {
    for (const m of e.mapRuns ?? []) {
      if (m.status !== 'RUNNING') continue;
      m.status = 'ABORTED';
      m.stopDate = e.stopDate ?? this.kernel.now();
    }
    const waiters = this.waiters.get(e.arn) ?? [];
    this.waiters.delete(e.arn);
    for (const w of waiters) w();
    const m = this.machines.get(e.stateMachineArn);
    if (m) this.purgeIfIdle(m);
    if (e.express) {
      this.finishedExpress.push(e.arn);
      while (this.finishedExpress.length > EXPRESS_KEPT) {
        const old = this.finishedExpress.shift();
        if (old !== undefined) this.executions.delete(old);
      }
    }
  }

  private redriveStatus(e: Execution): JsonObject {
    if (e.status === 'RUNNING' || e.status === 'SUCCEEDED') {
      return { redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: `Execution is ${e.status} and cannot be redriven` };
    }
    if (e.stopDate !== undefined && this.kernel.now() - e.stopDate > REDRIVE_WINDOW_MS) {
      return { redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: 'Execution can no longer be redriven: it ended more than 14 days ago' };
    }
    return { redriveStatus: 'REDRIVABLE' };
  }

  private async describeExecution(ctx: Ctx, input: Input): Promise<JsonObject> {
    const arn = input.string('executionArn', { required: true, min: 1, max: 256 }) ?? '';
    input.string('includedData', { enumValues: ['ALL_DATA', 'METADATA_ONLY'] });
    input.done();
    const e = await this.locateExecution(ctx, 'DescribeExecution', arn);
    return {
      executionArn: e.arn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: seconds(e.startDate),
      ...(e.stopDate !== undefined ? { stopDate: seconds(e.stopDate) } : {}),
      input: e.input,
      inputDetails: { included: true },
      ...(e.output !== undefined ? { output: e.output, outputDetails: { included: true } } : {}),
      ...(e.error !== undefined ? { error: e.error } : {}),
      ...(e.cause !== undefined ? { cause: e.cause } : {}),
      ...(e.traceHeader !== undefined ? { traceHeader: e.traceHeader } : {}),
      redriveCount: e.redriveCount,
      ...(e.redriveDate !== undefined ? { redriveDate: seconds(e.redriveDate) } : {}),
      ...this.redriveStatus(e),
    };
  }

  private async getExecutionHistory(ctx: Ctx, input: Input): Promise<JsonObject> {
    const arn = input.string('executionArn', { required: true, min: 1, max: 256 }) ?? '';
    const maxResults = input.integer('maxResults', { min: 0, max: 1000 });
    const reverse = input.boolean('reverseOrder') ?? false;
    const nextToken = input.string('nextToken', { min: 1, max: 3096 });
    const includeData = input.boolean('includeExecutionData') ?? true;
    input.done();
    const e = await this.locateExecution(ctx, 'GetExecutionHistory', arn);
    const scope = `history|${arn}|${reverse ? 'r' : 'f'}`;
    const cursor = nextToken === undefined ? undefined : Number(decodeToken(nextToken, scope));
    const ordered = reverse ? [...e.events].reverse() : e.events;
    const rest = cursor === undefined ? ordered : ordered.filter((ev) => (reverse ? (ev.id ?? 0) < cursor : (ev.id ?? 0) > cursor));
    const items = rest.slice(0, page(maxResults));
    const last = items[items.length - 1];
    return {
      events: items.map((ev) => renderEvent(ev, includeData)),
      ...(rest.length > items.length && last ? { nextToken: encodeToken(scope, last.id ?? 0) } : {}),
    };
  }

  private async listExecutions(ctx: Ctx, input: Input): Promise<JsonObject> {
    const arn = input.string('stateMachineArn', { min: 1, max: 256 });
    const statusFilter = input.string('statusFilter', { enumValues: EXECUTION_STATUSES });
    const maxResults = input.integer('maxResults', { min: 0, max: 1000 });
    const nextToken = input.string('nextToken', { min: 1, max: 3096 });
    const mapRunArn = input.string('mapRunArn', { min: 1, max: 2000 });
    const redriveFilter = input.string('redriveFilter', { enumValues: ['REDRIVEN', 'NOT_REDRIVEN'] });
    input.done();
    if (mapRunArn !== undefined) throw new AwsError('ValidationException', 'The sandbox keeps no child executions of Map Runs: list the executions of a state machine', 400);
    if (arn === undefined) throw new AwsError('ValidationException', 'Must provide a StateMachine ARN or MapRun ARN', 400);
    const m = await this.authorizedMachine(ctx, 'ListExecutions', arn);
    if (!m) throw stateMachineDoesNotExist(arn);
    if (m.type === 'EXPRESS') throw typeNotSupported();
    const scope = `executions|${arn}|${statusFilter ?? ''}|${redriveFilter ?? ''}`;
    const cursor = nextToken === undefined ? undefined : Number(decodeToken(nextToken, scope));
    const all = this.executionsOf(arn)
      .filter((e) => statusFilter === undefined || e.status === statusFilter)
      .filter((e) => redriveFilter === undefined || (redriveFilter === 'REDRIVEN') === e.redriveCount > 0)
      .filter((e) => cursor === undefined || e.seq < cursor)
      .sort((a, b) => b.seq - a.seq);
    const items = all.slice(0, page(maxResults));
    const last = items[items.length - 1];
    return {
      executions: items.map((e) => ({
        executionArn: e.arn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: seconds(e.startDate),
        ...(e.stopDate !== undefined ? { stopDate: seconds(e.stopDate) } : {}),
        redriveCount: e.redriveCount,
        ...(e.redriveDate !== undefined ? { redriveDate: seconds(e.redriveDate) } : {}),
      })),
      ...(all.length > items.length && last ? { nextToken: encodeToken(scope, last.seq) } : {}),
    };
  }

  private async stopExecution(ctx: Ctx, input: Input): Promise<JsonObject> {
    const arn = input.string('executionArn', { required: true, min: 1, max: 256 }) ?? '';
    const error = input.string('error', { max: 256, sensitive: true });
    const cause = input.string('cause', { max: 32_768, sensitive: true });
    input.done();
    const e = await this.locateExecution(ctx, 'StopExecution', arn);
    // Stopping an execution that already ended changes nothing and answers its stopDate.
    if (e.status === 'RUNNING') this.abort(e, ctx.now, error, cause);
    return { stopDate: seconds(e.stopDate ?? ctx.now) };
  }

  private async redriveExecution(ctx: Ctx, input: Input): Promise<JsonObject> {
    const arn = input.string('executionArn', { required: true, min: 1, max: 256 }) ?? '';
    const clientToken = input.string('clientToken', { min: 1, max: 64 });
    input.done();
    const e = await this.locateExecution(ctx, 'RedriveExecution', arn);
    if (clientToken !== undefined && e.lastRedriveToken === clientToken && e.redriveDate !== undefined) return { redriveDate: seconds(e.redriveDate) };
    const status = this.redriveStatus(e);
    if (status.redriveStatus !== 'REDRIVABLE') throw new AwsError('ExecutionNotRedrivable', String(status.redriveStatusReason), 400);
    const m = this.machines.get(e.stateMachineArn);
    if (!m) throw stateMachineDoesNotExist(e.stateMachineArn);
    if (m.status === 'DELETING') throw stateMachineDeleting(m.arn);
    e.status = 'RUNNING';
    e.redriveCount += 1;
    e.redriveDate = ctx.now;
    if (clientToken !== undefined) e.lastRedriveToken = clientToken;
    delete e.stopDate;
    delete e.output;
    delete e.error;
    delete e.cause;
    this.append(e, { type: 'ExecutionRedriven', timestamp: ctx.now, executionRedrivenEventDetails: { redriveCount: e.redriveCount } });
    this.launch(e);
    return { redriveDate: seconds(ctx.now) };
  }

  private async describeStateMachineForExecution(ctx: Ctx, input: Input): Promise<JsonObject> {
    const arn = input.string('executionArn', { required: true, min: 1, max: 256 }) ?? '';
    input.string('includedData', { enumValues: ['ALL_DATA', 'METADATA_ONLY'] });
    input.done();
    const e = await this.locateExecution(ctx, 'DescribeStateMachineForExecution', arn);
    return { ...this.describeMachineJson(e.machine), updateDate: seconds(e.machine.updateDate) };
  }

  // ---------------------------------------------------------------- map runs

  private async listMapRuns(ctx: Ctx, input: Input): Promise<JsonObject> {
    const arn = input.string('executionArn', { required: true, min: 1, max: 256 }) ?? '';
    const maxResults = input.integer('maxResults', { min: 0, max: 1000 });
    const nextToken = input.string('nextToken', { min: 1, max: 3096 });
    input.done();
    const e = await this.locateExecution(ctx, 'ListMapRuns', arn);
    const scope = `mapRuns|${arn}`;
    const cursor = nextToken === undefined ? undefined : Number(decodeToken(nextToken, scope));
    // Newest first, as ListExecutions.
    const all = [...(e.mapRuns ?? [])].filter((m) => cursor === undefined || m.seq < cursor).sort((a, b) => b.seq - a.seq);
    const items = all.slice(0, page(maxResults));
    const last = items[items.length - 1];
    return {
      mapRuns: items.map((m) => {
        const p = parseMapRunArn(m.arn);
        return {
          executionArn: e.arn,
          mapRunArn: m.arn,
          // The map run's "state machine": the Distributed Map's item processor, `<machine>/<label>`.
          stateMachineArn: stateMachineArnOf(p.region, p.accountId, `${p.machine}/${p.label}`),
          startDate: seconds(m.startDate),
          ...(m.stopDate !== undefined ? { stopDate: seconds(m.stopDate) } : {}),
        };
      }),
      ...(all.length > items.length && last ? { nextToken: encodeToken(scope, last.seq) } : {}),
    };
  }

  private async describeMapRun(ctx: Ctx, input: Input): Promise<JsonObject> {
    const arn = input.string('mapRunArn', { required: true, min: 1, max: 2000 }) ?? '';
    input.done();
    const parsed = parseMapRunArn(arn);
    await this.authorize(ctx, 'DescribeMapRun', arn, parsed.accountId);
    let found: { e: Execution; m: MapRun } | undefined;
    if (parsed.region === ctx.region) {
      for (const e of this.executions.values()) {
        if (e.express || e.accountId !== parsed.accountId || e.machine.name !== parsed.machine) continue;
        const m = e.mapRuns?.find((r) => r.arn === arn);
        if (m) {
          found = { e, m };
          break;
        }
      }
    }
    if (!found) throw mapRunDoesNotExist(arn);
    const { e, m } = found;
    return {
      mapRunArn: m.arn,
      executionArn: e.arn,
      status: m.status,
      startDate: seconds(m.startDate),
      ...(m.stopDate !== undefined ? { stopDate: seconds(m.stopDate) } : {}),
      maxConcurrency: m.maxConcurrency,
      toleratedFailurePercentage: m.toleratedFailurePercentage,
      toleratedFailureCount: m.toleratedFailureCount,
      itemCounts: { ...m.itemCounts },
      executionCounts: { ...m.executionCounts },
      redriveCount: 0,
    };
  }

  // ---------------------------------------------------------------- tags

  /**
   * The state machine `arn` names (undefined when there is none), once `states:<action>` on it is allowed: authorization
   * comes before the existence check, with the machine's tags as resource tags, as Step Functions decides.
   */
  private async authorizedMachine(ctx: Ctx, action: string, arn: string): Promise<Machine | undefined> {
    const parsed = parseStateMachineArn(arn);
    const m = this.machineAt(ctx, arn);
    await this.authorize(ctx, action, arn, parsed.accountId, resourceTagContext(m?.tags ?? []));
    return m;
  }

  private async taggable(ctx: Ctx, action: string, arn: string): Promise<Machine> {
    if (/^arn:aws:states:[^:]*:\d{12}:(execution|express):/.test(arn)) {
      throw new AwsError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn.split(':')[5] ?? ''}'`, 400);
    }
    const m = await this.authorizedMachine(ctx, action, arn);
    if (!m) throw new AwsError('ResourceNotFound', `Resource not found: '${arn}'`, 400, 'Sender', { resourceName: arn });
    return m;
  }

  private async tagResource(ctx: Ctx, input: Input): Promise<JsonObject> {
    const arn = input.string('resourceArn', { required: true, min: 1, max: 256 }) ?? '';
    const tags = readTags(input, 'tags') ?? [];
    if (ctx.raw.tags === undefined) input.string('tags', { required: true });
    input.done();
    const m = await this.taggable(ctx, 'TagResource', arn);
    const merged = [...m.tags.filter((t) => !tags.some((n) => n.key === t.key)), ...tags];
    if (merged.length > MAX_TAGS) throw new AwsError('TooManyTags', `Too many tags: at most ${MAX_TAGS}`, 400, 'Sender', { resourceName: arn });
    m.tags = merged;
    return {};
  }

  private async untagResource(ctx: Ctx, input: Input): Promise<JsonObject> {
    const arn = input.string('resourceArn', { required: true, min: 1, max: 256 }) ?? '';
    const keys = input.stringList('tagKeys', { required: true }) ?? [];
    input.done();
    const m = await this.taggable(ctx, 'UntagResource', arn);
    m.tags = m.tags.filter((t) => !keys.includes(t.key));
    return {};
  }

  private async listTagsForResource(ctx: Ctx, input: Input): Promise<JsonObject> {
    const arn = input.string('resourceArn', { required: true, min: 1, max: 256 }) ?? '';
    input.done();
    const m = await this.taggable(ctx, 'ListTagsForResource', arn);
    return { tags: m.tags.map((t) => ({ key: t.key, value: t.value })) };
  }

  // ---------------------------------------------------------------- deliveries

  /**
   * A delivery from EventBridge / Scheduler: StartExecution of the target machine with the delivery's input, as a
   * session of `roleArn` assumed by `via`. Injected faults and outage windows for `states:StartExecution` apply (as
   * AWS throttling the delivering service's call) and answer retryable.
   */
  async deliver(d: TargetDelivery): Promise<DeliveryResult> {
    const fail = (code: string, message: string, retryable = false): DeliveryResult => ({ ok: false, code, message, retryable });
    let machineArn;
    try {
      machineArn = parseStateMachineArn(d.arn);
    } catch (e) {
      return fail('InvalidArn', e instanceof Error ? e.message : String(e));
    }
    if (d.roleArn === undefined) {
      return fail('AccessDeniedException', `Step Functions has no resource-based policies: ${d.via} needs a role (RoleArn) to start executions of ${d.arn}`);
    }
    const service: ServiceName = 'states';
    const fault = this.kernel.realism.decide(service, 'StartExecution', Date.now()).fault;
    if (fault !== undefined) {
      const err = faultError(service, fault === 'reset' ? '500' : fault);
      return fail(err.code, err.message, true);
    }
    let session;
    try {
      session = await this.kernel.serviceSession({
        roleArn: d.roleArn,
        service: d.via,
        sessionName: randomBytes(16).toString('hex'),
        sourceArn: d.sourceArn,
        sourceAccount: d.sourceAccount,
      });
    } catch (e) {
      if (e instanceof AwsError) return fail(e.code === 'AccessDenied' ? 'AccessDeniedException' : e.code, e.message);
      throw e;
    }
    try {
      const principal = this.kernel.credentials.lookup(session.accessKeyId)?.principal;
      if (!principal) return fail('AccessDeniedException', `the session of ${d.roleArn} vanished`);
      const m = this.machines.get(d.arn);
      const decision = await this.kernel.authorize({
        principal,
        action: 'states:StartExecution',
        resource: d.arn,
        resourceAccount: machineArn.accountId,
        context: resourceTagContext(m?.tags ?? []),
      });
      if (!decision.allowed) return fail('AccessDeniedException', accessDenied(principal, 'states:StartExecution', d.arn, decision).message);
      if (!m) return fail('StateMachineDoesNotExist', stateMachineDoesNotExist(d.arn).message);
      const e = this.start(m, undefined, d.input);
      return { ok: true, id: e.arn };
    } catch (e) {
      if (e instanceof AwsError) return fail(e.code, e.message);
      throw e;
    } finally {
      this.kernel.credentials.remove(session.accessKeyId);
    }
  }
}

/** The Step Functions service of a running sandbox (`sb.services`), for the app loader and tests. */
export function stepFunctionsOf(services: ReadonlyMap<ServiceName, SandboxService>): StepFunctionsService {
  const s = services.get('states');
  if (!(s instanceof StepFunctionsService)) throw new Error('the sandbox has no Step Functions service');
  return s;
}
