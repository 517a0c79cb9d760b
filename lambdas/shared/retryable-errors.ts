/**
 * THE classification of error names, defined once. Step Functions matches a failure by its error name; the CDK
 * retry policies (cdk/lib/constructs/onboarding-state-machine.ts, platform-setup.ts) and the services
 * (lambdas/shared/errors.ts, compensation) both read these lists, and test/unit/retryable-errors.test.ts fails when a
 * name a service can throw is in neither the retryable nor the permanent list.
 *
 * Pure data: no SDK or CDK import, so Lambdas and the CDK app can both import it.
 */

/** The product's own transient errors: throttling, 5xx, connection resets and timeouts, after the clients' own retries. */
export const TRANSIENT_ERRORS = [
  /** Palette 429 that persisted through the client's retry budget. */
  'PaletteThrottledError',
  /** Palette 5xx, connection failure / reset / timeout (status 0). */
  'PaletteServerError',
  /** AWS throttling beyond the SDK's retries (lambdas/shared/errors.ts classifyAwsError). */
  'AwsThrottledError',
  /** AWS 5xx, timeout, connection reset beyond the SDK's retries. */
  'AwsTransientError',
] as const;

/**
 * What Step Functions reports when the Lambda invocation itself fails: the Invoke API's service errors, throttling,
 * `Lambda.Unknown` (the runtime died: crash, out of memory, killed) and `Sandbox.Timedout` (the function ran past its
 * own timeout). Every step is idempotent ("ensure" / undo by mark), so running it again is safe.
 */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.Unknown',
  'Sandbox.Timedout',
] as const;

/**
 * Every Task state of both state machines has a TimeoutSeconds (task timeout above the Lambda's own timeout), which
 * fails the attempt with `States.Timeout`: retried like a Lambda timeout.
 */
export const TASK_TIMEOUT_ERRORS = ['States.Timeout'] as const;

/** The retry list of every Lambda task (ensure, check, undo, release ...) of both state machines. */
export const RETRYABLE_ERRORS = [...TRANSIENT_ERRORS, ...LAMBDA_SERVICE_ERRORS, ...TASK_TIMEOUT_ERRORS] as const;
export type RetryableErrorName = (typeof RETRYABLE_ERRORS)[number];

/**
 * Documented retry list of the optimized events:putEvents tasks (NotifySuccess / NotifyFailure): the integration's
 * transient failures and the task timeout. No Lambda runs there, so the Lambda names do not apply.
 */
export const EVENTBRIDGE_RETRYABLE_ERRORS = ['EventBridge.FailedEntry', 'EventBridge.InternalException', ...TASK_TIMEOUT_ERRORS] as const;

/**
 * Documented retry list of the platform setup's RegisterStsAccount only: a new IAM access key is not usable yet
 * (eventually consistent); it has its own, slower schedule (platform-setup.ts KEY_PROPAGATION_RETRY).
 */
export const KEY_PROPAGATION_ERRORS = ['AccessKeyNotReadyError'] as const;

/**
 * The readiness gate's own retry lists (CheckReadiness): Palette does not accept the tenant's new principal yet (IAM
 * propagation). Each names one of the gate's retriers, with its own schedule (lambdas/domain/readiness.ts
 * READINESS_RETRIERS): the first probes every second, then a backoff.
 */
export const PRINCIPAL_PROPAGATION_ERRORS = ['PrincipalNotReady', 'PrincipalStillNotReady'] as const;

/**
 * Documented retry list of the Bulk state machine's AWS service integrations (cdk/lib/constructs/bulk-state-machine.ts):
 * StartOnboarding (the optimized `states:startExecution.sync:2`, errors named `StepFunctions.*`), DescribeMapRun
 * (`aws-sdk:sfn`, `Sfn.*`) and ReadRequestFile (`aws-sdk:s3`, `S3.*`): their throttling and internal errors, and the
 * task timeout. A retried StartExecution of an execution that did start meets ExecutionAlreadyExists, which the state
 * catches as "already started".
 */
export const SERVICE_INTEGRATION_RETRYABLE_ERRORS = [
  'StepFunctions.ThrottlingException',
  'StepFunctions.InternalServerException',
  'Sfn.ThrottlingException',
  'Sfn.InternalServerException',
  'S3.SlowDownException',
  'S3.InternalErrorException',
  ...TASK_TIMEOUT_ERRORS,
] as const;

/** Every name some Retry of the deployed state machines lists. */
export const ALL_RETRIED_ERRORS: readonly string[] = [
  ...new Set<string>([...RETRYABLE_ERRORS, ...EVENTBRIDGE_RETRYABLE_ERRORS, ...KEY_PROPAGATION_ERRORS, ...PRINCIPAL_PROPAGATION_ERRORS, ...SERVICE_INTEGRATION_RETRYABLE_ERRORS]),
];

/**
 * Permanent errors: running the step again cannot help (bad input, ownership, configuration, a missing or
 * conflicting object, a spent budget). Never retried: they go to compensation, or, raised by an undo, are
 * recorded as "could not remove" (CompensationError / `$.compensation.<step>Error`).
 */
export const NAMED_PERMANENT_ERRORS = [
  // request and contract
  'RequestValidationError',
  'StateInputError',
  'ConfigurationError',
  // ownership and the tenant registry
  'OwnershipError',
  'TenantBindingError',
  'TenantBusyError',
  'TenantNotFoundError',
  // offboarding refused while Palette clusters use the tenant's registrations
  'TenantInUseError',
  // AWS resources that cannot be used as asked
  'BucketConflictError',
  'BucketConfigurationError',
  // a misconfiguration seen directly (a trust policy read back that cannot let Palette in)
  'MisconfigurationError',
  // more managed policies than IAM allows on the principal (checked before anything is attached)
  'ManagedPolicyLimitError',
  // Palette answers that time does not change (after the client's one re-authentication on 401)
  'PaletteApiError',
  'PaletteAuthError',
  'PaletteForbiddenError',
  'PaletteNotFoundError',
  'PaletteConflictError',
  'PaletteValidationError',
  // Palette's TLS certificate refused (a private CA not in paletteCaBundle, a wrong host name, expired)
  'PaletteCertificateError',
  'MinioValidationError',
  'SshKeyConflictError',
  'ApiKeyConflictError',
  'VerificationError',
  // budgets and compensation
  'ReadinessTimeoutError',
  'CompensationError',
  // platform setup
  'PaletteSystemLoginError',
  'ReverseProxyValidationError',
  'StsAccountNotOursError',
] as const;

/** Programming errors (an unnamed `Error`, a `TypeError` ...): a bug, not a blip. Permanent. */
export const PROGRAMMING_ERRORS = ['Error', 'TypeError', 'RangeError'] as const;

/** The documented permanent list. */
export const PERMANENT_ERRORS = [...NAMED_PERMANENT_ERRORS, ...PROGRAMMING_ERRORS] as const;
export type PermanentErrorName = (typeof PERMANENT_ERRORS)[number];

const RETRYABLE = new Set<string>(RETRYABLE_ERRORS);
const NAMED = new Set<string>([...RETRYABLE_ERRORS, ...KEY_PROPAGATION_ERRORS, ...NAMED_PERMANENT_ERRORS]);

/** True when the error's name is on the retryable list (the state machine's Retry rides it out). */
export function isRetryableError(err: unknown): boolean {
  return err instanceof Error && RETRYABLE.has(err.name);
}

/** True when the error already carries one of the product's classified names (nothing left to map). */
export function hasClassifiedName(err: unknown): boolean {
  return err instanceof Error && NAMED.has(err.name);
}

// ---- the state-level retry schedule ---------------------------------------------------------------------------

/**
 * Capped exponential backoff with full jitter, shared by every Lambda task (and the notifications): retry k
 * (1-based) waits a random time in [0, min(interval * rate^(k-1), maxDelay)].
 *
 * Caps: 2, 4, 8, 16, 32, 60, 60, 60, 60, 60 s = 362 s over 10 retries, so the schedule spans more than a 5-minute
 * Palette or AWS outage. With full jitter each wait averages half its cap (181 s in all); each failed attempt adds
 * its own time on top (a Palette call spends its client retry budget, honouring Retry-After, before it fails).
 */
export const RETRY_POLICY = {
  intervalSeconds: 2,
  backoffRate: 2,
  maxDelaySeconds: 60,
  maxAttempts: 10,
} as const;

/** The capped (pre-jitter) wait before each retry of a policy, in seconds. */
export function cappedRetryDelays(p: { intervalSeconds: number; backoffRate: number; maxDelaySeconds?: number; maxAttempts: number }): number[] {
  return Array.from({ length: p.maxAttempts }, (_, k) => Math.min(p.intervalSeconds * p.backoffRate ** k, p.maxDelaySeconds ?? Number.POSITIVE_INFINITY));
}

/** The outage the schedule is sized for. */
export const OUTAGE_RIDE_OUT_SECONDS = 300;
