/**
 * Platform-setup services (lambdas/services/platform) against the in-process AWS sandbox and the Palette
 * emulator in self-hosted mode: the real SDK clients and the real Palette client, no mocks.
 */
import {
  CreateRoleCommand,
  GetUserPolicyCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { paletteFetch } from '../../../local/palette/http';
import { startLocalSandbox, type RunningLocalSandbox } from '../../../local/sandbox';
import {
  buildPlatformPlan,
  STS_KEY_SECRET_NAME,
  STS_PRINCIPAL_USER_NAME,
  type PaletteStsBefore,
  type PlatformPlan,
} from '../../../lambdas/domain/platform';
import { ReverseProxyValidationError } from '../../../lambdas/domain/reverse-proxy';
import { VerificationError } from '../../../lambdas/shared/errors';
import { logger } from '../../../lambdas/shared/logger';
import {
  AccessKeyNotReadyError,
  checkReverseProxySecret,
  checkSystemLogin,
  cleanupAccessKeys,
  configureReverseProxy,
  ensureAccessKey,
  ensureStsUser,
  registerStsAccount,
  rotateAccessKey,
  StsAccountNotOursError,
  SystemLoginError,
  undoStsPrincipal,
} from '../../../lambdas/services/platform';
import { createCa, issueCert, validReverseProxySecret } from './certs';

const SYSTEM_SECRET = 'palette-onboarding-platform/system-credentials';
const PROXY_SECRET = 'palette-onboarding-platform/reverse-proxy';
const TENANT_ACCOUNT = '111111111111';

let sb: RunningLocalSandbox;
let iam: IAMClient;
let sm: SecretsManagerClient;
let executionCounter = 0;

function plan(opts: { rotate?: boolean; proxy?: boolean; name?: string; takeOver?: boolean } = {}): { plan: PlatformPlan; name: string; startTime: string } {
  const name = opts.name ?? `exec-${++executionCounter}`;
  const job = buildPlatformPlan(
    {
      rotateAccessKey: opts.rotate ?? false,
      ...(opts.proxy !== undefined ? { reverseProxy: opts.proxy } : {}),
      ...(opts.takeOver !== undefined ? { takeOver: opts.takeOver } : {}),
    },
    { homeAccountId: sb.aws.accountId, homePartition: 'aws', executionName: name, systemSecretId: SYSTEM_SECRET, reverseProxySecretId: PROXY_SECRET },
  );
  return { plan: job.plan, name, startTime: new Date().toISOString() };
}

/** Palette API calls since the last clear; logins only when asked (the client caches its token). */
const paletteCalls = (withLogin = false) =>
  sb.palette.requests().filter((r) => r.path.startsWith('/v1/') && (withLogin || r.path !== '/v1/auth/syslogin'));
const clearPaletteCalls = () => paletteFetch(sb.palette.endpoint, 'DELETE', '/_emulator/requests');
const keysOfUser = async () =>
  ((await iam.send(new ListAccessKeysCommand({ UserName: STS_PRINCIPAL_USER_NAME }))).AccessKeyMetadata ?? []).map((k) => k.AccessKeyId);
const storedKey = async () => JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: STS_KEY_SECRET_NAME }))).SecretString ?? '{}') as {
  accessKeyId: string;
  secretAccessKey: string;
};
const systemSts = () => (sb.palette.inspect().system as { stsAccount?: { accountId?: string; accessKey?: string } }).stsAccount ?? {};
const tenantSts = () => paletteFetch(sb.palette.endpoint, 'GET', '/v1/clouds/aws/account/sts', { headers: { ApiKey: sb.palette.apiKey } });

async function putSecret(name: string, value: unknown): Promise<void> {
  const SecretString = JSON.stringify(value);
  try {
    await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString }));
  } catch (e) {
    if (!(e instanceof ResourceNotFoundException)) throw e;
    await sm.send(new CreateSecretCommand({ Name: name, SecretString }));
  }
}

async function callerOf(key: { accessKeyId: string; secretAccessKey: string }): Promise<string> {
  const sts = new STSClient({ endpoint: sb.aws.endpoint, region: sb.aws.region, credentials: key, maxAttempts: 1 });
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn ?? '';
  } catch (e) {
    return e instanceof Error ? e.name : 'error';
  } finally {
    sts.destroy();
  }
}

/** A full non-failing run of the STS part, as the state machine chains it. */
async function setup(opts: { rotate?: boolean; takeOver?: boolean } = {}) {
  const p = plan(opts);
  const before = await checkSystemLogin(p.plan);
  const principal = await ensureStsUser(p.plan);
  const accessKey = await ensureAccessKey(p.plan, before);
  const rotation = p.plan.rotateAccessKey ? await rotateAccessKey(p.plan, before, accessKey) : undefined;
  const registration = await registerStsAccount(p.plan, rotation?.accessKeyId ?? accessKey.accessKeyId, before);
  const cleanup = await cleanupAccessKeys(p.plan);
  return { ...p, before, principal, accessKey, rotation, registration, cleanup };
}

beforeAll(async () => {
  sb = await startLocalSandbox({
    aws: { port: 0, realism: { iamPropagationMs: 0 } },
    palette: { port: 0, mode: 'self-hosted', rateLimit: false },
    env: {},
  });
  const credentials = { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: sb.aws.endpoint,
    AWS_REGION: sb.aws.region,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    PALETTE_ENDPOINT: sb.palette.endpoint,
    // The emulator speaks http: allowed only by the local / testing flag.
    ALLOW_INSECURE_ENDPOINTS: 'true',
    HOME_ACCOUNT_ID: sb.aws.accountId,
    TENANT_REGISTRY_TABLE: 'registry',
    PALETTE_SYSTEM_SECRET_ARN: SYSTEM_SECRET,
    PALETTE_REVERSE_PROXY_SECRET_ARN: PROXY_SECRET,
  });
  logger.setLogLevel('SILENT');
  iam = new IAMClient({ endpoint: sb.aws.endpoint, region: sb.aws.region, credentials });
  sm = new SecretsManagerClient({ endpoint: sb.aws.endpoint, region: sb.aws.region, credentials });
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

beforeEach(async () => {
  await clearPaletteCalls();
});

describe('system console login', () => {
  it('a wrong password fails clearly (naming the secret, not the password) before anything is created', async () => {
    await putSecret(SYSTEM_SECRET, { username: sb.palette.systemUser, password: 'not-the-password' });
    const { plan: p } = plan();
    const error = await checkSystemLogin(p).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SystemLoginError);
    expect((error as Error).name).toBe('PaletteSystemLoginError');
    expect((error as Error).message).toBe(
      `Palette system console login failed (401 InvalidCredentials): check the username and password in secret ${SYSTEM_SECRET}`,
    );
    expect((error as Error).message).not.toContain('not-the-password');
    expect(paletteCalls(true).map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual(['POST /v1/auth/syslogin 401']);
  });

  it('with the right credentials reports that Palette has no STS account yet', async () => {
    await putSecret(SYSTEM_SECRET, { username: sb.palette.systemUser, password: sb.palette.systemPassword });
    expect(await checkSystemLogin(plan().plan)).toEqual({ configured: false, owner: 'none', leaveAlone: false });
    // Self-hosted and unconfigured: tenants cannot use STS yet.
    const sts = await tenantSts();
    expect(sts.status).toBe(400);
    expect((sts.json as { code: string }).code).toBe('StsNotConfigured');
  });
});

describe('STS principal and registration', () => {
  let first: Awaited<ReturnType<typeof setup>>;

  it('setup from scratch: user with only sts:AssumeRole on the tenant role pattern, one key in the secret, Palette points at it', async () => {
    first = await setup();
    const home = sb.aws.accountId;
    const userArn = `arn:aws:iam::${home}:user/palette-onboarding/${STS_PRINCIPAL_USER_NAME}`;
    expect(first.principal).toEqual({ userName: STS_PRINCIPAL_USER_NAME, userArn, created: true, policyUpdated: true });
    expect(first.accessKey).toMatchObject({ created: true, secretCreated: true });
    const user = (await iam.send(new GetUserCommand({ UserName: STS_PRINCIPAL_USER_NAME }))).User;
    expect(user?.Path).toBe('/palette-onboarding/');
    expect(Object.fromEntries((user?.Tags ?? []).map((t) => [t.Key, t.Value]))).toEqual({
      'palette-onboarding/created-by': first.name,
      'palette-onboarding/managed-by': 'palette-onboarding',
      'palette-onboarding/component': 'platform-setup',
    });
    expect((await iam.send(new ListUserPoliciesCommand({ UserName: STS_PRINCIPAL_USER_NAME }))).PolicyNames).toEqual([first.plan.policyName]);
    expect((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: STS_PRINCIPAL_USER_NAME }))).AttachedPolicies).toEqual([]);
    const doc = (await iam.send(new GetUserPolicyCommand({ UserName: STS_PRINCIPAL_USER_NAME, PolicyName: first.plan.policyName }))).PolicyDocument;
    expect(JSON.parse(decodeURIComponent(doc ?? ''))).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AssumePaletteOnboardingTenantRoles',
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Resource: 'arn:aws:iam::*:role/palette-onboarding/palette-onboarding-*',
        },
      ],
    });

    const key = await storedKey();
    expect(Object.keys(key).sort()).toEqual(['accessKeyId', 'secretAccessKey']);
    expect(await keysOfUser()).toEqual([key.accessKeyId]);
    expect(first.accessKey.accessKeyId).toBe(key.accessKeyId);
    expect(JSON.stringify(first)).not.toContain(key.secretAccessKey);
    const secretTags = (await sm.send(new DescribeSecretCommand({ SecretId: STS_KEY_SECRET_NAME }))).Tags ?? [];
    expect(secretTags).toContainEqual({ Key: 'palette-onboarding/access-key-id', Value: key.accessKeyId });
    expect(await callerOf(key)).toBe(userArn);

    expect(first.registration).toEqual({
      accountId: home,
      accessKeyId: key.accessKeyId,
      changed: true,
      method: 'PUT',
      verified: true,
      awsAccountMatches: true,
    });
    expect(first.cleanup).toEqual({ activeAccessKeyId: key.accessKeyId, deleted: [] });
    expect(systemSts()).toMatchObject({ accountId: home, accessKey: key.accessKeyId });
    const calls = paletteCalls().map((c) => `${c.method} ${c.path}`);
    expect(calls).toContain('PUT /v1/system/config/aws/sts/account');
    expect(calls).toContain('GET /v1/system/config/aws/account');
    // Tenants now see the home account as Palette's STS account.
    const sts = await tenantSts();
    expect(sts.status).toBe(200);
    expect((sts.json as { accountId: string }).accountId).toBe(home);
  });

  it('a re-run changes nothing: no IAM or secret writes, no Palette PUT/POST', async () => {
    const inventory = JSON.stringify(sb.aws.inventory());
    const secretVersions = (await sm.send(new DescribeSecretCommand({ SecretId: STS_KEY_SECRET_NAME }))).VersionIdsToStages;
    const statsBefore = { ...sb.aws.stats().operations };
    await clearPaletteCalls();
    const again = await setup();
    expect(again.before).toEqual({ configured: true, accountId: sb.aws.accountId, accessKeyId: first.accessKey.accessKeyId, owner: 'ours', leaveAlone: false });
    expect(again.principal).toMatchObject({ created: false, policyUpdated: false });
    expect(again.accessKey).toMatchObject({ created: false, secretCreated: false, accessKeyId: first.accessKey.accessKeyId });
    expect(again.registration).toMatchObject({ changed: false, verified: true });
    expect(again.registration.method).toBeUndefined();
    expect(again.cleanup.deleted).toEqual([]);
    expect(JSON.stringify(sb.aws.inventory())).toBe(inventory);
    expect((await sm.send(new DescribeSecretCommand({ SecretId: STS_KEY_SECRET_NAME }))).VersionIdsToStages).toEqual(secretVersions);
    const writes = Object.entries(sb.aws.stats().operations)
      .filter(([op, n]) => /:(Create|Put|Tag|Update|Delete|Detach|Attach)/.test(op) && n !== (statsBefore[op] ?? 0))
      .map(([op]) => op);
    expect(writes).toEqual([]);
    expect(paletteCalls().filter((c) => c.method !== 'GET')).toEqual([]);
  });

  it('the principal can assume a tenant role of this project (external id checked), and nothing else', async () => {
    const tenant = sb.aws.createAccount(TENANT_ACCOUNT);
    const tenantIam = new IAMClient({
      endpoint: sb.aws.endpoint,
      region: sb.aws.region,
      credentials: { accessKeyId: tenant.accessKeyId, secretAccessKey: tenant.secretAccessKey },
    });
    const externalId = String(((await tenantSts()).json as { externalId: string }).externalId);
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${sb.aws.accountId}:root` },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': externalId } },
        },
      ],
    });
    const ours = await tenantIam.send(
      new CreateRoleCommand({ RoleName: 'palette-onboarding-acme', Path: '/palette-onboarding/', AssumeRolePolicyDocument: trust }),
    );
    // Palette's validate also checks the role's cluster permissions (the sandbox's Palette: a sample of EC2 / ELB /
    // autoscaling actions), which an onboarded tenant's role holds through its cluster policies.
    await tenantIam.send(
      new PutRolePolicyCommand({
        RoleName: 'palette-onboarding-acme',
        PolicyName: 'clusters',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ec2:*', 'elasticloadbalancing:*', 'autoscaling:*'], Resource: '*' }] }),
      }),
    );
    const other = await tenantIam.send(new CreateRoleCommand({ RoleName: 'SpectroCloudRole', AssumeRolePolicyDocument: trust }));
    const validate = (arn: string | undefined) =>
      paletteFetch(sb.palette.endpoint, 'POST', '/v1/clouds/aws/account/validate', {
        headers: { ApiKey: sb.palette.apiKey },
        body: { credentialType: 'sts', sts: { arn, externalId } },
      });
    expect((await validate(ours.Role?.Arn)).status).toBe(204);
    const denied = await validate(other.Role?.Arn);
    expect(denied.status).toBe(400);
    expect((denied.json as { message: string }).message).toMatch(/^sts:AssumeRole denied on arn:aws:iam::111111111111:role\/SpectroCloudRole/);
  });

  it('drift: an extra inline policy is removed and the policy restored', async () => {
    await iam.send(
      new PutUserPolicyCommand({
        UserName: STS_PRINCIPAL_USER_NAME,
        PolicyName: 'too-much',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
      }),
    );
    await iam.send(
      new PutUserPolicyCommand({
        UserName: STS_PRINCIPAL_USER_NAME,
        PolicyName: first.plan.policyName,
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] }),
      }),
    );
    const result = await ensureStsUser(plan().plan);
    expect(result.policyUpdated).toBe(true);
    expect((await iam.send(new ListUserPoliciesCommand({ UserName: STS_PRINCIPAL_USER_NAME }))).PolicyNames).toEqual([first.plan.policyName]);
    const doc = (await iam.send(new GetUserPolicyCommand({ UserName: STS_PRINCIPAL_USER_NAME, PolicyName: first.plan.policyName }))).PolicyDocument;
    expect(decodeURIComponent(doc ?? '')).toContain('role/palette-onboarding/palette-onboarding-*');
    // created-by of the existing user is never rewritten.
    const user = (await iam.send(new GetUserCommand({ UserName: STS_PRINCIPAL_USER_NAME }))).User;
    expect(user?.Tags).toContainEqual({ Key: 'palette-onboarding/created-by', Value: first.name });
  });
});

describe('rotation', () => {
  it('creates the second key, switches Palette (verified), then deletes the old key; no moment without a working key', async () => {
    const oldKey = await storedKey();
    const p = plan({ rotate: true });
    const before = await checkSystemLogin(p.plan);
    const accessKey = await ensureAccessKey(p.plan, before);
    const rotation = await rotateAccessKey(p.plan, before, accessKey);
    expect(rotation).toMatchObject({ rotated: true, resumed: false, previousAccessKeyId: oldKey.accessKeyId, deletedStaleKeys: [] });
    const newKey = await storedKey();
    expect(newKey.accessKeyId).toBe(rotation.accessKeyId);
    // Between the steps both keys work and Palette still uses the old one.
    expect((await keysOfUser()).sort()).toEqual([oldKey.accessKeyId, newKey.accessKeyId].sort());
    expect(systemSts().accessKey).toBe(oldKey.accessKeyId);
    expect(await callerOf(oldKey)).toContain(STS_PRINCIPAL_USER_NAME);

    const registration = await registerStsAccount(p.plan, rotation.accessKeyId, before);
    expect(registration).toMatchObject({ changed: true, accessKeyId: newKey.accessKeyId, verified: true });
    expect(systemSts().accessKey).toBe(newKey.accessKeyId);
    expect(await keysOfUser()).toHaveLength(2); // the old key is still there until Palette is verified

    const cleanup = await cleanupAccessKeys(p.plan);
    expect(cleanup).toEqual({ activeAccessKeyId: newKey.accessKeyId, deleted: [oldKey.accessKeyId] });
    expect(await keysOfUser()).toEqual([newKey.accessKeyId]);
    expect(await callerOf(oldKey)).toBe('InvalidClientTokenId');
    expect(await callerOf(newKey)).toContain(STS_PRINCIPAL_USER_NAME);
  });

  it('a rotation interrupted after storing the new key is resumed (not rotated twice)', async () => {
    // Interrupted state: the secret holds a new key, Palette still the old one.
    const p1 = plan({ rotate: true });
    const before1 = await checkSystemLogin(p1.plan);
    const interrupted = await rotateAccessKey(p1.plan, before1, await ensureAccessKey(p1.plan, before1));
    expect(systemSts().accessKey).toBe(interrupted.previousAccessKeyId);

    const again = await setup({ rotate: true });
    expect(again.rotation).toMatchObject({
      rotated: false,
      resumed: true,
      previousAccessKeyId: interrupted.previousAccessKeyId,
      accessKeyId: interrupted.accessKeyId,
    });
    expect(again.registration.accessKeyId).toBe(interrupted.accessKeyId);
    expect(again.cleanup.deleted).toEqual([interrupted.previousAccessKeyId]);
    expect(await keysOfUser()).toEqual([interrupted.accessKeyId]);
  });

  it('a new key IAM has not propagated is not given to Palette (AccessKeyNotReadyError, retried by the state machine)', async () => {
    sb.aws.setRealism({ iamPropagationMs: 60_000 });
    try {
      const p = plan({ rotate: true });
      const before = await checkSystemLogin(p.plan);
      const accessKey = await ensureAccessKey(p.plan, before);
      const rotation = await rotateAccessKey(p.plan, before, accessKey);
      const error = await registerStsAccount(p.plan, rotation.accessKeyId, before).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AccessKeyNotReadyError);
      expect((error as Error).name).toBe('AccessKeyNotReadyError');
      expect(systemSts().accessKey).toBe(rotation.previousAccessKeyId);
      expect(paletteCalls().filter((c) => c.method === 'PUT' || c.method === 'POST')).toEqual([]);

      // Compensation of this execution: the secret goes back to the key Palette uses, the new key is deleted.
      const undo = await undoStsPrincipal(p.plan, p.name, p.startTime);
      expect(undo).toEqual({ deleted: [rotation.accessKeyId], retained: [], secretRestored: true });
      expect((await storedKey()).accessKeyId).toBe(rotation.previousAccessKeyId);
      expect(await keysOfUser()).toEqual([rotation.previousAccessKeyId]);
    } finally {
      sb.aws.setRealism({ iamPropagationMs: 0 });
    }
    const healthy = await setup();
    expect(healthy.registration.changed).toBe(false);
  });

  it('Palette reading back something else is a VerificationError', async () => {
    const p = plan({ rotate: true });
    const before = await checkSystemLogin(p.plan);
    const accessKey = await ensureAccessKey(p.plan, before);
    const rotation = await rotateAccessKey(p.plan, before, accessKey);
    // Palette ignores the update (a GET answered from a stale cache, say): simulated by a response rewrite after the PUT.
    const originalFetch = globalThis.fetch;
    let put = false;
    globalThis.fetch = async (input, init) => {
      const res = await originalFetch(input, init);
      const url = input instanceof Request ? input.url : String(input);
      const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
      if (method === 'PUT' && url.endsWith('/v1/system/config/aws/sts/account')) put = true;
      if (put && method === 'GET' && url.endsWith('/v1/system/config/aws/sts/account')) {
        return new Response(JSON.stringify({ accountId: sb.aws.accountId, accessKey: 'AKIASTALEVALUE000000' }), { status: 200, headers: { 'content-type': 'application/json' } });
      }
      return res;
    };
    try {
      const error = await registerStsAccount(p.plan, rotation.accessKeyId, before).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VerificationError);
      expect((error as Error).message).toBe(
        `Palette's system STS account does not read back as set (expected accountId ${sb.aws.accountId}, accessKey ${rotation.accessKeyId}): accessKey is "AKIASTALEVALUE000000"`,
      );
    } finally {
      globalThis.fetch = originalFetch;
    }
    // Palette does use the new key: compensation keeps it and the stored secret; the old key predates this execution.
    const undo = await undoStsPrincipal(p.plan, p.name, p.startTime);
    expect(undo).toEqual({
      deleted: [],
      retained: [{ id: rotation.previousAccessKeyId, reason: 'created before this execution' }],
      secretRestored: false,
    });
    expect(systemSts().accessKey).toBe(rotation.accessKeyId);
    // The next run's cleanup removes the old key.
    expect((await setup()).cleanup.deleted).toEqual([rotation.previousAccessKeyId]);
    expect(await keysOfUser()).toEqual([rotation.accessKeyId]);
  });
});

/** Sets Palette's system STS account as an operator would by hand (the docs' curl). */
async function setStsAccountByHand(account: { accountId: string; accessKey: string; secretKey: string }): Promise<void> {
  const login = await paletteFetch(sb.palette.endpoint, 'POST', '/v1/auth/syslogin', { body: { username: sb.palette.systemUser, password: sb.palette.systemPassword } });
  const res = await paletteFetch(sb.palette.endpoint, 'PUT', '/v1/system/config/aws/sts/account', {
    headers: { Authorization: String((login.json as { Authorization: string }).Authorization) },
    body: account,
  });
  expect(res.status).toBe(204);
}

describe('a system STS account that is not ours', () => {
  it('another account, or a key that is not the principal\'s, is foreign: reported and never replaced without takeOver', async () => {
    const ours = await setup();
    const home = sb.aws.accountId;
    await setStsAccountByHand({ accountId: '222222222222', accessKey: 'AKIAHANDMADE00000001', secretKey: 'hand-made-secret-1' });
    const before = await checkSystemLogin(plan().plan);
    expect(before).toEqual({
      configured: true,
      accountId: '222222222222',
      accessKeyId: 'AKIAHANDMADE00000001',
      owner: 'foreign',
      reason: `it is AWS account 222222222222, not this deployment's home account ${home}`,
      leaveAlone: true,
    });
    await clearPaletteCalls();
    const refused = await registerStsAccount(plan().plan, ours.accessKey.accessKeyId, before).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StsAccountNotOursError);
    expect((refused as Error).message).toContain("Palette's system STS account is not this deployment's (it is AWS account 222222222222");
    expect(paletteCalls()).toEqual([]);
    expect(systemSts()).toMatchObject({ accountId: '222222222222', accessKey: 'AKIAHANDMADE00000001' });

    // The home account with a key that is not the principal's (an IAM user registered by hand) is foreign too.
    await setStsAccountByHand({ accountId: home, accessKey: 'AKIAHANDMADE00000002', secretKey: 'hand-made-secret-2' });
    expect(await checkSystemLogin(plan().plan)).toMatchObject({ owner: 'foreign', leaveAlone: true, reason: expect.stringMatching(/^its access key AKIAHANDMADE00000002 is not a key of/) });
  });

  it('takeOver replaces it and says what it replaced; afterwards it is ours', async () => {
    const taken = await setup({ takeOver: true });
    expect(taken.before).toMatchObject({ owner: 'foreign', leaveAlone: false });
    expect(taken.registration).toMatchObject({ changed: true, tookOver: { accountId: sb.aws.accountId, accessKeyId: 'AKIAHANDMADE00000002' } });
    expect(systemSts()).toMatchObject({ accountId: sb.aws.accountId, accessKey: taken.accessKey.accessKeyId });
    const again = await setup();
    expect(again.before).toMatchObject({ owner: 'ours', leaveAlone: false });
    expect(again.registration).toMatchObject({ changed: false });
    expect(again.registration.tookOver).toBeUndefined();
  });

  it('an account changed by someone else during the execution is left alone (StsAccountNotOursError), not overwritten', async () => {
    const p = plan();
    const before = await checkSystemLogin(p.plan);
    expect(before.owner).toBe('ours');
    const accessKey = await ensureAccessKey(p.plan, before);
    await setStsAccountByHand({ accountId: '222222222222', accessKey: 'AKIAHANDMADE00000003', secretKey: 'hand-made-secret-3' });
    const error = await registerStsAccount(p.plan, accessKey.accessKeyId, before).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StsAccountNotOursError);
    expect((error as Error).message).toMatch(/^Palette's system STS account changed during this execution \(now account 222222222222, key AKIAHANDMADE00000003/);
    expect(systemSts()).toMatchObject({ accountId: '222222222222', accessKey: 'AKIAHANDMADE00000003' });
    await setup({ takeOver: true });
    expect(systemSts().accountId).toBe(sb.aws.accountId);
  });
});

describe('compensation of a fresh setup', () => {
  it('deletes the user, keys and secret this execution created when Palette does not use them; retains them when it does', async () => {
    // Start from nothing: remove the principal of the earlier tests through an execution that "created" it.
    const owner = (await iam.send(new GetUserCommand({ UserName: STS_PRINCIPAL_USER_NAME }))).User?.Tags?.find(
      (t) => t.Key === 'palette-onboarding/created-by',
    )?.Value;
    const p0 = plan({ name: owner ?? 'none' });
    const retained = await undoStsPrincipal(p0.plan, p0.name, p0.startTime);
    expect(retained.deleted).toEqual([]);
    expect(retained.retained).toEqual([
      { id: expect.stringContaining(STS_PRINCIPAL_USER_NAME), reason: expect.stringMatching(/^Palette's system STS account uses its access key AKIA/) },
    ]);

    // Point Palette elsewhere; now the creating execution's compensation removes everything it created.
    await paletteFetch(sb.palette.endpoint, 'POST', '/v1/auth/syslogin', {
      body: { username: sb.palette.systemUser, password: sb.palette.systemPassword },
    }).then((login) =>
      paletteFetch(sb.palette.endpoint, 'PUT', '/v1/system/config/aws/sts/account', {
        headers: { Authorization: String((login.json as { Authorization: string }).Authorization) },
        body: { accountId: '333333333333', accessKey: 'AKIAOTHERPRINCIPAL00', secretKey: 'other-secret' },
      }),
    );
    const undone = await undoStsPrincipal(p0.plan, p0.name, p0.startTime);
    expect(undone.retained).toEqual([]);
    expect(undone.deleted).toEqual([expect.stringContaining(`user/palette-onboarding/${STS_PRINCIPAL_USER_NAME}`), expect.stringContaining(`secret:${STS_KEY_SECRET_NAME}`)]);
    expect(await iam.send(new GetUserCommand({ UserName: STS_PRINCIPAL_USER_NAME })).catch((e: Error) => e.name)).toBe('NoSuchEntityException');
    expect(await sm.send(new DescribeSecretCommand({ SecretId: STS_KEY_SECRET_NAME })).catch((e: Error) => e.name)).toBe('ResourceNotFoundException');

    // Another execution's compensation never deletes a principal it did not create. (Palette's account is now
    // someone else's: taken over.)
    const fresh = await setup({ takeOver: true });
    const other = plan();
    const foreign = await undoStsPrincipal(other.plan, other.name, other.startTime);
    expect(foreign.deleted).toEqual([]);
    expect(await keysOfUser()).toEqual([fresh.accessKey.accessKeyId]);
  });
});

describe('reverse proxy', () => {
  it('bad certificates, keys and hosts are rejected before any Palette call', async () => {
    const good = await validReverseProxySecret();
    const wrongCa = await createCa({ name: 'Wrong CA' });
    const otherKey = (await issueCert(wrongCa)).keyPem;
    const cases: [Record<string, unknown>, string][] = [
      [{ ...good, caCert: wrongCa.certPem }, 'clientCert: is not signed by the CA in caCert'],
      [{ ...good, clientKey: otherKey }, 'clientKey: does not match the public key of clientCert'],
      [{ ...good, server: 'https://frps.example.com' }, 'server: must be a host name without a scheme'],
      [{ ...good, port: 0 }, 'port: must be an integer port number from 1 to 65535'],
      [{ ...good, protocol: 'tcp' }, 'protocol: must be http or https'],
      [{ ...good, clientCert: 'garbage' }, 'clientCert: must be a PEM certificate'],
    ];
    for (const [value, message] of cases) {
      await putSecret(PROXY_SECRET, value);
      await clearPaletteCalls();
      const p = plan({ proxy: true }).plan;
      for (const step of [checkReverseProxySecret, configureReverseProxy]) {
        const error = await step(p).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ReverseProxyValidationError);
        expect((error as Error).message).toContain(`Invalid reverse proxy settings in secret ${PROXY_SECRET}: ${message}`);
        expect((error as Error).message).not.toContain('PRIVATE KEY');
      }
      expect(paletteCalls()).toEqual([]);
    }
    await sm.send(new PutSecretValueCommand({ SecretId: PROXY_SECRET, SecretString: 'server=frps.example.com port=443' }));
    await expect(checkReverseProxySecret(plan({ proxy: true }).plan)).rejects.toThrow(
      `Invalid reverse proxy settings in secret ${PROXY_SECRET}: (root): the secret value is not valid JSON`,
    );
  });

  it('valid certificates: PUT, read back, a re-run does not PUT, a changed secret PUTs again', async () => {
    const value = await validReverseProxySecret();
    await putSecret(PROXY_SECRET, value);
    const p = plan({ proxy: true }).plan;
    const summary = await checkReverseProxySecret(p);
    expect(summary).toMatchObject({ server: value.server, port: 443, protocol: 'https', certSubject: 'CN=palette-reverse-proxy-client' });
    await clearPaletteCalls();
    const result = await configureReverseProxy(p);
    expect(result).toEqual({ ...summary, changed: true, verified: true });
    expect(paletteCalls().map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([
      'GET /v1/system/config/reverseproxy 200',
      'PUT /v1/system/config/reverseproxy 204',
      'GET /v1/system/config/reverseproxy 200',
    ]);
    const login = await paletteFetch(sb.palette.endpoint, 'POST', '/v1/auth/syslogin', {
      body: { username: sb.palette.systemUser, password: sb.palette.systemPassword },
    });
    const stored = await paletteFetch(sb.palette.endpoint, 'GET', '/v1/system/config/reverseproxy', {
      headers: { Authorization: String((login.json as { Authorization: string }).Authorization) },
    });
    expect(stored.json).toMatchObject({ server: value.server, port: 443, protocol: 'https' });
    expect((stored.json as { clientKey: string }).clientKey.trim()).toBe(value.clientKey.trim());

    await clearPaletteCalls();
    expect((await configureReverseProxy(p)).changed).toBe(false);
    expect(paletteCalls().filter((c) => c.method === 'PUT')).toEqual([]);

    await putSecret(PROXY_SECRET, { ...value, port: '8443' });
    const changed = await configureReverseProxy(p);
    expect(changed).toMatchObject({ changed: true, port: 8443 });
  });
});
