/**
 * S3 through the real AWS SDK v3 client against a running sandbox: SigV4 (incl. aws-chunked uploads
 * with checksum trailers), rest-xml wire format, error rendering, IAM and bucket-policy decisions.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteBucketEncryptionCommand,
  DeleteBucketLifecycleCommand,
  DeleteBucketOwnershipControlsCommand,
  DeleteBucketPolicyCommand,
  DeleteBucketTaggingCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  DeleteObjectTaggingCommand,
  DeletePublicAccessBlockCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLocationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  GetObjectTaggingCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  ListPartsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
  PutObjectTaggingCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { startSandbox } from '../../local/aws';
import type { RunningSandbox } from '../../local/aws/core/types';

const MiB = 1024 * 1024;
const MEMBER = '222233334444';

let sandbox: RunningSandbox;
let s3: S3Client;

interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
}

function client(keys: Keys, region = sandbox.region, endpoint = sandbox.endpoint): S3Client {
  return new S3Client({
    endpoint,
    region,
    forcePathStyle: true,
    credentials: { accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey },
    maxAttempts: 1,
  });
}

/**
 * A client whose CreateBucket sends exactly `config` as CreateBucketConfiguration: the SDK's types and
 * its location-constraint middleware would otherwise prevent the invalid inputs S3 must reject.
 */
function rawCreateBucketClient(region: string, config: { LocationConstraint: string } | undefined): S3Client {
  const c = client(sandbox, region);
  c.middlewareStack.add(
    (next) => async (args) => {
      Reflect.deleteProperty(args.input, 'CreateBucketConfiguration');
      if (config) Reflect.set(args.input, 'CreateBucketConfiguration', config);
      return next(args);
    },
    { step: 'serialize', priority: 'high', name: 'forceCreateBucketConfiguration' },
  );
  return c;
}

async function rejects(p: Promise<unknown>, name: string, status: number, message?: string | RegExp): Promise<S3ServiceException> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  if (!(caught instanceof S3ServiceException)) throw new Error(`expected S3ServiceException ${name}, got ${String(caught)}`);
  expect({ name: caught.name, status: caught.$metadata.httpStatusCode }).toEqual({ name, status });
  if (typeof message === 'string') expect(caught.message).toBe(message);
  else if (message) expect(caught.message).toMatch(message);
  return caught;
}

const md5hex = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');

beforeAll(async () => {
  sandbox = await startSandbox({
    port: 0,
    realism: {
      iamPropagationMs: 0,
      latency: { defaultMs: 0, jitterMs: 0, perOperation: {} },
      faults: { seed: 1, rules: [] },
    },
  });
  s3 = client(sandbox);
});

afterAll(async () => {
  s3?.destroy();
  await sandbox?.stop();
});

describe('buckets', () => {
  it('applies the LocationConstraint rules in us-east-1', async () => {
    const created = await s3.send(new CreateBucketCommand({ Bucket: 'sdk-east-1' }));
    expect(created.Location).toBe('/sdk-east-1');
    const loc = await s3.send(new GetBucketLocationCommand({ Bucket: 'sdk-east-1' }));
    expect(loc.LocationConstraint).toBeUndefined();
    const explicitEast = rawCreateBucketClient('us-east-1', { LocationConstraint: 'us-east-1' });
    await rejects(
      explicitEast.send(new CreateBucketCommand({ Bucket: 'sdk-east-2' })),
      'InvalidLocationConstraint',
      400,
      'The specified location-constraint is not valid',
    );
    explicitEast.destroy();
    await rejects(
      s3.send(new CreateBucketCommand({ Bucket: 'sdk-east-3', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })),
      'IllegalLocationConstraintException',
      400,
    );
  });

  it('applies the LocationConstraint rules in another region', async () => {
    const eu = client(sandbox, 'eu-west-1');
    const created = await eu.send(new CreateBucketCommand({ Bucket: 'sdk-eu-1' })); // the SDK adds the constraint
    expect(created.Location).toBe('http://sdk-eu-1.s3.amazonaws.com/');
    expect((await eu.send(new GetBucketLocationCommand({ Bucket: 'sdk-eu-1' }))).LocationConstraint).toBe('eu-west-1');
    expect((await eu.send(new HeadBucketCommand({ Bucket: 'sdk-eu-1' }))).BucketRegion).toBe('eu-west-1');
    await rejects(
      eu.send(new CreateBucketCommand({ Bucket: 'sdk-eu-2', CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } })),
      'IllegalLocationConstraintException',
      400,
      'The eu-central-1 location constraint is incompatible for the region specific endpoint this request was sent to.',
    );
    const raw = rawCreateBucketClient('eu-west-1', undefined);
    await rejects(
      raw.send(new CreateBucketCommand({ Bucket: 'sdk-eu-3' })),
      'IllegalLocationConstraintException',
      400,
      'The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.',
    );
    // A client in the wrong region is redirected, as by S3.
    await rejects(s3.send(new ListObjectsV2Command({ Bucket: 'sdk-eu-1' })), 'PermanentRedirect', 301);
    eu.destroy();
    raw.destroy();
  });

  it('BucketAlreadyOwnedByYou vs BucketAlreadyExists across accounts', async () => {
    const member = client(sandbox.createAccount(MEMBER));
    const memberEu = client(sandbox.createAccount(MEMBER), 'eu-west-1');
    const eu = client(sandbox, 'eu-west-1');
    await eu.send(new CreateBucketCommand({ Bucket: 'sdk-taken-eu' }));
    const owned = await rejects(eu.send(new CreateBucketCommand({ Bucket: 'sdk-taken-eu' })), 'BucketAlreadyOwnedByYou', 409);
    expect(owned.message).toBe('Your previous request to create the named bucket succeeded and you already own it.');
    await rejects(memberEu.send(new CreateBucketCommand({ Bucket: 'sdk-taken-eu' })), 'BucketAlreadyExists', 409);

    await s3.send(new CreateBucketCommand({ Bucket: 'sdk-taken-east' }));
    // us-east-1 legacy behaviour: the owner re-creating succeeds.
    expect((await s3.send(new CreateBucketCommand({ Bucket: 'sdk-taken-east' }))).$metadata.httpStatusCode).toBe(200);
    await rejects(member.send(new CreateBucketCommand({ Bucket: 'sdk-taken-east' })), 'BucketAlreadyExists', 409);

    await member.send(new CreateBucketCommand({ Bucket: 'sdk-member-own' }));
    const mine = (await member.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
    expect(mine).toEqual(['sdk-member-own']);
    const mgmt = (await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name) ?? [];
    expect(mgmt).toContain('sdk-taken-east');
    expect(mgmt).not.toContain('sdk-member-own');
    member.destroy();
    memberEu.destroy();
    eu.destroy();
  });

  // (The SDK routes "--x-s3" names to S3 Express itself; the unit test covers that suffix.)
  it.each(['ab', 'Upper-Case', 'under_score', 'ends-with-dash-', 'two..dots', '10.1.2.3', 'xn--punycode', 'sthree-x', 'amzn-s3-demo-x', 'x-s3alias', 'x--ol-s3', 'x.mrap'])(
    'rejects bucket name %s with InvalidBucketName',
    async (name) => {
      await rejects(s3.send(new CreateBucketCommand({ Bucket: name })), 'InvalidBucketName', 400, 'The specified bucket is not valid.');
    },
  );

  it('HeadBucket 404 for unknown buckets; DeleteBucket refuses non-empty buckets', async () => {
    await rejects(s3.send(new HeadBucketCommand({ Bucket: 'sdk-never-created' })), 'NotFound', 404);
    await rejects(s3.send(new GetBucketLocationCommand({ Bucket: 'sdk-never-created' })), 'NoSuchBucket', 404, 'The specified bucket does not exist');
    await s3.send(new CreateBucketCommand({ Bucket: 'sdk-nonempty' }));
    await s3.send(new PutObjectCommand({ Bucket: 'sdk-nonempty', Key: 'k', Body: 'x' }));
    await rejects(s3.send(new DeleteBucketCommand({ Bucket: 'sdk-nonempty' })), 'BucketNotEmpty', 409, 'The bucket you tried to delete is not empty');
    await s3.send(new DeleteObjectCommand({ Bucket: 'sdk-nonempty', Key: 'k' }));
    expect((await s3.send(new DeleteBucketCommand({ Bucket: 'sdk-nonempty' }))).$metadata.httpStatusCode).toBe(204);
    await rejects(s3.send(new HeadBucketCommand({ Bucket: 'sdk-nonempty' })), 'NotFound', 404);
  });
});

describe('bucket configuration', () => {
  const B = 'sdk-config';
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: B }));
  });

  it('encryption: SSE-S3 default, KMS put/get, delete resets', async () => {
    const def = await s3.send(new GetBucketEncryptionCommand({ Bucket: B }));
    expect(def.ServerSideEncryptionConfiguration?.Rules).toEqual([
      { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false, BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] } },
    ]);
    const keyArn = `arn:aws:kms:us-east-1:${sandbox.accountId}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: B,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn }, BucketKeyEnabled: true }],
        },
      }),
    );
    const got = await s3.send(new GetBucketEncryptionCommand({ Bucket: B }));
    expect(got.ServerSideEncryptionConfiguration?.Rules?.[0]).toMatchObject({
      ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn },
      BucketKeyEnabled: true,
    });
    const put = await s3.send(new PutObjectCommand({ Bucket: B, Key: 'enc', Body: 'x' }));
    expect(put).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyArn, BucketKeyEnabled: true });
    await rejects(
      s3.send(
        new PutBucketEncryptionCommand({
          Bucket: B,
          ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256', KMSMasterKeyID: keyArn } }] },
        }),
      ),
      'InvalidArgument',
      400,
    );
    await s3.send(new DeleteBucketEncryptionCommand({ Bucket: B }));
    const reset = await s3.send(new GetBucketEncryptionCommand({ Bucket: B }));
    expect(reset.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'AES256' });
    await s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'enc' }));
  });

  it('public access block: default on, put/get, delete -> NoSuchPublicAccessBlockConfiguration', async () => {
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: B }))).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    await s3.send(new PutPublicAccessBlockCommand({ Bucket: B, PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: false } }));
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: B }))).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: false,
      BlockPublicPolicy: false,
      RestrictPublicBuckets: false,
    });
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket: B }));
    await rejects(
      s3.send(new GetPublicAccessBlockCommand({ Bucket: B })),
      'NoSuchPublicAccessBlockConfiguration',
      404,
      'The public access block configuration was not found',
    );
  });

  it('versioning: empty before first set, then Enabled/Suspended', async () => {
    const before = await s3.send(new GetBucketVersioningCommand({ Bucket: B }));
    expect(before.Status).toBeUndefined();
    await s3.send(new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: 'Enabled' } }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: B }))).Status).toBe('Enabled');
    await s3.send(new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: 'Suspended' } }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: B }))).Status).toBe('Suspended');
  });

  it('ownership controls: BucketOwnerEnforced by default, put/get, delete -> OwnershipControlsNotFoundError', async () => {
    expect((await s3.send(new GetBucketOwnershipControlsCommand({ Bucket: B }))).OwnershipControls?.Rules).toEqual([
      { ObjectOwnership: 'BucketOwnerEnforced' },
    ]);
    await s3.send(new PutBucketOwnershipControlsCommand({ Bucket: B, OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] } }));
    expect((await s3.send(new GetBucketOwnershipControlsCommand({ Bucket: B }))).OwnershipControls?.Rules).toEqual([
      { ObjectOwnership: 'BucketOwnerPreferred' },
    ]);
    await s3.send(new DeleteBucketOwnershipControlsCommand({ Bucket: B }));
    await rejects(s3.send(new GetBucketOwnershipControlsCommand({ Bucket: B })), 'OwnershipControlsNotFoundError', 404);
  });

  it('lifecycle: NoSuchLifecycleConfiguration, put/get/delete, validation', async () => {
    await rejects(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: B })), 'NoSuchLifecycleConfiguration', 404);
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: B,
        LifecycleConfiguration: {
          Rules: [
            { ID: 'expire-logs', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 30 } },
            {
              ID: 'cleanup',
              Status: 'Enabled',
              Filter: {},
              NoncurrentVersionExpiration: { NoncurrentDays: 7 },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            },
          ],
        },
      }),
    );
    const got = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: B }));
    expect(got.Rules).toEqual([
      { ID: 'expire-logs', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 30 } },
      {
        ID: 'cleanup',
        Status: 'Enabled',
        Filter: {},
        NoncurrentVersionExpiration: { NoncurrentDays: 7 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      },
    ]);
    await rejects(
      s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: B, LifecycleConfiguration: { Rules: [{ ID: 'x', Status: 'Enabled', Filter: {} }] } })),
      'InvalidRequest',
      400,
      'At least one action needs to be specified in a rule',
    );
    await rejects(
      s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: B,
          LifecycleConfiguration: { Rules: [{ ID: 'x', Status: 'Enabled', Filter: {}, Expiration: { Days: 0 } }] },
        }),
      ),
      'InvalidArgument',
      400,
    );
    await s3.send(new DeleteBucketLifecycleCommand({ Bucket: B }));
    await rejects(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: B })), 'NoSuchLifecycleConfiguration', 404);
  });

  it('policy: NoSuchBucketPolicy, validation, put/get/delete', async () => {
    await rejects(s3.send(new GetBucketPolicyCommand({ Bucket: B })), 'NoSuchBucketPolicy', 404, 'The bucket policy does not exist');
    const doc = (resource: string) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Sid: 'r', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MEMBER}:root` }, Action: 's3:GetObject', Resource: resource }],
      });
    await rejects(s3.send(new PutBucketPolicyCommand({ Bucket: B, Policy: doc('arn:aws:s3:::someone-else/*') })), 'MalformedPolicy', 400, 'Policy has invalid resource');
    await rejects(s3.send(new PutBucketPolicyCommand({ Bucket: B, Policy: '{"Statement": [' })), 'MalformedPolicy', 400);
    await s3.send(new PutBucketPolicyCommand({ Bucket: B, Policy: doc(`arn:aws:s3:::${B}/*`) }));
    expect(JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket: B }))).Policy ?? '{}')).toEqual(JSON.parse(doc(`arn:aws:s3:::${B}/*`)));
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: B }));
    await rejects(s3.send(new GetBucketPolicyCommand({ Bucket: B })), 'NoSuchBucketPolicy', 404);
  });

  it('tagging: NoSuchTagSet, put/get/delete, InvalidTag', async () => {
    await rejects(s3.send(new GetBucketTaggingCommand({ Bucket: B })), 'NoSuchTagSet', 404, 'The TagSet does not exist');
    const TagSet = [
      { Key: 'tenant', Value: 'acme' },
      { Key: 'env', Value: 'prod' },
    ];
    await s3.send(new PutBucketTaggingCommand({ Bucket: B, Tagging: { TagSet } }));
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: B }))).TagSet).toEqual(TagSet);
    await rejects(
      s3.send(new PutBucketTaggingCommand({ Bucket: B, Tagging: { TagSet: [{ Key: 'a', Value: '1' }, { Key: 'a', Value: '2' }] } })),
      'InvalidTag',
      400,
      'Cannot provide multiple Tags with the same key',
    );
    await rejects(s3.send(new PutBucketTaggingCommand({ Bucket: B, Tagging: { TagSet: [{ Key: 'aws:reserved', Value: '1' }] } })), 'InvalidTag', 400);
    await s3.send(new DeleteBucketTaggingCommand({ Bucket: B }));
    await rejects(s3.send(new GetBucketTaggingCommand({ Bucket: B })), 'NoSuchTagSet', 404);
  });

  it('object lock: stored at creation and reported; not found otherwise', async () => {
    await rejects(s3.send(new GetObjectLockConfigurationCommand({ Bucket: B })), 'ObjectLockConfigurationNotFoundError', 404);
    await s3.send(new CreateBucketCommand({ Bucket: 'sdk-locked', ObjectLockEnabledForBucket: true }));
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'sdk-locked' }))).ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
    });
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: 'sdk-locked',
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } } },
      }),
    );
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'sdk-locked' }))).ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } },
    });
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'sdk-locked' }))).Status).toBe('Enabled');
  });
});

describe('objects', () => {
  const B = 'sdk-objects';
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: B }));
  });

  it('PutObject / GetObject / HeadObject with metadata, checksums and ranges', async () => {
    const put = await s3.send(
      new PutObjectCommand({ Bucket: B, Key: 'dir/hello world+1.txt', Body: 'hello world', ContentType: 'text/plain', Metadata: { tenant: 'acme' } }),
    );
    expect(put.ETag).toBe(`"${md5hex('hello world')}"`);
    expect(put.ServerSideEncryption).toBe('AES256');
    expect(put.VersionId).toBeUndefined();

    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'dir/hello world+1.txt' }));
    expect(await got.Body?.transformToString()).toBe('hello world');
    expect(got).toMatchObject({ ContentType: 'text/plain', Metadata: { tenant: 'acme' }, ContentLength: 11, ETag: put.ETag });
    expect(got.ChecksumCRC32).toBeDefined(); // the SDK validated it against the body

    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'dir/hello world+1.txt' }));
    expect(head).toMatchObject({ ContentLength: 11, ETag: put.ETag, ServerSideEncryption: 'AES256' });
    expect(head.LastModified).toBeInstanceOf(Date);

    const range = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'dir/hello world+1.txt', Range: 'bytes=6-10' }));
    expect(await range.Body?.transformToString()).toBe('world');
    expect(range.ContentRange).toBe('bytes 6-10/11');

    // Streaming body: aws-chunked with a trailing checksum.
    const stream = Readable.from([Buffer.from('streamed '), Buffer.from('content')]);
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'streamed', Body: stream, ContentLength: 16 }));
    expect(await (await s3.send(new GetObjectCommand({ Bucket: B, Key: 'streamed' }))).Body?.transformToString()).toBe('streamed content');
  });

  it('NoSuchKey on GetObject, NotFound on HeadObject', async () => {
    const err = await rejects(s3.send(new GetObjectCommand({ Bucket: B, Key: 'missing' })), 'NoSuchKey', 404, 'The specified key does not exist.');
    expect(err).toMatchObject({ Key: 'missing' });
    await rejects(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'missing' })), 'NotFound', 404);
  });

  it('ListObjectsV2 with prefix, delimiter, pagination, start-after and url encoding; ListObjects v1', async () => {
    const L = 'sdk-list';
    await s3.send(new CreateBucketCommand({ Bucket: L }));
    for (const k of ['a/1', 'a/2', 'a/b/3', 'b/1', 'c d', 'e']) await s3.send(new PutObjectCommand({ Bucket: L, Key: k, Body: k }));
    const top = await s3.send(new ListObjectsV2Command({ Bucket: L, Delimiter: '/' }));
    expect(top.Contents?.map((c) => c.Key)).toEqual(['c d', 'e']);
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/', 'b/']);
    expect(top.KeyCount).toBe(4);
    const inA = await s3.send(new ListObjectsV2Command({ Bucket: L, Prefix: 'a/', Delimiter: '/' }));
    expect(inA.Contents?.map((c) => c.Key)).toEqual(['a/1', 'a/2']);
    expect(inA.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/b/']);

    const keys: string[] = [];
    let pages = 0;
    for await (const page of paginateListObjectsV2({ client: s3, pageSize: 2 }, { Bucket: L })) {
      pages++;
      keys.push(...(page.Contents ?? []).map((c) => c.Key ?? ''));
    }
    expect(keys).toEqual(['a/1', 'a/2', 'a/b/3', 'b/1', 'c d', 'e']);
    expect(pages).toBe(3);

    expect((await s3.send(new ListObjectsV2Command({ Bucket: L, StartAfter: 'b/1' }))).Contents?.map((c) => c.Key)).toEqual(['c d', 'e']);
    const encoded = await s3.send(new ListObjectsV2Command({ Bucket: L, Prefix: 'c', EncodingType: 'url' }));
    expect(encoded.EncodingType).toBe('url');
    expect(encoded.Contents?.map((c) => c.Key)).toEqual(['c+d']);

    const v1 = await s3.send(new ListObjectsCommand({ Bucket: L, Delimiter: '/', MaxKeys: 1 }));
    expect(v1.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/']);
    expect(v1.IsTruncated).toBe(true);
    expect(v1.NextMarker).toBe('a/');
  });

  it('CopyObject, object tagging and DeleteObjects', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'src', Body: 'copy me', Tagging: 'team=core' }));
    const copied = await s3.send(new CopyObjectCommand({ Bucket: B, Key: 'dst', CopySource: `${B}/src` }));
    expect(copied.CopyObjectResult?.ETag).toBe(`"${md5hex('copy me')}"`);
    expect(await (await s3.send(new GetObjectCommand({ Bucket: B, Key: 'dst' }))).Body?.transformToString()).toBe('copy me');

    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: 'dst' }))).TagSet).toEqual([{ Key: 'team', Value: 'core' }]);
    await s3.send(new PutObjectTaggingCommand({ Bucket: B, Key: 'dst', Tagging: { TagSet: [{ Key: 'a', Value: 'b' }] } }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: 'dst' }))).TagSet).toEqual([{ Key: 'a', Value: 'b' }]);
    await s3.send(new DeleteObjectTaggingCommand({ Bucket: B, Key: 'dst' }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: 'dst' }))).TagSet).toEqual([]);

    const del = await s3.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [{ Key: 'src' }, { Key: 'dst' }] } }));
    expect(del.Deleted?.map((d) => d.Key).sort()).toEqual(['dst', 'src']);
    expect(del.Errors).toBeUndefined();
    await rejects(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'src' })), 'NotFound', 404);
  });

  it('versioned objects: versions, delete markers, ListObjectVersions, BucketNotEmpty', async () => {
    const V = 'sdk-versioned';
    await s3.send(new CreateBucketCommand({ Bucket: V }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: V, VersioningConfiguration: { Status: 'Enabled' } }));
    const v1 = (await s3.send(new PutObjectCommand({ Bucket: V, Key: 'k', Body: 'one' }))).VersionId;
    const v2 = (await s3.send(new PutObjectCommand({ Bucket: V, Key: 'k', Body: 'two' }))).VersionId;
    expect(v1).toBeDefined();
    expect(v1).not.toBe(v2);
    expect(await (await s3.send(new GetObjectCommand({ Bucket: V, Key: 'k', VersionId: v1 }))).Body?.transformToString()).toBe('one');
    const del = await s3.send(new DeleteObjectCommand({ Bucket: V, Key: 'k' }));
    expect(del.DeleteMarker).toBe(true);
    await rejects(s3.send(new GetObjectCommand({ Bucket: V, Key: 'k' })), 'NoSuchKey', 404);
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: V }));
    expect(versions.Versions?.map((v) => [v.VersionId, v.IsLatest])).toEqual([
      [v2, false],
      [v1, false],
    ]);
    expect(versions.DeleteMarkers?.map((m) => [m.VersionId, m.IsLatest])).toEqual([[del.VersionId, true]]);
    await rejects(s3.send(new DeleteBucketCommand({ Bucket: V })), 'BucketNotEmpty', 409);
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: V,
        Delete: { Objects: [{ Key: 'k', VersionId: v1 }, { Key: 'k', VersionId: v2 }, { Key: 'k', VersionId: del.VersionId }] },
      }),
    );
    await s3.send(new DeleteBucketCommand({ Bucket: V }));
  });

  it('multipart upload with 5 MiB parts, ListParts, ListMultipartUploads', async () => {
    const key = 'big/object.bin';
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: key, ContentType: 'application/octet-stream' }));
    expect(UploadId).toBeDefined();
    const p1 = Buffer.alloc(5 * MiB, 'a');
    const p2 = Buffer.alloc(5 * MiB, 'b');
    const p3 = Buffer.from('last part');
    const etags: string[] = [];
    for (const [i, body] of [p1, p2, p3].entries()) {
      const r = await s3.send(new UploadPartCommand({ Bucket: B, Key: key, UploadId, PartNumber: i + 1, Body: body }));
      etags.push(r.ETag ?? '');
    }
    expect(etags[0]).toBe(`"${md5hex(p1)}"`);

    const parts = await s3.send(new ListPartsCommand({ Bucket: B, Key: key, UploadId }));
    expect(parts.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([
      [1, 5 * MiB],
      [2, 5 * MiB],
      [3, 9],
    ]);
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: B }));
    expect(uploads.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([[key, UploadId]]);
    expect(sandbox.inventory()[sandbox.accountId]?.multipartUploads).toContain(`${B}/${key}#${UploadId}`);

    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    const expected = createHash('md5')
      .update(Buffer.concat([p1, p2, p3].map((p) => Buffer.from(md5hex(p), 'hex'))))
      .digest('hex');
    expect(done.ETag).toBe(`"${expected}-3"`);
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: key }));
    expect(head.ContentLength).toBe(10 * MiB + 9);
    const tail = await s3.send(new GetObjectCommand({ Bucket: B, Key: key, Range: `bytes=${10 * MiB}-` }));
    expect(await tail.Body?.transformToString()).toBe('last part');
    // Full read: S3's default full-object CRC64NVME is returned and validated by the SDK.
    const full = await s3.send(new GetObjectCommand({ Bucket: B, Key: key }));
    expect(full.ChecksumCRC64NVME).toBeDefined();
    const bytes = Buffer.from((await full.Body?.transformToByteArray()) ?? []);
    expect(md5hex(bytes)).toBe(md5hex(Buffer.concat([p1, p2, p3])));
    await rejects(s3.send(new ListPartsCommand({ Bucket: B, Key: key, UploadId })), 'NoSuchUpload', 404);
  });

  it('multipart errors: EntityTooSmall, InvalidPart, InvalidPartOrder, NoSuchUpload after abort', async () => {
    const key = 'bad-mpu';
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: key }));
    const e1 = (await s3.send(new UploadPartCommand({ Bucket: B, Key: key, UploadId, PartNumber: 1, Body: 'tiny' }))).ETag;
    const e2 = (await s3.send(new UploadPartCommand({ Bucket: B, Key: key, UploadId, PartNumber: 2, Body: 'tiny too' }))).ETag;
    const complete = (Parts: { ETag?: string; PartNumber: number }[]) =>
      s3.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: key, UploadId, MultipartUpload: { Parts } }));
    await rejects(complete([{ ETag: e1, PartNumber: 1 }, { ETag: e2, PartNumber: 2 }]), 'EntityTooSmall', 400);
    await rejects(complete([{ ETag: e2, PartNumber: 2 }, { ETag: e1, PartNumber: 1 }]), 'InvalidPartOrder', 400);
    await rejects(complete([{ ETag: '"ffffffffffffffffffffffffffffffff"', PartNumber: 1 }]), 'InvalidPart', 400);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: B, Key: key, UploadId }));
    await rejects(s3.send(new AbortMultipartUploadCommand({ Bucket: B, Key: key, UploadId })), 'NoSuchUpload', 404);
    await rejects(s3.send(new UploadPartCommand({ Bucket: B, Key: key, UploadId, PartNumber: 3, Body: 'x' })), 'NoSuchUpload', 404);
  });
});

describe('authorization', () => {
  const B = 'sdk-authz';
  let iam: IAMClient;
  let reader: S3Client;
  let readerArn: string;

  beforeAll(async () => {
    iam = new IAMClient({ endpoint: sandbox.endpoint, region: sandbox.region, credentials: sandbox, maxAttempts: 1 });
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'data/report.txt', Body: 'report' }));
    const user = await iam.send(new CreateUserCommand({ UserName: 's3-reader' }));
    readerArn = user.User?.Arn ?? '';
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 's3-reader',
        PolicyName: 'read-only',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${B}/*` }],
        }),
      }),
    );
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 's3-reader' }));
    reader = client({ accessKeyId: key.AccessKey?.AccessKeyId ?? '', secretAccessKey: key.AccessKey?.SecretAccessKey ?? '' });
  });

  afterAll(() => {
    iam?.destroy();
    reader?.destroy();
  });

  it('an identity policy allowing only s3:GetObject: GetObject allowed, everything else denied', async () => {
    const got = await reader.send(new GetObjectCommand({ Bucket: B, Key: 'data/report.txt' }));
    expect(await got.Body?.transformToString()).toBe('report');
    await rejects(reader.send(new PutObjectCommand({ Bucket: B, Key: 'data/new.txt', Body: 'x' })), 'AccessDenied', 403, 'Access Denied');
    await rejects(reader.send(new ListObjectsV2Command({ Bucket: B })), 'AccessDenied', 403);
    await rejects(reader.send(new GetBucketEncryptionCommand({ Bucket: B })), 'AccessDenied', 403);
    // Without s3:ListBucket a missing key is not revealed.
    await rejects(reader.send(new GetObjectCommand({ Bucket: B, Key: 'data/missing.txt' })), 'AccessDenied', 403);
    // Unknown buckets are still NoSuchBucket.
    await rejects(reader.send(new GetObjectCommand({ Bucket: 'sdk-no-such-bucket', Key: 'k' })), 'NoSuchBucket', 404);
  });

  it('a bucket policy Deny overrides the identity Allow', async () => {
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: B,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Principal: { AWS: readerArn }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${B}/data/*` }],
        }),
      }),
    );
    await rejects(reader.send(new GetObjectCommand({ Bucket: B, Key: 'data/report.txt' })), 'AccessDenied', 403);
    // The owner is unaffected by a statement naming someone else.
    expect(await (await s3.send(new GetObjectCommand({ Bucket: B, Key: 'data/report.txt' }))).Body?.transformToString()).toBe('report');
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: B }));
    expect(await (await reader.send(new GetObjectCommand({ Bucket: B, Key: 'data/report.txt' }))).Body?.transformToString()).toBe('report');
  });

  it('cross-account access needs a bucket policy grant', async () => {
    const member = client(sandbox.createAccount(MEMBER));
    await rejects(member.send(new GetObjectCommand({ Bucket: B, Key: 'data/report.txt' })), 'AccessDenied', 403);
    await rejects(member.send(new ListObjectsV2Command({ Bucket: B })), 'AccessDenied', 403);
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: B,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Sid: 'MemberRead', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MEMBER}:root` }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${B}/*` },
            { Sid: 'MemberList', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MEMBER}:root` }, Action: 's3:ListBucket', Resource: `arn:aws:s3:::${B}` },
          ],
        }),
      }),
    );
    expect(await (await member.send(new GetObjectCommand({ Bucket: B, Key: 'data/report.txt' }))).Body?.transformToString()).toBe('report');
    expect((await member.send(new ListObjectsV2Command({ Bucket: B }))).Contents?.map((c) => c.Key)).toEqual(['data/report.txt']);
    await rejects(member.send(new PutObjectCommand({ Bucket: B, Key: 'data/x', Body: 'x' })), 'AccessDenied', 403);
    await rejects(member.send(new PutBucketPolicyCommand({ Bucket: B, Policy: '{}' })), 'AccessDenied', 403);
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: B }));
    member.destroy();
  });
});

describe('state file', () => {
  it('buckets, configuration and object bytes survive a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 's3-state-'));
    const stateFile = join(dir, 'state.json');
    const realism = { iamPropagationMs: 0, latency: { defaultMs: 0, jitterMs: 0, perOperation: {} }, faults: { seed: 1, rules: [] } };
    try {
      const first = await startSandbox({ port: 0, stateFile, realism });
      const c1 = client(first, first.region, first.endpoint);
      await c1.send(new CreateBucketCommand({ Bucket: 'sdk-persisted' }));
      await rejects(s3.send(new HeadBucketCommand({ Bucket: 'sdk-persisted' })), 'NotFound', 404); // a separate sandbox
      await c1.send(new PutBucketTaggingCommand({ Bucket: 'sdk-persisted', Tagging: { TagSet: [{ Key: 'k', Value: 'v' }] } }));
      await c1.send(new PutObjectCommand({ Bucket: 'sdk-persisted', Key: 'bin', Body: Buffer.from([0, 1, 254, 255]) }));
      c1.destroy();
      await first.stop();

      const second = await startSandbox({ port: 0, stateFile, realism });
      const c2 = client(second, second.region, second.endpoint);
      expect((await c2.send(new GetBucketTaggingCommand({ Bucket: 'sdk-persisted' }))).TagSet).toEqual([{ Key: 'k', Value: 'v' }]);
      const got = await c2.send(new GetObjectCommand({ Bucket: 'sdk-persisted', Key: 'bin' }));
      expect(Buffer.from((await got.Body?.transformToByteArray()) ?? [])).toEqual(Buffer.from([0, 1, 254, 255]));
      expect(second.inventory()[second.accountId]?.buckets).toEqual(['sdk-persisted']);
      c2.destroy();
      await second.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
