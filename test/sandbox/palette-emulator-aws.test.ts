/**
 * The emulator's AWS validations against the real AWS sandbox: STS AssumeRole as Palette's principal with the
 * tenant's external id, static keys through GetCallerIdentity, the principal's cluster permissions (a sample of EC2 /
 * ELB / autoscaling actions, by iam:SimulatePrincipalPolicy in the sandbox), and the S3 put/list/delete probe.
 */
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutRolePolicyCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountInfo } from '../../local/aws/core/types';
import { CLUSTER_PERMISSION_SAMPLE } from '../../local/palette/aws-checks';
import { paletteFetch } from '../../local/palette/http';
import { PALETTE_SAAS_ACCOUNT_ID, startPaletteEmulator } from '../../local/palette/index';
import { type RunningLocalSandbox, startLocalSandbox } from '../../local/sandbox';

type Json = Record<string, unknown>;

const MEMBER = '111111111111';
const HOST = '222222222222';

describe('Palette emulator validations against the AWS sandbox', () => {
  let sb: RunningLocalSandbox;
  let member: AccountInfo;
  let iam: IAMClient;
  let s3: S3Client;
  let externalId: string;
  let counter = 0;

  const tenant = (method: string, path: string, body?: unknown, endpoint = sb.palette.endpoint, apiKey = sb.palette.apiKey) =>
    paletteFetch(endpoint, method, path, { ...(body !== undefined ? { body } : {}), headers: { ApiKey: apiKey } });
  const error = (r: { json: unknown }) => r.json as { code: string; message: string; details?: Json };

  const trust = (account: string, extId: string) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${account}:root` },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': extId } },
        },
      ],
    });

  /** What an onboarded principal holds through its cluster policies, as far as the validate's sample goes. */
  const CLUSTERS = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ec2:*', 'elasticloadbalancing:*', 'autoscaling:*'], Resource: '*' }] };

  async function role(trustPolicy: string, policy?: object): Promise<string> {
    const name = `PaletteRole${++counter}`;
    const out = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trustPolicy }));
    if (policy) await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'access', PolicyDocument: JSON.stringify(policy) }));
    return String(out.Role?.Arn);
  }

  async function bucket(): Promise<string> {
    const name = `palette-backups-${++counter}`;
    await s3.send(new CreateBucketCommand({ Bucket: name }));
    return name;
  }

  const s3Policy = (b: string, actions: { put?: boolean; list?: boolean; del?: boolean; putPrefix?: string }) => ({
    Version: '2012-10-17',
    Statement: [
      ...(actions.put !== false ? [{ Effect: 'Allow', Action: 's3:PutObject', Resource: `arn:aws:s3:::${b}/${actions.putPrefix ?? ''}*` }] : []),
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], Resource: `arn:aws:s3:::${b}/*` },
      ...(actions.del !== false ? [{ Effect: 'Allow', Action: 's3:DeleteObject', Resource: `arn:aws:s3:::${b}/*` }] : []),
      ...(actions.list !== false ? [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${b}` }] : []),
    ],
  });

  const objects = async (b: string) => (await s3.send(new ListObjectsV2Command({ Bucket: b }))).KeyCount ?? 0;

  beforeAll(async () => {
    sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 0 } }, palette: { port: 0, rateLimit: false }, env: {} });
    member = sb.aws.createAccount(MEMBER);
    const credentials = { accessKeyId: member.accessKeyId, secretAccessKey: member.secretAccessKey };
    iam = new IAMClient({ endpoint: sb.aws.endpoint, region: sb.aws.region, credentials });
    s3 = new S3Client({ endpoint: sb.aws.endpoint, region: sb.aws.region, credentials, forcePathStyle: true });
    const sts = await tenant('GET', '/v1/clouds/aws/account/sts');
    expect(sts.status).toBe(200);
    externalId = String((sts.json as Json).externalId);
    expect((sts.json as Json).accountId).toBe(PALETTE_SAAS_ACCOUNT_ID);
  });

  afterAll(async () => {
    iam?.destroy();
    s3?.destroy();
    await sb?.stop();
  });

  it('puts Palette in the ready line and keeps its own account out of the tenant accounts', () => {
    const line = sb.readyLine();
    expect(line.palette).toMatchObject({ endpoint: sb.palette.endpoint, mode: 'saas', stsAccountId: PALETTE_SAAS_ACCOUNT_ID, apiKey: sb.palette.apiKey });
    expect(line.accounts).not.toContain(PALETTE_SAAS_ACCOUNT_ID);
    expect(line.endpoint).toBe(sb.aws.endpoint);
  });

  describe('POST /v1/clouds/aws/account/validate', () => {
    it('passes when the role trusts Palette with the right external id (given or defaulted) and may deploy clusters', async () => {
      const arn = await role(trust(PALETTE_SAAS_ACCOUNT_ID, externalId), CLUSTERS);
      const r = await tenant('POST', '/v1/clouds/aws/account/validate', { credentialType: 'sts', sts: { arn, externalId } });
      expect(r.status).toBe(204);
      expect(r.text).toBe('');
      expect((await tenant('POST', '/v1/clouds/aws/account/validate', { credentialType: 'sts', sts: { arn } })).status).toBe(204);
    });

    it('fails with a wrong external id, naming sts:AssumeRole and the role', async () => {
      const arn = await role(trust(PALETTE_SAAS_ACCOUNT_ID, externalId));
      const r = await tenant('POST', '/v1/clouds/aws/account/validate', {
        credentialType: 'sts',
        sts: { arn, externalId: '00000000-0000-4000-8000-000000000000' },
      });
      expect(r.status).toBe(400);
      expect(error(r).code).toBe('AwsAccountValidationFailed');
      expect(error(r).message).toMatch(new RegExp(`^sts:AssumeRole denied on ${arn.replace(/[/]/g, '\\/')}: AccessDenied`));
      expect(error(r).details).toMatchObject({ action: 'sts:AssumeRole', resource: arn, awsErrorCode: 'AccessDenied' });
    });

    it('fails when the trust policy names another account instead of Palette', async () => {
      const arn = await role(trust('333333333333', externalId));
      const r = await tenant('POST', '/v1/clouds/aws/account/validate', { credentialType: 'sts', sts: { arn, externalId } });
      expect(r.status).toBe(400);
      expect(error(r).details?.action).toBe('sts:AssumeRole');
    });

    it("uses each tenant's own external id", async () => {
      const other = sb.palette.addTenant('other-tenant');
      const arn = await role(trust(PALETTE_SAAS_ACCOUNT_ID, externalId));
      const r = await tenant('POST', '/v1/clouds/aws/account/validate', { credentialType: 'sts', sts: { arn } }, sb.palette.endpoint, other.apiKey);
      expect(r.status).toBe(400);
      expect(error(r).details?.action).toBe('sts:AssumeRole');
    });

    it('fails naming the first missing action when the role may not deploy clusters (every missing one in details)', async () => {
      const bare = await role(trust(PALETTE_SAAS_ACCOUNT_ID, externalId));
      const r = await tenant('POST', '/v1/clouds/aws/account/validate', { credentialType: 'sts', sts: { arn: bare } });
      expect(r.status).toBe(400);
      expect(error(r).code).toBe('AwsAccountValidationFailed');
      expect(error(r).message).toMatch(new RegExp(`^ec2:DescribeVpcs denied for ${bare.replace(/[/]/g, '\\/')}: it may not perform ec2:DescribeVpcs, `));
      expect(error(r).details).toEqual({ action: 'ec2:DescribeVpcs', resource: bare, awsErrorCode: 'AccessDenied', missingActions: [...CLUSTER_PERMISSION_SAMPLE] });
      const ec2Only = await role(trust(PALETTE_SAAS_ACCOUNT_ID, externalId), { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:*', Resource: '*' }] });
      const partial = await tenant('POST', '/v1/clouds/aws/account/validate', { credentialType: 'sts', sts: { arn: ec2Only } });
      expect(error(partial).details).toMatchObject({
        action: 'elasticloadbalancing:DescribeLoadBalancers',
        missingActions: ['elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:CreateLoadBalancer', 'autoscaling:DescribeAutoScalingGroups'],
      });
      // An explicit deny wins over the allow (IAM evaluation, not a list of actions).
      const denied = await role(trust(PALETTE_SAAS_ACCOUNT_ID, externalId), {
        Version: '2012-10-17',
        Statement: [...CLUSTERS.Statement, { Effect: 'Deny', Action: 'ec2:RunInstances', Resource: '*' }],
      });
      const deny = await tenant('POST', '/v1/clouds/aws/account/validate', { credentialType: 'sts', sts: { arn: denied } });
      expect(error(deny).details).toMatchObject({ action: 'ec2:RunInstances', missingActions: ['ec2:RunInstances'] });
    });

    it('checks static keys with GetCallerIdentity (and the user\'s cluster permissions), without echoing the secret', async () => {
      await iam.send(new CreateUserCommand({ UserName: 'static-user' }));
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'static-user' }))).AccessKey;
      const body = { accessKey: key?.AccessKeyId, secretKey: key?.SecretAccessKey };
      const bare = await tenant('POST', '/v1/clouds/aws/account/validate', body);
      expect(bare.status).toBe(400);
      expect(error(bare).details).toMatchObject({ action: 'ec2:DescribeVpcs', resource: `arn:aws:iam::${MEMBER}:user/static-user` });
      expect(bare.text).not.toContain(String(key?.SecretAccessKey));
      await iam.send(new PutUserPolicyCommand({ UserName: 'static-user', PolicyName: 'clusters', PolicyDocument: JSON.stringify(CLUSTERS) }));
      const good = await tenant('POST', '/v1/clouds/aws/account/validate', body);
      expect(good.status).toBe(204);
      const wrongSecret = 'definitely-not-the-right-secret-key-000000';
      const bad = await tenant('POST', '/v1/clouds/aws/account/validate', { credentialType: 'secret', accessKey: key?.AccessKeyId, secretKey: wrongSecret });
      expect(bad.status).toBe(400);
      expect(error(bad).details?.action).toBe('sts:GetCallerIdentity');
      expect(bad.text).not.toContain(wrongSecret);
      const unknown = await tenant('POST', '/v1/clouds/aws/account/validate', { accessKey: 'AKIAUNKNOWNKEY000000', secretKey: 'x' });
      expect(unknown.status).toBe(400);
      expect(error(unknown).message).toMatch(/^sts:GetCallerIdentity failed on the given access key: InvalidClientTokenId/);
    });

    it('reports a role that is not effective yet (IAM propagation) and passes once it is', async () => {
      sb.aws.setRealism({ iamPropagationMs: 700 });
      try {
        const arn = await role(trust(PALETTE_SAAS_ACCOUNT_ID, externalId), CLUSTERS);
        const body = { credentialType: 'sts', sts: { arn, externalId } };
        const early = await tenant('POST', '/v1/clouds/aws/account/validate', body);
        expect(early.status).toBe(400);
        expect(error(early).details?.action).toBe('sts:AssumeRole');
        await new Promise((r) => setTimeout(r, 900));
        expect((await tenant('POST', '/v1/clouds/aws/account/validate', body)).status).toBe(204);
      } finally {
        sb.aws.setRealism({ iamPropagationMs: 0 });
      }
    });
  });

  describe('POST /v1/clouds/aws/s3/validate', () => {
    const validate = (b: string, arn: string, extra: Json = {}) =>
      tenant('POST', '/v1/clouds/aws/s3/validate', { bucket: b, region: 'us-east-1', credentials: { credentialType: 'sts', sts: { arn, externalId } }, ...extra });

    it('passes with a role allowing put, list and delete, and leaves no probe behind', async () => {
      const b = await bucket();
      const arn = await role(trust(PALETTE_SAAS_ACCOUNT_ID, externalId), s3Policy(b, {}));
      const r = await validate(b, arn);
      expect(r.status).toBe(204);
      expect(await objects(b)).toBe(0);
    });

    it('fails naming s3:PutObject when the policy lacks it', async () => {
      const b = await bucket();
      const arn = await role(trust(PALETTE_SAAS_ACCOUNT_ID, externalId), s3Policy(b, { put: false }));
      const r = await validate(b, arn);
      expect(r.status).toBe(400);
      expect(error(r).code).toBe('AwsS3ValidationFailed');
      expect(error(r).message).toMatch(new RegExp(`^s3:PutObject denied on arn:aws:s3:::${b}/palette-validate-[0-9a-f]+: AccessDenied`));
      expect(error(r).details?.action).toBe('s3:PutObject');
    });

    it('fails naming s3:ListBucket or s3:DeleteObject, removing the probe when it can', async () => {
      const noList = await bucket();
      const r1 = await validate(noList, await role(trust(PALETTE_SAAS_ACCOUNT_ID, externalId), s3Policy(noList, { list: false })));
      expect(r1.status).toBe(400);
      expect(error(r1).details?.action).toBe('s3:ListBucket');
      expect(await objects(noList)).toBe(0);

      const noDelete = await bucket();
      const r2 = await validate(noDelete, await role(trust(PALETTE_SAAS_ACCOUNT_ID, externalId), s3Policy(noDelete, { del: false })));
      expect(r2.status).toBe(400);
      expect(error(r2).details?.action).toBe('s3:DeleteObject');
    });

    it('fails at sts:AssumeRole with a wrong external id', async () => {
      const b = await bucket();
      const arn = await role(trust(PALETTE_SAAS_ACCOUNT_ID, externalId), s3Policy(b, {}));
      const r = await tenant('POST', '/v1/clouds/aws/s3/validate', {
        bucket: b,
        region: 'us-east-1',
        credentials: { credentialType: 'sts', sts: { arn, externalId: 'wrong-external-id' } },
      });
      expect(r.status).toBe(400);
      expect(error(r).details?.action).toBe('sts:AssumeRole');
    });

    it('uses static keys and puts the probe under the folder', async () => {
      const b = await bucket();
      await iam.send(new CreateUserCommand({ UserName: `backup-user-${counter}` }));
      await iam.send(
        new PutUserPolicyCommand({ UserName: `backup-user-${counter}`, PolicyName: 'access', PolicyDocument: JSON.stringify(s3Policy(b, { putPrefix: 'velero/' })) }),
      );
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName: `backup-user-${counter}` }))).AccessKey;
      const creds = { credentialType: 'secret', accessKey: key?.AccessKeyId, secretKey: key?.SecretAccessKey };
      const inFolder = await tenant('POST', '/v1/clouds/aws/s3/validate', { bucket: b, region: 'us-east-1', credentials: creds, folder: 'velero' });
      expect(inFolder.status).toBe(204);
      const atRoot = await tenant('POST', '/v1/clouds/aws/s3/validate', { bucket: b, region: 'us-east-1', credentials: creds });
      expect(atRoot.status).toBe(400);
      expect(error(atRoot).details?.action).toBe('s3:PutObject');
    });

    it('reports a missing bucket', async () => {
      const arn = await role(trust(PALETTE_SAAS_ACCOUNT_ID, externalId), s3Policy('no-such-bucket-here', {}));
      const r = await validate('no-such-bucket-here', arn);
      expect(r.status).toBe(400);
      expect(error(r).details?.awsErrorCode).toBe('NoSuchBucket');
    });
  });

  it('in self-hosted mode assumes roles as the configured system STS account', async () => {
    const host = sb.aws.createAccount(HOST);
    const hostIam = new IAMClient({
      endpoint: sb.aws.endpoint,
      region: sb.aws.region,
      credentials: { accessKeyId: host.accessKeyId, secretAccessKey: host.secretAccessKey },
    });
    const hosted = await startPaletteEmulator({ port: 0, rateLimit: false, mode: 'self-hosted', aws: { endpoint: sb.aws.endpoint, region: sb.aws.region } });
    try {
      await hostIam.send(new CreateUserCommand({ UserName: 'palette-sts' }));
      await hostIam.send(
        new PutUserPolicyCommand({
          UserName: 'palette-sts',
          PolicyName: 'assume',
          PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] }),
        }),
      );
      const key = (await hostIam.send(new CreateAccessKeyCommand({ UserName: 'palette-sts' }))).AccessKey;
      const login = await paletteFetch(hosted.endpoint, 'POST', '/v1/auth/syslogin', { body: { username: hosted.systemUser, password: hosted.systemPassword } });
      const token = String((login.json as Json).Authorization);
      const put = await paletteFetch(hosted.endpoint, 'POST', '/v1/system/config/aws/sts/account', {
        body: { accessKey: key?.AccessKeyId, secretKey: key?.SecretAccessKey, accountId: HOST },
        headers: { Authorization: token },
      });
      expect(put.status).toBe(204);

      const sts = await tenant('GET', '/v1/clouds/aws/account/sts', undefined, hosted.endpoint, hosted.apiKey);
      expect(sts.json).toMatchObject({ accountId: HOST });
      const hostedExternalId = String((sts.json as Json).externalId);
      const trusted = await role(trust(HOST, hostedExternalId), CLUSTERS);
      const ok = await tenant('POST', '/v1/clouds/aws/account/validate', { credentialType: 'sts', sts: { arn: trusted } }, hosted.endpoint, hosted.apiKey);
      expect(ok.status).toBe(204);
      const saasRole = await role(trust(PALETTE_SAAS_ACCOUNT_ID, hostedExternalId));
      const denied = await tenant('POST', '/v1/clouds/aws/account/validate', { credentialType: 'sts', sts: { arn: saasRole } }, hosted.endpoint, hosted.apiKey);
      expect(denied.status).toBe(400);
      expect(error(denied).details?.action).toBe('sts:AssumeRole');
    } finally {
      hostIam.destroy();
      await hosted.stop();
    }
  });
});
