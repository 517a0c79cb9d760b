/**
 * The credential provider of the functions' bundles (lambdas/shared/lambda-credentials.ts, aliased for
 * @aws-sdk/credential-provider-node by cdk/lib/handler-bundles.ts): environment credentials (what Lambda gives a
 * function), else a container credentials endpoint (what the local runner gives), else an error naming both.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultProvider } from '../../lambdas/shared/lambda-credentials';

const CLEAR = {
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_SESSION_TOKEN: undefined,
  AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
  AWS_CONTAINER_AUTHORIZATION_TOKEN: undefined,
  AWS_PROFILE: undefined,
};

let server: Server | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

function stubEnv(env: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries({ ...CLEAR, ...env })) vi.stubEnv(k, v);
}

describe('the functions\' credential provider', () => {
  it('takes the environment credentials Lambda sets', async () => {
    // Prepare
    stubEnv({ AWS_ACCESS_KEY_ID: 'ASIAENV', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' });
    // Act
    const creds = await defaultProvider()();
    // Assess
    expect(creds).toMatchObject({ accessKeyId: 'ASIAENV', secretAccessKey: 'secret', sessionToken: 'token' });
  });

  it('else asks the container credentials endpoint, with its authorization token', async () => {
    // Prepare
    const seen: (string | undefined)[] = [];
    server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ AccessKeyId: 'ASIACONTAINER', SecretAccessKey: 's', Token: 't', Expiration: new Date(Date.now() + 3600_000).toISOString() }));
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    stubEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${port}/creds`, AWS_CONTAINER_AUTHORIZATION_TOKEN: 'auth-token' });
    // Act
    const creds = await defaultProvider()();
    // Assess
    expect(creds).toMatchObject({ accessKeyId: 'ASIACONTAINER', sessionToken: 't' });
    expect(creds.expiration).toBeInstanceOf(Date);
    expect(seen).toEqual(['auth-token']);
  });

  it('asks the endpoint once for every request a client signs, and again only when they near their expiration', async () => {
    // Prepare: an endpoint that counts its requests; the first answer expires in an hour, the second in 4 minutes
    let served = 0;
    const lifetimes = [3600_000, 240_000, 3600_000];
    server = createServer((_req, res) => {
      const ttl = lifetimes[Math.min(served, lifetimes.length - 1)] as number;
      served += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ AccessKeyId: `ASIA${served}`, SecretAccessKey: 's', Token: 't', Expiration: new Date(Date.now() + ttl).toISOString() }));
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    stubEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${port}/creds`, AWS_CONTAINER_AUTHORIZATION_TOKEN: 'auth-token' });
    const provider = defaultProvider();
    // Act: ten concurrent requests, then ten more
    const first = await Promise.all(Array.from({ length: 10 }, () => provider()));
    const again = await Promise.all(Array.from({ length: 10 }, () => provider()));
    // Assess: one resolution served all twenty
    expect(served).toBe(1);
    expect(new Set([...first, ...again].map((c) => c.accessKeyId))).toEqual(new Set(['ASIA1']));
    // Act: a forced refresh gets credentials that expire within 5 minutes: the next request resolves again
    const forced = await provider({ forceRefresh: true });
    const next = await provider();
    // Assess
    expect(forced.accessKeyId).toBe('ASIA2');
    expect(next.accessKeyId).toBe('ASIA3');
    expect(served).toBe(3);
  });

  it('does not keep a failure: the next request asks again', async () => {
    // Prepare: the first answer is a 500, the second succeeds
    let served = 0;
    server = createServer((_req, res) => {
      served += 1;
      res.setHeader('content-type', 'application/json');
      if (served === 1) {
        res.statusCode = 500;
        res.end('{}');
        return;
      }
      res.end(JSON.stringify({ AccessKeyId: 'ASIAOK', SecretAccessKey: 's', Token: 't', Expiration: new Date(Date.now() + 3600_000).toISOString() }));
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    stubEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${port}/creds`, AWS_CONTAINER_AUTHORIZATION_TOKEN: 'auth-token' });
    const provider = defaultProvider({ maxRetries: 0 });
    // Act / Assess
    await expect(provider()).rejects.toThrow();
    await expect(provider()).resolves.toMatchObject({ accessKeyId: 'ASIAOK' });
    expect(served).toBe(2);
  });

  it('fails naming both sources when there is neither (a profile does not count in Lambda)', async () => {
    // Prepare
    stubEnv({ AWS_PROFILE: 'dev' });
    // Act / Assess
    await expect(defaultProvider()()).rejects.toThrow(/AWS_ACCESS_KEY_ID.*AWS_CONTAINER_CREDENTIALS_FULL_URI/);
  });
});
