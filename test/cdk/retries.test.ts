/**
 * Every Retry of the synthesized state machines (onboarding, offboarding, re-validation and self-hosted platform setup) against the one list
 * of retryable error names (lambdas/shared/retryable-errors.ts): each retrier lists exactly one documented list,
 * on the shared schedule (capped exponential backoff, full jitter) whose caps outlast a 5-minute outage; every
 * Task state, compensation included, retries; nothing permanent is ever retried.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  EVENTBRIDGE_RETRYABLE_ERRORS,
  KEY_PROPAGATION_ERRORS,
  OUTAGE_RIDE_OUT_SECONDS,
  PRINCIPAL_PROPAGATION_ERRORS,
  SERVICE_INTEGRATION_RETRYABLE_ERRORS,
  PERMANENT_ERRORS,
  RETRYABLE_ERRORS,
  RETRY_POLICY,
  TASK_TIMEOUT_ERRORS,
  cappedRetryDelays,
} from '../../lambdas/shared/retryable-errors';
import { PLATFORM_SETUP_STATE_MACHINE } from '../../cdk/lib/constructs/platform-setup';
import { allStates, resolveIntrinsics, resourcesOfType, type AslDefinition, type AslRetrier, type AslState, type Synthesized, synthesize } from './helpers';

type Retrier = AslRetrier & { MaxDelaySeconds?: number };

let s: Synthesized;
let machines: { id: string; definition: AslDefinition }[];
beforeAll(() => {
  s = synthesize({
    skipBundling: true,
    context: {
      selfHosted: 'true',
      reverseProxySecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ops/palette-reverse-proxy',
      stsKeyRotationDays: '30',
    },
  });
  machines = resourcesOfType(s.json, 'AWS::StepFunctions::StateMachine')
    // The Provider framework's own waiter (CDK's, not ours) is left out.
    .filter(([id]) => !id.startsWith('PlatformSetupDeployProvider'))
    .map(([id, sm]) => ({ id, definition: JSON.parse(resolveIntrinsics(sm.Properties?.DefinitionString, s.json)) as AslDefinition }));
}, 180_000);

/** The documented lists a retrier may name, exactly. */
const LISTS: Record<string, readonly string[]> = {
  lambda: RETRYABLE_ERRORS,
  eventBridge: EVENTBRIDGE_RETRYABLE_ERRORS,
  keyPropagation: KEY_PROPAGATION_ERRORS,
  /** The readiness gate (CheckReadiness): one retrier per error, each with its part of the schedule (lambdas/domain/readiness.ts). */
  ...Object.fromEntries(PRINCIPAL_PROPAGATION_ERRORS.map((e) => [`readiness:${e}`, [e]])),
  /**
   * The re-validation's StartRemediation (states:startExecution, request-response): its task timeout only; what
   * StartExecution answers (ExecutionAlreadyExists, ...) is caught and reported, and the next run tries again.
   */
  taskTimeout: TASK_TIMEOUT_ERRORS,
  /** The Bulk state machine's AWS service integrations (StartOnboarding .sync, ReadRequestFile, DescribeMapRun). */
  serviceIntegration: SERVICE_INTEGRATION_RETRYABLE_ERRORS,
};
const listOf = (r: Retrier): string | undefined =>
  Object.entries(LISTS).find(([, list]) => JSON.stringify([...list]) === JSON.stringify(r.ErrorEquals))?.[0];

const tasks = (d: AslDefinition): [string, AslState][] => [...allStates(d)].filter(([, st]) => st.Type === 'Task');
const isLambdaTask = (st: AslState) => /^arn:aws:lambda:|:states:::lambda:invoke/.test(st.Resource ?? '');
const isPutEvents = (st: AslState) => /:states:::events:putEvents/.test(st.Resource ?? '');
const isStartExecution = (st: AslState) => /:states:::states:startExecution$/.test(st.Resource ?? '');
/** The Bulk machine's child executions (.sync) and its AWS SDK integrations. */
const isServiceIntegration = (st: AslState) => /:states:::states:startExecution\.sync(:2)?$|:states:::aws-sdk:/.test(st.Resource ?? '');

describe('state-level retries', () => {
  it('finds our five state machines', () => {
    const ids = machines.map((m) => m.id);
    expect(ids).toHaveLength(5);
    expect(ids).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Workflow[0-9A-F]{8}$/),
        expect.stringMatching(/^Offboarding[0-9A-F]{8}$/),
        expect.stringMatching(/^Revalidation[0-9A-F]{8}$/),
        expect.stringMatching(/^Bulk[0-9A-F]{8}$/),
        expect.stringMatching(new RegExp(`^${PLATFORM_SETUP_STATE_MACHINE}[0-9A-F]{8}$`)),
      ]),
    );
  });

  it('every retrier names exactly one documented list (the retryable list, or its documented EventBridge / key-propagation subsets)', () => {
    const offending: string[] = [];
    for (const { id, definition } of machines) {
      for (const [name, st] of allStates(definition)) {
        for (const r of (st.Retry ?? []) as Retrier[]) {
          const list = listOf(r);
          if (!list) offending.push(`${id}.${name}: ${r.ErrorEquals.join(', ')}`);
          if (list === 'keyPropagation' && name !== 'RegisterStsAccount') offending.push(`${id}.${name}: key-propagation retry outside RegisterStsAccount`);
          if (list === 'taskTimeout' && name !== 'StartRemediation') offending.push(`${id}.${name}: a task-timeout-only retry outside StartRemediation`);
          if (list?.startsWith('readiness:') && name !== 'CheckReadiness') offending.push(`${id}.${name}: a readiness retry outside CheckReadiness`);
        }
      }
    }
    expect(offending).toEqual([]);
  });

  it('every Task state retries: Lambda tasks (compensation and release included) on the retryable list, notifications on the EventBridge list', () => {
    const undo: string[] = [];
    for (const { id, definition } of machines) {
      for (const [name, st] of tasks(definition)) {
        const first = (st.Retry ?? [])[0] as Retrier | undefined;
        expect(first, `${id}.${name}`).toBeDefined();
        if (isLambdaTask(st)) expect(first?.ErrorEquals, `${id}.${name}`).toEqual([...RETRYABLE_ERRORS]);
        else if (isPutEvents(st)) expect(first?.ErrorEquals, `${id}.${name}`).toEqual([...EVENTBRIDGE_RETRYABLE_ERRORS]);
        else if (isStartExecution(st)) expect(first?.ErrorEquals, `${id}.${name}`).toEqual([...TASK_TIMEOUT_ERRORS]);
        else if (isServiceIntegration(st)) expect(first?.ErrorEquals, `${id}.${name}`).toEqual([...SERVICE_INTEGRATION_RETRYABLE_ERRORS]);
        else throw new Error(`${id}.${name}: unexpected task resource ${st.Resource}`);
        // A task timeout is retried like a Lambda timeout.
        if (st.TimeoutSeconds !== undefined) expect(first?.ErrorEquals, `${id}.${name}`).toContain('States.Timeout');
        if (name.startsWith('Undo')) undo.push(name);
      }
    }
    expect(undo.sort()).toEqual(['UndoBackupPolicy', 'UndoBucket', 'UndoClusterPolicies', 'UndoPrincipal', 'UndoRegistrations', 'UndoStsPrincipal']);
  });

  it('compensation retries transient errors before its Catch records a permanent failure', () => {
    const onboarding = machines[0]?.definition as AslDefinition;
    for (const name of ['UndoRegistrations', 'UndoClusterPolicies', 'UndoPrincipal', 'UndoBackupPolicy', 'UndoBucket', 'ReleaseTenantOnFailure']) {
      const st = allStates(onboarding).get(name) as AslState;
      expect(st.Retry?.map((r) => r.ErrorEquals), name).toEqual([[...RETRYABLE_ERRORS]]);
      expect(st.Retry?.[0]?.ErrorEquals, name).toEqual(expect.arrayContaining(['PaletteServerError', 'PaletteThrottledError', 'AwsTransientError', 'Lambda.Unknown']));
      expect(st.Catch?.map((c) => c.ErrorEquals), name).toEqual([['States.ALL']]);
    }
  });

  it('the shared schedule: 2 s, x2, capped at 60 s, full jitter, 10 attempts whose caps (362 s) outlast a 5-minute outage', () => {
    for (const { id, definition } of machines) {
      for (const [name, st] of allStates(definition)) {
        for (const r of (st.Retry ?? []) as Retrier[]) {
          if (listOf(r) === 'keyPropagation') continue;
          // The readiness gate's own schedule (test/cdk/state-machine.test.ts, test/unit/readiness-schedule.test.ts).
          if (listOf(r)?.startsWith('readiness:')) continue;
          expect(r, `${id}.${name}`).toEqual({
            ErrorEquals: r.ErrorEquals,
            IntervalSeconds: RETRY_POLICY.intervalSeconds,
            BackoffRate: RETRY_POLICY.backoffRate,
            MaxDelaySeconds: RETRY_POLICY.maxDelaySeconds,
            MaxAttempts: RETRY_POLICY.maxAttempts,
            JitterStrategy: 'FULL',
          });
          const caps = cappedRetryDelays({
            intervalSeconds: r.IntervalSeconds ?? 1,
            backoffRate: r.BackoffRate ?? 2,
            maxDelaySeconds: r.MaxDelaySeconds as number,
            maxAttempts: r.MaxAttempts ?? 3,
          });
          expect(caps.reduce((a, b) => a + b, 0), `${id}.${name}`).toBeGreaterThan(OUTAGE_RIDE_OUT_SECONDS);
        }
      }
    }
  });

  it('never retries a permanent error or a wildcard', () => {
    for (const { id, definition } of machines) {
      const retried = new Set([...allStates(definition).values()].flatMap((st) => (st.Retry ?? []).flatMap((r) => r.ErrorEquals)));
      for (const name of [...PERMANENT_ERRORS, 'States.ALL', 'States.TaskFailed']) expect(retried.has(name), `${id}: ${name}`).toBe(false);
    }
  });
});
