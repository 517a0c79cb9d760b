import { aws_events as events, aws_iam as iam } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { notificationBusName } from '../events';
import { restrictNotificationBus } from './bus-policies';

export interface OnboardingNotificationsProps {
  /** Name of the onboarding bus (config `eventBusName`); this bus is `<eventBusName>-notifications`. */
  readonly eventBusName: string;
}

/**
 * The notifications bus: where the workflow's result events (`Tenant Onboarding Succeeded` / `Failed`, and every
 * later result event) go, apart from the onboarding bus on which requests arrive, so whoever may request an
 * onboarding cannot forge its outcome. Only the onboarding state machine's role may put events on it
 * (`publishersOnly`: an explicit Deny for every other principal in the bus policy, see bus-policies.ts).
 */
export class OnboardingNotifications extends Construct {
  readonly bus: events.EventBus;
  readonly busName: string;
  private restricted = false;

  constructor(scope: Construct, id: string, props: OnboardingNotificationsProps) {
    super(scope, id);
    this.busName = notificationBusName(props.eventBusName);
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: this.busName,
      description: 'palette-onboarding results (Tenant Onboarding Succeeded / Failed); only the onboarding workflow may publish',
    });
  }

  /** Makes `roles` (the workflows' state machine roles) the only principals that may put events on the bus (once). */
  publishersOnly(...roles: iam.IRole[]): void {
    if (this.restricted) throw new Error('OnboardingNotifications already has its publishers');
    if (roles.length === 0) throw new Error('OnboardingNotifications needs at least one publisher');
    this.restricted = true;
    restrictNotificationBus(this.bus, this.busName, roles);
  }
}
