/**
 * The sandbox HTTP server (loopback only).
 *
 * `/_sandbox/*` is the unsigned admin API:
 *   GET  /_sandbox/health                 -> {status, managementAccountId, services}
 *   GET  /_sandbox/config                 -> live RealismConfig
 *   PUT  /_sandbox/config                 -> JSON merge patch (objects merge, arrays replace); returns the new config
 *   GET  /_sandbox/inventory              -> accountId -> type -> ids
 *   GET  /_sandbox/accounts               -> AccountView[] (admin credentials, organizationId / parentId or standalone)
 *   POST /_sandbox/accounts {accountId, standalone?, parentId?}
 *                                         -> AccountView (idempotent; a member under the root by default; 409 when the
 *                                            account exists with another placement)
 *   PUT  /_sandbox/accounts/<id>/parent {parentId}  -> AccountView (moves a member account to a root / OU)
 *   GET  /_sandbox/organization           -> the organization tree (root, OUs, accounts, standalone accounts)
 *   POST /_sandbox/organization/ous {name, parentId} -> the new OU {id, arn, name, parentId, path}
 *   POST /_sandbox/service-sessions {roleArn, service, sessionName, durationSeconds?, sourceArn?}
 *                                         -> {accessKeyId, secretAccessKey, sessionToken, expiration, assumedRoleArn, roleArn}
 *                                            (a session of the role assumed by the service, e.g. lambda.amazonaws.com;
 *                                            403 when the role's trust policy does not allow that service)
 *   GET  /_sandbox/stats                  -> SandboxStats (faults injected per kind, outages)
 *   POST /_sandbox/faults/outages {service?, operation?, from?, until | durationMs, kind?}
 *                                         -> the outage window added (absolute {from, until}); kind defaults to 503
 *   DELETE /_sandbox/faults               -> no fault rules, no outage windows (the seed stays)
 * Everything else is an AWS request: authenticated with SigV4 (header or presigned query), routed by
 * the credential scope's service, delayed by the latency model, possibly faulted, then handled.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { authenticate, detectService } from './auth';
import { decodeAwsChunked, isAwsChunked } from './chunked';
import { AwsError } from './errors';
import type { Kernel } from './kernel';
import { newHostId, newRequestId, renderError } from './protocol';
import { faultError, parseRealismPatch, resolveOutage } from './realism';
import type { AwsOperationEvent, SandboxHooks } from '../../hooks';
import type {
  AccountInfo,
  CreateAccountOptions,
  SandboxRequest,
  SandboxResponse,
  SandboxService,
  SandboxStats,
  ServiceName,
  ServiceSessionRequest,
} from './types';

export interface ServerDeps {
  kernel: Kernel;
  services: ReadonlyMap<ServiceName, SandboxService>;
  stats: SandboxStats;
  inventory(): Record<string, Record<string, string[]>>;
  createAccount(accountId: string, opts?: CreateAccountOptions): AccountInfo;
  /** Called after anything that may have changed state (debounced persistence). */
  changed(): void;
  /** In-process observers (local/hooks.ts): may hold a request before it is processed or a response before it is sent. */
  hooks?: SandboxHooks<AwsOperationEvent>;
}

const SERVICE_NAMES: readonly ServiceName[] = [
  'iam',
  'sts',
  's3',
  'secretsmanager',
  'dynamodb',
  'organizations',
  'ssm',
  'sqs',
  'events',
  'scheduler',
  'states',
  'cloudformation',
];
const isServiceName = (s: string): s is ServiceName => (SERVICE_NAMES as readonly string[]).includes(s);

export function emptyStats(): SandboxStats {
  return { requests: 0, operations: {}, faults: { throttle: 0, '500': 0, '503': 0, reset: 0, latency: 0 }, outages: 0, rejected: {} };
}

function decodePath(rawPath: string): string {
  return rawPath
    .split('/')
    .map((seg) => {
      try {
        return decodeURIComponent(seg);
      } catch {
        return seg;
      }
    })
    .join('/');
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, method: string, service: ServiceName | undefined, requestId: string, r: SandboxResponse): void {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v;
  headers['x-amzn-requestid'] = requestId;
  headers['x-amz-request-id'] = requestId;
  if (service === 's3' && headers['x-amz-id-2'] === undefined) headers['x-amz-id-2'] = newHostId();
  const body = r.body === undefined ? Buffer.alloc(0) : typeof r.body === 'string' ? Buffer.from(r.body, 'utf8') : r.body;
  if (!(method === 'HEAD' && headers['content-length'] !== undefined)) headers['content-length'] = String(body.length);
  res.writeHead(r.status, headers);
  res.end(method === 'HEAD' ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, data: unknown): void {
  const body = Buffer.from(`${JSON.stringify(data, null, 1)}\n`, 'utf8');
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(body.length) });
  res.end(body);
}

function adminError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: message });
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return {};
  return JSON.parse(body.toString('utf8'));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function optionalString(input: Record<string, unknown>, key: string): string | undefined {
  const v = input[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new AdminInputError(`"${key}" must be a string`);
  return v;
}

class AdminInputError extends Error {}

async function handleAdmin(deps: ServerDeps, method: string, route: string, body: Buffer, res: ServerResponse): Promise<void> {
  const { kernel } = deps;
  try {
    if (route === '/_sandbox/health' && method === 'GET') {
      return sendJson(res, 200, {
        status: 'ok',
        managementAccountId: kernel.accounts.managementAccountId,
        organizationId: kernel.organization.id,
        region: kernel.region,
        services: [...deps.services.keys()],
      });
    }
    if (route === '/_sandbox/config' && method === 'GET') return sendJson(res, 200, kernel.config);
    if (route === '/_sandbox/config' && (method === 'PUT' || method === 'PATCH')) {
      const patch = parseRealismPatch(parseJson(body));
      return sendJson(res, 200, kernel.setRealism(patch));
    }
    if (route === '/_sandbox/faults/outages' && method === 'POST') {
      // Appends one outage window ({service?, operation?, from?, until | durationMs, kind?}) to the live config.
      const patch = parseRealismPatch({ faults: { outages: [parseJson(body)] } });
      const added = resolveOutage(patch.faults?.outages?.[0] ?? {});
      const outages = [...(kernel.config.faults.outages ?? []), added];
      kernel.setRealism({ faults: { outages } });
      return sendJson(res, 200, added);
    }
    if (route === '/_sandbox/faults' && method === 'DELETE') {
      kernel.setRealism({ faults: { seed: kernel.config.faults.seed, rules: [], outages: [] } });
      return sendJson(res, 200, kernel.config.faults);
    }
    if (route === '/_sandbox/inventory' && method === 'GET') return sendJson(res, 200, deps.inventory());
    if (route === '/_sandbox/stats' && method === 'GET') return sendJson(res, 200, deps.stats);
    if (route === '/_sandbox/accounts' && method === 'GET') return sendJson(res, 200, kernel.accounts.views());
    if (route === '/_sandbox/accounts' && method === 'POST') {
      const input = parseJson(body);
      const accountId = isObject(input) ? input.accountId : undefined;
      if (!isObject(input) || typeof accountId !== 'string' || !/^\d{12}$/.test(accountId)) {
        return adminError(res, 400, 'Body must be {"accountId": "<12 digits>", "standalone"?: true, "parentId"?: "r-... | ou-..."}');
      }
      const standalone = input.standalone;
      if (standalone !== undefined && typeof standalone !== 'boolean') return adminError(res, 400, '"standalone" must be a boolean');
      const parentId = optionalString(input, 'parentId');
      deps.createAccount(accountId, { ...(standalone !== undefined ? { standalone } : {}), ...(parentId !== undefined ? { parentId } : {}) });
      deps.changed();
      return sendJson(res, 200, kernel.accounts.view(accountId));
    }
    const move = /^\/_sandbox\/accounts\/(\d{12})\/parent$/.exec(route);
    if (move && method === 'PUT') {
      const input = parseJson(body);
      const parentId = isObject(input) ? optionalString(input, 'parentId') : undefined;
      if (parentId === undefined) return adminError(res, 400, 'Body must be {"parentId": "r-... | ou-..."}');
      const accountId = move[1] as string;
      if (!kernel.accounts.get(accountId)) return adminError(res, 404, `No account ${accountId} in the sandbox`);
      kernel.organization.moveAccount(accountId, parentId);
      deps.changed();
      return sendJson(res, 200, kernel.accounts.view(accountId));
    }
    if (route === '/_sandbox/organization' && method === 'GET') return sendJson(res, 200, kernel.organization.tree());
    if (route === '/_sandbox/organization/ous' && method === 'POST') {
      const input = parseJson(body);
      const name = isObject(input) ? optionalString(input, 'name') : undefined;
      const parentId = isObject(input) ? optionalString(input, 'parentId') : undefined;
      if (name === undefined || parentId === undefined) return adminError(res, 400, 'Body must be {"name": "...", "parentId": "r-... | ou-..."}');
      const ou = kernel.organization.createOu(name, parentId, kernel.now());
      deps.changed();
      return sendJson(res, 200, ou);
    }
    if (route === '/_sandbox/service-sessions' && method === 'POST') {
      const input = parseJson(body);
      if (!isObject(input)) return adminError(res, 400, 'Body must be {"roleArn", "service", "sessionName", "durationSeconds"?, "sourceArn"?}');
      const duration = input.durationSeconds;
      if (duration !== undefined && typeof duration !== 'number') return adminError(res, 400, '"durationSeconds" must be a number');
      const request: ServiceSessionRequest = {
        roleArn: optionalString(input, 'roleArn') ?? '',
        service: optionalString(input, 'service') ?? '',
        sessionName: optionalString(input, 'sessionName') ?? '',
        ...(duration !== undefined ? { durationSeconds: duration } : {}),
        ...(input.sourceArn !== undefined ? { sourceArn: optionalString(input, 'sourceArn') as string } : {}),
        ...(input.sourceAccount !== undefined ? { sourceAccount: optionalString(input, 'sourceAccount') as string } : {}),
      };
      const session = await kernel.serviceSession(request);
      deps.changed();
      return sendJson(res, 200, session);
    }
    return adminError(res, 404, `No admin route ${method} ${route}`);
  } catch (e) {
    if (e instanceof SyntaxError) return adminError(res, 400, 'Body is not valid JSON');
    if (e instanceof AdminInputError) return adminError(res, 400, e.message);
    if (e instanceof AwsError) return sendJson(res, e.status, { error: e.message, code: e.code });
    return adminError(res, 500, e instanceof Error ? e.message : String(e));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function handleAws(deps: ServerDeps, req: IncomingMessage, res: ServerResponse, rawPath: string, rawQuery: string, raw: Buffer): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  if (deps.hooks?.holdRequest(req, res, rawPath)) return;
  const detected = detectService(req.rawHeaders, rawQuery, raw);
  const service = isServiceName(detected) ? deps.services.get(detected) : undefined;
  if (!service || !isServiceName(detected)) {
    const requestId = newRequestId('sts');
    const body = `<ErrorResponse><Error><Type>Sender</Type><Code>UnknownService</Code><Message>The sandbox does not implement the service "${detected.replace(/[^\w.-]/g, '')}".</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
    return send(res, method, undefined, requestId, { status: 400, headers: { 'content-type': 'text/xml' }, body });
  }
  const name = service.name;
  const requestId = newRequestId(name);
  const { kernel, stats } = deps;
  let call: Omit<AwsOperationEvent, 'status' | 'remotePort'> | undefined;
  try {
    let authenticated;
    try {
      authenticated = authenticate(name, { method, rawPath, rawQuery, rawHeaders: req.rawHeaders, body: raw, now: kernel.now(), defaultRegion: kernel.region }, kernel.credentials);
    } catch (e) {
      if (e instanceof AwsError) stats.rejected[e.code] = (stats.rejected[e.code] ?? 0) + 1;
      throw e;
    }
    const headers = { ...req.headers };
    let body = raw;
    const contentSha = typeof headers['x-amz-content-sha256'] === 'string' ? headers['x-amz-content-sha256'] : undefined;
    const encoding = typeof headers['content-encoding'] === 'string' ? headers['content-encoding'] : undefined;
    if (isAwsChunked(contentSha, encoding)) {
      const decoded = decodeAwsChunked(raw);
      const declared = headers['x-amz-decoded-content-length'];
      if (!decoded || (typeof declared === 'string' && Number(declared) !== decoded.payload.length)) {
        throw new AwsError('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.', 400);
      }
      body = decoded.payload;
      for (const [k, v] of Object.entries(decoded.trailers)) if (headers[k] === undefined) headers[k] = v;
      const rest = (encoding ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '' && s.toLowerCase() !== 'aws-chunked');
      if (rest.length > 0) headers['content-encoding'] = rest.join(',');
      else delete headers['content-encoding'];
      headers['content-length'] = String(body.length);
      delete headers['transfer-encoding'];
    }
    const sreq: SandboxRequest = {
      service: name,
      region: authenticated.region,
      method,
      path: decodePath(rawPath),
      rawPath,
      query: new URLSearchParams(rawQuery),
      headers,
      body,
      principal: authenticated.principal,
      requestId,
    };
    const operation = service.operationName(sreq);
    call = { target: 'aws', service: name, operation, accountId: authenticated.principal.accountId, requestId };
    stats.requests++;
    const opKey = `${name}:${operation}`;
    stats.operations[opKey] = (stats.operations[opKey] ?? 0) + 1;

    // Faults are decided and injected before the operation runs: a faulted call changes nothing.
    const decision = kernel.realism.decide(name, operation, Date.now());
    stats.faults.latency += decision.latency;
    const delay = kernel.realism.latencyMs(name, operation) + decision.delayMs;
    if (delay > 0) await sleep(delay);
    const fault = decision.fault;
    if (fault !== undefined) {
      stats.faults[fault]++;
      if (decision.outage) stats.outages++;
      if (fault === 'reset') {
        req.socket.destroy();
        return;
      }
      throw faultError(name, fault);
    }
    const response = await service.handle(sreq);
    deps.changed();
    if (call && deps.hooks?.holdResponse(req, res, { ...call, status: response.status })) return;
    return send(res, method, name, requestId, response);
  } catch (e) {
    let err: AwsError;
    if (e instanceof AwsError) {
      err = e;
    } else {
      process.stderr.write(`[sandbox] ${name} internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      err = faultError(name, '500');
    }
    const rendered = renderError(name, err, requestId, method);
    if (call && deps.hooks?.holdResponse(req, res, { ...call, status: rendered.status })) return;
    return send(res, method, name, requestId, rendered);
  }
}

export function createSandboxServer(deps: ServerDeps): Server {
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const raw = await readBody(req);
        const url = req.url ?? '/';
        const q = url.indexOf('?');
        const rawPath = q < 0 ? url : url.slice(0, q);
        const rawQuery = q < 0 ? '' : url.slice(q + 1);
        if (rawPath === '/_sandbox' || rawPath.startsWith('/_sandbox/')) {
          await handleAdmin(deps, (req.method ?? 'GET').toUpperCase(), rawPath.replace(/\/+$/, ''), raw, res);
          return;
        }
        await handleAws(deps, req, res, rawPath, rawQuery, raw);
      } catch (e) {
        process.stderr.write(`[sandbox] request failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('sandbox internal error');
        }
      }
    })();
  });
  server.keepAliveTimeout = 5000;
  return server;
}
