/**
 * The Azure cloud account, with the app registration read from the tenant's secret. Before anything else, the
 * cloud's rules (lambdas/domain/azure-rules.ts: availability, private cloud gateway) and the gateway the request names,
 * resolved through Palette and required to be Running (../gateway.ts); its uid is linked with the `overlordUid`
 * annotation. Validated with Palette's Azure validate before every create or update.
 */
import { azureCloudViolation, azureGatewayRequirement, gatewayRef, isAzurePublicCloud, sameAzureCloud } from '../../../domain/azure-rules';
import { loadEnv } from '../../../shared/env';
import { RequestValidationError } from '../../../shared/errors';
import type { AzureAccount, AzureCloudAccount } from '../../palette';
import { resolveAzureAccountGateway } from '../gateway';
import type { KindContext, Reconciler } from '../types';
import { AzureCredentialsSecretSchema } from './azure-backup-location';

/** Palette's link from a cloud account to a private cloud gateway (PCG). */
export const OVERLORD_UID_ANNOTATION = 'overlordUid';

/** The gateway uid precheck resolved, for annotations() of the same ensure call (keyed by its context). */
const resolvedGateways = new WeakMap<KindContext<'azureAccount'>, string>();

export const azureAccount: Reconciler<'azureAccount', AzureAccount, AzureCloudAccount> = {
  async precheck(ctx) {
    const want = ctx.entry;
    const selfHosted = loadEnv().PALETTE_SELF_HOSTED;
    const hasGateway = gatewayRef(want) !== undefined;
    let publicCloudAccounts: string[] = [];
    if (!hasGateway && azureGatewayRequirement(want.cloud, selfHosted) === 'if-public-accounts') {
      const accounts = await ctx.scope.cloudAccounts.azure.list();
      publicCloudAccounts = accounts
        .filter((a) => a.metadata?.name !== want.name && isAzurePublicCloud(a.spec?.azureEnvironment))
        .map((a) => a.metadata?.name ?? a.metadata?.uid ?? '(unnamed)');
    }
    const violation = azureCloudViolation({ cloud: want.cloud, selfHosted, hasGateway, publicCloudAccounts });
    if (violation) throw new RequestValidationError([violation]);
    // Gateways are tenant-level: looked up with the tenant-scope client.
    const gateway = await resolveAzureAccountGateway(ctx.client, want);
    if (gateway) resolvedGateways.set(ctx, gateway.uid);
  },

  async desired(ctx) {
    const want = ctx.entry;
    const credentials = await ctx.credentials.json('credentialsSecretArn', AzureCredentialsSecretSchema);
    return {
      tenantId: credentials.tenantId,
      clientId: credentials.clientId,
      clientSecret: credentials.clientSecret,
      azureEnvironment: want.cloud,
      ...(want.tenantName ? { tenantName: want.tenantName } : {}),
      settings: { disablePropertiesRequest: want.disablePropertiesRequest },
      ...(want.tlsCert ? { tls: { cert: want.tlsCert } } : {}),
    };
  },

  async find(ctx) {
    const found = await ctx.scope.cloudAccounts.azure.findByName(ctx.name);
    const uid = found?.metadata?.uid;
    if (!uid) return undefined;
    const object = await ctx.scope.cloudAccounts.azure.get(uid);
    return { uid, object, annotations: object.metadata?.annotations ?? found.metadata?.annotations ?? {} };
  },

  // Palette masks the client secret in reads, so it is not compared (the reconciler compares its fingerprint). A tenant
  // name the request leaves out is not managed.
  converged(_ctx, existing, wanted) {
    const current = existing.object.spec;
    if (!current) return false;
    return (
      current.tenantId === wanted.tenantId &&
      current.clientId === wanted.clientId &&
      sameAzureCloud(current.azureEnvironment, wanted.azureEnvironment) &&
      (wanted.tls === undefined || current.tls?.cert === wanted.tls.cert) &&
      (wanted.tenantName === undefined || current.tenantName === wanted.tenantName) &&
      (current.settings?.disablePropertiesRequest ?? false) === (wanted.settings?.disablePropertiesRequest ?? false)
    );
  },

  validate: (ctx, desired) => ctx.scope.clouds.validateAzureAccount(desired),

  annotations: (ctx): Record<string, string> => {
    const uid = resolvedGateways.get(ctx);
    return uid ? { [OVERLORD_UID_ANNOTATION]: uid } : {};
  },

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
