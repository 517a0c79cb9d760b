/**
 * The shared Palette rate governor over the sandbox's DynamoDB (the real SDK, conditional UpdateItem): four Palette
 * clients (four "Lambda containers") share one rate table and call the Palette emulator at once; the rate Palette
 * sees, measured at the fetch, stays within 10 req/s + the burst of 5, and the emulator answers no 429. The same four
 * clients without the shared table (each keeping the limit alone) send about four times as much: the measurement can
 * fail. About 6 s.
 */
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PaletteClient, type FetchFunction } from '../../lambdas/services/palette';
import { DynamoDbRateSlotStore } from '../../lambdas/services/palette/rate-governor-dynamodb';
import { startSandbox, type RunningSandbox } from '../../local/aws';
import { startPaletteEmulator, type RunningPaletteEmulator } from '../../local/palette';

const TABLE = 'palette-rate-test';
const CONTAINERS = 4;

let sb: RunningSandbox;
let emu: RunningPaletteEmulator;
let ddb: DynamoDBClient;

beforeAll(async () => {
  sb = await startSandbox({ port: 0, realism: { iamPropagationMs: 0 } });
  emu = await startPaletteEmulator({ port: 0 });
  ddb = new DynamoDBClient({ endpoint: sb.endpoint, region: sb.region, credentials: sb });
  await ddb.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}, 60_000);
afterAll(async () => {
  ddb?.destroy();
  await emu?.stop();
  await sb?.stop();
});

/** A fetch that notes when each request leaves (ms), the moment Palette would count it. */
function timedFetch(sent: number[]): FetchFunction {
  return (input, init) => {
    sent.push(performance.now());
    return fetch(input, init);
  };
}

function container(sent: number[], shared: boolean): PaletteClient {
  return new PaletteClient({
    baseUrl: emu.endpoint,
    auth: { type: 'apiKey', apiKey: () => Promise.resolve(emu.apiKey) },
    fetch: timedFetch(sent),
    ...(shared ? { sharedRateLimit: { store: new DynamoDbRateSlotStore(DynamoDBDocumentClient.from(ddb), TABLE) } } : {}),
  });
}

/** The most requests any window of `windowMs` holds. */
function busiestWindow(sent: readonly number[], windowMs: number): number {
  const times = [...sent].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < times.length; end += 1) {
    while ((times[end] as number) - (times[start] as number) >= windowMs) start += 1;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/** Requests per second after the initial burst of 5, from the first to the last request. */
function sustainedRate(sent: readonly number[]): number {
  const times = [...sent].sort((a, b) => a - b);
  return (times.length - 5) / (((times.at(-1) as number) - (times[0] as number)) / 1000);
}

describe('four containers sharing one rate table', () => {
  it('keep the rate Palette sees within 10 req/s + burst 5 on one prefix, with no 429', async () => {
    // Prepare
    const sent: number[] = [];
    const clients = Array.from({ length: CONTAINERS }, () => container(sent, true));
    emu.resetFaultStats();
    // Act: 12 lookups each, all at once (/v1/users: SSH keys and backup locations share the prefix)
    await Promise.all(
      clients.map(async (c, i) => {
        for (let n = 0; n < 12; n += 1) {
          if ((n + i) % 2 === 0) await c.sshKeys.list();
          else await c.backupLocations.list();
        }
      }),
    );
    // Assess
    expect(sent).toHaveLength(48);
    expect(busiestWindow(sent, 1000)).toBeLessThanOrEqual(15);
    expect(sustainedRate(sent)).toBeLessThanOrEqual(10.5);
    expect(sustainedRate(sent)).toBeGreaterThan(6); // not throttled far below the limit (measured ~9)
    expect(emu.faultStats().rateLimited.total).toBe(0);
    const item = await ddb.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: '/v1/users' } } }));
    expect(Number(item.Item?.tat?.N)).toBeGreaterThan(Date.now() - 60_000);
  }, 30_000);

  it('each keeping the limit alone, the same four send about four times the rate (what the table prevents)', async () => {
    // Prepare
    const sent: number[] = [];
    const clients = Array.from({ length: CONTAINERS }, () => container(sent, false));
    // Act: another prefix (/v1/cloudaccounts), so the emulator's bucket of the first test does not interfere
    await Promise.all(clients.map(async (c) => {
      for (let n = 0; n < 10; n += 1) await c.cloudAccounts.aws.list();
    }));
    // Assess
    expect(sent).toHaveLength(40);
    expect(busiestWindow(sent, 1000)).toBeGreaterThan(15);
    expect(sustainedRate(sent)).toBeGreaterThan(20);
  }, 30_000);
});
