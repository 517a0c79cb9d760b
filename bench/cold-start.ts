/**
 * P3 (issue 14): cold start of the functions' bundles, as the time to import each bundle in a fresh Node.js process
 * (parse, compile and run its top level: what a Lambda cold start pays before the first invocation), against a naive
 * bundle of the same handler.
 *
 *   bundle: the function's bundle exactly as the app builds it (cdk/lib/handler-bundles.ts: ESM, minified,
 *           tree-shaken, the AWS SDK clients the handler reaches and no other; the packages and modules it loads
 *           only on some invocations beside it, not in it: LAZY_PACKAGES, LAZY_MODULES)
 *   naive:  the same handler bundled the naive way: CommonJS, not minified, with every AWS SDK client the functions
 *           use (each SDK package imported under lambdas/), as every function had when one module made all clients
 *   ratio:  median import time of the bundle / median import time of the naive bundle, each the median of `runs`
 *           fresh processes (default 7), run alternately so that machine load hits both alike
 *
 * Target: ratio <= 0.35 for every function (`ratio` of the result is the worst one). With `externalSdk` a third
 * column: the bundle with the SDK left out (`@aws-sdk/*`, `@smithy/*`) and imported from node_modules, as a function
 * using the Lambda runtime's own SDK would (assumption: the runtime's SDK loads like the same SDK version from a local
 * node_modules; Lambda itself cannot be run here). That measurement chose the bundled SDK.
 *
 * The children get a small environment of their own (no NODE_OPTIONS, so no tsx loader; tracing off, as in the local
 * runner): only module loading is measured, not the first invocation.
 *
 * Run: npx tsx bench/cold-start.ts [--runs N] [--external] [handler ...]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type Plugin } from 'esbuild';
import { buildHandlerBundles, ESBUILD_TARGET, handlerBuildOptions, handlerNames } from '../cdk/lib/handler-bundles';
import { absoluteFromRoot } from '../cdk/lib/paths';

const run = promisify(execFile);

export const TARGET = 0.35;
export const DEFAULT_RUNS = 7;

export interface ColdStartOptions {
  /** Fresh Node.js processes per bundle; the median is taken (default 7). */
  runs?: number;
  /** Handlers to measure (lambdas/handlers/<name>.ts); default every one. */
  functions?: readonly string[];
  /** Also measure each bundle with the SDK external (imported from node_modules, as from the Lambda runtime). */
  externalSdk?: boolean;
  /** Progress, one line per function. */
  log?: (line: string) => void;
}

export interface ColdStartRow {
  function: string;
  bundleBytes: number;
  naiveBytes: number;
  /** Median import time of the function's bundle (ms). */
  importMs: number;
  /** Median import time of the naive bundle (ms). */
  naiveImportMs: number;
  /** importMs / naiveImportMs. */
  ratio: number;
  /** With `externalSdk`: median import time of the bundle with the SDK from node_modules (ms). */
  externalImportMs?: number;
}

export interface ColdStartResult {
  rows: ColdStartRow[];
  /** The worst (largest) ratio. */
  ratio: number;
  target: 0.35;
  met: boolean;
}

/**
 * Every AWS SDK package the functions' code imports (lambdas/, read from the sources): what the naive bundle imports,
 * as every function did when one module made every client.
 */
export function functionSdkPackages(): string[] {
  const found = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/from '(@aws-sdk\/[a-z0-9-]+)'/g)) found.add(m[1] as string);
      }
    }
  };
  walk(absoluteFromRoot('lambdas'));
  return [...found].sort();
}

/** Entry `naive:<handler>`: every SDK package, then the handler's exports. */
function naiveEntries(packages: readonly string[]): Plugin {
  return {
    name: 'naive-entries',
    setup(b) {
      b.onResolve({ filter: /^naive:/ }, (a) => ({ path: a.path.slice('naive:'.length), namespace: 'naive' }));
      b.onLoad({ filter: /.*/, namespace: 'naive' }, (a) => ({
        // Re-exported, so each package is bundled whole (a bare `import 'pkg'` of a side-effect-free package is dropped).
        contents: [
          ...packages.map((p, i) => `export * as sdk${i} from ${JSON.stringify(p)};`),
          `export * from ${JSON.stringify(absoluteFromRoot(`lambdas/handlers/${a.path}.ts`))};`,
        ].join('\n'),
        resolveDir: absoluteFromRoot('.'),
        loader: 'ts',
      }));
    },
  };
}

export async function buildNaive(handlers: readonly string[], outdir: string): Promise<void> {
  await build({
    entryPoints: Object.fromEntries(handlers.map((h) => [`${h}/index`, `naive:${h}`])),
    outdir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: ESBUILD_TARGET,
    minify: false,
    tsconfig: absoluteFromRoot('tsconfig.json'),
    logLevel: 'error',
    plugins: [naiveEntries(functionSdkPackages())],
  });
}

/** Imports `file` in a fresh process; the time the import took (ms). */
const IMPORT_SCRIPT = [
  "const { pathToFileURL } = await import('node:url');",
  'const t0 = performance.now();',
  'await import(pathToFileURL(process.argv[1]).href);',
  'process.stdout.write(String(performance.now() - t0));',
].join('\n');

const CHILD_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  AWS_REGION: 'us-east-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_TRACE_ENABLED: 'false',
};

async function importMs(file: string): Promise<number> {
  try {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', IMPORT_SCRIPT, file], { env: CHILD_ENV, maxBuffer: 1 << 20 });
    const ms = Number(stdout.trim());
    if (!Number.isFinite(ms)) throw new Error(`no time printed: ${stdout.slice(0, 200)}`);
    return ms;
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr ?? '';
    throw new Error(`importing ${file} failed: ${e instanceof Error ? e.message : String(e)}\n${stderr.slice(0, 2000)}`);
  }
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Median import times of `files`, measured alternately (run r starts with file r mod n), after one warm-up each. */
async function medians(files: readonly string[], runs: number): Promise<number[]> {
  for (const f of files) await importMs(f); // warm-up: page cache, and an import that fails stops here
  const times: number[][] = files.map(() => []);
  for (let r = 0; r < runs; r++) {
    for (let k = 0; k < files.length; k++) {
      const i = (r + k) % files.length;
      times[i]?.push(await importMs(files[i] as string));
    }
  }
  return times.map(median);
}

export async function coldStartBench(opts: ColdStartOptions = {}): Promise<ColdStartResult> {
  const runs = opts.runs ?? DEFAULT_RUNS;
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`runs must be a positive integer, got ${runs}`);
  const all = handlerNames();
  const functions = opts.functions?.length ? [...opts.functions] : all;
  const unknown = functions.filter((f) => !all.includes(f));
  if (unknown.length) throw new Error(`no handler ${unknown.join(', ')} in lambdas/handlers (known: ${all.join(', ')})`);

  const dir = mkdtempSync(join(tmpdir(), 'palette-onboarding-cold-start-'));
  try {
    const bundles = join(dir, 'bundles');
    const naive = join(dir, 'naive');
    const external = join(dir, 'external');
    buildHandlerBundles(functions, bundles);
    await buildNaive(functions, naive);
    if (opts.externalSdk) {
      // Resolved from <dir>/node_modules -> the project's, as the runtime's SDK is from /var/runtime/node_modules.
      symlinkSync(absoluteFromRoot('node_modules'), join(dir, 'node_modules'), 'dir');
      await build({ ...handlerBuildOptions(functions, external), external: ['@aws-sdk/*', '@smithy/*'] });
    }

    const rows: ColdStartRow[] = [];
    for (const fn of functions) {
      const bundleFile = join(bundles, fn, 'index.mjs');
      const naiveFile = join(naive, fn, 'index.cjs');
      const files = opts.externalSdk ? [bundleFile, naiveFile, join(external, fn, 'index.mjs')] : [bundleFile, naiveFile];
      const [bundleMs, naiveMs, externalMs] = await medians(files, runs);
      const row: ColdStartRow = {
        function: fn,
        bundleBytes: statSync(bundleFile).size,
        naiveBytes: statSync(naiveFile).size,
        importMs: bundleMs as number,
        naiveImportMs: naiveMs as number,
        ratio: (bundleMs as number) / (naiveMs as number),
        ...(externalMs !== undefined ? { externalImportMs: externalMs } : {}),
      };
      rows.push(row);
      opts.log?.(formatRow(row));
    }
    const worst = Math.max(...rows.map((r) => r.ratio));
    return { rows, ratio: worst, target: TARGET, met: rows.every((r) => r.ratio <= TARGET) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
const ms = (x: number) => `${x.toFixed(0)} ms`;

function formatRow(r: ColdStartRow): string {
  const external = r.externalImportMs !== undefined ? ` | ${ms(r.externalImportMs)}` : '';
  return `| ${r.function} | ${kb(r.bundleBytes)} | ${kb(r.naiveBytes)} | ${ms(r.importMs)} | ${ms(r.naiveImportMs)} | ${r.ratio.toFixed(2)}${external} |`;
}

export function formatColdStartTable(result: ColdStartResult): string {
  const external = result.rows.some((r) => r.externalImportMs !== undefined);
  const head = `| function | bundle | naive | import | naive import | ratio${external ? ' | SDK external' : ''} |`;
  const rule = `|---|---:|---:|---:|---:|---:${external ? '|---:' : ''}|`;
  const verdict = `worst ratio ${result.ratio.toFixed(2)} (target <= ${result.target}): ${result.met ? 'met' : 'NOT met'}`;
  return [head, rule, ...result.rows.map(formatRow), '', verdict].join('\n');
}

function parseArgs(argv: readonly string[]): ColdStartOptions {
  const functions: string[] = [];
  let runs = DEFAULT_RUNS;
  let externalSdk = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--runs') runs = Number(argv[++i]);
    else if (a === '--external') externalSdk = true;
    else if (a.startsWith('-')) throw new Error(`unknown option ${a} (usage: tsx bench/cold-start.ts [--runs N] [--external] [handler ...])`);
    else functions.push(a);
  }
  return { runs, functions, externalSdk };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const opts = parseArgs(process.argv.slice(2));
  process.stdout.write(`cold start: import of each function's bundle vs a naive bundle (median of ${opts.runs} fresh processes)\n`);
  coldStartBench({ ...opts, log: (line) => process.stdout.write(`${line}\n`) })
    .then((result) => process.stdout.write(`\n${formatColdStartTable(result)}\n`))
    .catch((e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    });
}
