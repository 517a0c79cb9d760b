import {
  Duration,
  Stack,
  Validations,
  aws_events as events,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_stepfunctions as sfn,
  aws_stepfunctions_tasks as tasks,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { REGISTRATION_KEYS, REGISTRATIONS, type RegistrationKey } from '../../../lambdas/domain/registrations';
import { ONBOARDING_EVENTS } from '../events';
import {
  EVENTBRIDGE_RETRYABLE_ERRORS,
  RETRYABLE_ERRORS,
  RETRY_POLICY,
  TRANSIENT_ERRORS,
} from '../../../lambdas/shared/retryable-errors';
import type { HandlerName } from './onboarding-functions';

/**
 * The retry lists and the schedule are defined once, in lambdas/shared/retryable-errors.ts (the services read the
 * same lists); re-exported for the CDK code and tests.
 */
export { EVENTBRIDGE_RETRYABLE_ERRORS, LAMBDA_SERVICE_ERRORS, RETRYABLE_ERRORS, RETRY_POLICY } from '../../../lambdas/shared/retryable-errors';
/** Named handler errors the state machine retries (docs/workflow-contract.md "Errors"). */
export const RETRYABLE_HANDLER_ERRORS = TRANSIENT_ERRORS;

/**
 * The state-level retry of a list of error names: capped exponential backoff with full jitter (RETRY_POLICY:
 * 2 s, x2, capped at 60 s, 10 retries; the caps sum to 362 s, more than a 5-minute outage).
 */
export function stateRetry(errors: readonly string[]): sfn.RetryProps {
  return {
    errors: [...errors],
    interval: Duration.seconds(RETRY_POLICY.intervalSeconds),
    backoffRate: RETRY_POLICY.backoffRate,
    maxDelay: Duration.seconds(RETRY_POLICY.maxDelaySeconds),
    maxAttempts: RETRY_POLICY.maxAttempts,
    jitterStrategy: sfn.JitterType.FULL,
  };
}

/** Each Lambda may run up to its own timeout (60 s); the task gives it room for a cold start on top. */
const LAMBDA_TASK_TIMEOUT = sfn.Timeout.duration(Duration.seconds(90));
const NOTIFY_TASK_TIMEOUT = sfn.Timeout.duration(Duration.seconds(30));

const CATCH_ALL = [sfn.Errors.ALL];

export interface OnboardingStateMachineProps {
  /** Every workflow function by handler name (OnboardingFunctions.functions). */
  readonly functions: Readonly<Record<HandlerName, lambda.IFunction>>;
  /** The ensure function of every registration kind (OnboardingFunctions.registrations). */
  readonly registrationFunctions: Readonly<Record<RegistrationKey, lambda.IFunction>>;
  /**
   * Bus that receives the success / failure notifications: the notifications bus, never the onboarding bus on
   * which requests arrive (cdk/lib/events.ts).
   */
  readonly eventBus: events.IEventBus;
  readonly logRetention: logs.RetentionDays;
  /** Whole-execution limit. Default 1 hour (readiness budget max 15 min + retries). */
  readonly executionTimeout?: Duration;
}

/**
 * The onboarding workflow, exactly as specified in docs/workflow-contract.md: a Standard state machine in
 * which every Lambda task gets the whole state document (payloadResponseOnly) and its result is stored
 * under the task's ResultPath; failures after validation run the compensation chain in reverse order.
 */
export class OnboardingStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: OnboardingStateMachineProps) {
    super(scope, id);
    const fns = props.functions;

    const invokeFunction = (
      stateName: string,
      fn: lambda.IFunction,
      opts: { resultPath?: string; payload?: sfn.TaskInput; resultSelector?: Record<string, unknown> } = {},
    ): sfn.TaskStateBase =>
      // Every Lambda task, the compensation (Undo*) and release states included, retries the one retryable list:
      // transient errors, Lambda service errors (a crashed or timed-out invocation too) and the task timeout. Every
      // step is idempotent, so running it again is safe.
      new tasks.LambdaInvoke(this, stateName, {
        lambdaFunction: fn,
        payloadResponseOnly: true,
        // Replaced by the contract's retry policy below (the built-in one has no jitter).
        retryOnServiceExceptions: false,
        taskTimeout: LAMBDA_TASK_TIMEOUT,
        ...(opts.resultPath ? { resultPath: opts.resultPath } : {}),
        ...(opts.payload ? { payload: opts.payload } : {}),
        ...(opts.resultSelector ? { resultSelector: opts.resultSelector } : {}),
      }).addRetry(stateRetry(RETRYABLE_ERRORS));
    const invoke = (stateName: string, handler: HandlerName, resultPath?: string): sfn.TaskStateBase =>
      invokeFunction(stateName, fns[handler], resultPath ? { resultPath } : {});
    /** ReleaseTenant: the execution's outcome into the tenant registry, and the tenant's lease released. */
    const releaseTenant = (stateName: string, outcome: 'SUCCEEDED' | 'FAILED', resultPath: string): sfn.TaskStateBase =>
      invokeFunction(stateName, fns['release-tenant'], {
        resultPath,
        payload: sfn.TaskInput.fromObject({
          execution: sfn.JsonPath.objectAt('$.execution'),
          job: sfn.JsonPath.objectAt('$.job'),
          outcome,
          ...(outcome === 'FAILED' ? { error: sfn.JsonPath.objectAt('$.error') } : {}),
        }),
      });

    const notify = (stateName: string, detailType: string, detail: sfn.TaskInput): sfn.TaskStateBase =>
      new tasks.EventBridgePutEvents(this, stateName, {
        entries: [{ eventBus: props.eventBus, source: ONBOARDING_EVENTS.source, detailType, detail }],
        resultPath: sfn.JsonPath.DISCARD,
        taskTimeout: NOTIFY_TASK_TIMEOUT,
      }).addRetry(stateRetry(EVENTBRIDGE_RETRYABLE_ERRORS));

    // ---- failure path: compensation chain (reverse order), notification, Fail ----------------------
    const failed = new sfn.Fail(this, 'Failed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    const notifyFailure = notify(
      'NotifyFailure',
      ONBOARDING_EVENTS.failed,
      sfn.TaskInput.fromObject({
        tenantId: sfn.JsonPath.stringAt('$.failureContext.tenantId'),
        executionName: sfn.JsonPath.stringAt('$.execution.name'),
        // The state that failed (every catch records it in $.failureContext.step).
        step: sfn.JsonPath.stringAt('$.failureContext.step'),
        error: sfn.JsonPath.stringAt('$.error.Error'),
        cause: sfn.JsonPath.stringAt('$.error.Cause'),
        compensation: sfn.JsonPath.objectAt('$.compensation'),
      }),
    );
    // If even the failure notification cannot be sent, still end in Failed with the original error.
    notifyFailure.addCatch(failed, { errors: CATCH_ALL, resultPath: '$.notificationError' });
    notifyFailure.next(failed);

    // Every exit after AcquireTenant releases the tenant (a no-op for an execution that never held its lease).
    const releaseTenantOnFailure = releaseTenant('ReleaseTenantOnFailure', 'FAILED', '$.compensation.tenant');
    releaseTenantOnFailure.addCatch(notifyFailure, { errors: CATCH_ALL, resultPath: '$.compensation.tenantError' });
    releaseTenantOnFailure.next(notifyFailure);

    const undoBucket = invoke('UndoBucket', 'undo-bucket', '$.compensation.bucket');
    const undoBackupPolicy = invoke('UndoBackupPolicy', 'undo-backup-policy', '$.compensation.policy');
    const undoPrincipal = invoke('UndoPrincipal', 'undo-principal', '$.compensation.principal');
    const undoRegistrations = invoke('UndoRegistrations', 'undo-registrations', '$.compensation.registrations');
    const chain: [sfn.TaskStateBase, string, sfn.IChainable][] = [
      [undoRegistrations, 'registrations', undoPrincipal],
      [undoPrincipal, 'principal', undoBackupPolicy],
      [undoBackupPolicy, 'policy', undoBucket],
      [undoBucket, 'bucket', releaseTenantOnFailure],
    ];
    for (const [undo, step, next] of chain) {
      // One failed undo never stops the others.
      undo.addCatch(next, { errors: CATCH_ALL, resultPath: `$.compensation.${step}Error` });
      undo.next(next);
    }
    /** A Pass recording which state failed ($.failureContext.step, for the failure event), then `next`. */
    const failedAt = (step: string, next: sfn.IChainable): sfn.Pass => {
      const pass = new sfn.Pass(this, `${step}FailedAt`, { result: sfn.Result.fromString(step), resultPath: '$.failureContext.step' });
      pass.next(next);
      return pass;
    };
    const compensate = <T extends sfn.TaskStateBase | sfn.Parallel>(state: T): T => {
      state.addCatch(failedAt(state.node.id, undoRegistrations), { errors: CATCH_ALL, resultPath: '$.error' });
      return state;
    };

    /**
     * A branch task of a Parallel catches its own failure and ends its branch with {failed, Error, Cause}, so
     * the Parallel finishes only when EVERY branch has settled: no branch is still creating something while
     * compensation runs. `checkBranches` then sends the first failure (in branch order) to compensation.
     */
    const settle = <T extends sfn.TaskStateBase>(task: T, stateId: string): T => {
      task.addCatch(
        new sfn.Pass(this, `${stateId}Failed`, {
          parameters: { failed: true, 'Error.$': '$.caught.Error', 'Cause.$': '$.caught.Cause' },
        }),
        { errors: CATCH_ALL, resultPath: '$.caught' },
      );
      return task;
    };
    const checkBranches = (id: string, resultPath: string, parts: readonly string[], stepOf: (part: string) => string, next: sfn.IChainable): sfn.Choice => {
      const choice = new sfn.Choice(this, id);
      for (const part of parts) {
        const toError = new sfn.Pass(this, `${id}${part.charAt(0).toUpperCase()}${part.slice(1)}Error`, {
          parameters: { 'Error.$': `${resultPath}.${part}.Error`, 'Cause.$': `${resultPath}.${part}.Cause` },
          resultPath: '$.error',
        });
        toError.next(failedAt(stepOf(part), undoRegistrations));
        choice.when(sfn.Condition.isPresent(`${resultPath}.${part}.failed`), toError);
      }
      return choice.otherwise(next);
    };

    // ---- happy path -----------------------------------------------------------------------------------
    // The state holds the input ONCE (`raw`) until ValidateRequest has turned it into the plan; from then on only
    // the plan (docs/workflow-contract.md "State data layout"). Step Functions' 256 KB state limit is not catchable.
    const init = new sfn.Pass(this, 'Init', {
      parameters: {
        raw: sfn.JsonPath.entirePayload,
        execution: { name: sfn.JsonPath.executionName, startTime: sfn.JsonPath.executionStartTime },
        // Seeded so the failure notification can always reference them, even when validation failed:
        compensation: {},
        // The tenant id the failure event reports; null until known (a literal null would be dropped from
        // Parameters, so it is parsed at run time).
        failureContext: { tenantId: sfn.JsonPath.stringToJson('null'), step: 'ValidateRequest' },
      },
    });

    // The normalized request is not kept: every later state works from the plan.
    const validateRequest = invokeFunction('ValidateRequest', fns['validate-request'], {
      resultPath: '$.job',
      resultSelector: { plan: sfn.JsonPath.objectAt('$.plan') },
    });
    // Nothing exists yet: no compensation. The failure event names the request's tenant id when it has a string one
    // (Choice first: a missing path would be an uncatchable runtime error); that Pass drops the input, so a copied
    // tenant id never doubles the state.
    const failureTenantId = new sfn.Pass(this, 'FailureTenantId', {
      parameters: {
        execution: sfn.JsonPath.objectAt('$.execution'),
        compensation: sfn.JsonPath.objectAt('$.compensation'),
        error: sfn.JsonPath.objectAt('$.error'),
        failureContext: { tenantId: sfn.JsonPath.stringAt('$.raw.tenantId'), step: 'ValidateRequest' },
      },
    }).next(notifyFailure);
    const requestTenantId = new sfn.Choice(this, 'RequestTenantId')
      .when(sfn.Condition.not(sfn.Condition.isPresent('$.raw.tenantId')), notifyFailure)
      .when(sfn.Condition.isString('$.raw.tenantId'), failureTenantId)
      .otherwise(notifyFailure);
    validateRequest.addCatch(requestTenantId, { errors: CATCH_ALL, resultPath: '$.error' });
    // Validated: the raw input is dropped; the plan carries everything later states need.
    const dropInput = new sfn.Pass(this, 'DropInput', {
      parameters: {
        execution: sfn.JsonPath.objectAt('$.execution'),
        job: sfn.JsonPath.objectAt('$.job'),
        compensation: sfn.JsonPath.objectAt('$.compensation'),
        failureContext: { tenantId: sfn.JsonPath.stringAt('$.job.plan.tenantId'), step: 'AcquireTenant' },
      },
    });
    // Binding, lease and names in the tenant registry; nothing else exists yet, so a failure only releases.
    const acquireTenant = invoke('AcquireTenant', 'acquire-tenant', '$.admission');
    acquireTenant.addCatch(releaseTenantOnFailure, { errors: CATCH_ALL, resultPath: '$.error' });

    const readPaletteIdentity = compensate(invoke('ReadPaletteIdentity', 'read-palette-identity', '$.palette'));

    const tenantResources = compensate(
      new sfn.Parallel(this, 'TenantResources', {
        resultPath: '$.tenant',
        resultSelector: { bucket: sfn.JsonPath.objectAt('$[0]'), policy: sfn.JsonPath.objectAt('$[1]') },
      })
        .branch(settle(invoke('EnsureBucket', 'ensure-bucket'), 'EnsureBucket'))
        .branch(settle(invoke('EnsureBackupPolicy', 'ensure-backup-policy'), 'EnsureBackupPolicy')),
    );

    const ensureStsRole = compensate(invoke('EnsureStsRole', 'ensure-sts-role', '$.principal'));
    const ensureStaticUser = compensate(invoke('EnsureStaticUser', 'ensure-static-user', '$.principal'));
    const choosePrincipal = new sfn.Choice(this, 'ChoosePrincipal')
      .when(sfn.Condition.stringEquals('$.job.plan.credentialMode', 'static'), ensureStaticUser)
      .otherwise(ensureStsRole);

    const checkReadiness = compensate(invoke('CheckReadiness', 'check-readiness', '$.readiness'));
    const waitForPropagation = new sfn.Wait(this, 'WaitForPropagation', {
      time: sfn.WaitTime.secondsPath('$.readiness.waitSeconds'),
    });
    waitForPropagation.next(checkReadiness);
    ensureStsRole.next(checkReadiness);
    ensureStaticUser.next(checkReadiness);

    // One branch per registration kind (lambdas/domain/registrations.ts): its ensure step runs only when the plan
    // has that registration, else the branch records {skipped: true}. Every kind's function gets the same small input.
    const registrationBranch = (key: RegistrationKey): sfn.IChainable => {
      const state = REGISTRATIONS[key].state;
      const task = invokeFunction(state, props.registrationFunctions[key], {
        payload: sfn.TaskInput.fromObject({
          registration: key,
          execution: sfn.JsonPath.objectAt('$.execution'),
          job: sfn.JsonPath.objectAt('$.job'),
          palette: sfn.JsonPath.objectAt('$.palette'),
          principal: sfn.JsonPath.objectAt('$.principal'),
        }),
      });
      return new sfn.Choice(this, `Should${state.replace(/^Ensure/, 'Register')}`)
        .when(sfn.Condition.isPresent(`$.job.plan.registrations.${key}`), settle(task, state))
        .otherwise(new sfn.Pass(this, `Skip${state.replace(/^Ensure/, '')}`, { result: sfn.Result.fromObject({ skipped: true }) }));
    };
    const registrationsParallel = new sfn.Parallel(this, 'Registrations', {
      resultPath: '$.registrations',
      resultSelector: Object.fromEntries(REGISTRATION_KEYS.map((key, i) => [key, sfn.JsonPath.objectAt(`$[${i}]`)])),
    });
    for (const key of REGISTRATION_KEYS) registrationsParallel.branch(registrationBranch(key));
    const registrations = compensate(registrationsParallel);

    const isReady = new sfn.Choice(this, 'IsReady')
      .when(sfn.Condition.booleanEquals('$.readiness.ready', true), registrations)
      .otherwise(waitForPropagation);
    checkReadiness.next(isReady);

    const verifyRegistrations = compensate(invoke('VerifyRegistrations', 'verify-registrations', '$.verification'));

    // Identifiers only (uids, ARNs, names, secret ARNs), never secret values.
    const buildSummary = new sfn.Pass(this, 'BuildSummary', {
      resultPath: '$.summary',
      parameters: {
        tenantId: sfn.JsonPath.stringAt('$.job.plan.tenantId'),
        executionName: sfn.JsonPath.stringAt('$.execution.name'),
        accountId: sfn.JsonPath.stringAt('$.job.plan.target.accountId'),
        region: sfn.JsonPath.stringAt('$.job.plan.target.region'),
        partition: sfn.JsonPath.stringAt('$.job.plan.target.partition'),
        credentialMode: sfn.JsonPath.stringAt('$.principal.kind'),
        bucket: sfn.JsonPath.objectAt('$.tenant.bucket'),
        policy: sfn.JsonPath.objectAt('$.tenant.policy'),
        principal: sfn.JsonPath.objectAt('$.principal'),
        ...Object.fromEntries(REGISTRATION_KEYS.map((key) => [key, sfn.JsonPath.objectAt(`$.registrations.${key}`)])),
        verification: sfn.JsonPath.objectAt('$.verification'),
      },
    });
    const notifySuccess = compensate(
      notify('NotifySuccess', ONBOARDING_EVENTS.succeeded, sfn.TaskInput.fromJsonPathAt('$.summary')),
    );
    const done = new sfn.Succeed(this, 'Done', { outputPath: '$.summary' });

    registrations.next(checkBranches('CheckRegistrations', '$.registrations', REGISTRATION_KEYS, (key) => REGISTRATIONS[key as RegistrationKey].state, verifyRegistrations));
    tenantResources.next(
      checkBranches('CheckTenantResources', '$.tenant', ['bucket', 'policy'], (part) => (part === 'bucket' ? 'EnsureBucket' : 'EnsureBackupPolicy'), choosePrincipal),
    );
    const definition = init.next(validateRequest).next(dropInput).next(acquireTenant).next(readPaletteIdentity).next(tenantResources);
    const releaseTenantOnSuccess = compensate(releaseTenant('ReleaseTenant', 'SUCCEEDED', '$.release'));
    verifyRegistrations.next(buildSummary).next(releaseTenantOnSuccess).next(notifySuccess).next(done);

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-onboarding`,
      retention: props.logRetention,
    });

    this.stateMachine = new sfn.StateMachine(this, 'Resource', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      timeout: props.executionTimeout ?? Duration.hours(1),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      comment: 'palette-onboarding: onboard one tenant into Spectro Cloud Palette (docs/workflow-contract.md)',
    });

    Validations.of(this.stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing and CloudWatch Logs vended delivery (logs:CreateLogDelivery etc.) do not support resource-level permissions.',
    });
    for (const fn of [...Object.values(fns), ...Object.values(props.registrationFunctions)]) {
      Validations.of(this.stateMachine.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(fn.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
        reason: 'lambda:InvokeFunction on the workflow function and its versions/aliases (ARN + ":*"), as granted by the LambdaInvoke task.',
      });
    }
  }
}
