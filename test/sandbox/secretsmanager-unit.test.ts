/**
 * Secrets Manager service, driven directly through handle() with a fake kernel
 * (controllable clock, scripted authorization). The SDK-level test is secretsmanager.test.ts.
 */
import { TargetRouter } from '../../local/aws/core/targets';
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
} from '../../local/aws/core/types';
import { SecretsManagerService } from '../../local/aws/services/secretsmanager';
import { splitWords } from '../../local/aws/services/secretsmanager/filters';

const ACCOUNT = '111111111111';
const OTHER = '222222222222';
const REGION = 'us-east-1';
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 15, 13, 45, 10, 250);
const TOKEN_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const TOKEN_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const TOKEN_C = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';
const SECRET_VALUE = 'pa55-Very-Secret-Value-7f3e';

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
  /** Decides for non-root-owner requests; default: allow. */
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
    const alphabet = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';
    let n = ++this.counter * 7919;
    let out = '';
    for (let i = 0; i < length; i++) {
      out += alphabet[n % alphabet.length];
      n = Math.floor(n / 3) + 17 * (i + 1);
    }
    return prefix + out;
  }
}

let kernel: FakeKernel;
let svc: SecretsManagerService;

beforeEach(() => {
  kernel = new FakeKernel();
  svc = new SecretsManagerService(kernel);
});

interface CallOpts {
  principal?: Principal;
  region?: string;
  rawBody?: string;
  target?: string | null;
}

function request(op: string, body: object = {}, o: CallOpts = {}): SandboxRequest {
  const headers: SandboxRequest['headers'] = { 'content-type': 'application/x-amz-json-1.1' };
  if (o.target !== null) headers['x-amz-target'] = o.target ?? `secretsmanager.${op}`;
  return {
    service: 'secretsmanager',
    region: o.region ?? REGION,
    method: 'POST',
    path: '/',
    rawPath: '/',
    query: new URLSearchParams(),
    headers,
    body: Buffer.from(o.rawBody ?? JSON.stringify(body)),
    principal: o.principal ?? root(ACCOUNT),
    requestId: 'req-1',
  };
}

async function call(op: string, body: object = {}, o: CallOpts = {}): Promise<Record<string, unknown>> {
  const res = await svc.handle(request(op, body, o));
  expect(res.status).toBe(200);
  expect(res.headers?.['content-type']).toBe('application/x-amz-json-1.1');
  const parsed: unknown = JSON.parse(String(res.body));
  if (typeof parsed !== 'object' || parsed === null) throw new Error('response is not an object');
  return Object.fromEntries(Object.entries(parsed));
}

async function fails(p: Promise<unknown>, code: string, message?: string | RegExp): Promise<AwsError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(AwsError);
  if (!(caught instanceof AwsError)) throw new Error('unreachable');
  expect(caught.code).toBe(code);
  expect(caught.status).toBe(400);
  if (typeof message === 'string') expect(caught.message).toBe(message);
  else if (message) expect(caught.message).toMatch(message);
  return caught;
}

const str = (v: unknown): string => {
  if (typeof v !== 'string') throw new Error(`expected string, got ${typeof v}`);
  return v;
};

const create = (Name: string, extra: object = {}) => call('CreateSecret', { Name, ...extra });

describe('CreateSecret / GetSecretValue / DescribeSecret', () => {
  it('creates a secret with an AWS-shaped ARN and returns its value and metadata', async () => {
    const out = await create('app/db', {
      SecretString: SECRET_VALUE,
      ClientRequestToken: TOKEN_A,
      Description: 'Database credentials',
      KmsKeyId: 'alias/app',
      Tags: [{ Key: 'env', Value: 'prod' }],
    });
    expect(out.Name).toBe('app/db');
    expect(out.VersionId).toBe(TOKEN_A);
    expect(str(out.ARN)).toMatch(new RegExp(`^arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:app/db-[A-Za-z0-9]{6}$`));

    const got = await call('GetSecretValue', { SecretId: 'app/db' });
    expect(got).toEqual({
      ARN: out.ARN,
      Name: 'app/db',
      VersionId: TOKEN_A,
      SecretString: SECRET_VALUE,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: T0 / 1000,
    });

    const desc = await call('DescribeSecret', { SecretId: 'app/db' });
    expect(desc).toEqual({
      ARN: out.ARN,
      Name: 'app/db',
      Description: 'Database credentials',
      KmsKeyId: 'alias/app',
      LastChangedDate: T0 / 1000,
      LastAccessedDate: Date.UTC(2026, 0, 15) / 1000,
      Tags: [{ Key: 'env', Value: 'prod' }],
      VersionIdsToStages: { [TOKEN_A]: ['AWSCURRENT'] },
      CreatedDate: T0 / 1000,
    });
  });

  it('omits optional members that were never set', async () => {
    await create('plain', { SecretString: 'x', ClientRequestToken: TOKEN_A });
    const desc = await call('DescribeSecret', { SecretId: 'plain' });
    expect(Object.keys(desc).sort()).toEqual(['ARN', 'CreatedDate', 'LastChangedDate', 'Name', 'VersionIdsToStages']);
  });

  it('stores binary secrets as base64 and returns them unchanged', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]).toString('base64');
    await create('bin', { SecretBinary: bytes });
    const got = await call('GetSecretValue', { SecretId: 'bin' });
    expect(got.SecretBinary).toBe(bytes);
    expect(got.SecretString).toBeUndefined();
  });

  it('a secret created without a value has no AWSCURRENT version yet', async () => {
    const out = await create('empty');
    expect(out.VersionId).toBeUndefined();
    await fails(
      call('GetSecretValue', { SecretId: 'empty' }),
      'ResourceNotFoundException',
      "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
    );
    const desc = await call('DescribeSecret', { SecretId: 'empty' });
    expect(desc.VersionIdsToStages).toBeUndefined();
  });

  it('rejects invalid names, missing names and both value kinds', async () => {
    await fails(create('bad name'), 'ValidationException', /^Invalid name\. Must be a valid name/);
    await fails(create('semi;colon'), 'ValidationException', /Invalid name/);
    await fails(create('a'.repeat(513)), 'ValidationException', /at 'name' failed to satisfy constraint: Member must have length less than or equal to 512/);
    await fails(call('CreateSecret', {}), 'ValidationException', "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null");
    await fails(create('both', { SecretString: 'a', SecretBinary: 'AA==' }), 'InvalidParameterException', /both a binary secret value and a string/);
    await fails(create('short-token', { SecretString: 'a', ClientRequestToken: 'abc' }), 'ValidationException', /clientRequestToken.*greater than or equal to 32/);
    // every allowed character
    const ok = await create('Az09/_+=.@-');
    expect(ok.Name).toBe('Az09/_+=.@-');
  });

  it('reports several constraint violations at once', async () => {
    const e = await fails(
      create('x'.repeat(600), { Description: 'd'.repeat(2049) }),
      'ValidationException',
      /^2 validation errors detected: /,
    );
    expect(e.message).toContain("'description'");
  });

  it('is idempotent for a repeated ClientRequestToken with the same value', async () => {
    const first = await create('idem', { SecretString: 'v1', ClientRequestToken: TOKEN_A });
    const again = await create('idem', { SecretString: 'v1', ClientRequestToken: TOKEN_A });
    expect(again).toEqual(first);
    const desc = await call('DescribeSecret', { SecretId: 'idem' });
    expect(desc.VersionIdsToStages).toEqual({ [TOKEN_A]: ['AWSCURRENT'] });

    await fails(
      create('idem', { SecretString: 'other', ClientRequestToken: TOKEN_A }),
      'ResourceExistsException',
      'The operation failed because the secret idem already exists.',
    );
    await fails(create('idem', { SecretString: 'v1', ClientRequestToken: TOKEN_B }), 'ResourceExistsException');
  });

  it('keeps secrets per account and per region', async () => {
    await create('shared-name', { SecretString: 'east' });
    await call('CreateSecret', { Name: 'shared-name', SecretString: 'west' }, { region: 'us-west-2' });
    await call('CreateSecret', { Name: 'shared-name', SecretString: 'other' }, { principal: root(OTHER) });
    expect((await call('GetSecretValue', { SecretId: 'shared-name' })).SecretString).toBe('east');
    expect((await call('GetSecretValue', { SecretId: 'shared-name' }, { region: 'us-west-2' })).SecretString).toBe('west');
    expect((await call('GetSecretValue', { SecretId: 'shared-name' }, { principal: root(OTHER) })).SecretString).toBe('other');
    await fails(call('GetSecretValue', { SecretId: 'shared-name' }, { region: 'eu-west-1' }), 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
  });

  it('resolves full and partial ARNs, but not an ARN from another region', async () => {
    const { ARN } = await create('svc/token', { SecretString: 'v' });
    const arn = str(ARN);
    const partial = arn.slice(0, -7);
    expect(partial.endsWith(':secret:svc/token')).toBe(true);
    expect((await call('GetSecretValue', { SecretId: arn })).SecretString).toBe('v');
    expect((await call('GetSecretValue', { SecretId: partial })).SecretString).toBe('v');
    await fails(call('GetSecretValue', { SecretId: arn.replace(REGION, 'us-west-2') }), 'ResourceNotFoundException');
    await fails(call('GetSecretValue', { SecretId: `${partial}-zzzzzz` }), 'ResourceNotFoundException');
    await fails(call('GetSecretValue', { SecretId: 'no such' }), 'ValidationException', /Invalid name/);
    await fails(call('GetSecretValue', {}), 'ValidationException', /Value null at 'secretId'/);
  });

  it('records the last access day (truncated to midnight UTC) on GetSecretValue', async () => {
    await create('acc', { SecretString: 'v' });
    expect((await call('DescribeSecret', { SecretId: 'acc' })).LastAccessedDate).toBeUndefined();
    kernel.clock = T0 + 3 * DAY;
    await call('GetSecretValue', { SecretId: 'acc' });
    expect((await call('DescribeSecret', { SecretId: 'acc' })).LastAccessedDate).toBe(Date.UTC(2026, 0, 18) / 1000);
  });
});

describe('versions: PutSecretValue / UpdateSecret', () => {
  beforeEach(async () => {
    await create('ver', { SecretString: 'v1', ClientRequestToken: TOKEN_A });
  });

  it('moves AWSCURRENT to the new version and AWSPREVIOUS to the old one', async () => {
    kernel.clock = T0 + 1000;
    const put = await call('PutSecretValue', { SecretId: 'ver', SecretString: 'v2', ClientRequestToken: TOKEN_B });
    expect(put).toEqual({ ARN: put.ARN, Name: 'ver', VersionId: TOKEN_B, VersionStages: ['AWSCURRENT'] });
    expect((await call('GetSecretValue', { SecretId: 'ver' })).SecretString).toBe('v2');
    const prev = await call('GetSecretValue', { SecretId: 'ver', VersionStage: 'AWSPREVIOUS' });
    expect(prev).toMatchObject({ SecretString: 'v1', VersionId: TOKEN_A, VersionStages: ['AWSPREVIOUS'] });

    await call('PutSecretValue', { SecretId: 'ver', SecretString: 'v3', ClientRequestToken: TOKEN_C });
    const desc = await call('DescribeSecret', { SecretId: 'ver' });
    // v1 has no label any more: deprecated, not listed; still readable by id
    expect(desc.VersionIdsToStages).toEqual({ [TOKEN_B]: ['AWSPREVIOUS'], [TOKEN_C]: ['AWSCURRENT'] });
    expect(desc.LastChangedDate).toBe((T0 + 1000) / 1000);
    const old = await call('GetSecretValue', { SecretId: 'ver', VersionId: TOKEN_A });
    expect(old).toMatchObject({ SecretString: 'v1', VersionStages: [] });
  });

  it('selects versions by id and stage, with AWS errors for mismatches', async () => {
    await call('PutSecretValue', { SecretId: 'ver', SecretString: 'v2', ClientRequestToken: TOKEN_B });
    expect((await call('GetSecretValue', { SecretId: 'ver', VersionId: TOKEN_A, VersionStage: 'AWSPREVIOUS' })).SecretString).toBe('v1');
    await fails(call('GetSecretValue', { SecretId: 'ver', VersionId: TOKEN_A, VersionStage: 'AWSCURRENT' }), 'InvalidRequestException', 'You provided a VersionStage that is not associated to the provided VersionId.');
    await fails(call('GetSecretValue', { SecretId: 'ver', VersionId: TOKEN_C }), 'ResourceNotFoundException', `Secrets Manager can't find the specified secret value for VersionId: ${TOKEN_C}`);
    await fails(call('GetSecretValue', { SecretId: 'ver', VersionStage: 'AWSPENDING' }), 'ResourceNotFoundException', /staging label: AWSPENDING/);
  });

  it('is idempotent per ClientRequestToken and refuses to change an existing version', async () => {
    await call('PutSecretValue', { SecretId: 'ver', SecretString: 'v2', ClientRequestToken: TOKEN_B });
    const retry = await call('PutSecretValue', { SecretId: 'ver', SecretString: 'v2', ClientRequestToken: TOKEN_B });
    expect(retry.VersionStages).toEqual(['AWSCURRENT']);
    expect((await call('DescribeSecret', { SecretId: 'ver' })).VersionIdsToStages).toEqual({
      [TOKEN_A]: ['AWSPREVIOUS'],
      [TOKEN_B]: ['AWSCURRENT'],
    });
    const e = await fails(
      call('PutSecretValue', { SecretId: 'ver', SecretString: SECRET_VALUE, ClientRequestToken: TOKEN_B }),
      'ResourceExistsException',
    );
    expect(e.message).not.toContain(SECRET_VALUE);
  });

  it('supports custom staging labels without touching AWSCURRENT', async () => {
    const put = await call('PutSecretValue', {
      SecretId: 'ver',
      SecretString: 'pending',
      ClientRequestToken: TOKEN_B,
      VersionStages: ['AWSPENDING'],
    });
    expect(put.VersionStages).toEqual(['AWSPENDING']);
    expect((await call('GetSecretValue', { SecretId: 'ver' })).SecretString).toBe('v1');
    expect((await call('GetSecretValue', { SecretId: 'ver', VersionStage: 'AWSPENDING' })).SecretString).toBe('pending');
  });

  it('requires a value for PutSecretValue', async () => {
    await fails(call('PutSecretValue', { SecretId: 'ver' }), 'InvalidParameterException');
    await fails(call('PutSecretValue', { SecretId: 'nope', SecretString: 'x' }), 'ResourceNotFoundException');
  });

  it('UpdateSecret changes metadata, and creates a version only when given a value', async () => {
    const meta = await call('UpdateSecret', { SecretId: 'ver', Description: 'new', KmsKeyId: 'alias/k2' });
    expect(meta.VersionId).toBeUndefined();
    const withValue = await call('UpdateSecret', { SecretId: 'ver', SecretString: 'v2', ClientRequestToken: TOKEN_B });
    expect(withValue.VersionId).toBe(TOKEN_B);
    const desc = await call('DescribeSecret', { SecretId: 'ver' });
    expect(desc).toMatchObject({
      Description: 'new',
      KmsKeyId: 'alias/k2',
      VersionIdsToStages: { [TOKEN_A]: ['AWSPREVIOUS'], [TOKEN_B]: ['AWSCURRENT'] },
    });
    await fails(call('UpdateSecret', { SecretId: 'ver', SecretString: 'a', SecretBinary: 'AA==' }), 'InvalidParameterException');
  });

  it('lists version ids, newest first, hiding deprecated versions unless asked', async () => {
    await call('PutSecretValue', { SecretId: 'ver', SecretString: 'v2', ClientRequestToken: TOKEN_B });
    await call('PutSecretValue', { SecretId: 'ver', SecretString: 'v3', ClientRequestToken: TOKEN_C });
    const out = await call('ListSecretVersionIds', { SecretId: 'ver' });
    expect(out.Versions).toEqual([
      { VersionId: TOKEN_C, VersionStages: ['AWSCURRENT'], CreatedDate: T0 / 1000 },
      { VersionId: TOKEN_B, VersionStages: ['AWSPREVIOUS'], CreatedDate: T0 / 1000 },
    ]);
    const all = await call('ListSecretVersionIds', { SecretId: 'ver', IncludeDeprecated: true });
    expect(Array.isArray(all.Versions) && all.Versions.length).toBe(3);
  });
});

describe('tags', () => {
  it('adds, overwrites and removes tags', async () => {
    await create('tagged', { Tags: [{ Key: 'a', Value: '1' }] });
    expect(await call('TagResource', { SecretId: 'tagged', Tags: [{ Key: 'a', Value: '2' }, { Key: 'b', Value: '3' }] })).toEqual({});
    expect((await call('DescribeSecret', { SecretId: 'tagged' })).Tags).toEqual([
      { Key: 'a', Value: '2' },
      { Key: 'b', Value: '3' },
    ]);
    expect(await call('UntagResource', { SecretId: 'tagged', TagKeys: ['a', 'missing'] })).toEqual({});
    expect((await call('DescribeSecret', { SecretId: 'tagged' })).Tags).toEqual([{ Key: 'b', Value: '3' }]);
    await call('UntagResource', { SecretId: 'tagged', TagKeys: ['b'] });
    expect((await call('DescribeSecret', { SecretId: 'tagged' })).Tags).toBeUndefined();
  });

  it('validates tags and requires the secret', async () => {
    await create('tagged');
    await fails(call('TagResource', { SecretId: 'tagged' }), 'ValidationException', /Value null at 'tags'/);
    await fails(call('TagResource', { SecretId: 'tagged', Tags: [{ Key: '', Value: 'x' }] }), 'ValidationException', /'tags\.1\.member\.key'/);
    await fails(call('TagResource', { SecretId: 'nope', Tags: [{ Key: 'a', Value: 'b' }] }), 'ResourceNotFoundException');
    await fails(call('UntagResource', { SecretId: 'nope', TagKeys: ['a'] }), 'ResourceNotFoundException');
  });
});

describe('ListSecrets', () => {
  beforeEach(async () => {
    await create('prod/DatabaseSecret', { Description: 'Primary database credentials', Tags: [{ Key: 'env', Value: 'production' }, { Key: 'team', Value: 'data' }] });
    kernel.clock += 1000;
    await create('prod/api-key', { Description: 'Key for the billing API', Tags: [{ Key: 'env', Value: 'production' }] });
    kernel.clock += 1000;
    await create('dev/databaseSecret', { Tags: [{ Key: 'env', Value: 'dev' }, { Key: 'Team', Value: 'Data' }] });
    kernel.clock += 1000;
    await create('other', { Description: 'misc' });
  });

  const names = async (body: object): Promise<string[]> => {
    const out = await call('ListSecrets', body);
    if (!Array.isArray(out.SecretList)) throw new Error('no SecretList');
    return out.SecretList.map((e: { Name?: unknown }) => str(e.Name));
  };
  const filt = (Key: string, ...Values: string[]) => ({ Filters: [{ Key, Values }] });

  it('lists everything by creation date with AWS-shaped entries', async () => {
    expect(await names({})).toEqual(['prod/DatabaseSecret', 'prod/api-key', 'dev/databaseSecret', 'other']);
    expect(await names({ SortOrder: 'desc' })).toEqual(['other', 'dev/databaseSecret', 'prod/api-key', 'prod/DatabaseSecret']);
    expect(await names({ SortBy: 'name' })).toEqual(['dev/databaseSecret', 'other', 'prod/DatabaseSecret', 'prod/api-key']);
    const out = await call('ListSecrets', filt('name', 'other'));
    expect(out.SecretList).toEqual([
      {
        ARN: expect.stringMatching(/:secret:other-[A-Za-z0-9]{6}$/),
        Name: 'other',
        Description: 'misc',
        LastChangedDate: (T0 + 3000) / 1000,
        CreatedDate: (T0 + 3000) / 1000,
      },
    ]);
    expect(out.NextToken).toBeUndefined();
  });

  it('name: case-sensitive prefix; negation excludes', async () => {
    expect(await names(filt('name', 'prod/'))).toEqual(['prod/DatabaseSecret', 'prod/api-key']);
    expect(await names(filt('name', 'Prod/'))).toEqual([]);
    expect(await names(filt('name', 'prod/', 'dev/'))).toHaveLength(3);
    expect(await names(filt('name', '!prod/'))).toEqual(['dev/databaseSecret', 'other']);
    expect(await names(filt('name', 'prod/', '!prod/api'))).toEqual(['prod/DatabaseSecret']);
  });

  it('tag-key and tag-value: case-sensitive prefixes', async () => {
    expect(await names(filt('tag-key', 'team'))).toEqual(['prod/DatabaseSecret']);
    expect(await names(filt('tag-key', 'Team'))).toEqual(['dev/databaseSecret']);
    expect(await names(filt('tag-value', 'prod'))).toEqual(['prod/DatabaseSecret', 'prod/api-key']);
    expect(await names(filt('tag-value', '!prod'))).toEqual(['dev/databaseSecret', 'other']);
    expect(await names(filt('tag-key', '!env'))).toEqual(['other']);
  });

  it('description: words, not case-sensitive', async () => {
    expect(await names(filt('description', 'DATABASE'))).toEqual(['prod/DatabaseSecret']);
    expect(await names(filt('description', 'billing key'))).toEqual(['prod/api-key']);
    expect(await names(filt('description', 'cred'))).toEqual(['prod/DatabaseSecret']);
    expect(await names(filt('description', 'base'))).toEqual([]);
  });

  it('all: words across name, description and tags, not case-sensitive', async () => {
    expect(await names(filt('all', 'database'))).toEqual(['prod/DatabaseSecret', 'dev/databaseSecret']);
    expect(await names(filt('all', 'misc'))).toEqual(['other']);
    expect(await names(filt('all', 'DATA'))).toEqual(['prod/DatabaseSecret', 'dev/databaseSecret']);
  });

  it('combines filters with AND; owning-service and primary-region match nothing here', async () => {
    expect(await names({ Filters: [{ Key: 'name', Values: ['prod/'] }, { Key: 'tag-key', Values: ['team'] }] })).toEqual(['prod/DatabaseSecret']);
    expect(await names(filt('owning-service', 'rds'))).toEqual([]);
    expect(await names(filt('primary-region', 'us'))).toEqual([]);
  });

  it('pages with MaxResults and NextToken', async () => {
    const first = await call('ListSecrets', { MaxResults: 3 });
    expect(Array.isArray(first.SecretList) && first.SecretList.length).toBe(3);
    const second = await call('ListSecrets', { MaxResults: 3, NextToken: first.NextToken });
    expect(Array.isArray(second.SecretList) && second.SecretList.map((e: { Name?: unknown }) => e.Name)).toEqual(['other']);
    expect(second.NextToken).toBeUndefined();
    await fails(call('ListSecrets', { NextToken: 'garbage' }), 'InvalidNextTokenException');
  });

  it('validates the request like the model does', async () => {
    await fails(call('ListSecrets', { MaxResults: 101 }), 'ValidationException', "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100");
    await fails(call('ListSecrets', filt('colour', 'x')), 'ValidationException', /filters\.1\.member\.key.*enum value set/);
    await fails(call('ListSecrets', filt('name', 'semi;colon')), 'ValidationException', /regular expression pattern/);
    await fails(call('ListSecrets', { Filters: [{ Key: 'name', Values: [] }] }), 'ValidationException', /filters\.1\.member\.values/);
    await fails(call('ListSecrets', { SortOrder: 'up' }), 'ValidationException', /sortOrder/);
    await fails(call('ListSecrets', { MaxResults: 'ten' }), 'SerializationException');
  });

  it('splits words like the console search', () => {
    expect(splitWords('credsDatabase#892')).toEqual(['creds', 'Database', '892']);
    expect(splitWords('HTTPServer/v2_key')).toEqual(['HTTP', 'Server', 'v', '2', 'key']);
  });
});

describe('deletion lifecycle', () => {
  beforeEach(async () => {
    await create('doomed', { SecretString: SECRET_VALUE, Tags: [{ Key: 'k', Value: 'v' }] });
  });

  it('schedules deletion (30 days by default) and blocks value access while scheduled', async () => {
    kernel.clock = T0 + 5000;
    const del = await call('DeleteSecret', { SecretId: 'doomed' });
    expect(del).toMatchObject({ Name: 'doomed', DeletionDate: (T0 + 5000 + 30 * DAY) / 1000 });
    expect((await call('DescribeSecret', { SecretId: 'doomed' })).DeletedDate).toBe(del.DeletionDate);

    const marked = "You can't perform this operation on the secret because it was marked for deletion.";
    await fails(call('GetSecretValue', { SecretId: 'doomed' }), 'InvalidRequestException', marked);
    await fails(call('PutSecretValue', { SecretId: 'doomed', SecretString: 'x' }), 'InvalidRequestException', marked);
    await fails(call('UpdateSecret', { SecretId: 'doomed', Description: 'x' }), 'InvalidRequestException', marked);
    await fails(call('TagResource', { SecretId: 'doomed', Tags: [{ Key: 'a', Value: 'b' }] }), 'InvalidRequestException', marked);
    await fails(call('DeleteSecret', { SecretId: 'doomed' }), 'InvalidRequestException', marked);
    await fails(
      create('doomed', { SecretString: 'again' }),
      'InvalidRequestException',
      "You can't create this secret because a secret with this name is already scheduled for deletion.",
    );

    const listed = await call('ListSecrets', {});
    expect(listed.SecretList).toEqual([]);
    const withDeleted = await call('ListSecrets', { IncludePlannedDeletion: true });
    expect(withDeleted.SecretList).toMatchObject([{ Name: 'doomed', DeletedDate: del.DeletionDate }]);
    expect(svc.inventory(ACCOUNT)).toEqual({ secrets: [`${REGION}/doomed (scheduled for deletion)`] });
  });

  it('RestoreSecret cancels the deletion', async () => {
    await call('DeleteSecret', { SecretId: 'doomed', RecoveryWindowInDays: 7 });
    const restored = await call('RestoreSecret', { SecretId: 'doomed' });
    expect(restored.Name).toBe('doomed');
    expect(Object.keys(restored).sort()).toEqual(['ARN', 'Name']);
    expect((await call('GetSecretValue', { SecretId: 'doomed' })).SecretString).toBe(SECRET_VALUE);
    expect((await call('DescribeSecret', { SecretId: 'doomed' })).DeletedDate).toBeUndefined();
    expect(svc.inventory(ACCOUNT)).toEqual({ secrets: [`${REGION}/doomed`] });
  });

  it('removes the secret once the recovery window has passed; the name can then be reused', async () => {
    const { ARN: oldArn } = await call('DescribeSecret', { SecretId: 'doomed' });
    await call('DeleteSecret', { SecretId: 'doomed', RecoveryWindowInDays: 7 });
    kernel.clock = T0 + 7 * DAY - 1;
    expect((await call('DescribeSecret', { SecretId: 'doomed' })).Name).toBe('doomed');
    kernel.clock = T0 + 7 * DAY;
    await fails(call('DescribeSecret', { SecretId: 'doomed' }), 'ResourceNotFoundException');
    await fails(call('RestoreSecret', { SecretId: 'doomed' }), 'ResourceNotFoundException');
    expect(svc.inventory(ACCOUNT)).toEqual({ secrets: [] });

    const again = await create('doomed', { SecretString: 'new' });
    expect(again.ARN).not.toBe(oldArn);
    await fails(call('GetSecretValue', { SecretId: str(oldArn) }), 'ResourceNotFoundException');
  });

  it('ForceDeleteWithoutRecovery removes at once, also for a scheduled secret', async () => {
    const del = await call('DeleteSecret', { SecretId: 'doomed', ForceDeleteWithoutRecovery: true });
    expect(del.DeletionDate).toBe(T0 / 1000);
    await fails(call('DescribeSecret', { SecretId: 'doomed' }), 'ResourceNotFoundException');

    await create('doomed2', { SecretString: 'x' });
    await call('DeleteSecret', { SecretId: 'doomed2' });
    await call('DeleteSecret', { SecretId: 'doomed2', ForceDeleteWithoutRecovery: true });
    expect((await create('doomed2', { SecretString: 'y' })).Name).toBe('doomed2');
  });

  it('validates the recovery window', async () => {
    await fails(call('DeleteSecret', { SecretId: 'doomed', RecoveryWindowInDays: 6 }), 'InvalidParameterException', 'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
    await fails(call('DeleteSecret', { SecretId: 'doomed', RecoveryWindowInDays: 31 }), 'InvalidParameterException');
    await fails(
      call('DeleteSecret', { SecretId: 'doomed', RecoveryWindowInDays: 10, ForceDeleteWithoutRecovery: true }),
      'InvalidParameterException',
      "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
    );
    await fails(call('DeleteSecret', { SecretId: 'ghost' }), 'ResourceNotFoundException');
    expect((await call('DescribeSecret', { SecretId: 'doomed' })).DeletedDate).toBeUndefined();
  });
});

describe('authorization', () => {
  it('does not consult IAM for the owning account root', async () => {
    await create('r', { SecretString: 'v' });
    await call('GetSecretValue', { SecretId: 'r' });
    expect(kernel.calls).toEqual([]);
  });

  it('authorizes each operation with its IAM action and the secret ARN', async () => {
    const { ARN } = await create('authz', { SecretString: 'v', Tags: [{ Key: 'team', Value: 'blue' }] });
    const arn = str(ARN);
    const ops: Array<[string, object]> = [
      ['GetSecretValue', { SecretId: 'authz' }],
      ['DescribeSecret', { SecretId: arn }],
      ['PutSecretValue', { SecretId: 'authz', SecretString: 'v2' }],
      ['UpdateSecret', { SecretId: 'authz', Description: 'd' }],
      ['TagResource', { SecretId: 'authz', Tags: [{ Key: 'x', Value: 'y' }] }],
      ['UntagResource', { SecretId: 'authz', TagKeys: ['x'] }],
      ['ListSecretVersionIds', { SecretId: 'authz' }],
      ['PutResourcePolicy', { SecretId: 'authz', ResourcePolicy: '{"Version":"2012-10-17","Statement":[]}' }],
      ['GetResourcePolicy', { SecretId: 'authz' }],
      ['DeleteResourcePolicy', { SecretId: 'authz' }],
      ['DeleteSecret', { SecretId: 'authz' }],
      ['RestoreSecret', { SecretId: 'authz' }],
    ];
    for (const [op, body] of ops) {
      kernel.calls = [];
      await call(op, body, { principal: user });
      expect(kernel.calls.map((c) => [c.action, c.resource, c.resourceAccount])).toEqual([[`secretsmanager:${op}`, arn, ACCOUNT]]);
      expect(kernel.calls[0]?.context?.['aws:ResourceTag/team']).toBe('blue');
    }
    kernel.calls = [];
    await call('ListSecrets', {}, { principal: user });
    expect(kernel.calls.map((c) => [c.action, c.resource])).toEqual([['secretsmanager:ListSecrets', '*']]);
  });

  it('CreateSecret is authorized on the ARN the secret gets, plus TagResource when tagging', async () => {
    const out = await call('CreateSecret', { Name: 'made', Tags: [{ Key: 'env', Value: 'dev' }] }, { principal: user });
    expect(kernel.calls.map((c) => [c.action, c.resource])).toEqual([
      ['secretsmanager:CreateSecret', out.ARN],
      ['secretsmanager:TagResource', out.ARN],
    ]);
    expect(kernel.calls[0]?.context).toMatchObject({
      'secretsmanager:Name': 'made',
      'aws:RequestTag/env': 'dev',
      'aws:TagKeys': ['env'],
    });
  });

  it('denies with AccessDeniedException without revealing the value or the existence of secrets', async () => {
    await create('guarded', { SecretString: SECRET_VALUE });
    kernel.decide = (r) =>
      r.action === 'secretsmanager:DescribeSecret' ? { allowed: true, reason: 'Allowed' } : { allowed: false, reason: 'ImplicitDeny' };
    expect((await call('DescribeSecret', { SecretId: 'guarded' }, { principal: user })).Name).toBe('guarded');
    const e = await fails(
      call('GetSecretValue', { SecretId: 'guarded' }, { principal: user }),
      'AccessDeniedException',
      `User: ${user.arn} is not authorized to perform: secretsmanager:GetSecretValue on resource: guarded because no identity-based policy allows the secretsmanager:GetSecretValue action`,
    );
    expect(e.message).not.toContain(SECRET_VALUE);
    // a secret that does not exist looks the same to a principal without access
    await fails(call('GetSecretValue', { SecretId: 'absent' }, { principal: user }), 'AccessDeniedException');
    await fails(call('CreateSecret', { Name: 'new-one' }, { principal: user }), 'AccessDeniedException');
    kernel.decide = () => ({ allowed: false, reason: 'ExplicitDeny' });
    await fails(call('DescribeSecret', { SecretId: 'guarded' }, { principal: user }), 'AccessDeniedException', /with an explicit deny$/);
  });

  it('cross-account access by ARN goes through IAM with the owner account and the resource policy', async () => {
    const { ARN } = await create('shared', { SecretString: 'v' });
    const arn = str(ARN);
    kernel.decide = (r) => (r.resourcePolicy ? { allowed: true, reason: 'Allowed' } : { allowed: false, reason: 'ImplicitDeny' });
    await fails(
      call('GetSecretValue', { SecretId: arn }, { principal: root(OTHER) }),
      'AccessDeniedException',
      /because no resource-based policy allows/,
    );
    expect(kernel.calls[0]).toMatchObject({ resource: arn, resourceAccount: ACCOUNT });
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OTHER}:root` }, Action: 'secretsmanager:GetSecretValue', Resource: '*' }],
    });
    await call('PutResourcePolicy', { SecretId: 'shared', ResourcePolicy: policy });
    expect((await call('GetResourcePolicy', { SecretId: 'shared' })).ResourcePolicy).toBe(policy);
    expect((await call('GetSecretValue', { SecretId: arn }, { principal: root(OTHER) })).SecretString).toBe('v');
    expect(kernel.calls.at(-1)?.resourcePolicy).toBe(policy);
    await call('DeleteResourcePolicy', { SecretId: 'shared' });
    expect((await call('GetResourcePolicy', { SecretId: 'shared' })).ResourcePolicy).toBeUndefined();
    await fails(call('PutResourcePolicy', { SecretId: 'shared', ResourcePolicy: '{not json' }), 'MalformedPolicyDocumentException');
  });
});

describe('protocol', () => {
  it('answers unknown or missing targets with UnknownOperationException', async () => {
    await fails(call('Nope'), 'UnknownOperationException');
    await fails(call('GetSecretValue', {}, { target: 'kms.GetSecretValue' }), 'UnknownOperationException');
    await fails(call('GetSecretValue', {}, { target: null }), 'UnknownOperationException');
    await fails(call('GetSecretValue', {}, { target: 'secretsmanager.constructor' }), 'UnknownOperationException');
    expect(svc.operationName(request('ListSecrets'))).toBe('ListSecrets');
    expect(svc.operationName(request('ListSecrets', {}, { target: null }))).toBe('Unknown');
  });

  it('rejects malformed JSON and wrongly typed members with SerializationException', async () => {
    await fails(call('ListSecrets', {}, { rawBody: '{"a":' }), 'SerializationException');
    await fails(call('ListSecrets', {}, { rawBody: '[1]' }), 'SerializationException');
    await fails(call('CreateSecret', { Name: 42 }), 'SerializationException');
    await fails(call('CreateSecret', { Name: 'b64', SecretBinary: 'not base64!' }), 'SerializationException');
    expect(await call('ListSecrets', {}, { rawBody: '' })).toEqual({ SecretList: [] });
  });

  it('never echoes secret values in errors', async () => {
    const huge = SECRET_VALUE.repeat(3000);
    const e1 = await fails(create('too-big', { SecretString: huge }), 'ValidationException', /at 'secretString'.*65536/);
    expect(e1.message).not.toContain(SECRET_VALUE);
    const e2 = await fails(create('both', { SecretString: SECRET_VALUE, SecretBinary: 'AA==' }), 'InvalidParameterException');
    expect(e2.message).not.toContain(SECRET_VALUE);
  });
});

describe('state', () => {
  it('snapshot/restore round-trips through JSON', async () => {
    await create('keep', { SecretString: 'v1', ClientRequestToken: TOKEN_A, Tags: [{ Key: 'a', Value: 'b' }] });
    await call('PutSecretValue', { SecretId: 'keep', SecretString: 'v2', ClientRequestToken: TOKEN_B });
    await create('going', { SecretString: 'g' });
    await call('DeleteSecret', { SecretId: 'going', RecoveryWindowInDays: 7 });
    await call('CreateSecret', { Name: 'west', SecretString: 'w' }, { region: 'us-west-2' });
    const before = await call('DescribeSecret', { SecretId: 'keep' });

    const data: unknown = JSON.parse(JSON.stringify(svc.snapshot()));
    svc = new SecretsManagerService(kernel);
    svc.restore(data);

    expect(await call('DescribeSecret', { SecretId: 'keep' })).toEqual(before);
    expect((await call('GetSecretValue', { SecretId: 'keep', VersionStage: 'AWSPREVIOUS' })).SecretString).toBe('v1');
    expect(svc.inventory(ACCOUNT)).toEqual({
      secrets: [`${REGION}/going (scheduled for deletion)`, `${REGION}/keep`, 'us-west-2/west'],
    });
    expect(svc.inventory(OTHER)).toEqual({ secrets: [] });
    expect(() => svc.restore({ version: 2 })).toThrow();
  });
});
