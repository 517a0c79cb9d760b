/**
 * The three thin handlers of the Palette registrations: ensure-registration (one source for every kind, its kind
 * named in the input), verify-registrations (the whole state) and undo-registrations (compensation).
 */
import { describe, expect, it, vi } from 'vitest';
import { CompensationError, StateInputError, VerificationError } from '../../../lambdas/shared/errors';
import { handler as ensureHandler } from '../../../lambdas/handlers/ensure-registration';
import { handler as undoHandler } from '../../../lambdas/handlers/undo-registrations';
import { handler as verifyHandler } from '../../../lambdas/handlers/verify-registrations';
import type { AwsPlan } from '../../../lambdas/domain/workflow-state';
import type { RegistrationKey } from '../../../lambdas/domain/registrations';
import { registry } from './fake-registry';
import {
  api,
  ensure,
  expectNoSecrets,
  failure,
  h,
  mark,
  newPublicKey,
  newTenant,
  planFor,
  stsPrincipal,
  useSandbox,
  writesSince,
} from './harness';

vi.mock('../../../lambdas/services/registry/tenant-registry', () => import('./fake-registry'));

useSandbox();

/** The input the state machine passes (Parameters) to the ensure step of `registration`. */
const ensureInput = (plan: AwsPlan, registration: string) => {
  registry.acquire(plan.tenantId, plan.executionName);
  return {
    registration,
    execution: { name: plan.executionName },
    job: { plan, request: {} },
    palette: h().identity,
    principal: stsPrincipal(plan),
  };
};
/** The whole state document (what verify and undo receive). */
const stateOf = (plan: AwsPlan, registrations: Record<string, unknown> = {}) => {
  registry.acquire(plan.tenantId, plan.executionName);
  return { execution: { name: plan.executionName }, job: { plan, request: {} }, registrations, other: { kept: true } };
};

describe('ensure-registration', () => {
  it('ensures the kind its input names and returns its result', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { sshKey: { publicKey: newPublicKey() } });
    // Act
    const ssh = await ensureHandler(ensureInput(plan, 'sshKey'));
    const account = await ensureHandler(ensureInput(plan, 'cloudAccount'));
    // Assess
    expect(ssh).toMatchObject({ name: `${t.id}-ssh`, created: true, updated: false, fingerprint: expect.stringMatching(/^SHA256:/) });
    expect(account).toMatchObject({ name: `${t.id}-aws`, created: true });
    expectNoSecrets([ssh, account]);
  });

  it('the AWS kinds without palette and principal: StateInputError, nothing called', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id);
    const { palette: _palette, principal: _principal, ...input } = ensureInput(plan, 'backupLocation');
    const m = mark();
    // Act
    const error = await failure(ensureHandler(input));
    // Assess
    expect(error).toBeInstanceOf(StateInputError);
    expect(writesSince(m)).toEqual([]);
  });

  it('a plan without the kind, an unknown kind, or a state that breaks the contract: StateInputError', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id);
    // Act
    const errors = [
      await failure(ensureHandler(ensureInput(plan, 'apiKey'))),
      await failure(ensureHandler(ensureInput(plan, 'ftpLocation'))),
      await failure(ensureHandler({ registration: 'sshKey', job: {} })),
    ];
    // Assess
    for (const e of errors) expect(e).toBeInstanceOf(StateInputError);
    expect(errors[0]?.message).toBe('ensure-registration: the plan has no registrations.apiKey (job.plan.registrations.apiKey)');
    expect(errors[1]?.message).toContain('registration:');
  });
});

/** VerifyRegistrations' input: the Registrations Map's results, one per requested kind in `registrationKinds` order. */
const verifyStateOf = (plan: AwsPlan, results: Array<[RegistrationKey, unknown]>) => {
  const state = stateOf(plan, {});
  return { ...state, job: { ...state.job, registrationKinds: results.map(([k]) => k) }, registrations: results.map(([, r]) => r) };
};

describe('verify-registrations', () => {
  it('every registration of the plan is listed under its name with its uid', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { sshKey: { publicKey: newPublicKey() }, apiKey: {} });
    const results = {
      cloudAccount: await ensure('cloudAccount', plan),
      backupLocation: await ensure('backupLocation', plan),
      sshKey: await ensure('sshKey', plan),
      apiKey: await ensure('apiKey', plan),
    };
    // Act
    const verified = await verifyHandler(verifyStateOf(plan, Object.entries(results) as Array<[RegistrationKey, unknown]>));
    // Assess: verified, and the results keyed by kind (the others skipped).
    expect(verified.verification).toEqual({
      ok: true,
      uids: { cloudAccount: results.cloudAccount.uid, backupLocation: results.backupLocation.uid, sshKey: results.sshKey.uid, apiKey: results.apiKey.uid },
    });
    expect(verified.registrations).toMatchObject({ ...results, azureAccount: { skipped: true }, gcpBackupLocation: { skipped: true } });
  });

  it('a registration Palette does not list, or lists with another uid, is a VerificationError naming each', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { register: { cloudAccount: { enabled: false } }, sshKey: { publicKey: newPublicKey() } });
    const location = await ensure('backupLocation', plan);
    const ssh = await ensure('sshKey', plan);
    expect((await api('DELETE', `/v1/users/assets/sshkeys/${ssh.uid}`)).status).toBe(204);
    // Act
    const error = await failure(verifyHandler(verifyStateOf(plan, [['backupLocation', { ...location, uid: 'not-its-uid' }], ['sshKey', ssh]])));
    // Assess
    expect(error).toBeInstanceOf(VerificationError);
    expect(error.message).toBe(
      `Palette does not list the registrations: S3 backup location '${t.id}-s3' has uid ${location.uid}, expected not-its-uid; ` +
        `SSH key '${t.id}-ssh' is not listed`,
    );
  });

  it('results that do not match the requested kinds one to one break the contract: StateInputError', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { register: { cloudAccount: { enabled: false } } });
    const state = verifyStateOf(plan, [['backupLocation', { uid: 'x', name: 'y', created: true, updated: false }]]);
    // Act: two kinds, one result; and a result that is no registration result.
    const errors = [
      await failure(verifyHandler({ ...state, job: { ...state.job, registrationKinds: ['backupLocation', 'sshKey'] } })),
      await failure(verifyHandler({ ...state, registrations: [{ skipped: true }] })),
    ];
    // Assess
    for (const e of errors) expect(e).toBeInstanceOf(StateInputError);
    expect(errors[0]?.message).toContain('1 registration results for the 2 kinds of job.registrationKinds (backupLocation, sshKey)');
  });
});

describe('undo-registrations', () => {
  it('deletes what this execution created, every kind of the plan', async () => {
    // Prepare
    const t = await newTenant();
    const plan = planFor(t.id, { sshKey: { publicKey: newPublicKey() } });
    const account = await ensure('cloudAccount', plan);
    const ssh = await ensure('sshKey', plan);
    // Act
    const result = await undoHandler(stateOf(plan));
    // Assess
    expect(result).toEqual({ deleted: [`palette:cloud-account/aws/${account.uid}`, `palette:ssh-key/${ssh.uid}`], retained: [] });
  });

  it('each kind is undone even when another fails; the failures are reported together (CompensationError)', async () => {
    // Prepare: the API key lives in tenant scope; every other kind in the (now unknown) project.
    const t = await newTenant();
    const plan = planFor(t.id, { apiKey: {} });
    const key = await ensure('apiKey', plan);
    const broken: AwsPlan = { ...plan, projectUid: 'no-such-project' };
    // Act
    const error = await failure(undoHandler(stateOf(broken)));
    // Assess
    expect(error).toBeInstanceOf(CompensationError);
    expect(error.message).toMatch(/^could not undo every registration \(cloudAccount: PaletteNotFoundError: .*; backupLocation: PaletteNotFoundError: .*\); deleted so far: /);
    expect(error.message).toContain(`palette:api-key/${key.uid}`);
    expect((await api('GET', `/v1/apiKeys/${key.uid}`)).status).toBe(404);
  });
});
