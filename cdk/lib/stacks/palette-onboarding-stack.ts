import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { loadAccountVendingTemplate, type OnboardingConfig } from '../config';
import { OnboardingFunctions } from '../constructs/onboarding-functions';
import { OnboardingNotifications } from '../constructs/onboarding-notifications';
import { OnboardingStateMachine } from '../constructs/onboarding-state-machine';
import { OffboardingStateMachine } from '../constructs/offboarding-state-machine';
import { RevalidationStateMachine } from '../constructs/revalidation-state-machine';
import { BulkStateMachine } from '../constructs/bulk-state-machine';
import { AccountVending } from '../constructs/account-vending';
import { OnboardingAlarms } from '../constructs/onboarding-alarms';
import { OnboardingTrigger } from '../constructs/onboarding-trigger';
import { PlatformSetup } from '../constructs/platform-setup';
import { ReverseProxyDns } from '../constructs/reverse-proxy-dns';
import { DeclaredTenants } from '../constructs/declared-tenants';
import { loadDeclaredTenants } from '../declared-tenants';
import { PaletteRateTable } from '../constructs/palette-rate-table';
import { TenantRegistry } from '../constructs/tenant-registry';
import { TenantSecretsAccess } from '../constructs/tenant-secrets-access';
import { lambdaEnvironment, SERVICE_NAME, type EnvironmentRefs } from '../lambda-environment';

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
  /** Palette's rate limit shared by every function (config.sharedPaletteRateLimit, the default). */
  readonly paletteRate?: PaletteRateTable;
  /** The role every access to a tenant's secrets goes through (one tenant per session). */
  readonly tenantSecrets: TenantSecretsAccess;
  readonly functions: OnboardingFunctions;
  readonly workflow: OnboardingStateMachine;
  /** The offboarding workflow (README "Offboarding"). */
  readonly offboarding: OffboardingStateMachine;
  /** Scheduled re-validation (drift detection; README "Re-validation"). */
  readonly revalidation: RevalidationStateMachine;
  /** Bulk onboarding from a manifest in S3 (README "Bulk onboarding"). */
  readonly bulk: BulkStateMachine;
  readonly trigger: OnboardingTrigger;
  /** The results bus (`<eventBusName>-notifications`); only the state machine may publish on it. */
  readonly notifications: OnboardingNotifications;
  /** CloudWatch alarms (README "Alarms and metrics"); another workflow: `alarms.watchStateMachine(name, stateMachine)`. */
  readonly alarms: OnboardingAlarms;
  /** Only when config.selfHosted (docs/platform-setup.md). */
  readonly platformSetup?: PlatformSetup;
  /** Only when config.accountVendingRequestTemplate (README "Account vending"). */
  readonly accountVending?: AccountVending;
  /** Only when config.tenantsDirectory (README "Declared tenants"). */
  readonly declaredTenants?: DeclaredTenants;

  constructor(scope: Construct, id: string, props: PaletteOnboardingStackProps) {
    super(scope, id, {
      description: 'palette-onboarding: onboard tenants into Spectro Cloud Palette (Step Functions workflow)',
      ...props,
    });
    this.config = props.config;

    this.registry = new TenantRegistry(this, 'TenantRegistry');
    this.tenantSecrets = new TenantSecretsAccess(this, 'TenantSecretsAccess');
    if (props.config.sharedPaletteRateLimit) this.paletteRate = new PaletteRateTable(this, 'PaletteRate');
    const rateTable = this.paletteRate?.table;
    const envRefs: EnvironmentRefs = {
      registryTableName: this.registry.table.tableName,
      tenantLeaseSeconds: TENANT_LEASE.toSeconds(),
      tenantSecretsRoleArn: this.tenantSecrets.role.roleArn,
      ...(rateTable ? { paletteRateTableName: rateTable.tableName } : {}),
    };
    this.functions = new OnboardingFunctions(this, 'Functions', {
      config: props.config,
      environment: lambdaEnvironment(props.config, envRefs),
      refs: {
        registryTableArn: this.registry.table.tableArn,
        tenantSecretsRoleArn: this.tenantSecrets.role.roleArn,
        ...(rateTable ? { paletteRateTableArn: rateTable.tableArn } : {}),
      },
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
    this.offboarding = new OffboardingStateMachine(this, 'Offboarding', {
      functions: this.functions.functions,
      eventBus: this.notifications.bus,
      logRetention: props.config.logRetentionDays,
      executionTimeout: EXECUTION_TIMEOUT,
    });
    this.revalidation = new RevalidationStateMachine(this, 'Revalidation', {
      functions: this.functions.functions,
      eventBus: this.notifications.bus,
      onboarding: this.workflow.stateMachine,
      settings: {
        apiKeyExpiryWarningDays: props.config.apiKeyExpiryWarningDays,
        staticKeyRotationDays: props.config.staticKeyRotationDays,
        remediate: props.config.remediate,
      },
      concurrency: props.config.revalidationConcurrency,
      schedule: props.config.revalidationSchedule,
      logRetention: props.config.logRetentionDays,
      executionTimeout: EXECUTION_TIMEOUT,
    });
    this.bulk = new BulkStateMachine(this, 'Bulk', { onboarding: this.workflow.stateMachine, logRetention: props.config.logRetentionDays });
    this.notifications.publishersOnly(this.workflow.stateMachine.role, this.offboarding.stateMachine.role, this.revalidation.stateMachine.role);
    const vendingTemplate = loadAccountVendingTemplate(props.config);
    const starts = this.trigger.startExecutionsOf(
      { onboarding: this.workflow.stateMachine, offboarding: this.offboarding.stateMachine },
      vendingTemplate && { templateJson: vendingTemplate.json, tenantIdFrom: props.config.accountVendingTenantIdFrom },
    );
    // Account vending: new accounts announced by Control Tower / Organizations are onboarded from the template.
    if (vendingTemplate) {
      this.accountVending = new AccountVending(this, 'AccountVending', {
        requestQueue: starts.requestQueue,
        deadLetterQueue: this.trigger.deadLetterQueue,
        starter: starts.starter,
        tenantIdFrom: props.config.accountVendingTenantIdFrom,
      });
    }
    this.alarms = new OnboardingAlarms(this, 'Alarms', {
      deadLetterQueue: this.trigger.deadLetterQueue,
      workflows: { Onboarding: this.workflow.stateMachine, Offboarding: this.offboarding.stateMachine, Revalidation: this.revalidation.stateMachine },
      serviceName: SERVICE_NAME,
      alarmTopicArn: props.config.alarmTopicArn,
    });

    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'OffboardingStateMachineArn', { value: this.offboarding.stateMachine.stateMachineArn });
    new CfnOutput(this, 'RevalidationStateMachineArn', { value: this.revalidation.stateMachine.stateMachineArn });
    new CfnOutput(this, 'BulkStateMachineArn', { value: this.bulk.stateMachine.stateMachineArn });
    new CfnOutput(this, 'BulkManifestBucketName', { value: this.bulk.manifestBucket.bucketName });
    new CfnOutput(this, 'EventBusName', { value: this.trigger.eventBus.eventBusName });
    new CfnOutput(this, 'EventBusArn', { value: this.trigger.eventBus.eventBusArn });
    new CfnOutput(this, 'NotificationBusName', { value: this.notifications.bus.eventBusName });
    new CfnOutput(this, 'NotificationBusArn', { value: this.notifications.bus.eventBusArn });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.trigger.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'RequestQueueUrl', { value: starts.requestQueue.queueUrl });
    new CfnOutput(this, 'TenantRegistryTableName', { value: this.registry.table.tableName });
    new CfnOutput(this, 'AlarmNames', { value: this.alarms.alarmNames });

    // Self-hosted Palette: the PlatformSetup state machine (STS account, reverse proxy), also run at deploy.
    if (props.config.selfHosted) {
      this.platformSetup = new PlatformSetup(this, 'PlatformSetup', {
        config: props.config,
        environment: lambdaEnvironment(props.config, envRefs),
      });
      new CfnOutput(this, 'PlatformSetupStateMachineArn', { value: this.platformSetup.stateMachine.stateMachineArn });
      if (props.config.reverseProxyDns) new ReverseProxyDns(this, 'ReverseProxyDns', { dns: props.config.reverseProxyDns });
    }

    // Declared tenants: onboarded on deploy, offboarded when removed from the folder.
    if (props.config.tenantsDirectory !== undefined) {
      this.declaredTenants = new DeclaredTenants(this, 'DeclaredTenants', {
        config: props.config,
        tenants: loadDeclaredTenants(props.config.tenantsDirectory),
        onboarding: this.workflow.stateMachine,
        offboarding: this.offboarding.stateMachine,
      });
      // Everything an execution uses exists (with its permissions) before the first one starts.
      this.declaredTenants.resource.node.addDependency(this.functions, this.registry, this.tenantSecrets, this.notifications);
      if (this.platformSetup?.deployRun) this.declaredTenants.resource.node.addDependency(this.platformSetup.deployRun);
    }
  }
}
