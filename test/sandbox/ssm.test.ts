/**
 * The sandbox's SSM Parameter Store (local/aws/services/ssm) through the real SDK client: put, overwrite, get by name
 * and by ARN, SecureString decryption, the errors AWS answers, and IAM authorization on the parameter's ARN.
 */
import { CreateUserCommand, CreateAccessKeyCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../local/aws/core/types';
import { allowPolicy, expectAwsError, iamClient, keysOf, start, type Keys } from './core-fixtures';

let sb: RunningSandbox;
const ssm = (keys: Keys = keysOf(sb)) => new SSMClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: keys, maxAttempts: 1 });

beforeAll(async () => {
  sb = await start();
});
afterAll(async () => {
  await sb?.stop();
});

describe('SSM Parameter Store', () => {
  it('put, get by name and by ARN, overwrite with a new version, delete', async () => {
    const c = ssm();
    expect(await c.send(new PutParameterCommand({ Name: '/palette/ca', Type: 'String', Value: 'v1' }))).toMatchObject({ Version: 1, Tier: 'Standard' });
    await expectAwsError(c.send(new PutParameterCommand({ Name: '/palette/ca', Type: 'String', Value: 'v2' })), 'ParameterAlreadyExists', 400);
    expect(await c.send(new PutParameterCommand({ Name: '/palette/ca', Value: 'v2', Overwrite: true }))).toMatchObject({ Version: 2 });
    const byName = await c.send(new GetParameterCommand({ Name: '/palette/ca' }));
    const arn = `arn:aws:ssm:us-east-1:${sb.accountId}:parameter/palette/ca`;
    expect(byName.Parameter).toMatchObject({ Name: '/palette/ca', Type: 'String', Value: 'v2', Version: 2, ARN: arn });
    expect((await c.send(new GetParameterCommand({ Name: arn }))).Parameter?.Value).toBe('v2');
    await c.send(new DeleteParameterCommand({ Name: '/palette/ca' }));
    await expectAwsError(c.send(new GetParameterCommand({ Name: '/palette/ca' })), 'ParameterNotFound', 400);
    await expectAwsError(c.send(new DeleteParameterCommand({ Name: '/palette/ca' })), 'ParameterNotFound', 400);
    c.destroy();
  });

  it('a SecureString is returned decrypted only WithDecryption; a name without a type, bad names and large values are refused', async () => {
    const c = ssm();
    await c.send(new PutParameterCommand({ Name: 'secure-one', Type: 'SecureString', Value: 'plain' }));
    expect((await c.send(new GetParameterCommand({ Name: 'secure-one', WithDecryption: true }))).Parameter?.Value).toBe('plain');
    expect((await c.send(new GetParameterCommand({ Name: 'secure-one' }))).Parameter?.Value).not.toBe('plain');
    await expectAwsError(c.send(new PutParameterCommand({ Name: 'untyped', Value: 'x' })), 'ValidationException', 400);
    await expectAwsError(c.send(new PutParameterCommand({ Name: 'no/leading/slash', Type: 'String', Value: 'x' })), 'ValidationException', 400);
    await expectAwsError(c.send(new PutParameterCommand({ Name: '/aws/reserved', Type: 'String', Value: 'x' })), 'ValidationException', 400);
    await expectAwsError(c.send(new PutParameterCommand({ Name: '/big', Type: 'String', Value: 'x'.repeat(4097) })), 'ValidationException', 400, /4096/);
    expect(await c.send(new PutParameterCommand({ Name: '/big', Type: 'String', Tier: 'Advanced', Value: 'x'.repeat(4097) }))).toMatchObject({ Tier: 'Advanced' });
    c.destroy();
  });

  it('IAM decides on the parameter ARN: a user allowed one parameter reads it and nothing else', async () => {
    await ssm().send(new PutParameterCommand({ Name: '/team/allowed', Type: 'String', Value: 'yes' }));
    await ssm().send(new PutParameterCommand({ Name: '/team/other', Type: 'String', Value: 'no' }));
    const iam = iamClient(sb);
    await iam.send(new CreateUserCommand({ UserName: 'param-reader' }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'param-reader', PolicyName: 'p', PolicyDocument: allowPolicy('ssm:GetParameter', `arn:aws:ssm:us-east-1:${sb.accountId}:parameter/team/allowed`) }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'param-reader' }))).AccessKey;
    const reader = ssm({ accessKeyId: key?.AccessKeyId ?? '', secretAccessKey: key?.SecretAccessKey ?? '' });
    expect((await reader.send(new GetParameterCommand({ Name: '/team/allowed' }))).Parameter?.Value).toBe('yes');
    await expectAwsError(reader.send(new GetParameterCommand({ Name: '/team/other' })), 'AccessDeniedException', 400, /ssm:GetParameter on resource: arn:aws:ssm:us-east-1:\d{12}:parameter\/team\/other/);
    // Denied before the existence check: a missing parameter is not revealed.
    await expectAwsError(reader.send(new GetParameterCommand({ Name: '/team/missing' })), 'AccessDeniedException', 400);
    await expectAwsError(reader.send(new PutParameterCommand({ Name: '/team/allowed', Type: 'String', Value: 'x', Overwrite: true })), 'AccessDeniedException', 400);
    reader.destroy();
    iam.destroy();
  });
});
