/**
 * Secrets Manager through the real AWS SDK v3 client against a running sandbox
 * (SigV4, JSON 1.1 wire format, error rendering, IAM-restricted principals).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  InvalidRequestException,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RestoreSecretCommand,
  SecretsManagerClient,
  SecretsManagerServiceException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretCommand,
  paginateListSecrets,
  type Filter,
} from '@aws-sdk/client-secrets-manager';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { startSandbox } from '../../local/aws';
import type { RunningSandbox } from '../../local/aws/core/types';

const VALUE = 'sdk-Secret-Value-91c4';
const TOKEN_1 = '11111111-1111-4111-8111-111111111111';
const TOKEN_2 = '22222222-2222-4222-8222-222222222222';

let sandbox: RunningSandbox;
let sm: SecretsManagerClient;

interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
}

function client(keys: Keys, region = sandbox.region, endpoint = sandbox.endpoint): SecretsManagerClient {
  const credentials = { accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey };
  return new SecretsManagerClient({ endpoint, region, credentials, maxAttempts: 1 });
}

async function rejects(p: Promise<unknown>, name: string, message?: string | RegExp): Promise<SecretsManagerServiceException> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SecretsManagerServiceException);
  if (!(caught instanceof SecretsManagerServiceException)) throw new Error('unreachable');
  expect(caught.name).toBe(name);
  expect(caught.$metadata.httpStatusCode).toBe(400);
  if (typeof message === 'string') expect(caught.message).toBe(message);
  else if (message) expect(caught.message).toMatch(message);
  return caught;
}

async function listNames(filters: Filter[], extra: { IncludePlannedDeletion?: boolean } = {}): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateListSecrets({ client: sm, pageSize: 2 }, { Filters: filters, ...extra })) {
    for (const s of page.SecretList ?? []) names.push(s.Name ?? '');
  }
  return names;
}

beforeAll(async () => {
  sandbox = await startSandbox({
    port: 0,
    realism: {
      iamPropagationMs: 0,
      latency: { defaultMs: 0, jitterMs: 0, perOperation: {} },
      faults: { seed: 1, rules: [] },
    },
  });
  sm = client(sandbox);
});

afterAll(async () => {
  sm?.destroy();
  await sandbox?.stop();
});

describe('Secrets Manager via @aws-sdk/client-secrets-manager', () => {
  it('creates, reads, versions and describes a secret', async () => {
    const created = await sm.send(
      new CreateSecretCommand({
        Name: 'sdk/app/db',
        SecretString: VALUE,
        Description: 'app database',
        Tags: [{ Key: 'env', Value: 'test' }],
        ClientRequestToken: TOKEN_1,
      }),
    );
    expect(created.ARN).toMatch(
      new RegExp(`^arn:aws:secretsmanager:${sandbox.region}:${sandbox.accountId}:secret:sdk/app/db-[A-Za-z0-9]{6}$`),
    );
    expect(created.VersionId).toBe(TOKEN_1);

    const got = await sm.send(new GetSecretValueCommand({ SecretId: 'sdk/app/db' }));
    expect(got.SecretString).toBe(VALUE);
    expect(got.VersionStages).toEqual(['AWSCURRENT']);
    expect(got.CreatedDate).toBeInstanceOf(Date);
    expect(Math.abs((got.CreatedDate?.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);

    const put = await sm.send(new PutSecretValueCommand({ SecretId: created.ARN, SecretString: 'v2', ClientRequestToken: TOKEN_2 }));
    expect(put).toMatchObject({ ARN: created.ARN, Name: 'sdk/app/db', VersionId: TOKEN_2, VersionStages: ['AWSCURRENT'] });
    const previous = await sm.send(new GetSecretValueCommand({ SecretId: 'sdk/app/db', VersionStage: 'AWSPREVIOUS' }));
    expect(previous.SecretString).toBe(VALUE);

    const partialArn = created.ARN?.slice(0, -7);
    const desc = await sm.send(new DescribeSecretCommand({ SecretId: partialArn }));
    expect(desc).toMatchObject({
      ARN: created.ARN,
      Name: 'sdk/app/db',
      Description: 'app database',
      Tags: [{ Key: 'env', Value: 'test' }],
      VersionIdsToStages: { [TOKEN_1]: ['AWSPREVIOUS'], [TOKEN_2]: ['AWSCURRENT'] },
    });
    expect(desc.CreatedDate).toBeInstanceOf(Date);
    expect(desc.LastChangedDate).toBeInstanceOf(Date);
    expect(desc.LastAccessedDate?.getUTCHours()).toBe(0);
    expect(desc.DeletedDate).toBeUndefined();

    const updated = await sm.send(new UpdateSecretCommand({ SecretId: 'sdk/app/db', Description: 'changed', SecretString: 'v3' }));
    expect(updated.VersionId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'sdk/app/db' }))).SecretString).toBe('v3');
    const versions = await sm.send(new ListSecretVersionIdsCommand({ SecretId: 'sdk/app/db' }));
    expect(versions.Versions?.map((v) => v.VersionStages)).toEqual([['AWSCURRENT'], ['AWSPREVIOUS']]);
  });

  it('round-trips binary secrets', async () => {
    const bytes = new Uint8Array([0, 1, 2, 200, 255]);
    await sm.send(new CreateSecretCommand({ Name: 'sdk/binary', SecretBinary: bytes }));
    const got = await sm.send(new GetSecretValueCommand({ SecretId: 'sdk/binary' }));
    expect(got.SecretString).toBeUndefined();
    expect(Array.from(got.SecretBinary ?? [])).toEqual(Array.from(bytes));
  });

  it('is idempotent for repeated ClientRequestTokens', async () => {
    const token = '33333333-3333-4333-8333-333333333333';
    const a = await sm.send(new CreateSecretCommand({ Name: 'sdk/idem', SecretString: 'same', ClientRequestToken: token }));
    const b = await sm.send(new CreateSecretCommand({ Name: 'sdk/idem', SecretString: 'same', ClientRequestToken: token }));
    expect(b).toMatchObject({ ARN: a.ARN, VersionId: token });
    await rejects(
      sm.send(new CreateSecretCommand({ Name: 'sdk/idem', SecretString: 'same' })),
      'ResourceExistsException',
      'The operation failed because the secret sdk/idem already exists.',
    );
    const put1 = await sm.send(new PutSecretValueCommand({ SecretId: 'sdk/idem', SecretString: 'next', ClientRequestToken: TOKEN_2 }));
    const put2 = await sm.send(new PutSecretValueCommand({ SecretId: 'sdk/idem', SecretString: 'next', ClientRequestToken: TOKEN_2 }));
    expect(put2.VersionId).toBe(put1.VersionId);
    const desc = await sm.send(new DescribeSecretCommand({ SecretId: 'sdk/idem' }));
    expect(Object.keys(desc.VersionIdsToStages ?? {})).toHaveLength(2);
    const e = await rejects(
      sm.send(new PutSecretValueCommand({ SecretId: 'sdk/idem', SecretString: VALUE, ClientRequestToken: TOKEN_2 })),
      'ResourceExistsException',
    );
    expect(e).toBeInstanceOf(ResourceExistsException);
    expect(e.message).not.toContain(VALUE);
  });

  it('returns the documented errors', async () => {
    const nf = await rejects(
      sm.send(new GetSecretValueCommand({ SecretId: 'sdk/missing' })),
      'ResourceNotFoundException',
      "Secrets Manager can't find the specified secret.",
    );
    expect(nf).toBeInstanceOf(ResourceNotFoundException);
    await rejects(sm.send(new CreateSecretCommand({ Name: 'bad name!' })), 'ValidationException', /^Invalid name/);
    await rejects(sm.send(new CreateSecretCommand({ Name: 'x'.repeat(513) })), 'ValidationException', /length less than or equal to 512/);
    const both = await rejects(
      sm.send(new CreateSecretCommand({ Name: 'sdk/both', SecretString: VALUE, SecretBinary: new Uint8Array([1]) })),
      'InvalidParameterException',
    );
    expect(both).toBeInstanceOf(InvalidParameterException);
    expect(both.message).not.toContain(VALUE);
    await rejects(sm.send(new ListSecretsCommand({ MaxResults: 0 })), 'ValidationException', /maxResults/);
    await rejects(sm.send(new ListSecretsCommand({ NextToken: 'nonsense' })), 'InvalidNextTokenException');
  });

  it('answers an unknown X-Amz-Target with UnknownOperationException', async () => {
    const raw = client(sandbox);
    raw.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request;
        if (typeof request === 'object' && request !== null && 'headers' in request) {
          const headers = request.headers;
          if (typeof headers === 'object' && headers !== null) Reflect.set(headers, 'x-amz-target', 'secretsmanager.NoSuchOperation');
        }
        return next(args);
      },
      { step: 'build', name: 'rewriteTarget' },
    );
    await rejects(raw.send(new ListSecretsCommand({})), 'UnknownOperationException');
    raw.destroy();
  });

  it('filters ListSecrets by name and tags, with paging', async () => {
    for (const [Name, env, team] of [
      ['flt/alpha', 'prod', 'blue'],
      ['flt/beta', 'prod', 'red'],
      ['flt/gamma', 'dev', 'blue'],
      ['other-flt', 'dev', 'green'],
    ] as const) {
      await sm.send(new CreateSecretCommand({ Name, Tags: [{ Key: 'env', Value: env }, { Key: `team-${team}`, Value: team }] }));
    }
    expect(await listNames([{ Key: 'name', Values: ['flt/'] }])).toEqual(['flt/alpha', 'flt/beta', 'flt/gamma']);
    expect(await listNames([{ Key: 'name', Values: ['FLT/'] }])).toEqual([]);
    expect(await listNames([{ Key: 'name', Values: ['flt/', '!flt/b'] }])).toEqual(['flt/alpha', 'flt/gamma']);
    expect(await listNames([{ Key: 'name', Values: ['flt/'] }, { Key: 'tag-value', Values: ['prod'] }])).toEqual(['flt/alpha', 'flt/beta']);
    expect(await listNames([{ Key: 'tag-key', Values: ['team-b'] }])).toEqual(['flt/alpha', 'flt/gamma']);
    expect(await listNames([{ Key: 'tag-value', Values: ['green'] }])).toEqual(['other-flt']);
    expect(await listNames([{ Key: 'all', Values: ['GAMMA'] }])).toEqual(['flt/gamma']);

    const page = await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['flt/'] }], MaxResults: 1 }));
    expect(page.SecretList?.[0]).toMatchObject({ Name: 'flt/alpha', Tags: [{ Key: 'env', Value: 'prod' }, { Key: 'team-blue', Value: 'blue' }] });
    expect(page.SecretList?.[0]?.CreatedDate).toBeInstanceOf(Date);
    expect(page.NextToken).toBeTruthy();

    await sm.send(new TagResourceCommand({ SecretId: 'flt/gamma', Tags: [{ Key: 'env', Value: 'prod' }] }));
    await sm.send(new UntagResourceCommand({ SecretId: 'flt/alpha', TagKeys: ['env'] }));
    expect(await listNames([{ Key: 'name', Values: ['flt/'] }, { Key: 'tag-value', Values: ['prod'] }])).toEqual(['flt/beta', 'flt/gamma']);
  });

  it('runs the deletion and restore lifecycle', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'sdk/doomed', SecretString: VALUE }));
    const before = Date.now();
    const del = await sm.send(new DeleteSecretCommand({ SecretId: 'sdk/doomed', RecoveryWindowInDays: 7 }));
    const expected = before + 7 * 86_400_000;
    expect(Math.abs((del.DeletionDate?.getTime() ?? 0) - expected)).toBeLessThan(60_000);
    expect((await sm.send(new DescribeSecretCommand({ SecretId: 'sdk/doomed' }))).DeletedDate).toEqual(del.DeletionDate);

    const marked = "You can't perform this operation on the secret because it was marked for deletion.";
    const e = await rejects(sm.send(new GetSecretValueCommand({ SecretId: 'sdk/doomed' })), 'InvalidRequestException', marked);
    expect(e).toBeInstanceOf(InvalidRequestException);
    await rejects(sm.send(new PutSecretValueCommand({ SecretId: 'sdk/doomed', SecretString: 'x' })), 'InvalidRequestException', marked);
    await rejects(sm.send(new UpdateSecretCommand({ SecretId: 'sdk/doomed', Description: 'x' })), 'InvalidRequestException', marked);
    await rejects(sm.send(new TagResourceCommand({ SecretId: 'sdk/doomed', Tags: [{ Key: 'a', Value: 'b' }] })), 'InvalidRequestException', marked);
    await rejects(
      sm.send(new CreateSecretCommand({ Name: 'sdk/doomed', SecretString: 'again' })),
      'InvalidRequestException',
      "You can't create this secret because a secret with this name is already scheduled for deletion.",
    );
    expect(await listNames([{ Key: 'name', Values: ['sdk/doomed'] }])).toEqual([]);
    expect(await listNames([{ Key: 'name', Values: ['sdk/doomed'] }], { IncludePlannedDeletion: true })).toEqual(['sdk/doomed']);
    expect(sandbox.inventory()[sandbox.accountId]?.secrets).toContain(`${sandbox.region}/sdk/doomed (scheduled for deletion)`);

    await rejects(
      sm.send(new DeleteSecretCommand({ SecretId: 'sdk/doomed', RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true })),
      'InvalidParameterException',
      "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
    );
    await rejects(sm.send(new DeleteSecretCommand({ SecretId: 'sdk/doomed', RecoveryWindowInDays: 3 })), 'InvalidParameterException');

    const restored = await sm.send(new RestoreSecretCommand({ SecretId: 'sdk/doomed' }));
    expect(restored.Name).toBe('sdk/doomed');
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'sdk/doomed' }))).SecretString).toBe(VALUE);

    await sm.send(new DeleteSecretCommand({ SecretId: 'sdk/doomed', ForceDeleteWithoutRecovery: true }));
    await rejects(sm.send(new DescribeSecretCommand({ SecretId: 'sdk/doomed' })), 'ResourceNotFoundException');
    const recreated = await sm.send(new CreateSecretCommand({ Name: 'sdk/doomed', SecretString: 'fresh' }));
    expect(recreated.Name).toBe('sdk/doomed');
  });

  it('keeps regions apart', async () => {
    const west = client(sandbox, 'us-west-2');
    await west.send(new CreateSecretCommand({ Name: 'sdk/regional', SecretString: 'west' }));
    await rejects(sm.send(new GetSecretValueCommand({ SecretId: 'sdk/regional' })), 'ResourceNotFoundException');
    expect((await west.send(new GetSecretValueCommand({ SecretId: 'sdk/regional' }))).SecretString).toBe('west');
    west.destroy();
  });

  it('denies GetSecretValue to a user whose policy allows only DescribeSecret', async () => {
    const created = await sm.send(new CreateSecretCommand({ Name: 'sdk/guarded', SecretString: VALUE }));
    const iam = new IAMClient({
      endpoint: sandbox.endpoint,
      region: sandbox.region,
      credentials: { accessKeyId: sandbox.accessKeyId, secretAccessKey: sandbox.secretAccessKey },
      maxAttempts: 1,
    });
    await iam.send(new CreateUserCommand({ UserName: 'sm-describer' }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'sm-describer',
        PolicyName: 'describe-only',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'secretsmanager:DescribeSecret', Resource: '*' }],
        }),
      }),
    );
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'sm-describer' }));
    iam.destroy();
    const limited = client({
      accessKeyId: key.AccessKey?.AccessKeyId ?? '',
      secretAccessKey: key.AccessKey?.SecretAccessKey ?? '',
    });

    expect((await limited.send(new DescribeSecretCommand({ SecretId: 'sdk/guarded' }))).ARN).toBe(created.ARN);
    const denied = await rejects(
      limited.send(new GetSecretValueCommand({ SecretId: 'sdk/guarded' })),
      'AccessDeniedException',
      /is not authorized to perform: secretsmanager:GetSecretValue/,
    );
    expect(denied.message).toContain(`arn:aws:iam::${sandbox.accountId}:user/sm-describer`);
    expect(denied.message).not.toContain(VALUE);
    await rejects(limited.send(new CreateSecretCommand({ Name: 'sdk/not-allowed' })), 'AccessDeniedException');
    await rejects(limited.send(new ListSecretsCommand({})), 'AccessDeniedException');
    limited.destroy();
  });

  it('keeps secrets, versions and scheduled deletions across a restart with a state file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sm-state-'));
    const stateFile = join(dir, 'state.json');
    const realism = { iamPropagationMs: 0 };
    try {
      const first = await startSandbox({ port: 0, stateFile, realism });
      const c1 = client(first, first.region, first.endpoint);
      await c1.send(new CreateSecretCommand({ Name: 'persisted', SecretString: 'one', ClientRequestToken: TOKEN_1 }));
      await c1.send(new PutSecretValueCommand({ SecretId: 'persisted', SecretString: 'two', ClientRequestToken: TOKEN_2 }));
      await c1.send(new CreateSecretCommand({ Name: 'persisted-doomed', SecretString: 'x' }));
      await c1.send(new DeleteSecretCommand({ SecretId: 'persisted-doomed' }));
      c1.destroy();
      await first.stop();

      const second = await startSandbox({ port: 0, stateFile, realism });
      const c2 = client(second, second.region, second.endpoint);
      expect((await c2.send(new GetSecretValueCommand({ SecretId: 'persisted' }))).SecretString).toBe('two');
      expect((await c2.send(new GetSecretValueCommand({ SecretId: 'persisted', VersionId: TOKEN_1 }))).SecretString).toBe('one');
      await rejects(c2.send(new GetSecretValueCommand({ SecretId: 'persisted-doomed' })), 'InvalidRequestException');
      expect(second.inventory()[second.accountId]?.secrets).toEqual([
        `${second.region}/persisted`,
        `${second.region}/persisted-doomed (scheduled for deletion)`,
      ]);
      c2.destroy();
      await second.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
