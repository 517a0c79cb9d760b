/** The Azure US Government / private cloud gateway rule (lambdas/domain/azure-rules.ts). */
import { describe, expect, it } from 'vitest';
import { azureGatewayRequirement, azureGatewayViolation, isAzurePublicCloud } from '../../lambdas/domain/azure-rules';

describe('azureGatewayRequirement', () => {
  it('SaaS: US Government needs a PCG; Public Cloud never does', () => {
    expect(azureGatewayRequirement('AzureUSGovernmentCloud', false)).toBe('required');
    expect(azureGatewayRequirement('AzurePublicCloud', false)).toBe('not-required');
  });
  it('self-hosted: US Government depends on the installation having Public Cloud accounts', () => {
    expect(azureGatewayRequirement('AzureUSGovernmentCloud', true)).toBe('if-public-accounts');
    expect(azureGatewayRequirement('AzurePublicCloud', true)).toBe('not-required');
  });
});

describe('azureGatewayViolation', () => {
  it('SaaS US Government without a PCG is rejected; with one it passes', () => {
    expect(azureGatewayViolation({ cloud: 'AzureUSGovernmentCloud', selfHosted: false })).toMatch(
      /^required: on Palette SaaS an Azure US Government .* private cloud gateway$/,
    );
    expect(azureGatewayViolation({ cloud: 'AzureUSGovernmentCloud', selfHosted: false, privateCloudGatewayUid: 'pcg-1' })).toBeUndefined();
    // Other accounts do not matter on SaaS.
    expect(azureGatewayViolation({ cloud: 'AzureUSGovernmentCloud', selfHosted: false, publicCloudAccounts: [] })).toBeDefined();
  });

  it('self-hosted US Government: rejected only when Public Cloud accounts exist and no PCG is given', () => {
    expect(azureGatewayViolation({ cloud: 'AzureUSGovernmentCloud', selfHosted: true })).toBeUndefined();
    expect(azureGatewayViolation({ cloud: 'AzureUSGovernmentCloud', selfHosted: true, publicCloudAccounts: [] })).toBeUndefined();
    const msg = azureGatewayViolation({ cloud: 'AzureUSGovernmentCloud', selfHosted: true, publicCloudAccounts: ['zeta', 'alpha'] });
    expect(msg).toBe(
      "required: this self-hosted Palette also has Azure Public Cloud accounts ('alpha', 'zeta'), so an Azure US Government (AzureUSGovernmentCloud) account must use a private cloud gateway",
    );
    expect(
      azureGatewayViolation({ cloud: 'AzureUSGovernmentCloud', selfHosted: true, publicCloudAccounts: ['a'], privateCloudGatewayUid: 'pcg' }),
    ).toBeUndefined();
  });

  it('lists at most five account names', () => {
    const msg = azureGatewayViolation({
      cloud: 'AzureUSGovernmentCloud',
      selfHosted: true,
      publicCloudAccounts: ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7'],
    });
    expect(msg).toContain("('a1', 'a2', 'a3', 'a4', 'a5', and 2 more)");
  });

  it('Azure Public Cloud is never rejected', () => {
    for (const selfHosted of [true, false]) {
      expect(azureGatewayViolation({ cloud: 'AzurePublicCloud', selfHosted, publicCloudAccounts: ['x'] })).toBeUndefined();
    }
  });
});

it('isAzurePublicCloud: absent environment is Palette default (Public Cloud)', () => {
  expect(isAzurePublicCloud(undefined)).toBe(true);
  expect(isAzurePublicCloud('')).toBe(true);
  expect(isAzurePublicCloud('AzurePublicCloud')).toBe(true);
  expect(isAzurePublicCloud('AzureUSGovernmentCloud')).toBe(false);
  expect(isAzurePublicCloud('AzureUSGovernment')).toBe(false);
  expect(isAzurePublicCloud('AzureChinaCloud')).toBe(false);
});
