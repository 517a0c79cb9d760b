import { Aws, aws_events as events, aws_iam as iam } from 'aws-cdk-lib';
import { EVENT_BUS_OF } from '../events';

/**
 * Resource policies of the two EventBridge buses (docs/workflow-contract.md "Events"), written into the bus's own
 * `Policy` (one document, replaced as a whole on every deployment).
 *
 * What EventBridge enforces, and what it cannot:
 * - A principal of ANOTHER account may put events only when the bus policy allows it: the onboarding bus allows
 *   exactly `allowedPublishers` (accounts: any principal of theirs their own IAM allows; role ARNs: that role) and
 *   `allowedPublisherOrganizationId` (`aws:PrincipalOrgID`). Nothing else from outside can start an onboarding.
 * - A principal of the HOME account needs only its identity policy (an Allow in the bus policy adds nothing for it);
 *   the home account's principals may always publish requests (its administrators can deploy this stack anyway).
 * - Every detail-type of the notifications bus (results such as `Tenant Onboarding Succeeded` / `Failed`, and the
 *   progress events; EVENT_BUS_OF in cdk/lib/events.ts) is denied on the onboarding bus to everyone
 *   (`events:detail-type`), so a consumer still listening there cannot be fooled either.
 * - The notifications bus denies events:PutEvents to every principal except the state machine's role, with an
 *   explicit Deny in the bus policy, which wins over any identity policy, in this account too. What no bus policy
 *   can stop: a principal allowed events:PutPermission / events:RemovePermission / events:UpdateEventBus (or a
 *   CloudFormation deployment of this stack) can rewrite the policy itself; keep those with the deployers.
 */
export interface PublisherPolicy {
  /** 12-digit account ids and/or IAM role ARNs (config `allowedPublishers`). */
  readonly publishers: readonly string[];
  /** Every principal of this organization (config `allowedPublisherOrganizationId`). */
  readonly organizationId?: string;
}

/** The bus's ARN without a reference to the bus (its own policy cannot refer to its attributes). */
export const busArn = (name: string): string => `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/${name}`;

function setPolicy(bus: events.EventBus, statements: iam.PolicyStatement[]): void {
  (bus.node.defaultChild as events.CfnEventBus).policy = new iam.PolicyDocument({ statements }).toJSON();
}

/** Every detail-type that travels on the notifications bus (results and progress): refused on the onboarding bus. */
export const NOTIFICATION_DETAIL_TYPES: readonly string[] = Object.entries(EVENT_BUS_OF)
  .filter(([, bus]) => bus === 'notifications')
  .map(([detailType]) => detailType);

/** The onboarding bus: PutEvents for the home account and the configured publishers only. */
export function restrictOnboardingBus(bus: events.EventBus, name: string, policy: PublisherPolicy): void {
  const resources = [busArn(name)];
  const statements = [
    new iam.PolicyStatement({
      sid: 'HomeAccountPublishes',
      actions: ['events:PutEvents'],
      principals: [new iam.AccountRootPrincipal()],
      resources,
    }),
  ];
  const accounts = policy.publishers.filter((p) => /^\d{12}$/.test(p));
  const roles = policy.publishers.filter((p) => p.startsWith('arn:'));
  if (accounts.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'AllowedPublisherAccounts',
        actions: ['events:PutEvents'],
        principals: accounts.map((a) => new iam.AccountPrincipal(a)),
        resources,
      }),
    );
  }
  if (roles.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'AllowedPublisherRoles',
        actions: ['events:PutEvents'],
        principals: roles.map((r) => new iam.ArnPrincipal(r)),
        resources,
      }),
    );
  }
  if (policy.organizationId) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'AllowedPublisherOrganization',
        actions: ['events:PutEvents'],
        principals: [new iam.AnyPrincipal()],
        resources,
        conditions: { StringEquals: { 'aws:PrincipalOrgID': policy.organizationId } },
      }),
    );
  }
  // Results and progress travel on the notifications bus only: nobody, in this account or another, may put one here.
  statements.push(
    new iam.PolicyStatement({
      sid: 'NoResultEventsOnTheRequestBus',
      effect: iam.Effect.DENY,
      actions: ['events:PutEvents'],
      principals: [new iam.AnyPrincipal()],
      resources,
      conditions: { 'ForAnyValue:StringEquals': { 'events:detail-type': [...NOTIFICATION_DETAIL_TYPES] } },
    }),
  );
  setPolicy(bus, statements);
}

/** The notifications bus: only `publishers` (the workflows' state machine roles) may put events, whatever else IAM allows. */
export function restrictNotificationBus(bus: events.EventBus, name: string, publishers: readonly iam.IRole[]): void {
  const resources = [busArn(name)];
  const arns = publishers.map((p) => p.roleArn);
  setPolicy(bus, [
    new iam.PolicyStatement({
      sid: 'OnlyTheWorkflowPublishes',
      effect: iam.Effect.DENY,
      actions: ['events:PutEvents'],
      principals: [new iam.AnyPrincipal()],
      resources,
      conditions: { ArnNotEquals: { 'aws:PrincipalArn': arns.length === 1 ? arns[0] : arns } },
    }),
    new iam.PolicyStatement({
      sid: 'WorkflowPublishes',
      actions: ['events:PutEvents'],
      principals: arns.map((a) => new iam.ArnPrincipal(a)),
      resources,
    }),
  ]);
}
