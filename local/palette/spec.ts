/**
 * The official Palette API subset (lambdas/services/palette/spec/openapi-subset.json, Swagger 2.0), with the
 * supplement (spec/supplement.json: official operations outside the subset, see REFERENCE.md §2.11) merged in, as
 * the emulator's single source of truth: routing by path template, request validation (body and query) and
 * response validation. Swagger 2.0 schemas are draft-4-like; ajv (draft-07 mode, strict off so the `x-*`
 * vendor keywords are ignored) handles every keyword the subset uses.
 *
 * mergeSupplement() is also what the type generator (scripts/gen-palette-types.ts) and the contract test read.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

export type Scope = 'system' | 'tenant' | 'tenant-or-project' | 'none';

export interface ParamSpec {
  name: string;
  in: 'query' | 'path' | 'body' | 'header';
  required: boolean;
  type?: string;
  format?: string;
  enum?: unknown[];
  schema?: unknown;
}

export interface Operation {
  method: string;
  template: string;
  operationId: string;
  scope: Scope;
  /** True for operations that only the docs show (x-inferred-paths). */
  inferred: boolean;
  /** True for the official operations of spec/supplement.json (outside the subset we were given). */
  supplement: boolean;
  body?: ParamSpec;
  query: ParamSpec[];
  /** status -> schema ($ref) or null when the spec declares no body. */
  responses: Record<string, unknown>;
  /** Response headers declared per status (e.g. AuditUid). */
  responseHeaders: Record<string, string[]>;
}

export interface FieldError {
  field: string;
  message: string;
}

export interface SpecValidator {
  readonly operations: Operation[];
  /** Finds the operation for a concrete path. `allowed` lists methods when the path exists but the method does not. */
  match(method: string, path: string): MatchResult;
  /** Validates a request body (undefined = no body). Field names are relative to the body root. */
  validateRequest(method: string, template: string, body: unknown): FieldError[];
  /** Coerces and validates query parameters (strings in, typed values out). */
  validateQuery(method: string, template: string, query: URLSearchParams): { values: Record<string, unknown>; errors: FieldError[] };
  /** Validates a response: 204 must be empty, declared schemas must match, errors must be v1Error. */
  validateResponse(method: string, template: string, status: number, body: unknown): FieldError[];
}

export type MatchResult =
  | { kind: 'found'; op: Operation; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' };

const here = dirname(fileURLToPath(import.meta.url));
const SPEC_DIR = join(here, '..', '..', 'lambdas', 'services', 'palette', 'spec');
export const SPEC_PATH = join(SPEC_DIR, 'openapi-subset.json');
export const SUPPLEMENT_PATH = join(SPEC_DIR, 'supplement.json');

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** How the supplement refers to the subset's definitions (a JSON Reference relative to the supplement's file). */
const SUBSET_REF_PREFIX = 'openapi-subset.json#/';

/** Copy of a supplement node with its references into the subset made local; any other external reference throws. */
function localizeRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(localizeRefs);
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string') {
      if (v.startsWith(SUBSET_REF_PREFIX)) out[k] = `#/${v.slice(SUBSET_REF_PREFIX.length)}`;
      else if (v.startsWith('#/')) out[k] = v;
      else throw new Error(`supplement: unsupported reference ${v} (only #/... and ${SUBSET_REF_PREFIX}...)`);
    } else out[k] = localizeRefs(v);
  }
  return out;
}

function swaggerDocument(doc: unknown, what: string): Json {
  if (!isObject(doc) || doc.swagger !== '2.0') throw new Error(`${what}: expected a Swagger 2.0 document`);
  return doc;
}

/**
 * The subset with the supplement's paths and definitions added. Each supplement operation is marked
 * `x-supplement: true`; references `openapi-subset.json#/definitions/X` become `#/definitions/X`. A supplement path or
 * definition that the subset already has is an error (the supplement only adds, it never overrides). The subset's
 * root keys (including its `x-` keys) are kept; the supplement's own root `x-` keys stay in its file.
 */
export function mergeSupplement(subset: unknown, supplement: unknown): Json {
  const base = swaggerDocument(subset, 'openapi-subset.json');
  const extra = swaggerDocument(localizeRefs(supplement), 'supplement.json');
  const paths: Json = { ...(isObject(base.paths) ? base.paths : {}) };
  for (const [template, item] of Object.entries(isObject(extra.paths) ? extra.paths : {})) {
    if (template in paths) throw new Error(`supplement: path ${template} is already in the subset`);
    if (!isObject(item)) continue;
    const marked: Json = { ...item };
    for (const m of METHODS) if (isObject(item[m])) marked[m] = { ...item[m], 'x-supplement': true };
    paths[template] = marked;
  }
  const definitions: Json = { ...(isObject(base.definitions) ? base.definitions : {}) };
  for (const [name, schema] of Object.entries(isObject(extra.definitions) ? extra.definitions : {})) {
    if (name in definitions) throw new Error(`supplement: definition ${name} is already in the subset`);
    definitions[name] = schema;
  }
  return { ...base, paths, definitions };
}

/** The subset merged with the supplement (`supplementPath: null`: the subset alone). */
export function readPaletteSpec(opts: { specPath?: string; supplementPath?: string | null } = {}): Json {
  const subset: unknown = JSON.parse(readFileSync(opts.specPath ?? SPEC_PATH, 'utf8'));
  if (opts.supplementPath === null) return swaggerDocument(subset, 'openapi-subset.json');
  return mergeSupplement(subset, JSON.parse(readFileSync(opts.supplementPath ?? SUPPLEMENT_PATH, 'utf8')));
}

const SCHEMA_ID = 'palette-subset.json';

/**
 * Swagger object schemas often omit `type: object` (e.g. v1ApiKeyActiveState). A Go server would still fail to
 * decode an array into them, so the emulator adds the implied type. With `closed`, objects that declare
 * properties also get `additionalProperties: false` (used for responses: Go serialises structs, so a real
 * response never has fields outside the schema; and for requests when rejectUnknownFields is on).
 */
function prepareDefinitions(definitions: Json, closed: boolean): Json {
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (!isObject(node)) return node;
    const out: Json = {};
    for (const [k, v] of Object.entries(node)) out[k] = k === 'enum' || k === 'default' ? v : visit(v);
    if (isObject(node.properties)) {
      if (out.type === undefined) out.type = 'object';
      if (closed && out.additionalProperties === undefined) out.additionalProperties = false;
    }
    return out;
  };
  return visit(definitions) as Json;
}

function makeAjv(definitions: Json): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema({ $id: SCHEMA_ID, definitions }, SCHEMA_ID);
  return ajv;
}

/** "#/definitions/x" -> compiled validator bound to the shared definitions. */
function rebase(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (!isObject(schema)) return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) {
    out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${SCHEMA_ID}${v}` : rebase(v);
  }
  return out;
}

/** "/spec/config" + missing "bucketName" -> "spec.config.bucketName"; array indices as [i]. */
export function fieldName(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out === '' ? p : `.${p}`;
  return out === '' ? 'body' : out;
}

function describe(err: ErrorObject): FieldError {
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required':
      return { field: fieldName(err.instancePath, String(p.missingProperty)), message: 'is required' };
    case 'additionalProperties':
      return { field: fieldName(err.instancePath, String(p.additionalProperty)), message: 'is not a field of this schema' };
    case 'enum':
      return {
        field: fieldName(err.instancePath),
        message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'type':
      return { field: fieldName(err.instancePath), message: `must be ${String(p.type)}` };
    case 'format':
      return { field: fieldName(err.instancePath), message: `must be a valid ${String(p.format)}` };
    case 'uniqueItems':
      return { field: fieldName(err.instancePath), message: 'must not contain duplicate items' };
    default:
      return { field: fieldName(err.instancePath), message: err.message ?? `violates ${err.keyword}` };
  }
}

function errorsOf(validate: ValidateFunction, value: unknown): FieldError[] {
  if (validate(value)) return [];
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const e of validate.errors ?? []) {
    const d = describe(e);
    const key = `${d.field}|${d.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(d);
    }
  }
  return out;
}

function readParams(raw: unknown): ParamSpec[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(isObject).map((p) => ({
    name: String(p.name),
    in: p.in as ParamSpec['in'],
    required: p.required === true,
    type: typeof p.type === 'string' ? p.type : undefined,
    format: typeof p.format === 'string' ? p.format : undefined,
    enum: Array.isArray(p.enum) ? p.enum : undefined,
    schema: p.schema,
  }));
}

function readOperations(paths: Json, inferred: boolean): Operation[] {
  const ops: Operation[] = [];
  for (const [template, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    const shared = readParams(item.parameters);
    for (const m of METHODS) {
      const raw = item[m];
      if (!isObject(raw)) continue;
      const own = readParams(raw.parameters);
      const params = [...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)), ...own];
      const responses: Record<string, unknown> = {};
      const responseHeaders: Record<string, string[]> = {};
      for (const [status, r] of Object.entries(isObject(raw.responses) ? raw.responses : {})) {
        responses[status] = isObject(r) && r.schema !== undefined ? r.schema : null;
        if (isObject(r) && isObject(r.headers)) responseHeaders[status] = Object.keys(r.headers);
      }
      ops.push({
        method: m.toUpperCase(),
        template,
        operationId: String(raw.operationId),
        scope: (raw['x-subset-scope'] as Scope | undefined) ?? 'tenant-or-project',
        inferred,
        supplement: raw['x-supplement'] === true,
        body: params.find((p) => p.in === 'body'),
        query: params.filter((p) => p.in === 'query'),
        responses,
        responseHeaders,
      });
    }
  }
  return ops;
}

interface Route {
  template: string;
  segments: string[];
  params: number;
}

function coerceQuery(p: ParamSpec, raw: string): { value?: unknown; error?: string } {
  let value: unknown = raw;
  if (p.type === 'integer') {
    if (!/^-?\d+$/.test(raw)) return { error: 'must be integer' };
    value = Number(raw);
  } else if (p.type === 'boolean') {
    if (raw !== 'true' && raw !== 'false') return { error: 'must be boolean' };
    value = raw === 'true';
  }
  if (p.enum && !p.enum.includes(value)) return { error: `must be one of ${p.enum.map((v) => JSON.stringify(v)).join(', ')}` };
  return { value };
}

export function loadSpec(opts: { rejectUnknownFields?: boolean; specPath?: string; supplementPath?: string | null } = {}): SpecValidator {
  const doc = readPaletteSpec({
    ...(opts.specPath !== undefined ? { specPath: opts.specPath } : {}),
    ...(opts.supplementPath !== undefined ? { supplementPath: opts.supplementPath } : {}),
  });
  const definitions = isObject(doc.definitions) ? doc.definitions : {};
  const requestAjv = makeAjv(prepareDefinitions(definitions, opts.rejectUnknownFields === true));
  const responseAjv = makeAjv(prepareDefinitions(definitions, true));
  const operations = [
    ...readOperations(isObject(doc.paths) ? doc.paths : {}, false),
    ...readOperations(isObject(doc['x-inferred-paths']) ? doc['x-inferred-paths'] : {}, true),
  ];
  const byKey = new Map(operations.map((o) => [`${o.method} ${o.template}`, o]));
  const routes: Route[] = [...new Set(operations.map((o) => o.template))].map((template) => {
    const segments = template.split('/').slice(1);
    return { template, segments, params: segments.filter((s) => s.startsWith('{')).length };
  });

  const cache = new Map<string, ValidateFunction>();
  const compiled = (ajv: Ajv, key: string, schema: unknown): ValidateFunction => {
    let v = cache.get(key);
    if (!v) {
      v = ajv.compile(rebase(schema) as Json);
      cache.set(key, v);
    }
    return v;
  };
  const errorSchema = { $ref: '#/definitions/v1Error' };

  const op = (method: string, template: string): Operation => {
    const found = byKey.get(`${method.toUpperCase()} ${template}`);
    if (!found) throw new Error(`no operation ${method} ${template} in the Palette spec subset or its supplement`);
    return found;
  };

  return {
    operations,
    match(method, path) {
      const segs = path.split('/').slice(1);
      const candidates: { route: Route; params: Record<string, string> }[] = [];
      for (const route of routes) {
        if (route.segments.length !== segs.length) continue;
        const params: Record<string, string> = {};
        let ok = true;
        route.segments.forEach((s, i) => {
          const actual = segs[i] ?? '';
          if (s.startsWith('{')) {
            if (actual === '') ok = false;
            else params[s.slice(1, -1)] = decodeURIComponent(actual);
          } else if (s !== actual) ok = false;
        });
        if (ok) candidates.push({ route, params });
      }
      // Static segments win over parameters (like go-swagger's router), then fall back to other matches.
      candidates.sort((a, b) => a.route.params - b.route.params);
      for (const c of candidates) {
        const found = byKey.get(`${method.toUpperCase()} ${c.route.template}`);
        if (found) return { kind: 'found', op: found, params: c.params };
      }
      if (candidates.length === 0) return { kind: 'not-found' };
      const allowed = operations.filter((o) => candidates.some((c) => c.route.template === o.template)).map((o) => o.method);
      return { kind: 'method-not-allowed', allowed: [...new Set(allowed)] };
    },
    validateRequest(method, template, body) {
      const o = op(method, template);
      if (!o.body) return [];
      if (body === undefined) return o.body.required ? [{ field: 'body', message: 'is required' }] : [];
      return errorsOf(compiled(requestAjv, `req ${o.method} ${o.template}`, o.body.schema), body);
    },
    validateQuery(method, template, query) {
      const o = op(method, template);
      const values: Record<string, unknown> = {};
      const errors: FieldError[] = [];
      for (const p of o.query) {
        const raw = query.get(p.name);
        if (raw === null) {
          if (p.required) errors.push({ field: p.name, message: 'is required' });
          continue;
        }
        const r = coerceQuery(p, raw);
        if (r.error) errors.push({ field: p.name, message: r.error });
        else values[p.name] = r.value;
      }
      return { values, errors };
    },
    validateResponse(method, template, status, body) {
      const o = op(method, template);
      const declared = Object.prototype.hasOwnProperty.call(o.responses, String(status));
      if (status === 204) {
        return body === undefined ? [] : [{ field: 'body', message: 'a 204 response must have an empty body' }];
      }
      if (status >= 400) {
        if (body === undefined) return [{ field: 'body', message: 'an error response must carry a v1Error' }];
        return errorsOf(compiled(responseAjv, 'error', errorSchema), body);
      }
      if (!declared) return [{ field: 'status', message: `${status} is not a declared response of ${o.operationId}` }];
      const schema = o.responses[String(status)];
      if (schema === null || schema === undefined) {
        return body === undefined ? [] : [{ field: 'body', message: `${o.operationId} ${status} declares no body` }];
      }
      if (body === undefined) return [{ field: 'body', message: 'is required' }];
      return errorsOf(compiled(responseAjv, `res ${o.method} ${o.template} ${status}`, schema), body);
    },
  };
}
