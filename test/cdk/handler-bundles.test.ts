/**
 * The functions' bundles carry the AWS SDK clients their handler uses and no other (cdk/lib/handler-bundles.ts, the
 * generic client factory lambdas/shared/aws-clients.ts), and none of zod's locales: built with the app's own esbuild
 * options (a few handlers, in memory), then read from esbuild's metafile: which package sources went into each bundle.
 */
import { buildSync, type Metafile } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionSdkPackages } from '../../bench/cold-start';
import { buildAll, literalSchemaKeys, staticEventStreamImport } from '../../cdk/lib/bundle-build.mjs';
import { buildHandlerBundles, handlerBuildOptions } from '../../cdk/lib/handler-bundles';
import { absoluteFromRoot } from '../../cdk/lib/paths';

/** IAM only (+ STS for the tenant session, DynamoDB for the registry); registry only; S3 only (+ STS, DynamoDB). */
const HANDLERS = ['ensure-backup-policy', 'acquire-tenant', 'ensure-bucket'] as const;

/** The SDK packages (`client-iam`, `lib-dynamodb`, ...) whose sources are in a bundle. */
function sdkPackagesIn(inputs: readonly string[]): string[] {
  const names = inputs.map((i) => /node_modules\/@aws-sdk\/((client-[a-z0-9-]+)|lib-dynamodb)\//.exec(i)?.[1]).filter((n): n is string => n !== undefined);
  return [...new Set(names)].sort();
}

function inputsOf(metafile: Metafile, outputSuffix: string): string[] {
  const entry = Object.entries(metafile.outputs).find(([path]) => path.endsWith(outputSuffix));
  if (!entry) throw new Error(`no output ${outputSuffix} in ${Object.keys(metafile.outputs).join(', ')}`);
  return Object.keys(entry[1].inputs);
}

let bundles: Record<(typeof HANDLERS)[number], string[]>;
beforeAll(() => {
  const out = buildSync({ ...handlerBuildOptions(HANDLERS, absoluteFromRoot('cdk.out/handler-bundles-test')), sourcemap: false, write: false, metafile: true });
  bundles = Object.fromEntries(HANDLERS.map((h) => [h, inputsOf(out.metafile, `${h}/index.mjs`)])) as typeof bundles;
}, 60_000);

describe('function bundles', () => {
  it('an IAM-only handler carries the IAM client and not S3, Secrets Manager, SSM, Organizations or Step Functions', () => {
    const packages = sdkPackagesIn(bundles['ensure-backup-policy']);
    expect(packages).toContain('client-iam');
    for (const absent of ['client-s3', 'client-secrets-manager', 'client-ssm', 'client-organizations', 'client-sfn']) expect(packages).not.toContain(absent);
  });

  it('a registry-only handler carries DynamoDB and no other client', () => {
    expect(sdkPackagesIn(bundles['acquire-tenant'])).toEqual(['client-dynamodb', 'lib-dynamodb']);
  });

  it('an S3-only handler carries S3 and not IAM', () => {
    const packages = sdkPackagesIn(bundles['ensure-bucket']);
    expect(packages).toContain('client-s3');
    expect(packages).not.toContain('client-iam');
  });

  it('the credential chain is the two sources a function has: no SSO, ini-file, process or web-identity provider', () => {
    for (const h of HANDLERS) {
      const providers = [...new Set(bundles[h].map((i) => /node_modules\/@aws-sdk\/(credential-provider-[a-z-]+)\//.exec(i)?.[1]).filter((p) => p !== undefined))].sort();
      expect(providers, h).toEqual(['credential-provider-env', 'credential-provider-http']);
      expect(bundles[h].some((i) => i.endsWith('lambdas/shared/lambda-credentials.ts')), h).toBe(true);
    }
  });

  it('the packages and modules loaded only on some invocations (tracer, SSM, MinIO probe) ship beside the bundle, not in it, and resolve from it', () => {
    // Prepare: check-tenant-in-use reaches all three (SDK call tracing; a Palette CA bundle in SSM; the registration
    // kinds, MinIO's among them, whose probe is the only S3 user)
    const dir = mkdtempSync(join(tmpdir(), 'palette-onboarding-lazy-'));
    try {
      // Act
      buildHandlerBundles(['check-tenant-in-use', 'acquire-tenant'], dir);
      // Assess: not in index.mjs, beside it for the function that needs it, and importable from the bundle's directory
      expect(sdkPackagesIn(bundles['acquire-tenant'])).not.toContain('client-ssm');
      const fn = join(dir, 'check-tenant-in-use');
      const index = readFileSync(join(fn, 'index.mjs'), 'utf8');
      expect(index).toContain('import("@aws-sdk/client-ssm")');
      expect(index).toContain('import("./lazy/minio-probe.mjs")');
      expect(index).not.toContain('HeadBucketCommand');
      expect(existsSync(join(fn, 'node_modules/@aws-sdk/client-ssm/index.mjs'))).toBe(true);
      expect(existsSync(join(fn, 'lazy/minio-probe.mjs'))).toBe(true);
      expect(existsSync(join(dir, 'acquire-tenant/node_modules/@aws-sdk/client-ssm'))).toBe(false);
      expect(existsSync(join(dir, 'acquire-tenant/lazy'))).toBe(false);
      expect(existsSync(join(dir, 'acquire-tenant/node_modules/@aws-lambda-powertools/tracer/index.mjs'))).toBe(true);
      writeFileSync(
        join(fn, 'probe.mjs'),
        "const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm'); const { Tracer } = await import('@aws-lambda-powertools/tracer');" +
          " const { runMinioProbe } = await import('./lazy/minio-probe.mjs');" +
          " process.stdout.write(JSON.stringify([typeof new SSMClient({ region: 'us-east-1' }).send, typeof GetParameterCommand, typeof new Tracer({ enabled: false }).captureAWSv3Client, typeof runMinioProbe]));",
      );
      const out = execFileSync(process.execPath, [join(fn, 'probe.mjs')], { cwd: tmpdir(), env: { PATH: process.env.PATH, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } }).toString();
      expect(JSON.parse(out)).toEqual(['function', 'function', 'function', 'function']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a function's bundle carries the SDK operations it sends, not its clients' whole models (cdk/lib/bundle-build.mjs)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'palette-onboarding-schemas-'));
    try {
      buildHandlerBundles(['ensure-bucket'], dir);
      const index = readFileSync(join(dir, 'ensure-bucket/index.mjs'), 'utf8');
      // Sent by the bucket code: its operation's model is there.
      for (const op of ['PutBucketPolicy', 'PutBucketLifecycleConfiguration', 'HeadBucket']) expect(index, op).toContain(`"${op}"`);
      // Operations of S3 that no function sends: not there (they were, with every shape they use, before).
      for (const op of ['SelectObjectContent', 'PutBucketAnalyticsConfiguration', 'RestoreObject']) expect(index, op).not.toContain(op);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('zod is tree-shaken: none of its locales but English (`import * as z from "zod"`, not `import { z }`)', () => {
    for (const h of HANDLERS) {
      const locales = bundles[h].filter((i) => i.includes('node_modules/zod/v4/locales/'));
      expect(locales.map((i) => i.replace(/.*\/locales\//, '')), h).toEqual(['en.js']);
    }
  });

  it('the client factory alone brings no SDK client: each function reaches only the clients it names', () => {
    const out = buildSync({
      ...handlerBuildOptions([], absoluteFromRoot('cdk.out/handler-bundles-test')),
      entryPoints: undefined,
      stdin: {
        contents: "export { homeClient, tenantClient } from './lambdas/shared/aws-clients';",
        resolveDir: absoluteFromRoot('.'),
        loader: 'ts',
        sourcefile: 'factory-only.ts',
      },
      outdir: undefined,
      outfile: absoluteFromRoot('cdk.out/handler-bundles-test/factory-only.mjs'),
      sourcemap: false,
      write: false,
      metafile: true,
    });
    const packages = sdkPackagesIn(inputsOf(out.metafile, 'factory-only.mjs'));
    // tenantClient assumes the tenant's role with STS; nothing else.
    expect(packages).toEqual(['client-sts']);
  });
});

describe("@smithy/core's event-stream support imported statically (cdk/lib/bundle-build.mjs staticEventStreamImport)", () => {
  it('applies to the installed @smithy/core, and leaves a function bundle without lazy-init wrappers', async () => {
    const source = readFileSync(absoluteFromRoot('node_modules/@smithy/core/dist-es/submodules/protocols/HttpProtocol.js'), 'utf8');
    const transformed = staticEventStreamImport(source);
    expect(transformed).not.toContain('await import("@smithy/core/event-streams")');
    expect(transformed.split('\n')[0]).toBe('import * as __smithyEventStreams from "@smithy/core/event-streams";');
    // The bundle, not minified (esbuild's wrapper keeps its name `__esm`): no module is wrapped.
    const dir = mkdtempSync(join(tmpdir(), 'palette-onboarding-event-streams-'));
    try {
      await buildAll([{ options: { ...handlerBuildOptions(['acquire-tenant'], dir), minify: false, sourcemap: false }, lazyModules: [] }]);
      const index = readFileSync(join(dir, 'acquire-tenant/index.mjs'), 'utf8');
      expect(index).toContain('node_modules/@smithy/core/dist-es/submodules/event-streams/');
      expect(index).not.toContain('__esm(');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the SDK schema keys as literals (cdk/lib/bundle-build.mjs literalSchemaKeys)', () => {
  it('writes a computed key naming a module string constant as that string, and nothing else', () => {
    const source = [
      'const _h = "http";',
      'const _e = "error";',
      'let _l = "let";',
      'export var A$ = [9, n0, _A, { [_h]: ["GET", "/", 200] }, () => B$];',
      'export var E$ = [-3, n0, _E, { [_e]: _c, [_hE]: 403 }, [], []];',
      'export var T = x ? [_h]: [_e];',
      'export var L = { [_l]: 1 };',
    ].join('\n');
    expect(literalSchemaKeys(source).split('\n').slice(3)).toEqual([
      'export var A$ = [9, n0, _A, { "http": ["GET", "/", 200] }, () => B$];',
      'export var E$ = [-3, n0, _E, { "error": _c, [_hE]: 403 }, [], []];',
      'export var T = x ? [_h]: [_e];',
      'export var L = { [_l]: 1 };',
    ]);
  });

  it("leaves every exported schema of each client the functions use as it was (both modules evaluated and compared)", async () => {
    // Prepare: each client's schema modules, as published and as transformed, bundled (with their imports) and imported
    const dir = mkdtempSync(join(tmpdir(), 'palette-onboarding-schema-keys-'));
    try {
      const clients = functionSdkPackages().filter((p) => p.startsWith('@aws-sdk/client-'));
      expect(clients).toContain('@aws-sdk/client-s3');
      for (const client of clients) {
        const schemas = join(dirname(absoluteFromRoot(`node_modules/${client}/package.json`)), 'dist-es/schemas');
        for (const file of readdirSync(schemas).filter((f) => /^schemas_\d+\.js$/.test(f))) {
          const source = readFileSync(join(schemas, file), 'utf8');
          const transformed = literalSchemaKeys(source);
          expect(transformed, `${client} ${file}: no key rewritten`).not.toEqual(source);
          const [before, after] = await Promise.all(
            [source, transformed].map(async (contents, i) => {
              const outfile = join(dir, `${client.replace('/', '_')}-${file}-${i}.mjs`);
              buildSync({ stdin: { contents, resolveDir: schemas, sourcefile: file, loader: 'js' }, bundle: true, format: 'esm', platform: 'node', mainFields: ['module', 'main'], outfile, logLevel: 'error' });
              return (await import(pathToFileURL(outfile).href)) as Record<string, unknown>;
            }),
          );
          // Assess: the same exports, each the same value (a thunk `() => X$` compared by the export it returns)
          expect(Object.keys(after as object).sort()).toEqual(Object.keys(before as object).sort());
          expect(canonicalExports(after as Record<string, unknown>), `${client} ${file}`).toEqual(canonicalExports(before as Record<string, unknown>));
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

/** A module's exports as JSON-like data: a reference to another export as its name, a thunk as what it returns. */
function canonicalExports(mod: Record<string, unknown>): Record<string, unknown> {
  const names = new Map<unknown, string>();
  for (const [k, v] of Object.entries(mod)) if (typeof v === 'object' && v !== null) names.set(v, k);
  const canon = (v: unknown, top: boolean): unknown => {
    if (!top && names.has(v)) return { $export: names.get(v) };
    if (typeof v === 'function') {
      const src = Function.prototype.toString.call(v);
      return src.startsWith('class') || v.length > 0 ? { $function: v.name } : { $thunk: canon((v as () => unknown)(), false) };
    }
    if (Array.isArray(v)) return v.map((x) => canon(x, false));
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, canon(x, false)]));
    return v;
  };
  return Object.fromEntries(Object.entries(mod).map(([k, v]) => [k, canon(v, true)]));
}
