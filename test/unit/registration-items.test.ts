/** The Registrations Map's items and the keying of its results (lambdas/domain/registrations.ts). */
import { describe, expect, it } from 'vitest';
import { REGISTRATION_KEYS, REGISTRATIONS, registrationItems, registrationsByKind } from '../../lambdas/domain/registrations';

describe('registrationItems', () => {
  it('lists the requested kinds in REGISTRATION_KEYS order, each with the index of its function in the Map\'s list and its step name', () => {
    // Act: asked in another order than the table's.
    const items = registrationItems({ sshKey: {}, cloudAccount: {}, gcpBackupLocation: {} });

    // Assess
    expect(items.map((i) => i.kind)).toEqual(['cloudAccount', 'sshKey', 'gcpBackupLocation']);
    for (const item of items) {
      expect(REGISTRATION_KEYS[item.index]).toBe(item.kind);
      expect(item.state).toBe(REGISTRATIONS[item.kind].state);
    }
    expect(registrationItems({})).toEqual([]);
  });
});

describe('registrationsByKind', () => {
  it('keys the results by kind in item order; every other kind is skipped', () => {
    const byKind = registrationsByKind(['cloudAccount', 'apiKey'], [{ uid: 'ca' }, { uid: 'ak' }]);
    expect(byKind.cloudAccount).toEqual({ uid: 'ca' });
    expect(byKind.apiKey).toEqual({ uid: 'ak' });
    expect(Object.keys(byKind).sort()).toEqual([...REGISTRATION_KEYS].sort());
    for (const k of REGISTRATION_KEYS.filter((k) => k !== 'cloudAccount' && k !== 'apiKey')) expect(byKind[k]).toEqual({ skipped: true });
  });

  it('refuses results that do not match the kinds one to one', () => {
    expect(() => registrationsByKind(['cloudAccount', 'backupLocation'], [{ uid: 'ca' }])).toThrow(/1 registration results for 2 kinds/);
  });
});
