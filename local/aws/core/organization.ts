/**
 * The sandbox's AWS Organizations model: the management account is the management account of one
 * organization (SANDBOX_ORGANIZATION_ID) with a root and organizational units; member accounts sit under the
 * root or an OU. Accounts created "standalone" exist in the sandbox but are outside the organization.
 *
 * Ids follow AWS's formats: organization `o-[a-z0-9]{10,32}`, root `r-[0-9a-z]{4,32}`, OU
 * `ou-<root suffix>-<[a-z0-9]{8,32}>`; ARNs are owned by the management account:
 * `arn:aws:organizations::<mgmt>:organization/<orgId>`, `.../root/<orgId>/<rootId>`, `.../ou/<orgId>/<ouId>`,
 * `.../account/<orgId>/<accountId>`.
 *
 * The kernel uses it for the IAM context keys (aws:PrincipalOrgID / aws:PrincipalOrgPaths,
 * aws:ResourceOrgID / aws:ResourceOrgPaths); the `organizations` service answers the Organizations API from it.
 */
import { AwsError } from './errors';

export const SANDBOX_ORGANIZATION_ID = 'o-sandbox0001';
export const SANDBOX_ROOT_ID = 'r-sbox';

const ORG_ID_RE = /^o-[a-z0-9]{10,32}$/;
const ROOT_ID_RE = /^r-[0-9a-z]{4,32}$/;
const OU_ID_RE = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
const OU_NAME_RE = /^[\s\S]{1,128}$/;

export interface OrganizationalUnitRecord {
  id: string;
  name: string;
  /** The root id or an OU id. */
  parentId: string;
  createdAt: number;
}

export interface OrgAccountRecord {
  accountId: string;
  parentId: string;
  joinedAt: number;
  joinedMethod: 'CREATED' | 'INVITED';
}

export interface OrganizationSnapshot {
  id: string;
  rootId: string;
  ous: OrganizationalUnitRecord[];
  accounts: OrgAccountRecord[];
  /** Accounts that exist in the sandbox outside the organization. */
  standalone: string[];
}

export interface OrganizationTreeNode {
  id: string;
  arn: string;
  name: string;
  type: 'ROOT' | 'ORGANIZATIONAL_UNIT';
  /** `o-.../r-.../ou-.../` as in aws:PrincipalOrgPaths. */
  path: string;
  accounts: string[];
  organizationalUnits: OrganizationTreeNode[];
}

export interface OrganizationTree {
  id: string;
  arn: string;
  managementAccountId: string;
  root: OrganizationTreeNode;
  standaloneAccounts: string[];
}

export interface OrganizationalUnitInfo {
  id: string;
  arn: string;
  name: string;
  parentId: string;
  path: string;
}

export function isOrganizationId(s: string): boolean {
  return ORG_ID_RE.test(s);
}
export function isRootId(s: string): boolean {
  return ROOT_ID_RE.test(s);
}
export function isOuId(s: string): boolean {
  return OU_ID_RE.test(s);
}

const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export class Organization {
  private readonly ous = new Map<string, OrganizationalUnitRecord>();
  private readonly members = new Map<string, OrgAccountRecord>();
  private readonly outside = new Set<string>();
  readonly rootId: string;
  readonly createdAt: number;

  constructor(
    readonly managementAccountId: string,
    readonly id: string,
    /** Draws n characters of [a-z0-9] from the sandbox's seeded generator (OU ids). */
    private readonly draw: (n: number) => string,
    now: number,
    rootId = SANDBOX_ROOT_ID,
  ) {
    if (!isOrganizationId(id)) throw new Error(`Invalid organization id "${id}": expected o- and 10 to 32 characters [a-z0-9]`);
    if (!isRootId(rootId)) throw new Error(`Invalid root id "${rootId}"`);
    this.rootId = rootId;
    this.createdAt = now;
    this.members.set(managementAccountId, { accountId: managementAccountId, parentId: rootId, joinedAt: now, joinedMethod: 'CREATED' });
  }

  // ---------------------------------------------------------------- ARNs

  get arn(): string {
    return `arn:aws:organizations::${this.managementAccountId}:organization/${this.id}`;
  }
  get rootArn(): string {
    return `arn:aws:organizations::${this.managementAccountId}:root/${this.id}/${this.rootId}`;
  }
  accountArn(accountId: string): string {
    return `arn:aws:organizations::${this.managementAccountId}:account/${this.id}/${accountId}`;
  }
  ouArn(ouId: string): string {
    return `arn:aws:organizations::${this.managementAccountId}:ou/${this.id}/${ouId}`;
  }
  /** ARN of a root, OU or account id. */
  arnOf(id: string): string {
    if (id === this.rootId) return this.rootArn;
    if (isOuId(id)) return this.ouArn(id);
    return this.accountArn(id);
  }

  // ---------------------------------------------------------------- membership

  isMember(accountId: string): boolean {
    return this.members.has(accountId);
  }
  isStandalone(accountId: string): boolean {
    return this.outside.has(accountId);
  }
  member(accountId: string): OrgAccountRecord | undefined {
    const m = this.members.get(accountId);
    return m ? { ...m } : undefined;
  }
  memberIds(): string[] {
    return [...this.members.keys()].sort();
  }
  ou(ouId: string): OrganizationalUnitRecord | undefined {
    const o = this.ous.get(ouId);
    return o ? { ...o } : undefined;
  }
  isParent(id: string): boolean {
    return id === this.rootId || this.ous.has(id);
  }

  /** Adds an account under `parentId` (default the root). */
  join(accountId: string, parentId: string = this.rootId, now = Date.now()): void {
    this.requireParent(parentId);
    this.outside.delete(accountId);
    this.members.set(accountId, { accountId, parentId, joinedAt: now, joinedMethod: 'CREATED' });
  }

  /** Records an account that exists outside the organization. */
  addStandalone(accountId: string): void {
    if (accountId === this.managementAccountId) throw new Error('The management account cannot be outside its organization');
    this.members.delete(accountId);
    this.outside.add(accountId);
  }

  moveAccount(accountId: string, parentId: string): OrgAccountRecord {
    const m = this.members.get(accountId);
    if (!m) {
      throw new AwsError(
        'AccountNotFoundException',
        this.outside.has(accountId)
          ? `Account ${accountId} is not a member of organization ${this.id} (it was created standalone).`
          : "You specified an account that doesn't exist.",
        400,
      );
    }
    this.requireParent(parentId);
    m.parentId = parentId;
    return { ...m };
  }

  createOu(name: string, parentId: string, now = Date.now()): OrganizationalUnitInfo {
    if (typeof name !== 'string' || !OU_NAME_RE.test(name)) throw new AwsError('InvalidInputException', 'You provided a value that does not match the required pattern.', 400);
    this.requireParent(parentId);
    if ([...this.ous.values()].some((o) => o.parentId === parentId && o.name === name)) {
      throw new AwsError('DuplicateOrganizationalUnitException', 'An OU with the same name already exists.', 400);
    }
    let id: string;
    do id = `ou-${this.rootId.slice(2)}-${this.draw(8)}`;
    while (this.ous.has(id));
    this.ous.set(id, { id, name, parentId, createdAt: now });
    return this.ouInfo(id);
  }

  ouInfo(ouId: string): OrganizationalUnitInfo {
    const o = this.ous.get(ouId);
    if (!o) throw new AwsError('OrganizationalUnitNotFoundException', "You specified an organizational unit (OU) that doesn't exist.", 400);
    return { id: o.id, arn: this.ouArn(o.id), name: o.name, parentId: o.parentId, path: this.pathOfParent(o.id) };
  }

  private requireParent(parentId: string): void {
    if (!this.isParent(parentId)) throw new AwsError('ParentNotFoundException', "You specified a parent that doesn't exist.", 400);
  }

  /** Direct parent of an account or OU. */
  parentOf(childId: string): string | undefined {
    return this.members.get(childId)?.parentId ?? this.ous.get(childId)?.parentId;
  }

  /** `o-x/r-y/ou-a/ou-b/` for a root or OU id. */
  private pathOfParent(parentId: string): string {
    const chain: string[] = [];
    let id: string | undefined = parentId;
    for (let guard = 0; id !== undefined && id !== this.rootId && guard < 100; guard++) {
      chain.unshift(id);
      id = this.ous.get(id)?.parentId;
    }
    return `${this.id}/${this.rootId}/${chain.map((c) => `${c}/`).join('')}`;
  }

  /** The account's organization path (aws:PrincipalOrgPaths / aws:ResourceOrgPaths value), if it is a member. */
  accountPath(accountId: string): string | undefined {
    const m = this.members.get(accountId);
    return m ? this.pathOfParent(m.parentId) : undefined;
  }

  accountsUnder(parentId: string): string[] {
    this.requireParent(parentId);
    return [...this.members.values()].filter((m) => m.parentId === parentId).map((m) => m.accountId).sort();
  }

  ousUnder(parentId: string): OrganizationalUnitRecord[] {
    this.requireParent(parentId);
    return [...this.ous.values()].filter((o) => o.parentId === parentId).sort(byId).map((o) => ({ ...o }));
  }

  tree(): OrganizationTree {
    const node = (id: string, name: string, type: OrganizationTreeNode['type']): OrganizationTreeNode => ({
      id,
      arn: this.arnOf(id),
      name,
      type,
      path: this.pathOfParent(id),
      accounts: this.accountsUnder(id),
      organizationalUnits: this.ousUnder(id).map((o) => node(o.id, o.name, 'ORGANIZATIONAL_UNIT')),
    });
    return {
      id: this.id,
      arn: this.arn,
      managementAccountId: this.managementAccountId,
      root: node(this.rootId, 'Root', 'ROOT'),
      standaloneAccounts: [...this.outside].sort(),
    };
  }

  // ---------------------------------------------------------------- persistence

  snapshot(): OrganizationSnapshot {
    return {
      id: this.id,
      rootId: this.rootId,
      ous: [...this.ous.values()].sort(byId).map((o) => ({ ...o })),
      accounts: [...this.members.values()].map((m) => ({ ...m })),
      standalone: [...this.outside].sort(),
    };
  }

  /** Restores OUs and placements (the organization and root ids stay the configured ones). */
  restore(s: OrganizationSnapshot): void {
    this.ous.clear();
    const mgmt = this.members.get(this.managementAccountId);
    this.members.clear();
    this.outside.clear();
    const rootOf = (p: string) => (p === s.rootId ? this.rootId : p);
    for (const o of s.ous) this.ous.set(o.id, { ...o, parentId: rootOf(o.parentId) });
    for (const m of s.accounts) this.members.set(m.accountId, { ...m, parentId: this.isParent(rootOf(m.parentId)) ? rootOf(m.parentId) : this.rootId });
    if (!this.members.has(this.managementAccountId) && mgmt) this.members.set(this.managementAccountId, mgmt);
    for (const a of s.standalone) if (a !== this.managementAccountId) this.outside.add(a);
  }
}
