/**
 * Declared tenants (cdk/lib/constructs/declared-tenants.ts): no custom resource without `tenantsDirectory`; with a
 * folder, `Custom::PaletteDeclaredTenants` carries the requests and the two state machines, on a Provider framework
 * with isComplete, whose handlers may only start those state machines and describe their executions; a bad file fails
 * the synth naming the file and the field; cdk-nag is clean. The handlers' runs on the sandbox are in
 * test/e2e/declared-tenants.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOnboardingApp } from '../../cdk/lib/app';
import { canonicalJson } from '../../lambdas/domain/names';
import {
  asArray,
  functionsByName,
  renderResource,
  resourcesOfType,
  stateMachineOf,
  statementsOfRole,
  synthesize,
  type CfnResource,
  type CfnTemplate,
  type IamStatement,
  type Synthesized,
} from './helpers';

const ACME = { tenantId: 'acme', aws: { accountId: '111111111111', region: 'us-east-1', credentialMode: 'sts' } };
const GLOBEX = { tenantId: 'globex', aws: { accountId: '222222222222', region: 'eu-west-1', credentialMode: 'static' }, register: { backupLocation: { isDefault: true } } };

let dir: string;
let off: Synthesized;
let on: Synthesized;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'declared-tenants-cdk-'));
  writeFileSync(join(dir, 'acme.json'), JSON.stringify(ACME, null, 2));
  writeFileSync(join(dir, 'globex.json'), JSON.stringify(GLOBEX));
  off = synthesize({ skipBundling: true });
  on = synthesize({ skipBundling: true, context: { tenantsDirectory: dir } });
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const declared = (json: CfnTemplate) => resourcesOfType(json, 'Custom::PaletteDeclaredTenants');
function theResource(json: CfnTemplate): [string, CfnResource] {
  const found = declared(json);
  expect(found).toHaveLength(1);
  return found[0] ?? ['', { Type: '' }];
}
const roleOf = (json: CfnTemplate, fn: CfnResource): string => (fn.Properties?.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
/** Non-baseline actions of a role, with their resources rendered. */
function permissions(json: CfnTemplate, roleId: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const st of statementsOfRole(json, roleId) as IamStatement[]) {
    for (const a of asArray(st.Action)) {
      if (/^(logs:CreateLogStream|logs:PutLogEvents|xray:)/.test(a)) continue;
      out[a] = [...(out[a] ?? []), ...asArray(st.Resource as unknown).map(renderResource)].sort();
    }
  }
  return out;
}

describe('presence', () => {
  it('no tenantsDirectory: no custom resource, no declared-tenants function', () => {
    expect(declared(off.json)).toHaveLength(0);
    expect([...functionsByName(off.json).keys()].filter((n) => n.startsWith('declared-tenants'))).toEqual([]);
  });

  it('with a folder: one custom resource and its two functions', () => {
    theResource(on.json);
    expect([...functionsByName(on.json).keys()].filter((n) => n.startsWith('declared-tenants')).sort()).toEqual(['declared-tenants-start', 'declared-tenants-status']);
  });
});

describe('the custom resource', () => {
  it('carries each tenant as its request (canonical JSON, as given) and both state machines', () => {
    // Prepare
    const [, resource] = theResource(on.json);
    const [onboardingId] = stateMachineOf(on.json, 'onboarding');
    const [offboardingId] = stateMachineOf(on.json, 'offboarding');
    // Assess
    expect(resource.Properties).toEqual({
      ServiceToken: expect.anything(),
      OnboardingStateMachineArn: { Ref: onboardingId },
      OffboardingStateMachineArn: { Ref: offboardingId },
      Tenants: { acme: canonicalJson(ACME), globex: canonicalJson(GLOBEX) },
    });
    // Secrets only by reference: nothing but the requests as written.
    expect(JSON.stringify(resource.Properties)).not.toMatch(/secret-string|apiKey"\s*:/i);
  });

  it('runs on a Provider framework whose onEvent / isComplete are the declared-tenants functions, polling every 20 s for under an hour', () => {
    // Prepare
    const [, resource] = theResource(on.json);
    const token = (resource.Properties?.ServiceToken as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const framework = on.json.Resources[token];
    const start = functionsByName(on.json).get('declared-tenants-start');
    const status = functionsByName(on.json).get('declared-tenants-status');
    // Assess
    expect(framework?.Type).toBe('AWS::Lambda::Function');
    const env = (framework?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.USER_ON_EVENT_FUNCTION_ARN).toEqual({ 'Fn::GetAtt': [start?.[0], 'Arn'] });
    expect(env.USER_IS_COMPLETE_FUNCTION_ARN).toEqual({ 'Fn::GetAtt': [status?.[0], 'Arn'] });
    const waiter = resourcesOfType(on.json, 'AWS::StepFunctions::StateMachine').find(([id]) => id.startsWith('DeclaredTenantsDeployProviderwaiter'));
    const definition = JSON.stringify(waiter?.[1].Properties?.DefinitionString);
    expect(definition).toContain('\\"IntervalSeconds\\":20');
    // 55 minutes of 20 s polls.
    expect(definition).toContain('\\"MaxAttempts\\":165');
    // Their own small environment (no registry, no Palette endpoint).
    for (const fn of [start, status]) {
      expect((fn?.[1].Properties?.Environment as { Variables: Record<string, unknown> }).Variables).toEqual({ POWERTOOLS_SERVICE_NAME: 'palette-onboarding', POWERTOOLS_LOG_LEVEL: 'INFO' });
    }
  });

  it('onEvent may only start the onboarding and offboarding state machines; isComplete only describe their executions', () => {
    // Prepare
    const [onboardingId] = stateMachineOf(on.json, 'onboarding');
    const [offboardingId] = stateMachineOf(on.json, 'offboarding');
    const start = functionsByName(on.json).get('declared-tenants-start')?.[1];
    const status = functionsByName(on.json).get('declared-tenants-status')?.[1];
    // Assess
    expect(permissions(on.json, roleOf(on.json, start ?? { Type: '' }))).toEqual({ 'states:StartExecution': [`\${${offboardingId}}`, `\${${onboardingId}}`].sort() });
    const executions = (id: string) => `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:\${${id}.Name}:*`;
    expect(permissions(on.json, roleOf(on.json, status ?? { Type: '' }))).toEqual({
      'states:DescribeExecution': [executions(onboardingId), executions(offboardingId)].sort(),
    });
  });

  it('waits for everything an execution uses: the workflow functions, registry, secrets access and notifications', () => {
    const [, resource] = theResource(on.json);
    const dependsOn = asArray(resource.DependsOn as string | string[] | undefined);
    const [registryTable] = resourcesOfType(on.json, 'AWS::DynamoDB::Table')[0] ?? [''];
    expect(dependsOn).toContain(registryTable);
    expect(dependsOn.some((id) => id.startsWith('TenantSecretsAccessRole'))).toBe(true);
    expect(dependsOn.some((id) => id.startsWith('FunctionsValidateRequest'))).toBe(true);
    expect(dependsOn.some((id) => id.startsWith('NotificationsBus'))).toBe(true);
  });

  it('an empty folder is a custom resource with no tenants (a deploy offboards every tenant declared before)', () => {
    const empty = mkdtempSync(join(tmpdir(), 'declared-tenants-empty-'));
    try {
      const s = synthesize({ skipBundling: true, context: { tenantsDirectory: empty } });
      expect(theResource(s.json)[1].Properties?.Tenants).toEqual({});
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('synth-time validation and cdk-nag', () => {
  it('a bad request fails the synth naming the file and the field', () => {
    const bad = mkdtempSync(join(tmpdir(), 'declared-tenants-bad-'));
    try {
      writeFileSync(join(bad, 'acme.json'), JSON.stringify({ ...ACME, aws: { ...ACME.aws, credentialMode: 'sso' } }));
      expect(() => createOnboardingApp({ skipBundling: true, context: { tenantsDirectory: bad } })).toThrow(
        /"tenantsDirectory": .*acme\.json: aws\.credentialMode: /,
      );
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it('cdk-nag AwsSolutions reports no unacknowledged finding with declared tenants (and self-hosted: two Providers)', () => {
    const both = createOnboardingApp({ skipBundling: true, context: { tenantsDirectory: dir, selfHosted: true } });
    const report = new AwsSolutionsChecks(both.stack).validateScope(both.stack) as { violations: { ruleName: string; violatingResources: { constructPath: string }[] }[] };
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
    // Self-hosted: the platform setup runs first (tenants' STS roles need Palette's STS account).
    const json = synthesize({ skipBundling: true, context: { tenantsDirectory: dir, selfHosted: true } }).json;
    const [platformRun] = resourcesOfType(json, 'Custom::PalettePlatformSetup')[0] ?? [''];
    expect(asArray(theResource(json)[1].DependsOn as string[] | undefined)).toContain(platformRun);
  }, 120_000);
});
