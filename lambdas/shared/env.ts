/**
 * The ONE Lambda environment schema, shared by the CDK side (which builds each function's environment from
 * it) and the handlers (which read it through loadEnv()). Keep this module free of SDK imports.
 */
import * as z from 'zod';
import { READINESS_BUDGET } from '../domain/readiness';
import { paletteEndpointProblem } from '../domain/endpoints';
import { parsePaletteCaSource } from '../domain/palette-ca';
import { ConfigurationError } from './errors';

const roleNameList = z
  .string()
  .default('OrganizationAccountAccessRole')
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0));

/** A comma list whose every item matches `pattern` (empty or unset = no items). */
const idList = (pattern: RegExp, what: string) =>
  z
    .string()
    .default('')
    .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0))
    .refine((items) => items.every((x) => pattern.test(x)), `must be a comma list of ${what}`);

const flag = z
  .enum(['true', 'false'])
  .default('false')
  .transform((v) => v === 'true');

/** AWS Organizations ids (the same rules as the stack config, cdk/lib/config.ts). */
export const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
export const ORGANIZATIONAL_UNIT_ID = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
export const ACCOUNT_ID = /^\d{12}$/;

export const LambdaEnvSchema = z.object({
  /** Palette API base URL (origin only), e.g. https://api.spectrocloud.com. */
  PALETTE_ENDPOINT: z.url(),
  /** Default Palette API-key secret; a request may name its own. */
  PALETTE_API_KEY_SECRET_ARN: z.string().min(1).optional(),
  /** The account the Lambdas run in; a tenant in this account needs no AssumeRole. */
  HOME_ACCOUNT_ID: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
  /** Default readiness-gate budget. */
  READINESS_BUDGET_SECONDS: z.coerce.number().int().min(READINESS_BUDGET.minSeconds).max(READINESS_BUDGET.maxSeconds).default(READINESS_BUDGET.defaultSeconds),
  POWERTOOLS_SERVICE_NAME: z.string().default('palette-onboarding'),
  POWERTOOLS_LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL']).default('INFO'),
  /**
   * "true": the SDK clients are captured for X-Ray when running in Lambda (lambdas/shared/tracer.ts; read when the
   * handler wrapper loads the tracer). The stack sets it from config `traceSdkCalls`; the local runner sets "false"
   * (no X-Ray daemon). Unset = "false".
   */
  POWERTOOLS_TRACE_ENABLED: flag,
  /** Role names the Lambdas may assume in tenant accounts (comma list). */
  ALLOWED_EXECUTION_ROLE_NAMES: roleNameList,
  /** This deployment's id: the managed-by mark on every object it manages (stack config `deploymentId`). */
  DEPLOYMENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 of [A-Za-z0-9._-]')
    .default('palette-onboarding'),
  /** The tenant registry (DynamoDB table name): the system of record for tenants. */
  TENANT_REGISTRY_TABLE: z.string().min(1),
  /**
   * The shared Palette rate table (DynamoDB table name, cdk/lib/constructs/palette-rate-table.ts): the Palette client
   * reserves a slot there before every call, so all containers together stay within Palette's per-prefix rate limit
   * (lambdas/services/palette/rate-governor.ts). Unset or empty = each container keeps the limit on its own.
   */
  PALETTE_RATE_TABLE: z
    .string()
    .optional()
    .transform((v) => (v ? v : undefined)),
  /**
   * The stack's TenantSecretsAccess role: every access to a tenant's secrets goes through a session of it tagged with
   * the tenant (lambdas/domain/secret-access.ts). Every function gets it (one environment); only the functions with a
   * secret job may use it (their grant, and the role's trust). Unset only in unit tests that use no tenant secret.
   */
  TENANT_SECRETS_ROLE_ARN: z.string().min(1).optional(),
  /** How long a tenant's lease lasts: longer than the longest execution (the state machine's timeout). */
  TENANT_LEASE_SECONDS: z.coerce.number().int().min(60).max(172_800).default(3900),
  /** Offboarding deletes a tenant's secrets with this recovery window (days, 7-30; stack config `secretRecoveryDays`). */
  SECRET_RECOVERY_DAYS: z.coerce.number().int().min(7).max(30).default(7),
  /** "true" when Palette is a self-hosted instance (some rules differ, e.g. Azure US Government accounts). */
  PALETTE_SELF_HOSTED: flag,
  /**
   * Where the PEM CA bundle the Palette client trusts in addition to the public roots is (stack config
   * `paletteCaBundle`; lambdas/domain/palette-ca.ts: a secret or an SSM parameter); unset = the public roots only.
   * Read once per container (lambdas/shared/palette-ca.ts).
   */
  PALETTE_CA_BUNDLE: z
    .string()
    .superRefine((v, ctx) => {
      const source = v === '' ? undefined : parsePaletteCaSource(v);
      if (source && 'problem' in source) ctx.addIssue({ code: 'custom', message: source.problem });
    })
    .optional()
    .transform((v) => (v ? v : undefined)),
  /**
   * The account guard (lambdas/services/guard/): the organization whose accounts may be onboarded (stack config
   * `allowedOrganizationId`); absent = none, unless OUs are set (then the home account's organization).
   */
  ALLOWED_ORGANIZATION_ID: z
    .string()
    .refine((v) => v === '' || ORGANIZATION_ID.test(v), 'must be an AWS Organizations id (o-...)')
    .optional()
    .transform((v) => (v ? v : undefined)),
  /** Only accounts under one of these OUs (at any depth) of that organization (comma list). */
  ALLOWED_OU_IDS: idList(ORGANIZATIONAL_UNIT_ID, 'organizational unit ids (ou-...)'),
  /** Accounts that may be onboarded whatever their organization (comma list). */
  ALLOWED_ACCOUNT_IDS: idList(ACCOUNT_ID, '12-digit AWS account ids'),
  /**
   * "true" only for local / test deployments: an http PALETTE_ENDPOINT and http or loopback backup endpoints are
   * then accepted (lambdas/domain/endpoints.ts). Never set in a deployed stack.
   */
  ALLOW_INSECURE_ENDPOINTS: flag,
  /**
   * "true": every AssumeRole into a tenant account also sets SourceIdentity = the tenant id; the execution role's
   * trust policy in every tenant account must then allow sts:SetSourceIdentity (stack config `setSourceIdentity`).
   */
  SET_SOURCE_IDENTITY: flag,
});
export type LambdaEnv = z.output<typeof LambdaEnvSchema>;
export type LambdaEnvInput = z.input<typeof LambdaEnvSchema>;

/**
 * Parses the keys of an environment schema (an empty value counts as unset); a bad or missing variable is a
 * ConfigurationError naming it. Every function's environment loader goes through here.
 */
export function parseEnvironment<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const picked = Object.fromEntries(Object.keys(schema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = schema.safeParse(picked);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigurationError(`Invalid Lambda environment: ${detail}`);
  }
  assertSecureTransport(parsed.data);
  return parsed.data;
}

/**
 * The Palette endpoint receives the API key (and the system console password): an environment with an http
 * PALETTE_ENDPOINT is refused unless ALLOW_INSECURE_ENDPOINTS is "true" (local / testing). Applies to every schema
 * with both keys (the shared one and the platform one, which extends it).
 */
function assertSecureTransport(data: unknown): void {
  if (typeof data !== 'object' || data === null) return;
  const env = data as { PALETTE_ENDPOINT?: unknown; ALLOW_INSECURE_ENDPOINTS?: unknown };
  if (typeof env.PALETTE_ENDPOINT !== 'string') return;
  const problem = paletteEndpointProblem(env.PALETTE_ENDPOINT, env.ALLOW_INSECURE_ENDPOINTS === true);
  if (problem) throw new ConfigurationError(`Invalid Lambda environment: PALETTE_ENDPOINT ${problem}`);
}

let cached: LambdaEnv | undefined;

/** Parses the environment once per container; a bad or missing variable is a ConfigurationError naming it. */
export function loadEnv(env: NodeJS.ProcessEnv = process.env): LambdaEnv {
  if (cached && env === process.env) return cached;
  const parsed = parseEnvironment(LambdaEnvSchema, env);
  if (env === process.env) cached = parsed;
  return parsed;
}

/** Test hook: forget the memoized environment. */
export function resetEnvCache(): void {
  cached = undefined;
}
