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
 * its asset across code changes elsewhere). The options: `handlerBuildOptions`.
 */
import { buildSync, type BuildOptions, type Metafile } from 'esbuild';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { absoluteFromRoot } from './paths';

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

/** Which lazy packages each handler's bundle imports (from esbuild's metafile); a static import of one throws. */
function lazyImportsOf(metafile: Metafile, outdir: string, handlers: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [file, output] of Object.entries(metafile.outputs)) {
    if (!file.endsWith('/index.mjs')) continue;
    const handler = relative(outdir, dirname(absoluteFromRoot(file)));
    if (!handlers.includes(handler)) continue;
    const lazy: string[] = [];
    for (const imp of output.imports) {
      if (!(LAZY_PACKAGES as readonly string[]).includes(imp.path)) continue;
      if (imp.kind !== 'dynamic-import') {
        throw new Error(`${HANDLERS_DIR}/${handler}.ts reaches ${imp.path} through a static import: import it with \`await import('${imp.path}')\` (cdk/lib/handler-bundles.ts LAZY_PACKAGES)`);
      }
      if (!lazy.includes(imp.path)) lazy.push(imp.path);
    }
    out.set(handler, lazy);
  }
  return out;
}

/**
 * Builds the bundles of `handlers` into `<outdir>/<handler>/` (index.mjs + map), each with the lazy packages it imports
 * under `node_modules/` (LAZY_PACKAGES: each built once, as an ESM bundle of its own, and copied where needed).
 * Synchronous: a synthesis calls it from a construct. Throws esbuild's errors (file, line, message).
 */
export function buildHandlerBundles(handlers: readonly string[], outdir: string): void {
  const result = buildSync({ ...handlerBuildOptions(handlers, outdir), metafile: true });
  const lazyImports = lazyImportsOf(result.metafile, outdir, handlers);
  const needed = [...new Set([...lazyImports.values()].flat())];
  if (needed.length === 0) return;
  const lazyDir = join(outdir, '.lazy');
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
  for (const [handler, packages] of lazyImports) {
    for (const pkg of packages) {
      const dir = join(outdir, handler, 'node_modules', pkg);
      mkdirSync(dir, { recursive: true });
      copyFileSync(join(lazyDir, pkg, 'index.mjs'), join(dir, 'index.mjs'));
      writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: pkg, type: 'module', main: 'index.mjs', private: true })}\n`);
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
