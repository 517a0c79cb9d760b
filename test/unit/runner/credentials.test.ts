/**
 * Per-function credentials (local/runner/credentials.ts): the loopback endpoint the AWS SDK's container credential
 * provider asks (with the SDK version the bundles are built from), attributed to the asking invocation; sessions per
 * container, refreshed before they expire; and the permission recorder that attributes sandbox decisions to functions.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../../local/aws';
import type { AuthorizeEvent, RunningSandbox, ServiceSessionCredentials } from '../../../local/aws/core/types';
import { installHttpAttribution } from '../../../local/runner/attribution';
import { OutputCapture } from '../../../local/runner/capture';
import {
  clearContainerSessions,
  containerSession,
  credentialEndpoint,
  sessionOwner,
  type ContainerCredentials,
  type ContainerSessionRequest,
  type CredentialEndpoint,
  type SessionSource,
} from '../../../local/runner/credentials';
import { PermissionRecorder, type PermissionDeniedNotice } from '../../../local/runner/permissions';

const SAVED = { ...process.env };
let endpoint: CredentialEndpoint;

beforeAll(async () => {
  installHttpAttribution();
  endpoint = await credentialEndpoint();
});

/** The environment a handler sees under synthesized roles: no keys, the container provider's URI and token. */
function handlerEnvironment(): void {
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete process.env[k];
  Object.assign(process.env, endpoint.environment(), {
    AWS_CONFIG_FILE: '/nonexistent/palette-onboarding/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/palette-onboarding/credentials',
    AWS_REGION: 'us-east-1',
  });
}

afterEach(() => {
  process.env = { ...SAVED };
  clearContainerSessions();
});

function fakeSource(expiresInMs = 3_600_000): SessionSource & { created: number } {
  const source = {
    created: 0,
    async create(req: { roleArn: string; sessionName: string }): Promise<ServiceSessionCredentials> {
      source.created += 1;
      return {
        accessKeyId: `ASIAFAKE${String(source.created).padStart(12, '0')}`,
        secretAccessKey: 'secret',
        sessionToken: 'token',
        expiration: new Date(Date.now() + expiresInMs).toISOString(),
        assumedRoleArn: `arn:aws:sts::000000000000:assumed-role/${req.roleArn.split('/').pop()}/${req.sessionName}`,
        roleArn: req.roleArn,
      };
    },
  };
  return source;
}

const request = (key: string, fn = 'FnA'): ContainerSessionRequest => ({
  key,
  functionLogicalId: fn,
  functionName: `Stk-${fn}`,
  functionArn: `arn:aws:lambda:us-east-1:000000000000:function:Stk-${fn}`,
  roleArn: `arn:aws:iam::000000000000:role/Stk-${fn}Role`,
  accountId: '000000000000',
});

describe('containerSession', () => {
  it('gives every client of a container the same session, and a new container (cold start, crash) a new one', async () => {
    // Prepare
    const source = fakeSource();

    // Act
    const a1 = await containerSession(request('c1'), source);
    const a2 = await containerSession(request('c1'), source);
    const b = await containerSession(request('c1~1'), source);

    // Assess
    expect(a2.AccessKeyId).toBe(a1.AccessKeyId);
    expect(b.AccessKeyId).not.toBe(a1.AccessKeyId);
    expect(source.created).toBe(2);
    expect(sessionOwner(a1.AccessKeyId)).toEqual({ functionLogicalId: 'FnA', roleArn: 'arn:aws:iam::000000000000:role/Stk-FnARole' });
  });

  it('replaces a session that has less than 15 minutes left', async () => {
    // Prepare
    const source = fakeSource(20 * 60_000);
    const first = await containerSession(request('c2'), source);

    // Act
    const stillFresh = await containerSession(request('c2'), source);
    const later = await containerSession(request('c2'), source, Date.now() + 6 * 60_000);

    // Assess
    expect(stillFresh.AccessKeyId).toBe(first.AccessKeyId);
    expect(later.AccessKeyId).not.toBe(first.AccessKeyId);
  });
});

describe('the credential endpoint with the SDK default credential chain', () => {
  let sb: RunningSandbox;
  beforeAll(async () => {
    sb = await startSandbox({ port: 0, realism: { iamPropagationMs: 0 } });
  });
  afterAll(async () => {
    await sb?.stop();
  });
  beforeEach(() => handlerEnvironment());

  const scope = (fn: string) => ({ functionLogicalId: fn, state: `${fn}State`, requestId: `${fn}-${Math.random()}` });
  const identity = () => new STSClient({ endpoint: sb.endpoint, region: 'us-east-1' }).send(new GetCallerIdentityCommand({}));

  it('answers each concurrent invocation with the session of its own function', async () => {
    // Prepare
    const capture = new OutputCapture();
    const sessions = new Map<string, Promise<ServiceSessionCredentials>>();
    const sessionOf = (fn: string) => {
      let s = sessions.get(fn);
      if (!s) {
        s = (async () => {
          const roleArn = `arn:aws:iam::000000000000:role/${fn}`;
          if (!sb.kernel.accounts.get('000000000000')) throw new Error('no account');
          const iam = await import('@aws-sdk/client-iam');
          const client = new iam.IAMClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: { accessKeyId: sb.accessKeyId, secretAccessKey: sb.secretAccessKey } });
          await client
            .send(new iam.CreateRoleCommand({ RoleName: fn, AssumeRolePolicyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }))
            .catch(() => undefined);
          client.destroy();
          return sb.serviceSession({ roleArn, service: 'lambda.amazonaws.com', sessionName: fn });
        })();
        sessions.set(fn, s);
      }
      return s;
    };
    const unregister = endpoint.register(capture, async (ctx): Promise<ContainerCredentials> => {
      const s = await sessionOf(ctx.scope.functionLogicalId);
      return { AccessKeyId: s.accessKeyId, SecretAccessKey: s.secretAccessKey, Token: s.sessionToken, Expiration: s.expiration, RoleArn: s.roleArn };
    });

    try {
      // Act: two "functions" at the same time, each with a few fresh clients.
      const run = (fn: string) =>
        capture.runInScope(scope(fn), async () => {
          const arns: string[] = [];
          for (let i = 0; i < 3; i++) arns.push((await identity()).Arn ?? '');
          return arns;
        });
      const [a, b] = await Promise.all([run('FnA'), run('FnB')]);

      // Assess
      expect(new Set(a)).toEqual(new Set(['arn:aws:sts::000000000000:assumed-role/FnA/FnA']));
      expect(new Set(b)).toEqual(new Set(['arn:aws:sts::000000000000:assumed-role/FnB/FnB']));
    } finally {
      unregister();
    }
  });

  it('refuses requests no registered invocation makes, and requests without the token', async () => {
    // Prepare
    const capture = new OutputCapture();
    const unregister = endpoint.register(capture, async () => ({ AccessKeyId: 'A', SecretAccessKey: 'B', Token: 'C', Expiration: new Date(Date.now() + 3_600_000).toISOString(), RoleArn: 'r' }));
    try {
      // Act
      const outside = await fetch(endpoint.url, { headers: { authorization: endpoint.token } });
      const otherRun = await new OutputCapture().runInScope(scope('FnC'), () => fetch(endpoint.url, { headers: { authorization: endpoint.token } }));
      const noToken = await capture.runInScope(scope('FnC'), () => fetch(endpoint.url));
      const sdk = identity();

      // Assess
      expect(outside.status).toBe(403);
      expect(otherRun.status).toBe(403);
      expect(noToken.status).toBe(401);
      await expect(sdk).rejects.toThrow(/Could not load credentials|credential/i);
    } finally {
      unregister();
    }
  }, 20_000);

  it('is asked again by the SDK when the credentials are within 5 minutes of expiry (refresh)', async () => {
    // Prepare
    const capture = new OutputCapture();
    const session = await (async () => {
      const iam = await import('@aws-sdk/client-iam');
      const client = new iam.IAMClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: { accessKeyId: sb.accessKeyId, secretAccessKey: sb.secretAccessKey } });
      await client
        .send(new iam.CreateRoleCommand({ RoleName: 'Refresh', AssumeRolePolicyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }))
        .catch(() => undefined);
      client.destroy();
      return sb.serviceSession({ roleArn: 'arn:aws:iam::000000000000:role/Refresh', service: 'lambda.amazonaws.com', sessionName: 'refresh' });
    })();
    let asked = 0;
    const unregister = endpoint.register(capture, async () => {
      asked += 1;
      // Valid, but inside the SDK's 5-minute refresh window.
      return { AccessKeyId: session.accessKeyId, SecretAccessKey: session.secretAccessKey, Token: session.sessionToken, Expiration: new Date(Date.now() + 4 * 60_000).toISOString(), RoleArn: session.roleArn };
    });
    try {
      // Act
      await capture.runInScope(scope('FnR'), async () => {
        const client = new STSClient({ endpoint: sb.endpoint, region: 'us-east-1' });
        for (let i = 0; i < 3; i++) {
          await client.send(new GetCallerIdentityCommand({}));
          await new Promise((r) => setTimeout(r, 20));
        }
        client.destroy();
      });

      // Assess
      expect(asked).toBeGreaterThanOrEqual(3);
    } finally {
      unregister();
    }
  });
});

describe('PermissionRecorder', () => {
  const event = (over: Partial<AuthorizeEvent> & { principal: AuthorizeEvent['principal'] }): AuthorizeEvent => ({
    action: 'dynamodb:GetItem',
    resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/t',
    resourceAccount: '000000000000',
    allowed: true,
    reason: 'Allowed',
    ...over,
  });

  it("attributes decisions to the function whose session made them, and to the roles it assumed, with denials reported", async () => {
    // Prepare
    const own = await containerSession(request('rec-1', 'Worker'), fakeSource());
    const notices: PermissionDeniedNotice[] = [];
    const recorder = new PermissionRecorder({ statesOf: () => ['WorkState'], onDenied: (n) => notices.push(n) });
    const fnPrincipal = { kind: 'assumed-role' as const, arn: 'arn:aws:sts::000000000000:assumed-role/Stk-WorkerRole/Stk-Worker', accountId: '000000000000', accessKeyId: own.AccessKeyId, roleArn: 'arn:aws:iam::000000000000:role/Stk-WorkerRole' };
    const tenantPrincipal = {
      kind: 'assumed-role' as const,
      arn: 'arn:aws:sts::111111111111:assumed-role/Exec/job',
      accountId: '111111111111',
      accessKeyId: 'ASIATENANT0000000001',
      roleArn: 'arn:aws:iam::111111111111:role/Exec',
      issuer: { arn: fnPrincipal.arn, accessKeyId: own.AccessKeyId },
    };

    // Act
    recorder.observe(event({ principal: fnPrincipal }));
    recorder.observe(event({ principal: fnPrincipal }));
    recorder.observe(event({ principal: fnPrincipal, action: 'sts:AssumeRole', resource: tenantPrincipal.roleArn, resourceAccount: '111111111111' }));
    recorder.observe(event({ principal: fnPrincipal, action: 'dynamodb:Scan', allowed: false, reason: 'ImplicitDeny' }));
    recorder.observe(event({ principal: tenantPrincipal, action: 's3:CreateBucket', resource: 'arn:aws:s3:::b', resourceAccount: '111111111111' }));
    recorder.observe(event({ principal: { ...tenantPrincipal, issuer: undefined }, action: 'iam:GetRole', resource: 'arn:aws:iam::111111111111:role/x', allowed: false, reason: 'ImplicitDeny' }));
    recorder.observe(event({ principal: { kind: 'root', arn: 'arn:aws:iam::000000000000:root', accountId: '000000000000', accessKeyId: 'AKIAADMIN' } }));
    recorder.observe(event({ principal: { kind: 'assumed-role', arn: 'x', accountId: '000000000000', accessKeyId: 'ASIAUNKNOWN' } }));
    recorder.expect('Idle', 'arn:aws:iam::000000000000:role/Stk-IdleRole');

    // Assess
    expect(recorder.result()).toEqual({
      Idle: { role: 'arn:aws:iam::000000000000:role/Stk-IdleRole', allowed: [], denied: [] },
      Worker: {
        role: 'arn:aws:iam::000000000000:role/Stk-WorkerRole',
        allowed: ['dynamodb:GetItem', 'sts:AssumeRole'],
        denied: [{ action: 'dynamodb:Scan', resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/t', reason: 'ImplicitDeny', state: 'WorkState' }],
        assumed: {
          'arn:aws:iam::111111111111:role/Exec': {
            allowed: ['s3:CreateBucket'],
            denied: [{ action: 'iam:GetRole', resource: 'arn:aws:iam::111111111111:role/x', reason: 'ImplicitDeny', state: 'WorkState' }],
          },
        },
      },
    });
    expect(notices.map((n) => [n.functionLogicalId, n.action, n.via])).toEqual([
      ['Worker', 'dynamodb:Scan', undefined],
      ['Worker', 'iam:GetRole', 'arn:aws:iam::111111111111:role/Exec'],
    ]);
  });
});
