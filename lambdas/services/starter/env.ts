/**
 * Environment of the event starter (lambdas/handlers/start-onboarding.ts): the onboarding and offboarding state machines' ARNs
 * plus the shared schema's two logging keys. Kept apart from the shared Lambda environment
 * (lambdas/shared/env.ts) because only the starter gets it, and the starter needs nothing else of the shared
 * one (no Palette endpoint, no registry). No SDK imports: the CDK side imports this module to type the
 * starter's environment (cdk/lib/constructs/onboarding-trigger.ts).
 */
import { z } from 'zod';
import { LambdaEnvSchema, parseEnvironment } from '../../shared/env';

/** A Step Functions state machine ARN; the region group is the client's region. */
export const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

export const StarterEnvSchema = LambdaEnvSchema.pick({ POWERTOOLS_SERVICE_NAME: true, POWERTOOLS_LOG_LEVEL: true }).extend({
  /** The onboarding state machine (`Tenant Onboarding Requested`). */
  ONBOARDING_STATE_MACHINE_ARN: z.string().regex(STATE_MACHINE_ARN, 'must be a Step Functions state machine ARN'),
  /** The offboarding state machine (`Tenant Offboarding Requested`). The starter may start executions of these two only. */
  OFFBOARDING_STATE_MACHINE_ARN: z.string().regex(STATE_MACHINE_ARN, 'must be a Step Functions state machine ARN'),
});
export type StarterEnv = z.output<typeof StarterEnvSchema>;
export type StarterEnvInput = z.input<typeof StarterEnvSchema>;

/** Parses the starter's environment (not memoized: cheap, and tests change it); a bad value is a ConfigurationError. */
export function loadStarterEnv(env: NodeJS.ProcessEnv = process.env): StarterEnv {
  return parseEnvironment(StarterEnvSchema, env);
}
