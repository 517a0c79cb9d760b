/**
 * The one list of retryable error names (lambdas/shared/retryable-errors.ts) against what the services can throw,
 * the retry schedule's arithmetic, and compensation: a transient Palette error during undo propagates with its
 * retryable name (the UndoRegistrations Retry rides it out); a permanent one is reported as "could not remove".
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ALL_RETRIED_ERRORS,
  KEY_PROPAGATION_ERRORS,
  LAMBDA_SERVICE_ERRORS,
  NAMED_PERMANENT_ERRORS,
  PRINCIPAL_PROPAGATION_ERRORS,
  OUTAGE_RIDE_OUT_SECONDS,
  PERMANENT_ERRORS,
  PROGRAMMING_ERRORS,
  RETRYABLE_ERRORS,
  RETRY_POLICY,
  TRANSIENT_ERRORS,
  cappedRetryDelays,
  isRetryableError,
} from '../../lambdas/shared/retryable-errors';
import { CompensationError, classifyAwsError } from '../../lambdas/shared/errors';
import { PALETTE_ERROR_NAMES, createPaletteError } from '../../lambdas/services/palette/errors';
import type { Plan } from '../../lambdas/domain/workflow-state';

// ---- compensation doubles: the Palette adapters, the client and the tenant registry ---------------------------
const reconcilers = vi.hoisted(() => ({}) as Record<string, { find: ReturnType<typeof vi.fn>; delete: ReturnType<typeof vi.fn> }>);
vi.mock('../../lambdas/services/registrations/kinds', () => ({ RECONCILERS: reconcilers }));
vi.mock('../../lambdas/services/onboarding/palette', () => ({ paletteClient: () => ({ project: () => ({}) }) }));
const ownership = vi.hoisted(() => ({ mayRemove: () => ({ remove: true }), removal: { mode: 'compensation' }, forget: async () => undefined }));
vi.mock('../../lambdas/services/registry/ownership', () => ({ TenantOwnership: { load: async () => ownership } }));
const { undoAllRegistrations } = await import('../../lambdas/services/registrations/reconcile');

const ROOT = join(__dirname, '..', '..');
const LAMBDAS = join(ROOT, 'lambdas');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}
const SOURCES = sourceFiles(LAMBDAS).map((file) => ({ file: relative(ROOT, file), text: readFileSync(file, 'utf8') }));

/** Error classes declared in lambdas/: class name -> { parent, the `name = '...'` it sets (if any), file }. */
function errorClasses(): Map<string, { parent: string; name?: string; file: string }> {
  const classes = new Map<string, { parent: string; name?: string; file: string }>();
  for (const { file, text } of SOURCES) {
    const decl = /class\s+(\w+)\s+extends\s+(\w+)\s*\{/g;
    for (let m = decl.exec(text); m; m = decl.exec(text)) {
      const [, cls, parent] = m as unknown as [string, string, string];
      // The class body: up to the next top-level closing brace (or `{}`).
      const rest = text.slice(m.index + m[0].length);
      const body = rest.startsWith('}') ? '' : rest.slice(0, rest.search(/\n\}/));
      const named = /\bname\s*=\s*'([^']+)'/.exec(body);
      classes.set(cls, { parent, file, ...(named?.[1] ? { name: named[1] } : {}) });
    }
  }
  // Keep only the Error family.
  const isError = (cls: string, seen = new Set<string>()): boolean => {
    if (cls === 'Error' || cls === 'NamedError') return true;
    const c = classes.get(cls);
    if (!c || seen.has(cls)) return false;
    seen.add(cls);
    return isError(c.parent, seen);
  };
  return new Map([...classes].filter(([cls]) => isError(cls)));
}

/** The error name a class reports: its `name = '...'`, or the name set on the prototype (Palette errors). */
function errorNameOf(cls: string, info: { name?: string }): string | undefined {
  if (info.name) return info.name;
  if ((PALETTE_ERROR_NAMES as readonly string[]).includes(cls)) return cls;
  return undefined;
}

const classified = new Set<string>([...RETRYABLE_ERRORS, ...KEY_PROPAGATION_ERRORS, ...PRINCIPAL_PROPAGATION_ERRORS, ...PERMANENT_ERRORS]);

describe('the retryable and permanent lists', () => {
  it('hold the Lambda service errors, the task timeout and the product transient errors; permanent names are never retried', () => {
    expect([...RETRYABLE_ERRORS]).toEqual(expect.arrayContaining([
      'Lambda.ServiceException',
      'Lambda.AWSLambdaException',
      'Lambda.SdkClientException',
      'Lambda.TooManyRequestsException',
      'Lambda.Unknown',
      'Sandbox.Timedout',
      'States.Timeout',
      'PaletteThrottledError',
      'PaletteServerError',
      'AwsThrottledError',
      'AwsTransientError',
    ]));
    expect([...RETRYABLE_ERRORS]).toEqual([...TRANSIENT_ERRORS, ...LAMBDA_SERVICE_ERRORS, 'States.Timeout']);
    for (const name of PERMANENT_ERRORS) expect(ALL_RETRIED_ERRORS, name).not.toContain(name);
    expect(new Set(PERMANENT_ERRORS).size).toBe(PERMANENT_ERRORS.length);
    expect(new Set(RETRYABLE_ERRORS).size).toBe(RETRYABLE_ERRORS.length);
    for (const wildcard of ['States.ALL', 'States.TaskFailed']) expect(ALL_RETRIED_ERRORS).not.toContain(wildcard);
  });

  it('every error name a service can throw is retryable or documented as permanent', () => {
    const classes = errorClasses();
    // The scan sees the registry and the other error modules (a broken regex would find nothing).
    expect([...classes.keys()]).toEqual(expect.arrayContaining(['CompensationError', 'PaletteServerError', 'AccessKeyNotReadyError', 'ReverseProxyValidationError']));
    const unclassified: string[] = [];
    for (const [cls, info] of classes) {
      const name = errorNameOf(cls, info);
      if (name === undefined) {
        if (cls !== 'NamedError') unclassified.push(`${cls} (${info.file}) sets no stable \`name\``);
        continue;
      }
      if (!classified.has(name)) unclassified.push(`${name} (class ${cls}, ${info.file})`);
    }
    // Every `new XxxError(` / `throw new Xxx(` in lambdas/: a declared class (its name) or a built-in (its own name).
    for (const { file, text } of SOURCES) {
      const thrown = /\bnew\s+(\w*Error)\s*\(|\bthrow\s+new\s+(\w+)\s*\(/g;
      for (let m = thrown.exec(text); m; m = thrown.exec(text)) {
        const cls = (m[1] ?? m[2]) as string;
        const info = classes.get(cls);
        const name = info ? errorNameOf(cls, info) : cls;
        if (name === undefined || !classified.has(name)) unclassified.push(`${name ?? cls} (new ${cls} in ${file})`);
      }
    }
    for (const name of PALETTE_ERROR_NAMES) if (!classified.has(name)) unclassified.push(`${name} (PALETTE_ERROR_NAMES)`);
    expect(unclassified, 'add each to TRANSIENT_ERRORS or NAMED_PERMANENT_ERRORS in lambdas/shared/retryable-errors.ts').toEqual([]);
  });

  it('has no stale entries: every listed product name is declared by some error class', () => {
    const declared = new Set([...errorClasses()].map(([cls, info]) => errorNameOf(cls, info)).filter((n): n is string => n !== undefined));
    for (const name of [...TRANSIENT_ERRORS, ...NAMED_PERMANENT_ERRORS, ...KEY_PROPAGATION_ERRORS, ...PRINCIPAL_PROPAGATION_ERRORS]) expect(declared.has(name), name).toBe(true);
    expect([...PROGRAMMING_ERRORS]).toEqual(['Error', 'TypeError', 'RangeError']);
  });

  it('the services map transient failures to retryable names and leave permanent ones alone', () => {
    const aws = (name: string, status: number) => Object.assign(new Error('x'), { name, $metadata: { httpStatusCode: status } });
    expect(classifyAwsError(aws('ThrottlingException', 400))).toMatchObject({ name: 'AwsThrottledError' });
    expect(classifyAwsError(aws('ServiceUnavailable', 503))).toMatchObject({ name: 'AwsTransientError' });
    expect(classifyAwsError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toMatchObject({ name: 'AwsTransientError' });
    for (const e of [aws('ThrottlingException', 400), aws('InternalError', 500)]) expect(isRetryableError(classifyAwsError(e))).toBe(true);
    expect(isRetryableError(classifyAwsError(aws('AccessDenied', 403)))).toBe(false);

    const palette = (status: number) => createPaletteError({ status, code: 'x', message: 'x', method: 'DELETE', path: '/v1/x' });
    for (const status of [429, 500, 502, 503, 504, 0]) expect(isRetryableError(palette(status)), String(status)).toBe(true);
    for (const status of [400, 401, 403, 404, 409, 422, 418]) {
      const e = palette(status);
      expect(isRetryableError(e), String(status)).toBe(false);
      expect(PERMANENT_ERRORS, String(status)).toContain(e.name);
    }
  });
});

describe('the state-level retry schedule', () => {
  it('capped exponential backoff whose caps sum to more than a 5-minute outage', () => {
    const delays = cappedRetryDelays(RETRY_POLICY);
    expect(RETRY_POLICY).toEqual({ intervalSeconds: 2, backoffRate: 2, maxDelaySeconds: 60, maxAttempts: 10 });
    expect(delays).toEqual([2, 4, 8, 16, 32, 60, 60, 60, 60, 60]);
    const total = delays.reduce((a, b) => a + b, 0);
    expect(total).toBe(362);
    expect(total).toBeGreaterThan(OUTAGE_RIDE_OUT_SECONDS);
    // One attempt fewer would still cover it, barely (302 s): the tenth is the margin for full jitter.
    expect(total - 60).toBeGreaterThan(OUTAGE_RIDE_OUT_SECONDS);
    // Without the cap, 10 retries would wait up to 2046 s: the cap keeps a recovered Palette at most 60 s away.
    expect(cappedRetryDelays({ ...RETRY_POLICY, maxDelaySeconds: undefined as unknown as number }).at(-1)).toBe(1024);
  });
});

// ---- compensation ---------------------------------------------------------------------------------------------
const paletteError = (status: number) => createPaletteError({ status, code: status === 503 ? 'ServiceUnavailable' : 'x', message: 'x', method: 'DELETE', path: '/v1/x' });

function planWith(keys: string[]): Plan {
  return {
    tenantId: 'acme',
    executionName: 'exec-1',
    projectUid: 'p1',
    paletteApiKeySecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:palette-api-key',
    registrations: Object.fromEntries(keys.map((k) => [k, { name: `acme-${k}` }])),
  } as unknown as Plan;
}

describe('undo-registrations under transient and permanent Palette errors', () => {
  beforeEach(() => {
    for (const key of Object.keys(reconcilers)) delete reconcilers[key];
  });
  const reconciler = (deleteImpl: () => Promise<void>) => ({
    find: vi.fn(async () => ({ uid: 'uid-1', annotations: {} })),
    delete: vi.fn(deleteImpl),
  });

  it('a transient Palette error (503) propagates with its retryable name after every kind was tried, not as CompensationError', async () => {
    reconcilers.cloudAccount = reconciler(async () => { throw paletteError(503); });
    reconcilers.backupLocation = reconciler(async () => undefined);
    const error = await undoAllRegistrations(planWith(['cloudAccount', 'backupLocation'])).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(CompensationError);
    expect(error).toMatchObject({ name: 'PaletteServerError', status: 503 });
    expect(isRetryableError(error)).toBe(true);
    // The other kind was still undone in this attempt.
    expect(reconcilers.backupLocation.delete).toHaveBeenCalledWith(expect.anything(), 'uid-1');
  });

  it('a throttled undo (429) propagates as PaletteThrottledError; a transient error wins over a permanent one (the retry settles it)', async () => {
    reconcilers.cloudAccount = reconciler(async () => { throw paletteError(404); });
    reconcilers.backupLocation = reconciler(async () => { throw paletteError(429); });
    const error = await undoAllRegistrations(planWith(['cloudAccount', 'backupLocation'])).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'PaletteThrottledError' });
  });

  it('a permanent Palette error is reported as could-not-remove (CompensationError, never retried)', async () => {
    reconcilers.cloudAccount = reconciler(async () => { throw paletteError(403); });
    reconcilers.backupLocation = reconciler(async () => undefined);
    const error = await undoAllRegistrations(planWith(['cloudAccount', 'backupLocation'])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CompensationError);
    expect(isRetryableError(error)).toBe(false);
    expect((error as Error).message).toMatch(/^could not undo every registration \(cloudAccount: PaletteForbiddenError: .*\); deleted so far: palette:/);
  });

  it('recovers on the retry: the same undo succeeds once Palette answers again', async () => {
    let calls = 0;
    reconcilers.cloudAccount = reconciler(async () => {
      calls += 1;
      if (calls === 1) throw paletteError(503);
    });
    const plan = planWith(['cloudAccount']);
    await expect(undoAllRegistrations(plan)).rejects.toMatchObject({ name: 'PaletteServerError' });
    await expect(undoAllRegistrations(plan)).resolves.toMatchObject({ deleted: [expect.stringMatching(/^palette:.*\/uid-1$/)], retained: [] });
  });
});
