/**
 * Checks recorded client <-> emulator exchanges against the official Palette subset (openapi-subset.json) and its
 * supplement (supplement.json: official operations outside the subset), using the emulator's spec loader
 * (local/palette/spec.ts: routing by path template, ajv over the Swagger definitions).
 * Not a test file itself; used by contract.test.ts.
 *
 * Per exchange:
 *  - the operation (method + path template) exists in the official `paths`, is one of the supplement's operations the
 *    client declares (SUPPLEMENT_OPERATIONS in lambdas/services/palette/supplement-api.ts), or is one of the documented
 *    inferred operations the client declares (INFERRED_OPERATIONS in lambdas/services/palette/inferred-api.ts);
 *  - query parameters are declared and well-typed;
 *  - the request body validates against the operation's body schema with undeclared fields REJECTED (the client must
 *    send nothing outside the spec), is JSON, and is sent only to operations that take one;
 *  - credentials follow the securityDefinitions (exactly one of ApiKey / raw Authorization, none on login paths) and
 *    ProjectUid is sent only to tenant-or-project operations;
 *  - the response validates: declared status, declared schema (closed objects), empty 204, v1Error for every error,
 *    declared response headers (AuditUid).
 */
import { INFERRED_OPERATIONS } from '../../lambdas/services/palette/inferred-api';
import { SUPPLEMENT_OPERATIONS } from '../../lambdas/services/palette/supplement-api';
import { loadSpec, type Operation, type SpecValidator } from '../../local/palette/spec';
import type { Exchange } from './fixtures';

export interface ExchangeReport {
  /** "METHOD /template" when the operation was found. */
  operation?: string;
  operationId?: string;
  inferred?: boolean;
  /** From spec/supplement.json. */
  supplement?: boolean;
  violations: string[];
}

export interface ContractChecker {
  check(exchange: Exchange): ExchangeReport;
  /** Every operation of the subset and the supplement. */
  readonly operations: readonly Operation[];
}

function parseJsonText(text: string | undefined): { value: unknown; error?: string } {
  if (text === undefined || text.trim() === '') return { value: undefined };
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { value: undefined, error: e instanceof Error ? e.message : String(e) };
  }
}

const isJsonType = (contentType: string | undefined) => contentType !== undefined && /^application\/json\b/i.test(contentType);

export function contractChecker(
  allowedInferred: readonly string[] = INFERRED_OPERATIONS,
  allowedSupplement: readonly string[] = SUPPLEMENT_OPERATIONS,
): ContractChecker {
  /** Requests: undeclared fields are violations. Responses are always checked with closed objects. */
  const spec: SpecValidator = loadSpec({ rejectUnknownFields: true });
  const allowed = new Set(allowedInferred);
  const supplement = new Set(allowedSupplement);

  return {
    operations: spec.operations,
    check(ex) {
      const violations: string[] = [];
      const url = new URL(ex.url);
      const match = spec.match(ex.method, url.pathname);
      if (match.kind !== 'found') {
        violations.push(`${ex.method} ${url.pathname} is not an operation of the official subset (${match.kind})`);
        return { violations };
      }
      const op = match.op;
      const key = `${op.method} ${op.template}`;
      const report: ExchangeReport = { operation: key, operationId: op.operationId, inferred: op.inferred, supplement: op.supplement, violations };
      if (op.inferred && !allowed.has(key)) violations.push(`${key} is in no official path and is not a documented inferred operation`);
      if (op.supplement && !supplement.has(key)) violations.push(`${key} is in the supplement but not declared by the client (SUPPLEMENT_OPERATIONS)`);

      // Query string.
      const declared = new Set(op.query.map((p) => p.name));
      for (const name of new Set(url.searchParams.keys())) {
        if (!declared.has(name)) violations.push(`query parameter '${name}' is not declared for ${op.operationId}`);
      }
      for (const e of spec.validateQuery(op.method, op.template, url.searchParams).errors) violations.push(`query ${e.field}: ${e.message}`);

      // Request body.
      const body = parseJsonText(ex.requestBody);
      if (body.error) violations.push(`request body is not JSON: ${body.error}`);
      if (ex.requestBody !== undefined && ex.requestBody !== '') {
        if (!op.body) violations.push(`${op.operationId} takes no body but one was sent`);
        if (!isJsonType(ex.requestHeaders['content-type'])) violations.push(`request Content-Type is ${ex.requestHeaders['content-type'] ?? 'missing'}, expected application/json`);
      }
      for (const e of spec.validateRequest(op.method, op.template, body.value)) violations.push(`request ${e.field}: ${e.message}`);

      // Credentials and scope headers.
      const apiKey = ex.requestHeaders.apikey;
      const authorization = ex.requestHeaders.authorization;
      if (op.scope === 'none') {
        if (apiKey !== undefined || authorization !== undefined) violations.push(`credentials sent to the login operation ${op.operationId}`);
      } else {
        if ((apiKey === undefined) === (authorization === undefined)) violations.push('expected exactly one of the ApiKey and Authorization headers');
        if (authorization !== undefined && /^bearer\s/i.test(authorization)) violations.push('Authorization must carry the raw token (no Bearer prefix)');
      }
      if (ex.requestHeaders.projectuid !== undefined && op.scope !== 'tenant-or-project') {
        violations.push(`ProjectUid sent to ${op.operationId}, whose scope is ${op.scope}`);
      }

      // Response.
      if (ex.status === undefined) return report;
      const response = parseJsonText(ex.responseBody);
      if (response.error) violations.push(`response body is not JSON: ${response.error}`);
      if (response.value !== undefined && !isJsonType(ex.responseHeaders['content-type'])) {
        violations.push(`response Content-Type is ${ex.responseHeaders['content-type'] ?? 'missing'}, expected application/json`);
      }
      for (const e of spec.validateResponse(op.method, op.template, ex.status, response.value)) violations.push(`response ${ex.status} ${e.field}: ${e.message}`);
      for (const header of op.responseHeaders[String(ex.status)] ?? []) {
        if (ex.responseHeaders[header.toLowerCase()] === undefined) violations.push(`response ${ex.status} lacks the declared header ${header}`);
      }
      return report;
    },
  };
}
