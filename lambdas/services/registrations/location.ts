/**
 * What the four backup-location kinds (S3, GCP, MinIO, Azure) share: found by name and type in the kind's scope
 * and read in full (the list carries no config), `isDefault` compared and set with setDefault after an update.
 *
 * Adopting never weakens: an adopted location (now or by an earlier run: it carries no created-by mark) that is the
 * scope's default stays the default even when the plan says `isDefault: false`; we never un-default someone
 * else's location. Each type keeps the config fields it does not manage (see its `merge`).
 */
import type { RegistrationKey } from '../../domain/registrations';
import { isAdopted } from './adopted';
import type { BackupLocationType, PaletteScope, TypedBackupLocations } from '../palette';
import type { Existing, KindContext, LookupContext, Reconciler } from './types';

export interface LocationBody<C> {
  metadata?: { name?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec?: { config: C; isDefault?: boolean; type?: string };
}

/** The desired spec of a location: its config (with secret values, for Palette only) and the plan's isDefault. */
export interface LocationDesired<C> {
  config: C;
  isDefault: boolean;
}

export interface LocationKind<K extends RegistrationKey, C, D extends LocationDesired<C>> {
  type: BackupLocationType;
  endpoints(scope: PaletteScope): TypedBackupLocations<LocationBody<C>>;
  desired(ctx: KindContext<K>): Promise<D>;
  /** Palette's stored config (secrets masked) matches the desired one. */
  sameConfig(current: C | undefined, desired: D): boolean;
  /** The config to PUT: the desired one, keeping fields of the current one this workflow does not own. */
  merge(current: C | undefined, desired: D): C;
  validate?(ctx: KindContext<K>, desired: D, phase: 'create' | 'update'): Promise<void>;
  precheck?(ctx: KindContext<K>): Promise<void>;
}

/** The isDefault the location should have: the plan's, but an adopted location that is the default stays the default. */
export function wantedDefault(existing: Existing<LocationBody<unknown>>, planned: boolean): boolean {
  return planned || ((existing.object.spec?.isDefault ?? false) && isAdopted(existing));
}

const metadataFor = (name: string, annotations: Record<string, string>, current?: LocationBody<unknown>) => ({
  name,
  annotations,
  ...(current?.metadata?.labels && Object.keys(current.metadata.labels).length > 0 ? { labels: current.metadata.labels } : {}),
});

export function locationReconciler<K extends RegistrationKey, C, D extends LocationDesired<C>>(
  k: LocationKind<K, C, D>,
): Reconciler<K, LocationBody<C>, D> {
  return {
    ...(k.precheck ? { precheck: k.precheck } : {}),
    ...(k.validate ? { validate: k.validate } : {}),
    desired: (ctx) => k.desired(ctx),

    async find(ctx: LookupContext<K>) {
      const summary = await ctx.scope.backupLocations.findByName(ctx.name, k.type);
      const uid = summary?.metadata?.uid;
      if (!uid) return undefined;
      const object = await k.endpoints(ctx.scope).get(uid);
      return { uid, object, annotations: object.metadata?.annotations ?? summary.metadata?.annotations ?? {} };
    },

    converged(_ctx, existing, desired) {
      return (
        k.sameConfig(existing.object.spec?.config, desired) &&
        (existing.object.spec?.isDefault ?? false) === wantedDefault(existing, desired.isDefault)
      );
    },

    async create(ctx, desired, annotations) {
      const uid = await k.endpoints(ctx.scope).create({
        metadata: { name: ctx.name, annotations },
        spec: { config: desired.config, isDefault: desired.isDefault },
      });
      return { uid };
    },

    async update(ctx, existing, desired, annotations) {
      const isDefault = wantedDefault(existing, desired.isDefault);
      await k.endpoints(ctx.scope).update(existing.uid, {
        metadata: metadataFor(ctx.name, annotations, existing.object),
        spec: { config: k.merge(existing.object.spec?.config, desired), isDefault },
      });
      if (isDefault && !existing.object.spec?.isDefault) await ctx.scope.backupLocations.setDefault(k.type, existing.uid);
    },

    async delete(ctx, uid) {
      await ctx.scope.backupLocations.delete(uid);
    },
  };
}
