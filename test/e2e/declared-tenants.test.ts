/**
 * Declared tenants end to end on the local sandbox with the synthesized app loaded (local/app/): the custom resource
 * `Custom::PaletteDeclaredTenants` of the local synthesis (LOCAL_DEPLOYMENT_CONTEXT declares examples/tenants/), its
 * properties resolved for the sandbox, driven as the CDK Provider framework drives it: the REAL bundled onEvent
 * (declared-tenants-start) and isComplete (declared-tenants-status) handlers, each under its synthesized role, call
 * the sandbox's Step Functions service (SigV4, IAM) through the real SDK, which runs the onboarding and offboarding
 * state machines on the local runner. (Loading the app does not run custom resources: the test plays CloudFormation.)
 *
 * Create onboards every declared tenant; a retried onEvent starts nothing new; an Update without a tenant offboards it;
 * an Update adding a tenant the account guard refuses fails the deployment naming the tenant and the reason; the
 * rollback of that Update (the old properties again) completes.
 */
import { randomUUID } from 'node:crypto';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadApp, type AppInvocation, type LoadedApp } from '../../local/app/index';
import type { ExecutionView } from '../../local/aws/services/states';
import { loadWorkflow, OFFBOARDING_STATE_MACHINE, ONBOARDING_STATE_MACHINE } from '../../local/runner/runner';
import { resolveValue } from '../../local/runner/template';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { canonicalJson } from '../../lambdas/domain/names';
import { adminSfn, executionsOf, settled, stateMachineArn } from './fixtures/sandbox-app';
import { SandboxWorld } from './tenant-world';

const STACK = 'PaletteOnboardingStack';
/** A standalone sandbox account (no organization): the account guard refuses it. */
const STANDALONE = '555555555555';
const ROGUE = { tenantId: 'rogue', aws: { accountId: STANDALONE, region: 'us-east-1', credentialMode: 'sts' } };

let sb: RunningLocalSandbox;
let app: LoadedApp;
let sfn: SFNClient;
let world: SandboxWorld;
/** The onboarding and offboarding state machines, as the app was loaded. */
let machines: { onboarding: string; offboarding: string };
/** The custom resource's properties as CloudFormation would send them to the sandbox deployment. */
let deployed: { ServiceToken: string; OnboardingStateMachineArn: string; OffboardingStateMachineArn: string; Tenants: Record<string, string> };

beforeAll(async () => {
  const workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 0 } }, palette: { port: 0 }, env: {} });
  sb.aws.createAccount(STANDALONE, { standalone: true });
  world = new SandboxWorld(sb);
  app = await loadApp(sb, { workflow });
  expect(app.report.failed).toEqual([]);
  machines = { onboarding: stateMachineArn(app, ONBOARDING_STATE_MACHINE), offboarding: stateMachineArn(app, OFFBOARDING_STATE_MACHINE) };
  sfn = adminSfn(sb);
  const template = workflow.assembly.stack(STACK).template;
  const found = Object.entries(template.Resources).filter(([, r]) => r.Type === 'Custom::PaletteDeclaredTenants');
  expect(found).toHaveLength(1);
  const target = { stackName: STACK, partition: 'aws', region: sb.aws.region, accountId: sb.aws.accountId };
  deployed = resolveValue(found[0]?.[1].Properties, template, target) as typeof deployed;
}, 300_000);
afterAll(async () => {
  if (app) await settled(sb, app);
  sfn?.destroy();
  await app?.stop();
  await sb?.stop();
});

/** Every execution of both state machines (onboardings first, each oldest first). */
const executions = (): Promise<ExecutionView[]> => executionsOf(sb, sfn, [machines.onboarding, machines.offboarding]);
/** The executions started since `before` (a snapshot of executions()). */
const startedSince = async (before: readonly ExecutionView[]): Promise<ExecutionView[]> => {
  const known = new Set(before.map((e) => e.executionArn));
  return (await executions()).filter((e) => !known.has(e.executionArn));
};

/** Invokes the app's function of `lambdas/handlers/<handler>.ts` as the Provider framework does (synchronously). */
async function invokeHandler(handler: 'declared-tenants-start' | 'declared-tenants-status', event: unknown): Promise<AppInvocation> {
  const source = `lambdas/handlers/${handler}.ts`;
  const found = [...app.runtime.functions.values()].filter((f) => f.source === source);
  expect(found, source).toHaveLength(1);
  const fn = found[0];
  if (!fn) throw new Error(`no function of ${source} in the loaded app`);
  return app.runtime.invoke(fn, event, `cloudformation:${STACK}`);
}

type Properties = typeof deployed;
const STACK_ID = 'arn:aws:cloudformation:us-east-1:000000000000:stack/PaletteOnboardingStack/00000000-0000-0000-0000-000000000000';

/** A CloudFormation request as the Provider framework hands it to onEvent. */
function cfnEvent(requestType: 'Create' | 'Update' | 'Delete', properties: Properties, old?: Properties, requestId = randomUUID()) {
  return {
    RequestType: requestType,
    ServiceToken: properties.ServiceToken,
    ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/presigned',
    StackId: STACK_ID,
    RequestId: requestId,
    LogicalResourceId: 'DeclaredTenants',
    ResourceType: 'Custom::PaletteDeclaredTenants',
    ResourceProperties: properties,
    ...(requestType !== 'Create' ? { PhysicalResourceId: 'palette-declared-tenants' } : {}),
    ...(old ? { OldResourceProperties: old } : {}),
  };
}

const ok = (out: AppInvocation) => {
  expect(out.status, `${out.error ?? ''}: ${out.errorMessage ?? ''}`).toBe('SUCCEEDED');
  return out.result as Record<string, unknown>;
};

/** onEvent, then isComplete until complete (the framework's waiter), with onEvent's result merged in as it does. */
async function deploy(event: ReturnType<typeof cfnEvent>): Promise<{ onEvent: Record<string, unknown>; isComplete: AppInvocation; polls: number }> {
  const onEvent = ok(await invokeHandler('declared-tenants-start', event));
  for (let polls = 1; polls <= 30; polls++) {
    await settled(sb, app);
    const isComplete = await invokeHandler('declared-tenants-status', { ...event, ...onEvent });
    if (isComplete.status === 'FAILED' || (isComplete.result as { IsComplete?: boolean }).IsComplete) return { onEvent, isComplete, polls };
  }
  throw new Error('isComplete never completed');
}

const status = async (tenantId: string) => ((await world.tenantRecord(tenantId)) as { status?: string } | undefined)?.status;
const withTenants = (tenants: Record<string, string>): Properties => ({ ...deployed, Tenants: tenants });

describe('declared tenants on deploy', () => {
  let created: Properties;
  let withoutHooli: Properties;
  let withRogue: Properties;

  it('the local synthesis declares the example tenants, and the properties name the loaded state machines', () => {
    expect(Object.keys(deployed.Tenants).sort()).toEqual(['hooli', 'initech']);
    expect(deployed.OnboardingStateMachineArn).toBe(machines.onboarding);
    expect(deployed.OffboardingStateMachineArn).toBe(machines.offboarding);
    created = deployed;
  });

  it('Create onboards every declared tenant; a retried onEvent starts nothing new; isComplete completes once all succeeded', async () => {
    // Prepare
    const event = cfnEvent('Create', created);
    // Act
    const { onEvent, isComplete } = await deploy(event);
    const retried = ok(await invokeHandler('declared-tenants-start', event));
    await settled(sb, app);
    // Assess
    expect(onEvent).toEqual({ PhysicalResourceId: 'palette-declared-tenants', Data: { Onboarding: '2', Offboarding: '0' } });
    expect(retried).toEqual(onEvent);
    const runs = (await executions()).map((e) => [e.name, e.status]).sort();
    expect(runs).toEqual([
      [expect.stringMatching(/^hooli-[0-9a-f]{12}-deploy-[0-9a-f]{10}$/), 'SUCCEEDED'],
      [expect.stringMatching(/^initech-[0-9a-f]{12}-deploy-[0-9a-f]{10}$/), 'SUCCEEDED'],
    ]);
    // One CloudFormation request: one suffix.
    expect(new Set(runs.map(([name]) => String(name).slice(-17))).size).toBe(1);
    expect(ok(isComplete)).toEqual({ IsComplete: true, Data: { Onboarded: '2', Offboarded: '0' } });
    expect(await status('hooli')).toBe('ACTIVE');
    expect(await status('initech')).toBe('ACTIVE');
    expect(isComplete.logs.join('\n')).toContain('2 of 2 executions done');
  }, 90_000);

  it('Update without a tenant offboards it (defaults: bucket retained) and leaves the unchanged one alone', async () => {
    // Prepare
    const { hooli: _removed, ...rest } = created.Tenants;
    withoutHooli = withTenants(rest);
    const before = await executions();
    // Act
    const { onEvent, isComplete } = await deploy(cfnEvent('Update', withoutHooli, created));
    // Assess
    expect(onEvent).toMatchObject({ Data: { Onboarding: '0', Offboarding: '1' } });
    const started = await startedSince(before);
    expect(started.map((e) => [e.name, e.input, e.status])).toEqual([[expect.stringMatching(/^offboard-hooli-deploy-[0-9a-f]{10}$/), '{"tenantId":"hooli"}', 'SUCCEEDED']]);
    expect(ok(isComplete)).toEqual({ IsComplete: true, Data: { Onboarded: '0', Offboarded: '1' } });
    expect(await status('hooli')).toBe('OFFBOARDED');
    expect(await status('initech')).toBe('ACTIVE');
  }, 60_000);

  it("Update adding a tenant the account guard refuses fails the deployment with the tenant's reason", async () => {
    // Prepare
    withRogue = withTenants({ ...withoutHooli.Tenants, rogue: canonicalJson(ROGUE) });
    // Act
    const { isComplete } = await deploy(cfnEvent('Update', withRogue, withoutHooli));
    // Assess
    expect(isComplete.status).toBe('FAILED');
    expect(isComplete.errorMessage).toMatch(
      /^Declared tenants: 1 of 1 executions did not succeed\. Tenant rogue: onboarding rogue-[0-9a-f]{12}-deploy-[0-9a-f]{10} FAILED: RequestValidationError: .*aws\.accountId: account 555555555555 may not be onboarded by this deployment/,
    );
    expect(isComplete.errorMessage?.length).toBeLessThanOrEqual(2000);
    expect(await status('rogue')).toBeUndefined();
  }, 60_000);

  it('the rollback of that Update (the old properties again) offboards the added tenant: nothing to offboard, complete', async () => {
    const before = await executions();
    // Act
    const { onEvent, isComplete } = await deploy(cfnEvent('Update', withoutHooli, withRogue));
    // Assess
    expect(onEvent).toMatchObject({ Data: { Onboarding: '0', Offboarding: '1' } });
    expect(await startedSince(before)).toEqual([
      expect.objectContaining({ name: expect.stringMatching(/^offboard-rogue-deploy-/), status: 'FAILED', error: 'TenantNotFoundError' }),
    ]);
    expect(ok(isComplete)).toEqual({ IsComplete: true, Data: { Onboarded: '0', Offboarded: '1' } });
    expect(await status('initech')).toBe('ACTIVE');
  }, 60_000);

  it('Delete starts nothing: declared tenants outlive the stack', async () => {
    const before = await executions();
    const { onEvent, isComplete } = await deploy(cfnEvent('Delete', withoutHooli));
    expect(onEvent).toEqual({ PhysicalResourceId: 'palette-declared-tenants', Data: { Onboarding: '0', Offboarding: '0' } });
    expect(ok(isComplete)).toMatchObject({ IsComplete: true });
    expect(await startedSince(before)).toEqual([]);
    expect(await status('initech')).toBe('ACTIVE');
  });
});
