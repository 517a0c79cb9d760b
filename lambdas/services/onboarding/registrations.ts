/**
 * Palette registrations: the AWS cloud account and the S3 backup location. Palette has no idempotency key,
 * so each is found by name first, created if missing and updated if it drifted. Annotations record which
 * execution created it; compensation deletes only those.
 */
import type { PaletteIdentity, Plan, PrincipalResult, RegistrationResult } from '../../domain/workflow-state';
import { VerificationError } from '../../shared/errors';
import type { UndoResult } from '../aws/bucket';
import type { AwsCloudAccount, S3Location } from '../palette';
import { paletteAwsCredentials, sameCredentials } from './credentials';
import { annotationsConverged, createdByExecution, ownedAnnotations } from './owned-annotations';
import { paletteClient, paletteScope } from './palette';

export interface RegistrationInput {
  plan: Plan;
  palette: PaletteIdentity;
  principal: PrincipalResult;
}

export async function ensureCloudAccount(input: RegistrationInput): Promise<RegistrationResult> {
  const { plan } = input;
  const accounts = paletteScope(plan).cloudAccounts.aws;
  const spec: AwsCloudAccount = await paletteAwsCredentials(plan, input.principal, input.palette);
  const name = plan.cloudAccountName;
  const existing = await accounts.findByName(name);
  if (!existing?.metadata?.uid) {
    const uid = await accounts.create({ metadata: { name, annotations: ownedAnnotations(plan) }, spec });
    return { uid, name, created: true, updated: false };
  }
  const uid = existing.metadata.uid;
  const wantedAnnotations = ownedAnnotations(plan, existing.metadata.annotations ?? {});
  if (sameCredentials(existing.spec, spec) && annotationsConverged(existing.metadata.annotations, wantedAnnotations)) {
    return { uid, name, created: false, updated: false };
  }
  await accounts.update(uid, { metadata: { name, uid, annotations: wantedAnnotations }, spec });
  return { uid, name, created: false, updated: true };
}

export async function ensureBackupLocation(input: RegistrationInput): Promise<RegistrationResult> {
  const { plan } = input;
  const locations = paletteScope(plan).backupLocations;
  const credentials = await paletteAwsCredentials(plan, input.principal, input.palette);
  const name = plan.backupLocationName;
  const config = { bucketName: plan.bucketName, region: plan.target.region, credentials };
  const found = await locations.findByName(name, 's3');
  if (!found?.metadata?.uid) {
    const body: S3Location = {
      metadata: { name, annotations: ownedAnnotations(plan) },
      spec: { config, isDefault: plan.backupLocationIsDefault },
    };
    const uid = await locations.s3.create(body);
    return { uid, name, created: true, updated: false };
  }
  const uid = found.metadata.uid;
  const current = await locations.s3.get(uid);
  const wantedAnnotations = ownedAnnotations(plan, current.metadata?.annotations ?? found.metadata.annotations ?? {});
  const c = current.spec?.config;
  const converged =
    c?.bucketName === config.bucketName &&
    c.region === config.region &&
    sameCredentials(c.credentials, credentials) &&
    (current.spec?.isDefault ?? false) === plan.backupLocationIsDefault &&
    annotationsConverged(current.metadata?.annotations, wantedAnnotations);
  if (converged) return { uid, name, created: false, updated: false };
  await locations.s3.update(uid, {
    metadata: { name, annotations: wantedAnnotations },
    spec: { config: { ...c, ...config }, isDefault: plan.backupLocationIsDefault },
  });
  if (plan.backupLocationIsDefault && !current.spec?.isDefault) await locations.setDefault('s3', uid);
  return { uid, name, created: false, updated: true };
}

/** The optional parts (plan.extras) and how Palette lists each. */
export const OPTIONAL_PARTS = ['azureAccount', 'sshKey', 'apiKey', 'gcpBackupLocation', 'minioBackupLocation', 'azureBackupLocation'] as const;
export type OptionalPart = (typeof OPTIONAL_PARTS)[number];

async function listedUid(plan: Plan, part: OptionalPart, name: string): Promise<string | undefined> {
  const scope = paletteScope(plan);
  switch (part) {
    case 'azureAccount':
      return (await scope.cloudAccounts.azure.findByName(name))?.metadata?.uid;
    case 'sshKey':
      return (await scope.sshKeys.findByName(name))?.metadata?.uid;
    case 'apiKey':
      // API keys live in tenant scope only.
      return (await paletteClient(plan.paletteApiKeySecretArn).apiKeys.findByName(name))?.metadata?.uid;
    case 'gcpBackupLocation':
      return (await scope.backupLocations.findByName(name, 'gcp'))?.metadata?.uid;
    case 'minioBackupLocation':
      return (await scope.backupLocations.findByName(name, 'minio'))?.metadata?.uid;
    case 'azureBackupLocation':
      return (await scope.backupLocations.findByName(name, 'azure'))?.metadata?.uid;
  }
}

export interface VerificationResult {
  ok: true;
  cloudAccountUid?: string;
  backupLocationUid: string;
  /** Uids of the optional parts Palette lists, by part. */
  extras?: Partial<Record<OptionalPart, string>>;
}

/** Palette must list what was registered, under the expected names and uids. */
export async function verifyRegistrations(
  plan: Plan,
  expected: { cloudAccountUid?: string; backupLocationUid: string; extras?: Partial<Record<OptionalPart, string>> },
): Promise<VerificationResult> {
  const scope = paletteScope(plan);
  const problems: string[] = [];
  const check = (what: string, found: string | undefined, wanted: string) => {
    if (found !== wanted) problems.push(`${what} ${found ? `has uid ${found}, expected ${wanted}` : 'is not listed'}`);
  };
  let cloudAccountUid: string | undefined;
  if (expected.cloudAccountUid !== undefined) {
    cloudAccountUid = (await scope.cloudAccounts.aws.findByName(plan.cloudAccountName))?.metadata?.uid;
    check(`cloud account '${plan.cloudAccountName}'`, cloudAccountUid, expected.cloudAccountUid);
  }
  const backupLocationUid = (await scope.backupLocations.findByName(plan.backupLocationName, 's3'))?.metadata?.uid;
  check(`backup location '${plan.backupLocationName}'`, backupLocationUid, expected.backupLocationUid);
  const extras: Partial<Record<OptionalPart, string>> = {};
  for (const part of OPTIONAL_PARTS) {
    const wanted = expected.extras?.[part];
    const name = plan.extras[part]?.name;
    if (wanted === undefined || name === undefined) continue;
    const found = await listedUid(plan, part, name);
    check(`${part} '${name}'`, found, wanted);
    if (found) extras[part] = found;
  }
  if (problems.length > 0 || backupLocationUid === undefined) {
    throw new VerificationError(`Palette does not list the registrations: ${problems.join('; ')}`);
  }
  return {
    ok: true,
    ...(cloudAccountUid ? { cloudAccountUid } : {}),
    backupLocationUid,
    ...(Object.keys(extras).length > 0 ? { extras } : {}),
  };
}

/** Deletes the registrations this execution created (found by name, checked by annotation). */
export async function undoRegistrations(plan: Plan, executionName: string): Promise<UndoResult> {
  const scope = paletteScope(plan);
  const result: UndoResult = { deleted: [], retained: [] };
  const location = await scope.backupLocations.findByName(plan.backupLocationName, 's3');
  if (location?.metadata?.uid) {
    const uid = location.metadata.uid;
    const full = await scope.backupLocations.s3.get(uid);
    if (createdByExecution(full.metadata?.annotations ?? location.metadata.annotations, executionName)) {
      await scope.backupLocations.delete(uid);
      result.deleted.push(`palette:backup-location/${uid}`);
    }
  }
  const account = await scope.cloudAccounts.aws.findByName(plan.cloudAccountName);
  if (account?.metadata?.uid && createdByExecution(account.metadata.annotations, executionName)) {
    await scope.cloudAccounts.aws.delete(account.metadata.uid);
    result.deleted.push(`palette:cloud-account/${account.metadata.uid}`);
  }
  return result;
}
