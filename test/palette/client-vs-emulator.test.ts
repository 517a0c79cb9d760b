/**
 * The production PaletteClient (lambdas/services/palette) against the Palette emulator (local/palette) over real HTTP
 * on 127.0.0.1, with the AWS sandbox behind the validate endpoints (startLocalSandbox starts both).
 *
 * Every operation of issue 3 is called through the client's public helpers; results are checked through the client
 * and through the emulator's inspection API (state, request log). Errors must surface as the named classes with
 * Palette's code and the field name; secrets must be masked on GET and never appear in errors or logs; tokens are
 * refreshed; 429s are retried within the budget.
 */
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  PaletteApiError,
  PaletteAuthError,
  PaletteClient,
  PaletteConflictError,
  PaletteForbiddenError,
  PaletteNotFoundError,
  PaletteServerError,
  PaletteThrottledError,
  PaletteValidationError,
  type Clock,
  type FetchFunction,
  type PaletteClientOptions,
  type S3Location,
  type SystemReverseProxy,
} from '../../lambdas/services/palette';
import { PALETTE_SAAS_ACCOUNT_ID, type RequestLogEntry, startPaletteEmulator } from '../../local/palette/index';
import { memoryLogger } from '../unit/palette-client-helpers';
import {
  AZURE_CLIENT_ID,
  AZURE_TENANT_ID,
  backupBucketPolicy,
  gcpServiceAccountJson,
  paletteClients,
  paletteTrustPolicy,
  type PaletteTestWorld,
  recordingFetch,
  sshPublicKey,
  startPaletteTestWorld,
  TENANT_ACCOUNT,
} from './fixtures';

const MASK = '************';
const MINUTE = 60_000;

type ErrorClass<E extends PaletteApiError> = abstract new (...args: never[]) => E;

/** The rejection of `promise`, which must be an instance of `cls` (with the matching fixed `name`). */
async function rejectsWith<E extends PaletteApiError>(promise: Promise<unknown>, cls: ErrorClass<E>, name: string): Promise<E> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${name}`).toBeInstanceOf(cls);
  const error = caught as E;
  expect(error.name).toBe(name);
  return error;
}

function field(error: PaletteApiError): unknown {
  const details = error.details;
  return typeof details === 'object' && details !== null && 'field' in details ? details.field : undefined;
}

function detail(error: PaletteApiError, key: string): unknown {
  const details = error.details;
  return typeof details === 'object' && details !== null && key in details ? (details as Record<string, unknown>)[key] : undefined;
}

/** A real clock whose `now` can be moved forward (the client's view of time only). */
function skewableClock(): Clock & { skew: number } {
  const clock = {
    skew: 0,
    now: () => Date.now() + clock.skew,
    sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  };
  return clock;
}

describe('PaletteClient against the Palette emulator', () => {
  let world: PaletteTestWorld;
  let clients: ReturnType<typeof paletteClients>;
  let externalId: string;
  const logger = memoryLogger();
  /** Every secret value used below; none may appear in any log line. */
  const secrets = new Set<string>();

  const palette = () => world.palette;
  const log = (): RequestLogEntry[] => world.palette.requests();
  const since = (mark: number) => log().slice(mark);
  const client = (options: Omit<PaletteClientOptions, 'baseUrl'>) => new PaletteClient({ baseUrl: palette().endpoint, logger, ...options });
  const systemAuth = { type: 'system' as const, credentials: async () => ({ username: palette().systemUser, password: palette().systemPassword }) };

  beforeAll(async () => {
    world = await startPaletteTestWorld();
    clients = paletteClients(world.palette, { logger });
    externalId = String((await clients.tenant.clouds.getAwsAccountSts()).externalId);
    for (const s of [world.palette.systemPassword, world.palette.apiKey, world.palette.tenantPassword]) secrets.add(s);
  });

  afterAll(async () => {
    await world?.stop();
  });

  afterEach(() => {
    world.palette.configure({ rateLimit: false, clockOffsetMs: 0, faults: { rules: [] }, latency: { defaultMs: 0, jitterMs: 0, perPrefix: {} } });
  });

  describe('authentication and scope', () => {
    it('logs in with syslogin once, reuses the token, and calls system endpoints with it', async () => {
      const system = client({ auth: systemAuth });
      const mark = log().length;
      expect(await system.system.getAwsStsAccount()).toEqual({});
      await system.system.getReverseProxy();
      const calls = since(mark);
      expect(calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([
        'POST /v1/auth/syslogin 200',
        'GET /v1/system/config/aws/sts/account 200',
        'GET /v1/system/config/reverseproxy 200',
      ]);
      expect(calls.slice(1).every((c) => c.principal === 'system')).toBe(true);
    });

    it('logs in as a tenant user with /v1/auth/authenticate and works in tenant scope', async () => {
      const user = client({ auth: { type: 'tenant', credentials: async () => ({ emailId: palette().tenantUser, password: palette().tenantPassword }) } });
      const mark = log().length;
      expect(Array.isArray(await user.sshKeys.list())).toBe(true);
      const calls = since(mark);
      expect(calls[0]).toMatchObject({ method: 'POST', path: '/v1/auth/authenticate', status: 200 });
      expect(calls[1]).toMatchObject({ path: '/v1/users/assets/sshkeys', status: 200, principal: 'tenant-token', scope: 'tenant' });
    });

    it('authenticates with an API key from a provider, read once', async () => {
      let reads = 0;
      const tenant = client({
        auth: {
          type: 'apiKey',
          apiKey: async () => {
            reads += 1;
            return palette().apiKey;
          },
        },
      });
      await tenant.sshKeys.list();
      await tenant.backupLocations.list();
      expect(reads).toBe(1);
      expect(log().at(-1)).toMatchObject({ principal: 'api-key', status: 200 });
    });

    it('raises PaletteAuthError for wrong credentials without revealing them', async () => {
      const wrongPassword = 'wrong-system-password-123';
      secrets.add(wrongPassword);
      const sys = client({ auth: { type: 'system', credentials: async () => ({ username: palette().systemUser, password: wrongPassword }) } });
      const e1 = await rejectsWith(sys.system.getAwsStsAccount(), PaletteAuthError, 'PaletteAuthError');
      expect(e1).toMatchObject({ status: 401, code: 'InvalidCredentials', method: 'POST', path: '/v1/auth/syslogin' });
      expect(`${e1.message} ${JSON.stringify(e1)}`).not.toContain(wrongPassword);

      const wrongKey = 'SbxWrongApiKey000000000000000000';
      secrets.add(wrongKey);
      let reads = 0;
      const keyed = client({
        auth: {
          type: 'apiKey',
          apiKey: async () => {
            reads += 1;
            return wrongKey;
          },
        },
      });
      const e2 = await rejectsWith(keyed.sshKeys.list(), PaletteAuthError, 'PaletteAuthError');
      expect(e2).toMatchObject({ status: 401, code: 'Unauthorized' });
      expect(e2.message).not.toContain(wrongKey);
      expect(reads).toBe(2); // re-read once after the 401 (a rotated key would be picked up)
    });

    it('raises PaletteForbiddenError on /v1/system/* without a syslogin token, and for a system token on tenant APIs', async () => {
      for (const c of [clients.tenant, clients.user]) {
        const e = await rejectsWith(c.system.getAwsStsAccount(), PaletteForbiddenError, 'PaletteForbiddenError');
        expect(e).toMatchObject({ status: 403, code: 'Forbidden', path: '/v1/system/config/aws/sts/account' });
      }
      const e = await rejectsWith(clients.system.sshKeys.list(), PaletteForbiddenError, 'PaletteForbiddenError');
      expect(e.serverMessage).toMatch(/system console token cannot call tenant or project APIs/);
    });

    it('sends ProjectUid for project scope: resources stay in their scope, unknown projects are 404', async () => {
      const project = clients.tenant.project(palette().projectUid);
      const uid = await project.sshKeys.create({ metadata: { name: 'scoped-key' }, spec: { publicKey: sshPublicKey() } });
      expect(log().at(-1)).toMatchObject({ scope: `project:${palette().projectUid}`, status: 201 });
      expect((await project.sshKeys.findByName('scoped-key'))?.metadata?.uid).toBe(uid);
      expect(await clients.tenant.sshKeys.findByName('scoped-key')).toBeUndefined();
      const tenantUid = await clients.tenant.sshKeys.create({ metadata: { name: 'scoped-key' }, spec: { publicKey: sshPublicKey() } });
      expect(tenantUid).not.toBe(uid);
      await rejectsWith(clients.tenant.sshKeys.get(uid), PaletteNotFoundError, 'PaletteNotFoundError');

      const state = palette().inspect() as { tenants: { scopes: Record<string, { sshKeys: { uid: string }[] }> }[] };
      expect(state.tenants[0]?.scopes[`project:${palette().projectUid}`]?.sshKeys.map((k) => k.uid)).toContain(uid);
      expect(state.tenants[0]?.scopes.tenant?.sshKeys.map((k) => k.uid)).toContain(tenantUid);

      const unknown = await rejectsWith(clients.tenant.project('0123456789abcdef01234567').sshKeys.list(), PaletteNotFoundError, 'PaletteNotFoundError');
      expect(unknown.serverMessage).toMatch(/^ProjectUid: project '0123456789abcdef01234567' not found/);
      expect(field(unknown)).toBe('ProjectUid');
    });
  });

  describe('token lifetime', () => {
    it('replaces the token before its 15-minute lifetime ends, without a 401', async () => {
      const clock = skewableClock();
      const system = client({ auth: systemAuth, clock });
      const mark = log().length;
      await system.system.getAwsStsAccount();
      clock.skew = 11 * MINUTE;
      await system.system.getAwsStsAccount();
      clock.skew = 13 * MINUTE; // past the 12-minute refresh point
      await system.system.getAwsStsAccount();
      const calls = since(mark);
      expect(calls.filter((c) => c.path === '/v1/auth/syslogin')).toHaveLength(2);
      expect(calls.filter((c) => c.status === 401)).toEqual([]);
      expect(calls.map((c) => c.path)).toEqual([
        '/v1/auth/syslogin',
        '/v1/system/config/aws/sts/account',
        '/v1/system/config/aws/sts/account',
        '/v1/auth/syslogin',
        '/v1/system/config/aws/sts/account',
      ]);
    });

    it('logs in again and retries once when Palette answers 401 TokenExpired', async () => {
      const system = client({ auth: systemAuth });
      const user = client({ auth: { type: 'tenant', credentials: async () => ({ emailId: palette().tenantUser, password: palette().tenantPassword }) } });
      await system.system.getAwsStsAccount();
      await user.sshKeys.list();
      palette().configure({ clockOffsetMs: 16 * MINUTE }); // the tokens expire on Palette's side only
      const mark = log().length;
      await system.system.getAwsStsAccount();
      await user.sshKeys.list();
      expect(since(mark).map((c) => `${c.path} ${c.status}${c.code ? ` ${c.code}` : ''}`)).toEqual([
        '/v1/system/config/aws/sts/account 401 TokenExpired',
        '/v1/auth/syslogin 200',
        '/v1/system/config/aws/sts/account 200',
        '/v1/users/assets/sshkeys 401 TokenExpired',
        '/v1/auth/authenticate 200',
        '/v1/users/assets/sshkeys 200',
      ]);
    });
  });

  describe('system configuration (syslogin)', () => {
    it('PUTs the STS account, masks its secret on GET, and serves GET /v1/system/config/aws/account', async () => {
      const secretKey = 'sts-system-secret-value-1';
      secrets.add(secretKey);
      expect(await clients.system.system.setAwsStsAccount({ accountId: '123456789012', accessKey: 'AKIASYSTEMSTS0000001', secretKey })).toBe('PUT');
      expect(await clients.system.system.getAwsStsAccount()).toEqual({ accountId: '123456789012', accessKey: 'AKIASYSTEMSTS0000001', secretKey: MASK });
      expect(await clients.system.system.getAwsAccount()).toEqual({ spec: { accessKey: 'AKIASYSTEMSTS0000001', secretKey: MASK } });
      expect(log().at(-3)).toMatchObject({ method: 'PUT', path: '/v1/system/config/aws/sts/account', status: 204 });
      // SaaS mode: tenants keep seeing Palette's own account.
      expect((await clients.tenant.clouds.getAwsAccountSts()).accountId).toBe(PALETTE_SAAS_ACCOUNT_ID);
    });

    it('falls back to the documented POST when PUT is not accepted (404/405), for aws and awsgov', async () => {
      const rejectPut: FetchFunction = async (input, init) => {
        const path = new URL(input instanceof Request ? input.url : input.toString()).pathname;
        if (init?.method === 'PUT' && path.endsWith('/sts/account')) {
          return new Response(JSON.stringify({ code: 'MethodNotAllowed', message: 'PUT is not supported' }), { status: 405, headers: { 'Content-Type': 'application/json' } });
        }
        return fetch(input, init);
      };
      const older = client({ auth: systemAuth, fetch: rejectPut });
      const mark = log().length;
      expect(await older.system.setAwsStsAccount({ accountId: '123456789012', accessKey: 'AKIASYSTEMSTS0000002', secretKey: 'sts-2' })).toBe('POST');
      expect(await older.system.setAwsGovStsAccount({ accountId: '210987654321', accessKey: 'AKIAGOVSTS0000000001', secretKey: 'gov-1' })).toBe('POST');
      const ops = since(mark).filter((c) => c.path.startsWith('/v1/system/'));
      expect(ops.map((c) => `${c.method} ${c.operationId} ${c.status}`)).toEqual([
        'POST x-inferred-SystemConfigAwsStsAccountPost 204',
        'POST V1SystemConfigAwsGovStsAccountCreate 204',
      ]);
      expect((await clients.system.system.getAwsStsAccount()).accessKey).toBe('AKIASYSTEMSTS0000002');
      expect(await clients.system.system.getAwsGovStsAccount()).toEqual({ accountId: '210987654321', accessKey: 'AKIAGOVSTS0000000001', secretKey: MASK });

      // Other failures are not masked by the fallback.
      const tenantSide = await rejectsWith(clients.tenant.system.setAwsStsAccount({ accountId: '123456789012' }), PaletteForbiddenError, 'PaletteForbiddenError');
      expect(tenantSide.method).toBe('PUT');
    });

    it('PUTs the gov STS account and the devops AWS account', async () => {
      expect(await clients.system.system.setAwsGovStsAccount({ accountId: '210987654321', accessKey: 'AKIAGOVSTS0000000002', secretKey: 'gov-2' })).toBe('PUT');
      expect((await clients.system.system.getAwsGovStsAccount()).accessKey).toBe('AKIAGOVSTS0000000002');
      await clients.system.system.createAwsGovStsAccount({ accountId: '210987654321', accessKey: 'AKIAGOVSTS0000000003', secretKey: 'gov-3' });
      expect((await clients.system.system.getAwsGovStsAccount()).accessKey).toBe('AKIAGOVSTS0000000003');
      await clients.system.system.updateAwsAccount({ spec: { accessKey: 'AKIADEVOPS0000000001', secretKey: 'devops-secret' } });
      expect(await clients.system.system.getAwsAccount()).toEqual({ spec: { accessKey: 'AKIADEVOPS0000000001', secretKey: MASK } });
    });

    it('PUTs and GETs the reverse proxy unchanged (Palette does not mask it)', async () => {
      const proxy: SystemReverseProxy = {
        server: 'proxy.example.com',
        port: 443,
        protocol: 'https',
        vHostPort: 8443,
        caCert: '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----',
        clientCert: '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----',
        clientKey: '-----BEGIN RSA PRIVATE KEY-----\nkey\n-----END RSA PRIVATE KEY-----',
      };
      await clients.system.system.updateReverseProxy(proxy);
      expect(await clients.system.system.getReverseProxy()).toEqual(proxy);
    });

    it('self-hosted: syslogin, configure the STS account, then tenants validate roles trusting that account', async () => {
      const HOST = '222222222222';
      const host = world.sb.aws.createAccount(HOST);
      const hostIam = new IAMClient({ endpoint: world.sb.aws.endpoint, region: world.sb.aws.region, credentials: { accessKeyId: host.accessKeyId, secretAccessKey: host.secretAccessKey } });
      const hosted = await startPaletteEmulator({ port: 0, rateLimit: false, mode: 'self-hosted', aws: { endpoint: world.sb.aws.endpoint, region: world.sb.aws.region } });
      try {
        const hostedClients = paletteClients(hosted, { logger });
        const before = await rejectsWith(hostedClients.tenant.clouds.getAwsAccountSts(), PaletteValidationError, 'PaletteValidationError');
        expect(before.code).toBe('StsNotConfigured');

        await hostIam.send(new CreateUserCommand({ UserName: 'palette-sts' }));
        await hostIam.send(
          new PutUserPolicyCommand({
            UserName: 'palette-sts',
            PolicyName: 'assume',
            PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] }),
          }),
        );
        const key = (await hostIam.send(new CreateAccessKeyCommand({ UserName: 'palette-sts' }))).AccessKey;
        secrets.add(String(key?.SecretAccessKey));
        await hostedClients.system.system.setAwsStsAccount({ accountId: HOST, accessKey: String(key?.AccessKeyId), secretKey: String(key?.SecretAccessKey) });

        const sts = await hostedClients.tenant.clouds.getAwsAccountSts();
        expect(sts.accountId).toBe(HOST);
        const trusted = await world.role('HostedPaletteRole', paletteTrustPolicy(String(sts.externalId), HOST));
        await hostedClients.tenant.cloudAccounts.aws.validate({ credentialType: 'sts', sts: { arn: trusted } });
        const saasTrust = await world.role('SaasTrustRole', paletteTrustPolicy(String(sts.externalId)));
        const denied = await rejectsWith(
          hostedClients.tenant.cloudAccounts.aws.validate({ credentialType: 'sts', sts: { arn: saasTrust } }),
          PaletteValidationError,
          'PaletteValidationError',
        );
        expect(denied.code).toBe('AwsAccountValidationFailed');
        expect(detail(denied, 'action')).toBe('sts:AssumeRole');
      } finally {
        hostIam.destroy();
        await hosted.stop();
      }
    });
  });

  describe("Palette's STS identity", () => {
    it('GET /v1/clouds/aws/account/sts: Palette account, stable per-tenant external id, per partition', async () => {
      const sts = await clients.tenant.clouds.getAwsAccountSts();
      expect(sts).toMatchObject({ accountId: PALETTE_SAAS_ACCOUNT_ID, partition: 'aws', externalId });
      expect(externalId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect((await clients.tenant.project(palette().projectUid).clouds.getAwsAccountSts()).externalId).toBe(externalId);
      const gov = await clients.user.clouds.getAwsAccountSts('aws-us-gov');
      expect(gov.partition).toBe('aws-us-gov');
      expect(gov.externalId).not.toBe(externalId);
    });
  });

  describe('AWS cloud accounts', () => {
    it('creates (STS), gets, finds by name, updates, validates for real, and deletes', async () => {
      const aws = clients.tenant.project(palette().projectUid).cloudAccounts.aws;
      const arn = await world.role('PaletteAccountRole', paletteTrustPolicy(externalId));
      const uid = await aws.create({ metadata: { name: 'aws-prod' }, spec: { credentialType: 'sts', sts: { arn, externalId } } });
      expect(uid).toMatch(/^[0-9a-f]{24}$/);
      const account = await aws.get(uid);
      expect(account.metadata).toMatchObject({ name: 'aws-prod', uid });
      expect(account.spec).toMatchObject({ credentialType: 'sts', partition: 'aws', sts: { arn, externalId } });
      expect((await aws.findByName('aws-prod'))?.metadata?.uid).toBe(uid);
      expect((await aws.list()).map((a) => a.metadata?.name)).toContain('aws-prod');

      await aws.update(uid, { ...account, spec: { ...account.spec, policyARNs: ['arn:aws:iam::aws:policy/ReadOnlyAccess'] } });
      expect((await aws.get(uid)).spec?.policyARNs).toEqual(['arn:aws:iam::aws:policy/ReadOnlyAccess']);

      await aws.validate({ credentialType: 'sts', sts: { arn, externalId } });
      const clouds = clients.tenant.project(palette().projectUid).clouds;
      await clouds.validateAwsAccount({ credentialType: 'sts', sts: { arn } }); // external id defaulted
      await clouds.validateAwsPolicyArns({ account: { credentialType: 'sts', sts: { arn } }, policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'] }, { cloudAccountUid: uid });
      const wrongId = await rejectsWith(aws.validate({ credentialType: 'sts', sts: { arn, externalId: 'not-the-tenant-external-id' } }), PaletteValidationError, 'PaletteValidationError');
      expect(wrongId.code).toBe('AwsAccountValidationFailed');
      expect(wrongId.serverMessage).toMatch(new RegExp(`^sts:AssumeRole denied on ${arn.replace(/\//g, '\\/')}`));
      expect(detail(wrongId, 'action')).toBe('sts:AssumeRole');

      await aws.delete(uid);
      const gone = await rejectsWith(aws.get(uid), PaletteNotFoundError, 'PaletteNotFoundError');
      expect(gone).toMatchObject({ status: 404, code: 'ResourceNotFound' });
      await rejectsWith(aws.delete(uid), PaletteNotFoundError, 'PaletteNotFoundError');
      expect(await aws.findByName('aws-prod')).toBeUndefined();
    });

    it('masks static keys on GET, keeps them on a masked update, and checks them with GetCallerIdentity', async () => {
      const keys = await world.user('palette-static', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' }] }));
      secrets.add(keys.secretKey);
      const aws = clients.tenant.cloudAccounts.aws;
      const uid = await aws.create({ metadata: { name: 'aws-static' }, spec: { accessKey: keys.accessKey, secretKey: keys.secretKey } });
      const got = await aws.get(uid);
      expect(got.spec).toMatchObject({ credentialType: 'secret', accessKey: keys.accessKey, secretKey: MASK });
      expect(JSON.stringify(got)).not.toContain(keys.secretKey);
      await aws.update(uid, got); // sends the mask back
      const state = palette().inspect() as { tenants: { scopes: Record<string, { awsAccounts: { uid: string; secretsSet: string[] }[] }> }[] };
      expect(state.tenants[0]?.scopes.tenant?.awsAccounts.find((a) => a.uid === uid)?.secretsSet).toContain('secretKey');

      await aws.validate({ credentialType: 'secret', accessKey: keys.accessKey, secretKey: keys.secretKey });
      const wrongSecret = 'wrong-secret-access-key-0000000000000000';
      secrets.add(wrongSecret);
      const bad = await rejectsWith(aws.validate({ credentialType: 'secret', accessKey: keys.accessKey, secretKey: wrongSecret }), PaletteValidationError, 'PaletteValidationError');
      expect(detail(bad, 'action')).toBe('sts:GetCallerIdentity');
      expect(`${bad.message} ${JSON.stringify(bad.details)}`).not.toContain(wrongSecret);
      await aws.delete(uid);
    });

    it('raises PaletteConflictError on a duplicate name and PaletteValidationError naming the field', async () => {
      const aws = clients.tenant.cloudAccounts.aws;
      const spec = { credentialType: 'sts' as const, sts: { arn: `arn:aws:iam::${TENANT_ACCOUNT}:role/Any` } };
      const uid = await aws.create({ metadata: { name: 'aws-dup' }, spec });
      const dup = await rejectsWith(aws.create({ metadata: { name: 'aws-dup' }, spec }), PaletteConflictError, 'PaletteConflictError');
      expect(dup).toMatchObject({ status: 409, code: 'DuplicateName', method: 'POST', path: '/v1/cloudaccounts/aws' });
      expect(dup.attempts).toBe(1);

      const invalid = await rejectsWith(
        aws.create({ metadata: { name: 'aws-bad' }, spec: { credentialType: 'sts', sts: { arn: 'arn:aws-us-gov:iam::111111111111:role/R' } } }),
        PaletteValidationError,
        'PaletteValidationError',
      );
      expect(invalid).toMatchObject({ status: 400, code: 'InvalidRequest' });
      expect(field(invalid)).toBe('spec.sts.arn');
      const noSecret = await rejectsWith(
        aws.create({ metadata: { name: 'aws-bad' }, spec: { credentialType: 'secret', accessKey: 'AKIAONLYTHEACCESSKEY' } }),
        PaletteValidationError,
        'PaletteValidationError',
      );
      expect(field(noSecret)).toBe('spec.secretKey');
      await aws.delete(uid);
    });

    it('lists across pages (limit 50 + continue token) and finds by name with one filtered request', async () => {
      const other = palette().addTenant('paging-tenant');
      const recorder = recordingFetch();
      const pager = client({ auth: { type: 'apiKey', apiKey: other.apiKey }, rateLimit: false, fetch: recorder.fetch });
      secrets.add(other.apiKey);
      for (let i = 0; i < 53; i += 1) {
        await pager.cloudAccounts.aws.create({ metadata: { name: `acct-${String(i).padStart(2, '0')}` }, spec: { accessKey: `AKIAPAGING${String(i).padStart(10, '0')}`, secretKey: 's' } });
      }
      recorder.exchanges.length = 0;
      const found = await pager.cloudAccounts.aws.findByName('acct-52');
      expect(found?.metadata?.name).toBe('acct-52');
      const lookup = recorder.exchanges.map((e) => new URL(e.url).searchParams);
      expect(lookup).toHaveLength(1);
      expect(lookup[0]?.get('filters')).toBe('metadata.name=acct-52');
      recorder.exchanges.length = 0;
      expect(await pager.cloudAccounts.aws.list()).toHaveLength(53);
      const pages = recorder.exchanges.map((e) => new URL(e.url).searchParams);
      expect(pages).toHaveLength(2);
      expect(pages[0]?.get('limit')).toBe('50');
      expect(pages[1]?.get('continue')).toBeTruthy();
      // A tenant never sees another tenant's accounts.
      expect(await clients.tenant.cloudAccounts.aws.findByName('acct-52')).toBeUndefined();
    });
  });

  describe('Azure cloud accounts', () => {
    it('creates, gets (secret masked), finds, updates, validates (structure only) and deletes', async () => {
      const azure = clients.tenant.cloudAccounts.azure;
      const clientSecret = 'azure-client-secret-value';
      secrets.add(clientSecret);
      const uid = await azure.create({ metadata: { name: 'azure-prod' }, spec: { tenantId: AZURE_TENANT_ID, clientId: AZURE_CLIENT_ID, clientSecret } });
      const got = await azure.get(uid);
      expect(got.spec).toMatchObject({ tenantId: AZURE_TENANT_ID, clientId: AZURE_CLIENT_ID, clientSecret: MASK, azureEnvironment: 'AzurePublicCloud' });
      expect((await azure.findByName('azure-prod'))?.metadata?.uid).toBe(uid);
      expect((await azure.list()).length).toBeGreaterThanOrEqual(1);
      await azure.update(uid, { ...got, spec: { tenantId: AZURE_TENANT_ID, clientId: AZURE_CLIENT_ID, clientSecret: 'rotated', tenantName: 'contoso' } });
      expect((await azure.get(uid)).spec?.tenantName).toBe('contoso');

      await azure.validate({ tenantId: AZURE_TENANT_ID, clientId: AZURE_CLIENT_ID, clientSecret });
      const bad = await rejectsWith(azure.validate({ tenantId: 'not-a-guid', clientId: AZURE_CLIENT_ID, clientSecret }), PaletteValidationError, 'PaletteValidationError');
      expect(field(bad)).toBe('tenantId');
      await rejectsWith(azure.create({ metadata: { name: 'azure-prod' }, spec: { tenantId: AZURE_TENANT_ID, clientId: AZURE_CLIENT_ID, clientSecret } }), PaletteConflictError, 'PaletteConflictError');

      await azure.delete(uid);
      await rejectsWith(azure.get(uid), PaletteNotFoundError, 'PaletteNotFoundError');
    });
  });

  describe('SSH keys', () => {
    it('does CRUD, finds by name, and names the field of a rejected update or key', async () => {
      const ssh = clients.tenant.project(palette().projectUid).sshKeys;
      const publicKey = sshPublicKey('first');
      const uid = await ssh.create({ metadata: { name: 'ops-key' }, spec: { publicKey } });
      const got = await ssh.get(uid);
      expect(got).toMatchObject({ metadata: { name: 'ops-key', uid }, spec: { publicKey } });
      expect((await ssh.findByName('ops-key'))?.metadata?.uid).toBe(uid);
      const rotated = sshPublicKey('rotated');
      await ssh.update(uid, { ...got, spec: { publicKey: rotated } });
      expect((await ssh.get(uid)).spec?.publicKey).toBe(rotated);

      const rename = await rejectsWith(ssh.update(uid, { metadata: { ...got.metadata, name: 'renamed' }, spec: { publicKey: rotated } }), PaletteValidationError, 'PaletteValidationError');
      expect(field(rename)).toBe('metadata.name');
      const malformed = await rejectsWith(ssh.create({ metadata: { name: 'bad-key' }, spec: { publicKey: 'ssh-rsa not-base64!' } }), PaletteValidationError, 'PaletteValidationError');
      expect(field(malformed)).toBe('spec.publicKey');
      await rejectsWith(ssh.create({ metadata: { name: 'ops-key' }, spec: { publicKey } }), PaletteConflictError, 'PaletteConflictError');

      await ssh.delete(uid);
      await rejectsWith(ssh.get(uid), PaletteNotFoundError, 'PaletteNotFoundError');
      expect(await ssh.findByName('ops-key')).toBeUndefined();
    });
  });

  describe('API keys', () => {
    it('creates (value returned once), lists, gets, updates, switches state, and deletes', async () => {
      const keys = clients.tenant.apiKeys;
      const expiry = new Date(Date.now() + 7 * 86_400_000).toISOString();
      const created = await keys.create({ metadata: { name: 'onboarding-key' }, spec: { userUid: palette().tenantUid, expiry } });
      secrets.add(created.apiKey);
      expect(created.uid).toMatch(/^[0-9a-f]{24}$/);
      const viaKey = client({ auth: { type: 'apiKey', apiKey: created.apiKey } });
      await viaKey.sshKeys.list();

      const listed = await keys.list();
      expect(listed.map((k) => k.metadata?.name)).toEqual(expect.arrayContaining(['sandbox-default', 'onboarding-key']));
      expect(JSON.stringify(listed)).not.toContain(created.apiKey);
      const got = await keys.get(created.uid);
      expect(got.metadata?.name).toBe('onboarding-key');
      expect(JSON.stringify(got)).not.toContain(created.apiKey);
      expect((await keys.findByName('onboarding-key'))?.metadata?.uid).toBe(created.uid);

      const later = new Date(Date.now() + 14 * 86_400_000).toISOString();
      await keys.update(created.uid, { metadata: got.metadata ?? {}, spec: { expiry: later } });
      expect(new Date(String((await keys.get(created.uid)).spec?.expiry)).getTime()).toBe(new Date(later).getTime());

      await keys.setState(created.uid, false);
      expect((await keys.get(created.uid)).status?.isActive).toBe(false);
      const revoked = await rejectsWith(viaKey.sshKeys.list(), PaletteAuthError, 'PaletteAuthError');
      expect(revoked.serverMessage).toMatch(/deactivated/);
      expect(revoked.message).not.toContain(created.apiKey);
      await keys.setState(created.uid, true);
      await viaKey.sshKeys.list();
      await keys.setActive(created.uid, false);
      await rejectsWith(viaKey.sshKeys.list(), PaletteAuthError, 'PaletteAuthError');
      await keys.setActive(created.uid, true);
      await viaKey.sshKeys.list();

      await rejectsWith(keys.create({ metadata: { name: 'onboarding-key' }, spec: { userUid: palette().tenantUid, expiry } }), PaletteConflictError, 'PaletteConflictError');
      const badExpiry = await rejectsWith(keys.create({ metadata: { name: 'k2' }, spec: { expiry: 'next tuesday' } }), PaletteValidationError, 'PaletteValidationError');
      expect(badExpiry.serverMessage).toBe('spec.expiry: must be a valid date-time');
      expect(field(badExpiry)).toBe('spec.expiry');

      await keys.delete(created.uid);
      await rejectsWith(keys.get(created.uid), PaletteNotFoundError, 'PaletteNotFoundError');
      await rejectsWith(viaKey.sshKeys.list(), PaletteAuthError, 'PaletteAuthError');
    });
  });

  describe('backup locations', () => {
    it('S3, MinIO, GCP and Azure: create, get (secrets masked), update, list, set default, delete', async () => {
      const locations = clients.tenant.project(palette().projectUid).backupLocations;
      const bucket = await world.bucket('velero-backups');
      const arn = await world.role('VeleroRole', paletteTrustPolicy(externalId), backupBucketPolicy(bucket));
      const s3Body: S3Location = { metadata: { name: 'primary' }, spec: { config: { bucketName: bucket, region: 'us-east-1', credentials: { credentialType: 'sts', sts: { arn, externalId } } } } };
      const s3 = await locations.s3.create(s3Body);
      expect((await locations.s3.get(s3)).spec?.config?.credentials).toMatchObject({ credentialType: 'sts', sts: { arn } });

      const minioSecret = 'minio-secret-key-value';
      const gcpKeyMarker = 'R0NQLXByaXZhdGUta2V5LW1hcmtlcg';
      const azureSecret = 'azure-storage-client-secret';
      for (const s of [minioSecret, gcpKeyMarker, azureSecret]) secrets.add(s);
      const minio = await locations.minio.create({
        metadata: { name: 'minio' },
        spec: { config: { bucketName: 'minio-bucket', region: 'us-east-1', s3Url: 'http://minio.local:9000', s3ForcePathStyle: true, credentials: { credentialType: 'secret', accessKey: 'minio', secretKey: minioSecret } } },
      });
      const gcp = await locations.gcp.create({ metadata: { name: 'gcs' }, spec: { config: { bucketName: 'gcs-backups', credentials: { jsonCredentials: gcpServiceAccountJson(gcpKeyMarker) } } } });
      const azure = await locations.azure.create({
        metadata: { name: 'blob' },
        spec: { config: { containerName: 'velero', storageName: 'backupstore', resourceGroup: 'rg', credentials: { tenantId: AZURE_TENANT_ID, clientId: AZURE_CLIENT_ID, clientSecret: azureSecret } } },
      });

      const minioGot = await locations.minio.get(minio);
      expect(minioGot.spec?.config?.credentials).toMatchObject({ accessKey: 'minio', secretKey: MASK });
      const gcpGot = await locations.gcp.get(gcp);
      expect(gcpGot.spec?.config?.credentials?.jsonCredentials).toBe(MASK);
      const azureGot = await locations.azure.get(azure);
      expect(azureGot.spec?.config?.credentials).toMatchObject({ tenantId: AZURE_TENANT_ID, clientSecret: MASK });

      await locations.s3.update(s3, { ...s3Body, spec: { ...s3Body.spec, config: { ...s3Body.spec!.config, useRestic: true } } });
      expect((await locations.s3.get(s3)).spec?.config?.useRestic).toBe(true);
      await locations.minio.update(minio, { ...minioGot, spec: { ...minioGot.spec, config: { ...minioGot.spec!.config, s3Url: 'http://minio.local:9001' } } });
      expect((await locations.minio.get(minio)).spec?.config?.s3Url).toBe('http://minio.local:9001');
      await locations.gcp.update(gcp, { ...gcpGot, spec: { ...gcpGot.spec, config: { ...gcpGot.spec!.config, projectId: 'sandbox-project' } } });
      expect((await locations.gcp.get(gcp)).spec?.config?.projectId).toBe('sandbox-project');
      await locations.azure.update(azure, { ...azureGot, spec: { ...azureGot.spec, config: { ...azureGot.spec!.config, sku: 'Standard_LRS' } } });
      expect((await locations.azure.get(azure)).spec?.config?.sku).toBe('Standard_LRS');
      const state = palette().inspect() as { tenants: { scopes: Record<string, { locations: { uid: string; secretsSet: string[] }[] }> }[] };
      const stored = state.tenants[0]?.scopes[`project:${palette().projectUid}`]?.locations ?? [];
      expect(stored.find((l) => l.uid === gcp)?.secretsSet).toContain('config.credentials.jsonCredentials'); // the mask did not overwrite it
      expect(stored.find((l) => l.uid === minio)?.secretsSet).toContain('config.credentials.secretKey');

      const defaults = async () => (await locations.list()).filter((l) => l.spec?.isDefault).map((l) => l.metadata?.uid);
      for (const [typed, uid] of [[locations.s3, s3], [locations.minio, minio], [locations.gcp, gcp], [locations.azure, azure]] as const) {
        await typed.setDefault(uid);
        expect(await defaults()).toEqual([uid]);
      }
      expect((await locations.s3.findByName('primary'))?.metadata?.uid).toBe(s3);
      expect(await locations.gcp.findByName('primary')).toBeUndefined(); // type-filtered
      expect((await locations.findByName('gcs'))?.metadata?.uid).toBe(gcp);
      expect(await clients.tenant.backupLocations.findByName('primary')).toBeUndefined(); // other scope

      const dup = await rejectsWith(locations.gcp.create({ metadata: { name: 'minio' }, spec: { config: { bucketName: 'x-bucket', credentials: { jsonCredentials: gcpServiceAccountJson() } } } }), PaletteConflictError, 'PaletteConflictError');
      expect(dup.code).toBe('DuplicateName');
      const badName = await rejectsWith(locations.s3.create({ ...s3Body, metadata: { name: 'bad-bucket' }, spec: { config: { ...s3Body.spec!.config, bucketName: 'Bad_Bucket' } } }), PaletteValidationError, 'PaletteValidationError');
      expect(field(badName)).toBe('spec.config.bucketName');
      await rejectsWith(locations.s3.get(gcp), PaletteNotFoundError, 'PaletteNotFoundError'); // a GCP location is not an S3 one

      for (const [typed, uid] of [[locations.s3, s3], [locations.minio, minio], [locations.gcp, gcp], [locations.azure, azure]] as const) {
        await typed.delete(uid);
      }
      await rejectsWith(locations.azure.get(azure), PaletteNotFoundError, 'PaletteNotFoundError');
      expect((await locations.list()).map((l) => l.metadata?.name)).toEqual([]);
    });

    it('S3 validate: passes with put/list/delete, names s3:PutObject when the policy lacks it, sts:AssumeRole for a wrong external id', async () => {
      const bucket = await world.bucket('validate-backups');
      const good = await world.role('ValidateGood', paletteTrustPolicy(externalId), backupBucketPolicy(bucket));
      const noPut = await world.role('ValidateNoPut', paletteTrustPolicy(externalId), backupBucketPolicy(bucket, false));
      const clouds = clients.tenant.project(palette().projectUid).clouds;
      await clouds.validateS3Bucket({ bucket, region: 'us-east-1', credentials: { credentialType: 'sts', sts: { arn: good, externalId } } });

      const denied = await rejectsWith(clouds.validateS3Bucket({ bucket, region: 'us-east-1', credentials: { credentialType: 'sts', sts: { arn: noPut, externalId } } }), PaletteValidationError, 'PaletteValidationError');
      expect(denied.code).toBe('AwsS3ValidationFailed');
      expect(detail(denied, 'action')).toBe('s3:PutObject');
      expect(denied.serverMessage).toMatch(new RegExp(`^s3:PutObject denied on arn:aws:s3:::${bucket}/palette-validate-`));

      const wrongId = await rejectsWith(clouds.validateS3Bucket({ bucket, region: 'us-east-1', credentials: { credentialType: 'sts', sts: { arn: good, externalId: 'wrong' } } }), PaletteValidationError, 'PaletteValidationError');
      expect(detail(wrongId, 'action')).toBe('sts:AssumeRole');

      const keys = await world.user('velero-static', backupBucketPolicy(bucket));
      secrets.add(keys.secretKey);
      await clouds.validateS3Bucket({ bucket, region: 'us-east-1', folder: 'velero', credentials: { credentialType: 'secret', accessKey: keys.accessKey, secretKey: keys.secretKey } });
    });

    it('GCP validates (structure only): bucket name and service account key', async () => {
      const clouds = clients.tenant.clouds;
      await clouds.validateGcpBucketName({ bucketName: 'gcs-backups', credentials: { jsonCredentials: gcpServiceAccountJson() } });
      await clouds.validateGcpAccount({ spec: { jsonCredentials: gcpServiceAccountJson() } });
      const badBucket = await rejectsWith(clouds.validateGcpBucketName({ bucketName: 'Bad_Bucket!', credentials: { jsonCredentials: gcpServiceAccountJson() } }), PaletteValidationError, 'PaletteValidationError');
      expect(field(badBucket)).toBe('bucketName');
      const badKey = await rejectsWith(clouds.validateGcpAccount({ spec: { jsonCredentials: '{"type":"authorized_user"}' } }), PaletteValidationError, 'PaletteValidationError');
      expect(field(badKey)).toBe('spec.jsonCredentials');
    });
  });

  describe('clusters (supplement)', () => {
    it('searches every page in project scope, reads backup configurations (undefined without one), tenant scope sees the project', async () => {
      const project = clients.tenant.project(palette().projectUid);
      const account = await project.cloudAccounts.aws.create({ metadata: { name: 'clusters-aws' }, spec: { credentialType: 'sts', sts: { arn: 'arn:aws:iam::111111111111:role/Clusters', externalId } } });
      const location = await project.backupLocations.minio.create({
        metadata: { name: 'clusters-minio' },
        spec: { config: { bucketName: 'cluster-backups', region: 'us-east-1', s3Url: 'http://minio.local:9000', credentials: { credentialType: 'secret', accessKey: 'minio-access', secretKey: 'minio-secret-x' } } },
      });
      secrets.add('minio-secret-x');
      const backedUp = palette().addCluster({ name: 'clusters-backed-up', projectUid: palette().projectUid, cloudAccountUid: account, backupLocationUid: location });
      for (let i = 0; i < 55; i += 1) palette().addCluster({ name: `clusters-${i}`, projectUid: palette().projectUid, cloudAccountUid: account });
      const mark = log().length;

      const found = await project.clusters.search();
      const config = await project.clusters.backupConfig(backedUp);
      const none = await project.clusters.backupConfig(String(found.at(-1)?.metadata?.uid));
      const fromTenant = await clients.tenant.clusters.search();

      expect(found).toHaveLength(56);
      expect(found[0]?.specSummary?.cloudAccountMeta).toEqual({ uid: account, name: 'clusters-aws' });
      expect(config).toMatchObject({ backupLocationUid: location, backupLocationName: 'clusters-minio', locationType: 'minio' });
      expect(none).toBeUndefined();
      expect(fromTenant.map((c) => c.metadata?.uid)).toEqual(expect.arrayContaining(found.map((c) => c.metadata?.uid)));
      expect(since(mark).map((r) => `${r.method} ${r.status} ${r.code ?? ''}`.trim())).toEqual([
        'POST 200',
        'POST 200',
        'GET 200',
        'GET 404 BackupNotConfigured',
        'POST 200',
        'POST 200',
      ]);
    });
  });

  describe('throttling and faults', () => {
    it('the client-side limiter (10 rps, burst 5) keeps one client below Palette rate limits', async () => {
      palette().configure({ rateLimit: true });
      const limited = client({ auth: { type: 'apiKey', apiKey: palette().apiKey } });
      const mark = log().length;
      const started = Date.now();
      await Promise.all(Array.from({ length: 60 }, () => limited.cloudAccounts.azure.list()));
      const calls = since(mark);
      expect(calls).toHaveLength(60);
      expect(calls.filter((c) => c.status === 429)).toEqual([]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(5_000); // (60 - 5) / 10 rps
    });

    it("retries Palette's 429 TooManyRequests within the budget and succeeds", async () => {
      palette().configure({ rateLimit: true });
      const retryLog = memoryLogger();
      const unlimited = client({ auth: { type: 'apiKey', apiKey: palette().apiKey }, rateLimit: false, logger: retryLog });
      const mark = log().length;
      const started = Date.now();
      const results = await Promise.all(Array.from({ length: 70 }, () => unlimited.sshKeys.list()));
      expect(results).toHaveLength(70);
      const throttled = since(mark).filter((c) => c.status === 429);
      expect(throttled.length).toBeGreaterThanOrEqual(15); // Palette allows 50 at once (plus 10/s)
      expect(throttled.every((c) => c.code === 'TooManyRequests')).toBe(true);
      expect(since(mark).filter((c) => c.status === 200)).toHaveLength(70);
      expect(retryLog.entries.filter((e) => e.message === 'Palette request will be retried' && e.fields?.status === 429).length).toBe(throttled.length);
      expect(Date.now() - started).toBeLessThan(60_000);
    });

    it('throws PaletteThrottledError when 429s outlast a tiny budget', async () => {
      palette().configure({ faults: { rules: [{ pathPrefix: '/v1/users/assets/sshkeys', rate: 1, kind: '429' }] } });
      const impatient = client({ auth: { type: 'apiKey', apiKey: palette().apiKey }, retry: { budgetMs: 1_500, baseDelayMs: 100, maxDelayMs: 200 } });
      const mark = log().length;
      const started = Date.now();
      const error = await rejectsWith(impatient.sshKeys.list(), PaletteThrottledError, 'PaletteThrottledError');
      const elapsed = Date.now() - started;
      expect(error).toMatchObject({ status: 429, code: 'TooManyRequests' });
      expect(error.attempts).toBeGreaterThan(1);
      expect(since(mark).filter((c) => c.status === 429)).toHaveLength(error.attempts);
      // Bounded by the budget (1.5 s), with generous slack for a slow machine: the point is "not unbounded".
      expect(elapsed).toBeLessThan(8_000);
    });

    it('retries injected 503s and connection resets for reads; a creating POST cut off by a reset is not repeated', async () => {
      const tenant = clients.tenant;
      palette().configure({ faults: { rules: [{ pathPrefix: '/v1/users/assets/locations', method: 'GET', rate: 1, kind: '503', times: 2 }] } });
      let mark = log().length;
      await tenant.backupLocations.list();
      expect(since(mark).map((c) => c.status)).toEqual([503, 503, 200]);

      palette().configure({ faults: { rules: [{ pathPrefix: '/v1/users/assets/sshkeys', method: 'GET', rate: 1, kind: 'reset', times: 1 }] } });
      await tenant.sshKeys.list();

      palette().configure({ faults: { rules: [{ pathPrefix: '/v1/users/assets/sshkeys', method: 'POST', rate: 1, kind: 'reset', times: 1 }] } });
      mark = log().length;
      const body = { metadata: { name: 'after-reset' }, spec: { publicKey: sshPublicKey() } };
      const cut = await rejectsWith(tenant.sshKeys.create(body), PaletteServerError, 'PaletteServerError');
      expect(cut.status).toBe(0);
      expect(cut.attempts).toBe(1);
      expect(cut.message).toMatch(/find the resource by name before creating it again/);
      expect(since(mark).filter((c) => c.method === 'POST')).toEqual([]);
      expect(await tenant.sshKeys.findByName('after-reset')).toBeUndefined();
      expect(await tenant.sshKeys.create(body)).toMatch(/^[0-9a-f]{24}$/);
    });

    it('500 is not retried and surfaces as PaletteServerError', async () => {
      palette().configure({ faults: { rules: [{ pathPrefix: '/v1/apiKeys', rate: 1, kind: '500', times: 1 }] } });
      const error = await rejectsWith(clients.tenant.apiKeys.list(), PaletteServerError, 'PaletteServerError');
      expect(error).toMatchObject({ status: 500, code: 'InternalError', attempts: 1 });
    });
  });

  it('never wrote a secret, password, API key or token to the log', () => {
    expect(logger.entries.length).toBeGreaterThan(10);
    const text = logger.text();
    for (const secret of secrets) expect(text, 'a secret appears in the client log').not.toContain(secret);
    expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/); // no JWT
  });
});
