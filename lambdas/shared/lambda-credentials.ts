/**
 * The AWS SDK's default credential provider as the functions' BUNDLES use it (cdk/lib/handler-bundles.ts aliases
 * `@aws-sdk/credential-provider-node` to this module): a Lambda function's credentials are its execution role's, which
 * the Lambda runtime puts in the environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN); a
 * container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI: the local runner's, or an
 * ECS/EKS-style host) is the only other source a function can have. The full default chain (SSO, shared ini files,
 * credential processes, web identity token files, IMDS) cannot apply in Lambda, and carrying it costs every function
 * about 100 KB and 20 ms of cold start (bench P3). Code run from source (tests, tsx) keeps the SDK's full chain.
 *
 * Exports what `@aws-sdk/credential-provider-node` exports, with the same meaning.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { fromHttp } from '@aws-sdk/credential-provider-http';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

type ProviderInit = Parameters<typeof fromEnv>[0] & Parameters<typeof fromHttp>[0];

const hasContainerEndpoint = (): boolean =>
  Boolean(process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI || process.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI);

/** Environment credentials when set, else the container credentials endpoint; else the SDK's CredentialsProviderError (from fromHttp). */
async function resolveCredentials(init: ProviderInit): Promise<AwsCredentialIdentity> {
  if (process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY) return fromEnv(init)();
  if (!hasContainerEndpoint()) {
    throw new Error(
      'No AWS credentials: a Lambda function takes them from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or from a container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI)',
    );
  }
  return fromHttp(init)();
}

/**
 * The provider a client without explicit credentials uses, memoized as the SDK's own default chain is (the SDK does not
 * memoize a default provider itself; it marks it memoized): credentials are resolved once, kept while more than 5
 * minutes of them remain (forever without an expiration), and concurrent requests share one resolution. Without this a
 * container-endpoint function asked the endpoint before every request it signed; a failure is not kept.
 */
export const defaultProvider = (init: ProviderInit = {}): AwsCredentialIdentityProvider => {
  let current: AwsCredentialIdentity | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;
  return async (options?: { forceRefresh?: boolean }) => {
    if (current && !options?.forceRefresh && !credentialsTreatedAsExpired(current)) return current;
    pending ??= resolveCredentials(init)
      .then((c) => {
        current = c;
        return c;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
};

export const credentialsWillNeedRefresh = (credentials?: AwsCredentialIdentity): boolean => credentials?.expiration !== undefined;

/** As the SDK's: credentials expiring within 5 minutes are treated as expired (refreshed before use). */
export const credentialsTreatedAsExpired = (credentials?: AwsCredentialIdentity): boolean =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;
