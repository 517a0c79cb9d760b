/**
 * Application metrics (lambdas/shared/metrics.ts) as the Lambdas write them: one CloudWatch EMF line on stdout per
 * invocation (the handler wrappers flush, on success and on failure), namespace PaletteOnboarding, the single
 * dimension `service`, tenant ids and execution names in metadata only; concurrent invocations never mix; nothing
 * outside an invocation. Then what the handlers record: ReleaseTenant (outcome, duration, CompensationIncomplete from
 * `$.compensation.<step>Error`), FinishOffboarding, and the Palette client's calls and throttles.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { planRequest } from '../../lambdas/domain/plan';
import type { Plan } from '../../lambdas/domain/workflow-state';
import { PaletteClient } from '../../lambdas/services/palette';
import { withDeadline } from '../../lambdas/shared/deadline';
import { AwsThrottledError, StateInputError } from '../../lambdas/shared/errors';
import { compensationHandler } from '../../lambdas/shared/handler';
import { METRIC_NAMES } from '../../lambdas/shared/metric-names';
import {
  addMetric,
  recordCompensationIncomplete,
  recordDriftFindings,
  recordOnboardingOutcome,
  recordPaletteCall,
  runWithMetrics,
  secondsSince,
} from '../../lambdas/shared/metrics';
import { FakeClock, fakeFetch, json } from './palette-client-helpers';

// The shared logger is built when its module loads: keep the handlers' log lines out of the test output.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});
const registry = vi.hoisted(() => ({ releaseTenant: vi.fn(), finishOffboarding: vi.fn() }));
vi.mock('../../lambdas/services/registry/tenant-registry', () => ({ releaseTenant: registry.releaseTenant }));
vi.mock('../../lambdas/services/registry/offboarding', () => ({ finishOffboarding: registry.finishOffboarding }));
const secrets = vi.hoisted(() => ({ readSecretString: vi.fn(async () => '{"apiKey":"k-123"}') }));
vi.mock('../../lambdas/shared/secrets', () => ({ readSecretString: secrets.readSecretString }));

interface Emf {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

/** Captures stdout (Powertools writes EMF records and log lines there); `emf()` = the EMF records, parsed. */
function captureStdout(): { emf(): Emf[]; restore(): void } {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  });
  return {
    emf: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.includes('"_aws"'))
        .map((l) => JSON.parse(l) as Emf),
    restore: () => spy.mockRestore(),
  };
}

const metricNames = (r: Emf) => r._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name).sort();

let out: ReturnType<typeof captureStdout>;
beforeEach(() => {
  out = captureStdout();
});
afterEach(() => {
  out.restore();
  vi.unstubAllEnvs();
  vi.clearAllMocks();
});

describe('one EMF record per invocation', () => {
  it('namespace PaletteOnboarding, dimension service only, the values, tenant and execution in metadata', async () => {
    // Act
    const result = await runWithMetrics(async () => {
      recordOnboardingOutcome({ outcome: 'SUCCEEDED', tenantId: 'acme', startTime: new Date(Date.now() - 90_000).toISOString() });
      recordPaletteCall({ status: 200 });
      recordPaletteCall({ status: 429 });
      recordPaletteCall({ status: 200 });
      return 'done';
    }, { executionName: 'acme-0123abcd' });
    // Assess
    expect(result).toBe('done');
    const records = out.emf();
    expect(records).toHaveLength(1);
    const [record] = records as [Emf];
    expect(record._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'PaletteOnboarding',
        Dimensions: [['service']],
        Metrics: expect.arrayContaining([
          { Name: 'OnboardingSucceeded', Unit: 'Count' },
          { Name: 'OnboardingDurationSeconds', Unit: 'Seconds' },
          { Name: 'PaletteCalls', Unit: 'Count' },
          { Name: 'PaletteThrottles', Unit: 'Count' },
        ]),
      },
    ]);
    expect(record).toMatchObject({ service: 'palette-onboarding', OnboardingSucceeded: 1, PaletteCalls: 3, PaletteThrottles: 1, tenantId: 'acme', executionName: 'acme-0123abcd' });
    expect(record.OnboardingDurationSeconds).toBeGreaterThanOrEqual(90);
    expect(record.OnboardingDurationSeconds).toBeLessThan(95);
    // Never a tenant id as a dimension (cardinality).
    expect(record._aws.CloudWatchMetrics[0]?.Dimensions.flat()).toEqual(['service']);
  });

  it('flushes when the handler throws, and the error is the handler\'s', async () => {
    // Act
    const failing = runWithMetrics(async () => {
      recordPaletteCall({ status: 429 });
      throw new StateInputError('boom');
    });
    // Assess
    await expect(failing).rejects.toThrow(StateInputError);
    expect(out.emf().map((r) => [r.PaletteCalls, r.PaletteThrottles])).toEqual([[1, 1]]);
  });

  it('writes nothing when nothing was recorded, and drops what is recorded outside an invocation', async () => {
    // Act
    await runWithMetrics(async () => 'quiet');
    addMetric('PaletteCalls', 1);
    recordDriftFindings(3);
    // Assess
    expect(out.emf()).toEqual([]);
  });

  it('concurrent invocations in one process each write their own record', async () => {
    // Prepare
    const tick = () => new Promise((r) => setTimeout(r, 5));
    // Act
    await Promise.all([
      runWithMetrics(async () => {
        recordPaletteCall({ status: 200 });
        await tick();
        recordPaletteCall({ status: 200 });
      }, { executionName: 'a' }),
      runWithMetrics(async () => {
        await tick();
        recordDriftFindings(2, 'beta');
      }, { executionName: 'b' }),
    ]);
    // Assess
    const byExecution = Object.fromEntries(out.emf().map((r) => [r.executionName, r]));
    expect(byExecution.a).toMatchObject({ PaletteCalls: 2, PaletteThrottles: 0 });
    expect(byExecution.a).not.toHaveProperty('DriftFindings');
    expect(byExecution.b).toMatchObject({ DriftFindings: 2, tenantId: 'beta' });
    expect(byExecution.b).not.toHaveProperty('PaletteCalls');
  });

  it('every metric name is a valid CloudWatch name with a unit the alarms can use', () => {
    for (const name of METRIC_NAMES) expect(name).toMatch(/^[A-Za-z]{1,255}$/);
    expect(secondsSince('2026-01-01T00:00:00.000Z', Date.parse('2026-01-01T00:01:30.250Z'))).toBe(90.3);
    expect(secondsSince('not a date')).toBeUndefined();
    expect(secondsSince(undefined)).toBeUndefined();
  });

  it('records drift findings (the re-validation API), zero included', async () => {
    await runWithMetrics(async () => recordDriftFindings(0, 'acme'));
    expect(out.emf()).toEqual([expect.objectContaining({ DriftFindings: 0, tenantId: 'acme' })]);
  });
});

describe('the handler wrappers flush, so handlers need no code of their own', () => {
  it('withDeadline: the execution name comes from the state document', async () => {
    // Prepare
    const handler = withDeadline(async (_event: unknown) => {
      recordDriftFindings(1);
      return { ok: true };
    });
    // Act
    await handler({ execution: { name: 'acme-exec' } }, { getRemainingTimeInMillis: () => 60_000 });
    // Assess
    expect(out.emf()).toEqual([expect.objectContaining({ DriftFindings: 1, executionName: 'acme-exec' })]);
  });

  it('compensationHandler: an undo step records nothing itself (its state decides whether it finished), and still flushes what its calls recorded', async () => {
    // Prepare
    const plan = testPlan();
    const undo = compensationHandler('undo-bucket', async () => {
      recordPaletteCall({ status: 200 });
      throw new StateInputError('permanent');
    });
    // Act
    await expect(undo({ execution: { name: plan.executionName }, job: { plan } })).rejects.toThrow('permanent');
    // Assess
    const records = out.emf();
    expect(records).toHaveLength(1);
    expect(metricNames(records[0] as Emf)).toEqual(['PaletteCalls', 'PaletteThrottles']);
    expect(records[0]).toMatchObject({ executionName: plan.executionName });
  });
});

const ROOT = join(import.meta.dirname, '..', '..');
function testPlan(): Plan {
  const raw: unknown = JSON.parse(readFileSync(join(ROOT, 'examples', 'sts-tenant.json'), 'utf8'));
  return planRequest(raw, {
    homeAccountId: '000000000000',
    deploymentId: 'palette-onboarding',
    defaultReadinessSeconds: 900,
    executionName: 'acme-0123456789abcdef',
    defaultApiKeySecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:palette-onboarding/palette-api-key-AbCdEf',
    selfHosted: false,
    allowInsecureEndpoints: false,
  });
}

describe('ReleaseTenant', () => {
  const released = { released: true, status: 'ACTIVE', claimsReleased: 0 };

  it('success: OnboardingSucceeded and the duration since the execution started', async () => {
    // Prepare
    const { handler } = await import('../../lambdas/handlers/release-tenant');
    const plan = testPlan();
    registry.releaseTenant.mockResolvedValue(released);
    const startTime = new Date(Date.now() - 125_000).toISOString();
    // Act
    await handler({ execution: { name: plan.executionName, startTime }, job: { plan }, outcome: 'SUCCEEDED' });
    // Assess
    const [record] = out.emf() as [Emf];
    expect(metricNames(record)).toEqual(['OnboardingDurationSeconds', 'OnboardingSucceeded']);
    expect(record).toMatchObject({ OnboardingSucceeded: 1, tenantId: 'acme', executionName: plan.executionName });
    expect(record.OnboardingDurationSeconds).toBeGreaterThanOrEqual(125);
  });

  it('after compensation: OnboardingFailed, no duration, and CompensationIncomplete = the undo steps that ended in <step>Error', async () => {
    // Prepare
    const { handler } = await import('../../lambdas/handlers/release-tenant');
    const plan = testPlan();
    registry.releaseTenant.mockResolvedValue({ ...released, status: 'FAILED' });
    const compensation = {
      registrations: { deleted: [] },
      principalError: { Error: 'CompensationError', Cause: 'could not remove' },
      policy: { deleted: ['policy'] },
      bucketError: { Error: 'AwsThrottledError', Cause: 'retries ran out' },
    };
    // Act
    await handler({ execution: { name: plan.executionName, startTime: new Date().toISOString() }, job: { plan }, outcome: 'FAILED', error: { Error: 'VerificationError' }, compensation });
    // Assess
    const [record] = out.emf() as [Emf];
    expect(metricNames(record)).toEqual(['CompensationIncomplete', 'OnboardingFailed']);
    expect(record).toMatchObject({ OnboardingFailed: 1, CompensationIncomplete: 2, incompleteSteps: 'bucket,principal', tenantId: 'acme' });
  });

  it('after a clean compensation (or a failure before anything existed): OnboardingFailed only', async () => {
    const { handler } = await import('../../lambdas/handlers/release-tenant');
    const plan = testPlan();
    registry.releaseTenant.mockResolvedValue({ released: false, claimsReleased: 0 });
    await handler({ execution: { name: plan.executionName }, job: { plan }, outcome: 'FAILED', error: { Error: 'TenantBusyError' }, compensation: {} });
    expect(out.emf().map(metricNames)).toEqual([['OnboardingFailed']]);
  });

  it('counted once: an attempt that fails transiently (and is retried) records nothing; one that fails for good does', async () => {
    // Prepare
    const { handler } = await import('../../lambdas/handlers/release-tenant');
    const plan = testPlan();
    const event = { execution: { name: plan.executionName }, job: { plan }, outcome: 'FAILED', compensation: { bucketError: { Error: 'X' } } };
    // Act: transient
    registry.releaseTenant.mockRejectedValueOnce(new AwsThrottledError('slow down'));
    await expect(handler(event)).rejects.toThrow(AwsThrottledError);
    // Assess
    expect(out.emf()).toEqual([]);
    // Act: permanent
    registry.releaseTenant.mockRejectedValueOnce(new StateInputError('bad'));
    await expect(handler(event)).rejects.toThrow(StateInputError);
    // Assess
    expect(out.emf().map(metricNames)).toEqual([['CompensationIncomplete', 'OnboardingFailed']]);
  });
});

describe('FinishOffboarding', () => {
  it.each([
    ['SUCCEEDED', ['OffboardingDurationSeconds', 'OffboardingSucceeded']],
    ['FAILED', ['OffboardingFailed']],
  ] as const)('%s: the outcome (and on success the duration)', async (outcome, names) => {
    // Prepare
    const { handler } = await import('../../lambdas/handlers/finish-offboarding');
    registry.finishOffboarding.mockResolvedValue({ finished: true, status: outcome === 'SUCCEEDED' ? 'OFFBOARDED' : 'FAILED', removed: [], retained: [], claimsReleased: 0 });
    // Act
    await handler({
      execution: { name: 'offboard-acme-20260101000000-abcd', startTime: new Date(Date.now() - 30_000).toISOString() },
      offboarding: { tenantId: 'acme' },
      removed: {},
      outcome,
    });
    // Assess
    const [record] = out.emf() as [Emf];
    expect(metricNames(record)).toEqual(names);
    expect(record).toMatchObject({ tenantId: 'acme', executionName: 'offboard-acme-20260101000000-abcd' });
  });
});

describe('Palette calls and throttles', () => {
  it('the client reports every attempt to onAttempt (retries included, status 0 without a response); a throwing hook changes nothing', async () => {
    // Prepare
    const seen: number[] = [];
    const answers = [json(429, { code: 'TooManyRequests' }), json(503, {}), json(200, { items: [] })];
    const { fetch } = fakeFetch((_r, i) => answers[i] ?? json(200, { items: [] }));
    const client = new PaletteClient({
      baseUrl: 'https://palette.example.com',
      auth: { type: 'apiKey', apiKey: async () => 'k' },
      fetch,
      clock: new FakeClock(),
      random: () => 0,
      rateLimit: false,
      onAttempt: (a) => {
        seen.push(a.status);
        throw new Error('observer bug');
      },
    });
    // Act
    const accounts = await client.cloudAccounts.aws.list();
    // Assess
    expect(accounts).toEqual([]);
    expect(seen).toEqual([429, 503, 200]);
  });

  it("the onboarding's Palette client counts them per invocation: PaletteCalls and PaletteThrottles (429)", async () => {
    // Prepare
    vi.stubEnv('PALETTE_ENDPOINT', 'https://palette.example.com');
    vi.stubEnv('HOME_ACCOUNT_ID', '000000000000');
    vi.stubEnv('TENANT_REGISTRY_TABLE', 'registry');
    const { resetEnvCache } = await import('../../lambdas/shared/env');
    resetEnvCache();
    let calls = 0;
    vi.stubGlobal('fetch', async () => (++calls === 1 ? json(429, { code: 'TooManyRequests' }, { 'Retry-After': '0' }) : json(200, { items: [] })));
    const { paletteClient } = await import('../../lambdas/services/onboarding/palette');
    // Act
    await runWithMetrics(async () => {
      await paletteClient('arn:aws:secretsmanager:us-east-1:000000000000:secret:metrics-test-AbCdEf').cloudAccounts.aws.list();
    });
    vi.unstubAllGlobals();
    resetEnvCache();
    // Assess
    expect(out.emf()).toEqual([expect.objectContaining({ PaletteCalls: 2, PaletteThrottles: 1 })]);
  });
});

describe('recordCompensationIncomplete', () => {
  it('records nothing for a compensation that finished every step', async () => {
    await runWithMetrics(async () => recordCompensationIncomplete([], 'acme'));
    expect(out.emf()).toEqual([]);
  });
});
