/**
 * X-Ray tracing of the SDK calls: ONE Powertools Tracer per container, used by the client factory
 * (lambdas/shared/aws-clients.ts) to capture every SDK client it makes.
 *
 * Tracing is on only when BOTH hold:
 * - POWERTOOLS_TRACE_ENABLED is "true": the stack sets it for every function, which all run with active X-Ray
 *   tracing (cdk/lib/lambda-environment.ts, cdk/lib/constructs/onboarding-function.ts); unset or "false" = off;
 * - the code runs in a Lambda execution environment (AWS_EXECUTION_ENV set, not SAM / Amplify): Powertools' own rule.
 * The local runner (local/runner/runner.ts) sets POWERTOOLS_TRACE_ENABLED=false and runs outside Lambda, so nothing
 * there needs an X-Ray daemon. Read once, when the module loads (a container's environment does not change).
 */
import { Tracer } from '@aws-lambda-powertools/tracer';

export const tracer = new Tracer({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'palette-onboarding',
  enabled: process.env.POWERTOOLS_TRACE_ENABLED === 'true',
});

/** True when SDK clients are captured (a Lambda with POWERTOOLS_TRACE_ENABLED=true). */
export function tracingActive(): boolean {
  return tracer.isTracingEnabled();
}

/** An SDK client, captured by the tracer when tracing is active (each call becomes an X-Ray subsegment); else as is. */
export function traced<T>(client: T): T {
  return tracingActive() ? tracer.captureAWSv3Client(client) : client;
}
