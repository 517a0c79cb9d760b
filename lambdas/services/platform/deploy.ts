/**
 * The deploy-time run (custom resource, CDK Provider framework with async completion): onEvent starts a
 * PlatformSetup execution, isComplete polls it. A failed execution fails the deployment with its error and
 * cause. Delete does nothing: the STS principal and Palette's system settings outlive the stack (removing them
 * would break STS for every tenant), see docs/platform-setup.md.
 */
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { awsCall, ConfigurationError } from '../../shared/errors';
import { logger } from '../../shared/logger';

let sfn: SFNClient | undefined;
const client = () => (sfn ??= new SFNClient({ region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1' }));

/** Properties of the custom resource (CloudFormation passes every value as a string). */
export const DeployPropertiesSchema = z.looseObject({
  StateMachineArn: z.string().regex(/^arn:[\w-]+:states:[\w-]+:\d{12}:stateMachine:[\w-]+$/, 'must be a state machine ARN'),
  /** The execution input, as JSON text. */
  Input: z.string().default('{}'),
});

export const DeployEventSchema = z.looseObject({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  RequestId: z.string().min(1),
  LogicalResourceId: z.string().default('PlatformSetupRun'),
  PhysicalResourceId: z.string().optional(),
  ResourceProperties: z.unknown(),
  Data: z.record(z.string(), z.unknown()).optional(),
});
export type DeployEvent = z.infer<typeof DeployEventSchema>;

export const PHYSICAL_RESOURCE_ID = 'palette-platform-setup';

/** Execution name for a CloudFormation request: stable per request, so a retried onEvent does not start twice. */
export function deployExecutionName(requestType: string, requestId: string): string {
  return `deploy-${requestType.toLowerCase()}-${requestId}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80);
}

export interface OnEventResult {
  PhysicalResourceId: string;
  Data?: { ExecutionArn: string };
}

export async function startDeployRun(event: DeployEvent): Promise<OnEventResult> {
  const physicalId = event.PhysicalResourceId ?? PHYSICAL_RESOURCE_ID;
  if (event.RequestType === 'Delete') {
    logger.info('Stack delete: platform setup leaves the STS principal and Palette settings in place');
    return { PhysicalResourceId: physicalId };
  }
  const props = DeployPropertiesSchema.safeParse(event.ResourceProperties);
  if (!props.success) {
    throw new ConfigurationError(`Custom resource properties: ${props.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  try {
    JSON.parse(props.data.Input);
  } catch {
    throw new ConfigurationError('Custom resource property Input is not JSON');
  }
  const name = deployExecutionName(event.RequestType, event.RequestId);
  // StartExecution of a Standard state machine is idempotent for the same name and input.
  const out = await awsCall(() =>
    client().send(new StartExecutionCommand({ stateMachineArn: props.data.StateMachineArn, name, input: props.data.Input })),
  );
  if (!out.executionArn) throw new Error('StartExecution returned no executionArn');
  logger.info('Started the platform setup for the deployment', { executionArn: out.executionArn });
  return { PhysicalResourceId: physicalId, Data: { ExecutionArn: out.executionArn } };
}

export type IsCompleteResult = { IsComplete: false } | { IsComplete: true; Data?: Record<string, string> };

/** Flat string attributes of the execution's summary (Fn::GetAtt-able); identifiers only. */
function outputData(output: string | undefined): Record<string, string> {
  let summary: unknown;
  try {
    summary = JSON.parse(output ?? '{}');
  } catch {
    return {};
  }
  const s = z
    .looseObject({
      stsAccountStatus: z.string().optional(),
      accountId: z.string().optional(),
      userArn: z.string().optional(),
      accessKeyId: z.string().optional(),
      accessKeySecretArn: z.string().optional(),
    })
    .safeParse(summary);
  if (!s.success) return {};
  return Object.fromEntries(
    Object.entries({
      // 'registered', or 'left-alone' (Palette's STS account is not this deployment's; config platformStsTakeOver).
      StsAccountStatus: s.data.stsAccountStatus,
      StsAccountId: s.data.accountId,
      StsPrincipalArn: s.data.userArn,
      StsAccessKeyId: s.data.accessKeyId,
      StsAccessKeySecretArn: s.data.accessKeySecretArn,
    }).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

export async function deployRunStatus(event: DeployEvent): Promise<IsCompleteResult> {
  if (event.RequestType === 'Delete') return { IsComplete: true };
  const executionArn = event.Data?.ExecutionArn;
  if (typeof executionArn !== 'string') throw new ConfigurationError('isComplete event has no Data.ExecutionArn from onEvent');
  const out = await awsCall(() => client().send(new DescribeExecutionCommand({ executionArn })));
  switch (out.status) {
    case 'SUCCEEDED': {
      const data = outputData(out.output);
      if (data.StsAccountStatus === 'left-alone') {
        logger.warn(
          "Platform setup left Palette's system STS account alone: it is not this deployment's (set platformStsTakeOver, or run `palette-onboard platform-setup --take-over`, to replace it)",
          { executionArn },
        );
      }
      return { IsComplete: true, Data: { ExecutionArn: executionArn, ...data } };
    }
    case 'RUNNING':
    case 'PENDING_REDRIVE':
      return { IsComplete: false };
    default:
      throw new Error(
        `Platform setup execution ${out.name ?? executionArn} ended ${out.status ?? 'UNKNOWN'}: ${out.error ?? 'no error'}: ${out.cause ?? 'no cause'}`,
      );
  }
}
