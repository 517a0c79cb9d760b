import { type Duration, aws_events as events, aws_lambda as lambda, aws_logs as logs, aws_stepfunctions as sfn } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ONBOARDING_EVENTS } from '../events';
import type { HandlerName } from './onboarding-functions';
import { lambdaTask, notifyTask, workflowStateMachine } from './workflow-tasks';

export interface OffboardingStateMachineProps {
  /** Every workflow function by handler name (OnboardingFunctions.functions): the undo steps are shared with compensation. */
  readonly functions: Readonly<Record<HandlerName, lambda.IFunction>>;
  /** The notifications bus (`Tenant Offboarded` / `Tenant Offboarding Failed`). */
  readonly eventBus: events.IEventBus;
  readonly logRetention: logs.RetentionDays;
  /** Whole-execution limit. Default 1 hour. */
  readonly executionTimeout?: Duration;
}

const CATCH_ALL = [sfn.Errors.ALL];

/**
 * The removal steps, in order: Palette first (so Palette stops using the credentials), the cluster policies while the
 * principal they are attached to exists, the bucket last.
 */
const REMOVAL_STEPS = [
  { state: 'RemoveRegistrations', handler: 'undo-registrations', part: 'registrations' },
  { state: 'RemoveClusterPolicies', handler: 'undo-cluster-policies', part: 'clusterPolicies' },
  { state: 'RemovePrincipal', handler: 'undo-principal', part: 'principal' },
  { state: 'RemoveBackupPolicy', handler: 'undo-backup-policy', part: 'policy' },
  { state: 'RemoveBucket', handler: 'undo-bucket', part: 'bucket' },
] as const satisfies readonly { state: string; handler: HandlerName; part: string }[];

/**
 * The offboarding workflow (README "Offboarding", docs/workflow-contract.md "Offboarding"): removes, in order and
 * idempotently, everything the tenant registry records for the tenant and nothing else, with the undo functions the
 * onboarding's compensation uses (their `removal` input says offboarding). Refused, changing nothing, while Palette
 * clusters use the tenant's registrations (unless forced). Ends with the tenant OFFBOARDED (or FAILED) and an event.
 */
export class OffboardingStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: OffboardingStateMachineProps) {
    super(scope, id);
    const fns = props.functions;
    const notify = (state: string, detailType: string, detail: sfn.TaskInput) => notifyTask(this, state, props.eventBus, detailType, detail);

    // ---- failure: (release the tenant when this execution holds it) then the event and Fail -------------------
    const failed = new sfn.Fail(this, 'Failed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    const notifyFailure = notify(
      'NotifyOffboardingFailed',
      ONBOARDING_EVENTS.offboardingFailed,
      sfn.TaskInput.fromObject({
        tenantId: sfn.JsonPath.stringAt('$.failureContext.tenantId'),
        executionName: sfn.JsonPath.stringAt('$.execution.name'),
        step: sfn.JsonPath.stringAt('$.failureContext.step'),
        error: sfn.JsonPath.stringAt('$.error.Error'),
        cause: sfn.JsonPath.stringAt('$.error.Cause'),
      }),
    );
    notifyFailure.addCatch(failed, { errors: CATCH_ALL, resultPath: '$.notificationError' });
    notifyFailure.next(failed);

    const finish = (state: string, outcome: 'SUCCEEDED' | 'FAILED') =>
      lambdaTask(this, state, fns['finish-offboarding'], {
        resultPath: '$.finish',
        payload: sfn.TaskInput.fromObject({
          execution: sfn.JsonPath.objectAt('$.execution'),
          offboarding: sfn.JsonPath.objectAt('$.offboarding'),
          removed: sfn.JsonPath.objectAt('$.removed'),
          outcome,
          ...(outcome === 'FAILED' ? { error: sfn.JsonPath.objectAt('$.error') } : {}),
        }),
      });
    const finishOnFailure = finish('FinishOffboardingOnFailure', 'FAILED');
    finishOnFailure.addCatch(notifyFailure, { errors: CATCH_ALL, resultPath: '$.finishError' });
    finishOnFailure.next(notifyFailure);
    /** A Pass recording which state failed ($.failureContext.step, for the failure event), then `next`. */
    const failedAt = (step: string, next: sfn.IChainable): sfn.Pass => {
      const pass = new sfn.Pass(this, `${step}FailedAt`, { result: sfn.Result.fromString(step), resultPath: '$.failureContext.step' });
      pass.next(next);
      return pass;
    };

    // ---- validation (read-only) ----------------------------------------------------------------------------------
    const init = new sfn.Pass(this, 'Init', {
      parameters: {
        raw: sfn.JsonPath.entirePayload,
        execution: { name: sfn.JsonPath.executionName, startTime: sfn.JsonPath.executionStartTime },
        removed: {},
        failureContext: { tenantId: sfn.JsonPath.stringToJson('null'), step: 'ValidateOffboarding' },
      },
    });
    const validate = lambdaTask(this, 'ValidateOffboarding', fns['validate-offboarding'], { resultPath: '$.offboarding' });
    // The failure event names the request's tenant id when it has a string one (a missing path would not be catchable).
    const failureTenantId = new sfn.Pass(this, 'FailureTenantId', {
      parameters: {
        execution: sfn.JsonPath.objectAt('$.execution'),
        error: sfn.JsonPath.objectAt('$.error'),
        failureContext: { tenantId: sfn.JsonPath.stringAt('$.raw.tenantId'), step: 'ValidateOffboarding' },
      },
    }).next(notifyFailure);
    validate.addCatch(
      new sfn.Choice(this, 'RequestTenantId').when(sfn.Condition.isString('$.raw.tenantId'), failureTenantId).otherwise(notifyFailure),
      { errors: CATCH_ALL, resultPath: '$.error' },
    );
    // The raw input is dropped; the undo functions get the plan as `job.plan` and what they may remove as `removal`.
    const dropInput = new sfn.Pass(this, 'DropInput', {
      parameters: {
        execution: sfn.JsonPath.objectAt('$.execution'),
        offboarding: sfn.JsonPath.objectAt('$.offboarding'),
        removed: {},
        failureContext: { tenantId: sfn.JsonPath.stringAt('$.offboarding.tenantId'), step: 'CheckTenantInUse' },
      },
    });
    const hasPlan = () => sfn.Condition.isPresent('$.offboarding.plan');

    // ---- in use? (read-only), then the lease ----------------------------------------------------------------------
    const checkInUse = lambdaTask(this, 'CheckTenantInUse', fns['check-tenant-in-use'], { resultPath: '$.inUse' });
    checkInUse.addCatch(notifyFailure, { errors: CATCH_ALL, resultPath: '$.error' });
    const begin = lambdaTask(this, 'BeginOffboarding', fns['begin-offboarding'], { resultPath: sfn.JsonPath.DISCARD });
    begin.addCatch(failedAt('BeginOffboarding', notifyFailure), { errors: CATCH_ALL, resultPath: '$.error' });
    checkInUse.next(begin);

    // ---- removal steps, in order; the first failure ends the offboarding FAILED (a re-run continues) --------------
    const finishOnSuccess = finish('FinishOffboarding', 'SUCCEEDED');
    finishOnSuccess.addCatch(failedAt('FinishOffboarding', finishOnFailure), { errors: CATCH_ALL, resultPath: '$.error' });
    const steps = REMOVAL_STEPS.map(({ state, handler, part }) => {
      const task = lambdaTask(this, state, fns[handler], {
        resultPath: `$.removed.${part}`,
        payload: sfn.TaskInput.fromObject({
          execution: sfn.JsonPath.objectAt('$.execution'),
          job: { plan: sfn.JsonPath.objectAt('$.offboarding.plan') },
          removal: sfn.JsonPath.objectAt('$.offboarding.removal'),
        }),
      });
      task.addCatch(failedAt(state, finishOnFailure), { errors: CATCH_ALL, resultPath: '$.error' });
      return task;
    });
    for (let i = 0; i < steps.length - 1; i++) steps[i]!.next(steps[i + 1]!);
    steps[steps.length - 1]!.next(finishOnSuccess);
    begin.next(new sfn.Choice(this, 'AnythingToRemove').when(hasPlan(), steps[0]!).otherwise(finishOnSuccess));

    // Identifiers only (ARNs, uids), never a secret value.
    const notifyOffboarded = notify(
      'NotifyOffboarded',
      ONBOARDING_EVENTS.offboarded,
      sfn.TaskInput.fromObject({
        tenantId: sfn.JsonPath.stringAt('$.offboarding.tenantId'),
        executionName: sfn.JsonPath.stringAt('$.execution.name'),
        accountId: sfn.JsonPath.stringAt('$.offboarding.accountId'),
        removed: sfn.JsonPath.objectAt('$.finish.removed'),
        retained: sfn.JsonPath.objectAt('$.finish.retained'),
      }),
    );
    const buildSummary = new sfn.Pass(this, 'BuildSummary', {
      parameters: {
        tenantId: sfn.JsonPath.stringAt('$.offboarding.tenantId'),
        executionName: sfn.JsonPath.stringAt('$.execution.name'),
        accountId: sfn.JsonPath.stringAt('$.offboarding.accountId'),
        status: sfn.JsonPath.stringAt('$.finish.status'),
        removed: sfn.JsonPath.objectAt('$.finish.removed'),
        retained: sfn.JsonPath.objectAt('$.finish.retained'),
      },
    });
    // The tenant is OFFBOARDED once FinishOffboarding ran; a lost notification does not undo that.
    notifyOffboarded.addCatch(buildSummary, { errors: CATCH_ALL, resultPath: '$.notificationError' });
    finishOnSuccess.next(notifyOffboarded).next(buildSummary).next(new sfn.Succeed(this, 'Done'));

    const definition = init
      .next(validate)
      .next(dropInput)
      .next(new sfn.Choice(this, 'CheckNeeded').when(hasPlan(), checkInUse).otherwise(begin));

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = workflowStateMachine(this, {
      name: 'offboarding',
      definition,
      comment: 'palette-onboarding: offboard one tenant (remove what the tenant registry records for it)',
      logRetention: props.logRetention,
      ...(props.executionTimeout ? { timeout: props.executionTimeout } : {}),
      invokes: (['validate-offboarding', 'check-tenant-in-use', 'begin-offboarding', 'finish-offboarding', ...REMOVAL_STEPS.map((s) => s.handler)] as HandlerName[]).map((n) => fns[n]),
    }));
  }
}
