/**
 * Local runner: runs the synthesized state machines in-process against the sandbox (see README.md).
 *
 *   const sb = await startLocalSandbox({ aws: { port: 0 }, palette: { port: 0 }, env: {} });
 *   const run = await runOnboarding(request, { sandbox: sb, onProgress });
 *   // run.status, run.output, run.error, run.cause, run.history, run.logs, run.events
 */
export {
  causeMessage,
  loadWorkflow,
  ONBOARDING_STATE_MACHINE,
  PLATFORM_SETUP_STATE_MACHINE,
  OFFBOARDING_STATE_MACHINE,
  runOffboarding,
  REVALIDATION_STATE_MACHINE,
  runRevalidation,
  awaitStartedExecutions,
  type StartedExecution,
  prepareStateMachine,
  runOnboarding,
  runStateMachine,
  invokeFunction,
  type LoadWorkflowOptions,
  type LocalRunResult,
  type LocalWorkflow,
  type PreparedStateMachine,
  type RunOptions,
} from './runner';
export { loadAssembly, onboardingAssemblySource, openAssembly, DEFAULT_CACHE_DIR, type AssemblySource, type CloudAssembly } from './assembly';
export type { HistoryEvent, ProgressEvent, ExecutionStatus } from './execute';
export type { CapturedLog } from './capture';
export type { RecordedEvent } from './events';
export { LambdaCrashError, type InvocationRecord } from './lambda';
export { CrashRuleError, parseCallName, type CrashRecord, type CrashRule, type RecordedCall } from './crash';
export {
  detectRunningSandbox,
  ensurePaletteApiKeySecret,
  ensureSandboxSecret,
  ensureSandboxAccounts,
  sandboxEndpoints,
  SandboxError,
  type SandboxEndpoints,
  type SandboxLike,
} from './sandbox';
export { resolveValue, findStateMachine, describeFunction, TemplateError, type CfnTemplate, type DeploymentTarget, type LocalFunction } from './template';
export { LOCAL_DEPLOYMENT_CONTEXT } from './assembly';
export { templateRoles, ensureSandboxRoles, type TemplateRole, type EnsuredRole } from './roles';
export type { RunPermissions, FunctionPermissions, DeniedCall, AssumedRoleUsage } from './permissions';
export {
  actionMatches,
  compareUsage,
  grantedActions,
  grantedActionsByFunction,
  LAMBDA_PLATFORM_ACTIONS,
  mergePermissions,
  type FunctionUsage,
  type UsageReport,
} from './permissions-report';
export { executionNameFor } from '../../cli/request';
export { runBulk, sandboxManifestBucket, BULK_STATE_MACHINE, type BulkManifest, type BulkRun, type BulkRunOptions } from './bulk';
export type { MapRunRecord } from './distributed-map';
export type { ChildExecution } from './runner';
