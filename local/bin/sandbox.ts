/**
 * `npm run sandbox [-- --json]`: runs the local AWS sandbox in the foreground.
 *
 * Environment: see sandboxOptionsFromEnv (SANDBOX_AWS_PORT, SANDBOX_REGION, SANDBOX_ACCESS_KEY_ID,
 * SANDBOX_SECRET_ACCESS_KEY, SANDBOX_ACCOUNTS, SANDBOX_IAM_PROPAGATION_MS (default 3000),
 * SANDBOX_STATE_FILE, SANDBOX_CONFIG, SANDBOX_SEED).
 *
 * With --json the FIRST stdout line is exactly one JSON object (the ready line):
 *   {"endpoint","region","accountId","accessKeyId","secretAccessKey","accounts":[member ids]}
 * SIGINT/SIGTERM persist the state file (if any) and exit 0.
 */
import { sandboxOptionsFromEnv, startSandbox, type RunningSandbox } from '../aws';

interface ReadyInfo {
  endpoint: string;
  region: string;
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
  accounts: string[];
  /** Further components (e.g. the Palette emulator) add their own fields. */
  [component: string]: unknown;
}

function awsReadyInfo(sb: RunningSandbox): ReadyInfo {
  return {
    endpoint: sb.endpoint,
    region: sb.region,
    accountId: sb.accountId,
    accessKeyId: sb.accessKeyId,
    secretAccessKey: sb.secretAccessKey,
    accounts: sb.kernel.accounts
      .list()
      .filter((a) => !a.management)
      .map((a) => a.accountId),
  };
}

function banner(info: ReadyInfo, sb: RunningSandbox): string {
  const lines = [
    'Local AWS sandbox (IAM, STS, S3, Secrets Manager) is running.',
    '',
    `  endpoint            ${info.endpoint}`,
    `  region              ${info.region}`,
    `  management account  ${info.accountId}`,
    `  member accounts     ${info.accounts.length > 0 ? info.accounts.join(', ') : '(none; POST /_sandbox/accounts)'}`,
    `  IAM propagation     ${sb.kernel.config.iamPropagationMs} ms`,
    '',
    'Use it with:',
    `  export AWS_ENDPOINT_URL=${info.endpoint}`,
    `  export AWS_ACCESS_KEY_ID=${info.accessKeyId}`,
    `  export AWS_SECRET_ACCESS_KEY=${info.secretAccessKey}`,
    `  export AWS_REGION=${info.region}`,
    '',
    `Admin API: ${info.endpoint}/_sandbox/{health,config,inventory,accounts,stats}`,
    'Press Ctrl+C to stop.',
  ];
  return `${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const sb = await startSandbox(sandboxOptionsFromEnv());
  // Each component contributes its fields to the ready line (e.g. a future `palette` entry).
  const info: ReadyInfo = { ...awsReadyInfo(sb) };
  process.stdout.write(json ? `${JSON.stringify(info)}\n` : banner(info, sb));
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    if (!json) process.stdout.write(`\n${signal} received, stopping...\n`);
    sb.stop().then(
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
