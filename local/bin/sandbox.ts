/**
 * `npm run sandbox [-- --json] [-- --no-app] [-- --assembly <dir>]`: runs the local sandbox in the foreground: the AWS
 * sandbox (IAM, STS, S3, Secrets Manager, DynamoDB, Organizations, SSM Parameter Store, SQS, EventBridge, Scheduler,
 * Step Functions, CloudFormation) and the Palette emulator wired to it (local/sandbox.ts), with the synthesized CDK app
 * loaded into it (local/app/: synthesized into the cache when needed, or `--assembly <dir>` e.g. cdk.out; with the
 * emulator in self-hosted mode, the app synthesized for self-hosted Palette) and running there: its state machines,
 * functions, buses and rules, queues and event source mappings, schedules, tables; CloudFormation DescribeStacks
 * answers the stack with its Outputs, so the CLI's deployed mode works with AWS_ENDPOINT_URL=<endpoint>, and the CLI's
 * `--local` commands take that path too. Executions, invocations and errors are printed as they happen (not with
 * --json). SANDBOX_APP_REDELIVERY_SECONDS: a message the starter failed is visible again after that many seconds
 * instead of the queue's visibility timeout (local time compression).
 *
 * --no-app: the bare sandbox (AWS APIs and the emulator only; the runner and the app's modules are not loaded). The
 * `--local` commands then run the workflows on the local runner in their own process. (`--app`, the former opt-in, is
 * accepted and changes nothing.)
 *
 * Environment: see sandboxOptionsFromEnv (SANDBOX_AWS_PORT, SANDBOX_REGION, SANDBOX_ACCESS_KEY_ID,
 * SANDBOX_SECRET_ACCESS_KEY, SANDBOX_ACCOUNTS, SANDBOX_IAM_PROPAGATION_MS (default 3000),
 * SANDBOX_STATE_FILE, SANDBOX_CONFIG, SANDBOX_SEED).
 *
 * With --json the FIRST stdout line is exactly one JSON object (the ready line):
 *   {"endpoint","region","accountId","accessKeyId","secretAccessKey","accounts":[member ids],
 *    "palette":{"endpoint","mode","systemUser","systemPassword","apiKey","tenantUid","tenantName","projectUid",...},
 *    "app"?: {"stackName","outputs":{...},"stateMachines":[{name,arn}],"eventBuses":[...],"rules":[...],"queues":[...],
 *             "functions":[...],"schedules":[...],"tables":[...],"unsupported":[...],"failed":[...]}}   (with --app)
 * Palette environment: SANDBOX_PALETTE_PORT (default 4580), PALETTE_SANDBOX_SYSTEM_USER,
 * PALETTE_SANDBOX_SYSTEM_PASSWORD, PALETTE_SANDBOX_API_KEY, PALETTE_SANDBOX_MODE (saas | self-hosted), ...
 * SIGINT/SIGTERM persist the state file (if any) and exit 0.
 */
import { sandboxOptionsFromEnv, type RunningSandbox } from '../aws';
import { startLocalSandbox, type LocalSandboxReadyLine } from '../sandbox';
import type { AppReadyInfo } from '../app/present';
import type { LoadedApp } from '../app/index';

type ReadyInfo = LocalSandboxReadyLine & { app?: AppReadyInfo };

function banner(info: ReadyInfo, sb: RunningSandbox): string {
  const lines = [
    'Local AWS sandbox (IAM, STS, S3, Secrets Manager, DynamoDB, Organizations, SSM, SQS, EventBridge, Scheduler, Step Functions, CloudFormation) is running.',
    '',
    `  endpoint            ${info.endpoint}`,
    `  region              ${info.region}`,
    `  management account  ${info.accountId}`,
    `  organization        ${sb.organizationId} (managed by ${info.accountId}; new accounts join its root)`,
    `  member accounts     ${info.accounts.length > 0 ? info.accounts.join(', ') : '(none; POST /_sandbox/accounts)'}`,
    `  IAM propagation     ${sb.kernel.config.iamPropagationMs} ms`,
    '',
    'Use it with:',
    `  export AWS_ENDPOINT_URL=${info.endpoint}`,
    `  export AWS_ACCESS_KEY_ID=${info.accessKeyId}`,
    `  export AWS_SECRET_ACCESS_KEY=${info.secretAccessKey}`,
    `  export AWS_REGION=${info.region}`,
    '',
    `Admin API: ${info.endpoint}/_sandbox/{health,config,inventory,accounts,stats,organization,service-sessions}`,
    '',
    `Palette emulator (${info.palette.mode}) is running.`,
    '',
    `  endpoint            ${info.palette.endpoint}`,
    `  tenant API key      ${info.palette.apiKey}   (header ApiKey)`,
    `  tenant / project    ${info.palette.tenantUid} / ${info.palette.projectUid}`,
    `  system console      ${info.palette.systemUser} / ${info.palette.systemPassword}   (POST /v1/auth/syslogin)`,
    `  Palette AWS account ${info.palette.stsAccountId ?? '(self-hosted: configure /v1/system/config/aws/sts/account)'}`,
    '',
    `Inspection: ${info.palette.endpoint}/_emulator/{health,state,config,requests}`,
  ];
  if (!info.app) lines.push('Press Ctrl+C to stop.');
  return `${lines.join('\n')}\n`;
}

function optionValue(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
  return v;
}

async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const withApp = !argv.includes('--no-app');
  const assemblyDir = optionValue(argv, '--assembly');
  const redelivery = process.env.SANDBOX_APP_REDELIVERY_SECONDS;
  const redeliveryDelaySeconds = redelivery === undefined || redelivery === '' ? undefined : Number(redelivery);
  if (redeliveryDelaySeconds !== undefined && (!Number.isInteger(redeliveryDelaySeconds) || redeliveryDelaySeconds < 0 || redeliveryDelaySeconds > 43200)) {
    throw new Error(`SANDBOX_APP_REDELIVERY_SECONDS must be an integer 0-43200, got "${redelivery}"`);
  }
  const local = await startLocalSandbox({ aws: sandboxOptionsFromEnv() });
  const sb = local.aws;
  let app: LoadedApp | undefined;
  let appText = '';
  let appInfo: AppReadyInfo | undefined;
  if (withApp) {
    // Not with --no-app: the bare sandbox does not load the runner and the app's modules.
    const { loadApp } = await import('../app/index');
    const { appBanner, appReadyInfo, describeActivity } = await import('../app/present');
    const log = (line: string) => process.stderr.write(`${line}\n`);
    try {
      app = await loadApp(local, {
        // The emulator in self-hosted mode: the app as deployed for a self-hosted Palette (PlatformSetup included).
        ...(assemblyDir ? { workflow: { assemblyDir } } : local.readyLine().palette.mode === 'self-hosted' ? { workflow: { context: { selfHosted: true } } } : {}),
        ...(redeliveryDelaySeconds !== undefined ? { redeliveryDelaySeconds } : {}),
        onProgress: (m) => log(`app: ${m}`),
        // --json: stdout keeps only the ready line; errors still go to stderr.
        onActivity: (a) => {
          if (!json) process.stdout.write(`${describeActivity(a)}\n`);
          else if (a.kind === 'error') log(describeActivity(a));
        },
      });
    } catch (e) {
      await local.stop();
      throw e;
    }
    appInfo = appReadyInfo(app);
    appText = appBanner(app, local.readyLine());
  }
  const info: ReadyInfo = { ...local.readyLine(), ...(appInfo ? { app: appInfo } : {}) };
  process.stdout.write(json ? `${JSON.stringify(info)}\n` : `${banner(info, sb)}${appText}`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    if (!json) process.stdout.write(`\n${signal} received, stopping...\n`);
    // A running execution is not waited for long: the process ends anyway.
    const appStopped = app ? Promise.race([app.stop(), new Promise<void>((r) => setTimeout(r, 3000).unref())]) : Promise.resolve();
    appStopped
      .then(() => local.stop())
      .then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`sandbox: error while stopping: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`sandbox: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
