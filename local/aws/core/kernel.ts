/**
 * The sandbox kernel: accounts, credentials, the IAM entity store, authorization, realism and ids.
 * Services (S3, Secrets Manager, IAM, STS) receive it as `SandboxKernel`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Authorizer, type IdentityPolicy } from './authz';
import { MemoryCredentialStore } from './credentials';
import { IdentityStore, type IdentitySnapshot } from './identity';
import { ADMINISTRATOR_ACCESS_ARN, AWS_MANAGED_POLICIES } from './policy';
import { Prng, Realism, type RealismPatch } from './realism';
import type {
  AccountInfo,
  AccountRegistry,
  AuthzDecision,
  AuthzRequest,
  CredentialRecord,
  Principal,
  RealismConfig,
  SandboxKernel,
} from './types';

export const DEFAULT_MANAGEMENT_ACCOUNT = '000000000000';
export const DEFAULT_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
export const DEFAULT_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const ORGANIZATION_ROLE_NAME = 'OrganizationAccountAccessRole';
const ACCOUNT_ID_RE = /^\d{12}$/;

export interface KernelOptions {
  managementAccountId: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  seed: number;
  realism: RealismConfig;
  assumeSecureTransport: boolean;
}

export interface KernelSnapshot {
  version: 1;
  accounts: AccountInfo[];
  credentials: CredentialRecord[];
  identity: IdentitySnapshot;
  idState: number;
}

const MIXED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** Access key ids use base32 characters after the 4-letter prefix. */
const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const ADMIN_DOCUMENT = AWS_MANAGED_POLICIES.find((p) => p.name === 'AdministratorAccess')?.document ?? '';
const ROOT_POLICIES: IdentityPolicy[] = [{ id: 'root', document: ADMIN_DOCUMENT }];

function rootPrincipal(accountId: string, accessKeyId: string): Principal {
  return { kind: 'root', accountId, arn: `arn:aws:iam::${accountId}:root`, accessKeyId };
}

export function organizationTrustPolicy(managementAccountId: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${managementAccountId}:root` }, Action: 'sts:AssumeRole' }],
  });
}

class Accounts implements AccountRegistry {
  private readonly byId = new Map<string, AccountInfo>();

  constructor(
    private readonly kernel: Kernel,
    private management: AccountInfo,
  ) {
    this.byId.set(management.accountId, management);
  }

  get managementAccountId(): string {
    return this.management.accountId;
  }

  list(): AccountInfo[] {
    return [...this.byId.values()].map((a) => ({ ...a }));
  }

  get(accountId: string): AccountInfo | undefined {
    const a = this.byId.get(accountId);
    return a ? { ...a } : undefined;
  }

  create(accountId: string): AccountInfo {
    if (!ACCOUNT_ID_RE.test(accountId)) throw new Error(`Invalid account id "${accountId}": expected 12 digits`);
    const existing = this.byId.get(accountId);
    if (existing) return { ...existing };
    const info = this.kernel.memberAccountInfo(accountId);
    this.byId.set(accountId, info);
    this.kernel.bootstrapMemberAccount(info);
    return { ...info };
  }

  /** Restores accounts from a snapshot; the management account keeps the credentials given at start. */
  restore(accounts: AccountInfo[]): void {
    for (const a of accounts) {
      if (a.accountId === this.management.accountId) continue;
      this.byId.set(a.accountId, { ...a, management: false });
    }
  }
}

export class Kernel implements SandboxKernel {
  readonly realism: Realism;
  readonly credentials = new MemoryCredentialStore();
  readonly identity = new IdentityStore();
  readonly authorizer = new Authorizer();
  readonly accounts: Accounts;
  readonly region: string;
  readonly assumeSecureTransport: boolean;
  /** Reported as the account root's CreateDate. */
  readonly startedAt = Date.now();
  private readonly ids: Prng;
  private readonly managementSecret: string;

  constructor(opts: KernelOptions) {
    this.realism = new Realism(opts.realism);
    this.region = opts.region;
    this.assumeSecureTransport = opts.assumeSecureTransport;
    this.ids = new Prng(opts.seed);
    this.managementSecret = opts.secretAccessKey;
    if (!ACCOUNT_ID_RE.test(opts.managementAccountId)) {
      throw new Error(`Invalid management account id "${opts.managementAccountId}": expected 12 digits`);
    }
    const management: AccountInfo = {
      accountId: opts.managementAccountId,
      accessKeyId: opts.accessKeyId,
      secretAccessKey: opts.secretAccessKey,
      management: true,
    };
    this.accounts = new Accounts(this, management);
    this.registerRoot(management);
  }

  get config(): RealismConfig {
    return this.realism.config;
  }

  setRealism(patch: RealismPatch | Partial<RealismConfig>): RealismConfig {
    return this.realism.apply(patch);
  }

  now(): number {
    return Date.now();
  }

  /** When something created now becomes effective (IAM propagation). */
  effectiveFrom(now = this.now()): number {
    return now + this.config.iamPropagationMs;
  }

  randomId(prefix: string, length: number, alphabet: 'mixed' | 'upper' = 'mixed'): string {
    return prefix + this.draw(alphabet === 'upper' ? UPPER : MIXED, length);
  }

  private draw(alphabet: string, length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.ids.next() * alphabet.length)] ?? 'A';
    return out;
  }

  /** IAM unique id (AROA..., AIDA..., ANPA...): prefix + 17 base32 characters, like AWS's. */
  uniqueId(prefix: 'AROA' | 'AIDA' | 'ANPA'): string {
    return prefix + this.draw(KEY_ALPHABET, 17);
  }

  /** A fresh access key id (AKIA for IAM users, ASIA for STS sessions), never reused. */
  newAccessKeyId(prefix: 'AKIA' | 'ASIA'): string {
    for (;;) {
      const id = prefix + this.draw(KEY_ALPHABET, 16);
      if (!this.credentials.lookup(id)) return id;
    }
  }

  newSecretAccessKey(): string {
    return randomBytes(30).toString('base64').slice(0, 40);
  }

  newSessionToken(): string {
    return `IQoJb3JpZ2luX2VjE${randomBytes(300).toString('base64')}`;
  }

  /** Deterministic (per management secret) but unique admin credentials for a member account. */
  memberAccountInfo(accountId: string): AccountInfo {
    const digest = createHash('sha256').update(`sandbox-member-root\n${accountId}\n${this.managementSecret}`).digest();
    let id = 'AKIA';
    for (let i = 0; id.length < 20; i++) id += KEY_ALPHABET[(digest[i] ?? 0) % KEY_ALPHABET.length];
    const secret = createHash('sha256').update(`sandbox-member-secret\n${accountId}\n${this.managementSecret}`).digest('base64').slice(0, 40);
    return { accountId, accessKeyId: id, secretAccessKey: secret, management: false };
  }

  private registerRoot(info: AccountInfo): void {
    this.credentials.register({
      accessKeyId: info.accessKeyId,
      secretAccessKey: info.secretAccessKey,
      effectiveAt: 0,
      active: true,
      principal: rootPrincipal(info.accountId, info.accessKeyId),
      createdAt: 0,
    });
  }

  /** Root keys + OrganizationAccountAccessRole (AdministratorAccess, trusts the management root), long effective. */
  bootstrapMemberAccount(info: AccountInfo): void {
    this.registerRoot(info);
    if (this.identity.getRole(info.accountId, ORGANIZATION_ROLE_NAME)) return;
    const created = this.now();
    this.identity.putRole({
      accountId: info.accountId,
      roleName: ORGANIZATION_ROLE_NAME,
      roleId: this.uniqueId('AROA'),
      path: '/',
      arn: `arn:aws:iam::${info.accountId}:role/${ORGANIZATION_ROLE_NAME}`,
      createDate: created,
      tags: [],
      attached: [{ policyArn: ADMINISTRATOR_ACCESS_ARN, attachedAt: created, effectiveAt: 0 }],
      inline: [],
      maxSessionDuration: 3600,
      trustPolicy: organizationTrustPolicy(this.accounts.managementAccountId),
      trustEffectiveAt: 0,
      effectiveAt: 0,
    });
  }

  /** Identity policies (past propagation) and session policy of a principal. */
  principalPolicies(p: Principal, now = this.now()): { identity: IdentityPolicy[]; session?: string } {
    switch (p.kind) {
      case 'root':
        return { identity: ROOT_POLICIES };
      case 'user': {
        const user = this.identity.getUser(p.accountId, p.userName);
        return { identity: user && user.userId === p.userId ? this.identity.effectivePolicies(user, now) : [] };
      }
      case 'assumed-role': {
        const role = this.identity.getRoleByArn(p.roleArn);
        const identity = role && role.roleId === p.roleId ? this.identity.effectivePolicies(role, now) : [];
        const session = this.credentials.lookup(p.accessKeyId)?.sessionPolicy;
        return session === undefined ? { identity } : { identity, session };
      }
    }
  }

  /** Global condition keys AWS sets for a principal. */
  principalContext(p: Principal, now = this.now()): Record<string, string> {
    const ctx: Record<string, string> = {
      'aws:SecureTransport': this.assumeSecureTransport ? 'true' : 'false',
      'aws:PrincipalAccount': p.accountId,
      'aws:CurrentTime': new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      'aws:EpochTime': String(Math.floor(now / 1000)),
      'aws:SourceIp': '127.0.0.1',
      'aws:ViaAWSService': 'false',
      'aws:PrincipalIsAWSService': 'false',
    };
    switch (p.kind) {
      case 'root':
        ctx['aws:PrincipalArn'] = p.arn;
        ctx['aws:PrincipalType'] = 'Account';
        ctx['aws:userid'] = p.accountId;
        break;
      case 'user':
        ctx['aws:PrincipalArn'] = p.arn;
        ctx['aws:PrincipalType'] = 'User';
        ctx['aws:username'] = p.userName;
        ctx['aws:userid'] = p.userId;
        break;
      case 'assumed-role':
        ctx['aws:PrincipalArn'] = p.roleArn;
        ctx['aws:PrincipalType'] = 'AssumedRole';
        ctx['aws:userid'] = `${p.roleId}:${p.sessionName}`;
        break;
    }
    return ctx;
  }

  async authorize(req: AuthzRequest): Promise<AuthzDecision> {
    const now = this.now();
    const p = req.principal;
    const context = { ...this.principalContext(p, now), ...(req.context ?? {}) };
    const policies = this.principalPolicies(p, now);
    const input = {
      principal: p,
      action: req.action,
      resource: req.resource,
      resourceAccount: req.resourceAccount,
      identityPolicies: policies.identity,
      context,
      ...(policies.session !== undefined ? { sessionPolicy: policies.session } : {}),
      ...(req.resourcePolicy !== undefined ? { resourcePolicy: req.resourcePolicy } : {}),
    };
    const trustGoverned = req.action.toLowerCase().startsWith('sts:') && req.resourcePolicy !== undefined;
    if (p.kind === 'root' && p.accountId === req.resourceAccount && !trustGoverned) {
      // The owning account's root is allowed unless a resource policy explicitly denies it.
      if (req.resourcePolicy === undefined) return { allowed: true, reason: 'Allowed' };
      const d = await this.authorizer.evaluate(input);
      return d.reason === 'ExplicitDeny' ? d : { allowed: true, reason: 'Allowed' };
    }
    return this.authorizer.evaluate(input);
  }

  inventory(accountId: string): Record<string, string[]> {
    const accessKeys = this.credentials
      .list()
      .filter((r) => r.principal.kind === 'user' && r.principal.accountId === accountId)
      .map((r) => `${r.principal.kind === 'user' ? r.principal.userName : ''}/${r.accessKeyId}`)
      .sort();
    return { ...this.identity.inventory(accountId), accessKeys };
  }

  snapshot(): KernelSnapshot {
    this.credentials.purgeExpired(this.now());
    return {
      version: 1,
      accounts: this.accounts.list(),
      credentials: this.credentials.snapshot(),
      identity: this.identity.snapshot(),
      idState: this.ids.state,
    };
  }

  restore(s: KernelSnapshot): void {
    const management = this.accounts.get(this.accounts.managementAccountId);
    this.accounts.restore(s.accounts);
    this.identity.restore(s.identity);
    this.credentials.restore(
      s.credentials.filter((r) => !(r.principal.kind === 'root' && r.principal.accountId === this.accounts.managementAccountId)),
    );
    if (management) this.registerRoot(management);
    for (const a of this.accounts.list()) if (!a.management) this.bootstrapMemberAccount(a);
    this.ids.state = s.idState >>> 0;
  }
}
