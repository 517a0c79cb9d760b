/**
 * Scoped resource storage shared by cloud accounts, SSH keys and backup locations: name uniqueness per
 * collection and scope (409), API views with masked secrets, list filtering, ordering and paging.
 */
import { PaletteError, badRequest, notFound } from './errors';
import {
  type Collection,
  type Json,
  type LocationType,
  type PaletteState,
  type Resource,
  type ScopeKey,
  type Tenant,
  SECRET_FIELDS,
  getDotted,
  iso,
  keepMaskedSecrets,
  maskSecrets,
} from './state';

export interface ScopeRef {
  tenant: Tenant;
  key: ScopeKey;
}

export const COLLECTION_LABEL: Record<Collection, string> = {
  awsAccount: 'AWS cloud account',
  azureAccount: 'Azure cloud account',
  sshKey: 'SSH key',
  location: 'backup location',
};

export function scopeLabel(key: ScopeKey): string {
  return key === 'tenant' ? 'tenant scope' : `project ${key.slice('project:'.length)}`;
}

export interface MetaInput {
  name?: unknown;
  annotations?: unknown;
  labels?: unknown;
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

export function requireName(meta: MetaInput | undefined): string {
  const name = meta?.name;
  if (typeof name !== 'string' || name.trim() === '') throw badRequest('metadata.name', 'is required');
  return name;
}

function duplicate(scope: ScopeRef, collection: Collection, name: string): PaletteError {
  return new PaletteError(
    409,
    'DuplicateName',
    `${/^[AEIOS]/.test(COLLECTION_LABEL[collection]) ? 'an' : 'a'} ${COLLECTION_LABEL[collection]} named '${name}' already exists in ${scopeLabel(scope.key)}`,
    { name },
  );
}

export class ResourceStore {
  constructor(
    private readonly state: PaletteState,
    private readonly now: () => number,
  ) {}

  inScope(scope: ScopeRef, collection: Collection): Resource[] {
    return scope.tenant.resources.filter((r) => r.collection === collection && r.scope === scope.key);
  }

  create(scope: ScopeRef, collection: Collection, meta: MetaInput | undefined, spec: Json, locationType?: LocationType): Resource {
    const name = requireName(meta);
    if (this.inScope(scope, collection).some((r) => r.name === name)) throw duplicate(scope, collection, name);
    const t = this.now();
    const r: Resource = {
      collection,
      uid: this.state.ids.uid(),
      name,
      scope: scope.key,
      annotations: stringMap(meta?.annotations),
      labels: stringMap(meta?.labels),
      createdAt: t,
      modifiedAt: t,
      spec: structuredClone(spec),
      ...(locationType ? { locationType } : {}),
    };
    scope.tenant.resources.push(r);
    return r;
  }

  get(scope: ScopeRef, collection: Collection, uid: string, accept?: (r: Resource) => boolean): Resource {
    const r = this.inScope(scope, collection).find((x) => x.uid === uid && (!accept || accept(x)));
    if (!r) throw notFound(COLLECTION_LABEL[collection], uid);
    return r;
  }

  /** PUT semantics: the spec is replaced; masked secrets sent back keep their stored value. */
  update(r: Resource, meta: MetaInput | undefined, spec: Json): void {
    const name = meta?.name;
    if (typeof name === 'string' && name !== '' && name !== r.name) {
      throw badRequest('metadata.name', `cannot be updated (is '${r.name}')`);
    }
    r.spec = keepMaskedSecrets(spec, r.spec, SECRET_FIELDS[r.collection]);
    if (meta?.annotations !== undefined) r.annotations = stringMap(meta.annotations);
    if (meta?.labels !== undefined) r.labels = stringMap(meta.labels);
    r.modifiedAt = this.now();
  }

  remove(scope: ScopeRef, r: Resource): void {
    const i = scope.tenant.resources.indexOf(r);
    if (i >= 0) scope.tenant.resources.splice(i, 1);
  }
}

/** v1ObjectMeta of a stored resource (annotations carry the scope, as Palette clients expect). */
export function metaView(r: { uid: string; name: string; annotations: Record<string, string>; labels: Record<string, string>; createdAt: number; modifiedAt: number }, scope?: ScopeKey): Json {
  const annotations = { ...r.annotations, ...(scope ? { scope: scope === 'tenant' ? 'tenant' : 'project' } : {}) };
  const meta: Json = {
    name: r.name,
    uid: r.uid,
    annotations,
    creationTimestamp: iso(r.createdAt),
    lastModifiedTimestamp: iso(r.modifiedAt),
  };
  if (Object.keys(r.labels).length > 0) meta.labels = { ...r.labels };
  return meta;
}

export function maskedSpec(r: Resource): Json {
  return maskSecrets(r.spec, SECRET_FIELDS[r.collection]);
}

export function cloudAccountView(r: Resource): Json {
  return { metadata: metaView(r, r.scope), spec: maskedSpec(r), status: { state: 'Running' } };
}

/**
 * The fields a list's `filters` may name. Palette: "Filters can be combined with AND, OR operators with field path
 * name. Eg: metadata.name=TestServiceANDspec.cloudType=aws. Server will be restricted to certain fields based on the
 * indexed data for each resource" (the `filters` parameter of every list in the spec). Which fields are indexed is not
 * published; the emulator indexes the object metadata every resource has, its name and uid, and answers a filter on
 * any other field 400 InvalidRequest naming `filters` (unconfirmed: Palette documents no answer; README, choice 15).
 */
export const FILTERABLE_FIELDS: ReadonlySet<string> = new Set(['metadata.name', 'metadata.uid']);

/** Splits "metadata.name=aANDspec.x=b" / "...OR..." into clauses (field paths never contain AND/OR + '='). */
function parseFilters(filters: string): { op: 'AND' | 'OR'; path: string; value: string }[] {
  const tokens = filters.split(/(AND|OR)(?=[A-Za-z_][\w.]*=)/);
  const out: { op: 'AND' | 'OR'; path: string; value: string }[] = [];
  let op: 'AND' | 'OR' = 'AND';
  for (const t of tokens) {
    if (t === 'AND' || t === 'OR') {
      op = t;
      continue;
    }
    const eq = t.indexOf('=');
    if (eq <= 0) throw badRequest('filters', `cannot parse '${t}' (expected field.path=value)`);
    const path = t.slice(0, eq).trim();
    if (!FILTERABLE_FIELDS.has(path)) {
      throw badRequest('filters', `cannot filter on '${path}': the fields that can be filtered on are ${[...FILTERABLE_FIELDS].join(', ')}`);
    }
    out.push({ op, path, value: t.slice(eq + 1).trim() });
  }
  return out;
}

function matches(item: Json, clauses: ReturnType<typeof parseFilters>): boolean {
  let result = true;
  clauses.forEach((c, i) => {
    const v = getDotted(item, c.path);
    const hit = v !== undefined && v !== null && String(v) === c.value;
    result = i === 0 ? hit : c.op === 'AND' ? result && hit : result || hit;
  });
  return result;
}

function order(items: Json[], orderBy: string): Json[] {
  const keys = orderBy
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => {
      const [path = '', dir = '1'] = s.split('=');
      if (dir !== '1' && dir !== '-1') throw badRequest('orderBy', `sort order of '${path}' must be 1 or -1`);
      return { path: path.trim(), dir: Number(dir) };
    });
  return [...items].sort((a, b) => {
    for (const k of keys) {
      const x = String(getDotted(a, k.path) ?? '');
      const y = String(getDotted(b, k.path) ?? '');
      if (x !== y) return x < y ? -k.dir : k.dir;
    }
    return 0;
  });
}

export function filterAndOrder(items: Json[], query: Record<string, unknown>): Json[] {
  let out = items;
  if (typeof query.filters === 'string' && query.filters !== '') {
    const clauses = parseFilters(query.filters);
    out = out.filter((i) => matches(i, clauses));
  }
  if (typeof query.orderBy === 'string' && query.orderBy !== '') out = order(out, query.orderBy);
  return out;
}

export const MAX_LIMIT = 50;

/** Cloud-account style paging: limit (default and max 50; 0 = everything), offset, continue token, listmeta. */
export function page(items: Json[], query: Record<string, unknown>): { items: Json[]; listmeta: Json } {
  let offset = typeof query.offset === 'number' ? query.offset : 0;
  if (typeof query.continue === 'string' && query.continue !== '') {
    try {
      const token = JSON.parse(Buffer.from(query.continue, 'base64').toString('utf8')) as { offset?: unknown };
      if (typeof token.offset !== 'number') throw new Error('no offset');
      offset = token.offset;
    } catch {
      throw badRequest('continue', 'is not a valid continue token');
    }
  }
  if (offset < 0) throw badRequest('offset', 'must be >= 0');
  const requested = typeof query.limit === 'number' ? query.limit : MAX_LIMIT;
  if (requested < 0) throw badRequest('limit', 'must be >= 0');
  const limit = requested === 0 ? items.length : Math.min(requested, MAX_LIMIT);
  const slice = items.slice(offset, offset + limit);
  const next = offset + slice.length;
  const more = next < items.length;
  return {
    items: slice,
    listmeta: {
      continue: more ? Buffer.from(JSON.stringify({ offset: next, count: items.length, token: '' })).toString('base64') : '',
      count: items.length,
      limit,
      offset: more ? next : offset,
    },
  };
}
