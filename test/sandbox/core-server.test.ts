/**
 * The sandbox server: authentication failures per service/protocol, payload hashing, aws-chunked
 * bodies, the admin API, inventory and the state file.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeletePolicyCommand,
  DeleteRoleCommand,
  DeleteUserCommand,
  GetRoleCommand,
  AttachRolePolicyCommand,
  DetachRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, DeleteSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SignatureV4 } from '@smithy/signature-v4';
import { XMLParser } from 'fast-xml-parser';
import { sigV2Sign } from '../../local/aws/core/sigv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../local/aws/core/types';
import { allowPolicy, expectAwsError, FORM, form, iamClient, keysOf, NodeSha256, rawRequest, start, stsClient, trustPolicy } from './core-fixtures';

const parser = new XMLParser();
const GCI = form({ Action: 'GetCallerIdentity', Version: '2011-06-15' });

describe('authentication', () => {
  let sb: RunningSandbox;
  beforeAll(async () => {
    sb = await start();
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('rejects unknown keys with each service’s real error', async () => {
    const unknown = { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'x'.repeat(40) };
    await expectAwsError(stsClient(sb, unknown).send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403, 'The security token included in the request is invalid.');
    await expectAwsError(iamClient(sb, unknown).send(new GetRoleCommand({ RoleName: 'r' })), 'InvalidClientTokenId', 403);

    const s3 = await rawRequest(sb, { service: 's3', method: 'GET', path: '/', keys: unknown });
    expect(s3.status).toBe(403);
    const s3Err = parser.parse(s3.text).Error;
    expect(s3Err).toMatchObject({ Code: 'InvalidAccessKeyId', AWSAccessKeyId: unknown.accessKeyId });
    expect(s3Err.RequestId).toBe(s3.headers.get('x-amz-request-id'));
    expect(s3Err.HostId).toBe(s3.headers.get('x-amz-id-2'));

    const sm = await rawRequest(sb, {
      service: 'secretsmanager',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.ListSecrets' },
      body: '{}',
      keys: unknown,
    });
    expect(sm.status).toBe(400);
    expect(sm.headers.get('x-amzn-errortype')).toBe('UnrecognizedClientException');
    expect(sm.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(JSON.parse(sm.text)).toEqual({ __type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' });
    expect(sb.stats().rejected.InvalidClientTokenId).toBeGreaterThanOrEqual(2);
  });

  it('rejects a wrong secret and a request tampered with after signing', async () => {
    const wrong = { accessKeyId: sb.accessKeyId, secretAccessKey: `${sb.secretAccessKey.slice(0, -1)}X` };
    const err = await expectAwsError(stsClient(sb, wrong).send(new GetCallerIdentityCommand({})), 'SignatureDoesNotMatch', 403, /^The request signature we calculated does not match/);
    expect(err.message).not.toContain(sb.secretAccessKey);

    const tamperedBody = await rawRequest(sb, {
      service: 'iam',
      headers: FORM,
      body: form({ Action: 'GetRole', Version: '2010-05-08', RoleName: 'a' }),
      mutate: (r) => {
        r.body = form({ Action: 'GetRole', Version: '2010-05-08', RoleName: 'b' });
      },
    });
    expect(tamperedBody.status).toBe(403);
    expect(parser.parse(tamperedBody.text).ErrorResponse.Error.Code).toBe('SignatureDoesNotMatch');

    const tamperedHeader = await rawRequest(sb, {
      service: 'secretsmanager',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.ListSecrets' },
      body: '{}',
      mutate: (r) => {
        r.headers['x-amz-target'] = 'secretsmanager.DeleteSecret';
      },
    });
    expect(tamperedHeader.status).toBe(400);
    expect(JSON.parse(tamperedHeader.text).__type).toBe('InvalidSignatureException');

    const s3 = await rawRequest(sb, { service: 's3', method: 'GET', path: '/some-bucket', mutate: (r) => (r.path = '/other-bucket') });
    expect(s3.status).toBe(403);
    const s3Err = parser.parse(s3.text).Error;
    expect(s3Err.Code).toBe('SignatureDoesNotMatch');
    expect(s3Err.CanonicalRequest).toContain('/other-bucket');
    expect(s3.text).not.toContain(sb.secretAccessKey);
  });

  it('answers unsigned requests with MissingAuthenticationToken / AccessDenied', async () => {
    const sts = await rawRequest(sb, { service: 'sts', headers: FORM, body: GCI, keys: null });
    expect(sts.status).toBe(403);
    expect(parser.parse(sts.text).ErrorResponse.Error).toMatchObject({ Code: 'MissingAuthenticationToken', Type: 'Sender' });
    const s3 = await rawRequest(sb, { service: 's3', method: 'GET', path: '/', keys: null });
    expect(s3.status).toBe(403);
    expect(parser.parse(s3.text).Error.Code).toBe('AccessDenied');
    const head = await rawRequest(sb, { service: 's3', method: 'HEAD', path: '/bucket', keys: null });
    expect(head.status).toBe(403);
    expect(head.text).toBe('');
  });

  it('rejects requests signed more than 15 minutes away from the server clock', async () => {
    const old = await rawRequest(sb, { service: 'sts', headers: FORM, body: GCI, signingDate: Date.now() - 20 * 60_000 });
    expect(old.status).toBe(403);
    const e = parser.parse(old.text).ErrorResponse.Error;
    expect(e.Code).toBe('SignatureDoesNotMatch');
    expect(e.Message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z/);
    const s3 = await rawRequest(sb, { service: 's3', method: 'GET', path: '/', signingDate: Date.now() + 20 * 60_000 });
    expect(s3.status).toBe(403);
    expect(parser.parse(s3.text).Error.Code).toBe('RequestTimeTooSkewed');
    const ok = await rawRequest(sb, { service: 'sts', headers: FORM, body: GCI, signingDate: Date.now() - 10 * 60_000 });
    expect(ok.status).toBe(200);
    // SDKs correct their clock skew from the Date header of the error response.
    expect(Math.abs(Date.parse(old.headers.get('date') ?? '') - Date.now())).toBeLessThan(5000);
  });

  it('checks x-amz-content-sha256 against the body', async () => {
    const res = await rawRequest(sb, {
      service: 'sts',
      headers: { ...FORM, 'x-amz-content-sha256': 'a'.repeat(64) },
      body: GCI,
    });
    expect(res.status).toBe(400);
    expect(parser.parse(res.text).ErrorResponse.Error.Code).toBe('XAmzContentSHA256Mismatch');
  });
});

describe('S3 payloads', () => {
  let sb: RunningSandbox;
  let s3: S3Client;
  beforeAll(async () => {
    sb = await start();
    s3 = new S3Client({ endpoint: sb.endpoint, region: sb.region, credentials: keysOf(sb), forcePathStyle: true, maxAttempts: 1 });
  });
  afterAll(async () => {
    s3?.destroy();
    await sb?.stop();
  });

  it('decodes the SDK’s aws-chunked streaming upload (unsigned payload with checksum trailer)', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'chunky' }));
    const parts = [Buffer.alloc(70_000, 'a'), Buffer.from('middle'), Buffer.alloc(1000, 'z')];
    const expected = Buffer.concat(parts).toString();
    await s3.send(
      new PutObjectCommand({ Bucket: 'chunky', Key: 'streamed.txt', Body: Readable.from(parts), ContentLength: expected.length, ChecksumAlgorithm: 'CRC32' }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: 'chunky', Key: 'streamed.txt' }));
    expect(await got.Body?.transformToString()).toBe(expected);
    await s3.send(new DeleteObjectCommand({ Bucket: 'chunky', Key: 'streamed.txt' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'chunky' }));
  });

  it('serves presigned URLs (SigV4 and legacy SigV2) and rejects tampered or expired ones', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'presigned' }));
    await s3.send(new PutObjectCommand({ Bucket: 'presigned', Key: 'dir one/a+b.txt', Body: 'shared' }));
    const path = '/presigned/dir%20one/a%2Bb.txt';
    const url = new URL(sb.endpoint);

    const signer = new SignatureV4({ service: 's3', region: sb.region, credentials: keysOf(sb), sha256: NodeSha256, uriEscapePath: false });
    const presign = async (expiresIn: number, signingDate?: Date) => {
      const r = await signer.presign(
        { method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path, query: {}, headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } },
        { expiresIn, ...(signingDate ? { signingDate } : {}) },
      );
      const qs = Object.entries(r.query ?? {})
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
        .join('&');
      return `${sb.endpoint}${path}?${qs}`;
    };
    const v4 = await presign(60);
    expect(await (await fetch(v4)).text()).toBe('shared');
    const tampered = await fetch(v4.replace('a%2Bb', 'a%2Bc'));
    expect(tampered.status).toBe(403);
    expect(parser.parse(await tampered.text()).Error.Code).toBe('SignatureDoesNotMatch');
    const expired = await fetch(await presign(60, new Date(Date.now() - 120_000)));
    expect(expired.status).toBe(403);
    expect(parser.parse(await expired.text()).Error).toMatchObject({ Code: 'AccessDenied', Message: 'Request has expired' });

    const v2 = (expires: number) => {
      const signature = sigV2Sign(sb.secretAccessKey, `GET\n\n\n${expires}\n${path}`);
      return `${sb.endpoint}${path}?AWSAccessKeyId=${sb.accessKeyId}&Expires=${expires}&Signature=${encodeURIComponent(signature)}`;
    };
    const future = Math.floor(Date.now() / 1000) + 60;
    expect(await (await fetch(v2(future))).text()).toBe('shared');
    const badV2 = await fetch(v2(future).replace(`Expires=${future}`, `Expires=${future + 1}`));
    expect(badV2.status).toBe(403);
    expect(parser.parse(await badV2.text()).Error.Code).toBe('SignatureDoesNotMatch');
    const oldV2 = await fetch(v2(Math.floor(Date.now() / 1000) - 5));
    expect(parser.parse(await oldV2.text()).Error.Message).toBe('Request has expired');
  });
});

describe('admin API', () => {
  let sb: RunningSandbox;
  beforeAll(async () => {
    sb = await start();
  });
  afterAll(async () => {
    await sb?.stop();
  });

  const admin = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${sb.endpoint}/_sandbox/${path}`, init);
    return { status: res.status, body: (await res.json()) as unknown };
  };

  it('reports health and serves and merges the realism config', async () => {
    expect(await admin('health')).toMatchObject({ status: 200, body: { status: 'ok', managementAccountId: sb.accountId } });
    expect((await admin('config')).body).toMatchObject({ iamPropagationMs: 0, faults: { rules: [] } });
    const put = await admin('config', {
      method: 'PUT',
      body: JSON.stringify({ iamPropagationMs: 250, latency: { perOperation: { 'sts:AssumeRole': 5 } } }),
    });
    expect(put).toMatchObject({ status: 200, body: { iamPropagationMs: 250, latency: { defaultMs: 0, perOperation: { 'sts:AssumeRole': 5 } } } });
    expect(sb.kernel.config.iamPropagationMs).toBe(250);
    const bad = await admin('config', { method: 'PUT', body: JSON.stringify({ faults: { rules: [{ rate: 2, kind: 'throttle' }] } }) });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/faults\.rules\.0\.rate/);
    expect((await admin('config', { method: 'PUT', body: '{nope' })).status).toBe(400);
    sb.setRealism({ iamPropagationMs: 0 });
    expect((await admin('config')).body).toMatchObject({ iamPropagationMs: 0 });
  });

  it('creates member accounts whose admin keys work and whose OrganizationAccountAccessRole is ready', async () => {
    const created = await admin('accounts', { method: 'POST', body: JSON.stringify({ accountId: '333333333333' }) });
    expect(created.status).toBe(200);
    const info = created.body as { accountId: string; accessKeyId: string; secretAccessKey: string; management: boolean };
    expect(info).toMatchObject({ accountId: '333333333333', management: false });
    expect(info.accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect((await admin('accounts', { method: 'POST', body: JSON.stringify({ accountId: '333333333333' }) })).body).toEqual(info);
    expect((await admin('accounts', { method: 'POST', body: JSON.stringify({ accountId: '12' }) })).status).toBe(400);
    const list = (await admin('accounts')).body as Array<{ accountId: string }>;
    expect(list.map((a) => a.accountId)).toEqual([sb.accountId, '333333333333']);

    expect((await stsClient(sb, info).send(new GetCallerIdentityCommand({}))).Arn).toBe('arn:aws:iam::333333333333:root');
    const out = await stsClient(sb).send(
      new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::333333333333:role/OrganizationAccountAccessRole', RoleSessionName: 'admin-api' }),
    );
    expect(out.AssumedRoleUser?.Arn).toBe('arn:aws:sts::333333333333:assumed-role/OrganizationAccountAccessRole/admin-api');
    expect((await admin('nothing')).status).toBe(404);
  });
});

describe('inventory', () => {
  it('lists every resource per account and is empty again after deleting everything', async () => {
    const sb = await start({ accounts: ['444444444444'] });
    const baseline = sb.inventory();
    const iam = iamClient(sb);
    const s3 = new S3Client({ endpoint: sb.endpoint, region: sb.region, credentials: keysOf(sb), forcePathStyle: true });
    const sm = new SecretsManagerClient({ endpoint: sb.endpoint, region: sb.region, credentials: keysOf(sb) });

    await iam.send(new CreateRoleCommand({ RoleName: 'inv-role', AssumeRolePolicyDocument: trustPolicy({ Service: 'lambda.amazonaws.com' }) }));
    const pol = await iam.send(new CreatePolicyCommand({ PolicyName: 'inv-policy', PolicyDocument: allowPolicy('s3:*') }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'inv-role', PolicyArn: pol.Policy?.Arn }));
    await iam.send(new CreateUserCommand({ UserName: 'inv-user' }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'inv-user' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'inv-bucket' }));
    await s3.send(new PutObjectCommand({ Bucket: 'inv-bucket', Key: 'k', Body: 'v' }));
    await sm.send(new CreateSecretCommand({ Name: 'inv/secret', SecretString: 's' }));

    const full = (await (await fetch(`${sb.endpoint}/_sandbox/inventory`)).json()) as Record<string, Record<string, string[]>>;
    expect(full).toEqual(sb.inventory());
    const mine = full[sb.accountId] ?? {};
    expect(mine.roles).toEqual(['inv-role']);
    expect(mine.policies).toEqual(['inv-policy']);
    expect(mine.users).toEqual(['inv-user']);
    expect(mine.accessKeys).toEqual([`inv-user/${key.AccessKey?.AccessKeyId}`]);
    expect(mine.buckets).toEqual(['inv-bucket']);
    expect(mine.secrets?.length).toBe(1);
    expect(full['444444444444']?.roles).toEqual(['OrganizationAccountAccessRole']);

    await iam.send(new DetachRolePolicyCommand({ RoleName: 'inv-role', PolicyArn: pol.Policy?.Arn }));
    await iam.send(new DeletePolicyCommand({ PolicyArn: pol.Policy?.Arn }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'inv-role' }));
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'inv-user', AccessKeyId: key.AccessKey?.AccessKeyId }));
    await iam.send(new DeleteUserCommand({ UserName: 'inv-user' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'inv-bucket', Key: 'k' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'inv-bucket' }));
    await sm.send(new DeleteSecretCommand({ SecretId: 'inv/secret', ForceDeleteWithoutRecovery: true }));

    expect(sb.inventory()).toEqual(baseline);
    for (const c of [iam, s3, sm]) c.destroy();
    await sb.stop();
  });
});

describe('state file', () => {
  it('keeps accounts, IAM entities, keys, STS sessions and service resources across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-state-'));
    const stateFile = join(dir, 'nested', 'state.json');
    try {
      const first = await start({ stateFile, accounts: ['555555555555'] });
      const iam = iamClient(first);
      const role = await iam.send(new CreateRoleCommand({ RoleName: 'kept', AssumeRolePolicyDocument: trustPolicy({ AWS: `arn:aws:iam::${first.accountId}:root` }) }));
      await iam.send(new CreateUserCommand({ UserName: 'kept-user' }));
      const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'kept-user' }));
      const session = await stsClient(first).send(
        new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::555555555555:role/OrganizationAccountAccessRole', RoleSessionName: 'persisted' }),
      );
      const s3 = new S3Client({ endpoint: first.endpoint, region: first.region, credentials: keysOf(first), forcePathStyle: true });
      await s3.send(new CreateBucketCommand({ Bucket: 'kept-bucket' }));
      s3.destroy();
      iam.destroy();
      await first.stop();
      const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as { format: string; kernel: { accounts: unknown[] } };
      expect(saved.format).toBe('palette-onboarding-aws-sandbox');
      expect(saved.kernel.accounts).toHaveLength(2);

      const second = await start({ stateFile });
      expect(second.kernel.accounts.get('555555555555')).toBeDefined();
      const got = await iamClient(second).send(new GetRoleCommand({ RoleName: 'kept' }));
      expect(got.Role?.RoleId).toBe(role.Role?.RoleId);
      const userId = await stsClient(second, { accessKeyId: key.AccessKey?.AccessKeyId ?? '', secretAccessKey: key.AccessKey?.SecretAccessKey ?? '' }).send(
        new GetCallerIdentityCommand({}),
      );
      expect(userId.Arn).toBe(`arn:aws:iam::${second.accountId}:user/kept-user`);
      const sessionId = await stsClient(second, {
        accessKeyId: session.Credentials?.AccessKeyId ?? '',
        secretAccessKey: session.Credentials?.SecretAccessKey ?? '',
        sessionToken: session.Credentials?.SessionToken ?? '',
      }).send(new GetCallerIdentityCommand({}));
      expect(sessionId.Arn).toBe('arn:aws:sts::555555555555:assumed-role/OrganizationAccountAccessRole/persisted');
      expect(second.inventory()[second.accountId]?.buckets).toEqual(['kept-bucket']);
      // New ids continue the sequence instead of repeating the first run's.
      const next = await iamClient(second).send(new CreateRoleCommand({ RoleName: 'after-restart', AssumeRolePolicyDocument: trustPolicy({ AWS: second.accountId }) }));
      expect(next.Role?.RoleId).not.toBe(role.Role?.RoleId);
      await second.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
