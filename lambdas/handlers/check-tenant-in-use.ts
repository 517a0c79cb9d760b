/**
 * CheckTenantInUse (Offboarding): Palette clusters that use the tenant's cloud account or backup location refuse the
 * offboarding (TenantInUseError naming them; nothing was changed), unless the request forces it. Read-only.
 */
import * as z from 'zod';
import { ExecutionSchema, PlanSchema } from '../domain/workflow-state';
import { withDeadline } from '../shared/deadline';
import { TenantInUseError } from '../shared/errors';
import { parseState } from '../shared/handler';
import { logger } from '../shared/logger';
import { clustersUsingTenant, type ClusterUse } from '../services/offboarding/in-use';

const Input = z.looseObject({ execution: ExecutionSchema, offboarding: z.looseObject({ tenantId: z.string(), force: z.boolean(), plan: PlanSchema }) });

async function handle(event: unknown): Promise<{ clusters: ClusterUse[]; forced: boolean }> {
  const { execution, offboarding } = parseState(Input, event, 'check-tenant-in-use');
  const clusters = await clustersUsingTenant(offboarding.plan);
  if (clusters.length > 0 && !offboarding.force) {
    throw new TenantInUseError(
      `tenant '${offboarding.tenantId}' is in use in Palette: ${clusters.map((c) => `cluster '${c.clusterName}' (${c.clusterUid}) uses ${c.uses}`).join('; ')}; ` +
        'nothing was changed: remove the clusters (or their backup configuration) first, or offboard with force',
    );
  }
  if (clusters.length > 0) logger.warn('Offboarding forced while clusters use the tenant', { executionName: execution.name, tenantId: offboarding.tenantId, clusters });
  return { clusters, forced: clusters.length > 0 };
}

export const handler = withDeadline(handle);
