/**
 * Runs a synthesized definition in-process with aws-local-stepfunctions, every Task state served by a stub
 * (by state name). Records each task call's effective input (after Parameters) and the states entered.
 *
 * The Registrations Map's task (a lambda:invoke whose function is chosen at run time) is served by the stub named
 * after the kind's ensure state (REGISTRATIONS[kind].state, e.g. EnsureCloudAccount), with the Payload as its input and
 * its return value wrapped as lambda:invoke's result ({Payload}); it is recorded under that name.
 */
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import '../../local/runner/polyfill';
import type { AslDefinition } from './helpers';
import { REGISTRATIONS, type RegistrationKey } from '../../lambdas/domain/registrations';
import { rewriteStateContext, StateContextTracker } from '../../local/runner/state-context';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type StubHandlers = Record<string, (input: unknown) => unknown>;

export interface WorkflowRun {
  calls: { state: string; input: unknown }[];
  entered: string[];
  output?: unknown;
  error?: Error;
  /** Error / Cause of the ExecutionFailed event (what the Fail state reported). */
  failure?: { Error: string; Cause: unknown };
  inputOf(state: string): unknown;
}

const toJson = (v: unknown): Json => JSON.parse(JSON.stringify(v ?? null));

export async function runWorkflow(
  definition: AslDefinition,
  input: unknown,
  handlers: StubHandlers,
  opts: { executionName: string },
): Promise<WorkflowRun> {
  const calls: WorkflowRun['calls'] = [];
  const entered: string[] = [];
  const local: Record<string, (i: Json) => Promise<Json>> = {};
  const waits: Record<string, number> = {};
  const retries: Record<string, number> = {};
  const visit = (d: AslDefinition) => {
    for (const [name, st] of Object.entries(d.States)) {
      if (st.Type === 'Wait') waits[name] = 0;
      if (st.Retry) retries[name] = 0;
      const dynamic = st.Type === 'Task' && typeof (st.Parameters as Record<string, unknown> | undefined)?.['FunctionName.$'] === 'string';
      if (dynamic) {
        local[name] = async (i: Json) => {
          const payload = (i as { Payload?: { registration?: RegistrationKey } }).Payload;
          const kind = payload?.registration;
          const stub = kind ? REGISTRATIONS[kind]?.state : undefined;
          if (!stub) throw new Error(`task ${name}: no registration kind in ${JSON.stringify(i)}`);
          calls.push({ state: stub, input: structuredClone(payload) as Json });
          const h = handlers[stub];
          if (!h) throw new Error(`no stub for task ${stub} (${name})`);
          return { Payload: toJson(await h(payload)), StatusCode: 200 };
        };
      } else if (st.Type === 'Task') {
        local[name] = async (i: Json) => {
          calls.push({ state: name, input: structuredClone(i) });
          const h = handlers[name];
          if (!h) throw new Error(`no stub for task ${name}`);
          return toJson(await h(i));
        };
      }
      for (const b of st.Branches ?? []) visit(b);
      if (st.ItemProcessor) visit(st.ItemProcessor);
    }
  };
  visit(definition);
  // `$$.State` in Parameters (CheckReadiness's probe number), as the local runner provides it.
  const stateContext = rewriteStateContext(definition);
  const contexts = new StateContextTracker(stateContext.states);
  for (const [name, run] of Object.entries(local)) local[name] = (i: Json) => contexts.attempt(name, i, (input) => run(input as Json));

  const machine = new StateMachine(JSON.parse(JSON.stringify(stateContext.definition)) as StateMachineDefinition, {
    validationOptions: { checkArn: false },
  });
  const execution = machine.run(toJson(input), {
    overrides: { taskResourceLocalHandlers: local, waitTimeOverrides: waits, retryIntervalOverrides: retries },
    context: { Execution: { Name: opts.executionName, StartTime: '2024-01-01T00:00:00.000Z' } },
  });
  const run: WorkflowRun = {
    calls,
    entered,
    inputOf(state: string) {
      return calls.find((c) => c.state === state)?.input;
    },
  };
  const collect = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') entered.push(event.state.name);
      if (event.type === 'ExecutionFailed') run.failure = { Error: event.Error, Cause: event.Cause };
    }
  })();
  try {
    run.output = await execution.result;
  } catch (err) {
    run.error = err instanceof Error ? err : new Error(String(err));
  }
  await collect.catch(() => undefined);
  return run;
}
