/**
 * In-process hooks of the sandbox servers (the AWS sandbox and the Palette emulator), for tooling that runs in
 * the same process as the servers (the local runner's crash injection and call recording).
 *
 * - `onOperation(fn)`: told about every API call a server answered (after the operation was applied, right before
 *   the response is written). `fn` may answer `'hold'`: the response is then never written (the side effect stays
 *   applied); the socket is kept open and destroyed only when the server stops, so the caller never learns the
 *   result.
 * - `onRequest(fn)`: told about every API request before it is processed (nothing applied yet). `'hold'` keeps the
 *   request unanswered and unprocessed the same way (used to freeze requests of a handler that was "killed").
 *
 * `remotePort` is the client's local port as the server sees it (loopback): in the same process it identifies
 * the client socket that made the request. Observers run synchronously inside the server's request handling;
 * an observer that throws is ignored. With no observer registered nothing is computed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type HookAnswer = 'hold' | undefined | void;

/** A call the AWS sandbox answered (`service:operation` as the sandbox's stats count it). */
export interface AwsOperationEvent {
  target: 'aws';
  service: string;
  operation: string;
  /** The caller's account (the principal's account, i.e. the account the request acts in). */
  accountId: string;
  status: number;
  requestId: string;
  remotePort?: number;
}

/** A call the Palette emulator answered. */
export interface PaletteOperationEvent {
  target: 'palette';
  method: string;
  /** The spec's path template (e.g. `/v1/cloudaccounts/aws/{uid}`) when the path matched an operation. */
  template?: string;
  /** The concrete request path. */
  path: string;
  operationId?: string;
  status: number;
  remotePort?: number;
}

export type SandboxOperationEvent = AwsOperationEvent | PaletteOperationEvent;

/** An API request about to be processed. */
export interface SandboxRequestEvent {
  target: 'aws' | 'palette';
  method: string;
  path: string;
  remotePort?: number;
}

export type OperationObserver<E> = (event: E) => HookAnswer;
export type RequestObserver = (event: SandboxRequestEvent) => HookAnswer;

export class SandboxHooks<E extends SandboxOperationEvent> {
  private readonly operationObservers = new Set<OperationObserver<E>>();
  private readonly requestObservers = new Set<RequestObserver>();
  private readonly held = new Set<ServerResponse>();

  constructor(private readonly target: 'aws' | 'palette') {}

  onOperation(fn: OperationObserver<E>): () => void {
    this.operationObservers.add(fn);
    return () => void this.operationObservers.delete(fn);
  }

  onRequest(fn: RequestObserver): () => void {
    this.requestObservers.add(fn);
    return () => void this.requestObservers.delete(fn);
  }

  /** Server side, before processing: true when an observer holds the request (do not process, do not answer). */
  holdRequest(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    if (this.requestObservers.size === 0) return false;
    const event: SandboxRequestEvent = { target: this.target, method: (req.method ?? 'GET').toUpperCase(), path, remotePort: req.socket.remotePort };
    return this.ask(this.requestObservers, event, res);
  }

  /** Server side, after the operation was applied: true when an observer holds the response (do not send it). */
  holdResponse(req: IncomingMessage, res: ServerResponse, event: Omit<E, 'remotePort'> | (() => Omit<E, 'remotePort'>)): boolean {
    if (this.operationObservers.size === 0) return false;
    const e = { ...(typeof event === 'function' ? event() : event), remotePort: req.socket.remotePort } as E;
    return this.ask(this.operationObservers, e, res);
  }

  private ask<T>(observers: Set<(e: T) => HookAnswer>, event: T, res: ServerResponse): boolean {
    let hold = false;
    for (const fn of [...observers]) {
      try {
        if (fn(event) === 'hold') hold = true;
      } catch {
        // An observer failure never breaks the server.
      }
    }
    if (!hold) return false;
    this.held.add(res);
    res.once('close', () => this.held.delete(res));
    return true;
  }

  /** Responses currently held. */
  get heldCount(): number {
    return this.held.size;
  }

  /** Destroys the sockets of every held request (the server is stopping). */
  releaseHeld(): void {
    for (const res of this.held) res.destroy();
    this.held.clear();
  }
}
