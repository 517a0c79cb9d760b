/**
 * Ensure / undo the tenant's backup IAM policy. Drift is corrected by adding a policy version. An existing policy of
 * the derived name is used only under the ownership rule (lambdas/domain/ownership.ts).
 */
import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
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
  type IAMClient,
} from '@aws-sdk/client-iam';
import { resourceKey } from '../../domain/names';
import type { Ownership } from '../../domain/ownership';
import { backupPolicyDocument, policyDocumentsEqual } from '../../domain/policies';
import { COMPENSATION, type Removal } from '../../domain/removal';
import { tenantSession } from '../../domain/session-policies';
import type { Plan, PolicyResult } from '../../domain/workflow-state';
import { tenantClients } from '../../shared/aws-clients';
import { awsCall, OwnershipError } from '../../shared/errors';
import { TenantOwnership } from '../registry/ownership';
import type { UndoResult } from './bucket';
import { iamTags, lookUpTenantObject, marksTagsToAdd, tagMap } from './iam-util';

const MAX_VERSIONS = 5;

/** The tenant's policy, if it exists; OwnershipError when it carries another tenant's mark (iam-util.ts). */
export async function getPolicy(iam: IAMClient, arn: string, tenantId: string) {
  return (await lookUpTenantObject(`IAM policy '${arn}'`, tenantId, () => iam.send(new GetPolicyCommand({ PolicyArn: arn }))))?.Policy;
}

export async function ensureBackupPolicy(plan: Plan): Promise<PolicyResult> {
  const { iam } = tenantClients(plan.target, tenantSession(plan, 'policy-ensure'));
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
  const result = await convergeVersion(iam, plan, PolicyDocument, existing.DefaultVersionId);
  await ownership.record({ key, part: 'backupPolicy', id: plan.policyArn, name: plan.policyName, ownership: decision });
  return { ...result, ...(decision.kind === 'adopt' ? { adopted: true } : {}) };
}

/** The policy's default version holds `PolicyDocument`; drift adds a version (within IAM's 5-version limit). */
async function convergeVersion(iam: IAMClient, plan: Plan, PolicyDocument: string, defaultVersionId: string | undefined): Promise<PolicyResult> {
  const current = await awsCall(() => iam.send(new GetPolicyVersionCommand({ PolicyArn: plan.policyArn, VersionId: defaultVersionId })));
  if (policyDocumentsEqual(current.PolicyVersion?.Document ?? '{}', PolicyDocument)) {
    return { policyArn: plan.policyArn, defaultVersionId: defaultVersionId ?? 'v1', created: false, versionCreated: false };
  }
  // Stay within IAM's 5-version limit: drop the oldest non-default version first.
  const versions = (await awsCall(() => iam.send(new ListPolicyVersionsCommand({ PolicyArn: plan.policyArn })))).Versions ?? [];
  if (versions.length >= MAX_VERSIONS) {
    const oldest = versions
      .filter((v) => !v.IsDefaultVersion)
      .sort((a, b) => (a.CreateDate?.getTime() ?? 0) - (b.CreateDate?.getTime() ?? 0))[0];
    if (oldest?.VersionId) {
      const VersionId = oldest.VersionId;
      await awsCall(() => iam.send(new DeletePolicyVersionCommand({ PolicyArn: plan.policyArn, VersionId })));
    }
  }
  const out = await awsCall(() =>
    iam.send(new CreatePolicyVersionCommand({ PolicyArn: plan.policyArn, PolicyDocument, SetAsDefault: true })),
  );
  return { policyArn: plan.policyArn, defaultVersionId: out.PolicyVersion?.VersionId ?? 'unknown', created: false, versionCreated: true };
}

/**
 * Deletes the policy (detaching it from our principal first) only if this execution created it (compensation) or
 * it is the tenant's (offboarding, lambdas/domain/removal.ts).
 */
export async function undoBackupPolicy(plan: Plan, removal: Removal = COMPENSATION): Promise<UndoResult> {
  const { iam } = tenantClients(plan.target, tenantSession(plan, 'policy-undo'));
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
