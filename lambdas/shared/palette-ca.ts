/**
 * The Palette CA bundle of this container (README "Self-hosted Palette in a private network"): PALETTE_CA_BUNDLE
 * names a Secrets Manager secret or an SSM parameter (lambdas/domain/palette-ca.ts) holding PEM certificates; the
 * Palette clients (lambdas/services/onboarding/palette.ts, lambdas/services/platform/palette.ts) trust them in
 * addition to the public roots. Read once per container (the first Palette call), again only after a failed read.
 *
 * A bundle that cannot be used is a ConfigurationError naming the environment key, the source and the reason
 * (missing, access denied, no PEM certificate, a certificate that does not parse); a throttled or failing AWS call
 * keeps its retryable name (AwsThrottledError / AwsTransientError). The certificates are public: they may be logged,
 * but nothing here logs them.
 */
import { X509Certificate } from 'node:crypto';
import { describePaletteCaSource, parsePaletteCaSource, splitPemBundle, type PaletteCaSource } from '../domain/palette-ca';
import { homeClient } from './aws-clients';
import { LambdaEnvSchema, parseEnvironment } from './env';
import { awsCall, AwsThrottledError, AwsTransientError, ConfigurationError } from './errors';
import { readSecretString } from './secrets';

const ENV_KEY = 'PALETTE_CA_BUNDLE';
const EnvSchema = LambdaEnvSchema.pick({ PALETTE_CA_BUNDLE: true });

const cache = new Map<string, Promise<string[]>>();

function unusable(source: PaletteCaSource, reason: string, cause?: unknown): ConfigurationError {
  return new ConfigurationError(
    `The Palette CA bundle (${ENV_KEY}, stack config paletteCaBundle) in ${describePaletteCaSource(source)} cannot be used: ${reason}`,
    cause === undefined ? undefined : { cause },
  );
}

async function readSource(source: PaletteCaSource): Promise<string> {
  let value: string | undefined;
  try {
    if (source.kind === 'secret') value = await readSecretString(source.secretId);
    else {
      // Loaded only here: most deployments keep no CA bundle in SSM (cdk/lib/handler-bundles.ts LAZY_PACKAGES).
      const { GetParameterCommand, SSMClient } = await import('@aws-sdk/client-ssm');
      value = (await awsCall(() => homeClient(SSMClient).send(new GetParameterCommand({ Name: source.name, WithDecryption: true })))).Parameter?.Value;
    }
  } catch (e) {
    // Throttling and AWS-side failures keep their retryable names; anything else (not found, access denied, a
    // secret without a string value) is the configuration's problem.
    if (e instanceof AwsThrottledError || e instanceof AwsTransientError) throw e;
    throw unusable(source, e instanceof ConfigurationError ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e), e);
  }
  if (value === undefined) throw unusable(source, 'it has no value');
  return value;
}

/** The PEM certificates of `text`, each checked to parse as an X.509 certificate. */
export function certificatesOf(text: string, source: PaletteCaSource): string[] {
  const split = splitPemBundle(text);
  if ('problem' in split) throw unusable(source, `it ${split.problem}`);
  split.certificates.forEach((pem, i) => {
    try {
      new X509Certificate(pem);
    } catch (e) {
      throw unusable(source, `certificate ${i + 1} of ${split.certificates.length} does not parse (${e instanceof Error ? e.message : String(e)})`);
    }
  });
  return split.certificates;
}

async function load(source: PaletteCaSource): Promise<string[]> {
  return certificatesOf(await readSource(source), source);
}

/**
 * The loader of the configured CA bundle for PaletteClient's `caBundle` option, or undefined when PALETTE_CA_BUNDLE
 * is unset (the public roots only). An invalid value is a ConfigurationError naming the key.
 */
export function paletteCaBundle(env: NodeJS.ProcessEnv = process.env): (() => Promise<string[]>) | undefined {
  const value = parseEnvironment(EnvSchema, env).PALETTE_CA_BUNDLE;
  if (value === undefined) return undefined;
  const source = parsePaletteCaSource(value);
  if ('problem' in source) throw new ConfigurationError(`Invalid Lambda environment: ${ENV_KEY}: ${source.problem}`);
  return () => {
    let pending = cache.get(value);
    if (!pending) {
      pending = load(source);
      cache.set(value, pending);
      pending.catch(() => cache.delete(value));
    }
    return pending;
  };
}

/** Test hook: forget the bundles read. */
export function resetPaletteCaBundles(): void {
  cache.clear();
}
