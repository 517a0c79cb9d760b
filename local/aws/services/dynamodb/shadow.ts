/**
 * The synchronous shadow of every dynalite engine: table definitions and item contents per
 * (account, region), kept exact by the service (it is updated only from read-backs of dynalite after
 * a successful write), so that inventory() and snapshot() — both synchronous — never need to ask
 * dynalite anything. It is also what the state file stores and what restore() re-creates.
 */
import { createRequire } from 'node:module';
import type { JsonObject } from './engine';

/** A DynamoDB AttributeValue in its wire form, e.g. {"S": "x"}. */
export type AttributeValue = Record<string, unknown>;
export type Item = Record<string, AttributeValue>;

export interface Tag {
  Key: string;
  Value: string;
}

interface KeySchemaElement {
  AttributeName: string;
  KeyType: 'HASH' | 'RANGE';
}

/** What CreateTable needs to re-create a table (the state file's table definition). */
export interface TableDefinition {
  TableName: string;
  KeySchema: KeySchemaElement[];
  AttributeDefinitions: Array<{ AttributeName: string; AttributeType: string }>;
  BillingMode: 'PAY_PER_REQUEST' | 'PROVISIONED';
  ProvisionedThroughput?: { ReadCapacityUnits: number; WriteCapacityUnits: number };
  GlobalSecondaryIndexes?: JsonObject[];
  LocalSecondaryIndexes?: JsonObject[];
}

export interface TableState {
  definition: TableDefinition;
  tags: Tag[];
  /** Emulated UpdateContinuousBackups (a flag and its date; no backups are taken). */
  pointInTimeRecovery?: { enabledAt: number; recoveryPeriodInDays: number };
  /** Emulated UpdateTimeToLive (recorded; items never expire). */
  timeToLive?: { attributeName: string };
  /** Canonical key JSON -> item as dynalite returns it. */
  items: Map<string, Item>;
}

/** State file format of the dynamodb service. */
export interface DynamoDbSnapshot {
  version: 1;
  scopes: Array<{
    accountId: string;
    region: string;
    tables: Array<Omit<TableState, 'items'> & { items: Item[] }>;
  }>;
}

// dynalite stores numbers as big.js's toFixed() of what was sent ("1.50" -> "1.5", "1e2" -> "100");
// key numbers are canonicalised with the very same library so a key sent as "1.0" finds the item
// stored as "1".
const requireFromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
const Big = requireFromDynalite('big.js') as (n: string) => { toFixed(): string };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function keyNames(def: TableDefinition): string[] {
  const hash = def.KeySchema.find((k) => k.KeyType === 'HASH')?.AttributeName;
  const range = def.KeySchema.find((k) => k.KeyType === 'RANGE')?.AttributeName;
  return [hash, range].filter((n): n is string => n !== undefined).sort();
}

function canonicalKeyValue(v: unknown): AttributeValue | undefined {
  if (!isObject(v)) return undefined;
  if (typeof v.S === 'string') return { S: v.S };
  if (typeof v.B === 'string') return { B: Buffer.from(v.B, 'base64').toString('base64') };
  if (typeof v.N === 'string') {
    try {
      return { N: Big(v.N).toFixed() };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The key attributes of `source` (an item or a key) with canonical values, or undefined when one is
 * missing or not a key type (dynalite would have refused the request).
 */
export function keyOf(def: TableDefinition, source: unknown): Item | undefined {
  if (!isObject(source)) return undefined;
  const key: Item = {};
  for (const name of keyNames(def)) {
    const value = canonicalKeyValue(source[name]);
    if (value === undefined) return undefined;
    key[name] = value;
  }
  return key;
}

/** Canonical JSON of a key built by keyOf (attribute names sorted, one type member each). */
export function keyId(key: Item): string {
  return JSON.stringify(Object.fromEntries(Object.keys(key).sort().map((k) => [k, key[k]])));
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function throughput(v: unknown): { ReadCapacityUnits: number; WriteCapacityUnits: number } {
  const o = isObject(v) ? v : {};
  return { ReadCapacityUnits: num(o.ReadCapacityUnits), WriteCapacityUnits: num(o.WriteCapacityUnits) };
}

/** Definition (CreateTable input) from a DescribeTable `Table`. */
export function definitionFromDescription(table: JsonObject): TableDefinition {
  const billingSummary = isObject(table.BillingModeSummary) ? table.BillingModeSummary : {};
  const billing = billingSummary.BillingMode === 'PAY_PER_REQUEST' ? 'PAY_PER_REQUEST' : 'PROVISIONED';
  const def: TableDefinition = {
    TableName: String(table.TableName),
    KeySchema: structuredClone(table.KeySchema) as KeySchemaElement[],
    AttributeDefinitions: structuredClone(table.AttributeDefinitions) as TableDefinition['AttributeDefinitions'],
    BillingMode: billing,
  };
  if (billing === 'PROVISIONED') def.ProvisionedThroughput = throughput(table.ProvisionedThroughput);
  const gsis = Array.isArray(table.GlobalSecondaryIndexes) ? table.GlobalSecondaryIndexes.filter(isObject) : [];
  if (gsis.length > 0) {
    def.GlobalSecondaryIndexes = gsis.map((g) => ({
      IndexName: g.IndexName,
      KeySchema: structuredClone(g.KeySchema),
      Projection: structuredClone(g.Projection),
      ...(billing === 'PROVISIONED' ? { ProvisionedThroughput: throughput(g.ProvisionedThroughput) } : {}),
    }));
  }
  const lsis = Array.isArray(table.LocalSecondaryIndexes) ? table.LocalSecondaryIndexes.filter(isObject) : [];
  if (lsis.length > 0) {
    def.LocalSecondaryIndexes = lsis.map((l) => ({
      IndexName: l.IndexName,
      KeySchema: structuredClone(l.KeySchema),
      Projection: structuredClone(l.Projection),
    }));
  }
  return def;
}

/** Per (account, region) tables. */
export class Shadow {
  private readonly scopes = new Map<string, Map<string, TableState>>();

  private static id(accountId: string, region: string): string {
    return `${accountId}/${region}`;
  }

  tables(accountId: string, region: string): Map<string, TableState> {
    const id = Shadow.id(accountId, region);
    let tables = this.scopes.get(id);
    if (!tables) {
      tables = new Map();
      this.scopes.set(id, tables);
    }
    return tables;
  }

  table(accountId: string, region: string, name: string): TableState | undefined {
    return this.scopes.get(Shadow.id(accountId, region))?.get(name);
  }

  inventory(accountId: string): { dynamodbTables: string[]; dynamodbItems: string[] } {
    const dynamodbTables: string[] = [];
    const dynamodbItems: string[] = [];
    for (const [id, tables] of this.scopes) {
      const slash = id.indexOf('/');
      if (id.slice(0, slash) !== accountId) continue;
      const region = id.slice(slash + 1);
      for (const [name, t] of tables) {
        dynamodbTables.push(`${region}/${name}`);
        for (const key of t.items.keys()) dynamodbItems.push(`${region}/${name}/${key}`);
      }
    }
    return { dynamodbTables: dynamodbTables.sort(), dynamodbItems: dynamodbItems.sort() };
  }

  snapshot(): DynamoDbSnapshot {
    const scopes: DynamoDbSnapshot['scopes'] = [];
    for (const [id, tables] of this.scopes) {
      if (tables.size === 0) continue;
      const slash = id.indexOf('/');
      scopes.push({
        accountId: id.slice(0, slash),
        region: id.slice(slash + 1),
        tables: [...tables.values()].map((t) => ({
          definition: structuredClone(t.definition),
          tags: t.tags.map((tag) => ({ ...tag })),
          ...(t.pointInTimeRecovery ? { pointInTimeRecovery: { ...t.pointInTimeRecovery } } : {}),
          ...(t.timeToLive ? { timeToLive: { ...t.timeToLive } } : {}),
          items: [...t.items.values()].map((i) => structuredClone(i)),
        })),
      });
    }
    return { version: 1, scopes };
  }

  /** Replaces everything with a snapshot; returns the scopes to re-create in dynalite. */
  restore(data: unknown): DynamoDbSnapshot['scopes'] {
    this.scopes.clear();
    if (!isObject(data) || data.version !== 1 || !Array.isArray(data.scopes)) {
      if (data === undefined || data === null) return [];
      throw new Error('dynamodb state has an unknown format');
    }
    const snap = data as unknown as DynamoDbSnapshot;
    for (const scope of snap.scopes) {
      const tables = this.tables(scope.accountId, scope.region);
      for (const t of scope.tables) {
        const items = new Map<string, Item>();
        for (const item of t.items) {
          const key = keyOf(t.definition, item);
          if (key) items.set(keyId(key), structuredClone(item));
        }
        tables.set(t.definition.TableName, {
          definition: structuredClone(t.definition),
          tags: t.tags.map((tag) => ({ ...tag })),
          ...(t.pointInTimeRecovery ? { pointInTimeRecovery: { ...t.pointInTimeRecovery } } : {}),
          ...(t.timeToLive ? { timeToLive: { ...t.timeToLive } } : {}),
          items,
        });
      }
    }
    return snap.scopes;
  }
}
