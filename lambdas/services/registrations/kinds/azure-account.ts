/**
 * The Azure cloud account, with the app registration read from the tenant's secret. Before anything else,
 * Palette's rule for US Government accounts and private cloud gateways (lambdas/domain/azure-rules.ts); a gateway
 * is linked with the `overlordUid` annotation. Validated with Palette's Azure validate before every create or update.
 */
import { AZURE_PCG_PATH, azureGatewayRequirement, azureGatewayViolation, isAzurePublicCloud } from '../../../domain/azure-rules';
import { loadEnv } from '../../../shared/env';
import { RequestValidationError } from '../../../shared/errors';
import { readSecretJson } from '../../../shared/secrets';
import type { AzureAccount, AzureCloudAccount } from '../../palette';
import { kindSecrets } from '../secrets';
import type { Reconciler } from '../types';
import { AzureCredentialsSecretSchema } from './azure-backup-location';

/** Palette's link from a cloud account to a private cloud gateway (PCG). */
export const OVERLORD_UID_ANNOTATION = 'overlordUid';

export const azureAccount: Reconciler<'azureAccount', AzureAccount, AzureCloudAccount> = {
  async precheck(ctx) {
    const want = ctx.entry;
    const selfHosted = loadEnv().PALETTE_SELF_HOSTED;
    let publicCloudAccounts: string[] = [];
    if (!want.privateCloudGatewayUid && azureGatewayRequirement(want.cloud, selfHosted) === 'if-public-accounts') {
      const accounts = await ctx.scope.cloudAccounts.azure.list();
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
  },

  async desired(ctx) {
    const want = ctx.entry;
    const credentials = await readSecretJson(want.credentialsSecretArn, AzureCredentialsSecretSchema, kindSecrets(ctx));
    return {
      tenantId: credentials.tenantId,
      clientId: credentials.clientId,
      clientSecret: credentials.clientSecret,
      azureEnvironment: want.cloud,
      ...(want.tenantName ? { tenantName: want.tenantName } : {}),
      settings: { disablePropertiesRequest: want.disablePropertiesRequest },
    };
  },

  async find(ctx) {
    const found = await ctx.scope.cloudAccounts.azure.findByName(ctx.name);
    const uid = found?.metadata?.uid;
    if (!uid) return undefined;
    const object = await ctx.scope.cloudAccounts.azure.get(uid);
    return { uid, object, annotations: object.metadata?.annotations ?? found.metadata?.annotations ?? {} };
  },

  // Palette masks the client secret in reads, so it is not compared. A tenant name the request leaves out is not managed.
  converged(_ctx, existing, wanted) {
    const current = existing.object.spec;
    if (!current) return false;
    return (
      current.tenantId === wanted.tenantId &&
      current.clientId === wanted.clientId &&
      (current.azureEnvironment ?? 'AzurePublicCloud') === wanted.azureEnvironment &&
      (wanted.tenantName === undefined || current.tenantName === wanted.tenantName) &&
      (current.settings?.disablePropertiesRequest ?? false) === (wanted.settings?.disablePropertiesRequest ?? false)
    );
  },

  validate: (ctx, desired) => ctx.scope.clouds.validateAzureAccount(desired),

  annotations: (ctx): Record<string, string> =>
    ctx.entry.privateCloudGatewayUid ? { [OVERLORD_UID_ANNOTATION]: ctx.entry.privateCloudGatewayUid } : {},

  async create(ctx, desired, annotations) {
    return { uid: await ctx.scope.cloudAccounts.azure.create({ metadata: { name: ctx.name, annotations }, spec: desired }) };
  },

  async update(ctx, existing, desired, annotations) {
    // Fields we do not manage (e.g. tls, a tenant name the request leaves out) are kept; the masked secret is replaced.
    await ctx.scope.cloudAccounts.azure.update(existing.uid, {
      metadata: { name: ctx.name, uid: existing.uid, annotations },
      spec: { ...existing.object.spec, ...desired },
    });
  },

  async delete(ctx, uid) {
    await ctx.scope.cloudAccounts.azure.delete(uid);
  },
};
