/**
 * DynamoDB through the real SDK clients (@aws-sdk/client-dynamodb, @aws-sdk/lib-dynamodb) against a
 * running sandbox: dynalite behind the sandbox's SigV4 and IAM front door, per account and region,
 * with realism faults, the inventory and the state file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  DynamoDBServiceException,
  GetItemCommand,
  ListTablesCommand,
  ListTagsOfResourceCommand,
  PutItemCommand,
  TagResourceCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox, SandboxOptions } from '../../local/aws/core/types';
import { allowPolicy, iamClient, keysOf, start, stsClient, trustPolicy, type Keys } from './core-fixtures';

const MEMBER_A = '111111111111';
const MEMBER_B = '222222222222';

function ddb(sb: RunningSandbox, keys: Keys = keysOf(sb), region = sb.region, maxAttempts = 1): DynamoDBClient {
  return new DynamoDBClient({ endpoint: sb.endpoint, region, credentials: keys, maxAttempts });
}

function docOf(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client);
}

function tableInput(name: string, extra: Partial<CreateTableCommandInput> & { sortKey?: 'S' | 'N' } = {}): CreateTableCommandInput {
  const { sortKey, ...rest } = extra;
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, ...(sortKey ? [{ AttributeName: 'sk', KeyType: 'RANGE' as const }] : [])],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, ...(sortKey ? [{ AttributeName: 'sk', AttributeType: sortKey }] : [])],
    ...rest,
  };
}

/** Awaits a rejection from a DynamoDB client and checks the parsed error name and HTTP status. */
async function rejects(p: Promise<unknown>, name: string, status = 400, message?: string | RegExp): Promise<DynamoDBServiceException> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  if (!(caught instanceof DynamoDBServiceException)) throw new Error(`expected ${name}, got ${caught === undefined ? 'success' : String(caught)}`);
  expect(caught.name).toBe(name);
  expect(caught.$metadata.httpStatusCode).toBe(status);
  if (typeof message === 'string') expect(caught.message).toBe(message);
  else if (message) expect(caught.message).toMatch(message);
  return caught;
}

function sessionKeys(out: { Credentials?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string } }): Keys {
  return {
    accessKeyId: out.Credentials?.AccessKeyId ?? '',
    secretAccessKey: out.Credentials?.SecretAccessKey ?? '',
    sessionToken: out.Credentials?.SessionToken ?? '',
  };
}

/** Credentials of the member account's OrganizationAccountAccessRole, assumed from the management account. */
async function memberAdmin(sb: RunningSandbox, accountId: string): Promise<Keys> {
  sb.createAccount(accountId);
  const sts = stsClient(sb);
  try {
    const out = await sts.send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/OrganizationAccountAccessRole`, RoleSessionName: 'ddb-test' }),
    );
    return sessionKeys(out);
  } finally {
    sts.destroy();
  }
}

describe('DynamoDB via the SDK', () => {
  let sb: RunningSandbox;
  let client: DynamoDBClient;
  let doc: DynamoDBDocumentClient;

  beforeAll(async () => {
    sb = await start({ port: 0, realism: { iamPropagationMs: 0 } });
    client = ddb(sb);
    doc = docOf(client);
  });
  afterAll(async () => {
    client?.destroy();
    await sb?.stop();
  });

  it('creates a table that is ACTIVE at once, with its ARN in the caller account and region', async () => {
    // Prepare / Act
    const created = await client.send(new CreateTableCommand(tableInput('tenants')));
    const described = await client.send(new DescribeTableCommand({ TableName: 'tenants' }));

    // Assess
    expect(created.TableDescription?.TableArn).toBe(`arn:aws:dynamodb:${sb.region}:${sb.accountId}:table/tenants`);
    expect(described.Table).toMatchObject({
      TableName: 'tenants',
      TableStatus: 'ACTIVE',
      TableArn: `arn:aws:dynamodb:${sb.region}:${sb.accountId}:table/tenants`,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
    });
    const listed = await client.send(new ListTablesCommand({}));
    expect(listed.TableNames).toContain('tenants');
  });

  it('round-trips items through the document client; a second attribute_not_exists put fails', async () => {
    // Prepare
    await client.send(new CreateTableCommand(tableInput('docs')));
    const item = { pk: 'tenant#acme', name: 'Acme', n: 42, nested: { list: [1, 'two', true], empty: null }, tags: new Set(['a', 'b']) };

    // Act
    await doc.send(new PutCommand({ TableName: 'docs', Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
    const second = doc.send(
      new PutCommand({ TableName: 'docs', Item: { ...item, name: 'Other' }, ConditionExpression: 'attribute_not_exists(pk)' }),
    );

    // Assess
    const err = await rejects(second, 'ConditionalCheckFailedException', 400);
    expect(err.message).toMatch(/conditional request failed/i);
    const got = await doc.send(new GetCommand({ TableName: 'docs', Key: { pk: 'tenant#acme' } }));
    expect(got.Item).toEqual(item);
    const missing = await doc.send(new GetCommand({ TableName: 'docs', Key: { pk: 'nobody' } }));
    expect(missing.Item).toBeUndefined();
  });

  it('updates with SET/ADD under a version condition, upserts, and deletes with ReturnValues', async () => {
    // Prepare
    await client.send(new CreateTableCommand(tableInput('versions')));
    await doc.send(new PutCommand({ TableName: 'versions', Item: { pk: 'r1', status: 'ONBOARDING', version: 1 } }));
    const update = (expected: number) =>
      doc.send(
        new UpdateCommand({
          TableName: 'versions',
          Key: { pk: 'r1' },
          UpdateExpression: 'SET #a = :v ADD version :one',
          ConditionExpression: 'version = :expected',
          ExpressionAttributeNames: { '#a': 'status' },
          ExpressionAttributeValues: { ':v': 'ACTIVE', ':one': 1, ':expected': expected },
          ReturnValues: 'ALL_NEW',
        }),
      );

    // Act
    const updated = await update(1);
    const stale = update(1);

    // Assess
    expect(updated.Attributes).toEqual({ pk: 'r1', status: 'ACTIVE', version: 2 });
    await rejects(stale, 'ConditionalCheckFailedException');
    const upserted = await doc.send(
      new UpdateCommand({ TableName: 'versions', Key: { pk: 'r2' }, UpdateExpression: 'SET hits = :z', ExpressionAttributeValues: { ':z': 0 }, ReturnValues: 'UPDATED_NEW' }),
    );
    expect(upserted.Attributes).toEqual({ hits: 0 });
    await rejects(
      doc.send(new DeleteCommand({ TableName: 'versions', Key: { pk: 'r1' }, ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': 1 } })),
      'ConditionalCheckFailedException',
    );
    const deleted = await doc.send(new DeleteCommand({ TableName: 'versions', Key: { pk: 'r1' }, ReturnValues: 'ALL_OLD' }));
    expect(deleted.Attributes).toEqual({ pk: 'r1', status: 'ACTIVE', version: 2 });
    expect((await doc.send(new GetCommand({ TableName: 'versions', Key: { pk: 'r1' } }))).Item).toBeUndefined();
  });

  it('queries, scans, batch-writes and batch-gets', async () => {
    // Prepare
    await client.send(new CreateTableCommand(tableInput('events', { sortKey: 'N' })));
    const items = [1, 2, 3, 4, 5].map((i) => ({ pk: i <= 3 ? 'acme' : 'globex', sk: i, kind: i % 2 === 0 ? 'even' : 'odd' }));

    // Act
    const written = await doc.send(new BatchWriteCommand({ RequestItems: { events: items.map((Item) => ({ PutRequest: { Item } })) } }));
    const queried = await doc.send(
      new QueryCommand({ TableName: 'events', KeyConditionExpression: 'pk = :p AND sk >= :min', ExpressionAttributeValues: { ':p': 'acme', ':min': 2 } }),
    );
    const scanned = await doc.send(new ScanCommand({ TableName: 'events', FilterExpression: 'kind = :k', ExpressionAttributeValues: { ':k': 'even' } }));
    const batch = await doc.send(
      new BatchGetCommand({ RequestItems: { events: { Keys: [{ pk: 'acme', sk: 1 }, { pk: 'globex', sk: 5 }, { pk: 'nobody', sk: 9 }] } } }),
    );
    await doc.send(new BatchWriteCommand({ RequestItems: { events: [{ DeleteRequest: { Key: { pk: 'acme', sk: 1 } } }] } }));

    // Assess
    expect(written.UnprocessedItems ?? {}).toEqual({});
    expect(queried.Items?.map((i) => i.sk)).toEqual([2, 3]);
    expect(scanned.Items?.map((i) => `${i.pk}/${i.sk}`).sort()).toEqual(['acme/2', 'globex/4']);
    expect(batch.Responses?.events?.map((i) => i.sk).sort()).toEqual([1, 5]);
    const left = await doc.send(new QueryCommand({ TableName: 'events', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'acme' } }));
    expect(left.Items?.map((i) => i.sk)).toEqual([2, 3]);
  });

  it("answers AWS's error codes: missing table, bad expression, existing table, transactions", async () => {
    // Prepare
    await client.send(new CreateTableCommand(tableInput('errors')));

    // Act / Assess
    await rejects(client.send(new GetItemCommand({ TableName: 'no-such-table', Key: { pk: { S: 'x' } } })), 'ResourceNotFoundException');
    await rejects(
      doc.send(new UpdateCommand({ TableName: 'errors', Key: { pk: 'x' }, UpdateExpression: 'SET = oops', ExpressionAttributeValues: { ':v': 1 } })),
      'ValidationException',
    );
    await rejects(
      doc.send(new PutCommand({ TableName: 'errors', Item: { pk: 'x' }, ConditionExpression: 'attribute_not_exists(#missing)' })),
      'ValidationException',
    );
    await rejects(client.send(new CreateTableCommand(tableInput('errors'))), 'ResourceInUseException');
    // Documented gap: dynalite has no transactions.
    await rejects(
      client.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: 'errors', Item: { pk: { S: 't' } } } }] })),
      'UnknownOperationException',
      400,
      /TransactWriteItems/,
    );
    await rejects(
      client.send(new TransactGetItemsCommand({ TransactItems: [{ Get: { TableName: 'errors', Key: { pk: { S: 't' } } } }] })),
      'UnknownOperationException',
    );
  });

  it('updates tables and keeps tags, point-in-time recovery and time to live settings', async () => {
    // Prepare
    const arn = `arn:aws:dynamodb:${sb.region}:${sb.accountId}:table/settings`;
    await client.send(new CreateTableCommand(tableInput('settings', { Tags: [{ Key: 'owner', Value: 'onboarding' }] })));

    // Act
    await client.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'env', Value: 'test' }] }));
    const pitr = await client.send(
      new UpdateContinuousBackupsCommand({ TableName: 'settings', PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
    );
    await client.send(new UpdateTimeToLiveCommand({ TableName: 'settings', TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' } }));
    const updated = await client.send(
      new UpdateTableCommand({ TableName: 'settings', BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } }),
    );

    // Assess
    expect(updated.TableDescription?.TableArn).toBe(arn);
    const described = await client.send(new DescribeTableCommand({ TableName: 'settings' }));
    expect(described.Table?.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 5, WriteCapacityUnits: 5 });
    const tags = await client.send(new ListTagsOfResourceCommand({ ResourceArn: arn }));
    expect(tags.Tags).toEqual(expect.arrayContaining([{ Key: 'owner', Value: 'onboarding' }, { Key: 'env', Value: 'test' }]));
    expect(pitr.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus).toBe('ENABLED');
    const backups = await client.send(new DescribeContinuousBackupsCommand({ TableName: 'settings' }));
    expect(backups.ContinuousBackupsDescription).toMatchObject({
      ContinuousBackupsStatus: 'ENABLED',
      PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'ENABLED', RecoveryPeriodInDays: 35 },
    });
    expect(await client.send(new DescribeTimeToLiveCommand({ TableName: 'settings' }))).toMatchObject({
      TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' },
    });
    await rejects(
      client.send(new UpdateTimeToLiveCommand({ TableName: 'settings', TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' } })),
      'ValidationException',
      400,
      'TimeToLive is already enabled',
    );
    await rejects(client.send(new DescribeContinuousBackupsCommand({ TableName: 'nope-table' })), 'TableNotFoundException');
    await rejects(client.send(new UpdateTableCommand({ TableName: 'settings' })), 'ValidationException');
  });

  it('keeps tables per account and per region', async () => {
    // Prepare
    const a = docOf(ddb(sb, await memberAdmin(sb, MEMBER_A)));
    const b = docOf(ddb(sb, await memberAdmin(sb, MEMBER_B)));
    const aEu = docOf(ddb(sb, await memberAdmin(sb, MEMBER_A), 'eu-west-1'));
    try {
      // Act
      const createdA = await a.send(new CreateTableCommand(tableInput('registry')));
      await b.send(new CreateTableCommand(tableInput('registry')));
      await a.send(new PutCommand({ TableName: 'registry', Item: { pk: 'k', owner: 'A' } }));
      await b.send(new PutCommand({ TableName: 'registry', Item: { pk: 'k', owner: 'B' } }));

      // Assess
      expect(createdA.TableDescription?.TableArn).toBe(`arn:aws:dynamodb:${sb.region}:${MEMBER_A}:table/registry`);
      expect((await a.send(new GetCommand({ TableName: 'registry', Key: { pk: 'k' } }))).Item?.owner).toBe('A');
      expect((await b.send(new GetCommand({ TableName: 'registry', Key: { pk: 'k' } }))).Item?.owner).toBe('B');
      await rejects(aEu.send(new GetCommand({ TableName: 'registry', Key: { pk: 'k' } })), 'ResourceNotFoundException');
      await aEu.send(new CreateTableCommand(tableInput('registry')));
      expect((await aEu.send(new GetCommand({ TableName: 'registry', Key: { pk: 'k' } }))).Item).toBeUndefined();
      expect((await client.send(new ListTablesCommand({}))).TableNames).not.toContain('registry');
      const inv = sb.inventory();
      expect(inv[MEMBER_A]?.dynamodbTables).toEqual(['eu-west-1/registry', `${sb.region}/registry`]);
      expect(inv[MEMBER_B]?.dynamodbItems).toEqual([`${sb.region}/registry/{"pk":{"S":"k"}}`]);
    } finally {
      for (const c of [a, b, aEu]) c.destroy();
    }
  });

  it('authorizes with IAM: a role allowed only dynamodb:GetItem on one table', async () => {
    // Prepare
    const iam = iamClient(sb);
    const sts = stsClient(sb);
    await client.send(new CreateTableCommand(tableInput('readable')));
    await client.send(new CreateTableCommand(tableInput('secret-table')));
    await doc.send(new PutCommand({ TableName: 'readable', Item: { pk: 'r', v: 1 } }));
    const readable = `arn:aws:dynamodb:${sb.region}:${sb.accountId}:table/readable`;
    await iam.send(new CreateRoleCommand({ RoleName: 'ddb-reader', AssumeRolePolicyDocument: trustPolicy({ AWS: `arn:aws:iam::${sb.accountId}:root` }) }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'ddb-reader', PolicyName: 'get-one', PolicyDocument: allowPolicy('dynamodb:GetItem', readable) }));
    const session = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${sb.accountId}:role/ddb-reader`, RoleSessionName: 'reader' }));
    const reader = docOf(ddb(sb, sessionKeys(session)));
    const principal = `arn:aws:sts::${sb.accountId}:assumed-role/ddb-reader/reader`;
    try {
      // Act
      const got = await reader.send(new GetCommand({ TableName: 'readable', Key: { pk: 'r' } }));
      const put = reader.send(new PutCommand({ TableName: 'readable', Item: { pk: 'w' } }));
      const other = reader.send(new GetCommand({ TableName: 'secret-table', Key: { pk: 'r' } }));

      // Assess
      expect(got.Item).toEqual({ pk: 'r', v: 1 });
      await rejects(
        put,
        'AccessDeniedException',
        400,
        `User: ${principal} is not authorized to perform: dynamodb:PutItem on resource: ${readable} because no identity-based policy allows the dynamodb:PutItem action`,
      );
      await rejects(other, 'AccessDeniedException', 400, /dynamodb:GetItem on resource: arn:aws:dynamodb:[^:]+:\d{12}:table\/secret-table /);
      await rejects(
        reader.send(new BatchGetCommand({ RequestItems: { readable: { Keys: [{ pk: 'r' }] } } })),
        'AccessDeniedException',
        400,
        /dynamodb:BatchGetItem/,
      );
      await rejects(reader.send(new ListTablesCommand({})), 'AccessDeniedException', 400, /table\/\*/);
      expect((await doc.send(new GetCommand({ TableName: 'readable', Key: { pk: 'w' } }))).Item).toBeUndefined();
    } finally {
      reader.destroy();
      iam.destroy();
      sts.destroy();
    }
  });

  it("rejects bad signatures and unknown keys with DynamoDB's codes", async () => {
    // Prepare
    const badSecret = ddb(sb, { accessKeyId: sb.accessKeyId, secretAccessKey: 'not-the-secret' });
    const unknown = ddb(sb, { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'x' });
    try {
      // Act / Assess
      await rejects(badSecret.send(new ListTablesCommand({})), 'InvalidSignatureException');
      await rejects(unknown.send(new ListTablesCommand({})), 'UnrecognizedClientException', 400, 'The security token included in the request is invalid.');
      expect(sb.stats().rejected).toMatchObject({ InvalidSignatureException: 1, UnrecognizedClientException: 1 });
    } finally {
      badSecret.destroy();
      unknown.destroy();
    }
  });
});

describe('DynamoDB on its own sandbox', () => {
  const started: RunningSandbox[] = [];
  const dirs: string[] = [];
  const open = async (opts: SandboxOptions = {}): Promise<RunningSandbox> => {
    const sb = await start({ port: 0, ...opts, realism: { iamPropagationMs: 0 } });
    started.push(sb);
    return sb;
  };
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('injects faults like the other services: throttle, 503, 500 and reset', async () => {
    // Prepare
    const sb = await open();
    const client = ddb(sb);
    await client.send(new CreateTableCommand(tableInput('faulty')));
    const put = () => client.send(new PutItemCommand({ TableName: 'faulty', Item: { pk: { S: 'x' } } }));
    try {
      // Act / Assess
      sb.setRealism({ faults: { seed: 1, rules: [{ service: 'dynamodb', operation: 'PutItem', rate: 1, kind: 'throttle' }] } });
      await rejects(put(), 'ThrottlingException', 400, 'Rate of requests exceeds the allowed throughput.');
      sb.setRealism({ faults: { seed: 1, rules: [{ service: 'dynamodb', operation: 'PutItem', rate: 1, kind: '503' }] } });
      await rejects(put(), 'ServiceUnavailable', 503);
      sb.setRealism({ faults: { seed: 1, rules: [{ service: 'dynamodb', operation: 'PutItem', rate: 1, kind: '500' }] } });
      await rejects(put(), 'InternalServerError', 500);
      sb.setRealism({ faults: { seed: 1, rules: [{ service: 'dynamodb', operation: 'PutItem', rate: 1, kind: 'reset' }] } });
      await expect(put()).rejects.toThrow();
      sb.setRealism({ faults: { seed: 1, rules: [] } });
      await put();
      expect(sb.stats().faults).toMatchObject({ throttle: 1, '503': 1, '500': 1, reset: 1 });
      expect(sb.stats().operations['dynamodb:PutItem']).toBe(5);
      // No faulted put reached dynalite: the inventory only holds the last one.
      expect(sb.inventory()[sb.accountId]?.dynamodbItems).toEqual([`${sb.region}/faulty/{"pk":{"S":"x"}}`]);
    } finally {
      client.destroy();
    }
  });

  it('lists exactly the tables and item keys that exist, through every kind of write', async () => {
    // Prepare
    const sb = await open();
    const client = ddb(sb);
    const doc = docOf(client);
    const r = sb.region;
    try {
      await client.send(new CreateTableCommand(tableInput('inv', { sortKey: 'N' })));
      await client.send(new CreateTableCommand(tableInput('doomed')));
      const before = sb.inventory()[sb.accountId];

      // Act
      await doc.send(new PutCommand({ TableName: 'inv', Item: { pk: 'a', sk: 1.5 } }));
      await doc.send(new PutCommand({ TableName: 'inv', Item: { pk: 'a', sk: 1 } }));
      await rejects(
        doc.send(new PutCommand({ TableName: 'inv', Item: { pk: 'a', sk: 1, other: true }, ConditionExpression: 'attribute_not_exists(pk)' })),
        'ConditionalCheckFailedException',
      );
      await rejects(
        doc.send(new UpdateCommand({ TableName: 'inv', Key: { pk: 'z', sk: 9 }, UpdateExpression: 'SET x = :x', ConditionExpression: 'attribute_exists(pk)', ExpressionAttributeValues: { ':x': 1 } })),
        'ConditionalCheckFailedException',
      );
      await doc.send(new UpdateCommand({ TableName: 'inv', Key: { pk: 'u', sk: 2 }, UpdateExpression: 'SET x = :x', ExpressionAttributeValues: { ':x': 1 } }));
      // A key number written as "1.50" is the same item as 1.5.
      await client.send(new PutItemCommand({ TableName: 'inv', Item: { pk: { S: 'a' }, sk: { N: '1.50' }, v: { S: 'again' } } }));
      await doc.send(
        new BatchWriteCommand({ RequestItems: { inv: [{ PutRequest: { Item: { pk: 'b', sk: 3 } } }, { DeleteRequest: { Key: { pk: 'a', sk: 1 } } }] } }),
      );
      await doc.send(new PutCommand({ TableName: 'doomed', Item: { pk: 'gone' } }));
      await client.send(new DeleteTableCommand({ TableName: 'doomed' }));
      await doc.send(new DeleteCommand({ TableName: 'inv', Key: { pk: 'not-there', sk: 0 } }));

      // Assess
      expect(before).toMatchObject({ dynamodbTables: [`${r}/doomed`, `${r}/inv`], dynamodbItems: [] });
      const inv = sb.inventory()[sb.accountId];
      expect(inv?.dynamodbTables).toEqual([`${r}/inv`]);
      expect(inv?.dynamodbItems).toEqual([
        `${r}/inv/{"pk":{"S":"a"},"sk":{"N":"1.5"}}`,
        `${r}/inv/{"pk":{"S":"b"},"sk":{"N":"3"}}`,
        `${r}/inv/{"pk":{"S":"u"},"sk":{"N":"2"}}`,
      ]);
      const admin = (await (await fetch(`${sb.endpoint}/_sandbox/inventory`)).json()) as Record<string, Record<string, string[]>>;
      expect(admin[sb.accountId]?.dynamodbItems).toEqual(inv?.dynamodbItems);
      const health = (await (await fetch(`${sb.endpoint}/_sandbox/health`)).json()) as { services: string[] };
      expect(health.services).toContain('dynamodb');
      expect(sb.stats().operations).toMatchObject({ 'dynamodb:CreateTable': 2, 'dynamodb:BatchWriteItem': 1, 'dynamodb:DeleteTable': 1 });
    } finally {
      client.destroy();
    }
  });

  it('keeps tables, indexes, items and settings in the state file across restarts', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'ddb-state-'));
    dirs.push(dir);
    const stateFile = join(dir, 'state.json');
    const first = await open({ stateFile });
    const c1 = ddb(first);
    const d1 = docOf(c1);
    await c1.send(
      new CreateTableCommand(
        tableInput('registry', {
          sortKey: 'S',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
            { AttributeName: 'status', AttributeType: 'S' },
          ],
          GlobalSecondaryIndexes: [{ IndexName: 'by-status', KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
          Tags: [{ Key: 'app', Value: 'onboarding' }],
        }),
      ),
    );
    await c1.send(
      new CreateTableCommand({
        ...tableInput('provisioned', { sortKey: 'N' }),
        BillingMode: 'PROVISIONED',
        ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 2 },
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'N' },
          { AttributeName: 'at', AttributeType: 'N' },
        ],
        LocalSecondaryIndexes: [
          { IndexName: 'by-at', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'at', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
        ],
      }),
    );
    const tenant = { pk: 'tenant#acme', sk: 'meta', status: 'ACTIVE', accounts: ['111111111111'], blob: new Uint8Array([1, 2, 3]), n: 12.5 };
    await d1.send(new PutCommand({ TableName: 'registry', Item: tenant }));
    await d1.send(new PutCommand({ TableName: 'registry', Item: { pk: 'tenant#globex', sk: 'meta', status: 'FAILED' } }));
    await d1.send(new PutCommand({ TableName: 'provisioned', Item: { pk: 'p', sk: 1, at: 100 } }));
    await c1.send(new UpdateContinuousBackupsCommand({ TableName: 'registry', PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }));
    const memberKeys = await memberAdmin(first, MEMBER_A);
    const m1 = docOf(ddb(first, memberKeys, 'eu-west-1'));
    await m1.send(new CreateTableCommand(tableInput('registry')));
    await m1.send(new PutCommand({ TableName: 'registry', Item: { pk: 'member-item' } }));
    const inventoryBefore = first.inventory();
    c1.destroy();
    m1.destroy();
    await first.stop();

    // Act
    const second = await open({ stateFile });
    const c2 = ddb(second);
    const d2 = docOf(c2);
    try {
      // Assess
      expect(second.inventory()).toEqual(inventoryBefore);
      expect((await d2.send(new GetCommand({ TableName: 'registry', Key: { pk: 'tenant#acme', sk: 'meta' } }))).Item).toEqual(tenant);
      const byStatus = await d2.send(
        new QueryCommand({ TableName: 'registry', IndexName: 'by-status', KeyConditionExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'FAILED' } }),
      );
      expect(byStatus.Items?.map((i) => i.pk)).toEqual(['tenant#globex']);
      const table = (await c2.send(new DescribeTableCommand({ TableName: 'registry' }))).Table;
      expect(table).toMatchObject({
        TableStatus: 'ACTIVE',
        BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
        GlobalSecondaryIndexes: [expect.objectContaining({ IndexName: 'by-status', Projection: { ProjectionType: 'ALL' } })],
      });
      const provisioned = (await c2.send(new DescribeTableCommand({ TableName: 'provisioned' }))).Table;
      expect(provisioned?.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 3, WriteCapacityUnits: 2 });
      expect(provisioned?.LocalSecondaryIndexes?.[0]).toMatchObject({ IndexName: 'by-at', Projection: { ProjectionType: 'KEYS_ONLY' } });
      const byAt = await d2.send(
        new QueryCommand({ TableName: 'provisioned', IndexName: 'by-at', KeyConditionExpression: 'pk = :p AND #at > :t', ExpressionAttributeNames: { '#at': 'at' }, ExpressionAttributeValues: { ':p': 'p', ':t': 50 } }),
      );
      expect(byAt.Items).toEqual([{ pk: 'p', sk: 1, at: 100 }]);
      const tags = await c2.send(new ListTagsOfResourceCommand({ ResourceArn: `arn:aws:dynamodb:${second.region}:${second.accountId}:table/registry` }));
      expect(tags.Tags).toEqual([{ Key: 'app', Value: 'onboarding' }]);
      const backups = await c2.send(new DescribeContinuousBackupsCommand({ TableName: 'registry' }));
      expect(backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus).toBe('ENABLED');
      const m2 = docOf(ddb(second, keysOf(second.createAccount(MEMBER_A)), 'eu-west-1'));
      expect((await m2.send(new GetCommand({ TableName: 'registry', Key: { pk: 'member-item' } }))).Item).toEqual({ pk: 'member-item' });
      m2.destroy();
    } finally {
      c2.destroy();
    }
  });

  it('serves GetItem quickly through the SDK (median printed)', async () => {
    // Prepare
    const sb = await open();
    const client = ddb(sb);
    const doc = docOf(client);
    await client.send(new CreateTableCommand(tableInput('bench')));
    await doc.send(new PutCommand({ TableName: 'bench', Item: { pk: 'hot', payload: 'x'.repeat(200) } }));
    for (let i = 0; i < 100; i++) await doc.send(new GetCommand({ TableName: 'bench', Key: { pk: 'hot' } }));

    // Act
    const samples: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      await doc.send(new GetCommand({ TableName: 'bench', Key: { pk: 'hot' } }));
      samples.push(performance.now() - t0);
    }
    client.destroy();

    // Assess
    samples.sort((a, b) => a - b);
    const median = samples[Math.floor(samples.length / 2)] ?? Number.NaN;
    const p95 = samples[Math.floor(samples.length * 0.95)] ?? Number.NaN;
    console.log(`[bench] dynamodb GetItem through the SDK: median ${median.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms (n=${samples.length})`);
    expect(median).toBeLessThan(50);
  });
});
