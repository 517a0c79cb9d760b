/** Command-line parsing for `palette-onboard` (pure; unit tested). */
import { TENANT_STATUSES, type TenantStatus } from '../lambdas/domain/tenant-record';

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
  start --many <file|dir>     Bulk onboarding: every request of a JSON Lines file (one request per line) or of a
                              folder of request files (*.json), through the Bulk state machine (a Distributed Map
                              over the onboarding); a live progress bar, then a table of every tenant's outcome.
                              A request whose execution already exists (a second run) is not started again
      --concurrency N         tenants onboarded at once (1-1000, default 10)
      --tolerate P            percentage of failed tenants tolerated before the run stops (0-100, default 0)
      --local, --json, --state-machine-arn ARN (the Bulk one: default $PALETTE_BULK_STATE_MACHINE_ARN, else the
                              BulkStateMachineArn output), --region, --no-follow, --poll-seconds   as for start
  list                        List the tenants of the tenant registry: status, account, last execution, age
      --status S[,S...]       only these statuses (${TENANT_STATUSES.join(', ')})
      --local                 the registry of the running sandbox (\`npm run sandbox\`)
      --table NAME            registry table (default: $PALETTE_ONBOARDING_REGISTRY_TABLE, else the
                              TenantRegistryTableName output of the stack)
      --region REGION         AWS region (default: from a table ARN, else $AWS_REGION)
      --json                  print a JSON array of the tenant records
  status <tenantId>           Show a tenant from the registry: binding, status, lease, last execution, every
                              resource and its health, pending intents, offboarding outcome, drift findings
      --local, --table NAME, --region REGION   as for list
      --json                  print the tenant record
  status <executionArn|name>  Show an execution's status and its summary or failure cause (an argument that is
                              not an execution ARN is looked up as a tenant first, then as an execution name)
      --state-machine-arn ARN needed when a name (not an ARN) is given
      --region REGION, --json
  offboard <tenantId>         Offboard a tenant: remove what the registry records for it (Palette registrations,
                              role or user and its keys, backup policy, secrets with a recovery window); the
                              bucket and its backups are retained unless asked. Refused while Palette clusters
                              use the tenant's cloud account or backup location (README "Offboarding")
      --delete-bucket         also delete the bucket (only when it holds no objects, unless --purge-bucket)
      --purge-bucket          with --delete-bucket: delete the backups in it first (irreversible)
      --force                 offboard even while Palette clusters use the tenant
      --local                 run on the running local sandbox (\`npm run sandbox\`)
      --state-machine-arn ARN deployed state machine (default: $PALETTE_OFFBOARDING_STATE_MACHINE_ARN, else
                              the OffboardingStateMachineArn output of the stack)
      --region REGION, --json, --no-follow, --poll-seconds N   as for start
  revalidate [tenantId]       Re-validate now (drift detection, README "Re-validation"): the tenant, or every
                              ACTIVE and DRIFTED tenant, against its onboarding; prints the findings per tenant
                              and records them (status DRIFTED / ACTIVE). Exit 1 when drift is found
      --remediate             re-run the onboarding of a drifted tenant (default: the stack config remediate)
      --local                 run on the running local sandbox (\`npm run sandbox\`)
      --state-machine-arn ARN deployed state machine (default: $PALETTE_REVALIDATION_STATE_MACHINE_ARN, else
                              the RevalidationStateMachineArn output of the stack)
      --table NAME            registry table the findings are read from (as for list)
      --region REGION, --json, --no-follow, --poll-seconds N   as for start
  platform-setup              Self-hosted Palette: run the PlatformSetup state machine (STS principal,
                              its key in Secrets Manager, Palette's system STS account, reverse proxy)
      --rotate                rotate the STS principal's access key (new key, Palette updated, old key deleted)
      --take-over             replace Palette's system STS account even when it is not this deployment's
                              (another account, or a key set by hand); without it such an account is
                              reported and left alone
      --local                 run on the local sandbox (as \`start --local\`)
      --reverse-proxy FILE    with --local: also configure the reverse proxy from FILE
                              ({server, port, protocol, caCert, clientCert, clientKey}); deployed: only
                              with --helm-values (the deployment reads its reverse-proxy secret)
      --helm-values OUT       write the Helm values of Palette's management cluster (frps enabled, frpHostURL,
                              server.crt/key, ca.crt) from --reverse-proxy FILE to OUT (mode 0600), after
                              checking it (certificate valid for the server name, signed by the CA, key)
      --state-machine-arn ARN deployed state machine (default: $PALETTE_PLATFORM_SETUP_STATE_MACHINE_ARN, else
                              the PlatformSetupStateMachineArn output of the stack)
      --region REGION, --json, --no-follow, --poll-seconds N   as for start
  demo                        Run the local demo (npm run demo)
  sandbox [--json]            Run the local AWS sandbox + Palette emulator (npm run sandbox)
  help                        Show this help

Exit codes: 0 success, 1 execution failed / timed out / aborted or no such tenant, 2 usage error or invalid
request, 3 configuration or AWS error (or no sandbox running for --local).
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
  | ({ command: 'start'; file: string; local: boolean; follow: boolean; pollSeconds: number; rerun?: string; many?: BulkOptions } & Common)
  /** A tenant id (looked up in the registry first) or an execution ARN / name. */
  | ({ command: 'status'; target: string; local: boolean; table?: string } & Common)
  | { command: 'list'; local: boolean; json: boolean; statuses?: TenantStatus[]; table?: string; region?: string }
  | ({
      command: 'offboard';
      tenantId: string;
      local: boolean;
      follow: boolean;
      pollSeconds: number;
      deleteBucket: boolean;
      purgeBucket: boolean;
      force: boolean;
    } & Common)
  | ({
      command: 'revalidate';
      /** Absent: every ACTIVE and DRIFTED tenant. */
      tenantId?: string;
      remediate: boolean;
      local: boolean;
      follow: boolean;
      pollSeconds: number;
      table?: string;
    } & Common)
  | ({
      command: 'platform-setup';
      local: boolean;
      rotate: boolean;
      follow: boolean;
      pollSeconds: number;
      /** Reverse-proxy settings file: --local stores it as the sandbox's secret; both modes: the Helm values' source. */
      reverseProxyFile?: string;
      /** Replace a system STS account that is not this deployment's. */
      takeOver: boolean;
      /** Write the management cluster's frps Helm values (from reverseProxyFile) here. */
      helmValuesFile?: string;
    } & Common)
  | { command: 'demo'; passthrough: string[] }
  | { command: 'sandbox'; passthrough: string[] }
  | { command: 'help' };

const RERUN_ID = /^[A-Za-z0-9_-]{1,20}$/;

type OptionCommand = 'start' | 'status' | 'platform-setup' | 'list' | 'offboard' | 'revalidate';
/** Options each command accepts: flags (no value) and value options. */
const FLAGS: Record<OptionCommand, ReadonlySet<string>> = {
  start: new Set(['--json', '--local', '--no-follow']),
  status: new Set(['--json', '--local']),
  'platform-setup': new Set(['--json', '--local', '--no-follow', '--rotate', '--take-over']),
  list: new Set(['--json', '--local']),
  offboard: new Set(['--json', '--local', '--no-follow', '--delete-bucket', '--purge-bucket', '--force']),
  revalidate: new Set(['--json', '--local', '--no-follow', '--remediate']),
};
const VALUE_OPTIONS: Record<OptionCommand, ReadonlySet<string>> = {
  start: new Set(['--state-machine-arn', '--region', '--rerun', '--poll-seconds', '--many', '--concurrency', '--tolerate']),
  status: new Set(['--state-machine-arn', '--region', '--table']),
  'platform-setup': new Set(['--state-machine-arn', '--region', '--poll-seconds', '--reverse-proxy', '--helm-values']),
  list: new Set(['--region', '--table', '--status']),
  offboard: new Set(['--state-machine-arn', '--region', '--poll-seconds']),
  revalidate: new Set(['--state-machine-arn', '--region', '--poll-seconds', '--table']),
};

/** A DynamoDB table name or table ARN. */
const TABLE = /^(?:[A-Za-z0-9_.-]{3,255}|arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/[A-Za-z0-9_.-]{3,255})$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:/;

/** The statuses of `--status A,B` (case-insensitive); a usage error names a value that is not a tenant status. */
export function parseStatuses(value: string): TenantStatus[] {
  const out: TenantStatus[] = [];
  for (const raw of value.split(',')) {
    const v = raw.trim();
    if (v === '') continue;
    const upper = v.toUpperCase();
    const status = TENANT_STATUSES.find((t) => t === upper);
    if (!status) throw new UsageError(`--status: '${v}' is not a tenant status (one of ${TENANT_STATUSES.join(', ')})`);
    if (!out.includes(status)) out.push(status);
  }
  if (out.length === 0) throw new UsageError(`--status needs one or more of ${TENANT_STATUSES.join(', ')}`);
  return out;
}

/** list / status: --table, --local and what --local excludes. */
function registryOptions(command: 'list' | 'status', local: boolean, values: Record<string, string>): { table?: string } {
  const table = values['--table'];
  if (table !== undefined && !TABLE.test(table)) throw new UsageError(`--table: '${table}' is not a DynamoDB table name or table ARN`);
  if (local) {
    const remote = ['--table', '--region', '--state-machine-arn'].filter((o) => values[o] !== undefined);
    if (remote.length > 0) throw new UsageError(`${command} --local reads the running sandbox's registry: ${remote.join(', ')} ${remote.length === 1 ? 'does' : 'do'} not apply`);
  }
  return table !== undefined ? { table } : {};
}

export function parseArgs(argv: readonly string[]): Command {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { command: 'help' };
  if (command === 'demo' || command === 'sandbox') return { command, passthrough: rest };
  if (command !== 'start' && command !== 'status' && command !== 'platform-setup' && command !== 'list' && command !== 'offboard' && command !== 'revalidate') {
    throw new UsageError(`unknown command '${command}'`);
  }

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
  if ((command === 'platform-setup' || command === 'list') && positional.length > 0) {
    throw new UsageError(`${command} takes no arguments (got '${positional.join(' ')}')`);
  }
  if (command === 'list') {
    const local = flags.has('--local');
    const statuses = values['--status'] === undefined ? undefined : parseStatuses(values['--status']);
    return {
      command,
      local,
      json: common.json,
      ...(statuses ? { statuses } : {}),
      ...registryOptions(command, local, values),
      ...(common.region ? { region: common.region } : {}),
    };
  }
  if (command === 'revalidate' && positional.length > 1) throw new UsageError(`revalidate takes at most one tenant id (got '${positional.join(' ')}')`);
  if (command === 'start' && values['--many'] === undefined && (values['--concurrency'] !== undefined || values['--tolerate'] !== undefined)) {
    throw new UsageError('--concurrency and --tolerate apply to start --many only');
  }
  if (command === 'start' && values['--many'] !== undefined) {
    if (positional.length > 0) throw new UsageError(`start --many takes the manifest as its value, no request file (got '${positional.join(' ')}')`);
    if (values['--rerun'] !== undefined) throw new UsageError('--rerun does not apply to start --many');
    positional.push(values['--many']);
  }
  if (command !== 'platform-setup' && command !== 'revalidate' && positional.length !== 1) {
    throw new UsageError(
      command === 'start'
        ? 'start needs exactly one request file'
        : command === 'offboard'
          ? 'offboard needs exactly one tenant id'
          : 'status needs exactly one tenant id, execution ARN or execution name',
    );
  }
  if (command === 'status') {
    const local = flags.has('--local');
    const target = positional[0] as string;
    if (local && EXECUTION_ARN.test(target)) {
      throw new UsageError('status --local shows a tenant of the running sandbox: give a tenant id, not an execution ARN');
    }
    return { command, target, local, ...registryOptions(command, local, values), ...common };
  }

  const local = flags.has('--local');
  const follow = !flags.has('--no-follow');
  const poll = values['--poll-seconds'] === undefined ? 2 : Number(values['--poll-seconds']);
  if (!Number.isFinite(poll) || poll < 0.2 || poll > 60) throw new UsageError('--poll-seconds must be a number between 0.2 and 60');
  if (local && (common.stateMachineArn || common.region)) {
    throw new UsageError('--local runs on the sandbox: --state-machine-arn and --region do not apply');
  }
  if (local && !follow) throw new UsageError('--local always follows the execution (--no-follow does not apply)');

  if (command === 'revalidate') {
    const table = values['--table'];
    if (table !== undefined && !TABLE.test(table)) throw new UsageError(`--table: '${table}' is not a DynamoDB table name or table ARN`);
    if (local && table !== undefined) throw new UsageError('revalidate --local reads the running sandbox\'s registry: --table does not apply');
    return {
      command,
      ...(positional[0] !== undefined ? { tenantId: positional[0] } : {}),
      remediate: flags.has('--remediate'),
      local,
      follow,
      pollSeconds: poll,
      ...(table !== undefined ? { table } : {}),
      ...common,
    };
  }
  if (command === 'offboard') {
    if (flags.has('--purge-bucket') && !flags.has('--delete-bucket')) throw new UsageError('--purge-bucket needs --delete-bucket');
    return {
      command,
      tenantId: positional[0] as string,
      local,
      follow,
      pollSeconds: poll,
      deleteBucket: flags.has('--delete-bucket'),
      purgeBucket: flags.has('--purge-bucket'),
      force: flags.has('--force'),
      ...common,
    };
  }
  if (command === 'platform-setup') {
    const reverseProxyFile = values['--reverse-proxy'];
    const helmValuesFile = values['--helm-values'];
    if (helmValuesFile !== undefined && reverseProxyFile === undefined) {
      throw new UsageError('--helm-values needs --reverse-proxy FILE (the reverse-proxy settings the values are made from)');
    }
    if (reverseProxyFile !== undefined && !local && helmValuesFile === undefined) {
      throw new UsageError(
        '--reverse-proxy without --local only gives the Helm values (--helm-values OUT): a deployed PlatformSetup reads the secret configured at deploy (cdk context reverseProxySecretArn)',
      );
    }
    return {
      command,
      local,
      rotate: flags.has('--rotate'),
      takeOver: flags.has('--take-over'),
      ...(helmValuesFile !== undefined ? { helmValuesFile } : {}),
      follow,
      pollSeconds: poll,
      ...(reverseProxyFile !== undefined ? { reverseProxyFile } : {}),
      ...common,
    };
  }

  const rerun = values['--rerun'];
  if (rerun !== undefined && !RERUN_ID.test(rerun)) throw new UsageError('--rerun must be 1-20 of [A-Za-z0-9_-]');
  const many = values['--many'] === undefined ? undefined : bulkOptions(values);
  return {
    command,
    file: positional[0] as string,
    ...(many ? { many } : {}),
    local,
    follow,
    pollSeconds: poll,
    ...(rerun ? { rerun } : {}),
    ...common,
  };
}

/** `start --many`: the run's limits (the Bulk state machine's defaults when absent). */
export interface BulkOptions {
  maxConcurrency?: number;
  toleratedFailurePercentage?: number;
}

function bulkOptions(values: Record<string, string>): BulkOptions {
  const out: BulkOptions = {};
  const c = values['--concurrency'];
  if (c !== undefined) {
    const n = Number(c);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UsageError('--concurrency must be an integer from 1 to 1000');
    out.maxConcurrency = n;
  }
  const t = values['--tolerate'];
  if (t !== undefined) {
    const n = Number(t.replace(/%$/, ''));
    if (!Number.isFinite(n) || n < 0 || n > 100) throw new UsageError('--tolerate must be a percentage from 0 to 100');
    out.toleratedFailurePercentage = n;
  }
  return out;
}
