/**
 * Ensure / undo the tenant's customer managed IAM policies: the backup policy, and the cluster policies of
 * `aws.clusterPolicies` (lambdas/domain/cluster-policies.ts). Drift is corrected by adding a policy version. An existing
 * policy of a derived name is used only under the ownership rule (lambdas/domain/ownership.ts); cluster policies are
 * never adopted (an unmarked one of the name is refused).
 */
import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeleteConflictException,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  EntityAlreadyExistsException,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListPolicyVersionsCommand,
  NoSuchEntityException,
  TagPolicyCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import {
  CLUSTER_POLICIES,
  CLUSTER_POLICY_KEYS,
  CLUSTER_POLICY_PART,
  clusterPolicyArn,
  clusterPolicyKey,
  clusterPolicyName,
  type ClusterPolicyKey,
} from '../../domain/cluster-policies';
import { resourceKey } from '../../domain/names';
import { marksOf, type Ownership } from '../../domain/ownership';
import { backupPolicyDocument, policyDocumentsEqual } from '../../domain/policies';
import { COMPENSATION, OffboardingRemovalSchema, type Removal } from '../../domain/removal';
import { tenantSession } from '../../domain/session-policies';
import type { ClusterPoliciesResult, AwsPlan, PolicyResult } from '../../domain/workflow-state';
import { tenantClient } from '../../shared/aws-clients';
import { awsCall, OwnershipError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import { TenantOwnership, type OwnedObject } from '../registry/ownership';
import type { UndoResult } from './bucket';
import { iamTags, lookUpTenantObject, marksTagsToAdd, tagMap } from './iam-util';

const MAX_VERSIONS = 5;

/** The tenant's policy, if it exists; OwnershipError when it carries another tenant's mark (iam-util.ts). */
export async function getPolicy(iam: IAMClient, arn: string, tenantId: string) {
  return (await lookUpTenantObject(`IAM policy '${arn}'`, tenantId, () => iam.send(new GetPolicyCommand({ PolicyArn: arn }))))?.Policy;
}

export async function ensureBackupPolicy(plan: AwsPlan): Promise<PolicyResult> {
  const iam = tenantClient(IAMClient, plan.target, tenantSession(plan, 'policy-ensure'));
  const document = backupPolicyDocument({
    partition: plan.target.partition,
    bucketName: plan.bucketName,
    ...(plan.kmsKeyArn ? { kmsKeyArn: plan.kmsKeyArn } : {}),
  });
  const PolicyDocument = JSON.stringify(document);
  const ownership = await TenantOwnership.load(plan);
  const key = resourceKey.policy(plan.target.accountId, plan.policyName);
  let existing = await getPolicy(iam, plan.policyArn, plan.tenantId);
  if (!existing) {
    await ownership.intend(key);
    try {
      const out = await awsCall(() =>
        iam.send(
          new CreatePolicyCommand({
            PolicyName: plan.policyName,
            Path: plan.iamPath,
            PolicyDocument,
            Description: `Velero backups to ${plan.bucketName} (palette-onboarding)`,
            Tags: iamTags(plan.tags),
          }),
        ),
      );
      const policyArn = out.Policy?.Arn ?? plan.policyArn;
      await ownership.record({ key, part: 'backupPolicy', id: policyArn, name: plan.policyName, ownership: 'created' });
      return { policyArn, defaultVersionId: out.Policy?.DefaultVersionId ?? 'v1', created: true, versionCreated: false };
    } catch (e) {
      // Created meanwhile (or by this execution, whose response was lost): decided below like any existing one.
      if (!(e instanceof EntityAlreadyExistsException)) throw e;
      existing = await getPolicy(iam, plan.policyArn, plan.tenantId);
      if (!existing) throw e;
    }
  }
  const decision: Ownership = ownership.decide({
    key,
    object: `IAM policy '${plan.policyArn}'`,
    marks: tagMap(existing.Tags),
    adopt: plan.adopt.backupPolicy,
    adoptField: 'aws.backupPolicy.adopt',
  });
  const add = marksTagsToAdd(plan.tags, existing.Tags, decision);
  if (add.length > 0) await awsCall(() => iam.send(new TagPolicyCommand({ PolicyArn: plan.policyArn, Tags: add })));
  const result = await convergeVersion(iam, plan.policyArn, PolicyDocument, existing.DefaultVersionId);
  await ownership.record({ key, part: 'backupPolicy', id: plan.policyArn, name: plan.policyName, ownership: decision });
  return { ...result, ...(decision.kind === 'adopt' ? { adopted: true } : {}) };
}

/** The policy's default version holds `PolicyDocument`; drift adds a version (within IAM's 5-version limit). */
async function convergeVersion(iam: IAMClient, PolicyArn: string, PolicyDocument: string, defaultVersionId: string | undefined): Promise<PolicyResult> {
  const current = await awsCall(() => iam.send(new GetPolicyVersionCommand({ PolicyArn, VersionId: defaultVersionId })));
  if (policyDocumentsEqual(current.PolicyVersion?.Document ?? '{}', PolicyDocument)) {
    return { policyArn: PolicyArn, defaultVersionId: defaultVersionId ?? 'v1', created: false, versionCreated: false };
  }
  // Stay within IAM's 5-version limit: drop the oldest non-default version first.
  const versions = (await awsCall(() => iam.send(new ListPolicyVersionsCommand({ PolicyArn })))).Versions ?? [];
  if (versions.length >= MAX_VERSIONS) {
    const oldest = versions
      .filter((v) => !v.IsDefaultVersion)
      .sort((a, b) => (a.CreateDate?.getTime() ?? 0) - (b.CreateDate?.getTime() ?? 0))[0];
    if (oldest?.VersionId) {
      const VersionId = oldest.VersionId;
      await awsCall(() => iam.send(new DeletePolicyVersionCommand({ PolicyArn, VersionId })));
    }
  }
  const out = await awsCall(() => iam.send(new CreatePolicyVersionCommand({ PolicyArn, PolicyDocument, SetAsDefault: true })));
  return { policyArn: PolicyArn, defaultVersionId: out.PolicyVersion?.VersionId ?? 'unknown', created: false, versionCreated: true };
}

/**
 * Deletes the policy (detaching it from our principal first) only if this execution created it (compensation) or
 * it is the tenant's (offboarding, lambdas/domain/removal.ts).
 */
export async function undoBackupPolicy(plan: AwsPlan, removal: Removal = COMPENSATION): Promise<UndoResult> {
  const iam = tenantClient(IAMClient, plan.target, tenantSession(plan, 'policy-undo'));
  const ownership = await TenantOwnership.load(plan, removal);
  const key = resourceKey.policy(plan.target.accountId, plan.policyName);
  let policy;
  try {
    policy = await getPolicy(iam, plan.policyArn, plan.tenantId);
  } catch (e) {
    // Another tenant's policy: not this execution's to remove.
    if (e instanceof OwnershipError) return { deleted: [], retained: [{ id: plan.policyArn, reason: "marked for another tenant" }] };
    throw e;
  }
  if (!policy) {
    await ownership.forget(key);
    return { deleted: [], retained: [] };
  }
  const decision = ownership.mayRemove(key, tagMap(policy.Tags));
  if (!decision.remove) return { deleted: [], retained: ownership.kept(plan.policyArn, decision.reason) };
  for (const detach of [
    () => iam.send(new DetachRolePolicyCommand({ RoleName: plan.principalName, PolicyArn: plan.policyArn })),
    () => iam.send(new DetachUserPolicyCommand({ UserName: plan.principalName, PolicyArn: plan.policyArn })),
  ]) {
    try {
      await awsCall(detach);
    } catch (e) {
      // Not there; or a role / user of that name carries another tenant's mark (the session may not touch it), which
      // this workflow never attached our policy to. Should it be attached anyway, DeletePolicy fails (DeleteConflict).
      if (!(e instanceof NoSuchEntityException) && !(e instanceof Error && /^AccessDenied(Exception)?$/.test(e.name))) throw e;
    }
  }
  const versions = (await awsCall(() => iam.send(new ListPolicyVersionsCommand({ PolicyArn: plan.policyArn })))).Versions ?? [];
  for (const v of versions) {
    if (v.IsDefaultVersion || !v.VersionId) continue;
    const VersionId = v.VersionId;
    await awsCall(() => iam.send(new DeletePolicyVersionCommand({ PolicyArn: plan.policyArn, VersionId })));
  }
  await awsCall(() => iam.send(new DeletePolicyCommand({ PolicyArn: plan.policyArn })));
  await ownership.forget(key);
  return { deleted: [plan.policyArn], retained: [] };
}

// ---- cluster policies ----------------------------------------------------------------------------------------------

/** One cluster policy of the tenant: its IAM name and ARN, registry key and document. */
interface ClusterPolicyTarget {
  key: ClusterPolicyKey;
  name: string;
  arn: string;
  registryKey: string;
}

const clusterTarget = (plan: AwsPlan, key: ClusterPolicyKey): ClusterPolicyTarget => ({
  key,
  name: clusterPolicyName(plan.tenantId, key),
  arn: clusterPolicyArn(plan.target.partition, plan.target.accountId, plan.tenantId, key),
  registryKey: clusterPolicyKey(plan.target.accountId, plan.tenantId, key),
});

/**
 * The cluster policies of the tenant that the registry knows (recorded, or an intent to create them): the removals
 * look only at those (the one registry read per step).
 */
const knownClusterPolicies = (plan: AwsPlan, ownership: TenantOwnership): ClusterPolicyKey[] =>
  CLUSTER_POLICY_KEYS.filter((k) => ownership.knows(clusterTarget(plan, k).registryKey));

/**
 * EnsureClusterPolicies: the tenant's cluster policies are exactly those of `aws.clusterPolicies`, each with its
 * document (drift adds a version). A policy of the tenant's that the mode no longer includes (the registry records it)
 * is detached from the principal and deleted. Attaching them is the principal step's (with the ten-policy check).
 * IAM calls: first onboarding, one CreatePolicy per policy; later runs, GetPolicy and GetPolicyVersion per policy. The
 * registry: one write for the intents before the creates, one for the records after (none when nothing changed).
 */
export async function ensureClusterPolicies(plan: AwsPlan): Promise<ClusterPoliciesResult> {
  const { mode, policies: wanted } = plan.clusterPolicies;
  const ownership = await TenantOwnership.load(plan);
  const stale = knownClusterPolicies(plan, ownership).filter((k) => !wanted.includes(k));
  if (wanted.length === 0 && stale.length === 0) return { mode, policies: [], removed: [] };
  const iam = tenantClient(IAMClient, plan.target, tenantSession(plan, 'cluster-policies-ensure'));

  // What the mode dropped first (it would count against the principal's ten-policy limit): the tenant's own only.
  const dropped = ownership.withRemoval(OffboardingRemovalSchema.parse({ mode: 'offboarding' }));
  const removal = await removeClusterPolicies(iam, plan, dropped, stale.map((k) => clusterTarget(plan, k)));
  // Kept (never the case for a policy the registry records as the tenant's, unless its marks changed): it still counts
  // against the principal's limit, which the principal step checks.
  if (removal.retained.length > 0) logger.warn('Cluster policies of another mode were kept', { tenantId: plan.tenantId, mode, retained: removal.retained });

  const targets = wanted.map((k) => clusterTarget(plan, k));
  const toCreate = targets.filter((t) => !ownership.records(t.registryKey));
  if (toCreate.length > 0) await ownership.intendAll(toCreate.map((t) => t.registryKey));
  const owned: OwnedObject[] = [];
  const policies: ClusterPoliciesResult['policies'] = [];
  for (const t of targets) {
    const PolicyDocument = JSON.stringify(CLUSTER_POLICIES[t.key].document);
    // A policy the registry records is looked up; any other is created at once (IAM creates it with our marks).
    let existing = ownership.records(t.registryKey) ? await getPolicy(iam, t.arn, plan.tenantId) : undefined;
    if (!existing) {
      // Recorded, yet gone (deleted out of band): created again, after its own write-ahead intent.
      if (ownership.records(t.registryKey)) await ownership.intend(t.registryKey);
      try {
        const out = await awsCall(() =>
          iam.send(
            new CreatePolicyCommand({
              PolicyName: t.name,
              Path: plan.iamPath,
              PolicyDocument,
              Description: `Palette's ${CLUSTER_POLICIES[t.key].paletteName} for tenant ${plan.tenantId} (palette-onboarding)`,
              Tags: iamTags(plan.tags),
            }),
          ),
        );
        owned.push({ key: t.registryKey, part: CLUSTER_POLICY_PART, id: out.Policy?.Arn ?? t.arn, name: t.name, ownership: 'created' });
        policies.push({ name: t.name, policyArn: out.Policy?.Arn ?? t.arn, defaultVersionId: out.Policy?.DefaultVersionId ?? 'v1', created: true, versionCreated: false });
        continue;
      } catch (e) {
        if (!(e instanceof EntityAlreadyExistsException)) throw e;
        existing = await getPolicy(iam, t.arn, plan.tenantId);
        if (!existing) throw e;
      }
    }
    const tags = tagMap(existing.Tags);
    if (marksOf(tags).tenant === undefined && !ownership.knows(t.registryKey)) {
      throw new OwnershipError(
        `IAM policy '${t.arn}' already exists and is not managed by palette-onboarding for tenant '${plan.tenantId}'; ` +
          'palette-onboarding never adopts cluster policies: delete or rename it, or choose another aws.clusterPolicies mode',
      );
    }
    const decision = ownership.decide({ key: t.registryKey, object: `IAM policy '${t.arn}'`, marks: tags, adopt: false, adoptField: 'aws.clusterPolicies' });
    const add = marksTagsToAdd(plan.tags, existing.Tags, decision);
    if (add.length > 0) await awsCall(() => iam.send(new TagPolicyCommand({ PolicyArn: t.arn, Tags: add })));
    const result = await convergeVersion(iam, t.arn, PolicyDocument, existing.DefaultVersionId);
    owned.push({ key: t.registryKey, part: CLUSTER_POLICY_PART, id: t.arn, name: t.name, ownership: decision });
    policies.push({ name: t.name, policyArn: t.arn, defaultVersionId: result.defaultVersionId, created: false, versionCreated: result.versionCreated });
  }
  await ownership.recordAll(owned);
  return { mode, policies, removed: removal.deleted };
}

/**
 * UndoClusterPolicies / RemoveClusterPolicies: detaches from the principal and deletes the tenant's cluster policies
 * that `removal` allows. The registry says which to look at (every create is preceded by its write-ahead intent):
 * offboarding, every cluster policy it knows for the tenant (a policy of an earlier mode too); compensation, those
 * this execution intended to create or created. Nothing to look at: no AWS call.
 */
export async function undoClusterPolicies(plan: AwsPlan, removal: Removal = COMPENSATION): Promise<UndoResult> {
  const ownership = await TenantOwnership.load(plan, removal);
  const known = knownClusterPolicies(plan, ownership);
  const keys = ownership.offboarding ? known : known.filter((k) => ownership.createdByThisExecution(clusterTarget(plan, k).registryKey, undefined));
  if (keys.length === 0) return { deleted: [], retained: [] };
  const iam = tenantClient(IAMClient, plan.target, tenantSession(plan, 'cluster-policies-undo'));
  return removeClusterPolicies(iam, plan, ownership, keys.map((k) => clusterTarget(plan, k)));
}

/** Detaches from the plan's principal and deletes each policy `ownership.removal` allows; forgets them in one write. */
async function removeClusterPolicies(iam: IAMClient, plan: AwsPlan, ownership: TenantOwnership, targets: readonly ClusterPolicyTarget[]): Promise<UndoResult> {
  const result: UndoResult = { deleted: [], retained: [] };
  const forget: string[] = [];
  for (const t of targets) {
    let policy;
    try {
      policy = await getPolicy(iam, t.arn, plan.tenantId);
    } catch (e) {
      if (e instanceof OwnershipError) {
        result.retained.push({ id: t.arn, reason: 'marked for another tenant' });
        continue;
      }
      throw e;
    }
    if (!policy) {
      forget.push(t.registryKey);
      continue;
    }
    const decision = ownership.mayRemove(t.registryKey, tagMap(policy.Tags));
    if (!decision.remove) {
      result.retained.push(...ownership.kept(t.arn, decision.reason));
      continue;
    }
    await detachFromPrincipal(iam, plan, t.arn);
    await deletePolicy(iam, t.arn);
    forget.push(t.registryKey);
    result.deleted.push(t.arn);
  }
  await ownership.forgetAll(forget);
  return result;
}

/**
 * Detaches the policy from the plan's principal (the role in sts mode, the user in static mode). Not attached, no
 * principal, or one the session may not touch (another tenant's mark: we never attached our policy to it) is nothing
 * to do; should the policy be attached anywhere else, DeletePolicy fails (DeleteConflict).
 */
async function detachFromPrincipal(iam: IAMClient, plan: AwsPlan, PolicyArn: string): Promise<void> {
  try {
    await awsCall(() =>
      plan.credentialMode === 'sts'
        ? iam.send(new DetachRolePolicyCommand({ RoleName: plan.principalName, PolicyArn }))
        : iam.send(new DetachUserPolicyCommand({ UserName: plan.principalName, PolicyArn })),
    );
  } catch (e) {
    if (!(e instanceof NoSuchEntityException) && !(e instanceof Error && /^AccessDenied(Exception)?$/.test(e.name))) throw e;
  }
}

/** DeletePolicy; when IAM refuses because the policy has other versions, those go first (one call in the usual case). */
async function deletePolicy(iam: IAMClient, PolicyArn: string): Promise<void> {
  try {
    await awsCall(() => iam.send(new DeletePolicyCommand({ PolicyArn })));
    return;
  } catch (e) {
    if (!(e instanceof DeleteConflictException)) throw e;
    const versions = (await awsCall(() => iam.send(new ListPolicyVersionsCommand({ PolicyArn })))).Versions ?? [];
    const others = versions.filter((v) => !v.IsDefaultVersion && v.VersionId);
    // Attached somewhere else: not ours to detach; the conflict stands.
    if (others.length === 0) throw e;
    for (const v of others) {
      const VersionId = v.VersionId;
      await awsCall(() => iam.send(new DeletePolicyVersionCommand({ PolicyArn, VersionId })));
    }
  }
  await awsCall(() => iam.send(new DeletePolicyCommand({ PolicyArn })));
}
