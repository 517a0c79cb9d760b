/** EventBridge contract of the onboarding workflow (source and detail-types on the onboarding bus). */
export const ONBOARDING_EVENTS = {
  source: 'palette.onboarding',
  /** Incoming: detail = the onboarding request; starts an execution. */
  requested: 'Tenant Onboarding Requested',
  /** Outgoing: detail = the execution summary. */
  succeeded: 'Tenant Onboarding Succeeded',
  /** Outgoing: detail = {tenantId, executionName, error, cause, compensation}. */
  failed: 'Tenant Onboarding Failed',
} as const;
