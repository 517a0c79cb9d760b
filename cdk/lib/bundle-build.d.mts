/** Types of cdk/lib/bundle-build.mjs (plain JavaScript, run by a bare `node`). */
import type { BuildOptions, Metafile } from 'esbuild';

/** An SDK client's schema module with its computed keys written as the strings they are (tree-shakable). */
export function literalSchemaKeys(source: string): string;

/** @smithy/core's HttpProtocol module with its event-stream support imported statically (no lazy-init wrappers). */
export function staticEventStreamImport(source: string): string;

/** The file of a lazy module's bundle beside a function's index.mjs: `lazy/<name>.mjs`. */
export function lazyModuleFile(path: string): string;

/** Runs each build with the bundles' plugins; their metafiles. */
export function buildAll(builds: readonly { options: BuildOptions; lazyModules: readonly string[] }[]): Promise<Metafile[]>;
