// @ts-check
/**
 * The esbuild builds of the functions' bundles WITH their plugins (cdk/lib/handler-bundles.ts, `buildHandlerBundles`).
 * esbuild runs plugins in its asynchronous API only, and a synthesis needs the bundles synchronously (a construct asks
 * for its asset directory), so handler-bundles.ts runs this file in a child process: `node cdk/lib/bundle-build.mjs`,
 * a JSON array of builds on stdin (`{options, lazyModules}`: esbuild options without plugins, and the absolute paths
 * of the lazy modules), a JSON array of their metafiles on stdout; esbuild's errors on stderr and exit code 1.
 * Plain JavaScript, so that a bare `node` runs it whatever runs the parent (the CDK CLI's tsx, vitest, a bench).
 *
 * The plugins:
 * - `literalSdkSchemaKeys`: lets esbuild tree-shake the AWS SDK clients' operation schemas (`literalSchemaKeys`);
 * - `staticEventStreams`: spares @smithy/core's modules the lazy-init wrappers its one dynamic import costs them
 *   (`staticEventStreamImport`);
 * - `lazyModules`: a module of lambdas/ a function loads with `await import(...)` only on some invocations stays out
 *   of its bundle: the import becomes `import("./lazy/<name>.mjs")`, a bundle of its own beside the function's
 *   index.mjs (handler-bundles.ts LAZY_MODULES).
 */
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The schema modules of the AWS SDK clients (ES module builds): `@aws-sdk/client-<service>/dist-es/schemas/schemas_<n>.js`. */
const SDK_SCHEMAS = /[\\/]@aws-sdk[\\/]client-[a-z0-9-]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;

/**
 * An SDK client's schema module with its computed keys written as the strings they are. The module declares the
 * model of EVERY operation of the service (`export var GetBucketPolicy$ = [9, n0, _GBP, { [_h]: ["GET", ...] }, ...]`)
 * and every shape they refer to; its keys are module constants (`const _h = "http";`). esbuild drops an unused
 * declaration only if evaluating it can have no side effect, and a computed key `[_h]` could (a `toString` of an object,
 * as far as esbuild knows), so every bundle using a client carried its whole model: S3's is 65 KB minified, of which the
 * bucket functions use a tenth. `{ "http": ... }` for `{ [_h]: ... }` with `const _h = "http"` is the same object; then
 * esbuild keeps the operations a function sends and the shapes they reach, nothing else.
 *
 * Only `[_name]:` right after `{` or `,` (an object literal's computed key; `? [x] :` would be a ternary), and only for
 * a name the module declares as `const _name = "<string>";` (a const: never reassigned).
 * @param {string} source
 * @returns {string}
 */
export function literalSchemaKeys(source) {
  /** @type {Map<string, string>} */
  const strings = new Map();
  for (const m of source.matchAll(/^const (_\w+) = ("(?:[^"\\\n]|\\.)*");$/gm)) strings.set(/** @type {string} */ (m[1]), /** @type {string} */ (m[2]));
  return source.replace(/([{,]\s*)\[(_\w+)\]:/g, (key, before, name) => {
    const value = strings.get(name);
    return value === undefined ? key : `${before}${value}:`;
  });
}

/** @returns {import('esbuild').Plugin} */
function literalSdkSchemaKeys() {
  return {
    name: 'literal-sdk-schema-keys',
    setup(b) {
      b.onLoad({ filter: SDK_SCHEMAS }, async (args) => ({ contents: literalSchemaKeys(await readFile(args.path, 'utf8')), loader: 'js' }));
    },
  };
}

/** @smithy/core's HTTP protocol (ES module build), the module that loads the SDK's event-stream support. */
const SMITHY_HTTP_PROTOCOL = /[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]protocols[\\/]HttpProtocol\.js$/;
const EVENT_STREAMS_IMPORT = 'await import("@smithy/core/event-streams")';

/**
 * @smithy/core's HttpProtocol with its event-stream support imported statically. It loads it with
 * `await import("@smithy/core/event-streams")`, for the operations that stream events (none of the functions' do), and a
 * module esbuild bundles for a dynamic import must be evaluated on demand: esbuild wraps it, and every module it
 * imports, in a lazy-init closure (`__esm`). Those are most of @smithy/core's (about 180 modules, through the
 * submodules' index files), which every SDK client initialises as soon as the bundle loads anyway: wrapped, V8 parses
 * their code twice (once skimmed with the bundle, once when the closure runs) and runs 180 more calls; the cold start
 * of a function using the SDK took about 5% longer. Imported statically, the event-stream modules are evaluated when
 * the bundle loads (they only define classes and functions; the S3 client imports them statically already) and
 * nothing is wrapped. The same module namespace object either way. A source without that import is left as it is.
 * @param {string} source
 * @returns {string}
 */
export function staticEventStreamImport(source) {
  if (!source.includes(EVENT_STREAMS_IMPORT)) return source;
  return `import * as __smithyEventStreams from "@smithy/core/event-streams";\n${source.split(EVENT_STREAMS_IMPORT).join('__smithyEventStreams')}`;
}

/** @returns {import('esbuild').Plugin} */
function staticEventStreams() {
  return {
    name: 'static-event-streams',
    setup(b) {
      b.onLoad({ filter: SMITHY_HTTP_PROTOCOL }, async (args) => ({ contents: staticEventStreamImport(await readFile(args.path, 'utf8')), loader: 'js' }));
    },
  };
}

/** The file name of a lazy module's bundle beside a function's index.mjs: `lazy/<name>.mjs`. */
export const lazyModuleFile = (/** @type {string} */ path) => `lazy/${basename(path, extname(path))}.mjs`;

/**
 * @param {readonly string[]} lazy absolute paths of the lazy modules (`.ts` sources)
 * @returns {import('esbuild').Plugin}
 */
function lazyModules(lazy) {
  const names = lazy.map((p) => basename(p, extname(p)).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return {
    name: 'lazy-modules',
    setup(b) {
      if (names.length === 0) return;
      b.onResolve({ filter: new RegExp(`(^|/)(${names.join('|')})(\\.[cm]?[jt]s)?$`) }, (args) => {
        const stem = resolve(args.resolveDir, args.path).replace(/\.[cm]?[jt]s$/, '');
        const path = lazy.find((p) => p.replace(/\.ts$/, '') === stem);
        if (path === undefined) return undefined;
        if (args.kind !== 'dynamic-import') {
          return { errors: [{ text: `${args.path} is a lazy module (cdk/lib/handler-bundles.ts LAZY_MODULES): import it with \`await import('${args.path}')\`, not statically` }] };
        }
        return { path: `./${lazyModuleFile(path)}`, external: true };
      });
    },
  };
}

/**
 * @param {{ options: import('esbuild').BuildOptions, lazyModules: string[] }[]} builds
 * @returns {Promise<import('esbuild').Metafile[]>}
 */
export async function buildAll(builds) {
  /** @type {import('esbuild').Metafile[]} */
  const metafiles = [];
  for (const b of builds) {
    const result = await build({ ...b.options, metafile: true, plugins: [literalSdkSchemaKeys(), staticEventStreams(), lazyModules(b.lazyModules)] });
    metafiles.push(result.metafile);
  }
  return metafiles;
}

/** The child process: builds from stdin, metafiles to stdout. */
async function main() {
  let input = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) input += chunk;
  process.stdout.write(JSON.stringify(await buildAll(JSON.parse(input))));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    // esbuild's messages (file, line, text) are in the error's message (and printed already with logLevel 'error').
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
