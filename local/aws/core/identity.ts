/**
 * The IAM entity store (roles, users, managed and inline policies, attachments) shared by the
 * kernel (authorization, member-account bootstrap) and the IAM/STS services.
 *
 * Eventual consistency: every new role, attachment, inline policy and trust-policy change carries an
 * `effectiveAt` (creation time + iamPropagationMs at that moment). Until then the kernel ignores it
 * (and AssumeRole keeps using the previous trust policy, if any).
 */
import { AWS_MANAGED_POLICIES, type AwsManagedPolicy } from './policy';

export interface Tag {
  Key: string;
  Value: string;
}

export interface Attachment {
  policyArn: string;
  attachedAt: number;
  effectiveAt: number;
}

export interface InlinePolicy {
  name: string;
  document: string;
  effectiveAt: number;
}

interface PrincipalEntity {
  accountId: string;
  path: string;
  arn: string;
  createDate: number;
  tags: Tag[];
  attached: Attachment[];
  inline: InlinePolicy[];
}

export interface RoleRecord extends PrincipalEntity {
  roleName: string;
  roleId: string;
  description?: string;
  maxSessionDuration: number;
  trustPolicy: string;
  trustEffectiveAt: number;
  /** The trust policy that stays in force until `trustEffectiveAt`. */
  previousTrustPolicy?: string;
  effectiveAt: number;
}

export interface UserRecord extends PrincipalEntity {
  userName: string;
  userId: string;
}

export interface PolicyVersion {
  versionId: string;
  document: string;
  createDate: number;
}

export interface ManagedPolicyRecord {
  /** 'aws' for AWS managed policies. */
  accountId: string;
  policyName: string;
  policyId: string;
  path: string;
  arn: string;
  description?: string;
  createDate: number;
  updateDate: number;
  defaultVersionId: string;
  versions: PolicyVersion[];
  nextVersion: number;
  tags: Tag[];
}

export interface IdentitySnapshot {
  roles: RoleRecord[];
  users: UserRecord[];
  policies: ManagedPolicyRecord[];
}

export const AWS_ACCOUNT = 'aws';

function awsManaged(p: AwsManagedPolicy): ManagedPolicyRecord {
  const created = Date.parse(p.createDate);
  return {
    accountId: AWS_ACCOUNT,
    policyName: p.name,
    policyId: p.policyId,
    path: p.path,
    arn: `arn:aws:iam::aws:policy${p.path}${p.name}`,
    description: p.description,
    createDate: created,
    updateDate: Date.parse(p.updateDate),
    defaultVersionId: p.versionId,
    versions: [{ versionId: p.versionId, document: p.document, createDate: Date.parse(p.updateDate) }],
    nextVersion: Number(p.versionId.slice(1)) + 1,
    tags: [],
  };
}

const key = (accountId: string, name: string): string => `${accountId}\n${name.toLowerCase()}`;

/** Last path segment of an IAM ARN resource ("role/a/b/name" -> "name"). */
export function nameFromArn(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

export function accountFromArn(arn: string): string {
  return arn.split(':')[4] ?? '';
}

export class IdentityStore {
  private readonly roles = new Map<string, RoleRecord>();
  private readonly users = new Map<string, UserRecord>();
  private readonly policies = new Map<string, ManagedPolicyRecord>();
  private readonly awsPolicies = new Map<string, ManagedPolicyRecord>(
    AWS_MANAGED_POLICIES.map((p) => {
      const r = awsManaged(p);
      return [r.arn, r];
    }),
  );

  // -------------------------------------------------------------- roles
  getRole(accountId: string, name: string): RoleRecord | undefined {
    return this.roles.get(key(accountId, name));
  }
  getRoleByArn(arn: string): RoleRecord | undefined {
    const r = this.getRole(accountFromArn(arn), nameFromArn(arn));
    return r && r.arn === arn ? r : undefined;
  }
  putRole(r: RoleRecord): void {
    this.roles.set(key(r.accountId, r.roleName), r);
  }
  deleteRole(accountId: string, name: string): void {
    this.roles.delete(key(accountId, name));
  }
  listRoles(accountId: string): RoleRecord[] {
    return [...this.roles.values()].filter((r) => r.accountId === accountId).sort((a, b) => cmp(a.roleName, b.roleName));
  }

  // -------------------------------------------------------------- users
  getUser(accountId: string, name: string): UserRecord | undefined {
    return this.users.get(key(accountId, name));
  }
  putUser(u: UserRecord): void {
    this.users.set(key(u.accountId, u.userName), u);
  }
  deleteUser(accountId: string, name: string): void {
    this.users.delete(key(accountId, name));
  }
  listUsers(accountId: string): UserRecord[] {
    return [...this.users.values()].filter((u) => u.accountId === accountId).sort((a, b) => cmp(a.userName, b.userName));
  }

  // -------------------------------------------------------------- managed policies
  getPolicy(arn: string): ManagedPolicyRecord | undefined {
    const aws = this.awsPolicies.get(arn);
    if (aws) return aws;
    const p = this.policies.get(key(accountFromArn(arn), nameFromArn(arn)));
    return p && p.arn === arn ? p : undefined;
  }
  getPolicyByName(accountId: string, name: string): ManagedPolicyRecord | undefined {
    return this.policies.get(key(accountId, name));
  }
  putPolicy(p: ManagedPolicyRecord): void {
    this.policies.set(key(p.accountId, p.policyName), p);
  }
  deletePolicy(accountId: string, name: string): void {
    this.policies.delete(key(accountId, name));
  }
  listPolicies(accountId: string, scope: 'All' | 'AWS' | 'Local' = 'All'): ManagedPolicyRecord[] {
    const local = [...this.policies.values()].filter((p) => p.accountId === accountId);
    const aws = [...this.awsPolicies.values()];
    const list = scope === 'AWS' ? aws : scope === 'Local' ? local : [...aws, ...local];
    return list.sort((a, b) => cmp(a.policyName, b.policyName));
  }
  defaultDocument(p: ManagedPolicyRecord): string {
    return p.versions.find((v) => v.versionId === p.defaultVersionId)?.document ?? '{}';
  }

  /** Entities (in the policy's account, or any account for AWS managed policies) the policy is attached to. */
  attachmentCount(p: ManagedPolicyRecord): number {
    const inScope = (e: PrincipalEntity): boolean =>
      (p.accountId === AWS_ACCOUNT || e.accountId === p.accountId) && e.attached.some((a) => a.policyArn === p.arn);
    return [...this.roles.values()].filter(inScope).length + [...this.users.values()].filter(inScope).length;
  }
  attachmentCountIn(p: ManagedPolicyRecord, accountId: string): number {
    const inScope = (e: PrincipalEntity): boolean => e.accountId === accountId && e.attached.some((a) => a.policyArn === p.arn);
    return [...this.roles.values()].filter(inScope).length + [...this.users.values()].filter(inScope).length;
  }

  // -------------------------------------------------------------- effective policies
  /** Identity policy documents of an entity that are past propagation, with stable identifiers. */
  effectivePolicies(entity: RoleRecord | UserRecord, now: number): Array<{ id: string; document: string }> {
    const out: Array<{ id: string; document: string }> = [];
    for (const a of entity.attached) {
      if (a.effectiveAt > now) continue;
      const p = this.getPolicy(a.policyArn);
      if (!p) continue;
      out.push({ id: `${p.policyId}@${p.defaultVersionId}`, document: this.defaultDocument(p) });
    }
    for (const i of entity.inline) {
      if (i.effectiveAt > now) continue;
      out.push({ id: `inline:${entity.arn}:${i.name}:${i.effectiveAt}`, document: i.document });
    }
    return out;
  }

  // -------------------------------------------------------------- persistence
  snapshot(): IdentitySnapshot {
    return {
      roles: [...this.roles.values()].map((r) => structuredClone(r)),
      users: [...this.users.values()].map((u) => structuredClone(u)),
      policies: [...this.policies.values()].map((p) => structuredClone(p)),
    };
  }
  restore(s: IdentitySnapshot): void {
    this.roles.clear();
    this.users.clear();
    this.policies.clear();
    for (const r of s.roles) this.putRole(r);
    for (const u of s.users) this.putUser(u);
    for (const p of s.policies) this.putPolicy(p);
  }

  inventory(accountId: string): Record<string, string[]> {
    return {
      roles: this.listRoles(accountId).map((r) => r.roleName),
      users: this.listUsers(accountId).map((u) => u.userName),
      policies: this.listPolicies(accountId, 'Local').map((p) => p.policyName),
    };
  }
}

function cmp(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}
