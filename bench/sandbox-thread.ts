/**
 * The local sandbox (AWS sandbox + Palette emulator) in a worker thread of its own, for the fleet benchmark (P2): AWS
 * and Palette are other machines for a real deployment, so the benchmark gives them the machine's other core instead of
 * sharing the runner's event loop with them (measured: they took about a third of a single-process fleet run's CPU).
 * The runner reaches it over HTTP exactly as it reaches `npm run sandbox` (SandboxEndpoints).
 *
 * The thread counts the Palette calls the emulator accepted per rate-limit prefix (first and last time) and its 429s,
 * and answers them on request.
 */
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { rateLimitFor } from '../local/palette/realism';
import type { SandboxEndpoints } from '../local/runner/sandbox';
import { startLocalSandbox } from '../local/sandbox';

export interface PrefixCalls {
  calls: number;
  /** epoch ms of the first and the last accepted call */
  first: number;
  last: number;
}

export interface PaletteCallStats {
  byPrefix: Record<string, PrefixCalls>;
  rateLimited: { total: number; byPrefix: Record<string, number> };
}

type Request = { kind: 'stats'; id: number } | { kind: 'stop'; id: number };
type Reply = { kind: 'ready'; endpoints: SandboxEndpoints } | { kind: 'stats'; id: number; stats: PaletteCallStats } | { kind: 'stopped'; id: number } | { kind: 'error'; message: string };

export interface SandboxThread {
  endpoints: SandboxEndpoints;
  paletteCalls(): Promise<PaletteCallStats>;
  stop(): Promise<void>;
}

/** Starts the sandbox in a worker thread; resolves once it listens. */
export async function startSandboxThread(): Promise<SandboxThread> {
  // The thread runs this TypeScript file through an entry that registers tsx's loader (a worker does not inherit it).
  const worker = new Worker(new URL('./sandbox-thread-entry.mjs', import.meta.url));
  let next = 0;
  const waiting = new Map<number, (r: Reply) => void>();
  const ready = new Promise<SandboxEndpoints>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (r: Reply) => {
      if (r.kind === 'ready') resolve(r.endpoints);
      else if (r.kind === 'error') reject(new Error(`sandbox thread: ${r.message}`));
      else waiting.get(r.id)?.(r);
    });
  });
  const ask = (kind: Request['kind']): Promise<Reply> =>
    new Promise((resolve) => {
      const id = ++next;
      waiting.set(id, resolve);
      worker.postMessage({ kind, id } satisfies Request);
    });
  const endpoints = await ready;
  return {
    endpoints,
    paletteCalls: async () => {
      const r = await ask('stats');
      if (r.kind !== 'stats') throw new Error(`sandbox thread answered ${r.kind}`);
      return r.stats;
    },
    stop: async () => {
      await ask('stop');
      await worker.terminate();
    },
  };
}

async function serve(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  try {
    // The emulator's rate limits are on by default (local/palette README "Rate limits").
    const sb = await startLocalSandbox({ aws: { port: 0 }, palette: { port: 0 }, env: {} });
    const byPrefix: Record<string, PrefixCalls> = {};
    sb.palette.onOperation((e) => {
      if (e.status === 429) return undefined;
      const { prefix } = rateLimitFor(e.path);
      const now = Date.now();
      const p = (byPrefix[prefix] ??= { calls: 0, first: now, last: now });
      p.calls++;
      p.last = now;
      return undefined;
    });
    const line = sb.readyLine();
    const endpoints: SandboxEndpoints = {
      aws: { endpoint: line.endpoint, region: line.region, accountId: line.accountId, accessKeyId: line.accessKeyId, secretAccessKey: line.secretAccessKey },
      palette: { endpoint: line.palette.endpoint, apiKey: line.palette.apiKey },
    };
    port.on('message', (m: Request) => {
      if (m.kind === 'stats') {
        const stats: PaletteCallStats = { byPrefix: structuredClone(byPrefix), rateLimited: sb.palette.faultStats().rateLimited };
        port.postMessage({ kind: 'stats', id: m.id, stats } satisfies Reply);
      } else {
        void sb.stop().then(() => port.postMessage({ kind: 'stopped', id: m.id } satisfies Reply));
      }
    });
    port.postMessage({ kind: 'ready', endpoints } satisfies Reply);
  } catch (e) {
    port.postMessage({ kind: 'error', message: e instanceof Error ? e.message : String(e) } satisfies Reply);
  }
}

if (!isMainThread) void serve();
