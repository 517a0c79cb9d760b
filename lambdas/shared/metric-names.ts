/**
 * The application metrics: namespace, names and units. Pure (no Powertools import) so the CDK alarms
 * (cdk/lib/constructs/onboarding-alarms.ts) use exactly the names the Lambdas emit (lambdas/shared/metrics.ts).
 *
 * Every metric carries ONE dimension, `service` (POWERTOOLS_SERVICE_NAME). Never a tenant id or an execution
 * name: each distinct dimension value is a separate CloudWatch metric (cost, and an alarm cannot follow them);
 * those go into the EMF record's metadata, searchable in CloudWatch Logs Insights.
 */

/** CloudWatch namespace of every application metric. */
export const METRICS_NAMESPACE = 'PaletteOnboarding';

/** The only dimension of every application metric (Powertools' default dimension). */
export const SERVICE_DIMENSION = 'service';

/** Each metric and its CloudWatch unit. */
export const METRIC_UNITS = {
  /** An onboarding released its tenant as ACTIVE (ReleaseTenant). */
  OnboardingSucceeded: 'Count',
  /** An onboarding released its tenant as FAILED (ReleaseTenantOnFailure; not a ValidateRequest failure, which holds no tenant). */
  OnboardingFailed: 'Count',
  /** Seconds from the execution's start to ReleaseTenant, successful onboardings only. */
  OnboardingDurationSeconds: 'Seconds',
  /** An offboarding finished as OFFBOARDED (FinishOffboarding). */
  OffboardingSucceeded: 'Count',
  /** An offboarding finished as FAILED (FinishOffboardingOnFailure). */
  OffboardingFailed: 'Count',
  /** Seconds from the execution's start to FinishOffboarding, successful offboardings only. */
  OffboardingDurationSeconds: 'Seconds',
  /** Undo steps of one compensation that ended in `$.compensation.<step>Error` (counted by ReleaseTenantOnFailure). */
  CompensationIncomplete: 'Count',
  /** Drift findings of one re-validation (recordDriftFindings). */
  DriftFindings: 'Count',
  /** HTTP requests sent to Palette (every attempt, retries included) by one invocation. */
  PaletteCalls: 'Count',
  /** Of those, the ones Palette answered with 429 Too Many Requests. */
  PaletteThrottles: 'Count',
} as const satisfies Record<string, 'Count' | 'Seconds'>;

export type MetricName = keyof typeof METRIC_UNITS;
export const METRIC_NAMES = Object.keys(METRIC_UNITS) as MetricName[];
