/**
 * The app's S3 buckets in the sandbox (e.g. the bulk onboarding's manifest bucket): what CloudFormation would create
 * at deploy time, created from the synthesized template's `AWS::S3::Bucket` resources in the sandbox's home account
 * before a run, named as the local deployment names them (template.ts physicalName). Idempotent: an existing bucket is
 * left as it is (its objects are state between runs). Only the bucket: its configuration (encryption, policy,
 * lifecycle) is not applied locally.
 */
import { BucketAlreadyOwnedByYou, CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { SandboxEndpoints } from './sandbox';
import { physicalName, type CfnTemplate, type DeploymentTarget } from './template';

export function templateBuckets(template: CfnTemplate, target: DeploymentTarget): string[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::S3::Bucket')
    .map(([id]) => physicalName(template, id, target));
}

/** An S3 client of the sandbox's admin (home account), path style. */
export function sandboxS3(sb: SandboxEndpoints): S3Client {
  return new S3Client({
    endpoint: sb.aws.endpoint,
    region: sb.aws.region,
    forcePathStyle: true,
    credentials: { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey },
  });
}

/** Creates every bucket of the template in the sandbox (home account) that does not exist yet; their names. */
export async function ensureSandboxBuckets(sb: SandboxEndpoints, template: CfnTemplate, target: DeploymentTarget): Promise<string[]> {
  const names = templateBuckets(template, target);
  if (names.length === 0) return [];
  const s3 = sandboxS3(sb);
  try {
    for (const Bucket of names) {
      try {
        await s3.send(new CreateBucketCommand({ Bucket }));
      } catch (e) {
        if (!(e instanceof BucketAlreadyOwnedByYou) && (e as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw e;
      }
    }
  } finally {
    s3.destroy();
  }
  return names;
}
