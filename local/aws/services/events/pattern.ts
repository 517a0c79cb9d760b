/**
 * EventBridge event patterns: validation (what PutRule / TestEventPattern reject with InvalidEventPatternException)
 * and matching, with the semantics of Amazon's Event Ruler (the library behind EventBridge) as the EventBridge user
 * guide documents them (eb-event-patterns*, eb-create-pattern-operators):
 *
 * - A pattern is a JSON object; nested objects follow the event's structure; every leaf is an ARRAY of matchers, the
 *   field matching when ANY of them matches (OR), all fields having to match (AND). `$or: [{...}, {...}, ...]` (two or
 *   more objects) at any level ORs whole sub-patterns.
 * - A leaf matcher is a literal (string, number, true, false, null) or a one-key object: `prefix`, `suffix` (each
 *   optionally `{"equals-ignore-case": s}`), `equals-ignore-case`, `wildcard`, `anything-but` (a value, a list of only
 *   strings or only numbers, or `{prefix | suffix | equals-ignore-case | wildcard: s | [s...]}`), `numeric` (one or
 *   two comparisons, or `=`), `cidr` (IPv4 / IPv6), `exists` (true / false).
 * - The event's value at a leaf: a string, number, boolean or null is one value; an array gives its elements (nested
 *   arrays flattened: the pattern matches when any element does); an object or a missing field gives none. `exists`
 *   tests whether there is any leaf value there (so `exists: false` matches a missing field, an empty array and an
 *   object, which is not a leaf; `exists: true` matches null). Every other matcher needs a value: a missing field never
 *   matches a literal, `anything-but` included.
 * - Literals match by JSON type: the string "5" is not the number 5, `""` is not null; numbers compare by value
 *   (300 = 3.0e2). `prefix`, `suffix`, `equals-ignore-case`, `wildcard` and `cidr` only match strings, `numeric` only
 *   numbers; `anything-but` matches every value that is not excluded, of any type.
 * - An object in the pattern applied to an array of objects in the event matches when one ELEMENT matches it as a
 *   whole (Event Ruler's array-consistent matching: two fields never match from different elements of one array).
 *
 * Not modelled: Event Ruler treating the dotted key `{"a.b": [...]}` like the nested `{"a": {"b": [...]}}`; the numeric
 * precision limits (values compare as doubles).
 */

export type Leaf = string | number | boolean | null;

/** A pattern that EventBridge would reject (the text becomes InvalidEventPatternException's reason). */
export class EventPatternError extends Error {
  override readonly name = 'EventPatternError';
}

interface Range {
  lower?: { value: number; inclusive: boolean };
  upper?: { value: number; inclusive: boolean };
}

type Matcher =
  | { kind: 'exact'; value: Leaf }
  | { kind: 'prefix'; value: string; ignoreCase: boolean }
  | { kind: 'suffix'; value: string; ignoreCase: boolean }
  | { kind: 'equals-ignore-case'; value: string }
  | { kind: 'wildcard'; regex: RegExp }
  | { kind: 'anything-but'; excludes: (v: Leaf) => boolean }
  | { kind: 'numeric'; range: Range }
  | { kind: 'cidr'; family: 4 | 6; network: bigint; bits: number }
  | { kind: 'exists'; value: boolean };

interface PatternNode {
  /** Field -> sub-pattern (object) or leaf matchers (array). */
  fields: Array<{ key: string; child: PatternNode | Matcher[] }>;
  /** Each `$or` at this level: one alternative must match. */
  ors: PatternNode[][];
}

/** A validated pattern, ready to match events. */
export interface CompiledPattern {
  readonly root: PatternNode;
  /** The pattern as given (parsed). */
  readonly source: Record<string, unknown>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isLeaf = (v: unknown): v is Leaf => v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
const fail = (reason: string): never => {
  throw new EventPatternError(reason);
};
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

/** Parses (when given text) and validates an event pattern. Throws EventPatternError. */
export function compileEventPattern(pattern: unknown): CompiledPattern {
  let parsed: unknown = pattern;
  if (typeof pattern === 'string') {
    try {
      parsed = JSON.parse(pattern);
    } catch (e) {
      fail(`Filter is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (!isObject(parsed)) return fail('Filter is not an object');
  if (Object.keys(parsed).length === 0) return fail('Empty objects are not allowed');
  return { root: compileNode(parsed, ''), source: parsed };
}

function compileNode(obj: Record<string, unknown>, path: string): PatternNode {
  const node: PatternNode = { fields: [], ors: [] };
  for (const [key, value] of Object.entries(obj)) {
    const at = path === '' ? key : `${path}.${key}`;
    if (key === '$or' && Array.isArray(value)) {
      if (value.length < 2 || !value.every(isObject)) fail(`"$or" at "${path || '(root)'}" must be an array of at least 2 objects`);
      node.ors.push(
        value.map((alt) => {
          const o = alt as Record<string, unknown>;
          if (Object.keys(o).length === 0) fail('Empty objects are not allowed');
          return compileNode(o, path);
        }),
      );
      continue;
    }
    if (isObject(value)) {
      if (Object.keys(value).length === 0) fail(`Empty objects are not allowed (at "${at}")`);
      node.fields.push({ key, child: compileNode(value, at) });
    } else if (Array.isArray(value)) {
      if (value.length === 0) fail(`Empty arrays are not allowed (at "${at}")`);
      node.fields.push({ key, child: value.map((m) => compileMatcher(m, at)) });
    } else {
      fail(`"${at}" must be an object or an array`);
    }
  }
  return node;
}

function compileMatcher(m: unknown, at: string): Matcher {
  if (isLeaf(m)) {
    if (typeof m === 'number' && !Number.isFinite(m)) fail(`Invalid number at "${at}"`);
    return { kind: 'exact', value: m };
  }
  if (Array.isArray(m)) return fail(`Match value must be String, number, true, false, or null (at "${at}")`);
  const obj = m as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length !== 1) return fail(`Match expression at "${at}" must have exactly one key, got ${show(obj)}`);
  const op = keys[0] as string;
  const arg = obj[op];
  switch (op) {
    case 'prefix':
    case 'suffix': {
      if (typeof arg === 'string') return { kind: op, value: arg, ignoreCase: false };
      if (isObject(arg) && Object.keys(arg).length === 1 && typeof arg['equals-ignore-case'] === 'string') {
        return { kind: op, value: arg['equals-ignore-case'], ignoreCase: true };
      }
      return fail(`${op} match pattern must be a string or {"equals-ignore-case": "<string>"} (at "${at}")`);
    }
    case 'equals-ignore-case':
      if (typeof arg !== 'string') fail(`equals-ignore-case match pattern must be a string (at "${at}")`);
      return { kind: 'equals-ignore-case', value: arg as string };
    case 'wildcard':
      if (typeof arg !== 'string') fail(`wildcard match pattern must be a string (at "${at}")`);
      return { kind: 'wildcard', regex: wildcardRegex(arg as string, at) };
    case 'exists':
      if (typeof arg !== 'boolean') fail(`exists match pattern must be either true or false (at "${at}")`);
      return { kind: 'exists', value: arg as boolean };
    case 'numeric':
      return { kind: 'numeric', range: numericRange(arg, at) };
    case 'cidr':
      if (typeof arg !== 'string') fail(`cidr match pattern must be a string (at "${at}")`);
      return cidrMatcher(arg as string, at);
    case 'anything-but':
      return { kind: 'anything-but', excludes: anythingBut(arg, at) };
    default:
      return fail(`Unrecognized match type ${op} (at "${at}")`);
  }
}

/** Event Ruler's wildcard: `*` any run of characters (never two in a row), `\*` a literal star, `\\` a backslash. */
function wildcardRegex(pattern: string, at: string): RegExp {
  let re = '';
  let lastWasStar = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') fail(`Invalid escape character at pos ${i + 1} of wildcard "${pattern}" (at "${at}")`);
      re += `\\${next}`;
      i++;
      lastWasStar = false;
    } else if (c === '*') {
      if (lastWasStar) fail(`Consecutive wildcard characters at pos ${i} of wildcard "${pattern}" (at "${at}")`);
      re += '[\\s\\S]*';
      lastWasStar = true;
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      lastWasStar = false;
    }
  }
  return new RegExp(`^${re}$`, 'u');
}

function numericRange(arg: unknown, at: string): Range {
  const bad = (why: string): never => fail(`Invalid numeric match ${show(arg)} at "${at}": ${why}`);
  if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4)) return bad('expected [op, number] or [op, number, op, number]');
  const range: Range = {};
  for (let i = 0; i < arg.length; i += 2) {
    const op: unknown = arg[i];
    const value: unknown = arg[i + 1];
    if (typeof value !== 'number' || !Number.isFinite(value)) return bad(`the value after ${show(op)} must be a number`);
    switch (op) {
      case '=':
        if (arg.length !== 2) bad('"=" cannot be combined with another comparison');
        return { lower: { value, inclusive: true }, upper: { value, inclusive: true } };
      case '>':
      case '>=':
        if (range.lower) bad('two lower bounds');
        range.lower = { value, inclusive: op === '>=' };
        break;
      case '<':
      case '<=':
        if (range.upper) bad('two upper bounds');
        range.upper = { value, inclusive: op === '<=' };
        break;
      default:
        bad(`unrecognized numeric range operator ${show(op)}`);
    }
  }
  if (range.lower && range.upper && range.lower.value >= range.upper.value) bad('bottom must be less than top');
  return range;
}

function anythingBut(arg: unknown, at: string): (v: Leaf) => boolean {
  if (typeof arg === 'string') return (v) => v === arg;
  if (typeof arg === 'number') return (v) => v === arg;
  if (Array.isArray(arg)) {
    if (arg.length === 0) fail(`Empty arrays are not allowed (anything-but at "${at}")`);
    if (arg.every((x) => typeof x === 'string')) {
      const set = new Set<string>(arg as string[]);
      return (v) => typeof v === 'string' && set.has(v);
    }
    if (arg.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      const set = new Set<number>(arg as number[]);
      return (v) => typeof v === 'number' && set.has(v);
    }
    return fail(`Inside anything-but list, values must be all strings or all numbers (at "${at}")`);
  }
  if (isObject(arg) && Object.keys(arg).length === 1) {
    const [op, value] = Object.entries(arg)[0] as [string, unknown];
    if (!['prefix', 'suffix', 'equals-ignore-case', 'wildcard'].includes(op)) return fail(`Unsupported anything-but pattern: ${op} (at "${at}")`);
    const strings = Array.isArray(value) ? value : [value];
    if (strings.length === 0 || !strings.every((s) => typeof s === 'string')) {
      return fail(`anything-but ${op} must be a string or a non-empty list of strings (at "${at}")`);
    }
    const list = strings as string[];
    switch (op) {
      case 'prefix':
        if (list.some((s) => s === '')) fail(`Null prefix not allowed (anything-but at "${at}")`);
        return (v) => typeof v === 'string' && list.some((p) => v.startsWith(p));
      case 'suffix':
        if (list.some((s) => s === '')) fail(`Null suffix not allowed (anything-but at "${at}")`);
        return (v) => typeof v === 'string' && list.some((s) => v.endsWith(s));
      case 'equals-ignore-case': {
        const lowered = new Set(list.map((s) => s.toLowerCase()));
        return (v) => typeof v === 'string' && lowered.has(v.toLowerCase());
      }
      case 'wildcard': {
        const res = list.map((w) => wildcardRegex(w, at));
        return (v) => typeof v === 'string' && res.some((r) => r.test(v));
      }
      default:
        return fail(`Unsupported anything-but pattern: ${op} (at "${at}")`);
    }
  }
  return fail(`Value of anything-but must be an array or single string/number value, or an object (at "${at}")`);
}

// ---- IP addresses (cidr) ----

function parseIpv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let out = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out = (out << 8n) | BigInt(n);
  }
  return out;
}

function parseIpv6(s: string): bigint | undefined {
  let text = s;
  let tail: number[] = [];
  if (text.includes('.')) {
    // An embedded IPv4 tail (::ffff:10.0.0.1) counts as the last two groups.
    const lastColon = text.lastIndexOf(':');
    const n = parseIpv4(text.slice(lastColon + 1));
    if (n === undefined) return undefined;
    tail = [Number(n >> 16n), Number(n & 0xffffn)];
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0] as string);
  const rest = halves.length === 2 ? parse(halves[1] as string) : [];
  if (head === undefined || rest === undefined) return undefined;
  const total = head.length + rest.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  let out = 0n;
  for (const g of [...head, ...new Array<number>(8 - total).fill(0), ...rest, ...tail]) out = (out << 16n) | BigInt(g);
  return out;
}

function parseIp(s: string): { family: 4 | 6; value: bigint } | undefined {
  const v4 = parseIpv4(s);
  if (v4 !== undefined) return { family: 4, value: v4 };
  if (!s.includes(':')) return undefined;
  const v6 = parseIpv6(s);
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

function cidrMatcher(arg: string, at: string): Matcher {
  const [ip = '', bitsText, extra] = arg.split('/');
  const parsed = parseIp(ip);
  const width = parsed?.family === 6 ? 128 : 32;
  const bits = bitsText === undefined ? width : /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : NaN;
  if (parsed === undefined || extra !== undefined || !Number.isInteger(bits) || bits < 0 || bits > width) {
    return fail(`Nonsensical CIDR IP argument: "${arg}" (at "${at}")`);
  }
  const shift = BigInt(width - bits);
  return { kind: 'cidr', family: parsed.family, network: (parsed.value >> shift) << shift, bits };
}

// ---- matching ----

function testMatcher(m: Exclude<Matcher, { kind: 'exists' }>, v: Leaf): boolean {
  switch (m.kind) {
    case 'exact':
      return v === m.value;
    case 'prefix':
      return typeof v === 'string' && (m.ignoreCase ? v.toLowerCase().startsWith(m.value.toLowerCase()) : v.startsWith(m.value));
    case 'suffix':
      return typeof v === 'string' && (m.ignoreCase ? v.toLowerCase().endsWith(m.value.toLowerCase()) : v.endsWith(m.value));
    case 'equals-ignore-case':
      return typeof v === 'string' && v.toLowerCase() === m.value.toLowerCase();
    case 'wildcard':
      return typeof v === 'string' && m.regex.test(v);
    case 'anything-but':
      return !m.excludes(v);
    case 'numeric': {
      if (typeof v !== 'number') return false;
      const { lower, upper } = m.range;
      if (lower && (lower.inclusive ? v < lower.value : v <= lower.value)) return false;
      if (upper && (upper.inclusive ? v > upper.value : v >= upper.value)) return false;
      return true;
    }
    case 'cidr': {
      if (typeof v !== 'string') return false;
      const ip = parseIp(v);
      if (ip === undefined || ip.family !== m.family) return false;
      const shift = BigInt((m.family === 6 ? 128 : 32) - m.bits);
      return (ip.value >> shift) << shift === m.network;
    }
  }
}

/** The leaf values at a field: scalars, or the (flattened) scalar elements of an array; objects are not leaves. */
function leafValues(v: unknown, out: Leaf[] = []): Leaf[] {
  if (v === undefined) return out;
  if (Array.isArray(v)) {
    for (const el of v) leafValues(el, out);
  } else if (isLeaf(v)) {
    out.push(v);
  }
  return out;
}

function objectElements(v: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(v)) for (const el of v) objectElements(el, out);
  else if (isObject(v)) out.push(v);
  return out;
}

function matchLeaf(matchers: readonly Matcher[], value: unknown): boolean {
  const leaves = leafValues(value);
  return matchers.some((m) => (m.kind === 'exists' ? m.value === leaves.length > 0 : leaves.some((l) => testMatcher(m, l))));
}

/** A nested pattern against the event's value there: an object, an array of objects (one must match), or nothing. */
function matchValue(node: PatternNode, value: unknown): boolean {
  if (Array.isArray(value)) {
    const objects = objectElements(value);
    return objects.length === 0 ? matchNode(node, undefined) : objects.some((o) => matchNode(node, o));
  }
  return matchNode(node, isObject(value) ? value : undefined);
}

function matchNode(node: PatternNode, obj: Record<string, unknown> | undefined): boolean {
  for (const { key, child } of node.fields) {
    const value = obj !== undefined && Object.hasOwn(obj, key) ? obj[key] : undefined;
    if (Array.isArray(child) ? !matchLeaf(child, value) : !matchValue(child, value)) return false;
  }
  for (const alternatives of node.ors) {
    if (!alternatives.some((alt) => matchNode(alt, obj))) return false;
  }
  return true;
}

/** Whether `event` (a parsed JSON object) matches the compiled pattern. */
export function matchesCompiled(pattern: CompiledPattern, event: unknown): boolean {
  return isObject(event) && matchNode(pattern.root, event);
}

/** Whether `event` matches `pattern` (text or parsed). Throws EventPatternError for an invalid pattern. */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  return matchesCompiled(compileEventPattern(pattern), event);
}

/**
 * The string values a pattern gives a top-level field (e.g. `source`, `detail-type`) as exact literals, for the
 * `events:source` / `events:detail-type` condition keys of PutRule.
 */
export function literalStrings(pattern: CompiledPattern, field: string): string[] {
  const v = pattern.source[field];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
