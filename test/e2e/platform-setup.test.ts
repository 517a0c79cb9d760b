/**
 * Self-hosted Palette platform setup end to end on the sandbox (emulator in self-hosted mode): the PlatformSetup
 * state machine of the app synthesized with `selfHosted`, run by the local runner with the real bundled handlers
 * and the template's environment. Covers: a wrong system password; bad reverse-proxy settings rejected field by
 * field before any Palette call (a certificate for another host name included); setup from scratch with a reverse
 * proxy (certificates generated here); a re-run that changes nothing; STS onboarding of a tenant right after setup
 * (Palette reports the home account, the tenant role trusts it); rotation without a gap; an STS account registered
 * by hand left alone, then taken over (takeOver); the CLI's `platform-setup --local --take-over` against this
 * sandbox; and a scan that no secret value appears anywhere.
 *
 * The scenarios build on each other and run in order, on one sandbox and one synthesized app (the same CDK
 * context as `platform-setup --local --reverse-proxy`, so the CLI run below hits the same cached synth).
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetRoleCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand,
} from '@aws-sdk/client-iam';
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORM_SETUP_STATE_MACHINE as CDK_PLATFORM_SETUP_STATE_MACHINE } from '../../cdk/lib/constructs/platform-setup';
import { STS_KEY_SECRET_NAME, STS_PRINCIPAL_POLICY_NAME, STS_PRINCIPAL_USER_NAME } from '../../lambdas/domain/platform';
import {
  loadWorkflow,
  PLATFORM_SETUP_STATE_MACHINE,
  prepareStateMachine,
  runOnboarding,
  runStateMachine,
  type LocalRunResult,
  type LocalWorkflow,
  type ProgressEvent,
  type RunOptions,
} from '../../local/runner';
import { ensureSandboxSecret, sandboxEndpoints, type SandboxEndpoints } from '../../local/runner/sandbox';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { createCa, issueCert, validReverseProxySecret, type ReverseProxySecretValue } from '../unit/platform/certs';
import { runCli } from './cli-process';

const ROOT = join(import.meta.dirname, '..', '..');
const HOME = '000000000000';
const PROXY_SECRET = 'palette-onboarding-platform/reverse-proxy';
const USER_ARN = `arn:aws:iam::${HOME}:user/palette-onboarding/${STS_PRINCIPAL_USER_NAME}`;

let sb: RunningLocalSandbox;
let endpoints: SandboxEndpoints;
let workflow: LocalWorkflow;
let systemSecret: string;
let iam: IAMClient;
let secrets: SecretsManagerClient;
const tmp = mkdtempSync(join(tmpdir(), 'platform-setup-e2e-'));

/** Everything a scan must not find, and every run / output it scans. */
const secretValues = new Set<string>();
const runs: LocalRunResult[] = [];
const cliOutputs: string[] = [];

beforeAll(async () => {
  // One synth for the whole file (bundles every function on a cache miss).
  workflow = await loadWorkflow({ context: { selfHosted: true, reverseProxySecretArn: PROXY_SECRET } });
  sb = await startLocalSandbox({
    aws: { port: 0, realism: { iamPropagationMs: 150 } },
    palette: { port: 0, mode: 'self-hosted' },
    env: {},
  });
  endpoints = sandboxEndpoints(sb);
  const prepared = prepareStateMachine(workflow, PLATFORM_SETUP_STATE_MACHINE, { region: sb.aws.region, accountId: HOME });
  systemSecret = prepared.environment.PALETTE_SYSTEM_SECRET_ARN ?? '';
  const base = { region: sb.aws.region, endpoint: sb.aws.endpoint, credentials: { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey } };
  iam = new IAMClient(base);
  secrets = new SecretsManagerClient(base);
  secretValues.add(sb.palette.systemPassword);
}, 300_000);
afterAll(async () => {
  iam?.destroy();
  secrets?.destroy();
  await sb?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

// ---- helpers --------------------------------------------------------------------------------------------

async function setup(input: unknown, name: string, opts: Partial<RunOptions> = {}): Promise<LocalRunResult> {
  const run = await runStateMachine(input, {
    sandbox: sb,
    workflow,
    stateMachine: PLATFORM_SETUP_STATE_MACHINE,
    executionName: name,
    // A new key is usable after the sandbox's short IAM propagation: retry sooner than the real 5 s.
    retryIntervalOverridesMs: { RegisterStsAccount: 200 },
    ...opts,
  });
  runs.push(run);
  return run;
}

const putSecret = (name: string, value: unknown) => ensureSandboxSecret(endpoints, name, value);
const useSystemPassword = (password: string) => putSecret(systemSecret, { username: sb.palette.systemUser, password });

async function putProxy(value: ReverseProxySecretValue | Record<string, unknown>): Promise<void> {
  if (typeof value.clientKey === 'string') secretValues.add(pemBody(value.clientKey));
  await putSecret(PROXY_SECRET, value);
}

/** The base64 body of a PEM block (what would leak even if the armour lines were stripped). */
const pemBody = (pem: string) => pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');

const statesEntered = (r: LocalRunResult) => r.history.filter((e) => e.type.endsWith('StateEntered')).map((e) => e.state);

async function clearPaletteLog(): Promise<void> {
  await fetch(`${sb.palette.endpoint}/_emulator/requests`, { method: 'DELETE' });
}
const paletteApiCalls = () => sb.palette.requests().filter((r) => r.path.startsWith('/v1/'));

async function systemToken(): Promise<string> {
  const res = await fetch(`${sb.palette.endpoint}/v1/auth/syslogin`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: sb.palette.systemUser, password: sb.palette.systemPassword }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { Authorization: string }).Authorization;
}

async function systemGet(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${sb.palette.endpoint}${path}`, { headers: { Authorization: await systemToken() } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function tenantSts(): Promise<{ status: number; body: { accountId?: string; externalId?: string; code?: string } }> {
  const res = await fetch(`${sb.palette.endpoint}/v1/clouds/aws/account/sts`, { headers: { ApiKey: sb.palette.apiKey } });
  return { status: res.status, body: (await res.json()) as { accountId?: string; code?: string } };
}

async function userKeys(): Promise<string[]> {
  const out = await iam.send(new ListAccessKeysCommand({ UserName: STS_PRINCIPAL_USER_NAME }));
  return (out.AccessKeyMetadata ?? []).map((k) => k.AccessKeyId ?? '').sort();
}

/** The STS key secret's current value; its secret access key joins the scan list. */
async function storedKey(): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const v = await secrets.send(new GetSecretValueCommand({ SecretId: STS_KEY_SECRET_NAME }));
  const parsed = JSON.parse(v.SecretString ?? '{}') as { accessKeyId: string; secretAccessKey: string };
  secretValues.add(parsed.secretAccessKey);
  return parsed;
}

/** What the platform setup owns, for "nothing changed" comparisons. */
async function platformWorld(): Promise<unknown> {
  const secret = await secrets.send(new DescribeSecretCommand({ SecretId: STS_KEY_SECRET_NAME }));
  const state = (await (await fetch(`${sb.palette.endpoint}/_emulator/state`)).json()) as { system?: unknown };
  return { iam: sb.aws.inventory()[HOME], keySecretVersions: secret.VersionIdsToStages, paletteSystem: state.system };
}

interface Summary {
  accessKeyId: string;
  accessKeySecretArn: string;
  principal: { created: boolean; policyUpdated: boolean };
  accessKey: { created: boolean };
  rotation: { skipped?: true; rotated?: boolean; previousAccessKeyId?: string; accessKeyId?: string };
  registration: { accountId: string; accessKeyId: string; changed: boolean; verified: boolean; awsAccountMatches: boolean };
  keyCleanup: { activeAccessKeyId: string; deleted: string[] };
  reverseProxy: { skipped?: true; server?: string; changed?: boolean; verified?: boolean };
}
const summary = (r: LocalRunResult) => r.output as Summary;

// ---- scenarios ------------------------------------------------------------------------------------------

describe('before the platform setup', () => {
  it('the runner selects the CDK PlatformSetup state machine; tenants cannot use STS yet', async () => {
    expect(PLATFORM_SETUP_STATE_MACHINE).toBe(CDK_PLATFORM_SETUP_STATE_MACHINE);
    expect(systemSecret).toBe('palette-onboarding-platform/system-credentials');
    const sts = await tenantSts();
    expect(sts.status).toBe(400);
    expect(sts.body.code).toBe('StsNotConfigured');
  });

  it('a wrong system password fails at CheckSystemLogin with a clear cause; nothing is created or changed', async () => {
    const wrong = 'not-the-system-password-4711';
    secretValues.add(wrong);
    await useSystemPassword(wrong);
    await clearPaletteLog();
    const run = await setup({ reverseProxy: false }, 'wrong-password');
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('PaletteSystemLoginError');
    expect(run.errorMessage).toBe(
      'Palette system console login failed (401 InvalidCredentials): check the username and password in secret palette-onboarding-platform/system-credentials',
    );
    expect(statesEntered(run)).toEqual(['Init', 'ValidateInput', 'ShouldCheckReverseProxy', 'CheckSystemLogin', 'Failed']);
    // Not retried (a wrong password does not get better), nothing to compensate.
    expect(run.history.filter((e) => e.type === 'StateRetried')).toEqual([]);
    expect(paletteApiCalls().map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['POST /v1/auth/syslogin 401']);
    expect(sb.aws.inventory()[HOME]?.users ?? []).not.toContain(STS_PRINCIPAL_USER_NAME);
    expect((sb.palette.inspect() as { system: { stsAccount: unknown } }).system.stsAccount ?? null).toBeNull();
  }, 60_000);
});

describe('reverse-proxy settings are rejected field by field before any call to Palette', () => {
  beforeAll(async () => {
    await useSystemPassword(sb.palette.systemPassword);
  });

  const cases: [string, () => Promise<Record<string, unknown>>, string[]][] = [
    [
      'a URL as host, a port out of range, an unknown protocol',
      () => validReverseProxySecret({ server: 'https://frps.example.com/' }).then((v) => ({ ...v, port: 70000, protocol: 'ftp' })),
      [
        'server: must be a host name without a scheme (remove "http(s)://")',
        'port: must be an integer port number from 1 to 65535',
        'protocol: must be http or https',
      ],
    ],
    ['a host with a port', () => validReverseProxySecret({ server: 'frps.example.com:8443' }), ['server: must be a host name without a port (use the port field)']],
    [
      'PEM blocks that do not parse',
      async () => ({ ...(await validReverseProxySecret()), caCert: 'not a certificate', clientKey: '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n' }),
      ['caCert: must be a PEM certificate', 'clientKey: is not a parseable private key'],
    ],
    [
      'a client key that does not match the certificate',
      async () => {
        const ca = await createCa();
        const [cert, other] = [await issueCert(ca), await issueCert(ca)];
        return { ...(await validReverseProxySecret()), caCert: ca.certPem, clientCert: cert.certPem, clientKey: other.keyPem };
      },
      ['clientKey: does not match the public key of clientCert'],
    ],
    [
      'a client certificate another CA signed',
      async () => {
        const [ca, otherCa] = [await createCa({ name: 'Trusted CA' }), await createCa({ name: 'Other CA' })];
        const cert = await issueCert(otherCa);
        return { ...(await validReverseProxySecret()), caCert: ca.certPem, clientCert: cert.certPem, clientKey: cert.keyPem };
      },
      ['clientCert: is not signed by the CA in caCert (issuer "CN=Other CA")'],
    ],
    [
      'a certificate for another host name (subject alternative names)',
      async () => {
        const ca = await createCa();
        const cert = await issueCert(ca, { dnsNames: ['proxy.elsewhere.example.org'] });
        return { ...(await validReverseProxySecret({ server: 'frps.palette.example.com' })), caCert: ca.certPem, clientCert: cert.certPem, clientKey: cert.keyPem };
      },
      ['clientCert: is not valid for the server "frps.palette.example.com": its subject alternative names are DNS:proxy.elsewhere.example.org'],
    ],
    [
      'an expired client certificate',
      async () => {
        const ca = await createCa();
        const cert = await issueCert(ca, { notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
        return { ...(await validReverseProxySecret()), caCert: ca.certPem, clientCert: cert.certPem, clientKey: cert.keyPem };
      },
      ['clientCert: the client certificate expired on'],
    ],
  ];

  it.each(cases)('%s', async (_, make, messages) => {
    const value = await make();
    await putProxy(value);
    await clearPaletteLog();
    const run = await setup({}, 'bad-proxy');
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ReverseProxyValidationError');
    expect(statesEntered(run)).toEqual(['Init', 'ValidateInput', 'ShouldCheckReverseProxy', 'CheckReverseProxySecret', 'Failed']);
    expect(run.errorMessage).toMatch(/^Invalid reverse proxy settings in secret palette-onboarding-platform\/reverse-proxy: /);
    for (const m of messages) expect(run.errorMessage).toContain(m);
    // Nothing reached Palette, nothing was created, no key material in the failure.
    expect(paletteApiCalls()).toEqual([]);
    expect(sb.aws.inventory()[HOME]?.users ?? []).not.toContain(STS_PRINCIPAL_USER_NAME);
    if (typeof value.clientKey === 'string' && value.clientKey.includes('PRIVATE KEY')) expect(run.cause).not.toContain(pemBody(value.clientKey).slice(0, 40));
  }, 60_000);
});

describe('setup from scratch, then a re-run', () => {
  let first: LocalRunResult;
  let proxy: ReverseProxySecretValue;
  const progress: ProgressEvent[] = [];
  beforeAll(async () => {
    proxy = await validReverseProxySecret({ server: 'frps.palette.example.internal', port: 8443 });
    await putProxy(proxy);
    await clearPaletteLog();
    first = await setup({}, 'setup-first', { onProgress: (e) => progress.push(e) });
  }, 120_000);

  it('succeeds through every state, reporting progress per state', () => {
    expect(first.errorMessage).toBeUndefined();
    expect(first.status).toBe('SUCCEEDED');
    expect(statesEntered(first)).toEqual([
      'Init',
      'ValidateInput',
      'ShouldCheckReverseProxy',
      'CheckReverseProxySecret',
      'CheckSystemLogin',
      'IsStsAccountOurs',
      'EnsureStsUser',
      'EnsureAccessKey',
      'ShouldRotate',
      'SkipRotation',
      'RegisterStsAccount',
      'CleanupAccessKeys',
      'ShouldConfigureReverseProxy',
      'ConfigureReverseProxy',
      'WasStsAccountLeftAlone',
      'BuildSummary',
      'Done',
    ]);
    const succeeded = progress.filter((e) => e.kind === 'state-succeeded').map((e) => (e.kind === 'state-succeeded' ? e.state : ''));
    expect(succeeded).toEqual(statesEntered(first));
  });

  it('creates the STS principal with only sts:AssumeRole on the tenant role pattern, and exactly one key, stored in Secrets Manager', async () => {
    const out = summary(first);
    expect(first.output).toMatchObject({ executionName: 'setup-first', accountId: HOME, partition: 'aws', userArn: USER_ARN });
    expect(out.principal).toMatchObject({ created: true, policyUpdated: true });
    expect((await iam.send(new GetUserCommand({ UserName: STS_PRINCIPAL_USER_NAME }))).User?.Arn).toBe(USER_ARN);
    expect((await iam.send(new ListUserPoliciesCommand({ UserName: STS_PRINCIPAL_USER_NAME }))).PolicyNames).toEqual([STS_PRINCIPAL_POLICY_NAME]);
    expect((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: STS_PRINCIPAL_USER_NAME }))).AttachedPolicies).toEqual([]);
    const policy = await iam.send(new GetUserPolicyCommand({ UserName: STS_PRINCIPAL_USER_NAME, PolicyName: STS_PRINCIPAL_POLICY_NAME }));
    expect(JSON.parse(decodeURIComponent(policy.PolicyDocument ?? '')).Statement).toEqual([
      { Sid: 'AssumePaletteOnboardingTenantRoles', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::*:role/palette-onboarding/palette-onboarding-*' },
    ]);
    expect(await userKeys()).toEqual([out.accessKeyId]);
    const stored = await storedKey();
    expect(stored.accessKeyId).toBe(out.accessKeyId);
    expect(stored.secretAccessKey.length).toBeGreaterThanOrEqual(40);
    expect(out.accessKeySecretArn).toMatch(new RegExp(`^arn:aws:secretsmanager:us-east-1:${HOME}:secret:palette-onboarding-platform/sts-access-key-\\w{6}$`));
  });

  it("registers the system STS account with Palette (read back through the docs' GETs) and configures the reverse proxy", async () => {
    const out = summary(first);
    expect(out.registration).toEqual({ accountId: HOME, accessKeyId: out.accessKeyId, changed: true, method: 'PUT', verified: true, awsAccountMatches: true });
    const sts = await systemGet('/v1/system/config/aws/sts/account');
    expect(sts).toEqual({ status: 200, body: { accountId: HOME, accessKey: out.accessKeyId, secretKey: '************' } });
    const account = await systemGet('/v1/system/config/aws/account');
    expect(account.body).toEqual({ spec: { accessKey: out.accessKeyId, secretKey: '************' } });
    expect(paletteApiCalls().filter((r) => r.method === 'PUT').map((r) => `${r.path} ${r.status}`)).toEqual([
      '/v1/system/config/aws/sts/account 204',
      '/v1/system/config/reverseproxy 204',
    ]);

    expect(out.reverseProxy).toMatchObject({ server: 'frps.palette.example.internal', port: 8443, protocol: 'https', changed: true, verified: true });
    const rp = await systemGet('/v1/system/config/reverseproxy');
    expect(rp.status).toBe(200);
    expect(rp.body).toMatchObject({ server: 'frps.palette.example.internal', port: 8443, protocol: 'https' });
    const norm = (pem: unknown) => String(pem).trim();
    expect(norm(rp.body.caCert)).toBe(norm(proxy.caCert));
    expect(norm(rp.body.clientCert)).toBe(norm(proxy.clientCert));
    expect(pemBody(String(rp.body.clientKey))).toBe(pemBody(proxy.clientKey));
  });

  it('tenants now get the home account from GET /v1/clouds/aws/account/sts', async () => {
    const sts = await tenantSts();
    expect(sts.status).toBe(200);
    expect(sts.body.accountId).toBe(HOME);
  });

  it('a re-run changes nothing: no IAM, secret or Palette change, no Palette write', async () => {
    const before = await platformWorld();
    await clearPaletteLog();
    const again = await setup({}, 'setup-again');
    expect(again.status).toBe('SUCCEEDED');
    const out = summary(again);
    expect(out).toMatchObject({
      accessKeyId: summary(first).accessKeyId,
      principal: { created: false, policyUpdated: false },
      accessKey: { created: false },
      rotation: { skipped: true },
      registration: { changed: false, verified: true },
      keyCleanup: { deleted: [] },
      reverseProxy: { changed: false, verified: true },
    });
    expect(await platformWorld()).toEqual(before);
    const writes = paletteApiCalls().filter((r) => r.method !== 'GET' && r.path !== '/v1/auth/syslogin');
    expect(writes).toEqual([]);
  }, 60_000);
});

describe('self-hosted STS onboarding of a tenant right after the setup', () => {
  const request = { tenantId: 'initech', aws: { accountId: '444444444444', region: 'us-east-1', credentialMode: 'sts' } };
  let run: LocalRunResult;
  beforeAll(async () => {
    run = await runOnboarding(request, { sandbox: sb, workflow });
    runs.push(run);
  }, 180_000);

  it('succeeds: the tenant role trusts the home account with the external id Palette reports, and Palette validated it', async () => {
    expect(run.errorMessage).toBeUndefined();
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toMatchObject({
      tenantId: 'initech',
      credentialMode: 'sts',
      principal: { kind: 'sts', arn: 'arn:aws:iam::444444444444:role/palette-onboarding/palette-onboarding-initech', created: true },
      cloudAccount: { name: 'initech-aws', created: true },
      verification: { ok: true },
    });
    const sts = await tenantSts();
    expect(sts.body.accountId).toBe(HOME);

    // The role as an operator of the tenant account sees it.
    const base = { region: 'us-east-1', endpoint: sb.aws.endpoint, credentials: { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey } };
    const assumed = await new STSClient(base).send(
      new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::444444444444:role/OrganizationAccountAccessRole', RoleSessionName: 'operator' }),
    );
    const c = assumed.Credentials;
    const tenantIam = new IAMClient({ ...base, credentials: { accessKeyId: c?.AccessKeyId ?? '', secretAccessKey: c?.SecretAccessKey ?? '', sessionToken: c?.SessionToken ?? '' } });
    const role = await tenantIam.send(new GetRoleCommand({ RoleName: 'palette-onboarding-initech' }));
    tenantIam.destroy();
    const trust = JSON.parse(decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? '')) as {
      Statement: { Effect: string; Principal: { AWS: string }; Action: string; Condition: { StringEquals: Record<string, string> } }[];
    };
    expect(trust.Statement).toHaveLength(1);
    expect(trust.Statement[0]).toMatchObject({
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${HOME}:root` },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'sts:ExternalId': sts.body.externalId } },
    });
  });
});

describe('rotation', () => {
  let before: { accessKeyId: string; secretAccessKey: string };
  let run: LocalRunResult;
  let atRegistration: { keys: string[]; paletteKey: unknown } | undefined;
  beforeAll(async () => {
    before = await storedKey();
    run = await setup({ rotateAccessKey: true }, 'rotate', {
      afterTask: async (state) => {
        if (state !== 'RegisterStsAccount') return;
        const sts = await systemGet('/v1/system/config/aws/sts/account');
        atRegistration = { keys: await userKeys(), paletteKey: sts.body.accessKey };
      },
    });
  }, 120_000);

  it('creates a new key, points Palette at it, then deletes the old one: exactly one key remains', async () => {
    expect(run.errorMessage).toBeUndefined();
    expect(run.status).toBe('SUCCEEDED');
    const out = summary(run);
    expect(out.rotation).toMatchObject({ rotated: true, previousAccessKeyId: before.accessKeyId });
    const next = out.accessKeyId;
    expect(next).not.toBe(before.accessKeyId);
    expect(out.rotation.accessKeyId).toBe(next);
    expect(out.registration).toMatchObject({ accessKeyId: next, changed: true, verified: true });
    expect(out.keyCleanup).toEqual({ activeAccessKeyId: next, deleted: [before.accessKeyId] });
    // No gap: when Palette switched to the new key, the old one still existed.
    expect(atRegistration).toEqual({ keys: [before.accessKeyId, next].sort(), paletteKey: next });
    expect(await userKeys()).toEqual([next]);
    expect((await storedKey()).accessKeyId).toBe(next);
    expect((await systemGet('/v1/system/config/aws/sts/account')).body).toMatchObject({ accountId: HOME, accessKey: next });
  });

  it('Palette assumes the tenant role with the new key', async () => {
    const sts = await tenantSts();
    const res = await fetch(`${sb.palette.endpoint}/v1/clouds/aws/account/validate`, {
      method: 'POST',
      headers: { ApiKey: sb.palette.apiKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        credentialType: 'sts',
        sts: { arn: 'arn:aws:iam::444444444444:role/palette-onboarding/palette-onboarding-initech', externalId: sts.body.externalId },
      }),
    });
    expect(res.status).toBe(204);
  });
});


/** Palette's system STS account as an operator sets it by hand (the docs' curl). */
async function setStsAccountByHand(account: { accountId: string; accessKey: string; secretKey: string }): Promise<void> {
  secretValues.add(account.secretKey);
  const res = await fetch(`${sb.palette.endpoint}/v1/system/config/aws/sts/account`, {
    method: 'POST',
    headers: { Authorization: await systemToken(), 'Content-Type': 'application/json' },
    body: JSON.stringify(account),
  });
  expect(res.status).toBe(204);
}

describe('an STS account registered by hand is not ours', () => {
  const HAND = { accountId: '222222222222', accessKey: 'AKIAHANDMADE00000001', secretKey: 'hand-made-secret-key-0001' };
  let leftAlone: LocalRunResult;
  let worldBefore: unknown;
  beforeAll(async () => {
    await setStsAccountByHand(HAND);
    worldBefore = await platformWorld();
    await clearPaletteLog();
    leftAlone = await setup({}, 'foreign-left-alone');
  }, 60_000);

  it('is reported and left alone: no principal change, no registration, Palette unchanged', async () => {
    expect(leftAlone.errorMessage).toBeUndefined();
    expect(leftAlone.status).toBe('SUCCEEDED');
    const states = statesEntered(leftAlone);
    expect(states).toContain('LeaveStsAccountAlone');
    expect(states).toContain('BuildLeftAloneSummary');
    for (const st of ['EnsureStsUser', 'EnsureAccessKey', 'RegisterStsAccount', 'CleanupAccessKeys']) expect(states).not.toContain(st);
    expect(leftAlone.output).toMatchObject({
      stsAccountStatus: 'left-alone',
      userArn: USER_ARN,
      registration: {
        leftAlone: true,
        changed: false,
        paletteStsAccount: {
          owner: 'foreign',
          accountId: HAND.accountId,
          accessKeyId: HAND.accessKey,
          reason: `it is AWS account ${HAND.accountId}, not this deployment's home account ${HOME}`,
        },
      },
      reverseProxy: { changed: false, verified: true },
    });
    expect((await systemGet('/v1/system/config/aws/sts/account')).body).toMatchObject({ accountId: HAND.accountId, accessKey: HAND.accessKey });
    expect(paletteApiCalls().filter((r) => r.method !== 'GET' && r.path !== '/v1/auth/syslogin')).toEqual([]);
    expect(await platformWorld()).toEqual(worldBefore);
  });

  it('takeOver replaces it with the STS principal, and says what it replaced', async () => {
    const run = await setup({ takeOver: true }, 'take-over');
    expect(run.errorMessage).toBeUndefined();
    expect(run.status).toBe('SUCCEEDED');
    const key = await storedKey();
    expect(summary(run).registration).toMatchObject({
      accountId: HOME,
      accessKeyId: key.accessKeyId,
      changed: true,
      verified: true,
      tookOver: { accountId: HAND.accountId, accessKeyId: HAND.accessKey },
    });
    expect((await systemGet('/v1/system/config/aws/sts/account')).body).toMatchObject({ accountId: HOME, accessKey: key.accessKeyId });
    expect((await tenantSts()).body.accountId).toBe(HOME);
  }, 60_000);
});

describe('palette-onboard platform-setup --local', () => {
  it('uses the running sandbox, stores the reverse-proxy file as the secret, takes over a hand-made STS account (--take-over), prints progress and a summary', async () => {
    const proxy = await validReverseProxySecret({ server: 'proxy.palette.example.internal' });
    secretValues.add(pemBody(proxy.clientKey));
    // The Helm values file holds the key as base64 of its PEM: never in the CLI's output.
    secretValues.add(Buffer.from(proxy.clientKey).toString('base64').slice(0, 64));
    const file = join(tmp, 'reverse-proxy.json');
    writeFileSync(file, JSON.stringify(proxy));
    const key = await storedKey();
    // The home account with a key that is not the STS principal's: someone else's, taken over with --take-over.
    await setStsAccountByHand({ accountId: HOME, accessKey: 'AKIAHANDMADE00000002', secretKey: 'hand-made-secret-key-0002' });
    const helmValues = join(tmp, 'frps-values.yaml');
    const res = await runCli(['platform-setup', '--local', '--take-over', '--reverse-proxy', file, '--helm-values', helmValues], {
      ...process.env,
      AWS_ENDPOINT_URL: sb.aws.endpoint,
      SANDBOX_PALETTE_ENDPOINT: sb.palette.endpoint,
      SANDBOX_ACCESS_KEY_ID: sb.aws.accessKeyId,
      SANDBOX_SECRET_ACCESS_KEY: sb.aws.secretAccessKey,
      PALETTE_SANDBOX_API_KEY: sb.palette.apiKey,
      PALETTE_SANDBOX_SYSTEM_PASSWORD: sb.palette.systemPassword,
      NO_COLOR: '1',
    });
    cliOutputs.push(res.stdout, res.stderr);
    expect(res.stderr).not.toContain('platform-setup:');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`using the sandbox running at ${sb.aws.endpoint} (Palette ${sb.palette.endpoint}, self-hosted mode)`);
    expect(res.stdout).toMatch(/✓ CheckReverseProxySecret +Task/);
    expect(res.stdout).toMatch(/✓ ConfigureReverseProxy +Task/);
    expect(res.stdout).toContain('Platform setup succeeded');
    expect(res.stdout).toContain(`STS principal (IAM user) ${USER_ARN} (exists, policy unchanged)`);
    expect(res.stdout).toContain(`access key id            ${key.accessKeyId} (unchanged)`);
    expect(res.stdout).toContain(`Palette STS account      ${HOME}, key ${key.accessKeyId} (set with PUT, read back and verified)`);
    expect(res.stdout).toContain("took over from account 000000000000, key AKIAHANDMADE00000002 (not this deployment's)");
    // The Helm values of the management cluster, from the same file, written before the run.
    expect(res.stdout).toContain(`Wrote the Helm values of Palette's management cluster to ${helmValues} (frps enabled, frpHostURL proxy.palette.example.internal`);
    expect(res.stdout).toContain(`helm upgrade --values values.yaml --values ${helmValues} hubble spectro-mgmt-plane-0.0.0.tgz --install`);
    const values = readFileSync(helmValues, 'utf8');
    expect(statSync(helmValues).mode & 0o777).toBe(0o600);
    expect(values).toContain('    frpHostURL: "proxy.palette.example.internal"');
    const keyB64 = /^ {6}key: "([A-Za-z0-9+/=]+)"$/m.exec(values)?.[1] ?? '';
    expect(pemBody(Buffer.from(keyB64, 'base64').toString('utf8'))).toBe(pemBody(proxy.clientKey));
    expect(res.stdout).toContain('reverse proxy            https://proxy.palette.example.internal:443 (configured, read back and verified)');
    expect(res.stdout).toContain(`Palette tells tenants    STS account ${HOME} (GET /v1/clouds/aws/account/sts): tenant roles trust arn:aws:iam::${HOME}:root`);
    expect((await systemGet('/v1/system/config/reverseproxy')).body.server).toBe('proxy.palette.example.internal');
  }, 180_000);
});

describe('platform-setup --local on a default (SaaS-mode) sandbox, as `npm run sandbox` starts it', () => {
  it('turns the emulator into the self-hosted instance it configures; the docs\' curls and an STS onboarding then work', async () => {
    const saas = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 300 } }, palette: { port: 0 }, env: {} });
    try {
      expect(saas.palette.mode).toBe('saas');
      const env = {
        ...process.env,
        AWS_ENDPOINT_URL: saas.aws.endpoint,
        SANDBOX_PALETTE_ENDPOINT: saas.palette.endpoint,
        SANDBOX_ACCESS_KEY_ID: saas.aws.accessKeyId,
        SANDBOX_SECRET_ACCESS_KEY: saas.aws.secretAccessKey,
        PALETTE_SANDBOX_API_KEY: saas.palette.apiKey,
        PALETTE_SANDBOX_SYSTEM_PASSWORD: saas.palette.systemPassword,
        NO_COLOR: '1',
      };
      // With a reverse-proxy file, as the test above: the same synthesis context (selfHosted + the proxy secret), so
      // the cached assembly serves this CLI process too instead of a third synthesis in CI.
      const proxy = await validReverseProxySecret({ server: 'proxy.saas-sandbox.example.internal' });
      secretValues.add(pemBody(proxy.clientKey));
      const file = join(tmp, 'reverse-proxy-saas.json');
      writeFileSync(file, JSON.stringify(proxy));
      const setup = await runCli(['platform-setup', '--local', '--reverse-proxy', file], env);
      cliOutputs.push(setup.stdout, setup.stderr);
      expect(setup.code).toBe(0);
      expect(setup.stdout).toContain('switched the Palette emulator to self-hosted mode');
      expect(saas.palette.mode).toBe('self-hosted');
      // The docs' sequence, as curl would send it.
      const login = await fetch(`${saas.palette.endpoint}/v1/auth/syslogin`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: saas.palette.systemUser, password: saas.palette.systemPassword }),
      });
      const token = ((await login.json()) as { Authorization: string }).Authorization;
      const sts = (await (await fetch(`${saas.palette.endpoint}/v1/system/config/aws/sts/account`, { headers: { Authorization: token } })).json()) as { accountId?: string };
      expect(sts.accountId).toBe(HOME);
      const account = await fetch(`${saas.palette.endpoint}/v1/system/config/aws/account`, { headers: { Authorization: token } });
      expect(account.status).toBe(200);
      const tenantSts = (await (await fetch(`${saas.palette.endpoint}/v1/clouds/aws/account/sts`, { headers: { ApiKey: saas.palette.apiKey } })).json()) as { accountId?: string };
      expect(tenantSts.accountId).toBe(HOME);
      // A tenant onboarded afterwards trusts the home account, and Palette validates through the STS principal.
      const start = await runCli(['start', '--local', 'examples/sts-tenant.json'], env);
      cliOutputs.push(start.stdout, start.stderr);
      expect(start.code).toBe(0);
      expect(start.stdout).toContain('Onboarding succeeded');
    } finally {
      await saas.stop();
    }
  }, 240_000);
});

describe('no secret value leaks', () => {
  it('no STS secret access key, system password or reverse-proxy client key in history, output, events, logs or CLI output', () => {
    // The scan is meaningful: runs logged, and identifiers (not secrets) are there.
    expect(runs.length).toBeGreaterThanOrEqual(10);
    expect(secretValues.size).toBeGreaterThanOrEqual(8);
    const everything = JSON.stringify(
      runs.map((r) => ({ history: r.history, output: r.output, events: r.events, logs: r.logs, invocations: r.invocations, cause: r.cause })),
    );
    expect(everything).toContain(USER_ARN);
    expect(runs.flatMap((r) => r.logs).filter((l) => l.source === 'handler').length).toBeGreaterThan(0);
    const cli = cliOutputs.join('\n');
    for (const value of secretValues) {
      expect(value.length).toBeGreaterThan(8);
      expect(everything.includes(value), 'a secret value in a run').toBe(false);
      expect(cli.includes(value), 'a secret value in the CLI output').toBe(false);
    }
  });
});
