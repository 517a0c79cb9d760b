import { Stack, aws_events as events, aws_events_targets as targets, aws_sqs as sqs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ACCOUNT_VENDING_EVENT_NAMES, ACCOUNT_VENDING_EVENTS, ACCOUNT_VENDING_SOURCES, parseTenantIdSource } from '../../../lambdas/domain/account-vending';
import { accountVendingGrants, applyGrants } from '../permissions';
import type { OnboardingFunction } from './onboarding-function';
import { REQUEST_PATH } from './onboarding-trigger';

export interface AccountVendingProps {
  /** The request queue of the onboarding trigger (the starter consumes it). */
  readonly requestQueue: sqs.IQueue;
  /** The trigger's dead-letter queue: events EventBridge cannot deliver to the request queue. */
  readonly deadLetterQueue: sqs.IQueue;
  /** The starter; its environment already holds the template (OnboardingTrigger.startExecutionsOf). */
  readonly starter: OnboardingFunction;
  /** Config `accountVendingTenantIdFrom`: `accountName` or `tag:<TagKey>`. */
  readonly tenantIdFrom: string;
}

/** The account vending rule's event pattern (README "Account vending"); `account` is the stack's account. */
export function accountVendingEventPattern(account: string): events.EventPattern {
  return {
    source: [...ACCOUNT_VENDING_SOURCES],
    detailType: [ACCOUNT_VENDING_EVENTS.detailType],
    account: [account],
    detail: { eventName: [...ACCOUNT_VENDING_EVENT_NAMES] },
  };
}

/**
 * Account vending (README "Account vending"): AWS Control Tower's `CreateManagedAccount` / `UpdateManagedAccount`
 * lifecycle events and AWS Organizations' `CreateAccountResult` arrive on the DEFAULT bus of the account they happen in
 * (the management account; Control Tower's home region, Organizations' us-east-1). A rule there sends each one, whole,
 * to the onboarding trigger's request queue with the same retries and dead-letter queue as the onboarding bus's rule;
 * the starter turns it into an onboarding request from the template (lambdas/services/starter/starter.ts). Only
 * events of the stack's own account match (`account`): no other account can put `aws.*` events, and events
 * forwarded from another account are not taken. The starter may read the accounts' names (DescribeAccount: AWS
 * Organizations' events mask them) and, in tag mode only, their tags.
 */
export class AccountVending extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: AccountVendingProps) {
    super(scope, id);
    const source = parseTenantIdSource(props.tenantIdFrom);
    if (!source) throw new Error(`accountVendingTenantIdFrom '${props.tenantIdFrom}' is neither accountName nor tag:<TagKey>`);

    this.rule = new events.Rule(this, 'Rule', {
      description: `Queue each account vending event (${ACCOUNT_VENDING_EVENT_NAMES.join(', ')}) of this account for the starter, which onboards the new account`,
      eventPattern: accountVendingEventPattern(Stack.of(this).account),
    });
    // No `message`: the queue receives the whole event, the same shape EventBridge puts into the DLQ.
    this.rule.addTarget(
      new targets.SqsQueue(props.requestQueue, {
        deadLetterQueue: props.deadLetterQueue,
        retryAttempts: REQUEST_PATH.ruleRetryAttempts,
        maxEventAge: REQUEST_PATH.ruleMaxEventAge,
      }),
    );
    applyGrants(props.starter.role, props.starter.role, accountVendingGrants(source.from === 'tag'));
  }
}
