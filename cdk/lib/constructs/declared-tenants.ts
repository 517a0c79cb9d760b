import { CustomResource, Duration, aws_iam as iam, aws_stepfunctions as sfn } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DECLARED_TENANTS_RESOURCE_TYPE, type DeclaredTenants as DeclaredTenantRequests } from '../../../lambdas/domain/declared-tenants';
import type { OnboardingConfig } from '../config';
import { SERVICE_NAME } from '../lambda-environment';
import { deployTimeProvider, grantDescribeExecutions } from './deploy-time-provider';
import { OnboardingFunction } from './onboarding-function';

/** The custom resource's handlers (Provider framework user functions), `lambdas/handlers/<name>.ts`. */
export const DECLARED_TENANTS_HANDLERS = {
  onEvent: 'declared-tenants-start',
  isComplete: 'declared-tenants-status',
} as const;

/**
 * How long a deploy waits for the declared tenants' executions: just under CloudFormation's one-hour limit for a
 * custom resource, so the Provider's own timeout (a clear message) comes first. An onboarding still running then
 * fails the deployment (the execution itself goes on).
 */
export const DECLARED_TENANTS_TOTAL_TIMEOUT = Duration.minutes(55);

export interface DeclaredTenantsProps {
  readonly config: OnboardingConfig;
  /** tenantId -> the request as canonical JSON (cdk/lib/declared-tenants.ts loadDeclaredTenants). */
  readonly tenants: DeclaredTenantRequests;
  readonly onboarding: sfn.StateMachine;
  readonly offboarding: sfn.StateMachine;
}

/**
 * Declared tenants (README "Declared tenants"): the custom resource `Custom::PaletteDeclaredTenants` (CDK Provider
 * framework, asynchronous completion) whose properties are the declared requests and the two state machines. On
 * Create / Update its onEvent starts the onboarding of every new or changed tenant and the offboarding of every removed
 * one (lambdas/services/declared-tenants/deploy.ts); isComplete polls them and fails the deployment with the failed
 * tenants' reasons. Delete does nothing (tenants outlive the stack). The requests hold secret ARNs only, never values.
 */
export class DeclaredTenants extends Construct {
  readonly resource: CustomResource;
  readonly onEvent: OnboardingFunction;
  readonly isComplete: OnboardingFunction;

  constructor(scope: Construct, id: string, props: DeclaredTenantsProps) {
    super(scope, id);
    const { config } = props;
    // Their own small environment: they only call Step Functions with what the event carries.
    const environment = { POWERTOOLS_SERVICE_NAME: SERVICE_NAME, POWERTOOLS_LOG_LEVEL: config.logLevel };

    this.onEvent = new OnboardingFunction(this, 'Start', {
      handler: DECLARED_TENANTS_HANDLERS.onEvent,
      description: "palette-onboarding: declared tenants custom resource onEvent, starts this deploy's onboardings and offboardings",
      environment,
      logRetention: config.logRetentionDays,
    });
    this.onEvent.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'StartDeclaredTenantExecutions',
        actions: ['states:StartExecution'],
        resources: [props.onboarding.stateMachineArn, props.offboarding.stateMachineArn],
      }),
    );
    this.isComplete = new OnboardingFunction(this, 'Status', {
      handler: DECLARED_TENANTS_HANDLERS.isComplete,
      description: "palette-onboarding: declared tenants custom resource isComplete, polls this deploy's executions",
      environment,
      logRetention: config.logRetentionDays,
    });
    grantDescribeExecutions(
      this.isComplete.role,
      'DescribeDeclaredTenantExecutions',
      [props.onboarding, props.offboarding],
      'Executions of the onboarding and offboarding state machines only; execution names are chosen per CloudFormation request at run time.',
    );

    const provider = deployTimeProvider(this, 'Deploy', {
      onEvent: this.onEvent.function,
      isComplete: this.isComplete.function,
      logRetention: config.logRetentionDays,
      waiterLogName: 'declared-tenants-waiter',
      queryInterval: Duration.seconds(20),
      totalTimeout: DECLARED_TENANTS_TOTAL_TIMEOUT,
    });

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: DECLARED_TENANTS_RESOURCE_TYPE,
      properties: {
        OnboardingStateMachineArn: props.onboarding.stateMachineArn,
        OffboardingStateMachineArn: props.offboarding.stateMachineArn,
        Tenants: props.tenants,
      },
    });
  }
}
