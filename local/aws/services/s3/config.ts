/**
 * Bucket configuration sub-resources: encryption, public access block, versioning, ownership
 * controls, lifecycle, policy, tagging and object lock.
 */
import { AwsError } from '../../core/errors';
import type { SandboxResponse } from '../../core/types';
import { emptyResponse, invalidArgument, xmlResponse, type BucketContext } from './context';
import { defaultEncryption, type EncryptionRule, type ObjectOwnership, type PublicAccessBlock, type SseAlgorithm, type Tag } from './model';
import { bucketArn } from './routes';
import {
  child,
  children,
  childText,
  el,
  expectOnly,
  malformedXml,
  opt,
  parseXmlBody,
  parseXmlBool,
  s3Root,
  type XmlElement,
} from './xml';

function notFound(code: string, message: string, bucket: string): AwsError {
  return new AwsError(code, message, 404, 'Sender', { BucketName: bucket });
}

// ---- encryption ----------------------------------------------------------------------------

const SSE_ALGORITHMS: readonly SseAlgorithm[] = ['AES256', 'aws:kms', 'aws:kms:dsse'];
const ENCRYPTION_TYPES = ['SSE-C', 'NONE'];

export function parseSseAlgorithm(v: string): SseAlgorithm | undefined {
  return SSE_ALGORITHMS.find((a) => a === v);
}

export function putBucketEncryption(ctx: BucketContext): SandboxResponse {
  const root = parseXmlBody(ctx.req.body, 'ServerSideEncryptionConfiguration');
  const rules = children(root, 'Rule');
  const rule = rules[0];
  if (!rule || rules.length > 1) throw malformedXml();
  const byDefault = child(rule, 'ApplyServerSideEncryptionByDefault');
  if (!byDefault) throw malformedXml();
  const algorithm = parseSseAlgorithm(childText(byDefault, 'SSEAlgorithm')?.trim() ?? '');
  if (!algorithm) throw malformedXml();
  const kmsKey = childText(byDefault, 'KMSMasterKeyID')?.trim();
  if (kmsKey !== undefined && algorithm === 'AES256') {
    throw invalidArgument(
      'a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse',
      'ApplyServerSideEncryptionByDefault',
    );
  }
  const blockedEl = child(rule, 'BlockedEncryptionTypes');
  let blocked = ctx.bucket.encryption.blockedEncryptionTypes;
  if (blockedEl) {
    blocked = children(blockedEl, 'EncryptionType').map((e) => (e.text ?? '').trim());
    if (blocked.some((t) => !ENCRYPTION_TYPES.includes(t))) throw malformedXml();
  }
  const next: EncryptionRule = {
    algorithm,
    bucketKeyEnabled: parseXmlBool(childText(rule, 'BucketKeyEnabled'), false),
    blockedEncryptionTypes: blocked,
  };
  if (kmsKey !== undefined && kmsKey !== '') next.kmsMasterKeyId = kmsKey;
  ctx.bucket.encryption = next;
  return emptyResponse(200);
}

export function getBucketEncryption(ctx: BucketContext): SandboxResponse {
  const e = ctx.bucket.encryption;
  return xmlResponse(
    s3Root('ServerSideEncryptionConfiguration', [
      el('Rule', [
        el('ApplyServerSideEncryptionByDefault', [el('SSEAlgorithm', e.algorithm), opt('KMSMasterKeyID', e.kmsMasterKeyId)]),
        el('BucketKeyEnabled', e.bucketKeyEnabled),
        e.blockedEncryptionTypes.length > 0 &&
          el(
            'BlockedEncryptionTypes',
            e.blockedEncryptionTypes.map((t) => el('EncryptionType', t)),
          ),
      ]),
    ]),
  );
}

/** S3 never leaves a bucket unencrypted: deleting the configuration restores SSE-S3. */
export function deleteBucketEncryption(ctx: BucketContext): SandboxResponse {
  ctx.bucket.encryption = { ...defaultEncryption(), blockedEncryptionTypes: ctx.bucket.encryption.blockedEncryptionTypes };
  return emptyResponse(204);
}

// ---- public access block -------------------------------------------------------------------

const PAB_FIELDS: (keyof PublicAccessBlock)[] = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'];

export function putPublicAccessBlock(ctx: BucketContext): SandboxResponse {
  const root = parseXmlBody(ctx.req.body, 'PublicAccessBlockConfiguration');
  expectOnly(root, PAB_FIELDS);
  const pab: PublicAccessBlock = {
    BlockPublicAcls: parseXmlBool(childText(root, 'BlockPublicAcls'), false),
    IgnorePublicAcls: parseXmlBool(childText(root, 'IgnorePublicAcls'), false),
    BlockPublicPolicy: parseXmlBool(childText(root, 'BlockPublicPolicy'), false),
    RestrictPublicBuckets: parseXmlBool(childText(root, 'RestrictPublicBuckets'), false),
  };
  ctx.bucket.publicAccessBlock = pab;
  return emptyResponse(200);
}

export function getPublicAccessBlock(ctx: BucketContext): SandboxResponse {
  const pab = ctx.bucket.publicAccessBlock;
  if (!pab) {
    throw notFound('NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found', ctx.bucket.name);
  }
  return xmlResponse(s3Root('PublicAccessBlockConfiguration', PAB_FIELDS.map((f) => el(f, pab[f]))));
}

export function deletePublicAccessBlock(ctx: BucketContext): SandboxResponse {
  delete ctx.bucket.publicAccessBlock;
  return emptyResponse(204);
}

// ---- versioning ----------------------------------------------------------------------------

export function putBucketVersioning(ctx: BucketContext): SandboxResponse {
  const root = parseXmlBody(ctx.req.body, 'VersioningConfiguration');
  expectOnly(root, ['Status', 'MfaDelete']);
  const status = childText(root, 'Status')?.trim();
  const mfa = childText(root, 'MfaDelete')?.trim();
  if (status !== undefined && status !== 'Enabled' && status !== 'Suspended') throw malformedXml();
  if (mfa !== undefined && mfa !== 'Enabled' && mfa !== 'Disabled') throw malformedXml();
  const bucket = ctx.bucket;
  if (status === 'Suspended' && bucket.objectLockEnabled) {
    throw new AwsError(
      'InvalidBucketState',
      'An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.',
      409,
      'Sender',
      { BucketName: bucket.name },
    );
  }
  if (status !== undefined) bucket.versioning = status;
  if (mfa !== undefined) bucket.mfaDelete = mfa;
  return emptyResponse(200);
}

export function getBucketVersioning(ctx: BucketContext): SandboxResponse {
  const b = ctx.bucket;
  return xmlResponse(s3Root('VersioningConfiguration', [opt('Status', b.versioning), opt('MfaDelete', b.mfaDelete)]));
}

// ---- ownership controls --------------------------------------------------------------------

const OWNERSHIP_VALUES: readonly ObjectOwnership[] = ['BucketOwnerEnforced', 'BucketOwnerPreferred', 'ObjectWriter'];

/** x-amz-object-ownership header value (InvalidArgument when unknown). */
export function parseOwnership(value: string | undefined): ObjectOwnership | undefined {
  if (value === undefined) return undefined;
  const found = OWNERSHIP_VALUES.find((v) => v === value);
  if (!found) throw invalidArgument('Invalid x-amz-object-ownership header', 'x-amz-object-ownership', value);
  return found;
}

export function putBucketOwnershipControls(ctx: BucketContext): SandboxResponse {
  const root = parseXmlBody(ctx.req.body, 'OwnershipControls');
  const rules = children(root, 'Rule');
  const rule = rules[0];
  if (!rule || rules.length > 1) throw malformedXml();
  const value = childText(rule, 'ObjectOwnership')?.trim();
  let ownership: ObjectOwnership | undefined;
  try {
    ownership = parseOwnership(value);
  } catch {
    throw malformedXml();
  }
  if (!ownership) throw malformedXml();
  ctx.bucket.ownership = ownership;
  return emptyResponse(200);
}

export function getBucketOwnershipControls(ctx: BucketContext): SandboxResponse {
  const o = ctx.bucket.ownership;
  if (!o) throw notFound('OwnershipControlsNotFoundError', 'The bucket ownership controls were not found', ctx.bucket.name);
  return xmlResponse(s3Root('OwnershipControls', [el('Rule', [el('ObjectOwnership', o)])]));
}

export function deleteBucketOwnershipControls(ctx: BucketContext): SandboxResponse {
  delete ctx.bucket.ownership;
  return emptyResponse(204);
}

// ---- lifecycle -----------------------------------------------------------------------------

const TRANSITION_CLASSES = ['GLACIER', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'DEEP_ARCHIVE', 'GLACIER_IR'];
const RULE_CHILDREN = [
  'ID',
  'Prefix',
  'Filter',
  'Status',
  'Expiration',
  'Transition',
  'NoncurrentVersionTransition',
  'NoncurrentVersionExpiration',
  'AbortIncompleteMultipartUpload',
];
const FILTER_CHILDREN = ['Prefix', 'Tag', 'ObjectSizeGreaterThan', 'ObjectSizeLessThan', 'And'];
const DEFAULT_MIN_SIZE = 'all_storage_classes_128K';

function positiveInt(e: XmlElement | undefined, name: string, message: string, allowZero = false): number | undefined {
  const raw = childText(e, name)?.trim();
  if (raw === undefined) return undefined;
  if (!/^-?\d+$/.test(raw)) throw malformedXml();
  const n = Number(raw);
  if (n < 0 || (!allowZero && n === 0)) throw invalidArgument(message, name, raw);
  return n;
}

function checkDate(e: XmlElement | undefined): void {
  const raw = childText(e, 'Date')?.trim();
  if (raw === undefined) return;
  const d = new Date(raw);
  if (Number.isNaN(d.getTime())) throw malformedXml();
  if (d.getUTCHours() !== 0 || d.getUTCMinutes() !== 0 || d.getUTCSeconds() !== 0 || d.getUTCMilliseconds() !== 0) {
    throw invalidArgument("'Date' must be at midnight GMT", 'Date', raw);
  }
}

function filterHasTags(filter: XmlElement | undefined): boolean {
  if (!filter) return false;
  if (child(filter, 'Tag')) return true;
  return children(child(filter, 'And'), 'Tag').length > 0;
}

function validateLifecycleRule(rule: XmlElement): void {
  expectOnly(rule, RULE_CHILDREN);
  const status = childText(rule, 'Status')?.trim();
  if (status !== 'Enabled' && status !== 'Disabled') throw malformedXml();
  const filter = child(rule, 'Filter');
  const hasPrefix = child(rule, 'Prefix') !== undefined;
  if ((filter && hasPrefix) || (!filter && !hasPrefix)) throw malformedXml();
  if (filter) {
    expectOnly(filter, FILTER_CHILDREN);
    if ((filter.children ?? []).length > 1) throw malformedXml();
    for (const tag of [...children(filter, 'Tag'), ...children(child(filter, 'And'), 'Tag')]) {
      if (childText(tag, 'Key') === undefined) throw malformedXml();
    }
  }
  const id = childText(rule, 'ID');
  if (id !== undefined && id.length > 255) throw invalidArgument('ID length should not exceed allowed limit of 255', 'ID', id);

  const expiration = child(rule, 'Expiration');
  const transitions = children(rule, 'Transition');
  const ncExpiration = child(rule, 'NoncurrentVersionExpiration');
  const ncTransitions = children(rule, 'NoncurrentVersionTransition');
  const abort = child(rule, 'AbortIncompleteMultipartUpload');
  if (!expiration && transitions.length === 0 && !ncExpiration && ncTransitions.length === 0 && !abort) {
    throw new AwsError('InvalidRequest', 'At least one action needs to be specified in a rule', 400);
  }
  if (expiration) {
    expectOnly(expiration, ['Days', 'Date', 'ExpiredObjectDeleteMarker']);
    if ((expiration.children ?? []).length !== 1) throw malformedXml();
    positiveInt(expiration, 'Days', "'Days' for Expiration action must be a positive integer");
    checkDate(expiration);
    const marker = childText(expiration, 'ExpiredObjectDeleteMarker');
    if (marker !== undefined) {
      parseXmlBool(marker, false);
      if (filterHasTags(filter)) {
        throw invalidArgument('ExpiredObjectDeleteMarker cannot be specified with tags.', 'ExpiredObjectDeleteMarker', marker);
      }
    }
  }
  for (const t of transitions) {
    expectOnly(t, ['Days', 'Date', 'StorageClass']);
    const cls = childText(t, 'StorageClass')?.trim() ?? '';
    if (!TRANSITION_CLASSES.includes(cls)) throw malformedXml();
    const days = positiveInt(t, 'Days', "'Days' in Transition action must be a non-negative integer", true);
    checkDate(t);
    if (days === undefined && childText(t, 'Date') === undefined) throw malformedXml();
    if (days !== undefined && days < 30 && (cls === 'STANDARD_IA' || cls === 'ONEZONE_IA')) {
      throw invalidArgument(
        `'Days' in Transition action must be greater than or equal to 30 for storageClass '${cls}'`,
        'Days',
        String(days),
      );
    }
  }
  if (ncExpiration) {
    expectOnly(ncExpiration, ['NoncurrentDays', 'NewerNoncurrentVersions']);
    const days = positiveInt(
      ncExpiration,
      'NoncurrentDays',
      "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer",
    );
    if (days === undefined) throw malformedXml();
    positiveInt(ncExpiration, 'NewerNoncurrentVersions', "'NewerNoncurrentVersions' must be a positive integer");
  }
  for (const t of ncTransitions) {
    expectOnly(t, ['NoncurrentDays', 'StorageClass', 'NewerNoncurrentVersions']);
    if (!TRANSITION_CLASSES.includes(childText(t, 'StorageClass')?.trim() ?? '')) throw malformedXml();
    if (positiveInt(t, 'NoncurrentDays', "'NoncurrentDays' in NoncurrentVersionTransition action must be a positive integer", true) === undefined) {
      throw malformedXml();
    }
  }
  if (abort) {
    expectOnly(abort, ['DaysAfterInitiation']);
    const days = positiveInt(
      abort,
      'DaysAfterInitiation',
      "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer",
    );
    if (days === undefined) throw malformedXml();
    if (filterHasTags(filter)) throw new AwsError('InvalidRequest', 'AbortIncompleteMultipartUpload cannot be specified with Tags.', 400);
  }
}

export function putBucketLifecycleConfiguration(ctx: BucketContext): SandboxResponse {
  const root = parseXmlBody(ctx.req.body, 'LifecycleConfiguration');
  expectOnly(root, ['Rule']);
  const rules = children(root, 'Rule');
  if (rules.length === 0 || rules.length > 1000) throw malformedXml();
  const seen = new Set<string>();
  const stored: XmlElement[] = [];
  for (const rule of rules) {
    validateLifecycleRule(rule);
    let id = childText(rule, 'ID');
    if (id === undefined || id === '') {
      id = ctx.kernel.randomId('', 48);
      stored.push({ ...rule, children: [el('ID', id), ...(rule.children ?? []).filter((c) => c.name !== 'ID')] });
    } else {
      stored.push(rule);
    }
    if (seen.has(id)) throw invalidArgument('Rule ID must be unique. Found same ID for more than one rule', 'ID', id);
    seen.add(id);
  }
  ctx.bucket.lifecycle = stored;
  return emptyResponse(200, { 'x-amz-transition-default-minimum-object-size': DEFAULT_MIN_SIZE });
}

export function getBucketLifecycleConfiguration(ctx: BucketContext): SandboxResponse {
  const rules = ctx.bucket.lifecycle;
  if (!rules) throw notFound('NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist', ctx.bucket.name);
  return xmlResponse(s3Root('LifecycleConfiguration', rules), 200, {
    'x-amz-transition-default-minimum-object-size': DEFAULT_MIN_SIZE,
  });
}

export function deleteBucketLifecycle(ctx: BucketContext): SandboxResponse {
  delete ctx.bucket.lifecycle;
  return emptyResponse(204);
}

// ---- policy --------------------------------------------------------------------------------

const MAX_POLICY_BYTES = 20 * 1024;
/** Condition keys that pin a '*' principal to something specific (S3's "public" analysis). */
const FIXING_CONDITION_KEYS = [
  'aws:sourcearn',
  'aws:sourcevpc',
  'aws:sourcevpce',
  'aws:sourceaccount',
  'aws:sourceowner',
  'aws:principalorgid',
  'aws:principalaccount',
  'aws:principalarn',
  'aws:userid',
  'aws:sourceip',
  'aws:sourceorgid',
  's3:dataaccesspointarn',
  's3:dataaccesspointaccount',
];

function malformedPolicy(message: string): AwsError {
  return new AwsError('MalformedPolicy', message, 400);
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [v];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const PRINCIPAL_PATTERN = /^(\*|\d{12}|arn:aws:iam::\d{12}:(root|user\/.+|role\/.+|federated-user\/.+)|arn:aws:sts::\d{12}:assumed-role\/.+\/.+|[A-Z0-9]{21})$/;

function checkPrincipal(p: unknown): void {
  if (p === '*') return;
  if (!isRecord(p)) throw malformedPolicy('Invalid principal in policy');
  for (const [kind, value] of Object.entries(p)) {
    for (const v of asList(value)) {
      if (typeof v !== 'string') throw malformedPolicy('Invalid principal in policy');
      if (kind === 'AWS' && !PRINCIPAL_PATTERN.test(v)) throw malformedPolicy('Invalid principal in policy');
      if (kind === 'CanonicalUser' && !/^[0-9a-f]{64}$/.test(v)) throw malformedPolicy('Invalid principal in policy');
      if (kind !== 'AWS' && kind !== 'Service' && kind !== 'CanonicalUser' && kind !== 'Federated') {
        throw malformedPolicy('Invalid principal in policy');
      }
    }
  }
}

function resourceMatchesBucket(resource: string, bucket: string): boolean {
  if (resource === '*') return false;
  if (!resource.startsWith('arn:aws:s3:::')) return false;
  const rest = resource.slice('arn:aws:s3:::'.length);
  const slash = rest.indexOf('/');
  const bucketPart = slash === -1 ? rest : rest.slice(0, slash);
  if (bucketPart === bucket) return true;
  // A wildcard bucket segment must still cover this bucket.
  if (!/[*?]/.test(bucketPart)) return false;
  const re = new RegExp(`^${bucketPart.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(bucket);
}

function isPublicStatement(st: Record<string, unknown>): boolean {
  if (st.Effect !== 'Allow') return false;
  if (st.NotPrincipal !== undefined) return true;
  const p = st.Principal;
  const wildcard = p === '*' || (isRecord(p) && asList(p.AWS).includes('*'));
  if (!wildcard) return false;
  const cond = st.Condition;
  if (!isRecord(cond)) return true;
  const keys = Object.values(cond).flatMap((block) => (isRecord(block) ? Object.keys(block).map((k) => k.toLowerCase()) : []));
  return !keys.some((k) => FIXING_CONDITION_KEYS.includes(k));
}

/** Parse and validate a bucket policy; returns whether it grants public access. */
export function validateBucketPolicy(text: string, bucket: string): { public: boolean } {
  if (Buffer.byteLength(text, 'utf8') > MAX_POLICY_BYTES) throw malformedPolicy('Policy exceeds the maximum allowed document size.');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformedPolicy("Policies must be valid JSON and the first byte must be '{'");
  }
  if (!isRecord(doc) || !text.trimStart().startsWith('{')) {
    throw malformedPolicy("Policies must be valid JSON and the first byte must be '{'");
  }
  if (doc.Version !== undefined && doc.Version !== '2012-10-17' && doc.Version !== '2008-10-17') {
    throw malformedPolicy('The policy must contain a valid version string');
  }
  if (doc.Statement === undefined) throw malformedPolicy('Missing required field Statement');
  const statements = asList(doc.Statement);
  if (statements.length === 0) throw malformedPolicy('Could not parse the policy: Statement is empty!');
  let isPublic = false;
  const sids = new Set<string>();
  for (const st of statements) {
    if (!isRecord(st)) throw malformedPolicy('Policy has an invalid statement');
    if (st.Sid !== undefined) {
      if (typeof st.Sid !== 'string') throw malformedPolicy('Statement IDs (SID) must be strings');
      if (st.Sid !== '' && sids.has(st.Sid)) throw malformedPolicy('Statement IDs (SID) in a single policy must be unique.');
      sids.add(st.Sid);
    }
    if (st.Effect === undefined) throw malformedPolicy('Missing required field Effect');
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny') throw malformedPolicy(`Invalid effect: ${String(st.Effect)}`);
    if (st.Principal === undefined && st.NotPrincipal === undefined) throw malformedPolicy('Missing required field Principal');
    checkPrincipal(st.Principal ?? st.NotPrincipal);
    const actions = st.Action ?? st.NotAction;
    if (actions === undefined) throw malformedPolicy('Missing required field Action');
    for (const a of asList(actions)) {
      if (typeof a !== 'string' || !(a === '*' || /^s3:[A-Za-z*?]+$/.test(a))) throw malformedPolicy('Policy has invalid action');
    }
    const resources = st.Resource ?? st.NotResource;
    if (resources === undefined) throw malformedPolicy('Missing required field Resource');
    for (const r of asList(resources)) {
      if (typeof r !== 'string' || !resourceMatchesBucket(r, bucket)) throw malformedPolicy('Policy has invalid resource');
    }
    if (st.Condition !== undefined) {
      if (!isRecord(st.Condition) || !Object.values(st.Condition).every(isRecord)) {
        throw malformedPolicy('Invalid Condition in policy');
      }
    }
    if (isPublicStatement(st)) isPublic = true;
  }
  return { public: isPublic };
}

export function putBucketPolicy(ctx: BucketContext): SandboxResponse {
  const text = ctx.req.body.toString('utf8');
  const { public: isPublic } = validateBucketPolicy(text, ctx.bucket.name);
  if (isPublic && ctx.bucket.publicAccessBlock?.BlockPublicPolicy) {
    throw new AwsError(
      'AccessDenied',
      `User: ${ctx.req.principal.arn} is not authorized to perform: s3:PutBucketPolicy on resource: "${bucketArn(ctx.bucket.name)}" because public policies are blocked by the BlockPublicPolicy block public access setting.`,
      403,
    );
  }
  ctx.bucket.policy = text;
  return emptyResponse(204);
}

export function getBucketPolicy(ctx: BucketContext): SandboxResponse {
  const policy = ctx.bucket.policy;
  if (policy === undefined) throw notFound('NoSuchBucketPolicy', 'The bucket policy does not exist', ctx.bucket.name);
  return { status: 200, headers: { 'content-type': 'application/json' }, body: policy };
}

export function deleteBucketPolicy(ctx: BucketContext): SandboxResponse {
  delete ctx.bucket.policy;
  return emptyResponse(204);
}

// ---- tagging -------------------------------------------------------------------------------

const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

function invalidTag(message: string, extra: Record<string, string>): AwsError {
  return new AwsError('InvalidTag', message, 400, 'Sender', extra);
}

/** Validate one tag against S3's rules; `seen` catches duplicate keys. */
export function checkTag(key: string, value: string, seen: Set<string>): void {
  if (key.length === 0 || [...key].length > 128 || !TAG_CHARS.test(key)) {
    throw invalidTag('The TagKey you have provided is invalid', { TagKey: key });
  }
  if ([...value].length > 256 || !TAG_CHARS.test(value)) {
    throw invalidTag('The TagValue you have provided is invalid', { TagKey: key, TagValue: value });
  }
  if (key.toLowerCase().startsWith('aws:')) throw invalidTag('Your TagKey cannot be prefixed with aws:', { TagKey: key });
  if (seen.has(key)) throw invalidTag('Cannot provide multiple Tags with the same key', { TagKey: key });
  seen.add(key);
}

/** Object tags: at most 10 (BadRequest), as S3 enforces for PutObjectTagging and x-amz-tagging. */
export function checkObjectTagCount(tags: Tag[]): void {
  if (tags.length > 10) throw new AwsError('BadRequest', 'Object tags cannot be greater than 10', 400);
}

/** Parse <Tag><Key/><Value/></Tag> children of a TagSet/Tags element with S3's tag rules. */
export function parseTagSet(container: XmlElement, max: number): Tag[] {
  expectOnly(container, ['Tag']);
  const tags: Tag[] = [];
  const seen = new Set<string>();
  for (const t of children(container, 'Tag')) {
    const key = childText(t, 'Key');
    const value = childText(t, 'Value');
    if (key === undefined || value === undefined) throw malformedXml();
    checkTag(key, value, seen);
    tags.push({ Key: key, Value: value });
  }
  if (tags.length > max) throw invalidTag(`Bucket tag count cannot be greater than ${max}`, {});
  return tags;
}

export function putBucketTagging(ctx: BucketContext): SandboxResponse {
  const root = parseXmlBody(ctx.req.body, 'Tagging');
  expectOnly(root, ['TagSet']);
  const tagSet = child(root, 'TagSet');
  if (!tagSet) throw malformedXml();
  const tags = parseTagSet(tagSet, 50);
  if (tags.length === 0) delete ctx.bucket.tags;
  else ctx.bucket.tags = tags;
  return emptyResponse(204);
}

export function getBucketTagging(ctx: BucketContext): SandboxResponse {
  const tags = ctx.bucket.tags;
  if (!tags) throw notFound('NoSuchTagSet', 'The TagSet does not exist', ctx.bucket.name);
  return xmlResponse(
    s3Root('Tagging', [el('TagSet', tags.map((t) => el('Tag', [el('Key', t.Key), el('Value', t.Value)])))]),
  );
}

export function deleteBucketTagging(ctx: BucketContext): SandboxResponse {
  delete ctx.bucket.tags;
  return emptyResponse(204);
}

// ---- object lock ---------------------------------------------------------------------------

export function putObjectLockConfiguration(ctx: BucketContext): SandboxResponse {
  const root = parseXmlBody(ctx.req.body, 'ObjectLockConfiguration');
  expectOnly(root, ['ObjectLockEnabled', 'Rule']);
  const enabled = childText(root, 'ObjectLockEnabled')?.trim();
  if (enabled !== undefined && enabled !== 'Enabled') throw malformedXml();
  const rule = child(root, 'Rule');
  if (rule) {
    expectOnly(rule, ['DefaultRetention']);
    const retention = child(rule, 'DefaultRetention');
    if (!retention) throw malformedXml();
    expectOnly(retention, ['Mode', 'Days', 'Years']);
    const mode = childText(retention, 'Mode')?.trim();
    if (mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') throw malformedXml();
    const days = childText(retention, 'Days');
    const years = childText(retention, 'Years');
    if ((days === undefined) === (years === undefined)) throw malformedXml();
    const period = days ?? years ?? '';
    if (!/^\d+$/.test(period.trim()) || Number(period) <= 0) {
      throw invalidArgument('Default retention period must be a positive integer value', days !== undefined ? 'Days' : 'Years', period);
    }
  }
  const bucket = ctx.bucket;
  if (!bucket.objectLockEnabled) {
    if (enabled !== 'Enabled') throw malformedXml();
    if (bucket.versioning !== 'Enabled') {
      throw new AwsError(
        'InvalidBucketState',
        "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
        409,
        'Sender',
        { BucketName: bucket.name },
      );
    }
    bucket.objectLockEnabled = true;
  }
  if (rule) bucket.objectLockRule = rule;
  else delete bucket.objectLockRule;
  return emptyResponse(200);
}

export function getObjectLockConfiguration(ctx: BucketContext): SandboxResponse {
  const b = ctx.bucket;
  if (!b.objectLockEnabled) {
    throw notFound('ObjectLockConfigurationNotFoundError', 'Object Lock configuration does not exist for this bucket', b.name);
  }
  return xmlResponse(s3Root('ObjectLockConfiguration', [el('ObjectLockEnabled', 'Enabled'), b.objectLockRule]));
}
