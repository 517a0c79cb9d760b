/**
 * Palette's cluster policies as data (lambdas/domain/cluster-policies.ts): the table's modes, the documents (verbatim
 * from the docs, each fits one managed policy, each valid for IAM), the names, the default mode and the request rule
 * for `none`, the ten-policy limit check, and the emulator's validate sample against every mode.
 */
import { describe, expect, it } from 'vitest';
import {
  actionsOnAnyResource,
  CLUSTER_POLICIES,
  CLUSTER_POLICY_KEYS,
  CLUSTER_POLICY_MODES,
  clusterPolicyArn,
  clusterPolicyArnPattern,
  clusterPolicyKeys,
  clusterPolicyName,
  managedPolicyLimitProblem,
  MAX_MANAGED_POLICIES,
} from '../../lambdas/domain/cluster-policies';
import { buildPlan } from '../../lambdas/domain/plan';
import { awsPlan } from '../aws-plan';
import { readinessHint } from '../../lambdas/services/onboarding/readiness';
import { actionMatches } from '../../lambdas/domain/policies';
import { RequestValidationError } from '../../lambdas/shared/errors';
import { POLICY_SIZE_LIMITS, policySize, validatePolicyDocument } from '../../local/aws/core/policy';
import { CLUSTER_PERMISSION_SAMPLE } from '../../local/palette/aws-checks';

const ACCOUNT = '111111111111';
const ctx = {
  homeAccountId: '000000000000',
  deploymentId: 'palette-onboarding',
  defaultApiKeySecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:palette-api-key-AbCdEf',
  defaultReadinessSeconds: 120,
  executionName: 'acme-0123456789ab',
};
const request = (aws: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  tenantId: 'acme',
  aws: { accountId: ACCOUNT, region: 'us-east-1', credentialMode: 'sts', ...aws },
  ...extra,
});
const issuesOf = (raw: unknown): { path: string; message: string }[] => {
  try {
    buildPlan(raw, ctx);
  } catch (e) {
    if (e instanceof RequestValidationError) return e.issues;
    throw e;
  }
  return [];
};

describe('the table', () => {
  it("each mode's policies, in the docs' order", () => {
    expect(Object.fromEntries(CLUSTER_POLICY_MODES.map((m) => [m, clusterPolicyKeys(m).map((k) => CLUSTER_POLICIES[k].paletteName)]))).toEqual({
      core: ['PaletteControllerPolicy', 'PaletteControlPlanePolicy', 'PaletteNodesPolicy', 'PaletteDeploymentPolicy'],
      'core+eks': ['PaletteControllerPolicy', 'PaletteControlPlanePolicy', 'PaletteNodesPolicy', 'PaletteDeploymentPolicy', 'PaletteControllersEKSPolicy'],
      'minimal-dynamic': ['PaletteMinimumDynamicPermissions'],
      'minimal-static': ['PaletteMinimumStaticPermissions'],
      none: [],
    });
    // Every policy belongs to some mode and has its own name and source.
    for (const k of CLUSTER_POLICY_KEYS) expect(CLUSTER_POLICIES[k].modes.length, k).toBeGreaterThan(0);
    expect(new Set(CLUSTER_POLICY_KEYS.map((k) => CLUSTER_POLICIES[k].paletteName)).size).toBe(CLUSTER_POLICY_KEYS.length);
    for (const k of CLUSTER_POLICY_KEYS) expect(CLUSTER_POLICIES[k].source.path, k).toMatch(/^_partials\/permissions\/_aws-[a-z-]+\.mdx$/);
  });

  it('each document fits ONE customer managed policy (6144 characters without whitespace) and is valid for IAM', () => {
    for (const k of CLUSTER_POLICY_KEYS) {
      const text = JSON.stringify(CLUSTER_POLICIES[k].document);
      expect(policySize(text), k).toBeLessThanOrEqual(POLICY_SIZE_LIMITS.identity);
      expect(() => validatePolicyDocument(text, 'identity'), k).not.toThrow();
    }
    expect(policySize(JSON.stringify(CLUSTER_POLICIES.controller.document))).toBe(3867);
  });

  it('the documents are the docs\' text: statements and actions as published (counts and samples)', () => {
    const shape = (k: (typeof CLUSTER_POLICY_KEYS)[number]) =>
      CLUSTER_POLICIES[k].document.Statement.map((s) => (Array.isArray(s.Action) ? s.Action.length : 1));
    expect(shape('controller')).toEqual([74, 6, 1, 1, 1, 1, 3, 6]);
    expect(shape('controlPlane')).toEqual([54]);
    expect(shape('nodes')).toEqual([9, 2, 6]);
    expect(shape('deployment')).toEqual([34]);
    expect(shape('controllersEks')).toEqual([1, 1, 1, 1, 6, 9, 1, 1, 18, 12, 1, 2]);
    expect(shape('minimalDynamic')).toEqual([124, 1]);
    expect(shape('minimalStatic')).toEqual([98, 1]);
    expect(CLUSTER_POLICIES.controller.document.Statement[1]).toEqual({
      Action: [
        'autoscaling:CreateAutoScalingGroup',
        'autoscaling:UpdateAutoScalingGroup',
        'autoscaling:CreateOrUpdateTags',
        'autoscaling:StartInstanceRefresh',
        'autoscaling:DeleteAutoScalingGroup',
        'autoscaling:DeleteTags',
      ],
      Resource: ['arn:*:autoscaling:*:*:autoScalingGroup:*:autoScalingGroupName/*'],
      Effect: 'Allow',
    });
    expect(CLUSTER_POLICIES.controllersEks.document.Statement.at(-1)).toEqual({
      Condition: { 'ForAnyValue:StringLike': { 'kms:ResourceAliases': 'alias/cluster-api-provider-aws-*' } },
      Action: ['kms:CreateGrant', 'kms:DescribeKey'],
      Resource: ['*'],
      Effect: 'Allow',
    });
  });

  it("the sandbox's Palette validate samples actions every mode but none allows on any resource", () => {
    const allows = (mode: (typeof CLUSTER_POLICY_MODES)[number], action: string) =>
      clusterPolicyKeys(mode).some((k) => actionsOnAnyResource(CLUSTER_POLICIES[k].document).some((a) => actionMatches(a, action)));
    for (const mode of CLUSTER_POLICY_MODES) {
      const missing = CLUSTER_PERMISSION_SAMPLE.filter((a) => !allows(mode, a));
      expect(missing, mode).toEqual(mode === 'none' ? [...CLUSTER_PERMISSION_SAMPLE] : []);
    }
    expect(new Set(CLUSTER_PERMISSION_SAMPLE.map((a) => a.split(':')[0]))).toEqual(new Set(['ec2', 'elasticloadbalancing', 'autoscaling']));
  });
});

describe('names', () => {
  it('palette-onboarding-<tenantId>-<PaletteName> under the project path, within IAM\'s 128 characters for the longest tenant id', () => {
    expect(clusterPolicyName('acme', 'controller')).toBe('palette-onboarding-acme-PaletteControllerPolicy');
    expect(clusterPolicyArn('aws', ACCOUNT, 'acme', 'controllersEks')).toBe(`arn:aws:iam::${ACCOUNT}:policy/palette-onboarding/palette-onboarding-acme-PaletteControllersEKSPolicy`);
    const longest = 'a'.repeat(31) + '9';
    for (const k of CLUSTER_POLICY_KEYS) expect(clusterPolicyName(longest, k).length, k).toBeLessThanOrEqual(128);
  });

  it("the tenant's pattern matches each of its cluster policies and no other tenant's policy", () => {
    const pattern = clusterPolicyArnPattern('aws', ACCOUNT, 'acme');
    const matches = (arn: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(arn);
    for (const k of CLUSTER_POLICY_KEYS) expect(matches(clusterPolicyArn('aws', ACCOUNT, 'acme', k)), k).toBe(true);
    for (const other of ['acme-x', 'acme-palette', 'acmepalette']) {
      for (const k of CLUSTER_POLICY_KEYS) expect(matches(clusterPolicyArn('aws', ACCOUNT, other, k)), `${other} ${k}`).toBe(false);
    }
    expect(matches(`arn:aws:iam::${ACCOUNT}:policy/palette-onboarding/palette-onboarding-acme-backup`)).toBe(false);
    expect(matches(`arn:aws:iam::222222222222:policy/palette-onboarding/palette-onboarding-acme-PaletteNodesPolicy`)).toBe(false);
  });
});

describe('aws.clusterPolicies in the plan', () => {
  const modeOf = (raw: unknown) => awsPlan(buildPlan(raw, ctx).plan).clusterPolicies;

  it('defaults to core when the cloud account is registered (sts default, or static with register.cloudAccount.enabled), else none', () => {
    expect(modeOf(request())).toEqual({ mode: 'core', policies: ['controller', 'controlPlane', 'nodes', 'deployment'] });
    expect(modeOf(request({ credentialMode: 'static' }))).toEqual({ mode: 'none', policies: [] });
    expect(modeOf(request({ credentialMode: 'static' }, { register: { cloudAccount: { enabled: true } } })).mode).toBe('core');
    expect(modeOf(request({}, { register: { cloudAccount: { enabled: false } } })).mode).toBe('none');
  });

  it('takes the mode asked for', () => {
    expect(modeOf(request({ clusterPolicies: 'core+eks' })).policies).toEqual(['controller', 'controlPlane', 'nodes', 'deployment', 'controllersEks']);
    expect(modeOf(request({ clusterPolicies: 'minimal-static' })).policies).toEqual(['minimalStatic']);
    expect(modeOf(request({ credentialMode: 'static', clusterPolicies: 'minimal-dynamic' })).policies).toEqual(['minimalDynamic']);
  });

  it('refuses an unknown mode, and none with a registered cloud account unless the principal is adopted', () => {
    expect(issuesOf(request({ clusterPolicies: 'all' }))).toEqual([{ path: 'aws.clusterPolicies', message: expect.stringContaining('core') }]);
    expect(issuesOf(request({ clusterPolicies: 'none' }))).toEqual([
      { path: 'aws.clusterPolicies', message: expect.stringMatching(/^is "none" but the AWS cloud account is registered: .*aws\.principal\.adopt/) },
    ]);
    expect(issuesOf(request({ clusterPolicies: 'none', principal: { adopt: true } }))).toEqual([]);
    expect(issuesOf(request({ clusterPolicies: 'none' }, { register: { cloudAccount: { enabled: false } } }))).toEqual([]);
    expect(issuesOf(request({ credentialMode: 'static', clusterPolicies: 'none' }))).toEqual([]);
  });
});

describe('the ten-policy limit', () => {
  const ours = (n: number) => Array.from({ length: n }, (_, i) => `arn:aws:iam::${ACCOUNT}:policy/palette-onboarding/ours-${i}`);
  const theirs = (n: number) => Array.from({ length: n }, (_, i) => `arn:aws:iam::${ACCOUNT}:policy/theirs-${i}`);
  const problem = (attached: string[], wanted: string[]) => managedPolicyLimitProblem({ principal: "IAM role 'r' in account 1", attached, wanted });

  it('a new principal takes the backup policy and core+eks (6)', () => {
    expect(problem([], ours(6))).toBeUndefined();
    expect(MAX_MANAGED_POLICIES).toBe(10);
  });

  it('counts what the principal holds plus what it would get: exactly ten fits, eleven does not', () => {
    expect(problem(theirs(4), ours(6))).toBeUndefined();
    expect(problem(theirs(5), ours(6))).toBe(
      "IAM role 'r' in account 1 would hold 11 managed policies, more than IAM's limit of 10: it has 5 attached (5 of them not palette-onboarding's) " +
        'and palette-onboarding would attach 6 more (6 wanted: the backup policy and the aws.clusterPolicies policies); nothing was attached. ' +
        'Detach policies the principal does not need, choose fewer cluster policies (aws.clusterPolicies: minimal-dynamic, minimal-static or none), ' +
        'or combine policies into one customer managed policy',
    );
  });

  it('a policy already attached is not counted twice (a re-run)', () => {
    expect(problem([...theirs(5), ...ours(5)], ours(5))).toBeUndefined();
    expect(problem([...theirs(5), ...ours(4)], ours(6))).toMatch(/would hold 11 managed policies.*it has 9 attached \(5 of them not palette-onboarding's\) and palette-onboarding would attach 2 more/);
  });
});

describe("the readiness gate's hint", () => {
  it("points at the cluster policies when Palette's validate names a missing EC2 / ELB / autoscaling action", () => {
    const reason =
      'Palette POST /v1/clouds/aws/account/validate failed: 400 AwsAccountValidationFailed: ec2:RunInstances denied for ' +
      'arn:aws:iam::111111111111:role/palette-onboarding/palette-onboarding-acme: it may not perform ec2:RunInstances';
    expect(readinessHint(reason)).toMatch(/cluster policies attached to the principal \(aws\.clusterPolicies/);
    expect(readinessHint('sts:AssumeRole denied on arn:aws:iam::1:role/r')).toMatch(/trust policy/);
  });
});
