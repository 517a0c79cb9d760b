/**
 * Private cloud gateways (PCGs, "overlords" in Palette's API) in the emulator. A real gateway is installed in the
 * customer's network and registers itself with Palette; here tests put one in (addGateway / POST /_emulator/gateways),
 * change its state (setGatewayState / PATCH /_emulator/gateways/{uid}) and take it out (removeGateway / DELETE
 * /_emulator/gateways/{uid}). The API only lists them (GET /v1/overlords, `name` query: an exact match here; Palette's
 * matching rule is not documented) and reads one (GET /v1/overlords/{uid}); both come from spec/supplement.json.
 *
 * Gateways are tenant-level (registered under Tenant Settings): the operations are tenant scope (x-subset-scope), and a
 * cloud account of any scope of the tenant may name one in its `overlordUid` annotation (checked by operations.ts).
 */
import { z } from 'zod';
import { PaletteError, notFound } from './errors';
import { metaView } from './resources';
import type { GatewayRecord, Json, PaletteState, Tenant } from './state';

/** Palette's state of a usable gateway (the Go SDK's CheckPCG accepts nothing else). */
export const GATEWAY_RUNNING = 'Running';

/** What a test gives to add a gateway (in-process addGateway and POST /_emulator/gateways). */
export const gatewayInput = z
  .object({
    name: z.string().min(1),
    /** status.state (default Running), e.g. Pending, Provisioning, Failed, Deleting. */
    state: z.string().min(1).optional(),
    isSelfHosted: z.boolean().optional(),
    ipAddress: z.string().optional(),
    /** The tenant (default: the emulator's first tenant). */
    tenantUid: z.string().min(1).optional(),
  })
  .strict();
export type GatewayInput = z.input<typeof gatewayInput>;

function parsed<T>(schema: z.ZodType<T>, raw: unknown): T {
  const out = schema.safeParse(raw);
  if (!out.success) {
    const issue = out.error.issues[0];
    throw new PaletteError(400, 'InvalidRequest', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  return out.data;
}

/** Adds a gateway; names are unique per tenant (409 DuplicateName). */
export function addGateway(state: PaletteState, now: number, raw: unknown): GatewayRecord {
  const input = parsed(gatewayInput, raw);
  const tenant = input.tenantUid === undefined ? state.tenants[0] : state.tenantByUid(input.tenantUid);
  if (!tenant) throw new PaletteError(404, 'ResourceNotFound', `tenantUid: tenant '${input.tenantUid ?? ''}' not found`, { field: 'tenantUid' });
  if (tenant.gateways.some((g) => g.name === input.name)) {
    throw new PaletteError(409, 'DuplicateName', `a private cloud gateway named '${input.name}' already exists in tenant ${tenant.uid}`, { name: input.name });
  }
  const gateway: GatewayRecord = {
    uid: state.ids.uid(),
    name: input.name,
    state: input.state ?? GATEWAY_RUNNING,
    isSelfHosted: input.isSelfHosted ?? true,
    ipAddress: input.ipAddress ?? '10.0.0.10',
    createdAt: now,
    modifiedAt: now,
  };
  tenant.gateways.push(gateway);
  return gateway;
}

function holder(state: PaletteState, uid: string): { tenant: Tenant; gateway: GatewayRecord } | undefined {
  for (const tenant of state.tenants) {
    const gateway = tenant.gateways.find((g) => g.uid === uid);
    if (gateway) return { tenant, gateway };
  }
  return undefined;
}

/** Sets a gateway's status.state; false when no tenant has it. */
export function setGatewayState(state: PaletteState, now: number, uid: string, next: string): boolean {
  const found = holder(state, uid);
  if (!found) return false;
  found.gateway.state = parsed(z.string().min(1), next);
  found.gateway.modifiedAt = now;
  return true;
}

/** Removes a gateway; false when no tenant has it. */
export function removeGateway(state: PaletteState, uid: string): boolean {
  const found = holder(state, uid);
  if (!found) return false;
  found.tenant.gateways.splice(found.tenant.gateways.indexOf(found.gateway), 1);
  return true;
}

/** The tenant's gateway of that uid, else 404 ResourceNotFound (what a cloud account's overlordUid must name). */
export function tenantGateway(tenant: Tenant, uid: string): GatewayRecord {
  const g = tenant.gateways.find((x) => x.uid === uid);
  if (!g) throw notFound('private cloud gateway', uid);
  return g;
}

/** v1Overlord (the parts the supplement declares). */
export function gatewayView(tenant: Tenant, g: GatewayRecord): Json {
  const running = g.state === GATEWAY_RUNNING;
  return {
    metadata: metaView({ ...g, annotations: {}, labels: {} }),
    spec: { cloudAccountUid: '', ipAddress: g.ipAddress, isSelfHosted: g.isSelfHosted, isSystem: false, spectroClusterUid: '', tenantUid: tenant.uid },
    status: { isActive: running, isReady: running, kubectlCommands: [], state: g.state },
  };
}

/** The list: every gateway of the tenant, or those named exactly `name`. In creation order. */
export function gatewayList(tenant: Tenant, name: unknown): Json {
  const items = tenant.gateways.filter((g) => typeof name !== 'string' || name === '' || g.name === name).map((g) => gatewayView(tenant, g));
  return { items };
}

/** What inspect() lists per tenant. */
export function gatewayInspectView(g: GatewayRecord): Json {
  return {
    uid: g.uid,
    name: g.name,
    state: g.state,
    isSelfHosted: g.isSelfHosted,
    createdAt: new Date(g.createdAt).toISOString(),
    modifiedAt: new Date(g.modifiedAt).toISOString(),
  };
}
