/**
 * Self-hosted Palette behind a private CA, end to end on the sandbox: the Palette emulator serves https with a
 * certificate from a CA generated here; the Palette client is built as the Lambdas build it
 * (lambdas/services/onboarding/palette.ts) from the environment the stack config gives every function
 * (cdk/lib/lambda-environment.ts), with the AWS credentials of a Lambda-like session whose role holds exactly the
 * grants the stack gives a Palette-calling function (the API key, the CA bundle).
 *
 * - the CA bundle in a Secrets Manager secret, or in an SSM parameter: the call succeeds;
 * - no bundle (public roots only): PaletteCertificateError at once, one attempt, on no retry list;
 * - a bundle with another CA: refused the same way;
 * - a bundle the role may not read: ConfigurationError naming PALETTE_CA_BUNDLE and the secret.
 */
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../cdk/lib/config';
import { DEFAULT_PALETTE_API_KEY_SECRET_NAME } from '../../cdk/lib/config';
import { paletteConnectionGrants } from '../../cdk/lib/constructs/palette-connection';
import { lambdaEnvironment } from '../../cdk/lib/lambda-environment';
import { grantsOf, type Grant } from '../../cdk/lib/permissions';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { PaletteCertificateError } from '../../lambdas/services/palette';
import { paletteClient, resetPaletteClients } from '../../lambdas/services/onboarding/palette';
import { resetEnvCache } from '../../lambdas/shared/env';
import { ConfigurationError } from '../../lambdas/shared/errors';
import { resetPaletteCaBundles } from '../../lambdas/shared/palette-ca';
import { ALL_RETRIED_ERRORS, NAMED_PERMANENT_ERRORS } from '../../lambdas/shared/retryable-errors';
import { createPrivateCa, issueServerCertificate } from './fixtures/tls';

let sb: RunningLocalSandbox;
const savedEnv = { ...process.env };
const CA_SECRET = 'palette-onboarding/palette-ca';
const OTHER_CA_SECRET = 'palette-onboarding/other-ca';
const UNGRANTED_CA_SECRET = 'palette-onboarding/ungranted-ca';
const CA_PARAMETER = '/palette-onboarding/palette-ca';
/** The configurations the test deploys (one role holds the grants of all of them). */
const BUNDLES = {
  secret: `secretsmanager:${CA_SECRET}`,
  parameter: `ssm:${CA_PARAMETER}`,
  otherCa: `secretsmanager:${OTHER_CA_SECRET}`,
} as const;

beforeAll(async () => {
  const ca = await createPrivateCa('Palette Onboarding Test Private CA');
  const otherCa = await createPrivateCa('Some Other CA');
  sb = await startLocalSandbox({
    aws: { port: 0, realism: { iamPropagationMs: 0 } },
    palette: { port: 0, rateLimit: false, tls: await issueServerCertificate(ca) },
    env: {},
  });
  const admin = { endpoint: sb.aws.endpoint, region: sb.aws.region, credentials: { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey } };
  const sm = new SecretsManagerClient(admin);
  const ssm = new SSMClient(admin);
  const iam = new IAMClient(admin);
  try {
    await sm.send(new CreateSecretCommand({ Name: DEFAULT_PALETTE_API_KEY_SECRET_NAME, SecretString: JSON.stringify({ apiKey: sb.palette.apiKey }) }));
    await sm.send(new CreateSecretCommand({ Name: CA_SECRET, SecretString: ca.certPem }));
    await sm.send(new CreateSecretCommand({ Name: OTHER_CA_SECRET, SecretString: otherCa.certPem }));
    await sm.send(new CreateSecretCommand({ Name: UNGRANTED_CA_SECRET, SecretString: ca.certPem }));
    await ssm.send(new PutParameterCommand({ Name: CA_PARAMETER, Type: 'String', Value: ca.certPem }));

    // The role of a Palette-calling function, with the stack's own grants rendered for the sandbox's account.
    const env = { partition: 'aws', region: sb.aws.region, account: sb.aws.accountId };
    const refs = { registryTableArn: 'unused', tenantSecretsRoleArn: 'unused' };
    const grants: Grant[] = [
      ...grantsOf(['paletteApiKey'], parseConfig({}), refs),
      ...Object.values(BUNDLES).flatMap((paletteCaBundle) => paletteConnectionGrants({ paletteCaBundle })),
    ];
    const Statement = grants.map((g, i) => ({ Sid: `${g.sid}${i}`, Effect: 'Allow', Action: g.actions, Resource: g.resources.map((r) => r(env)) }));
    const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
    const role = await iam.send(new CreateRoleCommand({ RoleName: 'palette-caller', AssumeRolePolicyDocument: JSON.stringify(trust) }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'palette-caller', PolicyName: 'grants', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement }) }));
    const session = await sb.aws.serviceSession({ roleArn: role.Role?.Arn ?? '', service: 'lambda.amazonaws.com', sessionName: 'private-ca-test' });
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: sb.aws.endpoint,
      AWS_REGION: sb.aws.region,
      AWS_ACCESS_KEY_ID: session.accessKeyId,
      AWS_SECRET_ACCESS_KEY: session.secretAccessKey,
      AWS_SESSION_TOKEN: session.sessionToken,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
  } finally {
    sm.destroy();
    ssm.destroy();
    iam.destroy();
  }
}, 60_000);

afterAll(async () => {
  process.env = savedEnv;
  await sb?.stop();
});

/** The client a Palette-calling Lambda builds, in a fresh container deployed with `context` (the stack config). */
function deployedClient(context: Record<string, unknown>) {
  const config = parseConfig({ paletteEndpoint: sb.palette.endpoint, ...context });
  const environment = lambdaEnvironment(config, { registryTableName: 'registry', tenantLeaseSeconds: 3900, tenantSecretsRoleArn: 'unused' });
  for (const [k, v] of Object.entries(environment)) process.env[k] = v;
  process.env.HOME_ACCOUNT_ID = sb.aws.accountId;
  process.env.POWERTOOLS_TRACE_ENABLED = 'false';
  resetEnvCache();
  resetPaletteCaBundles();
  resetPaletteClients();
  return paletteClient(environment.PALETTE_API_KEY_SECRET_ARN);
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail');
}

describe('a self-hosted Palette behind a private CA', () => {
  it('serves https only with the private certificate (the emulator)', () => {
    expect(sb.palette.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it.each([
    ['a Secrets Manager secret', BUNDLES.secret],
    ['an SSM parameter', BUNDLES.parameter],
  ])('trusted from %s: the Lambda client calls it', async (_, paletteCaBundle) => {
    const sts = await deployedClient({ paletteCaBundle }).clouds.getAwsAccountSts();
    expect(sts.accountId).toBe(sb.palette.stsAccountId);
    expect(sts.externalId).toEqual(expect.any(String));
  });

  it.each([
    ['no CA bundle (public roots only)', {}],
    ['a bundle with another CA', { paletteCaBundle: BUNDLES.otherCa }],
  ])('%s: refused at once with PaletteCertificateError, never retried', async (_, context) => {
    const started = Date.now();
    const e = await failure(deployedClient(context).clouds.getAwsAccountSts());
    expect(e).toBeInstanceOf(PaletteCertificateError);
    const err = e as PaletteCertificateError;
    expect(err.attempts).toBe(1);
    expect(err.code).toMatch(/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
    expect(err.message).toContain('paletteCaBundle');
    expect(Date.now() - started).toBeLessThan(3_000);
    // Permanent for the state machines: no Retry lists it (not retried for minutes), it goes to compensation.
    expect(ALL_RETRIED_ERRORS).not.toContain(err.name);
    expect(NAMED_PERMANENT_ERRORS).toContain(err.name);
  });

  it('a bundle the function may not read: ConfigurationError naming PALETTE_CA_BUNDLE and the secret', async () => {
    const e = await failure(deployedClient({ paletteCaBundle: `secretsmanager:${UNGRANTED_CA_SECRET}` }).clouds.getAwsAccountSts());
    expect(e).toBeInstanceOf(ConfigurationError);
    expect((e as Error).message).toMatch(/PALETTE_CA_BUNDLE.*paletteCaBundle.*palette-onboarding\/ungranted-ca.*AccessDenied/);
  });
});
