import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { OnboardingConfig } from '../config';
import { OnboardingFunctions } from '../constructs/onboarding-functions';
import { OnboardingNotifications } from '../constructs/onboarding-notifications';
import { OnboardingStateMachine } from '../constructs/onboarding-state-machine';
import { OnboardingTrigger } from '../constructs/onboarding-trigger';
import { PlatformSetup } from '../constructs/platform-setup';
import { TenantRegistry } from '../constructs/tenant-registry';
import { TenantSecretsAccess } from '../constructs/tenant-secrets-access';
import { lambdaEnvironment, type EnvironmentRefs } from '../lambda-environment';

/** Whole-execution limit of the onboarding state machine (readiness budget max 15 min + retries). */
export const EXECUTION_TIMEOUT = Duration.hours(1);
/** A tenant's lease outlives the longest execution, so an execution never loses its lease while it runs. */
export const TENANT_LEASE = EXECUTION_TIMEOUT.plus(Duration.minutes(15));

export interface PaletteOnboardingStackProps extends StackProps {
  readonly config: OnboardingConfig;
}

/** The onboarding workflow: Lambdas, the state machine, its EventBridge trigger and its notifications bus. */
export class PaletteOnboardingStack extends Stack {
  readonly config: OnboardingConfig;
  readonly registry: TenantRegistry;
  /** The role every access to a tenant's secrets goes through (one tenant per session). */
  readonly tenantSecrets: TenantSecretsAccess;
  readonly functions: OnboardingFunctions;
  readonly workflow: OnboardingStateMachine;
  readonly trigger: OnboardingTrigger;
  /** The results bus (`<eventBusName>-notifications`); only the state machine may publish on it. */
  readonly notifications: OnboardingNotifications;
  /** Only when config.selfHosted (docs/platform-setup.md). */
  readonly platformSetup?: PlatformSetup;

  constructor(scope: Construct, id: string, props: PaletteOnboardingStackProps) {
    super(scope, id, {
      description: 'palette-onboarding: onboard tenants into Spectro Cloud Palette (Step Functions workflow)',
      ...props,
    });
    this.config = props.config;

    this.registry = new TenantRegistry(this, 'TenantRegistry');
    this.tenantSecrets = new TenantSecretsAccess(this, 'TenantSecretsAccess');
    const envRefs: EnvironmentRefs = {
      registryTableName: this.registry.table.tableName,
      tenantLeaseSeconds: TENANT_LEASE.toSeconds(),
      tenantSecretsRoleArn: this.tenantSecrets.role.roleArn,
    };
    this.functions = new OnboardingFunctions(this, 'Functions', {
      config: props.config,
      environment: lambdaEnvironment(props.config, envRefs),
      refs: { registryTableArn: this.registry.table.tableArn, tenantSecretsRoleArn: this.tenantSecrets.role.roleArn },
      tenantSecrets: this.tenantSecrets,
    });
    this.trigger = new OnboardingTrigger(this, 'Trigger', {
      eventBusName: props.config.eventBusName,
      logRetention: props.config.logRetentionDays,
      logLevel: props.config.logLevel,
      publishers: {
        publishers: props.config.allowedPublishers,
        ...(props.config.allowedPublisherOrganizationId ? { organizationId: props.config.allowedPublisherOrganizationId } : {}),
      },
    });
    this.notifications = new OnboardingNotifications(this, 'Notifications', { eventBusName: props.config.eventBusName });
    this.workflow = new OnboardingStateMachine(this, 'Workflow', {
      functions: this.functions.functions,
      registrationFunctions: this.functions.registrations,
      eventBus: this.notifications.bus,
      logRetention: props.config.logRetentionDays,
      executionTimeout: EXECUTION_TIMEOUT,
    });
    this.notifications.publishersOnly(this.workflow.stateMachine.role);
    const starts = this.trigger.startExecutionsOf(this.workflow.stateMachine);

    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'EventBusName', { value: this.trigger.eventBus.eventBusName });
    new CfnOutput(this, 'EventBusArn', { value: this.trigger.eventBus.eventBusArn });
    new CfnOutput(this, 'NotificationBusName', { value: this.notifications.bus.eventBusName });
    new CfnOutput(this, 'NotificationBusArn', { value: this.notifications.bus.eventBusArn });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.trigger.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'RequestQueueUrl', { value: starts.requestQueue.queueUrl });
    new CfnOutput(this, 'TenantRegistryTableName', { value: this.registry.table.tableName });

    // Self-hosted Palette: the PlatformSetup state machine (STS account, reverse proxy), also run at deploy.
    if (props.config.selfHosted) {
      this.platformSetup = new PlatformSetup(this, 'PlatformSetup', {
        config: props.config,
        environment: lambdaEnvironment(props.config, envRefs),
      });
      new CfnOutput(this, 'PlatformSetupStateMachineArn', { value: this.platformSetup.stateMachine.stateMachineArn });
    }
  }
}
