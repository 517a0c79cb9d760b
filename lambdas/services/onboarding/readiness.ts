/**
 * The readiness gate: one round of Palette's own validation of the new credentials (the AWS cloud account, when the
 * plan registers one, and the S3 bucket). IAM changes propagate eventually, so a failed round is expected at first:
 * it throws PrincipalNotReady / PrincipalStillNotReady (Palette's reason as the message), which the state machine's
 * Retry on CheckReadiness waits out (lambdas/domain/readiness.ts: the schedule), until the budget is spent
 * (ReadinessTimeoutError). The cloud account's validation is Palette's verdict on an account it deploys clusters with (the sandbox's
 * Palette checks the principal's cluster permissions, aws.clusterPolicies); without a cloud account the bucket's
 * validation, with the same credentials, is the gate.
 */
import { nextWaitSeconds, readinessErrorName } from '../../domain/readiness';
import type { PaletteIdentity, AwsPlan, PrincipalResult, ReadinessResult } from '../../domain/workflow-state';
import { PrincipalNotReadyError, PrincipalStillNotReadyError, ReadinessTimeoutError } from '../../shared/errors';
import { PaletteValidationError } from '../palette';
import { paletteAwsCredentials } from './credentials';
import { paletteScope } from './palette';

export { nextWaitSeconds };

/** What an operator should check, given Palette's validation message. */
export function readinessHint(reason: string): string {
  if (/sts:AssumeRole|AssumeRole/i.test(reason)) {
    return "check the role's trust policy: it must trust Palette's account with this tenant's external ID";
  }
  if (/s3:|bucket/i.test(reason)) return 'check the backup policy attached to the principal and the bucket policy';
  if (/\b(ec2|elasticloadbalancing|autoscaling):[A-Za-z]+ denied\b/.test(reason)) {
    return "check the cluster policies attached to the principal (aws.clusterPolicies; with none, the adopted principal's own policies)";
  }
  if (/GetCallerIdentity|access key|InvalidClientTokenId/i.test(reason)) return 'check the stored access key';
  return 'check the credentials given to Palette';
}

export interface ReadinessInput {
  plan: AwsPlan;
  palette: PaletteIdentity;
  principal: PrincipalResult;
  /** This probe's number (1-based): Step Functions' `$$.State.RetryCount` + 1. */
  attempt: number;
  /** When the first probe ran (the state was entered: `$$.State.EnteredTime`). */
  firstCheckAt: string;
  now?: Date;
}

/** The probe's result when Palette accepts the credentials; else it throws (see the module comment). */
export async function checkReadiness(input: ReadinessInput): Promise<ReadinessResult & { elapsedSeconds: number }> {
  const { plan, principal, palette, attempt, firstCheckAt } = input;
  const now = input.now ?? new Date();
  const elapsed = Math.max(0, (now.getTime() - Date.parse(firstCheckAt)) / 1000);
  const elapsedSeconds = Math.round(elapsed);
  const credentials = await paletteAwsCredentials(plan, principal, palette);
  const clouds = paletteScope(plan).clouds;
  let reason: string;
  try {
    if (plan.registrations.cloudAccount) await clouds.validateAwsAccount(credentials);
    await clouds.validateS3Bucket({ bucket: plan.bucketName, region: plan.target.region, credentials });
    return { ready: true, attempt, firstCheckAt, waitSeconds: 0, elapsedSeconds };
  } catch (e) {
    // Only Palette's verdict on the credentials means "not ready yet"; anything else is a real failure.
    if (!(e instanceof PaletteValidationError)) throw e;
    reason = e.message;
  }
  const what = principal.kind === 'sts' ? 'role' : 'access key';
  if (elapsed + nextWaitSeconds(attempt) > plan.readinessTimeoutSeconds) {
    throw new ReadinessTimeoutError(
      `Palette still rejects the ${what} for tenant ${plan.tenantId} after ${attempt} attempts in ${Math.round(elapsed)} s ` +
        `(budget ${plan.readinessTimeoutSeconds} s): ${reason} — ${readinessHint(reason)}`,
    );
  }
  const message = `readiness check ${attempt} not yet (${Math.round(elapsed)} s): ${reason}`;
  throw readinessErrorName(attempt) === 'PrincipalNotReady' ? new PrincipalNotReadyError(message) : new PrincipalStillNotReadyError(message);
}
