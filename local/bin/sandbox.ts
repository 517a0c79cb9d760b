/**
 * `npm run sandbox [-- --json]`: runs the local sandbox in the foreground: the AWS sandbox (IAM, STS, S3,
 * Secrets Manager, DynamoDB, Organizations, SSM Parameter Store) and the Palette emulator wired to it (local/sandbox.ts).
 *
 * Environment: see sandboxOptionsFromEnv (SANDBOX_AWS_PORT, SANDBOX_REGION, SANDBOX_ACCESS_KEY_ID,
 * SANDBOX_SECRET_ACCESS_KEY, SANDBOX_ACCOUNTS, SANDBOX_IAM_PROPAGATION_MS (default 3000),
 * SANDBOX_STATE_FILE, SANDBOX_CONFIG, SANDBOX_SEED).
 *
 * With --json the FIRST stdout line is exactly one JSON object (the ready line):
 *   {"endpoint","region","accountId","accessKeyId","secretAccessKey","accounts":[member ids],
 *    "palette":{"endpoint","mode","systemUser","systemPassword","apiKey","tenantUid","tenantName","projectUid",...}}
 * Palette environment: SANDBOX_PALETTE_PORT (default 4580), PALETTE_SANDBOX_SYSTEM_USER,
 * PALETTE_SANDBOX_SYSTEM_PASSWORD, PALETTE_SANDBOX_API_KEY, PALETTE_SANDBOX_MODE (saas | self-hosted), ...
 * SIGINT/SIGTERM persist the state file (if any) and exit 0.
 */
import { sandboxOptionsFromEnv, type RunningSandbox } from '../aws';
import { startLocalSandbox, type LocalSandboxReadyLine } from '../sandbox';

type ReadyInfo = LocalSandboxReadyLine;

function banner(info: ReadyInfo, sb: RunningSandbox): string {
  const lines = [
    'Local AWS sandbox (IAM, STS, S3, Secrets Manager, DynamoDB, Organizations, SSM) is running.',
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
    'Press Ctrl+C to stop.',
  ];
  return `${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const local = await startLocalSandbox({ aws: sandboxOptionsFromEnv() });
  const sb = local.aws;
  const info: ReadyInfo = local.readyLine();
  process.stdout.write(json ? `${JSON.stringify(info)}\n` : banner(info, sb));
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    if (!json) process.stdout.write(`\n${signal} received, stopping...\n`);
    local.stop().then(
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
