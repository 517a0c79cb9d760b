/**
 * The app's DynamoDB tables in the sandbox (the tenant registry): what CloudFormation would create at deploy time,
 * created from the synthesized template's `AWS::DynamoDB::Table` resources in the sandbox's home account before a
 * run. Idempotent: an existing table is left as it is (its items are the registry's state between runs).
 */
import { CreateTableCommand, DynamoDBClient, ResourceInUseException, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type { SandboxEndpoints } from './sandbox';
import { physicalName, resolveValue, type CfnTemplate, type DeploymentTarget } from './template';

/** Names of the tables the template defines, as the local deployment names them. */
export function templateTables(template: CfnTemplate, target: DeploymentTarget): { logicalId: string; input: CreateTableCommandInput }[] {
  const out: { logicalId: string; input: CreateTableCommandInput }[] = [];
  for (const [logicalId, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::DynamoDB::Table') continue;
    const p = (resolveValue(r.Properties ?? {}, template, target) ?? {}) as Record<string, unknown>;
    out.push({
      logicalId,
      input: {
        TableName: physicalName(template, logicalId, target),
        KeySchema: p.KeySchema as CreateTableCommandInput['KeySchema'],
        AttributeDefinitions: p.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
        BillingMode: (p.BillingMode as CreateTableCommandInput['BillingMode']) ?? 'PAY_PER_REQUEST',
        ...(p.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes'] } : {}),
        ...(p.ProvisionedThroughput ? { ProvisionedThroughput: p.ProvisionedThroughput as CreateTableCommandInput['ProvisionedThroughput'] } : {}),
      },
    });
  }
  return out;
}

/** Creates every table of the template in the sandbox (home account) that does not exist yet. */
export async function ensureSandboxTables(sb: SandboxEndpoints, template: CfnTemplate, target: DeploymentTarget): Promise<string[]> {
  const tables = templateTables(template, target);
  if (tables.length === 0) return [];
  const client = new DynamoDBClient({
    endpoint: sb.aws.endpoint,
    region: sb.aws.region,
    credentials: { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey },
  });
  try {
    for (const { input } of tables) {
      try {
        await client.send(new CreateTableCommand(input));
      } catch (e) {
        if (!(e instanceof ResourceInUseException)) throw e;
      }
    }
  } finally {
    client.destroy();
  }
  return tables.map((t) => t.input.TableName ?? '');
}
