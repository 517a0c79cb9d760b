/**
 * The security-relevant stack configuration (cdk/lib/config.ts) and its run-time counterpart (lambdas/shared/env.ts):
 * guard ids, publishers, the transport flag (an http Palette endpoint only with allowInsecureEndpoints, at synth and
 * at run time), and secure defaults when nothing is set.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../cdk/lib/config';
import { LambdaEnvSchema, loadEnv, parseEnvironment } from '../../lambdas/shared/env';
import { ConfigurationError } from '../../lambdas/shared/errors';
import { PlatformEnvSchema } from '../../lambdas/services/platform/env';

const issuesOf = (raw: Record<string, unknown>): { key: string; message: string }[] => {
  try {
    parseConfig(raw);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  return [];
};

describe('stack config', () => {
  it('secure defaults: no guard (home account only), no publishers, https only, no SourceIdentity', () => {
    expect(parseConfig({})).toMatchObject({
      paletteEndpoint: 'https://api.spectrocloud.com',
      allowedOrganizationalUnitIds: [],
      allowedAccountIds: [],
      allowedPublishers: [],
      allowInsecureEndpoints: false,
      setSourceIdentity: false,
    });
    expect(parseConfig({}).allowedOrganizationId).toBeUndefined();
    expect(parseConfig({}).allowedPublisherOrganizationId).toBeUndefined();
  });

  it('an http Palette endpoint is refused, naming the key, unless allowInsecureEndpoints', () => {
    const issues = issuesOf({ paletteEndpoint: 'http://palette.example.internal' });
    expect(issues).toHaveLength(1);
    expect(issues[0]?.key).toBe('paletteEndpoint');
    expect(issues[0]?.message).toMatch(/must be an https URL.*allowInsecureEndpoints/);
    expect(parseConfig({ paletteEndpoint: 'http://127.0.0.1:4100', allowInsecureEndpoints: 'true' }).paletteEndpoint).toBe('http://127.0.0.1:4100');
  });

  it('guard ids from cdk.json arrays or -c strings (comma lists, JSON arrays)', () => {
    const c = parseConfig({
      allowedOrganizationId: 'o-abcdefghij',
      allowedOrganizationalUnitIds: 'ou-ab12-11111111,ou-ab12-22222222',
      allowedAccountIds: '["111111111111","222222222222"]',
      setSourceIdentity: 'true',
    });
    expect(c).toMatchObject({
      allowedOrganizationId: 'o-abcdefghij',
      allowedOrganizationalUnitIds: ['ou-ab12-11111111', 'ou-ab12-22222222'],
      allowedAccountIds: ['111111111111', '222222222222'],
      setSourceIdentity: true,
    });
  });

  it.each([
    ['allowedOrganizationId', 'org-123'],
    ['allowedOrganizationId', 'o-short'],
    ['allowedOrganizationalUnitIds', 'ou-1'],
    ['allowedOrganizationalUnitIds', ['r-ab12']],
    ['allowedAccountIds', '12345678901'],
    ['allowedAccountIds', ['*']],
    ['allowedPublishers', 'arn:aws:iam::123456789012:user/alice'],
    ['allowedPublishers', '*'],
    ['allowedPublishers', 'arn:aws:iam::*:role/x'],
    ['allowedPublisherOrganizationId', 'o-*'],
    ['allowInsecureEndpoints', 'yes'],
    ['setSourceIdentity', 1],
  ])('%s = %j is refused with the key named', (key, value) => {
    expect(issuesOf({ [key]: value }).map((i) => i.key)).toEqual([key]);
  });

  it('publishers: account ids and role ARNs (with paths)', () => {
    expect(parseConfig({ allowedPublishers: '123456789012,arn:aws:iam::210987654321:role/team/ordering' }).allowedPublishers).toEqual([
      '123456789012',
      'arn:aws:iam::210987654321:role/team/ordering',
    ]);
    expect(parseConfig({ allowedPublishers: ['arn:aws-us-gov:iam::210987654321:role/publisher'] }).allowedPublishers).toHaveLength(1);
  });

  it('the bus name leaves room for the notifications bus (<name>-notifications, at most 256)', () => {
    expect(issuesOf({ eventBusName: 'b'.repeat(243) }).map((i) => i.key)).toEqual(['eventBusName']);
    expect(parseConfig({ eventBusName: 'b'.repeat(242) }).eventBusName).toHaveLength(242);
  });
});

describe('Lambda environment: transport', () => {
  const base = { PALETTE_ENDPOINT: 'https://api.spectrocloud.com', HOME_ACCOUNT_ID: '000000000000', TENANT_REGISTRY_TABLE: 'registry' };

  it('an http PALETTE_ENDPOINT is a ConfigurationError unless ALLOW_INSECURE_ENDPOINTS=true', () => {
    expect(() => loadEnv({ ...base, PALETTE_ENDPOINT: 'http://palette.example.internal' })).toThrow(ConfigurationError);
    expect(() => loadEnv({ ...base, PALETTE_ENDPOINT: 'http://palette.example.internal' })).toThrow(/PALETTE_ENDPOINT must be an https URL/);
    expect(loadEnv({ ...base, PALETTE_ENDPOINT: 'http://127.0.0.1:4100', ALLOW_INSECURE_ENDPOINTS: 'true' }).PALETTE_ENDPOINT).toBe('http://127.0.0.1:4100');
    expect(loadEnv(base).ALLOW_INSECURE_ENDPOINTS).toBe(false);
  });

  it('the platform functions (which send the system console password) get the same rule', () => {
    expect(() => parseEnvironment(PlatformEnvSchema, { ...base, PALETTE_ENDPOINT: 'http://palette.example.internal' })).toThrow(/must be an https URL/);
    expect(parseEnvironment(PlatformEnvSchema, { ...base, PALETTE_ENDPOINT: 'http://x', ALLOW_INSECURE_ENDPOINTS: 'true' })).toBeDefined();
  });

  it('ALLOW_INSECURE_ENDPOINTS and SET_SOURCE_IDENTITY take "true" / "false" only', () => {
    expect(LambdaEnvSchema.safeParse({ ...base, ALLOW_INSECURE_ENDPOINTS: 'yes' }).success).toBe(false);
    expect(LambdaEnvSchema.safeParse({ ...base, SET_SOURCE_IDENTITY: '1' }).success).toBe(false);
  });
});
