/**
 * The tenant registry of a sandbox, for the CLI's read-only commands (`palette-onboard list --local`,
 * `status --local <tenantId>`, local/bin/tenants.ts): the table's physical name as the runner creates it from the
 * synthesized template (tables.ts), and a DynamoDB document client on the sandbox's home account.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { REGISTRY_TABLE_OUTPUT, type Registry } from '../../cli/tenants';
import type { LocalWorkflow } from './runner';
import type { SandboxEndpoints } from './sandbox';
import { templateTables } from './tables';
import { resolveValue, TemplateError, type DeploymentTarget } from './template';

/**
 * The registry table's name in the sandbox: the stack output TenantRegistryTableName resolved as CloudFormation
 * would (what the deployed CLI reads), which must be one of the tables the runner creates (templateTables).
 */
export function sandboxRegistryTableName(workflow: LocalWorkflow, sb: SandboxEndpoints): string {
  const stacks = workflow.assembly.stacks.filter((st) => st.template.Outputs?.[REGISTRY_TABLE_OUTPUT] !== undefined);
  const stack = stacks[0];
  if (!stack || stacks.length > 1) {
    throw new TemplateError(`expected one stack with the output ${REGISTRY_TABLE_OUTPUT}, found ${stacks.length} (${workflow.assembly.directory})`);
  }
  const target: DeploymentTarget = { stackName: stack.stackName, partition: 'aws', region: sb.aws.region, accountId: sb.aws.accountId };
  const name = resolveValue(stack.template.Outputs?.[REGISTRY_TABLE_OUTPUT]?.Value, stack.template, target);
  const tables = templateTables(stack.template, target).map((t) => t.input.TableName);
  if (typeof name !== 'string' || !tables.includes(name)) {
    throw new TemplateError(`the output ${REGISTRY_TABLE_OUTPUT} (${JSON.stringify(name)}) names none of the template's tables (${tables.join(', ')})`);
  }
  return name;
}

/**
 * The sandbox's registry for cli/tenants.ts. A table that does not exist yet reads as empty: the runner creates it
 * before the first run on the sandbox. `destroy` closes the client.
 */
export function sandboxRegistry(workflow: LocalWorkflow, sb: SandboxEndpoints): Registry & { destroy(): void } {
  const client = new DynamoDBClient({
    endpoint: sb.aws.endpoint,
    region: sb.aws.region,
    credentials: { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey },
  });
  return {
    doc: DynamoDBDocumentClient.from(client),
    table: sandboxRegistryTableName(workflow, sb),
    missingIsEmpty: true,
    destroy: () => client.destroy(),
  };
}
