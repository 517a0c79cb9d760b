import type { Client } from 'openapi-fetch';
import { PaletteApiError } from '../errors';
import type { paths } from '../generated/palette-api';
import type { InferredPaths } from '../inferred-api';
import type { PaletteLogger } from '../logger';
import type { ListMetaData, Named } from '../types';

/** What every operation group needs: the typed clients (sharing one transport) and the scope headers. */
export interface ResourceContext {
  api: Client<paths>;
  inferred: Client<InferredPaths>;
  /** `{ ProjectUid }` in project scope, `{}` in tenant (or system) scope. */
  headers: Readonly<Record<string, string>>;
  logger: PaletteLogger;
}

/** Page size for list calls (Palette's default and maximum). */
export const PAGE_SIZE = 50;
/** Safety stop for paging (50 000 items); a server that keeps returning continue tokens must not loop forever. */
const MAX_PAGES = 1_000;

interface Operation {
  method: string;
  path: string;
}

/** The JSON body of a successful response that must have one (transport errors were already thrown). */
export function requireData<T>(result: { data?: T; response: Response }, op: Operation): T {
  if (result.data === undefined || result.data === null) {
    throw new PaletteApiError({
      status: result.response.status,
      code: 'EmptyResponse',
      message: 'expected a JSON body, got none',
      method: op.method,
      path: op.path,
    });
  }
  return result.data;
}

/** The `uid` of a 201 create response. */
export function createdUid(result: { data?: { uid?: string }; response: Response }, op: Operation): string {
  const uid = requireData(result, op).uid;
  if (typeof uid !== 'string' || uid === '') {
    throw new PaletteApiError({
      status: result.response.status,
      code: 'InvalidResponseBody',
      message: 'create response has no uid',
      method: op.method,
      path: op.path,
    });
  }
  return uid;
}

export function requireUid(uid: string, what: string): string {
  if (typeof uid !== 'string' || uid.trim() === '') throw new TypeError(`${what}: uid must be a non-empty string`);
  return uid;
}

function creationOrder(a: Named, b: Named): number {
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  if (ta !== tb) return ta === '' ? 1 : tb === '' ? -1 : ta < tb ? -1 : 1;
  const ua = a.metadata?.uid ?? '';
  const ub = b.metadata?.uid ?? '';
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

/**
 * The item whose metadata.name equals `name` exactly. Palette has no idempotency key, so a retried or re-run create
 * can leave duplicates; the oldest one (creationTimestamp, then uid) is returned so every caller converges on the same
 * resource, and a warning lists the others.
 */
export function pickByName<T extends Named>(items: readonly T[], name: string, kind: string, logger: PaletteLogger): T | undefined {
  const matches = items.filter((item) => item.metadata?.name === name).sort(creationOrder);
  if (matches.length > 1) {
    logger.warn('Several Palette resources share a name; using the oldest', {
      kind,
      name,
      uids: matches.map((m) => m.metadata?.uid),
    });
  }
  return matches[0];
}

/**
 * Palette's server-side filter for an exact name (the `filters` query of the lists: "metadata.name=<name>"; clauses
 * are joined with AND / OR), so a lookup reads the matches instead of the whole list. Undefined for a name the
 * filter grammar cannot carry unambiguously ('=', "AND", "OR", surrounding blanks): the caller then lists everything.
 * The match is still checked on the client (pickByName): Palette does not document how it compares.
 */
export function nameFilter(name: string): string | undefined {
  if (name === '' || name !== name.trim() || name.includes('=') || /AND|OR/.test(name)) return undefined;
  return `metadata.name=${name}`;
}

export interface PageQuery {
  limit: number;
  offset?: number;
  continue?: string;
}

/**
 * Reads every page of a paged list: request `limit` items, then repeat the same query with the `continue` token and
 * `offset` from `listmeta` until the token is empty (Palette: "Next token is equal to empty string indicates end of
 * result set").
 */
export async function listAllPages<T>(
  fetchPage: (query: PageQuery) => Promise<{ items: T[]; listmeta?: ListMetaData }>,
  op: Operation,
): Promise<T[]> {
  const all: T[] = [];
  const seen = new Set<string>();
  let query: PageQuery = { limit: PAGE_SIZE };
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const result = await fetchPage(query);
    all.push(...(result.items ?? []));
    const token = result.listmeta?.continue;
    if (token === undefined || token === '') return all;
    if (seen.has(token)) {
      throw new PaletteApiError({ status: 200, code: 'PaginationLoop', message: 'the server repeated a continue token', ...op });
    }
    seen.add(token);
    query = { limit: PAGE_SIZE, continue: token };
    if (typeof result.listmeta?.offset === 'number') query.offset = result.listmeta.offset;
  }
  throw new PaletteApiError({ status: 200, code: 'PaginationLimit', message: `more than ${MAX_PAGES} pages`, ...op });
}
