import {
  Aws,
  Duration,
  aws_events as events,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_stepfunctions as sfn,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { READINESS_RETRIERS } from '../../../lambdas/domain/readiness';
import { REGISTRATION_KEYS, type RegistrationKey } from '../../../lambdas/domain/registrations';
import { ONBOARDING_EVENTS } from '../events';
import { RETRYABLE_ERRORS, TRANSIENT_ERRORS } from '../../../lambdas/shared/retryable-errors';
import type { HandlerName } from './onboarding-functions';
import { LAMBDA_TASK_TIMEOUT_SECONDS, lambdaTask, notifyTask, stateRetry, workflowStateMachine, type LambdaTaskOptions } from './workflow-tasks';

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
    const releaseTenant = (stateName: string, outcome: 'SUCCEEDED' | 'FAILED', resultPath: string, extra: Record<string, unknown> = {}): sfn.TaskStateBase =>
      invokeFunction(stateName, fns['release-tenant'], {
        resultPath,
        payload: sfn.TaskInput.fromObject({
          execution: sfn.JsonPath.objectAt('$.execution'),
          job: sfn.JsonPath.objectAt('$.job'),
          outcome,
          ...(outcome === 'FAILED' ? { error: sfn.JsonPath.objectAt('$.error'), compensation: sfn.JsonPath.objectAt('$.compensation') } : {}),
          ...extra,
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
    /** A Pass recording the tenant and which state failed ($.failureContext, for the failure event), then `next`. */
    const failedAt = (step: string, next: sfn.IChainable): sfn.Pass => {
      const pass = new sfn.Pass(this, `${step}FailedAt`, {
        parameters: { tenantId: sfn.JsonPath.stringAt('$.job.plan.tenantId'), step },
        resultPath: '$.failureContext',
      });
      pass.next(next);
      return pass;
    };
    const compensate = <T extends sfn.TaskStateBase | sfn.Parallel | sfn.Map>(state: T): T => {
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
    /** The Choice routing the first failed branch to compensation; the caller adds where the others go. */
    const checkBranches = (id: string, resultPath: string, parts: readonly string[], stepOf: (part: string) => string): sfn.Choice => {
      const choice = new sfn.Choice(this, id);
      for (const part of parts) {
        const toError = new sfn.Pass(this, `${id}${part.charAt(0).toUpperCase()}${part.slice(1)}Error`, {
          parameters: { 'Error.$': `${resultPath}.${part}.Error`, 'Cause.$': `${resultPath}.${part}.Cause` },
          resultPath: '$.error',
        });
        toError.next(failedAt(stepOf(part), undoRegistrations));
        choice.when(sfn.Condition.isPresent(`${resultPath}.${part}.failed`), toError);
      }
      return choice;
    };

    // ---- happy path -----------------------------------------------------------------------------------
    // The state holds the input ONCE (`raw`) until AcquireTenant has recorded it; the document the later states work on
    // grows beside it under `doc` (the plan, never the normalized request), and AcquireTenant's OutputPath keeps only
    // that (docs/workflow-contract.md "State data layout"). Step Functions' 256 KB state limit is not catchable.
    const init = new sfn.Pass(this, 'Init', {
      parameters: {
        raw: sfn.JsonPath.entirePayload,
        doc: {
          execution: { name: sfn.JsonPath.executionName, startTime: sfn.JsonPath.executionStartTime },
          // Seeded so the failure notification can always reference them, even when validation failed:
          compensation: {},
          // The tenant id the failure event reports; null until known (a literal null would be dropped from
          // Parameters, so it is parsed at run time).
          failureContext: { tenantId: sfn.JsonPath.stringToJson('null'), step: 'ValidateRequest' },
        },
      },
    });

    // The normalized request is not kept: every later state works from the plan (and, for the events and the summary,
    // the list of its registration kinds and its AWS account, whose fields are null when the request has no aws section).
    const validateRequest = invokeFunction('ValidateRequest', fns['validate-request'], {
      payload: sfn.TaskInput.fromObject({ raw: sfn.JsonPath.objectAt('$.raw'), execution: sfn.JsonPath.objectAt('$.doc.execution') }),
      resultPath: '$.doc.job',
      resultSelector: {
        plan: sfn.JsonPath.objectAt('$.plan'),
        registrationKinds: sfn.JsonPath.listAt('$.registrationKinds'),
        registrationItems: sfn.JsonPath.listAt('$.registrationItems'),
        awsAccount: sfn.JsonPath.objectAt('$.awsAccount'),
      },
    });
    // Nothing exists yet: no compensation. The failure event names the request's tenant id when it has a string one
    // (Choice first: a missing path would be an uncatchable runtime error); both Passes keep only the document, so a
    // copied tenant id never doubles the state.
    const failureTenantId = new sfn.Pass(this, 'FailureTenantId', {
      parameters: {
        execution: sfn.JsonPath.objectAt('$.doc.execution'),
        compensation: sfn.JsonPath.objectAt('$.doc.compensation'),
        error: sfn.JsonPath.objectAt('$.doc.error'),
        failureContext: { tenantId: sfn.JsonPath.stringAt('$.raw.tenantId'), step: 'ValidateRequest' },
      },
    }).next(notifyFailure);
    const failureWithoutTenantId = new sfn.Pass(this, 'FailureWithoutTenantId', { outputPath: '$.doc' }).next(notifyFailure);
    const requestTenantId = new sfn.Choice(this, 'RequestTenantId')
      .when(sfn.Condition.not(sfn.Condition.isPresent('$.raw.tenantId')), failureWithoutTenantId)
      .when(sfn.Condition.isString('$.raw.tenantId'), failureTenantId)
      .otherwise(failureWithoutTenantId);
    validateRequest.addCatch(requestTenantId, { errors: CATCH_ALL, resultPath: '$.doc.error' });
    // Binding, lease and names in the tenant registry, and the request as given (kept as the tenant's latest
    // request: re-validation's remediation and re-onboarding start from it); nothing else exists yet, so a failure
    // only releases. Its OutputPath drops the raw input: the plan carries everything later states need.
    const acquireTenant = invokeFunction('AcquireTenant', fns['acquire-tenant'], {
      resultPath: '$.doc.admission',
      outputPath: '$.doc',
      payload: sfn.TaskInput.fromObject({
        execution: sfn.JsonPath.objectAt('$.doc.execution'),
        job: sfn.JsonPath.objectAt('$.doc.job'),
        request: sfn.JsonPath.objectAt('$.raw'),
      }),
    });
    // Validated: from here a failure names the tenant (AcquireTenant's own failure here; later ones in <step>FailedAt).
    acquireTenant.addCatch(
      new sfn.Pass(this, 'AcquireTenantFailedAt', {
        parameters: { tenantId: sfn.JsonPath.stringAt('$.doc.job.plan.tenantId'), step: 'AcquireTenant' },
        resultPath: '$.doc.failureContext',
        outputPath: '$.doc',
      }).next(releaseTenantOnFailure),
      { errors: CATCH_ALL, resultPath: '$.doc.error' },
    );

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

    // The readiness gate: one state, retried while Palette does not accept the principal yet (the probe's error names
    // the retrier of its place in the schedule, lambdas/domain/readiness.ts), until the budget is spent. The probe's
    // number and the first probe's time come from the context object.
    const checkReadiness = compensate(
      invokeFunction('CheckReadiness', fns['check-readiness'], {
        resultPath: '$.readiness',
        payload: sfn.TaskInput.fromObject({
          execution: sfn.JsonPath.objectAt('$.execution'),
          job: sfn.JsonPath.objectAt('$.job'),
          palette: sfn.JsonPath.objectAt('$.palette'),
          principal: sfn.JsonPath.objectAt('$.principal'),
          probe: { retryCount: sfn.JsonPath.numberAt('$$.State.RetryCount'), enteredTime: sfn.JsonPath.stringAt('$$.State.EnteredTime') },
        }),
      }),
    );
    for (const r of READINESS_RETRIERS) {
      checkReadiness.addRetry({
        errors: [r.error],
        interval: Duration.seconds(r.intervalSeconds),
        backoffRate: r.backoffRate,
        ...(r.maxDelaySeconds !== undefined ? { maxDelay: Duration.seconds(r.maxDelaySeconds) } : {}),
        maxAttempts: r.maxAttempts,
      });
    }
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

    // A Map over the registration kinds the plan asks for (job.registrationItems, lambdas/domain/registrations.ts): each
    // iteration invokes its kind's own function (its own role), picked at run time from the static list of the kinds'
    // functions in REGISTRATION_KEYS order (`States.ArrayGetItem($.functions, $.item.index)`), so a kind the request
    // does not ask for costs nothing. Each iteration settles: a failure ends it with {failed, state, Error, Cause}, so
    // the Map ends only when every kind has, and CheckRegistrations sends the first failure (in item order) to
    // compensation. A success is the kind's result, in item order (VerifyRegistrations keys them by kind).
    const registrationFunctionArns = REGISTRATION_KEYS.map((key) => props.registrationFunctions[key].functionArn);
    const ensureRegistration = new sfn.CustomState(this, 'EnsureRegistration', {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Aws.PARTITION}:states:::lambda:invoke`,
        Parameters: {
          'FunctionName.$': 'States.ArrayGetItem($.functions, $.item.index)',
          Payload: {
            'registration.$': '$.item.kind',
            'execution.$': '$.execution',
            'job.$': '$.job',
            // Null for a request without an aws section; only the AWS kinds use them (lambdas/handlers/ensure-registration.ts).
            'palette.$': '$.palette',
            'principal.$': '$.principal',
          },
        },
        OutputPath: '$.Payload',
        TimeoutSeconds: LAMBDA_TASK_TIMEOUT_SECONDS,
      },
    });
    ensureRegistration.addRetry(stateRetry(RETRYABLE_ERRORS));
    ensureRegistration.addCatch(
      new sfn.Pass(this, 'EnsureRegistrationFailed', {
        parameters: { failed: true, 'state.$': '$.item.state', 'Error.$': '$.caught.Error', 'Cause.$': '$.caught.Cause' },
      }),
      { errors: CATCH_ALL, resultPath: '$.caught' },
    );
    const registrations = compensate(
      new sfn.Map(this, 'Registrations', {
        itemsPath: '$.job.registrationItems',
        itemSelector: {
          item: sfn.JsonPath.stringAt('$$.Map.Item.Value'),
          functions: registrationFunctionArns,
          execution: sfn.JsonPath.objectAt('$.execution'),
          job: sfn.JsonPath.objectAt('$.job'),
          palette: sfn.JsonPath.objectAt('$.palette'),
          principal: sfn.JsonPath.objectAt('$.principal'),
        },
        resultPath: '$.registrations',
      }).itemProcessor(ensureRegistration),
    );
    // A failed kind: its result item, then its error and its state (for the failure event) into the state.
    const registrationError = new sfn.Pass(this, 'RegistrationError', {
      parameters: { 'Error.$': '$.failedRegistration.Error', 'Cause.$': '$.failedRegistration.Cause' },
      resultPath: '$.error',
    });
    registrationError.next(
      new sfn.Pass(this, 'RegistrationFailedAt', {
        parameters: { tenantId: sfn.JsonPath.stringAt('$.job.plan.tenantId'), step: sfn.JsonPath.stringAt('$.failedRegistration.state') },
        resultPath: '$.failureContext',
      }).next(undoRegistrations),
    );
    const checkRegistrations = new sfn.Choice(this, 'CheckRegistrations');
    REGISTRATION_KEYS.forEach((_, i) => {
      checkRegistrations.when(
        sfn.Condition.isPresent(`$.registrations[${i}].failed`),
        new sfn.Pass(this, `RegistrationItem${i}Failed`, { inputPath: `$.registrations[${i}]`, resultPath: '$.failedRegistration' }).next(registrationError),
      );
    });

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
    checkReadiness.next(notifyReady);

    // The results keyed by kind ({skipped: true} for the others) and Palette's listing of them: $.registered.
    const verifyRegistrations = compensate(invoke('VerifyRegistrations', 'verify-registrations', '$.registered'));

    // The summary (identifiers only: uids, ARNs, names, secret ARNs, never secret values) goes to ReleaseTenant, which
    // records the outcome and returns it ($.release.summary): the success event's detail and the execution's output.
    const summary = {
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
      ...Object.fromEntries(REGISTRATION_KEYS.map((key) => [key, sfn.JsonPath.objectAt(`$.registered.registrations.${key}`)])),
      verification: sfn.JsonPath.objectAt('$.registered.verification'),
    };
    const notifySuccess = compensate(
      notifyTask(this, 'NotifySuccess', props.eventBus, ONBOARDING_EVENTS.succeeded, sfn.TaskInput.fromJsonPathAt('$.release.summary'), { outputPath: '$.release.summary' }),
    );

    registrations.next(checkRegistrations.otherwise(verifyRegistrations));
    // A request without an aws section (lambdas/domain/workflow-state.ts hasAwsPart): TenantResources' steps provision
    // nothing and return null, and there is no principal to create or wait for; the summary's AWS parts are null.
    // $.principal is null too: copied from the null bucket result (a Pass's Result cannot be null).
    const noAwsPrincipal = new sfn.Pass(this, 'NoAwsPrincipal', { inputPath: '$.tenant.bucket', resultPath: '$.principal' });
    noAwsPrincipal.next(registrations);
    // The first failed branch compensates; otherwise the principal of the plan's credential mode (none without aws).
    tenantResources.next(
      checkBranches('CheckTenantResources', '$.tenant', Object.keys(TENANT_RESOURCE_STATES), (part) => TENANT_RESOURCE_STATES[part as keyof typeof TENANT_RESOURCE_STATES])
        .when(sfn.Condition.not(sfn.Condition.isPresent('$.job.plan.target')), noAwsPrincipal)
        .when(sfn.Condition.stringEquals('$.job.plan.credentialMode', 'static'), ensureStaticUser)
        .otherwise(ensureStsRole),
    );
    readPaletteIdentity.next(tenantResources);
    const definition = init.next(validateRequest).next(acquireTenant).next(notifyStarted);
    const releaseTenantOnSuccess = compensate(releaseTenant('ReleaseTenant', 'SUCCEEDED', '$.release', { summary }));
    releaseTenantOnSuccess.next(notifySuccess);
    // Per registration kind: its result (uids, names, secret ARNs) or {skipped: true}.
    const notifyRegistered = progress(
      'NotifyRegistered',
      'registered',
      { ...tenantFacts, registrations: sfn.JsonPath.objectAt('$.registered.registrations') },
      releaseTenantOnSuccess,
    );
    verifyRegistrations.next(notifyRegistered);

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = workflowStateMachine(this, {
      name: 'onboarding',
      definition,
      comment: 'palette-onboarding: onboard one tenant into Spectro Cloud Palette (docs/workflow-contract.md)',
      logRetention: props.logRetention,
      ...(props.executionTimeout ? { timeout: props.executionTimeout } : {}),
      invokes: [...Object.values(fns), ...Object.values(props.registrationFunctions)],
    }));
    // The Registrations Map's task names its function at run time: the grants a LambdaInvoke task would add.
    for (const fn of Object.values(props.registrationFunctions)) fn.grantInvoke(this.stateMachine);
  }
}
