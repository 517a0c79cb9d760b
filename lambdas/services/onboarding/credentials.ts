/** The AWS credentials Palette is given: the STS role + external ID, or the stored static access key. */
import * as z from 'zod';
import type { PaletteIdentity, AwsPlan, PrincipalResult } from '../../domain/workflow-state';
import { tenantSecretsClient } from '../../shared/aws-clients';
import { ConfigurationError } from '../../shared/errors';
import { readSecretJson } from '../../shared/secrets';
import type { AwsCloudAccount } from '../palette';

export const AccessKeySecretSchema = z.object({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1) });

/**
 * Builds the Palette credential spec. In static mode it carries the secret key, read through the tenant's secrets
 * session (`access-key-read`: this tenant's access key only): send it to Palette only, never return it.
 */
export async function paletteAwsCredentials(
  plan: AwsPlan,
  principal: PrincipalResult,
  palette: PaletteIdentity,
): Promise<AwsCloudAccount> {
  const partition = plan.target.partition;
  if (principal.kind === 'sts') {
    if (!principal.roleArn) throw new ConfigurationError('STS principal has no role ARN');
    return { credentialType: 'sts', partition, sts: { arn: principal.roleArn, externalId: palette.externalId } };
  }
  if (!principal.credentialsSecretArn) throw new ConfigurationError('static principal has no credentials secret ARN');
  const key = await readSecretJson(principal.credentialsSecretArn, AccessKeySecretSchema, tenantSecretsClient(plan, 'access-key-read'));
  return { credentialType: 'secret', partition, accessKey: key.accessKeyId, secretKey: key.secretAccessKey };
}

/** True when Palette's stored credentials (secret values masked on GET) match the wanted ones. */
export function sameCredentials(current: AwsCloudAccount | undefined, wanted: AwsCloudAccount): boolean {
  if (!current) return false;
  if ((current.credentialType ?? 'secret') !== wanted.credentialType) return false;
  if ((current.partition ?? 'aws') !== (wanted.partition ?? 'aws')) return false;
  if (wanted.credentialType === 'sts') {
    return current.sts?.arn === wanted.sts?.arn && current.sts?.externalId === wanted.sts?.externalId;
  }
  return current.accessKey === wanted.accessKey;
}
