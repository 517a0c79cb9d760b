/**
 * STS over the query protocol (version 2011-06-15): GetCallerIdentity and AssumeRole.
 *
 * AssumeRole evaluates the role's trust policy (the one in force: a new or updated trust policy only
 * applies after IAM propagation) together with the caller's identity policies through the kernel,
 * with sts:ExternalId / sts:RoleSessionName / sts:SourceIdentity in the context, plus the global keys the kernel
 * sets for every request (aws:PrincipalOrgID / aws:PrincipalOrgPaths / aws:PrincipalTag/* of the caller,
 * aws:ResourceAccount / aws:ResourceOrgID / aws:ResourceOrgPaths of the role's account). Cross-account callers
 * therefore need both sides; root callers are modelled as holding AdministratorAccess. (Real AWS refuses AssumeRole
 * with root credentials; the sandbox allows it because its account admin keys are root keys.)
 *
 * Session tags (`Tags`, `TransitiveTagKeys`), as AWS: validated (at most 50, AWS's key / value characters, no `aws:`
 * prefix, no key twice in any case), authorized as `sts:TagSession` on the role (trust policy and the caller's identity
 * policies, with aws:RequestTag/<key>, aws:TagKeys and sts:TransitiveTagKeys in the context; the same keys are in the
 * AssumeRole decision's context), stored with the session, and from then on `aws:PrincipalTag/<key>` of every request
 * the session makes (over the role's own tags of that key), policy variables `${aws:PrincipalTag/<key>}` included. In a
 * role chain the caller's transitive tags pass on (and stay transitive); setting one of their keys again is an error.
 */
import { AwsError } from '../../core/errors';
import type { Kernel } from '../../core/kernel';
import { POLICY_SIZE_LIMITS, policySize, validatePolicyDocument } from '../../core/policy';
import { el, isoDate, opt, queryResponse, type XmlChild } from '../../core/protocol';
import { QueryInput, validationError } from '../../core/query';
import type { Principal, SandboxRequest, SandboxResponse, SandboxService } from '../../core/types';

const VERSION = '2011-06-15';
const MAX_SESSION_TAGS = 50;
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

type Tag = { Key: string; Value: string };

const invalidParameter = (message: string): AwsError => new AwsError('InvalidParameterValue', message, 400);

/** AWS's checks of AssumeRole `Tags` / `TransitiveTagKeys`. */
function validateSessionTags(tags: Tag[], transitive: string[], inherited: Tag[]): void {
  if (tags.length + inherited.length > MAX_SESSION_TAGS) {
    throw validationError(`1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to ${MAX_SESSION_TAGS}`);
  }
  for (const t of tags) {
    if (t.Key.length < 1 || t.Key.length > 128 || !TAG_CHARS.test(t.Key)) {
      throw validationError(`1 validation error detected: Value '${t.Key}' at 'tags.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+`);
    }
    if (t.Value.length > 256 || !TAG_CHARS.test(t.Value)) {
      throw validationError(`1 validation error detected: Value at 'tags.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*`);
    }
    if (t.Key.toLowerCase().startsWith('aws:')) throw invalidParameter('Tag keys may not start with the reserved prefix aws:.');
  }
  const keys = tags.map((t) => t.Key.toLowerCase());
  if (new Set(keys).size !== keys.length) throw invalidParameter('Duplicate tag keys found. Please note that Tag keys are case insensitive.');
  if (inherited.some((t) => keys.includes(t.Key.toLowerCase()))) {
    throw invalidParameter('One or more of the specified session tags conflict with transitive tags of the calling session.');
  }
  if (transitive.length > MAX_SESSION_TAGS) {
    throw validationError(`1 validation error detected: Value at 'transitiveTagKeys' failed to satisfy constraint: Member must have length less than or equal to ${MAX_SESSION_TAGS}`);
  }
  for (const k of transitive) {
    if (!keys.includes(k.toLowerCase())) throw invalidParameter(`The transitive tag key ${k} is not one of the session tags of this request.`);
  }
}

/** aws:RequestTag/<key>, aws:TagKeys and sts:TransitiveTagKeys of an AssumeRole request with session tags. */
function sessionTagContext(tags: Tag[], transitive: string[]): Record<string, string | string[]> {
  if (tags.length === 0) return {};
  const ctx: Record<string, string | string[]> = { 'aws:TagKeys': tags.map((t) => t.Key) };
  for (const t of tags) ctx[`aws:RequestTag/${t.Key}`] = t.Value;
  if (transitive.length > 0) ctx['sts:TransitiveTagKeys'] = transitive;
  return ctx;
}
const ROLE_ARN_RE = /^arn:aws:iam::(\d{12}):role\/(?:[\u0021-\u007E]*\/)?([\w+=,.@-]+)$/;
const ROLE_CHAINING_MAX = 3600;

export function callerIdentity(p: Principal): { account: string; arn: string; userId: string } {
  switch (p.kind) {
    case 'root':
      return { account: p.accountId, arn: p.arn, userId: p.accountId };
    case 'user':
      return { account: p.accountId, arn: p.arn, userId: p.userId };
    case 'assumed-role':
      return { account: p.accountId, arn: p.arn, userId: `${p.roleId}:${p.sessionName}` };
  }
}

export class StsService implements SandboxService {
  readonly name = 'sts' as const;
  readonly protocol = 'query' as const;

  constructor(private readonly kernel: Kernel) {}

  operationName(req: SandboxRequest): string {
    return new QueryInput(req).action || 'Unknown';
  }

  async handle(req: SandboxRequest): Promise<SandboxResponse> {
    const input = new QueryInput(req);
    switch (input.action) {
      case 'GetCallerIdentity': {
        const id = callerIdentity(req.principal);
        return queryResponse('sts', 'GetCallerIdentity', req.requestId, [el('Arn', id.arn), el('UserId', id.userId), el('Account', id.account)]);
      }
      case 'AssumeRole':
        return queryResponse('sts', 'AssumeRole', req.requestId, await this.assumeRole(req.principal, input));
      default:
        throw new AwsError('InvalidAction', `Could not find operation ${input.action} for version ${input.params.get('Version') ?? VERSION}`, 400);
    }
  }

  /** Sessions live in the kernel's credential store (persisted with the kernel). */
  snapshot(): unknown {
    return null;
  }

  restore(): void {}

  inventory(): Record<string, string[]> {
    return {};
  }

  private async assumeRole(caller: Principal, input: QueryInput): Promise<XmlChild[]> {
    const roleArn = input.required('RoleArn', { min: 20, max: 2048 });
    const sessionName = input.required('RoleSessionName', { min: 2, max: 64, pattern: '[\\w+=,.@-]*' });
    const duration = input.int('DurationSeconds', 900, 43200) ?? 3600;
    const externalId = input.optional('ExternalId', { min: 2, max: 1224, pattern: '[\\w+=,.@:\\/-]*' });
    const sessionPolicy = input.optional('Policy', { min: 1, max: 2048 });
    const sourceIdentity = input.optional('SourceIdentity', { min: 2, max: 64, pattern: '[\\w+=,.@-]*' });
    const tags = input.tags('Tags');
    const transitive = input.list('TransitiveTagKeys');
    if (!ROLE_ARN_RE.test(roleArn)) throw validationError(`${roleArn} is invalid`);
    // A role chain: the calling session's transitive tags pass on.
    const callerSession = caller.kind === 'assumed-role' ? this.kernel.credentials.lookup(caller.accessKeyId) : undefined;
    const inheritedKeys = (callerSession?.transitiveTagKeys ?? []).map((k) => k.toLowerCase());
    const inherited = (callerSession?.sessionTags ?? []).filter((t) => inheritedKeys.includes(t.Key.toLowerCase()));
    validateSessionTags(tags, transitive, inherited);
    if (sessionPolicy !== undefined) {
      validatePolicyDocument(sessionPolicy, 'identity');
      if (policySize(sessionPolicy) > POLICY_SIZE_LIMITS.trust) {
        throw new AwsError('PackedPolicyTooLarge', 'Packed policy consumes 100% of allotted space, please use smaller policy.', 400);
      }
    }

    const now = this.kernel.now();
    const denied = (): AwsError =>
      new AwsError('AccessDenied', `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
    const role = this.kernel.identity.getRoleByArn(roleArn);
    if (!role || role.effectiveAt > now) throw denied();
    const trust = role.trustEffectiveAt <= now ? role.trustPolicy : role.previousTrustPolicy;
    if (trust === undefined) throw denied();

    const context: Record<string, string | string[]> = { 'sts:RoleSessionName': sessionName, ...sessionTagContext(tags, transitive) };
    if (externalId !== undefined) context['sts:ExternalId'] = externalId;
    if (sourceIdentity !== undefined) context['sts:SourceIdentity'] = sourceIdentity;
    const decision = await this.kernel.authorize({
      principal: caller,
      action: 'sts:AssumeRole',
      resource: role.arn,
      resourceAccount: role.accountId,
      resourcePolicy: trust,
      context,
    });
    if (!decision.allowed) throw denied();
    if (tags.length > 0) {
      // Passing session tags is its own permission, on both sides (trust policy and the caller's policies).
      const tagging = await this.kernel.authorize({
        principal: caller,
        action: 'sts:TagSession',
        resource: role.arn,
        resourceAccount: role.accountId,
        resourcePolicy: trust,
        context,
      });
      if (!tagging.allowed) {
        throw new AwsError('AccessDenied', `User: ${caller.arn} is not authorized to perform: sts:TagSession on resource: ${roleArn}`, 403);
      }
    }

    if (caller.kind === 'assumed-role' && duration > ROLE_CHAINING_MAX) {
      throw validationError('The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
    }
    if (duration > role.maxSessionDuration) {
      throw validationError('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
    }

    const accessKeyId = this.kernel.newAccessKeyId('ASIA');
    const secretAccessKey = this.kernel.newSecretAccessKey();
    const sessionToken = this.kernel.newSessionToken();
    const expiresAt = now + duration * 1000;
    const arn = `arn:aws:sts::${role.accountId}:assumed-role/${role.roleName}/${sessionName}`;
    this.kernel.credentials.register({
      accessKeyId,
      secretAccessKey,
      sessionToken,
      effectiveAt: now,
      expiresAt,
      active: true,
      createdAt: now,
      issuer: { arn: caller.arn, accessKeyId: caller.accessKeyId },
      ...(sessionPolicy !== undefined ? { sessionPolicy } : {}),
      ...(tags.length + inherited.length > 0 ? { sessionTags: [...inherited, ...tags] } : {}),
      ...(transitive.length + inherited.length > 0 ? { transitiveTagKeys: [...inherited.map((t) => t.Key), ...transitive] } : {}),
      principal: {
        kind: 'assumed-role',
        accountId: role.accountId,
        arn,
        roleArn: role.arn,
        roleName: role.roleName,
        roleId: role.roleId,
        sessionName,
        accessKeyId,
      },
    });
    return [
      opt('SourceIdentity', sourceIdentity),
      el('AssumedRoleUser', el('AssumedRoleId', `${role.roleId}:${sessionName}`), el('Arn', arn)),
      el(
        'Credentials',
        el('AccessKeyId', accessKeyId),
        el('SecretAccessKey', secretAccessKey),
        el('SessionToken', sessionToken),
        el('Expiration', isoDate(expiresAt)),
      ),
      sessionPolicy !== undefined || tags.length > 0
        ? el('PackedPolicySize', Math.ceil(((policySize(sessionPolicy ?? '') + tags.reduce((n, t) => n + t.Key.length + t.Value.length, 0)) * 100) / POLICY_SIZE_LIMITS.trust))
        : undefined,
    ];
  }
}
