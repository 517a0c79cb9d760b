import { describe, expect, it } from 'vitest';
import { backupPolicyDocument, mergePolicyStatements, paletteTrustPolicy, policyDocumentsEqual, tlsOnlyBucketPolicy } from '../../lambdas/domain/policies';

const actionsOf = (doc: ReturnType<typeof backupPolicyDocument>) =>
  doc.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();

describe('backup policy', () => {
  it("grants exactly the Velero action set of Palette's docs, scoped to the bucket", () => {
    const doc = backupPolicyDocument({ partition: 'aws', bucketName: 'b1' });
    expect(actionsOf(doc)).toEqual(
      [
        'ec2:CreateSnapshot', 'ec2:CreateTags', 'ec2:CreateVolume', 'ec2:DeleteSnapshot', 'ec2:DescribeSnapshots', 'ec2:DescribeVolumes',
        's3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:ListMultipartUploadParts', 's3:PutObject',
      ].sort(),
    );
    const s3Resources = doc.Statement.filter((s) => JSON.stringify(s.Action).includes('s3:')).map((s) => s.Resource);
    expect(s3Resources.sort()).toEqual(['arn:aws:s3:::b1', 'arn:aws:s3:::b1/*']);
  });

  it('adds KMS permissions on the customer key only when one is given', () => {
    const key = 'arn:aws-us-gov:kms:us-gov-west-1:111111111111:key/0f8e5c2a-1d3b-4a5c-9e7f-0123456789ab';
    const doc = backupPolicyDocument({ partition: 'aws-us-gov', bucketName: 'b1', kmsKeyArn: key });
    const kms = doc.Statement.find((s) => s.Sid === 'VeleroKms');
    expect(kms?.Resource).toBe(key);
    expect(actionsOf(doc).filter((a) => a.startsWith('kms:'))).toHaveLength(5);
    expect(JSON.stringify(doc)).toContain('arn:aws-us-gov:s3:::b1');
  });
});

describe('trust and bucket policies', () => {
  it("trusts only Palette's account root, with the tenant's external id", () => {
    const doc = paletteTrustPolicy({ partition: 'aws', paletteAccountId: '999999999999', externalId: 'ext-1' });
    expect(doc.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::999999999999:root' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': 'ext-1' } },
      }),
    ]);
  });

  it('denies non-TLS access to the bucket and its objects', () => {
    const doc = tlsOnlyBucketPolicy({ partition: 'aws', bucketName: 'b1' });
    const deny = doc.Statement.find((s) => s.Effect === 'Deny');
    expect(deny?.Condition).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
    expect(deny?.Resource).toEqual(expect.arrayContaining(['arn:aws:s3:::b1', 'arn:aws:s3:::b1/*']));
  });

  it('compares documents semantically (key order, single-element arrays)', () => {
    const a = paletteTrustPolicy({ partition: 'aws', paletteAccountId: '999999999999', externalId: 'x' });
    const reordered = JSON.parse(JSON.stringify({ Statement: a.Statement, Version: a.Version }));
    expect(policyDocumentsEqual(reordered, a)).toBe(true);
    expect(policyDocumentsEqual(a, paletteTrustPolicy({ partition: 'aws', paletteAccountId: '999999999999', externalId: 'y' }))).toBe(false);
  });
});

describe('mergePolicyStatements', () => {
  const ours = tlsOnlyBucketPolicy({ partition: 'aws', bucketName: 'b1' });
  const theirs = { Sid: 'AllowAudit', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:role/audit' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b1/*' };

  it('is just ours when the bucket has no policy', () => {
    expect(mergePolicyStatements(undefined, ours)).toEqual(ours);
  });

  it("keeps the bucket's own statements and replaces a stale copy of ours", () => {
    const stale = { ...ours.Statement[0], Resource: 'arn:aws:s3:::old' };
    const merged = mergePolicyStatements(JSON.stringify({ Version: '2012-10-17', Statement: [theirs, stale] }), ours);
    expect(merged.Statement).toEqual([theirs, ours.Statement[0]]);
  });

  it('accepts a single statement object and is stable when merged again', () => {
    const once = mergePolicyStatements(JSON.stringify({ Version: '2012-10-17', Statement: theirs }), ours);
    expect(policyDocumentsEqual(mergePolicyStatements(JSON.stringify(once), ours), once)).toBe(true);
  });
});
