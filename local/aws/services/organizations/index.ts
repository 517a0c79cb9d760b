/**
 * AWS Organizations for the local sandbox (AWS JSON 1.1: POST /, X-Amz-Target: AWSOrganizationsV20161128.<Op>,
 * signed for service `organizations`; the real API lives in us-east-1). Read-only view of the kernel's
 * organization model (core/organization.ts); the tree is changed through the admin API (`/_sandbox/organization`,
 * `/_sandbox/accounts`).
 *
 * Who may call: an account outside the organization gets AWSOrganizationsNotInUseException; a member account other
 * than the management account may only call DescribeOrganization (as on AWS), everything else answers
 * AccessDeniedException "You don't have permissions to access this resource."; the management account's
 * principals are then authorized through the kernel's IAM evaluation with the real action names and resource ARNs
 * (`arn:aws:organizations::<mgmt>:account/<orgId>/<accountId>`, `.../ou/<orgId>/<ouId>`, `.../root/<orgId>/<rootId>`;
 * DescribeOrganization, ListRoots and ListAccounts take no resource: `*`).
 *
 * Served: DescribeOrganization, DescribeAccount (AccountNotFoundException), DescribeOrganizationalUnit
 * (OrganizationalUnitNotFoundException), ListRoots, ListParents (ChildNotFoundException), ListChildren,
 * ListOrganizationalUnitsForParent, ListAccounts, ListAccountsForParent (ParentNotFoundException), with
 * MaxResults / NextToken paging. Errors are HTTP 400 with the AWS codes; malformed ids are InvalidInputException.
 */
import { AwsError } from '../../core/errors';
import { parseJsonObject } from '../../core/protocol';
import type { Kernel } from '../../core/kernel';
import { isOuId, isRootId, type Organization } from '../../core/organization';
import type { Principal, SandboxRequest, SandboxResponse, SandboxService } from '../../core/types';

export const ORGANIZATIONS_TARGET_PREFIX = 'AWSOrganizationsV20161128.';

type JsonObject = Record<string, unknown>;
type Handler = (caller: Principal, input: JsonObject) => Promise<JsonObject>;

const NO_PERMISSION = "You don't have permissions to access this resource.";
const ACCOUNT_ID_RE = /^\d{12}$/;
const MAX_PAGE = 20;

const invalidInput = (message: string, reason = 'INVALID_PATTERN'): AwsError =>
  new AwsError('InvalidInputException', message, 400, 'Sender', { Reason: reason });

const parseBody = (body: Buffer): JsonObject => parseJsonObject(body);

function requiredString(input: JsonObject, member: string): string {
  const v = input[member];
  if (v === undefined || v === null) throw invalidInput(`You must specify a value for ${member}.`, 'INPUT_REQUIRED');
  if (typeof v !== 'string') throw new AwsError('SerializationException', `Unexpected value type for ${member}`, 400);
  return v;
}

const secs = (ms: number): number => Math.floor(ms / 1000);

function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

function page<T>(items: readonly T[], input: JsonObject): { items: T[]; nextToken?: string } {
  const max = input.MaxResults;
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > MAX_PAGE)) {
    throw invalidInput(`MaxResults must be an integer from 1 to ${MAX_PAGE}.`, 'INVALID_INPUT');
  }
  let start = 0;
  const token = input.NextToken;
  if (token !== undefined && token !== null) {
    try {
      const parsed: unknown = JSON.parse(Buffer.from(String(token), 'base64url').toString('utf8'));
      const o = typeof parsed === 'object' && parsed !== null && 'o' in parsed ? parsed.o : undefined;
      if (typeof o !== 'number' || !Number.isInteger(o) || o < 0) throw new Error('bad token');
      start = o;
    } catch {
      throw invalidInput('The specified pagination token is invalid.', 'INVALID_NEXT_TOKEN');
    }
  }
  const end = start + (typeof max === 'number' ? max : MAX_PAGE);
  return { items: items.slice(start, end), ...(end < items.length ? { nextToken: encodeToken(end) } : {}) };
}

export class OrganizationsService implements SandboxService {
  readonly name = 'organizations' as const;
  readonly protocol = 'json' as const;
  private readonly operations: Record<string, Handler> = {
    DescribeOrganization: (c) => this.describeOrganization(c),
    DescribeAccount: (c, i) => this.describeAccount(c, i),
    DescribeOrganizationalUnit: (c, i) => this.describeOrganizationalUnit(c, i),
    ListRoots: (c, i) => this.listRoots(c, i),
    ListParents: (c, i) => this.listParents(c, i),
    ListChildren: (c, i) => this.listChildren(c, i),
    ListOrganizationalUnitsForParent: (c, i) => this.listOusForParent(c, i),
    ListAccounts: (c, i) => this.listAccounts(c, i),
    ListAccountsForParent: (c, i) => this.listAccountsForParent(c, i),
  };

  constructor(private readonly kernel: Kernel) {}

  private get org(): Organization {
    return this.kernel.organization;
  }

  operationName(req: SandboxRequest): string {
    const target = req.headers['x-amz-target'];
    const t = Array.isArray(target) ? target[0] : target;
    return t?.startsWith(ORGANIZATIONS_TARGET_PREFIX) ? t.slice(ORGANIZATIONS_TARGET_PREFIX.length) : 'Unknown';
  }

  async handle(req: SandboxRequest): Promise<SandboxResponse> {
    const op = this.operationName(req);
    const handler = Object.hasOwn(this.operations, op) ? this.operations[op] : undefined;
    if (req.method !== 'POST' || handler === undefined) {
      throw new AwsError('UnknownOperationException', `The sandbox's Organizations does not implement ${op}.`, 400);
    }
    const out = await handler(req.principal, parseBody(req.body));
    return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify(out) };
  }

  /** The organization lives in the kernel snapshot. */
  snapshot(): unknown {
    return null;
  }

  restore(): void {}

  inventory(): Record<string, string[]> {
    return {};
  }

  // ---------------------------------------------------------------- authorization

  /**
   * Membership first (standalone: not in use; members: only DescribeOrganization), then IAM on `resource` in the
   * management account.
   */
  private async allow(caller: Principal, operation: string, resource: string, memberMayCall = false): Promise<void> {
    const org = this.org;
    if (!org.isMember(caller.accountId)) {
      throw new AwsError('AWSOrganizationsNotInUseException', 'Your account is not a member of an organization.', 400);
    }
    if (caller.accountId !== org.managementAccountId && !memberMayCall) throw new AwsError('AccessDeniedException', NO_PERMISSION, 400);
    const action = `organizations:${operation}`;
    // Organizations has no resource policies here: the decision is the caller's identity policies, in its own account
    // (a member's DescribeOrganization) or the management account (everything else).
    const d = await this.kernel.authorize({ principal: caller, action, resource, resourceAccount: caller.accountId });
    if (!d.allowed) {
      throw new AwsError(
        'AccessDeniedException',
        `${NO_PERMISSION} User: ${caller.arn} is not authorized to perform: ${action} on resource: ${resource}${d.reason === 'ExplicitDeny' ? ' with an explicit deny' : ''}`,
        400,
      );
    }
  }

  // ---------------------------------------------------------------- shapes

  private account(accountId: string): JsonObject {
    const org = this.org;
    const m = org.member(accountId);
    const management = accountId === org.managementAccountId;
    return {
      Id: accountId,
      Arn: org.accountArn(accountId),
      Email: `aws+${accountId}@sandbox.invalid`,
      Name: management ? 'management' : `sandbox-${accountId}`,
      Status: 'ACTIVE',
      State: 'ACTIVE',
      JoinedMethod: m?.joinedMethod ?? 'CREATED',
      JoinedTimestamp: secs(m?.joinedAt ?? org.createdAt),
    };
  }

  private ou(ouId: string): JsonObject {
    const info = this.org.ouInfo(ouId);
    return { Id: info.id, Arn: info.arn, Name: info.name };
  }

  private parentId(input: JsonObject): string {
    const id = requiredString(input, 'ParentId');
    if (!isRootId(id) && !isOuId(id)) throw invalidInput(`ParentId ${id} is not a root id (r-...) or an OU id (ou-...).`);
    if (!this.org.isParent(id)) throw new AwsError('ParentNotFoundException', "You specified a parent that doesn't exist.", 400);
    return id;
  }

  // ---------------------------------------------------------------- operations

  private async describeOrganization(caller: Principal): Promise<JsonObject> {
    await this.allow(caller, 'DescribeOrganization', '*', true);
    const org = this.org;
    return {
      Organization: {
        Id: org.id,
        Arn: org.arn,
        FeatureSet: 'ALL',
        MasterAccountArn: org.accountArn(org.managementAccountId),
        MasterAccountId: org.managementAccountId,
        MasterAccountEmail: `aws+${org.managementAccountId}@sandbox.invalid`,
        AvailablePolicyTypes: [],
      },
    };
  }

  private async describeAccount(caller: Principal, input: JsonObject): Promise<JsonObject> {
    const accountId = requiredString(input, 'AccountId');
    if (!ACCOUNT_ID_RE.test(accountId)) throw invalidInput(`AccountId ${accountId} must be 12 digits.`);
    await this.allow(caller, 'DescribeAccount', this.org.accountArn(accountId));
    if (!this.org.isMember(accountId)) throw new AwsError('AccountNotFoundException', "You specified an account that doesn't exist.", 400);
    return { Account: this.account(accountId) };
  }

  private async describeOrganizationalUnit(caller: Principal, input: JsonObject): Promise<JsonObject> {
    const ouId = requiredString(input, 'OrganizationalUnitId');
    if (!isOuId(ouId)) throw invalidInput(`OrganizationalUnitId ${ouId} is not an OU id (ou-...).`);
    await this.allow(caller, 'DescribeOrganizationalUnit', this.org.ouArn(ouId));
    return { OrganizationalUnit: this.ou(ouId) };
  }

  private async listRoots(caller: Principal, input: JsonObject): Promise<JsonObject> {
    await this.allow(caller, 'ListRoots', '*');
    const org = this.org;
    const p = page([{ Id: org.rootId, Arn: org.rootArn, Name: 'Root', PolicyTypes: [] }], input);
    return { Roots: p.items, ...(p.nextToken ? { NextToken: p.nextToken } : {}) };
  }

  private async listParents(caller: Principal, input: JsonObject): Promise<JsonObject> {
    const childId = requiredString(input, 'ChildId');
    if (!ACCOUNT_ID_RE.test(childId) && !isOuId(childId)) throw invalidInput(`ChildId ${childId} is not an account id or an OU id (ou-...).`);
    await this.allow(caller, 'ListParents', this.org.arnOf(childId));
    const parent = this.org.parentOf(childId);
    if (parent === undefined) throw new AwsError('ChildNotFoundException', "You specified an account or OU that doesn't exist.", 400);
    return { Parents: [{ Id: parent, Type: parent === this.org.rootId ? 'ROOT' : 'ORGANIZATIONAL_UNIT' }] };
  }

  private async listChildren(caller: Principal, input: JsonObject): Promise<JsonObject> {
    const parentId = requiredString(input, 'ParentId');
    const childType = requiredString(input, 'ChildType');
    if (childType !== 'ACCOUNT' && childType !== 'ORGANIZATIONAL_UNIT') throw invalidInput('ChildType must be ACCOUNT or ORGANIZATIONAL_UNIT.', 'INVALID_ENUM');
    if (!isRootId(parentId) && !isOuId(parentId)) throw invalidInput(`ParentId ${parentId} is not a root id (r-...) or an OU id (ou-...).`);
    await this.allow(caller, 'ListChildren', this.org.arnOf(parentId));
    this.parentId(input);
    const ids = childType === 'ACCOUNT' ? this.org.accountsUnder(parentId) : this.org.ousUnder(parentId).map((o) => o.id);
    const p = page(ids.map((Id) => ({ Id, Type: childType })), input);
    return { Children: p.items, ...(p.nextToken ? { NextToken: p.nextToken } : {}) };
  }

  private async listOusForParent(caller: Principal, input: JsonObject): Promise<JsonObject> {
    const raw = requiredString(input, 'ParentId');
    if (!isRootId(raw) && !isOuId(raw)) throw invalidInput(`ParentId ${raw} is not a root id (r-...) or an OU id (ou-...).`);
    await this.allow(caller, 'ListOrganizationalUnitsForParent', this.org.arnOf(raw));
    const parentId = this.parentId(input);
    const p = page(this.org.ousUnder(parentId).map((o) => this.ou(o.id)), input);
    return { OrganizationalUnits: p.items, ...(p.nextToken ? { NextToken: p.nextToken } : {}) };
  }

  private async listAccounts(caller: Principal, input: JsonObject): Promise<JsonObject> {
    await this.allow(caller, 'ListAccounts', '*');
    const p = page(this.org.memberIds().map((id) => this.account(id)), input);
    return { Accounts: p.items, ...(p.nextToken ? { NextToken: p.nextToken } : {}) };
  }

  private async listAccountsForParent(caller: Principal, input: JsonObject): Promise<JsonObject> {
    const raw = requiredString(input, 'ParentId');
    if (!isRootId(raw) && !isOuId(raw)) throw invalidInput(`ParentId ${raw} is not a root id (r-...) or an OU id (ou-...).`);
    await this.allow(caller, 'ListAccountsForParent', this.org.arnOf(raw));
    const parentId = this.parentId(input);
    const p = page(this.org.accountsUnder(parentId).map((id) => this.account(id)), input);
    return { Accounts: p.items, ...(p.nextToken ? { NextToken: p.nextToken } : {}) };
  }
}
