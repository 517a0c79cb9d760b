/**
 * Terminal presentation of a local run, shared by `npm run demo` and `local/bin/run-local.ts` (which the
 * CLI's `start --local` runs): progress lines per state and the final summary, using the CLI's formatters.
 */
import { formatDuration, formatFailure, formatStateLine, formatSummary, style, type StateProgress, type Stream, type Style } from '../../cli/format';
import type { ProgressEvent } from './execute';
import { runOnboarding, type LocalRunResult, type LocalWorkflow } from './runner';
import type { SandboxLike } from './sandbox';

export function toStateProgress(e: ProgressEvent): StateProgress | undefined {
  switch (e.kind) {
    case 'state-started':
      return { status: 'started', state: e.state, stateType: e.stateType, depth: e.depth };
    case 'state-succeeded':
      return { status: 'succeeded', state: e.state, stateType: e.stateType, depth: e.depth, durationMs: e.durationMs };
    case 'state-failed':
      return { status: 'failed', state: e.state, stateType: e.stateType, depth: e.depth, durationMs: e.durationMs, error: e.error, cause: e.cause };
    case 'state-retried':
      return { status: 'retried', state: e.state, stateType: e.stateType, depth: e.depth, attempt: e.attempt };
    case 'state-caught':
      return { status: 'caught', state: e.state, stateType: e.stateType, depth: e.depth, next: e.next };
    default:
      return undefined;
  }
}

/** A progress callback printing one line per step / state to `out`. */
export function consoleReporter(out: Stream, s: Style = style(out)): (e: ProgressEvent) => void {
  return (e) => {
    const state = toStateProgress(e);
    if (state) {
      const line = formatStateLine(state, s);
      if (line) out.write(`${line}\n`);
      return;
    }
    switch (e.kind) {
      case 'synth':
      case 'prepare':
        out.write(`${s.dim('•')} ${e.message}\n`);
        break;
      case 'execution-started':
        out.write(`\n${s.bold(`Execution ${e.executionName}`)} ${s.dim(`on ${e.stateMachine}`)}\n`);
        break;
      case 'execution-finished':
        out.write(`${s.dim(`  execution ${e.status.toLowerCase()} after ${formatDuration(e.durationMs)}`)}\n`);
        break;
      case 'permission-denied':
        out.write(
          `${s.bad('  ✗ AccessDenied')} ${e.state ?? e.functionLogicalId}: ${e.action} on ${e.resource}${e.via ? ` (as ${e.via})` : ''} ${s.dim(`(${e.reason}; a missing permission of the synthesized role)`)}\n`,
        );
        break;
    }
  };
}

const FAILED_DETAIL_TYPE = 'Tenant Onboarding Failed';

/** The human-readable end of a run: summary on success; error, cause and compensation on failure. */
export function formatRunResult(run: LocalRunResult, s: Style): string {
  if (run.status === 'SUCCEEDED') return `\n${s.ok('Onboarding succeeded')}\n${formatSummary(run.output, s)}`;
  let text = `\n${s.bad('Onboarding failed')}\n${formatFailure(run.status, run.error, run.cause, s)}`;
  const failure = run.events.find((e) => e.detailType === FAILED_DETAIL_TYPE);
  const detail = failure?.detail as { compensation?: unknown } | undefined;
  if (detail?.compensation && typeof detail.compensation === 'object' && Object.keys(detail.compensation).length > 0) {
    text += `  ${s.bold('compensation')} (what this execution undid):\n`;
    text += formatSummary(detail.compensation, s)
      .split('\n')
      .map((l) => (l ? `  ${l}` : l))
      .join('\n');
  }
  return text;
}

/** The JSON document `--json` prints (no logs / history: they are for tests and debugging). */
export function runResultJson(run: LocalRunResult): Record<string, unknown> {
  return {
    status: run.status,
    executionName: run.executionName,
    executionArn: run.executionArn,
    ...(run.output !== undefined ? { output: run.output } : {}),
    ...(run.error !== undefined ? { error: run.error, cause: run.cause, errorMessage: run.errorMessage } : {}),
    durationMs: run.durationMs,
    events: run.events.map((e) => ({ detailType: e.detailType, source: e.source, eventBusName: e.eventBusName, detail: e.detail })),
  };
}

export interface RunAndReportOptions {
  sandbox: SandboxLike;
  workflow: LocalWorkflow;
  executionName?: string;
  /** Progress and human output go here. */
  out: Stream;
  /** Print handler logs as they are written. */
  verbose?: boolean;
}

/** Runs one onboarding with progress output; returns the result (the caller prints / exits). */
export async function runWithProgress(request: unknown, opts: RunAndReportOptions): Promise<LocalRunResult> {
  return runOnboarding(request, {
    sandbox: opts.sandbox,
    workflow: opts.workflow,
    ...(opts.executionName ? { executionName: opts.executionName } : {}),
    onProgress: consoleReporter(opts.out),
    onFixture: (line) => opts.out.write(`• ${line}\n`),
    echoLogs: opts.verbose === true,
  });
}
