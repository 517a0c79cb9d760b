/**
 * IAM decisions with @cloud-copilot/iam-simulate (AGPL-3.0; local tooling only, never bundled into
 * product code), plus a fast path and a memo so the sandbox stays within its per-call budget:
 *
 * - Fast path: same-account request, no session policy, the identity policies contain an
 *   unconditional `Allow * on *` and no Deny statement anywhere (identity or resource policy), and the
 *   action is not trust-governed (sts:*) -> Allowed without simulating. This is exactly what the full
 *   evaluation would return.
 * - Memo: other decisions are cached by (principal, action, resource, policy ids+versions, resource
 *   policy text, context). The context holds every key the kernel sets, the organization ones included
 *   (aws:PrincipalOrgID/Paths, aws:ResourceAccount, aws:ResourceOrgID/Paths), so moving an account to
 *   another OU changes the key. Time-based context keys are dropped from the key unless some policy in
 *   play mentions them.
 * - Service principals (a role's trust evaluated for lambda.amazonaws.com): `evaluateService`, memoized the
 *   same way.
 */
import { runSimulation, typeForContextKey, type Simulation } from '@cloud-copilot/iam-simulate';
import { statementsOf } from './policy';
import type { AuthzDecision, Principal } from './types';

export interface IdentityPolicy {
  /** Stable identifier of this exact document (policy id + version, or inline name + time). */
  id: string;
  document: string;
}

export interface EvaluationInput {
  principal: Principal;
  action: string;
  resource: string;
  resourceAccount: string;
  identityPolicies: IdentityPolicy[];
  sessionPolicy?: string;
  resourcePolicy?: string;
  /** The request context, or a function building it (called only past the fast path). */
  context: Record<string, string | string[]> | (() => Record<string, string | string[]>);
}

interface DocFacts {
  parsed: unknown;
  allowAll: boolean;
  hasDeny: boolean;
  timeSensitive: boolean;
}

const TIME_KEYS = ['aws:currenttime', 'aws:epochtime', 'aws:tokenissuetime'];
const ALLOWED: AuthzDecision = { allowed: true, reason: 'Allowed' };

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v === undefined ? [] : [v];
}

function analyse(text: string): DocFacts {
  const statements = statementsOf(text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = {};
  }
  const lower = text.toLowerCase();
  return {
    parsed,
    allowAll: statements.some(
      (s) =>
        s.Effect === 'Allow' &&
        s.Condition === undefined &&
        s.NotAction === undefined &&
        s.NotResource === undefined &&
        s.Principal === undefined &&
        s.NotPrincipal === undefined &&
        asList(s.Action).includes('*') &&
        asList(s.Resource).includes('*'),
    ),
    hasDeny: statements.some((s) => s.Effect === 'Deny'),
    timeSensitive: TIME_KEYS.some((k) => lower.includes(k)),
  };
}

/** A service principal (e.g. lambda.amazonaws.com) asking for `action` on a resource governed by `resourcePolicy`. */
export interface ServiceEvaluationInput {
  service: string;
  action: string;
  resource: string;
  resourceAccount: string;
  resourcePolicy: string;
  context: Record<string, string | string[]>;
}

function withoutTimeKeys(context: Record<string, string | string[]>): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(context).filter(([k]) => !TIME_KEYS.includes(k.toLowerCase())));
}

const sortedEntries = (o: Record<string, unknown>) => Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

export class Authorizer {
  private readonly facts = new Map<string, DocFacts>();
  private readonly memo = new Map<string, AuthzDecision>();
  /** Context keys iam-simulate can type (lower case -> known). */
  private readonly knownKeys = new Map<string, boolean>();
  /** Simulations actually run (for tests/benchmarks). */
  simulations = 0;

  private factsOf(text: string): DocFacts {
    let f = this.facts.get(text);
    if (!f) {
      f = analyse(text);
      if (this.facts.size > 5000) this.facts.clear();
      this.facts.set(text, f);
    }
    return f;
  }

  async evaluate(input: EvaluationInput): Promise<AuthzDecision> {
    const identity = input.identityPolicies.map((p) => ({ ...p, facts: this.factsOf(p.document) }));
    const resourceFacts = input.resourcePolicy === undefined ? undefined : this.factsOf(input.resourcePolicy);
    const sessionFacts = input.sessionPolicy === undefined ? undefined : this.factsOf(input.sessionPolicy);
    const sameAccount = input.principal.accountId === input.resourceAccount;
    const trustGoverned = input.action.toLowerCase().startsWith('sts:') && input.resourcePolicy !== undefined;

    if (
      sameAccount &&
      !trustGoverned &&
      sessionFacts === undefined &&
      !(resourceFacts?.hasDeny ?? false) &&
      identity.some((p) => p.facts.allowAll) &&
      !identity.some((p) => p.facts.hasDeny)
    ) {
      return ALLOWED;
    }

    const timeSensitive =
      identity.some((p) => p.facts.timeSensitive) || (resourceFacts?.timeSensitive ?? false) || (sessionFacts?.timeSensitive ?? false);
    const fullContext = typeof input.context === 'function' ? input.context() : input.context;
    const context = timeSensitive ? fullContext : withoutTimeKeys(fullContext);
    const memoKey = JSON.stringify([
      input.principal.arn,
      input.action,
      input.resource,
      input.resourceAccount,
      identity.map((p) => p.id),
      input.sessionPolicy ?? null,
      input.resourcePolicy ?? null,
      sortedEntries(context),
    ]);
    const hit = this.memo.get(memoKey);
    if (hit) return hit;

    const simulation: Simulation = {
      request: {
        principal: input.principal.arn,
        action: input.action,
        resource: { resource: input.resource, accountId: input.resourceAccount },
        contextVariables: fullContext,
      },
      identityPolicies: identity.map((p) => ({ name: p.id, policy: p.facts.parsed })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourceFacts ? { resourcePolicy: resourceFacts.parsed } : {}),
      ...(sessionFacts ? { sessionPolicy: sessionFacts.parsed } : {}),
    };
    const decision = await this.simulate(simulation);
    if (this.memo.size > 20_000) this.memo.clear();
    this.memo.set(memoKey, decision);
    return decision;
  }

  /** A service principal's request against a resource policy (no identity policies: services have none). */
  async evaluateService(input: ServiceEvaluationInput): Promise<AuthzDecision> {
    const facts = this.factsOf(input.resourcePolicy);
    const context = facts.timeSensitive ? input.context : withoutTimeKeys(input.context);
    const memoKey = JSON.stringify(['service', input.service, input.action, input.resource, input.resourceAccount, input.resourcePolicy, sortedEntries(context)]);
    const hit = this.memo.get(memoKey);
    if (hit) return hit;
    const decision = await this.simulate({
      request: {
        principal: input.service,
        action: input.action,
        resource: { resource: input.resource, accountId: input.resourceAccount },
        contextVariables: input.context,
      },
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: facts.parsed,
    });
    if (this.memo.size > 20_000) this.memo.clear();
    this.memo.set(memoKey, decision);
    return decision;
  }

  /**
   * The context without keys iam-simulate has no type for (it throws on them instead of ignoring them), e.g. the
   * legacy `secretsmanager:ResourceTag/<key>` (its data only knows the literal `secretsmanager:ResourceTag/tag-key`;
   * `aws:ResourceTag/<key>` carries the same value). A condition on a dropped key sees it missing.
   */
  private async typableContext(context: Record<string, string | string[]>): Promise<Record<string, string | string[]>> {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(context)) {
      const lower = k.toLowerCase();
      let known = this.knownKeys.get(lower);
      if (known === undefined) {
        try {
          await typeForContextKey(lower);
          known = true;
        } catch {
          known = false;
        }
        if (this.knownKeys.size > 5000) this.knownKeys.clear();
        this.knownKeys.set(lower, known);
      }
      if (known) out[k] = v;
    }
    return out;
  }

  private async simulate(simulation: Simulation): Promise<AuthzDecision> {
    this.simulations++;
    const request = { ...simulation.request, contextVariables: await this.typableContext(simulation.request.contextVariables) };
    let result: Awaited<ReturnType<typeof runSimulation>>;
    try {
      result = await runSimulation({ ...simulation, request }, {});
    } catch (e) {
      process.stderr.write(`[sandbox] authorization simulation failed (denied): ${e instanceof Error ? e.message : String(e)}\n`);
      return { allowed: false, reason: 'ImplicitDeny' };
    }
    let decision: AuthzDecision;
    if (result.resultType === 'error') {
      if (process.env.SANDBOX_DEBUG) process.stderr.write(`[sandbox] authorization simulation error: ${result.errors.message}\n`);
      decision = { allowed: false, reason: 'ImplicitDeny' };
    } else {
      const overall = result.overallResult;
      decision =
        overall === 'Allowed'
          ? ALLOWED
          : { allowed: false, reason: overall === 'ExplicitlyDenied' ? 'ExplicitDeny' : 'ImplicitDeny' };
    }
    return decision;
  }
}
