/**
 * `$$.State` in a Task's Parameters, which aws-local-stepfunctions does not provide (its context object has Execution,
 * StateMachine and Map only): `$$.State.Name`, `$$.State.EnteredTime` and `$$.State.RetryCount`, as Step Functions
 * gives them to a state's attempt.
 *
 * The definition is rewritten before the library sees it: a Parameters entry `"<key>.$": "$$.State.<Field>"` becomes
 * `"<key>": "<marker>"`, and the task handler wrapper (`StateContextTracker.fill`) replaces the markers in the
 * effective input with the attempt's values. The tracker tells a retry from a new entry the way only a retry can look:
 * the same state called again with the same effective input right after its previous attempt failed. So RetryCount
 * counts the consecutive failed attempts before this one, and EnteredTime is when the first of them started (the
 * state's entry, up to the few milliseconds between entering a state and calling its task). A state entered again
 * (a loop) with exactly the same input right after a failure that was caught would count as a retry: no workflow here
 * does that.
 */

const FIELDS = ['Name', 'EnteredTime', 'RetryCount'] as const;
type Field = (typeof FIELDS)[number];
const MARKER_PREFIX = '\u0000$$.State.';
const marker = (field: Field): string => `${MARKER_PREFIX}${field}`;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

interface StateLike {
  Type?: string;
  Parameters?: unknown;
  Branches?: DefinitionLike[];
  Iterator?: DefinitionLike;
  ItemProcessor?: DefinitionLike;
}
interface DefinitionLike {
  States: Record<string, StateLike>;
}

/** Parameters with their `$$.State.<Field>` paths turned into markers; `used` tells whether there were any. */
function rewriteParameters(value: unknown, used: { found: boolean }): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteParameters(v, used));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const field = typeof v === 'string' && key.endsWith('.$') ? FIELDS.find((f) => v === `$$.State.${f}`) : undefined;
    if (field) {
      out[key.slice(0, -2)] = marker(field);
      used.found = true;
    } else out[key] = rewriteParameters(v, used);
  }
  return out;
}

/**
 * A copy of `definition` whose Task states' `$$.State` paths are markers, and the names of those states (nested ones
 * included). The definition is not changed when no state uses them.
 */
export function rewriteStateContext<D extends DefinitionLike>(definition: D): { definition: D; states: Set<string> } {
  const states = new Set<string>();
  const walk = (d: DefinitionLike): DefinitionLike => {
    const out: Record<string, StateLike> = {};
    for (const [name, st] of Object.entries(d.States)) {
      let next: StateLike = st;
      if (st.Type === 'Task' && st.Parameters !== undefined) {
        const used = { found: false };
        const parameters = rewriteParameters(st.Parameters, used);
        if (used.found) {
          states.add(name);
          next = { ...st, Parameters: parameters };
        }
      }
      if (st.Branches) next = { ...next, Branches: st.Branches.map(walk) };
      if (st.Iterator) next = { ...next, Iterator: walk(st.Iterator) };
      if (st.ItemProcessor) next = { ...next, ItemProcessor: walk(st.ItemProcessor) };
      out[name] = next;
    }
    return { ...d, States: out };
  };
  const rewritten = walk(definition) as D;
  return { definition: states.size > 0 ? rewritten : definition, states };
}

function replaceMarkers(value: unknown, values: Record<Field, unknown>): unknown {
  if (typeof value === 'string' && value.startsWith(MARKER_PREFIX)) {
    const field = value.slice(MARKER_PREFIX.length) as Field;
    return field in values ? values[field] : value;
  }
  if (Array.isArray(value)) return value.map((v) => replaceMarkers(v, values));
  if (!isRecord(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceMarkers(v, values)]));
}

/** Per execution: the attempts of the states whose Parameters use `$$.State`. */
export class StateContextTracker {
  private readonly last = new Map<string, { failed: boolean; retryCount: number; enteredTime: string }>();

  constructor(private readonly states: ReadonlySet<string>, private readonly now: () => Date = () => new Date()) {}

  /**
   * Runs one attempt of `state` with the markers of `input` filled in; remembers whether it failed (a retry of it comes
   * with the same input).
   */
  async attempt<T>(state: string, input: unknown, run: (input: unknown) => Promise<T>): Promise<T> {
    if (!this.states.has(state)) return run(input);
    // By state and input: concurrent iterations of a Map (different inputs) are tracked apart.
    const key = `${state}\u0000${JSON.stringify(input)}`;
    const prev = this.last.get(key);
    const retry = prev !== undefined && prev.failed;
    const entry = { failed: false, retryCount: retry ? prev.retryCount + 1 : 0, enteredTime: retry ? prev.enteredTime : this.now().toISOString() };
    this.last.set(key, entry);
    try {
      return await run(replaceMarkers(input, { Name: state, EnteredTime: entry.enteredTime, RetryCount: entry.retryCount }));
    } catch (e) {
      entry.failed = true;
      throw e;
    }
  }
}
