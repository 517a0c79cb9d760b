/**
 * A create answered 409 because an earlier attempt's POST was applied late (it timed out, or its Lambda died, before
 * Palette answered; the retry's look-up ran before the object appeared): the ensure converges on the object when it
 * carries this execution's marks, and stays a conflict for any other owner. Seen in the reliability campaign under
 * heavy load (ssh key 'ref-full-ssh': 409 DuplicateName in a fault-free run).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RECONCILERS } from '../../../lambdas/services/registrations/kinds';
import { PaletteConflictError } from '../../../lambdas/services/palette';
import { registry } from './fake-registry';
import { CREATED_BY_TAG, DEPLOYMENT, ensure, failure, MANAGED_BY_TAG, newPublicKey, newTenant, planFor, rawCreate, TENANT_TAG, useSandbox } from './harness';

vi.mock('../../../lambdas/services/registry/tenant-registry', () => import('./fake-registry'));

useSandbox();

afterEach(() => {
  vi.restoreAllMocks();
});

/** The object appears between the ensure's look-up and its POST (the late POST of an earlier attempt). */
function appearAfterFirstLookup(create: () => Promise<unknown>): void {
  const real = RECONCILERS.sshKey.find.bind(RECONCILERS.sshKey);
  vi.spyOn(RECONCILERS.sshKey, 'find').mockImplementationOnce(async () => {
    await create();
    return undefined;
  }).mockImplementation(real);
}

describe('a create that finds its own late object', () => {
  it("converges on an object with this execution's marks: one object, recorded in the registry", async () => {
    // Prepare
    const t = await newTenant();
    const publicKey = newPublicKey(`${t.id}-ssh`);
    const plan = planFor(t.id, { sshKey: { publicKey } });
    let lateUid = '';
    appearAfterFirstLookup(async () => {
      ({ uid: lateUid } = await rawCreate('/v1/users/assets/sshkeys', { metadata: { name: `${t.id}-ssh`, annotations: { ...plan.tags } }, spec: { publicKey } }));
    });
    // Act
    const result = await ensure('sshKey', plan);
    // Assess
    expect(lateUid).not.toBe('');
    expect(result).toMatchObject({ uid: lateUid, name: `${t.id}-ssh` });
    expect(JSON.stringify(registry.record(t.id)?.resources)).toContain(lateUid);
  });

  it("stays a conflict for another execution's object, and for an unmarked one", async () => {
    for (const annotations of [
      { [TENANT_TAG]: 'x', [MANAGED_BY_TAG]: DEPLOYMENT, [CREATED_BY_TAG]: 'another-execution' },
      {} as Record<string, string>,
    ]) {
      // Prepare
      const t = await newTenant();
      const publicKey = newPublicKey(`${t.id}-ssh`);
      const plan = planFor(t.id, { sshKey: { publicKey } });
      appearAfterFirstLookup(() => rawCreate('/v1/users/assets/sshkeys', { metadata: { name: `${t.id}-ssh`, annotations: { ...annotations, [TENANT_TAG]: annotations[TENANT_TAG] ?? '' } }, spec: { publicKey } }));
      // Act
      const error = await failure(ensure('sshKey', plan));
      // Assess
      expect(error).toBeInstanceOf(PaletteConflictError);
      vi.restoreAllMocks();
    }
  });
});
