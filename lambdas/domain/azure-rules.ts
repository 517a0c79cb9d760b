/**
 * Palette's rule for Azure US Government cloud accounts and private cloud gateways (PCG). Pure.
 *
 * - Palette SaaS: an Azure US Government account must use a PCG.
 * - Self-hosted Palette: it needs one only when the same installation also has an Azure Public Cloud account.
 * - Azure Public Cloud accounts may use a PCG but never need one.
 */
import type { AZURE_CLOUDS } from './registration-requests';

export type AzureCloud = (typeof AZURE_CLOUDS)[number];

/** The request field a missing gateway is reported on. */
export const AZURE_PCG_PATH = 'azure.cloudAccount.privateCloudGatewayUid';

/**
 * Whether a PCG is needed: `required`, `not-required`, or `if-public-accounts` (self-hosted US Government:
 * the caller must look at the installation's Azure accounts).
 */
export function azureGatewayRequirement(cloud: AzureCloud, selfHosted: boolean): 'required' | 'not-required' | 'if-public-accounts' {
  if (cloud !== 'AzureUSGovernmentCloud') return 'not-required';
  return selfHosted ? 'if-public-accounts' : 'required';
}

/** An account counts as Azure Public Cloud when its environment says so or is absent (Palette's default). */
export const isAzurePublicCloud = (azureEnvironment: string | undefined): boolean =>
  azureEnvironment === undefined || azureEnvironment === '' || azureEnvironment === 'AzurePublicCloud';

export interface AzureGatewayCheck {
  cloud: AzureCloud;
  selfHosted: boolean;
  privateCloudGatewayUid?: string;
  /** Names of the installation's other Azure Public Cloud accounts (self-hosted only; ignored otherwise). */
  publicCloudAccounts?: readonly string[];
}

/** The reason the account breaks the rule (a message for AZURE_PCG_PATH), or undefined when it complies. */
export function azureGatewayViolation(c: AzureGatewayCheck): string | undefined {
  if (c.privateCloudGatewayUid) return undefined;
  const requirement = azureGatewayRequirement(c.cloud, c.selfHosted);
  if (requirement === 'required') {
    return 'required: on Palette SaaS an Azure US Government (AzureUSGovernmentCloud) account must use a private cloud gateway';
  }
  if (requirement === 'if-public-accounts' && (c.publicCloudAccounts?.length ?? 0) > 0) {
    const names = [...(c.publicCloudAccounts ?? [])].sort();
    const shown = names.slice(0, 5).map((n) => `'${n}'`).join(', ') + (names.length > 5 ? `, and ${names.length - 5} more` : '');
    return (
      'required: this self-hosted Palette also has Azure Public Cloud accounts ' +
      `(${shown}), so an Azure US Government (AzureUSGovernmentCloud) account must use a private cloud gateway`
    );
  }
  return undefined;
}
