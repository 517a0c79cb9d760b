/**
 * Which Lambda invocation made an HTTP request that reached the in-process sandbox.
 *
 * Handlers run concurrently in this process (Parallel branches), each inside its invocation's async context
 * (capture.ts). Node publishes the start of every outgoing HTTP request on `diagnostics_channel`, synchronously
 * and in the async context of the code that makes it:
 *  - `http.client.request.start` (node:http, used by the AWS SDK): published when the request is finished and
 *    has its socket;
 *  - `undici:request:create` (fetch, used by the Palette client) in the caller's context, then
 *    `undici:client:sendHeaders` with the socket, right before the request is written.
 * The client socket's local port is what the sandbox server sees as `req.socket.remotePort` (loopback, same
 * process), so for the duration of each request the port names the invocation that made it. Keep-alive sockets
 * are reused across requests (and invocations): the map is updated on every request and cleared when the
 * request completes. Requests made outside any invocation clear their port too.
 *
 * The local port alone can be shared by two client sockets to different servers (the kernel only keeps the 4-tuple
 * unique), so servers that must not be fooled (the runner's credential endpoint) ask by connection instead:
 * `invocationForConnection(clientPort, serverPort)` matches both ends.
 *
 * Installed once per process, on the first run that needs it (crash rules, recordCalls, or handlers running under
 * their synthesized roles); costs a map update per HTTP request. Never changes a request.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import { currentInvocation, type InvocationContext } from './capture';

interface Binding {
  ctx: InvocationContext;
  /** The request the binding is for (a later request on the same socket replaces it). */
  request: object;
}

const byPort = new Map<number, Binding>();
/** `${localPort}:${remotePort}` of the client socket -> binding. */
const byConnection = new Map<string, Binding>();
const undiciRequests = new WeakMap<object, InvocationContext | undefined>();
let installed = false;

function bind(socket: Socket | null | undefined, ctx: InvocationContext | undefined, request: object): number | undefined {
  if (!socket) return undefined;
  const set = (): number | undefined => {
    const port = socket.localPort;
    if (port === undefined) return undefined;
    // A connecting socket may have its local port already, but not its remote one.
    const connection = socket.remotePort === undefined ? undefined : `${port}:${socket.remotePort}`;
    if (ctx) {
      byPort.set(port, { ctx, request });
      if (connection) byConnection.set(connection, { ctx, request });
    } else {
      byPort.delete(port);
      if (connection) byConnection.delete(connection);
    }
    return port;
  };
  const port = set();
  // Not connected yet: the request cannot reach the server before the socket connects (then both ports are known).
  if ((port === undefined || socket.remotePort === undefined) && socket.connecting) socket.once('connect', () => void set());
  return port;
}

function release(socket: Socket | null | undefined, request: object, port?: number): void {
  const p = port ?? socket?.localPort;
  if (p !== undefined && byPort.get(p)?.request === request) byPort.delete(p);
  const connection = `${p ?? ''}:${socket?.remotePort ?? ''}`;
  if (byConnection.get(connection)?.request === request) byConnection.delete(connection);
}

function onHttpRequestStart(message: unknown): void {
  const request = (message as { request?: ClientRequest }).request;
  if (!request) return;
  const ctx = currentInvocation();
  const socket = request.socket;
  const port = bind(socket, ctx, request);
  if (ctx) request.once('close', () => release(socket, request, port));
}

function onUndiciCreate(message: unknown): void {
  const request = (message as { request?: object }).request;
  if (request) undiciRequests.set(request, currentInvocation());
}

function onUndiciSendHeaders(message: unknown): void {
  const { request, socket } = message as { request?: object; socket?: Socket };
  if (!request) return;
  bind(socket, undiciRequests.get(request), request);
}

function onUndiciDone(message: unknown): void {
  const request = (message as { request?: object }).request;
  if (!request) return;
  for (const [port, b] of byPort) {
    if (b.request === request) byPort.delete(port);
  }
  for (const [connection, b] of byConnection) {
    if (b.request === request) byConnection.delete(connection);
  }
}

/** Subscribes to the HTTP client channels (idempotent). */
export function installHttpAttribution(): void {
  if (installed) return;
  installed = true;
  diagnosticsChannel.subscribe('http.client.request.start', onHttpRequestStart);
  diagnosticsChannel.subscribe('undici:request:create', onUndiciCreate);
  diagnosticsChannel.subscribe('undici:client:sendHeaders', onUndiciSendHeaders);
  diagnosticsChannel.subscribe('undici:request:headers', onUndiciDone);
  diagnosticsChannel.subscribe('undici:request:error', onUndiciDone);
}

/**
 * The invocation whose request is in flight on the connection from client port `clientPort` to server port
 * `serverPort` (a server sees them as `req.socket.remotePort` and `req.socket.localPort`).
 */
export function invocationForConnection(clientPort: number | undefined, serverPort: number | undefined): InvocationContext | undefined {
  if (clientPort === undefined || serverPort === undefined) return undefined;
  return byConnection.get(`${clientPort}:${serverPort}`)?.ctx;
}

/** The invocation whose request is in flight on the client socket with this local port. */
export function invocationForPort(port: number | undefined): InvocationContext | undefined {
  return port === undefined ? undefined : byPort.get(port)?.ctx;
}
