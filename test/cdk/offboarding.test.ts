/**
 * The Offboarding state machine's paths (cdk/lib/constructs/offboarding-state-machine.ts), run in-process with every
 * task stubbed: the order of the removal steps, what FinishOffboarding is told, a lost `Tenant Offboarded` event that
 * does not fail the offboarding, a failed removal step that stops the steps after it and names itself in the failure
 * event, and a tenant with nothing recorded that skips the in-use check and the removal steps.
 * (The same paths against real services: test/e2e/offboarding.test.ts.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runWorkflow, type StubHandlers } from './local-run';
import { stateMachineDefinition, synthesize, validateAsl, type AslDefinition } from './helpers';

let definition: AslDefinition;
beforeAll(() => {
  ({ definition } = stateMachineDefinition(synthesize({ skipBundling: true }).json, 'offboarding'));
}, 120_000);

const REMOVAL_STATES = ['RemoveRegistrations', 'RemoveClusterPolicies', 'RemovePrincipal', 'RemoveBackupPolicy', 'RemoveBucket'];
const PLAN = { tenantId: 'acme', accountId: '111111111111', region: 'us-east-1', partition: 'aws', credentialMode: 'sts' };

const permanent = (name: string, message: string) => Object.assign(new Error(message), { name });

/** Every task succeeds, unless overridden. */
function stubs(overrides: StubHandlers = {}, validated: Record<string, unknown> = { plan: PLAN }): StubHandlers {
  const removed = (id: string) => () => ({ deleted: [id], retained: [] });
  return {
    ValidateOffboarding: () => ({ tenantId: 'acme', accountId: '111111111111', force: false, removal: { mode: 'offboarding' }, ...validated }),
    CheckTenantInUse: () => ({ inUse: false, clusters: [] }),
    BeginOffboarding: () => ({ began: true }),
    RemoveRegistrations: removed('palette:cloudaccount/uid-1'),
    RemoveClusterPolicies: removed('arn:aws:iam::111111111111:policy/palette-onboarding/palette-onboarding-acme-PaletteControllerPolicy'),
    RemovePrincipal: removed('arn:aws:iam::111111111111:role/palette-onboarding-acme'),
    RemoveBackupPolicy: removed('arn:aws:iam::111111111111:policy/palette-onboarding-acme-backup'),
    RemoveBucket: () => ({ deleted: [], retained: [{ id: 'arn:aws:s3:::acme-bucket', reason: 'retained: deleteBucket not requested' }] }),
    FinishOffboarding: () => ({ status: 'OFFBOARDED', removed: ['a', 'b'], retained: [{ id: 'arn:aws:s3:::acme-bucket', reason: 'retained' }] }),
    FinishOffboardingOnFailure: () => ({ status: 'FAILED', removed: ['a'], retained: [] }),
    NotifyOffboarded: () => ({ Entries: [{ EventId: '1' }], FailedEntryCount: 0 }),
    NotifyOffboardingFailed: () => ({ Entries: [{ EventId: '2' }], FailedEntryCount: 0 }),
    ...overrides,
  };
}

const taskStates = (run: { calls: { state: string }[] }) => [...new Set(run.calls.map((c) => c.state))];

describe('the Offboarding definition', () => {
  it('is valid ASL', () => {
    const asl = validateAsl(definition);
    expect(asl.errorsText(), asl.errorsText()).toBe('');
    expect(asl.isValid).toBe(true);
  });

  it('removes in order (Palette first, the bucket last), finishes, notifies and returns the summary', async () => {
    const run = await runWorkflow(definition, { tenantId: 'acme' }, stubs(), { executionName: 'offboard-acme-1' });

    expect(run.error).toBeUndefined();
    expect(taskStates(run)).toEqual(['ValidateOffboarding', 'CheckTenantInUse', 'BeginOffboarding', ...REMOVAL_STATES, 'FinishOffboarding', 'NotifyOffboarded']);
    expect(run.inputOf('FinishOffboarding')).toMatchObject({
      outcome: 'SUCCEEDED',
      removed: {
        registrations: { deleted: ['palette:cloudaccount/uid-1'] },
        clusterPolicies: { deleted: ['arn:aws:iam::111111111111:policy/palette-onboarding/palette-onboarding-acme-PaletteControllerPolicy'] },
        principal: { deleted: ['arn:aws:iam::111111111111:role/palette-onboarding-acme'] },
        policy: { deleted: ['arn:aws:iam::111111111111:policy/palette-onboarding-acme-backup'] },
        bucket: { deleted: [], retained: [{ id: 'arn:aws:s3:::acme-bucket' }] },
      },
    });
    // Every removal step gets the plan and what it may remove, not the raw request.
    for (const state of REMOVAL_STATES) expect(run.inputOf(state), state).toEqual({ execution: expect.any(Object), job: { plan: PLAN }, removal: { mode: 'offboarding' } });
    expect(run.output).toEqual({
      tenantId: 'acme',
      executionName: 'offboard-acme-1',
      accountId: '111111111111',
      status: 'OFFBOARDED',
      removed: ['a', 'b'],
      retained: [{ id: 'arn:aws:s3:::acme-bucket', reason: 'retained' }],
    });
  });

  it('a Tenant Offboarded event that cannot be sent does not fail the offboarding (the tenant is OFFBOARDED already)', async () => {
    const lost = stubs({
      NotifyOffboarded: () => {
        throw permanent('EventBridge.FailedEntry', '{"FailedEntryCount":1,"Entries":[{"ErrorCode":"InternalFailure"}]}');
      },
    });

    const run = await runWorkflow(definition, { tenantId: 'acme' }, lost, { executionName: 'offboard-acme-2' });

    expect(run.error).toBeUndefined();
    expect(run.calls.filter((c) => c.state === 'NotifyOffboarded').length).toBeGreaterThan(1); // retried first
    expect(run.output).toMatchObject({ tenantId: 'acme', status: 'OFFBOARDED' });
    expect(run.calls.map((c) => c.state)).not.toContain('NotifyOffboardingFailed');
  });

  it('a removal step that fails permanently stops the steps after it, records FAILED and names itself in the failure event', async () => {
    const failing = stubs({
      RemovePrincipal: () => {
        throw permanent('DeleteConflictError', 'role palette-onboarding-acme: cannot delete, it has an instance profile');
      },
    });

    const run = await runWorkflow(definition, { tenantId: 'acme' }, failing, { executionName: 'offboard-acme-3' });

    expect(run.failure?.Error).toBe('DeleteConflictError');
    expect(taskStates(run)).toEqual(['ValidateOffboarding', 'CheckTenantInUse', 'BeginOffboarding', 'RemoveRegistrations', 'RemoveClusterPolicies', 'RemovePrincipal', 'FinishOffboardingOnFailure', 'NotifyOffboardingFailed']);
    expect(run.inputOf('FinishOffboardingOnFailure')).toMatchObject({
      outcome: 'FAILED',
      removed: { registrations: { deleted: ['palette:cloudaccount/uid-1'] } },
      error: { Error: 'DeleteConflictError', Cause: expect.stringContaining('instance profile') },
    });
    expect(run.inputOf('NotifyOffboardingFailed')).toMatchObject({
      Entries: [{ DetailType: 'Tenant Offboarding Failed', Detail: { tenantId: 'acme', executionName: 'offboard-acme-3', step: 'RemovePrincipal', error: 'DeleteConflictError' } }],
    });
  });

  it('a tenant with nothing recorded skips the in-use check and the removal steps', async () => {
    const run = await runWorkflow(definition, { tenantId: 'acme' }, stubs({}, {}), { executionName: 'offboard-acme-4' });

    expect(run.error).toBeUndefined();
    expect(taskStates(run)).toEqual(['ValidateOffboarding', 'BeginOffboarding', 'FinishOffboarding', 'NotifyOffboarded']);
    expect(run.inputOf('FinishOffboarding')).toMatchObject({ outcome: 'SUCCEEDED', removed: {} });
  });
});
