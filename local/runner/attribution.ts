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
 * Installed once per process, on the first run that needs it (crash rules or recordCalls); costs a map update
 * per HTTP request. Never changes a request.
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
const undiciRequests = new WeakMap<object, InvocationContext | undefined>();
let installed = false;

function bind(socket: Socket | null | undefined, ctx: InvocationContext | undefined, request: object): number | undefined {
  if (!socket) return undefined;
  const set = (): number | undefined => {
    const port = socket.localPort;
    if (port === undefined) return undefined;
    if (ctx) byPort.set(port, { ctx, request });
    else byPort.delete(port);
    return port;
  };
  const port = set();
  // Not connected yet (no local port): the request cannot reach the server before the socket connects.
  if (port === undefined && socket.connecting) socket.once('connect', () => void set());
  return port;
}

function release(socket: Socket | null | undefined, request: object, port?: number): void {
  const p = port ?? socket?.localPort;
  if (p !== undefined && byPort.get(p)?.request === request) byPort.delete(p);
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

/** The invocation whose request is in flight on the client socket with this local port. */
export function invocationForPort(port: number | undefined): InvocationContext | undefined {
  return port === undefined ? undefined : byPort.get(port)?.ctx;
}
