/**
 * The fleet benchmark's sandbox thread (bench/sandbox-thread.ts): AWS sandbox + Palette emulator in a worker thread,
 * reached over HTTP, counting the Palette calls it accepted per rate-limit prefix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxThread, type SandboxThread } from '../../bench/sandbox-thread';

let thread: SandboxThread;
beforeAll(async () => {
  thread = await startSandboxThread();
}, 60_000);
afterAll(async () => {
  await thread.stop();
});

describe('the sandbox thread of the fleet benchmark', () => {
  it('serves AWS and Palette over HTTP and counts the accepted Palette calls by prefix', async () => {
    // Prepare
    const { aws, palette } = thread.endpoints;
    const before = await thread.paletteCalls();
    // Act
    const health = await fetch(`${aws.endpoint}/_sandbox/health`);
    const users = await fetch(`${palette.endpoint}/v1/users/me`, { headers: { ApiKey: palette.apiKey } });
    const after = await thread.paletteCalls();
    // Assess
    expect(health.status).toBe(200);
    expect(aws.accountId).toMatch(/^\d{12}$/);
    expect(users.status).toBeLessThan(500);
    expect((after.byPrefix['/v1/users']?.calls ?? 0) - (before.byPrefix['/v1/users']?.calls ?? 0)).toBe(1);
    expect(after.rateLimited.total).toBe(0);
  });
});
