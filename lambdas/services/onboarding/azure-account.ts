/**
 * The optional Palette Azure cloud account (issue 6). Found by name in the request's scope, validated with
 * Palette's Azure validate endpoint before every create or update, created with the plan's tags as annotations
 * (plus `overlordUid` when it uses a private cloud gateway), corrected when it drifted. The credentials come
 * from a Secrets Manager secret and never appear in results, logs or errors.
 */
import { z } from 'zod';
import { AZURE_PCG_PATH, azureGatewayRequirement, azureGatewayViolation, isAzurePublicCloud } from '../../domain/azure-rules';
import type { ExtrasPlan } from '../../domain/extras';
import type { Plan, RegistrationResult } from '../../domain/workflow-state';
import { loadEnv } from '../../shared/env';
import { RequestValidationError, StateInputError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import { readSecretJson } from '../../shared/secrets';
import type { UndoResult } from '../aws/bucket';
import type { AzureAccount, AzureCloudAccount } from '../palette';
import { annotationsConverged, createdByExecution, ownedAnnotations } from './owned-annotations';
import { paletteScope } from './palette';

/** Palette's link from a cloud account to a private cloud gateway (PCG). */
export const OVERLORD_UID_ANNOTATION = 'overlordUid';

const AzureCredentialsSchema = z.object({
  tenantId: z.string().min(1),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
});

type AzureAccountPlan = NonNullable<ExtrasPlan['azureAccount']>;

function azurePlan(plan: Plan): AzureAccountPlan {
  const want = plan.extras.azureAccount;
  if (!want) throw new StateInputError('the plan has no extras.azureAccount: this step runs only when the request has azure.cloudAccount');
  return want;
}

/** Palette's rule for US Government accounts and private cloud gateways; throws RequestValidationError. */
async function checkGatewayRule(plan: Plan, want: AzureAccountPlan): Promise<void> {
  const selfHosted = loadEnv().PALETTE_SELF_HOSTED;
  let publicCloudAccounts: string[] = [];
  if (!want.privateCloudGatewayUid && azureGatewayRequirement(want.cloud, selfHosted) === 'if-public-accounts') {
    const accounts = await paletteScope(plan).cloudAccounts.azure.list();
    publicCloudAccounts = accounts
      .filter((a) => a.metadata?.name !== want.name && isAzurePublicCloud(a.spec?.azureEnvironment))
      .map((a) => a.metadata?.name ?? a.metadata?.uid ?? '(unnamed)');
  }
  const violation = azureGatewayViolation({
    cloud: want.cloud,
    selfHosted,
    publicCloudAccounts,
    ...(want.privateCloudGatewayUid ? { privateCloudGatewayUid: want.privateCloudGatewayUid } : {}),
  });
  if (violation) throw new RequestValidationError([{ path: AZURE_PCG_PATH, message: violation }]);
}

/** The account spec Palette should hold (with the real client secret: used for validate, create and update). */
async function wantedSpec(want: AzureAccountPlan): Promise<AzureCloudAccount> {
  const credentials = await readSecretJson(want.credentialsSecretArn, AzureCredentialsSchema);
  return {
    tenantId: credentials.tenantId,
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    azureEnvironment: want.cloud,
    ...(want.tenantName ? { tenantName: want.tenantName } : {}),
    settings: { disablePropertiesRequest: want.disablePropertiesRequest },
  };
}

/** Drift check. Palette masks the client secret in reads, so it is not compared. */
function sameSpec(current: AzureCloudAccount | undefined, wanted: AzureCloudAccount): boolean {
  if (!current) return false;
  return (
    current.tenantId === wanted.tenantId &&
    current.clientId === wanted.clientId &&
    (current.azureEnvironment ?? 'AzurePublicCloud') === wanted.azureEnvironment &&
    (current.tenantName ?? '') === (wanted.tenantName ?? '') &&
    (current.settings?.disablePropertiesRequest ?? false) === (wanted.settings?.disablePropertiesRequest ?? false)
  );
}

export async function ensureAzureAccount(plan: Plan): Promise<RegistrationResult> {
  const want = azurePlan(plan);
  await checkGatewayRule(plan, want);
  const spec = await wantedSpec(want);
  const scope = paletteScope(plan);
  const accounts = scope.cloudAccounts.azure;
  const name = want.name;
  const gateway: Record<string, string> = want.privateCloudGatewayUid ? { [OVERLORD_UID_ANNOTATION]: want.privateCloudGatewayUid } : {};

  const found = await accounts.findByName(name);
  if (!found?.metadata?.uid) {
    await scope.clouds.validateAzureAccount(spec);
    const uid = await accounts.create({ metadata: { name, annotations: ownedAnnotations(plan, undefined, gateway) }, spec });
    logger.info('Azure cloud account created', { name, uid, cloud: want.cloud });
    return { uid, name, created: true, updated: false };
  }
  const uid = found.metadata.uid;
  const current: AzureAccount = await accounts.get(uid);
  const currentAnnotations = current.metadata?.annotations ?? found.metadata.annotations ?? {};
  const annotations = ownedAnnotations(plan, currentAnnotations, gateway);
  if (sameSpec(current.spec, spec) && annotationsConverged(currentAnnotations, annotations)) {
    return { uid, name, created: false, updated: false };
  }
  await scope.clouds.validateAzureAccount(spec);
  await accounts.update(uid, { metadata: { name, uid, annotations }, spec });
  logger.info('Azure cloud account updated (drift)', { name, uid, cloud: want.cloud });
  return { uid, name, created: false, updated: true };
}

/** Deletes the Azure account only if this execution created it. */
export async function undoAzureAccount(plan: Plan, executionName: string): Promise<UndoResult> {
  const result: UndoResult = { deleted: [], retained: [] };
  const want = plan.extras.azureAccount;
  if (!want) return result;
  const accounts = paletteScope(plan).cloudAccounts.azure;
  const found = await accounts.findByName(want.name);
  const uid = found?.metadata?.uid;
  if (!uid) return result;
  const id = `palette:azure-cloud-account/${uid}`;
  if (createdByExecution(found.metadata?.annotations, executionName)) {
    await accounts.delete(uid);
    result.deleted.push(id);
  } else {
    result.retained.push({ id, reason: `Azure cloud account '${want.name}' was not created by this execution` });
  }
  return result;
}
