/**
 * The local runner's crash-injection machinery in isolation: container generations (a killed invocation's
 * function gets a fresh module instance next time), the crash error as Step Functions reports it, dropping a
 * zombie's output, attributing concurrent HTTP requests (node:http keep-alive and fetch) to invocations, holding
 * responses, and crash-rule matching.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxHooks, type PaletteOperationEvent } from '../../local/hooks';
import { installHttpAttribution, invocationForPort } from '../../local/runner/attribution';
import { OutputCapture, type InvocationScope } from '../../local/runner/capture';
import { CallMonitor, callMatches, callNameOf, CrashRuleError, parseCallName, validateCrashRules } from '../../local/runner/crash';
import { LambdaCrashError, LocalLambdaRuntime } from '../../local/runner/lambda';
import type { LocalFunction } from '../../local/runner/template';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir: string;
let fn: LocalFunction;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'runner-crash-'));
  const entryFile = join(dir, 'index.mjs');
  // Module-level state shows whether a module instance is reused (warm) or fresh (cold).
  writeFileSync(
    entryFile,
    `let count = 0;
export async function handler(event) {
  count += 1;
  if (event && event.hang) {
    await new Promise((r) => setTimeout(r, 50));
    console.log('zombie console line');
    process.stdout.write('zombie stdout line\\n');
    await new Promise(() => {});
  }
  return { count };
}
`,
  );
  fn = {
    logicalId: 'CounterFn',
    functionName: 'Stack-CounterFn',
    arn: 'arn:aws:lambda:us-east-1:000000000000:function:Stack-CounterFn',
    entryFile,
    exportName: 'handler',
    environment: {},
    timeoutSeconds: 10,
    memorySize: 128,
    runtime: 'nodejs20.x',
    source: undefined,
  };
});

describe('container generations', () => {
  it('a killed invocation fails with Lambda.Unknown, its output stops, and the next invocation is a cold start', async () => {
    // Prepare: a runtime whose container key is unique to this test.
    const environment = { UNIQUE: randomUUID() };
    const capture = new OutputCapture();
    const lambda = new LocalLambdaRuntime({ capture, environment, region: 'us-east-1' });
    capture.start();
    try {
      // Act: two warm invocations, then one killed mid-flight, then another.
      const first = await lambda.invoke(fn, {}, 'Count');
      const second = await lambda.invoke(fn, {}, 'Count');
      const meta: { requestId?: string } = {};
      const hanging = lambda.invoke(fn, { hang: true }, 'Count', meta);
      const outcome = hanging.then(
        () => undefined,
        (e: unknown) => e,
      );
      await sleep(10);
      const killed = lambda.crash(meta.requestId ?? '', 'aws:s3:CreateBucket');
      const error = await outcome;
      await sleep(100); // the zombie writes now
      const third = await lambda.invoke(fn, {}, 'Count');

      // Assess
      expect(first).toEqual({ count: 1 });
      expect(second).toEqual({ count: 2 });
      expect(killed).toBe(true);
      expect(lambda.crash(meta.requestId ?? '', 'again')).toBe(false);
      expect(error).toBeInstanceOf(LambdaCrashError);
      const crash = error as LambdaCrashError;
      expect(crash.name).toBe('Lambda.Unknown');
      expect(JSON.parse(crash.message)).toEqual({
        errorMessage: `RequestId: ${meta.requestId} Error: Runtime exited with error: signal: killed`,
        errorType: 'Runtime.ExitError',
      });
      // A fresh module instance: the counter starts again.
      expect(third).toEqual({ count: 1 });
      expect(lambda.invocations.map((i) => [i.coldStart, i.error?.errorType, i.crashedAfter])).toEqual([
        [true, undefined, undefined],
        [false, undefined, undefined],
        [false, 'Lambda.Unknown', 'aws:s3:CreateBucket'],
        [true, undefined, undefined],
      ]);
      const texts = capture.logs.map((l) => l.text);
      expect(texts.some((t) => t.includes('zombie'))).toBe(false);
      expect(capture.logs.filter((l) => l.requestId === meta.requestId && l.source === 'platform').map((l) => /\b(START|ERROR|END|REPORT)\b/.exec(l.text)?.[1])).toEqual([
        'START',
        'ERROR',
        'END',
        'REPORT',
      ]);
    } finally {
      capture.stop();
    }
  });

  it('the new container outlives the run: a later run of the same function is warm on it', async () => {
    // Prepare: crash an invocation in one runtime (one run).
    const environment = { UNIQUE: randomUUID() };
    const run1 = new LocalLambdaRuntime({ capture: new OutputCapture(), environment, region: 'us-east-1' });
    const meta: { requestId?: string } = {};
    const hanging = run1.invoke(fn, { hang: true }, 'Count', meta).catch(() => undefined);
    await sleep(10);
    run1.crash(meta.requestId ?? '', 'palette:POST /v1/cloudaccounts/aws');
    await hanging;

    // Act: two later runs.
    const run2 = new LocalLambdaRuntime({ capture: new OutputCapture(), environment, region: 'us-east-1' });
    const a = await run2.invoke(fn, {}, 'Count');
    const run3 = new LocalLambdaRuntime({ capture: new OutputCapture(), environment, region: 'us-east-1' });
    const b = await run3.invoke(fn, {}, 'Count');

    // Assess
    expect([a, run2.invocations[0]?.coldStart]).toEqual([{ count: 1 }, true]);
    expect([b, run3.invocations[0]?.coldStart]).toEqual([{ count: 2 }, false]);
  });
});

describe('attributing sandbox requests to invocations', () => {
  let server: http.Server;
  let base: string;
  const hooks = new SandboxHooks<PaletteOperationEvent>('palette');

  beforeAll(async () => {
    installHttpAttribution();
    server = http.createServer((req, res) => {
      void (async () => {
        for await (const _ of req) {
          // drain
        }
        await sleep(Math.floor(Math.random() * 15));
        const path = req.url ?? '/';
        if (hooks.holdRequest(req, res, path)) return;
        if (hooks.holdResponse(req, res, { target: 'palette', method: req.method ?? 'GET', path, template: path.replace(/\/\d+$/, '/{n}'), status: 200 })) return;
        res.end('ok');
      })();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    hooks.releaseHeld();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const scope = (state: string): InvocationScope => ({ functionLogicalId: `${state}Fn`, state, requestId: randomUUID() });

  it('concurrent invocations (keep-alive node:http and fetch) are told apart; requests outside any invocation are not attributed', async () => {
    // Prepare
    const capture = new OutputCapture();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    const seen: { path: string; state: string | undefined }[] = [];
    const off = hooks.onOperation((e) => void seen.push({ path: e.path, state: invocationForPort(e.remotePort)?.scope.state }));
    const viaHttp = (path: string) =>
      new Promise<void>((resolve, reject) => {
        const req = http.request(`${base}${path}`, { method: 'POST', agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end('body');
      });
    const viaFetch = (path: string) => fetch(`${base}${path}`).then((r) => r.text());
    const work = (state: string) => async () => {
      for (let i = 0; i < 6; i++) {
        await Promise.all([viaHttp(`/${state}/http/${i}`), viaFetch(`/${state}/fetch/${i}`)]);
      }
    };

    // Act: two invocations at once, sharing the agent's keep-alive sockets, plus requests from no invocation.
    try {
      await Promise.all([capture.runInScope(scope('A'), work('A')), capture.runInScope(scope('B'), work('B')), viaHttp('/none/http/0'), viaFetch('/none/fetch/0')]);
    } finally {
      off();
      agent.destroy();
    }

    // Assess
    expect(seen).toHaveLength(26);
    for (const s of seen) {
      const owner = s.path.split('/')[1];
      expect({ path: s.path, state: s.state }).toEqual({ path: s.path, state: owner === 'none' ? undefined : owner });
    }
  });

  it('a crash rule fires on the Nth successful matching call of its state, holds that response, and freezes the zombie', async () => {
    // Prepare: rules for state B's second GET /items/{n}; a monitor on the server.
    const capture = new OutputCapture();
    const killed: { requestId: string; after: string }[] = [];
    const monitor = new CallMonitor({
      capture,
      rules: [{ after: 'palette:GET /items/{n}', state: 'B', occurrence: 2 }],
      recordCalls: true,
      functionName: (logicalId) => `name-of-${logicalId}`,
      kill: (ctx, d) => {
        ctx.dead = true;
        killed.push({ requestId: ctx.scope.requestId, after: d.after });
        return true;
      },
    });
    const offs = [hooks.onOperation((e) => monitor.observe(e)), hooks.onRequest((e) => (invocationForPort(e.remotePort)?.dead ? 'hold' : undefined))];
    const a = scope('A');
    const b = scope('B');
    const ask = (path: string) =>
      fetch(`${base}${path}`, { signal: AbortSignal.timeout(400) }).then(
        (r) => r.status,
        (e: unknown) => (e instanceof Error ? e.name : 'error'),
      );

    // Act
    let results: (number | string)[] = [];
    try {
      results = [
        await capture.runInScope(a, () => ask('/items/1')),
        await capture.runInScope(b, () => ask('/items/2')),
        await capture.runInScope(a, () => ask('/items/3')),
        await capture.runInScope(b, () => ask('/items/4')), // fires: held
        await capture.runInScope(b, () => ask('/items/5')), // the zombie's next request: held, never processed
        await capture.runInScope(b, () => ask('/items/6')),
      ];
    } finally {
      offs.forEach((off) => off());
    }

    // Assess
    expect(results).toEqual([200, 200, 200, 'TimeoutError', 'TimeoutError', 'TimeoutError']);
    expect(killed).toEqual([{ requestId: b.requestId, after: 'palette:GET /items/{n}' }]);
    expect(monitor.crashes).toEqual([
      { state: 'B', functionLogicalId: 'BFn', function: 'name-of-BFn', after: 'palette:GET /items/{n}', call: 'palette:GET /items/{n}', path: '/items/4', requestId: b.requestId, at: expect.any(Number) },
    ]);
    expect(monitor.calls.map((c) => [c.state, c.function, c.path, c.crashed ?? false])).toEqual([
      ['A', 'name-of-AFn', '/items/1', false],
      ['B', 'name-of-BFn', '/items/2', false],
      ['A', 'name-of-AFn', '/items/3', false],
      ['B', 'name-of-BFn', '/items/4', true],
    ]);
  });

  it('a crash rule naming a function fires only on that function\'s calls (one state, a function per Map item)', async () => {
    // Prepare: two invocations in the same state, of different functions.
    const capture = new OutputCapture();
    const killed: string[] = [];
    const monitor = new CallMonitor({
      capture,
      rules: [{ after: 'palette:GET /items/{n}', function: 'name-of-BFn' }],
      recordCalls: false,
      functionName: (logicalId) => `name-of-${logicalId}`,
      kill: (ctx) => {
        ctx.dead = true;
        killed.push(ctx.scope.requestId);
        return true;
      },
    });
    const offs = [hooks.onOperation((e) => monitor.observe(e)), hooks.onRequest((e) => (invocationForPort(e.remotePort)?.dead ? 'hold' : undefined))];
    const a = { ...scope('A'), state: 'Same' };
    const b = { ...scope('B'), state: 'Same' };
    const ask = (path: string) => fetch(`${base}${path}`, { signal: AbortSignal.timeout(400) }).then((r) => r.status, (e: unknown) => (e instanceof Error ? e.name : 'error'));

    // Act
    let results: (number | string)[] = [];
    try {
      results = [await capture.runInScope(a, () => ask('/items/1')), await capture.runInScope(b, () => ask('/items/2'))];
    } finally {
      offs.forEach((off) => off());
    }

    // Assess
    expect(results).toEqual([200, 'TimeoutError']);
    expect(killed).toEqual([b.requestId]);
    expect(monitor.crashes).toEqual([expect.objectContaining({ state: 'Same', function: 'name-of-BFn', path: '/items/2' })]);
  });
});

describe('crash rules', () => {
  it('parse both call syntaxes and reject anything else', () => {
    expect(parseCallName('aws:s3:CreateBucket')).toEqual({ target: 'aws', service: 's3', operation: 'CreateBucket' });
    expect(parseCallName('palette:post /v1/users/assets/sshkeys/')).toEqual({ target: 'palette', method: 'POST', path: '/v1/users/assets/sshkeys' });
    expect(() => parseCallName('s3:CreateBucket')).toThrow(CrashRuleError);
    expect(() => parseCallName('palette:POST v1/x')).toThrow(/palette:<METHOD> <path>/);
  });

  it('match by template or concrete path, and name calls the way the sandbox counts them', () => {
    const ev: PaletteOperationEvent = { target: 'palette', method: 'PUT', path: '/v1/cloudaccounts/aws/abc', template: '/v1/cloudaccounts/aws/{uid}', status: 204 };
    expect(callMatches(parseCallName('palette:PUT /v1/cloudaccounts/aws/{uid}'), ev)).toBe(true);
    expect(callMatches(parseCallName('palette:PUT /v1/cloudaccounts/aws/abc'), ev)).toBe(true);
    expect(callMatches(parseCallName('palette:POST /v1/cloudaccounts/aws/abc'), ev)).toBe(false);
    expect(callNameOf(ev)).toBe('palette:PUT /v1/cloudaccounts/aws/{uid}');
    const aws = { target: 'aws' as const, service: 'iam', operation: 'CreateRole', accountId: '111111111111', status: 200, requestId: 'r' };
    expect(callMatches(parseCallName('aws:iam:CreateRole'), aws)).toBe(true);
    expect(callMatches(parseCallName('aws:iam:CreatePolicy'), aws)).toBe(false);
    expect(callNameOf(aws)).toBe('aws:iam:CreateRole');
  });

  it('validate occurrence and state before a run', () => {
    const states = new Set(['EnsureBucket', 'EnsureStsRole']);
    expect(() => validateCrashRules([{ after: 'aws:s3:CreateBucket', state: 'EnsureBucket', occurrence: 2 }], states)).not.toThrow();
    expect(() => validateCrashRules([{ after: 'aws:s3:CreateBucket', occurrence: 0 }], states)).toThrow(/positive integer/);
    expect(() => validateCrashRules([{ after: 'aws:s3:CreateBucket', state: 'Nope' }], states)).toThrow(/'Nope' is not a Lambda Task state.*EnsureBucket, EnsureStsRole/);
    const functions = new Set(['ensure-ssh-key', 'ensure-bucket']);
    expect(() => validateCrashRules([{ after: 'aws:secretsmanager:CreateSecret', function: 'ensure-ssh-key' }], states, functions)).not.toThrow();
    expect(() => validateCrashRules([{ after: 'aws:secretsmanager:CreateSecret', function: 'ensure-nope' }], states, functions)).toThrow(/'ensure-nope' is not a function of the app.*ensure-bucket, ensure-ssh-key/);
  });
});
