/**
 * One tenant's re-validation (RevalidateTenant, README "Re-validation"), read-only: from the plan of its latest
 * onboarding and its registry record, what is there now in the tenant account (session scope `revalidate`) and in
 * Palette, compared by lambdas/domain/drift.ts. A tenant an execution holds is skipped (it may be changing right now).
 *
 * Transient failures (throttling, 5xx, resets) are thrown with their retryable names, so the state's Retry rides them
 * out; a permanent one (e.g. Palette refuses the API key) ends this tenant's check as `failed` with the reason, and
 * the other tenants of the run are checked all the same.
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import {
  bucketFindings,
  MAX_REASON,
  policyFindings,
  roleFindings,
  userFindings,
  type Finding,
  type RevalidationSettings,
} from '../../domain/drift';
import { resourceKey } from '../../domain/names';
import { backupPolicyDocument } from '../../domain/policies';
import { tenantSession } from '../../domain/session-policies';
import type { TenantRecord } from '../../domain/tenant-record';
import { hasAwsPart, type PaletteIdentity, type Plan } from '../../domain/workflow-state';
import { tenantClient } from '../../shared/aws-clients';
import { classifyAwsError } from '../../shared/errors';
import { hasClassifiedName, isRetryableError } from '../../shared/retryable-errors';
import { logger } from '../../shared/logger';
import { readPaletteIdentity } from '../onboarding/identity';
import { revalidationSubject } from '../registry/revalidation';
import { observeBucket, observePolicy, observeRole, observeUser } from './aws';
import { paletteValidationFindings, recordedPrincipal, registrationsFindings } from './palette';

export interface TenantCheck {
  tenantId: string;
  /** checked: `findings` is the whole truth; skipped: not checked now (`reason`); failed: a check could not be made (`reason`). */
  outcome: 'checked' | 'skipped' | 'failed';
  /** The record's version the findings were made against (checked). */
  version?: number;
  checkedAt: string;
  findings: Finding[];
  reason?: string;
}

const bounded = (text: string) => (text.length <= MAX_REASON ? text : `${text.slice(0, MAX_REASON - 3)}...`);

export async function revalidateTenant(tenantId: string, executionName: string, settings: RevalidationSettings, now: Date = new Date()): Promise<TenantCheck> {
  const checkedAt = now.toISOString();
  const subject = await revalidationSubject(tenantId, now);
  if (!subject.eligible) return { tenantId, outcome: 'skipped', checkedAt, findings: [], reason: subject.reason };
  // Sessions are named after this execution (RoleSessionName; CloudTrail shows which run read what).
  const plan: Plan = { ...subject.plan, executionName };
  try {
    const findings = await collectFindings(plan, subject.record, settings, now);
    return { tenantId, outcome: 'checked', version: subject.record.version, checkedAt, findings };
  } catch (e) {
    const classified = hasClassifiedName(e) ? e : classifyAwsError(e);
    if (isRetryableError(classified)) throw classified;
    const reason = classified instanceof Error ? `${classified.name}: ${classified.message}` : String(classified);
    logger.warn('Tenant could not be re-validated', { executionName, tenantId, reason });
    return { tenantId, outcome: 'failed', checkedAt, findings: [], reason: bounded(reason) };
  }
}

async function collectFindings(plan: Plan, record: TenantRecord, settings: RevalidationSettings, now: Date): Promise<Finding[]> {
  // A tenant with no AWS part (its request has no aws section) has only its Palette registrations to check.
  if (!hasAwsPart(plan)) return registrationsFindings(plan, record, settings, now);
  const { accountId, partition, region } = plan.target;
  const session = tenantSession(plan, 'revalidate');
  const iam = tenantClient(IAMClient, plan.target, session);
  const adopted = (key: string) => record.resources[key]?.adopted === true;
  const marks = { tenantId: plan.tenantId, deploymentId: plan.deploymentId };
  const sts = plan.credentialMode === 'sts';
  const principalKey = sts ? resourceKey.role(accountId, plan.principalName) : resourceKey.user(accountId, plan.principalName);
  const bucketKey = resourceKey.bucket(partition, plan.bucketName);
  const policyKey = resourceKey.policy(accountId, plan.policyName);

  // Palette's identity is read now: its external ID for the tenant may have been rotated since the onboarding.
  const [bucket, role, user, identity] = await Promise.all([
    observeBucket(tenantClient(S3Client, plan.target, session, region), plan.bucketName),
    sts ? observeRole(iam, plan) : Promise.resolve(undefined),
    sts ? Promise.resolve(undefined) : observeUser(iam, plan),
    sts ? readPaletteIdentity(plan) : Promise.resolve(undefined),
  ]);
  const principal = role ?? user;
  const principalExists = principal !== undefined && 'exists' in principal && principal.exists;
  const policy = await observePolicy(iam, plan, principalExists);

  const findings: Finding[] = [
    ...bucketFindings(
      { key: bucketKey, bucketName: plan.bucketName, partition, versioning: plan.versioning, ...(plan.kmsKeyArn ? { kmsKeyArn: plan.kmsKeyArn } : {}), ...marks },
      bucket,
    ),
    ...policyFindings(
      {
        key: policyKey,
        policyArn: plan.policyArn,
        document: backupPolicyDocument({ partition, bucketName: plan.bucketName, ...(plan.kmsKeyArn ? { kmsKeyArn: plan.kmsKeyArn } : {}) }),
        principal: `${sts ? 'role' : 'user'} '${plan.principalName}'`,
        ...marks,
      },
      policy,
    ),
  ];
  if (role && identity) {
    findings.push(
      ...roleFindings(
        { key: principalKey, roleName: plan.principalName, partition, paletteAccountId: identity.accountId, externalId: identity.externalId, adopted: adopted(principalKey), ...marks },
        role,
      ),
    );
  }
  if (user) {
    findings.push(
      ...userFindings({ key: principalKey, userName: plan.principalName, rotationDays: settings.staticKeyRotationDays, ...marks }, user, now),
    );
  }

  findings.push(...(await registrationsFindings(plan, record, settings, now)));
  const credentials = recordedPrincipal(plan, record);
  if (credentials && principalExists) {
    const palette: PaletteIdentity = identity ?? { accountId: '', externalId: '', partition };
    findings.push(...(await paletteValidationFindings(plan, credentials, palette)));
  }
  return findings;
}
