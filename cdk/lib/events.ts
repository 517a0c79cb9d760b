/**
 * EventBridge contract of the onboarding workflow: the source, each detail-type, and the bus it travels on.
 *
 * | detail-type                   | bus                                   | who may put it                                  |
 * | ----------------------------- | ------------------------------------- | ----------------------------------------------- |
 * | Tenant Onboarding Requested   | onboarding bus (`eventBusName`)       | the home account's principals (with IAM         |
 * |                               |                                       | permission), `allowedPublishers`,               |
 * |                               |                                       | `allowedPublisherOrganizationId`                |
 * | Tenant Onboarding Succeeded   | notifications bus                     | only the onboarding state machine's role        |
 * | Tenant Onboarding Failed      | (`<eventBusName>-notifications`)      |                                                 |
 *
 * Results never travel on the onboarding bus: whoever may start an onboarding cannot forge its outcome. Every
 * later result event goes to the notifications bus too.
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
} as const;

/** The bus each detail-type travels on. */
export const EVENT_BUS_OF = {
  [ONBOARDING_EVENTS.requested]: 'onboarding',
  [ONBOARDING_EVENTS.succeeded]: 'notifications',
  [ONBOARDING_EVENTS.failed]: 'notifications',
} as const satisfies Record<string, 'onboarding' | 'notifications'>;

/** Name of the notifications bus of a deployment whose onboarding bus is `eventBusName`. */
export const notificationBusName = (eventBusName: string): string => `${eventBusName}-notifications`;
