import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { OnboardingConfig } from '../config';
import { OnboardingFunctions } from '../constructs/onboarding-functions';
import { OnboardingStateMachine } from '../constructs/onboarding-state-machine';
import { OnboardingTrigger } from '../constructs/onboarding-trigger';
import { PlatformSetup } from '../constructs/platform-setup';
import { lambdaEnvironment } from '../lambda-environment';

export interface PaletteOnboardingStackProps extends StackProps {
  readonly config: OnboardingConfig;
}

/** The onboarding workflow: Lambdas, the state machine, and its EventBridge trigger. */
export class PaletteOnboardingStack extends Stack {
  readonly config: OnboardingConfig;
  readonly functions: OnboardingFunctions;
  readonly workflow: OnboardingStateMachine;
  readonly trigger: OnboardingTrigger;
  /** Only when config.selfHosted (docs/platform-setup.md). */
  readonly platformSetup?: PlatformSetup;

  constructor(scope: Construct, id: string, props: PaletteOnboardingStackProps) {
    super(scope, id, {
      description: 'palette-onboarding: onboard tenants into Spectro Cloud Palette (Step Functions workflow)',
      ...props,
    });
    this.config = props.config;

    this.functions = new OnboardingFunctions(this, 'Functions', {
      config: props.config,
      environment: lambdaEnvironment(props.config),
    });
    this.trigger = new OnboardingTrigger(this, 'Trigger', { eventBusName: props.config.eventBusName });
    this.workflow = new OnboardingStateMachine(this, 'Workflow', {
      functions: this.functions.functions,
      eventBus: this.trigger.eventBus,
      logRetention: props.config.logRetentionDays,
    });
    this.trigger.startExecutionsOf(this.workflow.stateMachine);

    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'EventBusName', { value: this.trigger.eventBus.eventBusName });
    new CfnOutput(this, 'EventBusArn', { value: this.trigger.eventBus.eventBusArn });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.trigger.deadLetterQueue.queueUrl });

    // Self-hosted Palette: the PlatformSetup state machine (STS account, reverse proxy), also run at deploy.
    if (props.config.selfHosted) {
      this.platformSetup = new PlatformSetup(this, 'PlatformSetup', {
        config: props.config,
        environment: lambdaEnvironment(props.config),
      });
      new CfnOutput(this, 'PlatformSetupStateMachineArn', { value: this.platformSetup.stateMachine.stateMachineArn });
    }
  }
}
