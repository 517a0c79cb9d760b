/** EventBridge contract of the onboarding workflow (source and detail-types on the onboarding bus). */
export const ONBOARDING_EVENTS = {
  source: 'palette.onboarding',
  /**
   * Incoming: detail = the onboarding request. The rule queues the whole event on the request queue; the
   * starter Lambda starts one execution named `executionNameFor(detail)` (`<tenantId>-<hash>`), so a duplicate
   * event, or an event plus a CLI start of the same request, is one execution.
   */
  requested: 'Tenant Onboarding Requested',
  /** Outgoing: detail = the execution summary. */
  succeeded: 'Tenant Onboarding Succeeded',
  /** Outgoing: detail = {tenantId, executionName, error, cause, compensation}. */
  failed: 'Tenant Onboarding Failed',
} as const;
