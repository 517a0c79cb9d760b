/**
 * Combined local sandbox: the AWS sandbox plus the Palette emulator wired to it. In SaaS mode (default) the
 * emulator's STS identity is an IAM user in Palette's fixed account inside the AWS sandbox, so tenant roles'
 * trust policies and permissions are checked for real by the emulator's validate endpoints.
 */
import { startSandbox } from './aws';
import type { RunningSandbox, SandboxOptions } from './aws/core/types';
import {
  type PaletteEmulatorOptions,
  type PaletteMode,
  type RunningPaletteEmulator,
  PALETTE_SAAS_ACCOUNT_ID,
  paletteOptionsFromEnv,
  provisionSaasPrincipal,
  startPaletteEmulator,
} from './palette/index';

export interface LocalSandboxOptions {
  aws?: SandboxOptions;
  /** Explicit options win over the environment (SANDBOX_PALETTE_PORT, PALETTE_SANDBOX_*). */
  palette?: Omit<PaletteEmulatorOptions, 'aws'>;
  /** Environment to read Palette options from (default process.env; pass {} in tests). */
  env?: NodeJS.ProcessEnv;
}

export interface PaletteReadyInfo {
  endpoint: string;
  mode: PaletteMode;
  systemUser: string;
  systemPassword: string;
  apiKey: string;
  tenantUid: string;
  tenantName: string;
  projectUid: string;
  tenantUser: string;
  tenantPassword: string;
  /** Palette's AWS account id in SaaS mode; null in self-hosted mode until the system STS account is configured. */
  stsAccountId: string | null;
}

export interface LocalSandboxReadyLine {
  endpoint: string;
  region: string;
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Member account ids for tenants (their admin credentials: POST /_sandbox/accounts); Palette's own account is not listed. */
  accounts: string[];
  palette: PaletteReadyInfo;
}

export interface RunningLocalSandbox {
  aws: RunningSandbox;
  palette: RunningPaletteEmulator;
  /** The JSON object printed by `npm run sandbox -- --json`. */
  readyLine(): LocalSandboxReadyLine;
  stop(): Promise<void>;
}

function configuredStsAccount(palette: RunningPaletteEmulator): string | null {
  const system = palette.inspect().system as { stsAccount?: { accountId?: unknown } | null } | undefined;
  const id = system?.stsAccount?.accountId;
  return typeof id === 'string' && id !== '' ? id : null;
}

export async function startLocalSandbox(opts: LocalSandboxOptions = {}): Promise<RunningLocalSandbox> {
  const aws = await startSandbox(opts.aws ?? {});
  try {
    const paletteOpts: PaletteEmulatorOptions = { ...paletteOptionsFromEnv(opts.env ?? process.env), ...opts.palette };
    const mode = paletteOpts.mode ?? 'saas';
    // Palette's own AWS account is Spectro Cloud's, not an account of the tenant's organization: create it standalone
    // (unless a state file already has it).
    if (mode === 'saas' && !aws.kernel.accounts.get(PALETTE_SAAS_ACCOUNT_ID)) aws.createAccount(PALETTE_SAAS_ACCOUNT_ID, { standalone: true });
    const saasPrincipal = mode === 'saas' ? await provisionSaasPrincipal(aws) : undefined;
    const palette = await startPaletteEmulator({
      ...paletteOpts,
      mode,
      aws: { endpoint: aws.endpoint, region: aws.region, ...(saasPrincipal ? { saasPrincipal } : {}) },
    });
    return {
      aws,
      palette,
      readyLine: () => ({
        endpoint: aws.endpoint,
        region: aws.region,
        accountId: aws.accountId,
        accessKeyId: aws.accessKeyId,
        secretAccessKey: aws.secretAccessKey,
        accounts: aws.kernel.accounts
          .list()
          .filter((a) => !a.management && a.accountId !== PALETTE_SAAS_ACCOUNT_ID)
          .map((a) => a.accountId),
        palette: {
          endpoint: palette.endpoint,
          mode: palette.mode,
          systemUser: palette.systemUser,
          systemPassword: palette.systemPassword,
          apiKey: palette.apiKey,
          tenantUid: palette.tenantUid,
          tenantName: palette.tenantName,
          projectUid: palette.projectUid,
          tenantUser: palette.tenantUser,
          tenantPassword: palette.tenantPassword,
          stsAccountId: palette.stsAccountId ?? configuredStsAccount(palette),
        },
      }),
      stop: async () => {
        try {
          await palette.stop();
        } finally {
          await aws.stop();
        }
      },
    };
  } catch (e) {
    await aws.stop();
    throw e;
  }
}
