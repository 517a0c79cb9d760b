/**
 * Permission usage of a local run under the synthesized roles (`run.permissions`): every action the sandbox
 * authorized or denied for each function, told by the sandbox's in-process authorization observer
 * (RunningSandbox.onAuthorize) and attributed by the session's access key:
 *
 * - a Lambda service session the runner created for a function's container (credentials.ts) -> the function's own
 *   role: `allowed` / `denied`;
 * - a session created by sts:AssumeRole with such a session (or with one derived from it), e.g. the tenant account's
 *   execution role -> `assumed[<role ARN>]` of the function (what the function did in the tenant account, with the
 *   session policy the function passed, if any).
 *
 * A denied call is a product bug on AWS too; the runner does not fail the run for it: the step fails as it would on
 * AWS (AccessDenied) and the denial is listed here and reported as a `permission-denied` progress event.
 */
import type { AuthorizeEvent, AuthorizeObserver } from '../aws/core/types';
import { recordDerivedSession, sessionOwner } from './credentials';

export interface DeniedCall {
  action: string;
  resource: string;
  reason: string;
  /** Task state of the function's invocation, when exactly one was running. */
  state?: string;
}

export interface AssumedRoleUsage {
  allowed: string[];
  denied: DeniedCall[];
}

export interface FunctionPermissions {
  /** The function's execution role ARN. */
  role: string;
  /** Actions the sandbox allowed to the function's role (sorted, unique). */
  allowed: string[];
  /** Calls the sandbox denied to the function's role. */
  denied: DeniedCall[];
  /** What the function did with roles it assumed (tenant accounts), by role ARN. */
  assumed?: Record<string, AssumedRoleUsage>;
}

/** Function logical id -> its permission usage. */
export type RunPermissions = Record<string, FunctionPermissions>;

export interface PermissionDeniedNotice extends DeniedCall {
  functionLogicalId: string;
  /** The assumed role the call was made with (absent: the function's own role). */
  via?: string;
}

export interface PermissionRecorderOptions {
  /** Task states of a function's running invocations (to label denials). */
  statesOf?: (functionLogicalId: string) => string[];
  onDenied?: (notice: PermissionDeniedNotice) => void;
}

interface Usage {
  allowed: Set<string>;
  denied: DeniedCall[];
}

export class PermissionRecorder {
  private readonly functions = new Map<string, { role: string; own: Usage; assumed: Map<string, Usage> }>();

  constructor(private readonly opts: PermissionRecorderOptions = {}) {}

  /** Lists a function even if it made no AWS call. */
  expect(functionLogicalId: string, roleArn: string): void {
    if (!this.functions.has(functionLogicalId)) {
      this.functions.set(functionLogicalId, { role: roleArn, own: { allowed: new Set(), denied: [] }, assumed: new Map() });
    }
  }

  /** Subscribes to the sandbox's decisions; returns the unsubscribe function. */
  attach(sandbox: { onAuthorize(fn: AuthorizeObserver): () => void }): () => void {
    return sandbox.onAuthorize((e) => this.observe(e));
  }

  observe(e: AuthorizeEvent): void {
    const p = e.principal;
    if (p.kind !== 'assumed-role' || p.accessKeyId === undefined) return;
    let owner = sessionOwner(p.accessKeyId);
    if (!owner) {
      const parent = sessionOwner(p.issuer?.accessKeyId);
      if (!parent) return;
      owner = { functionLogicalId: parent.functionLogicalId, roleArn: parent.roleArn, via: p.roleArn ?? p.arn };
      recordDerivedSession(p.accessKeyId, owner);
    }
    this.expect(owner.functionLogicalId, owner.roleArn);
    const entry = this.functions.get(owner.functionLogicalId);
    if (!entry) return;
    let usage = entry.own;
    if (owner.via !== undefined) {
      usage = entry.assumed.get(owner.via) ?? { allowed: new Set(), denied: [] };
      entry.assumed.set(owner.via, usage);
    }
    if (e.allowed) {
      usage.allowed.add(e.action);
      return;
    }
    const states = this.opts.statesOf?.(owner.functionLogicalId) ?? [];
    const denied: DeniedCall = { action: e.action, resource: e.resource, reason: e.reason, ...(states.length === 1 ? { state: states[0] as string } : {}) };
    usage.denied.push(denied);
    try {
      this.opts.onDenied?.({ ...denied, functionLogicalId: owner.functionLogicalId, ...(owner.via !== undefined ? { via: owner.via } : {}) });
    } catch {
      // a failing listener changes nothing
    }
  }

  result(): RunPermissions {
    const out: RunPermissions = {};
    const sorted = (s: Set<string>) => [...s].sort();
    for (const id of [...this.functions.keys()].sort()) {
      const f = this.functions.get(id);
      if (!f) continue;
      out[id] = {
        role: f.role,
        allowed: sorted(f.own.allowed),
        denied: [...f.own.denied],
        ...(f.assumed.size > 0
          ? {
              assumed: Object.fromEntries(
                [...f.assumed.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([role, u]) => [role, { allowed: sorted(u.allowed), denied: [...u.denied] }]),
              ),
            }
          : {}),
      };
    }
    return out;
  }
}
