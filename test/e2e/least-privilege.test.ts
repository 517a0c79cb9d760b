/**
 * Least privilege, proven (issue 10): the permission corpus (fixtures/permission-corpus.ts) runs every code path of the
 * onboarding workflow that calls AWS on the sandbox, each handler under its synthesized role, and then, per function:
 *
 * - nothing was denied: with its own role, in the tenant account (the execution role narrowed by its session policy),
 *   or with the TenantSecretsAccess role (its secret job) — an AccessDenied in an e2e run is a product bug;
 * - its own role grants exactly what the runs used (CloudWatch Logs / X-Ray aside: the Lambda service uses those);
 * - per tenant-account session scope, TENANT_JOB_ACTIONS (through the session policies) == what that scope's
 *   sessions used, and per secret job, SECRET_JOBS[job].actions == what that job's sessions used;
 *
 * except the entries of NOT_EXERCISED (defined next to the corpus, which the report shares), each a (function, action)
 * with the reason no local run can use it. An entry whose action a run did use, or that names no grant, fails the
 * test, so the list cannot rot.
 * `npm run permissions-report` runs the same corpus and writes docs/permissions-report.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../cdk/lib/constructs/onboarding-functions';
import { SECRET_JOB_NAMES } from '../../lambdas/domain/secret-access';
import { SESSION_SCOPES, TENANT_JOB_ACTIONS } from '../../lambdas/domain/session-policies';
import type { RunPermissions } from '../../local/runner';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import {
  functionNames,
  leastPrivilegeLedger,
  NOT_EXERCISED,
  providerFrameworkFunction,
  runPermissionCorpus,
  SCOPE_FUNCTIONS,
  scopeActions,
  type GrantComparison,
  type LeastPrivilegeLedger,
  type PermissionCorpusResult,
} from './fixtures/permission-corpus';

let sb: RunningLocalSandbox;
let corpus: PermissionCorpusResult;
let ledger: LeastPrivilegeLedger;

beforeAll(async () => {
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 100 } }, palette: { port: 0 }, env: {} });
  corpus = await runPermissionCorpus(sb);
  ledger = leastPrivilegeLedger(corpus.template, corpus.permissions);
}, 300_000);
afterAll(async () => {
  await sb?.stop();
});

/** `{ id: values }` of the rows whose `pick` is not empty (readable diffs). */
const nonEmpty = <T>(rows: readonly GrantComparison[], pick: (r: GrantComparison) => readonly T[]): Record<string, readonly T[]> =>
  Object.fromEntries(rows.filter((r) => pick(r).length > 0).map((r) => [r.id, pick(r)]));

describe('the permission corpus', () => {
  it('runs every scenario as it expects (successes, compensations that delete, the claim race)', () => {
    // Assess
    expect(corpus.runs.map((r) => [r.scenario, r.problems])).toEqual(corpus.runs.map((r) => [r.scenario, []]));
    expect(corpus.runs.length).toBeGreaterThanOrEqual(14);
  });

  it('runs every function of the onboarding workflow', () => {
    // Assess
    const ran = Object.keys(corpus.permissions).map((id) => functionNames(corpus.template)[id]);
    expect([...ran].sort()).toEqual([...FUNCTION_NAMES].sort());
  });
});

describe('least privilege, per function', () => {
  const rows = () => [...ledger.roles, ...ledger.tenantScopes, ...ledger.secretJobs];

  it('no call of any run was denied: own roles, tenant-account sessions, tenant-secrets sessions', () => {
    // Assess
    const denied: Record<string, unknown[]> = {};
    for (const [id, p] of Object.entries(corpus.permissions)) {
      const all = [...p.denied, ...Object.values(p.assumed ?? {}).flatMap((a) => a.denied)];
      if (all.length > 0) denied[id] = all;
    }
    expect(denied).toEqual({});
    expect(nonEmpty(rows(), (r) => r.denied)).toEqual({});
    expect(ledger.unattributed).toEqual([]);
  });

  it("each function's own role grants exactly what the runs used (NOT_EXERCISED aside)", () => {
    // Assess
    expect(nonEmpty(ledger.roles, (r) => r.excess)).toEqual({});
    expect(nonEmpty(ledger.roles, (r) => r.ungranted)).toEqual({});
    // Only the event starter and the declared tenants' custom resource (its handlers, CDK's Provider framework) never
    // ran (they are no states of a workflow: NOT_EXERCISED).
    expect(ledger.roles.filter((r) => r.role === '').map((r) => r.id)).toEqual([
      'declared-tenants-start',
      'declared-tenants-status',
      ...(['isComplete', 'onEvent', 'onTimeout'] as const).map((kind) => providerFrameworkFunction('DeclaredTenants/DeployProvider', kind)),
      'start-onboarding',
    ]);
  });

  it('each tenant-account session scope: TENANT_JOB_ACTIONS (its session policy) == what its sessions used', () => {
    // Assess
    expect(ledger.tenantScopes.map((r) => r.id)).toEqual(SESSION_SCOPES.map((s) => `tenant:${s}`));
    expect(nonEmpty(ledger.tenantScopes, (r) => r.excess)).toEqual({});
    expect(nonEmpty(ledger.tenantScopes, (r) => r.ungranted)).toEqual({});
    // Every session policy action is one of TENANT_JOB_ACTIONS (the lists the home-account grants share).
    const listed = new Set<string>(Object.values(TENANT_JOB_ACTIONS).flat());
    for (const scope of SESSION_SCOPES) expect(scopeActions(scope).filter((a) => !listed.has(a)), scope).toEqual([]);
    expect(Object.keys(SCOPE_FUNCTIONS).sort()).toEqual([...SESSION_SCOPES].sort());
  });

  it('each secret job: SECRET_JOBS[job].actions == what the TenantSecretsAccess sessions of that job used', () => {
    // Assess
    expect(ledger.secretJobs.map((r) => r.id)).toEqual(SECRET_JOB_NAMES.map((j) => `secrets:${j}`));
    for (const r of ledger.secretJobs) expect(r.functions.length, `${r.id} has no function`).toBeGreaterThan(0);
    expect(nonEmpty(ledger.secretJobs, (r) => r.excess)).toEqual({});
    expect(nonEmpty(ledger.secretJobs, (r) => r.ungranted)).toEqual({});
  });

  it('NOT_EXERCISED: every entry is granted, unused by every run, and has a reason', () => {
    // Assess
    expect(ledger.staleAllowList).toEqual([]);
    for (const e of NOT_EXERCISED) expect(e.reason.length, `${e.function} ${e.action}`).toBeGreaterThan(20);
    const listed = rows().flatMap((r) => r.notExercised.map((n) => `${r.id} ${n.action}`));
    expect(listed).toHaveLength(NOT_EXERCISED.length);
    expect(ledger.ok).toBe(true);
  });
});

describe('the ledger itself', () => {
  /** The corpus's permissions with `action` added to what `fn` used (own role, or its sessions of `roleName`). */
  const withUse = (fn: string, action: string, roleName?: string): RunPermissions => {
    const copy = structuredClone(corpus.permissions);
    const id = Object.entries(functionNames(corpus.template)).find(([, n]) => n === fn)?.[0] ?? '';
    const p = copy[id];
    if (!p) throw new Error(`${fn} did not run`);
    if (!roleName) p.allowed = [...p.allowed, action];
    else {
      const arn = Object.keys(p.assumed ?? {}).find((a) => a.includes(roleName)) ?? '';
      const u = p.assumed?.[arn];
      if (!u) throw new Error(`${fn} has no session of ${roleName}`);
      u.allowed = [...u.allowed, action];
    }
    return copy;
  };
  const withoutUse = (fn: string, action: string): RunPermissions => {
    const copy = structuredClone(corpus.permissions);
    for (const [id, p] of Object.entries(copy)) {
      if (functionNames(corpus.template)[id] === fn) p.allowed = p.allowed.filter((a) => a !== action);
    }
    return copy;
  };

  it('fails an allow-listed action that a run used (the list cannot rot)', () => {
    // Act
    const own = leastPrivilegeLedger(corpus.template, withUse('undo-bucket', 's3:DeleteObject'));
    const session = leastPrivilegeLedger(corpus.template, withUse('undo-bucket', 's3:DeleteObject', 'OrganizationAccountAccessRole'));

    // Assess
    expect(own.ok).toBe(false);
    expect(own.staleAllowList).toEqual([expect.objectContaining({ function: 'undo-bucket', action: 's3:DeleteObject', why: expect.stringMatching(/WAS used/) })]);
    expect(session.staleAllowList).toEqual([expect.objectContaining({ function: 'undo-bucket', via: 'tenant-session', action: 's3:DeleteObject' })]);
  });

  it('reports a granted action no run used as excess, and a denial as missing', () => {
    // Prepare
    const denied = structuredClone(corpus.permissions);
    const id = Object.entries(functionNames(corpus.template)).find(([, n]) => n === 'ensure-bucket')?.[0] ?? '';
    denied[id]?.denied.push({ action: 's3:PutBucketAcl', resource: 'arn:aws:s3:::b', reason: 'ImplicitDeny' });

    // Act
    const excess = leastPrivilegeLedger(corpus.template, withoutUse('acquire-tenant', 'dynamodb:PutItem'));
    const missing = leastPrivilegeLedger(corpus.template, denied);

    // Assess
    expect(excess.ok).toBe(false);
    expect(excess.roles.find((r) => r.id === 'acquire-tenant')?.excess).toEqual(['dynamodb:PutItem']);
    expect(missing.ok).toBe(false);
    expect(missing.roles.find((r) => r.id === 'ensure-bucket')?.denied).toEqual([expect.objectContaining({ action: 's3:PutBucketAcl' })]);
  });
});
