/**
 * Backup locations (/v1/users/assets/locations/...), tenant or project scope.
 *
 * S3 and MinIO share one schema; GCP and Azure have their own. Every type is deleted through the generic
 * DELETE /v1/users/assets/locations/{uid} and made default through PATCH .../{type}/{uid}/default.
 * Validate calls live in clouds.ts (validateS3Bucket, validateGcpBucketName, validateAzureAccount).
 */
import type { AzureLocation, BackupLocationSummary, BackupLocationType, GcpLocation, S3Location } from '../types';
import { createdUid, nameFilter, pickByName, requireData, requireUid, type ResourceContext } from './shared';

const LOCATIONS = '/v1/users/assets/locations';

/** Values a list item may report in spec.storage / spec.type for each location type (S3 is also called "aws"). */
const TYPE_NAMES: Readonly<Record<BackupLocationType, readonly string[]>> = {
  s3: ['s3', 'aws'],
  aws: ['s3', 'aws'],
  minio: ['minio'],
  gcp: ['gcp'],
  azure: ['azure'],
};

/** True when the summary does not contradict `type` (items that report neither storage nor type are kept). */
export function locationHasType(item: BackupLocationSummary, type: BackupLocationType): boolean {
  const reported = [item.spec?.storage, item.spec?.type].filter((v): v is string => typeof v === 'string' && v !== '');
  return reported.length === 0 || reported.some((v) => TYPE_NAMES[type].includes(v.toLowerCase()));
}

interface Endpoints<B> {
  type: 'minio' | 's3' | 'gcp' | 'azure';
  post(body: B): Promise<{ data?: { uid: string }; response: Response }>;
  get(uid: string): Promise<{ data?: B; response: Response }>;
  put(uid: string, body: B): Promise<unknown>;
}

/** Create/get/update/delete/findByName of one location type. */
export class TypedBackupLocations<B> {
  constructor(
    private readonly parent: BackupLocations,
    private readonly endpoints: Endpoints<B>,
  ) {}

  private get path(): string {
    return `${LOCATIONS}/${this.endpoints.type}`;
  }

  /** POST -> uid. Not retried after the request may have been applied: use findByName first. */
  async create(location: B): Promise<string> {
    return createdUid(await this.endpoints.post(location), { method: 'POST', path: this.path });
  }

  async get(uid: string): Promise<B> {
    requireUid(uid, `backupLocations.${this.endpoints.type}.get`);
    return requireData(await this.endpoints.get(uid), { method: 'GET', path: `${this.path}/${uid}` });
  }

  async update(uid: string, location: B): Promise<void> {
    requireUid(uid, `backupLocations.${this.endpoints.type}.update`);
    await this.endpoints.put(uid, location);
  }

  /** Generic DELETE /v1/users/assets/locations/{uid}. */
  async delete(uid: string): Promise<void> {
    await this.parent.delete(uid);
  }

  async setDefault(uid: string): Promise<void> {
    await this.parent.setDefault(this.endpoints.type, uid);
  }

  /** Summary (from the list) of the location of this type with that name. */
  async findByName(name: string): Promise<BackupLocationSummary | undefined> {
    return this.parent.findByName(name, this.endpoints.type);
  }
}

export class BackupLocations {
  readonly s3: TypedBackupLocations<S3Location>;
  readonly minio: TypedBackupLocations<S3Location>;
  readonly gcp: TypedBackupLocations<GcpLocation>;
  readonly azure: TypedBackupLocations<AzureLocation>;

  constructor(private readonly ctx: ResourceContext) {
    const { api, headers } = ctx;
    this.s3 = new TypedBackupLocations(this, {
      type: 's3',
      post: (body) => api.POST(`${LOCATIONS}/s3`, { body, headers }),
      get: (uid) => api.GET(`${LOCATIONS}/s3/{uid}`, { params: { path: { uid } }, headers }),
      put: (uid, body) => api.PUT(`${LOCATIONS}/s3/{uid}`, { params: { path: { uid } }, body, headers }),
    });
    this.minio = new TypedBackupLocations(this, {
      type: 'minio',
      post: (body) => api.POST(`${LOCATIONS}/minio`, { body, headers }),
      get: (uid) => api.GET(`${LOCATIONS}/minio/{uid}`, { params: { path: { uid } }, headers }),
      put: (uid, body) => api.PUT(`${LOCATIONS}/minio/{uid}`, { params: { path: { uid } }, body, headers }),
    });
    this.gcp = new TypedBackupLocations(this, {
      type: 'gcp',
      post: (body) => api.POST(`${LOCATIONS}/gcp`, { body, headers }),
      get: (uid) => api.GET(`${LOCATIONS}/gcp/{uid}`, { params: { path: { uid } }, headers }),
      put: (uid, body) => api.PUT(`${LOCATIONS}/gcp/{uid}`, { params: { path: { uid } }, body, headers }),
    });
    this.azure = new TypedBackupLocations(this, {
      type: 'azure',
      post: (body) => api.POST(`${LOCATIONS}/azure`, { body, headers }),
      get: (uid) => api.GET(`${LOCATIONS}/azure/{uid}`, { params: { path: { uid } }, headers }),
      put: (uid, body) => api.PUT(`${LOCATIONS}/azure/{uid}`, { params: { path: { uid } }, body, headers }),
    });
  }

  /** All locations of every type (not paged by Palette). */
  async list(): Promise<BackupLocationSummary[]> {
    return this.listFiltered(undefined);
  }

  /**
   * The location with that name, optionally of one type (see locationHasType): one request, Palette filtering by name
   * (shared.ts nameFilter); the oldest of several.
   */
  async findByName(name: string, type?: BackupLocationType): Promise<BackupLocationSummary | undefined> {
    const items = (await this.listFiltered(nameFilter(name))).filter((item) => type === undefined || locationHasType(item, type));
    return pickByName(items, name, type === undefined ? 'backupLocations' : `backupLocations.${type}`, this.ctx.logger);
  }

  private async listFiltered(filters: string | undefined): Promise<BackupLocationSummary[]> {
    const query = filters === undefined ? {} : { filters };
    const res = await this.ctx.api.GET(LOCATIONS, { params: { query }, headers: this.ctx.headers });
    return requireData(res, { method: 'GET', path: LOCATIONS }).items ?? [];
  }

  /** DELETE /v1/users/assets/locations/{uid} (any type). */
  async delete(uid: string): Promise<void> {
    requireUid(uid, 'backupLocations.delete');
    await this.ctx.api.DELETE(`${LOCATIONS}/{uid}`, { params: { path: { uid } }, headers: this.ctx.headers });
  }

  /** PATCH /v1/users/assets/locations/{type}/{uid}/default. */
  async setDefault(type: BackupLocationType, uid: string): Promise<void> {
    requireUid(uid, 'backupLocations.setDefault');
    await this.ctx.api.PATCH(`${LOCATIONS}/{type}/{uid}/default`, { params: { path: { type, uid } }, headers: this.ctx.headers });
  }
}
