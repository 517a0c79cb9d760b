/**
 * The private cloud gateway (PCG) an Azure cloud account names, resolved through Palette: by name (the tenant's
 * gateways listed, exactly one with that `metadata.name`) or by uid (read, so it must exist), and required to be
 * `Running` (the Go SDK's CheckPCG, client/private_cloud_gateway.go, does the same before it links an account). A gateway
 * that is missing, ambiguous or in another state is a RequestValidationError naming the request field and the state:
 * permanent, nothing is created. Gateways are tenant-level objects, so the tenant-scope client is used whatever the
 * request's project.
 *
 * Runs twice per onboarding: in ReadPaletteIdentity (so a bad gateway fails the run before any resource exists) and
 * in the Azure ensure step (which links the resolved uid, and would notice a gateway that stopped in between).
 */
import { gatewayRef, type GatewayRef } from '../../domain/azure-rules';
import type { RegistrationPlan } from '../../domain/registrations';
import type { Plan } from '../../domain/workflow-state';
import { RequestValidationError } from '../../shared/errors';
import { PaletteNotFoundError, PCG_RUNNING_STATE, type PaletteClient } from '../palette';
import { paletteClient } from '../onboarding/palette';

export interface ResolvedGateway {
  uid: string;
  name: string;
  state: string;
}

const invalid = (field: string, message: string) => new RequestValidationError([{ path: field, message }]);

/** The gateway `ref` names, checked to exist, be unambiguous and be Running; throws RequestValidationError otherwise. */
export async function resolvePrivateCloudGateway(client: PaletteClient, ref: GatewayRef): Promise<ResolvedGateway> {
  let found: { uid?: string; name?: string; state?: string };
  if (ref.by === 'name') {
    const matches = await client.privateCloudGateways.findAllByName(ref.value);
    if (matches.length === 0) throw invalid(ref.field, `no private cloud gateway named '${ref.value}' in this Palette tenant`);
    if (matches.length > 1) {
      const uids = matches.map((m) => m.metadata?.uid ?? '?').sort();
      throw invalid(ref.field, `${matches.length} private cloud gateways are named '${ref.value}' (uids ${uids.join(', ')}): name one by uid instead`);
    }
    const [g] = matches;
    found = { uid: g?.metadata?.uid, name: g?.metadata?.name, state: g?.status?.state };
  } else {
    try {
      const g = await client.privateCloudGateways.get(ref.value);
      found = { uid: g.metadata?.uid ?? ref.value, name: g.metadata?.name, state: g.status?.state };
    } catch (e) {
      if (e instanceof PaletteNotFoundError) throw invalid(ref.field, `no private cloud gateway with uid '${ref.value}' in this Palette tenant`);
      throw e;
    }
  }
  const uid = found.uid ?? '';
  const name = found.name ?? '';
  const described = `private cloud gateway '${name || uid}' (uid ${uid || '?'})`;
  if (uid === '') throw invalid(ref.field, `${described}: Palette reports no uid for it`);
  const state = found.state ?? '';
  if (state !== PCG_RUNNING_STATE) {
    throw invalid(ref.field, `${described} is ${state === '' ? 'in no reported state' : `in state ${state}`}, not ${PCG_RUNNING_STATE}: an account can use only a running gateway`);
  }
  return { uid, name, state };
}

/** The gateway of the plan's Azure account entry, resolved and checked (undefined when it names none). */
export async function resolveAzureAccountGateway(
  client: PaletteClient,
  entry: RegistrationPlan<'azureAccount'>,
): Promise<ResolvedGateway | undefined> {
  const ref = gatewayRef(entry);
  return ref ? resolvePrivateCloudGateway(client, ref) : undefined;
}

/**
 * ReadPaletteIdentity's early check: when the plan's Azure account names a gateway, it must resolve and be Running
 * now, before the tenant's first resource is created.
 */
export async function checkPlannedGateway(plan: Plan): Promise<ResolvedGateway | undefined> {
  const entry = plan.registrations.azureAccount;
  if (!entry || !gatewayRef(entry)) return undefined;
  return resolveAzureAccountGateway(paletteClient(plan.paletteApiKeySecretArn), entry);
}
