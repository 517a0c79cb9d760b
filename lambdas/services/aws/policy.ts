/** Ensure / undo the tenant's backup IAM policy. Drift is corrected by adding a policy version. */
import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListPolicyVersionsCommand,
  NoSuchEntityException,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { CREATED_BY_TAG } from '../../domain/names';
import { backupPolicyDocument, policyDocumentsEqual } from '../../domain/policies';
import type { Plan, PolicyResult } from '../../domain/workflow-state';
import { tenantClients } from '../../shared/aws-clients';
import { awsCall } from '../../shared/errors';
import type { UndoResult } from './bucket';
import { iamTags, orNoSuchEntity, tagValue } from './iam-util';

const MAX_VERSIONS = 5;

export async function getPolicy(iam: IAMClient, arn: string) {
  return (await orNoSuchEntity(() => iam.send(new GetPolicyCommand({ PolicyArn: arn }))))?.Policy;
}

export async function ensureBackupPolicy(plan: Plan): Promise<PolicyResult> {
  const { iam } = tenantClients(plan.target);
  const document = backupPolicyDocument({
    partition: plan.target.partition,
    bucketName: plan.bucketName,
    ...(plan.kmsKeyArn ? { kmsKeyArn: plan.kmsKeyArn } : {}),
  });
  const PolicyDocument = JSON.stringify(document);
  const existing = await getPolicy(iam, plan.policyArn);
  if (!existing) {
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
    return { policyArn: out.Policy?.Arn ?? plan.policyArn, defaultVersionId: out.Policy?.DefaultVersionId ?? 'v1', created: true, versionCreated: false };
  }
  const current = await awsCall(() =>
    iam.send(new GetPolicyVersionCommand({ PolicyArn: plan.policyArn, VersionId: existing.DefaultVersionId })),
  );
  if (policyDocumentsEqual(current.PolicyVersion?.Document ?? '{}', document)) {
    return { policyArn: plan.policyArn, defaultVersionId: existing.DefaultVersionId ?? 'v1', created: false, versionCreated: false };
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

/** Deletes the policy only if this execution created it (detaching it from our principal first). */
export async function undoBackupPolicy(plan: Plan, executionName: string): Promise<UndoResult> {
  const { iam } = tenantClients(plan.target);
  const policy = await getPolicy(iam, plan.policyArn);
  if (!policy || tagValue(policy.Tags, CREATED_BY_TAG) !== executionName) return { deleted: [], retained: [] };
  for (const detach of [
    () => iam.send(new DetachRolePolicyCommand({ RoleName: plan.principalName, PolicyArn: plan.policyArn })),
    () => iam.send(new DetachUserPolicyCommand({ UserName: plan.principalName, PolicyArn: plan.policyArn })),
  ]) {
    try {
      await awsCall(detach);
    } catch (e) {
      if (!(e instanceof NoSuchEntityException)) throw e;
    }
  }
  const versions = (await awsCall(() => iam.send(new ListPolicyVersionsCommand({ PolicyArn: plan.policyArn })))).Versions ?? [];
  for (const v of versions) {
    if (v.IsDefaultVersion || !v.VersionId) continue;
    const VersionId = v.VersionId;
    await awsCall(() => iam.send(new DeletePolicyVersionCommand({ PolicyArn: plan.policyArn, VersionId })));
  }
  await awsCall(() => iam.send(new DeletePolicyCommand({ PolicyArn: plan.policyArn })));
  return { deleted: [plan.policyArn], retained: [] };
}
