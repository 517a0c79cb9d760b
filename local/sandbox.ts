/**
 * Combined local sandbox: the AWS sandbox plus the Palette emulator wired to it. In SaaS mode (default) the
 * emulator's STS identity is an IAM user in Palette's fixed account inside the AWS sandbox, so tenant roles'
 * trust policies and permissions are checked for real by the emulator's validate endpoints.
 */
import { startSandbox } from './aws';
import type { FaultOutage as AwsFaultOutage, FaultRule as AwsFaultRule, RunningSandbox, SandboxOptions, SandboxStats, ServiceName } from './aws/core/types';
import {
  type FaultOutage as PaletteFaultOutage,
  type FaultOutageInput as PaletteFaultOutageInput,
  type FaultRule as PaletteFaultRule,
  type PaletteFaultStats,
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

export type { AwsFaultRule, AwsFaultOutage, PaletteFaultRule, PaletteFaultOutage };

/** An AWS outage window: from `from` (epoch ms, default now) for `durationMs`, or until `until`. */
export interface AwsOutageInput {
  service?: ServiceName;
  operation?: string;
  from?: number;
  until?: number;
  durationMs?: number;
  kind?: AwsFaultOutage['kind'];
}

/** Injected faults per kind since start or the last resetCounts(), per side. */
export interface FaultCounts {
  aws: { faults: SandboxStats['faults']; outages: number; total: number };
  palette: { faults: PaletteFaultStats['faults']; outages: number; total: number };
}

/**
 * Fault injection on both sides of the sandbox, for tests and the bench (the same as PUT /_sandbox/config,
 * POST /_sandbox/faults/outages, PUT /_emulator/config, POST /_emulator/faults/outages). Deterministic by seed:
 * the same seed and call sequence give the same faults. Faults are injected before the call is handled.
 */
export interface SandboxFaults {
  /**
   * Replaces the fault rules of the sides given (and restarts their seeded generators; `seed` applies to both).
   * AWS rules: {service?, operation?, rate, kind: throttle|500|503|reset|latency, latencyMs?};
   * Palette rules: {pathPrefix?, method?, rate, kind: 429|500|503|reset|latency, latencyMs?, retryAfterSeconds?, times?}.
   */
  set(spec: { seed?: number; aws?: AwsFaultRule[]; palette?: PaletteFaultRule[] }): void;
  /** Every matching AWS call fails (503 ServiceUnavailable unless `kind`) during the window. */
  awsOutage(o: AwsOutageInput): AwsFaultOutage;
  /** Every matching Palette API call fails (503 unless `kind`) during the window. */
  paletteOutage(o: PaletteFaultOutageInput): PaletteFaultOutage;
  /** No rules and no outage windows on either side (counters stay). */
  clear(): void;
  counts(): FaultCounts;
  resetCounts(): void;
}

export interface RunningLocalSandbox {
  aws: RunningSandbox;
  palette: RunningPaletteEmulator;
  faults: SandboxFaults;
  /** The JSON object printed by `npm run sandbox -- --json`. */
  readyLine(): LocalSandboxReadyLine;
  stop(): Promise<void>;
}

function sum(r: Record<string, number>): number {
  return Object.values(r).reduce((a, b) => a + b, 0);
}

function faultControl(aws: RunningSandbox, palette: RunningPaletteEmulator): SandboxFaults {
  let awsBase = structuredClone(aws.stats());
  return {
    set: ({ seed, aws: awsRules, palette: paletteRules }) => {
      const common = seed !== undefined ? { seed } : {};
      if (seed !== undefined || awsRules) aws.setRealism({ faults: { ...common, ...(awsRules ? { rules: awsRules } : {}) } });
      if (seed !== undefined || paletteRules) palette.configure({ faults: { ...common, ...(paletteRules ? { rules: paletteRules } : {}) } });
    },
    awsOutage: (o) => {
      const { durationMs, ...rest } = o;
      const from = o.from ?? Date.now();
      const outage: AwsFaultOutage = { ...rest, from, until: o.until ?? from + (durationMs ?? 0) };
      aws.setRealism({ faults: { outages: [...(aws.kernel.config.faults.outages ?? []), outage] } });
      return outage;
    },
    paletteOutage: (o) => palette.outage(o),
    clear: () => {
      aws.setRealism({ faults: { rules: [], outages: [] } });
      palette.configure({ faults: { rules: [], outages: [] } });
    },
    counts: () => {
      const now = aws.stats();
      const faults = Object.fromEntries(
        Object.entries(now.faults).map(([k, v]) => [k, v - (awsBase.faults[k as keyof SandboxStats['faults']] ?? 0)]),
      ) as SandboxStats['faults'];
      const p = palette.faultStats();
      return {
        aws: { faults, outages: now.outages - awsBase.outages, total: sum(faults) },
        palette: { faults: p.faults, outages: p.outages, total: sum(p.faults) },
      };
    },
    resetCounts: () => {
      awsBase = structuredClone(aws.stats());
      palette.resetFaultStats();
    },
  };
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
      faults: faultControl(aws, palette),
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
