/**
 * Configuring how the Palette-calling functions reach a self-hosted Palette: `paletteCaBundle` and `paletteVpc` in the
 * stack config (checked at synth, errors naming the key), PALETTE_CA_BUNDLE in the Lambda environment (the same
 * syntax, lambdas/domain/palette-ca.ts), and the bundle's content (PEM certificates only).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../cdk/lib/config';
import { lambdaEnvironment } from '../../cdk/lib/lambda-environment';
import { parsePaletteCaSource, splitPemBundle } from '../../lambdas/domain/palette-ca';
import { LambdaEnvSchema, parseEnvironment } from '../../lambdas/shared/env';
import { ConfigurationError } from '../../lambdas/shared/errors';
import { certificatesOf, paletteCaBundle } from '../../lambdas/shared/palette-ca';
import { createPrivateCa } from '../e2e/fixtures/tls';

const issuesOf = (raw: Record<string, unknown>): { key: string; message: string }[] => {
  try {
    parseConfig(raw);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  return [];
};

const VPC = { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0', 'subnet-11111111'], securityGroupIds: ['sg-0123456789abcdef0'] };

describe('paletteCaBundle', () => {
  it.each([
    ['arn:aws:secretsmanager:eu-west-1:111122223333:secret:palette-ca-AbCdEf', { kind: 'secret', secretId: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:palette-ca-AbCdEf' }],
    ['secretsmanager:palette-onboarding/palette-ca', { kind: 'secret', secretId: 'palette-onboarding/palette-ca' }],
    ['arn:aws-us-gov:ssm:us-gov-west-1:111122223333:parameter/palette/ca', { kind: 'parameter', name: 'arn:aws-us-gov:ssm:us-gov-west-1:111122223333:parameter/palette/ca' }],
    ['ssm:/palette-onboarding/palette-ca', { kind: 'parameter', name: '/palette-onboarding/palette-ca' }],
    ['ssm:palette-ca', { kind: 'parameter', name: 'palette-ca' }],
  ])('%s names %o', (value, source) => {
    expect(parsePaletteCaSource(value)).toEqual(source);
    expect(parseConfig({ paletteCaBundle: value }).paletteCaBundle).toBe(value);
  });

  it.each(['palette-ca', 'ssm:palette/ca', 'ssm:/a//b', 'secretsmanager:', 'arn:aws:s3:::bucket/ca.pem', 'https://example.com/ca.pem'])('%s is refused, naming the key', (value) => {
    const issues = issuesOf({ paletteCaBundle: value });
    expect(issues).toHaveLength(1);
    expect(issues[0]?.key).toBe('paletteCaBundle');
    expect(issues[0]?.message).toMatch(/secret|parameter|SSM/);
  });

  it('travels to every function as PALETTE_CA_BUNDLE, and the handlers accept exactly what the config does', () => {
    const config = parseConfig({ paletteCaBundle: 'ssm:/palette-onboarding/palette-ca' });
    const env = lambdaEnvironment(config, { registryTableName: 't', tenantLeaseSeconds: 3900, tenantSecretsRoleArn: 'arn:aws:iam::111122223333:role/x' });
    expect(env.PALETTE_CA_BUNDLE).toBe('ssm:/palette-onboarding/palette-ca');
    expect(lambdaEnvironment(parseConfig({}), { registryTableName: 't', tenantLeaseSeconds: 3900, tenantSecretsRoleArn: 'r' }).PALETTE_CA_BUNDLE).toBe('');
    const schema = LambdaEnvSchema.pick({ PALETTE_CA_BUNDLE: true });
    expect(parseEnvironment(schema, { PALETTE_CA_BUNDLE: '' }).PALETTE_CA_BUNDLE).toBeUndefined();
    expect(() => parseEnvironment(schema, { PALETTE_CA_BUNDLE: 'palette-ca' })).toThrow(/PALETTE_CA_BUNDLE/);
    expect(() => paletteCaBundle({ PALETTE_CA_BUNDLE: 'palette-ca' })).toThrow(ConfigurationError);
    expect(paletteCaBundle({})).toBeUndefined();
    expect(typeof paletteCaBundle({ PALETTE_CA_BUNDLE: 'ssm:/x' })).toBe('function');
  });
});

describe('paletteVpc', () => {
  it('an object from cdk.json, or JSON text from -c', () => {
    expect(parseConfig({ paletteVpc: VPC }).paletteVpc).toEqual(VPC);
    expect(parseConfig({ paletteVpc: JSON.stringify(VPC) }).paletteVpc).toEqual(VPC);
    expect(parseConfig({}).paletteVpc).toBeUndefined();
  });

  it.each([
    [{ ...VPC, vpcId: 'vpc-123' }, /VPC id/],
    [{ ...VPC, subnetIds: [] }, /at least one subnet/],
    [{ ...VPC, subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef0'] }, /repeat a subnet/],
    [{ ...VPC, subnetIds: ['sg-0123456789abcdef0'] }, /subnet id/],
    [{ ...VPC, securityGroupIds: [] }, /at least one security group/],
    [{ ...VPC, securityGroupIds: ['sg-1', 'sg-2'] }, /security group id/],
    [{ ...VPC, securityGroupIds: Array.from({ length: 6 }, (_, i) => `sg-0000000${i}`) }, /at most 5/],
    [{ vpcId: VPC.vpcId, subnetIds: VPC.subnetIds }, /securityGroupIds|expected array/],
    [{ ...VPC, subnets: [] }, /subnets|Unrecognized/i],
    ['vpc-0123456789abcdef0', /must be an object \{vpcId, subnetIds, securityGroupIds\}/],
  ])('%o is refused, naming the key', (value, message) => {
    const issues = issuesOf({ paletteVpc: value });
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((i) => i.key === 'paletteVpc')).toBe(true);
    expect(issues.map((i) => i.message).join('; ')).toMatch(message);
  });
});

describe('the bundle', () => {
  it('PEM certificates, each checked; text around them ignored', async () => {
    const a = await createPrivateCa('A');
    const b = await createPrivateCa('B');
    const source = { kind: 'secret' as const, secretId: 'palette-ca' };
    expect(certificatesOf(`# our CAs\nsubject=CN=A\n${a.certPem}\n\n${b.certPem}`, source)).toEqual([a.certPem.trim() + '\n', b.certPem.trim() + '\n']);
    expect(certificatesOf(a.certPem.replace(/\n/g, '\r\n'), source)).toHaveLength(1);
  });

  it('no certificate, a private key, or a block that does not parse: ConfigurationError naming the key and the source', async () => {
    const source = { kind: 'parameter' as const, name: '/palette/ca' };
    expect(() => certificatesOf('not a certificate', source)).toThrow(/PALETTE_CA_BUNDLE.*paletteCaBundle.*SSM parameter \/palette\/ca.*no PEM certificate/);
    const a = await createPrivateCa('A');
    expect(() => certificatesOf(`${a.certPem}\n-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n`, source)).toThrow(/private key/);
    expect(() => certificatesOf('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', source)).toThrow(/certificate 1 of 1 does not parse/);
    expect(splitPemBundle('')).toEqual({ problem: expect.stringContaining('no PEM certificate') });
  });
});
