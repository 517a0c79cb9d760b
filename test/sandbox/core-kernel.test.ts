/** Kernel authorization semantics (identity vs resource policies, cross-account, root, fast path, memo). */
import { beforeEach, describe, expect, it } from 'vitest';
import { Kernel } from '../../local/aws/core/kernel';
import { DEFAULT_REALISM, mergeRealism } from '../../local/aws/core/realism';
import type { Principal } from '../../local/aws/core/types';

const MGMT = '000000000000';
const MEMBER = '111111111111';

function kernel(opts: { assumeSecureTransport?: boolean } = {}): Kernel {
  return new Kernel({
    managementAccountId: MGMT,
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'secret',
    region: 'us-east-1',
    seed: 1,
    realism: mergeRealism(DEFAULT_REALISM, { iamPropagationMs: 0 }),
    assumeSecureTransport: opts.assumeSecureTransport ?? true,
  });
}

function addUser(k: Kernel, account: string, name: string, policies: string[]): Principal {
  const userId = k.uniqueId('AIDA');
  const arn = `arn:aws:iam::${account}:user/${name}`;
  k.identity.putUser({
    accountId: account,
    userName: name,
    userId,
    path: '/',
    arn,
    createDate: 0,
    tags: [],
    attached: [],
    inline: policies.map((document, i) => ({ name: `p${i}`, document, effectiveAt: 0 })),
  });
  return { kind: 'user', accountId: account, arn, userName: name, userId, accessKeyId: 'AKIAUSER' };
}

const doc = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const root = (account: string): Principal => ({ kind: 'root', accountId: account, arn: `arn:aws:iam::${account}:root`, accessKeyId: 'AKIAROOT' });
const BUCKET = 'arn:aws:s3:::bucket/key';

describe('kernel.authorize', () => {
  let k: Kernel;
  beforeEach(() => {
    k = kernel();
    k.accounts.create(MEMBER);
  });

  it('allows the owning root unless a resource policy explicitly denies it', async () => {
    expect(await k.authorize({ principal: root(MGMT), action: 's3:GetObject', resource: BUCKET, resourceAccount: MGMT })).toEqual({ allowed: true, reason: 'Allowed' });
    const deny = doc({ Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: BUCKET });
    expect(await k.authorize({ principal: root(MGMT), action: 's3:GetObject', resource: BUCKET, resourceAccount: MGMT, resourcePolicy: deny })).toEqual({
      allowed: false,
      reason: 'ExplicitDeny',
    });
    const unrelated = doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MEMBER}:root` }, Action: 's3:GetObject', Resource: BUCKET });
    expect((await k.authorize({ principal: root(MGMT), action: 's3:GetObject', resource: BUCKET, resourceAccount: MGMT, resourcePolicy: unrelated })).allowed).toBe(true);
  });

  it('needs both sides for cross-account access', async () => {
    const grant = doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MGMT}:root` }, Action: 's3:GetObject', Resource: BUCKET });
    expect((await k.authorize({ principal: root(MGMT), action: 's3:GetObject', resource: BUCKET, resourceAccount: MEMBER })).allowed).toBe(false);
    expect((await k.authorize({ principal: root(MGMT), action: 's3:GetObject', resource: BUCKET, resourceAccount: MEMBER, resourcePolicy: grant })).allowed).toBe(true);
    const noIdentity = addUser(k, MGMT, 'plain', []);
    expect(await k.authorize({ principal: noIdentity, action: 's3:GetObject', resource: BUCKET, resourceAccount: MEMBER, resourcePolicy: grant })).toEqual({
      allowed: false,
      reason: 'ImplicitDeny',
    });
    const withIdentity = addUser(k, MGMT, 'reader', [doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' })]);
    expect((await k.authorize({ principal: withIdentity, action: 's3:GetObject', resource: BUCKET, resourceAccount: MEMBER, resourcePolicy: grant })).allowed).toBe(true);
  });

  it('lets a same-account resource policy grant a principal with no identity policy', async () => {
    const user = addUser(k, MGMT, 'granted', []);
    const grant = doc({ Effect: 'Allow', Principal: { AWS: user.arn }, Action: 'secretsmanager:GetSecretValue', Resource: '*' });
    const secret = `arn:aws:secretsmanager:us-east-1:${MGMT}:secret:s-AbCdEf`;
    expect((await k.authorize({ principal: user, action: 'secretsmanager:GetSecretValue', resource: secret, resourceAccount: MGMT })).allowed).toBe(false);
    expect((await k.authorize({ principal: user, action: 'secretsmanager:GetSecretValue', resource: secret, resourceAccount: MGMT, resourcePolicy: grant })).allowed).toBe(true);
  });

  it('lets explicit denies win and evaluates conditions on request context', async () => {
    const user = addUser(k, MGMT, 'cond', [
      doc({ Effect: 'Allow', Action: '*', Resource: '*' }),
      doc({ Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      doc({ Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' }),
    ]);
    expect((await k.authorize({ principal: user, action: 's3:GetObject', resource: BUCKET, resourceAccount: MGMT })).allowed).toBe(true);
    expect(await k.authorize({ principal: user, action: 's3:DeleteObject', resource: BUCKET, resourceAccount: MGMT })).toEqual({ allowed: false, reason: 'ExplicitDeny' });
    expect((await k.authorize({ principal: user, action: 's3:GetObject', resource: BUCKET, resourceAccount: MGMT, context: { 'aws:SecureTransport': 'false' } })).allowed).toBe(false);
    const insecure = kernel({ assumeSecureTransport: false });
    const u2 = addUser(insecure, MGMT, 'cond', [
      doc({ Effect: 'Allow', Action: '*', Resource: '*' }),
      doc({ Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    ]);
    expect((await insecure.authorize({ principal: u2, action: 's3:GetObject', resource: BUCKET, resourceAccount: MGMT })).allowed).toBe(false);
  });

  it('sets aws:username / aws:PrincipalAccount for policy variables and conditions', async () => {
    const user = addUser(k, MGMT, 'carol', [doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::home/${aws:username}/*' })]);
    expect((await k.authorize({ principal: user, action: 's3:GetObject', resource: 'arn:aws:s3:::home/carol/file', resourceAccount: MGMT })).allowed).toBe(true);
    expect((await k.authorize({ principal: user, action: 's3:GetObject', resource: 'arn:aws:s3:::home/dave/file', resourceAccount: MGMT })).allowed).toBe(false);
    const acct = addUser(k, MGMT, 'acct', [doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalAccount': MEMBER } } })]);
    expect((await k.authorize({ principal: acct, action: 's3:GetObject', resource: BUCKET, resourceAccount: MGMT })).allowed).toBe(false);
  });

  it('ignores attachments and inline policies that have not propagated yet, and deleted roles', async () => {
    const user = addUser(k, MGMT, 'pending', []);
    const record = k.identity.getUser(MGMT, 'pending');
    if (!record) throw new Error('missing');
    k.identity.putUser({ ...record, inline: [{ name: 'p', document: doc({ Effect: 'Allow', Action: '*', Resource: '*' }), effectiveAt: Date.now() + 60_000 }] });
    expect((await k.authorize({ principal: user, action: 's3:GetObject', resource: BUCKET, resourceAccount: MGMT })).allowed).toBe(false);

    const role = k.identity.getRole(MEMBER, 'OrganizationAccountAccessRole');
    if (!role) throw new Error('missing role');
    const session: Principal = {
      kind: 'assumed-role',
      accountId: MEMBER,
      arn: `arn:aws:sts::${MEMBER}:assumed-role/OrganizationAccountAccessRole/s`,
      roleArn: role.arn,
      roleName: role.roleName,
      roleId: role.roleId,
      sessionName: 's',
      accessKeyId: 'ASIAX',
    };
    expect((await k.authorize({ principal: session, action: 's3:GetObject', resource: BUCKET, resourceAccount: MEMBER })).allowed).toBe(true);
    k.identity.deleteRole(MEMBER, 'OrganizationAccountAccessRole');
    expect((await k.authorize({ principal: session, action: 's3:GetObject', resource: BUCKET, resourceAccount: MEMBER })).allowed).toBe(false);
  });

  it('takes the fast path for unconditional admin and memoises simulated decisions', async () => {
    const admin = addUser(k, MGMT, 'admin', [doc({ Effect: 'Allow', Action: '*', Resource: '*' })]);
    const before = k.authorizer.simulations;
    for (let i = 0; i < 5; i++) expect((await k.authorize({ principal: admin, action: 's3:PutObject', resource: BUCKET, resourceAccount: MGMT })).allowed).toBe(true);
    expect(k.authorizer.simulations).toBe(before);

    const scoped = addUser(k, MGMT, 'scoped', [doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/*' })]);
    for (let i = 0; i < 5; i++) expect((await k.authorize({ principal: scoped, action: 's3:GetObject', resource: BUCKET, resourceAccount: MGMT })).allowed).toBe(true);
    expect(k.authorizer.simulations).toBe(before + 1);
    expect((await k.authorize({ principal: scoped, action: 's3:GetObject', resource: 'arn:aws:s3:::other/k', resourceAccount: MGMT })).allowed).toBe(false);
    expect(k.authorizer.simulations).toBe(before + 2);
  });
});

describe('accounts', () => {
  it('creates member accounts idempotently with deterministic, unique admin keys', () => {
    const a = kernel();
    const b = kernel();
    const m1 = a.accounts.create(MEMBER);
    expect(a.accounts.create(MEMBER)).toEqual(m1);
    expect(b.accounts.create(MEMBER)).toEqual(m1);
    const m2 = a.accounts.create('222222222222');
    expect(m2.accessKeyId).not.toBe(m1.accessKeyId);
    expect(m2.secretAccessKey).not.toBe(m1.secretAccessKey);
    expect(a.credentials.lookup(m1.accessKeyId)?.principal).toEqual({ kind: 'root', accountId: MEMBER, arn: `arn:aws:iam::${MEMBER}:root`, accessKeyId: m1.accessKeyId });
    expect(() => a.accounts.create('1234')).toThrow(/12 digits/);
    const role = a.identity.getRole(MEMBER, 'OrganizationAccountAccessRole');
    expect(role?.attached.map((x) => x.policyArn)).toEqual(['arn:aws:iam::aws:policy/AdministratorAccess']);
    expect(JSON.parse(role?.trustPolicy ?? '{}').Statement[0].Principal).toEqual({ AWS: `arn:aws:iam::${MGMT}:root` });
    expect(a.accounts.list().map((x) => [x.accountId, x.management])).toEqual([
      [MGMT, true],
      [MEMBER, false],
      ['222222222222', false],
    ]);
  });
});
