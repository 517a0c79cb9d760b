/** Command-line parsing for `palette-onboard` (pure; unit tested). */

export const USAGE = `Usage: palette-onboard <command> [options]

Commands:
  start <request.json>        Start an onboarding execution and follow it until it ends
      --local                 run on the local sandbox (one already running at the configured
                              endpoints, e.g. \`npm run sandbox\`, or an in-process one)
      --json                  print one JSON result object on stdout (progress goes to stderr)
      --state-machine-arn ARN deployed state machine (default: $PALETTE_ONBOARDING_STATE_MACHINE_ARN)
      --region REGION         AWS region (default: from the ARN, else $AWS_REGION)
      --rerun ID              start a new execution of an identical request (name suffix ID)
      --no-follow             print the execution ARN and return without waiting
      --poll-seconds N        history polling interval (default 2)
  status <executionArn|name>  Show an execution's status and its summary or failure cause
      --state-machine-arn ARN needed when a name (not an ARN) is given
      --region REGION, --json
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
  | { command: 'demo'; passthrough: string[] }
  | { command: 'sandbox'; passthrough: string[] }
  | { command: 'help' };

const RERUN_ID = /^[A-Za-z0-9_-]{1,20}$/;

export function parseArgs(argv: readonly string[]): Command {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { command: 'help' };
  if (command === 'demo' || command === 'sandbox') return { command, passthrough: rest };
  if (command !== 'start' && command !== 'status') throw new UsageError(`unknown command '${command}'`);

  const positional: string[] = [];
  const flags = { json: false, local: false, follow: true } as { json: boolean; local: boolean; follow: boolean };
  const values: Record<string, string> = {};
  const VALUE_OPTIONS = new Set(['--state-machine-arn', '--region', '--rerun', '--poll-seconds']);
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    if (arg === '--help' || arg === '-h') return { command: 'help' };
    if (arg === '--json') flags.json = true;
    else if (arg === '--local' && command === 'start') flags.local = true;
    else if (arg === '--no-follow' && command === 'start') flags.follow = false;
    else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq > 0 ? arg.slice(0, eq) : arg;
      if (!VALUE_OPTIONS.has(name) || (command === 'status' && (name === '--rerun' || name === '--poll-seconds'))) {
        throw new UsageError(`unknown option '${name}' for ${command}`);
      }
      const value = eq > 0 ? arg.slice(eq + 1) : rest[++i];
      if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) throw new UsageError(`${name} needs a value`);
      values[name] = value;
    } else positional.push(arg);
  }
  if (positional.length !== 1) {
    throw new UsageError(
      command === 'start' ? 'start needs exactly one request file' : 'status needs exactly one execution ARN or name',
    );
  }
  const common: Common = {
    json: flags.json,
    ...(values['--state-machine-arn'] ? { stateMachineArn: values['--state-machine-arn'] } : {}),
    ...(values['--region'] ? { region: values['--region'] } : {}),
  };
  if (command === 'status') return { command, execution: positional[0] as string, ...common };

  const rerun = values['--rerun'];
  if (rerun !== undefined && !RERUN_ID.test(rerun)) throw new UsageError('--rerun must be 1-20 of [A-Za-z0-9_-]');
  const poll = values['--poll-seconds'] === undefined ? 2 : Number(values['--poll-seconds']);
  if (!Number.isFinite(poll) || poll < 0.2 || poll > 60) throw new UsageError('--poll-seconds must be a number between 0.2 and 60');
  if (flags.local && (common.stateMachineArn || common.region)) {
    throw new UsageError('--local runs on the sandbox: --state-machine-arn and --region do not apply');
  }
  if (flags.local && !flags.follow) throw new UsageError('--local always follows the execution (--no-follow does not apply)');
  return {
    command,
    file: positional[0] as string,
    local: flags.local,
    follow: flags.follow,
    pollSeconds: poll,
    ...(rerun ? { rerun } : {}),
    ...common,
  };
}
