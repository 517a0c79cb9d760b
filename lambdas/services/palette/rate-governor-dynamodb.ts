/**
 * The shared rate schedule in DynamoDB (rate-governor.ts RateSlotStore): one item per Palette rate-limit prefix,
 * `{pk: "/v1/cloudaccounts", tat: <epoch ms>}`, changed only by conditional UpdateItem (no transactions, no reads), so
 * concurrent containers never lose a reservation. The table (cdk/lib/constructs/palette-rate-table.ts) is named by
 * PALETTE_RATE_TABLE; the functions that call Palette may UpdateItem it, nothing else.
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RATE_TABLE_KEY, type RateSlotStore } from './rate-governor';

const isConditionFailure = (e: unknown) => e instanceof Error && e.name === 'ConditionalCheckFailedException';

export class DynamoDbRateSlotStore implements RateSlotStore {
  constructor(
    private readonly db: Pick<DynamoDBDocumentClient, 'send'>,
    private readonly tableName: string,
  ) {}

  async advance(prefix: string, intervalMs: number, minTat: number, maxTat: number): Promise<number | undefined> {
    return this.update(prefix, {
      UpdateExpression: 'SET tat = tat + :interval',
      ConditionExpression: 'tat BETWEEN :min AND :max',
      ExpressionAttributeValues: { ':interval': intervalMs, ':min': minTat, ':max': maxTat },
    });
  }

  async restart(prefix: string, before: number, next: number): Promise<number | undefined> {
    return this.update(prefix, {
      UpdateExpression: 'SET tat = :next',
      ConditionExpression: 'attribute_not_exists(tat) OR tat < :before',
      ExpressionAttributeValues: { ':next': next, ':before': before },
    });
  }

  async delay(prefix: string, ms: number): Promise<void> {
    await this.update(prefix, {
      UpdateExpression: 'SET tat = tat + :late',
      ConditionExpression: 'attribute_exists(tat)',
      ExpressionAttributeValues: { ':late': ms },
    });
  }

  private async update(
    prefix: string,
    expression: { UpdateExpression: string; ConditionExpression: string; ExpressionAttributeValues: Record<string, number> },
  ): Promise<number | undefined> {
    try {
      const out = await this.db.send(
        new UpdateCommand({ TableName: this.tableName, Key: { [RATE_TABLE_KEY]: prefix }, ReturnValues: 'UPDATED_NEW', ...expression }),
      );
      const tat: unknown = out.Attributes?.tat;
      if (typeof tat !== 'number') throw new TypeError(`rate table ${this.tableName}: item ${prefix} has no numeric tat after the update`);
      return tat;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }
}
