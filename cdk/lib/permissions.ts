import { Aws, Validations, aws_iam as iam } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { SECRET_JOBS, type SecretJobName } from '../../lambdas/domain/secret-access';
import { TENANT_JOB_ACTIONS } from '../../lambdas/domain/session-policies';
import { DEFAULT_PALETTE_API_KEY_SECRET_NAME, type OnboardingConfig } from './config';
import { sessionTagConditions } from './constructs/tenant-secrets-access';

/**
 * What a workflow Lambda may touch, as named grants. Each handler gets only the grants its state needs
 * (HANDLERS and REGISTRATION_FUNCTIONS in constructs/onboarding-functions.ts), and each grant only the actions its
 * code calls (test/e2e/least-privilege.test.ts runs every path and compares).
 *
 * Tenant accounts are reached ONLY through sts:AssumeRole on the configured execution role names, and only in the
 * accounts the account guard allows (`aws:ResourceOrgID` / `aws:ResourceOrgPaths` / `aws:ResourceAccount`; no grant
 * at all when nothing is configured). Every session is narrowed further by its session policy
 * (lambdas/domain/session-policies.ts). The home-account grants exist for tenants whose account IS the home account
 * (the plan's `target.assumeRole === false`), and are limited to what this project creates there: IAM resources
 * under the path /palette-onboarding/ and buckets named palette-backup-*. No function may touch a tenant's secret
 * with its own role: it assumes the TenantSecretsAccess role (constructs/tenant-secrets-access.ts) with the session
 * tags tenant = the plan's tenant and job = its own secret job (lambdas/domain/secret-access.ts), which IAM checks
 * on sts:TagSession. The Palette API key secret is read-only.
 */
export type Access =
  | 'registryRead'
  | 'registryAcquire'
  | 'registryStep'
  | 'registryRelease'
  | 'registryReadTenant'
  | 'registryLease'
  | 'registryScan'
  | 'registryDrift'
  | 'paletteApiKey'
  | 'assumeTenantRole'
  | 'accountGuard'
  | TenantSecretsAccessGrant
  | 'homeBucketEnsure'
  | 'homeBucketUndo'
  | 'homePolicyEnsure'
  | 'homePolicyUndo'
  | 'homeClusterPoliciesEnsure'
  | 'homeClusterPoliciesUndo'
  | 'homeRoleEnsure'
  | 'homeUserEnsure'
  | 'homePrincipalUndo'
  | 'homeRevalidate';

/** Assume the TenantSecretsAccess role for one secret job (lambdas/domain/secret-access.ts). */
export type TenantSecretsAccessGrant = `tenantSecrets:${SecretJobName}`;

/** Values substituted into ARN patterns: CloudFormation pseudo parameters, or cdk-nag's flattened names. */
export interface ArnEnv {
  partition: string;
  account: string;
  region: string;
}
const DEPLOY_ENV: ArnEnv = { partition: Aws.PARTITION, account: Aws.ACCOUNT_ID, region: Aws.REGION };
/** How cdk-nag prints `{Ref: AWS::Partition}` etc. inside a finding id. */
const NAG_ENV: ArnEnv = { partition: '<AWS::Partition>', account: '<AWS::AccountId>', region: '<AWS::Region>' };

export type ArnPattern = (env: ArnEnv) => string;

const IAM_PATH = 'palette-onboarding';
const rolePath: ArnPattern = (e) => `arn:${e.partition}:iam::${e.account}:role/${IAM_PATH}/*`;
const userPath: ArnPattern = (e) => `arn:${e.partition}:iam::${e.account}:user/${IAM_PATH}/*`;
/**
 * Our roles / users are created under /palette-onboarding/; a look-up by name of one that does not exist yet
 * (GetRole before CreateRole) is authorized against the ARN without a path: `palette-onboarding-<tenantId>`.
 */
const rolePatterns: ArnPattern[] = [rolePath, (e) => `arn:${e.partition}:iam::${e.account}:role/${IAM_PATH}-*`];
const userPatterns: ArnPattern[] = [userPath, (e) => `arn:${e.partition}:iam::${e.account}:user/${IAM_PATH}-*`];
const policyPattern: ArnPattern = (e) => `arn:${e.partition}:iam::${e.account}:policy/${IAM_PATH}/*`;
const bucketPattern: ArnPattern = (e) => `arn:${e.partition}:s3:::palette-backup-*`;

type Conditions = Record<string, Record<string, string | string[]>>;

export interface Grant {
  sid: string;
  actions: string[];
  resources: ArnPattern[];
  conditions?: (env: ArnEnv) => Conditions;
  /** Why the wildcard in `resources` is needed (cdk-nag AwsSolutions-IAM5 acknowledgement). */
  wildcardReason?: string;
}

const attachOnlyOurPolicies = (e: ArnEnv) => ({ ArnLike: { 'iam:PolicyARN': policyPattern(e) } });

/**
 * The grant of a function whose code reaches a tenant's secrets: assume TenantSecretsAccess with exactly the session
 * tags tenant + job, the job being its own (a function may not claim another job's secrets).
 */
function tenantSecretsGrant(job: SecretJobName, refs: AccessRefs): Grant {
  return {
    sid: `AssumeTenantSecrets${SECRET_JOBS[job].sid}`,
    actions: ['sts:AssumeRole', 'sts:TagSession'],
    resources: [() => refs.tenantSecretsRoleArn],
    conditions: () => sessionTagConditions(job),
  };
}

/** Reserve Palette request slots in the shared rate table (the Palette-calling functions). */
function paletteRateGrant(tableArn: string): Grant {
  return { sid: 'ReservePaletteRateSlots', actions: ['dynamodb:UpdateItem'], resources: [() => tableArn] };
}

/** The AssumeRole grant of the account guard: one statement per configured mechanism (IAM ANDs inside a statement). */
function assumeTenantRoleGrants(config: OnboardingConfig): Grant[] {
  const actions = ['sts:AssumeRole', ...(config.setSourceIdentity ? ['sts:SetSourceIdentity'] : [])];
  const resources = config.allowedExecutionRoleNames.map((name): ArnPattern => (e) => `arn:${e.partition}:iam::*:role/${name}`);
  const wildcardReason =
    'Tenant accounts are not known at deploy time; AssumeRole is limited to the configured execution role names (allowedExecutionRoleNames) in the accounts the account guard allows (condition).';
  const grants: Grant[] = [];
  const ous = config.allowedOrganizationalUnitIds;
  if (ous.length > 0) {
    // Without an organization id, the OUs are the home account's organization's.
    const org = config.allowedOrganizationId ?? '${aws:PrincipalOrgID}';
    grants.push({
      sid: 'AssumeTenantRoleInAllowedOUs',
      actions,
      resources,
      conditions: () => ({ 'ForAnyValue:StringLike': { 'aws:ResourceOrgPaths': ous.map((ou) => `${org}/r-*/${ou}/*`) } }),
      wildcardReason,
    });
  } else if (config.allowedOrganizationId) {
    grants.push({
      sid: 'AssumeTenantRoleInAllowedOrganization',
      actions,
      resources,
      conditions: () => ({ StringEquals: { 'aws:ResourceOrgID': config.allowedOrganizationId as string } }),
      wildcardReason,
    });
  }
  if (config.allowedAccountIds.length > 0) {
    grants.push({
      sid: 'AssumeTenantRoleInAllowedAccounts',
      actions,
      resources,
      conditions: () => ({ StringEquals: { 'aws:ResourceAccount': [...config.allowedAccountIds] } }),
      wildcardReason,
    });
  }
  return grants;
}

/** What the account guard asks AWS Organizations (validate-request), only when it allows by organization or OU. */
function accountGuardGrants(config: OnboardingConfig): Grant[] {
  const ous = config.allowedOrganizationalUnitIds;
  if (!config.allowedOrganizationId && ous.length === 0) return [];
  const org = config.allowedOrganizationId ?? 'o-*';
  // Organizations ARNs name the management account, which the deployment does not know.
  const account: ArnPattern = (e) => `arn:${e.partition}:organizations::*:account/${org}/*`;
  const ou: ArnPattern = (e) => `arn:${e.partition}:organizations::*:ou/${org}/*`;
  const grants: Grant[] = [
    {
      sid: 'AccountGuardDescribeAccount',
      actions: ['organizations:DescribeAccount'],
      resources: [account],
      wildcardReason: `Account guard: any account of the allowed organization (${org}) may be asked about; the management account in the ARN is not known at deploy time.`,
    },
  ];
  if (ous.length > 0) {
    grants.push({
      sid: 'AccountGuardListParents',
      actions: ['organizations:ListParents'],
      resources: [account, ou],
      wildcardReason: `Account guard: the parents of an account and of its OUs up to the root (${org}); the management account in the ARN is not known at deploy time.`,
    });
  }
  if (!config.allowedOrganizationId) {
    grants.push({
      sid: 'AccountGuardDescribeOrganization',
      actions: ['organizations:DescribeOrganization'],
      resources: [() => '*'],
      wildcardReason: 'Account guard: organizations:DescribeOrganization (the home account\'s organization, for OUs configured without allowedOrganizationId) has no resource-level permissions.',
    });
  }
  return grants;
}

/** Resources the stack creates that grants refer to. */
export interface AccessRefs {
  /** The tenant registry table's ARN. */
  registryTableArn: string;
  /** The TenantSecretsAccess role's ARN. */
  tenantSecretsRoleArn: string;
  /** The shared Palette rate table's ARN (constructs/palette-rate-table.ts), when the stack has one. */
  paletteRateTableArn?: string;
}

/**
 * The tenant registry per use (lambdas/services/registry/): ValidateRequest reads the record and the name claims;
 * AcquireTenant binds (Put), takes the lease and claims names (Update), and reads a claim it lost (BatchGet); the
 * ensure / undo steps read the record and write intents and resources (Update); ReleaseTenant releases the lease
 * (Update) and the names it claimed for nothing (BatchGet, Delete). Offboarding: ValidateOffboarding reads the record
 * (Get), BeginOffboarding takes the lease (Update), FinishOffboarding reads the record, records the outcome and
 * releases the freed names (Get, Update, BatchGet, Delete). Re-validation: ListRevalidationTargets reads the named
 * tenant (Get) or scans for the ACTIVE and DRIFTED ones (Scan); RecordDrift writes the result (one conditional Update).
 */
const REGISTRY_ACTIONS = {
  registryRead: { sid: 'ReadTenantRegistry', actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'] },
  registryAcquire: { sid: 'AcquireTenant', actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem'] },
  registryStep: { sid: 'RecordTenantResources', actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] },
  registryRelease: { sid: 'ReleaseTenant', actions: ['dynamodb:UpdateItem', 'dynamodb:BatchGetItem', 'dynamodb:DeleteItem'] },
  /** ValidateOffboarding: the tenant's record only. */
  registryReadTenant: { sid: 'ReadTenantRecord', actions: ['dynamodb:GetItem'] },
  /** BeginOffboarding: one conditional update (the lease). */
  registryLease: { sid: 'TakeTenantLease', actions: ['dynamodb:UpdateItem'] },
  /** ListRevalidationTargets: every ACTIVE / DRIFTED tenant (a filtered Scan). */
  registryScan: { sid: 'ListTenants', actions: ['dynamodb:Scan'] },
  /** RecordDrift: one conditional update (drift, status). */
  registryDrift: { sid: 'RecordTenantDrift', actions: ['dynamodb:UpdateItem'] },
} as const;
const actionsOf = (list: readonly string[]) => [...list];

function grantsFor(access: Access, config: OnboardingConfig, refs: AccessRefs): Grant[] {
  const secrets = /^tenantSecrets:(.+)$/.exec(access);
  if (secrets) return [tenantSecretsGrant(secrets[1] as SecretJobName, refs)];
  switch (access) {
    case 'registryRead':
    case 'registryAcquire':
    case 'registryStep':
    case 'registryRelease':
    case 'registryReadTenant':
    case 'registryLease':
    case 'registryScan':
    case 'registryDrift': {
      const { sid, actions } = REGISTRY_ACTIONS[access];
      return [{ sid, actions: actionsOf(actions), resources: [() => refs.registryTableArn] }];
    }
    case 'paletteApiKey': {
      const arn = config.paletteApiKeySecretArn;
      return [
        {
          sid: 'ReadPaletteApiKey',
          // GetSecretValue only: the key is read by ARN or name, never described.
          actions: ['secretsmanager:GetSecretValue'],
          // A configured ARN may be complete or partial (without the random suffix): allow both forms.
          // Without one, the secret is known by name only, so the suffix is a wildcard.
          resources: arn
            ? [() => arn, () => `${arn}-??????`]
            : [
                (e) =>
                  `arn:${e.partition}:secretsmanager:${e.region}:${e.account}:secret:${DEFAULT_PALETTE_API_KEY_SECRET_NAME}-??????`,
              ],
          wildcardReason:
            'The Palette API key secret: "-??????" only matches the random 6-character suffix Secrets Manager appends to the secret name.',
        },
        // The functions with the API key are the ones that call Palette: each call reserves its slot in the shared rate
        // table (lambdas/services/palette/rate-governor-dynamodb.ts: conditional UpdateItem only, never a read).
        ...(refs.paletteRateTableArn ? [paletteRateGrant(refs.paletteRateTableArn)] : []),
      ];
    }
    case 'accountGuard':
      return accountGuardGrants(config);
    case 'assumeTenantRole':
      return assumeTenantRoleGrants(config);
    case 'homeBucketEnsure':
      return [
        {
          sid: 'EnsureHomeBackupBucket',
          actions: actionsOf(TENANT_JOB_ACTIONS.bucketEnsure),
          resources: [bucketPattern],
          wildcardReason:
            'Backup buckets palette-backup-<tenantId>-<account>-<region> are named per tenant at run time (home-account tenants only).',
        },
      ];
    case 'homeBucketUndo':
      return [
        {
          sid: 'UndoHomeBackupBucket',
          actions: actionsOf(TENANT_JOB_ACTIONS.bucketUndo),
          resources: [bucketPattern],
          wildcardReason:
            'Backup buckets palette-backup-<tenantId>-<account>-<region> are named per tenant at run time (home-account tenants only).',
        },
        {
          // A bucket with no current objects still holds validation-probe versions and delete markers.
          sid: 'PurgeHomeBackupBucketVersions',
          actions: actionsOf(TENANT_JOB_ACTIONS.bucketPurge),
          resources: [(e) => `${bucketPattern(e)}/*`],
          wildcardReason:
            'Object versions of the per-tenant backup buckets palette-backup-*, deleted only when the bucket has no current objects and this execution created it.',
        },
      ];
    case 'homePolicyEnsure':
      return [
        {
          sid: 'EnsureHomeBackupPolicy',
          actions: actionsOf(TENANT_JOB_ACTIONS.policyEnsure),
          resources: [policyPattern],
          wildcardReason:
            'Backup policies live under the IAM path /palette-onboarding/ and are named per tenant at run time (home-account tenants only).',
        },
      ];
    case 'homePolicyUndo':
      return [
        {
          sid: 'UndoHomeBackupPolicy',
          actions: actionsOf(TENANT_JOB_ACTIONS.policyUndo),
          resources: [policyPattern],
          wildcardReason:
            'Backup policies live under the IAM path /palette-onboarding/ and are named per tenant at run time (home-account tenants only).',
        },
        {
          sid: 'DetachHomeBackupPolicy',
          actions: actionsOf(TENANT_JOB_ACTIONS.detach),
          resources: [...rolePatterns, ...userPatterns],
          conditions: attachOnlyOurPolicies,
          wildcardReason:
            'Principals live under the IAM path /palette-onboarding/ and are named per tenant at run time; only our policies may be detached (iam:PolicyARN condition).',
        },
      ];
    case 'homeClusterPoliciesEnsure':
    case 'homeClusterPoliciesUndo': {
      const ensure = access === 'homeClusterPoliciesEnsure';
      return [
        {
          sid: ensure ? 'EnsureHomeClusterPolicies' : 'UndoHomeClusterPolicies',
          actions: actionsOf(ensure ? TENANT_JOB_ACTIONS.clusterPoliciesEnsure : TENANT_JOB_ACTIONS.clusterPoliciesUndo),
          resources: [policyPattern],
          wildcardReason:
            "Palette's cluster policies live under the IAM path /palette-onboarding/ and are named per tenant at run time (home-account tenants only).",
        },
        {
          sid: 'DetachHomeClusterPolicies',
          actions: actionsOf(TENANT_JOB_ACTIONS.detach),
          resources: [...rolePatterns, ...userPatterns],
          conditions: attachOnlyOurPolicies,
          wildcardReason:
            'Principals live under the IAM path /palette-onboarding/ and are named per tenant at run time; only our policies may be detached (iam:PolicyARN condition).',
        },
      ];
    }
    case 'homeRoleEnsure':
      return [
        {
          sid: 'EnsureHomePaletteRole',
          actions: actionsOf(TENANT_JOB_ACTIONS.roleEnsure),
          resources: rolePatterns,
          wildcardReason:
            'Palette roles live under the IAM path /palette-onboarding/ and are named per tenant at run time (home-account tenants only).',
        },
        {
          sid: 'AttachOurPolicyToHomeRole',
          actions: actionsOf(TENANT_JOB_ACTIONS.roleAttach),
          resources: rolePatterns,
          conditions: attachOnlyOurPolicies,
          wildcardReason:
            'Palette roles live under the IAM path /palette-onboarding/; only policies under the same path may be attached (iam:PolicyARN condition).',
        },
      ];
    case 'homeUserEnsure':
      return [
        {
          sid: 'EnsureHomePaletteUser',
          actions: actionsOf(TENANT_JOB_ACTIONS.userEnsure),
          resources: userPatterns,
          wildcardReason:
            'Palette users live under the IAM path /palette-onboarding/ and are named per tenant at run time (home-account tenants only).',
        },
        {
          sid: 'AttachOurPolicyToHomeUser',
          actions: actionsOf(TENANT_JOB_ACTIONS.userAttach),
          resources: userPatterns,
          conditions: attachOnlyOurPolicies,
          wildcardReason:
            'Palette users live under the IAM path /palette-onboarding/; only policies under the same path may be attached (iam:PolicyARN condition).',
        },
      ];
    case 'homePrincipalUndo':
      return [
        {
          sid: 'UndoHomePaletteRole',
          actions: actionsOf(TENANT_JOB_ACTIONS.roleUndo),
          resources: rolePatterns,
          wildcardReason:
            'Palette roles live under the IAM path /palette-onboarding/ and are named per tenant at run time (home-account tenants only).',
        },
        {
          sid: 'UndoHomePaletteUser',
          actions: actionsOf(TENANT_JOB_ACTIONS.userUndo),
          resources: userPatterns,
          wildcardReason:
            'Palette users live under the IAM path /palette-onboarding/ and are named per tenant at run time (home-account tenants only).',
        },
        {
          sid: 'DetachFromHomePrincipal',
          actions: actionsOf(TENANT_JOB_ACTIONS.detach),
          resources: [...rolePatterns, ...userPatterns],
          conditions: attachOnlyOurPolicies,
          wildcardReason:
            'Principals live under the IAM path /palette-onboarding/; only our policies may be detached (iam:PolicyARN condition).',
        },
      ];
    case 'homeRevalidate': {
      const reason = 'Re-validation reads (home-account tenants only): the per-tenant objects are named at run time under palette-backup-* and the IAM path /palette-onboarding/.';
      return [
        { sid: 'RevalidateHomeBucket', actions: actionsOf(TENANT_JOB_ACTIONS.revalidateBucket), resources: [bucketPattern], wildcardReason: reason },
        { sid: 'RevalidateHomePolicy', actions: actionsOf(TENANT_JOB_ACTIONS.revalidatePolicy), resources: [policyPattern], wildcardReason: reason },
        { sid: 'RevalidateHomeRole', actions: actionsOf(TENANT_JOB_ACTIONS.revalidateRole), resources: rolePatterns, wildcardReason: reason },
        { sid: 'RevalidateHomeUser', actions: actionsOf(TENANT_JOB_ACTIONS.revalidateUser), resources: userPatterns, wildcardReason: reason },
      ];
    }
    default:
      throw new Error(`unknown access ${access}`);
  }
}

/** The grants of `accesses`, each statement id once (two uses of one secret share its look-up statement). */
export function grantsOf(accesses: readonly Access[], config: OnboardingConfig, refs: AccessRefs): Grant[] {
  const bySid = new Map<string, Grant>();
  for (const access of accesses) {
    for (const grant of grantsFor(access, config, refs)) {
      if (!bySid.has(grant.sid)) bySid.set(grant.sid, grant);
    }
  }
  return [...bySid.values()];
}

/**
 * Adds the statements of the given grants to `principal`'s policy and, next to them, acknowledges the
 * cdk-nag IAM5 finding of each wildcard resource with the grant's reason (`ackScope` = the role).
 */
export function applyAccess(
  principal: iam.IPrincipal,
  ackScope: IConstruct,
  accesses: readonly Access[],
  config: OnboardingConfig,
  refs: AccessRefs,
): void {
  applyGrants(principal, ackScope, grantsOf(accesses, config, refs));
}

/** Adds the statements of `grants` to `principal`'s policy and acknowledges each wildcard resource (cdk-nag IAM5) on `ackScope`. */
export function applyGrants(principal: iam.IPrincipal, ackScope: IConstruct, grants: readonly Grant[]): void {
  for (const grant of grants) {
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: grant.sid,
        actions: grant.actions,
        resources: grant.resources.map((p) => p(DEPLOY_ENV)),
        ...(grant.conditions ? { conditions: grant.conditions(DEPLOY_ENV) } : {}),
      }),
    );
    for (const pattern of grant.resources) {
      const flattened = pattern(NAG_ENV);
      if (!flattened.includes('*')) continue;
      Validations.of(ackScope).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${flattened}]`,
        reason: grant.wildcardReason ?? `Resource pattern required by ${grant.sid}.`,
      });
    }
  }
}

/**
 * The event starter's AWS Organizations look-ups for account vending (README "Account vending"): the name of an
 * account whose event masks it (DescribeAccount), and, with `accountVendingTenantIdFrom: tag:<key>` only, its tags
 * (ListTagsForResource). The deployment runs in the organization's management account (its account vending rule
 * takes events of its own account only), so the account ARNs name the stack's account; the organization id is
 * not configured here (the account guard's is optional), hence `o-*`.
 */
export function accountVendingGrants(tenantIdFromTag: boolean): Grant[] {
  const accounts: ArnPattern = (e) => `arn:${e.partition}:organizations::${e.account}:account/o-*/*`;
  const reason = 'Account vending: any account of the organization this management account runs may be announced as new; its id is known only from the event.';
  return [
    { sid: 'AccountVendingDescribeAccount', actions: ['organizations:DescribeAccount'], resources: [accounts], wildcardReason: reason },
    ...(tenantIdFromTag ? [{ sid: 'AccountVendingListAccountTags', actions: ['organizations:ListTagsForResource'], resources: [accounts], wildcardReason: reason }] : []),
  ];
}
