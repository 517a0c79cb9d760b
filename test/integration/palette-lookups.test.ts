/**
 * Lookups that do not grow with the fleet: with 120 objects of each kind in scope, finding one by name (AWS and Azure
 * cloud accounts, SSH keys, backup locations: the lookups the registrations use) is ONE request to the Palette
 * emulator, carrying Palette's `filters=metadata.name=<name>`, answered with the match only. A lookup that listed
 * everything would need 3 pages for the cloud accounts and read 120 items for the others: these tests would fail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PaletteClient } from '../../lambdas/services/palette';
import { startPaletteEmulator, type RunningPaletteEmulator } from '../../local/palette';
import { AZURE_CLIENT_ID, AZURE_TENANT_ID, recordingFetch, sshPublicKey } from '../palette/fixtures';

const FLEET = 120;
let emu: RunningPaletteEmulator;
let palette: PaletteClient;
let recorder: ReturnType<typeof recordingFetch>;

const name = (kind: string, i: number) => `fleet-${String(i).padStart(3, '0')}-${kind}`;

beforeAll(async () => {
  emu = await startPaletteEmulator({ port: 0, rateLimit: false });
  recorder = recordingFetch();
  palette = new PaletteClient({ baseUrl: emu.endpoint, auth: { type: 'apiKey', apiKey: () => Promise.resolve(emu.apiKey) }, rateLimit: false, fetch: recorder.fetch });
  const publicKey = sshPublicKey();
  for (let i = 0; i < FLEET; i += 1) {
    await Promise.all([
      palette.cloudAccounts.aws.create({ metadata: { name: name('aws', i) }, spec: { accessKey: `AKIAFLEET${String(i).padStart(11, '0')}`, secretKey: 's' } }),
      palette.cloudAccounts.azure.create({ metadata: { name: name('azure', i) }, spec: { tenantId: AZURE_TENANT_ID, clientId: AZURE_CLIENT_ID, clientSecret: 'azure-secret' } }),
      palette.sshKeys.create({ metadata: { name: name('ssh', i) }, spec: { publicKey } }),
      palette.backupLocations.s3.create({
        metadata: { name: name('s3', i) },
        spec: { config: { bucketName: `fleet-bucket-${i}`, region: 'us-east-1', credentials: { credentialType: 'secret', accessKey: 'AKIAFLEETLOCATION000', secretKey: 's' } } },
      }),
    ]);
  }
}, 120_000);
afterAll(async () => {
  await emu?.stop();
});

/** The requests `lookup` sent, with the number of items each answer carried. */
async function requestsOf<T>(lookup: () => Promise<T>): Promise<{ result: T; sent: { path: string; filters: string | null; items: number }[] }> {
  recorder.exchanges.length = 0;
  const result = await lookup();
  const sent = recorder.exchanges.map((e) => {
    const url = new URL(e.url);
    const body = JSON.parse(e.responseBody) as { items?: unknown[] };
    return { path: url.pathname, filters: url.searchParams.get('filters'), items: body.items?.length ?? -1 };
  });
  return { result, sent };
}

describe(`find by name among ${FLEET} objects`, () => {
  it('AWS cloud account: one filtered request, one item back', async () => {
    // Act
    const { result, sent } = await requestsOf(() => palette.cloudAccounts.aws.findByName(name('aws', 117)));
    // Assess
    expect(result?.metadata?.name).toBe(name('aws', 117));
    expect(sent).toEqual([{ path: '/v1/cloudaccounts/aws', filters: `metadata.name=${name('aws', 117)}`, items: 1 }]);
  });

  it('Azure cloud account: one filtered request, one item back', async () => {
    const { result, sent } = await requestsOf(() => palette.cloudAccounts.azure.findByName(name('azure', 5)));
    expect(result?.metadata?.name).toBe(name('azure', 5));
    expect(sent).toEqual([{ path: '/v1/cloudaccounts/azure', filters: `metadata.name=${name('azure', 5)}`, items: 1 }]);
  });

  it('SSH key: one filtered request, one item back', async () => {
    const { result, sent } = await requestsOf(() => palette.sshKeys.findByName(name('ssh', 64)));
    expect(result?.metadata?.name).toBe(name('ssh', 64));
    expect(sent).toEqual([{ path: '/v1/users/assets/sshkeys', filters: `metadata.name=${name('ssh', 64)}`, items: 1 }]);
  });

  it('backup location (of a type): one filtered request, one item back', async () => {
    const { result, sent } = await requestsOf(() => palette.backupLocations.s3.findByName(name('s3', 99)));
    expect(result?.metadata?.name).toBe(name('s3', 99));
    expect(sent).toEqual([{ path: '/v1/users/assets/locations', filters: `metadata.name=${name('s3', 99)}`, items: 1 }]);
  });

  it('a name that does not exist: still one request, nothing back', async () => {
    const { result, sent } = await requestsOf(() => palette.cloudAccounts.aws.findByName('no-such-account'));
    expect(result).toBeUndefined();
    expect(sent).toEqual([{ path: '/v1/cloudaccounts/aws', filters: 'metadata.name=no-such-account', items: 0 }]);
  });

  it('the whole list still pages (50 per page): what a lookup no longer does', async () => {
    const { result, sent } = await requestsOf(() => palette.cloudAccounts.aws.list());
    expect(result).toHaveLength(FLEET);
    expect(sent.map((s) => s.items)).toEqual([50, 50, 20]);
  });
});
