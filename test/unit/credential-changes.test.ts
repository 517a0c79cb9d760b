/**
 * Credential changes (lambdas/domain/credential-changes.ts): the fingerprint of the secret versions Palette was
 * given, and the API key renewal decision, window defaults and names. Pure.
 */
import { describe, expect, it } from 'vitest';
import {
  API_KEY_NAME_MAX,
  apiKeyNames,
  apiKeyRenewal,
  credentialsFingerprint,
  credentialsState,
  CREDENTIALS_FINGERPRINT_ANNOTATION,
  defaultRenewWithinDays,
  renewalName,
  renewalWindowProblem,
  type RenewalQuestion,
} from '../../lambdas/domain/credential-changes';
import { buildPlan } from '../../lambdas/domain/plan';
import { ApiKeySchema } from '../../lambdas/domain/registration-requests';
import { plannedClaims } from '../../lambdas/domain/tenant-record';

const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:palette-onboarding-credentials/acme/azure-AbCdEf';
const GCP = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:palette-onboarding-credentials/acme/gcp-GhIjKl';
const V1 = '6f1c1b9e-0d1a-4c3e-9b7a-2f5d8e1c0a01';
const V2 = '9a2e4c7d-3b5f-4a1e-8c6d-0e9f1a2b3c04';

describe('credentialsFingerprint', () => {
  it('is stable, order-independent, and changes with the version, the secret or the tenant', () => {
    // Act
    const fp = credentialsFingerprint('acme', [{ secretArn: ARN, versionId: V1 }]);
    // Assess
    expect(fp).toMatch(/^v1:[A-Za-z0-9_-]{43}$/);
    expect(credentialsFingerprint('acme', [{ secretArn: ARN, versionId: V1 }])).toBe(fp);
    expect(credentialsFingerprint('acme', [{ secretArn: ARN, versionId: V2 }])).not.toBe(fp);
    expect(credentialsFingerprint('globex', [{ secretArn: ARN, versionId: V1 }])).not.toBe(fp);
    const two = credentialsFingerprint('acme', [
      { secretArn: ARN, versionId: V1 },
      { secretArn: GCP, versionId: V2 },
    ]);
    expect(credentialsFingerprint('acme', [{ secretArn: GCP, versionId: V2 }, { secretArn: ARN, versionId: V1 }])).toBe(two);
    expect(two).not.toBe(fp);
  });

  it('contains neither the ARN nor the version id it was made of', () => {
    const fp = credentialsFingerprint('acme', [{ secretArn: ARN, versionId: V1 }]);
    expect(fp).not.toContain(V1);
    expect(fp).not.toContain('acme');
    expect(() => credentialsFingerprint('acme', [])).toThrow(/no secret versions/);
  });

  it('an object without a recorded fingerprint is unknown; another one is changed', () => {
    const fp = credentialsFingerprint('acme', [{ secretArn: ARN, versionId: V1 }]);
    expect(credentialsState({}, fp)).toBe('unknown');
    expect(credentialsState({ [CREDENTIALS_FINGERPRINT_ANNOTATION]: '' }, fp)).toBe('unknown');
    expect(credentialsState({ [CREDENTIALS_FINGERPRINT_ANNOTATION]: fp }, fp)).toBe('same');
    expect(credentialsState({ [CREDENTIALS_FINGERPRINT_ANNOTATION]: credentialsFingerprint('acme', [{ secretArn: ARN, versionId: V2 }]) }, fp)).toBe('changed');
  });
});

describe('apiKeyRenewal', () => {
  const NOW = new Date('2026-12-02T10:00:00Z');
  const inDays = (d: number) => new Date(NOW.getTime() + d * 86_400_000);
  const q = (over: Partial<RenewalQuestion>): RenewalQuestion => ({
    expiresAt: inDays(30).toISOString(),
    isActive: true,
    adopted: false,
    windowDays: 14,
    newExpiry: inDays(90),
    now: NOW,
    ...over,
  });

  it('renews inside the window and after expiry, not before the window', () => {
    expect(apiKeyRenewal(q({}))).toEqual({ renew: false, reason: 'not-due', daysLeft: 30 });
    expect(apiKeyRenewal(q({ expiresAt: inDays(14.5).toISOString() }))).toMatchObject({ renew: false, reason: 'not-due' });
    expect(apiKeyRenewal(q({ expiresAt: inDays(14).toISOString() }))).toEqual({ renew: true, reason: 'in-window', daysLeft: 14 });
    expect(apiKeyRenewal(q({ expiresAt: inDays(0.5).toISOString() }))).toEqual({ renew: true, reason: 'in-window', daysLeft: 1 });
    expect(apiKeyRenewal(q({ expiresAt: inDays(-2).toISOString() }))).toEqual({ renew: true, reason: 'expired', daysLeft: -2 });
  });

  it('never renews a deactivated or adopted key, with window 0, or when a new key would not outlive the current one', () => {
    const due = inDays(3).toISOString();
    expect(apiKeyRenewal(q({ expiresAt: due, isActive: false }))).toMatchObject({ renew: false, reason: 'inactive' });
    expect(apiKeyRenewal(q({ isActive: false }))).toMatchObject({ renew: false, reason: 'inactive' });
    expect(apiKeyRenewal(q({ expiresAt: due, adopted: true }))).toMatchObject({ renew: false, reason: 'adopted' });
    expect(apiKeyRenewal(q({ expiresAt: due, windowDays: 0 }))).toMatchObject({ renew: false, reason: 'disabled' });
    // A custom expiry date: the new key would expire at the same instant.
    expect(apiKeyRenewal(q({ expiresAt: due, newExpiry: inDays(3) }))).toMatchObject({ renew: false, reason: 'no-later-expiry' });
    expect(apiKeyRenewal(q({ expiresAt: undefined }))).toEqual({ renew: false, reason: 'no-expiry' });
    expect(apiKeyRenewal(q({ expiresAt: 'not a date' }))).toEqual({ renew: false, reason: 'no-expiry' });
  });
});

describe('renewal names and windows', () => {
  it('alternates between the name and the name with -2', () => {
    expect(apiKeyNames('acme-automation')).toEqual(['acme-automation', 'acme-automation-2']);
    expect(renewalName('acme-automation', 'acme-automation')).toBe('acme-automation-2');
    expect(renewalName('acme-automation', 'acme-automation-2')).toBe('acme-automation');
    expect(renewalName('acme-automation', undefined)).toBe('acme-automation-2');
  });

  it('defaults to 14 days, at most half a preset lifetime', () => {
    expect(defaultRenewWithinDays('90d')).toBe(14);
    expect(defaultRenewWithinDays('1y')).toBe(14);
    expect(defaultRenewWithinDays('30d')).toBe(14);
    expect(defaultRenewWithinDays('7d')).toBe(3);
    expect(defaultRenewWithinDays('2030-01-31')).toBe(14);
  });

  it('a window as long as the preset lifetime is refused (it would renew on every run)', () => {
    expect(renewalWindowProblem('7d', 7)).toBe("must be less than the key's lifetime (7 days for expiry '7d'), or 0 for no renewal");
    expect(renewalWindowProblem('7d', 6)).toBeUndefined();
    expect(renewalWindowProblem('1y', 364)).toBeUndefined();
    expect(renewalWindowProblem('2030-01-31', 365)).toBeUndefined();
  });

  it('the request: renewWithinDays is checked against the expiry, and the name leaves room for the suffix', () => {
    const issues = (input: unknown) => {
      const r = ApiKeySchema.safeParse(input);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ expiry: '30d', renewWithinDays: 10 })).toEqual([]);
    expect(issues({ renewWithinDays: 0 })).toEqual([]);
    expect(issues({ expiry: '30d', renewWithinDays: 30 })).toEqual([
      "renewWithinDays: must be less than the key's lifetime (30 days for expiry '30d'), or 0 for no renewal",
    ]);
    expect(issues({ renewWithinDays: -1 })).toEqual([expect.stringMatching(/^renewWithinDays: /)]);
    expect(issues({ renewWithinDays: 1.5 })).toEqual([expect.stringMatching(/^renewWithinDays: /)]);
    expect(issues({ name: 'a'.repeat(API_KEY_NAME_MAX) })).toEqual([]);
    expect(issues({ name: 'a'.repeat(API_KEY_NAME_MAX + 1) })).toEqual([`name: must be at most ${API_KEY_NAME_MAX} characters (a renewed key is named <name>-2)`]);
  });
});

describe('the renewal name is claimed with the API key name', () => {
  it("the plan's claims hold both names of the pair, for the apiKey.name field", () => {
    // Prepare
    const request = { tenantId: 'acme', aws: { accountId: '111111111111', region: 'us-east-1', credentialMode: 'sts' }, apiKey: { renewWithinDays: 10 } };
    const ctx = { homeAccountId: '000000000000', deploymentId: 'deploy-a', defaultReadinessSeconds: 900, executionName: 'acme-exec', defaultApiKeySecretArn: ARN };
    // Act
    const { plan } = buildPlan(request, ctx);
    // Assess
    expect(plan.registrations.apiKey).toMatchObject({ name: 'acme-automation', renewWithinDays: 10 });
    expect(plannedClaims(plan).filter((c) => c.field === 'apiKey.name').map((c) => c.key)).toEqual([
      'palette:tenant:api-key/acme-automation',
      'palette:tenant:api-key/acme-automation-2',
    ]);
  });
});
