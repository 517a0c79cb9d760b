/**
 * Ensure / undo the principal Palette uses in the tenant account:
 * - STS mode: a role trusting Palette's account root with this tenant's external ID;
 * - static mode: an IAM user with exactly one active access key, stored straight in Secrets Manager.
 * Both get the backup policy and the cluster policies of `aws.clusterPolicies` attached, after the ten-policy check
 * (ManagedPolicyLimitError before anything is attached, or changed on an existing principal). An existing role or user
 * is used only under the ownership rule (lambdas/domain/ownership.ts); an adopted one is never weakened: our trust
 * statement is merged into its trust policy (its other statements stay), access keys it already had are never deleted,
 * and policies it already has stay attached.
 */
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteRoleCommand,
  DeleteUserCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  EntityAlreadyExistsException,
  GetRoleCommand,
  GetUserCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  TagRoleCommand,
  TagUserCommand,
  UpdateAccessKeyCommand,
  UpdateAssumeRolePolicyCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { clusterPolicyArn, managedPolicyLimitProblem } from '../../domain/cluster-policies';
import { ACCESS_KEY_ID_TAG, resourceKey, roleArn, userArn } from '../../domain/names';
import type { Ownership } from '../../domain/ownership';
import { mergePolicyStatements, paletteTrustPolicy, policyDocumentsEqual, trustPolicyProblem } from '../../domain/policies';
import { COMPENSATION, type Removal, type RemovalDecision } from '../../domain/removal';
import { tenantSession } from '../../domain/session-policies';
import type { PaletteIdentity, AwsPlan, PrincipalResult } from '../../domain/workflow-state';
import { tenantClient, tenantSecretsClient } from '../../shared/aws-clients';
import { awsCall, ManagedPolicyLimitError, MisconfigurationError, OwnershipError } from '../../shared/errors';
import { describeSecret, secretTag } from '../../shared/secrets';
import { TenantOwnership } from '../registry/ownership';
import type { UndoResult } from './bucket';
import { iamTags, lookUpTenantObject, marksTagsToAdd, orNoSuchEntity, tagMap } from './iam-util';
import { assertTenantSecretUsable, ensureTenantSecret, undoTenantSecret } from './tenant-secret';

/** IAM returns policy documents URL-encoded. */
function decodeDocument(doc: string | undefined): unknown {
  if (!doc) return {};
  try {
    return JSON.parse(decodeURIComponent(doc));
  } catch {
    return {};
  }
}

/** The managed policies the principal gets: the backup policy, then the plan's cluster policies. */
export const wantedPolicyArns = (plan: AwsPlan): string[] => [
  plan.policyArn,
  ...plan.clusterPolicies.policies.map((k) => clusterPolicyArn(plan.target.partition, plan.target.accountId, plan.tenantId, k)),
];

type PrincipalKind = 'Role' | 'User';

/** ARNs of the managed policies attached to an existing role or user (every page). */
async function attachedPolicyArns(iam: IAMClient, kind: PrincipalKind, name: string): Promise<string[]> {
  const arns: string[] = [];
  let Marker: string | undefined;
  do {
    const page =
      kind === 'Role'
        ? await awsCall(() => iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name, ...(Marker ? { Marker } : {}) })))
        : await awsCall(() => iam.send(new ListAttachedUserPoliciesCommand({ UserName: name, ...(Marker ? { Marker } : {}) })));
    arns.push(...(page.AttachedPolicies ?? []).flatMap((p) => (p.PolicyArn ? [p.PolicyArn] : [])));
    Marker = page.IsTruncated ? page.Marker : undefined;
  } while (Marker);
  return arns;
}

/** The ten-policy check: the principal's attached policies plus those we would add fit IAM's limit. */
function checkPolicyLimit(plan: AwsPlan, kind: PrincipalKind, name: string, attached: readonly string[]): void {
  const problem = managedPolicyLimitProblem({
    principal: `IAM ${kind.toLowerCase()} '${name}' in account ${plan.target.accountId}`,
    attached,
    wanted: wantedPolicyArns(plan),
  });
  if (problem) throw new ManagedPolicyLimitError(problem);
}

/** Attaches each wanted policy the principal does not hold yet (one call per policy, none when all are attached). */
async function attachWantedPolicies(iam: IAMClient, plan: AwsPlan, kind: PrincipalKind, name: string, attached: readonly string[]): Promise<void> {
  for (const PolicyArn of wantedPolicyArns(plan)) {
    if (attached.includes(PolicyArn)) continue;
    await awsCall(() =>
      kind === 'Role'
        ? iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn }))
        : iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn })),
    );
  }
}

export async function ensureStsRole(plan: AwsPlan, palette: PaletteIdentity): Promise<PrincipalResult> {
  const iam = tenantClient(IAMClient, plan.target, tenantSession(plan, 'role-ensure'));
  const RoleName = plan.principalName;
  const trust = paletteTrustPolicy({
    partition: plan.target.partition,
    paletteAccountId: palette.accountId,
    externalId: palette.externalId,
  });
  const ownership = await TenantOwnership.load(plan);
  const key = resourceKey.role(plan.target.accountId, RoleName);
  let existing = (await lookUpTenantObject(`IAM role '${RoleName}'`, plan.tenantId, () => iam.send(new GetRoleCommand({ RoleName }))))?.Role;
  let decision: Ownership | 'created' | undefined;
  let arn: string | undefined;
  // A role this execution creates has no policies yet.
  let attached: string[] = [];
  if (!existing) {
    await ownership.intend(key);
    try {
      const out = await awsCall(() =>
        iam.send(
          new CreateRoleCommand({
            RoleName,
            Path: plan.iamPath,
            AssumeRolePolicyDocument: JSON.stringify(trust),
            Description: `Palette (account ${palette.accountId}) access for tenant ${plan.tenantId} (palette-onboarding)`,
            MaxSessionDuration: 3600,
            Tags: iamTags(plan.tags),
          }),
        ),
      );
      decision = 'created';
      arn = out.Role?.Arn ?? roleArn(plan.target.partition, plan.target.accountId, RoleName, plan.iamPath);
    } catch (e) {
      if (!(e instanceof EntityAlreadyExistsException)) throw e;
      existing = (await lookUpTenantObject(`IAM role '${RoleName}'`, plan.tenantId, () => iam.send(new GetRoleCommand({ RoleName }))))?.Role;
      if (!existing) throw e;
    }
  }
  if (existing) {
    decision = ownership.decide({
      key,
      object: `IAM role '${RoleName}' in account ${plan.target.accountId}`,
      marks: tagMap(existing.Tags),
      adopt: plan.adopt.principal,
      adoptField: 'aws.principal.adopt',
    });
    arn = existing.Arn ?? roleArn(plan.target.partition, plan.target.accountId, RoleName, existing.Path);
    // Before anything changes on it: would our policies fit beside those it has?
    attached = await attachedPolicyArns(iam, 'Role', RoleName);
    checkPolicyLimit(plan, 'Role', RoleName, attached);
    // Our own role trusts exactly Palette; an adopted one keeps its other statements (ours is merged in by Sid).
    const wantedTrust = decision.kind === 'adopt' ? mergePolicyStatements(existing.AssumeRolePolicyDocument, trust) : trust;
    if (!policyDocumentsEqual(decodeDocument(existing.AssumeRolePolicyDocument), wantedTrust)) {
      await awsCall(() => iam.send(new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: JSON.stringify(wantedTrust) })));
    }
    const add = marksTagsToAdd(plan.tags, existing.Tags, decision);
    if (add.length > 0) await awsCall(() => iam.send(new TagRoleCommand({ RoleName, Tags: add })));
  }
  if (!decision || !arn) throw new Error(`IAM role ${RoleName}: neither created nor found`);
  // An adopted role keeps its own statements, a Deny among them included: read its trust back; what IAM holds must
  // let Palette in. What time cannot fix fails now, not after the readiness budget. (Our own role's trust is exactly
  // the one we wrote: no extra call.)
  if (decision !== 'created' && decision.kind === 'adopt') {
    const readBack = (await awsCall(() => iam.send(new GetRoleCommand({ RoleName })))).Role?.AssumeRolePolicyDocument;
    const problem = trustPolicyProblem(decodeDocument(readBack), { partition: plan.target.partition, paletteAccountId: palette.accountId, externalId: palette.externalId });
    if (problem) {
      throw new MisconfigurationError(
        `IAM role '${RoleName}' in account ${plan.target.accountId} cannot be assumed by Palette: ${problem}; fix the role's trust policy (aws.principal)`,
      );
    }
  }
  if (decision === 'created') checkPolicyLimit(plan, 'Role', RoleName, attached);
  await attachWantedPolicies(iam, plan, 'Role', RoleName, attached);
  await ownership.record({ key, part: 'principal', id: arn, name: RoleName, ownership: decision });
  return { kind: 'sts', arn, roleArn: arn, created: decision === 'created', ...adoptedFlag(decision) };
}

const adoptedFlag = (d: Ownership | 'created') => (d !== 'created' && d.kind === 'adopt' ? { adopted: true } : {});

interface AccessKeyState {
  accessKeyId: string;
  secretArn: string;
}

/**
 * Makes the secret hold one active key of the user. A new key is created when rotation is requested or when the
 * secret does not hold a key the user still has; the previous keys are deleted only after the new one is stored, so
 * there is no moment without a usable stored key. On our own user every other key is removed (exactly one key); on
 * an adopted user only the key we stored before is, never a key it already had.
 */
async function ensureAccessKey(iam: IAMClient, plan: AwsPlan, ownership: TenantOwnership, adoptedUser: boolean): Promise<AccessKeyState> {
  const UserName = plan.principalName;
  const keys = (await awsCall(() => iam.send(new ListAccessKeysCommand({ UserName })))).AccessKeyMetadata ?? [];
  const secret = await describeSecret(plan.accessKeySecretName, tenantSecretsClient(plan, 'access-key-write'));
  const storedId = secretTag(secret, ACCESS_KEY_ID_TAG);
  const stored = keys.find((k) => k.AccessKeyId === storedId);

  let keep: AccessKeyState;
  if (stored?.AccessKeyId && secret?.ARN && !plan.rotateAccessKey) {
    keep = { accessKeyId: stored.AccessKeyId, secretArn: secret.ARN };
    if (stored.Status !== 'Active') {
      const AccessKeyId = stored.AccessKeyId;
      await awsCall(() => iam.send(new UpdateAccessKeyCommand({ UserName, AccessKeyId, Status: 'Active' })));
    }
  } else {
    const secretSpec = { job: 'access-key-write' as const, name: plan.accessKeySecretName, adopt: plan.adopt.principal, adoptField: 'aws.principal.adopt' };
    // A key is made only if it can be stored: the secret must be the tenant's (or adoptable) before anything changes.
    await assertTenantSecretUsable(ownership, secretSpec);
    // IAM allows two keys: make room by deleting one the secret does not hold (never the stored one yet), and on an
    // adopted user never one of its own keys.
    if (keys.length >= 2) {
      const spare = adoptedUser ? undefined : (keys.find((k) => k.AccessKeyId !== storedId) ?? keys[0]);
      if (!spare?.AccessKeyId) {
        throw new OwnershipError(
          `IAM user '${UserName}' in account ${plan.target.accountId} already has two access keys that palette-onboarding does not manage; ` +
            'adopting it never deletes them: delete one, or rotate through the secret it holds',
        );
      }
      const AccessKeyId = spare.AccessKeyId;
      await awsCall(() => iam.send(new DeleteAccessKeyCommand({ UserName, AccessKeyId })));
    }
    const out = await awsCall(() => iam.send(new CreateAccessKeyCommand({ UserName })));
    const key = out.AccessKey;
    if (!key?.AccessKeyId || !key.SecretAccessKey) throw new Error(`CreateAccessKey for ${UserName} returned no key`);
    const { arn } = await ensureTenantSecret(ownership, {
      ...secretSpec,
      part: 'accessKeySecret',
      value: { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey },
      extraTags: { [ACCESS_KEY_ID_TAG]: key.AccessKeyId },
      description: `Access key of IAM user ${UserName} in ${plan.target.accountId} for Palette (palette-onboarding)`,
    });
    keep = { accessKeyId: key.AccessKeyId, secretArn: arn };
  }
  // Own user: exactly one key. Adopted user: only the key we stored before goes.
  const now = (await awsCall(() => iam.send(new ListAccessKeysCommand({ UserName })))).AccessKeyMetadata ?? [];
  for (const k of now) {
    const AccessKeyId = k.AccessKeyId;
    if (!AccessKeyId || AccessKeyId === keep.accessKeyId) continue;
    if (adoptedUser && AccessKeyId !== storedId) continue;
    await awsCall(() => iam.send(new DeleteAccessKeyCommand({ UserName, AccessKeyId })));
  }
  return keep;
}

export async function ensureStaticUser(plan: AwsPlan): Promise<PrincipalResult> {
  const iam = tenantClient(IAMClient, plan.target, tenantSession(plan, 'user-ensure'));
  const UserName = plan.principalName;
  const ownership = await TenantOwnership.load(plan);
  const key = resourceKey.user(plan.target.accountId, UserName);
  let existing = (await lookUpTenantObject(`IAM user '${UserName}'`, plan.tenantId, () => iam.send(new GetUserCommand({ UserName }))))?.User;
  let decision: Ownership | 'created' | undefined;
  let arn: string | undefined;
  // A user this execution creates has no policies yet.
  let attached: string[] = [];
  if (!existing) {
    await ownership.intend(key);
    try {
      const out = await awsCall(() => iam.send(new CreateUserCommand({ UserName, Path: plan.iamPath, Tags: iamTags(plan.tags) })));
      decision = 'created';
      arn = out.User?.Arn ?? userArn(plan.target.partition, plan.target.accountId, UserName, plan.iamPath);
    } catch (e) {
      if (!(e instanceof EntityAlreadyExistsException)) throw e;
      existing = (await lookUpTenantObject(`IAM user '${UserName}'`, plan.tenantId, () => iam.send(new GetUserCommand({ UserName }))))?.User;
      if (!existing) throw e;
    }
  }
  if (existing) {
    decision = ownership.decide({
      key,
      object: `IAM user '${UserName}' in account ${plan.target.accountId}`,
      marks: tagMap(existing.Tags),
      adopt: plan.adopt.principal,
      adoptField: 'aws.principal.adopt',
    });
    arn = existing.Arn ?? userArn(plan.target.partition, plan.target.accountId, UserName, existing.Path);
    // Before anything changes on it: would our policies fit beside those it has?
    attached = await attachedPolicyArns(iam, 'User', UserName);
    checkPolicyLimit(plan, 'User', UserName, attached);
    const add = marksTagsToAdd(plan.tags, existing.Tags, decision);
    if (add.length > 0) await awsCall(() => iam.send(new TagUserCommand({ UserName, Tags: add })));
  }
  if (!decision || !arn) throw new Error(`IAM user ${UserName}: neither created nor found`);
  if (decision === 'created') checkPolicyLimit(plan, 'User', UserName, attached);
  await attachWantedPolicies(iam, plan, 'User', UserName, attached);
  await ownership.record({ key, part: 'principal', id: arn, name: UserName, ownership: decision });
  const adopted = decision !== 'created' && decision.kind === 'adopt';
  const accessKey = await ensureAccessKey(iam, plan, ownership, adopted);
  return {
    kind: 'static',
    arn,
    created: decision === 'created',
    ...adoptedFlag(decision),
    userName: UserName,
    accessKeyId: accessKey.accessKeyId,
    credentialsSecretArn: accessKey.secretArn,
  };
}

/** Deletes the role or user (with keys and attachments) and the key secret, each only if this execution created it. */
/** Compensation's look-up: an object carrying another tenant's mark is recorded as retained, never touched. */
async function notOthers<T>(result: UndoResult, name: string, lookUp: () => Promise<T>): Promise<T | 'others'> {
  try {
    return await lookUp();
  } catch (e) {
    if (!(e instanceof OwnershipError)) throw e;
    result.retained.push({ id: name, reason: 'marked for another tenant' });
    return 'others';
  }
}

export async function undoPrincipal(plan: AwsPlan, removal: Removal = COMPENSATION): Promise<UndoResult> {
  const iam = tenantClient(IAMClient, plan.target, tenantSession(plan, 'principal-undo'));
  const ownership = await TenantOwnership.load(plan, removal);
  const result: UndoResult = { deleted: [], retained: [] };
  const name = plan.principalName;
  if (plan.credentialMode === 'sts') {
    const key = resourceKey.role(plan.target.accountId, name);
    const role = await notOthers(result, name, () => lookUpTenantObject(`IAM role '${name}'`, plan.tenantId, () => iam.send(new GetRoleCommand({ RoleName: name }))));
    if (role === 'others') return result;
    const decision = role?.Role ? ownership.mayRemove(key, tagMap(role.Role.Tags)) : undefined;
    if (!role?.Role) await ownership.forget(key);
    else if (decision && !decision.remove) result.retained.push(...ownership.kept(role.Role.Arn ?? name, decision.reason));
    else {
      const attached = await awsCall(() => iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name })));
      for (const p of attached.AttachedPolicies ?? []) {
        const PolicyArn = p.PolicyArn;
        if (PolicyArn) await awsCall(() => iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn })));
      }
      await awsCall(() => iam.send(new DeleteRoleCommand({ RoleName: name })));
      await ownership.forget(key);
      result.deleted.push(role.Role.Arn ?? name);
    }
    return result;
  }
  const key = resourceKey.user(plan.target.accountId, name);
  const found = await notOthers(result, name, () => lookUpTenantObject(`IAM user '${name}'`, plan.tenantId, () => iam.send(new GetUserCommand({ UserName: name }))));
  const user = found === 'others' ? undefined : found?.User;
  let userDecision: RemovalDecision;
  if (found === 'others') {
    // Another tenant's user: not ours to remove (its key secret, if any, is judged on its own below).
  } else if (!user) await ownership.forget(key);
  else if (!(userDecision = ownership.mayRemove(key, tagMap(user.Tags))).remove) result.retained.push(...ownership.kept(user.Arn ?? name, userDecision.reason));
  else {
    const keys = (await awsCall(() => iam.send(new ListAccessKeysCommand({ UserName: name })))).AccessKeyMetadata ?? [];
    for (const k of keys) {
      const AccessKeyId = k.AccessKeyId;
      if (AccessKeyId) await awsCall(() => iam.send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId })));
    }
    const attached = await awsCall(() => iam.send(new ListAttachedUserPoliciesCommand({ UserName: name })));
    for (const p of attached.AttachedPolicies ?? []) {
      const PolicyArn = p.PolicyArn;
      if (PolicyArn) await awsCall(() => iam.send(new DetachUserPolicyCommand({ UserName: name, PolicyArn })));
    }
    await awsCall(() => iam.send(new DeleteUserCommand({ UserName: name })));
    await ownership.forget(key);
    result.deleted.push(user.Arn ?? name);
  }
  const secret = await undoTenantSecret(ownership, plan.accessKeySecretName, 'access-key-delete');
  result.deleted.push(...secret.deleted);
  result.retained.push(...secret.retained);
  return result;
}
