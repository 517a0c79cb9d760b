/**
 * Fault injection on the local sandbox (AWS sandbox + Palette emulator): seeded rates per service / operation /
 * path prefix, outage windows, added latency, counters, and no side effect for a faulted call.
 */
import { generateKeyPairSync } from 'node:crypto';
import { CreateBucketCommand, HeadBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { paletteFetch } from '../../local/palette/http';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';

function sshPublicKey(): string {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  const raw = Buffer.from(String(jwk.x), 'base64url');
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]).toString('base64')} faults@sandbox`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sandbox fault injection', () => {
  let sb: RunningLocalSandbox;
  let s3: S3Client;
  let sm: SecretsManagerClient;
  const palette = (method: string, path: string, body?: unknown) =>
    paletteFetch(sb.palette.endpoint, method, path, { ...(body !== undefined ? { body } : {}), headers: { ApiKey: sb.palette.apiKey } });
  /** Outcome of one call: 'ok' or the error's name (the SDK's code, or a network error). */
  const outcome = async (p: Promise<unknown>): Promise<string> => {
    try {
      await p;
      return 'ok';
    } catch (e) {
      return e instanceof Error ? e.name : String(e);
    }
  };
  const sshKeyNames = () =>
    (sb.palette.inspect() as { tenants: { scopes: { tenant: { sshKeys: { name: string }[] } } }[] }).tenants[0]?.scopes.tenant.sshKeys.map((k) => k.name) ?? [];

  beforeAll(async () => {
    sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 0 } }, palette: { port: 0, rateLimit: false }, env: {} });
    const common = { endpoint: sb.aws.endpoint, region: sb.aws.region, credentials: sb.aws, maxAttempts: 1 };
    s3 = new S3Client({ ...common, forcePathStyle: true });
    sm = new SecretsManagerClient(common);
  });
  afterAll(async () => {
    s3?.destroy();
    sm?.destroy();
    await sb?.stop();
  });
  beforeEach(() => {
    sb.faults.clear();
    sb.faults.resetCounts();
  });

  it('AWS: a seeded rate per service and operation is honoured, reproducible, and counted', async () => {
    const run = async () => {
      sb.faults.set({ seed: 42, aws: [{ service: 's3', operation: 'ListBuckets', rate: 0.3, kind: '503' }] });
      const outcomes: string[] = [];
      for (let i = 0; i < 200; i++) outcomes.push(await outcome(s3.send(new ListBucketsCommand({}))));
      return outcomes;
    };
    const first = await run();
    const failed = first.filter((o) => o !== 'ok');
    expect(failed.length).toBeGreaterThan(40); // 30 % of 200 = 60
    expect(failed.length).toBeLessThan(80);
    expect(new Set(failed)).toEqual(new Set(['ServiceUnavailable']));
    expect(sb.faults.counts().aws).toMatchObject({ faults: { '503': failed.length, throttle: 0, '500': 0, reset: 0 }, outages: 0, total: failed.length });
    // Another operation of the service is not matched.
    expect(await outcome(sm.send(new ListSecretsCommand({})))).toBe('ok');
    expect(await outcome(s3.send(new HeadBucketCommand({ Bucket: 'no-such-bucket-faults' })))).toBe('NotFound');
    // Same seed, same call sequence: the same faults.
    expect(await run()).toEqual(first);
  });

  it('Palette: a seeded 429 rate per path prefix, with Retry-After, only on that prefix', async () => {
    const run = async () => {
      sb.faults.set({ seed: 7, palette: [{ pathPrefix: '/v1/cloudaccounts', rate: 0.25, kind: '429', retryAfterSeconds: 2 }] });
      const statuses: number[] = [];
      for (let i = 0; i < 200; i++) {
        const r = await palette('GET', '/v1/cloudaccounts/aws');
        if (r.status === 429) expect(r.headers.get('retry-after')).toBe('2');
        statuses.push(r.status);
      }
      return statuses;
    };
    const first = await run();
    const throttled = first.filter((s) => s === 429).length;
    expect(throttled).toBeGreaterThan(30); // 25 % of 200 = 50
    expect(throttled).toBeLessThan(70);
    expect(first.filter((s) => s !== 429 && s !== 200)).toEqual([]);
    expect(sb.faults.counts().palette).toMatchObject({ faults: { '429': throttled, '503': 0, '500': 0, reset: 0 }, outages: 0, total: throttled });
    for (let i = 0; i < 20; i++) expect((await palette('GET', '/v1/users/assets/sshkeys')).status).toBe(200);
    expect(await run()).toEqual(first);
  });

  it('AWS: a faulted call has no side effect (throttle, 500, reset)', async () => {
    for (const kind of ['throttle', '500', 'reset'] as const) {
      sb.faults.set({ aws: [{ service: 's3', operation: 'CreateBucket', rate: 1, kind }] });
      const bucket = `faults-no-side-effect-${kind}`;
      const got = await outcome(s3.send(new CreateBucketCommand({ Bucket: bucket })));
      expect(got).not.toBe('ok');
      if (kind === 'throttle') expect(got).toBe('SlowDown');
      if (kind === '500') expect(got).toBe('InternalError');
      sb.faults.set({ aws: [] });
      expect(await outcome(s3.send(new HeadBucketCommand({ Bucket: bucket })))).toBe('NotFound');
    }
    expect(JSON.stringify(sb.aws.inventory())).not.toContain('faults-no-side-effect');
    expect(sb.faults.counts().aws.faults).toMatchObject({ throttle: 1, '500': 1, reset: 1 });
  });

  it('Palette: a faulted create has no side effect (503, reset)', async () => {
    for (const kind of ['503', 'reset'] as const) {
      sb.faults.set({ palette: [{ pathPrefix: '/v1/users/assets/sshkeys', method: 'POST', rate: 1, kind }] });
      const created = await outcome(palette('POST', '/v1/users/assets/sshkeys', { metadata: { name: `faulted-${kind}` }, spec: { publicKey: sshPublicKey() } }).then((r) => {
        if (r.status >= 400) throw Object.assign(new Error(String(r.status)), { name: `HTTP ${r.status}` });
      }));
      expect(created).toBe(kind === '503' ? 'HTTP 503' : 'TypeError'); // fetch: "fetch failed" on a reset socket
    }
    expect(sshKeyNames().filter((n) => n.startsWith('faulted-'))).toEqual([]);
    expect(sb.faults.counts().palette.faults).toMatchObject({ '503': 1, reset: 1 });
  });

  it('AWS: an outage window fails every call to the service from now for N ms, then ends; other services answer', async () => {
    // A fresh client: sockets an earlier test's injected resets closed are not reused.
    const sm = new SecretsManagerClient({ endpoint: sb.aws.endpoint, region: sb.aws.region, credentials: sb.aws, maxAttempts: 1 });
    const outage = sb.faults.awsOutage({ service: 'secretsmanager', durationMs: 600 });
    expect(outage.until - outage.from).toBe(600);
    expect(await outcome(sm.send(new CreateSecretCommand({ Name: 'faults/outage', SecretString: '{}' })))).toBe('ServiceUnavailable');
    expect(await outcome(sm.send(new ListSecretsCommand({})))).toBe('ServiceUnavailable');
    expect(await outcome(s3.send(new ListBucketsCommand({})))).toBe('ok');
    expect(JSON.stringify(sb.aws.inventory())).not.toContain('faults/outage');
    await sleep(Math.max(0, outage.until - Date.now()) + 50);
    expect(await outcome(sm.send(new CreateSecretCommand({ Name: 'faults/outage', SecretString: '{}' })))).toBe('ok');
    expect(sb.faults.counts().aws).toMatchObject({ faults: { '503': 2 }, outages: 2 });
    sm.destroy();
  });

  it('an outage window between two future times starts and ends on time (AWS and Palette)', async () => {
    const from = Date.now() + 300;
    sb.faults.awsOutage({ service: 's3', from, until: from + 400, kind: 'throttle' });
    sb.faults.paletteOutage({ pathPrefix: '/v1/cloudaccounts', from, until: from + 400 });
    expect(await outcome(s3.send(new ListBucketsCommand({})))).toBe('ok');
    expect((await palette('GET', '/v1/cloudaccounts/aws')).status).toBe(200);
    await sleep(from - Date.now() + 20);
    expect(await outcome(s3.send(new ListBucketsCommand({})))).toBe('SlowDown');
    expect((await palette('GET', '/v1/cloudaccounts/aws')).status).toBe(503);
    expect((await palette('GET', '/v1/users/assets/sshkeys')).status).toBe(200);
    await sleep(from + 400 - Date.now() + 20);
    expect(await outcome(s3.send(new ListBucketsCommand({})))).toBe('ok');
    expect((await palette('GET', '/v1/cloudaccounts/aws')).status).toBe(200);
    expect(sb.faults.counts()).toMatchObject({ aws: { faults: { throttle: 1 }, outages: 1 }, palette: { faults: { '503': 1 }, outages: 1 } });
  });

  it('Palette: an outage fails creates with 503 and no side effect, then the same create succeeds', async () => {
    sb.palette.outage({ pathPrefix: '/v1/users/assets/sshkeys', durationMs: 400, retryAfterSeconds: 1 });
    const body = { metadata: { name: 'after-outage' }, spec: { publicKey: sshPublicKey() } };
    const during = await palette('POST', '/v1/users/assets/sshkeys', body);
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBe('1');
    expect(during.json).toMatchObject({ code: 'ServiceUnavailable' });
    expect(sshKeyNames()).not.toContain('after-outage');
    await sleep(450);
    expect((await palette('POST', '/v1/users/assets/sshkeys', body)).status).toBeLessThan(300);
    expect(sshKeyNames()).toContain('after-outage');
    expect(sb.palette.faultStats()).toMatchObject({ faults: { '503': 1 }, outages: 1 });
  });

  it('added latency is a fault kind: the call succeeds later and is counted', async () => {
    sb.faults.set({ aws: [{ service: 's3', rate: 1, kind: 'latency', latencyMs: 200 }], palette: [{ pathPrefix: '/v1/cloudaccounts', rate: 1, kind: 'latency', latencyMs: 200 }] });
    let t = Date.now();
    expect(await outcome(s3.send(new ListBucketsCommand({})))).toBe('ok');
    expect(Date.now() - t).toBeGreaterThanOrEqual(190);
    t = Date.now();
    expect((await palette('GET', '/v1/cloudaccounts/aws')).status).toBe(200);
    expect(Date.now() - t).toBeGreaterThanOrEqual(190);
    expect(sb.faults.counts()).toMatchObject({ aws: { faults: { latency: 1 } }, palette: { faults: { latency: 1 } } });
  });

  it('HTTP control endpoints: outages, stats and clearing on both sides', async () => {
    const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const bad = await post(`${sb.aws.endpoint}/_sandbox/faults/outages`, { service: 's3' });
    expect(bad.status).toBe(400);
    const aws = await post(`${sb.aws.endpoint}/_sandbox/faults/outages`, { service: 's3', durationMs: 60_000 });
    expect(aws.status).toBe(200);
    expect(await aws.json()).toMatchObject({ service: 's3' });
    const pal = await post(`${sb.palette.endpoint}/_emulator/faults/outages`, { pathPrefix: '/v1/cloudaccounts', durationMs: 60_000, kind: '429', retryAfterSeconds: 3 });
    expect(pal.status).toBe(200);
    expect(await outcome(s3.send(new ListBucketsCommand({})))).toBe('ServiceUnavailable');
    const throttled = await palette('GET', '/v1/cloudaccounts/aws');
    expect([throttled.status, throttled.headers.get('retry-after')]).toEqual([429, '3']);
    const awsStats = (await (await fetch(`${sb.aws.endpoint}/_sandbox/stats`)).json()) as { outages: number };
    expect(awsStats.outages).toBeGreaterThanOrEqual(1);
    expect(await (await fetch(`${sb.palette.endpoint}/_emulator/stats`)).json()).toMatchObject({ faults: { '429': 1 }, outages: 1 });
    expect((await fetch(`${sb.aws.endpoint}/_sandbox/faults`, { method: 'DELETE' })).status).toBe(200);
    expect((await fetch(`${sb.palette.endpoint}/_emulator/faults`, { method: 'DELETE' })).status).toBe(200);
    expect(await outcome(s3.send(new ListBucketsCommand({})))).toBe('ok');
    expect((await palette('GET', '/v1/cloudaccounts/aws')).status).toBe(200);
    expect((await fetch(`${sb.palette.endpoint}/_emulator/stats`, { method: 'DELETE' })).status).toBe(204);
    expect(sb.palette.faultStats().outages).toBe(0);
  });
});
