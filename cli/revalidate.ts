/**
 * `palette-onboard revalidate [tenantId]`: the re-validation request from the command line, the findings of a run
 * (the run's output carries each tenant's outcome; the findings themselves are in the registry's `drift`, which the
 * run wrote), how they read, and the exit code. Shared by the deployed mode (cli/main.ts) and `--local`
 * (local/bin/revalidate.ts). Product code: no import from local/.
 */
import { parseRevalidationRequest, RevalidationSummarySchema, type RevalidationRequest, type RevalidationSummary } from '../lambdas/domain/drift';
import { RequestValidationError } from '../lambdas/shared/errors';
import type { Style } from './format';
import { RequestFileError } from './request';
import { readTenant, type Registry } from './tenants';

/** The request for the command line; RequestFileError (exit 2) naming a bad tenant id. */
export function revalidationRequest(tenantId: string | undefined, remediate: boolean): RevalidationRequest {
  try {
    return parseRevalidationRequest({ ...(tenantId !== undefined ? { tenantId } : {}), ...(remediate ? { remediate: true } : {}) });
  } catch (e) {
    if (e instanceof RequestValidationError) throw new RequestFileError(e.message);
    throw e;
  }
}

/** The run's output as the summary, or undefined when it is not one. */
export function revalidationSummary(output: unknown): RevalidationSummary | undefined {
  const parsed = RevalidationSummarySchema.safeParse(output);
  return parsed.success ? parsed.data : undefined;
}

export interface Finding {
  resource: string;
  check: string;
  reason: string;
}
/** Per tenant: its findings of this run (from the registry), or a note why they cannot be shown. */
export type RunFindings = Record<string, Finding[] | { unavailable: string }>;

/**
 * The findings the run recorded, read from the registry: each checked tenant's `drift` when this run wrote it (a later
 * run may have replaced it already). Never fails: a tenant that cannot be read gets a note instead.
 */
export async function recordedFindings(reg: Registry | undefined, summary: RevalidationSummary, registryProblem?: string): Promise<RunFindings> {
  const out: RunFindings = {};
  for (const t of summary.tenants) {
    if (t.outcome !== 'drifted' && t.outcome !== 'ok') continue;
    if (!reg) {
      out[t.tenantId] = { unavailable: registryProblem ?? 'the tenant registry cannot be read' };
      continue;
    }
    try {
      const found = await readTenant(reg, t.tenantId);
      const drift = found.found === true ? found.record.drift : undefined;
      out[t.tenantId] =
        drift?.executionName === summary.executionName ? drift.findings : { unavailable: 'the registry holds another run\'s result now (palette-onboard status <tenantId>)' };
    } catch (e) {
      out[t.tenantId] = { unavailable: `cannot read the tenant registry: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
  return out;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** One line of the started remediation's outcome (local runs await it). */
export interface RemediationOutcome {
  executionName: string;
  status: string;
  error?: string;
}

/** The run, tenant by tenant: outcome, findings, remediation, skipped and failed ones with their reason. */
export function formatRevalidation(summary: RevalidationSummary, findings: RunFindings, s: Style, remediations: readonly RemediationOutcome[] = []): string {
  const count = (o: string) => summary.tenants.filter((t) => t.outcome === o).length;
  const lines = [
    `  ${summary.executionName}: ${plural(summary.tenants.length, 'tenant')} (${count('ok')} ok, ${count('drifted')} drifted, ${count('skipped')} skipped, ${count('failed')} failed)` +
      (summary.remediate ? ', remediating' : ''),
  ];
  const width = Math.max(8, ...summary.tenants.map((t) => t.tenantId.length));
  for (const t of summary.tenants) {
    const name = t.tenantId.padEnd(width);
    if (t.outcome === 'ok') lines.push(`  ${name}  ${s.ok('ACTIVE ')}  no drift`);
    else if (t.outcome === 'drifted') {
      lines.push(`  ${name}  ${s.bad('DRIFTED')}  ${plural(t.findings, 'finding')}${t.reason ? s.dim(` (${t.reason})`) : ''}`);
    } else if (t.outcome === 'skipped') lines.push(`  ${name}  ${s.dim('skipped')}  ${t.reason ?? ''}`);
    else lines.push(`  ${name}  ${s.bad('failed ')}  ${t.reason ?? t.error ?? 'could not be checked'}${t.error && !t.reason ? s.dim(' (the execution history has the cause)') : ''}`);
    const f = findings[t.tenantId];
    if (t.outcome === 'drifted' && f) {
      if ('unavailable' in f) lines.push(`    ${s.dim(`findings not shown: ${f.unavailable}`)}`);
      else for (const x of f) lines.push(`    ${x.check}  ${x.resource}`, `      ${x.reason}`);
    }
    if (t.remediation) {
      const done = remediations.find((r) => r.executionName === t.remediation);
      const how = done ? (done.status === 'SUCCEEDED' ? s.ok('SUCCEEDED') : `${s.bad(done.status)}${done.error ? ` ${done.error}` : ''}`) : 'started';
      lines.push(`    remediation  onboarding ${t.remediation} ${how}`);
    }
    if (t.remediationError) lines.push(`    remediation  ${s.bad('could not be started')}: ${t.remediationError}`);
  }
  for (const n of summary.notEligible) lines.push(`  ${n.tenantId.padEnd(width)}  ${s.dim('not re-validated')}  ${n.reason}`);
  if (summary.tenants.length === 0 && summary.notEligible.length === 0) lines.push(`  ${s.dim('no ACTIVE or DRIFTED tenant in the registry')}`);
  if (summary.deferred > 0) lines.push(`  ${s.dim(`${plural(summary.deferred, 'more tenant')} left for the next run (at most 500 per run)`)}`);
  return `${lines.join('\n')}\n`;
}

/**
 * 0: every tenant checked is healthy; 1: drift found, a tenant could not be checked, a named tenant was not checked
 * (not eligible, or held by an execution), or a remediation failed.
 */
export function revalidationExitCode(summary: RevalidationSummary, named: string | undefined, remediations: readonly RemediationOutcome[] = []): number {
  const bad = summary.tenants.some((t) => t.outcome === 'drifted' || t.outcome === 'failed' || t.remediationError !== undefined);
  const namedUnchecked = named !== undefined && !summary.tenants.some((t) => t.tenantId === named && (t.outcome === 'ok' || t.outcome === 'drifted'));
  return bad || namedUnchecked || remediations.some((r) => r.status !== 'SUCCEEDED') ? 1 : 0;
}
