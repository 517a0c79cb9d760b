/**
 * One embedded dynalite (in-memory DynamoDB) per (account, region).
 *
 * dynalite is an http.Server factory. Each engine listens on 127.0.0.1, port 0, and the service talks
 * to it over loopback HTTP with a keep-alive agent. That uses dynalite exactly as published (no fake
 * IncomingMessage/ServerResponse objects that would depend on which stream APIs its handler happens
 * to use), keeps its throw-on-error callbacks away from our request objects, and makes stopping an
 * engine the documented `server.close()`. The loopback hop costs well under a millisecond.
 *
 * dynalite does not check signatures, but it insists on the *shape* of an AWS4 Authorization header,
 * so every forwarded request carries a fixed synthetic one: the sandbox has already authenticated and
 * authorized the caller before anything reaches the engine.
 */
import { Agent, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

export const TARGET_PREFIX = 'DynamoDB_20120810.';
const JSON_10 = 'application/x-amz-json-1.0';
const SYNTHETIC_AUTH =
  'AWS4-HMAC-SHA256 Credential=SANDBOXINTERNAL/20250101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0';

export interface EngineResponse {
  status: number;
  /** Lower-cased; only content-type and x-amz-crc32 are kept. */
  headers: Record<string, string>;
  body: Buffer;
}

export type JsonObject = Record<string, unknown>;

export class DynaliteEngine {
  private writes: Promise<unknown> = Promise.resolve();
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly port: number,
    private readonly agent: Agent,
  ) {}

  static async start(): Promise<DynaliteEngine> {
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    return new DynaliteEngine(server, port, new Agent({ keepAlive: true, maxSockets: 16 }));
  }

  /** Sends one DynamoDB operation with a raw JSON body; resolves with dynalite's answer whatever its status. */
  call(operation: string, body: Buffer | string, contentType = JSON_10): Promise<EngineResponse> {
    if (this.closed) return Promise.reject(new Error('dynalite engine is stopped'));
    const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const p = new Promise<EngineResponse>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.port,
          method: 'POST',
          path: '/',
          agent: this.agent,
          headers: {
            'content-type': contentType,
            'content-length': String(payload.length),
            'x-amz-target': `${TARGET_PREFIX}${operation}`,
            'x-amz-date': '20250101T000000Z',
            authorization: SYNTHETIC_AUTH,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const headers: Record<string, string> = {};
            for (const name of ['content-type', 'x-amz-crc32']) {
              const v = res.headers[name];
              if (typeof v === 'string') headers[name] = v;
            }
            resolve({ status: res.statusCode ?? 500, headers, body: Buffer.concat(chunks) });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
    this.inFlight.add(p);
    const done = (): void => {
      this.inFlight.delete(p);
    };
    p.then(done, done);
    return p;
  }

  /** Internal calls (read-backs, restore): JSON in, JSON out; anything but 200 is an Error. */
  async json(operation: string, input: JsonObject): Promise<JsonObject> {
    const res = await this.call(operation, JSON.stringify(input));
    const text = res.body.toString('utf8');
    if (res.status !== 200) throw new Error(`dynalite ${operation} answered ${res.status}: ${text}`);
    const parsed: unknown = text === '' ? {} : JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as JsonObject) : {};
  }

  /**
   * Runs `fn` after every write queued before it has finished: a write and the read-back that updates
   * the shadow form one step, so the shadow always ends in the state of the last write.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writes.then(fn, fn);
    this.writes = run.catch(() => undefined);
    return run;
  }

  /** Waits for calls in flight, then stops the server and its database. Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await Promise.allSettled([...this.inFlight]);
      this.agent.destroy();
      this.server.closeAllConnections();
      await new Promise<void>((resolve) => {
        this.server.close(() => resolve());
      });
    })();
    return this.closed;
  }
}
