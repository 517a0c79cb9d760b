/**
 * IAM decisions with @cloud-copilot/iam-simulate (AGPL-3.0; local tooling only, never bundled into
 * product code), plus a fast path and a memo so the sandbox stays within its per-call budget:
 *
 * - Fast path: same-account request, no session policy, the identity policies contain an
 *   unconditional `Allow * on *` and no Deny statement anywhere (identity or resource policy), and the
 *   action is not trust-governed (sts:*) -> Allowed without simulating. This is exactly what the full
 *   evaluation would return.
 * - Memo: other decisions are cached by (principal, action, resource, policy ids+versions, resource
 *   policy text, context). Time-based context keys are dropped from the key unless some policy in
 *   play mentions them.
 */
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
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
  context: Record<string, string | string[]>;
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

export class Authorizer {
  private readonly facts = new Map<string, DocFacts>();
  private readonly memo = new Map<string, AuthzDecision>();
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
    const context = timeSensitive
      ? input.context
      : Object.fromEntries(Object.entries(input.context).filter(([k]) => !TIME_KEYS.includes(k.toLowerCase())));
    const memoKey = JSON.stringify([
      input.principal.arn,
      input.action,
      input.resource,
      input.resourceAccount,
      identity.map((p) => p.id),
      input.sessionPolicy ?? null,
      input.resourcePolicy ?? null,
      Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    ]);
    const hit = this.memo.get(memoKey);
    if (hit) return hit;

    const simulation: Simulation = {
      request: {
        principal: input.principal.arn,
        action: input.action,
        resource: { resource: input.resource, accountId: input.resourceAccount },
        contextVariables: input.context,
      },
      identityPolicies: identity.map((p) => ({ name: p.id, policy: p.facts.parsed })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourceFacts ? { resourcePolicy: resourceFacts.parsed } : {}),
      ...(sessionFacts ? { sessionPolicy: sessionFacts.parsed } : {}),
    };
    this.simulations++;
    const result = await runSimulation(simulation, {});
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
    if (this.memo.size > 20_000) this.memo.clear();
    this.memo.set(memoKey, decision);
    return decision;
  }
}
