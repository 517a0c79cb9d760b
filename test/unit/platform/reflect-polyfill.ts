/**
 * Minimal Reflect metadata API for @peculiar/x509 (its DI container, tsyringe, refuses to load without one).
 * The usual polyfill package (reflect-metadata) is not a dependency of this project; this covers the calls
 * tsyringe and tslib's __metadata make. Import this module BEFORE @peculiar/x509.
 */
type Key = unknown;
type Target = object;
const store = new WeakMap<Target, Map<string | symbol | undefined, Map<Key, unknown>>>();

function own(target: Target, property: string | symbol | undefined, create: boolean): Map<Key, unknown> | undefined {
  let byProperty = store.get(target);
  if (!byProperty) {
    if (!create) return undefined;
    byProperty = new Map();
    store.set(target, byProperty);
  }
  let map = byProperty.get(property);
  if (!map && create) {
    map = new Map();
    byProperty.set(property, map);
  }
  return map;
}

interface ReflectMetadataApi {
  defineMetadata(key: Key, value: unknown, target: Target, property?: string | symbol): void;
  getOwnMetadata(key: Key, target: Target, property?: string | symbol): unknown;
  getMetadata(key: Key, target: Target, property?: string | symbol): unknown;
  hasMetadata(key: Key, target: Target, property?: string | symbol): boolean;
  metadata(key: Key, value: unknown): (target: Target, property?: string | symbol) => void;
}

const api: ReflectMetadataApi = {
  defineMetadata: (key, value, target, property) => {
    own(target, property, true)?.set(key, value);
  },
  getOwnMetadata: (key, target, property) => own(target, property, false)?.get(key),
  getMetadata: (key, target, property) => {
    for (let t: Target | null = target; t; t = Object.getPrototypeOf(t) as Target | null) {
      const map = own(t, property, false);
      if (map?.has(key)) return map.get(key);
    }
    return undefined;
  },
  hasMetadata: (key, target, property) => api.getMetadata(key, target, property) !== undefined,
  metadata: (key, value) => (target, property) => api.defineMetadata(key, value, target, property),
};

const reflect = Reflect as unknown as Partial<ReflectMetadataApi>;
if (typeof reflect.getMetadata !== 'function') Object.assign(Reflect, api);

export {};
