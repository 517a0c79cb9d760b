/**
 * Re-validation's pure comparisons (lambdas/domain/drift.ts): what a tenant's onboarding made against what is there
 * now, per resource; the request; and the remediation (the latest onboarding request, run again).
 */
import { describe, expect, it } from 'vitest';
import {
  apiKeyFindings,
  bucketFindings,
  DRIFT_CHECKS,
  MAX_REASON,
  parseRevalidationRequest,
  policyFindings,
  registrationFindings,
  remediationOf,
  revalidationExecutionName,
  roleFindings,
  userFindings,
  type BucketObservation,
  type Finding,
} from '../../lambdas/domain/drift';
import { executionNameFor, MANAGED_BY_TAG, TENANT_TAG } from '../../lambdas/domain/names';
import { backupPolicyDocument, mergePolicyStatements, paletteTrustPolicy, tlsOnlyBucketPolicy } from '../../lambdas/domain/policies';

const marks = { tenantId: 'acme', deploymentId: 'palette-onboarding' };
const tags = { [TENANT_TAG]: 'acme', [MANAGED_BY_TAG]: 'palette-onboarding', 'palette-onboarding/created-by': 'acme-1' };
const checks = (fs: readonly Finding[]) => fs.map((f) => f.check);
const NOW = new Date('2026-12-02T08:00:00Z');
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000).toISOString();

describe('the re-validation request', () => {
  it('is empty (every tenant), names a tenant, and may override remediate', () => {
    // Act / Assess
    expect(parseRevalidationRequest({})).toEqual({});
    expect(parseRevalidationRequest(undefined)).toEqual({});
    expect(parseRevalidationRequest({ tenantId: 'acme', remediate: true })).toEqual({ tenantId: 'acme', remediate: true });
  });

  it('refuses a bad tenant id or an unknown field, naming it', () => {
    // Act / Assess
    expect(() => parseRevalidationRequest({ tenantId: 'Acme!' })).toThrow(/Invalid re-validation request: tenantId: must be 3-32 characters/);
    expect(() => parseRevalidationRequest({ tenantid: 'acme' })).toThrow(expect.objectContaining({ name: 'RequestValidationError', message: expect.stringContaining('tenantid') }));
  });

  it('names hand-started runs revalidate-<tenant | all>-<time>-<suffix>', () => {
    // Assess
    expect(revalidationExecutionName('acme', NOW, 'abcd1234')).toBe('revalidate-acme-20261202080000-abcd1234');
    expect(revalidationExecutionName(undefined, NOW, 'abcd1234')).toBe('revalidate-all-20261202080000-abcd1234');
  });
});

describe('the bucket', () => {
  const bucketName = 'palette-backup-acme-111111111111-us-east-1';
  const expected = { key: `s3:aws:bucket/${bucketName}`, bucketName, partition: 'aws', versioning: true, ...marks };
  const clean: BucketObservation = {
    exists: true,
    tags,
    encryption: { algorithm: 'AES256' },
    publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
    policy: JSON.stringify(mergePolicyStatements(JSON.stringify({ Statement: [{ Sid: 'Theirs', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'x' }] }), tlsOnlyBucketPolicy({ partition: 'aws', bucketName }))),
    versioning: 'Enabled',
    objectOwnership: 'BucketOwnerEnforced',
  };

  it('as onboarding configures it (its own other policy statements kept) has no findings; a stronger SSE-KMS is none either', () => {
    // Act / Assess
    expect(bucketFindings(expected, clean)).toEqual([]);
    expect(bucketFindings(expected, { ...clean, encryption: { algorithm: 'aws:kms', kmsKeyId: 'k' } })).toEqual([]);
  });

  it('gone is one finding', () => {
    // Act / Assess
    expect(bucketFindings(expected, { exists: false })).toEqual([{ resource: expected.key, check: 'present', reason: `S3 bucket '${bucketName}' does not exist any more` }]);
  });

  it('each weakened guardrail is a finding of its own', () => {
    // Prepare
    const weakened: BucketObservation = {
      exists: true,
      tags: { [TENANT_TAG]: 'acme' },
      publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: false, BlockPublicPolicy: true, RestrictPublicBuckets: false },
      policy: JSON.stringify({ Statement: [{ ...tlsOnlyBucketPolicy({ partition: 'aws', bucketName }).Statement[0], Condition: { Bool: { 'aws:SecureTransport': 'true' } } }] }),
      versioning: 'Suspended',
      objectOwnership: 'ObjectWriter',
    };

    // Act
    const found = bucketFindings(expected, weakened);

    // Assess
    expect(checks(found)).toEqual(['encryption', 'publicAccessBlock', 'tlsOnly', 'versioning', 'ownershipControls', 'marks']);
    expect(found.map((f) => f.reason)).toEqual([
      `S3 bucket '${bucketName}' has no default encryption (onboarding sets SSE-S3)`,
      `S3 bucket '${bucketName}': public access block has IgnorePublicAcls, RestrictPublicBuckets off`,
      `S3 bucket '${bucketName}': the bucket policy's 'DenyInsecureTransport' statement was changed`,
      `S3 bucket '${bucketName}': versioning is suspended`,
      `S3 bucket '${bucketName}': object ownership is ObjectWriter (ACLs in effect), not BucketOwnerEnforced`,
      `S3 bucket '${bucketName}' lacks its mark ${MANAGED_BY_TAG}=palette-onboarding`,
    ]);
    expect(checks(bucketFindings(expected, { ...clean, policy: undefined, publicAccessBlock: undefined }))).toEqual(['publicAccessBlock', 'tlsOnly']);
  });

  it('a planned KMS key must be the one configured', () => {
    // Prepare
    const kmsKeyArn = 'arn:aws:kms:us-east-1:111111111111:key/0f8e5c2a-1d3b-4a5c-9e7f-0123456789ab';

    // Act / Assess
    expect(bucketFindings({ ...expected, kmsKeyArn }, { ...clean, encryption: { algorithm: 'aws:kms', kmsKeyId: kmsKeyArn } })).toEqual([]);
    expect(bucketFindings({ ...expected, kmsKeyArn }, { ...clean, encryption: { algorithm: 'aws:kms', kmsKeyId: '0f8e5c2a-1d3b-4a5c-9e7f-0123456789ab' } })).toEqual([]);
    expect(bucketFindings({ ...expected, kmsKeyArn }, clean)).toEqual([expect.objectContaining({ check: 'encryption', reason: expect.stringContaining(`not SSE-KMS with the key ${kmsKeyArn}`) })]);
  });
});

describe('the backup policy', () => {
  const policyArn = 'arn:aws:iam::111111111111:policy/palette-onboarding/palette-onboarding-acme-backup';
  const document = backupPolicyDocument({ partition: 'aws', bucketName: 'b' });
  const expected = { key: 'iam:111111111111:policy/palette-onboarding-acme-backup', policyArn, document, principal: "role 'palette-onboarding-acme'", ...marks };

  it('attached, with our document as its default version (URL-encoded as IAM returns it), has no findings', () => {
    // Act / Assess
    expect(policyFindings(expected, { exists: true, tags, defaultVersionId: 'v2', document: encodeURIComponent(JSON.stringify(document)), attached: true })).toEqual([]);
  });

  it('another document, detached, gone or another tenant\'s are findings', () => {
    // Prepare
    const other = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };

    // Act / Assess
    expect(policyFindings(expected, { exists: true, tags, defaultVersionId: 'v3', document: other, attached: false }).map((f) => f.reason)).toEqual([
      `IAM policy '${policyArn}': its default version v3 is not the backup policy onboarding wrote`,
      `IAM policy '${policyArn}' is not attached to the role 'palette-onboarding-acme' any more`,
    ]);
    expect(checks(policyFindings(expected, { exists: false }))).toEqual(['present']);
    expect(policyFindings(expected, { foreign: true })).toEqual([{ resource: expected.key, check: 'marks', reason: expect.stringContaining("carries another tenant's mark") }]);
  });
});

describe('the role Palette assumes', () => {
  const current = { partition: 'aws', paletteAccountId: '012345678901', externalId: 'ext-now' };
  const expected = { key: 'iam:111111111111:role/palette-onboarding-acme', roleName: 'palette-onboarding-acme', partition: 'aws', paletteAccountId: current.paletteAccountId, externalId: current.externalId, adopted: false, ...marks };
  const theirs = { Sid: 'Operators', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: 'sts:AssumeRole' };

  it('trusting exactly Palette with the current external ID has no findings', () => {
    // Act / Assess
    expect(roleFindings(expected, { exists: true, tags, trustPolicy: encodeURIComponent(JSON.stringify(paletteTrustPolicy(current))) })).toEqual([]);
  });

  it("an external ID Palette no longer uses (rotated) is named as such: Palette's STS access is broken", () => {
    // Act
    const found = roleFindings(expected, { exists: true, tags, trustPolicy: paletteTrustPolicy({ ...current, externalId: 'ext-before' }) });

    // Assess
    expect(found).toEqual([{ resource: expected.key, check: 'externalId', reason: expect.stringMatching(/with an external ID that is no longer the tenant's \(rotated in Palette\)/) }]);
    // Neither external ID appears in the reason (it travels in events and the registry).
    expect(found[0]?.reason).not.toMatch(/ext-/);
  });

  it('an edited trust policy is a finding, with what it breaks when it does', () => {
    // Act / Assess
    expect(roleFindings(expected, { exists: true, tags, trustPolicy: { Version: '2012-10-17', Statement: [theirs] } })).toEqual([
      { resource: expected.key, check: 'trustPolicy', reason: expect.stringContaining("no statement allows Palette's account 012345678901 sts:AssumeRole") },
    ]);
    expect(roleFindings(expected, { exists: true, tags, trustPolicy: mergePolicyStatements(JSON.stringify({ Statement: [theirs] }), paletteTrustPolicy(current)) })).toEqual([
      { resource: expected.key, check: 'trustPolicy', reason: expect.stringContaining('statements were added, removed or changed') },
    ]);
  });

  it('an adopted role keeps its own statements: only whether Palette may assume it (and its marks) counts', () => {
    // Prepare
    const adopted = { ...expected, adopted: true };
    const merged = mergePolicyStatements(JSON.stringify({ Statement: [theirs] }), paletteTrustPolicy(current));

    // Act / Assess
    expect(roleFindings(adopted, { exists: true, tags, trustPolicy: merged })).toEqual([]);
    expect(checks(roleFindings(adopted, { exists: true, tags: {}, trustPolicy: mergePolicyStatements(JSON.stringify({ Statement: [theirs] }), paletteTrustPolicy({ ...current, externalId: 'old' })) }))).toEqual([
      'externalId',
      'marks',
    ]);
  });

  it('gone, or another tenant\'s, is a finding', () => {
    // Act / Assess
    expect(checks(roleFindings(expected, { exists: false }))).toEqual(['present']);
    expect(checks(roleFindings(expected, { foreign: true }))).toEqual(['marks']);
  });
});

describe('the static user and its access key', () => {
  const expected = { key: 'iam:111111111111:user/palette-onboarding-acme', userName: 'palette-onboarding-acme', rotationDays: 90, ...marks };

  it('a key up to the rotation age is fine; an older active one is a finding, an inactive old one is not', () => {
    // Act / Assess
    expect(userFindings(expected, { exists: true, tags, accessKeys: [{ accessKeyId: 'AKIA1', active: true, createdAt: daysAgo(90) }] }, NOW)).toEqual([]);
    expect(userFindings(expected, { exists: true, tags, accessKeys: [{ accessKeyId: 'AKIA1', active: true, createdAt: daysAgo(91.5) }, { accessKeyId: 'AKIA0', active: false, createdAt: daysAgo(400) }] }, NOW)).toEqual([
      { resource: expected.key, check: 'accessKeyAge', reason: "IAM user 'palette-onboarding-acme': access key AKIA1 is 91 days old (rotation age 90 days)" },
    ]);
  });

  it('no active key, the user gone, or another tenant\'s, are findings', () => {
    // Act / Assess
    expect(checks(userFindings(expected, { exists: true, tags, accessKeys: [{ accessKeyId: 'AKIA1', active: false, createdAt: daysAgo(1) }] }, NOW))).toEqual(['accessKeyActive']);
    expect(checks(userFindings(expected, { exists: false }, NOW))).toEqual(['present']);
    expect(checks(userFindings(expected, { foreign: true }, NOW))).toEqual(['marks']);
  });
});

describe('Palette', () => {
  const key = 'palette:tenant:backup-location/acme-s3';

  it('a registration gone, or replaced under its name, is a finding; the recorded one is fine', () => {
    // Act / Assess
    expect(registrationFindings(key, 'S3 backup location', 'acme-s3', 'uid-1', 'uid-1')).toEqual([]);
    expect(registrationFindings(key, 'S3 backup location', 'acme-s3', 'uid-1', undefined)).toEqual([
      { resource: key, check: 'registered', reason: "Palette S3 backup location 'acme-s3' is not in Palette any more (deleted there)" },
    ]);
    expect(registrationFindings(key, 'S3 backup location', 'acme-s3', 'uid-1', 'uid-2')[0]?.reason).toContain('is uid-2 in Palette, but the registry records uid-1');
  });

  it('an API key expiring within the warning window, expired, or deactivated, is a finding', () => {
    // Prepare
    const in30 = new Date(NOW.getTime() + 30 * 86_400_000).toISOString();
    const in3 = new Date(NOW.getTime() + 3 * 86_400_000).toISOString();

    // Act / Assess
    expect(apiKeyFindings('k', 'acme-automation', { expiry: in30, isActive: true }, 14, NOW)).toEqual([]);
    expect(apiKeyFindings('k', 'acme-automation', { expiry: in3 }, 14, NOW)).toEqual([
      { resource: 'k', check: 'apiKeyExpiry', reason: `Palette API key 'acme-automation' expires at ${in3}, in 3 days (warning window 14 days)` },
    ]);
    expect(apiKeyFindings('k', 'acme-automation', { expiry: daysAgo(1) }, 14, NOW)[0]?.reason).toMatch(/expired at/);
    expect(checks(apiKeyFindings('k', 'acme-automation', { expiry: in30, isActive: false }, 14, NOW))).toEqual(['apiKeyActive']);
  });

  it('reasons are bounded', () => {
    // Act
    const [f] = registrationFindings(key, 'S3 backup location', 'x'.repeat(500), undefined, undefined);

    // Assess
    expect(f?.reason.length).toBe(MAX_REASON);
    expect(f?.reason.endsWith('...')).toBe(true);
  });
});

describe('remediation', () => {
  const request = { tenantId: 'acme', aws: { accountId: '111111111111', region: 'us-east-1', credentialMode: 'static', rotateAccessKey: true } };
  const finding = (check: keyof typeof DRIFT_CHECKS): Finding => ({ resource: 'r', check, reason: 'x' });

  it('runs the latest request again, under its usual name with a drift re-run suffix, rotating only an aged key', () => {
    // Act
    const plain = remediationOf(request, [finding('policyAttached')], NOW);
    const aged = remediationOf({ ...request, aws: { ...request.aws, rotateAccessKey: undefined } }, [finding('accessKeyAge')], NOW);

    // Assess
    expect(plain?.input).toEqual({ tenantId: 'acme', aws: { accountId: '111111111111', region: 'us-east-1', credentialMode: 'static' } });
    expect(plain?.executionName).toBe(executionNameFor(plain?.input, 'drift-20261202080000'));
    expect(plain?.executionName).toMatch(/^acme-[0-9a-f]{12}-drift-20261202080000$/);
    expect((aged?.input.aws as Record<string, unknown>).rotateAccessKey).toBe(true);
    // The recorded request itself is not changed.
    expect(request.aws.rotateAccessKey).toBe(true);
  });

  it('none when nothing found is repaired by onboarding again, or there is no request', () => {
    // Act / Assess: a deactivated API key is never re-activated; one that expires soon is renewed by onboarding.
    expect(remediationOf(request, [finding('apiKeyActive')], NOW)).toBeUndefined();
    expect(remediationOf(request, [finding('apiKeyExpiry'), finding('apiKeyActive')], NOW)?.executionName).toMatch(/-drift-20261202080000$/);
    expect(remediationOf(undefined, [finding('present')], NOW)).toBeUndefined();
    expect(remediationOf(request, [], NOW)).toBeUndefined();
  });
});
