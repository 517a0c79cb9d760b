/**
 * Execution names of child executions (`states:startExecution.sync:2`) kept in the sandbox, so that Step Functions'
 * name rules hold across runs AND processes (a `palette-onboard start --many --local` run, then another one): a
 * DynamoDB table of the sandbox's home account (`local-runner-executions`, the runner's own bookkeeping, not part of
 * the app), one item per execution ARN, claimed with a conditional write.
 *
 * - a new name: claimed (RUNNING) and run; its outcome is recorded when it closes;
 * - the same name, closed, or open with another input: `ExecutionAlreadyExists`;
 * - the same name, open, with the same input (another run started it and is still running it): Step Functions answers
 *   the same execution, and `.sync` waits for it: this waits until the record closes.
 */
import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, CreateTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SandboxEndpoints } from './sandbox';

export const EXECUTIONS_TABLE = 'local-runner-executions';

export interface ExecutionRecord {
  executionArn: string;
  name: string;
  stateMachineArn: string;
  inputHash: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  startDate: string;
  stopDate?: string;
  /** JSON text */
  output?: string;
  error?: string;
  cause?: string;
}

export const inputHash = (input: unknown): string => createHash('sha256').update(JSON.stringify(input ?? null)).digest('hex');

export class ExecutionNames {
  private readonly client: DynamoDBClient;
  private readonly doc: DynamoDBDocumentClient;
  private ready: Promise<void> | undefined;

  constructor(sb: SandboxEndpoints) {
    this.client = new DynamoDBClient({
      endpoint: sb.aws.endpoint,
      region: sb.aws.region,
      credentials: { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey },
    });
    this.doc = DynamoDBDocumentClient.from(this.client, { marshallOptions: { removeUndefinedValues: true } });
  }

  private ensureTable(): Promise<void> {
    this.ready ??= (async () => {
      try {
        await this.client.send(
          new CreateTableCommand({
            TableName: EXECUTIONS_TABLE,
            KeySchema: [{ AttributeName: 'executionArn', KeyType: 'HASH' }],
            AttributeDefinitions: [{ AttributeName: 'executionArn', AttributeType: 'S' }],
            BillingMode: 'PAY_PER_REQUEST',
          }),
        );
      } catch (e) {
        if (!(e instanceof ResourceInUseException)) throw e;
      }
    })();
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }

  /** Claims the name (true), or answers the existing record. */
  async claim(record: ExecutionRecord): Promise<{ claimed: true } | { claimed: false; existing: ExecutionRecord }> {
    await this.ensureTable();
    try {
      await this.doc.send(new PutCommand({ TableName: EXECUTIONS_TABLE, Item: record, ConditionExpression: 'attribute_not_exists(executionArn)' }));
      return { claimed: true };
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
    }
    const existing = await this.get(record.executionArn);
    if (!existing) return this.claim(record);
    return { claimed: false, existing };
  }

  async get(executionArn: string): Promise<ExecutionRecord | undefined> {
    await this.ensureTable();
    const got = await this.doc.send(new GetCommand({ TableName: EXECUTIONS_TABLE, Key: { executionArn }, ConsistentRead: true }));
    return got.Item as ExecutionRecord | undefined;
  }

  async close(executionArn: string, outcome: Pick<ExecutionRecord, 'status' | 'output' | 'error' | 'cause'>): Promise<void> {
    const values: Record<string, unknown> = { ':s': outcome.status, ':t': new Date().toISOString() };
    const names: Record<string, string> = { '#s': 'status', '#t': 'stopDate' };
    const sets = ['#s = :s', '#t = :t'];
    for (const k of ['output', 'error', 'cause'] as const) {
      const v = outcome[k];
      if (v !== undefined) {
        values[`:${k}`] = k === 'output' && v.length > 300_000 ? JSON.stringify({ truncated: true }) : v;
        sets.push(`#${k} = :${k}`);
        names[`#${k}`] = k;
      }
    }
    await this.doc.send(
      new UpdateCommand({
        TableName: EXECUTIONS_TABLE,
        Key: { executionArn },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  /** Waits until another run closes the execution (polling), at most `timeoutMs`. */
  async waitClosed(executionArn: string, timeoutMs: number, pollMs = 500): Promise<ExecutionRecord | undefined> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.get(executionArn);
      if (!r || r.status !== 'RUNNING' || Date.now() >= until) return r;
      await new Promise((res) => setTimeout(res, pollMs));
    }
  }

  destroy(): void {
    this.client.destroy();
  }
}
