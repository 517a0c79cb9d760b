/**
 * Captures everything written while a local execution runs: process.stdout / process.stderr writes and the
 * global console, attributed to the Lambda invocation that wrote it (AsyncLocalStorage), so tests can scan
 * all logs for secret values. Output written by handlers is recorded and, unless `echo` is set, not shown;
 * output from outside any handler (the runner's own progress) is recorded and passed through.
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

type WriteFn = typeof process.stdout.write;
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
  private readonly als = new AsyncLocalStorage<InvocationScope>();
  private restore: (() => void) | undefined;

  constructor(private readonly opts: { echo?: boolean } = {}) {}

  /** Runs `fn` as one Lambda invocation: what it writes is attributed to `scope`. */
  runInScope<T>(scope: InvocationScope, fn: () => T): T {
    return this.als.run(scope, fn);
  }

  /** Records a platform line (START / END / REPORT) of an invocation. */
  platform(scope: InvocationScope, text: string): void {
    this.logs.push({ at: Date.now(), stream: 'stdout', source: 'platform', ...scope, text: `${text}\n` });
  }

  private record(stream: 'stdout' | 'stderr', text: string): boolean {
    const scope = this.als.getStore();
    if (scope) {
      this.logs.push({ at: Date.now(), stream, source: 'handler', ...scope, text });
      return this.opts.echo === true;
    }
    this.logs.push({ at: Date.now(), stream, source: 'runner', text });
    return true;
  }

  start(): void {
    if (this.restore) return;
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
        const scope = this.als.getStore();
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
    this.restore?.();
    this.restore = undefined;
  }
}
