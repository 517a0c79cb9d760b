/** Bucket lifecycle: CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation, ListBuckets. */
import { AwsError } from '../../core/errors';
import type { SandboxResponse } from '../../core/types';
import { parseOwnership, parseTagSet } from './config';
import {
  accessDenied,
  emptyResponse,
  header,
  invalidArgument,
  isoTime,
  xmlResponse,
  type BaseContext,
  type BucketContext,
} from './context';
import { canonicalUserId, defaultEncryption, type Bucket } from './model';
import { assertValidBucketName } from './names';
import { bucketArn } from './routes';
import { child, childText, el, opt, parseXmlBody, s3Root } from './xml';

const CANNED_ACLS = ['private', 'public-read', 'public-read-write', 'authenticated-read', 'aws-exec-read', 'bucket-owner-read', 'bucket-owner-full-control', 'log-delivery-write'];
/** Default general purpose bucket quota per account (raised from 100 in 2024). */
const MAX_BUCKETS_PER_ACCOUNT = 10_000;

/** LocationConstraint rules for the endpoint region the request was signed for. */
function checkLocationConstraint(region: string, constraint: string | undefined): void {
  const normalised = constraint === 'EU' ? 'eu-west-1' : constraint;
  if (region === 'us-east-1') {
    if (constraint === undefined || constraint === '') return;
    if (constraint === 'us-east-1') {
      throw new AwsError('InvalidLocationConstraint', 'The specified location-constraint is not valid', 400, 'Sender', {
        LocationConstraint: constraint,
      });
    }
    throw new AwsError(
      'IllegalLocationConstraintException',
      `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`,
      400,
    );
  }
  if (constraint === undefined || constraint === '') {
    throw new AwsError(
      'IllegalLocationConstraintException',
      'The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.',
      400,
    );
  }
  if (normalised !== region) {
    throw new AwsError(
      'IllegalLocationConstraintException',
      `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`,
      400,
    );
  }
}

export async function createBucket(ctx: BaseContext, name: string): Promise<SandboxResponse> {
  const { req, state } = ctx;
  const principal = req.principal;
  assertValidBucketName(name);
  const existing = state.buckets.get(name);

  const authz = async (action: string): Promise<void> => {
    const decision = await ctx.kernel.authorize({
      principal,
      action,
      resource: bucketArn(name),
      resourceAccount: principal.accountId,
    });
    if (!decision.allowed) throw accessDenied();
  };
  await authz('s3:CreateBucket');

  let constraint: string | undefined;
  let tags;
  if (req.body.length > 0) {
    const root = parseXmlBody(req.body, 'CreateBucketConfiguration');
    constraint = childText(root, 'LocationConstraint')?.trim();
    const tagsEl = child(root, 'Tags');
    if (tagsEl) tags = parseTagSet(tagsEl, 50);
  }
  checkLocationConstraint(req.region, constraint);

  const lockHeader = header(req, 'x-amz-bucket-object-lock-enabled');
  const objectLock = lockHeader?.toLowerCase() === 'true';
  const ownership = parseOwnership(header(req, 'x-amz-object-ownership'));
  const acl = header(req, 'x-amz-acl');
  if (acl !== undefined && !CANNED_ACLS.includes(acl)) throw invalidArgument('', 'x-amz-acl', acl);
  const effectiveOwnership = ownership ?? 'BucketOwnerEnforced';
  if (effectiveOwnership === 'BucketOwnerEnforced' && acl !== undefined && acl !== 'private' && acl !== 'bucket-owner-full-control') {
    throw new AwsError(
      'InvalidBucketAclWithObjectOwnership',
      "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
      400,
    );
  }
  if (tags) await authz('s3:TagResource');
  if (objectLock) {
    await authz('s3:PutBucketObjectLockConfiguration');
    await authz('s3:PutBucketVersioning');
  }
  if (ownership) await authz('s3:PutBucketOwnershipControls');

  if (existing) {
    if (existing.owner !== principal.accountId) {
      throw new AwsError(
        'BucketAlreadyExists',
        'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
        409,
        'Sender',
        { BucketName: name },
      );
    }
    // Legacy behaviour: re-creating your own bucket in us-east-1 succeeds (and only resets ACLs).
    if (existing.region === 'us-east-1' && req.region === 'us-east-1') {
      return emptyResponse(200, { location: `/${name}` });
    }
    throw new AwsError(
      'BucketAlreadyOwnedByYou',
      'Your previous request to create the named bucket succeeded and you already own it.',
      409,
      'Sender',
      { BucketName: name },
    );
  }
  const owned = [...state.buckets.values()].filter((b) => b.owner === principal.accountId).length;
  if (owned >= MAX_BUCKETS_PER_ACCOUNT) {
    throw new AwsError('TooManyBuckets', 'You have attempted to create more buckets than allowed', 400);
  }

  const bucket: Bucket = {
    name,
    owner: principal.accountId,
    region: req.region,
    created: ctx.now,
    objectLockEnabled: objectLock,
    encryption: defaultEncryption(),
    publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
    ownership: effectiveOwnership,
    objects: new Map(),
    uploads: new Map(),
  };
  if (objectLock) bucket.versioning = 'Enabled';
  if (tags && tags.length > 0) bucket.tags = tags;
  state.buckets.set(name, bucket);
  const location = req.region === 'us-east-1' ? `/${name}` : `http://${name}.s3.amazonaws.com/`;
  return emptyResponse(200, { location });
}

export function headBucket(ctx: BucketContext): SandboxResponse {
  return emptyResponse(200, { 'x-amz-bucket-region': ctx.bucket.region, 'x-amz-access-point-alias': 'false' });
}

export function deleteBucket(ctx: BucketContext): SandboxResponse {
  const { bucket, state } = ctx;
  if (bucket.objects.size > 0) {
    const versioned = bucket.versioning !== undefined;
    throw new AwsError(
      'BucketNotEmpty',
      versioned
        ? 'The bucket you tried to delete is not empty. You must delete all versions in the bucket.'
        : 'The bucket you tried to delete is not empty',
      409,
      'Sender',
      { BucketName: bucket.name },
    );
  }
  // S3 deletes a bucket even when multipart uploads are still in progress; they go with it.
  state.buckets.delete(bucket.name);
  return emptyResponse(204);
}

export function getBucketLocation(ctx: BucketContext): SandboxResponse {
  const region = ctx.bucket.region;
  return xmlResponse(s3Root('LocationConstraint', region === 'us-east-1' ? [] : region));
}

function encodeToken(name: string): string {
  return Buffer.from(`b:${name}`, 'utf8').toString('base64');
}

function decodeToken(token: string): string {
  const raw = Buffer.from(token, 'base64').toString('utf8');
  if (!raw.startsWith('b:')) throw invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
  return raw.slice(2);
}

export function listBuckets(ctx: BaseContext): SandboxResponse {
  const { req, state } = ctx;
  const account = req.principal.accountId;
  const prefix = req.query.get('prefix') ?? undefined;
  const regionFilter = req.query.get('bucket-region') ?? undefined;
  const tokenParam = req.query.get('continuation-token');
  const after = tokenParam ? decodeToken(tokenParam) : undefined;
  const maxRaw = req.query.get('max-buckets');
  let max = MAX_BUCKETS_PER_ACCOUNT;
  if (maxRaw !== null) {
    const n = Number(maxRaw);
    if (!/^\d+$/.test(maxRaw) || n < 1 || n > 10_000) {
      throw invalidArgument('Argument max-buckets must be an integer between 1 and 10000', 'max-buckets', maxRaw);
    }
    max = n;
  }
  const mine = [...state.buckets.values()]
    .filter((b) => b.owner === account)
    .filter((b) => prefix === undefined || b.name.startsWith(prefix))
    .filter((b) => regionFilter === undefined || b.region === regionFilter)
    .filter((b) => after === undefined || b.name > after)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const page = mine.slice(0, max);
  const last = page[page.length - 1];
  const truncated = mine.length > page.length && last !== undefined;
  return xmlResponse(
    s3Root('ListAllMyBucketsResult', [
      el('Owner', [el('ID', canonicalUserId(account))]),
      el(
        'Buckets',
        page.map((b) => el('Bucket', [el('Name', b.name), el('CreationDate', isoTime(b.created)), el('BucketRegion', b.region)])),
      ),
      truncated && el('ContinuationToken', encodeToken(last.name)),
      opt('Prefix', prefix),
    ]),
  );
}
