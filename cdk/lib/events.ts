/**
 * EventBridge contract of palette-onboarding: the source and each detail-type (lambdas/domain/event-names.ts), and the bus
 * each travels on.
 *
 * | detail-type                   | bus                                   | who may put it                                  |
 * | ----------------------------- | ------------------------------------- | ----------------------------------------------- |
 * | Tenant Onboarding Requested   | onboarding bus (`eventBusName`)       | the home account's principals (with IAM         |
 * |                               |                                       | permission), `allowedPublishers`,               |
 * |                               |                                       | `allowedPublisherOrganizationId`                |
 * | Tenant Offboarding Requested  | onboarding bus                        | the same                                        |
 * | every other detail-type       | notifications bus                     | only the workflows' state machine roles         |
 * | (results, progress, drift)    | (`<eventBusName>-notifications`)      |                                                 |
 * | AWS Service Event via         | the DEFAULT bus (account vending,     | AWS only (aws.controltower, aws.organizations); |
 * | CloudTrail (taken, not sent)  | constructs/account-vending.ts)        | the rule takes the stack's own account's only   |
 *
 * Results never travel on the onboarding bus: whoever may start an onboarding cannot forge its outcome. Every
 * later result event goes to the notifications bus too.
 */
export { ONBOARDING_EVENTS } from '../../lambdas/domain/event-names';
import { ONBOARDING_EVENTS } from '../../lambdas/domain/event-names';

/** The bus each detail-type travels on. */
export const EVENT_BUS_OF = {
  [ONBOARDING_EVENTS.requested]: 'onboarding',
  [ONBOARDING_EVENTS.succeeded]: 'notifications',
  [ONBOARDING_EVENTS.failed]: 'notifications',
  [ONBOARDING_EVENTS.started]: 'notifications',
  [ONBOARDING_EVENTS.resourcesReady]: 'notifications',
  [ONBOARDING_EVENTS.ready]: 'notifications',
  [ONBOARDING_EVENTS.registered]: 'notifications',
  [ONBOARDING_EVENTS.offboardingRequested]: 'onboarding',
  [ONBOARDING_EVENTS.offboarded]: 'notifications',
  [ONBOARDING_EVENTS.offboardingFailed]: 'notifications',
  [ONBOARDING_EVENTS.driftDetected]: 'notifications',
} as const satisfies Record<string, 'onboarding' | 'notifications'>;

/** Name of the notifications bus of a deployment whose onboarding bus is `eventBusName`. */
export const notificationBusName = (eventBusName: string): string => `${eventBusName}-notifications`;
