import {
  Duration,
  aws_events as events,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_scheduler as scheduler,
  aws_scheduler_targets as schedulerTargets,
  aws_stepfunctions as sfn,
  aws_stepfunctions_tasks as tasks,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { RevalidationSettings } from '../../../lambdas/domain/drift';
import { TASK_TIMEOUT_ERRORS } from '../../../lambdas/shared/retryable-errors';
import { ONBOARDING_EVENTS } from '../events';
import type { HandlerName } from './onboarding-functions';
import { lambdaTask, notifyTask, NOTIFY_TASK_TIMEOUT, stateRetry, workflowStateMachine } from './workflow-tasks';

export interface RevalidationStateMachineProps {
  /** Every workflow function by handler name (OnboardingFunctions.functions). */
  readonly functions: Readonly<Record<HandlerName, lambda.IFunction>>;
  /** The notifications bus (`Tenant Drift Detected`). */
  readonly eventBus: events.IEventBus;
  /** The onboarding state machine: remediation starts it with the tenant's latest request. */
  readonly onboarding: sfn.IStateMachine;
  /** What every run carries (stack config: the API key warning window, the static key rotation age, the remediate default). */
  readonly settings: RevalidationSettings;
  /** Tenants checked at once (the Map's MaxConcurrency). */
  readonly concurrency: number;
  /** EventBridge Scheduler expression of the scheduled run over every ACTIVE and DRIFTED tenant, or `off`. */
  readonly schedule: string;
  readonly logRetention: logs.RetentionDays;
  /** Whole-execution limit. Default 1 hour. */
  readonly executionTimeout?: Duration;
}

const CATCH_ALL = [sfn.Errors.ALL];
/** The functions this state machine invokes. */
const HANDLERS_USED = ['list-revalidation-targets', 'revalidate-tenant', 'record-drift'] as const satisfies readonly HandlerName[];

/**
 * Scheduled re-validation (README "Re-validation", docs/workflow-contract.md "Re-validation state machine"): over every
 * ACTIVE and DRIFTED tenant (or the one named), a Map with bounded concurrency checks, read-only, what the tenant's
 * onboarding made against what is there now (AWS objects and guardrails, Palette registrations, Palette's own
 * validation, key ages), records the findings in the registry (DRIFTED / ACTIVE; never a tenant an execution holds),
 * sends `Tenant Drift Detected`, and with `remediate` starts the tenant's onboarding again. One tenant's failure never
 * stops the others: each iteration ends with the tenant's outcome.
 */
export class RevalidationStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  /** Absent when the schedule is `off`. */
  readonly schedule?: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: RevalidationStateMachineProps) {
    super(scope, id);
    const fns = props.functions;

    // ---- the run: settings, the tenants to check ----------------------------------------------------------------
    const init = new sfn.Pass(this, 'Init', {
      parameters: {
        raw: sfn.JsonPath.entirePayload,
        execution: { name: sfn.JsonPath.executionName, startTime: sfn.JsonPath.executionStartTime },
        settings: { ...props.settings },
      },
    });
    const list = lambdaTask(this, 'ListRevalidationTargets', fns['list-revalidation-targets'], { resultPath: '$.targets' });
    list.addCatch(new sfn.Fail(this, 'Failed', { errorPath: '$.error.Error', causePath: '$.error.Cause' }), { errors: CATCH_ALL, resultPath: '$.error' });

    // ---- one tenant (Map iteration): check, record, event, remediation; always ends with the tenant's outcome ------
    const tenantFailed = new sfn.Pass(this, 'TenantFailed', {
      parameters: { tenantId: sfn.JsonPath.stringAt('$.tenantId'), outcome: 'failed', findings: 0, error: sfn.JsonPath.stringAt('$.error.Error') },
    });
    const check = lambdaTask(this, 'RevalidateTenant', fns['revalidate-tenant'], { resultPath: '$.check' });
    check.addCatch(tenantFailed, { errors: CATCH_ALL, resultPath: '$.error' });
    const notChecked = new sfn.Pass(this, 'TenantNotChecked', {
      parameters: {
        tenantId: sfn.JsonPath.stringAt('$.check.tenantId'),
        outcome: sfn.JsonPath.stringAt('$.check.outcome'),
        findings: 0,
        reason: sfn.JsonPath.stringAt('$.check.reason'),
      },
    });
    const record = lambdaTask(this, 'RecordDrift', fns['record-drift'], {
      resultPath: '$.record',
      payload: sfn.TaskInput.fromObject({
        execution: sfn.JsonPath.objectAt('$.execution'),
        check: sfn.JsonPath.objectAt('$.check'),
        remediate: sfn.JsonPath.objectAt('$.remediate'),
      }),
    });
    record.addCatch(tenantFailed, { errors: CATCH_ALL, resultPath: '$.error' });
    const done = new sfn.Pass(this, 'TenantDone', { outputPath: '$.record.summary' });

    // Identifiers and reasons only, never a secret value.
    const notify = notifyTask(
      this,
      'NotifyDriftDetected',
      props.eventBus,
      ONBOARDING_EVENTS.driftDetected,
      sfn.TaskInput.fromObject({
        tenantId: sfn.JsonPath.stringAt('$.check.tenantId'),
        executionName: sfn.JsonPath.stringAt('$.execution.name'),
        findings: sfn.JsonPath.objectAt('$.check.findings'),
      }),
    );
    const summaryWith = (extra: Record<string, string>) => ({
      tenantId: sfn.JsonPath.stringAt('$.record.summary.tenantId'),
      outcome: sfn.JsonPath.stringAt('$.record.summary.outcome'),
      findings: sfn.JsonPath.numberAt('$.record.summary.findings'),
      status: sfn.JsonPath.stringAt('$.record.summary.status'),
      ...extra,
    });
    // The onboarding again, with the tenant's latest request (RecordDrift prepared name and input). Asynchronous: the
    // onboarding takes the tenant's lease and reports with its own events; a start that fails is reported and the
    // next run (the tenant stays DRIFTED) tries again.
    const startRemediation = new tasks.StepFunctionsStartExecution(this, 'StartRemediation', {
      stateMachine: props.onboarding,
      integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
      name: sfn.JsonPath.stringAt('$.record.remediation.executionName'),
      input: sfn.TaskInput.fromJsonPathAt('$.record.remediation.input'),
      associateWithParent: false,
      resultSelector: { executionArn: sfn.JsonPath.stringAt('$.ExecutionArn') },
      resultPath: '$.started',
      taskTimeout: NOTIFY_TASK_TIMEOUT,
    }).addRetry(stateRetry(TASK_TIMEOUT_ERRORS));
    startRemediation.addCatch(
      new sfn.Pass(this, 'TenantRemediationFailed', { parameters: summaryWith({ remediationError: sfn.JsonPath.stringAt('$.remediationError.Cause') }) }),
      { errors: CATCH_ALL, resultPath: '$.remediationError' },
    );
    startRemediation.next(
      new sfn.Pass(this, 'TenantRemediationStarted', { parameters: summaryWith({ remediation: sfn.JsonPath.stringAt('$.record.remediation.executionName') }) }),
    );
    const remediate = new sfn.Choice(this, 'Remediate')
      .when(sfn.Condition.isPresent('$.record.remediation'), startRemediation)
      .otherwise(done);
    // A lost event does not undo the record (the registry has the findings).
    notify.addCatch(remediate, { errors: CATCH_ALL, resultPath: '$.notificationError' });
    notify.next(remediate);

    const iteration = check
      .next(new sfn.Choice(this, 'Checked').when(sfn.Condition.stringEquals('$.check.outcome', 'checked'), record).otherwise(notChecked));
    record.next(new sfn.Choice(this, 'Drifted').when(sfn.Condition.stringEquals('$.record.summary.outcome', 'drifted'), notify).otherwise(done));

    const map = new sfn.Map(this, 'RevalidateTenants', {
      itemsPath: '$.targets.tenants',
      itemSelector: {
        tenantId: sfn.JsonPath.stringAt('$$.Map.Item.Value'),
        execution: sfn.JsonPath.objectAt('$.execution'),
        settings: sfn.JsonPath.objectAt('$.settings'),
        remediate: sfn.JsonPath.objectAt('$.targets.remediate'),
      },
      maxConcurrency: props.concurrency,
      resultPath: '$.results',
    });
    map.itemProcessor(iteration);

    const buildSummary = new sfn.Pass(this, 'BuildSummary', {
      parameters: {
        executionName: sfn.JsonPath.stringAt('$.execution.name'),
        remediate: sfn.JsonPath.objectAt('$.targets.remediate'),
        tenants: sfn.JsonPath.objectAt('$.results'),
        notEligible: sfn.JsonPath.objectAt('$.targets.notEligible'),
        deferred: sfn.JsonPath.numberAt('$.targets.deferred'),
      },
    });
    const definition = init.next(list).next(map).next(buildSummary).next(new sfn.Succeed(this, 'Done'));

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = workflowStateMachine(this, {
      name: 'revalidation',
      definition,
      comment: 'palette-onboarding: re-validate tenants (drift detection) against their onboarding, optionally remediate',
      logRetention: props.logRetention,
      ...(props.executionTimeout ? { timeout: props.executionTimeout } : {}),
      invokes: HANDLERS_USED.map((name) => fns[name]),
    }));

    if (props.schedule !== 'off') {
      this.schedule = new scheduler.Schedule(this, 'Schedule', {
        description: 'palette-onboarding: re-validate every ACTIVE and DRIFTED tenant (drift detection)',
        schedule: scheduler.ScheduleExpression.expression(props.schedule),
        target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, {
          input: scheduler.ScheduleTargetInput.fromObject({}),
          retryAttempts: 10,
          maxEventAge: Duration.hours(6),
        }),
      });
    }
  }
}
