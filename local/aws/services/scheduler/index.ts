/**
 * Amazon EventBridge Scheduler for the local sandbox: REST-JSON, signed for `scheduler`, as @aws-sdk/client-scheduler
 * and `aws scheduler ...` send it.
 *
 *   POST   /schedules/{Name}                 CreateSchedule        GET /schedules?ScheduleGroup&NamePrefix&State   ListSchedules
 *   GET    /schedules/{Name}?groupName=      GetSchedule           PUT /schedules/{Name}                           UpdateSchedule
 *   DELETE /schedules/{Name}?groupName=      DeleteSchedule
 *   POST   /schedule-groups/{Name}           CreateScheduleGroup   GET /schedule-groups?NamePrefix                 ListScheduleGroups
 *   GET    /schedule-groups/{Name}           GetScheduleGroup      DELETE /schedule-groups/{Name}                  DeleteScheduleGroup
 *   GET / POST / DELETE /tags/{ResourceArn}  ListTagsForResource / TagResource / UntagResource (schedule groups)
 *
 * Schedules live per account and region, in schedule groups (`default` always exists). Every call is authorized
 * through the kernel with `scheduler:<Action>` on the schedule's ARN (`arn:aws:scheduler:<region>:<account>:schedule/
 * <group>/<name>`), the group's ARN (`...:schedule-group/<group>`) or `*` for the List operations; CreateSchedule and
 * UpdateSchedule also need `iam:PassRole` on Target.RoleArn (with `iam:PassedToService` = scheduler.amazonaws.com).
 *
 * Schedules fire on the scheduler clock (clock.ts): real time unless compressed with `setTimeScale(n)` (or the
 * environment variable SANDBOX_SCHEDULER_TIME_SCALE) or moved with `advance(ms)`; engine.ts delivers to targets.
 */
import { AwsError } from '../../core/errors';
import type { Kernel } from '../../core/kernel';
import type { AuthzDecision, Principal, SandboxRequest, SandboxResponse, SandboxService } from '../../core/types';
import { SchedulerClock } from './clock';
import { computeNextFire, SchedulerEngine, type Invocation, type InvocationEvent } from './engine';
import { Fields, parseBody, validation, type JsonObject, type Tag } from './input';
import {
  DEFAULT_GROUP,
  groupArn,
  NAME_PATTERN,
  readScheduleSpec,
  renderTarget,
  scheduleArn,
  type Schedule,
  type ScheduleGroup,
  type ScheduleSpec,
} from './model';

export { SchedulerClock } from './clock';
export type { InvocationEvent } from './engine';
export { nextCron, nextOccurrence, parseExpression, type ScheduleExpression } from './expression';

interface Ctx {
  principal: Principal;
  accountId: string;
  region: string;
  now: number;
}

interface Route {
  operation: string;
  name?: string;
}

interface Snapshot {
  version: 1;
  groups: ScheduleGroup[];
  schedules: Schedule[];
  pending: Invocation[];
}

const scheduleKey = (accountId: string, region: string, group: string, name: string): string => `${accountId}|${region}|${group}|${name}`;
const groupKey = (accountId: string, region: string, group: string): string => `${accountId}|${region}|${group}`;
const seconds = (ms: number): number => ms / 1000;

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The operation a request is, from its method and path. */
export function routeOf(method: string, rawPath: string): Route {
  const path = rawPath.replace(/\/+$/, '');
  const m = /^\/(schedules|schedule-groups|tags)(?:\/(.+))?$/.exec(path);
  if (!m) return { operation: 'Unknown' };
  const [, collection, rawName] = m;
  const name = rawName === undefined ? undefined : decodeSegment(rawName);
  const byMethod: Record<string, Record<string, string>> = {
    schedules: name === undefined ? { GET: 'ListSchedules' } : { POST: 'CreateSchedule', GET: 'GetSchedule', PUT: 'UpdateSchedule', DELETE: 'DeleteSchedule' },
    'schedule-groups':
      name === undefined ? { GET: 'ListScheduleGroups' } : { POST: 'CreateScheduleGroup', GET: 'GetScheduleGroup', DELETE: 'DeleteScheduleGroup' },
    tags: name === undefined ? {} : { GET: 'ListTagsForResource', POST: 'TagResource', DELETE: 'UntagResource' },
  };
  const operation = byMethod[collection ?? '']?.[method] ?? 'Unknown';
  // A schedule or group name has no '/': "/schedules/a/b" is no operation (a tag ARN has slashes, %2F-encoded or not).
  if (collection !== 'tags' && name !== undefined && name.includes('/')) return { operation: 'Unknown' };
  return name === undefined ? { operation } : { operation, name };
}

function accessDenied(principal: Principal, action: string, resource: string, d: AuthzDecision): AwsError {
  const why = d.reason === 'ExplicitDeny' ? 'with an explicit deny' : `because no identity-based policy allows the ${action} action`;
  return new AwsError('AccessDeniedException', `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${resource} ${why}`, 403);
}

const notFound = (message: string): AwsError => new AwsError('ResourceNotFoundException', message, 404);
const conflict = (message: string): AwsError => new AwsError('ConflictException', message, 409);

function timeScaleFromEnv(): number {
  const raw = process.env.SANDBOX_SCHEDULER_TIME_SCALE;
  if (raw === undefined || raw.trim() === '') return 1;
  return SchedulerClock.check(Number(raw));
}

/** Opaque list paging: the index of the next item. */
function page<T>(items: T[], query: URLSearchParams): { items: T[]; next?: string } {
  const maxText = query.get('MaxResults');
  const max = maxText === null ? 100 : Number(maxText);
  if (!Number.isInteger(max) || max < 1 || max > 100) {
    throw validation(`1 validation error detected: Value '${maxText ?? ''}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100`);
  }
  const token = query.get('NextToken');
  let start = 0;
  if (token !== null) {
    const decoded = Number(Buffer.from(token, 'base64').toString('utf8'));
    if (!Number.isInteger(decoded) || decoded < 0) throw validation('The NextToken is invalid.');
    start = decoded;
  }
  const slice = items.slice(start, start + max);
  const end = start + slice.length;
  return end < items.length ? { items: slice, next: Buffer.from(String(end)).toString('base64') } : { items: slice };
}

export class SchedulerService implements SandboxService {
  readonly name = 'scheduler' as const;
  readonly protocol = 'rest-json' as const;
  private readonly schedules = new Map<string, Schedule>();
  private readonly groups = new Map<string, ScheduleGroup>();
  private readonly startedAt: number;
  readonly clock: SchedulerClock;
  private readonly engine: SchedulerEngine;
  private readonly operations: Record<string, (ctx: Ctx, req: SandboxRequest, route: Route) => Promise<JsonObject>> = {
    CreateSchedule: (c, r, rt) => this.createSchedule(c, r, rt),
    GetSchedule: (c, r, rt) => this.getSchedule(c, r, rt),
    UpdateSchedule: (c, r, rt) => this.updateSchedule(c, r, rt),
    DeleteSchedule: (c, r, rt) => this.deleteSchedule(c, r, rt),
    ListSchedules: (c, r) => this.listSchedules(c, r),
    CreateScheduleGroup: (c, r, rt) => this.createGroup(c, r, rt),
    GetScheduleGroup: (c, _r, rt) => this.getGroup(c, rt),
    DeleteScheduleGroup: (c, _r, rt) => this.deleteGroup(c, rt),
    ListScheduleGroups: (c, r) => this.listGroups(c, r),
    ListTagsForResource: (c, _r, rt) => this.listTags(c, rt),
    TagResource: (c, r, rt) => this.tagResource(c, r, rt),
    UntagResource: (c, r, rt) => this.untagResource(c, r, rt),
  };

  constructor(readonly kernel: Kernel) {
    this.clock = new SchedulerClock(() => kernel.now(), timeScaleFromEnv());
    this.startedAt = this.clock.now();
    this.engine = new SchedulerEngine(
      {
        schedules: () => this.schedules.values(),
        deleteCompleted: (s) => void this.schedules.delete(scheduleKey(s.accountId, s.region, s.groupName, s.name)),
        targets: kernel.targets,
      },
      this.clock,
    );
  }

  // ---- the clock, in-process --------------------------------------------------------------------------------------

  /** The scheduler clock's time (epoch ms). */
  now(): number {
    return this.clock.now();
  }

  /** Compresses (or stretches) schedule time: 60 = a minute per real second. */
  setTimeScale(scale: number): void {
    this.clock.setScale(scale);
    this.engine.arm();
  }

  /** Moves the scheduler clock forward by `ms` and fires everything due up to then; resolves with the attempts made. */
  advance(ms: number): Promise<number> {
    this.clock.advance(ms);
    return this.engine.fireDue();
  }

  /** Fires everything due at the scheduler clock's current time. */
  fireDue(): Promise<number> {
    return this.engine.fireDue();
  }

  /** Observes every delivery attempt (in-process); returns the unsubscribe function. */
  onInvocation(fn: (e: InvocationEvent) => void): () => void {
    return this.engine.onInvocation(fn);
  }

  // ---- SandboxService ---------------------------------------------------------------------------------------------

  operationName(req: SandboxRequest): string {
    return routeOf(req.method, req.rawPath).operation;
  }

  async handle(req: SandboxRequest): Promise<SandboxResponse> {
    const route = routeOf(req.method, req.rawPath);
    const handler = Object.hasOwn(this.operations, route.operation) ? this.operations[route.operation] : undefined;
    if (handler === undefined) throw new AwsError('UnknownOperationException', `No operation ${req.method} ${req.path}`, 404);
    const ctx: Ctx = { principal: req.principal, accountId: req.principal.accountId, region: req.region, now: this.clock.now() };
    const out = await handler(ctx, req, route);
    this.engine.arm();
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(out) };
  }

  snapshot(): unknown {
    const snap: Snapshot = {
      version: 1,
      groups: [...this.groups.values()].map((g) => structuredClone(g)),
      schedules: [...this.schedules.values()].map((s) => structuredClone(s)),
      pending: this.engine.pendingInvocations(),
    };
    return snap;
  }

  restore(data: unknown): void {
    this.schedules.clear();
    this.groups.clear();
    if (typeof data !== 'object' || data === null || !('version' in data) || data.version !== 1) return;
    const snap = data as Snapshot;
    for (const g of snap.groups ?? []) this.groups.set(groupKey(g.accountId, g.region, g.name), structuredClone(g));
    const now = this.clock.now();
    for (const stored of snap.schedules ?? []) {
      const s = structuredClone(stored);
      // Occurrences missed while the sandbox was down are skipped; an at() schedule that never fired fires now.
      const at = /^at\(/.test(s.expression);
      s.nextFire = at ? (s.fired === 0 ? (computeNextFire(s, -Infinity) ?? now) : undefined) : computeNextFire(s, now);
      this.schedules.set(scheduleKey(s.accountId, s.region, s.groupName, s.name), s);
    }
    this.engine.restorePending(snap.pending ?? []);
    this.engine.arm();
  }

  inventory(accountId: string): Record<string, string[]> {
    const schedules = [...this.schedules.values()].filter((s) => s.accountId === accountId).map((s) => `${s.region}/${s.groupName}/${s.name}`).sort();
    const scheduleGroups = [...this.groups.values()].filter((g) => g.accountId === accountId).map((g) => `${g.region}/${g.name}`).sort();
    return { schedules, scheduleGroups };
  }

  async close(): Promise<void> {
    await this.engine.close();
  }

  // ---- helpers ----------------------------------------------------------------------------------------------------

  private async authorize(ctx: Ctx, action: string, resource: string, extra?: { resourceAccount?: string; context?: Record<string, string> }): Promise<void> {
    const decision = await this.kernel.authorize({
      principal: ctx.principal,
      action,
      resource,
      resourceAccount: extra?.resourceAccount ?? ctx.accountId,
      ...(extra?.context ? { context: extra.context } : {}),
    });
    if (!decision.allowed) throw accessDenied(ctx.principal, action, resource, decision);
  }

  /** iam:PassRole on the target's role, as Scheduler checks it for CreateSchedule / UpdateSchedule. */
  private async authorizePassRole(ctx: Ctx, roleArn: string): Promise<void> {
    const roleAccount = /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(roleArn)?.[1] ?? ctx.accountId;
    await this.authorize(ctx, 'iam:PassRole', roleArn, { resourceAccount: roleAccount, context: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
  }

  private group(ctx: Ctx, name: string): ScheduleGroup | undefined {
    const stored = this.groups.get(groupKey(ctx.accountId, ctx.region, name));
    if (stored) return stored;
    if (name !== DEFAULT_GROUP) return undefined;
    return {
      accountId: ctx.accountId,
      region: ctx.region,
      name: DEFAULT_GROUP,
      arn: groupArn(ctx.region, ctx.accountId, DEFAULT_GROUP),
      creationDate: this.startedAt,
      lastModificationDate: this.startedAt,
      tags: [],
    };
  }

  private requireGroup(ctx: Ctx, name: string): ScheduleGroup {
    const g = this.group(ctx, name);
    if (!g) throw notFound(`Schedule group ${name} does not exist.`);
    return g;
  }

  private groupNameFromQuery(req: SandboxRequest): string {
    const name = req.query.get('groupName') ?? DEFAULT_GROUP;
    const f = new Fields({});
    f.checkString('groupName', name, { min: 1, max: 64, pattern: NAME_PATTERN });
    f.done();
    return name;
  }

  private checkName(name: string, member = 'name'): void {
    const f = new Fields({});
    f.checkString(member, name, { min: 1, max: 64, pattern: NAME_PATTERN });
    f.done();
  }

  private scheduleFromSpec(ctx: Ctx, name: string, spec: ScheduleSpec, created: number): Schedule {
    const s: Schedule = {
      ...spec,
      accountId: ctx.accountId,
      region: ctx.region,
      name,
      arn: scheduleArn(ctx.region, ctx.accountId, spec.groupName, name),
      creationDate: created,
      lastModificationDate: ctx.now,
      anchor: spec.startDate ?? ctx.now,
      fired: 0,
    };
    const next = computeNextFire(s, /^at\(/.test(s.expression) ? -Infinity : ctx.now);
    if (next !== undefined) s.nextFire = next;
    return s;
  }

  // ---- schedules --------------------------------------------------------------------------------------------------

  private async createSchedule(ctx: Ctx, req: SandboxRequest, route: Route): Promise<JsonObject> {
    const name = route.name ?? '';
    const spec = readScheduleSpec(name, new Fields(parseBody(req.body)), ctx.now, true);
    const arn = scheduleArn(ctx.region, ctx.accountId, spec.groupName, name);
    await this.authorize(ctx, 'scheduler:CreateSchedule', arn);
    await this.authorizePassRole(ctx, spec.target.RoleArn);
    this.requireGroup(ctx, spec.groupName);
    const key = scheduleKey(ctx.accountId, ctx.region, spec.groupName, name);
    const existing = this.schedules.get(key);
    if (existing) {
      // A retry of the same request (same ClientToken) succeeds again; anything else conflicts.
      if (spec.clientToken !== undefined && existing.clientToken === spec.clientToken) return { ScheduleArn: existing.arn };
      throw conflict(`Schedule ${name} already exists.`);
    }
    this.schedules.set(key, this.scheduleFromSpec(ctx, name, spec, ctx.now));
    return { ScheduleArn: arn };
  }

  private async updateSchedule(ctx: Ctx, req: SandboxRequest, route: Route): Promise<JsonObject> {
    const name = route.name ?? '';
    const spec = readScheduleSpec(name, new Fields(parseBody(req.body)), ctx.now, false);
    const arn = scheduleArn(ctx.region, ctx.accountId, spec.groupName, name);
    await this.authorize(ctx, 'scheduler:UpdateSchedule', arn);
    await this.authorizePassRole(ctx, spec.target.RoleArn);
    this.requireGroup(ctx, spec.groupName);
    const key = scheduleKey(ctx.accountId, ctx.region, spec.groupName, name);
    const existing = this.schedules.get(key);
    if (!existing) throw notFound(`Schedule ${name} does not exist.`);
    // UpdateSchedule replaces the whole definition; a rate schedule counts from the update (or the new StartDate).
    this.schedules.set(key, this.scheduleFromSpec(ctx, name, spec, existing.creationDate));
    return { ScheduleArn: arn };
  }

  private async getSchedule(ctx: Ctx, req: SandboxRequest, route: Route): Promise<JsonObject> {
    const name = route.name ?? '';
    this.checkName(name);
    const group = this.groupNameFromQuery(req);
    await this.authorize(ctx, 'scheduler:GetSchedule', scheduleArn(ctx.region, ctx.accountId, group, name));
    const s = this.schedules.get(scheduleKey(ctx.accountId, ctx.region, group, name));
    if (!s) throw notFound(`Schedule ${name} does not exist.`);
    return {
      Arn: s.arn,
      GroupName: s.groupName,
      Name: s.name,
      ScheduleExpression: s.expression,
      ...(s.startDate !== undefined ? { StartDate: seconds(s.startDate) } : {}),
      ...(s.endDate !== undefined ? { EndDate: seconds(s.endDate) } : {}),
      ...(s.description !== undefined ? { Description: s.description } : {}),
      ScheduleExpressionTimezone: s.timezone ?? 'UTC',
      State: s.state,
      CreationDate: seconds(s.creationDate),
      LastModificationDate: seconds(s.lastModificationDate),
      ...(s.kmsKeyArn !== undefined ? { KmsKeyArn: s.kmsKeyArn } : {}),
      Target: renderTarget(s.target),
      FlexibleTimeWindow: { ...s.flexibleTimeWindow },
      ActionAfterCompletion: s.actionAfterCompletion,
    };
  }

  private async deleteSchedule(ctx: Ctx, req: SandboxRequest, route: Route): Promise<JsonObject> {
    const name = route.name ?? '';
    this.checkName(name);
    const group = this.groupNameFromQuery(req);
    const arn = scheduleArn(ctx.region, ctx.accountId, group, name);
    await this.authorize(ctx, 'scheduler:DeleteSchedule', arn);
    if (!this.schedules.delete(scheduleKey(ctx.accountId, ctx.region, group, name))) throw notFound(`Schedule ${name} does not exist.`);
    this.engine.dropPending(arn);
    return {};
  }

  private async listSchedules(ctx: Ctx, req: SandboxRequest): Promise<JsonObject> {
    const q = req.query;
    const f = new Fields({});
    const group = q.get('ScheduleGroup');
    const prefix = q.get('NamePrefix');
    const state = q.get('State');
    if (group !== null) f.checkString('groupName', group, { min: 1, max: 64, pattern: NAME_PATTERN });
    if (prefix !== null) f.checkString('namePrefix', prefix, { min: 1, max: 64, pattern: NAME_PATTERN });
    if (state !== null) f.checkString('state', state, { enumValues: ['ENABLED', 'DISABLED'] });
    f.done();
    await this.authorize(ctx, 'scheduler:ListSchedules', '*');
    const all = [...this.schedules.values()]
      .filter((s) => s.accountId === ctx.accountId && s.region === ctx.region)
      .filter((s) => (group === null || s.groupName === group) && (prefix === null || s.name.startsWith(prefix)) && (state === null || s.state === state))
      .sort((a, b) => a.groupName.localeCompare(b.groupName) || a.name.localeCompare(b.name));
    const { items, next } = page(all, q);
    return {
      Schedules: items.map((s) => ({
        Arn: s.arn,
        Name: s.name,
        GroupName: s.groupName,
        State: s.state,
        CreationDate: seconds(s.creationDate),
        LastModificationDate: seconds(s.lastModificationDate),
        Target: { Arn: s.target.Arn },
      })),
      ...(next !== undefined ? { NextToken: next } : {}),
    };
  }

  // ---- schedule groups --------------------------------------------------------------------------------------------

  private renderGroup(g: ScheduleGroup): JsonObject {
    return { Arn: g.arn, Name: g.name, State: 'ACTIVE', CreationDate: seconds(g.creationDate), LastModificationDate: seconds(g.lastModificationDate) };
  }

  private async createGroup(ctx: Ctx, req: SandboxRequest, route: Route): Promise<JsonObject> {
    const name = route.name ?? '';
    const input = new Fields(parseBody(req.body));
    input.checkString('name', name, { min: 1, max: 64, pattern: NAME_PATTERN });
    const tags = input.tags('Tags') ?? [];
    const clientToken = input.string('ClientToken', { min: 1, max: 64, pattern: /^[a-zA-Z0-9-_]+$/ });
    input.done();
    const arn = groupArn(ctx.region, ctx.accountId, name);
    await this.authorize(ctx, 'scheduler:CreateScheduleGroup', arn);
    const existing = this.group(ctx, name);
    if (existing) {
      if (clientToken !== undefined && existing.clientToken === clientToken) return { ScheduleGroupArn: existing.arn };
      throw conflict(`Schedule group ${name} already exists.`);
    }
    this.groups.set(groupKey(ctx.accountId, ctx.region, name), {
      accountId: ctx.accountId,
      region: ctx.region,
      name,
      arn,
      creationDate: ctx.now,
      lastModificationDate: ctx.now,
      tags: mergeTags([], tags),
      ...(clientToken !== undefined ? { clientToken } : {}),
    });
    return { ScheduleGroupArn: arn };
  }

  private async getGroup(ctx: Ctx, route: Route): Promise<JsonObject> {
    const name = route.name ?? '';
    this.checkName(name);
    await this.authorize(ctx, 'scheduler:GetScheduleGroup', groupArn(ctx.region, ctx.accountId, name));
    return this.renderGroup(this.requireGroup(ctx, name));
  }

  private async deleteGroup(ctx: Ctx, route: Route): Promise<JsonObject> {
    const name = route.name ?? '';
    this.checkName(name);
    await this.authorize(ctx, 'scheduler:DeleteScheduleGroup', groupArn(ctx.region, ctx.accountId, name));
    if (name === DEFAULT_GROUP) throw validation('The default schedule group cannot be deleted.');
    if (!this.groups.delete(groupKey(ctx.accountId, ctx.region, name))) throw notFound(`Schedule group ${name} does not exist.`);
    // Deleting a group deletes its schedules (AWS does it asynchronously, in the DELETING state; here at once).
    for (const [k, s] of this.schedules) {
      if (s.accountId === ctx.accountId && s.region === ctx.region && s.groupName === name) {
        this.schedules.delete(k);
        this.engine.dropPending(s.arn);
      }
    }
    return {};
  }

  private async listGroups(ctx: Ctx, req: SandboxRequest): Promise<JsonObject> {
    const prefix = req.query.get('NamePrefix');
    if (prefix !== null) {
      const f = new Fields({});
      f.checkString('namePrefix', prefix, { min: 1, max: 64, pattern: NAME_PATTERN });
      f.done();
    }
    await this.authorize(ctx, 'scheduler:ListScheduleGroups', '*');
    const stored = [...this.groups.values()].filter((g) => g.accountId === ctx.accountId && g.region === ctx.region);
    const all = [this.group(ctx, DEFAULT_GROUP) as ScheduleGroup, ...stored]
      .filter((g) => prefix === null || g.name.startsWith(prefix))
      .sort((a, b) => (a.name === DEFAULT_GROUP ? -1 : b.name === DEFAULT_GROUP ? 1 : a.name.localeCompare(b.name)));
    const { items, next } = page(all, req.query);
    return { ScheduleGroups: items.map((g) => this.renderGroup(g)), ...(next !== undefined ? { NextToken: next } : {}) };
  }

  // ---- tags (schedule groups) -------------------------------------------------------------------------------------

  /** The stored group a tag ARN names (the default group has no tags to change). */
  private async taggedGroup(ctx: Ctx, route: Route, action: string): Promise<ScheduleGroup> {
    const arn = route.name ?? '';
    const m = /^arn:aws(?:-[a-z]+)?:scheduler:([a-z0-9-]+):(\d{12}):schedule-group\/([0-9a-zA-Z-_.]+)$/.exec(arn);
    if (!m) {
      const f = new Fields({});
      f.checkString('resourceArn', arn, { pattern: /^arn:aws(-[a-z]+)?:scheduler:[a-z0-9-]+:\d{12}:schedule-group\/[0-9a-zA-Z-_.]+$/ });
      f.done();
    }
    await this.authorize(ctx, action, arn);
    const [, region = '', accountId = '', name = ''] = m ?? [];
    const g = region === ctx.region && accountId === ctx.accountId ? this.group(ctx, name) : undefined;
    if (!g) throw notFound(`Schedule group ${name} does not exist.`);
    return g;
  }

  private async listTags(ctx: Ctx, route: Route): Promise<JsonObject> {
    const g = await this.taggedGroup(ctx, route, 'scheduler:ListTagsForResource');
    return { Tags: g.tags.map((t) => ({ ...t })) };
  }

  private async tagResource(ctx: Ctx, req: SandboxRequest, route: Route): Promise<JsonObject> {
    const input = new Fields(parseBody(req.body));
    const tags = input.tags('Tags', true) ?? [];
    input.done();
    const g = await this.taggedGroup(ctx, route, 'scheduler:TagResource');
    if (g.name === DEFAULT_GROUP && !this.groups.has(groupKey(ctx.accountId, ctx.region, DEFAULT_GROUP))) {
      throw validation('The default schedule group cannot be tagged.');
    }
    const merged = mergeTags(g.tags, tags);
    if (merged.length > 200) throw validation('A schedule group can have at most 200 tags.');
    g.tags = merged;
    g.lastModificationDate = ctx.now;
    return {};
  }

  private async untagResource(ctx: Ctx, req: SandboxRequest, route: Route): Promise<JsonObject> {
    const keys = req.query.getAll('TagKeys');
    if (keys.length === 0) throw validation("1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null");
    const g = await this.taggedGroup(ctx, route, 'scheduler:UntagResource');
    g.tags = g.tags.filter((t) => !keys.includes(t.Key));
    g.lastModificationDate = ctx.now;
    return {};
  }
}

function mergeTags(existing: Tag[], added: Tag[]): Tag[] {
  const out = new Map(existing.map((t) => [t.Key, t.Value]));
  for (const t of added) out.set(t.Key, t.Value);
  return [...out].map(([Key, Value]) => ({ Key, Value }));
}
