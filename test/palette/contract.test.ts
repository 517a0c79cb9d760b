/**
 * Contract test: the production PaletteClient against the Palette emulator (real HTTP on 127.0.0.1, AWS sandbox
 * behind the validate endpoints), with every request and response on the wire recorded through the client's `fetch`
 * option and checked against the official subset (openapi-subset.json) and its supplement (supplement.json) by
 * contract-check.ts.
 *
 * The scenario calls every client helper (and `raw` for the two operations without one), in tenant and project scope,
 * including failures (401, 403, 404, 409, 400, 429), so that error bodies are checked too. The emulator's own response
 * validation is switched OFF here: otherwise a bad response would become a 500 v1Error that passes the check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PaletteClient, type FetchFunction, type S3Location } from '../../lambdas/services/palette';
import { INFERRED_OPERATIONS } from '../../lambdas/services/palette/inferred-api';
import { SUPPLEMENT_OPERATIONS } from '../../lambdas/services/palette/supplement-api';
import { contractChecker, type ExchangeReport } from './contract-check';
import {
  AZURE_CLIENT_ID,
  AZURE_TENANT_ID,
  backupBucketPolicy,
  type Exchange,
  gcpServiceAccountJson,
  paletteClients,
  paletteTrustPolicy,
  type PaletteTestWorld,
  recordingFetch,
  sshPublicKey,
  startPaletteTestWorld,
} from './fixtures';

/** Swallows the expected failure of a call (its exchange is what matters here); fails if the call succeeds. */
async function failing(promise: Promise<unknown>): Promise<void> {
  let failed = false;
  try {
    await promise;
  } catch {
    failed = true;
  }
  expect(failed, 'the call was expected to fail').toBe(true);
}

/** Answers PUT on the STS account paths with 405 (a Palette without the spec's PUT) so the client uses POST. */
function withoutStsPut(inner: FetchFunction): FetchFunction {
  return async (input, init) => {
    const path = new URL(input instanceof Request ? input.url : input.toString()).pathname;
    if (init?.method === 'PUT' && /^\/v1\/system\/config\/aws(gov)?\/sts\/account$/.test(path)) {
      return new Response(JSON.stringify({ code: 'MethodNotAllowed', message: 'PUT not allowed' }), { status: 405, headers: { 'Content-Type': 'application/json' } });
    }
    return inner(input, init);
  };
}

async function scenario(world: PaletteTestWorld, fetch: FetchFunction, exchanges: readonly Exchange[]): Promise<void> {
  const palette = world.palette;
  const { system, tenant, user } = paletteClients(palette, { fetch, rateLimit: false });
  const project = tenant.project(palette.projectUid);

  // System console (syslogin), PUT and the POST fallback, gov variant, devops account, reverse proxy.
  await system.system.getAwsStsAccount();
  expect(await system.system.setAwsStsAccount({ accountId: '123456789012', accessKey: 'AKIASTSCONTRACT00001', secretKey: 'sts-secret-1' })).toBe('PUT');
  const postFallback = new PaletteClient({
    baseUrl: palette.endpoint,
    fetch: withoutStsPut(fetch),
    rateLimit: false,
    auth: { type: 'system', credentials: async () => ({ username: palette.systemUser, password: palette.systemPassword }) },
  });
  expect(await postFallback.system.setAwsStsAccount({ accountId: '123456789012', accessKey: 'AKIASTSCONTRACT00002', secretKey: 'sts-secret-2' })).toBe('POST');
  expect(await postFallback.system.setAwsGovStsAccount({ accountId: '210987654321', accessKey: 'AKIAGOVCONTRACT00001', secretKey: 'gov-secret' })).toBe('POST');
  expect(await system.system.setAwsGovStsAccount({ accountId: '210987654321', accessKey: 'AKIAGOVCONTRACT00002', secretKey: 'gov-secret-2' })).toBe('PUT');
  await system.system.getAwsGovStsAccount();
  await system.system.updateAwsAccount({ spec: { accessKey: 'AKIADEVOPS0000000001', secretKey: 'devops-secret' } });
  await system.system.getAwsAccount();
  await system.system.updateReverseProxy({ server: 'proxy.example.com', port: 443, protocol: 'https', vHostPort: 8443, caCert: 'ca', clientCert: 'cert', clientKey: 'key' });
  await system.system.getReverseProxy();
  await failing(tenant.system.getAwsStsAccount()); // 403
  await failing(system.sshKeys.list()); // system token on a tenant endpoint: 403
  const badSystem = new PaletteClient({ baseUrl: palette.endpoint, fetch, rateLimit: false, auth: { type: 'system', credentials: async () => ({ username: 'admin', password: 'wrong' }) } });
  await failing(badSystem.system.getAwsStsAccount()); // syslogin 401

  // Tenant login, token refresh (no helper: raw), bad API key.
  await user.sshKeys.list();
  const login = [...exchanges].reverse().find((e) => e.url.includes('/v1/auth/authenticate') && e.status === 200);
  const token = String((JSON.parse(login?.responseBody ?? '{}') as { Authorization?: string }).Authorization);
  const refreshed = await tenant.raw.GET('/v1/auth/refresh/{token}', { params: { path: { token }, query: { setCookie: false } } });
  expect(refreshed.data?.Authorization).toBeTypeOf('string');
  await failing(new PaletteClient({ baseUrl: palette.endpoint, fetch, rateLimit: false, auth: { type: 'apiKey', apiKey: 'not-a-key' } }).sshKeys.list());

  // Palette's STS identity and the AWS validations (real checks against the AWS sandbox).
  const sts = await tenant.clouds.getAwsAccountSts();
  await project.clouds.getAwsAccountSts('aws-us-gov');
  const externalId = String(sts.externalId);
  const bucket = await world.bucket('contract-backups');
  const roleArn = await world.role('PaletteContract', paletteTrustPolicy(externalId), backupBucketPolicy(bucket));
  const stsCreds = { credentialType: 'sts' as const, sts: { arn: roleArn, externalId } };
  await tenant.clouds.validateAwsAccount(stsCreds);
  await failing(tenant.clouds.validateAwsAccount({ credentialType: 'sts', sts: { arn: roleArn, externalId: 'wrong' } }));
  await project.clouds.validateS3Bucket({ bucket, region: 'us-east-1', credentials: stsCreds });
  const noPutRole = await world.role('PaletteContractNoPut', paletteTrustPolicy(externalId), backupBucketPolicy(bucket, false));
  await failing(tenant.clouds.validateS3Bucket({ bucket, region: 'us-east-1', credentials: { credentialType: 'sts', sts: { arn: noPutRole, externalId } } }));
  await tenant.clouds.validateGcpAccount({ spec: { jsonCredentials: gcpServiceAccountJson() } });
  await tenant.clouds.validateGcpBucketName({ bucketName: 'contract-gcs', credentials: { jsonCredentials: gcpServiceAccountJson() } });
  await failing(tenant.clouds.validateGcpBucketName({ bucketName: 'Not_A_Bucket!', credentials: { jsonCredentials: gcpServiceAccountJson() } }));
  await tenant.clouds.validateAzureAccount({ tenantId: AZURE_TENANT_ID, clientId: AZURE_CLIENT_ID, clientSecret: 'azure-secret' });

  // AWS cloud accounts (project scope), with the validate helper, paging via findByName, duplicate and missing.
  const aws = project.cloudAccounts.aws;
  const awsUid = await aws.create({ metadata: { name: 'contract-aws' }, spec: stsCreds });
  await aws.validate(stsCreds);
  const awsAccount = await aws.get(awsUid, { assumeCredentials: false });
  await aws.update(awsUid, { ...awsAccount, spec: { ...awsAccount.spec, policyARNs: ['arn:aws:iam::aws:policy/ReadOnlyAccess'] } });
  await aws.findByName('contract-aws');
  await project.clouds.validateAwsPolicyArns({ account: stsCreds, policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'] }, { cloudAccountUid: awsUid });
  await failing(aws.create({ metadata: { name: 'contract-aws' }, spec: stsCreds })); // 409
  await aws.delete(awsUid);
  await failing(aws.get(awsUid)); // 404
  await failing(tenant.project('000000000000000000000000').sshKeys.list()); // unknown project: 404

  // Azure cloud accounts (tenant scope).
  const azure = tenant.cloudAccounts.azure;
  const azureUid = await azure.create({ metadata: { name: 'contract-azure' }, spec: { tenantId: AZURE_TENANT_ID, clientId: AZURE_CLIENT_ID, clientSecret: 'azure-secret' } });
  await azure.validate({ tenantId: AZURE_TENANT_ID, clientId: AZURE_CLIENT_ID, clientSecret: 'azure-secret' });
  const azureAccount = await azure.get(azureUid);
  await azure.update(azureUid, { ...azureAccount, spec: { tenantId: AZURE_TENANT_ID, clientId: AZURE_CLIENT_ID, clientSecret: 'rotated-secret' } });
  await azure.findByName('contract-azure');
  // More than one page (limit 50): the follow-up request carries continue + offset.
  for (let i = 0; i < 51; i += 1) {
    await azure.create({ metadata: { name: `contract-page-${i}` }, spec: { tenantId: AZURE_TENANT_ID, clientId: AZURE_CLIENT_ID, clientSecret: 'azure-secret' } });
  }
  // The whole list pages; a lookup by name asks Palette to filter (one request).
  expect((await azure.list()).map((a) => a.metadata?.name)).toContain('contract-page-50');
  expect((await azure.findByName('contract-page-50'))?.metadata?.name).toBe('contract-page-50');
  await azure.delete(azureUid);

  // SSH keys.
  const sshUid = await project.sshKeys.create({ metadata: { name: 'contract-ssh' }, spec: { publicKey: sshPublicKey() } });
  const ssh = await project.sshKeys.get(sshUid);
  await project.sshKeys.update(sshUid, { ...ssh, spec: { publicKey: sshPublicKey('rotated') } });
  await project.sshKeys.findByName('contract-ssh');
  await project.sshKeys.delete(sshUid);

  // API keys (tenant scope only).
  const created = await tenant.apiKeys.create({ metadata: { name: 'contract-key' }, spec: { userUid: palette.tenantUid, expiry: new Date(Date.now() + 86_400_000).toISOString() } });
  await tenant.apiKeys.list();
  const key = await tenant.apiKeys.get(created.uid);
  await tenant.apiKeys.update(created.uid, { metadata: key.metadata ?? {}, spec: { expiry: new Date(Date.now() + 2 * 86_400_000).toISOString() } });
  await tenant.apiKeys.setState(created.uid, false);
  await tenant.apiKeys.setActive(created.uid, true);
  await tenant.apiKeys.findByName('contract-key');
  await tenant.apiKeys.delete(created.uid);

  // Backup locations: every type, list, set default, both delete paths.
  const locations = project.backupLocations;
  const s3Body: S3Location = {
    metadata: { name: 'contract-s3' },
    spec: { config: { bucketName: bucket, region: 'us-east-1', credentials: stsCreds } },
  };
  const s3Uid = await locations.s3.create(s3Body);
  const s3 = await locations.s3.get(s3Uid);
  await locations.s3.update(s3Uid, { ...s3, spec: { ...s3.spec, config: { ...s3Body.spec!.config, useRestic: true } } });
  const minioBody: S3Location = {
    metadata: { name: 'contract-minio' },
    spec: {
      config: {
        bucketName: 'minio-backups',
        region: 'us-east-1',
        s3Url: 'http://minio.local:9000',
        s3ForcePathStyle: true,
        credentials: { credentialType: 'secret', accessKey: 'minio-access', secretKey: 'minio-secret' },
      },
    },
  };
  const minioUid = await locations.minio.create(minioBody);
  await locations.minio.update(minioUid, await locations.minio.get(minioUid));
  const gcpUid = await locations.gcp.create({ metadata: { name: 'contract-gcp' }, spec: { config: { bucketName: 'contract-gcs', credentials: { jsonCredentials: gcpServiceAccountJson() } } } });
  await locations.gcp.update(gcpUid, await locations.gcp.get(gcpUid));
  const azureLocUid = await locations.azure.create({
    metadata: { name: 'contract-blob' },
    spec: {
      config: {
        containerName: 'velero',
        storageName: 'contractstorage',
        resourceGroup: 'rg-backups',
        credentials: { tenantId: AZURE_TENANT_ID, clientId: AZURE_CLIENT_ID, clientSecret: 'azure-secret', subscriptionId: AZURE_TENANT_ID },
      },
    },
  });
  await locations.azure.update(azureLocUid, await locations.azure.get(azureLocUid));
  await locations.s3.setDefault(s3Uid);
  await locations.gcp.setDefault(gcpUid);
  await locations.azure.setDefault(azureLocUid);
  await locations.minio.setDefault(minioUid);
  await locations.list();
  await locations.gcp.findByName('contract-gcp');
  await failing(locations.s3.create(s3Body)); // 409

  // Clusters (supplement): more than one page of the search in the project, a backup configuration, a cluster
  // without one (404 BackupNotConfigured), and the tenant scope.
  const clusterAccount = await aws.create({ metadata: { name: 'contract-cluster-aws' }, spec: stsCreds });
  const backedUp = palette.addCluster({ name: 'contract-backed-up', projectUid: palette.projectUid, cloudAccountUid: clusterAccount, backupLocationUid: s3Uid });
  for (let i = 0; i < 50; i += 1) palette.addCluster({ name: `contract-cluster-${i}`, projectUid: palette.projectUid, cloudAccountUid: clusterAccount });
  expect(await project.clusters.search()).toHaveLength(51);
  expect((await project.clusters.backupConfig(backedUp))?.backupLocationUid).toBe(s3Uid);
  expect(await project.clusters.backupConfig(palette.addCluster({ name: 'contract-no-backup', projectUid: palette.projectUid, cloudAccountUid: clusterAccount }))).toBeUndefined();
  await tenant.clusters.search();

  // Private cloud gateways (supplement): the list (with and without the name query), one by uid, an unknown uid (404),
  // and a cloud account linked to one with the overlordUid annotation.
  const gatewayUid = palette.addGateway({ name: 'contract-pcg' });
  palette.addGateway({ name: 'contract-pcg-pending', state: 'Pending' });
  expect((await tenant.privateCloudGateways.list()).map((g) => g.metadata?.name)).toEqual(['contract-pcg', 'contract-pcg-pending']);
  expect(await tenant.privateCloudGateways.findAllByName('contract-pcg')).toHaveLength(1);
  expect((await tenant.privateCloudGateways.get(gatewayUid)).status?.state).toBe('Running');
  await failing(tenant.privateCloudGateways.get('000000000000000000000000'));
  const linked = await tenant.cloudAccounts.azure.create({
    metadata: { name: 'contract-azure-pcg', annotations: { overlordUid: gatewayUid } },
    spec: { tenantId: AZURE_TENANT_ID, clientId: AZURE_CLIENT_ID, clientSecret: 'azure-secret', azureEnvironment: 'AzureChinaCloud' },
  });
  await tenant.cloudAccounts.azure.delete(linked);

  await locations.s3.delete(s3Uid);
  const removed = await project.backupLocations.azure.findByName('contract-blob');
  await tenant.raw.DELETE('/v1/users/assets/locations/s3/{uid}', { params: { path: { uid: String(removed?.metadata?.uid) } }, headers: { ProjectUid: palette.projectUid } });

  // A 429 from the emulator (injected once), retried by the client.
  palette.configure({ faults: { rules: [{ pathPrefix: '/v1/users/assets/locations', method: 'GET', rate: 1, kind: '429', times: 1 }] } });
  await locations.list();
}

describe('contract: client requests and emulator responses follow the official subset', () => {
  let world: PaletteTestWorld;
  let exchanges: Exchange[];
  let reports: { exchange: Exchange; report: ExchangeReport }[];

  beforeAll(async () => {
    world = await startPaletteTestWorld({ validateResponses: false });
    const recorder = recordingFetch();
    exchanges = recorder.exchanges;
    await scenario(world, recorder.fetch, recorder.exchanges);
    const checker = contractChecker();
    reports = exchanges.map((exchange) => ({ exchange, report: checker.check(exchange) }));
  });

  afterAll(async () => {
    await world?.stop();
  });

  it('every request and response validates (operation, query, body, headers, status, schema)', () => {
    expect(exchanges.length).toBeGreaterThan(70);
    const bad = reports
      .filter((r) => r.report.violations.length > 0)
      .map((r) => `${r.exchange.method} ${r.exchange.url} -> ${r.exchange.status}: ${r.report.violations.join('; ')}`);
    expect(bad).toEqual([]);
  });

  it('exercises every operation of the subset and the supplement, each with a successful response', () => {
    const operations = contractChecker().operations;
    const all = operations.map((o) => `${o.method} ${o.template}`).sort();
    const succeeded = new Set(reports.filter((r) => (r.exchange.status ?? 0) < 300).map((r) => r.report.operation));
    expect(all.filter((op) => !succeeded.has(op))).toEqual([]);
    expect(operations.filter((o) => !o.supplement).length).toBe(58);
    expect(operations.filter((o) => o.supplement).map((o) => `${o.method} ${o.template}`).sort()).toEqual([...SUPPLEMENT_OPERATIONS].sort());
  });

  it('uses operations outside the official paths only where documented (inferred-api.ts)', () => {
    const inferred = [...new Set(reports.filter((r) => r.report.inferred).map((r) => r.report.operation))].sort();
    expect(inferred).toEqual([...INFERRED_OPERATIONS].sort());
  });

  it('uses the supplement only for the operations the client declares (supplement-api.ts)', () => {
    const supplement = [...new Set(reports.filter((r) => r.report.supplement).map((r) => r.report.operation))].sort();
    expect(supplement).toEqual([...SUPPLEMENT_OPERATIONS].sort());
  });

  it('saw the expected error statuses as v1Error bodies, and no server errors', () => {
    const statuses = new Set(exchanges.map((e) => e.status));
    for (const s of [400, 401, 403, 404, 409, 429]) expect(statuses, `status ${s}`).toContain(s);
    expect(exchanges.filter((e) => e.status === undefined || e.status >= 500)).toEqual([]);
  });

  it('sent every declared query parameter the client uses, including the paging token and the name filter', () => {
    const sent = new Set(exchanges.flatMap((e) => [...new URL(e.url).searchParams.keys()].map((k) => `${new URL(e.url).pathname.replace(/[0-9a-f]{24}/g, '{uid}')}?${k}`)));
    expect([...sent].sort()).toEqual(
      expect.arrayContaining([
        '/v1/auth/authenticate?setCookie',
        '/v1/clouds/aws/account/sts?partition',
        '/v1/clouds/aws/policyArns/validate?cloudAccountUid',
        '/v1/cloudaccounts/aws/{uid}?assumeCredentials',
        '/v1/cloudaccounts/azure?limit',
        '/v1/cloudaccounts/azure?continue',
        '/v1/cloudaccounts/azure?offset',
        '/v1/cloudaccounts/azure?filters',
        '/v1/cloudaccounts/aws?filters',
        '/v1/users/assets/sshkeys?filters',
        '/v1/users/assets/locations?filters',
        '/v1/dashboard/spectroclusters/search?limit',
        '/v1/dashboard/spectroclusters/search?continue',
        '/v1/dashboard/spectroclusters/search?offset',
      ]),
    );
  });

  it('sent ProjectUid on project-scoped calls and never on API key or system calls', () => {
    const withProject = exchanges.filter((e) => e.requestHeaders.projectuid === world.palette.projectUid);
    expect(withProject.some((e) => e.url.includes('/v1/cloudaccounts/aws'))).toBe(true);
    expect(withProject.some((e) => e.url.includes('/v1/users/assets/locations'))).toBe(true);
    expect(withProject.some((e) => e.url.includes('/v1/dashboard/spectroclusters/search'))).toBe(true);
    expect(withProject.some((e) => e.url.includes('/features/backup'))).toBe(true);
    expect(exchanges.filter((e) => e.requestHeaders.projectuid !== undefined && /\/v1\/(apiKeys|system|auth)/.test(e.url))).toEqual([]);
  });
});

describe('contract checker (catches what it must)', () => {
  const checker = contractChecker();
  const base: Exchange = {
    method: 'GET',
    url: 'http://127.0.0.1:1/v1/users/assets/sshkeys',
    requestHeaders: { apikey: 'k' },
    requestBody: undefined,
    status: 200,
    responseHeaders: { 'content-type': 'application/json' },
    responseBody: JSON.stringify({ items: [] }),
  };
  const violations = (patch: Partial<Exchange>, c = checker) => c.check({ ...base, ...patch }).violations;

  it('accepts a valid exchange', () => {
    expect(violations({})).toEqual([]);
  });

  it('flags supplement operations the client does not declare', () => {
    const strict = contractChecker(INFERRED_OPERATIONS, []);
    const search = strict.check({
      ...base,
      method: 'POST',
      url: 'http://127.0.0.1:1/v1/dashboard/spectroclusters/search',
      requestHeaders: { apikey: 'k', 'content-type': 'application/json' },
      requestBody: '{"filter":{"conjunction":"and","filterGroups":[]},"sort":[]}',
    });
    expect(search.violations).toEqual(['POST /v1/dashboard/spectroclusters/search is in the supplement but not declared by the client (SUPPLEMENT_OPERATIONS)']);
    const badFilter = {
      method: 'POST',
      url: 'http://127.0.0.1:1/v1/dashboard/spectroclusters/search',
      requestHeaders: { apikey: 'k', 'content-type': 'application/json' },
      requestBody: '{"filter":{"conjunction":"xor"}}',
    };
    expect(violations(badFilter)).toEqual(['request filter.conjunction: must be one of "and", "or"']);
    expect(violations({ ...badFilter, requestBody: '{}', responseBody: '{"listmeta":{"continue":""}}' })).toEqual(['response 200 items: is required']);
  });

  it('flags operations outside the subset and undocumented inferred ones', () => {
    expect(violations({ url: 'http://127.0.0.1:1/v1/users/assets/sshkeys/x/y' })[0]).toMatch(/not an operation of the official subset/);
    expect(violations({ method: 'PATCH' })[0]).toMatch(/method-not-allowed/);
    const strict = contractChecker([]);
    const syslogin = violations(
      { method: 'POST', url: 'http://127.0.0.1:1/v1/auth/syslogin', requestHeaders: { 'content-type': 'application/json' }, requestBody: '{"username":"a","password":"b"}', responseBody: '{"Authorization":"t"}' },
      strict,
    );
    expect(syslogin).toEqual(['POST /v1/auth/syslogin is in no official path and is not a documented inferred operation']);
  });

  it('flags request problems: undeclared fields and query parameters, wrong types, credentials, ProjectUid', () => {
    const post = { method: 'POST', requestHeaders: { apikey: 'k', 'content-type': 'application/json' }, status: 201, responseBody: '{"uid":"u"}', responseHeaders: { 'content-type': 'application/json', audituid: 'a' } };
    expect(violations({ ...post, requestBody: JSON.stringify({ metadata: { name: 'a' }, spec: { publicKey: 'k', extra: 1 } }) })).toEqual([
      'request spec.extra: is not a field of this schema',
    ]);
    expect(violations({ ...post, requestBody: JSON.stringify({ metadata: { name: 5 } }) })).toEqual(['request metadata.name: must be string']);
    expect(violations({ url: `${base.url}?limit=5` })).toEqual(["query parameter 'limit' is not declared for v1UsersAssetsSshGet"]);
    expect(violations({ requestHeaders: {} })).toEqual(['expected exactly one of the ApiKey and Authorization headers']);
    expect(violations({ requestHeaders: { authorization: 'Bearer t' } })).toEqual(['Authorization must carry the raw token (no Bearer prefix)']);
    expect(violations({ url: 'http://127.0.0.1:1/v1/apiKeys', requestHeaders: { apikey: 'k', projectuid: 'p' } })).toEqual([
      'ProjectUid sent to v1ApiKeysList, whose scope is tenant',
    ]);
    expect(violations({ requestBody: '{}', requestHeaders: { apikey: 'k', 'content-type': 'application/json' } })).toEqual([
      'v1UsersAssetsSshGet takes no body but one was sent',
    ]);
  });

  it('flags response problems: undeclared fields, bodies on 204, non-v1Error errors, missing AuditUid', () => {
    expect(violations({ responseBody: JSON.stringify({ items: [{ metadata: { name: 'a' }, surprise: true }] }) })).toEqual([
      'response 200 items[0].surprise: is not a field of this schema',
    ]);
    expect(violations({ method: 'DELETE', url: `${base.url}/abc`, status: 204, responseBody: '{}' })).toEqual(['response 204 body: a 204 response must have an empty body']);
    expect(violations({ status: 404, responseBody: JSON.stringify({ error: 'nope' }) })).toEqual(['response 404 error: is not a field of this schema']);
    expect(violations({ status: 404, responseBody: 'not found', responseHeaders: { 'content-type': 'text/plain' } })[0]).toMatch(/^response body is not JSON/);
    const create = {
      method: 'POST',
      url: 'http://127.0.0.1:1/v1/cloudaccounts/aws',
      requestHeaders: { apikey: 'k', 'content-type': 'application/json' },
      requestBody: '{"metadata":{"name":"a"},"spec":{}}',
      status: 201,
      responseBody: '{"uid":"u"}',
    };
    expect(violations(create)).toEqual(['response 201 lacks the declared header AuditUid']);
    expect(violations({ ...create, responseHeaders: { 'content-type': 'application/json', audituid: 'x' } })).toEqual([]);
  });
});
