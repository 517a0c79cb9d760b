import { Aws, Validations, aws_iam as iam } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { DEFAULT_PALETTE_API_KEY_SECRET_NAME, type OnboardingConfig } from './config';

/**
 * What a workflow Lambda may touch, as named grants. Each handler gets only the grants its state needs
 * (see HANDLER_ACCESS in constructs/onboarding-functions.ts).
 *
 * Tenant accounts are reached ONLY through sts:AssumeRole on the configured execution role names. The
 * home-account grants exist for tenants whose account IS the home account (the plan's
 * `target.assumeRole === false`), and are limited to what this project creates there: IAM resources under
 * the path /palette-onboarding/, buckets named palette-backup-*, and secrets named palette-onboarding/<x>/<y>
 * (the per-tenant access-key secrets; the Palette API key secret is read-only).
 */
export type Access =
  | 'registryRead'
  | 'registryWrite'
  | 'paletteApiKey'
  | 'accessKeySecretRead'
  | 'accessKeySecretWrite'
  | 'assumeTenantRole'
  | 'homeBucketEnsure'
  | 'homeBucketUndo'
  | 'homePolicyEnsure'
  | 'homePolicyUndo'
  | 'homeRoleEnsure'
  | 'homeUserEnsure'
  | 'homePrincipalUndo';

/** Values substituted into ARN patterns: CloudFormation pseudo parameters, or cdk-nag's flattened names. */
interface ArnEnv {
  partition: string;
  account: string;
  region: string;
}
const DEPLOY_ENV: ArnEnv = { partition: Aws.PARTITION, account: Aws.ACCOUNT_ID, region: Aws.REGION };
/** How cdk-nag prints `{Ref: AWS::Partition}` etc. inside a finding id. */
const NAG_ENV: ArnEnv = { partition: '<AWS::Partition>', account: '<AWS::AccountId>', region: '<AWS::Region>' };

type ArnPattern = (env: ArnEnv) => string;

const IAM_PATH = 'palette-onboarding';
const rolePattern: ArnPattern = (e) => `arn:${e.partition}:iam::${e.account}:role/${IAM_PATH}/*`;
const userPattern: ArnPattern = (e) => `arn:${e.partition}:iam::${e.account}:user/${IAM_PATH}/*`;
const policyPattern: ArnPattern = (e) => `arn:${e.partition}:iam::${e.account}:policy/${IAM_PATH}/*`;
const bucketPattern: ArnPattern = (e) => `arn:${e.partition}:s3:::palette-backup-*`;
/** palette-onboarding/<tenantId>/aws-access-key (+ the 6-character suffix Secrets Manager appends). */
const accessKeySecretPattern: ArnPattern = (e) =>
  `arn:${e.partition}:secretsmanager:${e.region}:${e.account}:secret:palette-onboarding/*/*`;

interface Grant {
  sid: string;
  actions: string[];
  resources: ArnPattern[];
  conditions?: (env: ArnEnv) => Record<string, Record<string, string | string[]>>;
  /** Why the wildcard in `resources` is needed (cdk-nag AwsSolutions-IAM5 acknowledgement). */
  wildcardReason?: string;
}

const attachOnlyOurPolicies = (e: ArnEnv) => ({ ArnLike: { 'iam:PolicyARN': policyPattern(e) } });

const BUCKET_READ = [
  's3:ListBucket',
  's3:ListBucketVersions',
  's3:ListBucketMultipartUploads',
  's3:GetBucketLocation',
  's3:GetBucketTagging',
  's3:GetBucketVersioning',
  's3:GetEncryptionConfiguration',
  's3:GetBucketPublicAccessBlock',
  's3:GetBucketOwnershipControls',
  's3:GetLifecycleConfiguration',
  's3:GetBucketPolicy',
  's3:GetBucketObjectLockConfiguration',
];

/** Resources the stack creates that grants refer to. */
export interface AccessRefs {
  /** The tenant registry table's ARN. */
  registryTableArn: string;
}

const REGISTRY_READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem'];

function grantsFor(access: Access, config: OnboardingConfig, refs: AccessRefs): Grant[] {
  switch (access) {
    case 'registryRead':
      return [{ sid: 'ReadTenantRegistry', actions: REGISTRY_READ, resources: [() => refs.registryTableArn] }];
    case 'registryWrite':
      return [
        {
          sid: 'WriteTenantRegistry',
          actions: [...REGISTRY_READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
          resources: [() => refs.registryTableArn],
        },
      ];
    case 'paletteApiKey': {
      const arn = config.paletteApiKeySecretArn;
      return [
        {
          sid: 'ReadPaletteApiKey',
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
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
      ];
    }
    case 'accessKeySecretRead':
      return [
        {
          sid: 'ReadTenantAccessKeySecrets',
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          resources: [accessKeySecretPattern],
          wildcardReason:
            'Per-tenant access-key secrets palette-onboarding/<tenantId>/aws-access-key are created at run time for tenants not known at deploy time.',
        },
      ];
    case 'accessKeySecretWrite':
      return [
        {
          sid: 'ManageTenantAccessKeySecrets',
          actions: [
            'secretsmanager:CreateSecret',
            'secretsmanager:PutSecretValue',
            'secretsmanager:UpdateSecret',
            'secretsmanager:DescribeSecret',
            'secretsmanager:GetSecretValue',
            'secretsmanager:TagResource',
            'secretsmanager:UntagResource',
            'secretsmanager:DeleteSecret',
          ],
          resources: [accessKeySecretPattern],
          wildcardReason:
            'Per-tenant access-key secrets palette-onboarding/<tenantId>/aws-access-key are created at run time; the two-level pattern excludes the Palette API key secret palette-onboarding/palette-api-key.',
        },
      ];
    case 'assumeTenantRole':
      return [
        {
          sid: 'AssumeTenantExecutionRole',
          actions: ['sts:AssumeRole'],
          resources: config.allowedExecutionRoleNames.map(
            (name): ArnPattern =>
              (e) => `arn:${e.partition}:iam::*:role/${name}`,
          ),
          wildcardReason:
            'Tenant accounts are not known at deploy time; AssumeRole is limited to the configured execution role names (allowedExecutionRoleNames).',
        },
      ];
    case 'homeBucketEnsure':
      return [
        {
          sid: 'EnsureHomeBackupBucket',
          actions: [
            ...BUCKET_READ,
            's3:CreateBucket',
            's3:PutBucketTagging',
            's3:PutBucketVersioning',
            's3:PutEncryptionConfiguration',
            's3:PutBucketPublicAccessBlock',
            's3:PutBucketOwnershipControls',
            's3:PutLifecycleConfiguration',
            's3:PutBucketPolicy',
          ],
          resources: [bucketPattern],
          wildcardReason:
            'Backup buckets palette-backup-<tenantId>-<account>-<region> are named per tenant at run time (home-account tenants only).',
        },
      ];
    case 'homeBucketUndo':
      return [
        {
          sid: 'UndoHomeBackupBucket',
          actions: [...BUCKET_READ, 's3:DeleteBucket'],
          resources: [bucketPattern],
          wildcardReason:
            'Backup buckets palette-backup-<tenantId>-<account>-<region> are named per tenant at run time (home-account tenants only).',
        },
        {
          // A bucket with no current objects still holds validation-probe versions and delete markers.
          sid: 'PurgeHomeBackupBucketVersions',
          actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
          resources: [(e) => `${bucketPattern(e)}/*`],
          wildcardReason:
            'Object versions of the per-tenant backup buckets palette-backup-*, deleted only when the bucket has no current objects and this execution created it.',
        },
      ];
    case 'homePolicyEnsure':
      return [
        {
          sid: 'EnsureHomeBackupPolicy',
          actions: [
            'iam:CreatePolicy',
            'iam:GetPolicy',
            'iam:GetPolicyVersion',
            'iam:ListPolicyVersions',
            'iam:CreatePolicyVersion',
            'iam:DeletePolicyVersion',
            'iam:SetDefaultPolicyVersion',
            'iam:TagPolicy',
            'iam:ListPolicyTags',
          ],
          resources: [policyPattern],
          wildcardReason:
            'Backup policies live under the IAM path /palette-onboarding/ and are named per tenant at run time (home-account tenants only).',
        },
      ];
    case 'homePolicyUndo':
      return [
        {
          sid: 'UndoHomeBackupPolicy',
          actions: [
            'iam:GetPolicy',
            'iam:GetPolicyVersion',
            'iam:ListPolicyVersions',
            'iam:ListPolicyTags',
            'iam:ListEntitiesForPolicy',
            'iam:DeletePolicyVersion',
            'iam:DeletePolicy',
          ],
          resources: [policyPattern],
          wildcardReason:
            'Backup policies live under the IAM path /palette-onboarding/ and are named per tenant at run time (home-account tenants only).',
        },
        {
          sid: 'DetachHomeBackupPolicy',
          actions: ['iam:DetachRolePolicy', 'iam:DetachUserPolicy'],
          resources: [rolePattern, userPattern],
          conditions: attachOnlyOurPolicies,
          wildcardReason:
            'Principals live under the IAM path /palette-onboarding/ and are named per tenant at run time; only our policies may be detached (iam:PolicyARN condition).',
        },
      ];
    case 'homeRoleEnsure':
      return [
        {
          sid: 'EnsureHomePaletteRole',
          actions: [
            'iam:CreateRole',
            'iam:GetRole',
            'iam:UpdateAssumeRolePolicy',
            'iam:UpdateRole',
            'iam:TagRole',
            'iam:ListRoleTags',
            'iam:ListAttachedRolePolicies',
          ],
          resources: [rolePattern],
          wildcardReason:
            'Palette roles live under the IAM path /palette-onboarding/ and are named per tenant at run time (home-account tenants only).',
        },
        {
          sid: 'AttachOurPolicyToHomeRole',
          actions: ['iam:AttachRolePolicy'],
          resources: [rolePattern],
          conditions: attachOnlyOurPolicies,
          wildcardReason:
            'Palette roles live under the IAM path /palette-onboarding/; only policies under the same path may be attached (iam:PolicyARN condition).',
        },
      ];
    case 'homeUserEnsure':
      return [
        {
          sid: 'EnsureHomePaletteUser',
          actions: [
            'iam:CreateUser',
            'iam:GetUser',
            'iam:TagUser',
            'iam:ListUserTags',
            'iam:ListAttachedUserPolicies',
            'iam:CreateAccessKey',
            'iam:ListAccessKeys',
            'iam:UpdateAccessKey',
            'iam:DeleteAccessKey',
          ],
          resources: [userPattern],
          wildcardReason:
            'Palette users live under the IAM path /palette-onboarding/ and are named per tenant at run time (home-account tenants only).',
        },
        {
          sid: 'AttachOurPolicyToHomeUser',
          actions: ['iam:AttachUserPolicy'],
          resources: [userPattern],
          conditions: attachOnlyOurPolicies,
          wildcardReason:
            'Palette users live under the IAM path /palette-onboarding/; only policies under the same path may be attached (iam:PolicyARN condition).',
        },
      ];
    case 'homePrincipalUndo':
      return [
        {
          sid: 'UndoHomePaletteRole',
          actions: [
            'iam:GetRole',
            'iam:ListRoleTags',
            'iam:ListAttachedRolePolicies',
            'iam:ListRolePolicies',
            'iam:DeleteRolePolicy',
            'iam:DeleteRole',
          ],
          resources: [rolePattern],
          wildcardReason:
            'Palette roles live under the IAM path /palette-onboarding/ and are named per tenant at run time (home-account tenants only).',
        },
        {
          sid: 'UndoHomePaletteUser',
          actions: [
            'iam:GetUser',
            'iam:ListUserTags',
            'iam:ListAttachedUserPolicies',
            'iam:ListUserPolicies',
            'iam:DeleteUserPolicy',
            'iam:ListAccessKeys',
            'iam:DeleteAccessKey',
            'iam:DeleteUser',
          ],
          resources: [userPattern],
          wildcardReason:
            'Palette users live under the IAM path /palette-onboarding/ and are named per tenant at run time (home-account tenants only).',
        },
        {
          sid: 'DetachFromHomePrincipal',
          actions: ['iam:DetachRolePolicy', 'iam:DetachUserPolicy'],
          resources: [rolePattern, userPattern],
          conditions: attachOnlyOurPolicies,
          wildcardReason:
            'Principals live under the IAM path /palette-onboarding/; only our policies may be detached (iam:PolicyARN condition).',
        },
      ];
  }
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
  for (const access of accesses) {
    for (const grant of grantsFor(access, config, refs)) {
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
}

