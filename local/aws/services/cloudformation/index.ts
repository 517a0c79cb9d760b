/**
 * AWS CloudFormation for the local sandbox, read-only: the stacks of an app the sandbox runs, as a deployment would
 * have left them, for code that reads stack outputs (`aws cloudformation describe-stacks`, the SDK's
 * CloudFormationClient). Query protocol (Action=...&Version=2010-05-15, XML answers), signed for `cloudformation`.
 *
 * Stacks are put in-process by whoever loads the app: `putStack({stackName, outputs, parameters, resources, ...})`
 * creates (CREATE_COMPLETE) or updates (UPDATE_COMPLETE, same stack id) a stack; `deleteStack(name)` leaves it
 * DELETE_COMPLETE (still listed by ListStacks and found by its stack id, as on AWS; its name is free again).
 *
 * Served: DescribeStacks (by name or stack id; all live stacks without StackName), ListStacks (StackStatusFilter),
 * DescribeStackResources (StackName or PhysicalResourceId, LogicalResourceId), DescribeStackResource,
 * ListStackResources, GetTemplate, ListExports. Each call is authorized through the kernel with `cloudformation:<Op>`
 * on the stack ARN `arn:aws:cloudformation:<region>:<account>:stack/<name>/<id>` (`stack/<name>/*` for a name the
 * sandbox does not know, `stack/*` + `/*` for DescribeStacks without StackName; ListStacks and ListExports on `*`).
 * Not modelled: every write operation (CreateStack, UpdateStack, change sets, ...), stack sets, drift detection,
 * events (DescribeStackEvents), nested stacks, termination protection, stack policies.
 */
import { randomUUID } from 'node:crypto';
import { AwsError } from '../../core/errors';
import type { Kernel } from '../../core/kernel';
import { el, isoDate, members, opt, queryResponse, type XmlChild } from '../../core/protocol';
import { QueryInput, validationError } from '../../core/query';
import type { AuthzDecision, Principal, SandboxRequest, SandboxResponse, SandboxService, ServiceName } from '../../core/types';

const VERSION = '2010-05-15';
const STACK_NAME = /^[a-zA-Z][-a-zA-Z0-9]{0,127}$/;
const STACK_ID = /^arn:aws:cloudformation:([a-z0-9-]+):(\d{12}):stack\/([^/]+)\/(.+)$/;
const STATUSES = ['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'DELETE_COMPLETE'] as const;
const PAGE = 100;

export type StackStatus = (typeof STATUSES)[number];

export interface StackOutput {
  key: string;
  value: string;
  description?: string;
  exportName?: string;
}

export interface StackResource {
  logicalId: string;
  physicalId: string;
  /** e.g. AWS::Lambda::Function */
  type: string;
  /** Default CREATE_COMPLETE (UPDATE_COMPLETE after an update of the stack). */
  status?: string;
}

/** A stack as the app loader puts it (`putStack`). */
export interface PutStackInput {
  stackName: string;
  /** Default: the management account. */
  accountId?: string;
  /** Default: the sandbox's region. */
  region?: string;
  description?: string;
  outputs?: StackOutput[];
  parameters?: Record<string, string>;
  resources?: StackResource[];
  /** The template (JSON or YAML text) GetTemplate answers; by default a JSON template listing the resources. */
  templateBody?: string;
  tags?: Record<string, string>;
  /** e.g. CAPABILITY_IAM */
  capabilities?: string[];
}

export interface StackView {
  stackId: string;
  stackName: string;
  accountId: string;
  region: string;
  status: StackStatus;
  creationTime: number;
  lastUpdatedTime?: number;
  deletionTime?: number;
  description?: string;
  outputs: StackOutput[];
  parameters: Record<string, string>;
  resources: StackResource[];
  templateBody?: string;
  tags: Record<string, string>;
  capabilities: string[];
}

interface Ctx {
  principal: Principal;
  region: string;
  in: QueryInput;
}

type Handler = (c: Ctx) => Promise<XmlChild[] | undefined>;

const notFound = (id: string): AwsError => validationError(`Stack with id ${id} does not exist`);

function accessDenied(principal: Principal, action: string, resource: string, d: AuthzDecision): AwsError {
  const why = d.reason === 'ExplicitDeny' ? 'with an explicit deny' : `because no identity-based policy allows the ${action} action`;
  return new AwsError('AccessDenied', `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${resource} ${why}`, 403);
}

function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset }), 'utf8').toString('base64url');
}

function decodeToken(token: string | undefined): number {
  if (token === undefined) return 0;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'o' in parsed && typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0) return parsed.o;
  } catch {
    // fall through
  }
  throw validationError('Invalid NextToken');
}

function paged<T>(items: T[], token: string | undefined): { items: T[]; next: Xml | undefined } {
  const start = decodeToken(token);
  const end = start + PAGE;
  return { items: items.slice(start, end), next: end < items.length ? el('NextToken', encodeToken(end)) : undefined };
}
type Xml = ReturnType<typeof el>;

const driftStatus = (): Xml => el('DriftInformation', el('StackDriftStatus', 'NOT_CHECKED'));
const resourceDrift = (): Xml => el('DriftInformation', el('StackResourceDriftStatus', 'NOT_CHECKED'));

export class CloudFormationService implements SandboxService {
  readonly name = 'cloudformation' as const;
  readonly protocol = 'query' as const;
  /** Every stack, live and deleted, by stack id. */
  private readonly stacks = new Map<string, StackView>();
  private readonly handlers: Record<string, Handler> = {
    DescribeStacks: (c) => this.describeStacks(c),
    ListStacks: (c) => this.listStacks(c),
    DescribeStackResources: (c) => this.describeStackResources(c),
    DescribeStackResource: (c) => this.describeStackResource(c),
    ListStackResources: (c) => this.listStackResources(c),
    GetTemplate: (c) => this.getTemplate(c),
    ListExports: (c) => this.listExports(c),
  };

  constructor(readonly kernel: Kernel) {}

  // ---------------------------------------------------------------- in-process API

  /** Creates (CREATE_COMPLETE) or updates (UPDATE_COMPLETE, same stack id) a live stack of that name. */
  putStack(p: PutStackInput): StackView {
    if (!STACK_NAME.test(p.stackName)) throw new Error(`Invalid stack name "${p.stackName}": [a-zA-Z][-a-zA-Z0-9]*, at most 128 characters`);
    const accountId = p.accountId ?? this.kernel.accounts.managementAccountId;
    const region = p.region ?? this.kernel.region;
    const now = this.kernel.now();
    const existing = this.live(accountId, region, p.stackName);
    const stackId = existing?.stackId ?? `arn:aws:cloudformation:${region}:${accountId}:stack/${p.stackName}/${randomUUID()}`;
    const outputs = (p.outputs ?? []).map((o) => ({ ...o }));
    for (const o of outputs) {
      if (o.exportName === undefined) continue;
      const other = this.exports(accountId, region).find((x) => x.name === o.exportName && x.stackId !== stackId);
      if (other) throw new Error(`Export with name ${o.exportName} is already exported by stack ${other.stackName}`);
    }
    const status: StackStatus = existing ? 'UPDATE_COMPLETE' : 'CREATE_COMPLETE';
    const stack: StackView = {
      stackId,
      stackName: p.stackName,
      accountId,
      region,
      status,
      creationTime: existing?.creationTime ?? now,
      ...(existing ? { lastUpdatedTime: now } : {}),
      ...(p.description !== undefined ? { description: p.description } : {}),
      outputs,
      parameters: { ...(p.parameters ?? {}) },
      resources: (p.resources ?? []).map((r) => ({ ...r, status: r.status ?? status })),
      ...(p.templateBody !== undefined ? { templateBody: p.templateBody } : {}),
      tags: { ...(p.tags ?? {}) },
      capabilities: [...(p.capabilities ?? [])],
    };
    this.stacks.set(stackId, stack);
    return structuredClone(stack);
  }

  /** The live stack leaves as DELETE_COMPLETE (false when there is none of that name). */
  deleteStack(stackName: string, where: { accountId?: string; region?: string } = {}): boolean {
    const s = this.live(where.accountId ?? this.kernel.accounts.managementAccountId, where.region ?? this.kernel.region, stackName);
    if (!s) return false;
    s.status = 'DELETE_COMPLETE';
    s.deletionTime = this.kernel.now();
    return true;
  }

  /** A live stack by name (or any stack by id). */
  getStack(nameOrId: string, where: { accountId?: string; region?: string } = {}): StackView | undefined {
    const s = this.stacks.get(nameOrId) ?? this.live(where.accountId ?? this.kernel.accounts.managementAccountId, where.region ?? this.kernel.region, nameOrId);
    return s ? structuredClone(s) : undefined;
  }

  // ---------------------------------------------------------------- SandboxService

  operationName(req: SandboxRequest): string {
    return new QueryInput(req).action || 'Unknown';
  }

  async handle(req: SandboxRequest): Promise<SandboxResponse> {
    const input = new QueryInput(req);
    const action = input.action;
    const handler = Object.hasOwn(this.handlers, action) ? this.handlers[action] : undefined;
    if (!handler) throw new AwsError('InvalidAction', `Could not find operation ${action} for version ${input.params.get('Version') ?? VERSION}`, 400);
    const result = await handler({ principal: req.principal, region: req.region, in: input });
    return queryResponse('cloudformation', action, req.requestId, result);
  }

  snapshot(): unknown {
    return { version: 1, stacks: [...this.stacks.values()] };
  }

  restore(data: unknown): void {
    this.stacks.clear();
    if (typeof data !== 'object' || data === null || !('stacks' in data) || !Array.isArray(data.stacks)) return;
    for (const s of data.stacks as StackView[]) this.stacks.set(s.stackId, s);
  }

  inventory(accountId: string): Record<string, string[]> {
    const stacks = [...this.stacks.values()]
      .filter((s) => s.accountId === accountId && s.status !== 'DELETE_COMPLETE')
      .map((s) => `${s.region}/${s.stackName}`)
      .sort();
    return { stacks };
  }

  // ---------------------------------------------------------------- helpers

  private live(accountId: string, region: string, name: string): StackView | undefined {
    for (const s of this.stacks.values()) {
      if (s.accountId === accountId && s.region === region && s.stackName === name && s.status !== 'DELETE_COMPLETE') return s;
    }
    return undefined;
  }

  private exports(accountId: string, region: string): Array<{ name: string; value: string; stackId: string; stackName: string }> {
    const out: Array<{ name: string; value: string; stackId: string; stackName: string }> = [];
    for (const s of this.stacks.values()) {
      if (s.accountId !== accountId || s.region !== region || s.status === 'DELETE_COMPLETE') continue;
      for (const o of s.outputs) if (o.exportName !== undefined) out.push({ name: o.exportName, value: o.value, stackId: s.stackId, stackName: s.stackName });
    }
    return out;
  }

  private async authorize(c: Ctx, action: string, resource: string, resourceAccount: string): Promise<void> {
    const iam = `cloudformation:${action}`;
    const d = await this.kernel.authorize({ principal: c.principal, action: iam, resource, resourceAccount });
    if (!d.allowed) throw accessDenied(c.principal, iam, resource, d);
  }

  /** Authorizes `action` on the stack a StackName (name or stack id) means, then finds it. */
  private async locate(c: Ctx, action: string, nameOrId: string): Promise<StackView> {
    const id = STACK_ID.exec(nameOrId);
    if (id) {
      const [, region = '', accountId = ''] = id;
      await this.authorize(c, action, nameOrId, accountId);
      const s = region === c.region ? this.stacks.get(nameOrId) : undefined;
      if (!s) throw notFound(nameOrId);
      return s;
    }
    const accountId = c.principal.accountId;
    const s = this.live(accountId, c.region, nameOrId);
    await this.authorize(c, action, s?.stackId ?? `arn:aws:cloudformation:${c.region}:${accountId}:stack/${nameOrId}/*`, accountId);
    if (!s) throw notFound(nameOrId);
    return s;
  }

  private stackXml(s: StackView): Xml {
    return el(
      'member',
      el('StackId', s.stackId),
      el('StackName', s.stackName),
      opt('Description', s.description),
      members('Parameters', Object.entries(s.parameters), ([k, v]) => [el('ParameterKey', k), el('ParameterValue', v)]),
      el('CreationTime', isoDate(s.creationTime)),
      opt('LastUpdatedTime', s.lastUpdatedTime === undefined ? undefined : isoDate(s.lastUpdatedTime)),
      opt('DeletionTime', s.deletionTime === undefined ? undefined : isoDate(s.deletionTime)),
      el('RollbackConfiguration'),
      el('StackStatus', s.status),
      el('DisableRollback', false),
      el('NotificationARNs'),
      s.capabilities.length > 0 ? members('Capabilities', s.capabilities, (cap) => cap) : undefined,
      members('Outputs', s.outputs, (o) => [el('OutputKey', o.key), el('OutputValue', o.value), opt('Description', o.description), opt('ExportName', o.exportName)]),
      members('Tags', Object.entries(s.tags), ([k, v]) => [el('Key', k), el('Value', v)]),
      el('EnableTerminationProtection', false),
      driftStatus(),
    );
  }

  private resourceTime(s: StackView): string {
    return isoDate(s.lastUpdatedTime ?? s.creationTime);
  }

  // ---------------------------------------------------------------- operations

  private async describeStacks(c: Ctx): Promise<XmlChild[]> {
    const name = c.in.optional('StackName', { min: 1 });
    const token = c.in.optional('NextToken', { min: 1, max: 1024 });
    if (name !== undefined) {
      const s = await this.locate(c, 'DescribeStacks', name);
      return [el('Stacks', this.stackXml(s))];
    }
    const accountId = c.principal.accountId;
    await this.authorize(c, 'DescribeStacks', `arn:aws:cloudformation:${c.region}:${accountId}:stack/*/*`, accountId);
    const all = [...this.stacks.values()]
      .filter((s) => s.accountId === accountId && s.region === c.region && s.status !== 'DELETE_COMPLETE')
      .sort((a, b) => b.creationTime - a.creationTime);
    const page = paged(all, token);
    return [el('Stacks', page.items.map((s) => this.stackXml(s))), page.next];
  }

  private async listStacks(c: Ctx): Promise<XmlChild[]> {
    const filter = c.in.list('StackStatusFilter');
    const token = c.in.optional('NextToken', { min: 1, max: 1024 });
    const accountId = c.principal.accountId;
    await this.authorize(c, 'ListStacks', '*', accountId);
    const all = [...this.stacks.values()]
      .filter((s) => s.accountId === accountId && s.region === c.region && (filter.length === 0 || filter.includes(s.status)))
      .sort((a, b) => b.creationTime - a.creationTime);
    const page = paged(all, token);
    return [
      el(
        'StackSummaries',
        page.items.map((s) =>
          el(
            'member',
            el('StackId', s.stackId),
            el('StackName', s.stackName),
            opt('TemplateDescription', s.description),
            el('CreationTime', isoDate(s.creationTime)),
            opt('LastUpdatedTime', s.lastUpdatedTime === undefined ? undefined : isoDate(s.lastUpdatedTime)),
            opt('DeletionTime', s.deletionTime === undefined ? undefined : isoDate(s.deletionTime)),
            el('StackStatus', s.status),
            driftStatus(),
          ),
        ),
      ),
      page.next,
    ];
  }

  private async describeStackResources(c: Ctx): Promise<XmlChild[]> {
    const name = c.in.optional('StackName', { min: 1 });
    const physicalId = c.in.optional('PhysicalResourceId', { min: 1 });
    const logicalId = c.in.optional('LogicalResourceId');
    let s: StackView;
    if (name !== undefined) {
      s = await this.locate(c, 'DescribeStackResources', name);
    } else if (physicalId !== undefined) {
      const accountId = c.principal.accountId;
      const owner = [...this.stacks.values()].find(
        (x) => x.accountId === accountId && x.region === c.region && x.status !== 'DELETE_COMPLETE' && x.resources.some((r) => r.physicalId === physicalId),
      );
      await this.authorize(c, 'DescribeStackResources', owner?.stackId ?? `arn:aws:cloudformation:${c.region}:${accountId}:stack/*/*`, accountId);
      if (!owner) throw validationError(`Stack for ${physicalId} does not exist`);
      s = owner;
    } else {
      throw validationError('Either StackName or PhysicalResourceId must be specified.');
    }
    const resources = s.resources.filter((r) => (logicalId === undefined || r.logicalId === logicalId) && (physicalId === undefined || name !== undefined || r.physicalId === physicalId));
    return [
      el(
        'StackResources',
        resources.map((r) =>
          el(
            'member',
            el('StackName', s.stackName),
            el('StackId', s.stackId),
            el('LogicalResourceId', r.logicalId),
            el('PhysicalResourceId', r.physicalId),
            el('ResourceType', r.type),
            el('Timestamp', this.resourceTime(s)),
            el('ResourceStatus', s.status === 'DELETE_COMPLETE' ? 'DELETE_COMPLETE' : (r.status ?? 'CREATE_COMPLETE')),
            resourceDrift(),
          ),
        ),
      ),
    ];
  }

  private async describeStackResource(c: Ctx): Promise<XmlChild[]> {
    const name = c.in.required('StackName', { min: 1 });
    const logicalId = c.in.required('LogicalResourceId');
    const s = await this.locate(c, 'DescribeStackResource', name);
    const r = s.resources.find((x) => x.logicalId === logicalId);
    if (!r) throw validationError(`Resource ${logicalId} does not exist for stack ${name}`);
    return [
      el(
        'StackResourceDetail',
        el('StackName', s.stackName),
        el('StackId', s.stackId),
        el('LogicalResourceId', r.logicalId),
        el('PhysicalResourceId', r.physicalId),
        el('ResourceType', r.type),
        el('LastUpdatedTimestamp', this.resourceTime(s)),
        el('ResourceStatus', r.status ?? 'CREATE_COMPLETE'),
        resourceDrift(),
      ),
    ];
  }

  private async listStackResources(c: Ctx): Promise<XmlChild[]> {
    const name = c.in.required('StackName', { min: 1 });
    const token = c.in.optional('NextToken', { min: 1, max: 1024 });
    const s = await this.locate(c, 'ListStackResources', name);
    const page = paged(s.resources, token);
    return [
      el(
        'StackResourceSummaries',
        page.items.map((r) =>
          el(
            'member',
            el('LogicalResourceId', r.logicalId),
            el('PhysicalResourceId', r.physicalId),
            el('ResourceType', r.type),
            el('LastUpdatedTimestamp', this.resourceTime(s)),
            el('ResourceStatus', s.status === 'DELETE_COMPLETE' ? 'DELETE_COMPLETE' : (r.status ?? 'CREATE_COMPLETE')),
            resourceDrift(),
          ),
        ),
      ),
      page.next,
    ];
  }

  private async getTemplate(c: Ctx): Promise<XmlChild[]> {
    const name = c.in.optional('StackName', { min: 1 });
    c.in.optional('TemplateStage');
    if (c.in.optional('ChangeSetName') !== undefined) throw validationError('The sandbox models no change sets');
    if (name === undefined) throw validationError('Either StackName or ChangeSetName must be specified.');
    const s = await this.locate(c, 'GetTemplate', name);
    const body =
      s.templateBody ??
      JSON.stringify({
        ...(s.description !== undefined ? { Description: s.description } : {}),
        Resources: Object.fromEntries(s.resources.map((r) => [r.logicalId, { Type: r.type }])),
        Outputs: Object.fromEntries(s.outputs.map((o) => [o.key, { Value: o.value, ...(o.exportName !== undefined ? { Export: { Name: o.exportName } } : {}) }])),
      });
    return [el('TemplateBody', body), members('StagesAvailable', ['Original', 'Processed'], (x) => x)];
  }

  private async listExports(c: Ctx): Promise<XmlChild[]> {
    const token = c.in.optional('NextToken', { min: 1, max: 1024 });
    const accountId = c.principal.accountId;
    await this.authorize(c, 'ListExports', '*', accountId);
    const page = paged(
      this.exports(accountId, c.region).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      token,
    );
    return [el('Exports', page.items.map((x) => el('member', el('ExportingStackId', x.stackId), el('Name', x.name), el('Value', x.value)))), page.next];
  }
}

/** The CloudFormation service of a running sandbox (`sb.services`), for the app loader and tests. */
export function cloudFormationOf(services: ReadonlyMap<ServiceName, SandboxService>): CloudFormationService {
  const s = services.get('cloudformation');
  if (!(s instanceof CloudFormationService)) throw new Error('the sandbox has no CloudFormation service');
  return s;
}
