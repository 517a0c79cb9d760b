/**
 * ListSecrets filters, following the API reference (Filter) and the user guide ("Find secrets"):
 * - name, tag-key, tag-value, primary-region, owning-service: prefix match, case-sensitive;
 * - description: matches words of the description, not case-sensitive (every word of the
 *   filter value must begin some word of the description);
 * - all: the filter value is broken into words; a secret matches when any of those words begins
 *   a word of its name, description, tag keys or tag values; not case-sensitive.
 * Words are split at punctuation/whitespace, at lower->upper case changes and at letter<->digit
 * changes ("credsDatabase#892" -> creds, Database, 892).
 *
 * Combination: filters are ANDed. Within one filter the plain values are ORed and each "!value"
 * excludes the secrets it would match (so ["app", "!app/test"] = starts with app but not app/test).
 */
import type { Tag } from './input';

export const FILTER_KEYS = [
  'description',
  'name',
  'tag-key',
  'tag-value',
  'primary-region',
  'owning-service',
  'all',
] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export interface SecretFilter {
  key: FilterKey;
  values: string[];
}

/** The attributes of a secret that filters look at. */
export interface FilterableSecret {
  name: string;
  description?: string;
  tags: Tag[];
  primaryRegion?: string;
  owningService?: string;
}

export function splitWords(text: string): string[] {
  const words: string[] = [];
  for (const chunk of text.split(/[^A-Za-z0-9]+/)) {
    if (chunk === '') continue;
    // Boundaries: aB, a1, 1a, A1, and the last capital of a run before a lower-case letter (HTTPServer).
    const parts = chunk
      .replace(/([a-z])([A-Z])/g, '$1\u0000$2')
      .replace(/([A-Z]+)([A-Z][a-z])/g, '$1\u0000$2')
      .replace(/([A-Za-z])([0-9])/g, '$1\u0000$2')
      .replace(/([0-9])([A-Za-z])/g, '$1\u0000$2')
      .split('\u0000');
    words.push(...parts.filter((p) => p !== ''));
  }
  return words;
}

function prefixOfAny(value: string, candidates: readonly string[]): boolean {
  return candidates.some((c) => c.startsWith(value));
}

function wordsOf(texts: readonly string[]): string[] {
  return texts.flatMap((t) => splitWords(t.toLowerCase()));
}

function positiveMatch(key: FilterKey, value: string, s: FilterableSecret): boolean {
  switch (key) {
    case 'name':
      return s.name.startsWith(value);
    case 'tag-key':
      return prefixOfAny(value, s.tags.map((t) => t.Key));
    case 'tag-value':
      return prefixOfAny(value, s.tags.map((t) => t.Value));
    case 'primary-region':
      return s.primaryRegion !== undefined && s.primaryRegion.startsWith(value);
    case 'owning-service':
      return s.owningService !== undefined && s.owningService.startsWith(value);
    case 'description': {
      if (s.description === undefined) return false;
      const wanted = splitWords(value.toLowerCase());
      const have = wordsOf([s.description]);
      return wanted.length > 0 && wanted.every((w) => prefixOfAny(w, have));
    }
    case 'all': {
      const texts = [s.name, ...(s.description === undefined ? [] : [s.description])];
      for (const t of s.tags) texts.push(t.Key, t.Value);
      const have = wordsOf(texts);
      return splitWords(value.toLowerCase()).some((w) => prefixOfAny(w, have));
    }
  }
}

function filterMatches(f: SecretFilter, s: FilterableSecret): boolean {
  const positives = f.values.filter((v) => !v.startsWith('!'));
  const negatives = f.values.filter((v) => v.startsWith('!')).map((v) => v.slice(1));
  if (positives.length > 0 && !positives.some((v) => positiveMatch(f.key, v, s))) return false;
  return negatives.every((v) => !positiveMatch(f.key, v, s));
}

export function matchesFilters(s: FilterableSecret, filters: readonly SecretFilter[]): boolean {
  return filters.every((f) => filterMatches(f, s));
}
