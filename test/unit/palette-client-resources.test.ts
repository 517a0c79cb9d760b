/** Palette client operation groups: method/path/body of every operation, results, find-by-name and paging. */
import { describe, expect, it } from 'vitest';
import { PaletteApiError, PaletteClient, PaletteForbiddenError, SEARCH_EVERY_CLUSTER, type AwsAccount } from '../../lambdas/services/palette';
import { FakeClock, fakeFetch, json, memoryLogger, noContent, rejectionOf, type Handler, type RecordedRequest } from './palette-client-helpers';

function client(handler: Handler) {
  const fake = fakeFetch(handler);
  const logger = memoryLogger();
  const palette = new PaletteClient({
    baseUrl: 'https://palette.test',
    auth: { type: 'apiKey', apiKey: 'key-1234' },
    fetch: fake.fetch,
    clock: new FakeClock(),
    rateLimit: false,
    logger,
  });
  return { palette, requests: fake.requests, logger };
}

/** Answers like Palette: 201 {uid} for creates, 200 JSON for reads, 204 for the rest. */
const palettish: Handler = (req) => {
  if (req.method === 'POST' && req.path.endsWith('/search')) return json(200, { items: [], listmeta: { continue: '' } });
  if (req.method === 'POST' && !req.path.endsWith('/validate') && req.path !== '/v1/apiKeys') return json(201, { uid: 'created-uid' });
  if (req.method === 'POST' && req.path === '/v1/apiKeys') return json(201, { uid: 'key-uid', apiKey: 'the-key' });
  if (req.method === 'GET' && /\/(aws|azure|sshkeys|apiKeys|locations)$/.test(req.path)) return json(200, { items: [], listmeta: { continue: '' } });
  if (req.method === 'GET') return json(200, { metadata: { uid: 'x', name: 'n' }, echo: req.path });
  return noContent();
};

const aws: AwsAccount = { metadata: { name: 'a' }, spec: { credentialType: 'sts', sts: { arn: 'arn:aws:iam::123456789012:role/R', externalId: 'e' } } };
const azure = { metadata: { name: 'z' }, spec: { tenantId: 't', clientId: 'c', clientSecret: 's' } };
const ssh = { metadata: { name: 'k' }, spec: { publicKey: 'ssh-ed25519 AAAA' } };
const s3 = { metadata: { name: 'b' }, spec: { config: { bucketName: 'b', region: 'us-east-1', credentials: { credentialType: 'secret' as const, accessKey: 'a', secretKey: 's' } }, type: 's3' } };
const gcp = { metadata: { name: 'g' }, spec: { config: { bucketName: 'b', credentials: { jsonCredentials: '{}' } } } };
const azLoc = { metadata: { name: 'l' }, spec: { config: { containerName: 'c', storageName: 's', resourceGroup: 'r', credentials: { clientId: 'c' } } } };

interface OpCase {
  name: string;
  call: (p: PaletteClient) => Promise<unknown>;
  method: string;
  path: string;
  body?: unknown;
  query?: Record<string, string>;
  result?: unknown;
}

const ops: OpCase[] = [
  { name: 'system.getAwsStsAccount', call: (p) => p.system.getAwsStsAccount(), method: 'GET', path: '/v1/system/config/aws/sts/account' },
  { name: 'system.getAwsGovStsAccount', call: (p) => p.system.getAwsGovStsAccount(), method: 'GET', path: '/v1/system/config/awsgov/sts/account' },
  { name: 'system.createAwsGovStsAccount', call: (p) => p.system.createAwsGovStsAccount({ accountId: '1' }), method: 'POST', path: '/v1/system/config/awsgov/sts/account', body: { accountId: '1' } },
  { name: 'system.getAwsAccount', call: (p) => p.system.getAwsAccount(), method: 'GET', path: '/v1/system/config/aws/account' },
  { name: 'system.updateAwsAccount', call: (p) => p.system.updateAwsAccount({ spec: { accessKey: 'a', secretKey: 's' } }), method: 'PUT', path: '/v1/system/config/aws/account', body: { spec: { accessKey: 'a', secretKey: 's' } } },
  { name: 'system.getReverseProxy', call: (p) => p.system.getReverseProxy(), method: 'GET', path: '/v1/system/config/reverseproxy' },
  { name: 'clouds.getAwsAccountSts', call: (p) => p.clouds.getAwsAccountSts('aws-us-gov'), method: 'GET', path: '/v1/clouds/aws/account/sts', query: { partition: 'aws-us-gov' } },
  { name: 'clouds.validateAwsAccount', call: (p) => p.clouds.validateAwsAccount(aws.spec ?? {}), method: 'POST', path: '/v1/clouds/aws/account/validate', body: aws.spec, result: undefined },
  { name: 'clouds.validateAwsPolicyArns', call: (p) => p.clouds.validateAwsPolicyArns({ account: {}, policyArns: ['arn:p'] }, { cloudAccountUid: 'ca' }), method: 'POST', path: '/v1/clouds/aws/policyArns/validate', body: { account: {}, policyArns: ['arn:p'] }, query: { cloudAccountUid: 'ca' } },
  { name: 'clouds.validateAzureAccount', call: (p) => p.clouds.validateAzureAccount(azure.spec), method: 'POST', path: '/v1/clouds/azure/account/validate', body: azure.spec },
  { name: 'clouds.validateS3Bucket', call: (p) => p.clouds.validateS3Bucket({ bucket: 'b', region: 'r', credentials: {} }), method: 'POST', path: '/v1/clouds/aws/s3/validate', body: { bucket: 'b', region: 'r', credentials: {} } },
  { name: 'clouds.validateGcpBucketName', call: (p) => p.clouds.validateGcpBucketName({ bucketName: 'b', credentials: {} }), method: 'POST', path: '/v1/clouds/gcp/bucketname/validate', body: { bucketName: 'b', credentials: {} } },
  { name: 'clouds.validateGcpAccount', call: (p) => p.clouds.validateGcpAccount({ spec: { jsonCredentials: '{}' } }), method: 'POST', path: '/v1/clouds/gcp/account/validate', body: { spec: { jsonCredentials: '{}' } } },
  { name: 'cloudAccounts.aws.create', call: (p) => p.cloudAccounts.aws.create(aws), method: 'POST', path: '/v1/cloudaccounts/aws', body: aws, result: 'created-uid' },
  { name: 'cloudAccounts.aws.get', call: (p) => p.cloudAccounts.aws.get('u1', { assumeCredentials: true }), method: 'GET', path: '/v1/cloudaccounts/aws/u1', query: { assumeCredentials: 'true' } },
  { name: 'cloudAccounts.aws.update', call: (p) => p.cloudAccounts.aws.update('u1', aws), method: 'PUT', path: '/v1/cloudaccounts/aws/u1', body: aws, result: undefined },
  { name: 'cloudAccounts.aws.delete', call: (p) => p.cloudAccounts.aws.delete('u1'), method: 'DELETE', path: '/v1/cloudaccounts/aws/u1', result: undefined },
  { name: 'cloudAccounts.aws.validate', call: (p) => p.cloudAccounts.aws.validate(aws.spec ?? {}), method: 'POST', path: '/v1/clouds/aws/account/validate', body: aws.spec },
  { name: 'cloudAccounts.azure.create', call: (p) => p.cloudAccounts.azure.create(azure), method: 'POST', path: '/v1/cloudaccounts/azure', body: azure, result: 'created-uid' },
  { name: 'cloudAccounts.azure.get', call: (p) => p.cloudAccounts.azure.get('z1'), method: 'GET', path: '/v1/cloudaccounts/azure/z1' },
  { name: 'cloudAccounts.azure.update', call: (p) => p.cloudAccounts.azure.update('z1', azure), method: 'PUT', path: '/v1/cloudaccounts/azure/z1', body: azure },
  { name: 'cloudAccounts.azure.delete', call: (p) => p.cloudAccounts.azure.delete('z1'), method: 'DELETE', path: '/v1/cloudaccounts/azure/z1' },
  { name: 'sshKeys.create', call: (p) => p.sshKeys.create(ssh), method: 'POST', path: '/v1/users/assets/sshkeys', body: ssh, result: 'created-uid' },
  { name: 'sshKeys.get', call: (p) => p.sshKeys.get('s1'), method: 'GET', path: '/v1/users/assets/sshkeys/s1' },
  { name: 'sshKeys.list', call: (p) => p.sshKeys.list(), method: 'GET', path: '/v1/users/assets/sshkeys', result: [] },
  { name: 'sshKeys.update', call: (p) => p.sshKeys.update('s1', ssh), method: 'PUT', path: '/v1/users/assets/sshkeys/s1', body: ssh },
  { name: 'sshKeys.delete', call: (p) => p.sshKeys.delete('s1'), method: 'DELETE', path: '/v1/users/assets/sshkeys/s1' },
  { name: 'apiKeys.create', call: (p) => p.apiKeys.create({ metadata: { name: 'k' } }), method: 'POST', path: '/v1/apiKeys', body: { metadata: { name: 'k' } }, result: { uid: 'key-uid', apiKey: 'the-key' } },
  { name: 'apiKeys.get', call: (p) => p.apiKeys.get('k1'), method: 'GET', path: '/v1/apiKeys/k1' },
  { name: 'apiKeys.list', call: (p) => p.apiKeys.list(), method: 'GET', path: '/v1/apiKeys', result: [] },
  { name: 'apiKeys.update', call: (p) => p.apiKeys.update('k1', { spec: { expiry: '2030-01-01T00:00:00Z' } }), method: 'PUT', path: '/v1/apiKeys/k1', body: { spec: { expiry: '2030-01-01T00:00:00Z' } } },
  { name: 'apiKeys.delete', call: (p) => p.apiKeys.delete('k1'), method: 'DELETE', path: '/v1/apiKeys/k1' },
  { name: 'apiKeys.setState', call: (p) => p.apiKeys.setState('k1', false), method: 'PUT', path: '/v1/apiKeys/k1/state', body: { isActive: false } },
  { name: 'apiKeys.setActive', call: (p) => p.apiKeys.setActive('k1', true), method: 'PATCH', path: '/v1/apiKeys/k1', body: { isActive: true } },
  { name: 'backupLocations.list', call: (p) => p.backupLocations.list(), method: 'GET', path: '/v1/users/assets/locations', result: [] },
  { name: 'backupLocations.delete', call: (p) => p.backupLocations.delete('l1'), method: 'DELETE', path: '/v1/users/assets/locations/l1' },
  { name: 'backupLocations.setDefault', call: (p) => p.backupLocations.setDefault('gcp', 'l1'), method: 'PATCH', path: '/v1/users/assets/locations/gcp/l1/default' },
  { name: 'backupLocations.s3.create', call: (p) => p.backupLocations.s3.create(s3), method: 'POST', path: '/v1/users/assets/locations/s3', body: s3, result: 'created-uid' },
  { name: 'backupLocations.s3.get', call: (p) => p.backupLocations.s3.get('l1'), method: 'GET', path: '/v1/users/assets/locations/s3/l1' },
  { name: 'backupLocations.s3.update', call: (p) => p.backupLocations.s3.update('l1', s3), method: 'PUT', path: '/v1/users/assets/locations/s3/l1', body: s3 },
  { name: 'backupLocations.s3.delete', call: (p) => p.backupLocations.s3.delete('l1'), method: 'DELETE', path: '/v1/users/assets/locations/l1' },
  { name: 'backupLocations.s3.setDefault', call: (p) => p.backupLocations.s3.setDefault('l1'), method: 'PATCH', path: '/v1/users/assets/locations/s3/l1/default' },
  { name: 'backupLocations.minio.create', call: (p) => p.backupLocations.minio.create(s3), method: 'POST', path: '/v1/users/assets/locations/minio', body: s3, result: 'created-uid' },
  { name: 'backupLocations.minio.get', call: (p) => p.backupLocations.minio.get('l1'), method: 'GET', path: '/v1/users/assets/locations/minio/l1' },
  { name: 'backupLocations.minio.update', call: (p) => p.backupLocations.minio.update('l1', s3), method: 'PUT', path: '/v1/users/assets/locations/minio/l1', body: s3 },
  { name: 'backupLocations.gcp.create', call: (p) => p.backupLocations.gcp.create(gcp), method: 'POST', path: '/v1/users/assets/locations/gcp', body: gcp, result: 'created-uid' },
  { name: 'backupLocations.gcp.get', call: (p) => p.backupLocations.gcp.get('l1'), method: 'GET', path: '/v1/users/assets/locations/gcp/l1' },
  { name: 'backupLocations.gcp.update', call: (p) => p.backupLocations.gcp.update('l1', gcp), method: 'PUT', path: '/v1/users/assets/locations/gcp/l1', body: gcp },
  { name: 'backupLocations.azure.create', call: (p) => p.backupLocations.azure.create(azLoc), method: 'POST', path: '/v1/users/assets/locations/azure', body: azLoc, result: 'created-uid' },
  { name: 'backupLocations.azure.get', call: (p) => p.backupLocations.azure.get('l1'), method: 'GET', path: '/v1/users/assets/locations/azure/l1' },
  { name: 'backupLocations.azure.update', call: (p) => p.backupLocations.azure.update('l1', azLoc), method: 'PUT', path: '/v1/users/assets/locations/azure/l1', body: azLoc },
  { name: 'clusters.search', call: (p) => p.clusters.search(), method: 'POST', path: '/v1/dashboard/spectroclusters/search', body: SEARCH_EVERY_CLUSTER, query: { limit: '50' }, result: [] },
  { name: 'clusters.backupConfig', call: (p) => p.clusters.backupConfig('c1'), method: 'GET', path: '/v1/spectroclusters/c1/features/backup', result: undefined },
];

describe('operations', () => {
  for (const op of ops) {
    it(`${op.name} -> ${op.method} ${op.path}`, async () => {
      // Prepare
      const ctx = client(palettish);
      // Act
      const result = await op.call(ctx.palette);
      // Assess
      expect(ctx.requests).toHaveLength(1);
      const req = ctx.requests[0] as RecordedRequest;
      expect(req.method).toBe(op.method);
      expect(req.path).toBe(op.path);
      expect(req.body).toEqual(op.body);
      expect(Object.fromEntries(req.query)).toEqual(op.query ?? {});
      if ('result' in op) expect(result).toEqual(op.result);
      else if (op.method === 'GET') expect(result).toMatchObject({ echo: op.path });
      else expect(result).toBeUndefined();
    });
  }

  it('project scope sends ProjectUid on every tenant-or-project group, apiKeys and system never', async () => {
    // Prepare
    const ctx = client(palettish);
    const project = ctx.palette.project('p-1');
    // Act
    await project.cloudAccounts.aws.list();
    await project.cloudAccounts.azure.get('z');
    await project.sshKeys.list();
    await project.backupLocations.s3.get('l');
    await project.clouds.getAwsAccountSts();
    await project.clusters.search();
    await project.clusters.backupConfig('c');
    await ctx.palette.apiKeys.list();
    await ctx.palette.system.getReverseProxy();
    // Assess
    expect(ctx.requests.map((r) => r.headers.projectuid ?? '-')).toEqual(['p-1', 'p-1', 'p-1', 'p-1', 'p-1', 'p-1', 'p-1', '-', '-']);
  });

  it('rejects empty uids before sending anything', async () => {
    // Prepare
    const ctx = client(palettish);
    // Act
    const error = await rejectionOf(ctx.palette.sshKeys.get(''));
    // Assess
    expect(error).toBeInstanceOf(TypeError);
    expect(ctx.requests).toHaveLength(0);
  });
});

/** A paged cloud-account list like Palette's: limit (max 50) + continue token + offset in listmeta. */
function pagedAccounts(total: number, extra: Array<{ name: string; uid: string; created: string }> = []): Handler {
  const all = [
    ...Array.from({ length: total }, (_, i) => ({ metadata: { name: `acct-${i}`, uid: `uid-${i}`, creationTimestamp: '2024-01-01T00:00:00Z' } })),
    ...extra.map((e) => ({ metadata: { name: e.name, uid: e.uid, creationTimestamp: e.created } })),
  ];
  return (req) => {
    const limit = Math.min(Number(req.query.get('limit') ?? '50'), 50);
    const token = req.query.get('continue');
    const start = token === null ? 0 : Number(token.replace('tok-', ''));
    const items = all.slice(start, start + limit);
    const next = start + limit < all.length ? `tok-${start + limit}` : '';
    return json(200, { items, listmeta: { continue: next, count: all.length, limit, offset: start + items.length } });
  };
}

describe('find by name', () => {
  it('asks for the name and, from a server that ignores the filter, pages with limit/continue/offset until the token is empty', async () => {
    // Prepare
    const ctx = client(pagedAccounts(120));
    // Act
    const found = await ctx.palette.cloudAccounts.aws.findByName('acct-117');
    const missing = await ctx.palette.cloudAccounts.aws.findByName('nope');
    // Assess
    expect(found?.metadata?.uid).toBe('uid-117');
    expect(missing).toBeUndefined();
    const first = ctx.requests.slice(0, 3).map((r) => Object.fromEntries(r.query));
    const filters = 'metadata.name=acct-117';
    expect(first).toEqual([
      { limit: '50', filters },
      { limit: '50', continue: 'tok-50', offset: '50', filters },
      { limit: '50', continue: 'tok-100', offset: '100', filters },
    ]);
    expect(ctx.requests).toHaveLength(6);
  });

  it('pages through Azure accounts and returns the oldest of duplicates', async () => {
    // Prepare
    const ctx = client(
      pagedAccounts(60, [
        { name: 'dup', uid: 'newer', created: '2025-05-01T00:00:00Z' },
        { name: 'dup', uid: 'older', created: '2025-01-01T00:00:00Z' },
      ]),
    );
    // Act
    const found = await ctx.palette.cloudAccounts.azure.findByName('dup');
    // Assess
    expect(found?.metadata?.uid).toBe('older');
    expect(ctx.requests.every((r) => r.path === '/v1/cloudaccounts/azure')).toBe(true);
    expect(ctx.logger.entries.some((e) => e.level === 'warn' && JSON.stringify(e.fields).includes('newer'))).toBe(true);
  });

  it('stops when the server repeats a continue token', async () => {
    // Prepare
    const ctx = client(() => json(200, { items: [], listmeta: { continue: 'same', offset: 0, count: 0, limit: 50 } }));
    // Act
    const error = await rejectionOf(ctx.palette.cloudAccounts.aws.list());
    // Assess
    expect((error as PaletteApiError).code).toBe('PaginationLoop');
    expect(ctx.requests).toHaveLength(2);
  });

  it('finds SSH keys and API keys by exact name', async () => {
    // Prepare
    const ctx = client((req) =>
      json(200, {
        items: [
          { metadata: { name: 'Ops', uid: 'a' } },
          { metadata: { name: 'ops', uid: req.path === '/v1/apiKeys' ? 'key-b' : 'ssh-b' } },
        ],
      }),
    );
    // Act
    const ssh = await ctx.palette.project('p').sshKeys.findByName('ops');
    const key = await ctx.palette.apiKeys.findByName('ops');
    // Assess
    expect(ssh?.metadata?.uid).toBe('ssh-b');
    expect(key?.metadata?.uid).toBe('key-b');
  });

  it('finds backup locations by name and type', async () => {
    // Prepare
    const ctx = client(() =>
      json(200, {
        items: [
          { metadata: { name: 'backups', uid: 'gcp-1' }, spec: { storage: 'gcp', type: 'gcp' } },
          { metadata: { name: 'backups', uid: 's3-1' }, spec: { storage: 's3', type: 's3' } },
          { metadata: { name: 'minio', uid: 'm-1' }, spec: { storage: 'minio' } },
          { metadata: { name: 'az', uid: 'az-1' }, spec: { type: 'azure' } },
        ],
      }),
    );
    // Act
    const s3 = await ctx.palette.backupLocations.s3.findByName('backups');
    const gcp = await ctx.palette.backupLocations.gcp.findByName('backups');
    const minioAsS3 = await ctx.palette.backupLocations.s3.findByName('minio');
    const azure = await ctx.palette.backupLocations.azure.findByName('az');
    // Assess
    expect(s3?.metadata?.uid).toBe('s3-1');
    expect(gcp?.metadata?.uid).toBe('gcp-1');
    expect(minioAsS3).toBeUndefined();
    expect(azure?.metadata?.uid).toBe('az-1');
  });
});

describe('clusters', () => {
  it('search pages with limit/continue/offset, POSTing the same all-clusters body each time', async () => {
    // Prepare
    const ctx = client(pagedAccounts(120));
    // Act
    const clusters = await ctx.palette.project('p-1').clusters.search();
    // Assess
    expect(clusters).toHaveLength(120);
    expect(clusters[119]?.metadata?.uid).toBe('uid-119');
    expect(ctx.requests.map((r) => [r.method, r.path])).toEqual(Array(3).fill(['POST', '/v1/dashboard/spectroclusters/search']));
    expect(ctx.requests.map((r) => Object.fromEntries(r.query))).toEqual([
      { limit: '50' },
      { limit: '50', continue: 'tok-50', offset: '50' },
      { limit: '50', continue: 'tok-100', offset: '100' },
    ]);
    expect(ctx.requests.every((r) => JSON.stringify(r.body) === JSON.stringify({ filter: { conjunction: 'and', filterGroups: [] }, sort: [] }))).toBe(true);
  });

  it('search stops when the server repeats a continue token', async () => {
    // Prepare
    const ctx = client(() => json(200, { items: [{ metadata: { uid: 'c' } }], listmeta: { continue: 'same', offset: 1, count: 9, limit: 50 } }));
    // Act
    const error = await rejectionOf(ctx.palette.clusters.search());
    // Assess
    expect((error as PaletteApiError).code).toBe('PaginationLoop');
    expect(ctx.requests).toHaveLength(2);
  });

  it('backupConfig returns spec.config, and undefined for a 404 or BackupNotConfigured', async () => {
    // Prepare
    const config = { backupLocationUid: 'loc-1', backupLocationName: 'acme-s3', backupPrefix: 'prod' };
    const ctx = client((req) => {
      if (req.path.includes('/with/')) return json(200, { metadata: { uid: 'with' }, spec: { clusterUid: 'with', config } });
      if (req.path.includes('/gone/')) return json(404, { code: 'ResourceNotFound', message: 'cluster not found' });
      if (req.path.includes('/none/')) return json(400, { code: 'BackupNotConfigured', message: 'no backup' });
      return json(403, { code: 'Forbidden', message: 'no' });
    });
    // Act
    const found = await ctx.palette.clusters.backupConfig('with');
    const gone = await ctx.palette.clusters.backupConfig('gone');
    const none = await ctx.palette.clusters.backupConfig('none');
    const forbidden = await rejectionOf(ctx.palette.clusters.backupConfig('denied'));
    // Assess
    expect(found).toEqual(config);
    expect(gone).toBeUndefined();
    expect(none).toBeUndefined();
    expect(forbidden).toBeInstanceOf(PaletteForbiddenError);
    expect(ctx.requests.map((r) => r.path)).toEqual([
      '/v1/spectroclusters/with/features/backup',
      '/v1/spectroclusters/gone/features/backup',
      '/v1/spectroclusters/none/features/backup',
      '/v1/spectroclusters/denied/features/backup',
    ]);
  });

  it('backupConfig rejects an empty uid before sending anything', async () => {
    // Prepare
    const ctx = client(palettish);
    // Act
    const error = await rejectionOf(ctx.palette.clusters.backupConfig(' '));
    // Assess
    expect(error).toBeInstanceOf(TypeError);
    expect(ctx.requests).toHaveLength(0);
  });
});
