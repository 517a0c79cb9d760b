/**
 * The functions' execution roles in the sandbox, as CloudFormation would have created them at deploy time: every
 * `AWS::IAM::Role` of the stack that a Lambda function of the stack runs as (and every role of the stack whose trust
 * policy names such a role, e.g. TenantSecretsAccess), in the sandbox's home account, with its
 * AssumeRolePolicyDocument, Path, inline `Policies`, `ManagedPolicyArns` (AWS managed policies the sandbox ships), and
 * every `AWS::IAM::Policy` of the stack attached to it (`Roles: [{Ref: role}]`) as an inline role policy named by
 * its PolicyName. Every intrinsic is resolved by template.ts for the local deployment (the registry table's ARN, the
 * bus ARN, function ARNs, `{Ref: AWS::Partition}`, ...); one that cannot be resolved fails loudly, naming it.
 *
 * Idempotent: an existing role is brought to the template's definition (trust policy, inline policies, attached
 * managed policies; a role whose Path changed is re-created), so a re-synth with other permissions takes effect on
 * the next run. When anything changed, the caller waits for IAM propagation (GET /_sandbox/config) before the run.
 */
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  EntityAlreadyExistsException,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import type { SandboxEndpoints } from './sandbox';
import { functionRoleLogicalId, physicalName, resolveValue, resourceArn, TemplateError, type CfnTemplate, type DeploymentTarget } from './template';

export interface TemplateRolePolicy {
  name: string;
  /** Canonical JSON text (keys sorted). */
  document: string;
  /** Where it comes from: the `AWS::IAM::Policy` logical id, or `<role>.Policies`. */
  source: string;
}

export interface TemplateRole {
  logicalId: string;
  roleName: string;
  /** `/` unless the template sets one. */
  path: string;
  arn: string;
  /** Canonical JSON text of the AssumeRolePolicyDocument. */
  trustPolicy: string;
  inlinePolicies: TemplateRolePolicy[];
  managedPolicyArns: string[];
  /** The role's tags (they are `aws:PrincipalTag/<key>` of its sessions). */
  tags: Array<{ Key: string; Value: string }>;
  description?: string;
  maxSessionDuration?: number;
  /** Logical ids of the Lambda functions that run as this role (none: a role the functions' roles may assume). */
  functions: string[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON with object keys sorted (arrays keep their order), so equal documents compare equal as text. */
export function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (!isRecord(v)) return v;
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sort(v[k])]),
    );
  };
  return JSON.stringify(sort(value));
}

function resolved(what: string, value: unknown, template: CfnTemplate, target: DeploymentTarget): unknown {
  try {
    return resolveValue(value, template, target);
  } catch (e) {
    throw new TemplateError(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Does `value` (a template fragment) hold `{Fn::GetAtt: [roleLogicalId, Arn]}`? */
function referencesRoleArn(value: unknown, roleLogicalId: string): boolean {
  if (Array.isArray(value)) return value.some((v) => referencesRoleArn(v, roleLogicalId));
  if (!isRecord(value)) return false;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[0] === roleLogicalId && getAtt[1] === 'Arn') return true;
  return Object.values(value).some((v) => referencesRoleArn(v, roleLogicalId));
}

/** Does a `Roles` entry of an AWS::IAM::Policy name this role (`{Ref: id}`, or a literal / resolved name)? */
function namesRole(entry: unknown, roleLogicalId: string, roleName: string, template: CfnTemplate, target: DeploymentTarget): boolean {
  if (isRecord(entry) && entry.Ref === roleLogicalId) return true;
  try {
    return resolveValue(entry, template, target) === roleName;
  } catch {
    return false;
  }
}

/**
 * The roles the stack's Lambda functions (or those of `onlyFunctions`, e.g. the bundled ones the runner can invoke)
 * run as, with every intrinsic resolved for `target`. Fails loudly on what
 * the sandbox cannot reproduce (a role the stack does not define, an unresolvable intrinsic, an `AWS::IAM::ManagedPolicy`
 * of the stack, two roles with the same local name).
 */
export function templateRoles(template: CfnTemplate, target: DeploymentTarget, onlyFunctions?: ReadonlySet<string>): TemplateRole[] {
  const byRole = new Map<string, string[]>();
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function' || (onlyFunctions !== undefined && !onlyFunctions.has(id))) continue;
    const roleId = functionRoleLogicalId(template, id);
    if (roleId === undefined) {
      throw new TemplateError(
        `function ${id} runs as ${JSON.stringify(r.Properties?.Role)}, which is not a role of the stack: the local runner can only create the stack's own roles`,
      );
    }
    byRole.set(roleId, [...(byRole.get(roleId) ?? []), id]);
  }
  // Roles the functions' roles may assume (their trust policy names one of them), e.g. TenantSecretsAccess.
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::IAM::Role' || byRole.has(id)) continue;
    if ([...byRole.keys()].some((fnRole) => referencesRoleArn(r.Properties?.AssumeRolePolicyDocument, fnRole))) byRole.set(id, []);
  }
  const roles: TemplateRole[] = [];
  const names = new Map<string, string>();
  for (const [logicalId, functions] of byRole) {
    const r = template.Resources[logicalId];
    const props = r?.Properties ?? {};
    const roleName = physicalName(template, logicalId, target);
    const clash = names.get(roleName.toLowerCase());
    if (clash) throw new TemplateError(`roles ${clash} and ${logicalId} get the same local name ${roleName}`);
    names.set(roleName.toLowerCase(), logicalId);
    const path = typeof props.Path === 'string' ? props.Path : '/';
    const trust = resolved(`role ${logicalId} AssumeRolePolicyDocument`, props.AssumeRolePolicyDocument, template, target);
    if (!isRecord(trust)) throw new TemplateError(`role ${logicalId} has no AssumeRolePolicyDocument`);

    const inlinePolicies: TemplateRolePolicy[] = [];
    const own = props.Policies;
    if (Array.isArray(own)) {
      for (const p of own) {
        const doc = resolved(`role ${logicalId} Policies`, p, template, target);
        if (!isRecord(doc) || typeof doc.PolicyName !== 'string' || !isRecord(doc.PolicyDocument)) {
          throw new TemplateError(`role ${logicalId}: an entry of Policies has no PolicyName / PolicyDocument`);
        }
        inlinePolicies.push({ name: doc.PolicyName, document: canonicalJson(doc.PolicyDocument), source: `${logicalId}.Policies` });
      }
    }
    for (const [policyId, p] of Object.entries(template.Resources)) {
      if (p.Type === 'AWS::IAM::ManagedPolicy') {
        const attached = [p.Properties?.Roles ?? []].flat().some((e) => namesRole(e, logicalId, roleName, template, target));
        if (attached) throw new TemplateError(`role ${logicalId} gets the stack's managed policy ${policyId}; the local runner does not create customer managed policies`);
      }
      if (p.Type !== 'AWS::IAM::Policy') continue;
      const attached = [p.Properties?.Roles ?? []].flat().some((e) => namesRole(e, logicalId, roleName, template, target));
      if (!attached) continue;
      const name = resolved(`policy ${policyId} PolicyName`, p.Properties?.PolicyName, template, target);
      const doc = resolved(`policy ${policyId} PolicyDocument`, p.Properties?.PolicyDocument, template, target);
      if (typeof name !== 'string' || !isRecord(doc)) throw new TemplateError(`policy ${policyId} has no PolicyName / PolicyDocument`);
      inlinePolicies.push({ name, document: canonicalJson(doc), source: policyId });
    }
    const managed = resolved(`role ${logicalId} ManagedPolicyArns`, props.ManagedPolicyArns ?? [], template, target);
    if (!Array.isArray(managed) || !managed.every((a): a is string => typeof a === 'string')) {
      throw new TemplateError(`role ${logicalId}: ManagedPolicyArns is not a list of ARNs`);
    }
    const tags = resolved(`role ${logicalId} Tags`, props.Tags ?? [], template, target);
    if (!Array.isArray(tags) || !tags.every((t) => isRecord(t) && typeof t.Key === 'string' && typeof t.Value === 'string')) {
      throw new TemplateError(`role ${logicalId}: Tags is not a list of {Key, Value}`);
    }
    roles.push({
      logicalId,
      tags: (tags as Array<{ Key: string; Value: string }>).map((t) => ({ Key: t.Key, Value: t.Value })).sort((a, b) => (a.Key < b.Key ? -1 : 1)),
      roleName,
      path,
      arn: resourceArn(template, logicalId, target),
      trustPolicy: canonicalJson(trust),
      inlinePolicies: inlinePolicies.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      managedPolicyArns: [...managed].sort(),
      ...(typeof props.Description === 'string' ? { description: props.Description } : {}),
      ...(typeof props.MaxSessionDuration === 'number' ? { maxSessionDuration: props.MaxSessionDuration } : {}),
      functions: functions.sort(),
    });
  }
  return roles.sort((a, b) => (a.logicalId < b.logicalId ? -1 : 1));
}

export interface EnsuredRole {
  logicalId: string;
  roleName: string;
  arn: string;
  /** The sandbox's RoleId (changes when a role is re-created). */
  roleId: string;
  /** 'created' | 'updated' (trust, policies or attachments changed) | 'unchanged'. */
  outcome: 'created' | 'updated' | 'unchanged';
  functions: string[];
}

const decodeDocument = (text: string | undefined): string => {
  if (text === undefined) return '';
  let t = text;
  try {
    t = decodeURIComponent(text);
  } catch {
    // already plain
  }
  try {
    return canonicalJson(JSON.parse(t));
  } catch {
    return t;
  }
};

async function ignoreMissing<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof NoSuchEntityException) return undefined;
    throw e;
  }
}

async function listAll<T>(fetchPage: (marker: string | undefined) => Promise<{ items: T[]; marker?: string | undefined }>): Promise<T[]> {
  const out: T[] = [];
  let marker: string | undefined;
  do {
    const page = await fetchPage(marker);
    out.push(...page.items);
    marker = page.marker;
  } while (marker !== undefined);
  return out;
}

async function ensureRole(iam: IAMClient, role: TemplateRole): Promise<EnsuredRole> {
  const base = { logicalId: role.logicalId, roleName: role.roleName, arn: role.arn, functions: role.functions };
  const create = async (): Promise<string | undefined> => {
    try {
      const out = await iam.send(
        new CreateRoleCommand({
          RoleName: role.roleName,
          Path: role.path,
          AssumeRolePolicyDocument: role.trustPolicy,
          ...(role.tags.length > 0 ? { Tags: role.tags } : {}),
          ...(role.description !== undefined ? { Description: role.description } : {}),
          ...(role.maxSessionDuration !== undefined ? { MaxSessionDuration: role.maxSessionDuration } : {}),
        }),
      );
      return out.Role?.RoleId;
    } catch (e) {
      if (e instanceof EntityAlreadyExistsException) return undefined; // a concurrent run created it
      throw e;
    }
  };
  let outcome: EnsuredRole['outcome'] = 'unchanged';
  let current = (await ignoreMissing(iam.send(new GetRoleCommand({ RoleName: role.roleName }))))?.Role;
  if (current && current.Path !== role.path) {
    // The role ARN includes the path: re-create it under the template's path.
    await removeRole(iam, role.roleName);
    current = undefined;
  }
  if (!current) {
    await create();
    outcome = 'created';
    current = (await iam.send(new GetRoleCommand({ RoleName: role.roleName }))).Role;
  } else if (decodeDocument(current.AssumeRolePolicyDocument) !== role.trustPolicy) {
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: role.roleName, PolicyDocument: role.trustPolicy }));
    outcome = 'updated';
  }
  const changed = () => {
    if (outcome === 'unchanged') outcome = 'updated';
  };

  const haveTags = (await iam.send(new ListRoleTagsCommand({ RoleName: role.roleName }))).Tags ?? [];
  const missing = role.tags.filter((t) => !haveTags.some((h) => h.Key === t.Key && h.Value === t.Value));
  if (missing.length > 0) {
    await iam.send(new TagRoleCommand({ RoleName: role.roleName, Tags: missing }));
    changed();
  }
  const extra = haveTags.filter((h) => !role.tags.some((t) => t.Key === h.Key)).map((h) => h.Key ?? '');
  if (extra.length > 0) {
    await iam.send(new UntagRoleCommand({ RoleName: role.roleName, TagKeys: extra }));
    changed();
  }

  const existing = await listAll(async (Marker) => {
    const out = await iam.send(new ListRolePoliciesCommand({ RoleName: role.roleName, ...(Marker ? { Marker } : {}) }));
    return { items: out.PolicyNames ?? [], marker: out.IsTruncated ? out.Marker : undefined };
  });
  for (const p of role.inlinePolicies) {
    const have = existing.includes(p.name)
      ? await ignoreMissing(iam.send(new GetRolePolicyCommand({ RoleName: role.roleName, PolicyName: p.name })))
      : undefined;
    if (have && decodeDocument(have.PolicyDocument) === p.document) continue;
    await iam.send(new PutRolePolicyCommand({ RoleName: role.roleName, PolicyName: p.name, PolicyDocument: p.document }));
    changed();
  }
  for (const name of existing) {
    if (role.inlinePolicies.some((p) => p.name === name)) continue;
    await ignoreMissing(iam.send(new DeleteRolePolicyCommand({ RoleName: role.roleName, PolicyName: name })));
    changed();
  }

  const attached = await listAll(async (Marker) => {
    const out = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role.roleName, ...(Marker ? { Marker } : {}) }));
    return { items: (out.AttachedPolicies ?? []).map((a) => a.PolicyArn ?? ''), marker: out.IsTruncated ? out.Marker : undefined };
  });
  for (const arn of role.managedPolicyArns) {
    if (attached.includes(arn)) continue;
    try {
      await iam.send(new AttachRolePolicyCommand({ RoleName: role.roleName, PolicyArn: arn }));
    } catch (e) {
      if (e instanceof NoSuchEntityException) {
        throw new TemplateError(`role ${role.logicalId} attaches ${arn}, a managed policy the AWS sandbox does not know (it ships a few AWS managed policies only)`);
      }
      throw e;
    }
    changed();
  }
  for (const arn of attached) {
    if (role.managedPolicyArns.includes(arn)) continue;
    await ignoreMissing(iam.send(new DetachRolePolicyCommand({ RoleName: role.roleName, PolicyArn: arn })));
    changed();
  }
  return { ...base, roleId: current?.RoleId ?? '', outcome };
}

async function removeRole(iam: IAMClient, roleName: string): Promise<void> {
  const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
  for (const n of names) await ignoreMissing(iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: n })));
  const attached = (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }))).AttachedPolicies ?? [];
  for (const a of attached) await ignoreMissing(iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: a.PolicyArn ?? '' })));
  await ignoreMissing(iam.send(new DeleteRoleCommand({ RoleName: roleName })));
}

/** Creates or corrects `roles` in the sandbox's home account (the runner's own admin credentials, never process.env). */
export async function ensureSandboxRoles(sb: SandboxEndpoints, roles: readonly TemplateRole[]): Promise<EnsuredRole[]> {
  if (roles.length === 0) return [];
  const iam = new IAMClient({
    endpoint: sb.aws.endpoint,
    region: sb.aws.region,
    credentials: { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey },
  });
  try {
    const out: EnsuredRole[] = [];
    // The functions' roles first: the roles they may assume name them in their trust policies.
    for (const phase of [roles.filter((r) => r.functions.length > 0), roles.filter((r) => r.functions.length === 0)]) {
      // A few at a time: each role is a handful of IAM calls.
      for (let i = 0; i < phase.length; i += 4) {
        out.push(...(await Promise.all(phase.slice(i, i + 4).map((r) => ensureRole(iam, r)))));
      }
    }
    return out;
  } finally {
    iam.destroy();
  }
}

/** The sandbox's IAM propagation delay (GET /_sandbox/config), to wait after changing roles. */
export async function sandboxPropagationMs(sb: SandboxEndpoints): Promise<number> {
  try {
    const res = await fetch(`${sb.aws.endpoint}/_sandbox/config`);
    const config = (await res.json()) as { iamPropagationMs?: unknown };
    return typeof config.iamPropagationMs === 'number' ? config.iamPropagationMs : 0;
  } catch {
    return 0;
  }
}
