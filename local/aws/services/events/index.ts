/**
 * Amazon EventBridge for the local sandbox (AWS JSON 1.1: POST /, X-Amz-Target: AWSEvents.<Op>, signed for `events`).
 *
 * Served: event buses (Create/Describe/List/Delete; the `default` bus exists in every account and region), bus
 * resource policies (PutPermission with Principal/StatementId/Condition or a whole Policy document, RemovePermission),
 * rules (PutRule with EventPattern and/or ScheduleExpression, Describe/List/Delete/Enable/Disable,
 * ListRuleNamesByTarget), targets (PutTargets / ListTargetsByRule / RemoveTargets), tags (TagResource, UntagResource,
 * ListTagsForResource), PutEvents and TestEventPattern. Resources live per account and region.
 *
 * Authorization: every call through the kernel with its IAM action (`events:<Op>`) on the bus or rule ARN (`*` for
 * ListEventBuses, ListRules and TestEventPattern), the bus's resource policy included (so it can grant another account
 * and deny anyone); PutEvents per entry on the bus ARN with the multi-valued condition keys `events:source` and
 * `events:detail-type`; PutRule with `events:source`, `events:detail-type` (the pattern's literal values) and
 * `events:creatorAccount`; PutTargets with `events:TargetArn`. A PutEvents call whose every entry is denied fails with
 * AccessDeniedException; otherwise the denied entries fail alone (ErrorCode AccessDeniedException).
 *
 * Matching: pattern.ts (Event Ruler's semantics). Delivery: delivery.ts (asynchronous, retries, DLQ; `idle()` awaits
 * it, `deliveryStats()` counts it). Rules targeting an event bus deliver to it through the kernel's TargetRouter: this
 * service registers itself as the `events` receiver, authorizing the delivery with the target's role (a session of it
 * assumed by events.amazonaws.com) or, without one, as the rule's account against the receiving bus's policy; an
 * event that came from another bus is not forwarded to a third one. Scheduled rules are stored, never fired.
 */
import { randomUUID } from 'node:crypto';
import { AwsError } from '../../core/errors';
import { jsonOperationHandler, targetOperation } from '../../core/protocol';
import type { Kernel } from '../../core/kernel';
import type { DeliveryReceiver, DeliveryResult, TargetDelivery } from '../../core/targets';
import type { AuthzDecision, Principal, SandboxRequest, SandboxResponse, SandboxService, ServiceName } from '../../core/types';
import { Input, parseJsonBody, type JsonObject, type Tag } from '../secretsmanager/input';
import {
  DEFAULT_DELIVERY_OPTIONS,
  DEFAULT_MAX_EVENT_AGE_SECONDS,
  DEFAULT_MAX_RETRY_ATTEMPTS,
  Dispatcher,
  type DeliveryOptions,
  type DeliveryStats,
  type FailedDelivery,
} from './delivery';
import {
  BUS_NAME_OR_ARN_PATTERN,
  BUS_NAME_PATTERN,
  DEFAULT_BUS,
  RULE_NAME_PATTERN,
  RULE_STATES,
  busArn,
  checkTarget,
  eventTime,
  parseBusArn,
  parseRuleArn,
  readTarget,
  renderTarget,
  ruleArn,
  validScheduleExpression,
  validation,
  type Bus,
  type Rule,
  type RuleState,
  type Target,
} from './model';
import { EventPatternError, compileEventPattern, literalStrings, matchesCompiled, type CompiledPattern } from './pattern';
import { evaluateJsonPath, renderTemplate, type Json } from './transform';

export { matchesEventPattern, compileEventPattern, EventPatternError } from './pattern';
export type { DeliveryOptions, DeliveryStats, FailedDelivery } from './delivery';

const TARGET_PREFIX = 'AWSEvents.';
const MAX_ENTRIES_BYTES = 256 * 1024;
const MAX_TARGETS_PER_RULE = 5;
const MAX_POLICY_LENGTH = 10_240;
const DEFAULT_PAGE = 100;

interface Ctx {
  principal: Principal;
  /** The caller's account. */
  accountId: string;
  region: string;
  now: number;
}

interface Located {
  accountId: string;
  region: string;
  name: string;
  arn: string;
}

type Context = Record<string, string | string[]>;
type Handler = (ctx: Ctx, input: Input, body: JsonObject, problems: string[]) => Promise<JsonObject>;

interface Snapshot {
  buses: Bus[];
  rules: Rule[];
}

const secs = (ms: number): number => ms / 1000;
const busKey = (accountId: string, region: string, name: string): string => `${accountId}|${region}|${name}`;
const ruleKey = (accountId: string, region: string, bus: string, name: string): string => `${accountId}|${region}|${bus}|${name}`;
const busNotFound = (name: string): AwsError => new AwsError('ResourceNotFoundException', `Event bus ${name} does not exist.`, 400);
const ruleNotFound = (name: string, bus: string): AwsError => new AwsError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${bus}.`, 400);
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function accessDenied(principal: Principal, action: string, resource: string, d: AuthzDecision, crossAccount: boolean): AwsError {
  const why =
    d.reason === 'ExplicitDeny'
      ? 'with an explicit deny'
      : `because no ${crossAccount ? 'resource-based' : 'identity-based'} policy allows the ${action} action`;
  return new AwsError('AccessDeniedException', `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${resource} ${why}`, 400);
}

function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

function decodeToken(token: string | undefined): number {
  if (token === undefined) return 0;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (isObject(parsed) && typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0) return parsed.o;
  } catch {
    // fall through
  }
  throw validation('The NextToken value is not valid.');
}

function page<T>(items: readonly T[], limit: number | undefined, token: string | undefined): { items: T[]; nextToken?: string } {
  const start = decodeToken(token);
  const end = start + (limit ?? DEFAULT_PAGE);
  return end < items.length ? { items: items.slice(start, end), nextToken: encodeToken(end) } : { items: items.slice(start, end) };
}

function patternError(e: unknown): AwsError {
  const reason = e instanceof EventPatternError ? e.message : e instanceof Error ? e.message : String(e);
  return new AwsError('InvalidEventPatternException', `Event pattern is not valid. Reason: ${reason}`, 400);
}

function tagsOf(input: Input, member: string): Tag[] | undefined {
  return input.structList(member, {}, (el) => ({
    Key: el.string('Key', { required: true, min: 1, max: 128 }) ?? '',
    Value: el.string('Value', { required: true, max: 256 }) ?? '',
  }));
}

function mergeTags(current: readonly Tag[], added: readonly Tag[]): Tag[] {
  const byKey = new Map(current.map((t) => [t.Key, { ...t }]));
  for (const t of added) byKey.set(t.Key, { ...t });
  return [...byKey.values()];
}

function envOptions(env: NodeJS.ProcessEnv): Partial<DeliveryOptions> {
  const scale = env.SANDBOX_EVENTS_TIME_SCALE;
  if (scale === undefined || scale.trim() === '') return {};
  const n = Number(scale);
  return Number.isFinite(n) && n >= 0 ? { timeScale: n } : {};
}

export class EventsService implements SandboxService, DeliveryReceiver {
  readonly name = 'events' as const;
  readonly protocol = 'json' as const;
  private readonly buses = new Map<string, Bus>();
  private readonly rules = new Map<string, Rule>();
  private readonly compiled = new Map<string, CompiledPattern>();
  private readonly dispatcher: Dispatcher;
  private readonly operations: Record<string, Handler> = {
    CreateEventBus: (c, i) => this.createEventBus(c, i),
    DescribeEventBus: (c, i) => this.describeEventBus(c, i),
    ListEventBuses: (c, i) => this.listEventBuses(c, i),
    DeleteEventBus: (c, i) => this.deleteEventBus(c, i),
    PutPermission: (c, i, b, p) => this.putPermission(c, i, b, p),
    RemovePermission: (c, i) => this.removePermission(c, i),
    PutRule: (c, i) => this.putRule(c, i),
    DescribeRule: (c, i) => this.describeRule(c, i),
    ListRules: (c, i) => this.listRules(c, i),
    DeleteRule: (c, i) => this.deleteRule(c, i),
    EnableRule: (c, i) => this.setRuleState(c, i, 'EnableRule', 'ENABLED'),
    DisableRule: (c, i) => this.setRuleState(c, i, 'DisableRule', 'DISABLED'),
    ListRuleNamesByTarget: (c, i) => this.listRuleNamesByTarget(c, i),
    PutTargets: (c, i, b, p) => this.putTargets(c, i, b, p),
    ListTargetsByRule: (c, i) => this.listTargetsByRule(c, i),
    RemoveTargets: (c, i) => this.removeTargets(c, i),
    PutEvents: (c, i, b) => this.putEvents(c, i, b),
    TestEventPattern: (c, i) => this.testEventPattern(c, i),
    TagResource: (c, i) => this.tagResource(c, i),
    UntagResource: (c, i) => this.untagResource(c, i),
    ListTagsForResource: (c, i) => this.listTagsForResource(c, i),
  };

  constructor(readonly kernel: Kernel) {
    this.dispatcher = new Dispatcher(kernel.targets, () => kernel.now());
    this.dispatcher.options = { ...DEFAULT_DELIVERY_OPTIONS, ...envOptions(process.env) };
    kernel.targets.register('events', this);
  }

  // ---- test and tooling API ----

  /** Resolves once no delivery is in flight or waiting for a retry (including the deliveries they cause). */
  idle(): Promise<void> {
    return this.dispatcher.idle();
  }

  /** Delivery counters since start. */
  deliveryStats(): DeliveryStats {
    return { ...this.dispatcher.stats };
  }

  /** The last (at most 100) events given up on: why, after how many retries, and whether their DLQ took them. */
  deliveryFailures(): FailedDelivery[] {
    return this.dispatcher.failures.map((f) => ({ ...f }));
  }

  /** Backoff pacing (env SANDBOX_EVENTS_TIME_SCALE sets timeScale at start). */
  configureDelivery(options: Partial<DeliveryOptions>): DeliveryOptions {
    this.dispatcher.options = { ...this.dispatcher.options, ...options };
    return { ...this.dispatcher.options };
  }

  // ---- SandboxService ----

  operationName(req: SandboxRequest): string {
    return targetOperation(req.headers, TARGET_PREFIX);
  }

  async handle(req: SandboxRequest): Promise<SandboxResponse> {
    const op = this.operationName(req);
    const handler = jsonOperationHandler(this.operations, op, req.method);
    const body = parseJsonBody(req.body);
    const problems: string[] = [];
    const ctx: Ctx = { principal: req.principal, accountId: req.principal.accountId, region: req.region, now: this.kernel.now() };
    const out = await handler(ctx, new Input(body, undefined, problems), body, problems);
    return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify(out) };
  }

  snapshot(): Snapshot {
    return { buses: [...this.buses.values()].map((b) => ({ ...b })), rules: [...this.rules.values()].map((r) => ({ ...r })) };
  }

  restore(data: unknown): void {
    this.buses.clear();
    this.rules.clear();
    this.compiled.clear();
    if (!isObject(data)) return;
    const s = data as Partial<Snapshot>;
    for (const b of s.buses ?? []) this.buses.set(busKey(b.accountId, b.region, b.name), { ...b });
    for (const r of s.rules ?? []) this.rules.set(ruleKey(r.accountId, r.region, r.busName, r.name), { ...r, targets: r.targets.map((t) => ({ ...t })) });
  }

  inventory(accountId: string): Record<string, string[]> {
    const eventBuses = [...this.buses.values()]
      .filter((b) => b.accountId === accountId && b.name !== DEFAULT_BUS)
      .map((b) => `${b.region}/${b.name}`)
      .sort();
    const rules = [...this.rules.values()]
      .filter((r) => r.accountId === accountId)
      .map((r) => `${r.region}/${r.busName}/${r.name}`)
      .sort();
    return { eventBuses, rules };
  }

  async close(): Promise<void> {
    this.dispatcher.close();
  }

  // ---- lookups and authorization ----

  /** The bus a name or ARN designates (the caller's account and region for a name). */
  private locateBus(ctx: Ctx, nameOrArn: string | undefined): Located {
    const given = nameOrArn ?? DEFAULT_BUS;
    const arn = parseBusArn(given);
    if (arn) return { ...arn, arn: busArn(arn.region, arn.accountId, arn.name) };
    return { accountId: ctx.accountId, region: ctx.region, name: given, arn: busArn(ctx.region, ctx.accountId, given) };
  }

  /** The bus record, the `default` bus being created on first use in every existing account. */
  private bus(loc: { accountId: string; region: string; name: string }): Bus | undefined {
    const key = busKey(loc.accountId, loc.region, loc.name);
    const existing = this.buses.get(key);
    if (existing || loc.name !== DEFAULT_BUS || this.kernel.accounts.get(loc.accountId) === undefined) return existing;
    const now = this.kernel.now();
    const bus: Bus = { accountId: loc.accountId, region: loc.region, name: DEFAULT_BUS, arn: busArn(loc.region, loc.accountId, DEFAULT_BUS), createdAt: now, modifiedAt: now, tags: [] };
    this.buses.set(key, bus);
    return bus;
  }

  private decide(principal: Principal, action: string, resource: string, resourceAccount: string, policy: string | undefined, context?: Context): Promise<AuthzDecision> {
    return this.kernel.authorize({
      principal,
      action,
      resource,
      resourceAccount,
      ...(policy !== undefined ? { resourcePolicy: policy } : {}),
      ...(context !== undefined ? { context } : {}),
    });
  }

  private async authorize(ctx: Ctx, action: string, resource: string, resourceAccount: string, policy: string | undefined, context?: Context): Promise<void> {
    const d = await this.decide(ctx.principal, action, resource, resourceAccount, policy, context);
    if (!d.allowed) throw accessDenied(ctx.principal, action, resource, d, resourceAccount !== ctx.accountId);
  }

  private ruleAt(bus: Located, name: string): Rule | undefined {
    return this.rules.get(ruleKey(bus.accountId, bus.region, bus.name, name));
  }

  private rulesOf(bus: { accountId: string; region: string; name: string }): Rule[] {
    return [...this.rules.values()].filter((r) => r.accountId === bus.accountId && r.region === bus.region && r.busName === bus.name);
  }

  private compiledPattern(rule: Rule): CompiledPattern | undefined {
    if (rule.eventPattern === undefined) return undefined;
    const key = ruleKey(rule.accountId, rule.region, rule.busName, rule.name);
    let c = this.compiled.get(key);
    if (!c) {
      try {
        c = compileEventPattern(rule.eventPattern);
      } catch {
        return undefined;
      }
      this.compiled.set(key, c);
    }
    return c;
  }

  /** Reads EventBusName (name or ARN) with the model's constraints. */
  private busName(input: Input, member = 'EventBusName'): string | undefined {
    return input.string(member, { min: 1, max: 1600, pattern: BUS_NAME_OR_ARN_PATTERN });
  }

  // ---- event buses ----

  private async createEventBus(ctx: Ctx, input: Input): Promise<JsonObject> {
    const name = input.string('Name', { required: true, min: 1, max: 256, pattern: BUS_NAME_PATTERN }) ?? '';
    const source = input.string('EventSourceName', { min: 1, max: 256 });
    const description = input.string('Description', { max: 512 });
    const kms = input.string('KmsKeyIdentifier', { max: 2048 });
    const tags = tagsOf(input, 'Tags') ?? [];
    input.done();
    if (source !== undefined) throw validation('Partner event sources are not supported by the sandbox.');
    if (name === DEFAULT_BUS) throw new AwsError('ResourceAlreadyExistsException', `Event bus ${DEFAULT_BUS} already exists.`, 400);
    if (name.includes('/')) throw validation("Event bus name must not contain '/'.");
    if (name.startsWith('aws.')) throw validation("Event bus name must not start with 'aws.'.");
    const loc = this.locateBus(ctx, name);
    const context: Context = tags.length > 0 ? { 'aws:TagKeys': tags.map((t) => t.Key), ...Object.fromEntries(tags.map((t) => [`aws:RequestTag/${t.Key}`, t.Value])) } : {};
    await this.authorize(ctx, 'events:CreateEventBus', loc.arn, loc.accountId, undefined, context);
    const key = busKey(loc.accountId, loc.region, name);
    if (this.buses.has(key)) throw new AwsError('ResourceAlreadyExistsException', `Event bus ${name} already exists.`, 400);
    const bus: Bus = {
      accountId: loc.accountId,
      region: loc.region,
      name,
      arn: loc.arn,
      ...(description !== undefined ? { description } : {}),
      ...(kms !== undefined ? { kmsKeyIdentifier: kms } : {}),
      createdAt: ctx.now,
      modifiedAt: ctx.now,
      tags,
    };
    this.buses.set(key, bus);
    return { EventBusArn: bus.arn, ...(description !== undefined ? { Description: description } : {}), ...(kms !== undefined ? { KmsKeyIdentifier: kms } : {}) };
  }

  private describeBus(b: Bus, withPolicy: boolean): JsonObject {
    return {
      Name: b.name,
      Arn: b.arn,
      ...(b.description !== undefined ? { Description: b.description } : {}),
      ...(b.kmsKeyIdentifier !== undefined ? { KmsKeyIdentifier: b.kmsKeyIdentifier } : {}),
      ...(withPolicy && b.policy !== undefined ? { Policy: b.policy } : {}),
      CreationTime: secs(b.createdAt),
      LastModifiedTime: secs(b.modifiedAt),
    };
  }

  private async describeEventBus(ctx: Ctx, input: Input): Promise<JsonObject> {
    const name = this.busName(input, 'Name');
    input.done();
    const loc = this.locateBus(ctx, name);
    const bus = this.bus(loc);
    await this.authorize(ctx, 'events:DescribeEventBus', loc.arn, loc.accountId, bus?.policy);
    if (!bus) throw busNotFound(loc.name);
    return this.describeBus(bus, true);
  }

  private async listEventBuses(ctx: Ctx, input: Input): Promise<JsonObject> {
    const prefix = input.string('NamePrefix', { min: 1, max: 256 });
    const token = input.string('NextToken', { min: 1, max: 2048 });
    const limit = input.integer('Limit', { min: 1, max: 100 });
    input.done();
    await this.authorize(ctx, 'events:ListEventBuses', '*', ctx.accountId, undefined);
    this.bus({ accountId: ctx.accountId, region: ctx.region, name: DEFAULT_BUS });
    const all = [...this.buses.values()]
      .filter((b) => b.accountId === ctx.accountId && b.region === ctx.region && (prefix === undefined || b.name.startsWith(prefix)))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const p = page(all, limit, token);
    return { EventBuses: p.items.map((b) => this.describeBus(b, true)), ...(p.nextToken !== undefined ? { NextToken: p.nextToken } : {}) };
  }

  private async deleteEventBus(ctx: Ctx, input: Input): Promise<JsonObject> {
    const name = input.string('Name', { required: true, min: 1, max: 256, pattern: BUS_NAME_PATTERN }) ?? '';
    input.done();
    const loc = this.locateBus(ctx, name);
    const bus = this.buses.get(busKey(loc.accountId, loc.region, loc.name));
    await this.authorize(ctx, 'events:DeleteEventBus', loc.arn, loc.accountId, bus?.policy);
    if (name === DEFAULT_BUS) throw validation('Cannot delete event bus default.');
    if (!bus) return {};
    for (const r of this.rulesOf(bus)) {
      const k = ruleKey(r.accountId, r.region, r.busName, r.name);
      this.rules.delete(k);
      this.compiled.delete(k);
    }
    this.buses.delete(busKey(bus.accountId, bus.region, bus.name));
    return {};
  }

  // ---- bus policies ----

  private async putPermission(ctx: Ctx, input: Input, body: JsonObject, problems: string[]): Promise<JsonObject> {
    const name = this.busName(input);
    const action = input.string('Action', { min: 1, max: 64, pattern: /^events:[a-zA-Z]+$/ });
    const principal = input.string('Principal', { min: 1, max: 12, pattern: /^(\d{12}|\*)$/ });
    const sid = input.string('StatementId', { min: 1, max: 64, pattern: /^[a-zA-Z0-9-_]+$/ });
    const policy = input.string('Policy');
    const condition = isObject(body.Condition) ? new Input(body.Condition, 'condition', problems) : undefined;
    if (body.Condition !== undefined && body.Condition !== null && condition === undefined) {
      throw new AwsError('SerializationException', 'Condition must be a structure', 400);
    }
    const cType = condition?.string('Type', { required: true, max: 255 });
    const cKey = condition?.string('Key', { required: true, max: 255 });
    const cValue = condition?.string('Value', { required: true, max: 255 });
    input.done();
    const loc = this.locateBus(ctx, name);
    const bus = this.bus(loc);
    await this.authorize(ctx, 'events:PutPermission', loc.arn, loc.accountId, bus?.policy);
    if (!bus) throw busNotFound(loc.name);

    if (policy !== undefined) {
      if (action !== undefined || principal !== undefined || sid !== undefined || condition !== undefined) {
        throw validation('Policy cannot be combined with Action, Principal, StatementId or Condition.');
      }
      if (policy.length > MAX_POLICY_LENGTH) throw new AwsError('PolicyLengthExceededException', 'The event bus policy is too long.', 400);
      let doc: unknown;
      try {
        doc = JSON.parse(policy);
      } catch {
        throw validation('Policy is not valid JSON.');
      }
      if (!isObject(doc) || doc.Statement === undefined) throw validation('Policy must be a JSON object with a Statement.');
      bus.policy = policy;
      bus.modifiedAt = ctx.now;
      return {};
    }
    if (action === undefined || principal === undefined || sid === undefined) {
      throw validation('Parameter(s) Action, Principal and StatementId must be specified when Policy is not.');
    }
    if (condition !== undefined && (cType !== 'StringEquals' || cKey !== 'aws:PrincipalOrgID')) {
      throw validation('Condition must be of Type StringEquals with Key aws:PrincipalOrgID.');
    }
    const statement: JsonObject = {
      Sid: sid,
      Effect: 'Allow',
      Principal: principal === '*' ? '*' : { AWS: `arn:aws:iam::${principal}:root` },
      Action: action,
      Resource: bus.arn,
      ...(condition !== undefined ? { Condition: { [cType ?? 'StringEquals']: { [cKey ?? '']: cValue ?? '' } } } : {}),
    };
    const current = bus.policy === undefined ? [] : this.statements(bus.policy);
    if (current.some((s) => s.Sid === sid)) throw new AwsError('ResourceAlreadyExistsException', 'Statement with the provided id already exists.', 400);
    bus.policy = JSON.stringify({ Version: '2012-10-17', Statement: [...current, statement] });
    bus.modifiedAt = ctx.now;
    return {};
  }

  private statements(policy: string): JsonObject[] {
    try {
      const doc: unknown = JSON.parse(policy);
      if (!isObject(doc)) return [];
      const s = doc.Statement;
      return (Array.isArray(s) ? s : [s]).filter(isObject);
    } catch {
      return [];
    }
  }

  private async removePermission(ctx: Ctx, input: Input): Promise<JsonObject> {
    const sid = input.string('StatementId', { min: 1, max: 64, pattern: /^[a-zA-Z0-9-_]+$/ });
    const all = input.boolean('RemoveAllPermissions') ?? false;
    const name = this.busName(input);
    input.done();
    const loc = this.locateBus(ctx, name);
    const bus = this.bus(loc);
    await this.authorize(ctx, 'events:RemovePermission', loc.arn, loc.accountId, bus?.policy);
    if (!bus) throw busNotFound(loc.name);
    if (!all && sid === undefined) throw validation('Parameter(s) StatementId or RemoveAllPermissions must be specified.');
    if (bus.policy === undefined) throw new AwsError('ResourceNotFoundException', 'EventBus does not have a policy.', 400);
    if (all) {
      delete bus.policy;
    } else {
      const current = this.statements(bus.policy);
      const rest = current.filter((s) => s.Sid !== sid);
      if (rest.length === current.length) throw new AwsError('ResourceNotFoundException', 'Statement with the provided id does not exist.', 400);
      if (rest.length === 0) delete bus.policy;
      else bus.policy = JSON.stringify({ Version: '2012-10-17', Statement: rest });
    }
    bus.modifiedAt = ctx.now;
    return {};
  }

  // ---- rules ----

  private ruleLoc(ctx: Ctx, input: Input, member = 'Name'): { name: string; bus: Located; arn: string } {
    const name = input.string(member, { required: true, min: 1, max: 64, pattern: RULE_NAME_PATTERN }) ?? '';
    const bus = this.locateBus(ctx, this.busName(input));
    return { name, bus, arn: ruleArn(bus.region, bus.accountId, bus.name, name) };
  }

  private async putRule(ctx: Ctx, input: Input): Promise<JsonObject> {
    const { name, bus: loc, arn } = this.ruleLoc(ctx, input);
    const schedule = input.string('ScheduleExpression', { max: 256 });
    const patternText = input.string('EventPattern', { max: 4096 });
    const state = (input.string('State', { enumValues: RULE_STATES }) ?? 'ENABLED') as RuleState;
    const description = input.string('Description', { max: 512 });
    const roleArn = input.string('RoleArn', { min: 1, max: 1600 });
    const tags = tagsOf(input, 'Tags') ?? [];
    input.done();
    if (schedule === undefined && patternText === undefined) throw validation('Parameter(s) EventPattern or ScheduleExpression must be specified.');
    let compiled: CompiledPattern | undefined;
    if (patternText !== undefined) {
      try {
        compiled = compileEventPattern(patternText);
      } catch (e) {
        throw patternError(e);
      }
    }
    if (schedule !== undefined) {
      if (!validScheduleExpression(schedule)) throw validation('Parameter ScheduleExpression is not valid.');
      if (loc.name !== DEFAULT_BUS) throw validation('ScheduleExpression is supported only on the default event bus.');
    }
    const bus = this.bus(loc);
    const context: Context = { 'events:creatorAccount': ctx.accountId };
    if (compiled) {
      const sources = literalStrings(compiled, 'source');
      const types = literalStrings(compiled, 'detail-type');
      if (sources.length > 0) context['events:source'] = sources;
      if (types.length > 0) context['events:detail-type'] = types;
    }
    await this.authorize(ctx, 'events:PutRule', arn, loc.accountId, bus?.policy, context);
    if (!bus) throw busNotFound(loc.name);
    const key = ruleKey(loc.accountId, loc.region, loc.name, name);
    const existing = this.rules.get(key);
    const rule: Rule = {
      accountId: loc.accountId,
      region: loc.region,
      busName: loc.name,
      name,
      arn,
      ...(patternText !== undefined ? { eventPattern: patternText } : {}),
      ...(schedule !== undefined ? { scheduleExpression: schedule } : {}),
      state,
      ...(description !== undefined ? { description } : {}),
      ...(roleArn !== undefined ? { roleArn } : {}),
      createdBy: existing?.createdBy ?? ctx.accountId,
      createdAt: existing?.createdAt ?? ctx.now,
      tags: existing?.tags ?? tags,
      targets: existing?.targets ?? [],
    };
    this.rules.set(key, rule);
    if (compiled) this.compiled.set(key, compiled);
    else this.compiled.delete(key);
    return { RuleArn: arn };
  }

  private renderRule(r: Rule, full: boolean): JsonObject {
    return {
      Name: r.name,
      Arn: r.arn,
      ...(r.eventPattern !== undefined ? { EventPattern: r.eventPattern } : {}),
      ...(r.scheduleExpression !== undefined ? { ScheduleExpression: r.scheduleExpression } : {}),
      State: r.state,
      ...(r.description !== undefined ? { Description: r.description } : {}),
      ...(r.roleArn !== undefined ? { RoleArn: r.roleArn } : {}),
      EventBusName: r.busName,
      ...(full ? { CreatedBy: r.createdBy } : {}),
    };
  }

  /** Authorizes `action` on the rule, then returns it (ResourceNotFoundException when it does not exist). */
  private async existingRule(ctx: Ctx, action: string, loc: { name: string; bus: Located; arn: string }): Promise<Rule> {
    const bus = this.bus(loc.bus);
    await this.authorize(ctx, action, loc.arn, loc.bus.accountId, bus?.policy);
    if (!bus) throw busNotFound(loc.bus.name);
    const rule = this.ruleAt(loc.bus, loc.name);
    if (!rule) throw ruleNotFound(loc.name, loc.bus.name);
    return rule;
  }

  private async describeRule(ctx: Ctx, input: Input): Promise<JsonObject> {
    const loc = this.ruleLoc(ctx, input);
    input.done();
    return this.renderRule(await this.existingRule(ctx, 'events:DescribeRule', loc), true);
  }

  private async listRules(ctx: Ctx, input: Input): Promise<JsonObject> {
    const prefix = input.string('NamePrefix', { min: 1, max: 64, pattern: RULE_NAME_PATTERN });
    const loc = this.locateBus(ctx, this.busName(input));
    const token = input.string('NextToken', { min: 1, max: 2048 });
    const limit = input.integer('Limit', { min: 1, max: 100 });
    input.done();
    const bus = this.bus(loc);
    await this.authorize(ctx, 'events:ListRules', '*', loc.accountId, bus?.policy);
    if (!bus) throw busNotFound(loc.name);
    const all = this.rulesOf(bus)
      .filter((r) => prefix === undefined || r.name.startsWith(prefix))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const p = page(all, limit, token);
    return { Rules: p.items.map((r) => this.renderRule(r, false)), ...(p.nextToken !== undefined ? { NextToken: p.nextToken } : {}) };
  }

  private async deleteRule(ctx: Ctx, input: Input): Promise<JsonObject> {
    const loc = this.ruleLoc(ctx, input);
    input.boolean('Force');
    input.done();
    const bus = this.bus(loc.bus);
    await this.authorize(ctx, 'events:DeleteRule', loc.arn, loc.bus.accountId, bus?.policy);
    const rule = this.ruleAt(loc.bus, loc.name);
    // Deleting a rule that does not exist succeeds (DeleteRule is idempotent).
    if (!rule) return {};
    if (rule.targets.length > 0) throw validation("Rule can't be deleted since it has targets.");
    const key = ruleKey(rule.accountId, rule.region, rule.busName, rule.name);
    this.rules.delete(key);
    this.compiled.delete(key);
    return {};
  }

  private async setRuleState(ctx: Ctx, input: Input, op: 'EnableRule' | 'DisableRule', state: RuleState): Promise<JsonObject> {
    const loc = this.ruleLoc(ctx, input);
    input.done();
    const rule = await this.existingRule(ctx, `events:${op}`, loc);
    rule.state = state;
    return {};
  }

  private async listRuleNamesByTarget(ctx: Ctx, input: Input): Promise<JsonObject> {
    const targetArn = input.string('TargetArn', { required: true, min: 1, max: 1600 }) ?? '';
    const loc = this.locateBus(ctx, this.busName(input));
    const token = input.string('NextToken', { min: 1, max: 2048 });
    const limit = input.integer('Limit', { min: 1, max: 100 });
    input.done();
    const bus = this.bus(loc);
    await this.authorize(ctx, 'events:ListRuleNamesByTarget', '*', loc.accountId, bus?.policy);
    if (!bus) throw busNotFound(loc.name);
    const names = this.rulesOf(bus)
      .filter((r) => r.targets.some((t) => t.Arn === targetArn))
      .map((r) => r.name)
      .sort();
    const p = page(names, limit, token);
    return { RuleNames: p.items, ...(p.nextToken !== undefined ? { NextToken: p.nextToken } : {}) };
  }

  // ---- targets ----

  private async putTargets(ctx: Ctx, input: Input, body: JsonObject, problems: string[]): Promise<JsonObject> {
    const loc = this.ruleLoc(ctx, input, 'Rule');
    const rawTargets = Array.isArray(body.Targets) ? body.Targets : [];
    let index = 0;
    const targets =
      input.structList('Targets', { required: true, minItems: 1, maxItems: 10 }, (el) => {
        const raw = rawTargets[index] as JsonObject;
        index++;
        return readTarget(el, raw, `targets.${index}.member`, problems);
      }) ?? [];
    input.done();
    for (const t of targets) checkTarget(t);
    const bus = this.bus(loc.bus);
    await this.authorize(ctx, 'events:PutTargets', loc.arn, loc.bus.accountId, bus?.policy, { 'events:TargetArn': targets.map((t) => t.Arn) });
    if (!bus) throw busNotFound(loc.bus.name);
    const rule = this.ruleAt(loc.bus, loc.name);
    if (!rule) throw ruleNotFound(loc.name, loc.bus.name);
    const merged = [...rule.targets];
    for (const t of targets) {
      const at = merged.findIndex((x) => x.Id === t.Id);
      if (at >= 0) merged[at] = t;
      else merged.push(t);
    }
    if (merged.length > MAX_TARGETS_PER_RULE) throw new AwsError('LimitExceededException', 'The requested resource exceeds the maximum number allowed.', 400);
    rule.targets = merged;
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  private async listTargetsByRule(ctx: Ctx, input: Input): Promise<JsonObject> {
    const loc = this.ruleLoc(ctx, input, 'Rule');
    const token = input.string('NextToken', { min: 1, max: 2048 });
    const limit = input.integer('Limit', { min: 1, max: 100 });
    input.done();
    const rule = await this.existingRule(ctx, 'events:ListTargetsByRule', loc);
    const p = page(rule.targets, limit, token);
    return { Targets: p.items.map(renderTarget), ...(p.nextToken !== undefined ? { NextToken: p.nextToken } : {}) };
  }

  private async removeTargets(ctx: Ctx, input: Input): Promise<JsonObject> {
    const loc = this.ruleLoc(ctx, input, 'Rule');
    const ids = input.stringList('Ids', { required: true, minItems: 1, maxItems: 100, item: { min: 1, max: 64, pattern: /^[.\-_A-Za-z0-9]+$/ } }) ?? [];
    input.boolean('Force');
    input.done();
    const rule = await this.existingRule(ctx, 'events:RemoveTargets', loc);
    rule.targets = rule.targets.filter((t) => !ids.includes(t.Id));
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  // ---- events ----

  private async putEvents(ctx: Ctx, input: Input, body: JsonObject): Promise<JsonObject> {
    interface EntryIn {
      source?: string;
      detailType?: string;
      detail?: string;
      resources?: string[];
      busName?: string;
      time?: number;
    }
    const rawEntries = Array.isArray(body.Entries) ? body.Entries : [];
    let index = 0;
    const entries =
      input.structList('Entries', { required: true, minItems: 1, maxItems: 10 }, (el): EntryIn => {
        const raw = rawEntries[index] as JsonObject;
        index++;
        const time = raw.Time;
        let ms: number | undefined;
        if (typeof time === 'number') ms = time * 1000;
        else if (typeof time === 'string') {
          ms = /^\d+(\.\d+)?$/.test(time) ? Number(time) * 1000 : Date.parse(time);
          if (Number.isNaN(ms)) throw new AwsError('SerializationException', `Time ${time} is not a valid timestamp.`, 400);
        } else if (time !== undefined && time !== null) throw new AwsError('SerializationException', 'Time must be a timestamp.', 400);
        el.string('TraceHeader', { min: 1, max: 500 });
        const source = el.string('Source');
        const detailType = el.string('DetailType');
        const detail = el.string('Detail');
        const resources = el.stringList('Resources', { item: { max: 2048 } });
        const busName = el.string('EventBusName', { min: 1, max: 1600, pattern: BUS_NAME_OR_ARN_PATTERN });
        return {
          ...(source !== undefined ? { source } : {}),
          ...(detailType !== undefined ? { detailType } : {}),
          ...(detail !== undefined ? { detail } : {}),
          ...(resources !== undefined ? { resources } : {}),
          ...(busName !== undefined ? { busName } : {}),
          ...(ms !== undefined ? { time: ms } : {}),
        };
      }) ?? [];
    input.string('EndpointId', { min: 1, max: 50 });
    input.done();

    let size = 0;
    for (const e of entries) {
      if (e.time !== undefined) size += 14;
      size += Buffer.byteLength(e.source ?? '') + Buffer.byteLength(e.detailType ?? '') + Buffer.byteLength(e.detail ?? '');
      for (const r of e.resources ?? []) size += Buffer.byteLength(r);
    }
    if (size > MAX_ENTRIES_BYTES) throw validation('Total size of the entries in the request is over the limit.');

    type Outcome = { ok: true; event: JsonObject; bus: Bus } | { ok: false; code: string; message: string };
    const outcomes: Outcome[] = [];
    let firstDenied: AwsError | undefined;
    for (const e of entries) {
      const missing = e.source === undefined ? 'Source' : e.detailType === undefined ? 'DetailType' : e.detail === undefined ? 'Detail' : undefined;
      if (missing !== undefined) {
        outcomes.push({ ok: false, code: 'InvalidArgument', message: `Parameter ${missing} is not valid. Reason: ${missing} is a required argument.` });
        continue;
      }
      const source = e.source ?? '';
      const detailType = e.detailType ?? '';
      const loc = this.locateBus(ctx, e.busName);
      const bus = this.bus(loc);
      const d = await this.decide(ctx.principal, 'events:PutEvents', loc.arn, loc.accountId, bus?.policy, {
        'events:source': [source],
        'events:detail-type': [detailType],
      });
      if (!d.allowed) {
        const err = accessDenied(ctx.principal, 'events:PutEvents', loc.arn, d, loc.accountId !== ctx.accountId);
        firstDenied ??= err;
        outcomes.push({ ok: false, code: 'AccessDeniedException', message: err.message });
        continue;
      }
      if (!bus) {
        outcomes.push({ ok: false, code: 'ResourceNotFoundException', message: `Event bus ${loc.name} does not exist.` });
        continue;
      }
      let detail: unknown;
      try {
        detail = JSON.parse(e.detail ?? '');
      } catch {
        detail = undefined;
      }
      if (!isObject(detail)) {
        outcomes.push({ ok: false, code: 'MalformedDetail', message: 'Detail is malformed.' });
        continue;
      }
      if (source.startsWith('aws.')) {
        outcomes.push({ ok: false, code: 'NotAuthorizedForSourceException', message: 'Not authorized for the source.' });
        continue;
      }
      const event: JsonObject = {
        version: '0',
        id: randomUUID(),
        'detail-type': detailType,
        source,
        account: ctx.accountId,
        time: eventTime(e.time ?? ctx.now),
        region: bus.region,
        resources: e.resources ?? [],
        detail,
      };
      outcomes.push({ ok: true, event, bus });
    }
    if (firstDenied !== undefined && outcomes.every((o) => !o.ok && o.code === 'AccessDeniedException')) throw firstDenied;
    for (const o of outcomes) if (o.ok) this.ingest(o.bus, o.event as Json, ctx.now, false);
    return {
      FailedEntryCount: outcomes.filter((o) => !o.ok).length,
      Entries: outcomes.map((o) => (o.ok ? { EventId: o.event.id } : { ErrorCode: o.code, ErrorMessage: o.message })),
    };
  }

  /** Matches an event against the bus's enabled rules and queues a delivery per target of each matching rule. */
  private ingest(bus: Bus, event: Json, ingestedAt: number, fromAnotherBus: boolean): void {
    const eventJson = JSON.stringify(event);
    for (const rule of this.rulesOf(bus)) {
      if (rule.state === 'DISABLED') continue;
      const pattern = this.compiledPattern(rule);
      if (!pattern || !matchesCompiled(pattern, event)) continue;
      for (const t of rule.targets) {
        if (fromAnotherBus && parseBusArn(t.Arn) !== undefined) {
          this.dispatcher.stats.skippedBusHops++;
          continue;
        }
        const sqs = t.SqsParameters?.MessageGroupId;
        this.dispatcher.enqueue({
          eventJson,
          input: this.targetInput(t, rule, event, eventJson, ingestedAt),
          targetId: t.Id,
          targetArn: t.Arn,
          ...(t.RoleArn !== undefined ? { roleArn: t.RoleArn } : {}),
          ...(sqs !== undefined ? { parameters: { MessageGroupId: sqs } } : {}),
          maxRetryAttempts: t.RetryPolicy?.MaximumRetryAttempts ?? DEFAULT_MAX_RETRY_ATTEMPTS,
          maxEventAgeSeconds: t.RetryPolicy?.MaximumEventAgeInSeconds ?? DEFAULT_MAX_EVENT_AGE_SECONDS,
          ...(t.DeadLetterConfig?.Arn !== undefined ? { deadLetterArn: t.DeadLetterConfig.Arn } : {}),
          ruleArn: rule.arn,
          ruleAccount: rule.accountId,
          ingestedAt,
        });
      }
    }
  }

  private targetInput(t: Target, rule: Rule, event: Json, eventJson: string, ingestedAt: number): string {
    if (t.Input !== undefined) return t.Input;
    if (t.InputPath !== undefined) {
      const v = evaluateJsonPath(event, t.InputPath);
      return v === undefined ? '' : JSON.stringify(v);
    }
    if (t.InputTransformer !== undefined) {
      return renderTemplate(t.InputTransformer.InputTemplate, t.InputTransformer.InputPathsMap ?? {}, {
        event,
        ruleArn: rule.arn,
        ruleName: rule.name,
        ingestionTime: ingestedAt,
      });
    }
    return eventJson;
  }

  /**
   * The `events` receiver of the kernel's TargetRouter: an event bus as a rule's (or a schedule's) target. With
   * `parameters.DetailType` and `parameters.Source` (EventBridge Scheduler) the input is the detail of a new event;
   * otherwise it is the event itself, put on the receiving bus as it is.
   */
  async deliver(d: TargetDelivery): Promise<DeliveryResult> {
    const loc = parseBusArn(d.arn);
    if (!loc) return { ok: false, code: 'ResourceNotFoundException', message: `${d.arn} is not an event bus.`, retryable: false };
    const bus = this.bus(loc);
    if (!bus) return { ok: false, code: 'ResourceNotFoundException', message: `Event bus ${loc.name} does not exist.`, retryable: false };

    let event: JsonObject;
    let hopped = false;
    const params = d.parameters ?? {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(d.input);
    } catch {
      parsed = undefined;
    }
    if (typeof params.DetailType === 'string' && typeof params.Source === 'string') {
      if (!isObject(parsed)) return { ok: false, code: 'MalformedDetail', message: 'Detail is malformed.', retryable: false };
      event = {
        version: '0',
        id: randomUUID(),
        'detail-type': params.DetailType,
        source: params.Source,
        account: d.sourceAccount,
        time: eventTime(this.kernel.now()),
        region: bus.region,
        resources: [d.sourceArn],
        detail: parsed,
      };
    } else if (isObject(parsed) && typeof parsed.source === 'string' && typeof parsed['detail-type'] === 'string' && isObject(parsed.detail)) {
      event = parsed;
      hopped = d.via === 'events.amazonaws.com';
    } else {
      return { ok: false, code: 'InvalidArgument', message: 'The input is not an event: it needs source, detail-type and detail.', retryable: false };
    }

    const context: Context = {
      'events:source': [String(event.source)],
      'events:detail-type': [String(event['detail-type'])],
      'aws:SourceArn': d.sourceArn,
      'aws:SourceAccount': d.sourceAccount,
    };
    let principal: Principal;
    let decision: AuthzDecision;
    if (d.roleArn !== undefined) {
      let accessKeyId: string;
      try {
        const session = await this.kernel.serviceSession({
          roleArn: d.roleArn,
          service: d.via,
          sessionName: `events-${randomUUID().slice(0, 8)}`,
          sourceArn: d.sourceArn,
          sourceAccount: d.sourceAccount,
        });
        accessKeyId = session.accessKeyId;
      } catch (e) {
        return { ok: false, code: 'AccessDenied', message: e instanceof Error ? e.message : String(e), retryable: false };
      }
      try {
        const record = this.kernel.credentials.lookup(accessKeyId);
        if (!record) return { ok: false, code: 'AccessDenied', message: `${d.via} could not assume ${d.roleArn}.`, retryable: false };
        principal = record.principal;
        decision = await this.decide(principal, 'events:PutEvents', bus.arn, bus.accountId, bus.policy, context);
      } finally {
        // The session served this one delivery; it leaves no credentials behind.
        this.kernel.credentials.remove(accessKeyId);
      }
    } else {
      // Without a role (the original cross-account model) the receiving bus's policy must allow the rule's account.
      principal = { kind: 'root', accountId: d.sourceAccount, arn: `arn:aws:iam::${d.sourceAccount}:root`, accessKeyId: '' };
      decision = await this.decide(principal, 'events:PutEvents', bus.arn, bus.accountId, bus.policy, context);
    }
    if (!decision.allowed) {
      const err = accessDenied(principal, 'events:PutEvents', bus.arn, decision, bus.accountId !== principal.accountId);
      return { ok: false, code: 'AccessDeniedException', message: err.message, retryable: false };
    }
    this.ingest(bus, event as Json, this.kernel.now(), hopped);
    return { ok: true, id: String(event.id) };
  }

  private async testEventPattern(ctx: Ctx, input: Input): Promise<JsonObject> {
    const patternText = input.string('EventPattern', { required: true, max: 4096 }) ?? '';
    const eventText = input.string('Event', { required: true }) ?? '';
    input.done();
    await this.authorize(ctx, 'events:TestEventPattern', '*', ctx.accountId, undefined);
    let compiled: CompiledPattern;
    try {
      compiled = compileEventPattern(patternText);
    } catch (e) {
      throw patternError(e);
    }
    let event: unknown;
    try {
      event = JSON.parse(eventText);
    } catch {
      throw validation('Parameter Event is not valid.');
    }
    const required = ['id', 'account', 'source', 'time', 'region', 'resources', 'detail-type'];
    if (!isObject(event) || required.some((k) => event[k] === undefined)) throw validation('Parameter Event is not valid.');
    return { Result: matchesCompiled(compiled, event) };
  }

  // ---- tags ----

  /** The bus or rule an ARN names, with its tag list. */
  private taggable(arn: string): { tags: Tag[]; accountId: string; set(tags: Tag[]): void; policy?: string } {
    const b = parseBusArn(arn);
    if (b) {
      const bus = this.bus(b);
      if (!bus) throw busNotFound(b.name);
      return { tags: bus.tags, accountId: bus.accountId, set: (t) => void (bus.tags = t), ...(bus.policy !== undefined ? { policy: bus.policy } : {}) };
    }
    const r = parseRuleArn(arn);
    const rule = r ? this.rules.get(ruleKey(r.accountId, r.region, r.busName, r.name)) : undefined;
    if (!r || !rule) throw new AwsError('ResourceNotFoundException', `Resource ${arn} does not exist.`, 400);
    return { tags: rule.tags, accountId: rule.accountId, set: (t) => void (rule.tags = t) };
  }

  private async tagResource(ctx: Ctx, input: Input): Promise<JsonObject> {
    const arn = input.string('ResourceARN', { required: true, min: 1, max: 1600 }) ?? '';
    const tags = tagsOf(input, 'Tags') ?? [];
    input.done();
    const owner = parseBusArn(arn)?.accountId ?? parseRuleArn(arn)?.accountId ?? ctx.accountId;
    await this.authorize(ctx, 'events:TagResource', arn, owner, undefined, { 'aws:TagKeys': tags.map((t) => t.Key) });
    const res = this.taggable(arn);
    res.set(mergeTags(res.tags, tags));
    return {};
  }

  private async untagResource(ctx: Ctx, input: Input): Promise<JsonObject> {
    const arn = input.string('ResourceARN', { required: true, min: 1, max: 1600 }) ?? '';
    const keys = input.stringList('TagKeys', { required: true }) ?? [];
    input.done();
    const owner = parseBusArn(arn)?.accountId ?? parseRuleArn(arn)?.accountId ?? ctx.accountId;
    await this.authorize(ctx, 'events:UntagResource', arn, owner, undefined, { 'aws:TagKeys': keys });
    const res = this.taggable(arn);
    res.set(res.tags.filter((t) => !keys.includes(t.Key)));
    return {};
  }

  private async listTagsForResource(ctx: Ctx, input: Input): Promise<JsonObject> {
    const arn = input.string('ResourceARN', { required: true, min: 1, max: 1600 }) ?? '';
    input.done();
    const owner = parseBusArn(arn)?.accountId ?? parseRuleArn(arn)?.accountId ?? ctx.accountId;
    await this.authorize(ctx, 'events:ListTagsForResource', arn, owner, undefined);
    return { Tags: this.taggable(arn).tags.map((t) => ({ ...t })) };
  }
}

/** The sandbox's EventBridge service, for in-process use (`eventsOf(sb.services).idle()`). */
export function eventsOf(services: ReadonlyMap<ServiceName, SandboxService>): EventsService {
  const s = services.get('events');
  if (!(s instanceof EventsService)) throw new Error('the sandbox has no EventBridge service');
  return s;
}
