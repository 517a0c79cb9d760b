/**
 * The declared tenants' custom resource (`Custom::PaletteDeclaredTenants`, CDK Provider framework with asynchronous
 * completion; README "Declared tenants"). onEvent starts, per CloudFormation request, the onboarding of every new or
 * changed tenant and the offboarding of every removed one; isComplete recomputes the same executions from the event
 * (the names are deterministic per RequestId, so nothing travels in Data, whose size CloudFormation limits) and
 * describes them until all are closed. One that did not succeed fails the deployment with the tenant's error and
 * cause. Delete starts nothing: tenants outlive the stack.
 */
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import {
  DECLARED_TENANTS_PHYSICAL_ID,
  declaredTenantExecutions,
  declaredTenantsFailureMessage,
  DeclaredTenantsPropertiesSchema,
  nothingToOffboard,
  type DeclaredTenantExecution,
  type DeclaredTenantOutcome,
  type DeclaredTenantsRequest,
} from '../../domain/declared-tenants';
import { awsCall, ConfigurationError, isRetryableError } from '../../shared/errors';
import { logger } from '../../shared/logger';

let sfn: SFNClient | undefined;
const client = () => (sfn ??= new SFNClient({ region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1' }));

/** StartExecution / DescribeExecution calls in flight at once (Step Functions' API rate limits are per account). */
const CONCURRENCY = 5;

export const DeclaredTenantsEventSchema = z.looseObject({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  RequestId: z.string().min(1),
  PhysicalResourceId: z.string().optional(),
  ResourceProperties: z.unknown(),
  OldResourceProperties: z.unknown().optional(),
});
export type DeclaredTenantsEvent = z.infer<typeof DeclaredTenantsEventSchema>;

export interface OnEventResult {
  PhysicalResourceId: string;
  /** Counts only (CloudFormation's response is at most 4 KiB; the Provider framework merges this into it). */
  Data: { Onboarding: string; Offboarding: string };
}

export type IsCompleteResult = { IsComplete: false } | { IsComplete: true; Data: { Onboarded: string; Offboarded: string } };

function properties(value: unknown, field: string) {
  const parsed = DeclaredTenantsPropertiesSchema.safeParse(value);
  if (!parsed.success) {
    throw new ConfigurationError(`Custom resource ${field}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** The executions of this CloudFormation request (none for Delete). */
function executionsOf(event: DeclaredTenantsEvent): DeclaredTenantExecution[] {
  if (event.RequestType === 'Delete') return [];
  const req: DeclaredTenantsRequest = {
    RequestType: event.RequestType,
    RequestId: event.RequestId,
    properties: properties(event.ResourceProperties, 'ResourceProperties'),
    oldProperties: event.RequestType === 'Update' ? properties(event.OldResourceProperties, 'OldResourceProperties') : undefined,
  };
  return declaredTenantExecutions(req);
}

/** Runs `fn` over `items`, at most CONCURRENCY at a time; results in order. */
async function inBatches<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += CONCURRENCY) out.push(...(await Promise.all(items.slice(i, i + CONCURRENCY).map(fn))));
  return out;
}

const count = (executions: readonly DeclaredTenantExecution[], w: DeclaredTenantExecution['workflow']) => String(executions.filter((x) => x.workflow === w).length);

const isAlreadyExists = (e: unknown) => e instanceof Error && e.name === 'ExecutionAlreadyExists';

export async function startDeclaredTenants(event: DeclaredTenantsEvent): Promise<OnEventResult> {
  const physicalId = event.PhysicalResourceId ?? DECLARED_TENANTS_PHYSICAL_ID;
  if (event.RequestType === 'Delete') {
    logger.info('Stack delete: declared tenants stay onboarded (empty the folder and deploy first to offboard them)');
    return { PhysicalResourceId: physicalId, Data: { Onboarding: '0', Offboarding: '0' } };
  }
  const executions = executionsOf(event);
  await inBatches(executions, async (x) => {
    try {
      await awsCall(() => client().send(new StartExecutionCommand({ stateMachineArn: x.stateMachineArn, name: x.name, input: x.input })));
      logger.info('Started', { tenantId: x.tenantId, workflow: x.workflow, executionName: x.name });
    } catch (e) {
      // The name is this request's: a retried onEvent (or an execution of it that already ended) started it before.
      if (!isAlreadyExists(e)) throw e;
      logger.info('Already started by this request', { tenantId: x.tenantId, workflow: x.workflow, executionName: x.name });
    }
  });
  logger.info('Declared tenants: executions started', { requestType: event.RequestType, onboarding: count(executions, 'onboarding'), offboarding: count(executions, 'offboarding') });
  return { PhysicalResourceId: physicalId, Data: { Onboarding: count(executions, 'onboarding'), Offboarding: count(executions, 'offboarding') } };
}

export async function declaredTenantsStatus(event: DeclaredTenantsEvent): Promise<IsCompleteResult> {
  if (event.RequestType === 'Delete') return { IsComplete: true, Data: { Onboarded: '0', Offboarded: '0' } };
  const executions = executionsOf(event);
  const outcomes = await inBatches(executions, async (execution): Promise<DeclaredTenantOutcome> => {
    try {
      const out = await awsCall(() => client().send(new DescribeExecutionCommand({ executionArn: execution.executionArn })));
      return { execution, status: out.status ?? 'UNKNOWN', error: out.error, cause: out.cause };
    } catch (e) {
      // Throttled or a 5xx after the SDK's retries: not an outcome; the next poll asks again.
      if (!isRetryableError(e)) throw e;
      logger.warn('Could not describe the execution now; asking again at the next poll', { tenantId: execution.tenantId, errorName: e instanceof Error ? e.name : typeof e });
      return { execution, status: 'RUNNING' };
    }
  });
  const running = outcomes.filter((o) => o.status === 'RUNNING' || o.status === 'PENDING_REDRIVE');
  logger.info(`Declared tenants: ${executions.length - running.length} of ${executions.length} executions done`, {
    running: running.map((o) => `${o.execution.workflow} ${o.execution.tenantId}`),
  });
  if (running.length > 0) return { IsComplete: false };
  for (const o of outcomes.filter(nothingToOffboard)) {
    logger.info('Nothing to offboard: the registry has no such tenant', { tenantId: o.execution.tenantId, executionName: o.execution.name });
  }
  const failed = outcomes.filter((o) => o.status !== 'SUCCEEDED' && !nothingToOffboard(o));
  if (failed.length > 0) throw new Error(declaredTenantsFailureMessage(failed, outcomes.length));
  return { IsComplete: true, Data: { Onboarded: count(executions, 'onboarding'), Offboarded: count(executions, 'offboarding') } };
}
