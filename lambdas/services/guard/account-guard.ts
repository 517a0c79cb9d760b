/**
 * The account guard: which AWS accounts this deployment may onboard (stack config `allowedOrganizationId`,
 * `allowedOrganizationalUnitIds`, `allowedAccountIds`; env ALLOWED_ORGANIZATION_ID, ALLOWED_OU_IDS,
 * ALLOWED_ACCOUNT_IDS). Checked in ValidateRequest, before anything is created; IAM enforces the same rule on the
 * AssumeRole grant (cdk/lib/permissions.ts, `aws:ResourceOrgID` / `aws:ResourceOrgPaths` / `aws:ResourceAccount`).
 *
 * An account is allowed when it is
 * 1. the home account (no AssumeRole involved), or
 * 2. listed in allowedAccountIds, or
 * 3. a member of the allowed organization (organizations:DescribeAccount from the home account), ACTIVE, and, when
 *    OUs are configured, under one of them at any depth (organizations:ListParents up to the root). OUs without an
 *    organization id mean the home account's organization (organizations:DescribeOrganization).
 * With nothing configured only the home account may be onboarded (secure by default). A rejection is a
 * RequestValidationError on `aws.accountId` that names the reason; an Organizations call the home account may not
 * make (not the management account or a delegated administrator) is a ConfigurationError.
 */
import {
  AccessDeniedException,
  AccountNotFoundException,
  AWSOrganizationsNotInUseException,
  DescribeAccountCommand,
  DescribeOrganizationCommand,
  ListParentsCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import type { LambdaEnv } from '../../shared/env';
import { awsCall, ConfigurationError, RequestValidationError } from '../../shared/errors';

export interface AccountGuardConfig {
  homeAccountId: string;
  /** The organization whose accounts may be onboarded (absent: none, or the home account's when OUs are set). */
  organizationId?: string;
  /** Only accounts under one of these OUs (at any depth). */
  organizationalUnitIds: readonly string[];
  /** Accounts allowed whatever their organization. */
  accountIds: readonly string[];
}

/** Why an account is allowed. */
export type GuardDecision =
  | { allowed: true; reason: 'home-account' | 'listed' }
  | { allowed: true; reason: 'organization'; organizationId: string }
  | { allowed: true; reason: 'organizational-unit'; organizationId: string; organizationalUnitId: string };

export const NOTHING_CONFIGURED =
  'this deployment allows no tenant accounts yet: set allowedOrganizationId, allowedOrganizationalUnitIds or allowedAccountIds';

/** OU nesting is at most 5 levels deep (AWS quota); the walk stops well after that. */
const MAX_DEPTH = 10;

export function guardConfigFromEnv(env: Pick<LambdaEnv, 'HOME_ACCOUNT_ID' | 'ALLOWED_ORGANIZATION_ID' | 'ALLOWED_OU_IDS' | 'ALLOWED_ACCOUNT_IDS'>): AccountGuardConfig {
  return {
    homeAccountId: env.HOME_ACCOUNT_ID,
    ...(env.ALLOWED_ORGANIZATION_ID ? { organizationId: env.ALLOWED_ORGANIZATION_ID } : {}),
    organizationalUnitIds: env.ALLOWED_OU_IDS,
    accountIds: env.ALLOWED_ACCOUNT_IDS,
  };
}

const rejected = (accountId: string, why: string) =>
  new RequestValidationError([{ path: 'aws.accountId', message: `account ${accountId} may not be onboarded by this deployment: ${why}` }]);

/** Organizations errors that mean "this deployment cannot ask", not "this account is not allowed". */
async function organizations<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await awsCall(call);
  } catch (e) {
    if (e instanceof AccessDeniedException || (e instanceof Error && e.name === 'AccessDeniedException')) {
      throw new ConfigurationError(
        `account guard: organizations:${what} was denied; the deployment's home account must be the organization's management account or a delegated administrator for AWS Organizations (${e.message})`,
        { cause: e },
      );
    }
    if (e instanceof AWSOrganizationsNotInUseException || (e instanceof Error && e.name === 'AWSOrganizationsNotInUseException')) {
      throw new ConfigurationError(
        `account guard: the home account is not in an organization, but the deployment allows accounts by organization or OU (${e.message})`,
        { cause: e },
      );
    }
    throw e;
  }
}

/** The organization id in an account ARN `arn:<partition>:organizations::<management>:account/o-.../<id>`. */
const organizationOfArn = (arn: string | undefined): string | undefined => /:account\/(o-[a-z0-9]+)\//.exec(arn ?? '')?.[1];

/**
 * Throws RequestValidationError (field `aws.accountId`) when the deployment may not onboard `accountId`; otherwise
 * returns why it may.
 */
export async function checkTenantAccount(accountId: string, config: AccountGuardConfig, client: () => OrganizationsClient): Promise<GuardDecision> {
  if (accountId === config.homeAccountId) return { allowed: true, reason: 'home-account' };
  if (config.accountIds.includes(accountId)) return { allowed: true, reason: 'listed' };
  const byOrganization = config.organizationId !== undefined || config.organizationalUnitIds.length > 0;
  if (!byOrganization) {
    throw rejected(accountId, config.accountIds.length > 0 ? 'it is not in allowedAccountIds' : NOTHING_CONFIGURED);
  }
  const orgs = client();
  let homeOrganization: string | undefined;
  const homeOrganizationId = async (): Promise<string> => {
    homeOrganization ??= (await organizations('DescribeOrganization', () => orgs.send(new DescribeOrganizationCommand({})))).Organization?.Id;
    if (!homeOrganization) throw new ConfigurationError('account guard: DescribeOrganization returned no organization id');
    return homeOrganization;
  };
  const organizationId = config.organizationId ?? (await homeOrganizationId());

  // DescribeAccount finds only accounts of the caller's organization.
  let account;
  try {
    account = (await organizations('DescribeAccount', () => orgs.send(new DescribeAccountCommand({ AccountId: accountId })))).Account;
  } catch (e) {
    if (e instanceof AccountNotFoundException || (e instanceof Error && e.name === 'AccountNotFoundException')) {
      throw rejected(accountId, `it is not a member of organization ${organizationId}`);
    }
    throw e;
  }
  const memberOf = organizationOfArn(account?.Arn) ?? (await homeOrganizationId());
  if (memberOf !== organizationId) throw rejected(accountId, `it is not a member of organization ${organizationId}`);
  const state = account?.State ?? account?.Status;
  if (state !== undefined && state !== 'ACTIVE') throw rejected(accountId, `it is ${state} in organization ${organizationId}`);

  if (config.organizationalUnitIds.length === 0) return { allowed: true, reason: 'organization', organizationId };
  const ancestors: string[] = [];
  let child = accountId;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const parent = (await organizations('ListParents', () => orgs.send(new ListParentsCommand({ ChildId: child })))).Parents?.[0];
    if (!parent?.Id) break;
    ancestors.push(parent.Id);
    if (parent.Type !== 'ORGANIZATIONAL_UNIT') break;
    if (config.organizationalUnitIds.includes(parent.Id)) {
      return { allowed: true, reason: 'organizational-unit', organizationId, organizationalUnitId: parent.Id };
    }
    child = parent.Id;
  }
  throw rejected(
    accountId,
    `it is not under an allowed organizational unit (${config.organizationalUnitIds.join(', ')}); its parents: ${ancestors.join(' < ') || 'none'}`,
  );
}
