/**
 * The secrets the onboarding writes for a tenant in the home account (the static user's access key, a generated
 * SSH private key, a generated Palette API key value), under the ownership rule: an existing secret of the name is
 * written only when it is the tenant's (or adopted), every secret is recorded in the tenant registry, and
 * compensation deletes only what this execution created. Every call goes through the tenant's secrets session of
 * the caller's job (`tenantSecretsClient(plan, job)`): IAM lets it touch this tenant's secrets only.
 */
import { CreateSecretCommand, PutSecretValueCommand, ResourceExistsException, RestoreSecretCommand, TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { resourceKey } from '../../domain/names';
import { marksToApply } from '../../domain/ownership';
import type { SecretJobName } from '../../domain/secret-access';
import { tenantSecretsClient } from '../../shared/aws-clients';
import { awsCall } from '../../shared/errors';
import { describeSecret, forceDeleteSecret, scheduleSecretDeletion } from '../../shared/secrets';
import type { TenantOwnership } from '../registry/ownership';
import type { UndoResult } from './bucket';

export interface TenantSecretSpec {
  /** The caller's secret job (lambdas/domain/secret-access.ts): the session it works with. */
  job: SecretJobName;
  /** Registry part, e.g. `accessKeySecret`. */
  part: string;
  name: string;
  value: Record<string, unknown>;
  /** Tags besides the plan's marks (e.g. the access key id the value belongs to). */
  extraTags?: Record<string, string>;
  description: string;
  adopt: boolean;
  adoptField: string;
}

const tagMap = (tags: { Key?: string; Value?: string }[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).filter((t) => t.Key !== undefined).map((t) => [t.Key as string, t.Value ?? '']));

/**
 * Throws OwnershipError when the secret exists and may not be written by this tenant: call it before creating what
 * the secret will hold (an access key, a key pair), so nothing is made that could not be stored.
 */
export async function assertTenantSecretUsable(ownership: TenantOwnership, spec: Pick<TenantSecretSpec, 'job' | 'name' | 'adopt' | 'adoptField'>): Promise<void> {
  const existing = await describeSecret(spec.name, tenantSecretsClient(ownership.plan, spec.job));
  if (!existing?.ARN) return;
  ownership.decide({
    key: resourceKey.secret(ownership.plan.homeAccountId, spec.name),
    object: `secret '${spec.name}'`,
    marks: tagMap(existing.Tags),
    adopt: spec.adopt,
    adoptField: spec.adoptField,
  });
}

/** Creates the secret, or stores a new version of the tenant's existing one; records it. Returns its ARN. */
export async function ensureTenantSecret(ownership: TenantOwnership, spec: TenantSecretSpec): Promise<{ arn: string; created: boolean }> {
  const { plan } = ownership;
  const sm = tenantSecretsClient(plan, spec.job);
  const key = resourceKey.secret(plan.homeAccountId, spec.name);
  const SecretString = JSON.stringify(spec.value);
  let existing = await describeSecret(spec.name, sm);
  if (!existing?.ARN) {
    await ownership.intend(key);
    try {
      const tags = marksToApply(plan.tags, undefined, { extra: spec.extraTags ?? {} });
      const out = await awsCall(() =>
        sm.send(
          new CreateSecretCommand({
            Name: spec.name,
            SecretString,
            Description: spec.description,
            Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        ),
      );
      if (!out.ARN) throw new Error(`CreateSecret ${spec.name} returned no ARN`);
      await ownership.record({ key, part: spec.part, id: out.ARN, name: spec.name, ownership: 'created' });
      return { arn: out.ARN, created: true };
    } catch (e) {
      // Created meanwhile (or by this execution, whose response was lost): decide on the existing one below.
      if (!(e instanceof ResourceExistsException)) throw e;
      existing = await describeSecret(spec.name, sm);
      if (!existing?.ARN) throw e;
    }
  }
  const arn = existing.ARN;
  const current = tagMap(existing.Tags);
  const decision = ownership.decide({ key, object: `secret '${spec.name}'`, marks: current, adopt: spec.adopt, adoptField: spec.adoptField });
  // The tenant's secret, deleted with a recovery window by an offboarding: restored, then written anew.
  if (existing.DeletedDate !== undefined) await awsCall(() => sm.send(new RestoreSecretCommand({ SecretId: arn })));
  await awsCall(() => sm.send(new PutSecretValueCommand({ SecretId: arn, SecretString })));
  const wanted = marksToApply(plan.tags, current, {
    createdByThisExecution: decision.kind === 'own' && decision.createdByThisExecution,
    extra: spec.extraTags ?? {},
  });
  const add = Object.entries(wanted)
    .filter(([k, v]) => current[k] !== v)
    .map(([Key, Value]) => ({ Key, Value }));
  if (add.length > 0) await awsCall(() => sm.send(new TagResourceCommand({ SecretId: arn, Tags: add })));
  await ownership.record({ key, part: spec.part, id: arn, name: spec.name, ownership: decision });
  return { arn, created: false };
}

/**
 * Compensation: force-deletes the secret only if this execution created it; otherwise reports it retained.
 * Offboarding: deletes the tenant's secret with the recovery window (a secret already scheduled for deletion is
 * left as it is).
 */
export async function undoTenantSecret(ownership: TenantOwnership, name: string, job: SecretJobName): Promise<UndoResult> {
  const sm = tenantSecretsClient(ownership.plan, job);
  const key = resourceKey.secret(ownership.plan.homeAccountId, name);
  const secret = await describeSecret(name, sm);
  if (!secret?.ARN || (secret.DeletedDate !== undefined && ownership.removal.mode === 'offboarding')) {
    await ownership.forget(key);
    return { deleted: [], retained: [] };
  }
  const decision = ownership.mayRemove(key, tagMap(secret.Tags));
  if (!decision.remove) return { deleted: [], retained: ownership.kept(secret.ARN, decision.reason, true) };
  if (ownership.removal.mode === 'offboarding') await scheduleSecretDeletion(secret.ARN, ownership.removal.secretRecoveryDays, sm);
  else await forceDeleteSecret(secret.ARN, sm);
  await ownership.forget(key);
  return { deleted: [secret.ARN], retained: [] };
}
