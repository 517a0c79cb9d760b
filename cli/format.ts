/**
 * Human-readable output shared by the CLI (deployed executions) and the local run: one line per state as it
 * runs, and the final summary (uids, ARNs, secret ARNs; never secret values).
 */
import { PRINCIPAL_PROPAGATION_ERRORS } from '../lambdas/shared/retryable-errors';
import { REGISTRATION_KEYS, REGISTRATIONS } from '../lambdas/domain/registrations';

/** Where output goes (process.stdout / stderr, or a test buffer). */
export interface Stream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export type StateStatus = 'started' | 'succeeded' | 'failed' | 'retried' | 'caught';

/** A state transition, whatever produced it (local runner progress or a deployed execution's history). */
export interface StateProgress {
  status: StateStatus;
  state: string;
  stateType?: string;
  /** Nesting (inside Parallel branches / Map iterations). */
  depth?: number;
  durationMs?: number;
  error?: string;
  cause?: string;
  attempt?: number;
  next?: string;
}

const useColor = (stream: { isTTY?: boolean }) => stream.isTTY === true && !process.env.NO_COLOR;

export interface Style {
  ok(s: string): string;
  bad(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export function style(stream: { isTTY?: boolean } = process.stdout): Style {
  const on = useColor(stream);
  const wrap = (code: string) => (s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { ok: wrap('32'), bad: wrap('31'), dim: wrap('2'), bold: wrap('1') };
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** errorMessage of a Lambda error document (the Cause Step Functions reports), else the text as is. */
export function describeCause(cause: string | undefined): string {
  if (cause === undefined || cause === '') return '';
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed === 'object' && parsed !== null && 'errorMessage' in parsed && typeof parsed.errorMessage === 'string') {
      return parsed.errorMessage;
    }
  } catch {
    // plain text
  }
  return cause;
}

/** One line for a state transition, or undefined when it is not worth a line (Pass/Choice starts). */
export function formatStateLine(p: StateProgress, s: Style = style({})): string | undefined {
  const indent = '  '.repeat(1 + (p.depth ?? 0));
  const name = p.state.padEnd(Math.max(28 - 2 * (p.depth ?? 0), p.state.length));
  const type = (p.stateType ?? '').padEnd(9);
  const took = p.durationMs !== undefined ? formatDuration(p.durationMs) : '';
  switch (p.status) {
    case 'started':
      // Quick states only get their end line; long-running kinds announce themselves.
      if (p.stateType !== 'Task' && p.stateType !== 'Wait' && p.stateType !== 'Parallel' && p.stateType !== 'Map') return undefined;
      return `${indent}${s.dim('…')} ${name} ${s.dim(type)} ${s.dim(p.stateType === 'Wait' ? 'waiting' : 'running')}`;
    case 'succeeded':
      return `${indent}${s.ok('✓')} ${name} ${s.dim(type)} ${took}`;
    case 'failed': {
      const why = describeCause(p.cause);
      // The readiness gate's probe: not a failure, the state is retried while IAM propagates.
      if (p.error !== undefined && (PRINCIPAL_PROPAGATION_ERRORS as readonly string[]).includes(p.error)) {
        return `${indent}${s.dim('…')} ${name} ${s.dim(type)} ${s.dim(`waiting for IAM propagation: ${truncate(why ?? p.error, 200)}`)}`;
      }
      return `${indent}${s.bad('✗')} ${name} ${s.dim(type)} ${took}  ${s.bad(p.error ?? 'failed')}${why ? `: ${truncate(why, 300)}` : ''}`;
    }
    case 'retried':
      return `${indent}${s.dim('↻')} ${name} ${s.dim(type)} retry #${p.attempt ?? '?'}`;
    case 'caught':
      return `${indent}${s.dim('↳')} ${name} ${s.dim(type)} error caught, continuing at ${p.next ?? '?'}`;
  }
}

const truncate = (t: string, max: number) => (t.length > max ? `${t.slice(0, max - 1)}…` : t);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Keys whose values are never printed, whatever object they appear in. */
const SECRET_KEY = /secret(?!arn|name)|password|apikey$|token|privatekey|credentials$/i;

function scalar(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return '-';
  return JSON.stringify(v);
}

function flags(r: Record<string, unknown>): string {
  const out: string[] = [];
  if (r.created === true) out.push('created');
  if (r.adopted === true) out.push('adopted');
  if (r.updated === true) out.push('updated');
  if (r.versionCreated === true) out.push('new policy version');
  if (r.created === false && r.adopted !== true && r.updated !== true && r.versionCreated !== true) out.push('unchanged');
  return out.length > 0 ? ` (${out.join(', ')})` : '';
}

/** A generic fallback: `key: value` lines for an object, skipping secret-looking keys. */
function genericLines(obj: Record<string, unknown>, indent: string): string[] {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (SECRET_KEY.test(k)) continue;
    if (isRecord(v)) lines.push(`${indent}${k}:`, ...genericLines(v, `${indent}  `));
    else lines.push(`${indent}${k}: ${scalar(v)}`);
  }
  return lines;
}

/**
 * The onboarding summary (the BuildSummary state's output) as text. Known fields get labelled lines; an
 * unexpected shape is printed generically. Values under secret-looking keys are never printed.
 */
export function formatSummary(summary: unknown, s: Style = style({})): string {
  if (!isRecord(summary)) return `  ${scalar(summary)}\n`;
  if (isPlatformSummary(summary)) return formatPlatformSummary(summary, s);
  const known = ['tenantId', 'bucket', 'policy', 'principal', ...REGISTRATION_KEYS];
  if (!known.some((k) => k in summary)) return `${genericLines(summary, '  ').join('\n')}\n`;
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(28)} ${value}`);
  row('tenant', `${scalar(summary.tenantId)}${summary.credentialMode ? ` (${scalar(summary.credentialMode)} mode)` : ''}`);
  if (summary.accountId === null) row('AWS account', s.dim('none (the request has no aws section)'));
  else if (summary.accountId !== undefined) {
    row('AWS account', `${scalar(summary.accountId)} ${scalar(summary.region)}${summary.partition && summary.partition !== 'aws' ? ` (${scalar(summary.partition)})` : ''}`);
  }
  if (summary.executionName !== undefined) row('execution', scalar(summary.executionName));
  const bucket = summary.bucket;
  if (isRecord(bucket)) row('bucket', `${scalar(bucket.bucketArn ?? bucket.bucketName)}${flags(bucket)}`);
  const policy = summary.policy;
  if (isRecord(policy)) {
    row('backup policy', `${scalar(policy.policyArn)}${policy.defaultVersionId ? ` [${scalar(policy.defaultVersionId)}]` : ''}${flags(policy)}`);
  }
  const principal = summary.principal;
  if (isRecord(principal)) {
    row(principal.kind === 'static' ? 'IAM user' : 'IAM role', `${scalar(principal.arn)}${flags(principal)}`);
    if (principal.accessKeyId !== undefined) row('access key id', scalar(principal.accessKeyId));
    if (principal.credentialsSecretArn !== undefined) row('access key secret ARN', scalar(principal.credentialsSecretArn));
  }
  // Every registration kind the request asked for (a skipped one is not worth a line), with the secret it wrote.
  for (const key of REGISTRATION_KEYS) {
    const part = summary[key];
    if (!isRecord(part)) continue;
    const label = `Palette ${REGISTRATIONS[key].label.replace(/^Palette /, '')}`;
    if (part.skipped === true) {
      if (key === 'cloudAccount' && summary.accountId !== null) row(label, s.dim('not registered (skipped)'));
      continue;
    }
    row(label, `${scalar(part.name)}  uid ${scalar(part.uid)}${flags(part)}`);
    for (const [secretKey, what] of [['privateKeySecretArn', 'private key'], ['valueSecretArn', 'key value']] as const) {
      if (part[secretKey] !== undefined) row(`  ${what} secret`, scalar(part[secretKey]));
    }
  }
  const v = summary.verification;
  if (isRecord(v)) {
    const count = isRecord(v.uids) ? Object.keys(v.uids).length : 0;
    const listed = count > 0 ? `, Palette lists ${count === 1 ? 'the registration' : `all ${count} registrations`}` : '';
    row('verified', v.ok === true ? s.ok(`yes${listed}`) : s.bad(scalar(v.ok)));
  }
  return `${lines.join('\n')}\n`;
}

/** The failure block: error name and the readable cause. */
export function formatFailure(status: string, error: string | undefined, cause: string | undefined, s: Style = style({})): string {
  const lines = [`  ${s.bad(status)}${error ? `: ${s.bold(error)}` : ''}`];
  const why = describeCause(cause);
  if (why) lines.push(...why.split('\n').map((l) => `  ${l}`));
  return `${lines.join('\n')}\n`;
}

/** The output of the PlatformSetup state machine (docs/platform-setup.md), as opposed to an onboarding summary. */
export function isPlatformSummary(summary: unknown): boolean {
  return isRecord(summary) && 'userArn' in summary && 'registration' in summary && !('tenantId' in summary);
}

/**
 * The platform setup summary (identifiers only: user ARN, key ids, secret ARN, Palette's STS account, the
 * reverse proxy's server and certificate subjects). `extra` rows are appended (e.g. what Palette reports to
 * tenants). Values under secret-looking keys are never printed.
 */
export function formatPlatformSummary(summary: Record<string, unknown>, s: Style = style({}), extra: [label: string, value: string][] = []): string {
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(24)} ${value}`);
  const paren = (parts: string[]) => (parts.length > 0 ? ` (${parts.join(', ')})` : '');
  if (summary.executionName !== undefined) row('execution', scalar(summary.executionName));
  if (summary.accountId !== undefined) {
    row('AWS account', `${scalar(summary.accountId)}${summary.partition && summary.partition !== 'aws' ? ` (${scalar(summary.partition)})` : ''}`);
  }
  const reg = isRecord(summary.registration) ? summary.registration : {};
  if (summary.stsAccountStatus === 'left-alone' || reg.leftAlone === true) {
    // Palette's STS account is someone else's: nothing of the principal was touched, nothing registered.
    const seen = isRecord(reg.paletteStsAccount) ? reg.paletteStsAccount : {};
    row(
      'Palette STS account',
      s.bad(`LEFT ALONE: account ${scalar(seen.accountId ?? '(none)')}, key ${scalar(seen.accessKeyId ?? '(none)')} is not this deployment's`),
    );
    if (seen.reason !== undefined) row('', `(${scalar(seen.reason)})`);
    row('', 'the STS principal was not created or changed; to replace that account: --take-over (deploy: platformStsTakeOver)');
    row('STS principal (IAM user)', `${scalar(summary.userArn)} ${s.dim('(not used)')}`);
    formatReverseProxyRows(summary, row, paren, s);
    for (const [label, value] of extra) row(label, value);
    return `${lines.join('\n')}\n`;
  }
  const principal = isRecord(summary.principal) ? summary.principal : {};
  row(
    'STS principal (IAM user)',
    `${scalar(summary.userArn)}${paren([
      principal.created === true ? 'created' : principal.created === false ? 'exists' : '',
      principal.policyUpdated === true ? 'policy updated' : principal.created === false ? 'policy unchanged' : '',
    ].filter((x) => x !== ''))}`,
  );
  const key = isRecord(summary.accessKey) ? summary.accessKey : {};
  const rotation = isRecord(summary.rotation) ? summary.rotation : {};
  const keyNotes =
    rotation.rotated === true
      ? [`rotated${rotation.previousAccessKeyId !== undefined ? ` from ${scalar(rotation.previousAccessKeyId)}` : ''}`]
      : rotation.resumed === true
        ? ['interrupted rotation resumed']
        : [key.created === true ? 'created' : key.created === false ? 'unchanged' : ''].filter((x) => x !== '');
  row('access key id', `${scalar(summary.accessKeyId)}${paren(keyNotes)}`);
  row('access key secret ARN', `${scalar(summary.accessKeySecretArn)}${key.secretCreated === true ? ' (created)' : ''}`);
  row(
    'Palette STS account',
    `${scalar(reg.accountId)}, key ${scalar(reg.accessKeyId)}${paren([
      reg.changed === true ? `set with ${scalar(reg.method ?? 'PUT')}` : reg.changed === false ? 'unchanged' : '',
      reg.verified === true ? 'read back and verified' : '',
    ].filter((x) => x !== ''))}`,
  );
  if (isRecord(reg.tookOver)) {
    row('', `took over from account ${scalar(reg.tookOver.accountId ?? '(none)')}, key ${scalar(reg.tookOver.accessKeyId ?? '(none)')} (not this deployment's)`);
  }
  if (reg.awsAccountMatches === false) row('', s.dim('GET /v1/system/config/aws/account reports a different key (a separate devops account)'));
  const cleanup = isRecord(summary.keyCleanup) ? summary.keyCleanup : {};
  const deleted = Array.isArray(cleanup.deleted) ? cleanup.deleted.map(scalar) : [];
  row('old keys deleted', deleted.length > 0 ? deleted.join(', ') : 'none');
  formatReverseProxyRows(summary, row, paren, s);
  for (const [label, value] of extra) row(label, value);
  return `${lines.join('\n')}\n`;
}

function formatReverseProxyRows(
  summary: Record<string, unknown>,
  row: (label: string, value: string) => void,
  paren: (parts: string[]) => string,
  s: Style,
): void {
  const proxy = isRecord(summary.reverseProxy) ? summary.reverseProxy : {};
  if (proxy.skipped === true) row('reverse proxy', s.dim('not managed (no reverse-proxy secret configured)'));
  else if (proxy.server !== undefined) {
    row(
      'reverse proxy',
      `${scalar(proxy.protocol)}://${scalar(proxy.server)}:${scalar(proxy.port)}${paren([
        proxy.changed === true ? 'configured' : proxy.changed === false ? 'unchanged' : '',
        proxy.verified === true ? 'read back and verified' : '',
      ].filter((x) => x !== ''))}`,
    );
    if (proxy.certSubject !== undefined) {
      row('', `client cert ${scalar(proxy.certSubject)} (CA ${scalar(proxy.caSubject)}), valid until ${scalar(proxy.certNotAfter)}`);
    }
  }
}
