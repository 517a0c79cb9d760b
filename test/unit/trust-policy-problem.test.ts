/**
 * trustPolicyProblem (lambdas/domain/policies.ts): what a trust policy read back from IAM shows about whether Palette
 * can assume the role. Only what time cannot fix is reported; a conditional Deny is left to Palette's validation.
 */
import { describe, expect, it } from 'vitest';
import { mergePolicyStatements, paletteTrustPolicy, trustPolicyProblem } from '../../lambdas/domain/policies';

const opts = { partition: 'aws', paletteAccountId: '012345678901', externalId: 'ext-123' };
const ours = paletteTrustPolicy(opts);
const doc = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });

describe('trustPolicyProblem', () => {
  it('our trust policy, alone or merged into an adopted role with other statements, lets Palette in', () => {
    expect(trustPolicyProblem(ours, opts)).toBeUndefined();
    const theirs = JSON.stringify(doc({ Sid: 'Ops', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: 'sts:AssumeRole' }));
    expect(trustPolicyProblem(mergePolicyStatements(theirs, ours), opts)).toBeUndefined();
    // As IAM returns it: URL-encoded text.
    expect(trustPolicyProblem(encodeURIComponent(JSON.stringify(ours)), opts)).toBeUndefined();
  });

  it.each([
    ['everyone', { Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRole' }],
    ['AWS *', { Sid: 'NoOutsiders', Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sts:*' }],
    ["Palette's account root", { Effect: 'Deny', Principal: { AWS: 'arn:aws:iam::012345678901:root' }, Action: ['sts:AssumeRole', 'sts:TagSession'] }],
    ["Palette's bare account id", { Effect: 'Deny', Principal: { AWS: '012345678901' }, Action: '*' }],
  ])('an unconditional Deny for %s is a problem, named', (_who, deny) => {
    const problem = trustPolicyProblem(doc(...ours.Statement, deny), opts);
    expect(problem).toMatch(/denies sts:AssumeRole to Palette's account 012345678901 without a condition/);
  });

  it('a conditional Deny, or a Deny for someone else or another action, is not', () => {
    expect(trustPolicyProblem(doc(...ours.Statement, { Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRole', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }), opts)).toBeUndefined();
    expect(trustPolicyProblem(doc(...ours.Statement, { Effect: 'Deny', Principal: { AWS: 'arn:aws:iam::999999999999:root' }, Action: 'sts:AssumeRole' }), opts)).toBeUndefined();
    expect(trustPolicyProblem(doc(...ours.Statement, { Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRoleWithSAML' }), opts)).toBeUndefined();
  });

  it('no Allow for Palette with this external ID is a problem', () => {
    expect(trustPolicyProblem(doc({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: 'sts:AssumeRole' }), opts)).toMatch(/no statement allows Palette's account/);
    const otherExt = paletteTrustPolicy({ ...opts, externalId: 'someone-else' });
    expect(trustPolicyProblem(otherExt, opts)).toMatch(/with this tenant's external ID/);
    expect(trustPolicyProblem('{not json', opts)).toBe('the trust policy is not valid JSON');
  });
});
