/**
 * What time cannot fix fails at once (issue 11): an adopted role whose trust policy, read back, denies Palette fails
 * EnsureStsRole with MisconfigurationError naming the statement, long before the 15-minute readiness budget, and
 * the run compensates what it created; the role keeps its own statements.
 */
import { GetRoleCommand, CreateRoleCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkflow, runOnboarding, type LocalWorkflow } from '../../local/runner';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';
import { eventProblems } from './lifecycle-events';
import { SandboxWorld } from './tenant-world';

let sb: RunningLocalSandbox;
let workflow: LocalWorkflow;
let world: SandboxWorld;

beforeAll(async () => {
  workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 100 } }, palette: { port: 0 }, env: {} });
  world = new SandboxWorld(sb);
}, 300_000);
afterAll(async () => {
  await sb?.stop();
});

describe('an adopted role whose trust policy denies Palette', () => {
  it('fails EnsureStsRole at once with MisconfigurationError; nothing the run created is left', async () => {
    // Prepare: an unmarked role of the tenant's derived name, with a Deny for everyone.
    const accountId = '646464646464';
    const { iam } = await world.operatorIn(accountId);
    const trust = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'OpsOnly', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: 'sts:AssumeRole' },
        { Sid: 'NoOneElse', Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' },
      ],
    };
    await iam.send(new CreateRoleCommand({ RoleName: 'palette-onboarding-mua', Path: '/palette-onboarding/', AssumeRolePolicyDocument: JSON.stringify(trust) }));
    const before = world.inventory(accountId);

    // Act: the default readiness budget (15 minutes) applies.
    const started = Date.now();
    const result = await runOnboarding(
      { tenantId: 'mua', aws: { accountId, region: 'us-east-1', credentialMode: 'sts', principal: { adopt: true } } },
      { sandbox: sb, workflow },
    );

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('MisconfigurationError');
    expect(result.errorMessage).toMatch(/IAM role 'palette-onboarding-mua' in account 646464646464 cannot be assumed by Palette: its statement 'NoOneElse' denies sts:AssumeRole/);
    const entered = result.history.filter((e) => e.type.endsWith('StateEntered')).map((e) => e.state);
    expect(entered).not.toContain('CheckReadiness');
    expect(Date.now() - started).toBeLessThan(60_000);
    // Compensation removed the bucket and policy the run created; the adopted role is still there with its statements.
    expect(world.inventory(accountId)).toEqual(before);
    const role = await iam.send(new GetRoleCommand({ RoleName: 'palette-onboarding-mua' }));
    expect(decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? '')).toContain('NoOneElse');
    // Events: Started, then Failed naming the step (the resources were never all ready), each valid against its schemas.
    expect(result.events.map((e) => e.detailType)).toEqual(['Tenant Onboarding Started', 'Tenant Onboarding Failed']);
    expect(result.events[1]?.detail).toMatchObject({ tenantId: 'mua', step: 'EnsureStsRole', error: 'MisconfigurationError' });
    expect(eventProblems(result.events)).toEqual([]);
  }, 120_000);
});
