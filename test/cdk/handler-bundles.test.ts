/**
 * The functions' bundles carry the AWS SDK clients their handler uses and no other (cdk/lib/handler-bundles.ts, the
 * generic client factory lambdas/shared/aws-clients.ts), and none of zod's locales: built with the app's own esbuild
 * options (a few handlers, in memory), then read from esbuild's metafile: which package sources went into each bundle.
 */
import { buildSync, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { handlerBuildOptions } from '../../cdk/lib/handler-bundles';
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
