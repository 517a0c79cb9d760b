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

  it('fails naming both sources when there is neither (a profile does not count in Lambda)', async () => {
    // Prepare
    stubEnv({ AWS_PROFILE: 'dev' });
    // Act / Assess
    await expect(defaultProvider()()).rejects.toThrow(/AWS_ACCESS_KEY_ID.*AWS_CONTAINER_CREDENTIALS_FULL_URI/);
  });
});
