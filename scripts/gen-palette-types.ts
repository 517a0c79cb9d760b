/**
 * Generates lambdas/services/palette/generated/palette-api.ts from the vendored official Palette API subset and its
 * supplement.
 *
 *   npm run gen:palette            write the file
 *   npm run gen:palette -- --check exit 1 when the committed file differs from a fresh generation
 *
 * Pipeline: Swagger 2.0 (spec/openapi-subset.json + spec/supplement.json, merged by local/palette/spec.ts
 * mergeSupplement) -> OpenAPI 3.0 (swagger2openapi) -> TypeScript (openapi-typescript 7).
 * Only official `paths` and `definitions` are used: the supplement holds official Palette operations outside the
 * subset we were given (spec/REFERENCE.md §2.11), and every root-level vendor key (`x-inferred-paths`,
 * `x-subset-provenance`) is dropped before conversion. Operations seen only in the docs (syslogin, POST on the system
 * STS account) are typed by hand in lambdas/services/palette/inferred-api.ts.
 *
 * Deterministic: no timestamps, keys are alphabetized, and the header records only the input's SHA-256 and the tool
 * versions, so the same input and toolchain always give the same bytes (test/unit/palette-client-generated.test.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import swagger2openapi from 'swagger2openapi';
import { mergeSupplement, SPEC_PATH, SUPPLEMENT_PATH } from '../local/palette/spec';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export { SPEC_PATH, SUPPLEMENT_PATH };
export const OUTPUT_PATH = join(repoRoot, 'lambdas/services/palette/generated/palette-api.ts');

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  const manifest: unknown = require(`${name}/package.json`);
  if (typeof manifest === 'object' && manifest !== null && 'version' in manifest && typeof manifest.version === 'string') {
    return manifest.version;
  }
  throw new Error(`cannot read the version of ${name}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keeps only the official part of the extract: drops every root-level `x-` key (inferred paths, provenance). */
export function officialSwagger(source: unknown): Record<string, unknown> {
  if (!isRecord(source) || source.swagger !== '2.0') throw new Error('expected a Swagger 2.0 document');
  return Object.fromEntries(Object.entries(source).filter(([key]) => !key.startsWith('x-')));
}

function isOpenApi3(value: unknown): value is OpenAPI3 {
  return isRecord(value) && typeof value.openapi === 'string' && value.openapi.startsWith('3.');
}

/** Returns the full text of the generated module for the given subset and supplement texts. */
export async function generatePaletteTypes(
  specText: string = readFileSync(SPEC_PATH, 'utf8'),
  supplementText: string = readFileSync(SUPPLEMENT_PATH, 'utf8'),
): Promise<string> {
  const swagger = officialSwagger(mergeSupplement(JSON.parse(specText), JSON.parse(supplementText)));
  const converted = await swagger2openapi.convertObj(swagger, { patch: true, warnOnly: false, resolve: false });
  if (!isOpenApi3(converted.openapi)) throw new Error('swagger2openapi did not return an OpenAPI 3 document');
  const ast = await openapiTS(converted.openapi, {
    alphabetize: true,
    // Palette omits fields that have defaults; a default must not make a property required (it would also force
    // callers to send e.g. s3ForcePathStyle in request bodies, since schemas are shared by requests and responses).
    defaultNonNullable: false,
    silent: true,
  });
  const digest = (text: string) => createHash('sha256').update(text).digest('hex');
  const header = [
    '/**',
    ' * GENERATED FILE - DO NOT EDIT. Regenerate with `npm run gen:palette`.',
    ` * Source: ${relative(repoRoot, SPEC_PATH)} (sha256 ${digest(specText)})`,
    ` *   + ${relative(repoRoot, SUPPLEMENT_PATH)} (sha256 ${digest(supplementText)}), official paths and definitions only.`,
    ` * Tools: swagger2openapi ${packageVersion('swagger2openapi')}, openapi-typescript ${packageVersion('openapi-typescript')}.`,
    ' */',
    '',
  ].join('\n');
  return header + astToString(ast);
}

async function main(argv: readonly string[]): Promise<number> {
  const generated = await generatePaletteTypes();
  const target = relative(repoRoot, OUTPUT_PATH);
  if (argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(OUTPUT_PATH, 'utf8');
    } catch {
      current = '';
    }
    if (current !== generated) {
      process.stderr.write(`${target} is out of date; run npm run gen:palette\n`);
      return 1;
    }
    process.stdout.write(`${target} is up to date\n`);
    return 0;
  }
  writeFileSync(OUTPUT_PATH, generated);
  process.stdout.write(`wrote ${target}\n`);
  return 0;
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(invokedPath).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
