/**
 * Ensure / undo the principal Palette uses in the tenant account:
 * - STS mode: a role trusting Palette's account root with this tenant's external ID;
 * - static mode: an IAM user with exactly one active access key, stored straight in Secrets Manager.
 * Both get the backup policy attached. Existing tags are merged, never overwriting created-by.
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
  GetRoleCommand,
  GetUserCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  TagRoleCommand,
  TagUserCommand,
  UpdateAccessKeyCommand,
  UpdateAssumeRolePolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { ACCESS_KEY_ID_TAG, CREATED_BY_TAG, roleArn, userArn } from '../../domain/names';
import { paletteTrustPolicy, policyDocumentsEqual } from '../../domain/policies';
import type { PaletteIdentity, Plan, PrincipalResult } from '../../domain/workflow-state';
import { tenantClients } from '../../shared/aws-clients';
import { awsCall } from '../../shared/errors';
import { describeSecret, ensureSecretValue, forceDeleteSecret, secretTag } from '../../shared/secrets';
import type { UndoResult } from './bucket';
import { iamTags, orNoSuchEntity, tagsToAdd, tagValue } from './iam-util';

/** IAM returns policy documents URL-encoded. */
function decodeDocument(doc: string | undefined): unknown {
  if (!doc) return {};
  try {
    return JSON.parse(decodeURIComponent(doc));
  } catch {
    return {};
  }
}

export async function ensureStsRole(plan: Plan, palette: PaletteIdentity): Promise<PrincipalResult> {
  const { iam } = tenantClients(plan.target);
  const RoleName = plan.principalName;
  const trust = paletteTrustPolicy({
    partition: plan.target.partition,
    paletteAccountId: palette.accountId,
    externalId: palette.externalId,
  });
  const existing = (await orNoSuchEntity(() => iam.send(new GetRoleCommand({ RoleName }))))?.Role;
  let created = false;
  let arn: string;
  if (!existing) {
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
    created = true;
    arn = out.Role?.Arn ?? roleArn(plan.target.partition, plan.target.accountId, RoleName, plan.iamPath);
  } else {
    arn = existing.Arn ?? roleArn(plan.target.partition, plan.target.accountId, RoleName, existing.Path);
    if (!policyDocumentsEqual(decodeDocument(existing.AssumeRolePolicyDocument), trust)) {
      await awsCall(() =>
        iam.send(new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: JSON.stringify(trust) })),
      );
    }
    const add = tagsToAdd(existing.Tags, plan.tags);
    if (add.length > 0) await awsCall(() => iam.send(new TagRoleCommand({ RoleName, Tags: add })));
  }
  const attached = await awsCall(() => iam.send(new ListAttachedRolePoliciesCommand({ RoleName })));
  if (!attached.AttachedPolicies?.some((p) => p.PolicyArn === plan.policyArn)) {
    await awsCall(() => iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn: plan.policyArn })));
  }
  return { kind: 'sts', arn, roleArn: arn, created };
}

interface AccessKeyState {
  accessKeyId: string;
  secretArn: string;
}

/**
 * Makes the secret hold the one active key of the user. A new key is created when rotation is requested
 * or when the secret does not hold a key the user still has; the previous keys are deleted only after the
 * new one is stored, so there is no moment without a usable stored key.
 */
async function ensureAccessKey(iam: IAMClient, plan: Plan): Promise<AccessKeyState> {
  const UserName = plan.principalName;
  const keys = (await awsCall(() => iam.send(new ListAccessKeysCommand({ UserName })))).AccessKeyMetadata ?? [];
  const secret = await describeSecret(plan.accessKeySecretName);
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
    // IAM allows two keys: make room by deleting one the secret does not hold (never the stored one yet).
    if (keys.length >= 2) {
      const spare = keys.find((k) => k.AccessKeyId !== storedId) ?? keys[0];
      const AccessKeyId = spare?.AccessKeyId;
      if (AccessKeyId) await awsCall(() => iam.send(new DeleteAccessKeyCommand({ UserName, AccessKeyId })));
    }
    const out = await awsCall(() => iam.send(new CreateAccessKeyCommand({ UserName })));
    const key = out.AccessKey;
    if (!key?.AccessKeyId || !key.SecretAccessKey) throw new Error(`CreateAccessKey for ${UserName} returned no key`);
    const { arn } = await ensureSecretValue({
      name: plan.accessKeySecretName,
      value: { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey },
      tags: { ...plan.tags, [ACCESS_KEY_ID_TAG]: key.AccessKeyId },
      description: `Access key of IAM user ${UserName} in ${plan.target.accountId} for Palette (palette-onboarding)`,
    });
    keep = { accessKeyId: key.AccessKeyId, secretArn: arn };
  }
  // Exactly one key: remove every other key of our user.
  const now = (await awsCall(() => iam.send(new ListAccessKeysCommand({ UserName })))).AccessKeyMetadata ?? [];
  for (const k of now) {
    const AccessKeyId = k.AccessKeyId;
    if (AccessKeyId && AccessKeyId !== keep.accessKeyId) {
      await awsCall(() => iam.send(new DeleteAccessKeyCommand({ UserName, AccessKeyId })));
    }
  }
  return keep;
}

export async function ensureStaticUser(plan: Plan): Promise<PrincipalResult> {
  const { iam } = tenantClients(plan.target);
  const UserName = plan.principalName;
  const existing = (await orNoSuchEntity(() => iam.send(new GetUserCommand({ UserName }))))?.User;
  let created = false;
  let arn: string;
  if (!existing) {
    const out = await awsCall(() =>
      iam.send(new CreateUserCommand({ UserName, Path: plan.iamPath, Tags: iamTags(plan.tags) })),
    );
    created = true;
    arn = out.User?.Arn ?? userArn(plan.target.partition, plan.target.accountId, UserName, plan.iamPath);
  } else {
    arn = existing.Arn ?? userArn(plan.target.partition, plan.target.accountId, UserName, existing.Path);
    const add = tagsToAdd(existing.Tags, plan.tags);
    if (add.length > 0) await awsCall(() => iam.send(new TagUserCommand({ UserName, Tags: add })));
  }
  const attached = await awsCall(() => iam.send(new ListAttachedUserPoliciesCommand({ UserName })));
  if (!attached.AttachedPolicies?.some((p) => p.PolicyArn === plan.policyArn)) {
    await awsCall(() => iam.send(new AttachUserPolicyCommand({ UserName, PolicyArn: plan.policyArn })));
  }
  const key = await ensureAccessKey(iam, plan);
  return {
    kind: 'static',
    arn,
    created,
    userName: UserName,
    accessKeyId: key.accessKeyId,
    credentialsSecretArn: key.secretArn,
  };
}

/** Deletes the role or user (with keys and attachments) and the key secret, each only if this execution created it. */
export async function undoPrincipal(plan: Plan, executionName: string): Promise<UndoResult> {
  const { iam } = tenantClients(plan.target);
  const result: UndoResult = { deleted: [], retained: [] };
  const name = plan.principalName;
  if (plan.credentialMode === 'sts') {
    const role = (await orNoSuchEntity(() => iam.send(new GetRoleCommand({ RoleName: name }))))?.Role;
    if (role && tagValue(role.Tags, CREATED_BY_TAG) === executionName) {
      const attached = await awsCall(() => iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name })));
      for (const p of attached.AttachedPolicies ?? []) {
        const PolicyArn = p.PolicyArn;
        if (PolicyArn) await awsCall(() => iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn })));
      }
      await awsCall(() => iam.send(new DeleteRoleCommand({ RoleName: name })));
      result.deleted.push(role.Arn ?? name);
    }
    return result;
  }
  const user = (await orNoSuchEntity(() => iam.send(new GetUserCommand({ UserName: name }))))?.User;
  if (user && tagValue(user.Tags, CREATED_BY_TAG) === executionName) {
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
    result.deleted.push(user.Arn ?? name);
  }
  const secret = await describeSecret(plan.accessKeySecretName);
  if (secret?.ARN && secretTag(secret, CREATED_BY_TAG) === executionName) {
    await forceDeleteSecret(secret.ARN);
    result.deleted.push(secret.ARN);
  }
  return result;
}
