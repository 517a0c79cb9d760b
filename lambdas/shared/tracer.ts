/**
 * X-Ray tracing of the SDK calls: ONE Powertools Tracer per container, used by the client factory
 * (lambdas/shared/aws-clients.ts) to capture every SDK client it makes.
 *
 * Tracing is on only when BOTH hold:
 * - POWERTOOLS_TRACE_ENABLED is "true": the stack sets it when the config asks for SDK call tracing
 *   (`traceSdkCalls`, default false; cdk/lib/lambda-environment.ts); unset or "false" = off. The functions always run
 *   with active X-Ray tracing (Lambda's own segments, which cost no cold start);
 * - the code runs in a Lambda execution environment (AWS_EXECUTION_ENV set, not SAM / Amplify): Powertools' own rule.
 *
 * The tracer and the X-Ray SDK under it (about 110 KB, 45 ms of module loading: bench P3) are loaded only when
 * POWERTOOLS_TRACE_ENABLED is "true", by `loadTracer()`, which the handler wrapper awaits before the handler runs
 * (lambdas/shared/deadline.ts), so every client the handler makes sees it. The local runner sets "false".
 */
import type { Tracer } from '@aws-lambda-powertools/tracer';

const wanted = (): boolean => process.env.POWERTOOLS_TRACE_ENABLED === 'true';

let tracer: Tracer | undefined;
let loading: Promise<void> | undefined;

/** Loads the tracer once per container when POWERTOOLS_TRACE_ENABLED is "true"; nothing otherwise. */
export function loadTracer(): Promise<void> {
  if (!wanted()) return Promise.resolve();
  loading ??= import('@aws-lambda-powertools/tracer').then(({ Tracer: TracerClass }) => {
    tracer = new TracerClass({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'palette-onboarding', enabled: true });
  });
  return loading;
}

/** True when SDK clients are captured (a Lambda with POWERTOOLS_TRACE_ENABLED=true, once loadTracer() resolved). */
export function tracingActive(): boolean {
  return tracer?.isTracingEnabled() ?? false;
}

/** An SDK client, captured by the tracer when tracing is active (each call becomes an X-Ray subsegment); else as is. */
export function traced<T>(client: T): T {
  return tracer?.isTracingEnabled() ? tracer.captureAWSv3Client(client) : client;
}
