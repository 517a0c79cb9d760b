/**
 * What an undo step may remove (lambdas/domain/removal.ts): compensation removes only this execution's creations;
 * offboarding removes what the registry records as the tenant's (or an intended creation), never an adopted object,
 * another tenant's or deployment's, or what the registry does not record.
 */
import { describe, expect, it } from 'vitest';
import { COMPENSATION, decideRemoval, RemovalSchema, type RemovalFacts } from '../../lambdas/domain/removal';

const OFFBOARDING = RemovalSchema.parse({ mode: 'offboarding' });
const base: RemovalFacts = { marks: { tenant: 'acme', deployment: 'dep' }, tenantId: 'acme', deploymentId: 'dep', executionName: 'exec-2' };

describe('decideRemoval', () => {
  it('compensation: only what this execution created (its mark, its recorded creation, its pending intent)', () => {
    expect(decideRemoval(COMPENSATION, { ...base, marks: { ...base.marks, createdBy: 'exec-2' } })).toEqual({ remove: true });
    expect(decideRemoval(COMPENSATION, { ...base, recorded: { adopted: false, createdBy: 'exec-2' } })).toEqual({ remove: true });
    expect(decideRemoval(COMPENSATION, { ...base, intentBy: 'exec-2' })).toEqual({ remove: true });
    expect(decideRemoval(COMPENSATION, { ...base, recorded: { adopted: false, createdBy: 'exec-1' } })).toEqual({ remove: false, reason: 'was not created by this execution' });
  });

  it('offboarding: the tenant\'s recorded objects and intended creations, whoever created them', () => {
    expect(decideRemoval(OFFBOARDING, { ...base, recorded: { adopted: false, createdBy: 'exec-1' } })).toEqual({ remove: true });
    expect(decideRemoval(OFFBOARDING, { ...base, recorded: { adopted: false } })).toEqual({ remove: true });
    expect(decideRemoval(OFFBOARDING, { ...base, marks: {}, intentBy: 'exec-0' })).toEqual({ remove: true });
  });

  it('offboarding never removes an adopted object, an unrecorded one, or one marked for someone else', () => {
    expect(decideRemoval(OFFBOARDING, { ...base, recorded: { adopted: true } })).toEqual({ remove: false, reason: expect.stringMatching(/^was adopted/) });
    expect(decideRemoval(OFFBOARDING, base)).toEqual({ remove: false, reason: "is not recorded as tenant 'acme''s in the tenant registry" });
    const recorded = { recorded: { adopted: false, createdBy: 'exec-1' } };
    expect(decideRemoval(OFFBOARDING, { ...base, ...recorded, marks: { tenant: 'globex', deployment: 'dep' } })).toEqual({ remove: false, reason: "is marked for tenant 'globex'" });
    expect(decideRemoval(OFFBOARDING, { ...base, ...recorded, marks: { tenant: 'acme', deployment: 'other' } })).toEqual({
      remove: false,
      reason: "is managed by another palette-onboarding deployment ('other')",
    });
    // The same guard holds for compensation.
    expect(decideRemoval(COMPENSATION, { ...base, marks: { tenant: 'globex', createdBy: 'exec-2' } })).toEqual({ remove: false, reason: "is marked for tenant 'globex'" });
  });

  it('the offboarding options default to keeping the bucket and a 7-day recovery window, and are bounded', () => {
    expect(OFFBOARDING).toEqual({ mode: 'offboarding', deleteBucket: false, purgeBucket: false, secretRecoveryDays: 7 });
    expect(RemovalSchema.safeParse({ mode: 'offboarding', secretRecoveryDays: 3 }).success).toBe(false);
    expect(RemovalSchema.safeParse({ mode: 'wipe' }).success).toBe(false);
  });
});
