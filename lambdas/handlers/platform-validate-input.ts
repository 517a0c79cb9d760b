/** PlatformSetup ValidateInput: the input is checked field by field and turned into the plan; nothing is created. */
import * as z from 'zod';
import { buildPlatformPlan, partitionOfRegion, type PlatformPlan, type PlatformSetupRequest } from '../domain/platform';
import { ExecutionSchema } from '../domain/workflow-state';
import { withDeadline } from '../shared/deadline';
import { parseState } from '../shared/handler';
import { logger } from '../shared/logger';
import { loadPlatformEnv } from '../services/platform/env';

const Input = z.looseObject({ raw: z.unknown(), execution: ExecutionSchema });

async function handle(event: unknown): Promise<{ request: PlatformSetupRequest; plan: PlatformPlan }> {
  const { raw, execution } = parseState(Input, event, 'platform-validate-input');
  const env = loadPlatformEnv();
  const job = buildPlatformPlan(raw, {
    homeAccountId: env.HOME_ACCOUNT_ID,
    homePartition: partitionOfRegion(process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1'),
    executionName: execution.name,
    systemSecretId: env.PALETTE_SYSTEM_SECRET_ARN,
    reverseProxySecretId: env.PALETTE_REVERSE_PROXY_SECRET_ARN,
    assumableRolePatterns: env.PALETTE_STS_ASSUMABLE_ROLE_PATTERNS,
  });
  logger.info('Platform setup input is valid', {
    executionName: execution.name,
    partition: job.plan.partition,
    rotateAccessKey: job.plan.rotateAccessKey,
    configureReverseProxy: job.plan.configureReverseProxy,
    takeOver: job.plan.takeOver,
    assumeRolePatterns: job.plan.assumeRolePatterns,
  });
  return job;
}

export const handler = withDeadline(handle);
