/**
 * The Palette emulator's list filters and rate limits as Palette documents them: `filters` clauses on the indexed
 * fields joined by AND / OR, a filter on any other field refused naming `filters` (README, choice 15); the "Endpoint
 * Prefix Rate" table per source and longest prefix, and the 429s it answers counted in /_emulator/stats.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPaletteEmulator, type RunningPaletteEmulator } from '../../local/palette';
import { rateLimitFor } from '../../local/palette/realism';
import { sshPublicKey } from '../palette/fixtures';

let emu: RunningPaletteEmulator;

beforeAll(async () => {
  emu = await startPaletteEmulator({ port: 0, rateLimit: false });
}, 30_000);
afterAll(async () => {
  await emu?.stop();
});

type Json = Record<string, unknown>;

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${emu.endpoint}${path}`, {
    method,
    headers: { ApiKey: emu.apiKey, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Json) };
}

const names = (r: { json: Json }) => ((r.json.items as { metadata: { name: string } }[]) ?? []).map((i) => i.metadata.name).sort();
const filtered = (path: string, filters: string) => call('GET', `${path}?filters=${encodeURIComponent(filters)}`);

describe('list filters', () => {
  beforeAll(async () => {
    for (const n of ['alpha', 'beta', 'gamma']) {
      expect((await call('POST', '/v1/users/assets/sshkeys', { metadata: { name: `key-${n}` }, spec: { publicKey: sshPublicKey() } })).status).toBe(201);
    }
    for (let i = 0; i < 55; i += 1) {
      const created = await call('POST', '/v1/cloudaccounts/aws', { metadata: { name: `acct-${i}` }, spec: { accessKey: `AKIAFILTER${String(i).padStart(10, '0')}`, secretKey: 's' } });
      expect(created.status).toBe(201);
    }
  });

  it('matches metadata.name exactly, and combines clauses with AND and OR', async () => {
    // Act
    const one = await filtered('/v1/users/assets/sshkeys', 'metadata.name=key-beta');
    const none = await filtered('/v1/users/assets/sshkeys', 'metadata.name=key-bet');
    const either = await filtered('/v1/users/assets/sshkeys', 'metadata.name=key-alphaORmetadata.name=key-gamma');
    const both = await filtered('/v1/users/assets/sshkeys', 'metadata.name=key-alphaANDmetadata.name=key-gamma');
    const uid = (one.json.items as { metadata: { uid: string } }[])[0]?.metadata.uid ?? '';
    const byUid = await filtered('/v1/users/assets/sshkeys', `metadata.uid=${uid}ANDmetadata.name=key-beta`);
    // Assess
    expect(names(one)).toEqual(['key-beta']);
    expect(names(none)).toEqual([]);
    expect(names(either)).toEqual(['key-alpha', 'key-gamma']);
    expect(names(both)).toEqual([]);
    expect(names(byUid)).toEqual(['key-beta']);
  });

  it('filters before paging: listmeta counts the matches, one page', async () => {
    // Act
    const page = await filtered('/v1/cloudaccounts/aws', 'metadata.name=acct-54');
    const all = await call('GET', '/v1/cloudaccounts/aws');
    // Assess
    expect(names(page)).toEqual(['acct-54']);
    expect(page.json.listmeta).toMatchObject({ count: 1, continue: '' });
    expect(all.json.listmeta).toMatchObject({ count: 55 });
    expect((all.json.listmeta as Json).continue).not.toBe('');
  });

  it('refuses a filter on a field that is not indexed, naming filters, on every list', async () => {
    // Act
    const answers = await Promise.all([
      filtered('/v1/cloudaccounts/aws', 'spec.credentialType=secret'),
      filtered('/v1/cloudaccounts/azure', 'metadata.name=xANDspec.tenantId=y'),
      filtered('/v1/users/assets/sshkeys', 'spec.publicKey=x'),
      filtered('/v1/users/assets/locations', 'spec.storage=s3'),
    ]);
    const unparsable = await filtered('/v1/users/assets/sshkeys', 'metadata.name');
    // Assess
    for (const a of answers) {
      expect(a.status).toBe(400);
      expect(a.json).toMatchObject({ code: 'InvalidRequest', details: { field: 'filters' } });
      expect(String(a.json.message)).toMatch(/^filters: cannot filter on 'spec\./);
    }
    expect(unparsable.status).toBe(400);
    expect(unparsable.json).toMatchObject({ code: 'InvalidRequest', details: { field: 'filters' } });
  });
});

describe('rate limits', () => {
  it("maps paths to the longest prefix of Palette's table, with :uid segments, else /v1/<resource>", () => {
    // Prepare
    const cases: [string, string, number, number][] = [
      ['/v1/cloudaccounts/aws/abc', '/v1/cloudaccounts', 10, 50],
      ['/v1/users/assets/sshkeys', '/v1/users', 10, 50],
      ['/v1/auth/authenticate', '/v1/auth/authenticate', 10, 50],
      ['/v1/auth/syslogin', '/v1/auth', 10, 50],
      ['/v1/auth/user/password/reset', '/v1/auth/user/password/reset', 2, 10],
      ['/v1/spectroclusters/abc/features/backup', '/v1/spectroclusters', 50, 250],
      ['/v1/spectroclusters/abc/assets/kubeconfig', '/v1/spectroclusters/:uid/assets', 10, 50],
      ['/v1/spectroclusters/acquire', '/v1/spectroclusters/acquire', 10, 50],
      ['/v1/clusterprofiles/abc/packs/kyverno/manifests', '/v1/clusterprofiles/:uid/packs/{packName}/manifests', 50, 250],
      ['/v1/dashboard/spectroclusters/search', '/v1/dashboard', 10, 50],
      ['/v1/somethingnew/x', '/v1/somethingnew', 10, 50],
    ];
    // Act / Assess
    expect(cases.map(([path]) => rateLimitFor(path))).toEqual(cases.map(([, prefix, rps, max]) => ({ prefix, rps, max })));
  });

  it('answers 429 TooManyRequests per source and prefix once the bucket is empty, and counts each 429', async () => {
    // Prepare
    emu.configure({ rateLimit: true });
    emu.resetFaultStats();
    // Act: 70 requests at once on /v1/users, then one on /v1/cloudaccounts
    const statuses = await Promise.all(Array.from({ length: 70 }, () => call('GET', '/v1/users/assets/sshkeys').then((r) => r.status)));
    const otherPrefix = await call('GET', '/v1/cloudaccounts/aws');
    const stats = (await (await fetch(`${emu.endpoint}/_emulator/stats`)).json()) as { rateLimited: { total: number; byPrefix: Record<string, number> } };
    emu.configure({ rateLimit: false });
    // Assess
    const throttled = statuses.filter((s) => s === 429).length;
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(50);
    expect(throttled).toBeGreaterThan(0);
    expect(otherPrefix.status).toBe(200);
    expect(stats.rateLimited).toEqual({ total: throttled, byPrefix: { '/v1/users': throttled } });
    expect(emu.faultStats().rateLimited.total).toBe(throttled);
    emu.resetFaultStats();
    expect(emu.faultStats().rateLimited).toEqual({ total: 0, byPrefix: {} });
  });
});
