/**
 * The local run: a state machine of the synthesized CDK app, executed in-process against the sandbox, with
 * the real bundled Lambda handlers and their environment taken from the template.
 *
 *   const sb = await startLocalSandbox();
 *   const run = await runOnboarding(request, { sandbox: sb, onProgress });
 *   run.status, run.output, run.error, run.cause, run.history, run.logs, run.events
 */
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { join } from 'node:path';
import { describeCause } from '../../cli/format';
import type { AuthorizeObserver, ServiceSessionCredentials, ServiceSessionRequest } from '../aws/core/types';
import { executionNameFor } from '../../cli/request';
import { offboardingExecutionName } from '../../lambdas/domain/offboarding-request';
import { revalidationExecutionName } from '../../lambdas/domain/drift';
import { DEFAULT_CACHE_DIR, loadAssembly, onboardingAssemblySource, openAssembly, type CloudAssembly, type StackArtifact } from './assembly';
import { installHttpAttribution } from './attribution';
import { OutputCapture, type CapturedLog } from './capture';
import { containerSession, credentialEndpoint, sandboxSessionSource } from './credentials';
import { PermissionRecorder, type RunPermissions } from './permissions';
import { ensureSandboxRoles, sandboxPropagationMs, templateRoles, type EnsuredRole } from './roles';
import {
  CallMonitor,
  CrashRuleError,
  installZombieGate,
  sandboxHooksOf,
  validateCrashRules,
  type CrashRecord,
  type CrashRule,
  type RecordedCall,
} from './crash';
import { PRINCIPAL_PROPAGATION_ERRORS } from '../../lambdas/shared/retryable-errors';
import { LocalEventBridge, type PutEventsSender, type RecordedEvent } from './events';
import {
  executeDefinition,
  HistoryRecorder,
  walkStates,
  type AslDefinitionLike,
  type AslStateLike,
  type ExecutionStatus,
  type HistoryEvent,
  type LocalTaskHandler,
  type ProgressEvent,
} from './execute';
import { LambdaCrashError, LocalLambdaRuntime, type InvocationRecord } from './lambda';
import { prepareRequestFixtures } from './fixtures';
import { ensurePaletteApiKeySecret, ensureSandboxAccounts, sandboxEndpoints, type SandboxEndpoints, type SandboxLike } from './sandbox';
import { ensureSandboxTables } from './tables';
import { ensureSandboxBuckets, sandboxS3 } from './buckets';
import { describeMapRun, DISTRIBUTED_MAP_RESOURCE, isDistributedMap, rewriteDistributedMaps, runDistributedMap, type DistributedMapState, type MapRunRecord } from './distributed-map';
import { ExecutionNames, inputHash, type ExecutionRecord } from './execution-names';
import { evaluateWithHashes, HASH_PASS_RESOURCE, rewriteHashPasses } from './intrinsics';
import {
  describeFunction,
  findStateMachine,
  functionLogicalIdFor,
  resourceArn,
  stateMachineLogicalIds,
  TemplateError,
  type DeploymentTarget,
  type LocalFunction,
  type StateMachineResource,
} from './template';

/** Logical-id prefix of the onboarding state machine (construct `Workflow` of the stack). */
export const ONBOARDING_STATE_MACHINE = 'Workflow';
/** Logical-id prefix of the offboarding state machine (construct `Offboarding` of the stack). */
export const OFFBOARDING_STATE_MACHINE = 'Offboarding';
/** Logical-id prefix of the re-validation state machine (construct `Revalidation` of the stack). */
export const REVALIDATION_STATE_MACHINE = 'Revalidation';
/**
 * Logical-id prefix of the self-hosted PlatformSetup state machine (an app synthesized with context
 * `selfHosted: true`); the same value as PLATFORM_SETUP_STATE_MACHINE in cdk/lib/constructs/platform-setup.ts,
 * repeated here so that a cached run does not load aws-cdk-lib.
 */
export const PLATFORM_SETUP_STATE_MACHINE = 'PlatformSetupWorkflow';
const PALETTE_SECRET_ENV = 'PALETTE_API_KEY_SECRET_ARN';
const PALETTE_ENDPOINT_ENV = 'PALETTE_ENDPOINT';

// ---- the synthesized app ----------------------------------------------------------------------------------

export interface LoadWorkflowOptions {
  /** CDK context overrides (part of the cache key). */
  context?: Record<string, unknown>;
  /** Use this cloud assembly directory as is (e.g. `cdk.out` from `npx cdk synth`) instead of the cache. */
  assemblyDir?: string;
  cacheDir?: string;
  /** Re-synthesize even if cached. */
  fresh?: boolean;
  onProgress?: (e: ProgressEvent) => void;
}

export interface LocalWorkflow {
  assembly: CloudAssembly;
}

const workflowMemo = new Map<string, Promise<LocalWorkflow>>();

/**
 * The synthesized app: an up-to-date cached assembly, or a fresh in-process synth (bundling every function).
 * Memoized per process and options.
 */
export function loadWorkflow(opts: LoadWorkflowOptions = {}): Promise<LocalWorkflow> {
  const key = JSON.stringify([opts.context ?? {}, opts.assemblyDir ?? '', opts.cacheDir ?? DEFAULT_CACHE_DIR]);
  let p = opts.fresh ? undefined : workflowMemo.get(key);
  if (!p) {
    p = (async () => {
      if (opts.assemblyDir) return { assembly: openAssembly(opts.assemblyDir) };
      const assembly = await loadAssembly(onboardingAssemblySource(opts.context ? { context: opts.context } : {}), {
        ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
        ...(opts.fresh ? { fresh: true } : {}),
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      });
      return { assembly };
    })();
    p.catch(() => workflowMemo.delete(key));
    workflowMemo.set(key, p);
  }
  return p;
}

// ---- preparing a state machine ----------------------------------------------------------------------------

type TaskBinding =
  | { kind: 'lambda'; resource: string; fn: LocalFunction }
  | { kind: 'lambda-invoke'; resource: string }
  | { kind: 'put-events'; resource: string }
  | { kind: 'start-execution'; resource: string }
  /** states:startExecution.sync / .sync:2: a state machine of the stack run as a child execution, awaited. */
  | { kind: 'start-execution-sync'; resource: string; stateMachine: string; version2: boolean }
  /** aws-sdk:<service>:<action> (served: s3:getObject, sfn:describeMapRun). */
  | { kind: 'aws-sdk'; resource: string; service: string; action: string }
  /** A Distributed Map state, rewritten into a Task (distributed-map.ts). */
  | { kind: 'distributed-map'; resource: string }
  /** A Pass state using States.Hash, rewritten into a Task (intrinsics.ts). */
  | { kind: 'hash-pass'; resource: string; parameters: unknown };

/** The aws-sdk integrations the runner serves. */
const AWS_SDK_SERVED = new Set(['s3:getObject', 'sfn:describeMapRun']);

export interface PreparedStateMachine {
  stack: StackArtifact;
  target: DeploymentTarget;
  stateMachine: StateMachineResource;
  definition: AslDefinitionLike;
  /** Every Lambda function of the stack, by logical id (lambda:invoke may name any of them). */
  functions: Map<string, LocalFunction>;
  /** Task state name -> what serves it. */
  tasks: Map<string, TaskBinding>;
  /** The functions' environment from the template (union over the state machine's functions and its children's). */
  environment: Record<string, string>;
  /** Distributed Map states (the definition has them as Tasks), by state name. */
  distributedMaps: Map<string, DistributedMapState>;
  /** State machines its `.sync` tasks start, by logical id. */
  children: Map<string, PreparedStateMachine>;
}

function findStackWith(assembly: CloudAssembly, selector: string | undefined): StackArtifact {
  const candidates = assembly.stacks.filter((s) => {
    const ids = stateMachineLogicalIds(s.template);
    return selector === undefined ? ids.length > 0 : ids.some((id) => id.startsWith(selector));
  });
  if (candidates.length === 1) return candidates[0] as StackArtifact;
  if (candidates.length === 0 && assembly.stacks.length === 1) return assembly.stacks[0] as StackArtifact;
  const all = assembly.stacks.map((s) => `${s.stackName} [${stateMachineLogicalIds(s.template).join(', ')}]`).join('; ');
  throw new TemplateError(
    `${candidates.length === 0 ? 'no stack has' : 'several stacks have'} a state machine matching '${selector ?? '(any)'}'; stacks: ${all}`,
  );
}

/** Resolves the state machine and maps its Task states to the template's functions and integrations. */
export function prepareStateMachine(
  workflow: LocalWorkflow,
  selector: string | undefined,
  where: { region: string; accountId: string; partition?: string },
  definitionOverride?: AslDefinitionLike,
): PreparedStateMachine {
  const stack = findStackWith(workflow.assembly, selector);
  const target: DeploymentTarget = { stackName: stack.stackName, partition: where.partition ?? 'aws', region: where.region, accountId: where.accountId };
  const stateMachine = findStateMachine(stack.template, selector, target);
  const { definition: original, passes: hashPasses } = rewriteHashPasses(definitionOverride ?? (stateMachine.definition as AslDefinitionLike));
  const children = new Map<string, PreparedStateMachine>();
  const functions = new Map<string, LocalFunction>();
  for (const [id, r] of Object.entries(stack.template.Resources)) {
    if (r.Type === 'AWS::Lambda::Function' && r.Metadata?.['aws:asset:path'] !== undefined) {
      functions.set(id, describeFunction(stack.template, id, workflow.assembly.directory, target));
    }
  }
  const tasks = new Map<string, TaskBinding>();
  const used = new Set<string>();
  let dynamicInvoke = false;
  const p = target.partition;
  walkStates(original, (name, st) => {
    if (isDistributedMap(st)) {
      tasks.set(name, { kind: 'distributed-map', resource: DISTRIBUTED_MAP_RESOURCE });
      return;
    }
    if (st.Type === 'Task' && st.Resource === HASH_PASS_RESOURCE) {
      tasks.set(name, { kind: 'hash-pass', resource: HASH_PASS_RESOURCE, parameters: hashPasses.get(name) });
      return;
    }
    if (st.Type !== 'Task') return;
    const resource = st.Resource ?? '';
    if (resource.startsWith('arn:') && resource.includes(':lambda:') && resource.includes(':function:')) {
      const id = functionLogicalIdFor(stack.template, resource, target);
      const fn = id ? functions.get(id) : undefined;
      if (!fn) throw new TemplateError(`Task state ${name}: function ${resource} is not a bundled function of stack ${stack.stackName}`);
      tasks.set(name, { kind: 'lambda', resource, fn });
      used.add(fn.logicalId);
    } else if (resource === `arn:${p}:states:::lambda:invoke`) {
      const params = st.Parameters as Record<string, unknown> | undefined;
      const fnName = params?.FunctionName;
      if (typeof fnName === 'string') {
        const id = functionLogicalIdFor(stack.template, fnName, target);
        if (id) used.add(id);
      } else if (typeof params?.['FunctionName.$'] === 'string') dynamicInvoke = true;
      tasks.set(name, { kind: 'lambda-invoke', resource });
    } else if (resource === `arn:${p}:states:::events:putEvents`) {
      tasks.set(name, { kind: 'put-events', resource });
    } else if (resource === `arn:${p}:states:::states:startExecution`) {
      tasks.set(name, { kind: 'start-execution', resource });
    } else if (resource === `arn:${p}:states:::states:startExecution.sync` || resource === `arn:${p}:states:::states:startExecution.sync:2`) {
      const arn = (st.Parameters as Record<string, unknown> | undefined)?.StateMachineArn;
      const childId = stateMachineLogicalIds(stack.template).find((id) => typeof arn === 'string' && resourceArn(stack.template, id, target) === arn);
      if (!childId) throw new TemplateError(`Task state ${name}: ${resource} needs a literal StateMachineArn of a state machine of stack ${stack.stackName} (got ${JSON.stringify(arn)})`);
      if (!children.has(childId) && childId !== stateMachine.logicalId) children.set(childId, prepareStateMachine(workflow, childId, where));
      tasks.set(name, { kind: 'start-execution-sync', resource, stateMachine: childId, version2: resource.endsWith(':2') });
    } else if (resource.startsWith(`arn:${p}:states:::aws-sdk:`) && AWS_SDK_SERVED.has(resource.slice(`arn:${p}:states:::aws-sdk:`.length))) {
      const [service, action] = resource.slice(`arn:${p}:states:::aws-sdk:`.length).split(':') as [string, string];
      tasks.set(name, { kind: 'aws-sdk', resource, service, action });
    } else {
      throw new TemplateError(
        `Task state ${name} uses ${resource}, which the local runner does not serve (supported: Lambda function ARNs, lambda:invoke, events:putEvents, states:startExecution[.sync[:2]], aws-sdk:s3:getObject, aws-sdk:sfn:describeMapRun, Distributed Map)`,
      );
    }
  });
  // A lambda:invoke whose FunctionName is chosen at run time (`FunctionName.$`, e.g. from a static array of ARNs in a
  // Map's ItemSelector) may invoke any function whose ARN the definition names: all of them are used.
  if (dynamicInvoke) {
    const text = JSON.stringify(original);
    for (const fn of functions.values()) if (text.includes(`"${fn.arn}"`)) used.add(fn.logicalId);
  }
  // All functions of one state machine share one process environment: it must be consistent.
  const environment: Record<string, string> = {};
  const from: Record<string, string> = {};
  for (const id of used) {
    const fn = functions.get(id);
    if (!fn) continue;
    for (const [k, v] of Object.entries(fn.environment)) {
      if (k in environment && environment[k] !== v) {
        throw new TemplateError(
          `functions ${from[k]} and ${id} set ${k} differently ('${environment[k]}' vs '${v}'); the in-process runner needs one environment per state machine`,
        );
      }
      environment[k] = v;
      from[k] = id;
    }
  }
  for (const child of children.values()) {
    for (const [k, v] of Object.entries(child.environment)) {
      if (k in environment && environment[k] !== v) {
        throw new TemplateError(`state machine ${child.stateMachine.logicalId} (started by ${stateMachine.logicalId}) sets ${k} differently ('${environment[k]}' vs '${v}'); the in-process runner needs one environment`);
      }
      environment[k] = v;
    }
  }
  const { definition, maps: distributedMaps } = rewriteDistributedMaps(original);
  // aws-local-stepfunctions times a Task out after 60 s when it has no TimeoutSeconds; Step Functions' default is
  // 99999999 s. The runner's own Tasks (a Distributed Map, a .sync child, a hashing Pass) get Step Functions' default.
  const untimed = (d: AslDefinitionLike) =>
    walkStates(d, (name, st) => {
      const t = st as { Type?: string; TimeoutSeconds?: number; TimeoutSecondsPath?: string };
      const kind = tasks.get(name)?.kind;
      if (t.Type === 'Task' && t.TimeoutSeconds === undefined && t.TimeoutSecondsPath === undefined && (kind === 'distributed-map' || kind === 'start-execution-sync' || kind === 'hash-pass')) {
        t.TimeoutSeconds = 2_000_000; // ~23 days: the longest a Node timer holds (2^31 ms)
      }
    });
  untimed(definition);
  for (const m of distributedMaps.values()) untimed(m.ItemProcessor);
  return { stack, target, stateMachine, definition, functions, tasks, environment, distributedMaps, children };
}

// ---- running --------------------------------------------------------------------------------------------

export interface RunOptions {
  /** A running sandbox (startLocalSandbox) or its endpoints. */
  sandbox: SandboxLike;
  /** The synthesized app, or how to load it (default: cached in-process synth). */
  workflow?: LocalWorkflow | LoadWorkflowOptions;
  /** Logical-id prefix (or StateMachineName) of the state machine; default: the onboarding one. */
  stateMachine?: string;
  /** Default: executionNameFor(input) (tenant id + hash of the request, as the CLI names executions). */
  executionName?: string;
  /** Member accounts to create in the sandbox first (runOnboarding adds the request's aws.accountId). */
  accounts?: string[];
  onProgress?: (e: ProgressEvent) => void;
  /** Also print what handlers log (always recorded in `logs`). */
  echoLogs?: boolean;
  /** Import fresh module instances (a cold start of every function) instead of reusing warm ones. */
  coldStart?: boolean;
  /** Wait state name -> ms instead of its own time. */
  waitOverridesMs?: Record<string, number>;
  /** State name -> ms before each retry instead of the Retry back-off. */
  retryIntervalOverridesMs?: Record<string, number | number[]>;
  /**
   * Awaited after a Lambda task succeeds and before the workflow moves on. Tests use it to make
   * out-of-band changes at a precise point (e.g. an operator editing a trust policy mid-run). `fn`: the function
   * that ran (its name in the app, `palette-onboarding:function`), which tells a Map's iterations apart when one state
   * invokes a function per item (the Registrations Map: `ensure-backup-location` in EnsureRegistration).
   */
  afterTask?: (state: string, output: unknown, fn: { name: string }) => Promise<void> | void;
  /**
   * Kill a Lambda invocation right after a given AWS / Palette call was applied (see crash.ts): the sandbox holds
   * the response, the invocation fails with `Lambda.Unknown`, its container is dead (the function's next
   * invocation is a cold start). Each rule fires at most once. Needs the in-process sandbox (startLocalSandbox).
   */
  crashes?: CrashRule[];
  /** Record every sandbox call of the run's invocations in `calls`. Needs the in-process sandbox. */
  recordCalls?: boolean;
  /**
   * Which credentials the handlers get. 'synthesized' (default): each function's execution role of the template is
   * created in the sandbox (roles.ts) and every handler runs with a Lambda session of ITS role (credentials.ts), so
   * the sandbox's IAM evaluation decides every call; `run.permissions` records what each role was allowed and denied
   * (in-process sandbox). 'admin': every handler gets the sandbox's admin keys in AWS_ACCESS_KEY_ID (for comparison).
   */
  roles?: 'synthesized' | 'admin';
  /**
   * Run this definition instead of the state machine's own (its Task states name the stack's functions), e.g. the
   * one-state definition of invokeFunction. Default: the state machine's definition from the template.
   */
  definition?: AslDefinitionLike;
  /**
   * Live history: told about the run's history events while it runs (HistoryRecorder's `onEvents`: each event once,
   * append-only, a task attempt's events once placed after its state's StateEntered / StateRetried). Together they are
   * the run's `history`, possibly in a slightly different order within concurrent Parallel / Map branches.
   */
  onHistoryEvents?: (events: HistoryEvent[]) => void;
  /**
   * Aborts the run (StopExecution): the execution stops at the next state (a Wait or a retry back-off at once), once the
   * task handlers running have returned, with status ABORTED. Its `.sync` child executions and Distributed Map items are
   * aborted with it; executions a `states:startExecution` task started are not (they are executions of their own).
   */
  signal?: AbortSignal;
  /**
   * Serves the `events:putEvents` tasks (e.g. PutEvents on the sandbox's EventBridge as the state machine's role) instead
   * of the runner's stand-in; the events it accepts are still recorded in `events`. Throw to fail the task.
   */
  putEvents?: PutEventsSender;
}

/** When this process last created or changed execution roles in a sandbox (by its AWS endpoint): runs wait out their propagation. */
const rolesChangedAt = new Map<string, number>();

export interface LocalRunResult {
  status: ExecutionStatus;
  executionName: string;
  executionArn: string;
  stateMachine: { logicalId: string; name: string; arn: string; stackName: string };
  input: unknown;
  output?: unknown;
  /** Error / Cause as Step Functions reports them (a Lambda error's Cause is its JSON error document). */
  error?: string;
  cause?: string;
  /** errorMessage from a JSON Cause, else the Cause itself. */
  errorMessage?: string;
  startedAt: string;
  stoppedAt: string;
  durationMs: number;
  history: HistoryEvent[];
  /** Everything written during the run: handler output (per invocation), platform lines, runner output. */
  logs: CapturedLog[];
  /** Events sent by events:putEvents states. */
  events: RecordedEvent[];
  invocations: InvocationRecord[];
  /** The environment the functions saw (values included; the sandbox's admin key is not a secret). */
  environment: Record<string, string>;
  /** With `crashes`: the invocations killed, in order. */
  crashes?: CrashRecord[];
  /** With `recordCalls`: every AWS / Palette call the run's invocations made, in the order the sandbox answered them. */
  calls?: RecordedCall[];
  /** The credentials the handlers ran with (RunOptions.roles). */
  roles: 'synthesized' | 'admin';
  /**
   * Executions its `states:startExecution` states started (e.g. a re-validation's remediation), in order. Each runs
   * after this run, as Step Functions would run it on its own; `awaitStartedExecutions(run)` gives their results.
   */
  startedExecutions?: StartedExecution[];
  /** The map runs of its Distributed Map states (what DescribeMapRun answers), in start order. */
  mapRuns?: MapRunRecord[];
  /** The child executions its `states:startExecution.sync` tasks ran (not those another run had started), in finish order. */
  childExecutions?: ChildExecution[];
  /**
   * With synthesized roles on the in-process sandbox: per function (logical id) that ran, its role and every action
   * the sandbox allowed or denied it, plus what it did with roles it assumed (`assumed[roleArn]`). See permissions.ts.
   */
  permissions?: RunPermissions;
}

/** errorMessage of a Lambda error document, else the text itself. */
export function causeMessage(cause: string | undefined): string | undefined {
  return cause === undefined ? undefined : describeCause(cause);
}

let queue: Promise<unknown> = Promise.resolve();
/** Runs share process.env and stdout: one at a time per process. */
function serialized<T>(fn: () => Promise<T>): Promise<T> {
  const next = queue.then(fn, fn);
  queue = next.catch(() => undefined);
  return next;
}

/** Applies `env` to process.env; returns a function restoring the previous values. */
function applyEnvironment(env: Record<string, string>, remove: (k: string) => boolean): () => void {
  const saved = new Map<string, string | undefined>();
  for (const k of Object.keys(process.env)) {
    if (remove(k) && !(k in env)) {
      saved.set(k, process.env[k]);
      delete process.env[k];
    }
  }
  for (const [k, v] of Object.entries(env)) {
    if (!saved.has(k)) saved.set(k, process.env[k]);
    process.env[k] = v;
  }
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** Variables of the parent process that would point the SDK somewhere else than the sandbox. */
const STRAY_AWS_ENV = (k: string) =>
  k.startsWith('AWS_ENDPOINT_URL_') ||
  ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_DEFAULT_REGION', 'AWS_SECURITY_TOKEN', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ROLE_ARN'].includes(k);
/** With synthesized roles, also every variable that would give handlers credentials other than their role's. */
const STRAY_CREDENTIAL_ENV = (k: string) =>
  STRAY_AWS_ENV(k) ||
  ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_CONTAINER_AUTHORIZATION_TOKEN', 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE'].includes(k);
/** Shared config / credentials files that do not exist: the SDK's fromIni / fromProcess / fromSSO find no profile. */
const NO_AWS_FILES = join(tmpdir(), `palette-onboarding-local-runner-${process.pid}-no-aws-files`);

interface InProcessAws {
  serviceSession(req: ServiceSessionRequest): Promise<ServiceSessionCredentials>;
  onAuthorize(fn: AuthorizeObserver): () => void;
}

/**
 * LOCAL_RUNNER_ROLES=admin|synthesized: the default of RunOptions.roles for runs that do not set it, e.g. the runs the
 * CLI's `--local` commands start in their own process.
 */
export function rolesFromEnvironment(env: NodeJS.ProcessEnv = process.env): RunOptions['roles'] {
  const v = env.LOCAL_RUNNER_ROLES;
  if (v === undefined || v === '') return undefined;
  if (v === 'admin' || v === 'synthesized') return v;
  throw new Error(`LOCAL_RUNNER_ROLES must be 'synthesized' or 'admin', got '${v}'`);
}

/** The in-process AWS sandbox behind `sb` (startLocalSandbox), or undefined for plain endpoints. */
function inProcessAws(sb: SandboxLike): InProcessAws | undefined {
  const aws = 'aws' in sb ? (sb as { aws: unknown }).aws : undefined;
  if (typeof aws !== 'object' || aws === null) return undefined;
  const a = aws as Partial<InProcessAws>;
  return typeof a.serviceSession === 'function' && typeof a.onAuthorize === 'function' ? (a as InProcessAws) : undefined;
}

function resolveWorkflowOption(w: RunOptions['workflow'], onProgress: RunOptions['onProgress']): Promise<LocalWorkflow> {
  if (w && 'assembly' in w) return Promise.resolve(w);
  return loadWorkflow({ ...(w ?? {}), ...(onProgress ? { onProgress } : {}) });
}

/**
 * The test suite's time compression (vitest.config.mts sets it): with `LOCAL_RUNNER_WAIT_MS`, every state `select`
 * picks gets that many milliseconds, unless an explicit override names it. Unset: the explicit overrides only.
 */
function compressed<V>(definition: unknown, explicit: Record<string, V> | undefined, select: (st: AslStateLike) => boolean): Record<string, V | number> | undefined {
  const ms = Number(process.env.LOCAL_RUNNER_WAIT_MS);
  if (!process.env.LOCAL_RUNNER_WAIT_MS || !Number.isFinite(ms) || ms < 0) return explicit;
  const names: string[] = [];
  walkStates(definition as AslDefinitionLike, (name, st) => {
    if (select(st)) names.push(name);
  });
  if (names.length === 0) return explicit;
  return { ...Object.fromEntries(names.map((n) => [n, ms])), ...(explicit ?? {}) };
}

/** Every Wait state an explicit `waitOverridesMs` does not name waits LOCAL_RUNNER_WAIT_MS instead of its own time. */
function waitOverridesFor(definition: unknown, explicit: Record<string, number> | undefined): Record<string, number> | undefined {
  return compressed(definition, explicit, (st) => st.Type === 'Wait');
}

const PROPAGATION_ERRORS = new Set<string>(PRINCIPAL_PROPAGATION_ERRORS);

/**
 * The same compression for the readiness gate's polling: a Task state whose Retry names a readiness error
 * (PRINCIPAL_PROPAGATION_ERRORS: CheckReadiness, retried while IAM propagates) retries after LOCAL_RUNNER_WAIT_MS
 * instead of its schedule's 1 s and more, unless an explicit `retryIntervalOverridesMs` names it. (The library's
 * override is per state: the state's transient-error retries are compressed with it.)
 */
function retryOverridesFor(definition: unknown, explicit: Record<string, number | number[]> | undefined): Record<string, number | number[]> | undefined {
  return compressed(definition, explicit, (st) => st.Type === 'Task' && (st.Retry ?? []).some((r) => (r.ErrorEquals ?? []).some((e) => PROPAGATION_ERRORS.has(e))));
}

/** Runs a state machine of the app on the sandbox. */
export async function runStateMachine(input: unknown, opts: RunOptions): Promise<LocalRunResult> {
  const emit = (e: ProgressEvent) => {
    try {
      opts.onProgress?.(e);
    } catch {
      // ignore progress callback failures
    }
  };
  const sb: SandboxEndpoints = sandboxEndpoints(opts.sandbox);
  const crashRules = opts.crashes ?? [];
  const monitoring = crashRules.length > 0 || opts.recordCalls === true;
  const hooks = monitoring ? sandboxHooksOf(opts.sandbox) : undefined;
  if (monitoring && !hooks) {
    throw new CrashRuleError(
      `${crashRules.length > 0 ? 'crash injection (RunOptions.crashes)' : 'RunOptions.recordCalls'} needs the in-process sandbox (startLocalSandbox()): with plain endpoints the runner cannot see or hold the sandbox's responses`,
    );
  }
  const workflow = await resolveWorkflowOption(opts.workflow, opts.onProgress);
  const prepared = prepareStateMachine(
    workflow,
    opts.stateMachine ?? ONBOARDING_STATE_MACHINE,
    { region: sb.aws.region, accountId: sb.aws.accountId },
    opts.definition,
  );
  if (crashRules.length > 0) {
    validateCrashRules(
      crashRules,
      new Set([...prepared.tasks].filter(([, b]) => b.kind !== 'put-events').map(([state]) => state)),
      new Set([...prepared.functions.values()].map((f) => functionNameOf(prepared, f.logicalId))),
    );
  }

  if (opts.accounts && opts.accounts.length > 0) {
    emit({ kind: 'prepare', message: `ensuring sandbox member account(s) ${opts.accounts.join(', ')}` });
    await ensureSandboxAccounts(sb, opts.accounts);
  }
  const tables = await ensureSandboxTables(sb, prepared.stack.template, prepared.target);
  if (prepared.distributedMaps.size > 0 || [...prepared.tasks.values()].some((b) => b.kind === 'aws-sdk')) {
    const buckets = await ensureSandboxBuckets(sb, prepared.stack.template, prepared.target);
    if (buckets.length > 0) emit({ kind: 'prepare', message: `S3 bucket(s) ${buckets.join(', ')} ready` });
  }
  if (tables.length > 0) emit({ kind: 'prepare', message: `DynamoDB table(s) ${tables.join(', ')} ready` });

  const roleMode = opts.roles ?? rolesFromEnvironment() ?? 'synthesized';
  const aws = inProcessAws(opts.sandbox);
  const rolesByFunction = new Map<string, EnsuredRole>();
  let credentialEnv: Record<string, string> = { AWS_ACCESS_KEY_ID: sb.aws.accessKeyId, AWS_SECRET_ACCESS_KEY: sb.aws.secretAccessKey };
  const endpoint = roleMode === 'synthesized' ? await credentialEndpoint() : undefined;
  if (endpoint) {
    const roles = templateRoles(prepared.stack.template, prepared.target, new Set(prepared.functions.keys()));
    const ensured = await ensureSandboxRoles(sb, roles);
    for (const r of ensured) for (const f of r.functions) rolesByFunction.set(f, r);
    const changed = ensured.filter((r) => r.outcome !== 'unchanged');
    if (changed.length > 0) rolesChangedAt.set(sb.aws.endpoint, Date.now());
    // A run that found the roles as they should be still waits while another run of this process (started at the same
    // time) has just changed them: their policies may not have propagated yet.
    const since = Date.now() - (rolesChangedAt.get(sb.aws.endpoint) ?? Number.NEGATIVE_INFINITY);
    const propagation = changed.length > 0 || Number.isFinite(since) ? await sandboxPropagationMs(sb) : 0;
    const wait = Math.max(0, propagation + 50 - since);
    if (changed.length > 0 || wait > 0) {
      emit({
        kind: 'prepare',
        message: `${changed.length > 0 ? `execution role(s) of ${changed.length} function role(s) created or updated in the sandbox` : 'execution roles changed by another run moments ago'}${wait > 0 ? `; waiting ${Math.round(wait)} ms for IAM propagation` : ''}`,
      });
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    credentialEnv = { ...endpoint.environment(), AWS_CONFIG_FILE: join(NO_AWS_FILES, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(NO_AWS_FILES, 'credentials') };
  }
  const env: Record<string, string> = {
    ...prepared.environment,
    AWS_ENDPOINT_URL: sb.aws.endpoint,
    AWS_REGION: sb.aws.region,
    ...credentialEnv,
    // No X-Ray daemon here: the SDK clients are never captured locally (lambdas/shared/tracer.ts).
    POWERTOOLS_TRACE_ENABLED: 'false',
  };
  if (PALETTE_ENDPOINT_ENV in prepared.environment) env[PALETTE_ENDPOINT_ENV] = sb.palette.endpoint;
  const secretRef = prepared.environment[PALETTE_SECRET_ENV];
  if (secretRef !== undefined) {
    emit({ kind: 'prepare', message: `storing the Palette API key in Secrets Manager as ${secretRef}` });
    env[PALETTE_SECRET_ENV] = await ensurePaletteApiKeySecret(sb, secretRef);
  }

  const executionName = opts.executionName ?? executionNameFor(input);
  const sm = prepared.stateMachine;
  const executionArn = `arn:${prepared.target.partition}:states:${sb.aws.region}:${sb.aws.accountId}:execution:${sm.name}:${executionName}`;

  /** The retry interval overrides of an execution of `definition` (explicit ones, and the test suite's compression). */
  const withRetryOverrides = (definition: unknown): { retryIntervalOverridesMs?: Record<string, number | number[]> } => {
    const overrides = retryOverridesFor(definition, opts.retryIntervalOverridesMs);
    return overrides ? { retryIntervalOverridesMs: overrides } : {};
  };

  return serialized(async () => {
    const history = new HistoryRecorder(opts.onHistoryEvents ? { onEvents: opts.onHistoryEvents } : {});
    const capture = new OutputCapture({ echo: opts.echoLogs === true });
    const bridge = new LocalEventBridge({ account: sb.aws.accountId, region: sb.aws.region });
    const lambda = new LocalLambdaRuntime({ capture, environment: env, region: sb.aws.region, coldStart: opts.coldStart === true });
    const monitor = hooks
      ? new CallMonitor({
          capture,
          rules: crashRules,
          recordCalls: opts.recordCalls === true,
          kill: (ctx, detail) => lambda.crash(ctx.scope.requestId, detail.after),
          functionName: (logicalId) => functionNameOf(prepared, logicalId),
        })
      : undefined;

    const invokeFunction = async (history: HistoryRecorder, fn: LocalFunction, payload: unknown, state: string, resource: string): Promise<unknown> => {
      const task = history.beginTask(state, [
        { type: 'LambdaFunctionScheduled', resource, functionLogicalId: fn.logicalId, input: payload },
        { type: 'LambdaFunctionStarted', functionLogicalId: fn.logicalId },
      ]);
      const meta: { requestId?: string } = {};
      try {
        const out = await lambda.invoke(fn, payload, state, meta);
        const requestId = meta.requestId;
        task.succeeded({ type: 'LambdaFunctionSucceeded', functionLogicalId: fn.logicalId, output: out, ...(requestId ? { requestId } : {}) });
        await opts.afterTask?.(state, out, { name: functionNameOf(prepared, fn.logicalId) });
        return out;
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        task.failed({
          type: err.name === 'Sandbox.Timedout' ? 'LambdaFunctionTimedOut' : 'LambdaFunctionFailed',
          functionLogicalId: fn.logicalId,
          error: err.name,
          cause: err.message,
          ...(err instanceof LambdaCrashError ? { requestId: err.requestId } : {}),
        });
        throw err;
      }
    };

    const started: StartedExecution[] = [];
    const startedRuns: Promise<LocalRunResult>[] = [];
    const mapRuns: MapRunRecord[] = [];
    const childExecutions: ChildExecution[] = [];
    const s3 = sandboxS3(sb);
    const names = new ExecutionNames(sb);
    const startExecution = (history: HistoryRecorder, state: string, resource: string, params: unknown): StartExecutionOutput => {
      const task = history.beginTask(state, [
        { type: 'TaskScheduled', resource, input: params },
        { type: 'TaskStarted', resource },
      ]);
      try {
        const child = childExecution(prepared, params, startedRuns.length);
        const startedAt = new Date().toISOString();
        const run = runStateMachine(child.input, {
          sandbox: opts.sandbox,
          workflow,
          stateMachine: child.logicalId,
          executionName: child.name,
          roles: roleMode,
          ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
          ...(opts.echoLogs ? { echoLogs: true } : {}),
          ...(opts.waitOverridesMs ? { waitOverridesMs: opts.waitOverridesMs } : {}),
          ...(opts.retryIntervalOverridesMs ? { retryIntervalOverridesMs: opts.retryIntervalOverridesMs } : {}),
        });
        run.catch(() => undefined);
        startedRuns.push(run);
        started.push({ state, stateMachine: child.logicalId, executionName: child.name, executionArn: child.executionArn, input: child.input, startedAt });
        const out = { ExecutionArn: child.executionArn, StartDate: startedAt };
        task.succeeded({ type: 'TaskSucceeded', resource, output: out });
        return out;
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        task.failed({ type: 'TaskFailed', resource, error: err.name, cause: err.message });
        throw err;
      }
    };

    const buildTasks = (prep: PreparedStateMachine, history: HistoryRecorder, ctx: ExecutionContext): Record<string, LocalTaskHandler> => {
    const tasks: Record<string, LocalTaskHandler> = {};
    for (const [state, binding] of prep.tasks) {
      if (binding.kind === 'start-execution') {
        tasks[state] = async (i) => startExecution(history, state, binding.resource, i);
      } else if (binding.kind === 'start-execution-sync') {
        tasks[state] = (i) => recordedTask(history, state, binding.resource, i, () => startSyncExecution(prep, binding, i));
      } else if (binding.kind === 'aws-sdk') {
        tasks[state] = (i) => recordedTask(history, state, binding.resource, i, () => awsSdkTask(binding, i));
      } else if (binding.kind === 'hash-pass') {
        tasks[state] = (i) =>
          evaluateWithHashes(binding.parameters, i, {
            Execution: { Id: ctx.executionArn, Name: ctx.executionName, RoleArn: `${ctx.stateMachine.arn}:role`, RedriveCount: 0 },
            StateMachine: { Id: ctx.stateMachine.arn, Name: ctx.stateMachine.name },
          });
      } else if (binding.kind === 'distributed-map') {
        tasks[state] = (i) => recordedTask(history, state, binding.resource, i, () => distributedMapTask(prep, state, i, ctx));
      } else if (binding.kind === 'lambda') {
        tasks[state] = (i) => invokeFunction(history, binding.fn, i, state, binding.resource);
      } else if (binding.kind === 'lambda-invoke') {
        tasks[state] = async (i) => {
          const params = (typeof i === 'object' && i !== null && !Array.isArray(i) ? i : {}) as Record<string, unknown>;
          const name = typeof params.FunctionName === 'string' ? params.FunctionName : '';
          const id = functionLogicalIdFor(prep.stack.template, name, prep.target);
          const fn = id ? prep.functions.get(id) : undefined;
          if (!fn) {
            const e = new Error(`Function not found: ${name}`);
            e.name = 'Lambda.ResourceNotFoundException';
            throw e;
          }
          const payload = await invokeFunction(history, fn, params.Payload ?? null, state, binding.resource);
          return {
            ExecutedVersion: '$LATEST',
            Payload: payload,
            SdkHttpMetadata: { HttpStatusCode: 200 },
            SdkResponseMetadata: { RequestId: lambda.invocations.at(-1)?.requestId ?? '' },
            StatusCode: 200,
          };
        };
      } else {
        tasks[state] = async (i) => {
          const task = history.beginTask(state, [
            { type: 'TaskScheduled', resource: binding.resource, input: i },
            { type: 'TaskStarted', resource: binding.resource },
          ]);
          try {
            const send = opts.putEvents;
            const out = send ? await bridge.forward(i, state, (input) => send(input, state, { executionArn: ctx.executionArn, stateMachineArn: ctx.stateMachine.arn })) : bridge.putEvents(i, state);
            task.succeeded({ type: 'TaskSucceeded', resource: binding.resource, output: out });
            return out;
          } catch (e) {
            const err = e instanceof Error ? e : new Error(String(e));
            task.failed({ type: 'TaskFailed', resource: binding.resource, error: err.name, cause: err.message });
            throw err;
          }
        };
      }
    }
    return tasks;
    };
    /** A service-integration task attempt, recorded like the others (TaskScheduled / Started / Succeeded / Failed). */
    const recordedTask = async (history: HistoryRecorder, state: string, resource: string, input: unknown, fn: () => Promise<unknown>): Promise<unknown> => {
      const task = history.beginTask(state, [
        { type: 'TaskScheduled', resource, input },
        { type: 'TaskStarted', resource },
      ]);
      try {
        const out = await fn();
        task.succeeded({ type: 'TaskSucceeded', resource, output: out });
        return out;
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        task.failed({ type: 'TaskFailed', resource, error: err.name, cause: err.message });
        throw err;
      }
    };

    // ---- states:startExecution.sync[:2]: a child execution of a state machine of the stack, awaited ----------
    const startSyncExecution = async (prep: PreparedStateMachine, binding: Extract<TaskBinding, { kind: 'start-execution-sync' }>, params: unknown): Promise<unknown> => {
      const child = prep.children.get(binding.stateMachine);
      if (!child) throw startError('StateMachineDoesNotExistException', `State Machine Does Not Exist: '${binding.stateMachine}'`);
      const { name, input: childInput } = startExecutionParams(params, randomUUID);
      const sm = child.stateMachine;
      const arn = `${sm.arn.replace(':stateMachine:', ':execution:')}:${name}`;
      const record: ExecutionRecord = { executionArn: arn, name, stateMachineArn: sm.arn, inputHash: inputHash(childInput), status: 'RUNNING', startDate: new Date().toISOString() };
      const claim = await names.claim(record);
      let closed: ExecutionRecord;
      if (!claim.claimed) {
        const ex = claim.existing;
        if (ex.status !== 'RUNNING' || ex.inputHash !== record.inputHash) throw startError('ExecutionAlreadyExistsException', `Execution Already Exists: '${arn}'`);
        // Started by another run and still open: the same execution, awaited.
        emit({ kind: 'child-execution', executionName: name, stateMachine: sm.name, status: 'RUNNING', existing: true, at: Date.now() });
        const timeoutMs = ((child.definition as { TimeoutSeconds?: number }).TimeoutSeconds ?? 3600) * 1000;
        closed = (await names.waitClosed(arn, timeoutMs)) ?? ex;
      } else {
        emit({ kind: 'child-execution', executionName: name, stateMachine: sm.name, status: 'RUNNING', at: Date.now() });
        let runInput = childInput;
        let outcome: Awaited<ReturnType<typeof executeDefinition>>;
        const hist = new HistoryRecorder();
        try {
          if (sm.logicalId.startsWith(ONBOARDING_STATE_MACHINE)) {
            const account = requestAccount(childInput);
            if (account) await ensureSandboxAccounts(sb, [account]);
            runInput = await prepareRequestFixtures(childInput, sb);
          }
          const waits = waitOverridesFor(child.definition, opts.waitOverridesMs);
          outcome = await executeDefinition({
            definition: child.definition,
            input: runInput,
            executionName: name,
            executionArn: arn,
            stateMachine: { arn: sm.arn, name: sm.name },
            tasks: buildTasks(child, hist, { executionArn: arn, executionName: name, stateMachine: { arn: sm.arn, name: sm.name } }),
            history: hist,
            ...(waits ? { waitOverridesMs: waits } : {}),
            ...withRetryOverrides(child.definition),
            ...(opts.signal ? { signal: opts.signal } : {}),
          });
        } catch (e) {
          const now = Date.now();
          outcome = { status: 'FAILED', error: e instanceof Error ? e.name : 'Error', cause: e instanceof Error ? e.message : String(e), startedAt: now, stoppedAt: now };
        }
        const output = outcome.output === undefined ? undefined : JSON.stringify(outcome.output);
        await names.close(arn, {
          status: outcome.status,
          ...(output !== undefined ? { output } : {}),
          ...(outcome.error !== undefined ? { error: outcome.error } : {}),
          ...(outcome.cause !== undefined ? { cause: outcome.cause } : {}),
        });
        closed = { ...record, status: outcome.status, stopDate: new Date(outcome.stoppedAt).toISOString(), ...(output !== undefined ? { output } : {}), ...(outcome.error !== undefined ? { error: outcome.error } : {}), ...(outcome.cause !== undefined ? { cause: outcome.cause } : {}) };
        childExecutions.push({
          executionName: name,
          executionArn: arn,
          stateMachine: sm.logicalId,
          input: childInput,
          status: outcome.status,
          ...(outcome.output !== undefined ? { output: outcome.output } : {}),
          ...(outcome.error !== undefined ? { error: outcome.error } : {}),
          ...(outcome.cause !== undefined ? { cause: outcome.cause } : {}),
          startedAt: new Date(outcome.startedAt).toISOString(),
          stoppedAt: new Date(outcome.stoppedAt).toISOString(),
          history: hist.events,
        });
        emit({
          kind: 'child-execution',
          executionName: name,
          stateMachine: sm.name,
          status: outcome.status,
          at: Date.now(),
          ...(outcome.error !== undefined ? { error: outcome.error } : {}),
          ...(outcome.cause !== undefined ? { cause: outcome.cause } : {}),
        });
      }
      return syncResult(closed, childInput, binding.version2);
    };

    // ---- aws-sdk integrations the runner serves -------------------------------------------------------------
    const awsSdkTask = async (binding: Extract<TaskBinding, { kind: 'aws-sdk' }>, params: unknown): Promise<unknown> => {
      const p = (typeof params === 'object' && params !== null ? params : {}) as Record<string, unknown>;
      if (binding.service === 's3' && binding.action === 'getObject') {
        try {
          const got = await s3.send(new GetObjectCommand({ Bucket: String(p.Bucket), Key: String(p.Key) }));
          return {
            Body: (await got.Body?.transformToString('utf8')) ?? '',
            ContentLength: got.ContentLength,
            ContentType: got.ContentType,
            ETag: got.ETag,
            LastModified: got.LastModified?.toISOString(),
            Metadata: got.Metadata ?? {},
          };
        } catch (e) {
          const n = e instanceof Error ? e.name : 'Error';
          const err = new Error(e instanceof Error ? e.message : String(e));
          err.name = `S3.${n.endsWith('Exception') ? n : `${n}Exception`}`;
          throw err;
        }
      }
      const run = mapRuns.find((r) => r.mapRunArn === p.MapRunArn);
      if (!run) {
        const err = new Error(`Map Run Does Not Exist: '${String(p.MapRunArn)}'`);
        err.name = 'Sfn.ResourceNotFoundException';
        throw err;
      }
      return describeMapRun(run);
    };

    // ---- Distributed Map (distributed-map.ts) ---------------------------------------------------------------
    const distributedMapTask = async (prep: PreparedStateMachine, state: string, input: unknown, ctx: ExecutionContext): Promise<unknown> => {
      const def = prep.distributedMaps.get(state);
      if (!def) throw new TemplateError(`no Distributed Map state ${state}`);
      const context = {
        Execution: { Id: ctx.executionArn, Name: ctx.executionName, RoleArn: `${ctx.stateMachine.arn}:role`, RedriveCount: 0 },
        StateMachine: { Id: ctx.stateMachine.arn, Name: ctx.stateMachine.name },
      };
      const itemDefinition = { StartAt: def.ItemProcessor.StartAt, States: def.ItemProcessor.States } as AslDefinitionLike;
      const waits = waitOverridesFor(itemDefinition, opts.waitOverridesMs);
      const { result } = await runDistributedMap({
        state,
        definition: def,
        input,
        context,
        execution: { arn: ctx.executionArn, stateMachineName: ctx.stateMachine.name, region: prep.target.region, accountId: prep.target.accountId, partition: prep.target.partition },
        s3,
        runItem: (itemInput, child) => {
          const hist = new HistoryRecorder();
          return executeDefinition({
            definition: itemDefinition,
            input: itemInput,
            executionName: child.name,
            executionArn: child.executionArn,
            stateMachine: ctx.stateMachine,
            tasks: buildTasks(prep, hist, { executionArn: child.executionArn, executionName: child.name, stateMachine: ctx.stateMachine }),
            history: hist,
            ...(waits ? { waitOverridesMs: waits } : {}),
            ...withRetryOverrides(itemDefinition),
            ...(opts.signal ? { signal: opts.signal } : {}),
          });
        },
        ...(opts.signal ? { signal: opts.signal } : {}),
        onUpdate: (r) => {
          const i = mapRuns.findIndex((m) => m.mapRunArn === r.mapRunArn);
          if (i >= 0) mapRuns[i] = r;
          else mapRuns.push(r);
          emit({
            kind: 'map-run',
            state,
            mapRunArn: r.mapRunArn,
            status: r.status,
            itemCounts: r.itemCounts,
            at: Date.now(),
            executionArn: r.executionArn,
            startDate: r.startDate,
            ...(r.stopDate ? { stopDate: r.stopDate } : {}),
            maxConcurrency: r.maxConcurrency,
            toleratedFailurePercentage: r.toleratedFailurePercentage,
            toleratedFailureCount: r.toleratedFailureCount,
          });
        },
      });
      return result;
    };

    const restoreEnv = applyEnvironment(env, endpoint ? STRAY_CREDENTIAL_ENV : STRAY_AWS_ENV);
    let detach: (() => void) | undefined;
    if (hooks && monitor) {
      installHttpAttribution();
      if (crashRules.length > 0) installZombieGate(hooks);
      detach = monitor.attach(hooks);
    }
    const recorder = endpoint && aws
      ? new PermissionRecorder({
          statesOf: (id) => lambda.activeStates(id),
          onDenied: (d) => emit({ kind: 'permission-denied', ...d, at: Date.now() }),
        })
      : undefined;
    const undo: Array<() => void> = [];
    if (endpoint) {
      installHttpAttribution();
      const source = sandboxSessionSource(sb.aws.endpoint, aws ? (req) => aws.serviceSession(req) : undefined);
      undo.push(
        endpoint.register(capture, async (ctx) => {
          const fn = prepared.functions.get(ctx.scope.functionLogicalId);
          const role = rolesByFunction.get(ctx.scope.functionLogicalId);
          const container = lambda.containerOf(ctx.scope.requestId);
          if (!fn || !role || container === undefined) return undefined;
          return containerSession(
            {
              key: `${sb.aws.endpoint}|${container}|${role.arn}|${role.roleId}`,
              functionLogicalId: fn.logicalId,
              functionName: fn.functionName,
              functionArn: fn.arn,
              roleArn: role.arn,
              accountId: prepared.target.accountId,
            },
            source,
          );
        }),
      );
      if (recorder && aws) undo.push(recorder.attach(aws));
    }
    const waitOverridesMs = waitOverridesFor(prepared.definition, opts.waitOverridesMs);
    capture.start();
    let outcome;
    try {
      outcome = await executeDefinition({
        definition: prepared.definition,
        input,
        executionName,
        executionArn,
        stateMachine: { arn: sm.arn, name: sm.name },
        tasks: buildTasks(prepared, history, { executionArn, executionName, stateMachine: { arn: sm.arn, name: sm.name } }),
        history,
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        ...(waitOverridesMs ? { waitOverridesMs } : {}),
        ...withRetryOverrides(prepared.definition),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } finally {
      detach?.();
      for (const u of undo) u();
      capture.stop();
      restoreEnv();
      s3.destroy();
      names.destroy();
    }
    if (recorder) {
      // Every function that ran is listed, with what it used (possibly nothing).
      for (const inv of lambda.invocations) {
        const role = rolesByFunction.get(inv.functionLogicalId);
        if (role) recorder.expect(inv.functionLogicalId, role.arn);
      }
    }
    const errorMessage = causeMessage(outcome.cause);
    const result: LocalRunResult = {
      status: outcome.status,
      executionName,
      executionArn,
      stateMachine: { logicalId: sm.logicalId, name: sm.name, arn: sm.arn, stackName: prepared.stack.stackName },
      input,
      ...(outcome.output !== undefined ? { output: outcome.output } : {}),
      ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      ...(outcome.cause !== undefined ? { cause: outcome.cause } : {}),
      ...(errorMessage !== undefined ? { errorMessage } : {}),
      startedAt: new Date(outcome.startedAt).toISOString(),
      stoppedAt: new Date(outcome.stoppedAt).toISOString(),
      durationMs: outcome.stoppedAt - outcome.startedAt,
      history: history.events,
      logs: capture.logs,
      events: bridge.events,
      invocations: lambda.invocations,
      environment: env,
      ...(crashRules.length > 0 && monitor ? { crashes: monitor.crashes } : {}),
      ...(opts.recordCalls && monitor ? { calls: monitor.calls } : {}),
      roles: roleMode,
      ...(recorder ? { permissions: recorder.result() } : {}),
      ...(started.length > 0 ? { startedExecutions: started } : {}),
      ...(mapRuns.length > 0 ? { mapRuns } : {}),
      ...(childExecutions.length > 0 ? { childExecutions } : {}),
    };
    if (startedRuns.length > 0) childRuns.set(result, startedRuns);
    return result;
  });
}

// ---- states:startExecution ------------------------------------------------------------------------------

/** What a Task's handler knows of the execution it runs in (the root, a child, a map item). */
interface ExecutionContext {
  executionArn: string;
  executionName: string;
  stateMachine: { arn: string; name: string };
}

/** A child execution a `states:startExecution.sync` task ran (LocalRunResult.childExecutions). */
export interface ChildExecution {
  executionName: string;
  executionArn: string;
  /** Logical id of its state machine. */
  stateMachine: string;
  input: unknown;
  status: ExecutionStatus;
  output?: unknown;
  error?: string;
  cause?: string;
  startedAt: string;
  stoppedAt: string;
  history: HistoryEvent[];
}

/**
 * The `.sync` task's result: DescribeExecution of the closed child (`.sync:2`: Input / Output as JSON, `.sync`: as
 * text); a child that did not succeed fails the task with `States.TaskFailed` and that description as the Cause.
 */
function syncResult(r: ExecutionRecord, input: unknown, version2: boolean): unknown {
  const output = r.output === undefined ? null : (JSON.parse(r.output) as unknown);
  const described: Record<string, unknown> = {
    ExecutionArn: r.executionArn,
    Input: version2 ? input : JSON.stringify(input),
    InputDetails: { Included: true },
    Name: r.name,
    StartDate: r.startDate,
    StateMachineArn: r.stateMachineArn,
    Status: r.status,
    ...(r.stopDate ? { StopDate: r.stopDate } : {}),
  };
  if (r.status === 'SUCCEEDED') return { ...described, Output: version2 ? output : JSON.stringify(output), OutputDetails: { Included: true } };
  const e = new Error(JSON.stringify({ ...described, ...(r.error !== undefined ? { Error: r.error } : {}), ...(r.cause !== undefined ? { Cause: r.cause } : {}) }));
  e.name = 'States.TaskFailed';
  throw e;
}

/** An execution a `states:startExecution` state started (LocalRunResult.startedExecutions). */
export interface StartedExecution {
  /** The Task state that started it. */
  state: string;
  /** Logical id of its state machine. */
  stateMachine: string;
  executionName: string;
  executionArn: string;
  input: unknown;
  startedAt: string;
}

interface StartExecutionOutput {
  ExecutionArn: string;
  StartDate: string;
}

/** Names started through the integration in this process, by state machine ARN (Step Functions keeps them 90 days). */
const startedNames = new Set<string>();
const childRuns = new WeakMap<LocalRunResult, Promise<LocalRunResult>[]>();

/** Step Functions' StartExecution errors, as the optimized integration names them. */
function startError(code: string, message: string): Error {
  const e = new Error(message);
  e.name = `StepFunctions.${code}`;
  return e;
}

/**
 * StartExecution's Name and Input as Step Functions checks them: a name of 1-80 letters, digits, "-" and "_" (default:
 * `defaultName()`), and an input that is JSON (a string is parsed). startError names what is wrong.
 */
function startExecutionParams(params: unknown, defaultName: () => string): { name: string; input: unknown } {
  const p = (typeof params === 'object' && params !== null ? params : {}) as { Name?: unknown; Input?: unknown };
  const name = p.Name === undefined ? defaultName() : p.Name;
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw startError('InvalidNameException', `Invalid Name: '${String(name)}'`);
  if (typeof p.Input !== 'string') return { name, input: p.Input ?? {} };
  try {
    return { name, input: JSON.parse(p.Input) as unknown };
  } catch {
    throw startError('InvalidExecutionInputException', 'Invalid State Machine Execution Input: not JSON');
  }
}

/**
 * What a `states:startExecution` state asks for (request-response: the execution is started, not awaited): a state
 * machine of the same stack by ARN, a valid name not used before in this process, a JSON input.
 */
function childExecution(prepared: PreparedStateMachine, params: unknown, n: number): { logicalId: string; name: string; executionArn: string; input: unknown } {
  const p = (typeof params === 'object' && params !== null ? params : {}) as { StateMachineArn?: unknown };
  const arn = typeof p.StateMachineArn === 'string' ? p.StateMachineArn : '';
  const logicalId = stateMachineLogicalIds(prepared.stack.template).find((id) => resourceArn(prepared.stack.template, id, prepared.target) === arn);
  if (!logicalId) throw startError('StateMachineDoesNotExistException', `State Machine Does Not Exist: '${arn}'`);
  const { name, input } = startExecutionParams(params, () => `${prepared.stateMachine.name}-child-${Date.now()}-${n}`);
  const executionArn = `${arn.replace(':stateMachine:', ':execution:')}:${name}`;
  if (startedNames.has(executionArn)) throw startError('ExecutionAlreadyExistsException', `Execution Already Exists: '${executionArn}'`);
  startedNames.add(executionArn);
  return { logicalId, name, executionArn, input };
}

/** The results of the executions `run` started (states:startExecution), once each has run. */
export function awaitStartedExecutions(run: LocalRunResult): Promise<LocalRunResult[]> {
  return Promise.all(childRuns.get(run) ?? []);
}

/**
 * Invokes ONE function of the app with `payload` as its event, exactly as a Task state would, under the same
 * conditions as a run (its synthesized role, the sandbox's IAM evaluation, the stack's environment): a state machine
 * of one Task state. `functionName` is the function's name in the app (`palette-onboarding:function` metadata, e.g.
 * `ensure-ssh-key`). Tests use it to hand a function input no validated request could produce (a crafted state) and
 * see what IAM lets it do; the result's status, error and `permissions` tell.
 */
export async function invokeFunction(functionName: string, payload: unknown, opts: Omit<RunOptions, 'definition'>): Promise<LocalRunResult> {
  const workflow = await resolveWorkflowOption(opts.workflow, opts.onProgress);
  const sb = sandboxEndpoints(opts.sandbox);
  const prepared = prepareStateMachine(workflow, opts.stateMachine ?? ONBOARDING_STATE_MACHINE, { region: sb.aws.region, accountId: sb.aws.accountId });
  const fn = [...prepared.functions.values()].find(
    (f) => prepared.stack.template.Resources[f.logicalId]?.Metadata?.[FUNCTION_METADATA] === functionName,
  );
  if (!fn) {
    const names = [...prepared.functions.values()].map((f) => String(prepared.stack.template.Resources[f.logicalId]?.Metadata?.[FUNCTION_METADATA] ?? f.logicalId));
    throw new TemplateError(`no function named ${functionName} in stack ${prepared.stack.stackName} (functions: ${names.sort().join(', ')})`);
  }
  const state = `Invoke ${functionName}`;
  const definition = { StartAt: state, States: { [state]: { Type: 'Task', Resource: fn.arn, End: true } } } as unknown as AslDefinitionLike;
  return runStateMachine(payload, { ...opts, workflow, definition });
}

/** The template metadata naming a function of the app (cdk/lib/constructs/onboarding-function.ts). */
const FUNCTION_METADATA = 'palette-onboarding:function';

/** A function's name in the app (FUNCTION_METADATA, e.g. `ensure-ssh-key`), its logical id when it has none. */
function functionNameOf(prepared: PreparedStateMachine, logicalId: string): string {
  const name = prepared.stack.template.Resources[logicalId]?.Metadata?.[FUNCTION_METADATA];
  return typeof name === 'string' ? name : logicalId;
}

/** The tenant account of a request (if it names a valid one). */
function requestAccount(request: unknown): string | undefined {
  if (typeof request !== 'object' || request === null || !('aws' in request)) return undefined;
  const aws = request.aws;
  if (typeof aws !== 'object' || aws === null || !('accountId' in aws)) return undefined;
  return typeof aws.accountId === 'string' && /^\d{12}$/.test(aws.accountId) ? aws.accountId : undefined;
}

/**
 * Onboards one tenant on the sandbox: ensures the request's tenant account exists, then runs the onboarding
 * state machine with the request as input, named executionNameFor(request) unless given.
 */
export async function runOnboarding(request: unknown, opts: RunOptions & OnboardingRunOptions): Promise<LocalRunResult> {
  const account = requestAccount(request);
  const input = opts.fixtures === false ? request : await prepareRequestFixtures(request, sandboxEndpoints(opts.sandbox), opts.onFixture);
  return runStateMachine(input, { ...opts, accounts: [...(opts.accounts ?? []), ...(account ? [account] : [])] });
}

/**
 * Runs the Offboarding state machine for `request` (`{tenantId, deleteBucket?, purgeBucket?, force?}`), named as the
 * CLI names offboardings unless `executionName` is given.
 */
export async function runOffboarding(request: unknown, opts: RunOptions): Promise<LocalRunResult> {
  const tenantId = typeof request === 'object' && request !== null && typeof (request as { tenantId?: unknown }).tenantId === 'string' ? (request as { tenantId: string }).tenantId : 'unknown';
  return runStateMachine(request, { ...opts, stateMachine: opts.stateMachine ?? OFFBOARDING_STATE_MACHINE, executionName: opts.executionName ?? offboardingExecutionName(tenantId) });
}

/**
 * Runs the Re-validation state machine for `request` (`{tenantId?, remediate?}`; `{}`: every ACTIVE and DRIFTED
 * tenant), named as the CLI names re-validations unless `executionName` is given. A remediation it starts (the
 * onboarding, with the tenant's latest request) runs after it: `awaitStartedExecutions(run)`.
 */
export async function runRevalidation(request: unknown, opts: RunOptions): Promise<LocalRunResult> {
  const tenantId = typeof request === 'object' && request !== null && typeof (request as { tenantId?: unknown }).tenantId === 'string' ? (request as { tenantId: string }).tenantId : undefined;
  return runStateMachine(request, {
    ...opts,
    stateMachine: opts.stateMachine ?? REVALIDATION_STATE_MACHINE,
    executionName: opts.executionName ?? revalidationExecutionName(tenantId),
  });
}

export interface OnboardingRunOptions {
  /**
   * Create sandbox stand-ins for what the optional parts reference (credential secrets, a MinIO endpoint),
   * see fixtures.ts. Default true; false runs the request exactly as given.
   */
  fixtures?: boolean;
  /** Told about each stand-in created. */
  onFixture?: (line: string) => void;
}
