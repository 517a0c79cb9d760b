/** `npm run sandbox -- --json`: the ready line, a working endpoint, clean stop on SIGTERM. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'sandbox-bin-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
      try {
        process.kill(-c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  ready: Record<string, unknown>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns in its own process group and resolves with the first stdout line parsed as JSON. */
function launch(command: string, args: string[], env: Record<string, string>, readyWithinMs = 30_000): Promise<Started> {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, SANDBOX_AWS_PORT: '0', SANDBOX_PALETTE_PORT: '0', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within ${readyWithinMs / 1000}s; stderr: ${stderr}`)), readyWithinMs);
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const nl = stdout.indexOf('\n');
      if (nl >= 0 && timer) {
        clearTimeout(timer);
        try {
          resolve({ child, ready: JSON.parse(stdout.slice(0, nl)) as Record<string, unknown>, exited });
        } catch (e) {
          reject(new Error(`first stdout line is not JSON: ${stdout.slice(0, nl)} (${String(e)})`));
        }
      }
    });
    void exited.then(({ code }) => reject(new Error(`exited early with ${code}; stderr: ${stderr}`)));
  });
}

async function callerAccount(ready: Record<string, unknown>): Promise<string | undefined> {
  const sts = new STSClient({
    endpoint: String(ready.endpoint),
    region: String(ready.region),
    credentials: { accessKeyId: String(ready.accessKeyId), secretAccessKey: String(ready.secretAccessKey) },
    maxAttempts: 1,
  });
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Account;
  } finally {
    sts.destroy();
  }
}

describe('sandbox CLI', () => {
  it('npm run sandbox -- --json prints exactly one JSON ready line (the app loaded, by default), serves, and stops on SIGTERM', async () => {
    const stateFile = join(dir, 'npm-state.json');
    const { child, ready, exited } = await launch('npm', ['run', '--silent', 'sandbox', '--', '--json'], {
      SANDBOX_ACCOUNTS: '111111111111,222222222222',
      SANDBOX_STATE_FILE: stateFile,
    }, 240_000); // the app is synthesized first when the cache is cold (a clean clone)
    expect(Object.keys(ready).sort()).toEqual(['accessKeyId', 'accountId', 'accounts', 'app', 'endpoint', 'palette', 'region', 'secretAccessKey']);
    // The app runs in it (npm run sandbox's default): its stack and onboarding state machine.
    expect(ready.app).toMatchObject({ stackName: 'PaletteOnboardingStack', outputs: { StateMachineArn: expect.stringContaining(':stateMachine:') } });
    expect(ready).toMatchObject({ region: 'us-east-1', accountId: '000000000000', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', accounts: ['111111111111', '222222222222'] });
    expect(String(ready.endpoint)).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await callerAccount(ready)).toBe('000000000000');

    // A terminal's Ctrl+C / a supervisor signals the whole process group (npm, sh, tsx, node).
    if (child.pid === undefined) throw new Error('no pid');
    process.kill(-child.pid, 'SIGTERM');
    await exited;
    await expect(fetch(`${String(ready.endpoint)}/_sandbox/health`)).rejects.toThrow();
    expect(existsSync(stateFile)).toBe(true);
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).kernel.accounts).toHaveLength(4); // management, two members, Palette's own (SaaS) account
  }, 300_000);

  it('the sandbox process (--no-app: the bare sandbox) exits 0 on SIGTERM and SIGINT', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const { child, ready, exited } = await launch(join(ROOT, 'node_modules', '.bin', 'tsx'), ['local/bin/sandbox.ts', '--json', '--no-app'], {});
      expect(await callerAccount(ready)).toBe('000000000000');
      child.kill(signal);
      expect(await exited).toEqual({ code: 0, signal: null });
    }
  });

  it('prints a human banner without --json (--no-app: ends with Press Ctrl+C)', async () => {
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['local/bin/sandbox.ts', '--no-app'], {
      cwd: ROOT,
      env: { ...process.env, SANDBOX_AWS_PORT: '0', SANDBOX_PALETTE_PORT: '0' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let out = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Press Ctrl+C')) resolve();
      });
      void exited.then((code) => reject(new Error(`sandbox exited early with ${code}: ${err}`)));
    });
    expect(out).toMatch(/export AWS_ENDPOINT_URL=http:\/\/127\.0\.0\.1:\d+/);
    expect(out).toContain('export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});
