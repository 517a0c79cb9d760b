/**
 * `palette-onboard start --local` as a shortcut for the deployed mode (local/bin/run-local.ts): the request is started
 * with the CLI's deployed code path (cli/deployed.ts: the state machine from the stack's outputs through
 * DescribeStacks, StartExecution under the request's name, DescribeExecution / GetExecutionHistory until it ends)
 * against a sandbox that runs the app (`npm run sandbox`, or one started in-process with the app loaded).
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DEFAULT_STACK_NAME, followExecution, ONBOARDING_TARGET, resolveStateMachineArn, stackOutput, startExecution, STACK_NAME_ENV } from '../../cli/deployed';
import { describeCause, formatFailure, formatStateLine, formatSummary, style, type Stream } from '../../cli/format';
import { prepareRequestFixtures } from '../runner/fixtures';
import { consoleReporter, formatRunResult, runResultJson } from '../runner/present';
import type { SandboxEndpoints } from '../runner/sandbox';
import type { LoadedApp } from './index';

function clients(sb: SandboxEndpoints): { sfn: SFNClient; cfn: CloudFormationClient } {
  const config = { endpoint: sb.aws.endpoint, region: sb.aws.region, credentials: { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey } };
  return { sfn: new SFNClient(config), cfn: new CloudFormationClient(config) };
}

/**
 * The onboarding state machine of the app the sandbox runs (its stack's StateMachineArn output), if it runs the app;
 * `output`: another of the stack's state machine outputs (e.g. PlatformSetupStateMachineArn, only in an app
 * synthesized for self-hosted Palette).
 */
export async function sandboxAppStateMachine(sb: SandboxEndpoints, env: NodeJS.ProcessEnv = process.env, output: string = ONBOARDING_TARGET.output): Promise<string | undefined> {
  const { sfn, cfn } = clients(sb);
  try {
    const found = await stackOutput(cfn, env[STACK_NAME_ENV] ?? DEFAULT_STACK_NAME, output);
    return found.value;
  } finally {
    sfn.destroy();
    cfn.destroy();
  }
}

export interface DeployedStartOptions {
  sandbox: SandboxEndpoints;
  executionName: string;
  /** Progress and human output. */
  out: Stream;
  /** The in-process app (its runtime reports progress live and keeps the finished run); absent: a sandbox in another process. */
  app?: LoadedApp;
  pollMs?: number;
}

export interface DeployedStartResult {
  status: string;
  /** What `--json` prints (the shape run-local always printed). */
  json: Record<string, unknown>;
  /** The human summary. */
  text: string;
}

/** Starts `request` on the sandbox's app through the deployed code path and follows it to its end. */
export async function startOnSandboxApp(request: unknown, opts: DeployedStartOptions): Promise<DeployedStartResult> {
  const s = style(opts.out);
  const { sfn, cfn } = clients(opts.sandbox);
  try {
    const smArn = await resolveStateMachineArn(undefined, { ...process.env, [ONBOARDING_TARGET.env]: undefined }, ONBOARDING_TARGET, { cfn });
    // Sandbox stand-ins for what the request references (credential secrets, MinIO), as every local run creates them.
    const input = await prepareRequestFixtures(request, opts.sandbox, (line) => opts.out.write(`• ${line}\n`));
    const started = await startExecution(sfn, smArn, opts.executionName, input);
    opts.out.write(
      started.deduplicated
        ? `An execution for this exact request already exists (${opts.executionName}); following it. Use --rerun <id> to start a new one.\n`
        : `${s.dim('•')} started ${opts.executionName} on ${smArn} (StartExecution on the sandbox's Step Functions)\n`,
    );
    const live = opts.app && !started.deduplicated ? opts.app.runtime : undefined;
    const reporter = consoleReporter(opts.out, s);
    if (live) live.onExecutionProgress = (arn, e) => (arn === started.executionArn ? reporter(e) : undefined);
    let final;
    try {
      final = await followExecution(sfn, started.executionArn, {
        pollMs: opts.pollMs ?? 500,
        ...(live
          ? {}
          : {
              onProgress: (p) => {
                const line = formatStateLine(p, s);
                if (line) opts.out.write(`${line}\n`);
              },
            }),
      });
    } finally {
      if (live) live.onExecutionProgress = undefined;
    }
    const run = opts.app?.runtime.runs.get(started.executionArn);
    if (run) return { status: run.status, json: runResultJson(run), text: formatRunResult(run, s) };
    const status = final.status ?? 'UNKNOWN';
    const output = final.output === undefined ? undefined : (JSON.parse(final.output) as unknown);
    const durationMs = final.startDate && final.stopDate ? final.stopDate.getTime() - final.startDate.getTime() : undefined;
    const json = {
      status,
      executionName: opts.executionName,
      executionArn: started.executionArn,
      ...(output !== undefined ? { output } : {}),
      ...(final.error !== undefined ? { error: final.error, cause: final.cause, errorMessage: describeCause(final.cause ?? '') } : {}),
      ...(durationMs !== undefined ? { durationMs } : {}),
      // The events its putEvents states sent went to the sandbox's EventBridge (rules on the buses receive them).
      events: [],
    };
    const text = status === 'SUCCEEDED' ? `\n${s.ok('Onboarding succeeded')}\n${formatSummary(output, s)}` : `\n${s.bad('Onboarding failed')}\n${formatFailure(status, final.error, final.cause, s)}`;
    return { status, json, text };
  } finally {
    sfn.destroy();
    cfn.destroy();
  }
}

/** The CLI's environment overrides that name a deployment's resources (a user's real ARNs must not leak into a sandbox run). */
const DEPLOYED_OVERRIDES = [
  'PALETTE_ONBOARDING_STATE_MACHINE_ARN',
  'PALETTE_PLATFORM_SETUP_STATE_MACHINE_ARN',
  'PALETTE_OFFBOARDING_STATE_MACHINE_ARN',
  'PALETTE_REVALIDATION_STATE_MACHINE_ARN',
  'PALETTE_BULK_STATE_MACHINE_ARN',
  'PALETTE_BULK_MANIFEST_BUCKET',
  'PALETTE_ONBOARDING_REGISTRY_TABLE',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
] as const;

/**
 * `--local` as a shortcut for the deployed mode: runs the CLI itself (cli/main.ts runCli) with `argv` (no --local)
 * against a sandbox that runs the app, exactly as a platform engineer runs it against AWS with
 * AWS_ENDPOINT_URL=<sandbox>: the SDK's clients take the endpoint, keys and region from this process's environment
 * (the CLI's own clients are built from it), the state machines and the registry table from the stack's outputs.
 * Changes this process's environment: call it from a local/bin script's own process.
 */
export async function runCliOnSandboxApp(argv: readonly string[], sb: SandboxEndpoints, io: { stdout: Stream; stderr: Stream } = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  for (const name of DEPLOYED_OVERRIDES) delete process.env[name];
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: sb.aws.endpoint,
    AWS_ACCESS_KEY_ID: sb.aws.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sb.aws.secretAccessKey,
    AWS_REGION: sb.aws.region,
    AWS_DEFAULT_REGION: sb.aws.region,
  });
  const { runCli } = await import('../../cli/main');
  return runCli(argv, { stdout: io.stdout, stderr: io.stderr, env: process.env, cwd: process.cwd() });
}

/**
 * `palette-onboard <command> --local` on a running sandbox: when it runs the app, the CLI's deployed mode for
 * `command argv` (runCliOnSandboxApp; its exit code); undefined when it does not (a sandbox started with
 * `npm run sandbox -- --no-app`, or by a test without the app), and the caller runs on the local runner itself.
 */
export async function viaSandboxApp(
  command: string,
  argv: readonly string[],
  sb: SandboxEndpoints,
  note: (line: string) => void,
  /** The stack output naming the state machine the command starts (the onboarding one by default). */
  output: string = ONBOARDING_TARGET.output,
): Promise<number | undefined> {
  if ((await sandboxAppStateMachine(sb, process.env, output)) === undefined) return undefined;
  note(`the sandbox at ${sb.aws.endpoint} runs the app: \`${command}\` takes the deployed path (as with AWS_ENDPOINT_URL=${sb.aws.endpoint} and no --local)`);
  return runCliOnSandboxApp([command, ...argv], sb);
}
