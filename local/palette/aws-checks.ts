/**
 * The real checks behind Palette's AWS validate endpoints, run with the AWS SDK against the AWS sandbox:
 * - STS credentials: AssumeRole into the tenant's role as Palette's STS principal, with the external id.
 * - Static keys: GetCallerIdentity with the given keys.
 * - S3 bucket: put, list and delete a probe object with the given keys or the assumed role.
 * - Cluster permissions (the cloud account validate, after the credentials): the principal (the role, or the user the
 *   keys belong to) may perform a sample of the EC2 / ELB / autoscaling actions Palette deploys clusters with, by IAM
 *   evaluation in the sandbox (iam:SimulatePrincipalPolicy in the principal's account, as the account's admin: what
 *   Palette's permission validator, `palette validate-auth`, does with IAM-read credentials).
 * Failures become V1Errors naming the denied action; secrets never appear in messages.
 */
import { randomBytes } from 'node:crypto';
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PaletteError } from './errors';

export interface AwsTarget {
  /** The AWS sandbox endpoint, e.g. http://127.0.0.1:4566. */
  endpoint: string;
  region: string;
}

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Palette's STS identity: the principal that assumes tenant roles, and its account. */
export interface StsPrincipal extends AwsCredentials {
  accountId: string;
}

/** AWS error codes that mean "the caller's input or permissions are wrong" (400) rather than a server fault. */
const CLIENT_CODES = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'AllAccessDisabled',
  'AuthorizationHeaderMalformed',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidAccessKeyId',
  'InvalidClientTokenId',
  'InvalidBucketName',
  'InvalidIdentityToken',
  'MalformedPolicyDocument',
  'NoSuchBucket',
  'PermanentRedirect',
  'RegionDisabledException',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
  'ValidationError',
]);

interface SdkErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function awsCode(e: unknown): string {
  const s = (typeof e === 'object' && e !== null ? e : {}) as SdkErrorShape;
  return s.Code ?? s.name ?? s.code ?? 'UnknownError';
}

function awsMessage(e: unknown): string {
  const s = (typeof e === 'object' && e !== null ? e : {}) as SdkErrorShape;
  return s.message ?? String(e);
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'TimeoutError']);

/** Turns an SDK failure of `action` on `resource` into the V1Error the emulator returns. */
export function validationFailure(code: string, action: string, resource: string, e: unknown, secrets: string[] = []): PaletteError {
  const aws = awsCode(e);
  let detail = awsMessage(e);
  for (const s of secrets) if (s) detail = detail.split(s).join('****');
  const details = { action, resource, awsErrorCode: aws };
  if (NETWORK_CODES.has(aws) || /ECONNREFUSED|socket hang up/.test(detail)) {
    return new PaletteError(500, 'AwsEndpointUnreachable', `${action} on ${resource} failed: the AWS endpoint could not be reached (${aws})`, details);
  }
  const denied = aws === 'AccessDenied' || aws === 'AccessDeniedException';
  const verb = denied ? 'denied' : 'failed';
  const status = CLIENT_CODES.has(aws) ? 400 : 500;
  return new PaletteError(status, code, `${action} ${verb} on ${resource}: ${aws}: ${detail}`, details);
}

function stsClient(target: AwsTarget, creds: AwsCredentials): STSClient {
  return new STSClient({ endpoint: target.endpoint, region: target.region, credentials: creds, maxAttempts: 2 });
}

export async function assumeRole(
  target: AwsTarget,
  principal: StsPrincipal,
  roleArn: string,
  externalId: string | undefined,
  errorCode: string,
): Promise<AwsCredentials> {
  const client = stsClient(target, principal);
  try {
    const out = await client.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: 'palette-validate',
        ...(externalId ? { ExternalId: externalId } : {}),
        DurationSeconds: 900,
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('AssumeRole returned no credentials');
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  } catch (e) {
    throw validationFailure(errorCode, 'sts:AssumeRole', roleArn, e, [principal.secretAccessKey]);
  } finally {
    client.destroy();
  }
}

export async function callerIdentity(target: AwsTarget, creds: AwsCredentials, errorCode: string): Promise<{ account: string; arn: string }> {
  const client = stsClient(target, creds);
  try {
    const out = await client.send(new GetCallerIdentityCommand({}));
    return { account: out.Account ?? '', arn: out.Arn ?? '' };
  } catch (e) {
    throw validationFailure(errorCode, 'sts:GetCallerIdentity', 'the given access key', e, [creds.secretAccessKey]);
  } finally {
    client.destroy();
  }
}

/**
 * Puts, lists and deletes a probe object. `endpoint` overrides the sandbox endpoint (custom S3 URL, e.g. MinIO).
 * The probe is removed even when listing fails.
 */
export async function probeBucket(
  target: AwsTarget,
  creds: AwsCredentials,
  bucket: string,
  region: string,
  prefix: string,
  errorCode: string,
  endpoint?: string,
): Promise<void> {
  const client = new S3Client({
    endpoint: endpoint ?? target.endpoint,
    region,
    credentials: creds,
    forcePathStyle: true,
    maxAttempts: 2,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const key = `${prefix}palette-validate-${randomBytes(6).toString('hex')}`;
  const secrets = [creds.secretAccessKey];
  try {
    try {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'palette bucket validation probe' }));
    } catch (e) {
      throw validationFailure(errorCode, 's3:PutObject', `arn:aws:s3:::${bucket}/${key}`, e, secrets);
    }
    let listError: PaletteError | undefined;
    try {
      await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
    } catch (e) {
      listError = validationFailure(errorCode, 's3:ListBucket', `arn:aws:s3:::${bucket}`, e, secrets);
    }
    try {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (e) {
      throw listError ?? validationFailure(errorCode, 's3:DeleteObject', `arn:aws:s3:::${bucket}/${key}`, e, secrets);
    }
    if (listError) throw listError;
  } finally {
    client.destroy();
  }
}

/**
 * The actions the cloud account validate samples: EC2, Elastic Load Balancing and Auto Scaling actions Palette deploys
 * clusters with, each allowed on `*` by every aws.clusterPolicies mode but `none` (the core PaletteControllerPolicy,
 * and each minimum-permissions policy: test/unit/cluster-policies.test.ts checks it against the product's table).
 */
export const CLUSTER_PERMISSION_SAMPLE = [
  'ec2:DescribeVpcs',
  'ec2:DescribeInstances',
  'ec2:RunInstances',
  'ec2:CreateSecurityGroup',
  'elasticloadbalancing:DescribeLoadBalancers',
  'elasticloadbalancing:CreateLoadBalancer',
  'autoscaling:DescribeAutoScalingGroups',
] as const;

interface SandboxAccountView {
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** The principal's account's admin credentials, from the AWS sandbox's admin API. */
async function accountAdmin(target: AwsTarget, accountId: string): Promise<AwsCredentials | undefined> {
  const res = await fetch(`${target.endpoint}/_sandbox/accounts`);
  if (!res.ok) throw new PaletteError(500, 'AwsNotConnected', `the AWS sandbox's account list answered ${res.status}`);
  const account = ((await res.json()) as SandboxAccountView[]).find((a) => a.accountId === accountId);
  return account ? { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey } : undefined;
}

/**
 * The principal (a role or user ARN, its path included) may perform every action of CLUSTER_PERMISSION_SAMPLE, as
 * IAM evaluates its identity policies; otherwise a 400 `errorCode` naming the first missing action (and every other
 * one in `details.missingActions`).
 */
export async function checkClusterPermissions(target: AwsTarget, principalArn: string, errorCode: string): Promise<void> {
  const accountId = principalArn.split(':')[4] ?? '';
  const admin = await accountAdmin(target, accountId);
  if (!admin) throw new PaletteError(400, errorCode, `${principalArn} is not in an account of the AWS sandbox`, { resource: principalArn });
  const iam = new IAMClient({ endpoint: target.endpoint, region: target.region, credentials: admin, maxAttempts: 2 });
  let decisions: { action: string; decision: string }[];
  try {
    const out = await iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: principalArn, ActionNames: [...CLUSTER_PERMISSION_SAMPLE] }));
    decisions = (out.EvaluationResults ?? []).map((r) => ({ action: r.EvalActionName ?? '', decision: r.EvalDecision ?? 'implicitDeny' }));
  } catch (e) {
    throw validationFailure(errorCode, 'iam:SimulatePrincipalPolicy', principalArn, e, [admin.secretAccessKey]);
  } finally {
    iam.destroy();
  }
  const missing = CLUSTER_PERMISSION_SAMPLE.filter((a) => decisions.find((d) => d.action === a)?.decision !== 'allowed');
  const [first] = missing;
  if (first === undefined) return;
  throw new PaletteError(
    400,
    errorCode,
    `${first} denied for ${principalArn}: it may not perform ${missing.join(', ')} (a sample of what Palette deploys clusters with); ` +
      "attach Palette's required IAM policies to it",
    { action: first, resource: principalArn, awsErrorCode: 'AccessDenied', missingActions: missing },
  );
}
