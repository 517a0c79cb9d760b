/**
 * Palette's IAM policies for deploying and managing clusters (README "Cluster policies"), as ONE table: every policy
 * Palette's docs ask the cloud account's principal to hold, the `aws.clusterPolicies` modes that include it, and where
 * its text comes from. The ensure / undo steps (lambdas/services/aws/policy.ts), the principal's attachments and the
 * ten-policy limit (lambdas/services/aws/principal.ts), the session policies and the plan all derive from it: a new
 * policy or mode is one entry here. Pure.
 *
 * Palette's docs (spectrocloud/librarium, docs/docs-content/clusters/public-cloud/aws/required-iam-policies/):
 * - "Core IAM Policies": PaletteControllerPolicy, PaletteControlPlanePolicy, PaletteNodesPolicy and
 *   PaletteDeploymentPolicy "include all the permissions needed for Palette to deploy and manage clusters on AWS";
 *   PaletteControllersEKSPolicy on top of them for EKS clusters.
 * - "Minimum Permissions Policies": least-privilege alternatives, dynamic (Palette creates the VPC resources) or static
 *   (clusters in an existing VPC). The mode names follow the docs' earlier single dynamic / static policies
 *   (`_aws-dynamic-permissions.mdx`, `_aws-static-permissions.mdx`, which include the CloudFormation stack actions);
 *   the current page splits each into an IaaS and an EKS variant: each would be one more entry here.
 * - "You can attach a maximum of ten managed policies to an IAM User or Role" (AWS's default quota): MAX_MANAGED_POLICIES.
 *
 * Every document fits one customer managed policy (IAM's limit: 6144 characters without whitespace; the largest,
 * PaletteControllerPolicy, is 3867): none had to be split (test/unit/cluster-policies.test.ts checks it).
 */
import { CLUSTER_POLICY_DOCUMENTS } from './cluster-policies-documents';
import { NAME_PREFIX, policyArn, resourceKey } from './names';
import type { PolicyDocument } from './policies';

/** `aws.clusterPolicies`: which of Palette's policies the principal gets. */
export const CLUSTER_POLICY_MODES = ['core', 'core+eks', 'minimal-dynamic', 'minimal-static', 'none'] as const;
export type ClusterPolicyMode = (typeof CLUSTER_POLICY_MODES)[number];

export const CLUSTER_POLICY_KEYS = ['controller', 'controlPlane', 'nodes', 'deployment', 'controllersEks', 'minimalDynamic', 'minimalStatic'] as const;
export type ClusterPolicyKey = (typeof CLUSTER_POLICY_KEYS)[number];

/** Where a document comes from: spectrocloud/librarium. */
export interface ClusterPolicySource {
  path: string;
  commit: string;
  /** The partial's own "Last Update" line. */
  lastUpdate: string;
}

export interface ClusterPolicy {
  /** The policy's name in Palette's docs (the IAM policy is named `palette-onboarding-<tenantId>-<paletteName>`). */
  paletteName: string;
  /** The modes that attach it. */
  modes: readonly ClusterPolicyMode[];
  source: ClusterPolicySource;
  document: PolicyDocument;
}

const CORE = ['core', 'core+eks'] as const satisfies readonly ClusterPolicyMode[];
const librarium = (partial: string, commit: string, lastUpdate: string): ClusterPolicySource => ({
  path: `_partials/permissions/${partial}`,
  commit,
  lastUpdate,
});

/**
 * Built in a function marked pure: a function that uses none of it (most do not) has neither the table nor the documents
 * (16 KB) in its bundle. esbuild drops an unused object literal, but not one that reads `CLUSTER_POLICY_DOCUMENTS.x` or
 * calls `librarium`, which it cannot tell are free of side effects (bench P3: cold start grows with the bundle).
 */
export const CLUSTER_POLICIES: Readonly<Record<ClusterPolicyKey, ClusterPolicy>> = /* @__PURE__ */ (() => ({
  controller: {
    paletteName: 'PaletteControllerPolicy',
    modes: CORE,
    source: librarium('_aws-controller-policy.mdx', '6367b9f3d743b831d5afc56314a30d0a24cabe1b', 'April 20, 2023'),
    document: CLUSTER_POLICY_DOCUMENTS.controller,
  },
  controlPlane: {
    paletteName: 'PaletteControlPlanePolicy',
    modes: CORE,
    source: librarium('_aws-control-plane-policy.mdx', '1728115250810f120fb5ee40fc207b3833aa386d', 'April 20, 2023'),
    document: CLUSTER_POLICY_DOCUMENTS.controlPlane,
  },
  nodes: {
    paletteName: 'PaletteNodesPolicy',
    modes: CORE,
    source: librarium('_aws-nodes-policy.mdx', '0b464ad7f1a3199ad461f03d9b52a65d608cf818', 'May 2, 2021'),
    document: CLUSTER_POLICY_DOCUMENTS.nodes,
  },
  deployment: {
    paletteName: 'PaletteDeploymentPolicy',
    modes: CORE,
    source: librarium('_aws-deployment-policy.mdx', '1728115250810f120fb5ee40fc207b3833aa386d', 'April 20, 2023'),
    document: CLUSTER_POLICY_DOCUMENTS.deployment,
  },
  controllersEks: {
    paletteName: 'PaletteControllersEKSPolicy',
    modes: ['core+eks'],
    source: librarium('_aws-eks-controller-policy.mdx', '072ee97eb0b9cfac7102ed48446f5f6f340219ae', 'October 9, 2026'),
    document: CLUSTER_POLICY_DOCUMENTS.controllersEks,
  },
  minimalDynamic: {
    paletteName: 'PaletteMinimumDynamicPermissions',
    modes: ['minimal-dynamic'],
    source: librarium('_aws-dynamic-permissions.mdx', 'e15770ca10721f2fd8872578193e75713ec110a8', 'May 25, 2025'),
    document: CLUSTER_POLICY_DOCUMENTS.minimalDynamic,
  },
  minimalStatic: {
    paletteName: 'PaletteMinimumStaticPermissions',
    modes: ['minimal-static'],
    source: librarium('_aws-static-permissions.mdx', 'e15770ca10721f2fd8872578193e75713ec110a8', 'May 25, 2025'),
    document: CLUSTER_POLICY_DOCUMENTS.minimalStatic,
  },
}))();

/** The policies of a mode, in table order. */
export const clusterPolicyKeys = (mode: ClusterPolicyMode): ClusterPolicyKey[] => CLUSTER_POLICY_KEYS.filter((k) => CLUSTER_POLICIES[k].modes.includes(mode));

/**
 * The default mode: `core` when the AWS cloud account is registered (Palette deploys clusters with it), else `none`
 * (the principal serves backups only).
 */
export const defaultClusterPolicyMode = (cloudAccountRegistered: boolean): ClusterPolicyMode => (cloudAccountRegistered ? 'core' : 'none');

/** The tenant's IAM policy for `key`: `palette-onboarding-<tenantId>-<PaletteName>` (at most 79 characters). */
export const clusterPolicyName = (tenantId: string, key: ClusterPolicyKey): string => `${NAME_PREFIX}-${tenantId}-${CLUSTER_POLICIES[key].paletteName}`;

/** Its ARN (under the project's IAM path). */
export const clusterPolicyArn = (partition: string, accountId: string, tenantId: string, key: ClusterPolicyKey): string =>
  policyArn(partition, accountId, clusterPolicyName(tenantId, key));

/** Its tenant registry key. */
export const clusterPolicyKey = (accountId: string, tenantId: string, key: ClusterPolicyKey): string => resourceKey.policy(accountId, clusterPolicyName(tenantId, key));

/**
 * Every cluster policy ARN of the tenant, as one pattern (the session policies name it): the names continue with
 * `Palette` after the tenant id, and tenant ids are lowercase, so no other tenant's name matches.
 */
export const clusterPolicyArnPattern = (partition: string, accountId: string, tenantId: string): string =>
  policyArn(partition, accountId, `${NAME_PREFIX}-${tenantId}-Palette*`);

/** The registry `part` of a cluster policy. */
export const CLUSTER_POLICY_PART = 'clusterPolicy';

/** AWS's default quota of managed policies attached to one IAM role or user (Palette's docs: "a maximum of ten"). */
export const MAX_MANAGED_POLICIES = 10;

export interface ManagedPolicyCount {
  /** How errors name the principal, e.g. "IAM role 'x' in account 1234". */
  principal: string;
  /** ARNs of the managed policies attached now. */
  attached: readonly string[];
  /** ARNs of the policies the onboarding attaches (backup policy and cluster policies). */
  wanted: readonly string[];
  limit?: number;
}

/**
 * Why attaching `wanted` would exceed the ten-policy limit, or undefined when it fits: the principal would hold its
 * attached policies plus those of `wanted` it does not hold yet. Checked before anything is attached.
 */
export function managedPolicyLimitProblem(c: ManagedPolicyCount): string | undefined {
  const limit = c.limit ?? MAX_MANAGED_POLICIES;
  const attached = new Set(c.attached);
  const missing = [...new Set(c.wanted)].filter((arn) => !attached.has(arn));
  const total = attached.size + missing.length;
  if (total <= limit) return undefined;
  const others = [...attached].filter((arn) => !c.wanted.includes(arn)).length;
  return (
    `${c.principal} would hold ${total} managed policies, more than IAM's limit of ${limit}: it has ${attached.size} attached ` +
    `(${others} of them not palette-onboarding's) and palette-onboarding would attach ${missing.length} more ` +
    `(${c.wanted.length} wanted: the backup policy and the aws.clusterPolicies policies); nothing was attached. ` +
    'Detach policies the principal does not need, choose fewer cluster policies (aws.clusterPolicies: minimal-dynamic, ' +
    'minimal-static or none), or combine policies into one customer managed policy'
  );
}

/** Names of the actions a document allows on `*` (the statements with Resource `*` and no condition). */
export function actionsOnAnyResource(document: PolicyDocument): string[] {
  const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return document.Statement.filter((s) => s.Effect === 'Allow' && s.Condition === undefined && list(s.Resource).includes('*')).flatMap((s) => list(s.Action));
}
