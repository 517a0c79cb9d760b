/**
 * The deployed app, locally: loads the synthesized CDK app (its stack templates, resolved for a local "deployment"
 * by local/runner/template.ts) into a running sandbox the way CloudFormation would deploy it, through the sandbox's own
 * APIs (resources.ts), then makes it run there:
 *
 * - the Step Functions service's engine runs executions on the local runner (runtime.ts);
 * - the 'lambda' delivery receiver invokes the app's bundled functions (EventBridge / Scheduler targets);
 * - the SQS event source mappings are polled as the Lambda service polls them (event-sources.ts);
 * - the workflows' `events:putEvents` events go to the sandbox's EventBridge as each putEvents state runs (as the state machine's role);
 * - CloudFormation's DescribeStacks answers the stack with its resolved Outputs (the CLI's deployed mode finds the
 *   state machine, the registry table, the queues there).
 *
 *   const sb = await startLocalSandbox({ aws: { port: 0 }, palette: { port: 0 }, env: {} });
 *   const app = await loadApp(sb);
 *   app.report;            // loaded / ignored / unsupported / failed resources
 *   app.outputs;           // the stack's Outputs, e.g. StateMachineArn, EventBusName, DeadLetterQueueUrl
 *   await app.stop();      // pollers stopped, engine and receiver removed (before sb.stop())
 *
 * See local/app/README.md.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { RunningLocalSandbox } from '../sandbox';
import type { StepFunctionsService } from '../aws/services/states';
import type { CloudFormationService } from '../aws/services/cloudformation';
import { loadWorkflow, type LoadWorkflowOptions, type LocalWorkflow, type RunOptions } from '../runner/runner';
import { ensurePaletteApiKeySecret, sandboxEndpoints } from '../runner/sandbox';
import { resolveValue, type CfnTemplate, type DeploymentTarget } from '../runner/template';
import type { StackArtifact } from '../runner/assembly';
import { EventSourcePollers, type SqsEventSource } from './event-sources';
import { loadResources, replaceQueueUrls, type LoadContext, type LoadReport } from './resources';
import { AppRuntime, type AppActivity, type AppStateMachine } from './runtime';

export type { AppActivity, AppInvocation, AppStateMachine } from './runtime';
export type { LoadReport, LoadedResource } from './resources';
export { LOADERS } from './resources';

export interface LoadAppOptions {
  /** The synthesized app, or how to load it (default: the cached in-process synth; `{assemblyDir: 'cdk.out'}`). */
  workflow?: LocalWorkflow | LoadWorkflowOptions;
  /** Passed to every execution and invocation (time compression in tests). */
  run?: Pick<RunOptions, 'waitOverridesMs' | 'retryIntervalOverridesMs' | 'echoLogs' | 'roles'>;
  /**
   * Local time compression for the event source mappings: a message the function failed is visible again after this
   * many seconds instead of the queue's visibility timeout (env SANDBOX_APP_REDELIVERY_SECONDS in `npm run sandbox`).
   */
  redeliveryDelaySeconds?: number;
  /** Executions, invocations and errors as they happen (the sandbox's console). */
  onActivity?: (a: AppActivity) => void;
  /** Loading progress (synthesis, phases). */
  onProgress?: (message: string) => void;
}

export interface LoadedStack {
  stackName: string;
  report: LoadReport;
  /** The stack's Outputs, resolved as the sandbox deployed it. */
  outputs: Record<string, string>;
}

export interface LoadedApp {
  stacks: LoadedStack[];
  /** The first stack's report (the app has one stack). */
  report: LoadReport;
  /** The first stack's outputs. */
  outputs: Record<string, string>;
  stateMachines: AppStateMachine[];
  eventBuses: Array<{ name: string; arn: string }>;
  rules: Array<{ name: string; arn: string }>;
  queues: Array<{ name: string; url: string; arn: string }>;
  functions: Array<{ logicalId: string; name: string; arn: string }>;
  schedules: Array<{ name: string; arn: string }>;
  tables: string[];
  eventSources: Array<{ queueArn: string; functionName: string; batchSize: number; reportBatchItemFailures: boolean }>;
  runtime: AppRuntime;
  /** Resolves once no execution or invocation is queued or running. */
  settled(): Promise<void>;
  /** Stops the pollers, removes the engine and the lambda receiver (call before stopping the sandbox). */
  stop(): Promise<void>;
}

/** A stack's Outputs resolved for the local deployment (queue URLs as the sandbox made them). */
function stackOutputs(ctx: Pick<LoadContext, 'queues' | 'template' | 'target'>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, o] of Object.entries(ctx.template.Outputs ?? {})) {
    try {
      const v = replaceQueueUrls(ctx, resolveValue(o.Value, ctx.template, ctx.target));
      out[key] = typeof v === 'string' ? v : JSON.stringify(v);
    } catch {
      // an output the local deployment cannot resolve is left out (listed nowhere else: it has no resource)
    }
  }
  return out;
}

/** Registers the stack with the sandbox's CloudFormation (DescribeStacks answers it). */
function putStack(sb: RunningLocalSandbox, stack: StackArtifact, target: DeploymentTarget, outputs: Record<string, string>, report: LoadReport): void {
  const cfn = sb.aws.services.get('cloudformation') as CloudFormationService | undefined;
  if (!cfn) {
    report.failed.push({ logicalId: stack.stackName, type: 'AWS::CloudFormation::Stack', error: 'the sandbox has no CloudFormation service' });
    return;
  }
  const template = stack.template as CfnTemplate & { Description?: unknown; Outputs?: Record<string, { Value: unknown; Description?: unknown; Export?: { Name?: unknown } }> };
  const parameters: Record<string, string> = {};
  for (const [k, p] of Object.entries(template.Parameters ?? {})) if (p.Default !== undefined) parameters[k] = String(p.Default);
  try {
    cfn.putStack({
      stackName: stack.stackName,
      accountId: target.accountId,
      region: target.region,
      ...(typeof template.Description === 'string' ? { description: template.Description } : {}),
      outputs: Object.entries(outputs).map(([key, value]) => {
        const o = template.Outputs?.[key];
        let exportName: unknown;
        try {
          exportName = o?.Export?.Name === undefined ? undefined : resolveValue(o.Export.Name, template, target);
        } catch {
          exportName = undefined;
        }
        return {
          key,
          value,
          ...(typeof o?.Description === 'string' ? { description: o.Description } : {}),
          ...(typeof exportName === 'string' ? { exportName } : {}),
        };
      }),
      parameters,
      resources: report.loaded.map((r) => ({ logicalId: r.logicalId, type: r.type, physicalId: r.physicalId })),
      templateBody: JSON.stringify(template),
      capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
    });
  } catch (e) {
    report.failed.push({ logicalId: stack.stackName, type: 'AWS::CloudFormation::Stack', error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
}

/** Loads the app into the sandbox and runs it there (see the module comment). */
export async function loadApp(sb: RunningLocalSandbox, opts: LoadAppOptions = {}): Promise<LoadedApp> {
  const endpoints = sandboxEndpoints(sb);
  const say = (m: string) => opts.onProgress?.(m);
  const workflow: LocalWorkflow =
    opts.workflow && 'assembly' in opts.workflow
      ? opts.workflow
      : await loadWorkflow({ ...(opts.workflow ?? {}), onProgress: (e) => (e.kind === 'synth' ? say(e.message) : undefined) });
  const credentials = { accessKeyId: endpoints.aws.accessKeyId, secretAccessKey: endpoints.aws.secretAccessKey };
  const base = { endpoint: endpoints.aws.endpoint, region: endpoints.aws.region, credentials };
  const clients = {
    sqs: new SQSClient(base),
    events: new EventBridgeClient(base),
    scheduler: new SchedulerClient(base),
    sfn: new SFNClient(base),
    s3: new S3Client({ ...base, forcePathStyle: true }),
    dynamodb: new DynamoDBClient(base),
  };
  const stacks: LoadedStack[] = [];
  const runtime = new AppRuntime({
    sandbox: sb,
    workflow,
    ...(opts.run ? { run: opts.run } : {}),
    ...(opts.onActivity ? { onActivity: opts.onActivity } : {}),
  });
  const eventSources: SqsEventSource[] = [];
  const all = {
    eventBuses: [] as Array<{ name: string; arn: string }>,
    rules: [] as Array<{ name: string; arn: string }>,
    queues: [] as Array<{ name: string; url: string; arn: string }>,
    schedules: [] as Array<{ name: string; arn: string }>,
    tables: [] as string[],
  };
  try {
    for (const stack of workflow.assembly.stacks) {
      const target: DeploymentTarget = { stackName: stack.stackName, partition: 'aws', region: endpoints.aws.region, accountId: endpoints.aws.accountId };
      const report: LoadReport = { stackName: stack.stackName, loaded: [], ignored: [], unsupported: [], failed: [] };
      const ctx: LoadContext = {
        template: stack.template,
        target,
        assemblyDir: workflow.assembly.directory,
        endpoints,
        report,
        clients,
        queues: new Map(),
        functions: new Map(),
        stateMachines: new Map(),
        permissions: [],
        eventSources: [],
        propagationMs: 0,
      };
      say(`loading stack ${stack.stackName} into the sandbox`);
      await loadResources(ctx);
      for (const fn of ctx.functions.values()) runtime.functions.set(fn.arn, fn);
      for (const sm of ctx.stateMachines.values()) runtime.stateMachines.set(sm.arn, sm);
      for (const p of ctx.permissions) {
        runtime.permissions.set(p.functionArn, [...(runtime.permissions.get(p.functionArn) ?? []), { principal: p.principal, ...(p.sourceArn ? { sourceArn: p.sourceArn } : {}), ...(p.sourceAccount ? { sourceAccount: p.sourceAccount } : {}) }]);
      }
      eventSources.push(...ctx.eventSources);
      all.queues.push(...ctx.queues.values());
      for (const r of report.loaded) {
        if (r.type === 'AWS::Events::EventBus') all.eventBuses.push({ name: r.physicalId, arn: r.arn ?? '' });
        if (r.type === 'AWS::Events::Rule') all.rules.push({ name: r.physicalId, arn: r.arn ?? '' });
        if (r.type === 'AWS::Scheduler::Schedule') all.schedules.push({ name: r.physicalId, arn: r.arn ?? '' });
        if (r.type === 'AWS::DynamoDB::Table') all.tables.push(r.physicalId);
      }
      // What every run stores first (the runner's convention): the Palette API key under the name the functions read.
      const secretRef = [...ctx.functions.values()].map((f) => f.environment.PALETTE_API_KEY_SECRET_ARN).find((v) => v !== undefined);
      if (secretRef !== undefined) {
        try {
          await ensurePaletteApiKeySecret(endpoints, secretRef);
        } catch (e) {
          report.failed.push({ logicalId: 'PALETTE_API_KEY_SECRET_ARN', type: 'AWS::SecretsManager::Secret', error: e instanceof Error ? e.message : String(e) });
        }
      }
      const outputs = stackOutputs(ctx);
      putStack(sb, { ...stack, template: ctx.template }, target, outputs, report);
      stacks.push({ stackName: stack.stackName, report, outputs });
    }
  } finally {
    for (const c of Object.values(clients)) c.destroy();
  }

  const states = sb.aws.services.get('states') as StepFunctionsService | undefined;
  states?.setEngine(runtime);
  sb.aws.kernel.targets.register('lambda', runtime);
  const pollers = new EventSourcePollers(sb.aws, runtime, {
    ...(opts.redeliveryDelaySeconds !== undefined ? { redeliveryDelaySeconds: opts.redeliveryDelaySeconds } : {}),
    onError: (message) => opts.onActivity?.({ kind: 'error', message }),
  });
  for (const s of eventSources) pollers.start(s);

  let stopped: Promise<void> | undefined;
  const first = stacks[0] ?? { stackName: '', report: { stackName: '', loaded: [], ignored: [], unsupported: [], failed: [] }, outputs: {} };
  return {
    stacks,
    report: first.report,
    outputs: first.outputs,
    stateMachines: [...runtime.stateMachines.values()],
    ...all,
    functions: [...runtime.functions.values()].map((f) => ({ logicalId: f.logicalId, name: f.functionName, arn: f.arn })),
    eventSources: eventSources.map((s) => ({ queueArn: s.queueArn, functionName: s.fn.functionName, batchSize: s.batchSize, reportBatchItemFailures: s.reportBatchItemFailures })),
    runtime,
    settled: () => runtime.settled(),
    stop: () => {
      stopped ??= (async () => {
        // Queued executions and invocations end at once (a running one finishes), then the pollers stop.
        runtime.close();
        await pollers.stop();
        await runtime.settled();
        states?.setEngine(undefined);
        sb.aws.kernel.targets.unregister('lambda');
      })();
      return stopped;
    },
  };
}

