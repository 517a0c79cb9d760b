/** Azure clouds and their private cloud gateway rules (lambdas/domain/azure-rules.ts). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AZURE_CLOUD_RULES,
  AZURE_CLOUDS,
  AZURE_LOCATION_CLOUDS,
  azureCloudViolation,
  azureGatewayRequirement,
  gatewayRef,
  isAzurePublicCloud,
  locationClientCloud,
  sameAzureCloud,
  type AzureCloud,
} from '../../lambdas/domain/azure-rules';

type Definitions = Record<string, { properties?: Record<string, { enum?: string[] }> }>;
const spec = readFileSync(new URL('../../lambdas/services/palette/spec/openapi-subset.json', import.meta.url), 'utf8');
const definitions = (JSON.parse(spec) as { definitions: Definitions }).definitions;

describe('the clouds are exactly the spec\'s', () => {
  it("every azureEnvironment of v1AzureCloudAccount, and every clientCloud of the backup location's credentials", () => {
    expect([...AZURE_CLOUDS].sort()).toEqual([...(definitions.v1AzureCloudAccount?.properties?.azureEnvironment?.enum ?? [])].sort());
    const clientClouds = definitions['v1.AzureAccountEntitySpec']?.properties?.clientCloud?.enum ?? [];
    expect([...new Set(AZURE_LOCATION_CLOUDS.map(locationClientCloud))].sort()).toEqual([...clientClouds].sort());
    // US Government Secret has no clientCloud: no backup location.
    expect(AZURE_LOCATION_CLOUDS).not.toContain('AzureUSSecretCloud');
  });
});

describe('azureGatewayRequirement, every cloud on SaaS and self-hosted', () => {
  const expected: Record<AzureCloud, [saas: string, selfHosted: string]> = {
    AzurePublicCloud: ['not-required', 'not-required'],
    AzureUSGovernmentCloud: ['required', 'if-public-accounts'],
    AzureUSGovernment: ['required', 'if-public-accounts'],
    AzureChinaCloud: ['not-required', 'not-required'],
    AzureUSSecretCloud: ['required', 'required'],
  };
  for (const cloud of AZURE_CLOUDS) {
    it(cloud, () => {
      expect([azureGatewayRequirement(cloud, false), azureGatewayRequirement(cloud, true)]).toEqual(expected[cloud]);
    });
  }
});

describe('azureCloudViolation over every cloud x SaaS/self-hosted x gateway x other Public Cloud accounts', () => {
  const cases = AZURE_CLOUDS.flatMap((cloud) =>
    [false, true].flatMap((selfHosted) =>
      [false, true].flatMap((hasGateway) => [[], ['zeta', 'alpha']].map((publicCloudAccounts) => ({ cloud, selfHosted, hasGateway, publicCloudAccounts }))),
    ),
  );

  it('follows the table: not on SaaS (cloud), then gateway always / US Government rule / never', () => {
    expect(cases).toHaveLength(40);
    for (const c of cases) {
      const rules = AZURE_CLOUD_RULES[c.cloud];
      const v = azureCloudViolation(c);
      const where = JSON.stringify(c);
      if (!c.selfHosted && !rules.onSaas) {
        expect(v, where).toEqual({ path: 'azure.cloudAccount.cloud', message: `${rules.label} (${c.cloud}) is available on Palette VerteX only, not on Palette SaaS` });
        continue;
      }
      const needs =
        !c.hasGateway &&
        (rules.gateway === 'always' || (rules.gateway === 'us-government' && (!c.selfHosted || c.publicCloudAccounts.length > 0)));
      expect(v?.path, where).toBe(needs ? 'azure.cloudAccount.privateCloudGateway' : undefined);
    }
  });

  it('the messages name the cloud and the reason', () => {
    expect(azureCloudViolation({ cloud: 'AzureUSGovernmentCloud', selfHosted: false, hasGateway: false })?.message).toBe(
      'required: on Palette SaaS an Azure US Government (AzureUSGovernmentCloud) account must use a private cloud gateway',
    );
    expect(azureCloudViolation({ cloud: 'AzureUSGovernment', selfHosted: false, hasGateway: false })?.message).toBe(
      'required: on Palette SaaS an Azure US Government (AzureUSGovernment) account must use a private cloud gateway',
    );
    expect(azureCloudViolation({ cloud: 'AzureUSSecretCloud', selfHosted: true, hasGateway: false })?.message).toBe(
      'required: an Azure US Government Secret (AzureUSSecretCloud) account must use a private cloud gateway',
    );
    expect(azureCloudViolation({ cloud: 'AzureUSGovernmentCloud', selfHosted: true, hasGateway: false, publicCloudAccounts: ['zeta', 'alpha'] })?.message).toBe(
      "required: this self-hosted Palette also has Azure Public Cloud accounts ('alpha', 'zeta'), so an Azure US Government (AzureUSGovernmentCloud) account must use a private cloud gateway",
    );
  });

  it('lists at most five account names', () => {
    const v = azureCloudViolation({ cloud: 'AzureUSGovernmentCloud', selfHosted: true, hasGateway: false, publicCloudAccounts: ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7'] });
    expect(v?.message).toContain("('a1', 'a2', 'a3', 'a4', 'a5', and 2 more)");
  });
});

describe('gatewayRef: the field the gateway was given in', () => {
  it('privateCloudGateway.name / .uid, or the earlier privateCloudGatewayUid; none', () => {
    expect(gatewayRef({ privateCloudGateway: { name: 'pcg-east' } })).toEqual({ by: 'name', value: 'pcg-east', field: 'azure.cloudAccount.privateCloudGateway.name' });
    expect(gatewayRef({ privateCloudGateway: { uid: 'u1' } })).toEqual({ by: 'uid', value: 'u1', field: 'azure.cloudAccount.privateCloudGateway.uid' });
    expect(gatewayRef({ privateCloudGatewayUid: 'u2' })).toEqual({ by: 'uid', value: 'u2', field: 'azure.cloudAccount.privateCloudGatewayUid' });
    expect(gatewayRef({})).toBeUndefined();
  });
});

describe('which environments are the same cloud', () => {
  it('absent or empty is Palette default (Public Cloud); the two US Government spellings are one cloud', () => {
    for (const v of [undefined, '', 'AzurePublicCloud']) expect(isAzurePublicCloud(v)).toBe(true);
    for (const v of ['AzureUSGovernmentCloud', 'AzureUSGovernment', 'AzureChinaCloud', 'AzureUSSecretCloud']) expect(isAzurePublicCloud(v)).toBe(false);
    expect(sameAzureCloud('AzureUSGovernment', 'AzureUSGovernmentCloud')).toBe(true);
    expect(sameAzureCloud('AzureUSGovernmentCloud', 'AzureUSSecretCloud')).toBe(false);
    expect(sameAzureCloud('AzureChinaCloud', undefined)).toBe(false);
    expect(sameAzureCloud('SomethingNew', 'SomethingNew')).toBe(true);
  });

  it('backup locations: each cloud maps to its clientCloud', () => {
    expect(Object.fromEntries(AZURE_LOCATION_CLOUDS.map((c) => [c, locationClientCloud(c)]))).toEqual({
      AzurePublicCloud: 'public',
      AzureUSGovernmentCloud: 'azure-government',
      AzureUSGovernment: 'azure-government',
      AzureChinaCloud: 'azure-china',
    });
  });
});
