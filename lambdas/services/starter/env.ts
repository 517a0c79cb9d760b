/**
 * Environment of the event starter (lambdas/handlers/start-onboarding.ts): the onboarding and offboarding state machines' ARNs,
 * the shared schema's two logging keys, and, when account vending is configured, its request template and tenant id source. Kept apart from the shared Lambda environment
 * (lambdas/shared/env.ts) because only the starter gets it, and the starter needs nothing else of the shared
 * one (no Palette endpoint, no registry). No SDK imports: the CDK side imports this module to type the
 * starter's environment (cdk/lib/constructs/onboarding-trigger.ts).
 */
import * as z from 'zod';
import { parseTenantIdSource, templateIssues, type TenantIdSource } from '../../domain/account-vending';
import { LambdaEnvSchema, parseEnvironment } from '../../shared/env';

/** A Step Functions state machine ARN; the region group is the client's region. */
export const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

export const StarterEnvSchema = LambdaEnvSchema.pick({ POWERTOOLS_SERVICE_NAME: true, POWERTOOLS_LOG_LEVEL: true }).extend({
  /** The onboarding state machine (`Tenant Onboarding Requested`). */
  ONBOARDING_STATE_MACHINE_ARN: z.string().regex(STATE_MACHINE_ARN, 'must be a Step Functions state machine ARN'),
  /** The offboarding state machine (`Tenant Offboarding Requested`). The starter may start executions of these two only. */
  OFFBOARDING_STATE_MACHINE_ARN: z.string().regex(STATE_MACHINE_ARN, 'must be a Step Functions state machine ARN'),
  /**
   * The request path's dead-letter queue (URL): a message the starter rejects (no request event) is moved there at once,
   * with the reason as the message attribute REJECTED_REASON. Absent: it is failed, and reaches the dead-letter queue
   * through the queue's redrive after its last receive (the reason only in the starter's log).
   */
  DEAD_LETTER_QUEUE_URL: z.url({ protocol: /^https?$/, error: 'must be an SQS queue URL' }).optional(),
  /**
   * Account vending (README "Account vending"): the request template as JSON text (config
   * `accountVendingRequestTemplate`, checked at synth and again here). Absent: account vending events are rejected.
   */
  ACCOUNT_VENDING_REQUEST_TEMPLATE: z
    .string()
    .transform((text, ctx): Record<string, unknown> => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON (the account vending request template)' });
        return z.NEVER;
      }
      const issues = templateIssues(parsed);
      if (issues.length > 0) {
        ctx.addIssue({ code: 'custom', message: `is not a valid request template: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}` });
        return z.NEVER;
      }
      return parsed as Record<string, unknown>;
    })
    .optional(),
  /** Where a vended account's tenant id comes from: `accountName` (default) or `tag:<TagKey>`. */
  ACCOUNT_VENDING_TENANT_ID_FROM: z
    .string()
    .default('accountName')
    .transform((text, ctx): TenantIdSource => {
      const source = parseTenantIdSource(text);
      if (source) return source;
      ctx.addIssue({ code: 'custom', message: "must be 'accountName' or 'tag:<TagKey>'" });
      return z.NEVER;
    }),
});
export type StarterEnv = z.output<typeof StarterEnvSchema>;
export type StarterEnvInput = z.input<typeof StarterEnvSchema>;

/** Parses the starter's environment (not memoized: cheap, and tests change it); a bad value is a ConfigurationError. */
export function loadStarterEnv(env: NodeJS.ProcessEnv = process.env): StarterEnv {
  return parseEnvironment(StarterEnvSchema, env);
}
