/**
 * Captures everything written while a local execution runs: process.stdout / process.stderr writes and the
 * global console, attributed to the Lambda invocation that wrote it (AsyncLocalStorage), so tests can scan
 * all logs for secret values. Output written by handlers is recorded and, unless `echo` is set, not shown;
 * output from outside any handler (the runner's own progress) is recorded and passed through.
 *
 * One AsyncLocalStorage serves every capture, so other local tooling (HTTP call attribution, crash injection)
 * can tell which invocation of which run is executing (`currentInvocation()`). An invocation that was killed
 * (crash injection) writes nothing any more: its later output is dropped, whichever run is being captured.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { format } from 'node:util';

export interface InvocationScope {
  functionLogicalId: string;
  state: string;
  requestId: string;
}

export interface CapturedLog {
  /** epoch ms */
  at: number;
  stream: 'stdout' | 'stderr';
  /** handler: written by a Lambda handler; platform: START/END/REPORT lines; runner: anything else during the run. */
  source: 'handler' | 'platform' | 'runner';
  functionLogicalId?: string;
  state?: string;
  requestId?: string;
  text: string;
}

/** The invocation an async context belongs to. */
export interface InvocationContext {
  readonly scope: InvocationScope;
  /** The capture (i.e. the run) the invocation belongs to. */
  readonly owner: OutputCapture;
  /** Set when the invocation was killed: whatever it still does is a zombie's. */
  dead: boolean;
}

const invocationContext = new AsyncLocalStorage<InvocationContext>();

/** The Lambda invocation the current async context belongs to (any run), if any. */
export function currentInvocation(): InvocationContext | undefined {
  return invocationContext.getStore();
}

type WriteFn = typeof process.stdout.write;

let silence: 'off' | 'requested' | 'on' = 'off';
/** Captures started and not stopped (they patch the same streams: the silencer goes under them, not over). */
let activeCaptures = 0;

/**
 * From now on, drops what killed invocations write even between runs (process.stdout / process.stderr writes and
 * the global console), for the rest of the process. Requested on the first crash injection (an active capture
 * already drops it; the silencer is installed once no capture is active); a no-op after that.
 */
export function silenceKilledInvocations(): void {
  if (silence === 'on') return;
  silence = 'requested';
  if (activeCaptures === 0) installSilencer();
}

function installSilencer(): void {
  silence = 'on';
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = process[name];
    const original = stream.write;
    stream.write = ((chunk: unknown, encodingOrCb?: unknown, cb?: unknown): boolean => {
      if (invocationContext.getStore()?.dead) {
        const done = typeof encodingOrCb === 'function' ? encodingOrCb : cb;
        if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
        return true;
      }
      return Reflect.apply(original, stream, [chunk, encodingOrCb, cb].filter((a) => a !== undefined)) as boolean;
    }) as WriteFn;
  }
  for (const method of CONSOLE_METHODS) {
    const original = console[method] as (...args: unknown[]) => void;
    console[method] = (...args: unknown[]) => {
      if (!invocationContext.getStore()?.dead) original.apply(console, args);
    };
  }
}

const CONSOLE_METHODS = ['log', 'info', 'debug', 'warn', 'error', 'trace', 'dir'] as const;
type ConsoleMethod = (typeof CONSOLE_METHODS)[number];
const STDERR_METHODS: ReadonlySet<ConsoleMethod> = new Set(['warn', 'error', 'trace']);

const chunkText = (chunk: unknown, encoding: unknown): string => {
  if (typeof chunk === 'string') return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk).toString(typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  return String(chunk);
};

export class OutputCapture {
  readonly logs: CapturedLog[] = [];
  private readonly contexts = new Map<string, InvocationContext>();
  private restore: (() => void) | undefined;

  constructor(private readonly opts: { echo?: boolean } = {}) {}

  /** Runs `fn` as one Lambda invocation: what it writes is attributed to `scope`. */
  runInScope<T>(scope: InvocationScope, fn: () => T): T {
    let ctx = this.contexts.get(scope.requestId);
    if (!ctx) {
      ctx = { scope, owner: this, dead: false };
      this.contexts.set(scope.requestId, ctx);
    }
    return invocationContext.run(ctx, fn);
  }

  /** Marks an invocation of this run as killed: from now on its output is dropped. */
  kill(requestId: string): InvocationContext | undefined {
    const ctx = this.contexts.get(requestId);
    if (ctx) ctx.dead = true;
    return ctx;
  }

  /** This run's invocation the current async context belongs to (undefined for other runs' invocations). */
  private current(): InvocationContext | undefined {
    const ctx = invocationContext.getStore();
    return ctx?.owner === this ? ctx : undefined;
  }

  /** Records a platform line (START / END / REPORT) of an invocation. */
  platform(scope: InvocationScope, text: string): void {
    this.logs.push({ at: Date.now(), stream: 'stdout', source: 'platform', ...scope, text: `${text}\n` });
  }

  private record(stream: 'stdout' | 'stderr', text: string): boolean {
    // A killed invocation (of this run or an earlier one) writes nothing.
    if (invocationContext.getStore()?.dead) return false;
    const scope = this.current()?.scope;
    if (scope) {
      this.logs.push({ at: Date.now(), stream, source: 'handler', ...scope, text });
      return this.opts.echo === true;
    }
    this.logs.push({ at: Date.now(), stream, source: 'runner', text });
    return true;
  }

  start(): void {
    if (this.restore) return;
    activeCaptures += 1;
    const originals: { stdout: WriteFn; stderr: WriteFn } = { stdout: process.stdout.write, stderr: process.stderr.write };
    const patch = (name: 'stdout' | 'stderr'): WriteFn => {
      const original = originals[name];
      const stream = process[name];
      const patched = (chunk: unknown, encodingOrCb?: unknown, cb?: unknown): boolean => {
        const pass = this.record(name, chunkText(chunk, encodingOrCb));
        if (pass) return Reflect.apply(original, stream, [chunk, encodingOrCb, cb].filter((a) => a !== undefined)) as boolean;
        const done = typeof encodingOrCb === 'function' ? encodingOrCb : cb;
        if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
        return true;
      };
      return patched as WriteFn;
    };
    process.stdout.write = patch('stdout');
    process.stderr.write = patch('stderr');

    // The global console may not write through process.stdout (vitest replaces it): intercept it directly
    // inside handler scopes.
    const consoleOriginals = new Map<ConsoleMethod, (...args: unknown[]) => void>();
    for (const method of CONSOLE_METHODS) {
      const original = console[method] as (...args: unknown[]) => void;
      consoleOriginals.set(method, original);
      console[method] = (...args: unknown[]) => {
        if (invocationContext.getStore()?.dead) return;
        const scope = this.current()?.scope;
        if (!scope) {
          original.apply(console, args);
          return;
        }
        const stream = STDERR_METHODS.has(method) ? 'stderr' : 'stdout';
        this.logs.push({ at: Date.now(), stream, source: 'handler', ...scope, text: `${format(...args)}\n` });
        if (this.opts.echo) original.apply(console, args);
      };
    }
    this.restore = () => {
      process.stdout.write = originals.stdout;
      process.stderr.write = originals.stderr;
      for (const [method, original] of consoleOriginals) console[method] = original;
    };
  }

  stop(): void {
    if (!this.restore) return;
    this.restore();
    this.restore = undefined;
    activeCaptures -= 1;
    if (activeCaptures === 0 && silence === 'requested') installSilencer();
  }
}
