/**
 * S3 service driven directly through handle() with a fake kernel (controllable clock, scripted
 * authorization). The SDK-level test is s3.test.ts.
 */
import { TargetRouter } from '../../local/aws/core/targets';
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsError } from '../../local/aws/core/errors';
import type {
  AccountInfo,
  AuthzDecision,
  AuthzRequest,
  CredentialRecord,
  Principal,
  SandboxKernel,
  SandboxRequest,
  SandboxResponse,
} from '../../local/aws/core/types';
import { S3Service } from '../../local/aws/services/s3';
import { computeChecksum } from '../../local/aws/services/s3/checksums';
import { bucketNameProblem } from '../../local/aws/services/s3/names';
import { child, children, childText, parseXmlBody, type XmlElement } from '../../local/aws/services/s3/xml';

const ACCOUNT = '111111111111';
const OTHER = '222222222222';
const T0 = Date.UTC(2026, 0, 15, 13, 45, 10, 250);
const MiB = 1024 * 1024;

const root = (accountId: string): Principal => ({
  kind: 'root',
  accountId,
  arn: `arn:aws:iam::${accountId}:root`,
  accessKeyId: `AKIA${accountId}`,
});
const user: Principal = {
  kind: 'user',
  accountId: ACCOUNT,
  arn: `arn:aws:iam::${ACCOUNT}:user/reader`,
  userName: 'reader',
  userId: 'AIDAREADER',
  accessKeyId: 'AKIAREADER',
};

class FakeKernel implements SandboxKernel {
  readonly targets = new TargetRouter();
  clock = T0;
  calls: AuthzRequest[] = [];
  decide: (r: AuthzRequest) => AuthzDecision = () => ({ allowed: true, reason: 'Allowed' });
  private counter = 0;
  readonly config = {
    iamPropagationMs: 0,
    latency: { defaultMs: 0, jitterMs: 0, perOperation: {} },
    faults: { seed: 1, rules: [] },
  };
  readonly accounts = {
    managementAccountId: ACCOUNT,
    list: (): AccountInfo[] => [],
    get: (): AccountInfo | undefined => undefined,
    create: (accountId: string): AccountInfo => ({ accountId, accessKeyId: 'x', secretAccessKey: 'y', management: false }),
  };
  readonly credentials = {
    register: (_r: CredentialRecord): void => undefined,
    lookup: (): CredentialRecord | undefined => undefined,
    update: (): void => undefined,
    remove: (): void => undefined,
  };
  now(): number {
    return this.clock;
  }
  async authorize(req: AuthzRequest): Promise<AuthzDecision> {
    this.calls.push(req);
    return this.decide(req);
  }
  randomId(prefix: string, length: number): string {
    this.counter++;
    return prefix + `${this.counter}`.padStart(length, 'v');
  }
}

let kernel: FakeKernel;
let svc: S3Service;

beforeEach(() => {
  kernel = new FakeKernel();
  svc = new S3Service(kernel);
});

interface Opts {
  query?: Record<string, string> | string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  principal?: Principal;
  region?: string;
}

function request(method: string, rawPath: string, o: Opts = {}): SandboxRequest {
  const body = o.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(o.body) ? o.body : Buffer.from(o.body);
  return {
    service: 's3',
    region: o.region ?? 'us-east-1',
    method,
    path: decodeURIComponent(rawPath),
    rawPath,
    query: new URLSearchParams(o.query ?? ''),
    headers: { host: '127.0.0.1:4566', ...(o.headers ?? {}) },
    body,
    principal: o.principal ?? root(ACCOUNT),
    requestId: 'req-1',
  };
}

const send = (method: string, rawPath: string, o: Opts = {}): Promise<SandboxResponse> => svc.handle(request(method, rawPath, o));

async function fails(p: Promise<unknown>, code: string, status: number, message?: string | RegExp): Promise<AwsError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  if (!(caught instanceof AwsError)) throw new Error(`expected AwsError ${code}, got ${String(caught)}`);
  expect({ code: caught.code, status: caught.status }).toEqual({ code, status });
  if (typeof message === 'string') expect(caught.message).toBe(message);
  else if (message) expect(caught.message).toMatch(message);
  return caught;
}

function xml(res: SandboxResponse, rootName: string): XmlElement {
  expect(res.headers?.['content-type']).toBe('application/xml');
  const text = String(res.body);
  expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
  const rootEl = parseXmlBody(text, rootName);
  return rootEl;
}

function bytes(res: SandboxResponse): Buffer {
  if (!Buffer.isBuffer(res.body)) throw new Error('expected a binary body');
  return res.body;
}

const md5b64 = (b: string | Buffer): string => createHash('md5').update(b).digest('base64');
const md5hex = (b: string | Buffer): string => createHash('md5').update(b).digest('hex');

async function createBucket(name: string, o: Opts = {}): Promise<SandboxResponse> {
  return send('PUT', `/${name}`, o);
}

const put = (bucket: string, key: string, body: string | Buffer, o: Opts = {}) =>
  send('PUT', `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`, { ...o, body });

const lifecycleBody = (rules: string) => `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${rules}</LifecycleConfiguration>`;
const withMd5 = (body: string): Opts => ({ body, headers: { 'content-md5': md5b64(body) } });

describe('routing', () => {
  it.each([
    ['GET', '/', '', 'ListBuckets'],
    ['PUT', '/b1', '', 'CreateBucket'],
    ['HEAD', '/b1', '', 'HeadBucket'],
    ['DELETE', '/b1', '', 'DeleteBucket'],
    ['GET', '/b1', 'location', 'GetBucketLocation'],
    ['PUT', '/b1', 'encryption', 'PutBucketEncryption'],
    ['DELETE', '/b1', 'encryption', 'DeleteBucketEncryption'],
    ['PUT', '/b1', 'publicAccessBlock', 'PutPublicAccessBlock'],
    ['GET', '/b1', 'versioning', 'GetBucketVersioning'],
    ['PUT', '/b1', 'ownershipControls', 'PutBucketOwnershipControls'],
    ['PUT', '/b1', 'lifecycle', 'PutBucketLifecycleConfiguration'],
    ['DELETE', '/b1', 'policy', 'DeleteBucketPolicy'],
    ['GET', '/b1', 'tagging', 'GetBucketTagging'],
    ['GET', '/b1', 'list-type=2&prefix=a', 'ListObjectsV2'],
    ['GET', '/b1', 'prefix=a', 'ListObjects'],
    ['GET', '/b1', 'versions', 'ListObjectVersions'],
    ['GET', '/b1', 'uploads', 'ListMultipartUploads'],
    ['POST', '/b1', 'delete', 'DeleteObjects'],
    ['PUT', '/b1/k', '', 'PutObject'],
    ['GET', '/b1/k', '', 'GetObject'],
    ['HEAD', '/b1/k', '', 'HeadObject'],
    ['DELETE', '/b1/k', '', 'DeleteObject'],
    ['POST', '/b1/k', 'uploads', 'CreateMultipartUpload'],
    ['PUT', '/b1/k', 'partNumber=1&uploadId=u', 'UploadPart'],
    ['POST', '/b1/k', 'uploadId=u', 'CompleteMultipartUpload'],
    ['DELETE', '/b1/k', 'uploadId=u', 'AbortMultipartUpload'],
    ['GET', '/b1/k', 'uploadId=u', 'ListParts'],
    ['PUT', '/b1/k', 'tagging', 'PutObjectTagging'],
  ])('%s %s?%s -> %s', (method, path, query, op) => {
    expect(svc.operationName(request(method, path, { query }))).toBe(op);
  });

  it('recognises CopyObject by its copy-source header', () => {
    expect(svc.operationName(request('PUT', '/b1/k', { headers: { 'x-amz-copy-source': '/b0/k' } }))).toBe('CopyObject');
  });

  it('rejects unimplemented sub-resources with NotImplemented', async () => {
    await createBucket('bkt1');
    await fails(send('GET', '/bkt1', { query: 'cors' }), 'NotImplemented', 501);
  });
});

describe('bucket names', () => {
  it.each(['abc', 'my-bucket.logs', 'a'.repeat(63), '1bucket9', 'a-b-c'])('accepts %s', (name) => {
    expect(bucketNameProblem(name)).toBeUndefined();
  });
  it.each([
    'ab',
    'a'.repeat(64),
    'MyBucket',
    'my_bucket',
    '-bucket',
    'bucket-',
    '.bucket',
    'my..bucket',
    '192.168.5.4',
    'xn--bucket',
    'sthree-bucket',
    'amzn-s3-demo-bucket',
    'bucket-s3alias',
    'bucket--ol-s3',
    'bucket.mrap',
    'bucket--x-s3',
  ])('rejects %s with InvalidBucketName', async (name) => {
    expect(bucketNameProblem(name)).toBeDefined();
    const err = await fails(createBucket(name), 'InvalidBucketName', 400, 'The specified bucket is not valid.');
    expect(err.extra).toEqual({ BucketName: name });
  });
});

describe('CreateBucket', () => {
  const config = (c: string) => `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>${c}</LocationConstraint></CreateBucketConfiguration>`;

  it('in us-east-1 accepts no body or an empty constraint and returns Location /bucket', async () => {
    const res = await createBucket('east-a');
    expect(res.status).toBe(200);
    expect(res.headers?.location).toBe('/east-a');
    expect((await createBucket('east-b', { body: config('') })).status).toBe(200);
    const loc = xml(await send('GET', '/east-a', { query: 'location' }), 'LocationConstraint');
    expect(loc.text).toBe('');
    expect(loc.attrs?.xmlns).toBe('http://s3.amazonaws.com/doc/2006-03-01/');
  });

  it('in us-east-1 rejects an explicit us-east-1 or any other constraint', async () => {
    const err = await fails(createBucket('east-c', { body: config('us-east-1') }), 'InvalidLocationConstraint', 400);
    expect(err.extra.LocationConstraint).toBe('us-east-1');
    await fails(
      createBucket('east-d', { body: config('eu-west-1') }),
      'IllegalLocationConstraintException',
      400,
      'The eu-west-1 location constraint is incompatible for the region specific endpoint this request was sent to.',
    );
  });

  it('outside us-east-1 requires the constraint to equal the region', async () => {
    await fails(
      createBucket('west-a', { region: 'eu-west-1' }),
      'IllegalLocationConstraintException',
      400,
      'The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.',
    );
    await fails(createBucket('west-b', { region: 'eu-west-1', body: config('eu-central-1') }), 'IllegalLocationConstraintException', 400);
    const ok = await createBucket('west-c', { region: 'eu-west-1', body: config('eu-west-1') });
    expect(ok.status).toBe(200);
    const loc = xml(await send('GET', '/west-c', { query: 'location', region: 'eu-west-1' }), 'LocationConstraint');
    expect(loc.text).toBe('eu-west-1');
    // GetBucketLocation signed for us-east-1 works for any bucket (region discovery).
    expect(xml(await send('GET', '/west-c', { query: 'location' }), 'LocationConstraint').text).toBe('eu-west-1');
  });

  it('rejects malformed configuration XML', async () => {
    await fails(createBucket('bad-xml', { body: '<CreateBucketConfiguration><LocationConstraint>' }), 'MalformedXML', 400);
  });

  it('shares one namespace across accounts: same owner vs another owner', async () => {
    await createBucket('shared-name');
    expect((await createBucket('shared-name')).status).toBe(200); // legacy us-east-1 behaviour
    const other = await fails(createBucket('shared-name', { principal: root(OTHER) }), 'BucketAlreadyExists', 409);
    expect(other.extra.BucketName).toBe('shared-name');

    await createBucket('west-owned', { region: 'eu-west-1', body: config('eu-west-1') });
    await fails(
      createBucket('west-owned', { region: 'eu-west-1', body: config('eu-west-1') }),
      'BucketAlreadyOwnedByYou',
      409,
      'Your previous request to create the named bucket succeeded and you already own it.',
    );
    await fails(createBucket('west-owned', { region: 'eu-west-1', body: config('eu-west-1'), principal: root(OTHER) }), 'BucketAlreadyExists', 409);
  });

  it('stores object lock, ownership and applies the current AWS defaults', async () => {
    await createBucket('locked', { headers: { 'x-amz-bucket-object-lock-enabled': 'true', 'x-amz-object-ownership': 'ObjectWriter' } });
    const lock = xml(await send('GET', '/locked', { query: 'object-lock' }), 'ObjectLockConfiguration');
    expect(childText(lock, 'ObjectLockEnabled')).toBe('Enabled');
    expect(childText(xml(await send('GET', '/locked', { query: 'versioning' }), 'VersioningConfiguration'), 'Status')).toBe('Enabled');
    const own = xml(await send('GET', '/locked', { query: 'ownershipControls' }), 'OwnershipControls');
    expect(childText(child(own, 'Rule'), 'ObjectOwnership')).toBe('ObjectWriter');

    await createBucket('plain');
    await fails(send('GET', '/plain', { query: 'object-lock' }), 'ObjectLockConfigurationNotFoundError', 404);
    const pab = xml(await send('GET', '/plain', { query: 'publicAccessBlock' }), 'PublicAccessBlockConfiguration');
    expect((pab.children ?? []).map((c) => `${c.name}=${c.text}`)).toEqual([
      'BlockPublicAcls=true',
      'IgnorePublicAcls=true',
      'BlockPublicPolicy=true',
      'RestrictPublicBuckets=true',
    ]);
    const ownDefault = xml(await send('GET', '/plain', { query: 'ownershipControls' }), 'OwnershipControls');
    expect(childText(child(ownDefault, 'Rule'), 'ObjectOwnership')).toBe('BucketOwnerEnforced');
    const versioning = xml(await send('GET', '/plain', { query: 'versioning' }), 'VersioningConfiguration');
    expect(versioning.children ?? []).toEqual([]);
  });

  it('rejects a public ACL on a BucketOwnerEnforced bucket', async () => {
    await fails(createBucket('acl-b', { headers: { 'x-amz-acl': 'public-read' } }), 'InvalidBucketAclWithObjectOwnership', 400);
    expect((await createBucket('acl-c', { headers: { 'x-amz-acl': 'private' } })).status).toBe(200);
  });
});

describe('HeadBucket / DeleteBucket / ListBuckets', () => {
  it('HeadBucket reports the region; unknown buckets are NoSuchBucket', async () => {
    await createBucket('head-me');
    const res = await send('HEAD', '/head-me');
    expect(res.status).toBe(200);
    expect(res.headers?.['x-amz-bucket-region']).toBe('us-east-1');
    const err = await fails(send('HEAD', '/missing-bucket'), 'NoSuchBucket', 404);
    expect(err.extra.BucketName).toBe('missing-bucket');
  });

  it('requests signed for the wrong region are redirected', async () => {
    await createBucket('eu-bucket', {
      region: 'eu-west-1',
      body: '<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>',
    });
    const head = await send('HEAD', '/eu-bucket');
    expect(head).toEqual({ status: 301, headers: { 'x-amz-bucket-region': 'eu-west-1' } });
    const err = await fails(send('GET', '/eu-bucket', { query: 'list-type=2' }), 'PermanentRedirect', 301);
    expect(err.extra).toEqual({ Bucket: 'eu-bucket', Endpoint: 's3.eu-west-1.amazonaws.com' });
  });

  it('DeleteBucket refuses non-empty buckets and frees the name', async () => {
    await createBucket('del-me');
    await put('del-me', 'k', 'x');
    const err = await fails(send('DELETE', '/del-me'), 'BucketNotEmpty', 409, 'The bucket you tried to delete is not empty');
    expect(err.extra.BucketName).toBe('del-me');
    expect((await send('DELETE', '/del-me/k')).status).toBe(204);
    expect((await send('DELETE', '/del-me')).status).toBe(204);
    await fails(send('HEAD', '/del-me'), 'NoSuchBucket', 404);
    expect((await createBucket('del-me', { principal: root(OTHER) })).status).toBe(200);
  });

  it('ListBuckets lists only the caller account buckets, paginated', async () => {
    await createBucket('lb-c');
    await createBucket('lb-a');
    await createBucket('lb-b');
    await createBucket('lb-other', { principal: root(OTHER) });
    const doc = xml(await send('GET', '/'), 'ListAllMyBucketsResult');
    const names = children(child(doc, 'Buckets'), 'Bucket').map((b) => childText(b, 'Name'));
    expect(names).toEqual(['lb-a', 'lb-b', 'lb-c']);
    expect(childText(child(doc, 'Owner'), 'ID')).toMatch(/^[0-9a-f]{64}$/);
    expect(childText(children(child(doc, 'Buckets'), 'Bucket')[0], 'CreationDate')).toBe(new Date(T0).toISOString());

    const p1 = xml(await send('GET', '/', { query: 'max-buckets=2' }), 'ListAllMyBucketsResult');
    expect(children(child(p1, 'Buckets'), 'Bucket').map((b) => childText(b, 'Name'))).toEqual(['lb-a', 'lb-b']);
    const token = childText(p1, 'ContinuationToken') ?? '';
    const p2 = xml(await send('GET', '/', { query: { 'max-buckets': '2', 'continuation-token': token } }), 'ListAllMyBucketsResult');
    expect(children(child(p2, 'Buckets'), 'Bucket').map((b) => childText(b, 'Name'))).toEqual(['lb-c']);
    expect(childText(p2, 'ContinuationToken')).toBeUndefined();
  });
});

describe('bucket configuration', () => {
  beforeEach(async () => {
    await createBucket('cfg');
  });

  it('encryption defaults to SSE-S3 with SSE-C blocked, accepts KMS and resets on delete', async () => {
    const def = xml(await send('GET', '/cfg', { query: 'encryption' }), 'ServerSideEncryptionConfiguration');
    const rule = child(def, 'Rule');
    expect(childText(child(rule, 'ApplyServerSideEncryptionByDefault'), 'SSEAlgorithm')).toBe('AES256');
    expect(childText(rule, 'BucketKeyEnabled')).toBe('false');
    expect(childText(child(rule, 'BlockedEncryptionTypes'), 'EncryptionType')).toBe('SSE-C');

    const kms = `<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>arn:aws:kms:us-east-1:${ACCOUNT}:key/abc</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`;
    expect((await send('PUT', '/cfg', { query: 'encryption', ...withMd5(kms) })).status).toBe(200);
    const got = child(xml(await send('GET', '/cfg', { query: 'encryption' }), 'ServerSideEncryptionConfiguration'), 'Rule');
    expect(childText(child(got, 'ApplyServerSideEncryptionByDefault'), 'KMSMasterKeyID')).toBe(`arn:aws:kms:us-east-1:${ACCOUNT}:key/abc`);
    expect(childText(got, 'BucketKeyEnabled')).toBe('true');

    const res = await put('cfg', 'enc.txt', 'secret');
    expect(res.headers?.['x-amz-server-side-encryption']).toBe('aws:kms');
    expect(res.headers?.['x-amz-server-side-encryption-aws-kms-key-id']).toBe(`arn:aws:kms:us-east-1:${ACCOUNT}:key/abc`);
    expect(res.headers?.['x-amz-server-side-encryption-bucket-key-enabled']).toBe('true');

    expect((await send('DELETE', '/cfg', { query: 'encryption' })).status).toBe(204);
    const reset = child(xml(await send('GET', '/cfg', { query: 'encryption' }), 'ServerSideEncryptionConfiguration'), 'Rule');
    expect(childText(child(reset, 'ApplyServerSideEncryptionByDefault'), 'SSEAlgorithm')).toBe('AES256');
    expect((await put('cfg', 'enc2.txt', 'x')).headers?.['x-amz-server-side-encryption']).toBe('AES256');
  });

  it('encryption validation', async () => {
    const bad = '<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>DES</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>';
    await fails(send('PUT', '/cfg', { query: 'encryption', body: bad }), 'MalformedXML', 400);
    const keyWithAes = '<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>';
    await fails(send('PUT', '/cfg', { query: 'encryption', body: keyWithAes }), 'InvalidArgument', 400);
    await fails(send('PUT', '/cfg', { query: 'encryption', body: '<Wrong/>' }), 'MalformedXML', 400);
  });

  it('public access block put/get/delete', async () => {
    const body = '<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><RestrictPublicBuckets>TRUE</RestrictPublicBuckets></PublicAccessBlockConfiguration>';
    await send('PUT', '/cfg', { query: 'publicAccessBlock', body });
    const got = xml(await send('GET', '/cfg', { query: 'publicAccessBlock' }), 'PublicAccessBlockConfiguration');
    expect(Object.fromEntries((got.children ?? []).map((c) => [c.name, c.text]))).toEqual({
      BlockPublicAcls: 'true',
      IgnorePublicAcls: 'false',
      BlockPublicPolicy: 'false',
      RestrictPublicBuckets: 'true',
    });
    await send('DELETE', '/cfg', { query: 'publicAccessBlock' });
    const err = await fails(send('GET', '/cfg', { query: 'publicAccessBlock' }), 'NoSuchPublicAccessBlockConfiguration', 404);
    expect(err.extra.BucketName).toBe('cfg');
    await fails(send('PUT', '/cfg', { query: 'publicAccessBlock', body: '<PublicAccessBlockConfiguration><BlockPublicAcls>yes</BlockPublicAcls></PublicAccessBlockConfiguration>' }), 'MalformedXML', 400);
  });

  it('versioning put/get and validation', async () => {
    await send('PUT', '/cfg', { query: 'versioning', body: '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>' });
    expect(childText(xml(await send('GET', '/cfg', { query: 'versioning' }), 'VersioningConfiguration'), 'Status')).toBe('Enabled');
    await send('PUT', '/cfg', { query: 'versioning', body: '<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>' });
    expect(childText(xml(await send('GET', '/cfg', { query: 'versioning' }), 'VersioningConfiguration'), 'Status')).toBe('Suspended');
    await fails(send('PUT', '/cfg', { query: 'versioning', body: '<VersioningConfiguration><Status>On</Status></VersioningConfiguration>' }), 'MalformedXML', 400);
  });

  it('ownership controls put/get/delete', async () => {
    await send('PUT', '/cfg', { query: 'ownershipControls', body: '<OwnershipControls><Rule><ObjectOwnership>BucketOwnerPreferred</ObjectOwnership></Rule></OwnershipControls>' });
    expect(childText(child(xml(await send('GET', '/cfg', { query: 'ownershipControls' }), 'OwnershipControls'), 'Rule'), 'ObjectOwnership')).toBe('BucketOwnerPreferred');
    await send('DELETE', '/cfg', { query: 'ownershipControls' });
    await fails(send('GET', '/cfg', { query: 'ownershipControls' }), 'OwnershipControlsNotFoundError', 404, 'The bucket ownership controls were not found');
    await fails(send('PUT', '/cfg', { query: 'ownershipControls', body: '<OwnershipControls><Rule><ObjectOwnership>Me</ObjectOwnership></Rule></OwnershipControls>' }), 'MalformedXML', 400);
  });

  it('lifecycle put/get/delete with generated IDs', async () => {
    await fails(send('GET', '/cfg', { query: 'lifecycle' }), 'NoSuchLifecycleConfiguration', 404, 'The lifecycle configuration does not exist');
    const body = lifecycleBody(
      '<Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule>' +
        '<Rule><Filter/><Status>Disabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload><NoncurrentVersionExpiration><NoncurrentDays>10</NoncurrentDays></NoncurrentVersionExpiration></Rule>',
    );
    const res = await send('PUT', '/cfg', { query: 'lifecycle', ...withMd5(body) });
    expect(res.headers?.['x-amz-transition-default-minimum-object-size']).toBe('all_storage_classes_128K');
    const got = xml(await send('GET', '/cfg', { query: 'lifecycle' }), 'LifecycleConfiguration');
    const rules = children(got, 'Rule');
    expect(rules.map((r) => childText(r, 'ID'))).toEqual(['logs', expect.stringMatching(/.+/)]);
    expect(childText(child(rules[0], 'Filter'), 'Prefix')).toBe('logs/');
    expect(childText(child(rules[1], 'AbortIncompleteMultipartUpload'), 'DaysAfterInitiation')).toBe('7');
    expect((await send('DELETE', '/cfg', { query: 'lifecycle' })).status).toBe(204);
    await fails(send('GET', '/cfg', { query: 'lifecycle' }), 'NoSuchLifecycleConfiguration', 404);
  });

  it.each([
    ['missing Content-MD5', undefined, 'InvalidRequest', 'Missing required header for this request: Content-MD5'],
    ['not XML', '<LifecycleConfiguration><Rule>', 'MalformedXML', undefined],
    ['bad status', lifecycleBody('<Rule><Filter/><Status>On</Status><Expiration><Days>1</Days></Expiration></Rule>'), 'MalformedXML', undefined],
    ['no action', lifecycleBody('<Rule><Filter/><Status>Enabled</Status></Rule>'), 'InvalidRequest', 'At least one action needs to be specified in a rule'],
    ['zero days', lifecycleBody('<Rule><Filter/><Status>Enabled</Status><Expiration><Days>0</Days></Expiration></Rule>'), 'InvalidArgument', "'Days' for Expiration action must be a positive integer"],
    ['duplicate ids', lifecycleBody('<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule><Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule>'), 'InvalidArgument', 'Rule ID must be unique. Found same ID for more than one rule'],
    ['filter and prefix', lifecycleBody('<Rule><Prefix>a</Prefix><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>'), 'MalformedXML', undefined],
    ['IA before 30 days', lifecycleBody('<Rule><Filter/><Status>Enabled</Status><Transition><Days>5</Days><StorageClass>STANDARD_IA</StorageClass></Transition></Rule>'), 'InvalidArgument', undefined],
  ])('lifecycle rejects %s', async (_name, body, code, message) => {
    const o: Opts = body === undefined ? { body: lifecycleBody('<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>') } : withMd5(body);
    await fails(send('PUT', '/cfg', { query: 'lifecycle', ...o }), code, 400, message);
  });

  it('bucket policy validation, storage and BlockPublicPolicy', async () => {
    await fails(send('GET', '/cfg', { query: 'policy' }), 'NoSuchBucketPolicy', 404, 'The bucket policy does not exist');
    await fails(send('PUT', '/cfg', { query: 'policy', body: 'not json' }), 'MalformedPolicy', 400, "Policies must be valid JSON and the first byte must be '{'");
    const stmt = (s: object) => JSON.stringify({ Version: '2012-10-17', Statement: [s] });
    const base = { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OTHER}:root` }, Action: 's3:GetObject' };
    await fails(send('PUT', '/cfg', { query: 'policy', body: stmt({ ...base, Resource: 'arn:aws:s3:::other-bucket/*' }) }), 'MalformedPolicy', 400, 'Policy has invalid resource');
    await fails(send('PUT', '/cfg', { query: 'policy', body: stmt({ ...base, Action: 'iam:PassRole', Resource: 'arn:aws:s3:::cfg/*' }) }), 'MalformedPolicy', 400, 'Policy has invalid action');
    await fails(send('PUT', '/cfg', { query: 'policy', body: stmt({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::cfg/*' }) }), 'MalformedPolicy', 400, 'Missing required field Principal');
    await fails(send('PUT', '/cfg', { query: 'policy', body: stmt({ ...base, Principal: { AWS: 'not-an-arn' }, Resource: 'arn:aws:s3:::cfg/*' }) }), 'MalformedPolicy', 400, 'Invalid principal in policy');

    const good = stmt({ ...base, Resource: ['arn:aws:s3:::cfg/*', 'arn:aws:s3:::cfg'] });
    expect((await send('PUT', '/cfg', { query: 'policy', body: good })).status).toBe(204);
    const got = await send('GET', '/cfg', { query: 'policy' });
    expect(String(got.body)).toBe(good);

    const publicPolicy = stmt({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::cfg/*' });
    await fails(send('PUT', '/cfg', { query: 'policy', body: publicPolicy }), 'AccessDenied', 403, /BlockPublicPolicy/);
    const pinned = stmt({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::cfg/*', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc' } } });
    expect((await send('PUT', '/cfg', { query: 'policy', body: pinned })).status).toBe(204);
    await send('DELETE', '/cfg', { query: 'publicAccessBlock' });
    expect((await send('PUT', '/cfg', { query: 'policy', body: publicPolicy })).status).toBe(204);
    expect((await send('DELETE', '/cfg', { query: 'policy' })).status).toBe(204);
    await fails(send('GET', '/cfg', { query: 'policy' }), 'NoSuchBucketPolicy', 404);
  });

  it('bucket tagging put/get/delete and tag rules', async () => {
    const tagging = (tags: [string, string][]) =>
      `<Tagging><TagSet>${tags.map(([k, v]) => `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`).join('')}</TagSet></Tagging>`;
    await fails(send('GET', '/cfg', { query: 'tagging' }), 'NoSuchTagSet', 404, 'The TagSet does not exist');
    expect((await send('PUT', '/cfg', { query: 'tagging', ...withMd5(tagging([['env', 'prod'], ['team', 'a b']])) })).status).toBe(204);
    const got = xml(await send('GET', '/cfg', { query: 'tagging' }), 'Tagging');
    expect(children(child(got, 'TagSet'), 'Tag').map((t) => [childText(t, 'Key'), childText(t, 'Value')])).toEqual([
      ['env', 'prod'],
      ['team', 'a b'],
    ]);
    const dup = await fails(send('PUT', '/cfg', { query: 'tagging', body: tagging([['a', '1'], ['a', '2']]) }), 'InvalidTag', 400, 'Cannot provide multiple Tags with the same key');
    expect(dup.extra.TagKey).toBe('a');
    await fails(send('PUT', '/cfg', { query: 'tagging', body: tagging([['aws:x', '1']]) }), 'InvalidTag', 400);
    await fails(send('PUT', '/cfg', { query: 'tagging', body: tagging([['k'.repeat(129), '1']]) }), 'InvalidTag', 400, 'The TagKey you have provided is invalid');
    await fails(send('PUT', '/cfg', { query: 'tagging', body: tagging([['k', 'v'.repeat(257)]]) }), 'InvalidTag', 400, 'The TagValue you have provided is invalid');
    await fails(send('PUT', '/cfg', { query: 'tagging', body: tagging([['bad#key', '1']]) }), 'InvalidTag', 400);
    expect((await send('DELETE', '/cfg', { query: 'tagging' })).status).toBe(204);
    await fails(send('GET', '/cfg', { query: 'tagging' }), 'NoSuchTagSet', 404);
  });
});

describe('digests and checksums', () => {
  beforeEach(async () => {
    await createBucket('dig');
  });

  it('computes the standard check values', () => {
    const data = Buffer.from('123456789');
    expect(Buffer.from(computeChecksum('CRC32', data), 'base64').toString('hex')).toBe('cbf43926');
    expect(Buffer.from(computeChecksum('CRC32C', data), 'base64').toString('hex')).toBe('e3069283');
    expect(Buffer.from(computeChecksum('CRC64NVME', data), 'base64').toString('hex')).toBe('ae8b14860a799888');
  });

  it('verifies Content-MD5', async () => {
    expect((await put('dig', 'a', 'hello', { headers: { 'content-md5': md5b64('hello') } })).status).toBe(200);
    await fails(put('dig', 'b', 'hello', { headers: { 'content-md5': md5b64('other') } }), 'BadDigest', 400);
    await fails(put('dig', 'c', 'hello', { headers: { 'content-md5': 'short' } }), 'InvalidDigest', 400);
  });

  it('verifies and echoes x-amz-checksum-* and returns it in checksum mode only', async () => {
    const crc = computeChecksum('CRC32', Buffer.from('hello'));
    const res = await put('dig', 'a', 'hello', { headers: { 'x-amz-checksum-crc32': crc, 'x-amz-sdk-checksum-algorithm': 'CRC32' } });
    expect(res.headers?.['x-amz-checksum-crc32']).toBe(crc);
    await fails(put('dig', 'b', 'hello', { headers: { 'x-amz-checksum-crc32': computeChecksum('CRC32', Buffer.from('x')) } }), 'BadDigest', 400, 'The CRC32 you specified did not match the calculated checksum.');
    await fails(put('dig', 'c', 'hello', { headers: { 'x-amz-sdk-checksum-algorithm': 'CRC32' } }), 'InvalidRequest', 400);
    const plain = await send('GET', '/dig/a');
    expect(plain.headers?.['x-amz-checksum-crc32']).toBeUndefined();
    const withMode = await send('GET', '/dig/a', { headers: { 'x-amz-checksum-mode': 'ENABLED' } });
    expect(withMode.headers?.['x-amz-checksum-crc32']).toBe(crc);
    const ranged = await send('GET', '/dig/a', { headers: { 'x-amz-checksum-mode': 'ENABLED', range: 'bytes=0-1' } });
    expect(ranged.headers?.['x-amz-checksum-crc32']).toBeUndefined();
    // Without a client checksum S3 stores a full-object CRC64NVME.
    await put('dig', 'd', 'hello');
    const d = await send('HEAD', '/dig/d', { headers: { 'x-amz-checksum-mode': 'ENABLED' } });
    expect(d.headers?.['x-amz-checksum-crc64nvme']).toBe(computeChecksum('CRC64NVME', Buffer.from('hello')));
  });
});

describe('objects', () => {
  beforeEach(async () => {
    await createBucket('obj');
  });

  it('PutObject / GetObject / HeadObject round trip with metadata', async () => {
    const res = await put('obj', 'dir/hello world.txt', 'hello', {
      headers: { 'content-type': 'text/plain', 'x-amz-meta-owner': 'team-a', 'cache-control': 'no-cache' },
    });
    expect(res.status).toBe(200);
    expect(res.headers?.etag).toBe(`"${md5hex('hello')}"`);
    expect(res.headers?.['x-amz-server-side-encryption']).toBe('AES256');
    expect(res.headers?.['x-amz-version-id']).toBeUndefined();

    const got = await send('GET', '/obj/dir/hello%20world.txt');
    expect(got.status).toBe(200);
    expect(String(got.body)).toBe('hello');
    expect(got.headers).toMatchObject({
      'content-type': 'text/plain',
      'x-amz-meta-owner': 'team-a',
      'cache-control': 'no-cache',
      etag: `"${md5hex('hello')}"`,
      'content-length': '5',
      'last-modified': new Date(T0).toUTCString(),
    });
    const head = await send('HEAD', '/obj/dir/hello%20world.txt');
    expect(head.body).toBeUndefined();
    expect(head.headers?.['content-length']).toBe('5');

    await put('obj', 'raw', Buffer.from([0, 1, 2]));
    expect((await send('GET', '/obj/raw')).headers?.['content-type']).toBe('binary/octet-stream');
  });

  it('missing keys: NoSuchKey with ListBucket, AccessDenied without', async () => {
    const err = await fails(send('GET', '/obj/nope'), 'NoSuchKey', 404, 'The specified key does not exist.');
    expect(err.extra.Key).toBe('nope');
    kernel.decide = (r) => (r.action === 's3:ListBucket' ? { allowed: false, reason: 'ImplicitDeny' } : { allowed: true, reason: 'Allowed' });
    await fails(send('GET', '/obj/nope', { principal: user }), 'AccessDenied', 403, 'Access Denied');
  });

  it('ranges and conditional requests', async () => {
    await put('obj', 'r', '0123456789');
    const part = await send('GET', '/obj/r', { headers: { range: 'bytes=2-4' } });
    expect(part.status).toBe(206);
    expect(String(part.body)).toBe('234');
    expect(part.headers?.['content-range']).toBe('bytes 2-4/10');
    expect(String((await send('GET', '/obj/r', { headers: { range: 'bytes=-3' } })).body)).toBe('789');
    expect(String((await send('GET', '/obj/r', { headers: { range: 'bytes=8-' } })).body)).toBe('89');
    const bad = await fails(send('GET', '/obj/r', { headers: { range: 'bytes=20-30' } }), 'InvalidRange', 416);
    expect(bad.extra.ActualObjectSize).toBe('10');

    const etag = `"${md5hex('0123456789')}"`;
    expect((await send('GET', '/obj/r', { headers: { 'if-none-match': etag } })).status).toBe(304);
    await fails(send('GET', '/obj/r', { headers: { 'if-match': '"abc"' } }), 'PreconditionFailed', 412);
    expect((await send('GET', '/obj/r', { headers: { 'if-match': etag } })).status).toBe(200);
    await fails(put('obj', 'r', 'new', { headers: { 'if-none-match': '*' } }), 'PreconditionFailed', 412);
    expect((await put('obj', 'r2', 'new', { headers: { 'if-none-match': '*' } })).status).toBe(200);
    expect(String((await send('GET', '/obj/r', { query: { 'response-content-type': 'text/csv' } })).headers?.['content-type'])).toBe('text/csv');
  });

  it('CopyObject copies bytes and metadata, and refuses a no-op self copy', async () => {
    await put('obj', 'src', 'payload', { headers: { 'x-amz-meta-a': '1', 'content-type': 'text/plain' } });
    const res = await send('PUT', '/obj/dst', { headers: { 'x-amz-copy-source': '/obj/src' } });
    const doc = xml(res, 'CopyObjectResult');
    expect(childText(doc, 'ETag')).toBe(`"${md5hex('payload')}"`);
    const got = await send('GET', '/obj/dst');
    expect(String(got.body)).toBe('payload');
    expect(got.headers?.['x-amz-meta-a']).toBe('1');
    await fails(send('PUT', '/obj/src', { headers: { 'x-amz-copy-source': 'obj/src' } }), 'InvalidRequest', 400);
    await fails(send('PUT', '/obj/dst2', { headers: { 'x-amz-copy-source': 'obj/missing' } }), 'NoSuchKey', 404);
  });

  it('object tagging via header and sub-resource', async () => {
    await put('obj', 't', 'x', { headers: { 'x-amz-tagging': 'a=1&b=two%20words' } });
    expect((await send('GET', '/obj/t')).headers?.['x-amz-tagging-count']).toBe('2');
    const tags = xml(await send('GET', '/obj/t', { query: 'tagging' }), 'Tagging');
    expect(children(child(tags, 'TagSet'), 'Tag').map((t) => childText(t, 'Value'))).toEqual(['1', 'two words']);
    const many = Array.from({ length: 11 }, (_, i) => `<Tag><Key>k${i}</Key><Value>v</Value></Tag>`).join('');
    await fails(send('PUT', '/obj/t', { query: 'tagging', body: `<Tagging><TagSet>${many}</TagSet></Tagging>` }), 'BadRequest', 400, 'Object tags cannot be greater than 10');
    expect((await send('DELETE', '/obj/t', { query: 'tagging' })).status).toBe(204);
    expect((await send('GET', '/obj/t')).headers?.['x-amz-tagging-count']).toBeUndefined();
  });

  it('DeleteObjects deletes, reports per-key denials and honours Quiet', async () => {
    await put('obj', 'a', '1');
    await put('obj', 'b', '2');
    await put('obj', 'keep', '3');
    const body = '<Delete><Object><Key>a</Key></Object><Object><Key>keep</Key></Object><Object><Key>never-existed</Key></Object></Delete>';
    kernel.decide = (r) => (r.resource.endsWith('/keep') ? { allowed: false, reason: 'ExplicitDeny' } : { allowed: true, reason: 'Allowed' });
    const doc = xml(await send('POST', '/obj', { query: 'delete', principal: user, ...withMd5(body) }), 'DeleteResult');
    expect(children(doc, 'Deleted').map((d) => childText(d, 'Key'))).toEqual(['a', 'never-existed']);
    expect(children(doc, 'Error').map((e) => [childText(e, 'Key'), childText(e, 'Code')])).toEqual([['keep', 'AccessDenied']]);
    kernel.decide = () => ({ allowed: true, reason: 'Allowed' });
    const quiet = '<Delete><Quiet>true</Quiet><Object><Key>b</Key></Object></Delete>';
    const q = xml(await send('POST', '/obj', { query: 'delete', ...withMd5(quiet) }), 'DeleteResult');
    expect(q.children ?? []).toEqual([]);
    await fails(send('GET', '/obj/b'), 'NoSuchKey', 404);
    expect(String((await send('GET', '/obj/keep')).body)).toBe('3');
    await fails(send('POST', '/obj', { query: 'delete', body: quiet }), 'InvalidRequest', 400);
  });

  it('object ACLs: rejected on BucketOwnerEnforced buckets, public ACLs blocked by BlockPublicAcls', async () => {
    await fails(put('obj', 'acl', 'x', { headers: { 'x-amz-acl': 'public-read' } }), 'AccessControlListNotSupported', 400, 'The bucket does not allow ACLs');
    await fails(put('obj', 'acl', 'x', { headers: { 'x-amz-grant-read': 'id=abc' } }), 'AccessControlListNotSupported', 400);
    expect((await put('obj', 'acl', 'x', { headers: { 'x-amz-acl': 'bucket-owner-full-control' } })).status).toBe(200);
    await send('PUT', '/obj', { query: 'ownershipControls', body: '<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>' });
    await fails(put('obj', 'acl', 'x', { headers: { 'x-amz-acl': 'public-read' } }), 'AccessDenied', 403);
    await send('DELETE', '/obj', { query: 'publicAccessBlock' });
    expect((await put('obj', 'acl', 'x', { headers: { 'x-amz-acl': 'public-read' } })).status).toBe(200);
  });

  it('x-amz-expected-bucket-owner must match the owner', async () => {
    await put('obj', 'k', 'x');
    expect((await send('GET', '/obj/k', { headers: { 'x-amz-expected-bucket-owner': ACCOUNT } })).status).toBe(200);
    await fails(send('GET', '/obj/k', { headers: { 'x-amz-expected-bucket-owner': OTHER } }), 'AccessDenied', 403);
  });

  it('rejects keys longer than 1024 bytes', async () => {
    await fails(put('obj', 'k'.repeat(1025), 'x'), 'KeyTooLongError', 400);
  });
});

describe('versioning', () => {
  beforeEach(async () => {
    await createBucket('ver');
    await send('PUT', '/ver', { query: 'versioning', body: '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>' });
  });

  it('keeps versions, creates delete markers and blocks bucket deletion until all are gone', async () => {
    const v1 = (await put('ver', 'k', 'one')).headers?.['x-amz-version-id'] ?? '';
    const v2 = (await put('ver', 'k', 'two')).headers?.['x-amz-version-id'] ?? '';
    expect(v1).not.toBe(v2);
    expect(String((await send('GET', '/ver/k')).body)).toBe('two');
    expect(String((await send('GET', '/ver/k', { query: { versionId: v1 } })).body)).toBe('one');

    const del = await send('DELETE', '/ver/k');
    expect(del.headers?.['x-amz-delete-marker']).toBe('true');
    const marker = del.headers?.['x-amz-version-id'] ?? '';
    await fails(send('GET', '/ver/k'), 'NoSuchKey', 404);
    await fails(send('GET', '/ver/k', { query: { versionId: marker } }), 'MethodNotAllowed', 405);
    await fails(send('GET', '/ver/k', { query: { versionId: 'nope' } }), 'NoSuchVersion', 404);

    const listed = xml(await send('GET', '/ver', { query: 'list-type=2' }), 'ListBucketResult');
    expect(childText(listed, 'KeyCount')).toBe('0');
    const versions = xml(await send('GET', '/ver', { query: 'versions' }), 'ListVersionsResult');
    expect(children(versions, 'Version').map((v) => childText(v, 'VersionId'))).toEqual([v2, v1]);
    expect(children(versions, 'DeleteMarker').map((v) => [childText(v, 'VersionId'), childText(v, 'IsLatest')])).toEqual([[marker, 'true']]);

    await fails(send('DELETE', '/ver'), 'BucketNotEmpty', 409, /delete all versions/);
    for (const id of [marker, v2, v1]) {
      const r = await send('DELETE', '/ver/k', { query: { versionId: id } });
      expect(r.status).toBe(204);
      expect(r.headers?.['x-amz-version-id']).toBe(id);
    }
    expect((await send('DELETE', '/ver')).status).toBe(204);
  });

  it('suspended versioning overwrites the null version', async () => {
    await put('ver', 'k', 'versioned');
    await send('PUT', '/ver', { query: 'versioning', body: '<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>' });
    expect((await put('ver', 'k', 'a')).headers?.['x-amz-version-id']).toBe('null');
    await put('ver', 'k', 'b');
    const versions = xml(await send('GET', '/ver', { query: 'versions' }), 'ListVersionsResult');
    expect(children(versions, 'Version').map((v) => childText(v, 'VersionId'))).toEqual(['null', expect.not.stringMatching(/^null$/)]);
  });
});

describe('ListObjectsV2', () => {
  beforeEach(async () => {
    await createBucket('lst');
    for (const k of ['a/1', 'a/2', 'b/1', 'c', 'd e', 'a/b/3']) await put('lst', k, k);
  });

  const list = async (query: Record<string, string>) => xml(await send('GET', '/lst', { query: { 'list-type': '2', ...query } }), 'ListBucketResult');
  const keys = (doc: XmlElement) => children(doc, 'Contents').map((c) => childText(c, 'Key') ?? '');
  const prefixes = (doc: XmlElement) => children(doc, 'CommonPrefixes').map((c) => childText(c, 'Prefix') ?? '');

  it('lists everything in key order', async () => {
    const doc = await list({});
    expect(keys(doc)).toEqual(['a/1', 'a/2', 'a/b/3', 'b/1', 'c', 'd e']);
    expect(childText(doc, 'KeyCount')).toBe('6');
    expect(childText(doc, 'IsTruncated')).toBe('false');
    const first = children(doc, 'Contents')[0];
    expect(childText(first, 'Size')).toBe('3');
    expect(childText(first, 'StorageClass')).toBe('STANDARD');
    expect(child(first, 'Owner')).toBeUndefined();
  });

  it('prefix + delimiter produce CommonPrefixes', async () => {
    const top = await list({ delimiter: '/' });
    expect(keys(top)).toEqual(['c', 'd e']);
    expect(prefixes(top)).toEqual(['a/', 'b/']);
    expect(childText(top, 'KeyCount')).toBe('4');
    const inA = await list({ prefix: 'a/', delimiter: '/' });
    expect(keys(inA)).toEqual(['a/1', 'a/2']);
    expect(prefixes(inA)).toEqual(['a/b/']);
  });

  it('paginates with max-keys and continuation tokens, counting prefixes once', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const doc = await list({ delimiter: '/', 'max-keys': '1', ...(token ? { 'continuation-token': token } : {}) });
      seen.push(...keys(doc), ...prefixes(doc));
      token = childText(doc, 'NextContinuationToken');
      expect(childText(doc, 'IsTruncated')).toBe(token ? 'true' : 'false');
      pages++;
    } while (token);
    expect(seen).toEqual(['a/', 'b/', 'c', 'd e']);
    expect(pages).toBe(4);
    await fails(send('GET', '/lst', { query: { 'list-type': '2', 'continuation-token': 'garbage' } }), 'InvalidArgument', 400);
  });

  it('start-after and encoding-type=url', async () => {
    expect(keys(await list({ 'start-after': 'b/1' }))).toEqual(['c', 'd e']);
    const enc = await list({ 'encoding-type': 'url', prefix: 'd' });
    expect(childText(enc, 'EncodingType')).toBe('url');
    expect(keys(enc)).toEqual(['d+e']);
    await fails(send('GET', '/lst', { query: { 'list-type': '2', 'encoding-type': 'base64' } }), 'InvalidArgument', 400);
    await fails(send('GET', '/lst', { query: { 'list-type': '2', 'max-keys': '-1' } }), 'InvalidArgument', 400);
  });

  it('ListObjects v1 reports NextMarker with a delimiter', async () => {
    const doc = xml(await send('GET', '/lst', { query: { delimiter: '/', 'max-keys': '2' } }), 'ListBucketResult');
    expect(prefixes(doc)).toEqual(['a/', 'b/']);
    expect(childText(doc, 'NextMarker')).toBe('b/');
    const next = xml(await send('GET', '/lst', { query: { delimiter: '/', marker: 'b/' } }), 'ListBucketResult');
    expect(keys(next)).toEqual(['c', 'd e']);
    expect(child(children(next, 'Contents')[0], 'Owner')).toBeDefined();
  });
});

describe('multipart uploads', () => {
  beforeEach(async () => {
    await createBucket('mpu');
  });

  async function start(key: string): Promise<string> {
    const doc = xml(await send('POST', `/mpu/${key}`, { query: 'uploads', headers: { 'content-type': 'video/mp4' } }), 'InitiateMultipartUploadResult');
    expect(childText(doc, 'Key')).toBe(key);
    return childText(doc, 'UploadId') ?? '';
  }
  const part = (key: string, uploadId: string, n: number, body: Buffer) =>
    send('PUT', `/mpu/${key}`, { query: { partNumber: String(n), uploadId }, body });
  const complete = (key: string, uploadId: string, parts: [number, string][]) =>
    send('POST', `/mpu/${key}`, {
      query: { uploadId },
      body: `<CompleteMultipartUpload>${parts.map(([n, e]) => `<Part><PartNumber>${n}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`,
    });

  it('assembles parts with the multipart ETag', async () => {
    const id = await start('big');
    const p1 = Buffer.alloc(5 * MiB, 1);
    const p2 = Buffer.from('tail');
    const e1 = (await part('big', id, 1, p1)).headers?.etag ?? '';
    const e2 = (await part('big', id, 2, p2)).headers?.etag ?? '';
    expect(e1).toBe(`"${md5hex(p1)}"`);

    const parts = xml(await send('GET', '/mpu/big', { query: { uploadId: id, 'max-parts': '1' } }), 'ListPartsResult');
    expect(children(parts, 'Part').map((p) => childText(p, 'PartNumber'))).toEqual(['1']);
    expect(childText(parts, 'IsTruncated')).toBe('true');
    const uploads = xml(await send('GET', '/mpu', { query: 'uploads' }), 'ListMultipartUploadsResult');
    expect(children(uploads, 'Upload').map((u) => childText(u, 'UploadId'))).toEqual([id]);
    expect(svc.inventory(ACCOUNT).multipartUploads).toEqual([`mpu/big#${id}`]);

    const doc = xml(await complete('big', id, [[1, e1], [2, e2.replace(/"/g, '')]]), 'CompleteMultipartUploadResult');
    const expected = createHash('md5').update(Buffer.concat([Buffer.from(md5hex(p1), 'hex'), Buffer.from(md5hex(p2), 'hex')])).digest('hex');
    expect(childText(doc, 'ETag')).toBe(`"${expected}-2"`);
    expect(childText(doc, 'Location')).toBe('http://127.0.0.1:4566/mpu/big');
    const got = await send('GET', '/mpu/big');
    expect(bytes(got).length).toBe(5 * MiB + 4);
    expect(got.headers?.['content-type']).toBe('video/mp4');
    await fails(send('GET', '/mpu/big', { query: { uploadId: id } }), 'NoSuchUpload', 404);
  });

  it('validates parts: EntityTooSmall, InvalidPartOrder, InvalidPart, bad part numbers', async () => {
    const id = await start('k');
    const e1 = (await part('k', id, 1, Buffer.from('small'))).headers?.etag ?? '';
    const e2 = (await part('k', id, 2, Buffer.from('tail'))).headers?.etag ?? '';
    const small = await fails(complete('k', id, [[1, e1], [2, e2]]), 'EntityTooSmall', 400, 'Your proposed upload is smaller than the minimum allowed size');
    expect(small.extra).toMatchObject({ ProposedSize: '5', MinSizeAllowed: String(5 * MiB), PartNumber: '1' });
    await fails(complete('k', id, [[2, e2], [1, e1]]), 'InvalidPartOrder', 400);
    await fails(complete('k', id, [[1, '"0000"']]), 'InvalidPart', 400);
    await fails(complete('k', id, [[3, e2]]), 'InvalidPart', 400);
    await fails(complete('k', id, []), 'MalformedXML', 400);
    await fails(part('k', id, 10001, Buffer.from('x')), 'InvalidArgument', 400);
    // A single small part is fine: only non-last parts have a minimum.
    expect((await complete('k', id, [[2, e2]])).status).toBe(200);
    expect(String((await send('GET', '/mpu/k')).body)).toBe('tail');
  });

  it('abort discards the upload; unknown ids are NoSuchUpload', async () => {
    const id = await start('gone');
    expect((await send('DELETE', '/mpu/gone', { query: { uploadId: id } })).status).toBe(204);
    const err = await fails(send('DELETE', '/mpu/gone', { query: { uploadId: id } }), 'NoSuchUpload', 404);
    expect(err.extra.UploadId).toBe(id);
    await fails(part('gone', id, 1, Buffer.from('x')), 'NoSuchUpload', 404);
  });
});

describe('authorization', () => {
  beforeEach(async () => {
    await createBucket('authz');
    kernel.calls = [];
  });

  it('passes action, ARN, owner account, bucket policy and S3 context keys', async () => {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OTHER}:root` }, Action: 's3:*', Resource: 'arn:aws:s3:::authz/*' }],
    });
    await send('PUT', '/authz', { query: 'policy', body: policy });
    kernel.calls = [];
    await put('authz', 'x/y.txt', 'data', { principal: user, headers: { 'x-amz-server-side-encryption': 'AES256' } });
    await send('GET', '/authz', { query: { 'list-type': '2', prefix: 'x/' }, principal: user });
    await send('PUT', '/authz', { query: 'encryption', principal: root(OTHER), body: '<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>' });
    expect(kernel.calls.map((c) => [c.action, c.resource, c.resourceAccount, c.principal.arn])).toEqual([
      ['s3:PutObject', 'arn:aws:s3:::authz/x/y.txt', ACCOUNT, user.arn],
      ['s3:ListBucket', 'arn:aws:s3:::authz', ACCOUNT, user.arn],
      ['s3:PutEncryptionConfiguration', 'arn:aws:s3:::authz', ACCOUNT, `arn:aws:iam::${OTHER}:root`],
    ]);
    expect(kernel.calls.every((c) => c.resourcePolicy === policy)).toBe(true);
    expect(kernel.calls[0]?.context).toEqual({ 's3:x-amz-server-side-encryption': 'AES256' });
    expect(kernel.calls[1]?.context).toEqual({ 's3:prefix': 'x/' });
  });

  it.each([
    ['PUT', '/authz/k', '', 's3:PutObject'],
    ['GET', '/authz', 'versioning', 's3:GetBucketVersioning'],
    ['PUT', '/authz', 'publicAccessBlock', 's3:PutBucketPublicAccessBlock'],
    ['GET', '/authz', 'encryption', 's3:GetEncryptionConfiguration'],
    ['PUT', '/authz', 'lifecycle', 's3:PutLifecycleConfiguration'],
    ['PUT', '/authz', 'tagging', 's3:PutBucketTagging'],
    ['PUT', '/authz', 'ownershipControls', 's3:PutBucketOwnershipControls'],
    ['DELETE', '/authz', '', 's3:DeleteBucket'],
    ['GET', '/authz/k', 'uploadId=1', 's3:ListMultipartUploadParts'],
    ['DELETE', '/authz/k', 'uploadId=1', 's3:AbortMultipartUpload'],
    ['DELETE', '/authz/k', 'versionId=1', 's3:DeleteObjectVersion'],
  ])('%s %s?%s is denied as AccessDenied when %s is not allowed', async (method, path, query, action) => {
    kernel.decide = (r) => (r.action === action ? { allowed: false, reason: 'ImplicitDeny' } : { allowed: true, reason: 'Allowed' });
    const err = await fails(send(method, path, { query, principal: user, body: 'x' }), 'AccessDenied', 403, 'Access Denied');
    expect(err.extra).toEqual({});
    expect(kernel.calls.at(-1)?.action).toBe(action);
  });

  it('checks bucket existence before permissions, and CreateBucket in the caller account', async () => {
    kernel.decide = () => ({ allowed: false, reason: 'ImplicitDeny' });
    await fails(send('GET', '/no-such-bucket-x', { query: 'list-type=2', principal: user }), 'NoSuchBucket', 404);
    await fails(send('GET', '/authz', { query: 'list-type=2', principal: root(OTHER) }), 'AccessDenied', 403);
    await fails(createBucket('denied-create', { principal: user }), 'AccessDenied', 403);
    expect(kernel.calls.at(-1)).toMatchObject({ action: 's3:CreateBucket', resource: 'arn:aws:s3:::denied-create', resourceAccount: ACCOUNT });
  });

  it('the owner root can always manage the bucket policy', async () => {
    kernel.decide = () => ({ allowed: false, reason: 'ExplicitDeny' });
    await fails(put('authz', 'k', 'x'), 'AccessDenied', 403);
    expect((await send('DELETE', '/authz', { query: 'policy' })).status).toBe(204);
    await fails(send('DELETE', '/authz', { query: 'policy', principal: root(OTHER) }), 'AccessDenied', 403);
  });
});

describe('state', () => {
  it('snapshot/restore round-trips buckets, versions, configs and uploads; inventory per account', async () => {
    await createBucket('snap');
    await createBucket('snap-other', { principal: root(OTHER) });
    await send('PUT', '/snap', { query: 'versioning', body: '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>' });
    await send('PUT', '/snap', { query: 'lifecycle', ...withMd5(lifecycleBody('<Rule><ID>r</ID><Filter><Prefix>x</Prefix></Filter><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule>')) });
    await put('snap', 'bin', Buffer.from([0, 255, 7]));
    await put('snap', 'gone', 'x');
    await send('DELETE', '/snap/gone');
    const up = xml(await send('POST', '/snap/mp', { query: 'uploads' }), 'InitiateMultipartUploadResult');
    const uploadId = childText(up, 'UploadId') ?? '';
    await send('PUT', '/snap/mp', { query: { partNumber: '1', uploadId }, body: 'part' });

    const snap = JSON.parse(JSON.stringify(svc.snapshot()));
    const fresh = new S3Service(kernel);
    fresh.restore(snap);
    expect(fresh.inventory(ACCOUNT)).toEqual({ buckets: ['snap'], objects: ['snap/bin'], multipartUploads: [`snap/mp#${uploadId}`] });
    expect(fresh.inventory(OTHER)).toEqual({ buckets: ['snap-other'], objects: [], multipartUploads: [] });
    const got = await fresh.handle(request('GET', '/snap/bin'));
    expect(bytes(got)).toEqual(Buffer.from([0, 255, 7]));
    const versions = xml(await fresh.handle(request('GET', '/snap', { query: 'versions' })), 'ListVersionsResult');
    expect(children(versions, 'DeleteMarker')).toHaveLength(1);
    const lc = xml(await fresh.handle(request('GET', '/snap', { query: 'lifecycle' })), 'LifecycleConfiguration');
    expect(childText(children(lc, 'Rule')[0], 'ID')).toBe('r');
    const parts = xml(await fresh.handle(request('GET', '/snap/mp', { query: { uploadId } })), 'ListPartsResult');
    expect(childText(children(parts, 'Part')[0], 'Size')).toBe('4');
  });
});
