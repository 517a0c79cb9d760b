/**
 * Re-validation's reads in Palette (the plan's API key, tenant or project scope): each registration of the plan found
 * by name (the reconcilers' own `find`) and compared with the uid the registry records, the API key's expiry and
 * state, and Palette's own validate endpoints for the tenant's AWS credentials and bucket (what the readiness gate
 * asked at onboarding). Nothing is changed in Palette (a validation may leave Palette's probe object in the bucket,
 * as at onboarding).
 */
import {
  apiKeyFindings,
  paletteValidationFinding,
  presentFinding,
  registrationFindings,
  type Finding,
  type RevalidationSettings,
} from '../../domain/drift';
import { resourceKey, roleArn } from '../../domain/names';
import { REGISTRATION_KEYS, REGISTRATIONS, type RegistrationKey } from '../../domain/registrations';
import type { TenantRecord } from '../../domain/tenant-record';
import type { AwsPlan, PaletteIdentity, Plan, PrincipalResult } from '../../domain/workflow-state';
import { paletteAwsCredentials } from '../onboarding/credentials';
import { paletteScope } from '../onboarding/palette';
import { PaletteValidationError, type ApiKey } from '../palette';
import { RECONCILERS, registrationRegistryKey } from '../registrations';
import { lookupContext } from '../registrations/reconcile';
import type { Reconciler } from '../registrations/types';

/** Every registration of the plan is in Palette under its name, with the uid the registry records; the API key is current. */
export async function registrationsFindings(plan: Plan, record: TenantRecord, settings: RevalidationSettings, now: Date): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const key of REGISTRATION_KEYS) {
    const lookup = lookupContext(key, plan);
    if (!lookup) continue;
    const registryKey = registrationRegistryKey(plan, key, lookup.name);
    const r: Reconciler<RegistrationKey> = RECONCILERS[key];
    const found = await r.find(lookup);
    out.push(...registrationFindings(registryKey, REGISTRATIONS[key].label, lookup.name, record.resources[registryKey]?.id, found?.uid));
    if (key === 'apiKey' && found) {
      const apiKey = found.object as ApiKey;
      out.push(
        ...apiKeyFindings(
          registryKey,
          lookup.name,
          { ...(apiKey.spec?.expiry ? { expiry: apiKey.spec.expiry } : {}), ...(apiKey.status?.isActive !== undefined ? { isActive: apiKey.status.isActive } : {}) },
          settings.apiKeyExpiryWarningDays,
          now,
        ),
      );
    }
  }
  return out;
}

/**
 * The credentials Palette was given, as the registry records them: the role (sts) or the secret holding the static
 * key. Undefined when the registry does not record the principal (nothing to validate).
 */
export function recordedPrincipal(plan: AwsPlan, record: TenantRecord): PrincipalResult | undefined {
  const { accountId, partition } = plan.target;
  if (plan.credentialMode === 'sts') {
    const role = record.resources[resourceKey.role(accountId, plan.principalName)];
    const arn = role?.id ?? roleArn(partition, accountId, plan.principalName, plan.iamPath);
    return { kind: 'sts', arn, roleArn: arn, created: false };
  }
  const user = record.resources[resourceKey.user(accountId, plan.principalName)];
  const secret = record.resources[resourceKey.secret(plan.homeAccountId, plan.accessKeySecretName)];
  if (!user || !secret) return undefined;
  return { kind: 'static', arn: user.id, userName: plan.principalName, credentialsSecretArn: secret.id, created: false };
}

/**
 * Palette's own verdict on the tenant's credentials (`/v1/clouds/aws/account/validate`, when the plan registers the AWS
 * cloud account: Palette's verdict on an account it deploys clusters with) and, when they pass, on the bucket with
 * them (`/v1/clouds/aws/s3/validate`), as the readiness gate asked at onboarding. Only Palette's "invalid" answer
 * (PaletteValidationError) is a finding; anything else (throttling, an outage, a revoked API key) is thrown.
 */
export async function paletteValidationFindings(plan: AwsPlan, principal: PrincipalResult, palette: PaletteIdentity): Promise<Finding[]> {
  const principalKey = plan.credentialMode === 'sts' ? resourceKey.role(plan.target.accountId, plan.principalName) : resourceKey.user(plan.target.accountId, plan.principalName);
  let credentials;
  try {
    credentials = await paletteAwsCredentials(plan, principal, palette);
  } catch (e) {
    // The static key's secret was deleted (or scheduled for deletion) outside palette-onboarding.
    if (!(e instanceof Error && (e.name === 'ResourceNotFoundException' || e.name === 'InvalidRequestException'))) throw e;
    const secretKey = resourceKey.secret(plan.homeAccountId, plan.accessKeySecretName);
    return [presentFinding(secretKey, `secret '${plan.accessKeySecretName}' (the access key Palette uses) cannot be read: ${e.name}`)];
  }
  const clouds = paletteScope(plan).clouds;
  try {
    if (plan.registrations.cloudAccount) await clouds.validateAwsAccount(credentials);
  } catch (e) {
    if (!(e instanceof PaletteValidationError)) throw e;
    return [paletteValidationFinding(principalKey, `the ${plan.credentialMode === 'sts' ? 'role' : 'access key'} (AWS cloud account)`, e.message)];
  }
  try {
    await clouds.validateS3Bucket({ bucket: plan.bucketName, region: plan.target.region, credentials });
  } catch (e) {
    if (!(e instanceof PaletteValidationError)) throw e;
    return [paletteValidationFinding(resourceKey.bucket(plan.target.partition, plan.bucketName), `the bucket with the tenant's credentials`, e.message)];
  }
  return [];
}
