/**
 * The resource types of a synthesized stack and what loading each into the sandbox means: ONE table (LOADERS), type
 * -> phase + loader, or the reason the type is ignored. A type the table does not know is listed as unsupported in
 * the load report, never silently dropped. Loaders go through the sandbox's own APIs with the SDK clients and the
 * sandbox's admin credentials (as CloudFormation acts with the deployer's), in phases, so that what a resource refers
 * to exists first (roles before everything, a dead-letter queue before the queue that redrives to it, queues and
 * buses before the rules that target them, state machines before the schedules that start them).
 */
import { CreateEventBusCommand, EventBridgeClient, PutPermissionCommand, PutRuleCommand, PutTargetsCommand, ResourceAlreadyExistsException, type Target } from '@aws-sdk/client-eventbridge';
import { CreateScheduleCommand, SchedulerClient, ConflictException, type CreateScheduleCommandInput } from '@aws-sdk/client-scheduler';
import { CreateStateMachineCommand, SFNClient, StateMachineAlreadyExists } from '@aws-sdk/client-sfn';
import { CreateQueueCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BucketAlreadyOwnedByYou, CreateBucketCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { SETTABLE_ATTRIBUTES } from '../aws/services/sqs/attributes';
import type { CfnResource, CfnTemplate, DeploymentTarget, LocalFunction } from '../runner/template';
import { canonicalJson, ensureSandboxRoles, sandboxPropagationMs, templateRoles, type TemplateRole } from '../runner/roles';
import { templateTables } from '../runner/tables';
import type { SandboxEndpoints } from '../runner/sandbox';
import { describeFunction, findStateMachine, physicalName, resolveValue, resourceArn } from '../runner/template';
import type { SqsEventSource } from './event-sources';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface LoadedResource {
  logicalId: string;
  type: string;
  /** Name, URL or ARN as the sandbox made it. */
  physicalId: string;
  arn?: string;
}

export interface LoadReport {
  stackName: string;
  loaded: LoadedResource[];
  /** Types the sandbox has no service for and the app's behaviour does not depend on locally. */
  ignored: Array<{ logicalId: string; type: string; reason: string }>;
  /** Resources that matter but are not reproduced (e.g. a custom resource): what a local deployment lacks. */
  unsupported: Array<{ logicalId: string; type: string; reason: string }>;
  /** Loaders that failed (the sandbox answered an error): the app is incomplete. */
  failed: Array<{ logicalId: string; type: string; error: string }>;
}

/** What the loaders share while loading one stack. */
export interface LoadContext {
  template: CfnTemplate;
  target: DeploymentTarget;
  assemblyDir: string;
  endpoints: SandboxEndpoints;
  report: LoadReport;
  clients: {
    sqs: SQSClient;
    events: EventBridgeClient;
    scheduler: SchedulerClient;
    sfn: SFNClient;
    s3: S3Client;
    dynamodb: DynamoDBClient;
  };
  /** Queue logical id -> what CreateQueue answered. */
  queues: Map<string, { name: string; url: string; arn: string }>;
  /** Bundled functions by logical id. */
  functions: Map<string, LocalFunction>;
  stateMachines: Map<string, { logicalId: string; name: string; arn: string; roleArn?: string }>;
  permissions: Array<{ functionArn: string; principal: string; sourceArn?: string; sourceAccount?: string }>;
  eventSources: SqsEventSource[];
  /** Milliseconds to wait for IAM propagation after the roles changed. */
  propagationMs: number;
}

type Loader = (ctx: LoadContext, resources: Array<[string, CfnResource]>) => Promise<void>;

type TableEntry = { phase: number; load: Loader } | { ignore: string } | { unsupported: string };

const errorText = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/** Resolves a property value; the template's queue URLs (Ref of a queue) become the sandbox's. */
function resolve(ctx: LoadContext, value: unknown): unknown {
  return replaceQueueUrls(ctx, resolveValue(value, ctx.template, ctx.target));
}

/** Replaces the template's idea of a queue URL (https://sqs.<region>.amazonaws.com/<acct>/<name>) with the sandbox's. */
export function replaceQueueUrls(ctx: Pick<LoadContext, 'queues' | 'template' | 'target'>, value: unknown): unknown {
  if (ctx.queues.size === 0) return value;
  const urls = new Map<string, string>();
  for (const [id, q] of ctx.queues) urls.set(resolveValue({ Ref: id }, ctx.template, ctx.target) as string, q.url);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      let s = v;
      for (const [from, to] of urls) if (s.includes(from)) s = s.split(from).join(to);
      return s;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value);
}

/** Runs `fn` per resource, recording it as loaded or failed. */
async function each(ctx: LoadContext, resources: Array<[string, CfnResource]>, fn: (id: string, r: CfnResource) => Promise<Omit<LoadedResource, 'logicalId' | 'type'> | undefined>): Promise<void> {
  for (const [id, r] of resources) {
    try {
      const loaded = await fn(id, r);
      if (loaded) ctx.report.loaded.push({ logicalId: id, type: r.Type, ...loaded });
    } catch (e) {
      ctx.report.failed.push({ logicalId: id, type: r.Type, error: errorText(e) });
    }
  }
}

const alreadyExists = (e: unknown, ...names: string[]) => e instanceof Error && names.includes(e.name);

// ---- IAM ------------------------------------------------------------------------------------------------

/**
 * Every role of the stack with its inline policies (`Policies`, the stack's `AWS::IAM::Policy` resources naming it)
 * and managed policy ARNs. The functions' roles come from the runner's templateRoles (so a run finds them unchanged);
 * the others (state machines', the scheduler's, custom resource providers') are built the same way here.
 */
function otherRoles(ctx: LoadContext, known: ReadonlySet<string>): TemplateRole[] {
  const { template, target } = ctx;
  const out: TemplateRole[] = [];
  for (const [logicalId, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::IAM::Role' || known.has(logicalId)) continue;
    const props = r.Properties ?? {};
    const roleName = physicalName(template, logicalId, target);
    const inlinePolicies: TemplateRole['inlinePolicies'] = [];
    for (const p of Array.isArray(props.Policies) ? props.Policies : []) {
      const doc = resolveValue(p, template, target);
      if (isRecord(doc) && typeof doc.PolicyName === 'string') inlinePolicies.push({ name: doc.PolicyName, document: canonicalJson(doc.PolicyDocument), source: `${logicalId}.Policies` });
    }
    for (const [policyId, p] of Object.entries(template.Resources)) {
      if (p.Type !== 'AWS::IAM::Policy') continue;
      const roles = [p.Properties?.Roles ?? []].flat();
      const names = roles.some((e) => (isRecord(e) && e.Ref === logicalId) || (() => {
        try {
          return resolveValue(e, template, target) === roleName;
        } catch {
          return false;
        }
      })());
      if (!names) continue;
      const name = resolveValue(p.Properties?.PolicyName, template, target);
      inlinePolicies.push({ name: String(name), document: canonicalJson(resolveValue(p.Properties?.PolicyDocument, template, target)), source: policyId });
    }
    const managed = resolveValue(props.ManagedPolicyArns ?? [], template, target);
    const tags = resolveValue(props.Tags ?? [], template, target);
    out.push({
      logicalId,
      roleName,
      path: typeof props.Path === 'string' ? props.Path : '/',
      arn: resourceArn(template, logicalId, target),
      trustPolicy: canonicalJson(resolveValue(props.AssumeRolePolicyDocument, template, target)),
      inlinePolicies: inlinePolicies.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      managedPolicyArns: Array.isArray(managed) ? managed.map(String).sort() : [],
      tags: Array.isArray(tags) ? (tags as Array<{ Key: string; Value: string }>).map((t) => ({ Key: String(t.Key), Value: String(t.Value) })) : [],
      functions: [],
    });
  }
  return out;
}

const loadRoles: Loader = async (ctx, resources) => {
  let roles: TemplateRole[];
  try {
    const fnRoles = templateRoles(ctx.template, ctx.target);
    roles = [...fnRoles, ...otherRoles(ctx, new Set(fnRoles.map((r) => r.logicalId)))];
  } catch (e) {
    for (const [id, r] of resources) ctx.report.failed.push({ logicalId: id, type: r.Type, error: errorText(e) });
    return;
  }
  try {
    const ensured = await ensureSandboxRoles(ctx.endpoints, roles);
    if (ensured.some((r) => r.outcome !== 'unchanged')) ctx.propagationMs = Math.max(ctx.propagationMs, 1);
    for (const r of ensured) ctx.report.loaded.push({ logicalId: r.logicalId, type: 'AWS::IAM::Role', physicalId: r.roleName, arn: r.arn });
  } catch (e) {
    for (const [id, r] of resources) ctx.report.failed.push({ logicalId: id, type: r.Type, error: errorText(e) });
  }
};

/** Folded into their roles (loadRoles): recorded as loaded with the role(s) they attach to. */
const loadPolicies: Loader = async (ctx, resources) => {
  await each(ctx, resources, async (_id, r) => {
    const roles = [r.Properties?.Roles ?? []].flat().map((e) => String(resolveValue(e, ctx.template, ctx.target)));
    // Put into the roles by loadRoles (inline policies of the roles it names).
    if (roles.length === 0) throw new Error('the policy names no role of the stack (policies of users and groups are not loaded)');
    return { physicalId: String(resolveValue(r.Properties?.PolicyName, ctx.template, ctx.target)) };
  });
};

// ---- storage ----------------------------------------------------------------------------------------------

const loadBuckets: Loader = async (ctx, resources) => {
  await each(ctx, resources, async (id) => {
    const Bucket = physicalName(ctx.template, id, ctx.target);
    try {
      await ctx.clients.s3.send(new CreateBucketCommand({ Bucket }));
    } catch (e) {
      if (!(e instanceof BucketAlreadyOwnedByYou) && !alreadyExists(e, 'BucketAlreadyOwnedByYou')) throw e;
    }
    return { physicalId: Bucket, arn: `arn:${ctx.target.partition}:s3:::${Bucket}` };
  });
};

const loadBucketPolicies: Loader = async (ctx, resources) => {
  await each(ctx, resources, async (_id, r) => {
    const Bucket = String(resolve(ctx, r.Properties?.Bucket));
    await ctx.clients.s3.send(new PutBucketPolicyCommand({ Bucket, Policy: JSON.stringify(resolve(ctx, r.Properties?.PolicyDocument)) }));
    return { physicalId: `policy of ${Bucket}` };
  });
};

const loadTables: Loader = async (ctx, resources) => {
  const inputs = new Map(templateTables(ctx.template, ctx.target).map((t) => [t.logicalId, t.input]));
  await each(ctx, resources, async (id) => {
    const input = inputs.get(id);
    if (!input) throw new Error('not a table');
    try {
      await ctx.clients.dynamodb.send(new CreateTableCommand(input));
    } catch (e) {
      if (!(e instanceof ResourceInUseException)) throw e;
    }
    const name = input.TableName ?? id;
    return { physicalId: name, arn: `arn:${ctx.target.partition}:dynamodb:${ctx.target.region}:${ctx.target.accountId}:table/${name}` };
  });
};

// ---- SQS ----------------------------------------------------------------------------------------------------

/** CloudFormation's AWS::SQS::Queue properties that are queue attributes. */
/** The AWS::SQS::Queue properties that are queue attributes (the sandbox's SQS: what CreateQueue takes; Policy is an
 * AWS::SQS::QueuePolicy of its own in a template). */
const QUEUE_ATTRIBUTES = SETTABLE_ATTRIBUTES.filter((a) => a !== 'Policy');

const loadQueues: Loader = async (ctx, resources) => {
  // A queue that redrives to another of the stack comes after it.
  const refersTo = (r: CfnResource) => JSON.stringify(r.Properties?.RedrivePolicy ?? null);
  const ordered = [...resources].sort(([a, ra], [b, rb]) => (refersTo(ra).includes(b) ? 1 : refersTo(rb).includes(a) ? -1 : 0));
  await each(ctx, ordered, async (id, r) => {
    const props = (resolve(ctx, r.Properties ?? {}) ?? {}) as Record<string, unknown>;
    const Attributes: Record<string, string> = {};
    for (const k of QUEUE_ATTRIBUTES) {
      const v = props[k];
      if (v === undefined) continue;
      Attributes[k] = isRecord(v) ? JSON.stringify(v) : String(v);
    }
    const QueueName = physicalName(ctx.template, id, ctx.target) + (props.FifoQueue === true && !String(props.QueueName ?? '').endsWith('.fifo') ? '.fifo' : '');
    const out = await ctx.clients.sqs.send(new CreateQueueCommand({ QueueName, Attributes }));
    const url = out.QueueUrl ?? '';
    const arn = `arn:${ctx.target.partition}:sqs:${ctx.target.region}:${ctx.target.accountId}:${QueueName}`;
    ctx.queues.set(id, { name: QueueName, url, arn });
    return { physicalId: url, arn };
  });
};

const loadQueuePolicies: Loader = async (ctx, resources) => {
  await each(ctx, resources, async (_id, r) => {
    const urls = resolve(ctx, r.Properties?.Queues ?? []);
    const Policy = JSON.stringify(resolve(ctx, r.Properties?.PolicyDocument));
    const list = Array.isArray(urls) ? urls.map(String) : [];
    for (const QueueUrl of list) await ctx.clients.sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy } }));
    return { physicalId: `policy of ${list.join(', ')}` };
  });
};

// ---- EventBridge -----------------------------------------------------------------------------------------

const loadEventBuses: Loader = async (ctx, resources) => {
  await each(ctx, resources, async (id, r) => {
    const Name = physicalName(ctx.template, id, ctx.target);
    const description = r.Properties?.Description;
    let arn = resourceArn(ctx.template, id, ctx.target);
    try {
      const out = await ctx.clients.events.send(new CreateEventBusCommand({ Name, ...(typeof description === 'string' ? { Description: description } : {}) }));
      arn = out.EventBusArn ?? arn;
    } catch (e) {
      if (!(e instanceof ResourceAlreadyExistsException) && !alreadyExists(e, 'ResourceAlreadyExistsException')) throw e;
    }
    // The bus's own Policy property is one resource policy, set as a whole (CloudFormation uses PutPermission with Policy).
    if (r.Properties?.Policy !== undefined) {
      await ctx.clients.events.send(new PutPermissionCommand({ EventBusName: Name, Policy: JSON.stringify(resolve(ctx, r.Properties.Policy)) }));
    }
    return { physicalId: Name, arn };
  });
};

/** AWS::Events::EventBusPolicy: one statement (or a whole Statement) added with PutPermission. */
const loadEventBusPolicies: Loader = async (ctx, resources) => {
  await each(ctx, resources, async (id, r) => {
    const p = (resolve(ctx, r.Properties ?? {}) ?? {}) as Record<string, unknown>;
    const EventBusName = typeof p.EventBusName === 'string' ? p.EventBusName : 'default';
    const StatementId = typeof p.StatementId === 'string' ? p.StatementId : id;
    if (isRecord(p.Statement)) {
      await ctx.clients.events.send(
        new PutPermissionCommand({ EventBusName, Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: StatementId, ...p.Statement }] }) }),
      );
    } else {
      await ctx.clients.events.send(
        new PutPermissionCommand({
          EventBusName,
          StatementId,
          Action: typeof p.Action === 'string' ? p.Action : 'events:PutEvents',
          Principal: String(p.Principal ?? '*'),
          ...(isRecord(p.Condition) ? { Condition: { Type: String(p.Condition.Type), Key: String(p.Condition.Key), Value: String(p.Condition.Value) } } : {}),
        }),
      );
    }
    return { physicalId: `${StatementId} on ${EventBusName}` };
  });
};

const loadRules: Loader = async (ctx, resources) => {
  await each(ctx, resources, async (id, r) => {
    const p = (resolve(ctx, r.Properties ?? {}) ?? {}) as Record<string, unknown>;
    const Name = physicalName(ctx.template, id, ctx.target);
    const EventBusName = typeof p.EventBusName === 'string' ? p.EventBusName : undefined;
    const out = await ctx.clients.events.send(
      new PutRuleCommand({
        Name,
        ...(EventBusName ? { EventBusName } : {}),
        ...(p.EventPattern !== undefined ? { EventPattern: typeof p.EventPattern === 'string' ? p.EventPattern : JSON.stringify(p.EventPattern) } : {}),
        ...(typeof p.ScheduleExpression === 'string' ? { ScheduleExpression: p.ScheduleExpression } : {}),
        ...(typeof p.State === 'string' ? { State: p.State as 'ENABLED' | 'DISABLED' } : {}),
        ...(typeof p.Description === 'string' ? { Description: p.Description } : {}),
        ...(typeof p.RoleArn === 'string' ? { RoleArn: p.RoleArn } : {}),
      }),
    );
    const targets = Array.isArray(p.Targets) ? (p.Targets as Target[]) : [];
    if (targets.length > 0) {
      const res = await ctx.clients.events.send(new PutTargetsCommand({ Rule: Name, ...(EventBusName ? { EventBusName } : {}), Targets: targets }));
      if ((res.FailedEntryCount ?? 0) > 0) throw new Error(`PutTargets failed: ${JSON.stringify(res.FailedEntries)}`);
    }
    return { physicalId: Name, arn: out.RuleArn ?? resourceArn(ctx.template, id, ctx.target) };
  });
};

// ---- Scheduler --------------------------------------------------------------------------------------------

const loadSchedules: Loader = async (ctx, resources) => {
  await each(ctx, resources, async (id, r) => {
    const p = (resolve(ctx, r.Properties ?? {}) ?? {}) as Record<string, unknown>;
    const Name = typeof p.Name === 'string' ? p.Name : physicalName(ctx.template, id, ctx.target);
    // CloudFormation's properties are the API's, except the dates (ISO strings there).
    const str = (k: string) => (typeof p[k] === 'string' ? { [k]: p[k] } : {});
    const input: CreateScheduleCommandInput = {
      Name,
      ScheduleExpression: String(p.ScheduleExpression ?? ''),
      FlexibleTimeWindow: (p.FlexibleTimeWindow ?? { Mode: 'OFF' }) as CreateScheduleCommandInput['FlexibleTimeWindow'],
      Target: p.Target as CreateScheduleCommandInput['Target'],
      ...str('GroupName'),
      ...str('ScheduleExpressionTimezone'),
      ...str('Description'),
      ...str('State'),
      ...str('KmsKeyArn'),
      ...str('ActionAfterCompletion'),
      ...(typeof p.StartDate === 'string' ? { StartDate: new Date(p.StartDate) } : {}),
      ...(typeof p.EndDate === 'string' ? { EndDate: new Date(p.EndDate) } : {}),
    };
    let arn = `arn:${ctx.target.partition}:scheduler:${ctx.target.region}:${ctx.target.accountId}:schedule/${typeof p.GroupName === 'string' ? p.GroupName : 'default'}/${Name}`;
    try {
      const out = await ctx.clients.scheduler.send(new CreateScheduleCommand(input));
      arn = out.ScheduleArn ?? arn;
    } catch (e) {
      if (!(e instanceof ConflictException) && !alreadyExists(e, 'ConflictException')) throw e;
    }
    return { physicalId: Name, arn };
  });
};

// ---- Step Functions ------------------------------------------------------------------------------------------

const loadStateMachines: Loader = async (ctx, resources) => {
  await each(ctx, resources, async (id, r) => {
    const sm = findStateMachine(ctx.template, id, ctx.target);
    const roleArn = r.Properties?.RoleArn !== undefined ? String(resolve(ctx, r.Properties.RoleArn)) : undefined;
    const type = r.Properties?.StateMachineType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD';
    let arn = sm.arn;
    try {
      const out = await ctx.clients.sfn.send(
        new CreateStateMachineCommand({ name: sm.name, definition: JSON.stringify(replaceQueueUrls(ctx, sm.definition)), roleArn, type }),
      );
      arn = out.stateMachineArn ?? arn;
    } catch (e) {
      if (!(e instanceof StateMachineAlreadyExists) && !alreadyExists(e, 'StateMachineAlreadyExists')) throw e;
    }
    ctx.stateMachines.set(id, { logicalId: id, name: sm.name, arn, ...(roleArn ? { roleArn } : {}) });
    return { physicalId: sm.name, arn };
  });
};

// ---- Lambda ---------------------------------------------------------------------------------------------------

const loadFunctions: Loader = async (ctx, resources) => {
  await each(ctx, resources, async (id) => {
    const fn = describeFunction(ctx.template, id, ctx.assemblyDir, ctx.target);
    ctx.functions.set(id, fn);
    return { physicalId: fn.functionName, arn: fn.arn };
  });
};

const loadPermissions: Loader = async (ctx, resources) => {
  await each(ctx, resources, async (_id, r) => {
    const p = (resolve(ctx, r.Properties ?? {}) ?? {}) as Record<string, unknown>;
    const name = String(p.FunctionName ?? '');
    const fn = [...ctx.functions.values()].find((f) => f.arn === name || f.functionName === name || name.startsWith(`${f.arn}:`));
    if (!fn) throw new Error(`function ${name} is not a bundled function of the stack`);
    ctx.permissions.push({
      functionArn: fn.arn,
      principal: String(p.Principal ?? ''),
      ...(typeof p.SourceArn === 'string' ? { sourceArn: p.SourceArn } : {}),
      ...(typeof p.SourceAccount === 'string' ? { sourceAccount: p.SourceAccount } : {}),
    });
    return { physicalId: `${String(p.Action ?? 'lambda:InvokeFunction')} for ${String(p.Principal)} on ${fn.functionName}` };
  });
};

const loadEventSourceMappings: Loader = async (ctx, resources) => {
  await each(ctx, resources, async (id, r) => {
    const p = (resolve(ctx, r.Properties ?? {}) ?? {}) as Record<string, unknown>;
    const sourceArn = String(p.EventSourceArn ?? '');
    const queue = [...ctx.queues.values()].find((q) => q.arn === sourceArn);
    if (!queue) {
      ctx.report.unsupported.push({ logicalId: id, type: r.Type, reason: `event source ${sourceArn || '(none)'} is not an SQS queue of the stack (only SQS event sources are run)` });
      return undefined;
    }
    const name = String(p.FunctionName ?? '');
    const fn = [...ctx.functions.values()].find((f) => f.arn === name || f.functionName === name);
    if (!fn) throw new Error(`function ${name} is not a bundled function of the stack`);
    const types = Array.isArray(p.FunctionResponseTypes) ? p.FunctionResponseTypes.map(String) : [];
    ctx.eventSources.push({
      logicalId: id,
      queueArn: queue.arn,
      queueUrl: queue.url,
      fn,
      batchSize: typeof p.BatchSize === 'number' ? p.BatchSize : 10,
      reportBatchItemFailures: types.includes('ReportBatchItemFailures'),
      enabled: p.Enabled !== false,
    });
    return { physicalId: `${queue.name} -> ${fn.functionName}` };
  });
};

// ---- the table ----------------------------------------------------------------------------------------------

const NO_LOGS = 'no CloudWatch Logs in the sandbox: the runner captures what functions write (run.logs, the sandbox console)';

export const LOADERS: Readonly<Record<string, TableEntry>> = {
  'AWS::IAM::Role': { phase: 1, load: loadRoles },
  'AWS::IAM::Policy': { phase: 1, load: loadPolicies },
  'AWS::S3::Bucket': { phase: 2, load: loadBuckets },
  'AWS::DynamoDB::Table': { phase: 2, load: loadTables },
  'AWS::SQS::Queue': { phase: 2, load: loadQueues },
  'AWS::Lambda::Function': { phase: 2, load: loadFunctions },
  'AWS::S3::BucketPolicy': { phase: 3, load: loadBucketPolicies },
  'AWS::SQS::QueuePolicy': { phase: 3, load: loadQueuePolicies },
  'AWS::Events::EventBus': { phase: 3, load: loadEventBuses },
  'AWS::Lambda::Permission': { phase: 3, load: loadPermissions },
  'AWS::Events::EventBusPolicy': { phase: 4, load: loadEventBusPolicies },
  'AWS::StepFunctions::StateMachine': { phase: 4, load: loadStateMachines },
  'AWS::Events::Rule': { phase: 5, load: loadRules },
  'AWS::Scheduler::Schedule': { phase: 5, load: loadSchedules },
  'AWS::Lambda::EventSourceMapping': { phase: 5, load: loadEventSourceMappings },
  'AWS::Logs::LogGroup': { ignore: NO_LOGS },
  'AWS::CloudWatch::Alarm': { ignore: 'no CloudWatch metrics or alarms in the sandbox' },
  'AWS::CDK::Metadata': { ignore: 'CDK bookkeeping' },
};

/** Loads every resource of the template, phase by phase; fills `ctx.report`. */
export async function loadResources(ctx: LoadContext): Promise<void> {
  const byType = new Map<string, Array<[string, CfnResource]>>();
  for (const [id, r] of Object.entries(ctx.template.Resources)) byType.set(r.Type, [...(byType.get(r.Type) ?? []), [id, r]]);
  const phases = new Map<number, Array<[Loader, Array<[string, CfnResource]>]>>();
  for (const [type, resources] of byType) {
    const entry = LOADERS[type];
    if (!entry) {
      const reason = type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource'
        ? 'a custom resource: its provider is not run at load (no CloudFormation deployment events locally)'
        : 'no loader for this resource type';
      for (const [id] of resources) ctx.report.unsupported.push({ logicalId: id, type, reason });
    } else if ('ignore' in entry) {
      for (const [id] of resources) ctx.report.ignored.push({ logicalId: id, type, reason: entry.ignore });
    } else if ('unsupported' in entry) {
      for (const [id] of resources) ctx.report.unsupported.push({ logicalId: id, type, reason: entry.unsupported });
    } else {
      phases.set(entry.phase, [...(phases.get(entry.phase) ?? []), [entry.load, resources]]);
    }
  }
  for (const phase of [...phases.keys()].sort((a, b) => a - b)) {
    // Loaders of one phase are independent of each other.
    await Promise.all(
      (phases.get(phase) ?? []).map(async ([load, resources]) => {
        const t = Date.now();
        await load(ctx, resources);
        if (process.env.LOCAL_APP_DEBUG) process.stderr.write(`[app] ${resources[0]?.[1].Type} x${resources.length}: ${Date.now() - t} ms\n`);
      }),
    );
    if (phase === 1 && ctx.propagationMs > 0) {
      // Roles changed: what trusts or uses them (the pollers' sessions, the first runs) waits for IAM propagation.
      ctx.propagationMs = await sandboxPropagationMs(ctx.endpoints);
      if (ctx.propagationMs > 0) await new Promise((r) => setTimeout(r, ctx.propagationMs + 50));
    }
  }
}
