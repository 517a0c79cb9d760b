/**
 * Palette's cluster policies (issue 13 item 1, README "Cluster policies") end to end on the sandbox, through the
 * synthesized state machines: a default STS tenant's role holds the backup policy and the four core policies, each
 * the docs' document, marked and recorded as the tenant's; the sandbox's Palette validate proves the role may call a
 * sample of the EC2 / ELB / autoscaling actions (and names the missing one once a policy is detached); `core+eks`
 * adds the EKS policy; an adopted principal near the ten-policy limit is refused before anything is attached
 * (compensation deletes what the run created); the offboarding removes them. A mode change removing the earlier
 * mode's policies runs in the least-privilege corpus (test/e2e/fixtures/permission-corpus.ts, its checks).
 */
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DetachRolePolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_POLICIES, clusterPolicyArn, clusterPolicyKeys, type ClusterPolicyKey } from '../../lambdas/domain/cluster-policies';
import { policyDocumentsEqual } from '../../lambdas/domain/policies';
import { loadWorkflow, runOffboarding, runOnboarding, type LocalRunResult, type LocalWorkflow } from '../../local/runner';
import { paletteFetch } from '../../local/palette/http';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { SandboxWorld } from './tenant-world';

let sb: RunningLocalSandbox;
let workflow: LocalWorkflow;
let world: SandboxWorld;

const account = (n: number) => `7${String(process.pid % 1000).padStart(3, '0')}3${String(n).padStart(7, '0')}`;
const A = { tenantId: 'cp-sts', accountId: account(1) };
const B = { tenantId: 'cp-full', accountId: account(2) };
const principal = (tenantId: string) => `palette-onboarding-${tenantId}`;
const roleArn = (t: { tenantId: string; accountId: string }) => `arn:aws:iam::${t.accountId}:role/palette-onboarding/${principal(t.tenantId)}`;
const backupArn = (t: { tenantId: string; accountId: string }) => `arn:aws:iam::${t.accountId}:policy/palette-onboarding/${principal(t.tenantId)}-backup`;
const clusterArns = (t: { tenantId: string; accountId: string }, keys: readonly ClusterPolicyKey[]) =>
  keys.map((k) => clusterPolicyArn('aws', t.accountId, t.tenantId, k));
const request = (t: { tenantId: string; accountId: string }, aws: Record<string, unknown> = {}) => ({
  tenantId: t.tenantId,
  aws: { accountId: t.accountId, region: 'us-east-1', credentialMode: 'sts', ...aws },
});
const run = (req: unknown, suffix: string) =>
  runOnboarding(req, { sandbox: sb, workflow, executionName: `${(req as { tenantId: string }).tenantId}-${suffix}`, retryIntervalOverridesMs: { CheckReadiness: 100 } });
const ok = (r: LocalRunResult) => {
  expect(r.errorMessage, JSON.stringify(r.error ?? r.cause)).toBeUndefined();
  expect(r.status).toBe('SUCCEEDED');
};
const attached = async (iam: IAMClient, roleName: string) =>
  ((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }))).AttachedPolicies ?? []).map((p) => p.PolicyArn ?? '').sort();
const validate = (arn: string) =>
  paletteFetch(sb.palette.endpoint, 'POST', '/v1/clouds/aws/account/validate', { headers: { ApiKey: sb.palette.apiKey }, body: { credentialType: 'sts', sts: { arn } } });
const CORE = clusterPolicyKeys('core');

let iamA: IAMClient;
let first: LocalRunResult;

beforeAll(async () => {
  workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 100 } }, palette: { port: 0 }, env: {} });
  world = new SandboxWorld(sb);
  sb.aws.createAccount(A.accountId);
  iamA = (await world.operatorIn(A.accountId)).iam;
  first = await run(request(A), '1');
}, 120_000);
afterAll(async () => {
  await sb?.stop();
});

describe('a default STS tenant (cloud account registered: core)', () => {
  it("its role holds the backup policy and the four core policies, each the docs' document, marked and recorded", async () => {
    ok(first);
    expect(await attached(iamA, principal(A.tenantId))).toEqual([backupArn(A), ...clusterArns(A, CORE)].sort());
    for (const key of CORE) {
      const [arn = ''] = clusterArns(A, [key]);
      const policy = (await iamA.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy;
      expect(policy?.Path).toBe('/palette-onboarding/');
      expect(Object.fromEntries((policy?.Tags ?? []).map((t) => [t.Key, t.Value]))).toMatchObject({
        'palette-onboarding/tenant': A.tenantId,
        'palette-onboarding/created-by': first.executionName,
      });
      const version = await iamA.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: policy?.DefaultVersionId }));
      expect(policyDocumentsEqual(version.PolicyVersion?.Document ?? '', CLUSTER_POLICIES[key].document), key).toBe(true);
    }
    const record = (await world.tenantRecord(A.tenantId)) as { resources: Record<string, { part: string; id: string }> };
    expect(Object.values(record.resources).filter((r) => r.part === 'clusterPolicy').map((r) => r.id).sort()).toEqual(clusterArns(A, CORE).sort());
    expect(first.output).toMatchObject({
      clusterPolicies: { mode: 'core', removed: [], policies: CORE.map((k) => expect.objectContaining({ policyArn: clusterArns(A, [k])[0], created: true })) },
      cloudAccount: { created: true },
    });
  });

  it("the sandbox's Palette validate proves the role may call the EC2 / ELB / autoscaling sample, and names what is missing", async () => {
    expect((await validate(roleArn(A))).status).toBe(204);
    const [controller = ''] = clusterArns(A, ['controller']);
    await iamA.send(new DetachRolePolicyCommand({ RoleName: principal(A.tenantId), PolicyArn: controller }));
    try {
      const denied = await validate(roleArn(A));
      expect(denied.status).toBe(400);
      expect(denied.json).toMatchObject({
        code: 'AwsAccountValidationFailed',
        message: expect.stringMatching(new RegExp(`^ec2:RunInstances denied for ${roleArn(A).replace(/[/]/g, '\\/')}: it may not perform ec2:RunInstances\\b`)),
        details: { action: 'ec2:RunInstances', missingActions: ['ec2:RunInstances'] },
      });
    } finally {
      await iamA.send(new AttachRolePolicyCommand({ RoleName: principal(A.tenantId), PolicyArn: controller }));
    }
  });

  it('core+eks adds the EKS policy, the others unchanged', async () => {
    const eks = await run(request(A, { clusterPolicies: 'core+eks' }), '2');
    ok(eks);
    const withEks = clusterArns(A, clusterPolicyKeys('core+eks'));
    expect(await attached(iamA, principal(A.tenantId))).toEqual([backupArn(A), ...withEks].sort());
    expect((eks.output as { clusterPolicies: { policies: { created: boolean; versionCreated: boolean }[] } }).clusterPolicies.policies.map((p) => [p.created, p.versionCreated])).toEqual([
      [false, false],
      [false, false],
      [false, false],
      [false, false],
      [true, false],
    ]);
  });
});

describe('an adopted principal near the ten-policy limit', () => {
  it('is refused before anything is attached (the counts named); compensation deletes the policies the run created', async () => {
    const { iam } = await world.operatorIn(B.accountId);
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Sid: 'Operators', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B.accountId}:root` }, Action: 'sts:AssumeRole' }],
    });
    await iam.send(new CreateRoleCommand({ RoleName: principal(B.tenantId), Path: '/palette-onboarding/', AssumeRolePolicyDocument: trust }));
    const theirs = ['AmazonS3ReadOnlyAccess', 'IAMReadOnlyAccess', 'AmazonS3FullAccess', 'PowerUserAccess', 'IAMFullAccess', 'service-role/AWSLambdaBasicExecutionRole'].map(
      (n) => `arn:aws:iam::aws:policy/${n}`,
    );
    for (const PolicyArn of theirs) await iam.send(new AttachRolePolicyCommand({ RoleName: principal(B.tenantId), PolicyArn }));
    const before = (await iam.send(new GetRoleCommand({ RoleName: principal(B.tenantId) }))).Role;

    const refused = await run(request(B, { principal: { adopt: true } }), '1');

    expect(refused.status).toBe('FAILED');
    expect(refused.error).toBe('ManagedPolicyLimitError');
    expect(refused.errorMessage).toContain(
      `IAM role '${principal(B.tenantId)}' in account ${B.accountId} would hold 11 managed policies, more than IAM's limit of 10: it has 6 attached ` +
        "(6 of them not palette-onboarding's) and palette-onboarding would attach 5 more",
    );
    const failure = refused.events.find((e) => e.detailType === 'Tenant Onboarding Failed')?.detail as { step: string; compensation: Record<string, { deleted: string[] }> };
    expect(failure.step).toBe('EnsureStsRole');
    expect([...failure.compensation.clusterPolicies!.deleted].sort()).toEqual(clusterArns(B, CORE).sort());
    // Nothing attached, the adopted role unchanged (trust policy, tags); the policies the run created are gone.
    expect(await attached(iam, principal(B.tenantId))).toEqual([...theirs].sort());
    expect((await iam.send(new GetRoleCommand({ RoleName: principal(B.tenantId) }))).Role).toEqual(before);
    for (const arn of [backupArn(B), ...clusterArns(B, CORE)]) await expect(iam.send(new GetPolicyCommand({ PolicyArn: arn }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
  });
});

describe('offboarding', () => {
  it("removes the tenant's cluster policies with its role, and the registry forgets them", async () => {
    const off = await runOffboarding({ tenantId: A.tenantId }, { sandbox: sb, workflow });
    ok(off);
    const withEks = clusterArns(A, clusterPolicyKeys('core+eks'));
    expect((off.output as { removed: string[] }).removed).toEqual(expect.arrayContaining([...withEks, backupArn(A)]));
    for (const arn of withEks) await expect(iamA.send(new GetPolicyCommand({ PolicyArn: arn }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
    const record = (await world.tenantRecord(A.tenantId)) as { status: string; resources: Record<string, { part: string }> };
    expect(record.status).toBe('OFFBOARDED');
    expect(Object.values(record.resources).filter((r) => r.part === 'clusterPolicy')).toEqual([]);
  });
});
