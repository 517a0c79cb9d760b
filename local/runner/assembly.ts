/**
 * The synthesized CDK app (cloud assembly) for local runs, cached: bundling every Lambda with esbuild takes a
 * while, so an assembly is kept under node_modules/.cache/palette-onboarding/ keyed by a hash of everything
 * that shapes it (cdk/, lambdas/, cdk.json, package-lock.json, tsconfig.json, context overrides). Concurrent
 * processes (vitest forks) synthesize a given key once: the first takes a lock, the others wait for it.
 *
 * Old entries are pruned when a new one is synthesized: beyond the KEEP_ENTRIES most recently used, those no process
 * has loaded for PRUNE_UNUSED_MS. Every load marks its entry used (`.last-used`), so an assembly a test or a sandbox
 * loaded recently is never deleted under it (its bundles are imported lazily, at a function's first invocation)
 * because other processes synthesized several variants meanwhile.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SANDBOX_ORGANIZATION_ID } from '../aws/core/organization';
import type { CfnTemplate } from './template';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DEFAULT_CACHE_DIR = join(PROJECT_ROOT, 'node_modules', '.cache', 'palette-onboarding');

/** Bump when the cache layout or what the runner needs from an assembly changes. */
const CACHE_FORMAT = 1;
const KEEP_ENTRIES = 6;
/** An entry beyond KEEP_ENTRIES is pruned once no process has loaded it for this long. */
const PRUNE_UNUSED_MS = 60 * 60_000;
const LAST_USED = '.last-used';
const LOCK_STALE_MS = 10 * 60_000;

export interface AssemblySource {
  /** Shown in progress messages. */
  description: string;
  /** Files and directories (absolute) whose contents key the cache. */
  inputs: string[];
  /** Extra key material (e.g. context overrides). */
  salt: string;
  /** Writes a cloud assembly into `outdir` (which exists and is empty). */
  synthesize(outdir: string): Promise<void>;
}

export interface AssemblyProgress {
  kind: 'synth';
  phase: 'cache-hit' | 'synthesizing' | 'waiting' | 'synthesized';
  message: string;
  durationMs?: number;
}

export interface LoadAssemblyOptions {
  cacheDir?: string;
  /** Ignore (and replace) a cached assembly. */
  fresh?: boolean;
  onProgress?: (e: AssemblyProgress) => void;
}

export interface StackArtifact {
  stackName: string;
  templateFile: string;
  template: CfnTemplate;
}

export interface CloudAssembly {
  directory: string;
  key: string;
  fromCache: boolean;
  stacks: StackArtifact[];
  stack(name?: string): StackArtifact;
}

const SKIP_DIRS = new Set(['node_modules', 'cdk.out', '.git']);

function collectFiles(path: string, out: string[]): void {
  if (!existsSync(path)) return;
  const st = statSync(path);
  if (st.isFile()) {
    out.push(path);
    return;
  }
  if (!st.isDirectory()) return;
  for (const entry of readdirSync(path).sort()) {
    if (SKIP_DIRS.has(entry)) continue;
    collectFiles(join(path, entry), out);
  }
}

/** The cache key: sha256 over (relative path, content) of every input file, the salt and the format. */
export function assemblyKey(source: AssemblySource): string {
  const h = createHash('sha256');
  h.update(`format:${CACHE_FORMAT}\0salt:${source.salt}\0node:${process.versions.node.split('.')[0]}\0`);
  const files: string[] = [];
  for (const input of [...source.inputs].sort()) collectFiles(input, files);
  for (const file of files) {
    h.update(relative(PROJECT_ROOT, file));
    h.update('\0');
    h.update(readFileSync(file));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 20);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readManifestStacks(directory: string): StackArtifact[] {
  const manifest = JSON.parse(readFileSync(join(directory, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, { type?: string; properties?: { templateFile?: string; stackName?: string } }>;
  };
  const stacks: StackArtifact[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    const templateFile = join(directory, artifact.properties.templateFile);
    stacks.push({
      stackName: artifact.properties.stackName ?? id,
      templateFile,
      template: JSON.parse(readFileSync(templateFile, 'utf8')) as CfnTemplate,
    });
  }
  return stacks;
}

/** Opens an existing cloud assembly directory (e.g. `cdk.out` written by `npx cdk synth`). */
export function openAssembly(directory: string, meta: { key?: string; fromCache?: boolean } = {}): CloudAssembly {
  if (!existsSync(join(directory, 'manifest.json'))) {
    throw new Error(`${directory} is not a cloud assembly (no manifest.json)`);
  }
  const stacks = readManifestStacks(directory);
  return {
    directory,
    key: meta.key ?? '',
    fromCache: meta.fromCache ?? false,
    stacks,
    stack(name?: string): StackArtifact {
      const found = name === undefined ? (stacks.length === 1 ? stacks[0] : undefined) : stacks.find((s) => s.stackName === name);
      if (!found) {
        throw new Error(
          `${name === undefined ? 'expected exactly one stack' : `no stack '${name}'`} in ${directory}; stacks: ${stacks.map((s) => s.stackName).join(', ') || '(none)'}`,
        );
      }
      return found;
    },
  };
}

/** When an entry was last loaded (its `.last-used` mark; else when it was written). */
function lastUsed(entry: string): number {
  try {
    return statSync(join(entry, LAST_USED)).mtimeMs;
  } catch {
    return statSync(entry).mtimeMs;
  }
}

/** Marks an entry used now (best effort). */
function markUsed(entry: string): void {
  const mark = join(entry, LAST_USED);
  try {
    const now = new Date();
    if (existsSync(mark)) utimesSync(mark, now, now);
    else writeFileSync(mark, '');
  } catch {
    // A read-only cache still serves.
  }
}

function pruneOldEntries(cacheDir: string, keep: string, now = Date.now()): void {
  try {
    const entries = readdirSync(cacheDir)
      .filter((e) => e.startsWith('assembly-') && !e.endsWith('.lock') && e !== `assembly-${keep}`)
      .map((e) => ({ e, t: lastUsed(join(cacheDir, e)) }))
      .sort((a, b) => b.t - a.t);
    for (const { e, t } of entries.slice(KEEP_ENTRIES - 1)) {
      if (now - t >= PRUNE_UNUSED_MS) rmSync(join(cacheDir, e), { recursive: true, force: true });
    }
  } catch {
    // Pruning is best effort.
  }
}

/** Returns a cached assembly for `source`, synthesizing it (once across processes) when missing. */
export async function loadAssembly(source: AssemblySource, opts: LoadAssemblyOptions = {}): Promise<CloudAssembly> {
  const cacheDir = opts.cacheDir ?? DEFAULT_CACHE_DIR;
  mkdirSync(cacheDir, { recursive: true });
  const key = assemblyKey(source);
  const final = join(cacheDir, `assembly-${key}`);
  const lock = join(cacheDir, `assembly-${key}.lock`);
  const emit = (e: AssemblyProgress) => opts.onProgress?.(e);
  const complete = () => existsSync(join(final, 'manifest.json')) && existsSync(join(final, '.complete'));

  if (opts.fresh) rmSync(final, { recursive: true, force: true });
  let announcedWait = false;
  for (;;) {
    if (complete()) {
      emit({ kind: 'synth', phase: 'cache-hit', message: `using cached synth of ${source.description} (${key})` });
      markUsed(final);
      return openAssembly(final, { key, fromCache: true });
    }
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      // Another process holds the lock: wait for its result, or take over a stale lock.
      let age = 0;
      try {
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue;
      }
      if (age > LOCK_STALE_MS) {
        rmSync(lock, { force: true });
        continue;
      }
      if (!announcedWait) {
        emit({ kind: 'synth', phase: 'waiting', message: `waiting for another process synthesizing ${source.description}` });
        announcedWait = true;
      }
      await sleep(250);
    }
  }
  try {
    if (complete()) {
      markUsed(final);
      return openAssembly(final, { key, fromCache: true });
    }
    const started = Date.now();
    emit({ kind: 'synth', phase: 'synthesizing', message: `synthesizing ${source.description} (bundling with esbuild)...` });
    const staging = join(cacheDir, `staging-${key}-${process.pid}`);
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    try {
      await source.synthesize(staging);
      writeFileSync(join(staging, '.complete'), new Date().toISOString());
      rmSync(final, { recursive: true, force: true });
      renameSync(staging, final);
      markUsed(final);
    } catch (e) {
      rmSync(staging, { recursive: true, force: true });
      throw e;
    }
    const durationMs = Date.now() - started;
    emit({ kind: 'synth', phase: 'synthesized', message: `synthesized ${source.description} in ${(durationMs / 1000).toFixed(1)} s`, durationMs });
    pruneOldEntries(cacheDir, key);
    return openAssembly(final, { key, fromCache: false });
  } finally {
    rmSync(lock, { force: true });
  }
}

// ---- the onboarding app ---------------------------------------------------------------------------------

export interface OnboardingAssemblyOptions {
  /** CDK context overrides on top of cdk.json and LOCAL_DEPLOYMENT_CONTEXT (e.g. `{readinessBudgetSeconds: 30}`). */
  context?: Record<string, unknown>;
}

/**
 * What a local deployment sets on top of cdk.json (a caller's context wins): the sandbox is the home account's
 * organization (`allowedOrganizationId`, the account guard admits the sandbox's member accounts, as a real
 * deployment would name its organization), its endpoints are plain http on loopback (`allowInsecureEndpoints`:
 * the Palette emulator, MinIO stand-ins), it declares the example tenants (`tenantsDirectory`), and account vending
 * uses the example request template (`accountVendingRequestTemplate`).
 */
export const LOCAL_DEPLOYMENT_CONTEXT: Readonly<Record<string, unknown>> = {
  allowedOrganizationId: SANDBOX_ORGANIZATION_ID,
  allowInsecureEndpoints: true,
  // Declared tenants (README "Declared tenants"): the example folder, so the app every local run and e2e test uses
  // has the custom resource's functions (test/e2e/declared-tenants.test.ts drives them).
  tenantsDirectory: 'examples/tenants',
  // Account vending (README "Account vending"): the example request template, so the same app has the account
  // vending rule and the starter's template (test/e2e/account-vending.test.ts replays AWS's sample events).
  accountVendingRequestTemplate: 'examples/account-vending/request-template.json',
};

/** The project's CDK app (cdk/lib/app.ts createOnboardingApp), synthesized in-process with bundling. */
export function onboardingAssemblySource(opts: OnboardingAssemblyOptions = {}): AssemblySource {
  const context = { ...LOCAL_DEPLOYMENT_CONTEXT, ...(opts.context ?? {}) };
  return {
    description: 'the CDK app',
    // examples/: the declared tenants' folder (tenantsDirectory) and the account vending request template are read at synth.
    inputs: ['cdk', 'lambdas', 'examples', 'cdk.json', 'package-lock.json', 'tsconfig.json'].map((p) => join(PROJECT_ROOT, p)),
    salt: JSON.stringify(context, Object.keys(context).sort()),
    async synthesize(outdir: string): Promise<void> {
      // Loaded lazily: aws-cdk-lib takes seconds to import, and a cache hit never needs it.
      const { createOnboardingApp } = await import('../../cdk/lib/app');
      const { app } = createOnboardingApp({ outdir, context });
      app.synth();
    },
  };
}
