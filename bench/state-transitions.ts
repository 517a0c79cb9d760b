/**
 * P4, cost: the state transitions of one happy-path onboarding, counted from the runner's execution history of the
 * state machine synthesized now (bench/execution-analysis.ts: states entered, Parallel branches included, plus
 * retries), for an STS tenant, a static tenant and the full tenant (examples/*.json), and what they cost at Step
 * Functions' list price for Standard workflows ($0.025 per 1,000 state transitions, free tier ignored).
 * Target: ≤ 25 transitions for the STS tenant (ratio = its transitions / 25).
 *
 * The readiness gate (CheckReadiness, retried while Palette says "not yet") is part of the happy path: with the
 * sandbox's IAM propagation (3 s by default) and real retry intervals, each probe that finds Palette "not yet" adds a
 * retry (one transition); the table shows them, and the count an onboarding would have with IAM already propagated.
 */
import { loadWorkflow } from '../local/runner/runner';
import { countTransitions } from './execution-analysis';
import { example, onboard, startBenchSandbox, withRealWaits } from './onboarding-latency';
import { fixed, GOALS, type BenchOptions, type Row, type TargetOutcome } from './target';

const P4_TARGET_TRANSITIONS = GOALS.P4_STS_TRANSITIONS;
/** Step Functions Standard list price, USD per state transition ($0.025 per 1,000). */
export const USD_PER_TRANSITION = 0.025 / 1000;
/** The readiness gate's state: a failed probe is one retry of it. */
const READINESS_STATE = 'CheckReadiness';

const TENANTS = [
  { kind: 'sts', file: 'sts-tenant.json' },
  { kind: 'static', file: 'static-tenant.json' },
  { kind: 'full', file: 'full-tenant.json' },
] as const;

export async function stateTransitions(opts: BenchOptions): Promise<TargetOutcome> {
  return withRealWaits(async () => {
    const workflow = await loadWorkflow({ onProgress: (e) => (e.kind === 'synth' ? opts.log(`P4: ${e.message}`) : undefined) });
    const sb = await startBenchSandbox();
    try {
      const rows: Row[] = [];
      const counts: Record<string, unknown> = {};
      let sts = Number.NaN;
      for (const t of TENANTS) {
        opts.log(`P4: onboarding the ${t.kind} tenant (${t.file})`);
        const run = await onboard(example(t.file), sb, workflow, t.kind);
        const c = countTransitions(run.history);
        const probes = (c.byState[READINESS_STATE] ?? 0) + (c.retriesByState[READINESS_STATE] ?? 0);
        const loopExtra = Math.max(0, probes - 1);
        const loopStates = probes;
        if (t.kind === 'sts') sts = c.total;
        counts[t.kind] = c;
        rows.push({
          tenant: `${t.kind} (examples/${t.file})`,
          transitions: c.total,
          Task: c.byType.Task ?? 0,
          'Choice + Pass': (c.byType.Choice ?? 0) + (c.byType.Pass ?? 0),
          'Wait + Parallel + Succeed': (c.byType.Wait ?? 0) + (c.byType.Parallel ?? 0) + (c.byType.Succeed ?? 0),
          retries: c.retries,
          'readiness probes': probes,
          'readiness gate': loopStates,
          'if already propagated': c.total - loopExtra,
          'USD per onboarding': `$${fixed(c.total * USD_PER_TRANSITION, 6)}`,
          'USD per 1,000 tenants': `$${fixed(c.total * USD_PER_TRANSITION * 1000, 3)}`,
        });
      }
      const ratio = sts / P4_TARGET_TRANSITIONS;
      return {
        rows,
        ratio,
        target: 1,
        met: ratio <= 1,
        summary:
          `ratio = STS tenant's transitions / ${P4_TARGET_TRANSITIONS} (${sts} transitions). Transitions = states entered ` +
          `(Parallel branches included) + retries, from the execution history; $0.025 per 1,000 (Standard list price, ` +
          `no free tier). "if already propagated" = without the readiness probes that found Palette "not yet" ` +
          `(a retry, one transition each) at the sandbox's IAM propagation of ${fixed(sb.aws.kernel.config.iamPropagationMs / 1000, 1)} s.`,
        details: { targetTransitions: P4_TARGET_TRANSITIONS, stsTransitions: sts, usdPerTransition: USD_PER_TRANSITION, counts },
      };
    } finally {
      await sb.stop();
    }
  });
}

