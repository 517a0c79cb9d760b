import { generateKeyPairSync } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { paletteFetch, type PaletteHttpResponse } from '../../local/palette/http';
import { type RunningPaletteEmulator, paletteOptionsFromEnv, startPaletteEmulator } from '../../local/palette/index';
import { HANDLERS } from '../../local/palette/operations';
import { loadSpec } from '../../local/palette/spec';
import { MASK } from '../../local/palette/state';

type Json = Record<string, unknown>;

function sshPublicKey(comment = 'test@sandbox'): string {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  const raw = Buffer.from(String(jwk.x), 'base64url');
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]).toString('base64')} ${comment}`;
}

function obj(v: unknown): Json {
  expect(typeof v).toBe('object');
  return v as Json;
}

function err(r: PaletteHttpResponse): { code: string; message: string; details?: Json } {
  return obj(r.json) as { code: string; message: string; details?: Json };
}

const S3_LOCATION = (name: string, extra: Json = {}) => ({
  metadata: { name },
  spec: {
    config: {
      bucketName: 'backups-bucket',
      region: 'us-east-1',
      credentials: { credentialType: 'secret', accessKey: 'AKIAEXAMPLE000000001', secretKey: 'super-secret-value' },
    },
    ...extra,
  },
});

const AWS_ACCOUNT = (name: string) => ({
  metadata: { name },
  spec: { credentialType: 'secret', accessKey: 'AKIAEXAMPLE000000002', secretKey: 'another-secret' },
});

describe('Palette emulator', () => {
  let emu: RunningPaletteEmulator;
  const api = (method: string, path: string, opts: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}) =>
    paletteFetch(emu.endpoint, method, path, opts);
  const asTenant = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    api(method, path, { ...(body !== undefined ? { body } : {}), headers: { ApiKey: emu.apiKey, ...headers } });
  const asProject = (method: string, path: string, body?: unknown) => asTenant(method, path, body, { ProjectUid: emu.projectUid });
  const sysToken = async () => {
    const r = await api('POST', '/v1/auth/syslogin', { body: { username: emu.systemUser, password: emu.systemPassword } });
    expect(r.status).toBe(200);
    return String(obj(r.json).Authorization);
  };
  const userToken = async () => {
    const r = await api('POST', '/v1/auth/authenticate', { body: { emailId: emu.tenantUser, password: emu.tenantPassword } });
    expect(r.status).toBe(200);
    return String(obj(r.json).Authorization);
  };

  beforeAll(async () => {
    emu = await startPaletteEmulator({ port: 0, rateLimit: false });
  });
  afterAll(async () => {
    await emu.stop();
  });
  afterEach(() => {
    emu.reset();
    emu.configure({ rateLimit: false, clockOffsetMs: 0, latency: { defaultMs: 0, jitterMs: 0, perPrefix: {} }, faults: { rules: [] } });
  });

  it('has a handler for every operation of the spec subset, including the documented-only ones and the supplement', () => {
    const ops = loadSpec().operations;
    expect(ops.length).toBe(62);
    expect(ops.filter((o) => o.inferred).map((o) => `${o.method} ${o.template}`).sort()).toEqual([
      'POST /v1/auth/syslogin',
      'POST /v1/system/config/aws/sts/account',
    ]);
    expect(ops.filter((o) => o.supplement).map((o) => `${o.method} ${o.template}`).sort()).toEqual([
      'GET /v1/overlords',
      'GET /v1/overlords/{uid}',
      'GET /v1/spectroclusters/{uid}/features/backup',
      'POST /v1/dashboard/spectroclusters/search',
    ]);
    expect(loadSpec({ supplementPath: null }).operations.length).toBe(58);
    for (const op of ops) expect(HANDLERS[op.operationId], op.operationId).toBeTypeOf('function');
    expect(Object.keys(HANDLERS).sort()).toEqual(ops.map((o) => o.operationId).sort());
  });

  describe('request validation against the spec', () => {
    it('rejects a missing required field with 400 naming the field', async () => {
      const body = S3_LOCATION('l1');
      delete (body.spec.config as Partial<typeof body.spec.config>).bucketName;
      const r = await asTenant('POST', '/v1/users/assets/locations/s3', body);
      expect(r.status).toBe(400);
      expect(err(r).code).toBe('InvalidRequest');
      expect(err(r).message).toBe('spec.config.bucketName: is required');
      expect(err(r).details?.field).toBe('spec.config.bucketName');
    });

    it('names wrong types, enum violations and formats', async () => {
      const r = await asTenant('POST', '/v1/users/assets/locations/s3', {
        metadata: { name: 'l1' },
        spec: { isDefault: 'yes', config: { bucketName: 'b-1', region: 'us-east-1', credentials: { credentialType: 'password' } } },
      });
      expect(r.status).toBe(400);
      expect(err(r).message).toContain('spec.isDefault: must be boolean');
      expect(err(r).message).toContain('spec.config.credentials.credentialType: must be one of "secret", "sts", "pod-identity"');
      const fields = (err(r).details?.errors as { field: string }[]).map((e) => e.field);
      expect(fields).toEqual(expect.arrayContaining(['spec.isDefault', 'spec.config.credentials.credentialType']));

      const expiry = await asTenant('POST', '/v1/apiKeys', { metadata: { name: 'k' }, spec: { expiry: 'next tuesday' } });
      expect(expiry.status).toBe(400);
      expect(err(expiry).message).toBe('spec.expiry: must be a valid date-time');

      const arns = await asTenant('POST', '/v1/clouds/aws/policyArns/validate', { account: {}, policyArns: ['arn:aws:iam::aws:policy/x', 7] });
      expect(arns.status).toBe(400);
      expect(err(arns).message).toBe('policyArns[1]: must be string');
    });

    it('requires declared-required bodies and the Azure account fields the spec marks required', async () => {
      const noBody = await asTenant('POST', '/v1/clouds/aws/s3/validate');
      expect(noBody.status).toBe(400);
      expect(err(noBody).message).toBe('body: is required');

      const azure = await asTenant('POST', '/v1/cloudaccounts/azure', { metadata: { name: 'az' }, spec: { tenantId: 't', clientId: 'c' } });
      expect(azure.status).toBe(400);
      expect(err(azure).message).toBe('spec.clientSecret: is required');
    });

    it('rejects invalid JSON and badly typed query parameters', async () => {
      const bad = await api('POST', '/v1/users/assets/sshkeys', { rawBody: '{"metadata": ', headers: { ApiKey: emu.apiKey } });
      expect(bad.status).toBe(400);
      expect(err(bad).message).toMatch(/^body: is not valid JSON/);

      const limit = await asTenant('GET', '/v1/cloudaccounts/aws?limit=many');
      expect(limit.status).toBe(400);
      expect(err(limit).message).toBe('limit: must be integer');

      const partition = await asTenant('GET', '/v1/clouds/aws/account/sts?partition=aws-cn');
      expect(partition.status).toBe(400);
      expect(err(partition).message).toBe('partition: must be one of "aws", "aws-us-gov"');
    });

    it('adds the name and credential checks the schema cannot express', async () => {
      const noName = await asTenant('POST', '/v1/cloudaccounts/aws', { metadata: {}, spec: AWS_ACCOUNT('x').spec });
      expect(err(noName).message).toBe('metadata.name: is required');
      const sts = await asTenant('POST', '/v1/cloudaccounts/aws', { metadata: { name: 'a' }, spec: { credentialType: 'sts', sts: {} } });
      expect(sts.status).toBe(400);
      expect(err(sts).message).toBe('spec.sts.arn: is required for credentialType sts');
      const arn = await asTenant('POST', '/v1/cloudaccounts/aws', {
        metadata: { name: 'a' },
        spec: { credentialType: 'sts', sts: { arn: 'arn:aws:iam::12345:user/bob' } },
      });
      expect(err(arn).message).toMatch(/^spec\.sts\.arn: .* is not an IAM role ARN/);
      const ssh = await asTenant('POST', '/v1/users/assets/sshkeys', { metadata: { name: 's' }, spec: { publicKey: 'ssh-rsa AAAAnotakey' } });
      expect(ssh.status).toBe(400);
      expect(err(ssh).details?.field).toBe('spec.publicKey');
    });

    it('ignores undeclared fields like Palette, or rejects them when rejectUnknownFields is on', async () => {
      const body = { metadata: { name: 'k1', bogus: 1 }, spec: { publicKey: sshPublicKey() } };
      expect((await asTenant('POST', '/v1/users/assets/sshkeys', body)).status).toBe(201);
      const strict = await startPaletteEmulator({ port: 0, rateLimit: false, rejectUnknownFields: true });
      try {
        const r = await paletteFetch(strict.endpoint, 'POST', '/v1/users/assets/sshkeys', { body, headers: { ApiKey: strict.apiKey } });
        expect(r.status).toBe(400);
        expect(err(r).message).toBe('metadata.bogus: is not a field of this schema');
      } finally {
        await strict.stop();
      }
    });
  });

  describe('response shapes', () => {
    it('answers creates with 201 {uid} (24 hex) and AuditUid, updates/deletes/validates with an empty 204', async () => {
      const created = await asTenant('POST', '/v1/cloudaccounts/aws', AWS_ACCOUNT('acct'));
      expect(created.status).toBe(201);
      expect(Object.keys(obj(created.json))).toEqual(['uid']);
      const uid = String(obj(created.json).uid);
      expect(uid).toMatch(/^[0-9a-f]{24}$/);
      expect(created.headers.get('audituid')).toMatch(/^[0-9a-f]{24}$/);

      const updated = await asTenant('PUT', `/v1/cloudaccounts/aws/${uid}`, AWS_ACCOUNT('acct'));
      expect(updated.status).toBe(204);
      expect(updated.text).toBe('');
      expect(updated.headers.get('content-type')).toBeNull();

      const validated = await asTenant('POST', '/v1/clouds/azure/account/validate', {
        tenantId: '11111111-2222-3333-4444-555555555555',
        clientId: '66666666-7777-8888-9999-000000000000',
        clientSecret: 's3cr3t',
      });
      expect(validated.status).toBe(204);
      expect(validated.text).toBe('');

      const deleted = await asTenant('DELETE', `/v1/cloudaccounts/aws/${uid}`);
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe('');
      const gone = await asTenant('GET', `/v1/cloudaccounts/aws/${uid}`);
      expect(gone.status).toBe(404);
      expect(err(gone).code).toBe('ResourceNotFound');
    });

    it('lists cloud accounts with listmeta, paging with limit and continue, filters and orderBy', async () => {
      for (const n of ['c', 'a', 'b']) expect((await asTenant('POST', '/v1/cloudaccounts/aws', AWS_ACCOUNT(n))).status).toBe(201);
      const first = obj((await asTenant('GET', '/v1/cloudaccounts/aws?limit=2')).json);
      expect((first.items as unknown[]).length).toBe(2);
      const meta = obj(first.listmeta);
      expect(meta.count).toBe(3);
      expect(meta.continue).not.toBe('');
      const second = obj((await asTenant('GET', `/v1/cloudaccounts/aws?continue=${encodeURIComponent(String(meta.continue))}`)).json);
      expect((second.items as Json[]).map((i) => obj(i.metadata).name)).toEqual(['b']);
      expect(obj(second.listmeta).continue).toBe('');

      const filtered = obj((await asTenant('GET', '/v1/cloudaccounts/aws?filters=metadata.name=a')).json);
      expect((filtered.items as Json[]).map((i) => obj(i.metadata).name)).toEqual(['a']);
      const ordered = obj((await asTenant('GET', '/v1/cloudaccounts/aws?orderBy=metadata.name=-1')).json);
      expect((ordered.items as Json[]).map((i) => obj(i.metadata).name)).toEqual(['c', 'b', 'a']);
    });

    it('returns 404 for unknown paths and 405 with Allow for unknown methods', async () => {
      const missing = await asTenant('GET', '/v1/spectroclusters');
      expect(missing.status).toBe(404);
      const method = await asTenant('PATCH', '/v1/cloudaccounts/aws/abc');
      expect(method.status).toBe(405);
      expect(method.headers.get('allow')).toBe('GET, PUT, DELETE');
    });
  });

  describe('authentication', () => {
    it('matches ApiKey, Authorization and ProjectUid header names case-insensitively', async () => {
      for (const name of ['ApiKey', 'apiKey', 'apikey', 'APIKEY']) {
        expect((await api('GET', '/v1/users/assets/sshkeys', { headers: { [name]: emu.apiKey } })).status, name).toBe(200);
      }
      const token = await userToken();
      for (const name of ['Authorization', 'authorization', 'AUTHORIZATION']) {
        expect((await api('GET', '/v1/users/assets/sshkeys', { headers: { [name]: token } })).status, name).toBe(200);
      }
      const created = await api('POST', '/v1/users/assets/sshkeys', {
        body: { metadata: { name: 'k' }, spec: { publicKey: sshPublicKey() } },
        headers: { apikey: emu.apiKey, projectuid: emu.projectUid },
      });
      expect(created.status).toBe(201);
      const inProject = await api('GET', '/v1/users/assets/sshkeys', { headers: { APIKEY: emu.apiKey, PROJECTUID: emu.projectUid } });
      expect((obj(inProject.json).items as unknown[]).length).toBe(1);
    });

    it('takes the raw token in Authorization and rejects a Bearer prefix, missing or bad credentials', async () => {
      const token = await userToken();
      expect(token.split('.').length).toBe(3);
      const bearer = await api('GET', '/v1/users/assets/sshkeys', { headers: { Authorization: `Bearer ${token}` } });
      expect(bearer.status).toBe(401);
      expect(err(bearer).message).toContain('Bearer');
      expect((await api('GET', '/v1/users/assets/sshkeys')).status).toBe(401);
      expect((await api('GET', '/v1/users/assets/sshkeys', { headers: { ApiKey: 'not-a-key' } })).status).toBe(401);
      expect((await api('GET', '/v1/users/assets/sshkeys', { headers: { Authorization: `${token}x` } })).status).toBe(401);
      const wrong = await api('POST', '/v1/auth/authenticate', { body: { emailId: emu.tenantUser, password: 'nope' } });
      expect(wrong.status).toBe(401);
      expect(err(wrong).code).toBe('InvalidCredentials');
    });

    it('sets the Authorization cookie unless setCookie=false', async () => {
      const body = { emailId: emu.tenantUser, password: emu.tenantPassword };
      expect((await api('POST', '/v1/auth/authenticate', { body })).headers.get('set-cookie')).toMatch(/^Authorization=/);
      expect((await api('POST', '/v1/auth/authenticate?setCookie=false', { body })).headers.get('set-cookie')).toBeNull();
    });

    it('expires tokens after 15 minutes and refreshes them within the lifetime', async () => {
      const token = await userToken();
      const refreshed = await api('GET', `/v1/auth/refresh/${token}`);
      expect(refreshed.status).toBe(200);
      const fresh = String(obj(refreshed.json).Authorization);
      expect(fresh).not.toBe(token);
      expect((await api('GET', '/v1/apiKeys', { headers: { Authorization: fresh } })).status).toBe(200);

      emu.configure({ clockOffsetMs: 14 * 60 * 1000 });
      expect((await api('GET', '/v1/apiKeys', { headers: { Authorization: token } })).status).toBe(200);
      emu.configure({ clockOffsetMs: 15 * 60 * 1000 + 1000 });
      const expired = await api('GET', '/v1/apiKeys', { headers: { Authorization: token } });
      expect(expired.status).toBe(401);
      expect(err(expired).code).toBe('TokenExpired');
      expect((await api('GET', `/v1/auth/refresh/${token}`)).status).toBe(401);
    });

    it('requires a syslogin token on /v1/system/* and rejects API keys and tenant tokens there', async () => {
      const path = '/v1/system/config/reverseproxy';
      expect((await api('GET', path)).status).toBe(401);
      const withKey = await api('GET', path, { headers: { ApiKey: emu.apiKey } });
      expect(withKey.status).toBe(403);
      expect(err(withKey).code).toBe('Forbidden');
      expect((await api('GET', path, { headers: { Authorization: await userToken() } })).status).toBe(403);
      const sys = await sysToken();
      expect((await api('GET', path, { headers: { Authorization: sys } })).status).toBe(200);
      const tenantOp = await api('GET', '/v1/cloudaccounts/aws', { headers: { Authorization: sys } });
      expect(tenantOp.status).toBe(403);
    });

    it('rejects a wrong system password with 401 and returns the documented syslogin body', async () => {
      const wrong = await api('POST', '/v1/auth/syslogin', { body: { username: emu.systemUser, password: 'wrong' } });
      expect(wrong.status).toBe(401);
      expect(err(wrong).code).toBe('InvalidCredentials');
      const ok = await api('POST', '/v1/auth/syslogin', { body: { username: emu.systemUser, password: emu.systemPassword } });
      expect(Object.keys(obj(ok.json)).sort()).toEqual(['Authorization', 'IsEmailSet', 'IsEmailVerified', 'IsMfa', 'IsPasswordReset']);
    });

    it('reads system credentials and the API key from the environment', async () => {
      const env = paletteOptionsFromEnv({
        PALETTE_SANDBOX_SYSTEM_USER: 'root',
        PALETTE_SANDBOX_SYSTEM_PASSWORD: 'pw-from-env',
        PALETTE_SANDBOX_API_KEY: 'KeyFromEnv0123456789abcdefABCDEF',
        SANDBOX_PALETTE_PORT: '0',
        PALETTE_SANDBOX_RATE_LIMIT: 'off',
      });
      expect(env).toMatchObject({ systemUser: 'root', systemPassword: 'pw-from-env', apiKey: 'KeyFromEnv0123456789abcdefABCDEF', port: 0, rateLimit: false });
      const other = await startPaletteEmulator(env);
      try {
        const login = await paletteFetch(other.endpoint, 'POST', '/v1/auth/syslogin', { body: { username: 'root', password: 'pw-from-env' } });
        expect(login.status).toBe(200);
        const list = await paletteFetch(other.endpoint, 'GET', '/v1/apiKeys', { headers: { ApiKey: 'KeyFromEnv0123456789abcdefABCDEF' } });
        expect(list.status).toBe(200);
      } finally {
        await other.stop();
      }
    });
  });

  describe('scope', () => {
    it('keeps tenant and project resources apart and allows the same name in both', async () => {
      const inProject = await asProject('POST', '/v1/users/assets/locations/s3', S3_LOCATION('shared-name'));
      expect(inProject.status).toBe(201);
      const uid = String(obj(inProject.json).uid);
      expect((await asTenant('POST', '/v1/users/assets/locations/s3', S3_LOCATION('shared-name'))).status).toBe(201);

      const projectList = obj((await asProject('GET', '/v1/users/assets/locations')).json).items as Json[];
      expect(projectList.map((i) => obj(i.metadata).uid)).toEqual([uid]);
      expect(obj(projectList[0]?.metadata).annotations).toMatchObject({ scope: 'project' });
      const tenantList = obj((await asTenant('GET', '/v1/users/assets/locations')).json).items as Json[];
      expect(tenantList.map((i) => obj(i.metadata).uid)).not.toContain(uid);
      expect((await asTenant('GET', `/v1/users/assets/locations/s3/${uid}`)).status).toBe(404);
      expect((await asProject('GET', `/v1/users/assets/locations/s3/${uid}`)).status).toBe(200);
    });

    it('rejects an unknown project uid with 404 naming ProjectUid', async () => {
      const r = await asTenant('GET', '/v1/cloudaccounts/aws', undefined, { ProjectUid: 'ffffffffffffffffffffffff' });
      expect(r.status).toBe(404);
      expect(err(r).message).toMatch(/^ProjectUid: project 'ffffffffffffffffffffffff' not found/);
    });

    it('answers 409 DuplicateName per resource type and scope', async () => {
      expect((await asTenant('POST', '/v1/cloudaccounts/aws', AWS_ACCOUNT('dup'))).status).toBe(201);
      const again = await asTenant('POST', '/v1/cloudaccounts/aws', AWS_ACCOUNT('dup'));
      expect(again.status).toBe(409);
      expect(err(again).code).toBe('DuplicateName');
      expect(err(again).message).toContain("'dup'");
      expect((await asProject('POST', '/v1/cloudaccounts/aws', AWS_ACCOUNT('dup'))).status).toBe(201);
      const azure = { metadata: { name: 'dup' }, spec: { tenantId: 't', clientId: 'c', clientSecret: 's' } };
      expect((await asTenant('POST', '/v1/cloudaccounts/azure', azure)).status).toBe(201);
      expect((await asTenant('POST', '/v1/apiKeys', { metadata: { name: 'dup' } })).status).toBe(201);
      expect((await asTenant('POST', '/v1/apiKeys', { metadata: { name: 'dup' } })).status).toBe(409);
      const key = { metadata: { name: 'dup' }, spec: { publicKey: sshPublicKey() } };
      expect((await asTenant('POST', '/v1/users/assets/sshkeys', key)).status).toBe(201);
      expect((await asTenant('POST', '/v1/users/assets/sshkeys', key)).status).toBe(409);
    });
  });

  describe('secrets', () => {
    it('masks secrets on GET and keeps the stored value when the masked value is sent back', async () => {
      const uid = String(obj((await asTenant('POST', '/v1/cloudaccounts/aws', AWS_ACCOUNT('m'))).json).uid);
      const got = obj((await asTenant('GET', `/v1/cloudaccounts/aws/${uid}`)).json);
      expect(obj(got.spec)).toMatchObject({ accessKey: 'AKIAEXAMPLE000000002', secretKey: MASK });
      const listed = obj((await asTenant('GET', '/v1/cloudaccounts/aws')).json).items as Json[];
      expect(obj(listed[0]?.spec).secretKey).toBe(MASK);
      expect((await asTenant('PUT', `/v1/cloudaccounts/aws/${uid}`, got)).status).toBe(204);
      const state = emu.inspect() as { tenants: { scopes: Record<string, { awsAccounts: Json[] }> }[] };
      const stored = state.tenants[0]?.scopes.tenant?.awsAccounts[0];
      expect(stored?.secretsSet).toEqual(['secretKey']);
      expect(JSON.stringify(state)).not.toContain('another-secret');

      const az = await asTenant('POST', '/v1/cloudaccounts/azure', { metadata: { name: 'az' }, spec: { tenantId: 't', clientId: 'c', clientSecret: 'azure-secret' } });
      const azGot = obj((await asTenant('GET', `/v1/cloudaccounts/azure/${String(obj(az.json).uid)}`)).json);
      expect(obj(azGot.spec).clientSecret).toBe(MASK);

      const loc = await asTenant('POST', '/v1/users/assets/locations/s3', S3_LOCATION('loc'));
      const locGot = obj((await asTenant('GET', `/v1/users/assets/locations/s3/${String(obj(loc.json).uid)}`)).json);
      expect(obj(obj(obj(locGot.spec).config).credentials).secretKey).toBe(MASK);

      const gcp = await asTenant('POST', '/v1/users/assets/locations/gcp', {
        metadata: { name: 'g' },
        spec: { config: { bucketName: 'gcs-bucket', credentials: { jsonCredentials: '{"type":"service_account"}' } } },
      });
      const gcpGot = obj((await asTenant('GET', `/v1/users/assets/locations/gcp/${String(obj(gcp.json).uid)}`)).json);
      expect(obj(obj(obj(gcpGot.spec).config).credentials).jsonCredentials).toBe(MASK);
    });

    it('returns an API key value only in the create response', async () => {
      const created = obj((await asTenant('POST', '/v1/apiKeys', { metadata: { name: 'ci', annotations: { description: 'CI' } } })).json);
      expect(String(created.apiKey)).toMatch(/^[A-Za-z0-9]{32}$/);
      const got = await asTenant('GET', `/v1/apiKeys/${String(created.uid)}`);
      expect(got.text).not.toContain(String(created.apiKey));
      expect(obj(obj(got.json).status).isActive).toBe(true);
      expect(obj(obj(got.json).metadata).annotations).toEqual({ description: 'CI' });
    });
  });

  describe('API keys', () => {
    it('authenticates created keys and follows activate, deactivate, expiry and delete', async () => {
      const created = obj((await asTenant('POST', '/v1/apiKeys', { metadata: { name: 'k2' } })).json);
      const key = String(created.apiKey);
      const uid = String(created.uid);
      const use = () => api('GET', '/v1/users/assets/sshkeys', { headers: { ApiKey: key } });
      expect((await use()).status).toBe(200);
      expect((await asTenant('PATCH', `/v1/apiKeys/${uid}`, { isActive: false })).status).toBe(204);
      expect((await use()).status).toBe(401);
      expect((await asTenant('PUT', `/v1/apiKeys/${uid}/state`, { isActive: true })).status).toBe(204);
      expect((await use()).status).toBe(200);

      const soon = new Date(Date.now() + 60_000).toISOString();
      expect((await asTenant('PUT', `/v1/apiKeys/${uid}`, { spec: { expiry: soon } })).status).toBe(204);
      expect(obj(obj((await asTenant('GET', `/v1/apiKeys/${uid}`)).json).spec).expiry).toBe(soon);
      emu.configure({ clockOffsetMs: 120_000 });
      expect((await use()).status).toBe(401);
      emu.configure({ clockOffsetMs: 0 });

      const past = await asTenant('POST', '/v1/apiKeys', { metadata: { name: 'old' }, spec: { expiry: '2001-01-01T00:00:00Z' } });
      expect(err(past).message).toBe('spec.expiry: must be in the future');

      const listed = obj((await asTenant('GET', '/v1/apiKeys')).json).items as Json[];
      expect(listed.map((k) => obj(k.metadata).name)).toEqual(['sandbox-default', 'k2']);
      expect((await asTenant('DELETE', `/v1/apiKeys/${uid}`)).status).toBe(204);
      expect((await use()).status).toBe(401);
    });
  });

  describe('backup locations and SSH keys', () => {
    it('creates every location type, lists storage types and keeps a single default', async () => {
      const s3 = String(obj((await asTenant('POST', '/v1/users/assets/locations/s3', S3_LOCATION('s3', { isDefault: true }))).json).uid);
      const minioBody = S3_LOCATION('minio');
      (minioBody.spec.config as Json).s3Url = 'http://minio.local:9000';
      const minio = String(obj((await asTenant('POST', '/v1/users/assets/locations/minio', minioBody)).json).uid);
      const gcp = String(
        obj(
          (
            await asTenant('POST', '/v1/users/assets/locations/gcp', {
              metadata: { name: 'gcp' },
              spec: { config: { bucketName: 'gcs-b', credentials: { jsonCredentials: '{}' } } },
            })
          ).json,
        ).uid,
      );
      const azure = String(
        obj(
          (
            await asTenant('POST', '/v1/users/assets/locations/azure', {
              metadata: { name: 'azure' },
              spec: {
                config: { containerName: 'c', storageName: 's', resourceGroup: 'rg', credentials: { tenantId: 't', clientId: 'c', clientSecret: 'x' } },
              },
            })
          ).json,
        ).uid,
      );
      const list = () => asTenant('GET', '/v1/users/assets/locations').then((r) => obj(r.json).items as Json[]);
      const specs = Object.fromEntries((await list()).map((i) => [String(obj(i.metadata).name), obj(i.spec)]));
      expect(specs.s3).toEqual({ isDefault: true, storage: 's3', type: 's3' });
      expect(specs.minio).toEqual({ isDefault: false, storage: 'minio', type: 'minio' });
      expect(specs.gcp).toMatchObject({ storage: 'gcp' });
      expect(specs.azure).toEqual({ isDefault: false, type: 'azure' });

      expect((await asTenant('PATCH', `/v1/users/assets/locations/gcp/${gcp}/default`)).status).toBe(204);
      expect((await list()).filter((i) => obj(i.spec).isDefault).map((i) => obj(i.metadata).uid)).toEqual([gcp]);
      expect((await asTenant('PATCH', `/v1/users/assets/locations/s3/${gcp}/default`)).status).toBe(400);
      expect((await asTenant('PATCH', `/v1/users/assets/locations/ftp/${gcp}/default`)).status).toBe(400);

      expect((await asTenant('GET', `/v1/users/assets/locations/s3/${gcp}`)).status).toBe(404);
      expect((await asTenant('GET', `/v1/users/assets/locations/minio/${minio}`)).status).toBe(200);
      expect((await asTenant('DELETE', `/v1/users/assets/locations/s3/${azure}`)).status).toBe(204);
      expect((await asTenant('DELETE', `/v1/users/assets/locations/${s3}`)).status).toBe(204);
      expect((await list()).map((i) => obj(i.metadata).name).sort()).toEqual(['gcp', 'minio']);

      const noUrl = await asTenant('POST', '/v1/users/assets/locations/minio', S3_LOCATION('minio2'));
      expect(err(noUrl).message).toBe('spec.config.s3Url: is required for MinIO locations');
    });

    it('does SSH key CRUD', async () => {
      const key = sshPublicKey();
      const uid = String(obj((await asProject('POST', '/v1/users/assets/sshkeys', { metadata: { name: 'ssh' }, spec: { publicKey: key } })).json).uid);
      const got = obj((await asProject('GET', `/v1/users/assets/sshkeys/${uid}`)).json);
      expect(obj(got.spec).publicKey).toBe(key);
      const other = sshPublicKey('second');
      expect((await asProject('PUT', `/v1/users/assets/sshkeys/${uid}`, { metadata: { name: 'ssh' }, spec: { publicKey: other } })).status).toBe(204);
      expect(obj(obj((await asProject('GET', `/v1/users/assets/sshkeys/${uid}`)).json).spec).publicKey).toBe(other);
      const rename = await asProject('PUT', `/v1/users/assets/sshkeys/${uid}`, { metadata: { name: 'renamed' }, spec: { publicKey: other } });
      expect(err(rename).message).toMatch(/^metadata\.name: cannot be updated/);
      expect((await asProject('DELETE', `/v1/users/assets/sshkeys/${uid}`)).status).toBe(204);
      expect((await asProject('GET', `/v1/users/assets/sshkeys/${uid}`)).status).toBe(404);
    });
  });

  describe("Palette's STS identity and structure-only validations", () => {
    it('returns a stable, per-tenant and per-partition external id and the SaaS account id', async () => {
      const a = obj((await asTenant('GET', '/v1/clouds/aws/account/sts')).json);
      expect(a).toMatchObject({ accountId: '999999999999', partition: 'aws' });
      expect(String(a.externalId)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(obj((await asProject('GET', '/v1/clouds/aws/account/sts')).json).externalId).toBe(a.externalId);
      const gov = obj((await asTenant('GET', '/v1/clouds/aws/account/sts?partition=aws-us-gov')).json);
      expect(gov.partition).toBe('aws-us-gov');
      expect(gov.externalId).not.toBe(a.externalId);

      const second = emu.addTenant('acme');
      const b = obj((await paletteFetch(emu.endpoint, 'GET', '/v1/clouds/aws/account/sts', { headers: { ApiKey: second.apiKey } })).json);
      expect(b.externalId).not.toBe(a.externalId);

      const restarted = await startPaletteEmulator({ port: 0, rateLimit: false });
      try {
        const again = obj((await paletteFetch(restarted.endpoint, 'GET', '/v1/clouds/aws/account/sts', { headers: { ApiKey: restarted.apiKey } })).json);
        expect(again.externalId).toBe(a.externalId);
        expect(restarted.tenantUid).toBe(emu.tenantUid);
      } finally {
        await restarted.stop();
      }
    });

    it('in self-hosted mode reports the configured system STS account, and refuses before it is configured', async () => {
      const hosted = await startPaletteEmulator({ port: 0, rateLimit: false, mode: 'self-hosted' });
      try {
        const get = () => paletteFetch(hosted.endpoint, 'GET', '/v1/clouds/aws/account/sts', { headers: { ApiKey: hosted.apiKey } });
        const before = await get();
        expect(before.status).toBe(400);
        expect(err(before).code).toBe('StsNotConfigured');
        expect(err(before).message).toContain('STS is not configured on this instance');
        const login = await paletteFetch(hosted.endpoint, 'POST', '/v1/auth/syslogin', { body: { username: hosted.systemUser, password: hosted.systemPassword } });
        const token = String(obj(login.json).Authorization);
        const put = await paletteFetch(hosted.endpoint, 'PUT', '/v1/system/config/aws/sts/account', {
          body: { accessKey: 'AKIAHOSTED', secretKey: 'hosted-secret', accountId: '123456789012' },
          headers: { Authorization: token },
        });
        expect(put.status).toBe(204);
        expect(obj((await get()).json).accountId).toBe('123456789012');
      } finally {
        await hosted.stop();
      }
    });

    it('checks GCP and Azure credentials for structure only', async () => {
      const sa = JSON.stringify({ type: 'service_account', project_id: 'p', private_key: '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n', client_email: 'a@p.iam.gserviceaccount.com' });
      expect((await asTenant('POST', '/v1/clouds/gcp/account/validate', { spec: { jsonCredentials: sa } })).status).toBe(204);
      const notJson = await asTenant('POST', '/v1/clouds/gcp/account/validate', { spec: { jsonCredentials: 'nope' } });
      expect(notJson.status).toBe(400);
      expect(err(notJson).message).toMatch(/^spec\.jsonCredentials: is not valid JSON/);
      expect((await asTenant('POST', '/v1/clouds/gcp/bucketname/validate', { bucketName: 'my-bucket', credentials: { jsonCredentials: sa } })).status).toBe(204);
      const badBucket = await asTenant('POST', '/v1/clouds/gcp/bucketname/validate', { bucketName: 'My_Bucket!', credentials: { jsonCredentials: sa } });
      expect(err(badBucket).message).toMatch(/^bucketName: /);
      const badTenant = await asTenant('POST', '/v1/clouds/azure/account/validate', { tenantId: 'x', clientId: 'y', clientSecret: 'z' });
      expect(badTenant.status).toBe(400);
      expect(err(badTenant).message).toMatch(/^tenantId: 'x' is not an Azure tenant id/);
      const arns = await asTenant('POST', '/v1/clouds/aws/policyArns/validate', {
        account: { credentialType: 'sts', sts: { arn: 'arn:aws:iam::123456789012:role/r' } },
        policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess', 'ReadOnlyAccess'],
      });
      expect(err(arns).message).toMatch(/^policyArns\[1\]: 'ReadOnlyAccess' is not an IAM policy ARN/);
    });
  });

  describe('clusters (supplement: search and backup configuration; added by tests)', () => {
    const SEARCH = '/v1/dashboard/spectroclusters/search';
    const ALL = { filter: { conjunction: 'and', filterGroups: [] }, sort: [] };
    type Summary = { metadata: Json; specSummary: { cloudAccountMeta: Json; projectMeta?: Json }; status: Json };
    const names = (r: PaletteHttpResponse) => (obj(r.json).items as Summary[]).map((c) => String(c.metadata.name));

    it('lists the scope: a project its clusters, the tenant scope every cluster of the tenant; paged with limit and continue', async () => {
      const tenantAccount = String(obj((await asTenant('POST', '/v1/cloudaccounts/aws', AWS_ACCOUNT('shared'))).json).uid);
      const projectAccount = String(obj((await asProject('POST', '/v1/cloudaccounts/aws', AWS_ACCOUNT('own'))).json).uid);
      const inProject = emu.addCluster({ name: 'prod', projectUid: emu.projectUid, cloudAccountUid: projectAccount });
      emu.addCluster({ name: 'staging', projectUid: emu.projectUid, cloudAccountUid: tenantAccount, state: 'Deleting' });
      emu.addCluster({ name: 'edge', cloudAccountUid: tenantAccount });

      const project = await asProject('POST', SEARCH, ALL);
      expect(project.status).toBe(200);
      expect(names(project)).toEqual(['prod', 'staging']);
      const prod = (obj(project.json).items as Summary[])[0];
      expect(prod).toEqual({
        metadata: expect.objectContaining({ uid: inProject, name: 'prod', annotations: { scope: 'project' } }),
        specSummary: { cloudAccountMeta: { uid: projectAccount, name: 'own' }, projectMeta: { uid: emu.projectUid, name: 'Default' } },
        status: { state: 'Running' },
      });
      expect(obj(project.json).listmeta).toEqual({ continue: '', count: 2, limit: 50, offset: 0 });
      expect(names(await asTenant('POST', SEARCH, ALL))).toEqual(['prod', 'staging', 'edge']);
      // No body is an empty filter; the filter is checked against the schema but not applied.
      expect(names(await asProject('POST', SEARCH))).toEqual(['prod', 'staging']);
      const bad = await asProject('POST', SEARCH, { filter: { conjunction: 'xor' } });
      expect(bad.status).toBe(400);
      expect(err(bad).message).toBe('filter.conjunction: must be one of "and", "or"');
      expect((await asProject('POST', SEARCH, [ALL])).status).toBe(400);

      const first = await asTenant('POST', `${SEARCH}?limit=2`, ALL);
      const listmeta = obj(obj(first.json).listmeta);
      expect(names(first)).toEqual(['prod', 'staging']);
      expect(listmeta).toMatchObject({ count: 3, limit: 2, offset: 2 });
      const second = await asTenant('POST', `${SEARCH}?limit=2&continue=${encodeURIComponent(String(listmeta.continue))}`, ALL);
      expect(names(second)).toEqual(['edge']);
      expect(obj(obj(second.json).listmeta).continue).toBe('');
    });

    it('returns the backup configuration, 404 BackupNotConfigured without one, 404 ResourceNotFound outside the scope', async () => {
      const account = String(obj((await asProject('POST', '/v1/cloudaccounts/aws', AWS_ACCOUNT('a'))).json).uid);
      const location = String(obj((await asProject('POST', '/v1/users/assets/locations/s3', S3_LOCATION('nightly'))).json).uid);
      const withBackup = emu.addCluster({ name: 'prod', projectUid: emu.projectUid, cloudAccountUid: account, backupLocationUid: location });
      const without = emu.addCluster({ name: 'dev', projectUid: emu.projectUid, cloudAccountUid: account });

      const r = await asProject('GET', `/v1/spectroclusters/${withBackup}/features/backup`);
      expect(r.status).toBe(200);
      expect(obj(r.json)).toMatchObject({
        metadata: { uid: withBackup, name: 'prod' },
        spec: { clusterUid: withBackup, config: { backupLocationUid: location, backupLocationName: 'nightly', locationType: 's3', backupPrefix: 'prod' } },
      });
      // The tenant scope sees project clusters too.
      expect((await asTenant('GET', `/v1/spectroclusters/${withBackup}/features/backup`)).status).toBe(200);
      const none = await asProject('GET', `/v1/spectroclusters/${without}/features/backup`);
      expect([none.status, err(none).code]).toEqual([404, 'BackupNotConfigured']);
      const other = emu.addTenant('other-tenant');
      const foreign = await api('GET', `/v1/spectroclusters/${withBackup}/features/backup`, { headers: { ApiKey: other.apiKey } });
      expect([foreign.status, err(foreign).code]).toEqual([404, 'ResourceNotFound']);
    });

    it('adds clusters only with an existing account and location visible from their scope; removes them; reset forgets them', async () => {
      const projectAccount = String(obj((await asProject('POST', '/v1/cloudaccounts/aws', AWS_ACCOUNT('p'))).json).uid);
      const tenantAccount = String(obj((await asTenant('POST', '/v1/cloudaccounts/aws', AWS_ACCOUNT('t'))).json).uid);
      expect(() => emu.addCluster({ name: 'x', cloudAccountUid: projectAccount })).toThrow(/cloudAccountUid: cloud account '.*' is in project .*, not visible from tenant scope/);
      expect(() => emu.addCluster({ name: 'x', cloudAccountUid: 'nope' })).toThrow("cloudAccountUid: cloud account 'nope' not found");
      expect(() => emu.addCluster({ name: 'x', cloudAccountUid: tenantAccount, backupLocationUid: 'nope' })).toThrow("backupLocationUid: backup location 'nope' not found");
      expect(() => emu.addCluster({ name: 'x', projectUid: 'nope', cloudAccountUid: tenantAccount })).toThrow("projectUid: project 'nope' not found");
      const uid = emu.addCluster({ name: 'x', projectUid: emu.projectUid, cloudAccountUid: tenantAccount });
      expect(() => emu.addCluster({ name: 'x', projectUid: emu.projectUid, cloudAccountUid: tenantAccount })).toThrow("a cluster named 'x' already exists");

      // Over HTTP: POST /_emulator/clusters and DELETE /_emulator/clusters/{uid}; listed in /_emulator/state.
      const added = await api('POST', '/_emulator/clusters', { body: { name: 'y', cloudAccountUid: tenantAccount } });
      expect(added.status).toBe(201);
      const yUid = String(obj(added.json).uid);
      expect((await api('POST', '/_emulator/clusters', { body: { name: 'z', cloudAccountUid: tenantAccount, extra: 1 } })).status).toBe(400);
      const state = obj((await api('GET', '/_emulator/state')).json) as { tenants: { clusters: { uid: string; name: string; scope: string }[] }[] };
      expect(state.tenants[0]?.clusters.map((c) => [c.name, c.scope])).toEqual([['x', `project:${emu.projectUid}`], ['y', 'tenant']]);
      expect((await api('DELETE', `/_emulator/clusters/${yUid}`)).status).toBe(204);
      expect((await api('DELETE', `/_emulator/clusters/${yUid}`)).status).toBe(404);
      expect(emu.removeCluster(uid)).toBe(true);
      expect(emu.removeCluster(uid)).toBe(false);
      expect(names(await asTenant('POST', SEARCH, ALL))).toEqual([]);

      emu.addCluster({ name: 'w', cloudAccountUid: tenantAccount });
      emu.reset();
      expect(names(await asTenant('POST', SEARCH, ALL))).toEqual([]);
    });
  });

  describe('private cloud gateways (supplement: list and get; added by tests)', () => {
    const AZURE = { tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', clientId: '1b730954-1685-4b74-9bfd-dac224a7b894', clientSecret: 's' };

    it('lists (exact name query), reads by uid, reports the state; tenant-level whatever the ProjectUid; control endpoints', async () => {
      const east = emu.addGateway({ name: 'pcg-east' });
      const added = await api('POST', '/_emulator/gateways', { body: { name: 'pcg-west', state: 'Pending' } });
      expect(added.status).toBe(201);
      const west = String(obj(added.json).uid);
      expect((await api('POST', '/_emulator/gateways', { body: { name: 'pcg-east' } })).status).toBe(409);
      expect((await api('POST', '/_emulator/gateways', { body: { name: 'x', extra: 1 } })).status).toBe(400);
      const names = (r: PaletteHttpResponse) => (obj(r.json).items as { metadata: { name: string } }[]).map((g) => g.metadata.name);
      expect(names(await asTenant('GET', '/v1/overlords'))).toEqual(['pcg-east', 'pcg-west']);
      expect(names(await asProject('GET', '/v1/overlords'))).toEqual(['pcg-east', 'pcg-west']);
      expect(names(await asTenant('GET', '/v1/overlords?name=pcg-east'))).toEqual(['pcg-east']);
      expect(names(await asTenant('GET', '/v1/overlords?name=pcg'))).toEqual([]);
      const got = await asTenant('GET', `/v1/overlords/${east}`);
      expect(got.status).toBe(200);
      expect(obj(got.json)).toMatchObject({ metadata: { name: 'pcg-east', uid: east }, status: { state: 'Running', isActive: true, isReady: true } });
      expect(obj((await asTenant('GET', `/v1/overlords/${west}`)).json)).toMatchObject({ status: { state: 'Pending', isActive: false, isReady: false } });
      const missing = await asTenant('GET', '/v1/overlords/ffffffffffffffffffffffff');
      expect([missing.status, err(missing).code]).toEqual([404, 'ResourceNotFound']);
      // Another tenant sees none of them.
      const other = emu.addTenant('other-gw');
      expect(names(await api('GET', '/v1/overlords', { headers: { ApiKey: other.apiKey } }))).toEqual([]);
      // State changes and removal.
      expect((await api('PATCH', `/_emulator/gateways/${east}`, { body: { state: 'Failed' } })).status).toBe(200);
      expect(obj((await asTenant('GET', `/v1/overlords/${east}`)).json)).toMatchObject({ status: { state: 'Failed' } });
      expect(emu.setGatewayState(east, 'Running')).toBe(true);
      expect((await api('DELETE', `/_emulator/gateways/${west}`)).status).toBe(204);
      expect((await api('DELETE', `/_emulator/gateways/${west}`)).status).toBe(404);
      const state = obj((await api('GET', '/_emulator/state')).json) as { tenants: { gateways: { name: string; state: string }[] }[] };
      expect(state.tenants[0]?.gateways.map((g) => [g.name, g.state])).toEqual([['pcg-east', 'Running']]);
      emu.reset();
      expect(names(await asTenant('GET', '/v1/overlords'))).toEqual([]);
    });

    it("a cloud account's overlordUid annotation must name a gateway of the tenant (create and update); empty means none", async () => {
      const uid = emu.addGateway({ name: 'pcg-east', state: 'Pending' });
      const account = (name: string, overlordUid: string) => ({ metadata: { name, annotations: { overlordUid } }, spec: AZURE });
      const unknown = await asTenant('POST', '/v1/cloudaccounts/azure', account('a', 'pcg-east'));
      expect([unknown.status, err(unknown).code, err(unknown).details?.field]).toEqual([404, 'ResourceNotFound', 'metadata.annotations.overlordUid']);
      const linked = await asProject('POST', '/v1/cloudaccounts/azure', account('b', uid));
      expect(linked.status).toBe(201);
      expect((await asTenant('POST', '/v1/cloudaccounts/aws', { ...AWS_ACCOUNT('c'), metadata: { name: 'c', annotations: { overlordUid: '' } } })).status).toBe(201);
      const b = String(obj(linked.json).uid);
      const update = await asProject('PUT', `/v1/cloudaccounts/azure/${b}`, account('b', 'nope'));
      expect(update.status).toBe(404);
    });

    it("S3 and MinIO locations: s3Url must be an http(s) URL and caCert PEM certificates, when given; both are stored as sent", async () => {
      const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.alloc(48, 1).toString('base64')}\n-----END CERTIFICATE-----\n`;
      const withConfig = (name: string, extra: Json) => {
        const body = S3_LOCATION(name);
        return { ...body, spec: { ...body.spec, config: { ...body.spec.config, ...extra } } };
      };
      const bad = await asTenant('POST', '/v1/users/assets/locations/s3', withConfig('a', { s3Url: 'ftp://proxy' }));
      expect([bad.status, err(bad).details?.field]).toEqual([400, 'spec.config.s3Url']);
      const badCa = await asTenant('POST', '/v1/users/assets/locations/s3', withConfig('b', { caCert: 'not a pem' }));
      expect([badCa.status, err(badCa).details?.field]).toEqual([400, 'spec.config.caCert']);
      const ok = await asTenant('POST', '/v1/users/assets/locations/s3', withConfig('c', { s3Url: 'https://s3-proxy.example.com', s3ForcePathStyle: true, caCert: pem }));
      expect(ok.status).toBe(201);
      const read = obj((await asTenant('GET', `/v1/users/assets/locations/s3/${String(obj(ok.json).uid)}`)).json) as { spec: { config: Json } };
      expect(read.spec.config).toMatchObject({ s3Url: 'https://s3-proxy.example.com', s3ForcePathStyle: true, caCert: pem });
      const minio = await asTenant('POST', '/v1/users/assets/locations/minio', withConfig('d', { s3Url: 'http://minio.local:9000', caCert: `${pem}garbage` }));
      expect([minio.status, err(minio).details?.field]).toEqual([400, 'spec.config.caCert']);
    });
  });

  describe('realism controls', () => {
    it('rate limits per source IP and prefix: 10 rps with burst 5 (at most 50 at once), and can be switched off', async () => {
      emu.configure({ rateLimit: true });
      const burst = await Promise.all(Array.from({ length: 70 }, () => asTenant('GET', '/v1/cloudaccounts/aws')));
      const limited = burst.filter((r) => r.status === 429);
      const ok = burst.filter((r) => r.status === 200);
      expect(ok.length).toBeGreaterThanOrEqual(50);
      expect(ok.length).toBeLessThanOrEqual(60);
      expect(limited.length).toBe(70 - ok.length);
      expect(err(limited[0] as PaletteHttpResponse).code).toBe('TooManyRequests');
      // Another prefix has its own bucket.
      expect((await asTenant('GET', '/v1/users/assets/sshkeys')).status).toBe(200);
      // Tokens refill at 10 per second.
      await new Promise((r) => setTimeout(r, 250));
      expect((await asTenant('GET', '/v1/cloudaccounts/aws')).status).toBe(200);

      emu.configure({ rateLimit: false });
      const free = await Promise.all(Array.from({ length: 70 }, () => asTenant('GET', '/v1/cloudaccounts/aws')));
      expect(free.every((r) => r.status === 200)).toBe(true);
    });

    it('injects faults by path prefix and adds latency', async () => {
      emu.configure({ faults: { rules: [{ pathPrefix: '/v1/users', rate: 1, kind: '503', times: 2 }] } });
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await asTenant('GET', '/v1/users/assets/sshkeys')).status);
      expect(statuses).toEqual([503, 503, 200]);
      expect((await asTenant('GET', '/v1/cloudaccounts/aws')).status).toBe(200);

      emu.configure({ faults: { rules: [{ pathPrefix: '/v1/apiKeys', rate: 1, kind: 'reset', times: 1 }] } });
      await expect(asTenant('GET', '/v1/apiKeys')).rejects.toThrow();
      expect((await asTenant('GET', '/v1/apiKeys')).status).toBe(200);

      emu.configure({ latency: { defaultMs: 120 } });
      const t0 = Date.now();
      await asTenant('GET', '/v1/apiKeys');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(115);
    });

    it('serves the control endpoints over HTTP (config, state, request log, reset)', async () => {
      const put = await api('PUT', '/_emulator/config', { body: { faults: { rules: [{ rate: 1, kind: '500', times: 1 }] } } });
      expect(put.status).toBe(200);
      expect((await asTenant('GET', '/v1/apiKeys')).status).toBe(500);
      const bad = await api('PUT', '/_emulator/config', { body: { faults: { rules: [{ rate: 2, kind: '500' }] } } });
      expect(bad.status).toBe(400);

      await asProject('POST', '/v1/cloudaccounts/aws', AWS_ACCOUNT('seen'));
      const state = obj((await api('GET', '/_emulator/state')).json) as { tenants: { uid: string; scopes: Record<string, { awsAccounts: Json[] }> }[] };
      expect(state.tenants[0]?.uid).toBe(emu.tenantUid);
      expect(state.tenants[0]?.scopes[`project:${emu.projectUid}`]?.awsAccounts.map((a) => a.name)).toEqual(['seen']);
      const log = obj((await api('GET', '/_emulator/requests')).json).items as Json[];
      expect(log.at(-1)).toMatchObject({ method: 'POST', path: '/v1/cloudaccounts/aws', status: 201, operationId: 'v1CloudAccountsAwsCreate', principal: 'api-key' });

      expect((await api('POST', '/_emulator/reset')).status).toBe(204);
      expect((obj((await asProject('GET', '/v1/cloudaccounts/aws')).json).items as unknown[]).length).toBe(0);
      expect((await api('GET', '/_emulator/health')).json).toMatchObject({ status: 'ok' });
    });
  });
});

describe('spec response validation', () => {
  const spec = loadSpec();
  it('flags bodies on 204, undeclared fields, undeclared statuses and non-V1Error errors', () => {
    expect(spec.validateResponse('PUT', '/v1/cloudaccounts/aws/{uid}', 204, { a: 1 })).toEqual([
      { field: 'body', message: 'a 204 response must have an empty body' },
    ]);
    expect(spec.validateResponse('GET', '/v1/cloudaccounts/aws/{uid}', 200, { metadata: { uid: 'x', secret: 1 } })).toEqual([
      { field: 'metadata.secret', message: 'is not a field of this schema' },
    ]);
    expect(spec.validateResponse('GET', '/v1/cloudaccounts/aws', 200, { listmeta: {} })).toEqual([{ field: 'items', message: 'is required' }]);
    expect(spec.validateResponse('POST', '/v1/cloudaccounts/aws', 200, { uid: 'x' })[0]?.field).toBe('status');
    expect(spec.validateResponse('GET', '/v1/apiKeys', 400, { code: 1 })).toEqual([{ field: 'code', message: 'must be string' }]);
    expect(spec.validateResponse('POST', '/v1/auth/syslogin', 200, { Authorization: 't', IsPasswordReset: true })).toEqual([]);
  });
});
