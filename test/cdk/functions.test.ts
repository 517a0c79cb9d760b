/**
 * The 29 workflow Lambdas (onboarding, offboarding, re-validation), from a FULL synth (esbuild bundling, as `npx cdk synth`): runtime, arm64, ESM
 * bundle, tracing, log groups, metadata the local runner relies on, and the one shared environment.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES, HANDLER_NAMES, REGISTRATION_HANDLER, registrationFunctionName } from '../../cdk/lib/constructs/onboarding-functions';
import { REGISTRATION_KEYS } from '../../lambdas/domain/registrations';
import { absoluteFromRoot } from '../../cdk/lib/paths';
import { LambdaEnvSchema } from '../../lambdas/shared/env';
import { functionsByName, PLACEHOLDER, resourcesOfType, synthesize, type Synthesized } from './helpers';

let s: Synthesized;
beforeAll(() => {
  s = synthesize();
}, 180_000);

const fn = (handler: string) => {
  const entry = functionsByName(s.json).get(handler);
  if (!entry) throw new Error(`no function for ${handler}`);
  return entry;
};
const props = (handler: string): Record<string, unknown> => fn(handler)[1].Properties ?? {};

describe('workflow functions', () => {
  it('has exactly one function per contract handler and per registration kind, and nothing else', () => {
    // + the event starter (start-onboarding, not a workflow function: test/cdk/trigger.test.ts)
    expect(resourcesOfType(s.json, 'AWS::Lambda::Function')).toHaveLength(31 + 1);
    expect([...functionsByName(s.json).keys()].filter((n) => n !== 'start-onboarding').sort()).toEqual([...FUNCTION_NAMES].sort());
    expect(REGISTRATION_KEYS.map(registrationFunctionName)).toEqual([
      'ensure-cloud-account',
      'ensure-backup-location',
      'ensure-azure-account',
      'ensure-ssh-key',
      'ensure-api-key',
      'ensure-gcp-backup-location',
      'ensure-minio-backup-location',
      'ensure-azure-backup-location',
    ]);
    expect(HANDLER_NAMES).toEqual(
      expect.arrayContaining([
        'validate-request',
        'acquire-tenant',
        'release-tenant',
        'read-palette-identity',
        'ensure-bucket',
        'ensure-backup-policy',
        'ensure-cluster-policies',
        'ensure-sts-role',
        'ensure-static-user',
        'check-readiness',
        'verify-registrations',
        'undo-registrations',
        'undo-principal',
        'undo-backup-policy',
        'undo-cluster-policies',
        'undo-bucket',
        'validate-offboarding',
        'check-tenant-in-use',
        'begin-offboarding',
        'finish-offboarding',
        'list-revalidation-targets',
        'revalidate-tenant',
        'record-drift',
      ]),
    );
  });

  it.each(FUNCTION_NAMES)('%s: nodejs22.x on arm64, index.handler, tracing active, sane limits', (handler) => {
    const p = props(handler);
    expect(p.Runtime).toBe('nodejs22.x');
    expect(p.Architectures).toEqual(['arm64']);
    expect(p.Handler).toBe('index.handler');
    expect(p.TracingConfig).toEqual({ Mode: 'Active' });
    expect(p.MemorySize).toBe(256);
    expect(p.Timeout).toBe(60);
  });

  it.each(FUNCTION_NAMES)('%s: own log group with the configured retention, own role', (handler) => {
    const p = props(handler);
    const logGroupRef = (p.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined)?.LogGroup?.Ref;
    expect(logGroupRef).toBeDefined();
    const logGroup = s.json.Resources[String(logGroupRef)];
    expect(logGroup?.Type).toBe('AWS::Logs::LogGroup');
    expect(logGroup?.Properties?.RetentionInDays).toBe(30);

    const roleId = (p.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const role = s.json.Resources[roleId];
    expect(role?.Type).toBe('AWS::IAM::Role');
    expect(role?.Properties?.ManagedPolicyArns).toBeUndefined();
    expect(role?.Properties?.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
    });
  });

  it('no two functions share a role or a log group', () => {
    const roles = FUNCTION_NAMES.map((h) => JSON.stringify(props(h).Role));
    const groups = FUNCTION_NAMES.map((h) => JSON.stringify(props(h).LoggingConfig));
    expect(new Set(roles).size).toBe(FUNCTION_NAMES.length);
    expect(new Set(groups).size).toBe(FUNCTION_NAMES.length);
  });

  it('without paletteVpc (the default) no function runs in a VPC (test/cdk/palette-connection.test.ts: with it)', () => {
    for (const [id, r] of resourcesOfType(s.json, 'AWS::Lambda::Function')) expect(r.Properties?.VpcConfig, id).toBeUndefined();
    expect(JSON.stringify(s.json)).not.toMatch(/"ec2:/);
  });

  it.each(FUNCTION_NAMES)('%s: metadata names the handler source and the bundled asset', (name) => {
    const [, resource] = fn(name);
    const handler = (HANDLER_NAMES as readonly string[]).includes(name) ? name : REGISTRATION_HANDLER;
    const source = `lambdas/handlers/${handler}.ts`;
    expect(resource.Metadata?.['palette-onboarding:handler']).toBe(source);
    expect(existsSync(absoluteFromRoot(source))).toBe(true);
    expect(resource.Metadata?.['aws:asset:property']).toBe('Code');
    const assetPath = resource.Metadata?.['aws:asset:path'];
    expect(typeof assetPath).toBe('string');
    expect(existsSync(join(s.outdir, String(assetPath), 'index.mjs'))).toBe(true);
    expect(existsSync(join(s.outdir, String(assetPath), 'index.mjs.map'))).toBe(true);
  });

  it('bundles are minified ESM with the createRequire banner and the AWS SDK inside', () => {
    for (const handler of FUNCTION_NAMES) {
      const assetPath = String(fn(handler)[1].Metadata?.['aws:asset:path']);
      const code = readFileSync(join(s.outdir, assetPath, 'index.mjs'), 'utf8');
      expect(code.startsWith('import { createRequire as __paletteCreateRequire }')).toBe(true);
      expect(code).toMatch(/export\s*\{[^}]*\bas handler\b|export\s*\{[^}]*\bhandler\b/);
      // No import left to resolve at run time except Node built-ins (the SDK is bundled).
      const bareImports = [...code.matchAll(/\bfrom\s*["']([^"']+)["']/g)]
        .map((m) => m[1] ?? '')
        .filter((spec) => !spec.startsWith('node:') && !/^(module|fs|path|os|crypto|http|https|stream|url|util|buffer|events|child_process|net|tls|zlib|process|worker_threads|async_hooks|dns|perf_hooks|querystring|string_decoder|timers)$/.test(spec));
      expect(bareImports, handler).toEqual([]);
      expect(code).toMatch(/sourceMappingURL=index\.mjs\.map/);
      // minified: no indentation-heavy multi-line output
      expect(code.split('\n').length).toBeLessThan(200);
    }
  });

  it('every function gets the same environment, with exactly the keys of LambdaEnvSchema', () => {
    const schemaKeys = Object.keys(LambdaEnvSchema.shape).sort();
    const envs = FUNCTION_NAMES.map((h) => (props(h).Environment as { Variables: Record<string, unknown> }).Variables);
    for (const env of envs) {
      expect(Object.keys(env).sort()).toEqual(schemaKeys);
      expect(env).toEqual(envs[0]);
    }
  });

  it('the environment holds the configured values (defaults from cdk.json) and satisfies the schema', () => {
    const env = (props('validate-request').Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env).toEqual({
      PALETTE_ENDPOINT: 'https://api.spectrocloud.com',
      PALETTE_API_KEY_SECRET_ARN: 'palette-onboarding/palette-api-key',
      HOME_ACCOUNT_ID: { Ref: 'AWS::AccountId' },
      READINESS_BUDGET_SECONDS: '900',
      POWERTOOLS_SERVICE_NAME: 'palette-onboarding',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      // Every function runs with active tracing: its SDK clients are captured (lambdas/shared/tracer.ts).
      POWERTOOLS_TRACE_ENABLED: 'false', // config traceSdkCalls, default false
      ALLOWED_EXECUTION_ROLE_NAMES: 'OrganizationAccountAccessRole',
      PALETTE_SELF_HOSTED: 'false',
      // No private CA: the Palette client trusts the public roots only.
      PALETTE_CA_BUNDLE: '',
      DEPLOYMENT_ID: 'palette-onboarding',
      TENANT_REGISTRY_TABLE: { Ref: expect.stringMatching(/^TenantRegistryTable[0-9A-F]{8}$/) },
      // Palette's rate limit kept by every container together (lambdas/services/palette/rate-governor.ts).
      PALETTE_RATE_TABLE: { Ref: expect.stringMatching(/^PaletteRateTable[0-9A-F]{8}$/) },
      // The lease outlives the state machine's timeout (1 h) by 15 minutes.
      TENANT_LEASE_SECONDS: '4500',
      // Every access to a tenant's secrets goes through the stack's TenantSecretsAccess role.
      TENANT_SECRETS_ROLE_ARN: { 'Fn::GetAtt': [expect.stringMatching(/^TenantSecretsAccessRole[0-9A-F]{8}$/), 'Arn'] },
      // Nothing configured: the account guard allows the home account only; https only; no SourceIdentity.
      ALLOWED_ORGANIZATION_ID: '',
      ALLOWED_OU_IDS: '',
      ALLOWED_ACCOUNT_IDS: '',
      ALLOW_INSECURE_ENDPOINTS: 'false',
      SET_SOURCE_IDENTITY: 'false',
      // Offboarding deletes a tenant's secrets with a 7-day recovery window.
      SECRET_RECOVERY_DAYS: '7',
    });
    // What the handler sees at run time (the account id resolved) must parse with the shared schema.
    const deployed = {
      ...env,
      HOME_ACCOUNT_ID: PLACEHOLDER.account,
      TENANT_REGISTRY_TABLE: 'PaletteOnboardingStack-TenantRegistryTable',
      PALETTE_RATE_TABLE: 'PaletteOnboardingStack-PaletteRateTable',
      TENANT_SECRETS_ROLE_ARN: `arn:aws:iam::${PLACEHOLDER.account}:role/PaletteOnboardingStack-TenantSecretsAccessRole-ABC123`,
    };
    expect(LambdaEnvSchema.safeParse(deployed).success).toBe(true);
    // The role named is the stack's own TenantSecretsAccess role.
    const secretsRoles = resourcesOfType(s.json, 'AWS::IAM::Role').filter(([id]) => id.startsWith('TenantSecretsAccess'));
    expect(secretsRoles).toHaveLength(1);
    expect(env.TENANT_SECRETS_ROLE_ARN).toEqual({ 'Fn::GetAtt': [secretsRoles[0]?.[0], 'Arn'] });
  });
});
