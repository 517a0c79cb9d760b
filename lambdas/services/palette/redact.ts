/**
 * Secret handling for everything the Palette client logs or puts into errors.
 *
 * Two complementary mechanisms:
 *  - key-based redaction of structured data (request bodies, headers, error details): values under a sensitive key
 *    are replaced by REDACTED;
 *  - value scrubbing of free text (server error messages, transport error texts): every secret value collected from
 *    the request (body secrets, token, API key) is replaced wherever it appears, including JSON-escaped forms.
 */

export const REDACTED = '[REDACTED]';

/** Normalised (lower-case, no `-`/`_`) names of fields and headers whose values are secrets. */
const SENSITIVE_KEYS: ReadonlySet<string> = new Set([
  'password',
  'secretkey',
  'accesskey',
  'secrettoken',
  'sessiontoken',
  'clientsecret',
  'clientkey',
  'jsoncredentials',
  'privatekey',
  'privatekeyid',
  'apikey',
  'key',
  'token',
  'authorization',
  'cookie',
  'setcookie',
]);

/** Shorter values are not scrubbed from free text (they would mangle ordinary words). */
const MIN_SCRUB_LENGTH = 4;
const MAX_DEPTH = 12;

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep copy of `value` with every sensitive field replaced by REDACTED. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] = isSensitiveKey(key) && inner !== null && inner !== undefined && inner !== '' ? REDACTED : redact(inner, depth + 1);
    }
    return out;
  }
  return value;
}

/** Redacts a JSON request/response text; non-JSON text is reported by length only. */
export function redactBodyText(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  try {
    return redact(JSON.parse(text));
  } catch {
    return `[${text.length} bytes, not JSON]`;
  }
}

export function redactHeaders(headers: Headers | Record<string, string>): Record<string, string> {
  const entries = headers instanceof Headers ? [...headers.entries()] : Object.entries(headers);
  return Object.fromEntries(entries.map(([name, value]) => [name, isSensitiveKey(name) ? REDACTED : value]));
}

/** Adds every string value found under a sensitive key (recursively, also inside JSON-encoded strings). */
export function collectSecrets(value: unknown, into: Set<string>, depth = 0): Set<string> {
  if (depth > MAX_DEPTH) return into;
  if (Array.isArray(value)) {
    for (const item of value) collectSecrets(item, into, depth + 1);
  } else if (isRecord(value)) {
    for (const [key, inner] of Object.entries(value)) {
      if (isSensitiveKey(key)) addSecretValue(inner, into, depth);
      else collectSecrets(inner, into, depth + 1);
    }
  }
  return into;
}

function addSecretValue(value: unknown, into: Set<string>, depth: number): void {
  if (typeof value === 'string') {
    addSecret(value, into);
    // e.g. GCP jsonCredentials: a JSON document whose private_key must be scrubbed on its own as well.
    const trimmed = value.trim();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        collectSecrets(JSON.parse(trimmed), into, depth + 1);
      } catch {
        // not JSON: the whole value is already registered
      }
    }
  } else {
    collectSecrets(value, into, depth + 1);
  }
}

export function addSecret(value: string | undefined, into: Set<string>): void {
  if (value === undefined || value.length < MIN_SCRUB_LENGTH) return;
  into.add(value);
  const escaped = JSON.stringify(value).slice(1, -1);
  if (escaped !== value) into.add(escaped);
  // PEM blocks and similar multi-line secrets: also scrub each long line, in case a server quotes a fragment.
  for (const line of value.split(/\r?\n/)) {
    if (line.length >= 16 && line !== value) into.add(line);
  }
}

/** Collects secrets from a JSON request body text. */
export function secretsFromBodyText(text: string | undefined, into: Set<string>): Set<string> {
  if (text === undefined || text === '') return into;
  try {
    return collectSecrets(JSON.parse(text), into);
  } catch {
    return into;
  }
}

/** Replaces every known secret value in `text` with REDACTED (longest first, so fragments do not leak). */
export function scrub(text: string, secrets: Iterable<string>): string {
  let out = text;
  const ordered = [...secrets].filter((s) => s.length >= MIN_SCRUB_LENGTH).sort((a, b) => b.length - a.length);
  for (const secret of ordered) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** Key-based redaction plus value scrubbing of every string inside arbitrary structured data. */
export function scrubDeep(value: unknown, secrets: ReadonlySet<string>, depth = 0): unknown {
  if (depth > MAX_DEPTH) return REDACTED;
  if (typeof value === 'string') return scrub(value, secrets);
  if (Array.isArray(value)) return value.map((item) => scrubDeep(item, secrets, depth + 1));
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        key,
        isSensitiveKey(key) && inner !== null && inner !== undefined && inner !== '' ? REDACTED : scrubDeep(inner, secrets, depth + 1),
      ]),
    );
  }
  return value;
}
