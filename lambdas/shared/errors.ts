/**
 * Named errors. Every name is on the retryable or the permanent list of ./retryable-errors.ts
 * (test/unit/retryable-errors.test.ts checks it). Step Functions matches a Lambda error by its `name`
 * (errorType), so every class sets a stable name that the state machine's Retry / Catch lists refer to.
 * Messages never contain secret values.
 */
abstract class NamedError extends Error {
  abstract override readonly name: string;
}

/** Bad request input; the message names each offending field. Never retried. */
export class RequestValidationError extends NamedError {
  override readonly name = 'RequestValidationError';
  constructor(
    readonly issues: { path: string; message: string }[],
    what = 'onboarding request',
  ) {
    super(`Invalid ${what}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
  }
}

/** Deployment / environment misconfiguration (missing env var, role name not allowed, ...). */
export class ConfigurationError extends NamedError {
  override readonly name = 'ConfigurationError';
}

/**
 * A readiness probe: Palette does not accept the tenant's new principal yet (IAM propagation). The state machine
 * retries CheckReadiness on it, every second for the first probes (lambdas/domain/readiness.ts READINESS_RETRIERS);
 * PrincipalStillNotReadyError after them, with a backoff. The message is Palette's reason.
 */
export class PrincipalNotReadyError extends NamedError {
  override readonly name = 'PrincipalNotReady';
}
export class PrincipalStillNotReadyError extends NamedError {
  override readonly name = 'PrincipalStillNotReady';
}

/** The readiness gate's budget is spent; carries the last validation failure reason. */
export class ReadinessTimeoutError extends NamedError {
  override readonly name = 'ReadinessTimeoutError';
}

/**
 * An object exists under a name this run would use, and it is not this tenant's: it carries another tenant's or
 * another deployment's mark, the registry records it for another tenant, or it is unmarked and the request did not
 * ask to adopt it. The message names the object and its owner. Never retried; nothing was changed.
 */
export class OwnershipError extends NamedError {
  override readonly name = 'OwnershipError';
}

/**
 * A misconfiguration the workflow can see directly, which time cannot fix (e.g. an adopted role whose trust policy,
 * read back, denies Palette): fails at once with the reason instead of waiting out the readiness budget. Never retried.
 */
export class MisconfigurationError extends NamedError {
  override readonly name = 'MisconfigurationError';
}

/**
 * Attaching the onboarding's policies (the backup policy and the aws.clusterPolicies policies) would give the principal
 * more managed policies than IAM allows (ten by default). Checked before anything is attached; the message names the
 * counts. Never retried.
 */
export class ManagedPolicyLimitError extends NamedError {
  override readonly name = 'ManagedPolicyLimitError';
}

/**
 * The tenant is bound (by its first onboarding) to another AWS account, partition or Palette project than the
 * request names. The message names both values. Never retried; nothing was changed.
 */
export class TenantBindingError extends NamedError {
  override readonly name = 'TenantBindingError';
}

/** Another execution holds the tenant's lease (one execution per tenant). Nothing was changed. */
export class TenantBusyError extends NamedError {
  override readonly name = 'TenantBusyError';
}

/** The tenant registry has no such tenant (offboarding, re-validation). Nothing was changed. */
export class TenantNotFoundError extends NamedError {
  override readonly name = 'TenantNotFoundError';
}

/**
 * Offboarding refused: Palette reports clusters (or their backups) that use the tenant's cloud account or backup
 * location. Nothing was changed; offboard with `force` to remove them anyway.
 */
export class TenantInUseError extends NamedError {
  override readonly name = 'TenantInUseError';
}

/** The derived bucket name is owned by another AWS account. */
export class BucketConflictError extends NamedError {
  override readonly name = 'BucketConflictError';
}

/** An existing bucket's configuration cannot be used (e.g. Object Lock). Not retried. */
export class BucketConfigurationError extends NamedError {
  override readonly name = 'BucketConfigurationError';
}

/**
 * Some compensation steps failed permanently ("could not remove"); the message lists them and what was deleted
 * anyway. Never raised for a transient failure: that propagates with its retryable name so the undo state's Retry
 * rides it out.
 */
export class CompensationError extends NamedError {
  override readonly name = 'CompensationError';
}

/** Palette does not list what was just registered. */
export class VerificationError extends NamedError {
  override readonly name = 'VerificationError';
}

/** AWS throttled the call beyond the SDK's own retries. Retried by the state machine. */
export class AwsThrottledError extends NamedError {
  override readonly name = 'AwsThrottledError';
}

/** Transient AWS failure (5xx, timeout, connection reset) beyond the SDK's retries. Retried by the state machine. */
export class AwsTransientError extends NamedError {
  override readonly name = 'AwsTransientError';
}

/**
 * The retryable / permanent classification lives in one place (./retryable-errors.ts), read by the state machines'
 * Retry policies too; re-exported here for the services.
 */
export { RETRYABLE_ERRORS as RETRYABLE_ERROR_NAMES, PERMANENT_ERRORS, isRetryableError } from './retryable-errors';

const THROTTLE_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceededException',
]);
const TRANSIENT_CODES = new Set([
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'InternalServiceError',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

/**
 * Maps an AWS SDK error that survived the SDK's own retries to a named retryable error; anything else is
 * returned unchanged (so it goes to compensation with its original, meaningful name).
 */
export function classifyAwsError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const meta = (err as { $metadata?: { httpStatusCode?: number } }).$metadata;
  const code = (err as { code?: string }).code ?? err.name;
  const status = meta?.httpStatusCode;
  const where = `${err.name}: ${err.message}`;
  if (THROTTLE_CODES.has(code) || status === 429) return new AwsThrottledError(where, { cause: err });
  if (TRANSIENT_CODES.has(code) || (status !== undefined && status >= 500)) {
    return new AwsTransientError(where, { cause: err });
  }
  return err;
}

/** Runs an AWS call and rethrows transient failures as named retryable errors. */
export async function awsCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw classifyAwsError(err);
  }
}

/** A state's input does not have the shape the contract promises (a wiring bug, not bad user input). */
export class StateInputError extends NamedError {
  override readonly name = 'StateInputError';
}

/**
 * An S3-compatible (MinIO) backup location failed the workflow's own probe with its static keys: the message
 * names the S3 action that failed, the bucket and the endpoint (never the keys). Not retried.
 */
export class MinioValidationError extends NamedError {
  override readonly name = 'MinioValidationError';
}

/**
 * An SSH key of the requested name exists in Palette, is not managed by this deployment, and cannot be used as
 * asked (a generated key pair whose private key this deployment does not hold). Never retried.
 */
export class SshKeyConflictError extends NamedError {
  override readonly name = 'SshKeyConflictError';
}

/**
 * A Palette API key of the requested name exists and its value is not in the expected secret, and the key is
 * not managed by this deployment (someone else's key is never rotated). Never retried.
 */
export class ApiKeyConflictError extends NamedError {
  override readonly name = 'ApiKeyConflictError';
}
