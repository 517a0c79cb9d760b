/**
 * The Lambda bundles of every workflow handler, made by ONE esbuild build over all of `lambdas/handlers/*.ts` (the
 * first time a synthesis needs one, then reused by the process), instead of one esbuild run per function as
 * `NodejsFunction` does: esbuild parses the shared code (the AWS SDK clients, zod, the services) once, so the
 * ~50 bundles take about as long as a handful of separate ones (a full synth goes from about a minute of bundling
 * to about ten seconds on 2 cores).
 *
 * Each bundle is what NodejsFunction made before: an ESM `index.mjs` (handler export `handler`) with the AWS SDK
 * bundled and tree-shaken to the clients the handler uses, minified, an external source map `index.mjs.map` without
 * sources content, the createRequire banner for CommonJS dependencies, target node22, in its own directory
 * `<handler>/`, which becomes the function's asset (its hash is the hash of those files, so an unchanged handler keeps
 * its asset across code changes elsewhere). The options: `handlerBuildOptions`; the build runs them with two esbuild
 * plugins (cdk/lib/bundle-build.mjs: the AWS SDK clients' operation schemas tree-shaken, LAZY_MODULES), in a child
 * process, since esbuild takes plugins in its asynchronous API only.
 */
import { buildSync, type BuildOptions, type Metafile } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { lazyModuleFile } from './bundle-build.mjs';
import { absoluteFromRoot, PROJECT_ROOT } from './paths';

/**
 * esbuild banner for ESM bundles: CommonJS dependencies bundled into an ESM file still call `require`
 * (e.g. for Node built-ins); give them one.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __paletteCreateRequire } from 'node:module'; const require = __paletteCreateRequire(import.meta.url);";

/** esbuild target, matched by the functions' runtime (nodejs22.x). */
export const ESBUILD_TARGET = 'node22';

/** The module of each bundle (`index.mjs`): the functions' Handler is `index.handler`. */
export const BUNDLE_HANDLER = 'index.handler';

const HANDLERS_DIR = 'lambdas/handlers';

/**
 * Packages a function loads only on some invocations, always through `await import(...)`: kept OUT of the function's
 * `index.mjs` (whose size is what a cold start pays for: V8 compiles the whole module before running it, bench P3) and
 * shipped beside it as `node_modules/<package>/index.mjs`, a bundle of their own, in the function's directory of a
 * function that imports them. Node resolves the dynamic import there (Lambda's /var/task/node_modules), only when it
 * runs.
 * - the Powertools Tracer and the X-Ray SDK under it: only with config `traceSdkCalls` (lambdas/shared/tracer.ts);
 * - the SSM client: only when the Palette CA bundle is an SSM parameter (lambdas/shared/palette-ca.ts);
 * - the SQS client: only when the event starter moves a rejected message to the dead-letter queue
 *   (lambdas/services/starter/starter.ts).
 * A static import of one of them is a build error (it would load on every cold start and the split would buy nothing).
 * Not a candidate: a package some function imports both ways. esbuild then bundles the whole package for the dynamic
 * import's namespace (measured with the S3 client, which a MinIO probe could load lazily while the bucket code imports
 * it statically: revalidate-tenant's bundle grew by 70 KB and its cold start by a third).
 */
export const LAZY_PACKAGES = ['@aws-lambda-powertools/tracer', '@aws-sdk/client-ssm', '@aws-sdk/client-sqs'] as const;

/**
 * Modules of lambdas/ a function loads only on some invocations, always through `await import('./<module>')`: as
 * LAZY_PACKAGES, kept out of the function's `index.mjs` and built as a bundle of their own, shipped beside it as
 * `lazy/<module>.mjs` in the directory of a function that imports it (the import in index.mjs becomes
 * `import("./lazy/<module>.mjs")`: cdk/lib/bundle-build.mjs).
 * - the MinIO probe (lambdas/services/registrations/kinds/minio-probe.ts): the S3 client, which the registration
 *   functions use for nothing else (their bundles were a quarter S3), run only when a MinIO backup location is
 *   validated.
 * A lazy module has its own copy of whatever it imports: it imports nothing of lambdas/ whose identity or state the
 * function shares (an error class, a cache); it may import packages (its bundle carries them), not a lazy package or
 * module. A static import of one is a build error. Unlike a lazy package, it may use a package a function also imports
 * statically (revalidate-tenant's S3 client): the dynamic import's namespace is the module's few exports, and its
 * bundle is its own.
 */
export const LAZY_MODULES = ['lambdas/services/registrations/kinds/minio-probe.ts'] as const;

let built: { dir: string; handlers: ReadonlySet<string> } | undefined;
let placeholder: string | undefined;

/** Handler names (file names without `.ts`) in lambdas/handlers/. */
export function handlerNames(): string[] {
  return readdirSync(absoluteFromRoot(HANDLERS_DIR))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -'.ts'.length))
    .sort();
}

function removeOnExit(dir: string): void {
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
}

/**
 * The esbuild options of the functions' bundles: `lambdas/handlers/<handler>.ts` -> `<outdir>/<handler>/index.mjs`
 * (+ map) for each of `handlers`. The AWS SDK is bundled, not taken from the Lambda runtime: measured, a bundle that
 * imports only the clients its code reaches loads 2 to 3 times faster than the same handler importing the SDK from
 * node_modules (bench/cold-start.ts). ESM with `mainFields: module` first, so esbuild takes the SDK's and zod's ES
 * module builds and tree-shakes them: a function carries the SDK clients it uses only (the client factory is generic
 * over the client class, lambdas/shared/aws-clients.ts; test/cdk/handler-bundles.test.ts), and the SDK's default
 * credential provider is replaced by the two sources a function has (environment, container endpoint:
 * lambdas/shared/lambda-credentials.ts).
 */
export function handlerBuildOptions(handlers: readonly string[], outdir: string): BuildOptions {
  return {
    entryPoints: Object.fromEntries(handlers.map((h) => [`${h}/index`, absoluteFromRoot(`${HANDLERS_DIR}/${h}.ts`)])),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: ESBUILD_TARGET,
    mainFields: ['module', 'main'],
    // A function's credentials are in its environment: the SDK's default chain without the providers that cannot
    // apply in Lambda (lambdas/shared/lambda-credentials.ts).
    alias: { '@aws-sdk/credential-provider-node': absoluteFromRoot('lambdas/shared/lambda-credentials.ts') },
    banner: { js: ESM_REQUIRE_BANNER },
    minify: true,
    treeShaking: true,
    sourcemap: true,
    sourcesContent: false,
    tsconfig: absoluteFromRoot('tsconfig.json'),
    logLevel: 'error',
    external: [...LAZY_PACKAGES],
  };
}

/**
 * Which lazy packages (`@aws-sdk/client-ssm`) and lazy modules (`lambdas/...`) each handler's bundle imports (from
 * esbuild's metafile, whose paths are relative to the project root); a static import of a lazy package throws.
 */
function lazyImportsOf(metafile: Metafile, outdir: string, handlers: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const modules = new Map<string, string>(LAZY_MODULES.map((m) => [`./${lazyModuleFile(m)}`, m]));
  for (const [file, output] of Object.entries(metafile.outputs)) {
    if (!file.endsWith('/index.mjs')) continue;
    const handler = relative(outdir, dirname(absoluteFromRoot(file)));
    if (!handlers.includes(handler)) continue;
    const lazy: string[] = [];
    for (const imp of output.imports) {
      const name = modules.get(imp.path) ?? ((LAZY_PACKAGES as readonly string[]).includes(imp.path) ? imp.path : undefined);
      if (name === undefined) continue;
      if (imp.kind !== 'dynamic-import') {
        throw new Error(`${HANDLERS_DIR}/${handler}.ts reaches ${name} through a static import: import it with \`await import(...)\` (cdk/lib/handler-bundles.ts LAZY_PACKAGES, LAZY_MODULES)`);
      }
      if (!lazy.includes(name)) lazy.push(name);
    }
    out.set(handler, lazy);
  }
  return out;
}

/** One build of cdk/lib/bundle-build.mjs: esbuild options (no plugins: JSON) and the lazy modules (absolute paths). */
interface PluginBuild {
  options: BuildOptions;
  lazyModules: string[];
}

/**
 * Runs `builds` with the bundles' esbuild plugins (cdk/lib/bundle-build.mjs) in a child process, synchronously; their
 * metafiles (paths relative to the project root). Throws esbuild's errors (file, line, message).
 */
function buildWithPlugins(builds: readonly PluginBuild[]): Metafile[] {
  try {
    const stdout = execFileSync(process.execPath, [absoluteFromRoot('cdk/lib/bundle-build.mjs')], {
      cwd: PROJECT_ROOT,
      input: JSON.stringify(builds),
      // A bare node: the script is plain JavaScript, and a loader the parent runs with (tsx, vitest's) would only slow it.
      env: { ...process.env, NODE_OPTIONS: '' },
      maxBuffer: 1 << 30,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return JSON.parse(stdout.toString()) as Metafile[];
  } catch (e) {
    const stderr = String((e as { stderr?: Buffer | string }).stderr ?? '').trim();
    throw new Error(`building the functions' bundles failed${stderr ? `:\n${stderr}` : `: ${e instanceof Error ? e.message : String(e)}`}`);
  }
}

/**
 * Builds the bundles of `handlers` into `<outdir>/<handler>/` (index.mjs + map), each with the lazy packages it imports
 * under `node_modules/` (LAZY_PACKAGES: each built once, as an ESM bundle of its own, and copied where needed) and the
 * lazy modules it imports under `lazy/` (LAZY_MODULES: likewise).
 * Synchronous: a synthesis calls it from a construct. Throws esbuild's errors (file, line, message).
 */
export function buildHandlerBundles(handlers: readonly string[], outdir: string): void {
  const lazyDir = join(outdir, '.lazy');
  const lazyModules = LAZY_MODULES.map((m) => absoluteFromRoot(m));
  // The functions, and each lazy module (a single module: building it whether or not a function imports it costs little).
  const [metafile, ...moduleMetafiles] = buildWithPlugins([
    { options: handlerBuildOptions(handlers, outdir), lazyModules },
    ...LAZY_MODULES.map((m) => ({
      options: { ...handlerBuildOptions([], lazyDir), entryPoints: { [lazyModuleFile(m).slice(0, -'.mjs'.length)]: absoluteFromRoot(m) }, sourcemap: false },
      lazyModules: [],
    })),
  ]);
  moduleMetafiles.forEach((m, i) => {
    const imports = Object.values(m.outputs).flatMap((o) => o.imports.map((imp) => imp.path));
    const lazy = imports.filter((p) => (LAZY_PACKAGES as readonly string[]).includes(p) || p.startsWith('./lazy/'));
    if (lazy.length > 0) throw new Error(`the lazy module ${LAZY_MODULES[i]} imports ${lazy.join(', ')}: a lazy module imports no lazy package or module`);
  });
  const lazyImports = lazyImportsOf(metafile as Metafile, outdir, handlers);
  const needed = [...new Set([...lazyImports.values()].flat())].filter((name) => (LAZY_PACKAGES as readonly string[]).includes(name));
  for (const pkg of needed) {
    buildSync({
      ...handlerBuildOptions([], lazyDir),
      entryPoints: undefined,
      external: [],
      stdin: { contents: `export * from ${JSON.stringify(pkg)};`, resolveDir: absoluteFromRoot('.'), loader: 'js', sourcefile: `${pkg}.mjs` },
      outfile: join(lazyDir, pkg, 'index.mjs'),
      outdir: undefined,
      sourcemap: false,
    });
  }
  for (const [handler, imports] of lazyImports) {
    for (const name of imports) {
      if ((LAZY_MODULES as readonly string[]).includes(name)) {
        mkdirSync(join(outdir, handler, 'lazy'), { recursive: true });
        copyFileSync(join(lazyDir, lazyModuleFile(name)), join(outdir, handler, lazyModuleFile(name)));
        continue;
      }
      const dir = join(outdir, handler, 'node_modules', name);
      mkdirSync(dir, { recursive: true });
      copyFileSync(join(lazyDir, name, 'index.mjs'), join(dir, 'index.mjs'));
      writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name, type: 'module', main: 'index.mjs', private: true })}\n`);
    }
  }
  rmSync(lazyDir, { recursive: true, force: true });
}

/** Builds every handler's bundle into a fresh temporary directory. Throws esbuild's errors (file, line, message). */
function buildAll(): { dir: string; handlers: ReadonlySet<string> } {
  const names = handlerNames();
  const dir = mkdtempSync(join(tmpdir(), 'palette-onboarding-bundles-'));
  removeOnExit(dir);
  buildHandlerBundles(names, dir);
  return { dir, handlers: new Set(names) };
}

/**
 * The directory holding `index.mjs` (+ map) of `handler` (lambdas/handlers/<handler>.ts). With `bundle` false (the
 * stack is excluded from bundling, e.g. `cdk synth --exclusively` of another stack, or tests that skip it) a
 * placeholder directory, as NodejsFunction uses a dummy asset then.
 */
export function handlerBundleDir(handler: string, bundle: boolean): string {
  if (!bundle) {
    if (!placeholder) {
      placeholder = mkdtempSync(join(tmpdir(), 'palette-onboarding-bundle-placeholder-'));
      removeOnExit(placeholder);
      mkdirSync(join(placeholder, 'skipped'));
      writeFileSync(join(placeholder, 'skipped', 'index.mjs'), '// bundling skipped for this synthesis\n');
    }
    return join(placeholder, 'skipped');
  }
  // A handler file added after the build (same process): build again, all of them.
  if (!built || !built.handlers.has(handler)) built = buildAll();
  if (!built.handlers.has(handler)) throw new Error(`no handler source ${HANDLERS_DIR}/${handler}.ts to bundle`);
  return join(built.dir, handler);
}
