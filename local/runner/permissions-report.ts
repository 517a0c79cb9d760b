/**
 * Granted versus used: what each function's execution role allows (from the synthesized template) against what
 * local runs under those roles actually used (`run.permissions`, merged across runs).
 *
 *   const granted = grantedActionsByFunction(template);            // or grantedActions(template, id) per function
 *   const used = mergePermissions(runA.permissions, runB.permissions);
 *   const report = compareUsage(granted, used);
 *   report[id].unused   // excess: granted action strings no run used
 *   report[id].denied   // missing: calls a run was denied
 *
 * Granted actions are the policies' action strings as written (`s3:Get*` stays `s3:Get*`, nothing is expanded);
 * an action string is used when some allowed action of the function's own role matches it (IAM wildcard matching,
 * case-insensitive). Actions the Lambda service itself performs with the role (writing logs, X-Ray segments) are
 * never made by a handler: they are reported as `platform`, not as unused.
 */
import { actionMatches } from '../../lambdas/domain/policies';
import { awsManagedPolicyDocument } from '../aws/core/policy';
import type { DeniedCall, RunPermissions } from './permissions';
import { functionRoleLogicalId, type CfnTemplate } from './template';

/** Actions Lambda uses the execution role for, outside the handler (CloudWatch Logs, X-Ray with active tracing). */
export const LAMBDA_PLATFORM_ACTIONS: readonly string[] = [
  'logs:CreateLogGroup',
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** IAM action matching (`*`, `?`, case-insensitive): the product's own (lambdas/domain/policies.ts). */
export { actionMatches };

function allowActions(document: unknown, out: Set<string>): void {
  if (!isRecord(document)) return;
  for (const s of list(document.Statement)) {
    if (!isRecord(s) || s.Effect !== 'Allow') continue;
    for (const a of list(s.Action)) {
      if (typeof a !== 'string') throw new Error(`an Action of the role's policies is not a literal string: ${JSON.stringify(a)}`);
      out.add(a);
    }
  }
}

/**
 * Every action string the function's execution role policies allow, as written (sorted, unique): the stack's
 * `AWS::IAM::Policy` resources attached to the role, the role's own `Policies`, and the AWS managed policies in
 * `ManagedPolicyArns` that the sandbox ships (their documents are not in the template).
 */
export function grantedActions(template: CfnTemplate, functionLogicalId: string): string[] {
  const roleId = functionRoleLogicalId(template, functionLogicalId);
  if (roleId === undefined) throw new Error(`function ${functionLogicalId} has no execution role of the stack`);
  const role = template.Resources[roleId];
  const out = new Set<string>();
  for (const p of list(role?.Properties?.Policies)) if (isRecord(p)) allowActions(p.PolicyDocument, out);
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    const attached = list(r.Properties?.Roles).some((e) => isRecord(e) && e.Ref === roleId);
    if (attached) allowActions(r.Properties?.PolicyDocument, out);
  }
  for (const m of list(role?.Properties?.ManagedPolicyArns)) {
    // ManagedPolicyArns are usually `Fn::Join ['', ['arn:', {Ref: AWS::Partition}, ':iam::aws:policy/...']]`.
    const arn = isRecord(m) && Array.isArray(m['Fn::Join']) ? list((m['Fn::Join'] as unknown[])[1]).map((x) => (typeof x === 'string' ? x : 'aws')).join('') : m;
    const doc = typeof arn === 'string' ? awsManagedPolicyDocument(arn) : undefined;
    if (doc) allowActions(JSON.parse(doc), out);
  }
  return [...out].sort();
}

/** grantedActions for every Lambda function of the template that runs as a role of the stack. */
export function grantedActionsByFunction(template: CfnTemplate): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type === 'AWS::Lambda::Function' && functionRoleLogicalId(template, id) !== undefined) out[id] = grantedActions(template, id);
  }
  return out;
}

/** Merges `run.permissions` of several runs (undefined entries are skipped). */
export function mergePermissions(...runs: ReadonlyArray<RunPermissions | undefined>): RunPermissions {
  const out: RunPermissions = {};
  const key = (d: DeniedCall) => `${d.action}\n${d.resource}\n${d.reason}`;
  const mergeDenied = (a: DeniedCall[], b: readonly DeniedCall[]) => {
    const seen = new Set(a.map(key));
    for (const d of b) if (!seen.has(key(d))) (a.push(d), seen.add(key(d)));
  };
  for (const run of runs) {
    if (!run) continue;
    for (const [id, p] of Object.entries(run)) {
      const m = (out[id] ??= { role: p.role, allowed: [], denied: [] });
      m.allowed = [...new Set([...m.allowed, ...p.allowed])].sort();
      mergeDenied(m.denied, p.denied);
      for (const [role, u] of Object.entries(p.assumed ?? {})) {
        m.assumed ??= {};
        const a = (m.assumed[role] ??= { allowed: [], denied: [] });
        a.allowed = [...new Set([...a.allowed, ...u.allowed])].sort();
        mergeDenied(a.denied, u.denied);
      }
    }
  }
  return out;
}

export interface FunctionUsage {
  /** The function's execution role (from the runs; empty when no run invoked the function). */
  role: string;
  /** The role's action strings, as written. */
  granted: string[];
  /** Actions the runs were allowed with the function's own role. */
  used: string[];
  /** Excess: granted action strings that no allowed action matched (platform actions excluded). */
  unused: string[];
  /** Granted action strings only the Lambda service uses (logs, X-Ray). */
  platform: string[];
  /** Missing: calls the runs were denied with the function's own role. */
  denied: DeniedCall[];
  /** Denials with roles the function assumed (tenant accounts), by role ARN. */
  deniedVia: Record<string, DeniedCall[]>;
}

export type UsageReport = Record<string, FunctionUsage>;

/**
 * Per function of `granted`: what was used, what is excess (granted, never used), and what was denied. Functions no
 * run invoked have every non-platform grant unused.
 */
export function compareUsage(granted: Readonly<Record<string, readonly string[]>>, used: RunPermissions | ReadonlyArray<RunPermissions | undefined>): UsageReport {
  const merged = Array.isArray(used) ? mergePermissions(...(used as ReadonlyArray<RunPermissions | undefined>)) : (used as RunPermissions);
  const out: UsageReport = {};
  for (const [id, actions] of Object.entries(granted)) {
    const p = merged[id];
    const allowed = p?.allowed ?? [];
    const usedByHandlers = (a: string) => allowed.some((u) => actionMatches(a, u));
    const platform = actions.filter((a) => !usedByHandlers(a) && isPlatformPattern(a));
    const unused = actions.filter((a) => !usedByHandlers(a) && !isPlatformPattern(a));
    const deniedVia: Record<string, DeniedCall[]> = {};
    for (const [role, u] of Object.entries(p?.assumed ?? {})) if (u.denied.length > 0) deniedVia[role] = [...u.denied];
    out[id] = {
      role: p?.role ?? '',
      granted: [...actions],
      used: [...allowed],
      unused,
      platform,
      denied: [...(p?.denied ?? [])],
      deniedVia,
    };
  }
  return out;
}

/** A pattern that only ever matches platform actions (so it is not excess even though no handler uses it). */
function isPlatformPattern(pattern: string): boolean {
  const [service] = pattern.split(':');
  return (service === 'logs' || service === 'xray') && LAMBDA_PLATFORM_ACTIONS.some((pa) => actionMatches(pattern, pa));
}
