/**
 * STS over the query protocol (version 2011-06-15): GetCallerIdentity and AssumeRole.
 *
 * AssumeRole evaluates the role's trust policy (the one in force: a new or updated trust policy only
 * applies after IAM propagation) together with the caller's identity policies through the kernel,
 * with sts:ExternalId / sts:RoleSessionName / sts:SourceIdentity in the context, plus the global keys the kernel
 * sets for every request (aws:PrincipalOrgID / aws:PrincipalOrgPaths of the caller, aws:ResourceAccount /
 * aws:ResourceOrgID / aws:ResourceOrgPaths of the role's account). Cross-account callers therefore need both
 * sides; root callers are modelled as holding AdministratorAccess. (Real AWS refuses AssumeRole with
 * root credentials; the sandbox allows it because its account admin keys are root keys.)
 */
import { AwsError } from '../../core/errors';
import type { Kernel } from '../../core/kernel';
import { POLICY_SIZE_LIMITS, policySize, validatePolicyDocument } from '../../core/policy';
import { el, isoDate, opt, queryResponse, type XmlChild } from '../../core/protocol';
import { QueryInput, validationError } from '../../core/query';
import type { Principal, SandboxRequest, SandboxResponse, SandboxService } from '../../core/types';

const VERSION = '2011-06-15';
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
    if (!ROLE_ARN_RE.test(roleArn)) throw validationError(`${roleArn} is invalid`);
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

    const context: Record<string, string> = { 'sts:RoleSessionName': sessionName };
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
      sessionPolicy !== undefined ? el('PackedPolicySize', Math.ceil((policySize(sessionPolicy) * 100) / POLICY_SIZE_LIMITS.trust)) : undefined,
    ];
  }
}
