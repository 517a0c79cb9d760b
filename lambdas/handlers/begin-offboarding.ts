/** BeginOffboarding: the tenant's lease for this execution (one execution per tenant) and status OFFBOARDING. */
import * as z from 'zod';
import { ExecutionSchema } from '../domain/workflow-state';
import { withDeadline } from '../shared/deadline';
import { parseState } from '../shared/handler';
import { logger } from '../shared/logger';
import { beginOffboarding } from '../services/registry/offboarding';

const Input = z.looseObject({ execution: ExecutionSchema, offboarding: z.looseObject({ tenantId: z.string() }) });

async function handle(event: unknown): Promise<{ status: string }> {
  const { execution, offboarding } = parseState(Input, event, 'begin-offboarding');
  const result = await beginOffboarding(offboarding.tenantId, execution.name);
  logger.info('Offboarding began', { executionName: execution.name, tenantId: offboarding.tenantId });
  return result;
}

export const handler = withDeadline(handle);
