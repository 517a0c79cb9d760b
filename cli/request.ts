/**
 * Request files for the CLI: reading, local validation with field-level messages (the same size check and zod
 * schema the ValidateRequest state uses), and the deterministic execution name.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseRequest } from '../lambdas/domain/plan';
import type { OnboardingRequest } from '../lambdas/domain/request';
import { RequestValidationError } from '../lambdas/shared/errors';

export class RequestFileError extends Error {
  override readonly name = 'RequestFileError';
  constructor(
    message: string,
    /** Field-level problems, when the file parsed but the request is invalid. */
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** Reads and parses a JSON request file (no schema check). */
export function readRequestFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new RequestFileError(code === 'ENOENT' ? `request file not found: ${file}` : `cannot read ${file}: ${String(e)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new RequestFileError(`${file} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Validates a raw request before anything is started, exactly as ValidateRequest does: its size first (at most
 * MAX_REQUEST_BYTES of JSON, measured on the JSON text the execution is started with), then every field; throws
 * RequestFileError listing every bad field.
 */
export function validateRequest(raw: unknown, file = 'request'): OnboardingRequest {
  try {
    // parseRequest checks the size first (checkRequestSize) and then the schema.
    return parseRequest(raw);
  } catch (e) {
    if (e instanceof RequestValidationError) {
      throw new RequestFileError(
        `${file} is not a valid onboarding request:\n${e.issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n')}`,
        e.issues,
      );
    }
    throw e;
  }
}

/**
 * The execution name for a request: its tenant id plus a hash of the request as given (key order does not
 * matter), so starting the same request twice is deduplicated by Step Functions. `suffix` forces a new
 * execution of an identical request (a deliberate re-run). Defined once in lambdas/domain/names.ts: the event
 * starter (lambdas/handlers/start-onboarding.ts) names its executions the same way.
 */
export { executionNameFor } from '../lambdas/domain/names';

/**
 * Execution name of a platform setup started by the CLI (deployed or local): unique per start, since a platform
 * run is not tied to a request file. `cli-setup-20250101T120000Z-1a2b3c` / `cli-rotate-...`.
 */
export function platformExecutionName(rotate: boolean, now: Date = new Date(), suffix: string = randomBytes(3).toString('hex')): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `cli-${rotate ? 'rotate' : 'setup'}-${stamp}-${suffix}`;
}
