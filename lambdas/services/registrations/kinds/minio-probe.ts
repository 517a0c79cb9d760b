/**
 * The MinIO backup location's probe (minio-backup-location.ts `probeMinioBucket`): the S3 calls a backup agent makes,
 * with the location's own keys. Loaded only when a MinIO location is validated, through `await import('./minio-probe')`,
 * and bundled on its own beside the functions that import it (cdk/lib/handler-bundles.ts LAZY_MODULES): the S3 client
 * stays out of the registration functions' bundles, which use it for nothing else.
 *
 * A lazy module gets its own copy of what it imports, so it imports the S3 client and nothing of lambdas/ (the errors
 * it throws are made by the caller's `failure`, with the functions' own error classes).
 */
import { DeleteObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

export interface MinioTarget {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  caCert?: string;
  /**
   * The probe object's key: deterministic per tenant and location (never random), so that a probe left behind by a
   * Lambda that died between its PutObject and DeleteObject is overwritten and deleted by the retry, not left in the
   * bucket for good. One execution per tenant at a time, so no two probes of one key run at once.
   */
  probeKey: string;
}

/**
 * HeadBucket (s3:ListBucket), then PutObject, ListObjectsV2 and DeleteObject of a small probe object (the probe is
 * removed even when listing fails), with the target's static keys. A failed call throws `failure(action, error)`.
 */
export async function runMinioProbe(t: MinioTarget, failure: (action: string, e: unknown) => Error): Promise<void> {
  const client = new S3Client({
    endpoint: t.endpoint,
    region: t.region,
    forcePathStyle: true,
    credentials: { accessKeyId: t.accessKeyId, secretAccessKey: t.secretAccessKey },
    maxAttempts: 2,
    // S3-compatible servers do not all support the SDK's default CRC checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      connectionTimeout: 5_000,
      requestTimeout: 15_000,
      ...(t.caCert ? { httpsAgent: { ca: t.caCert } } : {}),
    },
  });
  const key = t.probeKey;
  try {
    try {
      await client.send(new HeadBucketCommand({ Bucket: t.bucket }));
    } catch (e) {
      throw failure('s3:ListBucket (HeadBucket)', e);
    }
    try {
      await client.send(new PutObjectCommand({ Bucket: t.bucket, Key: key, Body: 'palette-onboarding backup location probe' }));
    } catch (e) {
      throw failure('s3:PutObject', e);
    }
    let listError: Error | undefined;
    try {
      await client.send(new ListObjectsV2Command({ Bucket: t.bucket, Prefix: key, MaxKeys: 1 }));
    } catch (e) {
      listError = failure('s3:ListBucket (ListObjectsV2)', e);
    }
    try {
      await client.send(new DeleteObjectCommand({ Bucket: t.bucket, Key: key }));
    } catch (e) {
      throw listError ?? failure('s3:DeleteObject', e);
    }
    if (listError) throw listError;
  } finally {
    client.destroy();
  }
}
