/** Command-line parsing for `palette-onboard` (pure; unit tested). */

export const USAGE = `Usage: palette-onboard <command> [options]

Commands:
  start <request.json>        Start an onboarding execution and follow it until it ends
      --local                 run on the local sandbox (one already running at the configured
                              endpoints, e.g. \`npm run sandbox\`, or an in-process one)
      --json                  print one JSON result object on stdout (progress goes to stderr)
      --state-machine-arn ARN deployed state machine (default: $PALETTE_ONBOARDING_STATE_MACHINE_ARN, else
                              the StateMachineArn output of stack $PALETTE_ONBOARDING_STACK_NAME or PaletteOnboardingStack)
      --region REGION         AWS region (default: from the ARN, else $AWS_REGION)
      --rerun ID              start a new execution of an identical request (name suffix ID)
      --no-follow             print the execution ARN and return without waiting
      --poll-seconds N        history polling interval (default 2)
  status <executionArn|name>  Show an execution's status and its summary or failure cause
      --state-machine-arn ARN needed when a name (not an ARN) is given
      --region REGION, --json
  platform-setup              Self-hosted Palette: run the PlatformSetup state machine (STS principal,
                              its key in Secrets Manager, Palette's system STS account, reverse proxy)
      --rotate                rotate the STS principal's access key (new key, Palette updated, old key deleted)
      --local                 run on the local sandbox (as \`start --local\`)
      --reverse-proxy FILE    with --local: also configure the reverse proxy from FILE
                              ({server, port, protocol, caCert, clientCert, clientKey})
      --state-machine-arn ARN deployed state machine (default: $PALETTE_PLATFORM_SETUP_STATE_MACHINE_ARN, else
                              the PlatformSetupStateMachineArn output of the stack)
      --region REGION, --json, --no-follow, --poll-seconds N   as for start
  demo                        Run the local demo (npm run demo)
  sandbox [--json]            Run the local AWS sandbox + Palette emulator (npm run sandbox)
  help                        Show this help

Exit codes: 0 success, 1 execution failed / timed out / aborted, 2 usage error or invalid request,
3 configuration or AWS error.
`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface Common {
  json: boolean;
  stateMachineArn?: string;
  region?: string;
}

export type Command =
  | ({ command: 'start'; file: string; local: boolean; follow: boolean; pollSeconds: number; rerun?: string } & Common)
  | ({ command: 'status'; execution: string } & Common)
  | ({
      command: 'platform-setup';
      local: boolean;
      rotate: boolean;
      follow: boolean;
      pollSeconds: number;
      /** --local only: reverse-proxy settings file (stored as the sandbox's reverse-proxy secret). */
      reverseProxyFile?: string;
    } & Common)
  | { command: 'demo'; passthrough: string[] }
  | { command: 'sandbox'; passthrough: string[] }
  | { command: 'help' };

const RERUN_ID = /^[A-Za-z0-9_-]{1,20}$/;

type OptionCommand = 'start' | 'status' | 'platform-setup';
/** Options each command accepts: flags (no value) and value options. */
const FLAGS: Record<OptionCommand, ReadonlySet<string>> = {
  start: new Set(['--json', '--local', '--no-follow']),
  status: new Set(['--json']),
  'platform-setup': new Set(['--json', '--local', '--no-follow', '--rotate']),
};
const VALUE_OPTIONS: Record<OptionCommand, ReadonlySet<string>> = {
  start: new Set(['--state-machine-arn', '--region', '--rerun', '--poll-seconds']),
  status: new Set(['--state-machine-arn', '--region']),
  'platform-setup': new Set(['--state-machine-arn', '--region', '--poll-seconds', '--reverse-proxy']),
};

export function parseArgs(argv: readonly string[]): Command {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { command: 'help' };
  if (command === 'demo' || command === 'sandbox') return { command, passthrough: rest };
  if (command !== 'start' && command !== 'status' && command !== 'platform-setup') throw new UsageError(`unknown command '${command}'`);

  const positional: string[] = [];
  const flags = new Set<string>();
  const values: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    if (arg === '--help' || arg === '-h') return { command: 'help' };
    if (FLAGS[command].has(arg)) flags.add(arg);
    else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq > 0 ? arg.slice(0, eq) : arg;
      if (!VALUE_OPTIONS[command].has(name)) throw new UsageError(`unknown option '${name}' for ${command}`);
      const value = eq > 0 ? arg.slice(eq + 1) : rest[++i];
      if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) throw new UsageError(`${name} needs a value`);
      values[name] = value;
    } else positional.push(arg);
  }
  const common: Common = {
    json: flags.has('--json'),
    ...(values['--state-machine-arn'] ? { stateMachineArn: values['--state-machine-arn'] } : {}),
    ...(values['--region'] ? { region: values['--region'] } : {}),
  };
  if (command === 'platform-setup' && positional.length > 0) {
    throw new UsageError(`platform-setup takes no arguments (got '${positional.join(' ')}')`);
  }
  if (command !== 'platform-setup' && positional.length !== 1) {
    throw new UsageError(
      command === 'start' ? 'start needs exactly one request file' : 'status needs exactly one execution ARN or name',
    );
  }
  if (command === 'status') return { command, execution: positional[0] as string, ...common };

  const local = flags.has('--local');
  const follow = !flags.has('--no-follow');
  const poll = values['--poll-seconds'] === undefined ? 2 : Number(values['--poll-seconds']);
  if (!Number.isFinite(poll) || poll < 0.2 || poll > 60) throw new UsageError('--poll-seconds must be a number between 0.2 and 60');
  if (local && (common.stateMachineArn || common.region)) {
    throw new UsageError('--local runs on the sandbox: --state-machine-arn and --region do not apply');
  }
  if (local && !follow) throw new UsageError('--local always follows the execution (--no-follow does not apply)');

  if (command === 'platform-setup') {
    const reverseProxyFile = values['--reverse-proxy'];
    if (reverseProxyFile !== undefined && !local) {
      throw new UsageError(
        '--reverse-proxy applies to --local only: a deployed PlatformSetup reads the secret configured at deploy (cdk context reverseProxySecretArn)',
      );
    }
    return {
      command,
      local,
      rotate: flags.has('--rotate'),
      follow,
      pollSeconds: poll,
      ...(reverseProxyFile !== undefined ? { reverseProxyFile } : {}),
      ...common,
    };
  }

  const rerun = values['--rerun'];
  if (rerun !== undefined && !RERUN_ID.test(rerun)) throw new UsageError('--rerun must be 1-20 of [A-Za-z0-9_-]');
  return {
    command,
    file: positional[0] as string,
    local,
    follow,
    pollSeconds: poll,
    ...(rerun ? { rerun } : {}),
    ...common,
  };
}
