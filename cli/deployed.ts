/**
 * The deployed mode of the CLI: StartExecution on the onboarding state machine (named after the request, so
 * a duplicate start follows the existing execution), progress from GetExecutionHistory, and the result.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import type { StateProgress } from './format';

export const STATE_MACHINE_ARN_ENV = 'PALETTE_ONBOARDING_STATE_MACHINE_ARN';
export const PLATFORM_SETUP_STATE_MACHINE_ARN_ENV = 'PALETTE_PLATFORM_SETUP_STATE_MACHINE_ARN';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const SM_ARN = /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;
const EXEC_ARN = /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):execution:([A-Za-z0-9_-]{1,80}):([^:]{1,80})$/;

/** Which deployed state machine: the environment variable naming it and the stack output holding its ARN. */
export interface StateMachineTarget {
  env: string;
  output: string;
}
export const ONBOARDING_TARGET: StateMachineTarget = { env: STATE_MACHINE_ARN_ENV, output: 'StateMachineArn' };
export const PLATFORM_SETUP_TARGET: StateMachineTarget = { env: PLATFORM_SETUP_STATE_MACHINE_ARN_ENV, output: 'PlatformSetupStateMachineArn' };
export const OFFBOARDING_STATE_MACHINE_ARN_ENV = 'PALETTE_OFFBOARDING_STATE_MACHINE_ARN';
export const OFFBOARDING_TARGET: StateMachineTarget = { env: OFFBOARDING_STATE_MACHINE_ARN_ENV, output: 'OffboardingStateMachineArn' };
export const REVALIDATION_STATE_MACHINE_ARN_ENV = 'PALETTE_REVALIDATION_STATE_MACHINE_ARN';
export const REVALIDATION_TARGET: StateMachineTarget = { env: REVALIDATION_STATE_MACHINE_ARN_ENV, output: 'RevalidationStateMachineArn' };

/** Env var naming the deployed stack (default PaletteOnboardingStack, the app's stack id). */
export const STACK_NAME_ENV = 'PALETTE_ONBOARDING_STACK_NAME';
export const DEFAULT_STACK_NAME = 'PaletteOnboardingStack';

/** Reads the stack output `output`; undefined (with the reason) when the stack or output cannot be read. */
export async function stackOutput(cfn: CloudFormationClient, stackName: string, output: string): Promise<{ value?: string; reason?: string }> {
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const value = out.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === output)?.OutputValue;
    return value ? { value } : { reason: `stack ${stackName} has no ${output} output` };
  } catch (e) {
    return { reason: `cannot read stack ${stackName}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` };
  }
}

export function cloudFormationClient(region: string | undefined): CloudFormationClient {
  return new CloudFormationClient(region ? { region } : {});
}

/**
 * The state machine ARN: --state-machine-arn, else the environment variable, else the deployed stack's output
 * (stack $PALETTE_ONBOARDING_STACK_NAME, default PaletteOnboardingStack). A clear error when none works.
 */
export async function resolveStateMachineArn(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  target: StateMachineTarget = ONBOARDING_TARGET,
  lookup?: { cfn: CloudFormationClient },
): Promise<string> {
  let arn = flag ?? env[target.env];
  let reason: string | undefined;
  const stackName = env[STACK_NAME_ENV] ?? DEFAULT_STACK_NAME;
  if (!arn && lookup) ({ value: arn, reason } = await stackOutput(lookup.cfn, stackName, target.output));
  if (!arn) {
    throw new ConfigError(
      `no state machine: pass --state-machine-arn or set ${target.env}${reason ? ` (${reason})` : ''}; the ARN is the ${target.output} ` +
        `output of the deployed stack (aws cloudformation describe-stacks --stack-name ${stackName}); use --local to run on the sandbox`,
    );
  }
  if (!SM_ARN.test(arn)) throw new ConfigError(`'${arn}' is not a Step Functions state machine ARN`);
  return arn;
}

/** Execution ARN of `name` on `stateMachineArn`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

export function regionOf(arn: string): string | undefined {
  return SM_ARN.exec(arn)?.[2] ?? EXEC_ARN.exec(arn)?.[2];
}

export const isExecutionArn = (s: string): boolean => EXEC_ARN.test(s);

export function sfnClient(region: string | undefined): SFNClient {
  return new SFNClient(region ? { region } : {});
}

export interface StartResult {
  executionArn: string;
  /** An execution of the same name (same request) already existed: this follows it. */
  deduplicated: boolean;
}

export async function startExecution(sfn: SFNClient, stateMachineArn: string, name: string, input: unknown): Promise<StartResult> {
  try {
    const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    return { executionArn: out.executionArn ?? executionArnOf(stateMachineArn, name), deduplicated: false };
  } catch (e) {
    if (e instanceof ExecutionAlreadyExists) return { executionArn: executionArnOf(stateMachineArn, name), deduplicated: true };
    throw e;
  }
}

async function allHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, includeExecutionData: false, ...(nextToken ? { nextToken } : {}) }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

const FAILURE_DETAILS: Partial<Record<string, keyof HistoryEvent>> = {
  LambdaFunctionFailed: 'lambdaFunctionFailedEventDetails',
  LambdaFunctionTimedOut: 'lambdaFunctionTimedOutEventDetails',
  LambdaFunctionScheduleFailed: 'lambdaFunctionScheduleFailedEventDetails',
  LambdaFunctionStartFailed: 'lambdaFunctionStartFailedEventDetails',
  TaskFailed: 'taskFailedEventDetails',
  TaskTimedOut: 'taskTimedOutEventDetails',
  TaskStartFailed: 'taskStartFailedEventDetails',
  TaskSubmitFailed: 'taskSubmitFailedEventDetails',
  EvaluationFailed: 'evaluationFailedEventDetails',
};

/**
 * Turns history events into state progress, remembering what it has seen (call it with the whole history
 * on each poll; only new events produce progress).
 */
export class HistoryProgress {
  private readonly byId = new Map<number, HistoryEvent>();
  private lastId = 0;
  private readonly enteredAt = new Map<string, number>();
  private readonly failedSinceEntered = new Set<string>();
  private readonly attempts = new Map<string, number>();

  private stateOf(e: HistoryEvent): { name: string; type: string } | undefined {
    let cur: HistoryEvent | undefined = e;
    for (let hops = 0; cur && hops < 20; hops++) {
      const entered = cur.stateEnteredEventDetails;
      if (entered?.name && cur.type?.endsWith('StateEntered')) return { name: entered.name, type: cur.type.replace(/StateEntered$/, '') };
      cur = cur.previousEventId !== undefined ? this.byId.get(cur.previousEventId) : undefined;
    }
    return undefined;
  }

  consume(events: readonly HistoryEvent[]): StateProgress[] {
    const out: StateProgress[] = [];
    for (const e of events) {
      if (e.id === undefined || e.id <= this.lastId) continue;
      this.lastId = e.id;
      this.byId.set(e.id, e);
      const type = e.type ?? '';
      const at = e.timestamp?.getTime() ?? Date.now();
      if (type.endsWith('StateEntered') && e.stateEnteredEventDetails?.name) {
        const name = e.stateEnteredEventDetails.name;
        this.enteredAt.set(name, at);
        this.failedSinceEntered.delete(name);
        this.attempts.set(name, 0);
        out.push({ status: 'started', state: name, stateType: type.replace(/StateEntered$/, '') });
      } else if (type.endsWith('StateExited') && e.stateExitedEventDetails?.name) {
        const name = e.stateExitedEventDetails.name;
        if (this.failedSinceEntered.has(name)) continue;
        out.push({ status: 'succeeded', state: name, stateType: type.replace(/StateExited$/, ''), durationMs: at - (this.enteredAt.get(name) ?? at) });
      } else if (type === 'LambdaFunctionScheduled' || type === 'TaskScheduled') {
        const st = this.stateOf(e);
        if (!st) continue;
        const n = (this.attempts.get(st.name) ?? 0) + 1;
        this.attempts.set(st.name, n);
        if (n > 1) out.push({ status: 'retried', state: st.name, stateType: st.type, attempt: n - 1 });
      } else if (FAILURE_DETAILS[type] || type === 'ParallelStateFailed' || type === 'MapStateFailed') {
        const st = this.stateOf(e);
        const key = FAILURE_DETAILS[type];
        const details = (key ? e[key] : undefined) as { error?: string; cause?: string } | undefined;
        if (!st) continue;
        this.failedSinceEntered.add(st.name);
        out.push({
          status: 'failed',
          state: st.name,
          stateType: st.type,
          durationMs: at - (this.enteredAt.get(st.name) ?? at),
          ...(details?.error ? { error: details.error } : {}),
          ...(details?.cause ? { cause: details.cause } : {}),
        });
      }
    }
    return out;
  }
}

export interface FollowOptions {
  pollMs: number;
  onProgress?: (p: StateProgress) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** Polls until the execution is no longer RUNNING; returns its final description. */
export async function followExecution(sfn: SFNClient, executionArn: string, opts: FollowOptions): Promise<DescribeExecutionCommandOutput> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const progress = new HistoryProgress();
  for (;;) {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (opts.onProgress) for (const p of progress.consume(await allHistory(sfn, executionArn))) opts.onProgress(p);
    if (described.status !== 'RUNNING' && described.status !== 'PENDING_REDRIVE') return described;
    await sleep(opts.pollMs);
  }
}

export async function describeExecution(sfn: SFNClient, executionArn: string): Promise<DescribeExecutionCommandOutput> {
  return sfn.send(new DescribeExecutionCommand({ executionArn }));
}
