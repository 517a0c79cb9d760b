/**
 * One handler per operationId of the spec subset (plus the two documented-only operations and the four of the
 * supplement). The server has already routed, authenticated, resolved the scope and validated the body against the
 * schema.
 */
import type { AwsTarget, StsPrincipal } from './aws-checks';
import { assumeRole, callerIdentity, checkClusterPermissions, probeBucket } from './aws-checks';
import type { Principal, TokenService } from './auth';
import { unauthorized } from './auth';
import * as checks from './checks';
import { clusterBackupView, clusterSummaryView, visibleCluster, visibleClusters } from './clusters';
import { gatewayList, gatewayView, tenantGateway } from './gateways';
import { PaletteError, badRequest, notFound } from './errors';
import {
  type MetaInput,
  type ResourceStore,
  type ScopeRef,
  cloudAccountView,
  filterAndOrder,
  maskedSpec,
  metaView,
  page,
  requireName,
} from './resources';
import type { Operation } from './spec';
import {
  type ApiKeyRecord,
  type Json,
  type LocationType,
  type PaletteState,
  type Resource,
  type SystemStsAccount,
  type Tenant,
  MASK,
  SECRET_FIELDS,
  iso,
  maskSecrets,
} from './state';

export type PaletteMode = 'saas' | 'self-hosted';

export interface EmulatorCore {
  state: PaletteState;
  store: ResourceStore;
  tokens: TokenService;
  now(): number;
  mode: PaletteMode;
  aws?: AwsTarget;
  /** SaaS mode: Palette's own STS principal in the AWS sandbox. */
  saasPrincipal?: StsPrincipal;
  /** SaaS mode account id reported when no principal is wired (emulator without an AWS sandbox). */
  saasAccountId: string;
  systemUser: string;
  systemPassword: string;
}

export interface OpContext {
  core: EmulatorCore;
  op: Operation;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  principal?: Principal;
  scope?: ScopeRef;
}

export interface OpResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Handler = (ctx: OpContext) => OpResult | Promise<OpResult>;

const NO_CONTENT: OpResult = { status: 204 };

function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

function scopeOf(ctx: OpContext): ScopeRef {
  if (!ctx.scope) throw new Error(`operation ${ctx.op.operationId} ran without a scope`);
  return ctx.scope;
}

function tenantOf(ctx: OpContext): Tenant {
  return scopeOf(ctx).tenant;
}

function uidParam(ctx: OpContext): string {
  const uid = ctx.params.uid;
  if (uid === undefined) throw new Error('missing uid path parameter');
  return uid;
}

function bodySpec(ctx: OpContext): { meta: MetaInput | undefined; spec: Json } {
  const b = obj(ctx.body);
  if (b.spec === undefined) throw badRequest('spec', 'is required');
  return { meta: b.metadata === undefined ? undefined : (obj(b.metadata) as MetaInput), spec: obj(b.spec) };
}

// ---------------------------------------------------------------- auth

const sysLogin: Handler = ({ core, body }) => {
  const b = obj(body);
  const user = typeof b.username === 'string' && b.username !== '' ? b.username : b.emailId;
  if (user !== core.systemUser || b.password !== core.systemPassword) {
    throw new PaletteError(401, 'InvalidCredentials', 'invalid system console username or password');
  }
  const token = core.tokens.issue({ typ: 'system', sub: core.systemUser });
  return {
    status: 200,
    body: { Authorization: token, IsPasswordReset: true, IsEmailSet: false, IsEmailVerified: false, IsMfa: false },
  };
};

function cookie(token: string, query: Record<string, unknown>): Record<string, string> {
  return query.setCookie === false ? {} : { 'Set-Cookie': `Authorization=${token}; Path=/; HttpOnly; SameSite=Strict` };
}

const authenticate: Handler = ({ core, body, query }) => {
  const b = obj(body);
  const email = typeof b.emailId === 'string' ? b.emailId.toLowerCase() : '';
  for (const tenant of core.state.tenants) {
    if (typeof b.org === 'string' && b.org !== '' && b.org.toLowerCase() !== tenant.name.toLowerCase()) continue;
    const user = tenant.users.find((u) => u.emailId.toLowerCase() === email && u.password === b.password);
    if (user) {
      const token = core.tokens.issue({ typ: 'user', sub: user.uid, tenantUid: tenant.uid });
      return { status: 200, body: { Authorization: token, isMfa: false }, headers: cookie(token, query) };
    }
  }
  throw new PaletteError(401, 'InvalidCredentials', 'invalid email, password or organization');
};

const refresh: Handler = ({ core, params, query }) => {
  const old = core.tokens.verify(params.token ?? '');
  const token = core.tokens.issue({
    typ: old.typ,
    sub: old.sub,
    sid: old.sid,
    ...(old.tenantUid ? { tenantUid: old.tenantUid } : {}),
  });
  if (old.typ === 'user' && !(old.tenantUid && core.state.tenantByUid(old.tenantUid))) throw unauthorized('unknown tenant');
  return { status: 200, body: { Authorization: token, isMfa: false }, headers: cookie(token, query) };
};

// ---------------------------------------------------------------- system console

function stsAccountView(a: SystemStsAccount | undefined): Json {
  return a ? maskSecrets({ ...a }, SECRET_FIELDS.system) : {};
}

function storeSts(which: 'stsAccount' | 'govStsAccount'): Handler {
  return ({ core, body }) => {
    const b = obj(body);
    const next: SystemStsAccount = {};
    for (const k of ['accessKey', 'secretKey', 'accountId'] as const) if (typeof b[k] === 'string') next[k] = b[k];
    if (next.secretKey === MASK) next.secretKey = core.state.system[which]?.secretKey;
    core.state.system[which] = next;
    return NO_CONTENT;
  };
}

const systemHandlers: Record<string, Handler> = {
  V1SystemConfigAwsStsAccountGet: ({ core }) => ({ status: 200, body: stsAccountView(core.state.system.stsAccount) }),
  V1SystemConfigAwsStsAccountUpdate: storeSts('stsAccount'),
  'x-inferred-SystemConfigAwsStsAccountPost': storeSts('stsAccount'),
  V1SystemConfigAwsGovStsAccountGet: ({ core }) => ({ status: 200, body: stsAccountView(core.state.system.govStsAccount) }),
  V1SystemConfigAwsGovStsAccountUpdate: storeSts('govStsAccount'),
  V1SystemConfigAwsGovStsAccountCreate: storeSts('govStsAccount'),
  V1SystemConfigAwsAccountGet: ({ core }) => {
    // Unconfirmed in Palette's docs: after an STS configuration the docs "validate" by GETting this path, so
    // the emulator reflects the STS account's keys here unless a devops account was set explicitly.
    const sys = core.state.system;
    const src = sys.awsAccount ?? (sys.stsAccount ? { accessKey: sys.stsAccount.accessKey, secretKey: sys.stsAccount.secretKey } : undefined);
    if (!src) return { status: 200, body: {} };
    const spec: Json = {};
    if (src.accessKey !== undefined) spec.accessKey = src.accessKey;
    if (src.secretKey !== undefined) spec.secretKey = src.secretKey === '' ? '' : MASK;
    return { status: 200, body: { spec } };
  },
  V1SystemConfigAwsAccountUpdate: ({ core, body }) => {
    const spec = obj(obj(body).spec);
    const prev = core.state.system.awsAccount;
    const next: { accessKey?: string; secretKey?: string } = {};
    if (typeof spec.accessKey === 'string') next.accessKey = spec.accessKey;
    if (typeof spec.secretKey === 'string') next.secretKey = spec.secretKey === MASK ? prev?.secretKey : spec.secretKey;
    core.state.system.awsAccount = next;
    return NO_CONTENT;
  },
  // The docs' example GET echoes the certificates and the key back, so the reverse proxy is not masked.
  V1SystemConfigReverseProxyGet: ({ core }) => ({ status: 200, body: structuredClone(core.state.system.reverseProxy ?? {}) }),
  V1SystemConfigReverseProxyUpdate: ({ core, body }) => {
    core.state.system.reverseProxy = structuredClone(obj(body));
    return NO_CONTENT;
  },
};

// ---------------------------------------------------------------- Palette's STS identity and AWS validation

function stsIdentity(core: EmulatorCore, partition: string): { accountId: string; principal?: StsPrincipal } {
  if (core.mode === 'saas') {
    return { accountId: core.saasPrincipal?.accountId ?? core.saasAccountId, ...(core.saasPrincipal ? { principal: core.saasPrincipal } : {}) };
  }
  const cfg = partition === 'aws-us-gov' ? core.state.system.govStsAccount : core.state.system.stsAccount;
  if (!cfg?.accountId) {
    const path = partition === 'aws-us-gov' ? '/v1/system/config/awsgov/sts/account' : '/v1/system/config/aws/sts/account';
    throw new PaletteError(400, 'StsNotConfigured', `STS is not configured on this instance: a system administrator must configure ${path} first`, { partition });
  }
  const principal =
    cfg.accessKey && cfg.secretKey ? { accountId: cfg.accountId, accessKeyId: cfg.accessKey, secretAccessKey: cfg.secretKey } : undefined;
  return { accountId: cfg.accountId, ...(principal ? { principal } : {}) };
}

function awsTarget(core: EmulatorCore): AwsTarget {
  if (!core.aws) throw new PaletteError(500, 'AwsNotConnected', 'the Palette emulator was started without an AWS sandbox endpoint');
  return core.aws;
}

async function stsCredentials(ctx: OpContext, creds: Extract<checks.AwsCreds, { type: 'sts' }>, errorCode: string) {
  const { principal } = stsIdentity(ctx.core, creds.partition);
  if (!principal) {
    throw ctx.core.mode === 'saas'
      ? new PaletteError(500, 'AwsNotConnected', "the Palette emulator has no STS principal (start it with the AWS sandbox's SaaS account)")
      : new PaletteError(400, 'StsNotConfigured', 'STS is not configured on this instance: the system STS account has no access key');
  }
  const externalId = creds.externalId ?? ctx.core.state.externalId(tenantOf(ctx), creds.partition);
  return assumeRole(awsTarget(ctx.core), principal, creds.arn, externalId, errorCode);
}

const stsHandlers: Record<string, Handler> = {
  V1AwsAccountStsGet: (ctx) => {
    const partition = typeof ctx.query.partition === 'string' ? ctx.query.partition : 'aws';
    const { accountId } = stsIdentity(ctx.core, partition);
    return { status: 200, body: { accountId, externalId: ctx.core.state.externalId(tenantOf(ctx), partition), partition } };
  },
  V1AwsAccountValidate: async (ctx) => {
    const creds = checks.awsCredentials(ctx.body);
    // The credentials, then the principal's permissions to deploy clusters (aws-checks.ts checkClusterPermissions).
    if (creds.type === 'sts') {
      await stsCredentials(ctx, creds, 'AwsAccountValidationFailed');
      await checkClusterPermissions(awsTarget(ctx.core), creds.arn, 'AwsAccountValidationFailed');
    } else if (creds.type === 'secret') {
      const identity = await callerIdentity(awsTarget(ctx.core), { accessKeyId: creds.accessKey, secretAccessKey: creds.secretKey }, 'AwsAccountValidationFailed');
      await checkClusterPermissions(awsTarget(ctx.core), identity.arn, 'AwsAccountValidationFailed');
    }
    // pod-identity: only the structure is checked (the role is assumed by an EKS pod, not by Palette).
    return NO_CONTENT;
  },
  V1AwsPolicyArnsValidate: (ctx) => {
    const b = obj(ctx.body);
    checks.awsCredentials(b.account, 'account.');
    checks.policyArns(b.policyArns, 'policyArns');
    if (typeof ctx.query.cloudAccountUid === 'string' && ctx.query.cloudAccountUid !== '') {
      ctx.core.store.get(scopeOf(ctx), 'awsAccount', ctx.query.cloudAccountUid);
    }
    return NO_CONTENT;
  },
  V1AwsS3Validate: async (ctx) => {
    const b = obj(ctx.body);
    const bucket = String(b.bucket);
    checks.s3BucketName(bucket, 'bucket');
    const region = String(b.region);
    if (region.trim() === '') throw badRequest('region', 'is required');
    const creds = checks.awsCredentials(b.credentials, 'credentials.');
    if (creds.type === 'pod-identity') {
      throw badRequest('credentials.credentialType', 'pod-identity credentials cannot be used to validate a bucket');
    }
    // Terraform sends a custom S3 URL (MinIO) in `folder`; a URL there is used as the S3 endpoint.
    const folder = typeof b.folder === 'string' ? b.folder.trim() : '';
    const isUrl = /^https?:\/\//i.test(folder);
    const prefix = folder !== '' && !isUrl ? `${folder.replace(/^\/+|\/+$/g, '')}/` : '';
    const target = awsTarget(ctx.core);
    const awsCreds =
      creds.type === 'sts'
        ? await stsCredentials(ctx, creds, 'AwsS3ValidationFailed')
        : { accessKeyId: creds.accessKey, secretAccessKey: creds.secretKey };
    await probeBucket(target, awsCreds, bucket, region, prefix, 'AwsS3ValidationFailed', isUrl ? folder : undefined);
    return NO_CONTENT;
  },
  V1GcpBucketNameValidate: ({ body }) => {
    const b = obj(body);
    checks.gcsBucketName(String(b.bucketName), 'bucketName');
    checks.gcpJsonCredentials(obj(b.credentials).jsonCredentials, 'credentials.jsonCredentials');
    return NO_CONTENT;
  },
  V1GcpAccountValidate: ({ body }) => {
    checks.gcpJsonCredentials(obj(obj(body).spec).jsonCredentials, 'spec.jsonCredentials');
    return NO_CONTENT;
  },
  V1AzureAccountValidate: ({ body }) => {
    checks.azureCredentials(body, '', { tenant: 'tenantId', client: 'clientId', secret: 'clientSecret' });
    return NO_CONTENT;
  },
};

// ---------------------------------------------------------------- cloud accounts

function awsAccountSpec(spec: Json): Json {
  const out = structuredClone(spec);
  out.credentialType ??= 'secret';
  out.partition ??= 'aws';
  checks.awsCredentials(out, 'spec.');
  if (out.policyARNs !== undefined) checks.policyArns(out.policyARNs, 'spec.policyARNs');
  return out;
}

function azureAccountSpec(spec: Json): Json {
  const out = structuredClone(spec);
  out.azureEnvironment ??= 'AzurePublicCloud';
  return out;
}

/**
 * A cloud account links to a private cloud gateway with the `overlordUid` annotation (Go SDK account_azure.go); the
 * emulator refuses one that names no gateway of the tenant (404 naming the annotation: catches a gateway NAME sent
 * where its uid belongs). Whether Palette itself checks it is unconfirmed (the SDKs check the gateway first). An
 * empty value (Terraform sends `overlordUid: ""`) means none.
 */
function checkOverlordAnnotation(tenant: Tenant, meta: MetaInput | undefined): void {
  const uid = obj(meta?.annotations).overlordUid;
  if (typeof uid !== 'string' || uid === '') return;
  if (!tenant.gateways.some((g) => g.uid === uid)) {
    throw new PaletteError(404, 'ResourceNotFound', `metadata.annotations.overlordUid: private cloud gateway '${uid}' not found in tenant ${tenant.uid}`, {
      field: 'metadata.annotations.overlordUid',
      uid,
    });
  }
}

function cloudAccountHandlers(prefix: 'Aws' | 'Azure', collection: 'awsAccount' | 'azureAccount', prepare: (s: Json) => Json): Record<string, Handler> {
  return {
    [`v1CloudAccounts${prefix}List`]: (ctx) => {
      const items = ctx.core.store.inScope(scopeOf(ctx), collection).map(cloudAccountView);
      return { status: 200, body: page(filterAndOrder(items, ctx.query), ctx.query) };
    },
    [`v1CloudAccounts${prefix}Create`]: (ctx) => {
      const { meta, spec } = bodySpec(ctx);
      requireName(meta);
      checkOverlordAnnotation(tenantOf(ctx), meta);
      const r = ctx.core.store.create(scopeOf(ctx), collection, meta, prepare(spec));
      return { status: 201, body: { uid: r.uid } };
    },
    [`v1CloudAccounts${prefix}Get`]: (ctx) => ({
      status: 200,
      body: cloudAccountView(ctx.core.store.get(scopeOf(ctx), collection, uidParam(ctx))),
    }),
    [`v1CloudAccounts${prefix}Update`]: (ctx) => {
      const r = ctx.core.store.get(scopeOf(ctx), collection, uidParam(ctx));
      const { meta, spec } = bodySpec(ctx);
      checkOverlordAnnotation(tenantOf(ctx), meta);
      // A masked secret sent back (GET then PUT) keeps the stored value (ResourceStore.update).
      ctx.core.store.update(r, meta, prepare(spec));
      return NO_CONTENT;
    },
    [`v1CloudAccounts${prefix}Delete`]: (ctx) => {
      const scope = scopeOf(ctx);
      ctx.core.store.remove(scope, ctx.core.store.get(scope, collection, uidParam(ctx)));
      return NO_CONTENT;
    },
  };
}

// ---------------------------------------------------------------- SSH keys

function sshView(r: Resource): Json {
  return { metadata: metaView(r, r.scope), spec: { publicKey: r.spec.publicKey } };
}

const sshHandlers: Record<string, Handler> = {
  v1UsersAssetsSshGet: (ctx) => ({
    status: 200,
    body: { items: filterAndOrder(ctx.core.store.inScope(scopeOf(ctx), 'sshKey').map(sshView), ctx.query) },
  }),
  v1UserAssetsSshCreate: (ctx) => {
    const { meta, spec } = bodySpec(ctx);
    requireName(meta);
    checks.sshPublicKey(spec.publicKey, 'spec.publicKey');
    const r = ctx.core.store.create(scopeOf(ctx), 'sshKey', meta, { publicKey: String(spec.publicKey).trim() });
    return { status: 201, body: { uid: r.uid } };
  },
  v1UsersAssetSshGetUid: (ctx) => ({ status: 200, body: sshView(ctx.core.store.get(scopeOf(ctx), 'sshKey', uidParam(ctx))) }),
  v1UsersAssetSshUpdate: (ctx) => {
    const r = ctx.core.store.get(scopeOf(ctx), 'sshKey', uidParam(ctx));
    const { meta, spec } = bodySpec(ctx);
    checks.sshPublicKey(spec.publicKey, 'spec.publicKey');
    ctx.core.store.update(r, meta, { publicKey: String(spec.publicKey).trim() });
    return NO_CONTENT;
  },
  v1UsersAssetSshDelete: (ctx) => {
    const scope = scopeOf(ctx);
    ctx.core.store.remove(scope, ctx.core.store.get(scope, 'sshKey', uidParam(ctx)));
    return NO_CONTENT;
  },
};

// ---------------------------------------------------------------- API keys

export const DEFAULT_API_KEY_LIFETIME_MS = 30 * 24 * 3600 * 1000;

function apiKeyView(tenant: Tenant, k: ApiKeyRecord): Json {
  const user = tenant.users.find((u) => u.uid === k.userUid);
  return {
    metadata: metaView(k),
    spec: { expiry: iso(k.expiry), user: { uid: k.userUid, firstName: user?.firstName ?? '', lastName: user?.lastName ?? '' } },
    status: { isActive: k.isActive },
  };
}

function findKey(ctx: OpContext): ApiKeyRecord {
  const uid = uidParam(ctx);
  const k = tenantOf(ctx).apiKeys.find((x) => x.uid === uid);
  if (!k) throw notFound('API key', uid);
  return k;
}

function expiryOf(value: unknown, now: number): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = Date.parse(value);
  if (ms <= now) throw badRequest('spec.expiry', 'must be in the future');
  return ms;
}

function setActive(ctx: OpContext): OpResult {
  const k = findKey(ctx);
  // Go decodes a missing boolean as false, so an empty body deactivates the key (as Palette would).
  k.isActive = obj(ctx.body).isActive === true;
  k.modifiedAt = ctx.core.now();
  return NO_CONTENT;
}

const apiKeyHandlers: Record<string, Handler> = {
  v1ApiKeysList: (ctx) => {
    const t = tenantOf(ctx);
    return { status: 200, body: { items: t.apiKeys.map((k) => apiKeyView(t, k)) } };
  },
  v1ApiKeysCreate: (ctx) => {
    const t = tenantOf(ctx);
    const b = obj(ctx.body);
    const meta = obj(b.metadata) as MetaInput;
    const name = requireName(meta);
    if (t.apiKeys.some((k) => k.name === name)) {
      throw new PaletteError(409, 'DuplicateName', `an API key named '${name}' already exists in tenant ${t.uid}`, { name });
    }
    const spec = obj(b.spec);
    const now = ctx.core.now();
    let userUid = ctx.principal?.kind === 'tenant' ? ctx.principal.user.uid : (t.users[0]?.uid ?? '');
    if (typeof spec.userUid === 'string' && spec.userUid !== '') {
      // The Go SDK sends the tenant uid here; the emulator accepts it as "the tenant admin".
      const owner = spec.userUid === t.uid ? t.users[0] : t.users.find((u) => u.uid === spec.userUid);
      if (!owner) throw new PaletteError(404, 'ResourceNotFound', `spec.userUid: user '${spec.userUid}' not found`, { field: 'spec.userUid' });
      userUid = owner.uid;
    }
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj(meta.annotations))) if (typeof v === 'string') annotations[k] = v;
    const key: ApiKeyRecord = {
      uid: ctx.core.state.ids.uid(),
      name,
      annotations,
      labels: {},
      value: ctx.core.state.ids.apiKeyValue(),
      userUid,
      expiry: expiryOf(spec.expiry, now) ?? now + DEFAULT_API_KEY_LIFETIME_MS,
      isActive: true,
      createdAt: now,
      modifiedAt: now,
    };
    t.apiKeys.push(key);
    return { status: 201, body: { apiKey: key.value, uid: key.uid } };
  },
  v1ApiKeysUidGet: (ctx) => ({ status: 200, body: apiKeyView(tenantOf(ctx), findKey(ctx)) }),
  v1ApiKeysUidUpdate: (ctx) => {
    const k = findKey(ctx);
    const b = obj(ctx.body);
    const meta = obj(b.metadata);
    if (typeof meta.name === 'string' && meta.name !== '' && meta.name !== k.name) {
      throw badRequest('metadata.name', `cannot be updated (is '${k.name}')`);
    }
    if (meta.annotations !== undefined) {
      k.annotations = {};
      for (const [key, v] of Object.entries(obj(meta.annotations))) if (typeof v === 'string') k.annotations[key] = v;
    }
    const expiry = expiryOf(obj(b.spec).expiry, ctx.core.now());
    if (expiry !== undefined) k.expiry = expiry;
    k.modifiedAt = ctx.core.now();
    return NO_CONTENT;
  },
  v1ApiKeysUidDelete: (ctx) => {
    const t = tenantOf(ctx);
    const k = findKey(ctx);
    t.apiKeys.splice(t.apiKeys.indexOf(k), 1);
    return NO_CONTENT;
  },
  v1ApiKeysUidActiveState: setActive,
  v1ApiKeysUidState: setActive,
};

// ---------------------------------------------------------------- backup locations

const S3_LIKE: LocationType[] = ['s3', 'minio'];
const PATH_TYPES: Record<string, LocationType[]> = { s3: S3_LIKE, minio: S3_LIKE, aws: S3_LIKE, gcp: ['gcp'], azure: ['azure'] };

function locationSpec(type: LocationType, spec: Json): Json {
  const out = structuredClone(spec);
  const config = obj(out.config);
  if (type === 's3' || type === 'minio') {
    checks.s3BucketName(String(config.bucketName), 'spec.config.bucketName');
    const creds = checks.awsCredentials(config.credentials, 'spec.config.credentials.');
    checks.optionalEndpointUrl(config.s3Url, 'spec.config.s3Url');
    checks.optionalPemCertificates(config.caCert, 'spec.config.caCert');
    if (type === 'minio') {
      if (typeof config.s3Url !== 'string' || config.s3Url === '') throw badRequest('spec.config.s3Url', 'is required for MinIO locations');
      if (creds.type !== 'secret') throw badRequest('spec.config.credentials.credentialType', 'MinIO locations support only secret credentials');
    }
  } else if (type === 'gcp') {
    const json = obj(config.credentials).jsonCredentials;
    if (typeof json !== 'string' || json === '') throw badRequest('spec.config.credentials.jsonCredentials', 'is required');
  } else {
    const c = obj(config.credentials);
    for (const k of ['tenantId', 'clientId', 'clientSecret']) {
      if (typeof c[k] !== 'string' || c[k] === '') throw badRequest(`spec.config.credentials.${k}`, 'is required');
    }
  }
  out.type = typeof out.type === 'string' && out.type !== '' ? out.type : type;
  out.isDefault = out.isDefault === true;
  return out;
}

function makeDefault(store: ResourceStore, scope: ScopeRef, r: Resource): void {
  for (const other of store.inScope(scope, 'location')) other.spec.isDefault = other === r;
}

function locationView(r: Resource): Json {
  return { metadata: { name: r.name, annotations: metaView(r, r.scope).annotations, ...(Object.keys(r.labels).length ? { labels: r.labels } : {}) }, spec: maskedSpec(r) };
}

function locationListView(r: Resource): Json {
  const spec: Json = { isDefault: r.spec.isDefault === true, type: r.spec.type };
  // v1LocationType enumerates only s3, gcp and minio: Azure locations report no storage value.
  if (r.locationType !== 'azure') spec.storage = r.locationType;
  return { metadata: metaView(r, r.scope), spec };
}

function locationHandlers(type: LocationType, op: string, withDelete: boolean): Record<string, Handler> {
  const accepts = (r: Resource) => r.locationType !== undefined && (PATH_TYPES[type] ?? []).includes(r.locationType);
  const handlers: Record<string, Handler> = {
    [`v1UsersAssetsLocation${op}Create`]: (ctx) => {
      const { meta, spec } = bodySpec(ctx);
      requireName(meta);
      const scope = scopeOf(ctx);
      const r = ctx.core.store.create(scope, 'location', meta, locationSpec(type, spec), type);
      if (r.spec.isDefault === true) makeDefault(ctx.core.store, scope, r);
      return { status: 201, body: { uid: r.uid } };
    },
    [`v1UsersAssetsLocation${op}Get`]: (ctx) => ({
      status: 200,
      body: locationView(ctx.core.store.get(scopeOf(ctx), 'location', uidParam(ctx), accepts)),
    }),
    [`v1UsersAssetsLocation${op}Update`]: (ctx) => {
      const scope = scopeOf(ctx);
      const r = ctx.core.store.get(scope, 'location', uidParam(ctx), accepts);
      const { meta, spec } = bodySpec(ctx);
      ctx.core.store.update(r, meta, locationSpec(r.locationType ?? type, spec));
      if (r.spec.isDefault === true) makeDefault(ctx.core.store, scope, r);
      return NO_CONTENT;
    },
  };
  if (withDelete) {
    // Terraform deletes every location type through this path, so it accepts any type.
    handlers[`v1UsersAssetsLocation${op}Delete`] = (ctx) => {
      const scope = scopeOf(ctx);
      ctx.core.store.remove(scope, ctx.core.store.get(scope, 'location', uidParam(ctx)));
      return NO_CONTENT;
    };
  }
  return handlers;
}

const locationCommon: Record<string, Handler> = {
  v1UsersAssetsLocationGet: (ctx) => ({
    status: 200,
    body: { items: filterAndOrder(ctx.core.store.inScope(scopeOf(ctx), 'location').map(locationListView), ctx.query) },
  }),
  v1UsersAssetsLocationDelete: (ctx) => {
    const scope = scopeOf(ctx);
    ctx.core.store.remove(scope, ctx.core.store.get(scope, 'location', uidParam(ctx)));
    return NO_CONTENT;
  },
  v1UsersAssetsLocationDefaultUpdate: (ctx) => {
    const type = ctx.params.type ?? '';
    const allowed = PATH_TYPES[type];
    if (!allowed) throw badRequest('type', `must be one of ${Object.keys(PATH_TYPES).join(', ')}`);
    const scope = scopeOf(ctx);
    const uid = uidParam(ctx);
    const r = scope.tenant.resources.find((x) => x.collection === 'location' && x.scope === scope.key && x.uid === uid);
    if (!r) throw notFound('backup location', uid);
    if (!r.locationType || !allowed.includes(r.locationType)) {
      throw badRequest('type', `backup location '${uid}' is a ${r.locationType ?? 'unknown'} location, not ${type}`);
    }
    makeDefault(ctx.core.store, scope, r);
    r.modifiedAt = ctx.core.now();
    return NO_CONTENT;
  },
};

// ---------------------------------------------------------------- clusters (spec/supplement.json; read-only)

const clusterHandlers: Record<string, Handler> = {
  // The filter and sort of the body (already checked against v1SearchFilterSummarySpec) are not applied: every
  // cluster the scope sees is listed, paged like the cloud-account lists.
  v1SpectroClustersSearchFilterSummary: (ctx) => {
    const scope = scopeOf(ctx);
    return { status: 200, body: page(visibleClusters(scope).map((c) => clusterSummaryView(scope.tenant, c)), ctx.query) };
  },
  v1ClusterFeatureBackupGet: (ctx) => ({ status: 200, body: clusterBackupView(visibleCluster(scopeOf(ctx), uidParam(ctx))) }),
};

// ---------------------------------------------------------------- private cloud gateways (spec/supplement.json; read-only)

const gatewayHandlers: Record<string, Handler> = {
  v1OverlordsList: (ctx) => ({ status: 200, body: gatewayList(tenantOf(ctx), ctx.query.name) }),
  v1OverlordsUidGet: (ctx) => {
    const tenant = tenantOf(ctx);
    return { status: 200, body: gatewayView(tenant, tenantGateway(tenant, uidParam(ctx))) };
  },
};

export const HANDLERS: Record<string, Handler> = {
  'x-inferred-SysLogin': sysLogin,
  v1Authenticate: authenticate,
  v1AuthRefresh: refresh,
  ...systemHandlers,
  ...stsHandlers,
  ...cloudAccountHandlers('Aws', 'awsAccount', awsAccountSpec),
  ...cloudAccountHandlers('Azure', 'azureAccount', azureAccountSpec),
  ...sshHandlers,
  ...apiKeyHandlers,
  ...locationCommon,
  ...locationHandlers('s3', 'S3', true),
  ...locationHandlers('minio', 'Minio', false),
  ...locationHandlers('gcp', 'Gcp', false),
  ...locationHandlers('azure', 'Azure', false),
  ...clusterHandlers,
  ...gatewayHandlers,
};
