/**
 * `States.Hash` as Step Functions computes it. aws-local-stepfunctions 3.0.0 computes MD5 / SHA-1 / SHA-2 wrongly for
 * any input of more than one block (55 bytes and more: checked against node:crypto), so the runner serves every Pass
 * state whose Parameters use `States.Hash` itself: each `States.Hash(<arg>, '<algorithm>')` is evaluated with
 * node:crypto (its argument by the library) and replaced by the digest as a string literal before the library
 * evaluates the rest. A Task's Parameters or a ResultSelector using States.Hash fail before the run (not served).
 */
import { createHash } from 'node:crypto';
import { evaluateTemplate } from './distributed-map';
import type { AslDefinitionLike } from './execute';

export const HASH_PASS_RESOURCE = 'local:pass-with-states-hash';
const ALGORITHMS: Record<string, string> = { MD5: 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

const usesHash = (v: unknown): boolean => JSON.stringify(v ?? null).includes('States.Hash(');

/** The end of the call whose '(' is at `open` (quotes and nesting respected). */
function closingParen(s: string, open: number): number {
  let depth = 0;
  let quoted = false;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === "'") quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')' && --depth === 0) return i;
  }
  throw new Error(`unbalanced intrinsic function: ${s}`);
}

/** Splits `a, b` at the top-level comma. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === "'") quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')') depth--;
    else if (!quoted && depth === 0 && c === ',') {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(s.slice(start).trim());
  return out;
}

const literal = (s: string) => `'${s.replace(/[\\'{}]/g, (c) => `\\${c}`)}'`;

/** One intrinsic expression with every States.Hash(...) replaced by its digest (innermost first). */
async function resolveHashes(expr: string, input: unknown, context: Record<string, unknown>): Promise<string> {
  let out = expr;
  for (;;) {
    const at = out.lastIndexOf('States.Hash(');
    if (at < 0) return out;
    const open = at + 'States.Hash'.length;
    const close = closingParen(out, open);
    const [arg, alg] = splitArgs(out.slice(open + 1, close));
    const algorithm = (alg ?? '').replace(/^'|'$/g, '');
    const node = ALGORITHMS[algorithm];
    if (!arg || !node) throw Object.assign(new Error(`States.Hash: unsupported algorithm ${alg}`), { name: 'States.Runtime' });
    const value = ((await evaluateTemplate({ 'v.$': arg }, input, context)) as { v?: unknown }).v;
    if (typeof value !== 'string') throw Object.assign(new Error('States.Hash: the data to hash must be a string'), { name: 'States.Runtime' });
    out = `${out.slice(0, at)}${literal(createHash(node).update(value, 'utf8').digest('hex'))}${out.slice(close + 1)}`;
  }
}

/** A Parameters template with the digests computed; then evaluated by the library. */
export async function evaluateWithHashes(template: unknown, input: unknown, context: Record<string, unknown>): Promise<unknown> {
  const fix = async (v: unknown): Promise<unknown> => {
    if (Array.isArray(v)) return Promise.all(v.map(fix));
    if (typeof v !== 'object' || v === null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k.endsWith('.$') && typeof x === 'string' && x.includes('States.Hash(')) {
        const resolved = await resolveHashes(x, input, context);
        // The whole value was one States.Hash: it is now a plain string.
        const lit = /^'((?:[^'\\]|\\.)*)'$/.exec(resolved);
        if (lit) out[k.slice(0, -2)] = (lit[1] as string).replace(/\\(.)/g, '$1');
        else out[k] = resolved;
      } else out[k] = await fix(x);
    }
    return out;
  };
  return evaluateTemplate(await fix(template), input, context);
}

/**
 * The definition with every Pass state whose Parameters use States.Hash turned into a Task served by the runner
 * (InputPath, ResultPath, OutputPath, Next / End kept), and those Parameters by state name.
 */
export function rewriteHashPasses(definition: AslDefinitionLike): { definition: AslDefinitionLike; passes: Map<string, unknown> } {
  const passes = new Map<string, unknown>();
  const rewrite = (def: AslDefinitionLike): AslDefinitionLike => {
    const states: Record<string, unknown> = {};
    for (const [name, raw] of Object.entries(def.States)) {
      const st = { ...(raw as unknown as Record<string, unknown>) };
      if (st.Type === 'Pass' && usesHash(st.Parameters)) {
        passes.set(name, st.Parameters);
        const task: Record<string, unknown> = { Type: 'Task', Resource: HASH_PASS_RESOURCE };
        for (const k of ['InputPath', 'ResultPath', 'OutputPath', 'Next', 'End', 'Comment']) if (k in st) task[k] = st[k];
        states[name] = task;
        continue;
      }
      if (usesHash(st.Parameters) || usesHash(st.ResultSelector) || (st.Type === 'Choice' && usesHash(st))) {
        throw new Error(`state ${name}: States.Hash outside a Pass state's Parameters is not served by the local runner (aws-local-stepfunctions hashes wrongly)`);
      }
      if (Array.isArray(st.Branches)) st.Branches = (st.Branches as AslDefinitionLike[]).map(rewrite);
      if (st.ItemProcessor) st.ItemProcessor = { ...(st.ItemProcessor as object), ...rewrite(st.ItemProcessor as AslDefinitionLike) };
      if (st.Iterator) st.Iterator = rewrite(st.Iterator as AslDefinitionLike);
      states[name] = st;
    }
    return { ...def, States: states as AslDefinitionLike['States'] };
  };
  return { definition: rewrite(definition), passes };
}
