/**
 * The `--local` pre-flight (cli/preflight.ts): only 401/403 mean a wrong API key; 429, 5xx, resets and timeouts are
 * retried with capped backoff honouring Retry-After within a bounded time, then reported as Palette being
 * unavailable or throttling.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliDeps } from '../../cli/main';
import {
  checkPaletteApiKey,
  classifyPaletteAnswer,
  localPaletteGate,
  parseRetryAfter,
  retryTransient,
  SANDBOX_DEFAULT_API_KEY,
  type ProbeVerdict,
} from '../../cli/preflight';
import { DEFAULT_API_KEY, startPaletteEmulator, type RunningPaletteEmulator } from '../../local/palette/index';

const ROOT = new URL('../..', import.meta.url).pathname;

/** A clock that only moves when the fake sleep is called. */
function fakeClock() {
  let t = 1_000_000;
  const slept: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      slept.push(ms);
      t += ms;
    },
    slept,
  };
}

type Reply = { status: number; code?: string; retryAfter?: string } | 'reset' | 'timeout';

/** A fetch that answers the API-key probe from a script (the last reply repeats) and counts calls. */
function scriptedFetch(replies: Reply[]) {
  const calls: string[] = [];
  const fn = (async (input: string | URL | Request) => {
    const url = String(input);
    calls.push(url);
    if (url.endsWith('/_emulator/health')) return new Response('{"status":"ok"}', { status: 200 });
    const r = replies[Math.min(calls.filter((c) => !c.endsWith('/_emulator/health')).length - 1, replies.length - 1)] as Reply;
    if (r === 'reset') throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
    if (r === 'timeout') throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (r.retryAfter !== undefined) headers['retry-after'] = r.retryAfter;
    return new Response(JSON.stringify(r.code ? { code: r.code, message: 'x' } : { accountId: '123' }), { status: r.status, headers });
  }) as typeof fetch;
  return { fn, probes: () => calls.filter((c) => !c.endsWith('/_emulator/health')).length };
}

describe('classification of Palette answers', () => {
  it.each<[Parameters<typeof classifyPaletteAnswer>[0], ProbeVerdict['kind']]>([
    [{ status: 200 }, 'ok'],
    [{ status: 400, code: 'StsNotConfigured' }, 'ok'],
    [{ status: 401, code: 'Unauthorized' }, 'rejected'],
    [{ status: 403, code: 'Forbidden' }, 'rejected'],
    [{ status: 429, code: 'TooManyRequests' }, 'transient'],
    [{ status: 500, code: 'InternalError' }, 'transient'],
    [{ status: 502 }, 'transient'],
    [{ status: 503, code: 'ServiceUnavailable' }, 'transient'],
    [{ status: 504 }, 'transient'],
    [{ error: Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }) }, 'transient'],
    [{ error: new DOMException('timeout', 'TimeoutError') }, 'transient'],
    [{ status: 404, code: 'NotFound' }, 'unexpected'],
    [{ status: 400, code: 'InvalidRequest' }, 'unexpected'],
  ])('%j -> %s', (answer, kind) => {
    expect(classifyPaletteAnswer(answer).kind).toBe(kind);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('4', now)).toBe(4000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(classifyPaletteAnswer({ status: 429, retryAfter: '7' }, now)).toEqual({ kind: 'transient', what: 'Palette answered 429', retryAfterMs: 7000 });
    expect(classifyPaletteAnswer({ error: Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }) })).toMatchObject({
      what: 'Palette did not answer (ECONNRESET)',
    });
  });

  it('the CLI default API key is the emulator default', () => {
    expect(SANDBOX_DEFAULT_API_KEY).toBe(DEFAULT_API_KEY);
  });
});

describe('retry of transient answers', () => {
  it('backs off 1, 2, 4, 8, 8 s (capped) with a progress line per wait, then succeeds', async () => {
    const clock = fakeClock();
    const lines: string[] = [];
    const verdicts: ProbeVerdict[] = [...Array<ProbeVerdict>(5).fill({ kind: 'transient', what: 'Palette answered 503' }), { kind: 'ok' }];
    const result = await retryTransient(async () => verdicts.shift() as ProbeVerdict, { ...clock, onRetry: (l) => lines.push(l) });
    expect(result).toMatchObject({ verdict: { kind: 'ok' }, attempts: 6 });
    expect(clock.slept).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect(lines[0]).toBe('Palette answered 503, retrying in 1 s (attempt 2)');
    expect(lines[2]).toBe('Palette answered 503, retrying in 4 s (attempt 4)');
  });

  it('honours Retry-After (capped at 30 s)', async () => {
    const clock = fakeClock();
    const lines: string[] = [];
    const f = scriptedFetch([{ status: 429, code: 'TooManyRequests', retryAfter: '5' }, { status: 429, retryAfter: '600' }, { status: 200 }]);
    const check = await checkPaletteApiKey('http://palette.test', 'k', { ...clock, fetch: f.fn, onRetry: (l) => lines.push(l) });
    expect(check).toMatchObject({ ok: true, attempts: 3 });
    expect(clock.slept).toEqual([5000, 30_000]);
    expect(lines).toEqual(['Palette answered 429, retrying in 5 s (attempt 2)', 'Palette answered 429, retrying in 30 s (attempt 3)']);
  });

  it('rides out resets and timeouts', async () => {
    const clock = fakeClock();
    const f = scriptedFetch(['reset', 'timeout', { status: 502 }, { status: 200 }]);
    expect(await checkPaletteApiKey('http://palette.test', 'k', { ...clock, fetch: f.fn })).toMatchObject({ ok: true, attempts: 4 });
  });

  it('gives up after the budget (60 s) saying Palette is unavailable, not that the key is wrong', async () => {
    const clock = fakeClock();
    const lines: string[] = [];
    const f = scriptedFetch([{ status: 503, code: 'ServiceUnavailable' }]);
    const check = await checkPaletteApiKey('http://palette.test', 'k', { ...clock, fetch: f.fn, onRetry: (l) => lines.push(l) });
    expect(check.ok).toBe(false);
    expect(check.message).toMatch(/^the Palette emulator at http:\/\/palette\.test is unavailable or throttling: Palette answered 503 on each of \d+ attempts over 60 s/);
    expect(check.message).toContain('the API key was not rejected');
    expect(check.message).not.toMatch(/does not accept/);
    expect(clock.slept.reduce((a, b) => a + b, 0)).toBe(60_000);
    expect(Math.max(...clock.slept)).toBe(8000);
    expect(f.probes()).toBe(lines.length + 1);
  });

  it('401 and 403 are wrong credentials at once (no retry); other answers are not called credential problems', async () => {
    for (const status of [401, 403]) {
      const clock = fakeClock();
      const f = scriptedFetch([{ status, code: 'Unauthorized' }]);
      const check = await checkPaletteApiKey('http://palette.test', 'k', { ...clock, fetch: f.fn });
      expect(check).toMatchObject({ ok: false, attempts: 1 });
      expect(check.message).toContain(`does not accept the tenant API key (HTTP ${status} Unauthorized)`);
      expect(clock.slept).toEqual([]);
    }
    const odd = await checkPaletteApiKey('http://palette.test', 'k', { ...fakeClock(), fetch: scriptedFetch([{ status: 404, code: 'NotFound' }]).fn });
    expect(odd.message).toContain('unexpected answer to the API key check (HTTP 404 NotFound)');
  });
});

describe('palette-onboard start --local pre-flight', () => {
  const io = (env: NodeJS.ProcessEnv) => {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, env, cwd: ROOT }, out, err };
  };

  it('waits out a throttled Palette, printing progress, then starts the run', async () => {
    const clock = fakeClock();
    const f = scriptedFetch([{ status: 429, code: 'TooManyRequests', retryAfter: '2' }, { status: 503 }, { status: 200 }]);
    const t = io({});
    let spawned = 0;
    const deps: CliDeps = {
      run: async () => {
        spawned++;
        return 0;
      },
      sleep: clock.sleep,
      localPreflight: (env, o) => localPaletteGate(env, { ...o, now: clock.now, fetch: f.fn }),
    };
    expect(await runCli(['start', 'examples/sts-tenant.json', '--local'], t.io, deps)).toBe(0);
    expect(spawned).toBe(1);
    expect(t.err.join('')).toContain('Palette answered 429, retrying in 2 s (attempt 2)');
    expect(t.err.join('')).toContain('Palette answered 503, retrying in 2 s (attempt 3)');
  });

  it('stops with exit 3 and the right reason: unavailable vs wrong API key', async () => {
    for (const [reply, reason] of [
      [{ status: 503 }, /is unavailable or throttling/],
      [{ status: 401, code: 'Unauthorized' }, /does not accept the tenant API key/],
    ] as const) {
      const clock = fakeClock();
      const t = io({});
      const deps: CliDeps = {
        run: async () => {
          throw new Error('must not spawn');
        },
        sleep: clock.sleep,
        localPreflight: (env, o) => localPaletteGate(env, { ...o, now: clock.now, fetch: scriptedFetch([reply]).fn }),
      };
      expect(await runCli(['start', 'examples/sts-tenant.json', '--local'], t.io, deps)).toBe(3);
      expect(t.err.join('')).toMatch(reason);
    }
  });

  it('no running sandbox: nothing to check (the local run starts its own)', async () => {
    const refused = (async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    }) as typeof fetch;
    expect(await localPaletteGate({}, { fetch: refused })).toBeUndefined();
  });
});

describe('against the emulator with an outage window', () => {
  let emu: RunningPaletteEmulator;
  beforeAll(async () => {
    emu = await startPaletteEmulator({ port: 0, rateLimit: false });
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it('waits while Palette answers 503, then the pre-flight passes', async () => {
    emu.outage({ pathPrefix: '/v1/clouds', durationMs: 1500 });
    const lines: string[] = [];
    const started = Date.now();
    const problem = await localPaletteGate({ SANDBOX_PALETTE_ENDPOINT: emu.endpoint }, { baseDelayMs: 400, onRetry: (l) => lines.push(l) });
    expect(problem).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines[0]).toBe('Palette answered 503, retrying in 0.4 s (attempt 2)');
    expect(emu.faultStats().outages).toBe(lines.length);
    // A wrong key during the outage's absence is still a credentials problem.
    expect(await localPaletteGate({ SANDBOX_PALETTE_ENDPOINT: emu.endpoint, PALETTE_SANDBOX_API_KEY: 'wrong' }, { budgetMs: 1000 })).toMatch(
      /does not accept the tenant API key \(HTTP 401/,
    );
  });
});
