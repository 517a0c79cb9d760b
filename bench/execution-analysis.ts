/**
 * What the bench reads from a local run's execution history (pure): the state transitions Step Functions would bill
 * (P4) and the critical-path lower bound of an onboarding's wall time (P1).
 *
 * State transitions: Step Functions (Standard) counts one each time a state of the workflow is executed, states
 * inside Parallel branches included, and retries as more (AWS pricing: "including retries"). From the runner's
 * history: every `<Type>StateEntered` event plus every `StateRetried` event.
 *
 * Critical-path lower bound of an onboarding, the shortest wall time this execution could have had with the same
 * task durations and no idle time (no Wait state overshoot, no interpreter overhead):
 *
 *   bound = Σ tasks up to the end of the principal's task (EnsureStsRole / EnsureStaticUser)
 *         + max(IAM propagation delay, Σ tasks between that and the last readiness probe)
 *         + Σ tasks from the last (successful) readiness probe to the end
 *
 * where a Parallel state counts as its longest branch (sum of that branch's tasks, recursively), a Map state as its
 * longest iteration, Choice / Pass / Wait / Succeed states count 0, a retried task counts its last attempt only, and
 * the readiness probes before the last one (Palette said "not yet": the gate's retried attempts) count 0: they are
 * what the schedule spends waiting. Palette's validation cannot
 * pass before the principal has propagated, so the successful probe cannot start before the principal's task ended
 * plus the propagation delay (the sandbox's `iamPropagationMs`, counted from the principal's creation inside that
 * task, so this is slightly generous to the bound). The wording, "the sum of the task durations on the
 * critical path plus the propagation delay", is the same bound with the tasks run during propagation (a progress
 * event, a few ms) added instead of overlapped.
 */
import type { HistoryEvent } from '../local/runner/execute';

/** The states of a definition as far as this analysis needs them. */
export interface DefinitionLike {
  StartAt: string;
  States: Record<string, { Type?: string; Branches?: DefinitionLike[]; Iterator?: DefinitionLike; ItemProcessor?: DefinitionLike }>;
}

/** The task that creates the tenant's principal (the readiness gate waits for it to propagate). */
export const PRINCIPAL_STATES = ['EnsureStsRole', 'EnsureStaticUser'] as const;
/** The readiness gate's probe. */
export const READINESS_STATE = 'CheckReadiness';

export interface TransitionCount {
  /** What Step Functions would bill: states entered + retries. */
  total: number;
  retries: number;
  /** States entered, by state type (Task, Choice, Pass, Wait, Parallel, Succeed, ...). */
  byType: Record<string, number>;
  /** How many times each state was entered. */
  byState: Record<string, number>;
  /** How many times each state was retried. */
  retriesByState: Record<string, number>;
}

export function countTransitions(history: readonly HistoryEvent[]): TransitionCount {
  const byType: Record<string, number> = {};
  const byState: Record<string, number> = {};
  const retriesByState: Record<string, number> = {};
  let entered = 0;
  let retries = 0;
  for (const e of history) {
    if (e.type === 'StateRetried') {
      retries++;
      if (e.state !== undefined) retriesByState[e.state] = (retriesByState[e.state] ?? 0) + 1;
      continue;
    }
    if (!e.type.endsWith('StateEntered') || e.state === undefined) continue;
    entered++;
    const type = e.stateType ?? e.type.slice(0, -'StateEntered'.length);
    byType[type] = (byType[type] ?? 0) + 1;
    byState[e.state] = (byState[e.state] ?? 0) + 1;
  }
  return { total: entered + retries, retries, byType, byState, retriesByState };
}

/** One execution of one state: when it was entered and left (ms), its type, the start of its last attempt. */
export interface StateOccurrence {
  state: string;
  type: string;
  enteredAt: number;
  exitedAt: number;
  /** Start of the last attempt (after the last retry). */
  lastAttemptAt: number;
  retries: number;
  /** Position in the history of the entry and exit events. */
  enterIndex: number;
  exitIndex: number;
}

/** Pairs every state entry with its exit (or failure), in history order. */
export function stateOccurrences(history: readonly HistoryEvent[]): StateOccurrence[] {
  const open = new Map<string, StateOccurrence[]>();
  const all: StateOccurrence[] = [];
  history.forEach((e, i) => {
    if (e.state === undefined) return;
    const at = Date.parse(e.timestamp);
    if (e.type.endsWith('StateEntered')) {
      const o: StateOccurrence = {
        state: e.state,
        type: e.stateType ?? e.type.slice(0, -'StateEntered'.length),
        enteredAt: at,
        exitedAt: Number.NaN,
        lastAttemptAt: at,
        retries: 0,
        enterIndex: i,
        exitIndex: -1,
      };
      all.push(o);
      open.set(e.state, [...(open.get(e.state) ?? []), o]);
    } else if (e.type === 'StateRetried') {
      // A failed attempt (StateFailed) that is retried: the occurrence goes on.
      const o = open.get(e.state)?.at(-1);
      if (o) {
        o.retries++;
        o.lastAttemptAt = at;
        o.exitedAt = Number.NaN;
        o.exitIndex = -1;
      }
    } else if (e.type === 'StateFailed') {
      // Its end unless a retry follows (an attempt of a retried state fails first).
      const o = open.get(e.state)?.at(-1);
      if (o) {
        o.exitedAt = at;
        o.exitIndex = i;
      }
    } else if (e.type.endsWith('StateExited')) {
      const o = open.get(e.state)?.pop();
      if (o) {
        o.exitedAt = at;
        o.exitIndex = i;
      }
    }
  });
  const unclosed = all.find((o) => o.exitIndex < 0);
  if (unclosed) throw new Error(`state ${unclosed.state} (entered at history event ${unclosed.enterIndex + 1}) never exited: not a finished execution`);
  return all;
}

interface Scope {
  /** Names of the states directly in this scope. */
  states: Set<string>;
  /** Parallel state name -> its branches' scopes. */
  branches: Map<string, Scope[]>;
  /** Map state name -> its iterations' scope. */
  iterations: Map<string, Scope>;
}

function scopeOf(definition: DefinitionLike): Scope {
  const scope: Scope = { states: new Set(Object.keys(definition.States)), branches: new Map(), iterations: new Map() };
  for (const [name, st] of Object.entries(definition.States)) {
    if (st.Branches) scope.branches.set(name, st.Branches.map(scopeOf));
    const inner = st.ItemProcessor ?? st.Iterator;
    if (inner) scope.iterations.set(name, scopeOf(inner));
  }
  return scope;
}

/**
 * Critical-path task time (ms) of one occurrence: a task's last attempt, a Parallel's longest branch, a Map's longest
 * iteration (its iterations run at once; an iteration counted as its costliest state, which is the iteration itself
 * for the one-task iterations of the workflows here, and less otherwise: the bound stays a lower bound), else 0.
 */
function occurrenceCost(o: StateOccurrence, scope: Scope, all: readonly StateOccurrence[]): number {
  if (o.type === 'Task') return o.exitedAt - o.lastAttemptAt;
  if (o.type === 'Parallel') {
    const branches = scope.branches.get(o.state) ?? [];
    return Math.max(0, ...branches.map((b) => scopeCost(b, all, o.enterIndex, o.exitIndex)));
  }
  if (o.type === 'Map') {
    const inner = scope.iterations.get(o.state);
    if (!inner) return 0;
    const within = all.filter((x) => x.enterIndex > o.enterIndex && x.enterIndex < o.exitIndex && inner.states.has(x.state));
    return Math.max(0, ...within.map((x) => occurrenceCost(x, inner, all)));
  }
  return 0;
}

/** Sum of the critical-path costs of the occurrences of a scope's own states between two history positions. */
function scopeCost(scope: Scope, all: readonly StateOccurrence[], from: number, to: number): number {
  let sum = 0;
  for (const o of all) {
    if (o.enterIndex > from && o.enterIndex < to && scope.states.has(o.state)) sum += occurrenceCost(o, scope, all);
  }
  return sum;
}

export interface CriticalPath {
  /** Wall time of the execution (ms): first to last history event. */
  wallMs: number;
  /** The lower bound (ms), as described above. */
  boundMs: number;
  /** Task time on the critical path (ms), every segment summed, failed readiness probes excluded. */
  taskMs: number;
  propagationMs: number;
  principalState: string;
  /** Readiness probes made (the last one passed): the gate's attempts (its state retried while IAM propagates). */
  probes: number;
  /** From the earliest moment the readiness gate could pass (principal's task end + propagation) to the last probe's start (ms). */
  readinessOvershootMs: number;
  /** Retries on the critical path's tasks (a happy path has none). */
  retries: number;
}

/** The critical-path lower bound of a successful onboarding execution (see the file's comment). */
export function criticalPath(history: readonly HistoryEvent[], definition: DefinitionLike, propagationMs: number): CriticalPath {
  const all = stateOccurrences(history);
  const top = scopeOf(definition);
  const topLevel = all.filter((o) => top.states.has(o.state));
  const principal = topLevel.find((o) => (PRINCIPAL_STATES as readonly string[]).includes(o.state));
  if (!principal) throw new Error(`no principal task (${PRINCIPAL_STATES.join(' / ')}) ran in this execution`);
  const probes = topLevel.filter((o) => o.state === READINESS_STATE && o.enterIndex > principal.exitIndex);
  const lastProbe = probes.at(-1);
  if (!lastProbe) throw new Error(`no readiness probe (${READINESS_STATE}) ran after ${principal.state}`);
  const cost = (o: StateOccurrence) => occurrenceCost(o, top, all);
  const sum = (list: StateOccurrence[]) => list.reduce((s, o) => s + cost(o), 0);
  const before = sum(topLevel.filter((o) => o.enterIndex <= principal.enterIndex));
  const between = sum(topLevel.filter((o) => o.enterIndex > principal.exitIndex && o.enterIndex < lastProbe.enterIndex && o.state !== READINESS_STATE));
  const after = sum(topLevel.filter((o) => o.enterIndex >= lastProbe.enterIndex));
  const first = Date.parse(history[0]?.timestamp ?? '');
  const last = Date.parse(history.at(-1)?.timestamp ?? '');
  return {
    wallMs: last - first,
    boundMs: before + Math.max(propagationMs, between) + after,
    taskMs: before + between + after,
    propagationMs,
    principalState: principal.state,
    probes: probes.reduce((n, o) => n + 1 + o.retries, 0),
    readinessOvershootMs: lastProbe.lastAttemptAt - (principal.exitedAt + propagationMs),
    // The readiness gate's retries are its probes, not failures.
    retries: all.reduce((s, o) => s + (o.state === READINESS_STATE ? 0 : o.retries), 0),
  };
}
