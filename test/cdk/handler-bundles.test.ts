/**
 * The functions' bundles carry the AWS SDK clients their handler uses and no other (cdk/lib/handler-bundles.ts, the
 * generic client factory lambdas/shared/aws-clients.ts), and none of zod's locales: built with the app's own esbuild
 * options (a few handlers, in memory), then read from esbuild's metafile: which package sources went into each bundle.
 */
import { buildSync, type Metafile } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
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

  it('the packages loaded only on some invocations (tracer, SSM) ship beside the bundle, not in it, and resolve from it', () => {
    // Prepare: check-tenant-in-use reaches both (SDK call tracing; a Palette CA bundle in SSM)
    const dir = mkdtempSync(join(tmpdir(), 'palette-onboarding-lazy-'));
    try {
      // Act
      buildHandlerBundles(['check-tenant-in-use', 'acquire-tenant'], dir);
      // Assess: not in index.mjs, beside it for the function that needs it, and importable from the bundle's directory
      expect(sdkPackagesIn(bundles['acquire-tenant'])).not.toContain('client-ssm');
      const fn = join(dir, 'check-tenant-in-use');
      expect(readFileSync(join(fn, 'index.mjs'), 'utf8')).toContain('import("@aws-sdk/client-ssm")');
      expect(existsSync(join(fn, 'node_modules/@aws-sdk/client-ssm/index.mjs'))).toBe(true);
      expect(existsSync(join(dir, 'acquire-tenant/node_modules/@aws-sdk/client-ssm'))).toBe(false);
      expect(existsSync(join(dir, 'acquire-tenant/node_modules/@aws-lambda-powertools/tracer/index.mjs'))).toBe(true);
      writeFileSync(
        join(fn, 'probe.mjs'),
        "const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm'); const { Tracer } = await import('@aws-lambda-powertools/tracer');" +
          " process.stdout.write(JSON.stringify([typeof new SSMClient({ region: 'us-east-1' }).send, typeof GetParameterCommand, typeof new Tracer({ enabled: false }).captureAWSv3Client]));",
      );
      const out = execFileSync(process.execPath, [join(fn, 'probe.mjs')], { cwd: tmpdir(), env: { PATH: process.env.PATH, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } }).toString();
      expect(JSON.parse(out)).toEqual(['function', 'function', 'function']);
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
