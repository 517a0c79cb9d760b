/** The ownership rule (lambdas/domain/ownership.ts): who may use an existing object, and the marks put on it. */
import { describe, expect, it } from 'vitest';
import { decideOwnership, marksToApply, type OwnershipQuestion } from '../../lambdas/domain/ownership';
import { OwnershipError } from '../../lambdas/shared/errors';

const TENANT = 'palette-onboarding/tenant';
const MANAGED = 'palette-onboarding/managed-by';
const CREATED = 'palette-onboarding/created-by';

const question = (over: Partial<OwnershipQuestion> = {}): OwnershipQuestion => ({
  object: "S3 bucket 'b'",
  marks: {},
  registry: { recorded: false },
  adopt: false,
  adoptField: 'aws.bucket.adopt',
  tenantId: 'alpha',
  deploymentId: 'prod',
  executionName: 'alpha-1',
  ...over,
});

describe('decideOwnership', () => {
  it("uses the tenant's own marked object; created-by decides whether this execution may delete it", () => {
    // Act
    const mine = decideOwnership(question({ marks: { tenant: 'alpha', deployment: 'prod', createdBy: 'alpha-1' } }));
    const older = decideOwnership(question({ marks: { tenant: 'alpha', deployment: 'prod', createdBy: 'alpha-0' } }));
    // Assess
    expect(mine).toEqual({ kind: 'own', createdByThisExecution: true, reason: 'marked' });
    expect(older).toEqual({ kind: 'own', createdByThisExecution: false, reason: 'marked' });
  });

  it("refuses another tenant's or another deployment's object, even with adopt, naming the owner", () => {
    // Act / Assess
    expect(() => decideOwnership(question({ marks: { tenant: 'beta', deployment: 'prod' }, adopt: true }))).toThrow(
      new OwnershipError("S3 bucket 'b' belongs to tenant 'beta', not to tenant 'alpha'; nothing was changed"),
    );
    expect(() => decideOwnership(question({ marks: { tenant: 'alpha', deployment: 'staging' }, adopt: true }))).toThrow(/another palette-onboarding deployment \('staging'/);
    // The registry cannot make another tenant's marked object ours either.
    expect(() => decideOwnership(question({ marks: { tenant: 'beta' }, registry: { recorded: true } }))).toThrow(OwnershipError);
  });

  it('an unmarked object needs an explicit adopt, and the error says which field', () => {
    // Act / Assess
    expect(() => decideOwnership(question())).toThrow(/set aws\.bucket\.adopt: true to adopt it/);
    expect(decideOwnership(question({ adopt: true }))).toEqual({ kind: 'adopt' });
    // A tenant mark without this deployment's mark is not enough to be ours.
    expect(() => decideOwnership(question({ marks: { tenant: 'alpha' } }))).toThrow(OwnershipError);
  });

  it("the registry's record or this execution's intent makes an unmarked object the tenant's (crash recovery)", () => {
    // Act
    const recorded = decideOwnership(question({ registry: { recorded: true } }));
    const intent = decideOwnership(question({ registry: { recorded: false, intentBy: 'alpha-1' } }));
    // Assess
    expect(recorded).toEqual({ kind: 'own', createdByThisExecution: false, reason: 'registry' });
    expect(intent).toEqual({ kind: 'own', createdByThisExecution: true, reason: 'intent' });
    // Once adopted, always adopted: the never-weaken rules keep applying on later runs.
    expect(decideOwnership(question({ marks: { tenant: 'alpha', deployment: 'prod' }, registry: { recorded: true, adopted: true } }))).toEqual({ kind: 'adopt' });
    // Another execution's intent proves nothing about this one.
    expect(() => decideOwnership(question({ registry: { recorded: false, intentBy: 'alpha-0' } }))).toThrow(OwnershipError);
  });
});

describe('marksToApply', () => {
  const planTags = { [CREATED]: 'alpha-1', [TENANT]: 'alpha', [MANAGED]: 'prod' };

  it('a new object gets every mark, created-by included', () => {
    expect(marksToApply(planTags, undefined, { extra: { x: '1' } })).toEqual({ ...planTags, x: '1' });
  });

  it('an existing object keeps its own tags and its created-by; an adopted one never gets created-by', () => {
    // Act
    const own = marksToApply(planTags, { [CREATED]: 'alpha-0', team: 'ops' });
    const adopted = marksToApply(planTags, { team: 'ops' });
    // Assess
    expect(own).toEqual({ [CREATED]: 'alpha-0', [TENANT]: 'alpha', [MANAGED]: 'prod', team: 'ops' });
    expect(adopted).toEqual({ [TENANT]: 'alpha', [MANAGED]: 'prod', team: 'ops' });
  });

  it('an object this execution created but could not mark gets its created-by', () => {
    expect(marksToApply(planTags, {}, { createdByThisExecution: true })[CREATED]).toBe('alpha-1');
  });
});
