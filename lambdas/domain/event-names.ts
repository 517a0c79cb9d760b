/**
 * The EventBridge source and every detail-type of palette-onboarding, in one place: the CDK side (cdk/lib/events.ts,
 * which adds the bus of each) and the Lambdas (the event starter routes by detail-type) use these names. Pure.
 */
export const ONBOARDING_EVENTS = {
  source: 'palette.onboarding',
  /**
   * Incoming: detail = the onboarding request. The rule queues the whole event on the request queue; the
   * starter Lambda starts one execution named `executionNameFor(detail)` (`<tenantId>-<hash>`), so a duplicate
   * event, or an event plus a CLI start of the same request, is one execution.
   */
  requested: 'Tenant Onboarding Requested',
  /** Outgoing (notifications bus): detail = the execution summary. */
  succeeded: 'Tenant Onboarding Succeeded',
  /** Outgoing (notifications bus): detail = {tenantId, executionName, error, cause, compensation}. */
  failed: 'Tenant Onboarding Failed',
  /** Progress (notifications bus): the tenant was acquired and the onboarding begins. */
  started: 'Tenant Onboarding Started',
  /** Progress: bucket, backup policy and the role or user exist. */
  resourcesReady: 'Tenant Resources Ready',
  /** Progress: the readiness gate passed (Palette can use the credentials). */
  ready: 'Tenant Ready',
  /** Progress: every Palette registration exists and was verified. */
  registered: 'Tenant Registered',
  /** Incoming (onboarding bus): detail = the offboarding request `{tenantId, deleteBucket?, purgeBucket?, force?}`. */
  offboardingRequested: 'Tenant Offboarding Requested',
  /** Outgoing (notifications bus): detail = the offboarding summary (what was removed and what was retained). */
  offboarded: 'Tenant Offboarded',
  /** Outgoing (notifications bus): detail = {tenantId, executionName, step, error, cause}. */
  offboardingFailed: 'Tenant Offboarding Failed',
  /** Outgoing (notifications bus): detail = {tenantId, executionName, findings}. */
  driftDetected: 'Tenant Drift Detected',
} as const;
