/**
 * The Azure backup location: a blob container with the app registration read from the tenant's secret.
 * Validated with Palette's Azure account validate before every create or update.
 */
import * as z from 'zod';
import { locationClientCloud } from '../../../domain/azure-rules';
import type { AzureCloudAccount, AzureLocation } from '../../palette';
import { locationReconciler, type LocationDesired } from '../location';

type AzureConfig = NonNullable<AzureLocation['spec']>['config'];

export const AzureCredentialsSecretSchema = z.object({
  tenantId: z.string().min(1),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
});


interface AzureLocationDesired extends LocationDesired<AzureConfig> {
  /** What Palette's account validate is given (with the client secret: for the validate call only). */
  account: AzureCloudAccount;
}

export const azureBackupLocation = locationReconciler<'azureBackupLocation', AzureConfig, AzureLocationDesired>({
  type: 'azure',
  endpoints: (scope) => scope.backupLocations.azure,
  async desired(ctx) {
    const p = ctx.entry;
    const secret = await ctx.credentials.json('credentialsSecretArn', AzureCredentialsSecretSchema);
    return {
      config: {
        containerName: p.container,
        storageName: p.storageAccount,
        resourceGroup: p.resourceGroup,
        ...(p.sku ? { sku: p.sku } : {}),
        credentials: {
          clientCloud: locationClientCloud(p.cloud),
          tenantId: secret.tenantId,
          clientId: secret.clientId,
          clientSecret: secret.clientSecret,
          subscriptionId: p.subscriptionId,
        },
      },
      isDefault: p.isDefault,
      account: { tenantId: secret.tenantId, clientId: secret.clientId, clientSecret: secret.clientSecret, azureEnvironment: p.cloud },
    };
  },
  // clientSecret comes back masked: compare everything else (the reconciler compares the credentials' fingerprint). A
  // sku the request leaves out is not managed.
  sameConfig: (c, d) => {
    const w = d.config;
    return (
      c?.containerName === w.containerName &&
      c.storageName === w.storageName &&
      c.resourceGroup === w.resourceGroup &&
      (w.sku === undefined || c.sku === w.sku) &&
      (c.credentials.clientCloud ?? 'public') === w.credentials.clientCloud &&
      c.credentials.tenantId === w.credentials.tenantId &&
      c.credentials.clientId === w.credentials.clientId &&
      c.credentials.subscriptionId === w.credentials.subscriptionId
    );
  },
  merge: (c, d) => ({ ...(d.config.sku === undefined && c?.sku ? { sku: c.sku } : {}), ...d.config }),
  validate: (ctx, d) => ctx.scope.clouds.validateAzureAccount(d.account),
});
