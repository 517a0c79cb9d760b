/** Palette's STS identity: the AWS account it assumes roles from and this tenant's external ID. */
import type { AwsPlan, PaletteIdentity } from '../../domain/workflow-state';
import { ConfigurationError } from '../../shared/errors';
import { paletteScope } from './palette';

export async function readPaletteIdentity(plan: AwsPlan): Promise<PaletteIdentity> {
  const sts = await paletteScope(plan).clouds.getAwsAccountSts(plan.target.partition);
  if (!sts.accountId || !/^\d{12}$/.test(sts.accountId)) {
    throw new ConfigurationError(
      'Palette reports no AWS account for STS (on self-hosted Palette, run platform setup first: the instance STS account is not configured)',
    );
  }
  if (!sts.externalId) throw new ConfigurationError('Palette reports no external ID for this tenant');
  return { accountId: sts.accountId, externalId: sts.externalId, partition: plan.target.partition };
}
