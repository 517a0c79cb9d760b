/**
 * The emulator's HTTP pipeline: control endpoints (/_emulator/*), latency, rate limit, fault injection,
 * routing from the spec, authentication, scope (ProjectUid), schema validation, the operation handler,
 * and response validation against the spec.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { type Principal, type TokenService, authenticate } from './auth';
import { PaletteError } from './errors';
import { addCluster, clusterInspectView, removeCluster } from './clusters';
import { addGateway, gatewayInspectView, removeGateway, setGatewayState } from './gateways';
import { HANDLERS, type EmulatorCore, type OpResult } from './operations';
import { type RateLimiter, type Realism } from './realism';
import { type ScopeRef, ResourceStore } from './resources';
import type { Operation, SpecValidator } from './spec';
import type { PaletteOperationEvent, SandboxHooks } from '../hooks';
import { type Json, type Collection, type Tenant, MASK, PaletteState, SECRET_FIELDS, maskSecrets, secretsSet } from './state';

const MAX_BODY = 1024 * 1024;

export interface RequestLogEntry {
  at: string;
  method: string;
  path: string;
  status: number;
  operationId?: string;
  scope?: string;
  principal?: 'system' | 'tenant-token' | 'api-key';
  code?: string;
}

export interface ServerDeps {
  spec: SpecValidator;
  tokens: TokenService;
  realism: Realism;
  limiter: RateLimiter;
  validateResponses: boolean;
  /** Builds a fresh, seeded state (start and POST /_emulator/reset). */
  seedState(): PaletteState;
  core: Omit<EmulatorCore, 'state' | 'store'>;
  /** In-process observers (local/hooks.ts): may hold a request before it is processed or a response before it is sent. */
  hooks?: SandboxHooks<PaletteOperationEvent>;
}

/** An outage window: `from` (epoch ms, default now) and exactly one of `until` (epoch ms) or `durationMs`. */
const outageInput = z
  .object({
    pathPrefix: z.string().optional(),
    method: z.string().optional(),
    from: z.number().min(0).optional(),
    until: z.number().min(0).optional(),
    durationMs: z.number().min(0).optional(),
    kind: z.enum(['500', '503', '429', 'reset']).optional(),
    retryAfterSeconds: z.number().int().min(0).optional(),
  })
  .strict()
  .refine((o) => (o.until === undefined) !== (o.durationMs === undefined), { message: 'an outage needs exactly one of until or durationMs' });

function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PaletteError(400, 'InvalidRequest', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

const realismPatch = z
  .object({
    latency: z
      .object({ defaultMs: z.number().min(0), jitterMs: z.number().min(0), perPrefix: z.record(z.string(), z.number().min(0)) })
      .partial()
      .optional(),
    faults: z
      .object({
        seed: z.number().int(),
        rules: z.array(
          z
            .object({
              pathPrefix: z.string().optional(),
              method: z.string().optional(),
              rate: z.number().min(0).max(1),
              kind: z.enum(['500', '503', '429', 'reset', 'latency']),
              latencyMs: z.number().min(0).optional(),
              retryAfterSeconds: z.number().int().min(0).optional(),
              times: z.number().int().min(0).optional(),
            })
            .refine((r) => r.kind !== 'latency' || r.latencyMs !== undefined, { message: 'a latency rule needs latencyMs', path: ['latencyMs'] }),
        ),
        outages: z.array(outageInput),
      })
      .partial()
      .optional(),
    rateLimit: z.boolean().optional(),
    clockOffsetMs: z.number().optional(),
  })
  .strict();

const COLLECTION_KEYS: Record<Collection, string> = {
  awsAccount: 'awsAccounts',
  azureAccount: 'azureAccounts',
  sshKey: 'sshKeys',
  location: 'locations',
};

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new PaletteError(413, 'RequestTooLarge', `request body exceeds ${MAX_BODY} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** JSON regardless of Content-Type: the docs' own curl examples send JSON with curl's form default. */
function parseJson(raw: Buffer): unknown {
  const text = raw.toString('utf8').trim();
  if (text === '') return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return v === null ? undefined : v;
  } catch (e) {
    throw new PaletteError(400, 'InvalidRequest', `body: is not valid JSON (${(e as Error).message})`, { field: 'body' });
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s.trim() === '' ? undefined : s.trim();
}

export class PaletteServer {
  core: EmulatorCore;
  readonly log: RequestLogEntry[] = [];

  constructor(private readonly deps: ServerDeps) {
    for (const op of deps.spec.operations) {
      if (!HANDLERS[op.operationId]) throw new Error(`no handler for Palette operation ${op.operationId}`);
    }
    this.core = this.freshCore();
  }

  private freshCore(): EmulatorCore {
    const state = this.deps.seedState();
    return { ...this.deps.core, state, store: new ResourceStore(state, this.deps.core.now) };
  }

  reset(): void {
    this.core = this.freshCore();
    this.deps.limiter.reset();
    this.log.length = 0;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    if (url.pathname.startsWith('/_emulator/')) {
      await this.control(req, res, method, url.pathname);
      return;
    }
    if (this.deps.hooks?.holdRequest(req, res, url.pathname)) return;
    const entry: RequestLogEntry = { at: new Date(this.core.now()).toISOString(), method, path: url.pathname, status: 0 };
    let result: OpResult;
    try {
      result = await this.api(req, res, method, url, entry);
    } catch (e) {
      result = this.errorResult(e);
    }
    if (res.destroyed) return;
    entry.status = result.status;
    if (result.status >= 400 && typeof result.body === 'object' && result.body !== null) {
      entry.code = String((result.body as Json).code);
    }
    this.log.push(entry);
    if (this.log.length > 1000) this.log.shift();
    const template = () => this.deps.spec.operations.find((o) => o.operationId === entry.operationId)?.template;
    const event = () => ({ target: 'palette' as const, method, path: url.pathname, template: template(), operationId: entry.operationId, status: result.status });
    if (this.deps.hooks?.holdResponse(req, res, event)) return;
    send(res, result.status, result.body, result.headers);
  }

  private errorResult(e: unknown): OpResult {
    if (e instanceof PaletteError) return { status: e.status, body: e.toBody(), headers: e.headers };
    return { status: 500, body: { code: 'InternalError', message: e instanceof Error ? e.message : String(e) } };
  }

  private async api(req: IncomingMessage, res: ServerResponse, method: string, url: URL, entry: RequestLogEntry): Promise<OpResult> {
    const { realism, limiter, spec } = this.deps;
    const path = url.pathname;
    const delay = realism.latencyFor(path);
    if (delay > 0) await sleep(delay);
    if (realism.config.rateLimit) {
      const taken = limiter.take(req.socket.remoteAddress ?? 'unknown', path);
      if (!taken.ok) {
        realism.countRateLimited(taken.prefix);
        throw new PaletteError(429, 'TooManyRequests', 'rate limit exceeded for this source IP and resource prefix; retry later');
      }
    }
    // Injected before routing and the handler: a faulted call changes nothing.
    const decision = realism.decide(method, path);
    if (decision.delayMs > 0) await sleep(decision.delayMs);
    const fault = decision.fault;
    if (fault === 'reset') {
      res.destroy();
      return { status: 0 };
    }
    if (fault !== undefined) {
      const source = decision.outage ? 'injected outage (emulator outage window)' : 'injected fault (emulator fault rule)';
      const headers: Record<string, string> = decision.retryAfterSeconds !== undefined ? { 'Retry-After': String(decision.retryAfterSeconds) } : {};
      if (fault === '500') throw new PaletteError(500, 'InternalError', source, undefined, headers);
      if (fault === '503') throw new PaletteError(503, 'ServiceUnavailable', source, undefined, headers);
      throw new PaletteError(429, 'TooManyRequests', source, undefined, headers);
    }

    const match = spec.match(method, path);
    if (match.kind === 'not-found') {
      throw new PaletteError(404, 'NotFound', `path ${path} is not an operation of the emulated Palette API`);
    }
    if (match.kind === 'method-not-allowed') {
      throw new PaletteError(405, 'MethodNotAllowed', `method ${method} is not allowed on ${path}; allowed: ${match.allowed.join(', ')}`, undefined, {
        Allow: match.allowed.join(', '),
      });
    }
    const op = match.op;
    entry.operationId = op.operationId;
    const body = parseJson(await readBody(req));
    const q = spec.validateQuery(method, op.template, url.searchParams);
    if (q.errors.length > 0) throw validationError(q.errors);

    const principal = authenticate({ state: this.core.state, tokens: this.deps.tokens, now: this.core.now, systemUser: this.core.systemUser }, req.headers, op.scope);
    if (principal) entry.principal = principal.kind === 'system' ? 'system' : principal.via === 'apiKey' ? 'api-key' : 'tenant-token';
    const scope = this.resolveScope(op, principal, req, url);
    if (scope) entry.scope = scope.key;

    const bodyErrors = spec.validateRequest(method, op.template, body);
    if (bodyErrors.length > 0) throw validationError(bodyErrors);

    const handler = HANDLERS[op.operationId];
    if (!handler) throw new Error(`no handler for ${op.operationId}`);
    const result = await handler({ core: this.core, op, params: match.params, query: q.values, body, principal, scope });
    return this.finish(op, method, result);
  }

  /** ProjectUid header (or, as in one docs example, a ProjectUid query parameter) selects project scope. */
  private resolveScope(op: Operation, principal: Principal | undefined, req: IncomingMessage, url: URL): ScopeRef | undefined {
    if (!principal || principal.kind !== 'tenant') return undefined;
    const tenant: Tenant = principal.tenant;
    if (op.scope === 'tenant') return { tenant, key: 'tenant' };
    const projectUid = headerValue(req, 'ProjectUid') ?? (url.searchParams.get('ProjectUid') || undefined);
    if (projectUid === undefined) return { tenant, key: 'tenant' };
    if (!tenant.projects.some((p) => p.uid === projectUid)) {
      throw new PaletteError(404, 'ResourceNotFound', `ProjectUid: project '${projectUid}' not found in tenant ${tenant.uid}`, { field: 'ProjectUid' });
    }
    return { tenant, key: `project:${projectUid}` };
  }

  private finish(op: Operation, method: string, result: OpResult): OpResult {
    const headers = { ...result.headers };
    if (op.responseHeaders[String(result.status)]?.includes('AuditUid')) headers.AuditUid = this.core.state.ids.uid();
    if (this.deps.validateResponses) {
      const errs = this.deps.spec.validateResponse(method, op.template, result.status, result.body);
      if (errs.length > 0) {
        throw new PaletteError(
          500,
          'EmulatorResponseInvalid',
          `emulator bug: the ${result.status} response of ${op.operationId} violates the spec: ${errs.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
        );
      }
    }
    return { ...result, headers };
  }

  private async control(req: IncomingMessage, res: ServerResponse, method: string, path: string): Promise<void> {
    try {
      const route = `${method} ${path}`;
      if (route === 'GET /_emulator/health') return send(res, 200, { status: 'ok', mode: this.core.mode });
      if (route === 'GET /_emulator/state') return send(res, 200, this.inspect());
      if (route === 'GET /_emulator/config') return send(res, 200, this.deps.realism.config);
      if (route === 'PUT /_emulator/config') {
        this.deps.realism.apply(parseOrThrow(realismPatch, parseJson(await readBody(req)) ?? {}));
        return send(res, 200, this.deps.realism.config);
      }
      if (route === 'POST /_emulator/faults/outages') {
        return send(res, 200, this.deps.realism.addOutage(parseOrThrow(outageInput, parseJson(await readBody(req)) ?? {})));
      }
      if (route === 'DELETE /_emulator/faults') {
        this.deps.realism.apply({ faults: { rules: [], outages: [] } });
        return send(res, 200, this.deps.realism.config.faults);
      }
      if (route === 'GET /_emulator/stats') return send(res, 200, this.deps.realism.stats);
      if (route === 'DELETE /_emulator/stats') {
        this.deps.realism.resetStats();
        return send(res, 204, undefined);
      }
      if (route === 'PUT /_emulator/mode') {
        // A sandbox on which the platform setup runs becomes the self-hosted instance it configures.
        const body = parseJson(await readBody(req));
        const mode = typeof body === 'object' && body !== null && 'mode' in body ? body.mode : undefined;
        if (mode !== 'saas' && mode !== 'self-hosted') throw new PaletteError(400, 'InvalidRequest', 'mode: must be "saas" or "self-hosted"');
        this.core.mode = mode;
        return send(res, 200, { mode });
      }
      if (route === 'GET /_emulator/requests') return send(res, 200, { items: this.log });
      if (route === 'DELETE /_emulator/requests') {
        this.log.length = 0;
        return send(res, 204, undefined);
      }
      if (route === 'POST /_emulator/reset') {
        this.reset();
        return send(res, 204, undefined);
      }
      if (route === 'POST /_emulator/clusters') return send(res, 201, { uid: this.addCluster(parseJson(await readBody(req)) ?? {}) });
      if (method === 'DELETE' && path.startsWith('/_emulator/clusters/')) {
        const uid = decodeURIComponent(path.slice('/_emulator/clusters/'.length));
        if (!this.removeCluster(uid)) throw new PaletteError(404, 'ResourceNotFound', `cluster '${uid}' not found`, { uid });
        return send(res, 204, undefined);
      }
      if (route === 'POST /_emulator/gateways') return send(res, 201, { uid: this.addGateway(parseJson(await readBody(req)) ?? {}) });
      if ((method === 'PATCH' || method === 'DELETE') && path.startsWith('/_emulator/gateways/')) {
        const uid = decodeURIComponent(path.slice('/_emulator/gateways/'.length));
        const body = method === 'PATCH' ? parseJson(await readBody(req)) : undefined;
        const state = typeof body === 'object' && body !== null && 'state' in body ? body.state : undefined;
        if (method === 'PATCH' && typeof state !== 'string') throw new PaletteError(400, 'InvalidRequest', 'state: must be a string');
        const done = method === 'PATCH' ? this.setGatewayState(uid, String(state)) : this.removeGateway(uid);
        if (!done) throw new PaletteError(404, 'ResourceNotFound', `private cloud gateway '${uid}' not found`, { uid });
        return send(res, method === 'PATCH' ? 200 : 204, method === 'PATCH' ? { uid, state } : undefined);
      }
      throw new PaletteError(404, 'NotFound', `unknown control endpoint ${route}`);
    } catch (e) {
      const r = this.errorResult(e);
      send(res, r.status, r.body);
    }
  }

  /** Adds a cluster (local/palette/clusters.ts clusterInput); returns its uid. Throws PaletteError on bad input. */
  addCluster(input: unknown): string {
    return addCluster(this.core.state, this.core.now(), input).uid;
  }

  /** Removes a cluster; false when no tenant has it. */
  removeCluster(uid: string): boolean {
    return removeCluster(this.core.state, uid);
  }

  /** Adds a private cloud gateway (local/palette/gateways.ts gatewayInput); returns its uid. Throws PaletteError on bad input. */
  addGateway(input: unknown): string {
    return addGateway(this.core.state, this.core.now(), input).uid;
  }

  /** Sets a gateway's status.state; false when no tenant has it. */
  setGatewayState(uid: string, state: string): boolean {
    return setGatewayState(this.core.state, this.core.now(), uid, state);
  }

  /** Removes a gateway; false when no tenant has it. */
  removeGateway(uid: string): boolean {
    return removeGateway(this.core.state, uid);
  }

  /** Everything a test needs to assert on, with secret values masked (their presence is listed). */
  inspect(): Json {
    const { state } = this.core;
    const sys = state.system;
    const sysView = (v: Json | undefined, fields: string[]) => (v ? { ...maskSecrets(v, fields), secretsSet: secretsSet(v, fields) } : null);
    return {
      mode: this.core.mode,
      tenants: state.tenants.map((t) => {
        const scopes: Record<string, Record<string, Json[]>> = {};
        const keys = ['tenant', ...t.projects.map((p) => `project:${p.uid}`)];
        for (const k of keys) scopes[k] = Object.fromEntries(Object.values(COLLECTION_KEYS).map((c) => [c, [] as Json[]]));
        for (const r of t.resources) {
          const bucket = scopes[r.scope]?.[COLLECTION_KEYS[r.collection]];
          bucket?.push({
            uid: r.uid,
            name: r.name,
            ...(r.locationType ? { locationType: r.locationType } : {}),
            annotations: r.annotations,
            labels: r.labels,
            spec: maskSecrets(r.spec, SECRET_FIELDS[r.collection]),
            secretsSet: secretsSet(r.spec, SECRET_FIELDS[r.collection]),
            createdAt: new Date(r.createdAt).toISOString(),
            modifiedAt: new Date(r.modifiedAt).toISOString(),
          });
        }
        return {
          uid: t.uid,
          name: t.name,
          projects: t.projects,
          users: t.users.map((u) => ({ uid: u.uid, emailId: u.emailId })),
          apiKeys: t.apiKeys.map((k) => ({
            uid: k.uid,
            name: k.name,
            userUid: k.userUid,
            isActive: k.isActive,
            expiry: new Date(k.expiry).toISOString(),
            key: MASK,
          })),
          externalIds: { aws: state.externalId(t, 'aws'), 'aws-us-gov': state.externalId(t, 'aws-us-gov') },
          scopes,
          clusters: t.clusters.map(clusterInspectView),
          gateways: t.gateways.map(gatewayInspectView),
        };
      }),
      system: {
        stsAccount: sysView(sys.stsAccount as Json | undefined, SECRET_FIELDS.system),
        govStsAccount: sysView(sys.govStsAccount as Json | undefined, SECRET_FIELDS.system),
        awsAccount: sysView(sys.awsAccount as Json | undefined, SECRET_FIELDS.system),
        reverseProxy: sysView(sys.reverseProxy, ['clientKey']),
      },
      config: this.deps.realism.config,
    };
  }
}

function validationError(errors: { field: string; message: string }[]): PaletteError {
  const first = errors[0];
  const message = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  return new PaletteError(400, 'InvalidRequest', message, { field: first?.field, errors });
}
