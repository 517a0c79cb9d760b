/**
 * `palette-onboard offboard <tenantId>`: the offboarding request from the command line, and how its result reads
 * (shared by the deployed mode and the `--local` script, local/bin/offboard.ts).
 */
import { parseOffboardingRequest, type OffboardingRequest } from '../lambdas/domain/offboarding-request';
import { RequestValidationError } from '../lambdas/shared/errors';
import type { Style } from './format';
import { RequestFileError } from './request';

/** The request for `tenantId` and the flags; RequestFileError (exit 2) naming the bad field. */
export function offboardingRequest(tenantId: string, flags: { deleteBucket?: boolean; purgeBucket?: boolean; force?: boolean }): OffboardingRequest {
  try {
    return parseOffboardingRequest({ tenantId, ...flags });
  } catch (e) {
    if (e instanceof RequestValidationError) throw new RequestFileError(e.message);
    throw e;
  }
}

interface Summary {
  tenantId?: unknown;
  status?: unknown;
  removed?: unknown;
  retained?: unknown;
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The offboarding's output (the state machine's summary) as lines: what was removed, what was kept and why. */
export function formatOffboardingSummary(output: unknown, s: Style): string {
  const o = (typeof output === 'object' && output !== null ? output : {}) as Summary;
  const removed = list(o.removed).map(String);
  const retained = list(o.retained).map((r) => (typeof r === 'object' && r !== null ? (r as { id?: unknown; reason?: unknown }) : { id: r }));
  const lines = [`  ${'tenant'.padEnd(12)} ${String(o.tenantId ?? '?')} (${String(o.status ?? '?')})`];
  lines.push(`  ${'removed'.padEnd(12)} ${removed.length === 0 ? s.dim('nothing') : ''}`);
  for (const id of removed) lines.push(`    ${id}`);
  lines.push(`  ${'retained'.padEnd(12)} ${retained.length === 0 ? s.dim('nothing') : ''}`);
  for (const r of retained) lines.push(`    ${String(r.id)}${r.reason ? s.dim(`  (${String(r.reason)})`) : ''}`);
  return `${lines.join('\n')}\n`;
}
