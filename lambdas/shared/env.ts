/**
 * The ONE Lambda environment schema, shared by the CDK side (which builds each function's environment from
 * it) and the handlers (which read it through loadEnv()). Keep this module free of SDK imports.
 */
import { z } from 'zod';
import { ConfigurationError } from './errors';

const roleNameList = z
  .string()
  .default('OrganizationAccountAccessRole')
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0));

export const LambdaEnvSchema = z.object({
  /** Palette API base URL (origin only), e.g. https://api.spectrocloud.com. */
  PALETTE_ENDPOINT: z.url(),
  /** Default Palette API-key secret; a request may name its own. */
  PALETTE_API_KEY_SECRET_ARN: z.string().min(1).optional(),
  /** The account the Lambdas run in; a tenant in this account needs no AssumeRole. */
  HOME_ACCOUNT_ID: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
  /** Default readiness-gate budget. */
  READINESS_BUDGET_SECONDS: z.coerce.number().int().min(10).max(900).default(120),
  POWERTOOLS_SERVICE_NAME: z.string().default('palette-onboarding'),
  POWERTOOLS_LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL']).default('INFO'),
  /** Role names the Lambdas may assume in tenant accounts (comma list). */
  ALLOWED_EXECUTION_ROLE_NAMES: roleNameList,
  /** This deployment's id: the managed-by mark on every object it manages (stack config `deploymentId`). */
  DEPLOYMENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 of [A-Za-z0-9._-]')
    .default('palette-onboarding'),
  /** The tenant registry (DynamoDB table name): the system of record for tenants. */
  TENANT_REGISTRY_TABLE: z.string().min(1),
  /** How long a tenant's lease lasts: longer than the longest execution (the state machine's timeout). */
  TENANT_LEASE_SECONDS: z.coerce.number().int().min(60).max(172_800).default(3900),
  /** "true" when Palette is a self-hosted instance (some rules differ, e.g. Azure US Government accounts). */
  PALETTE_SELF_HOSTED: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
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
  return parsed.data;
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
