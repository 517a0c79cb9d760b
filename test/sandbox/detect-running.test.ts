/**
 * detectRunningSandbox (local/runner/sandbox.ts), what `--local` commands use to join a sandbox started by
 * `npm run sandbox`: a throttled or unavailable sandbox is waited for and reported as unavailable, never as wrong
 * credentials; only a rejected key is a credentials problem.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectRunningSandbox } from '../../local/runner/sandbox';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';

let sb: RunningLocalSandbox;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  sb = await startLocalSandbox({ aws: { port: 0 }, palette: { port: 0 }, env: {} });
  env = {
    AWS_ENDPOINT_URL: sb.aws.endpoint,
    SANDBOX_PALETTE_ENDPOINT: sb.palette.endpoint,
    SANDBOX_ACCESS_KEY_ID: sb.aws.accessKeyId,
    SANDBOX_SECRET_ACCESS_KEY: sb.aws.secretAccessKey,
    PALETTE_SANDBOX_API_KEY: sb.palette.apiKey,
  };
}, 60_000);
afterAll(async () => {
  await sb?.stop();
});

describe('detectRunningSandbox', () => {
  it('rides out a Palette outage, telling each wait, and then uses the sandbox', async () => {
    sb.faults.paletteOutage({ pathPrefix: '/v1/clouds', durationMs: 1500 });
    const lines: string[] = [];
    const detected = await detectRunningSandbox(env, 1500, (l) => lines.push(l));
    expect(detected.state).toBe('running');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^Palette answered 503, retrying in [\d.]+ s \(attempt 2\)$/);
  }, 30_000);

  it('rides out AWS throttling of the identity check', async () => {
    sb.faults.awsOutage({ service: 'sts', durationMs: 1500 });
    const lines: string[] = [];
    const detected = await detectRunningSandbox(env, 1500, (l) => lines.push(l));
    expect(detected.state).toBe('running');
    expect(lines.some((l) => l.startsWith('the AWS sandbox answered'))).toBe(true);
  }, 30_000);

  it('a wrong API key is a credentials problem, at once', async () => {
    sb.faults.clear();
    const lines: string[] = [];
    const detected = await detectRunningSandbox({ ...env, PALETTE_SANDBOX_API_KEY: 'wrong-key-0000000000000000000000' }, 1500, (l) => lines.push(l));
    expect(detected).toMatchObject({ state: 'unusable', reason: expect.stringMatching(/does not accept the tenant API key \(HTTP 401/) });
    expect(lines).toEqual([]);
  });
});
