import {
  type Duration,
  aws_events as events,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_stepfunctions as sfn,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { REGISTRATION_KEYS, REGISTRATIONS, type RegistrationKey } from '../../../lambdas/domain/registrations';
import { ONBOARDING_EVENTS } from '../events';
import { TRANSIENT_ERRORS } from '../../../lambdas/shared/retryable-errors';
import type { HandlerName } from './onboarding-functions';
import { lambdaTask, notifyTask, workflowStateMachine, type LambdaTaskOptions } from './workflow-tasks';

/** The best-effort progress events of an onboarding (cdk/lib/events.ts). */
type ProgressEvent = 'started' | 'resourcesReady' | 'ready' | 'registered';

/**
 * The retry lists and the schedule are defined once, in lambdas/shared/retryable-errors.ts (the services read the
 * same lists); re-exported for the CDK code and tests.
 */
export { EVENTBRIDGE_RETRYABLE_ERRORS, LAMBDA_SERVICE_ERRORS, RETRYABLE_ERRORS, RETRY_POLICY } from '../../../lambdas/shared/retryable-errors';
/** Named handler errors the state machine retries (docs/workflow-contract.md "Errors"). */
export const RETRYABLE_HANDLER_ERRORS = TRANSIENT_ERRORS;

/** The shared task builders (and the one retry policy), re-exported for the CDK code and tests. */
export { stateRetry } from './workflow-tasks';

const CATCH_ALL = [sfn.Errors.ALL];

export interface OnboardingStateMachineProps {
  /** Every workflow function by handler name (OnboardingFunctions.functions). */
  readonly functions: Readonly<Record<HandlerName, lambda.IFunction>>;
  /** The ensure function of every registration kind (OnboardingFunctions.registrations). */
  readonly registrationFunctions: Readonly<Record<RegistrationKey, lambda.IFunction>>;
  /**
   * Bus that receives the progress events and the success / failure notifications: the notifications bus, never the
   * onboarding bus on which requests arrive (cdk/lib/events.ts).
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

    // Every Lambda task, the compensation (Undo*) and release states included, retries the one retryable list
    // (cdk/lib/constructs/workflow-tasks.ts); every step is idempotent, so running it again is safe.
    const invokeFunction = (stateName: string, fn: lambda.IFunction, opts: LambdaTaskOptions = {}): sfn.TaskStateBase => lambdaTask(this, stateName, fn, opts);
    const invoke = (stateName: string, handler: HandlerName, resultPath?: string): sfn.TaskStateBase =>
      invokeFunction(stateName, fns[handler], resultPath ? { resultPath } : {});
    /**
     * ReleaseTenant: the execution's outcome into the tenant registry, and the tenant's lease released. On failure it
     * also gets `$.compensation` (seeded by Init, so always present): its `<step>Error` entries, written by the undo
     * states' Catch whatever the cause (a permanent error, retries run out, a timeout), are the CompensationIncomplete
     * metric (lambdas/handlers/release-tenant.ts).
     */
    const releaseTenant = (stateName: string, outcome: 'SUCCEEDED' | 'FAILED', resultPath: string): sfn.TaskStateBase =>
      invokeFunction(stateName, fns['release-tenant'], {
        resultPath,
        payload: sfn.TaskInput.fromObject({
          execution: sfn.JsonPath.objectAt('$.execution'),
          job: sfn.JsonPath.objectAt('$.job'),
          outcome,
          ...(outcome === 'FAILED' ? { error: sfn.JsonPath.objectAt('$.error'), compensation: sfn.JsonPath.objectAt('$.compensation') } : {}),
        }),
      });

    const notify = (stateName: string, detailType: string, detail: sfn.TaskInput): sfn.TaskStateBase =>
      notifyTask(this, stateName, props.eventBus, detailType, detail);
    /**
     * A progress event (Started, Resources Ready, Ready, Registered): best effort. It retries EventBridge's transient
     * errors like every notification, but a failure to send it never fails or compensates the onboarding: the error
     * is recorded in $.notificationErrors.<event> and the workflow goes on to `next`. Every path in `detail` must
     * exist when the state runs (a missing one is an uncatchable States.Runtime error).
     */
    const progress = (stateName: string, event: ProgressEvent, detail: Record<string, unknown>, next: sfn.IChainable): sfn.TaskStateBase => {
      const task = notify(stateName, ONBOARDING_EVENTS[event], sfn.TaskInput.fromObject(detail));
      task.addCatch(next, { errors: CATCH_ALL, resultPath: `$.notificationErrors.${event}` });
      task.next(next);
      return task;
    };
    const tenantFacts = {
      tenantId: sfn.JsonPath.stringAt('$.job.plan.tenantId'),
      executionName: sfn.JsonPath.stringAt('$.execution.name'),
    };

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
    const undoClusterPolicies = invoke('UndoClusterPolicies', 'undo-cluster-policies', '$.compensation.clusterPolicies');
    const undoRegistrations = invoke('UndoRegistrations', 'undo-registrations', '$.compensation.registrations');
    // Palette first; the cluster policies while the principal they are attached to still exists.
    const chain: [sfn.TaskStateBase, string, sfn.IChainable][] = [
      [undoRegistrations, 'registrations', undoClusterPolicies],
      [undoClusterPolicies, 'clusterPolicies', undoPrincipal],
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

    // The normalized request is not kept: every later state works from the plan (and, for the events and the summary,
    // the list of its registration kinds and its AWS account, whose fields are null when the request has no aws section).
    const validateRequest = invokeFunction('ValidateRequest', fns['validate-request'], {
      resultPath: '$.job',
      resultSelector: {
        plan: sfn.JsonPath.objectAt('$.plan'),
        registrationKinds: sfn.JsonPath.listAt('$.registrationKinds'),
        awsAccount: sfn.JsonPath.objectAt('$.awsAccount'),
      },
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
    // Validated: from here a failure names the tenant.
    const admitted = new sfn.Pass(this, 'Admitted', {
      parameters: { tenantId: sfn.JsonPath.stringAt('$.job.plan.tenantId'), step: 'AcquireTenant' },
      resultPath: '$.failureContext',
    });
    // Binding, lease and names in the tenant registry, and the request as given (kept as the tenant's latest
    // request: re-validation's remediation and re-onboarding start from it); nothing else exists yet, so a failure
    // only releases.
    const acquireTenant = invokeFunction('AcquireTenant', fns['acquire-tenant'], {
      resultPath: '$.admission',
      payload: sfn.TaskInput.fromObject({
        execution: sfn.JsonPath.objectAt('$.execution'),
        job: sfn.JsonPath.objectAt('$.job'),
        request: sfn.JsonPath.objectAt('$.raw'),
      }),
    });
    // The raw input is dropped; the plan carries everything later states need.
    const dropInput = new sfn.Pass(this, 'DropInput', {
      parameters: {
        execution: sfn.JsonPath.objectAt('$.execution'),
        job: sfn.JsonPath.objectAt('$.job'),
        compensation: sfn.JsonPath.objectAt('$.compensation'),
        admission: sfn.JsonPath.objectAt('$.admission'),
        failureContext: sfn.JsonPath.objectAt('$.failureContext'),
      },
    });
    acquireTenant.addCatch(releaseTenantOnFailure, { errors: CATCH_ALL, resultPath: '$.error' });

    const readPaletteIdentity = compensate(invoke('ReadPaletteIdentity', 'read-palette-identity', '$.palette'));
    const notifyStarted = progress(
      'NotifyStarted',
      'started',
      {
        ...tenantFacts,
        accountId: sfn.JsonPath.stringAt('$.job.awsAccount.accountId'),
        region: sfn.JsonPath.stringAt('$.job.awsAccount.region'),
        credentialMode: sfn.JsonPath.stringAt('$.job.awsAccount.credentialMode'),
        registrations: sfn.JsonPath.listAt('$.job.registrationKinds'),
      },
      readPaletteIdentity,
    );

    const tenantResources = compensate(
      new sfn.Parallel(this, 'TenantResources', {
        resultPath: '$.tenant',
        resultSelector: { bucket: sfn.JsonPath.objectAt('$[0]'), policy: sfn.JsonPath.objectAt('$[1]'), clusterPolicies: sfn.JsonPath.objectAt('$[2]') },
      })
        .branch(settle(invoke('EnsureBucket', 'ensure-bucket'), 'EnsureBucket'))
        .branch(settle(invoke('EnsureBackupPolicy', 'ensure-backup-policy'), 'EnsureBackupPolicy'))
        .branch(settle(invoke('EnsureClusterPolicies', 'ensure-cluster-policies'), 'EnsureClusterPolicies')),
    );
    const TENANT_RESOURCE_STATES = { bucket: 'EnsureBucket', policy: 'EnsureBackupPolicy', clusterPolicies: 'EnsureClusterPolicies' } as const;

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
    // Identifiers only (the static user's key is in Secrets Manager, never in the state).
    const notifyResourcesReady = progress(
      'NotifyResourcesReady',
      'resourcesReady',
      {
        ...tenantFacts,
        accountId: sfn.JsonPath.stringAt('$.job.plan.target.accountId'),
        credentialMode: sfn.JsonPath.stringAt('$.principal.kind'),
        bucketName: sfn.JsonPath.stringAt('$.tenant.bucket.bucketName'),
        bucketArn: sfn.JsonPath.stringAt('$.tenant.bucket.bucketArn'),
        policyArn: sfn.JsonPath.stringAt('$.tenant.policy.policyArn'),
        principalArn: sfn.JsonPath.stringAt('$.principal.arn'),
      },
      checkReadiness,
    );
    ensureStsRole.next(notifyResourcesReady);
    ensureStaticUser.next(notifyResourcesReady);

    // One branch per registration kind (lambdas/domain/registrations.ts): its ensure step runs only when the plan
    // has that registration, else the branch records {skipped: true}. Every kind's function gets the same small input;
    // the AWS kinds (needsPrincipal) also Palette's identity and the principal.
    const registrationBranch = (key: RegistrationKey): sfn.IChainable => {
      const { state, needsPrincipal } = REGISTRATIONS[key];
      const task = invokeFunction(state, props.registrationFunctions[key], {
        payload: sfn.TaskInput.fromObject({
          registration: key,
          execution: sfn.JsonPath.objectAt('$.execution'),
          job: sfn.JsonPath.objectAt('$.job'),
          ...(needsPrincipal ? { palette: sfn.JsonPath.objectAt('$.palette'), principal: sfn.JsonPath.objectAt('$.principal') } : {}),
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

    const notifyReady = progress(
      'NotifyReady',
      'ready',
      {
        ...tenantFacts,
        attempts: sfn.JsonPath.numberAt('$.readiness.attempt'),
        firstCheckAt: sfn.JsonPath.stringAt('$.readiness.firstCheckAt'),
        elapsedSeconds: sfn.JsonPath.numberAt('$.readiness.elapsedSeconds'),
      },
      registrations,
    );
    const isReady = new sfn.Choice(this, 'IsReady')
      .when(sfn.Condition.booleanEquals('$.readiness.ready', true), notifyReady)
      .otherwise(waitForPropagation);
    checkReadiness.next(isReady);

    const verifyRegistrations = compensate(invoke('VerifyRegistrations', 'verify-registrations', '$.verification'));

    // Identifiers only (uids, ARNs, names, secret ARNs), never secret values.
    const buildSummary = new sfn.Pass(this, 'BuildSummary', {
      resultPath: '$.summary',
      parameters: {
        tenantId: sfn.JsonPath.stringAt('$.job.plan.tenantId'),
        executionName: sfn.JsonPath.stringAt('$.execution.name'),
        accountId: sfn.JsonPath.stringAt('$.job.awsAccount.accountId'),
        region: sfn.JsonPath.stringAt('$.job.awsAccount.region'),
        partition: sfn.JsonPath.stringAt('$.job.awsAccount.partition'),
        credentialMode: sfn.JsonPath.stringAt('$.job.awsAccount.credentialMode'),
        bucket: sfn.JsonPath.objectAt('$.tenant.bucket'),
        policy: sfn.JsonPath.objectAt('$.tenant.policy'),
        clusterPolicies: sfn.JsonPath.objectAt('$.tenant.clusterPolicies'),
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
      checkBranches('CheckTenantResources', '$.tenant', Object.keys(TENANT_RESOURCE_STATES), (part) => TENANT_RESOURCE_STATES[part as keyof typeof TENANT_RESOURCE_STATES], choosePrincipal),
    );
    // A request without an aws section (lambdas/domain/workflow-state.ts hasAwsPart): nothing to provision in AWS and no
    // principal to wait for; the summary's AWS parts are null.
    const NULL = sfn.JsonPath.stringToJson('null');
    const noAwsResources = new sfn.Pass(this, 'NoAwsResources', {
      parameters: { bucket: NULL, policy: NULL, clusterPolicies: NULL, principal: NULL },
      resultPath: '$.tenant',
    });
    // $.principal is null too: copied (a Pass's Result cannot be null).
    const noAwsPrincipal = new sfn.Pass(this, 'NoAwsPrincipal', { inputPath: '$.tenant.principal', resultPath: '$.principal' });
    noAwsResources.next(noAwsPrincipal).next(registrations);
    readPaletteIdentity.next(
      new sfn.Choice(this, 'HasAwsPart').when(sfn.Condition.isPresent('$.job.plan.target'), tenantResources).otherwise(noAwsResources),
    );
    const definition = init.next(validateRequest).next(admitted).next(acquireTenant).next(dropInput).next(notifyStarted);
    const releaseTenantOnSuccess = compensate(releaseTenant('ReleaseTenant', 'SUCCEEDED', '$.release'));
    releaseTenantOnSuccess.next(notifySuccess).next(done);
    // Per registration kind: its result (uids, names, secret ARNs) or {skipped: true}.
    const notifyRegistered = progress(
      'NotifyRegistered',
      'registered',
      { ...tenantFacts, registrations: sfn.JsonPath.objectAt('$.registrations') },
      buildSummary,
    );
    verifyRegistrations.next(notifyRegistered);
    buildSummary.next(releaseTenantOnSuccess);

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = workflowStateMachine(this, {
      name: 'onboarding',
      definition,
      comment: 'palette-onboarding: onboard one tenant into Spectro Cloud Palette (docs/workflow-contract.md)',
      logRetention: props.logRetention,
      ...(props.executionTimeout ? { timeout: props.executionTimeout } : {}),
      invokes: [...Object.values(fns), ...Object.values(props.registrationFunctions)],
    }));
  }
}
