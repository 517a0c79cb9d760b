/**
 * AWS Secrets Manager for the local sandbox (AWS JSON 1.1: POST /, X-Amz-Target: secretsmanager.<Op>).
 *
 * Secrets live per account and per region. Every operation is authorized through the kernel with
 * its IAM action (root of the owning account short-circuits unless the secret has a resource
 * policy). The resource is the secret's ARN; for a secret that does not exist (or CreateSecret)
 * it is the ARN the secret would have — for CreateSecret the full ARN including the random
 * suffix it is about to get, so policies written as `secret:name-??????`, `secret:name-*` or
 * `secret:prefix/*` behave as on AWS. Authorization happens before the existence check, so a
 * principal without access cannot probe which secrets exist. Secret values never appear in
 * error messages.
 */
import { randomUUID } from 'node:crypto';
import { AwsError } from '../../core/errors';
import { jsonOperationHandler, targetOperation } from '../../core/protocol';
import type {
  AuthzDecision,
  Principal,
  SandboxKernel,
  SandboxRequest,
  SandboxResponse,
  SandboxService,
} from '../../core/types';
import { FILTER_KEYS, matchesFilters, type FilterKey, type SecretFilter } from './filters';
import { Input, parseJsonBody, type JsonObject, type Tag } from './input';
import {
  SecretStore,
  addVersion,
  isScheduledForDeletion,
  lastAccessDay,
  sameValue,
  valueOf,
  versionsToStages,
  type SecretRecord,
  type SecretValue,
  type SecretVersion,
} from './store';

const TARGET_PREFIX = 'secretsmanager.';
const DAY_MS = 86_400_000;
const DEFAULT_PAGE = 100;
const MAX_VALUE_BYTES = 65_536;

const NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]+$/;
/** Lookups also accept "!" (names of secrets managed by other services, e.g. "rds!cluster-..."). */
const SECRET_ID_PATTERN = /^[A-Za-z0-9/_+=.@!-]+$/;
const ARN_PATTERN = /^arn:aws:secretsmanager:([a-z0-9-]+):(\d{12}):secret:(.+)$/;
const FILTER_VALUE_PATTERN = /^\!?[a-zA-Z0-9 :_@\/\+\=\.\-\!]*$/;

const MSG = {
  invalidName:
    'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
  notFound: "Secrets Manager can't find the specified secret.",
  markedForDeletion: "You can't perform this operation on the secret because it was marked for deletion.",
  createWhileDeleting: "You can't create this secret because a secret with this name is already scheduled for deletion.",
  bothValues: "You can't specify both a binary secret value and a string secret value in the same secret.",
  noValue: 'You must provide either SecretString or SecretBinary.',
  recoveryRange: 'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).',
  recoveryConflict: "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
  stageMismatch: 'You provided a VersionStage that is not associated to the provided VersionId.',
  badNextToken: 'The NextToken value is not valid.',
  malformedPolicy: 'This resource policy contains a syntax error.',
  replication: 'Replicating secrets to other Regions is not supported by this sandbox.',
} as const;

interface Ctx {
  principal: Principal;
  /** The caller's account. */
  accountId: string;
  region: string;
  now: number;
}

interface Located {
  accountId: string;
  region: string;
  secret: SecretRecord | undefined;
  /** The secret's ARN, or what it is called in the request when it does not exist. */
  arn: string;
}

type Handler = (ctx: Ctx, input: Input) => Promise<JsonObject>;
type Context = Record<string, string | string[]>;

const secs = (ms: number): number => ms / 1000;
const notFound = (): AwsError => new AwsError('ResourceNotFoundException', MSG.notFound, 400);
const invalidParameter = (m: string): AwsError => new AwsError('InvalidParameterException', m, 400);
const invalidRequest = (m: string): AwsError => new AwsError('InvalidRequestException', m, 400);

function isFilterKey(k: string | undefined): k is FilterKey {
  return k !== undefined && (FILTER_KEYS as readonly string[]).includes(k);
}

function toValue(secretString: string | undefined, secretBinary: string | undefined): SecretValue | undefined {
  if (secretString !== undefined && secretBinary !== undefined) throw invalidParameter(MSG.bothValues);
  if (secretString !== undefined) return { kind: 'string', value: secretString };
  if (secretBinary !== undefined) return { kind: 'binary', base64: secretBinary };
  return undefined;
}

function valueFields(v: SecretVersion): JsonObject {
  return v.secretString !== undefined ? { SecretString: v.secretString } : { SecretBinary: v.secretBinary };
}

function resourceTagContext(secret: SecretRecord | undefined): Context {
  const out: Context = {};
  for (const t of secret?.tags ?? []) {
    out[`aws:ResourceTag/${t.Key}`] = t.Value;
    out[`secretsmanager:ResourceTag/${t.Key}`] = t.Value;
  }
  return out;
}

function requestTagContext(tags: readonly Tag[]): Context {
  if (tags.length === 0) return {};
  const out: Context = { 'aws:TagKeys': tags.map((t) => t.Key) };
  for (const t of tags) out[`aws:RequestTag/${t.Key}`] = t.Value;
  return out;
}

function mergeTags(current: readonly Tag[], added: readonly Tag[]): Tag[] {
  const byKey = new Map(current.map((t) => [t.Key, { ...t }]));
  for (const t of added) byKey.set(t.Key, { ...t });
  return [...byKey.values()];
}

function describe(s: SecretRecord, stagesMember: 'VersionIdsToStages' | 'SecretVersionsToStages'): JsonObject {
  return {
    ARN: s.arn,
    Name: s.name,
    Description: s.description,
    KmsKeyId: s.kmsKeyId,
    LastChangedDate: secs(s.lastChangedDate),
    LastAccessedDate: s.lastAccessedDate === undefined ? undefined : secs(s.lastAccessedDate),
    DeletedDate: s.deletionDate === undefined ? undefined : secs(s.deletionDate),
    Tags: s.tags.length > 0 ? s.tags.map((t) => ({ ...t })) : undefined,
    [stagesMember]: versionsToStages(s),
    CreatedDate: secs(s.createdDate),
  };
}

function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

function decodeToken(token: string | undefined): number {
  if (token === undefined) return 0;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'o' in parsed) {
      const o = parsed.o;
      if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return o;
    }
  } catch {
    // fall through
  }
  throw new AwsError('InvalidNextTokenException', MSG.badNextToken, 400);
}

function page<T>(items: readonly T[], maxResults: number | undefined, nextToken: string | undefined) {
  const start = decodeToken(nextToken);
  const end = start + (maxResults ?? DEFAULT_PAGE);
  return { items: items.slice(start, end), nextToken: end < items.length ? encodeToken(end) : undefined };
}

function accessDenied(principal: Principal, action: string, shown: string, d: AuthzDecision, crossAccount: boolean) {
  const reason =
    d.reason === 'ExplicitDeny'
      ? 'with an explicit deny'
      : `because no ${crossAccount ? 'resource-based' : 'identity-based'} policy allows the ${action} action`;
  return new AwsError(
    'AccessDeniedException',
    `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${shown} ${reason}`,
    400,
  );
}

export class SecretsManagerService implements SandboxService {
  readonly name = 'secretsmanager' as const;
  readonly protocol = 'json' as const;
  private readonly store = new SecretStore();
  private readonly operations: Record<string, Handler> = {
    CreateSecret: (c, i) => this.createSecret(c, i),
    GetSecretValue: (c, i) => this.getSecretValue(c, i),
    PutSecretValue: (c, i) => this.putSecretValue(c, i),
    DescribeSecret: (c, i) => this.describeSecret(c, i),
    UpdateSecret: (c, i) => this.updateSecret(c, i),
    ListSecrets: (c, i) => this.listSecrets(c, i),
    ListSecretVersionIds: (c, i) => this.listSecretVersionIds(c, i),
    TagResource: (c, i) => this.tagResource(c, i),
    UntagResource: (c, i) => this.untagResource(c, i),
    DeleteSecret: (c, i) => this.deleteSecret(c, i),
    RestoreSecret: (c, i) => this.restoreSecret(c, i),
    PutResourcePolicy: (c, i) => this.putResourcePolicy(c, i),
    GetResourcePolicy: (c, i) => this.getResourcePolicy(c, i),
    DeleteResourcePolicy: (c, i) => this.deleteResourcePolicy(c, i),
  };

  constructor(private readonly kernel: SandboxKernel) {}

  operationName(req: SandboxRequest): string {
    return targetOperation(req.headers, TARGET_PREFIX);
  }

  async handle(req: SandboxRequest): Promise<SandboxResponse> {
    const op = this.operationName(req);
    const handler = jsonOperationHandler(this.operations, op, req.method);
    const now = this.kernel.now();
    this.store.purgeExpired(now);
    const input = new Input(parseJsonBody(req.body));
    const ctx: Ctx = { principal: req.principal, accountId: req.principal.accountId, region: req.region, now };
    const out = await handler(ctx, input);
    return {
      status: 200,
      headers: { 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify(out),
    };
  }

  snapshot(): unknown {
    this.store.purgeExpired(this.kernel.now());
    return this.store.snapshot();
  }

  restore(data: unknown): void {
    this.store.restore(data);
  }

  inventory(accountId: string): Record<string, string[]> {
    this.store.purgeExpired(this.kernel.now());
    const secrets = this.store
      .list(accountId)
      .map((s) => `${s.region}/${s.name}${isScheduledForDeletion(s) ? ' (scheduled for deletion)' : ''}`)
      .sort();
    return { secrets };
  }

  // ---------------------------------------------------------------- lookup and authorization

  private locate(ctx: Ctx, secretId: string): Located {
    const arn = ARN_PATTERN.exec(secretId);
    if (arn) {
      const [, region = '', accountId = '', rest = ''] = arn;
      const secret =
        region === ctx.region
          ? (this.store.byArn(accountId, region, secretId) ?? this.store.get(accountId, region, rest))
          : undefined;
      return { accountId, region, secret, arn: secret?.arn ?? secretId };
    }
    if (!SECRET_ID_PATTERN.test(secretId)) throw new AwsError('ValidationException', MSG.invalidName, 400);
    const secret = this.store.get(ctx.accountId, ctx.region, secretId);
    return {
      accountId: ctx.accountId,
      region: ctx.region,
      secret,
      arn: secret?.arn ?? `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${secretId}`,
    };
  }

  private async authorize(
    ctx: Ctx,
    action: string,
    target: { arn: string; accountId: string; shown: string; resourcePolicy?: string | undefined },
    context: Context,
  ): Promise<void> {
    const { principal } = ctx;
    const iam = `secretsmanager:${action}`;
    if (principal.kind === 'root' && principal.accountId === target.accountId && target.resourcePolicy === undefined) {
      return;
    }
    const decision = await this.kernel.authorize({
      principal,
      action: iam,
      resource: target.arn,
      resourceAccount: target.accountId,
      ...(target.resourcePolicy === undefined ? {} : { resourcePolicy: target.resourcePolicy }),
      context,
    });
    if (!decision.allowed) {
      throw accessDenied(principal, iam, target.shown, decision, principal.accountId !== target.accountId);
    }
  }

  /**
   * Resolves SecretId, authorizes `action` on it, then requires it to exist and (unless
   * `allowDeleted`) not to be scheduled for deletion.
   */
  private async existing(
    ctx: Ctx,
    secretId: string,
    action: string,
    opts: { allowDeleted?: boolean; context?: Context } = {},
  ): Promise<SecretRecord> {
    const loc = this.locate(ctx, secretId);
    await this.authorize(
      ctx,
      action,
      { arn: loc.arn, accountId: loc.accountId, shown: secretId, resourcePolicy: loc.secret?.resourcePolicy },
      { 'secretsmanager:SecretId': loc.arn, ...resourceTagContext(loc.secret), ...opts.context },
    );
    if (!loc.secret) throw notFound();
    if (!opts.allowDeleted && isScheduledForDeletion(loc.secret)) throw invalidRequest(MSG.markedForDeletion);
    return loc.secret;
  }

  private readSecretValue(input: Input): { secretString?: string; secretBinary?: string } {
    const secretString = input.string('SecretString', { max: MAX_VALUE_BYTES, sensitive: true });
    const secretBinary = input.blob('SecretBinary', { max: MAX_VALUE_BYTES, sensitive: true });
    return { secretString, secretBinary };
  }

  // ---------------------------------------------------------------- operations

  private async createSecret(ctx: Ctx, input: Input): Promise<JsonObject> {
    const name = input.string('Name', { required: true, min: 1, max: 512 }) ?? '';
    const token = input.string('ClientRequestToken', { min: 32, max: 64 });
    const description = input.string('Description', { max: 2048 });
    const kmsKeyId = input.string('KmsKeyId', { max: 2048 });
    const raw = this.readSecretValue(input);
    const tags = input.tags('Tags') ?? [];
    const replicas = input.structList('AddReplicaRegions', {}, (el) => el.string('Region'));
    input.done();
    if (!NAME_PATTERN.test(name)) throw new AwsError('ValidationException', MSG.invalidName, 400);
    const value = toValue(raw.secretString, raw.secretBinary);
    if (replicas && replicas.length > 0) throw invalidParameter(MSG.replication);

    const existing = this.store.get(ctx.accountId, ctx.region, name);
    const arn =
      existing?.arn ??
      `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${name}-${this.kernel.randomId('', 6)}`;
    const target = { arn, accountId: ctx.accountId, shown: name, resourcePolicy: existing?.resourcePolicy };
    const context: Context = {
      'secretsmanager:Name': name,
      ...(description === undefined ? {} : { 'secretsmanager:Description': description }),
      ...(kmsKeyId === undefined ? {} : { 'secretsmanager:KmsKeyId': kmsKeyId }),
      ...requestTagContext(tags),
    };
    await this.authorize(ctx, 'CreateSecret', target, context);
    if (tags.length > 0) await this.authorize(ctx, 'TagResource', target, context);

    if (existing) {
      if (isScheduledForDeletion(existing)) throw invalidRequest(MSG.createWhileDeleting);
      // A retry of the same CreateSecret (same token, same value) is answered, not rejected.
      if (token !== undefined && existing.creationToken === token) {
        const first = existing.versions.find((v) => v.versionId === token);
        if (sameValue(first && valueOf(first), value)) {
          return { ARN: existing.arn, Name: existing.name, VersionId: first?.versionId };
        }
      }
      throw new AwsError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`, 400);
    }

    const secret: SecretRecord = {
      accountId: ctx.accountId,
      region: ctx.region,
      name,
      arn,
      ...(description === undefined ? {} : { description }),
      ...(kmsKeyId === undefined ? {} : { kmsKeyId }),
      tags: mergeTags([], tags),
      ...(token === undefined ? {} : { creationToken: token }),
      createdDate: ctx.now,
      lastChangedDate: ctx.now,
      versions: [],
    };
    let versionId: string | undefined;
    if (value) versionId = addVersion(secret, token ?? randomUUID(), value, ['AWSCURRENT'], ctx.now).version.versionId;
    this.store.put(secret);
    return { ARN: secret.arn, Name: secret.name, VersionId: versionId };
  }

  private async getSecretValue(ctx: Ctx, input: Input): Promise<JsonObject> {
    const secretId = input.string('SecretId', { required: true, min: 1, max: 2048 }) ?? '';
    const versionId = input.string('VersionId', { min: 32, max: 64 });
    const versionStage = input.string('VersionStage', { min: 1, max: 256 });
    input.done();
    const context: Context = {
      ...(versionId === undefined ? {} : { 'secretsmanager:VersionId': versionId }),
      ...(versionStage === undefined ? {} : { 'secretsmanager:VersionStage': versionStage }),
    };
    const secret = await this.existing(ctx, secretId, 'GetSecretValue', { context });

    let version: SecretVersion | undefined;
    if (versionId !== undefined) {
      version = secret.versions.find((v) => v.versionId === versionId);
      if (!version) {
        throw new AwsError(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
          400,
        );
      }
      if (versionStage !== undefined && !version.stages.includes(versionStage)) {
        throw invalidRequest(MSG.stageMismatch);
      }
    } else {
      const stage = versionStage ?? 'AWSCURRENT';
      version = secret.versions.find((v) => v.stages.includes(stage));
      if (!version) {
        throw new AwsError(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
          400,
        );
      }
    }
    secret.lastAccessedDate = lastAccessDay(ctx.now);
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      ...valueFields(version),
      VersionStages: [...version.stages],
      CreatedDate: secs(version.createdDate),
    };
  }

  private async putSecretValue(ctx: Ctx, input: Input): Promise<JsonObject> {
    const secretId = input.string('SecretId', { required: true, min: 1, max: 2048 }) ?? '';
    const token = input.string('ClientRequestToken', { min: 32, max: 64 });
    const raw = this.readSecretValue(input);
    const stages = input.stringList('VersionStages', { minItems: 1, maxItems: 20, item: { min: 1, max: 256 } });
    input.string('RotationToken', { min: 36, max: 256, sensitive: true });
    input.done();
    const value = toValue(raw.secretString, raw.secretBinary);
    if (!value) throw invalidParameter(MSG.noValue);
    const secret = await this.existing(ctx, secretId, 'PutSecretValue');
    const { version } = addVersion(secret, token ?? randomUUID(), value, stages ?? ['AWSCURRENT'], ctx.now);
    return { ARN: secret.arn, Name: secret.name, VersionId: version.versionId, VersionStages: [...version.stages] };
  }

  private async describeSecret(ctx: Ctx, input: Input): Promise<JsonObject> {
    const secretId = input.string('SecretId', { required: true, min: 1, max: 2048 }) ?? '';
    input.done();
    const secret = await this.existing(ctx, secretId, 'DescribeSecret', { allowDeleted: true });
    return describe(secret, 'VersionIdsToStages');
  }

  private async updateSecret(ctx: Ctx, input: Input): Promise<JsonObject> {
    const secretId = input.string('SecretId', { required: true, min: 1, max: 2048 }) ?? '';
    const token = input.string('ClientRequestToken', { min: 32, max: 64 });
    const description = input.string('Description', { max: 2048 });
    const kmsKeyId = input.string('KmsKeyId', { max: 2048 });
    const raw = this.readSecretValue(input);
    input.done();
    const value = toValue(raw.secretString, raw.secretBinary);
    const context: Context = {
      ...(description === undefined ? {} : { 'secretsmanager:Description': description }),
      ...(kmsKeyId === undefined ? {} : { 'secretsmanager:KmsKeyId': kmsKeyId }),
    };
    const secret = await this.existing(ctx, secretId, 'UpdateSecret', { context });
    let versionId: string | undefined;
    if (value) versionId = addVersion(secret, token ?? randomUUID(), value, ['AWSCURRENT'], ctx.now).version.versionId;
    if (description !== undefined) secret.description = description;
    if (kmsKeyId !== undefined) secret.kmsKeyId = kmsKeyId;
    secret.lastChangedDate = ctx.now;
    return { ARN: secret.arn, Name: secret.name, VersionId: versionId };
  }

  private async listSecrets(ctx: Ctx, input: Input): Promise<JsonObject> {
    const includeDeleted = input.boolean('IncludePlannedDeletion') ?? false;
    const maxResults = input.integer('MaxResults', { min: 1, max: 100 });
    const nextToken = input.string('NextToken', { min: 1, max: 4096 });
    const rawFilters =
      input.structList('Filters', { maxItems: 10 }, (el) => ({
        key: el.string('Key', { required: true, enumValues: FILTER_KEYS }),
        values: el.stringList('Values', {
          required: true,
          minItems: 1,
          maxItems: 10,
          item: { max: 512, pattern: FILTER_VALUE_PATTERN },
        }),
      })) ?? [];
    const sortOrder = input.string('SortOrder', { enumValues: ['asc', 'desc'] });
    const sortBy = input.string('SortBy', {
      enumValues: ['created-date', 'last-accessed-date', 'last-changed-date', 'name'],
    });
    input.done();
    const filters: SecretFilter[] = rawFilters.flatMap((f) =>
      isFilterKey(f.key) && f.values ? [{ key: f.key, values: f.values }] : [],
    );
    await this.authorize(ctx, 'ListSecrets', { arn: '*', accountId: ctx.accountId, shown: '*' }, {});

    const sortKey = (s: SecretRecord): number | string => {
      switch (sortBy) {
        case 'name':
          return s.name;
        case 'last-accessed-date':
          return s.lastAccessedDate ?? 0;
        case 'last-changed-date':
          return s.lastChangedDate;
        default:
          return s.createdDate;
      }
    };
    const direction = sortOrder === 'desc' ? -1 : 1;
    const matching = this.store
      .list(ctx.accountId, ctx.region)
      .filter((s) => includeDeleted || !isScheduledForDeletion(s))
      .filter((s) => matchesFilters(s, filters))
      .sort((a, b) => {
        const ka = sortKey(a);
        const kb = sortKey(b);
        return ka < kb ? -direction : ka > kb ? direction : 0;
      });
    const result = page(matching, maxResults, nextToken);
    return {
      SecretList: result.items.map((s) => describe(s, 'SecretVersionsToStages')),
      NextToken: result.nextToken,
    };
  }

  private async listSecretVersionIds(ctx: Ctx, input: Input): Promise<JsonObject> {
    const secretId = input.string('SecretId', { required: true, min: 1, max: 2048 }) ?? '';
    const maxResults = input.integer('MaxResults', { min: 1, max: 100 });
    const nextToken = input.string('NextToken', { min: 1, max: 4096 });
    const includeDeprecated = input.boolean('IncludeDeprecated') ?? false;
    input.done();
    const secret = await this.existing(ctx, secretId, 'ListSecretVersionIds', { allowDeleted: true });
    const versions = [...secret.versions].reverse().filter((v) => includeDeprecated || v.stages.length > 0);
    const result = page(versions, maxResults, nextToken);
    return {
      Versions: result.items.map((v) => ({
        VersionId: v.versionId,
        VersionStages: [...v.stages],
        CreatedDate: secs(v.createdDate),
      })),
      NextToken: result.nextToken,
      ARN: secret.arn,
      Name: secret.name,
    };
  }

  private async tagResource(ctx: Ctx, input: Input): Promise<JsonObject> {
    const secretId = input.string('SecretId', { required: true, min: 1, max: 2048 }) ?? '';
    const tags = input.tags('Tags', true) ?? [];
    input.done();
    const secret = await this.existing(ctx, secretId, 'TagResource', { context: requestTagContext(tags) });
    secret.tags = mergeTags(secret.tags, tags);
    secret.lastChangedDate = ctx.now;
    return {};
  }

  private async untagResource(ctx: Ctx, input: Input): Promise<JsonObject> {
    const secretId = input.string('SecretId', { required: true, min: 1, max: 2048 }) ?? '';
    const keys = input.stringList('TagKeys', { required: true, item: { min: 1, max: 128 } }) ?? [];
    input.done();
    const context: Context = keys.length > 0 ? { 'aws:TagKeys': keys } : {};
    const secret = await this.existing(ctx, secretId, 'UntagResource', { context });
    secret.tags = secret.tags.filter((t) => !keys.includes(t.Key));
    secret.lastChangedDate = ctx.now;
    return {};
  }

  private async deleteSecret(ctx: Ctx, input: Input): Promise<JsonObject> {
    const secretId = input.string('SecretId', { required: true, min: 1, max: 2048 }) ?? '';
    const days = input.integer('RecoveryWindowInDays');
    const force = input.boolean('ForceDeleteWithoutRecovery') ?? false;
    input.done();
    if (force && days !== undefined) throw invalidParameter(MSG.recoveryConflict);
    if (days !== undefined && (days < 7 || days > 30)) throw invalidParameter(MSG.recoveryRange);
    // A secret already scheduled for deletion can still be force-deleted at once.
    const secret = await this.existing(ctx, secretId, 'DeleteSecret', { allowDeleted: force });
    if (force) {
      this.store.remove(secret);
      return { ARN: secret.arn, Name: secret.name, DeletionDate: secs(ctx.now) };
    }
    secret.deletionDate = ctx.now + (days ?? 30) * DAY_MS;
    secret.lastChangedDate = ctx.now;
    return { ARN: secret.arn, Name: secret.name, DeletionDate: secs(secret.deletionDate) };
  }

  private async restoreSecret(ctx: Ctx, input: Input): Promise<JsonObject> {
    const secretId = input.string('SecretId', { required: true, min: 1, max: 2048 }) ?? '';
    input.done();
    const secret = await this.existing(ctx, secretId, 'RestoreSecret', { allowDeleted: true });
    if (isScheduledForDeletion(secret)) {
      delete secret.deletionDate;
      secret.lastChangedDate = ctx.now;
    }
    return { ARN: secret.arn, Name: secret.name };
  }

  private async putResourcePolicy(ctx: Ctx, input: Input): Promise<JsonObject> {
    const secretId = input.string('SecretId', { required: true, min: 1, max: 2048 }) ?? '';
    const policy = input.string('ResourcePolicy', { required: true, min: 1, max: 20480 }) ?? '';
    input.boolean('BlockPublicPolicy');
    input.done();
    let parsed: unknown;
    try {
      parsed = JSON.parse(policy);
    } catch {
      throw new AwsError('MalformedPolicyDocumentException', MSG.malformedPolicy, 400);
    }
    if (typeof parsed !== 'object' || parsed === null || !('Statement' in parsed)) {
      throw new AwsError('MalformedPolicyDocumentException', MSG.malformedPolicy, 400);
    }
    const secret = await this.existing(ctx, secretId, 'PutResourcePolicy');
    secret.resourcePolicy = policy;
    secret.lastChangedDate = ctx.now;
    return { ARN: secret.arn, Name: secret.name };
  }

  private async getResourcePolicy(ctx: Ctx, input: Input): Promise<JsonObject> {
    const secretId = input.string('SecretId', { required: true, min: 1, max: 2048 }) ?? '';
    input.done();
    const secret = await this.existing(ctx, secretId, 'GetResourcePolicy', { allowDeleted: true });
    return { ARN: secret.arn, Name: secret.name, ResourcePolicy: secret.resourcePolicy };
  }

  private async deleteResourcePolicy(ctx: Ctx, input: Input): Promise<JsonObject> {
    const secretId = input.string('SecretId', { required: true, min: 1, max: 2048 }) ?? '';
    input.done();
    const secret = await this.existing(ctx, secretId, 'DeleteResourcePolicy');
    delete secret.resourcePolicy;
    secret.lastChangedDate = ctx.now;
    return { ARN: secret.arn, Name: secret.name };
  }
}
