/**
 * Environment of the platform-setup Lambdas: the shared Lambda environment (lambdas/shared/env.ts) plus the
 * two platform secrets. Kept apart from the shared schema because only the platform functions get these keys.
 * No SDK imports (the CDK side imports this module to build the functions' environment).
 */
import * as z from 'zod';
import { DEFAULT_SYSTEM_CREDENTIALS_SECRET_NAME } from '../../domain/platform';
import { LambdaEnvSchema, parseEnvironment } from '../../shared/env';

export const PlatformEnvSchema = LambdaEnvSchema.extend({
  /** Secret (name or ARN) holding the system console credentials {username, password}. */
  PALETTE_SYSTEM_SECRET_ARN: z.string().min(1).default(DEFAULT_SYSTEM_CREDENTIALS_SECRET_NAME),
  /** Secret (name or ARN) holding the reverse-proxy settings; absent = the reverse proxy is not managed. */
  PALETTE_REVERSE_PROXY_SECRET_ARN: z.string().min(1).optional(),
  /**
   * Extra role ARN patterns the STS principal may assume (config platformAssumableRolePatterns), as a JSON array;
   * absent = only this project's tenant roles. Checked again when the plan is built (ConfigurationError).
   */
  PALETTE_STS_ASSUMABLE_ROLE_PATTERNS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return [];
      try {
        const parsed: unknown = JSON.parse(v);
        if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'string')) return parsed as string[];
      } catch {
        // reported below
      }
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array of role ARN patterns' });
      return z.NEVER;
    }),
});
export type PlatformEnv = z.output<typeof PlatformEnvSchema>;
export type PlatformEnvInput = z.input<typeof PlatformEnvSchema>;
export const PLATFORM_ONLY_ENV_KEYS = ['PALETTE_SYSTEM_SECRET_ARN', 'PALETTE_REVERSE_PROXY_SECRET_ARN', 'PALETTE_STS_ASSUMABLE_ROLE_PATTERNS'] as const;

/** Parses the platform environment (not memoized: it is cheap and tests change it). */
export function loadPlatformEnv(env: NodeJS.ProcessEnv = process.env): PlatformEnv {
  return parseEnvironment(PlatformEnvSchema, env);
}
