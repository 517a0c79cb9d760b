import { createHash } from 'node:crypto';
import {
  CustomResource,
  Duration,
  Stack,
  Validations,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_scheduler as scheduler,
  aws_scheduler_targets as schedulerTargets,
  aws_stepfunctions as sfn,
  aws_stepfunctions_tasks as tasks,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { IAM_PATH } from '../../../lambdas/domain/names';
import {
  DEFAULT_SYSTEM_CREDENTIALS_SECRET_NAME,
  STS_KEY_SECRET_NAME,
  STS_PRINCIPAL_USER_NAME,
} from '../../../lambdas/domain/platform';
import type { PlatformEnvInput } from '../../../lambdas/services/platform/env';
import type { OnboardingConfig } from '../config';
import { DEPLOY_ENV, NAG_ENV, deployTimeProvider, grantDescribeExecutions, type ArnEnv } from './deploy-time-provider';
import { OnboardingFunction } from './onboarding-function';
import { KEY_PROPAGATION_ERRORS, RETRYABLE_ERRORS } from '../../../lambdas/shared/retryable-errors';
import { stateRetry } from './workflow-tasks';

/**
 * Logical-id prefix of the PlatformSetup state machine (what the local runner's `stateMachine` selector takes).
 * The Provider framework's waiter state machine lives under `PlatformSetupDeployRun...` and does not match it.
 */
export const PLATFORM_SETUP_STATE_MACHINE = 'PlatformSetupWorkflow';

/** The one IAM user the platform setup manages (exact ARN: no wildcard). */
const stsUserArn = (e: ArnEnv) => `arn:${e.partition}:iam::${e.account}:user${IAM_PATH}${STS_PRINCIPAL_USER_NAME}`;
/** The same user while it does not exist yet: IAM authorizes a look-up by name (GetUser) against the ARN without a path. */
const stsUserArnByName = (e: ArnEnv) => `arn:${e.partition}:iam::${e.account}:user/${STS_PRINCIPAL_USER_NAME}`;

/**
 * ARN patterns of a secret known by complete/partial ARN or by name. Secrets Manager appends "-" and 6 random
 * characters to the name, so a name (or partial ARN) is matched with "-??????".
 */
function secretArns(idOrArn: string, lookUp = false): (e: ArnEnv) => string[] {
  if (idOrArn.startsWith('arn:')) return () => [idOrArn, `${idOrArn}-??????`];
  const named = (e: ArnEnv) => `arn:${e.partition}:secretsmanager:${e.region}:${e.account}:secret:${idOrArn}`;
  // DescribeSecret by name of a secret that does not exist yet is authorized against the ARN without the suffix.
  return (e) => [`${named(e)}-??????`, ...(lookUp ? [named(e)] : [])];
}

type SecretKind = 'system' | 'reverseProxy' | 'stsKey';

interface Grant {
  sid: string;
  actions: string[];
  resources: (e: ArnEnv) => string[];
}

interface PlatformHandlerSpec {
  /** Construct id (PascalCase). */
  readonly id: string;
  readonly description: string;
  readonly secrets: readonly { kind: SecretKind; actions: readonly string[] }[];
  /** IAM actions on the STS principal user (exact ARN). */
  readonly userActions: readonly string[];
}

const READ = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] as const;

/**
 * The PlatformSetup Lambdas, keyed by handler file `lambdas/handlers/<key>.ts`, each with exactly what its
 * state needs. The user's policy (EnsureStsUser) and its keys (EnsureAccessKey, RotateAccessKey) are managed by
 * different roles: none can both widen the user's permissions and obtain a key for it.
 */
export const PLATFORM_HANDLERS = {
  'platform-validate-input': {
    id: 'ValidateInput',
    description: 'Platform setup: validate the input and derive the plan',
    secrets: [],
    userActions: [],
  },
  'platform-check-reverse-proxy': {
    id: 'CheckReverseProxySecret',
    description: 'Platform setup: validate the reverse-proxy secret (before any Palette call)',
    secrets: [{ kind: 'reverseProxy', actions: READ }],
    userActions: [],
  },
  'platform-check-system-login': {
    id: 'CheckSystemLogin',
    description: "Platform setup: system console login; Palette's STS account before any change, and whose it is",
    secrets: [{ kind: 'system', actions: READ }],
    // Whose Palette's STS account is: a key of the STS principal (read-only).
    userActions: ['iam:ListAccessKeys'],
  },
  'platform-ensure-sts-user': {
    id: 'EnsureStsUser',
    description: 'Platform setup: the STS principal IAM user and its only policy',
    secrets: [],
    userActions: [
      'iam:GetUser',
      'iam:CreateUser',
      'iam:TagUser',
      'iam:GetUserPolicy',
      'iam:PutUserPolicy',
      'iam:ListUserPolicies',
      'iam:DeleteUserPolicy',
      'iam:ListAttachedUserPolicies',
      'iam:DetachUserPolicy',
    ],
  },
  'platform-ensure-access-key': {
    id: 'EnsureAccessKey',
    description: 'Platform setup: one active access key of the STS principal, stored in Secrets Manager',
    secrets: [
      {
        kind: 'stsKey',
        actions: ['secretsmanager:DescribeSecret', 'secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource'],
      },
    ],
    userActions: ['iam:ListAccessKeys', 'iam:CreateAccessKey', 'iam:UpdateAccessKey', 'iam:DeleteAccessKey'],
  },
  'platform-rotate-access-key': {
    id: 'RotateAccessKey',
    description: 'Platform setup: create and store the second access key (rotation)',
    secrets: [
      {
        kind: 'stsKey',
        actions: ['secretsmanager:DescribeSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource'],
      },
    ],
    userActions: ['iam:ListAccessKeys', 'iam:CreateAccessKey', 'iam:DeleteAccessKey'],
  },
  'platform-register-sts-account': {
    id: 'RegisterStsAccount',
    description: "Platform setup: set Palette's system STS account to the stored key, read back and verify",
    secrets: [
      { kind: 'system', actions: READ },
      { kind: 'stsKey', actions: READ },
    ],
    userActions: [],
  },
  'platform-cleanup-access-keys': {
    id: 'CleanupAccessKeys',
    description: 'Platform setup: delete access keys neither the secret nor Palette use',
    secrets: [
      { kind: 'system', actions: READ },
      { kind: 'stsKey', actions: ['secretsmanager:DescribeSecret'] },
    ],
    userActions: ['iam:ListAccessKeys', 'iam:DeleteAccessKey'],
  },
  'platform-configure-reverse-proxy': {
    id: 'ConfigureReverseProxy',
    description: "Platform setup: set Palette's reverse proxy from the validated secret, read back",
    secrets: [
      { kind: 'system', actions: READ },
      { kind: 'reverseProxy', actions: READ },
    ],
    userActions: [],
  },
  'platform-undo-sts-principal': {
    id: 'UndoStsPrincipal',
    description: 'Platform setup compensation: remove what this execution created, never a key Palette uses',
    secrets: [
      { kind: 'system', actions: READ },
      {
        kind: 'stsKey',
        actions: [...READ, 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource', 'secretsmanager:DeleteSecret'],
      },
    ],
    userActions: [
      'iam:GetUser',
      'iam:ListAccessKeys',
      'iam:DeleteAccessKey',
      'iam:ListUserPolicies',
      'iam:DeleteUserPolicy',
      'iam:ListAttachedUserPolicies',
      'iam:DetachUserPolicy',
      'iam:DeleteUser',
    ],
  },
} as const satisfies Record<string, PlatformHandlerSpec>;

export type PlatformHandlerName = keyof typeof PLATFORM_HANDLERS;
export const PLATFORM_HANDLER_NAMES = Object.keys(PLATFORM_HANDLERS) as PlatformHandlerName[];

/** Custom resource handlers (Provider framework user functions). */
export const DEPLOY_HANDLERS = {
  onEvent: 'platform-deploy-start',
  isComplete: 'platform-deploy-status',
} as const;

/** Retry of a state whose key IAM may still be propagating: 5 s, x1.5, 8 attempts (about 3 minutes). */
const KEY_PROPAGATION_RETRY: sfn.RetryProps = {
  errors: [...KEY_PROPAGATION_ERRORS],
  interval: Duration.seconds(5),
  backoffRate: 1.5,
  maxAttempts: 8,
};
/** A platform Lambda makes a few Palette calls of up to 20 s each (client retry budget). */
const FUNCTION_TIMEOUT = Duration.seconds(120);
const TASK_TIMEOUT = sfn.Timeout.duration(Duration.seconds(150));
const CATCH_ALL = [sfn.Errors.ALL];

export interface PlatformSetupProps {
  readonly config: OnboardingConfig;
  /** The shared Lambda environment (lambdaEnvironment(config)); the platform secrets are added to it. */
  readonly environment: Record<string, string>;
  /** Start an execution at deploy through a custom resource. Default true. */
  readonly runAtDeploy?: boolean;
}

/**
 * Self-hosted Palette platform setup (docs/platform-setup.md): the `PlatformSetup` Standard state machine with
 * one Lambda per Task state, compensation of what an execution created, an optional key-rotation schedule
 * (EventBridge Scheduler), and a custom resource (Provider framework, async completion) that runs it at deploy.
 */
export class PlatformSetup extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly functions: Readonly<Record<PlatformHandlerName, OnboardingFunction>>;
  readonly logGroup: logs.LogGroup;
  readonly rotationSchedule?: scheduler.Schedule;
  readonly deployRun?: CustomResource;

  constructor(scope: Construct, id: string, props: PlatformSetupProps) {
    super(scope, id);
    const { config } = props;
    const secretIds: Record<SecretKind, string | undefined> = {
      system: config.paletteSystemSecretArn ?? DEFAULT_SYSTEM_CREDENTIALS_SECRET_NAME,
      reverseProxy: config.reverseProxySecretArn,
      stsKey: STS_KEY_SECRET_NAME,
    };
    const platformEnv: Pick<PlatformEnvInput, 'PALETTE_SYSTEM_SECRET_ARN' | 'PALETTE_REVERSE_PROXY_SECRET_ARN' | 'PALETTE_STS_ASSUMABLE_ROLE_PATTERNS'> = {
      PALETTE_SYSTEM_SECRET_ARN: secretIds.system,
      ...(secretIds.reverseProxy ? { PALETTE_REVERSE_PROXY_SECRET_ARN: secretIds.reverseProxy } : {}),
      ...(config.platformAssumableRolePatterns.length > 0
        ? { PALETTE_STS_ASSUMABLE_ROLE_PATTERNS: JSON.stringify(config.platformAssumableRolePatterns) }
        : {}),
    };
    const environment: Record<string, string> = { ...props.environment, ...platformEnv };

    const built = {} as Record<PlatformHandlerName, OnboardingFunction>;
    const functionsScope = new Construct(this, 'Functions');
    for (const name of PLATFORM_HANDLER_NAMES) {
      const spec: PlatformHandlerSpec = PLATFORM_HANDLERS[name];
      const fn = new OnboardingFunction(functionsScope, spec.id, {
        handler: name,
        description: `palette-onboarding: ${spec.description}`,
        environment,
        logRetention: config.logRetentionDays,
        timeout: FUNCTION_TIMEOUT,
        // The functions that log in to the system console call Palette (VPC placement, CA bundle: palette-connection.ts).
        ...(spec.secrets.some((x) => x.kind === 'system') ? { palette: config } : {}),
      });
      const grants: Grant[] = [];
      for (const s of spec.secrets) {
        const secretId = secretIds[s.kind];
        // No reverse-proxy secret configured: the reverse-proxy states never run, so they get no grant.
        if (!secretId) continue;
        const lookUp = s.actions.includes('secretsmanager:DescribeSecret');
        grants.push({ sid: `${s.kind[0]?.toUpperCase()}${s.kind.slice(1)}Secret`, actions: [...s.actions], resources: secretArns(secretId, lookUp) });
      }
      if (spec.userActions.length > 0) {
        grants.push({ sid: 'StsPrincipalUser', actions: [...spec.userActions], resources: (e) => [stsUserArn(e), stsUserArnByName(e)] });
      }
      applyGrants(fn.role, grants);
      built[name] = fn;
    }
    this.functions = built;
    const fns = (name: PlatformHandlerName): lambda.IFunction => built[name].function;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-platform-setup`,
      retention: config.logRetentionDays,
    });
    this.stateMachine = this.buildStateMachine(fns);

    if (config.stsKeyRotationDays !== undefined) {
      this.rotationSchedule = new scheduler.Schedule(this, 'RotationSchedule', {
        description: `palette-onboarding: rotate the Palette STS principal access key every ${config.stsKeyRotationDays} days`,
        schedule: scheduler.ScheduleExpression.rate(Duration.days(config.stsKeyRotationDays)),
        target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, {
          input: scheduler.ScheduleTargetInput.fromObject({ rotateAccessKey: true }),
          retryAttempts: 10,
          maxEventAge: Duration.hours(6),
        }),
      });
    }

    if (props.runAtDeploy ?? true) this.deployRun = this.buildDeployRun(config, environment, secretIds);
  }

  private buildStateMachine(fns: (name: PlatformHandlerName) => lambda.IFunction): sfn.StateMachine {
    const invoke = (stateName: string, handler: PlatformHandlerName, resultPath: string): sfn.TaskStateBase =>
      new tasks.LambdaInvoke(this, stateName, {
        lambdaFunction: fns(handler),
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        taskTimeout: TASK_TIMEOUT,
        resultPath,
        // The onboarding contract's retry list and schedule (lambdas/shared/retryable-errors.ts).
      }).addRetry(stateRetry(RETRYABLE_ERRORS));

    const failed = new sfn.Fail(this, 'Failed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });

    // ---- compensation: only the STS principal can have been created by an execution ----------------------
    const undo = invoke('UndoStsPrincipal', 'platform-undo-sts-principal', '$.compensation.principal');
    undo.addCatch(failed, { errors: CATCH_ALL, resultPath: '$.compensation.principalError' });
    undo.next(failed);
    const compensate = <T extends sfn.TaskStateBase>(state: T): T => {
      state.addCatch(undo, { errors: CATCH_ALL, resultPath: '$.error' });
      return state;
    };
    /** Before anything exists: fail directly. */
    const failFast = <T extends sfn.TaskStateBase>(state: T): T => {
      state.addCatch(failed, { errors: CATCH_ALL, resultPath: '$.error' });
      return state;
    };

    const init = new sfn.Pass(this, 'Init', {
      parameters: {
        raw: sfn.JsonPath.entirePayload,
        execution: { name: sfn.JsonPath.executionName, startTime: sfn.JsonPath.executionStartTime },
        compensation: {},
      },
    });
    const validate = failFast(invoke('ValidateInput', 'platform-validate-input', '$.job'));
    const checkProxy = failFast(invoke('CheckReverseProxySecret', 'platform-check-reverse-proxy', '$.reverseProxyCheck'));
    const checkLogin = failFast(invoke('CheckSystemLogin', 'platform-check-system-login', '$.paletteBefore'));
    const ensureUser = compensate(invoke('EnsureStsUser', 'platform-ensure-sts-user', '$.principal'));
    const ensureKey = compensate(invoke('EnsureAccessKey', 'platform-ensure-access-key', '$.accessKey'));
    const rotate = compensate(invoke('RotateAccessKey', 'platform-rotate-access-key', '$.rotation'));
    const skipRotation = new sfn.Pass(this, 'SkipRotation', { result: sfn.Result.fromObject({ skipped: true }), resultPath: '$.rotation' });
    const register = compensate(invoke('RegisterStsAccount', 'platform-register-sts-account', '$.registration'));
    register.addRetry(KEY_PROPAGATION_RETRY);
    const cleanup = compensate(invoke('CleanupAccessKeys', 'platform-cleanup-access-keys', '$.keyCleanup'));
    const configureProxy = compensate(invoke('ConfigureReverseProxy', 'platform-configure-reverse-proxy', '$.reverseProxy'));
    const skipProxy = new sfn.Pass(this, 'SkipReverseProxy', { result: sfn.Result.fromObject({ skipped: true }), resultPath: '$.reverseProxy' });

    // Palette's STS account is not this deployment's and the input does not say takeOver: report, leave it alone.
    const leaveAlone = new sfn.Pass(this, 'LeaveStsAccountAlone', {
      resultPath: '$.registration',
      parameters: { leftAlone: true, changed: false, paletteStsAccount: sfn.JsonPath.objectAt('$.paletteBefore') },
    });

    // Identifiers only (ARNs, key ids, fingerprints), never secret values.
    const summary = new sfn.Pass(this, 'BuildSummary', {
      resultPath: '$.summary',
      parameters: {
        stsAccountStatus: 'registered',
        executionName: sfn.JsonPath.stringAt('$.execution.name'),
        accountId: sfn.JsonPath.stringAt('$.registration.accountId'),
        partition: sfn.JsonPath.stringAt('$.job.plan.partition'),
        userArn: sfn.JsonPath.stringAt('$.principal.userArn'),
        accessKeyId: sfn.JsonPath.stringAt('$.registration.accessKeyId'),
        accessKeySecretArn: sfn.JsonPath.stringAt('$.accessKey.secretArn'),
        principal: sfn.JsonPath.objectAt('$.principal'),
        accessKey: sfn.JsonPath.objectAt('$.accessKey'),
        rotation: sfn.JsonPath.objectAt('$.rotation'),
        registration: sfn.JsonPath.objectAt('$.registration'),
        keyCleanup: sfn.JsonPath.objectAt('$.keyCleanup'),
        reverseProxy: sfn.JsonPath.objectAt('$.reverseProxy'),
      },
    });
    const leftAloneSummary = new sfn.Pass(this, 'BuildLeftAloneSummary', {
      resultPath: '$.summary',
      parameters: {
        stsAccountStatus: 'left-alone',
        executionName: sfn.JsonPath.stringAt('$.execution.name'),
        partition: sfn.JsonPath.stringAt('$.job.plan.partition'),
        userArn: sfn.JsonPath.stringAt('$.job.plan.userArn'),
        registration: sfn.JsonPath.objectAt('$.registration'),
        reverseProxy: sfn.JsonPath.objectAt('$.reverseProxy'),
      },
    });
    const done = new sfn.Succeed(this, 'Done', { outputPath: '$.summary' });
    const leftAlone = sfn.Condition.booleanEquals('$.paletteBefore.leaveAlone', true);

    const reverseProxyWanted = sfn.Condition.booleanEquals('$.job.plan.configureReverseProxy', true);
    checkProxy.next(checkLogin);
    const preflightProxy = new sfn.Choice(this, 'ShouldCheckReverseProxy').when(reverseProxyWanted, checkProxy).otherwise(checkLogin);
    checkLogin.next(new sfn.Choice(this, 'IsStsAccountOurs').when(leftAlone, leaveAlone).otherwise(ensureUser));
    ensureUser.next(ensureKey);
    const shouldRotate = new sfn.Choice(this, 'ShouldRotate')
      .when(sfn.Condition.booleanEquals('$.job.plan.rotateAccessKey', true), rotate)
      .otherwise(skipRotation);
    ensureKey.next(shouldRotate);
    rotate.next(register);
    skipRotation.next(register);
    register.next(cleanup);
    const shouldConfigureProxy = new sfn.Choice(this, 'ShouldConfigureReverseProxy')
      .when(reverseProxyWanted, configureProxy)
      .otherwise(skipProxy);
    cleanup.next(shouldConfigureProxy);
    leaveAlone.next(shouldConfigureProxy);
    const whichSummary = new sfn.Choice(this, 'WasStsAccountLeftAlone').when(leftAlone, leftAloneSummary).otherwise(summary);
    configureProxy.next(whichSummary);
    skipProxy.next(whichSummary);
    summary.next(done);
    leftAloneSummary.next(done);
    init.next(validate);
    validate.next(preflightProxy);

    const stateMachine = new sfn.StateMachine(this, 'Workflow', {
      definitionBody: sfn.DefinitionBody.fromChainable(init),
      stateMachineType: sfn.StateMachineType.STANDARD,
      timeout: Duration.minutes(30),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      comment: 'palette-onboarding: self-hosted Palette platform setup (docs/platform-setup.md)',
    });
    Validations.of(stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray tracing and CloudWatch Logs vended delivery (logs:CreateLogDelivery etc.) do not support resource-level permissions.',
    });
    for (const name of PLATFORM_HANDLER_NAMES) {
      const fn = fns(name);
      Validations.of(stateMachine.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(fn.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
        reason: 'lambda:InvokeFunction on the workflow function and its versions/aliases (ARN + ":*"), as granted by the LambdaInvoke task.',
      });
    }
    return stateMachine;
  }

  /** Custom resource that runs the setup at deploy: onEvent starts an execution, isComplete polls it. */
  private buildDeployRun(config: OnboardingConfig, environment: Record<string, string>, secretIds: Record<SecretKind, string | undefined>): CustomResource {
    const onEvent = new OnboardingFunction(this, 'DeployStart', {
      handler: DEPLOY_HANDLERS.onEvent,
      description: 'palette-onboarding: custom resource onEvent, starts the platform setup at deploy',
      environment,
      logRetention: config.logRetentionDays,
    });
    onEvent.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'StartPlatformSetup', actions: ['states:StartExecution'], resources: [this.stateMachine.stateMachineArn] }),
    );
    const isComplete = new OnboardingFunction(this, 'DeployStatus', {
      handler: DEPLOY_HANDLERS.isComplete,
      description: 'palette-onboarding: custom resource isComplete, polls the platform setup execution',
      environment,
      logRetention: config.logRetentionDays,
    });
    grantDescribeExecutions(
      isComplete.role,
      'DescribePlatformSetupExecutions',
      [this.stateMachine],
      'Executions of the PlatformSetup state machine only; execution names are chosen per CloudFormation request at run time.',
    );
    const provider = deployTimeProvider(this, 'Deploy', {
      onEvent: onEvent.function,
      isComplete: isComplete.function,
      logRetention: config.logRetentionDays,
      waiterLogName: 'platform-setup-waiter',
      queryInterval: Duration.seconds(15),
      totalTimeout: Duration.minutes(45),
    });

    return new CustomResource(this, 'DeployRun', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::PalettePlatformSetup',
      properties: {
        StateMachineArn: this.stateMachine.stateMachineArn,
        Input: JSON.stringify(config.platformStsTakeOver ? { takeOver: true } : {}),
        // A change of what the setup works from starts a new execution (CloudFormation Update).
        ConfigVersion: createHash('sha256')
          .update(
            JSON.stringify([
              config.paletteEndpoint,
              secretIds.system,
              secretIds.reverseProxy ?? null,
              ...(config.platformAssumableRolePatterns.length > 0 || config.platformStsTakeOver
                ? [config.platformAssumableRolePatterns, config.platformStsTakeOver]
                : []),
            ]),
          )
          .digest('hex')
          .slice(0, 16),
      },
    });
  }
}

/** Adds the grants to the role and acknowledges each wildcard resource (cdk-nag IAM5) next to it. */
function applyGrants(role: iam.Role, grants: Grant[]): void {
  for (const g of grants) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: g.sid, actions: g.actions, resources: g.resources(DEPLOY_ENV) }));
    for (const flattened of g.resources(NAG_ENV)) {
      if (!flattened.includes('*') && !flattened.includes('?')) continue;
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${flattened}]`,
        reason: 'One Secrets Manager secret: "-??????" only matches the random 6-character suffix Secrets Manager appends to its name.',
      });
    }
  }
}
