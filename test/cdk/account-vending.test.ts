/**
 * Account vending in the stack (cdk/lib/constructs/account-vending.ts, config accountVendingRequestTemplate /
 * accountVendingTenantIdFrom): no rule without a template; with one, a rule on the DEFAULT bus taking the three
 * AWS events of the stack's own account to the request queue (retries, DLQ), the template in the starter's
 * environment, DescribeAccount always and ListTagsForResource only in tag mode; config errors name the key, the file
 * and the field. Synthesized without bundling.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_VENDING_TEMPLATE_MAX_BYTES, ConfigError, loadAccountVendingTemplate, parseConfig } from '../../cdk/lib/config';
import { REQUEST_PATH } from '../../cdk/lib/constructs/onboarding-trigger';
import { StarterEnvSchema } from '../../lambdas/services/starter/env';
import { asArray, renderResource, resourcesOfType, statementsOfRole, synthesize, type CfnResource, type CfnTemplate, type Synthesized } from './helpers';

const TEMPLATE_FILE = 'examples/account-vending/request-template.json';

let without: Synthesized;
let byName: Synthesized;
let byTag: Synthesized;
beforeAll(() => {
  without = synthesize({ skipBundling: true });
  byName = synthesize({ skipBundling: true, context: { accountVendingRequestTemplate: TEMPLATE_FILE } });
  byTag = synthesize({ skipBundling: true, context: { accountVendingRequestTemplate: TEMPLATE_FILE, accountVendingTenantIdFrom: 'tag:palette-tenant' } });
}, 180_000);

const rules = (json: CfnTemplate) => resourcesOfType(json, 'AWS::Events::Rule').filter(([id]) => id.startsWith('AccountVending'));
function starter(json: CfnTemplate): CfnResource {
  const found = resourcesOfType(json, 'AWS::Lambda::Function').filter(([, r]) => r.Metadata?.['palette-onboarding:handler'] === 'lambdas/handlers/start-onboarding.ts');
  if (found.length !== 1) throw new Error(`expected one starter, found ${found.length}`);
  return (found[0] as [string, CfnResource])[1];
}
const starterEnv = (json: CfnTemplate) => (starter(json).Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
const starterRole = (json: CfnTemplate) => (starter(json).Properties?.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
/** The starter role's organizations:* actions and their resources. */
function organizationsGrants(json: CfnTemplate): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const st of statementsOfRole(json, starterRole(json))) {
    for (const a of asArray(st.Action).filter((x) => x.startsWith('organizations:'))) out[a] = asArray(st.Resource as unknown).map(renderResource);
  }
  return out;
}
const queueId = (json: CfnTemplate, prefix: string) => {
  const found = resourcesOfType(json, 'AWS::SQS::Queue').filter(([id]) => id.startsWith(prefix));
  return (found[0] as [string, CfnResource])[0];
};

describe('without a request template', () => {
  it('there is no account vending rule, no template in the starter and no Organizations grant', () => {
    expect(rules(without.json)).toEqual([]);
    expect(Object.keys(starterEnv(without.json)).filter((k) => k.startsWith('ACCOUNT_VENDING'))).toEqual([]);
    expect(organizationsGrants(without.json)).toEqual({});
    expect(without.stack.accountVending).toBeUndefined();
  });
});

describe('with a request template', () => {
  it("one rule on the default bus: the three events of the stack's own account, to the request queue with retries and the DLQ", () => {
    // Prepare
    const found = rules(byName.json);
    // Assess
    expect(found).toHaveLength(1);
    const [, rule] = found[0] as [string, CfnResource];
    expect(rule.Properties?.EventBusName).toBeUndefined(); // the default bus
    expect(rule.Properties?.EventPattern).toEqual({
      source: ['aws.controltower', 'aws.organizations'],
      'detail-type': ['AWS Service Event via CloudTrail'],
      account: [{ Ref: 'AWS::AccountId' }],
      detail: { eventName: ['CreateManagedAccount', 'UpdateManagedAccount', 'CreateAccountResult'] },
    });
    const targets = rule.Properties?.Targets as Record<string, unknown>[];
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({
      Arn: { 'Fn::GetAtt': [queueId(byName.json, 'TriggerRequestQueue'), 'Arn'] },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId(byName.json, 'TriggerDeadLetterQueue'), 'Arn'] } },
      RetryPolicy: { MaximumRetryAttempts: REQUEST_PATH.ruleRetryAttempts, MaximumEventAgeInSeconds: REQUEST_PATH.ruleMaxEventAge.toSeconds() },
    });
    expect(targets[0]?.Input ?? targets[0]?.InputPath ?? targets[0]?.InputTransformer).toBeUndefined(); // the whole event
  });

  it("the starter's environment holds the template as compact JSON and the tenant id source; its schema accepts them", () => {
    const env = starterEnv(byName.json);
    expect(JSON.parse(String(env.ACCOUNT_VENDING_REQUEST_TEMPLATE))).toEqual(loadAccountVendingTemplate({ accountVendingRequestTemplate: TEMPLATE_FILE })?.template);
    expect(env.ACCOUNT_VENDING_TENANT_ID_FROM).toBe('accountName');
    expect(starterEnv(byTag.json).ACCOUNT_VENDING_TENANT_ID_FROM).toBe('tag:palette-tenant');
    const parsed = StarterEnvSchema.safeParse({
      ...env,
      ONBOARDING_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:On',
      OFFBOARDING_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:Off',
      // A Ref in the template; the queue's URL once deployed.
      DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/requests-dlq',
    });
    expect(parsed.success).toBe(true);
  });

  it('the starter may DescribeAccount (masked names) on the accounts of its organization; ListTagsForResource only in tag mode', () => {
    const accounts = ['arn:${AWS::Partition}:organizations::${AWS::AccountId}:account/o-*/*'];
    expect(organizationsGrants(byName.json)).toEqual({ 'organizations:DescribeAccount': accounts });
    expect(organizationsGrants(byTag.json)).toEqual({ 'organizations:DescribeAccount': accounts, 'organizations:ListTagsForResource': accounts });
  });

  it('cdk-nag AwsSolutions stays clean in tag mode', () => {
    const report = new AwsSolutionsChecks(byTag.stack).validateScope(byTag.stack) as { violations: { ruleName: string; violatingResources: unknown[] }[] };
    expect(report.violations).toEqual([]);
  });
});

describe('config errors name the key, the file and the field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vending-'));
  const file = (name: string, content: string) => {
    writeFileSync(join(dir, name), content);
    return join(dir, name);
  };
  const messageOf = (configured: unknown): string => {
    try {
      loadAccountVendingTemplate(parseConfig({ accountVendingRequestTemplate: configured }));
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error('no ConfigError');
  };

  it('a missing file', () => {
    expect(messageOf('examples/account-vending/nope.json')).toMatch(/"accountVendingRequestTemplate": cannot read the request template file examples\/account-vending\/nope\.json/);
  });

  it('a file that is not JSON', () => {
    expect(messageOf(file('bad.json', '{ nope'))).toContain('is not JSON');
  });

  it('a template that sets tenantId, and a bad field, named with the file', () => {
    const path = file('tenant.json', JSON.stringify({ tenantId: 'acme', aws: { region: 'us-east-1', credentialMode: 'sts' } }));
    expect(messageOf(path)).toContain(`"accountVendingRequestTemplate": request template ${path}, field tenantId: must not be set`);
    const bad = file('region.json', JSON.stringify({ aws: { region: 'mars', credentialMode: 'sts' } }));
    expect(messageOf(bad)).toContain(`request template ${bad}, field aws.region: `);
  });

  it('an inline object is checked the same way, and a synthesis with a bad template fails', () => {
    expect(messageOf({ aws: { region: 'us-east-1', credentialMode: 'nope' } })).toContain('request template (inline), field aws.credentialMode: ');
    expect(() => synthesize({ skipBundling: true, context: { accountVendingRequestTemplate: { tenantId: 'x' } } })).toThrow(/accountVendingRequestTemplate/);
  });

  it('inline JSON text (-c) works', () => {
    expect(loadAccountVendingTemplate(parseConfig({ accountVendingRequestTemplate: '{"aws":{"region":"us-east-1","credentialMode":"sts"}}' }))).toMatchObject({
      source: '(inline JSON)',
      template: { aws: { region: 'us-east-1', credentialMode: 'sts' } },
    });
  });

  it('a template too big for the Lambda environment (valid, but more than 3 KiB of JSON)', () => {
    // Prepare: valid for the request schema (a long SSH public key line), too big for the starter's environment.
    const big = { aws: { region: 'us-east-1', credentialMode: 'sts' }, sshKey: { publicKey: `ssh-rsa ${'A'.repeat(ACCOUNT_VENDING_TEMPLATE_MAX_BYTES)}` } };
    const path = file('big.json', JSON.stringify(big));
    // Act + Assess
    expect(messageOf(path)).toContain(
      `"accountVendingRequestTemplate": the request template ${path} is ${JSON.stringify(big).length} bytes as compact JSON; at most 3072 fit into the starter Lambda's environment (4 KB in all)`,
    );
    const fits = { ...big, sshKey: { publicKey: `ssh-rsa ${'A'.repeat(2048)}` } };
    expect(loadAccountVendingTemplate(parseConfig({ accountVendingRequestTemplate: fits }))?.json).toBe(JSON.stringify(fits));
  });

  it('accountVendingTenantIdFrom must be accountName or tag:<key>', () => {
    expect(() => parseConfig({ accountVendingTenantIdFrom: 'name' })).toThrow(/"accountVendingTenantIdFrom": must be 'accountName' or 'tag:<TagKey>'/);
    expect(parseConfig({ accountVendingTenantIdFrom: 'tag:team' }).accountVendingTenantIdFrom).toBe('tag:team');
  });
});
