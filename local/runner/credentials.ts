/**
 * Per-function credentials for handlers that share one process (and one `process.env`) and run concurrently.
 *
 * Lambda gives each function's execution environment the credentials of a session of the function's execution
 * role. Locally every handler runs in this process, so environment variables cannot carry per-function keys.
 * Instead the runner points the AWS SDK's container credential provider at a loopback endpoint of its own:
 * `AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:<port>/credentials` plus
 * `AWS_CONTAINER_AUTHORIZATION_TOKEN` (a per-process random token), and no AWS_ACCESS_KEY_ID in the environment.
 * The SDK's default chain (fromEnv, fromSSO, fromIni, fromProcess, fromTokenFile, then remoteProvider -> fromHttp)
 * then asks that endpoint, from inside the handler's invocation (the request is made in the invocation's async
 * context). The endpoint tells which invocation asks with the HTTP attribution (attribution.ts: the client
 * socket's ports, published synchronously on `http.client.request.start` in the caller's context) and answers
 * `{AccessKeyId, SecretAccessKey, Token, Expiration}` of a service session of THAT function's role
 * (`lambda.amazonaws.com`, session name = the function name, as Lambda does).
 *
 * Sessions are cached per container (the function's module instance, lambda.ts): every client of a container gets
 * the same session, refreshed when less than 15 minutes remain (the SDK refreshes its copy 5 minutes before
 * expiry), and a new container (a cold start, or the one after a crash) gets a new session. Requests that no live
 * invocation of a registered run makes (another process, a killed invocation, a run that ended) get 403.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServiceSessionCredentials } from '../aws/core/types';
import { invocationForConnection } from './attribution';
import type { InvocationContext, OutputCapture } from './capture';

/** What the container credential provider expects. */
export interface ContainerCredentials {
  AccessKeyId: string;
  SecretAccessKey: string;
  Token: string;
  /** RFC 3339. */
  Expiration: string;
  RoleArn: string;
}

export type CredentialResolver = (ctx: InvocationContext) => Promise<ContainerCredentials | undefined>;

/** Who a session (its access key id) belongs to; also sessions derived from it with sts:AssumeRole. */
export interface SessionOwner {
  functionLogicalId: string;
  /** The function's execution role. */
  roleArn: string;
  /** For a session assumed by the function's session (e.g. a tenant account's role): that role's ARN. */
  via?: string;
}

const owners = new Map<string, SessionOwner>();

/** The owner of a session created for (or derived from) a function, process-wide. */
export function sessionOwner(accessKeyId: string | undefined): SessionOwner | undefined {
  return accessKeyId === undefined ? undefined : owners.get(accessKeyId);
}

/** Records a session derived from an owned one (sts:AssumeRole by a function's session). */
export function recordDerivedSession(accessKeyId: string, owner: SessionOwner): void {
  if (!owners.has(accessKeyId)) owners.set(accessKeyId, owner);
}

export class CredentialEndpoint {
  private readonly resolvers = new Map<OutputCapture, CredentialResolver>();
  /** Requests answered (for tests). */
  served = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly token: string,
  ) {}

  static async start(): Promise<CredentialEndpoint> {
    const token = randomBytes(24).toString('base64url');
    let endpoint: CredentialEndpoint | undefined;
    const server = createServer((req, res) => {
      const reply = (status: number, body: unknown) => {
        const text = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
        res.end(text);
      };
      if (!endpoint) return reply(503, { Code: 'NotReady', Message: 'starting' });
      const self = endpoint;
      void (async () => {
        if (req.method !== 'GET' || req.headers.authorization !== self.token) {
          return reply(401, { Code: 'Unauthorized', Message: 'The local runner credential endpoint needs its authorization token.' });
        }
        const ctx = invocationForConnection(req.socket.remotePort, req.socket.localPort);
        const resolver = ctx && !ctx.dead ? self.resolvers.get(ctx.owner) : undefined;
        if (!ctx || !resolver) {
          return reply(403, { Code: 'AccessDenied', Message: 'No running Lambda invocation of a local run made this request.' });
        }
        try {
          const creds = await resolver(ctx);
          if (!creds) return reply(403, { Code: 'AccessDenied', Message: `No credentials for ${ctx.scope.functionLogicalId}.` });
          self.served += 1;
          return reply(200, creds);
        } catch (e) {
          return reply(500, { Code: 'InternalError', Message: e instanceof Error ? e.message : String(e) });
        }
      })().catch(() => {
        if (!res.headersSent) reply(500, { Code: 'InternalError', Message: 'credential endpoint failure' });
      });
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Never keeps the process alive.
    server.unref();
    const port = (server.address() as AddressInfo).port;
    endpoint = new CredentialEndpoint(server, `http://127.0.0.1:${port}/credentials`, token);
    return endpoint;
  }

  /** Serves the invocations of one run (its capture) with `resolver`; returns the unregister function. */
  register(capture: OutputCapture, resolver: CredentialResolver): () => void {
    this.resolvers.set(capture, resolver);
    return () => {
      if (this.resolvers.get(capture) === resolver) this.resolvers.delete(capture);
    };
  }

  /** The environment that makes the SDK's default chain ask this endpoint. */
  environment(): Record<string, string> {
    return { AWS_CONTAINER_CREDENTIALS_FULL_URI: this.url, AWS_CONTAINER_AUTHORIZATION_TOKEN: this.token };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

let shared: Promise<CredentialEndpoint> | undefined;

/** The process-wide endpoint (started on first use). */
export function credentialEndpoint(): Promise<CredentialEndpoint> {
  shared ??= CredentialEndpoint.start();
  shared.catch(() => {
    shared = undefined;
  });
  return shared;
}

// ---- sessions per container ------------------------------------------------------------------------------

/** Refresh a cached session when less than this remains (the SDK refreshes 5 minutes before expiry). */
const REFRESH_BEFORE_MS = 15 * 60_000;

export interface SessionSource {
  /** Creates a Lambda service session of the role (RunningSandbox.serviceSession or POST /_sandbox/service-sessions). */
  create(req: { roleArn: string; sessionName: string; sourceArn: string; sourceAccount: string }): Promise<ServiceSessionCredentials>;
}

export interface ContainerSessionRequest {
  /** Sandbox endpoint + container key (lambda.ts containerOf) + role ARN + role id: one session per container. */
  key: string;
  functionLogicalId: string;
  functionName: string;
  functionArn: string;
  roleArn: string;
  accountId: string;
}

interface CachedSession {
  expiresAt: number;
  credentials: ContainerCredentials;
}

const sessions = new Map<string, Promise<CachedSession>>();

/** The session of a container (created on first use, refreshed before it expires), process-wide. */
export async function containerSession(req: ContainerSessionRequest, source: SessionSource, now = Date.now()): Promise<ContainerCredentials> {
  const cached = sessions.get(req.key);
  if (cached) {
    try {
      const s = await cached;
      if (s.expiresAt - now > REFRESH_BEFORE_MS) return s.credentials;
    } catch {
      // a failed creation is retried below
    }
    if (sessions.get(req.key) !== cached) return containerSession(req, source, now);
  }
  const created = (async (): Promise<CachedSession> => {
    const s = await source.create({
      roleArn: req.roleArn,
      // Lambda names the session after the function (2-64 characters).
      sessionName: req.functionName.slice(0, 64),
      sourceArn: req.functionArn,
      sourceAccount: req.accountId,
    });
    owners.set(s.accessKeyId, { functionLogicalId: req.functionLogicalId, roleArn: req.roleArn });
    return {
      expiresAt: Date.parse(s.expiration),
      credentials: { AccessKeyId: s.accessKeyId, SecretAccessKey: s.secretAccessKey, Token: s.sessionToken, Expiration: s.expiration, RoleArn: s.roleArn },
    };
  })();
  sessions.set(req.key, created);
  created.catch(() => {
    if (sessions.get(req.key) === created) sessions.delete(req.key);
  });
  return (await created).credentials;
}

/** Forgets every cached session (tests). */
export function clearContainerSessions(): void {
  sessions.clear();
}

/** A SessionSource over the sandbox: in-process when available, else the admin API. */
export function sandboxSessionSource(
  endpoint: string,
  inProcess?: (req: { roleArn: string; service: string; sessionName: string; sourceArn: string; sourceAccount: string }) => Promise<ServiceSessionCredentials>,
): SessionSource {
  return {
    async create(req) {
      const body = { ...req, service: 'lambda.amazonaws.com' };
      if (inProcess) return inProcess(body);
      const res = await fetch(`${endpoint}/_sandbox/service-sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const out = (await res.json()) as ServiceSessionCredentials & { error?: string };
      if (!res.ok) throw new Error(`the AWS sandbox refused a Lambda session of ${req.roleArn}: ${out.error ?? res.status}`);
      return out;
    },
  };
}
