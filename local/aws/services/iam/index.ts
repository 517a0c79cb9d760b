/**
 * IAM over the query protocol (version 2010-05-08), backed by the kernel's IdentityStore.
 * IAM is global: any signing region is accepted. Every non-root caller is authorized with the kernel
 * (action iam:<Operation> on the entity ARN) before the entity is looked up, as AWS does.
 *
 * Tags in the authorization context, as AWS sets them: the request's tags (aws:RequestTag/<key>, aws:TagKeys) for
 * Create* with Tags and Tag*; the tags of an existing role or user (aws:ResourceTag/<key> and iam:ResourceTag/<key>)
 * or customer managed policy (aws:ResourceTag/<key>) for every other action on it. Creating a role, user or policy
 * WITH tags also needs iam:TagRole / iam:TagUser / iam:TagPolicy on it (as on AWS).
 *
 * SimulatePrincipalPolicy evaluates a role's or user's identity policies (every attached managed policy's default
 * version and every inline policy, as IAM holds them: no propagation delay, like AWS's simulator) with the kernel's
 * authorizer, for ActionNames x ResourceArns (default `*`), in the caller's account. Not supported (InvalidInput):
 * PolicyInputList, PermissionsBoundaryPolicyInputList, ContextEntries, CallerArn, ResourcePolicy and the other
 * resource-scenario parameters; MatchedStatements and MissingContextValues are always empty.
 */
import { AwsError } from '../../core/errors';
import { accountFromArn, AWS_ACCOUNT, nameFromArn, type Attachment, type InlinePolicy, type ManagedPolicyRecord, type RoleRecord, type Tag, type UserRecord } from '../../core/identity';
import type { Kernel } from '../../core/kernel';
import { POLICY_SIZE_LIMITS, policySize, validatePolicyDocument } from '../../core/policy';
import { el, isoDate, members, queryResponse, type XmlChild } from '../../core/protocol';
import { QueryInput, validationError, type StringRule } from '../../core/query';
import type { Principal, SandboxRequest, SandboxResponse, SandboxService } from '../../core/types';
import { encodeDocument, policyVersionXml, policyXml, roleXml, userXml } from './render';

const VERSION = '2010-05-08';
const NAME_PATTERN = '[\\w+=,.@-]+';
const ROLE_NAME: StringRule = { min: 1, max: 64, pattern: NAME_PATTERN };
const USER_NAME: StringRule = { min: 1, max: 64, pattern: NAME_PATTERN };
const POLICY_NAME: StringRule = { min: 1, max: 128, pattern: NAME_PATTERN };
const PATH: StringRule = { min: 1, max: 512, pattern: '(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)' };
const PATH_PREFIX: StringRule = { min: 1, max: 512, pattern: '\\u002F[\\u0021-\\u007E]*' };
const POLICY_ARN: StringRule = { min: 20, max: 2048 };
const DOCUMENT: StringRule = { min: 1, max: 131072 };
const ACCESS_KEY_ID: StringRule = { min: 16, max: 128, pattern: '[\\w]+' };
const MARKER: StringRule = { min: 1, max: 320 };
const VERSION_ID: StringRule = { pattern: 'v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?' };

const QUOTAS = {
  Roles: 1000,
  Users: 5000,
  Policies: 1500,
  AttachedPoliciesPerRole: 10,
  AttachedPoliciesPerUser: 10,
  AccessKeysPerUser: 2,
  VersionsPerPolicy: 5,
  Tags: 50,
};

const noSuchEntity = (m: string): AwsError => new AwsError('NoSuchEntity', m, 404);
const conflict = (m: string): AwsError => new AwsError('DeleteConflict', m, 409);
const limit = (m: string): AwsError => new AwsError('LimitExceeded', m, 409);
const exists = (m: string): AwsError => new AwsError('EntityAlreadyExists', m, 409);

interface Ctx {
  req: SandboxRequest;
  in: QueryInput;
  principal: Principal;
  account: string;
  now: number;
}

type Handler = (c: Ctx) => Promise<XmlChild[] | undefined>;

/** Pages a name-sorted list with an opaque Marker (the last returned key). */
function paginate<T>(c: Ctx, items: T[], keyOf: (t: T) => string): { items: T[]; truncation: XmlChild[] } {
  const maxItems = c.in.int('MaxItems', 1, 1000) ?? 100;
  const marker = c.in.optional('Marker', MARKER);
  let start = 0;
  if (marker !== undefined) {
    const after = Buffer.from(marker, 'base64url').toString('utf8');
    if (after === '') throw validationError('Invalid Marker.');
    start = items.findIndex((i) => keyOf(i) > after);
    if (start < 0) start = items.length;
  }
  const pageItems = items.slice(start, start + maxItems);
  const truncated = start + maxItems < items.length;
  const last = pageItems[pageItems.length - 1];
  return {
    items: pageItems,
    truncation: [
      el('IsTruncated', truncated),
      truncated && last !== undefined ? el('Marker', Buffer.from(keyOf(last), 'utf8').toString('base64url')) : undefined,
    ],
  };
}

function checkTags(tags: Tag[]): void {
  for (const t of tags) {
    if (t.Key.length < 1 || t.Key.length > 128 || !/^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u.test(t.Key)) {
      throw validationError(`1 validation error detected: Value '${t.Key}' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+`);
    }
    if (t.Value.length > 256) {
      throw validationError(`1 validation error detected: Value at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256`);
    }
  }
  if (new Set(tags.map((t) => t.Key.toLowerCase())).size !== tags.length) {
    throw new AwsError('InvalidInput', 'Duplicate tag keys found. Please note that Tag keys are case insensitive.', 400);
  }
}

function mergeTags(existing: Tag[], added: Tag[], entity: 'Role' | 'User' | 'Policy'): Tag[] {
  const out = existing.filter((t) => !added.some((a) => a.Key.toLowerCase() === t.Key.toLowerCase()));
  out.push(...added);
  if (out.length > QUOTAS.Tags) throw limit(`Cannot exceed quota for TagsPer${entity}: ${QUOTAS.Tags}`);
  return out;
}

/** Operations that create the entity they are authorized on (and the tagging that goes with a create). */
const CREATING = new Set(['CreateRole', 'CreateUser', 'CreatePolicy']);

/** aws:ResourceTag/<key> (and for roles and users iam:ResourceTag/<key>) of an existing entity's tags. */
function resourceTagContext(tags: readonly Tag[], iamKeys: boolean): Record<string, string> {
  const ctx: Record<string, string> = {};
  for (const t of tags) {
    ctx[`aws:ResourceTag/${t.Key}`] = t.Value;
    if (iamKeys) ctx[`iam:ResourceTag/${t.Key}`] = t.Value;
  }
  return ctx;
}

function requestTagContext(tags: Tag[]): Record<string, string | string[]> {
  if (tags.length === 0) return {};
  const ctx: Record<string, string | string[]> = { 'aws:TagKeys': tags.map((t) => t.Key) };
  for (const t of tags) ctx[`aws:RequestTag/${t.Key}`] = t.Value;
  return ctx;
}

export class IamService implements SandboxService {
  readonly name = 'iam' as const;
  readonly protocol = 'query' as const;
  private readonly handlers: Record<string, Handler>;

  constructor(private readonly kernel: Kernel) {
    this.handlers = {
      CreateRole: (c) => this.createRole(c),
      GetRole: (c) => this.getRole(c),
      DeleteRole: (c) => this.deleteRole(c),
      UpdateRole: (c) => this.updateRole(c),
      TagRole: (c) => this.tagEntity(c, 'Role'),
      TagPolicy: (c) => this.tagPolicy(c),
      UntagPolicy: (c) => this.untagPolicy(c),
      ListPolicyTags: (c) => this.listPolicyTags(c),
      UntagRole: (c) => this.untagEntity(c, 'Role'),
      ListRoleTags: (c) => this.listEntityTags(c, 'Role'),
      UpdateAssumeRolePolicy: (c) => this.updateAssumeRolePolicy(c),
      ListRoles: (c) => this.listRoles(c),
      CreatePolicy: (c) => this.createPolicy(c),
      GetPolicy: (c) => this.getPolicy(c),
      DeletePolicy: (c) => this.deletePolicy(c),
      ListPolicies: (c) => this.listPolicies(c),
      CreatePolicyVersion: (c) => this.createPolicyVersion(c),
      GetPolicyVersion: (c) => this.getPolicyVersion(c),
      ListPolicyVersions: (c) => this.listPolicyVersions(c),
      DeletePolicyVersion: (c) => this.deletePolicyVersion(c),
      SetDefaultPolicyVersion: (c) => this.setDefaultPolicyVersion(c),
      AttachRolePolicy: (c) => this.attach(c, 'Role'),
      DetachRolePolicy: (c) => this.detach(c, 'Role'),
      AttachUserPolicy: (c) => this.attach(c, 'User'),
      DetachUserPolicy: (c) => this.detach(c, 'User'),
      ListAttachedRolePolicies: (c) => this.listAttached(c, 'Role'),
      ListAttachedUserPolicies: (c) => this.listAttached(c, 'User'),
      PutRolePolicy: (c) => this.putInline(c, 'Role'),
      GetRolePolicy: (c) => this.getInline(c, 'Role'),
      DeleteRolePolicy: (c) => this.deleteInline(c, 'Role'),
      ListRolePolicies: (c) => this.listInline(c, 'Role'),
      PutUserPolicy: (c) => this.putInline(c, 'User'),
      GetUserPolicy: (c) => this.getInline(c, 'User'),
      DeleteUserPolicy: (c) => this.deleteInline(c, 'User'),
      ListUserPolicies: (c) => this.listInline(c, 'User'),
      CreateUser: (c) => this.createUser(c),
      GetUser: (c) => this.getUser(c),
      DeleteUser: (c) => this.deleteUser(c),
      TagUser: (c) => this.tagEntity(c, 'User'),
      UntagUser: (c) => this.untagEntity(c, 'User'),
      ListUserTags: (c) => this.listEntityTags(c, 'User'),
      ListUsers: (c) => this.listUsers(c),
      CreateAccessKey: (c) => this.createAccessKey(c),
      ListAccessKeys: (c) => this.listAccessKeys(c),
      UpdateAccessKey: (c) => this.updateAccessKey(c),
      DeleteAccessKey: (c) => this.deleteAccessKey(c),
      GetAccountSummary: (c) => this.getAccountSummary(c),
      SimulatePrincipalPolicy: (c) => this.simulatePrincipalPolicy(c),
    };
  }

  operationName(req: SandboxRequest): string {
    return new QueryInput(req).action || 'Unknown';
  }

  async handle(req: SandboxRequest): Promise<SandboxResponse> {
    const input = new QueryInput(req);
    const action = input.action;
    const handler = Object.hasOwn(this.handlers, action) ? this.handlers[action] : undefined;
    if (!handler) {
      throw new AwsError('InvalidAction', `Could not find operation ${action} for version ${input.params.get('Version') ?? VERSION}`, 400);
    }
    const ctx: Ctx = { req, in: input, principal: req.principal, account: req.principal.accountId, now: this.kernel.now() };
    const result = await handler(ctx);
    return queryResponse('iam', action, req.requestId, result);
  }

  /** IAM entities live in the kernel snapshot; nothing service-local to persist. */
  snapshot(): unknown {
    return null;
  }

  restore(): void {}

  inventory(accountId: string): Record<string, string[]> {
    return this.kernel.inventory(accountId);
  }

  // ------------------------------------------------------------------ helpers

  private async authorize(
    c: Ctx,
    operation: string,
    resource: string,
    context: Record<string, string | string[]> = {},
    opts: { creating?: boolean } = {},
  ): Promise<void> {
    const action = `iam:${operation}`;
    // An existing entity's tags (not for a create: the entity is evaluated as the request would make it).
    const tags = opts.creating || CREATING.has(operation) ? {} : this.entityTags(c, resource);
    const d = await this.kernel.authorize({ principal: c.principal, action, resource, resourceAccount: c.account, context: { ...tags, ...context } });
    if (!d.allowed) {
      const why =
        d.reason === 'ExplicitDeny'
          ? 'with an explicit deny in an identity-based policy'
          : `because no identity-based policy allows the ${action} action`;
      throw new AwsError('AccessDenied', `User: ${c.principal.arn} is not authorized to perform: ${action} on resource: ${resource} ${why}`, 403);
    }
  }

  /** The resource tag context of the role, user or customer managed policy `resource` names, if it exists. */
  private entityTags(c: Ctx, resource: string): Record<string, string> {
    const m = /^arn:aws:iam::(\d{12}):(role|user|policy)\/(?:.*\/)?([^/]+)$/.exec(resource);
    if (!m || m[1] !== c.account) return {};
    const [, , type, name = ''] = m;
    if (type === 'policy') {
      const p = this.kernel.identity.getPolicy(resource);
      return p && p.accountId === c.account ? resourceTagContext(p.tags, false) : {};
    }
    const e = type === 'role' ? this.kernel.identity.getRole(c.account, name) : this.kernel.identity.getUser(c.account, name);
    return e ? resourceTagContext(e.tags, true) : {};
  }

  private arn(c: Ctx, type: 'role' | 'user' | 'policy', path: string, name: string): string {
    return `arn:aws:iam::${c.account}:${type}${path}${name}`;
  }

  private role(c: Ctx, name: string): RoleRecord {
    const r = this.kernel.identity.getRole(c.account, name);
    if (!r) throw noSuchEntity(`The role with name ${name} cannot be found.`);
    return r;
  }

  private user(c: Ctx, name: string): UserRecord {
    const u = this.kernel.identity.getUser(c.account, name);
    if (!u) throw noSuchEntity(`The user with name ${name} cannot be found.`);
    return u;
  }

  /** ARN of an entity for authorization (existing path if known). */
  private entityArn(c: Ctx, kind: 'Role' | 'User', name: string): string {
    const e = kind === 'Role' ? this.kernel.identity.getRole(c.account, name) : this.kernel.identity.getUser(c.account, name);
    return e?.arn ?? this.arn(c, kind === 'Role' ? 'role' : 'user', '/', name);
  }

  private entity(c: Ctx, kind: 'Role' | 'User', name: string): RoleRecord | UserRecord {
    return kind === 'Role' ? this.role(c, name) : this.user(c, name);
  }

  private save(entity: RoleRecord | UserRecord): void {
    if ('roleName' in entity) this.kernel.identity.putRole(entity);
    else this.kernel.identity.putUser(entity);
  }

  private entityName(c: Ctx, kind: 'Role' | 'User'): string {
    return kind === 'Role' ? c.in.required('RoleName', ROLE_NAME) : c.in.required('UserName', USER_NAME);
  }

  /** Customer managed policy in the caller's account, or an AWS managed policy. */
  private managedPolicy(c: Ctx, arn: string, notFound: (arn: string) => AwsError): ManagedPolicyRecord {
    const p = this.kernel.identity.getPolicy(arn);
    if (!p || (p.accountId !== AWS_ACCOUNT && p.accountId !== c.account)) throw notFound(arn);
    return p;
  }

  private validateTrust(doc: string): void {
    if (policySize(doc) > POLICY_SIZE_LIMITS.trust) throw limit(`Cannot exceed quota for ACLSizePerRole: ${POLICY_SIZE_LIMITS.trust}`);
    validatePolicyDocument(doc, 'trust', { principalExists: (arn) => this.principalExists(arn) });
  }

  /** IAM resolves user/role principals of known accounts; external accounts cannot be checked. */
  private principalExists(arn: string): boolean | undefined {
    const account = accountFromArn(arn);
    if (!this.kernel.accounts.get(account)) return undefined;
    const resource = arn.split(':')[5] ?? '';
    if (resource.startsWith('role/')) return this.kernel.identity.getRoleByArn(arn) !== undefined;
    if (resource.startsWith('user/')) {
      const u = this.kernel.identity.getUser(account, nameFromArn(arn));
      return u !== undefined && u.arn === arn;
    }
    return undefined;
  }

  // ------------------------------------------------------------------ roles

  private async createRole(c: Ctx): Promise<XmlChild[]> {
    const name = c.in.required('RoleName', ROLE_NAME);
    const path = c.in.optional('Path', PATH) ?? '/';
    const trust = c.in.required('AssumeRolePolicyDocument', DOCUMENT);
    const description = c.in.optional('Description', { max: 1000 });
    const maxSession = c.in.int('MaxSessionDuration', 3600, 43200) ?? 3600;
    const tags = c.in.tags();
    const arn = this.arn(c, 'role', path, name);
    await this.authorize(c, 'CreateRole', arn, requestTagContext(tags));
    if (tags.length > 0) await this.authorize(c, 'TagRole', arn, requestTagContext(tags), { creating: true });
    checkTags(tags);
    if (tags.length > QUOTAS.Tags) throw limit(`Cannot exceed quota for TagsPerRole: ${QUOTAS.Tags}`);
    this.validateTrust(trust);
    if (this.kernel.identity.getRole(c.account, name)) throw exists(`Role with name ${name} already exists.`);
    if (this.kernel.identity.listRoles(c.account).length >= QUOTAS.Roles) throw limit(`Cannot exceed quota for RolesPerAccount: ${QUOTAS.Roles}`);
    const effectiveAt = this.kernel.effectiveFrom(c.now);
    const role: RoleRecord = {
      accountId: c.account,
      roleName: name,
      roleId: this.kernel.uniqueId('AROA'),
      path,
      arn,
      createDate: c.now,
      tags,
      attached: [],
      inline: [],
      ...(description !== undefined ? { description } : {}),
      maxSessionDuration: maxSession,
      trustPolicy: trust,
      trustEffectiveAt: effectiveAt,
      effectiveAt,
    };
    this.kernel.identity.putRole(role);
    return [el('Role', roleXml(role, { tags: true }))];
  }

  private async getRole(c: Ctx): Promise<XmlChild[]> {
    const name = c.in.required('RoleName', ROLE_NAME);
    await this.authorize(c, 'GetRole', this.entityArn(c, 'Role', name));
    return [el('Role', roleXml(this.role(c, name), { tags: true, lastUsed: true }))];
  }

  private async deleteRole(c: Ctx): Promise<undefined> {
    const name = c.in.required('RoleName', ROLE_NAME);
    await this.authorize(c, 'DeleteRole', this.entityArn(c, 'Role', name));
    const role = this.role(c, name);
    if (role.attached.length > 0) throw conflict('Cannot delete entity, must detach all policies first.');
    if (role.inline.length > 0) throw conflict('Cannot delete entity, must delete policies first.');
    this.kernel.identity.deleteRole(c.account, name);
    return undefined;
  }

  private async updateRole(c: Ctx): Promise<XmlChild[]> {
    const name = c.in.required('RoleName', ROLE_NAME);
    const description = c.in.optional('Description', { max: 1000 });
    const maxSession = c.in.int('MaxSessionDuration', 3600, 43200);
    await this.authorize(c, 'UpdateRole', this.entityArn(c, 'Role', name));
    const role = this.role(c, name);
    this.kernel.identity.putRole({
      ...role,
      ...(description !== undefined ? { description } : {}),
      ...(maxSession !== undefined ? { maxSessionDuration: maxSession } : {}),
    });
    return [];
  }

  private async updateAssumeRolePolicy(c: Ctx): Promise<undefined> {
    const name = c.in.required('RoleName', ROLE_NAME);
    const doc = c.in.required('PolicyDocument', DOCUMENT);
    await this.authorize(c, 'UpdateAssumeRolePolicy', this.entityArn(c, 'Role', name));
    const role = this.role(c, name);
    this.validateTrust(doc);
    const inForce = role.trustEffectiveAt <= c.now ? role.trustPolicy : role.previousTrustPolicy;
    const updated: RoleRecord = { ...role, trustPolicy: doc, trustEffectiveAt: this.kernel.effectiveFrom(c.now) };
    if (inForce !== undefined) updated.previousTrustPolicy = inForce;
    else delete updated.previousTrustPolicy;
    this.kernel.identity.putRole(updated);
    return undefined;
  }

  private async listRoles(c: Ctx): Promise<XmlChild[]> {
    const prefix = c.in.optional('PathPrefix', PATH_PREFIX) ?? '/';
    await this.authorize(c, 'ListRoles', '*');
    const roles = this.kernel.identity.listRoles(c.account).filter((r) => r.path.startsWith(prefix));
    const page = paginate(c, roles, (r) => r.roleName.toLowerCase());
    return [members('Roles', page.items, (r) => roleXml(r)), page.truncation];
  }

  // ------------------------------------------------------------------ tags (roles and users)

  private async tagEntity(c: Ctx, kind: 'Role' | 'User'): Promise<undefined> {
    const name = this.entityName(c, kind);
    const tags = c.in.tags();
    if (tags.length === 0) throw validationError(`1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null`);
    await this.authorize(c, `Tag${kind}`, this.entityArn(c, kind, name), requestTagContext(tags));
    const e = this.entity(c, kind, name);
    checkTags(tags);
    this.save({ ...e, tags: mergeTags(e.tags, tags, kind) });
    return undefined;
  }

  private async untagEntity(c: Ctx, kind: 'Role' | 'User'): Promise<undefined> {
    const name = this.entityName(c, kind);
    const keys = c.in.list('TagKeys');
    if (keys.length === 0) throw validationError(`1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null`);
    await this.authorize(c, `Untag${kind}`, this.entityArn(c, kind, name), { 'aws:TagKeys': keys });
    const e = this.entity(c, kind, name);
    const lower = keys.map((k) => k.toLowerCase());
    this.save({ ...e, tags: e.tags.filter((t) => !lower.includes(t.Key.toLowerCase())) });
    return undefined;
  }

  private async listEntityTags(c: Ctx, kind: 'Role' | 'User'): Promise<XmlChild[]> {
    const name = this.entityName(c, kind);
    await this.authorize(c, `List${kind}Tags`, this.entityArn(c, kind, name));
    const e = this.entity(c, kind, name);
    const page = paginate(c, [...e.tags].sort((a, b) => (a.Key < b.Key ? -1 : 1)), (t) => t.Key);
    return [members('Tags', page.items, (t) => [el('Key', t.Key), el('Value', t.Value)]), page.truncation];
  }

  // ------------------------------------------------------------------ tags (customer managed policies)

  private async tagPolicy(c: Ctx): Promise<undefined> {
    const arn = c.in.required('PolicyArn', POLICY_ARN);
    const tags = c.in.tags();
    if (tags.length === 0) throw validationError(`1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null`);
    await this.authorize(c, 'TagPolicy', arn, requestTagContext(tags));
    const p = this.managedPolicy(c, arn, this.notFoundPolicy);
    if (p.accountId === AWS_ACCOUNT) throw this.notFoundPolicy(arn);
    checkTags(tags);
    this.kernel.identity.putPolicy({ ...p, tags: mergeTags(p.tags, tags, 'Policy') });
    return undefined;
  }

  private async untagPolicy(c: Ctx): Promise<undefined> {
    const arn = c.in.required('PolicyArn', POLICY_ARN);
    const keys = c.in.list('TagKeys');
    if (keys.length === 0) throw validationError(`1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null`);
    await this.authorize(c, 'UntagPolicy', arn, { 'aws:TagKeys': keys });
    const p = this.managedPolicy(c, arn, this.notFoundPolicy);
    if (p.accountId === AWS_ACCOUNT) throw this.notFoundPolicy(arn);
    const lower = keys.map((k) => k.toLowerCase());
    this.kernel.identity.putPolicy({ ...p, tags: p.tags.filter((t) => !lower.includes(t.Key.toLowerCase())) });
    return undefined;
  }

  private async listPolicyTags(c: Ctx): Promise<XmlChild[]> {
    const arn = c.in.required('PolicyArn', POLICY_ARN);
    await this.authorize(c, 'ListPolicyTags', arn);
    const p = this.managedPolicy(c, arn, this.notFoundPolicy);
    const page = paginate(c, [...p.tags].sort((a, b) => (a.Key < b.Key ? -1 : 1)), (t) => t.Key);
    return [members('Tags', page.items, (t) => [el('Key', t.Key), el('Value', t.Value)]), page.truncation];
  }

  // ------------------------------------------------------------------ managed policies

  private async createPolicy(c: Ctx): Promise<XmlChild[]> {
    const name = c.in.required('PolicyName', POLICY_NAME);
    const path = c.in.optional('Path', PATH) ?? '/';
    const doc = c.in.required('PolicyDocument', DOCUMENT);
    const description = c.in.optional('Description', { max: 1000 });
    const tags = c.in.tags();
    const arn = this.arn(c, 'policy', path, name);
    await this.authorize(c, 'CreatePolicy', arn, requestTagContext(tags));
    if (tags.length > 0) await this.authorize(c, 'TagPolicy', arn, requestTagContext(tags), { creating: true });
    checkTags(tags);
    if (policySize(doc) > POLICY_SIZE_LIMITS.identity) throw limit(`Cannot exceed quota for PolicySize: ${POLICY_SIZE_LIMITS.identity}`);
    validatePolicyDocument(doc, 'identity');
    if (this.kernel.identity.getPolicyByName(c.account, name)) {
      throw exists(`A policy called ${name} already exists. Duplicate names are not allowed.`);
    }
    if (this.kernel.identity.listPolicies(c.account, 'Local').length >= QUOTAS.Policies) {
      throw limit(`Cannot exceed quota for PoliciesPerAccount: ${QUOTAS.Policies}`);
    }
    const policy: ManagedPolicyRecord = {
      accountId: c.account,
      policyName: name,
      policyId: this.kernel.uniqueId('ANPA'),
      path,
      arn,
      ...(description !== undefined ? { description } : {}),
      createDate: c.now,
      updateDate: c.now,
      defaultVersionId: 'v1',
      versions: [{ versionId: 'v1', document: doc, createDate: c.now }],
      nextVersion: 2,
      tags,
    };
    this.kernel.identity.putPolicy(policy);
    return [el('Policy', policyXml(policy, 0, { tags: true }))];
  }

  private notFoundPolicy = (arn: string): AwsError => noSuchEntity(`Policy ${arn} was not found.`);
  private notAttachable = (arn: string): AwsError => noSuchEntity(`Policy ${arn} does not exist or is not attachable.`);

  private async getPolicy(c: Ctx): Promise<XmlChild[]> {
    const arn = c.in.required('PolicyArn', POLICY_ARN);
    await this.authorize(c, 'GetPolicy', arn);
    const p = this.managedPolicy(c, arn, this.notFoundPolicy);
    return [el('Policy', policyXml(p, this.attachments(c, p), { description: true, tags: true }))];
  }

  private attachments(c: Ctx, p: ManagedPolicyRecord): number {
    return p.accountId === AWS_ACCOUNT ? this.kernel.identity.attachmentCountIn(p, c.account) : this.kernel.identity.attachmentCount(p);
  }

  private async deletePolicy(c: Ctx): Promise<undefined> {
    const arn = c.in.required('PolicyArn', POLICY_ARN);
    await this.authorize(c, 'DeletePolicy', arn);
    const p = this.managedPolicy(c, arn, this.notFoundPolicy);
    if (p.accountId === AWS_ACCOUNT) throw this.notFoundPolicy(arn);
    if (this.kernel.identity.attachmentCount(p) > 0) throw conflict('Cannot delete a policy attached to entities.');
    if (p.versions.length > 1) {
      throw conflict(
        "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
      );
    }
    this.kernel.identity.deletePolicy(c.account, p.policyName);
    return undefined;
  }

  private async listPolicies(c: Ctx): Promise<XmlChild[]> {
    const scope = c.in.optional('Scope', { pattern: 'All|AWS|Local' }) ?? 'All';
    const onlyAttached = c.in.bool('OnlyAttached') ?? false;
    const prefix = c.in.optional('PathPrefix', PATH_PREFIX) ?? '/';
    await this.authorize(c, 'ListPolicies', '*');
    const list = this.kernel.identity
      .listPolicies(c.account, scope === 'AWS' ? 'AWS' : scope === 'Local' ? 'Local' : 'All')
      .filter((p) => p.path.startsWith(prefix))
      .filter((p) => !onlyAttached || this.attachments(c, p) > 0);
    const page = paginate(c, list, (p) => `${p.policyName.toLowerCase()}\n${p.arn}`);
    return [members('Policies', page.items, (p) => policyXml(p, this.attachments(c, p))), page.truncation];
  }

  private async createPolicyVersion(c: Ctx): Promise<XmlChild[]> {
    const arn = c.in.required('PolicyArn', POLICY_ARN);
    const doc = c.in.required('PolicyDocument', DOCUMENT);
    const setDefault = c.in.bool('SetAsDefault') ?? false;
    await this.authorize(c, 'CreatePolicyVersion', arn);
    const p = this.managedPolicy(c, arn, this.notFoundPolicy);
    if (p.accountId === AWS_ACCOUNT) throw this.notFoundPolicy(arn);
    if (policySize(doc) > POLICY_SIZE_LIMITS.identity) throw limit(`Cannot exceed quota for PolicySize: ${POLICY_SIZE_LIMITS.identity}`);
    validatePolicyDocument(doc, 'identity');
    if (p.versions.length >= QUOTAS.VersionsPerPolicy) {
      throw limit('A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.');
    }
    const version = { versionId: `v${p.nextVersion}`, document: doc, createDate: c.now };
    const updated: ManagedPolicyRecord = {
      ...p,
      versions: [...p.versions, version],
      nextVersion: p.nextVersion + 1,
      updateDate: c.now,
      defaultVersionId: setDefault ? version.versionId : p.defaultVersionId,
    };
    this.kernel.identity.putPolicy(updated);
    return [el('PolicyVersion', policyVersionXml(updated, version, false))];
  }

  private version(p: ManagedPolicyRecord, versionId: string) {
    const v = p.versions.find((x) => x.versionId === versionId);
    if (!v) throw noSuchEntity(`Policy ${p.arn} version ${versionId} does not exist or is not attachable.`);
    return v;
  }

  private async getPolicyVersion(c: Ctx): Promise<XmlChild[]> {
    const arn = c.in.required('PolicyArn', POLICY_ARN);
    const versionId = c.in.required('VersionId', VERSION_ID);
    await this.authorize(c, 'GetPolicyVersion', arn);
    const p = this.managedPolicy(c, arn, this.notFoundPolicy);
    return [el('PolicyVersion', policyVersionXml(p, this.version(p, versionId), true))];
  }

  private async listPolicyVersions(c: Ctx): Promise<XmlChild[]> {
    const arn = c.in.required('PolicyArn', POLICY_ARN);
    await this.authorize(c, 'ListPolicyVersions', arn);
    const p = this.managedPolicy(c, arn, this.notFoundPolicy);
    const sorted = [...p.versions].sort((a, b) => Number(b.versionId.slice(1)) - Number(a.versionId.slice(1)));
    const page = paginate(c, sorted, (v) => String(1e9 - Number(v.versionId.slice(1))).padStart(10, '0'));
    return [members('Versions', page.items, (v) => policyVersionXml(p, v, false)), page.truncation];
  }

  private async deletePolicyVersion(c: Ctx): Promise<undefined> {
    const arn = c.in.required('PolicyArn', POLICY_ARN);
    const versionId = c.in.required('VersionId', VERSION_ID);
    await this.authorize(c, 'DeletePolicyVersion', arn);
    const p = this.managedPolicy(c, arn, this.notFoundPolicy);
    if (p.accountId === AWS_ACCOUNT) throw this.notFoundPolicy(arn);
    this.version(p, versionId);
    if (p.defaultVersionId === versionId) throw conflict('Cannot delete the default version of a policy.');
    this.kernel.identity.putPolicy({ ...p, versions: p.versions.filter((v) => v.versionId !== versionId) });
    return undefined;
  }

  private async setDefaultPolicyVersion(c: Ctx): Promise<undefined> {
    const arn = c.in.required('PolicyArn', POLICY_ARN);
    const versionId = c.in.required('VersionId', VERSION_ID);
    await this.authorize(c, 'SetDefaultPolicyVersion', arn);
    const p = this.managedPolicy(c, arn, this.notFoundPolicy);
    if (p.accountId === AWS_ACCOUNT) throw this.notFoundPolicy(arn);
    this.version(p, versionId);
    this.kernel.identity.putPolicy({ ...p, defaultVersionId: versionId, updateDate: c.now });
    return undefined;
  }

  // ------------------------------------------------------------------ attachments

  private async attach(c: Ctx, kind: 'Role' | 'User'): Promise<undefined> {
    const name = this.entityName(c, kind);
    const policyArn = c.in.required('PolicyArn', POLICY_ARN);
    await this.authorize(c, `Attach${kind}Policy`, this.entityArn(c, kind, name), { 'iam:PolicyARN': policyArn });
    const e = this.entity(c, kind, name);
    this.managedPolicy(c, policyArn, this.notAttachable);
    if (e.attached.some((a) => a.policyArn === policyArn)) return undefined;
    const quota = kind === 'Role' ? QUOTAS.AttachedPoliciesPerRole : QUOTAS.AttachedPoliciesPerUser;
    if (e.attached.length >= quota) throw limit(`Cannot exceed quota for PoliciesPer${kind}: ${quota}`);
    const attachment: Attachment = { policyArn, attachedAt: c.now, effectiveAt: this.kernel.effectiveFrom(c.now) };
    this.save({ ...e, attached: [...e.attached, attachment] });
    return undefined;
  }

  private async detach(c: Ctx, kind: 'Role' | 'User'): Promise<undefined> {
    const name = this.entityName(c, kind);
    const policyArn = c.in.required('PolicyArn', POLICY_ARN);
    await this.authorize(c, `Detach${kind}Policy`, this.entityArn(c, kind, name), { 'iam:PolicyARN': policyArn });
    const e = this.entity(c, kind, name);
    if (!e.attached.some((a) => a.policyArn === policyArn)) throw this.notFoundPolicy(policyArn);
    this.save({ ...e, attached: e.attached.filter((a) => a.policyArn !== policyArn) });
    return undefined;
  }

  private async listAttached(c: Ctx, kind: 'Role' | 'User'): Promise<XmlChild[]> {
    const name = this.entityName(c, kind);
    const prefix = c.in.optional('PathPrefix', PATH_PREFIX) ?? '/';
    await this.authorize(c, `ListAttached${kind}Policies`, this.entityArn(c, kind, name));
    const e = this.entity(c, kind, name);
    const list = e.attached
      .map((a) => this.kernel.identity.getPolicy(a.policyArn))
      .filter((p): p is ManagedPolicyRecord => p !== undefined && p.path.startsWith(prefix));
    const page = paginate(c, list, (p) => p.arn);
    return [members('AttachedPolicies', page.items, (p) => [el('PolicyName', p.policyName), el('PolicyArn', p.arn)]), page.truncation];
  }

  // ------------------------------------------------------------------ inline policies

  private async putInline(c: Ctx, kind: 'Role' | 'User'): Promise<undefined> {
    const name = this.entityName(c, kind);
    const policyName = c.in.required('PolicyName', POLICY_NAME);
    const doc = c.in.required('PolicyDocument', DOCUMENT);
    await this.authorize(c, `Put${kind}Policy`, this.entityArn(c, kind, name));
    const e = this.entity(c, kind, name);
    validatePolicyDocument(doc, 'identity');
    const others = e.inline.filter((i) => i.name !== policyName);
    const quota = kind === 'Role' ? POLICY_SIZE_LIMITS.inline : 2048;
    const total = [...others.map((i) => i.document), doc].reduce((n, d) => n + policySize(d), 0);
    if (total > quota) throw limit(`Maximum policy size of ${quota} bytes exceeded for ${kind.toLowerCase()} ${name}`);
    const inline: InlinePolicy = { name: policyName, document: doc, effectiveAt: this.kernel.effectiveFrom(c.now) };
    this.save({ ...e, inline: [...others, inline] });
    return undefined;
  }

  private async getInline(c: Ctx, kind: 'Role' | 'User'): Promise<XmlChild[]> {
    const name = this.entityName(c, kind);
    const policyName = c.in.required('PolicyName', POLICY_NAME);
    await this.authorize(c, `Get${kind}Policy`, this.entityArn(c, kind, name));
    const e = this.entity(c, kind, name);
    const p = e.inline.find((i) => i.name === policyName);
    if (!p) throw noSuchEntity(`The ${kind.toLowerCase()} policy with name ${policyName} cannot be found.`);
    return [el(`${kind}Name`, name), el('PolicyName', p.name), el('PolicyDocument', encodeDocument(p.document))];
  }

  private async deleteInline(c: Ctx, kind: 'Role' | 'User'): Promise<undefined> {
    const name = this.entityName(c, kind);
    const policyName = c.in.required('PolicyName', POLICY_NAME);
    await this.authorize(c, `Delete${kind}Policy`, this.entityArn(c, kind, name));
    const e = this.entity(c, kind, name);
    if (!e.inline.some((i) => i.name === policyName)) {
      throw noSuchEntity(`The ${kind.toLowerCase()} policy with name ${policyName} cannot be found.`);
    }
    this.save({ ...e, inline: e.inline.filter((i) => i.name !== policyName) });
    return undefined;
  }

  private async listInline(c: Ctx, kind: 'Role' | 'User'): Promise<XmlChild[]> {
    const name = this.entityName(c, kind);
    await this.authorize(c, `List${kind}Policies`, this.entityArn(c, kind, name));
    const e = this.entity(c, kind, name);
    const page = paginate(c, e.inline.map((i) => i.name).sort(), (n) => n);
    return [members('PolicyNames', page.items, (n) => n), page.truncation];
  }

  // ------------------------------------------------------------------ users

  private async createUser(c: Ctx): Promise<XmlChild[]> {
    const name = c.in.required('UserName', USER_NAME);
    const path = c.in.optional('Path', PATH) ?? '/';
    const tags = c.in.tags();
    const arn = this.arn(c, 'user', path, name);
    await this.authorize(c, 'CreateUser', arn, requestTagContext(tags));
    if (tags.length > 0) await this.authorize(c, 'TagUser', arn, requestTagContext(tags), { creating: true });
    checkTags(tags);
    if (tags.length > QUOTAS.Tags) throw limit(`Cannot exceed quota for TagsPerUser: ${QUOTAS.Tags}`);
    if (this.kernel.identity.getUser(c.account, name)) throw exists(`User with name ${name} already exists.`);
    if (this.kernel.identity.listUsers(c.account).length >= QUOTAS.Users) throw limit(`Cannot exceed quota for UsersPerAccount: ${QUOTAS.Users}`);
    const user: UserRecord = {
      accountId: c.account,
      userName: name,
      userId: this.kernel.uniqueId('AIDA'),
      path,
      arn,
      createDate: c.now,
      tags,
      attached: [],
      inline: [],
    };
    this.kernel.identity.putUser(user);
    return [el('User', userXml(user, { tags: true }))];
  }

  /** UserName, or the calling IAM user; roles must name a user. Root gets undefined (itself). */
  private callerUserName(c: Ctx, explicit: string | undefined): string | undefined {
    if (explicit !== undefined) return explicit;
    if (c.principal.kind === 'user') return c.principal.userName;
    if (c.principal.kind === 'assumed-role') throw validationError('Must specify userName when calling with non-User credentials');
    return undefined;
  }

  private async getUser(c: Ctx): Promise<XmlChild[]> {
    const name = this.callerUserName(c, c.in.optional('UserName', USER_NAME));
    if (name === undefined) {
      const root: XmlChild[] = [el('UserId', c.account), el('Arn', `arn:aws:iam::${c.account}:root`), el('CreateDate', isoDate(this.kernel.startedAt))];
      return [el('User', root)];
    }
    await this.authorize(c, 'GetUser', this.entityArn(c, 'User', name));
    return [el('User', userXml(this.user(c, name), { tags: true }))];
  }

  private userKeys(u: UserRecord) {
    return this.kernel.credentials
      .list()
      .filter((r) => r.principal.kind === 'user' && r.principal.userId === u.userId)
      .sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0));
  }

  private async deleteUser(c: Ctx): Promise<undefined> {
    const name = c.in.required('UserName', USER_NAME);
    await this.authorize(c, 'DeleteUser', this.entityArn(c, 'User', name));
    const u = this.user(c, name);
    if (this.userKeys(u).length > 0) throw conflict('Cannot delete entity, must delete access keys first.');
    if (u.attached.length > 0) throw conflict('Cannot delete entity, must detach all policies first.');
    if (u.inline.length > 0) throw conflict('Cannot delete entity, must delete policies first.');
    this.kernel.identity.deleteUser(c.account, name);
    return undefined;
  }

  private async listUsers(c: Ctx): Promise<XmlChild[]> {
    const prefix = c.in.optional('PathPrefix', PATH_PREFIX) ?? '/';
    await this.authorize(c, 'ListUsers', '*');
    const users = this.kernel.identity.listUsers(c.account).filter((u) => u.path.startsWith(prefix));
    const page = paginate(c, users, (u) => u.userName.toLowerCase());
    return [members('Users', page.items, (u) => userXml(u)), page.truncation];
  }

  // ------------------------------------------------------------------ access keys

  private async createAccessKey(c: Ctx): Promise<XmlChild[]> {
    const name = this.callerUserName(c, c.in.optional('UserName', USER_NAME));
    if (name === undefined) throw validationError('The sandbox models account root credentials as fixed admin keys; specify UserName.');
    await this.authorize(c, 'CreateAccessKey', this.entityArn(c, 'User', name));
    const u = this.user(c, name);
    if (this.userKeys(u).length >= QUOTAS.AccessKeysPerUser) throw limit(`Cannot exceed quota for AccessKeysPerUser: ${QUOTAS.AccessKeysPerUser}`);
    const accessKeyId = this.kernel.newAccessKeyId('AKIA');
    const secretAccessKey = this.kernel.newSecretAccessKey();
    this.kernel.credentials.register({
      accessKeyId,
      secretAccessKey,
      effectiveAt: this.kernel.effectiveFrom(c.now),
      active: true,
      createdAt: c.now,
      principal: { kind: 'user', accountId: u.accountId, arn: u.arn, userName: u.userName, userId: u.userId, accessKeyId },
    });
    return [
      el(
        'AccessKey',
        el('UserName', u.userName),
        el('AccessKeyId', accessKeyId),
        el('Status', 'Active'),
        el('SecretAccessKey', secretAccessKey),
        el('CreateDate', isoDate(c.now)),
      ),
    ];
  }

  private async listAccessKeys(c: Ctx): Promise<XmlChild[]> {
    const name = this.callerUserName(c, c.in.optional('UserName', USER_NAME));
    if (name === undefined) {
      const rootKeys = this.kernel.credentials.list().filter((r) => r.principal.kind === 'root' && r.principal.accountId === c.account);
      return [
        members('AccessKeyMetadata', rootKeys, (r) => [el('AccessKeyId', r.accessKeyId), el('Status', r.active ? 'Active' : 'Inactive'), el('CreateDate', isoDate(r.createdAt || this.kernel.startedAt))]),
        el('IsTruncated', false),
      ];
    }
    await this.authorize(c, 'ListAccessKeys', this.entityArn(c, 'User', name));
    const u = this.user(c, name);
    const page = paginate(c, this.userKeys(u), (r) => r.accessKeyId);
    return [
      members('AccessKeyMetadata', page.items, (r) => [
        el('UserName', u.userName),
        el('AccessKeyId', r.accessKeyId),
        el('Status', r.active ? 'Active' : 'Inactive'),
        el('CreateDate', isoDate(r.createdAt ?? 0)),
      ]),
      page.truncation,
    ];
  }

  private async userKey(c: Ctx, operation: string): Promise<{ u: UserRecord; accessKeyId: string }> {
    const name = this.callerUserName(c, c.in.optional('UserName', USER_NAME));
    const accessKeyId = c.in.required('AccessKeyId', ACCESS_KEY_ID);
    if (name === undefined) throw validationError('The sandbox models account root credentials as fixed admin keys; specify UserName.');
    await this.authorize(c, operation, this.entityArn(c, 'User', name));
    const u = this.user(c, name);
    if (!this.userKeys(u).some((r) => r.accessKeyId === accessKeyId)) {
      throw noSuchEntity(`The Access Key with id ${accessKeyId} cannot be found.`);
    }
    return { u, accessKeyId };
  }

  private async updateAccessKey(c: Ctx): Promise<undefined> {
    const status = c.in.required('Status');
    if (status !== 'Active' && status !== 'Inactive') {
      throw validationError(`1 validation error detected: Value '${status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]`);
    }
    const { accessKeyId } = await this.userKey(c, 'UpdateAccessKey');
    this.kernel.credentials.update(accessKeyId, { active: status === 'Active' });
    return undefined;
  }

  private async deleteAccessKey(c: Ctx): Promise<undefined> {
    const { accessKeyId } = await this.userKey(c, 'DeleteAccessKey');
    this.kernel.credentials.remove(accessKeyId);
    return undefined;
  }

  // ------------------------------------------------------------------ policy simulation

  private async simulatePrincipalPolicy(c: Ctx): Promise<XmlChild[]> {
    const source = c.in.required('PolicySourceArn', POLICY_ARN);
    const unsupported = [...c.in.params.keys()].find((k) =>
      /^(PolicyInputList|PermissionsBoundaryPolicyInputList|ContextEntries|CallerArn|ResourcePolicy|ResourceOwner|ResourceHandlingOption)/.test(k),
    );
    if (unsupported) throw new AwsError('InvalidInput', `The sandbox's SimulatePrincipalPolicy does not support ${unsupported.split('.')[0]}.`, 400);
    const actions = c.in.list('ActionNames');
    if (actions.length === 0) throw validationError("1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null");
    const resources = c.in.list('ResourceArns');
    await this.authorize(c, 'SimulatePrincipalPolicy', source);
    const m = /^arn:aws:iam::(\d{12}):(role|user)\/(?:.*\/)?([^/]+)$/.exec(source);
    const entity =
      m && m[1] === c.account
        ? m[2] === 'role'
          ? this.kernel.identity.getRoleByArn(source)
          : this.kernel.identity.getUser(c.account, m[3] ?? '')
        : undefined;
    if (!entity || entity.arn !== source) throw noSuchEntity(`Entity ${source} does not exist.`);
    const principal: Principal =
      'roleName' in entity
        ? { kind: 'assumed-role', accountId: c.account, arn: entity.arn, roleArn: entity.arn, roleName: entity.roleName, roleId: entity.roleId, sessionName: 'simulation', accessKeyId: '' }
        : { kind: 'user', accountId: c.account, arn: entity.arn, userName: entity.userName, userId: entity.userId, accessKeyId: '' };
    const identityPolicies = this.kernel.identity.effectivePolicies(entity, Number.POSITIVE_INFINITY);
    const results: Array<{ action: string; resource: string; decision: string }> = [];
    for (const action of actions) {
      for (const resource of resources.length > 0 ? resources : ['*']) {
        const resourceAccount = resource === '*' ? c.account : (resource.split(':')[4] ?? '') || c.account;
        const d = await this.kernel.authorizer.evaluate({
          principal,
          action,
          resource,
          resourceAccount,
          identityPolicies,
          context: () => ({ ...this.kernel.principalContext(principal, c.now), ...this.kernel.resourceContext(resourceAccount) }),
        });
        results.push({ action, resource, decision: d.allowed ? 'allowed' : d.reason === 'ExplicitDeny' ? 'explicitDeny' : 'implicitDeny' });
      }
    }
    return [
      members('EvaluationResults', results, (r) => [
        el('EvalActionName', r.action),
        el('EvalResourceName', r.resource),
        el('EvalDecision', r.decision),
        el('MatchedStatements'),
        el('MissingContextValues'),
      ]),
      el('IsTruncated', false),
    ];
  }

  // ------------------------------------------------------------------ account

  private async getAccountSummary(c: Ctx): Promise<XmlChild[]> {
    await this.authorize(c, 'GetAccountSummary', '*');
    const id = this.kernel.identity;
    const local = id.listPolicies(c.account, 'Local');
    const rootKeys = this.kernel.credentials.list().some((r) => r.principal.kind === 'root' && r.principal.accountId === c.account);
    const entries: Array<[string, number]> = [
      ['Users', id.listUsers(c.account).length],
      ['UsersQuota', QUOTAS.Users],
      ['Groups', 0],
      ['GroupsQuota', 300],
      ['ServerCertificates', 0],
      ['ServerCertificatesQuota', 20],
      ['UserPolicySizeQuota', 2048],
      ['GroupPolicySizeQuota', 5120],
      ['GroupsPerUserQuota', 10],
      ['SigningCertificatesPerUserQuota', 2],
      ['AccessKeysPerUserQuota', QUOTAS.AccessKeysPerUser],
      ['MFADevices', 0],
      ['MFADevicesInUse', 0],
      ['AccountMFAEnabled', 0],
      ['AccountAccessKeysPresent', rootKeys ? 1 : 0],
      ['AccountSigningCertificatesPresent', 0],
      ['AttachedPoliciesPerGroupQuota', 10],
      ['AttachedPoliciesPerRoleQuota', QUOTAS.AttachedPoliciesPerRole],
      ['AttachedPoliciesPerUserQuota', QUOTAS.AttachedPoliciesPerUser],
      ['Policies', local.length],
      ['PoliciesQuota', QUOTAS.Policies],
      ['PolicySizeQuota', POLICY_SIZE_LIMITS.identity],
      ['PolicyVersionsInUse', local.reduce((n, p) => n + p.versions.length, 0)],
      ['PolicyVersionsInUseQuota', 10000],
      ['VersionsPerPolicyQuota', QUOTAS.VersionsPerPolicy],
      ['Roles', id.listRoles(c.account).length],
      ['RolesQuota', QUOTAS.Roles],
      ['RolePolicySizeQuota', POLICY_SIZE_LIMITS.inline],
      ['InstanceProfiles', 0],
      ['InstanceProfilesQuota', 1000],
      ['Providers', 0],
      ['GlobalEndpointTokenVersion', 1],
    ];
    return [el('SummaryMap', entries.map(([k, v]) => el('entry', el('key', k), el('value', v))))];
  }
}

