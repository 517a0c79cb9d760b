/**
 * Sandbox stand-ins for what a tenant already has before an onboarding that uses the optional parts:
 * - Azure and GCP credential secrets (dummy values: the emulator checks their structure only);
 * - a MinIO endpoint: the AWS sandbox itself, with the bucket and an IAM user whose access key the MinIO
 *   credentials secret holds (the key is usable before this returns);
 * - the private cloud gateway an Azure account names by name: a Running one in the Palette emulator, unless the
 *   tenant already has a gateway of that name (whatever its state: tests put in stopped ones on purpose).
 * Only secrets that do not exist yet are created. A MinIO `s3Url` on loopback is pointed at the running
 * sandbox, so example files work whichever port the sandbox got.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  EntityAlreadyExistsException,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { BucketAlreadyOwnedByYou, CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, DescribeSecretCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { secretNameOf, type SandboxEndpoints } from './sandbox';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function clients(sb: SandboxEndpoints) {
  const base = {
    endpoint: sb.aws.endpoint,
    region: sb.aws.region,
    credentials: { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey },
  };
  return { sm: new SecretsManagerClient(base), iam: new IAMClient(base), s3: new S3Client({ ...base, forcePathStyle: true }), base };
}

async function secretExists(sm: SecretsManagerClient, ref: string): Promise<boolean> {
  try {
    await sm.send(new DescribeSecretCommand({ SecretId: ref }));
    return true;
  } catch (e) {
    if (e instanceof ResourceNotFoundException) return false;
    throw e;
  }
}

async function createSecretIfMissing(sm: SecretsManagerClient, ref: string, value: () => Promise<Json> | Json, log: (l: string) => void, what: string) {
  if (await secretExists(sm, ref)) return;
  await sm.send(new CreateSecretCommand({ Name: secretNameOf(ref), SecretString: JSON.stringify(await value()) }));
  log(`created sandbox stand-in secret ${secretNameOf(ref)} (${what})`);
}

const azureCredentials = (): Json => ({ tenantId: randomUUID(), clientId: randomUUID(), clientSecret: `sandbox-${randomUUID()}` });

const gcpCredentials = (projectId: string): Json => ({
  type: 'service_account',
  project_id: projectId,
  private_key_id: randomUUID().replace(/-/g, ''),
  private_key: '-----BEGIN PRIVATE KEY-----\nc2FuZGJveCBzdGFuZC1pbiwgbm90IGEga2V5\n-----END PRIVATE KEY-----\n',
  client_email: `velero@${projectId}.iam.gserviceaccount.com`,
  client_id: '100000000000000000000',
  token_uri: 'https://oauth2.googleapis.com/token',
});

/** The bucket in the sandbox's home account and an IAM user allowed to use it; waits until its key works. */
async function minioStandIn(sb: SandboxEndpoints, bucket: string, tenantId: string): Promise<Json> {
  const { iam, s3, base } = clients(sb);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (e) {
    if (!(e instanceof BucketAlreadyOwnedByYou)) throw e;
  }
  const UserName = `minio-${tenantId}`;
  try {
    await iam.send(new CreateUserCommand({ UserName }));
  } catch (e) {
    if (!(e instanceof EntityAlreadyExistsException)) throw e;
  }
  await iam.send(
    new PutUserPolicyCommand({
      UserName,
      PolicyName: 'minio-bucket',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] }],
      }),
    }),
  );
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName }))).AccessKey;
  if (!key?.AccessKeyId || !key.SecretAccessKey) throw new Error('CreateAccessKey returned no key');
  // New keys are not usable until IAM has "propagated" them (sandbox realism): wait, boundedly.
  const sts = new STSClient({ ...base, credentials: { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey } });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await sts.send(new GetCallerIdentityCommand({}));
      break;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
}

/** A Running gateway of that name in the emulator's tenant, unless one of that name exists. */
async function gatewayStandIn(sb: SandboxEndpoints, name: string, log: (l: string) => void): Promise<void> {
  const list = await fetch(`${sb.palette.endpoint}/v1/overlords?name=${encodeURIComponent(name)}`, { headers: { ApiKey: sb.palette.apiKey } });
  if (!list.ok) throw new Error(`listing the emulator's private cloud gateways failed: ${list.status}`);
  const { items = [] } = (await list.json()) as { items?: { metadata?: { name?: string } }[] };
  if (items.some((g) => g.metadata?.name === name)) return;
  const created = await fetch(`${sb.palette.endpoint}/_emulator/gateways`, { method: 'POST', body: JSON.stringify({ name }) });
  if (!created.ok) throw new Error(`creating the stand-in private cloud gateway ${name} failed: ${created.status}`);
  log(`created sandbox stand-in private cloud gateway ${name} (Running)`);
}

/** Returns the request to run (MinIO s3Url on loopback pointed at this sandbox) after creating missing stand-ins. */
export async function prepareRequestFixtures(request: unknown, sb: SandboxEndpoints, log: (line: string) => void = () => undefined): Promise<unknown> {
  if (!isObject(request)) return request;
  const tenantId = typeof request.tenantId === 'string' ? request.tenantId : 'tenant';
  const { sm } = clients(sb);
  const out: Json = structuredClone(request);

  const azure = isObject(out.azure) && isObject(out.azure.cloudAccount) ? out.azure.cloudAccount : undefined;
  if (typeof azure?.credentialsSecretArn === 'string') {
    await createSecretIfMissing(sm, azure.credentialsSecretArn, azureCredentials, log, 'Azure app registration');
  }
  const gateway = isObject(azure?.privateCloudGateway) ? azure.privateCloudGateway : undefined;
  if (typeof gateway?.name === 'string') await gatewayStandIn(sb, gateway.name, log);
  const locations = isObject(out.backupLocations) ? out.backupLocations : {};
  const gcp = isObject(locations.gcp) ? locations.gcp : undefined;
  if (typeof gcp?.credentialsSecretArn === 'string') {
    const projectId = typeof gcp.projectId === 'string' ? gcp.projectId : 'sandbox-project';
    await createSecretIfMissing(sm, gcp.credentialsSecretArn, () => gcpCredentials(projectId), log, 'GCP service account key');
  }
  const blob = isObject(locations.azure) ? locations.azure : undefined;
  if (typeof blob?.credentialsSecretArn === 'string') {
    await createSecretIfMissing(sm, blob.credentialsSecretArn, azureCredentials, log, 'Azure app registration');
  }
  const minio = isObject(locations.minio) ? locations.minio : undefined;
  if (minio && typeof minio.credentialsSecretArn === 'string' && typeof minio.bucket === 'string') {
    if (typeof minio.s3Url === 'string' && /^https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/?$/.test(minio.s3Url) && minio.s3Url.replace(/\/$/, '') !== sb.aws.endpoint) {
      log(`MinIO s3Url ${minio.s3Url} -> ${sb.aws.endpoint} (the AWS sandbox stands in for MinIO)`);
      minio.s3Url = sb.aws.endpoint;
    }
    const bucket = minio.bucket;
    await createSecretIfMissing(sm, minio.credentialsSecretArn, () => minioStandIn(sb, bucket, tenantId), log, `MinIO keys for bucket ${bucket}`);
  }
  return out;
}
