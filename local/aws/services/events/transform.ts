/**
 * What a rule's target receives (eb-transform-target-input): the whole event, a constant `Input`, the value at an
 * `InputPath`, or an `InputTransformer`'s rendered `InputTemplate`.
 *
 * JSON paths: the subset EventBridge accepts — `$`, dot notation (`$.detail.state`, names with letters, digits, `-`,
 * `_`, `/`), bracket notation (`$['detail']`), array indices (`[0]`) and wildcards (`.*`, `[*]`, giving the list of
 * matches).
 *
 * Templates: `<name>` is replaced by the variable's value — a variable of InputPathsMap, or a predefined one:
 * `aws.events.rule-arn`, `aws.events.rule-name`, `aws.events.event.ingestion-time` (ISO 8601), `aws.events.event` (the
 * original event without `detail`) and `aws.events.event.json` (the whole original event). Inside a JSON string
 * (`"... <name> ..."`) a value goes in as text, unescaped (a string without its quotes, anything else as its JSON);
 * outside quotes in a JSON template it goes in as JSON (`"RUNNING"`, `5`, `{...}`). A variable whose path is not in
 * the event is empty inside quotes and `null` outside. A template that is plain text (not starting with `{`, `[` or
 * `"`) gets every value as text. A `<...>` that names no variable is left as it is. A template that renders to valid
 * JSON is passed minified, anything else as rendered.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

type Step = { kind: 'name'; name: string } | { kind: 'index'; index: number } | { kind: 'wildcard' };

export class JsonPathError extends Error {
  override readonly name = 'JsonPathError';
}

/** Parses one of the JSON paths EventBridge accepts; throws JsonPathError otherwise. */
export function parseJsonPath(path: string): Step[] {
  if (!path.startsWith('$')) throw new JsonPathError(`${path} is not a valid JSON path: it must start with $`);
  const steps: Step[] = [];
  let i = 1;
  while (i < path.length) {
    const c = path[i];
    if (c === '.') {
      if (path[i + 1] === '*') {
        steps.push({ kind: 'wildcard' });
        i += 2;
        continue;
      }
      const m = /^[A-Za-z0-9_\-/@:+ ]+/.exec(path.slice(i + 1));
      if (!m) throw new JsonPathError(`${path} is not a valid JSON path (at position ${i})`);
      steps.push({ kind: 'name', name: m[0] });
      i += 1 + m[0].length;
    } else if (c === '[') {
      const rest = path.slice(i);
      const idx = /^\[(\d+)\]/.exec(rest);
      const star = /^\[\*\]/.exec(rest);
      const quoted = /^\[(?:'([^']*)'|"([^"]*)")\]/.exec(rest);
      if (idx) {
        steps.push({ kind: 'index', index: Number(idx[1]) });
        i += idx[0].length;
      } else if (star) {
        steps.push({ kind: 'wildcard' });
        i += star[0].length;
      } else if (quoted) {
        steps.push({ kind: 'name', name: quoted[1] ?? quoted[2] ?? '' });
        i += quoted[0].length;
      } else {
        throw new JsonPathError(`${path} is not a valid JSON path (at position ${i})`);
      }
    } else {
      throw new JsonPathError(`${path} is not a valid JSON path (at position ${i})`);
    }
  }
  return steps;
}

const isObject = (v: unknown): v is { [key: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The value at `path` in `doc`: undefined when absent; a list of matches when the path has a wildcard. */
export function evaluateJsonPath(doc: Json, path: string): Json | undefined {
  const steps = parseJsonPath(path);
  const wildcard = steps.some((s) => s.kind === 'wildcard');
  let current: Json[] = [doc];
  for (const step of steps) {
    const next: Json[] = [];
    for (const v of current) {
      if (step.kind === 'name') {
        if (isObject(v) && Object.hasOwn(v, step.name)) next.push(v[step.name] as Json);
      } else if (step.kind === 'index') {
        if (Array.isArray(v) && step.index < v.length) next.push(v[step.index] as Json);
      } else if (Array.isArray(v)) {
        next.push(...v);
      } else if (isObject(v)) {
        next.push(...Object.values(v));
      }
    }
    current = next;
  }
  if (wildcard) return current;
  return current.length === 0 ? undefined : current[0];
}

export interface TransformContext {
  event: Json;
  ruleArn: string;
  ruleName: string;
  /** Epoch ms EventBridge received the event. */
  ingestionTime: number;
}

const PREDEFINED = ['aws.events.rule-arn', 'aws.events.rule-name', 'aws.events.event.ingestion-time', 'aws.events.event', 'aws.events.event.json'];

export const isPredefinedVariable = (name: string): boolean => PREDEFINED.includes(name);

function predefined(name: string, ctx: TransformContext): Json | undefined {
  switch (name) {
    case 'aws.events.rule-arn':
      return ctx.ruleArn;
    case 'aws.events.rule-name':
      return ctx.ruleName;
    case 'aws.events.event.ingestion-time':
      return new Date(ctx.ingestionTime).toISOString().replace(/\.\d{3}Z$/, 'Z');
    case 'aws.events.event': {
      if (!isObject(ctx.event)) return ctx.event;
      const { detail: _detail, ...rest } = ctx.event;
      return rest;
    }
    case 'aws.events.event.json':
      return ctx.event;
    default:
      return undefined;
  }
}

/** Renders an InputTransformer for one event. */
export function renderTemplate(template: string, pathsMap: Record<string, string>, ctx: TransformContext): string {
  const values = new Map<string, Json | undefined>();
  for (const [name, path] of Object.entries(pathsMap)) values.set(name, evaluateJsonPath(ctx.event, path));
  const lookup = (name: string): { known: boolean; value: Json | undefined } => {
    if (values.has(name)) return { known: true, value: values.get(name) };
    if (isPredefinedVariable(name)) return { known: true, value: predefined(name, ctx) };
    return { known: false, value: undefined };
  };
  const trimmed = template.trimStart();
  const structured = trimmed.startsWith('{') || trimmed.startsWith('[') || trimmed.startsWith('"');
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i] as string;
    if (c === '<') {
      const close = template.indexOf('>', i + 1);
      const name = close < 0 ? '' : template.slice(i + 1, close);
      const found = /^[A-Za-z0-9_.\-]+$/.test(name) ? lookup(name) : { known: false, value: undefined };
      if (found.known) {
        const asText = inString || !structured;
        const v = found.value;
        out += asText ? (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v)) : v === undefined ? 'null' : JSON.stringify(v);
        i = close;
        continue;
      }
    }
    if (structured) {
      if (c === '\\' && inString) {
        out += c + (template[i + 1] ?? '');
        i++;
        continue;
      }
      if (c === '"') inString = !inString;
    }
    out += c;
  }
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.stringify(JSON.parse(out));
    } catch {
      return out;
    }
  }
  return out;
}

/** Whether a JSON template is valid JSON once its placeholders are filled (PutTargets validates it). */
export function templateIsValidJson(template: string, names: readonly string[]): boolean {
  const trimmed = template.trimStart();
  if (!(trimmed.startsWith('{') || trimmed.startsWith('['))) return true;
  const known = new Set([...names, ...PREDEFINED]);
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i] as string;
    if (c === '<') {
      const close = template.indexOf('>', i + 1);
      const name = close < 0 ? '' : template.slice(i + 1, close);
      if (known.has(name)) {
        out += inString ? 'x' : 'null';
        i = close;
        continue;
      }
    }
    if (c === '\\' && inString) {
      out += c + (template[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') inString = !inString;
    out += c;
  }
  try {
    JSON.parse(out);
    return true;
  } catch {
    return false;
  }
}
