/** `$$.State` in a Task's Parameters on the local runner (local/runner/state-context.ts), through executeDefinition. */
import { describe, expect, it } from 'vitest';
import { executeDefinition, HistoryRecorder, type AslDefinitionLike } from '../../local/runner/execute';
import { rewriteStateContext } from '../../local/runner/state-context';

const notYet = () => Object.assign(new Error('not yet'), { name: 'NotYet' });

const definition = {
  StartAt: 'Probe',
  States: {
    Probe: {
      Type: 'Task',
      Resource: 'arn:aws:lambda:us-east-1:000000000000:function:probe',
      Parameters: { 'x.$': '$.x', 'attempt.$': '$$.State.RetryCount', 'entered.$': '$$.State.EnteredTime', 'name.$': '$$.State.Name' },
      Retry: [{ ErrorEquals: ['NotYet'], IntervalSeconds: 1, BackoffRate: 1, MaxAttempts: 5 }],
      ResultPath: '$.probe',
      Next: 'Again',
    },
    // Entered again after a success: a new entry, RetryCount 0.
    Again: { Type: 'Choice', Choices: [{ Variable: '$.probe.attempt', NumericGreaterThan: 0, Next: 'Reset' }], Default: 'Done' },
    Reset: { Type: 'Pass', Parameters: { 'x.$': '$.x', 'first.$': '$.probe' }, Next: 'Probe' },
    Done: { Type: 'Succeed' },
  },
} as unknown as AslDefinitionLike;

describe('$$.State in Task Parameters', () => {
  it('gives each attempt its RetryCount, the entry time of the first attempt and the state name; a new entry starts again at 0', async () => {
    // Prepare: the first entry fails twice before it succeeds.
    const inputs: Record<string, unknown>[] = [];
    let failures = 2;

    // Act
    const outcome = await executeDefinition({
      definition,
      input: { x: 7 },
      executionName: 'x',
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:m:x',
      stateMachine: { arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:m', name: 'm' },
      tasks: {
        Probe: async (i) => {
          inputs.push(i as Record<string, unknown>);
          if (failures-- > 0) throw notYet();
          return i;
        },
      },
      history: new HistoryRecorder(),
      retryIntervalOverridesMs: { Probe: 0 },
    });

    // Assess
    expect(outcome.status, outcome.cause).toBe('SUCCEEDED');
    expect(inputs.map((i) => i.attempt)).toEqual([0, 1, 2, 0]);
    expect(inputs.every((i) => i.name === 'Probe' && i.x === 7)).toBe(true);
    // The retries keep the first attempt's entry time; the second entry has its own.
    expect(new Set(inputs.slice(0, 3).map((i) => i.entered)).size).toBe(1);
    expect(Date.parse(String(inputs[0]?.entered))).toBeGreaterThan(Date.now() - 60_000);
    expect(Date.parse(String(inputs[3]?.entered))).toBeGreaterThanOrEqual(Date.parse(String(inputs[0]?.entered)));
    expect(outcome.output).toMatchObject({ probe: { attempt: 0 } });
  });

  it('leaves a definition without $$.State as it is', () => {
    const plain = { StartAt: 'A', States: { A: { Type: 'Task', Parameters: { 'x.$': '$.x', 'y.$': '$$.Execution.Name' }, End: true } } };
    const { definition: out, states } = rewriteStateContext(plain);
    expect(out).toBe(plain);
    expect(states.size).toBe(0);
  });
});
