/**
 * A small EventBridge event pattern matcher for the local runner and tests: does a synthesized rule's pattern match
 * an event? Covers what this project's rules use, as EventBridge defines it
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html):
 *
 * - a pattern is an object; each key must be in the event (a missing field never matches);
 * - an object value matches a nested object field, key by key;
 * - an array value lists exact values (strings, numbers, booleans, null): the field matches when it equals one of
 *   them; a field that is itself an array matches when any of its elements does.
 *
 * Content filters (`prefix`, `anything-but`, `numeric`, `exists`, `$or`, ...) are NOT implemented: a pattern that uses
 * one throws, so a test never passes by not understanding the pattern.
 */

export type EventPattern = { [key: string]: EventPattern | readonly (string | number | boolean | null)[] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether `event` matches `pattern` (an EventBridge pattern: the rule's `EventPattern`, JSON as CloudFormation holds it). */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) throw new Error('an event pattern must be an object');
  if (!isObject(event)) return false;
  for (const [key, expected] of Object.entries(pattern)) {
    if (key.startsWith('$')) throw new Error(`event pattern operator '${key}' is not supported by the local matcher`);
    if (!Object.hasOwn(event, key)) return false;
    const actual = event[key];
    if (Array.isArray(expected)) {
      for (const v of expected) {
        if (isObject(v) || Array.isArray(v)) throw new Error(`event pattern content filter at '${key}' (${JSON.stringify(v)}) is not supported by the local matcher`);
      }
      const values = Array.isArray(actual) ? actual : [actual];
      if (!values.some((a) => expected.some((e) => e === a))) return false;
    } else if (isObject(expected)) {
      if (!matchesEventPattern(expected, actual)) return false;
    } else {
      throw new Error(`event pattern value at '${key}' must be an array or an object, not ${JSON.stringify(expected)}`);
    }
  }
  return true;
}
