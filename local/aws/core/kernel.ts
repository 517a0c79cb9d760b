/**
 * The sandbox kernel: accounts and their organization, credentials, the IAM entity store, authorization (with
 * the global condition keys AWS sets, and in-process observers of every decision), service-assumed sessions,
 * realism and ids. Services (S3, Secrets Manager, IAM, STS, DynamoDB, Organizations) receive it.
 */
import { TargetRouter } from './targets';
import { createHash, randomBytes } from 'node:crypto';
import { Authorizer, type IdentityPolicy } from './authz';
import { MemoryCredentialStore } from './credentials';
import { AwsError } from './errors';
import { IdentityStore, type IdentitySnapshot } from './identity';
import { Organization, SANDBOX_ORGANIZATION_ID, type OrganizationSnapshot } from './organization';
import { ADMINISTRATOR_ACCESS_ARN, AWS_MANAGED_POLICIES } from './policy';
import { Prng, Realism, type RealismPatch } from './realism';
import type {
  AccountInfo,
  AccountRegistry,
  AccountView,
  AuthorizeEvent,
  AuthorizeObserver,
  AuthorizePrincipal,
  AuthzDecision,
  AuthzRequest,
  CreateAccountOptions,
  CredentialRecord,
  Principal,
  RealismConfig,
  SandboxKernel,
  ServiceSessionCredentials,
  ServiceSessionRequest,
} from './types';

export const DEFAULT_MANAGEMENT_ACCOUNT = '000000000000';
export const DEFAULT_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
export const DEFAULT_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const ORGANIZATION_ROLE_NAME = 'OrganizationAccountAccessRole';
const ACCOUNT_ID_RE = /^\d{12}$/;
const ROLE_ARN_RE = /^arn:aws:iam::(\d{12}):role\/(?:[\u0021-\u007E]*\/)?([\w+=,.@-]+)$/;
const SERVICE_PRINCIPAL_RE = /^([a-z0-9-]+\.)+amazonaws\.com(\.cn)?$/;
const SESSION_NAME_RE = /^[\w+=,.@-]{2,64}$/;

export interface KernelOptions {
  managementAccountId: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  seed: number;
  realism: RealismConfig;
  assumeSecureTransport: boolean;
  /** Default SANDBOX_ORGANIZATION_ID. */
  organizationId?: string;
}

export interface KernelSnapshot {
  version: 1;
  accounts: AccountInfo[];
  credentials: CredentialRecord[];
  identity: IdentitySnapshot;
  idState: number;
  /** Absent in state files written before the organization existed: every member account joins the root. */
  organization?: OrganizationSnapshot;
}

const MIXED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789';
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

  create(accountId: string, opts: CreateAccountOptions = {}): AccountInfo {
    if (!ACCOUNT_ID_RE.test(accountId)) throw new Error(`Invalid account id "${accountId}": expected 12 digits`);
    const org = this.kernel.organization;
    if (opts.standalone && opts.parentId !== undefined) {
      throw new AwsError('InvalidInputException', 'A standalone account has no parent in the organization: give either standalone or parentId', 400);
    }
    const existing = this.byId.get(accountId);
    if (existing) {
      if (opts.standalone && !existing.standalone) {
        throw new AwsError('ConflictException', `Account ${accountId} already exists as a member of ${org.id}; it cannot become standalone`, 409);
      }
      if (opts.standalone === false && existing.standalone) {
        throw new AwsError('ConflictException', `Account ${accountId} already exists outside the organization`, 409);
      }
      if (opts.parentId !== undefined && org.member(accountId)?.parentId !== opts.parentId) {
        throw new AwsError(
          'ConflictException',
          existing.standalone
            ? `Account ${accountId} already exists outside the organization`
            : `Account ${accountId} already exists under ${org.member(accountId)?.parentId ?? '?'}; move it with PUT /_sandbox/accounts/${accountId}/parent`,
          409,
        );
      }
      return { ...existing };
    }
    if (opts.parentId !== undefined && !org.isParent(opts.parentId)) {
      throw new AwsError('ParentNotFoundException', `You specified a parent that doesn't exist: ${opts.parentId}`, 400);
    }
    const info: AccountInfo = { ...this.kernel.memberAccountInfo(accountId), ...(opts.standalone ? { standalone: true } : {}) };
    this.byId.set(accountId, info);
    if (opts.standalone) org.addStandalone(accountId);
    else org.join(accountId, opts.parentId, this.kernel.now());
    this.kernel.bootstrapMemberAccount(info);
    return { ...info };
  }

  /** An account with its organization placement. */
  view(accountId: string): AccountView | undefined {
    const a = this.byId.get(accountId);
    if (!a) return undefined;
    const m = this.kernel.organization.member(accountId);
    return { ...a, ...(m ? { organizationId: this.kernel.organization.id, parentId: m.parentId } : {}) };
  }

  views(): AccountView[] {
    return [...this.byId.keys()].map((id) => this.view(id) as AccountView);
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
  /** Deliveries between services (EventBridge rules, Scheduler, SQS -> Lambda): core/targets.ts. */
  readonly targets = new TargetRouter();
  readonly accounts: Accounts;
  readonly organization: Organization;
  readonly region: string;
  readonly assumeSecureTransport: boolean;
  /** Reported as the account root's CreateDate. */
  readonly startedAt = Date.now();
  private readonly ids: Prng;
  private readonly managementSecret: string;
  private readonly authorizeObservers = new Set<AuthorizeObserver>();

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
    this.organization = new Organization(
      opts.managementAccountId,
      opts.organizationId ?? SANDBOX_ORGANIZATION_ID,
      (n) => this.draw(LOWER, n),
      Date.now(),
    );
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
  principalContext(p: Principal, now = this.now()): Record<string, string | string[]> {
    const ctx: Record<string, string | string[]> = {
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
    const path = this.organization.accountPath(p.accountId);
    if (path !== undefined) {
      ctx['aws:PrincipalOrgID'] = this.organization.id;
      ctx['aws:PrincipalOrgPaths'] = [path];
    }
    for (const [key, value] of this.principalTags(p)) ctx[`aws:PrincipalTag/${key}`] = value;
    return ctx;
  }

  /**
   * The principal's tags as AWS puts them in aws:PrincipalTag/<key>: an IAM user's tags; for a role session the
   * role's tags, overridden (case-insensitively, by key) by the session tags passed to AssumeRole.
   */
  principalTags(p: Principal): Map<string, string> {
    const out = new Map<string, string>();
    const put = (tags: ReadonlyArray<{ Key: string; Value: string }>) => {
      for (const t of tags) {
        for (const k of [...out.keys()]) if (k.toLowerCase() === t.Key.toLowerCase()) out.delete(k);
        out.set(t.Key, t.Value);
      }
    };
    if (p.kind === 'user') {
      const user = this.identity.getUser(p.accountId, p.userName);
      if (user && user.userId === p.userId) put(user.tags);
    } else if (p.kind === 'assumed-role') {
      const role = this.identity.getRoleByArn(p.roleArn);
      if (role && role.roleId === p.roleId) put(role.tags);
      put(this.credentials.lookup(p.accessKeyId)?.sessionTags ?? []);
    }
    return out;
  }

  /**
   * Global condition keys AWS sets for the resource's owning account: aws:ResourceAccount, and for an account of
   * the organization aws:ResourceOrgID and aws:ResourceOrgPaths.
   */
  resourceContext(resourceAccount: string): Record<string, string | string[]> {
    if (!ACCOUNT_ID_RE.test(resourceAccount)) return {};
    const path = this.organization.accountPath(resourceAccount);
    return path === undefined
      ? { 'aws:ResourceAccount': resourceAccount }
      : { 'aws:ResourceAccount': resourceAccount, 'aws:ResourceOrgID': this.organization.id, 'aws:ResourceOrgPaths': [path] };
  }

  /** Observers of every authorization decision (in-process). */
  onAuthorize(fn: AuthorizeObserver): () => void {
    this.authorizeObservers.add(fn);
    return () => void this.authorizeObservers.delete(fn);
  }

  private notifyAuthorize(principal: AuthorizePrincipal, req: Omit<AuthzRequest, 'principal'>, d: AuthzDecision): void {
    const event: AuthorizeEvent = {
      principal,
      action: req.action,
      resource: req.resource,
      resourceAccount: req.resourceAccount,
      allowed: d.allowed,
      reason: d.reason,
    };
    for (const fn of [...this.authorizeObservers]) {
      try {
        fn(event);
      } catch {
        // An observer failure never changes a decision.
      }
    }
  }

  private describePrincipal(p: Principal): AuthorizePrincipal {
    const base: AuthorizePrincipal = { kind: p.kind, arn: p.arn, accountId: p.accountId, accessKeyId: p.accessKeyId };
    if (p.kind !== 'assumed-role') return base;
    const issuer = this.credentials.lookup(p.accessKeyId)?.issuer;
    return { ...base, roleArn: p.roleArn, sessionName: p.sessionName, ...(issuer ? { issuer: { ...issuer } } : {}) };
  }

  async authorize(req: AuthzRequest): Promise<AuthzDecision> {
    const decision = await this.decide(req);
    if (this.authorizeObservers.size > 0) this.notifyAuthorize(this.describePrincipal(req.principal), req, decision);
    return decision;
  }

  private async decide(req: AuthzRequest): Promise<AuthzDecision> {
    const p = req.principal;
    const trustGoverned = req.action.toLowerCase().startsWith('sts:') && req.resourcePolicy !== undefined;
    // The owning account's root is allowed unless a resource policy explicitly denies it (no context needed).
    const ownRoot = p.kind === 'root' && p.accountId === req.resourceAccount && !trustGoverned;
    if (ownRoot && req.resourcePolicy === undefined) return { allowed: true, reason: 'Allowed' };
    const now = this.now();
    const policies = this.principalPolicies(p, now);
    const input = {
      principal: p,
      action: req.action,
      resource: req.resource,
      resourceAccount: req.resourceAccount,
      identityPolicies: policies.identity,
      // Built only when the evaluation gets past the authorizer's fast path.
      context: () => ({ ...this.principalContext(p, now), ...this.resourceContext(req.resourceAccount), ...(req.context ?? {}) }),
      ...(policies.session !== undefined ? { sessionPolicy: policies.session } : {}),
      ...(req.resourcePolicy !== undefined ? { resourcePolicy: req.resourcePolicy } : {}),
    };
    if (ownRoot) {
      const d = await this.authorizer.evaluate(input);
      return d.reason === 'ExplicitDeny' ? d : { allowed: true, reason: 'Allowed' };
    }
    return this.authorizer.evaluate(input);
  }

  /**
   * A session of `roleArn` assumed by an AWS service (Lambda assuming a function's execution role): the role's
   * trust policy (the one in force) must allow the service principal, evaluated like AWS does with
   * aws:PrincipalServiceName, aws:SourceAccount / aws:SourceArn and sts:RoleSessionName in the context.
   */
  async serviceSession(r: ServiceSessionRequest): Promise<ServiceSessionCredentials> {
    if (typeof r.roleArn !== 'string' || !ROLE_ARN_RE.test(r.roleArn)) throw new AwsError('ValidationError', `roleArn ${String(r.roleArn)} is invalid`, 400);
    if (typeof r.service !== 'string' || !SERVICE_PRINCIPAL_RE.test(r.service)) {
      throw new AwsError('ValidationError', `service must be a service principal such as lambda.amazonaws.com, got ${String(r.service)}`, 400);
    }
    if (typeof r.sessionName !== 'string' || !SESSION_NAME_RE.test(r.sessionName)) {
      throw new AwsError('ValidationError', `sessionName must be 2-64 characters [\\w+=,.@-], got ${String(r.sessionName)}`, 400);
    }
    const duration = r.durationSeconds ?? 3600;
    if (!Number.isInteger(duration) || duration < 900 || duration > 43200) {
      throw new AwsError('ValidationError', 'durationSeconds must be an integer from 900 to 43200', 400);
    }
    const now = this.now();
    const denied = (why: string) => new AwsError('AccessDenied', `${r.service} cannot assume ${r.roleArn}: ${why}`, 403);
    const role = this.identity.getRoleByArn(r.roleArn);
    if (!role || role.effectiveAt > now) throw denied(role ? 'the role is not effective yet (IAM propagation)' : 'no such role');
    const trust = role.trustEffectiveAt <= now ? role.trustPolicy : role.previousTrustPolicy;
    if (trust === undefined) throw denied('its trust policy is not effective yet (IAM propagation)');
    const context: Record<string, string | string[]> = {
      'aws:SecureTransport': this.assumeSecureTransport ? 'true' : 'false',
      'aws:CurrentTime': new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      'aws:EpochTime': String(Math.floor(now / 1000)),
      'aws:PrincipalIsAWSService': 'true',
      'aws:PrincipalServiceName': r.service,
      'aws:ViaAWSService': 'false',
      'aws:SourceAccount': r.sourceAccount ?? role.accountId,
      ...(r.sourceArn !== undefined ? { 'aws:SourceArn': r.sourceArn } : {}),
      'sts:RoleSessionName': r.sessionName,
      ...this.resourceContext(role.accountId),
    };
    const decision = await this.authorizer.evaluateService({
      service: r.service,
      action: 'sts:AssumeRole',
      resource: role.arn,
      resourceAccount: role.accountId,
      resourcePolicy: trust,
      context,
    });
    if (this.authorizeObservers.size > 0) {
      this.notifyAuthorize(
        { kind: 'service', arn: r.service, accountId: role.accountId },
        { action: 'sts:AssumeRole', resource: role.arn, resourceAccount: role.accountId },
        decision,
      );
    }
    if (!decision.allowed) throw denied(`its trust policy does not allow the service principal ${r.service}`);

    const accessKeyId = this.newAccessKeyId('ASIA');
    const secretAccessKey = this.newSecretAccessKey();
    const sessionToken = this.newSessionToken();
    const expiresAt = now + duration * 1000;
    const arn = `arn:aws:sts::${role.accountId}:assumed-role/${role.roleName}/${r.sessionName}`;
    this.credentials.register({
      accessKeyId,
      secretAccessKey,
      sessionToken,
      effectiveAt: now,
      expiresAt,
      active: true,
      createdAt: now,
      issuer: { arn: r.service },
      principal: {
        kind: 'assumed-role',
        accountId: role.accountId,
        arn,
        roleArn: role.arn,
        roleName: role.roleName,
        roleId: role.roleId,
        sessionName: r.sessionName,
        accessKeyId,
      },
    });
    return {
      accessKeyId,
      secretAccessKey,
      sessionToken,
      expiration: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      assumedRoleArn: arn,
      roleArn: role.arn,
    };
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
      organization: this.organization.snapshot(),
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
    if (s.organization) this.organization.restore(s.organization);
    for (const a of this.accounts.list()) {
      if (a.management) continue;
      if (a.standalone) this.organization.addStandalone(a.accountId);
      else if (!this.organization.isMember(a.accountId)) this.organization.join(a.accountId, undefined, this.now());
      this.bootstrapMemberAccount(a);
    }
    this.ids.state = s.idState >>> 0;
  }
}
