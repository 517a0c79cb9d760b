/**
 * RecordDrift (one Map iteration of the Re-validation state machine): the check's findings go to the tenant registry
 * (`drift`, status DRIFTED or ACTIVE) unless the tenant changed since it was checked; with `remediate`, a drifted
 * tenant's remediation (its latest onboarding request, run again) is prepared for the StartRemediation state.
 */
import * as z from 'zod';
import { FindingSchema, remediableFindings, remediationOf, type Remediation, type TenantOutcome } from '../domain/drift';
import { ExecutionSchema } from '../domain/workflow-state';
import { withDeadline } from '../shared/deadline';
import { parseState } from '../shared/handler';
import { logger } from '../shared/logger';
import { recordDriftFindings } from '../shared/metrics';
import { recordDrift } from '../services/registry/revalidation';

const Input = z.looseObject({
  execution: ExecutionSchema,
  check: z.looseObject({
    tenantId: z.string(),
    outcome: z.literal('checked'),
    version: z.number().int(),
    checkedAt: z.string(),
    findings: z.array(FindingSchema),
  }),
  remediate: z.boolean(),
});

export interface RecordDriftResult {
  recorded: boolean;
  /** The tenant's outcome in the run's output. */
  summary: TenantOutcome;
  /** Present only when the onboarding is to run again (StartRemediation). */
  remediation?: Remediation;
}

async function handle(event: unknown): Promise<RecordDriftResult> {
  const { execution, check, remediate } = parseState(Input, event, 'record-drift');
  const now = new Date();
  const written = await recordDrift(
    { tenantId: check.tenantId, executionName: execution.name, version: check.version, checkedAt: check.checkedAt, findings: check.findings },
    now,
  );
  const n = check.findings.length;
  // The DriftFindings metric (alarm: cdk/lib/constructs/onboarding-alarms.ts) counts what was recorded.
  if (written.recorded) recordDriftFindings(n, check.tenantId);
  const outcome = !written.recorded ? 'skipped' : n > 0 ? 'drifted' : 'ok';
  const remediation = written.recorded && remediate ? remediationOf(written.request, check.findings, now) : undefined;
  let reason = written.reason;
  if (outcome === 'drifted' && remediate && !remediation) {
    reason =
      remediableFindings(check.findings).length === 0
        ? 'not remediated: running the onboarding again repairs none of the findings'
        : 'not remediated: the registry holds no onboarding request for the tenant';
  }
  const summary: TenantOutcome = {
    tenantId: check.tenantId,
    outcome,
    findings: n,
    ...(written.status ? { status: written.status } : {}),
    ...(reason ? { reason } : {}),
  };
  logger.info(written.recorded ? 'Re-validation recorded' : 'Re-validation not recorded', {
    executionName: execution.name,
    ...summary,
    ...(remediation ? { remediation: remediation.executionName } : {}),
  });
  return { recorded: written.recorded, summary, ...(remediation ? { remediation } : {}) };
}

export const handler = withDeadline(handle);
